#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int perr_vset(struct perr *e, enum parity_exit kind, int err, const char *fmt, va_list ap)
{
	if (!e)
		return -1;
	e->kind = kind;
	e->sys_errno = err;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return -1;
}

int perr_usage(struct perr *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	perr_vset(e, PARITY_EXIT_USAGE, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int perr_set(struct perr *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	perr_vset(e, PARITY_EXIT_INFRA, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int perr_sys(struct perr *e, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	perr_vset(e, PARITY_EXIT_INFRA, err, fmt, ap);
	va_end(ap);
	return -1;
}

int perr_prefix(struct perr *e, const char *fmt, ...)
{
	char head[512], old[sizeof(e->msg)];
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%s: %s", head, old);
	return -1;
}

void perr_clear(struct perr *e)
{
	memset(e, 0, sizeof(*e));
}

const char *perr_str(const struct perr *e, char *buf, size_t len)
{
	if (e->sys_errno)
		snprintf(buf, len, "%s: %s", e->msg, strerror(e->sys_errno));
	else
		snprintf(buf, len, "%s", e->msg);
	return buf;
}

int perr_report(const struct perr *e, const char *prog)
{
	char buf[1400];

	fprintf(stderr, "%s: %s\n", prog ? prog : "parity", perr_str(e, buf, sizeof(buf)));
	return e->kind ? (int)e->kind : PARITY_EXIT_INFRA;
}
