/* cmd_proxy.c - `parity proxy`: run the CONNECT proxy in the foreground,
 * for auditors reproducing a decision by hand and for the benchmark. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "enforcer/policy.h"
#include "enforcer/proxy.h"
#include "err.h"
#include "enforcer/netaddr.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: parity proxy --listen HOST:PORT [--policy FILE] [--log FILE] "
		   "[--pipe-size BYTES] [--half-closed-idle SECONDS]\n\n"
		   "Run the sandbox's HTTP CONNECT proxy in the foreground until killed.\n\n"
		   "  --listen HOST:PORT  numeric address to listen on: 127.0.0.1:3128,\n"
		   "                      [::1]:3128 (port 0 picks a free port)\n"
		   "  --policy FILE       allowlist (JSON, see enforcer/policies/); default:\n"
		   "                      the built-in empty allowlist, which denies everything\n"
		   "  --log FILE          append one JSON line per DNS query, upstream dial and\n"
		   "                      tunnel close, and per rejected request; '-' is stdout\n"
		   "  --pipe-size BYTES   relay pipe size per direction for the first 64 tunnels\n"
		   "                      (default 1 MiB; the others 16 KiB; tuning)\n"
		   "  --half-closed-idle SECONDS\n"
		   "                      close a tunnel one side of which has ended after this\n"
		   "                      long without a byte (default 60)\n\n"
		   "Only CONNECT is served (other methods get 405). The policy is checked\n"
		   "before any name is resolved; internal addresses are refused.\n"
		   "Exit status: 2 bad arguments or policy, 3 the proxy could not start.\n");
}

int cmd_proxy(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"policy", required_argument, NULL, 'p'},
	    {"log", required_argument, NULL, 'L'},
	    {"pipe-size", required_argument, NULL, 's'},
	    {"half-closed-idle", required_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *listen_arg = NULL, *policy_path = NULL, *log_path = NULL;
	struct netaddr addr;
	char host[NETADDR_STRLEN];
	uint16_t port;
	struct policy policy;
	struct proxy_config cfg = {.log_fd = -1};
	struct perr e;
	long pipe_size = 0, idle_s = 0;
	int opt;

	perr_clear(&e);
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			listen_arg = optarg;
			break;
		case 'p':
			policy_path = optarg;
			break;
		case 'L':
			log_path = optarg;
			break;
		case 's':
			if (util_parse_long(optarg, 4096, 1L << 30, &pipe_size) != 0) {
				fprintf(stderr,
					"parity proxy: --pipe-size '%s': expected bytes in "
					"[4096, 2^30]\n",
					optarg);
				return PARITY_EXIT_USAGE;
			}
			break;
		case 'i':
			if (util_parse_long(optarg, 1, 86400, &idle_s) != 0) {
				fprintf(
				    stderr,
				    "parity proxy: --half-closed-idle '%s': expected seconds in "
				    "[1, 86400]\n",
				    optarg);
				return PARITY_EXIT_USAGE;
			}
			break;
		default:
			cli_bad_option("parity proxy", argv);
			usage(stderr);
			return PARITY_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "parity proxy: unexpected argument '%s'\n", argv[optind]);
		return PARITY_EXIT_USAGE;
	}
	if (!listen_arg) {
		fprintf(stderr, "parity proxy: --listen HOST:PORT is required\n");
		return PARITY_EXIT_USAGE;
	}
	if (netaddr_parse_hostport(listen_arg, &addr, &port, true) != 0) {
		fprintf(stderr,
			"parity proxy: --listen '%s': expected a numeric A.B.C.D:PORT or "
			"[IPV6]:PORT\n",
			listen_arg);
		return PARITY_EXIT_USAGE;
	}
	netaddr_str(&addr, host, sizeof(host));

	if (policy_path) {
		if (policy_load(policy_path, &policy, &e) != 0)
			return perr_report(&e, "parity proxy");
	} else {
		policy_init_default(&policy);
	}
	if (log_path && strcmp(log_path, "-") == 0) {
		cfg.log_fd = STDOUT_FILENO;
	} else if (log_path) {
		cfg.log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (cfg.log_fd < 0) {
			perr_sys(&e, errno, "--log %s", log_path);
			e.kind = PARITY_EXIT_USAGE; /* a path the user gave */
			policy_free(&policy);
			return perr_report(&e, "parity proxy");
		}
	}
	cfg.policy = &policy;
	cfg.pipe_size = (size_t)pipe_size;
	cfg.half_closed_idle_ms = (unsigned)idle_s * 1000u;
	cfg.listen_fd = proxy_listen(host, port, &e);
	if (cfg.listen_fd < 0) {
		policy_free(&policy);
		return perr_report(&e, "parity proxy");
	}
	if (port == 0) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		if (getsockname(cfg.listen_fd, (struct sockaddr *)&ss, &sl) == 0)
			netaddr_from_sockaddr((struct sockaddr *)&ss, &addr, &port);
	}
	fprintf(stderr, "parity proxy: listening on %s%s%s:%u (%zu rules, resolver %s)\n",
		addr.family == AF_INET6 ? "[" : "", host, addr.family == AF_INET6 ? "]" : "", port,
		policy.n_rules, policy.resolver == RESOLVER_SYSTEM ? "system" : "dns");
	proxy_serve(&cfg, &e);
	policy_free(&policy);
	return perr_report(&e, "parity proxy");
}
