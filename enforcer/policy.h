/* policy.h - the proxy's allowlist: which CONNECT targets may be dialled,
 * to which addresses, and how names are resolved.
 *
 * File format (JSON, version 1; unknown fields are errors):
 *
 *   { "version": 1,
 *     "resolver": "system" | "198.51.100.53:53" | "[2001:db8::53]:53",
 *     "allow": [ { "host": "allowed.test", "ports": [443],
 *                  "allowed_ips": ["203.0.113.0/24"] } ] }
 *
 * host: an exact name (case-insensitive), "*.suffix" (exactly one more
 * label), "**.suffix" (one or more labels), or an IP literal (which gets an
 * implicit allowed_ips of itself, as in the reference). host may be omitted
 * when allowed_ips is given: such a rule matches IP-literal requests only,
 * never names, so it cannot make the proxy resolve an arbitrary name.
 * allowed_ips: CIDRs no broader than /16 that do not overlap loopback,
 * link-local or the unspecified address.
 *
 * Every load error is a usage error naming the file and the field.
 */
#ifndef PARITY_POLICY_H
#define PARITY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"
#include "netaddr.h"

enum host_pattern {
	HOST_NONE,	/* hostless: IP-literal requests inside allowed_ips */
	HOST_EXACT,	/* "api.example.com" */
	HOST_ONE_LABEL, /* "*.example.com": a.example.com, not a.b.example.com */
	HOST_ANY_DEPTH, /* "**.example.com": a.example.com, a.b.example.com */
	HOST_IP,	/* "203.0.113.80", "2001:db8::1" */
};

struct policy_rule {
	enum host_pattern kind;
	char *host;	   /* lowercase; for wildcards the suffix after "*." / "**." */
	struct netaddr ip; /* HOST_IP */
	uint16_t *ports;
	size_t n_ports;
	struct netcidr *allowed_ips; /* NULL: the internal-address rule applies */
	size_t n_allowed_ips;
};

enum resolver_kind {
	RESOLVER_SYSTEM, /* getaddrinfo(3) in a helper thread */
	RESOLVER_DNS,	 /* the proxy's own stub client (resolver.h) */
};

struct policy {
	/* "open": true - every host and port is allowed and no address is
	 * refused. Only for the positive control (profile none), so that
	 * attacks on the proxy's policy can escape there; never for a sandbox. */
	bool open;
	struct policy_rule *rules;
	size_t n_rules;
	enum resolver_kind resolver;
	struct netaddr resolver_addr; /* RESOLVER_DNS */
	uint16_t resolver_port;
};

/* Ports never dialled through an allowed_ips rule (etcd, kube-apiserver,
 * kubelet), as in the reference. */
bool policy_port_always_blocked(uint16_t port);

int policy_load(const char *path, struct policy *p, struct perr *e);
int policy_parse(const char *text, const char *file, struct policy *p, struct perr *e);
/* The built-in default (the same as enforcer/policies/default.json): empty
 * allowlist, system resolver. Cannot fail. */
void policy_init_default(struct policy *p);
void policy_free(struct policy *p);

/* The first rule allowing host:port, or NULL. `host` is a CONNECT target
 * host as the request parser produced it (lowercase name, or an IP literal
 * without brackets); `host_ip` is its address when it is a literal. */
const struct policy_rule *policy_match(const struct policy *p, const char *host,
				       const struct netaddr *host_ip, uint16_t port);
/* Pattern test alone (exposed for tests): does `host` match rule->host? */
bool policy_host_matches(const struct policy_rule *r, const char *host,
			 const struct netaddr *host_ip);

/* The address rule applied after resolution (and to IP literals), as in
 * the reference: without allowed_ips every address must be public
 * (netaddr_internal_kind); with allowed_ips every address must be inside
 * them and not loopback/link-local/unspecified, and the port must not be
 * policy_port_always_blocked. Returns NULL when all of addrs[0..n) may be
 * dialled, else why not ("internal address", "address not in allowed_ips",
 * "port not permitted with allowed_ips") with *bad the offending index. */
const char *policy_check_addresses(const struct policy_rule *r, uint16_t port,
				   const struct netaddr *addrs, size_t n, size_t *bad);

/* Syntax of a DNS name as the proxy accepts it: 1..253 chars, labels of
 * 1..63 [A-Za-z0-9_-], no leading/trailing dot, and not all-numeric in its
 * last label (so "127.1" or "0x7f000001" never reaches a resolver that
 * would read it as an address). */
bool policy_valid_hostname(const char *name);

#endif
