/* probe_report.c - the kernel probe's results as JSON and as a table for
 * a terminal. See probe.h. */
#include "probe_internal.h"

#include <errno.h>
#include <jansson.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* -------------------------------------------------------------- JSON */

static json_t *errno_json(int err)
{
	return err ? json_string(util_errname(err)) : json_null();
}

static json_t *feature_json(const struct probe_feature *f)
{
	return json_pack("{s:s, s:b, s:o, s:s}", "state", probe_state_name(f->state), "available",
			 f->state == PROBE_YES, "errno", errno_json(f->err), "reason", f->reason);
}

static json_t *cap_json(uint64_t v)
{
	char buf[20];
	snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)v);
	return json_string(buf);
}

static json_t *int_or_null(int v)
{
	return v < 0 ? json_null() : json_integer(v);
}

/* The object at a '.'-separated path under root, created as needed. */
static json_t *object_at(json_t *root, const char *path, const char **leaf)
{
	char part[64];
	const char *dot;
	json_t *o = root;

	while ((dot = strchr(path, '.'))) {
		size_t n = (size_t)(dot - path);
		json_t *next;

		if (n >= sizeof(part))
			n = sizeof(part) - 1;
		memcpy(part, path, n);
		part[n] = 0;
		next = json_object_get(o, part);
		if (!next) {
			next = json_object();
			json_object_set_new(o, part, next);
		}
		o = next;
		path = dot + 1;
	}
	*leaf = path;
	return o;
}

json_t *probe_to_json(const struct probe *p)
{
	const struct probe_landlock *l = &p->landlock;
	const struct probe_system *s = &p->sys;
	const struct probe_erratum *fixed[32];
	json_t *root, *sys, *ll, *errata_obj, *arr, *sysctls;
	unsigned unknown = 0;
	size_t nfixed = 0;

	sys = json_pack(
	    "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:{s:o, s:o, s:o, s:o, s:o}, "
	    "s:o, s:o, s:o}",
	    "kernel_release", s->release, "kernel_version", s->version, "machine", s->machine,
	    "uid", (json_int_t)s->uid, "euid", (json_int_t)s->euid, "gid", (json_int_t)s->gid,
	    "egid", (json_int_t)s->egid, "cap_last_cap", int_or_null(s->cap_last_cap),
	    "capabilities", "effective", cap_json(s->cap_eff), "permitted", cap_json(s->cap_prm),
	    "inheritable", cap_json(s->cap_inh), "bounding", cap_json(s->cap_bnd), "ambient",
	    cap_json(s->cap_amb), "no_new_privs",
	    s->no_new_privs < 0 ? json_null() : json_boolean(s->no_new_privs == 1), "seccomp_mode",
	    int_or_null(s->seccomp_mode), "seccomp_filters", int_or_null(s->seccomp_filters));

	arr = json_array();
	if (l->errata_supported) {
		nfixed = probe_errata_decode(l->errata, fixed, ARRAY_SIZE(fixed), &unknown);
		for (size_t i = 0; i < nfixed; i++)
			json_array_append_new(arr, json_pack("{s:i, s:s, s:i, s:s}", "id",
							     fixed[i]->id, "name", fixed[i]->name,
							     "since_abi", fixed[i]->since_abi,
							     "meaning", fixed[i]->meaning));
	}
	errata_obj = json_pack("{s:b, s:o, s:o, s:I, s:o, s:s}", "supported", l->errata_supported,
			       "mask", l->errata_supported ? json_integer(l->errata) : json_null(),
			       "fixed", arr, "unknown_bits", (json_int_t)unknown, "errno",
			       errno_json(l->errata_supported ? 0 : l->errata_err), "reason",
			       l->errata_reason);
	ll = json_pack("{s:s, s:i, s:o, s:s, s:o}", "status", probe_landlock_status_name(l->status),
		       "abi", l->abi, "errno", errno_json(l->err), "reason", l->reason, "errata",
		       errata_obj);

	sysctls = json_object();
	for (int i = 0; i < PROBE_SYSCTL_COUNT; i++) {
		const struct probe_sysctl *sc = &p->sysctl[i];
		const char *status = sc->present	 ? "ok"
				     : sc->err == ENOENT ? "absent"
							 : "unreadable";
		json_object_set_new(sysctls, probe_sysctl_name((enum probe_sysctl_id)i),
				    json_pack("{s:s, s:o, s:o}", "status", status, "value",
					      sc->present ? json_string(sc->value) : json_null(),
					      "errno", errno_json(sc->present ? 0 : sc->err)));
	}

	root = json_pack("{s:i, s:f, s:o, s:o, s:{}, s:{}, s:{}, s:{}}", "schema",
			 PROBE_SCHEMA_VERSION, "probe_ms", p->elapsed_ms, "system", sys, "landlock",
			 ll, "seccomp", "namespaces", "protocols", "entry_points");
	if (!root) {
		json_decref(sysctls);
		return NULL;
	}
	for (size_t i = 0; i < probe_feature_count(); i++) {
		const char *leaf;
		json_t *o = object_at(root, probe_feature_desc_at(i)->path, &leaf);
		json_object_set_new(o, leaf, feature_json(probe_feature_at(p, i)));
	}
	json_object_set_new(root, "sysctls", sysctls);
	return root;
}

