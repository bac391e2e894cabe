/* Landlock: the ABI table (which rights each ABI 0-10 handles), planning with
 * emulated ABIs and compat modes, and real enforcement in a child. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "landlock.h"
#include "landlock_compat.h"
#include "profile.h"
#include "unit.h"

static void test_abi_table(void)
{
	static const struct {
		int abi;
		uint64_t fs, net, scopes;
	} want[] = {
	    {0, 0, 0, 0},	    {1, 0x1fff, 0, 0},	     {2, 0x3fff, 0, 0},
	    {3, 0x7fff, 0, 0},	    {4, 0x7fff, 0x3, 0},     {5, 0xffff, 0x3, 0},
	    {6, 0xffff, 0x3, 0x3},  {7, 0xffff, 0x3, 0x3},   {8, 0xffff, 0x3, 0x3},
	    {9, 0x1ffff, 0x3, 0x3}, {10, 0x1ffff, 0xf, 0x3},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CU_ASSERT_EQUAL(landlock_abi_fs_rights(want[i].abi), want[i].fs);
		CU_ASSERT_EQUAL(landlock_abi_net_rights(want[i].abi), want[i].net);
		CU_ASSERT_EQUAL(landlock_abi_scopes(want[i].abi), want[i].scopes);
	}
	CU_ASSERT_EQUAL(landlock_net_right_min_abi(LANDLOCK_ACCESS_NET_CONNECT_TCP), 4);
	CU_ASSERT_EQUAL(landlock_net_right_min_abi(LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP), 10);
	CU_ASSERT_EQUAL(landlock_scope_min_abi(LANDLOCK_SCOPE_SIGNAL), 6);
	CU_ASSERT_EQUAL(landlock_fs_right_min_abi(LANDLOCK_ACCESS_FS_IOCTL_DEV), 5);
	CU_ASSERT_EQUAL(landlock_fs_right_min_abi(LANDLOCK_ACCESS_FS_RESOLVE_UNIX), 9);
}

static void test_kernel_abi_matches_syscall(void)
{
	int raw = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	CU_ASSERT_EQUAL(landlock_kernel_abi(NULL), raw > 0 ? raw : 0);
}

static int load_platform(struct profile *p)
{
	struct perr e;
	char path[4096];
	snprintf(path, sizeof(path), "%s/enforcer/profiles/platform.json", PARITY_SOURCE_ROOT);
	return profile_load(path, p, &e);
}

static size_t count_status(struct enf_report *r, const char *item_part, const char *status)
{
	json_t *entries = json_object_get(report_json(r), "entries"), *e;
	size_t i, n = 0;
	json_array_foreach (entries, i, e) {
		if (strstr(json_string_value(json_object_get(e, "item")), item_part) &&
		    strcmp(json_string_value(json_object_get(e, "status")), status) == 0)
			n++;
	}
	return n;
}

static void test_plan_emulated_abi3_skips_net_and_scopes(void)
{
	struct profile p;
	struct landlock_plan plan;
	struct enf_report *r = report_new("platform", NULL);
	struct rep_sink rs = {.report = r, .fd = -1};
	struct perr e;

	if (landlock_kernel_abi(NULL) < 6) {
		fprintf(stderr, "kernel Landlock ABI < 6: test needs 6\n");
		report_free(r);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(load_platform(&p), 0);
	CU_ASSERT_EQUAL(landlock_plan(&p.ll, 3, COMPAT_BEST_EFFORT, NULL, NULL, &plan, &rs, &e), 0);
	CU_ASSERT(plan.emulated);
	CU_ASSERT_EQUAL(plan.effective_abi, 3);
	CU_ASSERT_EQUAL(plan.handled.net, 0);
	CU_ASSERT_EQUAL(plan.handled.scoped, 0);
	CU_ASSERT_EQUAL(plan.handled.fs, landlock_abi_fs_rights(2));
	/* The net rule and both scopes appear as skipped. */
	CU_ASSERT(count_status(r, "net.connect_tcp", "skipped") >= 1);
	CU_ASSERT_EQUAL(count_status(r, "scope.", "skipped"), 2);
	report_free(r);

	r = report_new("platform", NULL);
	rs.report = r;
	perr_clear(&e);
	CU_ASSERT_EQUAL(landlock_plan(&p.ll, 3, COMPAT_HARD, NULL, NULL, &plan, &rs, &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "connect_tcp"));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "ABI 4"));
	/* a missing feature: the lab's N/A, not its failure */
	CU_ASSERT_TRUE(e.feature_missing);
	report_free(r);

	r = report_new("platform", NULL);
	rs.report = r;
	CU_ASSERT_EQUAL(landlock_plan(&p.ll, 99, COMPAT_BEST_EFFORT, NULL, NULL, &plan, &rs, &e),
			-1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	report_free(r);

	/* A path too long to hold is refused, never cut: cut, "/root////...x"
	 * would have granted /root itself. */
	{
		static char longpath[PATH_MAX + 64];
		const char *extra[] = {longpath, NULL};
		memset(longpath, '/', sizeof(longpath) - 2);
		memcpy(longpath, "/root", 5);
		longpath[sizeof(longpath) - 2] = 'x';
		r = report_new("platform", NULL);
		rs.report = r;
		perr_clear(&e);
		CU_ASSERT_EQUAL(
		    landlock_plan(&p.ll, 3, COMPAT_BEST_EFFORT, extra, NULL, &plan, &rs, &e), -1);
		CU_ASSERT(count_status(r, "/root", "failed") == 1);
		report_free(r);
	}
	profile_free(&p);
}

