/* notify_strict: platform-strict's decisions (addresses, listen, signals)
 * as pure functions, then the whole strict mediation in a child (no root:
 * NNP is enough; no Landlock here, so the workers carry cwd and umask). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "notify.h"
#include "notify_strict.h"
#include "profile.h"
#include "report.h"
#include "seccomp_layer.h"
#include "mediated.h"
#include "unit.h"

static int load(const char *name, struct profile *p)
{
	struct perr e;
	char path[4096];
	snprintf(path, sizeof(path), "%s/enforcer/profiles/%s.json", PARITY_SOURCE_ROOT, name);
	return profile_load(path, p, &e);
}

static void proxy_only(struct notify_allowlist *al)
{
	struct perr e;
	struct netaddr a;
	netaddr_parse("127.0.0.1", &a);
	notify_allowlist_init(al, true);
	notify_allowlist_add(al, &a, 3128, "proxy", &e);
	notify_allowlist_freeze(al);
}

static socklen_t in4(struct sockaddr_storage *ss, const char *ip, int port)
{
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &a->sin_addr);
	return sizeof(*a);
}

static socklen_t un(struct sockaddr_storage *ss, const char *path, size_t n)
{
	struct sockaddr_un *a = (struct sockaddr_un *)ss;
	memset(ss, 0, sizeof(*ss));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path, path, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

static void test_address_decisions(void)
{
	struct notify_allowlist al;
	struct sockaddr_storage ss;
	enum notify_strict_route r;
	const char *why = NULL;
	socklen_t l;

	proxy_only(&al);
	/* IP: only the proxy's address:port, never a bind. */
	l = in4(&ss, "127.0.0.1", 3128);
	CU_ASSERT_EQUAL(notify_strict_address(&ss, l, NS_OP_CONNECT, &al, &r, &why), 0);
	CU_ASSERT_EQUAL(r, NS_ROUTE_INLINE);
	CU_ASSERT_EQUAL(notify_strict_address(&ss, l, NS_OP_SEND, &al, &r, &why), 0);
	CU_ASSERT_EQUAL(notify_strict_address(&ss, l, NS_OP_BIND, &al, &r, &why), EPERM);
	l = in4(&ss, "127.0.0.1", 8081); /* loopback, another port (N06.loopback) */
	CU_ASSERT_EQUAL(notify_strict_address(&ss, l, NS_OP_CONNECT, &al, &r, &why), EPERM);
	l = in4(&ss, "198.51.100.10", 3128); /* the proxy's port elsewhere (T04) */
	CU_ASSERT_EQUAL(notify_strict_address(&ss, l, NS_OP_CONNECT, &al, &r, &why), EPERM);
	CU_ASSERT_EQUAL(notify_strict_address(&ss, l - 1, NS_OP_CONNECT, &al, &r, &why), EPERM);
	/* AF_UNIX: pathnames go to the domain workers; abstract and unnamed
	 * never. */
	l = un(&ss, "/tmp/x.sock", 11);
	CU_ASSERT_EQUAL(notify_strict_address(&ss, l, NS_OP_CONNECT, &al, &r, &why), 0);
	CU_ASSERT_EQUAL(r, NS_ROUTE_DOMAIN);
	CU_ASSERT_EQUAL(notify_strict_address(&ss, l, NS_OP_BIND, &al, &r, &why), 0);
	CU_ASSERT_EQUAL(r, NS_ROUTE_DOMAIN);
	l = un(&ss, "rel.sock", 8);
	CU_ASSERT_EQUAL(notify_strict_address(&ss, l, NS_OP_SEND, &al, &r, &why), 0);
	CU_ASSERT_EQUAL(r, NS_ROUTE_DOMAIN);
	l = un(&ss, "\0name", 5);
	CU_ASSERT_EQUAL(notify_strict_address(&ss, l, NS_OP_CONNECT, &al, &r, &why), EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "abstract"));
	CU_ASSERT_EQUAL(notify_strict_address(&ss, l, NS_OP_BIND, &al, &r, &why), EPERM);
	CU_ASSERT_EQUAL(notify_strict_address(&ss, l, NS_OP_SEND, &al, &r, &why), EPERM);
	l = un(&ss, "", 0); /* autobind */
	CU_ASSERT_EQUAL(notify_strict_address(&ss, l, NS_OP_BIND, &al, &r, &why), EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "unnamed"));
	/* netlink: the kernel only. */
	{
		struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, &nl, sizeof(nl));
		CU_ASSERT_EQUAL(notify_strict_address(&ss, sizeof(nl), NS_OP_BIND, &al, &r, &why),
				0);
		CU_ASSERT_EQUAL(r, NS_ROUTE_INLINE);
		nl.nl_pid = 4242;
		memcpy(&ss, &nl, sizeof(nl));
		CU_ASSERT_EQUAL(notify_strict_address(&ss, sizeof(nl), NS_OP_SEND, &al, &r, &why),
				EPERM);
		nl.nl_pid = 0;
		nl.nl_groups = 1;
		memcpy(&ss, &nl, sizeof(nl));
		CU_ASSERT_EQUAL(notify_strict_address(&ss, sizeof(nl), NS_OP_BIND, &al, &r, &why),
				EPERM);
	}
	/* AF_UNSPEC (T15's disconnect) and anything else. */
	memset(&ss, 0, sizeof(ss));
	CU_ASSERT_EQUAL(notify_strict_address(&ss, 16, NS_OP_CONNECT, &al, &r, &why), EPERM);
	ss.ss_family = AF_PACKET;
	CU_ASSERT_EQUAL(notify_strict_address(&ss, 20, NS_OP_SEND, &al, &r, &why), EPERM);
	CU_ASSERT_EQUAL(notify_strict_address(&ss, 1, NS_OP_SEND, &al, &r, &why), EPERM);
}

