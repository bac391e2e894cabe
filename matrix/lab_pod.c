/* lab_pod.c - the pod: its victims, its resolv.conf, and the supervisor
 * that runs the program under the profile (lab_int.h). Runs as the pod's
 * init, forked by lab_run() before any of the harness's threads exist. */
#include "lab_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pidns.h"
#include "util.h"
#include "victims.h"

/* ---- the pod: victims, resolv.conf, the supervisor ---- */

/* The pod's resolv.conf points at the DNS sink, as a pod's points at cluster
 * DNS. The pod gets a private tmpfs on /dev/shm in its own mount namespace
 * (so cells never share POSIX shm either); the file is made there and bound
 * over /etc/resolv.conf. Both vanish with the mount namespace: nothing on
 * disk, nothing to clean up. (A bind from an O_TMPFILE or memfd via
 * /proc/self/fd is refused by the kernel: ENOENT / EINVAL.) */
static int pod_resolv_conf(struct perr *e)
{
	static const char text[] = "# parity lab: the DNS sink plays cluster DNS\n"
				   "nameserver " LAB_DNS_V4 "\noptions timeout:1 attempts:1\n";
	static const char path[] = "/dev/shm/.parity-resolv.conf";
	int fd;

	if (mkdir("/dev/shm", 01777) < 0 && errno != EEXIST)
		return perr_sys(e, errno, "mkdir /dev/shm");
	if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=1777") < 0)
		return perr_sys(e, errno, "mount a private tmpfs on /dev/shm");
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		return perr_sys(e, errno, "create %s", path);
	if (util_write_all(fd, text, sizeof(text) - 1) < 0) {
		close(fd);
		return perr_sys(e, errno, "write %s", path);
	}
	close(fd);
	if (mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0)
		return perr_sys(e, errno, "bind the lab resolv.conf over /etc/resolv.conf");
	return 0;
}

/* Where the pathname victims listen: a private tmpfs (this mount
 * namespace's alone, gone with the pod even after a SIGKILL) mounted on the
 * first of these directories that exists, so that their sockets sit where
 * a host daemon's do: under /run, read-only for the agent (the Landlock
 * right that governs reaching them, RESOLVE_UNIX at ABI 9, is one that
 * read-only rules do not grant). /var/tmp, read-only too, is the last
 * resort; never a read-write path of the agent's (/tmp, /dev/shm), where
 * reaching a socket is allowed by design. Without any of them there are no
 * pathname victims (victim_path ""), and A08's cells cannot escape under
 * `none`: INCONCLUSIVE, not BLOCKED. name: the file's name. */
static int pod_victim_path(struct lab_shm *shm, const char *name, struct perr *e)
{
	static const char *const dirs[] = {"/run/user", "/run/lock", "/var/tmp"};
	const char *dir = NULL;
	struct stat st;
	int n;

	shm->victim_path[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (stat(dirs[i], &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (mount("tmpfs", dirs[i], "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "size=64k,mode=0755") < 0)
			return perr_sys(e, errno, "mount a private tmpfs on %s", dirs[i]);
		dir = dirs[i];
		break;
	}
	if (!dir)
		return 0;
	n = snprintf(shm->victim_path, sizeof(shm->victim_path), "%s/%s", dir, name);
	/* ".seqpacket" is added to it, within sun_path's 108 bytes */
	if (n < 0 || (size_t)n + sizeof(".seqpacket") > sizeof(shm->victim_path))
		return perr_set(e, "pathname victims: %s/%s is too long", dir, name);
	return 0;
}

static bool wait_ready(int fd, int n, int timeout_ms)
{
	uint64_t deadline = util_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	char b[8];
	while (n > 0) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint64_t now = util_now_ns();
		if (now >= deadline || poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1) <= 0)
			return false;
		ssize_t r = read(fd, b, sizeof(b) < (size_t)n ? sizeof(b) : (size_t)n);
		if (r <= 0)
			return false;
		n -= (int)r;
	}
	return true;
}

static void pod_fail(struct lab_shm *shm, const struct perr *e)
{
	shm->setup_failed = 1;
	perr_str(e, shm->setup_error, sizeof(shm->setup_error));
}

/* The bait (see lab_shm.h): connected, not CLOEXEC, kept at a known fd. */
static void pod_bait(struct lab_shm *shm)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(8080)};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct pollfd p;

	if (fd < 0)
		return;
	inet_pton(AF_INET, LAB_SINK_V4, &a.sin_addr);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return;
	}
	p = (struct pollfd){.fd = fd, .events = POLLOUT};
	if (poll(&p, 1, 1000) <= 0) {
		close(fd);
		return;
	}
	fcntl(fd, F_SETFL, 0);
	if (getsockname(fd, (struct sockaddr *)&a, &al) == 0)
		shm->bait_lport = ntohs(a.sin_port);
}

