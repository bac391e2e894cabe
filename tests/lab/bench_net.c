/* bench_net.c - timings of the namespace network (root), medians of N
 * cycles (default 50, or argv[1]):
 *
 *   lab       3 fresh namespaces (wan, pod, sandbox), 2 veth pairs, v4+v6
 *             addresses, routes, links ready; teardown = close everything.
 *             Then the same plus the pod's NAT table and the sandbox-output
 *             ruleset. And how long the kernel takes to really destroy the
 *             namespaces (netns ids gone).
 *   netns     netns_setup + netns_teardown per placement (enforcer path)
 *   nft       the sandbox-output ruleset alone: setns in the thread vs a
 *             forked child; and nft_ctx_new alone
 *
 * Fails if the lab topology's median exceeds PARITY_NET_BENCH_MAX_MS
 * (default 30).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "enforcer/netns.h"
#include "enforcer/nft.h"
#include "net_lab.h"
#include "nl.h"
#include "util.h"

#define MAXN 1000

struct topo {
	int wan, pod, sbx;
	struct nl_ctx *cw, *cp, *cs;
};

static void topo_up(struct topo *t, bool with_nft, double *ph)
{
	static const char *const wan_lo[] = {LAB_SINK_V4 "/32", LAB_SINK_V6 "/128",
					     "198.51.100.53/32", "2001:db8:100::53/128",
					     "203.0.113.80/32"};
	struct perr e;
	double t0 = util_now_ms();

	perr_clear(&e);
	if (nl_netns_new(&t->wan, NL_NETNS_NODAD, &e) < 0 ||
	    nl_netns_new(&t->pod, NL_NETNS_NODAD | NL_NETNS_FORWARD, &e) < 0 ||
	    nl_netns_new(&t->sbx, NL_NETNS_NODAD, &e) < 0)
		die("netns", &e);
	ph[0] += util_now_ms() - t0;
	t0 = util_now_ms();
	if (!(t->cw = nl_ctx_open(t->wan, &e)) || !(t->cp = nl_ctx_open(t->pod, &e)) ||
	    !(t->cs = nl_ctx_open(t->sbx, &e)))
		die("ctx", &e);
	if (nl_veth_create(t->cp, "eth0", "eth0", t->wan, &e) < 0 ||
	    nl_veth_create(t->cp, "vsb0", "eth0", t->sbx, &e) < 0)
		die("veth", &e);
	ph[1] += util_now_ms() - t0;
	t0 = util_now_ms();
	if (nl_addr_add(t->cp, "eth0", LAB_POD_V4 "/24", &e) < 0 ||
	    nl_addr_add(t->cp, "eth0", LAB_POD_V6 "/64", &e) < 0 ||
	    nl_addr_add(t->cw, "eth0", LAB_WAN_V4 "/24", &e) < 0 ||
	    nl_addr_add(t->cw, "eth0", LAB_WAN_V6 "/64", &e) < 0 ||
	    nl_addr_add(t->cp, "vsb0", "10.200.0.1/24", &e) < 0 ||
	    nl_addr_add(t->cs, "eth0", "10.200.0.2/24", &e) < 0)
		die("addr", &e);
	for (size_t i = 0; i < ARRAY_SIZE(wan_lo); i++)
		if (nl_addr_add(t->cw, "lo", wan_lo[i], &e) < 0)
			die("addr lo", &e);
	if (nl_link_up(t->cp, "eth0", &e) < 0 || nl_link_up(t->cw, "eth0", &e) < 0 ||
	    nl_link_up(t->cp, "vsb0", &e) < 0 || nl_link_up(t->cs, "eth0", &e) < 0 ||
	    nl_link_up(t->cw, "lo", &e) < 0 || nl_link_up(t->cp, "lo", &e) < 0 ||
	    nl_link_up(t->cs, "lo", &e) < 0)
		die("up", &e);
	if (nl_route_add_default(t->cp, LAB_WAN_V4, &e) < 0 ||
	    nl_route_add_default(t->cp, LAB_WAN_V6, &e) < 0 ||
	    nl_route_add_default(t->cs, "10.200.0.1", &e) < 0)
		die("route", &e);
	ph[2] += util_now_ms() - t0;
	t0 = util_now_ms();
	if (nl_link_wait_ready(t->cp, "eth0", 2000, &e) < 0 ||
	    nl_link_wait_ready(t->cw, "eth0", 2000, &e) < 0 ||
	    nl_link_wait_ready(t->cp, "vsb0", 2000, &e) < 0 ||
	    nl_link_wait_ready(t->cs, "eth0", 2000, &e) < 0)
		die("ready", &e);
	ph[3] += util_now_ms() - t0;
	if (with_nft) {
		struct nft_pod_cfg nat = {.subnet = LAB_SUBNET, .uplink = "eth0"};
		struct nft_sandbox_cfg sc = {.host_addr = "10.200.0.1", .proxy_port = 3128};
		struct nft_rule_result res[NFT_MAX_CMDS];
		size_t n;

		t0 = util_now_ms();
		if (nft_apply_pod_nat(t->pod, &nat, &e) < 0 ||
		    nft_apply_sandbox_output(t->sbx, &sc, res, NFT_MAX_CMDS, &n, &e) < 0)
			die("nft", &e);
		ph[4] += util_now_ms() - t0;
	}
}

static void topo_down(struct topo *t)
{
	nl_ctx_close(t->cw);
	nl_ctx_close(t->cp);
	nl_ctx_close(t->cs);
	close(t->wan);
	close(t->pod);
	close(t->sbx);
}

static double bench_lab(int n, bool with_nft, bool wait_destroyed, double *destroy_med)
{
	static double tot[MAXN], des[MAXN];
	double ph[5] = {0};
	int base = nsid_count();

	for (int i = 0; i < n; i++) {
		struct topo t;
		double t0 = util_now_ms(), t1;

		topo_up(&t, with_nft, ph);
		if (wait_destroyed) {
			nsid_assign(t.wan);
			nsid_assign(t.pod);
			nsid_assign(t.sbx);
			t0 += 0; /* the ids are bookkeeping, not timed below */
		}
		topo_down(&t);
		t1 = util_now_ms();
		tot[i] = t1 - t0;
		if (wait_destroyed) {
			wait_count(nsid_count, base, 10000);
			des[i] = util_now_ms() - t1;
		}
	}
	printf("     phases (mean ms): netns %.2f, ctx+veth %.2f, addr/up/route %.2f, ready %.2f%s",
	       ph[0] / n, ph[1] / n, ph[2] / n, ph[3] / n, with_nft ? "" : "\n");
	if (with_nft)
		printf(", nft %.2f\n", ph[4] / n);
	if (destroy_med)
		*destroy_med = median(des, (size_t)n);
	return median(tot, (size_t)n);
}

