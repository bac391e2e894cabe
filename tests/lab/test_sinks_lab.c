/* Lab test of the network witnesses (matrix/sinks.h), as root: an anonymous
 * netns with the lab's sink, DNS and upstream addresses on its loopback (and
 * the pod's addresses, so the accomplice has somewhere to connect), the sinks
 * started in it from outside, and real clients inside it: C sockets on every
 * port, dig over UDP and TCP. Checks the evidence for the marker, a negative
 * control, the accomplice, and measures start+stop.
 *
 * Exit 0 pass, 1 fail, 77 skip (not root). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "matrix/sinks.h"
#include "util.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

static int failures;
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

static const uint16_t TCP_PORTS[] = {22, 53, 80, 443, 3128, 8080};
static const uint16_t UDP_PORTS[] = {53, 123, 9999};
static const char *const SINK_ADDR[] = {SINKS_SINK_V4, SINKS_SINK_V6};

static int wan_fd = -1;

/* ---- the netns (made in a thread that then exits; libnl, no `ip`) */

static int add_addr(struct nl_sock *sk, int ifindex, const char *cidr, int family)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = NULL;
	int r;

	if (!a || nl_addr_parse(cidr, family, &local) < 0)
		return -1;
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_local(a, local);
	if (family == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	r = rtnl_addr_add(sk, a, 0);
	nl_addr_put(local);
	rtnl_addr_put(a);
	return r;
}

static int addr_of(const char *a, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	inet_pton(AF_INET6, a, &s6->sin6_addr);
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	return sizeof(*s6);
}

/* An IPv6 address on lo can be bound at once, but its local route comes
 * from addrconf's work queue, which waits for the RTNL behind the teardown
 * of earlier netns: until then a connect() gets ENETUNREACH. Wait for a route
 * to each address (a UDP connect is a route lookup). */
static int wait_routable(const char *const *cidrs, size_t n)
{
	double t0 = util_now_ms();

	for (size_t i = 0; i < n; i++) {
		char a[64];
		struct sockaddr_storage ss;
		int sl;

		snprintf(a, sizeof(a), "%s", cidrs[i]);
		*strchr(a, '/') = '\0';
		sl = addr_of(a, 9, &ss);
		for (;;) {
			int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			int r = connect(fd, (struct sockaddr *)&ss, (socklen_t)sl);

			close(fd);
			if (r == 0)
				break;
			if (errno != ENETUNREACH || util_now_ms() - t0 > 5000)
				return -1;
			usleep(1000);
		}
	}
	if (util_now_ms() - t0 > 1)
		printf("# IPv6 local routes appeared after %.1f ms\n", util_now_ms() - t0);
	return 0;
}

static void *make_netns(void *arg)
{
	static const char *const v4[] = {"198.51.100.10/32", "198.51.100.53/32", "203.0.113.80/32",
					 "10.88.0.2/32"};
	static const char *const v6[] = {"2001:db8:100::10/128", "2001:db8:100::53/128",
					 "fd00:88::2/128"};
	struct nl_sock *sk;
	struct rtnl_link *lo = NULL, *up;
	int *err = arg, ifindex;

	*err = -1;
	if (unshare(CLONE_NEWNET) < 0)
		return NULL;
	sk = nl_socket_alloc();
	if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0)
		return NULL;
	if (rtnl_link_get_kernel(sk, 0, "lo", &lo) < 0)
		return NULL;
	ifindex = rtnl_link_get_ifindex(lo);
	up = rtnl_link_alloc();
	rtnl_link_set_flags(up, IFF_UP);
	if (rtnl_link_change(sk, lo, up, 0) < 0)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(v4); i++)
		if (add_addr(sk, ifindex, v4[i], AF_INET) < 0)
			return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(v6); i++)
		if (add_addr(sk, ifindex, v6[i], AF_INET6) < 0)
			return NULL;
	rtnl_link_put(up);
	rtnl_link_put(lo);
	nl_socket_free(sk);
	if (wait_routable(v6, ARRAY_SIZE(v6)) < 0)
		return NULL;
	wan_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	*err = wan_fd < 0 ? -1 : 0;
	return NULL;
}

/* ---- clients, in children that enter the netns */

static pid_t in_wan(void)
{
	pid_t p = fork();

	if (p == 0 && setns(wan_fd, CLONE_NEWNET) < 0)
		_exit(100);
	return p;
}

