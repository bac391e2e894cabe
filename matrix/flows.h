/* flows.h - judge a capture: flows, proxied vs direct, marker, verdict.
 *
 * capture_judge() walks the stored frames once. Frames are grouped into
 * bidirectional flows (protocol + both endpoints; ICMP echo by id; ICMP
 * errors join the flow of the packet they quote; IP fragments join the flow
 * of their first fragment; non-IP frames group by MACs and ethertype).
 *
 * A frame is *from the pod* unless the capturing (wan) side sent it: its
 * L3 destination is a wan service address -> from the pod; its L3 source
 * is a pod address -> from the pod; else, with the capture interface's MAC
 * known, the Ethernet source decides; else a source among the wan's own or
 * service addresses means from the wan. (Cooked captures carry the kernel's
 * own direction and use it.)
 *
 * Classes: PROXIED when the 5-tuple equals a proxy upstream record (IPv4-
 * mapped addresses compare equal to IPv4; a record whose local address is
 * empty/unspecified matches any local address; proto 0 matches any of
 * tcp/udp/udplite/sctp); otherwise DIRECT when the pod sent a packet that
 * is not link noise (ARP, NDP, MLD, IGMP) to a routable unicast address;
 * LOCAL when everything the pod sent was link-scoped (multicast, broadcast,
 * link-local) or noise; INBOUND when the pod sent nothing.
 *
 * Escape: any DIRECT flow ("direct-egress"), and any non-proxied flow in
 * which the marker occurs ("marker") - in any header or payload byte,
 * case-insensitively, also across the boundary of two consecutive packets
 * of one flow direction (a marker split by TCP segmentation). Markers in
 * proxied flows are counted, not judged: the proxy's own witnesses own
 * those. The witness is not ok (verdict INCONCLUSIVE) when the kernel
 * dropped frames, the store overflowed or the reader failed.
 *
 * Flows that only look like replies are not excused: any routable unicast
 * packet the pod sent outside a proxied 5-tuple counts, except an ICMP error
 * quoting a packet the wan sent in the same flow. Link-local unicast (fe80::,
 * 169.254/16) is LOCAL. JSON rendering lives in flows_json.c.
 */
#ifndef PARITY_FLOWS_H
#define PARITY_FLOWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct capture;

/* One upstream connection or query the proxy made (from its log). */
struct flow_record {
	int proto;	/* IPPROTO_TCP/UDP/UDPLITE/SCTP, 0 = any of them */
	char local[64]; /* the proxy's side: "10.88.0.2", "fd00:88::2", "" = any */
	uint16_t lport;
	char remote[64]; /* the upstream: "198.51.100.53", "2001:db8:100::53" */
	uint16_t rport;
	/* A flow the lab opened and never writes to (the bait): it is not
	 * direct egress, but a marker in it is the program's, an escape. */
	bool marker_escapes;
};

/* Fill a record from proxy-log strings: kind "connect"|"tcp" (TCP),
 * "dns"|"udp" (UDP), "udplite", "sctp", "any"; endpoints "ADDR:PORT" or
 * "[ADDR]:PORT". Usage error (exit 2) on bad input. */
int flow_record_parse(struct flow_record *r, const char *kind, const char *local,
		      const char *remote, struct perr *e);

enum capture_class {
	CAPTURE_PROXIED,
	CAPTURE_DIRECT,
	CAPTURE_LOCAL,
	CAPTURE_INBOUND,
};
const char *capture_class_name(enum capture_class c);

#define CAPTURE_WHY_DIRECT 0x1 /* direct egress to a routable address */
#define CAPTURE_WHY_MARKER 0x2 /* marker seen in a non-proxied flow */
/* Data the pod sent on a connection the wan opened (the lab's accomplice
 * dialing in at the program's request): an inbound channel carries data
 * out whether or not it is the literal marker. */
#define CAPTURE_WHY_INBOUND_DATA 0x4

