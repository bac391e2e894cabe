/* profile.c - load and validate profiles (JSON data, see docs/profiles.md). */
#include "profile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "constants.h"
#include "jsonutil.h"
#include "util.h"

/* In matrix order: the control first, then the reference, then the modes
 * compared with it. */
const char *const profile_shipped[] = {
    "none", "namespace", "platform", "platform-notify", "platform-strict", NULL};

static const char *const action_names[] = {"allow", "errno", "kill", "notify", "trap", "log"};

const char *sc_action_name(enum sc_action a)
{
	return a < ARRAY_SIZE(action_names) ? action_names[a] : "unknown";
}

const char *profile_dir(void)
{
	static char dir[PATH_MAX];
#ifdef PARITY_SOURCE_ROOT
	return util_data_dir("PARITY_PROFILE_DIR", "enforcer/profiles", dir, PARITY_SOURCE_ROOT);
#else
	return util_data_dir("PARITY_PROFILE_DIR", "enforcer/profiles", dir, NULL);
#endif
}

const char *profile_policy_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/../policies/%s.json", profile_dir(), name);
	return buf;
}

int profile_resolve_path(const char *name_or_file, char *out, size_t len, struct perr *e)
{
	size_t n = strlen(name_or_file);

	if (n == 0)
		return perr_usage(e, "--profile: empty profile name");
	if (strchr(name_or_file, '/') || (n > 5 && strcmp(name_or_file + n - 5, ".json") == 0)) {
		snprintf(out, len, "%s", name_or_file);
		return 0;
	}
	for (const char *p = name_or_file; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_'))
			return perr_usage(e, "--profile '%s': not a profile name or a file path",
					  name_or_file);
	}
	snprintf(out, len, "%s/%s.json", profile_dir(), name_or_file);
	if (access(out, R_OK) != 0) {
		char list[256] = "";
		for (size_t i = 0; profile_shipped[i]; i++) {
			strcat(list, i ? ", " : "");
			strcat(list, profile_shipped[i]);
		}
		return perr_usage(e, "--profile '%s': no such profile in %s (shipped: %s)",
				  name_or_file, profile_dir(), list);
	}
	return 0;
}

/* ---- field parsers ---- */

static int parse_port_list(json_t *arr, const char *file, const char *where, uint16_t *ports,
			   unsigned *n, struct perr *e)
{
	size_t i;
	json_t *v;

	*n = 0;
	if (!json_is_array(arr))
		return perr_usage(e, "%s: field '%s': expected an array of ports", file, where);
	if (json_array_size(arr) > PROFILE_MAX_PORTS)
		return perr_usage(e, "%s: field '%s': at most %d ports", file, where,
				  PROFILE_MAX_PORTS);
	json_array_foreach(arr, i, v)
	{
		/* Port 0 is meaningful for Landlock bind (the ephemeral range). */
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 65535)
			return perr_usage(e, "%s: field '%s[%zu]': expected a port in [0, 65535]",
					  file, where, i);
		ports[(*n)++] = (uint16_t)json_integer_value(v);
	}
	return 0;
}

static int parse_path_list(json_t *arr, const char *file, const char *where, char **paths,
			   unsigned *n, struct perr *e)
{
	size_t i;
	json_t *v;

	if (!json_is_array(arr))
		return perr_usage(e, "%s: field '%s': expected an array of paths", file, where);
	if (json_array_size(arr) > PROFILE_MAX_PATHS)
		return perr_usage(e, "%s: field '%s': at most %d paths", file, where,
				  PROFILE_MAX_PATHS);
	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);
		if (!json_is_string(v) || (s[0] != '/' && strncmp(s, "${", 2) != 0))
			return perr_usage(e,
					  "%s: field '%s[%zu]': expected an absolute path or "
					  "${exe_dir}",
					  file, where, i);
		paths[(*n)++] = strdup(s);
	}
	return 0;
}

