/* test_matrix.c - the matrix's pure parts: shard split, ABI lists, parity
 * computation, merging shards of a results document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "matrix.h"
#include "parity.h"
#include "results.h"
#include "unit.h"

static void test_shard_range(void)
{
	for (size_t total = 0; total <= 60; total++) {
		for (unsigned n = 1; n <= 7; n++) {
			size_t next = 0, min = (size_t)-1, max = 0;
			for (unsigned k = 1; k <= n; k++) {
				size_t lo, hi;
				matrix_shard_range(total, k, n, &lo, &hi);
				CU_ASSERT_EQUAL(lo, next); /* contiguous, disjoint, in order */
				CU_ASSERT(hi >= lo);
				next = hi;
				min = hi - lo < min ? hi - lo : min;
				max = hi - lo > max ? hi - lo : max;
			}
			CU_ASSERT_EQUAL(next, total); /* everything, once */
			CU_ASSERT(max - min <= 1);    /* balanced */
		}
	}
	{
		size_t lo, hi;
		matrix_shard_range(10, 0, 0, &lo, &hi);
		CU_ASSERT(lo == 0 && hi == 10);
	}
}

static void test_shard_parse(void)
{
	unsigned k, n;
	struct perr e;
	perr_clear(&e);
	CU_ASSERT(matrix_shard_parse("1/2", &k, &n, &e) == 0 && k == 1 && n == 2);
	CU_ASSERT(matrix_shard_parse("7/7", &k, &n, &e) == 0 && k == 7 && n == 7);
	CU_ASSERT(matrix_shard_parse("0/2", &k, &n, &e) < 0);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT(matrix_shard_parse("3/2", &k, &n, &e) < 0);
	CU_ASSERT(matrix_shard_parse("1", &k, &n, &e) < 0);
	CU_ASSERT(matrix_shard_parse("a/b", &k, &n, &e) < 0);
	CU_ASSERT(matrix_shard_parse("1/0", &k, &n, &e) < 0);
}

static void abis_are(const char *arg, int kernel, const char *want)
{
	struct matrix_abi a[MATRIX_MAX_ABIS];
	size_t n;
	struct perr e;
	char got[128] = "";

	perr_clear(&e);
	if (matrix_abis_parse(arg, kernel, a, &n, &e) < 0) {
		CU_ASSERT_PTR_NULL(want);
		CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
		return;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%d%s", i ? "," : "",
			 a[i].cap, a[i].kernel ? "k" : "");
	if (!want || strcmp(got, want) != 0)
		fprintf(stderr, "\n  --landlock-abi %s (kernel %d): got %s, want %s\n",
			arg ? arg : "(default)", kernel, got, want ? want : "an error");
	CU_ASSERT(want && strcmp(got, want) == 0);
}

static void test_abis(void)
{
	abis_are(NULL, 7, "7k,6,4,3,0");
	abis_are(NULL, 5, "5k,4,3,0");
	abis_are(NULL, 4, "4k,3,0");
	abis_are(NULL, 6, "6k,4,3,0");
	abis_are(NULL, 0, "0k");
	abis_are("all", 3, "3k,2,1,0");
	abis_are("kernel,3", 7, "7k,3");
	abis_are("3,7,3", 7, "7k,3");
	abis_are("9", 7, NULL);
	abis_are("x", 7, NULL);
	abis_are("", 7, NULL);
}

static void test_parity_of(void)
{
	char why[128];
	CU_ASSERT_EQUAL(parity_of(V_BLOCKED, V_BLOCKED, "platform", why, sizeof(why)), PS_PARITY);
	CU_ASSERT_EQUAL(parity_of(V_BLOCKED, V_KILLED, "platform", why, sizeof(why)), PS_PARITY);
	CU_ASSERT_EQUAL(parity_of(V_KILLED, V_ESCAPED, "platform", why, sizeof(why)), PS_GAP);
	CU_ASSERT_EQUAL(parity_of(V_ESCAPED, V_BLOCKED, "platform", why, sizeof(why)), PS_REVERSE);
	CU_ASSERT_EQUAL(parity_of(V_ESCAPED, V_ESCAPED, "platform", why, sizeof(why)),
			PS_BOTH_ESCAPE);
	CU_ASSERT_EQUAL(parity_of(V_NA, V_ESCAPED, "platform", why, sizeof(why)), PS_NA);
	CU_ASSERT_STRING_EQUAL(why, "namespace N/A");
	CU_ASSERT_EQUAL(parity_of(V_BLOCKED, V_INCONCLUSIVE, "platform", why, sizeof(why)), PS_NA);
	CU_ASSERT_STRING_EQUAL(why, "platform INCONCLUSIVE");
	CU_ASSERT_EQUAL(parity_of(V_INCONCLUSIVE, V_NA, "p", why, sizeof(why)), PS_NA);
	CU_ASSERT_STRING_EQUAL(why, "namespace INCONCLUSIVE, p N/A");
	{
		enum parity_status s;
		CU_ASSERT(parity_status_parse("BOTH-ESCAPE", &s) == 0 && s == PS_BOTH_ESCAPE);
		CU_ASSERT(parity_status_parse("both", &s) < 0);
		CU_ASSERT_STRING_EQUAL(parity_status_name(PS_NA), "N/A");
	}
}

