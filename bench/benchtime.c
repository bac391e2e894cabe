/* benchtime - run a command N times, print the median and spread of its
 * wall time (fork to exit), so benchmarks compare peers with one clock.
 *
 *   benchtime [-n RUNS] [-w WARMUP] [-q] -- CMD [ARGS...]
 * prints: "median_ms=M p10_ms=A p90_ms=B runs=N failures=F"
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int runs = 50, warm = 3, i = 1, failures = 0;
	bool quiet = true;
	double *t;

	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc)
			warm = atoi(argv[++i]);
		else if (strcmp(argv[i], "-v") == 0)
			quiet = false;
		else {
			fprintf(
			    stderr,
			    "benchtime: usage: benchtime [-n RUNS] [-w WARMUP] [-v] -- CMD...\n");
			return 2;
		}
	}
	if (i + 1 >= argc || runs < 1) {
		fprintf(stderr, "benchtime: no command\n");
		return 2;
	}
	argv += i + 1;
	t = calloc((size_t)runs, sizeof(*t));
	for (int k = -warm; k < runs; k++) {
		double t0 = now_ms();
		int st;
		pid_t p = fork();
		if (p == 0) {
			if (quiet) {
				int dn = open("/dev/null", O_WRONLY);
				dup2(dn, 1);
				dup2(dn, 2);
			}
			execvp(argv[0], argv);
			_exit(127);
		}
		waitpid(p, &st, 0);
		if (k >= 0) {
			t[k] = now_ms() - t0;
			failures += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp);
	printf("median_ms=%.3f p10_ms=%.3f p90_ms=%.3f runs=%d failures=%d\n", t[runs / 2],
	       t[runs / 10], t[(runs * 9) / 10], runs, failures);
	free(t);
	return failures ? 1 : 0;
}
