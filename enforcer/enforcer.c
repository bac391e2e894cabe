/* enforcer.c - the supervisor: compose the layers of a profile, start the
 * proxy and the agent (agent.c) in them, and wait for the command.
 * See enforcer.h for the process model. */
#include "enforcer.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "identity.h"
#include "landlock.h"
#include "netns.h"
#include "notify.h"
#include "pidns.h"
#include "policy.h"
#include "proxy.h"
#include "proxy_child.h"
#include "seccomp_layer.h"
#include "util.h"
#include "timeline.h"

void run_opts_init(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->landlock_abi_cap = -1;
	o->compat = COMPAT_BEST_EFFORT;
	o->proxy_log_fd = -1;
	o->agent_stdin = o->agent_stdout = o->agent_stderr = -1;
	o->nft_worker_sock = -1;
}

/* ---- namespace mode ---- */

void enforcer_netns_cfg(const struct profile *p, struct netns_cfg *cfg)
{
	netns_cfg_init(cfg);
	cfg->host_addr = p->net.host_addr;
	cfg->sandbox_addr = p->net.sandbox_addr;
	cfg->prefix_len = p->net.prefix_len;
	cfg->proxy_port = p->net.proxy_port;
	cfg->nft = p->net.nft;
	cfg->nft_engine = p->net.nft_libnftables ? NFT_ENGINE_LIBNFTABLES : NFT_ENGINE_NETLINK;
	/* Fail closed: the reference starts without its rules when nft fails
	 * (a "degraded" event); ours refuses, and says so. */
	cfg->nft_optional = false;
	cfg->log_tag = "ns";
}

static int setup_namespace(const struct profile *p, int nft_worker_sock, struct rep_sink *rs,
			   struct netns_sandbox *sb, int (*on_netns)(int, void *, struct perr *),
			   void *on_netns_arg, struct perr *e)
{
	struct netns_cfg cfg;
	int rc;

	enforcer_netns_cfg(p, &cfg);
	cfg.on_netns = on_netns;
	cfg.on_netns_arg = on_netns_arg;
	cfg.nft_worker_sock = nft_worker_sock;
	rc = netns_setup(&cfg, sb, e);
	for (size_t i = 0; i < sb->nsteps; i++) {
		const struct netns_step *st = &sb->steps[i];
		enum rep_status rst = st->status == NETNS_STEP_APPLIED	 ? REP_APPLIED
				      : st->status == NETNS_STEP_SKIPPED ? REP_SKIPPED
									 : REP_FAILED;
		rep_emit(rs, "netns", st->name, rst, "%s", st->detail);
	}
	for (size_t i = 0; i < sb->nrules; i++) {
		const struct nft_rule_result *r = &sb->rules[i];
		rep_emit(rs, "nftables", r->rule, r->applied ? REP_APPLIED : REP_FAILED, "%s%s",
			 r->required ? "required" : "optional",
			 r->applied ? "" : (r->error[0] ? r->error : ": not attempted"));
	}
	if (p->net.nft == NFT_OFF)
		rep_emit(rs, "nftables", "ruleset", REP_SKIPPED,
			 "off by profile (control: namespace without nftables)");
	if (rc < 0)
		return perr_prefix(e, "namespace mode");
	return 0;
}

/* ---- notify: the listener handoff ---- */

/* Where the agent may reach pathname sockets under strict: beneath its
 * read-write paths (the profile's and --rw), at every ABI (notify.h). -1
 * only when the list cannot be stored: the listener is then not confirmed
 * and the agent does not exec. */
static int strict_unix_reach(struct notify_supervisor *ns, const struct run_opts *o,
			     struct rep_sink *rs)
{
	const struct profile_landlock *l = &o->profile->ll;
	char(*buf)[PATH_MAX] = calloc(PROFILE_MAX_PATHS * 2, sizeof(*buf));
	const char *paths[PROFILE_MAX_PATHS * 2];
	char list[512];
	unsigned n = 0;
	size_t off = 0;
	int kept;

