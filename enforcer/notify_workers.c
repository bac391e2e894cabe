/* notify_workers.c - the notify supervisor's worker threads (see
 * notify_internal.h): blocking operations performed on the agent's behalf
 * (a connect or send on a blocking socket, platform-strict's AF_UNIX
 * pathname calls inside the agent's Landlock ruleset), so that the
 * supervisor's loop never waits on the agent's behalf. */
#include "notify_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/un.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "landlock_compat.h"

struct job *notify_job_new(void)
{
	struct job *j = calloc(1, sizeof(*j));
	if (j) {
		j->fd = -1;
		j->cwd_fd = -1;
		j->umask = -1;
	}
	return j;
}

void notify_job_free(struct job *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	if (j->cwd_fd >= 0)
		close(j->cwd_fd);
	for (size_t i = 0; i < j->npassed; i++)
		close(j->passed[i]);
	free(j->data);
	free(j->control);
	free(j);
}

/* Send what is left, blocking as the child's own call would have. */
long notify_job_send(struct job *j, int extra_flags, int *err)
{
	struct iovec iov = {j->data + j->done, j->len - j->done};
	struct msghdr mh = {.msg_name = j->alen ? &j->addr : NULL,
			    .msg_namelen = j->alen,
			    .msg_iov = &iov,
			    .msg_iovlen = 1};
	ssize_t n;

	/* Control data goes with the first byte only, as the kernel sends it. */
	if (j->done == 0 && j->controllen) {
		mh.msg_control = j->control;
		mh.msg_controllen = j->controllen;
	}
	/* MSG_NOSIGNAL: a SIGPIPE would hit the supervisor, not the child
	 * (the child sees EPIPE without the signal; docs/notify.md). */
	n = sendmsg(j->fd, &mh, j->flags | MSG_NOSIGNAL | extra_flags);
	*err = n < 0 ? errno : 0;
	return n;
}

/* path is beneath one of the reach paths (or is one) */
static bool beneath_reach(const struct notify_supervisor *s, const char *path)
{
	for (unsigned i = 0; i < s->nreach; i++) {
		size_t n = strlen(s->reach[i]);
		if (strncmp(path, s->reach[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '/' || (n == 1 && s->reach[i][0] == '/')))
			return true;
	}
	return false;
}

/* A pathname socket the agent wants to reach (connect, or a datagram sent
 * to it): allowed only beneath its read-write paths, as Landlock ABI 9's
 * RESOLVE_UNIX would allow it with its rules; below ABI 9 the kernel checks
 * nothing (attack A08: the system bus, docker.sock under /run). Called in
 * the worker, inside the agent's ruleset and cwd. The path is opened once
 * (O_PATH, following links as connect does), the socket it names is
 * checked by where it really is, and the call then reaches it through
 * /proc/self/fd/N: the inode checked, whatever the path names by then.
 * 0 with j->addr rewritten and *opath to close after the call, or the
 * errno the agent gets (EACCES, as Landlock's). A non-pathname address is
 * left as it is. */
static int unix_reach(const struct notify_supervisor *s, struct job *j, int *opath)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&j->addr;
	size_t off = offsetof(struct sockaddr_un, sun_path), n;
	char path[sizeof(sun->sun_path) + 1], proc[64], real[PATH_MAX];
	struct stat st;
	ssize_t r;
	int fd, len;

	*opath = -1;
	if (sun->sun_family != AF_UNIX || j->alen <= off || sun->sun_path[0] == '\0')
		return 0;
	n = j->alen - off;
	if (n > sizeof(sun->sun_path))
		return EINVAL; /* refused before (notify_strict_address): never copied */
	memcpy(path, sun->sun_path, n);
	path[n] = '\0'; /* sun_path need not end in a NUL */
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	/* The kernel's order: write permission on the inode, then its type. */
	if (faccessat(AT_FDCWD, proc, W_OK, AT_EACCESS) < 0) {
		int err = errno;
		close(fd);
		return err;
	}
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		close(fd);
		return ECONNREFUSED; /* what connect says of a file that is not a socket */
	}
	r = readlink(proc, real, sizeof(real) - 1);
	if (r <= 0 || (size_t)r >= sizeof(real) - 1) {
		close(fd);
		return EACCES;
	}
	real[r] = '\0';
	if (!beneath_reach(s, real)) {
		close(fd);
		return EACCES;
	}
	memset(sun->sun_path, 0, sizeof(sun->sun_path));
	len = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", proc);
	j->alen = (socklen_t)(off + (size_t)len + 1);
	*opath = fd;
	return 0;
}

/* Whether the kernel resolves j's address: a connect always; a send only
 * on a datagram socket (a stream or seqpacket send with a name fails with
 * EISCONN or EOPNOTSUPP, the name unread). */
