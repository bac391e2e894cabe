/* main.c - `parity SUBCOMMAND ...`: dispatch to one thin front per command. */
#include <stdbool.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "err.h"
#include "timeline.h"

const struct command parity_commands[] = {
    {"probe", cmd_probe, "probe what the running kernel offers (Landlock, seccomp, protocols)",
     false},
    {"run", cmd_run, "run a command under a profile (the reference enforcer)", false},
    {"attack", cmd_attack, "list, show and run attacks; judge any program (exec) by witnesses",
     false},
    {"__attack", cmd_attack_inside, "run a registry attack (inside the sandbox)", true},
    {"proxy", cmd_proxy, "run the sandbox's CONNECT proxy in the foreground", false},
    {"vm", cmd_vm, "real Debian kernels under QEMU: fetch, list, run", false},
    {"matrix", cmd_matrix, "every attack x profile x Landlock ABI, parity, expectations, reports",
     false},
    {"report", cmd_report, "render reports from results.json; merge the shards of a matrix run",
     false},
    {NULL, NULL, NULL, false},
};

bool cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

void cli_bad_option(const char *prefix, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	/* A short option (alone or in a cluster, where optind may still point
	 * at the cluster or past it): its letter is what was wrong. */
	if (optopt > 0 && optopt < 128 && strncmp(arg, "--", 2) != 0)
		fprintf(stderr, "%s: unknown or incomplete option '-%c'\n", prefix, optopt);
	else
		fprintf(stderr, "%s: unknown or incomplete option '%s'\n", prefix, arg);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: parity COMMAND [ARGS...]\n\n"
		   "Does a capability-free sandbox (\"platform\" mode) protect as well as a\n"
		   "namespaced one? parity enforces both, attacks both, and lets independent\n"
		   "witnesses decide.\n\ncommands:\n");
	for (const struct command *c = parity_commands; c->name; c++)
		if (!c->hidden)
			fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n`parity COMMAND --help` describes each command.\n");
}

int main(int argc, char **argv)
{
	timeline_init();
	TL("main");
	/* An ignored SIGCHLD survives exec and is inherited: every wait of
	 * ours (the command's status, the pod's init, the lab's) would then
	 * get ECHILD, and a command's exit 7 would read as a lost status.
	 * Whatever the caller left, children are waited for here. */
	signal(SIGCHLD, SIG_DFL);
	if (argc < 2) {
		usage(stderr);
		return PARITY_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (const struct command *c = parity_commands; c->name; c++)
		if (strcmp(c->name, argv[1]) == 0)
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "parity: unknown command '%s' (see `parity --help`)\n", argv[1]);
	return PARITY_EXIT_USAGE;
}