static int wait_ok(pid_t p)
{
	int st;

	if (waitpid(p, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int send_stream(const char *a, uint16_t port, int proto, const char *msg)
{
	struct sockaddr_storage ss;
	int sl = addr_of(a, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM, proto);

	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, (socklen_t)sl) < 0 ||
	    util_write_all(fd, msg, strlen(msg)) < 0) {
		fprintf(stderr, "stream to %s:%u: %s\n", a, port, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int send_dgram(const char *a, uint16_t port, int proto, const char *msg)
{
	struct sockaddr_storage ss;
	int sl = addr_of(a, port, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM, proto);

	if (fd < 0 || sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&ss, (socklen_t)sl) !=
			  (ssize_t)strlen(msg)) {
		fprintf(stderr, "datagram to %s:%u: %s\n", a, port, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Every TCP and UDP(-Lite, SCTP when there) sink port, v4 and v6. */
static void spray(const char *payload, bool sctp, bool lite)
{
	pid_t p = in_wan();
	int bad = 0;

	if (p == 0) {
		for (int f = 0; f < 2; f++) {
			for (size_t i = 0; i < ARRAY_SIZE(TCP_PORTS); i++)
				bad += send_stream(SINK_ADDR[f], TCP_PORTS[i], 0, payload) < 0;
			for (size_t i = 0; i < ARRAY_SIZE(UDP_PORTS); i++)
				bad += send_dgram(SINK_ADDR[f], UDP_PORTS[i], 0, payload) < 0;
			if (lite)
				bad += send_dgram(SINK_ADDR[f], 9999, IPPROTO_UDPLITE, payload) < 0;
			if (sctp) {
				bad += send_stream(SINK_ADDR[f], 80, IPPROTO_SCTP, payload) < 0;
				bad += send_stream(SINK_ADDR[f], 9999, IPPROTO_SCTP, payload) < 0;
			}
		}
		_exit(bad ? 1 : 0);
	}
	CHECK(wait_ok(p) == 0, "a client could not reach a sink");
}

/* Run argv in the netns; its stdout into out. Returns the exit code. */
static int run(char *const argv[], char *out, size_t len)
{
	int pfd[2];
	pid_t p;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	p = in_wan();
	if (p == 0) {
		dup2(pfd[1], 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	n = util_read_all(pfd[0], out, len - 1);
	out[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	return wait_ok(p);
}

static int dig(const char *server, bool tcp, const char *name, const char *type, bool shrt,
	       char *out, size_t len)
{
	char at[64];
	char *argv[10];
	int n = 0;

	snprintf(at, sizeof(at), "@%s", server);
	argv[n++] = "dig";
	argv[n++] = at;
	argv[n++] = "+tries=1";
	argv[n++] = "+time=1";
	argv[n++] = tcp ? "+tcp" : "+notcp";
	if (shrt)
		argv[n++] = "+short";
	argv[n++] = (char *)name;
	argv[n++] = (char *)type;
	argv[n] = NULL;
	return run(argv, out, len);
}

static int echo_through_upstream(const char *msg)
{
	pid_t p = in_wan();

	if (p == 0) {
		struct sockaddr_storage ss;
		int sl = addr_of(SINKS_ALLOWED_V4, 443, &ss);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		char back[256];
		ssize_t n;

		if (connect(fd, (struct sockaddr *)&ss, (socklen_t)sl) < 0)
			_exit(1);
		util_write_all(fd, msg, strlen(msg));
		shutdown(fd, SHUT_WR);
		n = util_read_all(fd, back, sizeof(back));
		_exit(n == (ssize_t)strlen(msg) && !memcmp(back, msg, (size_t)n) ? 0 : 2);
	}
	return wait_ok(p);
}

/* ---- evidence helpers */

static json_t *find(json_t *arr, const char *proto, const char *addr, uint16_t port)
{
	json_t *w;
	size_t i;

	json_array_foreach (arr, i, w) {
		if (!strcmp(json_string_value(json_object_get(w, "proto")), proto) &&
		    !strcmp(json_string_value(json_object_get(w, "address")), addr) &&
		    json_integer_value(json_object_get(w, "port")) == port)
			return w;
	}
	return NULL;
}

static bool jtrue(json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

static long long jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static struct sinks *start(const char *marker, int settle)
{
	struct sinks_config c = {
	    .netns_fd = wan_fd,
	    .marker = marker,
	    .sink_v4 = SINKS_SINK_V4,
	    .sink_v6 = SINKS_SINK_V6,
	    .dns_v4 = SINKS_DNS_V4,
	    .dns_v6 = SINKS_DNS_V6,
	    .allowed_v4 = SINKS_ALLOWED_V4,
	    .settle_idle_ms = settle,
	    .accomplice_timeout_ms = 400,
	    .accomplice_idle_ms = 50,
	};
	struct sinks *s = NULL;
	struct perr e;
	char buf[1400];

	if (sinks_start(&s, &c, &e) < 0)
		fprintf(stderr, "sinks_start: %s\n", perr_str(&e, buf, sizeof(buf)));
	return s;
}

/* Check each sink witness: marker_seen == want, one connection/datagram. */
static void check_sinks(json_t *ev, bool want, bool *sctp, bool *lite)
{
	json_t *sinks = json_object_get(ev, "sinks"), *w;

	for (int f = 0; f < 2; f++) {
		for (size_t i = 0; i < ARRAY_SIZE(TCP_PORTS); i++) {
			w = find(sinks, "tcp", SINK_ADDR[f], TCP_PORTS[i]);
			CHECK(w && jtrue(w, "marker_seen") == want && jint(w, "connections") == 1 &&
				  jint(w, "bytes") > 0 &&
				  json_array_size(json_object_get(w, "peers")),
			      "tcp %s:%u", SINK_ADDR[f], TCP_PORTS[i]);
		}
		for (size_t i = 0; i < ARRAY_SIZE(UDP_PORTS); i++) {
			w = find(sinks, "udp", SINK_ADDR[f], UDP_PORTS[i]);
			CHECK(w && jtrue(w, "marker_seen") == want && jint(w, "datagrams") == 1,
			      "udp %s:%u", SINK_ADDR[f], UDP_PORTS[i]);
		}
		w = find(sinks, "udplite", SINK_ADDR[f], 9999);
		CHECK(w != NULL, "udplite witness listed");
		*lite = w && jtrue(w, "available");
		if (*lite && jint(w, "datagrams"))
			CHECK(jtrue(w, "marker_seen") == want, "udplite %s", SINK_ADDR[f]);
		w = find(sinks, "sctp", SINK_ADDR[f], 80);
		CHECK(w != NULL, "sctp witness listed");
		*sctp = w && jtrue(w, "available");
		if (w && !*sctp)
			CHECK(!strncmp(json_string_value(json_object_get(w, "status")),
				       "unavailable: ", 13),
			      "sctp status: %s", json_string_value(json_object_get(w, "status")));
	}
}

/* Which optional protocols the kernel gave us. */
static void kernel_has(struct sinks *s, bool *sctp, bool *lite)
{
	json_t *ev = sinks_evidence(s), *w;

	w = find(json_object_get(ev, "sinks"), "sctp", SINKS_SINK_V4, 80);
	*sctp = w && jtrue(w, "available");
	w = find(json_object_get(ev, "sinks"), "udplite", SINKS_SINK_V4, 9999);
	*lite = w && jtrue(w, "available");
	json_decref(ev);
}

static json_t *query(json_t *ev, const char *name, const char *transport)
{
	json_t *q;
	size_t i;

	json_array_foreach (json_object_get(json_object_get(ev, "dns"), "queries"), i, q) {
		if (!strcmp(json_string_value(json_object_get(q, "name")), name) &&
		    !strcmp(json_string_value(json_object_get(q, "transport")), transport))
			return q;
	}
	return NULL;
}

/* ---- tests */

static void test_escapes_seen(void)
{
	char m[27], payload[128], name[128], name6[128], out[4096];
	bool sctp = false, lite = false;
	struct sinks *s;
	struct perr e;
	json_t *ev, *q, *w;

	util_marker(m);
	s = start(m, 0);
	CHECK(s != NULL, "start");
	if (!s)
		return;
	kernel_has(s, &sctp, &lite);
	printf("# kernel: sctp %s, udplite %s\n", sctp ? "yes" : "no", lite ? "yes" : "no");

	snprintf(payload, sizeof(payload), "exfil %s\n", m);
	spray(payload, sctp, lite);

	snprintf(name, sizeof(name), "%s.exfil.test", m);
	snprintf(name6, sizeof(name6), "x.%s.exfil6.test", m);
	CHECK(dig(SINKS_DNS_V4, false, name, "A", false, out, sizeof(out)) == 0 &&
		  strstr(out, "status: NXDOMAIN"),
	      "dig udp: %s", out);
	CHECK(dig(SINKS_DNS_V6, true, name6, "AAAA", false, out, sizeof(out)) == 0 &&
		  strstr(out, "status: NXDOMAIN"),
	      "dig +tcp v6: %s", out);
	CHECK(dig(SINKS_DNS_V4, false, "allowed.test", "A", true, out, sizeof(out)) == 0 &&
		  !strcmp(out, "203.0.113.80\n"),
	      "allowed.test A: '%s'", out);
	CHECK(dig(SINKS_DNS_V4, true, "Allowed.Test", "A", true, out, sizeof(out)) == 0 &&
		  !strcmp(out, "203.0.113.80\n"),
	      "allowed.test A over TCP: '%s'", out);
	CHECK(dig(SINKS_DNS_V6, false, "allowed.test", "AAAA", false, out, sizeof(out)) == 0 &&
		  strstr(out, "status: NOERROR") && strstr(out, "ANSWER: 0"),
	      "allowed.test AAAA: %s", out);
	CHECK(dig(SINKS_DNS_V4, false, "rebind.test", "A", true, out, sizeof(out)) == 0 &&
		  !strcmp(out, "127.0.0.1\n"),
	      "rebind.test: '%s'", out);
	CHECK(echo_through_upstream(payload) == 0, "echo through the allowed upstream");

	CHECK(sinks_stop(s, &e) == 0, "stop");
	CHECK(sinks_saw_marker(s), "saw marker");
	ev = sinks_evidence(s);
	check_sinks(ev, true, &sctp, &lite);
	CHECK(jtrue(ev, "ok") && jtrue(ev, "marker_seen"), "evidence ok and marker_seen");
	q = query(ev, name, "udp");
	CHECK(q && jtrue(q, "marker_seen") &&
		  !strcmp(json_string_value(json_object_get(q, "rcode")), "NXDOMAIN") &&
		  !strcmp(json_string_value(json_object_get(q, "server")), SINKS_DNS_V4),
	      "query over udp recorded");
	q = query(ev, name6, "tcp");
	CHECK(q && jtrue(q, "marker_seen") &&
		  !strcmp(json_string_value(json_object_get(q, "type")), "AAAA") &&
		  !strcmp(json_string_value(json_object_get(q, "server")), SINKS_DNS_V6),
	      "query over tcp recorded");
	q = query(ev, "allowed.test", "tcp");
	CHECK(q && !jtrue(q, "marker_seen") &&
		  !strcmp(json_string_value(json_object_get(q, "rcode")), "NOERROR"),
	      "allowed.test recorded, case folded");
	CHECK(jtrue(json_object_get(ev, "dns"), "marker_seen"), "dns marker_seen");
	w = find(json_object_get(json_object_get(ev, "allowed_upstream"), "witnesses"), "tcp",
		 SINKS_ALLOWED_V4, 443);
	CHECK(w && jtrue(w, "marker_seen") && jint(w, "connections") == 1, "upstream witness");
	if (getenv("SINKS_LAB_DUMP")) {
		char *txt = json_dumps(ev, JSON_INDENT(2));
		printf("%s\n", txt);
		free(txt);
	}
	json_decref(ev);
	sinks_free(s);
}

static void test_negative_control(void)
{
	char m[27], stale[27], payload[128], name[128], out[4096];
	bool sctp = false, lite = false;
	struct sinks *s;
	struct perr e;
	json_t *ev;

	util_marker(m);
	util_marker(stale); /* another cell's marker is not this cell's escape */
	s = start(m, 0);
	CHECK(s != NULL, "start");
	if (!s)
		return;
	kernel_has(s, &sctp, &lite);
	snprintf(payload, sizeof(payload), "no marker here, only %s\n", stale);
	spray(payload, sctp, lite);
	snprintf(name, sizeof(name), "%s.exfil.test", stale);
	dig(SINKS_DNS_V4, false, name, "A", false, out, sizeof(out));
	dig(SINKS_DNS_V6, true, "nothing.exfil.test", "TXT", false, out, sizeof(out));
	CHECK(sinks_stop(s, &e) == 0, "stop");
	CHECK(!sinks_saw_marker(s), "no marker");
	ev = sinks_evidence(s);
	check_sinks(ev, false, &sctp, &lite);
	CHECK(!jtrue(ev, "marker_seen") && !jtrue(json_object_get(ev, "dns"), "marker_seen") &&
		  json_array_size(json_object_get(json_object_get(ev, "dns"), "queries")) == 2,
	      "negative dns");
	json_decref(ev);
	sinks_free(s);
}

struct acc_peer {
	int ready[2];
	const char *marker;
};

/* The "sandboxed" side, in the netns: TCP 10.88.0.2:4444 and [fd00:88::2]:4444
 * answer the greeting with the marker; UDP 10.88.0.2:4445 too; TCP 4447
 * accepts and stays silent. */
static void acc_listeners(const char *marker, int ready)
{
	struct sockaddr_storage ss;
	int t4 = socket(AF_INET, SOCK_STREAM, 0), t6 = socket(AF_INET6, SOCK_STREAM, 0);
	int u4 = socket(AF_INET, SOCK_DGRAM, 0), q4 = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1, served = 0, sl;
	char out[64], buf[256];

	setsockopt(t6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	sl = addr_of("10.88.0.2", 4444, &ss);
	bind(t4, (struct sockaddr *)&ss, (socklen_t)sl);
	sl = addr_of("fd00:88::2", 4444, &ss);
	bind(t6, (struct sockaddr *)&ss, (socklen_t)sl);
	sl = addr_of("10.88.0.2", 4445, &ss);
	bind(u4, (struct sockaddr *)&ss, (socklen_t)sl);
	sl = addr_of("10.88.0.2", 4447, &ss);
	bind(q4, (struct sockaddr *)&ss, (socklen_t)sl);
	listen(t4, 4);
	listen(t6, 4);
	listen(q4, 4);
	snprintf(out, sizeof(out), "here it is: %s\n", marker);
	(void)!write(ready, "r", 1);
	while (served < 4) {
		struct pollfd p[4] = {
		    {t4, POLLIN, 0}, {t6, POLLIN, 0}, {u4, POLLIN, 0}, {q4, POLLIN, 0}};

		if (poll(p, 4, 5000) <= 0)
			_exit(2);
		for (int i = 0; i < 2; i++) {
			if (p[i].revents & POLLIN) {
				int c = accept(p[i].fd, NULL, NULL);
				ssize_t n = read(c, buf, sizeof(buf));

				if (n <= 0 || strncmp(buf, "parity-accomplice hello", 23))
					_exit(3);
				util_write_all(c, out, strlen(out));
				close(c);
				served++;
			}
		}
		if (p[2].revents & POLLIN) {
			socklen_t l = sizeof(ss);
			ssize_t n = recvfrom(u4, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &l);

			if (n > 0)
				sendto(u4, out, strlen(out), 0, (struct sockaddr *)&ss, l);
			served++;
		}
		if (p[3].revents & POLLIN) {
			int c = accept(q4, NULL, NULL);

			(void)c; /* keep it open and silent until we exit */
			served++;
		}
	}
	usleep(600 * 1000); /* the silent one must time out on the accomplice side */
	_exit(0);
}

static void test_accomplice(void)
{
	char m[27];
	struct sinks *s;
	struct perr e;
	json_t *ev, *a, *r;
	int ready[2];
	pid_t p;
	char c;
	size_t i;

	util_marker(m);
	s = start(m, -1);
	CHECK(s != NULL, "start");
	if (!s)
		return;
	if (pipe2(ready, O_CLOEXEC) < 0)
		return;
	p = in_wan();
	if (p == 0)
		acc_listeners(m, ready[1]);
	close(ready[1]);
	CHECK(read(ready[0], &c, 1) == 1, "listeners ready");
	close(ready[0]);
	CHECK(!sinks_saw_marker(s), "nothing yet");
	CHECK(sinks_accomplice_connect(s, IPPROTO_TCP, "10.88.0.2", 4444, &e) == 0, "tcp v4");
	CHECK(sinks_accomplice_connect(s, IPPROTO_TCP, "fd00:88::2", 4444, &e) == 0, "tcp v6");
	CHECK(sinks_accomplice_connect(s, IPPROTO_UDP, "10.88.0.2", 4445, &e) == 0, "udp");
	CHECK(sinks_accomplice_connect(s, IPPROTO_TCP, "10.88.0.2", 4446, &e) == 0, "refused");
	CHECK(sinks_accomplice_connect(s, IPPROTO_TCP, "10.88.0.2", 4447, &e) == 0, "silent");
	CHECK(sinks_accomplice_connect(s, IPPROTO_SCTP, "10.88.0.2", 4447, &e) < 0, "bad proto");
	CHECK(wait_ok(p) == 0, "listener child");
	CHECK(sinks_saw_marker(s), "accomplice saw the marker");
	CHECK(sinks_stop(s, &e) == 0, "stop");
	ev = sinks_evidence(s);
	a = json_object_get(ev, "accomplice");
	CHECK(json_array_size(a) == 5, "five records");
	json_array_foreach (a, i, r) {
		bool want = i < 3;

		CHECK(jtrue(r, "marker_seen") == want, "record %zu marker", i);
		CHECK(jtrue(r, "connected") == (i != 3), "record %zu connected", i);
	}
	r = json_array_get(a, 3);
	CHECK(!strcmp(json_string_value(json_object_get(r, "error")), "connect: ECONNREFUSED"),
	      "refused error");
	r = json_array_get(a, 4);
	CHECK(jtrue(r, "timed_out") && jint(r, "bytes") == 0, "silent peer timed out");
	r = json_array_get(json_object_get(ev, "seen_by"), 0);
	CHECK(r && !strncmp(json_string_value(r), "accomplice tcp 10.88.0.2:4444", 29), "seen_by");
	json_decref(ev);
	sinks_free(s);
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void test_cost(void)
{
	enum { N = 300 };
	static double t[N], ts[N], tp[N];
	struct perr e;
	int fds = count_dir("/proc/self/fd"), tasks = count_dir("/proc/self/task");
	struct rusage r0, r1;
	double cpu;

	getrusage(RUSAGE_SELF, &r0);
	for (int i = 0; i < N; i++) {
		char m[27];
		double t0, t1;
		struct sinks *s;

		util_marker(m);
		t0 = util_now_ms();
		s = start(m, -1);
		t1 = util_now_ms();
		if (!s)
			break;
		sinks_stop(s, &e);
		t[i] = util_now_ms() - t0;
		ts[i] = t1 - t0;
		tp[i] = t[i] - ts[i];
		sinks_free(s);
	}
	getrusage(RUSAGE_SELF, &r1);
	cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec -
		       r0.ru_stime.tv_sec) *
		  1e3 +
	      (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec -
		       r0.ru_stime.tv_usec) /
		  1e3;
	qsort(t, N, sizeof(double), cmp);
	qsort(ts, N, sizeof(double), cmp);
	qsort(tp, N, sizeof(double), cmp);
	printf("# start+stop (no settle), %d cycles: median %.3f ms, p90 %.3f, max %.3f "
	       "(start median %.3f, stop median %.3f)\n",
	       N, t[N / 2], t[N * 9 / 10], t[N - 1], ts[N / 2], tp[N / 2]);
	printf("# CPU per cycle (all threads): %.3f ms\n", cpu / N);
	CHECK(t[N / 2] < 3.0, "median start+stop %.3f ms >= 3 ms", t[N / 2]);
	{
		char m[27];
		struct sinks *s;
		double t0;

		util_marker(m);
		s = start(m, 0);
		t0 = util_now_ms();
		sinks_stop(s, &e);
		printf("# stop with the default settle (20 ms idle): %.3f ms\n",
		       util_now_ms() - t0);
		sinks_free(s);
	}
	CHECK(count_dir("/proc/self/fd") == fds, "fd leak");
	CHECK(count_dir("/proc/self/task") == tasks, "thread leak");
}

int main(void)
{
	pthread_t t;
	int err = -1;

	if (geteuid() != 0) {
		printf("# skip: needs root\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	pthread_create(&t, NULL, make_netns, &err);
	pthread_join(t, NULL);
	if (err < 0) {
		fprintf(stderr, "cannot make the test netns\n");
		return 1;
	}
	test_escapes_seen();
	test_negative_control();
	test_accomplice();
	test_cost();
	close(wan_fd);
	printf("%s (%d failures)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
