/* report_summary.c - what `parity matrix` and `parity report merge` print
 * when they finish: counts, speed and time split, parity, each regression
 * with its rationale and reproduce command, improvements, the exit code. */
#include <stdio.h>
#include <string.h>

#include "reports.h"
#include "report_util.h"

static void listing(json_t *x, const char *key, const char *title, FILE *f)
{
	json_t *l = json_object_get(x, key), *it;
	size_t i;

	if (!json_array_size(l))
		return;
	fprintf(f, "%s:\n", title);
	json_array_foreach (l, i, it) {
		fprintf(f, "  %s: expected %s, got %s (%s/%s)\n    why expected: %s\n",
			rs(it, "id"), rs(it, "expected"), rs(it, "got"), rs(it, "set"),
			rs(it, "entry"), rs(it, "rationale"));
		if (*rs(it, "reason"))
			fprintf(f, "    measured: %.300s\n", rs(it, "reason"));
		if (*rs(it, "reproduce"))
			fprintf(f, "    reproduce: %s\n", rs(it, "reproduce"));
	}
}

void report_summary(json_t *r, const char *dir, FILE *f)
{
	json_t *sum = json_object_get(r, "summary"), *t = json_object_get(r, "timing");
	json_t *by = json_object_get(sum, "by_verdict"), *ps = json_object_get(sum, "parity");
	json_t *per = json_object_get(t, "per_lab_ms"), *x = json_object_get(r, "expectations");
	json_t *infra = json_object_get(json_object_get(r, "run"), "infra_failures"), *it;
	size_t i, pcaps = 0;

	json_array_foreach (json_object_get(r, "cells"), i, it)
		pcaps += *rs(it, "pcap") != 0;
	fprintf(f, "%lld cells (%lld controls, %lld labs) in %.1f s: %.1f cells/s, %.1f labs/s\n",
		ri(sum, "cells"), ri(sum, "controls"), ri(t, "labs"),
		json_number_value(json_object_get(t, "wall_ms")) / 1000,
		json_number_value(json_object_get(t, "cells_per_s")),
		json_number_value(json_object_get(t, "labs_per_s")));
	if (per)
		fprintf(f,
			"  per lab (ms): lab %.1f, pod %.1f, enforcer %.1f, attack %.1f, "
			"judgement %.1f\n",
			json_number_value(json_object_get(per, "lab_ms")),
			json_number_value(json_object_get(per, "pod_ms")),
			json_number_value(json_object_get(per, "enforcer_ms")),
			json_number_value(json_object_get(per, "attack_ms")),
			json_number_value(json_object_get(per, "judge_ms")));
	fprintf(f,
		"  verdicts: %lld BLOCKED, %lld KILLED, %lld ESCAPED, %lld N/A, %lld "
		"INCONCLUSIVE\n",
		ri(by, "BLOCKED"), ri(by, "KILLED"), ri(by, "ESCAPED"), ri(by, "N/A"),
		ri(by, "INCONCLUSIVE"));
	fprintf(f,
		"  parity with namespace: %lld PARITY, %lld GAP, %lld REVERSE, %lld BOTH-ESCAPE, "
		"%lld N/A\n",
		ri(ps, "PARITY"), ri(ps, "GAP"), ri(ps, "REVERSE"), ri(ps, "BOTH-ESCAPE"),
		ri(ps, "N/A"));
	listing(x, "regressions", "WORSE THAN EXPECTED (regressions)", f);
	listing(x, "improvements", "better than expected (not failing)", f);
	listing(x, "changed", "different from expected (not failing)", f);
	if (json_array_size(infra)) {
		fprintf(f, "infrastructure failures:\n");
		json_array_foreach (infra, i, it)
			fprintf(f, "  %s\n", json_string_value(it));
	}
	if (dir)
		fprintf(f,
			"reports: %s/{results.json,matrix.md,parity.md,matrix.html,junit.xml}, "
			"%zu capture(s) in %s/evidence/\n",
			dir, pcaps, dir);
	fprintf(f, "exit %lld: %s\n", ri(sum, "exit_code"), rs(sum, "exit_reason"));
}
