/* matrix.c - `parity matrix`: probe, plan, run the cells in workers, and
 * assemble the results document (matrix.h, results.h). */
#include "matrix.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expect.h"
#include "parity_version.h"
#include "results.h"
#include "util.h"

/* Remove captures from evidence/: every one (a new run), or only the
 * temporary ones a dead worker may have left (the end of a run). */
static int evidence_clean(const char *dir, bool tmp_only, struct perr *e)
{
	/* O_NOFOLLOW: a symbolic link planted as evidence/ would have its
	 * target's captures removed (util_real_dir refuses it first). */
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (!d) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return perr_sys(e, err, "open %s", dir);
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n > 7 && strcmp(de->d_name + n - 7, ".pcapng") == 0 &&
		    (!tmp_only || strncmp(de->d_name, ".tmp-", 5) == 0))
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return 0;
}

/* evidence/ holds this run's captures only: drop those of an earlier run. */
static int evidence_dir_prepare(const char *out_dir, char *dir, size_t len, struct perr *e)
{
	snprintf(dir, len, "%s/evidence", out_dir);
	if (util_mkdir_p(out_dir, e) < 0 || util_real_dir(dir, e) < 0)
		return -1;
	return evidence_clean(dir, false, e);
}

/* The gating sets (given, or the shipped default), then the PR's claims
 * for parity.md when no gating set is the claims set already. */
static int load_sets(const struct matrix_opts *o, json_t *sets, struct perr *e)
{
	char path[4200];
	bool claims = false;
	struct expect_set s;

	if (!o->no_expect) {
		size_t n = o->nexpect;
		for (size_t i = 0; i < (n ? n : SIZE_MAX); i++) {
			const char *f = n ? o->expect[i] : NULL;
			if (!n) {
				if (!expect_default_sets[i])
					break;
				snprintf(path, sizeof(path), "%s/%s.json", expect_dir(),
					 expect_default_sets[i]);
				f = path;
			}
			if (expect_set_load(f, true, &s, e) < 0)
				return perr_prefix(e, "--expect");
			claims |= strcmp(s.name, EXPECT_CLAIMS_SET) == 0;
			if (json_array_append_new(sets, expect_set_json(&s)) < 0) {
				perr_set(e, "--expect %s: set %s could not be kept", f, s.name);
				expect_set_free(&s);
				return -1;
			}
			expect_set_free(&s);
		}
	}
	snprintf(path, sizeof(path), "%s/%s.json", expect_dir(), EXPECT_CLAIMS_SET);
	if (!claims && access(path, R_OK) == 0) {
		if (expect_set_load(path, false, &s, e) < 0)
			return -1;
		if (json_array_append_new(sets, expect_set_json(&s)) < 0) {
			perr_set(e, "%s: set %s could not be kept", path, s.name);
			expect_set_free(&s);
			return -1;
		}
		expect_set_free(&s);
	}
	return 0;
}

static json_t *run_json(const struct matrix_opts *o, const struct matrix_plan *pl, unsigned jobs)
{
	json_t *profiles = json_array(), *files = json_object(), *abis = json_array();
	json_t *attacks = json_array();
	char date[40], host[256] = "";

	util_rfc3339(date, sizeof(date));
	gethostname(host, sizeof(host) - 1);
	if (pl->control < 0) {
		const struct profile *c = matrix_control_profile(pl);
		json_array_append_new(profiles, json_string(c->name));
		json_object_set_new(files, c->name, json_string(c->path));
	}
	for (size_t i = 0; i < pl->nprofiles; i++) {
		json_array_append_new(profiles, json_string(pl->profiles[i].name));
		json_object_set_new(files, pl->profiles[i].name, json_string(pl->profiles[i].path));
	}
	for (size_t i = 0; i < pl->nabis; i++)
		json_array_append_new(
		    abis,
		    json_pack("{s:i,s:i,s:b,s:b}", "requested", pl->abis[i].cap, "effective",
			      matrix_effective_abi(pl, &pl->abis[i]), "kernel", pl->abis[i].kernel,
			      "emulated", matrix_effective_abi(pl, &pl->abis[i]) < pl->kernel_abi));
	for (size_t i = 0; i < pl->nattacks; i++)
		json_array_append_new(attacks, json_string(pl->attacks[i]->id));
	return json_pack(
	    "{s:s,s:s,s:s,s:s,s:s,s:{s:i,s:i},s:i,s:o,s:o,s:i,s:o,s:o,s:i,s:[]}", "parity_version",
	    PARITY_VERSION, "date", date, "host", host, "kernel_release", pl->probe->sys.release,
	    "command", o->command_line ? o->command_line : "parity matrix", "shard", "index",
	    (int)pl->shard_k, "count", (int)pl->shard_n, "jobs", (int)jobs, "profiles", profiles,
	    "profile_files", files, "kernel_abi", pl->kernel_abi, "abis", abis, "attacks", attacks,
	    "planned_cells", (int)pl->planned, "infra_failures");
}

