#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "jsonutil.h"
#include "unit.h"
#include "util.h"

static void test_marker_unique_and_label_safe(void)
{
	char a[27], b[27];
	util_marker(a);
	util_marker(b);
	CU_ASSERT_EQUAL(strlen(a), 26);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	for (size_t i = 0; i < strlen(a); i++)
		CU_ASSERT(strchr("abcdefghijklmnopqrstuvwxyz0123456789", a[i]) != NULL);
}

static void test_parse_long_bounds(void)
{
	long v = 0;
	CU_ASSERT_EQUAL(util_parse_long("42", 0, 100, &v), 0);
	CU_ASSERT_EQUAL(v, 42);
	CU_ASSERT_EQUAL(util_parse_long("101", 0, 100, &v), -1);
	CU_ASSERT_EQUAL(util_parse_long("4x", 0, 100, &v), -1);
	CU_ASSERT_EQUAL(util_parse_long("", 0, 100, &v), -1);
	/* Only what someone types on purpose: no blanks, no '+'. */
	CU_ASSERT_EQUAL(util_parse_long(" 5", 0, 100, &v), -1);
	CU_ASSERT_EQUAL(util_parse_long("+5", 0, 100, &v), -1);
	CU_ASSERT_EQUAL(util_parse_long("5 ", 0, 100, &v), -1);
	CU_ASSERT_EQUAL(util_parse_long("-", -9, 9, &v), -1);
	CU_ASSERT_EQUAL(util_parse_long("-5", -9, 9, &v), 0);
	CU_ASSERT_EQUAL(v, -5);
}

static void test_list_problems(void)
{
	CU_ASSERT_PTR_NULL(util_list_problem("none,platform", 64));
	CU_ASSERT_PTR_NULL(util_list_problem("T01*", 64));
	CU_ASSERT_PTR_NOT_NULL(util_list_problem("", 64));
	CU_ASSERT_PTR_NOT_NULL(util_list_problem("a,,b", 64));
	CU_ASSERT_PTR_NOT_NULL(util_list_problem(",a", 64));
	CU_ASSERT_PTR_NOT_NULL(util_list_problem("a,", 64));
	/* The callers split into a buffer of max_len bytes: the NUL counts. */
	CU_ASSERT_PTR_NULL(util_list_problem("abc", 4));
	CU_ASSERT_PTR_NOT_NULL(util_list_problem("abcd", 4));
}

static void test_status_strings(void)
{
	char buf[64];
	pid_t p = fork();
	int st;
	if (p == 0)
		_exit(7);
	waitpid(p, &st, 0);
	CU_ASSERT_STRING_EQUAL(util_status_str(st, buf, sizeof(buf)), "exit 7");
	CU_ASSERT_EQUAL(util_status_code(st), 7);
	CU_ASSERT_STRING_EQUAL(util_signame(31), "SYS");
	CU_ASSERT_STRING_EQUAL(util_errname(13), "EACCES");
}

static void test_wait_timeout_kills(void)
{
	bool to = false;
	pid_t p = fork();
	int st;
	if (p == 0) {
		pause();
		_exit(0);
	}
	st = util_wait_timeout(p, 50, &to);
	CU_ASSERT(to);
	CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == 9);
}

/* In a child: open fds, keep some (unsorted, one twice, one below lowfd),
 * close the rest; report through the exit code which survived. */
