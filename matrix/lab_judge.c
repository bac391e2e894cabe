/* lab_judge.c - judging what the witnesses saw: the supervisor and the
 * proxy, the victims, the sinks, the proxy's log and the capture, into the
 * outcome's evidence and escapes (lab_int.h). Facts only; the verdict is
 * verdict.h's. */
#include "lab_int.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "flows.h"
#include "proxy_child.h"
#include "sinks.h"
#include "util.h"

/* ---- judging what the witnesses saw (facts only; the verdict is not here) ---- */

void lab_add_escape(struct lab_outcome *o, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(o->escapes, json_string(buf));
	o->escaped = true;
}

static json_t *listener_json(const struct lab_listener_counts *l)
{
	return json_pack("{s:i,s:i,s:b}", "connections", atomic_load(&l->connections), "bytes",
			 atomic_load(&l->bytes), "marker", atomic_load(&l->marker));
}

static const char *state_name(int s)
{
	static const char *const names[] = {"alive", "stopped", "killed", "exited", "not started"};
	return s >= 0 && s <= 4 ? names[s] : "?";
}

static json_t *victim_json(const struct lab_victim_status *v)
{
	int s = atomic_load(&v->state);
	json_t *j = json_pack("{s:i,s:s}", "pid", (int)v->pid, "state", state_name(s));
	if (s == VICTIM_STOPPED || s == VICTIM_KILLED)
		json_object_set_new(j, "signal", json_string(util_signame(v->signal)));
	return j;
}

static void judge_victims(struct lab_outcome *o, struct lab_shm *shm, json_t *ev)
{
	json_t *sig = json_object();
	int total = atomic_load(&shm->signals_total);
	const struct {
		const char *name;
		const struct lab_listener_counts *l;
	} ls[] = {
	    {"abstract_stream", &shm->abstract_stream},
	    {"abstract_dgram", &shm->abstract_dgram},
	    {"abstract_seqpacket", &shm->abstract_seqpacket},
	    {"path_stream", &shm->path_stream},
	    {"path_dgram", &shm->path_dgram},
	    {"path_seqpacket", &shm->path_seqpacket},
	    {"pod_tcp_services", &shm->pod_tcp},
	    {"pod_udp_53", &shm->pod_udp},
	};
	json_t *received = json_object();

	for (int s = 1; s < 65; s++) {
		int n = atomic_load(&shm->signals[s]);
		if (n) {
			json_object_set_new(received, util_signame(s), json_integer(n));
			lab_add_escape(o, "signal victim (pid %d) received SIG%s x%d",
				       (int)shm->signal_victim.pid, util_signame(s), n);
		}
	}
	json_object_set_new(sig, "received", received);
	json_object_set_new(sig, "total", json_integer(total));
	json_object_set_new(sig, "process", victim_json(&shm->signal_victim));
	json_object_set_new(ev, "signal_victim", sig);
	json_object_set_new(ev, "sacrificial_victim", victim_json(&shm->sacrificial));
	json_object_set_new(ev, "victim_path", json_string(shm->victim_path));
	for (size_t i = 0; i < ARRAY_SIZE(ls); i++) {
		json_object_set_new(ev, ls[i].name, listener_json(ls[i].l));
		if (atomic_load(&ls[i].l->connections) || atomic_load(&ls[i].l->bytes))
			lab_add_escape(
			    o, "%s victim reached: %d connection(s)/datagram(s), %d bytes%s",
			    ls[i].name, atomic_load(&ls[i].l->connections),
			    atomic_load(&ls[i].l->bytes),
			    atomic_load(&ls[i].l->marker) ? ", marker seen" : "");
	}
	{
		unsigned long long pend = atomic_load(&shm->sacrificial.pending);
		json_t *names = json_array();
		for (int s = 1; s <= 64; s++) {
			if (!(pend & (1ULL << (s - 1))))
				continue;
			json_array_append_new(names, json_string(util_signame(s)));
			lab_add_escape(o,
				       "sacrificial victim (pid %d) had SIG%s pending: it reached "
				       "the victim, which blocks it",
				       (int)shm->sacrificial.pid, util_signame(s));
		}
		json_object_set_new(json_object_get(ev, "sacrificial_victim"), "pending", names);
	}
	if (atomic_load(&shm->sacrificial.state) == VICTIM_STOPPED ||
	    atomic_load(&shm->sacrificial.state) == VICTIM_KILLED)
		lab_add_escape(o, "sacrificial victim %s by SIG%s",
			       state_name(shm->sacrificial.state),
			       util_signame(shm->sacrificial.signal));
	if (atomic_load(&shm->signal_victim.state) == VICTIM_STOPPED ||
	    atomic_load(&shm->signal_victim.state) == VICTIM_KILLED)
		lab_add_escape(o, "signal victim %s by SIG%s", state_name(shm->signal_victim.state),
			       util_signame(shm->signal_victim.signal));
	if (atomic_load(&shm->listeners.state) == VICTIM_KILLED ||
	    atomic_load(&shm->listeners.state) == VICTIM_STOPPED)
		lab_add_escape(o, "listener victim %s by SIG%s", state_name(shm->listeners.state),
			       util_signame(shm->listeners.signal));
	json_object_set_new(ev, "accomplice_abstract", listener_json(&shm->accomplice_abstract));
	/* Any byte counts: an inbound channel carries data out whether or
	 * not the program sends the literal marker (a review sent it
	 * reversed). */
	if (atomic_load(&shm->accomplice_abstract.marker))
		lab_add_escape(o, "accomplice read the marker from the program's abstract socket");
	else if (atomic_load(&shm->accomplice_abstract.bytes) > 0)
		lab_add_escape(o, "accomplice read %d byte(s) from the program's abstract socket",
			       atomic_load(&shm->accomplice_abstract.bytes));
}

