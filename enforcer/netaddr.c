/* netaddr.c - address parsing, CIDRs and the internal-address classes. */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int netaddr_parse(const char *s, struct netaddr *a)
{
	memset(a, 0, sizeof(*a));
	/* glibc's inet_pton(AF_INET) takes only four decimal parts without
	 * leading zeros, unlike inet_aton ("127.1", "0x7f.1"). */
	if (inet_pton(AF_INET, s, a->b) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (strchr(s, '%') == NULL && inet_pton(AF_INET6, s, a->b) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -1;
}

void netaddr_unmap(struct netaddr *a)
{
	if (a->family == AF_INET6 && memcmp(a->b, v4mapped_prefix, 12) == 0) {
		memmove(a->b, a->b + 12, 4);
		memset(a->b + 4, 0, 12);
		a->family = AF_INET;
	}
}

bool netaddr_equal(const struct netaddr *a, const struct netaddr *b)
{
	struct netaddr x = *a, y = *b;

	netaddr_unmap(&x);
	netaddr_unmap(&y);
	return x.family == y.family && memcmp(x.b, y.b, x.family == AF_INET ? 4 : 16) == 0;
}

const char *netaddr_str(const struct netaddr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->b, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

int netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *a, uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		a->family = AF_INET;
		memcpy(a->b, &in->sin_addr, 4);
		if (port)
			*port = ntohs(in->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		a->family = AF_INET6;
		memcpy(a->b, &in6->sin6_addr, 16);
		if (port)
			*port = ntohs(in6->sin6_port);
		return 0;
	}
	return -1;
}

socklen_t netaddr_to_sockaddr(const struct netaddr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, a->b, 4);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	memcpy(&in6->sin6_addr, a->b, 16);
	return sizeof(*in6);
}

int netaddr_parse_port(const char *s, size_t len, uint16_t *port)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int netaddr_parse_hostport(const char *s, struct netaddr *a, uint16_t *port, bool port_zero_ok)
{
	char addr[NETADDR_STRLEN + 1];
	const char *colon, *start = s;
	size_t alen;

	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -1;
		start = s + 1;
		alen = (size_t)(close - start);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -1; /* a bare IPv6 address needs brackets */
		alen = (size_t)(colon - s);
	}
	if (alen == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, start, alen);
	addr[alen] = 0;
	if (netaddr_parse(addr, a) != 0)
		return -1;
	if (*s == '[' && a->family != AF_INET6)
		return -1;
	if (port_zero_ok && strcmp(colon + 1, "0") == 0) {
		*port = 0;
		return 0;
	}
	return netaddr_parse_port(colon + 1, strlen(colon + 1), port);
}

