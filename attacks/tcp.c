/* tcp.c - B1, TCP proxy bypass: reach the internet, or the supervisor's
 * side, without the proxy. The table; the functions are in tcp_*.c. */
#include "attack.h"
#include "tcp_int.h"

/* Expected stoppers shared by several rows. */
#define NS_NFT "nftables reject (tcp to anything but the proxy address and port)"
#define NS_NFT_LINK "nftables output: only 10.200.0.1:3128 is accepted, link-local IPv6 too"
#define NS_OWN_NETNS "own netns: the sandbox's listener is not the pod's (no port forward)"
#define LL_CONNECT "Landlock connect_tcp: only port 3128"
#define NOTIFY_PIN "notify pins the connect destination to the proxy address"
#define TFO_PLATFORM                                                                               \
	"none before 33cb713db016 (MSG_FASTOPEN skips the socket_connect hook); Landlock's "       \
	"sendmsg hook after it (7.2; stable backports: Debian 6.12.117 has it)"
#define STRICT_TFO "seccomp refuses MSG_FASTOPEN"
#define STRICT_ALLOWLIST "seccomp socket allowlist (AF_INET/6 SOCK_STREAM, protocol 0 or TCP)"
#define PROXY_POLICY "proxy policy: 403 (only allowed.test:443)"
#define NOTIFY_BIND "notify mediates bind(): not a destination it allows"
#define STRICT_BIND "notify refuses every IP bind (any ABI); Landlock bind_tcp with no rule"
#define STRICT_AUTOBIND "notify refuses listen() on a TCP socket (autobind); Landlock bind_tcp"

#define REF_T05 "attack-catalog.md B1 T05; bubblewrap-tui#118 (host localhost reachable)"
#define REF_T06                                                                                    \
	"attack-catalog.md §0.3, B1 T06; landlock-lsm/linux#41; commit 33cb713db016 "             \
	"(landlock-7.2-rc4, merge 481ed5dd, no errata bit); selftest protocol.tcp_fastopen; "      \
	"AppArmor 4d587cd8a721"
#define REF_T07                                                                                    \
	"attack-catalog.md §0.2, B1 T07; erratum 1 (security/landlock/errata/abi-4.h); "          \
	"landlock-lsm/linux#54; go-landlock#50; cplt PR #292"
#define REF_T08 "attack-catalog.md §0.2, B1 T08; landlock-lsm/linux#40; erratum 1"
#define REF_T09 "attack-catalog.md §0.2, B1 T09; erratum 1; landlock net_test.c smc variants"
#define REF_T12                                                                                    \
	"attack-catalog.md §0.4, B1 T12; landlock-lsm/linux#15; landrun#59; coder/boundary#210"
#define REF_T13 "attack-catalog.md B1 T13; NVIDIA/OpenShell#155 (SSRF checks in the proxy)"

#define NEEDS_TFO                                                                                  \
	{                                                                                          \
		.probe = {"entry_points.tcp_fastopen_client"}, .sysctl = "net/ipv4/tcp_fastopen",  \
		.sysctl_mask = 1                                                                   \
	}
#define NEEDS_MPTCP                                                                                \
	{                                                                                          \
		.probe = {"protocols.mptcp"}, .sysctl = "net/mptcp/enabled", .sysctl_mask = 1      \
	}

