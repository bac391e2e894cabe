/* matrix_pool.c - the worker processes of a matrix run (matrix.h).
 *
 * Each worker is forked from the parent once the plan is built, so it has
 * the plan, the profiles and the probe in memory. The parent writes one
 * job per line to its command pipe ({"job":K,"control":{...}}) and reads
 * one result per line from its result pipe ({"job":K,"result":{...}}).
 * A worker runs its jobs one after the other; every lab inside it forks
 * its own namespaces, so N workers are N labs at once and nothing else is
 * shared. The parent only schedules (controls first; an attack's cells
 * once its control is in), watches a deadline per job, and collects.
 * A worker that dies or overruns is replaced; its job becomes an
 * INCONCLUSIVE cell and an infrastructure failure of the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "matrix.h"
#include "util.h"

enum job_kind { JOB_CONTROL, JOB_CELL };
enum job_state { JOB_WAITING, JOB_READY, JOB_RUNNING, JOB_DONE };

struct job {
	enum job_kind kind;
	size_t attack;
	const struct matrix_cell *cell;
	enum job_state state;
};

struct worker {
	pid_t pid;
	int cmd_fd, res_fd; /* parent's ends */
	char *buf;
	size_t len, cap;
	long job; /* -1 idle */
	uint64_t deadline;
};

struct pool {
	const struct matrix_plan *pl;
	const char *evidence_dir;
	struct job *jobs;
	size_t njobs, ndone;
	struct worker *w;
	size_t nw;
	json_t **outcomes; /* per attack: the control's outcome */
	json_t *cells, *infra;
	struct matrix_progress *prog;
};

/* ---- the worker side ---- */

static json_t *run_job(struct pool *p, json_t *req)
{
	long k = (long)json_integer_value(json_object_get(req, "job"));
	struct job *j;

	if (k < 0 || (size_t)k >= p->njobs)
		return NULL;
	j = &p->jobs[k];
	if (j->kind == JOB_CONTROL)
		return matrix_job_control(p->pl, j->attack, p->evidence_dir);
	return matrix_job_cell(p->pl, j->cell, json_object_get(req, "control"), p->evidence_dir);
}

static void __attribute__((noreturn)) worker_main(struct pool *p, int cmd_r, int res_w)
{
	FILE *in = fdopen(cmd_r, "r");
	char *line = NULL;
	size_t cap = 0;

	while (in && getline(&line, &cap, in) > 0) {
		json_error_t je;
		json_t *req = json_loads(line, 0, &je), *res, *msg;
		char *out;
		if (!req)
			_exit(PARITY_EXIT_INFRA);
		res = run_job(p, req);
		msg = json_pack("{s:O,s:o}", "job", json_object_get(req, "job"), "result",
				res ? res : json_null());
		out = json_dumps(msg, JSON_COMPACT);
		if (!out || util_write_all(res_w, out, strlen(out)) < 0 ||
		    util_write_all(res_w, "\n", 1) < 0)
			_exit(PARITY_EXIT_INFRA);
		free(out);
		json_decref(msg);
		json_decref(req);
	}
	_exit(0);
}

