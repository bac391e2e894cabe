/* profile_seccomp.c - the "seccomp" section of a profile: rules, the socket
 * allowlist, architecture actions, notify mediation (see docs/profiles.md).
 * Split from profile.c; errors name the file and the field the same way. */
#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "constants.h"
#include "jsonutil.h"
#include "seccomp_layer.h"
#include "util.h"

int profile_parse_seccomp(json_t *o, const char *file, struct profile_seccomp *s, struct perr *e);

static const char *const action_names[] = {"allow", "errno", "kill", "notify", "trap", "log"};

const char *sc_action_name(enum sc_action a)
{
	return a < ARRAY_SIZE(action_names) ? action_names[a] : "unknown";
}

static int parse_action(const char *s, const char *file, const char *where, enum sc_action *a,
			struct perr *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(action_names); i++) {
		if (strcmp(s, action_names[i]) == 0) {
			*a = (enum sc_action)i;
			return 0;
		}
	}
	return perr_usage(e,
			  "%s: field '%s': expected one of allow, errno, kill, notify, trap, log; "
			  "got \"%s\"",
			  file, where, s);
}

static int parse_value(json_t *v, const char *file, const char *where, uint64_t *out,
		       struct perr *e)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		/* "A|B" ors constants, e.g. "SOCK_DGRAM|SOCK_NONBLOCK". */
		char buf[128], *save = NULL, *tok;
		uint64_t acc = 0;
		if (strncmp(s, "0x", 2) == 0) {
			errno = 0;
			*out = strtoull(s, &end, 16);
			if (!errno && !*end && end != s + 2)
				return 0;
		}
		/* Cut, a list could lose whole names without a word; empty,
		 * it would be 0 (AF_UNSPEC) under a label that names another. */
		if (strlen(s) >= sizeof(buf))
			return perr_usage(e, "%s: field '%s': longer than %zu bytes", file, where,
					  sizeof(buf) - 1);
		snprintf(buf, sizeof(buf), "%s", s);
		int ntok = 0;
		for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
			uint64_t c;
			if (!constant_lookup(tok, &c))
				return perr_usage(e, "%s: field '%s': unknown constant \"%s\"",
						  file, where, tok);
			acc |= c;
			ntok++;
		}
		if (!ntok)
			return perr_usage(e, "%s: field '%s': no constant in \"%s\"", file, where,
					  s);
		*out = acc;
		return 0;
	}
	return perr_usage(e,
			  "%s: field '%s': expected a non-negative integer, \"0x..\" or a "
			  "constant name",
			  file, where);
}

static int parse_errno_field(json_t *o, const char *file, const char *where, int *out,
			     struct perr *e)
{
	json_t *v = json_object_get(o, "errno");
	int n;
	if (!v) {
		*out = EPERM;
		return 0;
	}
	if (json_is_integer(v))
		n = json_integer_value(v) > 0 && json_integer_value(v) < 4096
			? (int)json_integer_value(v)
			: -1;
	else
		n = json_is_string(v) ? errno_lookup(json_string_value(v)) : -1;
	if (n < 0)
		return perr_usage(e,
				  "%s: field '%s.errno': expected an errno name such as \"EPERM\"",
				  file, where);
	*out = n;
	return 0;
}

static int parse_rule(json_t *r, const char *file, const char *where, struct sc_rule *rule,
		      struct perr *e)
{
	static const char *const keys[] = {"syscall", "label", "args", "action", "errno", NULL};
	static const char *const arg_keys[] = {"arg", "op", "value", "mask", "width", NULL};
	static const char *const ops[] = {"eq", "ne", "masked_eq", "ge", "gt", "le", "lt"};
	const char *sys, *label = NULL, *act = "errno";
	json_t *args = NULL, *a;
	size_t i;
	char w[160];

