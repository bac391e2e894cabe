/* expect.c - expectation sets: parsing and validation, every error naming
 * the file and the field; the shipped sets (expect.h). */
#include "expect.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attack.h"
#include "jsonutil.h"
#include "parity.h"
#include "probe.h"
#include "profile.h"
#include "util.h"

const char *const expect_default_sets[] = {"baseline", "known-gaps", NULL};

static const char *const verdict_names[] = {"BLOCKED", "KILLED", "CONTAINED", "ESCAPED", "N/A"};

const char *expect_verdict_name(enum expect_verdict v)
{
	return v <= EV_NA ? verdict_names[v] : "?";
}

int expect_verdict_parse(const char *s, enum expect_verdict *v)
{
	for (int i = 0; i <= EV_NA; i++) {
		if (strcmp(s, verdict_names[i]) == 0) {
			*v = (enum expect_verdict)i;
			return 0;
		}
	}
	return -1;
}

/* ---- parsing ---- */

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		abort();
	return d;
}

/* A string or an array of non-empty strings into list[]. */
static int get_strings(json_t *obj, const char *key, char **list, size_t *n, size_t max,
		       const char *file, const char *where, struct perr *e)
{
	json_t *v = json_object_get(obj, key), *it;
	size_t i;

	*n = 0;
	if (!v)
		return 0;
	if (json_is_string(v)) {
		if (!json_string_length(v))
			return perr_usage(e, "%s: field '%s.%s': empty string", file, where, key);
		list[(*n)++] = xstrdup(json_string_value(v));
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > max)
		return perr_usage(
		    e, "%s: field '%s.%s': expected a string or an array of 1 to %zu strings", file,
		    where, key, max);
	json_array_foreach (v, i, it) {
		if (!json_is_string(it) || !json_string_length(it))
			return perr_usage(e, "%s: field '%s.%s[%zu]': expected a non-empty string",
					  file, where, key, i);
		list[(*n)++] = xstrdup(json_string_value(it));
	}
	return 0;
}

static int get_errata(json_t *when, const char *key, unsigned *mask, const char *file,
		      const char *where, struct perr *e)
{
	json_t *v = json_object_get(when, key), *it;
	size_t i;

	*mask = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v) && (!json_is_array(v) || json_array_size(v) == 0))
		return perr_usage(e,
				  "%s: field '%s.%s': expected an erratum id or an array of them",
				  file, where, key);
	for (i = 0; i < (json_is_array(v) ? json_array_size(v) : 1); i++) {
		it = json_is_array(v) ? json_array_get(v, i) : v;
		if (!json_is_integer(it) || json_integer_value(it) < 1 ||
		    json_integer_value(it) > 32) {
			char idx[24] = "";
			if (json_is_array(v))
				snprintf(idx, sizeof(idx), "[%zu]", i);
			return perr_usage(e,
					  "%s: field '%s.%s%s': expected an erratum id 1..32 (bit "
					  "id-1 of the errata mask)",
					  file, where, key, idx);
		}
		*mask |= 1U << (json_integer_value(it) - 1);
	}
	return 0;
}

static bool feature_known(const char *path)
{
	for (size_t i = 0; i < probe_feature_count(); i++)
		if (strcmp(probe_feature_desc_at(i)->path, path) == 0)
			return true;
	return false;
}

static int parse_when(json_t *when, struct expect_entry *en, const char *file, const char *where,
		      struct perr *e)
{
	static const char *const keys[] = {"landlock_abi",   "errata_fixed", "errata_unfixed",
					   "kernel_release", "features",     NULL};
	char w[128];
	json_t *v;

