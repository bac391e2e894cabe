/* sinks_evidence.c - what the network witnesses record, and the evidence
 * JSON (sinks_evidence(), sinks_saw_marker()). Recording functions run with
 * s->lock held (see sinks_int.h). */
#include "sinks_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* marker is lowercase; p is compared with ASCII case ignored. */
static bool ci_find(const uint8_t *p, size_t n, const char *marker, size_t mlen)
{
	const uint8_t m0 = (uint8_t)marker[0];

	for (size_t i = 0; i + mlen <= n; i++) {
		size_t j;

		if (lower(p[i]) != m0)
			continue;
		for (j = 1; j < mlen && lower(p[i + j]) == (uint8_t)marker[j]; j++)
			;
		if (j == mlen)
			return true;
	}
	return false;
}

bool mscan_feed(struct mscan *m, const char *marker, size_t mlen, const uint8_t *p, size_t n)
{
	size_t keep = mlen - 1;
	bool found = false;

	if (!mlen || mlen > SINKS_MARKER_MAX)
		return false;
	if (m->n && n) {
		uint8_t tmp[2 * SINKS_MARKER_MAX];
		size_t k = n < keep ? n : keep;

		memcpy(tmp, m->tail, m->n);
		memcpy(tmp + m->n, p, k);
		found = ci_find(tmp, m->n + k, marker, mlen);
	}
	if (!found)
		found = ci_find(p, n, marker, mlen);
	if (n >= keep) {
		memcpy(m->tail, p + n - keep, keep);
		m->n = keep;
	} else {
		if (m->n + n > keep) {
			size_t drop = m->n + n - keep;

			memmove(m->tail, m->tail + drop, m->n - drop);
			m->n -= drop;
		}
		memcpy(m->tail + m->n, p, n);
		m->n += n;
	}
	return found;
}

const char *sockaddr_text(const struct sockaddr_storage *ss, char buf[SINKS_ADDR_LEN],
			  uint16_t *port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	buf[0] = '\0';
	*port = 0;
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, buf, SINKS_ADDR_LEN);
		*port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, buf, SINKS_ADDR_LEN);
		*port = ntohs(sin6->sin6_port);
	} else {
		snprintf(buf, SINKS_ADDR_LEN, "family %d", ss->ss_family);
	}
	return buf;
}

