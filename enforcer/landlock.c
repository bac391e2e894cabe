/* landlock.c - Landlock rulesets with raw syscalls and ABI emulation.
 *
 * Emulating ABI N means building exactly the ruleset a kernel of ABI N would
 * accept: only the rights and scopes that ABI defines, and the attr size it
 * knows. What the profile asks for beyond that is skipped (best-effort) or
 * refused (hard), and either way listed in the report.
 */
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "landlock_compat.h"
#include "probe.h"
#include "util.h"

struct right_info {
	uint64_t bit;
	int abi;
	const char *name;
};

static const struct right_info fs_rights[] = {
    {LANDLOCK_ACCESS_FS_EXECUTE, 1, "execute"},
    {LANDLOCK_ACCESS_FS_WRITE_FILE, 1, "write_file"},
    {LANDLOCK_ACCESS_FS_READ_FILE, 1, "read_file"},
    {LANDLOCK_ACCESS_FS_READ_DIR, 1, "read_dir"},
    {LANDLOCK_ACCESS_FS_REMOVE_DIR, 1, "remove_dir"},
    {LANDLOCK_ACCESS_FS_REMOVE_FILE, 1, "remove_file"},
    {LANDLOCK_ACCESS_FS_MAKE_CHAR, 1, "make_char"},
    {LANDLOCK_ACCESS_FS_MAKE_DIR, 1, "make_dir"},
    {LANDLOCK_ACCESS_FS_MAKE_REG, 1, "make_reg"},
    {LANDLOCK_ACCESS_FS_MAKE_SOCK, 1, "make_sock"},
    {LANDLOCK_ACCESS_FS_MAKE_FIFO, 1, "make_fifo"},
    {LANDLOCK_ACCESS_FS_MAKE_BLOCK, 1, "make_block"},
    {LANDLOCK_ACCESS_FS_MAKE_SYM, 1, "make_sym"},
    {LANDLOCK_ACCESS_FS_REFER, 2, "refer"},
    {LANDLOCK_ACCESS_FS_TRUNCATE, 3, "truncate"},
    {LANDLOCK_ACCESS_FS_IOCTL_DEV, 5, "ioctl_dev"},
    {LANDLOCK_ACCESS_FS_RESOLVE_UNIX, 9, "resolve_unix"},
};

static const struct right_info net_rights[] = {
    {LANDLOCK_ACCESS_NET_BIND_TCP, 4, "bind_tcp"},
    {LANDLOCK_ACCESS_NET_CONNECT_TCP, 4, "connect_tcp"},
    {LANDLOCK_ACCESS_NET_BIND_UDP, 10, "bind_udp"},
    {LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP, 10, "connect_send_udp"},
};

static const struct right_info scopes[] = {
    {LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, 6, "abstract_unix_socket"},
    {LANDLOCK_SCOPE_SIGNAL, 6, "signal"},
};

static uint64_t rights_upto(const struct right_info *t, size_t n, int abi)
{
	uint64_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (t[i].abi <= abi)
			m |= t[i].bit;
	return m;
}

static int right_abi(const struct right_info *t, size_t n, uint64_t bit)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].bit == bit)
			return t[i].abi;
	return -1;
}

static const char *right_name(const struct right_info *t, size_t n, uint64_t bit)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].bit == bit)
			return t[i].name;
	return "?";
}

uint64_t landlock_abi_fs_rights(int abi)
{
	return rights_upto(fs_rights, ARRAY_SIZE(fs_rights), abi);
}
uint64_t landlock_abi_net_rights(int abi)
{
	return rights_upto(net_rights, ARRAY_SIZE(net_rights), abi);
}
uint64_t landlock_abi_scopes(int abi)
{
	return rights_upto(scopes, ARRAY_SIZE(scopes), abi);
}
int landlock_fs_right_min_abi(uint64_t r)
{
	return right_abi(fs_rights, ARRAY_SIZE(fs_rights), r);
}
int landlock_net_right_min_abi(uint64_t r)
{
	return right_abi(net_rights, ARRAY_SIZE(net_rights), r);
}
int landlock_scope_min_abi(uint64_t s)
{
	return right_abi(scopes, ARRAY_SIZE(scopes), s);
}
const char *landlock_fs_right_name(uint64_t r)
{
	return right_name(fs_rights, ARRAY_SIZE(fs_rights), r);
}
const char *landlock_net_right_name(uint64_t r)
{
	return right_name(net_rights, ARRAY_SIZE(net_rights), r);
}

