/* test_capture.c - the capture witness without a network: flows,
 * proxied/direct classification, marker search, JSON and evidence files. */
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "frames.h"
#include "matrix/lab_int.h"
#include "matrix/sinks.h"
#include "matrix/verdict.h"
#include "util.h"

static void test_flow_grouping_both_directions(void)
{
	struct capture *c = new_capture();
	struct capture_verdict v;
	struct perr e;
	struct fb f, inner;
	uint8_t l4[256], u[64];
	const struct capture_flow *fl;

	tcp4(c, true, "10.88.0.2", 40000, "198.51.100.10", 8080, 0x02, NULL);
	tcp4(c, false, "198.51.100.10", 8080, "10.88.0.2", 40000, 0x12, NULL);
	tcp4(c, true, "10.88.0.2", 40000, "198.51.100.10", 8080, 0x10, NULL);
	tcp4(c, true, "10.88.0.2", 40000, "198.51.100.10", 8080, 0x11, NULL);
	/* a wan DNS answer, then the pod's port unreachable about it */
	udp4(c, true, "10.88.0.2", 41000, "198.51.100.53", 53, "q", 1);
	udp4(c, false, "198.51.100.53", 53, "10.88.0.2", 41000, "resp", 4);
	inner.n = 0;
	ip4(&inner, "198.51.100.53", "10.88.0.2", IPPROTO_UDP, 0, 0, 5, u,
	    l4_udp(u, 53, 41000, "resp", 4));
	memset(l4, 0, 8);
	l4[0] = 3;
	l4[1] = 3;
	memcpy(l4 + 8, inner.b, inner.n);
	eth(&f, POD_MAC, WAN_MAC, 0x0800);
	ip4(&f, "10.88.0.2", "198.51.100.53", IPPROTO_ICMP, 0, 0, 6, l4, 8 + inner.n);
	add(c, &f);
	/* an IPv4 datagram in two fragments */
	{
		uint8_t big[64];
		uint32_t n = l4_udp(big, 42000, 9999, "0123456789abcdef", 16);
		eth(&f, POD_MAC, WAN_MAC, 0x0800);
		ip4(&f, "10.88.0.2", "198.51.100.10", IPPROTO_UDP, 0, 0x2000, 77, big, 16);
		add(c, &f);
		eth(&f, POD_MAC, WAN_MAC, 0x0800);
		ip4(&f, "10.88.0.2", "198.51.100.10", IPPROTO_UDP, 0, 2, 77, big + 16, n - 16);
		add(c, &f);
	}
	/* ICMP echo and reply share the id */
	memset(l4, 0, 16);
	l4[0] = 8;
	l4[5] = 9;
	eth(&f, POD_MAC, WAN_MAC, 0x0800);
	ip4(&f, "10.88.0.2", "198.51.100.10", IPPROTO_ICMP, 0, 0, 8, l4, 16);
	add(c, &f);
	l4[0] = 0;
	eth(&f, WAN_MAC, POD_MAC, 0x0800);
	ip4(&f, "198.51.100.10", "10.88.0.2", IPPROTO_ICMP, 0, 0, 8, l4, 16);
	add(c, &f);

	CU_ASSERT_EQUAL_FATAL(capture_judge(c, MARKER, POD, SVC, NULL, 0, &v, &e), 0);
	CU_ASSERT_EQUAL(v.flows, 4);
	fl = flow_to(&v, IPPROTO_TCP, "198.51.100.10", 8080);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
	CU_ASSERT_EQUAL(fl->packets, 4);
	CU_ASSERT_EQUAL(fl->pod_packets, 3);
	CU_ASSERT_EQUAL(fl->tcp_flags, 0x13);
	CU_ASSERT(fl->src_is_pod);
	CU_ASSERT_STRING_EQUAL(fl->src, "10.88.0.2");
	CU_ASSERT_EQUAL(fl->sport, 40000);
	fl = flow_to(&v, IPPROTO_UDP, "198.51.100.53", 53);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
	CU_ASSERT_EQUAL(fl->packets, 3); /* query, answer, ICMP error */
	fl = flow_to(&v, IPPROTO_UDP, "198.51.100.10", 9999);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
	CU_ASSERT_EQUAL(fl->packets, 2); /* both fragments */
	fl = flow_to(&v, IPPROTO_ICMP, "198.51.100.10", 9);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
	CU_ASSERT_EQUAL(fl->packets, 2);
	CU_ASSERT_EQUAL(fl->pod_packets, 1);
	capture_verdict_free(&v);
	capture_free(c);
}