/* One row per variant; clang-format 14 would indent the rows by 4 spaces. */
/* clang-format off */
const struct attack attacks_tcp[] = {
	{
		.id = "T01",
		.family = FAM_TCP,
		.title = "Direct TCP to the internet over IPv4",
		.tries = "The baseline bypass: connect straight to the attacker's host on 443 and "
			 "send the marker, ignoring HTTP(S)_PROXY.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, 0); connect(sink:443); send",
		.refs = "attack-catalog.md B1 T01; landlock net_test.c protocol.connect",
		.expect = {NS_NFT, "Landlock connect_tcp (ABI >= 4): EACCES",
			   "Landlock connect_tcp; notify pins destinations",
			   "Landlock connect_tcp; notify pins destinations"},
		.run = t01_direct_v4,
	},
	{
		.id = "T02",
		.family = FAM_TCP,
		.title = "Direct TCP to the internet over IPv6",
		.tries = "The same over IPv6: an ip-only firewall table would miss it.",
		.syscalls = "socket(AF_INET6, SOCK_STREAM, 0); connect([sink6]:443); send",
		.refs = "attack-catalog.md B1 T02; kilocode PR #11659",
		.expect = {"nftables inet table rejects v6 tcp (and no v6 route)",
			   "Landlock connect_tcp (AF_INET6 covered)", "Landlock connect_tcp",
			   "Landlock connect_tcp"},
		.run = t02_direct_v6,
	},
	{
		.id = "T03",
		.family = FAM_TCP,
		.title = "IPv4-mapped IPv6 address on an AF_INET6 socket",
		.tries = "An AF_INET6 socket with IPV6_V6ONLY=0 dials [::ffff:sink]:443: IPv4 on "
			 "the wire from an IPv6 socket. A filter keyed on the socket family (or "
			 "an ip6-only ruleset) judges the wrong protocol.",
		.syscalls = "socket(AF_INET6, SOCK_STREAM, 0); setsockopt(IPV6_V6ONLY, 0); "
			    "connect([::ffff:sink]:443); send",
		.refs = "attack-catalog.md B1 T03; kilocode PR #11659",
		.expect = {"nftables: the IPv4 packet meets the inet table's ipv4 reject",
			   "Landlock connect_tcp (port-only, the mapped address is no different)",
			   "Landlock connect_tcp; notify must unmap before pinning",
			   "Landlock connect_tcp; notify must unmap before pinning"},
		.run = t03_mapped,
	},
	{
		.id = "T03.v6only",
		.family = FAM_TCP,
		.title = "IPv4-mapped address with IPV6_V6ONLY=1, then cleared on the same socket",
		.tries = "With V6ONLY=1 the kernel itself refuses the mapped destination "
			 "(ENETUNREACH, or the sandbox's refusal first). The socket is still "
			 "unbound, so V6ONLY goes back to 0 and the connect is retried: a layer "
			 "that decided once per socket would miss the second attempt.",
		.syscalls = "socket(AF_INET6, SOCK_STREAM, 0); setsockopt(IPV6_V6ONLY, 1); "
			    "connect([::ffff:sink]:443) = ENETUNREACH; setsockopt(IPV6_V6ONLY, 0); "
			    "connect([::ffff:sink]:443); send",
		.refs = "attack-catalog.md B1 T03 (IPV6_V6ONLY=0/1); kilocode PR #11659",
		.expect = {"nftables: the IPv4 packet meets the inet table's ipv4 reject",
			   "Landlock connect_tcp on each connect", "Landlock connect_tcp",
			   "Landlock connect_tcp"},
		.run = t03_mapped_v6only,
	},
	{
		.id = "T04",
		.family = FAM_TCP,
		.title = "The proxy's port on a non-proxy address",
		.tries = "Landlock rules key on the port only: connect(attacker:3128) passes a "
			 "rule that allows 3128 for the proxy. The gap the PR admits.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, 0); connect(sink:3128); send",
		.refs = "attack-catalog.md §0.1, B1 T04; nono PR #1631; cplt #114/#117; "
			"platform-mode-pr.txt 'Remaining gap'",
		.expect = {"nftables accept pins ip daddr 10.200.0.1",
			   "none: Landlock is port-only",
			   "notify: destination pinned to the proxy address",
			   "notify: destination pinned to the proxy address"},
		.run = t04_proxy_port_elsewhere,
	},
	{
		.id = "T05.loopback",
		.family = FAM_TCP,
		.title = "Services on the supervisor's loopback",
		.tries = "Ports 22, 53 and 8081 on 127.0.0.1 and ::1. In platform mode the agent "
			 "shares the pod's loopback with the supervisor's services (a resolver, "
			 "sshd, an admin port); in namespace mode the loopback is the sandbox's "
			 "own.",
		.syscalls = "socket(AF_INET/AF_INET6, SOCK_STREAM, 0); connect(127.0.0.1|[::1]:22, "
			    ":53, :8081); send on any that opens",
		.refs = REF_T05,
		.expect = {"own netns: nothing listens on the sandbox's loopback", LL_CONNECT,
			   LL_CONNECT, LL_CONNECT},
		.timeout_ms = 8000,
		.run = t05_loopback,
	},
	{
		.id = "T05.pod-address",
		.family = FAM_TCP,
		.title = "Services on the supervisor's side of the link",
		.tries = "Ports 22, 53 and 8081 on the supervisor's address: the pod's own "
			 "addresses (getifaddrs) when the proxy is on loopback, the gateway (the "
			 "proxy host, the host end of the veth) in namespace mode. Services bound "
			 "to 0.0.0.0 answer there.",
		.syscalls = "getifaddrs; socket; connect(10.88.0.2|[fd00:88::2]|10.200.0.1:22, "
			    ":53, :8081); send on any that opens",
		.refs = REF_T05,
		.expect = {"nftables output: only 10.200.0.1:3128 is accepted", LL_CONNECT,
			   LL_CONNECT, LL_CONNECT},
		.timeout_ms = 8000,
		.run = t05_pod_address,
	},
	{
		.id = "T05.link-local",
		.family = FAM_TCP,
		.title = "Services on the supervisor's IPv6 link-local address",
		.tries = "Ports 22, 53 and 8081 on the supervisor's fe80:: address. Sharing the "
			 "pod's netns, that is our own (getifaddrs). From a sandbox netns: an "
			 "allowed connect to the proxy puts its MAC in the ARP table "
			 "(RTM_GETNEIGH over NETLINK_ROUTE), and the kernel's default "
			 "addr_gen_mode makes the link-local the MAC's EUI-64. Rulesets written "
			 "for global addresses forget fe80::/10.",
		.syscalls = "getifaddrs | (connect(proxy); socket(AF_NETLINK, SOCK_RAW, "
			    "NETLINK_ROUTE); RTM_GETNEIGH); connect([fe80::...%eth0]:22, :53, "
			    ":8081); send",
		.refs = REF_T05,
		.expect = {NS_NFT_LINK, LL_CONNECT, LL_CONNECT, LL_CONNECT},
		.timeout_ms = 8000,
		.run = t05_link_local,
	},
	{
		.id = "T06.sendto",
		.family = FAM_TCP,
		.title = "TCP Fast Open with sendto(MSG_FASTOPEN)",
		.tries = "sendto(MSG_FASTOPEN, sink:443) on an unconnected TCP socket connects "
			 "from inside tcp_sendmsg_fastopen(): no socket_connect LSM hook, so "
			 "Landlock's connect_tcp never sees it on kernels without the fix.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, 0); setsockopt(SO_SNDTIMEO); "
			    "sendto(marker, MSG_FASTOPEN, sink:443)",
		.needs = NEEDS_TFO,
		.refs = REF_T06,
		.expect = {NS_NFT, TFO_PLATFORM, "notify on sendto pins the destination",
			   STRICT_TFO},
		.run = t06_sendto,
	},
	{
		.id = "T06.sendmsg",
		.family = FAM_TCP,
		.title = "TCP Fast Open with sendmsg(msg_name, MSG_FASTOPEN)",
		.tries = "The same through sendmsg with the destination in msg_name.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, 0); setsockopt(SO_SNDTIMEO); "
			    "sendmsg({msg_name = sink:443, marker}, MSG_FASTOPEN)",
		.needs = NEEDS_TFO,
		.refs = REF_T06,
		.expect = {NS_NFT, TFO_PLATFORM, "notify on sendmsg pins the destination",
			   STRICT_TFO},
		.run = t06_sendmsg,
	},
	{
		.id = "T06.sendmmsg",
		.family = FAM_TCP,
		.title = "TCP Fast Open with sendmmsg(MSG_FASTOPEN)",
		.tries = "The same through sendmmsg: one more syscall that carries a destination, "
			 "and one a notifier watching connect/sendto/sendmsg does not mediate.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, 0); setsockopt(SO_SNDTIMEO); "
			    "sendmmsg([{msg_name = sink:443, marker}], MSG_FASTOPEN)",
		.needs = NEEDS_TFO,
		.refs = REF_T06,
		.expect = {NS_NFT, TFO_PLATFORM,
			   "none before 33cb713db016: sendmmsg is not mediated by notify",
			   STRICT_TFO},
		.run = t06_sendmmsg,
	},
	{
		.id = "T06.connect-opt",
		.family = FAM_TCP,
		.title = "TCP Fast Open with TCP_FASTOPEN_CONNECT (control)",
		.tries = "The control for T06: TCP_FASTOPEN_CONNECT defers the SYN to the first "
			 "write, but connect() still runs the socket_connect hook, which Landlock "
			 "does see.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, 0); setsockopt(TCP_FASTOPEN_CONNECT, 1); "
			    "connect(sink:443); send",
		.needs = NEEDS_TFO,
		.refs = REF_T06,
		.expect = {NS_NFT, "Landlock connect_tcp (connect() runs the hook)", NOTIFY_PIN,
			   "seccomp refuses TCP_FASTOPEN_CONNECT"},
		.run = t06_connect_opt,
	},
	{
		.id = "T07",
		.family = FAM_TCP,
		.title = "MPTCP over IPv4",
		.tries = "socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP) is not sk_is_tcp(): since "
			 "erratum 1, Landlock's TCP rights do not apply, and a SOCK_DGRAM-only "
			 "seccomp rule does not match. On the wire it is TCP (falls back without "
			 "the MPTCP option's echo).",
		.syscalls = "socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP); connect(sink:443); send",
		.needs = NEEDS_MPTCP,
		.refs = REF_T07,
		.expect = {"nftables (MPTCP is TCP on the wire)",
			   "none: erratum 1 takes MPTCP out of connect_tcp; seccomp matches "
			   "SOCK_DGRAM only",
			   NOTIFY_PIN, STRICT_ALLOWLIST},
		.run = t07_mptcp_v4,
	},
	{
		.id = "T07.v6",
		.family = FAM_TCP,
		.title = "MPTCP over IPv6",
		.tries = "The same with AF_INET6 to the IPv6 sink.",
		.syscalls = "socket(AF_INET6, SOCK_STREAM, IPPROTO_MPTCP); connect([sink6]:443); "
			    "send",
		.needs = NEEDS_MPTCP,
		.refs = REF_T07,
		.expect = {"nftables inet table (MPTCP is TCP on the wire)",
			   "none: erratum 1 takes MPTCP out of connect_tcp", NOTIFY_PIN,
			   STRICT_ALLOWLIST},
		.run = t07_mptcp_v6,
	},
	{
		.id = "T07.fastopen",
		.family = FAM_TCP,
		.title = "MPTCP with MSG_FASTOPEN",
		.tries = "Both holes at once: an MPTCP socket connecting from sendto(MSG_FASTOPEN) "
			 "(mptcp_sendmsg_fastopen). Even the TFO fix, which checks TCP sockets, "
			 "leaves MPTCP alone.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP); setsockopt(SO_SNDTIMEO); "
			    "sendto(marker, MSG_FASTOPEN, sink:443)",
		.needs = {.probe = {"protocols.mptcp", "entry_points.tcp_fastopen_client",
				    "entry_points.mptcp_fastopen_client"},
			  .sysctl = "net/mptcp/enabled",
			  .sysctl_mask = 1},
		.refs = REF_T07 "; " REF_T06,
		.expect = {"nftables (MPTCP is TCP on the wire)",
			   "none: erratum 1 (MPTCP) and no connect hook (TFO)",
			   "notify on sendto pins the destination", STRICT_ALLOWLIST},
		.run = t07_mptcp_fastopen,
	},
	{
		.id = "T08.stream",
		.family = FAM_TCP,
		.title = "SCTP one-to-one (SOCK_STREAM)",
		.tries = "socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) connects to an SCTP sink: not "
			 "TCP for Landlock, not SOCK_DGRAM for seccomp, and not TCP or UDP for a "
			 "firewall that rejects only those two.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP); connect(sink:80); send; "
			    "SO_LINGER close",
		.needs = {.probe = {"protocols.sctp_stream"}},
		.refs = REF_T08,
		.expect = {"none: the reference's output chain rejects only TCP and UDP; SCTP "
			   "(l4proto 132) is accepted and masqueraded by the pod",
			   "none: SCTP is outside Landlock's TCP rights; SOCK_STREAM passes "
			   "seccomp",
			   NOTIFY_PIN, STRICT_ALLOWLIST},
		.run = t08_sctp_stream,
	},
	{
		.id = "T08.seqpacket",
		.family = FAM_TCP,
		.title = "SCTP one-to-many (SOCK_SEQPACKET), implicit association",
		.tries = "No connect() at all: sendto() to a new peer on a one-to-many socket sets "
			 "up the association, and SOCK_SEQPACKET slips past a SOCK_DGRAM-only "
			 "seccomp rule.",
		.syscalls = "socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP); "
			    "setsockopt(SCTP_EVENTS); sendto(marker, sink:9999); "
			    "recvmsg(SCTP_COMM_UP); SO_LINGER close",
		.needs = {.probe = {"protocols.sctp_seqpacket"}},
		.refs = REF_T08,
		.expect = {"none: the reference's output chain rejects only TCP and UDP",
			   "none: no connect hook, not TCP, not SOCK_DGRAM",
			   "notify on sendto pins the destination", STRICT_ALLOWLIST},
		.run = t08_sctp_seqpacket,
	},
	{
		.id = "T08.connectx",
		.family = FAM_TCP,
		.title = "SCTP association from setsockopt(SCTP_SOCKOPT_CONNECTX)",
		.tries = "The association is made by a setsockopt, not by connect(): no "
			 "socket_connect hook, nothing for a notifier on connect/sendto to see; "
			 "the marker then leaves with a send() that names no destination.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP); setsockopt(SO_SNDTIMEO); "
			    "setsockopt(SOL_SCTP, SCTP_SOCKOPT_CONNECTX, sink:80); send; SO_LINGER "
			    "close",
		.needs = {.probe = {"protocols.sctp_stream"}},
		.refs = REF_T08,
		.expect = {"none: the reference's output chain rejects only TCP and UDP",
			   "none: not TCP, and no connect() at all",
			   "none: setsockopt and a destination-less send are not mediated",
			   STRICT_ALLOWLIST},
		.run = t08_sctp_connectx,
	},
	{
		.id = "T09.af-smc",
		.family = FAM_TCP,
		.title = "SMC socket (AF_SMC) falling back to TCP",
		.tries = "socket(AF_SMC, SOCK_STREAM, SMCPROTO_SMC) dials through an internal TCP "
			 "socket (kernel_connect, no LSM hook) and falls back to plain TCP when "
			 "the peer lacks SMC; the agent's socket is not sk_is_tcp (erratum 1).",
		.syscalls = "socket(AF_SMC, SOCK_STREAM, SMCPROTO_SMC); connect(sink:443); send",
		.needs = {.probe = {"protocols.smc"}},
		.refs = REF_T09,
		.expect = {"nftables (the clcsock is TCP on the wire)",
			   "none: AF_SMC is outside connect_tcp; the clcsock skips the LSM hook",
			   NOTIFY_PIN, STRICT_ALLOWLIST},
		.run = t09_af_smc,
	},
	{
		.id = "T09.ipproto",
		.family = FAM_TCP,
		.title = "SMC through socket(AF_INET, SOCK_STREAM, IPPROTO_SMC)",
		.tries = "The newer spelling of SMC (IPPROTO_SMC, Linux 6.11+): an AF_INET stream "
			 "socket whose protocol is not TCP, so a family+type filter passes it.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, IPPROTO_SMC); connect(sink:443); send",
		.needs = {.probe = {"protocols.smc_ipproto"}},
		.refs = REF_T09,
		.expect = {"nftables (the clcsock is TCP on the wire)",
			   "none: protocol IPPROTO_SMC is outside connect_tcp", NOTIFY_PIN,
			   STRICT_ALLOWLIST},
		.run = t09_ipproto_smc,
	},
	{
		.id = "T10",
		.family = FAM_TCP,
		.title = "io_uring socket, connect and send",
		.tries = "IORING_OP_SOCKET, IORING_OP_CONNECT and IORING_OP_SEND: no socket(), "
			 "connect() or sendto() syscall for seccomp to match. LSM hooks still run "
			 "on the connect, so only an io_uring_setup refusal or Landlock stops it.",
		.syscalls = "io_uring_setup; IORING_OP_SOCKET(AF_INET, SOCK_STREAM); "
			    "IORING_OP_CONNECT(sink:443); IORING_OP_SEND(marker)",
		.needs = {.probe = {"entry_points.io_uring_socket", "entry_points.io_uring_connect"}},
		.refs = "attack-catalog.md §0.6, B1 T10; moby#46762; containerd#9320; "
			"bounty-challenge#19309; sympozium-ai/celln#30; openai/codex PR #10814",
		.expect = {"seccomp base: io_uring_setup EPERM (nftables behind it)",
			   "seccomp base: io_uring_setup EPERM (Landlock connect_tcp behind it)",
			   "seccomp base: io_uring_setup EPERM (notify cannot see io_uring)",
			   "io_uring refused"},
		.run = t10_io_uring,
	},
	{
		.id = "T12.autobind",
		.family = FAM_TCP,
		.title = "Inbound channel: listen() without bind (autobind)",
		.tries = "listen() on an unbound socket takes an ephemeral port through "
			 "inet_autobind, never through the socket_bind hook; the accomplice dials "
			 "in from wan and reads the marker. Direction reversed: no connect to "
			 "check at all.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, 0); listen; getsockname; "
			    "@accomplice tcp PORT; poll; accept4; send",
		.refs = REF_T12,
		.expect = {NS_OWN_NETNS, "none: bind not handled, and autobind has no hook",
			   "none: autobind makes no bind() call to mediate", STRICT_AUTOBIND},
		.run = t12_autobind,
	},
	{
		.id = "T12.autobind-v6",
		.family = FAM_TCP,
		.title = "Inbound channel over IPv6: listen() without bind",
		.tries = "The same on an AF_INET6 socket, reached from wan at the pod's IPv6 "
			 "address.",
		.syscalls = "socket(AF_INET6, SOCK_STREAM, 0); listen; getsockname; "
			    "@accomplice tcp6 PORT; poll; accept4; send",
		.refs = REF_T12,
		.expect = {NS_OWN_NETNS, "none: bind not handled, and autobind has no hook",
			   "none: autobind makes no bind() call to mediate", STRICT_AUTOBIND},
		.run = t12_autobind_v6,
	},
	{
		.id = "T12.bind",
		.family = FAM_TCP,
		.title = "Inbound channel: explicit bind(0.0.0.0:4444)",
		.tries = "A listener on a chosen port: Landlock checks bind() only when BIND_TCP "
			 "is handled, and the platform profile handles connect_tcp alone.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, 0); setsockopt(SO_REUSEADDR); "
			    "bind(0.0.0.0:4444); listen; @accomplice tcp 4444; poll; accept4; send",
		.refs = REF_T12,
		.expect = {NS_OWN_NETNS, "none: BIND_TCP not handled", NOTIFY_BIND, STRICT_BIND},
		.run = t12_bind,
	},
	{
		.id = "T13.loopback",
		.family = FAM_TCP,
		.title = "The proxy as a pivot to its own loopback (127.0.0.1:22)",
		.tries = "CONNECT 127.0.0.1:22 through the proxy: the proxy runs on the "
			 "supervisor's side, so its loopback is the pod's, whatever the sandbox "
			 "can reach itself. After a 200 the marker goes through the tunnel.",
		.syscalls = "socket; connect(proxy); send(CONNECT 127.0.0.1:22); recv; send",
		.refs = REF_T13,
		.expect = {PROXY_POLICY, PROXY_POLICY, PROXY_POLICY, PROXY_POLICY},
		.timeout_ms = 8000,
		.run = t13_loopback,
	},
	{
		.id = "T13.loopback6",
		.family = FAM_TCP,
		.title = "The proxy as a pivot to [::1]:22",
		.tries = "The same through an IPv6 literal: a deny-list of 127.0.0.0/8 alone "
			 "misses ::1.",
		.syscalls = "socket; connect(proxy); send(CONNECT [::1]:22); recv; send",
		.refs = REF_T13,
		.expect = {PROXY_POLICY, PROXY_POLICY, PROXY_POLICY, PROXY_POLICY},
		.timeout_ms = 8000,
		.run = t13_loopback6,
	},
	{
		.id = "T13.pod",
		.family = FAM_TCP,
		.title = "The proxy as a pivot to the pod's own address (:8081)",
		.tries = "CONNECT to the supervisor's side on a pod service port: the pod's "
			 "addresses under platform, the veth's host end under namespace.",
		.syscalls = "getifaddrs; socket; connect(proxy); send(CONNECT 10.88.0.2:8081 | "
			    "10.200.0.1:8081); recv; send",
		.refs = REF_T13,
		.expect = {PROXY_POLICY, PROXY_POLICY, PROXY_POLICY, PROXY_POLICY},
		.timeout_ms = 8000,
		.run = t13_pod,
	},
	{
		.id = "T13.wan",
		.family = FAM_TCP,
		.title = "The proxy as a pivot to a non-allowlisted internet host",
		.tries = "CONNECT sink:80: the proxy is the sandbox's only way out, so its "
			 "allowlist is the egress policy.",
		.syscalls = "socket; connect(proxy); send(CONNECT sink:80); recv; send",
		.refs = REF_T13,
		.expect = {PROXY_POLICY, PROXY_POLICY, PROXY_POLICY, PROXY_POLICY},
		.timeout_ms = 8000,
		.run = t13_wan,
	},
	{
		.id = "T13.metadata",
		.family = FAM_TCP,
		.title = "The proxy as a pivot to the cloud metadata address",
		.tries = "CONNECT 169.254.169.254:80: cloud credentials are one request away from "
			 "any proxy that dials link-local addresses.",
		.syscalls = "socket; connect(proxy); send(CONNECT 169.254.169.254:80); recv; send",
		.refs = REF_T13,
		.expect = {PROXY_POLICY, PROXY_POLICY, PROXY_POLICY, PROXY_POLICY},
		.timeout_ms = 8000,
		.run = t13_metadata,
	},
	{
		.id = "T13.rebind",
		.family = FAM_TCP,
		.title = "The proxy as a pivot through a name that resolves to 127.0.0.1",
		.tries = "CONNECT rebind.test:443, then :22: a harmless-looking name the DNS sink "
			 "answers with 127.0.0.1. A proxy that checks names and not the addresses "
			 "they resolve to dials its own loopback.",
		.syscalls = "socket; connect(proxy); send(CONNECT rebind.test:443); recv; "
			    "(again for :22); send",
		.refs = REF_T13,
		.expect = {PROXY_POLICY, PROXY_POLICY, PROXY_POLICY, PROXY_POLICY},
		.timeout_ms = 8000,
		.run = t13_rebind,
	},
	{
		.id = "T14",
		.family = FAM_TCP,
		.title = "Squatting the proxy's port on a reachable address",
		.tries = "bind the proxy's port where the outside can reach it (the wildcard, or "
			 "the pod's address when the proxy holds 127.0.0.1:3128), and serve "
			 "whoever comes: impersonation of the proxy, and an inbound channel that "
			 "a port-keyed rule trusts.",
		.syscalls = "socket; bind(0.0.0.0:3128) = EADDRINUSE?; bind(10.88.0.2:3128); "
			    "listen; @accomplice tcp 3128; poll; accept4; send",
		.refs = "attack-catalog.md B1 T14",
		.expect = {NS_OWN_NETNS, "none: BIND_TCP not handled", NOTIFY_BIND, STRICT_BIND},
		.run = t14_squat_proxy_port,
	},
	{
		.id = "T15",
		.family = FAM_TCP,
		.title = "Reconnect after an AF_UNSPEC disconnect",
		.tries = "Connect to the proxy (allowed), disconnect with connect(AF_UNSPEC), then "
			 "connect the same socket to sink:443: a layer that judged the socket once "
			 "would let the second destination through.",
		.syscalls = "socket; connect(proxy); connect(AF_UNSPEC); connect(sink:443); send",
		.refs = "attack-catalog.md B1 T15; landlock net_test.c connect_unspec",
		.expect = {NS_NFT, "Landlock re-checks every connect", NOTIFY_PIN, NOTIFY_PIN},
		.run = t15_reconnect_unspec,
	},
	{0},
};
/* clang-format on */