static void test_plan_abi0_skips_everything(void)
{
	struct profile p;
	struct landlock_plan plan;
	struct enf_report *r = report_new("platform", NULL);
	struct rep_sink rs = {.report = r, .fd = -1};
	struct perr e;

	CU_ASSERT_EQUAL_FATAL(load_platform(&p), 0);
	CU_ASSERT_EQUAL(landlock_plan(&p.ll, 0, COMPAT_BEST_EFFORT, NULL, NULL, &plan, &rs, &e), 0);
	CU_ASSERT_FALSE(plan.active);
	CU_ASSERT(report_count(r, REP_SKIPPED) >= (size_t)(p.ll.nro + p.ll.nrw + 3));
	report_free(r);
	profile_free(&p);
}

/* A real ruleset in a child: connect to a loopback port other than the
 * allowed one is EACCES; the allowed port is not. No root needed. */
static void test_enforce_connect_rule_in_child(void)
{
	struct profile p;
	int lst, port_ok, port_bad;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	pid_t pid;
	int st;

	if (landlock_kernel_abi(NULL) < 4) {
		fprintf(stderr, "kernel Landlock ABI < 4: skipped\n");
		return;
	}
	CU_ASSERT_EQUAL_FATAL(load_platform(&p), 0);
	lst = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL_FATAL(bind(lst, (struct sockaddr *)&a, sizeof(a)), 0);
	listen(lst, 8);
	getsockname(lst, (struct sockaddr *)&a, &al);
	port_ok = ntohs(a.sin_port);
	port_bad = port_ok; /* same listener: only the rule differs */
	p.ll.connect_tcp[0] = (uint16_t)port_ok;
	pid = fork();
	if (pid == 0) {
		struct landlock_plan plan;
		struct rep_sink rs = {.report = NULL, .fd = -1};
		struct perr e;
		int s1, s2, r1, r2, err2;
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (landlock_plan(&p.ll, -1, COMPAT_HARD, NULL, NULL, &plan, &rs, &e) < 0 ||
		    landlock_prepare(&plan, &rs) < 0 || landlock_enforce(&plan, &rs) < 0)
			_exit(10);
		s1 = socket(AF_INET, SOCK_STREAM, 0);
		r1 = connect(s1, (struct sockaddr *)&a, sizeof(a));
		/* Now forbid that port by changing nothing but the address port. */
		a.sin_port = htons((uint16_t)(port_bad == 65535 ? 1 : port_bad + 1));
		s2 = socket(AF_INET, SOCK_STREAM, 0);
		r2 = connect(s2, (struct sockaddr *)&a, sizeof(a));
		err2 = errno;
		_exit(r1 == 0 && r2 < 0 && err2 == EACCES ? 0 : 11);
	}
	waitpid(pid, &st, 0);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(lst);
	profile_free(&p);
}

/* platform-strict handles TCP bind with no rule: in a child with its
 * ruleset, binding a loopback port (even port 0) is EACCES, while the
 * same bind outside succeeds. The plan says so too. No root needed. */