static int parse_hostport(const char *s, char *host, size_t hlen, uint16_t *port)
{
	const char *colon;
	char h[64];
	long p;
	unsigned char buf[16];

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(h))
			return -1;
		memcpy(h, s + 1, (size_t)(end - s - 1));
		h[end - s - 1] = 0;
		colon = end + 1;
		if (inet_pton(AF_INET6, h, buf) != 1)
			return -1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(h))
			return -1;
		memcpy(h, s, (size_t)(colon - s));
		h[colon - s] = 0;
		if (inet_pton(AF_INET, h, buf) != 1)
			return -1;
	}
	if (util_parse_long(colon + 1, 1, 65535, &p) < 0)
		return -1;
	snprintf(host, hlen, "%s", h);
	*port = (uint16_t)p;
	return 0;
}

static int parse_cidr_addr(const char *s, char *addr, size_t alen, unsigned *prefix)
{
	const char *slash = strchr(s, '/');
	char a[64];
	long p;
	unsigned char buf[16];

	if (!slash || (size_t)(slash - s) >= sizeof(a))
		return -1;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = 0;
	if (inet_pton(AF_INET, a, buf) != 1 || util_parse_long(slash + 1, 1, 30, &p) < 0)
		return -1;
	snprintf(addr, alen, "%s", a);
	*prefix = (unsigned)p;
	return 0;
}

static int parse_identity(json_t *o, const char *file, struct profile_identity *id,
			  struct perr *e)
{
	static const char *const keys[] = {"supervisor",   "agent",  "clear_capabilities",
					   "no_new_privs", "dumpable", "setsid",
					   "close_inherited_fds", NULL};
	static const char *const who_keys[] = {"drop", "uid", "gid", NULL};
	json_t *sup = NULL, *agent = NULL;
	bool dumpable = true;
	long long v;

	if (json_check_keys(o, keys, file, "identity", e) < 0)
		return -1;
	if (json_get_object(o, "supervisor", false, &sup, file, "identity", e) < 0 ||
	    json_get_object(o, "agent", false, &agent, file, "identity", e) < 0 ||
	    json_get_bool(o, "clear_capabilities", false, &id->clear_capabilities, file,
			  "identity", e) < 0 ||
	    json_get_bool(o, "no_new_privs", false, &id->no_new_privs, file, "identity", e) < 0 ||
	    json_get_bool(o, "dumpable", false, &dumpable, file, "identity", e) < 0 ||
	    json_get_bool(o, "setsid", false, &id->setsid, file, "identity", e) < 0 ||
	    json_get_bool(o, "close_inherited_fds", false, &id->close_inherited_fds, file,
			  "identity", e) < 0)
		return -1;
	id->not_dumpable = !dumpable;
	if (sup) {
		if (json_check_keys(sup, who_keys, file, "identity.supervisor", e) < 0 ||
		    json_get_bool(sup, "drop", true, &id->supervisor_drop, file,
				  "identity.supervisor", e) < 0)
			return -1;
		if (id->supervisor_drop) {
			if (json_get_int(sup, "uid", true, 1, 0x7fffffff, &v, file,
					 "identity.supervisor", e) < 0)
				return -1;
			id->supervisor_uid = (uid_t)v;
			v = id->supervisor_uid;
			if (json_get_int(sup, "gid", false, 1, 0x7fffffff, &v, file,
					 "identity.supervisor", e) < 0)
				return -1;
			id->supervisor_gid = (gid_t)v;
		}
	}
	if (agent) {
		if (json_check_keys(agent, who_keys, file, "identity.agent", e) < 0 ||
		    json_get_bool(agent, "drop", true, &id->agent_drop, file, "identity.agent", e) <
			    0)
			return -1;
		if (id->agent_drop) {
			if (json_get_int(agent, "uid", true, 1, 0x7fffffff, &v, file,
					 "identity.agent", e) < 0)
				return -1;
			id->agent_uid = (uid_t)v;
			v = id->agent_uid;
			if (json_get_int(agent, "gid", false, 1, 0x7fffffff, &v, file,
					 "identity.agent", e) < 0)
				return -1;
			id->agent_gid = (gid_t)v;
		}
	}
	return 0;
}