int landlock_kernel_abi(const char **why)
{
	int abi = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi >= 1)
		return abi;
	if (why) {
		switch (errno) {
		case ENOSYS:
			*why = "not built into this kernel (ENOSYS)";
			break;
		case EOPNOTSUPP:
			*why = "built but disabled at boot, not in lsm= (EOPNOTSUPP)";
			break;
		case EPERM:
			*why = "blocked by a seccomp filter (EPERM)";
			break;
		default:
			*why = "unavailable";
		}
	}
	return 0;
}

static size_t attr_size_for(int abi)
{
	if (abi >= 10)
		return PARITY_LL_ATTR_SIZE_ABI10;
	if (abi >= 6)
		return PARITY_LL_ATTR_SIZE_ABI6;
	if (abi >= 4)
		return PARITY_LL_ATTR_SIZE_ABI4;
	return PARITY_LL_ATTR_SIZE_ABI1;
}

/* Record a feature the effective ABI lacks: skipped, or refused (hard). */
static int missing(struct rep_sink *rs, enum compat_mode compat, const char *item, int need_abi,
		   int eff, bool emulated, struct perr *e)
{
	const char *src = emulated ? "emulated ABI" : "kernel ABI";
	if (compat == COMPAT_HARD) {
		rep_emit(rs, "landlock", item, REP_FAILED, "needs Landlock ABI %d, %s is %d",
			 need_abi, src, eff);
		perr_set(e,
			 "--compat hard: %s needs Landlock ABI %d but the %s is %d; "
			 "refusing to start",
			 item, need_abi, src, eff);
		if (e)
			e->feature_missing = true;
		return -1;
	}
	rep_emit(rs, "landlock", item, REP_SKIPPED, "needs Landlock ABI %d, %s is %d (best-effort)",
		 need_abi, src, eff);
	return 0;
}

int landlock_expand_path(const char *in, char *out, size_t len)
{
	const char *exe = util_self_exe();
	if (strncmp(in, "${exe_dir}", 10) == 0) {
		char dir[PATH_MAX];
		char *slash;
		if (!exe)
			return -1;
		snprintf(dir, sizeof(dir), "%s", exe);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		/* Never cut: a cut path names a parent directory, a wider grant. */
		return (size_t)snprintf(out, len, "%s%s", dir, in + 10) < len ? 0 : -1;
	}
	if (in[0] != '/')
		return -1;
	return (size_t)snprintf(out, len, "%s", in) < len ? 0 : -1;
}

/* Paths live in a static pool: the plan is built once per process. */
static char path_pool[LANDLOCK_MAX_PATH_RULES][PATH_MAX];

static int plan_paths(struct landlock_plan *p, char *const *list, unsigned n,
		      const char *const *extra, bool rw, struct rep_sink *rs)
{
	const uint64_t ro_rights =
	    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	unsigned total = n;
	size_t nextra = 0;

	while (extra && extra[nextra])
		nextra++;
	total += (unsigned)nextra;
	for (unsigned i = 0; i < total; i++) {
		const char *raw = i < n ? list[i] : extra[i - n];
		struct landlock_path *lp;
		if (p->npaths >= LANDLOCK_MAX_PATH_RULES) {
			rep_emit(rs, "landlock", raw, REP_FAILED, "too many path rules");
			return -1;
		}
		if (landlock_expand_path(raw, path_pool[p->npaths], sizeof(path_pool[0])) < 0) {
			rep_emit(rs, "landlock", raw, REP_FAILED, "cannot expand path");
			return -1;
		}
		lp = &p->paths[p->npaths++];
		lp->path = path_pool[p->npaths - 1];
		lp->read_write = rw;
		lp->access = (rw ? ~0ull : ro_rights) & p->handled.fs;
		lp->fd = -1;
	}
	return 0;
}

/* The kernel's errata (the issues it carries the fix for), as far as they
 * change what this ruleset does: facts, since the rules themselves are
 * applied either way, but a fix can leave part of the job to another
 * layer, and a missing one weakens a rule. The errata are the running
 * kernel's, also when an older ABI is emulated. */
