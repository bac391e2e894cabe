/* expect_match.c - does an expectation entry select a cell or a parity row
 * on this kernel (expect.h): globs, families, profiles, ABI ranges, and the
 * kernel facts of `when` (Landlock ABI, errata, release, probe features). */
#include <ctype.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "util.h"

/* ---- small grammars: ABI ranges, kernel releases ---- */

static int parse_int(const char *s, int *out)
{
	long v;
	while (*s == ' ')
		s++;
	if (util_parse_long(s, 0, 1000, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

int expect_range_parse(const char *s, struct expect_range *r)
{
	const char *dash;
	int a, b;

	memset(r, 0, sizeof(*r));
	if (strcmp(s, "any") == 0) {
		r->any = true;
		r->lo = 0;
		r->hi = INT_MAX;
		return 0;
	}
	if (strncmp(s, ">=", 2) == 0 && parse_int(s + 2, &a) == 0) {
		r->lo = a;
		r->hi = INT_MAX;
		return 0;
	}
	if (strncmp(s, "<=", 2) == 0 && parse_int(s + 2, &a) == 0) {
		r->lo = 0;
		r->hi = a;
		return 0;
	}
	if (s[0] == '>' && parse_int(s + 1, &a) == 0) {
		r->lo = a + 1;
		r->hi = INT_MAX;
		return 0;
	}
	if (s[0] == '<' && parse_int(s + 1, &a) == 0 && a > 0) {
		r->lo = 0;
		r->hi = a - 1;
		return 0;
	}
	dash = strchr(s, '-');
	if (dash && dash != s) {
		char lo[16];
		size_t n = (size_t)(dash - s);
		if (n >= sizeof(lo))
			return -1;
		memcpy(lo, s, n);
		lo[n] = 0;
		if (parse_int(lo, &a) == 0 && parse_int(dash + 1, &b) == 0 && a <= b) {
			r->lo = a;
			r->hi = b;
			return 0;
		}
		return -1;
	}
	if (parse_int(s, &a) == 0) {
		r->lo = r->hi = a;
		return 0;
	}
	return -1;
}

bool expect_range_has(const struct expect_range *r, int v)
{
	return r->any || (v >= r->lo && v <= r->hi);
}

void expect_range_text(const struct expect_range *r, char *buf, size_t len)
{
	if (r->any)
		snprintf(buf, len, "any");
	else if (r->hi == INT_MAX)
		snprintf(buf, len, ">=%d", r->lo);
	else if (r->lo == r->hi)
		snprintf(buf, len, "%d", r->lo);
	else if (r->lo == 0)
		snprintf(buf, len, "<=%d", r->hi);
	else
		snprintf(buf, len, "%d-%d", r->lo, r->hi);
}

/* "6.18.44-fc-v595", "7.2-rc4", "7.2.0-rc3-amd64": up to three numbers,
 * then "-rcN" right after them makes it a release candidate. */
int kernel_version_parse(const char *s, struct kernel_version *v)
{
	int *parts[3] = {&v->major, &v->minor, &v->patch};
	const char *p = s;
	int n = 0;

	memset(v, 0, sizeof(*v));
	v->rc = INT_MAX;
	while (n < 3 && isdigit((unsigned char)*p)) {
		char *end;
		long x = strtol(p, &end, 10);
		if (x > 100000)
			return -1;
		*parts[n++] = (int)x;
		p = end;
		if (*p != '.' || !isdigit((unsigned char)p[1]))
			break;
		p++;
	}
	if (n < 2) /* a release has at least major.minor */
		return -1;
	if (strncmp(p, "-rc", 3) == 0 && isdigit((unsigned char)p[3]))
		v->rc = (int)strtol(p + 3, NULL, 10);
	return 0;
}

int kernel_version_cmp(const struct kernel_version *a, const struct kernel_version *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	if (a->rc != b->rc)
		return a->rc < b->rc ? -1 : 1;
	return 0;
}

int expect_release_cond_parse(const char *s, enum expect_cmp *cmp, struct kernel_version *v)
{
	static const struct {
		const char *op;
		enum expect_cmp cmp;
	} ops[] = {{"<=", CMP_LE}, {">=", CMP_GE}, {"==", CMP_EQ},
		   {"<", CMP_LT},  {">", CMP_GT},  {"=", CMP_EQ}};
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		size_t n = strlen(ops[i].op);
		if (strncmp(s, ops[i].op, n) == 0) {
			*cmp = ops[i].cmp;
			s += n;
			while (*s == ' ')
				s++;
			return kernel_version_parse(s, v);
		}
	}
	return -1;
}

/* ---- matching ---- */

void expect_facts_from_probe(json_t *probe, struct expect_facts *f)
{
	json_t *ll = json_object_get(probe, "landlock");
	json_t *er = json_object_get(ll, "errata");
	const char *rel =
	    json_string_value(json_object_get(json_object_get(probe, "system"), "kernel_release"));

	memset(f, 0, sizeof(*f));
	f->probe = probe;
	f->landlock_abi = json_is_integer(json_object_get(ll, "abi"))
			      ? (int)json_integer_value(json_object_get(ll, "abi"))
			      : 0;
	if (f->landlock_abi < 0)
		f->landlock_abi = 0;
	f->errata_supported = json_is_true(json_object_get(er, "supported"));
	f->errata =
	    f->errata_supported ? (unsigned)json_integer_value(json_object_get(er, "mask")) : 0;
	snprintf(f->release, sizeof(f->release), "%s", rel ? rel : "");
}

static bool any_glob(char *const *globs, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], s, 0) == 0)
			return true;
	return false;
}

