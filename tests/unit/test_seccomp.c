/* seccomp: rule construction from profile data, and the filters' behaviour
 * in a child (no root: NNP is enough). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "profile.h"
#include "seccomp_layer.h"
#include "unit.h"

static int load(const char *name, struct profile *p)
{
	struct perr e;
	char path[4096];
	snprintf(path, sizeof(path), "%s/enforcer/profiles/%s.json", PARITY_SOURCE_ROOT, name);
	return profile_load(path, p, &e);
}

static void test_rules_are_base_plus_profile(void)
{
	struct profile p;
	struct sc_rule rules[256];
	struct perr e;
	int n;

	CU_ASSERT_EQUAL_FATAL(load("platform", &p), 0);
	n = seccomp_build_rules(&p.sc, rules, 256, &e);
	CU_ASSERT_EQUAL(n, (int)seccomp_base_rules_count + 2);
	CU_ASSERT_STRING_EQUAL(rules[n - 1].label, "socket(AF_INET6, SOCK_DGRAM)");
	/* The reference's unconditional blocks are all present. */
	const char *must[] = {"ptrace", "bpf", "io_uring_setup", "setns", "memfd_create",
			      "pidfd_getfd", "userfaultfd", "perf_event_open"};
	for (size_t k = 0; k < sizeof(must) / sizeof(must[0]); k++) {
		bool found = false;
		for (int i = 0; i < n; i++)
			found |= strcmp(rules[i].syscall, must[k]) == 0;
		CU_ASSERT(found);
	}
	profile_free(&p);
	CU_ASSERT_EQUAL_FATAL(load("namespace", &p), 0);
	CU_ASSERT_EQUAL(seccomp_build_rules(&p.sc, rules, 256, &e), (int)seccomp_base_rules_count);
	profile_free(&p);
}

static void test_pfc_export_mentions_rules(void)
{
	struct profile p;
	struct perr e;
	char buf[65536];
	int fds[2];
	ssize_t n;

	CU_ASSERT_EQUAL_FATAL(load("platform", &p), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	CU_ASSERT_EQUAL(seccomp_profile_export_pfc(&p.sc, fds[1], &e), 0);
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	CU_ASSERT(n > 0);
	buf[n > 0 ? n : 0] = 0;
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "socket"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "x32"));
	profile_free(&p);
}

static void test_bad_arch_combination_rejected(void)
{
	struct profile p;
	struct perr e;
	CU_ASSERT_EQUAL_FATAL(load("platform", &p), 0);
	p.sc.x32 = SC_ERRNO;
	p.sc.x32_errno = EPERM;
	p.sc.non_native = SC_KILL;
	CU_ASSERT_EQUAL(seccomp_check_profile(&p.sc, "p.json", &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "seccomp.x32"));
	profile_free(&p);
}

/* The platform filter in a child: UDP denied however the type is spelled,
 * TCP allowed, clone3 -> ENOSYS, a further filter refused. */
static void test_platform_filter_behaviour(void)
{
	struct profile p;
	pid_t pid;
	int st;

	CU_ASSERT_EQUAL_FATAL(load("platform", &p), 0);
	pid = fork();
	if (pid == 0) {
		struct rep_sink rs = {.report = NULL, .fd = -1};
		int fail = 0;
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (seccomp_apply(&p.sc, -1, &rs) < 0)
			_exit(100);
#define EXPECT_ERR(call, err)                                                                      \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (call);                                                                  \
		if (r_ >= 0 || errno != (err)) {                                                   \
			fprintf(stderr, "line %d: %s -> %ld errno %d\n", __LINE__, #call, r_, errno); \
			fail++;                                                                    \
		}                                                                                  \
	} while (0)
		EXPECT_ERR(socket(AF_INET, SOCK_DGRAM, 0), EPERM);
		EXPECT_ERR(socket(AF_INET6, SOCK_DGRAM, 0), EPERM);
		EXPECT_ERR(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), EPERM);
		EXPECT_ERR(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), EPERM);
		/* The kernel reads ints: junk in the upper halves must not help. */
		EXPECT_ERR(syscall(SYS_socket, 0x100000000L | AF_INET, SOCK_DGRAM, 0), EPERM);
		EXPECT_ERR(syscall(SYS_socket, AF_INET, 0x100000000L | SOCK_DGRAM, 0), EPERM);
		EXPECT_ERR(socket(AF_PACKET, SOCK_RAW, 0), EPERM);
		EXPECT_ERR(socket(AF_NETLINK, SOCK_RAW, 12), EPERM);
		EXPECT_ERR(syscall(SYS_clone3, NULL, 0), ENOSYS);
		EXPECT_ERR(syscall(SYS_io_uring_setup, 1, NULL), EPERM);
		EXPECT_ERR(syscall(SYS_seccomp, 1, 0, NULL), EPERM);
		{
			int s = socket(AF_INET, SOCK_STREAM, 0);
			int n = socket(AF_NETLINK, SOCK_RAW, 0);
			if (s < 0 || n < 0)
				fail++;
		}
		_exit(fail);
	}
	waitpid(pid, &st, 0);
	CU_ASSERT(WIFEXITED(st));
	CU_ASSERT_EQUAL(WEXITSTATUS(st), 0);
	profile_free(&p);
}

void unit_register(void)
{
	UNIT_SUITE("seccomp");
	UNIT_TEST(test_rules_are_base_plus_profile);
	UNIT_TEST(test_pfc_export_mentions_rules);
	UNIT_TEST(test_bad_arch_combination_rejected);
	UNIT_TEST(test_platform_filter_behaviour);
}
