/* sinks_int.h - internals shared by the sinks files (not a public interface).
 *
 *   sinks.c             life cycle, the serving thread and its epoll loop
 *   sinks_io.c          what the serving thread does on each event
 *   sinks_evidence.c    marker search, what each witness records, the JSON
 *   sinks_accomplice.c  the accomplice (inbound connections into the pod)
 *
 * Locking: s->lock guards every field below that is marked [L]. The serving
 * thread holds it while it handles one batch of epoll events; other threads
 * take it to read evidence, record accomplice results or ask the serving
 * thread (which lives in the wan netns) for a socket.
 */
#ifndef PARITY_SINKS_INT_H
#define PARITY_SINKS_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns_sink.h"
#include "sinks.h"

#define SINKS_FIRST_BYTES 64  /* first payload kept per witness / accomplice */
#define SINKS_MAX_PEERS 16    /* distinct peer addresses kept per witness */
#define SINKS_MAX_RECORDS 32  /* connections/datagrams kept per witness */
#define SINKS_MAX_QUERIES 512 /* DNS questions kept per cell */
#define SINKS_MAX_CONNS 256   /* open connections; above, the oldest is read and closed */
#define SINKS_MAX_ACCOMPLICE 64
#define SINKS_ADDR_LEN 46 /* INET6_ADDRSTRLEN */

enum sink_role { ROLE_SINK, ROLE_DNS, ROLE_UPSTREAM };
enum src_type { SRC_CTL = 1, SRC_LISTEN, SRC_DGRAM, SRC_CONN };

/* Streaming marker search: keeps the last mlen-1 bytes across reads. */
struct mscan {
	uint8_t tail[SINKS_MARKER_MAX];
	size_t n;
};

struct srec {
	char peer[SINKS_ADDR_LEN];
	uint16_t port;
	uint64_t bytes;
	bool marker;
};

struct witness {
	int type; /* SRC_LISTEN or SRC_DGRAM: first, for epoll dispatch */
	int fd;	  /* -1 when unavailable or closed */
	enum sink_role role;
	int family, sotype, proto;
	const char *pname; /* "tcp", "udp", "sctp", "udplite" */
	char addr[SINKS_ADDR_LEN];
	uint16_t port;
	struct sockaddr_storage sa;
	socklen_t salen;
	char id[96];	  /* "sink tcp [2001:db8:100::10]:80" */
	char status[192]; /* "listening", "unavailable: ...", "failed: ..." */
	bool available, failed;
	/* [L] evidence */
	uint64_t conns, dgrams, bytes, errors;
	bool marker;
	uint64_t first_owner; /* connection serial (or datagram) that owns first[] */
	uint8_t first[SINKS_FIRST_BYTES];
	size_t nfirst;
	char (*peers)[SINKS_ADDR_LEN];
	unsigned npeers;
	uint64_t peers_dropped;
	struct srec *rec;
	unsigned nrec;
	uint64_t rec_dropped;
};

struct conn {
	int type; /* SRC_CONN */
	int fd;
	uint64_t serial;
	struct witness *w;
	struct sockaddr_storage peer;
	int rec; /* index into w->rec, or -1 */
	struct mscan scan;
	uint8_t *buf; /* DNS: reassembly; upstream: echo not yet written */
	size_t blen, bcap;
	struct conn *prev, *next;
};

struct dns_rec {
	char *name;
	uint16_t qtype;
	bool tcp;
	bool marker;
	int rcode;
	char server[SINKS_ADDR_LEN];
	char peer[SINKS_ADDR_LEN];
	uint16_t port;
};

struct acc_rec {
	int proto;
	char addr[SINKS_ADDR_LEN];
	uint16_t port;
	bool connected, hello_sent, marker, eof, timed_out;
	int err;	      /* errno of the failing step, 0 if none */
	const char *err_step; /* "connect", "send", "recv" */
	uint64_t bytes;
	uint8_t first[SINKS_FIRST_BYTES];
	size_t nfirst;
	double ms;
};

