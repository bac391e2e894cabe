/* notify: the follow-up's allowlist (IP-only, frozen, names resolved once),
 * sockaddr parsing, the filter's rule set, and the whole mediation in a
 * child (no root: NNP is enough, and a same-uid parent may read a dumpable
 * child's memory and take its fds). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/userfaultfd.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_dns.h"
#include "mediated.h"
#include "notify.h"
#include "policy.h"
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

static struct netaddr ip(const char *s)
{
	struct netaddr a;
	CU_ASSERT_EQUAL(netaddr_parse(s, &a), 0);
	return a;
}

/* ---- allowlist ---- */

static void test_allowlist_ip_only(void)
{
	struct notify_allowlist al;
	struct perr e;
	struct netaddr a;

	notify_allowlist_init(&al, false);
	a = ip("127.0.0.1");
	CU_ASSERT_EQUAL(notify_allowlist_add(&al, &a, 3128, "proxy", &e), 0);
	a = ip("::1");
	CU_ASSERT_EQUAL(notify_allowlist_add(&al, &a, 3128, "loopback", &e), 0);
	a = ip("203.0.113.80");
	CU_ASSERT_EQUAL(notify_allowlist_add(&al, &a, 443, "allowed.test", &e), 0);
	/* A second port of the same address adds nothing: a set of IPs. */
	CU_ASSERT_EQUAL(notify_allowlist_add(&al, &a, 80, "allowed.test", &e), 0);
	CU_ASSERT_EQUAL(al.n, 3);
	notify_allowlist_freeze(&al);

	/* The follow-up's is_allowed(ip): any port of a pinned address. */
	a = ip("127.0.0.1");
	CU_ASSERT_TRUE(notify_allowlist_allows(&al, &a, 3128));
	CU_ASSERT_TRUE(notify_allowlist_allows(&al, &a, 22));
	a = ip("203.0.113.80");
	CU_ASSERT_TRUE(notify_allowlist_allows(&al, &a, 8080));
	a = ip("::1");
	CU_ASSERT_TRUE(notify_allowlist_allows(&al, &a, 1));
	/* Not pinned. */
	a = ip("198.51.100.10");
	CU_ASSERT_FALSE(notify_allowlist_allows(&al, &a, 3128));
	a = ip("127.0.0.2");
	CU_ASSERT_FALSE(notify_allowlist_allows(&al, &a, 3128));
	a = ip("0.0.0.0");
	CU_ASSERT_FALSE(notify_allowlist_allows(&al, &a, 3128));
	a = ip("203.0.113.81");
	CU_ASSERT_FALSE(notify_allowlist_allows(&al, &a, 443));
	/* An IPv4-mapped address is an IPv6 address (IpAddr::V6 != V4). */
	a = ip("::ffff:127.0.0.1");
	CU_ASSERT_FALSE(notify_allowlist_allows(&al, &a, 3128));
	/* Frozen: resolved once, nothing added later (DNS rebinding). */
	a = ip("198.51.100.10");
	CU_ASSERT_EQUAL(notify_allowlist_add(&al, &a, 443, "late", &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "frozen"));
	CU_ASSERT_FALSE(notify_allowlist_allows(&al, &a, 443));
}

static void test_allowlist_port_check_and_limits(void)
{
	struct notify_allowlist al;
	struct perr e;
	struct netaddr a = ip("203.0.113.80");

	notify_allowlist_init(&al, true);
	CU_ASSERT_EQUAL(notify_allowlist_add(&al, &a, 443, "allowed.test", &e), 0);
	CU_ASSERT_EQUAL(notify_allowlist_add(&al, &a, 8443, "allowed.test", &e), 0);
	CU_ASSERT_EQUAL(al.n, 2);
	CU_ASSERT_TRUE(notify_allowlist_allows(&al, &a, 443));
	CU_ASSERT_TRUE(notify_allowlist_allows(&al, &a, 8443));
	CU_ASSERT_FALSE(notify_allowlist_allows(&al, &a, 80));

	notify_allowlist_init(&al, false);
	for (int i = 0; i < NOTIFY_MAX_PINS; i++) {
		char s[32];
		snprintf(s, sizeof(s), "10.0.%d.%d", i / 200, i % 200 + 1);
		a = ip(s);
		CU_ASSERT_EQUAL(notify_allowlist_add(&al, &a, 0, "x", &e), 0);
	}
	a = ip("10.9.9.9");
	CU_ASSERT_EQUAL(notify_allowlist_add(&al, &a, 0, "x", &e), -1);
}

