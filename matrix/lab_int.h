/* lab_int.h - internals shared by the lab's files (not a public interface;
 * lab.h is the lab's interface).
 *
 *   lab.c          env names, the network, lab_run(): build, run, tear down
 *   lab_pod.c      the pod: victims, resolv.conf, the supervisor
 *   lab_program.c  the program's output, its requests for an accomplice and
 *                  "@parity inspect PID"
 *   lab_judge.c    judging what the witnesses saw (facts only; the verdict
 *                  is not here)
 */
#ifndef PARITY_LAB_INT_H
#define PARITY_LAB_INT_H

#include <stdint.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lab.h"
#include "lab_shm.h"

struct capture;
struct sinks;

#define LAB_OUT_MAX (256 * 1024)

/* ---- the pod (lab_pod.c) ---- */

struct pod_ctx {
	const struct lab_config *c;
	struct lab_shm *shm;
	int pod_fd;
	int out_w, err_w, plog_fd;
	int go_fd; /* one byte: the witnesses are watching; EOF: give up */
	const char *marker;
	char abstract[64];
};

/* The pod's init (pidns_spawn): joins the pod netns, starts the victims,
 * waits for go, runs the program under the profile. `arg` is a pod_ctx. */
int lab_pod_main(void *arg);

/* ---- the program's output, and its requests for an accomplice (lab_program.c) ---- */

struct reader {
	int fd;
	char *buf;
	size_t len;
	bool parse_requests;
	struct lab_run_state *st;
	pthread_t th;
};

struct lab_run_state {
	struct sinks *sinks;
	int pod_fd;
	pid_t init_host;	 /* the pod's init, in the harness's numbering */
	unsigned long pod_pidns; /* inode of the pod's PID namespace */
	struct lab_outcome *out;
	struct lab_shm *shm;
	const char *marker;
	const char *victim_abstract; /* the abstract victims' base name */
	pthread_mutex_t lock;
	json_t *requests;    /* what the program asked for, and what happened */
	uint64_t request_ns; /* time spent serving them (under lock) */
};

/* A program's requests are served while its output is read, one after the
 * other: bounded in number and in total time, so that a program printing
 * thousands of them (each up to a second against a pod already gone)
 * cannot hold its cell for hours. Beyond either, they are refused and
 * recorded. */
#define LAB_REQUESTS_MAX 32
#define LAB_REQUESTS_BUDGET_MS 10000

/* A reader thread (pthread_create): `arg` is a reader. */
void *lab_reader_main(void *arg);
/* The inode of `path` (a /proc/PID/ns/ link, ...); 0 if it cannot be read. */
unsigned long lab_ino_of(const char *path);
/* The number of lines in `path` (a mountinfo); -1 if it cannot be read. */
int lab_count_lines(const char *path);

/* ---- judging what the witnesses saw (lab_judge.c) ---- */

void lab_add_escape(struct lab_outcome *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* An `@parity inspect` the harness could not carry out is a witness that
 * failed: with nothing else seen, the cell is INCONCLUSIVE, not BLOCKED. */
void lab_judge_inspections(struct lab_outcome *o, json_t *requests);
/* What each witness saw, into o->evidence and o->escapes: the supervisor
 * and the proxy, the victims, the sinks, the proxy's log and the capture.
 * `status` is the pod's wait status, `plog` the proxy log's memfd. */
void lab_judge_witnesses(const struct lab_config *c, struct lab_outcome *o, struct lab_shm *shm,
			 int status, struct sinks *sinks, struct capture *cap, int plog);

#endif