static bool resolves_name(const struct job *j)
{
	int type = 0;
	socklen_t tl = sizeof(type);

	if (j->op == OP_CONNECT_UNIX)
		return true;
	return getsockopt(j->fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type == SOCK_DGRAM;
}

static void job_run(struct job *j, struct seccomp_notif_resp *resp, bool in_domain)
{
	struct notify_supervisor *s = j->s;
	long val = 0;
	int err = 0, opath = -1;

	if (j->domain) {
		/* Never act on the agent's behalf outside its own rules: a worker
		 * that could not take the ruleset refuses (closed). */
		if (!in_domain || (j->cwd_fd >= 0 && fchdir(j->cwd_fd) < 0)) {
			err = EPERM;
			goto answer;
		}
		if (j->umask >= 0)
			umask((mode_t)j->umask);
		if (j->op != OP_BIND && j->alen && resolves_name(j) &&
		    (err = unix_reach(s, j, &opath)) != 0)
			goto answer;
	}
	if (j->op == OP_BIND) {
		err = bind(j->fd, (struct sockaddr *)&j->addr, j->alen) < 0 ? errno : 0;
	} else if (j->op == OP_CONNECT_UNIX) {
		/* The file's own blocking mode: a blocking connect waits here,
		 * in the worker, as the agent's would (up to SO_SNDTIMEO). */
		err = connect(j->fd, (struct sockaddr *)&j->addr, j->alen) < 0 ? errno : 0;
	} else if (j->op == OP_CONNECT) {
		/* The connect is in progress: wait as the child's blocking call
		 * would, up to its SO_SNDTIMEO (then EINPROGRESS, as Linux says). */
		struct timeval tv = {0, 0};
		socklen_t tl = sizeof(tv), el = sizeof(err);
		struct pollfd pw = {.fd = j->fd, .events = POLLOUT};
		int timeout = -1, r;
		if (getsockopt(j->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &tl) == 0 &&
		    (tv.tv_sec || tv.tv_usec))
			timeout = (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
		while ((r = poll(&pw, 1, timeout)) < 0 && errno == EINTR)
			;
		if (r == 0)
			err = EINPROGRESS;
		else if (getsockopt(j->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
	} else {
		for (;;) {
			long n = notify_job_send(j, 0, &err);
			if (n < 0) {
				if (err == EINTR)
					continue;
				break;
			}
			j->done += (size_t)n;
			if (j->done >= j->len || n == 0)
				break;
		}
		/* Bytes already sent are what the child's send returns. */
		if (j->done > 0)
			err = 0;
		val = (long)j->done;
	}
answer:
	if (opath >= 0)
		close(opath);
	/* Our references first (see answer()). */
	close(j->fd);
	j->fd = -1;
	for (size_t i = 0; i < j->npassed; i++)
		close(j->passed[i]);
	j->npassed = 0;
	notify_respond(s, resp, j->id, val, err, false);
	pthread_mutex_lock(&s->mu);
	s->st.allowed++;
	pthread_mutex_unlock(&s->mu);
}

/* The strict policy's workers act inside the agent's rules: a cwd of their
 * own (unshare CLONE_FS: cwd and umask become per thread), then the agent's
 * Landlock ruleset on this thread only (no TSYNC). The supervisor's other
 * threads, which need ptrace access to the agent, stay outside. */
static bool worker_enter_domain(struct notify_supervisor *s)
{
	if (!s->strict)
		return false;
	if (unshare(CLONE_FS) < 0)
		return false;
	/* No ruleset (no Landlock at the effective ABI): the agent has no
	 * rules either, so the own cwd and umask are all there is to carry. */
	if (s->domain_fd < 0)
		return !s->domain_required;
	return ll_restrict_self(s->domain_fd, 0) == 0;
}

static void *worker_main(void *arg)
{
	struct notify_supervisor *s = arg;
	struct seccomp_notif_resp *resp = NULL;
	sigset_t all;
	unsigned slot = 0;
	bool in_domain;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	in_domain = worker_enter_domain(s);
	if (seccomp_notify_alloc(NULL, &resp) < 0)
		resp = NULL;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct job *j;
		while (!s->head && !s->stopping) {
			s->idle++;
			pthread_cond_wait(&s->work, &s->mu);
			s->idle--;
		}
		if (!s->head)
			break;
		j = s->head;
		s->head = j->next;
		if (!s->head)
			s->tail = NULL;
		s->queued--;
		for (slot = 0; slot < NOTIFY_MAX_WORKERS && s->running[slot]; slot++)
			;
		s->running[slot] = j;
		s->busy++;
		bool run = resp && !s->stopping;
		pthread_mutex_unlock(&s->mu);
		if (run) {
			job_run(j, resp, in_domain);
		} else if (!resp) {
			/* No response buffer (ENOMEM): answer anyway, or the
			 * caller would wait until the listener closes. At
			 * stop the listener's close answers what is left. */
			struct seccomp_notif_resp r;
			notify_respond(s, &r, j->id, 0, ENOMEM, false);
		}
		pthread_mutex_lock(&s->mu);
		s->running[slot] = NULL;
		s->busy--;
		notify_job_free(j);
	}
	s->workers--;
	pthread_cond_broadcast(&s->exited);
	pthread_mutex_unlock(&s->mu);
	if (resp)
		seccomp_notify_free(NULL, resp);
	return NULL;
}

/* Queue a blocking operation; -1 when every worker is taken (fail closed). */
int notify_job_submit(struct notify_supervisor *s, struct job *j)
{
	int rc = 0;

	pthread_mutex_lock(&s->mu);
	if (s->idle <= s->queued) {
		pthread_t th;
		pthread_attr_t at;
		if (s->workers >= NOTIFY_MAX_WORKERS) {
			rc = -1;
			goto out;
		}
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&at, 256 * 1024);
		if (pthread_create(&th, &at, worker_main, s) != 0) {
			pthread_attr_destroy(&at);
			rc = -1;
			goto out;
		}
		pthread_attr_destroy(&at);
		s->workers++;
		if (s->workers > s->st.workers_peak)
			s->st.workers_peak = s->workers;
	}
	j->next = NULL;
	if (s->tail)
		s->tail->next = j;
	else
		s->head = j;
	s->tail = j;
	s->queued++;
	pthread_cond_signal(&s->work);
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}
