/* commands.h - the subcommands of `parity`. Each is a thin front over a
 * library module: it parses arguments, calls the module, reports the error
 * once and returns the exit code. */
#ifndef PARITY_COMMANDS_H
#define PARITY_COMMANDS_H

#include <stdbool.h>

struct command {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] is the subcommand name */
	const char *summary;
	bool hidden; /* internal entry points */
};

int cmd_probe(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_attack(int argc, char **argv);
int cmd_attack_inside(int argc, char **argv);
int cmd_proxy(int argc, char **argv);
int cmd_vm(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_report(int argc, char **argv);

extern const struct command parity_commands[];

/* True when argv holds -h or --help before any "--". */
bool cli_wants_help(int argc, char **argv);
/* After getopt_long returned '?' or ':': "PREFIX: unknown option '-x'" or
 * "PREFIX: option '--foo' needs an argument", naming the option itself
 * (argv[optind - 1] is the whole cluster, "-qx", for a short one). */
void cli_bad_option(const char *prefix, char **argv);

#endif
