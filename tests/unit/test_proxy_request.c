/* test_proxy_request.c - the CONNECT parser, responses, agent env; fuzzed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enforcer/policy.h"
#include "enforcer/proxy.h"
#include "enforcer/proxy_request.h"
#include "unit.h"
#include "util.h"

static enum req_result parse(const char *s, struct connect_request *r)
{
	return proxy_request_parse(s, strlen(s), r);
}

static void expect_status(const char *s, size_t len, int status)
{
	struct connect_request r;
	enum req_result rc = proxy_request_parse(s, len, &r);

	if (rc != REQ_ERROR || r.status != status)
		fprintf(stderr, "\n  request %.*s: rc %d status %d, want %d\n",
			(int)(len > 60 ? 60 : len), s, rc, r.status, status);
	CU_ASSERT_EQUAL(rc, REQ_ERROR);
	CU_ASSERT_EQUAL(r.status, status);
	CU_ASSERT_PTR_NOT_NULL(r.error);
}

static void expect_400(const char *s)
{
	expect_status(s, strlen(s), 400);
}

static void test_valid(void)
{
	struct connect_request r;
	const char *req = "CONNECT Allowed.Test:443 HTTP/1.1\r\n\r\n";

	CU_ASSERT_EQUAL(parse(req, &r), REQ_CONNECT);
	CU_ASSERT_STRING_EQUAL(r.host, "allowed.test");
	CU_ASSERT_EQUAL(r.port, 443);
	CU_ASSERT_FALSE(r.is_ip);
	CU_ASSERT_STRING_EQUAL(r.target, "allowed.test:443");
	CU_ASSERT_EQUAL(r.header_len, strlen(req));

	CU_ASSERT_EQUAL(parse("CONNECT 203.0.113.80:8443 HTTP/1.0\n\n", &r), REQ_CONNECT);
	CU_ASSERT(r.is_ip);
	CU_ASSERT_EQUAL(r.ip.family, AF_INET);
	CU_ASSERT_EQUAL(r.port, 8443);
	CU_ASSERT_EQUAL(r.header_len, strlen("CONNECT 203.0.113.80:8443 HTTP/1.0\n\n"));
}

static void test_headers_and_early_data(void)
{
	struct connect_request r;
	const char *head = "CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n"
			   "User-Agent: curl/8.0\r\nProxy-Connection: Keep-Alive\r\n"
			   "X-Empty:\r\nX-Tab:\tv\r\n\r\n";
	char buf[512];

	snprintf(buf, sizeof(buf), "%s\x16\x03\x01 tls hello", head);
	CU_ASSERT_EQUAL(parse(buf, &r), REQ_CONNECT);
	CU_ASSERT_EQUAL(r.header_len, strlen(head));
	CU_ASSERT_STRING_EQUAL(r.host, "a.test");
}

static void test_split_across_reads(void)
{
	const char *req = "CONNECT a.test:443 HTTP/1.1\r\nHost: a.test\r\n\r\n";
	size_t len = strlen(req);
	struct connect_request r;

	for (size_t i = 0; i < len; i++)
		CU_ASSERT_EQUAL(proxy_request_parse(req, i, &r), REQ_INCOMPLETE);
	CU_ASSERT_EQUAL(proxy_request_parse(req, len, &r), REQ_CONNECT);
}

static void test_oversized(void)
{
	char *big = malloc(PROXY_MAX_HEADER + 100);
	struct connect_request r;
	size_t n;

	n = (size_t)snprintf(big, 100, "CONNECT a.test:443 HTTP/1.1\r\nX-Pad: ");
	memset(big + n, 'a', PROXY_MAX_HEADER + 100 - n);
	/* Below the limit and unterminated: wait for more. */
	CU_ASSERT_EQUAL(proxy_request_parse(big, PROXY_MAX_HEADER - 1, &r), REQ_INCOMPLETE);
	expect_status(big, PROXY_MAX_HEADER, 431);
	expect_status(big, PROXY_MAX_HEADER + 100, 431);
	/* The blank line just past the limit is still too late. */
	memcpy(big + PROXY_MAX_HEADER - 2, "\r\n\r\n", 4);
	expect_status(big, PROXY_MAX_HEADER + 2, 431);
	/* Exactly at the limit is fine. */
	memcpy(big + PROXY_MAX_HEADER - 4, "\r\n\r\n", 4);
	CU_ASSERT_EQUAL(proxy_request_parse(big, PROXY_MAX_HEADER, &r), REQ_CONNECT);
	CU_ASSERT_EQUAL(r.header_len, PROXY_MAX_HEADER);
	free(big);
}

