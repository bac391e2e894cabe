/* capture.c - live capture, frame store and evidence files (see capture.h). */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "packet.h"
#include "util.h"

#define CHUNK_BYTES (1u << 20)
#define MAX_LOCAL 64
#define DEF_RING (32u << 20)
#define DEF_STORE (256u << 20)
#define DEF_SETTLE_MS 2
#define DEF_SETTLE_MAX_MS 50
#define V3_SETTLE_MS 8 /* > the block-retire timer (1 ms; a tick on older kernels) */

struct chunk {
	struct chunk *next;
	size_t used, cap;
	uint64_t data[]; /* records: struct rec + frame, 8-byte aligned */
};

struct rec {
	uint64_t ts_ns;
	uint32_t caplen, origlen;
};

struct capture {
	int linktype;
	uint32_t snaplen;
	char ifname[IF_NAMESIZE];
	struct chunk *head, *tail;
	size_t count;
	uint64_t bytes, alloc, max_store, overflow;
	bool has_mac;
	uint8_t mac[6];
	uint8_t local[MAX_LOCAL][16], bcast[MAX_LOCAL][16];
	size_t nlocal, nbcast;

	/* live capture */
	struct capture_opts o;
	bool begun, live, stopped, failed, start_failed;
	pcap_t *p; /* owned by the reader thread */
	pthread_t th;
	bool joined; /* the reader thread is gone and joined */
	int evfd, nsfd, pipe[2];
	bool ts_micro;
	double t_begin;
	struct perr err; /* the reader's error */
	uint64_t ps_recv, ps_drop;
	double start_ms, stop_ms, reader_cpu_ms;
};

/* ---- frame store ---------------------------------------------------- */

static int store_add(struct capture *c, uint64_t ts, const uint8_t *d, uint32_t caplen,
		     uint32_t origlen)
{
	size_t need = sizeof(struct rec) + (((size_t)caplen + 7) & ~(size_t)7);
	struct chunk *t = c->tail;
	struct rec *r;

	if (!t || t->cap - t->used < need) {
		size_t cap = need > CHUNK_BYTES ? need : CHUNK_BYTES;
		if (c->alloc + cap > c->max_store)
			return -1;
		t = malloc(sizeof(*t) + cap);
		if (!t)
			return -1;
		t->next = NULL;
		t->used = 0;
		t->cap = cap;
		if (c->tail)
			c->tail->next = t;
		else
			c->head = t;
		c->tail = t;
		c->alloc += cap;
	}
	r = (struct rec *)((uint8_t *)t->data + t->used);
	r->ts_ns = ts;
	r->caplen = caplen;
	r->origlen = origlen;
	if (caplen)
		memcpy(r + 1, d, caplen);
	t->used += need;
	c->count++;
	c->bytes += caplen;
	return 0;
}

bool capture_next(const struct capture *c, struct capture_cursor *cur, struct capture_pkt *p)
{
	const struct chunk *ch = cur->chunk;
	const struct rec *r;

	if (!ch) {
		if (cur->off)
			return false; /* finished */
		ch = c->head;
	}
	while (ch && cur->off >= ch->used) {
		ch = ch->next;
		cur->off = 0;
	}
	if (!ch) {
		cur->chunk = NULL;
		cur->off = 1;
		return false;
	}
	r = (const struct rec *)((const uint8_t *)ch->data + cur->off);
	p->ts_ns = r->ts_ns;
	p->caplen = r->caplen;
	p->origlen = r->origlen;
	p->data = (const uint8_t *)(r + 1);
	cur->off += sizeof(*r) + (((size_t)r->caplen + 7) & ~(size_t)7);
	cur->chunk = ch;
	return true;
}

static struct capture *capture_alloc(void)
{
	struct capture *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->evfd = c->nsfd = c->pipe[0] = c->pipe[1] = -1;
	c->max_store = DEF_STORE;
	c->snaplen = 65535;
	c->linktype = PKT_LINK_EN10MB;
	return c;
}

int capture_new(struct capture **out, int linktype, uint32_t snaplen, struct perr *e)
{
	struct capture *c = capture_alloc();

	*out = NULL;
	if (!c)
		return perr_sys(e, ENOMEM, "capture");
	c->linktype = linktype;
	c->snaplen = snaplen ? snaplen : 65535;
	c->max_store = SIZE_MAX;
	*out = c;
	return 0;
}

int capture_add(struct capture *c, uint64_t ts_ns, const void *data, uint32_t caplen,
		uint32_t origlen, struct perr *e)
{
	if (c->begun)
		return perr_set(e, "capture_add on a live capture");
	if (store_add(c, ts_ns, data, caplen, origlen < caplen ? caplen : origlen) < 0)
		return perr_sys(e, ENOMEM, "capture: store frame %zu", c->count);
	return 0;
}

