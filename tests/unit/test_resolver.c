/* test_resolver.c - DNS message codec and the stub client against a fake
 * server on loopback, and the getaddrinfo helper threads (no root needed). */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enforcer/resolver.h"
#include "fake_dns.h"
#include "unit.h"
#include "util.h"

/* A response to `name`/`qtype` with ID 0x1234, built by hand. */
static size_t response(uint8_t *out, const char *name, uint16_t qtype, uint16_t flags,
		       const uint8_t *answers, size_t alen, uint16_t ancount)
{
	int n = dns_build_query(out, 512, 0x1234, name, qtype);
	CU_ASSERT_FATAL(n > 0);
	out[2] = (uint8_t)(flags >> 8);
	out[3] = (uint8_t)flags;
	out[6] = (uint8_t)(ancount >> 8);
	out[7] = (uint8_t)ancount;
	if (alen)
		memcpy(out + n, answers, alen);
	return (size_t)n + alen;
}

static const uint8_t a_rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, 80};
static const uint8_t cname_then_a[] = {
    0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 1,	  'x', 0xc0, 12, /* CNAME x.<q> */
    0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51,  100,  7};

static void test_query_roundtrip(void)
{
	uint8_t buf[512];
	char name[256];
	uint16_t qtype, id;
	int n = dns_build_query(buf, sizeof(buf), 0xbeef, "Allowed.Test", DNS_TYPE_AAAA);

	CU_ASSERT_FATAL(n == 12 + 14 + 4);
	CU_ASSERT_EQUAL(dns_parse_query(buf, (size_t)n, name, sizeof(name), &qtype, &id), 0);
	CU_ASSERT_STRING_EQUAL(name, "allowed.test");
	CU_ASSERT_EQUAL(qtype, DNS_TYPE_AAAA);
	CU_ASSERT_EQUAL(id, 0xbeef);
	CU_ASSERT_EQUAL(dns_build_query(buf, sizeof(buf), 1, "a..b", DNS_TYPE_A), -1);
	CU_ASSERT_EQUAL(dns_build_query(buf, sizeof(buf), 1, "", DNS_TYPE_A), -1);
	CU_ASSERT_EQUAL(dns_build_query(buf, sizeof(buf), 1, "a.", DNS_TYPE_A), -1);
	CU_ASSERT_EQUAL(dns_build_query(buf, 20, 1, "allowed.test", DNS_TYPE_A), -1);
}

static void test_parse_answers(void)
{
	uint8_t msg[512];
	struct dns_answer a;
	const char *why;
	size_t n = response(msg, "allowed.test", DNS_TYPE_A, 0x8180, a_rr, sizeof(a_rr), 1);
	char text[NETADDR_STRLEN];

	CU_ASSERT_EQUAL(dns_parse_response(msg, n, 0x1234, "ALLOWED.test", DNS_TYPE_A, &a, &why),
			0);
	CU_ASSERT_EQUAL(a.rcode, 0);
	CU_ASSERT_EQUAL_FATAL(a.n, 1);
	CU_ASSERT_STRING_EQUAL(netaddr_str(&a.addrs[0], text, sizeof(text)), "203.0.113.80");
	/* CNAME records are skipped, the A after them kept. */
	n = response(msg, "allowed.test", DNS_TYPE_A, 0x8180, cname_then_a, sizeof(cname_then_a),
		     2);
	CU_ASSERT_EQUAL(dns_parse_response(msg, n, 0x1234, "allowed.test", DNS_TYPE_A, &a, &why),
			0);
	CU_ASSERT_EQUAL_FATAL(a.n, 1);
	CU_ASSERT_STRING_EQUAL(netaddr_str(&a.addrs[0], text, sizeof(text)), "198.51.100.7");
	/* NXDOMAIN, truncated. */
	n = response(msg, "allowed.test", DNS_TYPE_A, 0x8183, NULL, 0, 0);
	CU_ASSERT_EQUAL(dns_parse_response(msg, n, 0x1234, "allowed.test", DNS_TYPE_A, &a, &why),
			0);
	CU_ASSERT_EQUAL(a.rcode, 3);
	CU_ASSERT_STRING_EQUAL(dns_rcode_name(a.rcode), "NXDOMAIN");
	n = response(msg, "allowed.test", DNS_TYPE_A, 0x8380, a_rr, 6, 1);
	CU_ASSERT_EQUAL(dns_parse_response(msg, n, 0x1234, "allowed.test", DNS_TYPE_A, &a, &why),
			0);
	CU_ASSERT(a.truncated);
	CU_ASSERT_EQUAL(a.n, 0);
	/* An A record in an AAAA answer is ignored. */
	n = response(msg, "allowed.test", DNS_TYPE_AAAA, 0x8180, a_rr, sizeof(a_rr), 1);
	CU_ASSERT_EQUAL(dns_parse_response(msg, n, 0x1234, "allowed.test", DNS_TYPE_AAAA, &a, &why),
			0);
	CU_ASSERT_EQUAL(a.n, 0);
}

