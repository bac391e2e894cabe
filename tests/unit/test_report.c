/* test_report.c - the writers on a stored results.json
 * (tests/fixtures/results/): golden Markdown, and properties of the HTML
 * and JUnit reports. To refresh the golden files after an intended change:
 *   build/parity report render tests/fixtures/results/results.json --out DIR
 * and copy DIR/matrix.md and DIR/parity.md over them (review the diff). */
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_mutate.h"
#include "reports.h"
#include "results.h"
#include "unit.h"
#include "util.h"

#define FIX PARITY_SOURCE_ROOT "/tests/fixtures/results/"

static json_t *fixture(void)
{
	json_t *r;
	struct perr e;
	perr_clear(&e);
	if (results_load(FIX "results.json", &r, &e) < 0) {
		fprintf(stderr, "\n  %s\n", e.msg);
		return NULL;
	}
	return r;
}

/* A writer's output as a string (through a temporary file). */
static char *render(json_t *r, void (*fn)(json_t *, FILE *))
{
	FILE *f = tmpfile();
	long len;
	char *buf;

	if (!f)
		return NULL;
	fn(r, f);
	len = ftell(f);
	buf = calloc(1, (size_t)len + 1);
	rewind(f);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void golden(void (*fn)(json_t *, FILE *), const char *name)
{
	json_t *r = fixture();
	char path[512], *want, *got;
	struct perr e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	perr_clear(&e);
	snprintf(path, sizeof(path), FIX "%s", name);
	want = util_read_file(path, NULL, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	got = render(r, fn);
	if (strcmp(want, got) != 0) {
		char out[512];
		FILE *f;
		snprintf(out, sizeof(out), "%s/%s.actual", PARITY_BUILD_ROOT, name);
		f = fopen(out, "w");
		if (f) {
			fputs(got, f);
			fclose(f);
		}
		fprintf(stderr, "\n  %s differs from the golden file: diff -u %s %s\n", name, path,
			out);
	}
	CU_ASSERT_STRING_EQUAL(got, want);
	free(want);
	free(got);
	json_decref(r);
}

static void test_matrix_md_golden(void)
{
	golden(report_matrix_md, "matrix.md");
}

static void test_parity_md_golden(void)
{
	golden(report_parity_md, "parity.md");
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_html(void)
{
	json_t *r = fixture(), *cells, *data;
	char *html, *start, *end;
	json_error_t je;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	/* Untrusted text from a program must never become markup. */
	cells = json_object_get(r, "cells");
	json_object_set_new(json_array_get(cells, 1), "reason",
			    json_string("<img src=x onerror=alert(1)></script><script>alert(2)"));
	html = render(r, report_html);
	CU_ASSERT_PTR_NULL(strstr(html, "<img src=x"));
	CU_ASSERT_PTR_NULL(strstr(html, "<script>alert"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "&lt;img src=x onerror=alert(1)&gt;"));
	/* Self-contained: nothing to fetch. */
	CU_ASSERT_PTR_NULL(strstr(html, "http://"));
	CU_ASSERT_PTR_NULL(strstr(html, "https://"));
	CU_ASSERT_PTR_NULL(strstr(html, "src=\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "Content-Security-Policy"));
	/* Two script elements: the data and the code. */
	CU_ASSERT_EQUAL(count(html, "<script"), 2);
	CU_ASSERT_EQUAL(count(html, "</script>"), 2);
	/* Every cell is clickable and its detail is in the data. */
	start = strstr(html, "id=\"cells-data\">");
	CU_ASSERT_PTR_NOT_NULL_FATAL(start);
	start += strlen("id=\"cells-data\">");
	end = strstr(start, "</script>");
	CU_ASSERT_PTR_NOT_NULL_FATAL(end);
	*end = 0;
	data = json_loads(start, 0, &je);
	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	CU_ASSERT_EQUAL(json_object_size(data), json_array_size(cells));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
				   json_object_get(data, json_string_value(json_object_get(
							     json_array_get(cells, 1), "id"))),
				   "reason")),
			       "<img src=x onerror=alert(1)></script><script>alert(2)");
	CU_ASSERT_EQUAL(count(html, "data-id=\""),
			json_array_size(cells) + json_array_size(json_object_get(r, "parity")));
	json_decref(data);
	free(html);
	json_decref(r);
}

static void test_junit(void)
{
	json_t *r = fixture();
	char *x;
	char want[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	x = render(r, report_junit);
	CU_ASSERT_EQUAL(count(x, "<testcase "), json_array_size(json_object_get(r, "cells")));
	/* the fixture's regressions are all cell verdicts, one per cell */
	CU_ASSERT_EQUAL(
	    count(x, "<failure "),
	    json_array_size(json_object_get(json_object_get(r, "expectations"), "regressions")));
	snprintf(
	    want, sizeof(want), "failures=\"%zu\"",
	    json_array_size(json_object_get(json_object_get(r, "expectations"), "regressions")));
	CU_ASSERT_PTR_NOT_NULL(strstr(x, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(x, "<skipped message=\"N/A: precondition missing"));
	/* an INCONCLUSIVE cell whose lab failed is an error, not a skip */
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    x, "<error type=\"infrastructure\" message=\"capture witness failed: fixture\"/>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(x, "errors=\"1\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(x, "name=\"platform-lax/abi7\""));
	free(x);
	json_decref(r);
}

static void test_load_rejects_other_documents(void)
{
	json_t *r;
	struct perr e;
	perr_clear(&e);
	CU_ASSERT_EQUAL(
	    results_load(PARITY_SOURCE_ROOT "/matrix/expectations/baseline.json", &r, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "field 'schema'"));
}

/* The fixture with one part broken, saved and loaded again: the load must
 * name the part (the writers would otherwise use a null as a string). */
static void expect_shape_error(const char *what, json_t *(*breaker)(json_t *), const char *field)
{
	char path[] = "/tmp/parity-results-XXXXXX";
	json_error_t je;
	json_t *r = json_load_file(FIX "results.json", 0, &je), *out = NULL;
	struct perr e;
	int fd = mkstemp(path);
	char want[96];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	breaker(r);
	CU_ASSERT_EQUAL_FATAL(json_dump_file(r, path, 0), 0);
	perr_clear(&e);
	CU_ASSERT_EQUAL(results_load(path, &out, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	snprintf(want, sizeof(want), "field '%s'", field);
	if (!strstr(e.msg, want))
		fprintf(stderr, "\n  %s: expected %s in: %s\n", what, want, e.msg);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, want));
	CU_ASSERT_PTR_NULL(out);
	unlink(path);
	json_decref(r);
}

static json_t *run_of(json_t *r)
{
	return json_object_get(r, "run");
}
static json_t *null_attack(json_t *r)
{
	json_array_set_new(json_object_get(run_of(r), "attacks"), 1, json_null());
	return r;
}
static json_t *profiles_string(json_t *r)
{
	json_object_set_new(run_of(r), "profiles", json_string("platform"));
	return r;
}
static json_t *no_abis(json_t *r)
{
	json_object_del(run_of(r), "abis");
	return r;
}
static json_t *cell_number(json_t *r)
{
	json_array_set_new(json_object_get(r, "cells"), 2, json_integer(3));
	return r;
}
static json_t *escape_number(json_t *r)
{
	json_t *esc = json_array();
	json_array_append_new(esc, json_integer(1));
	json_object_set_new(json_array_get(json_object_get(r, "cells"), 0), "escapes", esc);
	return r;
}
static json_t *parity_row_string(json_t *r)
{
	json_array_set_new(json_object_get(r, "parity"), 0, json_string("GAP"));
	return r;
}

static json_t *cell0_set(json_t *r, const char *k, json_t *v)
{
	json_object_set_new(json_array_get(json_object_get(r, "cells"), 0), k, v);
	return r;
}
static json_t *pcap_results_json(json_t *r)
{
	return cell0_set(r, "pcap", json_string("results.json"));
}
static json_t *pcap_subdir(json_t *r)
{
	return cell0_set(r, "pcap", json_string("evidence/a/x.pcapng"));
}
static json_t *pcap_empty(json_t *r)
{
	return cell0_set(r, "pcap", json_string(""));
}
static json_t *verdict_bogus(json_t *r)
{
	return cell0_set(r, "verdict", json_string("BOGUS"));
}
static json_t *no_cell_id(json_t *r)
{
	json_object_del(json_array_get(json_object_get(r, "cells"), 0), "id");
	return r;
}

static json_t *verdict_alias(json_t *r)
{
	return cell0_set(r, "verdict", json_string("NA"));
}
static json_t *duplicate_id(json_t *r)
{
	json_t *cells = json_object_get(r, "cells");
	json_object_set(json_array_get(cells, 1), "id",
			json_object_get(json_array_get(cells, 0), "id"));
	return r;
}
static json_t *no_summary(json_t *r)
{
	json_object_del(r, "summary");
	return r;
}
static json_t *no_parity(json_t *r)
{
	json_object_del(r, "parity");
	return r;
}
static json_t *sets_number(json_t *r)
{
	json_object_set_new(json_object_get(r, "expectations"), "sets", json_integer(5));
	return r;
}
static json_t *threshold_string(json_t *r)
{
	json_object_set_new(json_object_get(r, "expectations"), "inconclusive_threshold",
			    json_string("0.5"));
	return r;
}

static void test_load_rejects_malformed_lists(void)
{
	/* Each of these was read as something else (a review, 2026-11-30):
	 * "NA" counted as neither N/A nor run; a second cell of one id shown
	 * in the HTML in place of the first; no summary rendered as "0 cells,
	 * exit 0", no parity rows as "no gaps", sets of 5 as no expectations. */
	expect_shape_error("the NA alias of N/A", verdict_alias, "cells[0].verdict");
	expect_shape_error("two cells of one id", duplicate_id, "cells[1].id");
	expect_shape_error("no summary", no_summary, "summary");
	expect_shape_error("no parity rows", no_parity, "parity");
	expect_shape_error("expectation sets not a list", sets_number, "expectations.sets");
	expect_shape_error("a threshold that is a string", threshold_string,
			   "expectations.inconclusive_threshold");
	expect_shape_error("null attack id", null_attack, "run.attacks[1]");
	expect_shape_error("profiles not a list", profiles_string, "run.profiles");
	expect_shape_error("no ABI list", no_abis, "run.abis");
	expect_shape_error("a cell that is a number", cell_number, "cells[2]");
	expect_shape_error("an escape that is a number", escape_number, "cells[0].escapes[0]");
	expect_shape_error("a parity row that is a string", parity_row_string, "parity[0]");
	/* A pcap named like a report would overwrite it when copied next to
	 * the reports (render --out), or fail after they were written. */
	expect_shape_error("pcap named results.json", pcap_results_json, "cells[0].pcap");
	expect_shape_error("pcap in a subdirectory", pcap_subdir, "cells[0].pcap");
	expect_shape_error("empty pcap", pcap_empty, "cells[0].pcap");
	expect_shape_error("unknown verdict", verdict_bogus, "cells[0].verdict");
	expect_shape_error("cell without an id", no_cell_id, "cells[0].id");
	CU_ASSERT_TRUE(results_pcap_name_ok("evidence/T01_none.pcapng"));
	CU_ASSERT_FALSE(results_pcap_name_ok("evidence/../x.pcapng"));
	CU_ASSERT_FALSE(results_pcap_name_ok("evidence/.pcapng"));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The fixture mutated near its structure (the first items of each list),
 * loaded, sometimes recomputed, and rendered: the load and the writers may
 * refuse, always with a message, and must never crash (ASan+UBSan in CI;
 * a null attack id once reached strcmp in the HTML writer). */
static void test_results_fuzzed(void)
{
	char dir[] = "/tmp/parity-test-report-fuzz.XXXXXX", path[128], out[128];
	json_error_t je;
	json_t *seed = json_load_file(FIX "results.json", 0, &je);
	long iters = json_mutate_iters(150), loaded = 0, refused = 0, bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(seed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/results.json", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	json_mutate_seed(0x9e3779b97f4a7c15ull);
	for (long it = 0; it < iters; it++) {
		json_t *j = json_deep_copy(seed), *r = NULL;
		struct perr e;
		int rc;

		json_mutate(j, 3, 3);
		CU_ASSERT_EQUAL_FATAL(json_dump_file(j, path, 0), 0);
		json_decref(j);
		perr_clear(&e);
		if (results_load(path, &r, &e) < 0) {
			refused++;
			if (e.kind != PARITY_EXIT_USAGE || !strstr(e.msg, path))
				bad++;
			continue;
		}
		loaded++;
		rc = (it % 2) ? results_finish(r, &e) : 0;
		if (rc == 0)
			rc = report_write_all(r, out, &e);
		if (rc < 0 && !e.msg[0])
			bad++; /* refused without saying why */
		json_decref(r);
	}
	printf("\n  %ld mutated results documents: %ld loaded and rendered, %ld refused\n", iters,
	       loaded, refused);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(loaded > 0 && refused > 0);
	json_decref(seed);
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* A report's name taken by a directory: nothing is replaced, the error
 * names it, and no temporary file stays. It used to fail after results.json
 * and matrix.md had been replaced (reports of two runs side by side). */
static int write_old(const char *path)
{
	FILE *f = fopen(path, "w");
	return f && fputs("old\n", f) >= 0 && fclose(f) == 0 ? 0 : -1;
}

static void test_write_all_or_nothing(void)
{
	char dir[] = "/tmp/parity-test-report-aon.XXXXXX", path[160], buf[64];
	struct perr e;
	json_t *r = NULL;
	DIR *d;
	struct dirent *de;
	int tmps = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	perr_clear(&e);
	CU_ASSERT_EQUAL_FATAL(results_load(FIX "results.json", &r, &e), 0);
	snprintf(path, sizeof(path), "%s/results.json", dir);
	CU_ASSERT_EQUAL(write_old(path), 0);
	snprintf(path, sizeof(path), "%s/matrix.md", dir);
	CU_ASSERT_EQUAL(write_old(path), 0);
	snprintf(path, sizeof(path), "%s/matrix.html", dir);
	CU_ASSERT_EQUAL(mkdir(path, 0755), 0);

	CU_ASSERT_EQUAL(report_write_all(r, dir, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "matrix.html"));
	snprintf(path, sizeof(path), "%s/results.json", dir);
	CU_ASSERT(util_read_text(path, buf, sizeof(buf)) == 0 && strcmp(buf, "old") == 0);
	snprintf(path, sizeof(path), "%s/matrix.md", dir);
	CU_ASSERT(util_read_text(path, buf, sizeof(buf)) == 0 && strcmp(buf, "old") == 0);
	d = opendir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((de = readdir(d)))
		tmps += strstr(de->d_name, ".tmp") != NULL;
	closedir(d);
	CU_ASSERT_EQUAL(tmps, 0);

	/* The directory gone, the same call writes all five. */
	snprintf(path, sizeof(path), "%s/matrix.html", dir);
	CU_ASSERT_EQUAL(rmdir(path), 0);
	perr_clear(&e);
	CU_ASSERT_EQUAL(report_write_all(r, dir, &e), 0);
	snprintf(path, sizeof(path), "%s/matrix.md", dir);
	CU_ASSERT(util_read_text(path, buf, sizeof(buf)) == 0 && strcmp(buf, "old") != 0);
	json_decref(r);
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

void unit_register(void)
{
	UNIT_SUITE("report");
	UNIT_TEST(test_matrix_md_golden);
	UNIT_TEST(test_parity_md_golden);
	UNIT_TEST(test_html);
	UNIT_TEST(test_junit);
	UNIT_TEST(test_load_rejects_other_documents);
	UNIT_TEST(test_load_rejects_malformed_lists);
	UNIT_TEST(test_results_fuzzed);
	UNIT_TEST(test_write_all_or_nothing);
}
