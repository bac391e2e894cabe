/* report_kernels.c - the kernel compatibility report (reports.h): loads the
 * results folders of one matrix per kernel (`parity vm run`, and the host's
 * own run), computes kernel-compat.json from them and writes the output
 * folders. kernel-compat.md comes from report_kernels_md.c, the merged
 * cells.tsv and junit.xml from report_kernels_merged.c (report_kernels_int.h).
 *
 * Everything is derived from each folder's results.json (its probe, its
 * cells at the kernel's own ABI, its parity rows, its claims) and the
 * optional kernel.json that vmtests/matrix.sh writes next to it (the
 * kernel's name, its state PASS/FAIL/INCONCLUSIVE and why, the expected
 * ABI, timings). A folder without results.json (an INCONCLUSIVE kernel) still
 * gets its column, with its state and why. */
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attack.h"
#include "jsonutil.h"
#include "report_stage.h"
#include "report_kernels_int.h"
#include "report_util.h"
#include "util.h"
#include "reports.h"
#include "results.h"

#define MAXK 32

/* ---- per kernel ---- */

static bool at_kernel_abi(json_t *item)
{
	json_t *abi = json_object_get(item, "abi");
	return json_is_true(json_object_get(abi, "kernel"));
}

static const char *probe_state(json_t *probe, const char *group, const char *name)
{
	const char *s = rs(json_object_get(json_object_get(probe, group), name), "state");
	return *s ? s : "unknown";
}

/* TCP Fast Open fix, measured by an attack: T06.sendto (else another T06,
 * else D04, DNS over TFO) under platform at the kernel's ABI. Only
 * meaningful from ABI 4 (below it no TCP rule exists at all). The probe's
 * own measurement (landlock.tfo_checked) is kept beside it. */
static int tfo_rank(const char *attack)
{
	if (strcmp(attack, "T06.sendto") == 0)
		return 3;
	if (strncmp(attack, "T06", 3) == 0)
		return 2;
	return strcmp(attack, "D04") == 0 ? 1 : 0;
}

static json_t *tfo_fix(json_t *r)
{
	json_t *c, *found = NULL;
	size_t i;
	const char *probed =
	    rs(json_object_get(json_object_get(json_object_get(r, "probe"), "landlock"),
			       "tfo_checked"),
	       "state");

	json_array_foreach (json_object_get(r, "cells"), i, c) {
		if (strcmp(rs(c, "role"), "cell") || strcmp(rs(c, "profile"), "platform") ||
		    !at_kernel_abi(c))
			continue;
		if (tfo_rank(rs(c, "attack")) > (found ? tfo_rank(rs(found, "attack")) : 0))
			found = c;
	}
	if (!found)
		return json_pack("{s:s,s:s,s:s}", "state", "not measured", "why",
				 "no TCP Fast Open attack (T06*, D04) ran under platform", "probe",
				 *probed ? probed : "not probed");
	long long abi = ri(json_object_get(found, "abi"), "effective");
	const char *v = rs(found, "verdict");
	const char *state = abi < 4					    ? "not measurable"
			    : strcmp(v, "ESCAPED") == 0			    ? "absent"
			    : !strcmp(v, "BLOCKED") || !strcmp(v, "KILLED") ? "present"
									    : "unknown";
	char why[512];
	if (abi < 4)
		snprintf(why, sizeof(why), "Landlock ABI %lld < 4: no TCP rule to bypass", abi);
	else
		snprintf(why, sizeof(why), "%s %s: %s", rs(found, "id"), v, rs(found, "reason"));
	util_utf8_trim(why);
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "state", state, "cell", rs(found, "id"),
			 "verdict", v, "why", why, "probe", *probed ? probed : "not probed");
}

static void add_to_list(json_t *obj, const char *key, const char *attack)
{
	json_t *l = json_object_get(obj, key);
	if (!l) {
		l = json_array();
		json_object_set_new(obj, key, l);
	}
	json_array_append_new(l, json_string(attack));
}

/* A kernel's state: its results' own exit code (0 PASS, 1 FAIL, else
 * INCONCLUSIVE), unless kernel.json (parity vm run) says worse. Without
 * kernel.json a folder of results was PASS whatever they said; with one,
 * its PASS was never checked against them. */
