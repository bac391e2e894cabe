/* lab.c - build a lab, run one program in it under a profile, collect what
 * every witness saw. See lab.h for the topology. */
#include "lab.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "flows.h"
#include "lab_shm.h"
#include "nft.h"
#include "nl.h"
#include "pidns.h"
#include "proxy_child.h"
#include "sinks.h"
#include "util.h"
#include "victims.h"

#define LAB_OUT_MAX (256 * 1024)

static const char *const env_names[] = {"PARITY_MARKER",
					"PARITY_SINK_V4",
					"PARITY_SINK_V6",
					"PARITY_DNS_V4",
					"PARITY_DNS_V6",
					"PARITY_PROXY",
					"PARITY_ALLOWED",
					"PARITY_VICTIM_PID",
					"PARITY_VICTIM_ABSTRACT",
					"PARITY_SUPERVISOR_PID",
					NULL};

const char *const *lab_env_names(void)
{
	return env_names;
}

/* ---- the network ---- */

struct lab_net {
	int wan_fd, pod_fd;
};

static int lab_net_build(struct lab_net *n, struct perr *e)
{
	struct nl_ctx *wan = NULL, *pod = NULL;
	static const char *const wan_lo[] = {LAB_SINK_V4 "/32",	   LAB_DNS_V4 "/32",
					     LAB_ALLOWED_V4 "/32", LAB_SINK_V6 "/128",
					     LAB_DNS_V6 "/128",	   NULL};
	struct nft_pod_cfg nat = {
	    .table = "parity_pod", .subnet = "10.200.0.0/24", .uplink = "eth0"};
	int rc = -1;

	n->wan_fd = n->pod_fd = -1;
	if (nl_netns_new(&n->wan_fd, NL_NETNS_NODAD, e) < 0 ||
	    nl_netns_new(&n->pod_fd, NL_NETNS_NODAD | NL_NETNS_FORWARD, e) < 0)
		goto out;
	if (!(wan = nl_ctx_open(n->wan_fd, e)) || !(pod = nl_ctx_open(n->pod_fd, e)))
		goto out;
	if (nl_veth_create(wan, "pod0", "eth0", n->pod_fd, e) < 0 || nl_link_up(wan, "lo", e) < 0)
		goto out;
	for (size_t i = 0; wan_lo[i]; i++)
		if (nl_addr_add(wan, "lo", wan_lo[i], e) < 0)
			goto out;
	if (nl_addr_add(wan, "pod0", LAB_WAN_V4 "/24", e) < 0 ||
	    nl_addr_add(wan, "pod0", LAB_WAN_V6 "/64", e) < 0 || nl_link_up(wan, "pod0", e) < 0)
		goto out;
	if (nl_link_up(pod, "lo", e) < 0 || nl_addr_add(pod, "eth0", LAB_POD_V4 "/24", e) < 0 ||
	    nl_addr_add(pod, "eth0", LAB_POD_V6 "/64", e) < 0 || nl_link_up(pod, "eth0", e) < 0 ||
	    nl_route_add_default(pod, LAB_WAN_V4, e) < 0 ||
	    nl_route_add_default(pod, LAB_WAN_V6, e) < 0)
		goto out;
	/* The pod widens ping_group_range as many distributions do, so ICMP
	 * ping sockets are a real channel there (U10); a sandbox netns starts
	 * with the kernel default "1 0", as the reference notes. */
	if (netns_sysctl_write(n->pod_fd, "net/ipv4/ping_group_range", "0 2147483647", e) < 0)
		goto out;
	/* Namespace mode: the pod forwards and masquerades the sandbox subnet,
	 * so nftables and not missing routes is what stops an escape. */
	if (nft_apply_pod_nat(n->pod_fd, &nat, e) < 0)
		goto out;
	/* Once the sandbox's netns is gone its veth and the connected route
	 * to the subnet go with it, and a packet the proxy still sends to the
	 * sandbox (the FIN of a connection the agent's death closed) would
	 * take the default route into wan: a supervisor packet the capture
	 * would judge a direct flow from the pod. Unreachable, not wan. */
	if (nl_route_add_unreachable(pod, nat.subnet, 4096, e) < 0)
		goto out;
	if (nl_link_wait_ready(wan, "pod0", 2000, e) < 0 ||
	    nl_link_wait_ready(pod, "eth0", 2000, e) < 0)
		goto out;
	rc = 0;
out:
	nl_ctx_close(wan);
	nl_ctx_close(pod);
	if (rc < 0) {
		perr_prefix(e, "lab network");
		if (n->wan_fd >= 0)
			close(n->wan_fd);
		if (n->pod_fd >= 0)
			close(n->pod_fd);
		n->wan_fd = n->pod_fd = -1;
	}
	return rc;
}

/* ---- the pod: victims, resolv.conf, the supervisor ---- */