static unsigned family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* True when the first `prefix` bits of x and y agree. */
static bool prefix_equal(const uint8_t *x, const uint8_t *y, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(x, y, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (x[full] & mask) == (y[full] & mask);
}

int netcidr_parse(const char *s, struct netcidr *c, const char **why)
{
	char addr[NETADDR_STRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	long prefix;

	*why = "expected an address or CIDR such as 203.0.113.0/24 or 2001:db8::/48";
	if (alen == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, s, alen);
	addr[alen] = 0;
	if (netaddr_parse(addr, &c->net) != 0)
		return -1;
	if (!slash) {
		c->prefix = family_bits(c->net.family);
		return 0;
	}
	const char *p = slash + 1;
	size_t plen = strlen(p);
	if (plen == 0 || plen > 3 || (p[0] == '0' && plen > 1))
		return -1;
	for (size_t i = 0; i < plen; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	prefix = strtol(p, NULL, 10);
	if (prefix > (long)family_bits(c->net.family)) {
		*why = "prefix length is longer than the address";
		return -1;
	}
	c->prefix = (unsigned)prefix;
	for (unsigned bit = c->prefix; bit < family_bits(c->net.family); bit++) {
		if (c->net.b[bit / 8] & (0x80 >> (bit % 8))) {
			*why = "host bits are set after the prefix length";
			return -1;
		}
	}
	return 0;
}

/* Compare in IPv6 space: an IPv4 CIDR a.b.c.d/n is ::ffff:a.b.c.d/(96+n), so
 * mapped and plain forms of one network always agree, and a broad IPv6 CIDR
 * such as ::/16 is seen to cover the mapped loopback range. */
static struct netcidr cidr_v6(const struct netcidr *c)
{
	struct netcidr u = *c;

	if (c->net.family == AF_INET) {
		u.net.family = AF_INET6;
		memcpy(u.net.b, v4mapped_prefix, 12);
		memcpy(u.net.b + 12, c->net.b, 4);
		u.prefix = c->prefix + 96;
	}
	return u;
}

bool netcidr_contains(const struct netcidr *c, const struct netaddr *a)
{
	struct netcidr host = {.net = *a, .prefix = family_bits(a->family)};
	struct netcidr u = cidr_v6(c), x = cidr_v6(&host);

	return prefix_equal(u.net.b, x.net.b, u.prefix);
}

bool netcidr_overlaps(const struct netcidr *x, const struct netcidr *y)
{
	struct netcidr a = cidr_v6(x), b = cidr_v6(y);

	return prefix_equal(a.net.b, b.net.b, a.prefix < b.prefix ? a.prefix : b.prefix);
}

struct range {
	const char *cidr;
	const char *kind;
};

/* The reference's is_internal_ip (U-HEAD, with is_documentation()), and
 * ours: the same IPv4 ranges carried inside an IPv6 address
 * (embedded_v4()), and the IPv4-compatible block as a whole. */
static const struct range internal_ranges[] = {
    {"0.0.0.0/32", "unspecified"},
    {"127.0.0.0/8", "loopback"},
    {"10.0.0.0/8", "rfc1918"},
    {"172.16.0.0/12", "rfc1918"},
    {"192.168.0.0/16", "rfc1918"},
    {"169.254.0.0/16", "link-local"},
    {"100.64.0.0/10", "cgnat"},
    {"192.0.0.0/24", "ietf-protocol"},
    {"198.18.0.0/15", "benchmarking"},
    {"192.0.2.0/24", "documentation"},
    {"198.51.100.0/24", "documentation"},
    {"203.0.113.0/24", "documentation"},
    {"255.255.255.255/32", "broadcast"},
    {"::/128", "unspecified"},
    {"::1/128", "loopback"},
    /* Ours: ::a.b.c.d (deprecated, RFC 4291) is never a DNS answer worth
     * dialling, and with the sit device up it is reachable: Linux gives
     * sit0 ::127.0.0.1 and ::<each IPv4 address of the host>. */
    {"::/96", "ipv4-compatible"},
    {"fe80::/10", "link-local"},
    {"fc00::/7", "ula"},
    {"2001:db8::/32", "documentation"},
};

static const struct range always_blocked_ranges[] = {
    {"0.0.0.0/32", "unspecified"}, {"127.0.0.0/8", "loopback"}, {"169.254.0.0/16", "link-local"},
    {"::/128", "unspecified"},	   {"::1/128", "loopback"},	{"fe80::/10", "link-local"},
};

enum embedding { EMBED_NONE, EMBED_NAT64, EMBED_COMPAT, EMBED_6TO4, EMBED_N };
static const char *const embedding_name[EMBED_N] = {NULL, "nat64", "ipv4-compatible", "6to4"};

/* The IPv4 address an IPv6 address carries, and how; beyond the
 * reference, whose table has none of them:
 * - NAT64: the well-known prefix 64:ff9b::/96 (RFC 6052) carries it in the
 *   last 32 bits, the local-use prefix 64:ff9b:1::/48 (RFC 8215) in bits
 *   48-63 and 72-87 (RFC 6052's /48 format, the u octet between). Behind a
 *   translator (an IPv6-only cluster), 64:ff9b::a00:5 reaches 10.0.0.5.
 * - IPv4-compatible ::a.b.c.d (its whole block is internal anyway; named
 *   by what it carries).
 * - 6to4 2002:AABB:CCDD::/48 (RFC 3056): a 6to4 tunnel sends it to
 *   AA.BB.CC.DD, 2002:7f00:1:: to the loopback. */
static enum embedding embedded_v4(const struct netaddr *a, struct netaddr *v4)
{
	static const uint8_t well_known[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t local_use[6] = {0, 0x64, 0xff, 0x9b, 0, 1};
	static const uint8_t zero12[12] = {0};

	if (a->family != AF_INET6)
		return EMBED_NONE;
	memset(v4, 0, sizeof(*v4));
	v4->family = AF_INET;
	if (memcmp(a->b, well_known, sizeof(well_known)) == 0) {
		memcpy(v4->b, a->b + 12, 4);
		return EMBED_NAT64;
	}
	if (memcmp(a->b, local_use, sizeof(local_use)) == 0) {
		v4->b[0] = a->b[6];
		v4->b[1] = a->b[7];
		v4->b[2] = a->b[9];
		v4->b[3] = a->b[10];
		return EMBED_NAT64;
	}
	/* :: and ::1 are not IPv4-compatible (RFC 4291 2.5.5.1). */
	if (memcmp(a->b, zero12, sizeof(zero12)) == 0 &&
	    (a->b[12] || a->b[13] || a->b[14] || a->b[15] > 1)) {
		memcpy(v4->b, a->b + 12, 4);
		return EMBED_COMPAT;
	}
	if (a->b[0] == 0x20 && a->b[1] == 0x02) {
		memcpy(v4->b, a->b + 2, 4);
		return EMBED_6TO4;
	}
	return EMBED_NONE;
}

/* "nat64 loopback", "6to4 rfc1918"...: made once, kept (the proxy logs
 * and answers with them). */
#define MAX_RANGES 32
static char embedded_kinds[2][EMBED_N][MAX_RANGES][40];
static pthread_once_t embedded_once = PTHREAD_ONCE_INIT;

static void fill_kinds(int t, const struct range *r, size_t n)
{
	for (int k = 1; k < EMBED_N; k++)
		for (size_t i = 0; i < n && i < MAX_RANGES; i++)
			snprintf(embedded_kinds[t][k][i], sizeof(embedded_kinds[t][k][i]), "%s %s",
				 embedding_name[k], r[i].kind);
}

static void make_embedded_kinds(void)
{
	fill_kinds(0, internal_ranges, ARRAY_SIZE(internal_ranges));
	fill_kinds(1, always_blocked_ranges, ARRAY_SIZE(always_blocked_ranges));
}

static const char *match_ranges(int t, const struct range *r, size_t n, const struct netaddr *a)
{
	struct netaddr v4;
	enum embedding how = embedded_v4(a, &v4);
	const char *plain = NULL;

	pthread_once(&embedded_once, make_embedded_kinds);
	for (size_t i = 0; i < n; i++) {
		struct netcidr c;
		const char *why;
		if (netcidr_parse(r[i].cidr, &c, &why) != 0 || i >= MAX_RANGES)
			abort(); /* the tables above are constants */
		/* What an embedded IPv4 address is, first: ::127.0.0.1 is
		 * "ipv4-compatible loopback", not only "ipv4-compatible". */
		if (how != EMBED_NONE && c.net.family == AF_INET && netcidr_contains(&c, &v4))
			return embedded_kinds[t][how][i];
		if (!plain && netcidr_contains(&c, a))
			plain = r[i].kind;
	}
	return plain;
}

const char *netaddr_internal_kind(const struct netaddr *a)
{
	return match_ranges(0, internal_ranges, ARRAY_SIZE(internal_ranges), a);
}

bool netaddr_always_blocked(const struct netaddr *a)
{
	return match_ranges(1, always_blocked_ranges, ARRAY_SIZE(always_blocked_ranges), a) != NULL;
}
