/* resolver.c - the proxy's DNS stub client and getaddrinfo helper thread. */
#include "resolver.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

#define DNS_CLASS_IN 1
#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int dns_build_query(uint8_t *buf, size_t len, uint16_t id, const char *name, uint16_t qtype)
{
	size_t off = 12, nlen = strlen(name);
	const char *label = name;

	if (nlen == 0 || nlen > 253 || len < 12 + nlen + 2 + 4)
		return -1;
	memset(buf, 0, 12);
	put16(buf, id);
	put16(buf + 2, DNS_FLAG_RD);
	put16(buf + 4, 1);
	while (*label) {
		const char *dot = strchr(label, '.');
		size_t l = dot ? (size_t)(dot - label) : strlen(label);
		if (l == 0 || l > 63)
			return -1;
		buf[off++] = (uint8_t)l;
		memcpy(buf + off, label, l);
		off += l;
		label += l + (dot ? 1 : 0);
		if (dot && !*label)
			return -1; /* trailing dot: names here are relative-free */
	}
	buf[off++] = 0;
	put16(buf + off, qtype);
	put16(buf + off + 2, DNS_CLASS_IN);
	return (int)(off + 4);
}

/* Read the (possibly compressed) name at *off into out as dotted lowercase
 * text; advance *off past it in the message. Returns 0 or -1. */
static int read_name(const uint8_t *msg, size_t len, size_t *off, char *out, size_t out_len)
{
	size_t pos = *off, o = 0;
	bool jumped = false;
	int hops = 0;

	for (;;) {
		if (pos >= len)
			return -1;
		uint8_t l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++hops > 32)
				return -1;
			size_t target = (size_t)((l & 0x3f) << 8 | msg[pos + 1]);
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			if (target >= pos)
				return -1; /* pointers go backwards only: no loops */
			pos = target;
			continue;
		}
		if (l & 0xc0)
			return -1;
		if (l == 0) {
			if (!jumped)
				*off = pos + 1;
			break;
		}
		if (pos + 1 + l > len || o + l + 2 > out_len)
			return -1;
		if (o)
			out[o++] = '.';
		for (size_t i = 0; i < l; i++)
			out[o++] = (char)tolower(msg[pos + 1 + i]);
		pos += 1 + l;
	}
	if (out_len)
		out[o < out_len ? o : out_len - 1] = 0;
	return 0;
}

int dns_parse_response(const uint8_t *msg, size_t len, uint16_t id, const char *name,
		       uint16_t qtype, struct dns_answer *out, const char **why)
{
	char qname[256];
	size_t off = 12;
	uint16_t flags, an;

	memset(out, 0, sizeof(*out));
	*why = "short message";
	if (len < 12)
		return -1;
	flags = get16(msg + 2);
	*why = "ID does not match";
	if (get16(msg) != id)
		return -1;
	*why = "not a standard query response";
	if (!(flags & DNS_FLAG_QR) || ((flags >> 11) & 0xf) != 0)
		return -1;
	*why = "question does not match";
	if (get16(msg + 4) != 1 || read_name(msg, len, &off, qname, sizeof(qname)) != 0 ||
	    off + 4 > len || strcasecmp(qname, name) != 0 || get16(msg + off) != qtype ||
	    get16(msg + off + 2) != DNS_CLASS_IN)
		return -1;
	off += 4;
	out->rcode = flags & 0xf;
	out->truncated = (flags & DNS_FLAG_TC) != 0;
	an = get16(msg + 6);
	for (uint16_t i = 0; i < an; i++) {
		char owner[256];
		uint16_t type, class, rdlen;
		if (read_name(msg, len, &off, owner, sizeof(owner)) != 0 || off + 10 > len)
			break;
		type = get16(msg + off);
		class = get16(msg + off + 2);
		rdlen = get16(msg + off + 8);
		off += 10;
		if (off + rdlen > len)
			break;
		if (class == DNS_CLASS_IN && type == qtype && out->n < RESOLVER_MAX_ADDRS &&
		    rdlen == (qtype == DNS_TYPE_A ? 4 : 16) &&
		    (qtype == DNS_TYPE_A || qtype == DNS_TYPE_AAAA)) {
			struct netaddr *a = &out->addrs[out->n++];
			memset(a, 0, sizeof(*a));
			a->family = qtype == DNS_TYPE_A ? AF_INET : AF_INET6;
			memcpy(a->b, msg + off, rdlen);
		}
		off += rdlen;
	}
	return 0;
}

int dns_parse_query(const uint8_t *msg, size_t len, char *name, size_t name_len, uint16_t *qtype,
		    uint16_t *id)
{
	size_t off = 12;

	if (len < 12 || (get16(msg + 2) & DNS_FLAG_QR) || get16(msg + 4) != 1)
		return -1;
	if (read_name(msg, len, &off, name, name_len) != 0 || off + 4 > len)
		return -1;
	*qtype = get16(msg + off);
	*id = get16(msg);
	return 0;
}

