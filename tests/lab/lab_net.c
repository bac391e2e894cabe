/* lab_net.c - lab tests (root, real kernel) of core/nl, enforcer/nft and
 * enforcer/netns. One program, one subcommand per meson test:
 *
 *   nl-basic      namespaces, veth, v4/v6 addresses and routes; v4 and v6
 *                 connections work at once (no DAD/ND stall); threads
 *   nft-output    netns_setup with the reference's sandbox-output ruleset
 *                 (applied in the calling thread)
 *   nft-output-worker  the same through the nftables worker (the default)
 *   nft-worker    the worker alone: its netns, a handed-over one, abort,
 *                 an inherited socket, a worker killed early
 *   nft-forward   the same policy placed on the supervisor side
 *   nft-off       the control: the same probes all get through
 *   nft-fail      a failing Required rule: per-rule report, setup undone
 *   nft-netlink   the worker's netlink batch (nft_netlink.h) against
 *                 libnftables: the same rules in the kernel, byte for byte;
 *                 a refused batch changes nothing; a batch that cannot be
 *                 sent falls back to libnftables, and says so
 *   leak          many cycles; then veth links, netns ids, namespaces held
 *                 by processes and fds are back to where they started
 *
 * Setup uses only the library; the checks are real sockets in the sandbox
 * netns and listeners outside it. Exit 0 pass, 1 fail, 77 skip (not root).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <nftables/libnftables.h>

#include "enforcer/netns.h"
#include "enforcer/nft.h"
#include "enforcer/nft_netlink.h"
#include "net_lab.h"
#include "nl.h"
#include "util.h"

#define FAST_MS 200.0 /* a rejected connection fails at once */

static unsigned long thread_netns(void)
{
	struct stat st;
	return stat("/proc/thread-self/ns/net", &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static int read_in(int ns_fd, const char *path, char *buf, size_t len)
{
	struct perr e;
	int saved, r;

	if (nl_netns_enter(ns_fd, &saved, &e) < 0)
		die("enter", &e);
	r = util_read_text(path, buf, len);
	if (nl_netns_leave(saved, &e) < 0)
		die("leave", &e);
	return r;
}

/* ---- nl-basic ----------------------------------------------------------- */

/* Two fresh namespaces joined by a veth, v4 and v6; connect both ways. */
static int pair_and_connect(bool quiet)
{
	struct perr e;
	int a, b, la, la6, bad = 0, r;
	struct nl_ctx *ca, *cb;
	double ms;

	perr_clear(&e);
	if (nl_netns_new(&a, NL_NETNS_NODAD, &e) < 0 || nl_netns_new(&b, NL_NETNS_NODAD, &e) < 0)
		die("nl_netns_new", &e);
	ca = nl_ctx_open(a, &e);
	cb = ca ? nl_ctx_open(b, &e) : NULL;
	if (!cb)
		die("nl_ctx_open", &e);
	if (nl_veth_create(ca, "va", "vb", b, &e) < 0 ||
	    nl_addr_add(ca, "va", "10.1.0.1/24", &e) < 0 ||
	    nl_addr_add(ca, "va", "fd00:1::1/64", &e) < 0 ||
	    nl_addr_add(cb, "vb", "10.1.0.2/24", &e) < 0 ||
	    nl_addr_add(cb, "vb", "fd00:1::2/64", &e) < 0 || nl_link_up(ca, "va", &e) < 0 ||
	    nl_link_up(cb, "vb", &e) < 0 || nl_link_up(cb, "lo", &e) < 0 ||
	    nl_route_add_default(cb, "10.1.0.1", &e) < 0 ||
	    nl_route_add_default(cb, "fd00:1::1", &e) < 0 ||
	    nl_route_add(ca, "10.9.0.0/16", NULL, "va", &e) < 0 ||
	    nl_link_wait_ready(ca, "va", 2000, &e) < 0 ||
	    nl_link_wait_ready(cb, "vb", 2000, &e) < 0)
		die("pair setup", &e);
	la = probe_tcp_listen(a, "10.1.0.1", 7000);
	la6 = probe_tcp_listen(a, "fd00:1::1", 7000);
	r = probe_tcp_connect(b, "10.1.0.1", 7000, 3000, &ms);
	if (r != 0 || ms > FAST_MS || !probe_accepted(la, 1000)) {
		bad++;
		printf("note: v4 connect %d (%s) in %.1f ms\n", r, strerror(-r), ms);
	}
	r = probe_tcp_connect(b, "fd00:1::1", 7000, 3000, &ms);
	if (r != 0 || ms > FAST_MS || !probe_accepted(la6, 1000)) {
		bad++;
		printf("note: v6 connect %d (%s) in %.1f ms\n", r, strerror(-r), ms);
	}
	if (!quiet) {
		char v[16];
		CHECK(nl_ifindex(ca, "vb") == -ENODEV && nl_ifindex(cb, "vb") > 0,
		      "veth peer created directly in the other namespace");
		CHECK(read_in(b, "/proc/sys/net/ipv6/conf/default/accept_dad", v, sizeof(v)) == 0 &&
			  strcmp(v, "0") == 0,
		      "NL_NETNS_NODAD: accept_dad default = %s", v);
		CHECK(nl_veth_create(ca, "va", "vc", -1, &e) < 0 && e.sys_errno == EEXIST,
		      "duplicate veth name: EEXIST (%s)", e.msg);
		CHECK(nl_addr_add(cb, "vb", "10.1.0.2/24", &e) < 0 && e.sys_errno == EEXIST &&
			  strstr(e.msg, "kernel:"),
		      "duplicate address: EEXIST with the kernel's text (%s)", e.msg);
		CHECK(nl_addr_add(cb, "vb", "10.1.0.2/33", &e) < 0 && e.kind == PARITY_EXIT_USAGE,
		      "bad prefix rejected before the kernel (%s)", e.msg);
		CHECK(nl_link_up(cb, "nosuch0", &e) < 0 && e.sys_errno == ENODEV,
		      "missing link: ENODEV (%s)", e.msg);
		CHECK(netns_sysctl_write(b, "net/ipv4/ip_forward", "1", &e) == 0 &&
			  read_in(b, "/proc/sys/net/ipv4/ip_forward", v, sizeof(v)) == 0 &&
			  strcmp(v, "1") == 0,
		      "netns_sysctl_write in the target namespace");
		CHECK(read_in(-1, "/proc/sys/net/ipv4/ip_forward", v, sizeof(v)) == 0 &&
			  strcmp(v, "0") == 0,
		      "...and not in ours");
		/* The pod's fallback for the sandbox subnet: unreachable at a
		 * high metric, overridden by the connected route while the veth
		 * is there. */
		r = nl_route_add_unreachable(cb, "10.77.0.0/24", 4096, &e);
		CHECK(r == 0, "unreachable route added (%s)", r ? e.msg : "ok");
		r = probe_tcp_connect(b, "10.77.0.5", 7000, 3000, &ms);
		CHECK(r == -EHOSTUNREACH && ms < FAST_MS,
		      "a connect into it fails at once with EHOSTUNREACH (%s, %.1f ms)",
		      strerror(-r), ms);
		r = nl_route_add_unreachable(cb, "10.1.0.0/24", 4096, &e);
		CHECK(r == 0, "unreachable route over the connected subnet (%s)", r ? e.msg : "ok");
		r = probe_tcp_connect(b, "10.1.0.1", 7000, 3000, &ms);
		CHECK(r == 0 && probe_accepted(la, 1000),
		      "the connected route still wins over it (%s)", strerror(-r));
		CHECK(nl_link_del(ca, "va", &e) == 0 && nl_ifindex(cb, "vb") == -ENODEV,
		      "deleting one veth end removes the peer");
	}
	close(la);
	close(la6);
	nl_ctx_close(ca);
	nl_ctx_close(cb);
	close(a);
	close(b);
	return bad;
}

static void *thread_pairs(void *arg)
{
	unsigned long before = thread_netns();
	int bad = 0;

	for (int i = 0; i < 5; i++)
		bad += pair_and_connect(true);
	if (thread_netns() != before)
		bad += 100;
	*(int *)arg = bad;
	return NULL;
}

static void t_nl_basic(void)
{
	unsigned long before = thread_netns();
	pthread_t th[4];
	int res[4], stalls = 0;

	pair_and_connect(false);
	for (int i = 0; i < 20; i++)
		stalls += pair_and_connect(true);
	CHECK(stalls == 0, "20 fresh pairs: v4 and v6 connect at once (%d slow or failed)", stalls);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, thread_pairs, &res[i]);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK(res[i] == 0, "thread %d: 5 pairs in parallel with others (%d)", i, res[i]);
	}
	CHECK(thread_netns() == before, "the calling thread is back in its own namespace");
}

