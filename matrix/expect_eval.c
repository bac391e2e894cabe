/* expect_eval.c - expectations against measured cells and parity rows
 * (expect.h): per cell and row outcomes, regressions, improvements, unused
 * entries and the PR's claims. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "parity.h"
#include "verdict.h"

static const char *const outcome_names[] = {"match",   "regression", "improvement",
					    "changed", "unjudged",   "none"};

const char *expect_outcome_name(enum expect_outcome o)
{
	return o <= EO_NONE ? outcome_names[o] : "?";
}

enum expect_outcome expect_compare_verdict(enum expect_verdict expected, int got_)
{
	enum verdict got = (enum verdict)got_;

	if (got == V_NA)
		return expected == EV_NA ? EO_MATCH : EO_UNJUDGED;
	if (got == V_INCONCLUSIVE)
		return EO_UNJUDGED;
	switch (expected) {
	case EV_NA:
		return EO_CHANGED;
	case EV_ESCAPED:
		return got == V_ESCAPED ? EO_MATCH : EO_IMPROVEMENT;
	case EV_CONTAINED:
		return got == V_ESCAPED ? EO_REGRESSION : EO_MATCH;
	case EV_BLOCKED:
		return got == V_ESCAPED ? EO_REGRESSION : got == V_BLOCKED ? EO_MATCH : EO_CHANGED;
	case EV_KILLED:
		return got == V_ESCAPED ? EO_REGRESSION : got == V_KILLED ? EO_MATCH : EO_CHANGED;
	}
	return EO_CHANGED;
}

/* (reference contained, profile contained) of a judged status. */
static void sides(enum parity_status s, int *ref, int *prof)
{
	*ref = s == PS_PARITY || s == PS_GAP;
	*prof = s == PS_PARITY || s == PS_REVERSE;
}

enum expect_outcome expect_compare_parity(int expected_, int got_)
{
	enum parity_status expected = (enum parity_status)expected_, got = (enum parity_status)got_;
	int er, ep, gr, gp;

	if (got == PS_NA)
		return expected == PS_NA ? EO_MATCH : EO_UNJUDGED;
	if (expected == PS_NA)
		return EO_CHANGED;
	if (got == expected)
		return EO_MATCH;
	sides(expected, &er, &ep);
	sides(got, &gr, &gp);
	/* Any side that was contained and no longer is: worse, whatever the other did. */
	if ((er && !gr) || (ep && !gp))
		return EO_REGRESSION;
	return EO_IMPROVEMENT;
}

/* ---- helpers over the results document ---- */

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static int subject_abi(json_t *item)
{
	json_t *eff = json_object_get(json_object_get(item, "abi"), "effective");
	return json_is_integer(eff) ? (int)json_integer_value(eff) : -1;
}

static void subject_of(json_t *item, struct expect_subject *s)
{
	s->attack = str(item, "attack");
	s->family = str(item, "family");
	s->profile = str(item, "profile");
	s->abi = subject_abi(item);
}

struct entry_use {
	size_t decided;
	bool attack_matched, selected;
};

struct eval {
	struct expect_set *sets;
	size_t nsets;
	struct entry_use **use; /* per set, per entry */
	struct expect_facts facts;
	json_t *x; /* results["expectations"] */
};

/* The last entry of a gating set, of `kind`, that selects the subject. */
static const struct expect_entry *decide(struct eval *ev, enum expect_kind kind,
					 const struct expect_subject *s, size_t *set_out,
					 size_t *entry_out)
{
	const struct expect_entry *win = NULL;
	for (size_t i = 0; i < ev->nsets; i++) {
		if (!ev->sets[i].gating)
			continue;
		for (size_t j = 0; j < ev->sets[i].n; j++) {
			const struct expect_entry *en = &ev->sets[i].entries[j];
			struct entry_use *u = &ev->use[i][j];
			if (en->kind != kind)
				continue;
			if (!expect_entry_attack_matches(en, s->attack, s->family))
				continue;
			u->attack_matched = true;
			if (!expect_entry_selects(en, s, &ev->facts))
				continue;
			u->selected = true;
			win = en;
			*set_out = i;
			*entry_out = j;
		}
	}
	if (win)
		ev->use[*set_out][*entry_out].decided++;
	return win;
}

