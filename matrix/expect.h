/* expect.h - expectations: what a cell's verdict, or a parity row's status,
 * should be, with the rationale and a reference for each (docs/expectations.md).
 *
 * An expectation set is a data file (matrix/expectations/NAME.json):
 *
 *   {"schema": "parity.expectations/1", "name": "known-gaps",
 *    "description": "...",
 *    "entries": [
 *      {"id": "tcp-below-abi4", "family": "tcp", "profile": "platform",
 *       "abi": "<4", "verdict": "ESCAPED",
 *       "rationale": "Landlock has no network rules before ABI 4",
 *       "reference": "attack-catalog.md §A"},
 *      {"attacks": "T07*", "profile": "platform", "abi": ">=4",
 *       "when": {"errata_fixed": [1]}, "verdict": "ESCAPED", ...}]}
 *
 * An entry selects cells by attack id globs and/or family, profile globs, the
 * cell's effective Landlock ABI, and kernel facts from the probe (`when`).
 * Among the entries that select a cell, the last one wins (later files after
 * earlier ones): put general rules first and exceptions after them.
 *
 * Sets are parsed from files, and again from the copy kept in results.json
 * (so `parity report merge` re-evaluates without the original files). All
 * evaluation works on the JSON of results and of the probe, never on live
 * structures, so a run, a merge and a render agree.
 */
#ifndef PARITY_EXPECT_H
#define PARITY_EXPECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define EXPECT_SCHEMA "parity.expectations/1"

/* What an entry expects. Verdicts are those of verdict.h plus CONTAINED
 * (BLOCKED or KILLED); parity statuses are those of parity.h. */
enum expect_kind { EXPECT_VERDICT, EXPECT_PARITY };

enum expect_verdict {
	EV_BLOCKED,
	EV_KILLED,
	EV_CONTAINED, /* BLOCKED or KILLED */
	EV_ESCAPED,
	EV_NA,
};

/* A closed range of ABI numbers ("any", "4", ">=4", "<6", "3-6"). */
struct expect_range {
	int lo, hi;
	bool any;
};

/* A kernel release ("7.2-rc4", "6.18.44-fc"): numbers and the -rc level
 * (INT_MAX for a final release). */
struct kernel_version {
	int major, minor, patch, rc;
};

enum expect_cmp { CMP_LT, CMP_LE, CMP_EQ, CMP_GE, CMP_GT };

#define EXPECT_MAX_GLOBS 16
#define EXPECT_MAX_FEATURES 8

struct expect_entry {
	char id[96];
	char title[128];
	/* selection */
	char *attacks[EXPECT_MAX_GLOBS]; /* fnmatch globs on attack ids */
	size_t nattacks;
	char *families[EXPECT_MAX_GLOBS]; /* family names (attack_family_name) */
	size_t nfamilies;
	char *profiles[EXPECT_MAX_GLOBS]; /* fnmatch globs on profile names */
	size_t nprofiles;
	struct expect_range abi; /* the cell's effective Landlock ABI */
	/* `when`: facts of the kernel, all must hold */
	bool has_kernel_abi;
	struct expect_range kernel_abi;
	unsigned errata_fixed, errata_unfixed; /* masks: bit (id - 1) */
	bool has_release;
	enum expect_cmp release_cmp;
	struct kernel_version release;
	char release_text[64];
	size_t nfeatures;
	char *feature_path[EXPECT_MAX_FEATURES];  /* "protocols.mptcp" */
	char *feature_state[EXPECT_MAX_FEATURES]; /* "yes" */
	/* expectation */
	enum expect_kind kind;
	int expected; /* enum expect_verdict or enum parity_status */
	char *rationale;
	char *reference; /* several references joined with "; " */
	json_t *src;	 /* the entry as written (kept in results.json) */
};

struct expect_set {
	char name[64];
	char file[512];
	char description[512];
	bool gating; /* false: shown (e.g. the PR's claims), never fails a run */
	struct expect_entry *entries;
	size_t n;
};

