/* cmd_matrix.c - `parity matrix`: every attack x profile x Landlock ABI,
 * judged by witnesses, compared with expectations; reports in --out. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "matrix.h"
#include "reports.h"
#include "results.h"
#include "util.h"

static void matrix_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: parity matrix [--profiles LIST] [--landlock-abi LIST|all] [--attacks GLOB]\n"
	    "                     [--jobs N] [--out DIR] [--expect FILE|none]... [--shard K/N]\n"
	    "                     [--max-inconclusive PCT] [--quiet]\n\n"
	    "Run every attack under every profile at every Landlock ABI, each cell in a\n"
	    "fresh lab judged by independent witnesses, compare with the expectations, and\n"
	    "write results.json, matrix.md, parity.md, matrix.html, junit.xml and the\n"
	    "captures of escaped cells (evidence/) into --out.\n\n"
	    "  --profiles LIST       names or profile files, comma-separated (default: every\n"
	    "                        shipped profile); `none` is the positive control and runs\n"
	    "                        once per attack whether listed or not\n"
	    "  --landlock-abi LIST   ABIs to emulate, comma-separated, 'kernel' or 'all'\n"
	    "                        (default: the kernel's own plus 0, 3, 4, 6 below it)\n"
	    "  --attacks GLOB        attack ids, comma-separated globs (default: all)\n"
	    "  --jobs N              labs in parallel, one worker process each (default: 4 per "
	    "CPU)\n"
	    "  --out DIR             (default: %s)\n"
	    "  --expect FILE         an expectation set; repeat for more; later entries win;\n"
	    "                        'none' for no expectations (default: the shipped\n"
	    "                        baseline.json and known-gaps.json)\n"
	    "  --shard K/N           run the K-th of N equal parts; merge with\n"
	    "                        `parity report merge`\n"
	    "  --max-inconclusive P  percent of cells that may be INCONCLUSIVE (default 10)\n\n"
	    "Exit: 0 no cell worse than expected; 1 a regression (each is listed); 2 usage or\n"
	    "configuration error; 3 infrastructure failure or more INCONCLUSIVE cells than\n"
	    "allowed. Cells better than expected are listed and do not fail the run.\n",
	    MATRIX_DEFAULT_OUT);
}

/* A list option with an empty item or past its buffer is refused rather
 * than read as a shorter list. Max lengths: the buffers --profiles,
 * --landlock-abi and --attacks are split in (matrix_plan.c); --expect is
 * split in place, and its bound only keeps a path list sane. */
static bool list_refused(const char *opt, const char *arg, size_t max_len)
{
	const char *why = util_list_problem(arg, max_len);
	if (!why)
		return false;
	if (strlen(arg) >= max_len)
		fprintf(stderr, "parity matrix: %s: %s (at most %zu characters)\n", opt, why,
			max_len - 1);
	else
		fprintf(stderr, "parity matrix: %s: %s in '%s'\n", opt, why, arg);
	return true;
}

static int add_expect(struct matrix_opts *o, char *arg)
{
	char *save = NULL;
	for (char *tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "none") == 0) {
			o->no_expect = true;
			continue;
		}
		if (o->nexpect >= MATRIX_MAX_EXPECT)
			return -1;
		o->expect[o->nexpect++] = tok;
	}
	return 0;
}

static void command_line(int argc, char **argv, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "parity");
	for (int i = 0; i < argc && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " %s", argv[i]);
}

int cmd_matrix(int argc, char **argv)
{
	static const struct option longopts[] = {{"profiles", required_argument, NULL, 'p'},
						 {"landlock-abi", required_argument, NULL, 'a'},
						 {"attacks", required_argument, NULL, 'A'},
						 {"jobs", required_argument, NULL, 'j'},
						 {"out", required_argument, NULL, 'o'},
						 {"expect", required_argument, NULL, 'e'},
						 {"shard", required_argument, NULL, 's'},
						 {"max-inconclusive", required_argument, NULL, 'm'},
						 {"quiet", no_argument, NULL, 'q'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	struct matrix_opts o;
	struct perr e;
	json_t *results = NULL;
	char cmdline[2048];
	bool quiet = false;
	long v;
	int opt, rc;

	perr_clear(&e);
	memset(&o, 0, sizeof(o));
	o.max_inconclusive = -1;
	o.out_dir = MATRIX_DEFAULT_OUT;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (list_refused("--profiles", optarg, 4096))
				return PARITY_EXIT_USAGE;
			o.profiles = optarg;
			break;
		case 'a':
			if (list_refused("--landlock-abi", optarg, 256))
				return PARITY_EXIT_USAGE;
			o.abis = optarg;
			break;
		case 'A':
			if (list_refused("--attacks", optarg, 1024))
				return PARITY_EXIT_USAGE;
			o.attacks = optarg;
			break;
		case 'j':
			if (util_parse_long(optarg, 1, 256, &v) < 0) {
				fprintf(stderr,
					"parity matrix: --jobs: expected 1..256, got '%s'\n",
					optarg);
				return PARITY_EXIT_USAGE;
			}
			o.jobs = (unsigned)v;
			break;
		case 'o':
			o.out_dir = optarg;
			break;
		case 'e':
			if (list_refused("--expect", optarg, 4096))
				return PARITY_EXIT_USAGE;
			if (add_expect(&o, optarg) < 0) {
				fprintf(stderr, "parity matrix: --expect: at most %d files\n",
					MATRIX_MAX_EXPECT);
				return PARITY_EXIT_USAGE;
			}
			break;
		case 's':
			if (o.shard_n) {
				fprintf(stderr, "parity matrix: --shard given twice\n");
				return PARITY_EXIT_USAGE;
			}
			if (matrix_shard_parse(optarg, &o.shard_k, &o.shard_n, &e) < 0)
				return perr_report(&e, "parity matrix");
			break;
		case 'm':
			if (util_parse_long(optarg, 0, 100, &v) < 0) {
				fprintf(stderr,
					"parity matrix: --max-inconclusive: expected a percentage "
					"0..100, got '%s'\n",
					optarg);
				return PARITY_EXIT_USAGE;
			}
			o.max_inconclusive = (double)v / 100.0;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			matrix_usage(stdout);
			return 0;
		default:
			cli_bad_option("parity matrix", argv);
			matrix_usage(stderr);
			return PARITY_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "parity matrix: unexpected argument '%s'\n", argv[optind]);
		return PARITY_EXIT_USAGE;
	}
	if (o.no_expect && o.nexpect) {
		fprintf(stderr, "parity matrix: --expect none excludes expectation files\n");
		return PARITY_EXIT_USAGE;
	}
	command_line(argc, argv, cmdline, sizeof(cmdline));
	o.command_line = cmdline;
	o.progress = quiet ? NULL : stderr;
	o.progress_tty = !quiet && isatty(STDERR_FILENO);

	if (matrix_run(&o, &results, &e) < 0)
		return perr_report(&e, "parity matrix");
	if (report_write_all(results, o.out_dir, &e) < 0) {
		json_decref(results);
		return perr_report(&e, "parity matrix");
	}
	report_summary(results, o.out_dir, stdout);
	rc = results_exit_code(results);
	json_decref(results);
	return rc;
}
