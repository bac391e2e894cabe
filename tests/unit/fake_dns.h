/* fake_dns.h - a tiny authoritative DNS server on UDP for the proxy tests:
 * answers A/AAAA from a table, records every query (name, type, source
 * address and port) so a test can prove a name was never asked, and can
 * stay silent for chosen names (timeouts) or send a wrong-ID reply first
 * (the client must ignore it). Runs in a thread of the test process. */
#ifndef PARITY_FAKE_DNS_H
#define PARITY_FAKE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fake_dns;

/* Listen on addr:port (port 0: any). NULL on failure. */
struct fake_dns *fake_dns_start(const char *addr, uint16_t port);
uint16_t fake_dns_port(const struct fake_dns *d);
/* Answer `name` with addr (A for IPv4 text, AAAA for IPv6). */
void fake_dns_add(struct fake_dns *d, const char *name, const char *addr);
/* Never answer `name`. */
void fake_dns_silent(struct fake_dns *d, const char *name);
/* Send a reply with a wrong ID before each real one. */
void fake_dns_spoof_id(struct fake_dns *d, bool on);
/* Queries so far whose name contains `needle` (case-insensitive). */
size_t fake_dns_count(struct fake_dns *d, const char *needle);
/* Did a query for `name` come from src_addr:src_port? */
bool fake_dns_saw(struct fake_dns *d, const char *name, const char *src_addr, uint16_t src_port);
void fake_dns_stop(struct fake_dns *d);

#endif
