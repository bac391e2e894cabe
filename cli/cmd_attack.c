/* cmd_attack.c - `parity attack list|show|run|exec|docs` and the hidden
 * `parity __attack ID` that runs a registry attack inside the sandbox. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"
#include "attack_docs.h"
#include "cell.h"
#include "commands.h"
#include "jsonutil.h"
#include "probe.h"
#include "profile.h"
#include "util.h"

static void attack_usage(FILE *f)
{
	fprintf(f,
		"usage: parity attack list [--family F] [--json]\n"
		"       parity attack show ID [--json]\n"
		"       parity attack run ID --profile P [--landlock-abi N] [--compat M] [--json]\n"
		"                            [--pcap FILE] [--timeout S] [--no-control]\n"
		"                            [--capture-max-bytes N]\n"
		"       parity attack exec --profile P [same options] -- CMD [ARGS...]\n"
		"       parity attack docs --out DIR\n\n"
		"run and exec build a fresh lab, run the program in the sandbox of profile P,\n"
		"and judge it by what independent witnesses saw (packet capture, sinks, DNS\n"
		"sink, victims), against a positive control under profile none.\n"
		"--capture-max-bytes N bounds the memory for the captured frames (default\n"
		"256 MiB); a capture that needs more fails, and the cell is INCONCLUSIVE.\n"
		"Exit: 0 a judgement was made (whatever the verdict), 3 the lab or a witness\n"
		"failed, 2 usage errors.\n\n"
		"The program's environment (exec): PARITY_MARKER, PARITY_SINK_V4, PARITY_SINK_V6,\n"
		"PARITY_DNS_V4, PARITY_DNS_V6, PARITY_PROXY, PARITY_ALLOWED, PARITY_VICTIM_PID,\n"
		"PARITY_VICTIM_ABSTRACT, PARITY_VICTIM_PATH, PARITY_SUPERVISOR_PID. A line\n"
		"\"@parity accomplice tcp PORT\" (or tcp6/udp/udp6 PORT, or abstract NAME) on its\n"
		"stdout asks the lab to dial in.\n");
}

static json_t *attack_json(const struct attack *a)
{
	json_t *needs = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(a->needs.probe) && a->needs.probe[i]; i++)
		json_array_append_new(needs, json_string(a->needs.probe[i]));
	if (a->needs.sysctl)
		json_array_append_new(
		    needs, json_sprintf("sysctl %s & 0x%x", a->needs.sysctl, a->needs.sysctl_mask));
	return json_pack(
	    "{s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:{s:s,s:s,s:s,s:s}}", "id", a->id, "family",
	    attack_family_name(a->family), "title", a->title, "tries", a->tries, "syscalls",
	    a->syscalls ? a->syscalls : "", "needs", needs, "refs", a->refs ? a->refs : "",
	    "expected_stop", "namespace", a->expect.namespace_ ? a->expect.namespace_ : "",
	    "platform", a->expect.platform ? a->expect.platform : "", "platform-notify",
	    a->expect.platform_notify ? a->expect.platform_notify : "", "platform-strict",
	    a->expect.platform_strict ? a->expect.platform_strict : "");
}

static int do_list(int argc, char **argv)
{
	bool json = false, has_fam = false;
	enum attack_family fam = FAM_TCP;
	json_t *arr = json_array();

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--family") == 0 && i + 1 < argc) {
			if (has_fam) {
				fprintf(stderr, "parity attack list: --family given twice\n");
				json_decref(arr);
				return PARITY_EXIT_USAGE;
			}
			if (attack_family_parse(argv[++i], &fam) < 0) {
				fprintf(stderr,
					"parity attack list: --family: unknown family '%s' (tcp, "
					"udp, dns, abstract, signal, escape, notify)\n",
					argv[i]);
				json_decref(arr);
				return PARITY_EXIT_USAGE;
			}
			has_fam = true;
		} else {
			fprintf(stderr, "parity attack list: unknown argument '%s'\n", argv[i]);
			json_decref(arr);
			return PARITY_EXIT_USAGE;
		}
	}
	for (size_t i = 0; i < attack_count(); i++) {
		const struct attack *a = attack_at(i);
		if (has_fam && a->family != fam)
			continue;
		if (json)
			json_array_append_new(arr, attack_json(a));
		else
			printf("%-22s %-9s %s\n", a->id, attack_family_name(a->family), a->title);
	}
	if (json) {
		char *s = json_to_string(arr, true);
		puts(s);
		free(s);
	}
	json_decref(arr);
	return 0;
}

static int do_show(int argc, char **argv)
{
	const struct attack *a;
	if (argc < 2) {
		fprintf(stderr, "parity attack show: which attack? (parity attack list)\n");
		return PARITY_EXIT_USAGE;
	}
	a = attack_find(argv[1]);
	if (!a) {
		fprintf(stderr, "parity attack show: unknown attack '%s'\n", argv[1]);
		return PARITY_EXIT_USAGE;
	}
	if (argc > 3 || (argc == 3 && strcmp(argv[2], "--json") != 0)) {
		fprintf(stderr, "parity attack show: unexpected argument '%s' (ID [--json])\n",
			strcmp(argv[2], "--json") != 0 ? argv[2] : argv[3]);
		return PARITY_EXIT_USAGE;
	}
	if (argc == 3) {
		json_t *j = attack_json(a);
		char *s = json_to_string(j, true);
		puts(s);
		free(s);
		json_decref(j);
		return 0;
	}
	attack_doc_write(stdout, a);
	return 0;
}

/* run and exec share everything but what they run. */
static int do_judge(int argc, char **argv, bool is_exec)
{
	static const struct option longopts[] = {
	    {"profile", required_argument, NULL, 'p'},
	    {"landlock-abi", required_argument, NULL, 'a'},
	    {"compat", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"pcap", required_argument, NULL, 'P'},
	    {"timeout", required_argument, NULL, 't'},
	    {"no-control", no_argument, NULL, 'n'},
	    {"ro", required_argument, NULL, 'R'},
	    {"capture-max-bytes", required_argument, NULL, 'M'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	static struct profile prof, none;
	static const char *ro[16];
	struct cell_spec s;
	struct cell_result r;
	struct perr e;
	const char *profile = NULL;
	bool json = false, control = true;
	size_t nro = 0;
	long v;
	int opt, rc;

	perr_clear(&e);
	memset(&s, 0, sizeof(s));
	s.landlock_abi_cap = -1;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, is_exec ? "+h" : "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			profile = optarg;
			break;
		case 'a':
			if (util_parse_long(optarg, 0, 99, &v) < 0) {
				fprintf(stderr,
					"parity attack: --landlock-abi: expected 0..99, got '%s'\n",
					optarg);
				return PARITY_EXIT_USAGE;
			}
			s.landlock_abi_cap = (int)v;
			break;
		case 'c':
			if (strcmp(optarg, "hard") == 0)
				s.compat = COMPAT_HARD;
			else if (strcmp(optarg, "best-effort") == 0)
				s.compat = COMPAT_BEST_EFFORT;
			else {
				fprintf(stderr,
					"parity attack: --compat: expected best-effort or hard\n");
				return PARITY_EXIT_USAGE;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'P':
			s.pcap_path = optarg;
			break;
		case 't':
			if (util_parse_long(optarg, 1, 600, &v) < 0) {
				fprintf(stderr,
					"parity attack: --timeout: expected seconds 1..600\n");
				return PARITY_EXIT_USAGE;
			}
			s.timeout_ms = (int)v * 1000;
			break;
		case 'n':
			control = false;
			break;
		case 'M':
			if (util_parse_long(optarg, 4096, 1L << 40, &v) < 0) {
				fprintf(stderr,
					"parity attack: --capture-max-bytes: expected "
					"4096..2^40, got '%s'\n",
					optarg);
				return PARITY_EXIT_USAGE;
			}
			s.capture_max_bytes = (size_t)v;
			break;
		case 'R':
			if (optarg[0] != '/' || strlen(optarg) >= PATH_MAX || nro >= 15) {
				fprintf(
				    stderr,
				    "parity attack: --ro: expected an absolute path shorter than "
				    "%d bytes (at most 15)\n",
				    PATH_MAX);
				return PARITY_EXIT_USAGE;
			}
			ro[nro++] = optarg;
			break;
		case 'h':
			attack_usage(stdout);
			return 0;
		default:
			cli_bad_option("parity attack", argv);
			return PARITY_EXIT_USAGE;
		}
	}
	if (!profile) {
		fprintf(stderr, "parity attack: --profile is required\n");
		return PARITY_EXIT_USAGE;
	}
	if (is_exec) {
		if (optind < argc && strcmp(argv[optind], "--") == 0)
			optind++;
		if (optind >= argc) {
			fprintf(stderr, "parity attack exec: no command (parity attack exec "
					"--profile P -- CMD)\n");
			return PARITY_EXIT_USAGE;
		}
		s.argv = argv + optind;
	} else {
		if (optind >= argc) {
			fprintf(stderr, "parity attack run: which attack? (parity attack list)\n");
			return PARITY_EXIT_USAGE;
		}
		s.attack = attack_find(argv[optind]);
		if (!s.attack) {
			fprintf(stderr, "parity attack run: unknown attack '%s'\n", argv[optind]);
			return PARITY_EXIT_USAGE;
		}
		if (optind + 1 < argc) {
			fprintf(stderr, "parity attack run: unexpected argument '%s'\n",
				argv[optind + 1]);
			return PARITY_EXIT_USAGE;
		}
	}
	if (profile_load(profile, &prof, &e) < 0)
		return perr_report(&e, "parity attack");
	if (control) {
		if (profile_load("none", &none, &e) < 0)
			return perr_report(&e, "parity attack");
		s.control_profile = &none;
	}
	s.profile = &prof;
	s.extra_ro = ro;
	if (geteuid() != 0) {
		fprintf(stderr,
			"parity attack: the lab needs root (network namespaces, PID namespaces)\n");
		return PARITY_EXIT_INFRA;
	}
	if (cell_run(&s, &r, &e) < 0)
		return perr_report(&e, "parity attack");
	if (json) {
		json_t *j = cell_result_json(&r, true);
		char *str = json_to_string(j, true);
		if (!str) {
			json_decref(j);
			fprintf(stderr, "parity attack: cannot write the result as JSON\n");
			return PARITY_EXIT_INFRA;
		}
		puts(str);
		free(str);
		json_decref(j);
	} else {
		cell_print_transcript(stdout, &s, &r);
	}
	rc = r.run.infra_failed || (r.control_used && r.control_used->infra_failed)
		 ? PARITY_EXIT_INFRA
		 : 0;
	if (rc)
		fprintf(stderr, "parity attack: the lab or a witness failed: %s\n",
			r.run.infra_failed ? r.run.infra_error : r.control_used->infra_error);
	cell_result_free(&r);
	profile_free(&prof);
	if (control)
		profile_free(&none);
	return rc;
}

static int do_docs(int argc, char **argv)
{
	struct perr e;
	perr_clear(&e);
	if (argc != 3 || strcmp(argv[1], "--out") != 0) {
		fprintf(stderr, "parity attack docs: usage: parity attack docs --out DIR\n");
		return PARITY_EXIT_USAGE;
	}
	if (attack_docs_write_dir(argv[2], &e) < 0)
		return perr_report(&e, "parity attack docs");
	return 0;
}

int cmd_attack(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		attack_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? PARITY_EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "list") == 0)
		return do_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return do_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0)
		return do_judge(argc - 1, argv + 1, false);
	if (strcmp(argv[1], "exec") == 0)
		return do_judge(argc - 1, argv + 1, true);
	if (strcmp(argv[1], "docs") == 0)
		return do_docs(argc - 1, argv + 1);
	fprintf(stderr, "parity attack: unknown subcommand '%s'\n", argv[1]);
	attack_usage(stderr);
	return PARITY_EXIT_USAGE;
}

/* Inside the sandbox: `parity __attack ID`. */
int cmd_attack_inside(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "parity __attack ID (internal: runs inside the sandbox)\n");
		return PARITY_EXIT_USAGE;
	}
	return attack_main(argv[1]);
}
