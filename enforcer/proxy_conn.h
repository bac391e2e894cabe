/* proxy_conn.h - internal to the proxy: one client connection's state
 * machine (request -> policy -> resolve -> dial -> relay) and the event
 * loop state it runs in. proxy.c owns the loop; proxy_conn.c the
 * connections. Not an interface for other modules.
 *
 * Every fd is registered edge-triggered with a `struct ep_tag` as its
 * epoll data. A connection that is closed while events for it are still
 * queued in the current batch is only marked dead and freed after the
 * batch, so tags stay valid.
 */
#ifndef PARITY_PROXY_CONN_H
#define PARITY_PROXY_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "netaddr.h"
#include "proxy.h"
#include "proxy_request.h"
#include "resolver.h"

enum tag_kind { TAG_LISTEN, TAG_GAI, TAG_CLIENT, TAG_UPSTREAM, TAG_DNS };

struct conn;

struct ep_tag {
	enum tag_kind kind;
	struct conn *c;
	int idx; /* TAG_DNS: which query */
};

enum conn_state {
	ST_REQUEST,    /* reading the CONNECT request */
	ST_RESOLVING,  /* allowed; waiting for the resolver */
	ST_CONNECTING, /* dialling addrs[next_addr - 1] */
	ST_RELAY,      /* tunnel up */
	ST_LINGER,     /* error response sent; draining input before close */
	ST_DEAD,       /* closed; freed after the current batch */
};

/* One direction of the relay: src -> pipe -> dst. */
struct relay_dir {
	int rd, wr;
	size_t in_pipe;
	bool src_eof, dst_shut;
	uint64_t bytes;
};

struct proxy_loop {
	const struct proxy_config *cfg;
	int ep;
	int gai_rd, gai_wr; /* getaddrinfo jobs report here */
	struct ep_tag listen_tag, gai_tag;
	struct conn *conns; /* all live connections */
	struct conn *dead;  /* to free after the batch */
	struct conn *ready; /* relays that used their budget; pump again */
	unsigned n_conns;
	bool accepting;
	uint64_t accept_retry_ms; /* EMFILE backoff; 0 none */
	uint64_t next_id;
	int header_timeout_ms, resolve_timeout_ms, connect_timeout_ms;
	unsigned max_conns;
	size_t pipe_size;
	unsigned n_big_pipes; /* tunnels relaying through pipe_size pipes */
	unsigned half_closed_idle_ms;
};

struct conn {
	struct proxy_loop *L;
	uint64_t id;
	enum conn_state st;
	int cfd, ufd;
	struct ep_tag tag_client, tag_up, tag_dns[2];
	struct netaddr caddr;
	uint16_t cport;
	char *req; /* header buffer, PROXY_MAX_HEADER bytes, freed in relay */
	size_t req_len;
	struct connect_request r;
	const struct policy_rule *rule;
	struct dns_query dq[2];
	struct dns_answer dans[2];
	int dns_left;
	bool dns_resent;
	char dns_note[160]; /* per-question outcome, for resolve_failed */
	struct gai_job *gai;
	struct netaddr addrs[RESOLVER_MAX_ADDRS];
	size_t n_addrs, next_addr;
	struct netaddr ulocal, uremote;
	uint16_t ulport, urport;
	bool tunnel_up;
	bool big_pipes; /* counted in L->n_big_pipes */
	struct relay_dir up, down;
	size_t linger_bytes;
	uint64_t deadline_ms, dns_resend_ms, started_ms;
	struct conn *prev, *next, *ready_next;
	bool on_ready;
};

uint64_t proxy_now_ms(void);
/* Take ownership of an accepted client fd. Returns 0, or -1 (fd closed). */
int conn_accept(struct proxy_loop *L, int fd, const struct sockaddr *sa);
void conn_event(struct ep_tag *t, uint32_t events);
/* A getaddrinfo job came back. */
void conn_gai_done(struct proxy_loop *L, struct gai_job *j);
/* Deadlines and the resolver's retransmission. */
void conn_timers(struct conn *c, uint64_t now);
/* Pump a relay that used up its budget. */
void conn_pump(struct conn *c);

#endif
