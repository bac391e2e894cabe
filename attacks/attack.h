/* attack.h - the attack registry: every variant is a row of data plus the
 * function that runs inside the sandbox.
 *
 * An attack never decides whether it escaped. It tries, sends the cell's
 * marker where a witness can see it, and writes a transcript (one JSON line
 * per syscall: what, return value, errno) to stdout. Its "claim" is kept as
 * diagnostic evidence next to the witnesses' verdict.
 *
 * Registering: each family file (attacks/tcp.c, udp.c, dns.c, abstract.c,
 * signals.c, escape.c) defines a table `const struct attack attacks_<family>[]`
 * terminated by {0}; registry.c lists the tables. Code never branches on ids.
 */
#ifndef PARITY_ATTACK_H
#define PARITY_ATTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* What the lab tells the program (DESIGN.md §4), parsed from PARITY_*. */
struct attack_env {
	const char *marker;
	const char *sink_v4, *sink_v6;
	const char *dns_v4, *dns_v6;
	char proxy_host[64];
	uint16_t proxy_port;
	char allowed_host[128];
	uint16_t allowed_port;
	pid_t victim_pid;
	const char *victim_abstract;
	const char *victim_path; /* pathname victims' base path; NULL: none */
	pid_t supervisor_pid;
};

/* Preconditions, checked outside the sandbox before the cell runs (see
 * attack_check_needs). A missing one makes the cell N/A with the reason. */
struct attack_needs {
	const char *probe[4]; /* probe feature paths that must be "yes", e.g.
				 "protocols.sctp_stream", "entry_points.x32" */
	const char *sysctl;   /* "net/ipv4/tcp_fastopen" */
	unsigned sysctl_mask; /* value & mask must be non-zero */
	bool root_in_lab;     /* the harness must run as root (lab needs it anyway) */
};

enum attack_family {
	FAM_TCP,      /* B1 TCP proxy bypass */
	FAM_UDP,      /* B2 UDP exfiltration */
	FAM_DNS,      /* B3 DNS tunnelling */
	FAM_ABSTRACT, /* B4 abstract unix sockets */
	FAM_SIGNAL,   /* B5 signals to the supervisor side */
	FAM_ESCAPE,   /* B6 escape extras */
	FAM_NOTIFY,   /* aimed at the seccomp user-notification design */
	FAM_COUNT
};

/* Expected stopping layer per shipped profile (documentation data). */
struct attack_expect {
	const char *namespace_;
	const char *platform;
	const char *platform_notify;
	const char *platform_strict;
};

struct attack_log;

struct attack {
	const char *id; /* catalog id + variant: "T06.sendto" */
	enum attack_family family;
	const char *title;
	const char *tries;    /* what it tries and why it matters */
	const char *syscalls; /* the sequence, for the docs */
	struct attack_needs needs;
	const char *refs; /* references (catalog, issues, commits) */
	struct attack_expect expect;
	unsigned timeout_ms; /* 0: 5000 */
	int (*run)(const struct attack_env *env, struct attack_log *log);
};

/* ---- the registry ---- */
const struct attack *attack_find(const char *id);
size_t attack_count(void);
const struct attack *attack_at(size_t i);
const char *attack_family_name(enum attack_family f);  /* "tcp" */
const char *attack_family_title(enum attack_family f); /* "TCP proxy bypass" */
int attack_family_parse(const char *s, enum attack_family *f);

/* ---- inside the sandbox: environment and transcript ---- */
int attack_env_load(struct attack_env *env, char *err, size_t errlen);

/* Record one step: a syscall's result. ret < 0 takes errno as saved by the
 * caller (pass it explicitly: the logging itself may clobber errno). */
void attack_step(struct attack_log *log, const char *call, long ret, int err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* A free-form note in the transcript. */
void attack_note(struct attack_log *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The attack's own opinion, kept as diagnostic evidence only. */
enum attack_claim { CLAIM_BLOCKED = 0, CLAIM_ESCAPED = 1, CLAIM_UNSURE = 2 };
/* Ask the lab's accomplice to dial in: kind "tcp"|"tcp6"|"udp"|"udp6" with
 * a port, or "abstract" with a name. Returns once the request is written;
 * give the accomplice time (attack_accomplice_wait). */
void attack_request_accomplice(struct attack_log *log, const char *kind, const char *what);

/* Ask the lab to inspect this process from outside while it holds a
 * primitive no network witness sees (a new namespace, a mount, a bpf or
 * io_uring fd): the harness compares it with the agent's baseline. Blocks
 * until the harness answers that it has looked (SIGURG to the main thread),
 * at most ATTACK_INSPECT_WAIT_MS. */
#define ATTACK_INSPECT_WAIT_MS 5000
void attack_request_inspect(struct attack_log *log);

/* Run an attack in this process (the sandboxed program): prints the
 * transcript and the claim; returns the process exit code (0 ran, 1 claimed
 * blocked... see attack_main). */
int attack_main(const char *id);

/* ---- helpers every family uses ---- */
/* Parse "a.b.c.d"/"v6" + port into a sockaddr; returns its length or 0.
 * Writes the whole sockaddr_storage (128 bytes): never pass a cast
 * sockaddr_in. */
socklen_t attack_sockaddr(const char *host, uint16_t port, struct sockaddr_storage *ss);
/* Non-blocking connect with a timeout; returns 0 or -1 with errno. */
int attack_connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms);
/* Send the marker ("PARITY <marker> <label>\n") on a connected socket. */
ssize_t attack_send_marker(const struct attack_env *env, int fd, const char *label);
/* The marker line itself, for sendto/sendmsg payloads. */
int attack_marker_payload(const struct attack_env *env, const char *label, char *buf, size_t len);

#endif
