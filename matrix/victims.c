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

pid_t victim_spawn_signal(struct lab_shm *shm, uid_t uid, gid_t gid, int ready_fd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	sigset_t all;
	int sfd;

	if (pid != 0)
		return pid;
	pidns_die_with_parent(parent);
	become(uid, gid);
	pidns_die_with_parent(parent);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	sfd = signalfd(-1, &all, SFD_CLOEXEC);
	if (sfd < 0)
		_exit(PARITY_EXIT_INFRA);
	ready(ready_fd);
	for (;;) {
		struct signalfd_siginfo si;
		ssize_t n = read(sfd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si))
			_exit(PARITY_EXIT_INFRA);
		if (si.ssi_signo < 65)
			atomic_fetch_add(&shm->signals[si.ssi_signo], 1);
		atomic_fetch_add(&shm->signals_total, 1);
		atomic_store(&shm->last_sender_pid, (int)si.ssi_pid);
	}
}

pid_t victim_spawn_sacrificial(uid_t uid, gid_t gid, int ready_fd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	sigset_t all;

	if (pid != 0)
		return pid;
	pidns_die_with_parent(parent);
	become(uid, gid);
	pidns_die_with_parent(parent);
	/* Catchable signals are blocked too: only SIGKILL and SIGSTOP, which
	 * nothing can block, change its state. Others are the signal victim's
	 * business. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	ready(ready_fd);
	for (;;)
		pause();
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

static int abstract_listener(const char *name, int type)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0 || len + 1 > sizeof(a.sun_path))
		return -1;
	memcpy(a.sun_path + 1, name, len);
	if (bind(fd, (struct sockaddr *)&a,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) < 0 ||
	    (type != SOCK_DGRAM && listen(fd, 64) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
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

pid_t victim_spawn_listeners(struct lab_shm *shm, const char *abstract_name, const char *marker,
			     int ready_fd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	struct listener ls[MAX_LISTEN];
	struct pollfd pf[MAX_LISTEN];
	unsigned n = 0;
	char name[108];
	char buf[4096];

	if (pid != 0)
		return pid;
	pidns_die_with_parent(parent);
#define ADD(fd_, type_, counts_)                                                                   \
	do {                                                                                       \
		int f_ = (fd_);                                                                    \
		if (f_ < 0)                                                                        \
			_exit(PARITY_EXIT_INFRA);                                                  \
		ls[n] = (struct listener){.fd = f_, .type = (type_), .counts = (counts_)};         \
		n++;                                                                               \
	} while (0)
	ADD(abstract_listener(abstract_name, SOCK_STREAM), SOCK_STREAM, &shm->abstract_stream);
	snprintf(name, sizeof(name), "%s.dgram", abstract_name);
	ADD(abstract_listener(name, SOCK_DGRAM), SOCK_DGRAM, &shm->abstract_dgram);
	snprintf(name, sizeof(name), "%s.seqpacket", abstract_name);
	ADD(abstract_listener(name, SOCK_SEQPACKET), SOCK_SEQPACKET, &shm->abstract_seqpacket);
	for (unsigned i = 0; i < victim_pod_tcp_nports; i++) {
		ADD(inet_listener(AF_INET, SOCK_STREAM, victim_pod_tcp_ports[i]), SOCK_STREAM,
		    &shm->pod_tcp);
		ADD(inet_listener(AF_INET6, SOCK_STREAM, victim_pod_tcp_ports[i]), SOCK_STREAM,
		    &shm->pod_tcp);
	}
	ADD(inet_listener(AF_INET, SOCK_DGRAM, 53), SOCK_DGRAM, &shm->pod_udp);
	ADD(inet_listener(AF_INET6, SOCK_DGRAM, 53), SOCK_DGRAM, &shm->pod_udp);
	ready(ready_fd);

	for (;;) {
		for (unsigned i = 0; i < n; i++)
			pf[i] = (struct pollfd){.fd = ls[i].fd, .events = POLLIN};
		if (poll(pf, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(PARITY_EXIT_INFRA);
		}
		for (unsigned i = 0; i < n; i++) {
			struct listener *l = &ls[i];
			ssize_t r;
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (l->type == SOCK_DGRAM || l->is_conn) {
				r = recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT);
				if (r > 0 && l->type == SOCK_DGRAM && !l->is_conn)
					atomic_fetch_add(&l->counts->connections, 1);
				note_data(l->counts, buf, r, marker);
				if (l->is_conn && (r == 0 || (r < 0 && errno != EAGAIN))) {
					close(l->fd);
					ls[i] = ls[--n];
				}
				continue;
			}
			int c = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (c < 0)
				continue;
			atomic_fetch_add(&l->counts->connections, 1);
			if (n < MAX_LISTEN)
				ls[n++] = (struct listener){
				    .fd = c, .type = l->type, .counts = l->counts, .is_conn = true};
			else
				close(c);
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
