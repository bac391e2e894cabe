/* probe_inproc.c - the probes that run in the probing process itself
 * (see probe.h): socket families and protocols, io_uring and its socket
 * operations, TCP Fast Open, pidfds. probe_run() calls them while the
 * probes in children work. */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <liburing.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe_internal.h"
#include "util.h"

static void probe_socket(struct probe_feature *f, int domain, int type, int proto, const char *call)
{
	int fd = socket(domain, type | SOCK_CLOEXEC, proto);

	probe_feat_from_rc(f, fd, errno, call);
	if (fd >= 0)
		close(fd);
}

static void append(struct probe_feature *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void append(struct probe_feature *f, const char *fmt, ...)
{
	size_t used = strlen(f->reason);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->reason + used, sizeof(f->reason) - used, fmt, ap);
	va_end(ap);
}

/* ---- network entries as a cell sees them -------------------------------
 * Every cell runs in a network namespace the lab made, and a new netns
 * starts from the kernel's defaults, not the host's values: the per-netns
 * sysctls that gate MPTCP (net.mptcp.enabled) and client TCP Fast Open
 * (net.ipv4.tcp_fastopen) are 1 there even on a host that turned them
 * off. Those entries are probed by a thread that unshares a netns (and
 * sets its lo up); without the privilege, in the caller's netns, and the
 * reason says which. */
struct in_netns {
	struct probe *p;
	void (*fn)(struct probe *p, const char *where);
};

static void *in_netns_thread(void *arg)
{
	struct in_netns *j = arg;
	int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	const char *where = "the caller's netns";

	if (saved >= 0 && unshare(CLONE_NEWNET) == 0) {
		if (probe_loopback_up() == 0)
			where = "a new netns";
		else if (setns(saved, CLONE_NEWNET) < 0)
			where = "a new netns without lo";
	}
	if (saved >= 0)
		close(saved);
	j->fn(j->p, where);
	return NULL;
}

static void probe_in_new_netns(struct probe *p, void (*fn)(struct probe *p, const char *where))
{
	struct in_netns j = {.p = p, .fn = fn};
	pthread_t t;

	if (pthread_create(&t, NULL, in_netns_thread, &j) == 0)
		pthread_join(t, NULL);
	else
		fn(p, "the caller's netns");
}

/* A sysctl as the calling thread's netns has it, for a reason string. */
static void netns_sysctl(const char *path, char *out, size_t len)
{
	if (util_read_text(path, out, len) < 0)
		snprintf(out, len, "%s", errno == ENOENT ? "absent" : "unreadable");
}

static void probe_mptcp_socket(struct probe *p, const char *where)
{
	struct probe_feature *f = &p->proto.mptcp;
	char v[32];

	probe_socket(f, AF_INET, SOCK_STREAM, IPPROTO_MPTCP,
		     "socket(AF_INET,SOCK_STREAM,IPPROTO_MPTCP)");
	netns_sysctl("/proc/sys/net/mptcp/enabled", v, sizeof(v));
	append(f, " (in %s, net.mptcp.enabled=%s)", where, v);
}

/* Out-of-band data on AF_UNIX stream sockets (CONFIG_AF_UNIX_OOB, 5.15+):
 * what S06.sigurg_unix sends to raise SIGURG. Without it send(MSG_OOB) is
 * EOPNOTSUPP. */
static void probe_unix_oob(struct probe_feature *f)
{
	int sv[2];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		probe_feat_set(f, PROBE_ERROR, errno, "socketpair(AF_UNIX,SOCK_STREAM): %s",
			       util_errname(errno));
		return;
	}
	n = send(sv[0], "!", 1, MSG_OOB | MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n == 1)
		probe_feat_set(
		    f, PROBE_YES, 0,
		    "send(MSG_OOB) on an AF_UNIX stream pair: sent (CONFIG_AF_UNIX_OOB)");
	else if (n < 0 && errno == EOPNOTSUPP)
		probe_feat_set(f, PROBE_NO, errno,
			       "send(MSG_OOB) on an AF_UNIX stream pair: EOPNOTSUPP (no "
			       "CONFIG_AF_UNIX_OOB, or a kernel before 5.15)");
	else /* only EOPNOTSUPP says the kernel has no OOB */
		probe_feat_set(f, PROBE_ERROR, n < 0 ? errno : 0,
			       "send(MSG_OOB) on an AF_UNIX stream pair: %s",
			       n < 0 ? util_errname(errno) : "nothing sent");
	close(sv[0]);
	close(sv[1]);
}

