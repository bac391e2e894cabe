/* test_run - `parity run` on a real kernel (issues 2 and 3): every check
 * runs the real binary under a profile, with the `none` profile (or
 * namespace without nftables) as the control that must succeed.
 *
 * The test moves itself into a private netns (it plays the pod): upstream
 * 203.0.113.80:443 (echo) on lo, a loopback TCP listener, an abstract unix
 * listener, and a same-uid victim outside the sandbox. Nothing touches the
 * host's network.
 *
 *   test_run platform | namespace | leak
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "net_lab.h"
#include "nft.h"
#include <nftables/libnftables.h>
#include "nl.h"
#include "util.h"

static const char *parity_bin, *netprobe, *source_root;
static char tmpdir[64];
static char policy_path[128];

/* `parity run ARGS... -- netprobe PROBE...` */
static void prun(struct lab_run *r, const char *const *args, const char *const *probe)
{
	lab_prun(r, parity_bin, "run", args, netprobe, probe);
}

/* ---- fixtures: upstream echo, loopback listener, abstract listener, victim ---- */

static int abstract_listen(const char *name)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memcpy(a.sun_path + 1, name, strlen(name));
	if (bind(fd, (struct sockaddr *)&a,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name))) < 0 ||
	    listen(fd, 16) < 0)
		die("abstract listener", NULL);
	return fd;
}

/* A process of `uid` outside the sandbox that reports each signal on a pipe. */
static pid_t victim_start(uid_t uid, int *report_fd)
{
	int p[2];
	pid_t pid;
	if (pipe(p) < 0)
		die("pipe", NULL);
	pid = fork();
	if (pid == 0) {
		sigset_t all;
		int sfd;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		if (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
			_exit(1);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		sfd = signalfd(-1, &all, 0);
		(void)!write(p[1], "R", 1);
		for (;;) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				_exit(1);
			char c = (char)si.ssi_signo;
			(void)!write(p[1], &c, 1);
		}
	}
	close(p[1]);
	{
		char c;
		if (read(p[0], &c, 1) != 1)
			die("victim did not start", NULL);
	}
	*report_fd = p[0];
	return pid;
}

static int victim_signals(int fd, int wait_ms)
{
	int n = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	while (poll(&p, 1, wait_ms) > 0) {
		char c;
		if (read(fd, &c, 1) != 1)
			break;
		n++;
		wait_ms = 50;
	}
	return n;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		die("write fixture", NULL);
}