/* What the kernel offers, for `when` (from the probe's JSON). */
struct expect_facts {
	int landlock_abi; /* 0 when Landlock is not enabled */
	bool errata_supported;
	unsigned errata;
	char release[65];
	json_t *probe; /* borrowed: features are looked up in it */
};

/* One thing to match: a cell (verdict entries) or a parity row (parity
 * entries, `profile` being the profile compared with namespace). */
struct expect_subject {
	const char *attack;
	const char *family;
	const char *profile;
	int abi; /* effective Landlock ABI; -1: the cell has none (the control) */
};

/* Parse a set from a file; errors name the file and the field. */
int expect_set_load(const char *path, bool gating, struct expect_set *s, struct perr *e);
/* Parse from JSON (text already loaded); `file` names it in errors. */
int expect_set_parse(json_t *root, const char *file, bool gating, struct expect_set *s,
		     struct perr *e);
/* The set as kept in results.json: {name, file, gating, description, entries}. */
json_t *expect_set_json(const struct expect_set *s);
/* Parse that form back (`parity report merge`, `--recompute`): errors name
 * it as field 'expectations.sets[index]' and the file it was kept from. */
int expect_set_from_results(json_t *j, size_t index, struct expect_set *s, struct perr *e);
void expect_set_free(struct expect_set *s);

/* Directory of the shipped sets ($PARITY_EXPECT_DIR, next to the
 * executable, or the source tree), and the default gating set in order. */
const char *expect_dir(void);
extern const char *const expect_default_sets[];
#define EXPECT_CLAIMS_SET "pr-claims"

void expect_facts_from_probe(json_t *probe, struct expect_facts *f);
/* Does entry select the subject on this kernel? (ignores kind) */
bool expect_entry_selects(const struct expect_entry *en, const struct expect_subject *s,
			  const struct expect_facts *f);
/* Parts of that test, to explain unused entries. */
bool expect_entry_attack_matches(const struct expect_entry *en, const char *attack,
				 const char *family);
bool expect_entry_when_holds(const struct expect_entry *en, const struct expect_facts *f);

/* ---- evaluation (expect_eval.c) ---- */

/* How a measured result compares with what was expected. */
enum expect_outcome {
	EO_MATCH,
	EO_REGRESSION,	/* worse than expected: fails the run */
	EO_IMPROVEMENT, /* better than expected: listed */
	EO_CHANGED,	/* different but neither (BLOCKED for KILLED, N/A expected) */
	EO_UNJUDGED,	/* N/A or INCONCLUSIVE where a verdict was expected */
	EO_NONE,	/* no entry selects it */
};
const char *expect_outcome_name(enum expect_outcome o); /* "regression" */

/* `got` is enum verdict / enum parity_status. */
enum expect_outcome expect_compare_verdict(enum expect_verdict expected, int got);
enum expect_outcome expect_compare_parity(int expected, int got);

/* Evaluate the sets kept in results["expectations"]["sets"] against the
 * cells and parity rows of `results` and the kernel facts of its probe:
 * annotate each cell and row with "expectation", and fill "regressions",
 * "improvements", "changed", "unused" and "claims" in
 * results["expectations"]. Returns -1 when a kept set does not parse. */
int expect_evaluate(json_t *results, struct perr *e);

/* Names. */
const char *expect_verdict_name(enum expect_verdict v); /* "CONTAINED" */
int expect_verdict_parse(const char *s, enum expect_verdict *v);
int expect_range_parse(const char *s, struct expect_range *r);
bool expect_range_has(const struct expect_range *r, int v);
void expect_range_text(const struct expect_range *r, char *buf, size_t len);
int kernel_version_parse(const char *s, struct kernel_version *v);
int kernel_version_cmp(const struct kernel_version *a, const struct kernel_version *b);
/* "<7.2-rc4", ">=6.12", "==6.12" (also "=", "<=", ">"). */
int expect_release_cond_parse(const char *s, enum expect_cmp *cmp, struct kernel_version *v);

#endif
