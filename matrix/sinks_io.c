/* sinks_io.c - what the serving thread does on each event: accept and read
 * connections, receive datagrams, answer DNS (UDP and TCP with its 2-byte
 * length prefix), echo at the allowed upstream. Everything is nonblocking and
 * runs with s->lock held (sinks_int.h); `drain` asks for everything queued
 * now rather than a fair batch. */
#include "sinks_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define BATCH_ACCEPT 64 /* accepts / datagrams per event before others get a turn */
#define BATCH_READ 16
#define DRAIN_MAX 4096 /* reads per socket in the final drain */

void io_fail_witness(struct sinks *s, struct witness *w, const char *what, int err)
{
	wit_error(w, what, err);
	w->failed = true;
	snprintf(w->status, sizeof(w->status), "failed: %s: %s", what, strerror(err));
	epoll_ctl(s->ep, EPOLL_CTL_DEL, w->fd, NULL);
}

void io_conn_close(struct sinks *s, struct conn *c)
{
	/* Deregister before closing: a child forked meanwhile (the harness
	 * forks all the time) may still hold the file, and epoll would keep
	 * reporting it with a pointer to freed memory. */
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		s->conns_tail = c->prev;
	s->nconns--;
	/* Freed after the batch: a later event of the same batch may still
	 * point at it (an evicted connection). */
	c->next = s->grave;
	s->grave = c;
}

void io_reap(struct sinks *s)
{
	while (s->grave) {
		struct conn *c = s->grave;

		s->grave = c->next;
		free(c->buf);
		free(c);
	}
}

static int conn_events(struct sinks *s, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};
	return epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void dns_message(struct sinks *s, struct witness *w, const struct sockaddr_storage *peer,
			int tcp_fd, const uint8_t *msg, size_t len)
{
	uint8_t out[2 + DNS_MAX_REPLY];
	int st, rcode;
	size_t n;

	st = dns_sink_parse_query(msg, len, &s->query);
	n = dns_build_reply(msg, len, st, &s->query, &s->zone, out + 2, DNS_MAX_REPLY, &rcode);
	dns_record(s, w, peer, &s->query, st, rcode);
	if (!n)
		return;
	/* Best effort, never blocking: a peer that does not read loses its
	 * answer, not the witness. */
	if (tcp_fd >= 0) {
		out[0] = (uint8_t)(n >> 8);
		out[1] = (uint8_t)n;
		(void)send(tcp_fd, out, n + 2, MSG_DONTWAIT | MSG_NOSIGNAL);
	} else {
		(void)sendto(w->fd, out + 2, n, MSG_DONTWAIT | MSG_NOSIGNAL,
			     (const struct sockaddr *)peer,
			     peer->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							 : sizeof(struct sockaddr_in));
	}
}

/* DNS over TCP: 2-byte length prefix, possibly several messages per read.
 * The reassembly buffer grows with what is pending, up to one maximal
 * message, so a thousand idle connections cost little. */
static int dns_tcp_feed(struct sinks *s, struct conn *c, const uint8_t *p, size_t n)
{
	const size_t max = 2 + 65535;

	while (n) {
		size_t take, off = 0;

		if (c->bcap - c->blen < n && c->bcap < max) {
			size_t want = c->blen + n > 2 * c->bcap ? c->blen + n : 2 * c->bcap;
			uint8_t *nb;

			want = want < 512 ? 512 : want > max ? max : want;
			nb = realloc(c->buf, want);
			if (!nb)
				return -1;
			c->buf = nb;
			c->bcap = want;
		}
		take = c->bcap - c->blen < n ? c->bcap - c->blen : n;
		memcpy(c->buf + c->blen, p, take);
		c->blen += take;
		p += take;
		n -= take;
		while (c->blen - off >= 2) {
			size_t l = ((size_t)c->buf[off] << 8) | c->buf[off + 1];

			if (c->blen - off < 2 + l)
				break;
			dns_message(s, c->w, &c->peer, c->fd, c->buf + off + 2, l);
			off += 2 + l;
		}
		memmove(c->buf, c->buf + off, c->blen - off);
		c->blen -= off;
	}
	return 0;
}

/* Allowed upstream: echo; what the peer does not take waits in c->buf (at
 * most one read, 64 KiB) and reading pauses until it is written. */
