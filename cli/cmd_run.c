/* cmd_run.c - `parity run`: the reference enforcer from the command line. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "enforcer.h"
#include "jsonutil.h"
#include "netns.h"
#include "nft.h"
#include "pidns.h"
#include "profile.h"
#include "util.h"
#include "timeline.h"

static void run_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: parity run --profile NAME|FILE [options] -- CMD [ARGS...]\n\n"
	    "Run CMD under a profile of the reference enforcer. The exit status is\n"
	    "CMD's (128+signal if it was killed); 2 for bad arguments, profile or\n"
	    "policy; 3 when the sandbox could not be established (CMD never ran).\n\n"
	    "options:\n"
	    "  --profile NAME|FILE     none, namespace, platform, platform-notify,\n"
	    "                          platform-strict, or a profile JSON file\n"
	    "  --landlock-abi N        use only what Landlock ABI N offers (<= kernel's)\n"
	    "  --compat MODE           best-effort (skip what the ABI lacks, reported) or\n"
	    "                          hard (refuse to start, naming the missing feature)\n"
	    "  --policy FILE           proxy allowlist (default: enforcer/policies/default.json)\n"
	    "  --report FILE           write the enforcement report (JSON)\n"
	    "  --proxy-log FILE        append the proxy's upstream log (JSON lines)\n"
	    "  --timeout SECONDS       kill CMD after this long (exit 137)\n"
	    "  --ro PATH, --rw PATH    extra Landlock filesystem rules (repeatable)\n"
	    "  --quiet                 no warning about skipped rules on stderr\n"
	    "  -h, --help              this text\n");
}

struct run_cli {
	struct run_opts o;
	struct profile prof;
	int report_fd;
	bool quiet;
	unsigned long caller_pidns; /* inode of parity run's PID namespace */
	int nft_peer;		    /* the worker's socket end, not the pod's to keep */
};

/* After the PID namespace: the nftables worker, on the socket made before
 * it (the supervisor has the other end). */
static int start_nft_worker(const struct profile *prof, struct nft_worker *w, struct perr *e)
{
	struct netns_cfg ncfg;
	struct nft_sandbox_cfg nc;

	enforcer_netns_cfg(prof, &ncfg);
	netns_nft_cfg(&ncfg, &nc);
	return nft_worker_fork_ruleset(w, NFT_RS_SANDBOX_OUTPUT, &nc, e);
}