static void test_reject_mismatch(void)
{
	uint8_t msg[512];
	struct dns_answer a;
	const char *why;
	size_t n = response(msg, "allowed.test", DNS_TYPE_A, 0x8180, a_rr, sizeof(a_rr), 1);

	CU_ASSERT_EQUAL(dns_parse_response(msg, n, 0x1235, "allowed.test", DNS_TYPE_A, &a, &why),
			-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "ID"));
	CU_ASSERT_EQUAL(dns_parse_response(msg, n, 0x1234, "other.test", DNS_TYPE_A, &a, &why), -1);
	CU_ASSERT_EQUAL(dns_parse_response(msg, n, 0x1234, "allowed.test", DNS_TYPE_AAAA, &a, &why),
			-1);
	CU_ASSERT_EQUAL(dns_parse_response(msg, 11, 0x1234, "allowed.test", DNS_TYPE_A, &a, &why),
			-1);
	/* A query (QR clear) is not an answer. */
	n = response(msg, "allowed.test", DNS_TYPE_A, 0x0100, a_rr, sizeof(a_rr), 1);
	CU_ASSERT_EQUAL(dns_parse_response(msg, n, 0x1234, "allowed.test", DNS_TYPE_A, &a, &why),
			-1);
	/* A question name that points at itself. */
	static const uint8_t loop[] = {0x12, 0x34, 0x81, 0x80, 0,  1, 0, 0, 0,
				       0,    0,	   0,	 0xc0, 12, 0, 1, 0, 1};
	CU_ASSERT_EQUAL(dns_parse_response(loop, sizeof(loop), 0x1234, "a", DNS_TYPE_A, &a, &why),
			-1);
}

static uint64_t rng = 42;
static uint32_t next_rand(void)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng >> 33);
}

static void test_fuzz_response(void)
{
	uint8_t seed[512];
	size_t slen = response(seed, "allowed.test", DNS_TYPE_A, 0x8180, cname_then_a,
			       sizeof(cname_then_a), 2);

	for (int it = 0; it < 100000; it++) {
		size_t len = slen;
		uint8_t *m = malloc(slen);
		struct dns_answer a;
		const char *why;
		memcpy(m, seed, slen);
		for (int k = 0, muts = 1 + (int)(next_rand() % 4); k < muts; k++) {
			size_t pos = next_rand() % slen;
			if (next_rand() % 3 == 0)
				len = pos;
			else
				m[pos] = (uint8_t)next_rand();
		}
		if (dns_parse_response(m, len, 0x1234, "allowed.test", DNS_TYPE_A, &a, &why) == 0)
			CU_ASSERT(a.n <= RESOLVER_MAX_ADDRS);
		char name[256];
		uint16_t qt, id;
		dns_parse_query(m, len, name, sizeof(name), &qt, &id);
		free(m);
	}
}

