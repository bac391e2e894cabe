/* test_proxy_probe.c - proxy_probe_fate(), the lab's post-run witness of
 * the proxy, against real processes on loopback: the real proxy alive and
 * stopped, and stand-ins for a proxy that dies when it next runs (reads
 * the request, exits without answering), one that hangs up but lives, one
 * already dead and one whose listener is gone. No root. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enforcer/policy.h"
#include "enforcer/proxy.h"
#include "enforcer/proxy_child.h"
#include "unit.h"
#include "util.h"

#define PROBE_MS 1500

/* A listener on host, any port. */
static int listen_on(const char *host, uint16_t *port)
{
	struct perr e;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int lfd = proxy_listen(host, 0, &e);

	if (lfd < 0)
		return -1;
	getsockname(lfd, (struct sockaddr *)&ss, &sl);
	*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					       : ((struct sockaddr_in *)&ss)->sin_port);
	return lfd;
}

static int listen_any(uint16_t *port)
{
	return listen_on("127.0.0.1", port);
}

static int pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void reap(pid_t pid, int pidfd)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (pidfd >= 0)
		close(pidfd);
}

/* The real proxy, through proxy_spawn, logging to a temporary file. */
static pid_t spawn_real_on(const char *host, uint16_t *port, char *log_path)
{
	struct proxy_child pc;
	struct policy pol;
	struct perr e;
	int lfd = listen_on(host, port), logfd = mkstemp(log_path);

	CU_ASSERT_FATAL(lfd >= 0 && logfd >= 0);
	CU_ASSERT_FATAL(policy_parse("{\"version\":1,\"allow\":[]}", "probe.json", &pol, &e) == 0);
	CU_ASSERT_FATAL(proxy_spawn(lfd, logfd, &pol, &pc, &e) == 0);
	close(lfd);
	close(logfd);
	CU_ASSERT_FATAL(proxy_await_ready(&pc, &e) == 0);
	policy_free(&pol);
	return pc.pid;
}

static pid_t spawn_real(uint16_t *port, char *log_path)
{
	return spawn_real_on("127.0.0.1", port, log_path);
}

enum stand_in { DIES_AFTER_READ, DIES_WHEN_WOKEN, HANGS_UP, SILENT, WRONG_ANSWER };

/* A stand-in on its own listener: dies as soon as a client is queued,
 * without accepting (a zeroed stack, a fatal signal: the probe's connect
 * is reset with the listener), or accepts one client, reads its request,
 * then exits (as if a fatal signal waited for its next syscall), closes
 * the connection and lives on, keeps it and never answers, or answers
 * something that is not the proxy's refusal. */
static pid_t spawn_stand_in(uint16_t *port, enum stand_in mode)
{
	int lfd = listen_any(port);
	pid_t pid;

	CU_ASSERT_FATAL(lfd >= 0);
	pid = fork();
	if (pid == 0) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		char buf[256];
		int c;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		poll(&p, 1, 5000);
		if (mode == DIES_WHEN_WOKEN)
			_exit(0);
		c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0 && mode == WRONG_ANSWER && read(c, buf, sizeof(buf)) > 0 &&
		    write(c, "HTTP/1.1 200 OK\r\n\r\n", 19) == 19)
			pause();
		if (c >= 0 && read(c, buf, sizeof(buf)) > 0 && mode == DIES_AFTER_READ) {
			/* A dying process closes its files before its exit
			 * is signalled on its pidfd: here, 100 ms before. */
			close(c);
			usleep(100000);
			_exit(0);
		}
		if (mode == HANGS_UP)
			close(c);
		pause();
		_exit(0);
	}
	close(lfd);
	return pid;
}

/* A port nothing listens on (any more). */
static uint16_t closed_port(void)
{
	uint16_t port = 0;
	int lfd = listen_any(&port);

	close(lfd);
	return port;
}

