/* agent.h - the agent child: the process that becomes the sandboxed
 * command. Forked by the supervisor (enforcer.c), it joins the sandbox
 * netns, sheds every inherited fd but stdio and its report pipe, applies
 * its identity, Landlock and seccomp in that order, waits at its gate when
 * it was started early, and execs. Every step is reported on its report
 * pipe; a step that fails ends it before the command runs. */
#ifndef PARITY_AGENT_H
#define PARITY_AGENT_H

#include <sys/types.h>

#include "enforcer.h"
#include "landlock.h"

struct agent_ctx {
	const struct run_opts *o;
	struct landlock_plan *plan;
	int sandbox_netns_fd; /* -1 in host mode */
	int report_fd;	      /* write end, CLOEXEC */
	int notify_sock;      /* notify listener goes to the supervisor; -1: none */
	int gate_fd;	      /* read end: one byte, then exec; EOF: exit unrun. -1: none */
	char **env;
	pid_t supervisor;
};

/* The command's environment: the caller's, without any proxy variable or
 * PARITY_SUPERVISOR_PID, then proxy_env, the run's extra_env and (when
 * asked) PARITY_SUPERVISOR_PID. The strings are borrowed; free only the
 * array. NULL: out of memory. */
char **agent_env(const struct run_opts *o, char **proxy_env);
/* In the forked child: set up and exec a->o->argv; never returns. */
__attribute__((noreturn)) void agent_main(const struct agent_ctx *a);

#endif
