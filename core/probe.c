/* probe.c - the kernel probe (see probe.h): every item decided by doing it.
 *
 * Order of work in probe_run(): identity and sysctls first (the capability
 * sets decide which root-only probes run, the sysctls explain refusals),
 * then the Landlock ABI; then every probe that needs a child (namespaces,
 * filters, foreign syscall entry points) is forked at once, the in-process
 * probes (sockets, io_uring, TCP Fast Open, pidfds) run while the children
 * work, and the children are collected last under one deadline.
 */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/seccomp.h>
#include <liburing.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "landlock_compat.h"
#include "util.h"

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

/* ---------------------------------------------------------------- names */

const char *probe_state_name(enum probe_state s)
{
	switch (s) {
	case PROBE_YES:
		return "yes";
	case PROBE_NO:
		return "no";
	case PROBE_ERROR:
		return "error";
	case PROBE_NOT_PROBED:
		break;
	}
	return "not_probed";
}

const char *probe_landlock_status_name(enum probe_landlock_status s)
{
	switch (s) {
	case PROBE_LL_ENABLED:
		return "enabled";
	case PROBE_LL_NOT_BUILT:
		return "not_built";
	case PROBE_LL_DISABLED:
		return "disabled";
	case PROBE_LL_BLOCKED:
		return "blocked";
	case PROBE_LL_ERROR:
		break;
	}
	return "error";
}

static const struct {
	const char *name;
	uint32_t action;
} seccomp_actions[PROBE_SECCOMP_NACTIONS] = {
    [PROBE_SECCOMP_KILL_PROCESS] = {"kill_process", SECCOMP_RET_KILL_PROCESS},
    [PROBE_SECCOMP_KILL_THREAD] = {"kill_thread", SECCOMP_RET_KILL_THREAD},
    [PROBE_SECCOMP_TRAP] = {"trap", SECCOMP_RET_TRAP},
    [PROBE_SECCOMP_ERRNO] = {"errno", SECCOMP_RET_ERRNO},
    [PROBE_SECCOMP_USER_NOTIF] = {"user_notif", SECCOMP_RET_USER_NOTIF},
    [PROBE_SECCOMP_TRACE] = {"trace", SECCOMP_RET_TRACE},
    [PROBE_SECCOMP_LOG] = {"log", SECCOMP_RET_LOG},
    [PROBE_SECCOMP_ALLOW] = {"allow", SECCOMP_RET_ALLOW},
};

const char *probe_seccomp_action_name(enum probe_seccomp_action a)
{
	return (unsigned)a < PROBE_SECCOMP_NACTIONS ? seccomp_actions[a].name : "unknown";
}

static const char *const sysctl_names[PROBE_SYSCTL_COUNT] = {
    [PROBE_SYSCTL_TCP_FASTOPEN] = "net.ipv4.tcp_fastopen",
    [PROBE_SYSCTL_MPTCP_ENABLED] = "net.mptcp.enabled",
    [PROBE_SYSCTL_PING_GROUP_RANGE] = "net.ipv4.ping_group_range",
    [PROBE_SYSCTL_YAMA_PTRACE_SCOPE] = "kernel.yama.ptrace_scope",
    [PROBE_SYSCTL_UNPRIVILEGED_BPF_DISABLED] = "kernel.unprivileged_bpf_disabled",
    [PROBE_SYSCTL_IO_URING_DISABLED] = "kernel.io_uring_disabled",
    [PROBE_SYSCTL_MAX_USER_NAMESPACES] = "user.max_user_namespaces",
    [PROBE_SYSCTL_LEGACY_TIOCSTI] = "dev.tty.legacy_tiocsti",
};

const char *probe_sysctl_name(enum probe_sysctl_id id)
{
	return (unsigned)id < PROBE_SYSCTL_COUNT ? sysctl_names[id] : "unknown";
}

/* ------------------------------------------------------------- errata */

static const struct probe_erratum errata[] = {
    {1, 1U << 0, 4, "tcp_socket_identification",
     "TCP rights restrict only TCP: MPTCP, SCTP and SMC stream sockets escape them"},
    {2, 1U << 1, 6, "scoped_signal",
     "signals between threads of one process are always allowed under the signal scope"},
    {3, 1U << 2, 1, "disconnected_directory",
     "rename/link via disconnected directories can no longer widen access (REFER)"},
};

const struct probe_erratum *probe_erratum_by_bit(unsigned bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(errata); i++)
		if (errata[i].bit == bit)
			return &errata[i];
	return NULL;
}

size_t probe_errata_decode(unsigned mask, const struct probe_erratum **out, size_t max,
			   unsigned *unknown)
{
	size_t n = 0;
	unsigned rest = 0;

	for (unsigned b = 0; b < 32; b++) {
		unsigned bit = 1U << b;
		const struct probe_erratum *er;

		if (!(mask & bit))
			continue;
		er = probe_erratum_by_bit(bit);
		if (!er)
			rest |= bit;
		else if (n < max)
			out[n++] = er;
	}
	if (unknown)
		*unknown = rest;
	return n;
}

/* ----------------------------------------------------- feature table */

#define FEATURE(p, l, member)                                                                      \
	{                                                                                          \
		p, l, offsetof(struct probe, member)                                               \
	}
#define ACTION(name, idx) FEATURE("seccomp.actions." name, "action " name, seccomp.actions[idx])

static const struct probe_feature_desc feature_descs[] = {
    FEATURE("landlock.restrict_self", "restrict_self", landlock.restrict_self),
    FEATURE("landlock.tfo_checked", "tfo_checked", landlock.tfo_checked),
    FEATURE("seccomp.available", "available", seccomp.available),
    ACTION("kill_process", PROBE_SECCOMP_KILL_PROCESS),
    ACTION("kill_thread", PROBE_SECCOMP_KILL_THREAD),
    ACTION("trap", PROBE_SECCOMP_TRAP),
    ACTION("errno", PROBE_SECCOMP_ERRNO),
    ACTION("user_notif", PROBE_SECCOMP_USER_NOTIF),
    ACTION("trace", PROBE_SECCOMP_TRACE),
    ACTION("log", PROBE_SECCOMP_LOG),
    ACTION("allow", PROBE_SECCOMP_ALLOW),
    FEATURE("seccomp.filter", "filter", seccomp.filter),
    FEATURE("seccomp.user_notif", "user_notif", seccomp.user_notif),
    FEATURE("seccomp.pidfd_open", "pidfd_open", seccomp.pidfd_open),
    FEATURE("seccomp.pidfd_getfd", "pidfd_getfd", seccomp.pidfd_getfd),
    FEATURE("namespaces.user", "user", ns.user),
    FEATURE("namespaces.net", "net", ns.net),
    FEATURE("namespaces.pid", "pid", ns.pid),
    FEATURE("namespaces.veth", "veth", ns.veth),
    FEATURE("namespaces.nftables", "nftables", ns.nftables),
    FEATURE("protocols.mptcp", "mptcp", proto.mptcp),
    FEATURE("protocols.sctp_stream", "sctp_stream", proto.sctp_stream),
    FEATURE("protocols.sctp_seqpacket", "sctp_seqpacket", proto.sctp_seqpacket),
    FEATURE("protocols.smc", "smc", proto.smc),
    FEATURE("protocols.smc_ipproto", "smc_ipproto", proto.smc_ipproto),
    FEATURE("protocols.vsock_stream", "vsock_stream", proto.vsock_stream),
    FEATURE("protocols.vsock_dgram", "vsock_dgram", proto.vsock_dgram),
    FEATURE("protocols.udplite", "udplite", proto.udplite),
    FEATURE("protocols.ping_v4", "ping_v4", proto.ping_v4),
    FEATURE("protocols.ping_v6", "ping_v6", proto.ping_v6),
    FEATURE("protocols.raw_v4", "raw_v4", proto.raw_v4),
    FEATURE("protocols.raw_v6", "raw_v6", proto.raw_v6),
    FEATURE("protocols.packet", "packet", proto.packet),
    FEATURE("entry_points.io_uring", "io_uring", entry.io_uring),
    FEATURE("entry_points.io_uring_socket", "io_uring_socket", entry.io_uring_socket),
    FEATURE("entry_points.x32", "x32", entry.x32),
    FEATURE("entry_points.ia32", "ia32", entry.ia32),
    FEATURE("entry_points.tcp_fastopen_client", "tcp_fastopen_client", entry.tcp_fastopen_client),
    FEATURE("entry_points.mptcp_fastopen_client", "mptcp_fastopen_client",
	    entry.mptcp_fastopen_client),
};