void capture_set_local_mac(struct capture *c, const uint8_t mac[6])
{
	memcpy(c->mac, mac, 6);
	c->has_mac = true;
}

bool capture_local_mac(const struct capture *c, uint8_t mac[6])
{
	if (c->has_mac && mac)
		memcpy(mac, c->mac, 6);
	return c->has_mac;
}

void capture_add_local_addr(struct capture *c, const uint8_t addr[16], bool broadcast)
{
	if (broadcast) {
		if (c->nbcast < MAX_LOCAL)
			memcpy(c->bcast[c->nbcast++], addr, 16);
	} else if (c->nlocal < MAX_LOCAL) {
		memcpy(c->local[c->nlocal++], addr, 16);
	}
}

size_t capture_local_addrs(const struct capture *c, const uint8_t (**addrs)[16],
			   const uint8_t (**bcast)[16], size_t *nbcast)
{
	*addrs = (const uint8_t(*)[16])c->local;
	*bcast = (const uint8_t(*)[16])c->bcast;
	*nbcast = c->nbcast;
	return c->nlocal;
}

int capture_linktype(const struct capture *c)
{
	return c->linktype;
}

uint32_t capture_snaplen(const struct capture *c)
{
	return c->snaplen;
}

const char *capture_ifname(const struct capture *c)
{
	return c->ifname;
}

size_t capture_count(const struct capture *c)
{
	return c->count;
}

void capture_get_stats(const struct capture *c, struct capture_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->packets = c->count;
	s->bytes = c->bytes;
	s->kernel_received = c->ps_recv;
	s->kernel_dropped = c->ps_drop;
	s->overflow = c->overflow;
	s->start_ms = c->start_ms;
	s->stop_ms = c->stop_ms;
	s->reader_cpu_ms = c->reader_cpu_ms;
	s->live = c->live || (c->begun && !c->start_failed); /* the reader may run */
	s->stopped = c->stopped;
	s->failed = c->failed;
}

/* ---- live capture: the reader thread ---------------------------------
 *
 * The thread owns the pcap handle. It reports on a pipe: 'R' (live) or 'F'
 * (activation failed) once, then 'D' when the final drain is done. After
 * its last write it touches nothing of the capture: it closes the socket
 * (which costs the kernel an RCU grace period, ~10-30 ms) on its own time
 * and exits; it is detached. */

static void on_frame(u_char *u, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)u;
	uint64_t sub = (uint64_t)h->ts.tv_usec;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ull + (c->ts_micro ? sub * 1000 : sub);

	if (store_add(c, ts, bytes, h->caplen, h->len) < 0)
		c->overflow++;
}

static int open_pcap(struct capture *c, struct perr *e)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(c->ifname, eb);
	int rc, fd;

	if (!p)
		return perr_set(e, "pcap_create: %s", eb);
	pcap_set_snaplen(p, c->o.snaplen);
	pcap_set_promisc(p, 0);
	pcap_set_timeout(p, 1); /* TPACKET_V3 block retire timeout, ms */
	pcap_set_immediate_mode(p, c->o.immediate);
	pcap_set_buffer_size(p, (int)(c->o.ring_bytes > INT32_MAX ? INT32_MAX : c->o.ring_bytes));
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	rc = pcap_activate(p);
	if (rc < 0) {
		const char *msg = (rc == PCAP_ERROR || rc == PCAP_ERROR_NO_SUCH_DEVICE ||
				   rc == PCAP_ERROR_PERM_DENIED)
				      ? pcap_geterr(p)
				      : pcap_statustostr(rc);
		perr_set(e, "pcap_activate: %s", msg && *msg ? msg : pcap_statustostr(rc));
		if (rc == PCAP_ERROR_PERM_DENIED)
			e->sys_errno = EPERM;
		pcap_close(p);
		return -1;
	}
	if (pcap_setnonblock(p, 1, eb) < 0) {
		perr_set(e, "pcap_setnonblock: %s", eb);
		pcap_close(p);
		return -1;
	}
	fd = pcap_get_selectable_fd(p);
	/* libpcap opens its socket without CLOEXEC: never leak a packet
	 * socket on the wan into a sandboxed program. */
	if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		perr_sys(e, fd < 0 ? EBADF : errno, "capture socket");
		pcap_close(p);
		return -1;
	}
	c->linktype = pcap_datalink(p);
	c->snaplen = (uint32_t)pcap_snapshot(p);
	c->ts_micro = pcap_get_tstamp_precision(p) != PCAP_TSTAMP_PRECISION_NANO;
	c->p = p;
	return 0;
}

/* The capturing interface's MAC and every address of its namespace (we are
 * inside it): frames the wan sent and the wan's own addresses. */