void probe_protocols(struct probe *p)
{
	struct probe_protocols *pr = &p->proto;

	probe_in_new_netns(p, probe_mptcp_socket);
	probe_socket(&pr->sctp_stream, AF_INET, SOCK_STREAM, IPPROTO_SCTP,
		     "socket(AF_INET,SOCK_STREAM,IPPROTO_SCTP)");
	probe_socket(&pr->sctp_seqpacket, AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP,
		     "socket(AF_INET,SOCK_SEQPACKET,IPPROTO_SCTP)");
	probe_socket(&pr->smc, AF_SMC, SOCK_STREAM, SMCPROTO_SMC,
		     "socket(AF_SMC,SOCK_STREAM,SMCPROTO_SMC)");
	probe_socket(&pr->smc_ipproto, AF_INET, SOCK_STREAM, IPPROTO_SMC,
		     "socket(AF_INET,SOCK_STREAM,IPPROTO_SMC)");
	probe_socket(&pr->vsock_stream, AF_VSOCK, SOCK_STREAM, 0, "socket(AF_VSOCK,SOCK_STREAM,0)");
	probe_socket(&pr->vsock_dgram, AF_VSOCK, SOCK_DGRAM, 0, "socket(AF_VSOCK,SOCK_DGRAM,0)");
	probe_socket(&pr->udplite, AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE,
		     "socket(AF_INET,SOCK_DGRAM,IPPROTO_UDPLITE)");
	/* Ping sockets are gated by group membership, root included. */
	probe_socket(&pr->ping_v4, AF_INET, SOCK_DGRAM, IPPROTO_ICMP,
		     "socket(AF_INET,SOCK_DGRAM,IPPROTO_ICMP)");
	append(&pr->ping_v4, " (net.ipv4.ping_group_range=%s, gid %u)",
	       probe_sysctl_str(p, PROBE_SYSCTL_PING_GROUP_RANGE), (unsigned)p->sys.egid);
	probe_socket(&pr->ping_v6, AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6,
		     "socket(AF_INET6,SOCK_DGRAM,IPPROTO_ICMPV6)");
	append(&pr->ping_v6, " (net.ipv4.ping_group_range=%s, gid %u)",
	       probe_sysctl_str(p, PROBE_SYSCTL_PING_GROUP_RANGE), (unsigned)p->sys.egid);
	if (probe_has_cap(p, CAP_NET_RAW)) {
		probe_socket(&pr->raw_v4, AF_INET, SOCK_RAW, IPPROTO_RAW,
			     "socket(AF_INET,SOCK_RAW,IPPROTO_RAW)");
		probe_socket(&pr->raw_v6, AF_INET6, SOCK_RAW, IPPROTO_RAW,
			     "socket(AF_INET6,SOCK_RAW,IPPROTO_RAW)");
		probe_socket(&pr->packet, AF_PACKET, SOCK_RAW, htons(ETH_P_ALL),
			     "socket(AF_PACKET,SOCK_RAW,ETH_P_ALL)");
	} else {
		probe_not_root(&pr->raw_v4, "CAP_NET_RAW");
		probe_not_root(&pr->raw_v6, "CAP_NET_RAW");
		probe_not_root(&pr->packet, "CAP_NET_RAW");
	}
	probe_unix_oob(&pr->unix_oob);
}