size_t probe_feature_count(void)
{
	return ARRAY_SIZE(feature_descs);
}

const struct probe_feature_desc *probe_feature_desc_at(size_t i)
{
	return i < ARRAY_SIZE(feature_descs) ? &feature_descs[i] : NULL;
}

const struct probe_feature *probe_feature_at(const struct probe *p, size_t i)
{
	if (i >= ARRAY_SIZE(feature_descs))
		return NULL;
	return (const struct probe_feature *)((const char *)p + feature_descs[i].offset);
}

static struct probe_feature *feature_mut(struct probe *p, size_t i)
{
	return (struct probe_feature *)((char *)p + feature_descs[i].offset);
}

const struct probe_feature *probe_find(const struct probe *p, const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(feature_descs); i++)
		if (strcmp(feature_descs[i].path, path) == 0)
			return probe_feature_at(p, i);
	return NULL;
}

/* ------------------------------------------------------------ helpers */

__attribute__((format(printf, 4, 5))) static void
feat_set(struct probe_feature *f, enum probe_state state, int err, const char *fmt, ...)
{
	va_list ap;

	f->state = state;
	f->err = err;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
}

/* YES when rc >= 0, else NO with errno: "call: ok" / "call: EACCES". */
static void feat_from_rc(struct probe_feature *f, int rc, int err, const char *call)
{
	if (rc >= 0)
		feat_set(f, PROBE_YES, 0, "%s: ok", call);
	else
		feat_set(f, PROBE_NO, err, "%s: %s", call, util_errname(err));
}

static bool has_cap(const struct probe *p, int cap)
{
	return cap >= 0 && cap < 64 && (p->sys.cap_eff >> cap) & 1;
}

static void not_root(struct probe_feature *f, const char *caps)
{
	feat_set(f, PROBE_NOT_PROBED, 0, "not probed: needs root (%s)", caps);
}

/* Sysctl value for a reason string: its value, or "absent". */
static const char *sysctl_str(const struct probe *p, enum probe_sysctl_id id)
{
	const struct probe_sysctl *s = &p->sysctl[id];
	if (s->present)
		return s->value;
	return s->err == ENOENT ? "absent" : "unreadable";
}

/* ----------------------------------------------------- identity, sysctls */

static void probe_system(struct probe *p)
{
	struct probe_system *s = &p->sys;
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	struct utsname u;
	char *status;
	int c;

	if (uname(&u) == 0) {
		snprintf(s->release, sizeof(s->release), "%s", u.release);
		snprintf(s->version, sizeof(s->version), "%s", u.version);
		snprintf(s->machine, sizeof(s->machine), "%s", u.machine);
	}
	s->uid = getuid();
	s->euid = geteuid();
	s->gid = getgid();
	s->egid = getegid();

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == 0) {
		s->cap_eff = (uint64_t)data[1].effective << 32 | data[0].effective;
		s->cap_prm = (uint64_t)data[1].permitted << 32 | data[0].permitted;
		s->cap_inh = (uint64_t)data[1].inheritable << 32 | data[0].inheritable;
	}
	/* The bounding set is read one capability at a time; the first
	 * EINVAL is one past the highest capability this kernel knows. */
	for (c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			break;
		if (r == 1)
			s->cap_bnd |= 1ULL << c;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1)
			s->cap_amb |= 1ULL << c;
	}
	s->cap_last_cap = c - 1;

	s->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	if (s->no_new_privs < 0)
		s->no_new_privs = -1;
	s->seccomp_mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	if (s->seccomp_mode < 0)
		s->seccomp_mode = -1;
	s->seccomp_filters = -1;
	status = util_read_file("/proc/self/status", NULL, NULL);
	if (status) {
		const char *line = strstr(status, "\nSeccomp_filters:");
		long v;
		if (line) {
			char num[16] = "";
			sscanf(line + strlen("\nSeccomp_filters:"), "%15s", num);
			if (util_parse_long(num, 0, 1L << 30, &v) == 0)
				s->seccomp_filters = (int)v;
		}
		free(status);
	}
}

static void probe_sysctls(struct probe *p)
{
	for (int i = 0; i < PROBE_SYSCTL_COUNT; i++) {
		struct probe_sysctl *s = &p->sysctl[i];
		char path[128], raw[sizeof(s->value)];
		size_t o = 0;
		int r;

		snprintf(path, sizeof(path), "/proc/sys/%s", sysctl_names[i]);
		for (char *c = path + strlen("/proc/sys/"); *c; c++)
			if (*c == '.')
				*c = '/';
		r = util_read_text(path, raw, sizeof(raw));
		s->present = r == 0;
		s->err = r < 0 ? -r : 0;
		s->value[0] = 0;
		if (r < 0)
			continue;
		/* "1\t0" (ping_group_range) reads better and compares more
		 * easily as "1 0". */
		for (const char *c = raw; *c && o + 1 < sizeof(s->value); c++) {
			bool space = *c == ' ' || *c == '\t' || *c == '\n';
			if (space && (o == 0 || s->value[o - 1] == ' '))
				continue;
			s->value[o++] = space ? ' ' : *c;
		}
		while (o > 0 && s->value[o - 1] == ' ')
			o--;
		s->value[o] = 0;
	}
}

/* ---------------------------------------------------------- Landlock */

int probe_landlock_abi(int *abi, int *err)
{
	int r = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	if (r < 0) {
		*abi = -1;
		*err = errno;
		return -1;
	}
	*abi = r;
	*err = 0;
	return 0;
}

int probe_landlock_errata(unsigned *mask, int *err)
{
	int r = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_ERRATA);

	if (r < 0) {
		*err = errno;
		return -1;
	}
	*mask = (unsigned)r;
	*err = 0;
	return 0;
}

enum probe_landlock_status probe_landlock_status_of(int err)
{
	switch (err) {
	case 0:
		return PROBE_LL_ENABLED;
	case ENOSYS:
		return PROBE_LL_NOT_BUILT;
	case EOPNOTSUPP:
		return PROBE_LL_DISABLED;
	case EPERM:
		return PROBE_LL_BLOCKED;
	default:
		return PROBE_LL_ERROR;
	}
}

static void probe_landlock(struct probe *p)
{
	struct probe_landlock *l = &p->landlock;
	static const char *const why[] = {
	    [PROBE_LL_ENABLED] = "",
	    [PROBE_LL_NOT_BUILT] = " (kernel built without Landlock)",
	    [PROBE_LL_DISABLED] = " (built in but not enabled: lsm= / CONFIG_LSM)",
	    [PROBE_LL_BLOCKED] = " (refused by a seccomp filter around this process)",
	    [PROBE_LL_ERROR] = "",
	};
	int abi, err;

	probe_landlock_abi(&abi, &err);
	l->status = probe_landlock_status_of(err);
	l->err = err;
	l->abi = abi > 0 ? abi : 0;
	if (l->status == PROBE_LL_ENABLED)
		snprintf(l->reason, sizeof(l->reason),
			 "landlock_create_ruleset(NULL,0,VERSION) = %d", abi);
	else
		snprintf(l->reason, sizeof(l->reason),
			 "landlock_create_ruleset(NULL,0,VERSION): %s%s", util_errname(err),
			 why[l->status]);

	l->errata = 0;
	l->errata_supported = false;
	if (l->status != PROBE_LL_ENABLED) {
		l->errata_err = err;
		snprintf(l->errata_reason, sizeof(l->errata_reason), "not asked: Landlock is %s",
			 probe_landlock_status_name(l->status));
		return;
	}
	/* Asked whatever the ABI: the interface came with ABI 7 but stable
	 * trees may carry it on older ABIs. */
	if (probe_landlock_errata(&l->errata, &l->errata_err) == 0) {
		l->errata_supported = true;
		snprintf(l->errata_reason, sizeof(l->errata_reason),
			 "landlock_create_ruleset(NULL,0,ERRATA) = 0x%x", l->errata);
	} else {
		snprintf(l->errata_reason, sizeof(l->errata_reason),
			 "landlock_create_ruleset(NULL,0,ERRATA): %s%s",
			 util_errname(l->errata_err),
			 l->errata_err == EINVAL ? " (no errata interface on this kernel)" : "");
	}
}