bool expect_entry_attack_matches(const struct expect_entry *en, const char *attack,
				 const char *family)
{
	if (en->nattacks && !any_glob(en->attacks, en->nattacks, attack))
		return false;
	if (en->nfamilies) {
		bool ok = false;
		for (size_t i = 0; i < en->nfamilies; i++)
			ok |= family && strcmp(en->families[i], family) == 0;
		if (!ok)
			return false;
	}
	return true;
}

static const char *probe_state_at(json_t *probe, const char *path)
{
	char buf[128], *save = NULL, *tok;
	json_t *v = probe;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save))
		v = json_object_get(v, tok);
	return v ? json_string_value(json_object_get(v, "state")) : NULL;
}

bool expect_entry_when_holds(const struct expect_entry *en, const struct expect_facts *f)
{
	if (en->has_kernel_abi && !expect_range_has(&en->kernel_abi, f->landlock_abi))
		return false;
	if (en->errata_fixed &&
	    (!f->errata_supported || (f->errata & en->errata_fixed) != en->errata_fixed))
		return false;
	if (en->errata_unfixed && f->errata_supported && (f->errata & en->errata_unfixed))
		return false;
	if (en->has_release) {
		struct kernel_version k;
		int c;
		if (kernel_version_parse(f->release, &k) < 0)
			return false;
		c = kernel_version_cmp(&k, &en->release);
		switch (en->release_cmp) {
		case CMP_LT:
			if (!(c < 0))
				return false;
			break;
		case CMP_LE:
			if (!(c <= 0))
				return false;
			break;
		case CMP_EQ:
			if (c != 0)
				return false;
			break;
		case CMP_GE:
			if (!(c >= 0))
				return false;
			break;
		case CMP_GT:
			if (!(c > 0))
				return false;
			break;
		}
	}
	for (size_t i = 0; i < en->nfeatures; i++) {
		const char *st = probe_state_at(f->probe, en->feature_path[i]);
		if (!st || strcmp(st, en->feature_state[i]) != 0)
			return false;
	}
	return true;
}

bool expect_entry_selects(const struct expect_entry *en, const struct expect_subject *s,
			  const struct expect_facts *f)
{
	if (!expect_entry_attack_matches(en, s->attack, s->family))
		return false;
	if (!any_glob(en->profiles, en->nprofiles, s->profile))
		return false;
	/* A cell without a Landlock ABI (the control) is selected by "any" only. */
	if (s->abi < 0 ? !en->abi.any : !expect_range_has(&en->abi, s->abi))
		return false;
	return expect_entry_when_holds(en, f);
}
