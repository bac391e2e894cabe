/* Unit tests of the sinks' serving loop without root: every witness on
 * 127.0.0.1 with ephemeral (or random high) ports in the caller's netns. The
 * lab suite (tests/lab/test_sinks_lab.c) runs the real addresses and ports in
 * a netns with real clients. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "matrix/sinks.h"
#include "unit.h"
#include "util.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

static char marker[27];
static const uint16_t eph2[] = {0, 0}, eph1[] = {0};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static struct sinks *start(uint16_t *dns_port, uint16_t *up_port, int settle_idle)
{
	struct sinks *s = NULL;
	struct perr e;

	for (int attempt = 0; attempt < 20 && !s; attempt++) {
		uint16_t base;
		struct sinks_config c = {
		    .netns_fd = -1,
		    .marker = marker,
		    .sink_v4 = "127.0.0.1",
		    .dns_v4 = "127.0.0.1",
		    .allowed_v4 = "127.0.0.1",
		    .tcp = {eph2, 2},
		    .udp = {eph1, 1},
		    .sctp = {eph1, 1},
		    .udplite = {eph1, 1},
		    .settle_idle_ms = settle_idle,
		    .accomplice_timeout_ms = 500,
		    .accomplice_idle_ms = 50,
		};

		util_random(&base, sizeof(base));
		c.dns_port = (uint16_t)(20000 + base % 20000);
		c.allowed_port = (uint16_t)(c.dns_port + 1);
		if (sinks_start(&s, &c, &e) == 0) {
			*dns_port = c.dns_port;
			*up_port = c.allowed_port;
		} else {
			CU_ASSERT_EQUAL(e.sys_errno, EADDRINUSE);
			if (e.sys_errno != EADDRINUSE)
				return NULL;
		}
	}
	return s;
}

/* The ports the sink witnesses got, from the evidence. */
static int ports_of(struct sinks *s, const char *proto, uint16_t *out, int max)
{
	json_t *ev = sinks_evidence(s), *w;
	size_t i;
	int n = 0;

	json_array_foreach (json_object_get(ev, "sinks"), i, w) {
		if (!strcmp(json_string_value(json_object_get(w, "proto")), proto) &&
		    json_is_true(json_object_get(w, "available")) && n < max)
			out[n++] = (uint16_t)json_integer_value(json_object_get(w, "port"));
	}
	json_decref(ev);
	return n;
}

static json_t *find(json_t *arr, const char *proto, uint16_t port)
{
	json_t *w;
	size_t i;

	json_array_foreach (arr, i, w) {
		if (!strcmp(json_string_value(json_object_get(w, "proto")), proto) &&
		    json_integer_value(json_object_get(w, "port")) == port)
			return w;
	}
	return NULL;
}

static int tcp_to(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_tcp(uint16_t port, const char *msg)
{
	int fd = tcp_to(port);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(util_write_all(fd, msg, strlen(msg)) == 0);
	close(fd);
}

static void send_udp(int proto, uint16_t port, const void *msg, size_t n)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, proto);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(sendto(fd, msg, n, 0, (struct sockaddr *)&a, sizeof(a)) == (ssize_t)n);
	close(fd);
}

static size_t mkq(uint8_t *b, const char *name, uint16_t type)
{
	size_t n = 12;
	const char *p = name;

	memset(b, 0, 12);
	b[0] = 0xab;
	b[2] = 1;
	b[5] = 1;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		b[n++] = (uint8_t)l;
		memcpy(b + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = (uint8_t)type;
	b[n++] = 0;
	b[n++] = 1;
	return n;
}

/* A DNS question over UDP; returns the reply's rcode and first A rdata. */
static int dns_udp(uint16_t port, const char *name, uint8_t a[4])
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	uint8_t b[512], r[512];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t n = mkq(b, name, 1);
	ssize_t rn;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sendto(fd, b, n, 0, (struct sockaddr *)&sa, sizeof(sa));
	if (poll(&p, 1, 2000) != 1) {
		close(fd);
		return -1;
	}
	rn = recv(fd, r, sizeof(r), 0);
	close(fd);
	if (rn < 12)
		return -1;
	if (r[7] && (size_t)rn >= n + 16)
		memcpy(a, r + n + 12, 4);
	return r[3] & 0xf;
}

