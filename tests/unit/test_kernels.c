/* test_kernels.c - the kernel compatibility report (`parity report
 * kernels`) on stored per-kernel results (tests/fixtures/kernels/, made by
 * trim.py there from a real `parity vm run`): golden Markdown, and the facts
 * the report must get right. To refresh the golden file after an intended
 * change:
 *   build/parity report kernels tests/fixtures/kernels/{debian-6.1,debian-6.1-nolandlock,\
 *     debian-6.12,debian-7.2,host,debian-broken} --out DIR
 * and copy DIR/kernel-compat.md over tests/fixtures/kernels/ (review the diff). */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonutil.h"
#include "reports.h"
#include "unit.h"
#include "util.h"

#define FIX PARITY_SOURCE_ROOT "/tests/fixtures/kernels/"

static const char *const dirs[] = {FIX "debian-6.1",  FIX "debian-6.1-nolandlock",
				   FIX "debian-6.12", FIX "debian-7.2",
				   FIX "host",	      FIX "debian-broken"};
#define NDIRS (sizeof(dirs) / sizeof(dirs[0]))

static char out[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The written folder goes when the program ends, whatever the tests did. */
static void remove_out(void)
{
	if (out[0])
		nftw(out, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Write the report once into a temporary folder; every test reads it. */
static const char *written(void)
{
	struct perr e;
	char merged[128];
	if (out[0])
		return out;
	snprintf(out, sizeof(out), "/tmp/parity-test-kernels.XXXXXX");
	if (!mkdtemp(out))
		return NULL;
	atexit(remove_out);
	snprintf(merged, sizeof(merged), "%s/merged", out);
	perr_clear(&e);
	if (report_compat_write(dirs, NDIRS, out, merged, &e) < 0) {
		fprintf(stderr, "\n  %s\n", e.msg);
		return NULL;
	}
	return out;
}

static char *read_out(const char *name)
{
	char path[256];
	struct perr e;
	perr_clear(&e);
	if (!written())
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", out, name);
	return util_read_file(path, NULL, &e);
}

static json_t *doc(void)
{
	char path[256];
	struct perr e;
	perr_clear(&e);
	if (!written())
		return NULL;
	snprintf(path, sizeof(path), "%s/kernel-compat.json", out);
	return json_load_path(path, &e);
}

static json_t *kernel(json_t *d, const char *name)
{
	json_t *k;
	size_t i;
	json_array_foreach (json_object_get(d, "kernels"), i, k) {
		if (strcmp(json_string_value(json_object_get(k, "name")), name) == 0)
			return k;
	}
	return NULL;
}

static bool escapes(json_t *d, const char *kname, const char *profile, const char *family,
		    const char *attack)
{
	json_t *l = json_object_get(
	    json_object_get(json_object_get(kernel(d, kname), "escapes"), profile), family);
	json_t *v;
	size_t i;
	json_array_foreach (l, i, v) {
		if (strcmp(json_string_value(v), attack) == 0)
			return true;
	}
	return false;
}

static const char *str_at(json_t *o, const char *a, const char *b)
{
	const char *s = json_string_value(json_object_get(json_object_get(o, a), b));
	return s ? s : "";
}

static void test_golden_md(void)
{
	char *got = read_out("kernel-compat.md"), *want;
	struct perr e;
	perr_clear(&e);
	want = util_read_file(FIX "kernel-compat.md", NULL, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "\n  kernel-compat.md differs from the golden file; got:\n%s\n",
			got);
		CU_FAIL("kernel-compat.md differs from tests/fixtures/kernels/kernel-compat.md");
	}
	free(got);
	free(want);
}

/* T01 (direct TCP): platform escapes below ABI 4 (6.1, and 6.1 with
 * Landlock left out), is contained on 6.12 and 7.2; namespace contains it
 * everywhere. */
static void test_t01(void)
{
	json_t *d = doc();
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT(escapes(d, "debian-6.1", "platform", "tcp", "T01"));
	CU_ASSERT(escapes(d, "debian-6.1-nolandlock", "platform", "tcp", "T01"));
	CU_ASSERT(!escapes(d, "debian-6.12", "platform", "tcp", "T01"));
	CU_ASSERT(!escapes(d, "debian-7.2", "platform", "tcp", "T01"));
	for (size_t i = 0; i < 4; i++) {
		const char *n = strrchr(dirs[i], '/') + 1;
		CU_ASSERT(!escapes(d, n, "namespace", "tcp", "T01"));
	}
	json_decref(d);
}

/* Kernel facts: the ABI from the probe, the TFO fix from the D04 cell. */
static void test_facts(void)
{
	json_t *d = doc();
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_object_get(kernel(d, "debian-6.1"), "landlock"), "abi")),
			2);
	CU_ASSERT_STRING_EQUAL(str_at(kernel(d, "debian-6.1-nolandlock"), "landlock", "status"),
			       "disabled");
	CU_ASSERT_STRING_EQUAL(str_at(kernel(d, "debian-6.1"), "tfo_fix", "state"),
			       "not measurable");
	CU_ASSERT_STRING_EQUAL(str_at(kernel(d, "debian-6.12"), "tfo_fix", "state"), "present");
	CU_ASSERT_STRING_EQUAL(str_at(kernel(d, "debian-7.2"), "tfo_fix", "state"), "present");
	CU_ASSERT_STRING_EQUAL(str_at(kernel(d, "host"), "tfo_fix", "state"), "absent");
	/* measured by T06.sendto, the probe's own measurement beside it */
	CU_ASSERT_STRING_EQUAL(str_at(kernel(d, "debian-6.12"), "tfo_fix", "cell"),
			       "T06.sendto/platform/abi6");
	CU_ASSERT_STRING_EQUAL(str_at(kernel(d, "debian-6.12"), "tfo_fix", "probe"), "yes");
	CU_ASSERT_STRING_EQUAL(str_at(kernel(d, "debian-7.2"), "features", "smc"), "no");
	CU_ASSERT_STRING_EQUAL(str_at(kernel(d, "debian-7.2"), "features", "udplite"), "no");
	CU_ASSERT_STRING_EQUAL(str_at(kernel(d, "debian-6.12"), "features", "sctp"), "yes");
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(kernel(d, "debian-7.2"), "kernel_release")),
	    "7.2.13+deb14-cloud-amd64");
	json_decref(d);
}