struct pod_ctx {
	const struct lab_config *c;
	struct lab_shm *shm;
	int pod_fd;
	int out_w, err_w, plog_fd;
	int go_fd; /* one byte: the witnesses are watching; EOF: give up */
	const char *marker;
	char abstract[64];
};

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
	shm->setup_exit_kind = PARITY_EXIT_INFRA;
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

static int count_lines(const char *path);

/* The victims' final count (victims.h); in a quiet lab it takes well
 * under a millisecond. */
#define VICTIMS_DRAIN_MS 500
/* The proxy's post-run probe (proxy_probe_fate): a live proxy answers in
 * well under a millisecond; the bound is for a loaded machine. */
#define PROXY_PROBE_MS 2000

static int pod_main(void *arg)
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
	char env[10][160];
	char *envp[11];
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
	if (setns(pc->pod_fd, CLONE_NEWNET) < 0) {
		perr_sys(&e, errno, "join the pod netns");
		pod_fail(shm, &e);
		return PARITY_EXIT_INFRA;
	}
	close(pc->pod_fd);
	if (pod_resolv_conf(&e) < 0) {
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
	shm->signal_victim.pid = victim_spawn_signal(shm, vuid, vgid, ready[1], drain[0][0]);
	shm->sacrificial.pid = victim_spawn_sacrificial(shm, vuid, vgid, ready[1], drain[1][0]);
	shm->listeners.pid =
	    victim_spawn_listeners(shm, pc->abstract, pc->marker, ready[1], drain[2][0]);
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
	o.hook_arg = shm;
	shm->supervisor_pid = getpid();
	shm->mounts_before = count_lines("/proc/self/mountinfo");
	pod_bait(shm);

	rep = report_new(p->name, p->path);
	rc = enforcer_run(&o, rep, &res, &e);
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
		shm->setup_exit_kind = e.kind;
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

/* ---- the program's output, and its requests for an accomplice ---- */

static void add_escape(struct lab_outcome *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct reader {
	int fd;
	char *buf;
	size_t len;
	bool parse_requests;
	struct lab_run_state *st;
	pthread_t th;
};

struct lab_run_state {
	struct sinks *sinks;
	int pod_fd;
	pid_t init_host;	 /* the pod's init, in the harness's numbering */
	unsigned long pod_pidns; /* inode of the pod's PID namespace */
	struct lab_outcome *out;
	struct lab_shm *shm;
	const char *marker;
	pthread_mutex_t lock;
	json_t *requests; /* what the program asked for, and what happened */
};

/* ---- "@parity inspect PID": a primitive the attack holds ----
 *
 * Some layers guard primitives no network witness can see: a new user or
 * network namespace, a mount, a bpf program or map, an io_uring. An attack
 * holding one prints "@parity inspect PID" (PID as the pod sees it: itself
 * or a child) and waits; the harness, root outside, compares that process
 * with the agent as it was when it first spoke: namespaces, mount count,
 * and the kernel objects its fds name. The attack only points; the facts
 * are read from /proc by the harness. */

static const char *const ns_names[8] = {"user", "mnt", "net",	 "pid_for_children",
					"ipc",	"uts", "cgroup", "time"};

static unsigned long ino_of(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (unsigned long)sb.st_ino : 0;
}

static long status_field(pid_t pid, const char *field, bool last)
{
	char path[64], line[512];
	long v = -1;
	FILE *f;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, strlen(field)) == 0) {
			char *p = line + strlen(field), *end;
			for (;;) {
				long x = strtol(p, &end, 10);
				if (end == p)
					break;
				v = x;
				p = end;
				if (!last)
					break;
			}
			break;
		}
	}
	fclose(f);
	return v;
}

/* The harness's pid of the process the pod calls `pod_pid`. */
static pid_t host_pid_of(struct lab_run_state *st, pid_t pod_pid)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;
	while (d && (de = readdir(d)) && !found) {
		char path[64];
		long pid;
		if (util_parse_long(de->d_name, 1, INT_MAX, &pid) < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/pid", pid);
		if (ino_of(path) != st->pod_pidns)
			continue;
		if (status_field((pid_t)pid, "NSpid:", true) == pod_pid)
			found = (pid_t)pid;
	}
	if (d)
		closedir(d);
	return found;
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "re");
	int n = 0, c;
	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void read_ns(pid_t pid, unsigned long ns[8])
{
	char path[96];
	for (int i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_names[i]);
		ns[i] = ino_of(path);
	}
}

/* What the agent's namespaces must be: the pod supervisor's (the enforcer
 * changes none of them for the agent) except the network namespace, which
 * the enforcer reports. Not a snapshot of the agent: an attack that acts
 * before anyone looks cannot hide. */
static bool expected_ns(struct lab_run_state *st, unsigned long ns[8], pid_t *agent_host)
{
	pid_t agent = 0, sup;
	for (int i = 0; i < 100 && !(agent = atomic_load(&st->shm->agent_pid_live)); i++)
		usleep(5000);
	if (!agent || !(sup = host_pid_of(st, st->shm->supervisor_pid)) ||
	    !(*agent_host = host_pid_of(st, agent)))
		return false;
	read_ns(sup, ns);
	ns[2] = atomic_load(&st->shm->agent_netns_ino);
	return ns[2] != 0;
}

