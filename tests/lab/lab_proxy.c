/* lab_proxy.c - `parity proxy` end to end, as root, in a private network
 * namespace per case: the lab's addresses on its loopback (allowed upstream
 * 203.0.113.80, DNS 198.51.100.53), a fake DNS server recording every query,
 * an echo upstream recording every peer, and the real binary ($PARITY_BIN)
 * with the shipped lab policy.
 *
 *   lab_proxy CASE     relay | denied | internal | oversized | concurrent |
 *                      halfclose
 * Exit 0 pass, 1 fail, 77 skip (not root / no netns).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../unit/fake_dns.h"
#include "enforcer/netaddr.h"
#include "util.h"

#define PROXY_PORT 3128
#define UPSTREAM "203.0.113.80"
#define DNS_ADDR "198.51.100.53"

static int failures;
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fprintf(stderr, "\n");                                                     \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static char log_path[] = "/tmp/parity-lab-proxy-log-XXXXXX";
static char policy_path[] = "/tmp/parity-lab-proxy-policy-XXXXXX";
static struct fake_dns *dns;
static pid_t proxy_pid = -1;

/* ---- the namespace ---------------------------------------------------- */

static int add_addr(struct nl_sock *sk, const char *cidr, int family)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = NULL;
	int rc = -1;

	if (a && nl_addr_parse(cidr, family, &local) == 0) {
		rtnl_addr_set_ifindex(a, 1);
		rtnl_addr_set_local(a, local);
		rc = rtnl_addr_add(sk, a, 0);
	}
	if (local)
		nl_addr_put(local);
	if (a)
		rtnl_addr_put(a);
	return rc;
}

static int setup_netns(void)
{
	struct nl_sock *sk;
	struct rtnl_link *lo = NULL, *up = rtnl_link_alloc();
	int rc = -1;

	if (unshare(CLONE_NEWNET) != 0) {
		perror("unshare(CLONE_NEWNET)");
		return -1;
	}
	sk = nl_socket_alloc();
	if (sk && nl_connect(sk, NETLINK_ROUTE) == 0 &&
	    rtnl_link_get_kernel(sk, 1, NULL, &lo) == 0) {
		rtnl_link_set_flags(up, IFF_UP);
		if (rtnl_link_change(sk, lo, up, 0) == 0 &&
		    add_addr(sk, UPSTREAM "/32", AF_INET) == 0 &&
		    add_addr(sk, DNS_ADDR "/32", AF_INET) == 0)
			rc = 0;
	}
	if (lo)
		rtnl_link_put(lo);
	rtnl_link_put(up);
	if (sk)
		nl_socket_free(sk);
	if (rc)
		fprintf(stderr, "lab_proxy: could not set up loopback addresses\n");
	return rc;
}

/* ---- the echo upstream ------------------------------------------------- */

struct peer {
	char addr[NETADDR_STRLEN];
	uint16_t port;
};
static struct peer peers[256];
static size_t n_peers;
static pthread_mutex_t peers_lock = PTHREAD_MUTEX_INITIALIZER;

static void *echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (util_write_all(fd, buf, (size_t)n) != 0)
			break;
	/* Half-close: the client's FIN came through; send ours. */
	shutdown(fd, SHUT_WR);
	close(fd);
	return NULL;
}

static void *echo_server(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		pthread_t t;
		struct netaddr a;
		uint16_t port;
		if (fd < 0)
			continue;
		netaddr_from_sockaddr((struct sockaddr *)&ss, &a, &port);
		pthread_mutex_lock(&peers_lock);
		if (n_peers < 256) {
			netaddr_str(&a, peers[n_peers].addr, NETADDR_STRLEN);
			peers[n_peers++].port = port;
		}
		pthread_mutex_unlock(&peers_lock);
		pthread_create(&t, NULL, echo_conn, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
	return NULL;
}

static bool echo_saw(const char *addr, uint16_t port)
{
	bool found = false;

	pthread_mutex_lock(&peers_lock);
	for (size_t i = 0; i < n_peers; i++)
		found |= strcmp(peers[i].addr, addr) == 0 && peers[i].port == port;
	pthread_mutex_unlock(&peers_lock);
	return found;
}

/* An upstream on UPSTREAM:port, served by `serve` (given the listening
 * fd) in a thread of its own. */
static int start_upstream(uint16_t port, void *(*serve)(void *))
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pthread_t t;

	inet_pton(AF_INET, UPSTREAM, &sin.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 512) != 0)
		return -1;
	return pthread_create(&t, NULL, serve, (void *)(intptr_t)fd);
}

