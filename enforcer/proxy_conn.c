/* proxy_conn.c - one client connection: request, policy, resolve, dial,
 * relay (see proxy_conn.h for the model and proxy.h for the behaviour). */
#include "proxy_conn.h"

#include <errno.h>
#include <netdb.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "proxy_log.h"
#include "util.h"

#define EP_SOCK (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)
#define LINGER_MS 2000
#define LINGER_MAX_BYTES (1 << 20)
/* Bytes one direction may move per wake-up before yielding to others. */
#define RELAY_BUDGET (8u << 20)
/* Pipe pages are outside TCP's memory limits (tcp_mem), and as root the
 * per-user pipe budget does not apply: a 1 MiB pipe was seen holding 2.5 MB
 * from a client that never reads. The first RELAY_BIG_TUNNELS tunnels get
 * L->pipe_size (throughput); the others RELAY_SMALL_PIPE, so that
 * max_conns tunnels hold hundreds of MB at worst, not gigabytes. */
#define RELAY_BIG_TUNNELS 64u
#define RELAY_SMALL_PIPE (16u << 10)
/* Once one direction has ended, the other must move within
 * L->half_closed_idle_ms (60 s): a client that half-closes then leaves (or
 * resets, unseen while nothing flows to it) kept its tunnel and six fds as
 * long as a silent upstream lived. */

uint64_t proxy_now_ms(void)
{
	return util_now_ns() / 1000000;
}

static void conn_close(struct conn *c);
static void dial_next(struct conn *c);

/* ---- logging ---------------------------------------------------------- */

static json_t *conn_line(struct conn *c, const char *kind, const char *proto)
{
	json_t *o = proxy_log_begin(kind);

	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_integer((json_int_t)c->id));
	json_object_set_new(o, "proto", proto ? json_string(proto) : json_null());
	proxy_log_endpoint(o, "client", &c->caddr, c->cport);
	if (c->r.port) {
		json_object_set_new(o, "host", json_string(c->r.host));
		json_object_set_new(o, "port", json_integer(c->r.port));
	}
	return o;
}

static void set_decision(json_t *o, const char *decision, const char *detail)
{
	json_object_set_new(o, "decision", json_string(decision));
	if (detail)
		json_object_set_new(o, "detail", json_string(detail));
}

/* A "connect" line for this CONNECT; upstream fields when dialled. */
static void log_connect(struct conn *c, const char *decision, const char *detail, int err)
{
	json_t *o = conn_line(c, "connect", "tcp");
	bool dialled = c->ufd >= 0;

	if (!o)
		return;
	json_object_set_new(o, "resolved", proxy_log_addrs(c->addrs, c->n_addrs));
	proxy_log_endpoint(o, "local", dialled ? &c->ulocal : NULL, c->ulport);
	proxy_log_endpoint(o, "remote", dialled ? &c->uremote : NULL, c->urport);
	set_decision(o, decision, detail);
	if (err)
		json_object_set_new(o, "error", json_string(util_errname(err)));
	proxy_log_end(c->L->cfg->log_fd, o);
}

static void log_dns(struct conn *c, const struct dns_query *q, const char *result,
		    const struct dns_answer *a)
{
	json_t *o = conn_line(c, "dns", "udp");

	if (!o)
		return;
	proxy_log_dns_query(o, q, result, a);
	set_decision(o, "allowed", NULL);
	proxy_log_end(c->L->cfg->log_fd, o);
}

/* ---- responses --------------------------------------------------------- */

static void linger_read(struct conn *c)
{
	char buf[16384];

	for (;;) {
		ssize_t n = read(c->cfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0 || (c->linger_bytes += (size_t)n) > LINGER_MAX_BYTES) {
			conn_close(c);
			return;
		}
	}
}

/* Answer with an error and close once the client has read it. Closing
 * right away with unread request bytes would reset the connection and
 * could destroy the response before the client reads it. */
static void respond_error(struct conn *c, int status, const char *error, const char *detail)
{
	char buf[2048];
	int n = proxy_response(status, error, detail, buf, sizeof(buf));

	for (int i = 0; i < 2; i++)
		dns_query_close(&c->dq[i]);
	if (c->gai) {
		c->gai->cookie = NULL; /* freed when it reports */
		c->gai = NULL;
	}
	if (c->ufd >= 0) {
		close(c->ufd);
		c->ufd = -1;
	}
	if (n > 0 && send(c->cfd, buf, (size_t)n, MSG_NOSIGNAL) != n) {
		conn_close(c);
		return;
	}
	shutdown(c->cfd, SHUT_WR);
	c->st = ST_LINGER;
	c->deadline_ms = proxy_now_ms() + LINGER_MS;
	linger_read(c);
}