static json_t *find_entry(json_t *rep, const char *item_prefix)
{
	json_t *entries = json_object_get(rep, "entries"), *en;
	size_t i;
	json_array_foreach (entries, i, en) {
		const char *item = json_string_value(json_object_get(en, "item"));
		if (item && strncmp(item, item_prefix, strlen(item_prefix)) == 0)
			return en;
	}
	return NULL;
}

static const char *status_of(json_t *rep, const char *item_prefix)
{
	json_t *en = find_entry(rep, item_prefix);
	return en ? json_string_value(json_object_get(en, "status")) : "absent";
}

/* The policy's names, resolved once through its resolver, before anything
 * runs; what cannot be pinned is reported, never silently dropped. */
static void test_allowlist_build_resolves_once(void)
{
	struct fake_dns *d = fake_dns_start("127.0.0.1", 0);
	struct profile p;
	struct policy pol;
	struct notify_allowlist al;
	struct enf_report *rep = report_new("platform-notify", "x");
	struct rep_sink rs = {.report = rep, .fd = -1};
	struct perr e;
	char text[1024], logbuf[8192];
	int lp[2];
	ssize_t n;
	json_t *j;
	struct netaddr a;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	fake_dns_add(d, "allowed.test", "203.0.113.80");
	fake_dns_add(d, "allowed.test", "2001:db8::80");
	CU_ASSERT_EQUAL_FATAL(load("platform-notify", &p), 0);
	snprintf(text, sizeof(text),
		 "{\"version\":1,\"resolver\":\"127.0.0.1:%u\",\"allow\":["
		 "{\"host\":\"allowed.test\",\"ports\":[443]},"
		 "{\"host\":\"*.wild.test\",\"ports\":[443]},"
		 "{\"host\":\"198.51.100.7\",\"ports\":[443]},"
		 "{\"ports\":[443],\"allowed_ips\":[\"203.0.113.0/24\"]},"
		 "{\"host\":\"nx.test\",\"ports\":[443]}]}",
		 fake_dns_port(d));
	CU_ASSERT_EQUAL_FATAL(policy_parse(text, "p.json", &pol, &e), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(lp), 0);
	CU_ASSERT_EQUAL(notify_allowlist_build(&p, &pol, lp[1], &al, &rs, &e), 0);
	close(lp[1]);
	n = read(lp[0], logbuf, sizeof(logbuf) - 1);
	logbuf[n > 0 ? n : 0] = 0;
	close(lp[0]);

	CU_ASSERT_TRUE(al.frozen);
	CU_ASSERT_FALSE(al.port_check);
	a = ip("127.0.0.1");
	CU_ASSERT_TRUE(notify_allowlist_allows(&al, &a, 3128));
	a = ip("::1");
	CU_ASSERT_TRUE(notify_allowlist_allows(&al, &a, 3128));
	a = ip("203.0.113.80");
	CU_ASSERT_TRUE(notify_allowlist_allows(&al, &a, 443));
	CU_ASSERT_TRUE(notify_allowlist_allows(&al, &a, 80)); /* IP-only */
	a = ip("2001:db8::80");
	CU_ASSERT_TRUE(notify_allowlist_allows(&al, &a, 443));
	a = ip("198.51.100.7");
	CU_ASSERT_TRUE(notify_allowlist_allows(&al, &a, 443));
	/* The CIDR rule pins nothing: 203.0.113.81 is in it, not pinned. */
	a = ip("203.0.113.81");
	CU_ASSERT_FALSE(notify_allowlist_allows(&al, &a, 443));
	CU_ASSERT_EQUAL(al.n, 5);
	/* Asked once each (A and AAAA); the wildcard never. */
	CU_ASSERT_EQUAL(fake_dns_count(d, "allowed.test"), 2);
	CU_ASSERT_EQUAL(fake_dns_count(d, "wild.test"), 0);
	/* Every query is in the log with its 5-tuple, for the lab's capture. */
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "\"source\":\"notify-pin\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "\"qname\":\"allowed.test\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "\"local_port\""));

	j = report_json(rep);
	CU_ASSERT_STRING_EQUAL(status_of(j, "allowlist pin 203.0.113.80"), "applied");
	CU_ASSERT_STRING_EQUAL(status_of(j, "allowlist pin 127.0.0.1"), "applied");
	CU_ASSERT_STRING_EQUAL(status_of(j, "policy rule 1 (*.wild.test)"), "skipped");
	CU_ASSERT_STRING_EQUAL(status_of(j, "policy rule 3 (hostless)"), "skipped");
	CU_ASSERT_STRING_EQUAL(status_of(j, "policy rule 4 (nx.test)"), "skipped");
	CU_ASSERT_STRING_EQUAL(status_of(j, "allowlist"), "applied");
	report_free(rep);
	policy_free(&pol);
	profile_free(&p);
	fake_dns_stop(d);
}

