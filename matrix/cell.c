/* cell.c - one judged run and its control (see cell.h). */
#include "cell.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "landlock.h"
#include "jsonutil.h"
#include "util.h"

void cell_attack_argv(const struct attack *a, char *argv_buf[4])
{
	argv_buf[0] = (char *)util_self_exe();
	argv_buf[1] = (char *)"__attack";
	argv_buf[2] = (char *)a->id;
	argv_buf[3] = NULL;
}

/* A network sysctl as a cell sees it. Most are per network namespace,
 * and a new one starts from the kernel's defaults, not from the host's
 * values: every cell runs in a netns the lab made (the pod's, or the
 * sandbox's), so the value is read in a new one, by a thread that
 * unshares it. A host with net.ipv4.tcp_fastopen=0 still gives the lab's
 * namespaces 1. Without the privilege for a netns the caller's is read
 * (said in *where). Cached: each sysctl is read once per process. */
struct sysctl_read {
	const char *path;
	char *val;
	size_t len;
	int rc;
	bool fresh;
};

static void *sysctl_read_thread(void *arg)
{
	struct sysctl_read *r = arg;

	r->fresh = unshare(CLONE_NEWNET) == 0;
	r->rc = util_read_text(r->path, r->val, r->len);
	return NULL;
}

static int read_cell_sysctl(const char *name, char *val, size_t len, const char **where)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct {
		char name[128], val[64];
		int rc;
		bool fresh;
	} cache[8];
	static size_t ncache;
	char path[256];
	struct sysctl_read r = {.path = path, .val = val, .len = len, .rc = -1};
	pthread_t t;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ncache; i++) {
		if (strcmp(cache[i].name, name) == 0) {
			snprintf(val, len, "%s", cache[i].val);
			*where = cache[i].fresh ? "a new netns" : "the caller's netns";
			pthread_mutex_unlock(&lock);
			return cache[i].rc;
		}
	}
	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	if (pthread_create(&t, NULL, sysctl_read_thread, &r) == 0)
		pthread_join(t, NULL);
	else
		r.rc = util_read_text(path, val, len);
	*where = r.fresh ? "a new netns" : "the caller's netns";
	if (ncache < ARRAY_SIZE(cache) && strlen(name) < sizeof(cache[0].name)) {
		snprintf(cache[ncache].name, sizeof(cache[0].name), "%s", name);
		snprintf(cache[ncache].val, sizeof(cache[0].val), "%s", r.rc < 0 ? "" : val);
		cache[ncache].rc = r.rc;
		cache[ncache].fresh = r.fresh;
		ncache++;
	}
	pthread_mutex_unlock(&lock);
	return r.rc;
}

bool cell_needs_met(const struct attack *a, const struct probe *p, char *why, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(a->needs.probe) && a->needs.probe[i]; i++) {
		const struct probe_feature *f = probe_find(p, a->needs.probe[i]);
		if (!f) {
			snprintf(why, len, "unknown probe feature %s", a->needs.probe[i]);
			return false;
		}
		/* Only a "no" is a missing feature. An "error" (the probe
		 * could not tell: out of fds, interrupted) or "not probed"
		 * runs the cell: an N/A must never hide an escape, and the
		 * control shows whether the feature works. */
		if (f->state == PROBE_NO) {
			snprintf(why, len, "%s: %s (%s)", a->needs.probe[i],
				 probe_state_name(f->state), f->reason);
			return false;
		}
	}
	if (a->needs.sysctl) {
		char val[64];
		const char *where = "";
		long v;
		if (read_cell_sysctl(a->needs.sysctl, val, sizeof(val), &where) < 0) {
			snprintf(why, len, "sysctl %s is absent (in %s)", a->needs.sysctl, where);
			return false;
		}
		if (util_parse_long(val, 0, 1L << 30, &v) < 0 ||
		    !((unsigned long)v & a->needs.sysctl_mask)) {
			snprintf(why, len, "sysctl %s = %s in %s (needs bit mask 0x%x)",
				 a->needs.sysctl, val, where, a->needs.sysctl_mask);
			return false;
		}
	}
	return true;
}