/* The answer at the top: no kernel has full parity; the gaps every kernel
 * shows; 6.12 and 7.2 have only those; 6.1 misses TCP, scopes. */
static void test_answer(void)
{
	json_t *d = doc(), *a;
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	a = json_object_get(d, "parity");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(a, "full_parity")), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "kernels_with_results")), 5);
	json_t *besides = json_object_get(a, "parity_but_everywhere_gaps");
	CU_ASSERT_EQUAL(json_array_size(besides), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(besides, 0)), "debian-6.12");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(besides, 1)), "debian-7.2");
	json_t *m61 = json_object_get(json_object_get(a, "missing"), "debian-6.1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m61);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(m61, 0), "attack")),
			       "T01");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(m61, 0), "entry")),
			       "tcp-before-abi4");
	CU_ASSERT_PTR_NOT_NULL(json_object_get(json_object_get(a, "no_results"), "debian-broken"));
	/* platform-notify: signals below ABI 6 are its only gap here */
	json_t *pn =
	    json_object_get(json_object_get(d, "parity_other_profiles"), "platform-notify");
	CU_ASSERT_PTR_NOT_NULL_FATAL(pn);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(pn, "full_parity")), 3);
	json_t *m = json_object_get(json_object_get(pn, "missing"), "debian-6.1");
	CU_ASSERT_EQUAL(json_array_size(m), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(m, 0), "attack")),
			       "S01");
	json_decref(d);
}

/* An INCONCLUSIVE kernel keeps its column and says why; in the merged junit
 * it is an error, never a pass. */
static void test_inconclusive_kernel(void)
{
	char *md = read_out("kernel-compat.md"), *junit = read_out("merged/junit.xml");
	char *tsv = read_out("merged/cells.tsv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(md);
	CU_ASSERT_PTR_NOT_NULL_FATAL(junit);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tsv);
	CU_ASSERT_PTR_NOT_NULL(strstr(md, "| debian-broken |"));
	CU_ASSERT_PTR_NOT_NULL(strstr(md, "debian-broken **INCONCLUSIVE**: kernel panic"));
	CU_ASSERT_PTR_NOT_NULL(strstr(junit, "<error type=\"INCONCLUSIVE\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(tsv,
				      "debian-6.1\t6.1.0-50-cloud-amd64\tT01/platform/abi2\tT01"
				      "\ttcp\tplatform\t2\tESCAPED\tmatch"));
	free(md);
	free(junit);
	free(tsv);
}