static const char *kernel_state(json_t *info, json_t *r, char *why, size_t len)
{
	json_t *code = json_object_get(json_object_get(r, "summary"), "exit_code");
	const char *stated = rs(info, "state");
	const char *derived = !r			      ? "INCONCLUSIVE"
			      : !json_is_integer(code)	      ? "INCONCLUSIVE"
			      : json_integer_value(code) == 0 ? "PASS"
			      : json_integer_value(code) == 1 ? "FAIL"
							      : "INCONCLUSIVE";

	snprintf(why, len, "%s", rs(info, "why"));
	if (*stated && (strcmp(stated, "PASS") != 0 || !r))
		return stated; /* the VM run's own failure, with its reason */
	if (r && strcmp(derived, "PASS") != 0)
		snprintf(why, len, "%sits results.json exits %s (summary.exit_code)",
			 *stated ? "kernel.json says PASS, but " : "",
			 json_is_integer(code) ? (json_integer_value(code) == 1 ? "1: a regression"
										: "3: inconclusive")
					       : "with no code");
	return derived;
}

static json_t *kernel_entry(json_t *info, json_t *r, const char *dir)
{
	json_t *k = json_object(), *probe = json_object_get(r, "probe");
	json_t *ll = json_object_get(probe, "landlock"), *er = json_object_get(ll, "errata");
	json_t *run = json_object_get(r, "run"), *c, *row, *p;
	size_t i;
	char base[4096], why[512];

	snprintf(base, sizeof(base), "%s", dir);
	json_object_set_new(k, "name",
			    json_string(*rs(info, "name") ? rs(info, "name") : basename(base)));
	json_object_set_new(k, "state", json_string(kernel_state(info, r, why, sizeof(why))));
	json_object_set_new(k, "why", json_string(why));
	json_object_set_new(
	    k, "kernel_release",
	    json_string(r ? rs(run, "kernel_release") : rs(info, "kernel_release")));
	json_object_set_new(k, "kernel_version",
			    json_string(rs(json_object_get(probe, "system"), "kernel_version")));
	json_object_set_new(k, "package_version", json_string(rs(info, "package_version")));
	json_object_set_new(k, "source", json_string(rs(info, "source")));
	if (json_object_get(info, "expected_landlock_abi"))
		json_object_set(k, "expected_landlock_abi",
				json_object_get(info, "expected_landlock_abi"));
	if (json_object_get(info, "timings_ms"))
		json_object_set(k, "timings_ms", json_object_get(info, "timings_ms"));
	json_object_set_new(k, "has_results", json_boolean(r != NULL));
	if (!r)
		return k;

	json_t *fixed = json_array();
	json_array_foreach (json_object_get(er, "fixed"), i, c)
		json_array_append_new(fixed, json_integer(ri(c, "id")));
	json_object_set_new(k, "landlock",
			    json_pack("{s:s,s:I,s:b,s:I,s:o}", "status", rs(ll, "status"), "abi",
				      (json_int_t)ri(ll, "abi"), "errata_supported",
				      json_is_true(json_object_get(er, "supported")), "errata_mask",
				      (json_int_t)ri(er, "mask"), "errata_fixed", fixed));
	json_object_set_new(k, "tfo_fix", tfo_fix(r));
	json_object_set_new(k, "features",
			    json_pack("{s:s,s:s,s:s,s:s,s:s}", "mptcp",
				      probe_state(probe, "protocols", "mptcp"), "sctp",
				      probe_state(probe, "protocols", "sctp_stream"), "smc",
				      probe_state(probe, "protocols", "smc"), "udplite",
				      probe_state(probe, "protocols", "udplite"), "io_uring",
				      probe_state(probe, "entry_points", "io_uring")));
	json_t *sum = json_object_get(r, "summary");
	json_object_set_new(k, "cells", json_integer(ri(sum, "cells")));
	json_object_set(k, "by_verdict", json_object_get(sum, "by_verdict"));
	json_object_set_new(k, "exit_code", json_integer(ri(sum, "exit_code")));
	json_object_set_new(
	    k, "wall_ms",
	    json_real(json_number_value(json_object_get(json_object_get(r, "timing"), "wall_ms"))));

	/* What escapes, per profile (not the control) and family. */
	json_t *esc = json_object(), *inc = json_object();
	json_array_foreach (json_object_get(run, "profiles"), i, p) {
		if (strcmp(json_string_value(p), "none") != 0) {
			json_object_set_new(esc, json_string_value(p), json_object());
			json_object_set_new(inc, json_string_value(p), json_object());
		}
	}
	json_array_foreach (json_object_get(r, "cells"), i, c) {
		json_t *into;
		if (strcmp(rs(c, "role"), "cell") || !at_kernel_abi(c))
			continue;
		if (strcmp(rs(c, "verdict"), "ESCAPED") == 0)
			into = json_object_get(esc, rs(c, "profile"));
		else if (strcmp(rs(c, "verdict"), "INCONCLUSIVE") == 0)
			into = json_object_get(inc, rs(c, "profile"));
		else
			continue;
		if (into)
			add_to_list(into, rs(c, "family"), rs(c, "attack"));
	}
	json_object_set_new(k, "escapes", esc);
	json_object_set_new(k, "inconclusive_cells", inc);

	/* Gaps against namespace, with the expectation entry that explains each. */
	json_t *gaps = json_object(), *regs = json_array(), *reverse = json_object();
	json_array_foreach (json_object_get(r, "parity"), i, row) {
		json_t *cell = NULL, *x;
		size_t j;
		if (strcmp(rs(row, "status"), "REVERSE") == 0 && at_kernel_abi(row)) {
			add_to_list(reverse, rs(row, "profile"), rs(row, "attack"));
			continue;
		}
		if (strcmp(rs(row, "status"), "GAP") || !at_kernel_abi(row))
			continue;
		json_array_foreach (json_object_get(r, "cells"), j, x) {
			if (strcmp(rs(x, "id"), rs(row, "profile_cell")) == 0)
				cell = x;
		}
		x = json_object_get(cell, "expectation");
		json_t *l = json_object_get(gaps, rs(row, "profile"));
		if (!l) {
			l = json_array();
			json_object_set_new(gaps, rs(row, "profile"), l);
		}
		json_array_append_new(
		    l, json_pack("{s:s,s:s,s:s,s:s,s:s}", "attack", rs(row, "attack"), "family",
				 rs(row, "family"), "outcome", rs(x, "outcome"), "entry",
				 *rs(x, "entry") ? rs(x, "entry") : "(no expectation)", "rationale",
				 rs(x, "rationale")));
	}
	json_array_foreach (json_object_get(json_object_get(r, "expectations"), "regressions"), i,
			    c)
		json_array_append(regs, c);
	json_object_set_new(k, "gaps", gaps);
	json_object_set_new(k, "reverse", reverse);
	json_object_set_new(k, "regressions", regs);

	/* The PR's claims at the kernel's own ABI. */
	json_t *claims = json_object();
	json_array_foreach (json_object_get(json_object_get(r, "expectations"), "claims"), i, c) {
		json_t *pa, *best = NULL, *failing = json_array(), *f;
		size_t j;
		json_array_foreach (json_object_get(c, "per_abi"), j, pa) {
			if (at_kernel_abi(pa) || !best)
				best = pa;
		}
		json_array_foreach (json_object_get(best, "failing"), j, f)
			json_array_append_new(failing, json_string(rs(f, "attack")));
		json_object_set_new(claims, rs(c, "entry"),
				    json_pack("{s:s,s:o}", "status",
					      best ? rs(best, "status") : "untested", "failing",
					      failing));
	}
	json_object_set_new(k, "claims", claims);
	return k;
}