static json_t *listing(json_t *item, const char *kind, const char *expected, const char *got,
		       const struct expect_set *set, const struct expect_entry *en)
{
	json_t *l = json_pack("{s:s,s:s,s:s,s:s,s:O,s:s,s:s,s:s,s:s,s:s,s:s}", "kind", kind, "id",
			      str(item, "id"), "attack", str(item, "attack"), "profile",
			      str(item, "profile"), "abi", json_object_get(item, "abi"), "expected",
			      expected, "got", got, "rationale", en->rationale, "reference",
			      en->reference, "set", set->name, "entry", en->id);
	if (json_object_get(item, "reproduce"))
		json_object_set(l, "reproduce", json_object_get(item, "reproduce"));
	if (json_object_get(item, "reason"))
		json_object_set(l, "reason", json_object_get(item, "reason"));
	return l;
}

static void file_outcome(struct eval *ev, enum expect_outcome o, json_t *l)
{
	const char *list = o == EO_REGRESSION	 ? "regressions"
			   : o == EO_IMPROVEMENT ? "improvements"
			   : o == EO_CHANGED	 ? "changed"
						 : NULL;
	if (list)
		json_array_append(json_object_get(ev->x, list), l);
	json_decref(l);
}

static void annotate(json_t *item, enum expect_outcome o, const char *expected,
		     const struct expect_set *set, const struct expect_entry *en)
{
	json_t *a = json_pack("{s:s}", "outcome", expect_outcome_name(o));
	if (en) {
		json_object_set_new(a, "expected", json_string(expected));
		json_object_set_new(a, "set", json_string(set->name));
		json_object_set_new(a, "entry", json_string(en->id));
		json_object_set_new(a, "rationale", json_string(en->rationale));
		json_object_set_new(a, "reference", json_string(en->reference));
	}
	json_object_set_new(item, "expectation", a);
}

static void eval_cells(struct eval *ev, json_t *cells)
{
	size_t i, si = 0, ei = 0;
	json_t *c;

	json_array_foreach (cells, i, c) {
		struct expect_subject s;
		const struct expect_entry *en;
		enum verdict got;
		enum expect_outcome o;
		const char *exp;

		subject_of(c, &s);
		en = decide(ev, EXPECT_VERDICT, &s, &si, &ei);
		if (!en || verdict_parse(str(c, "verdict"), &got) < 0) {
			annotate(c, EO_NONE, NULL, NULL, NULL);
			continue;
		}
		exp = expect_verdict_name((enum expect_verdict)en->expected);
		o = expect_compare_verdict((enum expect_verdict)en->expected, (int)got);
		annotate(c, o, exp, &ev->sets[si], en);
		file_outcome(ev, o,
			     listing(c, "verdict", exp, str(c, "verdict"), &ev->sets[si], en));
	}
}

static void eval_rows(struct eval *ev, json_t *rows)
{
	size_t i, si = 0, ei = 0;
	json_t *r;

	json_array_foreach (rows, i, r) {
		struct expect_subject s;
		const struct expect_entry *en;
		enum parity_status got;
		enum expect_outcome o;
		const char *exp;

		subject_of(r, &s);
		en = decide(ev, EXPECT_PARITY, &s, &si, &ei);
		if (!en || parity_status_parse(str(r, "status"), &got) < 0) {
			annotate(r, EO_NONE, NULL, NULL, NULL);
			continue;
		}
		exp = parity_status_name((enum parity_status)en->expected);
		o = expect_compare_parity(en->expected, (int)got);
		annotate(r, o, exp, &ev->sets[si], en);
		file_outcome(ev, o, listing(r, "parity", exp, str(r, "status"), &ev->sets[si], en));
	}
}

