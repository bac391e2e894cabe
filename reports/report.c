/* report.c - write every report of a results document into a folder
 * (reports.h). Each file is written next to its final name and renamed, so
 * a reader never sees half a report. */
#include "reports.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonutil.h"
#include "util.h"

static int write_one(json_t *r, const char *dir, const char *name, void (*fn)(json_t *, FILE *),
		     struct perr *e)
{
	char path[4200], tmp[4300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!fn) {
		if (json_write_path(r, tmp, e) < 0)
			return -1;
	} else {
		f = fopen(tmp, "we");
		if (!f)
			return perr_sys(e, errno, "write %s", tmp);
		fn(r, f);
		if (ferror(f) || fclose(f) != 0) {
			unlink(tmp);
			return perr_sys(e, errno ? errno : EIO, "write %s", tmp);
		}
	}
	if (rename(tmp, path) < 0)
		return perr_sys(e, errno, "rename %s", tmp);
	return 0;
}

int report_write_all(json_t *results, const char *dir, struct perr *e)
{
	if (util_mkdir_p(dir, e) < 0)
		return -1;
	if (write_one(results, dir, "results.json", NULL, e) < 0 ||
	    write_one(results, dir, "matrix.md", report_matrix_md, e) < 0 ||
	    write_one(results, dir, "parity.md", report_parity_md, e) < 0 ||
	    write_one(results, dir, "matrix.html", report_html, e) < 0 ||
	    write_one(results, dir, "junit.xml", report_junit, e) < 0)
		return -1;
	return 0;
}
