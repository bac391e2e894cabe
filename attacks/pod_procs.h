/* pod_procs.h - what the abstract, signal and escape families share: finding
 * the pod's processes from inside the sandbox, as an attacker would, and the
 * witnessed follow-up every escape primitive ends with (the marker, straight
 * to the sink).
 *
 * Finding processes. The sandbox shares the pod's PID namespace, so kill()
 * takes the pod's numbers (PARITY_VICTIM_PID, PARITY_SUPERVISOR_PID). /proc
 * may show another numbering: the lab does not mount a procfs of its own in
 * the pod, so /proc is the host's and /proc/2 is kthreadd, not the
 * supervisor. pod_scan() reads every /proc/N/status, keeps the processes
 * whose NSpid has as many levels as ours and whose PPid chain reaches our own
 * PID namespace's init, and records both numberings. With a procfs of the
 * pod's own (one NSpid level) the two are the same.
 *
 * Reading /proc/N/status needs no ptrace access (it is 0444), so this works
 * under every profile; maps, fd/ and ns/ do need it and are checked where
 * used.
 */
#ifndef PARITY_POD_PROCS_H
#define PARITY_POD_PROCS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "attack.h"

#define POD_MAX 64

struct pod_proc {
	pid_t pid;	/* in the attack's PID namespace: what kill() takes */
	pid_t proc_pid; /* under /proc (the host's numbering if /proc is the host's) */
	pid_t ppid;	/* the parent, in the attack's namespace (0: outside it) */
	uid_t uid;	/* real uid */
	uint64_t sigblk, sigign;
	char name[17];
};

struct pod_view {
	struct pod_proc p[POD_MAX];
	size_t n;
	bool host_proc;	 /* /proc numbers an outer PID namespace */
	pid_t self;	 /* getpid() */
	pid_t init_proc; /* our namespace's init, under /proc */
};

/* Scan /proc; logs the opendir and a note per process kept. 0 or -1. */
int pod_scan(struct attack_log *log, struct pod_view *v);
const struct pod_proc *pod_get(const struct pod_view *v, pid_t pid);
/* /proc/<proc_pid of pid>/<rel>; -1 when pid is not in the view. */
int pod_path(const struct pod_view *v, pid_t pid, const char *rel, char *buf, size_t len);

/* The sacrificial victim: a child of the supervisor, not us, not the signal
 * victim, that blocks every catchable signal (only SIGKILL and SIGSTOP can
 * touch it): an idle helper. Logs how it was chosen. NULL if none. */
const struct pod_proc *pod_find_sacrificial(const struct attack_env *env, const struct pod_view *v,
					    struct attack_log *log);
/* The proxy: a child of the supervisor, not us, not a victim, that ignores
 * SIGPIPE (a network daemon) and blocks nothing. NULL if none. */
const struct pod_proc *pod_find_proxy(const struct attack_env *env, const struct pod_view *v,
				      struct attack_log *log);

/* The witnessed follow-up: TCP to host:port, send the marker. Returns
 * CLAIM_ESCAPED when the marker was sent, else CLAIM_BLOCKED. */
int pod_marker_tcp(const struct attack_env *env, struct attack_log *log, const char *host,
		   uint16_t port, const char *label);

#endif
