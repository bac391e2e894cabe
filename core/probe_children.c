/* probe_children.c - the kernel probe's items that need a child of their
 * own (namespaces, seccomp filters, Landlock, foreign syscall entries): the
 * child machinery and the child bodies. See probe.h, probe_internal.h. */
#include "probe_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/seccomp.h>
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
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "landlock_compat.h"
#include "util.h"

/* ----------------------------------------------------- child machinery */

int probe_job_start(struct probe_job *j, probe_child_fn fn, const struct probe *p, struct perr *e)
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
			probe_feat_set(&res[i], PROBE_ERROR, 0, "%s: probe child gave no answer",
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
void probe_job_finish(struct probe_job *j, uint64_t deadline_ns)
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
	 * emulation; SIGSYS: a seccomp filter around us) is a "no"; a child
	 * killed by anything else (SIGKILL from outside, an OOM kill) tells
	 * nothing of the entry: an "error". */
	if (!timed_out && j->killed_call && j->status >= 0 && WIFSIGNALED(j->status)) {
		int sig = WTERMSIG(j->status);
		bool refused = sig == SIGSEGV || sig == SIGSYS;
		probe_feat_set(j->out[0], refused ? PROBE_NO : PROBE_ERROR, 0,
			       "%s: child killed by SIG%s%s", j->killed_call, util_signame(sig),
			       sig == SIGSEGV  ? " (IA32 emulation off)"
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
		probe_feat_set(j->out[i], PROBE_ERROR, 0, "%s: probe child %s without answering",
			       j->what, how);
}

/* Used when starting the remaining jobs failed: reap what runs. */
void probe_job_abort(struct probe_job *j)
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
	bool direct = probe_has_cap(p, CAP_SYS_ADMIN);
	int r;

	if (direct)
		snprintf(call, calllen, "unshare(%s)", flagname);
	else
		snprintf(call, calllen, "unshare(CLONE_NEWUSER|%s) (unprivileged)", flagname);
	r = unshare(direct ? flag : flag | CLONE_NEWUSER);
	*errp = r < 0 ? errno : 0;
	return r;
}

void probe_child_userns(struct probe_feature *res, size_t n, const struct probe *p)
{
	int r = unshare(CLONE_NEWUSER);
	int err = errno;
	const char *max = probe_sysctl_str(p, PROBE_SYSCTL_MAX_USER_NAMESPACES);

	probe_feat_from_rc(&res[0], r, err, "unshare(CLONE_NEWUSER)");
	/* ENOSPC is the count limit: a "no" when the limit is 0 (user
	 * namespaces turned off), else the probe's bad luck */
	if (r < 0 && err == ENOSPC && strcmp(max, "0") == 0)
		res[0].state = PROBE_NO;
	if (r < 0 && err == ENOSPC)
		snprintf(res[0].reason + strlen(res[0].reason),
			 sizeof(res[0].reason) - strlen(res[0].reason),
			 " (user.max_user_namespaces=%s)",
			 probe_sysctl_str(p, PROBE_SYSCTL_MAX_USER_NAMESPACES));
}