	snprintf(w, sizeof(w), "%s.when", where);
	if (!json_is_object(when))
		return perr_usage(e, "%s: field '%s': expected an object", file, w);
	if (json_check_keys(when, keys, file, w, e) < 0)
		return -1;
	v = json_object_get(when, "landlock_abi");
	if (v) {
		char buf[24];
		if (json_is_integer(v))
			snprintf(buf, sizeof(buf), "%lld", json_integer_value(v));
		else if (json_is_string(v))
			snprintf(buf, sizeof(buf), "%s", json_string_value(v));
		else
			buf[0] = 0;
		if (expect_range_parse(buf, &en->kernel_abi) < 0)
			return perr_usage(
			    e,
			    "%s: field '%s.landlock_abi': expected an ABI range (\"any\", "
			    "\"4\", \">=4\", \"<6\", \"3-6\")",
			    file, w);
		en->has_kernel_abi = true;
	}
	if (get_errata(when, "errata_fixed", &en->errata_fixed, file, w, e) < 0 ||
	    get_errata(when, "errata_unfixed", &en->errata_unfixed, file, w, e) < 0)
		return -1;
	if (en->errata_fixed & en->errata_unfixed)
		return perr_usage(
		    e,
		    "%s: field '%s.errata_unfixed': an erratum cannot be both fixed and "
		    "unfixed",
		    file, w);
	v = json_object_get(when, "kernel_release");
	if (v) {
		if (!json_is_string(v) ||
		    expect_release_cond_parse(json_string_value(v), &en->release_cmp,
					      &en->release) < 0)
			return perr_usage(
			    e,
			    "%s: field '%s.kernel_release': expected a comparison with a "
			    "kernel release, e.g. \"<7.2-rc4\" or \">=6.12\"",
			    file, w);
		en->has_release = true;
		snprintf(en->release_text, sizeof(en->release_text), "%s", json_string_value(v));
	}
	v = json_object_get(when, "features");
	if (v) {
		const char *path;
		json_t *st;
		if (!json_is_object(v) || json_object_size(v) == 0 ||
		    json_object_size(v) > EXPECT_MAX_FEATURES)
			return perr_usage(
			    e,
			    "%s: field '%s.features': expected an object of 1 to %d probe "
			    "features, e.g. {\"protocols.mptcp\": \"yes\"}",
			    file, w, EXPECT_MAX_FEATURES);
		json_object_foreach (v, path, st) {
			const char *s = json_string_value(st);
			if (!feature_known(path))
				return perr_usage(
				    e,
				    "%s: field '%s.features.%s': unknown probe feature "
				    "(see docs/probe.md)",
				    file, w, path);
			if (!s || (strcmp(s, "yes") && strcmp(s, "no") && strcmp(s, "not_probed") &&
				   strcmp(s, "error")))
				return perr_usage(
				    e,
				    "%s: field '%s.features.%s': expected \"yes\", \"no\", "
				    "\"not_probed\" or \"error\"",
				    file, w, path);
			en->feature_path[en->nfeatures] = xstrdup(path);
			en->feature_state[en->nfeatures++] = xstrdup(s);
		}
	}
	return 0;
}

/* A key of 'stated': a shipped profile, or one the entry selects. */
static bool stated_key_known(const struct expect_entry *en, const char *k)
{
	for (size_t i = 0; profile_shipped[i]; i++)
		if (strcmp(profile_shipped[i], k) == 0)
			return true;
	for (size_t i = 0; i < en->nprofiles; i++)
		if (fnmatch(en->profiles[i], k, 0) == 0)
			return true;
	return false;
}

static int parse_reference(json_t *obj, struct expect_entry *en, const char *file,
			   const char *where, struct perr *e)
{
	json_t *v = json_object_get(obj, "reference"), *it;
	size_t i, len = 0;

	if (!v)
		return perr_usage(e, "%s: field '%s.reference': required field is missing", file,
				  where);
	if (json_is_string(v)) {
		if (!json_string_length(v))
			return perr_usage(e, "%s: field '%s.reference': empty string", file, where);
		en->reference = xstrdup(json_string_value(v));
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0)
		return perr_usage(
		    e, "%s: field '%s.reference': expected a string or an array of strings", file,
		    where);
	json_array_foreach (v, i, it) {
		if (!json_is_string(it) || !json_string_length(it))
			return perr_usage(
			    e, "%s: field '%s.reference[%zu]': expected a non-empty string", file,
			    where, i);
		len += json_string_length(it) + 2;
	}
	en->reference = calloc(1, len + 1);
	if (!en->reference)
		abort();
	json_array_foreach (v, i, it) {
		if (i)
			strcat(en->reference, "; ");
		strcat(en->reference, json_string_value(it));
	}
	return 0;
}

