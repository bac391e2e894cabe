/* nl.c - anonymous network namespaces and rtnetlink via libnl-route-3.
 * See nl.h for the interface. */
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
#include <netlink/route/link/veth.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "util.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define THREAD_NETNS "/proc/thread-self/ns/net"

struct nl_ctx {
	struct nl_sock *sk;
	int err;	  /* errno of the last NLMSG_ERROR, 0 if none */
	char extack[200]; /* the kernel's extended-ack message, if any */
};

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

static bool have_ipv6(void)
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
	bool v6 = have_ipv6();
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

static void ctx_reset(struct nl_ctx *c)
{
	c->err = 0;
	c->extack[0] = '\0';
}

/* Best errno for a libnl error when the kernel did not send one. */
static int nle_errno(int nle)
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

/* Record a failed libnl call (negative NLE code) in e. Returns -1. */
static int nl_fail(struct nl_ctx *c, int nle, struct perr *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int nl_fail(struct nl_ctx *c, int nle, struct perr *e, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	int err = c->err ? c->err : nle_errno(nle);

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

int nl_ifindex(struct nl_ctx *c, const char *ifname)
{
	struct rtnl_link *l = NULL;
	int r, idx;

	ctx_reset(c);
	r = rtnl_link_get_kernel(c->sk, 0, ifname, &l);
	if (r < 0)
		return c->err ? -c->err : -(nle_errno(r) ? nle_errno(r) : EIO);
	idx = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return idx > 0 ? idx : -ENODEV;
}

static int ifindex_or_fail(struct nl_ctx *c, const char *ifname, struct perr *e)
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
	idx = ifindex_or_fail(c, ifname, e);
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
		ctx_reset(c);
		r = rtnl_addr_add(c->sk, a, NLM_F_EXCL);
	}
	rtnl_addr_put(a);
	if (r < 0)
		return nl_fail(c, r, e, "add address %s on %s", cidr, ifname);
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
		nl_fail(c, r, e, "route %s", dst_cidr);
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
	if (ifname && (idx = ifindex_or_fail(c, ifname, e)) < 0)
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
	ctx_reset(c);
	r = rtnl_route_add(c->sk, rt, NLM_F_EXCL);
	if (r < 0) {
		nl_fail(c, r, e, "add route %s%s%s%s%s", dst_cidr, gateway ? " via " : "",
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
	ctx_reset(c);
	if ((r = rtnl_route_add(c->sk, rt, NLM_F_EXCL)) < 0) {
		nl_fail(c, r, e, "add route unreachable %s metric %u", dst_cidr, priority);
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

/* ---- links -------------------------------------------------------------- */

static int check_ifname(const char *name, struct perr *e)
{
	if (!name || !*name || strlen(name) >= NL_IFNAMSIZ || strchr(name, '/') ||
	    strpbrk(name, " \t\n:"))
		return perr_usage(e, "bad interface name '%s'", name ? name : "(null)");
	return 0;
}

int nl_veth_create(struct nl_ctx *c, const char *name, const char *peer, int peer_ns_fd,
		   struct perr *e)
{
	struct rtnl_link *l, *p;
	int r;

	if (check_ifname(name, e) < 0 || check_ifname(peer, e) < 0)
		return -1;
	l = rtnl_link_veth_alloc();
	if (!l)
		return perr_sys(e, ENOMEM, "veth %s", name);
	p = rtnl_link_veth_get_peer(l); /* takes a reference */
	rtnl_link_set_name(l, name);
	rtnl_link_set_name(p, peer);
	if (peer_ns_fd >= 0)
		rtnl_link_set_ns_fd(p, peer_ns_fd);
	/* One queue each way, on both ends, asked for at creation. Without
	 * it the kernel allocates one per possible CPU and then trims to one
	 * (veth_init_queues), and each trim of a registered device waits for
	 * an expedited RCU grace period under the RTNL (synchronize_net):
	 * measured here, 0.5-2 ms of a namespace start. */
	rtnl_link_set_num_tx_queues(l, 1);
	rtnl_link_set_num_rx_queues(l, 1);
	rtnl_link_set_num_tx_queues(p, 1);
	rtnl_link_set_num_rx_queues(p, 1);
	ctx_reset(c);
	r = rtnl_link_add(c->sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(p);
	rtnl_link_put(l); /* frees the peer with it */
	if (r < 0)
		return nl_fail(c, r, e, "create veth %s (peer %s)", name, peer);
	return 0;
}

/* One RTM_SETLINK by name. libnl's rtnl_link_change() sends ifi_change = 0,
 * which the kernel reads as "replace every flag", so build it here. */
static int link_set_flags(struct nl_ctx *c, const char *ifname, unsigned flags, unsigned change,
			  struct perr *e)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = flags, .ifi_change = change};
	struct nl_msg *m;
	int r;

	if (check_ifname(ifname, e) < 0)
		return -1;
	m = nlmsg_alloc_simple(RTM_SETLINK, 0);
	if (!m)
		return perr_sys(e, ENOMEM, "link %s", ifname);
	if (nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(m, IFLA_IFNAME, ifname) < 0) {
		nlmsg_free(m);
		return perr_sys(e, ENOMEM, "link %s", ifname);
	}
	ctx_reset(c);
	r = nl_send_sync(c->sk, m); /* frees m */
	if (r < 0)
		return nl_fail(c, r, e, "set link %s %s", ifname, flags & IFF_UP ? "up" : "down");
	return 0;
}

int nl_link_up(struct nl_ctx *c, const char *ifname, struct perr *e)
{
	return link_set_flags(c, ifname, IFF_UP, IFF_UP, e);
}

int nl_link_down(struct nl_ctx *c, const char *ifname, struct perr *e)
{
	return link_set_flags(c, ifname, 0, IFF_UP, e);
}

static int link_wait_oper_up(struct nl_ctx *c, const char *ifname, uint64_t deadline,
			     int timeout_ms, struct perr *e)
{
	unsigned delay_us = 20;

	for (;;) {
		struct rtnl_link *l = NULL;
		int r;
		uint8_t op;

		ctx_reset(c);
		/* RTM_GETLINK of one link also runs its pending link-watch
		 * event (carrier, qdisc activation) on current kernels. */
		r = rtnl_link_get_kernel(c->sk, 0, ifname, &l);
		if (r < 0)
			return nl_fail(c, r, e, "link %s", ifname);
		op = rtnl_link_get_operstate(l);
		rtnl_link_put(l);
		if (op == IF_OPER_UP)
			return 0;
		if (util_now_ns() >= deadline)
			return perr_sys(e, ETIMEDOUT, "link %s: not up after %d ms (operstate %u)",
					ifname, timeout_ms, op);
		usleep(delay_us);
		if (delay_us < 2000)
			delay_us *= 2;
	}
}

/* IPv6 state of one link: unicast addresses, and multicast groups joined. */
#define V6_MAX 32
struct v6_state {
	int ifindex;
	bool tentative;
	int nuni, nmc;
	unsigned char uni[V6_MAX][16];
	unsigned char mc[V6_MAX][16];
};

static int v6_msg(struct nl_msg *m, void *arg)
{
	struct v6_state *st = arg;
	struct nlmsghdr *h = nlmsg_hdr(m);
	struct ifaddrmsg *ifa = nlmsg_data(h);
	struct nlattr *tb[IFA_MAX + 1];
	uint32_t flags;

	if (nlmsg_parse(h, sizeof(*ifa), tb, IFA_MAX, NULL) < 0 || ifa->ifa_family != AF_INET6 ||
	    (int)ifa->ifa_index != st->ifindex)
		return NL_OK;
	if (tb[IFA_MULTICAST] && nla_len(tb[IFA_MULTICAST]) == 16) {
		if (st->nmc < V6_MAX)
			memcpy(st->mc[st->nmc++], nla_data(tb[IFA_MULTICAST]), 16);
		return NL_OK;
	}
	if (!tb[IFA_ADDRESS] || nla_len(tb[IFA_ADDRESS]) != 16)
		return NL_OK;
	flags = tb[IFA_FLAGS] ? nla_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	if (flags & IFA_F_TENTATIVE)
		st->tentative = true;
	if (st->nuni < V6_MAX)
		memcpy(st->uni[st->nuni++], nla_data(tb[IFA_ADDRESS]), 16);
	return NL_OK;
}

static int v6_dump(struct nl_ctx *c, int type, struct v6_state *st)
{
	struct ifaddrmsg ifa = {.ifa_family = AF_INET6, .ifa_index = (unsigned)st->ifindex};
	struct nl_cb *base = nl_socket_get_cb(c->sk), *cb;
	int r;

	cb = base ? nl_cb_clone(base) : NULL;
	if (base)
		nl_cb_put(base);
	if (!cb)
		return -NLE_NOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, v6_msg, st);
	ctx_reset(c);
	r = nl_send_simple(c->sk, type, NLM_F_DUMP, &ifa, sizeof(ifa));
	if (r >= 0)
		r = nl_recvmsgs(c->sk, cb);
	nl_cb_put(cb);
	return r < 0 ? r : 0;
}

/* Every v6 address is out of DAD and its solicited-node group is joined
 * (the join happens in the kernel's DAD work, even for NODAD addresses:
 * until then neighbour solicitations for it are dropped and the first
 * connection stalls for a retransmission, about one second). */
static bool v6_ready(const struct v6_state *st)
{
	if (st->tentative)
		return false;
	for (int i = 0; i < st->nuni; i++) {
		static const unsigned char sn[13] = {0xff, 0x02, 0, 0, 0, 0,   0,
						     0,	   0,	 0, 0, 1, 0xff};
		bool found = false;
		for (int j = 0; j < st->nmc && !found; j++)
			found = memcmp(st->mc[j], sn, 13) == 0 &&
				memcmp(st->mc[j] + 13, st->uni[i] + 13, 3) == 0;
		if (!found)
			return false;
	}
	return true;
}

int nl_link_queues(struct nl_ctx *c, const char *ifname, unsigned *tx, unsigned *rx)
{
	struct rtnl_link *l = NULL;
	int r;

	ctx_reset(c);
	r = rtnl_link_get_kernel(c->sk, 0, ifname, &l);
	if (r < 0)
		return c->err ? -c->err : -(nle_errno(r) ? nle_errno(r) : EIO);
	*tx = rtnl_link_get_num_tx_queues(l);
	*rx = rtnl_link_get_num_rx_queues(l);
	rtnl_link_put(l);
	return 0;
}

int nl_link_wait_ready(struct nl_ctx *c, const char *ifname, int timeout_ms, struct perr *e)
{
	uint64_t deadline = util_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
	unsigned delay_us = 20;
	struct v6_state *st;
	int idx, r;

	if (check_ifname(ifname, e) < 0)
		return -1;
	if (link_wait_oper_up(c, ifname, deadline, timeout_ms, e) < 0)
		return -1;
	if (!have_ipv6())
		return 0;
	idx = ifindex_or_fail(c, ifname, e);
	if (idx < 0)
		return -1;
	st = malloc(sizeof(*st));
	if (!st)
		return perr_sys(e, ENOMEM, "link %s", ifname);
	for (;;) {
		memset(st, 0, sizeof(*st));
		st->ifindex = idx;
		r = v6_dump(c, RTM_GETADDR, st);
		if (r >= 0)
			r = v6_dump(c, RTM_GETMULTICAST, st);
		/* The addresses change while we look (DAD ends, the group is
		 * joined): an interrupted dump is "not ready yet", not an error
		 * (seen under a slow TCG guest: "Dump inconsistency detected"). */
		if (r == -NLE_DUMP_INTR)
			r = 0, st->tentative = true;
		if (r < 0) {
			free(st);
			return nl_fail(c, r, e, "link %s: IPv6 addresses", ifname);
		}
		if (v6_ready(st))
			break;
		if (util_now_ns() >= deadline) {
			free(st);
			return perr_sys(e, ETIMEDOUT,
					"link %s: IPv6 addresses not ready after %d ms", ifname,
					timeout_ms);
		}
		usleep(delay_us);
		if (delay_us < 2000)
			delay_us *= 2;
	}
	free(st);
	return 0;
}

int nl_link_del(struct nl_ctx *c, const char *ifname, struct perr *e)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg *m;
	int r;

	if (check_ifname(ifname, e) < 0)
		return -1;
	m = nlmsg_alloc_simple(RTM_DELLINK, 0);
	if (!m)
		return perr_sys(e, ENOMEM, "delete link %s", ifname);
	if (nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(m, IFLA_IFNAME, ifname) < 0) {
		nlmsg_free(m);
		return perr_sys(e, ENOMEM, "delete link %s", ifname);
	}
	ctx_reset(c);
	r = nl_send_sync(c->sk, m);
	if (r < 0)
		return nl_fail(c, r, e, "delete link %s", ifname);
	return 0;
}

int nl_link_count(struct nl_ctx *c, const char *kind)
{
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	int r, n = 0;

	ctx_reset(c);
	r = rtnl_link_alloc_cache(c->sk, AF_UNSPEC, &cache);
	if (r < 0)
		return c->err ? -c->err : -(nle_errno(r) ? nle_errno(r) : EIO);
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		const char *t = rtnl_link_get_type((struct rtnl_link *)o);
		if (!kind || (t && strcmp(t, kind) == 0))
			n++;
	}
	nl_cache_free(cache);
	return n;
}
