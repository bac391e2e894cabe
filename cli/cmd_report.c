/* cmd_report.c - `parity report render|merge`: reports from results files.
 *
 *   render RESULTS.json --out DIR   every report again, from the file alone
 *   merge DIR... --out DIR          the shards of one run (`matrix --shard`)
 *                                   as one run; exits like `parity matrix`
 *   kernels DIR... --out DIR [--merged DIR]
 *                                   the kernel compatibility report, one
 *                                   column per kernel (`parity vm run`)
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "reports.h"
#include "expect.h"
#include "results.h"
#include "util.h"

static void report_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: parity report render RESULTS.json --out DIR [--recompute] [--expect FILE]...\n"
	    "       parity report merge DIR... --out DIR\n"
	    "       parity report kernels DIR... --out DIR [--merged DIR]\n\n"
	    "render writes results.json, matrix.md, parity.md, matrix.html and junit.xml\n"
	    "again from a results file (and copies the captures it names, when they sit\n"
	    "next to it); --recompute first derives the parity rows, expectation outcomes\n"
	    "and summary again from the cells and the expectation sets kept in the file;\n"
	    "--expect FILE (repeatable) judges the same cells against other expectation\n"
	    "sets instead (implies --recompute; exit 0, or 1 on a regression).\n"
	    "merge joins the results of `parity matrix --shard K/N` runs (each\n"
	    "DIR holds one shard's results.json and evidence/), recomputes parity and\n"
	    "expectations, and exits like `parity matrix`: 0, 1 regression, 3 infra.\n"
	    "kernels writes kernel-compat.md and kernel-compat.json, one column per\n"
	    "kernel, from folders that each hold one kernel's results.json and/or the\n"
	    "kernel.json of `parity vm run` (--merged DIR: also cells.tsv and junit.xml\n"
	    "with every kernel's cells).\n"
	    "Exit 2: usage, or files that are not results or not shards of one run.\n");
}

static int copy_file(const char *from, const char *to, struct perr *e)
{
	size_t len;
	char *buf = util_read_file(from, &len, e);
	FILE *f;

	if (!buf)
		return -1;
	{
		int fd = util_open_new(to); /* never through a planted link */
		f = fd < 0 ? NULL : fdopen(fd, "w");
		if (!f && fd >= 0)
			close(fd);
	}
	if (!f || fwrite(buf, 1, len, f) != len) {
		int err = errno;
		free(buf);
		if (f)
			fclose(f);
		return perr_sys(e, err, "write %s", to);
	}
	free(buf);
	if (fclose(f) != 0)
		return perr_sys(e, errno, "write %s", to);
	return 0;
}

/* out and out/evidence exist and are real directories, before any report
 * is written: an evidence/ that is a file (or a symbolic link) failed the
 * copy after the reports had been replaced. */
static int prepare_out(const char *out, struct perr *e)
{
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s/evidence", out);
	if (mkdir(out, 0755) < 0 && errno != EEXIST)
		return perr_sys(e, errno, "mkdir %s", out);
	return util_real_dir(dir, e);
}

/* Whether results r (one shard's) has a cell naming capture rel. */
static bool names_capture(json_t *r, const char *rel)
{
	json_t *c;
	size_t i;

	json_array_foreach (json_object_get(r, "cells"), i, c) {
		const char *p = json_string_value(json_object_get(c, "pcap"));
		if (p && strcmp(p, rel) == 0)
			return true;
	}
	return false;
}

/* Copy the captures the cells name from src_dir/evidence to out/evidence.
 * parts (merge: each source's results, NULL for render): a capture comes
 * only from the shard whose results name it, never from a file of the
 * same name another shard's folder happens to hold. */
