/* sinks_accomplice.c - the accomplice: for inbound-channel attacks, connect
 * from the wan netns INTO the pod/sandbox, greet, and record whether the
 * marker comes back over that connection (sinks_accomplice_connect() in
 * sinks.h). Runs in the caller's thread; only the socket is made by the
 * serving thread, which lives in the wan netns. */
#include "sinks_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static int wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		double left = deadline - util_now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left + 1);
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -1 : r;
	}
}

static void fail(struct acc_rec *r, const char *step, int err)
{
	r->err_step = step;
	r->err = err;
}

static void exchange(struct sinks *s, int fd, const struct sockaddr_storage *sa, socklen_t sl,
		     struct acc_rec *r, double t0)
{
	double deadline = t0 + s->acc_timeout_ms;
	size_t hl = strlen(s->hello), sent = 0;
	struct mscan scan = {.n = 0};
	uint8_t buf[4096];
	int err = 0;

	if (connect(fd, (const struct sockaddr *)sa, sl) < 0) {
		socklen_t el = sizeof(err);

		if (errno != EINPROGRESS)
			return fail(r, "connect", errno);
		if (wait_fd(fd, POLLOUT, deadline) <= 0) {
			r->timed_out = true;
			return fail(r, "connect", ETIMEDOUT);
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			return fail(r, "connect", errno);
		if (err)
			return fail(r, "connect", err);
	}
	r->connected = true;
	while (sent < hl) {
		ssize_t n = send(fd, s->hello + sent, hl - sent, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n >= 0) {
			sent += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return fail(r, "send", errno);
		if (wait_fd(fd, POLLOUT, deadline) <= 0) {
			r->timed_out = true;
			return fail(r, "send", ETIMEDOUT);
		}
	}
	r->hello_sent = true;
	while (r->bytes < s->acc_max) {
		double now = util_now_ms(), until = deadline;
		size_t want =
		    s->acc_max - r->bytes < sizeof(buf) ? s->acc_max - r->bytes : sizeof(buf);
		ssize_t n;
		int w;

		/* once something arrived, a quiet gap ends the exchange */
		if (r->bytes && now + s->acc_idle_ms < until)
			until = now + s->acc_idle_ms;
		w = wait_fd(fd, POLLIN, until);
		if (w < 0)
			return fail(r, "poll", errno);
		if (w == 0) {
			r->timed_out = until >= deadline;
			return;
		}
		n = recv(fd, buf, want, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return fail(r, "recv", errno);
		}
		if (n == 0 && r->proto == IPPROTO_TCP) {
			r->eof = true;
			return;
		}
		if (n > 0 && r->nfirst < SINKS_FIRST_BYTES) {
			size_t k = SINKS_FIRST_BYTES - r->nfirst < (size_t)n
				       ? SINKS_FIRST_BYTES - r->nfirst
				       : (size_t)n;
			memcpy(r->first + r->nfirst, buf, k);
			r->nfirst += k;
		}
		r->bytes += (size_t)n;
		if (mscan_feed(&scan, s->marker, s->mlen, buf, (size_t)n))
			r->marker = true;
	}
}

int sinks_accomplice_connect(struct sinks *s, int proto, const char *addr, uint16_t port,
			     struct perr *e)
{
	struct sockaddr_storage sa;
	struct sockaddr_in *sin = (struct sockaddr_in *)&sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&sa;
	struct acc_rec r;
	double t0 = util_now_ms();
	socklen_t sl;
	int fd;

	memset(&sa, 0, sizeof(sa));
	memset(&r, 0, sizeof(r));
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return perr_usage(e, "accomplice: protocol %d is neither TCP nor UDP", proto);
	if (!addr)
		return perr_usage(e, "accomplice: no address");
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sl = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sl = sizeof(*sin6);
	} else {
		return perr_usage(e, "accomplice: '%s' is not a numeric IPv4 or IPv6 address",
				  addr);
	}
	fd = sinks_wan_socket(s, sa.ss_family,
			      (proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
				  SOCK_CLOEXEC,
			      proto, e);
	if (fd < 0)
		return perr_prefix(e, "accomplice %s:%u", addr, port);
	r.proto = proto;
	r.port = port;
	inet_ntop(sa.ss_family,
		  sa.ss_family == AF_INET ? (void *)&sin->sin_addr : (void *)&sin6->sin6_addr,
		  r.addr, sizeof(r.addr));
	exchange(s, fd, &sa, sl, &r, t0);
	close(fd);
	r.ms = util_now_ms() - t0;

	pthread_mutex_lock(&s->lock);
	if (!s->acc)
		s->acc = calloc(SINKS_MAX_ACCOMPLICE, sizeof(*s->acc));
	if (s->acc && s->nacc < SINKS_MAX_ACCOMPLICE)
		s->acc[s->nacc++] = r;
	else
		s->acc_dropped++;
	s->acc_marker |= r.marker; /* also when the record was dropped */
	pthread_mutex_unlock(&s->lock);
	return 0;
}

json_t *accomplice_json(const struct sinks *s)
{
	json_t *a = json_array();

	for (size_t i = 0; i < s->nacc; i++) {
		const struct acc_rec *r = &s->acc[i];
		char first[4 * SINKS_FIRST_BYTES + 1];
		json_t *o;

		sinks_escape(first, r->first, r->nfirst);
		o = json_pack("{s:s, s:s, s:i, s:b, s:b, s:I, s:b, s:b, s:b, s:f}", "proto",
			      r->proto == IPPROTO_TCP ? "tcp" : "udp", "address", r->addr, "port",
			      r->port, "connected", r->connected, "hello_sent", r->hello_sent,
			      "bytes", (json_int_t)r->bytes, "marker_seen", r->marker, "eof",
			      r->eof, "timed_out", r->timed_out, "elapsed_ms", r->ms);
		json_object_set_new(o, "first_payload",
				    r->nfirst ? json_string(first) : json_null());
		if (r->err) {
			char msg[160];

			snprintf(msg, sizeof(msg), "%s: %s", r->err_step, util_errname(r->err));
			json_object_set_new(o, "error", json_string(msg));
		} else {
			json_object_set_new(o, "error", json_null());
		}
		json_array_append_new(a, o);
	}
	return a;
}