static void eval_unused(struct eval *ev)
{
	json_t *unused = json_object_get(ev->x, "unused");
	for (size_t i = 0; i < ev->nsets; i++) {
		if (!ev->sets[i].gating)
			continue;
		for (size_t j = 0; j < ev->sets[i].n; j++) {
			const struct entry_use *u = &ev->use[i][j];
			const struct expect_entry *en = &ev->sets[i].entries[j];
			const char *why;
			if (u->decided)
				continue;
			if (!u->attack_matched)
				why = "no attack of this run matches it";
			else if (u->selected)
				why = "later entries override it wherever it applies";
			else if (!expect_entry_when_holds(en, &ev->facts))
				why = "its kernel conditions (when) do not hold here";
			else
				why = "no cell of this run has its profile and ABI";
			json_array_append_new(unused,
					      json_pack("{s:s,s:s,s:s}", "set", ev->sets[i].name,
							"entry", en->id, "why", why));
		}
	}
}

/* ---- the PR's claims, measured per ABI ---- */

static json_t *find_row(json_t *rows, const char *attack, const char *profile, json_t *abi)
{
	size_t i;
	json_t *r;
	json_array_foreach (rows, i, r) {
		if (strcmp(str(r, "attack"), attack) == 0 &&
		    strcmp(str(r, "profile"), profile) == 0 &&
		    json_equal(json_object_get(json_object_get(r, "abi"), "requested"), abi))
			return r;
	}
	return NULL;
}

static json_t *claim_at_abi(struct eval *ev, const struct expect_entry *en, json_t *cells,
			    json_t *rows, json_t *abi)
{
	json_t *items = en->kind == EXPECT_VERDICT ? cells : rows, *it, *failing = json_array();
	json_t *requested = json_object_get(abi, "requested");
	size_t i, matching = 0, judged = 0, held = 0;
	const char *status;

	json_array_foreach (items, i, it) {
		struct expect_subject s;
		enum expect_outcome o;
		const char *got;
		if (!json_equal(json_object_get(json_object_get(it, "abi"), "requested"),
				requested))
			continue;
		subject_of(it, &s);
		if (!expect_entry_selects(en, &s, &ev->facts))
			continue;
		matching++;
		if (en->kind == EXPECT_VERDICT) {
			enum verdict v;
			got = str(it, "verdict");
			if (verdict_parse(got, &v) < 0)
				continue;
			o = expect_compare_verdict((enum expect_verdict)en->expected, (int)v);
		} else {
			enum parity_status p;
			got = str(it, "status");
			if (parity_status_parse(got, &p) < 0)
				continue;
			o = expect_compare_parity(en->expected, (int)p);
		}
		if (o == EO_UNJUDGED)
			continue;
		judged++;
		if (o == EO_MATCH || o == EO_IMPROVEMENT || o == EO_CHANGED) {
			held++;
			continue;
		}
		{
			json_t *f = json_pack("{s:s,s:s,s:s}", "attack", s.attack, "profile",
					      s.profile, "got", got);
			json_t *row = en->kind == EXPECT_VERDICT
					  ? find_row(rows, s.attack, s.profile, requested)
					  : it;
			if (row)
				json_object_set_new(f, "parity", json_string(str(row, "status")));
			if (json_object_get(it, "reproduce"))
				json_object_set(f, "reproduce", json_object_get(it, "reproduce"));
			json_array_append_new(failing, f);
		}
	}
	status = !judged ? "untested" : held == judged ? "holds" : "fails";
	return json_pack("{s:O,s:s,s:i,s:i,s:i,s:o}", "abi", abi, "status", status, "matching",
			 (int)matching, "judged", (int)judged, "held", (int)held, "failing",
			 failing);
}

