/* report_util.c - helpers the writers share (report_util.h). */
#include "report_util.h"

#include <stdio.h>
#include <string.h>

#include "attack.h"

const char *rs(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

long long ri(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

size_t report_columns(json_t *r, struct rcol *cols, size_t max)
{
	json_t *run = json_object_get(r, "run");
	json_t *profiles = json_object_get(run, "profiles"), *abis = json_object_get(run, "abis");
	size_t n = 0, i, j;
	json_t *p, *a;

	if (n < max)
		cols[n++] = (struct rcol){"none", -1, NULL};
	json_array_foreach (profiles, i, p) {
		const char *name = json_string_value(p);
		if (!name || strcmp(name, "none") == 0)
			continue;
		json_array_foreach (abis, j, a) {
			if (n < max)
				cols[n++] = (struct rcol){name, (long)j, a};
		}
	}
	return n;
}

void report_abi_label(json_t *abi, bool long_form, char *buf, size_t len)
{
	long long req = ri(abi, "requested");
	if (!abi) {
		snprintf(buf, len, "control");
		return;
	}
	if (!long_form)
		snprintf(buf, len, "ABI %lld", req);
	else if (json_is_true(json_object_get(abi, "kernel")))
		snprintf(buf, len, "ABI %lld (kernel)", req);
	else
		snprintf(buf, len, "ABI %lld (emulated)", req);
}

/* The lookups below, made once per document instead of a walk of every
 * cell or row per question (a report asks one per attack and column: the
 * walks made rendering quadratic, 5 s for 2478 cells, minutes for 40 000).
 * The index holds a reference to its document, so that no other document
 * can take its address; it is rebuilt when asked about another one, or
 * when the cells or parity arrays were replaced or resized. */
static struct {
	json_t *r, *cells_arr, *rows_arr;
	size_t ncells, nrows;
	json_t *cells;	 /* "attack|profile|abi" (profile "control", abi "-") -> cell */
	json_t *attacks; /* attack -> its first cell */
	json_t *rows;	 /* "attack|profile|abi" -> parity row */
	json_t *row_of;	 /* a profile cell's id -> its parity row */
} ix;

static void abi_key(json_t *abi, char *buf, size_t len)
{
	json_t *req = json_object_get(abi, "requested");
	if (json_is_integer(req))
		snprintf(buf, len, "%lld", (long long)json_integer_value(req));
	else
		snprintf(buf, len, "-");
}

static void key3(char *buf, size_t len, const char *a, const char *b, const char *c)
{
	snprintf(buf, len, "%s\x1f%s\x1f%s", a, b, c);
}

static void set_first(json_t *obj, const char *key, json_t *v)
{
	if (!json_object_get(obj, key))
		json_object_set(obj, key, v);
}

static void index_of(json_t *r)
{
	json_t *cells = json_object_get(r, "cells"), *rows = json_object_get(r, "parity"), *c;
	char key[1024], abi[32];
	size_t i;

	if (ix.r == r && ix.cells_arr == cells && ix.rows_arr == rows &&
	    ix.ncells == json_array_size(cells) && ix.nrows == json_array_size(rows))
		return;
	json_decref(ix.cells);
	json_decref(ix.attacks);
	json_decref(ix.rows);
	json_decref(ix.row_of);
	json_decref(ix.r);
	ix.r = json_incref(r);
	ix.cells_arr = cells;
	ix.rows_arr = rows;
	ix.ncells = json_array_size(cells);
	ix.nrows = json_array_size(rows);
	ix.cells = json_object();
	ix.attacks = json_object();
	ix.rows = json_object();
	ix.row_of = json_object();
	json_array_foreach (cells, i, c) {
		bool control = strcmp(rs(c, "role"), "control") == 0;
		json_t *req = json_object_get(json_object_get(c, "abi"), "requested");
		set_first(ix.attacks, rs(c, "attack"), c);
		/* As a column asks: the control has no requested ABI; any
		 * other cell is found by its profile and requested ABI. */
		if (control && !json_is_integer(req))
			key3(key, sizeof(key), rs(c, "attack"), "control", "-");
		else if (json_is_integer(req)) {
			abi_key(json_object_get(c, "abi"), abi, sizeof(abi));
			key3(key, sizeof(key), rs(c, "attack"), rs(c, "profile"), abi);
		} else {
			continue;
		}
		set_first(ix.cells, key, c);
	}
	json_array_foreach (rows, i, c) {
		abi_key(json_object_get(c, "abi"), abi, sizeof(abi));
		key3(key, sizeof(key), rs(c, "attack"), rs(c, "profile"), abi);
		set_first(ix.rows, key, c);
		set_first(ix.row_of, rs(c, "profile_cell"), c);
	}
}

json_t *report_cell(json_t *r, const char *attack, const struct rcol *c)
{
	char key[1024], abi[32];

	index_of(r);
	if (c->abi_index < 0) {
		key3(key, sizeof(key), attack, "control", "-");
	} else {
		if (!json_is_integer(json_object_get(c->abi, "requested")))
			return NULL;
		abi_key(c->abi, abi, sizeof(abi));
		key3(key, sizeof(key), attack, c->profile, abi);
	}
	return json_object_get(ix.cells, key);
}

json_t *report_row(json_t *r, const char *attack, const char *profile, json_t *abi)
{
	char key[1024], a[32];

	index_of(r);
	abi_key(abi, a, sizeof(a));
	key3(key, sizeof(key), attack, profile, a);
	return json_object_get(ix.rows, key);
}

json_t *report_row_of_cell(json_t *r, json_t *cell)
{
	index_of(r);
	return json_object_get(ix.row_of, rs(cell, "id"));
}

static const char *family_of(json_t *r, const char *attack)
{
	index_of(r);
	return rs(json_object_get(ix.attacks, attack), "family");
}

const char *report_attack_title(json_t *r, const char *attack)
{
	index_of(r);
	return rs(json_object_get(ix.attacks, attack), "title");
}

size_t report_family_attacks(json_t *r, const char *family, const char **ids, size_t max)
{
	size_t n = 0, i;
	json_t *a;
	json_array_foreach (json_object_get(json_object_get(r, "run"), "attacks"), i, a) {
		const char *id = json_string_value(a);
		if (id && n < max && strcmp(family_of(r, id), family) == 0)
			ids[n++] = id;
	}
	return n;
}

size_t report_families(json_t *r, const char **names, size_t max)
{
	size_t n = 0;
	const char *one[1];
	for (int f = 0; f < FAM_COUNT && n < max; f++) {
		const char *name = attack_family_name((enum attack_family)f);
		if (report_family_attacks(r, name, one, 1))
			names[n++] = name;
	}
	return n;
}

const char *report_outcome(json_t *item)
{
	const char *o = rs(json_object_get(item, "expectation"), "outcome");
	return *o ? o : "none";
}

const char *report_outcome_mark(const char *outcome)
{
	if (strcmp(outcome, "regression") == 0)
		return "!";
	if (strcmp(outcome, "improvement") == 0)
		return "+";
	if (strcmp(outcome, "changed") == 0)
		return "~";
	return "";
}

void report_kernel_line(json_t *r, char *buf, size_t len)
{
	json_t *probe = json_object_get(r, "probe");
	json_t *ll = json_object_get(probe, "landlock");
	json_t *er = json_object_get(ll, "errata");
	const char *rel = rs(json_object_get(r, "run"), "kernel_release");
	char errata[48];

	if (json_is_true(json_object_get(er, "supported")))
		snprintf(errata, sizeof(errata), "errata 0x%llx", ri(er, "mask"));
	else
		snprintf(errata, sizeof(errata), "no errata query");
	if (strcmp(rs(ll, "status"), "enabled") == 0)
		snprintf(buf, len, "%s (Landlock ABI %lld, %s)", rel, ri(ll, "abi"), errata);
	else
		snprintf(buf, len, "%s (Landlock %s)", rel, rs(ll, "status"));
}

void md_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n' || *s == '\r' || *s == '\t')
			fputc(' ', f);
		else if (*s == '<')
			fputs("&lt;", f);
		else
			fputc(*s, f);
	}
}

void html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

void xml_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 && c != '\n' && c != '\t' && c != '\r')
			fputc('?', f);
		else if (c == 0x7f)
			fputc('?', f);
		else {
			char one[2] = {*s, 0};
			html_text(f, one);
		}
	}
}
