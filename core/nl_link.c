/* nl_link.c - links over rtnetlink (see nl.h): veth pairs, up and down,
 * readiness (operstate, and IPv6 addresses out of DAD with their
 * solicited-node groups joined), queue counts, deletion and counting. */
#include "nl.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/socket.h>

#include "nl_int.h"
#include "util.h"

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
	nl_ctx_reset(c);
	r = rtnl_link_add(c->sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(p);
	rtnl_link_put(l); /* frees the peer with it */
	if (r < 0)
		return nl_ctx_fail(c, r, e, "create veth %s (peer %s)", name, peer);
	return 0;
}

/* One request on a link named ifname: an ifinfomsg and IFLA_IFNAME, sent
 * and acknowledged. what: the step, for errors ("set link eth0 up"). */
static int link_request(struct nl_ctx *c, int type, const char *ifname, unsigned flags,
			unsigned change, const char *what, struct perr *e)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = flags, .ifi_change = change};
	struct nl_msg *m;
	int r;

	if (check_ifname(ifname, e) < 0)
		return -1;
	m = nlmsg_alloc_simple(type, 0);
	if (!m)
		return perr_sys(e, ENOMEM, "%s", what);
	if (nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(m, IFLA_IFNAME, ifname) < 0) {
		nlmsg_free(m);
		return perr_sys(e, ENOMEM, "%s", what);
	}
	nl_ctx_reset(c);
	r = nl_send_sync(c->sk, m); /* frees m */
	if (r < 0)
		return nl_ctx_fail(c, r, e, "%s", what);
	return 0;
}

/* One RTM_SETLINK by name. libnl's rtnl_link_change() sends ifi_change = 0,
 * which the kernel reads as "replace every flag", so build it here. */
static int link_set_flags(struct nl_ctx *c, const char *ifname, unsigned flags, unsigned change,
			  struct perr *e)
{
	char what[64];

	snprintf(what, sizeof(what), "set link %s %s", ifname ? ifname : "(null)",
		 flags & IFF_UP ? "up" : "down");
	return link_request(c, RTM_SETLINK, ifname, flags, change, what, e);
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

		nl_ctx_reset(c);
		/* RTM_GETLINK of one link also runs its pending link-watch
		 * event (carrier, qdisc activation) on current kernels. */
		r = rtnl_link_get_kernel(c->sk, 0, ifname, &l);
		if (r < 0)
			return nl_ctx_fail(c, r, e, "link %s", ifname);
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
	nl_ctx_reset(c);
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

	nl_ctx_reset(c);
	r = rtnl_link_get_kernel(c->sk, 0, ifname, &l);
	if (r < 0)
		return c->err ? -c->err : -(nl_errno_of_nle(r) ? nl_errno_of_nle(r) : EIO);
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
	if (!nl_have_ipv6())
		return 0;
	idx = nl_ifindex_or_fail(c, ifname, e);
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
			return nl_ctx_fail(c, r, e, "link %s: IPv6 addresses", ifname);
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
	char what[64];

	snprintf(what, sizeof(what), "delete link %s", ifname ? ifname : "(null)");
	return link_request(c, RTM_DELLINK, ifname, 0, 0, what, e);
}

int nl_link_count(struct nl_ctx *c, const char *kind)
{
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	int r, n = 0;

	nl_ctx_reset(c);
	r = rtnl_link_alloc_cache(c->sk, AF_UNSPEC, &cache);
	if (r < 0)
		return c->err ? -c->err : -(nl_errno_of_nle(r) ? nl_errno_of_nle(r) : EIO);
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		const char *t = rtnl_link_get_type((struct rtnl_link *)o);
		if (!kind || (t && strcmp(t, kind) == 0))
			n++;
	}
	nl_cache_free(cache);
	return n;
}
