/* landlock.h - the Landlock layer, with ABI emulation.
 *
 * Two phases, as the reference does since its PR #810:
 *   landlock_plan()    in the supervisor: decide, for the effective ABI
 *                      (min(kernel, --landlock-abi)), what is handled and
 *                      what must be skipped; --compat hard refuses here,
 *                      before anything runs.
 *   landlock_prepare() in the agent child while still privileged: open the
 *                      path fds.
 *   landlock_enforce() after the identity drop: build the ruleset and
 *                      restrict_self. Every rule is reported.
 */
#ifndef PARITY_LANDLOCK_H
#define PARITY_LANDLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "enforcer.h"
#include "err.h"
#include "profile.h"
#include "report.h"

/* Rights an ABI offers (handled_access_fs / handled_access_net / scoped). */
uint64_t landlock_abi_fs_rights(int abi);
uint64_t landlock_abi_net_rights(int abi);
uint64_t landlock_abi_scopes(int abi);
/* The first ABI offering a right / scope bit (for "needs ABI N"). */
int landlock_fs_right_min_abi(uint64_t right);
int landlock_net_right_min_abi(uint64_t right);
int landlock_scope_min_abi(uint64_t scope);
const char *landlock_fs_right_name(uint64_t right);
const char *landlock_net_right_name(uint64_t right);

/* The kernel's ABI: >= 1, or 0 with *why set ("not built (ENOSYS)",
 * "disabled at boot (EOPNOTSUPP)", "blocked (EPERM)"). */
int landlock_kernel_abi(const char **why);

struct landlock_path {
	const char *path;
	uint64_t access; /* wanted rights, masked to the handled set */
	int fd;		 /* O_PATH, opened by landlock_prepare */
	bool read_write;
};

/* Room for every path the inputs may name: a profile's two lists and
 * parity run's --ro and --rw, each full. Their own limits are checked
 * where a user is told which field or option went over. */
#define LANDLOCK_MAX_PATH_RULES (2 * (PROFILE_MAX_PATHS + PROFILE_MAX_EXTRA_PATHS))

struct landlock_plan {
	bool active; /* a ruleset will be created */
	int kernel_abi;
	int effective_abi;
	bool emulated; /* effective < kernel because of --landlock-abi */
	struct parity_ll_masks {
		uint64_t fs, net, scoped;
	} handled;
	unsigned npaths;
	struct landlock_path paths[LANDLOCK_MAX_PATH_RULES];
	unsigned nconnect, nbind, nudp_bind, nudp_send;
	const uint16_t *connect_ports, *bind_ports, *udp_bind_ports, *udp_send_ports;
};

/* exe_dir substitutes "${exe_dir}" in paths. Skipped items go to rs; with
 * COMPAT_HARD a missing feature is an error (usage class, exit 2... no: the
 * kernel lacks it, infrastructure class) naming the feature and its ABI. */
int landlock_plan(const struct profile_landlock *l, int abi_cap, enum compat_mode compat,
		  const char *const *extra_ro, const char *const *extra_rw, struct landlock_plan *p,
		  struct rep_sink *rs, struct perr *e);
/* The report entries for the kernel's Landlock errata (landlock_plan()
 * emits them with the running kernel's mask; known false: the kernel has
 * no errata interface, err its errno). Public for the unit tests. */
void landlock_report_errata(const struct landlock_plan *p, bool known, unsigned mask, int err,
			    struct rep_sink *rs);
int landlock_prepare(struct landlock_plan *p, struct rep_sink *rs);
int landlock_enforce(struct landlock_plan *p, struct rep_sink *rs);
/* The same ruleset as landlock_enforce() would enforce, built from a copy
 * of the plan (its own path fds) and returned unenforced (O_CLOEXEC), for a
 * thread that must act inside the agent's rules (platform-strict's notify
 * workers, docs/platform-strict.md). -1 when the plan has nothing to handle
 * or the ruleset cannot be built (errno). Paths that cannot be opened are
 * reported to rs, as the agent does. */
int landlock_ruleset_copy(const struct landlock_plan *plan, struct rep_sink *rs);
/* A profile path with "${exe_dir}" substituted (absolute paths only);
 * 0, or -1 when it is relative or does not fit (never cut). */
int landlock_expand_path(const char *in, char *out, size_t len);

#endif