/* A kernel's state follows its results' exit code: without kernel.json a
 * folder of results was PASS whatever they said, and an INCONCLUSIVE one
 * (no gap found because its cells did not settle) answered "full parity". */
static void test_state_from_results(void)
{
	json_t *base = json_load_file(FIX "host/results.json", 0, NULL), *r[3], *info[3], *d, *k,
	       *a;
	const char *names[] = {FIX "inc", FIX "fail", FIX "said-pass"};
	static const int codes[] = {3, 1, 1};

	CU_ASSERT_PTR_NOT_NULL_FATAL(base);
	for (int i = 0; i < 3; i++) {
		r[i] = json_deep_copy(base);
		json_object_set_new(json_object_get(r[i], "summary"), "exit_code",
				    json_integer(codes[i]));
		info[i] =
		    i == 2 ? json_pack("{s:s,s:s}", "name", "said-pass", "state", "PASS") : NULL;
	}
	d = report_compat_build(info, r, names, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	k = json_object_get(d, "kernels");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(k, 0), "state")),
			       "INCONCLUSIVE");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(k, 1), "state")),
			       "FAIL");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(k, 2), "state")),
			       "FAIL");
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(json_string_value(json_object_get(json_array_get(k, 2), "why")),
		   "kernel.json says PASS"));
	a = json_object_get(d, "parity");
	/* the inconclusive one answers nothing; the failed ones are judged */
	CU_ASSERT_PTR_NOT_NULL(json_object_get(json_object_get(a, "no_results"), "inc"));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "kernels_with_results")), 2);
	json_decref(d);
	for (int i = 0; i < 3; i++) {
		json_decref(r[i]);
		json_decref(info[i]);
	}
	json_decref(base);
}

static void test_rejects_empty_folder(void)
{
	struct perr e;
	const char *bad[] = {FIX};
	char tmp[] = "/tmp/parity-test-kernels-bad.XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmp));
	perr_clear(&e);
	CU_ASSERT_EQUAL(report_compat_write(bad, 1, tmp, NULL, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "neither results.json nor kernel.json"));
	rmdir(tmp);
}

/* A folder whose FILE holds `text` is refused, the file and `want` named,
 * and nothing is left behind (a wrongly taken file would write the
 * reports into the output folder). */
static void folder_file_refused(const char *file, const char *text, const char *want)
{
	struct perr e;
	char dir[] = "/tmp/parity-test-kernels-in.XXXXXX";
	char outdir[] = "/tmp/parity-test-kernels-out.XXXXXX";
	char path[128];
	const char *one[1];
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(outdir));
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	one[0] = dir;
	perr_clear(&e);
	CU_ASSERT_EQUAL(report_compat_write(one, 1, outdir, NULL, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	if (!strstr(e.msg, want))
		fprintf(stderr, "\n  want '%s' in: %s\n", want, e.msg);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, file));
	unlink(path);
	rmdir(dir);
	snprintf(path, sizeof(path), "%s/kernel-compat.md", outdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/kernel-compat.json", outdir);
	unlink(path);
	rmdir(outdir);
}

/* A results.json that is another document is refused by name, as `report
 * render` refuses it, instead of giving that kernel an empty column. */
static void test_rejects_other_document(void)
{
	folder_file_refused("results.json",
			    "{\"schema\": \"parity.expectations/1\", \"entries\": []}\n",
			    "field 'schema'");
}

/* A kernel.json that is not one is named too: [1,2], a number for a name,
 * or an unknown state gave an INCONCLUSIVE column without a why. */
/* A folder is one kernel's: a kernel.json of one kernel beside another's
 * results, or two folders of one name, mixed their facts in one column. */
