/* capture_files.c - a capture to and from files: pcapng (own writer, with
 * the verdict's packet comments and the direction flag), classic pcap via
 * pcap_dump, and loading either with libpcap (see capture.h). */
#include "capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "packet.h"
#include "pcapng.h"
#include "util.h"

int capture_load(struct capture **out, const char *path, struct perr *e)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *d;
	struct capture *c;
	pcap_t *p;
	int rc;

	*out = NULL;
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!p) {
		perr_set(e, "capture: open %s: %s", path, eb);
		e->kind = PARITY_EXIT_USAGE;
		return -1;
	}
	if (capture_new(&c, pcap_datalink(p), (uint32_t)pcap_snapshot(p), e) < 0) {
		pcap_close(p);
		return -1;
	}
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		if (capture_add(c, ts, d, h->caplen, h->len, e) < 0)
			goto fail;
	}
	if (rc == PCAP_ERROR) {
		perr_set(e, "capture: read %s: %s", path, pcap_geterr(p));
		goto fail;
	}
	pcap_close(p);
	*out = c;
	return 0;
fail:
	pcap_close(p);
	capture_free(c);
	return -1;
}

int capture_write_pcap(const struct capture *c, const char *path, struct perr *e)
{
	pcap_t *p = pcap_open_dead_with_tstamp_precision(
	    capture_linktype(c), (int)capture_snaplen(c), PCAP_TSTAMP_PRECISION_NANO);
	struct capture_cursor cur = {0};
	struct capture_pkt k;
	pcap_dumper_t *d;
	char *tmp = NULL;
	int rc = -1;

	if (!p)
		return perr_sys(e, ENOMEM, "pcap: %s", path);
	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		pcap_close(p);
		return perr_sys(e, ENOMEM, "pcap: %s", path);
	}
	/* pcap_dump_fopen on a file made with O_EXCL|O_NOFOLLOW: the program
	 * under test may have planted a link under the .tmp name. */
	{
		int fd = util_open_new(tmp);
		FILE *fp = fd < 0 ? NULL : fdopen(fd, "wb");
		if (!fp && fd >= 0)
			close(fd);
		d = fp ? pcap_dump_fopen(p, fp) : NULL;
		if (!d && fp)
			fclose(fp);
	}
	if (!d) {
		perr_set(e, "pcap: create %s: %s", tmp, pcap_geterr(p));
		goto out;
	}
	while (capture_next(c, &cur, &k)) {
		struct pcap_pkthdr h = {.caplen = k.caplen, .len = k.origlen};
		h.ts.tv_sec = (time_t)(k.ts_ns / 1000000000u);
		h.ts.tv_usec = (suseconds_t)(k.ts_ns % 1000000000u); /* nanosecond file */
		pcap_dump((u_char *)d, &h, k.data);
	}
	if (pcap_dump_flush(d) < 0) {
		perr_sys(e, errno, "pcap: write %s", tmp);
		pcap_dump_close(d);
		unlink(tmp);
		goto out;
	}
	pcap_dump_close(d);
	if (rename(tmp, path) < 0) {
		perr_sys(e, errno, "pcap: rename %s", tmp);
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	pcap_close(p);
	return rc;
}

struct note {
	size_t idx;
	unsigned flow;
	bool marker;
	unsigned why;
	const char *cls;
};

static int note_cmp(const void *a, const void *b)
{
	const struct note *x = a, *y = b;
	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return (int)x->marker - (int)y->marker;
}

/* Packet comments from a verdict: first packet of each escaping flow and
 * first marker packet of any flow. Returns the count; *out is malloc'd. */
static size_t build_notes(const struct capture_verdict *v, struct note **out)
{
	struct note *n;
	size_t k = 0;

	*out = NULL;
	if (!v || !v->flowv || !v->flows)
		return 0;
	n = calloc((size_t)v->flows * 2, sizeof(*n));
	if (!n)
		return 0;
	for (unsigned i = 0; i < v->flows; i++) {
		const struct capture_flow *f = &v->flowv[i];
		if (f->why && f->first_index != SIZE_MAX)
			n[k++] = (struct note){f->first_index, f->id, false, f->why,
					       capture_class_name(f->cls)};
		if (f->marker_index != SIZE_MAX)
			n[k++] = (struct note){f->marker_index, f->id, true, f->why,
					       capture_class_name(f->cls)};
	}
	qsort(n, k, sizeof(*n), note_cmp);
	*out = n;
	return k;
}

static void note_text(const struct note *n, char *buf, size_t len)
{
	if (n->marker)
		snprintf(buf, len, "parity: marker in flow %u (%s%s)", n->flow, n->cls,
			 n->why ? ", escape" : "");
	else
		snprintf(buf, len, "parity: flow %u %s: escape (%s%s%s%s)", n->flow, n->cls,
			 (n->why & CAPTURE_WHY_DIRECT) ? "direct-egress" : "",
			 (n->why & CAPTURE_WHY_DIRECT) && (n->why & CAPTURE_WHY_MARKER) ? ", " : "",
			 (n->why & CAPTURE_WHY_MARKER) ? "marker" : "",
			 (n->why & CAPTURE_WHY_INBOUND_DATA) ? " inbound-data" : "");
}

int capture_write_pcapng(const struct capture *c, const char *path, const char *comment,
			 const struct capture_verdict *v, struct perr *e)
{
	struct pcapng_writer *w;
	struct capture_cursor cur = {0};
	struct capture_pkt k;
	struct note *notes;
	size_t nnotes = build_notes(v, &notes), ni = 0, idx = 0;
	uint8_t mac[6];
	bool has_mac = capture_local_mac(c, mac);
	bool dir = has_mac && capture_linktype(c) == PKT_LINK_EN10MB;
	char desc[64] = "";

	if (pcapng_open(&w, path, comment, e) < 0) {
		free(notes);
		return -1;
	}
	if (has_mac)
		snprintf(desc, sizeof(desc), "capture side %02x:%02x:%02x:%02x:%02x:%02x", mac[0],
			 mac[1], mac[2], mac[3], mac[4], mac[5]);
	if (pcapng_add_interface(w, (uint16_t)capture_linktype(c), capture_snaplen(c),
				 capture_ifname(c), desc, e) < 0)
		goto fail;
	for (; capture_next(c, &cur, &k); idx++) {
		char text[512] = "";
		size_t tl = 0;
		int d = PCAPNG_DIR_UNKNOWN;
		if (dir && k.caplen >= 12)
			d = memcmp(k.data + 6, mac, 6) == 0 ? PCAPNG_DIR_OUT : PCAPNG_DIR_IN;
		while (ni < nnotes && notes[ni].idx < idx)
			ni++;
		for (; ni < nnotes && notes[ni].idx == idx && tl + 1 < sizeof(text); ni++) {
			if (tl)
				tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "; ");
			if (tl < sizeof(text))
				note_text(&notes[ni], text + tl, sizeof(text) - tl);
			tl = strlen(text);
		}
		if (pcapng_write_packet(w, 0, k.ts_ns, k.data, k.caplen, k.origlen, d,
					text[0] ? text : NULL, e) < 0)
			goto fail;
	}
	free(notes);
	return pcapng_close(w, e);
fail:
	free(notes);
	pcapng_abort(w);
	return -1;
}
