/* test_packet.c - the frame decoder on hand-built and broken frames. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frames.h"
#include "util.h"

static void test_parse_v4_tcp_syn_with_options(void)
{
	struct fb f;
	struct pkt_info pi;
	uint8_t l4[64];
	char s[256];
	uint32_t n = l4_tcp(l4, 40000, 3128, 0x02, NULL, 0);

	eth(&f, POD_MAC, WAN_MAC, 0x0800);
	ip4(&f, "10.88.0.2", "198.51.100.10", IPPROTO_TCP, 2, 0x4000, 7, l4, n);
	f.b[f.n++] = 0; /* Ethernet padding beyond the IP total length */
	f.b[f.n++] = 0;
	CU_ASSERT_EQUAL(pkt_parse(f.b, f.n, PKT_LINK_EN10MB, &pi), 0);
	CU_ASSERT(pi.flags & PKT_F_IP);
	CU_ASSERT(pi.flags & PKT_F_L4);
	CU_ASSERT_FALSE(pi.flags & (PKT_F_TRUNC | PKT_F_BAD | PKT_F_FRAG));
	CU_ASSERT_EQUAL(pi.ipver, 4);
	CU_ASSERT_EQUAL(pi.proto, IPPROTO_TCP);
	CU_ASSERT_EQUAL(pi.sport, 40000);
	CU_ASSERT_EQUAL(pi.dport, 3128);
	CU_ASSERT_EQUAL(pi.tcp_flags, 0x02);
	CU_ASSERT_EQUAL(pi.l4_off, 14 + 28);
	CU_ASSERT_EQUAL(pi.payload_off, 14 + 28 + 20);
	CU_ASSERT_EQUAL(pi.payload_len, 0); /* padding is not payload */
	CU_ASSERT_STRING_EQUAL(pkt_addr_str(pi.src, s, sizeof(s)), "10.88.0.2");
	CU_ASSERT_STRING_EQUAL(pkt_addr_str(pi.dst, s, sizeof(s)), "198.51.100.10");
	pkt_summary(f.b, f.n, f.n, &pi, s, sizeof(s));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "IP 10.88.0.2.40000 > 198.51.100.10.3128: Flags [S]"));
}

static void test_parse_v6_udp_extension_headers(void)
{
	struct fb f;
	struct pkt_info pi;
	uint8_t l4[64], ext[64];
	uint32_t n = l4_udp(l4, 5353, 9999, "abc", 3);

	/* hop-by-hop (8) -> dest-opts (16) -> routing (8) -> fragment (8) -> UDP */
	memset(ext, 0, sizeof(ext));
	ext[0] = 60;  /* HBH: next = dest opts */
	ext[1] = 0;   /* 8 bytes */
	ext[8] = 43;  /* dest opts: next = routing */
	ext[9] = 1;   /* 16 bytes */
	ext[24] = 44; /* routing: next = fragment */
	ext[25] = 0;
	ext[32] = IPPROTO_UDP; /* fragment: next = UDP */
	ext[35] = 1;	       /* offset 0, M=1: a first fragment */
	ext[36] = 0xde;	       /* id */
	eth(&f, POD_MAC, WAN_MAC, 0x86dd);
	ip6(&f, "fd00:88::2", "2001:db8:100::10", 0, ext, 40, l4, n);
	CU_ASSERT_EQUAL(pkt_parse(f.b, f.n, PKT_LINK_EN10MB, &pi), 0);
	CU_ASSERT_EQUAL(pi.ipver, 6);
	CU_ASSERT_EQUAL(pi.proto, IPPROTO_UDP);
	CU_ASSERT(pi.flags & PKT_F_L4);
	CU_ASSERT(pi.flags & PKT_F_FRAG);
	CU_ASSERT_FALSE(pi.flags & PKT_F_FRAG_LATER);
	CU_ASSERT_EQUAL(pi.frag_id, 0xde000000u);
	CU_ASSERT_EQUAL(pi.sport, 5353);
	CU_ASSERT_EQUAL(pi.dport, 9999);
	CU_ASSERT_EQUAL(pi.payload_len, 3);
	CU_ASSERT_EQUAL(memcmp(f.b + pi.payload_off, "abc", 3), 0);

	/* AH is skipped too (length in 4-byte units + 2) */
	memset(ext, 0, sizeof(ext));
	ext[0] = IPPROTO_UDP;
	ext[1] = 4; /* (4 + 2) * 4 = 24 bytes */
	eth(&f, POD_MAC, WAN_MAC, 0x86dd);
	ip6(&f, "fd00:88::2", "2001:db8:100::10", 51, ext, 24, l4, n);
	CU_ASSERT_EQUAL(pkt_parse(f.b, f.n, PKT_LINK_EN10MB, &pi), 0);
	CU_ASSERT_EQUAL(pi.proto, IPPROTO_UDP);
	CU_ASSERT_EQUAL(pi.dport, 9999);
}