static void deny(struct conn *c, const char *decision, const char *why, int err)
{
	char detail[400];

	snprintf(detail, sizeof(detail), "CONNECT %s %s", c->r.target, why);
	log_connect(c, decision, detail, err);
	if (strcmp(decision, "policy_denied") == 0 || strcmp(decision, "internal_address") == 0)
		respond_error(c, 403, "policy_denied", detail);
	else
		respond_error(c, 502, decision, detail);
}

/* ---- decision, resolution --------------------------------------------- */

static void add_addr(struct conn *c, const struct netaddr *a)
{
	struct netaddr x = *a;

	/* Dial an IPv4-mapped answer as the IPv4 address it is, so the
	 * classification, the socket family and the logged 5-tuple agree. */
	netaddr_unmap(&x);
	for (size_t i = 0; i < c->n_addrs; i++)
		if (netaddr_equal(&c->addrs[i], &x))
			return;
	if (c->n_addrs < RESOLVER_MAX_ADDRS)
		c->addrs[c->n_addrs++] = x;
}

static void resolved(struct conn *c)
{
	size_t bad;
	const char *why;
	char detail[400];

	if (c->n_addrs == 0) {
		snprintf(detail, sizeof(detail), "failed: name did not resolve (%s)",
			 c->dns_note[0] ? c->dns_note : "no addresses");
		deny(c, "resolve_failed", detail, 0);
		return;
	}
	why = policy_check_addresses(c->rule, c->r.port, c->addrs, c->n_addrs, &bad);
	if (why) {
		char a[NETADDR_STRLEN], body[400];
		const char *kind = netaddr_internal_kind(&c->addrs[bad]);
		/* The body keeps the reference's wording; the log says which
		 * address made the decision. */
		if (policy_port_always_blocked(c->r.port) && c->rule->allowed_ips)
			snprintf(detail, sizeof(detail), "CONNECT %s blocked: %s", c->r.target,
				 why);
		else
			snprintf(detail, sizeof(detail), "CONNECT %s blocked: %s (%s%s%s)",
				 c->r.target, why, netaddr_str(&c->addrs[bad], a, sizeof(a)),
				 kind ? " is " : "", kind ? kind : "");
		log_connect(c, "internal_address", detail, 0);
		snprintf(body, sizeof(body), "CONNECT %s blocked: %s", c->r.target, why);
		respond_error(c, 403, "policy_denied", body);
		return;
	}
	c->next_addr = 0;
	dial_next(c);
}

static void note_dns(struct conn *c, const struct dns_query *q, const char *result)
{
	size_t len = strlen(c->dns_note);

	snprintf(c->dns_note + len, sizeof(c->dns_note) - len, "%s%s: %s", len ? "; " : "",
		 dns_type_name(q->qtype), result);
}

static void dns_done(struct conn *c, int idx, const char *result, const struct dns_answer *a)
{
	struct dns_query *q = &c->dq[idx];

	log_dns(c, q, result, a);
	note_dns(c, q, result);
	dns_query_close(q);
	if (--c->dns_left > 0)
		return;
	/* A before AAAA whatever order they came in: a deterministic dial
	 * order. */
	for (int i = 0; i < 2; i++)
		for (size_t k = 0; k < c->dans[i].n; k++)
			add_addr(c, &c->dans[i].addrs[k]);
	resolved(c);
}

static void on_dns(struct conn *c, int idx)
{
	struct dns_answer a;
	int rc;

	if (c->st != ST_RESOLVING || c->dq[idx].fd < 0)
		return;
	rc = dns_query_receive(&c->dq[idx], &a);
	if (rc == 0)
		return;
	if (rc < 0) {
		dns_done(c, idx, util_errname(errno), NULL);
		return;
	}
	c->dans[idx] = a;
	dns_done(c, idx,
		 a.rcode       ? dns_rcode_name(a.rcode)
		 : a.truncated ? "truncated"
			       : "answer",
		 &a);
}

