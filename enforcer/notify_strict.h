/* notify_strict.h - platform-strict's decisions for the notify supervisor
 * (docs/platform-strict.md). notify.c does the plumbing (receive, read the
 * child's memory once, take the socket, answer); this file decides, so the
 * decisions are testable without a listener:
 *
 *  - addresses of connect, bind, sendto and sendmsg: IP only to a pinned
 *    address:port (the proxy), never an IP bind; AF_UNIX only by pathname,
 *    performed by a worker thread that carries the agent's own Landlock
 *    ruleset and cwd; AF_NETLINK only to the kernel (nl_pid 0, no groups);
 *    everything else refused;
 *  - listen: only an AF_UNIX socket bound to a pathname (performed on the
 *    duplicated socket); a TCP listener could only be autobound, an unbound
 *    unix socket would autobind an abstract name;
 *  - signals (kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo):
 *    only to the agent's own process tree, never kill(-1). Their arguments
 *    are registers, so the supervisor answers CONTINUE after the check: the
 *    kernel re-reads nothing the agent could have rewritten.
 */
#ifndef PARITY_NOTIFY_STRICT_H
#define PARITY_NOTIFY_STRICT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "notify.h"

/* Where an allowed address goes. */
enum notify_strict_route {
	NS_ROUTE_INLINE, /* performed by the supervisor as platform-notify does */
	NS_ROUTE_DOMAIN, /* AF_UNIX pathname: a worker inside the agent's ruleset */
};

enum notify_strict_op { NS_OP_CONNECT, NS_OP_BIND, NS_OP_SEND };

/* Decide on a sockaddr the supervisor read (once) from the child: 0 and
 * *route, or the errno to answer (EPERM) and *why. */
int notify_strict_address(const struct sockaddr_storage *ss, socklen_t len,
			  enum notify_strict_op op, const struct notify_allowlist *al,
			  enum notify_strict_route *route, const char **why);

/* listen() on our duplicate of the child's socket: 0 to perform it, else
 * the errno to answer and *why. */
int notify_strict_listen(int sockfd, const char **why);

enum notify_strict_sig { NS_SIG_KILL, NS_SIG_TKILL, NS_SIG_TGKILL, NS_SIG_QUEUE, NS_SIG_TGQUEUE };

/* The process tree the agent may signal: `root` and its descendants, by
 * PPid chains read from `proc` ("/proc": the pod's own procfs). */
struct notify_strict_tree {
	pid_t root;
	const char *proc;
};

/* Whether pid (a process or a thread id) is in the tree. */
bool notify_strict_in_tree(const struct notify_strict_tree *t, pid_t pid);
/* Decide on a signal syscall from its register arguments: 0 (answer
 * CONTINUE) or EPERM with *why. */
int notify_strict_signal(const struct notify_strict_tree *t, enum notify_strict_sig kind,
			 const uint64_t args[6], const char **why);

/* Read a "Key:\tvalue" number (in `base`: Umask is octal) from
 * /proc/PID/status under `proc`; -1 if it is absent or unreadable. */
long notify_strict_status_field(const char *proc, pid_t pid, const char *key, int base);

#endif
