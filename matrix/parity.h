/* parity.h - parity rows: for each (attack, Landlock ABI), each profile
 * compared with the reference profile `namespace`.
 *
 *   PARITY       both contained (BLOCKED or KILLED)
 *   GAP          the profile ESCAPED where namespace was contained
 *   REVERSE      namespace ESCAPED, the profile was contained
 *   BOTH-ESCAPE  both ESCAPED
 *   N/A          either cell is N/A or INCONCLUSIVE (the row says which)
 *
 * Rows are computed from the cells of results.json (matrix/results.h), so a
 * merge of shards computes the same rows as the unsharded run.
 */
#ifndef PARITY_PARITY_H
#define PARITY_PARITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "verdict.h"

#define PARITY_REFERENCE_PROFILE "namespace"
#define PARITY_CONTROL_PROFILE "none"

enum parity_status { PS_PARITY, PS_GAP, PS_REVERSE, PS_BOTH_ESCAPE, PS_NA };

const char *parity_status_name(enum parity_status s); /* "BOTH-ESCAPE" */
int parity_status_parse(const char *s, enum parity_status *out);

/* BLOCKED or KILLED. */
bool verdict_contained(enum verdict v);

/* The status of one row from the two verdicts; for N/A, `why` says which
 * side was N/A or INCONCLUSIVE ("namespace N/A, platform INCONCLUSIVE"). */
enum parity_status parity_of(enum verdict reference, enum verdict profile, const char *profile_name,
			     char *why, size_t len);

/* The rows for the cells of a results document: for every attack, every
 * requested ABI and every profile that is neither the control nor the
 * reference, when both cells exist, in the cells' order. Returns a new array
 * (see docs/schema/results.schema.json, "parity"). */
json_t *parity_rows(json_t *cells);

#endif