static void test_listen_decisions(void)
{
	char dir[] = "/tmp/parity-unit-strict-XXXXXX", path[128];
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct sockaddr_in in = {.sin_family = AF_INET};
	const char *why = NULL;
	int u = socket(AF_UNIX, SOCK_STREAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
	int ab = socket(AF_UNIX, SOCK_STREAM, 0), p = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	/* unbound unix: listen would autobind an abstract name */
	CU_ASSERT_EQUAL(notify_strict_listen(u, &why), EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "unbound"));
	/* TCP, bound or not */
	CU_ASSERT_EQUAL(notify_strict_listen(t, &why), EPERM);
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_EQUAL(bind(t, (struct sockaddr *)&in, sizeof(in)), 0);
	CU_ASSERT_EQUAL(notify_strict_listen(t, &why), EPERM);
	/* abstract */
	memcpy(a.sun_path, "\0parity-unit-strict", 19);
	CU_ASSERT_EQUAL(
	    bind(ab, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 19), 0);
	CU_ASSERT_EQUAL(notify_strict_listen(ab, &why), EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "abstract"));
	/* a pathname: stream and seqpacket */
	snprintf(path, sizeof(path), "%s/s", dir);
	memset(a.sun_path, 0, sizeof(a.sun_path));
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	CU_ASSERT_EQUAL(bind(p, (struct sockaddr *)&a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(notify_strict_listen(p, &why), 0);
	unlink(path);
	rmdir(dir);
	close(u);
	close(t);
	close(ab);
	close(p);
}

/* A fake procfs: 10 (the agent) -> 50 -> 100 (threads 100, 101); 200 is
 * the supervisor side (PPid 1); 300 is a thread of 200. */
static void fake_proc(char *dir)
{
	static const struct {
		int pid, tgid, ppid;
	} t[] = {{10, 10, 2},	{50, 50, 10},  {100, 100, 50}, {101, 100, 50},
		 {200, 200, 1}, {300, 200, 1}, {2, 2, 1},      {1, 1, 0}};
	char p[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		FILE *f;
		snprintf(p, sizeof(p), "%s/%d", dir, t[i].pid);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/%d/status", dir, t[i].pid);
		f = fopen(p, "w");
		fprintf(f, "Name:\tx\nUmask:\t0027\nState:\tS\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\n",
			t[i].tgid, t[i].pid, t[i].ppid);
		fclose(f);
	}
}

static int sig(const struct notify_strict_tree *t, enum notify_strict_sig k, long a0, long a1)
{
	uint64_t args[6] = {(uint64_t)a0, (uint64_t)a1, 0, 0, 0, 0};
	const char *why = NULL;
	return notify_strict_signal(t, k, args, &why);
}

static void test_signal_decisions(void)
{
	char dir[] = "/tmp/parity-unit-proc-XXXXXX", cmd[128];
	struct notify_strict_tree t = {.root = 10, .proc = dir};

	fake_proc(dir);
	CU_ASSERT_EQUAL(notify_strict_status_field(dir, 10, "Umask", 8), 027);
	CU_ASSERT_EQUAL(notify_strict_status_field(dir, 101, "Tgid", 10), 100);
	CU_ASSERT_EQUAL(notify_strict_status_field(dir, 999, "Tgid", 10), -1);
	CU_ASSERT_TRUE(notify_strict_in_tree(&t, 10));
	CU_ASSERT_TRUE(notify_strict_in_tree(&t, 100));
	CU_ASSERT_TRUE(notify_strict_in_tree(&t, 101));
	CU_ASSERT_FALSE(notify_strict_in_tree(&t, 200));
	CU_ASSERT_FALSE(notify_strict_in_tree(&t, 300));
	CU_ASSERT_FALSE(notify_strict_in_tree(&t, 2)); /* the agent's parent */
	CU_ASSERT_FALSE(notify_strict_in_tree(&t, 999));
	/* kill */
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_KILL, 100, SIGTERM), 0);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_KILL, 101, SIGTERM), 0);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_KILL, 200, SIGTERM), EPERM);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_KILL, 2, SIGTERM), EPERM);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_KILL, 0, SIGWINCH), 0);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_KILL, -1, SIGUSR1), EPERM);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_KILL, -50, SIGTERM), 0);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_KILL, -200, SIGTERM), EPERM);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_KILL, -999, SIGTERM), EPERM);
	/* The kernel reads an int: junk in the upper half changes nothing. */
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_KILL, (long)0x100000000L | 200, SIGTERM), EPERM);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_KILL, (long)0xffffffffL, SIGUSR1), EPERM); /* -1 */
	/* the thread-directed and queueing entry points */
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_TKILL, 101, SIGTERM), 0);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_TKILL, 300, SIGTERM), EPERM);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_TGKILL, 100, 101), 0);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_TGKILL, 200, 300), EPERM);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_QUEUE, 50, SIGUSR1), 0);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_QUEUE, 200, SIGUSR1), EPERM);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_TGQUEUE, 200, 200), EPERM);
	CU_ASSERT_EQUAL(sig(&t, NS_SIG_TGKILL, 0, 0), 0); /* the kernel's EINVAL */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
}