static void test_enforce_bind_handled_in_child(void)
{
	struct profile p;
	struct perr e;
	char path[4096];
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int s, st;
	pid_t pid;

	if (landlock_kernel_abi(NULL) < 4) {
		fprintf(stderr, "kernel Landlock ABI < 4: skipped\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/enforcer/profiles/platform-strict.json",
		 PARITY_SOURCE_ROOT);
	CU_ASSERT_EQUAL_FATAL(profile_load(path, &p, &e), 0);
	CU_ASSERT_TRUE(p.ll.bind_tcp_handled);
	s = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL(bind(s, (struct sockaddr *)&a, sizeof(a)), 0); /* the control */
	close(s);
	pid = fork();
	if (pid == 0) {
		struct landlock_plan plan;
		struct rep_sink rs = {.report = NULL, .fd = -1};
		int r, err;
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		/* best effort: its UDP rights and unix resolution need ABI 10/9 */
		if (landlock_plan(&p.ll, -1, COMPAT_BEST_EFFORT, NULL, NULL, &plan, &rs, &e) < 0)
			_exit(10);
		if (!(plan.handled.net & LANDLOCK_ACCESS_NET_BIND_TCP))
			_exit(11);
		if (landlock_prepare(&plan, &rs) < 0 || landlock_enforce(&plan, &rs) < 0)
			_exit(12);
		s = socket(AF_INET, SOCK_STREAM, 0);
		r = bind(s, (struct sockaddr *)&a, sizeof(a));
		err = errno;
		_exit(r < 0 && err == EACCES ? 0 : 13);
	}
	waitpid(pid, &st, 0);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (WIFEXITED(st) && WEXITSTATUS(st))
		fprintf(stderr, "bind child exited %d\n", WEXITSTATUS(st));
	profile_free(&p);
}

/* Emit one SKIPPED entry for item into the pipe p, as the agent does, and
 * read the line back into line (NUL-terminated). 0, or -1. */
static int pipe_entry(const int p[2], const char *item, char *line, size_t len)
{
	struct rep_sink rs = {.report = NULL, .fd = p[1]};
	ssize_t n;

	rep_emit(&rs, "landlock", item, REP_SKIPPED, "cannot open; nothing granted");
	n = read(p[0], line, len - 1);
	if (n <= 0)
		return -1;
	line[n] = 0;
	return 0;
}

/* The agent reports through a pipe, one line per entry: an entry for a
 * path too long for one line still arrives (cut, and saying so), never
 * dropped. */
static void test_long_entry_goes_through_the_pipe(void)
{
	static char item[5000], line[PIPE_BUF + 1];
	struct enf_report *r = report_new("t", NULL);
	int p[2];

	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	memset(item, 'a', sizeof(item) - 1);
	item[0] = '/';
	CU_ASSERT_EQUAL(pipe_entry(p, item, line, sizeof(line)), 0);
	CU_ASSERT_EQUAL(report_add_line(r, line), 0);
	CU_ASSERT_EQUAL(report_count(r, REP_SKIPPED), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "(4999 bytes)"));
	/* The cut never splits a UTF-8 sequence (jansson would refuse the
	 * string, and the entry would be lost after all): "/" then "é"s,
	 * so byte 300 is the second byte of one. */
	for (size_t i = 1; i + 1 < sizeof(item) - 1; i += 2) {
		item[i] = (char)0xc3;
		item[i + 1] = (char)0xa9;
	}
	CU_ASSERT_EQUAL(pipe_entry(p, item, line, sizeof(line)), 0);
	CU_ASSERT_EQUAL(report_add_line(r, line), 0);
	CU_ASSERT_EQUAL(report_count(r, REP_SKIPPED), 2);
	close(p[1]);
	close(p[0]);
	report_free(r);
}

/* Every path the inputs may name fits in a plan: a profile's two full
 * lists and the CLI's full --ro/--rw. A plan that ran out of room would
 * fail the start with exit 3, naming no field; the inputs' own limits
 * (profile fields, --ro/--rw) are what a user is told about. */
static void test_plan_holds_every_path_the_inputs_allow(void)
{
	static char names[2 * (PROFILE_MAX_PATHS + PROFILE_MAX_EXTRA_PATHS)][32];
	static const char *extra_ro[PROFILE_MAX_EXTRA_PATHS + 1],
	    *extra_rw[PROFILE_MAX_EXTRA_PATHS + 1];
	struct profile p;
	struct landlock_plan plan;
	struct enf_report *r = report_new("platform", NULL);
	struct rep_sink rs = {.report = r, .fd = -1};
	struct perr e;
	unsigned k = 0;

	CU_ASSERT_EQUAL_FATAL(load_platform(&p), 0);
	profile_free(&p);
	for (unsigned i = 0; i < PROFILE_MAX_PATHS; i++) {
		snprintf(names[k], sizeof(names[k]), "/tmp/ro%u", i);
		p.ll.fs_read_only[i] = strdup(names[k++]);
		snprintf(names[k], sizeof(names[k]), "/tmp/rw%u", i);
		p.ll.fs_read_write[i] = strdup(names[k++]);
	}
	p.ll.nro = p.ll.nrw = PROFILE_MAX_PATHS;
	for (unsigned i = 0; i < PROFILE_MAX_EXTRA_PATHS; i++) {
		snprintf(names[k], sizeof(names[k]), "/tmp/xro%u", i);
		extra_ro[i] = names[k++];
		snprintf(names[k], sizeof(names[k]), "/tmp/xrw%u", i);
		extra_rw[i] = names[k++];
	}
	perr_clear(&e);
	CU_ASSERT_EQUAL(
	    landlock_plan(&p.ll, 3, COMPAT_BEST_EFFORT, extra_ro, extra_rw, &plan, &rs, &e), 0);
	CU_ASSERT_EQUAL(plan.npaths, k);
	CU_ASSERT_EQUAL(report_count(r, REP_FAILED), 0);
	report_free(r);
	profile_free(&p);
}