/* One completion of a submitted request, its result in *res. */
static int ring_complete(struct io_uring *ring, int *res, struct probe_feature *f)
{
	struct io_uring_cqe *cqe;
	int r = io_uring_submit_and_wait(ring, 1);

	if (r < 0) {
		probe_feat_set(f, PROBE_ERROR, -r, "io_uring_submit_and_wait: %s",
			       util_errname(-r));
		return -1;
	}
	r = io_uring_peek_cqe(ring, &cqe);
	if (r < 0) {
		probe_feat_set(f, PROBE_ERROR, -r, "io_uring_peek_cqe: %s", util_errname(-r));
		return -1;
	}
	*res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

/* IORING_OP_CONNECT (5.5+) performed, not only listed (IORING_REGISTER_PROBE
 * is 5.6+): a unix socket connected by the ring to an autobound abstract
 * listener. A12 and N05 connect this way, where seccomp sees no connect(). */
static void probe_ring_connect(struct io_uring *ring, struct probe_feature *f)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	socklen_t alen = sizeof(sa_family_t);
	struct io_uring_sqe *sqe;
	int l, c = -1, res;

	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, alen) < 0 || listen(l, 1) < 0 ||
	    (alen = sizeof(a), getsockname(l, (struct sockaddr *)&a, &alen)) < 0 ||
	    (c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		probe_feat_set(f, PROBE_ERROR, errno, "autobound unix listener and client: %s",
			       util_errname(errno));
		goto out;
	}
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_connect(sqe, c, (struct sockaddr *)&a, alen);
	if (ring_complete(ring, &res, f) < 0)
		goto out;
	if (res == 0)
		probe_feat_set(
		    f, PROBE_YES, 0,
		    "IORING_OP_CONNECT to an autobound abstract unix listener: connected");
	else if (res == -EINVAL) /* what an unknown opcode completes with */
		probe_feat_set(f, PROBE_NO, EINVAL,
			       "IORING_OP_CONNECT to a unix listener: EINVAL (an unknown opcode: a "
			       "kernel before 5.5)");
	else
		probe_feat_set(f, PROBE_ERROR, -res, "IORING_OP_CONNECT to a unix listener: %s",
			       util_errname(-res));
out:
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
}

void probe_io_uring(struct probe *p)
{
	struct probe_entry_points *en = &p->entry;
	const char *disabled = probe_sysctl_str(p, PROBE_SYSCTL_IO_URING_DISABLED);
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int r;

	r = io_uring_queue_init(4, &ring, 0);
	if (r < 0) {
		probe_feat_refused(&en->io_uring, -r,
				   "io_uring_setup: %s (kernel.io_uring_disabled=%s)",
				   util_errname(-r), disabled);
		probe_feat_refused(&en->io_uring_socket, -r, "no io_uring: io_uring_setup: %s",
				   util_errname(-r));
		probe_feat_refused(&en->io_uring_connect, -r, "no io_uring: io_uring_setup: %s",
				   util_errname(-r));
		return;
	}
	probe_feat_set(&en->io_uring, PROBE_YES, 0,
		       "io_uring_setup: ok (kernel.io_uring_disabled=%s)", disabled);
	probe_ring_connect(&ring, &en->io_uring_connect);

	/* Submitted, not looked up in IORING_REGISTER_PROBE (whose failure
	 * would say nothing of the opcode): a kernel without IORING_OP_SOCKET
	 * completes it with EINVAL. And a socket made is a UDP socket that a
	 * seccomp socket() rule never saw. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_socket(sqe, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0);
	if (ring_complete(&ring, &r, &en->io_uring_socket) < 0)
		goto out;
	if (r >= 0) {
		probe_feat_set(&en->io_uring_socket, PROBE_YES, 0,
			       "IORING_OP_SOCKET(AF_INET,SOCK_DGRAM): created a UDP socket");
		close(r);
	} else if (r == -EINVAL) {
		probe_feat_set(&en->io_uring_socket, PROBE_NO, EINVAL,
			       "IORING_OP_SOCKET(AF_INET,SOCK_DGRAM): EINVAL (an unknown opcode: a "
			       "kernel before 5.19)");
	} else {
		probe_feat_refused(&en->io_uring_socket, -r,
				   "IORING_OP_SOCKET(AF_INET,SOCK_DGRAM): %s", util_errname(-r));
	}
out:
	io_uring_queue_exit(&ring);
}

/* Client-side TCP Fast Open: sendto(MSG_FASTOPEN) on an unconnected socket
 * is EOPNOTSUPP unless net.ipv4.tcp_fastopen has bit 0; otherwise it sends
 * the SYN itself (EINPROGRESS without a cookie). On an MPTCP socket it is
 * EOPNOTSUPP before Linux 6.2 (mptcp_sendmsg_fastopen), whatever the
 * sysctl; the listener is plain TCP, which MPTCP falls back to. */
static void probe_fastopen_client(struct probe_feature *f, int protocol, const char *what,
				  const char *sysctl)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int l, c = -1;
	ssize_t r;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &alen) < 0) {
		probe_feat_set(f, PROBE_ERROR, errno, "loopback listener: %s", util_errname(errno));
		goto out;
	}
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
	if (c < 0) {
		probe_feat_refused(f, errno, "socket(%s): %s", what, util_errname(errno));
		goto out;
	}
	r = sendto(c, "p", 1, MSG_FASTOPEN, (struct sockaddr *)&a, sizeof(a));
	if (r >= 0)
		probe_feat_set(
		    f, PROBE_YES, 0,
		    "%s sendto(MSG_FASTOPEN) to 127.0.0.1: sent %zd (net.ipv4.tcp_fastopen=%s)",
		    what, r, sysctl);
	else if (errno == EINPROGRESS)
		probe_feat_set(f, PROBE_YES, 0,
			       "%s sendto(MSG_FASTOPEN) to 127.0.0.1: EINPROGRESS, SYN sent "
			       "(net.ipv4.tcp_fastopen=%s)",
			       what, sysctl);
	else
		probe_feat_refused(
		    f, errno, "%s sendto(MSG_FASTOPEN) to 127.0.0.1: %s (net.ipv4.tcp_fastopen=%s)",
		    what, util_errname(errno), sysctl);