static int dns_tcp(uint16_t port, const char *name)
{
	uint8_t b[520], r[520];
	size_t n = mkq(b + 2, name, 28);
	int fd = tcp_to(port);
	ssize_t rn;

	if (fd < 0)
		return -1;
	b[0] = 0;
	b[1] = (uint8_t)n;
	/* twice in one write: pipelined messages */
	memcpy(b + 2 + n, b, n + 2);
	util_write_all(fd, b, 2 * (n + 2));
	shutdown(fd, SHUT_WR);
	rn = util_read_all(fd, r, sizeof(r));
	close(fd);
	if (rn < 14 || r[0] != 0 || (size_t)r[1] + 2 > (size_t)rn)
		return -1;
	return (int)(rn / (r[1] + 2)) * 100 + (r[5] & 0xf);
}

struct peer_arg {
	int lfd;
	int proto;
};

/* The "sandboxed" listener the accomplice connects to: reads the greeting,
 * answers with the marker. */
static void *listener(void *arg)
{
	struct peer_arg *pa = arg;
	char buf[256], out[64];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	snprintf(out, sizeof(out), "secret=%s\n", marker);
	if (pa->proto == IPPROTO_TCP) {
		int c = accept(pa->lfd, NULL, NULL);

		if (c >= 0) {
			(void)!read(c, buf, sizeof(buf));
			util_write_all(c, out, strlen(out));
			close(c);
		}
	} else {
		ssize_t n = recvfrom(pa->lfd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);

		if (n > 0)
			sendto(pa->lfd, out, strlen(out), 0, (struct sockaddr *)&ss, sl);
	}
	return NULL;
}