static int parse_entry(json_t *obj, size_t idx, const char *file, struct expect_entry *en,
		       struct perr *e)
{
	static const char *const keys[] = {"id",	"title",  "attacks", "family", "profile",
					   "abi",	"when",	  "verdict", "parity", "rationale",
					   "reference", "stated", "note",    NULL};
	char where[48];
	const char *s = NULL;
	json_t *v;

	snprintf(where, sizeof(where), "entries[%zu]", idx);
	memset(en, 0, sizeof(*en));
	if (!json_is_object(obj))
		return perr_usage(e, "%s: field '%s': expected an object", file, where);
	en->src = json_incref(obj);
	if (json_check_keys(obj, keys, file, where, e) < 0)
		return -1;
	if (json_get_str(obj, "id", false, &s, file, where, e) < 0)
		return -1;
	if (s && (!*s || strlen(s) >= sizeof(en->id)))
		return perr_usage(e, "%s: field '%s.id': expected 1 to %zu characters", file, where,
				  sizeof(en->id) - 1);
	snprintf(en->id, sizeof(en->id), "%s", s ? s : where);
	s = NULL;
	if (json_get_str(obj, "title", false, &s, file, where, e) < 0)
		return -1;
	snprintf(en->title, sizeof(en->title), "%s", s ? s : "");
	util_utf8_trim(en->title);

	if (get_strings(obj, "attacks", en->attacks, &en->nattacks, EXPECT_MAX_GLOBS, file, where,
			e) < 0 ||
	    get_strings(obj, "family", en->families, &en->nfamilies, EXPECT_MAX_GLOBS, file, where,
			e) < 0)
		return -1;
	for (size_t i = 0; i < en->nfamilies; i++) {
		enum attack_family f;
		if (attack_family_parse(en->families[i], &f) < 0)
			return perr_usage(
			    e,
			    "%s: field '%s.family': unknown family '%s' (tcp, udp, dns, "
			    "abstract, signal, escape, notify)",
			    file, where, en->families[i]);
	}
	if (!en->nattacks && !en->nfamilies)
		return perr_usage(e,
				  "%s: field '%s.attacks': an entry needs 'attacks' (id globs, "
				  "\"*\" for all) or 'family'",
				  file, where);

	if (!json_object_get(obj, "profile"))
		return perr_usage(e, "%s: field '%s.profile': required field is missing", file,
				  where);
	if (get_strings(obj, "profile", en->profiles, &en->nprofiles, EXPECT_MAX_GLOBS, file, where,
			e) < 0)
		return -1;

	v = json_object_get(obj, "abi");
	if (!v) {
		expect_range_parse("any", &en->abi);
	} else {
		char buf[24];
		if (json_is_integer(v))
			snprintf(buf, sizeof(buf), "%lld", json_integer_value(v));
		else if (json_is_string(v))
			snprintf(buf, sizeof(buf), "%s", json_string_value(v));
		else
			buf[0] = 0;
		if (expect_range_parse(buf, &en->abi) < 0)
			return perr_usage(e,
					  "%s: field '%s.abi': expected an ABI range (\"any\", 4, "
					  "\">=4\", \"<6\", \"3-6\")",
					  file, where);
	}
	v = json_object_get(obj, "when");
	if (v && parse_when(v, en, file, where, e) < 0)
		return -1;

