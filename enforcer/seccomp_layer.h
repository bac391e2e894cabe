/* seccomp_layer.h - the seccomp layer, built with libseccomp.
 *
 * seccomp_build_rules() turns a profile into the list of rules to install
 * (the reference's base filter, openshell-reference.md §3.1, then the
 * profile's own rules) so the rule construction can be unit-tested without
 * loading anything. seccomp_apply() loads them in the agent child:
 *   0. with seccomp.notify: the notify filter (notify.h), listener to the
 *      supervisor
 *   1. clone3 -> ENOSYS (its own filter, as the reference does, so glibc
 *      falls back to clone whose flags can be inspected)
 *   2. the main filter: default allow, rules, the architecture policy.
 * Architecture policy: `non_native` is libseccomp's bad-arch action; x32
 * numbers either take that action too, or (x32 = allow, what the
 * reference's seccompiler does) pass with no rule at all, built by merging an
 * empty x32 filter into the native one. See docs/seccomp.md.
 */
#ifndef PARITY_SECCOMP_LAYER_H
#define PARITY_SECCOMP_LAYER_H

#include <stddef.h>

#include "err.h"
#include "profile.h"
#include "report.h"

/* The reference's base filter, as data. */
extern const struct sc_rule seccomp_base_rules[];
extern const size_t seccomp_base_rules_count;

/* Families below this are denied one by one (32-bit compares) unless the
 * socket allowlist names them; every value above by one 64-bit gt. */
#define SECCOMP_AF_LIMIT 46
/* An allowed protocol list may leave at most this many gaps to deny. */
#define SECCOMP_MAX_PROTOCOL_GAPS 32
/* Base rules + the expanded socket allowlist + profile rules. */
#define SECCOMP_MAX_BUILT_RULES (PROFILE_MAX_RULES + 256)
/* sc_rule.from_allowlist: the family rules, or entry i's rules. */
#define SC_FROM_FAMILIES 1u
#define SC_FROM_ENTRY(i) ((unsigned)(i) + 2u)

/* Expand seccomp.socket_allow into deny rules (the filter's default is
 * allow): every family not listed; within a listed family, every other
 * type (type & 0xf) and every other protocol (eq below the highest allowed,
 * gt above it). Returns the count (0 without an allowlist) or -1. */
int seccomp_expand_socket_allow(const struct profile_seccomp *s, struct sc_rule *out, size_t n,
				struct perr *e);

/* Collect base + socket allowlist + profile rules into out (max n).
 * Returns the count or -1. */
int seccomp_build_rules(const struct profile_seccomp *s, struct sc_rule *out, size_t n,
			struct perr *e);
/* Check the architecture combination is expressible; usage error if not. */
int seccomp_check_profile(const struct profile_seccomp *s, const char *file, struct perr *e);

/* Load the filters into the calling thread: with seccomp.notify, first the
 * notify filter, whose listener is sent over notify_handoff (notify.h);
 * then clone3, then the main filter. Every rule is reported. */
int seccomp_apply(const struct profile_seccomp *s, int notify_handoff, struct rep_sink *rs);

/* Export the main filter as libseccomp pseudo-filter code (for tests/docs). */
int seccomp_profile_export_pfc(const struct profile_seccomp *s, int fd, struct perr *e);

#endif