static void learn_local(struct capture *c)
{
	struct ifreq ifr;
	struct ifaddrs *ifa = NULL, *i;
	uint8_t a[16];

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->ifname);
	if (ioctl(pcap_get_selectable_fd(c->p), SIOCGIFHWADDR, &ifr) == 0 &&
	    ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER)
		capture_set_local_mac(c, (const uint8_t *)ifr.ifr_hwaddr.sa_data);
	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)i->ifa_addr;
			pkt_addr_from_v4(a, (const uint8_t *)&sin->sin_addr);
			capture_add_local_addr(c, a, false);
			if ((i->ifa_flags & IFF_BROADCAST) && i->ifa_broadaddr &&
			    i->ifa_broadaddr->sa_family == AF_INET) {
				sin = (const void *)i->ifa_broadaddr;
				pkt_addr_from_v4(a, (const uint8_t *)&sin->sin_addr);
				capture_add_local_addr(c, a, true);
			}
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const void *)i->ifa_addr;
			capture_add_local_addr(c, s6->sin6_addr.s6_addr, false);
		}
	}
	freeifaddrs(ifa);
}

static void reader_fail(struct capture *c, const char *what)
{
	if (!c->failed)
		perr_set(&c->err, "capture on %s: %s: %s", c->ifname, what, pcap_geterr(c->p));
	c->failed = true;
}

static void reader_loop(struct capture *c)
{
	struct pollfd pfd[2] = {
	    {.fd = pcap_get_selectable_fd(c->p), .events = POLLIN},
	    {.fd = c->evfd, .events = POLLIN},
	};
	bool stopping = false;
	uint64_t deadline = 0;
	int n;

	for (;;) {
		int timeout = -1, r;
		if (stopping) {
			uint64_t now = util_now_ns();
			if (now >= deadline)
				break;
			uint64_t left = (deadline - now + 999999) / 1000000;
			timeout = (int)(left < c->o.settle_ms ? left : c->o.settle_ms);
		}
		r = poll(pfd, stopping ? 1 : 2, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			perr_sys(&c->err, errno, "capture on %s: poll", c->ifname);
			c->failed = true;
			break;
		}
		if (!stopping && (pfd[1].revents & POLLIN)) {
			stopping = true;
			deadline = util_now_ns() + (uint64_t)c->o.settle_max_ms * 1000000u;
		}
		n = pcap_dispatch(c->p, -1, on_frame, (u_char *)c);
		if (n < 0) {
			reader_fail(c, "read");
			break;
		}
		if (stopping && r == 0 && n == 0)
			break; /* quiet for settle_ms */
	}
	/* Final drain: until the ring is empty. */
	while (!c->failed) {
		n = pcap_dispatch(c->p, -1, on_frame, (u_char *)c);
		if (n < 0)
			reader_fail(c, "final drain");
		if (n <= 0)
			break;
	}
}

static void report(int fd, char what)
{
	while (write(fd, &what, 1) < 0 && errno == EINTR)
		;
}

/* Wait for the reader thread to end (it has reported 'F' or 'D', or is
 * told to stop), once. */
static void capture_join(struct capture *c)
{
	if (c->begun && !c->joined) {
		pthread_join(c->th, NULL);
		c->joined = true;
	}
}

static void *reader_main(void *arg)
{
	struct capture *c = arg;
	struct pcap_stat st;
	pcap_t *p;
	int fd = c->pipe[1];

	if (c->nsfd >= 0 && setns(c->nsfd, CLONE_NEWNET) < 0) {
		perr_sys(&c->err, errno, "capture on %s: setns into the capture netns", c->ifname);
		report(fd, 'F');
		return NULL;
	}
	if (open_pcap(c, &c->err) < 0) {
		perr_prefix(&c->err, "capture on %s", c->ifname);
		report(fd, 'F');
		return NULL;
	}
	learn_local(c);
	report(fd, 'R');

	reader_loop(c);
	if (pcap_stats(c->p, &st) == 0) {
		c->ps_recv = st.ps_recv;
		c->ps_drop = st.ps_drop;
	} else {
		reader_fail(c, "pcap_stats");
	}
	p = c->p;
	c->p = NULL;
	{
		struct timespec ts;
		if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
			c->reader_cpu_ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	}
	report(fd, 'D');
	/* c stays until capture_join() has seen this thread end. */
	pcap_close(p);
	return NULL;
}

static char wait_report(struct capture *c)
{
	char ch = 0;
	ssize_t n;

	while ((n = read(c->pipe[0], &ch, 1)) < 0 && errno == EINTR)
		;
	return n == 1 ? ch : 0;
}

int capture_start(struct capture **out, int netns_fd, const char *ifname, struct perr *e)
{
	return capture_start_opts(out, netns_fd, ifname, NULL, e);
}