	if (!buf) {
		rep_emit(rs, "notify", "unix reach", REP_FAILED, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < l->nrw && n < PROFILE_MAX_PATHS; i++)
		if (landlock_expand_path(l->fs_read_write[i], buf[n], sizeof(buf[n])) == 0) {
			paths[n] = buf[n];
			n++;
		}
	for (size_t i = 0; o->extra_rw && o->extra_rw[i] && n < ARRAY_SIZE(paths); i++)
		if (landlock_expand_path(o->extra_rw[i], buf[n], sizeof(buf[n])) == 0) {
			paths[n] = buf[n];
			n++;
		}
	kept = notify_supervisor_set_unix_reach(ns, paths, n);
	if (kept < 0) {
		free(buf);
		rep_emit(rs, "notify", "unix reach", REP_FAILED, "out of memory");
		return -1;
	}
	list[0] = '\0';
	for (unsigned i = 0; i < n && off < sizeof(list); i++) {
		int w = snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "", paths[i]);
		off += w > 0 ? (size_t)w : 0;
	}
	if (off >= sizeof(list))
		snprintf(list + sizeof(list) - 5, 5, "...");
	free(buf);
	rep_emit(rs, "notify", "unix reach", REP_APPLIED,
		 "a pathname socket is reached (connect, datagram to a path) only beneath the "
		 "read-write paths (%s; %d exist), what Landlock's RESOLVE_UNIX (ABI 9) grants "
		 "through them, checked by the workers at every ABI: EACCES elsewhere",
		 list[0] ? list : "none", kept);
	return 0;
}

/* The strict policy's state for the agent, set before the listener is
 * confirmed. */
struct strict_setup {
	pid_t agent;
	int domain_fd;
	bool domain_required;
	const struct run_opts *o;
};

/* Take the listener the agent sent and confirm it: the agent execs only
 * after this byte, so a mediation that cannot be set up means the command
 * never runs (fail closed). strict: NULL, or the strict policy's state. */
static struct notify_supervisor *take_listener(int sock, const struct notify_allowlist *al,
					       const struct strict_setup *strict,
					       struct rep_sink *rs)
{
	struct notify_supervisor *ns = NULL;
	int listener = -1;
	struct perr e;

	perr_clear(&e);
	if (notify_receive_listener(sock, &listener, &e) == 0 &&
	    (ns = notify_supervisor_new(listener, al, &e))) {
		/* Everything the strict policy decides with is in place before
		 * the agent is told to go on: a failure here sends nothing, and
		 * the agent, reading EOF, never execs. */
		if (strict) {
			notify_supervisor_set_strict(ns, strict->agent, strict->domain_fd,
						     strict->domain_required);
			if (strict_unix_reach(ns, strict->o, rs) < 0) {
				snprintf(e.msg, sizeof(e.msg),
					 "strict: the unix reach: out of memory");
				goto fail;
			}
		}
		if (write(sock, "1", 1) != 1)
			goto fail;
		rep_emit(rs, "notify", "supervisor", REP_APPLIED,
			 "listener received and confirmed before exec; served in the supervisor's "
			 "wait loop (%s); %s",
			 strict ? "connect, bind, send and listen performed on the agent's behalf, "
				  "AF_UNIX pathnames by workers inside its Landlock ruleset; "
				  "signals checked and answered CONTINUE"
				: "connect, bind, send performed on the agent's behalf; receives "
				  "CONTINUE",
			 notify_supervisor_sync_wakeup(ns)
			     ? "synchronous wake-up on (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)"
			     : "synchronous wake-up unavailable (Linux < 6.6): each notification "
			       "costs two cross-CPU wake-ups, slower but the same decisions");
		return ns;
	}
fail:
	if (!e.msg[0])
		snprintf(e.msg, sizeof(e.msg), "%s", strerror(errno)); /* before stop/close */
	if (ns)
		notify_supervisor_stop(ns, NULL);
	else if (listener >= 0)
		close(listener);
	rep_emit(rs, "notify", "supervisor", REP_FAILED,
		 "%s; not confirmed, the agent does not exec", e.msg);
	return NULL;
}

/* ---- notify, strict policy ---- */

/* What the strict policy needs from the kernel, checked before anything
 * runs (fail closed: without it every mediated call would be refused), and
 * the agent's Landlock ruleset for the workers that perform AF_UNIX
 * pathname operations inside it. */
