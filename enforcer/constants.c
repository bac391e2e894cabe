#include "constants.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef IPPROTO_SMC
#define IPPROTO_SMC 256
#endif
#ifndef AF_SMC
#define AF_SMC 43
#endif
#ifndef TCP_FASTOPEN_CONNECT
#define TCP_FASTOPEN_CONNECT 30
#endif
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76 /* Linux 6.5 */
#endif

#define C(x)                                                                                       \
	{                                                                                          \
#x, (uint64_t)(x)                                                                  \
	}

static const struct {
	const char *name;
	uint64_t value;
} constants[] = {
    C(AF_UNSPEC),
    C(AF_UNIX),
    C(AF_INET),
    C(AF_INET6),
    C(AF_NETLINK),
    C(AF_PACKET),
    C(AF_BLUETOOTH),
    C(AF_VSOCK),
    C(AF_SMC),
    C(AF_KEY),
    C(AF_ALG),
    C(AF_XDP),
    C(AF_TIPC),
    C(AF_RDS),
    C(AF_CAN),
    C(AF_NFC),
    C(AF_QIPCRTR),
    C(SOCK_STREAM),
    C(SOCK_DGRAM),
    C(SOCK_RAW),
    C(SOCK_RDM),
    C(SOCK_SEQPACKET),
    C(SOCK_DCCP),
    C(SOCK_PACKET),
    C(SOCK_NONBLOCK),
    C(SOCK_CLOEXEC),
    {"SOCK_TYPE_MASK", 0xf},
    C(IPPROTO_IP),
    C(IPPROTO_TCP),
    C(IPPROTO_UDP),
    C(IPPROTO_UDPLITE),
    C(IPPROTO_SCTP),
    C(IPPROTO_MPTCP),
    C(IPPROTO_SMC),
    C(IPPROTO_ICMP),
    C(IPPROTO_ICMPV6),
    C(IPPROTO_RAW),
    C(IPPROTO_IPV6),
    C(SOL_SOCKET),
    C(SO_PASSCRED),
    C(SO_PASSPIDFD),
    {"SOL_TCP", IPPROTO_TCP},
    C(TCP_FASTOPEN),
    C(TCP_FASTOPEN_CONNECT),
    C(MSG_FASTOPEN),
    C(MSG_OOB),
    C(MSG_DONTWAIT),
    C(CLONE_NEWUSER),
    C(CLONE_NEWNET),
    C(CLONE_NEWNS),
    C(CLONE_NEWPID),
    C(CLONE_NEWUTS),
    C(CLONE_NEWIPC),
    C(CLONE_NEWCGROUP),
    C(CLONE_NEWTIME),
    C(AT_EMPTY_PATH),
    C(F_SETOWN),
    C(F_SETOWN_EX),
    C(F_SETSIG),
    {"FIOSETOWN", 0x8901},
    {"SIOCSPGRP", 0x8902},
    {"SECCOMP_SET_MODE_STRICT", 0},
    {"SECCOMP_SET_MODE_FILTER", 1},
    C(PR_SET_SECCOMP),
    C(PR_SET_PDEATHSIG),
    {"NETLINK_ROUTE", 0},
    {"X32_SYSCALL_BIT", 0x40000000},
};

bool constant_lookup(const char *name, uint64_t *value)
{
	for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++) {
		if (strcmp(constants[i].name, name) == 0) {
			*value = constants[i].value;
			return true;
		}
	}
	return false;
}

int errno_lookup(const char *name)
{
	char *end;
	long v;

	if (!name || !*name)
		return -1;
	v = strtol(name, &end, 10);
	if (!*end)
		return v > 0 && v < 4096 ? (int)v : -1;
	for (int i = 1; i < 200; i++) {
		const char *n = strerrorname_np(i);
		if (n && strcmp(n, name) == 0)
			return i;
	}
	return -1;
}
