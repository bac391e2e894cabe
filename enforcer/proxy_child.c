/* proxy_child.c - the supervisor's side of the proxy process. See
 * proxy_child.h. */
#include "proxy_child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netaddr.h"
#include "pidns.h"
#include "proxy.h"
#include "util.h"
#include "timeline.h"

/* The proxy serves before the agent starts: it says so with one byte once
 * its loop is set up (signals, limits, epoll), so that what the agent finds
 * is the running proxy, never one half started (seen: an attack looking
 * for the proxy by its ignored SIGPIPE on a busy machine). */
#define PROXY_READY_TIMEOUT_MS 5000

/* Fork the proxy on listen_fd; proxy_await_ready() then waits for it. */
int proxy_spawn(int listen_fd, int log_fd, const struct policy *pol, struct proxy_child *pc,
		struct perr *e)
{
	pid_t sup = getpid();
	int ready[2];
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return perr_sys(e, errno, "proxy: pipe");
	pid = fork();
	if (pid < 0) {
		close(ready[0]);
		close(ready[1]);
		return perr_sys(e, errno, "fork proxy");
	}
	if (pid == 0) {
		struct proxy_config c;
		struct perr pe;
		int keep[3] = {listen_fd, ready[1], log_fd};

		pidns_die_with_parent(sup);
		util_name_role("proxy");
		util_close_fds_from(3, keep, log_fd >= 0 ? 3 : 2);
		memset(&c, 0, sizeof(c));
		c.listen_fd = listen_fd;
		c.policy = pol;
		c.log_fd = log_fd;
		c.say_ready = true;
		c.ready_fd = ready[1];
		perr_clear(&pe);
		if (proxy_serve(&c, &pe) < 0)
			_exit(perr_report(&pe, "parity proxy"));
		_exit(0);
	}
	TL("proxy forked");
	close(ready[1]);
	pc->pid = pid;
	pc->ready_fd = ready[0];
	return 0;
}

/* Wait for the proxy's "serving" byte. On failure the proxy is killed and
 * reaped (pc->pid = -1). */
int proxy_await_ready(struct proxy_child *pc, struct perr *e)
{
	struct pollfd p = {.fd = pc->ready_fd, .events = POLLIN};
	char b;
	int r;

	while ((r = poll(&p, 1, PROXY_READY_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	if (r > 0 && read(pc->ready_fd, &b, 1) == 1) {
		close(pc->ready_fd);
		pc->ready_fd = -1;
		return 0;
	}
	close(pc->ready_fd);
	pc->ready_fd = -1;
	kill(pc->pid, SIGKILL);
	while (waitpid(pc->pid, NULL, 0) < 0 && errno == EINTR)
		;
	pc->pid = -1;
	return perr_set(e, "proxy: %s", r == 0 ? "not serving after 5 s" : "exited before serving");
}

const char *proxy_fate_name(enum proxy_fate f)
{
	switch (f) {
	case PROXY_FATE_ALIVE:
		return "answered";
	case PROXY_FATE_DEAD:
		return "dead";
	case PROXY_FATE_STOPPED:
		return "stopped";
	default:
		return "no answer";
	}
}

/* Stopped: by a signal, which its parent, the caller, sees through waitid
 * without reaping it (unless a wait already took that report), or by a
 * tracer; /proc/<pid>/stat (a /proc of the caller's PID namespace) shows
 * both, T and t. */
static bool proxy_stopped(pid_t pid)
{
	siginfo_t si;
	char st;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WSTOPPED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid &&
	    si.si_code == CLD_STOPPED)
		return true;
	st = util_proc_state(pid);
	return st == 'T' || st == 't';
}

/* Slices of the probe's waits: a stopped proxy never answers, so it is
 * looked for between them rather than only at the deadline. */
#define PROBE_SLICE_MS 20

/* What the probe waits on: its socket (p[0], for `events`) and the
 * proxy's pidfd (p[1], -1: none). Returns DEAD when the pidfd is readable,
 * STOPPED when the proxy is seen stopped between slices, UNKNOWN at the
 * deadline, or ALIVE when the socket is ready first (the caller decides
 * what that means). */
static enum proxy_fate wait_probe(int sock, short events, int pidfd, pid_t pid, uint64_t deadline)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = sock, .events = events},
				      {.fd = pidfd, .events = POLLIN}};
		uint64_t now = util_now_ns();
		int left = now >= deadline ? 0 : (int)((deadline - now) / 1000000u) + 1;
		int r = poll(p, 2, left < PROBE_SLICE_MS ? left : PROBE_SLICE_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return PROXY_FATE_UNKNOWN;
		if (p[1].revents & POLLIN)
			return PROXY_FATE_DEAD;
		if (r > 0 && p[0].revents)
			return PROXY_FATE_ALIVE;
		if (proxy_stopped(pid))
			return PROXY_FATE_STOPPED;
		if (left <= PROBE_SLICE_MS)
			return PROXY_FATE_UNKNOWN;
	}
}

