/* test_proxy_loop.c - the proxy's event loop end to end on loopback, no
 * root: denials, the DNS-leak rule, internal answers, limits, timeouts,
 * dial failures and many clients at once. (The relay needs a non-loopback
 * upstream address, so it is tested in the lab suite.) */
#include <arpa/inet.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enforcer/policy.h"
#include "enforcer/proxy.h"
#include "enforcer/proxy_request.h"
#include "fake_dns.h"
#include "unit.h"
#include "util.h"

static struct fake_dns *dns;
static pid_t proxy_pid;
static uint16_t proxy_port;
static char log_path[] = "/tmp/parity-proxy-unit-XXXXXX";

static int start(void)
{
	char text[1024];
	struct policy p;
	struct perr e;
	int lfd, logfd;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	dns = fake_dns_start("127.0.0.1", 0);
	if (!dns)
		return -1;
	fake_dns_add(dns, "loopy.test", "127.0.0.1");
	fake_dns_add(dns, "mapped.test", "::ffff:10.0.0.1");
	fake_dns_add(dns, "nat64.test", "64:ff9b::a00:1");
	fake_dns_silent(dns, "slow.test");
	snprintf(text, sizeof(text),
		 "{\"version\":1,\"resolver\":\"127.0.0.1:%u\",\"allow\":["
		 "{\"host\":\"loopy.test\",\"ports\":[443]},"
		 "{\"host\":\"mapped.test\",\"ports\":[443]},"
		 "{\"host\":\"nat64.test\",\"ports\":[443]},"
		 "{\"host\":\"slow.test\",\"ports\":[443]},"
		 "{\"host\":\"nxd.test\",\"ports\":[443]},"
		 "{\"host\":\"192.0.2.1\",\"ports\":[9]},"
		 "{\"host\":\"lab.test\",\"ports\":[6443],\"allowed_ips\":[\"203.0.113.0/24\"]}]}",
		 fake_dns_port(dns));
	if (policy_parse(text, "unit.json", &p, &e) != 0)
		return -1;
	logfd = mkstemp(log_path);
	lfd = proxy_listen("127.0.0.1", 0, &e);
	if (logfd < 0 || lfd < 0)
		return -1;
	getsockname(lfd, (struct sockaddr *)&sin, &sl);
	proxy_port = ntohs(sin.sin_port);
	proxy_pid = fork();
	if (proxy_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a crashed test */
		struct proxy_config c = {.listen_fd = lfd,
					 .policy = &p,
					 .log_fd = logfd,
					 .header_timeout_ms = 300,
					 .resolve_timeout_ms = 400,
					 .connect_timeout_ms = 300};
		proxy_serve(&c, &e);
		_exit(3);
	}
	close(lfd);
	close(logfd);
	policy_free(&p);
	return proxy_pid > 0 ? 0 : -1;
}

static int stop(void)
{
	int st;

	kill(proxy_pid, SIGKILL);
	waitpid(proxy_pid, &st, 0);
	fake_dns_stop(dns);
	unlink(log_path);
	return 0;
}

static int dial_proxy(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(proxy_port),
				  .sin_addr.s_addr = htonl(0x7f000001)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read until EOF or timeout; NUL-terminate. */
static size_t read_all(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		ssize_t r = read(fd, buf + n, len - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	return n;
}

/* Send `req`, return the whole response in buf. */
static void exchange(const char *req, size_t len, char *buf, size_t blen)
{
	int fd = dial_proxy();

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, req, len) == (ssize_t)len);
	read_all(fd, buf, blen, 3000);
	close(fd);
}

static const char *body(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");
	return b ? b + 4 : "";
}

static bool field_is(json_t *o, const char *key, const char *value)
{
	json_t *v = json_object_get(o, key);
	return !key || (json_is_string(v) && strcmp(json_string_value(v), value) == 0);
}

/* The first log line of `kind` whose `key` is `value` (and `key2` is
 * `value2`, when given); a new reference. */
