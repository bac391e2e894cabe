/* probe.h - what the running kernel offers this process, found by doing it.
 *
 * probe_run() fills a `struct probe`: Landlock (ABI, errata, enforcement),
 * seccomp (actions, filters, user notification, pidfds), namespaces (user,
 * net, pid, veth, nftables), protocols and entry points that sit outside a
 * Landlock/seccomp sandbox's rules (MPTCP, SCTP, SMC, VSOCK, UDP-Lite, ping,
 * raw, packet, io_uring, x32, ia32, TCP Fast Open), the sysctls that gate
 * them, and the caller's identity (uids, capability sets, NNP, seccomp).
 *
 * Every item is decided by the real operation (create the socket, call the
 * syscall, load the filter, build the veth), never by reading a config file.
 * Anything that creates a namespace or a filter runs in a forked child so
 * nothing leaks into the caller; the children run in parallel. A missing
 * feature is a result, not an error: probe_run() fails only when the
 * machinery itself (pipe, fork) fails.
 *
 * Each boolean feature is a `struct probe_feature`: a state and a reason
 * naming the call and its errno ("socket(AF_INET,SOCK_STREAM,IPPROTO_SCTP):
 * EPROTONOSUPPORT"), so an N/A verdict can quote it. Features that need
 * privileges the caller lacks are PROBE_NOT_PROBED ("not probed: needs root
 * (CAP_NET_RAW)"). The JSON form is documented field by field in
 * docs/probe.md and docs/schema/probe.schema.json.
 *
 * The struct is plain data (no pointers): copy it, compare it, send it over
 * a pipe.
 */
#ifndef PARITY_PROBE_H
#define PARITY_PROBE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "err.h"

/* Bumped when a JSON field changes meaning or disappears (not when one is
 * added). */
#define PROBE_SCHEMA_VERSION 1

#define PROBE_REASON_MAX 192

enum probe_state {
	PROBE_NOT_PROBED = 0, /* needs a privilege this process lacks (reason says which) */
	PROBE_YES,	      /* the real operation succeeded */
	PROBE_NO,	      /* the kernel refused it or lacks it (reason: call and errno) */
	PROBE_ERROR,	      /* the probe itself failed (fork, timeout, crash): unknown */
};

struct probe_feature {
	enum probe_state state;
	int err;		       /* errno that decided NO/ERROR, else 0 */
	char reason[PROBE_REASON_MAX]; /* the call and its outcome */
};

/* How landlock_create_ruleset(NULL, 0, VERSION) answered. */
enum probe_landlock_status {
	PROBE_LL_ENABLED,   /* returned the ABI */
	PROBE_LL_NOT_BUILT, /* ENOSYS: kernel built without CONFIG_SECURITY_LANDLOCK */
	PROBE_LL_DISABLED,  /* EOPNOTSUPP: built in but left out of lsm= / CONFIG_LSM */
	PROBE_LL_BLOCKED,   /* EPERM: a seccomp filter around us refuses the syscall */
	PROBE_LL_ERROR,	    /* any other errno */
};

struct probe_landlock {
	enum probe_landlock_status status;
	int abi; /* >= 1 when enabled, else -1 */
	int err; /* errno when not enabled, else 0 */
	char reason[PROBE_REASON_MAX];
	/* LANDLOCK_CREATE_RULESET_ERRATA (ABI >= 7; may be backported, so it is
	 * asked whatever the ABI). */
	bool errata_supported;
	unsigned errata; /* bitmask of fixed errata, valid when supported */
	int errata_err;	 /* errno when unsupported (EINVAL on kernels without it) */
	char errata_reason[PROBE_REASON_MAX];
	/* A ruleset handling READ_DIR enforced in a child, then open("/")
	 * denied: Landlock works here, not only answers (it fails e.g. at the
	 * 16-layer limit inside nested sandboxes). */
	struct probe_feature restrict_self;
	/* Does Landlock see TCP Fast Open? In a child: CONNECT_TCP handled
	 * with no port allowed, then sendto(MSG_FASTOPEN) to a loopback
	 * listener. EACCES: yes (the fix, 33cb713db016, 7.2-rc4 and stable
	 * backports). A connection attempt: no, the implicit connect bypasses
	 * the connect hook. No errata bit exists for it: only this measures
	 * it. Needs ABI >= 4 and the TFO client sysctl. */
	struct probe_feature tfo_checked;
};

/* seccomp return actions, strongest first (the kernel's precedence when
 * stacked filters disagree). */
