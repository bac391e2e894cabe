/* seccomp_layer.c - libseccomp filters from profile data. */
#include "seccomp_layer.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "notify.h"
#include "seccomp_ctx.h"
#include "util.h"

#define R_ALWAYS(name)                                                                             \
	{                                                                                          \
		.syscall = #name, .label = #name, .action = SC_ERRNO, .errno_value = EPERM         \
	}
#define ARG_EQ(i, v)                                                                               \
	{                                                                                          \
		.index = i, .op = SC_OP_EQ, .value = v, .width = 32                                \
	}
#define ARG_MASK(i, m)                                                                             \
	{                                                                                          \
		.index = i, .op = SC_OP_MASKED_EQ, .mask = m, .value = m, .width = 64              \
	}

/* openshell-reference.md §3.1: default allow, matched rules EPERM; socket
 * family compares are seccompiler Dword (32-bit) compares. */
const struct sc_rule seccomp_base_rules[] = {
    {.syscall = "socket",
     .label = "socket(AF_PACKET)",
     .action = SC_ERRNO,
     .errno_value = EPERM,
     .nargs = 1,
     .args = {ARG_EQ(0, AF_PACKET)}},
    {.syscall = "socket",
     .label = "socket(AF_BLUETOOTH)",
     .action = SC_ERRNO,
     .errno_value = EPERM,
     .nargs = 1,
     .args = {ARG_EQ(0, AF_BLUETOOTH)}},
    {.syscall = "socket",
     .label = "socket(AF_VSOCK)",
     .action = SC_ERRNO,
     .errno_value = EPERM,
     .nargs = 1,
     .args = {ARG_EQ(0, AF_VSOCK)}},
    {.syscall = "socket",
     .label = "socket(AF_NETLINK, protocol != 0)",
     .action = SC_ERRNO,
     .errno_value = EPERM,
     .nargs = 2,
     .args = {ARG_EQ(0, AF_NETLINK), {.index = 2, .op = SC_OP_NE, .value = 0, .width = 64}}},
    R_ALWAYS(memfd_create),
    R_ALWAYS(ptrace),
    R_ALWAYS(bpf),
    R_ALWAYS(process_vm_readv),
    R_ALWAYS(process_vm_writev),
    R_ALWAYS(pidfd_open),
    R_ALWAYS(pidfd_getfd),
    R_ALWAYS(pidfd_send_signal),
    R_ALWAYS(io_uring_setup),
    R_ALWAYS(mount),
    R_ALWAYS(fsopen),
    R_ALWAYS(fsconfig),
    R_ALWAYS(fsmount),
    R_ALWAYS(fspick),
    R_ALWAYS(move_mount),
    R_ALWAYS(open_tree),
    R_ALWAYS(setns),
    R_ALWAYS(umount2),
    R_ALWAYS(pivot_root),
    R_ALWAYS(userfaultfd),
    R_ALWAYS(perf_event_open),
    {.syscall = "execveat",
     .label = "execveat(AT_EMPTY_PATH)",
     .action = SC_ERRNO,
     .errno_value = EPERM,
     .nargs = 1,
     .args = {ARG_MASK(4, 0x1000)}},
    {.syscall = "unshare",
     .label = "unshare(CLONE_NEWUSER)",
     .action = SC_ERRNO,
     .errno_value = EPERM,
     .nargs = 1,
     .args = {ARG_MASK(0, 0x10000000)}},
    {.syscall = "clone",
     .label = "clone(CLONE_NEWUSER)",
     .action = SC_ERRNO,
     .errno_value = EPERM,
     .nargs = 1,
     .args = {ARG_MASK(0, 0x10000000)}},
    {.syscall = "seccomp",
     .label = "seccomp(SECCOMP_SET_MODE_FILTER)",
     .action = SC_ERRNO,
     .errno_value = EPERM,
     .nargs = 1,
     .args = {ARG_EQ(0, 1)}},
};
const size_t seccomp_base_rules_count = ARRAY_SIZE(seccomp_base_rules);

static bool push_rule(struct sc_rule *out, size_t n, size_t *k, const struct sc_rule *r)
{
	if (*k >= n)
		return false;
	out[(*k)++] = *r;
	return true;
}

static struct sc_arg_cmp cmp32_eq(unsigned index, uint64_t value)
{
	return (struct sc_arg_cmp){.index = index, .op = SC_OP_EQ, .value = value, .width = 32};
}

/* A value the kernel reads as an int, above `limit`: libseccomp compares
 * gt on 64 bits, so junk in the upper half is denied too (the stricter
 * reading, docs/seccomp.md). */