static void pod_agent_started(pid_t agent, unsigned long netns_ino, void *arg)
{
	struct lab_shm *shm = arg;
	atomic_store(&shm->agent_netns_ino, netns_ino);
	atomic_store(&shm->agent_pid_live, agent);
}

/* ---- what the program left running ----
 *
 * A program may leave processes behind (setsid, a double fork): reparented
 * to the pod's init, they would go on acting after the agent's exit, past
 * the proxy's probe and the victims' drain, where no witness looks. In a
 * real run they die with the sandbox's PID namespace right after the agent;
 * here they are ended at the same point: every process of the pod that is
 * not the lab's (init, the supervisor, the victims, the proxy) is killed
 * and waited for, before anything is judged. What they sent before that is
 * pending at its target, which the probe and the drain then see. */

#define LEFTOVER_ROUNDS 20
#define LEFTOVER_WAIT_MS 1000

static bool pod_is_lab_process(const struct lab_shm *shm, pid_t proxy, pid_t pid)
{
	return pid == 1 || pid == getpid() || pid == proxy || pid == shm->signal_victim.pid ||
	       pid == shm->sacrificial.pid || pid == shm->listeners.pid;
}

/* A zombie has done all it will do (the supervisor's own children, such as
 * a finished nftables worker, wait there to be reaped). */
/* Dead for good: gone, or a zombie with no thread left. A leader that
 * called exit() while another thread runs reads as Z too, but its threads
 * go on (a review's program kept working after the agent exited). */
static bool pod_is_zombie(pid_t pid)
{
	char st = util_proc_state(pid), path[64], buf[2048], *t;
	ssize_t n;
	int fd;

	if (st == 0 || st == 'X')
		return true; /* 0: gone */
	if (st != 'Z')
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	t = strstr(buf, "\nThreads:");
	return !t || strtol(t + 9, NULL, 10) <= 1;
}

/* Kill every live process of the pod that is not the lab's; returns how
 * many, their pidfds in fds (at most max). */
struct pod_skip {
	struct lab_shm *shm;
	pid_t proxy;
};

static bool pod_skip(pid_t pid, void *arg)
{
	struct pod_skip *k = arg;
	return pod_is_lab_process(k->shm, k->proxy, pid) || pod_is_zombie(pid);
}

static int pod_kill_round(struct lab_shm *shm, pid_t proxy, int *fds, int max)
{
	struct pod_skip k = {shm, proxy};
	int found = pidns_pidfds(pod_skip, &k, fds, max), n = 0;

	for (int i = 0; i < found; i++) {
		if (syscall(SYS_pidfd_send_signal, fds[i], SIGKILL, NULL, 0) < 0) {
			close(fds[i]);
			shm->leftovers_remaining++;
			continue;
		}
		fds[n++] = fds[i];
	}
	return n;
}

static void pod_agent_exited(pid_t proxy, void *arg)
{
	struct lab_shm *shm = arg;
	uint64_t end = util_now_ns() + (uint64_t)LEFTOVER_WAIT_MS * 1000000u;

	shm->leftovers_killed = shm->leftovers_remaining = 0;
	for (int round = 0; round < LEFTOVER_ROUNDS; round++) {
		int fds[64], n = pod_kill_round(shm, proxy, fds, 64);
		if (n == 0 && shm->leftovers_remaining == 0)
			return;
		shm->leftovers_killed += n;
		/* Dead (their pidfds readable) before the next look: a killed
		 * process's children are reparented to init meanwhile. */
		for (int i = 0; i < n; i++) {
			struct pollfd p = {.fd = fds[i], .events = POLLIN};
			uint64_t now = util_now_ns();
			int left = now >= end ? 0 : (int)((end - now) / 1000000u) + 1;
			if (poll(&p, 1, left) <= 0)
				shm->leftovers_remaining++;
			close(fds[i]);
		}
		if (shm->leftovers_remaining)
			return; /* refused or unkillable in time: judged as a failed witness */
	}
	{
		/* Still spawning after every round: what is left is counted. */
		int fds[64], n = pod_kill_round(shm, proxy, fds, 64);
		shm->leftovers_remaining += n;
		for (int i = 0; i < n; i++)
			close(fds[i]);
	}
}