/* ---- sockaddr parsing ---- */

static void test_parse_sockaddr(void)
{
	struct notify_sockaddr sa;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(3128)};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6,
				    .sin6_port = htons(443),
				    .sin6_flowinfo = htonl(0x12345),
				    .sin6_scope_id = 7};
	uint8_t raw[sizeof(struct sockaddr_in6)];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	uint16_t swapped;

	inet_pton(AF_INET, "198.51.100.10", &sin.sin_addr);
	CU_ASSERT_EQUAL(notify_parse_sockaddr(&sin, sizeof(sin), &sa), NOTIFY_SA_OK);
	CU_ASSERT_EQUAL(sa.family, AF_INET);
	CU_ASSERT_EQUAL(sa.port, 3128); /* network order in, host order out */
	CU_ASSERT_EQUAL(sa.ip.family, AF_INET);
	CU_ASSERT_EQUAL(memcmp(sa.ip.b, "\xc6\x33\x64\x0a", 4), 0);
	/* Bytes as the child wrote them: port 0x0c38 big-endian. */
	memcpy(raw, &sin, sizeof(sin));
	CU_ASSERT_EQUAL(raw[2], 0x0c);
	CU_ASSERT_EQUAL(raw[3], 0x38);

	inet_pton(AF_INET6, "2001:db8::80", &sin6.sin6_addr);
	CU_ASSERT_EQUAL(notify_parse_sockaddr(&sin6, sizeof(sin6), &sa), NOTIFY_SA_OK);
	CU_ASSERT_EQUAL(sa.family, AF_INET6);
	CU_ASSERT_EQUAL(sa.port, 443);
	CU_ASSERT_EQUAL(sa.flowinfo, 0x12345); /* network order */
	CU_ASSERT_EQUAL(sa.scope_id, 7);       /* native order */
	CU_ASSERT_EQUAL(sa.ip.b[0], 0x20);
	CU_ASSERT_EQUAL(sa.ip.b[15], 0x80);

	/* The family is native order: a big-endian AF_INET is no family. */
	memcpy(raw, &sin, sizeof(sin));
	swapped = htons(AF_INET);
	memcpy(raw, &swapped, 2);
	CU_ASSERT_EQUAL(notify_parse_sockaddr(raw, sizeof(sin), &sa), NOTIFY_SA_FAMILY);

	/* Short buffers: never guessed at. */
	CU_ASSERT_EQUAL(notify_parse_sockaddr(&sin, 0, &sa), NOTIFY_SA_SHORT);
	CU_ASSERT_EQUAL(notify_parse_sockaddr(&sin, 1, &sa), NOTIFY_SA_SHORT);
	CU_ASSERT_EQUAL(notify_parse_sockaddr(&sin, sizeof(sin) - 1, &sa), NOTIFY_SA_SHORT);
	CU_ASSERT_EQUAL(notify_parse_sockaddr(&sin6, 24, &sa), NOTIFY_SA_SHORT);
	CU_ASSERT_EQUAL(notify_parse_sockaddr(&sin6, sizeof(sin6) - 1, &sa), NOTIFY_SA_SHORT);
	/* A longer buffer is fine (the kernel reads what it needs). */
	CU_ASSERT_EQUAL(notify_parse_sockaddr(&sin6, sizeof(sin6), &sa), NOTIFY_SA_OK);

	/* Unknown families: the follow-up's None. */
	CU_ASSERT_EQUAL(notify_parse_sockaddr(&sun, sizeof(sun), &sa), NOTIFY_SA_FAMILY);
	CU_ASSERT_EQUAL(sa.family, AF_UNIX);
	sun.sun_family = AF_UNSPEC;
	CU_ASSERT_EQUAL(notify_parse_sockaddr(&sun, sizeof(sun), &sa), NOTIFY_SA_FAMILY);
	sun.sun_family = AF_NETLINK;
	CU_ASSERT_EQUAL(notify_parse_sockaddr(&sun, 12, &sa), NOTIFY_SA_FAMILY);
}

/* ---- the filter ---- */