/* ----------------------------------------------------- child machinery */

#define JOB_MAX_OUT 3

/* Runs in the child; fills res[0..n). Must not return on crash paths: the
 * parent turns a missing answer into PROBE_ERROR (or, for the syscall
 * entry probes, NO) using the wait status. */
typedef void (*child_fn)(struct probe_feature *res, size_t n, const struct probe *p);

struct job {
	const char *what; /* names the child in error reasons */
	pid_t pid;
	int fd; /* read end of the answer pipe */
	size_t nout;
	struct probe_feature *out[JOB_MAX_OUT];
	const char *killed_call; /* non-NULL: death by signal means NO (see job_finish) */
	int status;
	bool answered;
};

static int job_start(struct job *j, child_fn fn, const struct probe *p, struct perr *e)
{
	int pfd[2];

	j->pid = -1;
	j->fd = -1;
	j->answered = false;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return perr_sys(e, errno, "probe %s: pipe", j->what);
	j->pid = fork();
	if (j->pid < 0) {
		int err = errno;
		close(pfd[0]);
		close(pfd[1]);
		return perr_sys(e, err, "probe %s: fork", j->what);
	}
	if (j->pid == 0) {
		struct probe_feature res[JOB_MAX_OUT];

		close(pfd[0]);
		memset(res, 0, sizeof(res));
		for (size_t i = 0; i < j->nout; i++)
			feat_set(&res[i], PROBE_ERROR, 0, "%s: probe child gave no answer",
				 j->what);
		fn(res, j->nout, p);
		/* One write below PIPE_BUF: atomic, never blocks. */
		_exit(util_write_all(pfd[1], res, j->nout * sizeof(res[0])) < 0 ? 1 : 0);
	}
	close(pfd[1]);
	j->fd = pfd[0];
	fcntl(j->fd, F_SETFL, O_NONBLOCK);
	return 0;
}

/* Wait for the child (killing it at the deadline) and copy its answer into
 * the struct probe; a child that died without answering leaves PROBE_ERROR
 * naming how it ended. */
static void job_finish(struct job *j, uint64_t deadline_ns)
{
	struct probe_feature res[JOB_MAX_OUT];
	uint64_t now = util_now_ns();
	int left = deadline_ns > now ? (int)((deadline_ns - now) / 1000000u) + 1 : 1;
	bool timed_out = false;
	char how[64];
	ssize_t n;

	if (j->pid <= 0)
		return;
	j->status = util_wait_timeout(j->pid, left, &timed_out);
	j->pid = -1;
	n = read(j->fd, res, j->nout * sizeof(res[0]));
	close(j->fd);
	j->fd = -1;
	if (n == (ssize_t)(j->nout * sizeof(res[0])) && !timed_out) {
		for (size_t i = 0; i < j->nout; i++) {
			*j->out[i] = res[i];
			j->out[i]->reason[sizeof(j->out[i]->reason) - 1] = 0;
		}
		j->answered = true;
		return;
	}
	/* A foreign-ABI entry that kills its caller (SIGSEGV: no IA32
	 * emulation; SIGSYS: a seccomp filter around us) is a "no". */
	if (!timed_out && j->killed_call && j->status >= 0 && WIFSIGNALED(j->status)) {
		int sig = WTERMSIG(j->status);
		feat_set(j->out[0], PROBE_NO, 0, "%s: child killed by SIG%s%s", j->killed_call,
			 util_signame(sig),
			 sig == SIGSEGV	 ? " (IA32 emulation off)"
			 : sig == SIGSYS ? " (a seccomp filter)"
					 : "");
		return;
	}
	if (timed_out)
		snprintf(how, sizeof(how), "timed out after %d ms", PROBE_CHILD_DEADLINE_MS);
	else if (j->status < 0)
		snprintf(how, sizeof(how), "waitpid: %s", util_errname(errno));
	else
		util_status_str(j->status, how, sizeof(how));
	for (size_t i = 0; i < j->nout; i++)
		feat_set(j->out[i], PROBE_ERROR, 0, "%s: probe child %s without answering", j->what,
			 how);
}

/* Used when starting the remaining jobs failed: reap what runs. */
static void job_abort(struct job *j)
{
	if (j->pid > 0) {
		kill(j->pid, SIGKILL);
		while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (j->fd >= 0)
		close(j->fd);
	j->pid = -1;
	j->fd = -1;
}

/* ------------------------------------------------------ child bodies */

/* unshare(flags); without CAP_SYS_ADMIN, net and pid namespaces are only
 * reachable through a user namespace, so that is what gets tried (and the
 * reason says so). Returns the unshare result; *errp its errno. */
static int unshare_ns(const struct probe *p, int flag, const char *flagname, char *call,
		      size_t calllen, int *errp)
{
	bool direct = has_cap(p, CAP_SYS_ADMIN);
	int r;

	if (direct)
		snprintf(call, calllen, "unshare(%s)", flagname);
	else
		snprintf(call, calllen, "unshare(CLONE_NEWUSER|%s) (unprivileged)", flagname);
	r = unshare(direct ? flag : flag | CLONE_NEWUSER);
	*errp = r < 0 ? errno : 0;
	return r;
}

static void child_userns(struct probe_feature *res, size_t n, const struct probe *p)
{
	int r = unshare(CLONE_NEWUSER);
	feat_from_rc(&res[0], r, errno, "unshare(CLONE_NEWUSER)");
	if (r < 0 && errno == ENOSPC)
		snprintf(res[0].reason + strlen(res[0].reason),
			 sizeof(res[0].reason) - strlen(res[0].reason),
			 " (user.max_user_namespaces=%s)",
			 sysctl_str(p, PROBE_SYSCTL_MAX_USER_NAMESPACES));
}

static void child_pidns(struct probe_feature *res, size_t n, const struct probe *p)
{
	char call[96];
	int err, status;
	pid_t c;

	if (unshare_ns(p, CLONE_NEWPID, "CLONE_NEWPID", call, sizeof(call), &err) < 0) {
		feat_set(&res[0], PROBE_NO, err, "%s: %s", call, util_errname(err));
		return;
	}
	/* unshare(CLONE_NEWPID) only takes effect for the next child: the
	 * namespace exists once that child is its pid 1. */
	c = fork();
	if (c == 0)
		_exit(getpid() == 1 ? 0 : 1);
	if (c < 0) {
		feat_set(&res[0], PROBE_NO, errno, "%s: ok; fork: %s", call, util_errname(errno));
		return;
	}
	while (waitpid(c, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		feat_set(&res[0], PROBE_YES, 0, "%s: ok; first child is pid 1", call);
	else
		feat_set(&res[0], PROBE_NO, 0, "%s: ok; first child is not pid 1", call);
}

/* libnl reports NLE_* codes; map the ones a refusal produces back to errno
 * so the JSON errno field is comparable across probes. */
static int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	case NLE_PERM:
		return EPERM;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_EXIST:
		return EEXIST;
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_INVAL:
		return EINVAL;
	case NLE_BUSY:
		return EBUSY;
	case NLE_NODEV:
		return ENODEV;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_AF_NOSUPPORT:
		return EAFNOSUPPORT;
	case NLE_PROTO_MISMATCH:
		return EPROTONOSUPPORT;
	default:
		return EIO;
	}
}

static void probe_veth(struct probe_feature *f)
{
	static const char *const a = "pprobe0", *const b = "pprobe1";
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *link = NULL, *got = NULL;
	int r;

	if (!sk) {
		feat_set(f, PROBE_ERROR, ENOMEM, "nl_socket_alloc: ENOMEM");
		return;
	}
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		feat_set(f, PROBE_NO, nl_to_errno(r), "nl_connect(NETLINK_ROUTE): %s",
			 nl_geterror(r));
		goto out;
	}
	link = rtnl_link_veth_alloc();
	if (!link) {
		feat_set(f, PROBE_ERROR, ENOMEM, "rtnl_link_veth_alloc: ENOMEM");
		goto out;
	}
	rtnl_link_set_name(link, a);
	rtnl_link_set_name(rtnl_link_veth_get_peer(link), b);
	r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0) {
		feat_set(f, PROBE_NO, nl_to_errno(r), "rtnl_link_add(veth %s/%s): %s", a, b,
			 nl_geterror(r));
		goto out;
	}
	/* The kernel acked; check the peer really exists. */
	r = rtnl_link_get_kernel(sk, 0, b, &got);
	if (r < 0)
		feat_set(f, PROBE_NO, nl_to_errno(r), "rtnl_link_add(veth): ok; %s not found: %s",
			 b, nl_geterror(r));
	else
		feat_set(f, PROBE_YES, 0, "rtnl_link_add(veth %s/%s) in a throwaway netns: ok", a,
			 b);