enum probe_seccomp_action {
	PROBE_SECCOMP_KILL_PROCESS,
	PROBE_SECCOMP_KILL_THREAD,
	PROBE_SECCOMP_TRAP,
	PROBE_SECCOMP_ERRNO,
	PROBE_SECCOMP_USER_NOTIF,
	PROBE_SECCOMP_TRACE,
	PROBE_SECCOMP_LOG,
	PROBE_SECCOMP_ALLOW,
	PROBE_SECCOMP_NACTIONS,
};

struct probe_seccomp {
	struct probe_feature available; /* prctl(PR_GET_SECCOMP) answers (CONFIG_SECCOMP) */
	struct probe_feature actions[PROBE_SECCOMP_NACTIONS]; /* SECCOMP_GET_ACTION_AVAIL */
	struct probe_feature filter;	  /* libseccomp filter loaded in a child, ERRNO observed */
	struct probe_feature user_notif;  /* NEW_LISTENER fd + one notification round trip */
	struct probe_feature pidfd_open;  /* pidfd_open() on a child */
	struct probe_feature pidfd_getfd; /* pidfd_getfd() of a child's fd, same inode */
};

struct probe_namespaces {
	struct probe_feature user; /* unshare(CLONE_NEWUSER) in a child */
	struct probe_feature net;  /* unshare(CLONE_NEWNET) (via a userns when unprivileged) */
	struct probe_feature pid;  /* unshare(CLONE_NEWPID), then a grandchild is pid 1 */
	struct probe_feature veth; /* root: veth pair made in a throwaway netns (libnl) */
	struct probe_feature
	    nftables; /* root: "add table inet parity_probe" in a throwaway netns */
};

struct probe_protocols {
	struct probe_feature mptcp;	     /* AF_INET, SOCK_STREAM, IPPROTO_MPTCP */
	struct probe_feature sctp_stream;    /* AF_INET, SOCK_STREAM, IPPROTO_SCTP */
	struct probe_feature sctp_seqpacket; /* AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP */
	struct probe_feature smc;	     /* AF_SMC, SOCK_STREAM, SMCPROTO_SMC */
	struct probe_feature smc_ipproto;    /* AF_INET, SOCK_STREAM, IPPROTO_SMC (6.11+) */
	struct probe_feature vsock_stream;   /* AF_VSOCK, SOCK_STREAM */
	struct probe_feature vsock_dgram;    /* AF_VSOCK, SOCK_DGRAM */
	struct probe_feature udplite;	     /* AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE */
	struct probe_feature ping_v4;	     /* AF_INET, SOCK_DGRAM, IPPROTO_ICMP */
	struct probe_feature ping_v6;	     /* AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6 */
	struct probe_feature raw_v4;	     /* root: AF_INET, SOCK_RAW, IPPROTO_RAW */
	struct probe_feature raw_v6;	     /* root: AF_INET6, SOCK_RAW, IPPROTO_RAW */
	struct probe_feature packet;	     /* root: AF_PACKET, SOCK_RAW, ETH_P_ALL */
	struct probe_feature unix_oob;	     /* send(MSG_OOB) on an AF_UNIX stream pair (5.15+) */
};

struct probe_entry_points {
	struct probe_feature io_uring; /* io_uring_queue_init() */
	struct probe_feature
	    io_uring_socket;	   /* IORING_OP_SOCKET in the probe ops, UDP socket made */
	struct probe_feature x32;  /* syscall(__X32_SYSCALL_BIT | 39) == getpid() */
	struct probe_feature ia32; /* int $0x80 with eax=20 == getpid(), in a child */
	struct probe_feature tcp_fastopen_client; /* sendto(MSG_FASTOPEN) to a loopback listener */
	struct probe_feature mptcp_fastopen_client; /* the same from an MPTCP socket (6.2+) */
	struct probe_feature io_uring_connect;	/* IORING_OP_CONNECT to a unix listener (5.5+) */
	struct probe_feature fsopen;		/* fsopen("tmpfs"): the fd-based mount API (5.2+) */
	struct probe_feature bpf_socket_filter; /* BPF_PROG_LOAD + SO_ATTACH_BPF (3.19+) */
	struct probe_feature ptrace_attach;	/* PTRACE_ATTACH to a child (Yama scope < 3) */
};

enum probe_sysctl_id {
	PROBE_SYSCTL_TCP_FASTOPEN,
	PROBE_SYSCTL_MPTCP_ENABLED,
	PROBE_SYSCTL_PING_GROUP_RANGE,
	PROBE_SYSCTL_YAMA_PTRACE_SCOPE,
	PROBE_SYSCTL_UNPRIVILEGED_BPF_DISABLED,
	PROBE_SYSCTL_IO_URING_DISABLED,
	PROBE_SYSCTL_MAX_USER_NAMESPACES,
	PROBE_SYSCTL_LEGACY_TIOCSTI,
	PROBE_SYSCTL_COUNT,
};

