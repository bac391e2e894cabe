/* nft_netlink.c - the sandbox-output ruleset as one nf_tables batch. See
 * nft_netlink.h. Each encoder below names the nft syntax it stands for;
 * the attribute order is libnftables 1.0.6's (libnftnl 1.2.4), so that a
 * dump of the kernel's rules is the same whichever engine applied them. */
#include "nft_netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_log.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/* ---- a netlink message writer on struct nft_batch ------------------------ */

struct writer {
	struct nft_batch *b;
	bool overflow;
	uint32_t seq;
};

static void *reserve(struct writer *w, size_t len)
{
	size_t aligned = NLMSG_ALIGN(len);
	void *p;

	if (w->overflow || w->b->len + aligned > sizeof(w->b->buf)) {
		w->overflow = true;
		return NULL;
	}
	p = w->b->buf + w->b->len;
	memset(p, 0, aligned);
	w->b->len += (uint32_t)aligned;
	return p;
}

/* A message with its nfgenmsg; returns its offset, for msg_end. */
static size_t msg_begin(struct writer *w, uint16_t type, uint16_t flags, uint8_t family,
			uint16_t res_id)
{
	size_t off = w->b->len;
	struct nlmsghdr *h = reserve(w, NLMSG_HDRLEN);
	struct nfgenmsg *g = reserve(w, sizeof(*g));

	if (h && g) {
		h->nlmsg_type = type;
		h->nlmsg_flags = flags;
		h->nlmsg_seq = w->seq++;
		g->nfgen_family = family;
		g->version = NFNETLINK_V0;
		g->res_id = htons(res_id);
	}
	return off;
}

static void msg_end(struct writer *w, size_t off)
{
	if (!w->overflow)
		((struct nlmsghdr *)(w->b->buf + off))->nlmsg_len = w->b->len - (uint32_t)off;
}

static void attr(struct writer *w, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = reserve(w, NLA_HDRLEN + len);

	if (!a)
		return;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	/* reserve() aligned the length; the padding is zero */
}

static void attr_str(struct writer *w, uint16_t type, const char *s)
{
	attr(w, type, s, strlen(s) + 1);
}

static void attr_be32(struct writer *w, uint16_t type, uint32_t v)
{
	v = htonl(v);
	attr(w, type, &v, sizeof(v));
}

static void attr_be64(struct writer *w, uint16_t type, uint64_t v)
{
	uint32_t be[2] = {htonl((uint32_t)(v >> 32)), htonl((uint32_t)v)};
	attr(w, type, be, sizeof(be));
}

static size_t nest_begin(struct writer *w, uint16_t type)
{
	size_t off = w->b->len;
	struct nlattr *a = reserve(w, NLA_HDRLEN);

	if (a)
		a->nla_type = type | NLA_F_NESTED;
	return off;
}

static void nest_end(struct writer *w, size_t off)
{
	if (!w->overflow)
		((struct nlattr *)(w->b->buf + off))->nla_len = (uint16_t)(w->b->len - off);
}

/* ---- expressions ----------------------------------------------------------- */

/* One element of NFTA_RULE_EXPRESSIONS: its name, then its data nest. */
static size_t expr_begin(struct writer *w, const char *name, size_t *data)
{
	size_t elem = nest_begin(w, NFTA_LIST_ELEM);
	attr_str(w, NFTA_EXPR_NAME, name);
	*data = nest_begin(w, NFTA_EXPR_DATA);
	return elem;
}

static void expr_end(struct writer *w, size_t elem, size_t data)
{
	nest_end(w, data);
	nest_end(w, elem);
}

/* meta load KEY => reg 1 */
static void expr_meta(struct writer *w, uint32_t key)
{
	size_t d, e = expr_begin(w, "meta", &d);
	attr_be32(w, NFTA_META_KEY, key);
	attr_be32(w, NFTA_META_DREG, NFT_REG_1);
	expr_end(w, e, d);
}

/* ct load KEY => reg 1 */
static void expr_ct(struct writer *w, uint32_t key)
{
	size_t d, e = expr_begin(w, "ct", &d);
	attr_be32(w, NFTA_CT_KEY, key);
	attr_be32(w, NFTA_CT_DREG, NFT_REG_1);
	expr_end(w, e, d);
}

/* payload load LEN b @ BASE + OFFSET => reg 1 */
static void expr_payload(struct writer *w, uint32_t base, uint32_t offset, uint32_t len)
{
	size_t d, e = expr_begin(w, "payload", &d);
	attr_be32(w, NFTA_PAYLOAD_DREG, NFT_REG_1);
	attr_be32(w, NFTA_PAYLOAD_BASE, base);
	attr_be32(w, NFTA_PAYLOAD_OFFSET, offset);
	attr_be32(w, NFTA_PAYLOAD_LEN, len);
	expr_end(w, e, d);
}