static json_t *timing_json(json_t *cells, double wall_ms, double probe_ms)
{
	static const char *const split[] = {"lab_ms", "pod_ms", "enforcer_ms", "attack_ms",
					    "judge_ms"};
	json_t *sp = json_object(), *avg = json_object(), *c;
	double sums[ARRAY_SIZE(split)] = {0};
	size_t i, labs = 0;

	json_array_foreach (cells, i, c) {
		json_t *t = json_object_get(c, "timing");
		if (json_number_value(json_object_get(t, "total_ms")) <= 0)
			continue;
		labs++;
		for (size_t k = 0; k < ARRAY_SIZE(split); k++)
			sums[k] += json_number_value(json_object_get(t, split[k]));
	}
	for (size_t k = 0; k < ARRAY_SIZE(split); k++) {
		json_object_set_new(sp, split[k], json_real(sums[k]));
		json_object_set_new(avg, split[k], json_real(labs ? sums[k] / (double)labs : 0));
	}
	return json_pack(
	    "{s:f,s:f,s:i,s:i,s:f,s:f,s:o,s:o}", "wall_ms", wall_ms, "probe_ms", probe_ms, "cells",
	    (int)json_array_size(cells), "labs", (int)labs, "cells_per_s",
	    wall_ms > 0 ? json_array_size(cells) * 1000.0 / wall_ms : 0.0, "labs_per_s",
	    wall_ms > 0 ? labs * 1000.0 / wall_ms : 0.0, "split_ms", sp, "per_lab_ms", avg);
}

int matrix_run(const struct matrix_opts *o, json_t **results, struct perr *e)
{
	struct probe *p = calloc(1, sizeof(*p));
	struct matrix_plan pl;
	struct matrix_progress *prog = NULL;
	json_t *sets = json_array(), *cells = json_array(), *infra = json_array(), *r = NULL;
	char evdir[4200];
	unsigned jobs = o->jobs;
	uint64_t t0, t1;
	double probe_ms;
	int rc = -1;

	*results = NULL;
	memset(&pl, 0, sizeof(pl));
	if (!p) {
		perr_sys(e, ENOMEM, "probe");
		goto out;
	}
	/* Configuration first: a bad file fails before any lab runs. */
	if (load_sets(o, sets, e) < 0)
		goto out;
	t0 = util_now_ns();
	if (probe_run(p, e) < 0) {
		perr_prefix(e, "probe");
		goto out;
	}
	probe_ms = (double)(util_now_ns() - t0) / 1e6;
	if (matrix_plan_build(o, p, &pl, e) < 0)
		goto out;
	/* Root only now: the options, the profiles and the expectation files
	 * are checked first, so that a mistake is named to anyone. */
	if (geteuid() != 0) {
		perr_set(e, "the labs need root (network namespaces, PID namespaces)");
		goto out;
	}
	if (!jobs) {
		/* Four labs per CPU: a cell spends most of its time waiting (on
		 * timeouts, accomplices, races with a time budget), not computing.
		 * The default matrix (2457 cells) on 2 CPUs: 4 jobs 124 s, 8 jobs
		 * 76 s, 12 jobs 73 s, the same verdicts and no INCONCLUSIVE. */
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = n > 0 ? 4 * (unsigned)n : 4;
	}
	if (evidence_dir_prepare(o->out_dir ? o->out_dir : MATRIX_DEFAULT_OUT, evdir, sizeof(evdir),
				 e) < 0)
		goto out;
	{
		size_t controls = 0, total;
		for (size_t a = 0; a < pl.nattacks; a++)
			controls += pl.needs_control[a];
		total = controls + pl.ncells;
		prog = matrix_progress_new(o->progress, o->progress_tty, total);
		matrix_progress_stage(prog,
				      "kernel %s, Landlock ABI %d, errata %s0x%x; probe %.0f ms",
				      p->sys.release, pl.kernel_abi,
				      p->landlock.errata_supported ? "" : "unsupported ",
				      p->landlock.errata, probe_ms);
		matrix_progress_stage(prog,
				      "%zu attacks x %zu profiles x %zu ABIs: %zu cells%s + %zu "
				      "controls, %u workers",
				      pl.nattacks, pl.nprofiles - (pl.control >= 0), pl.nabis,
				      pl.ncells, pl.shard_n > 1 ? " in this shard" : "", controls,
				      jobs);
	}
	t1 = util_now_ns();
	if (matrix_pool_run(&pl, jobs, evdir, cells, infra, prog, e) < 0)
		goto out;
	evidence_clean(evdir, true, e);
	{
		double wall = (double)(util_now_ns() - t1) / 1e6;
		json_t *run = run_json(o, &pl, jobs);
		json_object_set(run, "infra_failures", infra);
		r = json_pack("{s:s,s:o,s:o,s:O,s:o,s:{s:O,s:f}}", "schema", RESULTS_SCHEMA, "run",
			      run, "probe", probe_to_json(p), "cells", cells, "timing",
			      timing_json(cells, wall, probe_ms), "expectations", "sets", sets,
			      "inconclusive_threshold",
			      o->max_inconclusive >= 0 ? o->max_inconclusive
						       : RESULTS_INCONCLUSIVE_THRESHOLD);
		matrix_progress_stage(prog, "%zu cells done in %.1f s (%.1f cells/s)",
				      json_array_size(cells), wall / 1000,
				      wall > 0 ? json_array_size(cells) * 1000.0 / wall : 0.0);
	}
	results_sort_cells(r);
	if (results_finish(r, e) < 0)
		goto out;
	*results = r;
	r = NULL;
	rc = 0;
out:
	matrix_progress_end(prog);
	json_decref(r);
	json_decref(sets);
	json_decref(cells);
	json_decref(infra);
	matrix_plan_free(&pl);
	free(p);
	return rc;
}