static void test_filter_rule_set(void)
{
	struct profile p;
	struct perr e;
	char buf[65536];
	int fds[2];
	ssize_t n;
	const char *want[] = {"\"connect\"",  "\"sendto\"",  "\"sendmsg\"",
			      "\"recvfrom\"", "\"recvmsg\"", "\"bind\""};

	CU_ASSERT_EQUAL_FATAL(load("platform-notify", &p), 0);
	CU_ASSERT_TRUE(p.sc.notify.enabled);
	CU_ASSERT_TRUE(p.sc.notify.check_arch);
	CU_ASSERT_FALSE(p.sc.notify.port_check);
	CU_ASSERT_FALSE(p.id.not_dumpable); /* the explicit choice (docs/notify.md) */
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	CU_ASSERT_EQUAL(notify_export_pfc(&p.sc.notify, fds[1], &e), 0);
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	CU_ASSERT_FATAL(n > 0);
	buf[n] = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, want[i]));
	/* The follow-up's gaps, reproduced. */
	CU_ASSERT_PTR_NULL(strstr(buf, "sendmmsg"));
	CU_ASSERT_PTR_NULL(strstr(buf, "recvmmsg"));
	CU_ASSERT_PTR_NULL(strstr(buf, "accept"));
	CU_ASSERT_PTR_NULL(strstr(buf, "\"socket\""));
	CU_ASSERT_PTR_NULL(strstr(buf, "\"write\""));
	/* Notify is 0x7fc00000; a foreign arch goes there too; x32 numbers
	 * have their own (empty) section, so they fall to ALLOW. */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "action 0x7fc00000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "filter for arch x32"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "# invalid architecture action\naction 0x7fc00000"));
	profile_free(&p);
}

static void test_profile_checks(void)
{
	struct profile p;
	struct perr e;
	bool shipped = false;

	for (size_t i = 0; profile_shipped[i]; i++)
		shipped |= strcmp(profile_shipped[i], "platform-notify") == 0;
	CU_ASSERT_TRUE(shipped);
	CU_ASSERT_EQUAL_FATAL(load("platform-notify", &p), 0);
	CU_ASSERT_EQUAL(seccomp_check_profile(&p.sc, "p.json", &e), 0);
	snprintf(p.sc.notify.syscalls[0], sizeof(p.sc.notify.syscalls[0]), "sendmmsg");
	CU_ASSERT_EQUAL(seccomp_check_profile(&p.sc, "p.json", &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "seccomp.notify.syscalls[0]"));
	snprintf(p.sc.notify.syscalls[0], sizeof(p.sc.notify.syscalls[0]), "connect");
	p.sc.rules[0].action = SC_NOTIFY;
	CU_ASSERT_EQUAL(seccomp_check_profile(&p.sc, "p.json", &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "seccomp.rules[0].action"));
	profile_free(&p);
}

/* ---- the mediation, end to end, in a child ---- */

static int child_fail;
#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "child line %d: ", __LINE__);                              \
			fprintf(stderr, __VA_ARGS__);                                              \
			fprintf(stderr, " (errno %d)\n", errno);                                   \
			child_fail++;                                                              \
		}                                                                                  \
	} while (0)

static void *drain_main(void *arg)
{
	int fd = *(int *)arg;
	static char buf[65536];
	size_t got = 0;
	ssize_t n;
	/* Read only once the sender is surely past the supervisor's
	 * non-blocking try: drained at once, the try could take it all and
	 * leave no worker to prove (seen under load, 1 run in 30). */
	usleep(50000);
	while (got < 256 * 1024 && (n = read(fd, buf, sizeof(buf))) > 0)
		got += (size_t)n;
	return (void *)got;
}

static int send_rights(int sock, int fd)
{
	char byte = 'x';
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return (int)sendmsg(sock, &mh, 0);
}

