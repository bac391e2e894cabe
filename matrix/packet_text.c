/* packet_text.c - names and tcpdump-like one-liners for decoded frames
 * (see packet.h). */
#include "packet.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define ET_ARP 0x0806
#define ET_RARP 0x8035

const char *pkt_proto_name(uint8_t proto)
{
	switch (proto) {
	case 1:
		return "ICMP";
	case 2:
		return "IGMP";
	case 4:
		return "IPIP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 41:
		return "IP6";
	case 47:
		return "GRE";
	case 50:
		return "ESP";
	case 51:
		return "AH";
	case 58:
		return "ICMP6";
	case 103:
		return "PIM";
	case 112:
		return "VRRP";
	case PKT_PROTO_SCTP:
		return "SCTP";
	case PKT_PROTO_UDPLITE:
		return "UDPLite";
	default:
		return NULL;
	}
}

const char *pkt_proto_json(uint8_t proto, bool ip, char *buf, size_t len)
{
	if (!ip) {
		snprintf(buf, len, "link");
		return buf;
	}
	switch (proto) {
	case 1:
		return "icmp";
	case 2:
		return "igmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "icmp6";
	case PKT_PROTO_SCTP:
		return "sctp";
	case PKT_PROTO_UDPLITE:
		return "udplite";
	default:
		snprintf(buf, len, "ip-%u", proto);
		return buf;
	}
}

const char *pkt_tcp_flags_str(uint8_t f, char *buf, size_t len)
{
	char t[16];
	size_t n = 0;

	if (f & 0x02)
		t[n++] = 'S';
	if (f & 0x01)
		t[n++] = 'F';
	if (f & 0x08)
		t[n++] = 'P';
	if (f & 0x04)
		t[n++] = 'R';
	if (f & 0x20)
		t[n++] = 'U';
	if (f & 0x40)
		t[n++] = 'E';
	if (f & 0x80)
		t[n++] = 'W';
	if (f & 0x10)
		t[n++] = '.';
	t[n] = 0;
	snprintf(buf, len, "%s", n ? t : "none");
	return buf;
}

static const char *const sctp_names[] = {
    "DATA",  "INIT",	 "INIT_ACK",	      "SACK",  "HEARTBEAT",   "HEARTBEAT_ACK",
    "ABORT", "SHUTDOWN", "SHUTDOWN_ACK",      "ERROR", "COOKIE_ECHO", "COOKIE_ACK",
    "ECNE",  "CWR",	 "SHUTDOWN_COMPLETE", "AUTH",
};