out:
	if (got)
		rtnl_link_put(got);
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
}

/* First line of libnftables' error buffer, for a reason string. */
static void nft_first_line(const char *buf, char *out, size_t len)
{
	size_t o = 0;

	if (!buf)
		buf = "";
	while (*buf == '\n' || *buf == ' ')
		buf++;
	for (; *buf && *buf != '\n' && o + 1 < len; buf++)
		out[o++] = *buf;
	out[o] = 0;
}

static void probe_nftables(struct probe_feature *f)
{
	static const char *const cmd = "add table inet parity_probe";
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	char msg[128];
	int r;

	if (!nft) {
		feat_set(f, PROBE_ERROR, ENOMEM, "nft_ctx_new: failed");
		return;
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	r = nft_run_cmd_from_buffer(nft, cmd);
	if (r != 0) {
		nft_first_line(nft_ctx_get_error_buffer(nft), msg, sizeof(msg));
		feat_set(f, PROBE_NO, 0, "nft '%s': %s", cmd, msg[0] ? msg : "failed");
	} else if (nft_run_cmd_from_buffer(nft, "list table inet parity_probe") != 0) {
		nft_first_line(nft_ctx_get_error_buffer(nft), msg, sizeof(msg));
		feat_set(f, PROBE_NO, 0, "nft '%s': ok; list: %s", cmd, msg);
	} else {
		feat_set(f, PROBE_YES, 0, "nft '%s' in a throwaway netns: ok", cmd);
	}
	nft_ctx_free(nft);
}

/* res: net, veth, nftables (the last two only when n == 3, i.e. root). */
static void child_netns(struct probe_feature *res, size_t n, const struct probe *p)
{
	char call[96];
	int err;

	if (unshare_ns(p, CLONE_NEWNET, "CLONE_NEWNET", call, sizeof(call), &err) < 0) {
		feat_set(&res[0], PROBE_NO, err, "%s: %s", call, util_errname(err));
		for (size_t i = 1; i < n; i++)
			feat_set(&res[i], PROBE_NOT_PROBED, 0,
				 "not probed: no throwaway netns (%s: %s)", call,
				 util_errname(err));
		return;
	}
	feat_set(&res[0], PROBE_YES, 0, "%s: ok", call);
	if (n > 1)
		probe_veth(&res[1]);
	if (n > 2)
		probe_nftables(&res[2]);
}

/* res: filter, user_notif. Both filters are scoped to getpgid() of an
 * impossible pid, so nothing else in the child is affected. */
static void child_seccomp(struct probe_feature *res, size_t n, const struct probe *p)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	scmp_filter_ctx ctx;
	int r, nfd, status;
	long got;
	pid_t c;
	bool timed_out;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		int err = errno;
		feat_set(&res[0], PROBE_NO, err, "prctl(PR_SET_NO_NEW_PRIVS): %s",
			 util_errname(err));
		feat_set(&res[1], PROBE_NO, err, "not tried: prctl(PR_SET_NO_NEW_PRIVS) failed");
		return;
	}
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		feat_set(&res[0], PROBE_ERROR, ENOMEM, "seccomp_init: failed");
		return;
	}
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(SECCOMP_PROBE_ERRNO), SCMP_SYS(getpgid), 1,
			     SCMP_A0(SCMP_CMP_EQ, SECCOMP_ERRNO_PID));
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		feat_set(&res[0], PROBE_NO, -r, "seccomp_load(ERRNO filter): %s", util_errname(-r));
		feat_set(&res[1], PROBE_NO, -r, "not tried: no seccomp filter could be loaded");
		return;
	}
	errno = 0;
	got = syscall(SYS_getpgid, SECCOMP_ERRNO_PID);
	if (got == -1 && errno == SECCOMP_PROBE_ERRNO)
		feat_set(&res[0], PROBE_YES, 0, "seccomp_load: ok; filtered getpgid() got %s",
			 util_errname(SECCOMP_PROBE_ERRNO));
	else
		feat_set(&res[0], PROBE_NO, 0, "seccomp_load: ok but getpgid() returned %ld (%s)",
			 got, util_errname(errno));

	/* User notification: libseccomp loads SCMP_ACT_NOTIFY filters with
	 * SECCOMP_FILTER_FLAG_NEW_LISTENER and hands back the listener. */
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		feat_set(&res[1], PROBE_ERROR, ENOMEM, "seccomp_init: failed");
		return;
	}
	r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(getpgid), 1,
			     SCMP_A0(SCMP_CMP_EQ, SECCOMP_NOTIFY_PID));
	if (r < 0) {
		feat_set(&res[1], PROBE_NO, -r, "seccomp_rule_add(SCMP_ACT_NOTIFY): %s",
			 util_errname(-r));
		seccomp_release(ctx);
		return;
	}
	r = seccomp_load(ctx);
	if (r < 0) {
		feat_set(&res[1], PROBE_NO, -r, "seccomp_load(NEW_LISTENER): %s", util_errname(-r));
		seccomp_release(ctx);
		return;
	}
	nfd = seccomp_notify_fd(ctx);
	seccomp_release(ctx);
	if (nfd < 0) {
		feat_set(&res[1], PROBE_NO, -nfd, "seccomp_notify_fd: %s", util_errname(-nfd));
		return;
	}
	c = fork();
	if (c == 0)
		_exit(syscall(SYS_getpgid, SECCOMP_NOTIFY_PID) == NOTIFY_REPLY ? 0 : 1);
	if (c < 0) {
		feat_set(&res[1], PROBE_ERROR, errno, "fork: %s", util_errname(errno));
		return;
	}
	/* Never block on receive: a notification that does not come within
	 * NOTIFY_WAIT_MS is a "no", not a hung probe. */
	r = poll(&(struct pollfd){.fd = nfd, .events = POLLIN}, 1, NOTIFY_WAIT_MS);
	if (r <= 0) {
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
		feat_set(&res[1], PROBE_NO, r < 0 ? errno : ETIMEDOUT,
			 "listener fd: no notification within %d ms", NOTIFY_WAIT_MS);
		return;
	}
	r = seccomp_notify_alloc(&req, &resp);
	if (r == 0)
		r = seccomp_notify_receive(nfd, req);
	if (r == 0) {
		resp->id = req->id;
		resp->val = NOTIFY_REPLY;
		resp->error = 0;
		resp->flags = 0;
		r = seccomp_notify_respond(nfd, resp);
	}
	seccomp_notify_free(req, resp);
	if (r < 0) {
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
		feat_set(&res[1], PROBE_NO, -r, "listener fd %d: receive/respond: %s", nfd,
			 util_errname(-r));
		return;
	}
	status = util_wait_timeout(c, 1000, &timed_out);
	if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		feat_set(&res[1], PROBE_YES, 0,
			 "NEW_LISTENER fd: ok; notified getpgid() answered by the supervisor");
	else
		feat_set(
		    &res[1], PROBE_NO, 0,
		    "NEW_LISTENER fd: ok; the notified call did not get the supervisor's answer");
}