static void test_rejects_mixed_folders(void)
{
	char dir[] = "/tmp/parity-test-kernels-mix.XXXXXX",
	     outdir[] = "/tmp/parity-test-kernels-mo.XXXXXX";
	char kj[128], rj[128], cmd[512];
	const char *two[2] = {FIX "host", FIX "host"}, *one[1] = {dir};
	struct perr e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(outdir));
	snprintf(kj, sizeof(kj), "%s/kernel.json", dir);
	snprintf(rj, sizeof(rj), "%s/results.json", dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s && cp %s %s", FIX "debian-6.12/kernel.json", kj,
		 FIX "host/results.json", rj);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	perr_clear(&e);
	CU_ASSERT_EQUAL(report_compat_write(one, 1, outdir, NULL, &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "not one kernel's folder"));
	perr_clear(&e);
	CU_ASSERT_EQUAL(report_compat_write(two, 2, outdir, NULL, &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "both name the kernel 'host'"));
	unlink(kj);
	unlink(rj);
	rmdir(dir);
	rmdir(outdir);
}

static void test_rejects_bad_kernel_json(void)
{
	folder_file_refused("kernel.json", "[1, 2]\n", "expected an object");
	folder_file_refused("kernel.json", "{\"name\": 5, \"state\": \"PASS\"}\n", "field 'name'");
	folder_file_refused("kernel.json", "{\"name\": \"k\", \"state\": {}}\n", "field 'state'");
	folder_file_refused("kernel.json", "{\"name\": \"k\", \"state\": \"MAYBE\"}\n",
			    "field 'state'");
	folder_file_refused("kernel.json", "{\"name\": \"k\", \"expected_landlock_abi\": \"7\"}\n",
			    "field 'expected_landlock_abi'");
}

/* --merged's junit.xml is a directory: --out gets nothing either (it used
 * to be written before --merged failed), and no .tmp stays; --merged equal
 * to --out writes the merged set there once. */
static void test_out_and_merged_all_or_nothing(void)
{
	char tmp[] = "/tmp/parity-test-kernels-aon.XXXXXX", o[128], m[128], path[160];
	struct perr e;
	struct stat st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmp));
	snprintf(o, sizeof(o), "%s/out", tmp);
	snprintf(m, sizeof(m), "%s/merged", tmp);
	CU_ASSERT_EQUAL(mkdir(m, 0755), 0);
	snprintf(path, sizeof(path), "%s/junit.xml", m);
	CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
	perr_clear(&e);
	CU_ASSERT_EQUAL(report_compat_write(dirs, NDIRS, o, m, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "junit.xml"));
	snprintf(path, sizeof(path), "%s/kernel-compat.json", o);
	CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/kernel-compat.json.tmp", o);
	CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/cells.tsv.tmp", m);
	CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);

	perr_clear(&e);
	CU_ASSERT_EQUAL(report_compat_write(dirs, NDIRS, m, m, &e), -1); /* still a directory */
	snprintf(path, sizeof(path), "%s/junit.xml", m);
	CU_ASSERT_EQUAL(rmdir(path), 0);
	perr_clear(&e);
	CU_ASSERT_EQUAL(report_compat_write(dirs, NDIRS, m, m, &e), 0);
	snprintf(path, sizeof(path), "%s/cells.tsv", m);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	/* The same new folder spelled two ways: one folder, written once. */
	{
		char m2[160], m2s[168];
		snprintf(m2, sizeof(m2), "%s/new", tmp);
		snprintf(m2s, sizeof(m2s), "%s/new/", tmp);
		perr_clear(&e);
		CU_ASSERT_EQUAL(report_compat_write(dirs, NDIRS, m2, m2s, &e), 0);
		if (e.msg[0])
			fprintf(stderr, "\n  %s\n", e.msg);
		snprintf(path, sizeof(path), "%s/junit.xml", m2);
		CU_ASSERT_EQUAL(stat(path, &st), 0);
	}
	nftw(tmp, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

void unit_register(void)
{
	UNIT_SUITE("kernels");
	UNIT_TEST(test_rejects_bad_kernel_json);
	UNIT_TEST(test_rejects_mixed_folders);
	UNIT_TEST(test_rejects_other_document);
	UNIT_TEST(test_golden_md);
	UNIT_TEST(test_t01);
	UNIT_TEST(test_facts);
	UNIT_TEST(test_answer);
	UNIT_TEST(test_inconclusive_kernel);
	UNIT_TEST(test_state_from_results);
	UNIT_TEST(test_rejects_empty_folder);
	UNIT_TEST(test_out_and_merged_all_or_nothing);
}