static int recv_rights(int sock)
{
	char byte;
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	int fd = -1;
	/* MSG_DONTWAIT: a send that failed leaves nothing to wait for. */
	if (recvmsg(sock, &mh, MSG_DONTWAIT) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void child_body(const struct profile_notify *n, int handoff, uint16_t port, void *arg)
{
	(void)arg;
	struct rep_sink rs = {.report = NULL, .fd = -1};
	struct sockaddr_in lo = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct sockaddr_in other = lo, any = {.sin_family = AF_INET};
	struct sockaddr_un un = {.sun_family = AF_UNIX, .sun_path = "/nonexistent/sock"};
	int s, r, sv[2], dg[2], pp[2], devnull;
	struct stat a, b;
	pthread_t th;
	void *got;
	static char big[256 * 1024];

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (notify_install(n, handoff, &rs) < 0)
		_exit(100);
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	other.sin_addr.s_addr = htonl(0x7f000002);

	/* Pinned: performed by the supervisor, blocking and non-blocking. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	r = connect(s, (struct sockaddr *)&lo, sizeof(lo));
	EXPECT(r == 0, "blocking connect to 127.0.0.1:%u", port);
	close(s);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	r = connect(s, (struct sockaddr *)&lo, sizeof(lo));
	EXPECT(r == 0 || errno == EINPROGRESS, "non-blocking connect: 0 or EINPROGRESS");
	close(s);
	/* Not pinned, unknown family, short, not a socket, no such fd. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	r = connect(s, (struct sockaddr *)&other, sizeof(other));
	EXPECT(r < 0 && errno == EPERM, "127.0.0.2 is not pinned: EPERM");
	r = connect(s, (struct sockaddr *)&lo, 8);
	EXPECT(r < 0 && errno == EPERM, "a short sockaddr: EPERM");
	close(s);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	r = connect(s, (struct sockaddr *)&un, sizeof(un));
	EXPECT(r < 0 && errno == EPERM, "AF_UNIX connect: EPERM (family not parsed)");
	close(s);
	devnull = open("/dev/null", O_RDWR);
	r = connect(devnull, (struct sockaddr *)&lo, sizeof(lo));
	EXPECT(r < 0 && errno == ENOTSOCK, "connect on /dev/null: ENOTSOCK");
	r = connect(999, (struct sockaddr *)&lo, sizeof(lo));
	EXPECT(r < 0 && errno == EBADF, "connect on a closed fd: EBADF");
	s = socket(AF_INET, SOCK_STREAM, 0);
	r = connect(s, (struct sockaddr *)(uintptr_t)8, sizeof(lo));
	EXPECT(r < 0 && errno == EFAULT, "an unmapped sockaddr: EFAULT");
	/* Half readable: family and port at the end of a page, the address on
	 * an inaccessible one. The kernel would say EFAULT; a supervisor that
	 * took the short read for the whole would see 0.0.0.0 (EPERM). */
	{
		long pg = sysconf(_SC_PAGESIZE);
		char *two = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (two != MAP_FAILED && mprotect(two + pg, (size_t)pg, PROT_NONE) == 0) {
			struct sockaddr_in *half = (struct sockaddr_in *)(void *)(two + pg - 4);
			memcpy(half, &lo, 4); /* sin_family, sin_port */
			r = connect(s, (struct sockaddr *)half, sizeof(lo));
			EXPECT(r < 0 && errno == EFAULT,
			       "a sockaddr cut by an unreadable page: EFAULT");
		}
	}
	close(s);
	/* bind: the address is checked too. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	r = bind(s, (struct sockaddr *)&any, sizeof(any));
	EXPECT(r < 0 && errno == EPERM, "bind 0.0.0.0: EPERM (not pinned)");
	any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = bind(s, (struct sockaddr *)&any, sizeof(any));
	EXPECT(r == 0, "bind 127.0.0.1:0 performed");
	close(s);
	/* send (performed from a copy) and recv (CONTINUE). */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	r = (int)send(sv[0], "hello", 5, 0);
	EXPECT(r == 5, "send 5 bytes on a socketpair");
	{
		char buf[8] = "";
		r = (int)recv(sv[1], buf, sizeof(buf), 0);
		EXPECT(r == 5 && memcmp(buf, "hello", 5) == 0, "recv got what was sent");
	}
	/* A send larger than the socket buffer: the supervisor's non-blocking
	 * try is partial; a worker finishes it, blocking as the child's would. */
	pthread_create(&th, NULL, drain_main, &sv[1]);
	r = (int)send(sv[0], big, sizeof(big), 0);
	EXPECT(r == (int)sizeof(big), "a 256 KiB blocking send completes (%d)", r);
	pthread_join(th, &got);
	EXPECT((size_t)got == sizeof(big), "the reader got all of it");
	/* SCM_RIGHTS: the child's fd numbers are translated, never sent as
	 * the supervisor's own. */
	socketpair(AF_UNIX, SOCK_DGRAM, 0, dg);
	pipe(pp);
	/* At a number the supervisor has nothing open at: sent untranslated,
	 * it would fail or name another file (low numbers may coincide). */
	if (dup2(pp[0], 200) == 200) {
		close(pp[0]);
		pp[0] = 200;
	}
	r = send_rights(dg[0], pp[0]);
	EXPECT(r == 1, "sendmsg SCM_RIGHTS of a pipe (fd %d)", pp[0]);
	s = recv_rights(dg[1]);
	EXPECT(s >= 0 && fstat(s, &a) == 0 && fstat(pp[0], &b) == 0 && a.st_ino == b.st_ino,
	       "the fd received is the child's pipe");
	for (int fd = 3; fd < 64; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue; /* open here: not a confusion candidate */
		r = send_rights(dg[0], fd);
		EXPECT(r < 0 && errno == EBADF, "SCM_RIGHTS of fd %d (not the child's): EBADF", fd);
	}
	{
		/* A cmsg_len that would wrap a pointer sum: EINVAL, as the
		 * kernel says, and the supervisor still serves (under ASan, a
		 * read past its control buffer would abort it). */
		char byte = 'x';
		struct iovec iov = {&byte, 1};
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int))];
		} u;
		struct msghdr mh = {
		    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = 20};
		memset(&u, 0, sizeof(u));
		u.h.cmsg_level = SOL_SOCKET;
		u.h.cmsg_type = SCM_RIGHTS;
		u.h.cmsg_len = (size_t)-8;
		r = (int)sendmsg(dg[0], &mh, 0);
		EXPECT(r < 0 && errno == EINVAL,
		       "SCM_RIGHTS with cmsg_len (size_t)-8: EINVAL (%d %d)", r, errno);
		r = send_rights(dg[0], pp[0]);
		EXPECT(r == 1 && recv_rights(dg[1]) >= 0, "and the next SCM_RIGHTS still goes");
	}
	{
		/* Performed from the supervisor's copy, a zero-copy send would
		 * leave the kernel holding pages of a buffer it frees. */
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		r = (int)sendto(u, "x", 1, MSG_ZEROCOPY, (struct sockaddr *)&lo, sizeof(lo));
		EXPECT(r < 0 && errno == ENOBUFS, "sendto with MSG_ZEROCOPY: ENOBUFS (%d)", r);
		close(u);
	}
	/* sendto with an address: a unix address is not parsed. */
	{
		struct sockaddr_un abs = {.sun_family = AF_UNIX, .sun_path = "\0x"};
		int u = socket(AF_UNIX, SOCK_DGRAM, 0);
		r = (int)sendto(u, "x", 1, 0, (struct sockaddr *)&abs, sizeof(abs));
		EXPECT(r < 0 && errno == EPERM, "sendto a unix address: EPERM");
	}
	_exit(child_fail);
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;
	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

