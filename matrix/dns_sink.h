/* dns_sink.h - DNS wire format for the DNS sink witness. Pure functions, no
 * I/O: sinks.c feeds them UDP datagrams and TCP messages (without the 2-byte
 * length prefix).
 *
 *   dns_sink_parse_query()     header and every question (up to DNS_MAX_QUESTIONS):
 *                         labels of 1..63 octets, names of at most 255 octets,
 *                         compression pointers followed only strictly
 *                         backwards (so a pointer can never loop).
 *   dns_name_has_marker() the marker in the name, case-insensitively, even
 *                         when it is split across labels.
 *   dns_build_reply()     the answer from a tiny fixed zone:
 *                           <allowed> A    -> allowed_v4 (AAAA -> allowed_v6 or
 *                                             NOERROR without an answer)
 *                           <rebind>  A    -> rebind_v4 (127.0.0.1)
 *                           anything else  -> NXDOMAIN
 *                         FORMERR for malformed queries or QDCOUNT != 1,
 *                         NOTIMP for opcodes other than QUERY, no reply at
 *                         all to a response (QR set) or to less than a header.
 */
#ifndef PARITY_DNS_SINK_H
#define PARITY_DNS_SINK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
#define DNS_MAX_NAME_WIRE 255 /* octets, length bytes and the root label included */
#define DNS_MAX_TEXT 1152     /* 253 octets as \DDD plus dots, with room to spare */
#define DNS_MAX_QUESTIONS 4   /* questions parsed per message; the rest are counted */
#define DNS_MAX_REPLY 512

#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_NONE = -1, /* no reply was sent */
};

enum dns_status {
	DNS_OK = 0,
	DNS_ERR_SHORT = -1,	 /* shorter than a header */
	DNS_ERR_TRUNCATED = -2,	 /* a name or a question runs past the end */
	DNS_ERR_LABEL = -3,	 /* label type 01/10 (a "label > 63") */
	DNS_ERR_NAME = -4,	 /* name longer than 255 octets */
	DNS_ERR_POINTER = -5,	 /* pointer into the header, forwards, or looping */
	DNS_ERR_NOQUESTION = -6, /* QDCOUNT is 0 */
};

struct dns_question {
	uint8_t wire[DNS_MAX_NAME_WIRE]; /* uncompressed, original case, ends with 0 */
	size_t wire_len;
	char text[DNS_MAX_TEXT]; /* lowercased presentation form, "\." and "\DDD"
				  * escapes, no trailing dot ("." for the root) */
	uint16_t qtype, qclass;
};

struct dns_query {
	uint16_t id, flags;
	uint16_t qdcount, ancount, nscount, arcount;
	unsigned nq; /* questions parsed successfully (also on error) */
	struct dns_question q[DNS_MAX_QUESTIONS];
};

struct dns_zone {
	const char *allowed_name; /* lowercase, no trailing dot: "allowed.test" */
	bool has_allowed_v4, has_allowed_v6;
	struct in_addr allowed_v4;
	struct in6_addr allowed_v6;
	const char *rebind_name; /* "rebind.test"; NULL: none */
	struct in_addr rebind_v4;
	uint32_t ttl;
};

/* Parse msg. Returns DNS_OK or a negative enum dns_status; q->nq questions
 * are valid either way (the header too unless DNS_ERR_SHORT). */
int dns_sink_parse_query(const uint8_t *msg, size_t len, struct dns_query *q);
const char *dns_status_str(int status);

/* Whether marker (lowercase) occurs in the concatenated label octets of the
 * question's name, ignoring ASCII case. */
bool dns_name_has_marker(const struct dns_question *q, const char *marker, size_t mlen);

/* Build the reply to msg, given its parse status and parse result. Returns
 * the reply length, or 0 when no reply is due. *rcode gets the reply's
 * rcode (DNS_RCODE_NONE when none). cap >= DNS_MAX_REPLY is always enough. */
size_t dns_build_reply(const uint8_t *msg, size_t len, int status, const struct dns_query *q,
		       const struct dns_zone *z, uint8_t *out, size_t cap, int *rcode);

/* "A", "AAAA", ... or "TYPE65" in buf. */
const char *dns_type_str(uint16_t type, char *buf, size_t len);
/* "NOERROR", "NXDOMAIN", ..., "none". */
const char *dns_rcode_str(int rcode);

#endif
