/* proxy_child.h - the supervisor's side of the proxy process: fork it on a
 * listening socket, then wait for the one byte it writes once its loop is
 * set up. The agent starts only after that byte (enforcer.c), so what it
 * finds is the running proxy, never one half started.
 *
 *   proxy_spawn        fork; the child dies with the supervisor, keeps only
 *                      listen_fd, its ready pipe and log_fd (-1: none)
 *   proxy_await_ready  wait up to 5 s; on failure the child is killed and
 *                      reaped (pc->pid = -1)
 *   proxy_probe_fate   after the agent is gone (the lab's witness): make
 *                      the proxy run once more and see whether it can
 */
#ifndef PARITY_PROXY_CHILD_H
#define PARITY_PROXY_CHILD_H

#include <stdint.h>
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

/* A fatal signal sent to the proxy, a stack overwritten, a BPF program that
 * signals it at its next syscall: each takes effect only when the proxy
 * next runs, which may be after the agent has exited. The probe makes it
 * run: it connects to host:port and sends a request line the proxy must
 * refuse. Only the proxy's refusal ("HTTP/1.1 405") is ALIVE: it ran user
 * code after everything the agent did. Its pidfd becoming readable (after
 * a reset, EOF, a refused connect, or while waiting) is DEAD; stopped by a
 * signal or a tracer (waitid, as its parent, or /proc/<pid>/stat T/t: a
 * /proc of the caller's PID namespace) is STOPPED; anything else within
 * timeout_ms is UNKNOWN. pidfd -1: never DEAD. *probe_port is the probe's
 * local port (its line in the proxy log), 0 if it never connected. */
enum proxy_fate { PROXY_FATE_UNKNOWN, PROXY_FATE_ALIVE, PROXY_FATE_DEAD, PROXY_FATE_STOPPED };
enum proxy_fate proxy_probe_fate(const char *host, uint16_t port, pid_t pid, int pidfd,
				 int timeout_ms, uint16_t *probe_port);
const char *proxy_fate_name(enum proxy_fate f);

#endif
