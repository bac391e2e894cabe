#include "jsonutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

json_t *json_load_path(const char *path, struct perr *e)
{
	json_error_t je;
	struct stat st;
	json_t *v;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		perr_usage(e, "%s: a directory, not a JSON file", path);
		return NULL;
	}
	v = json_load_file(path, JSON_REJECT_DUPLICATES, &je);

	if (!v) {
		if (je.line < 1)
			perr_usage(e, "%s: %s", path, je.text);
		else
			perr_usage(e, "%s:%d:%d: %s", path, je.line, je.column, je.text);
	}
	return v;
}

static void field_name(char *buf, size_t len, const char *where, const char *key)
{
	if (where && *where)
		snprintf(buf, len, "%s.%s", where, key);
	else
		snprintf(buf, len, "%s", key);
}

int json_check_keys(json_t *obj, const char *const *allowed, const char *file, const char *where,
		    struct perr *e)
{
	const char *key;
	json_t *val;

	json_object_foreach (obj, key, val) {
		bool ok = false;
		(void)val;
		for (size_t i = 0; allowed[i]; i++)
			ok |= strcmp(allowed[i], key) == 0;
		if (!ok) {
			char f[256];
			field_name(f, sizeof(f), where, key);
			return perr_usage(e, "%s: field '%s': unknown field", file, f);
		}
	}
	return 0;
}

static json_t *lookup(json_t *obj, const char *key, bool required, const char *file,
		      const char *where, struct perr *e, int *rc)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	*rc = 0;
	if (!v && required) {
		char f[256];
		field_name(f, sizeof(f), where, key);
		*rc = perr_usage(e, "%s: field '%s': required field is missing", file, f);
	}
	return v;
}

static int type_error(const char *file, const char *where, const char *key, const char *want,
		      struct perr *e)
{
	char f[256];
	field_name(f, sizeof(f), where, key);
	return perr_usage(e, "%s: field '%s': expected %s", file, f, want);
}

int json_get_bool(json_t *obj, const char *key, bool required, bool *out, const char *file,
		  const char *where, struct perr *e)
{
	int rc;
	json_t *v = lookup(obj, key, required, file, where, e, &rc);
	if (!v)
		return rc;
	if (!json_is_boolean(v))
		return type_error(file, where, key, "true or false", e);
	*out = json_is_true(v);
	return 0;
}

int json_get_int(json_t *obj, const char *key, bool required, long long min, long long max,
		 long long *out, const char *file, const char *where, struct perr *e)
{
	int rc;
	json_t *v = lookup(obj, key, required, file, where, e, &rc);
	if (!v)
		return rc;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		char want[96];
		snprintf(want, sizeof(want), "an integer in [%lld, %lld]", min, max);
		return type_error(file, where, key, want, e);
	}
	*out = json_integer_value(v);
	return 0;
}

int json_get_str(json_t *obj, const char *key, bool required, const char **out, const char *file,
		 const char *where, struct perr *e)
{
	int rc;
	json_t *v = lookup(obj, key, required, file, where, e, &rc);
	if (!v)
		return rc;
	if (!json_is_string(v))
		return type_error(file, where, key, "a string", e);
	*out = json_string_value(v);
	return 0;
}

int json_get_array(json_t *obj, const char *key, bool required, json_t **out, const char *file,
		   const char *where, struct perr *e)
{
	int rc;
	json_t *v = lookup(obj, key, required, file, where, e, &rc);
	if (!v)
		return rc;
	if (!json_is_array(v))
		return type_error(file, where, key, "an array", e);
	*out = v;
	return 0;
}

int json_get_object(json_t *obj, const char *key, bool required, json_t **out, const char *file,
		    const char *where, struct perr *e)
{
	int rc;
	json_t *v = lookup(obj, key, required, file, where, e, &rc);
	if (!v)
		return rc;
	if (!json_is_object(v))
		return type_error(file, where, key, "an object", e);
	*out = v;
	return 0;
}

/* The length of the valid UTF-8 sequence at p (at most left bytes), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];
	size_t n;
	unsigned lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

json_t *json_text(const char *s, size_t n, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cap = (n < max ? n : max) * 3 + 1, o = 0;
	char *buf = malloc(cap);
	json_t *j;

	if (!buf)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(p + i, n - i);
		size_t add = k ? k : 3;
		if (o + add > max)
			break;
		if (k) {
			memcpy(buf + o, p + i, k);
			i += k;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			i++;
		}
		o += add;
	}
	j = json_stringn_nocheck(buf, o);
	free(buf);
	return j;
}

char *json_to_string(json_t *v, bool pretty)
{
	return json_dumps(v, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
}

int json_write_path(json_t *v, const char *path, struct perr *e)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return perr_sys(e, errno, "write %s", path);
	if (json_dumpf(v, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 || fputc('\n', f) == EOF) {
		int err = errno;
		fclose(f);
		return perr_sys(e, err, "write %s", path);
	}
	if (fclose(f) != 0)
		return perr_sys(e, errno, "write %s", path);
	return 0;
}