	if (json_object_get(obj, "verdict") && json_object_get(obj, "parity"))
		return perr_usage(e,
				  "%s: field '%s.parity': an entry expects a verdict or a parity "
				  "status, not both",
				  file, where);
	if (json_object_get(obj, "verdict")) {
		enum expect_verdict ev;
		s = json_string_value(json_object_get(obj, "verdict"));
		if (!s || expect_verdict_parse(s, &ev) < 0)
			return perr_usage(
			    e,
			    "%s: field '%s.verdict': expected BLOCKED, KILLED, CONTAINED, "
			    "ESCAPED or N/A",
			    file, where);
		en->kind = EXPECT_VERDICT;
		en->expected = (int)ev;
	} else if (json_object_get(obj, "parity")) {
		enum parity_status ps;
		s = json_string_value(json_object_get(obj, "parity"));
		if (!s || parity_status_parse(s, &ps) < 0)
			return perr_usage(e,
					  "%s: field '%s.parity': expected PARITY, GAP, REVERSE, "
					  "BOTH-ESCAPE or N/A",
					  file, where);
		for (size_t i = 0; i < en->nprofiles; i++)
			if (strcmp(en->profiles[i], PARITY_REFERENCE_PROFILE) == 0 ||
			    strcmp(en->profiles[i], PARITY_CONTROL_PROFILE) == 0)
				return perr_usage(
				    e,
				    "%s: field '%s.profile': parity rows compare a profile "
				    "with namespace; '%s' has none",
				    file, where, en->profiles[i]);
		en->kind = EXPECT_PARITY;
		en->expected = (int)ps;
	} else {
		return perr_usage(e, "%s: field '%s.verdict': an entry needs 'verdict' or 'parity'",
				  file, where);
	}

	s = NULL;
	if (json_get_str(obj, "rationale", true, &s, file, where, e) < 0)
		return -1;
	if (!*s)
		return perr_usage(e, "%s: field '%s.rationale': empty: say why", file, where);
	en->rationale = xstrdup(s);
	if (parse_reference(obj, en, file, where, e) < 0)
		return -1;
	v = json_object_get(obj, "stated");
	if (v) {
		const char *k;
		json_t *it;
		if (!json_is_object(v))
			return perr_usage(e, "%s: field '%s.stated': expected an object of strings",
					  file, where);
		json_object_foreach (v, k, it) {
			if (!json_is_string(it))
				return perr_usage(e, "%s: field '%s.stated.%s': expected a string",
						  file, where, k);
			/* Reports look a statement up by profile name: a key
			 * that names none would vanish from them unseen. */
			if (!stated_key_known(en, k))
				return perr_usage(e,
						  "%s: field '%s.stated.%s': not a profile (a "
						  "shipped one or one of the entry's 'profile')",
						  file, where, k);
		}
	}
	v = json_object_get(obj, "note");
	if (v && !json_is_string(v))
		return perr_usage(e, "%s: field '%s.note': expected a string", file, where);
	return 0;
}

static void entry_free(struct expect_entry *en)
{
	for (size_t i = 0; i < en->nattacks; i++)
		free(en->attacks[i]);
	for (size_t i = 0; i < en->nfamilies; i++)
		free(en->families[i]);
	for (size_t i = 0; i < en->nprofiles; i++)
		free(en->profiles[i]);
	for (size_t i = 0; i < en->nfeatures; i++) {
		free(en->feature_path[i]);
		free(en->feature_state[i]);
	}
	free(en->rationale);
	free(en->reference);
	json_decref(en->src);
	memset(en, 0, sizeof(*en));
}

void expect_set_free(struct expect_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		entry_free(&s->entries[i]);
	free(s->entries);
	memset(s, 0, sizeof(*s));
}

int expect_set_parse(json_t *root, const char *file, bool gating, struct expect_set *s,
		     struct perr *e)
{
	static const char *const keys[] = {"schema", "name", "description", "entries", NULL};
	const char *str = NULL;
	json_t *entries, *it;
	size_t i;

