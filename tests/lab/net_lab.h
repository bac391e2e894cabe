/* net_lab.h - helpers for the namespace-network lab tests (root):
 *
 *   a wan netns and the test's own netns as the pod, built with core/nl.h:
 *
 *     [sandbox]  made by the code under test (netns_setup) or by net_topo_up
 *        | veth 10.200.0.2 -- 10.200.0.1
 *     [pod]      the test thread's netns (net_isolate() unshares it first)
 *        | veth eth0 10.88.0.2/24 fd00:88::2/64 -- 10.88.0.1 fd00:88::1
 *     [wan]      198.51.100.10, 2001:db8:100::10 on lo
 *
 * plus socket probes: every socket is created inside a given netns (a socket
 * stays in the netns it was created in), so one single-threaded process can
 * play sandbox, pod and wan at once. And leak counters: veth links, netns
 * ids, namespaces held by processes, open fds.
 */
#ifndef PARITY_NET_LAB_H
#define PARITY_NET_LAB_H

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "nl.h"

#define LAB_POD_V4 "10.88.0.2"
#define LAB_WAN_V4 "10.88.0.1"
#define LAB_POD_V6 "fd00:88::2"
#define LAB_WAN_V6 "fd00:88::1"
#define LAB_SINK_V4 "198.51.100.10"
#define LAB_SINK_V6 "2001:db8:100::10"
#define LAB_SUBNET "10.200.0.0/24"

extern int lab_failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			printf("ok   ");                                                           \
		} else {                                                                           \
			printf("FAIL ");                                                           \
			lab_failures++;                                                            \
		}                                                                                  \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		fflush(stdout);                                                                    \
	} while (0)

/* Exit 77 (skip) unless root; then move the process (single-threaded) into a
 * fresh netns with lo up, so nothing touches the host's. */
void net_isolate(void);
/* Print e and exit 1. */
void die(const char *what, struct perr *e) __attribute__((noreturn));

/* The wan netns joined to the current (pod) netns: the pod side is "eth0".
 * Also masquerades the sandbox subnet out of eth0 (nft_apply_pod_nat) and
 * turns forwarding on. */
struct wan {
	int fd;
	struct nl_ctx *c;
};
int wan_up(struct wan *w, struct perr *e);
void wan_down(struct wan *w);

/* Socket probes. ns_fd -1: the current netns. Addresses numeric. */
int probe_tcp_listen(int ns_fd, const char *addr, uint16_t port);
int probe_udp_bind(int ns_fd, const char *addr, uint16_t port);
/* Connect from ns_fd with a timeout: 0 connected, else -errno (-ETIMEDOUT).
 * *ms: how long it took. */
int probe_tcp_connect(int ns_fd, const char *addr, uint16_t port, int timeout_ms, double *ms);
/* Send one datagram from ns_fd. Returns 0 or -errno. */
int probe_udp_send(int ns_fd, const char *addr, uint16_t port, const char *msg);
/* Was `msg` received on fd within timeout_ms? */
bool probe_udp_got(int fd, const char *msg, int timeout_ms);
/* Did a connection arrive on the listener within timeout_ms? (drains) */
bool probe_accepted(int lfd, int timeout_ms);

/* Leak counters. */
int count_fds(void);
/* Network-namespace ids known to the current netns (RTM_GETNSID dump). */
int nsid_count(void);
/* Give ns_fd an id in the current netns: it vanishes when the kernel
 * destroys that namespace (and holds no reference to it). */
int nsid_assign(int ns_fd);
/* Wait (<= timeout_ms) until *count() == want; returns the last value. */
int wait_count(int (*count)(void), int want, int timeout_ms);
int veth_count(void);
/* Every (network namespace inode, pid) reference found in
 * /proc/<pid>/task/<tid>/ns/net and /proc/<pid>/fd/<n>: the namespaces
 * processes are in or hold open. Returns the number stored. */
struct ns_ref {
	unsigned long ino;
	int pid;
};
size_t netns_scan(struct ns_ref *out, size_t max);

double median(double *v, size_t n);

/* Run the parity binary: `BIN [SUB] ARGS... [-- PROBE_BIN PROBE...]` (SUB
 * and PROBE may be NULL), stdout and stderr together in out. */
struct lab_run {
	int code; /* exit status, 128+signal */
	char out[16384];
	double ms;
};
void lab_prun(struct lab_run *r, const char *bin, const char *sub, const char *const *args,
	      const char *probe_bin, const char *const *probe);
bool lab_says(const struct lab_run *r, const char *what);
/* The start of the `parity run` lab tests: a private netns (net_isolate),
 * tmpdir made from its template ("...XXXXXX") with `mode`, and the
 * upstream's address 203.0.113.80/32 on lo. Dies on failure. */
void lab_run_setup(char *tmpdir, mode_t mode);
/* The local port of a bound socket. */
uint16_t lab_port_of(int fd);
/* A thread body: accept on *(int *)arg (made blocking) and echo each
 * connection until EOF; the upstream the proxy tunnels to. */
void *lab_echo_main(void *arg);

#endif
