/* The attack registry: ids unique and well-formed, every row complete, and
 * the committed docs/attacks pages are exactly what the registry generates
 * (regenerate with `build/parity attack docs --out docs/attacks`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack.h"
#include "attack_docs.h"
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
	UNIT_TEST(test_committed_docs_match_registry);
}
