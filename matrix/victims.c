/* victims.c - the victims of the lab's pod (see victims.h). */
#include "victims.h"

#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pidns.h"
#include "util.h"

const unsigned short victim_pod_tcp_ports[] = {22, 53, 8081};
const unsigned victim_pod_tcp_nports = 3;

static void become(uid_t uid, gid_t gid)
{
	if (geteuid() == 0 && uid != 0) {
		if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(PARITY_EXIT_INFRA);
	}
}

static void ready(int fd)
{
	(void)!write(fd, "r", 1);
	close(fd);
}

/* Say "drained" to the pod: everything that reached this victim before
 * the request is counted. */
static void ack_drain(struct lab_victim_status *v)
{
	atomic_store(&v->drained, true);
}

/* One byte on drain_fd is the pod's request (see victims.h). */
static bool drain_requested(int drain_fd)
{
	char b;
	return read(drain_fd, &b, 1) == 1;
}

static void signal_count(struct lab_shm *shm, const struct signalfd_siginfo *si)
{
	if (si->ssi_signo < 65)
		atomic_fetch_add(&shm->signals[si->ssi_signo], 1);
	atomic_fetch_add(&shm->signals_total, 1);
	atomic_store(&shm->last_sender_pid, (int)si->ssi_pid);
}

pid_t victim_spawn_signal(struct lab_shm *shm, uid_t uid, gid_t gid, int ready_fd, int drain_fd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	sigset_t all;
	int sfd;

	if (pid != 0)
		return pid;
	pidns_die_with_parent(parent);
	util_name_role("victim");
	become(uid, gid);
	pidns_die_with_parent(parent);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		_exit(PARITY_EXIT_INFRA);
	ready(ready_fd);
	for (;;) {
		struct pollfd pf[2] = {{.fd = sfd, .events = POLLIN},
				       {.fd = drain_fd, .events = POLLIN}};
		struct signalfd_siginfo si;
		ssize_t n;
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(PARITY_EXIT_INFRA);
		}
		/* kill() returns once the signal is pending here: after the
		 * agent is gone, reading to EAGAIN counts every one it sent. */
		while ((n = read(sfd, &si, sizeof(si))) == (ssize_t)sizeof(si))
			signal_count(shm, &si);
		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			_exit(PARITY_EXIT_INFRA);
		if ((pf[1].revents & POLLIN) && drain_requested(drain_fd))
			ack_drain(&shm->signal_victim);
	}
}

pid_t victim_spawn_sacrificial(struct lab_shm *shm, uid_t uid, gid_t gid, int ready_fd,
			       int drain_fd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	sigset_t all;

	if (pid != 0)
		return pid;
	pidns_die_with_parent(parent);
	util_name_role("target"); /* the sacrificial victim */
	become(uid, gid);
	pidns_die_with_parent(parent);
	/* Catchable signals are blocked too: only SIGKILL and SIGSTOP, which
	 * nothing can block, change its state; any other that reaches it stays
	 * pending, and each drain records the pending set. A pending SIGKILL
	 * or SIGSTOP is acted on before this process runs user code again, so
	 * an answer to the pod's drain request proves none was pending. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	ready(ready_fd);
	for (;;) {
		char b;
		ssize_t r = read(drain_fd, &b, 1);
		if (r == 1) {
			/* What reached it while blocked: a stop and a continue
			 * between two of the pod's looks leave a SIGCONT. */
			sigset_t p;
			unsigned long long mask = 0;
			sigemptyset(&p);
			sigpending(&p);
			for (int s = 1; s <= 64; s++)
				if (sigismember(&p, s) == 1)
					mask |= 1ULL << (s - 1);
			atomic_store(&shm->sacrificial.pending, mask);
			ack_drain(&shm->sacrificial);
		} else if (r == 0 || errno != EINTR)
			pause(); /* the pod is gone: wait for the parent-death signal */
	}
}

/* ---- listeners ---- */

