/* probe.c - the kernel probe (see probe.h): every item decided by doing it.
 *
 * Order of work in probe_run(): identity and sysctls first (the capability
 * sets decide which root-only probes run, the sysctls explain refusals),
 * then the Landlock ABI; then every probe that needs a child (namespaces,
 * filters, foreign syscall entry points: probe_children.c) is forked at
 * once, the in-process probes (seccomp actions here; sockets, io_uring, TCP
 * Fast Open, pidfds in probe_inproc.c) run while the children work, and the
 * children are collected last under one deadline.
 */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "landlock_compat.h"
#include "probe_internal.h"
#include "util.h"

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

static const char *const probe_sysctl_names[PROBE_SYSCTL_COUNT] = {
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
	return (unsigned)id < PROBE_SYSCTL_COUNT ? probe_sysctl_names[id] : "unknown";
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

static const struct probe_feature_desc probe_feature_descs[] = {
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
    FEATURE("protocols.unix_oob", "unix_oob", proto.unix_oob),
    FEATURE("entry_points.io_uring", "io_uring", entry.io_uring),
    FEATURE("entry_points.io_uring_socket", "io_uring_socket", entry.io_uring_socket),
    FEATURE("entry_points.x32", "x32", entry.x32),
    FEATURE("entry_points.ia32", "ia32", entry.ia32),
    FEATURE("entry_points.tcp_fastopen_client", "tcp_fastopen_client", entry.tcp_fastopen_client),
    FEATURE("entry_points.mptcp_fastopen_client", "mptcp_fastopen_client",
	    entry.mptcp_fastopen_client),
    FEATURE("entry_points.io_uring_connect", "io_uring_connect", entry.io_uring_connect),
    FEATURE("entry_points.fsopen", "fsopen", entry.fsopen),
    FEATURE("entry_points.bpf_socket_filter", "bpf_socket_filter", entry.bpf_socket_filter),
    FEATURE("entry_points.ptrace_attach", "ptrace_attach", entry.ptrace_attach),
};

size_t probe_feature_count(void)
{
	return ARRAY_SIZE(probe_feature_descs);
}

const struct probe_feature_desc *probe_feature_desc_at(size_t i)
{
	return i < ARRAY_SIZE(probe_feature_descs) ? &probe_feature_descs[i] : NULL;
}

const struct probe_feature *probe_feature_at(const struct probe *p, size_t i)
{
	if (i >= ARRAY_SIZE(probe_feature_descs))
		return NULL;
	return (const struct probe_feature *)((const char *)p + probe_feature_descs[i].offset);
}

struct probe_feature *probe_feature_mut(struct probe *p, size_t i)
{
	return (struct probe_feature *)((char *)p + probe_feature_descs[i].offset);
}

const struct probe_feature *probe_find(const struct probe *p, const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(probe_feature_descs); i++)
		if (strcmp(probe_feature_descs[i].path, path) == 0)
			return probe_feature_at(p, i);
	return NULL;
}

/* ------------------------------------------------------------ helpers */

void probe_feat_set(struct probe_feature *f, enum probe_state state, int err, const char *fmt, ...)
{
	va_list ap;

	f->state = state;
	f->err = err;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
}

/* An errno of the call that is the feature: does it say the kernel (or a
 * policy around us: a seccomp filter, an LSM, a sysctl) does not offer the
 * feature, or only that the probe could not find out (out of fds or
 * memory, interrupted, busy)? Only the first is a "no". A cell whose
 * precondition is "no" is N/A and never runs; one whose precondition is
 * "error" runs, so that a probe that failed for its own reasons cannot
 * hide an escape (its control then shows whether the feature works). */
bool probe_errno_means_absent(int err)
{
	switch (err) {
	case ENOSYS:
	case EOPNOTSUPP:
	case EAFNOSUPPORT:
	case EPROTONOSUPPORT:
	case ESOCKTNOSUPPORT:
	case EPROTOTYPE:
	case ENOPROTOOPT:
	case EINVAL:
	case EPERM:
	case EACCES:
	case ENODEV:
	case ENOENT:
	case ENXIO:
		return true;
	}
	return false;
}

/* "no" when err says the feature is absent, else "error" (above). */
void probe_feat_refused(struct probe_feature *f, int err, const char *fmt, ...)
{
	va_list ap;

	f->state = probe_errno_means_absent(err) ? PROBE_NO : PROBE_ERROR;
	f->err = err;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
}

/* YES when rc >= 0, else NO or ERROR by errno: "call: ok" / "call: EACCES". */
void probe_feat_from_rc(struct probe_feature *f, int rc, int err, const char *call)
{
	if (rc >= 0)
		probe_feat_set(f, PROBE_YES, 0, "%s: ok", call);
	else
		probe_feat_refused(f, err, "%s: %s", call, util_errname(err));
}

/* lo up in the calling thread's netns (SIOCSIFFLAGS): 0, or -1 with errno. */
int probe_loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}

bool probe_has_cap(const struct probe *p, int cap)
{
	return cap >= 0 && cap < 64 && (p->sys.cap_eff >> cap) & 1;
}

void probe_not_root(struct probe_feature *f, const char *caps)
{
	probe_feat_set(f, PROBE_NOT_PROBED, 0, "not probed: needs root (%s)", caps);
}