static int bound(int type, uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t sl = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	if (type == SOCK_STREAM)
		listen(fd, 4);
	getsockname(fd, (struct sockaddr *)&a, &sl);
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_loopback_witnesses(void)
{
	uint16_t dport = 0, uport = 0, tcp[2], udp[1], lite[1], lport;
	char msg[128];
	uint8_t a[4] = {0};
	struct sinks *s;
	struct perr e;
	json_t *ev, *w, *qs, *acc, *x;
	int fds = count_fds(), n;
	size_t i;
	bool named = false, tcpq = false;

	util_marker(marker);
	s = start(&dport, &uport, 0);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(ports_of(s, "tcp", tcp, 2), 2);
	CU_ASSERT_EQUAL(ports_of(s, "udp", udp, 1), 1);
	n = ports_of(s, "udplite", lite, 1);

	snprintf(msg, sizeof(msg), "GET /?q=%s HTTP/1.0\r\n\r\n", marker);
	send_tcp(tcp[0], msg);
	send_tcp(tcp[1], "nothing to see\n");
	send_udp(0, udp[0], msg, strlen(msg));
	send_udp(0, udp[0], "", 0);
	if (n)
		send_udp(IPPROTO_UDPLITE, lite[0], msg, strlen(msg));

	snprintf(msg, sizeof(msg), "%s.exfil.test", marker);
	CU_ASSERT_EQUAL(dns_udp(dport, msg, a), 3);
	CU_ASSERT_EQUAL(dns_udp(dport, "allowed.test", a), 0);
	/* allowed.test is the allowed upstream, here on 127.0.0.1 */
	CU_ASSERT(a[0] == 127 && a[1] == 0 && a[2] == 0 && a[3] == 1);
	CU_ASSERT_EQUAL(dns_tcp(dport, msg), 203); /* two replies, NXDOMAIN */
	send_udp(0, dport, "\xff\xff garbage", 10);

	/* the allowed upstream echoes */
	{
		int fd = tcp_to(uport);
		char back[64] = {0};

		CU_ASSERT_FATAL(fd >= 0);
		util_write_all(fd, marker, 26);
		shutdown(fd, SHUT_WR);
		CU_ASSERT_EQUAL(util_read_all(fd, back, sizeof(back)), 26);
		CU_ASSERT(memcmp(back, marker, 26) == 0);
		close(fd);
	}

	/* accomplice: TCP, UDP, and a refused TCP port */
	for (int proto = IPPROTO_TCP; proto; proto = proto == IPPROTO_TCP ? IPPROTO_UDP : 0) {
		struct peer_arg pa = {.proto = proto};
		pthread_t t;

		pa.lfd = bound(proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM, &lport);
		pthread_create(&t, NULL, listener, &pa);
		CU_ASSERT_EQUAL(sinks_accomplice_connect(s, proto, "127.0.0.1", lport, &e), 0);
		pthread_join(t, NULL);
		close(pa.lfd);
	}
	close(bound(SOCK_STREAM, &lport));
	CU_ASSERT_EQUAL(sinks_accomplice_connect(s, IPPROTO_TCP, "127.0.0.1", lport, &e), 0);
	CU_ASSERT_EQUAL(sinks_accomplice_connect(s, IPPROTO_TCP, "not-an-ip", 1, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);

	CU_ASSERT_EQUAL(sinks_stop(s, &e), 0);
	CU_ASSERT_EQUAL(sinks_accomplice_connect(s, IPPROTO_TCP, "127.0.0.1", lport, &e), -1);
	CU_ASSERT(sinks_saw_marker(s));
	ev = sinks_evidence(s);
	CU_ASSERT_FATAL(ev != NULL);
	CU_ASSERT(json_is_true(json_object_get(ev, "ok")));

	w = find(json_object_get(ev, "sinks"), "tcp", tcp[0]);
	CU_ASSERT(json_is_true(json_object_get(w, "marker_seen")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(w, "connections")), 1);
	CU_ASSERT(
	    !strncmp(json_string_value(json_object_get(w, "first_payload")), "GET /?q=pm", 10));
	x = json_array_get(json_object_get(w, "peers"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(x), "127.0.0.1");
	w = find(json_object_get(ev, "sinks"), "tcp", tcp[1]);
	CU_ASSERT(json_is_false(json_object_get(w, "marker_seen")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(w, "bytes")), 15);
	w = find(json_object_get(ev, "sinks"), "udp", udp[0]);
	CU_ASSERT(json_is_true(json_object_get(w, "marker_seen")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(w, "datagrams")), 2);
	if (n) {
		w = find(json_object_get(ev, "sinks"), "udplite", lite[0]);
		CU_ASSERT(json_is_true(json_object_get(w, "marker_seen")));
	}
	w = find(json_object_get(ev, "sinks"), "sctp", 0);
	CU_ASSERT(w == NULL || json_is_true(json_object_get(w, "available")) ||
		  !strncmp(json_string_value(json_object_get(w, "status")), "unavailable: ", 13));

	qs = json_object_get(json_object_get(ev, "dns"), "queries");
	CU_ASSERT_EQUAL(json_array_size(qs), 4);
	json_array_foreach (qs, i, x) {
		const char *nm = json_string_value(json_object_get(x, "name"));

		if (!strcmp(nm, msg) && json_is_true(json_object_get(x, "marker_seen"))) {
			named = true;
			tcpq |= !strcmp(json_string_value(json_object_get(x, "transport")), "tcp");
			CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(x, "rcode")),
					       "NXDOMAIN");
		}
	}
	CU_ASSERT(named && tcpq);
	CU_ASSERT(json_is_true(json_object_get(json_object_get(ev, "dns"), "marker_seen")));
	CU_ASSERT_EQUAL(
	    json_integer_value(json_object_get(json_object_get(ev, "dns"), "malformed")), 1);
	x = json_object_get(ev, "allowed_upstream");
	CU_ASSERT(json_is_true(json_object_get(x, "marker_seen")));
	acc = json_object_get(ev, "accomplice");
	CU_ASSERT_EQUAL(json_array_size(acc), 3);
	CU_ASSERT(json_is_true(json_object_get(json_array_get(acc, 0), "marker_seen")));
	CU_ASSERT(json_is_true(json_object_get(json_array_get(acc, 1), "marker_seen")));
	CU_ASSERT(json_is_false(json_object_get(json_array_get(acc, 2), "connected")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(acc, 2), "error")),
			       "connect: ECONNREFUSED");
	json_decref(ev);
	sinks_free(s);
	CU_ASSERT_EQUAL(count_fds(), fds);
}

/* Only the allowed upstream sees the marker: not an escape. */
static void test_upstream_is_not_an_escape(void)
{
	uint16_t dport, uport;
	struct sinks *s;
	struct perr e;
	int fd;

	util_marker(marker);
	s = start(&dport, &uport, -1);
	CU_ASSERT_FATAL(s != NULL);
	fd = tcp_to(uport);
	util_write_all(fd, marker, 26);
	close(fd);
	CU_ASSERT_EQUAL(sinks_stop(s, &e), 0);
	CU_ASSERT(!sinks_saw_marker(s));
	{
		json_t *ev = sinks_evidence(s);

		CU_ASSERT(json_is_true(
		    json_object_get(json_object_get(ev, "allowed_upstream"), "marker_seen")));
		CU_ASSERT(json_is_false(json_object_get(ev, "marker_seen")));
		CU_ASSERT_EQUAL(json_array_size(json_object_get(ev, "seen_by")), 0);
		json_decref(ev);
	}
	sinks_free(s);
}

