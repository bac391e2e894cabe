/* notify_internal.h - shared by notify.c (the supervisor), notify_handle.c
 * (each notification) and notify_workers.c (its worker threads). Not an
 * interface: see notify.h. */
#ifndef PARITY_NOTIFY_INTERNAL_H
#define PARITY_NOTIFY_INTERNAL_H

#include <limits.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "notify.h"
#include "notify_strict.h"

/* One send is copied out of the child at most this big: a stream socket
 * sends the first NOTIFY_MAX_COPY bytes (a short count, which stream
 * callers handle); a datagram that large is refused with EMSGSIZE. */
#define NOTIFY_MAX_COPY (1u << 20)
/* Control data larger than this would be refused by the kernel anyway
 * (net.core.optmem_max is 20-128 KiB). */
#define NOTIFY_MAX_CONTROL 65536u
/* Blocking operations (a connect or send on a blocking socket) run in
 * worker threads so the supervisor's loop never waits on the child's
 * behalf. Beyond this many in flight, new ones are refused (EAGAIN). */
#define NOTIFY_MAX_WORKERS 64
/* pidfds kept per thread id (direct-mapped): opening and closing one per
 * notification cost 4.6 us of each mediated call. */
#define NOTIFY_PIDFD_CACHE 64
/* SCM_MAX_FD: the most fds one SCM_RIGHTS message may carry. */
#define NOTIFY_MAX_PASSED 253

enum reason {
	R_NOT_ALLOWED,
	R_FAMILY,
	R_SHORT,
	R_READ,
	R_NOT_SOCKET,
	R_GETFD,
	R_ARCH,
	R_OTHER_SYSCALL,
	R_STRICT_ADDRESS,
	R_STRICT_LISTEN,
	R_STRICT_SIGNAL,
	R_FLAGS,
	R_COUNT
};

/* OP_BIND and OP_CONNECT_UNIX are the strict policy's AF_UNIX pathname
 * operations, performed whole by a worker inside the agent's ruleset. */
enum op { OP_CONNECT, OP_SEND, OP_BIND, OP_CONNECT_UNIX };

struct job {
	struct notify_supervisor *s;
	uint64_t id;
	uint64_t t0_ns;
	enum op op;
	int fd; /* our duplicate of the child's socket */
	struct sockaddr_storage addr;
	socklen_t alen; /* 0: no address */
	uint8_t *data;
	size_t len, done;
	bool truncated; /* the child asked for more than NOTIFY_MAX_COPY */
	uint8_t *control;
	size_t controllen;
	int passed[NOTIFY_MAX_PASSED];
	size_t npassed;
	int flags;
	/* strict, AF_UNIX pathname: run in a worker that carries the agent's
	 * Landlock ruleset, from the agent's cwd and with its umask */
	bool domain;
	int cwd_fd; /* O_PATH of the agent's cwd, or -1 (absolute path) */
	int umask;  /* the agent's, or -1 */
	struct job *next;
};

struct notify_supervisor {
	int listener;
	const struct notify_allowlist *al;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	int nr_connect, nr_bind, nr_sendto, nr_sendmsg, nr_recvfrom, nr_recvmsg;
	/* the strict policy (notify_supervisor_set_strict) */
	bool strict;
	struct notify_strict_tree tree;
	int domain_fd;	      /* the agent's Landlock ruleset, for the workers; -1 */
	bool domain_required; /* a ruleset is in force: never act outside it */
	/* Where the agent may reach a pathname socket (connect, or a datagram
	 * sent to a path): beneath these, its read-write paths, resolved
	 * (notify_supervisor_set_unix_reach). */
	char (*reach)[PATH_MAX];
	unsigned nreach;
	int nr_listen, nr_kill, nr_tkill, nr_tgkill, nr_sigqueue, nr_tgsigqueue;
	pthread_mutex_t mu;
	pthread_cond_t work, exited;
	struct job *head, *tail;
	struct job *running[NOTIFY_MAX_WORKERS];
	unsigned workers, idle, queued, busy;
	bool stopping;
	struct notify_stats st;
	struct {
		pid_t tid;
		int fd; /* -1: empty */
	} pidfds[NOTIFY_PIDFD_CACHE];
	bool sync_wakeup; /* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP is set */
};

/* Count c under the lock (the workers count too). */
void notify_bump(struct notify_supervisor *s, unsigned long *c);
/* Answer notification id with val/-err (cont: SECCOMP_USER_NOTIF_FLAG_CONTINUE);
 * a stale id only counts. */
void notify_respond(struct notify_supervisor *s, struct seccomp_notif_resp *resp, uint64_t id,
		    long val, int err, bool cont);

/* A job with no fds yet (-1); freed with its fds and buffers. */
struct job *notify_job_new(void);
void notify_job_free(struct job *j);
/* sendmsg what is left of j (control data with the first byte only),
 * MSG_NOSIGNAL; *err: errno, 0 on success. */
long notify_job_send(struct job *j, int extra_flags, int *err);
/* Queue a blocking operation for a worker (one is started when none is
 * idle); -1 when NOTIFY_MAX_WORKERS are taken: the caller refuses the
 * call (fail closed). */
int notify_job_submit(struct notify_supervisor *s, struct job *j);

#endif
