/* results.c - the results document: derived parts, exit code, merge
 * (results.h). */
#include "results.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "jsonutil.h"
#include "parity.h"
#include "util.h"
#include "verdict.h"

/* An array whose items are all strings (want_object false) or all objects;
 * absent is fine unless required. */
static int check_array(json_t *arr, bool required, bool want_object, const char *path,
		       const char *field, struct perr *e)
{
	size_t i;
	json_t *v;

	if (!arr) {
		if (required)
			return perr_usage(e, "%s: field '%s': required field is missing", path,
					  field);
		return 0;
	}
	if (!json_is_array(arr))
		return perr_usage(e, "%s: field '%s': expected an array", path, field);
	json_array_foreach (arr, i, v) {
		if (want_object ? !json_is_object(v) : !json_is_string(v))
			return perr_usage(e, "%s: field '%s[%zu]': expected %s", path, field, i,
					  want_object ? "an object" : "a string");
	}
	return 0;
}

bool results_pcap_name_ok(const char *rel)
{
	static const char pre[] = "evidence/", suf[] = ".pcapng";
	size_t n = rel ? strlen(rel) : 0;

	if (n <= strlen(pre) + strlen(suf) || strncmp(rel, pre, strlen(pre)) != 0 ||
	    strcmp(rel + n - strlen(suf), suf) != 0 || rel[strlen(pre)] == '.')
		return false;
	for (const char *p = rel + strlen(pre); *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

/* The parts the report writers walk: lists of names they use as strings,
 * lists of records they read with typed getters (a missing or mistyped
 * scalar inside a record reads as empty; a list item of the wrong type
 * would not). */
static int results_check_shape(json_t *r, const char *path, struct perr *e)
{
	json_t *run = json_object_get(r, "run"), *cells = json_object_get(r, "cells"), *c, *seen;
	char field[64];
	size_t i;

	if (check_array(json_object_get(run, "profiles"), true, false, path, "run.profiles", e) <
		0 ||
	    check_array(json_object_get(run, "attacks"), true, false, path, "run.attacks", e) < 0 ||
	    check_array(json_object_get(run, "abis"), true, true, path, "run.abis", e) < 0 ||
	    check_array(json_object_get(run, "infra_failures"), false, false, path,
			"run.infra_failures", e) < 0 ||
	    check_array(cells, true, true, path, "cells", e) < 0 ||
	    check_array(json_object_get(r, "parity"), true, true, path, "parity", e) < 0 ||
	    check_array(json_object_get(json_object_get(r, "expectations"), "sets"), true, true,
			path, "expectations.sets", e) < 0)
		return -1;
	/* Rendered without --recompute, the summary is what the reports say:
	 * a document without one is not to be read as "0 cells, exit 0". */
	if (!json_is_object(json_object_get(r, "summary")))
		return perr_usage(e, "%s: field 'summary': expected an object", path);
	{
		json_t *thr =
		    json_object_get(json_object_get(r, "expectations"), "inconclusive_threshold");
		if (thr && !json_is_number(thr))
			return perr_usage(
			    e,
			    "%s: field 'expectations.inconclusive_threshold': expected "
			    "a number",
			    path);
	}
	seen = json_object();
	if (!seen)
		return perr_sys(e, ENOMEM, "%s", path);
	json_array_foreach (cells, i, c) {
		static const char *const need[] = {"id", "attack", "profile", "verdict"};
		json_t *pcap = json_object_get(c, "pcap");
		const char *id, *verdict;
		enum verdict v;
		snprintf(field, sizeof(field), "cells[%zu].escapes", i);
		if (check_array(json_object_get(c, "escapes"), false, false, path, field, e) < 0)
			goto fail;
		for (size_t k = 0; k < ARRAY_SIZE(need); k++)
			if (!json_is_string(json_object_get(c, need[k]))) {
				perr_usage(e, "%s: field 'cells[%zu].%s': expected a string", path,
					   i, need[k]);
				goto fail;
			}
		id = json_string_value(json_object_get(c, "id"));
		verdict = json_string_value(json_object_get(c, "verdict"));
		/* The canonical names only: verdict_parse's "NA" alias was
		 * counted as neither N/A nor run in the reports. */
		if (verdict_parse(verdict, &v) < 0 || strcmp(verdict_name(v), verdict) != 0) {
			perr_usage(e, "%s: field 'cells[%zu].verdict': unknown verdict '%.32s'",
				   path, i, verdict);
			goto fail;
		}
		/* One cell per id: the HTML report keys its details by id. */
		if (json_object_get(seen, id)) {
			perr_usage(e, "%s: field 'cells[%zu].id': '%.64s' appears twice", path, i,
				   id);
			goto fail;
		}
		json_object_set_new(seen, id, json_true());
		/* Copied next to the reports under this name: nothing but a
		 * file of evidence/ (a name like "results.json", or a path out
		 * of it, would overwrite what was just written). */
		if (pcap && !json_is_null(pcap) && !results_pcap_name_ok(json_string_value(pcap))) {
			perr_usage(e,
				   "%s: field 'cells[%zu].pcap': expected null or "
				   "\"evidence/NAME.pcapng\" (NAME of letters, digits, '.', "
				   "'_', '-')",
				   path, i);
			goto fail;
		}
	}
	json_decref(seen);
	return 0;
fail:
	json_decref(seen);
	return -1;
}

int results_load(const char *path, json_t **out, struct perr *e)
{
	json_t *r = json_load_path(path, e);
	const char *schema;

	*out = NULL;
	if (!r)
		return -1;
	schema = json_string_value(json_object_get(r, "schema"));
	if (!schema || strcmp(schema, RESULTS_SCHEMA) != 0) {
		perr_usage(e, "%s: field 'schema': expected \"%s\", got %s%.64s%s", path,
			   RESULTS_SCHEMA, schema ? "\"" : "", schema ? schema : "nothing",
			   schema ? "\"" : "");
		json_decref(r);
		return -1;
	}
	if (!json_is_array(json_object_get(r, "cells")) ||
	    !json_is_object(json_object_get(r, "run")) ||
	    !json_is_object(json_object_get(r, "probe")) ||
	    !json_is_object(json_object_get(r, "expectations"))) {
		json_decref(r);
		return perr_usage(e,
				  "%s: not a complete results document (run, probe, cells, "
				  "expectations)",
				  path);
	}
	if (results_check_shape(r, path, e) < 0) {
		json_decref(r);
		return -1;
	}
	*out = r;
	return 0;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

void results_cell_file_name(const char *cell_id, char *buf, size_t len)
{
	size_t i;
	for (i = 0; cell_id[i] && i + 1 < len; i++) {
		char c = cell_id[i];
		buf[i] = (c == '/' || c == ' ' || c == '*' || c == '?') ? '_' : c;
	}
	buf[i] = 0;
}

/* ---- summary and exit code ---- */

static void summarize(json_t *r)
{
	json_t *cells = json_object_get(r, "cells"), *c;
	json_t *x = json_object_get(r, "expectations");
	json_t *by = json_object(), *sum;
	json_t *infra = json_object_get(json_object_get(r, "run"), "infra_failures");
	json_t *thr = json_object_get(x, "inconclusive_threshold");
	double threshold =
	    json_is_number(thr) ? json_number_value(thr) : RESULTS_INCONCLUSIVE_THRESHOLD;
	size_t i, ran = 0, inconclusive = 0, escaped = 0, controls = 0, unjudged = 0, none = 0;
	size_t regressions = json_array_size(json_object_get(x, "regressions"));
	size_t ninfra = json_array_size(infra);
	double frac;
	int code;
	char why[512];

	for (int v = 0; v <= V_INCONCLUSIVE; v++)
		json_object_set_new(by, verdict_name((enum verdict)v), json_integer(0));
	json_array_foreach (cells, i, c) {
		const char *v = str(c, "verdict");
		const char *o = str(json_object_get(c, "expectation"), "outcome");
		json_t *n = json_object_get(by, v);
		if (n)
			json_integer_set(n, json_integer_value(n) + 1);
		if (strcmp(str(c, "role"), "control") == 0)
			controls++;
		else if (strcmp(v, "ESCAPED") == 0)
			escaped++;
		if (strcmp(v, "N/A") != 0)
			ran++;
		if (strcmp(v, "INCONCLUSIVE") == 0)
			inconclusive++;
		if (strcmp(o, "unjudged") == 0)
			unjudged++;
		if (strcmp(o, "none") == 0)
			none++;
	}
	frac = ran ? (double)inconclusive / (double)ran : 0.0;
	if (regressions) {
		code = PARITY_EXIT_FAIL;
		snprintf(why, sizeof(why), "%zu result(s) worse than expected", regressions);
	} else if (ninfra) {
		code = PARITY_EXIT_INFRA;
		snprintf(why, sizeof(why), "%zu infrastructure failure(s): %s", ninfra,
			 json_string_value(json_array_get(infra, 0)));
	} else if (frac > threshold) {
		code = PARITY_EXIT_INFRA;
		snprintf(why, sizeof(why),
			 "%zu of %zu cells that ran are INCONCLUSIVE (%.1f%%, threshold %.1f%%)",
			 inconclusive, ran, frac * 100, threshold * 100);
	} else {
		code = PARITY_EXIT_OK;
		snprintf(why, sizeof(why), "no cell worse than expected");
	}
	sum =
	    json_pack("{s:i,s:i,s:i,s:o,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:f,s:f,s:i,s:i,s:s}", "cells",
		      (int)json_array_size(cells), "controls", (int)controls, "ran", (int)ran,
		      "by_verdict", by, "escaped", (int)escaped, "regressions", (int)regressions,
		      "improvements", (int)json_array_size(json_object_get(x, "improvements")),
		      "changed", (int)json_array_size(json_object_get(x, "changed")), "unjudged",
		      (int)unjudged, "no_expectation", (int)none, "inconclusive", (int)inconclusive,
		      "inconclusive_fraction", frac, "inconclusive_threshold", threshold,
		      "infra_failures", (int)ninfra, "exit_code", code, "exit_reason", why);
	{
		json_t *ps = json_object(), *row;
		for (int s = 0; s <= PS_NA; s++)
			json_object_set_new(ps, parity_status_name((enum parity_status)s),
					    json_integer(0));
		json_array_foreach (json_object_get(r, "parity"), i, row) {
			json_t *n = json_object_get(ps, str(row, "status"));
			if (n)
				json_integer_set(n, json_integer_value(n) + 1);
		}
		json_object_set_new(sum, "parity", ps);
	}
	json_object_set_new(r, "summary", sum);
}

int results_finish(json_t *r, struct perr *e)
{
	json_t *cells = json_object_get(r, "cells");
	if (!json_is_array(cells))
		return perr_usage(e, "results: no cells");
	json_object_set_new(r, "parity", parity_rows(cells));
	if (expect_evaluate(r, e) < 0)
		return -1;
	summarize(r);
	return 0;
}

int results_exit_code(json_t *r)
{
	json_t *c = json_object_get(json_object_get(r, "summary"), "exit_code");
	return json_is_integer(c) ? (int)json_integer_value(c) : PARITY_EXIT_INFRA;
}

/* ---- canonical order ---- */

static long index_of(json_t *arr, const char *key, const char *value)
{
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v) {
		const char *s = key ? str(v, key) : json_string_value(v);
		if (s && strcmp(s, value) == 0)
			return (long)i;
	}
	return (long)json_array_size(arr);
}

static long abi_index(json_t *abis, json_t *cell)
{
	json_t *req = json_object_get(json_object_get(cell, "abi"), "requested"), *a;
	size_t i;
	if (!json_is_integer(req))
		return -1; /* the control: no ABI, first */
	json_array_foreach (abis, i, a) {
		if (json_equal(json_object_get(a, "requested"), req))
			return (long)i;
	}
	return (long)json_array_size(abis);
}

static json_t *sort_run;

static int cell_cmp(const void *pa, const void *pb)
{
	json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	json_t *attacks = json_object_get(sort_run, "attacks");
	json_t *profiles = json_object_get(sort_run, "profiles");
	json_t *abis = json_object_get(sort_run, "abis");
	long ka[3], kb[3];

	ka[0] = index_of(attacks, NULL, str(a, "attack"));
	kb[0] = index_of(attacks, NULL, str(b, "attack"));
	ka[1] = strcmp(str(a, "role"), "control") == 0
		    ? -1
		    : index_of(profiles, NULL, str(a, "profile"));
	kb[1] = strcmp(str(b, "role"), "control") == 0
		    ? -1
		    : index_of(profiles, NULL, str(b, "profile"));
	ka[2] = abi_index(abis, a);
	kb[2] = abi_index(abis, b);
	for (int i = 0; i < 3; i++)
		if (ka[i] != kb[i])
			return ka[i] < kb[i] ? -1 : 1;
	return strcmp(str(a, "id"), str(b, "id"));
}

void results_sort_cells(json_t *r)
{
	json_t *cells = json_object_get(r, "cells");
	size_t n = json_array_size(cells);
	json_t **v = calloc(n + 1, sizeof(*v)), *sorted;

	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(cells, i));
	sort_run = json_object_get(r, "run");
	qsort(v, n, sizeof(*v), cell_cmp);
	sort_run = NULL;
	sorted = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(sorted, v[i]);
	free(v);
	json_object_set_new(r, "cells", sorted);
}

/* ---- merge ---- */

static int same_field(json_t *a, json_t *b, const char *what, const char *na, const char *nb,
		      struct perr *e)
{
	if (json_equal(a, b))
		return 0;
	return perr_usage(e, "merge: %s and %s differ in %s: not shards of one run", na, nb, what);
}

/* A timing figure of a shard: ms or a count, finite and at most 1e15
 * (anything else is not a figure: 0). Summed over shards and cast to an
 * integer below, so a 1e308 must never get there. */
static double num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	double d = json_is_number(v) ? json_number_value(v) : 0.0;
	return isfinite(d) && d >= 0 && d <= 1e15 ? d : 0.0;
}

