/* notify.c - seccomp user-notification mediation (see notify.h and
 * docs/notify.md): the supervisor's life, from the listener the agent hands
 * over to its stop. What it does with each notification is in
 * notify_handle.c, its worker threads for blocking operations in
 * notify_workers.c, the frozen allowlist and the sockaddr parser in
 * notify_allowlist.c, the filter and its loading in the agent in
 * notify_filter.c, platform-strict's decisions in notify_strict.c. */
#include "notify.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
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
	    "strict: listen",	       "strict: signal",       "send flag not performed"};
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

/* Counters the workers touch too. */
void notify_bump(struct notify_supervisor *s, unsigned long *c)
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
		notify_bump(s, &s->st.stale);
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

int notify_supervisor_set_unix_reach(struct notify_supervisor *s, const char *const *paths,
				     unsigned n)
{
	free(s->reach);
	s->nreach = 0;
	s->reach = n ? calloc(n, sizeof(*s->reach)) : NULL;
	if (n && !s->reach)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (paths[i] && realpath(paths[i], s->reach[s->nreach]))
			s->nreach++;
	return (int)s->nreach;
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
	free(s->reach);
	free(s);
}