static void start_resolve(struct conn *c)
{
	struct proxy_loop *L = c->L;
	const struct policy *p = L->cfg->policy;
	static const uint16_t types[2] = {DNS_TYPE_A, DNS_TYPE_AAAA};
	uint64_t now = proxy_now_ms();
	struct perr e;

	c->st = ST_RESOLVING;
	c->deadline_ms = now + (uint64_t)L->resolve_timeout_ms;
	c->dns_resend_ms = now + (uint64_t)L->resolve_timeout_ms / 2;
	if (p->resolver == RESOLVER_SYSTEM) {
		if (gai_job_start(c->r.host, c, L->gai_wr, &c->gai, &e) != 0)
			deny(c, "resolve_failed", "failed: resolver unavailable", e.sys_errno);
		return;
	}
	for (int i = 0; i < 2; i++) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = &c->tag_dns[i]};
		if (dns_query_start(&c->dq[i], &p->resolver_addr, p->resolver_port, c->r.host,
				    types[i], &e) != 0) {
			note_dns(c, &c->dq[i], util_errname(e.sys_errno));
			continue;
		}
		if (epoll_ctl(L->ep, EPOLL_CTL_ADD, c->dq[i].fd, &ev) != 0) {
			dns_query_close(&c->dq[i]);
			continue;
		}
		c->dns_left++;
	}
	if (c->dns_left == 0)
		resolved(c);
}

void conn_gai_done(struct proxy_loop *L, struct gai_job *j)
{
	struct conn *c = j->cookie;
	json_t *o;

	if (!c) {
		gai_job_free(j);
		return;
	}
	c->gai = NULL;
	o = conn_line(c, "dns", NULL);
	if (o) {
		json_object_set_new(o, "resolver", json_string("system"));
		json_object_set_new(o, "qname", json_string(j->host));
		json_object_set_new(o, "qtype", json_string("getaddrinfo"));
		proxy_log_endpoint(o, "local", NULL, 0);
		proxy_log_endpoint(o, "remote", NULL, 0);
		json_object_set_new(
		    o, "result", json_string(j->gai_error ? gai_strerror(j->gai_error) : "answer"));
		json_object_set_new(o, "answers", proxy_log_addrs(j->addrs, j->n));
		set_decision(o, "allowed", NULL);
		proxy_log_end(L->cfg->log_fd, o);
	}
	if (j->gai_error)
		snprintf(c->dns_note, sizeof(c->dns_note), "%s", gai_strerror(j->gai_error));
	for (size_t i = 0; i < j->n; i++)
		add_addr(c, &j->addrs[i]);
	gai_job_free(j);
	resolved(c);
}

static void decide(struct conn *c)
{
	const struct policy *p = c->L->cfg->policy;

	/* Policy first, resolution after: a denied name must never reach a
	 * resolver, or the query itself leaks it (the reference's #1169). */
	c->rule = policy_match(p, c->r.host, c->r.is_ip ? &c->r.ip : NULL, c->r.port);
	if (!c->rule) {
		deny(c, "policy_denied", "not permitted by policy", 0);
		return;
	}
	if (c->r.is_ip) {
		add_addr(c, &c->r.ip);
		resolved(c);
		return;
	}
	start_resolve(c);
}

/* ---- dialling ---------------------------------------------------------- */

static void dial_next(struct conn *c)
{
	struct proxy_loop *L = c->L;

	while (c->next_addr < c->n_addrs) {
		const struct netaddr *a = &c->addrs[c->next_addr++];
		struct sockaddr_storage ss;
		socklen_t sl = netaddr_to_sockaddr(a, c->r.port, &ss);
		struct epoll_event ev = {.events = EP_SOCK, .data.ptr = &c->tag_up};
		int err = 0;

		c->ufd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->ufd < 0) {
			log_connect(c, "upstream_failed", "socket", errno);
			continue;
		}
		c->uremote = *a;
		c->urport = c->r.port;
		memset(&c->ulocal, 0, sizeof(c->ulocal));
		c->ulport = 0;
		if (connect(c->ufd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS)
			err = errno;
		/* The SYN (if any) is out: its source is bound now. Log before
		 * waiting, so a proxy killed mid-handshake still left a record
		 * of the flow a capture may show. */
		sl = sizeof(ss);
		if (getsockname(c->ufd, (struct sockaddr *)&ss, &sl) == 0)
			netaddr_from_sockaddr((struct sockaddr *)&ss, &c->ulocal, &c->ulport);
		if (!err)
			log_connect(c, "allowed", NULL, 0);
		if (!err && epoll_ctl(L->ep, EPOLL_CTL_ADD, c->ufd, &ev) != 0)
			err = errno;
		if (err) {
			log_connect(c, "upstream_failed", NULL, err);
			close(c->ufd);
			c->ufd = -1;
			continue;
		}
		c->st = ST_CONNECTING;
		c->deadline_ms = proxy_now_ms() + (uint64_t)L->connect_timeout_ms;
		return;
	}
	deny(c, "upstream_failed", "failed: no upstream address accepted the connection", 0);
}

