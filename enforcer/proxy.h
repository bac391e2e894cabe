/* proxy.h - the HTTP CONNECT proxy both sandbox modes send the agent's
 * traffic through.
 *
 * For each client: read the request (at most 8 KiB of headers), check the
 * policy FIRST and only then resolve the name (a denied name is never
 * looked up: the reference's issue #1169), refuse internal addresses, dial
 * with a timeout, answer "200 Connection Established" and relay both ways
 * with splice(2) through a pipe per direction, half-closes passed on.
 * Every DNS query and every upstream dial is a JSON line on log_fd with its
 * exact 5-tuple (docs/proxy.md), so a packet-capture witness can tell the
 * proxy's flows from direct egress.
 *
 * One process, one epoll loop, non-blocking everything; getaddrinfo (the
 * "system" resolver) runs in short-lived helper threads. The loop ignores
 * SIGPIPE for the process and raises RLIMIT_NOFILE to its hard limit. It
 * needs no capability.
 */
#ifndef PARITY_PROXY_H
#define PARITY_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "policy.h"

/* Bind and listen on a numeric IPv4/IPv6 address (IPv6 only for an IPv6
 * address). Returns a non-blocking CLOEXEC listening fd, or -1 (a bad
 * address is a usage error). */
int proxy_listen(const char *host, uint16_t port, struct perr *e);
/* The same, with IP_FREEBIND/IPV6_FREEBIND: the address need not exist
 * yet (namespace mode starts its proxy before the veth has its address).
 * A port already taken on that address still fails (EADDRINUSE). */
int proxy_listen_freebind(const char *host, uint16_t port, struct perr *e);

struct proxy_config {
	int listen_fd; /* from proxy_listen() */
	const struct policy *policy;
	int log_fd;		      /* JSON lines; -1: none */
	int header_timeout_ms;	      /* whole request must arrive; 0: 10000 */
	int resolve_timeout_ms;	      /* per name; 0: 5000 (the DNS client resends at half) */
	int connect_timeout_ms;	      /* per address dialled; 0: 10000 */
	unsigned max_conns;	      /* client connections at once; 0: 4096 */
	size_t pipe_size;	      /* relay pipe size; 0: 1 MiB (falls back quietly); the first
					 64 tunnels only, the others 16 KiB (proxy_conn.c) */
	unsigned half_closed_idle_ms; /* a tunnel one side of which has ended is closed
					 after this long without a byte; 0: 60 s */
	bool say_ready;		      /* write one byte to ready_fd, then close it, once */
	int ready_fd;		      /* the listener and the loop are set up */
};

/* Serve until a fatal error (returns -1 with e set); the caller normally
 * runs it in its own process and kills it. */
int proxy_serve(const struct proxy_config *c, struct perr *e);

/* The agent's environment for a proxy at host:port, as the reference sets
 * it: HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, http_proxy, https_proxy,
 * grpc_proxy = http://HOST:PORT (IPv6 hosts bracketed), NO_PROXY and
 * no_proxy = 127.0.0.1,localhost,::1. *envp_out is a malloc'd
 * NULL-terminated list of malloc'd "K=V" strings (free each, then the list).
 * Returns 0, or -1 with errno ENOMEM. */
int proxy_agent_env(const char *host, uint16_t port, char ***envp_out);

#endif
