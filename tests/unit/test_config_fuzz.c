/* test_config_fuzz.c - the three kinds of configuration a user hands us
 * (profiles, proxy policies, expectation sets), fuzzed from the shipped
 * files. Bad input must give a usage error that names the file and the
 * field, never a crash, a leak or an accepted half-read file. Run under
 * ASan+UBSan in CI (scripts/test.sh), where an over-read or a double free
 * on any path is fatal.
 *
 * Two mutators, both deterministic (a fixed seed; PARITY_FUZZ_ITERS scales
 * the run):
 *   - structure: the seed is parsed with jansson and 1-4 nodes are deleted,
 *     replaced by a value of another type or range (negative, 2^31, 2^40,
 *     a 4 KiB string, a path escaping ${exe_dir}, an empty container...),
 *     duplicated in an array (a list grown past its limit), or an unknown
 *     key is added. The text stays valid JSON, so every rejection must name
 *     a field ("field '...'"), and a mutant with an unknown key must be
 *     rejected.
 *   - text: byte flips, inserts of JSON punctuation, truncations; a
 *     rejection must name the file (syntax errors give file:line:column).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enforcer/policy.h"
#include "enforcer/profile.h"
#include "err.h"
#include "json_mutate.h"
#include "matrix/expect.h"
#include "unit.h"
#include "util.h"

#define FUZZ_FILE "fuzz.json"
#define MAX_SEEDS 16

enum config_kind { CFG_PROFILE, CFG_POLICY, CFG_EXPECT };

struct seed_set {
	const char *dir; /* under the source root */
	const char *const *names;
	enum config_kind kind;
};

static const char *const profile_seeds[] = {
    "none", "namespace", "platform", "platform-notify", "platform-strict", NULL};
static const char *const policy_seeds[] = {"default", "lab", "lab-open", "open", NULL};
static const char *const expect_seeds[] = {"baseline", "known-gaps", "pr-claims", NULL};

static const struct seed_set seed_sets[] = {
    {"enforcer/profiles", profile_seeds, CFG_PROFILE},
    {"enforcer/policies", policy_seeds, CFG_POLICY},
    {"matrix/expectations", expect_seeds, CFG_EXPECT},
};

static json_t *load_seed(const char *dir, const char *name)
{
	char path[1024];
	json_error_t je;
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s/%s.json", PARITY_SOURCE_ROOT, dir, name);
	j = json_load_file(path, 0, &je);
	if (!j)
		fprintf(stderr, "\n  seed %s: %s\n", path, je.text);
	return j;
}

/* Parse text (and, for expectations, the tree) as one kind. Returns the
 * parser's result; anything accepted is freed again. */
static int parse_as(enum config_kind kind, const char *text, struct perr *e)
{
	int rc;

	perr_clear(e);
	if (kind == CFG_PROFILE) {
		struct profile p;
		memset(&p, 0, sizeof(p));
		rc = profile_parse(text, FUZZ_FILE, &p, e);
		if (rc == 0)
			profile_free(&p);
	} else if (kind == CFG_POLICY) {
		struct policy p;
		memset(&p, 0, sizeof(p));
		rc = policy_parse(text, FUZZ_FILE, &p, e);
		if (rc == 0)
			policy_free(&p);
	} else {
		json_error_t je;
		json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
		struct expect_set s;
		if (!root)
			return perr_usage(e, "%s:%d:%d: %s", FUZZ_FILE, je.line, je.column,
					  je.text);
		memset(&s, 0, sizeof(s));
		rc = expect_set_parse(root, FUZZ_FILE, true, &s, e);
		if (rc == 0)
			expect_set_free(&s);
		json_decref(root);
	}
	return rc;
}

/* What a rejection must look like. */
static int rejection_ok(int rc, const struct perr *e, bool need_field, const char *text)
{
	bool ok = rc == -1 && e->kind == PARITY_EXIT_USAGE &&
		  strncmp(e->msg, FUZZ_FILE ":", strlen(FUZZ_FILE ":")) == 0 &&
		  (!need_field || strstr(e->msg, "field '"));
	if (!ok)
		fprintf(stderr, "\n  rc %d kind %d msg \"%.200s\" for: %.300s\n", rc, (int)e->kind,
			e->msg, text);
	return ok;
}