	memset(s, 0, sizeof(*s));
	snprintf(s->file, sizeof(s->file), "%s", file);
	s->gating = gating;
	if (!json_is_object(root))
		return perr_usage(e, "%s: expected a JSON object", file);
	if (json_check_keys(root, keys, file, "", e) < 0)
		return -1;
	if (json_get_str(root, "schema", true, &str, file, "", e) < 0)
		return -1;
	if (strcmp(str, EXPECT_SCHEMA) != 0)
		return perr_usage(e, "%s: field 'schema': expected \"%s\", got \"%s\"", file,
				  EXPECT_SCHEMA, str);
	if (json_get_str(root, "name", true, &str, file, "", e) < 0)
		return -1;
	if (!*str || strlen(str) >= sizeof(s->name) || strpbrk(str, " /\t\n"))
		return perr_usage(
		    e, "%s: field 'name': expected a short name without spaces or '/'", file);
	snprintf(s->name, sizeof(s->name), "%s", str);
	str = NULL;
	if (json_get_str(root, "description", false, &str, file, "", e) < 0)
		return -1;
	snprintf(s->description, sizeof(s->description), "%s", str ? str : "");
	util_utf8_trim(s->description);
	if (json_get_array(root, "entries", true, &entries, file, "", e) < 0)
		return -1;
	s->entries = calloc(json_array_size(entries) + 1, sizeof(*s->entries));
	if (!s->entries)
		return perr_sys(e, ENOMEM, "expectations");
	json_array_foreach (entries, i, it) {
		int rc = parse_entry(it, i, file, &s->entries[i], e);
		s->n = i + 1;
		if (rc < 0) {
			expect_set_free(s);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(s->entries[j].id, s->entries[i].id) == 0) {
				perr_usage(e,
					   "%s: field 'entries[%zu].id': '%s' is already the id of "
					   "entries[%zu]",
					   file, i, s->entries[i].id, j);
				expect_set_free(s);
				return -1;
			}
		}
	}
	return 0;
}

int expect_set_load(const char *path, bool gating, struct expect_set *s, struct perr *e)
{
	json_t *root = json_load_path(path, e);
	int rc;

	memset(s, 0, sizeof(*s));
	if (!root)
		return -1;
	rc = expect_set_parse(root, path, gating, s, e);
	json_decref(root);
	return rc;
}

json_t *expect_set_json(const struct expect_set *s)
{
	json_t *entries = json_array();
	for (size_t i = 0; i < s->n; i++)
		json_array_append(entries, s->entries[i].src);
	return json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", s->name, "file", s->file, "gating",
			 s->gating, "description", s->description, "entries", entries);
}

int expect_set_from_results(json_t *j, size_t index, struct expect_set *s, struct perr *e)
{
	const char *file = json_string_value(json_object_get(j, "file"));
	json_t *root = json_object(), *desc = json_object_get(j, "description");
	char label[sizeof(s->file) + 96];
	int rc;

	if (!file || !json_is_array(json_object_get(j, "entries"))) {
		json_decref(root);
		return perr_usage(
		    e, "field 'expectations.sets[%zu]': a set without file or entries", index);
	}
	/* Errors name the set where it is, inside the results, and where it
	 * came from: the file it was read from may be fine, or gone. */
	snprintf(label, sizeof(label), "field 'expectations.sets[%zu]' (the set kept from %s)",
		 index, file);
	util_utf8_trim(label);
	if (!root || json_object_set_new(root, "schema", json_string(EXPECT_SCHEMA)) < 0 ||
	    (json_object_get(j, "name") &&
	     json_object_set(root, "name", json_object_get(j, "name")) < 0) ||
	    json_object_set_new(root, "description", desc ? json_incref(desc) : json_string("")) <
		0 ||
	    json_object_set(root, "entries", json_object_get(j, "entries")) < 0) {
		json_decref(root);
		return perr_sys(e, ENOMEM, "%s", label);
	}
	rc = expect_set_parse(root, label, json_is_true(json_object_get(j, "gating")), s, e);
	if (rc == 0)
		snprintf(s->file, sizeof(s->file), "%s", file);
	json_decref(root);
	return rc;
}

/* ---- where the shipped sets are ---- */

const char *expect_dir(void)
{
	static char dir[PATH_MAX];
#ifdef PARITY_SOURCE_ROOT
	return util_data_dir("PARITY_EXPECT_DIR", "matrix/expectations", dir, PARITY_SOURCE_ROOT);
#else
	return util_data_dir("PARITY_EXPECT_DIR", "matrix/expectations", dir, NULL);
#endif
}