static int copy_evidence(json_t *r, const char *const *src_dirs, json_t *const *parts, size_t nsrc,
			 const char *out, struct perr *e)
{
	json_t *c;
	size_t i;
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s/evidence", out);
	if (util_real_dir(dir, e) < 0)
		return -1;
	json_array_foreach (json_object_get(r, "cells"), i, c) {
		const char *rel = json_string_value(json_object_get(c, "pcap"));
		char to[4400];
		if (!rel || !results_pcap_name_ok(rel))
			continue; /* refused when loaded; a cell added since has none */
		snprintf(to, sizeof(to), "%s/%s", out, rel);
		for (size_t k = 0; k < nsrc; k++) {
			char from[4400], rf[4400], rt[4400];
			if (parts && !names_capture(parts[k], rel))
				continue;
			snprintf(from, sizeof(from), "%s/%s", src_dirs[k], rel);
			if (access(from, R_OK) != 0)
				continue;
			if (realpath(from, rf) && realpath(to, rt) && strcmp(rf, rt) == 0)
				break; /* rendering in place */
			if (copy_file(from, to, e) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

/* A usage error that names what was wrong, then the usage. */
static int __attribute__((format(printf, 2, 3))) usage_error(const char *sub, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "parity report %s: ", sub);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	report_usage(stderr);
	return PARITY_EXIT_USAGE;
}

static const char *out_arg(int *argc, char **argv)
{
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < *argc) {
			const char *o = argv[i + 1];
			for (int j = i; j + 2 <= *argc; j++)
				argv[j] = argv[j + 2];
			*argc -= 2;
			return o;
		}
	}
	return NULL;
}

/* Replace the gating expectation sets of r with those files (the PR's
 * claims, which never gate, are kept). */
static int replace_sets(json_t *r, const char *const *files, size_t n, struct perr *e)
{
	json_t *x = json_object_get(r, "expectations"), *old, *sets = json_array(), *s;
	size_t i;

	if (!json_is_object(x)) {
		json_decref(sets);
		return perr_usage(e, "results.json: field 'expectations': missing");
	}
	for (i = 0; i < n; i++) {
		struct expect_set set;
		if (expect_set_load(files[i], true, &set, e) < 0) {
			json_decref(sets);
			return perr_prefix(e, "--expect");
		}
		if (json_array_append_new(sets, expect_set_json(&set)) < 0) {
			perr_set(e, "--expect %s: set %s could not be kept", files[i], set.name);
			expect_set_free(&set);
			json_decref(sets);
			return -1;
		}
		expect_set_free(&set);
	}
	old = json_object_get(x, "sets");
	json_array_foreach (old, i, s)
		if (json_is_false(json_object_get(s, "gating")))
			json_array_append(sets, s);
	json_object_set_new(x, "sets", sets);
	return 0;
}

static int do_render(int argc, char **argv)
{
	const char *out = out_arg(&argc, argv);
	const char *expect[16];
	size_t nexpect = 0;
	json_t *r;
	struct perr e;
	char src[4096], *dir;
	const char *input = NULL;
	bool recompute = false;
	int rc = 0;

	perr_clear(&e);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--recompute") == 0) {
			recompute = true;
		} else if (strcmp(argv[i], "--expect") == 0) {
			if (i + 1 >= argc)
				return usage_error("render", "--expect needs a FILE");
			if (nexpect == 16)
				return usage_error("render", "at most 16 --expect");
			expect[nexpect++] = argv[++i];
			recompute = true;
		} else if (argv[i][0] == '-') {
			return usage_error("render", "unknown or incomplete option '%s'", argv[i]);
		} else if (input) {
			return usage_error("render", "one RESULTS.json only ('%s' and '%s')", input,
					   argv[i]);
		} else {
			input = argv[i];
		}
	}
	if (!input)
		return usage_error("render", "no RESULTS.json given");
	if (!out)
		return usage_error("render", "--out DIR is required");
	if (results_load(input, &r, &e) < 0)
		return perr_report(&e, "parity report render");
	if (nexpect && replace_sets(r, expect, nexpect, &e) < 0) {
		json_decref(r);
		return perr_report(&e, "parity report render");
	}
	if (recompute && results_finish(r, &e) < 0) {
		/* e.g. a set kept in it that no longer parses: named there */
		perr_prefix(&e, "%s", input);
		json_decref(r);
		return perr_report(&e, "parity report render");
	}
	snprintf(src, sizeof(src), "%s", input);
	dir = dirname(src);
	if (prepare_out(out, &e) < 0 || report_write_all(r, out, &e) < 0 ||
	    copy_evidence(r, (const char *const *)&dir, NULL, 1, out, &e) < 0) {
		json_decref(r);
		return perr_report(&e, "parity report render");
	}
	printf("rendered %s into %s\n", input, out);
	if (nexpect)
		rc = results_exit_code(r);
	json_decref(r);
	return rc;
}

