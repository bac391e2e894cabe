/* sinks.c - life cycle of the network witnesses and their serving thread
 * (interface in sinks.h; internals in sinks_int.h).
 *
 * One thread per cell: it setns()es into the wan netns, creates every socket
 * there, reports to sinks_start(), then serves all of them with one
 * level-triggered epoll. The thread stays in the wan netns, so it also makes
 * the accomplice's sockets (sinks_wan_socket). sinks_stop() wakes it through
 * an eventfd; it settles, drains what is queued, closes every socket and
 * exits.
 */
#include "sinks_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

static const uint16_t def_tcp[] = {22, 53, 80, 443, 3128, 8080};
static const uint16_t def_udp[] = {53, 123, 9999};
static const uint16_t def_sctp[] = {80, 9999};
static const uint16_t def_udplite[] = {9999};

/* ---- witnesses: description (caller thread) and sockets (serving thread) */

static int add_witness(struct sinks *s, enum sink_role role, const char *addr, int sotype,
		       int proto, const char *pname, uint16_t port, struct perr *e)
{
	struct witness *w = &s->w[s->nw];
	struct sockaddr_in *sin = (struct sockaddr_in *)&w->sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&w->sa;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->role = role;
	w->sotype = sotype;
	w->proto = proto;
	w->pname = pname;
	w->port = port;
	w->type = sotype == SOCK_STREAM ? SRC_LISTEN : SRC_DGRAM;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		w->family = sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		w->salen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		w->family = sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		w->salen = sizeof(*sin6);
	} else {
		return perr_usage(e, "sinks: '%s' is not a numeric IPv4 or IPv6 address", addr);
	}
	inet_ntop(w->family,
		  w->family == AF_INET ? (void *)&sin->sin_addr : (void *)&sin6->sin6_addr, w->addr,
		  sizeof(w->addr));
	s->nw++;
	return 0;
}

static const struct sinks_ports *ports_or(const struct sinks_ports *p, const uint16_t *def,
					  size_t n, struct sinks_ports *tmp)
{
	if (p->ports)
		return p;
	tmp->ports = def;
	tmp->n = n;
	return tmp;
}

static int describe(struct sinks *s, const struct sinks_config *c, struct perr *e)
{
	struct sinks_ports t1, t2, t3, t4;
	const struct sinks_ports *tcp = ports_or(&c->tcp, def_tcp, ARRAY_SIZE(def_tcp), &t1);
	const struct sinks_ports *udp = ports_or(&c->udp, def_udp, ARRAY_SIZE(def_udp), &t2);
	const struct sinks_ports *sctp = ports_or(&c->sctp, def_sctp, ARRAY_SIZE(def_sctp), &t3);
	const struct sinks_ports *lite =
	    ports_or(&c->udplite, def_udplite, ARRAY_SIZE(def_udplite), &t4);
	const char *sinkaddr[2] = {c->sink_v4, c->sink_v6};
	const char *dnsaddr[2] = {c->dns_v4, c->dns_v6};
	const char *upaddr[2] = {c->allowed_v4, c->allowed_v6};
	uint16_t dport = c->dns_port ? c->dns_port : 53;
	uint16_t uport = c->allowed_port ? c->allowed_port : 443;
	size_t max = 2 * (tcp->n + udp->n + sctp->n + lite->n + 2 + 1);

	s->w = calloc(max, sizeof(*s->w));
	if (!s->w)
		return perr_sys(e, errno, "sinks: allocating witnesses");
	for (int f = 0; f < 2; f++) {
		if (!sinkaddr[f])
			continue;
		for (size_t i = 0; i < tcp->n; i++)
			if (add_witness(s, ROLE_SINK, sinkaddr[f], SOCK_STREAM, IPPROTO_TCP, "tcp",
					tcp->ports[i], e) < 0)
				return -1;
		for (size_t i = 0; i < udp->n; i++)
			if (add_witness(s, ROLE_SINK, sinkaddr[f], SOCK_DGRAM, IPPROTO_UDP, "udp",
					udp->ports[i], e) < 0)
				return -1;
		for (size_t i = 0; i < sctp->n; i++)
			if (add_witness(s, ROLE_SINK, sinkaddr[f], SOCK_STREAM, IPPROTO_SCTP,
					"sctp", sctp->ports[i], e) < 0)
				return -1;
		for (size_t i = 0; i < lite->n; i++)
			if (add_witness(s, ROLE_SINK, sinkaddr[f], SOCK_DGRAM, IPPROTO_UDPLITE,
					"udplite", lite->ports[i], e) < 0)
				return -1;
	}
	for (int f = 0; f < 2; f++) {
		if (!dnsaddr[f])
			continue;
		if (add_witness(s, ROLE_DNS, dnsaddr[f], SOCK_DGRAM, IPPROTO_UDP, "udp", dport, e) <
			0 ||
		    add_witness(s, ROLE_DNS, dnsaddr[f], SOCK_STREAM, IPPROTO_TCP, "tcp", dport,
				e) < 0)
			return -1;
	}
	for (int f = 0; f < 2; f++) {
		if (upaddr[f] && add_witness(s, ROLE_UPSTREAM, upaddr[f], SOCK_STREAM, IPPROTO_TCP,
					     "tcp", uport, e) < 0)
			return -1;
	}
	return 0;
}