static json_t *merge_timing(json_t *const *parts, size_t n)
{
	static const char *const split[] = {"lab_ms", "pod_ms", "enforcer_ms", "attack_ms",
					    "judge_ms"};
	json_t *t = json_object(), *sp = json_object();
	double wall_max = 0, wall_sum = 0, labs = 0, probe = 0;

	for (size_t i = 0; i < n; i++) {
		json_t *pt = json_object_get(parts[i], "timing");
		double w = num(pt, "wall_ms");
		wall_sum += w;
		wall_max = w > wall_max ? w : wall_max;
		labs += num(pt, "labs");
		probe += num(pt, "probe_ms");
		for (size_t k = 0; k < ARRAY_SIZE(split); k++)
			json_object_set_new(
			    sp, split[k],
			    json_real(num(sp, split[k]) +
				      num(json_object_get(pt, "split_ms"), split[k])));
	}
	/* The shards' walls added up (their cost run one after the other), and
	 * the longest (the elapsed time when they ran side by side). */
	json_object_set_new(t, "wall_ms", json_real(wall_sum));
	json_object_set_new(t, "wall_ms_max", json_real(wall_max));
	json_object_set_new(t, "probe_ms", json_real(probe));
	json_object_set_new(t, "labs", json_integer((json_int_t)labs));
	json_object_set_new(t, "labs_per_s",
			    json_real(wall_sum > 0 ? labs * 1000.0 / wall_sum : 0));
	{
		json_t *avg = json_object();
		for (size_t k = 0; k < ARRAY_SIZE(split); k++)
			json_object_set_new(avg, split[k],
					    json_real(labs > 0 ? num(sp, split[k]) / labs : 0));
		json_object_set_new(t, "per_lab_ms", avg);
	}
	json_object_set_new(t, "split_ms", sp);
	json_object_set_new(t, "shards", json_integer((json_int_t)n));
	return t;
}