static void test_methods(void)
{
	static const char *const other[] = {
	    "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n", "POST / HTTP/1.1\r\n\r\n",
	    "connect a.test:443 HTTP/1.1\r\n\r\n", /* methods are case-sensitive */
	};
	for (size_t i = 0; i < ARRAY_SIZE(other); i++)
		expect_status(other[i], strlen(other[i]), 405);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
	    "\r\n\r\n",
	    "\r\nCONNECT a.test:443 HTTP/1.1\r\n\r\n",
	    "CONNECT\r\n\r\n",
	    "CONNECT a.test:443\r\n\r\n",
	    "CONNECT  a.test:443 HTTP/1.1\r\n\r\n",
	    "CONNECT a.test:443 HTTP/1.1 \r\n\r\n",
	    "CONNECT a.test:443 HTTP/2.0\r\n\r\n",
	    "CONNECT a.test:443 http/1.1\r\n\r\n",
	    "CONNECT a.test:443 HTTP/1.1\r\nNoColon\r\n\r\n",
	    "CONNECT a.test:443 HTTP/1.1\r\n: empty-name\r\n\r\n",
	    "CONNECT a.test:443 HTTP/1.1\r\nBad Name: v\r\n\r\n",
	    "CONNECT a.test:443 HTTP/1.1\r\nHost : a\r\n\r\n",
	    "CONNECT a.test:443 HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
	    "CONNECT a.test:443 HTTP/1.1\r\nX: a\x01b\r\n\r\n",
	    "CONNECT a.test:443 HTTP/1.1\r\nX: a\rb\r\n\r\n",
	    "CONNECT a.test:443 HTTP/1.1\r\nX: \x7f\r\n\r\n",
	    "CON\x01NECT a.test:443 HTTP/1.1\r\n\r\n",
	    /* targets */
	    "CONNECT a.test HTTP/1.1\r\n\r\n", /* missing port */
	    "CONNECT a.test: HTTP/1.1\r\n\r\n",
	    "CONNECT :443 HTTP/1.1\r\n\r\n",
	    "CONNECT a.test:0 HTTP/1.1\r\n\r\n", /* port 0 */
	    "CONNECT a.test:65536 HTTP/1.1\r\n\r\n",
	    "CONNECT a.test:99999999999999999999 HTTP/1.1\r\n\r\n", /* huge port */
	    "CONNECT a.test:-1 HTTP/1.1\r\n\r\n",
	    "CONNECT a.test:+443 HTTP/1.1\r\n\r\n",
	    "CONNECT a.test:44 3 HTTP/1.1\r\n\r\n",
	    "CONNECT a.test:0x1bb HTTP/1.1\r\n\r\n",
	    "CONNECT ::1:443 HTTP/1.1\r\n\r\n", /* unbracketed v6 */
	    "CONNECT [::1:443 HTTP/1.1\r\n\r\n",
	    "CONNECT [::1] HTTP/1.1\r\n\r\n",
	    "CONNECT [1.2.3.4]:443 HTTP/1.1\r\n\r\n",
	    "CONNECT [fe80::1%25eth0]:443 HTTP/1.1\r\n\r\n",
	    "CONNECT [a.test]:443 HTTP/1.1\r\n\r\n",
	    "CONNECT user@a.test:443 HTTP/1.1\r\n\r\n",
	    "CONNECT a..test:443 HTTP/1.1\r\n\r\n",
	    "CONNECT a.test.:443 HTTP/1.1\r\n\r\n",
	    "CONNECT 127.1:443 HTTP/1.1\r\n\r\n", /* inet_aton forms */
	    "CONNECT 2130706433:443 HTTP/1.1\r\n\r\n",
	    "CONNECT 0x7f000001:443 HTTP/1.1\r\n\r\n",
	    "CONNECT 0177.0.0.1:443 HTTP/1.1\r\n\r\n",
	    "CONNECT http://a.test:443 HTTP/1.1\r\n\r\n",
	    "CONNECT a.test:443/path HTTP/1.1\r\n\r\n",
	    "CONNECT a%2etest:443 HTTP/1.1\r\n\r\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		expect_400(bad[i]);
}