void landlock_report_errata(const struct landlock_plan *p, bool known, unsigned mask, int err,
			    struct rep_sink *rs)
{
	const uint64_t tcp = LANDLOCK_ACCESS_NET_CONNECT_TCP | LANDLOCK_ACCESS_NET_BIND_TCP;

	if (!known) {
		rep_emit(rs, "landlock", "errata", REP_INFO,
			 "unknown: landlock_create_ruleset(ERRATA): %s (a kernel before 6.15 "
			 "without the interface); which fixes below it carries is not known",
			 strerror(err));
		mask = 0;
	} else {
		rep_emit(rs, "landlock", "errata", REP_INFO,
			 "0x%x from landlock_create_ruleset(NULL, 0, ERRATA)", mask);
	}
	if (p->handled.net & tcp)
		rep_emit(rs, "landlock", "erratum 1 (TCP socket identification)", REP_INFO,
			 (mask & 1U) ? "fixed: connect_tcp and bind_tcp restrict TCP sockets only; "
				       "MPTCP, SCTP and SMC stream sockets are not restricted by "
				       "them: only a seccomp rule on socket()'s protocol refuses "
				       "them (attacks T07-T09)"
				     : "not known to be fixed: MPTCP, SCTP and SMC stream sockets "
				       "may be restricted by the TCP rights too, or not");
	if (p->handled.net & LANDLOCK_ACCESS_NET_CONNECT_TCP)
		/* No errata bit for it: only a try tells (parity probe). */
		rep_emit(rs, "landlock", "TCP Fast Open and connect_tcp", REP_INFO,
			 "not known to be checked: sendto/sendmsg with MSG_FASTOPEN opens a TCP "
			 "connection without the connect hook on kernels without \"landlock: Fix "
			 "TCP Fast Open connection bypass\" (33cb713db016, 7.2-rc4; no errata "
			 "bit): there the port rule does not hold for it (attack T06); `parity "
			 "probe` measures it (landlock.tfo_checked), a seccomp rule on "
			 "MSG_FASTOPEN refuses it");
	if (p->handled.fs && !(mask & 4U))
		rep_emit(rs, "landlock", "erratum 3 (disconnected directories)", REP_INFO,
			 "not known to be fixed: rename or link through a disconnected "
			 "directory (under a bind mount) may widen access past these fs rules");
}

static void report_errata(const struct landlock_plan *p, struct rep_sink *rs)
{
	unsigned mask = 0;
	int err = 0;
	bool known = probe_landlock_errata(&mask, &err) == 0;

	landlock_report_errata(p, known, mask, err, rs);
}

int landlock_plan(const struct profile_landlock *l, int abi_cap, enum compat_mode compat,
		  const char *const *extra_ro, const char *const *extra_rw, struct landlock_plan *p,
		  struct rep_sink *rs, struct perr *e)
{
	const char *why = NULL;
	int eff;
	uint64_t want_fs = 0, want_net = 0, want_scopes = 0;
	char item[96];

	memset(p, 0, sizeof(*p));
	p->kernel_abi = landlock_kernel_abi(&why);
	if (!l->enabled) {
		p->effective_abi =
		    abi_cap >= 0 && abi_cap < p->kernel_abi ? abi_cap : p->kernel_abi;
		rep_emit(rs, "landlock", "layer", REP_INFO, "not part of this profile");
		return 0;
	}
	if (abi_cap > p->kernel_abi)
		return perr_usage(e,
				  "--landlock-abi %d: the kernel offers ABI %d; an emulated ABI "
				  "cannot claim more than the kernel has",
				  abi_cap, p->kernel_abi);
	eff = abi_cap >= 0 ? abi_cap : p->kernel_abi;
	p->effective_abi = eff;
	p->emulated = eff < p->kernel_abi;
	rep_emit(rs, "landlock", "abi", REP_INFO, "effective ABI %d (kernel %d%s%s)%s", eff,
		 p->kernel_abi, p->kernel_abi ? "" : ": ", p->kernel_abi ? "" : (why ? why : ""),
		 p->emulated ? ", emulated with --landlock-abi" : "");