int capture_start_opts(struct capture **out, int netns_fd, const char *ifname,
		       const struct capture_opts *o, struct perr *e)
{
	if (capture_begin(out, netns_fd, ifname, o, e) < 0)
		return -1;
	if (capture_ready(*out, e) < 0) {
		capture_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static void capture_close_fds(struct capture *c)
{
	if (c->nsfd >= 0)
		close(c->nsfd);
	if (c->evfd >= 0)
		close(c->evfd);
	for (int i = 0; i < 2; i++)
		if (c->pipe[i] >= 0)
			close(c->pipe[i]);
	c->nsfd = c->evfd = c->pipe[0] = c->pipe[1] = -1;
}

int capture_begin(struct capture **out, int netns_fd, const char *ifname,
		  const struct capture_opts *o, struct perr *e)
{
	struct capture *c;
	pthread_attr_t attr;
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE)
		return perr_usage(e, "capture: bad interface name '%s'", ifname ? ifname : "");
	c = capture_alloc();
	if (!c)
		return perr_sys(e, ENOMEM, "capture");
	c->t_begin = util_now_ms();
	if (o)
		c->o = *o;
	if (!c->o.ring_bytes)
		c->o.ring_bytes = DEF_RING;
	if (c->o.max_store_bytes)
		c->max_store = c->o.max_store_bytes;
	if (!c->o.settle_ms)
		c->o.settle_ms = c->o.immediate ? DEF_SETTLE_MS : V3_SETTLE_MS;
	if (!c->o.settle_max_ms)
		c->o.settle_max_ms = DEF_SETTLE_MAX_MS;
	if (c->o.settle_max_ms < c->o.settle_ms)
		c->o.settle_max_ms = c->o.settle_ms;
	if (c->o.snaplen <= 0)
		c->o.snaplen = 65535;
	snprintf(c->ifname, sizeof(c->ifname), "%s", ifname);

	if (netns_fd >= 0 && (c->nsfd = fcntl(netns_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		perr_sys(e, errno, "capture: dup netns fd");
		goto fail;
	}
	c->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->evfd < 0 || pipe2(c->pipe, O_CLOEXEC) < 0) {
		perr_sys(e, errno, "capture: eventfd/pipe");
		goto fail;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	/* Joinable, and joined before the capture is given back: a reader
	 * still inside pcap_close() (munmap, free) when the harness clones its
	 * next pod would leave that child a malloc lock held for ever (clone
	 * runs no atfork handlers): the pod's init then hung before its main
	 * ran, about one cell in 2500 of a matrix. */
	/* The reader takes no signals: a process-directed signal must reach
	 * the caller's signalfd, never this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&c->th, &attr, reader_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc) {
		perr_sys(e, rc, "capture: pthread_create");
		goto fail;
	}
	c->begun = true;
	*out = c;
	return 0;
fail:
	capture_close_fds(c);
	free(c);
	return -1;
}

int capture_ready(struct capture *c, struct perr *e)
{
	char r;

	if (!c->begun)
		return perr_usage(e, "capture_ready without capture_begin");
	if (c->live)
		return 0;
	if (c->start_failed)
		goto failed;
	r = wait_report(c);
	if (c->nsfd >= 0) {
		close(c->nsfd);
		c->nsfd = -1;
	}
	if (r != 'R') {
		c->start_failed = true;
		if (!r)
			perr_set(&c->err, "capture on %s: reader thread vanished", c->ifname);
		goto failed;
	}
	c->live = true;
	c->start_ms = util_now_ms() - c->t_begin;
	return 0;
failed:
	if (e)
		*e = c->err;
	return -1;
}

int capture_stop(struct capture *c, struct perr *e)
{
	double t0;
	uint64_t one = 1;

	if (!c || !c->begun)
		return 0;
	if (!c->live && !c->start_failed && capture_ready(c, NULL) < 0)
		return 0; /* never started: nothing to stop */
	if (!c->live)
		return 0;
	if (!c->stopped) {
		t0 = util_now_ms();
		if (write(c->evfd, &one, sizeof(one)) != sizeof(one)) {
			/* an eventfd write of 1 cannot fail short of overflow */
		}
		if (wait_report(c) != 'D' && !c->failed) {
			perr_set(&c->err, "capture on %s: reader thread vanished", c->ifname);
			c->failed = true;
		}
		capture_join(c);
		capture_close_fds(c);
		c->stopped = true;
		c->stop_ms = util_now_ms() - t0;
	}
	if (c->failed) {
		if (e)
			*e = c->err;
		return -1;
	}
	return 0;
}

void capture_free(struct capture *c)
{
	struct chunk *ch, *nx;

	if (!c)
		return;
	capture_stop(c, NULL);
	capture_join(c);
	capture_close_fds(c);
	for (ch = c->head; ch; ch = nx) {
		nx = ch->next;
		free(ch);
	}
	free(c);
}
