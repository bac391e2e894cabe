/* test_nft.c - nftables ruleset generation (no root): order and content as
 * the reference (openshell-reference.md §1.2), both placements, validation;
 * plus the netlink name helper. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <unistd.h>

#include "enforcer/netns.h"
#include "enforcer/nft.h"
#include "enforcer/nft_netlink.h"
#include "nl.h"
#include "unit.h"
#include "util.h"

static const struct nft_sandbox_cfg ref_cfg = {
    .host_addr = "10.200.0.1",
    .proxy_port = 3128,
};

/* U-HEAD generate_bypass_commands, table renamed, log prefix ours. */
static const struct {
	const char *text;
	bool required;
} ref_output[] = {
    {"add table inet parity", true},
    {"flush table inet parity", true},
    {"add chain inet parity output { type filter hook output priority 0; policy accept; }", true},
    {"add rule inet parity output ip daddr 10.200.0.1 tcp dport 3128 accept", true},
    {"add rule inet parity output oifname lo accept", true},
    {"add rule inet parity output ct state established,related accept", false},
    {"add rule inet parity output tcp flags syn limit rate 5/second burst 10 packets log prefix "
     "\"parity:bypass:\" flags skuid",
     false},
    {"add rule inet parity output meta nfproto ipv4 meta l4proto tcp reject with icmp type "
     "port-unreachable",
     true},
    {"add rule inet parity output meta nfproto ipv6 meta l4proto tcp reject with icmpv6 type "
     "port-unreachable",
     true},
    {"add rule inet parity output meta l4proto udp limit rate 5/second burst 10 packets log "
     "prefix \"parity:bypass:\" flags skuid",
     false},
    {"add rule inet parity output meta nfproto ipv4 meta l4proto udp reject with icmp type "
     "port-unreachable",
     true},
    {"add rule inet parity output meta nfproto ipv6 meta l4proto udp reject with icmpv6 type "
     "port-unreachable",
     true},
};

static size_t find(const struct nft_cmd *c, size_t n, const char *needle)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(c[i].text, needle))
			return i;
	return (size_t)-1;
}

static size_t count(const struct nft_cmd *c, size_t n, const char *needle)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += strstr(c[i].text, needle) != NULL;
	return k;
}

/* A worker that neither answers nor dies (stopped: Ctrl-Z, a debugger)
 * fails the start after its timeout instead of holding it for ever: for
 * the netns, and for the table's results. The worker's end of the socket
 * is held here, silent. */
static void test_worker_silent_times_out(void)
{
	struct nft_rule_result res[NFT_MAX_CMDS];
	struct nft_worker w;
	struct perr e;
	int sv[2], ns_fd = -1;
	size_t n;
	double t0;

	perr_clear(&e);
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	memset(&w, 0, sizeof(w));
	w.pid = -1;
	w.peer = -1;
	w.sock = sv[0];
	w.flags = NFT_WORKER_NEW_NETNS | NFT_WORKER_PRESET;
	w.timeout_ms = 100;
	t0 = util_now_ms();
	CU_ASSERT_EQUAL(nft_worker_take_netns(&w, &ns_fd, &e), -1);
	CU_ASSERT(util_now_ms() - t0 >= 90 && util_now_ms() - t0 < 2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "no netns after 100 ms"));
	CU_ASSERT_EQUAL(ns_fd, -1);

	perr_clear(&e);
	t0 = util_now_ms();
	CU_ASSERT_EQUAL(nft_worker_finish(&w, res, NFT_MAX_CMDS, &n, &e), -1);
	CU_ASSERT(util_now_ms() - t0 >= 90 && util_now_ms() - t0 < 2000);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "no results after 100 ms"));
	CU_ASSERT_EQUAL(w.sock, -1);
	close(sv[1]);
}

