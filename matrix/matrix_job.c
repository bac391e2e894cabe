/* matrix_job.c - what a matrix worker runs: a control or a cell, turned into
 * the cell's entry of results.json (matrix.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cell.h"
#include "matrix.h"
#include "parity.h"
#include "results.h"
#include "util.h"

void matrix_reproduce(const struct matrix_plan *pl, size_t ai, long pi, long abi, char *buf,
		      size_t len)
{
	const struct profile *p = pi >= 0 ? &pl->profiles[pi] : matrix_control_profile(pl);
	char shipped[4096];
	struct perr e;
	const char *name = p->name;

	perr_clear(&e);
	/* A shipped profile by name; any other file by its path. */
	if (profile_resolve_path(p->name, shipped, sizeof(shipped), &e) < 0 ||
	    strcmp(shipped, p->path) != 0)
		name = realpath(p->path, shipped) ? shipped : p->path;
	if (abi >= 0)
		snprintf(buf, len, "parity attack run %s --profile %s --landlock-abi %d",
			 pl->attacks[ai]->id, name, pl->abis[abi].cap);
	else
		snprintf(buf, len, "parity attack run %s --profile %s", pl->attacks[ai]->id, name);
}

static json_t *abi_json(const struct matrix_plan *pl, long abi)
{
	if (abi < 0)
		return json_pack("{s:n,s:n,s:b,s:b}", "requested", "effective", "kernel", 0,
				 "emulated", 0);
	return json_pack("{s:i,s:i,s:b,s:b}", "requested", pl->abis[abi].cap, "effective",
			 matrix_effective_abi(pl, &pl->abis[abi]), "kernel", pl->abis[abi].kernel,
			 "emulated", matrix_effective_abi(pl, &pl->abis[abi]) < pl->kernel_abi);
}

static void cell_name(const struct matrix_plan *pl, size_t ai, long pi, long abi, char *buf,
		      size_t len)
{
	const struct profile *p = pi >= 0 ? &pl->profiles[pi] : matrix_control_profile(pl);
	if (abi < 0)
		snprintf(buf, len, "%s/%s", pl->attacks[ai]->id, p->name);
	else
		snprintf(buf, len, "%s/%s/abi%d", pl->attacks[ai]->id, p->name, pl->abis[abi].cap);
}

/* The fields every cell has, whether it ran or not. */
static json_t *cell_base(const struct matrix_plan *pl, size_t ai, long pi, long abi)
{
	const struct attack *a = pl->attacks[ai];
	const struct profile *p = pi >= 0 ? &pl->profiles[pi] : matrix_control_profile(pl);
	char id[256], repro[4600];

	cell_name(pl, ai, pi, abi, id, sizeof(id));
	matrix_reproduce(pl, ai, pi, abi, repro, sizeof(repro));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s}", "id", id, "role",
			 abi < 0 ? "control" : "cell", "attack", a->id, "family",
			 attack_family_name(a->family), "title", a->title, "profile", p->name,
			 "profile_path", p->path, "abi", abi_json(pl, abi), "reproduce", repro);
}

json_t *matrix_cell_unrun(const struct matrix_plan *pl, size_t ai, long pi, long abi,
			  const char *verdict, const char *reason)
{
	json_t *c = cell_base(pl, ai, pi, abi);
	json_object_set_new(c, "verdict", json_string(verdict));
	json_object_set_new(c, "reason", json_string(reason));
	json_object_set_new(c, "claim", json_string("none"));
	json_object_set_new(c, "escapes", json_array());
	json_object_set_new(c, "evidence", json_null());
	json_object_set_new(c, "enforcement", json_null());
	json_object_set_new(c, "control", json_null());
	json_object_set_new(c, "timing",
			    json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "total_ms", 0.0, "lab_ms", 0.0,
				      "pod_ms", 0.0, "enforcer_ms", 0.0, "attack_ms", 0.0,
				      "judge_ms", 0.0));
	json_object_set_new(c, "pcap", json_null());
	return c;
}

/* ---- the evidence, summarized: enough to see why, small enough for ~600 cells ---- */

static void copy_if(json_t *to, json_t *from, const char *key)
{
	json_t *v = json_object_get(from, key);
	if (v)
		json_object_set(to, key, v);
}

static json_t *first_n(json_t *arr, size_t n)
{
	json_t *out = json_array(), *v;
	size_t i;
	json_array_foreach (arr, i, v) {
		if (i >= n)
			break;
		json_array_append(out, v);
	}
	return out;
}

static json_t *capture_summary(json_t *cap)
{
	static const char *const flow_keys[] = {
	    "class",   "proto",	 "src",		 "sport",	  "dst", "dport",
	    "packets", "escape", "first_packet", "marker_packet", NULL};
	json_t *s = json_object(), *esc = json_array(), *f;
	size_t i;

	copy_if(s, cap, "ok");
	copy_if(s, cap, "failure");
	copy_if(s, cap, "packets");
	copy_if(s, cap, "dropped");
	copy_if(s, cap, "flows");
	copy_if(s, cap, "marker");
	json_array_foreach (json_object_get(cap, "evidence"), i, f) {
		json_t *t = json_object();
		if (i >= 8)
			break;
		for (size_t k = 0; flow_keys[k]; k++)
			copy_if(t, f, flow_keys[k]);
		json_array_append_new(esc, t);
	}
	json_object_set_new(s, "escaping_flows", esc);
	return s;
}