/* READ_DIR handled with no rule: once enforced, opening "/" as a directory
 * must fail with EACCES. Checked before too: inside a sandbox that already
 * denies it, the denial would prove nothing. */
static void child_landlock(struct probe_feature *res, size_t n, const struct probe *p)
{
	struct parity_landlock_ruleset_attr attr = {.handled_access_fs =
							LANDLOCK_ACCESS_FS_READ_DIR};
	int rfd, fd, err;
	bool open_before;

	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	open_before = fd >= 0;
	if (fd >= 0)
		close(fd);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		err = errno;
		feat_set(&res[0], PROBE_NO, err, "prctl(PR_SET_NO_NEW_PRIVS): %s",
			 util_errname(err));
		return;
	}
	rfd = ll_create_ruleset(&attr, PARITY_LL_ATTR_SIZE_ABI1, 0);
	if (rfd < 0) {
		err = errno;
		feat_set(&res[0], PROBE_NO, err, "landlock_create_ruleset(READ_DIR): %s",
			 util_errname(err));
		return;
	}
	if (ll_restrict_self(rfd, 0) < 0) {
		err = errno;
		feat_set(&res[0], PROBE_NO, err, "landlock_restrict_self: %s%s", util_errname(err),
			 err == E2BIG ? " (16 nested Landlock layers already)" : "");
		close(rfd);
		return;
	}
	close(rfd);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = fd < 0 ? errno : 0;
	if (fd >= 0) {
		close(fd);
		feat_set(&res[0], PROBE_NO, 0,
			 "landlock_restrict_self: ok but open(\"/\") was allowed: not enforced");
	} else if (err != EACCES) {
		feat_set(&res[0], PROBE_NO, err,
			 "landlock_restrict_self: ok; open(\"/\") failed with %s, not EACCES",
			 util_errname(err));
	} else if (!open_before) {
		feat_set(&res[0], PROBE_YES, 0,
			 "landlock_restrict_self: ok (open(\"/\") was denied already, so "
			 "enforcement is not observable here)");
	} else {
		feat_set(&res[0], PROBE_YES, 0,
			 "landlock_restrict_self: ok; open(\"/\") then denied: EACCES");
	}
}

/* Landlock and TCP Fast Open (see probe.h): measured, since no errata bit
 * says whether a kernel carries the fix. */
static void child_tfo(struct probe_feature *res, size_t n, const struct probe *p)
{
	struct parity_landlock_ruleset_attr attr = {.handled_access_net =
							LANDLOCK_ACCESS_NET_CONNECT_TCP};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int lfd, rfd, fd, r, err;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) < 0) {
		err = errno;
		feat_set(&res[0], PROBE_ERROR, err, "loopback listener: %s", util_errname(err));
		return;
	}
	rfd = ll_create_ruleset(&attr, PARITY_LL_ATTR_SIZE_ABI4, 0);
	if (rfd < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || ll_restrict_self(rfd, 0) < 0) {
		err = errno;
		feat_set(&res[0], PROBE_ERROR, err, "Landlock CONNECT_TCP ruleset: %s",
			 util_errname(err));
		return;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	err = errno;
	if (r == 0 || err != EACCES) {
		feat_set(&res[0], PROBE_ERROR, err,
			 "a plain connect under CONNECT_TCP with no rule gave %s, not EACCES",
			 r == 0 ? "success" : util_errname(err));
		return;
	}
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	r = (int)sendto(fd, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&a, sizeof(a));
	err = errno;
	if (r < 0 && err == EACCES)
		feat_set(
		    &res[0], PROBE_YES, 0,
		    "sendto(MSG_FASTOPEN) under CONNECT_TCP with no rule: EACCES (the TFO fix)");
	else if (r < 0 && err == EOPNOTSUPP)
		feat_set(&res[0], PROBE_NO, err,
			 "sendto(MSG_FASTOPEN): EOPNOTSUPP (TFO client disabled: not observable)");
	else
		feat_set(&res[0], PROBE_NO, r < 0 ? err : 0,
			 "sendto(MSG_FASTOPEN) under CONNECT_TCP with no rule: %s: the implicit "
			 "connect bypasses Landlock",
			 r < 0 ? util_errname(err) : "sent");
}

static void child_x32(struct probe_feature *res, size_t n, const struct probe *p)
{
#if defined(__x86_64__)
	long r = syscall(0x40000000L | 39);
	int err = errno;

	if (r == getpid())
		feat_set(&res[0], PROBE_YES, 0, X32_CALL " = getpid()");
	else if (r < 0)
		feat_set(&res[0], PROBE_NO, err, X32_CALL ": %s%s", util_errname(err),
			 err == ENOSYS ? " (no x32 ABI)" : "");
	else
		feat_set(&res[0], PROBE_NO, 0, X32_CALL " = %ld, not getpid()", r);
#else
	feat_set(&res[0], PROBE_NO, 0, "x32 exists only on x86_64");
#endif
}

/* int $0x80 enters the i386 table even from 64-bit code when IA32
 * emulation is on; with it off the kernel raises SIGSEGV, which the parent
 * reads from the wait status. */
static void child_ia32(struct probe_feature *res, size_t n, const struct probe *p)
{
#if defined(__x86_64__)
	long r = 20;

	/* The kernel zeroes r8-r11 on the int $0x80 path. */
	__asm__ volatile("int $0x80" : "+a"(r) : : "memory", "r8", "r9", "r10", "r11");
	if (r == getpid())
		feat_set(&res[0], PROBE_YES, 0, IA32_CALL " = getpid()");
	else if (r < 0 && r > -4096)
		feat_set(&res[0], PROBE_NO, (int)-r, IA32_CALL ": %s", util_errname((int)-r));
	else
		feat_set(&res[0], PROBE_NO, 0, IA32_CALL " = %ld, not getpid()", r);
#else
	feat_set(&res[0], PROBE_NO, 0, "int $0x80 probed only on x86_64");
#endif
}

/* ----------------------------------------------------- in-process probes */

static void probe_seccomp_actions(struct probe *p)
{
	struct probe_seccomp *s = &p->seccomp;
	int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);

	if (mode < 0)
		feat_set(&s->available, PROBE_NO, errno, "prctl(PR_GET_SECCOMP): %s%s",
			 util_errname(errno), errno == EINVAL ? " (no CONFIG_SECCOMP)" : "");
	else
		feat_set(&s->available, PROBE_YES, 0, "prctl(PR_GET_SECCOMP) = %d", mode);
	for (int a = 0; a < PROBE_SECCOMP_NACTIONS; a++) {
		uint32_t act = seccomp_actions[a].action;
		char call[80];
		int r;

		snprintf(call, sizeof(call), "seccomp(GET_ACTION_AVAIL, %s)",
			 seccomp_actions[a].name);
		r = (int)syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &act);
		feat_from_rc(&s->actions[a], r, errno, call);
	}
}

