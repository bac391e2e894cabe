/* reports.h - the writers: everything in an output folder comes from one
 * results document (matrix/results.h), so `parity report render` on a
 * stored results.json reproduces a run's reports exactly.
 *
 *   results.json   the document itself
 *   matrix.md      families as row groups, profile x ABI columns, legend,
 *                  parity per profile, expectation outcomes
 *   parity.md      the PR's parity table with each claim measured per ABI,
 *                  then every gap with its evidence and reproduce commands
 *   matrix.html    self-contained (inline CSS/JS, no network): colour-coded
 *                  cells, a detail view per cell
 *   junit.xml      one testcase per cell; worse than expected = failure
 */
#ifndef PARITY_REPORTS_H
#define PARITY_REPORTS_H

#include <jansson.h>
#include <stdio.h>

#include "err.h"

/* Write every report into dir (made if missing). */
int report_write_all(json_t *results, const char *dir, struct perr *e);

void report_matrix_md(json_t *r, FILE *f);
void report_parity_md(json_t *r, FILE *f);
void report_html(json_t *r, FILE *f);
void report_junit(json_t *r, FILE *f);

/* The end-of-run text: counts, speed, time split, regressions with their
 * rationale and reproduce command, improvements, the exit code. */
void report_summary(json_t *r, const char *dir, FILE *f);

/* The kernel compatibility report (report_kernels*.c): one column per kernel
 * from the results folders of one matrix per kernel (`parity vm run`, the
 * host's own run). Each folder holds results.json and/or kernel.json (its
 * name, state and why, written by vmtests/matrix.sh); one without
 * results.json (an INCONCLUSIVE kernel) still gets its column. */
json_t *report_compat_build(json_t *const *infos, json_t *const *results, const char *const *dirs,
			    size_t n);
void report_compat_md(json_t *compat, FILE *f);
/* Every kernel's cells in one table, and in one junit.xml. */
void report_compat_tsv(json_t *compat, json_t *const *results, FILE *f);
void report_compat_junit(json_t *compat, json_t *const *results, FILE *f);
/* kernel-compat.json and .md into out; with merged, also there, with
 * cells.tsv and junit.xml. */
int report_compat_write(const char *const *dirs, size_t n, const char *out, const char *merged,
			struct perr *e);

#endif