static int do_merge(int argc, char **argv)
{
	const char *out = out_arg(&argc, argv);
	size_t n = argc > 1 ? (size_t)argc - 1 : 0;
	json_t **parts = calloc(n + 1, sizeof(*parts)), *r = NULL;
	const char **names = calloc(n + 1, sizeof(*names));
	struct perr e;
	int rc = PARITY_EXIT_USAGE;

	perr_clear(&e);
	if (!parts || !names) {
		perr_sys(&e, ENOMEM, "merge");
		rc = perr_report(&e, "parity report merge");
		goto out;
	}
	if (n == 0 || !out) {
		rc = usage_error("merge",
				 n == 0 ? "no shard directory given" : "--out DIR is required");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char a[PATH_MAX], b[PATH_MAX];
		if (argv[i + 1][0] == '-') {
			rc = usage_error("merge", "unknown or incomplete option '%s'", argv[i + 1]);
			goto out;
		}
		/* Writing the merge over a shard would lose that shard. */
		if (realpath(argv[i + 1], a) && realpath(out, b) && strcmp(a, b) == 0) {
			rc = usage_error("merge", "--out %s is shard %s itself", out, argv[i + 1]);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		char path[4200];
		names[i] = argv[i + 1];
		snprintf(path, sizeof(path), "%s/results.json", argv[i + 1]);
		if (results_load(path, &parts[i], &e) < 0) {
			rc = perr_report(&e, "parity report merge");
			goto out;
		}
	}
	if (results_merge(parts, names, n, &r, &e) < 0 || prepare_out(out, &e) < 0 ||
	    report_write_all(r, out, &e) < 0 || copy_evidence(r, names, parts, n, out, &e) < 0) {
		rc = perr_report(&e, "parity report merge");
		goto out;
	}
	report_summary(r, out, stdout);
	rc = results_exit_code(r);
out:
	for (size_t i = 0; parts && i < n; i++)
		json_decref(parts[i]);
	json_decref(r);
	free(parts);
	free(names);
	return rc;
}

static int do_kernels(int argc, char **argv)
{
	const char *out = NULL, *merged = NULL;
	const char **dirs = calloc((size_t)argc, sizeof(*dirs));
	size_t n = 0;
	struct perr e;
	int rc = 0;

	perr_clear(&e);
	for (int i = 1; dirs && i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--merged") == 0 && i + 1 < argc)
			merged = argv[++i];
		else if (argv[i][0] == '-') {
			free(dirs);
			return usage_error("kernels", "unknown or incomplete option '%s'", argv[i]);
		} else
			dirs[n++] = argv[i];
	}
	if (!dirs || !out || n == 0) {
		free(dirs);
		return usage_error("kernels", !dirs    ? "out of memory"
					      : n == 0 ? "no kernel directory given"
						       : "--out DIR is required");
	}
	if (report_compat_write(dirs, n, out, merged, &e) < 0)
		rc = perr_report(&e, "parity report kernels");
	else
		printf("kernel compatibility of %zu kernel(s): %s/kernel-compat.md\n", n, out);
	free(dirs);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	if (argc < 2 || cli_wants_help(argc, argv)) {
		report_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? PARITY_EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "render") == 0)
		return do_render(argc - 1, argv + 1);
	if (strcmp(argv[1], "merge") == 0)
		return do_merge(argc - 1, argv + 1);
	if (strcmp(argv[1], "kernels") == 0)
		return do_kernels(argc - 1, argv + 1);
	fprintf(stderr, "parity report: unknown subcommand '%s'\n", argv[1]);
	report_usage(stderr);
	return PARITY_EXIT_USAGE;
}
