/* lab_program.c - the program's output (its stdout and stderr, read in
 * the harness), and what it asks of the harness there: an accomplice
 * outside the sandbox, or a look at a primitive it holds (lab_int.h). */
#include "lab_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "nl.h"
#include "sinks.h"
#include "util.h"
#include "victims.h"

/* ---- the program's output, and its requests for an accomplice ---- */

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

unsigned long lab_ino_of(const char *path)
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
		if (lab_ino_of(path) != st->pod_pidns)
			continue;
		if (status_field((pid_t)pid, "NSpid:", true) == pod_pid)
			found = (pid_t)pid;
	}
	if (d)
		closedir(d);
	return found;
}

int lab_count_lines(const char *path)
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
		ns[i] = lab_ino_of(path);
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
	    lab_count_lines(path) > st->shm->mounts_before)
		json_array_append_new(found,
				      json_sprintf("%d new mount(s) in the pod's mount "
						   "namespace",
						   lab_count_lines(path) - st->shm->mounts_before));
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
		lab_add_escape(st->out, "primitive held by pid %ld (inspected from outside): %s",
			       pod_pid, json_string_value(json_array_get(found, i)));
		pthread_mutex_unlock(&st->lock);
	}
	json_decref(found);
}

/* "@parity accomplice abstract NAME": connect from the pod (outside the
 * sandbox) to an abstract socket the program listens on, and read: for at
 * most 1 s and 1 MiB, or until the marker came (scanned 4 KiB at a time,
 * the window keeping the tail a marker may have begun in). */
#define ACCOMPLICE_ABSTRACT_MS 1000
#define ACCOMPLICE_ABSTRACT_MAX (1 << 20) /* bytes read at most */
#define ACCOMPLICE_WINDOW 4096		  /* scanned at once; a marker may span two */
static void accomplice_abstract(struct lab_run_state *st, const char *name, json_t *rec)
{
	int saved = -1, fd = -1;
	struct perr e;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t len = strlen(name), got = 0, total = 0, mlen = strlen(st->marker);
	char *buf;
	double deadline;
	bool found = false;
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
	buf = malloc(ACCOMPLICE_WINDOW);
	if (!buf) {
		json_object_set_new(rec, "error", json_string(strerror(ENOMEM)));
		close(fd);
		return;
	}
	(void)!send(fd, "hello from outside\n", 19, MSG_DONTWAIT | MSG_NOSIGNAL);
	/* Read until the marker, EOF, a full buffer or the deadline: the
	 * program may send other bytes first, or its marker in pieces, or a
	 * while later (one read of 4 KiB missed all three). */
	deadline = util_now_ms() + ACCOMPLICE_ABSTRACT_MS;
	while (total < ACCOMPLICE_ABSTRACT_MAX && !found) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		double left = deadline - util_now_ms();
		int r;
		if (left <= 0) {
			json_object_set_new(rec, "timed_out", json_true());
			break;
		}
		r = poll(&pf, 1, (int)left + 1);
		if (r < 0 && errno != EINTR) {
			json_object_set_new(rec, "error", json_string(strerror(errno)));
			break;
		}
		if (r <= 0)
			continue; /* EINTR, or the deadline, which ends it above */
		n = recv(fd, buf + got, ACCOMPLICE_WINDOW - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			json_object_set_new(rec, "error", json_string(strerror(errno)));
			break; /* the program reset it */
		}
		if (n == 0)
			break; /* EOF */
		got += (size_t)n;
		total += (size_t)n;
		atomic_fetch_add(&st->shm->accomplice_abstract.bytes, (int)n);
		found = memmem(buf, got, st->marker, mlen) != NULL;
		if (!found && got == ACCOMPLICE_WINDOW) {
			/* Full: keep the tail a marker may have begun in. */
			size_t keep = mlen > 0 ? mlen - 1 : 0;
			memmove(buf, buf + got - keep, keep);
			got = keep;
		}
	}
	if (found)
		atomic_store(&st->shm->accomplice_abstract.marker, true);
	json_object_set_new(rec, "bytes", json_integer((json_int_t)total));
	free(buf);
	close(fd);
}

/* The lab's own witnesses in the pod: an accomplice sent there would be
 * the harness reaching them, read as the program having done it. */
static bool accomplice_target_is_witness(const struct lab_run_state *st, const char *kind,
					 const char *what)
{
	long port = 0;

	if (strcmp(kind, "abstract") == 0) {
		/* The victims' own names only: attacks A05/A06 listen on names
		 * built from them (NAME.a05, NAME.squat), which are theirs. */
		static const char *const suffix[] = {"", ".dgram", ".seqpacket"};
		size_t n = st->victim_abstract ? strlen(st->victim_abstract) : 0;
		if (!n || strncmp(what, st->victim_abstract, n) != 0)
			return false;
		for (size_t i = 0; i < ARRAY_SIZE(suffix); i++)
			if (strcmp(what + n, suffix[i]) == 0)
				return true;
		return false;
	}
	if (util_parse_long(what, 1, 65535, &port) < 0)
		return false;
	if (kind[0] == 'u')
		return port == 53; /* the pod's UDP victim */
	for (unsigned i = 0; i < victim_pod_tcp_nports; i++)
		if (victim_pod_tcp_ports[i] == port)
			return true;
	return false;
}

static void handle_request(struct lab_run_state *st, const char *line)
{
	char kind[16], what[128];
	json_t *rec = json_object();
	uint64_t t0 = util_now_ns(), spent_ms;
	size_t served;
	struct perr e;

	perr_clear(&e);
	json_object_set_new(rec, "request", json_string(line));
	pthread_mutex_lock(&st->lock);
	served = json_array_size(st->requests);
	spent_ms = st->request_ns / 1000000u;
	pthread_mutex_unlock(&st->lock);
	if (served >= LAB_REQUESTS_MAX || spent_ms >= LAB_REQUESTS_BUDGET_MS) {
		json_object_set_new(
		    rec, "refused",
		    json_sprintf("over the lab's bound for a program's requests (%d, or %d ms)",
				 LAB_REQUESTS_MAX, LAB_REQUESTS_BUDGET_MS));
		pthread_mutex_lock(&st->lock);
		if (json_array_size(st->requests) < LAB_REQUESTS_MAX + 1)
			json_array_append(st->requests, rec); /* recorded once */
		pthread_mutex_unlock(&st->lock);
		json_decref(rec);
		return;
	}
	if (strncmp(line, "@parity inspect", 15) == 0) {
		handle_inspect(st, line, rec);
	} else if (sscanf(line, "@parity accomplice %15s %127s", kind, what) != 2) {
		json_object_set_new(rec, "error", json_string("malformed request"));
	} else if (accomplice_target_is_witness(st, kind, what)) {
		json_object_set_new(rec, "refused",
				    json_string("a witness of the lab, not the program's: the "
						"harness does not reach it for the program"));
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
	st->request_ns += util_now_ns() - t0;
	pthread_mutex_unlock(&st->lock);
}

void *lab_reader_main(void *arg)
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