static void test_parse_sctp_init_udplite_vlan(void)
{
	struct fb f;
	struct pkt_info pi;
	uint8_t l4[64] = {0x9c, 0x40, 0x00, 0x50}; /* 40000 -> 80 */
	char s[256];

	l4[12] = 1; /* INIT */
	put16(l4 + 14, 20);
	l4[32] = 6; /* a second chunk: ABORT */
	put16(l4 + 34, 4);
	eth(&f, POD_MAC, WAN_MAC, 0x8100); /* 802.1Q tag, then IPv4 */
	put16(f.b + 14, 5);
	put16(f.b + 16, 0x0800);
	f.n = 18;
	ip4(&f, "10.88.0.2", "198.51.100.10", PKT_PROTO_SCTP, 0, 0, 3, l4, 36);
	CU_ASSERT_EQUAL(pkt_parse(f.b, f.n, PKT_LINK_EN10MB, &pi), 0);
	CU_ASSERT(pi.flags & PKT_F_VLAN);
	CU_ASSERT_EQUAL(pi.proto, PKT_PROTO_SCTP);
	CU_ASSERT_EQUAL(pi.sport, 40000);
	CU_ASSERT_EQUAL(pi.dport, 80);
	CU_ASSERT_EQUAL(pi.sctp_chunks, (1u << 1) | (1u << 6));
	pkt_summary(f.b, f.n, f.n, &pi, s, sizeof(s));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "sctp [INIT,ABORT]"));

	l4_udp(l4, 1000, 2000, "x", 1);
	eth(&f, POD_MAC, WAN_MAC, 0x0800);
	ip4(&f, "10.88.0.2", "198.51.100.10", PKT_PROTO_UDPLITE, 0, 0, 3, l4, 9);
	CU_ASSERT_EQUAL(pkt_parse(f.b, f.n, PKT_LINK_EN10MB, &pi), 0);
	CU_ASSERT_EQUAL(pi.proto, PKT_PROTO_UDPLITE);
	CU_ASSERT_EQUAL(pi.dport, 2000);
}

