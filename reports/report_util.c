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

static bool abi_matches(json_t *cell, const struct rcol *c)
{
	json_t *req = json_object_get(json_object_get(cell, "abi"), "requested");
	if (c->abi_index < 0)
		return !json_is_integer(req);
	return json_is_integer(req) &&
	       json_integer_value(req) == json_integer_value(json_object_get(c->abi, "requested"));
}

json_t *report_cell(json_t *r, const char *attack, const struct rcol *c)
{
	size_t i;
	json_t *cell;
	json_array_foreach (json_object_get(r, "cells"), i, cell) {
		if (strcmp(rs(cell, "attack"), attack) != 0)
			continue;
		if (c->abi_index < 0 ? strcmp(rs(cell, "role"), "control") != 0
				     : strcmp(rs(cell, "profile"), c->profile) != 0)
			continue;
		if (abi_matches(cell, c))
			return cell;
	}
	return NULL;
}

json_t *report_row(json_t *r, const char *attack, const char *profile, json_t *abi)
{
	size_t i;
	json_t *row;
	json_array_foreach (json_object_get(r, "parity"), i, row) {
		if (strcmp(rs(row, "attack"), attack) == 0 &&
		    strcmp(rs(row, "profile"), profile) == 0 &&
		    json_equal(json_object_get(json_object_get(row, "abi"), "requested"),
			       json_object_get(abi, "requested")))
			return row;
	}
	return NULL;
}

static const char *family_of(json_t *r, const char *attack)
{
	size_t i;
	json_t *c;
	json_array_foreach (json_object_get(r, "cells"), i, c) {
		if (strcmp(rs(c, "attack"), attack) == 0)
			return rs(c, "family");
	}
	return "";
}

const char *report_attack_title(json_t *r, const char *attack)
{
	size_t i;
	json_t *c;
	json_array_foreach (json_object_get(r, "cells"), i, c) {
		if (strcmp(rs(c, "attack"), attack) == 0)
			return rs(c, "title");
	}
	return "";
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