static int strict_prepare(const struct landlock_plan *plan, struct rep_sink *rs, int *domain_fd,
			  struct perr *e)
{
	/* pidfd_getfd (5.6) implies SECCOMP_USER_NOTIF_FLAG_CONTINUE (5.5):
	 * EBADF for a bad pidfd, ENOSYS when missing. */
	if (syscall(SYS_pidfd_getfd, -1, 0, 0) < 0 && errno == ENOSYS) {
		rep_emit(rs, "notify", "kernel", REP_FAILED,
			 "pidfd_getfd (Linux 5.6) is missing: the supervisor cannot take the "
			 "agent's sockets");
		perr_set(e, "platform-strict: the kernel lacks pidfd_getfd (Linux 5.6), "
			    "which notify mediation needs; refusing to start");
		if (e)
			e->feature_missing = true;
		return -1;
	}
	rep_emit(rs, "notify", "kernel", REP_APPLIED,
		 "seccomp user notification, CONTINUE and pidfd_getfd present");
	*domain_fd = -1;
	if (!plan->active) {
		rep_emit(rs, "notify", "worker domain", REP_INFO,
			 "no Landlock ruleset at ABI %d: the agent has none either; the workers "
			 "that perform AF_UNIX pathname calls carry its cwd and umask only",
			 plan->effective_abi);
		return 0;
	}
	*domain_fd = landlock_ruleset_copy(plan, rs);
	if (*domain_fd < 0) {
		rep_emit(rs, "notify", "worker domain", REP_FAILED,
			 "cannot build the agent's Landlock ruleset: %s", strerror(errno));
		return perr_sys(e, errno, "platform-strict: the notify workers' Landlock ruleset");
	}
	rep_emit(rs, "notify", "worker domain", REP_APPLIED,
		 "AF_UNIX pathname connect/bind/sendto are performed by workers that restrict "
		 "themselves with the agent's own Landlock ruleset (ABI %d) and take its cwd and "
		 "umask; the supervisor's other threads stay outside it (they need ptrace access "
		 "to the agent)",
		 plan->effective_abi);
	return 0;
}

/* ---- namespace mode: the proxy and the agent, started early ---- */

/* Namespace mode overlaps its setup on the machine's CPUs (the layout is
 * drawn in docs/architecture.md):
 *  1. the nftables worker (nft.h), forked by `parity run` before anything
 *     else (or by netns_setup), makes the netns and applies the table (one
 *     netlink batch; libnftables on request or as the fallback);
 *     netns_setup takes the netns from it and checks the table it reports;
 *  2. the proxy is forked first here, on a socket bound with IP_FREEBIND
 *     (its address comes later, with the veth), and gets ready meanwhile;
 *  3. the agent is forked as soon as the netns is ours, and does its own
 *     setup there (setns, identity, Landlock, seccomp: about 1 ms) while
 *     the supervisor builds the veth. It then waits at its gate, so the
 *     command starts only once all of that is in place.
 * The supervisor itself never maps libnftables and stays single-threaded:
 * its forks stay cheap, and its copy-on-write faults need no TLB shootdown
 * on the other CPU. */
struct early_start {
	struct agent_ctx *ac;
	int gate_wr; /* the supervisor's end of the gate */
	pid_t pid;   /* the agent; -1 until started */
};

static int start_agent_in_netns(int ns_fd, void *arg, struct perr *e)
{
	struct early_start *es = arg;
	pid_t pid;

	es->ac->sandbox_netns_fd = ns_fd;
	pid = fork();
	if (pid < 0)
		return perr_sys(e, errno, "fork agent");
	if (pid == 0) {
		/* Our end of the gate would keep it from ever seeing EOF. */
		close(es->gate_wr);
		agent_main(es->ac);
	}
	es->pid = pid;
	return 0;
}