void sinks_escape(char *out, const uint8_t *p, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c == '\r') {
			out[o++] = '\\';
			out[o++] = 'r';
		} else if (c == '\t') {
			out[o++] = '\\';
			out[o++] = 't';
		} else if (c < 0x20 || c > 0x7e) {
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

int wit_peer(struct witness *w, const struct sockaddr_storage *peer, bool conn)
{
	char a[SINKS_ADDR_LEN];
	uint16_t port;
	unsigned i;

	sockaddr_text(peer, a, &port);
	if (conn)
		w->conns++;
	else
		w->dgrams++;
	for (i = 0; i < w->npeers && strcmp(w->peers[i], a); i++)
		;
	if (i == w->npeers) {
		if (!w->peers)
			w->peers = calloc(SINKS_MAX_PEERS, sizeof(*w->peers));
		if (w->peers && w->npeers < SINKS_MAX_PEERS)
			memcpy(w->peers[w->npeers++], a, sizeof(a));
		else
			w->peers_dropped++;
	}
	if (!w->rec)
		w->rec = calloc(SINKS_MAX_RECORDS, sizeof(*w->rec));
	if (!w->rec || w->nrec >= SINKS_MAX_RECORDS) {
		w->rec_dropped++;
		return -1;
	}
	memcpy(w->rec[w->nrec].peer, a, sizeof(a));
	w->rec[w->nrec].port = port;
	return (int)w->nrec++;
}

bool wit_data(struct sinks *s, struct witness *w, int rec, uint64_t owner, struct mscan *scan,
	      const uint8_t *p, size_t n)
{
	struct mscan tmp = {.n = 0};
	bool found;

	w->bytes += n;
	if (rec >= 0)
		w->rec[rec].bytes += n;
	if (n && w->nfirst < SINKS_FIRST_BYTES && (!w->first_owner || w->first_owner == owner)) {
		size_t k = SINKS_FIRST_BYTES - w->nfirst < n ? SINKS_FIRST_BYTES - w->nfirst : n;

		w->first_owner = owner;
		memcpy(w->first + w->nfirst, p, k);
		w->nfirst += k;
	}
	found = mscan_feed(scan ? scan : &tmp, s->marker, s->mlen, p, n);
	if (found) {
		w->marker = true;
		if (rec >= 0)
			w->rec[rec].marker = true;
	}
	return found;
}

void wit_error(struct witness *w, const char *what, int err)
{
	w->errors++;
}

void dns_record(struct sinks *s, struct witness *w, const struct sockaddr_storage *peer,
		const struct dns_query *q, int status, int rcode)
{
	s->dns_questions += q->nq;
	if (status != DNS_OK)
		s->dns_malformed++;
	for (unsigned i = 0; i < q->nq; i++) {
		bool m = dns_name_has_marker(&q->q[i], s->marker, s->mlen);
		struct dns_rec *r;

		if (m) {
			s->dns_marker = true;
			w->marker = true;
		}
		if (s->ndq >= SINKS_MAX_QUERIES) {
			s->dq_dropped++;
			continue;
		}
		if (!s->dq) {
			s->dq = calloc(SINKS_MAX_QUERIES, sizeof(*s->dq));
			if (!s->dq) {
				s->dq_dropped++;
				continue;
			}
		}
		r = &s->dq[s->ndq];
		r->name = strdup(q->q[i].text);
		if (!r->name) {
			s->dq_dropped++;
			continue;
		}
		r->qtype = q->q[i].qtype;
		r->tcp = w->proto == IPPROTO_TCP;
		r->marker = m;
		/* only the first question is answered */
		r->rcode = i == 0 ? rcode : DNS_RCODE_NONE;
		memcpy(r->server, w->addr, sizeof(r->server));
		sockaddr_text(peer, r->peer, &r->port);
		s->ndq++;
	}
}

/* ---- JSON */

static json_t *first_json(const uint8_t *p, size_t n)
{
	char buf[4 * SINKS_FIRST_BYTES + 1];

	sinks_escape(buf, p, n);
	return json_string(buf);
}

static json_t *wit_json(const struct witness *w)
{
	json_t *o = json_object(), *peers = json_array(), *recs = json_array();

	for (unsigned i = 0; i < w->npeers; i++)
		json_array_append_new(peers, json_string(w->peers[i]));
	for (unsigned i = 0; i < w->nrec; i++)
		json_array_append_new(recs, json_pack("{s:s, s:i, s:I, s:b}", "peer",
						      w->rec[i].peer, "port", w->rec[i].port,
						      "bytes", (json_int_t)w->rec[i].bytes,
						      "marker_seen", w->rec[i].marker));
	json_object_set_new(o, "id", json_string(w->id));
	json_object_set_new(o, "proto", json_string(w->pname));
	json_object_set_new(o, "family", json_string(w->family == AF_INET ? "ipv4" : "ipv6"));
	json_object_set_new(o, "address", json_string(w->addr));
	json_object_set_new(o, "port", json_integer(w->port));
	json_object_set_new(o, "status", json_string(w->status));
	json_object_set_new(o, "available", json_boolean(w->available));
	json_object_set_new(o, "failed", json_boolean(w->failed));
	json_object_set_new(o, "connections", json_integer((json_int_t)w->conns));
	json_object_set_new(o, "datagrams", json_integer((json_int_t)w->dgrams));
	json_object_set_new(o, "bytes", json_integer((json_int_t)w->bytes));
	json_object_set_new(o, "marker_seen", json_boolean(w->marker));
	json_object_set_new(o, "first_payload",
			    w->nfirst ? first_json(w->first, w->nfirst) : json_null());
	json_object_set_new(o, "peers", peers);
	json_object_set_new(o, "peers_dropped", json_integer((json_int_t)w->peers_dropped));
	json_object_set_new(o, "records", recs);
	json_object_set_new(o, "records_dropped", json_integer((json_int_t)w->rec_dropped));
	json_object_set_new(o, "errors", json_integer((json_int_t)w->errors));
	return o;
}

static json_t *dns_json(const struct sinks *s, json_t *seen_by)
{
	json_t *o = json_object(), *qs = json_array();
	char tb[16];

	for (size_t i = 0; i < s->ndq; i++) {
		const struct dns_rec *r = &s->dq[i];

		json_array_append_new(
		    qs, json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:i, s:s, s:b}", "name", r->name,
				  "type", dns_type_str(r->qtype, tb, sizeof(tb)), "qtype", r->qtype,
				  "transport", r->tcp ? "tcp" : "udp", "server", r->server, "peer",
				  r->peer, "peer_port", r->port, "rcode", dns_rcode_str(r->rcode),
				  "marker_seen", r->marker));
		if (r->marker && json_array_size(seen_by) < 32) {
			char id[1300];

			snprintf(id, sizeof(id), "dns query %s", r->name);
			json_array_append_new(seen_by, json_string(id));
		}
	}
	json_object_set_new(o, "marker_seen", json_boolean(s->dns_marker));
	json_object_set_new(o, "questions", json_integer((json_int_t)s->dns_questions));
	json_object_set_new(o, "malformed", json_integer((json_int_t)s->dns_malformed));
	json_object_set_new(o, "queries", qs);
	json_object_set_new(o, "queries_dropped", json_integer((json_int_t)s->dq_dropped));
	return o;
}