static int open_pipe(struct relay_dir *d, size_t size)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	d->rd = p[0];
	d->wr = p[1];
	/* Bigger pipes mean fewer splice calls. Past the per-user pipe
	 * budget (fs.pipe-user-pages-soft) this fails: keep the default. */
	if (size)
		(void)fcntl(d->wr, F_SETPIPE_SZ, (int)size);
	return 0;
}

static void established(struct conn *c)
{
	size_t early = c->req_len - c->r.header_len;
	static const char ok[] = PROXY_ESTABLISHED;

	c->tunnel_up = true; /* connected: from here on a "close" line ends the record */

	size_t psz = RELAY_SMALL_PIPE;

	if (c->L->n_big_pipes < RELAY_BIG_TUNNELS) {
		psz = c->L->pipe_size;
		c->big_pipes = true;
		c->L->n_big_pipes++;
	}
	if (open_pipe(&c->up, psz) != 0 || open_pipe(&c->down, psz) != 0) {
		log_connect(c, "upstream_failed", "relay pipe", errno);
		respond_error(c, 502, "upstream_failed", "relay setup failed");
		return;
	}
	/* Bytes the client sent after the request (a TLS ClientHello, say)
	 * go first; an empty pipe holds far more than 8 KiB. */
	if (early) {
		ssize_t n = write(c->up.wr, c->req + c->r.header_len, early);
		if (n != (ssize_t)early) {
			conn_close(c);
			return;
		}
		c->up.in_pipe = early;
	}
	free(c->req);
	c->req = NULL;
	if (send(c->cfd, ok, sizeof(ok) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(ok) - 1)) {
		conn_close(c);
		return;
	}
	c->st = ST_RELAY;
	c->deadline_ms = 0;
	conn_pump(c);
}

static void on_upstream(struct conn *c, uint32_t events)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int err = 0;
	socklen_t el = sizeof(err);

	if (c->st == ST_RELAY) {
		conn_pump(c);
		if (c->st == ST_RELAY && (events & EPOLLERR))
			conn_close(c); /* the upstream's side, the same way */
		return;
	}
	if (c->st != ST_CONNECTING || c->ufd < 0)
		return;
	if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
		err = errno;
	if (!err) {
		/* Events may be stale (an earlier address's socket): only a
		 * peer name proves this one is connected. */
		if (getpeername(c->ufd, (struct sockaddr *)&ss, &sl) != 0)
			return;
		established(c);
		return;
	}
	log_connect(c, "upstream_failed", NULL, err);
	close(c->ufd);
	c->ufd = -1;
	dial_next(c);
}

/* ---- relay ------------------------------------------------------------- */

enum pump_result { PUMP_WAIT, PUMP_MORE, PUMP_ERROR };

/* Move src -> pipe -> dst until a side would block, src ends, or the
 * budget is spent. Edge-triggered: we stop only on EAGAIN (a new edge will
 * come) or with PUMP_MORE (the loop calls us again). */
static enum pump_result pump(struct relay_dir *d, int src, int dst)
{
	size_t moved = 0;

	for (;;) {
		ssize_t n;
		if (d->in_pipe > 0) {
			n = splice(d->rd, NULL, dst, NULL, d->in_pipe,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				d->in_pipe -= (size_t)n;
				d->bytes += (uint64_t)n;
				moved += (size_t)n;
			} else if (n < 0 && errno == EINTR) {
				continue;
			} else if (n == 0 || errno == EAGAIN) {
				return PUMP_WAIT;
			} else {
				return PUMP_ERROR;
			}
		}
		if (d->src_eof) {
			if (d->in_pipe > 0)
				continue;
			if (!d->dst_shut) {
				shutdown(dst, SHUT_WR);
				d->dst_shut = true;
			}
			return PUMP_WAIT;
		}
		if (moved >= RELAY_BUDGET)
			return PUMP_MORE;
		n = splice(src, NULL, d->wr, NULL, 1 << 30, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			d->in_pipe += (size_t)n;
		} else if (n == 0) {
			d->src_eof = true;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN) {
			/* src empty or pipe full; with bytes in the pipe, flush
			 * them and try again (the flush blocks or makes room). */
			if (d->in_pipe == 0)
				return PUMP_WAIT;
		} else {
			return PUMP_ERROR;
		}
	}
}