static void test_mediation_in_a_child(void)
{
	struct mediated m;
	struct notify_stats st;
	int status;

	CU_ASSERT_EQUAL_FATAL(mediated_start(&m, "platform-notify", false, child_body, NULL), 0);
	/* Linux 6.6 has the synchronous wake-up: it must be on (the flag is
	 * passed by value; by pointer the kernel says EINVAL). */
	CU_ASSERT(!kernel_at_least(6, 6) || notify_supervisor_sync_wakeup(m.ns));
	status = mediated_run(&m, &st);
	CU_ASSERT_TRUE(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
	CU_ASSERT(st.allowed >= 6);
	CU_ASSERT(st.denied >= 6);
	CU_ASSERT(st.continued >= 1);
	CU_ASSERT(st.workers_peak >= 1);
	/* connect on /dev/null is refused as not a socket, before any call */
	{
		unsigned i = 0, n = sizeof(st.by_reason) / sizeof(st.by_reason[0]);
		while (i < n && strcmp(notify_reason_name(i), "not a socket") != 0)
			i++;
		CU_ASSERT(i < n && st.by_reason[i] >= 1);
	}
	{
		unsigned i = 0, n = sizeof(st.by_reason) / sizeof(st.by_reason[0]);
		while (i < n && strcmp(notify_reason_name(i), "send flag not performed") != 0)
			i++;
		CU_ASSERT(i < n && st.by_reason[i] >= 1);
	}
	mediated_free(&m);
}

/* ---- a notification that goes stale while its memory is read ---- */

/* The sockaddr sits on a page registered with userfaultfd and not yet
 * there: the supervisor's read of it (process_vm_readv) waits on the
 * fault. Meanwhile the handler interrupts the trapping thread with a signal
 * (no SA_RESTART: its connect returns EINTR and the notification is
 * gone), and only then supplies the page, with an allowed address. A
 * supervisor that did not check the notification again after its read
 * would perform that connect for a call that no longer exists. */
struct stale_ctx {
	int uffd;
	char *page;
	pthread_t caller;
	struct sockaddr_in lo;
	atomic_int returned;
};

static void on_usr1(int sig)
{
	(void)sig;
}

static void *stale_fault_main(void *arg)
{
	struct stale_ctx *c = arg;
	struct uffd_msg msg;
	long pg = sysconf(_SC_PAGESIZE);
	char *src = aligned_alloc((size_t)pg, (size_t)pg);
	struct uffdio_copy cp;

	if (!src || read(c->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return (void *)1;
	pthread_kill(c->caller, SIGUSR1);
	for (int i = 0; i < 2000 && !atomic_load(&c->returned); i++)
		usleep(1000);
	memset(src, 0, (size_t)pg);
	memcpy(src, &c->lo, sizeof(c->lo));
	cp.dst = (uintptr_t)c->page;
	cp.src = (uintptr_t)src;
	cp.len = (uint64_t)pg;
	cp.mode = 0;
	cp.copy = 0;
	ioctl(c->uffd, UFFDIO_COPY, &cp);
	free(src);
	return NULL;
}

static void stale_body(const struct profile_notify *n, int handoff, uint16_t port, void *arg)
{
	struct rep_sink rs = {.report = NULL, .fd = -1};
	static struct stale_ctx c;
	struct uffdio_api api = {.api = UFFD_API};
	struct uffdio_register reg;
	struct sigaction sa;
	long pg = sysconf(_SC_PAGESIZE);
	pthread_t th;
	int s, r, err;

	(void)arg;
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (notify_install(n, handoff, &rs) < 0)
		_exit(100);
	c.lo.sin_family = AF_INET;
	c.lo.sin_port = htons(port);
	c.lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c.uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	c.page = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uintptr_t)c.page;
	reg.range.len = (uint64_t)pg;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (c.uffd < 0 || c.page == MAP_FAILED || ioctl(c.uffd, UFFDIO_API, &api) < 0 ||
	    ioctl(c.uffd, UFFDIO_REGISTER, &reg) < 0)
		_exit(101); /* no userfaultfd here: said by the parent */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1; /* no SA_RESTART */
	sigaction(SIGUSR1, &sa, NULL);
	c.caller = pthread_self();
	pthread_create(&th, NULL, stale_fault_main, &c);
	s = socket(AF_INET, SOCK_STREAM, 0);
	r = connect(s, (struct sockaddr *)c.page, sizeof(c.lo));
	err = errno;
	atomic_store(&c.returned, 1);
	pthread_join(th, NULL);
	EXPECT(r < 0 && err == EINTR, "the interrupted connect returns EINTR (%d, errno %d)", r,
	       err);
	_exit(child_fail);
}

static void test_stale_after_read_is_not_performed(void)
{
	struct mediated m;
	struct notify_stats st;
	int status, fl, c;

	CU_ASSERT_EQUAL_FATAL(mediated_start(&m, "platform-notify", false, stale_body, NULL), 0);
	status = mediated_run(&m, &st);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 101) {
		fprintf(stderr, "no userfaultfd here: skipped\n");
		mediated_free(&m);
		return;
	}
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT(st.stale >= 1);
	fl = fcntl(m.lfd, F_GETFL);
	fcntl(m.lfd, F_SETFL, fl | O_NONBLOCK);
	c = accept(m.lfd, NULL, NULL);
	CU_ASSERT(c < 0); /* nobody connected on the stale call's behalf */
	if (c >= 0)
		close(c);
	mediated_free(&m);
}

/* ---- a kept pidfd whose thread is gone, its tid reused ---- */

struct tid_connect {
	struct sockaddr_in lo;
	pid_t want; /* connect only from this tid (0: any) */
	pid_t tid;
	int err; /* -1: did not connect */
};

static void *tid_connect_main(void *arg)
{
	struct tid_connect *t = arg;
	int s;

	t->tid = gettid();
	t->err = -1;
	if (t->want && t->tid != t->want)
		return NULL;
	s = socket(AF_INET, SOCK_STREAM, 0);
	t->err = connect(s, (const struct sockaddr *)&t->lo, sizeof(t->lo)) == 0 ? 0 : errno;
	close(s);
	return NULL;
}

static void run_thread(struct tid_connect *t)
{
	pthread_t th;
	pthread_create(&th, NULL, tid_connect_main, t);
	pthread_join(th, NULL);
}

/* The agent: a thread connects (its pidfd is kept), ends; the next thread
 * is given the same tid through ns_last_pid; its connect must be performed,
 * which needs a fresh pidfd. Exit 0: done; 1: a connect failed; 77: the
 * tid could not be reused (nothing tested). */
static void reuse_agent(const struct profile_notify *n, int handoff, uint16_t port, void *arg)
{
	(void)arg;
	struct rep_sink rs = {.report = NULL, .fd = -1};
	struct tid_connect t = {.lo = {.sin_family = AF_INET, .sin_port = htons(port)}};
	pid_t first;

	t.lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (notify_install(n, handoff, &rs) < 0)
		_exit(100);
	run_thread(&t);
	if (t.err != 0)
		_exit(1);
	first = t.tid;
	/* pthread_join returns when the thread clears its tid, a little
	 * before the kernel frees the number: try again until it is free. */
	for (int i = 0; i < 200; i++) {
		char text[32];
		int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
		snprintf(text, sizeof(text), "%d", (int)first - 1);
		if (fd < 0 || write(fd, text, strlen(text)) < 0)
			_exit(77);
		close(fd);
		t.want = first;
		run_thread(&t);
		if (t.tid == first)
			_exit(t.err == 0 ? 0 : 1);
		usleep(5000);
	}
	_exit(77);
}

/* Pid 1 of a private PID namespace: its numbers are the ones the
 * notifications carry and ns_last_pid sets. Exit 0: passed. */
static void reuse_supervisor(void)
{
	struct mediated m;
	struct notify_stats st;
	int status;

	if (mediated_start(&m, "platform-notify", false, reuse_agent, NULL) < 0)
		_exit(12);
	status = mediated_run(&m, &st);
	if (!WIFEXITED(status))
		_exit(13);
	if (WEXITSTATUS(status) != 0)
		_exit(WEXITSTATUS(status));
	/* Both connects performed, the second through a renewed pidfd. */
	_exit(st.allowed == 2 && st.pidfds_renewed == 1 ? 0 : 14);
}

static void test_pidfd_kept_and_tid_reused(void)
{
	int status = 0;
	pid_t helper = fork();

	if (helper == 0) {
		pid_t sup;
		if (unshare(CLONE_NEWPID) < 0)
			_exit(20);
		sup = fork();
		if (sup == 0)
			reuse_supervisor();
		if (sup < 0 || waitpid(sup, &status, 0) < 0 || !WIFEXITED(status))
			_exit(21);
		_exit(WEXITSTATUS(status));
	}
	CU_ASSERT_FATAL(helper > 0);
	waitpid(helper, &status, 0);
	CU_ASSERT_TRUE(WIFEXITED(status));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		fprintf(stderr, "  (the tid could not be reused: nothing tested)\n");
		CU_FAIL("ns_last_pid did not give the tid back");
		return;
	}
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
}