	if (!json_is_object(r))
		return perr_usage(e, "%s: field '%s': expected an object", file, where);
	if (json_check_keys(r, keys, file, where, e) < 0 ||
	    json_get_str(r, "syscall", true, &sys, file, where, e) < 0 ||
	    json_get_str(r, "label", false, &label, file, where, e) < 0 ||
	    json_get_str(r, "action", false, &act, file, where, e) < 0 ||
	    json_get_array(r, "args", false, &args, file, where, e) < 0)
		return -1;
	if (strlen(sys) >= sizeof(rule->syscall) || !*sys)
		return perr_usage(e, "%s: field '%s.syscall': bad syscall name", file, where);
	snprintf(rule->syscall, sizeof(rule->syscall), "%s", sys);
	snprintf(rule->label, sizeof(rule->label), "%s", label ? label : sys);
	snprintf(w, sizeof(w), "%s.action", where);
	if (parse_action(act, file, w, &rule->action, e) < 0)
		return -1;
	if (parse_errno_field(r, file, where, &rule->errno_value, e) < 0)
		return -1;
	rule->nargs = 0;
	if (!args)
		return 0;
	if (json_array_size(args) > PROFILE_MAX_ARGS)
		return perr_usage(e, "%s: field '%s.args': at most 6 comparisons", file, where);
	json_array_foreach (args, i, a) {
		struct sc_arg_cmp *c = &rule->args[rule->nargs];
		const char *op;
		long long idx, width = 32;
		bool found = false;

		snprintf(w, sizeof(w), "%s.args[%zu]", where, i);
		if (!json_is_object(a))
			return perr_usage(e, "%s: field '%s': expected an object", file, w);
		if (json_check_keys(a, arg_keys, file, w, e) < 0 ||
		    json_get_int(a, "arg", true, 0, 5, &idx, file, w, e) < 0 ||
		    json_get_str(a, "op", true, &op, file, w, e) < 0 ||
		    json_get_int(a, "width", false, 32, 64, &width, file, w, e) < 0)
			return -1;
		if (width != 32 && width != 64)
			return perr_usage(e, "%s: field '%s.width': expected 32 or 64", file, w);
		for (size_t k = 0; k < ARRAY_SIZE(ops); k++) {
			if (strcmp(op, ops[k]) == 0) {
				c->op = (enum sc_op)k;
				found = true;
			}
		}
		if (!found)
			return perr_usage(e,
					  "%s: field '%s.op': expected eq, ne, masked_eq, ge, gt, "
					  "le or lt",
					  file, w);
		/* libseccomp 2.5 compares ne, ge, gt, le and lt on all 64 bits:
		 * "width 32" would be reported and not enforced, and for le and
		 * lt junk in the upper half would slip past the rule. Say 64. */
		if (width == 32 && c->op != SC_OP_EQ && c->op != SC_OP_MASKED_EQ)
			return perr_usage(
			    e,
			    "%s: field '%s.width': %s compares all 64 bits (libseccomp "
			    "has no 32-bit form); write \"width\": 64 (the default, "
			    "32, fits eq and masked_eq only)",
			    file, w, op);
		/* libseccomp takes one comparison per argument in a rule and
		 * refuses a second when the filter is built: said here, as the
		 * profile's mistake (exit 2), not at the start (exit 3). */
		for (unsigned k = 0; k < rule->nargs; k++)
			if (rule->args[k].index == (unsigned)idx)
				return perr_usage(
				    e,
				    "%s: field '%s.arg': argument %lld compared twice "
				    "in one rule (one comparison per argument; write "
				    "two rules)",
				    file, w, idx);
		c->index = (unsigned)idx;
		c->width = (unsigned)width;
		if (!json_object_get(a, "value"))
			return perr_usage(e, "%s: field '%s.value': required field is missing",
					  file, w);
		{
			char wv[200];
			snprintf(wv, sizeof(wv), "%s.value", w);
			if (parse_value(json_object_get(a, "value"), file, wv, &c->value, e) < 0)
				return -1;
			c->mask = 0;
			if (c->op == SC_OP_MASKED_EQ) {
				snprintf(wv, sizeof(wv), "%s.mask", w);
				if (!json_object_get(a, "mask"))
					return perr_usage(e,
							  "%s: field '%s': required for "
							  "masked_eq",
							  file, wv);
				if (parse_value(json_object_get(a, "mask"), file, wv, &c->mask, e) <
				    0)
					return -1;
			} else if (json_object_get(a, "mask")) {
				return perr_usage(
				    e, "%s: field '%s.mask': only valid with masked_eq", file, w);
			}
			/* Never what the author meant: (arg & mask) cannot
			 * equal a value with bits outside the mask, and
			 * libseccomp may compare value & mask instead. */
			if (c->op == SC_OP_MASKED_EQ && (c->value & ~c->mask))
				return perr_usage(
				    e,
				    "%s: field '%s.value': 0x%llx has bits outside "
				    "its mask 0x%llx, so (arg & mask) can never equal "
				    "it",
				    file, w, (unsigned long long)c->value,
				    (unsigned long long)c->mask);
			/* A 32-bit comparison sees the lower half only. */
			if (width == 32 && ((c->value >> 32) || (c->mask >> 32)))
				return perr_usage(
				    e,
				    "%s: field '%s.%s': 0x%llx does not fit the 32 "
				    "bits compared (\"width\": 32)",
				    file, w, (c->value >> 32) ? "value" : "mask",
				    (unsigned long long)((c->value >> 32) ? c->value : c->mask));
		}
		rule->nargs++;
	}
	return 0;
}