/* The plan names the running kernel's errata, as a raw syscall gives them
 * here, and what erratum 1 leaves to seccomp when TCP rights are handled. */
static void test_plan_reports_errata(void)
{
	struct profile p;
	struct landlock_plan plan;
	struct enf_report *r = report_new("platform", NULL);
	struct rep_sink rs = {.report = r, .fd = -1};
	struct perr e;
	long mask = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U << 1);
	json_t *entries, *en;
	size_t i;
	char want[64];
	bool seen = false, seen1 = false;

	if (landlock_kernel_abi(NULL) < 4) {
		fprintf(stderr, "kernel Landlock ABI < 4: test needs 4\n");
		report_free(r);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(load_platform(&p), 0);
	CU_ASSERT_EQUAL(landlock_plan(&p.ll, -1, COMPAT_BEST_EFFORT, NULL, NULL, &plan, &rs, &e),
			0);
	snprintf(want, sizeof(want), "0x%lx from", mask);
	entries = json_object_get(report_json(r), "entries");
	json_array_foreach (entries, i, en) {
		const char *item = json_string_value(json_object_get(en, "item"));
		const char *detail = json_string_value(json_object_get(en, "detail"));
		if (strcmp(item, "errata") == 0)
			seen = mask >= 0 ? strncmp(detail, want, strlen(want)) == 0
					 : strncmp(detail, "unknown", 7) == 0;
		if (strncmp(item, "erratum 1", 9) == 0)
			seen1 = strncmp(detail, (mask > 0 && (mask & 1)) ? "fixed" : "not known",
					5) == 0;
	}
	CU_ASSERT_TRUE(seen);
	CU_ASSERT_TRUE(seen1);
	report_free(r);

	/* Each mask, as a kernel with or without each fix would give it. */
	{
		static const struct {
			bool known;
			unsigned mask;
			const char *e1, *e3; /* detail prefix, or NULL: no entry */
		} k[] = {
		    {false, 0, "not known", "not known"},
		    {true, 0, "not known", "not known"},
		    {true, 1, "fixed", "not known"},
		    {true, 4, "not known", NULL},
		    {true, 7, "fixed", NULL},
		};
		for (size_t c = 0; c < sizeof(k) / sizeof(k[0]); c++) {
			const char *e1 = NULL, *e3 = NULL, *head = NULL, *tfo = NULL;
			r = report_new("platform", NULL);
			rs.report = r;
			landlock_report_errata(&plan, k[c].known, k[c].mask, ENOSYS, &rs);
			entries = json_object_get(report_json(r), "entries");
			json_array_foreach (entries, i, en) {
				const char *item = json_string_value(json_object_get(en, "item"));
				const char *d = json_string_value(json_object_get(en, "detail"));
				if (strcmp(item, "errata") == 0)
					head = d;
				else if (strncmp(item, "erratum 1", 9) == 0)
					e1 = d;
				else if (strncmp(item, "erratum 3", 9) == 0)
					e3 = d;
				else if (strcmp(item, "TCP Fast Open and connect_tcp") == 0)
					tfo = d;
			}
			/* No errata bit covers TFO: said whatever the mask. */
			CU_ASSERT(tfo && strstr(tfo, "MSG_FASTOPEN") && strstr(tfo, "T06"));
			CU_ASSERT(head && strncmp(head, k[c].known ? "0x" : "unknown", 2) == 0);
			CU_ASSERT(e1 && strncmp(e1, k[c].e1, strlen(k[c].e1)) == 0);
			CU_ASSERT(k[c].e3 ? e3 && strncmp(e3, k[c].e3, strlen(k[c].e3)) == 0 : !e3);
			report_free(r);
		}
	}
	profile_free(&p);
}

void unit_register(void)
{
	UNIT_SUITE("landlock");
	UNIT_TEST(test_abi_table);
	UNIT_TEST(test_kernel_abi_matches_syscall);
	UNIT_TEST(test_plan_emulated_abi3_skips_net_and_scopes);
	UNIT_TEST(test_plan_abi0_skips_everything);
	UNIT_TEST(test_plan_holds_every_path_the_inputs_allow);
	UNIT_TEST(test_plan_reports_errata);
	UNIT_TEST(test_enforce_connect_rule_in_child);
	UNIT_TEST(test_enforce_bind_handled_in_child);
	UNIT_TEST(test_long_entry_goes_through_the_pipe);
}