struct capture_flow {
	unsigned id;	      /* 1-based, in order of first packet */
	bool ip;	      /* false: a non-IP link-layer flow */
	uint8_t ipver, proto; /* IP: 4/6 and protocol number; link: 0, 0 */
	uint16_t ethertype;
	char src[64], dst[64]; /* who sent the first packet -> to whom; link: MACs */
	uint16_t sport, dport; /* ICMP echo: id in both */
	bool src_is_pod;
	uint64_t packets, bytes, pod_packets, pod_bytes; /* bytes as on the wire */
	uint64_t first_ns, last_ns;
	uint8_t tcp_flags;    /* OR of all TCP flags seen */
	uint32_t sctp_chunks; /* chunk types seen (bit n = type n) */
	uint32_t marker_packets;
	enum capture_class cls;
	bool to_service;		  /* the far end is a wan service address */
	unsigned why;			  /* CAPTURE_WHY_* (0: not an escape) */
	int record;			  /* index of the matching proxy record, or -1 */
	size_t first_index, marker_index; /* frame numbers (0-based); SIZE_MAX none */
	char first[256];		  /* "HH:MM:SS.nnnnnnnnn IP a.p > b.q: ..." (UTC) */
	char marker_first[256];
};

struct capture_verdict {
	bool ok;	   /* the witness is sound: no drops, no overflow, no error */
	char failure[256]; /* why not ok */
	bool escaped;	   /* any flow has why != 0 */
	uint64_t packets, bytes, dropped, overflow;
	unsigned flows, direct_flows, proxied_flows, local_flows, inbound_flows;
	unsigned escape_flows;
	unsigned marker_packets; /* all frames containing the marker */
	unsigned marker_unproxied_packets;
	unsigned marker_proxied_packets;
	unsigned records, unseen_records; /* proxy records given / matching no flow */
	bool *record_seen;		  /* [records] */
	struct capture_flow *flowv;	  /* [flows], by id */
	json_t *evidence;		  /* escaping flows as JSON (below), at most 32;
					   * escape_flows has the full count */
};

/* Judge a stopped (or offline) capture. marker may be NULL (no marker
 * search); pod_addrs and wan_service_addrs are NULL-terminated lists of
 * addresses ("a.b.c.d", "v6", "[v6]", with an optional "/prefix"), either
 * may be NULL. Fills *v (free with capture_verdict_free). Errors only on
 * bad arguments or memory; a failed witness is v->ok == false. */
int capture_judge(const struct capture *c, const char *marker, const char *const *pod_addrs,
		  const char *const *wan_service_addrs, const struct flow_record *proxied,
		  size_t nproxied, struct capture_verdict *v, struct perr *e);
void capture_verdict_free(struct capture_verdict *v);

/* The summary for the results file (new reference), max_flows caps
 * "flow_list" (0 = 256):
 * { "witness": "capture", "ok": bool, "failure": str|null, "escaped": bool,
 *   "packets": n, "bytes": n, "dropped": n, "overflow": n,
 *   "flows": {"total","direct","proxied","local","inbound","escaping"},
 *   "marker": {"packets","unproxied_packets","proxied_packets"},
 *   "proxy_records": {"given","unseen"},
 *   "evidence": [flow...], "flow_list": [flow...], "flows_omitted": n }
 * flow = { "id", "class", "proto", "ipver", "src", "sport", "dst", "dport",
 *   "src_is_pod", "to_service", "packets", "bytes", "pod_packets",
 *   "pod_bytes", "first_ns", "last_ns", "tcp_flags"?, "sctp_chunks"?,
 *   "marker_packets", "escape": [reasons], "proxy_record": n|null,
 *   "first_packet": str, "marker_packet"?: str }            */
json_t *capture_verdict_json(const struct capture_verdict *v, size_t max_flows);
json_t *capture_flow_json(const struct capture_flow *f);

#endif
