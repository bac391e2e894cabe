/* pcapng.h - a minimal pcapng writer (libpcap 1.10 only dumps classic pcap).
 *
 * Writes one section: a Section Header Block (with optional comments, the
 * OS and "parity" as the application), Interface Description Blocks (link
 * type, snaplen, if_name, nanosecond if_tsresol) and Enhanced Packet Blocks
 * (nanosecond timestamps, optional epb_flags direction and a comment).
 * Little-endian per the host. The file is written to "<path>.tmp" and
 * renamed into place by pcapng_close(), so a reader never sees half a file.
 *
 *   struct pcapng_writer *w;
 *   pcapng_open(&w, "cell.pcapng", "cell 3, marker pm...", &e);
 *   pcapng_add_interface(w, 1, 65535, "wan0", NULL, &e);      -> id 0
 *   pcapng_write_packet(w, 0, ts_ns, data, caplen, origlen, PCAPNG_DIR_IN, NULL, &e);
 *   pcapng_close(w, &e);         (pcapng_abort(w) discards the file)
 */
#ifndef PARITY_PCAPNG_H
#define PARITY_PCAPNG_H

#include <stdint.h>

#include "err.h"

/* epb_flags direction bits (inbound/outbound as the interface saw it). */
#define PCAPNG_DIR_UNKNOWN 0
#define PCAPNG_DIR_IN 1
#define PCAPNG_DIR_OUT 2

struct pcapng_writer;

/* comment may be NULL; it may hold several lines. */
int pcapng_open(struct pcapng_writer **out, const char *path, const char *comment, struct perr *e);
/* Returns the interface id (0, 1, ...) or -1. name/description may be NULL. */
int pcapng_add_interface(struct pcapng_writer *w, uint16_t linktype, uint32_t snaplen,
			 const char *name, const char *description, struct perr *e);
/* caplen bytes of data are written; origlen is the length on the wire.
 * dir is PCAPNG_DIR_*; comment may be NULL. */
int pcapng_write_packet(struct pcapng_writer *w, uint32_t ifid, uint64_t ts_ns, const void *data,
			uint32_t caplen, uint32_t origlen, int dir, const char *comment,
			struct perr *e);
/* Flush, close and rename into place; frees w either way. */
int pcapng_close(struct pcapng_writer *w, struct perr *e);
/* Discard the temporary file; frees w. */
void pcapng_abort(struct pcapng_writer *w);

#endif
