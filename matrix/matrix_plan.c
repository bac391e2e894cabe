/* matrix_plan.c - which cells a matrix run has (matrix.h): attacks,
 * profiles, Landlock ABIs, the shard, and the preconditions. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "matrix.h"
#include "parity.h"
#include "util.h"

int matrix_shard_parse(const char *s, unsigned *k, unsigned *n, struct perr *e)
{
	long a, b;
	char buf[32], *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return perr_usage(e, "--shard: expected K/N (e.g. 1/4), got '%s'", s);
	*slash = 0;
	if (util_parse_long(buf, 1, 1000, &a) < 0 || util_parse_long(slash + 1, 1, 1000, &b) < 0 ||
	    a > b)
		return perr_usage(e, "--shard: expected K/N with 1 <= K <= N <= 1000, got '%s'", s);
	*k = (unsigned)a;
	*n = (unsigned)b;
	return 0;
}

void matrix_shard_range(size_t total, unsigned k, unsigned n, size_t *lo, size_t *hi)
{
	if (n == 0 || k == 0 || k > n) {
		*lo = 0;
		*hi = total;
		return;
	}
	*lo = total * (k - 1) / n;
	*hi = total * k / n;
}

static int abi_cmp_desc(const void *a, const void *b)
{
	const struct matrix_abi *x = a, *y = b;
	return y->cap - x->cap;
}

static int abi_add(struct matrix_abi *out, size_t *n, int cap, int kernel_abi, struct perr *e)
{
	for (size_t i = 0; i < *n; i++)
		if (out[i].cap == cap)
			return 0;
	if (*n >= MATRIX_MAX_ABIS)
		return perr_usage(e, "--landlock-abi: at most %d ABIs", MATRIX_MAX_ABIS);
	out[*n].cap = cap;
	out[*n].kernel = cap == kernel_abi;
	(*n)++;
	return 0;
}

int matrix_abis_parse(const char *s, int kernel_abi, struct matrix_abi *out, size_t *n,
		      struct perr *e)
{
	static const int defaults[] = {0, 3, 4, 6};
	char buf[256], *save = NULL, *tok;

	*n = 0;
	if (!s) {
		if (abi_add(out, n, kernel_abi, kernel_abi, e) < 0)
			return -1;
		for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
			if (defaults[i] < kernel_abi &&
			    abi_add(out, n, defaults[i], kernel_abi, e) < 0)
				return -1;
	} else {
		snprintf(buf, sizeof(buf), "%s", s);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			long v;
			if (strcmp(tok, "all") == 0) {
				for (int a = kernel_abi; a >= 0; a--)
					if (abi_add(out, n, a, kernel_abi, e) < 0)
						return -1;
				continue;
			}
			if (strcmp(tok, "kernel") == 0) {
				if (abi_add(out, n, kernel_abi, kernel_abi, e) < 0)
					return -1;
				continue;
			}
			if (util_parse_long(tok, 0, 99, &v) < 0)
				return perr_usage(
				    e,
				    "--landlock-abi: expected ABI numbers, 'kernel' or "
				    "'all', got '%s'",
				    tok);
			if (v > kernel_abi)
				return perr_usage(
				    e,
				    "--landlock-abi %ld: the kernel offers ABI %d; an "
				    "emulated ABI can only be lower",
				    v, kernel_abi);
			if (abi_add(out, n, (int)v, kernel_abi, e) < 0)
				return -1;
		}
		if (*n == 0)
			return perr_usage(e, "--landlock-abi: no ABI given");
	}
	qsort(out, *n, sizeof(*out), abi_cmp_desc);
	return 0;
}

int matrix_effective_abi(const struct matrix_plan *pl, const struct matrix_abi *a)
{
	return a->kernel || a->cap > pl->kernel_abi ? pl->kernel_abi : a->cap;
}

const struct profile *matrix_control_profile(const struct matrix_plan *pl)
{
	return pl->control >= 0 ? &pl->profiles[pl->control] : pl->own_control;
}

static int load_profiles(const struct matrix_opts *o, struct matrix_plan *pl, struct perr *e)
{
	char buf[4096], *save = NULL, *tok;
	const char *names[MATRIX_MAX_PROFILES + 1];
	size_t n = 0;

	if (o->profiles) {
		snprintf(buf, sizeof(buf), "%s", o->profiles);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (n >= MATRIX_MAX_PROFILES)
				return perr_usage(e, "--profiles: at most %d profiles",
						  MATRIX_MAX_PROFILES);
			names[n++] = tok;
		}
		if (!n)
			return perr_usage(e, "--profiles: no profile given");
	} else {
		for (size_t i = 0; profile_shipped[i] && n < MATRIX_MAX_PROFILES; i++)
			names[n++] = profile_shipped[i];
	}
	pl->profiles = calloc(n, sizeof(*pl->profiles));
	if (!pl->profiles)
		return perr_sys(e, ENOMEM, "profiles");
	pl->control = -1;
	for (size_t i = 0; i < n; i++) {
		if (profile_load(names[i], &pl->profiles[i], e) < 0) {
			perr_prefix(e, "--profiles");
			return -1;
		}
		pl->nprofiles = i + 1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(pl->profiles[j].name, pl->profiles[i].name) == 0)
				return perr_usage(
				    e, "--profiles: two profiles are named '%s' (%s, %s)",
				    pl->profiles[i].name, pl->profiles[j].path,
				    pl->profiles[i].path);
		if (strcmp(pl->profiles[i].name, PARITY_CONTROL_PROFILE) == 0)
			pl->control = (long)i;
	}
	if (pl->control < 0) {
		pl->own_control = calloc(1, sizeof(*pl->own_control));
		if (!pl->own_control)
			return perr_sys(e, ENOMEM, "profiles");
		if (profile_load(PARITY_CONTROL_PROFILE, pl->own_control, e) < 0) {
			perr_prefix(e, "the positive control");
			free(pl->own_control);
			pl->own_control = NULL;
			return -1;
		}
	}
	return 0;
}

static bool attack_selected(const char *globs, const char *id)
{
	char buf[1024], *save = NULL, *tok;
	if (!globs)
		return true;
	snprintf(buf, sizeof(buf), "%s", globs);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (fnmatch(tok, id, 0) == 0)
			return true;
	return false;
}

int matrix_plan_build(const struct matrix_opts *o, const struct probe *p, struct matrix_plan *pl,
		      struct perr *e)
{
	size_t total = attack_count(), k = 0, lo, hi;

	memset(pl, 0, sizeof(*pl));
	pl->probe = p;
	pl->control = -1;
	pl->kernel_abi =
	    p->landlock.status == PROBE_LL_ENABLED && p->landlock.abi > 0 ? p->landlock.abi : 0;
	pl->shard_k = o->shard_n ? o->shard_k : 1;
	pl->shard_n = o->shard_n ? o->shard_n : 1;
	if (matrix_abis_parse(o->abis, pl->kernel_abi, pl->abis, &pl->nabis, e) < 0)
		return -1;
	if (load_profiles(o, pl, e) < 0)
		return -1;

	pl->attacks = calloc(total + 1, sizeof(*pl->attacks));
	if (!pl->attacks)
		return perr_sys(e, ENOMEM, "plan");
	for (size_t i = 0; i < total; i++)
		if (attack_selected(o->attacks, attack_at(i)->id))
			pl->attacks[pl->nattacks++] = attack_at(i);
	if (!pl->nattacks)
		return perr_usage(e, "--attacks '%s': no attack matches (parity attack list)",
				  o->attacks ? o->attacks : "");

	pl->planned = pl->nattacks * (pl->nprofiles - (pl->control >= 0)) * pl->nabis;
	pl->cells = calloc(pl->planned + 1, sizeof(*pl->cells));
	pl->needs_control = calloc(pl->nattacks, sizeof(*pl->needs_control));
	pl->na_reason = calloc(pl->nattacks, sizeof(*pl->na_reason));
	if (!pl->cells || !pl->needs_control || !pl->na_reason)
		return perr_sys(e, ENOMEM, "plan");
	matrix_shard_range(pl->planned, pl->shard_k, pl->shard_n, &lo, &hi);
	for (size_t a = 0; a < pl->nattacks; a++) {
		char why[512];
		if (!cell_needs_met(pl->attacks[a], p, why, sizeof(why)))
			snprintf(pl->na_reason[a], sizeof(pl->na_reason[a]), "%s", why);
		for (size_t q = 0; q < pl->nprofiles; q++) {
			if ((long)q == pl->control)
				continue;
			for (size_t b = 0; b < pl->nabis; b++, k++) {
				if (k < lo || k >= hi)
					continue;
				pl->cells[pl->ncells++] = (struct matrix_cell){a, q, b};
				pl->needs_control[a] = true;
			}
		}
	}
	/* With `none` as a column of its own, every attack shows its control. */
	if (pl->control >= 0 && pl->shard_n == 1)
		for (size_t a = 0; a < pl->nattacks; a++)
			pl->needs_control[a] = true;
	return 0;
}

void matrix_plan_free(struct matrix_plan *pl)
{
	for (size_t i = 0; i < pl->nprofiles; i++)
		profile_free(&pl->profiles[i]);
	free(pl->profiles);
	if (pl->own_control) {
		profile_free(pl->own_control);
		free(pl->own_control);
	}
	free(pl->attacks);
	free(pl->cells);
	free(pl->needs_control);
	free(pl->na_reason);
	memset(pl, 0, sizeof(*pl));
}
