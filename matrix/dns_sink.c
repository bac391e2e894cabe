/* dns_sink.c - DNS wire format for the DNS sink witness (see dns_sink.h). */
#include "dns_sink.h"

#include <stdio.h>
#include <string.h>

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* Append the presentation form of one label to text at *tl. */
static void label_text(const uint8_t *l, size_t n, char *text, size_t *tl)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = lower(l[i]);
		if (c == '.' || c == '\\' || c == '"' || c == ' ') {
			text[(*tl)++] = '\\';
			text[(*tl)++] = (char)c;
		} else if (c < 0x21 || c > 0x7e) {
			*tl += (size_t)snprintf(text + *tl, 5, "\\%03u", c);
		} else {
			text[(*tl)++] = (char)c;
		}
	}
}

/* Read the name at *off. On success *off is just past the name in the
 * message (past the first pointer if there was one). */
static int read_name(const uint8_t *msg, size_t len, size_t *off, struct dns_question *q)
{
	size_t pos = *off, seg_start = *off, end = 0, tl = 0;
	bool jumped = false;

	q->wire_len = 0;
	for (;;) {
		uint8_t c;

		if (pos >= len)
			return DNS_ERR_TRUNCATED;
		c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return DNS_ERR_TRUNCATED;
			target = ((size_t)(c & 0x3f) << 8) | msg[pos + 1];
			/* Strictly before every octet read so far for this
			 * name, and not into the header: each jump lowers the
			 * segment start, so the walk always ends. */
			if (target < DNS_HEADER_LEN || target >= seg_start)
				return DNS_ERR_POINTER;
			if (!jumped)
				end = pos + 2;
			jumped = true;
			pos = seg_start = target;
			continue;
		}
		if (c & 0xc0)
			return DNS_ERR_LABEL;
		if (c == 0) {
			if (q->wire_len + 1 > DNS_MAX_NAME_WIRE)
				return DNS_ERR_NAME;
			q->wire[q->wire_len++] = 0;
			break;
		}
		if (pos + 1 + c > len)
			return DNS_ERR_TRUNCATED;
		/* the label, and at least the root label after it */
		if (q->wire_len + 1 + c + 1 > DNS_MAX_NAME_WIRE)
			return DNS_ERR_NAME;
		q->wire[q->wire_len++] = c;
		memcpy(q->wire + q->wire_len, msg + pos + 1, c);
		q->wire_len += c;
		if (tl)
			q->text[tl++] = '.';
		label_text(msg + pos + 1, c, q->text, &tl);
		pos += 1 + (size_t)c;
	}
	if (!tl)
		q->text[tl++] = '.';
	q->text[tl] = '\0';
	*off = jumped ? end : pos + 1;
	return DNS_OK;
}

int dns_sink_parse_query(const uint8_t *msg, size_t len, struct dns_query *q)
{
	size_t off = DNS_HEADER_LEN;

	memset(q, 0, offsetof(struct dns_query, q));
	if (len < DNS_HEADER_LEN)
		return DNS_ERR_SHORT;
	q->id = get16(msg);
	q->flags = get16(msg + 2);
	q->qdcount = get16(msg + 4);
	q->ancount = get16(msg + 6);
	q->nscount = get16(msg + 8);
	q->arcount = get16(msg + 10);
	if (q->qdcount == 0)
		return DNS_ERR_NOQUESTION;
	for (unsigned i = 0; i < q->qdcount && i < DNS_MAX_QUESTIONS; i++) {
		struct dns_question *qq = &q->q[i];
		int r = read_name(msg, len, &off, qq);

		if (r < 0)
			return r;
		if (off + 4 > len)
			return DNS_ERR_TRUNCATED;
		qq->qtype = get16(msg + off);
		qq->qclass = get16(msg + off + 2);
		off += 4;
		q->nq++;
	}
	return DNS_OK;
}

const char *dns_status_str(int status)
{
	switch (status) {
	case DNS_OK:
		return "ok";
	case DNS_ERR_SHORT:
		return "shorter than a DNS header";
	case DNS_ERR_TRUNCATED:
		return "truncated question";
	case DNS_ERR_LABEL:
		return "bad label length or type";
	case DNS_ERR_NAME:
		return "name longer than 255 octets";
	case DNS_ERR_POINTER:
		return "bad compression pointer";
	case DNS_ERR_NOQUESTION:
		return "no question";
	}
	return "unknown";
}

bool dns_name_has_marker(const struct dns_question *q, const char *marker, size_t mlen)
{
	uint8_t flat[DNS_MAX_NAME_WIRE];
	size_t n = 0, i = 0;

	if (!mlen)
		return false;
	while (i < q->wire_len && q->wire[i]) {
		size_t l = q->wire[i];

		for (size_t k = 0; k < l && i + 1 + k < q->wire_len; k++)
			flat[n++] = lower(q->wire[i + 1 + k]);
		i += 1 + l;
	}
	for (i = 0; i + mlen <= n; i++) {
		if (flat[i] == (uint8_t)marker[0] && !memcmp(flat + i, marker, mlen))
			return true;
	}
	return false;
}

