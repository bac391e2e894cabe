/* notify.c - seccomp user-notification mediation (see notify.h and
 * docs/notify.md): the supervisor's loop, which performs connect/bind/send
 * on the agent's behalf. Its worker threads are in notify_workers.c, the
 * frozen allowlist and the sockaddr parser in notify_allowlist.c, the
 * filter and its loading in the agent in notify_filter.c, platform-strict's
 * decisions in notify_strict.c. notify_supervisor_handle() stays one
 * function on purpose: every path out of it answers the notification
 * exactly once, at one label. */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify_internal.h"
#include "notify_strict.h"
#include "util.h"

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS /* Linux 6.6; Debian 12's headers predate it */
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS _IOW('!', 4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9: a pidfd for a thread, not only a leader */
#endif

/* ---- the supervisor -------------------------------------------------- */

_Static_assert(R_COUNT <= sizeof(((struct notify_stats *)0)->by_reason) /
			      sizeof(((struct notify_stats *)0)->by_reason[0]),
	       "notify_stats.by_reason is too small");

const char *notify_reason_name(unsigned i)
{
	static const char *const names[R_COUNT] = {
	    "address not pinned",      "family not parsed",    "short sockaddr",
	    "child memory unreadable", "not a socket",	       "pidfd/pidfd_getfd failed",
	    "non-native architecture", "syscall not mediated", "strict: address",
	    "strict: listen",	       "strict: signal"};
	return i < R_COUNT ? names[i] : "?";
}

int notify_supervisor_fd(const struct notify_supervisor *s)
{
	return s->listener;
}

bool notify_supervisor_sync_wakeup(const struct notify_supervisor *s)
{
	return s->sync_wakeup;
}

static void stat_done(struct notify_supervisor *s, uint64_t t0)
{
	double us = (double)(util_now_ns() - t0) / 1e3;
	s->st.handle_us_total += us;
	if (us > s->st.handle_us_max)
		s->st.handle_us_max = us;
}

/* Counters the workers touch too. */
static void bump(struct notify_supervisor *s, unsigned long *c)
{
	pthread_mutex_lock(&s->mu);
	(*c)++;
	pthread_mutex_unlock(&s->mu);
}

/* Answer with val/-error; ENOENT (the thread is gone) only counts. */
void notify_respond(struct notify_supervisor *s, struct seccomp_notif_resp *resp, uint64_t id,
		    long val, int err, bool cont)
{
	int rc;
	memset(resp, 0, sizeof(*resp));
	resp->id = id;
	resp->val = err ? 0 : val;
	resp->error = err ? -err : 0;
	resp->flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
	rc = seccomp_notify_respond(s->listener, resp);
	if (rc < 0)
		bump(s, &s->st.stale);
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
	bump(s, &s->st.allowed);
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

int notify_receive_listener(int handoff_sock, int *listener, struct perr *e)
{
	char byte, path[64], target[128];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	ssize_t n, tl;
	int fd;

	*listener = -1;
	n = recvmsg(handoff_sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n != 1)
		return perr_sys(e, n < 0 ? errno : EPROTO, "notify: no listener from the agent");
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return perr_set(e, "notify: the agent's message carries no listener");
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	tl = readlink(path, target, sizeof(target) - 1);
	target[tl > 0 ? tl : 0] = 0;
	if (strcmp(target, "anon_inode:seccomp notify") != 0) {
		close(fd);
		return perr_set(e, "notify: the fd from the agent is not a seccomp listener (%s)",
				target);
	}
	*listener = fd;
	return 0;
}

struct notify_supervisor *notify_supervisor_new(int listener, const struct notify_allowlist *al,
						struct perr *e)
{
	struct notify_supervisor *s = calloc(1, sizeof(*s));

	if (!s) {
		perr_sys(e, ENOMEM, "notify supervisor");
		return NULL;
	}
	s->listener = listener;
	s->al = al;
	/* The trapping thread wakes the supervisor on its own CPU, and our
	 * answer wakes it on ours: no cross-CPU wake-up either way. Each one
	 * otherwise costs an IPI, and on a VM an idle vCPU's halt exit; here
	 * (2 vCPUs under Firecracker) a bare round trip goes from about 88 us
	 * to 8 us. The flag is passed by value, not by pointer. Linux 6.6;
	 * older kernels say EINVAL and the mediation works as before, slower
	 * (reported by notify_supervisor_sync_wakeup). */
	s->sync_wakeup =
	    ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
	if (seccomp_notify_alloc(&s->req, &s->resp) < 0) {
		free(s);
		perr_sys(e, ENOMEM, "notify supervisor");
		return NULL;
	}
	s->nr_connect = seccomp_syscall_resolve_name("connect");
	s->nr_bind = seccomp_syscall_resolve_name("bind");
	s->nr_sendto = seccomp_syscall_resolve_name("sendto");
	s->nr_sendmsg = seccomp_syscall_resolve_name("sendmsg");
	s->nr_recvfrom = seccomp_syscall_resolve_name("recvfrom");
	s->nr_recvmsg = seccomp_syscall_resolve_name("recvmsg");
	s->nr_listen = seccomp_syscall_resolve_name("listen");
	s->nr_kill = seccomp_syscall_resolve_name("kill");
	s->nr_tkill = seccomp_syscall_resolve_name("tkill");
	s->nr_tgkill = seccomp_syscall_resolve_name("tgkill");
	s->nr_sigqueue = seccomp_syscall_resolve_name("rt_sigqueueinfo");
	s->nr_tgsigqueue = seccomp_syscall_resolve_name("rt_tgsigqueueinfo");
	s->domain_fd = -1;
	for (unsigned i = 0; i < NOTIFY_PIDFD_CACHE; i++)
		s->pidfds[i].fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->exited, NULL);
	return s;
}

void notify_supervisor_set_strict(struct notify_supervisor *s, pid_t agent, int domain_fd,
				  bool domain_required)
{
	s->strict = true;
	s->tree.root = agent;
	s->tree.proc = "/proc";
	s->domain_fd = domain_fd;
	s->domain_required = domain_required;
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

int notify_supervisor_handle(struct notify_supervisor *s)
{
	struct seccomp_notif *req = s->req;
	const struct seccomp_data *d;
	struct sockaddr_storage ss;
	socklen_t alen = 0;
	enum reason why = R_OTHER_SYSCALL;
	struct job *j = NULL;
	struct iovec riov_buf[UIO_MAXIOV];
	struct send_args sa;
	uint64_t t0;
	pid_t pid;
	int pidfd = -1, fd = -1, rc, err, sig, cwd_fd = -1, agent_umask = -1;
	bool pidfd_kept = false;
	enum notify_strict_route route = NS_ROUTE_INLINE;
	struct stat st;

	memset(req, 0, sizeof(*req));
	rc = seccomp_notify_receive(s->listener, req);
	if (rc < 0) {
		/* ENOENT: the thread went away between poll and receive. */
		if (rc == -ENOENT || rc == -EINTR) {
			if (rc == -ENOENT)
				bump(s, &s->st.stale);
			return 0;
		}
		return -1;
	}
	t0 = util_now_ns();
	s->st.received++;
	d = &req->data;
	pid = (pid_t)req->pid;
	if (d->arch != AUDIT_ARCH_X86_64) {
		/* The follow-up notifies foreign ABIs so that it can deny them. */
		deny(s, req->id, EPERM, R_ARCH, true);
		goto done;
	}
	if (s->strict && (sig = strict_signal_kind(s, d->nr)) >= 0) {
		const char *sw = NULL;
		uint64_t args[6];
		for (int i = 0; i < 6; i++)
			args[i] = d->args[i];
		err = notify_strict_signal(&s->tree, (enum notify_strict_sig)sig, args, &sw);
		if (err) {
			deny(s, req->id, err, R_STRICT_SIGNAL, true);
		} else {
			notify_respond(s, s->resp, req->id, 0, 0, true);
			s->st.continued++;
		}
		goto done;
	}
	if (d->nr == s->nr_recvfrom || d->nr == s->nr_recvmsg) {
		/* A receive names no destination: nothing to decide, nothing a
		 * rewrite could change. CONTINUE lets the kernel do it. */
		notify_respond(s, s->resp, req->id, 0, 0, true);
		s->st.continued++;
		goto done;
	}
	if (d->nr != s->nr_connect && d->nr != s->nr_bind && d->nr != s->nr_sendto &&
	    d->nr != s->nr_sendmsg && !(s->strict && d->nr == s->nr_listen)) {
		deny(s, req->id, EPERM, R_OTHER_SYSCALL, true);
		goto done;
	}
	if (seccomp_notify_id_valid(s->listener, req->id) != 0) {
		bump(s, &s->st.stale);
		goto done;
	}
	pidfd = pidfd_get(s, pid, &pidfd_kept);
	if (pidfd < 0) {
		deny(s, req->id, EPERM, R_GETFD, false);
		goto done;
	}

	/* 1. Everything we need from the child's memory, each piece read once
	 * with an exact length, into our own buffers. */
	memset(&sa, 0, sizeof(sa));
	sa.fd = d->args[0];
	if (d->nr == s->nr_connect || d->nr == s->nr_bind) {
		err =
		    check_address(s, pid, d->nr, d->args[1], d->args[2], &ss, &alen, &why, &route);
		if (err) {
			deny(s, req->id, err, why, why != R_READ);
			goto done;
		}
	} else if (d->nr == s->nr_listen) {
		/* Nothing in memory: the decision is on the socket itself. */
	} else {
		size_t total = 0, want;
		bool truncated = false;
		if (d->nr == s->nr_sendto) {
			sa.flags = d->args[3];
			sa.name = d->args[4];
			sa.namelen = d->args[5];
			riov_buf[0].iov_base = (void *)(uintptr_t)d->args[1];
			riov_buf[0].iov_len = (size_t)d->args[2];
			sa.riov = riov_buf;
			sa.niov = 1;
		} else {
			struct msghdr mh;
			rc = read_exact(pid, d->args[1], &mh, sizeof(mh));
			if (rc < 0) {
				deny(s, req->id, rc == -EFAULT ? EFAULT : EPERM, R_READ,
				     rc == -EFAULT);
				goto done;
			}
			sa.flags = d->args[2];
			sa.name = (uint64_t)(uintptr_t)mh.msg_name;
			/* sendmsg clamps an oversized msg_namelen (sendto refuses). */
			sa.namelen = mh.msg_namelen > sizeof(struct sockaddr_storage)
					 ? sizeof(struct sockaddr_storage)
					 : mh.msg_namelen;
			sa.control = (uint64_t)(uintptr_t)mh.msg_control;
			sa.controllen = mh.msg_controllen;
			if (mh.msg_iovlen > UIO_MAXIOV) {
				deny(s, req->id, EMSGSIZE, R_SHORT, true);
				goto done;
			}
			sa.niov = mh.msg_iovlen;
			sa.riov = riov_buf;
			rc = read_exact(pid, (uint64_t)(uintptr_t)mh.msg_iov, riov_buf,
					sa.niov * sizeof(struct iovec));
			if (rc < 0) {
				deny(s, req->id, rc == -EFAULT ? EFAULT : EPERM, R_READ,
				     rc == -EFAULT);
				goto done;
			}
		}
		if (sa.name && sa.namelen) {
			err = check_address(s, pid, d->nr, sa.name, sa.namelen, &ss, &alen, &why,
					    &route);
			if (err) {
				deny(s, req->id, err, why, why != R_READ);
				goto done;
			}
		}
		j = notify_job_new();
		if (!j) {
			deny(s, req->id, ENOMEM, R_OTHER_SYSCALL, false);
			goto done;
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
			deny(s, req->id, ENOMEM, R_OTHER_SYSCALL, false);
			goto done;
		}
		if (want) {
			struct iovec l = {j->data, want};
			ssize_t n = process_vm_readv(pid, &l, 1, sa.riov, sa.niov, 0);
			if (n < 0 || (size_t)n != want) {
				deny(s, req->id, n < 0 && errno != EFAULT ? EPERM : EFAULT, R_READ,
				     n >= 0 || errno == EFAULT);
				goto done;
			}
		}
		j->len = want;
		if (sa.control && sa.controllen) {
			if (sa.controllen > NOTIFY_MAX_CONTROL) {
				deny(s, req->id, ENOBUFS, R_SHORT, true);
				goto done;
			}
			j->control = malloc(sa.controllen);
			if (!j->control ||
			    read_exact(pid, sa.control, j->control, sa.controllen) < 0) {
				deny(s, req->id, EFAULT, R_READ, true);
				goto done;
			}
			j->controllen = sa.controllen;
		}
		/* A stream socket sends the first NOTIFY_MAX_COPY bytes; the type
		 * is known once the socket is ours (below). */
		j->flags = (int)(sa.flags & 0xffffffff);
		j->truncated = truncated;
	}

	/* 1b. An AF_UNIX pathname is resolved by the kernel from the agent's
	 * cwd (a relative one) and created with its umask (bind): both taken
	 * now, before the id is checked again. */
	if (route == NS_ROUTE_DOMAIN) {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)&ss;
		char cwd[64];
		if (sun->sun_path[0] != '/') {
			snprintf(cwd, sizeof(cwd), "/proc/%d/cwd", (int)pid);
			cwd_fd = open(cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (cwd_fd < 0) {
				deny(s, req->id, EPERM, R_READ, false);
				goto done;
			}
		}
		if (d->nr == s->nr_bind) {
			agent_umask = (int)notify_strict_status_field("/proc", pid, "Umask", 8);
			if (agent_umask < 0) {
				deny(s, req->id, EPERM, R_READ, false);
				goto done;
			}
		}
	}

	/* 2. The notification still stands: the pid was the caller's all
	 * along, and what we read is what it passed. */
	if (seccomp_notify_id_valid(s->listener, req->id) != 0) {
		bump(s, &s->st.stale);
		goto done;
	}

	/* 3. The socket itself, from the child's fd table, checked. */
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)sa.fd, 0);
	if (fd < 0 && errno == ESRCH && pidfd_kept) {
		/* The kept pidfd's task is gone and its tid is another thread's
		 * now: a fresh pidfd, proven by id_valid once more. */
		pidfd = pidfd_refresh(s, pid);
		s->st.pidfds_renewed++;
		if (pidfd < 0) {
			deny(s, req->id, EPERM, R_GETFD, false);
			goto done;
		}
		if (seccomp_notify_id_valid(s->listener, req->id) != 0) {
			bump(s, &s->st.stale);
			goto done;
		}
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)sa.fd, 0);
	}
	if (fd < 0) {
		if (errno == EBADF)
			deny(s, req->id, EBADF, R_GETFD, true);
		else
			deny(s, req->id, EPERM, R_GETFD, false);
		goto done;
	}
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		/* The follow-up's verify_socket_fd: a dup2 may have put another
		 * file at that number since the trap. */
		deny(s, req->id, ENOTSOCK, R_NOT_SOCKET, true);
		goto done;
	}

	/* 4. Perform it ourselves on our copy of the arguments. */
	if (d->nr == s->nr_listen) {
		const char *sw = NULL;
		err = notify_strict_listen(fd, &sw);
		if (err) {
			deny(s, req->id, err, R_STRICT_LISTEN, true);
			goto done;
		}
		/* On the socket we took and checked: a dup2 since the trap can
		 * only make the agent's fd name another file, never this one. */
		err = listen(fd, (int)(uint32_t)d->args[1]) < 0 ? errno : 0;
		answer(s, req->id, 0, err, &fd);
		goto done;
	}
	if (route == NS_ROUTE_DOMAIN && d->nr != s->nr_sendto && d->nr != s->nr_sendmsg) {
		/* AF_UNIX pathname bind or connect: a worker inside the agent's
		 * ruleset does the whole call. */
		j = notify_job_new();
		if (!j) {
			deny(s, req->id, ENOMEM, R_OTHER_SYSCALL, false);
			goto done;
		}
		j->op = d->nr == s->nr_bind ? OP_BIND : OP_CONNECT_UNIX;
		j->fd = fd;
		fd = -1;
		j->addr = ss;
		j->alen = alen;
		j->domain = true;
		j->cwd_fd = cwd_fd;
		cwd_fd = -1;
		j->umask = agent_umask;
		goto submit_job;
	}
	if (d->nr == s->nr_bind) {
		err = bind(fd, (struct sockaddr *)&ss, alen) < 0 ? errno : 0;
		answer(s, req->id, 0, err, &fd);
		goto done;
	}
	if (d->nr == s->nr_connect) {
		int fl = fcntl(fd, F_GETFL), r;
		struct pollfd pw = {.fd = fd, .events = POLLOUT};
		if (fl >= 0 && (fl & O_NONBLOCK)) {
			/* Non-blocking: EINPROGRESS goes back as such. */
			err = connect(fd, (struct sockaddr *)&ss, alen) < 0 ? errno : 0;
			answer(s, req->id, 0, err, &fd);
			goto done;
		}
		/* A blocking socket: start the connect without waiting (the file
		 * is shared with the child, so its O_NONBLOCK is set only around
		 * this one call), then answer at once if the handshake is already
		 * done (loopback completes inside connect), else let a worker
		 * wait for it. The loop itself never waits on the child's behalf. */
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
			deny(s, req->id, EPERM, R_GETFD, false);
			goto done;
		}
		r = connect(fd, (struct sockaddr *)&ss, alen);
		err = r < 0 ? errno : 0;
		fcntl(fd, F_SETFL, fl);
		if (err == EINPROGRESS && poll(&pw, 1, 0) == 1) {
			socklen_t el = sizeof(err);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
				err = errno;
		}
		if (err != EINPROGRESS) {
			answer(s, req->id, 0, err, &fd);
			goto done;
		}
		j = notify_job_new();
		if (!j) {
			deny(s, req->id, ENOMEM, R_OTHER_SYSCALL, false);
			goto done;
		}
		j->fd = -1;
		j->op = OP_CONNECT;
	} else {
		int sotype = 0, fl = fcntl(fd, F_GETFL);
		socklen_t ol = sizeof(sotype);
		j->op = OP_SEND;
		getsockopt(fd, SOL_SOCKET, SO_TYPE, &sotype, &ol);
		if (j->truncated && sotype != SOCK_STREAM) {
			deny(s, req->id, EMSGSIZE, R_SHORT, true);
			goto done;
		}
		/* SCM_RIGHTS carries the child's fd numbers: sent as they are,
		 * they would be the supervisor's own fds (its listener!). Each is
		 * replaced by our duplicate of the child's file. */
		if (j->controllen) {
			struct msghdr mh = {.msg_control = j->control,
					    .msg_controllen = j->controllen};
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
				size_t nfd;
				if (c->cmsg_len < CMSG_LEN(0) ||
				    (uint8_t *)c + c->cmsg_len > j->control + j->controllen) {
					/* The kernel refuses a malformed header too. */
					deny(s, req->id, EINVAL, R_SHORT, true);
					goto done;
				}
				if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
					continue;
				nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t k = 0; k < nfd; k++) {
					int child_fd, mine;
					memcpy(&child_fd, CMSG_DATA(c) + k * sizeof(int),
					       sizeof(int));
					if (j->npassed >= NOTIFY_MAX_PASSED) {
						deny(s, req->id, EINVAL, R_GETFD, true);
						goto done;
					}
					mine = (int)syscall(SYS_pidfd_getfd, pidfd, child_fd, 0);
					if (mine < 0) {
						deny(s, req->id, EBADF, R_GETFD, true);
						goto done;
					}
					j->passed[j->npassed++] = mine;
					memcpy(CMSG_DATA(c) + k * sizeof(int), &mine, sizeof(int));
				}
			}
		}
		if (alen) {
			j->addr = ss;
			j->alen = alen;
		}
		j->fd = fd;
		fd = -1;
		j->umask = -1;
		if (route == NS_ROUTE_DOMAIN) {
			/* A datagram to an AF_UNIX pathname: resolved inside the
			 * agent's ruleset, by a worker, blocking or not. */
			j->domain = true;
			j->cwd_fd = cwd_fd;
			cwd_fd = -1;
			goto submit_job;
		}
		if ((fl >= 0 && (fl & O_NONBLOCK)) || (j->flags & MSG_DONTWAIT)) {
			long n = notify_job_send(j, 0, &err);
			notify_job_free(
			    j); /* our socket and fds passed: dropped before answering */
			j = NULL;
			answer(s, req->id, n < 0 ? 0 : n, n < 0 ? err : 0, &fd);
			goto done;
		}
		if (!(j->flags & MSG_FASTOPEN)) {
			/* A blocking socket: try without waiting first; only what
			 * would block goes to a worker. */
			long n = notify_job_send(j, MSG_DONTWAIT, &err);
			if (n >= 0)
				j->done = (size_t)n;
			if ((n < 0 && err != EAGAIN) || (n >= 0 && j->done >= j->len)) {
				notify_job_free(j);
				j = NULL;
				answer(s, req->id, n < 0 ? 0 : n, n < 0 ? err : 0, &fd);
				goto done;
			}
			if (n > 0 && j->controllen) {
				/* The control data went with the first bytes. */
				j->controllen = 0;
			}
		}
	}
	/* A blocking operation: a worker does it and answers. */
	if (j->fd < 0) {
		j->fd = fd;
		fd = -1;
	}
	if (j->op == OP_CONNECT) {
		j->addr = ss;
		j->alen = alen;
	}
