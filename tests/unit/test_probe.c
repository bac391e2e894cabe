/* test_probe.c - the kernel probe: JSON shape against docs/probe.md, errata
 * decoding, agreement with direct syscalls, nothing leaked, and the
 * Landlock failure mode under a seccomp filter. Needs no root (as root the
 * root-only items are probed too, and the checks still hold). */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "landlock_compat.h"
#include "probe.h"
#include "unit.h"
#include "util.h"

#ifndef SECCOMP_GET_ACTION_AVAIL
#define SECCOMP_GET_ACTION_AVAIL 2
#endif

/* One probe for the read-only tests: probing is the slow part. */
static struct probe shared;
static bool shared_ok;

static const struct probe *probe_once(void)
{
	if (!shared_ok) {
		struct perr e;
		perr_clear(&e);
		shared_ok = probe_run(&shared, &e) == 0;
		CU_ASSERT_FATAL(shared_ok);
	}
	return &shared;
}

/* ----------------------------------------------- docs/probe.md vs JSON */

struct doc_row {
	char path[128];
	char type[32];
};

/* Rows "| `/json/pointer` | type | meaning |" of docs/probe.md. */
static size_t read_doc_rows(struct doc_row *rows, size_t max)
{
	char *text = util_read_file(PARITY_SOURCE_ROOT "/docs/probe.md", NULL, NULL);
	size_t n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *p, *end, *t;
		size_t o = 0;

		if (strncmp(line, "| `/", 4) != 0)
			continue;
		p = line + 3;
		end = strchr(p, '`');
		if (!end || n >= max)
			continue;
		snprintf(rows[n].path, sizeof(rows[n].path), "%.*s", (int)(end - p), p);
		t = end + 1;
		while (*t == ' ' || *t == '|')
			t++;
		/* the type column ends at the next unescaped '|'; "\|" is a
		 * literal bar inside a table cell */
		for (; *t && !(*t == '|' && t[-1] != '\\') && o + 1 < sizeof(rows[n].type); t++) {
			if (*t == '\\' && t[1] == '|')
				continue;
			if (*t != ' ')
				rows[n].type[o++] = *t;
		}
		rows[n].type[o] = 0;
		n++;
	}
	free(text);
	return n;
}

/* RFC 6901 pointer resolution (keys here never contain '~' or '/'). */
static json_t *pointer_get(json_t *root, const char *ptr)
{
	char key[128];
	json_t *cur = root;

	while (cur && *ptr == '/') {
		const char *next = strchr(ptr + 1, '/');
		size_t len = next ? (size_t)(next - ptr - 1) : strlen(ptr + 1);

		snprintf(key, sizeof(key), "%.*s", (int)len, ptr + 1);
		cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
		ptr += len + 1;
	}
	return cur;
}

static bool is_errno_value(json_t *v)
{
	return json_is_null(v) || (json_is_string(v) && json_string_length(v) > 0);
}

static bool check_feature(json_t *v)
{
	const char *state = json_string_value(json_object_get(v, "state"));
	json_t *avail = json_object_get(v, "available");

	return json_is_object(v) && json_object_size(v) == 4 && state &&
	       (!strcmp(state, "yes") || !strcmp(state, "no") || !strcmp(state, "not_probed") ||
		!strcmp(state, "error")) &&
	       json_is_boolean(avail) && json_is_true(avail) == !strcmp(state, "yes") &&
	       is_errno_value(json_object_get(v, "errno")) &&
	       json_string_length(json_object_get(v, "reason")) > 0;
}

static bool check_sysctl(json_t *v)
{
	const char *status = json_string_value(json_object_get(v, "status"));
	json_t *value = json_object_get(v, "value");

	if (!json_is_object(v) || json_object_size(v) != 3 || !status ||
	    !is_errno_value(json_object_get(v, "errno")))
		return false;
	if (!strcmp(status, "ok"))
		return json_is_string(value) && json_is_null(json_object_get(v, "errno"));
	return (!strcmp(status, "absent") || !strcmp(status, "unreadable")) && json_is_null(value);
}

