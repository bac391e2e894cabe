/* proxy_log.h - the proxy's audit log: one JSON object per line, each
 * written with a single write(2) so lines from one process never interleave
 * and a reader never sees half a line. Fields are documented in
 * docs/proxy.md; every line starts with "time" (RFC 3339, UTC) and "kind".
 */
#ifndef PARITY_PROXY_LOG_H
#define PARITY_PROXY_LOG_H

#include <jansson.h>
#include <stdint.h>

#include "netaddr.h"

/* A new line object: {"time": now, "kind": kind}. NULL on ENOMEM. */
json_t *proxy_log_begin(const char *kind);
/* Set "<prefix>_addr" and "<prefix>_port" (JSON null when a is NULL). */
void proxy_log_endpoint(json_t *o, const char *prefix, const struct netaddr *a, uint16_t port);
/* A JSON array of address strings. */
json_t *proxy_log_addrs(const struct netaddr *a, size_t n);
/* The fields of a DNS lookup made through resolver.h: resolver, qname,
 * qtype, local/remote endpoints, result, answers, sends. */
struct dns_query;
struct dns_answer;
void proxy_log_dns_query(json_t *o, const struct dns_query *q, const char *result,
			 const struct dns_answer *a);
/* Write the line to fd (-1: discard) and release o. */
void proxy_log_end(int fd, json_t *o);

#endif
