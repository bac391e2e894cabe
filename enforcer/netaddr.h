/* netaddr.h - IP addresses as the proxy sees them: strict parsing and
 * formatting, CIDR prefixes, and the "internal address" classification the
 * reference proxy applies to every resolved address before dialling.
 *
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address it maps:
 * netaddr_unmap() folds it, and the classifiers and CIDR tests fold it
 * themselves, so ::ffff:127.0.0.1 is loopback everywhere.
 */
#ifndef PARITY_NETADDR_H
#define PARITY_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct netaddr {
	int family;    /* AF_INET or AF_INET6 */
	uint8_t b[16]; /* network order; IPv4 uses b[0..3] */
};

struct netcidr {
	struct netaddr net; /* host bits are zero */
	unsigned prefix;    /* 0..32 or 0..128 */
};

/* Longest text netaddr_str() writes, NUL included (INET6_ADDRSTRLEN). */
#define NETADDR_STRLEN 46

/* Strict literal: dotted quad (no "127.1", no hex, no leading zeros) or an
 * IPv6 text without brackets or zone. Returns 0, or -1. */
int netaddr_parse(const char *s, struct netaddr *a);
/* Fold an IPv4-mapped IPv6 address to IPv4; others unchanged. */
void netaddr_unmap(struct netaddr *a);
bool netaddr_equal(const struct netaddr *a, const struct netaddr *b);
const char *netaddr_str(const struct netaddr *a, char *buf, size_t len);

/* A port: 1..5 decimal digits, value 1..65535 (no sign, no spaces).
 * Returns 0, or -1. */
int netaddr_parse_port(const char *s, size_t len, uint16_t *port);

/* "A.B.C.D:PORT" or "[IPV6]:PORT" (numeric only). Port 0 only when
 * port_zero_ok. Returns 0, or -1. */
int netaddr_parse_hostport(const char *s, struct netaddr *a, uint16_t *port, bool port_zero_ok);

/* sockaddr_in/in6 <-> netaddr + port (host order). Returns 0, or -1 for
 * another family. */
int netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *a, uint16_t *port);
socklen_t netaddr_to_sockaddr(const struct netaddr *a, uint16_t port, struct sockaddr_storage *ss);

/* "a.b.c.d/n", "x::/n", or a bare address (/32, /128). Host bits must be
 * zero. Returns 0, or -1 with *why set to a static explanation. */
int netcidr_parse(const char *s, struct netcidr *c, const char **why);
bool netcidr_contains(const struct netcidr *c, const struct netaddr *a);
bool netcidr_overlaps(const struct netcidr *x, const struct netcidr *y);

/* The reference's is_internal_ip: NULL when the address is public, else the
 * name of the range ("loopback", "rfc1918", "link-local", "unspecified",
 * "cgnat", "ietf-protocol", "benchmarking", "documentation", "broadcast",
 * "ula"). */
const char *netaddr_internal_kind(const struct netaddr *a);
/* Refused even when a policy's allowed_ips lists it: loopback, link-local,
 * unspecified. */
bool netaddr_always_blocked(const struct netaddr *a);

#endif
