/* report_parity.c - parity.md: the PR's parity table with each claim's
 * measured status per Landlock ABI, then every gap (a profile escaped where
 * namespace was contained) with its evidence and reproduce commands. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "attack.h"
#include "reports.h"
#include "report_util.h"

static void claims(json_t *r, FILE *f)
{
	json_t *x = json_object_get(r, "expectations");
	json_t *abis = json_object_get(json_object_get(r, "run"), "abis"), *abi, *c, *pa;
	json_t *cl = json_object_get(x, "claims");
	size_t i, j;

	fprintf(f, "## The PR's parity table, measured\n\n");
	if (!json_array_size(cl)) {
		fprintf(f, "No claims set (matrix/expectations/pr-claims.json) was part of this "
			   "run.\n\n");
		return;
	}
	fprintf(f,
		"Each row as the PR states it, then what the witnesses measured at each "
		"Landlock ABI: *holds* when every judged cell of the row's attacks agrees with "
		"the claim, **fails** with the attacks that contradict it (and their parity with "
		"namespace), n/a when no cell of the row could be judged.\n\n");
	fprintf(f, "| PR row | namespace (PR) | platform (PR) | claim |");
	json_array_foreach (abis, j, abi) {
		char l[64];
		report_abi_label(abi, true, l, sizeof(l));
		fprintf(f, " %s |", l);
	}
	fprintf(f, "\n|---|---|---|---|");
	for (j = 0; j < json_array_size(abis); j++)
		fprintf(f, "---|");
	fprintf(f, "\n");
	json_array_foreach (cl, i, c) {
		json_t *stated = json_object_get(c, "stated");
		fprintf(f, "| ");
		md_text(f, rs(c, "title"));
		fprintf(f, " | ");
		md_text(f, rs(stated, "namespace"));
		fprintf(f, " | ");
		md_text(f, rs(stated, "platform"));
		fprintf(f, " | %s %s |", rs(c, "profile"), rs(c, "expected"));
		json_array_foreach (json_object_get(c, "per_abi"), j, pa) {
			const char *st = rs(pa, "status");
			json_t *fl;
			size_t k;
			if (strcmp(st, "holds") == 0) {
				fprintf(f, " holds (%lld) |", ri(pa, "judged"));
				continue;
			}
			if (strcmp(st, "untested") == 0) {
				fprintf(f, " n/a |");
				continue;
			}
			fprintf(f, " **fails**:");
			json_array_foreach (json_object_get(pa, "failing"), k, fl) {
				const char *par = rs(fl, "parity");
				fprintf(f, "%s %s", k ? "," : "", rs(fl, "attack"));
				/* A gap says more than a verdict; other rows say the verdict. */
				if (!strcmp(par, "GAP") || !strcmp(par, "BOTH-ESCAPE"))
					fprintf(f, " %s", par);
				else
					fprintf(f, " %s", rs(fl, "got"));
			}
			fprintf(f, " (%zu of %lld) |",
				json_array_size(json_object_get(pa, "failing")), ri(pa, "judged"));
		}
		fprintf(f, "\n");
	}
	fprintf(f, "\nThe PR's reasons:\n\n");
	json_array_foreach (cl, i, c) {
		fprintf(f, "- %s: ", rs(c, "title"));
		md_text(f, rs(c, "rationale"));
		fprintf(f, " (");
		md_text(f, rs(c, "reference"));
		fprintf(f, ")\n");
	}
	fprintf(f, "\n");
}

static json_t *cell_by_id(json_t *r, const char *id)
{
	size_t i;
	json_t *c;
	json_array_foreach (json_object_get(r, "cells"), i, c) {
		if (strcmp(rs(c, "id"), id) == 0)
			return c;
	}
	return NULL;
}

static bool seen_before(json_t *rows, size_t upto, json_t *row, const char *status)
{
	for (size_t i = 0; i < upto; i++) {
		json_t *o = json_array_get(rows, i);
		if (strcmp(rs(o, "status"), status) == 0 &&
		    strcmp(rs(o, "attack"), rs(row, "attack")) == 0 &&
		    strcmp(rs(o, "profile"), rs(row, "profile")) == 0)
			return true;
	}
	return false;
}

