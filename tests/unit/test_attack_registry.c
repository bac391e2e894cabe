/* The attack registry: ids unique and well-formed, every row complete, and
 * the committed docs/attacks pages are exactly what the registry generates
 * (regenerate with `build/parity attack docs --out docs/attacks`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack.h"
#include "attack_docs.h"
#include "cell.h"
#include "probe.h"
#include "unit.h"
#include "util.h"

static void test_rows_complete_and_unique(void)
{
	size_t n = attack_count();
	CU_ASSERT(n > 0);
	for (size_t i = 0; i < n; i++) {
		const struct attack *a = attack_at(i);
		CU_ASSERT_PTR_NOT_NULL(a->title);
		CU_ASSERT_PTR_NOT_NULL(a->tries);
		CU_ASSERT_PTR_NOT_NULL(a->run);
		CU_ASSERT_PTR_NOT_NULL(a->refs);
		CU_ASSERT(a->family < FAM_COUNT);
		CU_ASSERT(strlen(a->id) >= 3 && strchr("TUDASEN", a->id[0]) != NULL);
		CU_ASSERT(attack_find(a->id) == a);
		for (size_t j = i + 1; j < n; j++)
			CU_ASSERT_STRING_NOT_EQUAL(a->id, attack_at(j)->id);
	}
}

/* Every precondition names a feature the probe has, and each one alone,
 * when not "yes", makes the cell N/A with its path and the probe's reason
 * (a misspelt path would be N/A on every kernel, "unknown probe feature"). */
static void set_feature(struct probe *p, const char *path, enum probe_state st, size_t n)
{
	struct probe_feature *f = (struct probe_feature *)probe_find(p, path);

	f->state = st;
	snprintf(f->reason, sizeof(f->reason), "reason %zu", n);
}

static void test_needs_name_probe_features(void)
{
	struct probe *p = calloc(1, sizeof(*p));
	size_t checked = 0;
	char why[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (size_t i = 0; i < attack_count(); i++) {
		const struct attack *a = attack_at(i);
		for (size_t k = 0; k < ARRAY_SIZE(a->needs.probe) && a->needs.probe[k]; k++) {
			struct probe_feature *f =
			    (struct probe_feature *)probe_find(p, a->needs.probe[k]);
			if (!f)
				fprintf(stderr, "%s needs unknown probe feature %s\n", a->id,
					a->needs.probe[k]);
			CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		}
		if (a->needs.sysctl || !a->needs.probe[0])
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(a->needs.probe) && a->needs.probe[k]; k++) {
			for (size_t m = 0; m < ARRAY_SIZE(a->needs.probe) && a->needs.probe[m]; m++)
				set_feature(p, a->needs.probe[m], m == k ? PROBE_NO : PROBE_YES, m);
			CU_ASSERT_FALSE(cell_needs_met(a, p, why, sizeof(why)));
			CU_ASSERT_PTR_NOT_NULL(strstr(why, a->needs.probe[k]));
			CU_ASSERT_PTR_NOT_NULL(strstr(why, ": no (reason "));
			/* an unknown answer runs the cell (its control tells) */
			set_feature(p, a->needs.probe[k], PROBE_ERROR, k);
			CU_ASSERT_TRUE(cell_needs_met(a, p, why, sizeof(why)));
			set_feature(p, a->needs.probe[k], PROBE_NOT_PROBED, k);
			CU_ASSERT_TRUE(cell_needs_met(a, p, why, sizeof(why)));
			checked++;
		}
		for (size_t m = 0; m < ARRAY_SIZE(a->needs.probe) && a->needs.probe[m]; m++)
			set_feature(p, a->needs.probe[m], PROBE_YES, m);
		CU_ASSERT_TRUE(cell_needs_met(a, p, why, sizeof(why)));
	}
	CU_ASSERT(checked >= 37); /* the registry's count on 2026-11-30 */
	/* the three added for AF_UNIX OOB, io_uring connect, the mount API */
	CU_ASSERT_STRING_EQUAL(attack_find("S06.sigurg_unix")->needs.probe[0],
			       "protocols.unix_oob");
	CU_ASSERT_STRING_EQUAL(attack_find("E04.fsopen")->needs.probe[0], "entry_points.fsopen");
	CU_ASSERT_STRING_EQUAL(attack_find("A12")->needs.probe[1], "entry_points.io_uring_connect");
	free(p);
}

static char *render(void (*fn)(FILE *, int), int arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fn(f, arg);
	fclose(f);
	return buf;
}

static void index_fn(FILE *f, int unused)
{
	(void)unused;
	attack_docs_index(f);
}

static void family_fn(FILE *f, int fam)
{
	attack_docs_family(f, (enum attack_family)fam);
}

static void compare(const char *name, char *want)
{
	char path[4096];
	struct perr e;
	char *have;
	snprintf(path, sizeof(path), "%s/docs/attacks/%s", PARITY_SOURCE_ROOT, name);
	have = util_read_file(path, NULL, &e);
	if (!have || strcmp(have, want) != 0)
		fprintf(stderr,
			"docs/attacks/%s differs from the registry: run "
			"`build/parity attack docs --out docs/attacks`\n",
			name);
	CU_ASSERT(have && strcmp(have, want) == 0);
	free(have);
	free(want);
}

static void test_committed_docs_match_registry(void)
{
	char name[64];
	compare("README.md", render(index_fn, 0));
	for (int fam = 0; fam < FAM_COUNT; fam++) {
		snprintf(name, sizeof(name), "%s.md", attack_family_name((enum attack_family)fam));
		compare(name, render(family_fn, fam));
	}
}

void unit_register(void)
{
	UNIT_SUITE("attack registry");
	UNIT_TEST(test_rows_complete_and_unique);
	UNIT_TEST(test_needs_name_probe_features);
	UNIT_TEST(test_committed_docs_match_registry);
}