static json_t *sinks_summary(json_t *sinks)
{
	json_t *s = json_object(), *seen = json_array(), *w;
	json_t *dns = json_object_get(sinks, "dns");
	size_t i;

	copy_if(s, sinks, "ok");
	copy_if(s, sinks, "marker_seen");
	copy_if(s, sinks, "seen_by");
	copy_if(s, sinks, "failed");
	json_array_foreach (json_object_get(sinks, "sinks"), i, w) {
		if (json_is_true(json_object_get(w, "marker_seen")) ||
		    json_integer_value(json_object_get(w, "connections")) > 0 ||
		    json_integer_value(json_object_get(w, "datagrams")) > 0)
			json_array_append_new(
			    seen, json_pack("{s:O,s:O,s:O,s:O,s:O}", "id", json_object_get(w, "id"),
					    "connections", json_object_get(w, "connections"),
					    "datagrams", json_object_get(w, "datagrams"), "bytes",
					    json_object_get(w, "bytes"), "first_payload",
					    json_object_get(w, "first_payload")));
	}
	json_object_set_new(s, "contacted", seen);
	if (dns)
		json_object_set_new(s, "dns",
				    json_pack("{s:O,s:O,s:o}", "questions",
					      json_object_get(dns, "questions"), "marker_seen",
					      json_object_get(dns, "marker_seen"), "queries",
					      first_n(json_object_get(dns, "queries"), 5)));
	return s;
}

static json_t *evidence_summary(json_t *ev)
{
	static const char *const small[] = {
	    "supervisor",	   "signal_victim",  "sacrificial_victim",
	    "abstract_stream",	   "abstract_dgram", "abstract_seqpacket",
	    "path_stream",	   "path_dgram",     "path_seqpacket",
	    "pod_tcp_services",	   "pod_udp_53",     "accomplice_abstract",
	    "accomplice_requests", "pcap_error",     NULL};
	json_t *s = json_object();

	if (!ev)
		return json_null();
	for (size_t i = 0; small[i]; i++)
		copy_if(s, ev, small[i]);
	if (json_object_get(ev, "capture"))
		json_object_set_new(s, "capture", capture_summary(json_object_get(ev, "capture")));
	if (json_object_get(ev, "sinks"))
		json_object_set_new(s, "sinks", sinks_summary(json_object_get(ev, "sinks")));
	if (json_object_get(ev, "proxy_log"))
		json_object_set_new(s, "proxy_log", first_n(json_object_get(ev, "proxy_log"), 8));
	return s;
}

/* ---- running ---- */

static json_t *timing_json(const struct cell_result *r)
{
	const struct lab_outcome *o = &r->run;
	double pod = o->run_ms - o->enforcer_ms - o->program_ms;
	return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "total_ms", r->ms, "lab_ms", o->lab_ms,
			 "pod_ms", pod > 0 ? pod : 0.0, "enforcer_ms", o->enforcer_ms, "attack_ms",
			 o->program_ms, "judge_ms", o->judge_ms);
}

/* Keep the capture only of an escaped cell. */
static void keep_capture(json_t *c, const char *tmp, const char *evidence_dir)
{
	char name[256], final[4096], rel[300];

	if (strcmp(json_string_value(json_object_get(c, "verdict")), "ESCAPED") != 0 ||
	    access(tmp, F_OK) != 0) {
		unlink(tmp);
		json_object_set_new(c, "pcap", json_null());
		return;
	}
	results_cell_file_name(json_string_value(json_object_get(c, "id")), name, sizeof(name));
	snprintf(final, sizeof(final), "%s/%s.pcapng", evidence_dir, name);
	snprintf(rel, sizeof(rel), "evidence/%s.pcapng", name);
	if (rename(tmp, final) < 0) {
		unlink(tmp);
		json_object_set_new(c, "pcap", json_null());
		return;
	}
	json_object_set_new(c, "pcap", json_string(rel));
}

static void tmp_capture(const char *evidence_dir, char *buf, size_t len)
{
	static unsigned seq;
	snprintf(buf, len, "%s/.tmp-%d-%u.pcapng", evidence_dir, (int)getpid(), seq++);
}

/* The judged run, in results.json form. */
static json_t *cell_json(const struct matrix_plan *pl, size_t ai, long pi, long abi,
			 const struct cell_result *r)
{
	json_t *c = cell_base(pl, ai, pi, abi);
	json_t *full = cell_result_json(r, false);
	static const char *const keep[] = {
	    "verdict",	   "reason",  "claim",	     "disagreement",  "signal",
	    "marker",	   "program", "infra_error", "sandbox_error", "escapes",
	    "enforcement", "control", NULL};

	for (size_t i = 0; keep[i]; i++)
		copy_if(c, full, keep[i]);
	if (!json_object_get(c, "escapes"))
		json_object_set_new(c, "escapes", json_array());
	if (!json_object_get(c, "enforcement"))
		json_object_set_new(c, "enforcement", json_null());
	if (!json_object_get(c, "control"))
		json_object_set_new(c, "control", json_null());
	json_object_set_new(c, "evidence", evidence_summary(r->run.evidence));
	json_object_set_new(c, "timing", timing_json(r));
	json_decref(full);
	return c;
}