static json_t *find_line2(const char *kind, const char *key, const char *value, const char *key2,
			  const char *value2)
{
	FILE *f = fopen(log_path, "r");
	char line[4096];
	json_t *found = NULL;

	while (f && fgets(line, sizeof(line), f)) {
		json_t *o = json_loads(line, 0, NULL);
		if (!found && field_is(o, "kind", kind) && field_is(o, key, value) &&
		    field_is(o, key2, value2)) {
			found = o;
			continue;
		}
		json_decref(o);
	}
	if (f)
		fclose(f);
	return found;
}

static json_t *find_line(const char *kind, const char *key, const char *value)
{
	return find_line2(kind, key, value, NULL, NULL);
}

static void test_denied_name_never_resolved(void)
{
	char marker[27], req[256], resp[2048], want[256];
	int n;

	util_marker(marker);
	n = snprintf(req, sizeof(req), "CONNECT %s.exfil.test:443 HTTP/1.1\r\nHost: x\r\n\r\n",
		     marker);
	exchange(req, (size_t)n, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "HTTP/1.1 403 Forbidden\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "\r\nContent-Type: application/json\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "\r\nConnection: close\r\n"));
	snprintf(want, sizeof(want),
		 "{\"error\":\"policy_denied\",\"detail\":\"CONNECT %s.exfil.test:443 not "
		 "permitted by policy\"}",
		 marker);
	CU_ASSERT_STRING_EQUAL(body(resp), want);
	/* Same for an allowed name on a port the rule does not list. */
	exchange("CONNECT loopy.test:80 HTTP/1.1\r\n\r\n", 34, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "403 Forbidden"));
	usleep(100000);
	CU_ASSERT_EQUAL(fake_dns_count(dns, marker), 0);
	CU_ASSERT_EQUAL(fake_dns_count(dns, "exfil"), 0);

	char host[64];
	snprintf(host, sizeof(host), "%s.exfil.test", marker);
	json_t *o = find_line("connect", "host", host);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "decision")), "policy_denied");
	CU_ASSERT(json_is_null(json_object_get(o, "remote_addr")));
	json_decref(o);
}

static void test_internal_answer_refused(void)
{
	char resp[2048];

	exchange("CONNECT loopy.test:443 HTTP/1.1\r\n\r\n", 35, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "403 Forbidden"));
	CU_ASSERT_STRING_EQUAL(body(resp), "{\"error\":\"policy_denied\",\"detail\":\"CONNECT "
					   "loopy.test:443 blocked: internal address\"}");
	exchange("CONNECT mapped.test:443 HTTP/1.1\r\n\r\n", 36, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(body(resp), "blocked: internal address"));
	/* Behind a NAT64 translator, 64:ff9b::a00:1 is 10.0.0.1 (ours; not in
	 * the reference's table). */
	exchange("CONNECT nat64.test:443 HTTP/1.1\r\n\r\n", 35, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(body(resp), "blocked: internal address"));
	/* An IP literal is checked without any lookup. */
	exchange("CONNECT [::ffff:127.0.0.1]:443 HTTP/1.1\r\n\r\n", 44, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "403 Forbidden"));
	/* The allowed_ips path never dials the orchestration ports. */
	exchange("CONNECT 203.0.113.5:6443 HTTP/1.1\r\n\r\n", 37, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "403 Forbidden"));

	CU_ASSERT(fake_dns_count(dns, "loopy.test") >= 2); /* A and AAAA */
	json_t *o = find_line2("connect", "host", "loopy.test", "decision", "internal_address");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "decision")),
			       "internal_address");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(o, "resolved"), 0)),
			       "127.0.0.1");
	json_decref(o);
	/* Each query's logged 5-tuple is the one the server saw. */
	o = find_line("dns", "qname", "loopy.test");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT(fake_dns_saw(dns, "loopy.test",
			       json_string_value(json_object_get(o, "local_addr")),
			       (uint16_t)json_integer_value(json_object_get(o, "local_port"))));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "remote_port")), fake_dns_port(dns));
	json_decref(o);
}

static void test_resolver_failures(void)
{
	char resp[2048];

	exchange("CONNECT nxd.test:443 HTTP/1.1\r\n\r\n", 33, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "502 Bad Gateway"));
	CU_ASSERT_PTR_NOT_NULL(strstr(body(resp), "resolve_failed"));
	exchange("CONNECT slow.test:443 HTTP/1.1\r\n\r\n", 34, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "502 Bad Gateway"));
	CU_ASSERT_PTR_NOT_NULL(strstr(body(resp), "timeout"));
	/* Resent once at half the timeout, for each of A and AAAA. */
	CU_ASSERT_EQUAL(fake_dns_count(dns, "slow.test"), 4);
}