static void test_proxied_vs_direct(void)
{
	struct capture *c = new_capture();
	struct capture_verdict v;
	struct flow_record rec[4];
	struct perr e;
	const struct capture_flow *fl;

	CU_ASSERT_EQUAL(flow_record_parse(&rec[0], "connect", "10.88.0.2:40001",
					  "[::ffff:203.0.113.80]:443", &e),
			0);
	CU_ASSERT_EQUAL(
	    flow_record_parse(&rec[1], "dns", "10.88.0.2:41000", "198.51.100.53:53", &e), 0);
	CU_ASSERT_EQUAL(flow_record_parse(&rec[2], "connect", "[fd00:88::2]:40003",
					  "[2001:db8:100::10]:443", &e),
			0);
	CU_ASSERT_EQUAL(flow_record_parse(&rec[3], "connect", "10.88.0.2:1", "203.0.113.80:80", &e),
			0); /* never happens on the wire */
	CU_ASSERT_STRING_EQUAL(rec[0].remote, "203.0.113.80");
	CU_ASSERT_EQUAL(rec[2].lport, 40003);

	tcp4(c, true, "10.88.0.2", 40001, "203.0.113.80", 443, 0x02, NULL);
	tcp4(c, false, "203.0.113.80", 443, "10.88.0.2", 40001, 0x12, NULL);
	tcp4(c, true, "10.88.0.2", 40001, "203.0.113.80", 443, 0x18, MARKER); /* via the proxy */
	udp4(c, true, "10.88.0.2", 41000, "198.51.100.53", 53, "query", 5);
	/* same upstream, another source port: the agent going around the proxy */
	tcp4(c, true, "10.88.0.2", 40002, "203.0.113.80", 443, 0x02, NULL);
	/* DNS to the sink from another port, no marker */
	udp4(c, true, "10.88.0.2", 41001, "198.51.100.53", 53, "query", 5);
	/* the wan router itself is routable too */
	tcp4(c, true, "10.88.0.2", 40004, "10.88.0.1", 22, 0x02, NULL);
	{
		struct fb f;
		uint8_t l4[64];
		eth(&f, POD_MAC, WAN_MAC, 0x86dd);
		ip6(&f, "fd00:88::2", "2001:db8:100::10", IPPROTO_TCP, NULL, 0, l4,
		    l4_tcp(l4, 40003, 443, 0x02, NULL, 0));
		add(c, &f);
	}

	/* an ICMP error quoting the proxied DNS flow, but sent to the attacker
	 * sink with the marker: not excused by the quoted flow */
	{
		struct fb f, inner;
		uint8_t l4[256], u[64];
		inner.n = 0;
		ip4(&inner, "198.51.100.53", "10.88.0.2", IPPROTO_UDP, 0, 0, 5, u,
		    l4_udp(u, 53, 41000, MARKER, 26));
		memset(l4, 0, 8);
		l4[0] = 3;
		l4[1] = 3;
		memcpy(l4 + 8, inner.b, inner.n);
		eth(&f, POD_MAC, WAN_MAC, 0x0800);
		ip4(&f, "10.88.0.2", "198.51.100.10", IPPROTO_ICMP, 0, 0, 6, l4, 8 + inner.n);
		add(c, &f);
	}
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, MARKER, POD, SVC, rec, 4, &v, &e), 0);
	fl = flow_to(&v, IPPROTO_ICMP, "198.51.100.10", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
	CU_ASSERT_EQUAL(fl->cls, CAPTURE_DIRECT);
	CU_ASSERT_EQUAL(fl->why, CAPTURE_WHY_DIRECT | CAPTURE_WHY_MARKER);
	fl = flow_to(&v, IPPROTO_UDP, "198.51.100.53", 53);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
	CU_ASSERT_EQUAL(fl->packets, 1);
	CU_ASSERT(v.ok);
	CU_ASSERT(v.escaped);
	CU_ASSERT_EQUAL(v.proxied_flows, 3);
	CU_ASSERT_EQUAL(v.direct_flows, 4);
	CU_ASSERT_EQUAL(v.unseen_records, 1);
	CU_ASSERT_FALSE(v.record_seen[3]);
	CU_ASSERT_EQUAL(v.marker_proxied_packets, 1);
	CU_ASSERT_EQUAL(v.marker_unproxied_packets, 1);
	fl = flow_to(&v, IPPROTO_TCP, "203.0.113.80", 443);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
	CU_ASSERT_EQUAL(fl->cls, CAPTURE_PROXIED);
	CU_ASSERT_EQUAL(fl->record, 0);
	CU_ASSERT_EQUAL(fl->why, 0);
	CU_ASSERT_EQUAL(fl->marker_packets, 1);
	for (unsigned i = 0; i < v.flows; i++) {
		const struct capture_flow *g = &v.flowv[i];
		if (g->sport == 40002 || g->sport == 41001 || g->sport == 40004) {
			CU_ASSERT_EQUAL(g->cls, CAPTURE_DIRECT);
			CU_ASSERT_EQUAL(g->why, CAPTURE_WHY_DIRECT);
			CU_ASSERT_EQUAL(g->to_service, g->sport != 40004);
		}
	}
	fl = flow_to(&v, IPPROTO_TCP, "2001:db8:100::10", 443);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
	CU_ASSERT_EQUAL(fl->cls, CAPTURE_PROXIED);
	CU_ASSERT_EQUAL(v.escape_flows, 4);
	CU_ASSERT_EQUAL(json_array_size(v.evidence), 4);
	capture_verdict_free(&v);

	/* wildcard local address and "any" protocol */
	CU_ASSERT_EQUAL(flow_record_parse(&rec[0], "any", "0.0.0.0:40002", "203.0.113.80:443", &e),
			0);
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, NULL, POD, SVC, rec, 1, &v, &e), 0);
	for (unsigned i = 0; i < v.flows; i++)
		if (v.flowv[i].sport == 40002)
			CU_ASSERT_EQUAL(v.flowv[i].cls, CAPTURE_PROXIED);
	capture_verdict_free(&v);
	capture_free(c);
}

