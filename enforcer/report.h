/* report.h - the enforcement report: every layer and rule, applied, skipped
 * (and why) or failed. Nothing the enforcer decides not to do escapes it.
 *
 * Entries can be produced in the agent child after fork: report_entry_line()
 * formats one entry as a JSON line, report_add_line() parses it back in the
 * supervisor (see enforcer.c: the child writes lines to a CLOEXEC pipe and
 * the supervisor reads until EOF, which also tells it the exec happened).
 */
#ifndef PARITY_REPORT_H
#define PARITY_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum rep_status {
	REP_APPLIED = 0,
	REP_SKIPPED = 1, /* not done, with a reason (ABI lacks it, best-effort) */
	REP_FAILED = 2,	 /* tried and failed: the command must not run */
	REP_INFO = 3,	 /* a fact (effective ABI, uid), not a rule */
};

struct enf_report;

struct enf_report *report_new(const char *profile_name, const char *profile_path);
void report_free(struct enf_report *r);

/* Add an entry. layer: "identity", "landlock", "seccomp", "netns", "nftables",
 * "proxy", ...; item: what (e.g. "net.connect_tcp port 3128"). */
void report_add(struct enf_report *r, const char *layer, const char *item, enum rep_status st,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Set a top-level key (takes a reference to val), e.g. "landlock_abi". */
void report_set(struct enf_report *r, const char *key, json_t *val);

/* Format one entry as a JSON line (for the child -> supervisor pipe). */
int report_entry_line(char *buf, size_t len, const char *layer, const char *item,
		      enum rep_status st, const char *detail);
/* Parse a line made by report_entry_line() and add it. */
int report_add_line(struct enf_report *r, const char *line);

size_t report_count(const struct enf_report *r, enum rep_status st);
/* Borrowed JSON object: {profile, entries:[{layer,item,status,detail}], ...}. */
json_t *report_json(struct enf_report *r);
const char *rep_status_name(enum rep_status st);

/* Where layer code records what it did: the report itself (supervisor side)
 * or the pipe to the supervisor (agent child, before exec). */
struct rep_sink {
	struct enf_report *report; /* NULL in the child */
	int fd;			   /* -1 in the supervisor */
};
void rep_emit(struct rep_sink *s, const char *layer, const char *item, enum rep_status st,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#endif