static struct sc_arg_cmp cmp64_gt(unsigned index, uint64_t limit)
{
	return (struct sc_arg_cmp){.index = index, .op = SC_OP_GT, .value = limit, .width = 64};
}

static struct sc_rule deny_socket(unsigned origin, const char *fmt, int a, int b)
{
	struct sc_rule r = {.syscall = "socket", .action = SC_ERRNO, .errno_value = EPERM};
	r.from_allowlist = origin;
	snprintf(r.label, sizeof(r.label), fmt, a, b);
	return r;
}

int seccomp_expand_socket_allow(const struct profile_seccomp *s, struct sc_rule *out, size_t n,
				struct perr *e)
{
	size_t k = 0;
	struct sc_rule r;

	if (!s->socket_allow_set)
		return 0;
	/* 1. Every family the list does not name, one masked (32-bit) compare
	 * each, then everything above the last known family. */
	for (int f = 0; f < SECCOMP_AF_LIMIT; f++) {
		bool listed = false;
		for (unsigned i = 0; i < s->nsocket_allow; i++)
			listed |= s->socket_allow[i].family == f;
		if (listed)
			continue;
		r = deny_socket(SC_FROM_FAMILIES, "socket(family %d)", f, 0);
		r.nargs = 1;
		r.args[0] = cmp32_eq(0, (uint64_t)f);
		if (!push_rule(out, n, &k, &r))
			goto full;
	}
	r = deny_socket(SC_FROM_FAMILIES, "socket(family > %d)", SECCOMP_AF_LIMIT - 1, 0);
	r.nargs = 1;
	r.args[0] = cmp64_gt(0, SECCOMP_AF_LIMIT - 1);
	if (!push_rule(out, n, &k, &r))
		goto full;
	/* 2. Within an allowed family: every other type, every other protocol. */
	for (unsigned i = 0; i < s->nsocket_allow; i++) {
		const struct sc_socket_allow *a = &s->socket_allow[i];
		uint32_t maxp = 0;

		if (!a->any_type) {
			for (int t = 0; t <= 0xf; t++) {
				if (t == a->type)
					continue;
				r = deny_socket(SC_FROM_ENTRY(i), "socket(family %d, type %d)",
						a->family, t);
				r.nargs = 2;
				r.args[0] = cmp32_eq(0, (uint64_t)a->family);
				r.args[1] = (struct sc_arg_cmp){.index = 1,
								.op = SC_OP_MASKED_EQ,
								.mask = 0xf,
								.value = (uint64_t)t,
								.width = 32};
				if (!push_rule(out, n, &k, &r))
					goto full;
			}
		}
		if (a->nprotocols == 0)
			continue;
		for (unsigned p = 0; p < a->nprotocols; p++)
			if (a->protocols[p] > maxp)
				maxp = a->protocols[p];
		if (maxp > SECCOMP_MAX_PROTOCOL_GAPS + a->nprotocols)
			return perr_usage(e,
					  "seccomp.socket_allow[%u].protocol: allowing protocol %u "
					  "would take more than %d deny rules below it",
					  i, maxp, SECCOMP_MAX_PROTOCOL_GAPS);
		for (uint32_t v = 0; v < maxp; v++) {
			bool ok = false;
			for (unsigned p = 0; p < a->nprotocols; p++)
				ok |= a->protocols[p] == v;
			if (ok)
				continue;
			r = deny_socket(SC_FROM_ENTRY(i), "socket(family %d, protocol %d)",
					a->family, (int)v);
			r.nargs = 2;
			r.args[0] = cmp32_eq(0, (uint64_t)a->family);
			r.args[1] = cmp32_eq(2, v);
			if (!push_rule(out, n, &k, &r))
				goto full;
		}
		r = deny_socket(SC_FROM_ENTRY(i), "socket(family %d, protocol > %d)", a->family,
				(int)maxp);
		r.nargs = 2;
		r.args[0] = cmp32_eq(0, (uint64_t)a->family);
		r.args[1] = cmp64_gt(2, maxp);
		if (!push_rule(out, n, &k, &r))
			goto full;
	}
	return (int)k;
full:
	return perr_set(e, "seccomp: too many rules (socket allowlist)");
}