static void probe_socket(struct probe_feature *f, int domain, int type, int proto, const char *call)
{
	int fd = socket(domain, type | SOCK_CLOEXEC, proto);

	feat_from_rc(f, fd, errno, call);
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

static void probe_protocols(struct probe *p)
{
	struct probe_protocols *pr = &p->proto;

	probe_socket(&pr->mptcp, AF_INET, SOCK_STREAM, IPPROTO_MPTCP,
		     "socket(AF_INET,SOCK_STREAM,IPPROTO_MPTCP)");
	if (pr->mptcp.state != PROBE_YES)
		append(&pr->mptcp, " (net.mptcp.enabled=%s)",
		       sysctl_str(p, PROBE_SYSCTL_MPTCP_ENABLED));
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
	       sysctl_str(p, PROBE_SYSCTL_PING_GROUP_RANGE), (unsigned)p->sys.egid);
	probe_socket(&pr->ping_v6, AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6,
		     "socket(AF_INET6,SOCK_DGRAM,IPPROTO_ICMPV6)");
	append(&pr->ping_v6, " (net.ipv4.ping_group_range=%s, gid %u)",
	       sysctl_str(p, PROBE_SYSCTL_PING_GROUP_RANGE), (unsigned)p->sys.egid);
	if (has_cap(p, CAP_NET_RAW)) {
		probe_socket(&pr->raw_v4, AF_INET, SOCK_RAW, IPPROTO_RAW,
			     "socket(AF_INET,SOCK_RAW,IPPROTO_RAW)");
		probe_socket(&pr->raw_v6, AF_INET6, SOCK_RAW, IPPROTO_RAW,
			     "socket(AF_INET6,SOCK_RAW,IPPROTO_RAW)");
		probe_socket(&pr->packet, AF_PACKET, SOCK_RAW, htons(ETH_P_ALL),
			     "socket(AF_PACKET,SOCK_RAW,ETH_P_ALL)");
	} else {
		not_root(&pr->raw_v4, "CAP_NET_RAW");
		not_root(&pr->raw_v6, "CAP_NET_RAW");
		not_root(&pr->packet, "CAP_NET_RAW");
	}
}

static void probe_io_uring(struct probe *p)
{
	struct probe_entry_points *en = &p->entry;
	const char *disabled = sysctl_str(p, PROBE_SYSCTL_IO_URING_DISABLED);
	struct io_uring_probe *ops;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int r;

	r = io_uring_queue_init(4, &ring, 0);
	if (r < 0) {
		feat_set(&en->io_uring, PROBE_NO, -r,
			 "io_uring_setup: %s (kernel.io_uring_disabled=%s)", util_errname(-r),
			 disabled);
		feat_set(&en->io_uring_socket, PROBE_NO, -r, "no io_uring: io_uring_setup: %s",
			 util_errname(-r));
		return;
	}
	feat_set(&en->io_uring, PROBE_YES, 0, "io_uring_setup: ok (kernel.io_uring_disabled=%s)",
		 disabled);

	ops = io_uring_get_probe_ring(&ring);
	if (!ops) {
		feat_set(&en->io_uring_socket, PROBE_NO, 0, "IORING_REGISTER_PROBE: failed");
		goto out;
	}
	r = io_uring_opcode_supported(ops, IORING_OP_SOCKET);
	io_uring_free_probe(ops);
	if (!r) {
		feat_set(&en->io_uring_socket, PROBE_NO, EOPNOTSUPP,
			 "IORING_OP_SOCKET not among the ring's probe ops (kernel < 5.19)");
		goto out;
	}
	/* Listed is not enough: make the UDP socket a seccomp socket() rule
	 * would never see. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_socket(sqe, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0);
	r = io_uring_submit_and_wait(&ring, 1);
	if (r < 0) {
		feat_set(&en->io_uring_socket, PROBE_ERROR, -r, "io_uring_submit_and_wait: %s",
			 util_errname(-r));
		goto out;
	}
	r = io_uring_peek_cqe(&ring, &cqe);
	if (r < 0) {
		feat_set(&en->io_uring_socket, PROBE_ERROR, -r, "io_uring_peek_cqe: %s",
			 util_errname(-r));
		goto out;
	}
	if (cqe->res >= 0) {
		feat_set(&en->io_uring_socket, PROBE_YES, 0,
			 "IORING_OP_SOCKET(AF_INET,SOCK_DGRAM): created a UDP socket");
		close(cqe->res);
	} else {
		feat_set(&en->io_uring_socket, PROBE_NO, -cqe->res,
			 "IORING_OP_SOCKET(AF_INET,SOCK_DGRAM): %s", util_errname(-cqe->res));
	}
	io_uring_cqe_seen(&ring, cqe);
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
		feat_set(f, PROBE_ERROR, errno, "loopback listener: %s", util_errname(errno));
		goto out;
	}
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
	if (c < 0) {
		feat_set(f, PROBE_NO, errno, "socket(%s): %s", what, util_errname(errno));
		goto out;
	}
	r = sendto(c, "p", 1, MSG_FASTOPEN, (struct sockaddr *)&a, sizeof(a));
	if (r >= 0)
		feat_set(
		    f, PROBE_YES, 0,
		    "%s sendto(MSG_FASTOPEN) to 127.0.0.1: sent %zd (net.ipv4.tcp_fastopen=%s)",
		    what, r, sysctl);
	else if (errno == EINPROGRESS)
		feat_set(f, PROBE_YES, 0,
			 "%s sendto(MSG_FASTOPEN) to 127.0.0.1: EINPROGRESS, SYN sent "
			 "(net.ipv4.tcp_fastopen=%s)",
			 what, sysctl);
	else
		feat_set(f, PROBE_NO, errno,
			 "%s sendto(MSG_FASTOPEN) to 127.0.0.1: %s (net.ipv4.tcp_fastopen=%s)",
			 what, util_errname(errno), sysctl);
out:
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
}

static void probe_tcp_fastopen(struct probe *p)
{
	const char *sysctl = sysctl_str(p, PROBE_SYSCTL_TCP_FASTOPEN);
	probe_fastopen_client(&p->entry.tcp_fastopen_client, 0, "TCP", sysctl);
	probe_fastopen_client(&p->entry.mptcp_fastopen_client, IPPROTO_MPTCP, "MPTCP", sysctl);
}

/* pidfd_open() a child, pidfd_getfd() one of its fds and check it is the
 * same open file (the platform-notify supervisor's tools). */
static void probe_pidfd(struct probe *p)
{
	struct probe_seccomp *s = &p->seccomp;
	struct stat mine, theirs;
	int pfd[2], pidfd, fd;
	pid_t c;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		int err = errno;
		feat_set(&s->pidfd_open, PROBE_ERROR, err, "pipe: %s", util_errname(err));
		feat_set(&s->pidfd_getfd, PROBE_ERROR, err, "pipe: %s", util_errname(err));
		return;
	}
	c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	if (c < 0) {
		int err = errno;
		feat_set(&s->pidfd_open, PROBE_ERROR, err, "fork: %s", util_errname(err));
		feat_set(&s->pidfd_getfd, PROBE_ERROR, err, "fork: %s", util_errname(err));
		goto out;
	}
	pidfd = (int)syscall(SYS_pidfd_open, c, 0);
	feat_from_rc(&s->pidfd_open, pidfd, errno, "pidfd_open(child)");
	if (pidfd < 0) {
		feat_set(&s->pidfd_getfd, PROBE_NO, 0, "no pidfd: pidfd_open: %s",
			 util_errname(s->pidfd_open.err));
	} else {
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, pfd[0], 0);
		if (fd < 0) {
			feat_set(&s->pidfd_getfd, PROBE_NO, errno, "pidfd_getfd(child, %d): %s",
				 pfd[0], util_errname(errno));
		} else {
			if (fstat(fd, &theirs) == 0 && fstat(pfd[0], &mine) == 0 &&
			    mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev)
				feat_set(&s->pidfd_getfd, PROBE_YES, 0,
					 "pidfd_getfd(child, %d): ok, same open file", pfd[0]);
			else
				feat_set(&s->pidfd_getfd, PROBE_NO, 0,
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

/* -------------------------------------------------------------- run */

int probe_run(struct probe *p, struct perr *e)
{
	uint64_t t0 = util_now_ns(), deadline;
	bool root_net;
	size_t njobs = 0;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < ARRAY_SIZE(feature_descs); i++)
		feat_set(feature_mut(p, i), PROBE_NOT_PROBED, 0, "not probed");

	probe_system(p);
	probe_sysctls(p);
	probe_landlock(p);

	/* veth and nftables go in a netns only root can make and configure. */
	root_net = has_cap(p, CAP_SYS_ADMIN) && has_cap(p, CAP_NET_ADMIN);
	if (!root_net) {
		not_root(&p->ns.veth, "CAP_SYS_ADMIN, CAP_NET_ADMIN");
		not_root(&p->ns.nftables, "CAP_SYS_ADMIN, CAP_NET_ADMIN");
	}
	if (p->landlock.status != PROBE_LL_ENABLED)
		feat_set(&p->landlock.restrict_self, PROBE_NO, p->landlock.err,
			 "Landlock is %s: %s", probe_landlock_status_name(p->landlock.status),
			 p->landlock.reason);
	if (p->landlock.status != PROBE_LL_ENABLED || p->landlock.abi < 4)
		feat_set(&p->landlock.tfo_checked, PROBE_NO, 0,
			 "no Landlock TCP rules here (ABI %d < 4): nothing to check TFO",
			 p->landlock.abi);

	/* Children, all forked before the in-process probes start. A NULL
	 * ends a job's outputs; killed_call marks foreign-ABI entries whose
	 * death by signal is the answer "no". */
	struct {
		const char *what;
		child_fn fn;
		bool run;
		const char *killed_call;
		struct probe_feature *out[JOB_MAX_OUT];
	} plan[] = {
	    {"netns",
	     child_netns,
	     true,
	     NULL,
	     {&p->ns.net, root_net ? &p->ns.veth : NULL, root_net ? &p->ns.nftables : NULL}},
	    {"userns", child_userns, true, NULL, {&p->ns.user}},
	    {"pidns", child_pidns, true, NULL, {&p->ns.pid}},
	    {"seccomp", child_seccomp, true, NULL, {&p->seccomp.filter, &p->seccomp.user_notif}},
	    {"landlock",
	     child_landlock,
	     p->landlock.status == PROBE_LL_ENABLED,
	     NULL,
	     {&p->landlock.restrict_self}},
	    {"tfo",
	     child_tfo,
	     p->landlock.status == PROBE_LL_ENABLED && p->landlock.abi >= 4,
	     NULL,
	     {&p->landlock.tfo_checked}},
	    {"x32", child_x32, true, X32_CALL, {&p->entry.x32}},
	    {"ia32", child_ia32, true, IA32_CALL, {&p->entry.ia32}},
	};
	struct job jobs[ARRAY_SIZE(plan)];

	for (size_t i = 0; i < ARRAY_SIZE(plan); i++) {
		struct job *j = &jobs[njobs];

		if (!plan[i].run)
			continue;
		memset(j, 0, sizeof(*j));
		j->what = plan[i].what;
		j->killed_call = plan[i].killed_call;
		for (size_t k = 0; k < JOB_MAX_OUT && plan[i].out[k]; k++)
			j->out[j->nout++] = plan[i].out[k];
		if (job_start(j, plan[i].fn, p, e) < 0) {
			for (size_t k = 0; k < njobs; k++)
				job_abort(&jobs[k]);
			return -1;
		}
		njobs++;
	}

	/* While the children work. */
	probe_seccomp_actions(p);
	probe_protocols(p);
	probe_io_uring(p);
	probe_tcp_fastopen(p);
	probe_pidfd(p);

	deadline = util_now_ns() + (uint64_t)PROBE_CHILD_DEADLINE_MS * 1000000u;
	for (size_t k = 0; k < njobs; k++)
		job_finish(&jobs[k], deadline);
	p->elapsed_ms = (double)(util_now_ns() - t0) / 1e6;
	return 0;
}

/* -------------------------------------------------------------- JSON */

static json_t *errno_json(int err)
{
	return err ? json_string(util_errname(err)) : json_null();
}

static json_t *feature_json(const struct probe_feature *f)
{
	return json_pack("{s:s, s:b, s:o, s:s}", "state", probe_state_name(f->state), "available",
			 f->state == PROBE_YES, "errno", errno_json(f->err), "reason", f->reason);
}

static json_t *cap_json(uint64_t v)
{
	char buf[20];
	snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)v);
	return json_string(buf);
}

