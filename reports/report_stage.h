/* report_stage.h - a folder's reports written all or nothing.
 *
 * Each report goes to NAME.tmp next to its name first; when all are
 * written, every final name is checked (absent, a file, or a symlink)
 * before the first rename. A name taken by a directory used to fail after
 * the reports before it had been replaced: a folder holding two runs'
 * reports. A failure leaves no NAME.tmp behind. What this cannot cover: a
 * rename failing after others succeeded (a directory made in between, a
 * full or read-only file system), which leaves the renamed ones in place
 * and says which failed.
 *
 *   report_stage_open     DIR/NAME.tmp for writing (NULL with e)
 *   report_stage_close    close it, checking the writes (-1 with e)
 *   report_stage_json     a JSON document as DIR/NAME.tmp
 *   report_stage_commit   check every name, then rename each (-1 with e)
 *   report_stage_abort    remove what was staged
 */
#ifndef PARITY_REPORT_STAGE_H
#define PARITY_REPORT_STAGE_H

#include <jansson.h>
#include <stdio.h>

#include "err.h"

#define REPORT_STAGE_MAX 8

struct report_stage {
	size_t n;
	char *path[REPORT_STAGE_MAX], *tmp[REPORT_STAGE_MAX];
};

FILE *report_stage_open(struct report_stage *s, const char *dir, const char *name, struct perr *e);
int report_stage_close(struct report_stage *s, FILE *f, struct perr *e);
int report_stage_json(struct report_stage *s, const char *dir, const char *name, json_t *doc,
		      struct perr *e);
/* Commit or abort frees the stage; both may be called on an empty one. */
int report_stage_commit(struct report_stage *s, struct perr *e);
void report_stage_abort(struct report_stage *s);

#endif