static int parse_network(json_t *o, const char *file, struct profile_network *n, struct perr *e)
{
	static const char *const keys[] = {"mode", "proxy", "proxy_policy", "namespace", NULL};
	static const char *const ns_keys[] = {"host_addr", "sandbox_addr", "nftables", NULL};
	const char *mode = "host", *proxy = NULL, *s;
	json_t *ns = NULL;
	unsigned p1, p2;

	if (json_check_keys(o, keys, file, "network", e) < 0 ||
	    json_get_str(o, "mode", true, &mode, file, "network", e) < 0 ||
	    json_get_str(o, "proxy", true, &proxy, file, "network", e) < 0 ||
	    json_get_object(o, "namespace", false, &ns, file, "network", e) < 0)
		return -1;
	if (strcmp(mode, "host") == 0)
		n->mode = NET_HOST;
	else if (strcmp(mode, "namespace") == 0)
		n->mode = NET_NAMESPACE;
	else
		return perr_usage(e, "%s: field 'network.mode': expected \"host\" or \"namespace\"",
				  file);
	{
		const char *pp = "default";
		if (json_get_str(o, "proxy_policy", false, &pp, file, "network", e) < 0)
			return -1;
		if (strcmp(pp, "open") == 0)
			n->proxy_open = true;
		else if (strcmp(pp, "default") != 0)
			return perr_usage(e, "%s: field 'network.proxy_policy': expected \"default\" or "
					     "\"open\"", file);
	}
	if (parse_hostport(proxy, n->proxy_host, sizeof(n->proxy_host), &n->proxy_port) < 0)
		return perr_usage(e,
				  "%s: field 'network.proxy': expected a numeric ADDR:PORT or "
				  "[ADDR6]:PORT, got \"%s\"",
				  file, proxy);
	if (n->mode == NET_HOST) {
		if (ns)
			return perr_usage(e,
					  "%s: field 'network.namespace': only valid with mode "
					  "\"namespace\"",
					  file);
		return 0;
	}
	if (!ns)
		return perr_usage(e, "%s: field 'network.namespace': required with mode \"namespace\"",
				  file);
	if (json_check_keys(ns, ns_keys, file, "network.namespace", e) < 0 ||
	    json_get_str(ns, "host_addr", true, &s, file, "network.namespace", e) < 0)
		return -1;
	if (parse_cidr_addr(s, n->host_addr, sizeof(n->host_addr), &p1) < 0)
		return perr_usage(e,
				  "%s: field 'network.namespace.host_addr': expected an IPv4 "
				  "ADDR/PREFIX, got \"%s\"",
				  file, s);
	if (json_get_str(ns, "sandbox_addr", true, &s, file, "network.namespace", e) < 0)
		return -1;
	if (parse_cidr_addr(s, n->sandbox_addr, sizeof(n->sandbox_addr), &p2) < 0)
		return perr_usage(e,
				  "%s: field 'network.namespace.sandbox_addr': expected an IPv4 "
				  "ADDR/PREFIX, got \"%s\"",
				  file, s);
	if (p1 != p2)
		return perr_usage(e, "%s: field 'network.namespace': host_addr and sandbox_addr "
				     "must share a prefix length", file);
	n->prefix_len = p1;
	s = "sandbox-output";
	if (json_get_str(ns, "nftables", false, &s, file, "network.namespace", e) < 0)
		return -1;
	if (strcmp(s, "off") == 0)
		n->nft = NFT_OFF;
	else if (strcmp(s, "sandbox-output") == 0)
		n->nft = NFT_SANDBOX_OUTPUT;
	else if (strcmp(s, "supervisor-forward") == 0)
		n->nft = NFT_SUPERVISOR_FORWARD;
	else
		return perr_usage(e,
				  "%s: field 'network.namespace.nftables': expected \"off\", "
				  "\"sandbox-output\" or \"supervisor-forward\"",
				  file);
	return 0;
}