static void emit_listen(struct rep_sink *rs, const struct profile *p, bool ok)
{
	const char *h = p->net.proxy_host;
	bool v6 = strchr(h, ':') != NULL;

	if (!ok)
		rep_emit(rs, "proxy", "listen", REP_FAILED, "%s%s%s:%u", v6 ? "[" : "", h,
			 v6 ? "]" : "", p->net.proxy_port);
	else
		rep_emit(rs, "proxy", "listen", REP_APPLIED, "CONNECT proxy on %s%s%s:%u",
			 v6 ? "[" : "", h, v6 ? "]" : "", p->net.proxy_port);
}

/* Listen (with IP_FREEBIND when the address comes later) and fork the
 * proxy; a failure to listen is reported as the proxy's. */
static int start_proxy(const struct run_opts *o, const struct policy *pol, bool freebind,
		       struct rep_sink *rs, struct proxy_child *pc, struct perr *e)
{
	const struct profile *p = o->profile;
	int lfd = freebind ? proxy_listen_freebind(p->net.proxy_host, p->net.proxy_port, e)
			   : proxy_listen(p->net.proxy_host, p->net.proxy_port, e);
	int rc;

	if (lfd < 0) {
		emit_listen(rs, p, false);
		return perr_prefix(e, "proxy");
	}
	rc = proxy_spawn(lfd, o->proxy_log_fd, pol, pc, e);
	close(lfd);
	return rc;
}

/* ---- the run ---- */

static int wait_agent(const struct run_opts *o, struct run_result *res, pid_t agent, pid_t proxy,
		      struct notify_supervisor *ns)
{
	int afd = (int)syscall(SYS_pidfd_open, agent, 0);
	int pfd = proxy > 0 ? (int)syscall(SYS_pidfd_open, proxy, 0) : -1;
	uint64_t deadline =
	    o->timeout_ms ? util_now_ns() + (uint64_t)o->timeout_ms * 1000000ull : 0;
	int status = 0;

	/* notify needs pidfds (pidfd_getfd, 5.6): with it, afd is never -1 */
	int nfd = ns ? notify_supervisor_fd(ns) : -1;

	if (afd < 0) {
		/* No pidfd (kernel < 5.3): plain wait with the timeout helper,
		 * and no probe (it needs the proxy's pidfd). */
		res->status =
		    util_wait_timeout(agent, o->timeout_ms ? o->timeout_ms : -1, &res->timed_out);
		if (o->on_agent_exited)
			o->on_agent_exited(proxy, o->hook_arg);
		if (pfd >= 0)
			close(pfd);
		return 0;
	}
	for (;;) {
		/* A negative fd is ignored by poll: the slots stay fixed. */
		struct pollfd fds[3] = {{.fd = afd, .events = POLLIN},
					{.fd = pfd, .events = POLLIN},
					{.fd = nfd, .events = POLLIN}};
		int left = -1, r;
		if (deadline) {
			uint64_t now = util_now_ns();
			left = now >= deadline ? 0 : (int)((deadline - now) / 1000000ull) + 1;
		}
		r = poll(fds, 3, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			syscall(SYS_pidfd_send_signal, afd, SIGKILL, NULL, 0);
			res->timed_out = true;
			break;
		}
		if (pfd >= 0 && fds[1].revents) {
			/* The proxy is gone while the agent runs: an attack on the
			 * supervisor side (S12). Recorded; the agent goes on. Looked
			 * at before the agent's own exit: both may come in one poll. */
			res->proxy_died_early = true;
			close(pfd);
			pfd = -1;
		}
		if (fds[0].revents)
			break;
		if (nfd >= 0 && (fds[2].revents & POLLIN)) {
			/* The agent's mediated calls: served here, in the loop that
			 * also enforces the timeout, so it never waits for one. */
			if (notify_supervisor_handle(ns) < 0)
				nfd = -1;
		} else if (nfd >= 0 && fds[2].revents) {
			nfd = -1; /* POLLHUP: no filtered task is left */
		}
	}
	TL("agent exited");
	while (waitpid(agent, &status, __WALL) < 0 && errno == EINTR)
		;
	res->status = status;
	if (o->on_agent_exited)
		o->on_agent_exited(proxy, o->hook_arg);
	if (pfd >= 0 && o->proxy_probe_ms > 0) {
		const struct profile *p = o->profile;
		enum proxy_fate f =
		    proxy_probe_fate(p->net.proxy_host, p->net.proxy_port, proxy, pfd,
				     o->proxy_probe_ms, &res->proxy_probe_port);
		res->proxy_probed = true;
		res->proxy_fate = (int)f;
		if (f == PROXY_FATE_DEAD)
			res->proxy_died_early = true;
	}
	if (afd >= 0)
		close(afd);
	if (pfd >= 0)
		close(pfd);
	return 0;
}