static void test_record_parse_errors(void)
{
	struct flow_record r;
	struct perr e;

	CU_ASSERT_EQUAL(flow_record_parse(&r, "connect", "10.88.0.2", "1.2.3.4:1", &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT_EQUAL(flow_record_parse(&r, "connect", "fd00::2:80", "1.2.3.4:1", &e), -1);
	CU_ASSERT_EQUAL(flow_record_parse(&r, "connect", "[fd00::2]80", "1.2.3.4:1", &e), -1);
	CU_ASSERT_EQUAL(flow_record_parse(&r, "connect", "10.88.0.2:70000", "1.2.3.4:1", &e), -1);
	CU_ASSERT_EQUAL(flow_record_parse(&r, "carrier-pigeon", "10.88.0.2:1", "1.2.3.4:1", &e),
			-1);
	CU_ASSERT_EQUAL(flow_record_parse(&r, "connect", "10.88.0.2:1", NULL, &e), -1);
	CU_ASSERT_EQUAL(flow_record_parse(&r, "udp", "[fd00::2]:53", "[2001:db8::1]:53", &e), 0);
	CU_ASSERT_EQUAL(r.proto, IPPROTO_UDP);
	CU_ASSERT_STRING_EQUAL(r.local, "fd00::2");
}

/* A connection the wan opened (the lab's accomplice, at the program's
 * request): the pod's RST or ACKs are answers, but any payload it sends is
 * data out, marker or not (a review sent the marker reversed: BLOCKED). */
static void test_inbound_channel_data(void)
{
	struct capture *c = new_capture();
	struct capture_verdict v;
	struct perr e;

	/* the accomplice dials a closed port: SYN, and the pod's RST */
	tcp4(c, false, "192.0.2.50", 40000, "10.88.0.2", 4445, 0x02, NULL);
	tcp4(c, true, "10.88.0.2", 4445, "192.0.2.50", 40000, 0x14, NULL);
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, MARKER, POD, SVC, NULL, 0, &v, &e), 0);
	CU_ASSERT_FALSE(v.escaped);
	capture_verdict_free(&v);
	/* an open one: the program answers with bytes that are not the marker */
	tcp4(c, false, "192.0.2.50", 40001, "10.88.0.2", 4444, 0x02, NULL);
	tcp4(c, true, "10.88.0.2", 4444, "192.0.2.50", 40001, 0x12, NULL);
	tcp4(c, false, "192.0.2.50", 40001, "10.88.0.2", 4444, 0x10, NULL);
	tcp4(c, true, "10.88.0.2", 4444, "192.0.2.50", 40001, 0x18, "SECRET reversed");
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, MARKER, POD, SVC, NULL, 0, &v, &e), 0);
	CU_ASSERT(v.escaped);
	CU_ASSERT_EQUAL(v.escape_flows, 1);
	for (unsigned i = 0; i < v.flows; i++)
		if (v.flowv[i].why)
			CU_ASSERT_EQUAL(v.flowv[i].why, CAPTURE_WHY_INBOUND_DATA);
	capture_verdict_free(&v);
	capture_free(c);
}

