/* policy.c - loading and matching the proxy allowlist (see policy.h). */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonutil.h"
#include "util.h"

static const uint16_t always_blocked_ports[] = {2379, 2380, 6443, 10250, 10255};

bool policy_port_always_blocked(uint16_t port)
{
	for (size_t i = 0; i < ARRAY_SIZE(always_blocked_ports); i++)
		if (always_blocked_ports[i] == port)
			return true;
	return false;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* "0x7f000001" or "0X1F": what inet_aton would read as a hex number. */
static bool hex_number(const char *s, size_t n)
{
	if (n < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	for (size_t i = 2; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool policy_valid_hostname(const char *name)
{
	size_t len = strlen(name), label = 0;
	const char *last;

	if (len == 0 || len > 253 || name[0] == '.' || name[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-' && c != '_')
			return false;
		if (++label > 63)
			return false;
	}
	last = strrchr(name, '.');
	last = last ? last + 1 : name;
	return !all_digits(last, strlen(last)) && !hex_number(last, strlen(last));
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

void policy_init_default(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->resolver = RESOLVER_SYSTEM;
}

void policy_free(struct policy *p)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		free(p->rules[i].host);
		free(p->rules[i].ports);
		free(p->rules[i].allowed_ips);
	}
	free(p->rules);
	memset(p, 0, sizeof(*p));
}

static int parse_resolver(json_t *root, const char *file, struct policy *p, struct perr *e)
{
	const char *s = "system";

	if (json_get_str(root, "resolver", false, &s, file, "", e) != 0)
		return -1;
	if (strcmp(s, "system") == 0) {
		p->resolver = RESOLVER_SYSTEM;
		return 0;
	}
	if (netaddr_parse_hostport(s, &p->resolver_addr, &p->resolver_port, false) != 0)
		return perr_usage(e,
				  "%s: field 'resolver': expected \"system\", \"ADDRESS:PORT\" or "
				  "\"[IPV6]:PORT\" with a numeric address, got \"%s\"",
				  file, s);
	p->resolver = RESOLVER_DNS;
	return 0;
}

static int parse_host(json_t *rule, const char *file, const char *where, struct policy_rule *r,
		      struct perr *e)
{
	const char *s = NULL;
	char *h;

	if (json_get_str(rule, "host", false, &s, file, where, e) != 0)
		return -1;
	if (!s) {
		r->kind = HOST_NONE;
		return 0;
	}
	h = strdup(s);
	if (!h)
		return perr_sys(e, ENOMEM, "%s", file);
	lower(h);
	r->host = h;
	/* A bracketed or bare IP literal. */
	size_t len = strlen(h);
	if (len > 2 && h[0] == '[' && h[len - 1] == ']') {
		memmove(h, h + 1, len - 2);
		h[len - 2] = 0;
		if (netaddr_parse(h, &r->ip) == 0 && r->ip.family == AF_INET6) {
			r->kind = HOST_IP;
			return 0;
		}
		return perr_usage(e,
				  "%s: field '%s.host': \"%s\": brackets hold IPv6 addresses only",
				  file, where, s);
	} else if (netaddr_parse(h, &r->ip) == 0) {
		r->kind = HOST_IP;
		return 0;
	}
	if (strncmp(h, "**.", 3) == 0) {
		r->kind = HOST_ANY_DEPTH;
		memmove(h, h + 3, strlen(h + 3) + 1);
	} else if (strncmp(h, "*.", 2) == 0) {
		r->kind = HOST_ONE_LABEL;
		memmove(h, h + 2, strlen(h + 2) + 1);
	} else {
		r->kind = HOST_EXACT;
	}
	if (!policy_valid_hostname(h))
		return perr_usage(
		    e,
		    "%s: field '%s.host': \"%s\" is not a host name, \"*.NAME\", "
		    "\"**.NAME\" or an IP address (wildcards only as the first label; "
		    "no trailing dot; the last label not numeric)",
		    file, where, s);
	return 0;
}

static int parse_ports(json_t *rule, const char *file, const char *where, struct policy_rule *r,
		       struct perr *e)
{
	json_t *arr, *v;
	size_t i;

	if (json_get_array(rule, "ports", true, &arr, file, where, e) != 0)
		return -1;
	if (json_array_size(arr) == 0)
		return perr_usage(e, "%s: field '%s.ports': expected at least one port", file,
				  where);
	r->ports = calloc(json_array_size(arr), sizeof(*r->ports));
	if (!r->ports)
		return perr_sys(e, ENOMEM, "%s", file);
	json_array_foreach (arr, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 65535)
			return perr_usage(e,
					  "%s: field '%s.ports[%zu]': expected a port, an integer "
					  "in [1, 65535]",
					  file, where, i);
		r->ports[r->n_ports++] = (uint16_t)json_integer_value(v);
	}
	return 0;
}

/* Ranges an allowed_ips entry may not touch: the proxy refuses them anyway,
 * and listing them is a sign of a policy written for SSRF. */
static const char *const forbidden_cidrs[] = {"127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/32",
					      "::1/128",     "fe80::/10",      "::/128"};

static const char *cidr_conflict(const struct netcidr *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(forbidden_cidrs); i++) {
		struct netcidr f;
		const char *why;
		if (netcidr_parse(forbidden_cidrs[i], &f, &why) == 0 && netcidr_overlaps(c, &f))
			return forbidden_cidrs[i];
	}
	return NULL;
}

/* How wide an IPv6 CIDR is in IPv4 terms, where it reaches IPv4 addresses:
 * over IPv4-mapped space (netcidr_contains() matches IPv4 addresses there)
 * and over the NAT64 prefixes (a translator sends them to the embedded
 * IPv4 address; see netaddr.c). 32 when it reaches none. */
static int v4_reach_prefix(const struct netcidr *c)
{
	static const struct {
		const char *space;
		int v4_from; /* the prefix length at which the IPv4 bits start */
	} spaces[] = {{"::ffff:0:0/96", 96}, {"64:ff9b::/96", 96}, {"64:ff9b:1::/48", 48}};
	int narrowest = 32;

	if (c->net.family != AF_INET6)
		return 32;
	for (size_t i = 0; i < ARRAY_SIZE(spaces); i++) {
		struct netcidr sp;
		const char *why;
		if (netcidr_parse(spaces[i].space, &sp, &why) != 0)
			abort(); /* constants */
		if (netcidr_overlaps(c, &sp) && (int)c->prefix - spaces[i].v4_from < narrowest)
			narrowest = (int)c->prefix - spaces[i].v4_from;
	}
	return narrowest;
}

static int check_cidr(const struct netcidr *c, const char *file, const char *field,
		      const char *text, struct perr *e)
{
	const char *conflict = cidr_conflict(c);
	int v4 = v4_reach_prefix(c);

	/* The reference limits allowed_ips to /16 or narrower (both families). */
	if (c->prefix < 16)
		return perr_usage(e,
				  "%s: field '%s': \"%s\" is broader than /16, which allowed_ips "
				  "does not accept",
				  file, field, text);
	if (conflict)
		return perr_usage(e,
				  "%s: field '%s': \"%s\" overlaps %s (loopback, link-local and "
				  "unspecified addresses are never dialled)",
				  file, field, text, conflict);
	/* Ours also where an IPv6 CIDR reaches IPv4 addresses: ::ffff:10.0.0.0/104
	 * is 10.0.0.0/8, 64:ff9b::/96 all of IPv4 behind a translator. */
	if (v4 < 16)
		return perr_usage(e,
				  "%s: field '%s': \"%s\" is broader than /16 in IPv4 addresses "
				  "(it covers IPv4-mapped or NAT64 space as a /%d), which "
				  "allowed_ips does not accept",
				  file, field, text, v4 < 0 ? 0 : v4);
	return 0;
}

static int parse_allowed_ips(json_t *rule, const char *file, const char *where,
			     struct policy_rule *r, struct perr *e)
{
	json_t *arr = NULL, *v;
	size_t i;
	char field[300];

	if (json_get_array(rule, "allowed_ips", false, &arr, file, where, e) != 0)
		return -1;
	if (!arr) {
		if (r->kind == HOST_NONE)
			return perr_usage(e,
					  "%s: field '%s.host': required field is missing (a rule "
					  "without host needs allowed_ips)",
					  file, where);
		if (r->kind != HOST_IP)
			return 0;
		/* An IP-literal host allows exactly itself, as in the reference. */
		r->allowed_ips = calloc(1, sizeof(*r->allowed_ips));
		if (!r->allowed_ips)
			return perr_sys(e, ENOMEM, "%s", file);
		r->allowed_ips[0].net = r->ip;
		r->allowed_ips[0].prefix = r->ip.family == AF_INET ? 32 : 128;
		r->n_allowed_ips = 1;
		snprintf(field, sizeof(field), "%s.host", where);
		return check_cidr(&r->allowed_ips[0], file, field, r->host, e);
	}
	if (json_array_size(arr) == 0)
		return perr_usage(e, "%s: field '%s.allowed_ips': expected at least one CIDR", file,
				  where);
	r->allowed_ips = calloc(json_array_size(arr), sizeof(*r->allowed_ips));
	if (!r->allowed_ips)
		return perr_sys(e, ENOMEM, "%s", file);
	json_array_foreach (arr, i, v) {
		struct netcidr *c = &r->allowed_ips[r->n_allowed_ips];
		const char *why;
		snprintf(field, sizeof(field), "%s.allowed_ips[%zu]", where, i);
		if (!json_is_string(v))
			return perr_usage(e, "%s: field '%s': expected a CIDR string", file, field);
		if (netcidr_parse(json_string_value(v), c, &why) != 0)
			return perr_usage(e, "%s: field '%s': \"%s\": %s", file, field,
					  json_string_value(v), why);
		if (check_cidr(c, file, field, json_string_value(v), e) != 0)
			return -1;
		r->n_allowed_ips++;
	}
	return 0;
}

static int parse_rules(json_t *root, const char *file, struct policy *p, struct perr *e)
{
	static const char *const rule_keys[] = {"host", "ports", "allowed_ips", NULL};
	json_t *arr = NULL, *rule;
	size_t i;

	if (json_get_array(root, "allow", false, &arr, file, "", e) != 0)
		return -1;
	if (!arr || json_array_size(arr) == 0)
		return 0;
	p->rules = calloc(json_array_size(arr), sizeof(*p->rules));
	if (!p->rules)
		return perr_sys(e, ENOMEM, "%s", file);
	json_array_foreach (arr, i, rule) {
		char where[32];
		struct policy_rule *r = &p->rules[p->n_rules++];
		snprintf(where, sizeof(where), "allow[%zu]", i);
		if (!json_is_object(rule))
			return perr_usage(e, "%s: field '%s': expected an object", file, where);
		if (json_check_keys(rule, rule_keys, file, where, e) != 0 ||
		    parse_host(rule, file, where, r, e) != 0 ||
		    parse_ports(rule, file, where, r, e) != 0 ||
		    parse_allowed_ips(rule, file, where, r, e) != 0)
			return -1;
	}
	return 0;
}

int policy_parse(const char *text, const char *file, struct policy *p, struct perr *e)
{
	static const char *const top_keys[] = {"version", "resolver", "allow", "open", NULL};
	json_error_t je;
	json_t *root, *ver;
	int rc = -1;

	policy_init_default(p);
	root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		if (je.line < 1)
			return perr_usage(e, "%s: %s", file, je.text);
		return perr_usage(e, "%s:%d:%d: %s", file, je.line, je.column, je.text);
	}
	if (!json_is_object(root)) {
		perr_usage(e, "%s: expected a JSON object at the top level", file);
		goto out;
	}
	if (json_check_keys(root, top_keys, file, "", e) != 0)
		goto out;
	ver = json_object_get(root, "version");
	if (!ver) {
		perr_usage(e, "%s: field 'version': required field is missing (use 1)", file);
		goto out;
	}
	if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
		perr_usage(e, "%s: field 'version': unsupported policy version (expected 1)", file);
		goto out;
	}
	if (parse_resolver(root, file, p, e) != 0 || parse_rules(root, file, p, e) != 0 ||
	    json_get_bool(root, "open", false, &p->open, file, "", e) != 0)
		goto out;
	if (p->open && p->n_rules) {
		perr_usage(e, "%s: field 'open': an open policy has no allow rules", file);
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	if (rc != 0)
		policy_free(p);
	return rc;
}

int policy_load(const char *path, struct policy *p, struct perr *e)
{
	char *text = util_read_file_max(path, NULL, UTIL_CONFIG_MAX, e);
	int rc;

	if (!text) {
		policy_init_default(p);
		if (e)
			e->kind = PARITY_EXIT_USAGE;
		return perr_prefix(e, "policy");
	}
	rc = policy_parse(text, path, p, e);
	free(text);
	return rc;
}

/* host ends with ".suffix"; *prefix_len gets the length before the dot. */
static bool has_suffix(const char *host, const char *suffix, size_t *prefix_len)
{
	size_t hl = strlen(host), sl = strlen(suffix);

	if (hl < sl + 2 || host[hl - sl - 1] != '.' || strcasecmp(host + hl - sl, suffix) != 0)
		return false;
	*prefix_len = hl - sl - 1;
	return true;
}

bool policy_host_matches(const struct policy_rule *r, const char *host,
			 const struct netaddr *host_ip)
{
	size_t plen;

	switch (r->kind) {
	case HOST_NONE:
		if (!host_ip)
			return false;
		for (size_t i = 0; i < r->n_allowed_ips; i++)
			if (netcidr_contains(&r->allowed_ips[i], host_ip))
				return true;
		return false;
	case HOST_IP:
		return host_ip && netaddr_equal(&r->ip, host_ip);
	case HOST_EXACT:
		return !host_ip && strcasecmp(host, r->host) == 0;
	case HOST_ONE_LABEL:
		return !host_ip && has_suffix(host, r->host, &plen) &&
		       memchr(host, '.', plen) == NULL;
	case HOST_ANY_DEPTH:
		return !host_ip && has_suffix(host, r->host, &plen);
	}
	return false;
}

/* The rule an open policy matches: any host, any port, no address checks
 * (policy_check_addresses recognises it). */
static const struct policy_rule open_rule = {.kind = HOST_NONE};

const struct policy_rule *policy_match(const struct policy *p, const char *host,
				       const struct netaddr *host_ip, uint16_t port)
{
	if (p->open)
		return &open_rule;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];
		bool port_ok = false;
		for (size_t j = 0; j < r->n_ports; j++)
			port_ok |= r->ports[j] == port;
		if (port_ok && policy_host_matches(r, host, host_ip))
			return r;
	}
	return NULL;
}

const char *policy_check_addresses(const struct policy_rule *r, uint16_t port,
				   const struct netaddr *addrs, size_t n, size_t *bad)
{
	*bad = 0;
	if (r == &open_rule)
		return NULL;
	if (!r->allowed_ips) {
		for (size_t i = 0; i < n; i++) {
			if (netaddr_internal_kind(&addrs[i])) {
				*bad = i;
				return "internal address";
			}
		}
		return NULL;
	}
	if (policy_port_always_blocked(port))
		return "port not permitted with allowed_ips";
	for (size_t i = 0; i < n; i++) {
		bool inside = false;
		*bad = i;
		if (netaddr_always_blocked(&addrs[i]))
			return "internal address";
		for (size_t j = 0; j < r->n_allowed_ips && !inside; j++)
			inside = netcidr_contains(&r->allowed_ips[j], &addrs[i]);
		if (!inside)
			return "address not in allowed_ips";
	}
	return NULL;
}