/* ---- the proxy --------------------------------------------------------- */

static const char *proxy_extra[4]; /* more arguments for the next start */

static int start_proxy(const char *policy)
{
	const char *bin = getenv("PARITY_BIN");
	char listen_arg[32];

	if (!bin) {
		fprintf(stderr, "lab_proxy: PARITY_BIN is not set\n");
		return -1;
	}
	snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%d", PROXY_PORT);
	proxy_pid = fork();
	if (proxy_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(bin, bin, "proxy", "--listen", listen_arg, "--policy", policy, "--log",
		      log_path, proxy_extra[0], proxy_extra[1], proxy_extra[2], (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		struct sockaddr_in sin = {.sin_family = AF_INET,
					  .sin_port = htons(PROXY_PORT),
					  .sin_addr.s_addr = htonl(0x7f000001)};
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		close(fd);
		if (ok)
			return 0;
		usleep(10000);
	}
	fprintf(stderr, "lab_proxy: the proxy did not start listening\n");
	return -1;
}

static int dial_proxy(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(PROXY_PORT),
				  .sin_addr.s_addr = htonl(0x7f000001)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read the response head (up to the blank line) byte by byte, so nothing
 * of the tunnel's data is consumed. */
static int read_head(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 5000) <= 0 || read(fd, buf + n, 1) != 1)
			break;
		n++;
		buf[n] = 0;
		if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
			return 0;
	}
	buf[n] = 0;
	return -1;
}

static size_t read_rest(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 5000) <= 0)
			break;
		ssize_t r = read(fd, buf + n, len - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	return n;
}

static void endpoint(int fd, bool peer, char *addr, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct netaddr a;

	if (peer)
		getpeername(fd, (struct sockaddr *)&ss, &sl);
	else
		getsockname(fd, (struct sockaddr *)&ss, &sl);
	netaddr_from_sockaddr((struct sockaddr *)&ss, &a, port);
	netaddr_str(&a, addr, NETADDR_STRLEN);
}

/* Every log line, parsed. */
static json_t *read_log(void)
{
	FILE *f = fopen(log_path, "r");
	json_t *arr = json_array();
	char line[8192];

	while (f && fgets(line, sizeof(line), f)) {
		json_t *o = json_loads(line, 0, NULL);
		CHECK(o != NULL, "log line is not JSON: %s", line);
		if (o)
			json_array_append_new(arr, o);
	}
	if (f)
		fclose(f);
	return arr;
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : "";
}

static long long num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* ---- cases ------------------------------------------------------------- */

struct pushed {
	int fd;
	const unsigned char *data;
	size_t len;
};

static void *push(void *arg)
{
	struct pushed *p = arg;

	util_write_all(p->fd, p->data, p->len);
	/* Our FIN goes through the tunnel; the echo answers with its own. */
	shutdown(p->fd, SHUT_WR);
	return NULL;
}

struct tunnel {
	char caddr[NETADDR_STRLEN];
	uint16_t cport;
	size_t sent;
	bool ok;
};

/* CONNECT allowed.test:443 with early data, push n random bytes, expect
 * them echoed, then EOF after our half-close. */
static void tunnel_roundtrip(size_t n, struct tunnel *t)
{
	static const char req[] = "CONNECT allowed.test:443 HTTP/1.1\r\nHost: allowed.test:443\r\n"
				  "\r\nearly";
	unsigned char *data = malloc(n), *back = malloc(n + 5);
	char head[512];
	int fd = dial_proxy();
	size_t got = 0;
	pthread_t th;

	t->ok = false;
	if (fd < 0 || !data || !back)
		goto out;
	endpoint(fd, false, t->caddr, &t->cport);
	util_random(data, n);
	util_write_all(fd, req, sizeof(req) - 1);
	if (read_head(fd, head, sizeof(head)) != 0 ||
	    strcmp(head, "HTTP/1.1 200 Connection Established\r\n\r\n") != 0) {
		fprintf(stderr, "unexpected response head: %s\n", head);
		goto out;
	}
	struct pushed p = {fd, data, n};
	pthread_create(&th, NULL, push, &p);
	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 10000) <= 0)
			break;
		ssize_t r = read(fd, back + got, n + 5 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	pthread_join(th, NULL);
	t->sent = n + 5;
	t->ok = got == n + 5 && memcmp(back, "early", 5) == 0 && memcmp(back + 5, data, n) == 0;
	if (!t->ok)
		fprintf(stderr, "tunnel: echoed %zu of %zu bytes (or they differ)\n", got, n + 5);
out:
	if (fd >= 0)
		close(fd);
	free(data);
	free(back);
}