struct listener {
	int fd;
	int type; /* SOCK_STREAM / SOCK_DGRAM / SOCK_SEQPACKET */
	struct lab_listener_counts *counts;
	bool is_conn; /* an accepted connection, not a listening socket */
};

static void note_data(struct lab_listener_counts *c, const char *buf, ssize_t n, const char *marker)
{
	if (n <= 0)
		return;
	atomic_fetch_add(&c->bytes, (int)n);
	if (memmem(buf, (size_t)n, marker, strlen(marker)))
		atomic_store(&c->marker, true);
}

/* A unix socket of `type` bound to a (len bytes) and listening unless it
 * is a datagram socket; mode: chmod for a pathname (0: none). -1, with
 * nothing left open, on failure. */
static int unix_listener(const struct sockaddr_un *a, socklen_t len, int type, mode_t mode)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (const struct sockaddr *)a, len) < 0 ||
	    (mode && chmod(a->sun_path, mode) < 0) || (type != SOCK_DGRAM && listen(fd, 64) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int abstract_listener(const char *name, int type)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t len = strlen(name);

	if (len + 1 > sizeof(a.sun_path))
		return -1;
	memcpy(a.sun_path + 1, name, len);
	return unix_listener(&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len),
			     type, 0);
}

/* A pathname socket anyone may connect to (0666, like
 * /run/dbus/system_bus_socket): what stops the sandbox must be the
 * sandbox, not the file's mode. */
static int path_listener(const char *path, int type)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t len = strlen(path);

	if (len + 1 > sizeof(a.sun_path))
		return -1;
	memcpy(a.sun_path, path, len);
	return unix_listener(&a, sizeof(a), type, 0666);
}