static double bench_netns(int n, enum nft_placement pl)
{
	static double v[MAXN];
	struct perr e;

	for (int i = 0; i < n; i++) {
		struct netns_cfg cfg;
		struct netns_sandbox sb;
		double t0 = util_now_ms();

		netns_cfg_init(&cfg);
		cfg.nft = pl;
		if (netns_setup(&cfg, &sb, &e) < 0)
			die("netns_setup", &e);
		if (netns_teardown(&sb, &e) < 0)
			die("netns_teardown", &e);
		v[i] = util_now_ms() - t0;
	}
	return median(v, (size_t)n);
}

static double bench_nft(int n, enum nft_exec ex)
{
	static double v[MAXN];
	struct nft_sandbox_cfg sc = {.host_addr = "10.200.0.1", .proxy_port = 3128, .exec = ex};
	struct nft_rule_result res[NFT_MAX_CMDS];
	struct perr e;
	size_t k;

	for (int i = 0; i < n; i++) {
		int ns;
		double t0;

		if (nl_netns_new(&ns, 0, &e) < 0)
			die("netns", &e);
		t0 = util_now_ms();
		if (nft_apply_sandbox_output(ns, &sc, res, NFT_MAX_CMDS, &k, &e) < 0)
			die("nft", &e);
		v[i] = util_now_ms() - t0;
		close(ns);
	}
	return median(v, (size_t)n);
}

static double bench_ctx_new(int n)
{
	static double v[MAXN];

	for (int i = 0; i < n; i++) {
		double t0 = util_now_ms();
		nft_ctx_free(nft_ctx_new(NFT_CTX_DEFAULT));
		v[i] = util_now_ms() - t0;
	}
	return median(v, (size_t)n);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 50;
	const char *lim = getenv("PARITY_NET_BENCH_MAX_MS");
	double max_ms = lim ? atof(lim) : 30.0, lab, lab_nft, lab_sync, destroy;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (n < 1 || n > MAXN)
		n = 50;
	net_isolate();
	bench_lab(3, true, false, NULL); /* warm up */

	lab = bench_lab(n, false, false, NULL);
	printf("lab topology (3 netns, 2 veth, v4+v6, routes, ready) setup+teardown: "
	       "median %.2f ms over %d\n",
	       lab, n);
	lab_nft = bench_lab(n, true, false, NULL);
	printf("lab topology + pod NAT + sandbox-output ruleset: median %.2f ms\n", lab_nft);
	lab_sync = bench_lab(n, false, true, &destroy);
	printf("lab topology, then wait until the kernel destroyed the namespaces: "
	       "median %.2f ms + %.2f ms destruction\n",
	       lab_sync, destroy);
	printf("netns_setup+teardown, nft off: median %.2f ms\n", bench_netns(n, NFT_OFF));
	printf("netns_setup+teardown, sandbox-output: median %.2f ms\n",
	       bench_netns(n, NFT_SANDBOX_OUTPUT));
	printf("netns_setup+teardown, supervisor-forward: median %.2f ms\n",
	       bench_netns(n, NFT_SUPERVISOR_FORWARD));
	printf("sandbox-output ruleset (12 commands), setns in thread: median %.2f ms\n",
	       bench_nft(n, NFT_EXEC_THREAD));
	printf("sandbox-output ruleset (12 commands), forked child: median %.2f ms\n",
	       bench_nft(n, NFT_EXEC_FORK));
	printf("nft_ctx_new+free alone: median %.3f ms\n", bench_ctx_new(n));

	CHECK(lab <= max_ms, "lab topology median %.2f ms <= %.0f ms", lab, max_ms);
	return lab_failures ? 1 : 0;
}