static void witness_id(struct witness *w)
{
	static const char *const roles[] = {"sink", "dns", "allowed_upstream"};
	bool v6 = w->family == AF_INET6;

	snprintf(w->id, sizeof(w->id), "%s %s %s%s%s:%u", roles[w->role], w->pname, v6 ? "[" : "",
		 w->addr, v6 ? "]" : "", w->port);
}

/* The kernel has no such protocol or family: the witness is unavailable,
 * not broken. */
static bool unsupported(int err)
{
	return err == EPROTONOSUPPORT || err == ESOCKTNOSUPPORT || err == EAFNOSUPPORT ||
	       err == EPFNOSUPPORT;
}

static int open_witness(struct sinks *s, struct witness *w, struct perr *e)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
	int one = 1;

	w->fd = socket(w->family, w->sotype | SOCK_NONBLOCK | SOCK_CLOEXEC, w->proto);
	if (w->fd < 0) {
		int err = errno;

		witness_id(w);
		if (!unsupported(err))
			return perr_sys(e, err, "sinks: socket for %s", w->id);
		snprintf(w->status, sizeof(w->status), "unavailable: socket(%s, %s): %s",
			 w->family == AF_INET ? "AF_INET" : "AF_INET6", w->pname, strerror(err));
		return 0;
	}
	if (w->sotype == SOCK_STREAM &&
	    setsockopt(w->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (w->family == AF_INET6 &&
	    setsockopt(w->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(w->fd, (struct sockaddr *)&w->sa, w->salen) < 0)
		goto fail;
	if (!w->port) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (getsockname(w->fd, (struct sockaddr *)&ss, &sl) < 0)
			goto fail;
		sockaddr_text(&ss, w->addr, &w->port);
	}
	if (w->sotype == SOCK_STREAM && listen(w->fd, 128) < 0)
		goto fail;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, w->fd, &ev) < 0)
		goto fail;
	w->available = true;
	witness_id(w);
	snprintf(w->status, sizeof(w->status), "listening");
	return 0;
fail:
	witness_id(w);
	perr_sys(e, errno, "sinks: %s (bind/listen)", w->id);
	close(w->fd);
	w->fd = -1;
	return -1;
}

/* ---- the socket request from other threads */