static void test_live_proxy_answers(void)
{
	char log_path[] = "/tmp/parity-probe-unit-XXXXXX";
	uint16_t port = 0, probe_port = 0;
	pid_t pid = spawn_real(&port, log_path);
	int pfd = pidfd_of(pid);
	bool logged = false;
	char line[2048];
	FILE *f;

	CU_ASSERT_EQUAL(proxy_probe_fate("127.0.0.1", port, pid, pfd, PROBE_MS, &probe_port),
			PROXY_FATE_ALIVE);
	CU_ASSERT(probe_port > 0);
	/* Its one log line: a refused method from the probe's port (the lab
	 * drops it by that port), and nothing dialled. */
	usleep(50000);
	f = fopen(log_path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		json_t *o = json_loads(line, 0, NULL);
		if (json_integer_value(json_object_get(o, "client_port")) == probe_port &&
		    json_integer_value(json_object_get(o, "status")) == 405)
			logged = true;
		/* nothing dialled for it, nor for anything else here */
		CU_ASSERT(json_is_null(json_object_get(o, "remote_addr")) ||
			  !json_object_get(o, "remote_addr"));
		json_decref(o);
	}
	if (f)
		fclose(f);
	CU_ASSERT(logged);
	reap(pid, pfd);
	unlink(log_path);
}

static void test_stopped_proxy(void)
{
	char log_path[] = "/tmp/parity-probe-unit-XXXXXX";
	uint16_t port = 0, probe_port = 0;
	pid_t pid = spawn_real(&port, log_path);
	int pfd = pidfd_of(pid), st;
	uint64_t t0;

	/* The stop's report taken by a wait first: /proc still shows it. */
	CU_ASSERT_EQUAL_FATAL(kill(pid, SIGSTOP), 0);
	CU_ASSERT_EQUAL(waitpid(pid, &st, WUNTRACED), pid);
	t0 = util_now_ns();
	CU_ASSERT_EQUAL(proxy_probe_fate("127.0.0.1", port, pid, pfd, PROBE_MS, &probe_port),
			PROXY_FATE_STOPPED);
	CU_ASSERT((util_now_ns() - t0) / 1000000u < PROBE_MS); /* seen, not timed out */
	kill(pid, SIGCONT);
	reap(pid, pfd);
	unlink(log_path);
}

/* Stopped while the probe waits for its answer: seen between the waits'
 * slices, long before the bound. */
static void test_stopped_while_probed(void)
{
	uint16_t port = 0, probe_port = 0;
	pid_t pid = spawn_stand_in(&port, SILENT);
	pid_t stopper = fork();
	int pfd = pidfd_of(pid);
	uint64_t t0 = util_now_ns();

	if (stopper == 0) {
		usleep(200000);
		kill(pid, SIGSTOP);
		_exit(0);
	}
	CU_ASSERT_EQUAL(proxy_probe_fate("127.0.0.1", port, pid, pfd, 5000, &probe_port),
			PROXY_FATE_STOPPED);
	CU_ASSERT((util_now_ns() - t0) / 1000000u < 2000);
	waitpid(stopper, NULL, 0);
	kill(pid, SIGCONT);
	reap(pid, pfd);
}

static void test_dies_when_it_runs(void)
{
	uint16_t port = 0, probe_port = 0;
	pid_t pid = spawn_stand_in(&port, DIES_AFTER_READ);
	int pfd = pidfd_of(pid);

	CU_ASSERT_EQUAL(proxy_probe_fate("127.0.0.1", port, pid, pfd, PROBE_MS, &probe_port),
			PROXY_FATE_DEAD);
	CU_ASSERT(probe_port > 0);
	reap(pid, pfd);
}

/* The probe's own connect wakes a proxy that then dies before accepting:
 * the connect is reset, and the pidfd says why. */