static void evidence(json_t *cell, FILE *f)
{
	json_t *ev = json_object_get(cell, "evidence"), *e;
	json_t *cap = json_object_get(ev, "capture");
	size_t i;

	json_array_foreach (json_object_get(cell, "escapes"), i, e) {
		fprintf(f, "  - ");
		md_text(f, json_string_value(e));
		fprintf(f, "\n");
	}
	if (cap)
		fprintf(f,
			"  - capture: %lld packets, %lld direct flow(s), %lld proxied, marker in "
			"%lld packet(s)\n",
			ri(cap, "packets"), ri(json_object_get(cap, "flows"), "direct"),
			ri(json_object_get(cap, "flows"), "proxied"),
			ri(json_object_get(cap, "marker"), "packets"));
	if (*rs(cell, "pcap"))
		fprintf(f, "  - capture file: `%s`\n", rs(cell, "pcap"));
}

/* The profiles compared with namespace, in the order their rows appear. */
static size_t compared_profiles(json_t *rows, const char **out, size_t max)
{
	json_t *row;
	size_t i, n = 0;
	json_array_foreach (rows, i, row) {
		const char *p = rs(row, "profile");
		size_t k;
		for (k = 0; k < n && strcmp(out[k], p) != 0; k++)
			;
		if (k == n && n < max)
			out[n++] = p;
	}
	return n;
}

static bool same_abi(json_t *a, json_t *b)
{
	json_t *ea = json_object_get(a, "effective"), *eb = json_object_get(b, "effective");
	if (!json_is_integer(ea) || !json_is_integer(eb))
		return !json_is_integer(ea) && !json_is_integer(eb);
	return json_integer_value(ea) == json_integer_value(eb) &&
	       json_is_true(json_object_get(a, "emulated")) ==
		   json_is_true(json_object_get(b, "emulated"));
}

/* Per profile and ABI: what remains open against namespace (the GAP rows,
 * each explained under "Gaps" with its expectation), or that nothing does. */
static void open_per_profile(json_t *r, FILE *f)
{
	static const char *const kinds[] = {"GAP", "PARITY", "REVERSE", "BOTH-ESCAPE", "N/A"};
	json_t *rows = json_object_get(r, "parity"), *row, *abis, *abi;
	const char *prof[16];
	size_t np = compared_profiles(rows, prof, 16), i, a;

	abis = json_object_get(json_object_get(r, "run"), "abis");
	fprintf(f, "## What remains open, per profile\n\n"
		   "Rows compared with namespace at each Landlock ABI: GAP (escaped where "
		   "namespace was contained: open), PARITY, REVERSE (contained where namespace "
		   "escaped), BOTH-ESCAPE, N/A.\n\n");
	if (!np) {
		fprintf(f, "No profile was compared.\n\n");
		return;
	}
	for (size_t p = 0; p < np; p++) {
		size_t total_gaps = 0;
		fprintf(f, "- **%s**:", prof[p]);
		json_array_foreach (abis, a, abi) {
			size_t count[5] = {0};
			char l[64];
			json_array_foreach (rows, i, row) {
				if (strcmp(rs(row, "profile"), prof[p]) != 0 ||
				    !same_abi(json_object_get(row, "abi"), abi))
					continue;
				for (size_t k = 0; k < 5; k++)
					if (strcmp(rs(row, "status"), kinds[k]) == 0)
						count[k]++;
			}
			total_gaps += count[0];
			report_abi_label(abi, true, l, sizeof(l));
			fprintf(f, "%s %s: ", a ? ";" : "", l);
			if (count[0]) {
				size_t shown = 0;
				fprintf(f, "%zu open (", count[0]);
				json_array_foreach (rows, i, row) {
					if (strcmp(rs(row, "profile"), prof[p]) != 0 ||
					    strcmp(rs(row, "status"), "GAP") != 0 ||
					    !same_abi(json_object_get(row, "abi"), abi))
						continue;
					fprintf(f, "%s%s", shown++ ? ", " : "", rs(row, "attack"));
				}
				fprintf(f, ")");
			} else {
				fprintf(f, "nothing open");
			}
			fprintf(f, ", %zu PARITY, %zu REVERSE, %zu BOTH-ESCAPE, %zu N/A", count[1],
				count[2], count[3], count[4]);
		}
		fprintf(f, total_gaps
			       ? ". Why each is open: its entry under Gaps.\n"
			       : ". Parity or better with namespace on every attack compared.\n");
	}
	fprintf(f, "\n");
}