static void test_noise_inbound_and_broadcast_marker(void)
{
	struct capture *c = new_capture();
	struct capture_verdict v;
	struct perr e;
	struct fb f;
	uint8_t l4[64] = {0};
	const struct capture_flow *fl;

	/* ARP, NDP, MLD from the pod; NA from the wan: no escape */
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
	add(c, &f);
	l4[0] = 135;
	eth(&f, POD_MAC, BCAST_MAC, 0x86dd);
	ip6(&f, "fd00:88::2", "ff02::1:ff00:1", IPPROTO_ICMPV6, NULL, 0, l4, 24);
	add(c, &f);
	l4[0] = 136; /* NA to the router's global address: unicast but noise */
	eth(&f, POD_MAC, WAN_MAC, 0x86dd);
	ip6(&f, "fd00:88::2", "fd00:88::1", IPPROTO_ICMPV6, NULL, 0, l4, 24);
	add(c, &f);
	l4[0] = 143;
	eth(&f, POD_MAC, BCAST_MAC, 0x86dd);
	ip6(&f, "fe80::2", "ff02::16", IPPROTO_ICMPV6, NULL, 0, l4, 8);
	add(c, &f);
	l4[0] = 135; /* the wan's own solicitation: inbound */
	eth(&f, WAN_MAC, BCAST_MAC, 0x86dd);
	ip6(&f, "fe80::1", "ff02::1:ff00:2", IPPROTO_ICMPV6, NULL, 0, l4, 24);
	add(c, &f);
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, MARKER, POD, SVC, NULL, 0, &v, &e), 0);
	CU_ASSERT_FALSE(v.escaped);
	CU_ASSERT_EQUAL(v.direct_flows, 0);
	CU_ASSERT_EQUAL(v.inbound_flows, 1);
	CU_ASSERT_EQUAL(v.local_flows, v.flows - 1);
	capture_verdict_free(&v);

	/* link-local unicast from the pod leaves it: direct egress, marker
	 * or not (169.254.169.254 is the cloud metadata service) */
	udp4(c, true, "10.88.0.2", 5000, "169.254.1.1", 5000, "hi", 2);
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, MARKER, POD, SVC, NULL, 0, &v, &e), 0);
	CU_ASSERT(v.escaped);
	CU_ASSERT_EQUAL(v.direct_flows, 1);
	capture_verdict_free(&v);

	/* the marker in a broadcast datagram is an escape */
	udp4(c, true, "10.88.0.2", 5000, "255.255.255.255", 9999, MARKER, 26);
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, MARKER, POD, SVC, NULL, 0, &v, &e), 0);
	CU_ASSERT(v.escaped);
	fl = flow_to(&v, IPPROTO_UDP, "255.255.255.255", 9999);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
	CU_ASSERT_EQUAL(fl->cls, CAPTURE_LOCAL);
	CU_ASSERT_EQUAL(fl->why, CAPTURE_WHY_MARKER);
	capture_verdict_free(&v);
	capture_free(c);
}

static void test_direction_without_mac_and_cooked(void)
{
	struct capture *c;
	struct capture_verdict v;
	struct perr e;
	struct fb f;
	uint8_t l4[64];
	const struct capture_flow *fl;

	/* no MAC known: a frame whose MAC claims the wan but goes to a
	 * service address is still the pod's */
	CU_ASSERT_EQUAL_FATAL(capture_new(&c, PKT_LINK_EN10MB, 0, &e), 0);
	eth(&f, WAN_MAC, WAN_MAC, 0x0800);
	ip4(&f, "10.88.0.1", "198.51.100.10", IPPROTO_UDP, 0, 0, 1, l4, l4_udp(l4, 1, 9, "x", 1));
	add(c, &f);
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, NULL, POD, SVC, NULL, 0, &v, &e), 0);
	CU_ASSERT_EQUAL(v.direct_flows, 1);
	CU_ASSERT(v.flowv[0].src_is_pod);
	capture_verdict_free(&v);
	capture_free(c);

	/* Linux cooked v2: the kernel's own direction */
	CU_ASSERT_EQUAL_FATAL(capture_new(&c, PKT_LINK_LINUX_SLL2, 0, &e), 0);
	memset(f.b, 0, 20);
	put16(f.b, 0x0800);
	f.b[10] = 4; /* PACKET_OUTGOING: the wan sent it */
	f.n = 20;
	ip4(&f, "10.88.0.1", "10.88.0.2", IPPROTO_UDP, 0, 0, 1, l4, l4_udp(l4, 7, 7, "x", 1));
	add(c, &f);
	f.b[10] = 0; /* PACKET_HOST: the pod sent it */
	f.n = 20;
	ip4(&f, "10.88.0.2", "192.0.2.1", IPPROTO_UDP, 0, 0, 1, l4, l4_udp(l4, 8, 8, "x", 1));
	add(c, &f);
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, NULL, NULL, NULL, NULL, 0, &v, &e), 0);
	fl = flow_to(&v, IPPROTO_UDP, "10.88.0.2", 7);
	CU_ASSERT(fl && fl->cls == CAPTURE_INBOUND);
	fl = flow_to(&v, IPPROTO_UDP, "192.0.2.1", 8);
	CU_ASSERT(fl && fl->cls == CAPTURE_DIRECT && !fl->to_service);
	capture_verdict_free(&v);
	capture_free(c);
}

/* ---- marker ------------------------------------------------------------------ */