int cell_run(const struct cell_spec *s, struct cell_result *r, struct perr *e)
{
	struct lab_config lc;
	char *argv_buf[4];
	char why[512];
	struct probe *own = NULL;
	uint64_t t0 = util_now_ns();
	struct perr le;

	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s/%s/abi%d", s->attack ? s->attack->id : "exec",
		 s->profile->name,
		 s->landlock_abi_cap >= 0 ? s->landlock_abi_cap : landlock_kernel_abi(NULL));
	if (s->attack) {
		const struct probe *p = s->probe;
		if (!p) {
			own = calloc(1, sizeof(*own));
			if (!own || probe_run(own, e) < 0) {
				free(own);
				return -1;
			}
			p = own;
		}
		if (!cell_needs_met(s->attack, p, why, sizeof(why))) {
			free(own);
			r->na = true;
			verdict_na(&r->j, why);
			r->ms = (double)(util_now_ns() - t0) / 1e6;
			return 0;
		}
		free(own);
		cell_attack_argv(s->attack, argv_buf);
	} else if (!s->argv || !s->argv[0]) {
		return perr_usage(e, "no command to run");
	}
	memset(&lc, 0, sizeof(lc));
	lc.profile = s->profile;
	lc.landlock_abi_cap = s->landlock_abi_cap;
	lc.compat = s->compat;
	lc.argv = s->attack ? argv_buf : s->argv;
	lc.timeout_ms =
	    s->timeout_ms
		? s->timeout_ms
		: (s->attack && s->attack->timeout_ms ? (int)s->attack->timeout_ms + 2000 : 10000);
	lc.pcap_path = s->pcap_path;
	lc.extra_ro = s->extra_ro;
	lc.capture_max_bytes = s->capture_max_bytes;
	lc.cell_id = r->id;
	perr_clear(&le);
	lab_run(&lc, &r->run, &le);
	if (s->shared_control) {
		r->control_used = s->shared_control;
	} else if (s->control_profile) {
		lc.profile = s->control_profile;
		lc.landlock_abi_cap = -1;
		lc.pcap_path = NULL;
		lab_run(&lc, &r->control, &le);
		r->control_ran = true;
		r->control_used = &r->control;
	}
	verdict_judge(&r->run, r->control_used, &r->j);
	r->ms = (double)(util_now_ns() - t0) / 1e6;
	return 0;
}

void cell_result_free(struct cell_result *r)
{
	lab_outcome_free(&r->run);
	if (r->control_ran)
		lab_outcome_free(&r->control);
}

static json_t *report_summary(json_t *report, bool full)
{
	json_t *sum, *skipped, *failed, *e;
	size_t i;

	if (!report)
		return json_null();
	if (full)
		return json_incref(report);
	skipped = json_array();
	failed = json_array();
	sum = json_object();
	json_object_set(sum, "applied", json_object_get(report, "applied"));
	json_object_set(sum, "skipped", json_object_get(report, "skipped"));
	json_object_set(sum, "failed", json_object_get(report, "failed"));
	json_object_set(sum, "landlock", json_object_get(report, "landlock"));
	json_array_foreach (json_object_get(report, "entries"), i, e) {
		const char *st = json_string_value(json_object_get(e, "status"));
		json_t *it =
		    json_pack("{s:O,s:O,s:O}", "layer", json_object_get(e, "layer"), "item",
			      json_object_get(e, "item"), "detail", json_object_get(e, "detail"));
		if (st && strcmp(st, "skipped") == 0)
			json_array_append_new(skipped, it);
		else if (st && strcmp(st, "failed") == 0)
			json_array_append_new(failed, it);
		else
			json_decref(it);
	}
	json_object_set_new(sum, "skipped_items", skipped);
	json_object_set_new(sum, "failed_items", failed);
	return sum;
}

/* The program's output, all of its len bytes: a NUL byte in it used to end
 * the stored text (json_text keeps it, as \u0000). */
static json_t *text_or_null(const char *s, size_t len, size_t max)
{
	if (!s)
		return json_null();
	return json_text(s, len, max);
}

