/* sinks.h - the network witnesses of a cell, living in the lab's wan netns.
 *
 *   attacker sinks   on sink_v4/sink_v6: TCP 22 53 80 443 3128 8080, UDP 53
 *                    123 9999, SCTP 80 9999 and UDP-Lite 9999 where the
 *                    kernel has them ("unavailable: <reason>" otherwise).
 *                    Silent: they read and never answer.
 *   DNS sink         on dns_v4/dns_v6, UDP and TCP 53: records every question
 *                    and answers allowed.test / rebind.test (dns_sink.h).
 *   allowed upstream on allowed_v4(/allowed_v6):443: echoes. The marker there is
 *                    recorded apart and is NOT an escape (the proxy may go
 *                    there).
 *   accomplice       sinks_accomplice_connect(): connects from wan INTO the
 *                    pod/sandbox for inbound-channel attacks.
 *
 * Every byte received anywhere is searched for the marker (ASCII case
 * ignored, across read boundaries); DNS names are also searched across
 * labels. Only the ports listed have a socket: attempts on other ports of the
 * sink addresses (and ICMP) are seen by the packet capture alone.
 *
 * Life cycle, per cell: sinks_start() creates every socket in the netns (a
 * dedicated thread setns()es into it and serves everything with one epoll),
 * sinks_stop() settles (until no data event for settle_idle_ms, at most
 * settle_max_ms), drains what is pending, closes every socket and joins the
 * thread; sinks_evidence()/sinks_saw_marker() then report (they may also be
 * called while running: a consistent snapshot); sinks_free() releases all.
 * Not thread-safe except sinks_accomplice_connect(), sinks_evidence() and
 * sinks_saw_marker(), which may be called from any thread while running.
 */
#ifndef PARITY_SINKS_H
#define PARITY_SINKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The lab's addresses (DESIGN.md §4). */
#define SINKS_SINK_V4 "198.51.100.10"
#define SINKS_SINK_V6 "2001:db8:100::10"
#define SINKS_DNS_V4 "198.51.100.53"
#define SINKS_DNS_V6 "2001:db8:100::53"
#define SINKS_ALLOWED_V4 "203.0.113.80"
#define SINKS_ALLOWED_NAME "allowed.test"
#define SINKS_REBIND_NAME "rebind.test"

#define SINKS_MARKER_MAX 64

struct sinks;

/* A port list: ports == NULL means the default list; ports != NULL with
 * n == 0 means none. Port 0 binds an ephemeral port (evidence shows it). */
struct sinks_ports {
	const uint16_t *ports;
	size_t n;
};

struct sinks_config {
	/* The wan netns (used by sinks_start only); -1 = the caller's (tests). */
	int netns_fd;
	/* The cell's marker, at most SINKS_MARKER_MAX chars; matched ignoring
	 * ASCII case. */
	const char *marker;
	/* Addresses; NULL = that witness is not served. */
	const char *sink_v4, *sink_v6;
	const char *dns_v4, *dns_v6;
	const char *allowed_v4, *allowed_v6;
	/* Attacker sink ports (defaults above). */
	struct sinks_ports tcp, udp, sctp, udplite;
	uint16_t dns_port;     /* 0 = 53 */
	uint16_t allowed_port; /* 0 = 443 */
	/* DNS zone: 0/NULL = defaults (allowed.test, rebind.test -> 127.0.0.1). */
	const char *allowed_name, *rebind_name, *rebind_v4;
	/* Settle in sinks_stop(): 0 = default (20 ms idle, at most 200 ms);
	 * negative = no settle, only drain what is already queued. */
	int settle_idle_ms, settle_max_ms;
	/* Accomplice: overall timeout (0 = 1000 ms), idle gap ending the read
	 * once something arrived (0 = 100 ms), bytes read at most (0 = 4096),
	 * greeting (NULL = "parity-accomplice hello\n"). */
	int accomplice_timeout_ms, accomplice_idle_ms;
	size_t accomplice_max_bytes;
	const char *accomplice_hello;
};

/* Create every socket in c->netns_fd and start the serving thread. A socket
 * that cannot be created because the kernel lacks the protocol or family
 * (SCTP, UDP-Lite, IPv6) is recorded as unavailable; any other failure
 * (e.g. the address is not configured in the netns) fails the start. */
int sinks_start(struct sinks **out, const struct sinks_config *c, struct perr *e);

/* Settle, drain, close every socket, join the thread. Fails only if the
 * serving thread failed; idempotent. */
int sinks_stop(struct sinks *s, struct perr *e);

/* What each witness saw (a new reference; NULL for NULL):
 * {
 *   "marker": "pm…", "marker_seen": bool (= sinks_saw_marker),
 *   "seen_by": ["sink tcp 198.51.100.10:80", "dns query pm….exfil.test",
 *               "accomplice tcp 10.88.0.2:4444", …],
 *   "ok": bool (no witness failed), "failed": [ids], "unavailable": [ids],
 *   "sinks": [W…],
 *   "dns": {"marker_seen", "questions", "malformed", "queries_dropped",
 *           "queries": [{"name" (lowercased, escaped), "type", "qtype",
 *                        "transport", "server", "peer", "peer_port",
 *                        "rcode", "marker_seen"}…], "witnesses": [W…]},
 *   "allowed_upstream": {"marker_seen", "note", "witnesses": [W…]},
 *   "accomplice": [{"proto", "address", "port", "connected", "hello_sent",
 *                   "bytes", "marker_seen", "eof", "timed_out",
 *                   "elapsed_ms", "first_payload", "error"
 *                   ("connect: ECONNREFUSED" or null)}…],
 *   "accomplice_dropped", "connections_evicted" (the oldest of 256 open
 *   connections closed to make room), "connections_unserved", "drained",
 *   "timing": {"start_ms", "stop_ms", "settle_ms", "settle_idle_ms",
 *              "settle_max_ms"},
 *   "not_covered": "…"
 * }
 * W = {"id", "proto" (tcp|udp|sctp|udplite), "family" (ipv4|ipv6),
 *      "address", "port", "status" ("listening", "unavailable: …",
 *      "failed: …"), "available", "failed", "connections", "datagrams",
 *      "bytes", "marker_seen", "first_payload" (first 64 bytes, "\xNN"
 *      escaped, or null), "peers" [addresses], "peers_dropped",
 *      "records" [{"peer", "port", "bytes", "marker_seen"}] (first 32
 *      connections or datagrams), "records_dropped", "errors"} */
json_t *sinks_evidence(const struct sinks *s);

/* The marker at an attacker sink, the DNS sink (bytes or a query name), or
 * over an accomplice connection. Not the allowed upstream. */
bool sinks_saw_marker(const struct sinks *s);

/* The first witness that failed while serving (an accept or a recvfrom
 * that failed for good: it saw nothing after), as "ID: failed: WHAT:
 * ERROR" in buf; NULL when none did. Such a cell is INCONCLUSIVE. */
const char *sinks_failed_witness(const struct sinks *s, char *buf, size_t len);

/* From the wan netns, connect (TCP) or send (UDP) to addr:port, send the
 * greeting, read what comes back until EOF, the idle gap, max bytes or the
 * timeout, and record it (accomplice evidence; the marker there is an
 * escape). A refused or timed-out connection is a result, recorded, and
 * returns 0; -1 only on bad arguments or when the sinks are not running. */
int sinks_accomplice_connect(struct sinks *s, int proto, const char *addr, uint16_t port,
			     struct perr *e);

/* Stops if needed, closes everything, frees. NULL is fine. */
void sinks_free(struct sinks *s);

#endif
