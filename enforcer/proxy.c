/* proxy.c - the proxy's listener, event loop and agent environment (the
 * connections themselves are in proxy_conn.c). */
#include "proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netaddr.h"
#include "proxy_conn.h"
#include "util.h"
#include "timeline.h"

#define SWEEP_MS 100
#define MAX_EVENTS 256

static int listen_on(const char *host, uint16_t port, bool freebind, struct perr *e)
{
	struct netaddr a;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	if (netaddr_parse(host, &a) != 0)
		return perr_usage(e, "proxy listen address '%s' is not a numeric IPv4/IPv6 address",
				  host);
	sl = netaddr_to_sockaddr(&a, port, &ss);
	fd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return perr_sys(e, errno, "proxy socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a.family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* IP_FREEBIND applies to IPv6 sockets too (one flag, both families). */
	if (freebind && setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) != 0) {
		int err = errno;
		close(fd);
		return perr_sys(e, err, "proxy socket: IP_FREEBIND");
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, SOMAXCONN) != 0) {
		int err = errno;
		close(fd);
		return perr_sys(e, err, "proxy listen on %s%s%s:%u",
				a.family == AF_INET6 ? "[" : "", host,
				a.family == AF_INET6 ? "]" : "", port);
	}
	return fd;
}

int proxy_listen(const char *host, uint16_t port, struct perr *e)
{
	return listen_on(host, port, false, e);
}

int proxy_listen_freebind(const char *host, uint16_t port, struct perr *e)
{
	return listen_on(host, port, true, e);
}

static void set_accepting(struct proxy_loop *L, bool on)
{
	struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.ptr = &L->listen_tag};

	if (L->accepting == on)
		return;
	L->accepting = on;
	epoll_ctl(L->ep, EPOLL_CTL_MOD, L->cfg->listen_fd, &ev);
}

static void accept_all(struct proxy_loop *L)
{
	while (L->n_conns < L->max_conns) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(L->cfg->listen_fd, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			conn_accept(L, fd, (struct sockaddr *)&ss);
			continue;
		}
		if (errno == EAGAIN)
			return;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* Out of fds: stop accepting for a moment rather than spin. */
			set_accepting(L, false);
			L->accept_retry_ms = proxy_now_ms() + SWEEP_MS;
			return;
		}
		/* ECONNABORTED, EINTR, EPERM (a firewall), network errors: retry. */
	}
	set_accepting(L, false); /* at the limit: the backlog holds the rest */
}

static void read_gai(struct proxy_loop *L)
{
	struct gai_job *jobs[64];

	for (;;) {
		ssize_t n = read(L->gai_rd, jobs, sizeof(jobs));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (size_t i = 0; i < (size_t)n / sizeof(jobs[0]); i++)
			conn_gai_done(L, jobs[i]);
	}
}

static void free_dead(struct proxy_loop *L)
{
	while (L->dead) {
		struct conn *c = L->dead;
		L->dead = c->next;
		free(c);
	}
}

static void run_timers(struct proxy_loop *L)
{
	uint64_t now = proxy_now_ms();
	struct conn *c = L->conns;

	while (c) {
		struct conn *next = c->next; /* c may close (and leave the list) */
		conn_timers(c, now);
		c = next;
	}
	if (L->accept_retry_ms && now >= L->accept_retry_ms) {
		L->accept_retry_ms = 0;
		set_accepting(L, true);
	}
}

static void run_ready(struct proxy_loop *L)
{
	struct conn *c = L->ready;

	L->ready = NULL;
	while (c) {
		struct conn *next = c->ready_next;
		c->on_ready = false;
		c->ready_next = NULL;
		conn_pump(c);
		c = next;
	}
}

