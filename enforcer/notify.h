/* notify.h - seccomp user-notification mediation: the PR follow-up's design
 * (openshell-reference.md §6), reproduced with its gaps. See docs/notify.md.
 *
 * Two halves, one role:
 *
 *  - the filter, loaded in the agent before the main filter: connect,
 *    sendto, sendmsg, recvfrom, recvmsg and bind -> SECCOMP_RET_USER_NOTIF;
 *    a non-native architecture -> notify (then denied); everything else,
 *    x32 numbers included, allowed. The listener fd goes to the supervisor
 *    over a socketpair (SCM_RIGHTS) and the agent closes its copy.
 *
 *  - the supervisor, in the process that waits for the agent: for each
 *    notification it opens a pidfd of the calling thread, reads the
 *    arguments from the child's memory exactly once (process_vm_readv,
 *    exact lengths), checks the notification id is still valid, takes the
 *    socket with pidfd_getfd, checks it is a socket, decides on the
 *    address against a frozen allowlist and performs the operation itself
 *    on the duplicated socket, answering with its result. It never answers
 *    CONTINUE for connect, bind or a send; receives carry no destination
 *    and are answered CONTINUE.
 *
 * The allowlist (the follow-up's DnsPinnedAllowlist) is built once before
 * the agent starts: the proxy address, 127.0.0.1 and ::1, and the policy's
 * names resolved once through the policy's resolver; then frozen. It is
 * IP-only unless the profile sets port_check (ours, for platform-strict).
 */
#ifndef PARITY_NOTIFY_H
#define PARITY_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "err.h"
#include "netaddr.h"
#include "policy.h"
#include "profile.h"
#include "report.h"

/* ---- the frozen allowlist ---- */

#define NOTIFY_MAX_PINS 64

struct notify_pin {
	struct netaddr ip;
	uint16_t port;	 /* checked only with port_check; 0 = any port */
	char source[80]; /* "proxy", "loopback", "allowed.test" */
};

struct notify_allowlist {
	bool port_check;
	bool frozen;
	size_t n;
	struct notify_pin pins[NOTIFY_MAX_PINS];
};

void notify_allowlist_init(struct notify_allowlist *al, bool port_check);
/* Add a pin (duplicates are merged). Fails once frozen or when full. */
int notify_allowlist_add(struct notify_allowlist *al, const struct netaddr *ip, uint16_t port,
			 const char *source, struct perr *e);
void notify_allowlist_freeze(struct notify_allowlist *al);
/* The follow-up's is_allowed(ip): exact address equality (an IPv4-mapped
 * IPv6 address is not its IPv4 address, as with Rust's IpAddr). The port
 * matters only with port_check. */
bool notify_allowlist_allows(const struct notify_allowlist *al, const struct netaddr *ip,
			     uint16_t port);

/* Build it for a profile and a proxy policy, in the supervisor, before the
 * agent starts: each pin and each policy entry that cannot be pinned
 * (wildcards, CIDRs, names that do not resolve) is reported. DNS queries
 * go to proxy_log_fd as "dns" lines (the lab matches them to the capture).
 * Returns 0, or -1 when the list cannot be built at all. */
int notify_allowlist_build(const struct profile *p, const struct policy *pol, int proxy_log_fd,
			   struct notify_allowlist *al, struct rep_sink *rs, struct perr *e);

/* ---- sockaddr parsing ---- */

enum notify_sa_result {
	NOTIFY_SA_OK,
	NOTIFY_SA_SHORT,  /* shorter than the family's struct (or than the family) */
	NOTIFY_SA_FAMILY, /* not AF_INET / AF_INET6: the follow-up's None */
};

struct notify_sockaddr {
	int family;	   /* native byte order, as the kernel reads sa_family */
	struct netaddr ip; /* network order bytes */
	uint16_t port;	   /* host order (read big-endian) */
	uint32_t flowinfo; /* host order (read big-endian); IPv6 only */
	uint32_t scope_id; /* native order; IPv6 only */
};