/* Sysctl value for a reason string: its value, or "absent". */
const char *probe_sysctl_str(const struct probe *p, enum probe_sysctl_id id)
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

		snprintf(path, sizeof(path), "/proc/sys/%s", probe_sysctl_names[i]);
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

/* ----------------------------------------------------- in-process probes */

static void probe_seccomp_actions(struct probe *p)
{
	struct probe_seccomp *s = &p->seccomp;
	int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);

	if (mode < 0)
		probe_feat_set(&s->available, PROBE_NO, errno, "prctl(PR_GET_SECCOMP): %s%s",
			       util_errname(errno), errno == EINVAL ? " (no CONFIG_SECCOMP)" : "");
	else
		probe_feat_set(&s->available, PROBE_YES, 0, "prctl(PR_GET_SECCOMP) = %d", mode);
	for (int a = 0; a < PROBE_SECCOMP_NACTIONS; a++) {
		uint32_t act = seccomp_actions[a].action;
		char call[80];
		int r;

		snprintf(call, sizeof(call), "seccomp(GET_ACTION_AVAIL, %s)",
			 seccomp_actions[a].name);
		r = (int)syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &act);
		probe_feat_from_rc(&s->actions[a], r, errno, call);
	}
}

/* -------------------------------------------------------------- run */

int probe_run(struct probe *p, struct perr *e)
{
	uint64_t t0 = util_now_ns(), deadline;
	bool root_net;
	size_t njobs = 0;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < ARRAY_SIZE(probe_feature_descs); i++)
		probe_feat_set(probe_feature_mut(p, i), PROBE_NOT_PROBED, 0, "not probed");

	probe_system(p);
	probe_sysctls(p);
	probe_landlock(p);

	/* veth and nftables go in a netns only root can make and configure. */
	root_net = probe_has_cap(p, CAP_SYS_ADMIN) && probe_has_cap(p, CAP_NET_ADMIN);
	if (!root_net) {
		probe_not_root(&p->ns.veth, "CAP_SYS_ADMIN, CAP_NET_ADMIN");
		probe_not_root(&p->ns.nftables, "CAP_SYS_ADMIN, CAP_NET_ADMIN");
	}
	if (p->landlock.status != PROBE_LL_ENABLED)
		probe_feat_set(&p->landlock.restrict_self, PROBE_NO, p->landlock.err,
			       "Landlock is %s: %s", probe_landlock_status_name(p->landlock.status),
			       p->landlock.reason);
	if (p->landlock.status != PROBE_LL_ENABLED || p->landlock.abi < 4)
		probe_feat_set(&p->landlock.tfo_checked, PROBE_NO, 0,
			       "no Landlock TCP rules here (ABI %d < 4): nothing to check TFO",
			       p->landlock.abi);

	/* Children, all forked before the in-process probes start. A NULL
	 * ends a job's outputs; killed_call marks foreign-ABI entries whose
	 * death by signal is the answer "no". */
	struct {
		const char *what;
		probe_child_fn fn;
		bool run;
		const char *killed_call;
		struct probe_feature *out[JOB_MAX_OUT];
	} plan[] = {
	    {"netns",
	     probe_child_netns,
	     true,
	     NULL,
	     {&p->ns.net, root_net ? &p->ns.veth : NULL, root_net ? &p->ns.nftables : NULL}},
	    {"userns", probe_child_userns, true, NULL, {&p->ns.user}},
	    {"pidns", probe_child_pidns, true, NULL, {&p->ns.pid}},
	    {"seccomp",
	     probe_child_seccomp,
	     true,
	     NULL,
	     {&p->seccomp.filter, &p->seccomp.user_notif}},
	    {"landlock",
	     probe_child_landlock,
	     p->landlock.status == PROBE_LL_ENABLED,
	     NULL,
	     {&p->landlock.restrict_self}},
	    {"tfo",
	     probe_child_tfo,
	     p->landlock.status == PROBE_LL_ENABLED && p->landlock.abi >= 4,
	     NULL,
	     {&p->landlock.tfo_checked}},
	    {"x32", probe_child_x32, true, X32_CALL, {&p->entry.x32}},
	    {"ia32", probe_child_ia32, true, IA32_CALL, {&p->entry.ia32}},
	};
	struct probe_job jobs[ARRAY_SIZE(plan)];

	for (size_t i = 0; i < ARRAY_SIZE(plan); i++) {
		struct probe_job *j = &jobs[njobs];

		if (!plan[i].run)
			continue;
		memset(j, 0, sizeof(*j));
		j->what = plan[i].what;
		j->killed_call = plan[i].killed_call;
		for (size_t k = 0; k < JOB_MAX_OUT && plan[i].out[k]; k++)
			j->out[j->nout++] = plan[i].out[k];
		if (probe_job_start(j, plan[i].fn, p, e) < 0) {
			for (size_t k = 0; k < njobs; k++)
				probe_job_abort(&jobs[k]);
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
	probe_mount_api(p);
	probe_bpf_socket_filter(p);
	probe_ptrace_attach(p);

	deadline = util_now_ns() + (uint64_t)PROBE_CHILD_DEADLINE_MS * 1000000u;
	for (size_t k = 0; k < njobs; k++)
		probe_job_finish(&jobs[k], deadline);
	p->elapsed_ms = (double)(util_now_ns() - t0) / 1e6;
	return 0;
}