int sinks_wan_socket(struct sinks *s, int family, int type, int proto, struct perr *e)
{
	uint64_t one = 1;
	int fd, err;

	pthread_mutex_lock(&s->lock);
	while (s->req_busy && s->state == ST_RUNNING)
		pthread_cond_wait(&s->cond, &s->lock);
	if (s->state != ST_RUNNING) {
		pthread_mutex_unlock(&s->lock);
		return perr_set(e, "sinks are not running");
	}
	if (s->netns_fd < 0) {
		pthread_mutex_unlock(&s->lock);
		fd = socket(family, type, proto);
		if (fd < 0)
			return perr_sys(e, errno, "socket");
		return fd;
	}
	s->req_busy = s->req_pending = true;
	s->req_family = family;
	s->req_type = type;
	s->req_proto = proto;
	if (write(s->ctl, &one, sizeof(one)) < 0) {
		/* cannot fail on a nonblocking eventfd far from overflow */
	}
	while (s->req_pending && s->state != ST_DONE)
		pthread_cond_wait(&s->cond, &s->lock);
	fd = s->req_pending ? -1 : s->req_fd;
	err = s->req_pending ? ESHUTDOWN : s->req_errno;
	s->req_busy = s->req_pending = false;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (fd < 0)
		return perr_sys(e, err, "socket in the wan netns");
	return fd;
}

/* [L] held. */
static void on_ctl(struct sinks *s, bool *stopping)
{
	uint64_t v;

	if (read(s->ctl, &v, sizeof(v)) < 0) {
		/* EAGAIN: a spurious wakeup */
	}
	if (s->req_pending) {
		s->req_fd = socket(s->req_family, s->req_type, s->req_proto);
		s->req_errno = s->req_fd < 0 ? errno : 0;
		s->req_pending = false;
		pthread_cond_broadcast(&s->cond);
	}
	if (s->state == ST_STOPPING)
		*stopping = true;
}

/* ---- the serving thread */

static void serve(struct sinks *s)
{
	struct epoll_event ev[64];
	bool stopping = false;
	double stop_at = 0, last = 0;

	for (;;) {
		int timeout = -1, n;
		bool data = false;

		if (stopping) {
			double now = util_now_ms(), idle_end = last + s->settle_idle_ms;
			double max_end = stop_at + s->settle_max_ms;
			double left = (idle_end < max_end ? idle_end : max_end) - now;

			if (s->settle_idle_ms < 0 || left <= 0)
				break;
			timeout = (int)left + 1;
		}
		n = epoll_wait(s->ep, ev, (int)ARRAY_SIZE(ev), timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perr_sys(&s->run_err, errno, "sinks: epoll_wait");
			s->run_failed = true;
			break;
		}
		pthread_mutex_lock(&s->lock);
		for (int i = 0; i < n; i++) {
			void *p = ev[i].data.ptr;

			switch (*(int *)p) {
			case SRC_CTL: {
				bool was = stopping;

				on_ctl(s, &stopping);
				if (stopping && !was)
					stop_at = last = util_now_ms();
				break;
			}
			case SRC_LISTEN:
				io_accept(s, p, false);
				data = true;
				break;
			case SRC_DGRAM:
				io_dgram(s, p, false);
				data = true;
				break;
			case SRC_CONN: {
				struct conn *c = p;

				data = true;
				if (c->fd < 0)
					break; /* closed earlier in this batch */
				if ((ev[i].events & EPOLLOUT) && c->blen)
					io_echo_flush(s, c);
				else
					io_conn_read(s, c, false);
				break;
			}
			}
		}
		io_reap(s);
		pthread_mutex_unlock(&s->lock);
		if (stopping && data)
			last = util_now_ms();
	}
}

