/* flows.c - flow table, proxied/direct classification, marker search and
 * the capture witness's verdict (see flows.h). */
#include "flows.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "packet.h"

#define MAX_MARKER 64
#define EVIDENCE_MAX 32

enum { K_IP = 1, K_LINK = 2, K_FRAG = 3 };

struct fkey {
	uint8_t a[16], b[16];
	uint16_t pa, pb;
	uint8_t proto, kind, pad[2];
};
_Static_assert(sizeof(struct fkey) == 40, "fkey is hashed as 40 bytes");

struct htab {
	struct fkey *keys;
	uint32_t *vals; /* 0 empty, else value + 1 */
	size_t cap, n;
};

struct pfx {
	uint8_t a[16];
	uint8_t plen; /* in IPv6 bits; IPv4 /n is 96 + n */
};

struct pset {
	struct pfx *v;
	size_t n;
};

struct jflow {
	struct fkey key;
	struct capture_flow out;
	uint64_t wan_packets;
	bool wan_started;  /* the flow's first packet came from the wan */
	bool inbound_data; /* the pod sent TCP/UDP payload in such a flow */
	bool pod_egress;
	uint8_t tail[2][MAX_MARKER]; /* [0] pod->wan stream, [1] wan->pod */
	uint8_t tail_len[2];
};

struct judge {
	const struct capture *c;
	int linktype;
	bool has_mac;
	uint8_t mac[6];
	struct pset pod, svc;
	const uint8_t (*wan)[16], (*bcast)[16];
	size_t nwan, nbcast;
	uint8_t marker[MAX_MARKER]; /* lower-cased */
	size_t mlen;
	struct htab flows, frags, recs;
	struct jflow *fv;
	size_t nf, capf;
	const struct flow_record *rv;
	size_t nr;
	size_t *wild; /* records with a wildcard local address */
	size_t nwild;
	struct capture_verdict *v;
};

/* ---- small helpers ------------------------------------------------- */

static uint64_t key_hash(const struct fkey *k)
{
	uint64_t w[5], h = 0x9e3779b97f4a7c15ull;
	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

static int ht_grow(struct htab *t)
{
	size_t nc = t->cap ? t->cap * 2 : 64;
	struct fkey *nk = calloc(nc, sizeof(*nk));
	uint32_t *nv = calloc(nc, sizeof(*nv));

	if (!nk || !nv) {
		free(nk);
		free(nv);
		return -1;
	}
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->vals[i])
			continue;
		size_t j = key_hash(&t->keys[i]) & (nc - 1);
		while (nv[j])
			j = (j + 1) & (nc - 1);
		nk[j] = t->keys[i];
		nv[j] = t->vals[i];
	}
	free(t->keys);
	free(t->vals);
	t->keys = nk;
	t->vals = nv;
	t->cap = nc;
	return 0;
}

/* The value for k (0 = absent). */
static uint32_t ht_find(const struct htab *t, const struct fkey *k)
{
	if (!t->cap)
		return 0;
	for (size_t j = key_hash(k) & (t->cap - 1); t->vals[j]; j = (j + 1) & (t->cap - 1))
		if (memcmp(&t->keys[j], k, sizeof(*k)) == 0)
			return t->vals[j];
	return 0;
}

/* The value slot for k, added (value 0, for the caller to set) when absent.
 * NULL when out of memory. Invalidates earlier slots of this table. */
static uint32_t *ht_slot(struct htab *t, const struct fkey *k)
{
	size_t j;

	if ((t->n + 1) * 2 > t->cap && ht_grow(t) < 0)
		return NULL;
	for (j = key_hash(k) & (t->cap - 1); t->vals[j]; j = (j + 1) & (t->cap - 1))
		if (memcmp(&t->keys[j], k, sizeof(*k)) == 0)
			return &t->vals[j];
	t->keys[j] = *k;
	t->n++;
	return &t->vals[j];
}

static void ht_free(struct htab *t)
{
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof(*t));
}