const char *dns_type_name(uint16_t qtype)
{
	return qtype == DNS_TYPE_A ? "A" : qtype == DNS_TYPE_AAAA ? "AAAA" : "other";
}

const char *dns_rcode_name(int rcode)
{
	static const char *const names[] = {"NOERROR",	"FORMERR", "SERVFAIL",
					    "NXDOMAIN", "NOTIMP",  "REFUSED"};
	return rcode >= 0 && rcode < (int)ARRAY_SIZE(names) ? names[rcode] : "RCODE_OTHER";
}

int dns_query_start(struct dns_query *q, const struct netaddr *server, uint16_t port,
		    const char *name, uint16_t qtype, struct perr *e)
{
	struct sockaddr_storage ss;
	socklen_t sl = netaddr_to_sockaddr(server, port, &ss);
	int n;

	memset(q, 0, sizeof(*q));
	q->fd = -1;
	if (util_random(&q->id, sizeof(q->id)) != 0)
		return perr_sys(e, errno, "getrandom");
	q->qtype = qtype;
	snprintf(q->name, sizeof(q->name), "%s", name);
	n = dns_build_query(q->pkt, sizeof(q->pkt), q->id, name, qtype);
	if (n < 0)
		return perr_set(e, "cannot encode a DNS query for '%s'", name);
	q->pkt_len = (size_t)n;
	q->server = *server;
	q->server_port = port;
	q->fd = socket(server->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (q->fd < 0)
		return perr_sys(e, errno, "DNS socket");
	/* connect(): the kernel then accepts datagrams from the server only,
	 * and getsockname() gives the exact source for the log. */
	if (connect(q->fd, (struct sockaddr *)&ss, sl) != 0) {
		int err = errno;
		dns_query_close(q);
		return perr_sys(e, err, "DNS connect");
	}
	sl = sizeof(ss);
	if (getsockname(q->fd, (struct sockaddr *)&ss, &sl) == 0)
		netaddr_from_sockaddr((struct sockaddr *)&ss, &q->local, &q->local_port);
	if (dns_query_resend(q) != 0) {
		int err = errno;
		dns_query_close(q);
		return perr_sys(e, err, "DNS send");
	}
	return 0;
}

int dns_query_resend(struct dns_query *q)
{
	ssize_t n = send(q->fd, q->pkt, q->pkt_len, MSG_NOSIGNAL);

	if (n < 0 && errno != EAGAIN)
		return -1;
	q->sends++;
	return 0;
}

int dns_query_receive(struct dns_query *q, struct dns_answer *out)
{
	uint8_t buf[4096];

	for (;;) {
		const char *why;
		ssize_t n = recv(q->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (dns_parse_response(buf, (size_t)n, q->id, q->name, q->qtype, out, &why) == 0)
			return 1;
	}
}

void dns_query_close(struct dns_query *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}

static atomic_uint gai_threads; /* running gai_thread()s */

static void *gai_thread(void *arg)
{
	struct gai_job *j = arg;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;

	j->gai_error = getaddrinfo(j->host, NULL, &hints, &res);
	for (struct addrinfo *ai = res; ai && j->n < RESOLVER_MAX_ADDRS; ai = ai->ai_next) {
		struct netaddr a;
		bool dup = false;
		if (netaddr_from_sockaddr(ai->ai_addr, &a, NULL) != 0)
			continue;
		for (size_t i = 0; i < j->n; i++)
			dup |= netaddr_equal(&j->addrs[i], &a);
		if (!dup)
			j->addrs[j->n++] = a;
	}
	if (res)
		freeaddrinfo(res);
	/* A pointer is far below PIPE_BUF: the write is atomic, and the write
	 * end is blocking, so it only fails once the proxy closed the pipe on
	 * its way out; the job is then left to the process exit rather than
	 * freed under a caller that may still hold it. */
	ssize_t w = write(j->notify_fd, &j, sizeof(j));
	(void)w; /* j is not touched after it, written or not */
	atomic_fetch_sub(&gai_threads, 1);
	return NULL;
}

int gai_job_start(const char *host, void *cookie, int notify_fd, struct gai_job **out,
		  struct perr *e)
{
	struct gai_job *j = calloc(1, sizeof(*j));
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if (!j)
		return perr_sys(e, ENOMEM, "resolver job");
	if (atomic_fetch_add(&gai_threads, 1) >= RESOLVER_MAX_GAI_THREADS) {
		atomic_fetch_sub(&gai_threads, 1);
		free(j);
		return perr_sys(e, EAGAIN, "resolver: %d lookups already in flight",
				RESOLVER_MAX_GAI_THREADS);
	}
	snprintf(j->host, sizeof(j->host), "%s", host);
	j->cookie = cookie;
	j->notify_fd = notify_fd;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&t, &attr, gai_thread, j);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		atomic_fetch_sub(&gai_threads, 1);
		free(j);
		return perr_sys(e, rc, "resolver thread");
	}
	*out = j;
	return 0;
}

void gai_job_free(struct gai_job *j)
{
	free(j);
}
