/* seccomp: rule construction from profile data, and the filters' behaviour
 * in a child (no root: NNP is enough). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "profile.h"
#include "report.h"
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
	const char *must[] = {"ptrace",	      "bpf",	     "io_uring_setup", "setns",
			      "memfd_create", "pidfd_getfd", "userfaultfd",    "perf_event_open"};
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
 * TCP allowed, clone3 -> ENOSYS, a further filter refused, the base
 * filter's rules in force. */
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
			fprintf(stderr, "line %d: %s -> %ld errno %d\n", __LINE__, #call, r_,      \
				errno);                                                            \
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
		/* The base filter's unconditional rules: each call is made so
		 * that, unfiltered, it fails with another errno or succeeds
		 * harmlessly. */
		EXPECT_ERR(syscall(SYS_memfd_create, "x", 0), EPERM);
		EXPECT_ERR(syscall(SYS_ptrace, -1L, 0, 0, 0), EPERM);
		EXPECT_ERR(syscall(SYS_bpf, -1, NULL, 0), EPERM);
		EXPECT_ERR(syscall(SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, 0), EPERM);
		EXPECT_ERR(syscall(SYS_pidfd_open, getpid(), 0), EPERM);
		EXPECT_ERR(syscall(SYS_setns, -1, 0), EPERM);
		EXPECT_ERR(syscall(SYS_userfaultfd, 0), EPERM);
		EXPECT_ERR(syscall(SYS_mount, NULL, NULL, NULL, 0, NULL), EPERM);
		EXPECT_ERR(syscall(SYS_open_tree, -1, "", 0), EPERM);
		/* The masked flag tests. */
		EXPECT_ERR(syscall(SYS_execveat, -1, "", NULL, NULL, AT_EMPTY_PATH), EPERM);
		{
			/* Unfiltered, this forks a child in a new user namespace:
			 * it leaves at once and counts as a failure. */
			errno = 0;
			long c = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
			if (c == 0)
				_exit(0);
			if (c > 0)
				waitpid((pid_t)c, NULL, 0);
			if (c >= 0 || errno != EPERM) {
				fprintf(stderr, "clone(CLONE_NEWUSER) -> %ld errno %d\n", c, errno);
				fail++;
			}
		}
		{
			int s = socket(AF_INET, SOCK_STREAM, 0);
			int n = socket(AF_NETLINK, SOCK_RAW, 0);
			if (s < 0 || n < 0)
				fail++;
		}
		/* Last: unfiltered, it moves this child into a user namespace. */
		EXPECT_ERR(unshare(CLONE_NEWUSER), EPERM);
		_exit(fail);
	}
	waitpid(pid, &st, 0);
	CU_ASSERT(WIFEXITED(st));
	CU_ASSERT_EQUAL(WEXITSTATUS(st), 0);
	profile_free(&p);
}

/* clone3_enosys off with the base filter on: clone3's flags are in memory
 * the filter cannot read, so CLONE_NEWUSER is one call away. The report
 * said nothing of it while listing clone(CLONE_NEWUSER) as applied. */
static void test_clone3_off_is_said(void)
{
	struct profile p;
	pid_t pid;
	int st;

	CU_ASSERT_EQUAL_FATAL(load("platform", &p), 0);
	p.sc.clone3_enosys = false;
	pid = fork();
	if (pid == 0) {
		struct enf_report *rep = report_new("t", "t.json");
		struct rep_sink rs = {.report = rep, .fd = -1};
		json_t *entries, *it;
		size_t i;
		int found = 0;
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (!rep || seccomp_apply(&p.sc, -1, &rs) < 0)
			_exit(100);
		entries = json_object_get(report_json(rep), "entries");
		json_array_foreach (entries, i, it) {
			const char *item = json_string_value(json_object_get(it, "item"));
			const char *stt = json_string_value(json_object_get(it, "status"));
			const char *det = json_string_value(json_object_get(it, "detail"));
			if (item && strcmp(item, "clone3") == 0 && stt &&
			    strcmp(stt, "skipped") == 0 && det && strstr(det, "CLONE_NEWUSER"))
				found++;
		}
		/* and what it says is so: clone3 is not ENOSYS (EFAULT here) */
		errno = 0;
		if (syscall(SYS_clone3, NULL, 0) >= 0 || errno == ENOSYS)
			_exit(101);
		_exit(found == 1 ? 0 : 102);
	}
	waitpid(pid, &st, 0);
	CU_ASSERT(WIFEXITED(st));
	CU_ASSERT_EQUAL(WEXITSTATUS(st), 0);
	profile_free(&p);
}