/* Settle: data sent just after stop is still seen. */
static void *late_sender(void *arg)
{
	uint16_t port = *(uint16_t *)arg;
	struct timespec ts = {0, 5 * 1000 * 1000};

	nanosleep(&ts, NULL);
	send_tcp(port, marker);
	return NULL;
}

static void test_settle_and_cycles(void)
{
	uint16_t dport, uport, tcp[2];
	struct sinks *s;
	struct perr e;
	pthread_t t;
	int fds = count_fds();

	util_marker(marker);
	s = start(&dport, &uport, 100);
	CU_ASSERT_FATAL(s != NULL);
	ports_of(s, "tcp", tcp, 2);
	pthread_create(&t, NULL, late_sender, &tcp[0]);
	CU_ASSERT_EQUAL(sinks_stop(s, &e), 0);
	pthread_join(t, NULL);
	CU_ASSERT(sinks_saw_marker(s));
	sinks_free(s);

	/* many start/stop cycles leave no fd and no thread behind */
	for (int i = 0; i < 50; i++) {
		s = start(&dport, &uport, -1);
		CU_ASSERT_FATAL(s != NULL);
		if (i & 1)
			sinks_stop(s, &e);
		sinks_free(s); /* stops when needed */
	}
	CU_ASSERT_EQUAL(count_fds(), fds);
}

struct big {
	int fd;
	size_t n;
	uint8_t *data;
};

static void *big_writer(void *arg)
{
	struct big *b = arg;

	util_write_all(b->fd, b->data, b->n);
	shutdown(b->fd, SHUT_WR);
	return NULL;
}

/* The upstream echoes megabytes to a reader slower than the writer (its
 * pending-echo path), then sees EOF with echo still pending; DNS over TCP
 * arrives one byte per write. */
static void test_echo_backpressure_and_dns_trickle(void)
{
	uint16_t dport, uport;
	struct big b = {.n = 4 << 20};
	uint8_t *back = malloc(b.n + 1), q[300];
	size_t got = 0, qn;
	struct sinks *s;
	struct perr e;
	pthread_t t;
	json_t *ev;
	int fd, one = 1;

	util_marker(marker);
	s = start(&dport, &uport, -1);
	CU_ASSERT_FATAL(s != NULL);
	b.data = malloc(b.n);
	for (size_t i = 0; i < b.n; i++)
		b.data[i] = (uint8_t)(i * 7 + (i >> 12));
	memcpy(b.data + b.n / 2, marker, 26);
	{
		/* a small receive buffer and a late reader: the echo backs up */
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(uport)};
		int small = 16384;
		struct timespec ts = {0, 50 * 1000 * 1000};

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		b.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		setsockopt(b.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		CU_ASSERT_FATAL(connect(b.fd, (struct sockaddr *)&a, sizeof(a)) == 0);
		pthread_create(&t, NULL, big_writer, &b);
		nanosleep(&ts, NULL);
	}
	for (;;) {
		ssize_t n = read(b.fd, back + got, 8192);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	pthread_join(t, NULL);
	close(b.fd);
	CU_ASSERT_EQUAL(got, b.n);
	CU_ASSERT(got == b.n && memcmp(back, b.data, b.n) == 0);

	qn = mkq(q + 2, "trickle.PM.example", 16);
	q[0] = 0;
	q[1] = (uint8_t)qn;
	fd = tcp_to(dport);
	setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
	for (size_t i = 0; i < qn + 2; i++) {
		struct timespec ts = {0, 300 * 1000};

		CU_ASSERT(write(fd, q + i, 1) == 1);
		nanosleep(&ts, NULL);
	}
	{
		uint8_t r[300];
		ssize_t n = util_read_all(fd, r, 2); /* the reply's length prefix */

		CU_ASSERT_EQUAL(n, 2);
	}
	close(fd);
	CU_ASSERT_EQUAL(sinks_stop(s, &e), 0);
	ev = sinks_evidence(s);
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(json_object_get(ev, "dns"), "queries"), 0), "name")),
	    "trickle.pm.example");
	CU_ASSERT(
	    json_is_true(json_object_get(json_object_get(ev, "allowed_upstream"), "marker_seen")));
	CU_ASSERT(!sinks_saw_marker(s));
	json_decref(ev);
	sinks_free(s);
	free(b.data);
	free(back);
}

static long long witness_int(struct sinks *s, const char *proto, uint16_t port, const char *k)
{
	json_t *ev = sinks_evidence(s);
	long long v =
	    json_integer_value(json_object_get(find(json_object_get(ev, "sinks"), proto, port), k));

	json_decref(ev);
	return v;
}