/* ---- placements --------------------------------------------------------- */

static void print_sandbox(const struct netns_sandbox *sb)
{
	for (size_t i = 0; i < sb->nsteps; i++)
		printf("     step %-22s %-8s %s\n", sb->steps[i].name,
		       netns_step_status_name(sb->steps[i].status), sb->steps[i].detail);
	for (size_t i = 0; i < sb->nrules; i++)
		printf("     rule %c %-7s %s%s%s\n", sb->rules[i].required ? 'R' : 'O',
		       sb->rules[i].applied ? "applied" : "FAILED", sb->rules[i].rule,
		       sb->rules[i].error[0] ? " -- " : "", sb->rules[i].error);
}

/* Run "flush ruleset" as root inside ns_fd (what a sandbox with
 * CAP_NET_ADMIN could do). */
static void flush_ruleset_in(int ns_fd)
{
	struct perr e;
	int saved;
	struct nft_ctx *c;

	if (nl_netns_enter(ns_fd, &saved, &e) < 0)
		die("enter", &e);
	c = nft_ctx_new(NFT_CTX_DEFAULT);
	nft_ctx_buffer_error(c);
	nft_run_cmd_from_buffer(c, "flush ruleset");
	nft_ctx_free(c);
	if (nl_netns_leave(saved, &e) < 0)
		die("leave", &e);
}

struct probes {
	int proxy, ssh, pod_other, udp_pod, wan_tcp, wan_proxy_port, wan_udp;
};

static void probes_open(struct probes *p, const struct wan *w)
{
	p->proxy = probe_tcp_listen(-1, "10.200.0.1", 3128);
	p->ssh = probe_tcp_listen(-1, "10.200.0.1", 22);
	p->pod_other = probe_tcp_listen(-1, LAB_POD_V4, 3128);
	p->udp_pod = probe_udp_bind(-1, "10.200.0.1", 9999);
	p->wan_tcp = probe_tcp_listen(w->fd, LAB_SINK_V4, 80);
	p->wan_proxy_port = probe_tcp_listen(w->fd, LAB_SINK_V4, 3128);
	p->wan_udp = probe_udp_bind(w->fd, LAB_SINK_V4, 9999);
	if (p->proxy < 0 || p->ssh < 0 || p->pod_other < 0 || p->udp_pod < 0 || p->wan_tcp < 0 ||
	    p->wan_proxy_port < 0 || p->wan_udp < 0)
		die("listeners", NULL);
}

