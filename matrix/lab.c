/* lab.c - build a lab, run one program in it under a profile, collect what
 * every witness saw. See lab.h for the topology, lab_int.h for the lab's
 * other files. */
#include "lab_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "nft.h"
#include "nl.h"
#include "pidns.h"
#include "sinks.h"
#include "util.h"

static const char *const env_names[] = {
    "PARITY_MARKER",	      "PARITY_SINK_V4",	    "PARITY_SINK_V6",	     "PARITY_DNS_V4",
    "PARITY_DNS_V6",	      "PARITY_PROXY",	    "PARITY_ALLOWED",	     "PARITY_VICTIM_PID",
    "PARITY_VICTIM_ABSTRACT", "PARITY_VICTIM_PATH", "PARITY_SUPERVISOR_PID", NULL};

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

/* The pod's supervisor, found among init's children by its pid in the
 * pod (NSpid's last field): after it exits, init's children are the
 * victims it left, which a program may have stopped too. 0: not found. */
static long find_supervisor(pid_t init, pid_t pod_pid)
{
	char path[64], buf[1024], st[1024], *tok, *save = NULL;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)init, (int)init);
	if (pod_pid <= 0 || util_read_text(path, buf, sizeof(buf)) < 0)
		return 0;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		char *ns, *last;
		snprintf(path, sizeof(path), "/proc/%s/status", tok);
		if (util_read_text(path, st, sizeof(st)) < 0 || !(ns = strstr(st, "\nNSpid:")))
			continue;
		ns[strcspn(ns + 1, "\n") + 1] = '\0';
		last = strrchr(ns, '\t');
		if (last && atol(last + 1) == (long)pod_pid)
			return atol(tok);
	}
	return 0;
}

/* Whether a thread in a tracing stop is traced from inside the pod (the
 * program) rather than from outside it (a developer's strace -f of the
 * harness, which must not read as an escape). */
static bool traced_from_pod(pid_t init, const char *task_status)
{
	const char *t = strstr(task_status, "\nTracerPid:");
	char path[64];
	struct stat a, b;
	long tracer;

	if (!t || (tracer = atol(t + 11)) <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/ns/pid", tracer);
	if (stat(path, &a) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)init);
	return stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* The supervisor's state, thread by thread: 'T' when stopped by a signal,
 * 't' when one of its threads is in a tracing stop under a tracer from the
 * pod, else 0 (running, gone, or not found). */
static char supervisor_state(pid_t init, pid_t pod_pid)
{
	long sup = find_supervisor(init, pod_pid);
	char path[96], buf[2048];
	char found = 0;
	struct dirent *de;
	DIR *d;

	if (!sup)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/task", sup);
	if (!(d = opendir(path)))
		return 0;
	while (!found && (de = readdir(d))) {
		char *rp;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%s/stat", sup, de->d_name);
		if (util_read_text(path, buf, sizeof(buf)) < 0 || !(rp = strrchr(buf, ')')) ||
		    rp[1] != ' ')
			continue;
		if (rp[2] == 'T') {
			found = 'T';
		} else if (rp[2] == 't') {
			snprintf(path, sizeof(path), "/proc/%ld/task/%s/status", sup, de->d_name);
			if (util_read_text(path, buf, sizeof(buf)) == 0 &&
			    traced_from_pod(init, buf))
				found = 't';
		}
	}
	closedir(d);
	return found;
}

/* Wait for the pod's init, looking at its supervisor every 50 ms. A
 * supervisor that is stopped (a SIGSTOP, SIGTSTP.. or a tracer from the
 * sandbox) is recorded in *stopped; still stopped 500 ms later, the pod is
 * killed: it would otherwise hang until the bound and end INCONCLUSIVE,
 * hiding the escape. Returns init's wait status (-1: lost). */
static int wait_pod(pid_t init, const struct lab_shm *shm, int timeout_ms, bool *timed_out,
		    char *stopped)
{
	int pidfd = (int)syscall(SYS_pidfd_open, init, 0), status = -1;
	uint64_t now = util_now_ns(), deadline = now + (uint64_t)timeout_ms * 1000000ull;
	uint64_t stopped_since = 0;

	*timed_out = false;
	if (pidfd < 0)
		return util_wait_timeout(init, timeout_ms, timed_out);
	for (;;) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		char st;
		int r = poll(&p, 1, 50);

		if (r < 0 && errno != EINTR) {
			/* Cannot wait any more: end it rather than block below. */
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
			break;
		}
		if (r > 0)
			break; /* init exited */
		now = util_now_ns();
		st = supervisor_state(init, shm->supervisor_pid);
		if (st) {
			if (!*stopped)
				*stopped = st;
			if (!stopped_since)
				stopped_since = now;
			if (now - stopped_since >= 500000000ull) {
				syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
				break;
			}
		} else {
			stopped_since = 0;
		}
		if (now >= deadline) {
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
			*timed_out = true;
			break;
		}
	}
	close(pidfd);
	while (waitpid(init, &status, 0) < 0 && errno == EINTR)
		;
	return status;
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
	init = pidns_spawn_watched(lab_pod_main, &pc, CLONE_NEWNS, false, NULL,
				   &shm->supervisor_watch, e);
	if (init < 0)
		goto out;
	close(gop[0]);
	gop[0] = -1;
	{
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)init);
		st.init_host = init;
		st.pod_pidns = lab_ino_of(path);
	}
	/* The witnesses: watching before the pod is told to go. */
	{
		struct capture_opts co = {.max_store_bytes = c->capture_max_bytes};
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
	st.victim_abstract = pc.abstract;
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
	pthread_create(&rout.th, NULL, lab_reader_main, &rout);
	pthread_create(&rerr.th, NULL, lab_reader_main, &rerr);
	readers = true;

	/* The program's own timeout is enforced by the supervisor; this bound
	 * is for a supervisor that hangs or dies, or is stopped. */
	status = wait_pod(init, shm, (c->timeout_ms ? c->timeout_ms : 10000) + 5000, &timed_out,
			  &o->supervisor_stopped);
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
	o->out_len = rout.buf ? rout.len : 0;
	o->err_len = rerr.buf ? rerr.len : 0;
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
		/* Only a refusal for a missing kernel feature is N/A; any other
		 * failure to set the sandbox up (a fork, the veth, the proxy, a
		 * program the sandbox cannot exec) is the lab's: INCONCLUSIVE.
		 * It was N/A, "never ran", left out of the expectations. */
		if (shm->setup_feature_missing) {
			o->sandbox_refused = true;
			snprintf(o->sandbox_error, sizeof(o->sandbox_error), "%s",
				 shm->setup_error);
		} else {
			o->infra_failed = true;
			snprintf(o->infra_error, sizeof(o->infra_error), "%s: %s",
				 shm->run_returned ? "the sandbox could not be set up"
						   : "pod setup",
				 shm->setup_error);
		}
	}
	if (timed_out) {
		o->infra_failed = true;
		static const char *const stage[] = {
		    "its main never ran: stuck in its init's set-up",
		    "joining the pod netns",
		    "writing its resolv.conf",
		    "starting the victims",
		    "waiting for the witnesses' go",
		    "in enforcer_run",
		    "after enforcer_run"};
		int ps = atomic_load(&shm->pod_stage);
		snprintf(o->infra_error, sizeof(o->infra_error),
			 "the pod did not finish in time (last stage: %s)",
			 ps >= 0 && ps < (int)ARRAY_SIZE(stage) ? stage[ps] : "?");
	}

	/* What each witness saw. */
	lab_judge_witnesses(c, o, shm, status, sinks, cap, plog);
	lab_judge_inspections(o, st.requests);
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