static void test_close_fds_keeps_only_what_it_is_told(void)
{
	pid_t p = fork();
	int st = 0;

	if (p == 0) {
		int fds[8], keep[4], bad = 0;
		for (int i = 0; i < 8; i++)
			fds[i] = open("/dev/null", O_RDONLY);
		keep[0] = fds[5];
		keep[1] = fds[2];
		keep[2] = fds[5];
		keep[3] = 1; /* below lowfd: ignored */
		util_close_fds_from(fds[1], keep, 4);
		for (int i = 0; i < 8; i++) {
			bool open_now = fcntl(fds[i], F_GETFD) >= 0;
			bool want = i == 0 || i == 2 || i == 5;
			bad += open_now != want;
		}
		bad += fcntl(fds[7] + 1, F_GETFD) >= 0; /* nothing above */
		_exit(bad);
	}
	waitpid(p, &st, 0);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_json_errors_name_file_and_field(void)
{
	struct perr e;
	json_error_t je;
	json_t *o = json_loads("{\"a\": \"x\", \"b\": 5}", 0, &je);
	long long v;
	const char *s;
	static const char *const keys[] = {"a", NULL};

	perr_clear(&e);
	CU_ASSERT_EQUAL(json_get_int(o, "a", true, 0, 10, &v, "f.json", "top", &e), -1);
	CU_ASSERT(strstr(e.msg, "f.json") && strstr(e.msg, "top.a"));
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT_EQUAL(json_get_int(o, "b", true, 0, 4, &v, "f.json", "", &e), -1);
	CU_ASSERT_EQUAL(json_get_str(o, "missing", true, &s, "f.json", "", &e), -1);
	CU_ASSERT(strstr(e.msg, "missing") != NULL);
	CU_ASSERT_EQUAL(json_check_keys(o, keys, "f.json", "", &e), -1);
	CU_ASSERT(strstr(e.msg, "'b'") != NULL);
	json_decref(o);
}

/* The state letter of /proc/<pid>/stat: running (ourselves), stopped,
 * zombie, and 0 for no such process. */
static void test_proc_state(void)
{
	pid_t c = fork();

	CU_ASSERT_FATAL(c >= 0);
	if (c == 0) {
		pause();
		_exit(0);
	}
	CU_ASSERT_EQUAL(util_proc_state(getpid()), 'R');
	CU_ASSERT_EQUAL(kill(c, SIGSTOP), 0);
	CU_ASSERT_EQUAL(waitpid(c, NULL, WUNTRACED), c);
	CU_ASSERT_EQUAL(util_proc_state(c), 'T');
	CU_ASSERT_EQUAL(kill(c, SIGKILL), 0);
	CU_ASSERT_EQUAL(waitid(P_PID, (id_t)c, &(siginfo_t){0}, WEXITED | WNOWAIT), 0);
	CU_ASSERT_EQUAL(util_proc_state(c), 'Z');
	CU_ASSERT_EQUAL(waitpid(c, NULL, 0), c);
	CU_ASSERT_EQUAL(util_proc_state(c), 0);
	CU_ASSERT_EQUAL(util_proc_state(-1), 0);
}

static void test_utf8_trim(void)
{
	static const struct {
		const char *in, *out;
	} c[] = {
	    {"abc", "abc"},
	    {"a\xc3", "a"},
	    {"a\xc3\xa9", "a\xc3\xa9"},
	    {"\xe2\x82", ""},
	    {"x\xe2\x82\xac", "x\xe2\x82\xac"},
	    {"x\xf0\x9f\x98", "x"},
	    {"x\xf0\x9f\x98\x80", "x\xf0\x9f\x98\x80"},
	    {"", ""},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char b[16];
		snprintf(b, sizeof(b), "%s", c[i].in);
		util_utf8_trim(b);
		CU_ASSERT_STRING_EQUAL(b, c[i].out);
	}
}

/* A file a user hands in as a profile or a policy is bounded and text:
 * /dev/zero read until the allocation failed, and a NUL byte hid what
 * followed it from the parser. */
static void test_read_file_max(void)
{
	char path[] = "/tmp/parity-util-XXXXXX";
	int fd = mkstemp(path);
	struct perr e;
	size_t len = 0;
	char *t;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "{\"a\":1}\0junk", 12), 12);
	close(fd);
	perr_clear(&e);
	CU_ASSERT_PTR_NULL(util_read_file_max("/dev/zero", NULL, 4096, &e));
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "/dev/zero: larger than 4096 bytes"));
	perr_clear(&e);
	CU_ASSERT_PTR_NULL(util_read_file_max(path, NULL, 4096, &e));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "NUL byte at offset 7"));
	t = util_read_file(path, &len, &e); /* no limit: binary files too */
	CU_ASSERT_PTR_NOT_NULL(t);
	CU_ASSERT_EQUAL(len, 12);
	free(t);
	unlink(path);
}

/* A program's output in a report: invalid bytes (a review's \\377 made
 * json_dumps fail and `attack exec --json` crash) become U+FFFD, and the
 * length cut never splits a character. */
static void test_json_text_always_valid(void)
{
	static const char bad[] = "ok\n\377\xc0\xaf\xed\xa0\x80"
				  "end";
	const char *check = "\xe2\x9c\x93\xe2\x9c\x93"; /* two U+2713 */
	json_t *j = json_text(bad, sizeof(bad) - 1, 1000);
	char *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	s = json_dumps(j, JSON_ENCODE_ANY);
	CU_ASSERT_PTR_NOT_NULL(s);
	CU_ASSERT_STRING_EQUAL(json_string_value(j), "ok\n\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
						     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
						     "end");
	free(s);
	json_decref(j);
	j = json_text(check, 6, 4); /* room for one and a third */
	CU_ASSERT_EQUAL(json_string_length(j), 3);
	json_decref(j);
	j = json_text("plain", 5, 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(j), "pla");
	json_decref(j);
}

void unit_register(void)
{
	UNIT_SUITE("util");
	UNIT_TEST(test_marker_unique_and_label_safe);
	UNIT_TEST(test_parse_long_bounds);
	UNIT_TEST(test_list_problems);
	UNIT_TEST(test_status_strings);
	UNIT_TEST(test_wait_timeout_kills);
	UNIT_TEST(test_close_fds_keeps_only_what_it_is_told);
	UNIT_TEST(test_json_errors_name_file_and_field);
	UNIT_TEST(test_proc_state);
	UNIT_TEST(test_utf8_trim);
	UNIT_TEST(test_json_text_always_valid);
	UNIT_TEST(test_read_file_max);
}
