/* report_junit.c - junit.xml: one testsuite per family, one testcase per
 * cell. A cell worse than expected (its verdict, or its parity row with
 * namespace) is a <failure>; N/A and INCONCLUSIVE cells are <skipped> (the
 * run's INCONCLUSIVE threshold decides about those, not the test report). */
#include <stdio.h>
#include <string.h>

#include "attack.h"
#include "reports.h"
#include "report_util.h"

static json_t *parity_row_of(json_t *r, json_t *cell)
{
	size_t i;
	json_t *row;
	json_array_foreach (json_object_get(r, "parity"), i, row) {
		if (strcmp(rs(row, "profile_cell"), rs(cell, "id")) == 0)
			return row;
	}
	return NULL;
}

static bool regressed(json_t *item)
{
	return item && strcmp(report_outcome(item), "regression") == 0;
}

static void testcase(json_t *r, json_t *c, FILE *f)
{
	json_t *x = json_object_get(c, "expectation"), *row = parity_row_of(r, c);
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

void report_junit(json_t *r, FILE *f)
{
	json_t *cells = json_object_get(r, "cells"), *c;
	json_t *sum = json_object_get(r, "summary");
	size_t i, total = 0, failures = 0, skipped = 0;
	double time = 0;

	json_array_foreach (cells, i, c) {
		const char *v = rs(c, "verdict");
		total++;
		time +=
		    json_number_value(json_object_get(json_object_get(c, "timing"), "total_ms"));
		if (regressed(c) || regressed(parity_row_of(r, c)))
			failures++;
		else if (!strcmp(v, "N/A") || !strcmp(v, "INCONCLUSIVE"))
			skipped++;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f,
		"<testsuites name=\"parity matrix\" tests=\"%zu\" failures=\"%zu\" errors=\"%lld\" "
		"skipped=\"%zu\" time=\"%.3f\">\n",
		total, failures, ri(sum, "infra_failures"), skipped, time / 1000);
	for (int fam = 0; fam < FAM_COUNT; fam++) {
		const char *name = attack_family_name((enum attack_family)fam);
		size_t t = 0, fl = 0, sk = 0;
		double tm = 0;
		json_array_foreach (cells, i, c) {
			const char *v = rs(c, "verdict");
			if (strcmp(rs(c, "family"), name) != 0)
				continue;
			t++;
			tm += json_number_value(
			    json_object_get(json_object_get(c, "timing"), "total_ms"));
			if (regressed(c) || regressed(parity_row_of(r, c)))
				fl++;
			else if (!strcmp(v, "N/A") || !strcmp(v, "INCONCLUSIVE"))
				sk++;
		}
		if (!t)
			continue;
		fprintf(f,
			"  <testsuite name=\"parity.%s\" tests=\"%zu\" failures=\"%zu\" "
			"errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
			name, t, fl, sk, tm / 1000);
		json_array_foreach (cells, i, c) {
			if (strcmp(rs(c, "family"), name) == 0)
				testcase(r, c, f);
		}
		fprintf(f, "  </testsuite>\n");
	}
	fprintf(f, "</testsuites>\n");
}