static bool saw_marker_locked(const struct sinks *s)
{
	if (s->dns_marker)
		return true;
	for (size_t i = 0; i < s->nw; i++) {
		if (s->w[i].marker && s->w[i].role != ROLE_UPSTREAM)
			return true;
	}
	return s->acc_marker;
}

bool sinks_saw_marker(const struct sinks *s)
{
	struct sinks *m = (struct sinks *)s; /* the lock only */
	bool r;

	if (!s)
		return false;
	pthread_mutex_lock(&m->lock);
	r = saw_marker_locked(s);
	pthread_mutex_unlock(&m->lock);
	return r;
}

const char *sinks_failed_witness(const struct sinks *s, char *buf, size_t len)
{
	struct sinks *m = (struct sinks *)s; /* the lock only */
	const char *r = NULL;

	if (!s)
		return NULL;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < s->nw && !r; i++) {
		if (s->w[i].failed) {
			snprintf(buf, len, "%s: %s", s->w[i].id, s->w[i].status);
			r = buf;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

json_t *sinks_evidence(const struct sinks *s)
{
	struct sinks *m = (struct sinks *)s; /* the lock only */
	json_t *o, *sinks, *dnsw, *upw, *seen_by, *failed, *unavail, *dns, *up, *timing;
	bool up_marker = false;

	if (!s)
		return NULL;
	o = json_object();
	sinks = json_array();
	dnsw = json_array();
	upw = json_array();
	seen_by = json_array();
	failed = json_array();
	unavail = json_array();
	up = json_object();
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < s->nw; i++) {
		const struct witness *w = &s->w[i];
		json_t *arr = w->role == ROLE_SINK ? sinks : w->role == ROLE_DNS ? dnsw : upw;

		json_array_append_new(arr, wit_json(w));
		if (w->marker && w->role != ROLE_UPSTREAM)
			json_array_append_new(seen_by, json_string(w->id));
		if (w->role == ROLE_UPSTREAM)
			up_marker |= w->marker;
		if (w->failed)
			json_array_append_new(failed, json_string(w->id));
		if (!w->available && !w->failed)
			json_array_append_new(unavail, json_string(w->id));
	}
	dns = dns_json(s, seen_by);
	json_object_set_new(dns, "witnesses", dnsw);
	json_object_set_new(up, "marker_seen", json_boolean(up_marker));
	json_object_set_new(up, "note",
			    json_string("reached through the proxy in normal operation: the "
					"marker here is not an escape by itself"));
	json_object_set_new(up, "witnesses", upw);
	for (size_t i = 0; i < s->nacc; i++) {
		const struct acc_rec *r = &s->acc[i];

		if (r->marker && json_array_size(seen_by) < 64) {
			char id[96];

			snprintf(id, sizeof(id), "accomplice %s %s%s%s:%u",
				 r->proto == IPPROTO_TCP ? "tcp" : "udp",
				 strchr(r->addr, ':') ? "[" : "", r->addr,
				 strchr(r->addr, ':') ? "]" : "", r->port);
			json_array_append_new(seen_by, json_string(id));
		}
	}
	timing = json_pack("{s:f, s:f, s:f, s:i, s:i}", "start_ms", s->start_ms, "stop_ms",
			   s->stop_ms, "settle_ms", s->settle_ms, "settle_idle_ms",
			   s->settle_idle_ms, "settle_max_ms", s->settle_max_ms);
	json_object_set_new(o, "marker", json_string(s->marker));
	json_object_set_new(o, "marker_seen", json_boolean(saw_marker_locked(s)));
	json_object_set_new(o, "seen_by", seen_by);
	json_object_set_new(o, "ok", json_boolean(!s->run_failed && !json_array_size(failed)));
	json_object_set_new(o, "failed", failed);
	json_object_set_new(o, "unavailable", unavail);
	json_object_set_new(o, "sinks", sinks);
	json_object_set_new(o, "dns", dns);
	json_object_set_new(o, "allowed_upstream", up);
	json_object_set_new(o, "accomplice", accomplice_json(s));
	json_object_set_new(o, "accomplice_dropped", json_integer((json_int_t)s->acc_dropped));
	json_object_set_new(o, "connections_evicted", json_integer((json_int_t)s->conns_evicted));
	json_object_set_new(o, "connections_unserved", json_integer((json_int_t)s->conns_unserved));
	json_object_set_new(o, "drained", json_integer((json_int_t)s->drained));
	json_object_set_new(o, "timing", timing);
	json_object_set_new(
	    o, "not_covered",
	    json_string("only the ports listed have a socket: other ports of the sink "
			"addresses, and ICMP, are seen by the packet capture alone"));
	pthread_mutex_unlock(&m->lock);
	return o;
}
