#include "report.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct enf_report {
	json_t *root;
	json_t *entries;
	size_t counts[4];
};

static const char *const status_names[] = {"applied", "skipped", "failed", "info"};

const char *rep_status_name(enum rep_status st)
{
	return st <= REP_INFO ? status_names[st] : "unknown";
}

struct enf_report *report_new(const char *profile_name, const char *profile_path)
{
	struct enf_report *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->root = json_object();
	r->entries = json_array();
	json_object_set_new(r->root, "schema", json_string("parity.enforcement-report/1"));
	json_object_set_new(r->root, "profile", json_string(profile_name ? profile_name : ""));
	if (profile_path)
		json_object_set_new(r->root, "profile_path", json_string(profile_path));
	json_object_set(r->root, "entries", r->entries);
	return r;
}

void report_free(struct enf_report *r)
{
	if (!r)
		return;
	json_decref(r->entries);
	json_decref(r->root);
	free(r);
}

static void add_entry(struct enf_report *r, const char *layer, const char *item, enum rep_status st,
		      const char *detail)
{
	json_t *e = json_object();
	json_object_set_new(e, "layer", json_string(layer));
	json_object_set_new(e, "item", json_string(item));
	json_object_set_new(e, "status", json_string(rep_status_name(st)));
	json_object_set_new(e, "detail", json_string(detail ? detail : ""));
	json_array_append_new(r->entries, e);
	if (st <= REP_INFO)
		r->counts[st]++;
}

void report_add(struct enf_report *r, const char *layer, const char *item, enum rep_status st,
		const char *fmt, ...)
{
	char detail[1024] = "";
	va_list ap;

	if (!r)
		return;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
		util_utf8_trim(detail); /* cut at 1023 bytes: not inside a character */
	}
	add_entry(r, layer, item, st, detail);
}

void report_set(struct enf_report *r, const char *key, json_t *val)
{
	if (r)
		json_object_set(r->root, key, val);
}

int report_entry_line(char *buf, size_t len, const char *layer, const char *item,
		      enum rep_status st, const char *detail)
{
	json_t *e = json_object();
	char *s;
	int n;

	json_object_set_new(e, "layer", json_string(layer));
	json_object_set_new(e, "item", json_string(item));
	json_object_set_new(e, "status", json_integer(st));
	json_object_set_new(e, "detail", json_string(detail ? detail : ""));
	s = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	if (!s)
		return -1;
	n = snprintf(buf, len, "%s\n", s);
	free(s);
	return n >= (int)len ? -1 : n;
}

int report_add_line(struct enf_report *r, const char *line)
{
	json_error_t je;
	json_t *e = json_loads(line, 0, &je);
	json_t *layer, *item, *st, *detail;

	if (!e)
		return -1;
	layer = json_object_get(e, "layer");
	item = json_object_get(e, "item");
	st = json_object_get(e, "status");
	detail = json_object_get(e, "detail");
	if (!json_is_string(layer) || !json_is_string(item) || !json_is_integer(st) ||
	    json_integer_value(st) < 0 || json_integer_value(st) > REP_INFO) {
		json_decref(e);
		return -1;
	}
	add_entry(r, json_string_value(layer), json_string_value(item),
		  (enum rep_status)json_integer_value(st),
		  json_is_string(detail) ? json_string_value(detail) : "");
	json_decref(e);
	return 0;
}

size_t report_count(const struct enf_report *r, enum rep_status st)
{
	return r && st <= REP_INFO ? r->counts[st] : 0;
}

json_t *report_json(struct enf_report *r)
{
	json_object_set_new(r->root, "applied", json_integer((json_int_t)r->counts[REP_APPLIED]));
	json_object_set_new(r->root, "skipped", json_integer((json_int_t)r->counts[REP_SKIPPED]));
	json_object_set_new(r->root, "failed", json_integer((json_int_t)r->counts[REP_FAILED]));
	return r->root;
}

/* s cut to at most 300 bytes, never inside a UTF-8 sequence (jansson
 * refuses a string that ends in one). */
static void cut_300(char out[301], const char *s)
{
	snprintf(out, 301, "%s", s);
	util_utf8_trim(out);
}

void rep_emit(struct rep_sink *s, const char *layer, const char *item, enum rep_status st,
	      const char *fmt, ...)
{
	char detail[1024] = "", line[PIPE_BUF];
	va_list ap;
	int n;

	if (!s)
		return;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
		util_utf8_trim(detail); /* cut at 1023 bytes: not inside a character */
	}
	if (s->report)
		add_entry(s->report, layer, item, st, detail);
	if (s->fd >= 0) {
		n = report_entry_line(line, sizeof(line), layer, item, st, detail);
		if (n < 0) {
			/* Too long for one atomic write (a long path): the entry
			 * still goes, item and detail cut, and it says so. 300
			 * characters each fit even if every one is escaped. */
			char it[400], de[400], cut[301];
			cut_300(cut, item);
			snprintf(it, sizeof(it), "%s... (%zu bytes)", cut, strlen(item));
			cut_300(cut, detail);
			snprintf(de, sizeof(de), "%s...", cut);
			n = report_entry_line(line, sizeof(line), layer, it, st, de);
		}
		/* One write per line: lines never interleave, and a pipe write of
		 * at most PIPE_BUF bytes is atomic. */
		if (n > 0)
			(void)!write(s->fd, line, (size_t)n);
	}
}