void probe_child_pidns(struct probe_feature *res, size_t n, const struct probe *p)
{
	char call[96];
	int err, status;
	pid_t c;

	if (unshare_ns(p, CLONE_NEWPID, "CLONE_NEWPID", call, sizeof(call), &err) < 0) {
		probe_feat_refused(&res[0], err, "%s: %s", call, util_errname(err));
		return;
	}
	/* unshare(CLONE_NEWPID) only takes effect for the next child: the
	 * namespace exists once that child is its pid 1. */
	c = fork();
	if (c == 0)
		_exit(getpid() == 1 ? 0 : 1);
	if (c < 0) {
		probe_feat_set(&res[0], PROBE_ERROR, errno, "%s: ok; fork: %s", call,
			       util_errname(errno));
		return;
	}
	while (waitpid(c, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		probe_feat_set(&res[0], PROBE_YES, 0, "%s: ok; first child is pid 1", call);
	else
		probe_feat_set(&res[0], PROBE_NO, 0, "%s: ok; first child is not pid 1", call);
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
		probe_feat_set(f, PROBE_ERROR, ENOMEM, "nl_socket_alloc: ENOMEM");
		return;
	}
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		probe_feat_set(f, PROBE_NO, nl_to_errno(r), "nl_connect(NETLINK_ROUTE): %s",
			       nl_geterror(r));
		goto out;
	}
	link = rtnl_link_veth_alloc();
	if (!link) {
		probe_feat_set(f, PROBE_ERROR, ENOMEM, "rtnl_link_veth_alloc: ENOMEM");
		goto out;
	}
	rtnl_link_set_name(link, a);
	rtnl_link_set_name(rtnl_link_veth_get_peer(link), b);
	r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0) {
		probe_feat_set(f, PROBE_NO, nl_to_errno(r), "rtnl_link_add(veth %s/%s): %s", a, b,
			       nl_geterror(r));
		goto out;
	}
	/* The kernel acked; check the peer really exists. */
	r = rtnl_link_get_kernel(sk, 0, b, &got);
	if (r < 0)
		probe_feat_set(f, PROBE_NO, nl_to_errno(r),
			       "rtnl_link_add(veth): ok; %s not found: %s", b, nl_geterror(r));
	else
		probe_feat_set(f, PROBE_YES, 0,
			       "rtnl_link_add(veth %s/%s) in a throwaway netns: ok", a, b);
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
		probe_feat_set(f, PROBE_ERROR, ENOMEM, "nft_ctx_new: failed");
		return;
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	r = nft_run_cmd_from_buffer(nft, cmd);
	if (r != 0) {
		nft_first_line(nft_ctx_get_error_buffer(nft), msg, sizeof(msg));
		probe_feat_set(f, PROBE_NO, 0, "nft '%s': %s", cmd, msg[0] ? msg : "failed");
	} else if (nft_run_cmd_from_buffer(nft, "list table inet parity_probe") != 0) {
		nft_first_line(nft_ctx_get_error_buffer(nft), msg, sizeof(msg));
		probe_feat_set(f, PROBE_NO, 0, "nft '%s': ok; list: %s", cmd, msg);
	} else {
		probe_feat_set(f, PROBE_YES, 0, "nft '%s' in a throwaway netns: ok", cmd);
	}
	nft_ctx_free(nft);
}

/* res: net, veth, nftables (the last two only when n == 3, i.e. root). */
void probe_child_netns(struct probe_feature *res, size_t n, const struct probe *p)
{
	char call[96];
	int err;

	if (unshare_ns(p, CLONE_NEWNET, "CLONE_NEWNET", call, sizeof(call), &err) < 0) {
		probe_feat_set(&res[0], PROBE_NO, err, "%s: %s", call, util_errname(err));
		for (size_t i = 1; i < n; i++)
			probe_feat_set(&res[i], PROBE_NOT_PROBED, 0,
				       "not probed: no throwaway netns (%s: %s)", call,
				       util_errname(err));
		return;
	}
	probe_feat_set(&res[0], PROBE_YES, 0, "%s: ok", call);
	if (n > 1)
		probe_veth(&res[1]);
	if (n > 2)
		probe_nftables(&res[2]);
}

/* res: filter, user_notif. Both filters are scoped to getpgid() of an
 * impossible pid, so nothing else in the child is affected. */