/* What the command left running: not the init, us or the proxy. */
static bool not_a_leftover(pid_t pid, void *proxy)
{
	return pid == 1 || pid == getpid() || pid == *(pid_t *)proxy;
}

/* Kill the pod but the init and us (kill(-1): the proxy, and what the
 * command left running), and wait until the leftovers are gone (their
 * pidfds readable; the init reaps them) and the proxy is reaped, so that
 * their sockets are closed while the veth is still up. Returns the
 * proxy's wait status. */
static int kill_pod_leftovers(pid_t proxy, int *fds, int n)
{
	uint64_t end = util_now_ns() + 2000000000ull;
	int st = 0;

	kill(-1, SIGKILL);
	for (int i = 0; i < n; i++) {
		struct pollfd p = {.fd = fds[i], .events = POLLIN};
		uint64_t now = util_now_ns();
		int left = now >= end ? 0 : (int)((end - now) / 1000000u) + 1;
		while (poll(&p, 1, left) < 0 && errno == EINTR)
			;
		close(fds[i]);
	}
	if (proxy > 0)
		while (waitpid(proxy, &st, 0) < 0 && errno == EINTR)
			;
	return st;
}

int enforcer_run(const struct run_opts *o, struct enf_report *rep, struct run_result *res,
		 struct perr *e)
{
	const struct profile *p = o->profile;
	struct rep_sink rs = {.report = rep, .fd = -1};
	static struct landlock_plan plan;
	struct policy pol;
	static struct notify_allowlist allow;
	struct notify_supervisor *ns = NULL;
	int nsock[2] = {-1, -1};
	struct agent_ctx ac;
	char **proxy_env = NULL;
	static struct netns_sandbox sb;
	int ns_fd = -1, pipefd[2] = {-1, -1}, domain_fd = -1;
	bool strict =
	    p->sc.enabled && p->sc.notify.enabled && p->sc.notify.policy == NOTIFY_POLICY_STRICT;
	pid_t proxy_pid = -1, agent_pid = -1;
	int gate[2] = {-1, -1};
	struct early_start early = {.ac = &ac, .gate_wr = -1, .pid = -1};
	struct proxy_child proxy = {.pid = -1, .ready_fd = -1};
	bool child_failed = false, exec_seen = false;
	uint64_t t0 = util_now_ns();
	char buf[8192];
	size_t used = 0, failed_before;
	unsigned long agent_netns_ino = 0;
	int rc = -1;

	util_name_role("sup");
	TL("start");
	memset(res, 0, sizeof(*res));
	memset(&pol, 0, sizeof(pol));
	memset(&ac, 0, sizeof(ac));
	res->agent_pid = res->proxy_pid = -1;
	if (!o->argv || !o->argv[0])
		return perr_usage(e, "no command to run");