static void test_dial_failure(void)
{
	char resp[2048];

	/* An IP-literal rule allows its own address (implicit allowed_ips),
	 * but TEST-NET-1 is never routed: unreachable or timed out. */
	exchange("CONNECT 192.0.2.1:9 HTTP/1.1\r\n\r\n", 32, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "502 Bad Gateway"));
	CU_ASSERT_PTR_NOT_NULL(strstr(body(resp), "upstream_failed"));
	json_t *o = find_line("connect", "decision", "upstream_failed");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "remote_addr")), "192.0.2.1");
	CU_ASSERT_PTR_NOT_NULL(json_object_get(o, "error"));
	json_decref(o);
}

static void test_limits_and_errors(void)
{
	char *big = malloc(PROXY_MAX_HEADER + 4096);
	char resp[2048];
	size_t n = (size_t)snprintf(big, 64, "CONNECT a.test:443 HTTP/1.1\r\nX: ");

	memset(big + n, 'x', PROXY_MAX_HEADER + 4096 - n);
	exchange(big, PROXY_MAX_HEADER + 4096, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "HTTP/1.1 431 "));
	free(big);
	exchange("GET http://a.test/ HTTP/1.1\r\n\r\n", 31, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "HTTP/1.1 405 "));
	exchange("CONNECT a.test:0 HTTP/1.1\r\n\r\n", 29, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "HTTP/1.1 400 "));
	exchange("\0\0\0\0\r\n\r\n", 8, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "HTTP/1.1 400 "));
}

static void test_header_timeout(void)
{
	int fd = dial_proxy();
	char resp[1024];
	double t0 = util_now_ms();

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, "CONNECT a.te", 12) == 12);
	read_all(fd, resp, sizeof(resp), 3000);
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "HTTP/1.1 408 "));
	CU_ASSERT(util_now_ms() - t0 < 2000);
	close(fd);
}

static void test_many_clients(void)
{
	enum { N = 200 };
	int fds[N];
	char resp[2048];
	int ok = 0;

	for (int i = 0; i < N; i++) {
		fds[i] = dial_proxy();
		CU_ASSERT_FATAL(fds[i] >= 0);
	}
	/* Send in reverse, read in order: no client waits on another. */
	for (int i = N - 1; i >= 0; i--)
		CU_ASSERT(write(fds[i], "CONNECT denied.test:443 HTTP/1.1\r\n\r\n", 36) == 36);
	for (int i = 0; i < N; i++) {
		read_all(fds[i], resp, sizeof(resp), 3000);
		ok += strstr(resp, "403 Forbidden") != NULL;
		close(fds[i]);
	}
	CU_ASSERT_EQUAL(ok, N);
	/* Clients that vanish at every stage do not hurt the loop. */
	for (int i = 0; i < 50; i++) {
		int fd = dial_proxy();
		if (i % 3 == 1)
			CU_ASSERT(write(fd, "CONNECT loopy.test:443 HTTP/1.1\r\n\r\n", 35) == 35);
		if (i % 3 == 2)
			CU_ASSERT(write(fd, "CONNECT slow.test:443 HTTP/1.1\r\n\r\n", 34) == 34);
		close(fd);
	}
	exchange("CONNECT denied.test:443 HTTP/1.1\r\n\r\n", 36, resp, sizeof(resp));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "403 Forbidden"));
}

void unit_register(void)
{
	CU_pSuite s = CU_add_suite("proxy_loop", start, stop);
	CU_add_test(s, "test_denied_name_never_resolved", test_denied_name_never_resolved);
	CU_add_test(s, "test_internal_answer_refused", test_internal_answer_refused);
	CU_add_test(s, "test_resolver_failures", test_resolver_failures);
	CU_add_test(s, "test_dial_failure", test_dial_failure);
	CU_add_test(s, "test_limits_and_errors", test_limits_and_errors);
	CU_add_test(s, "test_header_timeout", test_header_timeout);
	CU_add_test(s, "test_many_clients", test_many_clients);
}
