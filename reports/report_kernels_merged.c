/* report_kernels_merged.c - the merged folder (`--merged DIR`): cells.tsv
 * and junit.xml over every kernel, each kernel's cells from its results.json
 * under its column of the kernel-compat.json model (report_kernels.c). */
#include <stdio.h>
#include <string.h>

#include "report_kernels_int.h"
#include "report_util.h"
#include "reports.h"

static void tsv_field(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\t' || *s == '\n' ? ' ' : *s, f);
}

void report_compat_tsv(json_t *doc, json_t *const *results, FILE *f)
{
	json_t *k, *c;
	size_t i, j;
	fprintf(f, "kernel\tkernel_release\tcell\tattack\tfamily\tprofile\tabi\tverdict\t"
		   "expectation\texpected\tentry\n");
	json_array_foreach (json_object_get(doc, "kernels"), i, k) {
		json_array_foreach (json_object_get(results[i], "cells"), j, c) {
			json_t *x = json_object_get(c, "expectation");
			json_t *abi = json_object_get(json_object_get(c, "abi"), "effective");
			const char *cols[] = {compat_kernel_name(k), rs(k, "kernel_release"),
					      rs(c, "id"),	     rs(c, "attack"),
					      rs(c, "family"),	     rs(c, "profile")};
			for (size_t n = 0; n < 6; n++) {
				tsv_field(f, cols[n]);
				fputc('\t', f);
			}
			if (json_is_integer(abi))
				fprintf(f, "%lld", (long long)json_integer_value(abi));
			fprintf(f, "\t%s\t%s\t%s\t%s\n", rs(c, "verdict"), report_outcome(c),
				rs(x, "expected"), rs(x, "entry"));
		}
	}
}

void report_compat_junit(json_t *doc, json_t *const *results, FILE *f)
{
	json_t *k, *c;
	size_t i, j;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"parity "
		   "kernels\">\n");
	json_array_foreach (json_object_get(doc, "kernels"), i, k) {
		size_t tests = 1, fails = 0, errors = 0, skipped = 0;
		const char *st = rs(k, "state");
		json_array_foreach (json_object_get(results[i], "cells"), j, c) {
			const char *o = report_outcome(c), *v = rs(c, "verdict");
			tests++;
			fails += strcmp(o, "regression") == 0;
			skipped += strcmp(o, "regression") &&
				   (!strcmp(v, "N/A") || !strcmp(v, "INCONCLUSIVE"));
		}
		if (strcmp(st, "PASS") && strcmp(st, "FAIL"))
			errors++;
		else if (strcmp(st, "FAIL") == 0 && fails == 0)
			fails++;
		fprintf(f,
			"  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
			"skipped=\"%zu\">\n    <testcase classname=\"parity.kernel.",
			compat_kernel_name(k), tests, fails, errors, skipped);
		xml_text(f, compat_kernel_name(k));
		fprintf(f, "\" name=\"kernel\">");
		if (strcmp(st, "PASS") && strcmp(st, "FAIL")) {
			fprintf(f, "<error type=\"%s\" message=\"", st);
			xml_text(f, rs(k, "why"));
			fprintf(f, "\"/>");
		} else if (strcmp(st, "FAIL") == 0) {
			fprintf(f, "<failure type=\"FAIL\" message=\"");
			xml_text(f, rs(k, "why"));
			fprintf(f, "\"/>");
		}
		fprintf(f, "</testcase>\n");
		json_array_foreach (json_object_get(results[i], "cells"), j, c) {
			const char *o = report_outcome(c), *v = rs(c, "verdict");
			json_t *x = json_object_get(c, "expectation");
			fprintf(f, "    <testcase classname=\"parity.");
			xml_text(f, compat_kernel_name(k));
			fprintf(f, ".%s\" name=\"", rs(c, "family"));
			xml_text(f, rs(c, "id"));
			fprintf(f, "\">");
			if (strcmp(o, "regression") == 0) {
				fprintf(
				    f,
				    "<failure type=\"regression\" message=\"expected %s, got %s "
				    "(",
				    rs(x, "expected"), v);
				xml_text(f, rs(x, "entry"));
				fprintf(f, ")\">");
				xml_text(f, rs(c, "reason"));
				fprintf(f, "</failure>");
			} else if (!strcmp(v, "N/A") || !strcmp(v, "INCONCLUSIVE")) {
				fprintf(f, "<skipped message=\"%s: ", v);
				xml_text(f, rs(c, "reason"));
				fprintf(f, "\"/>");
			}
			fprintf(f, "</testcase>\n");
		}
		fprintf(f, "  </testsuite>\n");
	}
	fprintf(f, "</testsuites>\n");
}
