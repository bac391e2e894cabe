/* tcp_dial.c - B1 socket helpers, and the attacks that are one dial each:
 * direct v4/v6/v4-mapped, TCP Fast Open, MPTCP, reconnect after AF_UNSPEC. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "attack.h"
#include "tcp_int.h"

#ifndef TCP_FASTOPEN_CONNECT
#define TCP_FASTOPEN_CONNECT 30
#endif
#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

#define DIAL_TIMEOUT_MS 2000

const uint16_t tcp_pod_service_ports[3] = {22, 53, 8081};

/* ---- naming things for the transcript ---- */

static const char *family_name(int family, char *buf, size_t len)
{
	switch (family) {
	case AF_UNSPEC:
		return "AF_UNSPEC";
	case AF_INET:
		return "AF_INET";
	case AF_INET6:
		return "AF_INET6";
	case AF_SMC:
		return "AF_SMC";
	case AF_NETLINK:
		return "AF_NETLINK";
	}
	snprintf(buf, len, "family %d", family);
	return buf;
}

static const char *type_name(int type, char *buf, size_t len)
{
	switch (type & 0xf) {
	case SOCK_STREAM:
		return "SOCK_STREAM";
	case SOCK_DGRAM:
		return "SOCK_DGRAM";
	case SOCK_RAW:
		return "SOCK_RAW";
	case SOCK_SEQPACKET:
		return "SOCK_SEQPACKET";
	}
	snprintf(buf, len, "type %d", type);
	return buf;
}

static const char *protocol_name(int family, int protocol, char *buf, size_t len)
{
	if (family == AF_SMC)
		return protocol == 0 ? "SMCPROTO_SMC" : protocol == 1 ? "SMCPROTO_SMC6" : "?";
	switch (protocol) {
	case 0:
		return "0";
	case IPPROTO_TCP:
		return "IPPROTO_TCP";
	case IPPROTO_SCTP:
		return "IPPROTO_SCTP";
	case IPPROTO_MPTCP:
		return "IPPROTO_MPTCP";
	case IPPROTO_SMC:
		return "IPPROTO_SMC";
	}
	snprintf(buf, len, "%d", protocol);
	return buf;
}

const char *tcp_socket_args(int family, int type, int protocol, char *buf, size_t len)
{
	char f[24], t[24], p[24];
	snprintf(buf, len, "%s, %s, %s", family_name(family, f, sizeof(f)),
		 type_name(type, t, sizeof(t)), protocol_name(family, protocol, p, sizeof(p)));
	return buf;
}

const char *tcp_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], ifn[IF_NAMESIZE + 1] = "";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		if (in->sin_port)
			snprintf(buf, len, "%s:%u", a, ntohs(in->sin_port));
		else
			snprintf(buf, len, "%s", a);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		if (in6->sin6_scope_id) {
			ifn[0] = '%';
			if (!if_indextoname(in6->sin6_scope_id, ifn + 1))
				snprintf(ifn + 1, sizeof(ifn) - 1, "%u", in6->sin6_scope_id);
		}
		if (in6->sin6_port)
			snprintf(buf, len, "[%s%s]:%u", a, ifn, ntohs(in6->sin6_port));
		else
			snprintf(buf, len, "%s%s", a, ifn);
	} else {
		snprintf(buf, len, "(family %d)", sa->sa_family);
	}
	return buf;
}

/* ---- logged socket operations ---- */

int tcp_socket(struct attack_log *log, int family, int type, int protocol)
{
	char args[96];
	int fd = socket(family, type | SOCK_CLOEXEC, protocol);
	int err = errno;
	attack_step(log, "socket", fd, err, "%s",
		    tcp_socket_args(family, type, protocol, args, sizeof(args)));
	return fd;
}

int tcp_setsockopt_int(struct attack_log *log, int fd, int level, int name, const char *what,
		       int value)
{
	int r = setsockopt(fd, level, name, &value, sizeof(value));
	int err = errno;
	attack_step(log, "setsockopt", r, err, "%s = %d", what, value);
	return r;
}