static int inet_listener(int family, int type, unsigned short port)
{
	int fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		struct sockaddr_in6 a = {.sin6_family = AF_INET6,
					 .sin6_port = htons(port),
					 .sin6_addr = IN6ADDR_ANY_INIT};
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			goto fail;
	} else {
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port = htons(port),
					.sin_addr.s_addr = htonl(INADDR_ANY)};
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			goto fail;
	}
	if (type == SOCK_STREAM && listen(fd, 64) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

#define MAX_LISTEN 64
#define DRAIN_QUIET_MS 5 /* a final sweep ends after this long with nothing new */
#define DRAIN_MAX_MS 200

struct listener_set {
	struct listener ls[MAX_LISTEN];
	unsigned n;
	const char *marker;
	char buf[4096];
};

/* One message of a seqpacket connection. recv() returns 0 both for an
 * empty message and for the end of the connection: the empty message was
 * read as the end, and what followed it was never read. With SO_PASSCRED
 * (set at accept) a message comes with SCM_CREDENTIALS, the end with no
 * control data. Returns the length, SEQPACKET_EMPTY, 0 at the end, or -1. */
#define SEQPACKET_EMPTY (-2)
static ssize_t seqpacket_recv(int fd, char *buf, size_t len)
{
	union {
		char b[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf.b,
			    .msg_controllen = sizeof(cbuf)};
	ssize_t r = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (r == 0 && (mh.msg_controllen > 0 || (mh.msg_flags & MSG_CTRUNC)))
		return SEQPACKET_EMPTY;
	return r;
}

/* Serve one ready listener or connection; returns 1 when something was
 * counted (a connection, a datagram, bytes, or an end of stream). A
 * finished connection is swapped with the last entry, so the caller
 * revisits index i. */
static int listener_serve(struct listener_set *s, unsigned i, bool *removed)
{
	struct listener *l = &s->ls[i];
	ssize_t r;

	*removed = false;
	if (l->type == SOCK_DGRAM || l->is_conn) {
		if (l->type == SOCK_SEQPACKET) {
			r = seqpacket_recv(l->fd, s->buf, sizeof(s->buf));
			if (r == SEQPACKET_EMPTY)
				return 1; /* an empty message, not the end: read on */
		} else {
			r = recv(l->fd, s->buf, sizeof(s->buf), MSG_DONTWAIT);
		}
		note_data(l->counts, s->buf, r, s->marker);
		if (!l->is_conn) {
			/* A datagram socket: 0 is an empty datagram, which
			 * reached the victim like any other (no EOF here). */
			if (r >= 0)
				atomic_fetch_add(&l->counts->connections, 1);
			return r >= 0;
		}
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			close(l->fd);
			s->ls[i] = s->ls[--s->n];
			*removed = true;
			return 1;
		}
		return r > 0;
	}
	int c = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (c < 0)
		return 0;
	if (l->type == SOCK_SEQPACKET) {
		/* Every message then carries the sender's credentials, an
		 * empty one too: that is how it differs from the end. Without
		 * it the victim would stop reading at an empty message: it
		 * fails instead, and its witness with it (INCONCLUSIVE). */
		int one = 1;
		if (setsockopt(c, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
			_exit(PARITY_EXIT_INFRA);
	}
	atomic_fetch_add(&l->counts->connections, 1);
	if (s->n < MAX_LISTEN)
		s->ls[s->n++] = (struct listener){
		    .fd = c, .type = l->type, .counts = l->counts, .is_conn = true};
	else
		close(c);
	return 1;
}

/* Everything queued now, without waiting: accept and read until every
 * socket says EAGAIN. Returns how much was counted. */
static int listener_sweep(struct listener_set *s)
{
	int total = 0, got;
	do {
		got = 0;
		for (unsigned i = 0; i < s->n;) {
			bool removed;
			int k = listener_serve(s, i, &removed);
			got += k;
			if (removed)
				continue; /* index i now holds the last entry */
			if (k == 0)
				i++;
		}
		total += got;
	} while (got);
	return total;
}

/* The pod's drain request: sweep, then wait until nothing new arrives for
 * DRAIN_QUIET_MS (loopback delivery can be deferred to ksoftirqd on a busy
 * machine), bounded by DRAIN_MAX_MS. */
static void listener_drain(struct listener_set *s)
{
	uint64_t end = util_now_ns() + (uint64_t)DRAIN_MAX_MS * 1000000u;
	struct pollfd pf[MAX_LISTEN];

	listener_sweep(s);
	while (util_now_ns() < end) {
		for (unsigned i = 0; i < s->n; i++)
			pf[i] = (struct pollfd){.fd = s->ls[i].fd, .events = POLLIN};
		if (poll(pf, s->n, DRAIN_QUIET_MS) == 0)
			break;
		if (listener_sweep(s) == 0)
			break;
	}
}

pid_t victim_spawn_listeners(struct lab_shm *shm, const char *abstract_name, const char *path,
			     const char *marker, int ready_fd, int drain_fd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	static struct listener_set set;
	struct listener_set *s = &set;
	struct pollfd pf[MAX_LISTEN + 1];
	char name[108];

	if (pid != 0)
		return pid;
	pidns_die_with_parent(parent);
	util_name_role("listeners");
	s->marker = marker;
#define ADD(fd_, type_, counts_)                                                                   \
	do {                                                                                       \
		int f_ = (fd_);                                                                    \
		if (f_ < 0)                                                                        \
			_exit(PARITY_EXIT_INFRA);                                                  \
		s->ls[s->n++] = (struct listener){.fd = f_, .type = (type_), .counts = (counts_)}; \
	} while (0)
	ADD(abstract_listener(abstract_name, SOCK_STREAM), SOCK_STREAM, &shm->abstract_stream);
	snprintf(name, sizeof(name), "%s.dgram", abstract_name);
	ADD(abstract_listener(name, SOCK_DGRAM), SOCK_DGRAM, &shm->abstract_dgram);
	snprintf(name, sizeof(name), "%s.seqpacket", abstract_name);
	ADD(abstract_listener(name, SOCK_SEQPACKET), SOCK_SEQPACKET, &shm->abstract_seqpacket);
	if (path && *path) {
		ADD(path_listener(path, SOCK_STREAM), SOCK_STREAM, &shm->path_stream);
		snprintf(name, sizeof(name), "%s.dgram", path);
		ADD(path_listener(name, SOCK_DGRAM), SOCK_DGRAM, &shm->path_dgram);
		snprintf(name, sizeof(name), "%s.seqpacket", path);
		ADD(path_listener(name, SOCK_SEQPACKET), SOCK_SEQPACKET, &shm->path_seqpacket);
	}
	for (unsigned i = 0; i < victim_pod_tcp_nports; i++) {
		ADD(inet_listener(AF_INET, SOCK_STREAM, victim_pod_tcp_ports[i]), SOCK_STREAM,
		    &shm->pod_tcp);
		ADD(inet_listener(AF_INET6, SOCK_STREAM, victim_pod_tcp_ports[i]), SOCK_STREAM,
		    &shm->pod_tcp);
	}
	ADD(inet_listener(AF_INET, SOCK_DGRAM, 53), SOCK_DGRAM, &shm->pod_udp);
	ADD(inet_listener(AF_INET6, SOCK_DGRAM, 53), SOCK_DGRAM, &shm->pod_udp);
#undef ADD
	ready(ready_fd);

	for (;;) {
		unsigned npoll = s->n;
		for (unsigned i = 0; i < npoll; i++)
			pf[i] = (struct pollfd){.fd = s->ls[i].fd, .events = POLLIN};
		pf[npoll] = (struct pollfd){.fd = drain_fd, .events = POLLIN};
		if (poll(pf, npoll + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(PARITY_EXIT_INFRA);
		}
		/* Whatever woke us, serve everything that is ready. */
		listener_sweep(s);
		if ((pf[npoll].revents & POLLIN) && drain_requested(drain_fd)) {
			listener_drain(s);
			ack_drain(&shm->listeners);
		} else if (pf[npoll].revents & (POLLHUP | POLLERR)) {
			pause(); /* the pod is gone: wait for the parent-death signal */
		}
	}
}

void victim_poll_state(struct lab_victim_status *v)
{
	siginfo_t si;

	if (v->pid <= 0) {
		atomic_store(&v->state, VICTIM_NOT_STARTED);
		return;
	}
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)v->pid, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT) < 0 ||
	    si.si_pid == 0)
		return; /* still running as before */
	switch (si.si_code) {
	case CLD_STOPPED:
		atomic_store(&v->state, VICTIM_STOPPED);
		v->signal = si.si_status;
		break;
	case CLD_KILLED:
	case CLD_DUMPED:
		atomic_store(&v->state, VICTIM_KILLED);
		v->signal = si.si_status;
		break;
	case CLD_EXITED:
		atomic_store(&v->state, VICTIM_EXITED);
		break;
	default:
		break;
	}
}

static bool victim_settled(struct lab_victim_status *v)
{
	if (atomic_load(&v->drained))
		return true;
	victim_poll_state(v);
	return atomic_load(&v->state) != VICTIM_ALIVE;
}

bool victims_drain(struct lab_shm *shm, const int drain_w[3], int timeout_ms)
{
	struct lab_victim_status *v[3] = {&shm->signal_victim, &shm->sacrificial, &shm->listeners};
	uint64_t end = util_now_ns() + (uint64_t)timeout_ms * 1000000u;

	for (int i = 0; i < 3; i++) {
		atomic_store(&v[i]->drained, false);
		if (drain_w[i] < 0 || write(drain_w[i], "d", 1) != 1)
			atomic_store(&v[i]->drained, true); /* nothing to wait for */
	}
	for (;;) {
		bool all = true;
		for (int i = 0; i < 3; i++)
			all = victim_settled(v[i]) && all;
		if (all)
			return true;
		if (util_now_ns() >= end)
			return false;
		usleep(100);
	}
}
