/* lab.h - a fresh lab per judged run, and the run judged by its witnesses.
 *
 *  [sandbox netns]  namespace profile only (made by the enforcer)
 *       | veth 10.200.0.2 -- 10.200.0.1
 *  [pod netns]      PID namespace + mount namespace: supervisor, proxy,
 *       |           victims; eth0 10.88.0.2/24, fd00:88::2/64
 *       | veth      <== packet capture on the wan side
 *  [wan netns]      10.88.0.1/24, fd00:88::1/64; on lo: sinks 198.51.100.10,
 *                   2001:db8:100::10; DNS 198.51.100.53, 2001:db8:100::53;
 *                   allowed upstream 203.0.113.80
 *
 * lab_run() builds all of it, runs the command under the profile inside the
 * pod, lets the witnesses watch, tears everything down (the kernel does:
 * anonymous namespaces, a PID namespace) and returns what was observed.
 * Verdicts are computed from observations by verdict.h, never here.
 */
#ifndef PARITY_LAB_H
#define PARITY_LAB_H

#include <jansson.h>
#include <stdbool.h>

#include "enforcer.h"
#include "err.h"
#include "profile.h"

#define LAB_SINK_V4 "198.51.100.10"
#define LAB_SINK_V6 "2001:db8:100::10"
#define LAB_DNS_V4 "198.51.100.53"
#define LAB_DNS_V6 "2001:db8:100::53"
#define LAB_ALLOWED_V4 "203.0.113.80"
#define LAB_ALLOWED "allowed.test:443"
#define LAB_ALLOWED_PORT 443
#define LAB_POD_V4 "10.88.0.2"
#define LAB_POD_V6 "fd00:88::2"
#define LAB_WAN_V4 "10.88.0.1"
#define LAB_WAN_V6 "fd00:88::1"

struct lab_config {
	const struct profile *profile;
	int landlock_abi_cap; /* -1: the kernel's */
	enum compat_mode compat;
	char *const *argv;	     /* the program to judge */
	int timeout_ms;		     /* the program's budget */
	const char *pcap_path;	     /* save the capture (pcapng) here; NULL: don't */
	const char *policy_path;     /* NULL: enforcer/policies/lab.json */
	const char *const *extra_ro; /* Landlock read-only paths for the program */
	const char *cell_id;	     /* for the capture's comment */
	size_t capture_max_bytes;    /* memory for the capture's frames; beyond it
					the capture witness fails (INCONCLUSIVE).
					0: its default, 256 MiB */
};

/* What the lab saw; JSON members are owned by the outcome. */
struct lab_outcome {
	char marker[27];
	bool infra_failed; /* the lab could not be built or a witness failed */
	char infra_error[512];
	/* the program */
	bool exec_done;	      /* every layer applied and the program started */
	bool sandbox_refused; /* the enforcer refused (e.g. --compat hard) */
	char sandbox_error[1024];
	int status; /* wait status */
	bool timed_out;
	/* The pod's supervisor seen stopped ('T') or in a tracing stop ('t')
	 * while the cell ran: a signal or a tracer reached it. 0: never. */
	char supervisor_stopped;
	char *out, *err;	 /* its stdout and stderr (diagnostic only) */
	size_t out_len, err_len; /* their lengths: a NUL byte in them is kept */
	json_t *report;		 /* enforcement report */
	/* the witnesses */
	bool escaped;	  /* some witness saw the marker or a direct flow */
	json_t *evidence; /* {"sinks":..,"capture":..,"victims":..,...} */
	json_t *escapes;  /* array of short human reasons */
	/* timing */
	double lab_ms, run_ms, judge_ms;
	/* parts of run_ms: the enforcer's setup before the agent forked, and
	 * the agent from fork to exit (its own layers, then the program) */
	double enforcer_ms, program_ms;
};

int lab_run(const struct lab_config *c, struct lab_outcome *out, struct perr *e);
void lab_outcome_free(struct lab_outcome *o);

/* The environment a bring-your-own attack gets (DESIGN.md §4). */
const char *const *lab_env_names(void);

#endif