static void key_make(struct fkey *k, uint8_t kind, uint8_t proto, const uint8_t *s, uint16_t sp,
		     const uint8_t *d, uint16_t dp, size_t alen)
{
	int c = memcmp(s, d, alen);

	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->proto = proto;
	if (c > 0 || (c == 0 && sp > dp)) {
		const uint8_t *t = s;
		uint16_t tp = sp;
		s = d;
		sp = dp;
		d = t;
		dp = tp;
	}
	memcpy(k->a, s, alen);
	memcpy(k->b, d, alen);
	k->pa = sp;
	k->pb = dp;
}

/* Fragments are keyed by their direction: source, destination, id, proto. */
static void frag_key(struct fkey *k, const struct pkt_info *pi)
{
	memset(k, 0, sizeof(*k));
	k->kind = K_FRAG;
	k->proto = pi->proto;
	memcpy(k->a, pi->src, 16);
	memcpy(k->b, pi->dst, 16);
	k->pa = (uint16_t)pi->frag_id;
	k->pb = (uint16_t)(pi->frag_id >> 16);
}

static bool pfx_match(const struct pfx *p, const uint8_t a[16])
{
	unsigned full = p->plen / 8, rem = p->plen % 8;
	if (memcmp(p->a, a, full))
		return false;
	if (!rem)
		return true;
	uint8_t m = (uint8_t)(0xff << (8 - rem));
	return (p->a[full] & m) == (a[full] & m);
}

static bool pset_has(const struct pset *s, const uint8_t a[16])
{
	for (size_t i = 0; i < s->n; i++)
		if (pfx_match(&s->v[i], a))
			return true;
	return false;
}

static bool list_has(const uint8_t (*l)[16], size_t n, const uint8_t a[16])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(l[i], a, 16) == 0)
			return true;
	return false;
}

static int pset_parse(struct pset *s, const char *const *list, const char *what, struct perr *e)
{
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	if (!list)
		return 0;
	while (list[n])
		n++;
	s->v = calloc(n ? n : 1, sizeof(*s->v));
	if (!s->v)
		return perr_sys(e, ENOMEM, "capture judge");
	for (size_t i = 0; i < n; i++) {
		char buf[80];
		char *slash;
		long plen = -1;
		snprintf(buf, sizeof(buf), "%s", list[i]);
		slash = strchr(buf, '/');
		if (slash) {
			char *end;
			*slash = 0;
			plen = strtol(slash + 1, &end, 10);
			if (*end || end == slash + 1)
				plen = 999;
		}
		if (pkt_addr_parse(buf, s->v[i].a) < 0)
			return perr_usage(e, "capture judge: %s[%zu]: bad address '%s'", what, i,
					  list[i]);
		bool v4 = pkt_addr_is_v4(s->v[i].a);
		if (plen < 0)
			plen = v4 ? 32 : 128;
		if (plen > (v4 ? 32 : 128))
			return perr_usage(e, "capture judge: %s[%zu]: bad prefix in '%s'", what, i,
					  list[i]);
		s->v[i].plen = (uint8_t)(v4 ? 96 + plen : plen);
	}
	s->n = n;
	return 0;
}

static inline uint8_t lc(uint8_t c)
{
	return (uint8_t)(c - 'A') < 26 ? (uint8_t)(c | 0x20) : c;
}

/* Case-insensitive search; m is lower-case. */
static bool find_ci(const uint8_t *h, size_t hn, const uint8_t *m, size_t mn)
{
	const uint8_t *end, *pl, *pu, *p;
	uint8_t up;

	if (!mn || hn < mn)
		return false;
	end = h + hn - mn + 1;
	up = (m[0] >= 'a' && m[0] <= 'z') ? (uint8_t)(m[0] - 32) : m[0];
	pl = memchr(h, m[0], (size_t)(end - h));
	pu = up != m[0] ? memchr(h, up, (size_t)(end - h)) : NULL;
	while (pl || pu) {
		bool low = pl && (!pu || pl < pu);
		size_t i;
		p = low ? pl : pu;
		for (i = 1; i < mn && lc(p[i]) == m[i]; i++)
			;
		if (i == mn)
			return true;
		if (low)
			pl = p + 1 < end ? memchr(p + 1, m[0], (size_t)(end - p - 1)) : NULL;
		else
			pu = p + 1 < end ? memchr(p + 1, up, (size_t)(end - p - 1)) : NULL;
	}
	return false;
}

