/* report_junit.c - junit.xml: one testsuite per family, one testcase per
 * cell. A cell worse than expected (its verdict, or its parity row with
 * namespace) is a <failure>; a cell whose lab or worker failed is an
 * <error>; other N/A and INCONCLUSIVE cells are <skipped> (the run's
 * INCONCLUSIVE threshold decides about those, not the test report). */
#include <stdio.h>
#include <string.h>

#include "attack.h"
#include "reports.h"
#include "report_util.h"

static bool regressed(json_t *item)
{
	return item && strcmp(report_outcome(item), "regression") == 0;
}

static bool infra_failed(json_t *cell)
{
	return strcmp(rs(cell, "verdict"), "INCONCLUSIVE") == 0 && *rs(cell, "infra_error");
}

static void testcase(json_t *r, json_t *c, FILE *f)
{
	json_t *x = json_object_get(c, "expectation"), *row = report_row_of_cell(r, c);
	const char *v = rs(c, "verdict");
	json_t *t = json_object_get(c, "timing");
	char name[256];
	const char *slash = strchr(rs(c, "id"), '/');

	snprintf(name, sizeof(name), "%s", slash ? slash + 1 : rs(c, "id"));
	fprintf(f, "    <testcase classname=\"parity.%s.", rs(c, "family"));
	xml_text(f, rs(c, "attack"));
	fprintf(f, "\" name=\"");
	xml_text(f, name);
	fprintf(f, "\" time=\"%.3f\">\n", json_number_value(json_object_get(t, "total_ms")) / 1000);
	if (regressed(c) || regressed(row)) {
		json_t *why = regressed(c) ? x : json_object_get(row, "expectation");
		fprintf(f, "      <failure type=\"regression\" message=\"");
		if (regressed(c))
			fprintf(f, "expected %s, got %s", rs(x, "expected"), v);
		else
			fprintf(f, "expected parity %s with namespace, got %s", rs(why, "expected"),
				rs(row, "status"));
		fprintf(f, "\">");
		xml_text(f, rs(why, "rationale"));
		fprintf(f, " (");
		xml_text(f, rs(why, "set"));
		fprintf(f, "/");
		xml_text(f, rs(why, "entry"));
		fprintf(f, "; ");
		xml_text(f, rs(why, "reference"));
		fprintf(f, ")\nreason: ");
		xml_text(f, rs(c, "reason"));
		fprintf(f, "\nreproduce: ");
		xml_text(f, rs(c, "reproduce"));
		fprintf(f, "</failure>\n");
	} else if (infra_failed(c)) {
		fprintf(f, "      <error type=\"infrastructure\" message=\"");
		xml_text(f, rs(c, "infra_error"));
		fprintf(f, "\"/>\n");
	} else if (strcmp(v, "N/A") == 0 || strcmp(v, "INCONCLUSIVE") == 0) {
		fprintf(f, "      <skipped message=\"%s: ", v);
		xml_text(f, rs(c, "reason"));
		fprintf(f, "\"/>\n");
	}
	fprintf(f, "      <system-out>verdict: %s\nreason: ", v);
	xml_text(f, rs(c, "reason"));
	fprintf(f, "\nexpectation: %s", report_outcome(c));
	if (*rs(x, "expected"))
		fprintf(f, " (expected %s)", rs(x, "expected"));
	if (row)
		fprintf(f, "\nparity with namespace: %s", rs(row, "status"));
	fprintf(f, "\nreproduce: ");
	xml_text(f, rs(c, "reproduce"));
	if (*rs(c, "pcap")) {
		fprintf(f, "\ncapture: ");
		xml_text(f, rs(c, "pcap"));
	}
	fprintf(f, "</system-out>\n    </testcase>\n");
}

struct counts {
	size_t tests, failures, errors, skipped;
	double ms;
};

static void count_cells(json_t *r, const char *family, struct counts *n)
{
	json_t *c;
	size_t i;

	memset(n, 0, sizeof(*n));
	json_array_foreach (json_object_get(r, "cells"), i, c) {
		const char *v = rs(c, "verdict");
		if (family && strcmp(rs(c, "family"), family) != 0)
			continue;
		n->tests++;
		n->ms +=
		    json_number_value(json_object_get(json_object_get(c, "timing"), "total_ms"));
		if (regressed(c) || regressed(report_row_of_cell(r, c)))
			n->failures++;
		else if (infra_failed(c))
			n->errors++;
		else if (!strcmp(v, "N/A") || !strcmp(v, "INCONCLUSIVE"))
			n->skipped++;
	}
}

void report_junit(json_t *r, FILE *f)
{
	struct counts n;
	json_t *c;
	size_t i;

	count_cells(r, NULL, &n);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f,
		"<testsuites name=\"parity matrix\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"skipped=\"%zu\" time=\"%.3f\">\n",
		n.tests, n.failures, n.errors, n.skipped, n.ms / 1000);
	for (int fam = 0; fam < FAM_COUNT; fam++) {
		const char *name = attack_family_name((enum attack_family)fam);
		count_cells(r, name, &n);
		if (!n.tests)
			continue;
		fprintf(f,
			"  <testsuite name=\"parity.%s\" tests=\"%zu\" failures=\"%zu\" "
			"errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
			name, n.tests, n.failures, n.errors, n.skipped, n.ms / 1000);
		json_array_foreach (json_object_get(r, "cells"), i, c) {
			if (strcmp(rs(c, "family"), name) == 0)
				testcase(r, c, f);
		}
		fprintf(f, "  </testsuite>\n");
	}
	fprintf(f, "</testsuites>\n");
}