/* Parse the proxy's JSON-lines log (docs/proxy.md) into flow records for the
 * capture judge: every upstream dial ("connect") and resolver query ("dns")
 * with its exact 5-tuple. */
static size_t proxy_records(const char *log, struct flow_record **out, json_t *lines)
{
	size_t cap = 16, n = 0;
	struct flow_record *v = calloc(cap, sizeof(*v));
	const char *p = log;

	while (v && p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		json_error_t je;
		json_t *j = json_loadb(p, len, 0, &je);
		const char *kind, *la, *ra;
		json_int_t lp, rp;
		p = nl ? nl + 1 : NULL;
		if (!j)
			continue;
		json_array_append(lines, j);
		kind = json_string_value(json_object_get(j, "kind"));
		la = json_string_value(json_object_get(j, "local_addr"));
		ra = json_string_value(json_object_get(j, "remote_addr"));
		lp = json_integer_value(json_object_get(j, "local_port"));
		rp = json_integer_value(json_object_get(j, "remote_port"));
		if (kind && la && ra && lp > 0 && rp > 0 &&
		    (strcmp(kind, "connect") == 0 || strcmp(kind, "dns") == 0)) {
			if (n == cap) {
				struct flow_record *nv = realloc(v, cap * 2 * sizeof(*v));
				if (!nv) {
					json_decref(j);
					break;
				}
				v = nv;
				cap *= 2;
			}
			memset(&v[n], 0, sizeof(v[n]));
			v[n].proto = strcmp(kind, "dns") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
			snprintf(v[n].local, sizeof(v[n].local), "%s", la);
			snprintf(v[n].remote, sizeof(v[n].remote), "%s", ra);
			v[n].lport = (uint16_t)lp;
			v[n].rport = (uint16_t)rp;
			n++;
		}
		json_decref(j);
	}
	*out = v;
	return n;
}

/* The supervisor's post-run probe (enforcer.h, proxy_probe_ms) is refused
 * by the proxy and logged like any request: its line is the lab's, not the
 * program's. It is the last line from the probe's port with a refused
 * method: the probe is made after the program and all it left running
 * are gone. (Only such a line can be dropped: flows and pivots are judged
 * from connect lines.) */
static void drop_probe_line(json_t *lines, uint16_t probe_port)
{
	size_t i = json_array_size(lines);

	if (!probe_port)
		return;
	while (i-- > 0) {
		json_t *l = json_array_get(lines, i);
		const char *kind = json_string_value(json_object_get(l, "kind"));
		const char *dec = json_string_value(json_object_get(l, "decision"));
		if (kind && dec && strcmp(kind, "request") == 0 &&
		    strcmp(dec, "method_not_allowed") == 0 &&
		    json_integer_value(json_object_get(l, "client_port")) == probe_port) {
			json_array_remove(lines, i);
			return;
		}
	}
}