void probe_child_seccomp(struct probe_feature *res, size_t n, const struct probe *p)
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
		probe_feat_set(&res[0], PROBE_NO, err, "prctl(PR_SET_NO_NEW_PRIVS): %s",
			       util_errname(err));
		probe_feat_set(&res[1], PROBE_NO, err,
			       "not tried: prctl(PR_SET_NO_NEW_PRIVS) failed");
		return;
	}
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		probe_feat_set(&res[0], PROBE_ERROR, ENOMEM, "seccomp_init: failed");
		return;
	}
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(SECCOMP_PROBE_ERRNO), SCMP_SYS(getpgid), 1,
			     SCMP_A0(SCMP_CMP_EQ, SECCOMP_ERRNO_PID));
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		probe_feat_set(&res[0], PROBE_NO, -r, "seccomp_load(ERRNO filter): %s",
			       util_errname(-r));
		probe_feat_set(&res[1], PROBE_NO, -r,
			       "not tried: no seccomp filter could be loaded");
		return;
	}
	errno = 0;
	got = syscall(SYS_getpgid, SECCOMP_ERRNO_PID);
	if (got == -1 && errno == SECCOMP_PROBE_ERRNO)
		probe_feat_set(&res[0], PROBE_YES, 0, "seccomp_load: ok; filtered getpgid() got %s",
			       util_errname(SECCOMP_PROBE_ERRNO));
	else
		probe_feat_set(&res[0], PROBE_NO, 0,
			       "seccomp_load: ok but getpgid() returned %ld (%s)", got,
			       util_errname(errno));

	/* User notification: libseccomp loads SCMP_ACT_NOTIFY filters with
	 * SECCOMP_FILTER_FLAG_NEW_LISTENER and hands back the listener. */
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		probe_feat_set(&res[1], PROBE_ERROR, ENOMEM, "seccomp_init: failed");
		return;
	}
	r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(getpgid), 1,
			     SCMP_A0(SCMP_CMP_EQ, SECCOMP_NOTIFY_PID));
	if (r < 0) {
		probe_feat_set(&res[1], PROBE_NO, -r, "seccomp_rule_add(SCMP_ACT_NOTIFY): %s",
			       util_errname(-r));
		seccomp_release(ctx);
		return;
	}
	r = seccomp_load(ctx);
	if (r < 0) {
		probe_feat_set(&res[1], PROBE_NO, -r, "seccomp_load(NEW_LISTENER): %s",
			       util_errname(-r));
		seccomp_release(ctx);
		return;
	}
	nfd = seccomp_notify_fd(ctx);
	seccomp_release(ctx);
	if (nfd < 0) {
		probe_feat_set(&res[1], PROBE_NO, -nfd, "seccomp_notify_fd: %s",
			       util_errname(-nfd));
		return;
	}
	c = fork();
	if (c == 0) {
		/* Not the listener's holder: if nobody answers (this probe
		 * killed at its deadline), its closing fails the call with
		 * ENOSYS instead of leaving us blocked for ever. */
		close(nfd);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(syscall(SYS_getpgid, SECCOMP_NOTIFY_PID) == NOTIFY_REPLY ? 0 : 1);
	}
	if (c < 0) {
		probe_feat_set(&res[1], PROBE_ERROR, errno, "fork: %s", util_errname(errno));
		return;
	}
	/* Never block on receive: a notification that does not come within
	 * NOTIFY_WAIT_MS is a "no", not a hung probe. */
	r = poll(&(struct pollfd){.fd = nfd, .events = POLLIN}, 1, NOTIFY_WAIT_MS);
	if (r <= 0) {
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
		probe_feat_set(&res[1], PROBE_NO, r < 0 ? errno : ETIMEDOUT,
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
		probe_feat_set(&res[1], PROBE_NO, -r, "listener fd %d: receive/respond: %s", nfd,
			       util_errname(-r));
		return;
	}
	status = util_wait_timeout(c, 1000, &timed_out);
	if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		probe_feat_set(
		    &res[1], PROBE_YES, 0,
		    "NEW_LISTENER fd: ok; notified getpgid() answered by the supervisor");
	else
		probe_feat_set(
		    &res[1], PROBE_NO, 0,
		    "NEW_LISTENER fd: ok; the notified call did not get the supervisor's answer");
}

/* READ_DIR handled with no rule: once enforced, opening "/" as a directory
 * must fail with EACCES. Checked before too: inside a sandbox that already
 * denies it, the denial would prove nothing. */
void probe_child_landlock(struct probe_feature *res, size_t n, const struct probe *p)
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
		probe_feat_set(&res[0], PROBE_NO, err, "prctl(PR_SET_NO_NEW_PRIVS): %s",
			       util_errname(err));
		return;
	}
	rfd = ll_create_ruleset(&attr, PARITY_LL_ATTR_SIZE_ABI1, 0);
	if (rfd < 0) {
		err = errno;
		probe_feat_set(&res[0], PROBE_NO, err, "landlock_create_ruleset(READ_DIR): %s",
			       util_errname(err));
		return;
	}
	if (ll_restrict_self(rfd, 0) < 0) {
		err = errno;
		probe_feat_set(&res[0], PROBE_NO, err, "landlock_restrict_self: %s%s",
			       util_errname(err),
			       err == E2BIG ? " (16 nested Landlock layers already)" : "");
		close(rfd);
		return;
	}
	close(rfd);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = fd < 0 ? errno : 0;
	if (fd >= 0) {
		close(fd);
		probe_feat_set(
		    &res[0], PROBE_NO, 0,
		    "landlock_restrict_self: ok but open(\"/\") was allowed: not enforced");
	} else if (err != EACCES) {
		probe_feat_set(&res[0], PROBE_NO, err,
			       "landlock_restrict_self: ok; open(\"/\") failed with %s, not EACCES",
			       util_errname(err));
	} else if (!open_before) {
		probe_feat_set(&res[0], PROBE_YES, 0,
			       "landlock_restrict_self: ok (open(\"/\") was denied already, so "
			       "enforcement is not observable here)");
	} else {
		probe_feat_set(&res[0], PROBE_YES, 0,
			       "landlock_restrict_self: ok; open(\"/\") then denied: EACCES");
	}
}

