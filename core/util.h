/* util.h - small helpers shared by every layer: files, fds, time, randomness. */
#ifndef PARITY_UTIL_H
#define PARITY_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Read a whole file (NUL-terminated). Returns NULL and sets e on failure. */
char *util_read_file(const char *path, size_t *len, struct perr *e);
/* The same, refusing (a usage error naming the file) one over max bytes
 * (0: no limit): for files a user hands in, which may be /dev/zero. */
char *util_read_file_max(const char *path, size_t *len, size_t max, struct perr *e);
/* What a profile, a policy or an expectation set may weigh. */
#define UTIL_CONFIG_MAX (4u << 20)
/* Read a small text file such as a sysctl; trailing newline removed.
 * Returns 0, or -errno. */
int util_read_text(const char *path, char *buf, size_t len);
/* The state letter of /proc/<pid>/stat (R, S, D, T, t, Z, X, ...), read
 * from the /proc this process has mounted; 0 when there is no such
 * process or the file cannot be read. */
char util_proc_state(pid_t pid);
/* Write all of buf to fd, retrying on EINTR and short writes. */
int util_write_all(int fd, const void *buf, size_t len);
/* Write a string to a file (sysctls). Returns 0 or -errno. */
int util_write_text(const char *path, const char *text);
/* Read until EOF or len bytes. Returns bytes read or -errno. */
ssize_t util_read_all(int fd, void *buf, size_t len);

/* Monotonic time in nanoseconds / milliseconds. */
uint64_t util_now_ns(void);
double util_now_ms(void);
/* After snprintf may have cut s: drop a UTF-8 sequence left incomplete
 * at its end (jansson refuses such a string, and a json_pack() would
 * return NULL and drop the object holding it). */
void util_utf8_trim(char *s);
/* Wall clock as RFC 3339 with milliseconds, UTC. */
void util_rfc3339(char *buf, size_t len);

/* `len` random bytes from getrandom(2). */
int util_random(void *buf, size_t len);
/* A fresh marker: "pm" + 24 lowercase hex digits (DNS-label safe). */
void util_marker(char out[27]);

/* Parse a base-10 integer in [min,max]. Returns 0 or -1. */
int util_parse_long(const char *s, long min, long max, long *out);

/* What is wrong with a comma-separated list given on the command line: an
 * empty item ("a,,b", a leading or trailing comma) or more than max_len
 * characters (the callers split it in a buffer of that size). NULL: fine. */
const char *util_list_problem(const char *s, size_t max_len);

/* Wait for a child with a timeout (ms); on timeout kill it with SIGKILL.
 * Returns the wait status, or -1 with errno. *timed_out is set if killed. */
int util_wait_timeout(pid_t pid, int timeout_ms, bool *timed_out);

/* Describe a wait status: "exit 3", "killed by SIGSYS". */
const char *util_status_str(int status, char *buf, size_t len);
/* Exit code for a status: WEXITSTATUS, or 128+signal. */
int util_status_code(int status);

/* Signal name without the SIG prefix ("KILL"), or a number. */
const char *util_signame(int sig);
/* errno symbol ("EACCES"), or a number. */
const char *util_errname(int err);

/* Directory of the running parity executable (for the sandbox's Landlock
 * rules) and its path. */
const char *util_self_exe(void);

/* mkdir -p, 0755. Returns 0 or -1 with e set. */
int util_mkdir_p(const char *path, struct perr *e);
/* A new file at path, for writing: whatever is there (a leftover, a
 * symbolic link planted to send the write elsewhere) is removed first, and
 * the file is made with O_EXCL|O_NOFOLLOW. An fd, or -1 with errno. */
int util_open_new(const char *path);
/* path, made if missing, must be a real directory: not a symbolic link
 * (writes under it would land elsewhere), not a file. 0, or -1 with e. */
int util_real_dir(const char *path, struct perr *e);

/* A data directory of the source tree or the installation ("enforcer/
 * profiles", "matrix/expectations"): $ENV if set, else found from the
 * executable (build dir next to the sources, or ../share/parity/<last
 * component>), else the source tree parity was built from. Cached in out
 * (PATH_MAX bytes). */
const char *util_data_dir(const char *env, const char *rel, char *out, const char *source_root);

/* Close every fd >= lowfd except those listed. */
void util_close_fds_from(int lowfd, const int *keep, size_t nkeep);

/* Name this process "parity-<role>" (its comm: what ps, top, perf and
 * /proc/PID/comm show), so that a run's processes tell their roles apart. */
void util_name_role(const char *role);

#endif