/* ------------------------------------------------------------- table */

#define LABEL_W 22
#define STATE_W 11

static void row(FILE *f, const char *label, const char *value, const char *reason)
{
	if (reason && *reason)
		fprintf(f, "  %-*s %-*s %s\n", LABEL_W, label, STATE_W, value, reason);
	else
		fprintf(f, "  %-*s %s\n", LABEL_W, label, value);
}

static void feature_rows(const struct probe *p, FILE *f, const char *section)
{
	size_t n = strlen(section);

	for (size_t i = 0; i < probe_feature_count(); i++) {
		const struct probe_feature *ft = probe_feature_at(p, i);
		const char *state =
		    ft->state == PROBE_NOT_PROBED ? "not probed" : probe_state_name(ft->state);
		if (strncmp(probe_feature_desc_at(i)->path, section, n) == 0 &&
		    probe_feature_desc_at(i)->path[n] == '.')
			row(f, probe_feature_desc_at(i)->label, state, ft->reason);
	}
}

static int popcount64(uint64_t v)
{
	return __builtin_popcountll(v);
}

/* clang-format off */
static const char *const cap_names[] = { /* by number, as <linux/capability.h> */
	"chown", "dac_override", "dac_read_search", "fowner",
	"fsetid", "kill", "setgid", "setuid",
	"setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
	"net_admin", "net_raw", "ipc_lock", "ipc_owner",
	"sys_module", "sys_rawio", "sys_chroot", "sys_ptrace",
	"sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod",
	"lease", "audit_write", "audit_control", "setfcap",
	"mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf",
	"checkpoint_restore",
};
/* clang-format on */

/* Append capability names of the bits of v to out ("sys_resource, bpf"). */
static void cap_list(uint64_t v, char *out, size_t len)
{
	for (int c = 0; c < 64; c++) {
		size_t used = strlen(out);
		if (!((v >> c) & 1))
			continue;
		if ((size_t)c < ARRAY_SIZE(cap_names))
			snprintf(out + used, len - used, "%s%s", used ? ", " : "", cap_names[c]);
		else
			snprintf(out + used, len - used, "%scap%d", used ? ", " : "", c);
	}
}

/* A mask with a short reading: "all", "none", "all but sys_resource",
 * or the few capabilities it holds. */
static void cap_row(FILE *f, const char *label, uint64_t v, int last)
{
	uint64_t all = last >= 63 ? ~0ULL : last >= 0 ? (1ULL << (last + 1)) - 1 : 0;
	char val[24], note[160] = "", names[128] = "";
	int n = popcount64(v), total = last + 1;

	snprintf(val, sizeof(val), "%016llx", (unsigned long long)v);
	if (v == 0)
		snprintf(note, sizeof(note), "none");
	else if (all && v == all)
		snprintf(note, sizeof(note), "all %d", total);
	else if (all && !(v & ~all) && total - n <= 6) {
		cap_list(all & ~v, names, sizeof(names));
		snprintf(note, sizeof(note), "all but %s", names);
	} else if (n <= 6) {
		cap_list(v, names, sizeof(names));
		snprintf(note, sizeof(note), "%s", names);
	} else {
		snprintf(note, sizeof(note), "%d of %d", n, total);
	}
	fprintf(f, "  %-*s %s  %s\n", LABEL_W, label, val, note);
}

