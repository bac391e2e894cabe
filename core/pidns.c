#include "pidns.h"

#include <errno.h>
#include <limits.h>
#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "timeline.h"

void pidns_die_with_parent(pid_t expected_parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* In a new PID namespace getppid() is 0 for init; otherwise the parent
	 * may have died between fork and prctl. */
	if (expected_parent > 0 && getppid() != expected_parent && getppid() != 0)
		_exit(137);
}

struct init_args {
	int (*fn)(void *);
	void *arg;
	pid_t parent;
	bool own_proc;		   /* mount a procfs of the new PID namespace */
	struct pidns_watch *watch; /* NULL: stops of the worker not recorded */
	int parent_pidfd;	   /* the caller, to see whether it died before PDEATHSIG */
};

/* With its own mount namespace, the init mounts a procfs for its PID
 * namespace: /proc/<pid> then names the processes the sandbox can see
 * (without it, /proc/$PARITY_SUPERVISOR_PID is a host process). */
static int mount_own_proc(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	return mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

bool pidns_watch_note(struct pidns_watch *w, int status)
{
	if (WIFSTOPPED(status)) {
		if (w) {
			int none = 0;
			atomic_compare_exchange_strong(&w->stop_signal, &none, WSTOPSIG(status));
			atomic_fetch_add(&w->stops, 1);
		}
		return true;
	}
	if (WIFCONTINUED(status)) {
		if (w)
			atomic_fetch_add(&w->continues, 1);
		return true;
	}
	return false;
}

size_t pidns_watch_describe(struct pidns_watch *w, char *buf, size_t len)
{
	int stops = w ? atomic_load(&w->stops) : 0, conts = w ? atomic_load(&w->continues) : 0;
	int sig = w ? atomic_load(&w->stop_signal) : 0;

	if (len)
		buf[0] = '\0';
	if (!stops && !conts)
		return 0;
	if (stops)
		snprintf(buf, len, "%d stop%s, the first by SIG%s%s; %d continue%s", stops,
			 stops == 1 ? "" : "s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
			 sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU
			     ? ", a terminal's job control (Ctrl-Z) or a process"
			     : "",
			 conts, conts == 1 ? "" : "s");
	else /* continued while its stop was under way: the stop is not reported */
		snprintf(buf, len, "%d continue%s of a stop under way", conts,
			 conts == 1 ? "" : "s");
	return strlen(buf);
}

static int init_main(void *arg)
{
	struct init_args *a = arg;
	pid_t worker;
	int status = 0, worker_status = 0;
	sigset_t all;

	pidns_die_with_parent(a->parent);
	util_name_role("init");
	TL("start");
	/* In a new PID namespace getppid() is 0 whether or not the caller is
	 * alive, so pidns_die_with_parent() cannot see a caller that died
	 * before the parent-death signal was armed: its pidfd can. */
	if (a->parent_pidfd >= 0) {
		struct pollfd p = {.fd = a->parent_pidfd, .events = POLLIN};
		if (poll(&p, 1, 0) != 0)
			_exit(137);
		close(a->parent_pidfd);
	}
	/* A session of its own: kill(0, sig) from inside must never reach the
	 * caller's process group (the harness, or the user's shell). */
	setsid();
	if (a->own_proc && mount_own_proc() < 0)
		_exit(PARITY_EXIT_INFRA);
	TL("proc mounted");
	worker = fork();
	if (worker < 0)
		_exit(PARITY_EXIT_INFRA);
	if (worker == 0) {
		pidns_die_with_parent(1);
		_exit(a->fn(a->arg));
	}
	/* Init needs none of the caller's fds: a copy held here would keep a
	 * pipe or socket of the worker's from reaching EOF when its other
	 * holders are gone (parity run's nftables worker socket). */
	util_close_fds_from(3, NULL, 0);
	/* Signals for init would be ignored anyway; block them so that a
	 * forwarded SIGTERM cannot interrupt the reaping loop. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		/* With a watch, the worker's stops and continues are reported
		 * too (and any other child's, which are not ours to record). */
		pid_t w = waitpid(-1, &status, __WALL | (a->watch ? WUNTRACED | WCONTINUED : 0));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: everything reaped */
		}
		if (pidns_watch_note(w == worker ? a->watch : NULL, status))
			continue;
		if (w == worker) {
			worker_status = status;
			TL("supervisor reaped");
			/* The worker is done: leaving kills whatever is left. */
			break;
		}
	}
	/* The worker's own exit code is the command's; a worker killed by a
	 * signal (OOM, an outside kill) is an infrastructure failure, which
	 * must not look like the command's own SIGKILL (137). */
	if (WIFSIGNALED(worker_status)) {
		char msg[96];
		int n =
		    snprintf(msg, sizeof(msg), "parity: the supervisor was killed by signal %d\n",
			     WTERMSIG(worker_status));
		(void)!write(2, msg, (size_t)n);
		_exit(PARITY_EXIT_INFRA);
	}
	_exit(util_status_code(worker_status));
}

pid_t pidns_spawn(int (*fn)(void *), void *arg, unsigned long extra_flags, bool allow_fallback,
		  bool *isolated, struct perr *e)
{
	return pidns_spawn_watched(fn, arg, extra_flags, allow_fallback, isolated, NULL, e);
}

pid_t pidns_spawn_watched(int (*fn)(void *), void *arg, unsigned long extra_flags,
			  bool allow_fallback, bool *isolated, struct pidns_watch *watch,
			  struct perr *e)
{
	struct init_args a = {.fn = fn,
			      .arg = arg,
			      .parent = getpid(),
			      .own_proc = (extra_flags & CLONE_NEWNS) != 0,
			      .watch = watch,
			      .parent_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0)};
	pid_t pid;

	/* glibc's clone() with a stack of its own, as in clone(2)'s example:
	 * no CLONE_VM, so the child works on a copy of everything and the
	 * parent can unmap its stack at once. One stack per call: the wrapper
	 * writes to it before the syscall, so callers in parallel threads must
	 * not share one. */
	const size_t stack_size = 256 * 1024;
	char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		int err = errno;
		if (a.parent_pidfd >= 0)
			close(a.parent_pidfd);
		return perr_sys(e, err, "mmap init stack");
	}
	pid = clone(init_main, stack + stack_size, (int)(CLONE_NEWPID | extra_flags) | SIGCHLD, &a);
	munmap(stack, stack_size);
	if (a.parent_pidfd >= 0)
		close(a.parent_pidfd);
	if (pid > 0) {
		if (isolated)
			*isolated = true;
		return pid;
	}
	if (!allow_fallback || (errno != EPERM && errno != EINVAL))
		return perr_sys(e, errno, "clone(CLONE_NEWPID)");
	if (isolated)
		*isolated = false;
	pid = fork();
	if (pid < 0)
		return perr_sys(e, errno, "fork");
	if (pid == 0) {
		pidns_die_with_parent(a.parent);
		_exit(fn(arg));
	}
	return pid;
}

int pidns_pidfds(bool (*skip)(pid_t pid, void *arg), void *arg, int *fds, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char *end;
		long v = strtol(de->d_name, &end, 10);
		int fd;
		if (*end || v <= 0 || v > INT_MAX || (skip && skip((pid_t)v, arg)))
			continue;
		fd = (int)syscall(SYS_pidfd_open, (pid_t)v, 0);
		if (fd >= 0)
			fds[n++] = fd;
	}
	closedir(d);
	return n;
}