static void data_value(struct writer *w, uint16_t type, const void *v, size_t len)
{
	size_t n = nest_begin(w, type);
	attr(w, NFTA_DATA_VALUE, v, len);
	nest_end(w, n);
}

/* cmp OP reg 1 VALUE */
static void expr_cmp(struct writer *w, uint32_t op, const void *v, size_t len)
{
	size_t d, e = expr_begin(w, "cmp", &d);
	attr_be32(w, NFTA_CMP_SREG, NFT_REG_1);
	attr_be32(w, NFTA_CMP_OP, op);
	data_value(w, NFTA_CMP_DATA, v, len);
	expr_end(w, e, d);
}

static void expr_cmp_u8(struct writer *w, uint32_t op, uint8_t v)
{
	expr_cmp(w, op, &v, 1);
}

/* bitwise reg 1 = (reg 1 & MASK) ^ 0 */
static void expr_bitwise_and(struct writer *w, const void *mask, size_t len)
{
	static const uint8_t zero[16];
	size_t d, e = expr_begin(w, "bitwise", &d);
	attr_be32(w, NFTA_BITWISE_SREG, NFT_REG_1);
	attr_be32(w, NFTA_BITWISE_DREG, NFT_REG_1);
	attr_be32(w, NFTA_BITWISE_LEN, (uint32_t)len);
	data_value(w, NFTA_BITWISE_MASK, mask, len);
	data_value(w, NFTA_BITWISE_XOR, zero, len);
	expr_end(w, e, d);
}

