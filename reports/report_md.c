/* report_md.c - matrix.md: families as row groups, profile x ABI columns,
 * a legend, parity with namespace per profile, expectation outcomes. */
#include <stdio.h>
#include <string.h>

#include "attack.h"
#include "reports.h"
#include "report_util.h"

#define MAX_COLS 256
#define MAX_ATTACKS 1024

static const char *verdict_md(const char *v, bool control)
{
	if (strcmp(v, "BLOCKED") == 0)
		return "blocked";
	if (strcmp(v, "KILLED") == 0)
		return "killed";
	if (strcmp(v, "ESCAPED") == 0)
		return control ? "escaped" : "**ESCAPED**";
	if (strcmp(v, "N/A") == 0)
		return "n/a";
	if (strcmp(v, "INCONCLUSIVE") == 0)
		return "?";
	return "";
}

static const char *status_md(const char *s)
{
	if (strcmp(s, "PARITY") == 0)
		return "parity";
	if (strcmp(s, "GAP") == 0)
		return "**GAP**";
	if (strcmp(s, "REVERSE") == 0)
		return "reverse";
	if (strcmp(s, "BOTH-ESCAPE") == 0)
		return "both-escape";
	if (strcmp(s, "N/A") == 0)
		return "n/a";
	return "";
}

static void header(json_t *r, FILE *f)
{
	json_t *run = json_object_get(r, "run"), *sum = json_object_get(r, "summary");
	json_t *by = json_object_get(sum, "by_verdict"), *sets, *s;
	char kernel[256];
	size_t i;
	bool first = true;

	report_kernel_line(r, kernel, sizeof(kernel));
	fprintf(f, "# Parity matrix\n\n");
	fprintf(f, "- Kernel: %s\n", kernel);
	fprintf(f, "- Run: parity %s on `%s`, %s", rs(run, "parity_version"), rs(run, "host"),
		rs(run, "date"));
	if (ri(json_object_get(run, "shard"), "count") > 1) {
		if (ri(json_object_get(run, "shard"), "index") > 0)
			fprintf(f, ", shard %lld/%lld", ri(json_object_get(run, "shard"), "index"),
				ri(json_object_get(run, "shard"), "count"));
		else
			fprintf(f, ", merged from %lld shards",
				ri(json_object_get(run, "shard"), "count"));
	}
	fprintf(f,
		"\n- Cells: %lld (%lld controls): %lld BLOCKED, %lld KILLED, %lld ESCAPED, %lld "
		"N/A, %lld INCONCLUSIVE\n",
		ri(sum, "cells"), ri(sum, "controls"), ri(by, "BLOCKED"), ri(by, "KILLED"),
		ri(by, "ESCAPED"), ri(by, "N/A"), ri(by, "INCONCLUSIVE"));
	fprintf(f, "- Expectations: ");
	sets = json_object_get(json_object_get(r, "expectations"), "sets");
	json_array_foreach (sets, i, s) {
		if (!json_is_true(json_object_get(s, "gating")))
			continue;
		fprintf(f, "%s%s", first ? "" : ", ", rs(s, "name"));
		first = false;
	}
	if (first)
		fprintf(f, "none");
	fprintf(f, "\n- Outcome: exit %lld, %s; %lld regression(s), %lld improvement(s)\n\n",
		ri(sum, "exit_code"), rs(sum, "exit_reason"), ri(sum, "regressions"),
		ri(sum, "improvements"));
}

static void legend(FILE *f)
{
	fprintf(f, "## Legend\n\n"
		   "| cell | meaning |\n|---|---|\n"
		   "| blocked | no witness saw anything, and the positive control escaped |\n"
		   "| killed | no witness saw anything; the program died of a signal (e.g. a "
		   "seccomp kill) |\n"
		   "| **ESCAPED** | a witness saw the marker, a direct flow, a signal or a "
		   "connection |\n"
		   "| escaped | the positive control (profile none) escaped, as it must |\n"
		   "| n/a | a precondition is missing on this kernel |\n"
		   "| ? | INCONCLUSIVE: the control did not escape, a witness failed, or a "
		   "timeout |\n"
		   "| ! | worse than expected: a regression, the run fails |\n"
		   "| + | better than expected |\n"
		   "| ~ | differs from the expectation, neither worse nor better |\n\n"
		   "Columns: `none` is the positive control (no enforcement, run once per attack); "
		   "the others are a profile at a Landlock ABI, the kernel's own or emulated below "
		   "it.\n\n");
}

static void col_header(FILE *f, const char *first, const struct rcol *cols, size_t n)
{
	fprintf(f, "| %s |", first);
	for (size_t i = 0; i < n; i++) {
		char abi[64];
		if (cols[i].abi_index < 0) {
			fprintf(f, " none |");
			continue;
		}
		report_abi_label(cols[i].abi, false, abi, sizeof(abi));
		fprintf(f, " %s<br>%s |", cols[i].profile, abi);
	}
	fprintf(f, "\n|---|");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "---|");
	fprintf(f, "\n");
}

static void families(json_t *r, FILE *f, const struct rcol *cols, size_t ncols)
{
	const char *fams[FAM_COUNT + 1], *ids[MAX_ATTACKS];
	size_t nf = report_families(r, fams, FAM_COUNT);

	for (size_t fi = 0; fi < nf; fi++) {
		enum attack_family fam = FAM_TCP;
		size_t na = report_family_attacks(r, fams[fi], ids, MAX_ATTACKS);
		attack_family_parse(fams[fi], &fam);
		fprintf(f, "## %s (`%s`)\n\n", attack_family_title(fam), fams[fi]);
		col_header(f, "attack", cols, ncols);
		for (size_t a = 0; a < na; a++) {
			fprintf(f, "| %s: ", ids[a]);
			md_text(f, report_attack_title(r, ids[a]));
			fprintf(f, " |");
			for (size_t c = 0; c < ncols; c++) {
				json_t *cell = report_cell(r, ids[a], &cols[c]);
				const char *mark;
				if (!cell) {
					fprintf(f, " |");
					continue;
				}
				mark = report_outcome_mark(report_outcome(cell));
				fprintf(f, " %s%s%s |",
					verdict_md(rs(cell, "verdict"), cols[c].abi_index < 0),
					*mark ? " " : "", mark);
			}
			fprintf(f, "\n");
		}
		fprintf(f, "\n");
	}
}