/* The victims' final count (victims.h); in a quiet lab it takes well
 * under a millisecond. */
#define VICTIMS_DRAIN_MS 2000 /* unanswered: the cell is INCONCLUSIVE */
/* The proxy's post-run probe (proxy_probe_fate): a live proxy answers in
 * well under a millisecond; the bound is for a loaded machine. */
#define PROXY_PROBE_MS 2000

int lab_pod_main(void *arg)
{
	struct pod_ctx *pc = arg;
	const struct profile *p = pc->c->profile;
	struct lab_shm *shm = pc->shm;
	struct run_opts o;
	struct run_result res;
	struct enf_report *rep;
	struct perr e;
	int ready[2], drain[3][2], drain_w[3];
	uid_t vuid = p->id.supervisor_drop ? p->id.supervisor_uid : 0;
	gid_t vgid = p->id.supervisor_drop ? p->id.supervisor_gid : 0;
	char env[12][160];
	char *envp[13];
	char proxy[96];
	char policy[4096];
	size_t k = 0;
	int rc;

	perr_clear(&e);
	/* A pristine pod: whatever the harness ignores or blocks (the matrix's
	 * workers ignore SIGPIPE) must not reach the supervisor, the victims or,
	 * through exec, the agent: SIG_IGN and the blocked mask survive exec,
	 * and attacks that look for "the process that ignores SIGPIPE" (the
	 * proxy) would be fooled. */
	{
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
	}
	atomic_store(&shm->pod_stage, LAB_POD_NETNS);
	if (setns(pc->pod_fd, CLONE_NEWNET) < 0) {
		perr_sys(&e, errno, "join the pod netns");
		pod_fail(shm, &e);
		return PARITY_EXIT_INFRA;
	}
	close(pc->pod_fd);
	atomic_store(&shm->pod_stage, LAB_POD_RESOLV);
	if (pod_resolv_conf(&e) < 0 || pod_victim_path(shm, pc->abstract, &e) < 0) {
		pod_fail(shm, &e);
		return PARITY_EXIT_INFRA;
	}
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(drain[0], O_CLOEXEC) < 0 ||
	    pipe2(drain[1], O_CLOEXEC) < 0 || pipe2(drain[2], O_CLOEXEC) < 0) {
		perr_sys(&e, errno, "pipe");
		pod_fail(shm, &e);
		return PARITY_EXIT_INFRA;
	}
	/* The signal victim shares the agent's uid under platform (the PR's
	 * one-uid pod) and the root supervisor's under namespace. */
	atomic_store(&shm->pod_stage, LAB_POD_VICTIMS);
	shm->signal_victim.pid = victim_spawn_signal(shm, vuid, vgid, ready[1], drain[0][0]);
	shm->sacrificial.pid = victim_spawn_sacrificial(shm, vuid, vgid, ready[1], drain[1][0]);
	shm->listeners.pid = victim_spawn_listeners(shm, pc->abstract, shm->victim_path, pc->marker,
						    ready[1], drain[2][0]);
	close(ready[1]);
	for (int i = 0; i < 3; i++) {
		close(drain[i][0]);
		drain_w[i] = drain[i][1];
	}
	if (shm->signal_victim.pid < 0 || shm->sacrificial.pid < 0 || shm->listeners.pid < 0 ||
	    !wait_ready(ready[0], 3, 3000)) {
		perr_set(&e, "the pod's victims did not start");
		pod_fail(shm, &e);
		return PARITY_EXIT_INFRA;
	}
	close(ready[0]);
	/* The harness forks the pod before any of its threads exist (a fork in
	 * a multi-threaded process can inherit a lock held by another thread),
	 * then starts the witnesses and says go. */
	{
		char go = 0;
		struct pollfd gp = {.fd = pc->go_fd, .events = POLLIN};
		atomic_store(&shm->pod_stage, LAB_POD_GO);
		if (poll(&gp, 1, 15000) <= 0 || read(pc->go_fd, &go, 1) != 1 || go != 'g') {
			perr_set(&e, "the harness did not start its witnesses");
			pod_fail(shm, &e);
			return PARITY_EXIT_INFRA;
		}
		close(pc->go_fd);
	}

	snprintf(proxy, sizeof(proxy), "%s%s%s:%u", strchr(p->net.proxy_host, ':') ? "[" : "",
		 p->net.proxy_host, strchr(p->net.proxy_host, ':') ? "]" : "", p->net.proxy_port);