/* Regression: a child forked while a connection is open holds its file; the
 * connection's close must still deregister it from epoll (else the loop sees
 * a freed pointer: ASan). */
static void test_fork_holding_connection(void)
{
	uint16_t dport, uport, tcp[2];
	struct sinks *s;
	struct perr e;
	pid_t child;
	int fd, st;

	util_marker(marker);
	s = start(&dport, &uport, -1);
	CU_ASSERT_FATAL(s != NULL);
	ports_of(s, "tcp", tcp, 2);
	fd = tcp_to(tcp[0]);
	CU_ASSERT_FATAL(fd >= 0);
	for (int i = 0; i < 2000 && witness_int(s, "tcp", tcp[0], "connections") < 1; i++)
		usleep(500);
	child = fork();
	if (child == 0) {
		close(fd); /* the client end is the parent's alone */
		usleep(300 * 1000);
		_exit(0);
	}
	util_write_all(fd, marker, 26);
	close(fd); /* the sinks read EOF and close their end; the child keeps it */
	usleep(50 * 1000);
	send_tcp(tcp[1], "after"); /* more events while the stale file lives */
	usleep(50 * 1000);
	CU_ASSERT_EQUAL(sinks_stop(s, &e), 0);
	CU_ASSERT(sinks_saw_marker(s));
	sinks_free(s);
	waitpid(child, &st, 0);
}

/* More connections than the sinks keep open: the oldest make room, each
 * one's bytes still counted, and the newest's marker still seen. */
static void test_connection_limit(void)
{
	enum { N = 300 };
	static int fds[N];
	uint16_t dport, uport, tcp[2];
	struct sinks *s;
	struct perr e;
	json_t *ev, *w;
	int last;

	util_marker(marker);
	s = start(&dport, &uport, -1);
	CU_ASSERT_FATAL(s != NULL);
	ports_of(s, "tcp", tcp, 2);
	for (int i = 0; i < N; i++) {
		fds[i] = tcp_to(tcp[0]);
		CU_ASSERT_FATAL(fds[i] >= 0);
		CU_ASSERT(write(fds[i], "x", 1) == 1);
	}
	for (int i = 0; i < 4000 && witness_int(s, "tcp", tcp[0], "connections") < N; i++)
		usleep(500);
	last = tcp_to(tcp[0]);
	CU_ASSERT_FATAL(last >= 0);
	util_write_all(last, marker, 26);
	for (int i = 0; i < 4000 && witness_int(s, "tcp", tcp[0], "bytes") < N + 26; i++)
		usleep(500);
	CU_ASSERT_EQUAL(sinks_stop(s, &e), 0);
	ev = sinks_evidence(s);
	w = find(json_object_get(ev, "sinks"), "tcp", tcp[0]);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(w, "connections")), N + 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(w, "bytes")), N + 26);
	CU_ASSERT(json_is_true(json_object_get(w, "marker_seen")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(ev, "connections_evicted")),
			N + 1 - 256);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(w, "records_dropped")), N + 1 - 32);
	json_decref(ev);
	sinks_free(s);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	close(last);
}

static void test_bad_config(void)
{
	struct sinks *s = (struct sinks *)1;
	struct perr e;
	struct sinks_config c = {.netns_fd = -1, .marker = "", .sink_v4 = "127.0.0.1"};

	CU_ASSERT_EQUAL(sinks_start(&s, &c, &e), -1);
	CU_ASSERT(s == NULL);
	c.marker = "pm00";
	c.sink_v4 = "localhost";
	CU_ASSERT_EQUAL(sinks_start(&s, &c, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	/* an address not configured here: the start fails (infrastructure) */
	c.sink_v4 = "198.51.100.10";
	c.tcp = (struct sinks_ports){eph1, 1};
	c.udp = c.sctp = c.udplite = (struct sinks_ports){eph1, 0};
	CU_ASSERT_EQUAL(sinks_start(&s, &c, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_INFRA);
	CU_ASSERT_EQUAL(e.sys_errno, EADDRNOTAVAIL);
	sinks_free(NULL);
}

void unit_register(void)
{
	UNIT_SUITE("sinks");
	UNIT_TEST(test_loopback_witnesses);
	UNIT_TEST(test_upstream_is_not_an_escape);
	UNIT_TEST(test_settle_and_cycles);
	UNIT_TEST(test_echo_backpressure_and_dns_trickle);
	UNIT_TEST(test_fork_holding_connection);
	UNIT_TEST(test_connection_limit);
	UNIT_TEST(test_bad_config);
}
