#include "util.h"

#include <dirent.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *util_read_file(const char *path, size_t *len, struct perr *e)
{
	return util_read_file_max(path, len, 0, e);
}

char *util_read_file_max(const char *path, size_t *len, size_t max, struct perr *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf;

	if (fd < 0) {
		perr_sys(e, errno, "open %s", path);
		if (e)
			e->kind = PARITY_EXIT_USAGE;
		return NULL;
	}
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		perr_sys(e, ENOMEM, "read %s", path);
		return NULL;
	}
	for (;;) {
		ssize_t r;
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				close(fd);
				perr_sys(e, ENOMEM, "read %s", path);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		if (max && n > max) {
			free(buf);
			close(fd);
			perr_usage(e, "%s: larger than %zu bytes: not a configuration file", path,
				   max);
			return NULL;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;
			free(buf);
			close(fd);
			perr_sys(e, err, "read %s", path);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	if (max && memchr(buf, '\0', n)) {
		/* Parsed as a C string, the text would end there, unseen. */
		perr_usage(e, "%s: a NUL byte at offset %zu: not a text file", path,
			   (size_t)((char *)memchr(buf, '\0', n) - buf));
		free(buf);
		return NULL;
	}
	if (len)
		*len = n;
	return buf;
}

int util_read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (len == 0)
		return -EINVAL;
	if (fd < 0)
		return -errno;
	r = read(fd, buf, len - 1);
	if (r < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	close(fd);
	buf[r] = 0;
	while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == ' '))
		buf[--r] = 0;
	return 0;
}

char util_proc_state(pid_t pid)
{
	char path[64], buf[512], *rp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || util_read_text(path, buf, sizeof(buf)) < 0)
		return 0;
	rp = strrchr(buf, ')'); /* the name may hold ')' and spaces */
	return rp && rp[1] == ' ' ? rp[2] : 0;
}

int util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int util_write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (util_write_all(fd, text, strlen(text)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

ssize_t util_read_all(int fd, void *buf, size_t len)
{
	size_t n = 0;
	while (n < len) {
		ssize_t r = read(fd, (char *)buf + n, len - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

uint64_t util_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double util_now_ms(void)
{
	return (double)util_now_ns() / 1e6;
}

void util_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", base, ts.tv_nsec / 1000000);
}

int util_random(void *buf, size_t len)
{
	size_t n = 0;
	while (n < len) {
		ssize_t r = getrandom((char *)buf + n, len - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		n += (size_t)r;
	}
	return 0;
}

void util_marker(char out[27])
{
	unsigned char raw[12];
	static const char hex[] = "0123456789abcdef";

	if (util_random(raw, sizeof(raw)) < 0) {
		/* getrandom cannot fail on a running kernel with these sizes;
		 * fall back to time and pid so a marker is still unique. */
		uint64_t t = util_now_ns() ^ ((uint64_t)getpid() << 32);
		memcpy(raw, &t, 8);
		memset(raw + 8, 0x5a, 4);
	}
	out[0] = 'p';
	out[1] = 'm';
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 + 2 * i] = hex[raw[i] >> 4];
		out[3 + 2 * i] = hex[raw[i] & 15];
	}
	out[26] = 0;
}

int util_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	/* strtol would skip leading blanks and take a sign: " 5" or "+5" is
	 * not what anyone typed on purpose. */
	if (!s || !*s ||
	    !(isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1]))))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

const char *util_list_problem(const char *s, size_t max_len)
{
	size_t len = strlen(s);

	if (len >= max_len)
		return "too long";
	if (len == 0 || s[0] == ',' || s[len - 1] == ',' || strstr(s, ",,"))
		return "an empty item";
	return NULL;
}

int util_wait_timeout(pid_t pid, int timeout_ms, bool *timed_out)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int status = 0;

	if (timed_out)
		*timed_out = false;
	if (pidfd >= 0) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		int r;
		do
			r = poll(&p, 1, timeout_ms);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
			if (timed_out)
				*timed_out = true;
		}
		close(pidfd);
	} else {
		/* Kernels before 5.3: poll with waitpid(WNOHANG). */
		uint64_t deadline = util_now_ns() + (uint64_t)timeout_ms * 1000000ull;
		for (;;) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid)
				return status;
			if (w < 0 && errno != EINTR)
				return -1;
			if (util_now_ns() > deadline) {
				kill(pid, SIGKILL);
				if (timed_out)
					*timed_out = true;
				break;
			}
			usleep(2000);
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return status;
}

const char *util_status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by SIG%s", util_signame(WTERMSIG(status)));
	else
		snprintf(buf, len, "status 0x%x", status);
	return buf;
}

int util_status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

const char *util_signame(int sig)
{
	static __thread char buf[16];
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		return abbrev;
	snprintf(buf, sizeof(buf), "%d", sig);
	return buf;
}

const char *util_errname(int err)
{
	static __thread char buf[16];
	const char *name = strerrorname_np(err);
	if (name)
		return name;
	snprintf(buf, sizeof(buf), "%d", err);
	return buf;
}

