/* pidns.h - run a function as the worker of a fresh PID namespace.
 *
 *   caller --clone(CLONE_NEWPID)--> init (pid 1): PDEATHSIG=SIGKILL, reaps
 *                                    └─ worker: fn(arg); exit code = return
 *
 * When the caller dies (even SIGKILL), init gets SIGKILL, and the kernel
 * kills every process of a PID namespace whose init dies: nothing outlives
 * the caller. The worker is not pid 1, so signals to it behave normally
 * (an init ignores signals it has no handler for).
 */
#ifndef PARITY_PIDNS_H
#define PARITY_PIDNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

/* What the init saw of its worker (the supervisor) while it waited: each
 * time it was stopped by a signal (SIGSTOP, SIGTSTP...) and continued,
 * through wait(WUNTRACED | WCONTINUED). As its parent, the init sees every
 * stop that took effect, however short; a look at /proc now and then does
 * not. (A SIGCONT that comes before the target took its pending SIGSTOP
 * discards it: that stop never happened, and nothing is reported.) It
 * lives in memory shared with the caller (MAP_SHARED before the clone). */
struct pidns_watch {
	_Atomic int stops;	 /* group stops reported */
	_Atomic int continues;	 /* SIGCONTs that ended one (or one under way) */
	_Atomic int stop_signal; /* the first stop's signal, 0: none */
};

/* extra_flags: more CLONE_NEW* flags for the namespace. With CLONE_NEWNS the
 * init makes / private and mounts a procfs of the new PID namespace on
 * /proc. The init always starts a new session (setsid).
 * Without the privilege for a PID namespace (not root) and with
 * allow_fallback, the worker is forked directly with PDEATHSIG instead and
 * *isolated is false. Returns init's (or the worker's) pid. */
pid_t pidns_spawn(int (*fn)(void *), void *arg, unsigned long extra_flags, bool allow_fallback,
		  bool *isolated, struct perr *e);
/* The same, the init recording its worker's stops in *watch (NULL: not). */
pid_t pidns_spawn_watched(int (*fn)(void *), void *arg, unsigned long extra_flags,
			  bool allow_fallback, bool *isolated, struct pidns_watch *watch,
			  struct perr *e);

/* A wait status of the worker that is a stop or a continue: recorded in w
 * (when not NULL); true. An exit or a death: false. */
bool pidns_watch_note(struct pidns_watch *w, int status);

/* "1 stop, the first by SIGSTOP; 1 continue" into buf;
 * returns its length, 0 (buf "") when nothing was seen. */
size_t pidns_watch_describe(struct pidns_watch *w, char *buf, size_t len);

/* Called first thing in a child: die with the parent. `expected_parent` is
 * the parent's pid before fork; if it already died, exit at once. */
void pidns_die_with_parent(pid_t expected_parent);

/* Inside a PID namespace of one's own, whose /proc lists it alone: a pidfd
 * of each process /proc lists but those skip() names (skip may be NULL),
 * at most max, in fds. Processes gone meanwhile are left out. Returns how
 * many. The teardowns use it to find what a program left running. */
int pidns_pidfds(bool (*skip)(pid_t pid, void *arg), void *arg, int *fds, int max);

#endif