	/* What the profile wants, at the best ABI. */
	if (l->fs_rights_abi)
		want_fs = landlock_abi_fs_rights((int)l->fs_rights_abi);
	if (l->ioctl_dev_handled)
		want_fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	if (l->resolve_unix_handled)
		want_fs |= LANDLOCK_ACCESS_FS_RESOLVE_UNIX;
	if (l->connect_tcp_handled)
		want_net |= LANDLOCK_ACCESS_NET_CONNECT_TCP;
	if (l->bind_tcp_handled)
		want_net |= LANDLOCK_ACCESS_NET_BIND_TCP;
	if (l->udp_handled)
		want_net |= LANDLOCK_ACCESS_NET_BIND_UDP | LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP;
	if (l->scope_abstract_unix)
		want_scopes |= LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
	if (l->scope_signal)
		want_scopes |= LANDLOCK_SCOPE_SIGNAL;

	if (eff == 0) {
		/* No Landlock at all: every part of the layer is missing. */
		if (missing(rs, compat, "ruleset (whole layer)", 1, 0, p->emulated, e) < 0)
			return -1;
		for (unsigned i = 0; i < l->nro; i++)
			rep_emit(rs, "landlock", l->fs_read_only[i], REP_SKIPPED,
				 "fs read-only rule: no Landlock");
		for (unsigned i = 0; i < l->nrw; i++)
			rep_emit(rs, "landlock", l->fs_read_write[i], REP_SKIPPED,
				 "fs read-write rule: no Landlock");
		for (unsigned i = 0; i < l->nconnect; i++)
			rep_emit(rs, "landlock", "net.connect_tcp", REP_SKIPPED,
				 "allow connect to port %u: no Landlock", l->connect_tcp[i]);
		if (l->connect_tcp_handled)
			rep_emit(rs, "landlock", "net.connect_tcp (handled)", REP_SKIPPED,
				 "TCP connect is unrestricted: no Landlock");
		if (l->bind_tcp_handled)
			rep_emit(rs, "landlock", "net.bind_tcp (handled)", REP_SKIPPED,
				 "TCP bind is unrestricted: no Landlock");
		if (l->udp_handled)
			rep_emit(rs, "landlock", "net.udp (handled)", REP_SKIPPED,
				 "UDP is unrestricted by Landlock: no Landlock");
		if (l->scope_abstract_unix)
			rep_emit(rs, "landlock", "scope.abstract_unix_socket", REP_SKIPPED,
				 "no Landlock");
		if (l->scope_signal)
			rep_emit(rs, "landlock", "scope.signal", REP_SKIPPED, "no Landlock");
		return 0;
	}

	/* Per right: keep what the effective ABI has, skip/refuse the rest. */
	for (size_t i = 0; i < ARRAY_SIZE(fs_rights); i++) {
		if (!(want_fs & fs_rights[i].bit))
			continue;
		if (fs_rights[i].abi <= eff) {
			p->handled.fs |= fs_rights[i].bit;
			continue;
		}
		snprintf(item, sizeof(item), "fs.%s (handled)", fs_rights[i].name);
		if (missing(rs, compat, item, fs_rights[i].abi, eff, p->emulated, e) < 0)
			return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(net_rights); i++) {
		if (!(want_net & net_rights[i].bit))
			continue;
		if (net_rights[i].abi <= eff) {
			p->handled.net |= net_rights[i].bit;
			continue;
		}
		snprintf(item, sizeof(item), "net.%s (handled)", net_rights[i].name);
		if (missing(rs, compat, item, net_rights[i].abi, eff, p->emulated, e) < 0)
			return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(scopes); i++) {
		if (!(want_scopes & scopes[i].bit))
			continue;
		if (scopes[i].abi <= eff) {
			p->handled.scoped |= scopes[i].bit;
			continue;
		}
		snprintf(item, sizeof(item), "scope.%s", scopes[i].name);
		if (missing(rs, compat, item, scopes[i].abi, eff, p->emulated, e) < 0)
			return -1;
	}
	/* Port rules of an unhandled right are meaningless: list them. */
	if (l->connect_tcp_handled && !(p->handled.net & LANDLOCK_ACCESS_NET_CONNECT_TCP))
		for (unsigned i = 0; i < l->nconnect; i++)
			rep_emit(rs, "landlock", "net.connect_tcp", REP_SKIPPED,
				 "allow connect to port %u: connect_tcp not handled at ABI %d, so "
				 "TCP connect is unrestricted",
				 l->connect_tcp[i], eff);
	if (l->bind_tcp_handled && !(p->handled.net & LANDLOCK_ACCESS_NET_BIND_TCP))
		for (unsigned i = 0; i < l->nbind; i++)
			rep_emit(rs, "landlock", "net.bind_tcp", REP_SKIPPED,
				 "allow bind to port %u: bind_tcp not handled at ABI %d",
				 l->bind_tcp[i], eff);
	if (p->handled.net & LANDLOCK_ACCESS_NET_CONNECT_TCP) {
		p->connect_ports = l->connect_tcp;
		p->nconnect = l->nconnect;
	}
	if (p->handled.net & LANDLOCK_ACCESS_NET_BIND_TCP) {
		p->bind_ports = l->bind_tcp;
		p->nbind = l->nbind;
	}
	if (p->handled.net & LANDLOCK_ACCESS_NET_BIND_UDP) {
		p->udp_bind_ports = l->udp_bind;
		p->nudp_bind = l->nudp_bind;
		p->udp_send_ports = l->udp_send;
		p->nudp_send = l->nudp_send;
	}
	if (p->handled.fs) {
		if (plan_paths(p, l->fs_read_only, l->nro, extra_ro, false, rs) < 0 ||
		    plan_paths(p, l->fs_read_write, l->nrw, extra_rw, true, rs) < 0)
			return perr_set(e, "landlock: bad path rule");
	}
	p->active = p->handled.fs || p->handled.net || p->handled.scoped;
	if (!p->active)
		rep_emit(rs, "landlock", "ruleset", REP_SKIPPED, "nothing left to handle at ABI %d",
			 eff);
	else
		report_errata(p, rs);
	return 0;
}