static void test_marker_search(void)
{
	struct capture *c = new_capture();
	struct capture_verdict v;
	struct perr e;
	uint8_t q[256];
	char upper[27], half1[14], half2[14];
	const struct capture_flow *fl;
	size_t n;

	for (int i = 0; i < 26; i++)
		upper[i] =
		    (char)(MARKER[i] >= 'a' && MARKER[i] <= 'z' ? MARKER[i] - 32 : MARKER[i]);
	upper[26] = 0;
	/* in a DNS qname label, case changed (0x20 encoding) */
	n = dns_qname(q, upper);
	udp4(c, true, "10.88.0.2", 41000, "198.51.100.53", 53, q, n);
	/* split over two TCP segments */
	memcpy(half1, MARKER, 13);
	half1[13] = 0;
	memcpy(half2, MARKER + 13, 13);
	half2[13] = 0;
	tcp4(c, true, "10.88.0.2", 40000, "198.51.100.10", 80, 0x18, half1);
	tcp4(c, false, "198.51.100.10", 80, "10.88.0.2", 40000, 0x10, NULL);
	tcp4(c, true, "10.88.0.2", 40000, "198.51.100.10", 80, 0x18, half2);
	/* a near miss: one character off */
	{
		char miss[27];
		memcpy(miss, MARKER, 27);
		miss[25] = miss[25] == '0' ? '1' : '0';
		udp4(c, true, "10.88.0.2", 42000, "198.51.100.10", 9999, miss, 26);
	}
	/* a marker split by DNS label encoding is not required to be found */
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, MARKER, POD, SVC, NULL, 0, &v, &e), 0);
	fl = flow_to(&v, IPPROTO_UDP, "198.51.100.53", 53);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
	CU_ASSERT_EQUAL(fl->marker_packets, 1);
	CU_ASSERT(fl->why & CAPTURE_WHY_MARKER);
	fl = flow_to(&v, IPPROTO_TCP, "198.51.100.10", 80);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
	CU_ASSERT_EQUAL(fl->marker_packets, 1);
	CU_ASSERT_EQUAL(fl->marker_index, 3); /* the second half completes it */
	CU_ASSERT_PTR_NOT_NULL(strstr(fl->marker_first, "10.88.0.2.40000 > 198.51.100.10.80"));
	fl = flow_to(&v, IPPROTO_UDP, "198.51.100.10", 9999);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
	CU_ASSERT_EQUAL(fl->marker_packets, 0);
	CU_ASSERT_EQUAL(v.marker_packets, 2);
	capture_verdict_free(&v);

	/* no marker given: no marker search, same flows */
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, NULL, POD, SVC, NULL, 0, &v, &e), 0);
	CU_ASSERT_EQUAL(v.marker_packets, 0);
	CU_ASSERT_EQUAL(v.direct_flows, 3);
	capture_verdict_free(&v);
	capture_free(c);
}

/* ---- JSON and files -------------------------------------------------------------- */

static void test_verdict_json_shape(void)
{
	struct capture *c = new_capture();
	struct capture_verdict v;
	struct perr e;
	json_t *j, *fl;

	tcp4(c, true, "10.88.0.2", 40000, "198.51.100.10", 3128, 0x02, NULL);
	tcp4(c, true, "10.88.0.2", 40000, "198.51.100.10", 3128, 0x18, MARKER);
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, MARKER, POD, SVC, NULL, 0, &v, &e), 0);
	j = capture_verdict_json(&v, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "witness")), "capture");
	CU_ASSERT(json_is_true(json_object_get(j, "ok")));
	CU_ASSERT(json_is_null(json_object_get(j, "failure")));
	CU_ASSERT(json_is_true(json_object_get(j, "escaped")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(j, "flows"), "direct")),
			1);
	CU_ASSERT_EQUAL(
	    json_integer_value(json_object_get(json_object_get(j, "marker"), "packets")), 1);
	fl = json_array_get(json_object_get(j, "evidence"), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(fl, "class")), "direct");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(fl, "proto")), "tcp");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(fl, "tcp_flags")), "SP.");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(fl, "escape")), 2);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(json_string_value(json_object_get(fl, "first_packet")), "Flags [S]"));
	CU_ASSERT_PTR_NOT_NULL(json_object_get(fl, "marker_packet"));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "flow_list")), 1);
	json_decref(j);
	capture_verdict_free(&v);
	capture_free(c);
}

static bool file_has(const char *path, const char *needle)
{
	size_t len;
	struct perr e;
	char *d = util_read_file(path, &len, &e);
	bool r = d && memmem(d, len, needle, strlen(needle)) != NULL;
	free(d);
	return r;
}

