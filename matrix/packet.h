/* packet.h - decode one captured frame into what the capture witness needs.
 *
 * pkt_parse() reads a frame of a given link type (Ethernet, raw IP, Linux
 * cooked v1/v2) and fills a struct pkt_info: link addresses, the L3
 * addresses (IPv4 stored as IPv4-mapped IPv6 so one 16-byte compare serves
 * both families), the L4 protocol after IPv6 extension headers, ports, TCP
 * flags, SCTP chunk types, ICMP type/code and, for ICMP errors, the 5-tuple
 * of the quoted packet. It never reads past caplen and never fails: what it
 * could not decode is reported in `flags` (PKT_F_TRUNC, PKT_F_BAD).
 *
 * Pure functions; no allocation, no global state; safe on garbage.
 * packet.c decodes; packet_text.c holds the names and one-line summaries.
 */
#ifndef PARITY_PACKET_H
#define PARITY_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types we decode (values of pcap's DLT_/LINKTYPE_ numbers). */
#define PKT_LINK_EN10MB 1
#define PKT_LINK_RAW 101 /* LINKTYPE_RAW: starts with the IP header */
#define PKT_LINK_LINUX_SLL 113
#define PKT_LINK_IPV4 228
#define PKT_LINK_IPV6 229
#define PKT_LINK_LINUX_SLL2 276
#define PKT_LINK_DLT_RAW 12 /* DLT_RAW as some platforms number it */

/* IP protocol numbers not in every libc header. */
#define PKT_PROTO_SCTP 132
#define PKT_PROTO_UDPLITE 136

/* pkt_info.flags */
#define PKT_F_IP 0x0001		/* an IPv4 or IPv6 header was decoded */
#define PKT_F_L4 0x0002		/* ports (or ICMP type) were decoded */
#define PKT_F_FRAG 0x0004	/* part of a fragmented datagram */
#define PKT_F_FRAG_LATER 0x0008 /* a non-first fragment: no L4 header */
#define PKT_F_ICMP_ERR 0x0010	/* ICMP/ICMPv6 error; `inner` may be set */
#define PKT_F_NOISE 0x0020	/* ARP, NDP, MLD, IGMP, router discovery */
#define PKT_F_TRUNC 0x0040	/* caplen ended inside a header */
#define PKT_F_BAD 0x0080	/* a header field was impossible */
#define PKT_F_ECHO 0x0100	/* ICMP echo request/reply (ports = id) */
#define PKT_F_VLAN 0x0200	/* one or more 802.1Q/802.1ad tags skipped */

/* pkt_info.pkttype when the link type carries it (Linux cooked). */
#define PKT_DIR_UNKNOWN (-1)
#define PKT_DIR_OUTGOING 4 /* PACKET_OUTGOING */

/* The 5-tuple of the packet quoted inside an ICMP error. */
struct pkt_inner {
	bool valid;
	uint8_t proto;
	uint8_t src[16], dst[16]; /* IPv4 as ::ffff:a.b.c.d */
	uint16_t sport, dport;
};

struct pkt_info {
	uint32_t flags;
	int pkttype;  /* PACKET_* from a cooked header, else PKT_DIR_UNKNOWN */
	bool has_mac; /* eth_src/eth_dst are valid */
	uint8_t eth_src[6], eth_dst[6];
	uint16_t ethertype; /* after any VLAN tags; 0 for raw IP */
	uint8_t ipver;	    /* 4, 6, or 0 */
	uint8_t proto;	    /* final L4 protocol (after IPv6 extension headers) */
	uint8_t ttl;
	uint8_t src[16], dst[16]; /* IPv4 as ::ffff:a.b.c.d; ARP: sender/target IP */
	uint16_t sport, dport;	  /* TCP/UDP/UDP-Lite/SCTP ports; ICMP echo: id, id */
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_seq;
	uint32_t tcp_seq, tcp_ack;
	uint32_t sctp_chunks; /* bit n set when a chunk of type n (< 32) was seen */
	uint16_t arp_op;
	uint32_t frag_id;  /* IPv4 id or IPv6 fragment identification */
	uint32_t frag_off; /* byte offset of this fragment */
	uint32_t l3_off, l4_off, payload_off, payload_len; /* offsets into the frame */
	uint32_t ip_len; /* L3 length per the IP header (0 if unknown) */
	struct pkt_inner inner;
};

/* Decode a frame. Returns 0 when an IP or ARP header was decoded, 1 for
 * other link-layer frames, -1 when nothing could be decoded (flags tell
 * why). Never reads beyond caplen. */
int pkt_parse(const uint8_t *frame, uint32_t caplen, int linktype, struct pkt_info *pi);

/* Protocol name as tcpdump prints it ("TCP", "UDP", "SCTP", "ICMP6", ...)
 * or NULL for an unknown number. */
const char *pkt_proto_name(uint8_t proto);
/* Lower-case name for JSON ("tcp", "udp", "udplite", "sctp", "icmp",
 * "icmp6", "arp", "ip-<n>"); buf is used for the numeric fallback. */
const char *pkt_proto_json(uint8_t proto, bool ip, char *buf, size_t len);

/* Address helpers: 16-byte form (IPv4 mapped). */
bool pkt_addr_is_v4(const uint8_t a[16]);
void pkt_addr_from_v4(uint8_t a[16], const uint8_t v4[4]);
/* Text form, IPv4 plain for mapped addresses. Returns buf. */
const char *pkt_addr_str(const uint8_t a[16], char *buf, size_t len);
/* Parse "a.b.c.d", "v6", "[v6]" (IPv4-mapped v6 becomes v4). 0 or -1. */
int pkt_addr_parse(const char *s, uint8_t a[16]);
/* Link-scope destinations that no router forwards: multicast, broadcast
 * (limited), link-local, unspecified, loopback. */
bool pkt_addr_is_local_scope(const uint8_t a[16]);

/* A tcpdump-like one-line description without the timestamp, e.g.
 * "IP 10.88.0.2.40000 > 198.51.100.10.3128: Flags [S], length 0".
 * Returns buf. */
const char *pkt_summary(const uint8_t *frame, uint32_t caplen, uint32_t origlen,
			const struct pkt_info *pi, char *buf, size_t len);
/* TCP flags in tcpdump's letters ("S.", "P.", "F.", "R"). Returns buf. */
const char *pkt_tcp_flags_str(uint8_t flags, char *buf, size_t len);
/* SCTP chunk mask as "INIT,INIT_ACK,DATA". Returns buf. */
const char *pkt_sctp_chunks_str(uint32_t mask, char *buf, size_t len);

#endif