static void test_profile_checks(void)
{
	struct profile p;
	struct perr e;

	CU_ASSERT_EQUAL_FATAL(load("platform-strict", &p), 0);
	CU_ASSERT_EQUAL(p.sc.notify.policy, NOTIFY_POLICY_STRICT);
	CU_ASSERT_TRUE(p.sc.notify.port_check);
	CU_ASSERT_FALSE(p.sc.notify.allow_loopback);
	CU_ASSERT_TRUE(p.sc.notify.sendto_addressed_only);
	CU_ASSERT_EQUAL(seccomp_check_profile(&p.sc, "p.json", &e), 0);
	/* listen and the signals need the strict policy */
	p.sc.notify.policy = NOTIFY_POLICY_FOLLOW_UP;
	CU_ASSERT_EQUAL(seccomp_check_profile(&p.sc, "p.json", &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "strict"));
	/* the strict policy pins address:port */
	p.sc.notify.policy = NOTIFY_POLICY_STRICT;
	p.sc.notify.port_check = false;
	CU_ASSERT_EQUAL(seccomp_check_profile(&p.sc, "p.json", &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "port_check"));
	profile_free(&p);
}

/* ---- the strict mediation in a child ---- */

#define EXPECT(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "child line %d: %s (errno %d)\n", __LINE__, #cond, errno); \
			fails++;                                                                   \
		}                                                                                  \
	} while (0)

/* A listener outside the child's reach (its directory): where a host
 * daemon's socket would be. */
#define OUTSIDE_SOCK "/tmp/parity-unit-outside.sock"