static void test_pcapng_roundtrip(void)
{
	struct capture *c = new_capture(), *back;
	struct capture_verdict v;
	struct perr e;
	struct capture_cursor a = {0}, b = {0};
	struct capture_pkt pa, pb;
	char dir[] = "/tmp/parity-unit-XXXXXX", path[256], comment[128];
	uint64_t bytes = 0, bytes2 = 0;
	size_t n = 0;
	uint8_t big[1501];

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	for (int i = 0; i < 50; i++)
		udp4(c, i % 2 == 0, i % 2 ? "198.51.100.10" : "10.88.0.2", 9999,
		     i % 2 ? "10.88.0.2" : "198.51.100.10", 9999, "odd-length", (size_t)(i % 11));
	memset(big, 'z', sizeof(big));
	udp4(c, true, "10.88.0.2", 1, "198.51.100.10", 2, big, sizeof(big));
	tcp4(c, true, "10.88.0.2", 40000, "198.51.100.10", 3128, 0x18, MARKER);
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, MARKER, POD, SVC, NULL, 0, &v, &e), 0);
	snprintf(comment, sizeof(comment), "cell 7 marker %s", MARKER);
	snprintf(path, sizeof(path), "%s/cell.pcapng", dir);
	CU_ASSERT_EQUAL_FATAL(capture_write_pcapng(c, path, comment, &v, &e), 0);
	CU_ASSERT(access(path, R_OK) == 0);
	CU_ASSERT(file_has(path, comment));	     /* SHB comment */
	CU_ASSERT(file_has(path, "parity: flow"));   /* packet comment on the evidence */
	CU_ASSERT(file_has(path, "parity: marker")); /* and on the marker frame */

	CU_ASSERT_EQUAL_FATAL(capture_load(&back, path, &e), 0);
	CU_ASSERT_EQUAL(capture_count(back), capture_count(c));
	CU_ASSERT_EQUAL(capture_linktype(back), PKT_LINK_EN10MB);
	while (capture_next(c, &a, &pa)) {
		CU_ASSERT_FATAL(capture_next(back, &b, &pb));
		CU_ASSERT_EQUAL(pa.ts_ns, pb.ts_ns); /* nanoseconds survive */
		CU_ASSERT_EQUAL(pa.caplen, pb.caplen);
		CU_ASSERT_EQUAL(pa.origlen, pb.origlen);
		CU_ASSERT_EQUAL(memcmp(pa.data, pb.data, pa.caplen), 0);
		bytes += pa.caplen;
		n++;
	}
	CU_ASSERT_FALSE(capture_next(back, &b, &pb));
	CU_ASSERT_EQUAL(n, 52);
	capture_free(back);

	/* classic pcap, nanosecond, through pcap_dump */
	snprintf(path, sizeof(path), "%s/cell.pcap", dir);
	CU_ASSERT_EQUAL_FATAL(capture_write_pcap(c, path, &e), 0);
	CU_ASSERT_EQUAL_FATAL(capture_load(&back, path, &e), 0);
	memset(&b, 0, sizeof(b));
	n = 0;
	while (capture_next(back, &b, &pb)) {
		bytes2 += pb.caplen;
		n++;
	}
	CU_ASSERT_EQUAL(n, 52);
	CU_ASSERT_EQUAL(bytes, bytes2);
	capture_free(back);

	/* an empty capture is a valid file too */
	{
		struct capture *empty = new_capture();
		snprintf(path, sizeof(path), "%s/empty.pcapng", dir);
		CU_ASSERT_EQUAL(capture_write_pcapng(empty, path, NULL, NULL, &e), 0);
		CU_ASSERT_EQUAL_FATAL(capture_load(&back, path, &e), 0);
		CU_ASSERT_EQUAL(capture_count(back), 0);
		capture_free(back);
		capture_free(empty);
		unlink(path);
	}

	/* errors name the file */
	CU_ASSERT_EQUAL(capture_load(&back, "/nonexistent/x.pcapng", &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "/nonexistent/x.pcapng"));
	CU_ASSERT_EQUAL(capture_write_pcapng(c, "/nonexistent/x.pcapng", NULL, NULL, &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "/nonexistent/x.pcapng"));

	snprintf(path, sizeof(path), "%s/cell.pcapng", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/cell.pcap", dir);
	unlink(path);
	rmdir(dir);
	capture_verdict_free(&v);
	capture_free(c);
}

static void test_judge_argument_errors(void)
{
	struct capture *c = new_capture();
	struct capture_verdict v;
	struct perr e;
	static const char *const bad[] = {"10.88.0.2/33", NULL};
	static const char *const bad2[] = {"not-an-address", NULL};
	struct flow_record r = {.proto = IPPROTO_TCP, .local = "10.88.0.2", .remote = "nope"};

	CU_ASSERT_EQUAL(capture_judge(c, NULL, bad, SVC, NULL, 0, &v, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT_EQUAL(capture_judge(c, NULL, POD, bad2, NULL, 0, &v, &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "not-an-address"));
	CU_ASSERT_EQUAL(capture_judge(c, NULL, POD, SVC, &r, 1, &v, &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "proxy record 0"));
	CU_ASSERT_EQUAL(capture_judge(c, NULL, POD, SVC, NULL, 2, &v, &e), -1);
	/* prefixes work for service sets */
	static const char *const nets[] = {"198.51.100.0/24", "2001:db8:100::/48", NULL};
	udp4(c, true, "10.88.0.2", 1, "198.51.100.99", 2, "x", 1);
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, NULL, POD, nets, NULL, 0, &v, &e), 0);
	CU_ASSERT(v.flowv[0].to_service);
	capture_verdict_free(&v);
	capture_free(c);
}

/* The bait is the lab's own connection, excused as such; the lab never
 * writes to it, so a marker on it came from the program (a leaked fd,
 * E11): an escape, not a proxied flow. */