void conn_pump(struct conn *c)
{
	enum pump_result up, down;
	uint64_t before;

	if (c->st != ST_RELAY)
		return;
	before = c->up.bytes + c->down.bytes;
	up = pump(&c->up, c->cfd, c->ufd);
	down = pump(&c->down, c->ufd, c->cfd);
	if (up == PUMP_ERROR || down == PUMP_ERROR || (c->up.dst_shut && c->down.dst_shut)) {
		conn_close(c);
		return;
	}
	/* One side has ended: the other has half_closed_idle_ms from its
	 * last byte to move again (conn_timers closes it then). */
	if ((c->up.src_eof || c->down.src_eof) &&
	    (!c->deadline_ms || c->up.bytes + c->down.bytes != before))
		c->deadline_ms = proxy_now_ms() + c->L->half_closed_idle_ms;
	if ((up == PUMP_MORE || down == PUMP_MORE) && !c->on_ready) {
		c->on_ready = true;
		c->ready_next = c->L->ready;
		c->L->ready = c;
	}
}

/* ---- request ----------------------------------------------------------- */

static void read_request(struct conn *c)
{
	enum req_result rc;
	bool eof = false;

	while (c->req_len < PROXY_MAX_HEADER) {
		ssize_t n = read(c->cfd, c->req + c->req_len, PROXY_MAX_HEADER - c->req_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* A client may half-close right after its request
			 * (`printf ... | nc -N`): parse what came first. */
			eof = true;
			break;
		}
		c->req_len += (size_t)n;
	}
	rc = proxy_request_parse(c->req, c->req_len, &c->r);
	if (rc == REQ_INCOMPLETE) {
		if (eof)
			conn_close(c); /* gone before asking anything */
		return;
	}
	if (rc == REQ_ERROR) {
		static const char *const codes[] = {[0] = "bad_request",
						    [1] = "method_not_allowed",
						    [2] = "request_header_too_large"};
		const char *code = codes[c->r.status == 405 ? 1 : c->r.status == 431 ? 2 : 0];
		json_t *o = conn_line(c, "request", NULL);
		if (o) {
			json_object_set_new(o, "status", json_integer(c->r.status));
			set_decision(o, code, c->r.error);
			proxy_log_end(c->L->cfg->log_fd, o);
		}
		respond_error(c, c->r.status, code, c->r.error);
		return;
	}
	decide(c);
}

/* ---- lifecycle --------------------------------------------------------- */

