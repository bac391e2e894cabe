/* notify_allowlist.c - the follow-up's allowlist for notify mediation (see
 * notify.h): pins resolved once at start (the proxy, loopback, the policy's
 * names through the proxy's resolver or the system's) and frozen, and the
 * sockaddr parser the supervisor decides with. */
#include "notify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy_log.h"
#include "resolver.h"
#include "util.h"

/* ---- the allowlist -------------------------------------------------- */

void notify_allowlist_init(struct notify_allowlist *al, bool port_check)
{
	memset(al, 0, sizeof(*al));
	al->port_check = port_check;
}

int notify_allowlist_add(struct notify_allowlist *al, const struct netaddr *ip, uint16_t port,
			 const char *source, struct perr *e)
{
	if (al->frozen)
		return perr_set(e, "notify allowlist: frozen (pins are resolved once, at start)");
	if (ip->family != AF_INET && ip->family != AF_INET6)
		return perr_set(e, "notify allowlist: not an IP address");
	for (size_t i = 0; i < al->n; i++) {
		const struct notify_pin *p = &al->pins[i];
		/* Without port_check a pin is its address: a second port adds
		 * nothing (the follow-up's HashSet<IpAddr>). */
		if (netaddr_equal(&p->ip, ip) && (!al->port_check || p->port == port))
			return 0;
	}
	if (al->n >= NOTIFY_MAX_PINS)
		return perr_set(e, "notify allowlist: more than %d pins", NOTIFY_MAX_PINS);
	al->pins[al->n].ip = *ip;
	al->pins[al->n].port = al->port_check ? port : 0;
	snprintf(al->pins[al->n].source, sizeof(al->pins[al->n].source), "%s", source);
	al->n++;
	return 0;
}

void notify_allowlist_freeze(struct notify_allowlist *al)
{
	al->frozen = true;
}

bool notify_allowlist_allows(const struct notify_allowlist *al, const struct netaddr *ip,
			     uint16_t port)
{
	for (size_t i = 0; i < al->n; i++) {
		const struct notify_pin *p = &al->pins[i];
		/* No unmapping: ::ffff:127.0.0.1 is an IPv6 address here, as
		 * IpAddr::V6 is not IpAddr::V4 in the follow-up. */
		if (p->ip.family != ip->family || memcmp(p->ip.b, ip->b, 16) != 0)
			continue;
		if (!al->port_check || p->port == 0 || p->port == port)
			return true;
	}
	return false;
}

static void pin_report(struct rep_sink *rs, const struct notify_allowlist *al,
		       const struct netaddr *ip, uint16_t port, const char *source)
{
	char text[NETADDR_STRLEN], item[160];

	netaddr_str(ip, text, sizeof(text));
	snprintf(item, sizeof(item), "allowlist pin %s", text);
	if (al->port_check && port)
		rep_emit(rs, "notify", item, REP_APPLIED, "%s, port %u", source, port);
	else
		rep_emit(rs, "notify", item, REP_APPLIED,
			 "%s, any port (IP-only, as the follow-up's "
			 "is_allowed(ip))",
			 source);
}

static int pin(struct notify_allowlist *al, const struct netaddr *ip, uint16_t port,
	       const char *source, struct rep_sink *rs, struct perr *e)
{
	size_t before = al->n;
	if (notify_allowlist_add(al, ip, port, source, e) < 0) {
		char text[NETADDR_STRLEN];
		rep_emit(rs, "notify", "allowlist", REP_FAILED, "%s %s: %s", source,
			 netaddr_str(ip, text, sizeof(text)), e->msg);
		return -1;
	}
	if (al->n > before)
		pin_report(rs, al, ip, port, source);
	return 0;
}

static void log_pin_dns(int log_fd, const struct dns_query *q, const char *result,
			const struct dns_answer *a)
{
	json_t *o = proxy_log_begin("dns");

	if (!o)
		return;
	/* Not the proxy's: the supervisor pins the allowlist before the agent
	 * starts. Same record shape, so the lab matches it to the capture. */
	json_object_set_new(o, "source", json_string("notify-pin"));
	json_object_set_new(o, "proto", json_string("udp"));
	proxy_log_dns_query(o, q, result, a);
	json_object_set_new(o, "decision", json_string("allowed"));
	proxy_log_end(log_fd, o);
}

/* Resolve `name` once through the policy's DNS server: A and AAAA in
 * parallel, one resend at half the timeout, as the proxy's DNS client (resolver.h) does. */
