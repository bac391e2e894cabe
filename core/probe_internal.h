/* probe_internal.h - shared by probe.c (the table, the in-process probes,
 * the run), probe_children.c (the probes that need a child of their own)
 * and probe_report.c (JSON and the table on a terminal). Not an interface:
 * see probe.h. */
#ifndef PARITY_PROBE_INTERNAL_H
#define PARITY_PROBE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe.h"

#ifndef IPPROTO_SMC
#define IPPROTO_SMC 256 /* Linux 6.11 */
#endif
#ifndef SMCPROTO_SMC
#define SMCPROTO_SMC 0
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SECCOMP_GET_ACTION_AVAIL
#define SECCOMP_GET_ACTION_AVAIL 2
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif

/* Every child together must finish within this; a hung child is killed and
 * its features become PROBE_ERROR. */
#define PROBE_CHILD_DEADLINE_MS 3000

/* getpgid() of a pid above PID_MAX_LIMIT is ESRCH natively, so EXDEV can
 * only come from our ERRNO filter and NOTIFY_REPLY only from our listener.
 * Two pids: stacked filters take the strongest action, and ERRNO beats
 * USER_NOTIF. */
#define SECCOMP_ERRNO_PID 0x7ffffff0L
#define SECCOMP_NOTIFY_PID 0x7ffffff1L
#define SECCOMP_PROBE_ERRNO EXDEV
#define NOTIFY_REPLY 4242
#define NOTIFY_WAIT_MS 1000

/* The foreign-ABI calls, as reasons name them. x32 syscalls are the x86_64
 * numbers with bit 30 set (getpid is 39); int $0x80 enters the i386 table
 * (getpid is 20). */
#define X32_CALL "syscall(0x40000000|39)"
#define IA32_CALL "int $0x80 (eax=20, getpid)"

/* A feature's state, errno and reason (printf). */
__attribute__((format(printf, 4, 5))) void
probe_feat_set(struct probe_feature *f, enum probe_state state, int err, const char *fmt, ...);
/* YES when rc >= 0, else NO with errno: "call: ok" / "call: EACCES". */
void probe_feat_from_rc(struct probe_feature *f, int rc, int err, const char *call);
void probe_feat_refused(struct probe_feature *f, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool probe_has_cap(const struct probe *p, int cap);
int probe_loopback_up(void);
void probe_not_root(struct probe_feature *f, const char *caps);
/* Sysctl value for a reason string: its value, or "absent". */
const char *probe_sysctl_str(const struct probe *p, enum probe_sysctl_id id);
struct probe_feature *probe_feature_mut(struct probe *p, size_t i);

/* ---- probes in this process (probe_inproc.c) ---- */

void probe_protocols(struct probe *p);
void probe_io_uring(struct probe *p);
void probe_tcp_fastopen(struct probe *p);
void probe_pidfd(struct probe *p);
void probe_mount_api(struct probe *p);
void probe_bpf_socket_filter(struct probe *p);
void probe_ptrace_attach(struct probe *p);

/* ---- probes in children (probe_children.c) ---- */

#define JOB_MAX_OUT 3

/* Runs in the child; fills res[0..n). Must not return on crash paths: the
 * parent turns a missing answer into PROBE_ERROR (or, for the syscall
 * entry probes, NO) using the wait status. */
typedef void (*probe_child_fn)(struct probe_feature *res, size_t n, const struct probe *p);

struct probe_job {
	const char *what; /* names the child in error reasons */
	pid_t pid;
	int fd; /* read end of the answer pipe */
	size_t nout;
	struct probe_feature *out[JOB_MAX_OUT];
	const char *killed_call; /* non-NULL: death by signal means NO (see job_finish) */
	int status;
	bool answered;
};

/* Fork the child running fn; its answer comes back over a pipe. */
int probe_job_start(struct probe_job *j, probe_child_fn fn, const struct probe *p, struct perr *e);
/* Wait for the child (killing it at the deadline) and copy its answer in;
 * a child that died without answering leaves PROBE_ERROR naming how. */
void probe_job_finish(struct probe_job *j, uint64_t deadline_ns);
void probe_job_abort(struct probe_job *j);

void probe_child_netns(struct probe_feature *res, size_t n, const struct probe *p);
void probe_child_userns(struct probe_feature *res, size_t n, const struct probe *p);
void probe_child_pidns(struct probe_feature *res, size_t n, const struct probe *p);
void probe_child_seccomp(struct probe_feature *res, size_t n, const struct probe *p);
void probe_child_landlock(struct probe_feature *res, size_t n, const struct probe *p);
void probe_child_tfo(struct probe_feature *res, size_t n, const struct probe *p);
void probe_child_x32(struct probe_feature *res, size_t n, const struct probe *p);
void probe_child_ia32(struct probe_feature *res, size_t n, const struct probe *p);

#endif