static void test_output_matches_reference_exactly(void)
{
	struct nft_cmd c[NFT_MAX_CMDS];
	struct perr e;
	size_t n = 0;

	perr_clear(&e);
	CU_ASSERT_EQUAL_FATAL(
	    nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &ref_cfg, c, NFT_MAX_CMDS, &n, &e), 0);
	CU_ASSERT_EQUAL_FATAL(n, ARRAY_SIZE(ref_output));
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_STRING_EQUAL(c[i].text, ref_output[i].text);
		CU_ASSERT_EQUAL(c[i].required, ref_output[i].required);
	}
}

static void test_output_proxy_accept_pins_address_and_port(void)
{
	struct nft_cmd c[NFT_MAX_CMDS];
	struct perr e;
	size_t n = 0, accept_idx, first_reject;

	CU_ASSERT_EQUAL_FATAL(
	    nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &ref_cfg, c, NFT_MAX_CMDS, &n, &e), 0);
	/* exactly one rule mentions the proxy port, and it names the address */
	CU_ASSERT_EQUAL(count(c, n, "dport"), 1);
	accept_idx = find(c, n, "tcp dport 3128 accept");
	CU_ASSERT_FATAL(accept_idx != (size_t)-1);
	CU_ASSERT(strstr(c[accept_idx].text, "ip daddr 10.200.0.1 tcp dport 3128 accept") != NULL);
	CU_ASSERT(c[accept_idx].required);
	/* every accept comes before every reject */
	first_reject = find(c, n, "reject");
	for (size_t i = first_reject; i < n; i++)
		CU_ASSERT(strstr(c[i].text, " accept") == NULL);
	CU_ASSERT(accept_idx < first_reject);
}

static void test_output_v4_v6_rejects(void)
{
	struct nft_cmd c[NFT_MAX_CMDS];
	struct perr e;
	size_t n = 0;
	static const char *const want[] = {
	    "meta nfproto ipv4 meta l4proto tcp reject with icmp type port-unreachable",
	    "meta nfproto ipv6 meta l4proto tcp reject with icmpv6 type port-unreachable",
	    "meta nfproto ipv4 meta l4proto udp reject with icmp type port-unreachable",
	    "meta nfproto ipv6 meta l4proto udp reject with icmpv6 type port-unreachable",
	};

	CU_ASSERT_EQUAL_FATAL(
	    nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &ref_cfg, c, NFT_MAX_CMDS, &n, &e), 0);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		size_t k = find(c, n, want[i]);
		CU_ASSERT(k != (size_t)-1);
		if (k != (size_t)-1)
			CU_ASSERT(c[k].required);
	}
	/* tcp rejects before udp rejects, v4 before v6, as in the reference */
	CU_ASSERT(find(c, n, want[0]) < find(c, n, want[1]));
	CU_ASSERT(find(c, n, want[1]) < find(c, n, want[2]));
	CU_ASSERT(find(c, n, want[2]) < find(c, n, want[3]));
}

static void test_output_ipv6_host_and_log_tag(void)
{
	struct nft_sandbox_cfg cfg = {.host_addr = "fd00:200::1",
				      .proxy_port = 8080,
				      .log_tag = "cell-7",
				      .table = "parity_t2"};
	struct nft_cmd c[NFT_MAX_CMDS];
	struct perr e;
	size_t n = 0;

	CU_ASSERT_EQUAL_FATAL(
	    nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &cfg, c, NFT_MAX_CMDS, &n, &e), 0);
	CU_ASSERT_STRING_EQUAL(
	    c[3].text,
	    "add rule inet parity_t2 output ip6 daddr fd00:200::1 tcp dport 8080 accept");
	CU_ASSERT_EQUAL(count(c, n, "log prefix \"parity:bypass:cell-7:\" flags skuid"), 2);
	CU_ASSERT_EQUAL(count(c, n, "inet parity_t2"), n);
}