static int parse_notify(json_t *o, const char *file, struct profile_notify *n, struct perr *e)
{
	static const char *const keys[] = {
	    "syscalls",	  "check_arch", "allow_loopback",	 "pin_policy_hosts",
	    "port_check", "policy",	"sendto_addressed_only", NULL};
	json_t *sys = NULL, *v;
	const char *policy = "follow-up";
	size_t i;

	n->enabled = true;
	n->check_arch = true;
	n->allow_loopback = true;
	n->pin_policy_hosts = true;
	if (json_check_keys(o, keys, file, "seccomp.notify", e) < 0 ||
	    json_get_array(o, "syscalls", true, &sys, file, "seccomp.notify", e) < 0 ||
	    json_get_bool(o, "check_arch", false, &n->check_arch, file, "seccomp.notify", e) < 0 ||
	    json_get_bool(o, "allow_loopback", false, &n->allow_loopback, file, "seccomp.notify",
			  e) < 0 ||
	    json_get_bool(o, "pin_policy_hosts", false, &n->pin_policy_hosts, file,
			  "seccomp.notify", e) < 0 ||
	    json_get_bool(o, "port_check", false, &n->port_check, file, "seccomp.notify", e) < 0 ||
	    json_get_bool(o, "sendto_addressed_only", false, &n->sendto_addressed_only, file,
			  "seccomp.notify", e) < 0 ||
	    json_get_str(o, "policy", false, &policy, file, "seccomp.notify", e) < 0)
		return -1;
	if (strcmp(policy, "follow-up") == 0)
		n->policy = NOTIFY_POLICY_FOLLOW_UP;
	else if (strcmp(policy, "strict") == 0)
		n->policy = NOTIFY_POLICY_STRICT;
	else
		return perr_usage(e,
				  "%s: field 'seccomp.notify.policy': expected \"follow-up\" or "
				  "\"strict\"",
				  file);
	if (json_array_size(sys) > ARRAY_SIZE(n->syscalls))
		return perr_usage(e, "%s: field 'seccomp.notify.syscalls': too many", file);
	json_array_foreach (sys, i, v) {
		const char *s = json_string_value(v);
		if (!s || !*s || strlen(s) >= sizeof(n->syscalls[0]))
			return perr_usage(e,
					  "%s: field 'seccomp.notify.syscalls[%zu]': expected a "
					  "syscall name",
					  file, i);
		snprintf(n->syscalls[n->nsyscalls++], sizeof(n->syscalls[0]), "%s", s);
	}
	return 0;
}

static int parse_arch_action(json_t *o, const char *key, const char *file, enum sc_action *a,
			     int *err, struct perr *e)
{
	json_t *v = json_object_get(o, key);
	char where[64];

	snprintf(where, sizeof(where), "seccomp.%s", key);
	if (!v)
		return 0;
	if (json_is_string(v)) {
		if (parse_action(json_string_value(v), file, where, a, e) < 0)
			return -1;
		*err = EPERM;
	} else if (json_is_object(v)) {
		static const char *const keys[] = {"action", "errno", NULL};
		const char *act;
		if (json_check_keys(v, keys, file, where, e) < 0 ||
		    json_get_str(v, "action", true, &act, file, where, e) < 0 ||
		    parse_action(act, file, where, a, e) < 0 ||
		    parse_errno_field(v, file, where, err, e) < 0)
			return -1;
	} else {
		return perr_usage(e,
				  "%s: field '%s': expected an action name or "
				  "{\"action\",\"errno\"}",
				  file, where);
	}
	if (*a == SC_NOTIFY)
		return perr_usage(e, "%s: field '%s': notify is not an architecture action", file,
				  where);
	return 0;
}

/* An integer or a constant name that must fit an int argument. */
static int parse_int_value(json_t *v, const char *file, const char *where, uint32_t *out,
			   struct perr *e)
{
	uint64_t x;

	if (parse_value(v, file, where, &x, e) < 0)
		return -1;
	if (x > 0x7fffffff)
		return perr_usage(e, "%s: field '%s': out of range for an int argument", file,
				  where);
	*out = (uint32_t)x;
	return 0;
}

static int parse_socket_allow(json_t *arr, const char *file, struct profile_seccomp *s,
			      struct perr *e)
{
	static const char *const keys[] = {"family", "type", "protocol", NULL};
	json_t *o;
	size_t i;