static void test_dies_when_woken(void)
{
	for (int i = 0; i < 20; i++) {
		uint16_t port = 0, probe_port = 0;
		pid_t pid = spawn_stand_in(&port, DIES_WHEN_WOKEN);
		int pfd = pidfd_of(pid);
		CU_ASSERT_EQUAL(
		    proxy_probe_fate("127.0.0.1", port, pid, pfd, PROBE_MS, &probe_port),
		    PROXY_FATE_DEAD);
		reap(pid, pfd);
	}
}

/* An answer that is not the proxy's refusal is not the proxy's answer. */
static void test_wrong_answer(void)
{
	uint16_t port = 0, probe_port = 0;
	pid_t pid = spawn_stand_in(&port, WRONG_ANSWER);
	int pfd = pidfd_of(pid);

	CU_ASSERT_EQUAL(proxy_probe_fate("127.0.0.1", port, pid, pfd, 300, &probe_port),
			PROXY_FATE_UNKNOWN);
	reap(pid, pfd);
}

/* A proxy on an IPv6 address is probed there. */
static void test_ipv6_proxy(void)
{
	char log_path[] = "/tmp/parity-probe-unit-XXXXXX";
	uint16_t port = 0, probe_port = 0;
	pid_t pid = spawn_real_on("::1", &port, log_path);
	int pfd = pidfd_of(pid);

	CU_ASSERT_EQUAL(proxy_probe_fate("::1", port, pid, pfd, PROBE_MS, &probe_port),
			PROXY_FATE_ALIVE);
	CU_ASSERT(probe_port > 0);
	reap(pid, pfd);
	unlink(log_path);
}

static void test_hangs_up_but_lives(void)
{
	uint16_t port = 0, probe_port = 0;
	pid_t pid = spawn_stand_in(&port, HANGS_UP);
	int pfd = pidfd_of(pid);

	/* EOF without an answer, and no death within the bound: not a
	 * verdict either way. */
	CU_ASSERT_EQUAL(proxy_probe_fate("127.0.0.1", port, pid, pfd, 300, &probe_port),
			PROXY_FATE_UNKNOWN);
	reap(pid, pfd);
}

static void test_already_dead_and_no_listener(void)
{
	uint16_t port = 0, probe_port = 1;
	pid_t pid = spawn_stand_in(&port, DIES_AFTER_READ);
	int pfd = pidfd_of(pid);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* Dead before the probe: no connection made at all. */
	CU_ASSERT_EQUAL(proxy_probe_fate("127.0.0.1", port, pid, pfd, PROBE_MS, &probe_port),
			PROXY_FATE_DEAD);
	CU_ASSERT_EQUAL(probe_port, 0);
	close(pfd);

	/* Nothing listens, the process lives: refused is not death. */
	pid = spawn_stand_in(&port, HANGS_UP);
	pfd = pidfd_of(pid);
	CU_ASSERT_EQUAL(proxy_probe_fate("127.0.0.1", closed_port(), pid, pfd, 300, &probe_port),
			PROXY_FATE_UNKNOWN);
	/* A bad address is no verdict either. */
	CU_ASSERT_EQUAL(proxy_probe_fate("not-an-address", port, pid, pfd, 300, &probe_port),
			PROXY_FATE_UNKNOWN);
	reap(pid, pfd);
}

void unit_register(void)
{
	CU_pSuite s = CU_add_suite("proxy_probe", NULL, NULL);
	CU_add_test(s, "test_live_proxy_answers", test_live_proxy_answers);
	CU_add_test(s, "test_stopped_proxy", test_stopped_proxy);
	CU_add_test(s, "test_stopped_while_probed", test_stopped_while_probed);
	CU_add_test(s, "test_dies_when_it_runs", test_dies_when_it_runs);
	CU_add_test(s, "test_dies_when_woken", test_dies_when_woken);
	CU_add_test(s, "test_wrong_answer", test_wrong_answer);
	CU_add_test(s, "test_ipv6_proxy", test_ipv6_proxy);
	CU_add_test(s, "test_hangs_up_but_lives", test_hangs_up_but_lives);
	CU_add_test(s, "test_already_dead_and_no_listener", test_already_dead_and_no_listener);
}