static bool descends_from(pid_t pid, pid_t ancestor)
{
	for (int depth = 0; pid > 1 && depth < 64; depth++) {
		if (pid == ancestor)
			return true;
		pid = (pid_t)status_field(pid, "PPid:", false);
	}
	return false;
}

static void handle_inspect(struct lab_run_state *st, const char *line, json_t *rec)
{
	static const char *const objects[] = {"anon_inode:bpf-prog",	 "anon_inode:bpf-map",
					      "anon_inode:bpf_link",	 "anon_inode:[io_uring]",
					      "anon_inode:[perf_event]", "anon_inode:[userfaultfd]",
					      "anon_inode:[pidfd]",	 NULL};
	long pod_pid;
	pid_t host, agent_host = 0;
	unsigned long ns[8], want[8];
	char path[96];
	json_t *found = json_array();
	DIR *d;
	struct dirent *de;

	if (sscanf(line, "@parity inspect %ld", &pod_pid) != 1 || pod_pid < 1) {
		json_object_set_new(rec, "error", json_string("expected @parity inspect PID"));
		json_decref(found);
		return;
	}
	if (!expected_ns(st, want, &agent_host)) {
		json_object_set_new(rec, "error", json_string("the agent is not known yet"));
		json_decref(found);
		return;
	}
	host = host_pid_of(st, (pid_t)pod_pid);
	if (!host || !descends_from(host, agent_host)) {
		json_object_set_new(rec, "error",
				    json_string("not the agent or one of its descendants"));
		json_decref(found);
		return;
	}
	read_ns(host, ns);
	for (int i = 0; i < 8; i++)
		if (ns[i] && want[i] && ns[i] != want[i])
			json_array_append_new(found,
					      json_sprintf("a new %s namespace", ns_names[i]));
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)host);
	if (ns[1] == want[1] && st->shm->mounts_before > 0 &&
	    count_lines(path) > st->shm->mounts_before)
		json_array_append_new(found,
				      json_sprintf("%d new mount(s) in the pod's mount "
						   "namespace",
						   count_lines(path) - st->shm->mounts_before));
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)host);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		char fp[128], target[128];
		ssize_t n;
		if (de->d_name[0] == '.')
			continue;
		snprintf(fp, sizeof(fp), "/proc/%d/fd/%s", (int)host, de->d_name);
		n = readlink(fp, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		for (size_t i = 0; objects[i]; i++)
			if (strcmp(target, objects[i]) == 0)
				json_array_append_new(
				    found, json_sprintf("fd %s is %s", de->d_name, target));
	}
	if (d)
		closedir(d);
	json_object_set_new(rec, "pid", json_integer(pod_pid));
	json_object_set(rec, "held", found);
	/* Looked: the attack waits for this to go on (attack_request_inspect).
	 * To the thread the PID names, which is the one waiting. */
	if (tgkill(host, host, SIGURG) < 0)
		json_object_set_new(rec, "answer", json_string(strerror(errno)));
	for (size_t i = 0; i < json_array_size(found); i++) {
		pthread_mutex_lock(&st->lock);
		add_escape(st->out, "primitive held by pid %ld (inspected from outside): %s",
			   pod_pid, json_string_value(json_array_get(found, i)));
		pthread_mutex_unlock(&st->lock);
	}
	json_decref(found);
}

/* "@parity accomplice abstract NAME": connect from the pod (outside the
 * sandbox) to an abstract socket the program listens on, and read. */