	if (json_array_size(arr) == 0 || json_array_size(arr) > PROFILE_MAX_SOCKET_ALLOW)
		return perr_usage(e, "%s: field 'seccomp.socket_allow': expected 1 to %d entries",
				  file, PROFILE_MAX_SOCKET_ALLOW);
	s->socket_allow_set = true;
	json_array_foreach (arr, i, o) {
		struct sc_socket_allow *a = &s->socket_allow[s->nsocket_allow];
		char w[96];
		json_t *v;
		uint32_t x = 0;

		snprintf(w, sizeof(w), "seccomp.socket_allow[%zu]", i);
		if (!json_is_object(o))
			return perr_usage(e, "%s: field '%s': expected an object", file, w);
		if (json_check_keys(o, keys, file, w, e) < 0)
			return -1;
		memset(a, 0, sizeof(*a));
		if (!(v = json_object_get(o, "family")))
			return perr_usage(e, "%s: field '%s.family': required field is missing",
					  file, w);
		snprintf(w + strlen(w), sizeof(w) - strlen(w), ".family");
		if (parse_int_value(v, file, w, &x, e) < 0)
			return -1;
		/* Families from SECCOMP_AF_LIMIT up are denied by one rule
		 * whatever the list says: allowing one would be reported but
		 * not hold. */
		if (x >= SECCOMP_AF_LIMIT)
			return perr_usage(e,
					  "%s: field '%s': not an address family the filter can "
					  "allow (0 to %d)",
					  file, w, SECCOMP_AF_LIMIT - 1);
		a->family = (int)x;
		for (unsigned k = 0; k < s->nsocket_allow; k++)
			if (s->socket_allow[k].family == a->family)
				return perr_usage(e,
						  "%s: field '%s': family listed twice (one entry "
						  "per family)",
						  file, w);
		snprintf(w, sizeof(w), "seccomp.socket_allow[%zu].type", i);
		a->any_type = true;
		if ((v = json_object_get(o, "type"))) {
			if (parse_int_value(v, file, w, &x, e) < 0)
				return -1;
			if (x > 0xf)
				return perr_usage(e,
						  "%s: field '%s': a socket type (0-15), without "
						  "flags",
						  file, w);
			a->any_type = false;
			a->type = (int)x;
		}
		if ((v = json_object_get(o, "protocol"))) {
			json_t *pv;
			size_t k;
			if (!json_is_array(v) || json_array_size(v) == 0 ||
			    json_array_size(v) > PROFILE_MAX_PROTOCOLS)
				return perr_usage(e,
						  "%s: field 'seccomp.socket_allow[%zu].protocol': "
						  "expected 1 to %d protocols",
						  file, i, PROFILE_MAX_PROTOCOLS);
			json_array_foreach (v, k, pv) {
				snprintf(w, sizeof(w), "seccomp.socket_allow[%zu].protocol[%zu]", i,
					 k);
				if (parse_int_value(pv, file, w, &a->protocols[a->nprotocols], e) <
				    0)
					return -1;
				a->nprotocols++;
			}
		}
		s->nsocket_allow++;
	}
	return 0;
}

int profile_parse_seccomp(json_t *o, const char *file, struct profile_seccomp *s, struct perr *e)
{
	static const char *const keys[] = {
	    "base",  "non_native_arch", "x32",		"clone3_enosys",
	    "rules", "notify",		"socket_allow", NULL};
	json_t *rules = NULL, *notify = NULL, *allow = NULL, *r;
	size_t i;

	s->enabled = true;
	s->base = true;
	s->clone3_enosys = true;
	/* The reference's seccompiler kills on an arch mismatch and never
	 * checks the x32 bit (openshell-reference.md §3.4). */
	s->non_native = SC_KILL;
	s->x32 = SC_ALLOW;
	if (json_check_keys(o, keys, file, "seccomp", e) < 0 ||
	    json_get_bool(o, "base", false, &s->base, file, "seccomp", e) < 0 ||
	    json_get_bool(o, "clone3_enosys", false, &s->clone3_enosys, file, "seccomp", e) < 0 ||
	    parse_arch_action(o, "non_native_arch", file, &s->non_native, &s->non_native_errno, e) <
		0 ||
	    parse_arch_action(o, "x32", file, &s->x32, &s->x32_errno, e) < 0 ||
	    json_get_array(o, "rules", false, &rules, file, "seccomp", e) < 0 ||
	    json_get_object(o, "notify", false, &notify, file, "seccomp", e) < 0 ||
	    json_get_array(o, "socket_allow", false, &allow, file, "seccomp", e) < 0)
		return -1;
	if (allow && parse_socket_allow(allow, file, s, e) < 0)
		return -1;
	if (rules) {
		if (json_array_size(rules) > PROFILE_MAX_RULES)
			return perr_usage(e, "%s: field 'seccomp.rules': at most %d rules", file,
					  PROFILE_MAX_RULES);
		json_array_foreach (rules, i, r) {
			char where[64];
			snprintf(where, sizeof(where), "seccomp.rules[%zu]", i);
			if (parse_rule(r, file, where, &s->rules[s->nrules], e) < 0)
				return -1;
			s->nrules++;
		}
	}
	if (notify && parse_notify(notify, file, &s->notify, e) < 0)
		return -1;
	return 0;
}