/* The marker in the frame, or straddling the previous payload of the same
 * stream and this one. Updates the stream tail. */
static bool scan_marker(struct judge *j, struct jflow *f, int dir, const struct capture_pkt *k,
			const struct pkt_info *pi)
{
	size_t off = pi->payload_off < k->caplen ? pi->payload_off : k->caplen;
	const uint8_t *pl = k->data + off;
	size_t plen = pi->payload_len < k->caplen - off ? pi->payload_len : k->caplen - off;
	size_t keep = j->mlen - 1, tl = f->tail_len[dir];
	bool found;

	found = find_ci(k->data, k->caplen, j->marker, j->mlen);
	if (!plen || !keep)
		return found;
	if (!found && tl) {
		uint8_t buf[2 * MAX_MARKER];
		size_t h = plen < keep ? plen : keep;
		memcpy(buf, f->tail[dir], tl);
		memcpy(buf + tl, pl, h);
		found = find_ci(buf, tl + h, j->marker, j->mlen);
	}
	if (plen >= keep) {
		memcpy(f->tail[dir], pl + plen - keep, keep);
		f->tail_len[dir] = (uint8_t)keep;
	} else {
		size_t drop = tl + plen > keep ? tl + plen - keep : 0;
		memmove(f->tail[dir], f->tail[dir] + drop, tl - drop);
		memcpy(f->tail[dir] + tl - drop, pl, plen);
		f->tail_len[dir] = (uint8_t)(tl - drop + plen);
	}
	return found;
}