/* What of a probe the judgement reads: the kernel, the Landlock ABI and
 * errata, and every feature's state (expectation entries select on them,
 * and preconditions make cells N/A). Shards of one run share it; one from
 * another host or kernel build would be judged with the first's facts. */
static void probe_facts(json_t *o, const char *path, json_t *out)
{
	const char *k;
	json_t *v;

	json_object_foreach (o, k, v) {
		char p[256];
		snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", k);
		if (json_is_object(v) && json_is_string(json_object_get(v, "state")) &&
		    json_object_get(v, "reason"))
			json_object_set(out, p, json_object_get(v, "state"));
		else if (json_is_object(v))
			probe_facts(v, p, out);
	}
}

static json_t *probe_fingerprint(json_t *probe)
{
	json_t *f = json_object(), *ll = json_object_get(probe, "landlock");

	probe_facts(probe, "", f);
	json_object_set(f, "landlock.abi", json_object_get(ll, "abi"));
	json_object_set(f, "landlock.errata.mask",
			json_object_get(json_object_get(ll, "errata"), "mask"));
	json_object_set(f, "system.kernel_version",
			json_object_get(json_object_get(probe, "system"), "kernel_version"));
	json_object_set(f, "system.kernel_release",
			json_object_get(json_object_get(probe, "system"), "kernel_release"));
	return f;
}