enum notify_sa_result notify_parse_sockaddr(const void *buf, size_t len,
					    struct notify_sockaddr *out);
const char *notify_sa_result_name(enum notify_sa_result r);

/* ---- the filter ---- */

/* Syscalls the supervisor knows how to mediate. */
bool notify_syscall_supported(const char *name);
/* Usage error naming the file and field when the profile asks for what the
 * supervisor cannot do. */
int notify_check_profile(const struct profile_notify *n, const char *file, struct perr *e);
/* libseccomp pseudo-filter code of the notify filter (tests, docs). */
int notify_export_pfc(const struct profile_notify *n, int fd, struct perr *e);

/* In the agent, after Landlock and before the main filter: load the notify
 * filter, send the listener over handoff_sock (SCM_RIGHTS), close both.
 * Every step is reported; -1 means the command must not run. */
int notify_install(const struct profile_notify *n, int handoff_sock, struct rep_sink *rs);

/* ---- the supervisor ---- */

struct notify_stats {
	unsigned long received;
	unsigned long allowed;	      /* performed on the child's behalf */
	unsigned long denied;	      /* answered with an error by policy */
	unsigned long continued;      /* receives: answered CONTINUE */
	unsigned long failed;	      /* mediation could not be done: answered an error */
	unsigned long stale;	      /* the id was no longer valid (thread gone) */
	unsigned long overload;	      /* no worker free: EINPROGRESS (connect), EAGAIN (send) */
	unsigned long pidfds_renewed; /* a kept pidfd's thread was gone, its tid reused */
	unsigned long by_reason[16];  /* indexed by the reasons of notify_reason_name() */
	unsigned workers_peak;
	double handle_us_max; /* receive to answer, inline path */
	double handle_us_total;
};

struct notify_supervisor;

/* Take the listener the agent sent (after its "exec" line: it is there or
 * the mediation cannot run). Checks it is a seccomp listener. */
int notify_receive_listener(int handoff_sock, int *listener, struct perr *e);
struct notify_supervisor *notify_supervisor_new(int listener, const struct notify_allowlist *al,
						struct perr *e);
/* The strict policy (notify_strict.h, docs/platform-strict.md): signals
 * only to `agent` and its descendants; AF_UNIX pathname operations in
 * workers restricted with domain_fd (the agent's Landlock ruleset,
 * landlock_ruleset_copy(); -1 with domain_required false when no ruleset is
 * in force at the effective ABI). The supervisor keeps domain_fd open. */
void notify_supervisor_set_strict(struct notify_supervisor *s, pid_t agent, int domain_fd,
				  bool domain_required);
/* strict: the agent may reach (connect to, or send a datagram to) a
 * pathname socket only beneath one of these paths, its read-write
 * Landlock rules: what LANDLOCK_ACCESS_FS_RESOLVE_UNIX (ABI 9) grants
 * through such rules, checked by the workers at every ABI (below 9 the
 * kernel checks nothing). Each is resolved (realpath) now; one that does
 * not exist is left out. Returns the number kept, -1 on ENOMEM. */
int notify_supervisor_set_unix_reach(struct notify_supervisor *s, const char *const *paths,
				     unsigned n);
/* The fd to poll for POLLIN. */
int notify_supervisor_fd(const struct notify_supervisor *s);
/* Handle one pending notification; never blocks on the child's behalf
 * (blocking operations go to bounded worker threads). Returns -1 when the
 * listener is gone (every filtered task exited). */
int notify_supervisor_handle(struct notify_supervisor *s);
/* Whether the listener wakes the supervisor on the trapping thread's CPU
 * (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6): a latency matter only. */
bool notify_supervisor_sync_wakeup(const struct notify_supervisor *s);
/* Abort in-flight blocking operations, join the workers, close the
 * listener (later notifications fail with ENOSYS: closed). */
void notify_supervisor_stop(struct notify_supervisor *s, struct notify_stats *out);
const char *notify_reason_name(unsigned i);

#endif
