/* matrix_progress.c - progress of a matrix run: on a terminal one line that
 * updates in place (cells done of total, escapes so far, rate, ETA); else
 * one line per stage. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "matrix.h"
#include "util.h"

struct matrix_progress {
	FILE *f;
	bool tty;
	size_t total, done, escaped;
	uint64_t t0, last;
	bool line_open;
};

struct matrix_progress *matrix_progress_new(FILE *f, bool tty, size_t total)
{
	struct matrix_progress *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->f = f;
	p->tty = tty;
	p->total = total;
	p->t0 = util_now_ns();
	return p;
}

static void draw(struct matrix_progress *p)
{
	double s = (double)(util_now_ns() - p->t0) / 1e9;
	double rate = s > 0 ? (double)p->done / s : 0;
	double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;

	fprintf(p->f, "\r\033[K[matrix] %zu/%zu cells, %zu escaped, %.1f cells/s, ", p->done,
		p->total, p->escaped, rate);
	if (p->done && p->done < p->total)
		fprintf(p->f, "ETA %d:%02d", (int)eta / 60, (int)eta % 60);
	else
		fprintf(p->f, "%d:%02d elapsed", (int)s / 60, (int)s % 60);
	fflush(p->f);
	p->line_open = true;
	p->last = util_now_ns();
}

void matrix_progress_stage(struct matrix_progress *p, const char *fmt, ...)
{
	va_list ap;
	if (!p || !p->f)
		return;
	if (p->line_open) {
		fputs("\r\033[K", p->f);
		p->line_open = false;
	}
	fputs("matrix: ", p->f);
	va_start(ap, fmt);
	vfprintf(p->f, fmt, ap);
	va_end(ap);
	fputc('\n', p->f);
	if (p->tty)
		draw(p);
	fflush(p->f);
}

void matrix_progress_done(struct matrix_progress *p, bool escaped)
{
	if (!p)
		return;
	p->done++;
	p->escaped += escaped;
	if (p->f && p->tty)
		draw(p);
}

void matrix_progress_tick(struct matrix_progress *p)
{
	if (p && p->f && p->tty && util_now_ns() - p->last > 250000000ull)
		draw(p);
}

void matrix_progress_end(struct matrix_progress *p)
{
	if (!p)
		return;
	if (p->f && p->line_open) {
		draw(p);
		fputc('\n', p->f);
	}
	free(p);
}
