/* notify_handle.c - one notification, from receive to answer (see
 * notify.h and docs/notify.md, "What the supervisor does, per syscall"):
 * what the registers alone decide; the one read of the agent's memory,
 * each piece with an exact length; the notification checked again; the
 * socket taken from the agent's fd table and checked; the call performed
 * on our copy of its arguments, or handed to a worker when it would block.
 * Each step finishes the notification or leaves it to the next: every
 * notification is answered exactly once, or found gone. */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify_internal.h"
#include "notify_strict.h"
#include "util.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9: a pidfd for a thread, not only a leader */
#endif

static void stat_done(struct notify_supervisor *s, uint64_t t0)
{
	double us = (double)(util_now_ns() - t0) / 1e3;
	s->st.handle_us_total += us;
	if (us > s->st.handle_us_max)
		s->st.handle_us_max = us;
}

/* Answer a performed call. Our duplicates go first: the child still holds
 * its fd, so ours is never the last reference and the socket's teardown
 * (its final close) stays with the child instead of the supervisor loop. */
static void answer(struct notify_supervisor *s, uint64_t id, long val, int err, int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	notify_respond(s, s->resp, id, val, err, false);
	notify_bump(s, &s->st.allowed);
}

static void deny(struct notify_supervisor *s, uint64_t id, int err, enum reason why, bool by_policy)
{
	notify_respond(s, s->resp, id, 0, err, false);
	pthread_mutex_lock(&s->mu);
	if (by_policy)
		s->st.denied++;
	else
		s->st.failed++;
	s->st.by_reason[why]++;
	pthread_mutex_unlock(&s->mu);
}