static void child_body(const struct profile_notify *n, int sock, uint16_t lport, void *arg)
{
	const char *dir = arg;
	struct rep_sink rs = {.report = NULL, .fd = -1};
	struct sockaddr_storage ss;
	socklen_t l;
	int fails = 0, s, c, st;
	pid_t kid;
	struct stat sb;

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (notify_install(n, sock, &rs) < 0)
		_exit(100);
	/* signals: the parent (outside the tree) no, our own child yes */
	EXPECT(kill(getppid(), 0) < 0 && errno == EPERM);
	EXPECT(kill(-1, 0) < 0 && errno == EPERM);
	kid = fork();
	if (kid == 0) {
		pause();
		_exit(0);
	}
	EXPECT(kill(kid, SIGTERM) == 0);
	waitpid(kid, &st, 0);
	EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	EXPECT(kill(0, 0) == 0);
	/* IP: no bind, no listen, only the pinned address:port */
	s = socket(AF_INET, SOCK_STREAM, 0);
	l = in4(&ss, "127.0.0.1", 0);
	EXPECT(bind(s, (struct sockaddr *)&ss, l) < 0 && errno == EPERM);
	EXPECT(listen(s, 1) < 0 && errno == EPERM);
	l = in4(&ss, "127.0.0.1", lport);
	EXPECT(connect(s, (struct sockaddr *)&ss, l) < 0 && errno == EPERM);
	close(s);
	/* unix: abstract and unbound listeners no; a relative pathname, from
	 * our cwd and with our umask, yes */
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT(listen(s, 1) < 0 && errno == EPERM);
	l = un(&ss, "\0parity-unit-abs", 16);
	EXPECT(bind(s, (struct sockaddr *)&ss, l) < 0 && errno == EPERM);
	EXPECT(chdir(dir) == 0);
	umask(077);
	l = un(&ss, "srv.sock", 9);
	EXPECT(bind(s, (struct sockaddr *)&ss, l) == 0);
	EXPECT(stat("srv.sock", &sb) == 0 && (sb.st_mode & 0777) == 0700);
	EXPECT(listen(s, 4) == 0);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT(connect(c, (struct sockaddr *)&ss, l) == 0);
	EXPECT(write(c, "x", 1) == 1);
	if (fails == 0) {
		int a = accept(s, NULL, NULL);
		char b = 0;
		EXPECT(a >= 0 && read(a, &b, 1) == 1 && b == 'x');
		close(a);
	}
	close(c);
	/* a socket outside the reach (the read-write paths): refused as
	 * Landlock's RESOLVE_UNIX refuses it, by its path, through a symlink
	 * in the reach, and as a datagram's destination (attack A08) */
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	l = un(&ss, OUTSIDE_SOCK, sizeof(OUTSIDE_SOCK));
	EXPECT(connect(c, (struct sockaddr *)&ss, l) < 0 && errno == EACCES);
	EXPECT(symlink(OUTSIDE_SOCK, "link.sock") == 0);
	l = un(&ss, "link.sock", 10);
	EXPECT(connect(c, (struct sockaddr *)&ss, l) < 0 && errno == EACCES);
	close(c);
	c = socket(AF_UNIX, SOCK_DGRAM, 0);
	l = un(&ss, OUTSIDE_SOCK, sizeof(OUTSIDE_SOCK));
	EXPECT(sendto(c, "x", 1, 0, (struct sockaddr *)&ss, l) < 0 && errno == EACCES);
	close(c);
	/* a name on a stream socket's send is never resolved: the kernel's
	 * EOPNOTSUPP, not the reach's EACCES */
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT(sendto(c, "x", 1, 0, (struct sockaddr *)&ss, l) < 0 && errno == EOPNOTSUPP);
	close(c);
	/* an address longer than sockaddr_un (up to the 128 bytes of a
	 * sockaddr_storage): the kernel's EINVAL, and nothing copied past
	 * sun_path in the worker (ASan build) */
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&ss, 'A', sizeof(ss));
	ss.ss_family = AF_UNIX;
	EXPECT(connect(c, (struct sockaddr *)&ss, sizeof(ss)) < 0 && errno == EINVAL);
	close(c);
	unlink("link.sock");
	unlink("srv.sock");
	_exit(fails);
}

static void test_strict_mediation_in_a_child(void)
{
	struct mediated m;
	struct notify_stats st;
	char dir[] = "/tmp/parity-unit-med-XXXXXX";
	const char *reach[] = {dir};
	struct sockaddr_un out = {.sun_family = AF_UNIX, .sun_path = OUTSIDE_SOCK};
	int status, outside;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	unlink(OUTSIDE_SOCK);
	outside = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(outside >= 0 && bind(outside, (struct sockaddr *)&out, sizeof(out)) == 0 &&
			listen(outside, 4) == 0 && chmod(OUTSIDE_SOCK, 0666) == 0);
	CU_ASSERT_EQUAL_FATAL(mediated_start(&m, "platform-strict", true, child_body, dir), 0);
	notify_supervisor_set_strict(m.ns, m.pid, -1, false);
	CU_ASSERT_EQUAL(notify_supervisor_set_unix_reach(m.ns, reach, 1), 1);
	status = mediated_run(&m, &st);
	CU_ASSERT_TRUE(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
	CU_ASSERT(st.denied >= 7);
	CU_ASSERT(st.continued >= 2); /* kill(kid), kill(0) */
	CU_ASSERT(st.allowed >= 3);   /* bind, listen, connect */
	CU_ASSERT_STRING_EQUAL(notify_reason_name(9), "strict: listen");
	CU_ASSERT(st.by_reason[9] >= 2);
	mediated_free(&m);
	close(outside);
	unlink(OUTSIDE_SOCK);
	rmdir(dir);
}

void unit_register(void)
{
	UNIT_SUITE("notify_strict");
	UNIT_TEST(test_address_decisions);
	UNIT_TEST(test_listen_decisions);
	UNIT_TEST(test_signal_decisions);
	UNIT_TEST(test_profile_checks);
	UNIT_TEST(test_strict_mediation_in_a_child);
}
