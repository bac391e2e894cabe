/* parity.c - parity rows from the cells of a results document (parity.h). */
#include "parity.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static const char *const names[] = {"PARITY", "GAP", "REVERSE", "BOTH-ESCAPE", "N/A"};

const char *parity_status_name(enum parity_status s)
{
	return s <= PS_NA ? names[s] : "?";
}

int parity_status_parse(const char *s, enum parity_status *out)
{
	for (int i = 0; i <= PS_NA; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum parity_status)i;
			return 0;
		}
	}
	return -1;
}

bool verdict_contained(enum verdict v)
{
	return v == V_BLOCKED || v == V_KILLED;
}

static bool unjudged(enum verdict v)
{
	return v == V_NA || v == V_INCONCLUSIVE;
}

enum parity_status parity_of(enum verdict reference, enum verdict profile, const char *profile_name,
			     char *why, size_t len)
{
	if (why && len)
		why[0] = 0;
	if (unjudged(reference) || unjudged(profile)) {
		if (why && unjudged(reference) && unjudged(profile))
			snprintf(why, len, "%s %s, %s %s", PARITY_REFERENCE_PROFILE,
				 verdict_name(reference), profile_name, verdict_name(profile));
		else if (why && unjudged(reference))
			snprintf(why, len, "%s %s", PARITY_REFERENCE_PROFILE,
				 verdict_name(reference));
		else if (why)
			snprintf(why, len, "%s %s", profile_name, verdict_name(profile));
		return PS_NA;
	}
	if (verdict_contained(reference))
		return verdict_contained(profile) ? PS_PARITY : PS_GAP;
	return verdict_contained(profile) ? PS_REVERSE : PS_BOTH_ESCAPE;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static bool same_abi(json_t *a, json_t *b)
{
	json_t *ra = json_object_get(json_object_get(a, "abi"), "requested");
	json_t *rb = json_object_get(json_object_get(b, "abi"), "requested");
	return json_is_integer(ra) && json_is_integer(rb) &&
	       json_integer_value(ra) == json_integer_value(rb);
}

static json_t *find_reference(json_t *cells, json_t *cell)
{
	size_t i;
	json_t *c;
	json_array_foreach (cells, i, c) {
		if (strcmp(str(c, "profile"), PARITY_REFERENCE_PROFILE) == 0 &&
		    strcmp(str(c, "attack"), str(cell, "attack")) == 0 && same_abi(c, cell))
			return c;
	}
	return NULL;
}

json_t *parity_rows(json_t *cells)
{
	json_t *rows = json_array(), *c;
	size_t i;

	json_array_foreach (cells, i, c) {
		const char *prof = str(c, "profile");
		json_t *ref, *row;
		enum verdict vr, vp;
		enum parity_status st;
		char why[160], id[256];

		if (strcmp(prof, PARITY_REFERENCE_PROFILE) == 0 ||
		    strcmp(str(c, "role"), "control") == 0 ||
		    !json_is_integer(json_object_get(json_object_get(c, "abi"), "requested")))
			continue;
		ref = find_reference(cells, c);
		if (!ref)
			continue;
		if (verdict_parse(str(ref, "verdict"), &vr) < 0 ||
		    verdict_parse(str(c, "verdict"), &vp) < 0)
			continue;
		st = parity_of(vr, vp, prof, why, sizeof(why));
		snprintf(id, sizeof(id), "%s vs %s", str(c, "id"), PARITY_REFERENCE_PROFILE);
		util_utf8_trim(id);
		util_utf8_trim(why);
		row = json_pack("{s:s,s:s,s:s,s:O,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", id, "attack",
				str(c, "attack"), "family", str(c, "family"), "abi",
				json_object_get(c, "abi"), "profile", prof, "reference",
				PARITY_REFERENCE_PROFILE, "status", parity_status_name(st),
				"profile_verdict", verdict_name(vp), "reference_verdict",
				verdict_name(vr), "profile_cell", str(c, "id"), "reference_cell",
				str(ref, "id"));
		if (st == PS_NA)
			json_object_set_new(row, "na_reason", json_string(why));
		json_array_append_new(rows, row);
	}
	return rows;
}
