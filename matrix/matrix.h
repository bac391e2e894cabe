/* matrix.h - the parity matrix: every attack x profile x Landlock ABI, each
 * cell judged in a fresh lab (cell.h), in parallel worker processes.
 *
 *   plan      attacks (globs on ids) x profiles (profile_shipped or a list of
 *             names/files) x ABIs (the kernel's own + emulated caps 0, 3, 4,
 *             6 below it), in canonical order; `--shard K/N` keeps the K-th of
 *             N contiguous blocks of that order
 *   controls  the `none` profile applies no Landlock: it runs once per attack
 *             that a kept cell needs, and every cell of that attack shares it
 *   N/A       an attack whose preconditions the probe (run once) says are
 *             missing runs nothing: its cells and control are N/A
 *   workers   --jobs N forked processes; each runs one job at a time and
 *             sends back its cell as one JSON line; the parent only
 *             schedules, watches deadlines and collects
 *
 * The result is a results document (results.h) with "run", "probe",
 * "cells", "timing" and "expectations.sets"; matrix_run() finishes it.
 */
#ifndef PARITY_MATRIX_H
#define PARITY_MATRIX_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "attack.h"
#include "err.h"
#include "probe.h"
#include "profile.h"

#define MATRIX_MAX_ABIS 16
#define MATRIX_MAX_PROFILES 16
#define MATRIX_MAX_EXPECT 16
#define MATRIX_DEFAULT_OUT "reports/latest"

struct matrix_opts {
	const char *profiles; /* comma list of names or files; NULL: profile_shipped */
	const char *abis;     /* "7,3", "kernel", "all"; NULL: kernel + 0,3,4,6 below it */
	const char *attacks;  /* comma list of globs on ids; NULL: all */
	unsigned jobs;	      /* 0: the number of CPUs */
	const char *out_dir;  /* evidence/ is written there during the run */
	const char *expect[MATRIX_MAX_EXPECT]; /* files; none given: the shipped set */
	size_t nexpect;
	bool no_expect;		   /* --expect none */
	unsigned shard_k, shard_n; /* 1-based; 0/0: no sharding */
	double max_inconclusive;   /* fraction; < 0: the default */
	FILE *progress;		   /* NULL: silent */
	bool progress_tty;	   /* one updating line instead of one per stage */
	const char *command_line;  /* recorded in run metadata */
};

/* One Landlock ABI column: the cap requested; `kernel` for the kernel's own. */
struct matrix_abi {
	int cap;
	bool kernel;
};

struct matrix_cell {
	size_t attack, profile, abi; /* indexes into the plan */
};

struct matrix_plan {
	const struct probe *probe;
	int kernel_abi; /* 0 when Landlock is not enabled */
	struct profile *profiles;
	size_t nprofiles;
	long control; /* index of `none` in profiles, or -1 (then `own_control`) */
	struct profile *own_control;
	const struct attack **attacks;
	size_t nattacks;
	struct matrix_abi abis[MATRIX_MAX_ABIS];
	size_t nabis;
	struct matrix_cell *cells; /* the kept (sharded) non-control cells */
	size_t ncells;
	size_t planned;		/* non-control cells before sharding */
	bool *needs_control;	/* per attack */
	char (*na_reason)[512]; /* per attack: "" when the preconditions hold */
	unsigned shard_k, shard_n;
};

/* Parse a --shard value "K/N". */
int matrix_shard_parse(const char *s, unsigned *k, unsigned *n, struct perr *e);
/* The [lo, hi) block of `total` items that shard k of n keeps: contiguous,
 * sizes differing by at most one, together covering everything once. */
void matrix_shard_range(size_t total, unsigned k, unsigned n, size_t *lo, size_t *hi);
/* Parse --landlock-abi against the kernel's ABI. */
int matrix_abis_parse(const char *s, int kernel_abi, struct matrix_abi *out, size_t *n,
		      struct perr *e);

int matrix_plan_build(const struct matrix_opts *o, const struct probe *p, struct matrix_plan *pl,
		      struct perr *e);
void matrix_plan_free(struct matrix_plan *pl);
const struct profile *matrix_control_profile(const struct matrix_plan *pl);
int matrix_effective_abi(const struct matrix_plan *pl, const struct matrix_abi *a);

/* Run the plan; returns the finished results document. */
int matrix_run(const struct matrix_opts *o, json_t **results, struct perr *e);

/* ---- jobs (matrix_job.c): what a worker runs ---- */

/* The control of attack `ai`: returns {"cell": {...}, "outcome": {...}};
 * "outcome" is what the attack's cells need of it (matrix_outcome_from_json). */
json_t *matrix_job_control(const struct matrix_plan *pl, size_t ai, const char *evidence_dir);
/* One cell, judged against the control's outcome (NULL: none ran). */
json_t *matrix_job_cell(const struct matrix_plan *pl, const struct matrix_cell *c,
			json_t *control_outcome, const char *evidence_dir);
/* A cell that could not run (N/A, or a worker that died), in the same shape. */
json_t *matrix_cell_unrun(const struct matrix_plan *pl, size_t ai, long pi, long abi,
			  const char *verdict, const char *reason);

/* The reproduce command of a cell. */
void matrix_reproduce(const struct matrix_plan *pl, size_t ai, long pi, long abi, char *buf,
		      size_t len);

/* ---- the worker pool (matrix_pool.c) ---- */
struct matrix_progress;
int matrix_pool_run(const struct matrix_plan *pl, unsigned jobs, const char *evidence_dir,
		    json_t *cells, json_t *infra_failures, struct matrix_progress *prog,
		    struct perr *e);

/* ---- progress (matrix_progress.c) ---- */
struct matrix_progress *matrix_progress_new(FILE *f, bool tty, size_t total);
void matrix_progress_stage(struct matrix_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void matrix_progress_done(struct matrix_progress *p, bool escaped);
void matrix_progress_tick(struct matrix_progress *p);
void matrix_progress_end(struct matrix_progress *p);

#endif
