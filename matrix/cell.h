/* cell.h - one judged run: a program (a registry attack or any command)
 * under one profile and Landlock ABI, in a fresh lab, with its positive
 * control under `none` in another fresh lab, and the verdict.
 */
#ifndef PARITY_CELL_H
#define PARITY_CELL_H

#include <jansson.h>
#include <stdbool.h>

#include "attack.h"
#include "enforcer.h"
#include "lab.h"
#include "probe.h"
#include "profile.h"
#include "verdict.h"

struct cell_spec {
	const struct attack *attack; /* NULL: bring-your-own argv */
	char *const *argv;	     /* BYO command */
	const struct profile *profile;
	const struct profile *control_profile; /* `none`; NULL: no control */
	int landlock_abi_cap;		       /* -1: the kernel's */
	enum compat_mode compat;
	int timeout_ms;		   /* 0: the attack's own, or 10 s */
	const char *pcap_path;	   /* NULL: keep no capture */
	const struct probe *probe; /* for preconditions; NULL: probe now */
	const char *const *extra_ro;
	size_t capture_max_bytes; /* lab_config's; 0: the default */
	/* A control already run for this program (matrix: one per attack). */
	const struct lab_outcome *shared_control;
};

struct cell_result {
	char id[128]; /* "T04/platform/abi7" */
	bool na;      /* a precondition is missing: nothing was run */
	struct judgement j;
	struct lab_outcome run;
	struct lab_outcome control; /* when this cell ran its own control */
	bool control_ran;
	const struct lab_outcome *control_used;
	double ms;
};

/* Returns 0 when a judgement was made (any verdict), -1 when the lab could
 * not even be attempted (bad arguments). Lab failures are INCONCLUSIVE. */
int cell_run(const struct cell_spec *s, struct cell_result *r, struct perr *e);
void cell_result_free(struct cell_result *r);

/* Check an attack's preconditions; returns false and the reason if one is
 * missing. */
bool cell_needs_met(const struct attack *a, const struct probe *p, char *why, size_t len);

/* The command that runs a registry attack inside the sandbox. */
void cell_attack_argv(const struct attack *a, char *argv_buf[4]);

/* JSON of the whole judgement (verdict, evidence, report summary, control). */
json_t *cell_result_json(const struct cell_result *r, bool full);
/* The auditor's transcript. */
void cell_print_transcript(FILE *f, const struct cell_spec *s, const struct cell_result *r);

#endif