/* A kernel entry's name (kernels[].name). */
const char *compat_kernel_name(json_t *k)
{
	return rs(k, "name");
}

/* ---- across kernels ---- */

bool compat_has_string(json_t *a, const char *s)
{
	json_t *v;
	size_t i;
	json_array_foreach (a, i, v) {
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

static json_t *gap_attacks(json_t *k, const char *profile)
{
	json_t *out = json_array(), *g;
	size_t i;
	json_array_foreach (json_object_get(json_object_get(k, "gaps"), profile), i, g)
		json_array_append_new(out, json_string(rs(g, "attack")));
	return out;
}

/* Does platform reach parity with namespace, and where not, what is missing. */
static json_t *parity_answer(json_t *kernels, const char *profile)
{
	json_t *k, *common = NULL, *full = json_array(), *besides = json_array();
	json_t *missing = json_object(), *noresult = json_object();
	size_t i, with = 0;

	json_array_foreach (kernels, i, k) {
		json_t *g;
		/* A kernel whose cells are not settled (INCONCLUSIVE) answers
		 * nothing: its missing gaps read as parity. FAIL (a cell worse
		 * than expected) is still judged: its verdicts stand. */
		if (!json_is_true(json_object_get(k, "has_results")) ||
		    (strcmp(rs(k, "state"), "PASS") != 0 && strcmp(rs(k, "state"), "FAIL") != 0)) {
			json_object_set_new(noresult, rs(k, "name"),
					    json_sprintf("%s: %s", rs(k, "state"), rs(k, "why")));
			continue;
		}
		with++;
		g = gap_attacks(k, profile);
		if (!common) {
			common = json_deep_copy(g);
		} else {
			json_t *keep = json_array(), *v;
			size_t j;
			json_array_foreach (common, j, v) {
				if (compat_has_string(g, json_string_value(v)))
					json_array_append(keep, v);
			}
			json_decref(common);
			common = keep;
		}
		json_decref(g);
	}
	if (!common)
		common = json_array();
	json_array_foreach (kernels, i, k) {
		json_t *gs, *g, *extra;
		size_t j;
		if (!json_is_true(json_object_get(k, "has_results")))
			continue;
		gs = json_object_get(json_object_get(k, "gaps"), profile);
		if (json_array_size(gs) == 0) {
			json_array_append_new(full, json_string(rs(k, "name")));
			continue;
		}
		extra = json_array();
		json_array_foreach (gs, j, g) {
			if (!compat_has_string(common, rs(g, "attack")))
				json_array_append(extra, g);
		}
		if (json_array_size(extra) == 0)
			json_array_append_new(besides, json_string(rs(k, "name")));
		else
			json_object_set(missing, rs(k, "name"), extra);
		json_decref(extra);
	}
	json_t *everywhere = json_array(), *v;
	json_array_foreach (common, i, v) {
		/* the entry explaining it, from the first kernel that has it */
		/* the entries explaining it: they may differ between kernels
		 * (D04.mptcp: no TCP rule below ABI 4, erratum 1 above) */
		json_t *kk, *g, *entries = json_array();
		size_t a, b;
		char text[512] = "";
		json_array_foreach (kernels, a, kk) {
			json_array_foreach (json_object_get(json_object_get(kk, "gaps"), profile),
					    b, g) {
				if (strcmp(rs(g, "attack"), json_string_value(v)) == 0 &&
				    !compat_has_string(entries, rs(g, "entry")))
					json_array_append_new(entries, json_string(rs(g, "entry")));
			}
		}
		json_array_foreach (entries, a, g) {
			size_t len = strlen(text);
			snprintf(text + len, sizeof(text) - len, "%s%s", a ? " / " : "",
				 json_string_value(g));
		}
		json_decref(entries);
		json_array_append_new(everywhere, json_pack("{s:s,s:s}", "attack",
							    json_string_value(v), "entry", text));
	}
	json_decref(common);
	return json_pack("{s:s,s:s,s:I,s:o,s:o,s:o,s:o,s:o}", "profile", profile, "reference",
			 "namespace", "kernels_with_results", (json_int_t)with, "full_parity", full,
			 "gaps_everywhere", everywhere, "parity_but_everywhere_gaps", besides,
			 "missing", missing, "no_results", noresult);
}

json_t *report_compat_build(json_t *const *infos, json_t *const *results, const char *const *dirs,
			    size_t n)
{
	json_t *kernels = json_array(), *fams = json_array(), *profiles = json_array();
	json_t *claims = json_array(), *c, *p;
	size_t i, j;

	for (i = 0; i < n; i++)
		json_array_append_new(kernels, kernel_entry(infos[i], results[i], dirs[i]));
	for (int f = 0; f < FAM_COUNT; f++) {
		const char *name = attack_family_name((enum attack_family)f);
		bool seen = false;
		for (i = 0; i < n && !seen; i++) {
			json_array_foreach (json_object_get(results[i], "cells"), j, c)
				seen |= strcmp(rs(c, "family"), name) == 0;
		}
		if (seen)
			json_array_append_new(fams, json_string(name));
	}
	for (i = 0; i < n; i++) {
		json_array_foreach (json_object_get(json_object_get(results[i], "run"), "profiles"),
				    j, p) {
			if (strcmp(json_string_value(p), "none") &&
			    !compat_has_string(profiles, json_string_value(p)))
				json_array_append(profiles, p);
		}
	}
	/* Claims: the first results file that has them gives title and text. */
	for (i = 0; i < n && json_array_size(claims) == 0; i++) {
		json_array_foreach (
		    json_object_get(json_object_get(results[i], "expectations"), "claims"), j, c) {
			json_t *holds = json_array(), *k;
			size_t a;
			json_array_foreach (kernels, a, k) {
				json_t *st =
				    json_object_get(json_object_get(k, "claims"), rs(c, "entry"));
				if (strcmp(rs(st, "status"), "holds") == 0)
					json_array_append_new(holds, json_string(rs(k, "name")));
			}
			json_array_append_new(
			    claims,
			    json_pack("{s:s,s:s,s:s,s:s,s:O*,s:o}", "entry", rs(c, "entry"),
				      "title", rs(c, "title"), "expected", rs(c, "expected"),
				      "profile", rs(c, "profile"), "stated",
				      json_object_get(c, "stated"), "holds_on", holds));
		}
	}
	const char *pp = compat_has_string(profiles, "platform") ? "platform" : "";
	for (i = 0; !*pp && i < json_array_size(profiles); i++) {
		const char *s = json_string_value(json_array_get(profiles, i));
		if (strcmp(s, "namespace"))
			pp = s;
	}
	/* The same answer for every other profile (platform-notify, ...). */
	json_t *others = json_object();
	for (i = 0; i < json_array_size(profiles); i++) {
		const char *s = json_string_value(json_array_get(profiles, i));
		if (strcmp(s, "namespace") && strcmp(s, pp))
			json_object_set_new(others, s, parity_answer(kernels, s));
	}
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "schema", "parity.kernel-compat/1",
			 "kernels", kernels, "families", fams, "profiles", profiles, "claims",
			 claims, "parity", parity_answer(kernels, pp), "parity_other_profiles",
			 others);
}

/* ---- from folders ---- */

static bool same_folder(const char *a, const char *b)
{
	struct stat sa, sb;

	if (strcmp(a, b) == 0)
		return true;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int stage_text(struct report_stage *st, const char *dir, const char *name, json_t *doc,
		      json_t *const *results, void (*md)(json_t *, FILE *),
		      void (*many)(json_t *, json_t *const *, FILE *), struct perr *e)
{
	FILE *f = report_stage_open(st, dir, name, e);

	if (!f)
		return -1;
	if (md)
		md(doc, f);
	else
		many(doc, results, f);
	return report_stage_close(st, f, e);
}

/* kernel.json as vmtests/matrix.sh writes it: named strings, a known
 * state, an ABI number, a timings object (each may be null or absent). A
 * file that is not one is named, never shown as a column without a why. */
static int kernel_info_check(json_t *info, const char *path, struct perr *e)
{
	static const char *const strs[] = {
	    "name", "state", "why", "kernel_release", "package_version", "source", "cmdline_extra"};
	static const char *const states[] = {"PASS", "FAIL", "INCONCLUSIVE", "INFRA"};
	json_t *v;
	bool known = false;

	if (!json_is_object(info))
		return perr_usage(e, "%s: expected an object", path);
	for (size_t k = 0; k < ARRAY_SIZE(strs); k++) {
		v = json_object_get(info, strs[k]);
		if (v && !json_is_null(v) && !json_is_string(v))
			return perr_usage(e, "%s: field '%s': expected a string", path, strs[k]);
	}
	v = json_object_get(info, "state");
	for (size_t k = 0; json_is_string(v) && k < ARRAY_SIZE(states); k++)
		known |= strcmp(json_string_value(v), states[k]) == 0;
	if (json_is_string(v) && !known)
		return perr_usage(e,
				  "%s: field 'state': expected PASS, FAIL, INCONCLUSIVE or INFRA, "
				  "got '%.32s'",
				  path, json_string_value(v));
	v = json_object_get(info, "expected_landlock_abi");
	if (v && !json_is_null(v) && !json_is_integer(v))
		return perr_usage(e, "%s: field 'expected_landlock_abi': expected a number", path);
	v = json_object_get(info, "timings_ms");
	if (v && !json_is_null(v) && !json_is_object(v))
		return perr_usage(e, "%s: field 'timings_ms': expected an object", path);
	return 0;
}

int report_compat_write(const char *const *dirs, size_t n, const char *out, const char *merged,
			struct perr *e)
{
	json_t *infos[MAXK] = {0}, *results[MAXK] = {0}, *doc = NULL;
	struct report_stage stage = {0};
	char path[4200];
	int rc = -1;

	if (n == 0 || n > MAXK)
		return perr_usage(e, "between 1 and %d kernel folders", MAXK);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/kernel.json", dirs[i]);
		if (stat(path, &st) == 0 && (!(infos[i] = json_load_path(path, e)) ||
					     kernel_info_check(infos[i], path, e) < 0))
			goto out;
		snprintf(path, sizeof(path), "%s/results.json", dirs[i]);
		/* The same checks as `report render`: a file that is not a
		 * results document is named, never read as an empty column. */
		if (stat(path, &st) == 0 && results_load(path, &results[i], e) < 0)
			goto out;
		if (!infos[i] && !results[i]) {
			perr_usage(e, "%s: neither results.json nor kernel.json", dirs[i]);
			goto out;
		}
		/* One kernel's two files: a kernel.json of one kernel beside the
		 * results of another showed a column of mixed facts. */
		{
			const char *a =
			    json_string_value(json_object_get(infos[i], "kernel_release"));
			const char *b = json_string_value(
			    json_object_get(json_object_get(results[i], "run"), "kernel_release"));
			if (a && b && *a && strcmp(a, b) != 0) {
				perr_usage(
				    e,
				    "%s: kernel.json says kernel %.64s, results.json was run "
				    "on %.64s: not one kernel's folder",
				    dirs[i], a, b);
				goto out;
			}
		}
	}
	/* One column per name: two folders of one name mixed their gaps. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++) {
			char bi[4096], bj[4096];
			const char *ni = json_string_value(json_object_get(infos[i], "name"));
			const char *nj = json_string_value(json_object_get(infos[j], "name"));
			snprintf(bi, sizeof(bi), "%s", dirs[i]);
			snprintf(bj, sizeof(bj), "%s", dirs[j]);
			if (!ni || !*ni)
				ni = basename(bi);
			if (!nj || !*nj)
				nj = basename(bj);
			if (strcmp(ni, nj) == 0) {
				perr_usage(e, "%s and %s: both name the kernel '%.64s'", dirs[j],
					   dirs[i], ni);
				goto out;
			}
		}
	doc = report_compat_build(infos, results, dirs, n);
	/* Both folders all or nothing (report_stage.h): --merged used to fail
	 * after --out had been written. */
	for (int pass = 0; pass < 2; pass++) {
		const char *d = pass ? merged : out;
		if (d && mkdir(d, 0755) < 0 && errno != EEXIST) {
			perr_sys(e, errno, "mkdir %s", d);
			goto out;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		const char *d = pass ? merged : out;
		/* Both made: one folder however it is spelled (x and x/). */
		if (!d || (!pass && merged && same_folder(out, merged)))
			continue; /* the merged pass writes a superset */
		if (report_stage_json(&stage, d, "kernel-compat.json", doc, e) < 0 ||
		    stage_text(&stage, d, "kernel-compat.md", doc, results, report_compat_md, NULL,
			       e) < 0)
			goto out;
		if (pass && (stage_text(&stage, d, "cells.tsv", doc, results, NULL,
					report_compat_tsv, e) < 0 ||
			     stage_text(&stage, d, "junit.xml", doc, results, NULL,
					report_compat_junit, e) < 0))
			goto out;
	}
	rc = report_stage_commit(&stage, e);
out:
	report_stage_abort(&stage); /* empty after a commit */
	for (size_t i = 0; i < n; i++) {
		json_decref(infos[i]);
		json_decref(results[i]);
	}
	json_decref(doc);
	return rc;
}
