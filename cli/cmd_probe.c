/* cmd_probe.c - `parity probe [--json]`: what this kernel offers, probed by
 * doing it (core/probe.h). A table by default, the JSON of docs/probe.md
 * with --json. Exit 0 when the probe ran (missing features are results), 2
 * on bad arguments, 3 when the probing machinery failed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "err.h"
#include "jsonutil.h"
#include "probe.h"

static void probe_usage(FILE *f)
{
	fprintf(f, "usage: parity probe [--json]\n\n"
		   "Probe what the running kernel offers this process, each item by doing it:\n"
		   "  Landlock     ABI, errata (decoded), why it is missing (not built, disabled\n"
		   "               by lsm=, blocked by seccomp), a ruleset really enforced\n"
		   "  seccomp      available actions, a filter loaded, user notification round\n"
		   "               trip, pidfd_open / pidfd_getfd on a child\n"
		   "  namespaces   user, net, pid; as root also a veth pair (libnl) and an\n"
		   "               nftables table (libnftables) in a throwaway netns\n"
		   "  protocols    MPTCP, SCTP, SMC, VSOCK, UDP-Lite, ping, raw, packet sockets\n"
		   "  entry points io_uring (and IORING_OP_SOCKET), x32, ia32 int $0x80, TCP\n"
		   "               Fast Open client\n"
		   "  sysctls and identity: uids, capability sets, no_new_privs, seccomp mode\n\n"
		   "Namespace and filter probes run in forked children; nothing outlives the\n"
		   "probe. Items that need root are reported \"not probed: needs root\" when run\n"
		   "unprivileged. Every item carries a reason naming the call and its errno.\n\n"
		   "options:\n"
		   "  --json      print JSON (fields documented in docs/probe.md)\n"
		   "  -h, --help  this help\n\n"
		   "exit status: 0 probed, 2 bad arguments, 3 the probe itself failed\n");
}

int cmd_probe(int argc, char **argv)
{
	struct probe p;
	struct perr e;
	bool json = false;

	perr_clear(&e);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			probe_usage(stdout);
			return PARITY_EXIT_OK;
		} else {
			fprintf(stderr,
				"parity probe: unknown argument '%s' (see `parity probe --help`)\n",
				argv[i]);
			return PARITY_EXIT_USAGE;
		}
	}

	if (probe_run(&p, &e) < 0)
		return perr_report(&e, "parity probe");

	if (json) {
		json_t *j = probe_to_json(&p);
		char *s = j ? json_to_string(j, true) : NULL;

		json_decref(j);
		if (!s) {
			perr_set(&e, "probe: cannot build the JSON output (out of memory)");
			return perr_report(&e, "parity probe");
		}
		printf("%s\n", s);
		free(s);
	} else {
		probe_print_table(&p, stdout);
	}
	if (fflush(stdout) != 0) {
		perr_sys(&e, errno, "probe: writing the output");
		return perr_report(&e, "parity probe");
	}
	return PARITY_EXIT_OK;
}