static unsigned long pidns_inode(void)
{
	struct stat st;
	return stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static int run_worker(void *arg)
{
	struct run_cli *c = arg;
	struct enf_report *rep = report_new(c->prof.name, c->prof.path);
	struct rep_sink rs = {.report = rep, .fd = -1};
	struct run_result res;
	struct perr e;
	int rc;

	perr_clear(&e);
	/* Held here, the worker's end would hide the worker's death from
	 * the supervisor (no EOF). */
	if (c->nft_peer >= 0)
		close(c->nft_peer);
	/* Without the privilege for a PID namespace (not root) the run goes
	 * on in the caller's (pidns_spawn's fallback): say what is lost. */
	if (c->caller_pidns && pidns_inode() == c->caller_pidns)
		rep_emit(&rs, "pidns", "PID namespace", REP_SKIPPED,
			 "none (no privilege for one, not root): what the command leaves "
			 "running can outlive the run, and --timeout kills the command only");
	else {
		rep_emit(&rs, "pidns", "PID namespace", REP_APPLIED,
			 "its own, with a procfs of it; everything in it dies with the run");
		c->o.own_pidns = true;
	}
	rc = enforcer_run(&c->o, rep, &res, &e);
	if (c->report_fd >= 0) {
		json_t *j = report_json(rep);
		json_object_set_new(j, "command_ran", json_boolean(rc == 0));
		if (rc == 0) {
			char st[64];
			json_object_set_new(
			    j, "command_status",
			    json_string(util_status_str(res.status, st, sizeof(st))));
			json_object_set_new(j, "timed_out", json_boolean(res.timed_out));
			json_object_set_new(j, "proxy_died", json_boolean(res.proxy_died_early));
		}
		char *s = json_to_string(j, true);
		if (s) {
			util_write_all(c->report_fd, s, strlen(s));
			util_write_all(c->report_fd, "\n", 1);
			free(s);
		}
	}
	if (rc < 0) {
		report_free(rep);
		return perr_report(&e, "parity run");
	}
	if (res.proxy_died_early) {
		/* The command ran on without its way out: said, whatever --quiet. */
		char st[64];
		fprintf(stderr, "parity run: the proxy died while the command ran (%s)\n",
			util_status_str(res.proxy_status, st, sizeof(st)));
	}
	if (!c->quiet && report_count(rep, REP_SKIPPED))
		fprintf(stderr, "parity run: %zu rule(s) of profile %s were skipped%s\n",
			report_count(rep, REP_SKIPPED), c->prof.name,
			c->report_fd >= 0 ? " (see the report)"
					  : " (use --report FILE to see which)");
	report_free(rep);
	return util_status_code(res.status);
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {{"profile", required_argument, NULL, 'p'},
						 {"landlock-abi", required_argument, NULL, 'a'},
						 {"compat", required_argument, NULL, 'c'},
						 {"policy", required_argument, NULL, 'P'},
						 {"report", required_argument, NULL, 'r'},
						 {"proxy-log", required_argument, NULL, 'l'},
						 {"timeout", required_argument, NULL, 't'},
						 {"ro", required_argument, NULL, 'R'},
						 {"rw", required_argument, NULL, 'W'},
						 {"quiet", no_argument, NULL, 'q'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	static struct run_cli c;
	static const char *ro[PROFILE_MAX_EXTRA_PATHS + 1], *rw[PROFILE_MAX_EXTRA_PATHS + 1];
	size_t nro = 0, nrw = 0;
	const char *profile = NULL, *report = NULL, *plog = NULL;
	struct perr e;
	long v;
	int opt, status;
	pid_t pid;
	bool isolated = false;
	struct nft_worker nw = {.pid = -1, .sock = -1, .peer = -1};
	struct pidns_watch *watch;

	perr_clear(&e);
	run_opts_init(&c.o);
	c.report_fd = -1;
	c.nft_peer = -1;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			profile = optarg;
			break;
		case 'a':
			if (util_parse_long(optarg, 0, 99, &v) < 0) {
				fprintf(stderr,
					"parity run: --landlock-abi: expected an integer "
					"0..99, got '%s'\n",
					optarg);
				return PARITY_EXIT_USAGE;
			}
			c.o.landlock_abi_cap = (int)v;
			break;
		case 'c':
			if (strcmp(optarg, "best-effort") == 0)
				c.o.compat = COMPAT_BEST_EFFORT;
			else if (strcmp(optarg, "hard") == 0)
				c.o.compat = COMPAT_HARD;
			else {
				fprintf(stderr,
					"parity run: --compat: expected best-effort or hard, "
					"got '%s'\n",
					optarg);
				return PARITY_EXIT_USAGE;
			}
			break;
		case 'P':
			c.o.policy_path = optarg;
			break;
		case 'r':
			report = optarg;
			break;
		case 'l':
			plog = optarg;
			break;
		case 't':
			if (util_parse_long(optarg, 1, 86400, &v) < 0) {
				fprintf(stderr,
					"parity run: --timeout: expected seconds 1..86400, "
					"got '%s'\n",
					optarg);
				return PARITY_EXIT_USAGE;
			}
			c.o.timeout_ms = (int)v * 1000;
			break;
		case 'R':
		case 'W':
			if (optarg[0] != '/' || strlen(optarg) >= PATH_MAX ||
			    (opt == 'R' ? nro : nrw) >= PROFILE_MAX_EXTRA_PATHS) {
				fprintf(stderr,
					"parity run: --%s: expected an absolute path shorter than "
					"%d bytes (at most %d)\n",
					opt == 'R' ? "ro" : "rw", PATH_MAX,
					PROFILE_MAX_EXTRA_PATHS);
				return PARITY_EXIT_USAGE;
			}
			if (opt == 'R')
				ro[nro++] = optarg;
			else
				rw[nrw++] = optarg;
			break;
		case 'q':
			c.quiet = true;
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			cli_bad_option("parity run", argv);
			run_usage(stderr);
			return PARITY_EXIT_USAGE;
		}
	}
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (!profile) {
		fprintf(stderr, "parity run: --profile is required\n");
		return PARITY_EXIT_USAGE;
	}
	if (optind >= argc) {
		fprintf(stderr, "parity run: no command given (parity run --profile P -- CMD)\n");
		return PARITY_EXIT_USAGE;
	}
	if (profile_load(profile, &c.prof, &e) < 0)
		return perr_report(&e, "parity run");
	TL("profile loaded");
	c.o.profile = &c.prof;
	c.o.argv = argv + optind;
	c.o.extra_ro = ro;
	c.o.extra_rw = rw;
	c.o.export_supervisor_pid = true;
	/* Open output files now, as the caller: the supervisor may drop to an
	 * unprivileged pod identity that could not open them later. */
	if (report) {
		c.report_fd = open(report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (c.report_fd < 0) {
			fprintf(stderr, "parity run: --report %s: %s\n", report, strerror(errno));
			return PARITY_EXIT_USAGE;
		}
	}
	if (plog) {
		c.o.proxy_log_fd = open(plog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (c.o.proxy_log_fd < 0) {
			fprintf(stderr, "parity run: --proxy-log %s: %s\n", plog, strerror(errno));
			return PARITY_EXIT_USAGE;
		}
	}
	/* The CLOEXEC flags must not stop the supervisor's own use: it keeps
	 * them (no exec); the agent closes every fd but stdio. */
	fflush(NULL);
	/* Namespace mode's nftables worker makes the sandbox netns and
	 * applies the table (0.6-1 ms with its netlink batch, 3-4 ms with
	 * libnftables) on the CPU this process and the supervisor leave idle
	 * (nft.h); the supervisor checks
	 * what it applied. It is our child: we reap it. Its socket is made
	 * now, so that the supervisor inherits its end, but the worker is
	 * forked after the PID namespace: forked first, it took this CPU from
	 * us for 1.7-4 ms in about half the starts, and the PID namespace and
	 * the supervisor waited (0.1-0.3 ms off the median, interleaved).
	 * Without the socket the supervisor starts a worker of its own. */
	if (c.prof.net.mode == NET_NAMESPACE && c.prof.net.nft == NFT_SANDBOX_OUTPUT) {
		if (nft_worker_socket(&nw, &e) == 0) {
			c.o.nft_worker_sock = nw.sock;
			c.nft_peer = nw.peer;
		}
		perr_clear(&e);
	}
	TL("nft socket made");
	c.caller_pidns = pidns_inode();
	/* The supervisor's stops, as its parent (the init, or we ourselves
	 * without a PID namespace) sees them: said at the end. */
	watch =
	    mmap(NULL, sizeof(*watch), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (watch == MAP_FAILED)
		watch = NULL;
	pid = pidns_spawn_watched(run_worker, &c, CLONE_NEWNS, true, &isolated, watch, &e);
	if (pid < 0) {
		if (nw.peer >= 0)
			close(nw.peer);
		nft_worker_abort(&nw);
		return perr_report(&e, "parity run");
	}
	TL("pid namespace made");
	if (nw.sock >= 0 && start_nft_worker(&c.prof, &nw, &e) < 0) {
		/* The supervisor reads EOF where the netns should come and
		 * fails its start; this is why. */
		perr_report(&e, "parity run");
	}
	if (nw.sock >= 0)
		close(nw.sock); /* the supervisor has its copy */
	nw.sock = -1;
	TL("nft worker forked");
	for (;;) {
		if (waitpid(pid, &status, isolated ? 0 : WUNTRACED | WCONTINUED) < 0) {
			if (errno == EINTR)
				continue;
			nft_worker_abort(&nw);
			return PARITY_EXIT_INFRA;
		}
		if (!pidns_watch_note(watch, status))
			break;
	}
	TL("init reaped");
	nft_worker_abort(&nw); /* done, or waiting for a netns that never came */
	if (watch) {
		char what[192];
		if (pidns_watch_describe(watch, what, sizeof(what)))
			fprintf(stderr,
				"parity run: the supervisor was stopped during the run (%s): "
				"something could signal it\n",
				what);
		munmap(watch, sizeof(*watch));
	}
	profile_free(&c.prof);
	TL("exit");
	timeline_dump();
	/* The init (or, without a PID namespace, the supervisor) ends with the
	 * command's code; killed by a signal, it is an outside kill (or the
	 * OOM killer), an infrastructure failure, never the command's own
	 * SIGKILL (137). */
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "parity run: the %s was killed by signal %d\n",
			isolated ? "PID namespace's init (and with it the sandbox)" : "supervisor",
			WTERMSIG(status));
		return PARITY_EXIT_INFRA;
	}
	return util_status_code(status);
}