static void probes_close(struct probes *p)
{
	close(p->proxy);
	close(p->ssh);
	close(p->pod_other);
	close(p->udp_pod);
	close(p->wan_tcp);
	close(p->wan_proxy_port);
	close(p->wan_udp);
}

/* One TCP probe from the sandbox: blocked = refused at once and nothing
 * accepted; open = connected and accepted. */
static void tcp_case(int sbx, const char *addr, uint16_t port, int lfd, bool blocked,
		     const char *what)
{
	double ms;
	int r = probe_tcp_connect(sbx, addr, port, 3000, &ms);
	bool acc = probe_accepted(lfd, blocked ? 100 : 1000);

	if (blocked)
		CHECK(r == -ECONNREFUSED && ms < FAST_MS && !acc,
		      "%s %s:%u refused at once (%s, %.1f ms, accepted=%d)", what, addr, port,
		      r ? util_errname(-r) : "connected", ms, acc);
	else
		CHECK(r == 0 && acc, "%s %s:%u connects (%s, %.1f ms)", what, addr, port,
		      r ? util_errname(-r) : "ok", ms);
}

static void udp_case(int sbx, const char *addr, int rfd, bool blocked, const char *what)
{
	char marker[27];
	int r;
	bool got;

	util_marker(marker);
	r = probe_udp_send(sbx, addr, 9999, marker);
	got = probe_udp_got(rfd, marker, blocked ? 300 : 2000);
	CHECK(blocked ? !got : got, "%s udp %s:9999 %s (sendto %s)", what, addr,
	      got ? "received" : "not received", r ? util_errname(-r) : "ok");
}

static void t_placement(enum nft_placement pl, enum nft_exec ex)
{
	struct perr e;
	struct wan w;
	struct netns_cfg cfg;
	struct netns_sandbox sb;
	struct probes p;
	bool blocked = pl != NFT_OFF;
	int base_veth, keep;
	char *list;
	char host_if[NL_IFNAMSIZ], table[64];

	perr_clear(&e);
	net_isolate();
	if (wan_up(&w, &e) < 0)
		die("wan", &e);
	base_veth = veth_count();
	netns_cfg_init(&cfg);
	cfg.nft = pl;
	cfg.nft_exec = ex;
	cfg.log_tag = "lab";
	if (netns_setup(&cfg, &sb, &e) < 0) {
		print_sandbox(&sb);
		die("netns_setup", &e);
	}
	print_sandbox(&sb);
	printf("     setup %.2f ms\n", sb.setup_ms);
	{
		bool all = true;
		for (size_t i = 0; i < sb.nsteps; i++)
			all &=
			    sb.steps[i].status == (strcmp(sb.steps[i].name, "nftables") || blocked
						       ? NETNS_STEP_APPLIED
						       : NETNS_STEP_SKIPPED);
		for (size_t i = 0; i < sb.nrules; i++)
			all &= sb.rules[i].applied;
		CHECK(all && !sb.degraded, "every step and rule applied (%zu steps, %zu rules)",
		      sb.nsteps, sb.nrules);
	}
	{
		/* One queue each way on both ends (allocated so: no trim, no
		 * synchronize_net under the RTNL at creation). */
		struct nl_ctx *hc = nl_ctx_open(-1, &e), *sc = nl_ctx_open(sb.ns_fd, &e);
		unsigned htx = 0, hrx = 0, stx = 0, srx = 0;
		CHECK(hc && sc && nl_link_queues(hc, sb.host_if, &htx, &hrx) == 0 &&
			  nl_link_queues(sc, sb.sandbox_if, &stx, &srx) == 0 && htx == 1 &&
			  hrx == 1 && stx == 1 && srx == 1,
		      "veth allocated with one queue each way (host %u/%u, sandbox %u/%u)", htx,
		      hrx, stx, srx);
		nl_ctx_close(hc);
		nl_ctx_close(sc);
	}
	probes_open(&p, &w);
	tcp_case(sb.ns_fd, "10.200.0.1", 3128, p.proxy, false, "proxy");
	tcp_case(sb.ns_fd, "10.200.0.1", 22, p.ssh, blocked, "host");
	tcp_case(sb.ns_fd, LAB_POD_V4, 3128, p.pod_other, blocked, "proxy port, other pod address");
	tcp_case(sb.ns_fd, LAB_SINK_V4, 3128, p.wan_proxy_port, blocked, "proxy port, wan address");
	tcp_case(sb.ns_fd, LAB_SINK_V4, 80, p.wan_tcp, blocked, "wan");
	udp_case(sb.ns_fd, "10.200.0.1", p.udp_pod, blocked, "host");
	udp_case(sb.ns_fd, LAB_SINK_V4, p.wan_udp, blocked, "wan");

	if (pl == NFT_SANDBOX_OUTPUT) {
		list = nft_list_table(sb.ns_fd, "inet", "parity", &e);
		CHECK(list && strstr(list, "ip daddr 10.200.0.1 tcp dport 3128 accept") &&
			  strstr(list, "reject with icmpv6 port-unreachable") &&
			  strstr(list, "hook output"),
		      "cross-check: table inet parity is in the sandbox netns");
		free(list);
	}
	if (pl == NFT_SUPERVISOR_FORWARD) {
		list = nft_list_table(-1, "inet", sb.fwd_table, &e);
		CHECK(list && strstr(list, "jump sandbox_in") && strstr(list, "jump sandbox_fwd"),
		      "cross-check: table inet %s is on the host side", sb.fwd_table);
		free(list);
		list = nft_list_table(sb.ns_fd, "inet", sb.fwd_table, &e);
		CHECK(!list, "...and not in the sandbox netns");
		free(list);
		flush_ruleset_in(sb.ns_fd);
		tcp_case(sb.ns_fd, "10.200.0.1", 22, p.ssh, true,
			 "after 'flush ruleset' inside the sandbox, host");
		tcp_case(sb.ns_fd, LAB_SINK_V4, 80, p.wan_tcp, true, "...and wan");
	}
	snprintf(host_if, sizeof(host_if), "%s", sb.host_if);
	snprintf(table, sizeof(table), "%s", sb.fwd_table);
	/* something still living in the sandbox after teardown */
	keep = dup(sb.ns_fd);
	CHECK(netns_teardown(&sb, &e) == 0, "netns_teardown");
	if (table[0]) {
		double ms;
		int r1 = probe_tcp_connect(keep, "10.200.0.1", 3128, 300, &ms);
		int r2 = probe_tcp_connect(keep, LAB_SINK_V4, 80, 300, &ms);
		CHECK(r1 != 0 && r2 != 0 && !probe_accepted(p.proxy, 50) &&
			  !probe_accepted(p.wan_tcp, 50),
		      "after teardown a process left in the sandbox reaches nothing (%s, %s)",
		      util_errname(-r1), util_errname(-r2));
		list = nft_list_table(-1, "inet", table, &e);
		CHECK(!list, "teardown removed table inet %s", table);
		free(list);
	}
	close(keep);
	CHECK(wait_count(veth_count, base_veth, 5000) == base_veth,
	      "the host veth %s went with the sandbox netns", host_if);
	probes_close(&p);
	wan_down(&w);
}

