/* proxy_child.h - the supervisor's side of the proxy process: fork it on a
 * listening socket, then wait for the one byte it writes once its loop is
 * set up. The agent starts only after that byte (enforcer.c), so what it
 * finds is the running proxy, never one half started.
 *
 *   proxy_spawn        fork; the child dies with the supervisor, keeps only
 *                      listen_fd, its ready pipe and log_fd (-1: none)
 *   proxy_await_ready  wait up to 5 s; on failure the child is killed and
 *                      reaped (pc->pid = -1)
 */
#ifndef PARITY_PROXY_CHILD_H
#define PARITY_PROXY_CHILD_H

#include <sys/types.h>

#include "err.h"
#include "policy.h"

struct proxy_child {
	pid_t pid;    /* -1: not started */
	int ready_fd; /* its "serving" byte arrives here; -1 once read */
};

int proxy_spawn(int listen_fd, int log_fd, const struct policy *pol, struct proxy_child *pc,
		struct perr *e);
int proxy_await_ready(struct proxy_child *pc, struct perr *e);

#endif