static void setup_common(void)
{
	struct perr e;
	static int up;
	pthread_t th;

	perr_clear(&e);
	parity_bin = getenv("PARITY_BIN");
	netprobe = getenv("NETPROBE_BIN");
	source_root = getenv("PARITY_SOURCE_ROOT");
	if (!parity_bin || !netprobe || !source_root) {
		printf("PARITY_BIN, NETPROBE_BIN and PARITY_SOURCE_ROOT must be set\n");
		exit(2);
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/parity-test-run-XXXXXX");
	lab_run_setup(tmpdir, 0755);
	up = probe_tcp_listen(-1, "203.0.113.80", 443);
	if (up < 0)
		die("upstream listener", NULL);
	pthread_create(&th, NULL, lab_echo_main, &up);
	snprintf(policy_path, sizeof(policy_path), "%s/policy.json", tmpdir);
	write_file(policy_path,
		   "{\"version\":1,\"resolver\":\"system\",\"allow\":[{\"host\":\"203.0.113.80\","
		   "\"ports\":[443],\"allowed_ips\":[\"203.0.113.0/24\"]}]}\n");
}

static void cleanup_tmp(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (tmpdir[0])
		(void)!system(cmd);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The command runs as uid, with no supplementary group, every capability
 * set empty (the bounding set too: nothing an exec could regain) and
 * no_new_privs; under `none` the same probe sees the caller's root sets. */
static void check_identity(const char *profile, const char *uid)
{
	static const char *const empty[] = {"capinh=0000000000000000",
					    "capprm=0000000000000000",
					    "capeff=0000000000000000",
					    "capbnd=0000000000000000",
					    "capamb=0000000000000000",
					    "groups=\n",
					    "nonewprivs=1"};
	char want_uid[32];
	struct lab_run r;
	bool ok;

	snprintf(want_uid, sizeof(want_uid), "uid=%s\n", uid);
	prun(&r, ARGS("--profile", profile), ARGS("identity"));
	ok = r.code == 0 && lab_says(&r, want_uid);
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
		ok &= lab_says(&r, empty[i]);
	CHECK(ok,
	      "%s: the command runs as uid %s with every capability set empty, the bounding "
	      "set too, no groups and no_new_privs",
	      profile, uid);
	if (!ok)
		printf("     it saw:\n%s\n", r.out);
	prun(&r, ARGS("--profile", "none"), ARGS("identity"));
	ok = r.code == 0 && lab_says(&r, "uid=0\n") && !lab_says(&r, "capbnd=0000000000000000");
	CHECK(ok, "control none: the same probe sees root's capabilities");
	if (!ok)
		printf("     it saw:\n%s\n", r.out);
}

/* kill(0, SIGURG) from the command, under `none` (no setsid of its own),
 * reaches its session's process group: the PID namespace's init must have
 * made a session of its own, or the caller's group (this test, a user's
 * shell) would get it. main() blocks SIGURG in every thread of this test,
 * so a hit stays pending here. */
static bool urg_pending(void)
{
	sigset_t urg;
	struct timespec now = {0, 0};

	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	return sigtimedwait(&urg, NULL, &now) == SIGURG; /* and consumes it */
}

static void check_caller_group_untouched(void)
{
	struct lab_run r;
	bool hit;

	urg_pending();
	kill(getpid(), SIGURG); /* not kill(0): the victim shares our group */
	CHECK(urg_pending(), "control: a SIGURG sent to this test is seen here");
	prun(&r, ARGS("--profile", "none"), ARGS("kill", "0", "23"));
	hit = urg_pending();
	CHECK(r.code == 0 && !hit,
	      "none: the command's kill(0, SIGURG) stays inside the sandbox's session (%s)",
	      hit ? "it reached the caller's process group" : "not seen here");
}

/* ---- issue 2: platform ---- */

static void test_platform(void)
{
	struct lab_run r;
	char port[16], vpid[16], abs[64], rep[128], sig[8];
	int lfd = probe_tcp_listen(-1, "127.0.0.1", 0), afd, vfd;
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	pid_t victim;
	FILE *f;
	char buf[65536];
	size_t n;

	getsockname(lfd, (struct sockaddr *)&a, &al);
	snprintf(port, sizeof(port), "%u", ntohs(a.sin_port));
	snprintf(abs, sizeof(abs), "parity-test-%d", (int)getpid());
	afd = abstract_listen(abs);
	victim = victim_start(10001, &vfd);
	snprintf(vpid, sizeof(vpid), "%d", (int)victim);
	snprintf(sig, sizeof(sig), "%d", SIGURG);

	check_identity("platform", "10001");
	check_caller_group_untouched();
	prun(&r, ARGS("--profile", "platform"), ARGS("udp-socket"));
	CHECK(r.code == 1 && lab_says(&r, "result=EPERM"),
	      "platform: socket(AF_INET, SOCK_DGRAM) fails EPERM (%s)", r.out);
	prun(&r, ARGS("--profile", "none"), ARGS("udp-socket"));
	CHECK(r.code == 0 && lab_says(&r, "result=ok"),
	      "control none: socket(AF_INET, SOCK_DGRAM) works");

	prun(&r, ARGS("--profile", "platform"), ARGS("tcp-connect", "127.0.0.1", port));
	CHECK(r.code == 1 && lab_says(&r, "result=EACCES"),
	      "platform: TCP to 127.0.0.1:%s fails EACCES (%s)", port, r.out);
	prun(&r, ARGS("--profile", "none"), ARGS("tcp-connect", "127.0.0.1", port));
	CHECK(r.code == 0, "control none: TCP to 127.0.0.1:%s connects", port);

	prun(&r, ARGS("--profile", "platform", "--policy", policy_path),
	     ARGS("connect-proxy", "127.0.0.1", "3128", "203.0.113.80:443"));
	CHECK(r.code == 0 && lab_says(&r, "status=200") && lab_says(&r, "echo=ok"),
	      "platform: CONNECT to the allowed upstream relays both ways (%s)", r.out);
	prun(&r, ARGS("--profile", "platform", "--policy", policy_path),
	     ARGS("connect-proxy", "127.0.0.1", "3128", "203.0.113.81:443"));
	CHECK(r.code == 1 && lab_says(&r, "403"), "platform: a denied CONNECT gets 403 (%s)",
	      r.out);
	prun(&r, ARGS("--profile", "none", "--policy", policy_path),
	     ARGS("connect-proxy", "127.0.0.1", "3128", "203.0.113.80:443"));
	CHECK(r.code == 0 && lab_says(&r, "echo=ok"), "control none: the same CONNECT relays");

	/* The supervisor and the proxy share the agent's uid (the PR's one-uid
	 * pod) and its PID namespace: only the Landlock signal scope stands
	 * between them. SIGURG is ignored by default, so the control harms
	 * nothing. A process in another PID namespace (victim) is invisible. */
	prun(&r, ARGS("--profile", "platform"), ARGS("kill", "supervisor", sig));
	CHECK(r.code == 1 && lab_says(&r, "result=EPERM"),
	      "platform: a signal to the same-uid supervisor outside the sandbox fails EPERM (%s)",
	      r.out);
	prun(&r, ARGS("--profile", "none"), ARGS("kill", "supervisor", sig));
	CHECK(r.code == 0, "control none: the same signal is delivered (%s)", r.out);
	prun(&r, ARGS("--profile", "none"), ARGS("kill", vpid, sig));
	CHECK(r.code == 1 && lab_says(&r, "result=ESRCH") && victim_signals(vfd, 200) == 0,
	      "a process outside the run's PID namespace is not even visible (%s)", r.out);

	prun(&r, ARGS("--profile", "platform"), ARGS("abstract-connect", abs));
	CHECK(r.code == 1 && lab_says(&r, "result=EPERM"),
	      "platform: connect to an abstract socket outside fails (%s)", r.out);
	prun(&r, ARGS("--profile", "none"), ARGS("abstract-connect", abs));
	CHECK(r.code == 0, "control none: the abstract socket is reachable");

	snprintf(rep, sizeof(rep), "%s/report.json", tmpdir);
	prun(&r, ARGS("--profile", "platform", "--landlock-abi", "3", "--report", rep),
	     ARGS("tcp-connect", "127.0.0.1", port));
	f = fopen(rep, "r");
	n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
	CHECK(r.code == 0 && strstr(buf, "\"net.connect_tcp") && strstr(buf, "\"skipped\""),
	      "platform --landlock-abi 3: direct TCP goes through, the report lists the skipped "
	      "net rule");
	prun(&r, ARGS("--profile", "platform", "--landlock-abi", "3", "--compat", "hard"),
	     ARGS("tcp-connect", "127.0.0.1", port));
	CHECK(r.code == 3 && !lab_says(&r, "result=") && lab_says(&r, "connect_tcp") &&
		  lab_says(&r, "ABI 4"),
	      "platform --landlock-abi 3 --compat hard refuses to start, naming the feature (%s)",
	      r.out);

	prun(&r, ARGS("--profile", "no-such-profile"), ARGS("udp-socket"));
	CHECK(r.code == 2 && !lab_says(&r, "result="), "a bad profile name: exit 2, nothing runs");
	prun(&r, ARGS("--profile", "platform", "--landlock-abi", "x"), ARGS("udp-socket"));
	CHECK(r.code == 2 && !lab_says(&r, "result="), "a bad --landlock-abi: exit 2");
	prun(&r, ARGS("--profile", "platform", "--policy", "/nonexistent.json"),
	     ARGS("udp-socket"));
	CHECK(r.code == 2 && !lab_says(&r, "result=") && lab_says(&r, "/nonexistent.json"),
	      "a missing policy file: exit 2 naming it");

	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
	close(lfd);
	close(afd);
	close(vfd);
}

/* ---- issue 3: namespace ---- */

static void write_profile_variant(const char *dst, const char *nft)
{
	char src[512], *text, *p;
	size_t len;
	struct perr e;
	snprintf(src, sizeof(src), "%s/enforcer/profiles/namespace.json", source_root);
	text = util_read_file(src, &len, &e);
	if (!text || !(p = strstr(text, "\"sandbox-output\"")))
		die("namespace.json", &e);
	FILE *f = fopen(dst, "w");
	fwrite(text, 1, (size_t)(p - text), f);
	fprintf(f, "\"%s\"%s", nft, p + strlen("\"sandbox-output\""));
	fclose(f);
	free(text);
}

static bool captured(struct capture *c, const char *needle)
{
	struct capture_cursor cur = {0};
	struct capture_pkt k;
	while (capture_next(c, &cur, &k))
		if (memmem(k.data, k.caplen, needle, strlen(needle)))
			return true;
	return false;
}

static void test_namespace(void)
{
	struct lab_run r;
	char nonft[128], abs[64], sup_sig[8];
	int afd, ulfd;
	struct capture *cap;
	struct perr e;
	char marker[27], msg[64];

	perr_clear(&e);
	check_identity("namespace", "10002");
	snprintf(nonft, sizeof(nonft), "%s/namespace-nonft.json", tmpdir);
	write_profile_variant(nonft, "off");
	snprintf(abs, sizeof(abs), "parity-test-%d", (int)getpid());
	afd = abstract_listen(abs);
	/* A proxy-port listener answers for the proxy in the control. */

	prun(&r, ARGS("--profile", "namespace", "--policy", policy_path),
	     ARGS("connect-proxy", "10.200.0.1", "3128", "203.0.113.80:443"));
	CHECK(r.code == 0 && lab_says(&r, "echo=ok"),
	      "namespace: TCP to 10.200.0.1:3128 reaches the proxy and relays (%s)", r.out);

	prun(&r, ARGS("--profile", "namespace"), ARGS("tcp-connect", "10.200.0.1", "22"));
	CHECK(r.code == 1 && lab_says(&r, "result=ECONNREFUSED") && r.ms < 2000,
	      "namespace: TCP to 10.200.0.1:22 fails fast with ECONNREFUSED (%s)", r.out);
	{
		int l22 = probe_tcp_listen(-1, "0.0.0.0", 22);
		prun(&r, ARGS("--profile", nonft), ARGS("tcp-connect", "10.200.0.1", "22"));
		CHECK(r.code == 0,
		      "control namespace without nftables: 10.200.0.1:22 connects (%s)", r.out);
		close(l22);
	}

	util_marker(marker);
	snprintf(msg, sizeof(msg), "udp-%s", marker);
	ulfd = probe_udp_bind(-1, "10.200.0.1", 9999);
	if (capture_start(&cap, -1, "any", &e) < 0)
		die("capture", &e);
	prun(&r, ARGS("--profile", "namespace"), ARGS("udp-send", "10.200.0.1", "9999", msg));
	capture_stop(cap, &e);
	CHECK(!captured(cap, msg),
	      "namespace: a UDP datagram from inside is in no capture on the supervisor side (%s)",
	      r.out);
	capture_free(cap);
	if (capture_start(&cap, -1, "any", &e) < 0)
		die("capture", &e);
	prun(&r, ARGS("--profile", nonft), ARGS("udp-send", "10.200.0.1", "9999", msg));
	capture_stop(cap, &e);
	CHECK(captured(cap, msg) && probe_udp_got(ulfd, msg, 500),
	      "control namespace without nftables: the datagram is captured and received");
	capture_free(cap);
	close(ulfd);

	snprintf(sup_sig, sizeof(sup_sig), "%d", SIGURG);
	prun(&r, ARGS("--profile", "namespace"), ARGS("kill", "supervisor", sup_sig));
	CHECK(r.code == 1 && lab_says(&r, "result=EPERM"),
	      "namespace: the agent cannot signal the root supervisor (%s)", r.out);
	prun(&r, ARGS("--profile", "none"), ARGS("kill", "supervisor", sup_sig));
	CHECK(r.code == 0, "control none: the same signal is permitted");

	prun(&r, ARGS("--profile", "namespace"), ARGS("abstract-connect", abs));
	CHECK(r.code == 1 && lab_says(&r, "result=ECONNREFUSED"),
	      "namespace: an abstract socket in the supervisor's netns is unreachable (%s)", r.out);
	prun(&r, ARGS("--profile", "none"), ARGS("abstract-connect", abs));
	CHECK(r.code == 0, "control none: it is reachable");
	close(afd);

	/* The agent starts inside the new netns before the veth, the table
	 * and the proxy exist, and waits at its gate. When a later step fails
	 * (here the proxy: its port is taken), the command must never run. */
	{
		int l3128 = probe_tcp_listen(-1, "0.0.0.0", 3128);
		prun(&r, ARGS("--profile", "namespace"), ARGS("tcp-connect", "10.200.0.1", "22"));
		CHECK(l3128 >= 0 && r.code != 0 && r.code != 1 && !strstr(r.out, "result="),
		      "namespace, proxy port taken: the run fails (exit %d) and the agent, started "
		      "early, never runs the command (%s)",
		      r.code, r.out);
		if (l3128 >= 0)
			close(l3128);
	}

	/* A caller that ignores SIGCHLD (the disposition survives exec):
	 * the command's status must still come back. */
	lab_prun(&r, "/usr/bin/python3", NULL,
		 ARGS("-c",
		      "import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); "
		      "os.execv(sys.argv[1], sys.argv[1:])",
		      parity_bin, "run", "--quiet", "--profile", "namespace", "--", "/bin/sh", "-c",
		      "exit 7"),
		 NULL, NULL);
	CHECK(r.code == 7,
	      "SIGCHLD ignored by the caller: the command's exit 7 still comes back "
	      "(got %d: %s)",
	      r.code, r.out);

	/* The PID namespace's init keeps none of parity run's fds (the
	 * report's here): a copy of the nftables worker's socket end there
	 * would hide the worker's death from the supervisor. */
	{
		char rep[128];
		snprintf(rep, sizeof(rep), "%s/init-fds.json", tmpdir);
		lab_prun(&r, parity_bin, "run",
			 ARGS("--quiet", "--profile", "none", "--report", rep), "/bin/ls",
			 ARGS("/proc/1/fd"));
		/* the fd numbers ls printed (a sanitizer build adds its
		 * warnings to the same output: lines that are not numbers) */
		char fds[64] = "";
		for (char *l = r.out, *nl; *l; l = nl + 1) {
			nl = strchr(l, '\n');
			if (!nl)
				break;
			if (nl > l && strspn(l, "0123456789") == (size_t)(nl - l) &&
			    strlen(fds) + (size_t)(nl - l) + 2 < sizeof(fds))
				strncat(strncat(fds, l, (size_t)(nl - l)), " ", 2);
		}
		CHECK(r.code == 0 && strcmp(fds, "0 1 2 ") == 0,
		      "the pod's init holds stdio only (/proc/1/fd: %s)", fds);
		unlink(rep);
	}
}

/* ---- issue 3: nothing outlives a run, even a SIGKILLed one ---- */

static char leak_token[40];

static int count_token_procs(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;
	while (d && (de = readdir(d))) {
		char path[300], buf[4096];
		int fd;
		ssize_t r;
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r > 0 && memmem(buf, (size_t)r, leak_token, strlen(leak_token)))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* nftables tables in the test's netns (the supervisor side): the
 * supervisor-forward variant puts its table here. */
static int count_nft_tables(void)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *out;
	int n = 0;
	if (!ctx)
		return -1;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	if (nft_run_cmd_from_buffer(ctx, "list tables") == 0) {
		out = nft_ctx_get_output_buffer(ctx);
		for (const char *p = out; p && (p = strstr(p, "table ")); p += 6)
			n++;
	}
	nft_ctx_free(ctx);
	return n;
}

static int count_parity_files(void)
{
	const char *dirs[] = {"/tmp", "/dev/shm", "/run"};
	int n = 0;
	for (size_t i = 0; i < 3; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (strstr(de->d_name, leak_token) ||
			    strncmp(de->d_name, ".parity", 7) == 0)
				n++;
		if (d)
			closedir(d);
	}
	return n;
}

/* Distinct network namespaces that processes are in or hold open,
 * system-wide (the lab suite runs serially). */
static int count_netns(void)
{
	static struct ns_ref refs[65536];
	size_t n = netns_scan(refs, 65536), distinct = 0;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = refs[j].ino == refs[i].ino;
		distinct += !seen;
	}
	return (int)distinct;
}

static void test_leak(void)
{
	int procs0, nsids0, veth0, nft0, files0;
	unsigned seed = (unsigned)getpid();
	char ro[80];

	snprintf(leak_token, sizeof(leak_token), "leaktoken%d", (int)getpid());
	snprintf(ro, sizeof(ro), "/nonexistent-%s", leak_token);
	procs0 = count_token_procs();
	nsids0 = count_netns();
	veth0 = veth_count();
	nft0 = count_nft_tables();
	files0 = count_parity_files();
	/* A child the command leaves behind, holding a connection to the
	 * proxy: it must die while the veth is up. Killed after the link went
	 * down (by the init's exit), its socket retransmitted a FIN for ~100 s
	 * and held the netns and the veth all that time. */
	{
		struct lab_run r;
		lab_prun(&r, parity_bin, "run", ARGS("--quiet", "--profile", "namespace"),
			 "/bin/bash",
			 ARGS("-c", "exec 3<>/dev/tcp/10.200.0.1/3128; printf 'CONNECT "
				    "203.0.113.80:443 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' >&3; "
				    "cat <&3 >/dev/null; (sleep 30 &); exit 0"));
		CHECK(r.code == 0 && wait_count(veth_count, veth0, 3000) == veth0,
		      "leak: a child left holding a proxy connection does not keep the veth (exit "
		      "%d, %d veth, was %d)",
		      r.code, veth_count(), veth0);
	}
	char fwd[128];
	snprintf(fwd, sizeof(fwd), "%s/namespace-fwd.json", tmpdir);
	write_profile_variant(fwd, "supervisor-forward");
	for (int i = 0; i < 30; i++) {
		const char *prof = i % 3 == 0 ? "platform" : i % 3 == 1 ? "namespace" : fwd;
		/* Setup takes ~5-30 ms: half the kills land in its first 5 ms
		 * (right after the PID namespace's init is cloned, the window
		 * where a parent-death signal is not armed yet), half anywhere
		 * in 0-60 ms, in setup or while the command runs. */
		int delay_us = (int)(rand_r(&seed) % (i % 2 ? 5000 : 60000));
		const char *argv[] = {parity_bin, "run",      "--quiet", "--profile", prof,
				      "--ro",	  ro,	      "--",	 netprobe,    "sleep",
				      "30000",	  leak_token, NULL};
		pid_t pid = fork();
		if (pid == 0) {
			int dn = open("/dev/null", O_WRONLY);
			dup2(dn, 1);
			dup2(dn, 2);
			execv(parity_bin, (char **)argv);
			_exit(127);
		}
		usleep((useconds_t)delay_us);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	CHECK(wait_count(count_token_procs, procs0, 3000) == procs0,
	      "leak: after 30 SIGKILLed runs (platform, namespace, supervisor-forward), no process "
	      "of theirs is left");
	CHECK(wait_count(count_netns, nsids0, 5000) == nsids0,
	      "leak: the network namespaces are as before (%d, was %d)", count_netns(), nsids0);
	CHECK(wait_count(veth_count, veth0, 5000) == veth0, "leak: no veth is left (%d)",
	      veth_count());
	CHECK(wait_count(count_nft_tables, nft0, 3000) == nft0,
	      "leak: no nftables table is left (%d, was %d)", count_nft_tables(), nft0);
	CHECK(count_parity_files() == files0, "leak: no temporary file is left");
}

int main(int argc, char **argv)
{
	sigset_t urg;

	if (argc != 2)
		return 2;
	/* Before any thread: see check_caller_group_untouched(). */
	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	sigprocmask(SIG_BLOCK, &urg, NULL);
	setup_common();
	if (strcmp(argv[1], "platform") == 0)
		test_platform();
	else if (strcmp(argv[1], "namespace") == 0)
		test_namespace();
	else if (strcmp(argv[1], "leak") == 0)
		test_leak();
	else {
		cleanup_tmp();
		return 2;
	}
	cleanup_tmp();
	printf("%d failure(s)\n", lab_failures);
	return lab_failures ? 1 : 0;
}