/* Lowercase wire name equal to the dotted lowercase name? */
static bool name_is(const struct dns_question *q, const char *name)
{
	return name && !strcmp(q->text, name);
}

static size_t put_rr(uint8_t *p, uint16_t type, uint32_t ttl, const void *rdata, uint16_t rdlen)
{
	put16(p, 0xc000 | DNS_HEADER_LEN); /* the question's name */
	put16(p + 2, type);
	put16(p + 4, 1);
	put16(p + 6, (uint16_t)(ttl >> 16));
	put16(p + 8, (uint16_t)ttl);
	put16(p + 10, rdlen);
	memcpy(p + 12, rdata, rdlen);
	return 12 + (size_t)rdlen;
}

size_t dns_build_reply(const uint8_t *msg, size_t len, int status, const struct dns_query *q,
		       const struct dns_zone *z, uint8_t *out, size_t cap, int *rcode)
{
	uint16_t flags, in_flags, opcode, ancount = 0, qdcount = 0;
	const struct dns_question *qq = NULL;
	size_t n = DNS_HEADER_LEN;
	int rc = DNS_RCODE_NOERROR;

	*rcode = DNS_RCODE_NONE;
	if (len < DNS_HEADER_LEN || cap < DNS_MAX_REPLY)
		return 0;
	in_flags = get16(msg + 2);
	if (in_flags & DNS_FLAG_QR)
		return 0; /* never answer a response: no loops with a peer */
	opcode = (in_flags >> 11) & 0xf;
	if (status != DNS_OK || q->qdcount != 1) {
		rc = DNS_RCODE_FORMERR;
	} else {
		qq = &q->q[0];
		qdcount = 1;
		if (opcode != 0)
			rc = DNS_RCODE_NOTIMP;
	}
	if (qq) {
		memcpy(out + n, qq->wire, qq->wire_len);
		n += qq->wire_len;
		put16(out + n, qq->qtype);
		put16(out + n + 2, qq->qclass);
		n += 4;
	}
	if (qq && rc == DNS_RCODE_NOERROR) {
		bool in = qq->qclass == 1 || qq->qclass == 255;
		bool a = in && (qq->qtype == 1 || qq->qtype == 255);
		bool aaaa = in && (qq->qtype == 28 || qq->qtype == 255);

		if (name_is(qq, z->allowed_name)) {
			if (a && z->has_allowed_v4) {
				n += put_rr(out + n, 1, z->ttl, &z->allowed_v4, 4);
				ancount++;
			}
			if (aaaa && z->has_allowed_v6) {
				n += put_rr(out + n, 28, z->ttl, &z->allowed_v6, 16);
				ancount++;
			}
		} else if (name_is(qq, z->rebind_name)) {
			if (a) {
				n += put_rr(out + n, 1, z->ttl, &z->rebind_v4, 4);
				ancount++;
			}
		} else {
			rc = DNS_RCODE_NXDOMAIN;
		}
	}
	flags = (uint16_t)(DNS_FLAG_QR | (opcode << 11) | DNS_FLAG_AA | (in_flags & DNS_FLAG_RD) |
			   DNS_FLAG_RA | rc);
	put16(out, get16(msg));
	put16(out + 2, flags);
	put16(out + 4, qdcount);
	put16(out + 6, ancount);
	put16(out + 8, 0);
	put16(out + 10, 0);
	*rcode = rc;
	return n;
}

const char *dns_type_str(uint16_t type, char *buf, size_t len)
{
	static const struct {
		uint16_t t;
		const char *s;
	} names[] = {
	    {1, "A"},	 {2, "NS"},	{5, "CNAME"},	{6, "SOA"},   {12, "PTR"},
	    {15, "MX"},	 {16, "TXT"},	{28, "AAAA"},	{33, "SRV"},  {35, "NAPTR"},
	    {41, "OPT"}, {43, "DS"},	{48, "DNSKEY"}, {64, "SVCB"}, {65, "HTTPS"},
	    {99, "SPF"}, {252, "AXFR"}, {255, "ANY"},	{257, "CAA"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].t == type)
			return names[i].s;
	}
	snprintf(buf, len, "TYPE%u", type);
	return buf;
}

const char *dns_rcode_str(int rcode)
{
	switch (rcode) {
	case DNS_RCODE_NOERROR:
		return "NOERROR";
	case DNS_RCODE_FORMERR:
		return "FORMERR";
	case DNS_RCODE_SERVFAIL:
		return "SERVFAIL";
	case DNS_RCODE_NXDOMAIN:
		return "NXDOMAIN";
	case DNS_RCODE_NOTIMP:
		return "NOTIMP";
	case DNS_RCODE_REFUSED:
		return "REFUSED";
	case DNS_RCODE_NONE:
		return "none";
	}
	return "unknown";
}