static void test_nul_and_garbage(void)
{
	static const char nul_target[] = "CONNECT a.te\0st:443 HTTP/1.1\r\n\r\n";
	static const char nul_header[] = "CONNECT a.test:443 HTTP/1.1\r\nX: a\0b\r\n\r\n";
	static const char nul_method[] = "CONN\0CT a.test:443 HTTP/1.1\r\n\r\n";
	char garbage[600];
	struct connect_request r;

	expect_status(nul_target, sizeof(nul_target) - 1, 400);
	expect_status(nul_header, sizeof(nul_header) - 1, 400);
	expect_status(nul_method, sizeof(nul_method) - 1, 400);
	/* TLS ClientHello sent to the proxy as if it were the server. */
	expect_status("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n", 13, 400);
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)(i * 7 + 3);
	enum req_result rc = proxy_request_parse(garbage, sizeof(garbage), &r);
	CU_ASSERT(rc == REQ_ERROR || rc == REQ_INCOMPLETE);
}

static void test_ipv6_literal(void)
{
	struct connect_request r;

	CU_ASSERT_EQUAL(parse("CONNECT [::1]:443 HTTP/1.1\r\n\r\n", &r), REQ_CONNECT);
	CU_ASSERT(r.is_ip);
	CU_ASSERT_EQUAL(r.ip.family, AF_INET6);
	CU_ASSERT_STRING_EQUAL(r.host, "::1");
	CU_ASSERT_STRING_EQUAL(r.target, "[::1]:443");
	CU_ASSERT_EQUAL(r.port, 443);
	CU_ASSERT_EQUAL(parse("CONNECT [2001:DB8::1]:8443 HTTP/1.1\r\n\r\n", &r), REQ_CONNECT);
	CU_ASSERT_EQUAL(r.port, 8443);
	CU_ASSERT_EQUAL(parse("CONNECT [::ffff:127.0.0.1]:443 HTTP/1.1\r\n\r\n", &r), REQ_CONNECT);
}