static void fuzz_structure(const struct seed_set *ss, long iters)
{
	json_t *seeds[MAX_SEEDS];
	size_t n = 0;
	long accepted = 0, bad = 0;

	for (size_t i = 0; ss->names[i] && n < MAX_SEEDS; i++) {
		seeds[n] = load_seed(ss->dir, ss->names[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(seeds[n]);
		n++;
	}
	for (long it = 0; it < iters; it++) {
		json_t *j = json_deep_copy(seeds[json_mutate_rand() % n]);
		struct perr e;
		char *text;
		int rc;

		json_mutate(j, 4, 0);
		text = json_dumps(j, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		rc = parse_as(ss->kind, text, &e);
		if (rc == 0 && strstr(text, "\"x_unknown\"")) {
			/* No object of ours takes keys it does not know. */
			{
				const char *u = strstr(text, "\"x_unknown\"");
				fprintf(stderr, "\n  accepted an unknown field: ...%.400s\n",
					u - (u - text > 300 ? 300 : u - text));
			}
			bad++;
		} else if (rc == 0) {
			accepted++;
		} else if (!rejection_ok(rc, &e, true, text)) {
			bad++;
		}
		free(text);
		json_decref(j);
	}
	for (size_t i = 0; i < n; i++)
		json_decref(seeds[i]);
	printf("\n  %s: %ld structural mutants, %ld accepted, %ld rejected\n", ss->dir, iters,
	       accepted, iters - accepted);
	CU_ASSERT_EQUAL(bad, 0);
	/* Both outcomes must be reached, or the mutator stopped mutating. */
	CU_ASSERT(accepted > 0 && accepted < iters);
}

static void fuzz_text(const struct seed_set *ss, long iters)
{
	static const char punct[] = {'{', '}', '[', ']', ',', ':', '"', '\\', '0', '-', 'e', 0};
	char *seeds[MAX_SEEDS];
	size_t n = 0;
	long bad = 0;

	for (size_t i = 0; ss->names[i] && n < MAX_SEEDS; i++) {
		json_t *j = load_seed(ss->dir, ss->names[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(j);
		seeds[n++] = json_dumps(j, JSON_INDENT(1));
		json_decref(j);
	}
	for (long it = 0; it < iters; it++) {
		const char *seed = seeds[json_mutate_rand() % n];
		size_t len = strlen(seed);
		char *w = malloc(len + 16);
		int muts = 1 + (int)(json_mutate_rand() % 4);
		struct perr e;
		int rc;

		CU_ASSERT_PTR_NOT_NULL_FATAL(w);
		memcpy(w, seed, len + 1);
		for (int m = 0; m < muts && len > 0; m++) {
			size_t pos = json_mutate_rand() % len;
			switch (json_mutate_rand() % 4) {
			case 0:
				w[pos] = (char)(json_mutate_rand() & 0xff);
				if (!w[pos])
					len = pos;
				break;
			case 1:
				w[pos] = punct[json_mutate_rand() % sizeof(punct)];
				if (!w[pos])
					len = pos;
				break;
			case 2:
				len = pos;
				w[len] = '\0';
				break;
			default:
				memmove(w + pos, w + pos + 1, len - pos);
				len--;
			}
		}
		rc = parse_as(ss->kind, w, &e);
		/* A flip inside a string or a number may leave a valid file. */
		if (rc != 0 && !rejection_ok(rc, &e, false, w))
			bad++;
		free(w);
	}
	for (size_t i = 0; i < n; i++)
		free(seeds[i]);
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_profiles_fuzzed(void)
{
	fuzz_structure(&seed_sets[CFG_PROFILE], json_mutate_iters(3000));
	fuzz_text(&seed_sets[CFG_PROFILE], json_mutate_iters(1500));
}

static void test_policies_fuzzed(void)
{
	fuzz_structure(&seed_sets[CFG_POLICY], json_mutate_iters(3000));
	fuzz_text(&seed_sets[CFG_POLICY], json_mutate_iters(1500));
}

static void test_expectations_fuzzed(void)
{
	fuzz_structure(&seed_sets[CFG_EXPECT], json_mutate_iters(3000));
	fuzz_text(&seed_sets[CFG_EXPECT], json_mutate_iters(1500));
}

void unit_register(void)
{
	UNIT_SUITE("config_fuzz");
	UNIT_TEST(test_profiles_fuzzed);
	UNIT_TEST(test_policies_fuzzed);
	UNIT_TEST(test_expectations_fuzzed);
}