/* Wait for the query's answer (the test's own tiny event loop). */
static int wait_answer(struct dns_query *q, struct dns_answer *a, int ms)
{
	for (int waited = 0; waited < ms; waited += 20) {
		struct pollfd p = {.fd = q->fd, .events = POLLIN};
		poll(&p, 1, 20);
		int rc = dns_query_receive(q, a);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void test_stub_client(void)
{
	struct fake_dns *d = fake_dns_start("127.0.0.1", 0);
	struct dns_query q;
	struct dns_answer a;
	struct netaddr server;
	struct perr e;
	char text[NETADDR_STRLEN];

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	fake_dns_add(d, "allowed.test", "203.0.113.80");
	fake_dns_add(d, "allowed.test", "2001:db8::80");
	netaddr_parse("127.0.0.1", &server);

	CU_ASSERT_EQUAL_FATAL(
	    dns_query_start(&q, &server, fake_dns_port(d), "allowed.test", DNS_TYPE_A, &e), 0);
	CU_ASSERT_EQUAL(wait_answer(&q, &a, 2000), 1);
	CU_ASSERT_EQUAL_FATAL(a.n, 1);
	CU_ASSERT_STRING_EQUAL(netaddr_str(&a.addrs[0], text, sizeof(text)), "203.0.113.80");
	/* The logged 5-tuple is the one the server saw. */
	CU_ASSERT(fake_dns_saw(d, "allowed.test", netaddr_str(&q.local, text, sizeof(text)),
			       q.local_port));
	CU_ASSERT_EQUAL(q.server_port, fake_dns_port(d));
	dns_query_close(&q);

	/* A reply with a wrong ID first: ignored, the real one taken. */
	fake_dns_spoof_id(d, true);
	CU_ASSERT_EQUAL_FATAL(
	    dns_query_start(&q, &server, fake_dns_port(d), "allowed.test", DNS_TYPE_AAAA, &e), 0);
	CU_ASSERT_EQUAL(wait_answer(&q, &a, 2000), 1);
	CU_ASSERT_EQUAL_FATAL(a.n, 1);
	CU_ASSERT_STRING_EQUAL(netaddr_str(&a.addrs[0], text, sizeof(text)), "2001:db8::80");
	dns_query_close(&q);
	fake_dns_spoof_id(d, false);

	/* Unknown name: NXDOMAIN. Silent name: nothing, then a resend is seen. */
	CU_ASSERT_EQUAL_FATAL(
	    dns_query_start(&q, &server, fake_dns_port(d), "nope.test", DNS_TYPE_A, &e), 0);
	CU_ASSERT_EQUAL(wait_answer(&q, &a, 2000), 1);
	CU_ASSERT_EQUAL(a.rcode, 3);
	dns_query_close(&q);
	fake_dns_silent(d, "slow.test");
	CU_ASSERT_EQUAL_FATAL(
	    dns_query_start(&q, &server, fake_dns_port(d), "slow.test", DNS_TYPE_A, &e), 0);
	CU_ASSERT_EQUAL(wait_answer(&q, &a, 200), 0);
	CU_ASSERT_EQUAL(dns_query_resend(&q), 0);
	usleep(100000);
	CU_ASSERT_EQUAL(fake_dns_count(d, "slow.test"), 2);
	CU_ASSERT_EQUAL(q.sends, 2);
	dns_query_close(&q);

	/* A datagram from another socket never reaches a connected query. */
	CU_ASSERT_EQUAL_FATAL(
	    dns_query_start(&q, &server, fake_dns_port(d), "slow.test", DNS_TYPE_A, &e), 0);
	{
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_storage ss;
		socklen_t sl = netaddr_to_sockaddr(&q.local, q.local_port, &ss);
		uint8_t forged[512];
		size_t n = response(forged, "slow.test", DNS_TYPE_A, 0x8180, a_rr, sizeof(a_rr), 1);
		forged[0] = (uint8_t)(q.id >> 8);
		forged[1] = (uint8_t)q.id;
		sendto(s, forged, n, 0, (struct sockaddr *)&ss, sl);
		close(s);
	}
	CU_ASSERT_EQUAL(wait_answer(&q, &a, 200), 0);
	dns_query_close(&q);
	fake_dns_stop(d);
}

static void test_unreachable_server(void)
{
	struct dns_query q;
	struct dns_answer a;
	struct netaddr server;
	struct perr e;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	socklen_t sl = sizeof(sin);

	/* A port nobody listens on: ICMP port unreachable -> ECONNREFUSED. */
	bind(s, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(s, (struct sockaddr *)&sin, &sl);
	close(s);
	netaddr_parse("127.0.0.1", &server);
	CU_ASSERT_EQUAL_FATAL(
	    dns_query_start(&q, &server, ntohs(sin.sin_port), "a.test", DNS_TYPE_A, &e), 0);
	CU_ASSERT_EQUAL(wait_answer(&q, &a, 1000), -1);
	dns_query_close(&q);
}

/* This program's getaddrinfo, which the resolver's threads call instead of
 * libc's: "slow.test" waits until released, any other name goes to libc. */
static atomic_bool slow_release;

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	static int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

	if (node && strcmp(node, "slow.test") == 0) {
		while (!atomic_load(&slow_release))
			usleep(1000);
		*res = NULL;
		return EAI_NONAME;
	}
	if (!real)
		real = (int (*)(const char *, const char *, const struct addrinfo *,
				struct addrinfo **))dlsym(RTLD_NEXT, "getaddrinfo");
	return real ? real(node, service, hints, res) : EAI_FAIL;
}

/* Threads that outlive their connection must not pile up: at most
 * RESOLVER_MAX_GAI_THREADS lookups at once, then EAGAIN, and room again
 * once they finish. */
static void test_gai_threads_bounded(void)
{
	struct gai_job *jobs[RESOLVER_MAX_GAI_THREADS], *j, *extra = NULL;
	struct perr e;
	int p[2];
	size_t got = 0;

	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	atomic_store(&slow_release, false);
	for (int i = 0; i < RESOLVER_MAX_GAI_THREADS; i++) {
		perr_clear(&e);
		CU_ASSERT_EQUAL_FATAL(gai_job_start("slow.test", NULL, p[1], &jobs[i], &e), 0);
	}
	perr_clear(&e);
	CU_ASSERT_EQUAL(gai_job_start("slow.test", NULL, p[1], &extra, &e), -1);
	CU_ASSERT_EQUAL(e.sys_errno, EAGAIN);
	atomic_store(&slow_release, true);
	while (got < RESOLVER_MAX_GAI_THREADS && read(p[0], &j, sizeof(j)) == (ssize_t)sizeof(j)) {
		CU_ASSERT_NOT_EQUAL(j->gai_error, 0);
		gai_job_free(j);
		got++;
	}
	CU_ASSERT_EQUAL(got, RESOLVER_MAX_GAI_THREADS);
	/* The last thread counts itself out just after its write. */
	for (int tries = 0; tries < 1000; tries++) {
		perr_clear(&e);
		if (gai_job_start("slow.test", NULL, p[1], &extra, &e) == 0)
			break;
		extra = NULL;
		usleep(1000);
	}
	CU_ASSERT_PTR_NOT_NULL(extra);
	if (extra && read(p[0], &j, sizeof(j)) == (ssize_t)sizeof(j))
		gai_job_free(j);
	close(p[0]);
	close(p[1]);
}

void unit_register(void)
{
	UNIT_SUITE("resolver");
	UNIT_TEST(test_query_roundtrip);
	UNIT_TEST(test_parse_answers);
	UNIT_TEST(test_reject_mismatch);
	UNIT_TEST(test_fuzz_response);
	UNIT_TEST(test_stub_client);
	UNIT_TEST(test_unreachable_server);
	UNIT_TEST(test_gai_threads_bounded);
}