#define ENV(fmt, ...) snprintf(env[k], sizeof(env[k]), fmt, __VA_ARGS__), envp[k] = env[k], k++
	ENV("PARITY_MARKER=%s", pc->marker);
	ENV("PARITY_SINK_V4=%s", LAB_SINK_V4);
	ENV("PARITY_SINK_V6=%s", LAB_SINK_V6);
	ENV("PARITY_DNS_V4=%s", LAB_DNS_V4);
	ENV("PARITY_DNS_V6=%s", LAB_DNS_V6);
	ENV("PARITY_PROXY=%s", proxy);
	ENV("PARITY_ALLOWED=%s", LAB_ALLOWED);
	ENV("PARITY_VICTIM_PID=%d", (int)shm->signal_victim.pid);
	ENV("PARITY_VICTIM_ABSTRACT=%s", pc->abstract);
	ENV("PARITY_VICTIM_PATH=%s", shm->victim_path);
	envp[k] = NULL;

	run_opts_init(&o);
	o.profile = p;
	o.policy_path = pc->c->policy_path
			    ? pc->c->policy_path
			    : profile_policy_path(p->net.proxy_open ? "lab-open" : "lab", policy,
						  sizeof(policy));
	o.landlock_abi_cap = pc->c->landlock_abi_cap;
	o.compat = pc->c->compat;
	o.argv = pc->c->argv;
	o.extra_env = envp;
	o.extra_ro = pc->c->extra_ro;
	o.proxy_log_fd = pc->plog_fd;
	o.agent_stdin = open("/dev/null", O_RDONLY | O_CLOEXEC);
	o.agent_stdout = pc->out_w;
	o.agent_stderr = pc->err_w;
	o.timeout_ms = pc->c->timeout_ms;
	o.export_supervisor_pid = true;
	o.proxy_probe_ms = PROXY_PROBE_MS;
	o.on_agent_started = pod_agent_started;
	o.on_agent_exited = pod_agent_exited;
	o.hook_arg = shm;
	shm->supervisor_pid = getpid();
	shm->mounts_before = lab_count_lines("/proc/self/mountinfo");
	pod_bait(shm);

	rep = report_new(p->name, p->path);
	atomic_store(&shm->pod_stage, LAB_POD_ENFORCER);
	rc = enforcer_run(&o, rep, &res, &e);
	atomic_store(&shm->pod_stage, LAB_POD_RETURNED);
	shm->run_returned = true;
	shm->agent_pid = res.agent_pid;
	shm->proxy_pid = res.proxy_pid;
	shm->exec_done = res.exec_done;
	shm->timed_out = res.timed_out;
	shm->agent_status = res.status;
	shm->proxy_died_early = res.proxy_died_early;
	shm->proxy_probed = res.proxy_probed;
	shm->proxy_fate = res.proxy_fate;
	shm->proxy_probe_port = res.proxy_probe_port;
	shm->proxy_status = res.proxy_status;
	shm->setup_ms = res.setup_ms;
	shm->run_ms = res.run_ms;
	if (rc < 0) {
		shm->setup_failed = 1;
		shm->setup_feature_missing = e.feature_missing;
		perr_str(&e, shm->setup_error, sizeof(shm->setup_error));
	}
	{
		char *s = json_dumps(report_json(rep), JSON_COMPACT);
		if (s && strlen(s) < sizeof(shm->report))
			memcpy(shm->report, s, strlen(s) + 1);
		free(s);
	}
	report_free(rep);
	/* Let each victim count what is queued for it before the pod (and
	 * they) go: on a busy machine they may not have run since the agent
	 * sent it. Then read their states. */
	shm->victims_settled = victims_drain(shm, drain_w, VICTIMS_DRAIN_MS);
	victim_poll_state(&shm->signal_victim);
	victim_poll_state(&shm->sacrificial);
	victim_poll_state(&shm->listeners);
	return 0;
}
