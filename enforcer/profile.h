/* profile.h - a profile is data: which enforcement layers, with which
 * parameters. profile_load() turns enforcer/profiles/NAME.json (or any file)
 * into a struct profile, rejecting unknown fields and bad values with an
 * error that names the file and the field. Nothing is applied here.
 */
#ifndef PARITY_PROFILE_H
#define PARITY_PROFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define PROFILE_MAX_PATHS 64
/* parity run --ro and --rw: each at most this many */
#define PROFILE_MAX_EXTRA_PATHS 31
#define PROFILE_MAX_PORTS 32
#define PROFILE_MAX_RULES 96
#define PROFILE_MAX_ARGS 6
#define PROFILE_MAX_SOCKET_ALLOW 8
#define PROFILE_MAX_PROTOCOLS 8

enum net_mode {
	NET_HOST,      /* agent shares the supervisor's (pod) network namespace */
	NET_NAMESPACE, /* private netns + veth (+ nftables), reference §1 */
};

enum nft_placement {
	NFT_OFF,		/* control: namespace without nftables must escape */
	NFT_SANDBOX_OUTPUT,	/* the reference: output chain inside the sandbox netns */
	NFT_SUPERVISOR_FORWARD, /* variant: rules on the supervisor side of the veth */
};

/* What a seccomp rule or an architecture mismatch does. */
enum sc_action {
	SC_ALLOW,
	SC_ERRNO,  /* return -errno */
	SC_KILL,   /* SECCOMP_RET_KILL_PROCESS */
	SC_NOTIFY, /* SECCOMP_RET_USER_NOTIF, handled by the supervisor */
	SC_TRAP,
	SC_LOG,
};

enum sc_op { SC_OP_EQ, SC_OP_NE, SC_OP_MASKED_EQ, SC_OP_GE, SC_OP_GT, SC_OP_LE, SC_OP_LT };

struct sc_arg_cmp {
	unsigned index; /* 0..5 */
	enum sc_op op;
	uint64_t mask; /* SC_OP_MASKED_EQ */
	uint64_t value;
	/* 32: compare the low 32 bits only, as the kernel reads an int argument
	 * (seccompiler's Dword). 64: the full register (libseccomp's default). */
	unsigned width;
};

struct sc_rule {
	char syscall[40];
	char label[64]; /* for the report: "socket(AF_INET, SOCK_DGRAM)" */
	/* Generated from seccomp.socket_allow (reported as a group, not one
	 * entry per rule): the index of the allowlist entry + 1, or 0. */
	unsigned from_allowlist;
	enum sc_action action;
	int errno_value;
	unsigned nargs;
	struct sc_arg_cmp args[PROFILE_MAX_ARGS];
};

struct profile_identity {
	/* The supervisor first becomes a restricted pod (platform as root). */
	bool supervisor_drop;
	uid_t supervisor_uid;
	gid_t supervisor_gid;
	/* The agent's identity; agent_drop false keeps the supervisor's. */
	bool agent_drop;
	uid_t agent_uid;
	gid_t agent_gid;
	bool clear_capabilities;
	bool no_new_privs;
	bool not_dumpable;
	bool setsid;
	/* Close every inherited fd but stdio before exec (default true). The
	 * `none` control keeps them, so an fd leak can be shown to matter. */
	bool close_inherited_fds;
};

struct profile_network {
	enum net_mode mode;
	char proxy_host[64]; /* listen address (numeric), e.g. "127.0.0.1" */
	uint16_t proxy_port;
	/* The proxy's allowlist when none is given: false = the shipped
	 * default (lab: lab.json); true = an open proxy (the positive control:
	 * attacks on the proxy policy must be able to escape under `none`). */
	bool proxy_open;
	/* NET_NAMESPACE */
	char host_addr[64];    /* "10.200.0.1" */
	char sandbox_addr[64]; /* "10.200.0.2" */
	unsigned prefix_len;   /* 24 */
	enum nft_placement nft;
	/* "nftables_engine": "libnftables" (true) or "netlink" (false, the
	 * default): what puts the sandbox-output table in (nft_netlink.h) */
	bool nft_libnftables;
};

