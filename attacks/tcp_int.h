/* tcp_int.h - shared by the B1 (TCP proxy bypass) files: tcp.c holds the
 * table; tcp_dial.c the socket helpers and the direct dials; tcp_local.c
 * the supervisor-side targets and the inbound channels; tcp_proxy.c the
 * proxy pivots; tcp_exotic.c SCTP, SMC and io_uring. */
#ifndef PARITY_ATTACKS_TCP_INT_H
#define PARITY_ATTACKS_TCP_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "attack.h"

/* Protocol numbers the libc headers may lack (uapi values). */
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef IPPROTO_SMC
#define IPPROTO_SMC 256
#endif
#ifndef AF_SMC
#define AF_SMC 43
#endif

/* The pod victims' TCP services (22, 53, 8081 on 0.0.0.0 and ::). */
extern const uint16_t tcp_pod_service_ports[3];

/* "AF_INET, SOCK_STREAM, IPPROTO_MPTCP" for the transcript. */
const char *tcp_socket_args(int family, int type, int protocol, char *buf, size_t len);
/* "198.51.100.10:443", "[fe80::1%eth0]:22"; the address alone for port 0. */
const char *tcp_addr_str(const struct sockaddr *sa, char *buf, size_t len);
/* socket(), logged; returns the fd or -1. SOCK_CLOEXEC is added. */
int tcp_socket(struct attack_log *log, int family, int type, int protocol);
/* setsockopt(int), logged by name; returns its result. */
int tcp_setsockopt_int(struct attack_log *log, int fd, int level, int name, const char *what,
		       int value);
/* SO_RCVTIMEO / SO_SNDTIMEO in milliseconds, logged; returns its result. */
int tcp_set_timeout(struct attack_log *log, int fd, int which, int ms);
/* Connect with a timeout, logged with the destination; 0 or -1. */
int tcp_connect(struct attack_log *log, int fd, const struct sockaddr *sa, socklen_t len,
		int timeout_ms);
/* Send the marker on a connected socket, logged; returns the claim. */
int tcp_send_marker(const struct attack_env *env, struct attack_log *log, int fd,
		    const char *label);
/* socket + connect + marker + close; returns the claim. */
int tcp_dial_marker(const struct attack_env *env, struct attack_log *log, int family, int type,
		    int protocol, const struct sockaddr *sa, socklen_t len, const char *label);
/* attack_sockaddr, logged when the address does not parse. */
socklen_t tcp_sockaddr(struct attack_log *log, const char *host, uint16_t port,
		       struct sockaddr_storage *ss);
/* Is the proxy on a loopback address? Then the agent shares the
 * supervisor's network namespace (platform, none); otherwise the proxy
 * host is the supervisor's side of a veth (namespace). */
bool tcp_proxy_on_loopback(const struct attack_env *env);

/* The supervisor's side, as the agent can discover it (tcp_local.c). */
#define TCP_MAX_TARGETS 8
struct tcp_targets {
	struct sockaddr_storage addr[TCP_MAX_TARGETS];
	socklen_t len[TCP_MAX_TARGETS];
	size_t n;
};
/* Non-loopback unicast addresses of the supervisor's side: our own when
 * we share its netns, else the proxy host. Ports are left 0. */
void tcp_supervisor_addresses(const struct attack_env *env, struct attack_log *log,
			      struct tcp_targets *t);

/* ---- the attacks ---- */
int t01_direct_v4(const struct attack_env *env, struct attack_log *log);
int t02_direct_v6(const struct attack_env *env, struct attack_log *log);
int t03_mapped(const struct attack_env *env, struct attack_log *log);
int t03_mapped_v6only(const struct attack_env *env, struct attack_log *log);
int t04_proxy_port_elsewhere(const struct attack_env *env, struct attack_log *log);
int t05_loopback(const struct attack_env *env, struct attack_log *log);
int t05_pod_address(const struct attack_env *env, struct attack_log *log);
int t05_link_local(const struct attack_env *env, struct attack_log *log);
int t06_sendto(const struct attack_env *env, struct attack_log *log);
int t06_sendmsg(const struct attack_env *env, struct attack_log *log);
int t06_sendmmsg(const struct attack_env *env, struct attack_log *log);
int t06_connect_opt(const struct attack_env *env, struct attack_log *log);
int t07_mptcp_v4(const struct attack_env *env, struct attack_log *log);
int t07_mptcp_v6(const struct attack_env *env, struct attack_log *log);
int t07_mptcp_fastopen(const struct attack_env *env, struct attack_log *log);
int t08_sctp_stream(const struct attack_env *env, struct attack_log *log);
int t08_sctp_seqpacket(const struct attack_env *env, struct attack_log *log);
int t08_sctp_connectx(const struct attack_env *env, struct attack_log *log);
int t09_af_smc(const struct attack_env *env, struct attack_log *log);
int t09_ipproto_smc(const struct attack_env *env, struct attack_log *log);
int t10_io_uring(const struct attack_env *env, struct attack_log *log);
int t12_autobind(const struct attack_env *env, struct attack_log *log);
int t12_autobind_v6(const struct attack_env *env, struct attack_log *log);
int t12_bind(const struct attack_env *env, struct attack_log *log);
int t13_loopback(const struct attack_env *env, struct attack_log *log);
int t13_loopback6(const struct attack_env *env, struct attack_log *log);
int t13_pod(const struct attack_env *env, struct attack_log *log);
int t13_wan(const struct attack_env *env, struct attack_log *log);
int t13_metadata(const struct attack_env *env, struct attack_log *log);
int t13_rebind(const struct attack_env *env, struct attack_log *log);
int t14_squat_proxy_port(const struct attack_env *env, struct attack_log *log);
int t15_reconnect_unspec(const struct attack_env *env, struct attack_log *log);

#endif