int results_merge(json_t *const *parts, const char *const *names, size_t n, json_t **out,
		  struct perr *e)
{
	json_t *first, *r, *cells, *infra, *merged_from, *seen;
	json_int_t count;
	bool *have;
	size_t i, j;
	json_t *c;
	char date[40];

	*out = NULL;
	if (n == 0)
		return perr_usage(e, "merge: no results to merge");
	first = parts[0];
	count = json_integer_value(
	    json_object_get(json_object_get(json_object_get(first, "run"), "shard"), "count"));
	if (count < 1 || (size_t)count != n)
		return perr_usage(e, "merge: %s is shard of %lld, but %zu result(s) were given",
				  names[0], (long long)count, n);
	have = calloc((size_t)count + 1, sizeof(*have));
	if (!have)
		return perr_sys(e, ENOMEM, "merge");
	for (i = 0; i < n; i++) {
		json_t *run = json_object_get(parts[i], "run"), *r0 = json_object_get(first, "run");
		json_t *sh = json_object_get(run, "shard");
		json_int_t k = json_integer_value(json_object_get(sh, "index"));
		if (!json_is_integer(json_object_get(run, "planned_cells"))) {
			free(have);
			return perr_usage(
			    e,
			    "merge: %s: field 'run.planned_cells': expected an integer "
			    "(without it a shard that lost cells would merge short)",
			    names[i]);
		}
		json_t *fp0 = probe_fingerprint(json_object_get(first, "probe"));
		json_t *fpi = probe_fingerprint(json_object_get(parts[i], "probe"));
		int probe_rc = same_field(fpi, fp0,
					  "the kernel probe (release, Landlock ABI and "
					  "errata, feature states)",
					  names[0], names[i], e);
		json_decref(fp0);
		json_decref(fpi);
		if (probe_rc < 0 ||
		    same_field(json_object_get(run, "planned_cells"),
			       json_object_get(r0, "planned_cells"), "planned cells", names[0],
			       names[i], e) < 0 ||
		    same_field(json_object_get(sh, "count"),
			       json_object_get(json_object_get(r0, "shard"), "count"),
			       "shard count", names[0], names[i], e) < 0 ||
		    same_field(json_object_get(run, "attacks"), json_object_get(r0, "attacks"),
			       "attacks", names[0], names[i], e) < 0 ||
		    same_field(json_object_get(run, "profiles"), json_object_get(r0, "profiles"),
			       "profiles", names[0], names[i], e) < 0 ||
		    same_field(json_object_get(run, "abis"), json_object_get(r0, "abis"),
			       "Landlock ABIs", names[0], names[i], e) < 0 ||
		    same_field(json_object_get(run, "kernel_release"),
			       json_object_get(r0, "kernel_release"), "kernel release", names[0],
			       names[i], e) < 0 ||
		    same_field(json_object_get(json_object_get(parts[i], "expectations"), "sets"),
			       json_object_get(json_object_get(first, "expectations"), "sets"),
			       "expectation sets", names[0], names[i], e) < 0) {
			free(have);
			return -1;
		}
		if (k < 1 || k > count || have[k]) {
			free(have);
			return perr_usage(e, "merge: %s is shard %lld/%lld, %s", names[i],
					  (long long)k, (long long)count,
					  k < 1 || k > count ? "out of range" : "given twice");
		}
		have[k] = true;
	}
	free(have);