/* What a cell needs of its control (see verdict_judge and cell_result_json). */
static json_t *outcome_json(const struct lab_outcome *o)
{
	return json_pack("{s:s,s:b,s:b,s:s,s:b,s:i,s:b,s:O}", "marker", o->marker, "escaped",
			 o->escaped, "infra_failed", o->infra_failed, "infra_error", o->infra_error,
			 "exec_done", o->exec_done, "status", o->status, "timed_out", o->timed_out,
			 "escapes", o->escapes ? o->escapes : json_array());
}

static void outcome_from_json(json_t *j, struct lab_outcome *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->marker, sizeof(o->marker), "%s",
		 json_string_value(json_object_get(j, "marker")) ?: "");
	o->escaped = json_is_true(json_object_get(j, "escaped"));
	o->infra_failed = json_is_true(json_object_get(j, "infra_failed"));
	snprintf(o->infra_error, sizeof(o->infra_error), "%s",
		 json_string_value(json_object_get(j, "infra_error")) ?: "");
	o->exec_done = json_is_true(json_object_get(j, "exec_done"));
	o->status = (int)json_integer_value(json_object_get(j, "status"));
	o->timed_out = json_is_true(json_object_get(j, "timed_out"));
	o->escapes = json_incref(json_object_get(j, "escapes"));
}

/* The control has no control of its own: it escaped, or it proves nothing. */
static void judge_control(struct cell_result *r)
{
	char st[64];
	if (r->na || r->j.verdict == V_ESCAPED || r->j.verdict == V_NA || r->run.infra_failed)
		return;
	r->j.verdict = V_INCONCLUSIVE;
	snprintf(r->j.reason, sizeof(r->j.reason),
		 "the positive control did not escape under `none` (no enforcement; %s%s): the "
		 "attack proves nothing in this lab, so its cells cannot be BLOCKED",
		 r->run.timed_out ? "timed out" : util_status_str(r->run.status, st, sizeof(st)),
		 r->run.exec_done ? "" : ", the program did not start");
}

json_t *matrix_job_control(const struct matrix_plan *pl, size_t ai, const char *evidence_dir)
{
	struct cell_spec s;
	struct cell_result r;
	struct perr e;
	char tmp[4200];
	json_t *c, *res;

	perr_clear(&e);
	memset(&s, 0, sizeof(s));
	s.attack = pl->attacks[ai];
	s.profile = matrix_control_profile(pl);
	s.landlock_abi_cap = -1;
	s.probe = pl->probe;
	tmp_capture(evidence_dir, tmp, sizeof(tmp));
	s.pcap_path = tmp;
	if (cell_run(&s, &r, &e) < 0) {
		unlink(tmp);
		c = matrix_cell_unrun(pl, ai, -1, -1, "INCONCLUSIVE", e.msg);
		return json_pack("{s:o,s:n}", "cell", c, "outcome");
	}
	judge_control(&r);
	c = cell_json(pl, ai, -1, -1, &r);
	keep_capture(c, tmp, evidence_dir);
	res = json_pack("{s:o,s:o}", "cell", c, "outcome", outcome_json(&r.run));
	cell_result_free(&r);
	return res;
}

json_t *matrix_job_cell(const struct matrix_plan *pl, const struct matrix_cell *mc,
			json_t *control_outcome, const char *evidence_dir)
{
	struct cell_spec s;
	struct cell_result r;
	struct lab_outcome control;
	struct perr e;
	char tmp[4200];
	json_t *c;

	perr_clear(&e);
	memset(&s, 0, sizeof(s));
	s.attack = pl->attacks[mc->attack];
	s.profile = &pl->profiles[mc->profile];
	/* The kernel's own ABI runs uncapped: nothing is emulated there. */
	s.landlock_abi_cap = pl->abis[mc->abi].kernel ? -1 : pl->abis[mc->abi].cap;
	s.probe = pl->probe;
	if (json_is_object(control_outcome)) {
		outcome_from_json(control_outcome, &control);
		s.shared_control = &control;
	}
	tmp_capture(evidence_dir, tmp, sizeof(tmp));
	s.pcap_path = tmp;
	if (cell_run(&s, &r, &e) < 0) {
		unlink(tmp);
		c = matrix_cell_unrun(pl, mc->attack, (long)mc->profile, (long)mc->abi,
				      "INCONCLUSIVE", e.msg);
	} else {
		c = cell_json(pl, mc->attack, (long)mc->profile, (long)mc->abi, &r);
		keep_capture(c, tmp, evidence_dir);
		cell_result_free(&r);
	}
	if (s.shared_control)
		json_decref(control.escapes);
	return c;
}