submit_job:
	j->s = s;
	j->id = req->id;
	j->t0_ns = t0;
	if (notify_job_submit(s, j) < 0) {
		/* Every worker is taken: nothing waits in the loop. A pending
		 * connect (to an approved address, already started) answers
		 * EINPROGRESS, as a blocking connect past its SO_SNDTIMEO does;
		 * a send answers what went out, or EAGAIN. */
		long val = j->op == OP_SEND ? (long)j->done : 0;
		int e2 = j->op == OP_CONNECT ? EINPROGRESS : val > 0 ? 0 : EAGAIN;
		/* Nothing of a strict pathname operation has started. */
		if (j->domain)
			e2 = EAGAIN;
		notify_respond(s, s->resp, req->id, val, e2, false);
		bump(s, &s->st.overload);
		goto done;
	}
	j = NULL;
done:
	notify_job_free(j);
	if (cwd_fd >= 0)
		close(cwd_fd);
	if (fd >= 0)
		close(fd);
	stat_done(s, t0);
	return 0;
}

void notify_supervisor_stop(struct notify_supervisor *s, struct notify_stats *out)
{
	struct timespec ts;
	uint64_t until = util_now_ns() + 3000000000ull;

	if (!s) {
		if (out)
			memset(out, 0, sizeof(*out));
		return;
	}
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	/* Queued jobs never run: their threads are gone with the agent. */
	while (s->head) {
		struct job *j = s->head;
		s->head = j->next;
		s->queued--;
		notify_job_free(j);
	}
	s->tail = NULL;
	pthread_cond_broadcast(&s->work);
	/* A worker blocked in connect or send on the child's behalf is woken
	 * by shutting the socket down; repeated, in case one was about to
	 * start its call when we looked. Bounded: never hang the caller. */
	while (s->workers > 0 && util_now_ns() < until) {
		for (unsigned i = 0; i < NOTIFY_MAX_WORKERS; i++)
			if (s->running[i])
				shutdown(s->running[i]->fd, SHUT_RDWR);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&s->exited, &s->mu, &ts);
	}
	if (out)
		*out = s->st;
	bool left = s->workers > 0;
	pthread_mutex_unlock(&s->mu);
	if (left)
		return; /* a worker still blocked: leak s (and the listener it answers
			 * on) rather than free them under it; the PID namespace ends it */
	for (unsigned i = 0; i < NOTIFY_PIDFD_CACHE; i++)
		if (s->pidfds[i].fd >= 0)
			close(s->pidfds[i].fd);
	close(s->listener);
	seccomp_notify_free(s->req, s->resp);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->work);
	pthread_cond_destroy(&s->exited);
	free(s);
}
