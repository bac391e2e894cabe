/* Unit tests of the DNS sink's wire format (matrix/dns_sink.c) and of the
 * marker search the sinks use (mscan_feed in matrix/sinks_evidence.c). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "matrix/dns_sink.h"
#include "matrix/sinks_int.h"
#include "unit.h"
#include "util.h"

static const char *MARKER = "pm0123456789abcdef01234567";

/* A query for the dotted name (no compression), RD set, with or without an
 * EDNS OPT record. Returns its length. */
static size_t mkq(uint8_t *b, uint16_t id, const char *name, uint16_t type, bool edns)
{
	size_t n = 12;
	const char *p = name;

	memset(b, 0, 12);
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = 0x01; /* RD */
	b[5] = 1;
	b[11] = edns ? 1 : 0;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		b[n++] = (uint8_t)l;
		memcpy(b + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	b[n++] = 0;
	b[n++] = (uint8_t)(type >> 8);
	b[n++] = (uint8_t)type;
	b[n++] = 0;
	b[n++] = 1;
	if (edns) {
		static const uint8_t opt[] = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
		memcpy(b + n, opt, sizeof(opt));
		n += sizeof(opt);
	}
	return n;
}

static struct dns_zone zone(void)
{
	struct dns_zone z = {
	    .allowed_name = "allowed.test", .rebind_name = "rebind.test", .ttl = 60};

	inet_pton(AF_INET, "203.0.113.80", &z.allowed_v4);
	inet_pton(AF_INET, "127.0.0.1", &z.rebind_v4);
	z.has_allowed_v4 = true;
	return z;
}

static struct dns_query q; /* large: keep it off the stack */

static void test_parse_valid(void)
{
	uint8_t b[512];
	size_t n = mkq(b, 0xbeef, "Allowed.TEST", 1, true);

	CU_ASSERT_EQUAL(dns_sink_parse_query(b, n, &q), DNS_OK);
	CU_ASSERT_EQUAL(q.id, 0xbeef);
	CU_ASSERT_EQUAL(q.qdcount, 1);
	CU_ASSERT_EQUAL(q.arcount, 1);
	CU_ASSERT_EQUAL(q.nq, 1);
	CU_ASSERT_STRING_EQUAL(q.q[0].text, "allowed.test");
	CU_ASSERT_EQUAL(q.q[0].qtype, 1);
	CU_ASSERT_EQUAL(q.q[0].qclass, 1);
	CU_ASSERT_EQUAL(q.q[0].wire_len, 14);
	CU_ASSERT(memcmp(q.q[0].wire, "\7Allowed\4TEST", 14) == 0);

	n = mkq(b, 1, "", 2, false); /* the root */
	CU_ASSERT_EQUAL(dns_sink_parse_query(b, n, &q), DNS_OK);
	CU_ASSERT_STRING_EQUAL(q.q[0].text, ".");
}

static void test_parse_escapes(void)
{
	uint8_t b[64] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
	size_t n = 12;
	static const uint8_t name[] = {4, 'a', '.', 0, 'B', 1, '\\', 0};

	memcpy(b + n, name, sizeof(name));
	n += sizeof(name);
	memcpy(b + n, "\0\1\0\1", 4);
	n += 4;
	CU_ASSERT_EQUAL(dns_sink_parse_query(b, n, &q), DNS_OK);
	CU_ASSERT_STRING_EQUAL(q.q[0].text, "a\\.\\000b.\\\\");
}

static void test_parse_pointers(void)
{
	uint8_t b[512];
	size_t n = mkq(b, 7, "exfil.test", 1, false);
	size_t q1 = 12;

	/* second question: "pm..." label then a pointer back to exfil.test */
	b[5] = 2;
	b[n++] = 26;
	memcpy(b + n, MARKER, 26);
	n += 26;
	b[n++] = 0xc0;
	b[n++] = (uint8_t)q1;
	memcpy(b + n, "\0\x10\0\1", 4);
	n += 4;
	CU_ASSERT_EQUAL(dns_sink_parse_query(b, n, &q), DNS_OK);
	CU_ASSERT_EQUAL(q.nq, 2);
	CU_ASSERT_STRING_EQUAL(q.q[1].text, "pm0123456789abcdef01234567.exfil.test");
	CU_ASSERT_EQUAL(q.q[1].qtype, 16);
	CU_ASSERT(dns_name_has_marker(&q.q[1], MARKER, 26));
	CU_ASSERT(!dns_name_has_marker(&q.q[0], MARKER, 26));

	/* a pointer to itself, forwards, into the header */
	uint8_t self[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
	CU_ASSERT_EQUAL(dns_sink_parse_query(self, sizeof(self), &q), DNS_ERR_POINTER);
	uint8_t fwd[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 1, 'a', 0, 0, 1, 0, 1};
	CU_ASSERT_EQUAL(dns_sink_parse_query(fwd, sizeof(fwd), &q), DNS_ERR_POINTER);
	uint8_t hdr[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 2, 0, 1, 0, 1};
	CU_ASSERT_EQUAL(dns_sink_parse_query(hdr, sizeof(hdr), &q), DNS_ERR_POINTER);
	/* a loop: label at 12, then a pointer back to 12 (inside the same name) */
	uint8_t loop[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xc0, 12, 0, 1, 0, 1};
	CU_ASSERT_EQUAL(dns_sink_parse_query(loop, sizeof(loop), &q), DNS_ERR_POINTER);
	/* two names pointing at each other: the second jumps back into the
	 * first, whose pointer would jump forward again */
	uint8_t two[] = {0,    1,  0, 0, 0, 2, 0, 0,   0,    0,	 0, 0, 1, 'a',
			 0xc0, 20, 0, 1, 0, 1, 1, 'b', 0xc0, 12, 0, 1, 0, 1};
	CU_ASSERT(dns_sink_parse_query(two, sizeof(two), &q) < 0);
	/* pointer cut in half */
	uint8_t half[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0};
	CU_ASSERT_EQUAL(dns_sink_parse_query(half, sizeof(half), &q), DNS_ERR_TRUNCATED);
}

static void test_parse_truncated(void)
{
	uint8_t b[512];
	size_t n = mkq(b, 9, "pm0123456789abcdef01234567.exfil.test", 1, false);

	for (size_t l = 0; l < n; l++)
		CU_ASSERT_EQUAL(dns_sink_parse_query(b, l, &q),
				l < 12 ? DNS_ERR_SHORT : DNS_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(dns_sink_parse_query(b, n, &q), DNS_OK);
	/* the question is valid, the second promised one is missing */
	b[5] = 2;
	CU_ASSERT_EQUAL(dns_sink_parse_query(b, n, &q), DNS_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(q.nq, 1);
	CU_ASSERT(dns_name_has_marker(&q.q[0], MARKER, 26));
	b[5] = 0;
	CU_ASSERT_EQUAL(dns_sink_parse_query(b, n, &q), DNS_ERR_NOQUESTION);
}

static void test_parse_label_and_name_limits(void)
{
	uint8_t b[1024] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
	size_t n = 12;

	b[n++] = 0x40; /* "64" */
	memset(b + n, 'a', 64);
	n += 64;
	b[n++] = 0;
	memcpy(b + n, "\0\1\0\1", 4);
	CU_ASSERT_EQUAL(dns_sink_parse_query(b, n + 4, &q), DNS_ERR_LABEL);
	b[12] = 0x80;
	CU_ASSERT_EQUAL(dns_sink_parse_query(b, n + 4, &q), DNS_ERR_LABEL);

	/* exactly 255 octets: 3 x (1+63) + (1+61) + 1 */
	for (int extra = 0; extra < 2; extra++) {
		n = 12;
		for (int i = 0; i < 3; i++) {
			b[n++] = 63;
			memset(b + n, 'x', 63);
			n += 63;
		}
		b[n++] = (uint8_t)(61 + extra);
		memset(b + n, 'y', 61 + extra);
		n += 61 + (size_t)extra;
		b[n++] = 0;
		memcpy(b + n, "\0\1\0\1", 4);
		n += 4;
		CU_ASSERT_EQUAL(dns_sink_parse_query(b, n, &q), extra ? DNS_ERR_NAME : DNS_OK);
		if (!extra)
			CU_ASSERT_EQUAL(q.q[0].wire_len, 255);
	}
	/* a long name reached through pointers is limited too */
	n = 12;
	for (int i = 0; i < 3; i++) {
		b[n++] = 63;
		memset(b + n, 'x', 63);
		n += 63;
	}
	b[n++] = 0;
	memcpy(b + n, "\0\1\0\1", 4);
	n += 4;
	b[5] = 2;
	b[n++] = 63;
	memset(b + n, 'z', 63);
	n += 63;
	b[n++] = 0xc0;
	b[n++] = 12;
	memcpy(b + n, "\0\1\0\1", 4);
	n += 4;
	CU_ASSERT_EQUAL(dns_sink_parse_query(b, n, &q), DNS_ERR_NAME);
	CU_ASSERT_EQUAL(q.nq, 1);
}

/* Parse a reply: its question, and the first answer's type and rdata. */
static int answer(const uint8_t *r, size_t n, uint16_t *type, uint8_t *rdata, size_t *rdlen)
{
	size_t off;

	if (dns_sink_parse_query(r, n, &q) != DNS_OK)
		return -1;
	off = 12 + q.q[0].wire_len + 4;
	if (r[6] == 0 && r[7] == 0)
		return 0;
	if (off + 12 > n || r[off] != 0xc0 || r[off + 1] != 12)
		return -1;
	*type = (uint16_t)(r[off + 2] << 8 | r[off + 3]);
	*rdlen = (size_t)(r[off + 10] << 8 | r[off + 11]);
	if (off + 12 + *rdlen != n)
		return -1;
	memcpy(rdata, r + off + 12, *rdlen);
	return 1;
}

static size_t reply(const uint8_t *b, size_t n, uint8_t *out, int *rcode)
{
	struct dns_zone z = zone();
	int st = dns_sink_parse_query(b, n, &q);

	return dns_build_reply(b, n, st, &q, &z, out, DNS_MAX_REPLY, rcode);
}

static void test_build_replies(void)
{
	uint8_t b[512], r[DNS_MAX_REPLY], rd[16];
	size_t n, rn, rdlen = 0;
	uint16_t type = 0;
	int rcode;
	char a[INET_ADDRSTRLEN];

	n = mkq(b, 0x1234, "ALLOWED.test", 1, true);
	rn = reply(b, n, r, &rcode);
	CU_ASSERT(rn > 12);
	CU_ASSERT_EQUAL(rcode, DNS_RCODE_NOERROR);
	CU_ASSERT_EQUAL(r[0], 0x12);
	CU_ASSERT_EQUAL(r[1], 0x34);
	CU_ASSERT(r[2] & 0x80);		/* QR */
	CU_ASSERT(r[2] & 0x04);		/* AA */
	CU_ASSERT(r[2] & 0x01);		/* RD copied */
	CU_ASSERT_EQUAL(r[3] & 0xf, 0); /* NOERROR */
	CU_ASSERT_EQUAL(answer(r, rn, &type, rd, &rdlen), 1);
	CU_ASSERT_EQUAL(type, 1);
	CU_ASSERT_EQUAL(rdlen, 4);
	inet_ntop(AF_INET, rd, a, sizeof(a));
	CU_ASSERT_STRING_EQUAL(a, "203.0.113.80");
	CU_ASSERT(memcmp(r + 12, "\7ALLOWED\4test", 14) == 0); /* case kept */

	n = mkq(b, 2, "allowed.test", 28, false);
	rn = reply(b, n, r, &rcode);
	CU_ASSERT_EQUAL(rcode, DNS_RCODE_NOERROR);
	CU_ASSERT_EQUAL(answer(r, rn, &type, rd, &rdlen), 0);

	n = mkq(b, 3, "rebind.test", 1, false);
	rn = reply(b, n, r, &rcode);
	CU_ASSERT_EQUAL(answer(r, rn, &type, rd, &rdlen), 1);
	inet_ntop(AF_INET, rd, a, sizeof(a));
	CU_ASSERT_STRING_EQUAL(a, "127.0.0.1");

	n = mkq(b, 4, "pm0123456789abcdef01234567.exfil.test", 1, false);
	rn = reply(b, n, r, &rcode);
	CU_ASSERT_EQUAL(rcode, DNS_RCODE_NXDOMAIN);
	CU_ASSERT_EQUAL(r[3] & 0xf, 3);
	CU_ASSERT_EQUAL(answer(r, rn, &type, rd, &rdlen), 0);

	n = mkq(b, 5, "allowed.test.evil", 1, false);
	reply(b, n, r, &rcode);
	CU_ASSERT_EQUAL(rcode, DNS_RCODE_NXDOMAIN);

	/* a response is never answered; a short message neither */
	n = mkq(b, 6, "allowed.test", 1, false);
	b[2] |= 0x80;
	CU_ASSERT_EQUAL(reply(b, n, r, &rcode), 0);
	CU_ASSERT_EQUAL(rcode, DNS_RCODE_NONE);
	CU_ASSERT_EQUAL(reply(b, 11, r, &rcode), 0);

	/* opcode STATUS: NOTIMP with the question */
	n = mkq(b, 7, "allowed.test", 1, false);
	b[2] = (uint8_t)(2 << 3);
	rn = reply(b, n, r, &rcode);
	CU_ASSERT_EQUAL(rcode, DNS_RCODE_NOTIMP);
	CU_ASSERT_EQUAL(r[5], 1);

	/* malformed with a header: FORMERR, same id, no question */
	n = mkq(b, 0x4242, "allowed.test", 1, false);
	b[12] = 0x55;
	rn = reply(b, n, r, &rcode);
	CU_ASSERT_EQUAL(rcode, DNS_RCODE_FORMERR);
	CU_ASSERT_EQUAL(rn, 12);
	CU_ASSERT_EQUAL(r[0], 0x42);
	CU_ASSERT_EQUAL(r[5], 0);
}

static void test_marker_in_qname(void)
{
	uint8_t b[512];
	size_t n;

	n = mkq(b, 1, "x.PM0123456789ABCDEF01234567.exfil.test", 1, false);
	CU_ASSERT_EQUAL(dns_sink_parse_query(b, n, &q), DNS_OK);
	CU_ASSERT(dns_name_has_marker(&q.q[0], MARKER, 26));
	/* split across labels */
	n = mkq(b, 1, "pm0123456.789abcdef.01234567.exfil.test", 1, false);
	CU_ASSERT_EQUAL(dns_sink_parse_query(b, n, &q), DNS_OK);
	CU_ASSERT(dns_name_has_marker(&q.q[0], MARKER, 26));
	/* inside a longer label */
	n = mkq(b, 1, "aaapm0123456789abcdef01234567zzz.test", 1, false);
	CU_ASSERT_EQUAL(dns_sink_parse_query(b, n, &q), DNS_OK);
	CU_ASSERT(dns_name_has_marker(&q.q[0], MARKER, 26));
	/* one digit off */
	n = mkq(b, 1, "pm0123456789abcdef01234568.exfil.test", 1, false);
	CU_ASSERT_EQUAL(dns_sink_parse_query(b, n, &q), DNS_OK);
	CU_ASSERT(!dns_name_has_marker(&q.q[0], MARKER, 26));
	CU_ASSERT(!dns_name_has_marker(&q.q[0], MARKER, 0));
}

static void test_mscan_boundaries(void)
{
	const char *text = "xxhello PM0123456789abcdef01234567 world";
	size_t tl = strlen(text);

	/* split in two at every position, and byte by byte */
	for (size_t cut = 0; cut <= tl; cut++) {
		struct mscan m = {.n = 0};
		bool f = mscan_feed(&m, MARKER, 26, (const uint8_t *)text, cut);

		f |= mscan_feed(&m, MARKER, 26, (const uint8_t *)text + cut, tl - cut);
		CU_ASSERT(f);
	}
	{
		struct mscan m = {.n = 0};
		bool f = false;

		for (size_t i = 0; i < tl; i++)
			f |= mscan_feed(&m, MARKER, 26, (const uint8_t *)text + i, 1);
		CU_ASSERT(f);
	}
	{
		struct mscan m = {.n = 0};
		const char *near = "pm0123456789abcdef0123456 pm0123456789abcdef0123456";

		CU_ASSERT(!mscan_feed(&m, MARKER, 26, (const uint8_t *)near, strlen(near)));
		CU_ASSERT(!mscan_feed(&m, MARKER, 26, (const uint8_t *)"8", 1));
		CU_ASSERT(mscan_feed(&m, MARKER, 26, (const uint8_t *)"pm0123456789abcdef", 18) ==
			  false);
		CU_ASSERT(mscan_feed(&m, MARKER, 26, (const uint8_t *)"01234567", 8));
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fuzz_one(const uint8_t *b, size_t n)
{
	uint8_t r[DNS_MAX_REPLY];
	int rcode;
	size_t rn = reply(b, n, r, &rcode);

	CU_ASSERT(rn <= DNS_MAX_REPLY);
	if (rn) {
		/* every reply we build parses back (FORMERR has no question) */
		int st = dns_sink_parse_query(r, rn, &q);
		CU_ASSERT(st == DNS_OK || (st == DNS_ERR_NOQUESTION && rcode == DNS_RCODE_FORMERR));
	}
	for (unsigned i = 0; i < q.nq; i++)
		dns_name_has_marker(&q.q[i], MARKER, 26);
}

static void test_fuzz(void)
{
	uint8_t seed[512], b[600];
	size_t sn = mkq(seed, 1, "pm0123456789abcdef01234567.allowed.test", 1, true);
	unsigned bad = 0;

	util_random(&rng, sizeof(rng));
	rng |= 1;
	/* pure garbage, with a plausible header half of the time */
	for (int i = 0; i < 100000; i++) {
		size_t n = next() % sizeof(b);

		for (size_t k = 0; k < n; k++)
			b[k] = (uint8_t)next();
		if (i & 1 && n >= 12) {
			b[2] &= 0x7f;
			b[4] = 0;
			b[5] = (uint8_t)(1 + next() % 3);
		}
		fuzz_one(b, n);
	}
	/* mutations of a valid query: bit flips, pointers, truncation */
	for (int i = 0; i < 100000; i++) {
		size_t n = sn;

		memcpy(b, seed, sn);
		for (int k = (int)(next() % 4); k >= 0 && n; k--) {
			size_t at = next() % n;

			switch (next() % 4) {
			case 0:
				b[at] ^= (uint8_t)(1u << (next() % 8));
				break;
			case 1:
				b[at] = (uint8_t)(0xc0 | (next() % 2));
				if (at + 1 < n)
					b[at + 1] = (uint8_t)(next() % n);
				break;
			case 2:
				n = at;
				break;
			default:
				b[at] = (uint8_t)next();
			}
		}
		fuzz_one(b, n);
		bad += q.nq == 0;
	}
	CU_ASSERT(bad < 100000);
}

void unit_register(void)
{
	UNIT_SUITE("dns_sink");
	UNIT_TEST(test_parse_valid);
	UNIT_TEST(test_parse_escapes);
	UNIT_TEST(test_parse_pointers);
	UNIT_TEST(test_parse_truncated);
	UNIT_TEST(test_parse_label_and_name_limits);
	UNIT_TEST(test_build_replies);
	UNIT_TEST(test_marker_in_qname);
	UNIT_TEST(test_mscan_boundaries);
	UNIT_TEST(test_fuzz);
}
