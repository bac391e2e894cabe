/* capture.h - the packet-capture witness: record every frame on one link.
 *
 * Live capture runs on a named interface inside a network namespace given
 * by fd. A private, detached reader thread (all signals blocked) joins that
 * netns, opens libpcap there (non-blocking, snaplen 65535, nanosecond
 * stamps, a 32 MiB TPACKET_V3 ring; immediate mode on request), learns the
 * interface's MAC and the namespace's own addresses, then stores every
 * frame in memory; the calling thread never changes namespace.
 * capture_stop() waits until the link has been quiet for settle_ms (at most
 * settle_max_ms), drains the ring until it is empty and reads pcap_stats;
 * the socket is then closed in the background (the kernel makes a packet
 * socket's close wait for an RCU grace period). Kernel drops and store
 * overflow are kept: a witness that lost packets is a failed witness.
 *
 *   capture_start(&c, wan_fd, "veth-wan", &e);     // capture is live on return
 *   ... run the cell ...
 *   capture_stop(c, &e);
 *   capture_judge(c, marker, pod, services, recs, n, &v, &e);   (flows.h)
 *   capture_write_pcapng(c, "cell.pcapng", "cell 7 marker pm...", &v, &e);
 *   capture_verdict_free(&v); capture_free(c);
 *
 * A capture can also be built by hand (capture_new + capture_add) or loaded
 * from a pcap/pcapng file (capture_load) and judged the same way.
 * Not thread-safe: one owner; the reader thread only appends until stop.
 * Stats, frames and judging are for a stopped (or offline) capture.
 *
 * capture.c: live capture and the frame store; capture_files.c: files;
 * flows.c/flows_json.c: the judge (flows.h); packet.c/packet_text.c: frame
 * decoding (packet.h); pcapng.c: the pcapng writer (pcapng.h).
 */
#ifndef PARITY_CAPTURE_H
#define PARITY_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct capture;
struct capture_verdict;

/* Tuning; zero fields take the defaults in brackets. */
struct capture_opts {
	size_t ring_bytes;	/* kernel ring, pcap_set_buffer_size [32 MiB] */
	size_t max_store_bytes; /* memory for stored frames; beyond it frames
				 * are counted as overflow [256 MiB] */
	unsigned settle_ms;	/* stop: quiet period before the final drain
				 * [8; 2 in immediate mode] */
	unsigned settle_max_ms; /* stop: upper bound on waiting for quiet [50] */
	int snaplen;		/* [65535] */
	bool immediate;		/* immediate mode (TPACKET_V2, one slot of ~64 KiB
				 * per frame on offloading links: loses bursts)
				 * instead of TPACKET_V3 blocks [false] */
};

/* Start capturing on `ifname` inside the netns `netns_fd` (-1: the caller's
 * netns). The capture is live when this returns 0. o may be NULL. */
int capture_start(struct capture **out, int netns_fd, const char *ifname, struct perr *e);
int capture_start_opts(struct capture **out, int netns_fd, const char *ifname,
		       const struct capture_opts *o, struct perr *e);
/* The same in two steps, to overlap the socket setup (10-30 ms of kernel
 * RCU waits) with other lab setup: begin returns at once, ready waits until
 * the capture is live (or failed). The netns fd may be closed after begin.
 * After a failed ready, capture_free() is still needed. */
int capture_begin(struct capture **out, int netns_fd, const char *ifname,
		  const struct capture_opts *o, struct perr *e);
int capture_ready(struct capture *c, struct perr *e);
/* Settle, drain, collect statistics, close the socket. Idempotent. Returns
 * -1 when the reader failed (e.g. the interface vanished); the frames
 * stored until then stay available. */
int capture_stop(struct capture *c, struct perr *e);
/* Stops a live capture if needed. NULL is fine. */
void capture_free(struct capture *c);

struct capture_stats {
	uint64_t packets, bytes;  /* stored frames and their captured bytes */
	uint64_t kernel_received; /* pcap_stats ps_recv */
	uint64_t kernel_dropped;  /* pcap_stats ps_drop: ring overruns */
	uint64_t overflow;	  /* frames not stored: max_store_bytes reached */
	double start_ms, stop_ms; /* wall time of begin..ready / capture_stop */
	double reader_cpu_ms;	  /* CPU time of the reader thread (user+sys) */
	bool live, stopped;
	bool failed; /* the reader hit an error */
};
void capture_get_stats(const struct capture *c, struct capture_stats *s);

/* Offline captures (tests, re-judging saved evidence). */
int capture_new(struct capture **out, int linktype, uint32_t snaplen, struct perr *e);
int capture_add(struct capture *c, uint64_t ts_ns, const void *data, uint32_t caplen,
		uint32_t origlen, struct perr *e);
int capture_load(struct capture **out, const char *path, struct perr *e);

/* What the live capture learnt in its netns (offline: what was set).
 * The MAC tells frames the capturing side sent from frames it received;
 * local addresses are the capturing namespace's own. */
void capture_set_local_mac(struct capture *c, const uint8_t mac[6]);
bool capture_local_mac(const struct capture *c, uint8_t mac[6]);
/* Add an address (and optionally its subnet broadcast) of the capturing side. */
void capture_add_local_addr(struct capture *c, const uint8_t addr[16], bool broadcast);

int capture_linktype(const struct capture *c);
uint32_t capture_snaplen(const struct capture *c);
const char *capture_ifname(const struct capture *c);
size_t capture_count(const struct capture *c);

/* Walk the stored frames in arrival order. Zero the cursor first. */
struct capture_pkt {
	uint64_t ts_ns;
	uint32_t caplen, origlen;
	const uint8_t *data;
};
struct capture_cursor {
	const void *chunk;
	size_t off;
};
bool capture_next(const struct capture *c, struct capture_cursor *cur, struct capture_pkt *p);

/* Evidence files. comment (may be NULL, may span lines) goes into the
 * section header; with a verdict the first packet of each escaping flow and
 * the first marker packet get a packet comment. Each EPB carries the
 * direction (in = received by the capturing interface) when the MAC is
 * known. Written via "<path>.tmp" and renamed. */
int capture_write_pcapng(const struct capture *c, const char *path, const char *comment,
			 const struct capture_verdict *v, struct perr *e);
/* Classic pcap (nanosecond) through pcap_dump, as a fallback. */
int capture_write_pcap(const struct capture *c, const char *path, struct perr *e);

/* Internal to the witness (flows.c): learnt addresses. */
size_t capture_local_addrs(const struct capture *c, const uint8_t (**addrs)[16],
			   const uint8_t (**bcast)[16], size_t *nbcast);

#include "flows.h"

#endif