struct probe_sysctl {
	bool present;	/* read successfully */
	int err;	/* errno when not: ENOENT means absent from this kernel */
	char value[64]; /* as the kernel prints it, whitespace runs collapsed to one space */
};

struct probe_system {
	char release[65]; /* uname -r */
	char version[65]; /* uname -v */
	char machine[65]; /* uname -m */
	uid_t uid, euid;
	gid_t gid, egid;
	int cap_last_cap; /* highest capability the kernel knows, -1 unknown */
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	int no_new_privs;    /* prctl(PR_GET_NO_NEW_PRIVS), -1 unknown */
	int seccomp_mode;    /* prctl(PR_GET_SECCOMP): 0 none, 2 filter; -1 unknown */
	int seccomp_filters; /* "Seccomp_filters:" in /proc/self/status, -1 unknown */
};

struct probe {
	double elapsed_ms; /* wall time of probe_run() */
	struct probe_system sys;
	struct probe_landlock landlock;
	struct probe_seccomp seccomp;
	struct probe_namespaces ns;
	struct probe_protocols proto;
	struct probe_entry_points entry;
	struct probe_sysctl sysctl[PROBE_SYSCTL_COUNT];
};

/* Probe everything. Returns 0 (features missing are results), or -1 with e
 * set when the probing machinery itself failed. */
int probe_run(struct probe *p, struct perr *e);

/* The JSON form (docs/probe.md). New reference; NULL only on ENOMEM. */
json_t *probe_to_json(const struct probe *p);

/* Human table: sections, aligned columns, reasons. */
void probe_print_table(const struct probe *p, FILE *f);

/* Quick Landlock ABI query. Returns 0 and sets *abi (>= 1); or -1, sets
 * *abi = -1 and *err to the errno (ENOSYS, EOPNOTSUPP, EPERM, ...). */
int probe_landlock_abi(int *abi, int *err);
/* The status an errno from the ABI query means. */
enum probe_landlock_status probe_landlock_status_of(int err);
/* Quick errata query. Returns 0 and sets *mask; or -1 with *err. */
int probe_landlock_errata(unsigned *mask, int *err);

/* One Landlock erratum, as the kernel numbers it: bit (id - 1) of the
 * errata mask is set when the fix is in the running kernel. */
struct probe_erratum {
	int id;		     /* erratum number (1, 2, 3) */
	unsigned bit;	     /* 1U << (id - 1) */
	int since_abi;	     /* the ABI the erratum applies from */
	const char *name;    /* stable identifier: "tcp_socket_identification" */
	const char *meaning; /* what having the fix changes, one line */
};
/* Known errata by mask bit; NULL for an unknown bit. */
const struct probe_erratum *probe_erratum_by_bit(unsigned bit);
/* Decode a mask: up to max known errata in out (bit order); returns how
 * many were stored; *unknown gets the bits no entry names. */
size_t probe_errata_decode(unsigned mask, const struct probe_erratum **out, size_t max,
			   unsigned *unknown);

/* Every struct probe_feature, enumerable, with its JSON location: the JSON
 * writer, the table and precondition lookups all walk this one list. */
struct probe_feature_desc {
	const char *path;  /* "protocols.mptcp": JSON object path, '.'-separated */
	const char *label; /* table label */
	size_t offset;	   /* offsetof(struct probe, ...) */
};
size_t probe_feature_count(void);
const struct probe_feature_desc *probe_feature_desc_at(size_t i);
const struct probe_feature *probe_feature_at(const struct probe *p, size_t i);
/* Look a feature up by path ("protocols.sctp_stream"); NULL if unknown.
 * Attack preconditions name features this way. */
const struct probe_feature *probe_find(const struct probe *p, const char *path);

/* Stable names used in JSON and tables. */
/* Whether an errno of a feature's own call means "absent" (a "no"), not
 * "the probe could not tell" (an "error"); see probe.c. */
bool probe_errno_means_absent(int err);
const char *probe_state_name(enum probe_state s);		      /* "yes", "not_probed" */
const char *probe_landlock_status_name(enum probe_landlock_status s); /* "not_built" */
const char *probe_seccomp_action_name(enum probe_seccomp_action a);   /* "user_notif" */
const char *probe_sysctl_name(enum probe_sysctl_id id);		      /* "net.ipv4.tcp_fastopen" */

#endif