/* ---- nft-fail ----------------------------------------------------------- */

static void t_nft_fail(void)
{
	struct perr e;
	struct nft_sandbox_cfg nc = {.host_addr = "10.200.0.1", .proxy_port = 3128};
	struct nft_rule_result res[NFT_MAX_CMDS];
	struct netns_cfg cfg;
	struct netns_sandbox sb;
	size_t n = 0;
	int ns, fds, veths;
	struct nft_ctx *c;
	int saved;

	perr_clear(&e);
	net_isolate();
	if (nl_netns_new(&ns, 0, &e) < 0)
		die("netns", &e);
	/* a chain "output" hooked elsewhere makes "add chain ... hook output" fail */
	if (nl_netns_enter(ns, &saved, &e) < 0)
		die("enter", &e);
	c = nft_ctx_new(NFT_CTX_DEFAULT);
	nft_ctx_buffer_error(c);
	nft_run_cmd_from_buffer(c, "add table inet parity\nadd chain inet parity output { type "
				   "filter hook input priority 0; }");
	nft_ctx_free(c);
	nl_netns_leave(saved, &e);
	CHECK(nft_apply_sandbox_output(ns, &nc, res, NFT_MAX_CMDS, &n, &e) == -1,
	      "a failed Required rule fails the ruleset: %s", e.msg);
	CHECK(n == 12 && res[0].applied && res[1].applied && !res[2].applied && res[2].required &&
		  res[2].error[0],
	      "per-rule report: add chain failed (%s)", n > 2 ? res[2].error : "?");
	CHECK(n == 12 && !res[3].applied && strstr(res[3].error, "not attempted"),
	      "...and later rules are reported as not attempted");
	close(ns);

	/* a step failing after the veth exists: everything is undone */
	fds = count_fds();
	veths = veth_count();
	netns_cfg_init(&cfg);
	cfg.sandbox_addr = "10.201.0.2"; /* the gateway is off-link from there */
	CHECK(netns_setup(&cfg, &sb, &e) == -1 && sb.nsteps > 0 &&
		  sb.steps[sb.nsteps - 1].status == NETNS_STEP_FAILED &&
		  strcmp(sb.steps[sb.nsteps - 1].name, "sandbox default route") == 0,
	      "netns_setup fails at the route step: %s", e.msg);
	CHECK(count_fds() == fds && sb.ns_fd == -1 && !sb.active, "...and closed its fds");
	CHECK(wait_count(veth_count, veths, 5000) == veths, "...and the veth went with the netns");
	CHECK(netns_teardown(&sb, &e) == 0, "teardown after a failed setup is a no-op");
	cfg.sandbox_addr = "not-an-address";
	CHECK(netns_setup(&cfg, &sb, &e) == -1 && e.kind == PARITY_EXIT_USAGE,
	      "bad address is a usage error: %s", e.msg);
}

/* ---- nft-worker --------------------------------------------------------- */

static bool worker_gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