const char *util_self_exe(void)
{
	static char path[PATH_MAX];
	if (!path[0]) {
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
		if (n < 0)
			return NULL;
		path[n] = 0;
	}
	return path;
}

/* close_range(2) (5.9) between the kept fds: a few syscalls, where a scan
 * of /proc/self/fd costs an open, a readdir and a close per fd. */
static int close_ranges(int lowfd, const int *keep, size_t nkeep)
{
	int k[16], n = 0, from = lowfd;

	if (nkeep > ARRAY_SIZE(k))
		return -1;
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] >= lowfd)
			k[n++] = keep[i];
	for (int i = 1; i < n; i++) /* insertion sort: n is tiny */
		for (int j = i; j > 0 && k[j - 1] > k[j]; j--) {
			int t = k[j];
			k[j] = k[j - 1];
			k[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		if (k[i] < from)
			continue; /* a duplicate */
		if (k[i] > from && syscall(SYS_close_range, from, k[i] - 1, 0) < 0)
			return -1;
		from = k[i] + 1;
	}
	return syscall(SYS_close_range, from, ~0U, 0) < 0 ? -1 : 0;
}

void util_close_fds_from(int lowfd, const int *keep, size_t nkeep)
{
	DIR *d;

	if (close_ranges(lowfd, keep, nkeep) == 0)
		return;
	d = opendir("/proc/self/fd");
	struct dirent *de;
	int dfd;

	if (!d) {
		for (int fd = lowfd; fd < 1024; fd++) {
			bool k = false;
			for (size_t i = 0; i < nkeep; i++)
				k |= keep[i] == fd;
			if (!k)
				close(fd);
		}
		return;
	}
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		long fd;
		bool k = false;
		if (util_parse_long(de->d_name, 0, INT_MAX, &fd) < 0)
			continue;
		if (fd < lowfd || fd == dfd)
			continue;
		for (size_t i = 0; i < nkeep; i++)
			k |= keep[i] == fd;
		if (!k)
			close((int)fd);
	}
	closedir(d);
}

int util_mkdir_p(const char *path, struct perr *e)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return perr_sys(e, errno, "mkdir %s", buf);
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return perr_sys(e, errno, "mkdir %s", buf);
	return 0;
}

int util_open_new(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
}

int util_real_dir(const char *path, struct perr *e)
{
	struct stat st;

	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return perr_sys(e, errno, "mkdir %s", path);
	if (lstat(path, &st) < 0)
		return perr_sys(e, errno, "%s", path);
	if (S_ISLNK(st.st_mode))
		return perr_usage(e,
				  "%s: a symbolic link, not a directory: refused (what is "
				  "written under it would land elsewhere)",
				  path);
	if (!S_ISDIR(st.st_mode))
		return perr_usage(e, "%s: exists and is not a directory", path);
	return 0;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *util_data_dir(const char *env, const char *rel, char *out, const char *source_root)
{
	const char *v = env ? getenv(env) : NULL;
	const char *exe, *last = strrchr(rel, '/');
	char base[PATH_MAX], cand[PATH_MAX + 128];

	if (v && *v)
		return v;
	if (out[0])
		return out;
	last = last ? last + 1 : rel;
	exe = util_self_exe();
	if (exe) {
		char *slash;
		/* build/parity, build/tests/x, build/bench/x: the sources sit
		 * one, two or three levels up; an install keeps data in share/. */
		const char *up[] = {"/..", "", "/../..", "/../../.."};
		snprintf(base, sizeof(base), "%s", exe);
		slash = strrchr(base, '/');
		if (slash)
			*slash = 0;
		for (size_t i = 0; i < ARRAY_SIZE(up); i++) {
			snprintf(cand, sizeof(cand), "%s%s/%s", base, up[i], rel);
			if (is_dir(cand) && realpath(cand, out))
				return out;
		}
		snprintf(cand, sizeof(cand), "%s/../share/parity/%s", base, last);
		if (is_dir(cand) && realpath(cand, out))
			return out;
	}
	if (source_root) {
		snprintf(cand, sizeof(cand), "%s/%s", source_root, rel);
		if (is_dir(cand) && realpath(cand, out))
			return out;
	}
	snprintf(out, PATH_MAX, "%s", rel);
	return out;
}

void util_name_role(const char *role)
{
	char name[16]; /* TASK_COMM_LEN */

	snprintf(name, sizeof(name), "parity-%s", role);
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

void util_utf8_trim(char *s)
{
	size_t n = strlen(s), i = n, lead;
	unsigned char c;
	size_t want;

	/* Back over continuation bytes (at most 3) to the sequence's lead. */
	while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return;
	lead = i - 1;
	c = (unsigned char)s[lead];
	if (c < 0x80)
		return; /* ASCII: complete */
	want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
	if (want == 0 || n - lead < want)
		s[lead] = '\0';
}
