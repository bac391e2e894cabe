/* nl.c - anonymous network namespaces and rtnetlink via libnl-route-3:
 * namespaces, the netlink context and its errors, addresses and routes.
 * Links and their readiness are in nl_link.c. See nl.h for the interface. */
#include "nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "nl_int.h"
#include "util.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define THREAD_NETNS "/proc/thread-self/ns/net"

/* ---- namespaces --------------------------------------------------------- */

int nl_netns_enter(int ns_fd, int *saved_fd, struct perr *e)
{
	int saved;

	*saved_fd = -1;
	if (ns_fd < 0)
		return 0;
	saved = open(THREAD_NETNS, O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return perr_sys(e, errno, "open %s", THREAD_NETNS);
	if (setns(ns_fd, CLONE_NEWNET) < 0) {
		int err = errno;
		close(saved);
		return perr_sys(e, err, "setns(CLONE_NEWNET)");
	}
	*saved_fd = saved;
	return 0;
}

int nl_netns_leave(int saved_fd, struct perr *e)
{
	int rc = 0;

	if (saved_fd < 0)
		return 0;
	if (setns(saved_fd, CLONE_NEWNET) < 0)
		rc = perr_sys(e, errno, "setns back to the previous network namespace");
	close(saved_fd);
	return rc;
}

/* Write /proc/sys/<path> in the current namespace. -errno on failure. */
static int sysctl_here(const char *path, const char *value)
{
	char full[256];

	if (strncmp(path, "/proc/sys/", 10) == 0)
		path += 10;
	if (snprintf(full, sizeof(full), "/proc/sys/%s", path) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	return util_write_text(full, value);
}

int netns_sysctl_write(int ns_fd, const char *path, const char *value, struct perr *e)
{
	int saved, r;

	if (nl_netns_enter(ns_fd, &saved, e) < 0)
		return -1;
	r = sysctl_here(path, value);
	if (nl_netns_leave(saved, e) < 0)
		return -1;
	if (r < 0)
		return perr_sys(e, -r, "sysctl %s=%s", path, value);
	return 0;
}

bool nl_have_ipv6(void)
{
	return access("/proc/sys/net/ipv6", F_OK) == 0;
}

/* Runs inside the new namespace. */
static int netns_apply_flags(unsigned flags, struct perr *e)
{
	static const char *const nodad[] = {"net/ipv6/conf/all/accept_dad",
					    "net/ipv6/conf/default/accept_dad"};
	static const char *const fwd[][2] = {{"net/ipv4/ip_forward", "1"},
					     {"net/ipv6/conf/all/forwarding", "1"}};
	bool v6 = nl_have_ipv6();
	int r;

	if ((flags & NL_NETNS_NODAD) && v6) {
		for (size_t i = 0; i < ARRAY_SIZE(nodad); i++) {
			r = sysctl_here(nodad[i], "0");
			if (r < 0)
				return perr_sys(e, -r, "sysctl %s=0", nodad[i]);
		}
	}
	if (flags & NL_NETNS_FORWARD) {
		for (size_t i = 0; i < ARRAY_SIZE(fwd); i++) {
			if (!v6 && strstr(fwd[i][0], "ipv6"))
				continue;
			r = sysctl_here(fwd[i][0], fwd[i][1]);
			if (r < 0)
				return perr_sys(e, -r, "sysctl %s=%s", fwd[i][0], fwd[i][1]);
		}
	}
	return 0;
}

int nl_netns_unshare(int *fd_out, unsigned flags, struct perr *e)
{
	*fd_out = -1;
	if (unshare(CLONE_NEWNET) < 0)
		return perr_sys(e, errno, "unshare(CLONE_NEWNET)");
	if (netns_apply_flags(flags, e) < 0)
		return perr_prefix(e, "new network namespace");
	*fd_out = open(THREAD_NETNS, O_RDONLY | O_CLOEXEC);
	if (*fd_out < 0)
		return perr_sys(e, errno, "open the new %s", THREAD_NETNS);
	return 0;
}

int nl_netns_new(int *fd_out, unsigned flags, struct perr *e)
{
	int saved, nfd, rc = 0;

	*fd_out = -1;
	saved = open(THREAD_NETNS, O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return perr_sys(e, errno, "open %s", THREAD_NETNS);
	if (unshare(CLONE_NEWNET) < 0) {
		int err = errno;
		close(saved);
		return perr_sys(e, err, "unshare(CLONE_NEWNET)");
	}
	nfd = open(THREAD_NETNS, O_RDONLY | O_CLOEXEC);
	if (nfd < 0)
		rc = perr_sys(e, errno, "open the new %s", THREAD_NETNS);
	else if (netns_apply_flags(flags, e) < 0)
		rc = -1;
	if (rc < 0)
		perr_prefix(e, "new network namespace");
	/* Always go back, even on failure: the thread must not stay inside. */
	if (setns(saved, CLONE_NEWNET) < 0) {
		int err = errno;
		close(saved);
		if (nfd >= 0)
			close(nfd);
		return perr_sys(e, err, "setns back after unshare(CLONE_NEWNET)");
	}
	close(saved);
	if (rc < 0) {
		if (nfd >= 0)
			close(nfd);
		return -1;
	}
	*fd_out = nfd;
	return 0;
}

/* ---- netlink context and errors ---------------------------------------- */

static int on_nlerr(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct nl_ctx *c = arg;
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)err - NLMSG_HDRLEN);
	size_t hlen = sizeof(*err);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	c->err = -err->error;
	c->extack[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		hlen += err->msg.nlmsg_len - NLMSG_HDRLEN;
	if (h->nlmsg_len < NLMSG_HDRLEN + hlen)
		return NL_STOP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)err + hlen),
		      (int)(h->nlmsg_len - NLMSG_HDRLEN - hlen), NULL) == 0 &&
	    tb[NLMSGERR_ATTR_MSG])
		snprintf(c->extack, sizeof(c->extack), "%.*s", nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	/* nla_len counts the NUL; trim it and any trailing newline */
	c->extack[strcspn(c->extack, "\n")] = '\0';
	return NL_STOP;
}

