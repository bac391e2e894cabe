/* report_stage.c - see report_stage.h. */
#include "report_stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonutil.h"
#include "util.h"

static int stage_add(struct report_stage *s, const char *dir, const char *name, struct perr *e)
{
	char *path = NULL, *tmp = NULL;

	if (s->n >= REPORT_STAGE_MAX)
		return perr_set(e, "%s/%s: more than %d reports staged", dir, name,
				REPORT_STAGE_MAX);
	if (asprintf(&path, "%s/%s", dir, name) < 0 || asprintf(&tmp, "%s/%s.tmp", dir, name) < 0) {
		free(path);
		return perr_sys(e, ENOMEM, "%s/%s", dir, name);
	}
	/* The same file twice would be renamed once, then fail: a caller's
	 * mistake, named before anything is written. */
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->path[i], path) == 0) {
			free(path);
			free(tmp);
			return perr_set(e, "%s/%s: staged twice", dir, name);
		}
	s->path[s->n] = path;
	s->tmp[s->n] = tmp;
	s->n++;
	return 0;
}

/* The last one staged could not be written: forget it (its .tmp is
 * removed by the caller, or was never made). */
static void stage_drop_last(struct report_stage *s)
{
	s->n--;
	unlink(s->tmp[s->n]);
	free(s->path[s->n]);
	free(s->tmp[s->n]);
}

FILE *report_stage_open(struct report_stage *s, const char *dir, const char *name, struct perr *e)
{
	FILE *f;
	int fd;

	if (stage_add(s, dir, name, e) < 0)
		return NULL;
	/* Not fopen: a .tmp left behind, or a symbolic link planted under
	 * that name, would be written through. */
	fd = util_open_new(s->tmp[s->n - 1]);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		if (fd >= 0)
			close(fd);
		perr_sys(e, errno, "write %s", s->tmp[s->n - 1]);
		stage_drop_last(s);
	}
	return f;
}

int report_stage_close(struct report_stage *s, FILE *f, struct perr *e)
{
	int err = ferror(f) ? (errno ? errno : EIO) : 0;

	if (fclose(f) != 0 && !err)
		err = errno ? errno : EIO;
	if (!err)
		return 0;
	perr_sys(e, err, "write %s", s->tmp[s->n - 1]);
	stage_drop_last(s);
	return -1;
}

int report_stage_json(struct report_stage *s, const char *dir, const char *name, json_t *doc,
		      struct perr *e)
{
	FILE *f = report_stage_open(s, dir, name, e);

	if (!f)
		return -1;
	if (json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 || fputc('\n', f) == EOF) {
		int err = errno ? errno : EIO;
		fclose(f);
		perr_sys(e, err, "write %s", s->tmp[s->n - 1]);
		stage_drop_last(s);
		return -1;
	}
	return report_stage_close(s, f, e);
}

int report_stage_commit(struct report_stage *s, struct perr *e)
{
	struct stat st;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (lstat(s->path[i], &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
			perr_usage(e, "%s: exists and is not a file: no report was written",
				   s->path[i]);
			report_stage_abort(s);
			return -1;
		}
	for (i = 0; i < s->n; i++)
		if (rename(s->tmp[i], s->path[i]) < 0) {
			perr_sys(e, errno, "rename %s", s->tmp[i]);
			report_stage_abort(s); /* the renamed ones are in place */
			return -1;
		}
	for (i = 0; i < s->n; i++) {
		free(s->path[i]);
		free(s->tmp[i]);
	}
	s->n = 0;
	return 0;
}

void report_stage_abort(struct report_stage *s)
{
	while (s->n)
		stage_drop_last(s);
}