static void test_forward_placement(void)
{
	struct nft_sandbox_cfg cfg = ref_cfg;
	struct nft_cmd c[NFT_MAX_CMDS];
	struct perr e;
	size_t n = 0, in_hook, fwd_hook, jump_in, jump_fwd, drop, first_in_rule;

	cfg.table = "parity_pvh0011aabb";
	cfg.host_if = "pvh0011aabb";
	CU_ASSERT_EQUAL_FATAL(
	    nft_ruleset_cmds(NFT_RS_SUPERVISOR_FORWARD, &cfg, c, NFT_MAX_CMDS, &n, &e), 0);
	CU_ASSERT_STRING_EQUAL(c[0].text, "add table inet parity_pvh0011aabb");
	CU_ASSERT_STRING_EQUAL(c[1].text, "flush table inet parity_pvh0011aabb");
	/* nothing hooks into the stack before the regular chains are complete */
	in_hook = find(c, n, "hook input");
	fwd_hook = find(c, n, "hook forward");
	jump_in = find(c, n, "jump sandbox_in");
	jump_fwd = find(c, n, "jump sandbox_fwd");
	drop = find(c, n, "sandbox_in drop");
	CU_ASSERT_FATAL(in_hook != (size_t)-1 && fwd_hook != (size_t)-1);
	CU_ASSERT_FATAL(jump_in != (size_t)-1 && jump_fwd != (size_t)-1 && drop != (size_t)-1);
	CU_ASSERT_EQUAL(jump_fwd, n - 1);
	CU_ASSERT_EQUAL(jump_in, n - 2);
	for (size_t i = 0; i < in_hook; i++)
		CU_ASSERT(strstr(c[i].text, "hook") == NULL);
	CU_ASSERT(strstr(c[jump_in].text, "input iifname \"pvh0011aabb\" jump sandbox_in") != NULL);
	CU_ASSERT(strstr(c[jump_fwd].text, "forward iifname \"pvh0011aabb\" jump sandbox_fwd") !=
		  NULL);
	CU_ASSERT(c[jump_in].required && c[jump_fwd].required && c[drop].required);
	/* input: the proxy accept (address and port) is the first rule */
	first_in_rule = find(c, n, "add rule inet parity_pvh0011aabb sandbox_in");
	CU_ASSERT_STRING_EQUAL(
	    c[first_in_rule].text,
	    "add rule inet parity_pvh0011aabb sandbox_in ip daddr 10.200.0.1 tcp "
	    "dport 3128 accept");
	CU_ASSERT_EQUAL(count(c, n, "dport"), 1);
	/* ...and the last one of sandbox_in is the drop */
	CU_ASSERT(find(c, n, "add chain inet parity_pvh0011aabb sandbox_fwd") == drop + 1);
	/* v4 and v6 rejects of tcp (reset: not ICMP-rate-limited) and udp in
	 * both chains */
	for (int k = 0; k < 2; k++) {
		const char *ch = k ? "sandbox_fwd" : "sandbox_in";
		char buf[200];
		static const char *const r[] = {
		    "meta nfproto ipv4 meta l4proto tcp reject with tcp reset",
		    "meta nfproto ipv6 meta l4proto tcp reject with tcp reset",
		    "meta nfproto ipv4 meta l4proto udp reject with icmp type port-unreachable",
		    "meta nfproto ipv6 meta l4proto udp reject with icmpv6 type "
		    "port-unreachable",
		};
		for (size_t i = 0; i < ARRAY_SIZE(r); i++) {
			snprintf(buf, sizeof(buf), "%s %s", ch, r[i]);
			CU_ASSERT_EQUAL(count(c, n, buf), 1);
		}
	}
	/* the forward chain has no accept for the proxy nor lo */
	CU_ASSERT_EQUAL(count(c, n, "sandbox_fwd ip daddr"), 0);
	CU_ASSERT_EQUAL(count(c, n, "oifname lo"), 0);
}