static unsigned long fd_ino(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

/* The nftables worker on its own: the netns it makes, the table it puts
 * there, a handed-over netns, a worker given up on, one whose socket was
 * inherited (the `parity run` case) and one killed before its netns. */
static void t_nft_worker(void)
{
	struct nft_sandbox_cfg nc = {.host_addr = "10.200.0.1", .proxy_port = 3128};
	struct nft_rule_result res[NFT_MAX_CMDS];
	struct nft_worker w;
	struct perr e;
	size_t n = 0;
	int ns = -1, fds, st;
	pid_t pid;
	char *list;

	perr_clear(&e);
	net_isolate();
	fds = count_fds();

	/* NFT_WORKER_NEW_NETNS: a new netns, the table in it, results back */
	CHECK(nft_worker_start(&w, NFT_WORKER_NEW_NETNS, &e) == 0 && w.pid > 0, "worker starts");
	pid = w.pid;
	CHECK(nft_worker_take_netns(&w, &ns, &e) == 0 && ns >= 0 && fd_ino(ns) != thread_netns(),
	      "it makes a netns of its own and hands it over: %s", e.msg);
	CHECK(nft_worker_apply(&w, -1, NFT_RS_SANDBOX_OUTPUT, &nc, &e) == 0 &&
		  nft_worker_finish(&w, res, NFT_MAX_CMDS, &n, &e) == 0 && n == 12 &&
		  res[0].applied && res[11].applied,
	      "applies the 12 commands there: %s", e.msg);
	CHECK(w.pid == -1 && w.sock == -1 && worker_gone(pid), "...and is reaped");
	list = ns >= 0 ? nft_list_table(ns, "inet", "parity", &e) : NULL;
	CHECK(list && strstr(list, "hook output") && strstr(list, "tcp dport 3128 accept"),
	      "table inet parity is in the worker's netns");
	free(list);
	list = nft_list_table(-1, "inet", "parity", NULL);
	CHECK(!list, "...and not in ours");
	free(list);
	{
		char buf[16] = "";
		read_in(ns, "/proc/sys/net/ipv6/conf/default/accept_dad", buf, sizeof(buf));
		CHECK(buf[0] == '0', "its netns has IPv6 DAD off (accept_dad=%c)",
		      buf[0] ? buf[0] : '?');
	}
	if (ns >= 0)
		close(ns);

	/* flags 0: the netns is ours, handed over */
	if (nl_netns_new(&ns, 0, &e) < 0)
		die("netns", &e);
	CHECK(nft_worker_start(&w, 0, &e) == 0 && nft_worker_take_netns(&w, &(int){-1}, &e) == -1 &&
		  e.kind == PARITY_EXIT_USAGE,
	      "a worker without its own netns has none to give: %s", e.msg);
	perr_clear(&e);
	CHECK(nft_worker_apply(&w, ns, NFT_RS_SANDBOX_OUTPUT, &nc, &e) == 0 &&
		  nft_worker_finish(&w, res, NFT_MAX_CMDS, &n, &e) == 0,
	      "a handed-over netns gets the table: %s", e.msg);
	list = nft_list_table(ns, "inet", "parity", &e);
	CHECK(list != NULL, "...it is there");
	free(list);
	close(ns);

	/* given up before any netns: it exits, and is reaped */
	CHECK(nft_worker_start(&w, NFT_WORKER_NEW_NETNS, &e) == 0, "worker starts");
	pid = w.pid;
	nft_worker_abort(&w);
	CHECK(worker_gone(pid) && w.pid == -1 && w.sock == -1, "an aborted worker is reaped");

	/* inherited: a child of ours uses it, we reap it (as `parity run`) */
	CHECK(nft_worker_start(&w, NFT_WORKER_NEW_NETNS, &e) == 0, "worker starts");
	pid = fork();
	if (pid == 0) {
		struct nft_worker mine = {.pid = -1, .sock = w.sock, .flags = w.flags};
		int cns = -1;
		_exit(nft_worker_take_netns(&mine, &cns, &e) == 0 &&
			      nft_worker_apply(&mine, -1, NFT_RS_SANDBOX_OUTPUT, &nc, &e) == 0 &&
			      nft_worker_finish(&mine, res, NFT_MAX_CMDS, &n, &e) == 0 &&
			      mine.sock == -1
			  ? 0
			  : 1);
	}
	close(w.sock);
	w.sock = -1;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a process that inherited the socket applies through it");
	{
		pid_t wp = w.pid;
		CHECK(waitpid(wp, &st, 0) == wp && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "...and the worker, ours to reap, exited 0");
		w.pid = -1;
	}

	/* commands given at the fork: applied with no round trip */
	CHECK(nft_worker_start_ruleset(&w, NFT_RS_SANDBOX_OUTPUT, &nc, &e) == 0 &&
		  nft_worker_take_netns(&w, &ns, &e) == 0,
	      "a worker given its commands makes its netns: %s", e.msg);
	CHECK(nft_worker_apply(&w, -1, NFT_RS_SANDBOX_OUTPUT, &nc, &e) == -1 &&
		  e.kind == PARITY_EXIT_USAGE,
	      "...takes no more commands: %s", e.msg);
	perr_clear(&e);
	CHECK(nft_worker_finish(&w, res, NFT_MAX_CMDS, &n, &e) == 0 && n == 12,
	      "...and applied them: %s", e.msg);
	list = nft_list_table(ns, "inet", "parity", &e);
	CHECK(list && strstr(list, "tcp dport 3128 accept"), "...there");
	free(list);
	close(ns);

	/* netns_setup checks what a caller's worker applied: another port is
	 * not this configuration's table (fail closed) */
	{
		struct nft_sandbox_cfg other = nc;
		struct netns_cfg cfg;
		struct netns_sandbox sb;
		other.proxy_port = 3129;
		netns_cfg_init(&cfg);
		if (nft_worker_start_ruleset(&w, NFT_RS_SANDBOX_OUTPUT, &other, &e) < 0)
			die("worker", &e);
		cfg.nft_worker_sock = w.sock;
		w.sock = -1;
		CHECK(netns_setup(&cfg, &sb, &e) == -1 && strstr(e.msg, "expected") &&
			  strstr(e.msg, "3129"),
		      "netns_setup refuses a worker's table that is not its own: %s", e.msg);
		CHECK(sb.ns_fd == -1 && !sb.active, "...and keeps nothing");
		nft_worker_abort(&w); /* reaps it */
	}

	/* killed early: a clear error, no hang. It may have sent its netns
	 * before the SIGKILL landed; it cannot have sent results (it waits
	 * for commands). */
	CHECK(nft_worker_start(&w, NFT_WORKER_NEW_NETNS, &e) == 0, "worker starts");
	{
		siginfo_t si;
		int rc;
		kill(w.pid, SIGKILL);
		waitid(P_PID, (id_t)w.pid, &si, WEXITED | WNOWAIT);
		rc = nft_worker_take_netns(&w, &ns, &e);
		if (rc == 0) {
			close(ns);
			rc = nft_worker_finish(&w, res, NFT_MAX_CMDS, &n, &e);
		}
		CHECK(rc == -1 && strstr(e.msg, "worker"),
		      "a worker killed early fails cleanly: %s", e.msg);
	}
	nft_worker_abort(&w);
	CHECK(count_fds() == fds, "no fd left behind (%d, was %d)", count_fds(), fds);
}

/* ---- nft-netlink -------------------------------------------------------- */

/* The kernel's answer to a GET dump of `msg` (NFT_MSG_GETRULE, GETCHAIN) in
 * family inet of ns_fd: for each object, attribute `want` (its header and
 * payload), concatenated in the kernel's order into out. Returns the bytes
 * written, or -1. */
static long nft_dump_attr(int ns_fd, uint16_t msg, uint16_t want, uint8_t *out, size_t cap)
{
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	struct {
		struct nlmsghdr h;
		struct nfgenmsg g;
	} req = {.h = {.nlmsg_len = sizeof(req),
		       .nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | msg,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = 1},
		 .g = {.nfgen_family = NFPROTO_INET, .version = NFNETLINK_V0}};
	static uint8_t rx[65536];
	struct perr e;
	size_t used = 0;
	int saved, fd;
	bool done = false;

	if (nl_netns_enter(ns_fd, &saved, &e) < 0)
		die("enter", &e);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (nl_netns_leave(saved, &e) < 0)
		die("leave", &e);
	if (fd < 0)
		return -1;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&k, sizeof(k)) < 0) {
		close(fd);
		return -1;
	}
	while (!done) {
		ssize_t r = recv(fd, rx, sizeof(rx), 0);
		if (r <= 0)
			break;
		for (struct nlmsghdr *h = (struct nlmsghdr *)rx; NLMSG_OK(h, (size_t)r);
		     h = NLMSG_NEXT(h, r)) {
			size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			while (off + NLA_HDRLEN <= h->nlmsg_len) {
				const struct nlattr *a =
				    (const struct nlattr *)((uint8_t *)h + off);
				if (a->nla_len < NLA_HDRLEN || off + a->nla_len > h->nlmsg_len)
					break;
				if ((a->nla_type & NLA_TYPE_MASK) == want &&
				    used + a->nla_len <= cap) {
					memcpy(out + used, a, a->nla_len);
					used += a->nla_len;
				}
				off += NLA_ALIGN(a->nla_len);
			}
		}
	}
	close(fd);
	return done ? (long)used : -1;
}