void nl_ctx_reset(struct nl_ctx *c)
{
	c->err = 0;
	c->extack[0] = '\0';
}

/* Best errno for a libnl error when the kernel did not send one. */
int nl_errno_of_nle(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_INVAL:
	case NLE_MISSING_ATTR:
	case NLE_PARSE_ERR:
		return EINVAL;
	case NLE_EXIST:
		return EEXIST;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return ENODEV;
	case NLE_PERM:
		return EPERM;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_BUSY:
		return EBUSY;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return EAFNOSUPPORT;
	case NLE_RANGE:
		return ERANGE;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_NOADDR:
		return EADDRNOTAVAIL;
	default:
		return 0;
	}
}

int nl_ctx_fail(struct nl_ctx *c, int nle, struct perr *e, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	int err = c->err ? c->err : nl_errno_of_nle(nle);

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (err && c->extack[0])
		return perr_sys(e, err, "%s (kernel: %s)", what, c->extack);
	if (err)
		return perr_sys(e, err, "%s", what);
	return perr_set(e, "%s: %s", what, nl_geterror(nle));
}

struct nl_ctx *nl_ctx_open(int ns_fd, struct perr *e)
{
	struct nl_ctx *c = calloc(1, sizeof(*c));
	int saved = -1, one = 1, r;

	if (!c) {
		perr_sys(e, ENOMEM, "netlink context");
		return NULL;
	}
	if (nl_netns_enter(ns_fd, &saved, e) < 0) {
		free(c);
		return NULL;
	}
	c->sk = nl_socket_alloc();
	if (!c->sk) {
		perr_sys(e, ENOMEM, "nl_socket_alloc");
		goto fail;
	}
	r = nl_connect(c->sk, NETLINK_ROUTE);
	if (r < 0) {
		perr_set(e, "connect NETLINK_ROUTE: %s", nl_geterror(r));
		goto fail;
	}
	/* The socket now belongs to this namespace for good. */
	if (nl_netns_leave(saved, e) < 0) {
		saved = -1;
		goto fail;
	}
	saved = -1;
	/* Kernel error text (extended ack) without the echoed request. */
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl_socket_modify_err_cb(c->sk, NL_CB_CUSTOM, on_nlerr, c);
	/* A receive buffer larger than any message the kernel sends us (a
	 * dump's skb is at most 32 KiB): libnl then reads each answer once
	 * instead of peeking at its size first (two recvmsg per answer). */
	nl_socket_set_msg_buf_size(c->sk, 65536);
	return c;
fail:
	if (saved >= 0)
		nl_netns_leave(saved, NULL);
	if (c->sk)
		nl_socket_free(c->sk);
	free(c);
	return NULL;
}