	/* 1. Everything that can refuse does so before anything runs. */
	if (seccomp_check_profile(&p->sc, p->path, e) < 0)
		return -1;
	if (landlock_plan(&p->ll, o->landlock_abi_cap, o->compat, o->extra_ro, o->extra_rw, &plan,
			  &rs, e) < 0)
		return -1;
	{
		json_t *ll = json_object();
		json_object_set_new(ll, "kernel_abi", json_integer(plan.kernel_abi));
		json_object_set_new(
		    ll, "effective_abi",
		    json_integer(p->ll.enabled ? plan.effective_abi
					       : (o->landlock_abi_cap >= 0 ? o->landlock_abi_cap
									   : plan.kernel_abi)));
		/* Emulated only when the cap is below what the kernel has. */
		json_object_set_new(ll, "emulated",
				    json_boolean(o->landlock_abi_cap >= 0 &&
						 o->landlock_abi_cap < plan.kernel_abi));
		json_object_set_new(ll, "compat",
				    json_string(o->compat == COMPAT_HARD ? "hard" : "best-effort"));
		report_set(rep, "landlock", ll);
		json_decref(ll);
	}
	{
		char dflt[4096];
		const char *pp = o->policy_path
				     ? o->policy_path
				     : profile_policy_path(p->net.proxy_open ? "open" : "default",
							   dflt, sizeof(dflt));
		if (policy_load(pp, &pol, e) < 0)
			return -1;
		if (pol.open)
			rep_emit(&rs, "proxy", "policy", REP_INFO,
				 "%s: OPEN: every host and port, no address refused (the "
				 "positive control's proxy)",
				 pp);
		else
			rep_emit(&rs, "proxy", "policy", REP_INFO, "%s: %zu rule(s)%s", pp,
				 pol.n_rules, pol.n_rules ? "" : ": every CONNECT refused");
	}

	/* The agent's context is complete before anything is set up. */
	if (proxy_agent_env(p->net.proxy_host, p->net.proxy_port, &proxy_env) < 0) {
		perr_sys(e, ENOMEM, "proxy environment");
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		perr_sys(e, errno, "pipe");
		goto out;
	}
	ac.o = o;
	ac.plan = &plan;
	ac.sandbox_netns_fd = -1;
	ac.report_fd = pipefd[1];
	ac.notify_sock = -1;
	ac.gate_fd = -1;
	ac.supervisor = getpid();
	ac.env = agent_env(o, proxy_env);
	if (!ac.env) {
		perr_sys(e, ENOMEM, "agent environment");
		goto out;
	}

	/* 2. The supervisor side: netns (root) or the restricted pod drop. */
	if (p->net.mode == NET_NAMESPACE) {
		/* The agent starts inside the new netns and waits at its gate.
		 * Not early with notify (its listener is taken first), nor when
		 * the supervisor drops its identity: the agent must then start
		 * from the dropped one, as it always has. */
		bool start_early =
		    !(p->sc.enabled && p->sc.notify.enabled) && !p->id.supervisor_drop;
		if (start_early) {
			if (pipe2(gate, O_CLOEXEC) < 0) {
				perr_sys(e, errno, "agent gate: pipe");
				goto out;
			}
			ac.gate_fd = gate[0];
			early.gate_wr = gate[1];
			if (start_proxy(o, &pol, true, &rs, &proxy, e) < 0)
				goto out;
			proxy_pid = proxy.pid;
		}
		int sr = setup_namespace(p, o->nft_worker_sock, &rs, &sb,
					 start_early ? start_agent_in_netns : NULL, &early, e);
		agent_pid = early.pid;
		if (sr < 0)
			goto out;
		ns_fd = sb.ns_fd;
	}
	if (p->id.supervisor_drop) {
		struct identity_target sup = {
		    .who = "supervisor",
		    .change_ids = true,
		    .uid = p->id.supervisor_uid,
		    .gid = p->id.supervisor_gid,
		    .clear_capabilities = true,
		    .no_new_privs = true,
		    .not_dumpable = false,
		};
		if (geteuid() != 0 && geteuid() != sup.uid) {
			perr_set(e, "platform: started as uid %u, cannot become the pod uid %u",
				 (unsigned)geteuid(), (unsigned)sup.uid);
			goto out;
		}
		if (identity_apply(&sup, &rs) < 0) {
			perr_set(e, "platform: could not become the restricted pod identity");
			goto out;
		}
		pidns_die_with_parent(0);
	}

	/* 2b. The notify allowlist: names resolved once, in the supervisor,
	 * before the agent exists; frozen for the session. */
	if (p->sc.enabled && p->sc.notify.enabled &&
	    notify_allowlist_build(p, &pol, o->proxy_log_fd, &allow, &rs, e) < 0) {
		perr_prefix(e, "notify");
		goto out;
	}
	if (strict && strict_prepare(&plan, &rs, &domain_fd, e) < 0)
		goto out;