static int loop_init(struct proxy_loop *L, const struct proxy_config *c, struct perr *e)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int p[2];

	memset(L, 0, sizeof(*L));
	L->cfg = c;
	L->header_timeout_ms = c->header_timeout_ms > 0 ? c->header_timeout_ms : 10000;
	L->resolve_timeout_ms = c->resolve_timeout_ms > 0 ? c->resolve_timeout_ms : 5000;
	L->connect_timeout_ms = c->connect_timeout_ms > 0 ? c->connect_timeout_ms : 10000;
	L->max_conns = c->max_conns ? c->max_conns : 4096;
	L->pipe_size = c->pipe_size ? c->pipe_size : 1 << 20;
	L->half_closed_idle_ms = c->half_closed_idle_ms ? c->half_closed_idle_ms : 60000;
	L->gai_rd = L->gai_wr = -1;
	L->ep = epoll_create1(EPOLL_CLOEXEC);
	if (L->ep < 0)
		return perr_sys(e, errno, "epoll_create1");
	/* The write end stays blocking (see gai_thread); the loop reads
	 * without blocking. */
	if (pipe2(p, O_CLOEXEC) != 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) != 0)
		return perr_sys(e, errno, "resolver pipe");
	L->gai_rd = p[0];
	L->gai_wr = p[1];
	L->listen_tag.kind = TAG_LISTEN;
	L->gai_tag.kind = TAG_GAI;
	ev.data.ptr = &L->gai_tag;
	if (epoll_ctl(L->ep, EPOLL_CTL_ADD, L->gai_rd, &ev) != 0)
		return perr_sys(e, errno, "epoll_ctl");
	ev.data.ptr = &L->listen_tag;
	if (epoll_ctl(L->ep, EPOLL_CTL_ADD, c->listen_fd, &ev) != 0)
		return perr_sys(e, errno, "epoll_ctl listen fd");
	L->accepting = true;
	return 0;
}

int proxy_serve(const struct proxy_config *cfg, struct perr *e)
{
	struct proxy_loop L;
	struct epoll_event evs[MAX_EVENTS];
	struct rlimit rl;
	uint64_t next_sweep = 0;

	if (!cfg->policy || cfg->listen_fd < 0)
		return perr_usage(e, "proxy: no policy or listening socket");
	/* splice(2) into a socket the peer closed raises SIGPIPE; there is no
	 * MSG_NOSIGNAL for it. This process only serves the proxy. */
	signal(SIGPIPE, SIG_IGN);
	/* Two sockets and four pipe ends per tunnel. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (loop_init(&L, cfg, e) != 0)
		return perr_prefix(e, "proxy");
	if (cfg->say_ready) {
		TL("serving");
		(void)!write(cfg->ready_fd, "r", 1);
		close(cfg->ready_fd);
	}
	for (;;) {
		int timeout = L.ready ? 0 : (L.conns || L.accept_retry_ms) ? SWEEP_MS : -1;
		int n = epoll_wait(L.ep, evs, MAX_EVENTS, timeout);
		uint64_t now;

		if (n < 0 && errno != EINTR)
			return perr_sys(e, errno, "proxy: epoll_wait");
		for (int i = 0; i < n; i++) {
			struct ep_tag *t = evs[i].data.ptr;
			if (t->kind == TAG_LISTEN)
				accept_all(&L);
			else if (t->kind == TAG_GAI)
				read_gai(&L);
			else
				conn_event(t, evs[i].events);
		}
		run_ready(&L);
		now = proxy_now_ms();
		if (now >= next_sweep) {
			run_timers(&L);
			next_sweep = now + SWEEP_MS;
		}
		free_dead(&L);
		if (!L.accepting && !L.accept_retry_ms && L.n_conns < L.max_conns)
			set_accepting(&L, true);
	}
}

int proxy_agent_env(const char *host, uint16_t port, char ***envp_out)
{
	static const char *const url_vars[] = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
					       "http_proxy", "https_proxy", "grpc_proxy"};
	static const char *const no_proxy_vars[] = {"NO_PROXY", "no_proxy"};
	size_t n = ARRAY_SIZE(url_vars) + ARRAY_SIZE(no_proxy_vars), k = 0;
	char **env = calloc(n + 1, sizeof(*env));
	bool v6 = strchr(host, ':') != NULL;

	if (!env)
		goto nomem;
	for (size_t i = 0; i < ARRAY_SIZE(url_vars); i++)
		if (asprintf(&env[k++], "%s=http://%s%s%s:%u", url_vars[i], v6 ? "[" : "", host,
			     v6 ? "]" : "", port) < 0) {
			env[--k] = NULL;
			goto nomem;
		}
	for (size_t i = 0; i < ARRAY_SIZE(no_proxy_vars); i++)
		if (asprintf(&env[k++], "%s=127.0.0.1,localhost,::1", no_proxy_vars[i]) < 0) {
			env[--k] = NULL;
			goto nomem;
		}
	*envp_out = env;
	return 0;
nomem:
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
	errno = ENOMEM;
	return -1;
}
