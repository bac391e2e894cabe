/* enforcer.h - `parity run`: apply a profile and run a command in it.
 *
 * Process model (see docs/architecture.md):
 *
 *   caller (the supervisor) --fork--> proxy   (serves the CONNECT proxy)
 *                           --fork--> agent   setsid, [setns], identity,
 *                                             landlock, seccomp, exec CMD
 *
 * The caller becomes the supervisor: in namespace mode it builds the sandbox
 * netns first (the agent is forked as soon as the netns exists, sets itself
 * up there and waits at a gate until the veth, the table and the proxy are
 * in place); in platform mode started as root it first drops to the
 * restricted pod identity. enforcer_run() returns when the agent has exited
 * (or timed out), after stopping the proxy. Cleanup of namespaces is the
 * kernel's: they are anonymous and held only by fds and processes.
 */
#ifndef PARITY_ENFORCER_H
#define PARITY_ENFORCER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "profile.h"
#include "report.h"

enum compat_mode {
	COMPAT_BEST_EFFORT, /* skip what the ABI lacks, reported */
	COMPAT_HARD,	    /* refuse to start, naming the missing feature */
};

struct run_opts {
	const struct profile *profile;
	const char *policy_path; /* proxy allowlist; NULL: the shipped default */
	int landlock_abi_cap;	 /* -1: the kernel's own ABI */
	enum compat_mode compat;
	char *const *argv;	     /* command and arguments */
	char *const *extra_env;	     /* "K=V" added to the agent's environment */
	const char *const *extra_ro; /* extra Landlock read-only paths */
	const char *const *extra_rw; /* extra Landlock read-write paths */
	int proxy_log_fd;	     /* JSON lines of upstream connections; -1: none */
	int agent_stdin;	     /* -1: inherit */
	int agent_stdout;
	int agent_stderr;
	int timeout_ms;		    /* 0: none */
	bool export_supervisor_pid; /* PARITY_SUPERVISOR_PID in the agent env */
	/* >0: once the agent is gone, probe the proxy for at most this long
	 * before it is torn down (proxy_probe_fate): the lab's witness of an
	 * attack on the proxy that takes effect only when it next runs. The
	 * sandbox netns (namespace mode) is then kept until the probe is
	 * done: the proxy's address is on its veth. Needs pidfds (5.3) and a
	 * /proc of the caller's PID namespace (the lab mounts its own). */
	int proxy_probe_ms;
	/* Namespace mode: the socket of an nft_worker the caller started with
	 * NFT_WORKER_NEW_NETNS before anything else (the caller reaps it); -1:
	 * the enforcer starts its own. See nft.h. */
	int nft_worker_sock;
	/* Called in the supervisor once the agent runs (lab bookkeeping), with
	 * the inode of the network namespace the agent was put in. */
	void (*on_agent_started)(pid_t agent, unsigned long netns_ino, void *arg);
	/* Called once the agent has exited and been reaped, before the proxy's
	 * probe and the teardown, with the proxy's pid (-1: none): the lab
	 * ends whatever the program left running there. */
	void (*on_agent_exited)(pid_t proxy, void *arg);
	void *hook_arg;
	/* The supervisor runs in a PID namespace of its own (parity run as
	 * root): in namespace mode it then kills what the command left
	 * running, with the proxy, before the veth goes down. Never set it
	 * otherwise: that kill is kill(-1). */
	bool own_pidns;
};

struct run_result {
	int status; /* wait status of the agent */
	bool timed_out;
	bool exec_done; /* the command started (all layers applied) */
	pid_t agent_pid;
	pid_t proxy_pid;
	int proxy_status;	   /* wait status of the proxy after the run */
	bool proxy_died_early;	   /* the proxy died on its own: while the agent ran,
				    * or before it could answer the post-run probe */
	bool proxy_probed;	   /* proxy_probe_ms was set and the proxy was not
				    * yet known dead when the agent exited */
	int proxy_fate;		   /* enum proxy_fate of that probe */
	uint16_t proxy_probe_port; /* the probe's local port (its proxy log line) */
	double setup_ms, run_ms;
};

/* Build and run. Returns 0 when the command was run (whatever its status),
 * -1 with e set when the sandbox could not be established (the command never
 * ran). `report` receives every entry; caller owns it. */
int enforcer_run(const struct run_opts *o, struct enf_report *report, struct run_result *res,
		 struct perr *e);

/* The namespace mode's network configuration for profile p (what
 * enforcer_run builds; `parity run` uses it to start the nftables worker
 * with the same table: netns_nft_cfg). */
struct netns_cfg;
void enforcer_netns_cfg(const struct profile *p, struct netns_cfg *cfg);

/* Default run_opts (fds -1, ABI cap -1, best-effort). */
void run_opts_init(struct run_opts *o);

#endif