json_t *cell_result_json(const struct cell_result *r, bool full)
{
	json_t *j = json_object();
	char st[64];

	json_object_set_new(j, "id", json_string(r->id));
	json_object_set_new(j, "verdict", json_string(verdict_name(r->j.verdict)));
	json_object_set_new(j, "reason", json_string(r->j.reason));
	json_object_set_new(j, "claim", json_string(r->j.claim));
	if (r->j.disagreement[0])
		json_object_set_new(j, "disagreement", json_string(r->j.disagreement));
	if (r->j.verdict == V_KILLED)
		json_object_set_new(j, "signal", json_string(util_signame(r->j.signal)));
	json_object_set_new(j, "ms", json_real(r->ms));
	if (r->na)
		return j;
	json_object_set_new(j, "marker", json_string(r->run.marker));
	json_object_set_new(
	    j, "program",
	    json_pack("{s:b,s:s,s:b,s:o,s:o}", "started", r->run.exec_done, "status",
		      util_status_str(r->run.status, st, sizeof(st)), "timed_out", r->run.timed_out,
		      "stdout", text_or_null(r->run.out, r->run.out_len, full ? 65536 : 4096),
		      "stderr", text_or_null(r->run.err, r->run.err_len, full ? 65536 : 2048)));
	if (r->run.infra_failed)
		json_object_set_new(j, "infra_error", json_string(r->run.infra_error));
	if (r->run.sandbox_refused)
		json_object_set_new(j, "sandbox_error", json_string(r->run.sandbox_error));
	json_object_set(j, "escapes", r->run.escapes);
	json_object_set(j, "evidence", r->run.evidence);
	json_object_set_new(j, "enforcement", report_summary(r->run.report, full));
	if (r->control_used) {
		/* "o" takes the reference given: a kept list is lent one, an
		 * empty list made here is handed over (with "O" it leaked). */
		json_t *control_escapes =
		    r->control_used->escapes ? json_incref(r->control_used->escapes) : json_array();
		json_object_set_new(j, "control",
				    json_pack("{s:s,s:b,s:b,s:o,s:s}", "profile", "none", "escaped",
					      r->control_used->escaped, "lab_failed",
					      r->control_used->infra_failed, "escapes",
					      control_escapes, "marker", r->control_used->marker));
	} else {
		json_object_set_new(j, "control", json_null());
	}
	json_object_set_new(j, "timing",
			    json_pack("{s:f,s:f,s:f}", "lab_ms", r->run.lab_ms, "run_ms",
				      r->run.run_ms, "judge_ms", r->run.judge_ms));
	return j;
}

static void print_block(FILE *f, const char *prefix, const char *text, size_t n, size_t max_lines)
{
	size_t lines = 0;
	const char *p = text, *end = text ? text + n : NULL;
	while (p && p < end && lines < max_lines) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		int len = (int)((nl ? nl : end) - p);
		/* The program's bytes, never its terminal controls: a \r or an
		 * escape sequence could overwrite the verdict line above. */
		fputs(prefix, f);
		for (int i = 0; i < (len > 200 ? 200 : len); i++) {
			unsigned char ch = (unsigned char)p[i];
			if (ch < 0x20 && ch != '\t')
				fprintf(f, "\\x%02x", ch);
			else if (ch == 0x7f)
				fputs("\\x7f", f);
			else
				fputc(ch, f);
		}
		fputc('\n', f);
		lines++;
		p = nl ? nl + 1 : NULL;
	}
	if (p && p < end)
		fprintf(f, "%s... (truncated; --json has all of it)\n", prefix);
}