static void test_marker_on_the_bait_escapes(void)
{
	struct capture *c = new_capture();
	struct capture_verdict v;
	struct perr e;
	struct flow_record bait = {.proto = IPPROTO_TCP,
				   .local = "10.88.0.2",
				   .lport = 45000,
				   .remote = "198.51.100.10",
				   .rport = 8080,
				   .marker_escapes = true};

	tcp4(c, true, "10.88.0.2", 45000, "198.51.100.10", 8080, 0x02, NULL);
	tcp4(c, false, "198.51.100.10", 8080, "10.88.0.2", 45000, 0x12, NULL);
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, MARKER, POD, SVC, &bait, 1, &v, &e), 0);
	CU_ASSERT_FALSE(v.escaped); /* the lab's handshake alone */
	capture_verdict_free(&v);
	tcp4(c, true, "10.88.0.2", 45000, "198.51.100.10", 8080, 0x18, MARKER);
	CU_ASSERT_EQUAL_FATAL(capture_judge(c, MARKER, POD, SVC, &bait, 1, &v, &e), 0);
	CU_ASSERT_TRUE(v.escaped);
	capture_verdict_free(&v);
	capture_free(c);
}

/* The lab's judge on its own: a pod whose agent ran and returned, victims
 * settled, no sinks, an empty proxy log and capture (tests add to both). */
struct judge_fixture {
	struct lab_shm *shm;
	struct capture *cap;
	struct lab_config lc;
	struct lab_outcome run;
	int plog;
};

static void judge_fixture_init(struct judge_fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->shm =
	    mmap(NULL, sizeof(*f->shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	f->cap = new_capture();
	f->plog = memfd_create("plog", 0);
	CU_ASSERT_FATAL(f->shm != MAP_FAILED && f->plog >= 0);
	memcpy(f->run.marker, MARKER, 27);
	f->run.escapes = json_array();
	f->run.evidence = json_object();
	f->shm->run_returned = true;
	f->shm->exec_done = true;
	f->shm->victims_settled = true;
}

static void judge_fixture_run(struct judge_fixture *f)
{
	lab_judge_witnesses(&f->lc, &f->run, f->shm, 0, NULL, f->cap, f->plog);
	f->run.exec_done = true;
}

static void judge_fixture_free(struct judge_fixture *f)
{
	json_decref(f->run.escapes);
	json_decref(f->run.evidence);
	close(f->plog);
	capture_free(f->cap);
	munmap(f->shm, sizeof(*f->shm));
}

/* A victim that did not answer the lab's final drain may have missed what
 * was queued for it: with nothing else seen, the cell is INCONCLUSIVE,
 * never BLOCKED. */
static void test_unsettled_victims_are_not_blocked(void)
{
	struct judge_fixture f;
	struct lab_outcome ctl;
	struct judgement j;

	judge_fixture_init(&f);
	f.shm->victims_settled = false; /* the drain timed out */
	judge_fixture_run(&f);
	memset(&ctl, 0, sizeof(ctl));
	ctl.escaped = true;
	ctl.escapes = json_array();
	verdict_judge(&f.run, &ctl, &j);
	CU_ASSERT_TRUE(f.run.infra_failed);
	CU_ASSERT_NOT_EQUAL(j.verdict, V_BLOCKED);
	json_decref(ctl.escapes);
	judge_fixture_free(&f);
}

/* The same through the lab's judge: the bait record it builds for the
 * capture must carry the rule. */
static void test_judge_bait_marker(void)
{
	struct judge_fixture f;

	judge_fixture_init(&f);
	f.shm->bait_lport = 45000;
	tcp4(f.cap, true, "10.88.0.2", 45000, "198.51.100.10", 8080, 0x02, NULL);
	tcp4(f.cap, false, "198.51.100.10", 8080, "10.88.0.2", 45000, 0x12, NULL);
	tcp4(f.cap, true, "10.88.0.2", 45000, "198.51.100.10", 8080, 0x18, MARKER);
	judge_fixture_run(&f);
	CU_ASSERT_TRUE(f.run.escaped);
	CU_ASSERT_FALSE(f.run.infra_failed);
	judge_fixture_free(&f);
}

/* The proxy's tunnels: one to the lab's allowed upstream (its address and
 * port) is the policy working; one to the same host on another port is a
 * pivot that worked, and the cell escaped. */
static void judge_proxy_line(int port, bool want_escape)
{
	struct judge_fixture f;
	char line[512];
	int n = snprintf(line, sizeof(line),
			 "{\"kind\":\"connect\",\"decision\":\"allowed\",\"host\":\"allowed.test\","
			 "\"port\":%d,\"local_addr\":\"10.88.0.1\",\"local_port\":40000,"
			 "\"remote_addr\":\"%s\",\"remote_port\":%d}\n",
			 port, LAB_ALLOWED_V4, port);

	judge_fixture_init(&f);
	CU_ASSERT_EQUAL_FATAL(write(f.plog, line, (size_t)n), n);
	judge_fixture_run(&f);
	CU_ASSERT_EQUAL(f.run.escaped, want_escape);
	judge_fixture_free(&f);
}

static void test_judge_proxy_pivot_port(void)
{
	judge_proxy_line(LAB_ALLOWED_PORT, false);
	judge_proxy_line(22, true);
}

/* A sink that stopped serving: its accept() fails for good (EMFILE here,
 * with no descriptor left below the limit), it is dropped from the loop and
 * sees nothing after. */
static struct sinks *sinks_with_a_failed_witness(void)
{
	static const uint16_t eph[] = {0};
	struct sinks_config c = {.netns_fd = -1,
				 .marker = MARKER,
				 .sink_v4 = "127.0.0.1",
				 .tcp = {eph, 1},
				 .udp = {eph, 1},
				 .sctp = {eph, 1},
				 .udplite = {eph, 1},
				 .settle_idle_ms = -1};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct rlimit old, low;
	struct sinks *s = NULL;
	struct perr e;
	char buf[320];
	json_t *ev, *w;
	size_t i;
	pid_t pid;
	int fd;

	if (sinks_start(&s, &c, &e) < 0)
		return NULL;
	ev = sinks_evidence(s);
	json_array_foreach (json_object_get(ev, "sinks"), i, w)
		if (strcmp(json_string_value(json_object_get(w, "proto")), "tcp") == 0)
			a.sin_port =
			    htons((uint16_t)json_integer_value(json_object_get(w, "port")));
	json_decref(ev);
	CU_ASSERT_PTR_NULL(sinks_failed_witness(s, buf, sizeof(buf)));
	/* No descriptor can be made in this process now: the lowest free one
	 * is the limit. The client is a child, with a table of its own. */
	fd = dup(0);
	CU_ASSERT_FATAL(fd >= 0);
	getrlimit(RLIMIT_NOFILE, &old);
	low = old;
	low.rlim_cur = (rlim_t)fd;
	close(fd);
	setrlimit(RLIMIT_NOFILE, &low);
	pid = fork();
	if (pid == 0) {
		setrlimit(RLIMIT_NOFILE, &old);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			(void)!write(fd, MARKER, strlen(MARKER));
		usleep(200000);
		_exit(0);
	}
	for (int k = 0; k < 400 && !sinks_failed_witness(s, buf, sizeof(buf)); k++)
		usleep(5000);
	setrlimit(RLIMIT_NOFILE, &old);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return s;
}

/* Through the lab's judge: a cell whose sink failed is INCONCLUSIVE, never
 * BLOCKED (the failed sink may have missed the escape). */
static void test_judge_failed_sink(void)
{
	struct judge_fixture f;
	struct sinks *s = sinks_with_a_failed_witness();
	struct perr e;
	char buf[320] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sinks_failed_witness(s, buf, sizeof(buf)));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "accept"));
	sinks_stop(s, &e);
	judge_fixture_init(&f);
	lab_judge_witnesses(&f.lc, &f.run, f.shm, 0, s, f.cap, f.plog);
	CU_ASSERT_TRUE(f.run.infra_failed);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.run.infra_error, "sink witness failed"));
	judge_fixture_free(&f);
	sinks_free(s);
}