static json_t *cell(const char *attack, const char *profile, int abi, const char *verdict)
{
	char id[128];
	snprintf(id, sizeof(id), abi < 0 ? "%s/%s" : "%s/%s/abi%d", attack, profile, abi);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:o,s:o},s:s}", "id", id, "role",
			 abi < 0 ? "control" : "cell", "attack", attack, "family", "tcp", "profile",
			 profile, "abi", "requested", abi < 0 ? json_null() : json_integer(abi),
			 "effective", abi < 0 ? json_null() : json_integer(abi), "verdict",
			 verdict);
}

static void test_parity_rows(void)
{
	json_t *cells = json_array(), *rows, *row;

	json_array_append_new(cells, cell("T01", "none", -1, "ESCAPED"));
	json_array_append_new(cells, cell("T01", "namespace", 7, "BLOCKED"));
	json_array_append_new(cells, cell("T01", "namespace", 3, "N/A"));
	json_array_append_new(cells, cell("T01", "platform", 7, "BLOCKED"));
	json_array_append_new(cells, cell("T01", "platform", 3, "ESCAPED"));
	json_array_append_new(cells, cell("T01", "strict", 7, "ESCAPED"));
	json_array_append_new(cells,
			      cell("T02", "platform", 7, "ESCAPED")); /* no reference: no row */
	rows = parity_rows(cells);
	CU_ASSERT_EQUAL(json_array_size(rows), 3);
	row = json_array_get(rows, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(row, "id")),
			       "T01/platform/abi7 vs namespace");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(row, "status")), "PARITY");
	row = json_array_get(rows, 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(row, "status")), "N/A");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(row, "na_reason")),
			       "namespace N/A");
	row = json_array_get(rows, 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(row, "profile")), "strict");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(row, "status")), "GAP");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(row, "reference_cell")),
			       "T01/namespace/abi7");
	json_decref(rows);
	json_decref(cells);
}

/* ---- merging shards cut out of the stored fixture ---- */

static json_t *fixture(void)
{
	json_t *r;
	struct perr e;
	perr_clear(&e);
	if (results_load(PARITY_SOURCE_ROOT "/tests/fixtures/results/results.json", &r, &e) < 0) {
		fprintf(stderr, "\n  %s\n", e.msg);
		return NULL;
	}
	return r;
}

/* Shard k of n of the fixture, as `matrix --shard k/n` would have kept it:
 * a contiguous block of the non-control cells, with the controls they need. */
static json_t *shard_of(json_t *all, unsigned k, unsigned n)
{
	json_t *r = json_deep_copy(all), *cells = json_array(), *c, *plain = json_array();
	size_t i, lo, hi;

	json_array_foreach (json_object_get(all, "cells"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "role")), "cell") == 0)
			json_array_append(plain, c);
	matrix_shard_range(json_array_size(plain), k, n, &lo, &hi);
	json_array_foreach (json_object_get(all, "cells"), i, c) {
		bool keep = false;
		if (strcmp(json_string_value(json_object_get(c, "role")), "control") == 0) {
			for (size_t j = lo; j < hi; j++)
				keep |=
				    json_equal(json_object_get(json_array_get(plain, j), "attack"),
					       json_object_get(c, "attack"));
		} else {
			for (size_t j = lo; j < hi; j++)
				keep |= json_array_get(plain, j) == c;
		}
		if (keep)
			json_array_append(cells, c);
	}
	json_decref(plain);
	json_object_set_new(r, "cells", cells);
	json_object_set_new(json_object_get(r, "run"), "shard",
			    json_pack("{s:i,s:i}", "index", (int)k, "count", (int)n));
	return r;
}