static void test_parse_icmp_echo_error_and_noise(void)
{
	struct fb f, inner;
	struct pkt_info pi;
	uint8_t l4[256] = {8, 0, 0, 0, 0x12, 0x34, 0, 9};
	uint8_t u[64];

	memcpy(l4 + 8, MARKER, 26);
	eth(&f, POD_MAC, WAN_MAC, 0x0800);
	ip4(&f, "10.88.0.2", "198.51.100.10", IPPROTO_ICMP, 0, 0, 4, l4, 34);
	CU_ASSERT_EQUAL(pkt_parse(f.b, f.n, PKT_LINK_EN10MB, &pi), 0);
	CU_ASSERT(pi.flags & PKT_F_ECHO);
	CU_ASSERT_EQUAL(pi.sport, 0x1234);
	CU_ASSERT_EQUAL(pi.icmp_seq, 9);
	CU_ASSERT_EQUAL(pi.payload_len, 26);

	/* port unreachable quoting a UDP datagram 198.51.100.53:53 -> pod */
	inner.n = 0;
	ip4(&inner, "198.51.100.53", "10.88.0.2", IPPROTO_UDP, 0, 0, 5, u,
	    l4_udp(u, 53, 41000, "resp", 4));
	memset(l4, 0, 8);
	l4[0] = 3;
	l4[1] = 3;
	memcpy(l4 + 8, inner.b, inner.n);
	eth(&f, POD_MAC, WAN_MAC, 0x0800);
	ip4(&f, "10.88.0.2", "198.51.100.53", IPPROTO_ICMP, 0, 0, 6, l4, 8 + inner.n);
	CU_ASSERT_EQUAL(pkt_parse(f.b, f.n, PKT_LINK_EN10MB, &pi), 0);
	CU_ASSERT(pi.flags & PKT_F_ICMP_ERR);
	CU_ASSERT(pi.inner.valid);
	CU_ASSERT_EQUAL(pi.inner.proto, IPPROTO_UDP);
	CU_ASSERT_EQUAL(pi.inner.sport, 53);
	CU_ASSERT_EQUAL(pi.inner.dport, 41000);

	/* ICMPv6 neighbor solicitation and MLDv2 report are link noise */
	memset(l4, 0, 32);
	l4[0] = 135;
	eth(&f, POD_MAC, BCAST_MAC, 0x86dd);
	ip6(&f, "fd00:88::2", "ff02::1:ff00:1", IPPROTO_ICMPV6, NULL, 0, l4, 24);
	CU_ASSERT_EQUAL(pkt_parse(f.b, f.n, PKT_LINK_EN10MB, &pi), 0);
	CU_ASSERT(pi.flags & PKT_F_NOISE);
	l4[0] = 143;
	ip6(&f, "fe80::2", "ff02::16", IPPROTO_ICMPV6, NULL, 0, l4, 8);
	f.n = 14;
	ip6(&f, "fe80::2", "ff02::16", IPPROTO_ICMPV6, NULL, 0, l4, 8);
	CU_ASSERT_EQUAL(pkt_parse(f.b, f.n, PKT_LINK_EN10MB, &pi), 0);
	CU_ASSERT(pi.flags & PKT_F_NOISE);

	/* ARP who-has */
	eth(&f, POD_MAC, BCAST_MAC, 0x0806);
	memset(f.b + 14, 0, 28);
	put16(f.b + 14, 1);
	put16(f.b + 16, 0x0800);
	f.b[18] = 6;
	f.b[19] = 4;
	put16(f.b + 20, 1);
	inet_pton(AF_INET, "10.88.0.2", f.b + 28);
	inet_pton(AF_INET, "10.88.0.1", f.b + 38);
	f.n = 42;
	CU_ASSERT_EQUAL(pkt_parse(f.b, f.n, PKT_LINK_EN10MB, &pi), 0);
	CU_ASSERT(pi.flags & PKT_F_NOISE);
	CU_ASSERT_EQUAL(pi.arp_op, 1);
}

static void test_addresses_and_v4_mapped(void)
{
	uint8_t a[16], b[16];
	char s[64];

	CU_ASSERT_EQUAL(pkt_addr_parse("::ffff:198.51.100.10", a), 0);
	CU_ASSERT_EQUAL(pkt_addr_parse("198.51.100.10", b), 0);
	CU_ASSERT_EQUAL(memcmp(a, b, 16), 0);
	CU_ASSERT(pkt_addr_is_v4(a));
	CU_ASSERT_STRING_EQUAL(pkt_addr_str(a, s, sizeof(s)), "198.51.100.10");
	CU_ASSERT_EQUAL(pkt_addr_parse("[2001:db8:100::10]", a), 0);
	CU_ASSERT_FALSE(pkt_addr_is_v4(a));
	CU_ASSERT_EQUAL(pkt_addr_parse("300.1.1.1", a), -1);
	CU_ASSERT_EQUAL(pkt_addr_parse("", a), -1);
	CU_ASSERT_EQUAL(pkt_addr_parse(NULL, a), -1);
	pkt_addr_parse("255.255.255.255", a);
	CU_ASSERT(pkt_addr_is_local_scope(a));
	pkt_addr_parse("ff02::1", a);
	CU_ASSERT(pkt_addr_is_local_scope(a));
	/* link-local unicast leaves the pod: not local (a review found TCP
	 * to 169.254.X.Y and to the gateway's fe80:: judged BLOCKED) */
	pkt_addr_parse("fe80::1", a);
	CU_ASSERT_FALSE(pkt_addr_is_local_scope(a));
	pkt_addr_parse("169.254.1.1", a);
	CU_ASSERT_FALSE(pkt_addr_is_local_scope(a));
	pkt_addr_parse("10.88.0.1", a);
	CU_ASSERT_FALSE(pkt_addr_is_local_scope(a));
	pkt_addr_parse("224.0.0.1", a);
	CU_ASSERT(pkt_addr_is_local_scope(a));
	/* Class E is routed as unicast by Linux: egress there is direct. */
	pkt_addr_parse("240.0.0.1", a);
	CU_ASSERT_FALSE(pkt_addr_is_local_scope(a));
	pkt_addr_parse("255.255.255.254", a);
	CU_ASSERT_FALSE(pkt_addr_is_local_scope(a));
}