static void test_validation_rejects_injection(void)
{
	struct nft_cmd c[NFT_MAX_CMDS];
	struct nft_sandbox_cfg cfg = ref_cfg;
	struct perr e;
	size_t n = 99;

	cfg.host_addr = "10.200.0.1 tcp dport 1-65535 accept; flush ruleset";
	CU_ASSERT_EQUAL(nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &cfg, c, NFT_MAX_CMDS, &n, &e), -1);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	cfg = ref_cfg;
	cfg.log_tag = "x\" accept #";
	CU_ASSERT_EQUAL(nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &cfg, c, NFT_MAX_CMDS, &n, &e), -1);
	cfg = ref_cfg;
	cfg.table = "parity; flush ruleset";
	CU_ASSERT_EQUAL(nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &cfg, c, NFT_MAX_CMDS, &n, &e), -1);
	/* names both engines read alike only: "tcp" is an nft keyword
	 * (libnftables refuses it, a netlink batch would not) */
	cfg = ref_cfg;
	cfg.table = "tcp";
	CU_ASSERT_EQUAL(nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &cfg, c, NFT_MAX_CMDS, &n, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	cfg.table = "parityx";
	CU_ASSERT_EQUAL(nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &cfg, c, NFT_MAX_CMDS, &n, &e), -1);
	cfg.table = "parity_x";
	CU_ASSERT_EQUAL(nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &cfg, c, NFT_MAX_CMDS, &n, &e), 0);
	/* an IPv6 address with an IPv4 tail: inet_pton reads it, nft does not */
	cfg = ref_cfg;
	cfg.host_addr = "64:ff9b::1.2.3.4";
	CU_ASSERT_EQUAL(nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &cfg, c, NFT_MAX_CMDS, &n, &e), -1);
	cfg = ref_cfg;
	cfg.proxy_port = 0;
	CU_ASSERT_EQUAL(nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &cfg, c, NFT_MAX_CMDS, &n, &e), -1);
	cfg = ref_cfg;
	CU_ASSERT_EQUAL(nft_ruleset_cmds(NFT_RS_SUPERVISOR_FORWARD, &cfg, c, NFT_MAX_CMDS, &n, &e),
			-1); /* no host_if */
	cfg.host_if = "eth0\" accept";
	CU_ASSERT_EQUAL(nft_ruleset_cmds(NFT_RS_SUPERVISOR_FORWARD, &cfg, c, NFT_MAX_CMDS, &n, &e),
			-1);
	cfg.host_if = "averyveryverylongname";
	CU_ASSERT_EQUAL(nft_ruleset_cmds(NFT_RS_SUPERVISOR_FORWARD, &cfg, c, NFT_MAX_CMDS, &n, &e),
			-1);
	/* too little room */
	CU_ASSERT_EQUAL(nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &ref_cfg, c, 5, &n, &e), -1);
}

static void test_ruleset_text(void)
{
	char buf[8192], small[64];
	struct perr e;
	size_t lines = 0;
	char *line, *save = NULL;

	CU_ASSERT_EQUAL_FATAL(
	    nft_ruleset_text(NFT_RS_SANDBOX_OUTPUT, &ref_cfg, buf, sizeof(buf), &e), 0);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		CU_ASSERT_STRING_EQUAL(line + 2, ref_output[lines].text);
		CU_ASSERT_EQUAL(line[0], ref_output[lines].required ? 'R' : 'O');
		CU_ASSERT_EQUAL(line[1], ' ');
		lines++;
	}
	CU_ASSERT_EQUAL(lines, ARRAY_SIZE(ref_output));
	CU_ASSERT_EQUAL(nft_ruleset_text(NFT_RS_SANDBOX_OUTPUT, &ref_cfg, small, sizeof(small), &e),
			-1);
}

