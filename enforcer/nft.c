/* nft.c - nftables rulesets of the namespace mode via libnftables.
 * See nft.h for the interface and the two placements. */
#include "nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "nft_exec.h"
#include "nl.h"
#include "util.h"

#define LOG_LIMIT "limit rate 5/second burst 10 packets"

/* ---- validation --------------------------------------------------------- */

static bool is_ident(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max ||
	    !(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

static bool is_word(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= max &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* "ip" or "ip6" for a numeric address, NULL otherwise. An IPv6 address
 * written with an IPv4 tail (64:ff9b::1.2.3.4) is refused: inet_pton reads
 * it, nft's parser does not, and both engines must take the same input. */
static const char *addr_proto(const char *a)
{
	unsigned char buf[16];

	if (a && inet_pton(AF_INET, a, buf) == 1)
		return "ip";
	if (a && !strchr(a, '.') && inet_pton(AF_INET6, a, buf) == 1)
		return "ip6";
	return NULL;
}

/* A table name both engines read alike: "parity" or "parity_<ident>".
 * Other identifiers can be nft keywords ("tcp", "counter", "flags"), which
 * libnftables refuses as table names and the netlink engine would not. */
static bool is_table_name(const char *t)
{
	size_t n = strlen(NFT_TABLE_DEFAULT);

	return is_ident(t, 64) && strncmp(t, NFT_TABLE_DEFAULT, n) == 0 &&
	       (t[n] == '\0' || t[n] == '_');
}

static const char *table_of(const char *t, const char *dflt)
{
	return t && *t ? t : dflt;
}

/* ---- generation --------------------------------------------------------- */

struct builder {
	struct nft_cmd *cmds;
	size_t max, n;
	bool overflow;
};

static void add(struct builder *b, bool required, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add(struct builder *b, bool required, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (b->n >= b->max) {
		b->overflow = true;
		return;
	}
	va_start(ap, fmt);
	r = vsnprintf(b->cmds[b->n].text, sizeof(b->cmds[b->n].text), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(b->cmds[b->n].text)) {
		b->overflow = true;
		return;
	}
	b->cmds[b->n++].required = required;
}

/* The reference's log and reject rules (U-HEAD order), in `chain`.
 * tcp_reset: reject TCP with a reset instead of ICMP port-unreachable. Same
 * effect for the client (ECONNREFUSED at once), but not subject to the
 * kernel's per-destination ICMP rate limit (net.ipv4.icmp_ratelimit: a
 * burst of 6, then 1/s), which applies when the reject is sent over the
 * veth (supervisor side) and not when it is delivered locally (sandbox
 * output, the reference). */
static void add_log_reject(struct builder *b, const char *t, const char *chain, const char *pfx,
			   bool tcp_reset)
{
	add(b, false,
	    "add rule inet %s %s tcp flags syn " LOG_LIMIT " log prefix \"%s\" flags skuid", t,
	    chain, pfx);
	add(b, true, "add rule inet %s %s meta nfproto ipv4 meta l4proto tcp reject with %s", t,
	    chain, tcp_reset ? "tcp reset" : "icmp type port-unreachable");
	add(b, true, "add rule inet %s %s meta nfproto ipv6 meta l4proto tcp reject with %s", t,
	    chain, tcp_reset ? "tcp reset" : "icmpv6 type port-unreachable");
	add(b, false,
	    "add rule inet %s %s meta l4proto udp " LOG_LIMIT " log prefix \"%s\" flags skuid", t,
	    chain, pfx);
	add(b, true,
	    "add rule inet %s %s meta nfproto ipv4 meta l4proto udp reject with icmp type "
	    "port-unreachable",
	    t, chain);
	add(b, true,
	    "add rule inet %s %s meta nfproto ipv6 meta l4proto udp reject with icmpv6 type "
	    "port-unreachable",
	    t, chain);
}

void nft_log_prefix(const struct nft_sandbox_cfg *cfg, char *out, size_t len)
{
	if (cfg->log_tag && *cfg->log_tag)
		snprintf(out, len, NFT_LOG_PREFIX "%s:", cfg->log_tag);
	else
		snprintf(out, len, NFT_LOG_PREFIX);
}

int nft_ruleset_cmds(enum nft_ruleset rs, const struct nft_sandbox_cfg *cfg, struct nft_cmd *cmds,
		     size_t max, size_t *n, struct perr *e)
{
	struct builder b = {.cmds = cmds, .max = max};
	const char *t = table_of(cfg->table, NFT_TABLE_DEFAULT);
	const char *proto = addr_proto(cfg->host_addr);
	char pfx[64];

	*n = 0;
	if (!is_table_name(t))
		return perr_usage(e,
				  "nftables: bad table name '%s' (\"%s\" or \"%s_NAME\": other "
				  "names can be nft keywords)",
				  t, NFT_TABLE_DEFAULT, NFT_TABLE_DEFAULT);
	if (!proto)
		return perr_usage(e, "nftables: host address '%s' is not a numeric IP address",
				  cfg->host_addr ? cfg->host_addr : "(null)");
	if (cfg->proxy_port == 0)
		return perr_usage(e, "nftables: proxy port 0");
	if (cfg->log_tag && *cfg->log_tag && !is_word(cfg->log_tag, 32))
		return perr_usage(e, "nftables: bad log tag '%s'", cfg->log_tag);
	nft_log_prefix(cfg, pfx, sizeof(pfx));

	if (cfg->owner_ctx)
		add(&b, true, "add table inet %s { flags owner; }", t);
	else
		add(&b, true, "add table inet %s", t);
	add(&b, true, "flush table inet %s", t);
	switch (rs) {
	case NFT_RS_SANDBOX_OUTPUT:
		add(&b, true,
		    "add chain inet %s output { type filter hook output priority 0; policy accept; "
		    "}",
		    t);
		add(&b, true, "add rule inet %s output %s daddr %s tcp dport %u accept", t, proto,
		    cfg->host_addr, cfg->proxy_port);
		add(&b, true, "add rule inet %s output oifname lo accept", t);
		add(&b, false, "add rule inet %s output ct state established,related accept", t);
		add_log_reject(&b, t, "output", pfx, false);
		break;
	case NFT_RS_SUPERVISOR_FORWARD:
		if (!is_word(cfg->host_if, NL_IFNAMSIZ - 1))
			return perr_usage(e, "nftables: bad interface name '%s'",
					  cfg->host_if ? cfg->host_if : "(null)");
		/* Regular chains first, the hooks last: nothing is filtered
		 * by a half-built chain. */
		add(&b, true, "add chain inet %s sandbox_in", t);
		add(&b, true, "add rule inet %s sandbox_in %s daddr %s tcp dport %u accept", t,
		    proto, cfg->host_addr, cfg->proxy_port);
		add(&b, false, "add rule inet %s sandbox_in ct state established,related accept",
		    t);
		add(&b, false,
		    "add rule inet %s sandbox_in icmpv6 type { nd-neighbor-solicit, "
		    "nd-neighbor-advert } accept",
		    t);
		add_log_reject(&b, t, "sandbox_in", pfx, true);
		add(&b, true, "add rule inet %s sandbox_in drop", t);
		add(&b, true, "add chain inet %s sandbox_fwd", t);
		add(&b, false, "add rule inet %s sandbox_fwd ct state established,related accept",
		    t);
		add_log_reject(&b, t, "sandbox_fwd", pfx, true);
		add(&b, true,
		    "add chain inet %s input { type filter hook input priority 0; policy accept; }",
		    t);
		add(&b, true,
		    "add chain inet %s forward { type filter hook forward priority 0; policy "
		    "accept; "
		    "}",
		    t);
		add(&b, true, "add rule inet %s input iifname \"%s\" jump sandbox_in", t,
		    cfg->host_if);
		add(&b, true, "add rule inet %s forward iifname \"%s\" jump sandbox_fwd", t,
		    cfg->host_if);
		break;
	default:
		return perr_usage(e, "nftables: unknown ruleset %d", (int)rs);
	}
	if (b.overflow)
		return perr_set(e, "nftables: ruleset does not fit (%zu commands max)", max);
	*n = b.n;
	return 0;
}

int nft_ruleset_text(enum nft_ruleset rs, const struct nft_sandbox_cfg *cfg, char *buf, size_t len,
		     struct perr *e)
{
	struct nft_cmd cmds[NFT_MAX_CMDS];
	size_t n, off = 0;

	if (nft_ruleset_cmds(rs, cfg, cmds, NFT_MAX_CMDS, &n, e) < 0)
		return -1;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int r = snprintf(buf + off, len - off, "%s %s\n", cmds[i].required ? "R" : "O",
				 cmds[i].text);
		if (r < 0 || (size_t)r >= len - off)
			return perr_set(e, "nftables: text buffer too small");
		off += (size_t)r;
	}
	return 0;
}

/* ---- execution ---------------------------------------------------------- */

/* libnftables has process-global state set up by the first nft_ctx_new();
 * make that first call once, before threads race on it. */
static pthread_once_t nft_once = PTHREAD_ONCE_INIT;
static void nft_global_init(void)
{
	struct nft_ctx *c = nft_ctx_new(NFT_CTX_DEFAULT);
	if (c)
		nft_ctx_free(c);
}

void nft_exec_global_init(void)
{
	pthread_once(&nft_once, nft_global_init);
}

static struct nft_ctx *ctx_buffered(struct nft_ctx *c)
{
	if (!c)
		return NULL;
	nft_ctx_buffer_output(c);
	nft_ctx_buffer_error(c);
	return c;
}

struct nft_ctx *nft_exec_ctx_new(void)
{
	pthread_once(&nft_once, nft_global_init);
	return ctx_buffered(nft_ctx_new(NFT_CTX_DEFAULT));
}

struct nft_ctx *nft_exec_ctx_new_single_threaded(void)
{
	return ctx_buffered(nft_ctx_new(NFT_CTX_DEFAULT));
}

/* libnftables' error text, first line ("Error: ...") only. */
static void err_text(struct nft_ctx *c, char *out, size_t len)
{
	const char *b = nft_ctx_get_error_buffer(c);
	size_t n;

	if (!b || !*b) {
		snprintf(out, len, "failed (no message from libnftables)");
		return;
	}
	n = strcspn(b, "\n");
	snprintf(out, len, "%.*s", (int)n, b);
}

/* Run each command, stopping after a failed Required one. Returns the index
 * of that command, or -1 when none failed. */
long nft_exec_run(struct nft_ctx *c, const struct nft_cmd *cmds, size_t n,
		  struct nft_rule_result *res, struct nft_ctx **keep)
{
	long failed = -1;
	bool batched = false;

	for (size_t i = 0; i < n; i++) {
		memcpy(res[i].rule, cmds[i].text, sizeof(res[i].rule));
		res[i].required = cmds[i].required;
		res[i].applied = false;
		res[i].error[0] = '\0';
	}
	/* One transaction first: a ruleset applies in ~1 ms instead of one
	 * netlink round trip per command. The kernel applies a batch all or
	 * nothing, so if it fails nothing is left half-done, and the commands
	 * are replayed one by one, as the reference runs them (each Optional
	 * failure tolerated, the first Required failure reported by name). */
	if (c && n > 1) {
		size_t len = 1;
		char *buf;
		for (size_t i = 0; i < n; i++)
			len += strlen(cmds[i].text) + 1;
		buf = malloc(len);
		if (buf) {
			buf[0] = '\0';
			for (size_t i = 0; i < n; i++) {
				strcat(buf, cmds[i].text);
				strcat(buf, "\n");
			}
			batched = nft_run_cmd_from_buffer(c, buf) == 0;
			free(buf);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct nft_rule_result *r = &res[i];

		if (batched) {
			r->applied = true;
			continue;
		}
		if (!c) {
			snprintf(r->error, sizeof(r->error), "nft_ctx_new failed");
		} else if (failed >= 0) {
			snprintf(r->error, sizeof(r->error),
				 "not attempted: a required command failed before it");
			continue;
		} else if (nft_run_cmd_from_buffer(c, cmds[i].text) == 0) {
			r->applied = true;
			continue;
		} else {
			err_text(c, r->error, sizeof(r->error));
		}
		if (r->required && failed < 0)
			failed = (long)i;
	}
	if (keep && c && failed < 0)
		*keep = c; /* its socket owns the table: the caller frees it */
	else if (c)
		nft_ctx_free(c);
	return failed;
}

static long run_cmds(const struct nft_cmd *cmds, size_t n, struct nft_rule_result *res,
		     struct nft_ctx **keep)
{
	return nft_exec_run(nft_exec_ctx_new(), cmds, n, res, keep);
}

static long run_in_thread(int ns_fd, const struct nft_cmd *cmds, size_t n,
			  struct nft_rule_result *res, struct nft_ctx **keep, struct perr *e)
{
	int saved;
	long failed;

	if (nl_netns_enter(ns_fd, &saved, e) < 0)
		return -2;
	failed = run_cmds(cmds, n, res, keep);
	if (nl_netns_leave(saved, e) < 0)
		return -2;
	return failed;
}

/* The outcome of a ruleset: failed is run_cmds()'s (-2: e is set). */
int nft_exec_outcome(long failed, size_t n, const struct nft_rule_result *res, size_t *nres,
		     struct perr *e)
{
	if (failed == -2)
		return perr_prefix(e, "nftables");
	*nres = n;
	if (failed >= 0)
		return perr_set(e, "nftables: required rule failed: %s: %s", res[failed].rule,
				res[failed].error);
	return 0;
}

int nft_apply_ruleset(int ns_fd, enum nft_ruleset rs, const struct nft_sandbox_cfg *cfg,
		      struct nft_rule_result *res, size_t max, size_t *nres, struct perr *e)
{
	struct nft_cmd cmds[NFT_MAX_CMDS];
	size_t n;
	long failed;

	*nres = 0;
	if (nft_ruleset_cmds(rs, cfg, cmds, NFT_MAX_CMDS, &n, e) < 0)
		return -1;
	if (max < n)
		return perr_usage(e, "nftables: room for %zu results, %zu commands", max, n);
	if (cfg->owner_ctx && cfg->exec == NFT_EXEC_FORK)
		return perr_usage(e, "nftables: an owner table needs NFT_EXEC_THREAD");
	failed = cfg->exec == NFT_EXEC_FORK ? nft_worker_run_once(ns_fd, rs, cfg, res, e)
					    : run_in_thread(ns_fd, cmds, n, res, cfg->owner_ctx, e);
	return nft_exec_outcome(failed, n, res, nres, e);
}

int nft_apply_sandbox_output(int ns_fd, const struct nft_sandbox_cfg *cfg,
			     struct nft_rule_result *res, size_t max, size_t *nres, struct perr *e)
{
	return nft_apply_ruleset(ns_fd, NFT_RS_SANDBOX_OUTPUT, cfg, res, max, nres, e);
}

int nft_apply_supervisor_forward(int ns_fd, const struct nft_sandbox_cfg *cfg,
				 struct nft_rule_result *res, size_t max, size_t *nres,
				 struct perr *e)
{
	return nft_apply_ruleset(ns_fd, NFT_RS_SUPERVISOR_FORWARD, cfg, res, max, nres, e);
}

/* Run one buffer (one transaction) in ns_fd. out: optional copy of the
 * output. */
static int run_buffer(int ns_fd, const char *buf, char **out, struct perr *e)
{
	char msg[256];
	int saved, r;
	struct nft_ctx *c;

	if (nl_netns_enter(ns_fd, &saved, e) < 0)
		return -1;
	c = nft_exec_ctx_new();
	if (!c) {
		nl_netns_leave(saved, NULL);
		return perr_set(e, "nftables: nft_ctx_new failed");
	}
	r = nft_run_cmd_from_buffer(c, buf);
	if (r != 0) {
		err_text(c, msg, sizeof(msg));
	} else if (out) {
		const char *o = nft_ctx_get_output_buffer(c);
		*out = strdup(o ? o : "");
		if (!*out)
			r = -ENOMEM;
	}
	nft_ctx_free(c);
	if (nl_netns_leave(saved, e) < 0)
		return -1;
	if (r == -ENOMEM)
		return perr_sys(e, ENOMEM, "nftables output");
	if (r != 0)
		return perr_set(e, "nftables: %s", msg);
	return 0;
}

int nft_delete_table(int ns_fd, const char *family, const char *table, struct perr *e)
{
	char buf[256];

	if (!is_ident(family, 8) || !is_ident(table, 64))
		return perr_usage(e, "nftables: bad table '%s %s'", family ? family : "",
				  table ? table : "");
	/* add + delete in one transaction: no error when it does not exist */
	snprintf(buf, sizeof(buf), "add table %s %s\ndelete table %s %s\n", family, table, family,
		 table);
	if (run_buffer(ns_fd, buf, NULL, e) < 0)
		return perr_prefix(e, "delete table %s %s", family, table);
	return 0;
}

char *nft_list_table(int ns_fd, const char *family, const char *table, struct perr *e)
{
	char buf[256], *out = NULL;

	if (!is_ident(family, 8) || !is_ident(table, 64)) {
		perr_usage(e, "nftables: bad table '%s %s'", family ? family : "",
			   table ? table : "");
		return NULL;
	}
	snprintf(buf, sizeof(buf), "list table %s %s", family, table);
	if (run_buffer(ns_fd, buf, &out, e) < 0)
		return NULL;
	return out;
}

/* ---- the lab pod's forwarding and masquerade ----------------------------- */

static bool is_v4_subnet(const char *s)
{
	char host[INET_ADDRSTRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	unsigned char b[4];
	long plen;

	if (!slash || (size_t)(slash - s) >= sizeof(host))
		return false;
	memcpy(host, s, (size_t)(slash - s));
	host[slash - s] = '\0';
	return inet_pton(AF_INET, host, b) == 1 && util_parse_long(slash + 1, 0, 32, &plen) == 0;
}

int nft_pod_nat_text(const struct nft_pod_cfg *cfg, char *buf, size_t len, struct perr *e)
{
	const char *t = table_of(cfg->table, "parity_pod");
	int r;

	if (!is_table_name(t))
		return perr_usage(e,
				  "nftables: bad table name '%s' (\"%s\" or \"%s_NAME\": other "
				  "names can be nft keywords)",
				  t, NFT_TABLE_DEFAULT, NFT_TABLE_DEFAULT);
	if (!is_v4_subnet(cfg->subnet))
		return perr_usage(e, "nftables: bad IPv4 subnet '%s'",
				  cfg->subnet ? cfg->subnet : "(null)");
	if (!is_word(cfg->uplink, NL_IFNAMSIZ - 1))
		return perr_usage(e, "nftables: bad interface name '%s'",
				  cfg->uplink ? cfg->uplink : "(null)");
	r = snprintf(buf, len,
		     "add table ip %1$s\n"
		     "flush table ip %1$s\n"
		     "add chain ip %1$s forward { type filter hook forward priority 0; policy "
		     "accept; }\n"
		     "add rule ip %1$s forward ip saddr %2$s accept\n"
		     "add rule ip %1$s forward ip daddr %2$s ct state established,related accept\n"
		     "add chain ip %1$s postrouting { type nat hook postrouting priority 100; "
		     "policy accept; }\n"
		     "add rule ip %1$s postrouting ip saddr %2$s oifname \"%3$s\" masquerade\n",
		     t, cfg->subnet, cfg->uplink);
	if (r < 0 || (size_t)r >= len)
		return perr_set(e, "nftables: text buffer too small");
	return 0;
}

int nft_apply_pod_nat(int ns_fd, const struct nft_pod_cfg *cfg, struct perr *e)
{
	char buf[1024];

	if (nft_pod_nat_text(cfg, buf, sizeof(buf), e) < 0)
		return -1;
	if (run_buffer(ns_fd, buf, NULL, e) < 0)
		return perr_prefix(e, "pod forwarding/masquerade");
	return 0;
}