/* platform-strict's socket allowlist, expanded into deny rules: the count
 * and the content, with the kernel's 32-bit reading of the arguments. */
static void test_socket_allowlist_expansion(void)
{
	struct profile p;
	static struct sc_rule rules[SECCOMP_MAX_BUILT_RULES];
	struct perr e;
	int n, fam = 0, inet = 0, nl = 0, fam_gt = 0, type4 = 0, prot4 = 0, prot_gt4 = 0;

	CU_ASSERT_EQUAL_FATAL(load("platform-strict", &p), 0);
	CU_ASSERT_TRUE(p.sc.socket_allow_set);
	CU_ASSERT_EQUAL(p.sc.nsocket_allow, 4);
	n = seccomp_expand_socket_allow(&p.sc, rules, SECCOMP_MAX_BUILT_RULES, &e);
	/* 46 families below the limit, 4 allowed: 42 + the 64-bit gt; per inet
	 * family 15 other types + protocols 1..5 + gt 6; netlink: gt 0. */
	CU_ASSERT_EQUAL(n, 42 + 1 + 2 * (15 + 5 + 1) + 1);
	for (int i = 0; i < n; i++) {
		const struct sc_rule *r = &rules[i];
		CU_ASSERT_STRING_EQUAL(r->syscall, "socket");
		CU_ASSERT_EQUAL(r->action, SC_ERRNO);
		CU_ASSERT_EQUAL(r->errno_value, EPERM);
		CU_ASSERT(r->from_allowlist != 0);
		if (r->from_allowlist == SC_FROM_FAMILIES) {
			CU_ASSERT_EQUAL(r->nargs, 1);
			if (r->args[0].op == SC_OP_GT) {
				/* everything above the known families, junk upper
				 * bits included: a 64-bit compare */
				CU_ASSERT_EQUAL(r->args[0].width, 64);
				CU_ASSERT_EQUAL(r->args[0].value, SECCOMP_AF_LIMIT - 1);
				fam_gt++;
			} else {
				CU_ASSERT_EQUAL(r->args[0].op, SC_OP_EQ);
				CU_ASSERT_EQUAL(r->args[0].width, 32);
				CU_ASSERT(
				    r->args[0].value != AF_UNIX && r->args[0].value != AF_INET &&
				    r->args[0].value != AF_INET6 && r->args[0].value != AF_NETLINK);
				fam++;
			}
			continue;
		}
		/* within a family: arg0 == family on 32 bits, then type or protocol */
		CU_ASSERT_EQUAL(r->nargs, 2);
		CU_ASSERT_EQUAL(r->args[0].op, SC_OP_EQ);
		CU_ASSERT_EQUAL(r->args[0].width, 32);
		if (r->args[0].value == AF_NETLINK) {
			CU_ASSERT_EQUAL(r->args[1].op, SC_OP_GT);
			CU_ASSERT_EQUAL(r->args[1].value, 0);
			nl++;
			continue;
		}
		inet++;
		if (r->args[0].value != AF_INET)
			continue;
		if (r->args[1].index == 1) {
			CU_ASSERT_EQUAL(r->args[1].op, SC_OP_MASKED_EQ);
			CU_ASSERT_EQUAL(r->args[1].mask, 0xf);
			CU_ASSERT(r->args[1].value != SOCK_STREAM && r->args[1].value <= 0xf);
			type4++;
		} else if (r->args[1].op == SC_OP_GT) {
			CU_ASSERT_EQUAL(r->args[1].index, 2);
			CU_ASSERT_EQUAL(r->args[1].value, IPPROTO_TCP);
			CU_ASSERT_EQUAL(r->args[1].width, 64);
			prot_gt4++;
		} else {
			CU_ASSERT_EQUAL(r->args[1].index, 2);
			CU_ASSERT_EQUAL(r->args[1].width, 32);
			CU_ASSERT(r->args[1].value >= 1 && r->args[1].value < IPPROTO_TCP);
			prot4++;
		}
	}
	CU_ASSERT_EQUAL(fam, 42);
	CU_ASSERT_EQUAL(fam_gt, 1);
	CU_ASSERT_EQUAL(inet, 42);
	CU_ASSERT_EQUAL(nl, 1);
	CU_ASSERT_EQUAL(type4, 15);
	CU_ASSERT_EQUAL(prot4, 5);
	CU_ASSERT_EQUAL(prot_gt4, 1);
	/* base + allowlist + profile rules, in that order */
	CU_ASSERT_EQUAL(seccomp_build_rules(&p.sc, rules, SECCOMP_MAX_BUILT_RULES, &e),
			(int)seccomp_base_rules_count + n + (int)p.sc.nrules);
	/* a protocol list that would take too many deny rules is refused */
	p.sc.socket_allow[1].protocols[1] = 262; /* IPPROTO_MPTCP */
	CU_ASSERT_EQUAL(seccomp_check_profile(&p.sc, "p.json", &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "deny rules"));
	profile_free(&p);
}