int landlock_prepare(struct landlock_plan *p, struct rep_sink *rs)
{
	for (unsigned i = 0; i < p->npaths; i++) {
		struct landlock_path *lp = &p->paths[i];
		lp->fd = open(lp->path, O_PATH | O_CLOEXEC);
		if (lp->fd < 0)
			/* A missing path cannot be granted; access beneath it is then
			 * denied, which is the safe side. Reported, never silent. */
			rep_emit(rs, "landlock", lp->path, REP_SKIPPED,
				 "%s rule: cannot open (%s); nothing granted there",
				 lp->read_write ? "read-write" : "read-only", strerror(errno));
	}
	return 0;
}

static int add_port_rules(int fd, uint64_t right, const uint16_t *ports, unsigned n,
			  const char *what, struct rep_sink *rs)
{
	for (unsigned i = 0; i < n; i++) {
		struct parity_landlock_net_port_attr a = {.allowed_access = right,
							  .port = ports[i]};
		char item[64];
		snprintf(item, sizeof(item), "net.%s port %u", what, ports[i]);
		if (ll_add_rule(fd, PARITY_LANDLOCK_RULE_NET_PORT, &a, 0) < 0) {
			rep_emit(rs, "landlock", item, REP_FAILED, "landlock_add_rule: %s",
				 strerror(errno));
			return -1;
		}
		rep_emit(rs, "landlock", item, REP_APPLIED, "allowed");
	}
	return 0;
}

