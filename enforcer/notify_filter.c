/* notify_filter.c - the agent's half of notify mediation (see notify.h and
 * docs/notify.md): which syscalls a profile may mediate, the notify filter
 * built with libseccomp, and its loading in the agent with the listener
 * handed to the supervisor over SCM_RIGHTS. */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "seccomp_ctx.h"
#include "util.h"
/* ---- the filter ----------------------------------------------------- */

static const char *const supported[] = {"connect",  "sendto",  "sendmsg",
					"recvfrom", "recvmsg", "bind"};
/* Only the strict policy knows what to decide for these. */
static const char *const strict_only[] = {
    "listen", "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"};

bool notify_syscall_supported(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(supported); i++)
		if (strcmp(name, supported[i]) == 0)
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(strict_only); i++)
		if (strcmp(name, strict_only[i]) == 0)
			return true;
	return false;
}

static bool strict_only_syscall(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(strict_only); i++)
		if (strcmp(name, strict_only[i]) == 0)
			return true;
	return false;
}

int notify_check_profile(const struct profile_notify *n, const char *file, struct perr *e)
{
	if (!n->enabled)
		return 0;
	if (n->nsyscalls == 0)
		return perr_usage(e, "%s: field 'seccomp.notify.syscalls': empty", file);
	for (unsigned i = 0; i < n->nsyscalls; i++)
		if (!notify_syscall_supported(n->syscalls[i]))
			return perr_usage(
			    e,
			    "%s: field 'seccomp.notify.syscalls[%u]': the supervisor "
			    "cannot mediate \"%s\" (connect, sendto, sendmsg, "
			    "recvfrom, recvmsg, bind; with policy strict also listen, "
			    "kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo)",
			    file, i, n->syscalls[i]);
	for (unsigned i = 0; i < n->nsyscalls; i++)
		if (n->policy != NOTIFY_POLICY_STRICT && strict_only_syscall(n->syscalls[i]))
			return perr_usage(e,
					  "%s: field 'seccomp.notify.syscalls[%u]': \"%s\" is "
					  "mediated only with \"policy\": \"strict\"",
					  file, i, n->syscalls[i]);
	if (n->policy == NOTIFY_POLICY_STRICT && !n->port_check)
		return perr_usage(e,
				  "%s: field 'seccomp.notify.port_check': the strict policy "
				  "pins address:port (true)",
				  file);
	return 0;
}

static scmp_filter_ctx build_filter(const struct profile_notify *n, struct perr *e)
{
	/* The follow-up: arch != native -> notify (the supervisor denies). */
	uint32_t badarch = n->check_arch ? SCMP_ACT_NOTIFY : SCMP_ACT_ALLOW;
	scmp_filter_ctx ctx = seccomp_ctx_new(badarch);
	int rc;

	if (!ctx) {
		perr_set(e, "notify: seccomp_init failed");
		return NULL;
	}
	for (unsigned i = 0; i < n->nsyscalls; i++) {
		int nr = seccomp_syscall_resolve_name(n->syscalls[i]);
		if (nr < 0) {
			perr_set(e, "notify: %s is not a native syscall", n->syscalls[i]);
			goto fail;
		}
		if (n->sendto_addressed_only && strcmp(n->syscalls[i], "sendto") == 0)
			/* send() is sendto(fd, buf, len, flags, NULL, 0): only a
			 * destination needs a decision (a pointer: 64-bit compare). */
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
					      SCMP_A4_64(SCMP_CMP_NE, 0));
		else
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
		if (rc < 0) {
			perr_sys(e, -rc, "notify: rule %s", n->syscalls[i]);
			goto fail;
		}
	}
	/* The follow-up's BPF compares arch, then nr: an x32 number
	 * (nr | 0x40000000, arch still x86_64) matches no rule and is allowed,
	 * as there (docs/seccomp.md). */
	if (seccomp_ctx_merge_x32(ctx, badarch, "notify", e) < 0)
		goto fail;
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

int notify_export_pfc(const struct profile_notify *n, int fd, struct perr *e)
{
	scmp_filter_ctx ctx = build_filter(n, e);
	int rc;

	if (!ctx)
		return -1;
	rc = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	return rc < 0 ? perr_sys(e, -rc, "seccomp_export_pfc") : 0;
}

/* ---- the agent side: load and hand over ------------------------------ */