/* The probe could not get its answer (a reset, EOF, a refused or failed
 * connect): the proxy's sockets are closed in its exit before its pidfd is
 * signalled, so what it is comes from the pidfd and its state, within
 * what is left of the bound. */
static enum proxy_fate fate_without_answer(int pidfd, pid_t pid, uint64_t deadline)
{
	return wait_probe(-1, 0, pidfd, pid, deadline);
}

enum proxy_fate proxy_probe_fate(const char *host, uint16_t port, pid_t pid, int pidfd,
				 int timeout_ms, uint16_t *probe_port)
{
	/* A method the proxy refuses (405), so the probe never dials; its
	 * answer must be the proxy's own. */
	static const char probe[] = "PARITY-PROBE / HTTP/1.1\r\n\r\n";
	static const char answer[] = "HTTP/1.1 405";
	uint64_t deadline = util_now_ns() + (uint64_t)timeout_ms * 1000000u;
	struct sockaddr_storage ss;
	struct netaddr a;
	struct pollfd pp = {.fd = pidfd, .events = POLLIN};
	char got[sizeof(answer)];
	size_t have = 0;
	socklen_t len;
	enum proxy_fate fate;
	int fd, r, err = 0;

	*probe_port = 0;
	if (pidfd >= 0 && poll(&pp, 1, 0) > 0)
		return PROXY_FATE_DEAD;
	if (proxy_stopped(pid))
		return PROXY_FATE_STOPPED;
	if (netaddr_parse(host, &a) < 0 || !(len = netaddr_to_sockaddr(&a, port, &ss)))
		return PROXY_FATE_UNKNOWN;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return PROXY_FATE_UNKNOWN;
	r = connect(fd, (struct sockaddr *)&ss, len);
	if (r < 0 && errno == EINPROGRESS) {
		/* The kernel completes the handshake without the proxy. */
		fate = wait_probe(fd, POLLOUT, pidfd, pid, deadline);
		if (fate != PROXY_FATE_ALIVE)
			goto out;
		socklen_t el = sizeof(err);
		r = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0 ? 0 : -1;
	}
	if (r < 0)
		goto no_answer; /* refused or reset: its listener may be gone */
	{
		struct sockaddr_storage me;
		socklen_t ml = sizeof(me);
		struct netaddr ma;
		if (getsockname(fd, (struct sockaddr *)&me, &ml) == 0)
			netaddr_from_sockaddr((struct sockaddr *)&me, &ma, probe_port);
	}
	if (send(fd, probe, sizeof(probe) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(probe) - 1))
		goto no_answer;
	while (have < sizeof(answer) - 1) {
		ssize_t n;
		fate = wait_probe(fd, POLLIN, pidfd, pid, deadline);
		if (fate != PROXY_FATE_ALIVE)
			goto out;
		n = recv(fd, got + have, sizeof(answer) - 1 - have, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			goto no_answer; /* EOF or a reset, without the answer */
		have += (size_t)n;
	}
	/* Anything but the proxy's refusal is no answer from the proxy. */
	fate = memcmp(got, answer, sizeof(answer) - 1) == 0 ? PROXY_FATE_ALIVE : PROXY_FATE_UNKNOWN;
	goto out;
no_answer:
	fate = fate_without_answer(pidfd, pid, deadline);
	if (fate == PROXY_FATE_ALIVE)
		fate = PROXY_FATE_UNKNOWN;
out:
	close(fd);
	return fate;
}
