/* verdict.h - from what the witnesses saw to a verdict (DESIGN.md §4).
 *
 *   ESCAPED       a witness saw the marker, a direct flow, a signal, a
 *                 connection at a victim, or a dead supervisor/proxy
 *   BLOCKED       nothing seen, preconditions held, the program ran to its
 *                 end, and the positive control (profile none) escaped
 *   KILLED        nothing seen and the program died of a signal (SIGSYS...):
 *                 contained, but not the same thing as blocked
 *   N/A           a precondition is missing (the reason is named)
 *   INCONCLUSIVE  the control did not escape, a witness or the lab failed,
 *                 or the program timed out
 *
 * The program's own claim is diagnostic: it never changes the verdict, but a
 * disagreement between claim and witnesses is reported.
 */
#ifndef PARITY_VERDICT_H
#define PARITY_VERDICT_H

#include <stdbool.h>

#include "lab.h"

enum verdict { V_BLOCKED, V_ESCAPED, V_KILLED, V_NA, V_INCONCLUSIVE };

struct judgement {
	enum verdict verdict;
	char reason[768];
	int signal;		/* V_KILLED */
	char claim[24];		/* "escaped", "blocked", "unsure", "none" */
	char disagreement[256]; /* "" when claim and witnesses agree */
};

const char *verdict_name(enum verdict v); /* "BLOCKED", "N/A", ... */
int verdict_parse(const char *s, enum verdict *v);

/* The program's claim from its output: a transcript line {"claim":"X"},
 * a line "@parity claim X", or a line that is just "blocked"/"escaped". */
const char *verdict_claim_of(const char *out);

/* control: the same program under `none` in a fresh lab; NULL when no
 * control was run (then BLOCKED is impossible: INCONCLUSIVE). */
void verdict_judge(const struct lab_outcome *run, const struct lab_outcome *control,
		   struct judgement *j);
/* A cell whose precondition is missing. */
void verdict_na(struct judgement *j, const char *reason);

#endif