int tcp_set_timeout(struct attack_log *log, int fd, int which, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	int r = setsockopt(fd, SOL_SOCKET, which, &tv, sizeof(tv));
	int err = errno;
	attack_step(log, "setsockopt", r, err, "%s = %d ms",
		    which == SO_RCVTIMEO ? "SO_RCVTIMEO" : "SO_SNDTIMEO", ms);
	return r;
}

int tcp_connect(struct attack_log *log, int fd, const struct sockaddr *sa, socklen_t len,
		int timeout_ms)
{
	char to[80];
	int r = attack_connect_timeout(fd, sa, len, timeout_ms);
	int err = errno;
	attack_step(log, "connect", r, err, "%s", tcp_addr_str(sa, to, sizeof(to)));
	errno = err;
	return r;
}

int tcp_send_marker(const struct attack_env *env, struct attack_log *log, int fd, const char *label)
{
	ssize_t n = attack_send_marker(env, fd, label);
	int err = errno;
	attack_step(log, "send", n, err, "marker");
	return n > 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

int tcp_dial_marker(const struct attack_env *env, struct attack_log *log, int family, int type,
		    int protocol, const struct sockaddr *sa, socklen_t len, const char *label)
{
	int fd = tcp_socket(log, family, type, protocol);
	int claim;

	if (fd < 0)
		return CLAIM_BLOCKED;
	if (tcp_connect(log, fd, sa, len, DIAL_TIMEOUT_MS) < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	claim = tcp_send_marker(env, log, fd, label);
	close(fd);
	return claim;
}

socklen_t tcp_sockaddr(struct attack_log *log, const char *host, uint16_t port,
		       struct sockaddr_storage *ss)
{
	socklen_t len = attack_sockaddr(host, port, ss);
	if (!len)
		attack_note(log, "'%s' is not a numeric address", host);
	return len;
}

bool tcp_proxy_on_loopback(const struct attack_env *env)
{
	struct sockaddr_storage ss;
	if (!attack_sockaddr(env->proxy_host, env->proxy_port, &ss))
		return false;
	if (ss.ss_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
}

/* ---- direct dials: T01, T02, T04 ---- */

static int direct(const struct attack_env *env, struct attack_log *log, const char *host,
		  uint16_t port, const char *label)
{
	struct sockaddr_storage ss;
	socklen_t len = tcp_sockaddr(log, host, port, &ss);
	if (!len)
		return CLAIM_UNSURE;
	return tcp_dial_marker(env, log, ss.ss_family, SOCK_STREAM, 0, (struct sockaddr *)&ss, len,
			       label);
}

int t01_direct_v4(const struct attack_env *env, struct attack_log *log)
{
	return direct(env, log, env->sink_v4, 443, "T01");
}

int t02_direct_v6(const struct attack_env *env, struct attack_log *log)
{
	return direct(env, log, env->sink_v6, 443, "T02");
}

int t04_proxy_port_elsewhere(const struct attack_env *env, struct attack_log *log)
{
	return direct(env, log, env->sink_v4, env->proxy_port, "T04");
}

/* ---- T03: an AF_INET6 socket to an IPv4-mapped address ---- */

static socklen_t mapped_sink(const struct attack_env *env, struct attack_log *log, uint16_t port,
			     struct sockaddr_storage *ss)
{
	char host[64];
	snprintf(host, sizeof(host), "::ffff:%s", env->sink_v4);
	return tcp_sockaddr(log, host, port, ss);
}

int t03_mapped(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_storage ss;
	socklen_t len = mapped_sink(env, log, 443, &ss);
	int fd, claim;

	if (!len)
		return CLAIM_UNSURE;
	fd = tcp_socket(log, AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		return CLAIM_BLOCKED;
	/* Explicit: the default comes from net.ipv6.bindv6only. */
	tcp_setsockopt_int(log, fd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", 0);
	if (tcp_connect(log, fd, (struct sockaddr *)&ss, len, DIAL_TIMEOUT_MS) < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	claim = tcp_send_marker(env, log, fd, "T03");
	close(fd);
	return claim;
}

/* The kernel itself refuses a mapped destination on a V6ONLY socket
 * (ENETUNREACH, before any LSM sees it). The socket is still unbound
 * after that refusal, so V6ONLY can be cleared and the connect retried:
 * the refusal is the kernel's, not the sandbox's, and the second
 * attempt is the one every layer must judge. */
int t03_mapped_v6only(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_storage ss;
	socklen_t len = mapped_sink(env, log, 443, &ss);
	int fd, claim;

	if (!len)
		return CLAIM_UNSURE;
	fd = tcp_socket(log, AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		return CLAIM_BLOCKED;
	tcp_setsockopt_int(log, fd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", 1);
	if (tcp_connect(log, fd, (struct sockaddr *)&ss, len, DIAL_TIMEOUT_MS) == 0) {
		attack_note(log, "a V6ONLY socket reached a v4-mapped address (unexpected)");
		claim = tcp_send_marker(env, log, fd, "T03.v6only");
		close(fd);
		return claim;
	}
	if (tcp_setsockopt_int(log, fd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", 0) < 0 ||
	    tcp_connect(log, fd, (struct sockaddr *)&ss, len, DIAL_TIMEOUT_MS) < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	claim = tcp_send_marker(env, log, fd, "T03.v6only");
	close(fd);
	return claim;
}

/* ---- T06: TCP Fast Open ---- */

enum tfo_call { TFO_SENDTO, TFO_SENDMSG, TFO_SENDMMSG };

/* MSG_FASTOPEN on an unconnected socket connects from inside
 * tcp_sendmsg_fastopen(): the socket_connect LSM hook never runs (fixed for
 * Landlock by 33cb713db016 with a sendmsg hook). The socket is blocking
 * with SO_SNDTIMEO, so the call returns once the payload is queued on an
 * established connection, or with the refusal. */
static int tfo_send(const struct attack_env *env, struct attack_log *log, int protocol,
		    enum tfo_call call, const char *label)
{
	static const char *const calls[] = {"sendto", "sendmsg", "sendmmsg"};
	struct sockaddr_storage ss;
	socklen_t len = tcp_sockaddr(log, env->sink_v4, 443, &ss);
	char buf[256], to[80];
	struct iovec iov;
	struct mmsghdr mm;
	long r;
	int fd, n, err;

	if (!len)
		return CLAIM_UNSURE;
	fd = tcp_socket(log, AF_INET, SOCK_STREAM, protocol);
	if (fd < 0)
		return CLAIM_BLOCKED;
	tcp_set_timeout(log, fd, SO_SNDTIMEO, DIAL_TIMEOUT_MS);
	n = attack_marker_payload(env, label, buf, sizeof(buf));
	iov.iov_base = buf;
	iov.iov_len = (size_t)n;
	memset(&mm, 0, sizeof(mm));
	mm.msg_hdr.msg_name = &ss;
	mm.msg_hdr.msg_namelen = len;
	mm.msg_hdr.msg_iov = &iov;
	mm.msg_hdr.msg_iovlen = 1;
	switch (call) {
	case TFO_SENDTO:
		r = sendto(fd, buf, (size_t)n, MSG_FASTOPEN | MSG_NOSIGNAL, (struct sockaddr *)&ss,
			   len);
		break;
	case TFO_SENDMSG:
		r = sendmsg(fd, &mm.msg_hdr, MSG_FASTOPEN | MSG_NOSIGNAL);
		break;
	case TFO_SENDMMSG:
		r = sendmmsg(fd, &mm, 1, MSG_FASTOPEN | MSG_NOSIGNAL);
		break;
	}
	err = errno;
	attack_step(log, calls[call], r, err, "MSG_FASTOPEN, marker (%d bytes) to %s%s", n,
		    tcp_addr_str((struct sockaddr *)&ss, to, sizeof(to)),
		    call == TFO_SENDMMSG && r == 1 ? ", 1 message sent" : "");
	close(fd);
	if (r > 0)
		return CLAIM_ESCAPED;
	/* EINPROGRESS: the SYN left but the handshake outlived SO_SNDTIMEO. */
	return r < 0 && err == EINPROGRESS ? CLAIM_UNSURE : CLAIM_BLOCKED;
}

int t06_sendto(const struct attack_env *env, struct attack_log *log)
{
	return tfo_send(env, log, 0, TFO_SENDTO, "T06.sendto");
}

int t06_sendmsg(const struct attack_env *env, struct attack_log *log)
{
	return tfo_send(env, log, 0, TFO_SENDMSG, "T06.sendmsg");
}

int t06_sendmmsg(const struct attack_env *env, struct attack_log *log)
{
	return tfo_send(env, log, 0, TFO_SENDMMSG, "T06.sendmmsg");
}

/* The control: TCP_FASTOPEN_CONNECT still goes through connect(), hence
 * through the socket_connect hook. */
int t06_connect_opt(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_storage ss;
	socklen_t len = tcp_sockaddr(log, env->sink_v4, 443, &ss);
	int fd, claim;

	if (!len)
		return CLAIM_UNSURE;
	fd = tcp_socket(log, AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return CLAIM_BLOCKED;
	tcp_setsockopt_int(log, fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, "TCP_FASTOPEN_CONNECT", 1);
	if (tcp_connect(log, fd, (struct sockaddr *)&ss, len, DIAL_TIMEOUT_MS) < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	claim = tcp_send_marker(env, log, fd, "T06.connect-opt");
	close(fd);
	return claim;
}

/* ---- T07: MPTCP ---- */

int t07_mptcp_v4(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_storage ss;
	socklen_t len = tcp_sockaddr(log, env->sink_v4, 443, &ss);
	if (!len)
		return CLAIM_UNSURE;
	return tcp_dial_marker(env, log, AF_INET, SOCK_STREAM, IPPROTO_MPTCP,
			       (struct sockaddr *)&ss, len, "T07");
}

int t07_mptcp_v6(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_storage ss;
	socklen_t len = tcp_sockaddr(log, env->sink_v6, 443, &ss);
	if (!len)
		return CLAIM_UNSURE;
	return tcp_dial_marker(env, log, AF_INET6, SOCK_STREAM, IPPROTO_MPTCP,
			       (struct sockaddr *)&ss, len, "T07.v6");
}

int t07_mptcp_fastopen(const struct attack_env *env, struct attack_log *log)
{
	return tfo_send(env, log, IPPROTO_MPTCP, TFO_SENDTO, "T07.fastopen");
}

/* ---- T15: reconnect after an AF_UNSPEC disconnect ---- */

int t15_reconnect_unspec(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_storage proxy, sink;
	socklen_t plen = tcp_sockaddr(log, env->proxy_host, env->proxy_port, &proxy);
	socklen_t slen = tcp_sockaddr(log, env->sink_v4, 443, &sink);
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	int fd, r, err, claim;

	if (!plen || !slen)
		return CLAIM_UNSURE;
	if (proxy.ss_family != AF_INET) {
		/* The same socket must reach both: a v6 proxy would need a
		 * v6 (or mapped) sink; the lab's proxies are all IPv4. */
		attack_note(log, "the proxy %s is not IPv4; using the IPv6 sink", env->proxy_host);
		slen = tcp_sockaddr(log, env->sink_v6, 443, &sink);
		if (!slen)
			return CLAIM_UNSURE;
	}
	fd = tcp_socket(log, proxy.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return CLAIM_BLOCKED;
	if (tcp_connect(log, fd, (struct sockaddr *)&proxy, plen, DIAL_TIMEOUT_MS) < 0)
		attack_note(log, "the allowed connect failed; the disconnect and reconnect follow "
				 "anyway");
	r = connect(fd, &unspec, sizeof(unspec));
	err = errno;
	attack_step(log, "connect", r, err, "AF_UNSPEC (disconnect)");
	if (tcp_connect(log, fd, (struct sockaddr *)&sink, slen, DIAL_TIMEOUT_MS) < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	claim = tcp_send_marker(env, log, fd, "T15");
	close(fd);
	return claim;
}
