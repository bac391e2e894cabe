/* lab - how long a lab costs around the program it judges: setup (three
 * namespaces, two veths, nftables, witnesses) and teardown (witnesses
 * drained and judged, namespaces released). Runs /bin/true under `none`.
 *
 *   lab [RUNS]      (root; prints medians in ms and the target)
 */
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"
#include "profile.h"
#include "util.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long runs = 50;
	double *setup, *tear, *both;
	char *cmd[] = {(char *)"/bin/true", NULL};
	struct profile none;
	struct perr e;

	if (argc > 2 || (argc == 2 && util_parse_long(argv[1], 1, 100000, &runs) < 0)) {
		fprintf(stderr, "usage: lab [RUNS]   (root; RUNS 1..100000, default 50)\n");
		return 2;
	}
	setup = calloc((size_t)runs, sizeof(double));
	tear = calloc((size_t)runs, sizeof(double));
	both = calloc((size_t)runs, sizeof(double));
	if (!setup || !tear || !both)
		return 3;
	if (profile_load("none", &none, &e) < 0)
		return perr_report(&e, "lab");
	for (int i = 0; i < runs; i++) {
		struct lab_config c = {
		    .profile = &none, .landlock_abi_cap = -1, .argv = cmd, .timeout_ms = 5000};
		struct lab_outcome o;
		if (lab_run(&c, &o, &e) < 0 || o.infra_failed) {
			fprintf(stderr, "lab: run %d failed: %s\n", i, o.infra_error);
			return 3;
		}
		setup[i] = o.lab_ms;
		tear[i] = o.judge_ms;
		both[i] = o.lab_ms + o.judge_ms;
		lab_outcome_free(&o);
	}
	qsort(setup, (size_t)runs, sizeof(double), cmp);
	qsort(tear, (size_t)runs, sizeof(double), cmp);
	qsort(both, (size_t)runs, sizeof(double), cmp);
	printf("lab setup      median %.1f ms\n", setup[runs / 2]);
	printf("lab teardown   median %.1f ms (witnesses drained and judged)\n", tear[runs / 2]);
	printf("setup+teardown median %.1f ms (target <= 30)\n", both[runs / 2]);
	return 0;
}
