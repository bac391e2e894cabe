/* err.h - errors carried with context up to the one place that reports them.
 *
 * A function that can fail takes a `struct perr *` and returns -1 after
 * filling it with perr_set()/perr_errno(): the errno (0 when not a system
 * error), an exit-code class, and a message saying what was being done.
 * Callers add context with perr_prefix(). Only the top (a CLI front) prints.
 */
#ifndef PARITY_ERR_H
#define PARITY_ERR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Exit codes shared by every subcommand. */
enum parity_exit {
	PARITY_EXIT_OK = 0,
	PARITY_EXIT_FAIL = 1,  /* a regression / check failed */
	PARITY_EXIT_USAGE = 2, /* bad CLI arguments, profile, policy, expectations */
	PARITY_EXIT_INFRA = 3, /* the lab, a witness or the kernel setup failed */
};

struct perr {
	int sys_errno; /* errno of the failing call, 0 if not a system error */
	enum parity_exit kind;
	/* The run needs a kernel feature that is missing (--compat hard, a
	 * syscall too new): the lab's N/A, not a failure (INCONCLUSIVE). */
	bool feature_missing;
	char msg[1024];
};

/* Set a usage/configuration error (exit 2). Returns -1. */
int perr_usage(struct perr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set an infrastructure error without errno (exit 3). Returns -1. */
int perr_set(struct perr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set an infrastructure error from errno `err` (exit 3). Returns -1. */
int perr_sys(struct perr *e, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prepend "context: " to the message. Returns -1. */
int perr_prefix(struct perr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void perr_clear(struct perr *e);
/* Print "parity: <msg>[: strerror]" to stderr and return the exit code. */
int perr_report(const struct perr *e, const char *prog);
/* Format the message with the errno text into buf. */
const char *perr_str(const struct perr *e, char *buf, size_t len);

#endif