out:
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
}

static void probe_fastopen_clients(struct probe *p, const char *where)
{
	char v[32], sysctl[96];

	netns_sysctl("/proc/sys/net/ipv4/tcp_fastopen", v, sizeof(v));
	snprintf(sysctl, sizeof(sysctl), "%s in %s", v, where);
	probe_fastopen_client(&p->entry.tcp_fastopen_client, 0, "TCP", sysctl);
	probe_fastopen_client(&p->entry.mptcp_fastopen_client, IPPROTO_MPTCP, "MPTCP", sysctl);
}

void probe_tcp_fastopen(struct probe *p)
{
	probe_in_new_netns(p, probe_fastopen_clients);
}

/* pidfd_open() a child, pidfd_getfd() one of its fds and check it is the
 * same open file (the platform-notify supervisor's tools). */
/* What E05 and E05.map do first: load a socket filter (r0 = 0; exit) and
 * attach it. CONFIG_BPF_SYSCALL (3.18), SO_ATTACH_BPF (3.19); unprivileged
 * callers meet kernel.unprivileged_bpf_disabled. */
void probe_bpf_socket_filter(struct probe *p)
{
	struct probe_feature *f = &p->entry.bpf_socket_filter;
	struct bpf_insn prog[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	union bpf_attr a;
	int fd, s, r;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insn_cnt = ARRAY_SIZE(prog);
	a.insns = (uint64_t)(uintptr_t)prog;
	a.license = (uint64_t)(uintptr_t) "GPL";
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd < 0) {
		probe_feat_refused(f, errno,
				   "bpf(BPF_PROG_LOAD, SOCKET_FILTER): %s "
				   "(kernel.unprivileged_bpf_disabled=%s)",
				   util_errname(errno),
				   probe_sysctl_str(p, PROBE_SYSCTL_UNPRIVILEGED_BPF_DISABLED));
		return;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	r = s < 0 ? -1 : setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, &fd, sizeof(fd));
	if (s < 0)
		probe_feat_set(f, PROBE_ERROR, errno, "BPF_PROG_LOAD ok; socket: %s",
			       util_errname(errno));
	else if (r < 0)
		probe_feat_refused(f, errno, "BPF_PROG_LOAD ok; setsockopt(SO_ATTACH_BPF): %s",
				   util_errname(errno));
	else
		probe_feat_set(f, PROBE_YES, 0,
			       "bpf(BPF_PROG_LOAD, SOCKET_FILTER) and SO_ATTACH_BPF: ok");
	if (s >= 0)
		close(s);
	close(fd);
}