int seccomp_build_rules(const struct profile_seccomp *s, struct sc_rule *out, size_t n,
			struct perr *e)
{
	size_t k = 0;
	int m;
	if (s->base) {
		for (size_t i = 0; i < seccomp_base_rules_count; i++) {
			if (k >= n)
				return perr_set(e, "seccomp: too many rules");
			out[k++] = seccomp_base_rules[i];
		}
	}
	m = seccomp_expand_socket_allow(s, out + k, n - k, e);
	if (m < 0)
		return -1;
	k += (size_t)m;
	for (unsigned i = 0; i < s->nrules; i++) {
		if (k >= n)
			return perr_set(e, "seccomp: too many rules");
		out[k++] = s->rules[i];
	}
	return (int)k;
}

int seccomp_check_profile(const struct profile_seccomp *s, const char *file, struct perr *e)
{
	if (!s->enabled)
		return 0;
	if (s->x32 != SC_ALLOW && (s->x32 != s->non_native ||
				   (s->x32 == SC_ERRNO && s->x32_errno != s->non_native_errno)))
		return perr_usage(e,
				  "%s: field 'seccomp.x32': must be \"allow\" (the reference) or "
				  "the same action as non_native_arch (libseccomp has one bad-arch "
				  "action)",
				  file);
	for (unsigned i = 0; i < s->nrules; i++) {
		if (seccomp_syscall_resolve_name(s->rules[i].syscall) == __NR_SCMP_ERROR)
			return perr_usage(e,
					  "%s: field 'seccomp.rules[%u].syscall': unknown syscall "
					  "\"%s\"",
					  file, i, s->rules[i].syscall);
		/* The listener belongs to the notify filter (only one filter in
		 * a chain may have one): a notify rule in the main filter would
		 * return ENOSYS. Mediated syscalls are listed in notify.syscalls. */
		if (s->rules[i].action == SC_NOTIFY)
			return perr_usage(
			    e,
			    "%s: field 'seccomp.rules[%u].action': notify is not a "
			    "rule action; list the syscall in seccomp.notify.syscalls",
			    file, i);
	}
	if (s->socket_allow_set) {
		static struct sc_rule rules[SECCOMP_MAX_BUILT_RULES];
		if (seccomp_build_rules(s, rules, ARRAY_SIZE(rules), e) < 0)
			return perr_prefix(e, "%s", file);
	}
	return notify_check_profile(&s->notify, file, e);
}

static uint32_t to_scmp_action(enum sc_action a, int err)
{
	switch (a) {
	case SC_ALLOW:
		return SCMP_ACT_ALLOW;
	case SC_ERRNO:
		return SCMP_ACT_ERRNO((uint16_t)err);
	case SC_KILL:
		return SCMP_ACT_KILL_PROCESS;
	case SC_NOTIFY:
		return SCMP_ACT_NOTIFY;
	case SC_TRAP:
		return SCMP_ACT_TRAP;
	case SC_LOG:
		return SCMP_ACT_LOG;
	}
	return SCMP_ACT_KILL_PROCESS;
}

static int to_scmp_cmp(const struct sc_arg_cmp *c, struct scmp_arg_cmp *out)
{
	uint64_t mask32 = 0xffffffffull;
	memset(out, 0, sizeof(*out));
	out->arg = c->index;
	switch (c->op) {
	case SC_OP_EQ:
		if (c->width == 32) {
			/* The kernel reads an int: compare only the low word, so a
			 * value with junk in the upper 32 bits still matches. */
			out->op = SCMP_CMP_MASKED_EQ;
			out->datum_a = mask32;
			out->datum_b = c->value & mask32;
		} else {
			out->op = SCMP_CMP_EQ;
			out->datum_a = c->value;
		}
		return 0;
	case SC_OP_MASKED_EQ:
		out->op = SCMP_CMP_MASKED_EQ;
		out->datum_a = c->width == 32 ? (c->mask & mask32) : c->mask;
		out->datum_b = c->value;
		return 0;
	case SC_OP_NE:
		out->op = SCMP_CMP_NE;
		break;
	case SC_OP_GE:
		out->op = SCMP_CMP_GE;
		break;
	case SC_OP_GT:
		out->op = SCMP_CMP_GT;
		break;
	case SC_OP_LE:
		out->op = SCMP_CMP_LE;
		break;
	case SC_OP_LT:
		out->op = SCMP_CMP_LT;
		break;
	}
	/* libseccomp 2.5 compares these on 64 bits; for "ne" that is the
	 * stricter reading (documented in docs/seccomp.md). */
	out->datum_a = c->value;
	return 0;
}

scmp_filter_ctx seccomp_ctx_new(uint32_t badarch)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return NULL;
	/* NNP is the identity layer's job (and reported there). */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, badarch) < 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