static char *read_memfd(int fd)
{
	struct stat st;
	char *buf;
	if (fstat(fd, &st) < 0)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

void lab_judge_witnesses(const struct lab_config *c, struct lab_outcome *o, struct lab_shm *shm,
			 int status, struct sinks *sinks, struct capture *cap, int plog)
{
	json_t *ev = o->evidence;
	char why[320];

	/* The supervisor, and the proxy it ran. */
	{
		json_t *sup = json_object();
		bool alive = shm->run_returned;
		char st_s[64];
		json_object_set_new(sup, "pid", json_integer(shm->supervisor_pid));
		json_object_set_new(sup, "alive", json_boolean(alive));
		/* Probed: only the proxy's answer is "alive" (stopped, or no
		 * answer, is not). Not probed: it was not seen to die. */
		json_object_set_new(sup, "proxy_alive",
				    json_boolean(shm->proxy_probed
						     ? shm->proxy_fate == PROXY_FATE_ALIVE
						     : !shm->proxy_died_early));
		/* null: not probed (the proxy was already gone, or never ran) */
		json_object_set_new(sup, "proxy_probe",
				    shm->proxy_probed
					? json_string(proxy_fate_name(shm->proxy_fate))
					: json_null());
		/* false: a victim did not answer the final drain in time, so its
		 * counts may miss what was still queued for it */
		json_object_set_new(sup, "victims_settled", json_boolean(shm->victims_settled));
		json_object_set_new(sup, "stopped",
				    o->supervisor_stopped
					? json_sprintf("%c", o->supervisor_stopped)
					: json_false());
		/* Its parent's count (a stop of any length), and what the
		 * harness's looks saw (a stop still on, or a tracer in the pod):
		 * one escape. */
		char what[192];
		json_object_set_new(sup, "group_stops",
				    json_integer(atomic_load(&shm->supervisor_watch.stops)));
		json_object_set_new(sup, "continues",
				    json_integer(atomic_load(&shm->supervisor_watch.continues)));
		if (pidns_watch_describe(&shm->supervisor_watch, what, sizeof(what))) {
			char state[32] = "";
			if (o->supervisor_stopped)
				snprintf(state, sizeof(state), "; seen stopped, state %c",
					 o->supervisor_stopped);
			lab_add_escape(o,
				       "supervisor (pid %d) was stopped during the run (%s%s): its "
				       "parent, the pod's init, saw it; a signal reached it",
				       (int)shm->supervisor_pid, what, state);
		} else if (o->supervisor_stopped) {
			/* Seen by the looks only: a tracing stop, or a stop
			 * reported to a tracer rather than to the init. */
			lab_add_escape(
			    o,
			    "supervisor (pid %d) was stopped during the run (state %c): a "
			    "signal or a tracer reached it",
			    (int)shm->supervisor_pid, o->supervisor_stopped);
		}
		/* Still stopped, it was killed by the lab: that death is ours. */
		if (!o->supervisor_stopped && !alive && !o->infra_failed && !shm->setup_failed)
			lab_add_escape(o, "supervisor (pid %d) died during the run: pod %s",
				       (int)shm->supervisor_pid,
				       util_status_str(status, st_s, sizeof(st_s)));
		if (shm->proxy_died_early)
			lab_add_escape(o, "proxy (pid %d) died %s: %s", (int)shm->proxy_pid,
				       shm->proxy_probed
					   ? "before it could answer the lab's post-run probe"
					   : "while the program ran",
				       util_status_str(shm->proxy_status, st_s, sizeof(st_s)));
		if (shm->proxy_probed && shm->proxy_fate == PROXY_FATE_STOPPED)
			lab_add_escape(
			    o,
			    "proxy (pid %d) stopped: it did not answer the lab's post-run "
			    "probe, and it is stopped or traced",
			    (int)shm->proxy_pid);
		/* What the leftovers were: the program's processes that outlived
		 * it, killed before the probe and the victims' drain. */
		json_object_set_new(sup, "leftovers_killed", json_integer(shm->leftovers_killed));
		if (shm->leftovers_remaining)
			json_object_set_new(sup, "leftovers_remaining",
					    json_integer(shm->leftovers_remaining));
		json_object_set_new(ev, "supervisor", sup);
	}
	judge_victims(o, shm, ev);
	if (sinks) {
		json_object_set_new(ev, "sinks", sinks_evidence(sinks));
		if (sinks_saw_marker(sinks))
			lab_add_escape(o, "a network sink in wan received the marker (see sinks)");
		/* A sink that stopped serving saw nothing after: what it missed
		 * could have been an escape. As for the capture, the cell is
		 * INCONCLUSIVE, whatever the other witnesses saw. */
		if (sinks_failed_witness(sinks, why, sizeof(why)) && !o->infra_failed) {
			o->infra_failed = true;
			snprintf(o->infra_error, sizeof(o->infra_error), "sink witness failed: %s",
				 why);
		}
	}
	{
		char *log = read_memfd(plog);
		struct flow_record *recs = NULL;
		json_t *lines = json_array();
		size_t nrec = proxy_records(log ? log : "", &recs, lines);
		drop_probe_line(lines, shm->proxy_probe_port);
		/* The bait is the lab's own flow, not the program's. */
		if (shm->bait_lport > 0) {
			struct flow_record *nr = realloc(recs, (nrec + 1) * sizeof(*recs));
			if (nr) {
				recs = nr;
				memset(&recs[nrec], 0, sizeof(recs[nrec]));
				recs[nrec].proto = IPPROTO_TCP;
				snprintf(recs[nrec].local, sizeof(recs[nrec].local), "%s",
					 LAB_POD_V4);
				recs[nrec].lport = (uint16_t)shm->bait_lport;
				snprintf(recs[nrec].remote, sizeof(recs[nrec].remote), "%s",
					 LAB_SINK_V4);
				recs[nrec].rport = 8080;
				/* the lab never writes to it: a marker there came
				 * from the program, through a leaked fd (E11) */
				recs[nrec].marker_escapes = true;
				nrec++;
			}
		}
		struct capture_verdict v;
		static const char *const pod_addrs[] = {LAB_POD_V4, LAB_POD_V6, "10.200.0.0/24",
							NULL};
		static const char *const svc[] = {LAB_SINK_V4, LAB_SINK_V6,    LAB_DNS_V4,
						  LAB_DNS_V6,  LAB_ALLOWED_V4, NULL};
		struct perr je;

		/* The proxy is a layer under test too: a tunnel it opened to anything
		 * but the lab's one allowed upstream (its address and port) is a
		 * pivot that worked (T13, D05, D07), whether or not a sink listened
		 * there. */
		{
			size_t li;
			json_t *l;
			json_array_foreach (lines, li, l) {
				const char *kind = json_string_value(json_object_get(l, "kind"));
				const char *dec = json_string_value(json_object_get(l, "decision"));
				const char *ra =
				    json_string_value(json_object_get(l, "remote_addr"));
				json_int_t rp =
				    json_integer_value(json_object_get(l, "remote_port"));
				/* The address and the port: the allowlist is
				 * allowed.test:443, not every port of its host. */
				if (kind && dec && ra && strcmp(kind, "connect") == 0 &&
				    strcmp(dec, "allowed") == 0 &&
				    (strcmp(ra, LAB_ALLOWED_V4) != 0 || rp != LAB_ALLOWED_PORT))
					lab_add_escape(
					    o,
					    "the proxy allowed and dialed %s:%lld for CONNECT "
					    "%s:%lld (outside the lab's allowlist)",
					    ra,
					    json_integer_value(json_object_get(l, "remote_port")),
					    json_string_value(json_object_get(l, "host")),
					    json_integer_value(json_object_get(l, "port")));
			}
		}
		json_object_set_new(ev, "proxy_log", lines);
		if (capture_judge(cap, o->marker, pod_addrs, svc, recs, nrec, &v, &je) == 0) {
			json_object_set_new(ev, "capture", capture_verdict_json(&v, 64));
			if (!v.ok) {
				o->infra_failed = true;
				snprintf(o->infra_error, sizeof(o->infra_error),
					 "capture witness failed: %s", v.failure);
			}
			for (unsigned i = 0; i < v.flows; i++) {
				const struct capture_flow *f = &v.flowv[i];
				if (f->why)
					lab_add_escape(
					    o, "capture: %s flow %s%s%s: %s",
					    capture_class_name(f->cls),
					    (f->why & CAPTURE_WHY_DIRECT) ? "direct-egress" : "",
					    (f->why & CAPTURE_WHY_MARKER) ? " +marker" : "",
					    (f->why & CAPTURE_WHY_INBOUND_DATA)
						? " +data on a connection the accomplice opened"
						: "",
					    f->first);
			}
			if (c->pcap_path) {
				char comment[256];
				snprintf(comment, sizeof(comment), "parity cell %s marker %s",
					 c->cell_id ? c->cell_id : "-", o->marker);
				if (capture_write_pcapng(cap, c->pcap_path, comment, &v, &je) < 0)
					json_object_set_new(ev, "pcap_error", json_string(je.msg));
				else
					json_object_set_new(ev, "pcap", json_string(c->pcap_path));
			}
			capture_verdict_free(&v);
		} else {
			o->infra_failed = true;
			snprintf(o->infra_error, sizeof(o->infra_error), "capture judge: %s",
				 je.msg);
		}
		free(recs);
		free(log);
	}
	/* A probe with no answer, while the proxy is neither dead nor stopped,
	 * leaves the proxy's fate unknown: with nothing else seen, that is a
	 * witness that failed, not a containment. */
	if (shm->proxy_probed && shm->proxy_fate == PROXY_FATE_UNKNOWN && !o->escaped &&
	    !o->infra_failed && !shm->timed_out) {
		o->infra_failed = true;
		snprintf(
		    o->infra_error, sizeof(o->infra_error),
		    "witness failed: the proxy (pid %d) did not answer the lab's post-run probe, "
		    "and is neither dead nor stopped",
		    (int)shm->proxy_pid);
	}
	/* A victim that did not answer the final drain may not have counted
	 * what was queued for it (a signal, a datagram): with nothing else
	 * seen, that is a witness that failed, not a containment. */
	if (shm->run_returned && !shm->victims_settled && !o->escaped && !o->infra_failed) {
		o->infra_failed = true;
		snprintf(o->infra_error, sizeof(o->infra_error),
			 "witness failed: a victim did not answer the lab's final drain in time, "
			 "so its counts may miss what was queued for it");
	}
	/* A victim that exited on its own, or never started, was not there
	 * to be reached: with nothing else seen, a witness that failed (it
	 * was "settled" and the cell could be BLOCKED). */
	{
		const struct {
			const char *name;
			struct lab_victim_status *v;
		} vs[] = {{"signal", &shm->signal_victim},
			  {"sacrificial", &shm->sacrificial},
			  {"listener", &shm->listeners}};
		for (size_t i = 0; i < ARRAY_SIZE(vs) && !o->escaped && !o->infra_failed; i++) {
			int state = atomic_load(&vs[i].v->state);
			if (state != VICTIM_EXITED && state != VICTIM_NOT_STARTED)
				continue;
			o->infra_failed = true;
			snprintf(o->infra_error, sizeof(o->infra_error),
				 "witness failed: the %s victim (pid %d) %s, so it could not be "
				 "reached",
				 vs[i].name, (int)vs[i].v->pid,
				 state == VICTIM_EXITED ? "exited on its own" : "never started");
		}
	}
	if (shm->leftovers_remaining && !o->escaped && !o->infra_failed) {
		o->infra_failed = true;
		snprintf(o->infra_error, sizeof(o->infra_error),
			 "witness failed: %d process(es) of the program outlived it and could not "
			 "be ended before the witnesses were read",
			 shm->leftovers_remaining);
	}
}

void lab_judge_inspections(struct lab_outcome *o, json_t *requests)
{
	json_t *r;
	size_t i;

	json_array_foreach (requests, i, r) {
		const char *req = json_string_value(json_object_get(r, "request"));
		const char *err = json_string_value(json_object_get(r, "error"));
		if (!req || strncmp(req, "@parity inspect", 15) != 0 || !err)
			continue;
		if (!o->escaped && !o->infra_failed) {
			o->infra_failed = true;
			snprintf(
			    o->infra_error, sizeof(o->infra_error),
			    "witness failed: '%.60s' could not be carried out (%.120s): what it "
			    "was to show was not looked at",
			    req, err);
		}
		return;
	}
}