struct profile_landlock {
	bool enabled;
	/* Handle the filesystem rights of ABIs <= this (the reference's
	 * rust-landlock targets ABI::V2); rights of newer ABIs that have their
	 * own switch (ioctl_dev, resolve_unix) are added by those switches. */
	unsigned fs_rights_abi;
	unsigned nro, nrw;
	char *fs_read_only[PROFILE_MAX_PATHS];
	char *fs_read_write[PROFILE_MAX_PATHS];
	/* A handled right with no port listed denies every port. */
	bool connect_tcp_handled;
	unsigned nconnect;
	uint16_t connect_tcp[PROFILE_MAX_PORTS];
	bool bind_tcp_handled;
	unsigned nbind;
	uint16_t bind_tcp[PROFILE_MAX_PORTS];
	bool udp_handled; /* ABI 10: BIND_UDP + CONNECT_SEND_UDP */
	unsigned nudp_bind, nudp_send;
	uint16_t udp_bind[PROFILE_MAX_PORTS];
	uint16_t udp_send[PROFILE_MAX_PORTS];
	bool scope_abstract_unix;
	bool scope_signal;
	bool resolve_unix_handled; /* ABI 9 */
	bool ioctl_dev_handled;	   /* ABI 5 (part of the fs rights) */
};

/* One entry of seccomp.socket_allow: socket(family, type, protocol) is
 * allowed when the family matches, (type & SOCK_TYPE_MASK) is `type` (or any
 * type), and the protocol is one of `protocols` (or any). Everything the
 * list does not allow is denied (seccomp_layer.c expands it into deny rules). */
struct sc_socket_allow {
	int family;
	bool any_type;
	int type;
	unsigned nprotocols; /* 0: any protocol */
	uint32_t protocols[PROFILE_MAX_PROTOCOLS];
};

/* What the notify supervisor decides (docs/notify.md, docs/platform-strict.md). */
enum notify_policy {
	NOTIFY_POLICY_FOLLOW_UP, /* the PR follow-up's, gaps included */
	NOTIFY_POLICY_STRICT,	 /* ours: platform-strict */
};

/* Notification-based mediation (platform-notify, platform-strict). */
struct profile_notify {
	bool enabled;
	enum notify_policy policy;
	unsigned nsyscalls;
	char syscalls[16][24]; /* connect, sendto, sendmsg, recvfrom, recvmsg, bind, ... */
	bool check_arch;       /* non-native arch -> notify (then denied) */
	bool allow_loopback;   /* the follow-up pins 127.0.0.1 and ::1 */
	bool pin_policy_hosts; /* resolve policy names once at start */
	bool port_check;       /* ours: pin ip:port, not ip alone */
	/* ours: sendto traps only with a destination (arg4 != NULL); send()
	 * on a connected socket is left to the kernel. */
	bool sendto_addressed_only;
};

struct profile_seccomp {
	bool enabled;
	bool base;		   /* the reference's shared base filter (§3.1) */
	enum sc_action non_native; /* i386 via int 0x80 and other arches */
	int non_native_errno;
	enum sc_action x32; /* nr | 0x40000000 on x86_64 */
	int x32_errno;
	bool clone3_enosys; /* separate first filter: clone3 -> ENOSYS */
	unsigned nrules;
	struct sc_rule rules[PROFILE_MAX_RULES];
	/* seccomp.socket_allow: present = socket() is an allowlist */
	bool socket_allow_set;
	unsigned nsocket_allow;
	struct sc_socket_allow socket_allow[PROFILE_MAX_SOCKET_ALLOW];
	struct profile_notify notify;
};

struct profile {
	char name[64];
	char path[4096];
	char description[512];
	char reference[512];
	struct profile_identity id;
	struct profile_network net;
	struct profile_landlock ll;
	struct profile_seccomp sc;
};

/* Find a profile: a path (contains '/' or ends in .json) or a shipped name
 * looked up in $PARITY_PROFILE_DIR, then next to the executable
 * (../enforcer/profiles, ./enforcer/profiles) and the source tree. */
int profile_resolve_path(const char *name_or_file, char *out, size_t len, struct perr *e);
int profile_load(const char *name_or_file, struct profile *p, struct perr *e);
/* Parse from a JSON text (tests); `file` names it in errors. */
int profile_parse(const char *text, const char *file, struct profile *p, struct perr *e);
void profile_free(struct profile *p);

/* Directory holding the shipped profiles (resolved as above). */
const char *profile_dir(void);
/* A shipped proxy policy (enforcer/policies/NAME.json) next to the profiles. */
const char *profile_policy_path(const char *name, char *buf, size_t len);
/* Names of the shipped profiles, in matrix order. */
extern const char *const profile_shipped[];

const char *sc_action_name(enum sc_action a);

#endif