static void test_pod_nat_text(void)
{
	struct nft_pod_cfg cfg = {.subnet = "10.200.0.0/24", .uplink = "eth0"};
	char buf[2048];
	struct perr e;

	CU_ASSERT_EQUAL_FATAL(nft_pod_nat_text(&cfg, buf, sizeof(buf), &e), 0);
	CU_ASSERT(strstr(buf, "add table ip parity_pod\n") == buf);
	CU_ASSERT(strstr(buf, "type nat hook postrouting priority 100;") != NULL);
	CU_ASSERT(strstr(buf, "add rule ip parity_pod postrouting ip saddr 10.200.0.0/24 oifname "
			      "\"eth0\" masquerade\n") != NULL);
	CU_ASSERT(strstr(buf, "add rule ip parity_pod forward ip saddr 10.200.0.0/24 accept\n") !=
		  NULL);
	cfg.subnet = "10.200.0.0";
	CU_ASSERT_EQUAL(nft_pod_nat_text(&cfg, buf, sizeof(buf), &e), -1);
	cfg.subnet = "fd00::/64";
	CU_ASSERT_EQUAL(nft_pod_nat_text(&cfg, buf, sizeof(buf), &e), -1);
	cfg.subnet = "10.200.0.0/24";
	cfg.uplink = "eth0 masquerade";
	CU_ASSERT_EQUAL(nft_pod_nat_text(&cfg, buf, sizeof(buf), &e), -1);
}

static void test_ifname_unique(void)
{
	char a[NL_IFNAMSIZ], b[NL_IFNAMSIZ], c[NL_IFNAMSIZ];

	nl_ifname_unique(a, "pvh");
	nl_ifname_unique(b, "pvh");
	nl_ifname_unique(c, "averylongprefix");
	CU_ASSERT_EQUAL(strlen(a), 11);
	CU_ASSERT(strncmp(a, "pvh", 3) == 0);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(strlen(c), NL_IFNAMSIZ - 1);
	CU_ASSERT(strncmp(c, "averylo", 7) == 0);
}

static void test_netns_defaults(void)
{
	struct netns_cfg cfg;
	struct netns_sandbox sb;

	netns_cfg_init(&cfg);
	CU_ASSERT_STRING_EQUAL(cfg.host_addr, "10.200.0.1");
	CU_ASSERT_STRING_EQUAL(cfg.sandbox_addr, "10.200.0.2");
	CU_ASSERT_EQUAL(cfg.prefix_len, 24);
	CU_ASSERT_EQUAL(cfg.proxy_port, 3128);
	CU_ASSERT_EQUAL(cfg.nft, NFT_SANDBOX_OUTPUT);
	CU_ASSERT_FALSE(cfg.nft_optional);
	/* teardown of a zeroed or never set up sandbox is a no-op */
	memset(&sb, 0, sizeof(sb));
	CU_ASSERT_EQUAL(netns_teardown(&sb, NULL), 0);
	CU_ASSERT_EQUAL(netns_teardown(NULL, NULL), 0);
	CU_ASSERT_STRING_EQUAL(netns_step_status_name(NETNS_STEP_SKIPPED), "skipped");
}

/* ---- the netlink engine's batch (nft_netlink.h); the lab compares what
 * it puts into the kernel with what libnftables does (nft-netlink) ---- */

/* Every attribute of [p, p+len) fits its parent; nested ones recursively.
 * Returns false on the first that does not. */
static bool attrs_well_formed(const uint8_t *p, size_t len, int depth)
{
	size_t off = 0;

	while (off < len) {
		const struct nlattr *a = (const struct nlattr *)(p + off);
		if (len - off < NLA_HDRLEN || a->nla_len < NLA_HDRLEN || a->nla_len > len - off)
			return false;
		if ((a->nla_type & NLA_F_NESTED) &&
		    (depth > 8 ||
		     !attrs_well_formed(p + off + NLA_HDRLEN, a->nla_len - NLA_HDRLEN, depth + 1)))
			return false;
		off += NLA_ALIGN(a->nla_len);
	}
	return off == len;
}

static bool has_bytes(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return true;
	return false;
}

/* The i-th message of b (0: the batch's begin marker), or NULL. */
static const struct nlmsghdr *batch_msg(const struct nft_batch *b, size_t i)
{
	size_t off = 0;

	for (size_t k = 0; off + NLMSG_HDRLEN <= b->len; k++) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)(b->buf + off);
		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > b->len - off)
			return NULL;
		if (k == i)
			return h;
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
	return NULL;
}