static void accomplice_abstract(struct lab_run_state *st, const char *name, json_t *rec)
{
	int saved = -1, fd = -1;
	struct perr e;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	char buf[4096];
	ssize_t n;

	perr_clear(&e);
	if (len + 1 > sizeof(a.sun_path)) {
		json_object_set_new(rec, "error", json_string("name too long"));
		return;
	}
	memcpy(a.sun_path + 1, name, len);
	if (nl_netns_enter(st->pod_fd, &saved, &e) < 0) {
		json_object_set_new(rec, "error", json_string(e.msg));
		return;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	nl_netns_leave(saved, &e);
	if (fd < 0) {
		json_object_set_new(rec, "error", json_string(strerror(errno)));
		return;
	}
	if (connect(fd, (struct sockaddr *)&a,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) < 0) {
		json_object_set_new(rec, "connected", json_false());
		json_object_set_new(rec, "error", json_string(strerror(errno)));
		close(fd);
		return;
	}
	atomic_fetch_add(&st->shm->accomplice_abstract.connections, 1);
	json_object_set_new(rec, "connected", json_true());
	{
		struct timeval tv = {.tv_sec = 1};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	(void)!write(fd, "hello from outside\n", 19);
	n = read(fd, buf, sizeof(buf));
	if (n > 0) {
		atomic_fetch_add(&st->shm->accomplice_abstract.bytes, (int)n);
		if (memmem(buf, (size_t)n, st->marker, strlen(st->marker)))
			atomic_store(&st->shm->accomplice_abstract.marker, true);
	}
	json_object_set_new(rec, "bytes", json_integer(n > 0 ? n : 0));
	close(fd);
}

static void handle_request(struct lab_run_state *st, const char *line)
{
	char kind[16], what[128];
	json_t *rec = json_object();
	struct perr e;

	perr_clear(&e);
	json_object_set_new(rec, "request", json_string(line));
	if (strncmp(line, "@parity inspect", 15) == 0) {
		handle_inspect(st, line, rec);
	} else if (sscanf(line, "@parity accomplice %15s %127s", kind, what) != 2) {
		json_object_set_new(rec, "error", json_string("malformed request"));
	} else if (strcmp(kind, "tcp") == 0 || strcmp(kind, "tcp6") == 0 ||
		   strcmp(kind, "udp") == 0 || strcmp(kind, "udp6") == 0) {
		long port;
		bool v6 = kind[3] == '6';
		if (util_parse_long(what, 1, 65535, &port) < 0) {
			json_object_set_new(rec, "error", json_string("bad port"));
		} else if (sinks_accomplice_connect(
			       st->sinks, kind[0] == 't' ? IPPROTO_TCP : IPPROTO_UDP,
			       v6 ? LAB_POD_V6 : LAB_POD_V4, (uint16_t)port, &e) < 0) {
			json_object_set_new(rec, "error", json_string(e.msg));
		} else {
			json_object_set_new(rec, "done", json_true());
		}
	} else if (strcmp(kind, "abstract") == 0) {
		accomplice_abstract(st, what, rec);
	} else {
		json_object_set_new(rec, "error", json_string("unknown accomplice kind"));
	}
	pthread_mutex_lock(&st->lock);
	json_array_append_new(st->requests, rec);
	pthread_mutex_unlock(&st->lock);
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	size_t scanned = 0;

	for (;;) {
		ssize_t n;
		if (r->len + 4096 > LAB_OUT_MAX) {
			char sink[4096];
			n = read(r->fd, sink, sizeof(sink)); /* keep draining, keep nothing */
		} else {
			n = read(r->fd, r->buf + r->len, 4096);
			if (n > 0)
				r->len += (size_t)n;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		r->buf[r->len] = 0;
		if (!r->parse_requests)
			continue;
		for (;;) {
			char *line = r->buf + scanned;
			char *nl = memchr(line, '\n', r->len - scanned);
			if (!nl)
				break;
			*nl = 0;
			if (strncmp(line, "@parity accomplice ", 19) == 0 ||
			    strncmp(line, "@parity inspect", 15) == 0)
				handle_request(r->st, line);
			*nl = '\n';
			scanned = (size_t)(nl - r->buf) + 1;
		}
	}
	return NULL;
}

/* ---- judging what the witnesses saw (facts only; the verdict is not here) ---- */

static void add_escape(struct lab_outcome *o, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(o->escapes, json_string(buf));
	o->escaped = true;
}

static json_t *listener_json(const struct lab_listener_counts *l)
{
	return json_pack("{s:i,s:i,s:b}", "connections", atomic_load(&l->connections), "bytes",
			 atomic_load(&l->bytes), "marker", atomic_load(&l->marker));
}

static const char *state_name(int s)
{
	static const char *const names[] = {"alive", "stopped", "killed", "exited", "not started"};
	return s >= 0 && s <= 4 ? names[s] : "?";
}

static json_t *victim_json(const struct lab_victim_status *v)
{
	int s = atomic_load(&v->state);
	json_t *j = json_pack("{s:i,s:s}", "pid", (int)v->pid, "state", state_name(s));
	if (s == VICTIM_STOPPED || s == VICTIM_KILLED)
		json_object_set_new(j, "signal", json_string(util_signame(v->signal)));
	return j;
}

static void judge_victims(struct lab_outcome *o, struct lab_shm *shm, json_t *ev)
{
	json_t *sig = json_object();
	int total = atomic_load(&shm->signals_total);
	const struct {
		const char *name;
		const struct lab_listener_counts *l;
	} ls[] = {
	    {"abstract_stream", &shm->abstract_stream},
	    {"abstract_dgram", &shm->abstract_dgram},
	    {"abstract_seqpacket", &shm->abstract_seqpacket},
	    {"pod_tcp_services", &shm->pod_tcp},
	    {"pod_udp_53", &shm->pod_udp},
	};
	json_t *received = json_object();

	for (int s = 1; s < 65; s++) {
		int n = atomic_load(&shm->signals[s]);
		if (n) {
			json_object_set_new(received, util_signame(s), json_integer(n));
			add_escape(o, "signal victim (pid %d) received SIG%s x%d",
				   (int)shm->signal_victim.pid, util_signame(s), n);
		}
	}
	json_object_set_new(sig, "received", received);
	json_object_set_new(sig, "total", json_integer(total));
	json_object_set_new(sig, "process", victim_json(&shm->signal_victim));
	json_object_set_new(ev, "signal_victim", sig);
	json_object_set_new(ev, "sacrificial_victim", victim_json(&shm->sacrificial));
	for (size_t i = 0; i < ARRAY_SIZE(ls); i++) {
		json_object_set_new(ev, ls[i].name, listener_json(ls[i].l));
		if (atomic_load(&ls[i].l->connections) || atomic_load(&ls[i].l->bytes))
			add_escape(o, "%s victim reached: %d connection(s)/datagram(s), %d bytes%s",
				   ls[i].name, atomic_load(&ls[i].l->connections),
				   atomic_load(&ls[i].l->bytes),
				   atomic_load(&ls[i].l->marker) ? ", marker seen" : "");
	}
	if (atomic_load(&shm->sacrificial.state) == VICTIM_STOPPED ||
	    atomic_load(&shm->sacrificial.state) == VICTIM_KILLED)
		add_escape(o, "sacrificial victim %s by SIG%s", state_name(shm->sacrificial.state),
			   util_signame(shm->sacrificial.signal));
	if (atomic_load(&shm->signal_victim.state) == VICTIM_STOPPED ||
	    atomic_load(&shm->signal_victim.state) == VICTIM_KILLED)
		add_escape(o, "signal victim %s by SIG%s", state_name(shm->signal_victim.state),
			   util_signame(shm->signal_victim.signal));
	if (atomic_load(&shm->listeners.state) == VICTIM_KILLED ||
	    atomic_load(&shm->listeners.state) == VICTIM_STOPPED)
		add_escape(o, "listener victim %s by SIG%s", state_name(shm->listeners.state),
			   util_signame(shm->listeners.signal));
	json_object_set_new(ev, "accomplice_abstract", listener_json(&shm->accomplice_abstract));
	if (atomic_load(&shm->accomplice_abstract.marker))
		add_escape(o, "accomplice read the marker from the program's abstract socket");
}

/* Parse the proxy's JSON-lines log (docs/proxy.md) into flow records for the
 * capture judge: every upstream dial ("connect") and resolver query ("dns")
 * with its exact 5-tuple. */
static size_t proxy_records(const char *log, struct flow_record **out, json_t *lines)
{
	size_t cap = 16, n = 0;
	struct flow_record *v = calloc(cap, sizeof(*v));
	const char *p = log;

	while (v && p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		json_error_t je;
		json_t *j = json_loadb(p, len, 0, &je);
		const char *kind, *la, *ra;
		json_int_t lp, rp;
		p = nl ? nl + 1 : NULL;
		if (!j)
			continue;
		json_array_append(lines, j);
		kind = json_string_value(json_object_get(j, "kind"));
		la = json_string_value(json_object_get(j, "local_addr"));
		ra = json_string_value(json_object_get(j, "remote_addr"));
		lp = json_integer_value(json_object_get(j, "local_port"));
		rp = json_integer_value(json_object_get(j, "remote_port"));
		if (kind && la && ra && lp > 0 && rp > 0 &&
		    (strcmp(kind, "connect") == 0 || strcmp(kind, "dns") == 0)) {
			if (n == cap) {
				struct flow_record *nv = realloc(v, cap * 2 * sizeof(*v));
				if (!nv) {
					json_decref(j);
					break;
				}
				v = nv;
				cap *= 2;
			}
			memset(&v[n], 0, sizeof(v[n]));
			v[n].proto = strcmp(kind, "dns") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
			snprintf(v[n].local, sizeof(v[n].local), "%s", la);
			snprintf(v[n].remote, sizeof(v[n].remote), "%s", ra);
			v[n].lport = (uint16_t)lp;
			v[n].rport = (uint16_t)rp;
			n++;
		}
		json_decref(j);
	}
	*out = v;
	return n;
}

/* The supervisor's post-run probe (enforcer.h, proxy_probe_ms) is refused
 * by the proxy and logged like any request: its line is the lab's, not the
 * program's. It is the only refused method from the probe's port. */
static void drop_probe_line(json_t *lines, uint16_t probe_port)
{
	size_t i;
	json_t *l;

	if (!probe_port)
		return;
	json_array_foreach (lines, i, l) {
		const char *kind = json_string_value(json_object_get(l, "kind"));
		const char *dec = json_string_value(json_object_get(l, "decision"));
		if (kind && dec && strcmp(kind, "request") == 0 &&
		    strcmp(dec, "method_not_allowed") == 0 &&
		    json_integer_value(json_object_get(l, "client_port")) == probe_port) {
			json_array_remove(lines, i);
			return;
		}
	}
}

static char *read_memfd(int fd)
{
	struct stat st;
	char *buf;
	if (fstat(fd, &st) < 0)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

struct capture_stopper {
	struct capture *cap;
	int rc;
	struct perr e;
};

static void *capture_stop_main(void *arg)
{
	struct capture_stopper *cs = arg;
	perr_clear(&cs->e);
	cs->rc = capture_stop(cs->cap, &cs->e);
	return NULL;
}

int lab_run(const struct lab_config *c, struct lab_outcome *o, struct perr *e)
{
	struct lab_net net = {-1, -1};
	struct lab_shm *shm = MAP_FAILED;
	struct capture *cap = NULL;
	struct sinks *sinks = NULL;
	struct sinks_config sc;
	struct pod_ctx pc;
	struct lab_run_state st;
	struct reader rout = {0}, rerr = {0};
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, gop[2] = {-1, -1}, plog = -1;
	pid_t init = -1;
	bool timed_out = false, readers = false;
	uint64_t t0 = util_now_ns(), t1, t2;
	int status = 0, rc = -1;
	json_t *ev;

	memset(o, 0, sizeof(*o));
	util_marker(o->marker);
	o->escapes = json_array();
	o->evidence = ev = json_object();
	memset(&st, 0, sizeof(st));
	pthread_mutex_init(&st.lock, NULL);
	st.requests = json_array();

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		perr_sys(e, errno, "mmap lab memory");
		goto out;
	}
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		perr_sys(e, errno, "pipe");
		goto out;
	}
	plog = memfd_create("parity-proxy-log", MFD_CLOEXEC);
	if (plog < 0) {
		perr_sys(e, errno, "memfd_create");
		goto out;
	}
	if (lab_net_build(&net, e) < 0)
		goto out;

	if (pipe2(gop, O_CLOEXEC) < 0) {
		perr_sys(e, errno, "pipe");
		goto out;
	}
	/* The pod. */
	memset(&pc, 0, sizeof(pc));
	pc.c = c;
	pc.shm = shm;
	pc.pod_fd = net.pod_fd;
	pc.out_w = outp[1];
	pc.err_w = errp[1];
	pc.plog_fd = plog;
	pc.marker = o->marker;
	pc.go_fd = gop[0];
	snprintf(pc.abstract, sizeof(pc.abstract), "parity-victim-%.12s", o->marker + 2);
	init = pidns_spawn(pod_main, &pc, CLONE_NEWNS, false, NULL, e);
	if (init < 0)
		goto out;
	close(gop[0]);
	gop[0] = -1;
	{
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)init);
		st.init_host = init;
		st.pod_pidns = ino_of(path);
	}
	/* The witnesses: watching before the pod is told to go. */
	{
		struct capture_opts co = {0};
		if (capture_begin(&cap, net.wan_fd, "pod0", &co, e) < 0)
			goto out;
	}
	memset(&sc, 0, sizeof(sc));
	sc.netns_fd = net.wan_fd;
	sc.marker = o->marker;
	sc.sink_v4 = LAB_SINK_V4;
	sc.sink_v6 = LAB_SINK_V6;
	sc.dns_v4 = LAB_DNS_V4;
	sc.dns_v6 = LAB_DNS_V6;
	sc.allowed_v4 = LAB_ALLOWED_V4;
	/* Every process of the pod is dead when the witnesses stop, so what is
	 * left is only in the kernel's queues (veth delivers synchronously to
	 * the peer's backlog): a short quiet period is enough. */
	sc.settle_idle_ms = 5;
	sc.settle_max_ms = 100;
	if (sinks_start(&sinks, &sc, e) < 0 || capture_ready(cap, e) < 0)
		goto out;
	st.sinks = sinks;
	st.out = o;
	st.pod_fd = net.pod_fd;
	st.shm = shm;
	st.marker = o->marker;
	if (write(gop[1], "g", 1) != 1) {
		/* EPIPE: the pod died before it was told to go; it says why in
		 * the shared page (a guest without /etc/resolv.conf, ...). */
		int err = errno;
		if (shm->setup_failed)
			perr_set(e, "the lab's pod failed before it started: %s", shm->setup_error);
		else
			perr_sys(e, err, "start the pod");
		goto out;
	}
	close(gop[1]);
	gop[1] = -1;
	t1 = util_now_ns();
	o->lab_ms = (double)(t1 - t0) / 1e6;

	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;

	rout.fd = outp[0];
	rout.buf = malloc(LAB_OUT_MAX + 1);
	rout.parse_requests = true;
	rout.st = &st;
	rerr.fd = errp[0];
	rerr.buf = malloc(LAB_OUT_MAX + 1);
	rerr.st = &st;
	if (!rout.buf || !rerr.buf) {
		perr_sys(e, ENOMEM, "output buffers");
		goto out;
	}
	rout.buf[0] = rerr.buf[0] = 0;
	pthread_create(&rout.th, NULL, reader_main, &rout);
	pthread_create(&rerr.th, NULL, reader_main, &rerr);
	readers = true;

	/* The program's own timeout is enforced by the supervisor; this bound
	 * is for a supervisor that hangs or dies. */
	status =
	    util_wait_timeout(init, (c->timeout_ms ? c->timeout_ms : 10000) + 5000, &timed_out);
	init = -1;
	pthread_join(rout.th, NULL);
	pthread_join(rerr.th, NULL);
	readers = false;
	t2 = util_now_ns();
	o->run_ms = (double)(t2 - t1) / 1e6;

	/* Stop the witnesses (each drains what is still in flight). Their
	 * settle periods overlap: the capture stops in its own thread. */
	{
		struct capture_stopper cs = {.cap = cap};
		pthread_t th;
		bool threaded = pthread_create(&th, NULL, capture_stop_main, &cs) == 0;
		int src = sinks_stop(sinks, e);
		if (threaded)
			pthread_join(th, NULL);
		else
			capture_stop_main(&cs);
		if (src < 0 || cs.rc < 0) {
			o->infra_failed = true;
			snprintf(o->infra_error, sizeof(o->infra_error), "witness failed: %s",
				 src < 0 ? e->msg : cs.e.msg);
		}
	}

	/* The program. */
	o->out = rout.buf;
	o->err = rerr.buf;
	rout.buf = rerr.buf = NULL;
	o->exec_done = shm->exec_done;
	o->status = shm->agent_status;
	o->timed_out = shm->timed_out;
	o->enforcer_ms = shm->setup_ms;
	o->program_ms = shm->run_ms;
	if (shm->report[0]) {
		json_error_t je;
		o->report = json_loads(shm->report, 0, &je);
	}
	if (shm->setup_failed && !shm->exec_done) {
		if (shm->setup_exit_kind == PARITY_EXIT_INFRA && !shm->run_returned) {
			o->infra_failed = true;
			snprintf(o->infra_error, sizeof(o->infra_error), "pod setup: %s",
				 shm->setup_error);
		} else {
			o->sandbox_refused = true;
			snprintf(o->sandbox_error, sizeof(o->sandbox_error), "%s",
				 shm->setup_error);
		}
	}
	if (timed_out) {
		o->infra_failed = true;
		snprintf(o->infra_error, sizeof(o->infra_error), "the pod did not finish in time");
	}

	/* What each witness saw. */
	{
		json_t *sup = json_object();
		bool alive = shm->run_returned;
		char st_s[64];
		json_object_set_new(sup, "pid", json_integer(shm->supervisor_pid));
		json_object_set_new(sup, "alive", json_boolean(alive));
		json_object_set_new(sup, "proxy_alive", json_boolean(!shm->proxy_died_early));
		/* null: not probed (the proxy was already gone, or never ran) */
		json_object_set_new(sup, "proxy_probe",
				    shm->proxy_probed
					? json_string(proxy_fate_name(shm->proxy_fate))
					: json_null());
		/* false: a victim did not answer the final drain in time, so its
		 * counts may miss what was still queued for it */
		json_object_set_new(sup, "victims_settled", json_boolean(shm->victims_settled));
		if (!alive && !o->infra_failed && !shm->setup_failed) {
			add_escape(o, "supervisor (pid %d) died during the run: pod %s",
				   (int)shm->supervisor_pid,
				   util_status_str(status, st_s, sizeof(st_s)));
		}
		if (shm->proxy_died_early)
			add_escape(o, "proxy (pid %d) died %s: %s", (int)shm->proxy_pid,
				   shm->proxy_probed ? "before it could answer the lab's post-run "
						       "probe"
						     : "while the program ran",
				   util_status_str(shm->proxy_status, st_s, sizeof(st_s)));
		if (shm->proxy_probed && shm->proxy_fate == PROXY_FATE_STOPPED)
			add_escape(o,
				   "proxy (pid %d) stopped: it did not answer the lab's post-run "
				   "probe, and /proc says it is stopped or traced",
				   (int)shm->proxy_pid);
		json_object_set_new(ev, "supervisor", sup);
	}
	judge_victims(o, shm, ev);
	if (sinks) {
		json_object_set_new(ev, "sinks", sinks_evidence(sinks));
		if (sinks_saw_marker(sinks))
			add_escape(o, "a network sink in wan received the marker (see sinks)");
	}
	{
		char *log = read_memfd(plog);
		struct flow_record *recs = NULL;
		json_t *lines = json_array();
		size_t nrec = proxy_records(log ? log : "", &recs, lines);
		drop_probe_line(lines, shm->proxy_probe_port);
		/* The bait is the lab's own flow, not the program's. */
		if (shm->bait_lport > 0) {
			struct flow_record *nr = realloc(recs, (nrec + 1) * sizeof(*recs));
			if (nr) {
				recs = nr;
				memset(&recs[nrec], 0, sizeof(recs[nrec]));
				recs[nrec].proto = IPPROTO_TCP;
				snprintf(recs[nrec].local, sizeof(recs[nrec].local), "%s",
					 LAB_POD_V4);
				recs[nrec].lport = (uint16_t)shm->bait_lport;
				snprintf(recs[nrec].remote, sizeof(recs[nrec].remote), "%s",
					 LAB_SINK_V4);
				recs[nrec].rport = 8080;
				nrec++;
			}
		}
		struct capture_verdict v;
		static const char *const pod_addrs[] = {LAB_POD_V4, LAB_POD_V6, "10.200.0.0/24",
							NULL};
		static const char *const svc[] = {LAB_SINK_V4, LAB_SINK_V6,    LAB_DNS_V4,
						  LAB_DNS_V6,  LAB_ALLOWED_V4, NULL};
		struct perr je;

		/* The proxy is a layer under test too: a tunnel it opened to anything
		 * but the lab's one allowed upstream is a pivot that worked (T13,
		 * D05, D07), whether or not a sink listened there. */
		{
			size_t li;
			json_t *l;
			json_array_foreach (lines, li, l) {
				const char *kind = json_string_value(json_object_get(l, "kind"));
				const char *dec = json_string_value(json_object_get(l, "decision"));
				const char *ra =
				    json_string_value(json_object_get(l, "remote_addr"));
				if (kind && dec && ra && strcmp(kind, "connect") == 0 &&
				    strcmp(dec, "allowed") == 0 && strcmp(ra, LAB_ALLOWED_V4) != 0)
					add_escape(
					    o,
					    "the proxy allowed and dialed %s:%lld for CONNECT "
					    "%s:%lld (outside the lab's allowlist)",
					    ra,
					    json_integer_value(json_object_get(l, "remote_port")),
					    json_string_value(json_object_get(l, "host")),
					    json_integer_value(json_object_get(l, "port")));
			}
		}
		json_object_set_new(ev, "proxy_log", lines);
		if (capture_judge(cap, o->marker, pod_addrs, svc, recs, nrec, &v, &je) == 0) {
			json_object_set_new(ev, "capture", capture_verdict_json(&v, 64));
			if (!v.ok) {
				o->infra_failed = true;
				snprintf(o->infra_error, sizeof(o->infra_error),
					 "capture witness failed: %s", v.failure);
			}
			for (unsigned i = 0; i < v.flows; i++) {
				const struct capture_flow *f = &v.flowv[i];
				if (f->why)
					add_escape(o, "capture: %s flow %s%s: %s",
						   capture_class_name(f->cls),
						   (f->why & CAPTURE_WHY_DIRECT) ? "direct-egress"
										 : "",
						   (f->why & CAPTURE_WHY_MARKER) ? " +marker" : "",
						   f->first);
			}
			if (c->pcap_path) {
				char comment[256];
				snprintf(comment, sizeof(comment), "parity cell %s marker %s",
					 c->cell_id ? c->cell_id : "-", o->marker);
				if (capture_write_pcapng(cap, c->pcap_path, comment, &v, &je) < 0)
					json_object_set_new(ev, "pcap_error", json_string(je.msg));
				else
					json_object_set_new(ev, "pcap", json_string(c->pcap_path));
			}
			capture_verdict_free(&v);
		} else {
			o->infra_failed = true;
			snprintf(o->infra_error, sizeof(o->infra_error), "capture judge: %s",
				 je.msg);
		}
		free(recs);
		free(log);
	}
	json_object_set_new(ev, "accomplice_requests", json_incref(st.requests));
	o->judge_ms = (double)(util_now_ns() - t2) / 1e6;
	rc = 0;
out:
	if (init > 0) {
		kill(init, SIGKILL);
		waitpid(init, &status, 0);
	}
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[1] >= 0)
		close(errp[1]);
	for (int i = 0; i < 2; i++)
		if (gop[i] >= 0)
			close(gop[i]);
	if (readers) {
		pthread_join(rout.th, NULL);
		pthread_join(rerr.th, NULL);
	}
	free(rout.buf);
	free(rerr.buf);
	if (outp[0] >= 0)
		close(outp[0]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (plog >= 0)
		close(plog);
	sinks_free(sinks);
	capture_free(cap);
	if (net.wan_fd >= 0)
		close(net.wan_fd);
	if (net.pod_fd >= 0)
		close(net.pod_fd);
	if (shm != MAP_FAILED)
		munmap(shm, sizeof(*shm));
	json_decref(st.requests);
	pthread_mutex_destroy(&st.lock);
	if (rc < 0) {
		o->infra_failed = true;
		if (!o->infra_error[0])
			snprintf(o->infra_error, sizeof(o->infra_error), "%s", e->msg);
	}
	return rc;
}

void lab_outcome_free(struct lab_outcome *o)
{
	free(o->out);
	free(o->err);
	json_decref(o->report);
	json_decref(o->evidence);
	json_decref(o->escapes);
	memset(o, 0, sizeof(*o));
}