/* Every prefix of valid frames, random bytes and mutated frames, for every
 * link type: the decoder and the judge must neither crash nor read out of
 * bounds (ASan checks that: each frame is copied into an exact-size heap
 * buffer). */
static void test_truncated_and_garbage_never_crash(void)
{
	static const int links[] = {
	    PKT_LINK_EN10MB, PKT_LINK_RAW, PKT_LINK_LINUX_SLL, PKT_LINK_LINUX_SLL2, PKT_LINK_IPV4,
	    PKT_LINK_IPV6,   999};
	struct fb frames[4], f;
	uint8_t l4[256], ext[48] = {0};
	struct pkt_info pi;
	struct capture *c;
	struct capture_verdict v;
	struct perr e;
	char s[256];
	uint32_t seed = 12345;

	eth(&frames[0], POD_MAC, WAN_MAC, 0x0800);
	ip4(&frames[0], "10.88.0.2", "198.51.100.10", IPPROTO_TCP, 3, 0, 1, l4,
	    l4_tcp(l4, 1, 2, 0x18, MARKER, 26));
	ext[0] = 44;
	ext[8] = IPPROTO_UDP;
	eth(&frames[1], POD_MAC, WAN_MAC, 0x86dd);
	ip6(&frames[1], "fd00:88::2", "2001:db8:100::10", 0, ext, 16, l4, l4_udp(l4, 1, 2, "x", 1));
	memset(l4, 0, 8);
	l4[0] = 3;
	memcpy(l4 + 8, frames[0].b + 14, 40);
	eth(&frames[2], WAN_MAC, POD_MAC, 0x0800);
	ip4(&frames[2], "10.88.0.1", "10.88.0.2", IPPROTO_ICMP, 0, 0, 1, l4, 48);
	eth(&frames[3], POD_MAC, WAN_MAC, 0x0800);
	ip4(&frames[3], "10.88.0.2", "198.51.100.10", PKT_PROTO_SCTP, 0, 0, 1, l4, 40);

	c = new_capture();
	for (size_t fi = 0; fi < 4; fi++) {
		for (uint32_t len = 0; len <= frames[fi].n; len++) {
			for (size_t li = 0; li < sizeof(links) / sizeof(links[0]); li++) {
				uint8_t *h = malloc(len ? len : 1);
				memcpy(h, frames[fi].b, len);
				pkt_parse(h, len, links[li], &pi);
				pkt_summary(h, len, len, &pi, s, sizeof(s));
				free(h);
			}
			capture_add(c, ts_ns++, frames[fi].b, len, len, &e);
		}
	}
	for (int i = 0; i < 3000; i++) {
		uint32_t len = 0;
		f = frames[i % 4];
		for (int k = 0; k < 6; k++) { /* flip some bytes */
			seed = seed * 1103515245u + 12345u;
			f.b[(seed >> 8) % f.n] = (uint8_t)(seed >> 16);
		}
		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % (f.n + 1);
		if (i % 7 == 0) /* pure garbage */
			for (uint32_t k = 0; k < len; k++) {
				seed = seed * 1103515245u + 12345u;
				f.b[k] = (uint8_t)(seed >> 16);
			}
		uint8_t *h = malloc(len ? len : 1);
		memcpy(h, f.b, len);
		for (size_t li = 0; li < sizeof(links) / sizeof(links[0]); li++) {
			pkt_parse(h, len, links[li], &pi);
			pkt_summary(h, len, len, &pi, s, sizeof(s));
		}
		free(h);
		capture_add(c, ts_ns++, f.b, len, len, &e);
	}
	CU_ASSERT_EQUAL(pkt_parse(NULL, 0, PKT_LINK_EN10MB, &pi), -1);
	CU_ASSERT_EQUAL(capture_judge(c, MARKER, POD, SVC, NULL, 0, &v, &e), 0);
	CU_ASSERT(v.flows > 0);
	json_decref(capture_verdict_json(&v, 0));
	capture_verdict_free(&v);
	capture_free(c);
}

void unit_register(void)
{
	UNIT_SUITE("packet");
	UNIT_TEST(test_parse_v4_tcp_syn_with_options);
	UNIT_TEST(test_parse_v6_udp_extension_headers);
	UNIT_TEST(test_parse_sctp_init_udplite_vlan);
	UNIT_TEST(test_parse_icmp_echo_error_and_noise);
	UNIT_TEST(test_addresses_and_v4_mapped);
	UNIT_TEST(test_truncated_and_garbage_never_crash);
}
