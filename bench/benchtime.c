/* benchtime - run a command N times, print the median and spread of its
 * wall time (fork to exit), so benchmarks compare peers with one clock.
 *
 *   benchtime [-n RUNS] [-w WARMUP] [-s SETTLE_MS] [-o FILE] [-v] -- CMD [ARGS...] [--- CMD2
 * ...]... prints: "median_ms=M p10_ms=A p90_ms=B runs=N failures=F", one line per command, in
 * order. Several commands are interleaved: round k runs each once, starting from command k mod
 * count, so a slow spell of the machine (this VM's noise is about +-1 ms) lands on every peer alike
 * instead of on whichever ran then. Runs follow each other at once by default; -s sleeps SETTLE_MS
 * (untimed) before each, so that what a run leaves to the kernel (a netns torn down by a kworker)
 * is done before the next starts. (A pause was tried for the published figures and made every peer
 * slower and the ratios worse.) -o FILE writes every run: one line per round, the commands' times
 * (ms) in command order, tab-separated, so that a ratio can be taken round by round
 * (bench/startup.sh).
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

#define MAX_CMDS 16

/* A whole number in [min, max], else the usage error (-1 makes it). */
static int count_arg(const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v >= min && v <= max ? (int)v : -1;
}

static double run_once(char **argv, bool quiet, int *failures)
{
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
	*failures += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return now_ms() - t0;
}

int main(int argc, char **argv)
{
	int runs = 50, warm = 3, settle_ms = 0, i = 1, ncmd = 0, rc = 0;
	const char *raw_path = NULL;
	int failures[MAX_CMDS] = {0}, ignored = 0;
	char **cmd[MAX_CMDS];
	double *t[MAX_CMDS];
	bool quiet = true;

	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			runs = count_arg(argv[++i], 1, 1000000);
		else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc)
			warm = count_arg(argv[++i], 0, 1000);
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			settle_ms = count_arg(argv[++i], 0, 60000);
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			raw_path = argv[++i];
		else if (strcmp(argv[i], "-v") == 0)
			quiet = false;
		else {
			fprintf(stderr, "benchtime: usage: benchtime [-n RUNS] [-w WARMUP] [-s "
					"SETTLE_MS] [-o FILE] [-v] -- "
					"CMD... [--- CMD...]...\n");
			return 2;
		}
	}
	if (runs < 1 || warm < 0 || settle_ms < 0) {
		fprintf(stderr, "benchtime: -n, -w, -s: whole numbers (runs >= 1)\n");
		return 2;
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "benchtime: no command\n");
		return 2;
	}
	/* Split the rest at "---" into NULL-terminated argument vectors. */
	cmd[ncmd++] = argv + i + 1;
	for (int k = i + 1; k < argc; k++) {
		if (strcmp(argv[k], "---") != 0)
			continue;
		argv[k] = NULL;
		if (k + 1 >= argc || ncmd == MAX_CMDS) {
			fprintf(stderr, "benchtime: an empty command, or more than %d\n", MAX_CMDS);
			return 2;
		}
		cmd[ncmd++] = argv + k + 1;
	}
	for (int c = 0; c < ncmd; c++) {
		if (!cmd[c][0]) {
			fprintf(stderr, "benchtime: an empty command\n");
			return 2;
		}
		t[c] = calloc((size_t)runs, sizeof(double));
	}
	for (int k = -warm; k < runs; k++)
		for (int j = 0; j < ncmd; j++) {
			int c = ((k < 0 ? -k : k) + j) % ncmd;
			if (settle_ms > 0)
				usleep((useconds_t)settle_ms * 1000u);
			double ms = run_once(cmd[c], quiet, k >= 0 ? &failures[c] : &ignored);
			if (k >= 0)
				t[c][k] = ms;
		}
	if (raw_path) {
		FILE *f = fopen(raw_path, "w");
		if (!f) {
			perror(raw_path);
			return 2;
		}
		for (int k = 0; k < runs; k++)
			for (int c = 0; c < ncmd; c++)
				fprintf(f, "%.4f%c", t[c][k], c + 1 < ncmd ? '\t' : '\n');
		if (fclose(f) != 0) {
			perror(raw_path);
			return 2;
		}
	}
	for (int c = 0; c < ncmd; c++) {
		qsort(t[c], (size_t)runs, sizeof(double), cmp);
		printf("median_ms=%.3f p10_ms=%.3f p90_ms=%.3f runs=%d failures=%d\n",
		       t[c][runs / 2], t[c][runs / 10], t[c][(runs * 9) / 10], runs, failures[c]);
		rc |= failures[c] != 0;
		free(t[c]);
	}
	return rc;
}
