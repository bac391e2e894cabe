/* notify-latency - what seccomp user-notification mediation adds to a TCP
 * connect (issue 8): the median over N connects to a loopback listener on
 * the proxy's port, inside `parity run`, under `none` (a plain connect),
 * `platform` (Landlock + seccomp, no notify), `platform-notify` and
 * `platform-strict` (the strict policy: address:port pinned), in the same
 * run, interleaved round by round so drift hits all four alike.
 *
 *   notify-latency [--n N] [--rounds R] [--parity PATH]     (root: the driver)
 *   notify-latency measure HOST PORT N blocking|nonblocking  (inside the sandbox)
 *
 * The driver moves into a private network namespace (lo up) so the
 * proxy's 127.0.0.1:3128 never meets the host's. The listener is the
 * sandbox's own CONNECT proxy: it accepts and waits for a request; the
 * client closes with an RST (SO_LINGER 0) so no TIME_WAIT piles up over
 * tens of thousands of connects. Blocking connects are the usual case
 * (the supervisor hands them to a worker thread); non-blocking ones are
 * answered inline in the supervisor's loop.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- inside the sandbox ---- */

static int measure(const char *host, int port, long n, bool nonblocking)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct linger lg = {1, 0};
	long fails = 0;
	int last = 0;

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return 2;
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET,
				SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
		uint64_t t0, t1;
		int r;
		if (fd < 0) {
			fprintf(stderr, "socket: %s\n", strerror(errno));
			return 1;
		}
		t0 = now_ns();
		r = connect(fd, (struct sockaddr *)&a, sizeof(a));
		t1 = now_ns();
		if (r < 0 && !(nonblocking && errno == EINPROGRESS)) {
			fails++;
			last = errno;
		} else {
			printf("%.3f\n", (double)(t1 - t0) / 1e3);
		}
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
	printf("fails %ld %s\n", fails, fails ? strerror(last) : "-");
	return 0;
}

/* ---- the driver ---- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct series {
	double *v;
	size_t n, cap;
	long fails;
};

static void add(struct series *s, double x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->v = realloc(s->v, s->cap * sizeof(double));
		if (!s->v)
			exit(1);
	}
	s->v[s->n++] = x;
}

static double pct(struct series *s, double p)
{
	size_t i;
	if (!s->n)
		return 0;
	i = (size_t)(p * (double)(s->n - 1));
	return s->v[i];
}

/* One `parity run --profile P -- self measure ...`; samples appended. */
static int one_run(const char *parity, const char *self, const char *profile, long n,
		   const char *mode, struct series *s)
{
	char nbuf[32], line[128];
	int p[2], st;
	pid_t pid;
	FILE *f;

	snprintf(nbuf, sizeof(nbuf), "%ld", n);
	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl(parity, parity, "run", "--quiet", "--profile", profile, "--", self, "measure",
		      "127.0.0.1", "3128", nbuf, mode, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	while (fgets(line, sizeof(line), f)) {
		long fl;
		if (sscanf(line, "fails %ld", &fl) == 1)
			s->fails += fl;
		else
			add(s, strtod(line, NULL));
	}
	fclose(f);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		goto fail;
	close(fd);
	return;
fail:
	perror("lo up");
	exit(3);
}

int main(int argc, char **argv)
{
	static const char *const profiles[] = {"none", "platform", "platform-notify",
					       "platform-strict"};
	enum { NP = 4 };
	static const char *const modes[] = {"blocking", "nonblocking"};
	struct series s[2][NP];
	char self[PATH_MAX], parity[PATH_MAX] = "";
	long n = 10000, rounds = 10;
	ssize_t sl;

	if (argc >= 6 && strcmp(argv[1], "measure") == 0)
		return measure(argv[2], atoi(argv[3]), atol(argv[4]),
			       strcmp(argv[5], "nonblocking") == 0);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
			n = atol(argv[++i]);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atol(argv[++i]);
		else if (strcmp(argv[i], "--parity") == 0 && i + 1 < argc)
			snprintf(parity, sizeof(parity), "%s", argv[++i]);
		else {
			fprintf(stderr,
				"usage: notify-latency [--n N] [--rounds R] [--parity PATH]\n");
			return 2;
		}
	}
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0)
		return 3;
	self[sl] = 0;
	if (!parity[0]) {
		/* build/bench/notify-latency -> build/parity */
		char *slash = strrchr(self, '/');
		snprintf(parity, sizeof(parity), "%.*s/../parity", (int)(slash - self), self);
	}
	if (geteuid() != 0) {
		fprintf(stderr, "notify-latency: run as root (a private netns; parity run "
				"platform drops to uid 10001)\n");
		return 2;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET)");
		return 3;
	}
	lo_up();
	memset(s, 0, sizeof(s));
	/* Interleaved: none, platform, platform-notify, platform-strict, then
	 * again. */
	for (long r = 0; r < rounds; r++)
		for (int m = 0; m < 2; m++)
			for (int p = 0; p < NP; p++)
				if (one_run(parity, self, profiles[p], (n + rounds - 1) / rounds,
					    modes[m], &s[m][p]) < 0) {
					fprintf(stderr,
						"notify-latency: parity run --profile %s failed\n",
						profiles[p]);
					return 3;
				}
	printf("connect latency to a loopback listener on the proxy port, inside parity run "
	       "(us; %ld connects per cell, %ld rounds interleaved)\n",
	       n, rounds);
	printf("%-12s %-16s %8s %8s %8s %8s %7s\n", "mode", "profile", "median", "p90", "p99",
	       "added", "fails");
	for (int m = 0; m < 2; m++) {
		double base;
		for (int p = 0; p < NP; p++)
			qsort(s[m][p].v, s[m][p].n, sizeof(double), cmp_d);
		base = pct(&s[m][0], 0.5);
		for (int p = 0; p < NP; p++)
			printf("%-12s %-16s %8.1f %8.1f %8.1f %+8.1f %7ld\n", modes[m], profiles[p],
			       pct(&s[m][p], 0.5), pct(&s[m][p], 0.9), pct(&s[m][p], 0.99),
			       pct(&s[m][p], 0.5) - base, s[m][p].fails);
		printf("%-12s notify adds %.1f us over a plain connect, %.1f us over platform "
		       "(target <= 35 us)\n",
		       modes[m], pct(&s[m][2], 0.5) - base,
		       pct(&s[m][2], 0.5) - pct(&s[m][1], 0.5));
		printf("%-12s platform-strict adds %.1f us over a plain connect, %.1f us over "
		       "platform, %+.1f us against platform-notify\n",
		       modes[m], pct(&s[m][3], 0.5) - base, pct(&s[m][3], 0.5) - pct(&s[m][1], 0.5),
		       pct(&s[m][3], 0.5) - pct(&s[m][2], 0.5));
	}
	return 0;
}