/* Exactly len bytes of the child's memory, or -errno (EFAULT for short). */
static int read_exact(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = {buf, len}, r = {(void *)(uintptr_t)addr, len};
	ssize_t n;

	if (len == 0)
		return 0;
	n = process_vm_readv(pid, &l, 1, &r, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

static int open_pidfd(pid_t tid)
{
	int fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	char path[64], buf[4096], *p;
	long tgid;

	if (fd >= 0 || errno != EINVAL)
		return fd;
	/* Before Linux 6.9 only a thread-group leader has a pidfd: the fd
	 * table is the group's, so the leader's pidfd serves; id_valid after
	 * this proves the thread (and so its group) was still there. */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (util_read_text(path, buf, sizeof(buf)) < 0 || !(p = strstr(buf, "\nTgid:")) ||
	    util_parse_long(strtok(p + 6, " \t\n"), 1, INT_MAX, &tgid) < 0) {
		errno = ESRCH;
		return -1;
	}
	return (int)syscall(SYS_pidfd_open, (pid_t)tgid, 0);
}

/* The pidfd for thread `tid`, kept for its next notification. A kept one
 * that is alive names the task that holds `tid` now (a number is reused
 * only once its struct pid has no task); one whose task is gone makes
 * pidfd_getfd fail with ESRCH, and pidfd_refresh() replaces it. Either way
 * id_valid after this proves the task is the trapping one. */
static int pidfd_get(struct notify_supervisor *s, pid_t tid, bool *kept)
{
	unsigned slot = (unsigned)tid % NOTIFY_PIDFD_CACHE;
	int fd;

	*kept = s->pidfds[slot].fd >= 0 && s->pidfds[slot].tid == tid;
	if (*kept)
		return s->pidfds[slot].fd;
	fd = open_pidfd(tid);
	if (fd < 0)
		return -1;
	if (s->pidfds[slot].fd >= 0)
		close(s->pidfds[slot].fd);
	s->pidfds[slot].tid = tid;
	s->pidfds[slot].fd = fd;
	return fd;
}

static int pidfd_refresh(struct notify_supervisor *s, pid_t tid)
{
	unsigned slot = (unsigned)tid % NOTIFY_PIDFD_CACHE;
	bool kept;

	close(s->pidfds[slot].fd);
	s->pidfds[slot].fd = -1;
	return pidfd_get(s, tid, &kept);
}

/* The strict policy's signal syscalls: decided from the registers alone,
 * so an approved call is answered CONTINUE (nothing in memory to rewrite;
 * the pid may be reused in between, which the signal scope bounds at ABI
 * >= 6). -1: not a signal syscall. */
static int strict_signal_kind(const struct notify_supervisor *s, int nr)
{
	if (nr == s->nr_kill)
		return NS_SIG_KILL;
	if (nr == s->nr_tkill)
		return NS_SIG_TKILL;
	if (nr == s->nr_tgkill)
		return NS_SIG_TGKILL;
	if (nr == s->nr_sigqueue)
		return NS_SIG_QUEUE;
	if (nr == s->nr_tgsigqueue)
		return NS_SIG_TGQUEUE;
	return -1;
}

/* Read and decide on a destination address; 0 when allowed, else the
 * errno to answer (and *why). With the strict policy *route says where an
 * allowed address is performed. */
static int check_address(struct notify_supervisor *s, pid_t pid, int nr, uint64_t ptr, uint64_t len,
			 struct sockaddr_storage *ss, socklen_t *alen, enum reason *why,
			 enum notify_strict_route *route)
{
	struct notify_sockaddr sa;
	enum notify_sa_result pr;
	int rc;

	/* The kernel refuses these before reading (move_addr_to_kernel). */
	if ((int)len < 0 || len > sizeof(*ss)) {
		*why = R_SHORT;
		return EINVAL;
	}
	memset(ss, 0, sizeof(*ss));
	/* One read of exactly the length the child gave; never read again. */
	rc = read_exact(pid, ptr, ss, (size_t)len);
	if (rc < 0) {
		*why = R_READ;
		return rc == -EFAULT ? EFAULT : EPERM;
	}
	*alen = (socklen_t)len;
	if (s->strict) {
		const char *sw = NULL;
		enum notify_strict_op op = nr == s->nr_bind	 ? NS_OP_BIND
					   : nr == s->nr_connect ? NS_OP_CONNECT
								 : NS_OP_SEND;
		rc = notify_strict_address(ss, *alen, op, s->al, route, &sw);
		if (rc)
			*why = R_STRICT_ADDRESS;
		return rc;
	}
	pr = notify_parse_sockaddr(ss, (size_t)len, &sa);
	if (pr != NOTIFY_SA_OK) {
		/* The follow-up's parse_sockaddr gives None: deny. */
		*why = pr == NOTIFY_SA_SHORT ? R_SHORT : R_FAMILY;
		return EPERM;
	}
	if (!notify_allowlist_allows(s->al, &sa.ip, sa.port)) {
		*why = R_NOT_ALLOWED;
		return EPERM;
	}
	return 0;
}

struct send_args {
	uint64_t fd, flags;
	uint64_t name, namelen;
	struct iovec *riov; /* the child's iovecs */
	size_t niov;
	uint64_t control, controllen;
};

/* One notification being decided. The steps below each either finish it
 * (answer it, or find it gone) and return true, after which nothing more
 * is done, or leave it to the next step and return false. None answers
 * twice; notify_supervisor_handle() alone releases what they took. */
struct notif {
	struct notify_supervisor *s;
	const struct seccomp_data *d;
	uint64_t id, t0;
	pid_t pid;
	int pidfd; /* from the cache (pidfd_get): not ours to close */
	bool pidfd_kept;
	int fd;				/* our duplicate of the agent's socket; -1 */
	struct sockaddr_storage ss;	/* the destination, read once */
	socklen_t alen;			/* 0: none */
	enum notify_strict_route route; /* where an allowed call is performed */
	int cwd_fd;			/* strict AF_UNIX, relative path: the agent's cwd */
	int agent_umask;		/* strict AF_UNIX bind: the agent's umask */
	struct job *j;			/* a send's copy, or a blocking call's job */
};

static bool is_mediated(const struct notify_supervisor *s, int nr)
{
	return nr == s->nr_connect || nr == s->nr_bind || nr == s->nr_sendto ||
	       nr == s->nr_sendmsg || (s->strict && nr == s->nr_listen);
}

/* What the registers alone decide: a foreign ABI, the strict policy's
 * signals, receives, and any syscall that is not mediated. */
static bool decide_from_registers(struct notif *n)
{
	struct notify_supervisor *s = n->s;
	const struct seccomp_data *d = n->d;
	int sig;

	if (d->arch != AUDIT_ARCH_X86_64) {
		/* The follow-up notifies foreign ABIs so that it can deny them. */
		deny(s, n->id, EPERM, R_ARCH, true);
		return true;
	}
	if (s->strict && (sig = strict_signal_kind(s, d->nr)) >= 0) {
		const char *sw = NULL;
		uint64_t args[6];
		int err;
		for (int i = 0; i < 6; i++)
			args[i] = d->args[i];
		err = notify_strict_signal(&s->tree, (enum notify_strict_sig)sig, args, &sw);
		if (err) {
			deny(s, n->id, err, R_STRICT_SIGNAL, true);
		} else {
			notify_respond(s, s->resp, n->id, 0, 0, true);
			s->st.continued++;
		}
		return true;
	}
	if (d->nr == s->nr_recvfrom || d->nr == s->nr_recvmsg) {
		/* A receive names no destination: nothing to decide, nothing a
		 * rewrite could change. CONTINUE lets the kernel do it. */
		notify_respond(s, s->resp, n->id, 0, 0, true);
		s->st.continued++;
		return true;
	}
	if (!is_mediated(s, d->nr)) {
		deny(s, n->id, EPERM, R_OTHER_SYSCALL, true);
		return true;
	}
	return false;
}

/* The notification still stands: the pid is the caller's, and what was
 * read so far is what it passed. A stale one is gone: nothing to answer. */
static bool gone_if_stale(struct notif *n)
{
	if (seccomp_notify_id_valid(n->s->listener, n->id) == 0)
		return false;
	notify_bump(n->s, &n->s->st.stale);
	return true;
}

static bool take_pidfd(struct notif *n)
{
	n->pidfd = pidfd_get(n->s, n->pid, &n->pidfd_kept);
	if (n->pidfd >= 0)
		return false;
	deny(n->s, n->id, EPERM, R_GETFD, false);
	return true;
}

/* A destination address (connect, bind, or a send's name), read and
 * decided by check_address(). */
static bool read_destination(struct notif *n, uint64_t ptr, uint64_t len)
{
	enum reason why = R_OTHER_SYSCALL;
	int err =
	    check_address(n->s, n->pid, n->d->nr, ptr, len, &n->ss, &n->alen, &why, &n->route);

	if (!err)
		return false;
	deny(n->s, n->id, err, why, why != R_READ);
	return true;
}

/* A failed read of the agent's memory: EFAULT is its own bad pointer (a
 * decision on its call), anything else ours. */
static bool deny_unreadable(struct notif *n, int rc)
{
	deny(n->s, n->id, rc == -EFAULT ? EFAULT : EPERM, R_READ, rc == -EFAULT);
	return true;
}

/* sendto's arguments are in registers; sendmsg's msghdr and iovecs are
 * read, each once with an exact length. riov: room for UIO_MAXIOV. */
static bool read_send_args(struct notif *n, struct send_args *sa, struct iovec *riov)
{
	const struct seccomp_data *d = n->d;
	struct msghdr mh;
	int rc;

	if (d->nr == n->s->nr_sendto) {
		sa->flags = d->args[3];
		sa->name = d->args[4];
		sa->namelen = d->args[5];
		riov[0].iov_base = (void *)(uintptr_t)d->args[1];
		riov[0].iov_len = (size_t)d->args[2];
		sa->riov = riov;
		sa->niov = 1;
		return false;
	}
	rc = read_exact(n->pid, d->args[1], &mh, sizeof(mh));
	if (rc < 0)
		return deny_unreadable(n, rc);
	sa->flags = d->args[2];
	sa->name = (uint64_t)(uintptr_t)mh.msg_name;
	/* sendmsg clamps an oversized msg_namelen (sendto refuses). */
	sa->namelen = mh.msg_namelen > sizeof(struct sockaddr_storage)
			  ? sizeof(struct sockaddr_storage)
			  : mh.msg_namelen;
	sa->control = (uint64_t)(uintptr_t)mh.msg_control;
	sa->controllen = mh.msg_controllen;
	if (mh.msg_iovlen > UIO_MAXIOV) {
		deny(n->s, n->id, EMSGSIZE, R_SHORT, true);
		return true;
	}
	sa->niov = mh.msg_iovlen;
	sa->riov = riov;
	rc = read_exact(n->pid, (uint64_t)(uintptr_t)mh.msg_iov, riov,
			sa->niov * sizeof(struct iovec));
	if (rc < 0)
		return deny_unreadable(n, rc);
	return false;
}

/* A send: its destination decided, then the data (at most
 * NOTIFY_MAX_COPY) and control copied into a new job. */
static bool read_send(struct notif *n)
{
	struct iovec riov_buf[UIO_MAXIOV];
	struct send_args sa;
	struct job *j;
	size_t total = 0, want;
	bool truncated = false;

	memset(&sa, 0, sizeof(sa));
	sa.fd = n->d->args[0];
	if (read_send_args(n, &sa, riov_buf))
		return true;
	if (sa.flags & MSG_ZEROCOPY) {
		/* Performed from our copy, the kernel would keep references to
		 * its pages after the call and send whatever we write there
		 * next (it is freed at once). ENOBUFS is the kernel's own "no
		 * zero-copy now": the caller sends a copy instead. */
		deny(n->s, n->id, ENOBUFS, R_FLAGS, true);
		return true;
	}
	if (sa.name && sa.namelen && read_destination(n, sa.name, sa.namelen))
		return true;
	j = n->j = notify_job_new();
	if (!j) {
		deny(n->s, n->id, ENOMEM, R_OTHER_SYSCALL, false);
		return true;
	}
	j->fd = -1;
	for (size_t i = 0; i < sa.niov; i++) {
		if (sa.riov[i].iov_len > NOTIFY_MAX_COPY - total) {
			sa.riov[i].iov_len = NOTIFY_MAX_COPY - total;
			sa.niov = i + 1;
			truncated = true;
		}
		total += sa.riov[i].iov_len;
	}
	want = total;
	j->data = malloc(want ? want : 1);
	if (!j->data) {
		deny(n->s, n->id, ENOMEM, R_OTHER_SYSCALL, false);
		return true;
	}
	if (want) {
		struct iovec l = {j->data, want};
		ssize_t got = process_vm_readv(n->pid, &l, 1, sa.riov, sa.niov, 0);
		if (got < 0 || (size_t)got != want) {
			deny(n->s, n->id, got < 0 && errno != EFAULT ? EPERM : EFAULT, R_READ,
			     got >= 0 || errno == EFAULT);
			return true;
		}
	}
	j->len = want;
	if (sa.control && sa.controllen) {
		if (sa.controllen > NOTIFY_MAX_CONTROL) {
			deny(n->s, n->id, ENOBUFS, R_SHORT, true);
			return true;
		}
		j->control = malloc(sa.controllen);
		if (!j->control || read_exact(n->pid, sa.control, j->control, sa.controllen) < 0) {
			deny(n->s, n->id, EFAULT, R_READ, true);
			return true;
		}
		j->controllen = sa.controllen;
	}
	/* A stream socket sends the first NOTIFY_MAX_COPY bytes; the type is
	 * known once the socket is ours (take_socket). */
	j->flags = (int)(sa.flags & 0xffffffff);
	j->truncated = truncated;
	return false;
}

/* 1. Everything needed from the agent's memory, each piece read once with
 * an exact length, into our own buffers. listen needs nothing: the
 * decision is on the socket itself. */
static bool read_arguments(struct notif *n)
{
	const struct seccomp_data *d = n->d;

	if (d->nr == n->s->nr_connect || d->nr == n->s->nr_bind)
		return read_destination(n, d->args[1], d->args[2]);
	if (d->nr == n->s->nr_listen)
		return false;
	return read_send(n);
}

/* 1b. An AF_UNIX pathname is resolved by the kernel from the agent's cwd
 * (a relative one) and created with its umask (bind): both taken now,
 * before the id is checked again. */
static bool read_domain_context(struct notif *n)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&n->ss;
	char cwd[64];

	if (n->route != NS_ROUTE_DOMAIN)
		return false;
	if (sun->sun_path[0] != '/') {
		snprintf(cwd, sizeof(cwd), "/proc/%d/cwd", (int)n->pid);
		n->cwd_fd = open(cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (n->cwd_fd < 0) {
			deny(n->s, n->id, EPERM, R_READ, false);
			return true;
		}
	}
	if (n->d->nr == n->s->nr_bind) {
		n->agent_umask = (int)notify_strict_status_field("/proc", n->pid, "Umask", 8);
		if (n->agent_umask < 0) {
			deny(n->s, n->id, EPERM, R_READ, false);
			return true;
		}
	}
	return false;
}

/* 3. The socket itself, from the agent's fd table, checked. */
static bool take_socket(struct notif *n)
{
	int fdnum = (int)n->d->args[0];
	struct stat st;

	n->fd = (int)syscall(SYS_pidfd_getfd, n->pidfd, fdnum, 0);
	if (n->fd < 0 && errno == ESRCH && n->pidfd_kept) {
		/* The kept pidfd's task is gone and its tid is another thread's
		 * now: a fresh pidfd, proven by id_valid once more. */
		n->pidfd = pidfd_refresh(n->s, n->pid);
		n->s->st.pidfds_renewed++;
		if (n->pidfd < 0) {
			deny(n->s, n->id, EPERM, R_GETFD, false);
			return true;
		}
		if (gone_if_stale(n))
			return true;
		n->fd = (int)syscall(SYS_pidfd_getfd, n->pidfd, fdnum, 0);
	}
	if (n->fd < 0) {
		if (errno == EBADF)
			deny(n->s, n->id, EBADF, R_GETFD, true);
		else
			deny(n->s, n->id, EPERM, R_GETFD, false);
		return true;
	}
	if (fstat(n->fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		/* The follow-up's verify_socket_fd: a dup2 may have put another
		 * file at that number since the trap. */
		deny(n->s, n->id, ENOTSOCK, R_NOT_SOCKET, true);
		return true;
	}
	return false;
}

/* The strict policy's listen, decided on the socket we took and checked:
 * a dup2 since the trap can only make the agent's fd name another file,
 * never this one. */
static void perform_listen(struct notif *n)
{
	const char *sw = NULL;
	int err = notify_strict_listen(n->fd, &sw);

	if (err) {
		deny(n->s, n->id, err, R_STRICT_LISTEN, true);
		return;
	}
	err = listen(n->fd, (int)(uint32_t)n->d->args[1]) < 0 ? errno : 0;
	answer(n->s, n->id, 0, err, &n->fd);
}

/* An AF_UNIX pathname bind or connect: a worker inside the agent's
 * ruleset does the whole call. */
static bool prepare_domain_call(struct notif *n)
{
	struct job *j = n->j = notify_job_new();

	if (!j) {
		deny(n->s, n->id, ENOMEM, R_OTHER_SYSCALL, false);
		return true;
	}
	j->op = n->d->nr == n->s->nr_bind ? OP_BIND : OP_CONNECT_UNIX;
	j->fd = n->fd;
	n->fd = -1;
	j->addr = n->ss;
	j->alen = n->alen;
	j->domain = true;
	j->cwd_fd = n->cwd_fd;
	n->cwd_fd = -1;
	j->umask = n->agent_umask;
	return false;
}

/* A connect: a non-blocking socket's goes back as it ends (EINPROGRESS
 * included). A blocking socket's is started without waiting (the file is
 * shared with the agent, so its O_NONBLOCK is set only around this one
 * call) and answered at once if the handshake is already done (loopback
 * completes inside connect); else a worker waits for it. The loop itself
 * never waits on the agent's behalf. */
static bool start_connect(struct notif *n)
{
	struct pollfd pw = {.fd = n->fd, .events = POLLOUT};
	int fl = fcntl(n->fd, F_GETFL), r, err;
	struct job *j;

	if (fl >= 0 && (fl & O_NONBLOCK)) {
		err = connect(n->fd, (struct sockaddr *)&n->ss, n->alen) < 0 ? errno : 0;
		answer(n->s, n->id, 0, err, &n->fd);
		return true;
	}
	if (fl < 0 || fcntl(n->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		deny(n->s, n->id, EPERM, R_GETFD, false);
		return true;
	}
	r = connect(n->fd, (struct sockaddr *)&n->ss, n->alen);
	err = r < 0 ? errno : 0;
	fcntl(n->fd, F_SETFL, fl);
	if (err == EINPROGRESS && poll(&pw, 1, 0) == 1) {
		socklen_t el = sizeof(err);
		if (getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
	}
	if (err != EINPROGRESS) {
		answer(n->s, n->id, 0, err, &n->fd);
		return true;
	}
	j = n->j = notify_job_new();
	if (!j) {
		deny(n->s, n->id, ENOMEM, R_OTHER_SYSCALL, false);
		return true;
	}
	j->op = OP_CONNECT;
	j->fd = n->fd;
	n->fd = -1;
	j->addr = n->ss;
	j->alen = n->alen;
	return false;
}

/* SCM_RIGHTS carries the agent's fd numbers: sent as they are, they would
 * be the supervisor's own fds (its listener!). Each is replaced by our
 * duplicate of the agent's file. */
static bool replace_passed_fds(struct notif *n, struct job *j)
{
	struct msghdr mh = {.msg_control = j->control, .msg_controllen = j->controllen};

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t nfd;
		/* Lengths, not pointers: a cmsg_len near SIZE_MAX would wrap
		 * the pointer sum and pass, and the loop below would then read
		 * and write far past the buffer. */
		if (c->cmsg_len < CMSG_LEN(0) ||
		    c->cmsg_len > (size_t)(j->control + j->controllen - (uint8_t *)c)) {
			/* The kernel refuses a malformed header too. */
			deny(n->s, n->id, EINVAL, R_SHORT, true);
			return true;
		}
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t k = 0; k < nfd; k++) {
			int child_fd, mine;
			memcpy(&child_fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
			if (j->npassed >= NOTIFY_MAX_PASSED) {
				deny(n->s, n->id, EINVAL, R_GETFD, true);
				return true;
			}
			mine = (int)syscall(SYS_pidfd_getfd, n->pidfd, child_fd, 0);
			if (mine < 0) {
				deny(n->s, n->id, EBADF, R_GETFD, true);
				return true;
			}
			j->passed[j->npassed++] = mine;
			memcpy(CMSG_DATA(c) + k * sizeof(int), &mine, sizeof(int));
		}
	}
	return false;
}

/* A send on our copy of its data: answered here when the socket is
 * non-blocking or the send does not block, else left to a worker (false,
 * with n->j ready). An AF_UNIX pathname datagram (strict) always goes to
 * a worker inside the agent's ruleset. */
static bool start_send(struct notif *n)
{
	struct job *j = n->j;
	int sotype = 0, fl = fcntl(n->fd, F_GETFL), err = 0;
	socklen_t ol = sizeof(sotype);
	long sent;

	j->op = OP_SEND;
	getsockopt(n->fd, SOL_SOCKET, SO_TYPE, &sotype, &ol);
	if (j->truncated && sotype != SOCK_STREAM) {
		deny(n->s, n->id, EMSGSIZE, R_SHORT, true);
		return true;
	}
	if (j->controllen && replace_passed_fds(n, j))
		return true;
	if (n->alen) {
		j->addr = n->ss;
		j->alen = n->alen;
	}
	j->fd = n->fd;
	n->fd = -1;
	j->umask = -1;
	if (n->route == NS_ROUTE_DOMAIN) {
		j->domain = true;
		j->cwd_fd = n->cwd_fd;
		n->cwd_fd = -1;
		return false;
	}
	if ((fl >= 0 && (fl & O_NONBLOCK)) || (j->flags & MSG_DONTWAIT)) {
		sent = notify_job_send(j, 0, &err);
		/* our socket and passed fds dropped before answering */
		notify_job_free(j);
		n->j = NULL;
		answer(n->s, n->id, sent < 0 ? 0 : sent, sent < 0 ? err : 0, &n->fd);
		return true;
	}
	if (!(j->flags & MSG_FASTOPEN)) {
		/* A blocking socket: try without waiting first; only what would
		 * block goes to a worker. */
		sent = notify_job_send(j, MSG_DONTWAIT, &err);
		if (sent >= 0)
			j->done = (size_t)sent;
		if ((sent < 0 && err != EAGAIN) || (sent >= 0 && j->done >= j->len)) {
			notify_job_free(j);
			n->j = NULL;
			answer(n->s, n->id, sent < 0 ? 0 : sent, sent < 0 ? err : 0, &n->fd);
			return true;
		}
		if (sent > 0 && j->controllen)
			j->controllen = 0; /* the control data went with the first bytes */
	}
	return false;
}

/* A blocking call goes to a worker, which answers. When every worker is
 * taken nothing waits in the loop: a pending connect (to an approved
 * address, already started) answers EINPROGRESS, as a blocking connect
 * past its SO_SNDTIMEO does; a send answers what went out, or EAGAIN;
 * nothing of a strict pathname call has started (EAGAIN). */
static void submit(struct notif *n)
{
	struct job *j = n->j;
	long val;
	int err;

	j->s = n->s;
	j->id = n->id;
	j->t0_ns = n->t0;
	if (notify_job_submit(n->s, j) == 0) {
		n->j = NULL; /* the worker's now */
		return;
	}
	val = j->op == OP_SEND ? (long)j->done : 0;
	err = j->op == OP_CONNECT ? EINPROGRESS : val > 0 ? 0 : EAGAIN;
	if (j->domain)
		err = EAGAIN;
	notify_respond(n->s, n->s->resp, n->id, val, err, false);
	notify_bump(n->s, &n->s->st.overload);
}

/* 4. Perform it ourselves on our copy of the arguments, or hand it to a
 * worker when it would block. */
static void perform(struct notif *n)
{
	const struct notify_supervisor *s = n->s;
	int nr = n->d->nr;
	bool done;

	if (nr == s->nr_listen) {
		perform_listen(n);
		return;
	}
	if (nr == s->nr_bind && n->route != NS_ROUTE_DOMAIN) {
		int err = bind(n->fd, (struct sockaddr *)&n->ss, n->alen) < 0 ? errno : 0;
		answer(n->s, n->id, 0, err, &n->fd);
		return;
	}
	if (nr == s->nr_bind || (nr == s->nr_connect && n->route == NS_ROUTE_DOMAIN))
		done = prepare_domain_call(n);
	else if (nr == s->nr_connect)
		done = start_connect(n);
	else
		done = start_send(n);
	if (!done)
		submit(n);
}

int notify_supervisor_handle(struct notify_supervisor *s)
{
	struct notif n = {.s = s,
			  .pidfd = -1,
			  .fd = -1,
			  .route = NS_ROUTE_INLINE,
			  .cwd_fd = -1,
			  .agent_umask = -1};
	int rc;

	memset(s->req, 0, sizeof(*s->req));
	rc = seccomp_notify_receive(s->listener, s->req);
	if (rc < 0) {
		/* ENOENT: the thread went away between poll and receive (a
		 * child killed mid-call does it). libseccomp 2.5 reports every
		 * failed ioctl as -ECANCELED and leaves the reason in errno:
		 * taken as fatal, it stopped all mediation for the run. */
		int err = rc == -ECANCELED ? errno : -rc;
		if (err == ENOENT || err == EINTR) {
			if (err == ENOENT)
				notify_bump(s, &s->st.stale);
			return 0;
		}
		return -1;
	}
	n.t0 = util_now_ns();
	s->st.received++;
	n.d = &s->req->data;
	n.id = s->req->id;
	n.pid = (pid_t)s->req->pid;
	/* In order; the first step that finishes the notification ends it. */
	if (!decide_from_registers(&n) && !gone_if_stale(&n) && !take_pidfd(&n) &&
	    !read_arguments(&n) && !read_domain_context(&n) &&
	    /* 2. still the caller's, after everything was read */
	    !gone_if_stale(&n) && !take_socket(&n))
		perform(&n);
	notify_job_free(n.j);
	if (n.cwd_fd >= 0)
		close(n.cwd_fd);
	if (n.fd >= 0)
		close(n.fd);
	stat_done(s, n.t0);
	return 0;
}