/* What S07, S07.vm and E07.ptrace start with: PTRACE_ATTACH. Yama's
 * kernel.yama.ptrace_scope=3 refuses it to everyone, root included (the
 * attacks attach to a victim that is not their child; for root, which
 * the control is, only scope 3 tells the two apart). */
void probe_ptrace_attach(struct probe *p)
{
	struct probe_feature *f = &p->entry.ptrace_attach;
	const char *scope = probe_sysctl_str(p, PROBE_SYSCTL_YAMA_PTRACE_SCOPE);
	pid_t c = fork();
	int r, err;

	if (c < 0) {
		probe_feat_set(f, PROBE_ERROR, errno, "fork: %s", util_errname(errno));
		return;
	}
	if (c == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	r = (int)ptrace(PTRACE_ATTACH, c, NULL, NULL);
	err = errno;
	if (r == 0)
		probe_feat_set(f, PROBE_YES, 0,
			       "ptrace(PTRACE_ATTACH) to a child: ok (kernel.yama.ptrace_scope=%s)",
			       scope);
	else
		probe_feat_refused(
		    f, err, "ptrace(PTRACE_ATTACH) to a child: %s (kernel.yama.ptrace_scope=%s)",
		    util_errname(err), scope);
	kill(c, SIGKILL);
	while (waitpid(c, NULL, __WALL) < 0 && errno == EINTR)
		;
}

/* The fd-based mount API (5.2+) that E04.fsopen uses instead of mount():
 * fsopen() needs CAP_SYS_ADMIN, so without it the item is not probed. */
void probe_mount_api(struct probe *p)
{
	int fd;

	if (!probe_has_cap(p, CAP_SYS_ADMIN)) {
		probe_not_root(&p->entry.fsopen, "CAP_SYS_ADMIN");
		return;
	}
	fd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fd >= 0) {
		probe_feat_set(&p->entry.fsopen, PROBE_YES, 0, "fsopen(\"tmpfs\"): ok");
		close(fd);
		return;
	}
	probe_feat_refused(&p->entry.fsopen, errno, "fsopen(\"tmpfs\"): %s%s", util_errname(errno),
			   errno == ENOSYS ? " (a kernel before 5.2)" : "");
}

void probe_pidfd(struct probe *p)
{
	struct probe_seccomp *s = &p->seccomp;
	struct stat mine, theirs;
	int pfd[2], pidfd, fd;
	pid_t c;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		int err = errno;
		probe_feat_set(&s->pidfd_open, PROBE_ERROR, err, "pipe: %s", util_errname(err));
		probe_feat_set(&s->pidfd_getfd, PROBE_ERROR, err, "pipe: %s", util_errname(err));
		return;
	}
	c = fork();
	if (c == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	if (c < 0) {
		int err = errno;
		probe_feat_set(&s->pidfd_open, PROBE_ERROR, err, "fork: %s", util_errname(err));
		probe_feat_set(&s->pidfd_getfd, PROBE_ERROR, err, "fork: %s", util_errname(err));
		goto out;
	}
	pidfd = (int)syscall(SYS_pidfd_open, c, 0);
	probe_feat_from_rc(&s->pidfd_open, pidfd, errno, "pidfd_open(child)");
	if (pidfd < 0) {
		probe_feat_set(&s->pidfd_getfd, s->pidfd_open.state, s->pidfd_open.err,
			       "no pidfd: pidfd_open: %s", util_errname(s->pidfd_open.err));
	} else {
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, pfd[0], 0);
		if (fd < 0) {
			probe_feat_refused(&s->pidfd_getfd, errno, "pidfd_getfd(child, %d): %s",
					   pfd[0], util_errname(errno));
		} else {
			if (fstat(fd, &theirs) == 0 && fstat(pfd[0], &mine) == 0 &&
			    mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev)
				probe_feat_set(&s->pidfd_getfd, PROBE_YES, 0,
					       "pidfd_getfd(child, %d): ok, same open file",
					       pfd[0]);
			else
				probe_feat_set(&s->pidfd_getfd, PROBE_NO, 0,
					       "pidfd_getfd(child, %d): returned a different file",
					       pfd[0]);
			close(fd);
		}
		close(pidfd);
	}
	kill(c, SIGKILL);
	while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
		;
out:
	close(pfd[0]);
	close(pfd[1]);
}
