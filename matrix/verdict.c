/* verdict.c - see verdict.h. Pure functions over lab outcomes. */
#include "verdict.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "util.h"

static const char *const names[] = {"BLOCKED", "ESCAPED", "KILLED", "N/A", "INCONCLUSIVE"};

const char *verdict_name(enum verdict v)
{
	return v <= V_INCONCLUSIVE ? names[v] : "?";
}

int verdict_parse(const char *s, enum verdict *v)
{
	for (int i = 0; i <= V_INCONCLUSIVE; i++) {
		if (strcmp(s, names[i]) == 0) {
			*v = (enum verdict)i;
			return 0;
		}
	}
	if (strcmp(s, "NA") == 0) {
		*v = V_NA;
		return 0;
	}
	return -1;
}

const char *verdict_claim_of(const char *out)
{
	const char *claim = "none";
	const char *p = out;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[128];
		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = 0;
			if (strstr(line, "\"claim\":\"escaped\"") ||
			    strcmp(line, "@parity claim escaped") == 0 ||
			    strcmp(line, "escaped") == 0)
				claim = "escaped";
			else if (strstr(line, "\"claim\":\"blocked\"") ||
				 strcmp(line, "@parity claim blocked") == 0 ||
				 strcmp(line, "blocked") == 0)
				claim = "blocked";
			else if (strstr(line, "\"claim\":\"unsure\""))
				claim = "unsure";
		}
		p = nl ? nl + 1 : NULL;
	}
	return claim;
}

static void escapes_text(const struct lab_outcome *o, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; o->escapes && i < json_array_size(o->escapes) && n + 4 < len; i++) {
		int w = snprintf(buf + n, len - n, "%s%s", i ? "; " : "",
				 json_string_value(json_array_get(o->escapes, i)));
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

void verdict_na(struct judgement *j, const char *reason)
{
	memset(j, 0, sizeof(*j));
	j->verdict = V_NA;
	snprintf(j->reason, sizeof(j->reason), "precondition missing: %s", reason);
	snprintf(j->claim, sizeof(j->claim), "none");
}

void verdict_judge(const struct lab_outcome *run, const struct lab_outcome *control,
		   struct judgement *j)
{
	char what[640], st[64];

	memset(j, 0, sizeof(*j));
	snprintf(j->claim, sizeof(j->claim), "%s", verdict_claim_of(run->out));
	if (run->infra_failed) {
		j->verdict = V_INCONCLUSIVE;
		snprintf(j->reason, sizeof(j->reason), "the lab or a witness failed: %s",
			 run->infra_error);
		return;
	}
	if (run->escaped) {
		escapes_text(run, what, sizeof(what));
		j->verdict = V_ESCAPED;
		snprintf(j->reason, sizeof(j->reason), "%s", what);
		if (strcmp(j->claim, "blocked") == 0)
			snprintf(j->disagreement, sizeof(j->disagreement),
				 "the program claims it was blocked, but witnesses saw it escape");
		return;
	}
	if (run->sandbox_refused) {
		j->verdict = V_NA;
		snprintf(j->reason, sizeof(j->reason),
			 "the enforcer refused to start, the program never ran: %s",
			 run->sandbox_error);
		return;
	}
	if (!run->exec_done) {
		j->verdict = V_INCONCLUSIVE;
		snprintf(j->reason, sizeof(j->reason), "the program did not start");
		return;
	}
	if (run->timed_out) {
		j->verdict = V_INCONCLUSIVE;
		snprintf(j->reason, sizeof(j->reason),
			 "the program timed out and no witness saw anything");
		return;
	}
	if (!control) {
		j->verdict = V_INCONCLUSIVE;
		snprintf(j->reason, sizeof(j->reason),
			 "no witness saw anything, but no positive control was run");
		return;
	}
	if (control->infra_failed || !control->escaped) {
		j->verdict = V_INCONCLUSIVE;
		snprintf(j->reason, sizeof(j->reason),
			 "no witness saw anything, but the positive control under `none` did not "
			 "escape either (%s): the attack proves nothing here",
			 control->infra_failed ? control->infra_error
					       : util_status_str(control->status, st, sizeof(st)));
		return;
	}
	/* Killed: contained, as blocked is, and like it only against a
	 * control that escaped (a program that crashes on its own was KILLED
	 * with no control at all). */
	if (WIFSIGNALED(run->status)) {
		j->verdict = V_KILLED;
		j->signal = WTERMSIG(run->status);
		snprintf(j->reason, sizeof(j->reason),
			 "no witness saw anything; the program was killed by SIG%s (%s)",
			 util_signame(j->signal),
			 j->signal == 31 ? "a seccomp kill action" : "a signal");
		return;
	}
	j->verdict = V_BLOCKED;
	snprintf(j->reason, sizeof(j->reason),
		 "no witness saw the marker, a direct flow, a signal or a connection; the same "
		 "program escaped under `none`; it exited with %s",
		 util_status_str(run->status, st, sizeof(st)));
	if (strcmp(j->claim, "escaped") == 0)
		snprintf(j->disagreement, sizeof(j->disagreement),
			 "the program claims it escaped, but no witness saw anything");
}