static json_t *int_or_null(int v)
{
	return v < 0 ? json_null() : json_integer(v);
}

/* The object at a '.'-separated path under root, created as needed. */
static json_t *object_at(json_t *root, const char *path, const char **leaf)
{
	char part[64];
	const char *dot;
	json_t *o = root;

	while ((dot = strchr(path, '.'))) {
		size_t n = (size_t)(dot - path);
		json_t *next;

		if (n >= sizeof(part))
			n = sizeof(part) - 1;
		memcpy(part, path, n);
		part[n] = 0;
		next = json_object_get(o, part);
		if (!next) {
			next = json_object();
			json_object_set_new(o, part, next);
		}
		o = next;
		path = dot + 1;
	}
	*leaf = path;
	return o;
}

json_t *probe_to_json(const struct probe *p)
{
	const struct probe_landlock *l = &p->landlock;
	const struct probe_system *s = &p->sys;
	const struct probe_erratum *fixed[32];
	json_t *root, *sys, *ll, *errata_obj, *arr, *sysctls;
	unsigned unknown = 0;
	size_t nfixed = 0;

	sys = json_pack(
	    "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:{s:o, s:o, s:o, s:o, s:o}, "
	    "s:o, s:o, s:o}",
	    "kernel_release", s->release, "kernel_version", s->version, "machine", s->machine,
	    "uid", (json_int_t)s->uid, "euid", (json_int_t)s->euid, "gid", (json_int_t)s->gid,
	    "egid", (json_int_t)s->egid, "cap_last_cap", int_or_null(s->cap_last_cap),
	    "capabilities", "effective", cap_json(s->cap_eff), "permitted", cap_json(s->cap_prm),
	    "inheritable", cap_json(s->cap_inh), "bounding", cap_json(s->cap_bnd), "ambient",
	    cap_json(s->cap_amb), "no_new_privs",
	    s->no_new_privs < 0 ? json_null() : json_boolean(s->no_new_privs == 1), "seccomp_mode",
	    int_or_null(s->seccomp_mode), "seccomp_filters", int_or_null(s->seccomp_filters));

	arr = json_array();
	if (l->errata_supported) {
		nfixed = probe_errata_decode(l->errata, fixed, ARRAY_SIZE(fixed), &unknown);
		for (size_t i = 0; i < nfixed; i++)
			json_array_append_new(arr, json_pack("{s:i, s:s, s:i, s:s}", "id",
							     fixed[i]->id, "name", fixed[i]->name,
							     "since_abi", fixed[i]->since_abi,
							     "meaning", fixed[i]->meaning));
	}
	errata_obj = json_pack("{s:b, s:o, s:o, s:I, s:o, s:s}", "supported", l->errata_supported,
			       "mask", l->errata_supported ? json_integer(l->errata) : json_null(),
			       "fixed", arr, "unknown_bits", (json_int_t)unknown, "errno",
			       errno_json(l->errata_supported ? 0 : l->errata_err), "reason",
			       l->errata_reason);
	ll = json_pack("{s:s, s:i, s:o, s:s, s:o}", "status", probe_landlock_status_name(l->status),
		       "abi", l->abi, "errno", errno_json(l->err), "reason", l->reason, "errata",
		       errata_obj);

	sysctls = json_object();
	for (int i = 0; i < PROBE_SYSCTL_COUNT; i++) {
		const struct probe_sysctl *sc = &p->sysctl[i];
		const char *status = sc->present	 ? "ok"
				     : sc->err == ENOENT ? "absent"
							 : "unreadable";
		json_object_set_new(sysctls, sysctl_names[i],
				    json_pack("{s:s, s:o, s:o}", "status", status, "value",
					      sc->present ? json_string(sc->value) : json_null(),
					      "errno", errno_json(sc->present ? 0 : sc->err)));
	}

	root = json_pack("{s:i, s:f, s:o, s:o, s:{}, s:{}, s:{}, s:{}}", "schema",
			 PROBE_SCHEMA_VERSION, "probe_ms", p->elapsed_ms, "system", sys, "landlock",
			 ll, "seccomp", "namespaces", "protocols", "entry_points");
	if (!root) {
		json_decref(sysctls);
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(feature_descs); i++) {
		const char *leaf;
		json_t *o = object_at(root, feature_descs[i].path, &leaf);
		json_object_set_new(o, leaf, feature_json(probe_feature_at(p, i)));
	}
	json_object_set_new(root, "sysctls", sysctls);
	return root;
}

