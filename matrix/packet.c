/* packet.c - frame decoding for the capture witness (see packet.h). */
#include "packet.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define ETH_HLEN_ 14
#define ET_IPV4 0x0800
#define ET_ARP 0x0806
#define ET_RARP 0x8035
#define ET_IPV6 0x86dd
#define ET_VLAN 0x8100
#define ET_QINQ 0x88a8
#define ET_QINQ_OLD 0x9100

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool pkt_addr_is_v4(const uint8_t a[16])
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a, pfx, 12) == 0;
}

void pkt_addr_from_v4(uint8_t a[16], const uint8_t v4[4])
{
	memset(a, 0, 10);
	a[10] = a[11] = 0xff;
	memcpy(a + 12, v4, 4);
}

const char *pkt_addr_str(const uint8_t a[16], char *buf, size_t len)
{
	if (pkt_addr_is_v4(a)) {
		if (!inet_ntop(AF_INET, a + 12, buf, (socklen_t)len))
			snprintf(buf, len, "?");
	} else if (!inet_ntop(AF_INET6, a, buf, (socklen_t)len)) {
		snprintf(buf, len, "?");
	}
	return buf;
}

int pkt_addr_parse(const char *s, uint8_t a[16])
{
	char tmp[64];
	size_t n;
	uint8_t v4[4];

	if (!s)
		return -1;
	n = strlen(s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	if (inet_pton(AF_INET, tmp, v4) == 1) {
		pkt_addr_from_v4(a, v4);
		return 0;
	}
	/* IPv4-mapped IPv6 parses straight into the mapped form. */
	return inet_pton(AF_INET6, tmp, a) == 1 ? 0 : -1;
}

bool pkt_addr_is_local_scope(const uint8_t a[16])
{
	if (pkt_addr_is_v4(a)) {
		const uint8_t *v = a + 12;
		/* Multicast 224/4 and the limited broadcast. Not 240/4 (class
		 * E): Linux routes it as unicast (since 2.6.25), and some
		 * clusters use it, so egress there is direct. */
		if ((v[0] >= 224 && v[0] < 240) ||
		    (v[0] == 255 && v[1] == 255 && v[2] == 255 && v[3] == 255))
			return true;
		/* Not 169.254/16: link-local unicast leaves the pod for the
		 * node's link (the cloud metadata service is 169.254.169.254),
		 * and its destination address alone can carry data. */
		return v[0] == 0 || v[0] == 127;
	}
	if (a[0] == 0xff) /* multicast */
		return true;
	/* Nor fe80::/10: TCP or UDP to the gateway's link-local address is
	 * egress like any other (neighbour discovery is noise by type). */
	for (int i = 0; i < 15; i++)
		if (a[i])
			return false;
	return a[15] <= 1; /* :: and ::1 */
}

static bool icmp_is_error(uint8_t type, bool v6)
{
	if (v6)
		return type >= 1 && type <= 4;
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static bool icmp6_is_noise(uint8_t type)
{
	switch (type) {
	case 130:
	case 131:
	case 132:
	case 143: /* MLD query/report/done, MLDv2 */
	case 133:
	case 134:
	case 135:
	case 136:
	case 137: /* RS RA NS NA redirect */
	case 141:
	case 142:
	case 148:
	case 149: /* inverse ND, SEND */
	case 151:
	case 152:
	case 153: /* multicast router discovery */
		return true;
	default:
		return false;
	}
}

/* Skip IPv6 extension headers. *nh and *off are updated; returns -1 when
 * truncated. Fragment headers fill frag fields. */
static int skip_v6_ext(const uint8_t *p, uint32_t end, uint32_t *off, uint8_t *nh,
		       struct pkt_info *pi)
{
	for (int guard = 0; guard < 16; guard++) {
		uint32_t o = *off, hl;
		switch (*nh) {
		case 0:	  /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 139: /* HIP */
		case 140: /* shim6 */
			if (o + 2 > end)
				return -1;
			hl = ((uint32_t)p[o + 1] + 1) * 8;
			break;
		case 51: /* AH: length in 4-byte units minus 2 */
			if (o + 2 > end)
				return -1;
			hl = ((uint32_t)p[o + 1] + 2) * 4;
			break;
		case 44: /* fragment */
			if (o + 8 > end)
				return -1;
			hl = 8;
			if (pi) {
				uint16_t fo = rd16(p + o + 2);
				pi->flags |= PKT_F_FRAG;
				pi->frag_off = (uint32_t)(fo & 0xfff8);
				pi->frag_id = rd32(p + o + 4);
				if (pi->frag_off)
					pi->flags |= PKT_F_FRAG_LATER;
			} else if (rd16(p + o + 2) & 0xfff8) {
				*nh = p[o];
				*off = o + hl;
				return 1; /* inner later fragment: no ports */
			}
			break;
		default:
			return 0;
		}
		if (o + hl > end)
			return -1;
		*nh = p[o];
		*off = o + hl;
		if (pi && (pi->flags & PKT_F_FRAG_LATER))
			return 0;
	}
	return 0;
}

/* The packet quoted in an ICMP error: IP header and the first 8 bytes. */
static void parse_inner(const uint8_t *p, uint32_t len, struct pkt_inner *in)
{
	uint32_t off;
	uint8_t nh;

	memset(in, 0, sizeof(*in));
	if (len < 1)
		return;
	if ((p[0] >> 4) == 4) {
		uint32_t ihl = (uint32_t)(p[0] & 0xf) * 4;
		if (ihl < 20 || len < ihl)
			return;
		pkt_addr_from_v4(in->src, p + 12);
		pkt_addr_from_v4(in->dst, p + 16);
		nh = p[9];
		off = ihl;
		if (rd16(p + 6) & 0x1fff)
			goto noports;
	} else if ((p[0] >> 4) == 6) {
		if (len < 40)
			return;
		memcpy(in->src, p + 8, 16);
		memcpy(in->dst, p + 24, 16);
		nh = p[6];
		off = 40;
		int r = skip_v6_ext(p, len, &off, &nh, NULL);
		if (r < 0)
			return;
		if (r > 0)
			goto noports;
	} else {
		return;
	}
	in->proto = nh;
	in->valid = true;
	switch (nh) {
	case 6:
	case 17:
	case PKT_PROTO_UDPLITE:
	case PKT_PROTO_SCTP:
		if (off + 4 <= len) {
			in->sport = rd16(p + off);
			in->dport = rd16(p + off + 2);
		}
		break;
	case 1:
	case 58:
		if (off + 6 <= len &&
		    (p[off] == 8 || p[off] == 0 || p[off] == 128 || p[off] == 129))
			in->sport = in->dport = rd16(p + off + 4);
		break;
	default:
		break;
	}
	return;
noports:
	in->proto = nh;
	in->valid = true;
}

static void parse_l4(const uint8_t *p, uint32_t end, uint32_t off, struct pkt_info *pi)
{
	bool v6 = pi->ipver == 6;

	pi->l4_off = off;
	pi->payload_off = off;
	if (pi->flags & PKT_F_FRAG_LATER)
		return;
	switch (pi->proto) {
	case 6: {
		uint32_t doff;
		if (off + 20 > end) {
			pi->flags |= PKT_F_TRUNC;
			return;
		}
		pi->sport = rd16(p + off);
		pi->dport = rd16(p + off + 2);
		pi->tcp_seq = rd32(p + off + 4);
		pi->tcp_ack = rd32(p + off + 8);
		pi->tcp_flags = p[off + 13];
		pi->flags |= PKT_F_L4;
		doff = (uint32_t)(p[off + 12] >> 4) * 4;
		if (doff < 20) {
			pi->flags |= PKT_F_BAD;
			doff = 20;
		}
		pi->payload_off = off + doff > end ? end : off + doff;
		if (off + doff > end)
			pi->flags |= PKT_F_TRUNC;
		return;
	}
	case 17:
	case PKT_PROTO_UDPLITE:
		if (off + 8 > end) {
			pi->flags |= PKT_F_TRUNC;
			return;
		}
		pi->sport = rd16(p + off);
		pi->dport = rd16(p + off + 2);
		pi->flags |= PKT_F_L4;
		pi->payload_off = off + 8;
		return;
	case PKT_PROTO_SCTP: {
		uint32_t c;
		if (off + 12 > end) {
			pi->flags |= PKT_F_TRUNC;
			return;
		}
		pi->sport = rd16(p + off);
		pi->dport = rd16(p + off + 2);
		pi->flags |= PKT_F_L4;
		pi->payload_off = off + 12;
		for (c = off + 12; c + 4 <= end;) {
			uint16_t cl = rd16(p + c + 2);
			if (p[c] < 32)
				pi->sctp_chunks |= 1u << p[c];
			if (cl < 4) {
				pi->flags |= PKT_F_BAD;
				break;
			}
			c += ((uint32_t)cl + 3) & ~3u;
		}
		return;
	}
	case 1:
	case 58:
		if (off + 4 > end) {
			pi->flags |= PKT_F_TRUNC;
			return;
		}
		pi->icmp_type = p[off];
		pi->icmp_code = p[off + 1];
		pi->flags |= PKT_F_L4;
		pi->payload_off = off + 4 <= end ? off + 4 : end;
		if ((!v6 && (pi->icmp_type == 8 || pi->icmp_type == 0)) ||
		    (v6 && (pi->icmp_type == 128 || pi->icmp_type == 129))) {
			pi->flags |= PKT_F_ECHO;
			if (off + 8 <= end) {
				pi->sport = pi->dport = rd16(p + off + 4);
				pi->icmp_seq = rd16(p + off + 6);
				pi->payload_off = off + 8;
			}
		} else if (icmp_is_error(pi->icmp_type, v6)) {
			pi->flags |= PKT_F_ICMP_ERR;
			if (off + 8 <= end) {
				pi->payload_off = off + 8;
				parse_inner(p + off + 8, end - off - 8, &pi->inner);
			}
		} else if (v6 && icmp6_is_noise(pi->icmp_type)) {
			pi->flags |= PKT_F_NOISE;
		}
		return;
	case 2: /* IGMP */
		pi->flags |= PKT_F_NOISE;
		return;
	default:
		return;
	}
}

static int parse_ipv4(const uint8_t *p, uint32_t caplen, uint32_t off, struct pkt_info *pi)
{
	uint32_t ihl, tot, end;
	uint16_t fo;

	pi->l3_off = off;
	if (off + 20 > caplen) {
		pi->flags |= PKT_F_TRUNC;
		return -1;
	}
	if ((p[off] >> 4) != 4) {
		pi->flags |= PKT_F_BAD;
		return -1;
	}
	ihl = (uint32_t)(p[off] & 0xf) * 4;
	pi->ipver = 4;
	pi->flags |= PKT_F_IP;
	pkt_addr_from_v4(pi->src, p + off + 12);
	pkt_addr_from_v4(pi->dst, p + off + 16);
	pi->proto = p[off + 9];
	pi->ttl = p[off + 8];
	tot = rd16(p + off + 2);
	pi->ip_len = tot;
	if (ihl < 20 || tot < ihl) {
		pi->flags |= PKT_F_BAD;
		if (ihl < 20)
			ihl = 20;
	}
	/* Bound by the IP total length (strips Ethernet padding), but keep
	 * the captured bytes when the header lies (TSO frames say 0). */
	end = caplen;
	if (tot >= ihl && off + tot < caplen)
		end = off + tot;
	fo = rd16(p + off + 6);
	if (fo & 0x3fff) {
		pi->flags |= PKT_F_FRAG;
		pi->frag_off = (uint32_t)(fo & 0x1fff) * 8;
		pi->frag_id = rd16(p + off + 4);
		if (pi->frag_off)
			pi->flags |= PKT_F_FRAG_LATER;
	}
	if (off + ihl > caplen) {
		pi->flags |= PKT_F_TRUNC;
		pi->l4_off = pi->payload_off = caplen;
		pi->payload_len = 0;
		return 0;
	}
	parse_l4(p, end, off + ihl, pi);
	pi->payload_len = pi->payload_off < end ? end - pi->payload_off : 0;
	return 0;
}

static int parse_ipv6(const uint8_t *p, uint32_t caplen, uint32_t off, struct pkt_info *pi)
{
	uint32_t plen, end, o;
	uint8_t nh;

	pi->l3_off = off;
	if (off + 40 > caplen) {
		pi->flags |= PKT_F_TRUNC;
		return -1;
	}
	if ((p[off] >> 4) != 6) {
		pi->flags |= PKT_F_BAD;
		return -1;
	}
	pi->ipver = 6;
	pi->flags |= PKT_F_IP;
	memcpy(pi->src, p + off + 8, 16);
	memcpy(pi->dst, p + off + 24, 16);
	pi->ttl = p[off + 7];
	plen = rd16(p + off + 4);
	pi->ip_len = plen ? plen + 40 : 0;
	end = caplen;
	if (plen && off + 40 + plen < caplen)
		end = off + 40 + plen;
	nh = p[off + 6];
	o = off + 40;
	if (skip_v6_ext(p, end, &o, &nh, pi) < 0) {
		pi->flags |= PKT_F_TRUNC;
		pi->proto = nh;
		pi->l4_off = pi->payload_off = o;
		pi->payload_len = o < end ? end - o : 0;
		return 0;
	}
	pi->proto = nh;
	parse_l4(p, end, o, pi);
	pi->payload_len = pi->payload_off < end ? end - pi->payload_off : 0;
	return 0;
}

static int parse_arp(const uint8_t *p, uint32_t caplen, uint32_t off, struct pkt_info *pi)
{
	pi->l3_off = off;
	pi->flags |= PKT_F_NOISE;
	if (off + 8 > caplen) {
		pi->flags |= PKT_F_TRUNC;
		return 0;
	}
	pi->arp_op = rd16(p + off + 6);
	/* Ethernet/IPv4 ARP: sha(6) spa(4) tha(6) tpa(4) */
	if (rd16(p + off) == 1 && rd16(p + off + 2) == ET_IPV4 && p[off + 4] == 6 &&
	    p[off + 5] == 4 && off + 28 <= caplen) {
		pkt_addr_from_v4(pi->src, p + off + 14);
		pkt_addr_from_v4(pi->dst, p + off + 24);
	}
	pi->payload_off = off + 8 <= caplen ? off + 8 : caplen;
	pi->payload_len = caplen - pi->payload_off;
	return 0;
}

static int parse_l3(const uint8_t *p, uint32_t caplen, uint32_t off, struct pkt_info *pi)
{
	switch (pi->ethertype) {
	case ET_IPV4:
		return parse_ipv4(p, caplen, off, pi);
	case ET_IPV6:
		return parse_ipv6(p, caplen, off, pi);
	case ET_ARP:
	case ET_RARP:
		return parse_arp(p, caplen, off, pi);
	default:
		pi->l3_off = pi->payload_off = off <= caplen ? off : caplen;
		pi->payload_len = caplen - pi->payload_off;
		return 1;
	}
}

int pkt_parse(const uint8_t *p, uint32_t caplen, int linktype, struct pkt_info *pi)
{
	uint32_t off = 0;

	memset(pi, 0, sizeof(*pi));
	pi->pkttype = PKT_DIR_UNKNOWN;
	if (!p)
		caplen = 0;
	switch (linktype) {
	case PKT_LINK_EN10MB:
		if (caplen < ETH_HLEN_) {
			pi->flags |= PKT_F_TRUNC;
			return -1;
		}
		memcpy(pi->eth_dst, p, 6);
		memcpy(pi->eth_src, p + 6, 6);
		pi->has_mac = true;
		pi->ethertype = rd16(p + 12);
		off = ETH_HLEN_;
		for (int i = 0; i < 4; i++) {
			if (pi->ethertype != ET_VLAN && pi->ethertype != ET_QINQ &&
			    pi->ethertype != ET_QINQ_OLD)
				break;
			if (off + 4 > caplen) {
				pi->flags |= PKT_F_TRUNC;
				return -1;
			}
			pi->flags |= PKT_F_VLAN;
			pi->ethertype = rd16(p + off + 2);
			off += 4;
		}
		if (pi->ethertype < 0x0600) { /* 802.3 length field: LLC */
			pi->l3_off = pi->payload_off = off;
			pi->payload_len = caplen - off;
			return 1;
		}
		return parse_l3(p, caplen, off, pi);
	case PKT_LINK_LINUX_SLL:
		if (caplen < 16) {
			pi->flags |= PKT_F_TRUNC;
			return -1;
		}
		pi->pkttype = rd16(p);
		if (rd16(p + 4) == 6) {
			memcpy(pi->eth_src, p + 6, 6);
			pi->has_mac = false; /* only the source is known */
		}
		pi->ethertype = rd16(p + 14);
		return parse_l3(p, caplen, 16, pi);
	case PKT_LINK_LINUX_SLL2:
		if (caplen < 20) {
			pi->flags |= PKT_F_TRUNC;
			return -1;
		}
		pi->ethertype = rd16(p);
		pi->pkttype = p[10];
		if (p[11] == 6)
			memcpy(pi->eth_src, p + 12, 6);
		return parse_l3(p, caplen, 20, pi);
	case PKT_LINK_RAW:
	case PKT_LINK_DLT_RAW:
	case 14: /* DLT_RAW on OpenBSD */
		if (caplen < 1) {
			pi->flags |= PKT_F_TRUNC;
			return -1;
		}
		pi->ethertype = (p[0] >> 4) == 6 ? ET_IPV6 : ET_IPV4;
		return parse_l3(p, caplen, 0, pi) < 0 ? -1 : 0;
	case PKT_LINK_IPV4:
		pi->ethertype = ET_IPV4;
		return parse_ipv4(p, caplen, 0, pi);
	case PKT_LINK_IPV6:
		pi->ethertype = ET_IPV6;
		return parse_ipv6(p, caplen, 0, pi);
	default:
		pi->flags |= PKT_F_BAD;
		pi->payload_len = caplen;
		return -1;
	}
}