static void test_socket_allowlist_parse_errors(void)
{
	struct profile p;
	struct perr e;
	const char *base = "{\"name\":\"x\",\"network\":{\"mode\":\"host\",\"proxy\":"
			   "\"127.0.0.1:3128\"},\"seccomp\":{\"socket_allow\":%s}}";
	const char *bad[] = {"[]",
			     "[{\"type\":1}]",
			     "[{\"family\":\"AF_NOPE\"}]",
			     "[{\"family\":2,\"type\":16}]",
			     "[{\"family\":2},{\"family\":2}]",
			     "[{\"family\":2,\"protocol\":[]}]",
			     "[{\"family\":2,\"x\":1}]"};
	char text[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), base, bad[i]);
		CU_ASSERT_EQUAL(profile_parse(text, "t.json", &p, &e), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "socket_allow"));
	}
}

/* The strict filter in a child (its notify part left out: no supervisor
 * here): the allowlist, TFO, SO_PASSCRED, F_SETOWN, socketpair, sendmmsg, and foreign
 * architectures answered EPERM instead of a kill. */
static void test_strict_filter_behaviour(void)
{
	struct profile p;
	pid_t pid;
	int st;

	CU_ASSERT_EQUAL_FATAL(load("platform-strict", &p), 0);
	p.sc.notify.enabled = false;
	pid = fork();
	if (pid == 0) {
		struct rep_sink rs = {.report = NULL, .fd = -1};
		int fail = 0, sv[2], t;
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (seccomp_apply(&p.sc, -1, &rs) < 0)
			_exit(100);
		EXPECT_ERR(socket(AF_INET, SOCK_DGRAM, 0), EPERM);
		EXPECT_ERR(socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDPLITE), EPERM);
		EXPECT_ERR(socket(AF_INET, SOCK_RAW, IPPROTO_UDP), EPERM);
		EXPECT_ERR(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), EPERM);
		EXPECT_ERR(socket(AF_INET, SOCK_STREAM, 262 /* MPTCP */), EPERM);
		EXPECT_ERR(socket(AF_INET6, SOCK_STREAM, 262), EPERM);
		EXPECT_ERR(socket(AF_INET, SOCK_STREAM, 256 /* SMC */), EPERM);
		EXPECT_ERR(socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP), EPERM);
		EXPECT_ERR(socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP), EPERM);
		EXPECT_ERR(socket(43 /* AF_SMC */, SOCK_STREAM, 0), EPERM);
		EXPECT_ERR(socket(AF_PACKET, SOCK_RAW, 0), EPERM);
		EXPECT_ERR(socket(AF_NETLINK, SOCK_RAW, 12), EPERM);
		EXPECT_ERR(socket(AF_ALG, SOCK_SEQPACKET, 0), EPERM);
		EXPECT_ERR(syscall(SYS_socket, 0x100000000L | AF_PACKET, SOCK_RAW, 0), EPERM);
		EXPECT_ERR(syscall(SYS_socket, AF_INET, 0x100000000L | SOCK_DGRAM, 0), EPERM);
		EXPECT_ERR(syscall(SYS_socket, AF_INET, SOCK_STREAM, 0x100000000L | 262), EPERM);
		/* junk above a protocol the kernel reads as 0: denied (stricter) */
		EXPECT_ERR(syscall(SYS_socket, AF_INET, SOCK_STREAM, 0x100000000L), EPERM);
		EXPECT_ERR(socketpair(AF_INET, SOCK_STREAM, 0, sv), EPERM);
		EXPECT_ERR(sendto(0, "x", 1, MSG_FASTOPEN, NULL, 0), EPERM);
		EXPECT_ERR(syscall(SYS_sendmsg, 0, NULL, MSG_FASTOPEN), EPERM);
		EXPECT_ERR(syscall(SYS_sendmmsg, 0, NULL, 0, 0), EPERM);
		t = 1;
		EXPECT_ERR(setsockopt(0, IPPROTO_TCP, 30 /* TCP_FASTOPEN_CONNECT */, &t, sizeof(t)),
			   EPERM);
		/* With either, a unix connect or send autobinds an abstract name
		 * that outside peers can reach (strict refuses abstract binds). */
		EXPECT_ERR(setsockopt(0, SOL_SOCKET, SO_PASSCRED, &t, sizeof(t)), EPERM);
		EXPECT_ERR(setsockopt(0, SOL_SOCKET, 76 /* SO_PASSPIDFD */, &t, sizeof(t)), EPERM);
		EXPECT_ERR(fcntl(0, F_SETOWN, 1), EPERM);
		EXPECT_ERR(fcntl(0, 15 /* F_SETOWN_EX */, NULL), EPERM);
		EXPECT_ERR(ioctl(0, 0x8901 /* FIOSETOWN */, &t), EPERM);
		EXPECT_ERR(ioctl(0, 0x8902 /* SIOCSPGRP */, &t), EPERM);
		/* x32 numbers and the i386 entry point: EPERM, not SIGSYS */
		EXPECT_ERR(syscall(0x40000000L | SYS_getpid), EPERM);
		{
			long ret;
			__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
			if (ret != -EPERM) {
				fprintf(stderr, "int80 getpid -> %ld\n", ret);
				fail++;
			}
		}
		{
			int a = socket(AF_INET, SOCK_STREAM, 0);
			int b = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				       IPPROTO_TCP);
			int c = socket(AF_UNIX, SOCK_DGRAM, 0);
			int d = socket(AF_NETLINK, SOCK_RAW, 0);
			int s2 = socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
			/* the kernel reads the int: SOCK_STREAM with junk above */
			int f = (int)syscall(SYS_socket, AF_INET, 0x100000000L | SOCK_STREAM, 0);
			if (a < 0 || b < 0 || c < 0 || d < 0 || s2 < 0 || f < 0) {
				fprintf(stderr, "allowed sockets: %d %d %d %d %d %d\n", a, b, c, d,
					s2, f);
				fail++;
			}
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
	UNIT_TEST(test_clone3_off_is_said);
	UNIT_TEST(test_socket_allowlist_expansion);
	UNIT_TEST(test_socket_allowlist_parse_errors);
	UNIT_TEST(test_strict_filter_behaviour);
}