static void test_merge(void)
{
	json_t *all = fixture(), *parts[3], *m = NULL, *c;
	const char *names[3] = {"s1", "s2", "s3"};
	struct perr e;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(all);
	for (unsigned k = 0; k < 3; k++)
		parts[k] = shard_of(all, k + 1, 3);
	perr_clear(&e);
	/* given in any order */
	{
		json_t *order[3] = {parts[2], parts[0], parts[1]};
		const char *on[3] = {"s3", "s1", "s2"};
		if (results_merge(order, on, 3, &m, &e) < 0)
			fprintf(stderr, "\n  %s\n", e.msg);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(m, "cells")),
			json_array_size(json_object_get(all, "cells")));
	json_array_foreach (json_object_get(all, "cells"), i, c) {
		json_t *mc = json_array_get(json_object_get(m, "cells"), i);
		CU_ASSERT(json_equal(json_object_get(c, "id"), json_object_get(mc, "id")));
		CU_ASSERT(
		    json_equal(json_object_get(c, "verdict"), json_object_get(mc, "verdict")));
	}
	CU_ASSERT(json_equal(json_object_get(m, "parity"), json_object_get(all, "parity")));
	CU_ASSERT(json_equal(json_object_get(json_object_get(m, "expectations"), "regressions"),
			     json_object_get(json_object_get(all, "expectations"), "regressions")));
	CU_ASSERT_EQUAL(results_exit_code(m), results_exit_code(all));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_object_get(json_object_get(m, "run"), "shard"), "index")),
			0);
	json_decref(m);
	/* Timing figures that are not figures (1e308, negative) count as 0:
	 * summed and cast to an integer, 1e308 was undefined behaviour and
	 * wall_ms vanished (json_real(inf) is NULL). */
	{
		json_t *t0 = json_object_get(parts[0], "timing");
		json_t *saved = json_deep_copy(t0);
		const char *on[3] = {"s1", "s2", "s3"};
		json_object_set_new(t0, "labs", json_real(1e308));
		json_object_set_new(t0, "wall_ms", json_real(-5));
		perr_clear(&e);
		CU_ASSERT_EQUAL_FATAL(results_merge(parts, on, 3, &m, &e), 0);
		CU_ASSERT(json_is_real(json_object_get(json_object_get(m, "timing"), "wall_ms")));
		CU_ASSERT(
		    json_integer_value(json_object_get(json_object_get(m, "timing"), "labs")) >= 0);
		json_decref(m);
		json_object_set_new(parts[0], "timing", saved);
	}

	/* a shard twice, one missing, or shards of different runs: usage errors */
	{
		json_t *twice[3] = {parts[0], parts[0], parts[1]};
		perr_clear(&e);
		CU_ASSERT_EQUAL(results_merge(twice, names, 3, &m, &e), -1);
		CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "given twice"));
		perr_clear(&e);
		CU_ASSERT_EQUAL(results_merge(parts, names, 2, &m, &e), -1);
		CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
		/* A judged cell in two shards, with two verdicts: the merge
		 * would keep whichever came first. Refused, whatever the order. */
		{
			json_t *dup = NULL, *c0;
			size_t k;
			json_array_foreach (json_object_get(parts[0], "cells"), k, c0) {
				if (strcmp(json_string_value(json_object_get(c0, "role")),
					   "control")) {
					dup = json_deep_copy(c0);
					break;
				}
			}
			CU_ASSERT_PTR_NOT_NULL_FATAL(dup);
			json_object_set_new(dup, "verdict", json_string("ESCAPED"));
			json_array_append_new(json_object_get(parts[1], "cells"), dup);
			perr_clear(&e);
			CU_ASSERT_EQUAL(results_merge(parts, names, 3, &m, &e), -1);
			CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "is in both"));
			{
				json_t *rev[3] = {parts[1], parts[0], parts[2]};
				const char *rn[3] = {names[1], names[0], names[2]};
				perr_clear(&e);
				CU_ASSERT_EQUAL(results_merge(rev, rn, 3, &m, &e), -1);
			}
			json_array_remove(json_object_get(parts[1], "cells"),
					  json_array_size(json_object_get(parts[1], "cells")) - 1);
		}
		/* A shard probed on another kernel build (errata mask 0): judged
		 * with the first shard's facts, it would merge silently. */
		{
			json_t *er = json_object_get(
			    json_object_get(json_object_get(parts[1], "probe"), "landlock"),
			    "errata");
			json_t *was = json_incref(json_object_get(er, "mask"));
			json_object_set_new(er, "mask", json_integer(0x7fff));
			perr_clear(&e);
			CU_ASSERT_EQUAL(results_merge(parts, names, 3, &m, &e), -1);
			CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "differ in the kernel probe"));
			json_object_set_new(er, "mask", was);
		}
		/* Without planned_cells a shard that lost cells merges short. */
		{
			json_t *run1 = json_object_get(parts[1], "run");
			json_t *was = json_incref(json_object_get(run1, "planned_cells"));
			json_object_del(run1, "planned_cells");
			perr_clear(&e);
			CU_ASSERT_EQUAL(results_merge(parts, names, 3, &m, &e), -1);
			CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "run.planned_cells"));
			json_object_set_new(run1, "planned_cells", was);
		}
		json_array_append_new(json_object_get(json_object_get(parts[1], "run"), "attacks"),
				      json_string("T99"));
		perr_clear(&e);
		CU_ASSERT_EQUAL(results_merge(parts, names, 3, &m, &e), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "differ in attacks"));
	}
	for (unsigned k = 0; k < 3; k++)
		json_decref(parts[k]);
	json_decref(all);
}