void cell_print_transcript(FILE *f, const struct cell_spec *s, const struct cell_result *r)
{
	json_t *rep = r->run.report, *e, *ev = r->run.evidence;
	size_t i;

	fprintf(f, "== %s\n", r->id);
	if (s->attack)
		fprintf(f, "attack    %s: %s\n", s->attack->id, s->attack->title);
	fprintf(f, "profile   %s (%s)\n", s->profile->name, s->profile->path);
	if (r->na) {
		fprintf(f, "\nVerdict: N/A - %s\n", r->j.reason);
		return;
	}
	fprintf(f,
		"\nThe lab\n"
		"  wan netns: attacker sink %s / %s, DNS sink %s / %s, allowed upstream %s\n"
		"  pod netns: %s / %s behind a veth; packet capture on the wan side of it\n"
		"  marker %s (fresh for this run)\n",
		LAB_SINK_V4, LAB_SINK_V6, LAB_DNS_V4, LAB_DNS_V6, LAB_ALLOWED_V4, LAB_POD_V4,
		LAB_POD_V6, r->run.marker);
	if (rep) {
		json_t *ll = json_object_get(rep, "landlock");
		fprintf(f, "\nEnforcement: %lld applied, %lld skipped, %lld failed",
			json_integer_value(json_object_get(rep, "applied")),
			json_integer_value(json_object_get(rep, "skipped")),
			json_integer_value(json_object_get(rep, "failed")));
		if (ll)
			fprintf(f, "; Landlock ABI %lld (kernel %lld%s)",
				json_integer_value(json_object_get(ll, "effective_abi")),
				json_integer_value(json_object_get(ll, "kernel_abi")),
				json_is_true(json_object_get(ll, "emulated")) ? ", emulated" : "");
		fprintf(f, "\n");
		json_array_foreach (json_object_get(rep, "entries"), i, e) {
			const char *st = json_string_value(json_object_get(e, "status"));
			if (strcmp(st, "applied") == 0 || strcmp(st, "info") == 0)
				continue;
			fprintf(f, "  %-8s %-9s %s: %s\n", st,
				json_string_value(json_object_get(e, "layer")),
				json_string_value(json_object_get(e, "item")),
				json_string_value(json_object_get(e, "detail")));
		}
	}
	if (r->run.sandbox_refused)
		fprintf(f, "  the enforcer refused: %s\n", r->run.sandbox_error);
	{
		char st[64];
		fprintf(f, "\nWhat the program did (%s%s; its own words, diagnostic only)\n",
			util_status_str(r->run.status, st, sizeof(st)),
			r->run.timed_out ? ", timed out" : "");
		print_block(f, "  | ", r->run.out, r->run.out_len, 40);
		if (r->run.err && r->run.err_len) {
			fprintf(f, "  stderr:\n");
			print_block(f, "  ! ", r->run.err, r->run.err_len, 10);
		}
	}
	fprintf(f, "\nWhat the witnesses saw\n");
	if (ev) {
		json_t *cap = json_object_get(ev, "capture");
		json_t *sinks = json_object_get(ev, "sinks");
		json_t *dns = sinks ? json_object_get(sinks, "dns") : NULL;
		json_t *sig = json_object_get(ev, "signal_victim");
		if (cap)
			fprintf(f,
				"  capture: %lld packets, %lld flows (%lld direct, %lld proxied), "
				"%lld dropped\n",
				json_integer_value(json_object_get(cap, "packets")),
				json_integer_value(
				    json_object_get(json_object_get(cap, "flows"), "total")),
				json_integer_value(
				    json_object_get(json_object_get(cap, "flows"), "direct")),
				json_integer_value(
				    json_object_get(json_object_get(cap, "flows"), "proxied")),
				json_integer_value(json_object_get(cap, "dropped")));
		if (sinks)
			fprintf(f, "  sinks: marker %s\n",
				json_is_true(json_object_get(sinks, "marker_seen")) ? "SEEN"
										    : "not seen");
		if (dns)
			fprintf(f, "  DNS sink: %lld question(s), marker %s\n",
				json_integer_value(json_object_get(dns, "questions")),
				json_is_true(json_object_get(dns, "marker_seen")) ? "SEEN"
										  : "not seen");
		if (sig)
			fprintf(f, "  signal victim: %lld signal(s)\n",
				json_integer_value(json_object_get(sig, "total")));
		fprintf(
		    f, "  supervisor %s, proxy %s\n",
		    json_is_true(json_object_get(json_object_get(ev, "supervisor"), "alive"))
			? "alive"
			: "DEAD",
		    json_is_true(json_object_get(json_object_get(ev, "supervisor"), "proxy_alive"))
			? "alive"
			: "DEAD");
	}
	json_array_foreach (r->run.escapes, i, e)
		fprintf(f, "  ESCAPE: %s\n", json_string_value(e));
	if (r->control_used)
		fprintf(f, "\nPositive control (profile none, fresh lab): %s\n",
			r->control_used->infra_failed ? "lab failed"
			: r->control_used->escaped    ? "escaped, as it must"
						      : "did NOT escape");
	else
		fprintf(f, "\nPositive control: not run\n");
	fprintf(f, "\nVerdict: %s - %s\n", verdict_name(r->j.verdict), r->j.reason);
	fprintf(f, "The program's claim: %s%s%s\n", r->j.claim, r->j.disagreement[0] ? " - " : "",
		r->j.disagreement);
	if (s->pcap_path && !r->na)
		fprintf(f, "Capture: %s\n", s->pcap_path);
}