/* The table of nc put in by the netlink batch (netns a) and by libnftables
 * (netns b): the same listing, and the same rule expressions and chain
 * hook, byte for byte, as the kernel reports them. */
static void netlink_vs_libnftables(const struct nft_sandbox_cfg *nc, const char *what)
{
	static struct nft_batch batch;
	static uint8_t da[16384], db[16384];
	struct nft_rule_result res[NFT_MAX_CMDS];
	struct nft_sandbox_cfg lib = *nc;
	struct perr e;
	const char *table = nc->table ? nc->table : NFT_TABLE_DEFAULT;
	char *la, *lb;
	long failed, na, nb;
	size_t n;
	int a, b, saved;

	perr_clear(&e);
	if (nl_netns_new(&a, 0, &e) < 0 || nl_netns_new(&b, 0, &e) < 0)
		die("netns", &e);
	CHECK(nft_netlink_encode(NFT_RS_SANDBOX_OUTPUT, nc, &batch, &e) == 0, "%s: encoded: %s",
	      what, e.msg);
	if (nl_netns_enter(a, &saved, &e) < 0)
		die("enter", &e);
	CHECK(nft_netlink_apply(&batch, &failed, &e) == 0, "%s: the kernel takes the batch: %s",
	      what, e.msg);
	if (nl_netns_leave(saved, &e) < 0)
		die("leave", &e);
	lib.exec = NFT_EXEC_THREAD;
	CHECK(nft_apply_sandbox_output(b, &lib, res, NFT_MAX_CMDS, &n, &e) == 0,
	      "%s: libnftables applies the commands: %s", what, e.msg);
	la = nft_list_table(a, "inet", table, &e);
	lb = nft_list_table(b, "inet", table, &e);
	CHECK(la && lb && strcmp(la, lb) == 0 && strstr(la, "tcp dport"),
	      "%s: libnftables lists both tables alike", what);
	if (la && lb && strcmp(la, lb) != 0)
		printf("     netlink:\n%s\n     libnftables:\n%s\n", la, lb);
	free(la);
	free(lb);
	na = nft_dump_attr(a, NFT_MSG_GETRULE, NFTA_RULE_EXPRESSIONS, da, sizeof(da));
	nb = nft_dump_attr(b, NFT_MSG_GETRULE, NFTA_RULE_EXPRESSIONS, db, sizeof(db));
	CHECK(na > 0 && na == nb && memcmp(da, db, (size_t)na) == 0,
	      "%s: the kernel's rules are the same bytes (%ld and %ld bytes of expressions)", what,
	      na, nb);
	na = nft_dump_attr(a, NFT_MSG_GETCHAIN, NFTA_CHAIN_HOOK, da, sizeof(da));
	nb = nft_dump_attr(b, NFT_MSG_GETCHAIN, NFTA_CHAIN_HOOK, db, sizeof(db));
	CHECK(na > 0 && na == nb && memcmp(da, db, (size_t)na) == 0, "%s: ...and the same hook",
	      what);
	na = nft_dump_attr(a, NFT_MSG_GETCHAIN, NFTA_CHAIN_POLICY, da, sizeof(da));
	nb = nft_dump_attr(b, NFT_MSG_GETCHAIN, NFTA_CHAIN_POLICY, db, sizeof(db));
	CHECK(na > 0 && na == nb && memcmp(da, db, (size_t)na) == 0, "%s: ...and policy", what);
	close(a);
	close(b);
}

