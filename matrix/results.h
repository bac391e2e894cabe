/* results.h - the results document of a matrix run (results.json, schema
 * "parity.results/1", docs/schema/results.schema.json).
 *
 * The document is the one model everything works on: the runner fills
 * "run", "probe", "cells" and "expectations.sets"; results_finish() derives
 * the rest (parity rows, expectation outcomes, summary and exit code); the
 * report writers only read it. `parity report render` and `merge` start
 * from files, so a run, a re-render and a merge of shards agree.
 */
#ifndef PARITY_RESULTS_H
#define PARITY_RESULTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define RESULTS_SCHEMA "parity.results/1"
#define RESULTS_INCONCLUSIVE_THRESHOLD 0.10

/* Load and check the schema tag and the shape the writers rely on. */
int results_load(const char *path, json_t **out, struct perr *e);

/* A cell's "pcap" as a results document may name it: "evidence/NAME.pcapng",
 * NAME of letters, digits, '.', '_', '-' (no path, no leading dot). */
bool results_pcap_name_ok(const char *rel);

/* Recompute "parity", the expectation outcomes, "summary" (with the exit
 * code). Idempotent. */
int results_finish(json_t *r, struct perr *e);

/* The exit code results_finish() decided: 0 nothing worse than expected,
 * 1 a regression, 3 infrastructure failure or too many INCONCLUSIVE cells. */
int results_exit_code(json_t *r);

/* Merge the results of the shards of one run (same attacks, profiles, ABIs,
 * kernel and expectations; every shard 1..N once). `names` label the parts
 * in errors (their directories). */
int results_merge(json_t *const *parts, const char *const *names, size_t n, json_t **out,
		  struct perr *e);

/* Canonical order of cells: attack (run.attacks), then profile
 * (run.profiles, the control first), then ABI (run.abis). */
void results_sort_cells(json_t *r);

/* A file name for a cell's evidence: "T06.sendto/platform/abi7" ->
 * "T06.sendto_platform_abi7". */
void results_cell_file_name(const char *cell_id, char *buf, size_t len);

#endif