/* accept */
static void expr_accept(struct writer *w)
{
	size_t d, e = expr_begin(w, "immediate", &d), v, c;
	attr_be32(w, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	v = nest_begin(w, NFTA_IMMEDIATE_DATA);
	c = nest_begin(w, NFTA_DATA_VERDICT);
	attr_be32(w, NFTA_VERDICT_CODE, NF_ACCEPT);
	nest_end(w, c);
	nest_end(w, v);
	expr_end(w, e, d);
}

/* limit rate 5/second burst 10 packets (nft.c's LOG_LIMIT) */
static void expr_log_limit(struct writer *w)
{
	size_t d, e = expr_begin(w, "limit", &d);
	attr_be64(w, NFTA_LIMIT_RATE, 5);
	attr_be64(w, NFTA_LIMIT_UNIT, 1); /* seconds */
	attr_be32(w, NFTA_LIMIT_BURST, 10);
	attr_be32(w, NFTA_LIMIT_TYPE, NFT_LIMIT_PKTS);
	attr_be32(w, NFTA_LIMIT_FLAGS, 0);
	expr_end(w, e, d);
}

/* log prefix "PFX" flags skuid */
static void expr_log(struct writer *w, const char *prefix)
{
	size_t d, e = expr_begin(w, "log", &d);
	attr_str(w, NFTA_LOG_PREFIX, prefix);
	attr_be32(w, NFTA_LOG_FLAGS, NF_LOG_UID);
	expr_end(w, e, d);
}

/* reject with icmp type port-unreachable (3) / icmpv6 type
 * port-unreachable (4): in the inet family both are NFT_REJECT_ICMP_UNREACH,
 * and the code is read for the packet's family. */
static void expr_reject_port_unreach(struct writer *w, uint8_t code)
{
	size_t d, e = expr_begin(w, "reject", &d);
	attr_be32(w, NFTA_REJECT_TYPE, NFT_REJECT_ICMP_UNREACH);
	attr(w, NFTA_REJECT_ICMP_CODE, &code, 1);
	expr_end(w, e, d);
}

/* ---- messages ------------------------------------------------------------ */

#define NFT_TYPE(m) ((uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | (m)))
#define ACKED (NLM_F_REQUEST | NLM_F_ACK)

static size_t rule_begin(struct writer *w, const char *table, const char *chain, size_t *exprs)
{
	size_t m = msg_begin(w, NFT_TYPE(NFT_MSG_NEWRULE), ACKED | NLM_F_CREATE | NLM_F_APPEND,
			     NFPROTO_INET, 0);
	attr_str(w, NFTA_RULE_TABLE, table);
	attr_str(w, NFTA_RULE_CHAIN, chain);
	*exprs = nest_begin(w, NFTA_RULE_EXPRESSIONS);
	return m;
}

static void rule_end(struct writer *w, size_t m, size_t exprs)
{
	nest_end(w, exprs);
	msg_end(w, m);
}

/* meta nfproto ipv4|ipv6 meta l4proto tcp|udp reject with icmp(v6) type
 * port-unreachable */
static void rule_reject(struct writer *w, const char *t, uint8_t nfproto, uint8_t l4proto)
{
	size_t x, m = rule_begin(w, t, "output", &x);
	expr_meta(w, NFT_META_NFPROTO);
	expr_cmp_u8(w, NFT_CMP_EQ, nfproto);
	expr_meta(w, NFT_META_L4PROTO);
	expr_cmp_u8(w, NFT_CMP_EQ, l4proto);
	expr_reject_port_unreach(w, nfproto == NFPROTO_IPV4 ? 3 : 4);
	rule_end(w, m, x);
}

int nft_netlink_encode(enum nft_ruleset rs, const struct nft_sandbox_cfg *cfg, struct nft_batch *b,
		       struct perr *e)
{
	struct nft_cmd cmds[NFT_MAX_CMDS];
	struct writer w = {.b = b};
	uint8_t addr[16];
	size_t ncmds, m, x, begin;
	const char *t = cfg->table && *cfg->table ? cfg->table : NFT_TABLE_DEFAULT;
	char pfx[64];
	bool v6;

	b->len = b->ncmds = 0;
	if (rs != NFT_RS_SANDBOX_OUTPUT || cfg->owner_ctx)
		return perr_sys(e, ENOTSUP,
				"nftables netlink encoder: only the sandbox-output "
				"ruleset without an owner table");
	/* The same validation, and the count each message must match. */
	if (nft_ruleset_cmds(rs, cfg, cmds, NFT_MAX_CMDS, &ncmds, e) < 0)
		return -1;
	v6 = inet_pton(AF_INET, cfg->host_addr, addr) != 1;
	if (v6 && inet_pton(AF_INET6, cfg->host_addr, addr) != 1)
		return perr_usage(e, "nftables: host address '%s' is not numeric", cfg->host_addr);
	nft_log_prefix(cfg, pfx, sizeof(pfx));

	begin = msg_begin(&w, NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	msg_end(&w, begin);

	/* add table inet T */
	m = msg_begin(&w, NFT_TYPE(NFT_MSG_NEWTABLE), ACKED, NFPROTO_INET, 0);
	attr_str(&w, NFTA_TABLE_NAME, t);
	attr_be32(&w, NFTA_TABLE_FLAGS, 0);
	msg_end(&w, m);

	/* flush table inet T */
	m = msg_begin(&w, NFT_TYPE(NFT_MSG_DELRULE), ACKED, NFPROTO_INET, 0);
	attr_str(&w, NFTA_RULE_TABLE, t);
	msg_end(&w, m);

	/* add chain inet T output { type filter hook output priority 0;
	 * policy accept; } */
	m = msg_begin(&w, NFT_TYPE(NFT_MSG_NEWCHAIN), ACKED | NLM_F_CREATE, NFPROTO_INET, 0);
	attr_str(&w, NFTA_CHAIN_TABLE, t);
	attr_str(&w, NFTA_CHAIN_NAME, "output");
	attr_str(&w, NFTA_CHAIN_TYPE, "filter");
	attr_be32(&w, NFTA_CHAIN_POLICY, NF_ACCEPT);
	{
		size_t h = nest_begin(&w, NFTA_CHAIN_HOOK);
		attr_be32(&w, NFTA_HOOK_HOOKNUM, NF_INET_LOCAL_OUT);
		attr_be32(&w, NFTA_HOOK_PRIORITY, 0);
		nest_end(&w, h);
	}
	msg_end(&w, m);

	/* add rule ... ip|ip6 daddr ADDR tcp dport PORT accept */
	m = rule_begin(&w, t, "output", &x);
	expr_meta(&w, NFT_META_NFPROTO);
	expr_cmp_u8(&w, NFT_CMP_EQ, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	if (v6)
		expr_payload(&w, NFT_PAYLOAD_NETWORK_HEADER, 24, 16); /* ip6 daddr */
	else
		expr_payload(&w, NFT_PAYLOAD_NETWORK_HEADER, 16, 4); /* ip daddr */
	expr_cmp(&w, NFT_CMP_EQ, addr, v6 ? 16 : 4);
	expr_meta(&w, NFT_META_L4PROTO);
	expr_cmp_u8(&w, NFT_CMP_EQ, IPPROTO_TCP);
	expr_payload(&w, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2); /* tcp dport */
	{
		uint16_t port = htons(cfg->proxy_port);
		expr_cmp(&w, NFT_CMP_EQ, &port, sizeof(port));
	}
	expr_accept(&w);
	rule_end(&w, m, x);

	/* add rule ... oifname lo accept (an IFNAMSIZ string compare) */
	m = rule_begin(&w, t, "output", &x);
	expr_meta(&w, NFT_META_OIFNAME);
	{
		char lo[16] = "lo";
		expr_cmp(&w, NFT_CMP_EQ, lo, sizeof(lo));
	}
	expr_accept(&w);
	rule_end(&w, m, x);

	/* add rule ... ct state established,related accept */
	m = rule_begin(&w, t, "output", &x);
	expr_ct(&w, NFT_CT_STATE);
	{
		/* the ct state bits are host-endian (NF_CT_STATE_BIT) */
		uint32_t est_rel = (1u << 1) | (1u << 2), zero = 0;
		expr_bitwise_and(&w, &est_rel, sizeof(est_rel));
		expr_cmp(&w, NFT_CMP_NEQ, &zero, sizeof(zero));
	}
	expr_accept(&w);
	rule_end(&w, m, x);

	/* add rule ... tcp flags syn limit ... log prefix "PFX" flags skuid */
	m = rule_begin(&w, t, "output", &x);
	expr_meta(&w, NFT_META_L4PROTO);
	expr_cmp_u8(&w, NFT_CMP_EQ, IPPROTO_TCP);
	expr_payload(&w, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1); /* tcp flags */
	{
		uint8_t syn = 0x02;
		expr_bitwise_and(&w, &syn, 1);
		expr_cmp_u8(&w, NFT_CMP_NEQ, 0);
	}
	expr_log_limit(&w);
	expr_log(&w, pfx);
	rule_end(&w, m, x);

	rule_reject(&w, t, NFPROTO_IPV4, IPPROTO_TCP);
	rule_reject(&w, t, NFPROTO_IPV6, IPPROTO_TCP);

	/* add rule ... meta l4proto udp limit ... log prefix "PFX" flags skuid */
	m = rule_begin(&w, t, "output", &x);
	expr_meta(&w, NFT_META_L4PROTO);
	expr_cmp_u8(&w, NFT_CMP_EQ, IPPROTO_UDP);
	expr_log_limit(&w);
	expr_log(&w, pfx);
	rule_end(&w, m, x);

	rule_reject(&w, t, NFPROTO_IPV4, IPPROTO_UDP);
	rule_reject(&w, t, NFPROTO_IPV6, IPPROTO_UDP);

	m = msg_begin(&w, NFNL_MSG_BATCH_END, NLM_F_REQUEST, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	msg_end(&w, m);

	if (w.overflow)
		return perr_set(e, "nftables netlink encoder: batch over %d bytes", NFT_BATCH_MAX);
	b->ncmds = w.seq - 2; /* without the begin and end markers */
	if (b->ncmds != ncmds)
		return perr_set(e,
				"nftables netlink encoder: %u messages for %zu commands (nft.c "
				"and nft_netlink.c disagree)",
				b->ncmds, ncmds);
	return 0;
}

/* ---- apply --------------------------------------------------------------- */

/* The extended ack's message, if the kernel sent one. */
static void ext_ack_text(const struct nlmsghdr *h, char *out, size_t len)
{
	const struct nlmsgerr *err = NLMSG_DATA(h);
	size_t off = NLMSG_HDRLEN + sizeof(*err); /* NETLINK_CAP_ACK: no payload copy */
	const struct nlattr *a;

	out[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	while (off + NLA_HDRLEN <= h->nlmsg_len) {
		a = (const struct nlattr *)((const uint8_t *)h + off);
		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > h->nlmsg_len)
			return;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			snprintf(out, len, "%.*s", (int)(a->nla_len - NLA_HDRLEN),
				 (const char *)a + NLA_HDRLEN);
			return;
		}
		off += NLA_ALIGN(a->nla_len);
	}
}

/* One datagram of answers: each NLMSG_ERROR counts (an error, or the ack of
 * command seq); anything the kernel would never send is a failure. */
struct answers {
	uint32_t ncmds, nacked;
	uint8_t acked[NFT_MAX_CMDS + 2];
	long bad;      /* the refused command's index, -1: the batch */
	int bad_errno; /* 0: none yet */
	char why[256];
};

static void answers_fail(struct answers *a, long cmd, int err)
{
	if (a->bad_errno)
		return; /* the first one is reported */
	a->bad = cmd;
	a->bad_errno = err;
}

static void answers_read(struct answers *a, const uint8_t *buf, size_t len)
{
	/* A signed length: NLMSG_NEXT subtracts the aligned length, which
	 * may be more than what is left after the last message. */
	int left = (int)len;

	for (const struct nlmsghdr *h = (const void *)buf; NLMSG_OK(h, left);
	     h = NLMSG_NEXT(h, left)) {
		const struct nlmsgerr *err = NLMSG_DATA(h);
		uint32_t seq = h->nlmsg_seq;
		bool cmd = seq >= 1 && seq <= a->ncmds;

		if (h->nlmsg_type != NLMSG_ERROR) {
			answers_fail(a, -1, EPROTO); /* no data is asked for */
			continue;
		}
		if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(*err)) {
			answers_fail(a, -1, EPROTO);
			continue;
		}
		if (err->error != 0) {
			if (!a->bad_errno)
				ext_ack_text(h, a->why, sizeof(a->why));
			/* seq 0 (the begin marker) or beyond: the batch as a
			 * whole (refused, or its commit failed) */
			answers_fail(a, cmd ? (long)seq - 1 : -1,
				     err->error < 0 ? -err->error : EPROTO);
			continue;
		}
		if (cmd && !a->acked[seq]) {
			a->acked[seq] = 1;
			a->nacked++;
		}
	}
	if (left != 0)
		answers_fail(a, -1, EPROTO); /* a truncated message */
}

int nft_netlink_answers(int fd, uint32_t ncmds, long *failed_cmd, struct perr *e)
{
	struct answers a = {.ncmds = ncmds, .bad = -1};
	union {
		struct nlmsghdr h;
		uint8_t raw[8192];
	} rx;

	*failed_cmd = -1;
	if (ncmds == 0 || ncmds > NFT_MAX_CMDS)
		return perr_set(e, "nftables netlink: %u commands", ncmds);
	/* The kernel handles the batch inside sendto(): every answer is queued
	 * by then, and all of it is read, even after the last ack (a commit
	 * that fails answers on the begin marker, in any order). The wait
	 * only bounds a batch answered short. */
	while (!a.bad_errno) {
		struct sockaddr_nl from;
		socklen_t flen = sizeof(from);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;
		int pr;

		r = recvfrom(fd, rx.raw, sizeof(rx.raw), MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &flen);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			if (a.nacked == ncmds)
				break; /* everything answered, nothing more queued */
			pr = poll(&p, 1, 1000);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr <= 0)
				break;
			continue;
		}
		if (r <= 0) {
			answers_fail(&a, -1, r < 0 ? errno : EPROTO);
			break;
		}
		if ((size_t)r > sizeof(rx.raw)) {
			answers_fail(&a, -1, EMSGSIZE);
			break;
		}
		/* Only the kernel (port 0) answers; a datagram from anyone else
		 * in this netns is not an answer. */
		if (flen >= sizeof(from) && from.nl_family == AF_NETLINK && from.nl_pid != 0)
			continue;
		answers_read(&a, rx.raw, (size_t)r);
	}
	if (!a.bad_errno && a.nacked == ncmds)
		return 0;
	*failed_cmd = a.bad;
	if (!a.bad_errno)
		return perr_set(e, "nftables netlink: %u of %u commands answered", a.nacked, ncmds);
	if (a.bad >= 0)
		return perr_sys(e, a.bad_errno, "nftables netlink: command %ld refused%s%s",
				a.bad + 1, a.why[0] ? ": " : "", a.why);
	return perr_sys(e, a.bad_errno, "nftables netlink: the batch refused%s%s",
			a.why[0] ? ": " : "", a.why);
}

int nft_netlink_apply(const struct nft_batch *b, long *failed_cmd, struct perr *e)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	int one = 1, fd, rc;

	*failed_cmd = -1;
	if (b->ncmds == 0 || b->ncmds > NFT_MAX_CMDS)
		return perr_set(e, "nftables netlink: an empty or oversized batch");
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return perr_sys(e, errno, "nftables netlink: socket(NETLINK_NETFILTER)");
	/* Short acks (not a copy of each request), with the kernel's text. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (sendto(fd, b->buf, b->len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) !=
	    (ssize_t)b->len) {
		int err = errno;
		close(fd);
		return perr_sys(e, err, "nftables netlink: sending the batch");
	}
	rc = nft_netlink_answers(fd, b->ncmds, failed_cmd, e);
	close(fd);
	return rc;
}