/* A seccomp filter that fails the netlink engine's socket (AF_NETLINK,
 * SOCK_RAW|SOCK_CLOEXEC, NETLINK_NETFILTER) with EPERM, and nothing else:
 * libnftables opens its socket without SOCK_CLOEXEC. */
static int refuse_engine_socket(void)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 8),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 6),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 0, 4),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOCK_RAW | SOCK_CLOEXEC, 0, 2),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NETLINK_NETFILTER, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* netns_setup's default (the worker) with engine eng; in a child when
 * refuse_batch (the filter stays there). The child's exit: 0 when the
 * table is in, every rule applied, and the "nftables" step's detail holds
 * want. */
static void setup_with_engine(enum nft_engine eng, bool refuse_batch, const char *want,
			      const char *what)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		struct netns_cfg cfg;
		struct netns_sandbox sb;
		struct perr e;
		const char *detail = "";
		bool all = true;
		char *list;

		if (refuse_batch && refuse_engine_socket() < 0)
			_exit(10);
		netns_cfg_init(&cfg);
		cfg.nft_engine = eng;
		if (netns_setup(&cfg, &sb, &e) < 0) {
			print_sandbox(&sb);
			_exit(11);
		}
		for (size_t i = 0; i < sb.nsteps; i++)
			if (!strcmp(sb.steps[i].name, "nftables"))
				detail = sb.steps[i].detail;
		for (size_t i = 0; i < sb.nrules; i++)
			all &= sb.rules[i].applied;
		printf("     %s: %s\n", what, detail);
		list = nft_list_table(sb.ns_fd, "inet", "parity", &e);
		netns_teardown(&sb, &e);
		_exit(!strstr(detail, want)		     ? 12
		      : !all || sb.nrules != 12		     ? 13
		      : !list || !strstr(list, "dport 3128") ? 14
							     : 0);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s (child exit %d)", what,
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void t_nft_netlink(void)
{
	struct nft_sandbox_cfg v4 = {
	    .host_addr = "10.200.0.1", .proxy_port = 3128, .log_tag = "ns"};
	struct nft_sandbox_cfg other = {
	    .host_addr = "10.77.0.9", .proxy_port = 3129, .table = "parity_b", .log_tag = "lab"};
	struct nft_sandbox_cfg v6 = {.host_addr = "fd00:1::1", .proxy_port = 8080};
	static struct nft_batch batch;
	struct perr e;
	long failed;
	int ns, saved;
	char *before, *after;
	struct nft_ctx *c;

	perr_clear(&e);
	net_isolate();
	netlink_vs_libnftables(&v4, "the reference's table");
	netlink_vs_libnftables(&other, "another address, port, table and log tag");
	netlink_vs_libnftables(&v6, "an IPv6 proxy address, no log tag");

	/* A batch the kernel refuses leaves nothing: a chain "output" hooked
	 * elsewhere (as nft-fail) makes command 3 fail. */
	if (nl_netns_new(&ns, 0, &e) < 0 || nl_netns_enter(ns, &saved, &e) < 0)
		die("netns", &e);
	c = nft_ctx_new(NFT_CTX_DEFAULT);
	nft_ctx_buffer_error(c);
	nft_run_cmd_from_buffer(c, "add table inet parity\nadd chain inet parity output { type "
				   "filter hook input priority 0; }\nadd rule inet parity output "
				   "counter");
	nft_ctx_free(c);
	before = nft_list_table(-1, "inet", "parity", &e);
	if (nft_netlink_encode(NFT_RS_SANDBOX_OUTPUT, &v4, &batch, &e) < 0)
		die("encode", &e);
	CHECK(nft_netlink_apply(&batch, &failed, &e) == -1 && failed == 2 && e.sys_errno != 0,
	      "a refused batch names its command (index %ld): %s", failed, e.msg);
	after = nft_list_table(-1, "inet", "parity", &e);
	CHECK(before && after && strcmp(before, after) == 0 && strstr(after, "counter") &&
		  !strstr(after, "dport"),
	      "...and changes nothing: not even the flush took effect");
	free(before);
	free(after);
	nl_netns_leave(saved, &e);
	close(ns);

	setup_with_engine(NFT_ENGINE_NETLINK, false, "one netlink batch",
			  "netns_setup's worker sends the batch (the default)");
	setup_with_engine(NFT_ENGINE_LIBNFTABLES, false, "libnftables",
			  "nftables_engine libnftables: libnftables applies the commands");
	setup_with_engine(NFT_ENGINE_NETLINK, true, "after the netlink batch failed",
			  "a batch that cannot be sent: libnftables applies the commands, and the "
			  "step says why");
}