enum sinks_state { ST_STARTING, ST_RUNNING, ST_STOPPING, ST_DONE };

struct sinks {
	char marker[SINKS_MARKER_MAX + 1];
	size_t mlen;
	int netns_fd;
	struct witness *w;
	size_t nw;
	int ep, ctl; /* epoll, eventfd that wakes the serving thread */
	pthread_t thr;
	bool thr_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum sinks_state state; /* [L] */
	bool start_failed, run_failed;
	struct perr start_err, run_err;
	int settle_idle_ms, settle_max_ms;
	double settle_ms; /* time spent settling in stop */
	uint64_t drained; /* events handled in the final drain */
	double start_ms, stop_ms, stop_begin_ms;
	/* [L] socket request from another thread (accomplice) */
	bool req_busy, req_pending;
	int req_family, req_type, req_proto, req_fd, req_errno;
	/* connections (serving thread only) */
	struct conn *conns, *conns_tail; /* newest first */
	struct conn *grave;		 /* closed, freed after the batch */
	size_t nconns;
	uint64_t serial;
	uint64_t conns_evicted, conns_unserved;
	/* [L] DNS */
	struct dns_zone zone;
	char allowed_name[256], rebind_name[256];
	struct dns_rec *dq;
	size_t ndq;
	uint64_t dq_dropped, dns_questions, dns_malformed;
	bool dns_marker;
	/* [L] accomplice */
	struct acc_rec *acc;
	size_t nacc;
	uint64_t acc_dropped;
	bool acc_marker;
	int acc_timeout_ms, acc_idle_ms;
	size_t acc_max;
	char *hello;
	/* serving thread scratch */
	struct dns_query query;
	uint8_t buf[65536 + 2];
};

/* sinks_evidence.c */
bool mscan_feed(struct mscan *m, const char *marker, size_t mlen, const uint8_t *p, size_t n);
/* One more connection (conn true) or datagram from peer: counts it, keeps the
 * peer address and a record. Returns the record index or -1. [L] */
int wit_peer(struct witness *w, const struct sockaddr_storage *peer, bool conn);
/* Bytes on a connection (scan != NULL) or a datagram (scan NULL). Returns
 * whether the marker is seen in them. [L] */
bool wit_data(struct sinks *s, struct witness *w, int rec, uint64_t owner, struct mscan *scan,
	      const uint8_t *p, size_t n);
void wit_error(struct witness *w, const char *what, int err);
/* One parsed DNS message. [L] */
void dns_record(struct sinks *s, struct witness *w, const struct sockaddr_storage *peer,
		const struct dns_query *q, int status, int rcode);
const char *sockaddr_text(const struct sockaddr_storage *ss, char buf[SINKS_ADDR_LEN],
			  uint16_t *port);
/* Printable form of the first bytes ("\xNN" escapes) into out (4*n + 1). */
void sinks_escape(char *out, const uint8_t *p, size_t n);

/* sinks_io.c (serving thread, [L] held). drain: everything queued now. */
void io_accept(struct sinks *s, struct witness *w, bool drain);
void io_dgram(struct sinks *s, struct witness *w, bool drain);
/* Returns whether c is still open. */
bool io_conn_read(struct sinks *s, struct conn *c, bool drain);
void io_echo_flush(struct sinks *s, struct conn *c);
/* Closes now, frees at io_reap() (end of the batch). */
void io_conn_close(struct sinks *s, struct conn *c);
void io_reap(struct sinks *s);
void io_fail_witness(struct sinks *s, struct witness *w, const char *what, int err);

/* sinks.c: a socket created in the wan netns (by the serving thread). */
int sinks_wan_socket(struct sinks *s, int family, int type, int proto, struct perr *e);

/* sinks_accomplice.c: evidence of the accomplice connections. [L] */
json_t *accomplice_json(const struct sinks *s);

#endif
