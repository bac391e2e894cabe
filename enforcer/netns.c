/* netns.c - the namespace mode's network in one call. See netns.h. */
#include "netns.h"

#include <nftables/libnftables.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "timeline.h"

void netns_cfg_init(struct netns_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->host_addr = "10.200.0.1";
	cfg->sandbox_addr = "10.200.0.2";
	cfg->prefix_len = 24;
	cfg->proxy_port = 3128;
	cfg->nft = NFT_SANDBOX_OUTPUT;
	cfg->nft_exec = NFT_EXEC_FORK;
	cfg->nft_worker_sock = -1;
}

const char *netns_step_status_name(enum netns_step_status st)
{
	switch (st) {
	case NETNS_STEP_APPLIED:
		return "applied";
	case NETNS_STEP_SKIPPED:
		return "skipped";
	case NETNS_STEP_FAILED:
		return "failed";
	}
	return "?";
}

/* The supervisor-forward table is an owner table: closing its owner socket
 * removes it (the kernel does the same if we die). Without an owner (older
 * kernels, or a failed setup), delete it by name. */
static void drop_fwd_table(struct netns_sandbox *sb)
{
	if (sb->fwd_owner) {
		nft_ctx_free(sb->fwd_owner);
		sb->fwd_owner = NULL;
	} else if (sb->fwd_table[0]) {
		nft_delete_table(sb->host_ns_fd, "inet", sb->fwd_table, NULL);
	}
}
static void step(struct netns_sandbox *sb, const char *name, bool required,
		 enum netns_step_status st, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void step(struct netns_sandbox *sb, const char *name, bool required,
		 enum netns_step_status st, const char *fmt, ...)
{
	struct netns_step *s;
	va_list ap;

	if (sb->nsteps >= NETNS_MAX_STEPS)
		return;
	s = &sb->steps[sb->nsteps++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->required = required;
	s->status = st;
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
}

/* Record the outcome of one step from its return code and e. */
static int done(struct netns_sandbox *sb, int rc, const char *name, struct perr *e, const char *fmt,
		...) __attribute__((format(printf, 5, 6)));
static int done(struct netns_sandbox *sb, int rc, const char *name, struct perr *e, const char *fmt,
		...)
{
	char what[256], err[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (rc < 0) {
		step(sb, name, true, NETNS_STEP_FAILED, "%s: %s", what,
		     perr_str(e, err, sizeof(err)));
		return -1;
	}
	step(sb, name, true, NETNS_STEP_APPLIED, "%s", what);
	return 0;
}

static int family_of(const char *a)
{
	unsigned char b[16];

	if (a && inet_pton(AF_INET, a, b) == 1)
		return AF_INET;
	if (a && inet_pton(AF_INET6, a, b) == 1)
		return AF_INET6;
	return 0;
}

/* After a failed setup (nothing runs in the sandbox yet): drop a partial
 * supervisor table; the veth goes with the sandbox netns when its fd is
 * closed. */
static void undo_failed(struct netns_sandbox *sb)
{
	if (sb->fwd_table[0])
		drop_fwd_table(sb);
	sb->fwd_table[0] = '\0';
}

static void close_fds(struct netns_sandbox *sb)
{
	if (sb->ns_fd >= 0)
		close(sb->ns_fd);
	if (sb->host_ns_fd >= 0)
		close(sb->host_ns_fd);
	sb->ns_fd = sb->host_ns_fd = -1;
}

void netns_nft_cfg(const struct netns_cfg *cfg, struct nft_sandbox_cfg *nc)
{
	memset(nc, 0, sizeof(*nc));
	nc->host_addr = cfg->host_addr;
	nc->proxy_port = cfg->proxy_port;
	nc->log_tag = cfg->log_tag;
	nc->exec = cfg->nft_exec;
	nc->engine = cfg->nft_engine;
}

static void sandbox_table_name(char *table, size_t tlen)
{
	snprintf(table, tlen, "table inet %s, chain output, in the sandbox netns",
		 NFT_TABLE_DEFAULT);
}

/* Apply the table of cfg's placement here and now; its description goes
 * to table. Returns 1 when the placement is off. */
static int nft_run(const struct netns_cfg *cfg, struct netns_sandbox *sb, char *table, size_t tlen,
		   struct perr *e)
{
	struct nft_sandbox_cfg nc;

	netns_nft_cfg(cfg, &nc);
	switch (cfg->nft) {
	case NFT_OFF:
		return 1;
	case NFT_SANDBOX_OUTPUT:
		sandbox_table_name(table, tlen);
		return nft_apply_sandbox_output(sb->ns_fd, &nc, sb->rules, NFT_MAX_CMDS,
						&sb->nrules, e);
	case NFT_SUPERVISOR_FORWARD:
		snprintf(sb->fwd_table, sizeof(sb->fwd_table), "%s_%s", NFT_TABLE_DEFAULT,
			 sb->host_if);
		snprintf(table, tlen, "table inet %s, chains input/forward, host side",
			 sb->fwd_table);
		nc.table = sb->fwd_table;
		nc.host_if = sb->host_if;
		/* The table lives in the supervisor's netns, which outlives the
		 * run: make it an owner table, so the kernel removes it when the
		 * supervisor's socket closes, even after a SIGKILL. */
		nc.owner_ctx = &sb->fwd_owner;
		nc.exec = NFT_EXEC_THREAD;
		return nft_apply_supervisor_forward(-1, &nc, sb->rules, NFT_MAX_CMDS, &sb->nrules,
						    e);
	}
	snprintf(table, tlen, "placement %d", (int)cfg->nft);
	return perr_usage(e, "nftables: unknown placement %d", (int)cfg->nft);
}

/* Record the table's outcome (nft_run's return) as the "nftables" step;
 * how: what put it into the kernel. */
static int nft_record(const struct netns_cfg *cfg, struct netns_sandbox *sb, int rc,
		      const char *table, const char *how, struct perr *e)
{
	char err[1400];

	if (rc > 0) {
		step(sb, "nftables", false, NETNS_STEP_SKIPPED,
		     "placement off: no rules (the control: routing alone must not stop egress)");
		return 0;
	}
	if (rc == 0) {
		step(sb, "nftables", !cfg->nft_optional, NETNS_STEP_APPLIED, "%s: %zu commands, %s",
		     table, sb->nrules, how);
		return 0;
	}
	step(sb, "nftables", !cfg->nft_optional, NETNS_STEP_FAILED, "%s: %s", table,
	     perr_str(e, err, sizeof(err)));
	if (cfg->nft_optional) {
		sb->degraded = true; /* the reference's behaviour: run anyway */
		return 0;
	}
	return -1;
}

/* The sandbox-output table needs only the sandbox netns, not the veth.
 * With NFT_EXEC_FORK (the default) an nft_worker, given its commands when
 * it is forked (by our caller, or here before anything else), makes the
 * netns itself and applies the table (its netlink batch; libnftables if
 * the profile asks, or if the kernel refuses the batch) while this thread
 * builds the veth (and the agent sets itself up); its results are checked
 * against this configuration's commands. The supervisor-forward placement
 * needs the veth's name: it runs after, here. */
struct nft_job {
	const struct netns_cfg *cfg;
	struct netns_sandbox *sb;
	struct nft_worker w;
	char table[128];
};

static int nft_job_start(struct nft_job *j, const struct netns_cfg *cfg, struct netns_sandbox *sb,
			 struct perr *e)
{
	struct nft_sandbox_cfg nc;

	j->cfg = cfg;
	j->sb = sb;
	memset(&j->w, 0, sizeof(j->w)); /* timeout_ms 0: the default */
	j->w.pid = -1;
	j->w.sock = -1;
	j->w.peer = -1;
	sandbox_table_name(j->table, sizeof(j->table));
	if (cfg->nft != NFT_SANDBOX_OUTPUT || cfg->nft_exec != NFT_EXEC_FORK) {
		if (cfg->nft_worker_sock >= 0)
			close(cfg->nft_worker_sock); /* not ours to use: it exits */
		return 0;
	}
	if (cfg->nft_worker_sock >= 0) {
		/* started by our caller (who reaps it) with its commands:
		 * checked against ours when the results come */
		j->w.sock = cfg->nft_worker_sock;
		j->w.flags = NFT_WORKER_NEW_NETNS | NFT_WORKER_PRESET;
		return 0;
	}
	netns_nft_cfg(cfg, &nc);
	if (nft_worker_start_ruleset(&j->w, NFT_RS_SANDBOX_OUTPUT, &nc, e) < 0)
		return nft_record(cfg, sb, -1, j->table, "", e);
	return 0;
}

/* The sandbox netns: the worker's when there is one, else a new one. */
static int nft_job_netns(struct nft_job *j, struct perr *e)
{
	struct netns_sandbox *sb = j->sb;
	int rc;

	if (j->w.sock < 0) {
		rc = nl_netns_new(&sb->ns_fd, NL_NETNS_NODAD, e);
		return done(sb, rc, "netns", e, "anonymous network namespace, IPv6 DAD off");
	}
	rc = nft_worker_take_netns(&j->w, &sb->ns_fd, e);
	if (rc < 0)
		nft_worker_abort(&j->w);
	return done(sb, rc, "netns", e,
		    "anonymous network namespace, IPv6 DAD off (made by the nftables worker, "
		    "which holds it until its table is in)");
}

/* The worker applied commands it was given at its fork: they must be
 * exactly this configuration's, in order, or the table is not ours. */
static int nft_job_check(struct nft_job *j, struct perr *e)
{
	struct nft_cmd want[NFT_MAX_CMDS];
	struct nft_sandbox_cfg nc;
	size_t n;

	netns_nft_cfg(j->cfg, &nc);
	if (nft_ruleset_cmds(NFT_RS_SANDBOX_OUTPUT, &nc, want, NFT_MAX_CMDS, &n, e) < 0)
		return -1;
	if (n != j->sb->nrules)
		return perr_set(e, "nftables worker: %zu commands applied, %zu expected",
				j->sb->nrules, n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(want[i].text, j->sb->rules[i].rule) != 0 ||
		    want[i].required != j->sb->rules[i].required)
			return perr_set(e, "nftables worker: command %zu is '%s', expected '%s'", i,
					j->sb->rules[i].rule, want[i].text);
	return 0;
}

/* After the links: collect the worker's results (or apply the table here),
 * then record. After a failed setup (run false) the worker is dropped. */
static int nft_job_finish(struct nft_job *j, bool run, struct perr *e)
{
	int rc;

	if (!run) {
		nft_worker_abort(&j->w);
		return 0;
	}
	if (j->w.sock >= 0) {
		rc = nft_worker_finish(&j->w, j->sb->rules, NFT_MAX_CMDS, &j->sb->nrules, e);
		if (rc == 0 && nft_job_check(j, e) < 0)
			rc = -1;
		return nft_record(j->cfg, j->sb, rc, j->table, j->w.engine_note, e);
	}
	rc = nft_run(j->cfg, j->sb, j->table, sizeof(j->table), e);
	return nft_record(j->cfg, j->sb, rc, j->table, "libnftables", e);
}

static int build_links(const struct netns_cfg *cfg, struct netns_sandbox *sb, struct nl_ctx **hostp,
		       struct nl_ctx **sbxp, struct nft_job *job, struct perr *e);
static int wait_links_ready(const struct netns_cfg *cfg, struct netns_sandbox *sb,
			    struct nl_ctx *host, struct nl_ctx *sbx, struct perr *e);

static int setup(const struct netns_cfg *cfg, struct netns_sandbox *sb, struct nl_ctx **hostp,
		 struct nl_ctx **sbxp, struct perr *e)
{
	struct nft_job job;
	int rc;

	if (nft_job_start(&job, cfg, sb, e) < 0)
		return -1;
	if (build_links(cfg, sb, hostp, sbxp, &job, e) < 0) {
		nft_job_finish(&job, false, e);
		return -1;
	}
	TL("links built");
	if (nft_job_finish(&job, true, e) < 0)
		return -1;
	TL("table checked");
	/* Last: the links' readiness waits on the kernel's IPv6 address
	 * work (a workqueue), which has usually finished while the table
	 * went in; checked first, it cost a 0.1-0.35 ms wait in half the
	 * starts. */
	rc = wait_links_ready(cfg, sb, *hostp, *sbxp, e);
	TL("links ready");
	return rc;
}

static int build_links(const struct netns_cfg *cfg, struct netns_sandbox *sb, struct nl_ctx **hostp,
		       struct nl_ctx **sbxp, struct nft_job *job, struct perr *e)
{
	char host_cidr[80], sbx_cidr[80], path[96];
	int fam = family_of(cfg->host_addr), rc, tries;
	unsigned maxlen = fam == AF_INET6 ? 128 : 32;
	struct nl_ctx *host, *sbx;

	if (!fam || family_of(cfg->sandbox_addr) != fam || cfg->prefix_len == 0 ||
	    cfg->prefix_len > maxlen) {
		perr_usage(e, "bad addresses %s / %s /%u",
			   cfg->host_addr ? cfg->host_addr : "(null)",
			   cfg->sandbox_addr ? cfg->sandbox_addr : "(null)", cfg->prefix_len);
		return done(sb, -1, "addresses", e, "host %s, sandbox %s",
			    cfg->host_addr ? cfg->host_addr : "?",
			    cfg->sandbox_addr ? cfg->sandbox_addr : "?");
	}
	snprintf(host_cidr, sizeof(host_cidr), "%s/%u", cfg->host_addr, cfg->prefix_len);
	snprintf(sbx_cidr, sizeof(sbx_cidr), "%s/%u", cfg->sandbox_addr, cfg->prefix_len);

	sb->host_ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (sb->host_ns_fd < 0)
		return done(sb, perr_sys(e, errno, "open /proc/thread-self/ns/net"), "netns", e,
			    "the caller's network namespace");
	if (nft_job_netns(job, e) < 0)
		return -1;
	TL("netns taken");
	if (cfg->on_netns && cfg->on_netns(sb->ns_fd, cfg->on_netns_arg, e) < 0)
		return -1;
	TL("agent forked");

	*hostp = host = nl_ctx_open(-1, e);
	if (host)
		*sbxp = sbx = nl_ctx_open(sb->ns_fd, e);
	if (!host || !*sbxp)
		return done(sb, -1, "netlink", e, "route netlink sockets");
	sbx = *sbxp;

	snprintf(sb->sandbox_if, sizeof(sb->sandbox_if), NETNS_SANDBOX_IF);
	for (tries = 0;; tries++) {
		nl_ifname_unique(sb->host_if, "pvh");
		rc = nl_veth_create(host, sb->host_if, sb->sandbox_if, sb->ns_fd, e);
		if (rc == 0 || !e || e->sys_errno != EEXIST || tries == 3)
			break;
	}
	if (rc < 0)
		sb->host_if[0] = '\0';
	TL("veth");
	if (done(sb, rc, "veth", e, "%s (here) <-> %s (sandbox)", rc ? "?" : sb->host_if,
		 sb->sandbox_if) < 0)
		return -1;

	/* The caller's netns keeps its DAD default; the host end's automatic
	 * IPv6 link-local would be tentative for ~2 s. Turn DAD off on it. */
	snprintf(path, sizeof(path), "net/ipv6/conf/%s/accept_dad", sb->host_if);
	rc = netns_sysctl_write(-1, path, "0", e);
	if (rc < 0 && e && e->sys_errno == ENOENT) /* no IPv6 */
		rc = 0;
	if (done(sb, rc, "host link DAD off", e, "%s.accept_dad=0", sb->host_if) < 0)
		return -1;
	rc = nl_addr_add(host, sb->host_if, host_cidr, e);
	if (done(sb, rc, "host address", e, "%s on %s", host_cidr, sb->host_if) < 0)
		return -1;
	rc = nl_link_up(host, sb->host_if, e);
	if (done(sb, rc, "host link up", e, "%s", sb->host_if) < 0)
		return -1;
	rc = nl_addr_add(sbx, sb->sandbox_if, sbx_cidr, e);
	if (done(sb, rc, "sandbox address", e, "%s on %s", sbx_cidr, sb->sandbox_if) < 0)
		return -1;
	rc = nl_link_up(sbx, sb->sandbox_if, e);
	if (done(sb, rc, "sandbox link up", e, "%s", sb->sandbox_if) < 0)
		return -1;
	rc = nl_link_up(sbx, "lo", e);
	if (done(sb, rc, "sandbox lo up", e, "lo") < 0)
		return -1;
	rc = nl_route_add_default(sbx, cfg->host_addr, e);
	if (done(sb, rc, "sandbox default route", e, "default via %s", cfg->host_addr) < 0)
		return -1;
	return 0;
}

/* Both ends up (operstate) with their IPv6 addresses usable. */
static int wait_links_ready(const struct netns_cfg *cfg, struct netns_sandbox *sb,
			    struct nl_ctx *host, struct nl_ctx *sbx, struct perr *e)
{
	int timeout = cfg->ready_timeout_ms > 0 ? cfg->ready_timeout_ms : 2000;
	int rc = nl_link_wait_ready(host, sb->host_if, timeout, e);

	if (rc == 0)
		rc = nl_link_wait_ready(sbx, sb->sandbox_if, timeout, e);
	return done(sb, rc, "links ready", e, "%s and %s up", sb->host_if, sb->sandbox_if);
}

int netns_setup(const struct netns_cfg *cfg, struct netns_sandbox *sb, struct perr *e)
{
	struct nl_ctx *host = NULL, *sbx = NULL;
	double t0 = util_now_ms();
	int rc;

	memset(sb, 0, sizeof(*sb));
	sb->ns_fd = sb->host_ns_fd = -1;
	rc = setup(cfg, sb, &host, &sbx, e);
	if (rc < 0) {
		undo_failed(sb);
		close_fds(sb);
		perr_prefix(e, "namespace network");
	}
	nl_ctx_close(sbx);
	nl_ctx_close(host);
	sb->active = rc == 0;
	sb->setup_ms = util_now_ms() - t0;
	return rc;
}

int netns_teardown(struct netns_sandbox *sb, struct perr *e)
{
	struct nl_ctx *host;
	struct perr local;
	int rc = 0;

	if (!sb || !sb->active)
		return 0;
	if (!e)
		e = &local;
	sb->active = false;
	if (sb->host_if[0]) {
		/* Processes may still run in the sandbox: cut the veth before
		 * removing its filter, or they would be left unfiltered. Down
		 * is enough (and far cheaper than deleting it); the veth goes
		 * with the sandbox netns. Down matters without a supervisor
		 * table too: it withdraws the host side's route to the sandbox
		 * subnet at once, while the kernel destroys the namespace (and
		 * the veth) asynchronously; a run started right after ours would
		 * otherwise find two routes to the same /24 and lose its first
		 * packets to the dying veth (seen: 1 s SYN retransmits). */
		host = nl_ctx_open(sb->host_ns_fd, e);
		if (!host || (nl_link_down(host, sb->host_if, e) < 0 && e->sys_errno != ENODEV)) {
			if (sb->fwd_table[0])
				rc = perr_prefix(e, "teardown: table inet %s kept", sb->fwd_table);
		} else if (sb->fwd_table[0]) {
			drop_fwd_table(sb);
		}
		nl_ctx_close(host);
	}
	sb->fwd_table[0] = '\0';
	sb->host_if[0] = '\0';
	close_fds(sb);
	TL("teardown done");
	return rc;
}