/* The ruleset with every rule (fs, net, scopes), not yet enforced. */
static int build_ruleset(struct landlock_plan *p, struct rep_sink *rs)
{
	struct parity_landlock_ruleset_attr attr = {0};
	int fd;
	const uint64_t file_rights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
				     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
				     LANDLOCK_ACCESS_FS_IOCTL_DEV;
	attr.handled_access_fs = p->handled.fs;
	attr.handled_access_net = p->handled.net;
	attr.scoped = p->handled.scoped;
	fd = ll_create_ruleset(&attr, attr_size_for(p->effective_abi), 0);
	if (fd < 0) {
		rep_emit(rs, "landlock", "ruleset", REP_FAILED,
			 "landlock_create_ruleset(fs=%#llx net=%#llx scoped=%#llx): %s",
			 (unsigned long long)attr.handled_access_fs,
			 (unsigned long long)attr.handled_access_net,
			 (unsigned long long)attr.scoped, strerror(errno));
		return -1;
	}
	rep_emit(rs, "landlock", "ruleset", REP_APPLIED,
		 "handled fs=%#llx net=%#llx scoped=%#llx at ABI %d",
		 (unsigned long long)attr.handled_access_fs,
		 (unsigned long long)attr.handled_access_net, (unsigned long long)attr.scoped,
		 p->effective_abi);
	for (unsigned i = 0; i < p->npaths; i++) {
		struct landlock_path *lp = &p->paths[i];
		struct parity_landlock_path_beneath_attr pb;
		struct stat st;
		if (lp->fd < 0)
			continue;
		pb.allowed_access = lp->access;
		pb.parent_fd = lp->fd;
		/* Non-directories take only file rights (EINVAL otherwise). */
		if (fstat(lp->fd, &st) == 0 && !S_ISDIR(st.st_mode))
			pb.allowed_access &= file_rights;
		if (ll_add_rule(fd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
			rep_emit(rs, "landlock", lp->path, REP_FAILED, "landlock_add_rule: %s",
				 strerror(errno));
			goto out;
		}
		rep_emit(rs, "landlock", lp->path, REP_APPLIED, "%s (access %#llx)",
			 lp->read_write ? "read-write" : "read-only",
			 (unsigned long long)pb.allowed_access);
		close(lp->fd);
		lp->fd = -1;
	}
	if (p->handled.net & LANDLOCK_ACCESS_NET_CONNECT_TCP) {
		if (p->nconnect == 0)
			rep_emit(rs, "landlock", "net.connect_tcp", REP_APPLIED,
				 "handled with no port allowed: every TCP connect denied");
		if (add_port_rules(fd, LANDLOCK_ACCESS_NET_CONNECT_TCP, p->connect_ports,
				   p->nconnect, "connect_tcp", rs) < 0)
			goto out;
	}
	if (p->handled.net & LANDLOCK_ACCESS_NET_BIND_TCP) {
		if (p->nbind == 0)
			rep_emit(rs, "landlock", "net.bind_tcp", REP_APPLIED,
				 "handled with no port allowed: every TCP bind denied");
		if (add_port_rules(fd, LANDLOCK_ACCESS_NET_BIND_TCP, p->bind_ports, p->nbind,
				   "bind_tcp", rs) < 0)
			goto out;
	}
	if (p->handled.net & LANDLOCK_ACCESS_NET_BIND_UDP) {
		if (add_port_rules(fd, LANDLOCK_ACCESS_NET_BIND_UDP, p->udp_bind_ports,
				   p->nudp_bind, "bind_udp", rs) < 0 ||
		    add_port_rules(fd, LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP, p->udp_send_ports,
				   p->nudp_send, "connect_send_udp", rs) < 0)
			goto out;
		rep_emit(rs, "landlock", "net.udp", REP_APPLIED,
			 "bind_udp and connect_send_udp handled (%u/%u ports allowed)",
			 p->nudp_bind, p->nudp_send);
	}
	if (p->handled.scoped & LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET)
		rep_emit(rs, "landlock", "scope.abstract_unix_socket", REP_APPLIED, "scoped");
	if (p->handled.scoped & LANDLOCK_SCOPE_SIGNAL)
		rep_emit(rs, "landlock", "scope.signal", REP_APPLIED, "scoped");
	return fd;
out:
	close(fd);
	return -1;
}

int landlock_enforce(struct landlock_plan *p, struct rep_sink *rs)
{
	int fd, rc = -1;

	if (!p->active)
		return 0;
	fd = build_ruleset(p, rs);
	if (fd < 0)
		return -1;
	if (ll_restrict_self(fd, 0) < 0) {
		rep_emit(rs, "landlock", "restrict_self", REP_FAILED, "%s", strerror(errno));
		goto out;
	}
	rep_emit(rs, "landlock", "restrict_self", REP_APPLIED, "domain enforced");
	rc = 0;
out:
	close(fd);
	return rc;
}

int landlock_ruleset_copy(const struct landlock_plan *plan, struct rep_sink *rs)
{
	/* Our own copy of the plan: the path fds are opened and closed here,
	 * the caller's plan (the agent's, forked later) is left untouched.
	 * Static: the plan is large and this runs once per process. */
	static struct landlock_plan p;
	struct rep_sink quiet = {.report = NULL, .fd = -1};

	if (!plan->active)
		return -1;
	p = *plan;
	for (unsigned i = 0; i < p.npaths; i++)
		p.paths[i].fd = -1;
	/* The rules (and paths that cannot be opened) are reported by the
	 * agent as it enforces the same plan. */
	(void)rs;
	landlock_prepare(&p, &quiet);
	return build_ruleset(&p, &quiet);
}