static bool check_errata_array(json_t *v)
{
	size_t i;
	json_t *it;

	if (!json_is_array(v))
		return false;
	json_array_foreach (v, i, it) {
		if (json_object_size(it) != 4 || !json_is_integer(json_object_get(it, "id")) ||
		    !json_is_string(json_object_get(it, "name")) ||
		    !json_is_integer(json_object_get(it, "since_abi")) ||
		    !json_is_string(json_object_get(it, "meaning")))
			return false;
	}
	return true;
}

/* Does v have the documented type ("integer|null", "feature", ...)? */
static bool type_ok(json_t *v, const char *type)
{
	char buf[32], *save = NULL;

	if (!strcmp(type, "feature"))
		return check_feature(v);
	if (!strcmp(type, "sysctl"))
		return check_sysctl(v);
	if (!strcmp(type, "erratum[]"))
		return check_errata_array(v);
	snprintf(buf, sizeof(buf), "%s", type);
	for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
		if ((!strcmp(t, "integer") && json_is_integer(v)) ||
		    (!strcmp(t, "number") && json_is_number(v)) ||
		    (!strcmp(t, "string") && json_is_string(v)) ||
		    (!strcmp(t, "boolean") && json_is_boolean(v)) ||
		    (!strcmp(t, "object") && json_is_object(v)) ||
		    (!strcmp(t, "null") && json_is_null(v)))
			return true;
	}
	return false;
}

/* Every key under obj (path prefix) must be a documented row; objects
 * documented as "object" are descended into. */
static void check_all_documented(json_t *obj, const char *prefix, const struct doc_row *rows,
				 size_t nrows, size_t *checked)
{
	const char *key;
	json_t *v;

	json_object_foreach (obj, key, v) {
		char path[256];
		const struct doc_row *row = NULL;

		snprintf(path, sizeof(path), "%s/%s", prefix, key);
		for (size_t i = 0; i < nrows; i++)
			if (!strcmp(rows[i].path, path))
				row = &rows[i];
		if (!row) {
			fprintf(stderr, "undocumented JSON field %s\n", path);
			CU_FAIL("a JSON field is missing from docs/probe.md");
			continue;
		}
		(*checked)++;
		if (!strcmp(row->type, "object"))
			check_all_documented(v, path, rows, nrows, checked);
	}
}

static void test_json_matches_docs(void)
{
	static struct doc_row rows[256];
	size_t nrows = read_doc_rows(rows, 256), checked = 0, nfeatures = 0;
	json_t *j = probe_to_json(probe_once());

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT(nrows > 60);
	for (size_t i = 0; i < nrows; i++) {
		json_t *v = pointer_get(j, rows[i].path);
		if (!v || !type_ok(v, rows[i].type)) {
			fprintf(stderr, "documented field %s (%s): %s\n", rows[i].path,
				rows[i].type, v ? "wrong type" : "missing");
			CU_FAIL("docs/probe.md and the JSON disagree");
		}
		if (!strcmp(rows[i].type, "feature"))
			nfeatures++;
	}
	check_all_documented(j, "", rows, nrows, &checked);
	CU_ASSERT_EQUAL(checked, nrows);
	/* the enumerable list and the documented features are the same set */
	CU_ASSERT_EQUAL(nfeatures, probe_feature_count());
	for (size_t i = 0; i < probe_feature_count(); i++) {
		char ptr[128];
		const char *path = probe_feature_desc_at(i)->path;
		size_t o = 0;

		ptr[o++] = '/';
		for (; *path && o + 1 < sizeof(ptr); path++)
			ptr[o++] = *path == '.' ? '/' : *path;
		ptr[o] = 0;
		CU_ASSERT(check_feature(pointer_get(j, ptr)));
	}
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "schema")), PROBE_SCHEMA_VERSION);
	json_decref(j);
}

/* ------------------------------------------------------------ errata */