/* Whatever is queued now: pending connections, datagrams, unread bytes. */
static void drain(struct sinks *s)
{
	uint64_t before = s->serial;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nw; i++) {
		struct witness *w = &s->w[i];

		if (!w->available || w->failed)
			continue;
		if (w->type == SRC_LISTEN)
			io_accept(s, w, true);
		else
			io_dgram(s, w, true);
	}
	for (struct conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		io_conn_read(s, c, true);
	}
	s->drained = s->serial - before;
	while (s->conns)
		io_conn_close(s, s->conns);
	io_reap(s);
	for (size_t i = 0; i < s->nw; i++) {
		if (s->w[i].fd >= 0)
			close(s->w[i].fd);
		s->w[i].fd = -1;
	}
	pthread_mutex_unlock(&s->lock);
}

static const int ctl_tag = SRC_CTL;

static void *thread_main(void *arg)
{
	struct sinks *s = arg;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = (void *)&ctl_tag};
	double settle_start;
	int r = 0;

	if (s->netns_fd >= 0 && setns(s->netns_fd, CLONE_NEWNET) < 0)
		r = perr_sys(&s->start_err, errno, "sinks: setns into the wan netns");
	if (!r && epoll_ctl(s->ep, EPOLL_CTL_ADD, s->ctl, &ev) < 0)
		r = perr_sys(&s->start_err, errno, "sinks: epoll_ctl");
	for (size_t i = 0; !r && i < s->nw; i++)
		r = open_witness(s, &s->w[i], &s->start_err);
	pthread_mutex_lock(&s->lock);
	s->start_failed = r < 0;
	s->state = r < 0 ? ST_DONE : ST_RUNNING;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (r < 0) {
		for (size_t i = 0; i < s->nw; i++) {
			if (s->w[i].fd >= 0)
				close(s->w[i].fd);
			s->w[i].fd = -1;
		}
		return NULL;
	}
	serve(s);
	settle_start = util_now_ms();
	drain(s);
	pthread_mutex_lock(&s->lock);
	s->settle_ms = settle_start - s->stop_begin_ms;
	s->state = ST_DONE;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ---- public */

static int zone_setup(struct sinks *s, const struct sinks_config *c, struct perr *e)
{
	const char *an = c->allowed_name ? c->allowed_name : SINKS_ALLOWED_NAME;
	const char *rn = c->rebind_name ? c->rebind_name : SINKS_REBIND_NAME;
	const char *rv4 = c->rebind_v4 ? c->rebind_v4 : "127.0.0.1";

	if (strlen(an) >= sizeof(s->allowed_name) || strlen(rn) >= sizeof(s->rebind_name))
		return perr_usage(e, "sinks: DNS zone name too long");
	for (size_t i = 0; i <= strlen(an); i++)
		s->allowed_name[i] = (char)(an[i] >= 'A' && an[i] <= 'Z' ? an[i] + 32 : an[i]);
	for (size_t i = 0; i <= strlen(rn); i++)
		s->rebind_name[i] = (char)(rn[i] >= 'A' && rn[i] <= 'Z' ? rn[i] + 32 : rn[i]);
	s->zone.allowed_name = s->allowed_name;
	s->zone.rebind_name = s->rebind_name;
	s->zone.ttl = 60;
	if (inet_pton(AF_INET, rv4, &s->zone.rebind_v4) != 1)
		return perr_usage(e, "sinks: rebind address '%s' is not IPv4", rv4);
	if (c->allowed_v4) {
		if (inet_pton(AF_INET, c->allowed_v4, &s->zone.allowed_v4) != 1)
			return perr_usage(e, "sinks: allowed_v4 '%s' is not IPv4", c->allowed_v4);
		s->zone.has_allowed_v4 = true;
	}
	if (c->allowed_v6) {
		if (inet_pton(AF_INET6, c->allowed_v6, &s->zone.allowed_v6) != 1)
			return perr_usage(e, "sinks: allowed_v6 '%s' is not IPv6", c->allowed_v6);
		s->zone.has_allowed_v6 = true;
	}
	return 0;
}