/* A victim that exited on its own was "settled": nothing counted, no
 * failure, and the cell could be BLOCKED. It is a witness that failed. */
static void test_judge_victim_exited(void)
{
	struct judge_fixture f;

	judge_fixture_init(&f);
	f.shm->listeners.pid = 4242;
	atomic_store(&f.shm->listeners.state, VICTIM_EXITED);
	judge_fixture_run(&f);
	CU_ASSERT_TRUE(f.run.infra_failed);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.run.infra_error, "listener victim (pid 4242) exited"));
	judge_fixture_free(&f);

	judge_fixture_init(&f);
	atomic_store(&f.shm->sacrificial.state, VICTIM_NOT_STARTED);
	judge_fixture_run(&f);
	CU_ASSERT_TRUE(f.run.infra_failed);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.run.infra_error, "never started"));
	judge_fixture_free(&f);
}

void unit_register(void)
{
	UNIT_SUITE("capture");
	UNIT_TEST(test_flow_grouping_both_directions);
	UNIT_TEST(test_proxied_vs_direct);
	UNIT_TEST(test_record_parse_errors);
	UNIT_TEST(test_noise_inbound_and_broadcast_marker);
	UNIT_TEST(test_inbound_channel_data);
	UNIT_TEST(test_direction_without_mac_and_cooked);
	UNIT_TEST(test_marker_search);
	UNIT_TEST(test_verdict_json_shape);
	UNIT_TEST(test_pcapng_roundtrip);
	UNIT_TEST(test_judge_argument_errors);
	UNIT_TEST(test_marker_on_the_bait_escapes);
	UNIT_TEST(test_unsettled_victims_are_not_blocked);
	UNIT_TEST(test_judge_bait_marker);
	UNIT_TEST(test_judge_proxy_pivot_port);
	UNIT_TEST(test_judge_failed_sink);
	UNIT_TEST(test_judge_victim_exited);
}