static void eval_claims(struct eval *ev, json_t *results, json_t *cells, json_t *rows)
{
	json_t *claims = json_object_get(ev->x, "claims");
	json_t *abis = json_object_get(json_object_get(results, "run"), "abis");

	for (size_t i = 0; i < ev->nsets; i++) {
		if (strcmp(ev->sets[i].name, EXPECT_CLAIMS_SET) != 0)
			continue;
		for (size_t j = 0; j < ev->sets[i].n; j++) {
			const struct expect_entry *en = &ev->sets[i].entries[j];
			json_t *per = json_array(), *abi;
			size_t k;
			json_t *c = json_pack(
			    "{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "set", ev->sets[i].name, "entry",
			    en->id, "title", en->title[0] ? en->title : en->id, "kind",
			    en->kind == EXPECT_VERDICT ? "verdict" : "parity", "expected",
			    en->kind == EXPECT_VERDICT
				? expect_verdict_name((enum expect_verdict)en->expected)
				: parity_status_name((enum parity_status)en->expected),
			    "rationale", en->rationale, "reference", en->reference);
			{
				char prof[256] = "";
				for (size_t q = 0; q < en->nprofiles; q++) {
					if (q)
						strncat(prof, ", ",
							sizeof(prof) - strlen(prof) - 1);
					strncat(prof, en->profiles[q],
						sizeof(prof) - strlen(prof) - 1);
				}
				json_object_set_new(c, "profile", json_string(prof));
			}
			if (json_object_get(en->src, "stated"))
				json_object_set(c, "stated", json_object_get(en->src, "stated"));
			json_array_foreach (abis, k, abi)
				json_array_append_new(per, claim_at_abi(ev, en, cells, rows, abi));
			json_object_set_new(c, "per_abi", per);
			json_array_append_new(claims, c);
		}
		break;
	}
}

int expect_evaluate(json_t *results, struct perr *e)
{
	struct eval ev;
	json_t *x = json_object_get(results, "expectations");
	json_t *sets = json_object_get(x, "sets"), *s;
	json_t *cells = json_object_get(results, "cells");
	json_t *rows = json_object_get(results, "parity");
	size_t i;
	int rc = -1;

	memset(&ev, 0, sizeof(ev));
	if (!json_is_object(x) || !json_is_array(cells) || !json_is_array(rows))
		return perr_usage(e, "results: missing 'expectations', 'cells' or 'parity'");
	ev.x = x;
	ev.sets = calloc(json_array_size(sets) + 1, sizeof(*ev.sets));
	ev.use = calloc(json_array_size(sets) + 1, sizeof(*ev.use));
	if (!ev.sets || !ev.use)
		goto out;
	json_array_foreach (sets, i, s) {
		if (expect_set_from_results(s, i, &ev.sets[i], e) < 0)
			goto out;
		ev.nsets = i + 1;
		ev.use[i] = calloc(ev.sets[i].n + 1, sizeof(**ev.use));
		if (!ev.use[i])
			goto out;
	}
	expect_facts_from_probe(json_object_get(results, "probe"), &ev.facts);
	json_object_set_new(x, "regressions", json_array());
	json_object_set_new(x, "improvements", json_array());
	json_object_set_new(x, "changed", json_array());
	json_object_set_new(x, "unused", json_array());
	json_object_set_new(x, "claims", json_array());
	eval_cells(&ev, cells);
	eval_rows(&ev, rows);
	eval_unused(&ev);
	eval_claims(&ev, results, cells, rows);
	rc = 0;
out:
	for (i = 0; i < ev.nsets; i++) {
		expect_set_free(&ev.sets[i]);
		free(ev.use[i]);
	}
	free(ev.sets);
	free(ev.use);
	if (rc < 0 && !e->msg[0])
		perr_sys(e, 12, "expectations");
	return rc;
}