void probe_print_table(const struct probe *p, FILE *f)
{
	const struct probe_system *s = &p->sys;
	const struct probe_landlock *l = &p->landlock;
	char buf[96];

	fprintf(f, "parity probe: Linux %s %s, uid %u, probed in %.1f ms\n", s->release, s->machine,
		(unsigned)s->euid, p->elapsed_ms);

	fprintf(f, "\nSystem\n");
	row(f, "kernel", s->release, s->version);
	row(f, "machine", s->machine, NULL);
	snprintf(buf, sizeof(buf), "%u/%u", (unsigned)s->uid, (unsigned)s->euid);
	row(f, "uid/euid", buf, NULL);
	snprintf(buf, sizeof(buf), "%u/%u", (unsigned)s->gid, (unsigned)s->egid);
	row(f, "gid/egid", buf, NULL);
	cap_row(f, "CapEff", s->cap_eff, s->cap_last_cap);
	cap_row(f, "CapPrm", s->cap_prm, s->cap_last_cap);
	cap_row(f, "CapInh", s->cap_inh, s->cap_last_cap);
	cap_row(f, "CapBnd", s->cap_bnd, s->cap_last_cap);
	cap_row(f, "CapAmb", s->cap_amb, s->cap_last_cap);
	snprintf(buf, sizeof(buf), "%d", s->no_new_privs);
	row(f, "no_new_privs", s->no_new_privs < 0 ? "unknown" : buf, NULL);
	snprintf(buf, sizeof(buf), "%d", s->seccomp_mode);
	row(f, "seccomp mode", s->seccomp_mode < 0 ? "unknown" : buf,
	    s->seccomp_mode == 2   ? "filtered"
	    : s->seccomp_mode == 0 ? "no filter"
				   : NULL);
	snprintf(buf, sizeof(buf), "%d", s->seccomp_filters);
	row(f, "seccomp filters", s->seccomp_filters < 0 ? "unknown" : buf, NULL);

	fprintf(f, "\nLandlock\n");
	snprintf(buf, sizeof(buf), "%d", l->abi);
	row(f, "abi", buf, NULL);
	row(f, "status", probe_landlock_status_name(l->status), l->reason);
	if (l->errata_supported) {
		const struct probe_erratum *fx[32];
		char names[PROBE_REASON_MAX] = "";
		unsigned unknown;
		size_t n = probe_errata_decode(l->errata, fx, ARRAY_SIZE(fx), &unknown);

		for (size_t i = 0; i < n; i++) {
			size_t used = strlen(names);
			snprintf(names + used, sizeof(names) - used, "%s%d:%s", i ? ", " : "",
				 fx[i]->id, fx[i]->name);
		}
		if (unknown) {
			size_t used = strlen(names);
			snprintf(names + used, sizeof(names) - used, "%sunknown bits 0x%x",
				 n ? ", " : "", unknown);
		}
		snprintf(buf, sizeof(buf), "0x%x", l->errata);
		row(f, "errata", buf, n || unknown ? names : "none fixed");
	} else {
		row(f, "errata", "unsupported", l->errata_reason);
	}
	feature_rows(p, f, "landlock");

	fprintf(f, "\nSeccomp and pidfds\n");
	feature_rows(p, f, "seccomp");
	fprintf(f, "\nNamespaces\n");
	feature_rows(p, f, "namespaces");
	fprintf(f, "\nProtocols\n");
	feature_rows(p, f, "protocols");
	fprintf(f, "\nEntry points\n");
	feature_rows(p, f, "entry_points");

	fprintf(f, "\nSysctls\n");
	for (int i = 0; i < PROBE_SYSCTL_COUNT; i++) {
		const struct probe_sysctl *sc = &p->sysctl[i];
		fprintf(f, "  %-*s %s\n", 34, probe_sysctl_name((enum probe_sysctl_id)i),
			sc->present	    ? sc->value
			: sc->err == ENOENT ? "absent"
					    : util_errname(sc->err));
	}
}