/* No confirmation from the supervisor, no command: notify_install fails
 * and the agent would exit before exec (enforcer.c). */
static void test_install_fails_closed_without_confirmation(void)
{
	struct profile p;
	int sp[2], status = 0, listener = -1;
	struct perr e;
	pid_t pid;

	CU_ASSERT_EQUAL_FATAL(load("platform-notify", &p), 0);
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	pid = fork();
	if (pid == 0) {
		struct rep_sink rs = {.report = NULL, .fd = -1};
		close(sp[0]);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		_exit(notify_install(&p.sc.notify, sp[1], &rs) == -1 ? 0 : 1);
	}
	close(sp[1]);
	for (int i = 0; i < 200 && notify_receive_listener(sp[0], &listener, &e) < 0; i++)
		usleep(10000);
	CU_ASSERT(listener >= 0);
	/* The supervisor gives up: no byte, the socket closes. */
	close(sp[0]);
	waitpid(pid, &status, 0);
	CU_ASSERT_TRUE(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
	if (listener >= 0)
		close(listener);
	profile_free(&p);
}

void unit_register(void)
{
	UNIT_SUITE("notify");
	UNIT_TEST(test_allowlist_ip_only);
	UNIT_TEST(test_allowlist_port_check_and_limits);
	UNIT_TEST(test_allowlist_build_resolves_once);
	UNIT_TEST(test_parse_sockaddr);
	UNIT_TEST(test_filter_rule_set);
	UNIT_TEST(test_profile_checks);
	UNIT_TEST(test_mediation_in_a_child);
	UNIT_TEST(test_stale_after_read_is_not_performed);
	UNIT_TEST(test_pidfd_kept_and_tid_reused);
	UNIT_TEST(test_install_fails_closed_without_confirmation);
}
