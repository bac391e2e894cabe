/* notify_strict.c - platform-strict's decisions (see notify_strict.h and
 * docs/platform-strict.md). */
#include "notify_strict.h"

#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "util.h"

int notify_strict_address(const struct sockaddr_storage *ss, socklen_t len,
			  enum notify_strict_op op, const struct notify_allowlist *al,
			  enum notify_strict_route *route, const char **why)
{
	sa_family_t fam;

	*route = NS_ROUTE_INLINE;
	if (len < sizeof(sa_family_t)) {
		*why = "short sockaddr";
		return EPERM;
	}
	memcpy(&fam, ss, sizeof(fam));
	switch (fam) {
	case AF_INET:
	case AF_INET6: {
		struct notify_sockaddr sa;
		if (op == NS_OP_BIND) {
			/* Every IP bind: the supervisor would bind outside the
			 * agent's Landlock domain (BIND_TCP with no rule), and a
			 * listener on the proxy's port would squat it (T14). */
			*why = "IP bind (no inbound channel; BIND_TCP has no rule)";
			return EPERM;
		}
		if (notify_parse_sockaddr(ss, len, &sa) != NOTIFY_SA_OK) {
			*why = "short sockaddr";
			return EPERM;
		}
		if (!notify_allowlist_allows(al, &sa.ip, sa.port)) {
			*why = "address:port not pinned (only the proxy)";
			return EPERM;
		}
		return 0;
	}
	case AF_UNIX: {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)ss;
		if (len <= offsetof(struct sockaddr_un, sun_path)) {
			/* bind: autobind to a kernel-chosen abstract name. */
			*why = "unnamed AF_UNIX address (autobind is abstract)";
			return EPERM;
		}
		if (len > sizeof(struct sockaddr_un)) {
			/* The kernel's own answer (unix_validate_addr); and the
			 * workers copy sun_path, which a longer address would
			 * overrun. */
			*why = "AF_UNIX address longer than struct sockaddr_un";
			return EINVAL;
		}
		if (sun->sun_path[0] == 0) {
			*why = "abstract AF_UNIX name";
			return EPERM;
		}
		/* A pathname: performed by a worker that carries the agent's
		 * Landlock rules (the kernel checks them), and that reaches a
		 * socket (connect, a datagram to a path) only beneath the
		 * agent's read-write paths, at every ABI (notify_workers.c). */
		*route = NS_ROUTE_DOMAIN;
		return 0;
	}
	case AF_NETLINK: {
		struct sockaddr_nl nl;
		if (len < sizeof(nl)) {
			*why = "short sockaddr";
			return EPERM;
		}
		memcpy(&nl, ss, sizeof(nl));
		/* The kernel (rtnetlink requests, getifaddrs) or an autobound
		 * port id; never another process's netlink socket, never a
		 * multicast group. */
		if (nl.nl_pid != 0 || nl.nl_groups != 0) {
			*why = "netlink peer other than the kernel, or a multicast group";
			return EPERM;
		}
		return 0;
	}
	default:
		*why = "family not allowed (AF_UNSPEC, or not IP, unix or netlink)";
		return EPERM;
	}
}

int notify_strict_listen(int sockfd, const char **why)
{
	int domain = 0;
	socklen_t ol = sizeof(domain);
	struct sockaddr_un sun;
	socklen_t sl = sizeof(sun);

	if (getsockopt(sockfd, SOL_SOCKET, SO_DOMAIN, &domain, &ol) < 0) {
		*why = "SO_DOMAIN unreadable";
		return EPERM;
	}
	if (domain == AF_INET || domain == AF_INET6) {
		/* With every TCP bind refused, a listener could only have been
		 * autobound to an ephemeral port by listen() itself. */
		*why = "TCP listen (autobind: an inbound channel)";
		return EPERM;
	}
	if (domain != AF_UNIX) {
		*why = "listen on a family other than AF_UNIX";
		return EPERM;
	}
	memset(&sun, 0, sizeof(sun));
	if (getsockname(sockfd, (struct sockaddr *)&sun, &sl) < 0) {
		*why = "getsockname failed";
		return EPERM;
	}
	if (sl <= offsetof(struct sockaddr_un, sun_path)) {
		*why = "unbound AF_UNIX socket (listen would autobind an abstract name)";
		return EPERM;
	}
	if (sun.sun_path[0] == 0) {
		*why = "abstract AF_UNIX name (the scope is one-directional)";
		return EPERM;
	}
	return 0;
}

long notify_strict_status_field(const char *proc, pid_t pid, const char *key, int base)
{
	char path[PATH_MAX], buf[4096], want[32], *p, *end;
	long v;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%d/status", proc, (int)pid);
	snprintf(want, sizeof(want), "\n%s:", key);
	if (util_read_text(path, buf, sizeof(buf)) < 0 || !(p = strstr(buf, want)))
		return -1;
	p += strlen(want);
	errno = 0;
	v = strtol(p, &end, base);
	if (errno || end == p)
		return -1;
	return v;
}

bool notify_strict_in_tree(const struct notify_strict_tree *t, pid_t pid)
{
	long tgid = notify_strict_status_field(t->proc, pid, "Tgid", 10);
	pid_t p;

	/* A thread id names its thread group. */
	if (tgid <= 0)
		return false;
	p = (pid_t)tgid;
	/* Up the PPid chain to the agent, or to init (pid 1, the orphans'
	 * reaper: outside the tree) or a process we cannot read. */
	for (int depth = 0; depth < 4096; depth++) {
		long pp;
		if (p == t->root)
			return true;
		if (p <= 1)
			return false;
		pp = notify_strict_status_field(t->proc, p, "PPid", 10);
		if (pp < 0 || pp == p)
			return false;
		p = (pid_t)pp;
	}
	return false;
}

int notify_strict_signal(const struct notify_strict_tree *t, enum notify_strict_sig kind,
			 const uint64_t args[6], const char **why)
{
	/* Each pid argument is an int: the kernel reads the low 32 bits. */
	int a0 = (int)(uint32_t)args[0];

	switch (kind) {
	case NS_SIG_KILL:
		if (a0 == 0)
			/* The caller's process group: inside the agent's session
			 * (setsid), which only its descendants can join. */
			return 0;
		if (a0 == -1) {
			*why = "kill(-1): every process the agent may signal";
			return EPERM;
		}
		if (a0 < -1) {
			/* A process group: its leader's pid stays allocated while
			 * the group lives, and a group holds only processes of its
			 * leader's session: a leader in the tree is a group in it.
			 * A group whose leader is gone is refused (closed). */
			if (a0 == INT_MIN || !notify_strict_in_tree(t, -a0)) {
				*why = "process group outside the agent's tree";
				return EPERM;
			}
			return 0;
		}
		break;
	case NS_SIG_TKILL:
	case NS_SIG_TGKILL:
	case NS_SIG_QUEUE:
	case NS_SIG_TGQUEUE:
		if (a0 <= 0) {
			/* The kernel answers EINVAL/ESRCH itself; nothing is sent. */
			return 0;
		}
		break;
	}
	if (!notify_strict_in_tree(t, a0)) {
		*why = "target outside the agent's process tree";
		return EPERM;
	}
	return 0;
}