static void test_responses(void)
{
	char buf[1024];
	const char *want = "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
			   "Content-Length: 79\r\nConnection: close\r\n\r\n"
			   "{\"error\":\"policy_denied\",\"detail\":\"CONNECT a.test:443 not "
			   "permitted by policy\"}";
	int n = proxy_response(403, "policy_denied", "CONNECT a.test:443 not permitted by policy",
			       buf, sizeof(buf));

	CU_ASSERT_EQUAL(n, (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, want);
	n = proxy_response(405, "method_not_allowed", "x", buf, sizeof(buf));
	CU_ASSERT(n > 0 && strstr(buf, "405 Method Not Allowed") && strstr(buf, "Allow: CONNECT"));
	n = proxy_response(431, "request_header_too_large", "x", buf, sizeof(buf));
	CU_ASSERT(n > 0 && strstr(buf, "431 Request Header Fields Too Large"));
	CU_ASSERT_EQUAL(proxy_response(403, "e", "d", buf, 20), -1);
}

static void test_agent_env(void)
{
	char **env;
	static const char *const want[] = {
	    "HTTP_PROXY=http://127.0.0.1:3128",	 "HTTPS_PROXY=http://127.0.0.1:3128",
	    "ALL_PROXY=http://127.0.0.1:3128",	 "http_proxy=http://127.0.0.1:3128",
	    "https_proxy=http://127.0.0.1:3128", "grpc_proxy=http://127.0.0.1:3128",
	    "NO_PROXY=127.0.0.1,localhost,::1",	 "no_proxy=127.0.0.1,localhost,::1",
	};
	size_t n = 0;

	CU_ASSERT_EQUAL_FATAL(proxy_agent_env("127.0.0.1", 3128, &env), 0);
	for (; env[n]; n++) {
		CU_ASSERT(n < ARRAY_SIZE(want) && strcmp(env[n], want[n]) == 0);
		free(env[n]);
	}
	CU_ASSERT_EQUAL(n, ARRAY_SIZE(want));
	free(env);
	CU_ASSERT_EQUAL_FATAL(proxy_agent_env("::1", 3128, &env), 0);
	CU_ASSERT_STRING_EQUAL(env[0], "HTTP_PROXY=http://[::1]:3128");
	for (n = 0; env[n]; n++)
		free(env[n]);
	free(env);
}

/* Cheap deterministic PRNG so a failure reproduces. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void check_invariants(const char *buf, size_t len)
{
	struct connect_request r;
	enum req_result rc = proxy_request_parse(buf, len, &r);

	if (rc == REQ_CONNECT) {
		CU_ASSERT(r.header_len > 0 && r.header_len <= len &&
			  r.header_len <= PROXY_MAX_HEADER);
		CU_ASSERT(r.port != 0);
		CU_ASSERT(r.is_ip || policy_valid_hostname(r.host));
		CU_ASSERT(strlen(r.target) > 0);
	} else if (rc == REQ_ERROR) {
		CU_ASSERT(r.status == 400 || r.status == 405 || r.status == 431);
		CU_ASSERT_PTR_NOT_NULL(r.error);
	} else {
		CU_ASSERT_EQUAL(rc, REQ_INCOMPLETE);
		CU_ASSERT(len < PROXY_MAX_HEADER);
	}
}

/* Mutation fuzzing from a few seeds: flips, inserts of interesting bytes,
 * truncations, splices. Run under ASan+UBSan in CI; a heap copy of exactly
 * `len` bytes makes any over-read fatal. */
static void test_fuzz(void)
{
	static const char *const seeds[] = {
	    "CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n",
	    "CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\nearly",
	    "CONNECT 203.0.113.80:443 HTTP/1.0\n\n",
	    "GET http://x/ HTTP/1.1\r\n\r\n",
	};
	static const char interesting[] = {'\r', '\n', ':', '[', ']', ' ',    '\t',   0,
					   '.',	 '*',  '%', '0', '9', '\x7f', '\xff', '@'};
	char work[PROXY_MAX_HEADER + 64];
	long iters = 200000;
	const char *env = getenv("PARITY_FUZZ_ITERS");

	if (env)
		util_parse_long(env, 1, 1000000000, &iters);
	for (long it = 0; it < iters; it++) {
		const char *seed = seeds[next_rand() % ARRAY_SIZE(seeds)];
		size_t len = strlen(seed);
		memcpy(work, seed, len);
		int muts = 1 + (int)(next_rand() % 6);
		for (int m = 0; m < muts; m++) {
			size_t pos = len ? next_rand() % len : 0;
			switch (next_rand() % 6) {
			case 0:
				work[pos] = (char)next_rand();
				break;
			case 1:
				work[pos] = interesting[next_rand() % sizeof(interesting)];
				break;
			case 2:
				if (len < sizeof(work) - 1) {
					memmove(work + pos + 1, work + pos, len - pos);
					work[pos] = interesting[next_rand() % sizeof(interesting)];
					len++;
				}
				break;
			case 3:
				len = pos;
				break;
			case 4:
				if (len > 0) {
					memmove(work + pos, work + pos + 1, len - pos - 1);
					len--;
				}
				break;
			case 5: { /* grow towards the limit */
				size_t add = next_rand() % (PROXY_MAX_HEADER + 32);
				if (len + add > sizeof(work))
					add = sizeof(work) - len;
				memset(work + len, 'h', add);
				len += add;
				break;
			}
			}
		}
		char *heap = malloc(len ? len : 1);
		memcpy(heap, work, len);
		check_invariants(heap, len);
		free(heap);
	}
	/* Pure random buffers too. */
	for (long it = 0; it < iters / 10; it++) {
		size_t len = next_rand() % 300;
		char *heap = malloc(len ? len : 1);
		for (size_t i = 0; i < len; i++)
			heap[i] = (char)next_rand();
		check_invariants(heap, len);
		free(heap);
	}
}

void unit_register(void)
{
	UNIT_SUITE("proxy_request");
	UNIT_TEST(test_valid);
	UNIT_TEST(test_headers_and_early_data);
	UNIT_TEST(test_split_across_reads);
	UNIT_TEST(test_oversized);
	UNIT_TEST(test_methods);
	UNIT_TEST(test_malformed);
	UNIT_TEST(test_nul_and_garbage);
	UNIT_TEST(test_ipv6_literal);
	UNIT_TEST(test_responses);
	UNIT_TEST(test_agent_env);
	UNIT_TEST(test_fuzz);
}