static size_t resolve_dns(const struct policy *pol, const char *name, int log_fd,
			  struct netaddr *out, size_t max, char *why, size_t whylen)
{
	const uint16_t types[2] = {DNS_TYPE_A, DNS_TYPE_AAAA};
	const int timeout_ms = 2000;
	struct dns_query q[2];
	bool done[2] = {false, false};
	uint64_t start = util_now_ns();
	bool resent = false;
	size_t n = 0;

	snprintf(why, whylen, "no address");
	for (int i = 0; i < 2; i++) {
		struct perr qe;
		if (dns_query_start(&q[i], &pol->resolver_addr, pol->resolver_port, name, types[i],
				    &qe) < 0) {
			snprintf(why, whylen, "%s", qe.msg);
			q[i].fd = -1;
			done[i] = true;
		}
	}
	while (!done[0] || !done[1]) {
		struct pollfd pfd[2];
		int np = 0, idx[2];
		uint64_t el = (util_now_ns() - start) / 1000000u;
		if (el >= (uint64_t)timeout_ms) {
			snprintf(why, whylen, "timeout after %d ms", timeout_ms);
			break;
		}
		if (!resent && el >= (uint64_t)timeout_ms / 2) {
			for (int i = 0; i < 2; i++)
				if (!done[i])
					dns_query_resend(&q[i]);
			resent = true;
		}
		for (int i = 0; i < 2; i++) {
			if (!done[i]) {
				pfd[np].fd = q[i].fd;
				pfd[np].events = POLLIN;
				idx[np++] = i;
			}
		}
		if (poll(pfd, (nfds_t)np, 50) <= 0)
			continue;
		for (int k = 0; k < np; k++) {
			struct dns_answer a;
			int i = idx[k], r;
			if (!pfd[k].revents)
				continue;
			r = dns_query_receive(&q[i], &a);
			if (r == 0)
				continue;
			done[i] = true;
			if (r < 0) {
				snprintf(why, whylen, "%s", strerror(errno));
				log_pin_dns(log_fd, &q[i], "error", NULL);
				continue;
			}
			log_pin_dns(log_fd, &q[i], dns_rcode_name(a.rcode), &a);
			for (size_t j = 0; j < a.n && n < max; j++)
				out[n++] = a.addrs[j];
		}
	}
	for (int i = 0; i < 2; i++) {
		if (!done[i] && q[i].fd >= 0)
			log_pin_dns(log_fd, &q[i], "timeout", NULL);
		dns_query_close(&q[i]);
	}
	return n;
}

static size_t resolve_system(const char *name, struct netaddr *out, size_t max, char *why,
			     size_t whylen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	size_t n = 0;
	int rc = getaddrinfo(name, NULL, &hints, &res);

	if (rc != 0) {
		snprintf(why, whylen, "getaddrinfo: %s", gai_strerror(rc));
		return 0;
	}
	for (struct addrinfo *ai = res; ai && n < max; ai = ai->ai_next)
		if (netaddr_from_sockaddr(ai->ai_addr, &out[n], NULL) == 0)
			n++;
	freeaddrinfo(res);
	return n;
}

int notify_allowlist_build(const struct profile *p, const struct policy *pol, int proxy_log_fd,
			   struct notify_allowlist *al, struct rep_sink *rs, struct perr *e)
{
	const struct profile_notify *n = &p->sc.notify;
	struct netaddr a;