int conn_accept(struct proxy_loop *L, int fd, const struct sockaddr *sa)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct epoll_event ev = {.events = EP_SOCK};

	if (c)
		c->req = malloc(PROXY_MAX_HEADER);
	if (!c || !c->req) {
		if (c)
			free(c);
		close(fd);
		return -1;
	}
	c->L = L;
	c->id = ++L->next_id;
	c->cfd = fd;
	c->ufd = -1;
	c->up.rd = c->up.wr = c->down.rd = c->down.wr = -1;
	c->dq[0].fd = c->dq[1].fd = -1;
	c->tag_client = (struct ep_tag){TAG_CLIENT, c, 0};
	c->tag_up = (struct ep_tag){TAG_UPSTREAM, c, 0};
	c->tag_dns[0] = (struct ep_tag){TAG_DNS, c, 0};
	c->tag_dns[1] = (struct ep_tag){TAG_DNS, c, 1};
	netaddr_from_sockaddr(sa, &c->caddr, &c->cport);
	c->started_ms = proxy_now_ms();
	c->deadline_ms = c->started_ms + (uint64_t)L->header_timeout_ms;
	c->st = ST_REQUEST;
	ev.data.ptr = &c->tag_client;
	if (epoll_ctl(L->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		free(c->req);
		free(c);
		close(fd);
		return -1;
	}
	c->next = L->conns;
	if (L->conns)
		L->conns->prev = c;
	L->conns = c;
	L->n_conns++;
	/* The request often arrived with the connection; the edge for it is
	 * already queued, so no read here. */
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void conn_close(struct conn *c)
{
	struct proxy_loop *L = c->L;

	if (c->st == ST_DEAD)
		return;
	if (c->tunnel_up) {
		json_t *o = conn_line(c, "close", "tcp");
		if (o) {
			json_object_set_new(o, "resolved", proxy_log_addrs(c->addrs, c->n_addrs));
			proxy_log_endpoint(o, "local", &c->ulocal, c->ulport);
			proxy_log_endpoint(o, "remote", &c->uremote, c->urport);
			json_object_set_new(o, "bytes_up", json_integer((json_int_t)c->up.bytes));
			json_object_set_new(o, "bytes_down",
					    json_integer((json_int_t)c->down.bytes));
			json_object_set_new(
			    o, "duration_ms",
			    json_integer((json_int_t)(proxy_now_ms() - c->started_ms)));
			proxy_log_end(L->cfg->log_fd, o);
		}
	}
	if (c->big_pipes)
		L->n_big_pipes--;
	c->big_pipes = false;
	close_fd(&c->cfd);
	close_fd(&c->ufd);
	close_fd(&c->up.rd);
	close_fd(&c->up.wr);
	close_fd(&c->down.rd);
	close_fd(&c->down.wr);
	for (int i = 0; i < 2; i++)
		dns_query_close(&c->dq[i]);
	if (c->gai)
		c->gai->cookie = NULL;
	c->gai = NULL;
	free(c->req);
	c->req = NULL;
	c->st = ST_DEAD;
	if (c->prev)
		c->prev->next = c->next;
	else
		L->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = L->dead;
	L->dead = c;
	L->n_conns--;
}

void conn_event(struct ep_tag *t, uint32_t events)
{
	struct conn *c = t->c;

	if (c->st == ST_DEAD)
		return;
	switch (t->kind) {
	case TAG_CLIENT:
		if (c->st == ST_REQUEST) {
			read_request(c);
		} else if (c->st == ST_RELAY) {
			conn_pump(c);
			/* Reset (or another error): the tunnel has no client
			 * left. A pump that has nothing to send to it does not
			 * see it. (Not EPOLLHUP: shut both ways, a socket may
			 * still hold data to read, and the pump ends it.) */
			if (c->st == ST_RELAY && (events & EPOLLERR))
				conn_close(c);
		} else if (c->st == ST_LINGER)
			linger_read(c);
		else if (events & (EPOLLHUP | EPOLLERR))
			conn_close(c); /* client gone while we resolve or dial */
		break;
	case TAG_UPSTREAM:
		on_upstream(c, events);
		break;
	case TAG_DNS:
		on_dns(c, t->idx);
		break;
	default:
		break;
	}
}

void conn_timers(struct conn *c, uint64_t now)
{
	if (c->st == ST_RESOLVING && c->dns_left > 0 && !c->dns_resent && now >= c->dns_resend_ms) {
		c->dns_resent = true;
		for (int i = 0; i < 2; i++)
			if (c->dq[i].fd >= 0)
				dns_query_resend(&c->dq[i]);
	}
	if (!c->deadline_ms || now < c->deadline_ms)
		return;
	switch (c->st) {
	case ST_REQUEST: {
		json_t *o = conn_line(c, "request", NULL);
		if (o) {
			json_object_set_new(o, "status", json_integer(408));
			set_decision(o, "request_timeout", "request not complete in time");
			proxy_log_end(c->L->cfg->log_fd, o);
		}
		respond_error(c, 408, "request_timeout", "request not complete in time");
		break;
	}
	case ST_RESOLVING:
		if (c->gai) {
			c->gai->cookie = NULL;
			c->gai = NULL;
			snprintf(c->dns_note, sizeof(c->dns_note), "timeout");
			resolved(c);
			break;
		}
		for (int i = 0; i < 2 && c->st == ST_RESOLVING; i++)
			if (c->dq[i].fd >= 0)
				dns_done(c, i, "timeout", NULL);
		break;
	case ST_CONNECTING:
		log_connect(c, "upstream_failed", "connect timeout", ETIMEDOUT);
		close_fd(&c->ufd);
		dial_next(c);
		break;
	case ST_LINGER:
		conn_close(c);
		break;
	case ST_RELAY: /* half-closed, and nothing moved for too long */
		conn_close(c);
		break;
	default:
		break;
	}
}
