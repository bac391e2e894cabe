/* report.c - write every report of a results document into a folder
 * (reports.h). Each file is written next to its final name and renamed, all
 * or nothing (report_stage.h), so a reader never sees half a report. */
#include "reports.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonutil.h"
#include "report_stage.h"
#include "util.h"

struct report_file {
	const char *name;
	void (*fn)(json_t *, FILE *); /* NULL: the results document itself */
};

static const struct report_file report_files[] = {
    {"results.json", NULL},	  {"matrix.md", report_matrix_md}, {"parity.md", report_parity_md},
    {"matrix.html", report_html}, {"junit.xml", report_junit},
};

/* All or nothing (report_stage.h): a name taken by a directory used to
 * fail after results.json and matrix.md had been replaced. */
int report_write_all(json_t *results, const char *dir, struct perr *e)
{
	struct report_stage st = {0};

	if (util_mkdir_p(dir, e) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(report_files) / sizeof(report_files[0]); i++) {
		const struct report_file *rf = &report_files[i];
		FILE *f;
		int rc;

		if (!rf->fn) {
			rc = report_stage_json(&st, dir, rf->name, results, e);
		} else if (!(f = report_stage_open(&st, dir, rf->name, e))) {
			rc = -1;
		} else {
			rf->fn(results, f);
			rc = report_stage_close(&st, f, e);
		}
		if (rc < 0) {
			report_stage_abort(&st);
			return -1;
		}
	}
	return report_stage_commit(&st, e);
}