	notify_allowlist_init(al, n->port_check);
	if (netaddr_parse(p->net.proxy_host, &a) < 0)
		return perr_set(e, "notify: proxy address %s is not an IP", p->net.proxy_host);
	if (pin(al, &a, p->net.proxy_port, "proxy", rs, e) < 0)
		return -1;
	if (n->allow_loopback) {
		/* The follow-up seeds 127.0.0.1 and ::1 beside the proxy. */
		const char *lo[2] = {"127.0.0.1", "::1"};
		for (int i = 0; i < 2; i++) {
			netaddr_parse(lo[i], &a);
			if (pin(al, &a, p->net.proxy_port, "loopback", rs, e) < 0)
				return -1;
		}
	}
	if (!n->pin_policy_hosts) {
		rep_emit(rs, "notify", "policy names", REP_SKIPPED, "pin_policy_hosts is off");
	} else if (pol->open) {
		rep_emit(rs, "notify", "policy names", REP_SKIPPED,
			 "open proxy policy: no names to pin");
	} else {
		for (size_t i = 0; i < pol->n_rules; i++) {
			const struct policy_rule *r = &pol->rules[i];
			struct netaddr addrs[RESOLVER_MAX_ADDRS];
			char item[300], why[256], src[80];
			size_t na = 0;

			snprintf(item, sizeof(item), "policy rule %zu (%s%s)", i,
				 r->kind == HOST_ONE_LABEL   ? "*."
				 : r->kind == HOST_ANY_DEPTH ? "**."
							     : "",
				 r->host ? r->host : "hostless");
			switch (r->kind) {
			case HOST_ONE_LABEL:
			case HOST_ANY_DEPTH:
				rep_emit(rs, "notify", item, REP_SKIPPED,
					 "a wildcard cannot be pinned; left to the proxy (as the "
					 "follow-up)");
				continue;
			case HOST_NONE:
				rep_emit(rs, "notify", item, REP_SKIPPED,
					 "allowed_ips ranges are not pinned (the follow-up pins "
					 "addresses of names); left to the proxy");
				continue;
			case HOST_IP:
				addrs[na++] = r->ip;
				break;
			case HOST_EXACT:
				na = pol->resolver == RESOLVER_DNS
					 ? resolve_dns(pol, r->host, proxy_log_fd, addrs,
						       RESOLVER_MAX_ADDRS, why, sizeof(why))
					 : resolve_system(r->host, addrs, RESOLVER_MAX_ADDRS, why,
							  sizeof(why));
				if (na == 0) {
					/* Closed: an unpinned name is simply not reachable
					 * directly. Still reported. */
					rep_emit(rs, "notify", item, REP_SKIPPED,
						 "resolved once at start: %s; nothing pinned", why);
					continue;
				}
				break;
			}
			snprintf(src, sizeof(src), "%s", r->host ? r->host : "policy");
			for (size_t k = 0; k < na; k++)
				for (size_t pi = 0; pi < (al->port_check ? r->n_ports : 1); pi++)
					if (pin(al, &addrs[k], al->port_check ? r->ports[pi] : 0,
						src, rs, e) < 0)
						return -1;
		}
	}
	notify_allowlist_freeze(al);
	rep_emit(rs, "notify", "allowlist", REP_APPLIED,
		 "%zu pin(s), frozen for the session (DNS rebinding cannot add any); %s", al->n,
		 al->port_check ? "address and port checked"
				: "IP-only, no port check (the follow-up's is_allowed(ip))");
	return 0;
}

/* ---- sockaddr parsing ----------------------------------------------- */

enum notify_sa_result notify_parse_sockaddr(const void *buf, size_t len,
					    struct notify_sockaddr *out)
{
	const uint8_t *b = buf;
	sa_family_t fam;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(sa_family_t))
		return NOTIFY_SA_SHORT;
	/* sa_family is in the machine's byte order (the kernel reads it as a
	 * u16); port and flowinfo are in network order. */
	memcpy(&fam, b, sizeof(fam));
	out->family = fam;
	if (fam == AF_INET) {
		struct sockaddr_in sin;
		if (len < sizeof(sin))
			return NOTIFY_SA_SHORT;
		memcpy(&sin, b, sizeof(sin));
		out->ip.family = AF_INET;
		memcpy(out->ip.b, &sin.sin_addr, 4);
		out->port = ntohs(sin.sin_port);
		return NOTIFY_SA_OK;
	}
	if (fam == AF_INET6) {
		struct sockaddr_in6 sin6;
		/* The kernel accepts SIN6_LEN_RFC2133 (24 bytes, no scope id) for
		 * TCP; the follow-up requires the full struct. So do we: a short
		 * one is denied, never guessed at. */
		if (len < sizeof(sin6))
			return NOTIFY_SA_SHORT;
		memcpy(&sin6, b, sizeof(sin6));
		out->ip.family = AF_INET6;
		memcpy(out->ip.b, &sin6.sin6_addr, 16);
		out->port = ntohs(sin6.sin6_port);
		out->flowinfo = ntohl(sin6.sin6_flowinfo);
		out->scope_id = sin6.sin6_scope_id;
		return NOTIFY_SA_OK;
	}
	return NOTIFY_SA_FAMILY;
}

const char *notify_sa_result_name(enum notify_sa_result r)
{
	static const char *const names[] = {"ok", "short sockaddr", "family not parsed"};
	return r <= NOTIFY_SA_FAMILY ? names[r] : "?";
}
