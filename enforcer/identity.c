/* identity.c - uid/gid drop and capability clearing with raw syscalls
 * (capset/prctl), checked after the fact: the layer verifies that
 * setuid(0) fails and that every capability set reads back empty. */
#include "identity.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

static int last_cap(void)
{
	char buf[16];
	long v;
	if (util_read_text("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)) == 0 &&
	    util_parse_long(buf, 0, 63, &v) == 0)
		return (int)v;
	return CAP_LAST_CAP;
}

int identity_caps(unsigned long long *eff, unsigned long long *prm, unsigned long long *inh)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	*eff = data[0].effective | ((unsigned long long)data[1].effective << 32);
	*prm = data[0].permitted | ((unsigned long long)data[1].permitted << 32);
	*inh = data[0].inheritable | ((unsigned long long)data[1].inheritable << 32);
	return 0;
}

int identity_clear_bounding(int *last)
{
	int lc = last_cap();
	if (last)
		*last = lc;
	for (int c = 0; c <= lc; c++) {
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -1;
	}
	return 0;
}

/* The uid/gid entry, with the supplementary groups read back: without
 * root they cannot be dropped (setgroups needs CAP_SETGID), and a pod's
 * supplementalGroups or fsGroup stay with the command. Said, not hidden. */
static void report_groups(struct rep_sink *rs, const char *item, const struct identity_target *t)
{
	gid_t g[64];
	char kept[256] = "";
	int n = getgroups((int)ARRAY_SIZE(g), g);

	for (int i = 0; i < n; i++)
		if (g[i] != t->gid)
			snprintf(kept + strlen(kept), sizeof(kept) - strlen(kept), "%s%u",
				 kept[0] ? ", " : "", (unsigned)g[i]);
	if (n < 0)
		snprintf(kept, sizeof(kept), "unknown (getgroups: %s)", strerror(errno));
	if (kept[0])
		rep_emit(rs, "identity", item, REP_SKIPPED,
			 "uid=%u gid=%u; supplementary groups kept: %s (not root: setgroups "
			 "needs CAP_SETGID)",
			 (unsigned)t->uid, (unsigned)t->gid, kept);
	else
		rep_emit(rs, "identity", item, REP_APPLIED,
			 "uid=%u gid=%u, no supplementary groups (read back)", (unsigned)t->uid,
			 (unsigned)t->gid);
}

/* Whether this process holds cap now (its effective set: PR_CAPBSET_READ
 * would tell whether cap is in the bounding set, which a non-root pod
 * keeps full without holding any). */
static bool has_effective(int cap)
{
	unsigned long long eff, prm, inh;

	return identity_caps(&eff, &prm, &inh) == 0 && (eff >> cap) & 1;
}

static int caps_zero(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	return (int)syscall(SYS_capset, &hdr, data);
}

int identity_apply(const struct identity_target *t, struct rep_sink *rs)
{
	const char *who = t->who ? t->who : "agent";
	char item[96];
	int lc;

	if (t->clear_capabilities) {
		snprintf(item, sizeof(item), "%s: capability bounding set", who);
		/* Bounding first: dropping needs CAP_SETPCAP, gone after setuid. */
		bool bounding_empty = true;
		int top = last_cap(); /* read once: a file read per cap is ~40 of them */
		for (int c = 0; c <= top && bounding_empty; c++) /* root: one call */
			bounding_empty = prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 0;
		if (bounding_empty) {
			rep_emit(rs, "identity", item, REP_APPLIED, "already empty (inherited)");
		} else if (geteuid() == 0 || has_effective(CAP_SETPCAP)) {
			if (identity_clear_bounding(&lc) < 0) {
				rep_emit(rs, "identity", item, REP_FAILED, "PR_CAPBSET_DROP: %s",
					 strerror(errno));
				return -1;
			}
			rep_emit(rs, "identity", item, REP_APPLIED, "caps 0..%d dropped", lc);
		} else {
			/* Without CAP_SETPCAP the bounding set cannot shrink; it no
			 * longer matters once permitted is empty and NNP is set
			 * (no exec can gain capabilities), so say exactly that. */
			rep_emit(rs, "identity", item, REP_SKIPPED,
				 "no CAP_SETPCAP (not root): bounding set left as inherited; "
				 "permitted/effective/inheritable are cleared and NNP blocks "
				 "gaining caps");
		}
		snprintf(item, sizeof(item), "%s: ambient capabilities", who);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
			rep_emit(rs, "identity", item, REP_FAILED, "PR_CAP_AMBIENT_CLEAR_ALL: %s",
				 strerror(errno));
			return -1;
		}
		rep_emit(rs, "identity", item, REP_APPLIED, "cleared");
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
			rep_emit(rs, "identity", "keepcaps", REP_FAILED, "%s", strerror(errno));
			return -1;
		}
	}

	if (t->change_ids) {
		snprintf(item, sizeof(item), "%s: uid/gid", who);
		if (geteuid() == 0 && setgroups(0, NULL) < 0) {
			rep_emit(rs, "identity", item, REP_FAILED, "setgroups(0): %s",
				 strerror(errno));
			return -1;
		}
		if (setresgid(t->gid, t->gid, t->gid) < 0 ||
		    setresuid(t->uid, t->uid, t->uid) < 0) {
			rep_emit(rs, "identity", item, REP_FAILED, "setresuid/gid(%u/%u): %s",
				 (unsigned)t->uid, (unsigned)t->gid, strerror(errno));
			return -1;
		}
		if (t->uid != 0 && setuid(0) == 0) {
			rep_emit(rs, "identity", item, REP_FAILED, "setuid(0) still succeeds");
			return -1;
		}
		report_groups(rs, item, t);
	}

	if (t->clear_capabilities) {
		unsigned long long eff, prm, inh;
		snprintf(item, sizeof(item), "%s: capability sets", who);
		if (caps_zero() < 0 || identity_caps(&eff, &prm, &inh) < 0) {
			rep_emit(rs, "identity", item, REP_FAILED, "capset: %s", strerror(errno));
			return -1;
		}
		if (eff || prm || inh) {
			rep_emit(rs, "identity", item, REP_FAILED,
				 "still eff=%llx prm=%llx inh=%llx", eff, prm, inh);
			return -1;
		}
		rep_emit(rs, "identity", item, REP_APPLIED,
			 "effective, permitted, inheritable read back empty");
	}

	if (t->no_new_privs) {
		snprintf(item, sizeof(item), "%s: no_new_privs", who);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
			rep_emit(rs, "identity", item, REP_FAILED, "%s", strerror(errno));
			return -1;
		}
		rep_emit(rs, "identity", item, REP_APPLIED, "set");
	}
	if (t->not_dumpable) {
		snprintf(item, sizeof(item), "%s: dumpable", who);
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
			rep_emit(rs, "identity", item, REP_FAILED, "%s", strerror(errno));
			return -1;
		}
		rep_emit(rs, "identity", item, REP_APPLIED,
			 "PR_SET_DUMPABLE 0, as the reference does before exec; execve of a "
			 "readable binary sets it back to 1, so the command itself is dumpable "
			 "unless it clears it again");
	}
	return 0;
}