/* Landlock and TCP Fast Open (see probe.h): measured, since no errata bit
 * says whether a kernel carries the fix. */
void probe_child_tfo(struct probe_feature *res, size_t n, const struct probe *p)
{
	struct parity_landlock_ruleset_attr attr = {.handled_access_net =
							LANDLOCK_ACCESS_NET_CONNECT_TCP};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	char call[96];
	int lfd, rfd, fd, r, err = 0;

	/* In a new netns, as every cell runs: its net.ipv4.tcp_fastopen is the
	 * kernel's default, whatever the caller's netns says (without one,
	 * and with TFO off here, the fix cannot be observed: an "error"). */
	if (unshare_ns(p, CLONE_NEWNET, "CLONE_NEWNET", call, sizeof(call), &err) < 0 ||
	    probe_loopback_up() < 0) {
		probe_feat_set(&res[0], PROBE_ERROR, err ? err : errno, "%s and lo up: %s", call,
			       util_errname(err ? err : errno));
		return;
	}
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) < 0) {
		err = errno;
		probe_feat_set(&res[0], PROBE_ERROR, err, "loopback listener: %s",
			       util_errname(err));
		return;
	}
	rfd = ll_create_ruleset(&attr, PARITY_LL_ATTR_SIZE_ABI4, 0);
	if (rfd < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || ll_restrict_self(rfd, 0) < 0) {
		err = errno;
		probe_feat_set(&res[0], PROBE_ERROR, err, "Landlock CONNECT_TCP ruleset: %s",
			       util_errname(err));
		return;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	err = errno;
	if (r == 0 || err != EACCES) {
		probe_feat_set(&res[0], PROBE_ERROR, err,
			       "a plain connect under CONNECT_TCP with no rule gave %s, not EACCES",
			       r == 0 ? "success" : util_errname(err));
		return;
	}
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	r = (int)sendto(fd, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&a, sizeof(a));
	err = errno;
	if (r < 0 && err == EACCES)
		probe_feat_set(
		    &res[0], PROBE_YES, 0,
		    "sendto(MSG_FASTOPEN) under CONNECT_TCP with no rule: EACCES (the TFO fix)");
	else if (r < 0 && err == EOPNOTSUPP)
		probe_feat_set(&res[0], PROBE_ERROR, err,
			       "sendto(MSG_FASTOPEN): EOPNOTSUPP (TFO client off in a new netns: "
			       "not observable)");
	else
		probe_feat_set(
		    &res[0], PROBE_NO, r < 0 ? err : 0,
		    "sendto(MSG_FASTOPEN) under CONNECT_TCP with no rule: %s: the implicit "
		    "connect bypasses Landlock",
		    r < 0 ? util_errname(err) : "sent");
}

void probe_child_x32(struct probe_feature *res, size_t n, const struct probe *p)
{
#if defined(__x86_64__)
	long r = syscall(0x40000000L | 39);
	int err = errno;

	if (r == getpid())
		probe_feat_set(&res[0], PROBE_YES, 0, X32_CALL " = getpid()");
	else if (r < 0)
		probe_feat_refused(&res[0], err, X32_CALL ": %s%s", util_errname(err),
				   err == ENOSYS ? " (no x32 ABI)" : "");
	else
		probe_feat_set(&res[0], PROBE_NO, 0, X32_CALL " = %ld, not getpid()", r);
#else
	probe_feat_set(&res[0], PROBE_NO, 0, "x32 exists only on x86_64");
#endif
}

/* int $0x80 enters the i386 table even from 64-bit code when IA32
 * emulation is on; with it off the kernel raises SIGSEGV, which the parent
 * reads from the wait status. */
void probe_child_ia32(struct probe_feature *res, size_t n, const struct probe *p)
{
#if defined(__x86_64__)
	long r = 20;

	/* The kernel zeroes r8-r11 on the int $0x80 path. */
	__asm__ volatile("int $0x80" : "+a"(r) : : "memory", "r8", "r9", "r10", "r11");
	if (r == getpid())
		probe_feat_set(&res[0], PROBE_YES, 0, IA32_CALL " = getpid()");
	else if (r < 0 && r > -4096)
		probe_feat_refused(&res[0], (int)-r, IA32_CALL ": %s", util_errname((int)-r));
	else
		probe_feat_set(&res[0], PROBE_NO, 0, IA32_CALL " = %ld, not getpid()", r);
#else
	probe_feat_set(&res[0], PROBE_NO, 0, "int $0x80 probed only on x86_64");
#endif
}
