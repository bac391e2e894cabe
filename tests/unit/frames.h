/* frames.h - hand-built frames for the capture witness's unit tests:
 * Ethernet, IPv4 (options, fragments), IPv6 (extension chains), TCP, UDP,
 * and a few helpers that add them to an offline capture. Header-only; each
 * test program includes it once. */
#ifndef PARITY_TEST_FRAMES_H
#define PARITY_TEST_FRAMES_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "matrix/capture.h"
#include "matrix/packet.h"
#include "unit.h"

static const uint8_t POD_MAC[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t WAN_MAC[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t BCAST_MAC[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const char *const POD[] = {"10.88.0.2", "fd00:88::2", NULL};
static const char *const SVC[] = {"198.51.100.10",    "198.51.100.53",	  "203.0.113.80",
				  "2001:db8:100::10", "2001:db8:100::53", NULL};
static const char MARKER[] = "pm0123456789abcdef01234567";

/* ---- frame builders ------------------------------------------------------ */

struct fb {
	uint8_t b[4096];
	uint32_t n;
};

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void eth(struct fb *f, const uint8_t *src, const uint8_t *dst, uint16_t type)
{
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	put16(f->b + 12, type);
	f->n = 14;
}

static inline uint32_t l4_tcp(uint8_t *p, uint16_t sp, uint16_t dp, uint8_t flags, const void *pl,
			      size_t n)
{
	memset(p, 0, 20);
	put16(p, sp);
	put16(p + 2, dp);
	p[4] = 0x10; /* seq */
	p[12] = 5 << 4;
	p[13] = flags;
	put16(p + 14, 65535);
	if (n)
		memcpy(p + 20, pl, n);
	return 20 + (uint32_t)n;
}

static inline uint32_t l4_udp(uint8_t *p, uint16_t sp, uint16_t dp, const void *pl, size_t n)
{
	put16(p, sp);
	put16(p + 2, dp);
	put16(p + 4, (uint16_t)(8 + n));
	put16(p + 6, 0);
	if (n)
		memcpy(p + 8, pl, n);
	return 8 + (uint32_t)n;
}

/* IPv4 with `optw` 4-byte option words and a raw flags/fragment field. */
static inline void ip4(struct fb *f, const char *src, const char *dst, uint8_t proto, int optw,
		       uint16_t frag, uint16_t id, const uint8_t *l4, uint32_t l4n)
{
	uint8_t *p = f->b + f->n;
	uint32_t hl = 20 + 4 * (uint32_t)optw;
	memset(p, 0, hl);
	p[0] = (uint8_t)(0x40 | (hl / 4));
	put16(p + 2, (uint16_t)(hl + l4n));
	put16(p + 4, id);
	put16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	for (int i = 0; i < optw; i++)
		p[20 + 4 * i] = 1; /* NOP */
	memcpy(p + hl, l4, l4n);
	f->n += hl + l4n;
}

/* IPv6 with an extension chain `ext` (already linked, first next-header
 * in nh0). */
static inline void ip6(struct fb *f, const char *src, const char *dst, uint8_t nh0,
		       const uint8_t *ext, uint32_t extn, const uint8_t *l4, uint32_t l4n)
{
	uint8_t *p = f->b + f->n;
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, (uint16_t)(extn + l4n));
	p[6] = nh0;
	p[7] = 64;
	inet_pton(AF_INET6, src, p + 8);
	inet_pton(AF_INET6, dst, p + 24);
	if (extn)
		memcpy(p + 40, ext, extn);
	memcpy(p + 40 + extn, l4, l4n);
	f->n += 40 + extn + l4n;
}

static uint64_t ts_ns = 1700000000000000000ull;

static inline void add(struct capture *c, const struct fb *f)
{
	struct perr e;
	ts_ns += 1000;
	CU_ASSERT_EQUAL_FATAL(capture_add(c, ts_ns, f->b, f->n, f->n, &e), 0);
}

static inline struct capture *new_capture(void)
{
	struct capture *c;
	struct perr e;
	CU_ASSERT_EQUAL_FATAL(capture_new(&c, PKT_LINK_EN10MB, 65535, &e), 0);
	capture_set_local_mac(c, WAN_MAC);
	return c;
}

/* pod -> wan TCP segment / UDP datagram (IPv4) */
static inline void tcp4(struct capture *c, bool from_pod, const char *a, uint16_t ap, const char *b,
			uint16_t bp, uint8_t flags, const char *pl)
{
	struct fb f;
	uint8_t l4[1600];
	uint32_t n = l4_tcp(l4, ap, bp, flags, pl, pl ? strlen(pl) : 0);
	eth(&f, from_pod ? POD_MAC : WAN_MAC, from_pod ? WAN_MAC : POD_MAC, 0x0800);
	ip4(&f, a, b, IPPROTO_TCP, 0, 0x4000, 1, l4, n);
	add(c, &f);
}

static inline void udp4(struct capture *c, bool from_pod, const char *a, uint16_t ap, const char *b,
			uint16_t bp, const void *pl, size_t n)
{
	struct fb f;
	uint8_t l4[1600];
	uint32_t m = l4_udp(l4, ap, bp, pl, n);
	eth(&f, from_pod ? POD_MAC : WAN_MAC, from_pod ? WAN_MAC : POD_MAC, 0x0800);
	ip4(&f, a, b, IPPROTO_UDP, 0, 0, 2, l4, m);
	add(c, &f);
}

static inline const struct capture_flow *flow_to(const struct capture_verdict *v, uint8_t proto,
						 const char *dst, uint16_t dport)
{
	for (unsigned i = 0; i < v->flows; i++) {
		const struct capture_flow *f = &v->flowv[i];
		if (f->ip && f->proto == proto && !strcmp(f->dst, dst) && f->dport == dport)
			return f;
	}
	return NULL;
}

static inline size_t dns_qname(uint8_t *q, const char *label)
{
	static const uint8_t tail[] = {5,   'e', 'x', 'f', 'i', 'l', 4, 't',
				       'e', 's', 't', 0,   0,	1,   0, 1};
	size_t n = 12, l = strlen(label);
	memset(q, 0, 12);
	q[5] = 1;
	q[n++] = (uint8_t)l;
	memcpy(q + n, label, l);
	n += l;
	memcpy(q + n, tail, sizeof(tail));
	return n + sizeof(tail);
}

#endif