/* ---- leak --------------------------------------------------------------- */

#define MAX_REFS 65536

static void t_leak(void)
{
	static struct ns_ref before[MAX_REFS], after[MAX_REFS];
	struct perr e;
	size_t nb, na, leaked = 0, foreign = 0;
	int fds, veths, nsids, peak = 0;

	perr_clear(&e);
	net_isolate();
	fds = count_fds();
	veths = veth_count();
	nsids = nsid_count();
	nb = netns_scan(before, MAX_REFS);
	printf("     baseline: %d fds, %d veth, %d netns ids, %zu namespace refs\n", fds, veths,
	       nsids, nb);

	for (int i = 0; i < 30; i++) {
		struct wan w;
		struct netns_cfg cfg;
		struct netns_sandbox sb;
		int l;

		if (wan_up(&w, &e) < 0)
			die("wan", &e);
		nsid_assign(w.fd);
		netns_cfg_init(&cfg);
		cfg.nft = (enum nft_placement)(i % 3);
		cfg.nft_exec = i % 2 ? NFT_EXEC_FORK : NFT_EXEC_THREAD;
		if (netns_setup(&cfg, &sb, &e) < 0)
			die("netns_setup", &e);
		nsid_assign(sb.ns_fd);
		l = probe_tcp_listen(-1, "10.200.0.1", 3128);
		if (probe_tcp_connect(sb.ns_fd, "10.200.0.1", 3128, 2000, NULL) != 0)
			lab_failures++;
		close(l);
		if (nsid_count() > peak)
			peak = nsid_count();
		if (netns_teardown(&sb, &e) < 0)
			die("netns_teardown", &e);
		wan_down(&w);
	}
	CHECK(lab_failures == 0, "30 cycles (3 placements, thread/fork nft): proxy reachable");
	CHECK(peak >= nsids + 2, "netns ids seen while running: %d (the counter works)", peak);
	nft_delete_table(-1, "ip", "parity_pod", &e);
	CHECK(count_fds() == fds, "open fds back to %d (%d)", fds, count_fds());
	CHECK(wait_count(veth_count, veths, 10000) == veths,
	      "veth links in the test netns back to %d", veths);
	CHECK(wait_count(nsid_count, nsids, 10000) == nsids,
	      "netns ids back to %d: the kernel destroyed every sandbox and wan namespace", nsids);
	na = netns_scan(after, MAX_REFS);
	for (size_t i = 0; i < na; i++) {
		bool old = false;
		for (size_t j = 0; j < nb && !old; j++)
			old = before[j].ino == after[i].ino;
		if (old)
			continue;
		if (after[i].pid == getpid()) {
			leaked++;
			printf("     leaked: net:[%lu] held by us\n", after[i].ino);
		} else {
			foreign++;
		}
	}
	CHECK(leaked == 0,
	      "no namespace created here is still held by a process (%zu new refs belong to "
	      "other processes)",
	      foreign);
	{
		char *l = nft_list_table(-1, "inet", "parity", NULL);
		CHECK(!l, "no parity table left in the test netns");
		free(l);
	}
}

int main(int argc, char **argv)
{
	const char *t = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(t, "nl-basic")) {
		net_isolate();
		t_nl_basic();
	} else if (!strcmp(t, "nft-output")) {
		t_placement(NFT_SANDBOX_OUTPUT, NFT_EXEC_THREAD);
	} else if (!strcmp(t, "nft-output-worker")) {
		t_placement(NFT_SANDBOX_OUTPUT, NFT_EXEC_FORK);
	} else if (!strcmp(t, "nft-worker")) {
		t_nft_worker();
	} else if (!strcmp(t, "nft-forward")) {
		t_placement(NFT_SUPERVISOR_FORWARD, NFT_EXEC_FORK);
	} else if (!strcmp(t, "nft-off")) {
		t_placement(NFT_OFF, NFT_EXEC_THREAD);
	} else if (!strcmp(t, "nft-fail")) {
		t_nft_fail();
	} else if (!strcmp(t, "nft-netlink")) {
		t_nft_netlink();
	} else if (!strcmp(t, "leak")) {
		t_leak();
	} else {
		fprintf(stderr,
			"usage: %s "
			"nl-basic|nft-output|nft-output-worker|nft-worker|nft-forward|nft-off|"
			"nft-fail|nft-netlink|leak\n",
			argv[0]);
		return 2;
	}
	printf("%s: %d failure(s)\n", t, lab_failures);
	return lab_failures ? 1 : 0;
}
