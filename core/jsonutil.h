/* jsonutil.h - reading configuration JSON (profiles, policies, expectations)
 * with errors that name the file and the field, and small writers.
 *
 * A `struct jfield` names where a value came from ("profiles/x.json",
 * "landlock.net.connect_tcp[0]") so every error message is actionable.
 */
#ifndef PARITY_JSONUTIL_H
#define PARITY_JSONUTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

/* Load a JSON file; on a syntax error the message names file:line:column. */
json_t *json_load_path(const char *path, struct perr *e);

/* Reject keys of `obj` not in the NULL-terminated `allowed` list, so a typo
 * in a profile is an error rather than a silently ignored field. */
int json_check_keys(json_t *obj, const char *const *allowed, const char *file, const char *where,
		    struct perr *e);

/* Typed getters. `required` false: a missing key leaves *out untouched and
 * returns 0. Type or range errors return -1 with a usage error naming
 * file and "where.key". */
int json_get_bool(json_t *obj, const char *key, bool required, bool *out, const char *file,
		  const char *where, struct perr *e);
int json_get_int(json_t *obj, const char *key, bool required, long long min, long long max,
		 long long *out, const char *file, const char *where, struct perr *e);
/* Returns a borrowed pointer valid while obj lives. */
int json_get_str(json_t *obj, const char *key, bool required, const char **out, const char *file,
		 const char *where, struct perr *e);
int json_get_array(json_t *obj, const char *key, bool required, json_t **out, const char *file,
		   const char *where, struct perr *e);
int json_get_object(json_t *obj, const char *key, bool required, json_t **out, const char *file,
		    const char *where, struct perr *e);

/* Dump compactly / indented into a malloc'd string. */
char *json_to_string(json_t *v, bool pretty);
/* A JSON string of at most max bytes of s (n bytes), always valid UTF-8:
 * an invalid byte becomes U+FFFD, and the cut falls between characters.
 * Text a program under test wrote: json_stringn_nocheck of such bytes made
 * json_dumps fail (NULL), and the report with it. */
json_t *json_text(const char *s, size_t n, size_t max);
/* Write v to path (pretty, trailing newline). */
int json_write_path(json_t *v, const char *path, struct perr *e);

#endif