static int echo(struct sinks *s, struct conn *c, const uint8_t *p, size_t n)
{
	ssize_t w = send(c->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	size_t rest;

	if (w < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		w = 0;
	}
	if ((size_t)w == n)
		return 0;
	rest = n - (size_t)w;
	c->buf = malloc(rest);
	if (!c->buf)
		return -1;
	memcpy(c->buf, p + w, rest);
	c->blen = c->bcap = rest;
	return conn_events(s, c, EPOLLOUT);
}

void io_echo_flush(struct sinks *s, struct conn *c)
{
	ssize_t w = send(c->fd, c->buf, c->blen, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (w < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			io_conn_close(s, c);
		return;
	}
	memmove(c->buf, c->buf + w, c->blen - (size_t)w);
	c->blen -= (size_t)w;
	if (c->blen)
		return;
	free(c->buf);
	c->buf = NULL;
	c->bcap = 0;
	if (conn_events(s, c, EPOLLIN | EPOLLRDHUP) < 0)
		io_conn_close(s, c);
}

/* Read what is there (a fair batch, or all with drain); closes c at EOF or
 * error. Returns whether c is still open. */
bool io_conn_read(struct sinks *s, struct conn *c, bool drain)
{
	struct witness *w = c->w;

	for (int k = 0; k < (drain ? DRAIN_MAX : BATCH_READ); k++) {
		ssize_t n;
		int r = 0;

		if (c->blen && w->role == ROLE_UPSTREAM && !drain)
			return true; /* echo backlog: wait for EPOLLOUT */
		n = read(c->fd, s->buf, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0) {
			/* EOF, or reset by the peer: the witness has what came
			 * (an upstream echo backlog is never pending here) */
			io_conn_close(s, c);
			return false;
		}
		wit_data(s, w, c->rec, c->serial, &c->scan, s->buf, (size_t)n);
		if (w->role == ROLE_DNS)
			r = dns_tcp_feed(s, c, s->buf, (size_t)n);
		else if (w->role == ROLE_UPSTREAM && !drain)
			r = echo(s, c, s->buf, (size_t)n); /* no echo while closing */
		if (r < 0) {
			io_conn_close(s, c);
			return false;
		}
	}
	return true;
}

/* No memory for one more connection: take what is queued now and close. */
static void read_once(struct sinks *s, struct witness *w, int fd, int rec)
{
	struct mscan m = {.n = 0};
	ssize_t n = read(fd, s->buf, 65536);

	s->conns_unserved++;
	if (n > 0)
		wit_data(s, w, rec, ++s->serial, &m, s->buf, (size_t)n);
	close(fd);
}

void io_accept(struct sinks *s, struct witness *w, bool drain)
{
	for (int k = 0; k < (drain ? DRAIN_MAX : BATCH_ACCEPT); k++) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP};
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct conn *c;
		int fd, rec;

		fd = accept4(w->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			io_fail_witness(s, w, "accept", errno);
			return;
		}
		rec = wit_peer(w, &ss, true);
		if (s->nconns >= SINKS_MAX_CONNS && s->conns_tail) {
			/* Full: the oldest connection makes room, after what it
			 * has queued is read. Many idle connections cannot blind
			 * the witnesses to a new one. */
			struct conn *old = s->conns_tail;

			s->conns_evicted++;
			if (io_conn_read(s, old, true))
				io_conn_close(s, old);
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			read_once(s, w, fd, rec);
			continue;
		}
		c->type = SRC_CONN;
		c->fd = fd;
		c->serial = ++s->serial;
		c->w = w;
		c->peer = ss;
		c->rec = rec;
		ev.data.ptr = c;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			free(c);
			read_once(s, w, fd, rec);
			continue;
		}
		c->next = s->conns;
		if (c->next)
			c->next->prev = c;
		else
			s->conns_tail = c;
		s->conns = c;
		s->nconns++;
		if (drain)
			io_conn_read(s, c, true);
	}
}

void io_dgram(struct sinks *s, struct witness *w, bool drain)
{
	for (int k = 0; k < (drain ? DRAIN_MAX : BATCH_ACCEPT); k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		ssize_t n;
		int rec;

		n = recvfrom(w->fd, s->buf, 65536, 0, (struct sockaddr *)&ss, &sl);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNREFUSED || errno == EHOSTUNREACH ||
			    errno == ENETUNREACH)
				continue; /* ICMP from an earlier answer */
			io_fail_witness(s, w, "recvfrom", errno);
			return;
		}
		rec = wit_peer(w, &ss, false);
		wit_data(s, w, rec, ++s->serial, NULL, s->buf, (size_t)n);
		if (w->role == ROLE_DNS)
			dns_message(s, w, &ss, -1, s->buf, (size_t)n);
	}
}
