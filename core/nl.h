/* nl.h - anonymous network namespaces, veth pairs, addresses and routes over
 * rtnetlink (libnl-route-3). Used by the enforcer's namespace mode and by the
 * test lab. Never runs a CLI, never names a namespace under /run/netns.
 *
 * Namespaces are anonymous and held by file descriptors: closing the last fd
 * (and ending the last process inside) lets the kernel destroy the namespace,
 * its links and its nftables tables. A veth pair dies with either end's
 * namespace.
 *
 * Threads: a network namespace is a per-thread attribute. nl_netns_new(),
 * nl_netns_enter()/leave() and netns_sysctl_write() change only the calling
 * thread's namespace, and always return it to where it was, so threads can
 * build separate labs in parallel.
 *
 * A netlink socket belongs to the namespace it was created in, for its whole
 * life: struct nl_ctx is one NETLINK_ROUTE socket opened in one namespace.
 * Reuse it for every operation there. Calls on the same nl_ctx must not run
 * concurrently.
 *
 * Names: a fresh namespace is private, so a fixed name inside it ("eth0") is
 * fine; a name created in a shared namespace must be unique:
 * nl_ifname_unique() gives "<prefix><8 random hex digits>".
 *
 * Errors: the kernel's errno and its extended-ack text (when it sends one)
 * end up in the struct perr.
 */
#ifndef PARITY_NL_H
#define PARITY_NL_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define NL_IFNAMSIZ 16 /* IFNAMSIZ, including the NUL */

/* nl_netns_new() flags: sysctls written in the new namespace before any link
 * exists, so they apply to every device created later. */
#define NL_NETNS_NODAD                                                                             \
	0x1u /* net.ipv6.conf.{all,default}.accept_dad = 0: v6                                     \
		link-local addresses are usable at once */
#define NL_NETNS_FORWARD                                                                           \
	0x2u /* net.ipv4.ip_forward = 1 and                                                        \
		net.ipv6.conf.all.forwarding = 1 */

/* A new anonymous network namespace, returned as an O_RDONLY|O_CLOEXEC fd.
 * The calling thread unshares into it, applies `flags`, and goes back to its
 * previous namespace. Only `lo` exists in it, down. */
int nl_netns_new(int *fd_out, unsigned flags, struct perr *e);
/* The same, but the calling thread stays in the new namespace (a process
 * that exists to work in it: the nftables worker). */
int nl_netns_unshare(int *fd_out, unsigned flags, struct perr *e);
/* Move the calling thread into ns_fd; *saved_fd receives its previous
 * namespace (or -1 when ns_fd is -1: nothing to do). */
int nl_netns_enter(int ns_fd, int *saved_fd, struct perr *e);
/* Return to saved_fd (from nl_netns_enter) and close it. No-op for -1. If
 * this fails the thread is left in the wrong namespace: treat it as fatal. */
int nl_netns_leave(int saved_fd, struct perr *e);
/* Write a sysctl below /proc/sys ("net/ipv4/ip_forward") as seen from the
 * namespace ns_fd (-1: the current one). */
int netns_sysctl_write(int ns_fd, const char *path, const char *value, struct perr *e);

struct nl_ctx;
/* A route netlink socket in ns_fd (-1: the calling thread's namespace). */
struct nl_ctx *nl_ctx_open(int ns_fd, struct perr *e);
void nl_ctx_close(struct nl_ctx *c);

/* "<prefix><8 hex digits>" from getrandom; prefix is cut to 7 characters. */
void nl_ifname_unique(char out[NL_IFNAMSIZ], const char *prefix);

/* Create veth `name` in c's namespace and its peer `peer` directly in
 * peer_ns_fd (IFLA_NET_NS_FD; -1: c's namespace). EEXIST if a name is taken. */
int nl_veth_create(struct nl_ctx *c, const char *name, const char *peer, int peer_ns_fd,
		   struct perr *e);
/* Set IFF_UP (one RTM_SETLINK, other flags untouched). */
int nl_link_up(struct nl_ctx *c, const char *ifname, struct perr *e);
/* Clear IFF_UP: no traffic passes a veth with one end down. Much cheaper
 * than deleting it (no wait for RCU callbacks). */
int nl_link_down(struct nl_ctx *c, const char *ifname, struct perr *e);
/* Wait until the link is usable: operational state UP (carrier on both veth
 * ends and the kernel's link watch has run, so its qdisc is attached), and
 * every IPv6 address on it is out of DAD with its solicited-node multicast
 * group joined. Polls without a fixed sleep; on a current kernel it returns
 * within a few hundred microseconds. Call it for both ends of a veth after
 * both are up and addressed: without it the first IPv6 connection often
 * stalls ~1 s (neighbour solicitation dropped, retransmitted), and the first
 * packets through a not yet activated qdisc are dropped. */
int nl_link_wait_ready(struct nl_ctx *c, const char *ifname, int timeout_ms, struct perr *e);
/* Delete a link (a veth: both ends). Synchronous and slow-ish (the kernel
 * waits for RCU callbacks: typically 15-40 ms). */
int nl_link_del(struct nl_ctx *c, const char *ifname, struct perr *e);
/* Interface index (> 0), or -errno (-ENODEV: no such link). */
int nl_ifindex(struct nl_ctx *c, const char *ifname);
/* The queues a link was allocated with (IFLA_NUM_TX/RX_QUEUES); 0 or
 * -errno. */
int nl_link_queues(struct nl_ctx *c, const char *ifname, unsigned *tx, unsigned *rx);
/* Number of links whose kind is `kind` ("veth"; NULL: every link), or
 * -errno. */
int nl_link_count(struct nl_ctx *c, const char *kind);

/* Add "addr/prefix" (v4 or v6; no prefix: /32 or /128). v6 addresses get
 * IFA_F_NODAD so they are usable at once. */
int nl_addr_add(struct nl_ctx *c, const char *ifname, const char *cidr, struct perr *e);
/* Default route (0.0.0.0/0 or ::/0 by the gateway's family) via gateway. */
int nl_route_add_default(struct nl_ctx *c, const char *gateway, struct perr *e);
/* Route to dst_cidr via gateway (may be NULL) and/or out of ifname (may be
 * NULL); at least one of them. Main table, protocol static. */
int nl_route_add(struct nl_ctx *c, const char *dst_cidr, const char *gateway, const char *ifname,
		 struct perr *e);
/* An unreachable route to dst_cidr with the given metric: a fallback that
 * any route of a lower metric (a connected route, say) overrides. */
int nl_route_add_unreachable(struct nl_ctx *c, const char *dst_cidr, uint32_t priority,
			     struct perr *e);

#endif
