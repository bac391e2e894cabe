/* fake_dns.c - see fake_dns.h. */
#include "fake_dns.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "enforcer/netaddr.h"
#include "enforcer/resolver.h"

#define MAX_ENTRIES 32
#define MAX_SEEN 256

struct seen {
	char name[256];
	uint16_t qtype;
	char src[NETADDR_STRLEN];
	uint16_t port;
};

struct fake_dns {
	int fd;
	uint16_t port;
	pthread_t thread;
	pthread_mutex_t lock;
	atomic_bool stop;
	bool spoof_id;
	struct {
		char name[256];
		struct netaddr addr;
		bool silent;
	} table[MAX_ENTRIES];
	size_t n_table;
	struct seen seen[MAX_SEEN];
	size_t n_seen;
};

static size_t put_answer(uint8_t *out, size_t off, const struct netaddr *a)
{
	size_t len = a->family == AF_INET ? 4 : 16;

	out[off++] = 0xc0; /* pointer to the question name */
	out[off++] = 12;
	out[off++] = 0;
	out[off++] = a->family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA;
	out[off++] = 0;
	out[off++] = 1;			    /* IN */
	memcpy(out + off, "\0\0\0\x3c", 4); /* TTL 60 */
	off += 4;
	out[off++] = 0;
	out[off++] = (uint8_t)len;
	memcpy(out + off, a->b, len);
	return off + len;
}

static void serve_one(struct fake_dns *d, const uint8_t *q, size_t qlen,
		      struct sockaddr_storage *ss, socklen_t sl)
{
	char name[256];
	uint16_t qtype, id;
	uint8_t out[1024];
	size_t off, an = 0;
	bool known = false, silent = false;
	struct netaddr src;
	uint16_t sport;

	if (dns_parse_query(q, qlen, name, sizeof(name), &qtype, &id) != 0)
		return;
	pthread_mutex_lock(&d->lock);
	if (d->n_seen < MAX_SEEN) {
		struct seen *s = &d->seen[d->n_seen++];
		snprintf(s->name, sizeof(s->name), "%s", name);
		s->qtype = qtype;
		netaddr_from_sockaddr((struct sockaddr *)ss, &src, &sport);
		netaddr_str(&src, s->src, sizeof(s->src));
		s->port = sport;
	}
	/* Echo header and question, then answers. */
	off = 12;
	while (off < qlen && q[off])
		off += (size_t)q[off] + 1;
	off += 1 + 4;
	if (off > qlen || off > 512) {
		pthread_mutex_unlock(&d->lock);
		return;
	}
	memcpy(out, q, off);
	for (size_t i = 0; i < d->n_table; i++) {
		if (strcasecmp(d->table[i].name, name) != 0)
			continue;
		known = true;
		silent |= d->table[i].silent;
		if (!d->table[i].silent &&
		    d->table[i].addr.family == (qtype == DNS_TYPE_A ? AF_INET : AF_INET6)) {
			off = put_answer(out, off, &d->table[i].addr);
			an++;
		}
	}
	bool spoof = d->spoof_id;
	pthread_mutex_unlock(&d->lock);
	if (silent)
		return;
	out[2] = 0x81;		      /* QR, RD */
	out[3] = known ? 0x80 : 0x83; /* RA; NXDOMAIN for unknown names */
	out[6] = 0;
	out[7] = (uint8_t)an;
	memset(out + 8, 0, 4);
	if (spoof) {
		out[0] ^= 0x55;
		sendto(d->fd, out, off, 0, (struct sockaddr *)ss, sl);
		out[0] ^= 0x55;
	}
	sendto(d->fd, out, off, 0, (struct sockaddr *)ss, sl);
}

static void *serve(void *arg)
{
	struct fake_dns *d = arg;
	uint8_t buf[2048];

	while (!d->stop) {
		struct pollfd p = {.fd = d->fd, .events = POLLIN};
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t n = recvfrom(d->fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
		if (n > 0)
			serve_one(d, buf, (size_t)n, &ss, sl);
	}
	return NULL;
}

struct fake_dns *fake_dns_start(const char *addr, uint16_t port)
{
	struct fake_dns *d = calloc(1, sizeof(*d));
	struct netaddr a;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (!d || netaddr_parse(addr, &a) != 0) {
		free(d);
		return NULL;
	}
	sl = netaddr_to_sockaddr(&a, port, &ss);
	d->fd = socket(a.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d->fd < 0 || bind(d->fd, (struct sockaddr *)&ss, sl) != 0) {
		if (d->fd >= 0)
			close(d->fd);
		free(d);
		return NULL;
	}
	sl = sizeof(ss);
	getsockname(d->fd, (struct sockaddr *)&ss, &sl);
	netaddr_from_sockaddr((struct sockaddr *)&ss, &a, &d->port);
	pthread_mutex_init(&d->lock, NULL);
	if (pthread_create(&d->thread, NULL, serve, d) != 0) {
		close(d->fd);
		free(d);
		return NULL;
	}
	return d;
}

uint16_t fake_dns_port(const struct fake_dns *d)
{
	return d->port;
}

static void add_entry(struct fake_dns *d, const char *name, const char *addr, bool silent)
{
	pthread_mutex_lock(&d->lock);
	if (d->n_table < MAX_ENTRIES) {
		snprintf(d->table[d->n_table].name, 256, "%s", name);
		if (addr)
			netaddr_parse(addr, &d->table[d->n_table].addr);
		d->table[d->n_table].silent = silent;
		d->n_table++;
	}
	pthread_mutex_unlock(&d->lock);
}

void fake_dns_add(struct fake_dns *d, const char *name, const char *addr)
{
	add_entry(d, name, addr, false);
}

void fake_dns_silent(struct fake_dns *d, const char *name)
{
	add_entry(d, name, NULL, true);
}

void fake_dns_spoof_id(struct fake_dns *d, bool on)
{
	pthread_mutex_lock(&d->lock);
	d->spoof_id = on;
	pthread_mutex_unlock(&d->lock);
}

size_t fake_dns_count(struct fake_dns *d, const char *needle)
{
	size_t n = 0;

	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->n_seen; i++)
		n += strcasestr(d->seen[i].name, needle) != NULL;
	pthread_mutex_unlock(&d->lock);
	return n;
}

bool fake_dns_saw(struct fake_dns *d, const char *name, const char *src_addr, uint16_t src_port)
{
	bool found = false;

	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->n_seen && !found; i++)
		found = strcasecmp(d->seen[i].name, name) == 0 &&
			strcmp(d->seen[i].src, src_addr) == 0 && d->seen[i].port == src_port;
	pthread_mutex_unlock(&d->lock);
	return found;
}

void fake_dns_stop(struct fake_dns *d)
{
	if (!d)
		return;
	d->stop = true;
	pthread_join(d->thread, NULL);
	close(d->fd);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