static void test_finish_is_idempotent(void)
{
	json_t *all = fixture(), *again;
	struct perr e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(all);
	again = json_deep_copy(all);
	perr_clear(&e);
	CU_ASSERT_EQUAL(results_finish(again, &e), 0);
	CU_ASSERT(json_equal(json_object_get(again, "parity"), json_object_get(all, "parity")));
	CU_ASSERT(json_equal(json_object_get(again, "cells"), json_object_get(all, "cells")));
	CU_ASSERT(json_equal(json_object_get(again, "expectations"),
			     json_object_get(all, "expectations")));
	CU_ASSERT(json_equal(json_object_get(again, "summary"), json_object_get(all, "summary")));
	CU_ASSERT_EQUAL(results_exit_code(all), 1);
	json_decref(again);
	json_decref(all);
}

/* A cell's JSON, both forms, with and without a control of its own: every
 * list it builds must be handed over or freed (under ASan's leak checker in
 * CI; a full report once leaked two lists per cell). */
static void test_cell_json_owns_what_it_builds(void)
{
	for (int with_control = 0; with_control < 2; with_control++) {
		for (int full = 0; full < 2; full++) {
			struct cell_result r;
			json_t *j, *entry;

			memset(&r, 0, sizeof(r));
			snprintf(r.id, sizeof(r.id), "T01/platform/abi7");
			snprintf(r.run.marker, sizeof(r.run.marker), "m");
			r.run.report = json_pack("{s:i,s:i,s:i,s:[]}", "applied", 3, "skipped", 1,
						 "failed", 0, "entries");
			entry = json_pack("{s:s,s:s,s:s,s:s}", "layer", "seccomp", "item", "x",
					  "status", "skipped", "detail", "d");
			json_array_append_new(json_object_get(r.run.report, "entries"), entry);
			r.run.evidence = json_object();
			r.run.escapes = json_array();
			if (with_control) {
				snprintf(r.control.marker, sizeof(r.control.marker), "c");
				r.control_ran = true;
				r.control_used = &r.control; /* its escapes left NULL */
			}
			j = cell_result_json(&r, full);
			CU_ASSERT_PTR_NOT_NULL_FATAL(j);
			CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "id")), r.id);
			if (with_control)
				CU_ASSERT(json_is_array(
				    json_object_get(json_object_get(j, "control"), "escapes")));
			if (!full)
				CU_ASSERT_EQUAL(
				    json_array_size(json_object_get(
					json_object_get(j, "enforcement"), "skipped_items")),
				    1);
			json_decref(j);
			cell_result_free(&r);
		}
	}
}

void unit_register(void)
{
	UNIT_SUITE("matrix");
	UNIT_TEST(test_shard_range);
	UNIT_TEST(test_shard_parse);
	UNIT_TEST(test_abis);
	UNIT_TEST(test_parity_of);
	UNIT_TEST(test_parity_rows);
	UNIT_TEST(test_merge);
	UNIT_TEST(test_finish_is_idempotent);
	UNIT_TEST(test_cell_json_owns_what_it_builds);
}