static int send_fd(int sock, int fd)
{
	char byte = 'L';
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;

	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

struct handoff {
	int sock;
	int wake[2]; /* the listener's number arrives here */
	int err;
};

/* A thread created before the notify filter is loaded carries no filter
 * (seccomp filters are per thread without TSYNC), so its sendmsg is not
 * trapped: the loading thread's own sendmsg would wait for a supervisor
 * that does not have the listener yet. */
static void *handoff_main(void *arg)
{
	struct handoff *h = arg;
	int fd = -1;

	if (read(h->wake[0], &fd, sizeof(fd)) != (ssize_t)sizeof(fd) || fd < 0) {
		h->err = ECANCELED;
		return NULL;
	}
	h->err = send_fd(h->sock, fd) < 0 ? errno : 0;
	return NULL;
}

int notify_install(const struct profile_notify *n, int handoff_sock, struct rep_sink *rs)
{
	struct perr e;
	struct handoff h = {.sock = handoff_sock, .wake = {-1, -1}, .err = 0};
	pthread_t th;
	scmp_filter_ctx ctx;
	int rc, fd, abort_fd = -1;
	char list[256] = "", ack = 0;
	ssize_t got;

	perr_clear(&e);
	if (handoff_sock < 0) {
		rep_emit(rs, "seccomp", "notify filter", REP_FAILED, "no socket to the supervisor");
		return -1;
	}
	ctx = build_filter(n, &e);
	if (!ctx) {
		char buf[1200];
		rep_emit(rs, "seccomp", "notify filter", REP_FAILED, "%s",
			 perr_str(&e, buf, sizeof(buf)));
		return -1;
	}
	if (pipe2(h.wake, O_CLOEXEC) < 0 || pthread_create(&th, NULL, handoff_main, &h) != 0) {
		rep_emit(rs, "seccomp", "notify filter", REP_FAILED, "handoff thread: %s",
			 strerror(errno));
		seccomp_release(ctx);
		return -1;
	}
	rc = seccomp_load(ctx);
	fd = rc == 0 ? seccomp_notify_fd(ctx) : -1;
	seccomp_release(ctx);
	if (rc < 0 || fd < 0) {
		(void)!write(h.wake[1], &abort_fd, sizeof(abort_fd));
		pthread_join(th, NULL);
		close(h.wake[0]);
		close(h.wake[1]);
		rep_emit(rs, "seccomp", "notify filter", REP_FAILED, "seccomp_load: %s",
			 strerror(rc < 0 ? -rc : errno));
		return -1;
	}
	(void)!write(h.wake[1], &fd, sizeof(fd));
	pthread_join(th, NULL);
	close(h.wake[0]);
	close(h.wake[1]);
	/* The agent must never keep the listener: whoever holds it answers the
	 * agent's notifications. */
	close(fd);
	for (unsigned i = 0; i < n->nsyscalls; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 n->syscalls[i]);
	if (h.err) {
		close(handoff_sock);
		rep_emit(rs, "seccomp", "notify listener", REP_FAILED,
			 "SCM_RIGHTS to the supervisor: %s", strerror(h.err));
		return -1;
	}
	/* Wait for the supervisor to confirm it holds the listener: without
	 * it nobody would answer, so the command must not start. */
	while ((got = read(handoff_sock, &ack, 1)) < 0 && errno == EINTR)
		;
	close(handoff_sock);
	if (got != 1 || ack != '1') {
		rep_emit(rs, "seccomp", "notify listener", REP_FAILED,
			 "the supervisor did not confirm the listener; the command is not run");
		return -1;
	}
	rep_emit(rs, "seccomp", "notify filter", REP_APPLIED,
		 "SECCOMP_RET_USER_NOTIF for %s; first of the filters (the main filter "
		 "blocks seccomp(SET_MODE_FILTER) after it)",
		 list);
	rep_emit(rs, "seccomp", "notify architecture", REP_APPLIED,
		 "non-native arch -> %s; x32 numbers -> allow in this filter (nr|0x40000000 "
		 "passes the arch check, as in the follow-up); the main filter's bad-arch "
		 "action takes precedence (kill/errno beat notify)%s",
		 n->check_arch ? "notify, denied EPERM by the supervisor" : "allow",
		 n->policy == NOTIFY_POLICY_STRICT
		     ? ": platform-strict's main filter answers both with EPERM"
		     : "");
	if (n->policy == NOTIFY_POLICY_STRICT)
		rep_emit(rs, "seccomp", "notify policy", REP_APPLIED,
			 "strict: connect/sendto/sendmsg only to the pinned address:port or "
			 "an AF_UNIX pathname (performed inside the agent's Landlock ruleset), "
			 "no IP bind, listen only on a pathname unix socket, signals only to the "
			 "agent's own process tree%s",
			 n->sendto_addressed_only ? "; sendto traps only with a destination" : "");
	else
		rep_emit(rs, "seccomp", "notify not intercepted", REP_INFO,
			 "sendmmsg, recvmmsg, accept, accept4, socket, listen, write/writev on a "
			 "connected socket, splice, sendfile, io_uring, x32 numbers (the "
			 "follow-up's gaps)");
	if (n->policy != NOTIFY_POLICY_STRICT)
		/* The supervisor makes the call: the agent's Landlock domain is
		 * not the caller's, so its port rule does not apply to it. */
		rep_emit(rs, "seccomp", "notify and Landlock's port rule", REP_INFO,
			 "a connect the supervisor performs for the agent is outside the agent's "
			 "Landlock ruleset: only the notify allowlist's addresses limit it, not "
			 "Landlock's connect_tcp ports");
	rep_emit(rs, "seccomp", "notify listener", REP_APPLIED,
		 "handed to the supervisor over SCM_RIGHTS and confirmed; the agent's copy is "
		 "closed");
	return 0;
}