static int parse_landlock(json_t *o, const char *file, struct profile_landlock *l, struct perr *e)
{
	static const char *const keys[] = {"fs", "net", "scopes", "resolve_unix", "ioctl_dev", NULL};
	static const char *const fs_keys[] = {"read_only", "read_write", "rights_abi", NULL};
	static const char *const net_keys[] = {"connect_tcp", "bind_tcp", "udp", NULL};
	static const char *const udp_keys[] = {"bind", "connect_send", NULL};
	json_t *fs = NULL, *net = NULL, *scopes = NULL, *v;
	size_t i;

	l->enabled = true;
	if (json_check_keys(o, keys, file, "landlock", e) < 0 ||
	    json_get_object(o, "fs", false, &fs, file, "landlock", e) < 0 ||
	    json_get_object(o, "net", false, &net, file, "landlock", e) < 0 ||
	    json_get_array(o, "scopes", false, &scopes, file, "landlock", e) < 0 ||
	    json_get_bool(o, "resolve_unix", false, &l->resolve_unix_handled, file, "landlock", e) <
		    0 ||
	    json_get_bool(o, "ioctl_dev", false, &l->ioctl_dev_handled, file, "landlock", e) < 0)
		return -1;
	if (fs) {
		json_t *ro = NULL, *rw = NULL;
		long long rabi = 3;
		if (json_check_keys(fs, fs_keys, file, "landlock.fs", e) < 0 ||
		    json_get_int(fs, "rights_abi", false, 1, 3, &rabi, file, "landlock.fs", e) < 0 ||
		    json_get_array(fs, "read_only", false, &ro, file, "landlock.fs", e) < 0 ||
		    json_get_array(fs, "read_write", false, &rw, file, "landlock.fs", e) < 0)
			return -1;
		l->fs_rights_abi = (unsigned)rabi;
		if (ro && parse_path_list(ro, file, "landlock.fs.read_only", l->fs_read_only,
					  &l->nro, e) < 0)
			return -1;
		if (rw && parse_path_list(rw, file, "landlock.fs.read_write", l->fs_read_write,
					  &l->nrw, e) < 0)
			return -1;
	}
	if (net) {
		json_t *udp = NULL;
		if (json_check_keys(net, net_keys, file, "landlock.net", e) < 0)
			return -1;
		/* A key that is present (even with []) is a handled right; absent
		 * means not handled: the PR does not handle bind. */
		if ((v = json_object_get(net, "connect_tcp"))) {
			l->connect_tcp_handled = true;
			if (parse_port_list(v, file, "landlock.net.connect_tcp", l->connect_tcp,
					    &l->nconnect, e) < 0)
				return -1;
		}
		if ((v = json_object_get(net, "bind_tcp"))) {
			l->bind_tcp_handled = true;
			if (parse_port_list(v, file, "landlock.net.bind_tcp", l->bind_tcp,
					    &l->nbind, e) < 0)
				return -1;
		}
		if (json_get_object(net, "udp", false, &udp, file, "landlock.net", e) < 0)
			return -1;
		if (udp) {
			l->udp_handled = true;
			if (json_check_keys(udp, udp_keys, file, "landlock.net.udp", e) < 0)
				return -1;
			if ((v = json_object_get(udp, "bind")) &&
			    parse_port_list(v, file, "landlock.net.udp.bind", l->udp_bind,
					    &l->nudp_bind, e) < 0)
				return -1;
			if ((v = json_object_get(udp, "connect_send")) &&
			    parse_port_list(v, file, "landlock.net.udp.connect_send", l->udp_send,
					    &l->nudp_send, e) < 0)
				return -1;
		}
	}
	if (scopes) {
		json_array_foreach(scopes, i, v)
		{
			const char *s = json_string_value(v);
			if (s && strcmp(s, "abstract_unix_socket") == 0)
				l->scope_abstract_unix = true;
			else if (s && strcmp(s, "signal") == 0)
				l->scope_signal = true;
			else
				return perr_usage(e,
						  "%s: field 'landlock.scopes[%zu]': expected "
						  "\"abstract_unix_socket\" or \"signal\"",
						  file, i);
		}
	}
	return 0;
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
		snprintf(buf, sizeof(buf), "%s", s);
		for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
			uint64_t c;
			if (!constant_lookup(tok, &c))
				return perr_usage(e, "%s: field '%s': unknown constant \"%s\"", file,
						  where, tok);
			acc |= c;
		}
		*out = acc;
		return 0;
	}
	return perr_usage(e, "%s: field '%s': expected a non-negative integer, \"0x..\" or a "
			     "constant name", file, where);
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
		return perr_usage(e, "%s: field '%s.errno': expected an errno name such as \"EPERM\"",
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
	json_array_foreach(args, i, a)
	{
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
				if (parse_value(json_object_get(a, "mask"), file, wv, &c->mask,
						e) < 0)
					return -1;
			} else if (json_object_get(a, "mask")) {
				return perr_usage(e, "%s: field '%s.mask': only valid with masked_eq",
						  file, w);
			}
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
	json_array_foreach(sys, i, v)
	{
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
		return perr_usage(e, "%s: field '%s': expected an action name or "
				     "{\"action\",\"errno\"}", file, where);
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
	json_array_foreach(arr, i, o)
	{
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
		if (x >= 64)
			return perr_usage(e, "%s: field '%s': not an address family", file, w);
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
			json_array_foreach(v, k, pv)
			{
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

static int parse_seccomp(json_t *o, const char *file, struct profile_seccomp *s, struct perr *e)
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
		json_array_foreach(rules, i, r)
		{
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

int profile_parse(const char *text, const char *file, struct profile *p, struct perr *e)
{
	static const char *const keys[] = {"name", "description", "reference", "identity",
					   "network", "landlock", "seccomp", NULL};
	json_error_t je;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	json_t *v;
	const char *s;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s", file);
	if (!root)
		return perr_usage(e, "%s:%d:%d: %s", file, je.line, je.column, je.text);
	if (!json_is_object(root)) {
		perr_usage(e, "%s: expected a JSON object at the top level", file);
		goto out;
	}
	if (json_check_keys(root, keys, file, "", e) < 0 ||
	    json_get_str(root, "name", true, &s, file, "", e) < 0)
		goto out;
	if (!*s || strlen(s) >= sizeof(p->name)) {
		perr_usage(e, "%s: field 'name': expected 1-63 characters", file);
		goto out;
	}
	snprintf(p->name, sizeof(p->name), "%s", s);
	s = "";
	if (json_get_str(root, "description", false, &s, file, "", e) < 0)
		goto out;
	snprintf(p->description, sizeof(p->description), "%s", s);
	s = "";
	if (json_get_str(root, "reference", false, &s, file, "", e) < 0)
		goto out;
	snprintf(p->reference, sizeof(p->reference), "%s", s);

	if (json_get_object(root, "identity", false, &v, file, "", e) < 0)
		goto out;
	p->id.not_dumpable = false;
	p->id.close_inherited_fds = true;
	if (json_object_get(root, "identity") && parse_identity(v, file, &p->id, e) < 0)
		goto out;
	v = NULL;
	if (json_get_object(root, "network", true, &v, file, "", e) < 0 ||
	    parse_network(v, file, &p->net, e) < 0)
		goto out;
	v = json_object_get(root, "landlock");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v)) {
			perr_usage(e, "%s: field 'landlock': expected an object or null", file);
			goto out;
		}
		if (parse_landlock(v, file, &p->ll, e) < 0)
			goto out;
	}
	v = json_object_get(root, "seccomp");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v)) {
			perr_usage(e, "%s: field 'seccomp': expected an object or null", file);
			goto out;
		}
		if (parse_seccomp(v, file, &p->sc, e) < 0)
			goto out;
	}
	/* Cross-field rules: a non-root agent can only load Landlock or seccomp
	 * with no_new_privs (the kernel refuses otherwise). */
	if ((p->ll.enabled || p->sc.enabled) && (p->id.agent_drop || p->id.supervisor_drop) &&
	    !p->id.no_new_privs) {
		perr_usage(e,
			   "%s: field 'identity.no_new_privs': must be true when a non-root agent "
			   "loads Landlock or seccomp",
			   file);
		goto out;
	}
	if (p->sc.notify.enabled && !p->sc.enabled) {
		perr_usage(e, "%s: field 'seccomp.notify': needs seccomp", file);
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	if (rc < 0)
		profile_free(p);
	return rc;
}

int profile_load(const char *name_or_file, struct profile *p, struct perr *e)
{
	char path[PATH_MAX];
	char *text;
	int rc;

	if (profile_resolve_path(name_or_file, path, sizeof(path), e) < 0)
		return -1;
	text = util_read_file(path, NULL, e);
	if (!text)
		return perr_prefix(e, "profile");
	rc = profile_parse(text, path, p, e);
	free(text);
	return rc;
}

void profile_free(struct profile *p)
{
	for (unsigned i = 0; i < p->ll.nro; i++)
		free(p->ll.fs_read_only[i]);
	for (unsigned i = 0; i < p->ll.nrw; i++)
		free(p->ll.fs_read_write[i]);
	p->ll.nro = p->ll.nrw = 0;
}