static int spawn(struct pool *p, struct worker *w, struct perr *e)
{
	int cmd[2], res[2];
	pid_t parent = getpid();

	if (pipe2(cmd, O_CLOEXEC) < 0)
		return perr_sys(e, errno, "worker pipe");
	if (pipe2(res, O_CLOEXEC) < 0) {
		close(cmd[0]);
		close(cmd[1]);
		return perr_sys(e, errno, "worker pipe");
	}
	fflush(NULL);
	w->pid = fork();
	if (w->pid < 0) {
		int err = errno;
		close(cmd[0]);
		close(cmd[1]);
		close(res[0]);
		close(res[1]);
		return perr_sys(e, err, "fork a matrix worker");
	}
	if (w->pid == 0) {
		/* Hold no end of another worker's pipes: their EOFs must mean
		 * what they say. */
		for (size_t i = 0; i < p->nw; i++) {
			if (p->w[i].cmd_fd >= 0)
				close(p->w[i].cmd_fd);
			if (p->w[i].res_fd >= 0)
				close(p->w[i].res_fd);
		}
		close(cmd[1]);
		close(res[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(PARITY_EXIT_INFRA);
		/* A lab writes to pipes of children that may already be dead:
		 * EPIPE is an error it reports with its cause, never a signal
		 * that kills the worker without one. */
		signal(SIGPIPE, SIG_IGN);
		worker_main(p, cmd[0], res[1]);
	}
	close(cmd[0]);
	close(res[1]);
	w->cmd_fd = cmd[1];
	w->res_fd = res[0];
	fcntl(w->res_fd, F_SETFL, fcntl(w->res_fd, F_GETFL) | O_NONBLOCK);
	w->len = 0;
	w->job = -1;
	return 0;
}

/* ---- the parent side ---- */

static const char *job_name(struct pool *p, long k, char *buf, size_t len)
{
	const struct job *j = &p->jobs[k];
	if (j->kind == JOB_CONTROL)
		snprintf(buf, len, "%s/none (control)", p->pl->attacks[j->attack]->id);
	else
		snprintf(buf, len, "%s/%s/abi%d", p->pl->attacks[j->attack]->id,
			 p->pl->profiles[j->cell->profile].name, p->pl->abis[j->cell->abi].cap);
	return buf;
}

static void release_cells(struct pool *p, size_t attack)
{
	for (size_t i = 0; i < p->njobs; i++)
		if (p->jobs[i].kind == JOB_CELL && p->jobs[i].attack == attack &&
		    p->jobs[i].state == JOB_WAITING)
			p->jobs[i].state = JOB_READY;
}

static void finish(struct pool *p, long k, json_t *result)
{
	struct job *j = &p->jobs[k];
	json_t *cell = j->kind == JOB_CONTROL ? json_object_get(result, "cell") : result;
	const char *v = json_string_value(json_object_get(cell, "verdict"));

	j->state = JOB_DONE;
	p->ndone++;
	json_array_append(p->cells, cell);
	if (j->kind == JOB_CONTROL) {
		json_t *o = json_object_get(result, "outcome");
		p->outcomes[j->attack] = json_is_object(o) ? json_incref(o) : NULL;
		release_cells(p, j->attack);
	}
	matrix_progress_done(p->prog, j->kind == JOB_CELL && v && strcmp(v, "ESCAPED") == 0);
}

/* The job a dead worker held: an INCONCLUSIVE cell, and an infra failure. */
static void fail_job(struct pool *p, long k, const char *why)
{
	const struct job *j = &p->jobs[k];
	char name[256], reason[512];
	json_t *cell, *res;

	snprintf(reason, sizeof(reason), "the matrix worker running this cell %s", why);
	job_name(p, k, name, sizeof(name));
	json_array_append_new(p->infra, json_sprintf("%s: %s", name, reason));
	if (j->kind == JOB_CONTROL) {
		cell = matrix_cell_unrun(p->pl, j->attack, -1, -1, "INCONCLUSIVE", reason);
		json_object_set_new(cell, "infra_error", json_string(reason));
		res =
		    json_pack("{s:o,s:{s:s,s:b,s:b,s:s,s:b,s:i,s:b,s:[]}}", "cell", cell, "outcome",
			      "marker", "", "escaped", 0, "infra_failed", 1, "infra_error", reason,
			      "exec_done", 0, "status", 0, "timed_out", 0, "escapes");
	} else {
		res = matrix_cell_unrun(p->pl, j->attack, (long)j->cell->profile,
					(long)j->cell->abi, "INCONCLUSIVE", reason);
		json_object_set_new(res, "infra_error", json_string(reason));
	}
	finish(p, k, res);
	json_decref(res);
}

static long next_job(struct pool *p)
{
	long cell = -1;
	for (size_t i = 0; i < p->njobs; i++) {
		if (p->jobs[i].state != JOB_READY)
			continue;
		if (p->jobs[i].kind == JOB_CONTROL)
			return (long)i;
		if (cell < 0)
			cell = (long)i;
	}
	return cell;
}

static uint64_t job_budget_ns(const struct pool *p, long k)
{
	const struct attack *a = p->pl->attacks[p->jobs[k].attack];
	unsigned t = a->timeout_ms ? a->timeout_ms : 5000;
	/* the program's budget + the cell's margin + the lab's bound + slack */
	return (uint64_t)(t + 2000 + 5000 + 30000) * 1000000ull;
}

static int send_job(struct pool *p, struct worker *w, long k)
{
	const struct job *j = &p->jobs[k];
	json_t *msg = json_pack("{s:I}", "job", (json_int_t)k);
	char *s;
	int rc;

	if (j->kind == JOB_CELL)
		json_object_set(msg, "control",
				p->outcomes[j->attack] ? p->outcomes[j->attack] : json_null());
	s = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!s)
		return -1;
	rc = util_write_all(w->cmd_fd, s, strlen(s)) < 0 || util_write_all(w->cmd_fd, "\n", 1) < 0
		 ? -1
		 : 0;
	free(s);
	if (rc == 0) {
		w->job = k;
		w->deadline = util_now_ns() + job_budget_ns(p, k);
		p->jobs[k].state = JOB_RUNNING;
	}
	return rc;
}

static void reap(struct pool *p, struct worker *w, const char *why_default, struct perr *e)
{
	char st[64], why[256];
	int status = 0;

	close(w->cmd_fd);
	close(w->res_fd);
	w->cmd_fd = w->res_fd = -1;
	kill(w->pid, SIGKILL);
	waitpid(w->pid, &status, 0);
	if (w->job >= 0) {
		snprintf(why, sizeof(why), "%s (%s)", why_default,
			 util_status_str(status, st, sizeof(st)));
		fail_job(p, w->job, why);
	}
	w->job = -1;
	w->pid = -1;
	if (p->ndone < p->njobs && spawn(p, w, e) < 0)
		w->pid = -1;
}

/* Read what is there; handle every complete line. Returns -1 on EOF. */
static int drain(struct pool *p, struct worker *w)
{
	for (;;) {
		ssize_t n;
		char *nl;
		if (w->cap - w->len < 65536) {
			size_t cap = w->cap ? w->cap * 2 : 262144;
			char *b = realloc(w->buf, cap);
			if (!b)
				return -1;
			w->buf = b;
			w->cap = cap;
		}
		n = read(w->res_fd, w->buf + w->len, w->cap - w->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return -1;
		w->len += (size_t)n;
		w->buf[w->len] = 0;
		while ((nl = memchr(w->buf, '\n', w->len))) {
			json_error_t je;
			json_t *msg;
			*nl = 0;
			msg = json_loads(w->buf, 0, &je);
			if (msg && w->job >= 0 &&
			    json_integer_value(json_object_get(msg, "job")) == w->job &&
			    json_is_object(json_object_get(msg, "result"))) {
				long k = w->job;
				w->job = -1;
				finish(p, k, json_object_get(msg, "result"));
			}
			json_decref(msg);
			w->len -= (size_t)(nl + 1 - w->buf);
			memmove(w->buf, nl + 1, w->len);
		}
	}
	return 0;
}

static void add_jobs(struct pool *p)
{
	const struct matrix_plan *pl = p->pl;
	for (size_t a = 0; a < pl->nattacks; a++) {
		if (!pl->needs_control[a])
			continue;
		if (pl->na_reason[a][0]) {
			/* Nothing runs: the control and every cell are N/A. */
			json_t *c = matrix_cell_unrun(pl, a, -1, -1, "N/A", "");
			char reason[600];
			snprintf(reason, sizeof(reason), "precondition missing: %s",
				 pl->na_reason[a]);
			json_object_set_new(c, "reason", json_string(reason));
			json_array_append_new(p->cells, c);
			matrix_progress_done(p->prog, false);
			continue;
		}
		p->jobs[p->njobs++] = (struct job){JOB_CONTROL, a, NULL, JOB_READY};
	}
	for (size_t i = 0; i < pl->ncells; i++) {
		const struct matrix_cell *c = &pl->cells[i];
		if (pl->na_reason[c->attack][0]) {
			char reason[600];
			snprintf(reason, sizeof(reason), "precondition missing: %s",
				 pl->na_reason[c->attack]);
			json_array_append_new(p->cells,
					      matrix_cell_unrun(pl, c->attack, (long)c->profile,
								(long)c->abi, "N/A", reason));
			matrix_progress_done(p->prog, false);
			continue;
		}
		p->jobs[p->njobs++] = (struct job){JOB_CELL, c->attack, c, JOB_WAITING};
	}
}

int matrix_pool_run(const struct matrix_plan *pl, unsigned jobs, const char *evidence_dir,
		    json_t *cells, json_t *infra_failures, struct matrix_progress *prog,
		    struct perr *e)
{
	struct pool p;
	struct pollfd *pfd;
	int rc = -1;
	bool controls_reported = false;
	uint64_t t0 = util_now_ns();

	memset(&p, 0, sizeof(p));
	p.pl = pl;
	p.evidence_dir = evidence_dir;
	p.cells = cells;
	p.infra = infra_failures;
	p.prog = prog;
	p.jobs = calloc(pl->nattacks + pl->ncells + 1, sizeof(*p.jobs));
	p.outcomes = calloc(pl->nattacks + 1, sizeof(*p.outcomes));
	p.w = calloc(jobs + 1, sizeof(*p.w));
	pfd = calloc(jobs + 1, sizeof(*pfd));
	if (!p.jobs || !p.outcomes || !p.w || !pfd) {
		perr_sys(e, ENOMEM, "matrix jobs");
		goto out;
	}
	add_jobs(&p);
	for (unsigned i = 0; i <= jobs; i++)
		p.w[i].cmd_fd = p.w[i].res_fd = -1, p.w[i].pid = -1, p.w[i].job = -1;
	p.nw = jobs < p.njobs ? jobs : p.njobs;
	for (size_t i = 0; i < p.nw; i++)
		if (spawn(&p, &p.w[i], e) < 0)
			goto out;

	while (p.ndone < p.njobs) {
		size_t np = 0;
		uint64_t now = util_now_ns();
		int timeout = 250;

		for (size_t i = 0; i < p.nw; i++) {
			struct worker *w = &p.w[i];
			long k;
			if (w->pid < 0 || w->job >= 0 || (k = next_job(&p)) < 0)
				continue;
			if (send_job(&p, w, k) < 0) {
				w->job = k;
				p.jobs[k].state = JOB_RUNNING;
				reap(&p, w, "could not be given its job", e);
			}
		}
		if (!controls_reported) {
			bool all = true;
			for (size_t i = 0; i < p.njobs && all; i++)
				all = p.jobs[i].kind != JOB_CONTROL || p.jobs[i].state == JOB_DONE;
			if (all) {
				matrix_progress_stage(prog, "controls done in %.1f s",
						      (double)(util_now_ns() - t0) / 1e9);
				controls_reported = true;
			}
		}
		for (size_t i = 0; i < p.nw; i++) {
			pfd[i].fd = p.w[i].pid > 0 ? p.w[i].res_fd : -1;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			if (p.w[i].job >= 0 && p.w[i].deadline > now) {
				uint64_t ms = (p.w[i].deadline - now) / 1000000ull + 1;
				if (ms < (uint64_t)timeout)
					timeout = (int)ms;
			}
			np++;
		}
		if (p.ndone >= p.njobs)
			break;
		if (poll(pfd, np, timeout) < 0 && errno != EINTR) {
			perr_sys(e, errno, "poll");
			goto out;
		}
		now = util_now_ns();
		for (size_t i = 0; i < p.nw; i++) {
			struct worker *w = &p.w[i];
			if (w->pid < 0)
				continue;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				if (drain(&p, w) < 0) {
					reap(&p, w, "died", e);
					continue;
				}
			}
			if (w->job >= 0 && now > w->deadline) {
				char why[128];
				snprintf(why, sizeof(why), "gave no result within %llu s: killed",
					 (unsigned long long)(job_budget_ns(&p, w->job) /
							      1000000000ull));
				reap(&p, w, why, e);
			}
		}
		if (p.nw && p.ndone < p.njobs) {
			bool any = false;
			for (size_t i = 0; i < p.nw; i++)
				any |= p.w[i].pid > 0;
			if (!any) {
				perr_set(e, "no matrix worker could be started");
				goto out;
			}
		}
		matrix_progress_tick(prog);
	}
	rc = 0;
out:
	for (size_t i = 0; p.w && i < p.nw; i++) {
		if (p.w[i].cmd_fd >= 0)
			close(p.w[i].cmd_fd);
		if (p.w[i].res_fd >= 0)
			close(p.w[i].res_fd);
		if (p.w[i].pid > 0) {
			if (rc < 0)
				kill(p.w[i].pid, SIGKILL);
			waitpid(p.w[i].pid, NULL, 0);
		}
		free(p.w[i].buf);
	}
	for (size_t a = 0; p.outcomes && a < pl->nattacks; a++)
		json_decref(p.outcomes[a]);
	free(p.outcomes);
	free(p.jobs);
	free(p.w);
	free(pfd);
	return rc;
}