int sinks_start(struct sinks **out, const struct sinks_config *c, struct perr *e)
{
	double t0 = util_now_ms();
	sigset_t all, old;
	struct sinks *s;
	int r;

	*out = NULL;
	if (!c->marker || !*c->marker || strlen(c->marker) > SINKS_MARKER_MAX)
		return perr_usage(e, "sinks: the marker must have 1 to %d characters",
				  SINKS_MARKER_MAX);
	s = calloc(1, sizeof(*s));
	if (!s)
		return perr_sys(e, errno, "sinks: allocating");
	s->ep = s->ctl = -1;
	s->netns_fd = c->netns_fd;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->mlen = strlen(c->marker);
	for (size_t i = 0; i < s->mlen; i++)
		s->marker[i] = (char)(c->marker[i] >= 'A' && c->marker[i] <= 'Z' ? c->marker[i] + 32
										 : c->marker[i]);
	s->settle_idle_ms = c->settle_idle_ms ? c->settle_idle_ms : 20;
	s->settle_max_ms = c->settle_max_ms ? c->settle_max_ms : 200;
	if (s->settle_max_ms < 0)
		s->settle_idle_ms = -1;
	s->acc_timeout_ms = c->accomplice_timeout_ms > 0 ? c->accomplice_timeout_ms : 1000;
	s->acc_idle_ms = c->accomplice_idle_ms > 0 ? c->accomplice_idle_ms : 100;
	s->acc_max = c->accomplice_max_bytes ? c->accomplice_max_bytes : 4096;
	s->hello = strdup(c->accomplice_hello ? c->accomplice_hello : "parity-accomplice hello\n");
	if (!s->hello) {
		sinks_free(s);
		return perr_sys(e, errno, "sinks: allocating");
	}
	if (zone_setup(s, c, e) < 0 || describe(s, c, e) < 0) {
		sinks_free(s);
		return -1;
	}
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->ctl = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->ep < 0 || s->ctl < 0) {
		perr_sys(e, errno, "sinks: epoll/eventfd");
		sinks_free(s);
		return -1;
	}
	/* The thread blocks every signal: process-directed signals stay with
	 * the harness's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&s->thr, NULL, thread_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		perr_sys(e, r, "sinks: pthread_create");
		sinks_free(s);
		return -1;
	}
	s->thr_started = true;
	pthread_mutex_lock(&s->lock);
	while (s->state == ST_STARTING)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	if (s->start_failed) {
		*e = s->start_err;
		sinks_free(s);
		return -1;
	}
	s->start_ms = util_now_ms() - t0;
	*out = s;
	return 0;
}

int sinks_stop(struct sinks *s, struct perr *e)
{
	uint64_t one = 1;
	double t0 = util_now_ms();

	if (!s || !s->thr_started)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (s->state == ST_RUNNING) {
		s->state = ST_STOPPING;
		s->stop_begin_ms = t0;
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (write(s->ctl, &one, sizeof(one)) < 0) {
		/* cannot fail: nonblocking eventfd far from overflow */
	}
	pthread_join(s->thr, NULL);
	s->thr_started = false;
	close(s->ep);
	close(s->ctl);
	s->ep = s->ctl = -1;
	s->stop_ms = util_now_ms() - t0;
	if (s->run_failed) {
		*e = s->run_err;
		return -1;
	}
	return 0;
}

void sinks_free(struct sinks *s)
{
	struct perr ignored;

	if (!s)
		return;
	if (s->thr_started && sinks_stop(s, &ignored) < 0) {
		/* the failure is in the evidence ("ok": false) */
	}
	if (s->ep >= 0)
		close(s->ep);
	if (s->ctl >= 0)
		close(s->ctl);
	for (size_t i = 0; i < s->nw; i++) {
		if (s->w[i].fd >= 0)
			close(s->w[i].fd);
		free(s->w[i].peers);
		free(s->w[i].rec);
	}
	free(s->w);
	for (size_t i = 0; i < s->ndq; i++)
		free(s->dq[i].name);
	free(s->dq);
	free(s->acc);
	free(s->hello);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