	r = json_deep_copy(first);
	cells = json_array();
	seen = json_object();
	infra = json_array();
	merged_from = json_array();
	for (i = 0; i < n; i++) {
		json_array_foreach (json_object_get(parts[i], "cells"), j, c) {
			const char *id = str(c, "id");
			json_t *first_in = json_object_get(seen, id);
			if (first_in && strcmp(str(c, "role"), "control") == 0)
				continue; /* a control both shards needed: keep the first */
			if (first_in) {
				/* A judged cell runs in one shard only: twice, the
				 * merged verdict would depend on the order given. */
				perr_usage(
				    e, "merge: cell %s is in both %s and %s: not shards of one run",
				    id, names[json_integer_value(first_in)], names[i]);
				json_decref(seen);
				json_decref(cells);
				json_decref(infra);
				json_decref(merged_from);
				json_decref(r);
				return -1;
			}
			json_object_set_new(seen, id, json_integer((json_int_t)i));
			json_array_append(cells, c);
		}
		json_array_extend(
		    infra, json_object_get(json_object_get(parts[i], "run"), "infra_failures"));
		json_array_append_new(merged_from, json_string(names[i]));
	}
	json_decref(seen);
	json_object_set_new(r, "cells", cells);
	{
		json_t *run = json_object_get(r, "run");
		json_int_t planned = json_integer_value(json_object_get(run, "planned_cells"));
		size_t got = 0;
		json_array_foreach (cells, j, c)
			got += strcmp(str(c, "role"), "control") != 0;
		if (planned && (json_int_t)got != planned) {
			json_decref(r);
			json_decref(infra);
			json_decref(merged_from);
			return perr_usage(e,
					  "merge: the shards hold %zu cells, the run planned %lld",
					  got, (long long)planned);
		}
		json_object_set_new(run, "shard",
				    json_pack("{s:i,s:I}", "index", 0, "count", count));
		json_object_set_new(run, "merged_from", merged_from);
		json_object_set_new(run, "infra_failures", infra);
		util_rfc3339(date, sizeof(date));
		json_object_set_new(run, "merged_at", json_string(date));
	}
	json_object_set_new(r, "timing", merge_timing(parts, n));
	{
		json_t *t = json_object_get(r, "timing");
		double ws = num(t, "wall_ms");
		json_object_set_new(t, "cells", json_integer((json_int_t)json_array_size(cells)));
		json_object_set_new(t, "cells_per_s",
				    json_real(ws > 0 ? json_array_size(cells) * 1000.0 / ws : 0));
	}
	results_sort_cells(r);
	if (results_finish(r, e) < 0) {
		/* The sets are every shard's (checked above): the first names them. */
		perr_prefix(e, "%s/results.json", names[0]);
		json_decref(r);
		return -1;
	}
	*out = r;
	return 0;
}