static void test_netlink_batch_shape(void)
{
	static struct nft_batch b;
	struct nft_cmd c[NFT_MAX_CMDS];
	struct perr e;
	size_t n = 0, total = 0;
	const struct nlmsghdr *h;

	perr_clear(&e);
	CU_ASSERT_EQUAL_FATAL(nft_netlink_encode(NFT_RS_SANDBOX_OUTPUT, &ref_cfg, &b, &e), 0);
	CU_ASSERT_EQUAL_FATAL(
	    nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &ref_cfg, c, NFT_MAX_CMDS, &n, &e), 0);
	/* one message per command, between the begin and end markers */
	CU_ASSERT_EQUAL(b.ncmds, n);
	h = batch_msg(&b, 0);
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT_EQUAL(h->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	for (size_t i = 0; i < n + 2; i++) {
		h = batch_msg(&b, i);
		CU_ASSERT_FATAL(h != NULL);
		total += NLMSG_ALIGN(h->nlmsg_len);
		CU_ASSERT(attrs_well_formed((const uint8_t *)h + NLMSG_HDRLEN + 4,
					    h->nlmsg_len - NLMSG_HDRLEN - 4, 0));
		if (i == 0 || i == n + 1)
			continue;
		/* every command asks for its answer, numbered as the command */
		CU_ASSERT(h->nlmsg_flags & NLM_F_ACK);
		CU_ASSERT_EQUAL(h->nlmsg_seq, i);
		CU_ASSERT_EQUAL(h->nlmsg_type >> 8, NFNL_SUBSYS_NFTABLES);
	}
	CU_ASSERT_EQUAL(batch_msg(&b, n + 1)->nlmsg_type, NFNL_MSG_BATCH_END);
	CU_ASSERT_EQUAL(total, b.len);
	CU_ASSERT(batch_msg(&b, n + 2) == NULL);
}

static void test_netlink_batch_carries_the_config(void)
{
	static struct nft_batch b;
	struct nft_sandbox_cfg v6 = ref_cfg;
	const struct nlmsghdr *h;
	struct perr e;
	const uint8_t v4[] = {10, 200, 0, 1}, port[] = {0x0c, 0x38},
		      a6[] = {0xfd, 0, 0, 0, 0, 0, 0, 0x42};
	const uint8_t port8080[] = {0x1f, 0x90};

	perr_clear(&e);
	CU_ASSERT_EQUAL_FATAL(nft_netlink_encode(NFT_RS_SANDBOX_OUTPUT, &ref_cfg, &b, &e), 0);
	h = batch_msg(&b, 4); /* command 3: the proxy accept */
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT(has_bytes((const uint8_t *)h, h->nlmsg_len, v4, sizeof(v4)));
	CU_ASSERT(has_bytes((const uint8_t *)h, h->nlmsg_len, port, sizeof(port)));
	h = batch_msg(&b, 7); /* command 6: the SYN log */
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT(
	    has_bytes((const uint8_t *)h, h->nlmsg_len, NFT_LOG_PREFIX, strlen(NFT_LOG_PREFIX)));

	v6.host_addr = "fd00:0:0:42::1";
	v6.proxy_port = 8080;
	v6.table = "parity_v6";
	v6.log_tag = "t6";
	CU_ASSERT_EQUAL_FATAL(nft_netlink_encode(NFT_RS_SANDBOX_OUTPUT, &v6, &b, &e), 0);
	h = batch_msg(&b, 4);
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT(has_bytes((const uint8_t *)h, h->nlmsg_len, a6, sizeof(a6)));
	CU_ASSERT(has_bytes((const uint8_t *)h, h->nlmsg_len, port8080, sizeof(port8080)));
	CU_ASSERT(has_bytes((const uint8_t *)h, h->nlmsg_len, "parity_v6", 10));
	h = batch_msg(&b, 10); /* command 9: the UDP log */
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT(has_bytes((const uint8_t *)h, h->nlmsg_len,
			    NFT_LOG_PREFIX "t6:", strlen(NFT_LOG_PREFIX "t6:") + 1));
}