static const char *mac_str(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

static void oneliner(const struct judge *j, const struct capture_pkt *k, char *buf, size_t len)
{
	struct pkt_info pi;
	struct tm tm;
	time_t s = (time_t)(k->ts_ns / 1000000000u);
	char body[224];
	int n;

	pkt_parse(k->data, k->caplen, j->linktype, &pi);
	pkt_summary(k->data, k->caplen, k->origlen, &pi, body, sizeof(body));
	gmtime_r(&s, &tm);
	n = snprintf(buf, len, "%02d:%02d:%02d.%09u ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		     (unsigned)(k->ts_ns % 1000000000u));
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "%s", body);
}

/* ---- direction ------------------------------------------------------ */

static bool from_pod(const struct judge *j, const struct pkt_info *pi)
{
	bool addrs = (pi->flags & PKT_F_IP) || pi->arp_op;

	if (pi->pkttype != PKT_DIR_UNKNOWN)
		return pi->pkttype != PKT_DIR_OUTGOING;
	if (addrs) {
		/* The wan never sends to its own service addresses over the
		 * link, whatever source address or MAC the frame claims. */
		if (pset_has(&j->svc, pi->dst))
			return true;
		if (pset_has(&j->pod, pi->src))
			return true;
	}
	if (j->has_mac && pi->has_mac)
		return memcmp(pi->eth_src, j->mac, 6) != 0;
	if (addrs && (list_has(j->wan, j->nwan, pi->src) || pset_has(&j->svc, pi->src)))
		return false;
	return true;
}

/* ---- the walk -------------------------------------------------------- */

static struct jflow *flow_new(struct judge *j, const struct fkey *k, uint32_t *slot)
{
	struct jflow *f;

	if (j->nf == j->capf) {
		size_t nc = j->capf ? j->capf * 2 : 64;
		struct jflow *nv = realloc(j->fv, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		j->fv = nv;
		j->capf = nc;
	}
	f = &j->fv[j->nf];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->out.id = (unsigned)j->nf + 1;
	f->out.record = -1;
	f->out.first_index = f->out.marker_index = SIZE_MAX;
	*slot = (uint32_t)++j->nf;
	return f;
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == PKT_PROTO_UDPLITE ||
	       proto == PKT_PROTO_SCTP;
}

static int judge_frame(struct judge *j, const struct capture_pkt *k, size_t idx)
{
	struct pkt_info pi;
	struct fkey key;
	const uint8_t *isrc, *idst;
	uint16_t isp = 0, idp = 0;
	bool pod, created = false, ip, inner = false;
	uint32_t *slot, fidx = 0;
	uint8_t lsrc[16], ldst[16];
	struct jflow *f;

	pkt_parse(k->data, k->caplen, j->linktype, &pi);
	pod = from_pod(j, &pi);
	ip = (pi.flags & PKT_F_IP) != 0;
	isrc = pi.src;
	idst = pi.dst;
	if (!ip) {
		/* link frames: MACs (zero when unknown) padded to 16 bytes */
		memset(lsrc, 0, sizeof(lsrc));
		memset(ldst, 0, sizeof(ldst));
		memcpy(lsrc, pi.eth_src, 6);
		if (pi.has_mac)
			memcpy(ldst, pi.eth_dst, 6);
		isrc = lsrc;
		idst = ldst;
		key_make(&key, K_LINK, 0, isrc, pi.ethertype, idst, pi.ethertype, 6);
	} else if ((pi.flags & PKT_F_ICMP_ERR) && pi.inner.valid &&
		   !memcmp(pi.dst, pi.inner.src, 16)) {
		/* An error goes back to the sender of the packet it quotes;
		 * one sent elsewhere is not excused by the quoted flow. */
		inner = true;
		isrc = pi.inner.src;
		idst = pi.inner.dst;
		isp = pi.inner.sport;
		idp = pi.inner.dport;
		key_make(&key, K_IP, pi.inner.proto, isrc, isp, idst, idp, 16);
	} else if (pi.flags & PKT_F_FRAG_LATER) {
		struct fkey fk;
		frag_key(&fk, &pi);
		fidx = ht_find(&j->frags, &fk);
		key_make(&key, K_IP, pi.proto, pi.src, 0, pi.dst, 0, 16);
	} else {
		if ((pi.flags & PKT_F_L4) && (has_ports(pi.proto) || (pi.flags & PKT_F_ECHO))) {
			isp = pi.sport;
			idp = pi.dport;
		}
		key_make(&key, K_IP, pi.proto, pi.src, isp, pi.dst, idp, 16);
	}
	if (fidx) {
		f = &j->fv[fidx - 1];
	} else if (!(slot = ht_slot(&j->flows, &key))) {
		return -1;
	} else if (*slot) {
		f = &j->fv[*slot - 1];
	} else {
		f = flow_new(j, &key, slot);
		if (!f)
			return -1;
		created = true;
		f->out.ip = ip;
		f->out.ipver = pi.ipver;
		f->out.proto = ip ? (inner ? pi.inner.proto : pi.proto) : 0;
		f->out.ethertype = pi.ethertype;
		f->out.first_ns = k->ts_ns;
		f->out.first_index = idx;
		f->out.src_is_pod = inner ? !pod : pod;
		f->out.sport = isp;
		f->out.dport = idp;
		if (ip) {
			pkt_addr_str(isrc, f->out.src, sizeof(f->out.src));
			pkt_addr_str(idst, f->out.dst, sizeof(f->out.dst));
		} else {
			mac_str(isrc, f->out.src, sizeof(f->out.src));
			mac_str(idst, f->out.dst, sizeof(f->out.dst));
		}
	}
	if ((pi.flags & PKT_F_FRAG) && !(pi.flags & PKT_F_FRAG_LATER)) {
		struct fkey fk;
		uint32_t *fs;
		frag_key(&fk, &pi);
		if (!(fs = ht_slot(&j->frags, &fk)))
			return -1;
		*fs = (uint32_t)(f - j->fv) + 1;
	}

	f->out.packets++;
	f->out.bytes += k->origlen;
	f->out.last_ns = k->ts_ns;
	if (ip && pi.proto == IPPROTO_TCP && !inner)
		f->out.tcp_flags |= pi.tcp_flags;
	if (ip && pi.proto == PKT_PROTO_SCTP && !inner)
		f->out.sctp_chunks |= pi.sctp_chunks;
	if (pod) {
		bool noise = (pi.flags & PKT_F_NOISE) || !ip;
		bool local = ip && (pkt_addr_is_local_scope(pi.dst) ||
				    list_has(j->bcast, j->nbcast, pi.dst));
		/* An ICMP error about a packet the wan sent in this flow is a
		 * reply, not egress; one quoting a packet never seen is. */
		bool reply = inner && !created && f->wan_packets > 0;
		/* The wan opened this flow (the lab's accomplice dialing into the
		 * pod): the pod's packets in it are answers, such as the RST of a
		 * closed port. Only the marker makes such a flow an escape. */
		if (f->wan_started)
			reply = true;
		f->out.pod_packets++;
		f->out.pod_bytes += k->origlen;
		if (!noise && !local && !reply)
			f->pod_egress = true;
		if (f->wan_started && ip && !inner && !noise && pi.payload_len > 0 &&
		    (pi.proto == IPPROTO_TCP || pi.proto == IPPROTO_UDP))
			f->inbound_data = true;
		if (ip && pset_has(&j->svc, pi.dst))
			f->out.to_service = true;
	} else {
		if (created)
			f->wan_started = true;
		f->wan_packets++;
	}
	if (j->mlen && scan_marker(j, f, pod ? 0 : 1, k, &pi)) {
		j->v->marker_packets++;
		if (!f->out.marker_packets++) {
			f->out.marker_index = idx;
			oneliner(j, k, f->out.marker_first, sizeof(f->out.marker_first));
		}
	}
	if (created)
		oneliner(j, k, f->out.first, sizeof(f->out.first));
	return 0;
}

/* ---- proxy records ---------------------------------------------------- */

int flow_record_parse(struct flow_record *r, const char *kind, const char *local,
		      const char *remote, struct perr *e)
{
	const char *eps[2] = {local, remote};
	char *addrs[2] = {r->local, r->remote};
	uint16_t *ports[2] = {&r->lport, &r->rport};

	memset(r, 0, sizeof(*r));
	if (!kind || !strcmp(kind, "connect") || !strcmp(kind, "tcp"))
		r->proto = IPPROTO_TCP;
	else if (!strcmp(kind, "dns") || !strcmp(kind, "udp"))
		r->proto = IPPROTO_UDP;
	else if (!strcmp(kind, "udplite"))
		r->proto = PKT_PROTO_UDPLITE;
	else if (!strcmp(kind, "sctp"))
		r->proto = PKT_PROTO_SCTP;
	else if (!strcmp(kind, "any"))
		r->proto = 0;
	else
		return perr_usage(e, "proxy record: unknown kind '%s'", kind);
	for (int i = 0; i < 2; i++) {
		const char *s = eps[i], *colon;
		uint8_t a[16];
		size_t al;
		long port;
		char *end;
		if (!s || !*s)
			return perr_usage(e, "proxy record: missing %s endpoint",
					  i ? "upstream_remote" : "upstream_local");
		colon = strrchr(s, ':');
		if (!colon || (s[0] == '[' && (colon == s || colon[-1] != ']')) ||
		    (s[0] != '[' && strchr(s, ':') != colon))
			return perr_usage(e, "proxy record: '%s' is not ADDR:PORT or [ADDR]:PORT",
					  s);
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (*end || end == colon + 1 || port < 0 || port > 65535 || errno)
			return perr_usage(e, "proxy record: bad port in '%s'", s);
		al = (size_t)(colon - s);
		if (al >= sizeof(r->local))
			return perr_usage(e, "proxy record: address too long in '%s'", s);
		memcpy(addrs[i], s, al);
		addrs[i][al] = 0;
		if (pkt_addr_parse(addrs[i], a) < 0)
			return perr_usage(e, "proxy record: bad address in '%s'", s);
		pkt_addr_str(a, addrs[i], sizeof(r->local));
		*ports[i] = (uint16_t)port;
	}
	return 0;
}

static bool unspecified(const uint8_t a[16])
{
	static const uint8_t z[16], v4z[16] = {[10] = 0xff, [11] = 0xff};
	return !memcmp(a, z, 16) || !memcmp(a, v4z, 16);
}

static int records_index(struct judge *j, struct perr *e)
{
	static const uint8_t anyp[] = {IPPROTO_TCP, IPPROTO_UDP, PKT_PROTO_UDPLITE, PKT_PROTO_SCTP};

	j->wild = calloc(j->nr ? j->nr : 1, sizeof(*j->wild));
	if (!j->wild)
		return perr_sys(e, ENOMEM, "capture judge");
	for (size_t i = 0; i < j->nr; i++) {
		const struct flow_record *r = &j->rv[i];
		uint8_t la[16], ra[16];
		if (r->proto < 0 || r->proto > 255)
			return perr_usage(e, "capture judge: proxy record %zu: bad protocol %d", i,
					  r->proto);
		if (pkt_addr_parse(r->remote, ra) < 0)
			return perr_usage(e, "capture judge: proxy record %zu: bad remote '%s'", i,
					  r->remote);
		if (!r->local[0] || !strcmp(r->local, "*")) {
			j->wild[j->nwild++] = i;
			continue;
		}
		if (pkt_addr_parse(r->local, la) < 0)
			return perr_usage(e, "capture judge: proxy record %zu: bad local '%s'", i,
					  r->local);
		if (unspecified(la)) {
			j->wild[j->nwild++] = i;
			continue;
		}
		for (size_t p = 0; p < (r->proto ? 1 : sizeof(anyp)); p++) {
			struct fkey k;
			uint32_t *s;
			key_make(&k, K_IP, r->proto ? (uint8_t)r->proto : anyp[p], la, r->lport, ra,
				 r->rport, 16);
			s = ht_slot(&j->recs, &k);
			if (!s)
				return perr_sys(e, ENOMEM, "capture judge");
			if (!*s)
				*s = (uint32_t)i + 1;
		}
	}
	return 0;
}

static int record_for(struct judge *j, const struct jflow *f)
{
	const struct fkey *k = &f->key;
	uint32_t s;

	if (k->kind != K_IP || !has_ports(k->proto))
		return -1;
	s = ht_find(&j->recs, k);
	if (s)
		return (int)s - 1;
	for (size_t w = 0; w < j->nwild; w++) {
		const struct flow_record *r = &j->rv[j->wild[w]];
		uint8_t ra[16];
		if (r->proto && r->proto != k->proto)
			continue;
		if (pkt_addr_parse(r->remote, ra) < 0)
			continue;
		if ((!memcmp(k->a, ra, 16) && k->pa == r->rport && k->pb == r->lport) ||
		    (!memcmp(k->b, ra, 16) && k->pb == r->rport && k->pa == r->lport))
			return (int)j->wild[w];
	}
	return -1;
}

/* ---- verdict ----------------------------------------------------------- */

static void finish(struct judge *j)
{
	struct capture_verdict *v = j->v;

	for (size_t i = 0; i < j->nf; i++) {
		struct jflow *f = &j->fv[i];
		struct capture_flow *o = &f->out;
		o->record = record_for(j, f);
		if (o->record >= 0) {
			o->cls = CAPTURE_PROXIED;
			v->record_seen[o->record] = true;
			v->proxied_flows++;
			v->marker_proxied_packets += o->marker_packets;
		} else if (f->pod_egress) {
			o->cls = CAPTURE_DIRECT;
			o->why |= CAPTURE_WHY_DIRECT;
			v->direct_flows++;
		} else if (o->pod_packets) {
			o->cls = CAPTURE_LOCAL;
			v->local_flows++;
		} else {
			o->cls = CAPTURE_INBOUND;
			v->inbound_flows++;
		}
		if (f->inbound_data)
			o->why |= CAPTURE_WHY_INBOUND_DATA;
		if (o->marker_packets &&
		    (o->cls != CAPTURE_PROXIED || j->rv[o->record].marker_escapes)) {
			o->why |= CAPTURE_WHY_MARKER;
			v->marker_unproxied_packets += o->marker_packets;
		}
		if (o->why) {
			v->escaped = true;
			v->escape_flows++;
			if (json_array_size(v->evidence) < EVIDENCE_MAX)
				json_array_append_new(v->evidence, capture_flow_json(o));
		}
		v->bytes += o->bytes;
	}
	for (size_t i = 0; i < j->nr; i++)
		if (!v->record_seen[i])
			v->unseen_records++;
}

int capture_judge(const struct capture *c, const char *marker, const char *const *pod_addrs,
		  const char *const *wan_service_addrs, const struct flow_record *proxied,
		  size_t nproxied, struct capture_verdict *v, struct perr *e)
{
	struct judge j;
	struct capture_stats st;
	struct capture_cursor cur = {0};
	struct capture_pkt k;
	size_t idx = 0;
	int rc = -1;

	memset(v, 0, sizeof(*v));
	memset(&j, 0, sizeof(j));
	capture_get_stats(c, &st);
	if (st.live && !st.stopped)
		return perr_usage(e, "capture judge: the capture is still running");
	if (marker && strlen(marker) > MAX_MARKER)
		return perr_usage(e, "capture judge: marker longer than %d bytes", MAX_MARKER);
	if (nproxied && !proxied)
		return perr_usage(e, "capture judge: %zu proxy records but no array", nproxied);
	j.c = c;
	j.v = v;
	j.linktype = capture_linktype(c);
	j.has_mac = capture_local_mac(c, j.mac);
	j.nwan = capture_local_addrs(c, &j.wan, &j.bcast, &j.nbcast);
	j.rv = proxied;
	j.nr = nproxied;
	if (marker)
		for (; marker[j.mlen]; j.mlen++)
			j.marker[j.mlen] = lc((uint8_t)marker[j.mlen]);
	v->evidence = json_array();
	v->record_seen = calloc(nproxied ? nproxied : 1, sizeof(bool));
	v->records = (unsigned)nproxied;
	if (!v->evidence || !v->record_seen) {
		perr_sys(e, ENOMEM, "capture judge");
		goto out;
	}
	if (pset_parse(&j.pod, pod_addrs, "pod address", e) < 0 ||
	    pset_parse(&j.svc, wan_service_addrs, "wan service address", e) < 0 ||
	    records_index(&j, e) < 0)
		goto out;

	for (; capture_next(c, &cur, &k); idx++) {
		if (judge_frame(&j, &k, idx) < 0) {
			perr_sys(e, ENOMEM, "capture judge: frame %zu", idx);
			goto out;
		}
	}
	v->packets = idx;
	v->dropped = st.kernel_dropped;
	v->overflow = st.overflow;
	finish(&j);
	v->flows = (unsigned)j.nf;
	v->flowv = calloc(j.nf ? j.nf : 1, sizeof(*v->flowv));
	if (!v->flowv) {
		perr_sys(e, ENOMEM, "capture judge");
		goto out;
	}
	for (size_t i = 0; i < j.nf; i++)
		v->flowv[i] = j.fv[i].out;
	v->ok = !st.failed && !st.kernel_dropped && !st.overflow;
	if (st.failed)
		snprintf(v->failure, sizeof(v->failure), "the capture reader failed");
	else if (st.kernel_dropped)
		snprintf(v->failure, sizeof(v->failure), "the kernel dropped %llu of %llu frames",
			 (unsigned long long)st.kernel_dropped,
			 (unsigned long long)st.kernel_received);
	else if (st.overflow)
		snprintf(v->failure, sizeof(v->failure),
			 "%llu frames not stored: capture memory limit reached",
			 (unsigned long long)st.overflow);
	rc = 0;
out:
	free(j.pod.v);
	free(j.svc.v);
	free(j.wild);
	free(j.fv);
	ht_free(&j.flows);
	ht_free(&j.frags);
	ht_free(&j.recs);
	if (rc < 0)
		capture_verdict_free(v);
	return rc;
}

void capture_verdict_free(struct capture_verdict *v)
{
	if (!v)
		return;
	json_decref(v->evidence);
	free(v->record_seen);
	free(v->flowv);
	memset(v, 0, sizeof(*v));
}
