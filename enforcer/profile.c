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
		if (profile_dir()[0] != '/') {
			const char *exe = util_self_exe();
			return perr_usage(
			    e,
			    "--profile '%s': no profile directory found (looked next to "
			    "%s and in its ../share/parity/profiles, then in ./%s); set "
			    "PARITY_PROFILE_DIR (shipped: %s)",
			    name_or_file, exe ? exe : "the executable", profile_dir(), list);
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
	json_array_foreach (arr, i, v) {
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
	json_array_foreach (arr, i, v) {
		const char *s = json_string_value(v);
		/* ${exe_dir} is the one variable; a path that could not be held
		 * whole would be cut, and name its parent directory instead. */
		if (!json_is_string(v) ||
		    (s[0] != '/' && (strncmp(s, "${exe_dir}", 10) != 0 || (s[10] && s[10] != '/'))))
			return perr_usage(e,
					  "%s: field '%s[%zu]': expected an absolute path or "
					  "${exe_dir}[/...]",
					  file, where, i);
		if (strlen(s) >= PATH_MAX - 256)
			return perr_usage(e, "%s: field '%s[%zu]': path longer than %d bytes", file,
					  where, i, PATH_MAX - 256);
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

static int parse_identity(json_t *o, const char *file, struct profile_identity *id, struct perr *e)
{
	static const char *const keys[] = {"supervisor",	  "agent",    "clear_capabilities",
					   "no_new_privs",	  "dumpable", "setsid",
					   "close_inherited_fds", NULL};
	static const char *const who_keys[] = {"drop", "uid", "gid", NULL};
	json_t *sup = NULL, *agent = NULL;
	bool dumpable = true;
	long long v;

	if (json_check_keys(o, keys, file, "identity", e) < 0)
		return -1;
	if (json_get_object(o, "supervisor", false, &sup, file, "identity", e) < 0 ||
	    json_get_object(o, "agent", false, &agent, file, "identity", e) < 0 ||
	    json_get_bool(o, "clear_capabilities", false, &id->clear_capabilities, file, "identity",
			  e) < 0 ||
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
	static const char *const ns_keys[] = {"host_addr", "sandbox_addr", "nftables",
					      "nftables_engine", NULL};
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
			return perr_usage(
			    e,
			    "%s: field 'network.proxy_policy': expected \"default\" or "
			    "\"open\"",
			    file);
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
		return perr_usage(
		    e, "%s: field 'network.namespace': required with mode \"namespace\"", file);
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
		return perr_usage(e,
				  "%s: field 'network.namespace': host_addr and sandbox_addr "
				  "must share a prefix length",
				  file);
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
	s = "netlink";
	if (json_get_str(ns, "nftables_engine", false, &s, file, "network.namespace", e) < 0)
		return -1;
	if (strcmp(s, "libnftables") == 0)
		n->nft_libnftables = true;
	else if (strcmp(s, "netlink") != 0)
		return perr_usage(e,
				  "%s: field 'network.namespace.nftables_engine': expected "
				  "\"netlink\" or \"libnftables\"",
				  file);
	return 0;
}

static int parse_landlock(json_t *o, const char *file, struct profile_landlock *l, struct perr *e)
{
	static const char *const keys[] = {"fs",	   "net",	"scopes",
					   "resolve_unix", "ioctl_dev", NULL};
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
		    json_get_int(fs, "rights_abi", false, 1, 3, &rabi, file, "landlock.fs", e) <
			0 ||
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
		json_array_foreach (scopes, i, v) {
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
/* The seccomp section lives in profile_seccomp.c. */
int profile_parse_seccomp(json_t *o, const char *file, struct profile_seccomp *s, struct perr *e);

int profile_parse(const char *text, const char *file, struct profile *p, struct perr *e)
{
	static const char *const keys[] = {"name",    "description", "reference", "identity",
					   "network", "landlock",    "seccomp",	  NULL};
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
		if (profile_parse_seccomp(v, file, &p->sc, e) < 0)
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
	text = util_read_file_max(path, NULL, UTIL_CONFIG_MAX, e);
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