	/* 3. The proxy (already forked when the agent started early). */
	if (proxy.pid < 0) {
		if (start_proxy(o, &pol, false, &rs, &proxy, e) < 0)
			goto out;
		proxy_pid = proxy.pid;
	}
	emit_listen(&rs, p, true);
	TL("proxy wait");
	if (proxy_await_ready(&proxy, e) < 0) {
		proxy_pid = -1; /* killed and reaped */
		goto out;
	}
	res->proxy_pid = proxy_pid;

	/* 4. The agent. */
	ac.sandbox_netns_fd = ns_fd;
	if (p->sc.enabled && p->sc.notify.enabled) {
		/* The listener is created in the agent (it must be the filtered
		 * process) and sent back here over SCM_RIGHTS. */
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, nsock) < 0) {
			perr_sys(e, errno, "notify: socketpair");
			goto out;
		}
		ac.notify_sock = nsock[1];
	}
	res->setup_ms = (double)(util_now_ns() - t0) / 1e6;
	if (agent_pid > 0) {
		/* Started early and waiting: everything is in place, open the
		 * gate. gate[0] is still open here, so this write cannot raise
		 * SIGPIPE even if the agent has already failed and exited; its
		 * failure is read from the report pipe below as before. */
		TL("gate open");
		if (write(gate[1], "1", 1) != 1) {
			perr_sys(e, errno, "agent gate");
			goto out;
		}
		close(gate[1]);
		gate[1] = -1;
	} else {
		agent_pid = fork();
		if (agent_pid < 0) {
			perr_sys(e, errno, "fork agent");
			goto out;
		}
		if (agent_pid == 0)
			agent_main(&ac);
	}
	if (gate[0] >= 0) {
		close(gate[0]);
		gate[0] = -1;
	}
	res->agent_pid = agent_pid;
	close(pipefd[1]);
	pipefd[1] = -1;
	{
		struct stat nst;
		if (fstat(ns_fd >= 0 ? ns_fd : -1, &nst) == 0 ||
		    stat("/proc/self/ns/net", &nst) == 0)
			agent_netns_ino = (unsigned long)nst.st_ino;
	}
	if (nsock[1] >= 0) {
		close(nsock[1]);
		nsock[1] = -1;
	}
	if (ns_fd >= 0 && o->proxy_probe_ms <= 0) {
		/* The agent holds the sandbox netns now; the veth host side stays
		 * in ours, and both go when the agent's last process exits.
		 * (With a probe to make after the agent, the teardown closes it:
		 * the proxy's address is on that veth.) */
		close(ns_fd);
		ns_fd = sb.ns_fd = -1;
	}
	/* Read the child's entries until EOF: exec or exit. */
	failed_before = report_count(rep, REP_FAILED);
	for (;;) {
		ssize_t r;
		char *nl, *line;
		if (nsock[0] >= 0 && !ns) {
			/* The agent waits for our confirmation of its listener
			 * before it goes on to exec. */
			struct pollfd pf[2] = {{.fd = pipefd[0], .events = POLLIN},
					       {.fd = nsock[0], .events = POLLIN}};
			if (poll(pf, 2, -1) < 0)
				continue;
			if (pf[1].revents & POLLIN) {
				struct strict_setup ss = {.agent = agent_pid,
							  .domain_fd = domain_fd,
							  .domain_required = plan.active,
							  .o = o};
				ns = take_listener(nsock[0], &allow, strict ? &ss : NULL, &rs);
				if (!ns) {
					close(nsock[0]); /* the agent reads EOF and fails */
					nsock[0] = -1;
				}
				continue;
			}
			if (pf[1].revents) {
				close(nsock[0]);
				nsock[0] = -1;
			}
			if (!pf[0].revents)
				continue;
		}
		r = read(pipefd[0], buf + used, sizeof(buf) - 1 - used);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		used += (size_t)r;
		buf[used] = 0;
		line = buf;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			if (strcmp(line, "exec") == 0)
				exec_seen = true;
			else
				report_add_line(rep, line);
			line = nl + 1;
		}
		used = strlen(line);
		memmove(buf, line, used);
	}
	child_failed = report_count(rep, REP_FAILED) > failed_before;
	res->exec_done = exec_seen && !child_failed;
	if (res->exec_done && p->sc.enabled && p->sc.notify.enabled && !ns) {
		/* Cannot happen (no confirmation, no exec); never run unmediated. */
		kill(agent_pid, SIGKILL);
		res->exec_done = false;
	}
	if (res->exec_done && o->on_agent_started)
		o->on_agent_started(agent_pid, agent_netns_ino, o->hook_arg);
	wait_agent(o, res, agent_pid, proxy_pid, ns);
	if (ns) {
		struct notify_stats st;
		char reasons[512] = "";
		notify_supervisor_stop(ns, &st);
		ns = NULL;
		for (unsigned i = 0; i < ARRAY_SIZE(st.by_reason); i++)
			if (st.by_reason[i])
				snprintf(reasons + strlen(reasons),
					 sizeof(reasons) - strlen(reasons), "%s%s x%lu",
					 reasons[0] ? ", " : "", notify_reason_name(i),
					 st.by_reason[i]);
		rep_emit(
		    &rs, "notify", "mediation", REP_INFO,
		    "%lu notification(s): %lu performed, %lu denied, %lu continued (receives), "
		    "%lu failed closed, %lu stale, %lu refused for lack of a worker; reasons: "
		    "%s; workers peak %u; inline handling mean %.1f us, max %.1f us",
		    st.received, st.allowed, st.denied, st.continued, st.failed, st.stale,
		    st.overload, reasons[0] ? reasons : "none", st.workers_peak,
		    st.received ? st.handle_us_total / (double)st.received : 0.0, st.handle_us_max);
	}
	res->run_ms = (double)(util_now_ns() - t0) / 1e6 - res->setup_ms;
	if (!res->exec_done) {
		char st[64];
		perr_set(e,
			 "the sandbox could not be established (agent setup %s); the command "
			 "was not run",
			 util_status_str(res->status, st, sizeof(st)));
		goto out;
	}
	rc = 0;
