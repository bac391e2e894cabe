/* agent.c - the agent child (see agent.h): its environment, and the
 * steps from fork to exec. */
#include "agent.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "identity.h"
#include "pidns.h"
#include "seccomp_layer.h"
#include "util.h"
#include "timeline.h"

extern char **environ;

/* ---- the agent's environment ---- */

static bool is_proxy_var(const char *kv)
{
	static const char *const names[] = {
	    "HTTP_PROXY=", "HTTPS_PROXY=", "ALL_PROXY=", "http_proxy=", "https_proxy=",
	    "all_proxy=",  "grpc_proxy=",  "NO_PROXY=",	 "no_proxy=",	"PARITY_SUPERVISOR_PID="};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strncmp(kv, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

char **agent_env(const struct run_opts *o, char **proxy_env)
{
	size_t n = 0, k = 0;
	char **env;
	static char sup[48];

	for (char **p = environ; *p; p++)
		n++;
	for (char **p = proxy_env; p && *p; p++)
		n++;
	for (char *const *p = o->extra_env; p && *p; p++)
		n++;
	env = calloc(n + 2, sizeof(char *));
	if (!env)
		return NULL;
	for (char **p = environ; *p; p++)
		if (!is_proxy_var(*p))
			env[k++] = *p;
	for (char **p = proxy_env; p && *p; p++)
		env[k++] = *p;
	for (char *const *p = o->extra_env; p && *p; p++)
		env[k++] = *p;
	if (o->export_supervisor_pid) {
		snprintf(sup, sizeof(sup), "PARITY_SUPERVISOR_PID=%d", (int)getpid());
		env[k++] = sup;
	}
	env[k] = NULL;
	return env;
}

/* ---- the agent child ---- */

static void fail_child(struct rep_sink *rs, const char *layer, const char *what)
{
	rep_emit(rs, layer, what, REP_FAILED, "the command was not run");
	_exit(PARITY_EXIT_INFRA);
}

void agent_main(const struct agent_ctx *a)
{
	const struct profile *p = a->o->profile;
	struct rep_sink rs = {.report = NULL, .fd = a->report_fd};
	struct identity_target id = {0};
	int keep[3] = {a->report_fd, a->notify_sock, a->gate_fd};

	pidns_die_with_parent(a->supervisor);
	util_name_role("agent");
	TL("start");
	/* stdio first, then nothing but the report pipe survives: an fd the
	 * supervisor holds must never leak into the sandbox (attack E11). */
	if (a->o->agent_stdin >= 0 && dup2(a->o->agent_stdin, 0) < 0)
		fail_child(&rs, "exec", "stdin");
	if (a->o->agent_stdout >= 0 && dup2(a->o->agent_stdout, 1) < 0)
		fail_child(&rs, "exec", "stdout");
	if (a->o->agent_stderr >= 0 && dup2(a->o->agent_stderr, 2) < 0)
		fail_child(&rs, "exec", "stderr");
	if (a->sandbox_netns_fd >= 0) {
		int nsfd = a->sandbox_netns_fd;
		if (p->id.setsid && setsid() < 0)
			fail_child(&rs, "identity", "setsid");
		if (setns(nsfd, CLONE_NEWNET) < 0) {
			rep_emit(&rs, "netns", "join sandbox netns", REP_FAILED, "setns: %s",
				 strerror(errno));
			_exit(PARITY_EXIT_INFRA);
		}
		rep_emit(&rs, "netns", "join sandbox netns", REP_APPLIED, "setns(CLONE_NEWNET)");
	} else if (p->id.setsid) {
		if (setsid() < 0)
			fail_child(&rs, "identity", "setsid");
	}
	if (p->id.setsid)
		rep_emit(&rs, "identity", "agent: setsid", REP_APPLIED, "new session, no tty");
	if (p->id.close_inherited_fds) {
		util_close_fds_from(3, keep, ARRAY_SIZE(keep)); /* a -1 keeps nothing */
		rep_emit(&rs, "identity", "agent: inherited fds", REP_APPLIED,
			 "every fd but stdio closed before exec");
	} else {
		rep_emit(&rs, "identity", "agent: inherited fds", REP_SKIPPED,
			 "kept by profile: the agent inherits what the supervisor leaks");
	}

	TL("netns joined, fds closed");
	/* Landlock phase 1 while still privileged (reference PR #810). */
	if (a->plan->active)
		landlock_prepare(a->plan, &rs);

	id.who = "agent";
	id.change_ids = p->id.agent_drop;
	id.uid = p->id.agent_uid;
	id.gid = p->id.agent_gid;
	id.clear_capabilities = p->id.clear_capabilities;
	id.no_new_privs = p->id.no_new_privs;
	id.not_dumpable = p->id.not_dumpable;
	if (identity_apply(&id, &rs) < 0)
		_exit(PARITY_EXIT_INFRA);
	TL("identity");
	/* Credential changes clear the parent-death signal: set it again. */
	pidns_die_with_parent(a->supervisor);
	if (p->sc.enabled && p->sc.notify.enabled) {
		/* The supervisor reads the agent's memory and takes its sockets:
		 * ptrace access, which a non-dumpable agent denies to a supervisor
		 * without CAP_SYS_PTRACE (docs/notify.md). */
		if (!p->id.not_dumpable)
			rep_emit(
			    &rs, "identity", "agent: dumpable", REP_APPLIED,
			    "left dumpable for the notify supervisor (process_vm_readv, "
			    "pidfd_getfd need ptrace access); the reference's PR_SET_DUMPABLE 0 "
			    "would deny them (docs/notify.md)");
		else
			rep_emit(&rs, "identity", "agent: dumpable", REP_INFO,
				 "PR_SET_DUMPABLE 0 with notify: execve resets it for a readable "
				 "binary; a program that sets it again (or an execute-only binary) "
				 "gets every mediated call refused");
	}

	if (a->plan->active && landlock_enforce(a->plan, &rs) < 0)
		_exit(PARITY_EXIT_INFRA);
	TL("landlock");
	if (seccomp_apply(&p->sc, a->notify_sock, &rs) < 0)
		_exit(PARITY_EXIT_INFRA);
	TL("seccomp");

	/* Started early (namespace mode: while the supervisor builds the veth,
	 * the table and the proxy): every layer is in place, the command waits
	 * for the supervisor's byte. EOF means its setup failed: never run. */
	if (a->gate_fd >= 0) {
		char go;
		ssize_t n;
		while ((n = read(a->gate_fd, &go, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			_exit(PARITY_EXIT_INFRA);
		close(a->gate_fd);
	}
	TL("gate passed");
	/* The marker line "exec": the supervisor knows every layer is in place
	 * and the next thing is the command itself. */
	(void)!write(a->report_fd, "exec\n", 5);
	execvpe(a->o->argv[0], a->o->argv, a->env);
	rep_emit(&rs, "exec", a->o->argv[0], REP_FAILED, "execvp: %s", strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}