static int case_relay(void)
{
	struct tunnel t;
	json_t *log, *o;
	size_t i;
	bool connect_seen = false, close_seen = false;
	int dns_seen = 0;

	fake_dns_add(dns, "allowed.test", UPSTREAM);
	if (start_proxy(PARITY_SOURCE_ROOT "/enforcer/policies/lab.json") != 0)
		return 1;
	tunnel_roundtrip(8 << 20, &t);
	CHECK(t.ok, "8 MiB did not come back intact through the tunnel");
	usleep(300000); /* the close line follows the teardown */
	log = read_log();
	json_array_foreach (log, i, o) {
		const char *kind = str(o, "kind");
		if (strcmp(kind, "dns") == 0 && strcmp(str(o, "qname"), "allowed.test") == 0) {
			dns_seen++;
			CHECK(fake_dns_saw(dns, "allowed.test", str(o, "local_addr"),
					   (uint16_t)num(o, "local_port")),
			      "dns line's source %s:%lld is not what the server saw",
			      str(o, "local_addr"), num(o, "local_port"));
			CHECK(strcmp(str(o, "remote_addr"), DNS_ADDR) == 0 &&
				  num(o, "remote_port") == 53,
			      "dns line's server is %s:%lld", str(o, "remote_addr"),
			      num(o, "remote_port"));
		}
		if (strcmp(kind, "connect") == 0 && strcmp(str(o, "decision"), "allowed") == 0) {
			connect_seen = true;
			CHECK(strcmp(str(o, "client_addr"), t.caddr) == 0 &&
				  num(o, "client_port") == t.cport,
			      "client %s:%lld, the client was %s:%u", str(o, "client_addr"),
			      num(o, "client_port"), t.caddr, t.cport);
			CHECK(echo_saw(str(o, "local_addr"), (uint16_t)num(o, "local_port")),
			      "upstream source %s:%lld is not what the upstream saw",
			      str(o, "local_addr"), num(o, "local_port"));
			CHECK(strcmp(str(o, "remote_addr"), UPSTREAM) == 0 &&
				  num(o, "remote_port") == 443,
			      "upstream %s:%lld", str(o, "remote_addr"), num(o, "remote_port"));
			CHECK(strcmp(str(o, "host"), "allowed.test") == 0 && num(o, "port") == 443,
			      "host %s", str(o, "host"));
		}
		if (strcmp(kind, "close") == 0) {
			close_seen = true;
			CHECK(num(o, "bytes_up") == (long long)t.sent &&
				  num(o, "bytes_down") == (long long)t.sent,
			      "bytes up %lld down %lld, sent %zu", num(o, "bytes_up"),
			      num(o, "bytes_down"), t.sent);
			CHECK(echo_saw(str(o, "local_addr"), (uint16_t)num(o, "local_port")),
			      "close line 5-tuple");
		}
	}
	CHECK(dns_seen == 2, "%d dns lines for allowed.test (want A and AAAA)", dns_seen);
	CHECK(connect_seen, "no connect line");
	CHECK(close_seen, "no close line");
	json_decref(log);
	return 0;
}

/* ---- half-closed tunnels and pipe budget -------------------------------- */

/* An upstream that accepts and never reads, writes or closes. */
static void *silent_server(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;)
		(void)accept4(lfd, NULL, NULL, SOCK_CLOEXEC); /* kept open, unread */
	return NULL;
}

