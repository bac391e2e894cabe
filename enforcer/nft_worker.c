/* nft_worker.c - the nftables worker process (see nft.h): it makes or
 * enters the sandbox netns, applies one ruleset there (as one netlink
 * batch, nft_netlink.h, or with libnftables) and sends the results back
 * over a socket. The caller never maps libnftables. */
#include "nft.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nft_exec.h"
#include "nft_netlink.h"
#include "nl.h"
#include "pidns.h"
#include "util.h"
#include "timeline.h"

struct worker_reply {
	long failed;	       /* index of the failed Required command, -1: none */
	int err;	       /* errno of a step before the commands (setns), 0: none */
	uint32_t n;	       /* results that follow (none when err) */
	char engine_note[320]; /* how the table went in (struct nft_worker) */
};

static int recv_fd(int sock)
{
	char byte;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int fd = -1;
	ssize_t r;

	while ((r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (r <= 0)
		return -2; /* EOF: nothing to do */
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static int send_fd(int sock, int fd)
{
	char byte = 'n';
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	ssize_t r;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	while ((r = sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return r == 1 ? 0 : -1;
}

static int send_byte(int sock)
{
	char byte = 'c';
	ssize_t r;

	while ((r = send(sock, &byte, 1, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return r == 1 ? 0 : -1;
}

/* Something to read (or EOF) on the worker's socket within its timeout;
 * else -1 with ETIMEDOUT. */
static int worker_wait(const struct nft_worker *w)
{
	int ms = w->timeout_ms > 0 ? w->timeout_ms : NFT_WORKER_TIMEOUT_MS, r;
	uint64_t end = util_now_ns() + (uint64_t)ms * 1000000u;
	struct pollfd p = {.fd = w->sock, .events = POLLIN};

	for (;;) {
		uint64_t now = util_now_ns();
		int left = now >= end ? 0 : (int)((end - now + 999999u) / 1000000u);
		r = poll(&p, 1, left);
		if (r > 0)
			return 0;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

int nft_worker_take_netns(struct nft_worker *w, int *ns_fd, struct perr *e)
{
	int err = 0;

	*ns_fd = -1;
	if (!(w->flags & NFT_WORKER_NEW_NETNS))
		return perr_usage(e, "nftables worker: started without NFT_WORKER_NEW_NETNS");
	if (worker_wait(w) < 0)
		return perr_sys(e, errno, "nftables worker: no netns after %d ms",
				w->timeout_ms > 0 ? w->timeout_ms : NFT_WORKER_TIMEOUT_MS);
	if (util_read_all(w->sock, &err, sizeof(err)) != (ssize_t)sizeof(err))
		return perr_set(e, "nftables worker: gone before its netns");
	if (err)
		return perr_sys(e, err, "nftables worker: new network namespace");
	*ns_fd = recv_fd(w->sock);
	if (*ns_fd < 0) {
		*ns_fd = -1;
		return perr_set(e, "nftables worker: no netns fd received");
	}
	return 0;
}

/* The worker's own netns (NFT_WORKER_NEW_NETNS): made first, this process
 * stays in it, and its fd goes to the caller after the errno (0: the fd
 * follows by SCM_RIGHTS). A failure is sent, then the worker exits. */
static void worker_make_netns(int sock)
{
	struct perr e;
	int fd = -1, err = 0;

	perr_clear(&e);
	if (nl_netns_unshare(&fd, NL_NETNS_NODAD, &e) < 0)
		err = e.sys_errno ? e.sys_errno : EINVAL;
	if (util_write_all(sock, &err, sizeof(err)) < 0 || (!err && send_fd(sock, fd) < 0))
		_exit(4);
	if (err)
		_exit(0);
	close(fd); /* the caller has its copy; ours is the process's netns */
}

/* The batch, in the worker's netns. true when the kernel took it: every
 * command is then applied. Otherwise the kernel's answer goes to the
 * reply's note and libnftables replays the commands. */
static bool worker_send_batch(const struct nft_batch *batch, const struct nft_cmd *cmds, size_t n,
			      struct nft_rule_result *res, struct worker_reply *rep)
{
	struct perr e;
	char why[300];
	long failed;

	perr_clear(&e);
	if (nft_netlink_apply(batch, &failed, &e) == 0) {
		for (size_t i = 0; i < n; i++) {
			memcpy(res[i].rule, cmds[i].text, sizeof(res[i].rule));
			res[i].required = cmds[i].required;
			res[i].applied = true;
			res[i].error[0] = '\0';
		}
		snprintf(rep->engine_note, sizeof(rep->engine_note),
			 "one netlink batch encoded by parity (libnftables not loaded)");
		return true;
	}
	snprintf(rep->engine_note, sizeof(rep->engine_note),
		 "libnftables, command by command if need be, after the netlink batch "
		 "failed (%s)",
		 perr_str(&e, why, sizeof(why)));
	return false;
}

/* given/ngiven: the commands, known at the fork (the worker applies them
 * as soon as its netns exists); NULL: they come over sock. batch: the same
 * commands encoded (nft_netlink.h), sent before libnftables is loaded;
 * NULL: libnftables alone. */
static __attribute__((noreturn)) void worker_main(int sock, unsigned flags,
						  const struct nft_cmd *given, size_t ngiven,
						  const struct nft_batch *batch)
{
	static struct nft_cmd cmds[NFT_MAX_CMDS];
	static struct nft_rule_result res[NFT_MAX_CMDS];
	struct worker_reply rep = {.failed = -1};
	struct nft_ctx *c = NULL;
	uint32_t n = 0;
	int ns_fd = -1;

	snprintf(rep.engine_note, sizeof(rep.engine_note), "libnftables");
	if (flags & NFT_WORKER_NEW_NETNS) {
		worker_make_netns(sock);
		TL("netns made");
		if (given && batch && worker_send_batch(batch, given, ngiven, res, &rep)) {
			TL("table applied");
			rep.n = (uint32_t)ngiven;
			if (util_write_all(sock, &rep, sizeof(rep)) < 0 ||
			    util_write_all(sock, res, rep.n * sizeof(*res)) < 0)
				_exit(4);
			_exit(0);
		}
		/* Already in the right netns: the context (and its netlink
		 * socket) is made before the commands are needed. */
		c = nft_exec_ctx_new_single_threaded();
		TL("libnftables loaded");
	} else {
		nft_exec_global_init();
	}
	if (given) {
		n = (uint32_t)ngiven;
		memcpy(cmds, given, ngiven * sizeof(*cmds));
	} else {
		ns_fd = recv_fd(sock);
		if (ns_fd == -2)
			_exit(0); /* the caller gave up: nothing to apply */
		if (util_read_all(sock, &n, sizeof(n)) != (ssize_t)sizeof(n) || n > NFT_MAX_CMDS ||
		    util_read_all(sock, cmds, n * sizeof(*cmds)) != (ssize_t)(n * sizeof(*cmds)))
			_exit(3);
		for (uint32_t i = 0; i < n; i++)
			cmds[i].text[sizeof(cmds[i].text) - 1] = '\0';
	}
	if (flags & NFT_WORKER_NEW_NETNS)
		rep.failed = nft_exec_run(c, cmds, n, res, NULL);
	else if (ns_fd < 0)
		rep.err = EBADF;
	else if (setns(ns_fd, CLONE_NEWNET) < 0)
		rep.err = errno;
	else
		rep.failed = nft_exec_run(nft_exec_ctx_new(), cmds, n, res, NULL);
	TL("table applied");
	rep.n = rep.err ? 0 : n;
	if (util_write_all(sock, &rep, sizeof(rep)) < 0 ||
	    util_write_all(sock, res, rep.n * sizeof(*res)) < 0)
		_exit(4);
	_exit(0);
}

int nft_worker_socket(struct nft_worker *w, struct perr *e)
{
	int sv[2];

	memset(w, 0, sizeof(*w)); /* timeout_ms 0: the default */
	w->pid = -1;
	w->sock = w->peer = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return perr_sys(e, errno, "nftables worker: socketpair");
	w->sock = sv[0];
	w->peer = sv[1];
	return 0;
}

static int fork_worker(struct nft_worker *w, unsigned flags, const struct nft_cmd *cmds, size_t n,
		       const struct nft_batch *batch, struct perr *e)
{
	pid_t parent = getpid();

	w->ncmds = n;
	w->flags = flags | (cmds ? NFT_WORKER_PRESET : 0);
	w->pid = fork();
	if (w->pid < 0) {
		int err = errno;
		close(w->peer);
		w->peer = -1;
		return perr_sys(e, err, "nftables worker: fork");
	}
	if (w->pid == 0) {
		int peer = w->peer;
		util_name_role("nft");
		TL("start");
		pidns_die_with_parent(parent);
		/* Nothing of the caller's but the socket: no gate, no pipe end
		 * kept open by us. */
		util_close_fds_from(3, &peer, 1);
		worker_main(peer, flags, cmds, n, batch);
	}
	close(w->peer);
	w->peer = -1;
	return 0;
}

static int start_worker(struct nft_worker *w, unsigned flags, const struct nft_cmd *cmds, size_t n,
			const struct nft_batch *batch, struct perr *e)
{
	if (nft_worker_socket(w, e) < 0)
		return -1;
	if (fork_worker(w, flags, cmds, n, batch, e) < 0) {
		close(w->sock);
		w->sock = -1;
		return -1;
	}
	return 0;
}

int nft_worker_start(struct nft_worker *w, unsigned flags, struct perr *e)
{
	return start_worker(w, flags & NFT_WORKER_NEW_NETNS, NULL, 0, NULL, e);
}

/* The commands of rs and, with the netlink engine, their batch (*batch
 * NULL when the engine is libnftables). */
static int preset_cmds(enum nft_ruleset rs, const struct nft_sandbox_cfg *cfg, struct nft_cmd *cmds,
		       size_t *n, struct nft_batch *b, const struct nft_batch **batch,
		       struct perr *e)
{
	*batch = NULL;
	if (cfg->owner_ctx)
		return perr_usage(e, "nftables: an owner table needs NFT_EXEC_THREAD");
	if (nft_ruleset_cmds(rs, cfg, cmds, NFT_MAX_CMDS, n, e) < 0)
		return -1;
	if (cfg->engine == NFT_ENGINE_LIBNFTABLES || rs != NFT_RS_SANDBOX_OUTPUT)
		return 0; /* the encoder covers sandbox-output alone (no owner
			     tables reach here) */
	if (nft_netlink_encode(rs, cfg, b, e) < 0)
		return -1; /* sandbox-output does not encode (an overflow, a count
			      that differs from nft.c's): a bug, fail the start */
	*batch = b;
	return 0;
}

int nft_worker_start_ruleset(struct nft_worker *w, enum nft_ruleset rs,
			     const struct nft_sandbox_cfg *cfg, struct perr *e)
{
	struct nft_cmd cmds[NFT_MAX_CMDS];
	struct nft_batch b;
	const struct nft_batch *batch;
	size_t n;

	w->pid = -1;
	w->sock = -1;
	if (preset_cmds(rs, cfg, cmds, &n, &b, &batch, e) < 0)
		return -1;
	return start_worker(w, NFT_WORKER_NEW_NETNS, cmds, n, batch, e);
}

int nft_worker_fork_ruleset(struct nft_worker *w, enum nft_ruleset rs,
			    const struct nft_sandbox_cfg *cfg, struct perr *e)
{
	struct nft_cmd cmds[NFT_MAX_CMDS];
	struct nft_batch b;
	const struct nft_batch *batch;
	size_t n;

	if (preset_cmds(rs, cfg, cmds, &n, &b, &batch, e) == 0)
		return fork_worker(w, NFT_WORKER_NEW_NETNS, cmds, n, batch, e);
	close(w->peer); /* the supervisor reads EOF: no worker */
	w->peer = -1;
	return -1;
}

int nft_worker_apply(struct nft_worker *w, int ns_fd, enum nft_ruleset rs,
		     const struct nft_sandbox_cfg *cfg, struct perr *e)
{
	struct nft_cmd cmds[NFT_MAX_CMDS];
	uint32_t n32;
	int own = -1, rc = 0;

	if (w->flags & NFT_WORKER_PRESET)
		return perr_usage(e, "nftables worker: started with its commands");
	if (cfg->owner_ctx)
		return perr_usage(e, "nftables: an owner table needs NFT_EXEC_THREAD");
	if (nft_ruleset_cmds(rs, cfg, cmds, NFT_MAX_CMDS, &w->ncmds, e) < 0)
		return -1;
	if (w->flags & NFT_WORKER_NEW_NETNS) {
		ns_fd = -1; /* its own: the commands alone */
	} else if (ns_fd < 0) {
		own = ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (ns_fd < 0)
			return perr_sys(e, errno, "nftables worker: open /proc/thread-self/ns/net");
	}
	n32 = (uint32_t)w->ncmds;
	if ((ns_fd >= 0 ? send_fd(w->sock, ns_fd) : send_byte(w->sock)) < 0 ||
	    util_write_all(w->sock, &n32, sizeof(n32)) < 0 ||
	    util_write_all(w->sock, cmds, w->ncmds * sizeof(*cmds)) < 0)
		rc = perr_sys(e, errno ? errno : EPIPE, "nftables worker: hand over the netns");
	if (own >= 0)
		close(own);
	return rc;
}

void nft_worker_abort(struct nft_worker *w)
{
	if (w->sock >= 0)
		close(w->sock);
	w->sock = -1;
	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	w->pid = -1;
}

/* Read the reply; -2 (with e) when the worker failed, else the index of the
 * failed Required command or -1. *n: the results read (<= max). Reaps the
 * worker when it is ours. */
static long worker_collect(struct nft_worker *w, struct nft_rule_result *res, size_t max, size_t *n,
			   struct perr *e)
{
	struct worker_reply rep;
	bool waited = worker_wait(w) == 0;
	ssize_t got = waited ? util_read_all(w->sock, &rep, sizeof(rep)) : -1;
	bool ok =
	    got == (ssize_t)sizeof(rep) && rep.n <= max &&
	    util_read_all(w->sock, res, rep.n * sizeof(*res)) == (ssize_t)(rep.n * sizeof(*res));
	bool timed_out = false;
	int st = 0;
	char sb[64];

	*n = 0;
	close(w->sock);
	w->sock = -1;
	if (!waited) {
		if (w->pid > 0) {
			kill(w->pid, SIGKILL);
			while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
				;
			w->pid = -1;
		}
		perr_set(e, "worker: no results after %d ms",
			 w->timeout_ms > 0 ? w->timeout_ms : NFT_WORKER_TIMEOUT_MS);
		return -2;
	}
	if (w->pid > 0) {
		st = util_wait_timeout(w->pid, 30000, &timed_out);
		w->pid = -1;
		if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			perr_set(e, "worker %s",
				 st < 0 ? "lost" : util_status_str(st, sb, sizeof(sb)));
			return -2;
		}
	}
	if (!ok) {
		perr_set(e, "worker gone before its results");
		return -2;
	}
	if (rep.err) {
		perr_sys(e, rep.err, "worker: setns into the netns");
		return -2;
	}
	if (rep.failed < -1 || rep.failed >= (long)rep.n) {
		perr_set(e, "worker reply names command %ld of %u", rep.failed, rep.n);
		return -2;
	}
	*n = rep.n;
	rep.engine_note[sizeof(rep.engine_note) - 1] = '\0';
	snprintf(w->engine_note, sizeof(w->engine_note), "%s", rep.engine_note);
	return rep.failed;
}

long nft_worker_run_once(int ns_fd, enum nft_ruleset rs, const struct nft_sandbox_cfg *cfg,
			 struct nft_rule_result *res, struct perr *e)
{
	struct nft_worker w;
	size_t n;
	long failed;

	if (nft_worker_start(&w, 0, e) < 0)
		return -2;
	if (nft_worker_apply(&w, ns_fd, rs, cfg, e) < 0) {
		nft_worker_abort(&w);
		return -2;
	}
	failed = worker_collect(&w, res, NFT_MAX_CMDS, &n, e);
	if (failed != -2 && n != w.ncmds) {
		perr_set(e, "nftables worker: sent %zu results for %zu commands", n, w.ncmds);
		return -2;
	}
	return failed;
}

int nft_worker_finish(struct nft_worker *w, struct nft_rule_result *res, size_t max, size_t *nres,
		      struct perr *e)
{
	size_t n;
	long failed;

	*nres = 0;
	failed = worker_collect(w, res, max, &n, e);
	return nft_exec_outcome(failed, n, res, nres, e);
}