static void test_errata_decoding(void)
{
	const struct probe_erratum *out[8];
	unsigned unknown = 99;
	size_t n;

	n = probe_errata_decode(0, out, 8, &unknown);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(unknown, 0);

	n = probe_errata_decode(0x7, out, 8, &unknown);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(unknown, 0);
	CU_ASSERT_EQUAL(out[0]->id, 1);
	CU_ASSERT_STRING_EQUAL(out[0]->name, "tcp_socket_identification");
	CU_ASSERT_EQUAL(out[0]->since_abi, 4);
	CU_ASSERT_EQUAL(out[1]->id, 2);
	CU_ASSERT_STRING_EQUAL(out[1]->name, "scoped_signal");
	CU_ASSERT_EQUAL(out[1]->since_abi, 6);
	CU_ASSERT_EQUAL(out[2]->id, 3);
	CU_ASSERT_STRING_EQUAL(out[2]->name, "disconnected_directory");
	CU_ASSERT_EQUAL(out[2]->since_abi, 1);

	/* the kernel's numbering: bit (id - 1) */
	for (size_t i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(out[i]->bit, 1U << (out[i]->id - 1));
	CU_ASSERT_EQUAL(PARITY_LL_ERRATUM_TCP_SOCKET_IDENT, probe_erratum_by_bit(1U << 0)->bit);
	CU_ASSERT_EQUAL(PARITY_LL_ERRATUM_SCOPED_SIGNAL, probe_erratum_by_bit(1U << 1)->bit);
	CU_ASSERT_EQUAL(PARITY_LL_ERRATUM_DISCONNECTED_DIR, probe_erratum_by_bit(1U << 2)->bit);

	/* a newer kernel's unknown bit is reported, not dropped */
	n = probe_errata_decode(0x2 | 0x40, out, 8, &unknown);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(out[0]->id, 2);
	CU_ASSERT_EQUAL(unknown, 0x40);
	CU_ASSERT_PTR_NULL(probe_erratum_by_bit(0x40));
	CU_ASSERT_PTR_NULL(probe_erratum_by_bit(0));

	/* a short output array keeps the first ones in bit order */
	n = probe_errata_decode(0x5, out, 1, &unknown);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(out[0]->id, 1);
	CU_ASSERT_EQUAL(unknown, 0);
}

static void test_landlock_status_of_errno(void)
{
	CU_ASSERT_EQUAL(probe_landlock_status_of(0), PROBE_LL_ENABLED);
	CU_ASSERT_EQUAL(probe_landlock_status_of(ENOSYS), PROBE_LL_NOT_BUILT);
	CU_ASSERT_EQUAL(probe_landlock_status_of(EOPNOTSUPP), PROBE_LL_DISABLED);
	CU_ASSERT_EQUAL(probe_landlock_status_of(EPERM), PROBE_LL_BLOCKED);
	CU_ASSERT_EQUAL(probe_landlock_status_of(EINVAL), PROBE_LL_ERROR);
	CU_ASSERT_STRING_EQUAL(probe_landlock_status_name(PROBE_LL_DISABLED), "disabled");
	CU_ASSERT_STRING_EQUAL(probe_state_name(PROBE_NOT_PROBED), "not_probed");
}

/* ----------------------------------------------- agreement with syscalls */

static void test_landlock_agrees_with_syscall(void)
{
	const struct probe *p = probe_once();
	int raw =
	    (int)syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	int raw_err = raw < 0 ? errno : 0;
	int abi, err;

	CU_ASSERT_EQUAL(probe_landlock_abi(&abi, &err), raw < 0 ? -1 : 0);
	CU_ASSERT_EQUAL(abi, raw < 0 ? -1 : raw);
	CU_ASSERT_EQUAL(err, raw_err);
	CU_ASSERT_EQUAL(p->landlock.abi, raw < 0 ? 0 : raw);
	CU_ASSERT_EQUAL(p->landlock.err, raw_err);
	CU_ASSERT_EQUAL(p->landlock.status, probe_landlock_status_of(raw_err));
	if (raw >= 1) {
		int mask = (int)syscall(__NR_landlock_create_ruleset, NULL, 0,
					LANDLOCK_CREATE_RULESET_ERRATA);
		CU_ASSERT_EQUAL(p->landlock.errata_supported, mask >= 0);
		if (mask >= 0)
			CU_ASSERT_EQUAL(p->landlock.errata, (unsigned)mask);
		/* an enabled Landlock can enforce in a fresh child */
		CU_ASSERT_EQUAL(p->landlock.restrict_self.state, PROBE_YES);
	}
}

static void test_seccomp_agrees_with_syscall(void)
{
	static const uint32_t acts[PROBE_SECCOMP_NACTIONS] = {
	    [PROBE_SECCOMP_KILL_PROCESS] = 0x80000000U, [PROBE_SECCOMP_KILL_THREAD] = 0,
	    [PROBE_SECCOMP_TRAP] = 0x00030000U,		[PROBE_SECCOMP_ERRNO] = 0x00050000U,
	    [PROBE_SECCOMP_USER_NOTIF] = 0x7fc00000U,	[PROBE_SECCOMP_TRACE] = 0x7ff00000U,
	    [PROBE_SECCOMP_LOG] = 0x7ffc0000U,		[PROBE_SECCOMP_ALLOW] = 0x7fff0000U,
	};
	const struct probe *p = probe_once();

	for (int a = 0; a < PROBE_SECCOMP_NACTIONS; a++) {
		uint32_t act = acts[a];
		int r = (int)syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &act);
		CU_ASSERT_EQUAL(p->seccomp.actions[a].state, r == 0 ? PROBE_YES : PROBE_NO);
	}
	CU_ASSERT_EQUAL(p->sys.seccomp_mode, prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
	/* the user-notification round trip works wherever the action is
	 * available and a filter can be loaded */
	if (p->seccomp.actions[PROBE_SECCOMP_USER_NOTIF].state == PROBE_YES &&
	    p->seccomp.filter.state == PROBE_YES)
		CU_ASSERT_EQUAL(p->seccomp.user_notif.state, PROBE_YES);
}

static void socket_agrees(const struct probe_feature *f, int domain, int type, int proto)
{
	int fd = socket(domain, type | SOCK_CLOEXEC, proto);
	int err = errno;

	CU_ASSERT_EQUAL(f->state, fd >= 0 ? PROBE_YES : PROBE_NO);
	if (fd >= 0)
		close(fd);
	else
		CU_ASSERT_EQUAL(f->err, err);
}

static void test_protocols_agree_with_socket(void)
{
	const struct probe *p = probe_once();

	socket_agrees(&p->proto.mptcp, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
	socket_agrees(&p->proto.sctp_stream, AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	socket_agrees(&p->proto.sctp_seqpacket, AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	socket_agrees(&p->proto.smc, AF_SMC, SOCK_STREAM, 0);
	socket_agrees(&p->proto.smc_ipproto, AF_INET, SOCK_STREAM, 256);
	socket_agrees(&p->proto.vsock_stream, AF_VSOCK, SOCK_STREAM, 0);
	socket_agrees(&p->proto.udplite, AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
	socket_agrees(&p->proto.ping_v4, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	/* the reason names the call, so an N/A verdict can quote it */
	CU_ASSERT(strstr(p->proto.sctp_stream.reason, "IPPROTO_SCTP") != NULL);
	if (p->proto.sctp_stream.state == PROBE_NO)
		CU_ASSERT(strstr(p->proto.sctp_stream.reason,
				 util_errname(p->proto.sctp_stream.err)) != NULL);
	CU_ASSERT(strstr(p->proto.ping_v4.reason, "ping_group_range") != NULL);
	if (geteuid() != 0 && !(p->sys.cap_eff & (1ULL << 13)))
		CU_ASSERT_EQUAL(p->proto.raw_v4.state, PROBE_NOT_PROBED);
}

static void test_entry_points_agree(void)
{
	const struct probe *p = probe_once();
	struct io_uring ring;
	long r;
	int err;

	err = io_uring_queue_init(2, &ring, 0);
	CU_ASSERT_EQUAL(p->entry.io_uring.state, err == 0 ? PROBE_YES : PROBE_NO);
	if (err == 0)
		io_uring_queue_exit(&ring);
	CU_ASSERT(strstr(p->entry.io_uring.reason, "kernel.io_uring_disabled") != NULL);
#if defined(__x86_64__)
	r = syscall(0x40000000L | 39);
	CU_ASSERT_EQUAL(p->entry.x32.state, r == getpid() ? PROBE_YES : PROBE_NO);
#endif
	(void)r;
}

static void test_identity_and_sysctls_agree(void)
{
	const struct probe *p = probe_once();
	char *status = util_read_file("/proc/self/status", NULL, NULL);
	const char *line;

	CU_ASSERT_EQUAL(p->sys.uid, getuid());
	CU_ASSERT_EQUAL(p->sys.euid, geteuid());
	CU_ASSERT_EQUAL(p->sys.egid, getegid());
	CU_ASSERT_PTR_NOT_NULL_FATAL(status);
	/* capget/prctl against the kernel's own rendering */
	line = strstr(status, "\nCapEff:");
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL(strtoull(line + 8, NULL, 16), p->sys.cap_eff);
	line = strstr(status, "\nCapBnd:");
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL(strtoull(line + 8, NULL, 16), p->sys.cap_bnd);
	line = strstr(status, "\nNoNewPrivs:");
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL(strtol(line + 12, NULL, 10), p->sys.no_new_privs);
	free(status);

	for (int i = 0; i < PROBE_SYSCTL_COUNT; i++) {
		char path[128], buf[64];
		int r;

		snprintf(path, sizeof(path), "/proc/sys/%s", probe_sysctl_name(i));
		for (char *c = path + 10; *c; c++)
			if (*c == '.')
				*c = '/';
		r = util_read_text(path, buf, sizeof(buf));
		CU_ASSERT_EQUAL(p->sysctl[i].present, r == 0);
		if (r == 0) {
			/* the probe only collapses whitespace */
			for (char *c = buf; *c; c++)
				if (*c == '\t')
					*c = ' ';
			CU_ASSERT_STRING_EQUAL(p->sysctl[i].value, buf);
		} else {
			CU_ASSERT_EQUAL(p->sysctl[i].err, -r);
		}
	}
}

/* Only an errno that says the kernel (or a policy) refuses the feature is
 * a "no"; running out of fds or memory, an interrupt or a busy resource
 * leaves the answer unknown ("error"), and a cell that needs it runs. */
static void test_errno_classification(void)
{
	static const int absent[] = {
	    ENOSYS,	EOPNOTSUPP,  EAFNOSUPPORT, EPROTONOSUPPORT, ESOCKTNOSUPPORT,
	    EPROTOTYPE, ENOPROTOOPT, EINVAL,	   EPERM,	    EACCES,
	    ENODEV,	ENOENT,	     ENXIO};
	static const int unknown[] = {0,      EMFILE,  ENFILE,	  ENOMEM,     ENOBUFS, EINTR,
				      EAGAIN, EBUSY,   ETIMEDOUT, EFAULT,     EBADF,   EIO,
				      ENOSPC, EDEADLK, ECHILD,	  EINPROGRESS};

	for (size_t i = 0; i < ARRAY_SIZE(absent); i++)
		CU_ASSERT_TRUE(probe_errno_means_absent(absent[i]));
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		if (probe_errno_means_absent(unknown[i]))
			fprintf(stderr, "%s taken for an absent feature\n",
				util_errname(unknown[i]));
		CU_ASSERT_FALSE(probe_errno_means_absent(unknown[i]));
	}
}

/* ------------------------------------------------------ completeness */

static void test_every_feature_decided(void)
{
	const struct probe *p = probe_once();

	for (size_t i = 0; i < probe_feature_count(); i++) {
		const struct probe_feature *f = probe_feature_at(p, i);
		const char *path = probe_feature_desc_at(i)->path;

		CU_ASSERT_PTR_EQUAL(probe_find(p, path), f);
		/* the placeholder set before probing must never survive */
		if (!strcmp(f->reason, "not probed"))
			fprintf(stderr, "%s was never probed\n", path);
		CU_ASSERT_STRING_NOT_EQUAL(f->reason, "not probed");
		CU_ASSERT(f->reason[0] != 0);
		if (f->state == PROBE_NOT_PROBED)
			CU_ASSERT(strncmp(f->reason, "not probed: ", 12) == 0);
		if (f->state == PROBE_YES)
			CU_ASSERT_EQUAL(f->err, 0);
		/* on a development machine nothing should crash or hang */
		if (f->state == PROBE_ERROR)
			fprintf(stderr, "%s: %s\n", path, f->reason);
		CU_ASSERT_NOT_EQUAL(f->state, PROBE_ERROR);
	}
	CU_ASSERT_PTR_EQUAL(probe_find(p, "protocols.mptcp"), &p->proto.mptcp);
	CU_ASSERT_PTR_EQUAL(probe_find(p, "seccomp.actions.user_notif"),
			    &p->seccomp.actions[PROBE_SECCOMP_USER_NOTIF]);
	CU_ASSERT_PTR_NULL(probe_find(p, "protocols.nope"));
	CU_ASSERT(p->elapsed_ms > 0 && p->elapsed_ms < 3000);
}

static int count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* No child, fd or namespace outlives probe_run(). */
static void test_nothing_leaks(void)
{
	struct probe *p = calloc(1, sizeof(*p));
	struct perr e;
	int before = count_fds();

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	perr_clear(&e);
	CU_ASSERT_EQUAL(probe_run(p, &e), 0);
	CU_ASSERT_EQUAL(count_fds(), before);
	errno = 0;
	CU_ASSERT_EQUAL(waitpid(-1, NULL, WNOHANG), -1);
	CU_ASSERT_EQUAL(errno, ECHILD);
	free(p);
}

static void test_table_lists_everything(void)
{
	const struct probe *p = probe_once();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	probe_print_table(p, f);
	fclose(f);
	for (const char *s = "System\0Landlock\0Seccomp\0Namespaces\0Protocols\0Entry "
			     "points\0Sysctls\0";
	     *s; s += strlen(s) + 1)
		CU_ASSERT(strstr(buf, s) != NULL);
	for (size_t i = 0; i < probe_feature_count(); i++)
		CU_ASSERT(strstr(buf, probe_feature_desc_at(i)->label) != NULL);
	for (int i = 0; i < PROBE_SYSCTL_COUNT; i++)
		CU_ASSERT(strstr(buf, probe_sysctl_name(i)) != NULL);
	free(buf);
}

/* --------------------------------------- inside a seccomp filter */

/* A child refuses landlock_create_ruleset with EPERM (as container runtimes
 * do) and kills on foreign arches (libseccomp's default). The probe must
 * call Landlock "blocked" and the foreign entry points "no". Each failed
 * check exits with its own code. */
static void test_probe_under_seccomp(void)
{
	pid_t c = fork();
	int status;

	CU_ASSERT_FATAL(c >= 0);
	if (c == 0) {
		static struct probe p;
		struct perr e;
		scmp_filter_ctx ctx;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(10);
		ctx = seccomp_init(SCMP_ACT_ALLOW);
		if (!ctx ||
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(landlock_create_ruleset),
				     0) < 0 ||
		    seccomp_load(ctx) < 0)
			_exit(11);
		seccomp_release(ctx);
		perr_clear(&e);
		if (probe_run(&p, &e) < 0)
			_exit(12);
		if (p.landlock.status != PROBE_LL_BLOCKED || p.landlock.abi != 0 ||
		    p.landlock.err != EPERM || !strstr(p.landlock.reason, "EPERM"))
			_exit(13);
		if (p.landlock.restrict_self.state != PROBE_NO || p.landlock.errata_supported)
			_exit(14);
#if defined(__x86_64__)
		if (p.entry.ia32.state != PROBE_NO || !strstr(p.entry.ia32.reason, "SIGSYS"))
			_exit(15);
		if (p.entry.x32.state != PROBE_NO)
			_exit(16);
#endif
		if (p.sys.seccomp_mode != 2 || p.sys.no_new_privs != 1)
			_exit(17);
		_exit(0);
	}
	waitpid(c, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char buf[64];
		fprintf(stderr, "probe under seccomp: %s\n",
			util_status_str(status, buf, sizeof(buf)));
	}
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void unit_register(void)
{
	UNIT_SUITE("probe");
	UNIT_TEST(test_errata_decoding);
	UNIT_TEST(test_landlock_status_of_errno);
	UNIT_TEST(test_json_matches_docs);
	UNIT_TEST(test_landlock_agrees_with_syscall);
	UNIT_TEST(test_seccomp_agrees_with_syscall);
	UNIT_TEST(test_protocols_agree_with_socket);
	UNIT_TEST(test_entry_points_agree);
	UNIT_TEST(test_identity_and_sysctls_agree);
	UNIT_TEST(test_every_feature_decided);
	UNIT_TEST(test_errno_classification);
	UNIT_TEST(test_nothing_leaks);
	UNIT_TEST(test_table_lists_everything);
	UNIT_TEST(test_probe_under_seccomp);
}
