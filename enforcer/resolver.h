/* resolver.h - how the proxy turns an allowed name into addresses, without
 * blocking its event loop and without any capability.
 *
 * Two back ends, chosen by the policy's "resolver":
 *  - a DNS stub client: one non-blocking UDP socket per question (A, AAAA),
 *    connected to the configured server so the kernel drops datagrams from
 *    anyone else; a random ID; the answer must echo the ID and the question;
 *    one retransmission at half the timeout. Truncated answers are used as
 *    far as they go (no TCP fallback).
 *  - "system": getaddrinfo(3) in a detached helper thread, which reports on
 *    a pipe the event loop watches.
 * The message codec is exposed for the tests and for the lab's fake server.
 */
#ifndef PARITY_RESOLVER_H
#define PARITY_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "netaddr.h"

#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_MAX_MSG 1232 /* the EDNS-era safe UDP payload; we send no OPT */
#define RESOLVER_MAX_ADDRS 16

struct dns_answer {
	int rcode; /* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ... */
	bool truncated;
	size_t n;
	struct netaddr addrs[RESOLVER_MAX_ADDRS];
};

/* Encode a recursive query for name/qtype. Returns its length or -1. */
int dns_build_query(uint8_t *buf, size_t len, uint16_t id, const char *name, uint16_t qtype);
/* Decode `msg` as the answer to (id, name, qtype). Returns 0 with `out`
 * filled (rcode may be non-zero), or -1 with *why when msg is not a
 * well-formed answer to that question (the caller ignores it). */
int dns_parse_response(const uint8_t *msg, size_t len, uint16_t id, const char *name,
		       uint16_t qtype, struct dns_answer *out, const char **why);
/* Decode the question of a query (for fake servers): returns 0 and the
 * lowercase name / qtype / id, or -1. */
int dns_parse_query(const uint8_t *msg, size_t len, char *name, size_t name_len, uint16_t *qtype,
		    uint16_t *id);
const char *dns_type_name(uint16_t qtype);
const char *dns_rcode_name(int rcode);

/* One outstanding stub query. */
struct dns_query {
	int fd; /* -1 when idle */
	uint16_t id, qtype;
	char name[256];
	uint8_t pkt[300];
	size_t pkt_len;
	int sends;
	struct netaddr local, server; /* the query's 5-tuple, for the log */
	uint16_t local_port, server_port;
};

/* Open, connect and send. Returns 0, or -1 with e set. */
int dns_query_start(struct dns_query *q, const struct netaddr *server, uint16_t port,
		    const char *name, uint16_t qtype, struct perr *e);
/* Send the same packet again (same socket, ID and 5-tuple). */
int dns_query_resend(struct dns_query *q);
/* Read what has arrived. Returns 1 with `out` filled when the answer came,
 * 0 when nothing usable yet (spoofed or stray datagrams are dropped), -1 on
 * a socket error such as ECONNREFUSED (errno set). */
int dns_query_receive(struct dns_query *q, struct dns_answer *out);
void dns_query_close(struct dns_query *q);

/* getaddrinfo in a helper thread. The job is written (as a pointer) to
 * notify_fd when done; the reader owns it then and frees it with
 * gai_job_free(). The thread never touches anything but the job.
 * At most RESOLVER_MAX_GAI_THREADS run at once in the process: a thread
 * outlives a connection that closed or timed out while it resolved, so
 * connections alone do not bound them (a slow DNS and a client that keeps
 * reconnecting would grow them against the uid's process limit, which the
 * agent shares in platform mode). Past the limit gai_job_start() fails with
 * EAGAIN, and the request is refused. */
#define RESOLVER_MAX_GAI_THREADS 64
struct gai_job {
	char host[256];
	void *cookie;  /* the caller's; NULL after the caller gave up on it */
	int gai_error; /* 0, or an EAI_* code */
	size_t n;
	struct netaddr addrs[RESOLVER_MAX_ADDRS];
	int notify_fd;
};

int gai_job_start(const char *host, void *cookie, int notify_fd, struct gai_job **out,
		  struct perr *e);
void gai_job_free(struct gai_job *j);

#endif
