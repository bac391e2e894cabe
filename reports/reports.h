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

#endif