void nl_ctx_close(struct nl_ctx *c)
{
	if (!c)
		return;
	nl_socket_free(c->sk); /* closes the fd */
	free(c);
}

void nl_ifname_unique(char out[NL_IFNAMSIZ], const char *prefix)
{
	static unsigned counter;
	uint32_t r;

	if (util_random(&r, sizeof(r)) < 0)
		r = (uint32_t)getpid() * 2654435761u ^ (uint32_t)util_now_ns() ^
		    __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	snprintf(out, NL_IFNAMSIZ, "%.7s%08x", prefix ? prefix : "", r);
}

/* ---- addresses ---------------------------------------------------------- */

/* Parse "a.b.c.d[/n]" or "x::y[/n]". need_prefix: the "/n" is required.
 * Returns a new nl_addr (caller puts it) or NULL with e set. */
static struct nl_addr *parse_cidr(const char *s, bool need_prefix, struct perr *e)
{
	char host[INET6_ADDRSTRLEN + 1];
	unsigned char buf[16];
	const char *slash = s ? strchr(s, '/') : NULL;
	size_t hl = slash ? (size_t)(slash - s) : (s ? strlen(s) : 0);
	int fam, bits;
	long plen;
	struct nl_addr *a;

	if (!s || hl == 0 || hl >= sizeof(host)) {
		perr_usage(e, "bad address '%s'", s ? s : "(null)");
		return NULL;
	}
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, buf) == 1) {
		fam = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, host, buf) == 1) {
		fam = AF_INET6;
		bits = 128;
	} else {
		perr_usage(e, "bad address '%s': not a numeric IPv4 or IPv6 address", s);
		return NULL;
	}
	plen = bits;
	if (slash) {
		if (util_parse_long(slash + 1, 0, bits, &plen) < 0) {
			perr_usage(e, "bad prefix length in '%s'", s);
			return NULL;
		}
	} else if (need_prefix) {
		perr_usage(e, "'%s': a prefix length is required", s);
		return NULL;
	}
	a = nl_addr_build(fam, buf, (size_t)bits / 8);
	if (!a) {
		perr_sys(e, ENOMEM, "address '%s'", s);
		return NULL;
	}
	nl_addr_set_prefixlen(a, (int)plen);
	return a;
}

/* SIOCGIFINDEX on the context's own netlink socket: the kernel answers
 * any socket's device ioctls for the socket's namespace, without the RTNL
 * and without the round trip (and full link message) of an RTM_GETLINK,
 * which this used to send before every address and readiness check. */
