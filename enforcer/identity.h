/* identity.h - the identity layer: who the agent (or the restricted pod
 * supervisor) runs as, with no capability in any set, no_new_privs and not
 * dumpable. Each step is recorded through a rep_sink; a failed step returns
 * -1 and the caller must not exec. */
#ifndef PARITY_IDENTITY_H
#define PARITY_IDENTITY_H

#include <stdbool.h>
#include <sys/types.h>

#include "report.h"

struct identity_target {
	bool change_ids; /* setgroups/setresgid/setresuid to uid/gid */
	uid_t uid;
	gid_t gid;
	bool clear_capabilities; /* bounding, ambient, inheritable, permitted, effective */
	bool no_new_privs;
	bool not_dumpable;
	const char *who; /* "agent" or "supervisor" for the report */
};

int identity_apply(const struct identity_target *t, struct rep_sink *rs);

/* Drop every capability from the bounding set (needs CAP_SETPCAP). */
int identity_clear_bounding(int *last_cap);
/* Read the capability sets of the calling thread (bitmaps of 64 caps). */
int identity_caps(unsigned long long *eff, unsigned long long *prm, unsigned long long *inh);

#endif