/* What the expectations say of one gap's cells, grouped by outcome and
 * deciding entry: the ABIs of an attack can be judged by different entries
 * (tcp-before-abi4 below ABI 4, an erratum's entry above), and one ABI's
 * regression must not hide behind another's match. One group prints as
 * before; several each name their ABIs. */
static void gap_expectations(json_t *r, json_t *rows, json_t *row, FILE *f)
{
	json_t *keys = json_array(), *o, *k;
	size_t j, g;

	json_array_foreach (rows, j, o) {
		json_t *exp;
		char key[512];
		if (strcmp(rs(o, "status"), "GAP") != 0 ||
		    strcmp(rs(o, "attack"), rs(row, "attack")) != 0 ||
		    strcmp(rs(o, "profile"), rs(row, "profile")) != 0)
			continue;
		exp = json_object_get(cell_by_id(r, rs(o, "profile_cell")), "expectation");
		snprintf(key, sizeof(key), "%s\x1f%s\x1f%s\x1f%s", rs(exp, "outcome"),
			 rs(exp, "set"), rs(exp, "entry"), rs(exp, "expected"));
		json_array_foreach (keys, g, k)
			if (strcmp(rs(k, "key"), key) == 0)
				break;
		if (g == json_array_size(keys))
			json_array_append_new(keys, json_pack("{s:s,s:O,s:[]}", "key", key, "exp",
							      exp ? exp : json_null(), "abis"));
		json_array_append(json_object_get(json_array_get(keys, g), "abis"),
				  json_object_get(o, "abi"));
	}
	json_array_foreach (keys, g, k) {
		json_t *exp = json_object_get(k, "exp"), *abi;
		const char *outcome = rs(exp, "outcome");
		size_t a;
		fprintf(f, "- ");
		if (json_array_size(keys) > 1) {
			fprintf(f, "At");
			json_array_foreach (json_object_get(k, "abis"), a, abi) {
				char l[64];
				report_abi_label(abi, true, l, sizeof(l));
				fprintf(f, "%s %s", a ? ";" : "", l);
			}
			fprintf(f, ": ");
		}
		if (strcmp(outcome, "match") == 0) {
			fprintf(f, "Expected (%s/%s): ", rs(exp, "set"), rs(exp, "entry"));
			md_text(f, rs(exp, "rationale"));
			fprintf(f, " Reference: ");
			md_text(f, rs(exp, "reference"));
			fprintf(f, "\n");
		} else if (strcmp(outcome, "regression") == 0) {
			fprintf(f, "**Not expected: a regression** (expected %s by %s/%s).\n",
				rs(exp, "expected"), rs(exp, "set"), rs(exp, "entry"));
		} else if (*rs(exp, "entry")) {
			fprintf(f, "Outcome **%s** against %s/%s (expected %s).\n", outcome,
				rs(exp, "set"), rs(exp, "entry"), rs(exp, "expected"));
		} else {
			fprintf(f, "No expectation covers it.\n");
		}
	}
	json_decref(keys);
}