/* ------------------------------------------------------------- table */

#define LABEL_W 22
#define STATE_W 11

static void row(FILE *f, const char *label, const char *value, const char *reason)
{
	if (reason && *reason)
		fprintf(f, "  %-*s %-*s %s\n", LABEL_W, label, STATE_W, value, reason);
	else
		fprintf(f, "  %-*s %s\n", LABEL_W, label, value);
}

static void feature_rows(const struct probe *p, FILE *f, const char *section)
{
	size_t n = strlen(section);

	for (size_t i = 0; i < ARRAY_SIZE(feature_descs); i++) {
		const struct probe_feature *ft = probe_feature_at(p, i);
		const char *state =
		    ft->state == PROBE_NOT_PROBED ? "not probed" : probe_state_name(ft->state);
		if (strncmp(feature_descs[i].path, section, n) == 0 &&
		    feature_descs[i].path[n] == '.')
			row(f, feature_descs[i].label, state, ft->reason);
	}
}

static int popcount64(uint64_t v)
{
	return __builtin_popcountll(v);
}

/* clang-format off */
static const char *const cap_names[] = { /* by number, as <linux/capability.h> */
	"chown", "dac_override", "dac_read_search", "fowner",
	"fsetid", "kill", "setgid", "setuid",
	"setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
	"net_admin", "net_raw", "ipc_lock", "ipc_owner",
	"sys_module", "sys_rawio", "sys_chroot", "sys_ptrace",
	"sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod",
	"lease", "audit_write", "audit_control", "setfcap",
	"mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf",
	"checkpoint_restore",
};
/* clang-format on */

/* Append capability names of the bits of v to out ("sys_resource, bpf"). */
static void cap_list(uint64_t v, char *out, size_t len)
{
	for (int c = 0; c < 64; c++) {
		size_t used = strlen(out);
		if (!((v >> c) & 1))
			continue;
		if ((size_t)c < ARRAY_SIZE(cap_names))
			snprintf(out + used, len - used, "%s%s", used ? ", " : "", cap_names[c]);
		else
			snprintf(out + used, len - used, "%scap%d", used ? ", " : "", c);
	}
}

/* A mask with a short reading: "all", "none", "all but sys_resource",
 * or the few capabilities it holds. */
static void cap_row(FILE *f, const char *label, uint64_t v, int last)
{
	uint64_t all = last >= 63 ? ~0ULL : last >= 0 ? (1ULL << (last + 1)) - 1 : 0;
	char val[24], note[160] = "", names[128] = "";
	int n = popcount64(v), total = last + 1;

	snprintf(val, sizeof(val), "%016llx", (unsigned long long)v);
	if (v == 0)
		snprintf(note, sizeof(note), "none");
	else if (all && v == all)
		snprintf(note, sizeof(note), "all %d", total);
	else if (all && !(v & ~all) && total - n <= 6) {
		cap_list(all & ~v, names, sizeof(names));
		snprintf(note, sizeof(note), "all but %s", names);
	} else if (n <= 6) {
		cap_list(v, names, sizeof(names));
		snprintf(note, sizeof(note), "%s", names);
	} else {
		snprintf(note, sizeof(note), "%d of %d", n, total);
	}
	fprintf(f, "  %-*s %s  %s\n", LABEL_W, label, val, note);
}

void probe_print_table(const struct probe *p, FILE *f)
{
	const struct probe_system *s = &p->sys;
	const struct probe_landlock *l = &p->landlock;
	char buf[96];

	fprintf(f, "parity probe: Linux %s %s, uid %u, probed in %.1f ms\n", s->release, s->machine,
		(unsigned)s->euid, p->elapsed_ms);

	fprintf(f, "\nSystem\n");
	row(f, "kernel", s->release, s->version);
	row(f, "machine", s->machine, NULL);
	snprintf(buf, sizeof(buf), "%u/%u", (unsigned)s->uid, (unsigned)s->euid);
	row(f, "uid/euid", buf, NULL);
	snprintf(buf, sizeof(buf), "%u/%u", (unsigned)s->gid, (unsigned)s->egid);
	row(f, "gid/egid", buf, NULL);
	cap_row(f, "CapEff", s->cap_eff, s->cap_last_cap);
	cap_row(f, "CapPrm", s->cap_prm, s->cap_last_cap);
	cap_row(f, "CapInh", s->cap_inh, s->cap_last_cap);
	cap_row(f, "CapBnd", s->cap_bnd, s->cap_last_cap);
	cap_row(f, "CapAmb", s->cap_amb, s->cap_last_cap);
	snprintf(buf, sizeof(buf), "%d", s->no_new_privs);
	row(f, "no_new_privs", s->no_new_privs < 0 ? "unknown" : buf, NULL);
	snprintf(buf, sizeof(buf), "%d", s->seccomp_mode);
	row(f, "seccomp mode", s->seccomp_mode < 0 ? "unknown" : buf,
	    s->seccomp_mode == 2   ? "filtered"
	    : s->seccomp_mode == 0 ? "no filter"
				   : NULL);
	snprintf(buf, sizeof(buf), "%d", s->seccomp_filters);
	row(f, "seccomp filters", s->seccomp_filters < 0 ? "unknown" : buf, NULL);

	fprintf(f, "\nLandlock\n");
	snprintf(buf, sizeof(buf), "%d", l->abi);
	row(f, "abi", buf, NULL);
	row(f, "status", probe_landlock_status_name(l->status), l->reason);
	if (l->errata_supported) {
		const struct probe_erratum *fx[32];
		char names[PROBE_REASON_MAX] = "";
		unsigned unknown;
		size_t n = probe_errata_decode(l->errata, fx, ARRAY_SIZE(fx), &unknown);

		for (size_t i = 0; i < n; i++) {
			size_t used = strlen(names);
			snprintf(names + used, sizeof(names) - used, "%s%d:%s", i ? ", " : "",
				 fx[i]->id, fx[i]->name);
		}
		if (unknown) {
			size_t used = strlen(names);
			snprintf(names + used, sizeof(names) - used, "%sunknown bits 0x%x",
				 n ? ", " : "", unknown);
		}
		snprintf(buf, sizeof(buf), "0x%x", l->errata);
		row(f, "errata", buf, n || unknown ? names : "none fixed");
	} else {
		row(f, "errata", "unsupported", l->errata_reason);
	}
	feature_rows(p, f, "landlock");

	fprintf(f, "\nSeccomp and pidfds\n");
	feature_rows(p, f, "seccomp");
	fprintf(f, "\nNamespaces\n");
	feature_rows(p, f, "namespaces");
	fprintf(f, "\nProtocols\n");
	feature_rows(p, f, "protocols");
	fprintf(f, "\nEntry points\n");
	feature_rows(p, f, "entry_points");

	fprintf(f, "\nSysctls\n");
	for (int i = 0; i < PROBE_SYSCTL_COUNT; i++) {
		const struct probe_sysctl *sc = &p->sysctl[i];
		fprintf(f, "  %-*s %s\n", 34, sysctl_names[i],
			sc->present	    ? sc->value
			: sc->err == ENOENT ? "absent"
					    : util_errname(sc->err));
	}
}