int nl_ifindex(struct nl_ctx *c, const char *ifname)
{
	struct ifreq ifr;

	if (!ifname || strlen(ifname) >= sizeof(ifr.ifr_name))
		return -EINVAL;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(nl_socket_get_fd(c->sk), SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	return ifr.ifr_ifindex > 0 ? ifr.ifr_ifindex : -ENODEV;
}

int nl_ifindex_or_fail(struct nl_ctx *c, const char *ifname, struct perr *e)
{
	int idx = nl_ifindex(c, ifname);

	if (idx < 0)
		return perr_sys(e, -idx, "link '%s'", ifname);
	return idx;
}

int nl_addr_add(struct nl_ctx *c, const char *ifname, const char *cidr, struct perr *e)
{
	struct nl_addr *local;
	struct rtnl_addr *a;
	int idx, r;

	local = parse_cidr(cidr, false, e);
	if (!local)
		return -1;
	idx = nl_ifindex_or_fail(c, ifname, e);
	if (idx < 0) {
		nl_addr_put(local);
		return perr_prefix(e, "add address %s", cidr);
	}
	a = rtnl_addr_alloc();
	if (!a) {
		nl_addr_put(local);
		return perr_sys(e, ENOMEM, "add address %s", cidr);
	}
	rtnl_addr_set_ifindex(a, idx);
	rtnl_addr_set_family(a, nl_addr_get_family(local));
	r = rtnl_addr_set_local(a, local);
	rtnl_addr_set_prefixlen(a, nl_addr_get_prefixlen(local));
	if (nl_addr_get_family(local) == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	nl_addr_put(local);
	if (r >= 0) {
		nl_ctx_reset(c);
		r = rtnl_addr_add(c->sk, a, NLM_F_EXCL);
	}
	rtnl_addr_put(a);
	if (r < 0)
		return nl_ctx_fail(c, r, e, "add address %s on %s", cidr, ifname);
	return 0;
}

/* ---- routes ------------------------------------------------------------- */

/* A static route in the main table to dst, of `type` and `scope`; NULL
 * with e set. */
static struct rtnl_route *route_new(struct nl_ctx *c, struct nl_addr *dst, const char *dst_cidr,
				    uint8_t type, uint8_t scope, struct perr *e)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	int r;

	if (!rt) {
		perr_sys(e, ENOMEM, "route");
		return NULL;
	}
	rtnl_route_set_family(rt, (uint8_t)nl_addr_get_family(dst));
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_type(rt, type);
	rtnl_route_set_scope(rt, scope);
	if ((r = rtnl_route_set_dst(rt, dst)) < 0) {
		nl_ctx_fail(c, r, e, "route %s", dst_cidr);
		rtnl_route_put(rt);
		return NULL;
	}
	return rt;
}

int nl_route_add(struct nl_ctx *c, const char *dst_cidr, const char *gateway, const char *ifname,
		 struct perr *e)
{
	struct nl_addr *dst = NULL, *gw = NULL;
	struct rtnl_route *rt = NULL;
	struct rtnl_nexthop *nh = NULL;
	int idx = 0, r, rc = -1;

	if (!gateway && !ifname)
		return perr_usage(e, "route %s: needs a gateway or a device", dst_cidr);
	dst = parse_cidr(dst_cidr, true, e);
	if (!dst)
		goto out;
	if (gateway) {
		gw = parse_cidr(gateway, false, e);
		if (!gw)
			goto out;
		if (nl_addr_get_family(gw) != nl_addr_get_family(dst)) {
			perr_usage(e, "gateway %s is not of the family of %s", gateway, dst_cidr);
			goto out;
		}
	}
	if (ifname && (idx = nl_ifindex_or_fail(c, ifname, e)) < 0)
		goto out;
	rt = route_new(c, dst, dst_cidr, RTN_UNICAST, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK, e);
	if (!rt)
		goto out;
	if (!(nh = rtnl_route_nh_alloc())) {
		perr_sys(e, ENOMEM, "route");
		goto out;
	}
	if (gw)
		rtnl_route_nh_set_gateway(nh, gw);
	if (idx > 0)
		rtnl_route_nh_set_ifindex(nh, idx);
	rtnl_route_add_nexthop(rt, nh); /* the route owns nh now */
	nh = NULL;
	nl_ctx_reset(c);
	r = rtnl_route_add(c->sk, rt, NLM_F_EXCL);
	if (r < 0) {
		nl_ctx_fail(c, r, e, "add route %s%s%s%s%s", dst_cidr, gateway ? " via " : "",
			    gateway ? gateway : "", ifname ? " dev " : "", ifname ? ifname : "");
		goto out;
	}
	rc = 0;
out:
	if (nh)
		rtnl_route_nh_free(nh);
	if (rt)
		rtnl_route_put(rt);
	if (gw)
		nl_addr_put(gw);
	if (dst)
		nl_addr_put(dst);
	return rc;
}

int nl_route_add_unreachable(struct nl_ctx *c, const char *dst_cidr, uint32_t priority,
			     struct perr *e)
{
	struct nl_addr *dst = parse_cidr(dst_cidr, true, e);
	struct rtnl_route *rt = NULL;
	int r, rc = -1;

	if (!dst)
		return -1;
	if (!(rt = route_new(c, dst, dst_cidr, RTN_UNREACHABLE, RT_SCOPE_UNIVERSE, e)))
		goto out;
	rtnl_route_set_priority(rt, priority);
	nl_ctx_reset(c);
	if ((r = rtnl_route_add(c->sk, rt, NLM_F_EXCL)) < 0) {
		nl_ctx_fail(c, r, e, "add route unreachable %s metric %u", dst_cidr, priority);
		goto out;
	}
	rc = 0;
out:
	if (rt)
		rtnl_route_put(rt);
	nl_addr_put(dst);
	return rc;
}

int nl_route_add_default(struct nl_ctx *c, const char *gateway, struct perr *e)
{
	char host[INET6_ADDRSTRLEN];

	if (!gateway || inet_pton(AF_INET6, gateway, host) == 1)
		return nl_route_add(c, "::/0", gateway, NULL, e);
	return nl_route_add(c, "0.0.0.0/0", gateway, NULL, e);
}