static void gaps(json_t *r, FILE *f)
{
	json_t *rows = json_object_get(r, "parity"), *row, *o;
	size_t i, j, n = 0;

	fprintf(f, "## Gaps: a profile escaped where namespace was contained\n\n");
	json_array_foreach (rows, i, row) {
		json_t *first_cell;
		if (strcmp(rs(row, "status"), "GAP") != 0 || seen_before(rows, i, row, "GAP"))
			continue;
		n++;
		first_cell = cell_by_id(r, rs(row, "profile_cell"));
		fprintf(f, "### %s (%s): ", rs(row, "attack"), rs(row, "profile"));
		md_text(f, report_attack_title(r, rs(row, "attack")));
		fprintf(f, "\n\n- Escapes %s at:", rs(row, "profile"));
		json_array_foreach (rows, j, o) {
			char l[64];
			if (strcmp(rs(o, "status"), "GAP") != 0 ||
			    strcmp(rs(o, "attack"), rs(row, "attack")) != 0 ||
			    strcmp(rs(o, "profile"), rs(row, "profile")) != 0)
				continue;
			report_abi_label(json_object_get(o, "abi"), true, l, sizeof(l));
			fprintf(f, " %s;", l);
		}
		fprintf(f, " namespace was %s there.\n", rs(row, "reference_verdict"));
		gap_expectations(r, rows, row, f);
		fprintf(f, "- Evidence (`%s`):\n", rs(first_cell, "id"));
		evidence(first_cell, f);
		fprintf(f, "- Reproduce:\n");
		json_array_foreach (rows, j, o) {
			json_t *pc;
			if (strcmp(rs(o, "status"), "GAP") != 0 ||
			    strcmp(rs(o, "attack"), rs(row, "attack")) != 0 ||
			    strcmp(rs(o, "profile"), rs(row, "profile")) != 0)
				continue;
			pc = cell_by_id(r, rs(o, "profile_cell"));
			if (pc)
				fprintf(f, "  - `%s`\n", rs(pc, "reproduce"));
		}
		{
			json_t *rc = cell_by_id(r, rs(row, "reference_cell"));
			if (rc)
				fprintf(f, "  - `%s` (the reference)\n", rs(rc, "reproduce"));
		}
		fprintf(f, "\n");
	}
	if (!n)
		fprintf(f, "None.\n\n");
}

static void others(json_t *r, FILE *f)
{
	static const char *const kinds[] = {"REVERSE", "BOTH-ESCAPE", "N/A"};
	json_t *rows = json_object_get(r, "parity"), *row, *o;
	size_t i, j, n = 0;

	fprintf(f, "## Other divergences and rows not compared\n\n");
	for (size_t k = 0; k < 3; k++) {
		json_array_foreach (rows, i, row) {
			if (strcmp(rs(row, "status"), kinds[k]) != 0 ||
			    seen_before(rows, i, row, kinds[k]))
				continue;
			n++;
			size_t shown = 0;
			fprintf(f, "- %s %s (%s) at", rs(row, "attack"), kinds[k],
				rs(row, "profile"));
			json_array_foreach (rows, j, o) {
				char l[64];
				if (strcmp(rs(o, "status"), kinds[k]) != 0 ||
				    strcmp(rs(o, "attack"), rs(row, "attack")) != 0 ||
				    strcmp(rs(o, "profile"), rs(row, "profile")) != 0)
					continue;
				report_abi_label(json_object_get(o, "abi"), false, l, sizeof(l));
				fprintf(f, "%s %s", shown++ ? ";" : "", l);
				if (k == 2)
					fprintf(f, " (%s)", rs(o, "na_reason"));
			}
			if (k < 2) {
				json_t *rc = cell_by_id(r, rs(row, "reference_cell"));
				fprintf(f, ". Namespace escaped: ");
				md_text(f, rs(rc, "reason"));
			}
			fprintf(f, "\n");
		}
	}
	if (!n)
		fprintf(f, "None.\n");
	fprintf(f, "\n");
}

void report_parity_md(json_t *r, FILE *f)
{
	char kernel[256];
	json_t *abis = json_object_get(json_object_get(r, "run"), "abis"), *abi;
	size_t i;

	report_kernel_line(r, kernel, sizeof(kernel));
	fprintf(f,
		"# Platform mode vs namespace mode: parity, measured\n\n"
		"- Kernel: %s\n- Landlock ABIs:",
		kernel);
	json_array_foreach (abis, i, abi) {
		char l[64];
		report_abi_label(abi, true, l, sizeof(l));
		fprintf(f, "%s %s", i ? "," : "", l);
	}
	fprintf(f, "\n- Verdicts come from independent witnesses (packet capture, sinks, DNS "
		   "sink, victims), never from the attack's own claim; matrix.md has every "
		   "cell.\n\n");
	claims(r, f);
	open_per_profile(r, f);
	gaps(r, f);
	others(r, f);
}