const char *pkt_sctp_chunks_str(uint32_t mask, char *buf, size_t len)
{
	size_t n = 0;

	if (len)
		buf[0] = 0;
	for (unsigned i = 0; i < 32 && n < len; i++) {
		if (!(mask & (1u << i)))
			continue;
		int w;
		if (i < sizeof(sctp_names) / sizeof(sctp_names[0]))
			w = snprintf(buf + n, len - n, "%s%s", n ? "," : "", sctp_names[i]);
		else
			w = snprintf(buf + n, len - n, "%s%u", n ? "," : "", i);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return buf;
}

static const char *icmp_name(uint8_t type, bool v6)
{
	if (v6) {
		switch (type) {
		case 1:
			return "destination unreachable";
		case 2:
			return "packet too big";
		case 3:
			return "time exceeded";
		case 4:
			return "parameter problem";
		case 128:
			return "echo request";
		case 129:
			return "echo reply";
		case 130:
			return "multicast listener query";
		case 131:
			return "multicast listener report";
		case 132:
			return "multicast listener done";
		case 133:
			return "router solicitation";
		case 134:
			return "router advertisement";
		case 135:
			return "neighbor solicitation";
		case 136:
			return "neighbor advertisement";
		case 137:
			return "redirect";
		case 143:
			return "multicast listener report v2";
		default:
			return NULL;
		}
	}
	switch (type) {
	case 0:
		return "echo reply";
	case 3:
		return "unreachable";
	case 4:
		return "source quench";
	case 5:
		return "redirect";
	case 8:
		return "echo request";
	case 11:
		return "time exceeded";
	case 12:
		return "parameter problem";
	case 13:
		return "time stamp request";
	case 14:
		return "time stamp reply";
	default:
		return NULL;
	}
}

const char *pkt_summary(const uint8_t *frame, uint32_t caplen, uint32_t origlen,
			const struct pkt_info *pi, char *buf, size_t len)
{
	char s[64], d[64], x[96];
	const char *ipn = pi->ipver == 6 ? "IP6" : "IP";
	const char *pn;
	bool ports = (pi->flags & PKT_F_L4) &&
		     (pi->proto == 6 || pi->proto == 17 || pi->proto == PKT_PROTO_UDPLITE ||
		      pi->proto == PKT_PROTO_SCTP);
	(void)frame;
	(void)caplen;

	if (!(pi->flags & PKT_F_IP)) {
		if (pi->ethertype == ET_ARP || pi->ethertype == ET_RARP) {
			pkt_addr_str(pi->dst, d, sizeof(d));
			pkt_addr_str(pi->src, s, sizeof(s));
			if (pi->arp_op == 1)
				snprintf(buf, len, "ARP, Request who-has %s tell %s, length %u", d,
					 s, origlen);
			else if (pi->arp_op == 2)
				snprintf(
				    buf, len,
				    "ARP, Reply %s is-at %02x:%02x:%02x:%02x:%02x:%02x, length %u",
				    s, pi->eth_src[0], pi->eth_src[1], pi->eth_src[2],
				    pi->eth_src[3], pi->eth_src[4], pi->eth_src[5], origlen);
			else
				snprintf(buf, len, "ARP, op %u, length %u", pi->arp_op, origlen);
		} else if (pi->ethertype >= 0x0600) {
			snprintf(buf, len, "ethertype 0x%04x, length %u%s", pi->ethertype, origlen,
				 (pi->flags & PKT_F_TRUNC) ? " [|truncated]" : "");
		} else {
			snprintf(buf, len, "802.3/LLC, length %u%s", origlen,
				 (pi->flags & PKT_F_TRUNC) ? " [|truncated]" : "");
		}
		return buf;
	}
	pkt_addr_str(pi->src, s, sizeof(s));
	pkt_addr_str(pi->dst, d, sizeof(d));
	if (pi->flags & PKT_F_FRAG_LATER) {
		snprintf(buf, len, "%s %s > %s: %s fragment (id %u, offset %u), length %u", ipn, s,
			 d, pkt_proto_name(pi->proto) ? pkt_proto_name(pi->proto) : "ip",
			 pi->frag_id, pi->frag_off, pi->payload_len);
		return buf;
	}
	if (ports) {
		switch (pi->proto) {
		case 6: {
			char f[16];
			snprintf(x, sizeof(x), "Flags [%s], seq %u, length %u",
				 pkt_tcp_flags_str(pi->tcp_flags, f, sizeof(f)), pi->tcp_seq,
				 pi->payload_len);
			break;
		}
		case PKT_PROTO_SCTP: {
			char c[64];
			snprintf(x, sizeof(x), "sctp [%s]",
				 pkt_sctp_chunks_str(pi->sctp_chunks, c, sizeof(c)));
			break;
		}
		default:
			snprintf(x, sizeof(x), "%s, length %u", pkt_proto_name(pi->proto),
				 pi->payload_len);
			break;
		}
		snprintf(buf, len, "%s %s.%u > %s.%u: %s%s", ipn, s, pi->sport, d, pi->dport, x,
			 (pi->flags & PKT_F_TRUNC) ? " [|truncated]" : "");
		return buf;
	}
	if ((pi->proto == 1 || pi->proto == 58) && (pi->flags & PKT_F_L4)) {
		const char *n = icmp_name(pi->icmp_type, pi->ipver == 6);
		char t[32];
		if (!n) {
			snprintf(t, sizeof(t), "type %u", pi->icmp_type);
			n = t;
		}
		if (pi->flags & PKT_F_ECHO)
			snprintf(buf, len, "%s %s > %s: %s %s, id %u, seq %u, length %u", ipn, s, d,
				 pi->ipver == 6 ? "ICMP6," : "ICMP", n, pi->sport, pi->icmp_seq,
				 pi->payload_len);
		else
			snprintf(buf, len, "%s %s > %s: %s %s, code %u, length %u", ipn, s, d,
				 pi->ipver == 6 ? "ICMP6," : "ICMP", n, pi->icmp_code,
				 pi->payload_len);
		return buf;
	}
	pn = pkt_proto_name(pi->proto);
	if (pn)
		snprintf(buf, len, "%s %s > %s: %s, length %u%s", ipn, s, d, pn, pi->payload_len,
			 (pi->flags & PKT_F_TRUNC) ? " [|truncated]" : "");
	else
		snprintf(buf, len, "%s %s > %s: ip-proto-%u, length %u%s", ipn, s, d, pi->proto,
			 pi->payload_len, (pi->flags & PKT_F_TRUNC) ? " [|truncated]" : "");
	return buf;
}