out:
	if (gate[1] >= 0 && agent_pid > 0) {
		/* Started early, never let through: EOF at its gate, and gone. */
		close(gate[1]);
		gate[1] = -1;
		kill(agent_pid, SIGKILL);
		while (waitpid(agent_pid, NULL, __WALL) < 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < 2; i++)
		if (gate[i] >= 0)
			close(gate[i]);
	if (proxy.ready_fd >= 0)
		close(proxy.ready_fd);
	free(ac.env);
	/* The proxy is killed first and reaped last: its exit overlaps with
	 * the veth's teardown. But what the command left running (a child
	 * holding a connection to the proxy) dies first, with the proxy,
	 * while the veth is still up: killed later, by the init's exit, its
	 * sockets would close over a dead link, and each orphaned one keeps
	 * retransmitting its FIN and holds the netns and the veth for up to
	 * about 100 s (tcp_orphan_retries). */
	if (o->own_pidns && sb.active) {
		int fds[256], n = pidns_pidfds(not_a_leftover, &proxy_pid, fds, 256);
		if (n > 0) {
			res->proxy_status = kill_pod_leftovers(proxy_pid, fds, n);
			proxy_pid = -1;
		}
	}
	if (proxy_pid > 0)
		kill(proxy_pid, SIGKILL);
	if (sb.active) {
		/* Host veth down first, then the supervisor-side table (if any):
		 * nothing left in the sandbox is ever unfiltered. */
		struct perr te;
		if (netns_teardown(&sb, &te) < 0 && rc == 0) {
			*e = te;
			rc = -1;
		}
		ns_fd = -1;
	}
	if (proxy_pid > 0) {
		int st = 0;
		while (waitpid(proxy_pid, &st, 0) < 0 && errno == EINTR)
			;
		res->proxy_status = st;
	}
	if (ns_fd >= 0)
		close(ns_fd);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (ns)
		notify_supervisor_stop(ns, NULL);
	if (domain_fd >= 0)
		close(domain_fd);
	for (int i = 0; i < 2; i++)
		if (nsock[i] >= 0)
			close(nsock[i]);
	for (char **pe = proxy_env; pe && *pe; pe++)
		free(*pe);
	free(proxy_env);
	policy_free(&pol);
	return rc;
}