static void parity(json_t *r, FILE *f)
{
	json_t *run = json_object_get(r, "run"), *p, *abis = json_object_get(run, "abis"), *abi;
	const char *fams[FAM_COUNT + 1], *ids[MAX_ATTACKS];
	size_t nf = report_families(r, fams, FAM_COUNT), i, j;
	bool any = false;

	fprintf(f, "## Parity with namespace\n\n"
		   "parity: both contained; **GAP**: the profile escaped where namespace was "
		   "contained; reverse: namespace escaped, the profile was contained; both-escape; "
		   "n/a: either cell N/A or INCONCLUSIVE.\n\n");
	json_array_foreach (json_object_get(run, "profiles"), i, p) {
		const char *prof = json_string_value(p);
		size_t counts[5] = {0};
		static const char *const st[] = {"PARITY", "GAP", "REVERSE", "BOTH-ESCAPE", "N/A"};
		json_t *row;
		size_t k;
		if (!prof || !strcmp(prof, "none") || !strcmp(prof, "namespace"))
			continue;
		json_array_foreach (json_object_get(r, "parity"), k, row) {
			if (strcmp(rs(row, "profile"), prof) != 0)
				continue;
			for (size_t s = 0; s < 5; s++)
				counts[s] += strcmp(rs(row, "status"), st[s]) == 0;
		}
		if (!(counts[0] + counts[1] + counts[2] + counts[3] + counts[4]))
			continue;
		any = true;
		fprintf(f,
			"### %s vs namespace\n\n%zu PARITY, %zu GAP, %zu REVERSE, %zu BOTH-ESCAPE, "
			"%zu N/A\n\n| attack |",
			prof, counts[0], counts[1], counts[2], counts[3], counts[4]);
		json_array_foreach (abis, j, abi) {
			char l[64];
			report_abi_label(abi, false, l, sizeof(l));
			fprintf(f, " %s |", l);
		}
		fprintf(f, "\n|---|");
		for (j = 0; j < json_array_size(abis); j++)
			fprintf(f, "---|");
		fprintf(f, "\n");
		for (size_t fi = 0; fi < nf; fi++) {
			size_t na = report_family_attacks(r, fams[fi], ids, MAX_ATTACKS);
			enum attack_family fam = FAM_TCP;
			attack_family_parse(fams[fi], &fam);
			fprintf(f, "| **%s** |", attack_family_title(fam));
			for (j = 0; j < json_array_size(abis); j++)
				fprintf(f, " |");
			fprintf(f, "\n");
			for (size_t a = 0; a < na; a++) {
				fprintf(f, "| %s |", ids[a]);
				json_array_foreach (abis, j, abi) {
					json_t *row2 = report_row(r, ids[a], prof, abi);
					const char *mark =
					    row2 ? report_outcome_mark(report_outcome(row2)) : "";
					fprintf(f, " %s%s%s |",
						row2 ? status_md(rs(row2, "status")) : "",
						*mark ? " " : "", mark);
				}
				fprintf(f, "\n");
			}
		}
		fprintf(f, "\n");
	}
	if (!any)
		fprintf(f, "No parity rows: the run needs `namespace` and another profile.\n\n");
}

static void listing(json_t *x, const char *key, const char *title, FILE *f)
{
	json_t *l = json_object_get(x, key), *it;
	size_t i;

	fprintf(f, "### %s\n\n", title);
	if (!json_array_size(l)) {
		fprintf(f, "None.\n\n");
		return;
	}
	json_array_foreach (l, i, it) {
		fprintf(f, "- `%s` (%s): expected %s, got %s. ", rs(it, "id"), rs(it, "kind"),
			rs(it, "expected"), rs(it, "got"));
		md_text(f, rs(it, "rationale"));
		fprintf(f, " (%s/%s; ", rs(it, "set"), rs(it, "entry"));
		md_text(f, rs(it, "reference"));
		fprintf(f, ")");
		if (*rs(it, "reproduce"))
			fprintf(f, ". Reproduce: `%s`", rs(it, "reproduce"));
		fprintf(f, "\n");
	}
	fprintf(f, "\n");
}

static void expectations(json_t *r, FILE *f)
{
	json_t *x = json_object_get(r, "expectations"), *it;
	size_t i;

	fprintf(f, "## Expectations\n\n");
	listing(x, "regressions", "Worse than expected (regressions: the run fails)", f);
	listing(x, "improvements", "Better than expected", f);
	listing(x, "changed", "Different from expected", f);
	fprintf(f, "### Unused entries\n\n");
	if (!json_array_size(json_object_get(x, "unused")))
		fprintf(f, "None.\n");
	json_array_foreach (json_object_get(x, "unused"), i, it)
		fprintf(f, "- %s/%s: %s\n", rs(it, "set"), rs(it, "entry"), rs(it, "why"));
	fprintf(f, "\n");
}

void report_matrix_md(json_t *r, FILE *f)
{
	struct rcol cols[MAX_COLS];
	size_t ncols = report_columns(r, cols, MAX_COLS);

	header(r, f);
	legend(f);
	families(r, f, cols, ncols);
	parity(r, f);
	expectations(r, f);
}