int seccomp_ctx_merge_x32(scmp_filter_ctx ctx, uint32_t badarch, const char *who, struct perr *e)
{
	scmp_filter_ctx x32 = seccomp_ctx_new(badarch);
	int rc;

	if (!x32 || seccomp_arch_remove(x32, SCMP_ARCH_NATIVE) < 0 ||
	    seccomp_arch_add(x32, SCMP_ARCH_X32) < 0) {
		if (x32)
			seccomp_release(x32);
		return perr_set(e, "%s: cannot build the x32 filter", who);
	}
	/* seccomp_merge releases x32 when it succeeds. */
	rc = seccomp_merge(ctx, x32);
	if (rc < 0) {
		seccomp_release(x32);
		return perr_sys(e, -rc, "%s: seccomp_merge(x32)", who);
	}
	return 0;
}

/* Build the main filter (nothing is reported until it is loaded). */
static scmp_filter_ctx build_main(const struct profile_seccomp *s, struct perr *e)
{
	static struct sc_rule rules[SECCOMP_MAX_BUILT_RULES];
	uint32_t badarch = to_scmp_action(s->non_native, s->non_native_errno);
	scmp_filter_ctx ctx = seccomp_ctx_new(badarch);
	int n;

	if (!ctx) {
		perr_set(e, "seccomp_init failed");
		return NULL;
	}
	n = seccomp_build_rules(s, rules, ARRAY_SIZE(rules), e);
	if (n < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		struct scmp_arg_cmp cmps[PROFILE_MAX_ARGS];
		const struct sc_rule *r = &rules[i];
		int nr = seccomp_syscall_resolve_name(r->syscall);
		int rc;

		if (nr == __NR_SCMP_ERROR) {
			perr_set(e, "seccomp: unknown syscall %s", r->syscall);
			goto fail;
		}
		if (nr < 0) {
			/* A pseudo-syscall (e.g. socketcall on x86_64): no such entry
			 * point on the native architecture. */
			continue; /* reported by report_rules() */
		}
		for (unsigned k = 0; k < r->nargs; k++)
			to_scmp_cmp(&r->args[k], &cmps[k]);
		rc = seccomp_rule_add_exact_array(ctx, to_scmp_action(r->action, r->errno_value),
						  nr, r->nargs, cmps);
		if (rc < 0) {
			perr_sys(e, -rc, "seccomp: rule %s", r->label);
			goto fail;
		}
	}
	/* The reference's seccompiler never checks the x32 bit: x32 numbers
	 * match no rule and take the default (allow). */
	if (s->x32 == SC_ALLOW && seccomp_ctx_merge_x32(ctx, badarch, "seccomp", e) < 0)
		goto fail;
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

/* After a successful load: one entry per rule. */
/* The socket allowlist, reported as what it allows and how many deny rules
 * it took (one entry per rule would bury the report). */
static void report_allowlist(const struct profile_seccomp *s, const struct sc_rule *rules, int n,
			     struct rep_sink *rs)
{
	char fams[160] = "";
	int nfam = 0;

	for (int i = 0; i < n; i++)
		nfam += rules[i].from_allowlist == SC_FROM_FAMILIES;
	for (unsigned i = 0; i < s->nsocket_allow; i++)
		snprintf(fams + strlen(fams), sizeof(fams) - strlen(fams), "%s%d", i ? ", " : "",
			 s->socket_allow[i].family);
	rep_emit(rs, "seccomp", "socket allowlist: families", REP_APPLIED,
		 "errno EPERM for every family but %s: %d deny rules (each other family below "
		 "%d compared on the low 32 bits, as the kernel reads the int; anything above, "
		 "junk upper bits included, by one 64-bit gt)",
		 fams, nfam, SECCOMP_AF_LIMIT);
	for (unsigned i = 0; i < s->nsocket_allow; i++) {
		const struct sc_socket_allow *a = &s->socket_allow[i];
		char item[64], prot[96] = "any protocol";
		int cnt = 0;
		for (int k = 0; k < n; k++)
			cnt += rules[k].from_allowlist == SC_FROM_ENTRY(i);
		if (a->nprotocols) {
			snprintf(prot, sizeof(prot), "protocol");
			for (unsigned p = 0; p < a->nprotocols; p++)
				snprintf(prot + strlen(prot), sizeof(prot) - strlen(prot), "%s%u",
					 p ? "|" : " ", a->protocols[p]);
		}
		snprintf(item, sizeof(item), "socket allowlist: family %d", a->family);
		if (a->any_type && !a->nprotocols)
			rep_emit(rs, "seccomp", item, REP_APPLIED,
				 "allowed, any type and protocol");
		else if (a->any_type)
			rep_emit(rs, "seccomp", item, REP_APPLIED,
				 "allowed with %s: %d deny rules for the others", prot, cnt);
		else
			rep_emit(rs, "seccomp", item, REP_APPLIED,
				 "allowed with (type & 0xf) == %d and %s: %d deny rules for the "
				 "other types (masked 0xf) and protocols (eq each below, 64-bit gt "
				 "above)",
				 a->type, prot, cnt);
	}
}

static void report_rules(const struct profile_seccomp *s, struct rep_sink *rs)
{
	static struct sc_rule rules[SECCOMP_MAX_BUILT_RULES];
	int n = seccomp_build_rules(s, rules, ARRAY_SIZE(rules), NULL);

	if (s->socket_allow_set)
		report_allowlist(s, rules, n, rs);
	for (int i = 0; i < n; i++) {
		const struct sc_rule *r = &rules[i];
		if (r->from_allowlist)
			continue;
		if (seccomp_syscall_resolve_name(r->syscall) < 0) {
			/* A pseudo-syscall (e.g. socketcall on x86_64): there is no such
			 * entry point on the native architecture. */
			rep_emit(rs, "seccomp", r->label, REP_SKIPPED,
				 "%s is not a native syscall on this architecture", r->syscall);
			continue;
		}
		if (r->action == SC_ERRNO)
			rep_emit(rs, "seccomp", r->label, REP_APPLIED, "errno %s",
				 util_errname(r->errno_value));
		else
			rep_emit(rs, "seccomp", r->label, REP_APPLIED, "%s",
				 sc_action_name(r->action));
	}
}

int seccomp_profile_export_pfc(const struct profile_seccomp *s, int fd, struct perr *e)
{
	scmp_filter_ctx ctx = build_main(s, e);
	int rc;
	if (!ctx)
		return -1;
	rc = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	return rc < 0 ? perr_sys(e, -rc, "seccomp_export_pfc") : 0;
}

int seccomp_apply(const struct profile_seccomp *s, int notify_handoff, struct rep_sink *rs)
{
	struct perr e;
	scmp_filter_ctx ctx;
	int rc;

	perr_clear(&e);
	if (!s->enabled)
		return 0;
	/* The notify filter first: the main filter refuses any later
	 * seccomp(SET_MODE_FILTER). Its listener goes to the supervisor. */
	if (s->notify.enabled && notify_install(&s->notify, notify_handoff, rs) < 0)
		return -1;
	if (s->clone3_enosys) {
		scmp_filter_ctx c3 = seccomp_ctx_new(SCMP_ACT_ALLOW);
		if (!c3 || seccomp_rule_add(c3, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0 ||
		    (rc = seccomp_load(c3)) < 0) {
			rep_emit(rs, "seccomp", "clone3", REP_FAILED, "clone3 filter: %s",
				 strerror(errno));
			if (c3)
				seccomp_release(c3);
			return -1;
		}
		seccomp_release(c3);
		rep_emit(rs, "seccomp", "clone3", REP_APPLIED, "ENOSYS (own filter, first)");
	} else if (s->base) {
		/* The base filter's CLONE_NEWUSER rules look at clone and
		 * unshare; clone3 passes its flags in memory a filter cannot
		 * read. Without the ENOSYS, a new user namespace is one call
		 * away, whatever the clone(CLONE_NEWUSER) entry says. */
		rep_emit(rs, "seccomp", "clone3", REP_SKIPPED,
			 "clone3_enosys off: clone3(CLONE_NEWUSER) is not filtered (its flags are "
			 "in memory seccomp cannot read); only clone and unshare are");
	}
	ctx = build_main(s, &e);
	if (!ctx) {
		char buf[1200];
		rep_emit(rs, "seccomp", "main filter", REP_FAILED, "%s",
			 perr_str(&e, buf, sizeof(buf)));
		return -1;
	}
	rc = seccomp_load(ctx);
	if (rc < 0) {
		rep_emit(rs, "seccomp", "main filter", REP_FAILED, "seccomp_load: %s",
			 strerror(-rc));
		seccomp_release(ctx);
		return -1;
	}
	seccomp_release(ctx);
	report_rules(s, rs);
	rep_emit(rs, "seccomp", "architecture", REP_APPLIED,
		 "native x86_64; other architectures (i386 int 0x80): %s; x32 numbers: %s",
		 sc_action_name(s->non_native),
		 s->x32 == SC_ALLOW ? "allow (no rule matches them, as in the reference)"
				    : sc_action_name(s->x32));
	rep_emit(rs, "seccomp", "main filter", REP_APPLIED, "loaded, default allow");
	return 0;
}