static void test_netlink_batch_refuses(void)
{
	static struct nft_batch b;
	struct nft_sandbox_cfg c = ref_cfg;
	struct nft_ctx *owner = NULL;
	struct perr e;

	/* not covered: libnftables keeps these */
	perr_clear(&e);
	c.host_if = "pvh00000000";
	CU_ASSERT_EQUAL(nft_netlink_encode(NFT_RS_SUPERVISOR_FORWARD, &c, &b, &e), -1);
	CU_ASSERT_EQUAL(e.sys_errno, ENOTSUP);
	c = ref_cfg;
	c.owner_ctx = &owner;
	perr_clear(&e);
	CU_ASSERT_EQUAL(nft_netlink_encode(NFT_RS_SANDBOX_OUTPUT, &c, &b, &e), -1);
	CU_ASSERT_EQUAL(e.sys_errno, ENOTSUP);
	/* bad input: the same validation as the commands */
	c = ref_cfg;
	c.table = "x; flush ruleset";
	perr_clear(&e);
	CU_ASSERT_EQUAL(nft_netlink_encode(NFT_RS_SANDBOX_OUTPUT, &c, &b, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	c = ref_cfg;
	c.host_addr = "proxy.example";
	perr_clear(&e);
	CU_ASSERT_EQUAL(nft_netlink_encode(NFT_RS_SANDBOX_OUTPUT, &c, &b, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT(strstr(e.msg, "proxy.example") != NULL);
}

/* ---- nft_netlink_answers against made-up kernel answers ---- */

/* An ack (error 0) or an error for seq, appended to buf at *off. */
static void put_answer(uint8_t *buf, size_t *off, uint32_t seq, int error)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(buf + *off);
	struct nlmsgerr *err = NLMSG_DATA(h);

	memset(h, 0, NLMSG_HDRLEN + sizeof(*err));
	h->nlmsg_len = NLMSG_HDRLEN + sizeof(*err);
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_seq = seq;
	err->error = error;
	*off += NLMSG_ALIGN(h->nlmsg_len);
}

/* Run nft_netlink_answers(12 commands) on a socket whose peer sent the
 * datagrams dgrams[0..n) (lens[i] bytes each); close_peer: EOF after them. */
static int answers_from(const uint8_t (*dgrams)[1024], const size_t *lens, size_t n,
			bool close_peer, long *failed, struct perr *e)
{
	int sv[2], rc;

	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_FATAL(send(sv[1], dgrams[i], lens[i], 0) == (ssize_t)lens[i]);
	if (close_peer) {
		close(sv[1]);
		sv[1] = -1;
	}
	perr_clear(e);
	rc = nft_netlink_answers(sv[0], 12, failed, e);
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return rc;
}

static void test_netlink_answers(void)
{
	static uint8_t d[16][1024];
	size_t len[16], off;
	struct perr e;
	long failed;

	/* twelve acks in one datagram, then in twelve */
	off = 0;
	for (uint32_t s = 1; s <= 12; s++)
		put_answer(d[0], &off, s, 0);
	len[0] = off;
	CU_ASSERT_EQUAL(answers_from(d, len, 1, false, &failed, &e), 0);
	for (uint32_t s = 1; s <= 12; s++) {
		len[s - 1] = 0;
		put_answer(d[s - 1], &len[s - 1], s, 0);
	}
	CU_ASSERT_EQUAL(answers_from(d, len, 12, false, &failed, &e), 0);
	/* ...and an error on the begin marker after them (a commit that
	 * failed): read, not left in the queue */
	len[12] = 0;
	put_answer(d[12], &len[12], 0, -ENOMEM);
	CU_ASSERT_EQUAL(answers_from(d, len, 13, false, &failed, &e), -1);
	CU_ASSERT_EQUAL(failed, -1);
	CU_ASSERT_EQUAL(e.sys_errno, ENOMEM);
	/* an error on command 3 among the acks names it */
	off = 0;
	for (uint32_t s = 1; s <= 12; s++)
		put_answer(d[0], &off, s, s == 3 ? -EOPNOTSUPP : 0);
	len[0] = off;
	CU_ASSERT_EQUAL(answers_from(d, len, 1, false, &failed, &e), -1);
	CU_ASSERT_EQUAL(failed, 2);
	CU_ASSERT_EQUAL(e.sys_errno, EOPNOTSUPP);
	CU_ASSERT(strstr(e.msg, "command 3") != NULL);
	/* an error beyond the commands: the batch */
	len[0] = 0;
	put_answer(d[0], &len[0], 13, -EINVAL);
	CU_ASSERT_EQUAL(answers_from(d, len, 1, true, &failed, &e), -1);
	CU_ASSERT_EQUAL(failed, -1);
	/* eleven acks (one twice), then EOF: not applied */
	off = 0;
	for (uint32_t s = 1; s <= 11; s++)
		put_answer(d[0], &off, s, 0);
	put_answer(d[0], &off, 1, 0);
	len[0] = off;
	CU_ASSERT_EQUAL(answers_from(d, len, 1, true, &failed, &e), -1);
	/* an NLMSG_ERROR too short to hold its error, after eleven acks */
	off = 0;
	for (uint32_t s = 1; s <= 11; s++)
		put_answer(d[0], &off, s, 0);
	{
		struct nlmsghdr *h = (struct nlmsghdr *)(d[0] + off);
		memset(h, 0, NLMSG_HDRLEN);
		h->nlmsg_len = NLMSG_HDRLEN;
		h->nlmsg_type = NLMSG_ERROR;
		h->nlmsg_seq = 12;
		off += NLMSG_HDRLEN;
	}
	len[0] = off;
	CU_ASSERT_EQUAL(answers_from(d, len, 1, false, &failed, &e), -1);
	/* a message the kernel never sends here (NLMSG_DONE) */
	off = 0;
	for (uint32_t s = 1; s <= 12; s++)
		put_answer(d[0], &off, s, 0);
	{
		struct nlmsghdr *h = (struct nlmsghdr *)(d[0] + off);
		memset(h, 0, NLMSG_HDRLEN + 4);
		h->nlmsg_len = NLMSG_HDRLEN + 4;
		h->nlmsg_type = NLMSG_DONE;
		off += NLMSG_HDRLEN + 4;
	}
	len[0] = off;
	CU_ASSERT_EQUAL(answers_from(d, len, 1, false, &failed, &e), -1);
	/* the last message's length fits the datagram but its aligned
	 * length does not (seq 12's ack cut to 37 bytes of 40): read within
	 * the datagram, and refused as truncated (ASan would see a read past
	 * it) */
	off = 0;
	for (uint32_t s = 1; s <= 12; s++)
		put_answer(d[0], &off, s, 0);
	{
		struct nlmsghdr *h = (struct nlmsghdr *)(d[0] + off - 36);
		h->nlmsg_len = 37;
		d[0][off] = 0;
		len[0] = off + 1;
	}
	CU_ASSERT_EQUAL(answers_from(d, len, 1, false, &failed, &e), -1);
}

void unit_register(void)
{
	UNIT_SUITE("nft");
	UNIT_TEST(test_output_matches_reference_exactly);
	UNIT_TEST(test_worker_silent_times_out);
	UNIT_TEST(test_output_proxy_accept_pins_address_and_port);
	UNIT_TEST(test_output_v4_v6_rejects);
	UNIT_TEST(test_output_ipv6_host_and_log_tag);
	UNIT_TEST(test_forward_placement);
	UNIT_TEST(test_validation_rejects_injection);
	UNIT_TEST(test_ruleset_text);
	UNIT_TEST(test_pod_nat_text);
	UNIT_TEST(test_ifname_unique);
	UNIT_TEST(test_netns_defaults);
	UNIT_TEST(test_netlink_batch_shape);
	UNIT_TEST(test_netlink_batch_carries_the_config);
	UNIT_TEST(test_netlink_batch_refuses);
	UNIT_TEST(test_netlink_answers);
}