/* A tunnel to allowed.test:PORT, its 200 read; -1 if not. */
static int open_tunnel(uint16_t port)
{
	char req[160], head[256];
	int fd = dial_proxy();

	snprintf(req, sizeof(req), "CONNECT allowed.test:%u HTTP/1.1\r\n\r\n", port);
	if (fd < 0 || util_write_all(fd, req, strlen(req)) != 0 ||
	    read_head(fd, head, sizeof(head)) != 0 || strncmp(head, "HTTP/1.1 200", 12) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int count_close_lines(void)
{
	json_t *log = read_log(), *o;
	size_t i;
	int n = 0;

	json_array_foreach (log, i, o)
		n += strcmp(str(o, "kind"), "close") == 0;
	json_decref(log);
	return n;
}

/* Wait up to ms for `want` close lines; how long it took, -1 if never. */
static long wait_closes(int want, long ms)
{
	uint64_t t0 = util_now_ns();

	for (;;) {
		long el = (long)((util_now_ns() - t0) / 1000000u);
		if (count_close_lines() >= want)
			return el;
		if (el > ms)
			return -1;
		usleep(20000);
	}
}

/* Pipes of the proxy (through /proc/PID/fd; each pipe once, though both
 * its ends are open there) and how many have `size`. */
static void proxy_pipes(long size, int *total, int *of_size)
{
	char dir[64], path[96], target[64], seen[512][24];
	int nseen = 0;
	struct dirent *de;
	DIR *d;

	*total = *of_size = 0;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)proxy_pid);
	if (!(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		ssize_t n;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (strncmp(target, "pipe:", 5) != 0)
			continue;
		bool dup = false;
		for (int i = 0; i < nseen && !dup; i++)
			dup = strcmp(seen[i], target) == 0;
		if (dup || nseen == 512)
			continue;
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", target);
		int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		(*total)++;
		*of_size += fcntl(fd, F_GETPIPE_SZ) == size;
		close(fd);
	}
	closedir(d);
}

static int case_halfclose(void)
{
	FILE *f = fopen(policy_path, "w");
	struct linger rst = {.l_onoff = 1, .l_linger = 0};
	int fds[70], n = 0, big = 0, pipes = 0, fd;
	long el;

	fake_dns_add(dns, "allowed.test", UPSTREAM);
	if (!f || start_upstream(8443, silent_server) != 0)
		return 1;
	fprintf(f,
		"{\"version\":1,\"resolver\":\"" DNS_ADDR ":53\",\"allow\":[{\"host\":"
		"\"allowed.test\",\"ports\":[443,8443],\"allowed_ips\":[\"203.0.113.0/24\"]}]}\n");
	fclose(f);
	proxy_extra[0] = "--half-closed-idle";
	proxy_extra[1] = "2";
	if (start_proxy(policy_path) != 0)
		return 1;

	/* Half-close, then a reset, to an upstream that never answers: the
	 * reset is the end of the tunnel (it lived as long as the upstream). */
	fd = open_tunnel(8443);
	CHECK(fd >= 0, "no tunnel to the silent upstream");
	if (fd >= 0) {
		shutdown(fd, SHUT_WR);
		usleep(100000);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
		close(fd);
	}
	el = wait_closes(1, 1500);
	CHECK(el >= 0 && el < 1500,
	      "half-close then reset: tunnel closed after %ld ms (want "
	      "< 1500, before the 2 s idle bound)",
	      el);

	/* Half-close, then a plain close: indistinguishable from a half-close
	 * that waits for its answer; the idle bound (2 s here) ends it. */
	fd = open_tunnel(8443);
	CHECK(fd >= 0, "no second tunnel");
	if (fd >= 0) {
		shutdown(fd, SHUT_WR);
		close(fd);
	}
	el = wait_closes(2, 5000);
	CHECK(el >= 1000 && el <= 4500,
	      "half-close then close: tunnel closed after %ld ms (want "
	      "the 2 s idle bound)",
	      el);

	/* The pipe budget: 66 tunnels at once, the first 64 with 1 MiB pipes
	 * (two each), the others with 16 KiB. */
	for (n = 0; n < 66; n++)
		if ((fds[n] = open_tunnel(443)) < 0)
			break;
	CHECK(n == 66, "%d tunnels opened of 66", n);
	proxy_pipes(1 << 20, &pipes, &big);
	CHECK(big == 128,
	      "%d of the proxy's %d pipes are 1 MiB (want 128: 64 tunnels, two "
	      "each)",
	      big, pipes);
	{
		int small = 0, all = 0;
		proxy_pipes(16 << 10, &all, &small);
		CHECK(small == 2 * (n - 64), "%d pipes of 16 KiB (want %d)", small, 2 * (n - 64));
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

static int expect_denial(const char *req, const char *status_line, const char *want_body)
{
	char head[1024], body[2048];
	int fd = dial_proxy();

	if (fd < 0)
		return -1;
	util_write_all(fd, req, strlen(req));
	CHECK(read_head(fd, head, sizeof(head)) == 0, "no response head for %s", req);
	read_rest(fd, body, sizeof(body));
	close(fd);
	CHECK(strncmp(head, status_line, strlen(status_line)) == 0, "head: %s", head);
	CHECK(strstr(head, "\r\nContent-Type: application/json\r\n") != NULL, "head: %s", head);
	CHECK(strstr(head, "\r\nConnection: close\r\n") != NULL, "head: %s", head);
	if (want_body)
		CHECK(strcmp(body, want_body) == 0, "body %s, want %s", body, want_body);
	return 0;
}

static int case_denied(void)
{
	char marker[27], req[256], want[256];

	util_marker(marker);
	fake_dns_add(dns, "allowed.test", UPSTREAM);
	if (start_proxy(PARITY_SOURCE_ROOT "/enforcer/policies/lab.json") != 0)
		return 1;
	snprintf(req, sizeof(req), "CONNECT %s.exfil.test:443 HTTP/1.1\r\n\r\n", marker);
	snprintf(want, sizeof(want),
		 "{\"error\":\"policy_denied\",\"detail\":\"CONNECT %s.exfil.test:443 not "
		 "permitted by policy\"}",
		 marker);
	expect_denial(req, "HTTP/1.1 403 Forbidden\r\n", want);
	/* Allowed name, wrong port; look-alike names. */
	expect_denial("CONNECT allowed.test:80 HTTP/1.1\r\n\r\n", "HTTP/1.1 403 ", NULL);
	snprintf(req, sizeof(req), "CONNECT %s.allowed.test:443 HTTP/1.1\r\n\r\n", marker);
	expect_denial(req, "HTTP/1.1 403 ", NULL);
	snprintf(req, sizeof(req), "CONNECT allowed.test.%s.test:443 HTTP/1.1\r\n\r\n", marker);
	expect_denial(req, "HTTP/1.1 403 ", NULL);
	usleep(200000);
	CHECK(fake_dns_count(dns, marker) == 0, "the DNS server was asked for the denied marker");
	CHECK(fake_dns_count(dns, "") == 0, "%zu DNS queries for denied requests",
	      fake_dns_count(dns, ""));
	/* Positive control: the same server does get queries for allowed names. */
	struct tunnel t;
	tunnel_roundtrip(1024, &t);
	CHECK(t.ok, "control tunnel failed");
	CHECK(fake_dns_count(dns, "allowed.test") >= 1, "control: no query for allowed.test");
	return 0;
}

static int case_internal(void)
{
	FILE *f = fopen(policy_path, "w");

	fprintf(f,
		"{\"version\":1,\"resolver\":\"%s:53\",\"allow\":["
		"{\"host\":\"loopy.test\",\"ports\":[443]},"
		"{\"host\":\"sneaky.test\",\"ports\":[443],\"allowed_ips\":[\"203.0.113.0/24\"]}]}",
		DNS_ADDR);
	fclose(f);
	fake_dns_add(dns, "loopy.test", "127.0.0.1");
	fake_dns_add(dns, "sneaky.test", UPSTREAM);
	fake_dns_add(dns, "sneaky.test", "::1");
	if (start_proxy(policy_path) != 0)
		return 1;
	expect_denial("CONNECT loopy.test:443 HTTP/1.1\r\n\r\n", "HTTP/1.1 403 Forbidden\r\n",
		      "{\"error\":\"policy_denied\",\"detail\":\"CONNECT loopy.test:443 blocked: "
		      "internal address\"}");
	/* One loopback answer among allowed ones refuses the whole name. */
	expect_denial("CONNECT sneaky.test:443 HTTP/1.1\r\n\r\n", "HTTP/1.1 403 Forbidden\r\n",
		      "{\"error\":\"policy_denied\",\"detail\":\"CONNECT sneaky.test:443 blocked: "
		      "internal address\"}");
	CHECK(fake_dns_count(dns, "loopy.test") >= 1, "the allowed name was not resolved");
	CHECK(n_peers == 0, "the upstream got %zu connections", n_peers);
	return 0;
}

static int case_oversized(void)
{
	char *req = malloc(20000);
	size_t n = (size_t)snprintf(req, 100, "CONNECT allowed.test:443 HTTP/1.1\r\nX-Pad: ");

	if (start_proxy(PARITY_SOURCE_ROOT "/enforcer/policies/lab.json") != 0)
		return 1;
	memset(req + n, 'p', 19990 - n);
	memcpy(req + 19990, "\r\n\r\n", 5);
	expect_denial(req, "HTTP/1.1 431 Request Header Fields Too Large\r\n", NULL);
	expect_denial("CONNECT allowed.test HTTP/1.1\r\n\r\n", "HTTP/1.1 400 ", NULL);
	expect_denial("GET http://allowed.test/ HTTP/1.1\r\n\r\n", "HTTP/1.1 405 ", NULL);
	CHECK(fake_dns_count(dns, "") == 0, "malformed requests caused DNS queries");
	free(req);
	return 0;
}

#define N_CONCURRENT 64

static void *concurrent_one(void *arg)
{
	tunnel_roundtrip(512 << 10, arg);
	return NULL;
}

static int case_concurrent(void)
{
	pthread_t th[N_CONCURRENT];
	struct tunnel t[N_CONCURRENT];
	int ok = 0, closes = 0;
	json_t *log, *o;
	size_t i;

	fake_dns_add(dns, "allowed.test", UPSTREAM);
	if (start_proxy(PARITY_SOURCE_ROOT "/enforcer/policies/lab.json") != 0)
		return 1;
	for (int k = 0; k < N_CONCURRENT; k++)
		pthread_create(&th[k], NULL, concurrent_one, &t[k]);
	for (int k = 0; k < N_CONCURRENT; k++) {
		pthread_join(th[k], NULL);
		ok += t[k].ok;
	}
	CHECK(ok == N_CONCURRENT, "%d of %d tunnels intact", ok, N_CONCURRENT);
	usleep(300000);
	log = read_log();
	json_array_foreach (log, i, o) {
		if (strcmp(str(o, "kind"), "close") == 0) {
			closes++;
			CHECK(echo_saw(str(o, "local_addr"), (uint16_t)num(o, "local_port")),
			      "close line 5-tuple");
		}
	}
	CHECK(closes == N_CONCURRENT, "%d close lines", closes);
	json_decref(log);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} cases[] = {{"relay", case_relay},	      {"denied", case_denied},
		     {"internal", case_internal},     {"oversized", case_oversized},
		     {"concurrent", case_concurrent}, {"halfclose", case_halfclose}};
	int (*fn)(void) = NULL;
	bool timed_out;
	int st, lfd, pfd;
	pid_t child;

	for (size_t i = 0; argc == 2 && i < ARRAY_SIZE(cases); i++)
		if (strcmp(argv[1], cases[i].name) == 0)
			fn = cases[i].fn;
	if (!fn) {
		fprintf(stderr,
			"usage: lab_proxy relay|denied|internal|oversized|concurrent|halfclose\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "lab_proxy: needs root (network namespaces)\n");
		return 77;
	}
	lfd = mkstemp(log_path);
	pfd = mkstemp(policy_path);
	if (lfd < 0 || pfd < 0)
		return 1;
	close(lfd);
	close(pfd);
	/* The case runs in a child in its own anonymous network namespace;
	 * the namespace and everything in it go when the child exits. */
	child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGPIPE, SIG_IGN);
		if (setup_netns() != 0)
			_exit(77);
		dns = fake_dns_start(DNS_ADDR, 53);
		if (!dns || start_upstream(443, echo_server) != 0) {
			fprintf(stderr, "lab_proxy: cannot start the lab's servers\n");
			_exit(1);
		}
		int rc = fn();
		if (proxy_pid > 0) {
			kill(proxy_pid, SIGKILL);
			waitpid(proxy_pid, NULL, 0);
		}
		fake_dns_stop(dns);
		_exit(rc || failures ? 1 : 0);
	}
	st = util_wait_timeout(child, 90000, &timed_out);
	if (failures == 0 && (timed_out || st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
		FILE *f = fopen(log_path, "r");
		char line[4096];
		fprintf(stderr, "lab_proxy %s: %s; proxy log:\n", argv[1],
			timed_out ? "timed out" : "failed");
		while (f && fgets(line, sizeof(line), f))
			fputs(line, stderr);
		if (f)
			fclose(f);
	}
	unlink(log_path);
	unlink(policy_path);
	if (timed_out)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
