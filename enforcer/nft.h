/* nft.h - the namespace mode's nftables rulesets: generated as nft
 * commands, applied through libnftables or, for the sandbox-output table
 * in the worker (the default start), as the equivalent netlink batch
 * (nft_netlink.h, enum nft_engine).
 *
 * Two placements of the same policy (reference: openshell-reference.md §1.2,
 * U-HEAD nft_ruleset.rs):
 *
 *   NFT_RS_SANDBOX_OUTPUT      the reference: table inet parity, chain output
 *                              (hook output) inside the sandbox netns:
 *                              proxy accept (address AND port), lo accept,
 *                              established accept, SYN log, tcp reject v4/v6,
 *                              udp log, udp reject v4/v6.
 *   NFT_RS_SUPERVISOR_FORWARD  the same decisions taken in the supervisor's
 *                              netns on the host end of the veth, out of the
 *                              sandbox's reach: chain sandbox_in (input from
 *                              the veth: only tcp to host_addr:proxy_port,
 *                              established, and IPv6 neighbour discovery;
 *                              tcp/udp rejected, the rest dropped) and chain
 *                              sandbox_fwd (forward from the veth: the
 *                              reference's output rules minus the proxy/lo
 *                              accepts), entered by `iifname <veth> jump`
 *                              from base chains input/forward, which are
 *                              added last. TCP is rejected with a reset
 *                              there (ICMP errors sent over the veth are
 *                              rate-limited per destination; see nft.c).
 *
 * Like the reference, every command runs on its own (one failure cannot roll
 * back the others) and is Required or Optional. nft_apply_ruleset() reports
 * each one (applied, failed with libnftables' error text, or not attempted)
 * and fails when a Required one fails; it then stops.
 *
 * The rulesets are generated as text first (nft_ruleset_cmds/_text), so they
 * can be inspected and unit-tested without root.
 *
 * Namespaces: a libnftables context talks through a netlink socket opened by
 * nft_ctx_new(), i.e. in the namespace of the thread that created it. The
 * functions here enter ns_fd in the calling thread, create the context, run,
 * free it and return (or, with NFT_EXEC_FORK, do it in an nft_worker
 * process; netns_setup's default).
 *
 * Lifetime: a table in the sandbox netns dies with it. A supervisor-forward
 * table lives in the supervisor's netns: give it a unique name (the veth's)
 * and remove it with nft_delete_table() when the sandbox ends. It is not an
 * "owner" table on purpose: that would vanish with the supervisor's socket
 * while the agent may still run (fail-open).
 */
#ifndef PARITY_NFT_H
#define PARITY_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define NFT_TABLE_DEFAULT "parity"
#define NFT_LOG_PREFIX "parity:bypass:"
#define NFT_CMD_LEN 256
#define NFT_MAX_CMDS 32

enum nft_ruleset {
	NFT_RS_SANDBOX_OUTPUT,
	NFT_RS_SUPERVISOR_FORWARD,
};

enum nft_exec {
	NFT_EXEC_THREAD, /* setns in the calling thread (nft_apply_ruleset's
			    default; loads libnftables into the caller) */
	NFT_EXEC_FORK,	 /* a forked child (an nft_worker) runs libnftables
			    (it may exit() on netlink init or allocation
			    failure) */
};

/* What puts a sandbox-output table into the kernel (nft_netlink.h). */
enum nft_engine {
	NFT_ENGINE_NETLINK,	/* the worker sends nft_netlink.c's batch;
				   libnftables only if the kernel refuses it */
	NFT_ENGINE_LIBNFTABLES, /* libnftables always (profile
				   "nftables_engine": "libnftables") */
};

struct nft_sandbox_cfg {
	const char *table;     /* NULL: "parity"; else "parity_NAME" ([A-Za-z0-9_]) */
	const char *host_addr; /* the proxy's address, numeric v4 or v6 */
	uint16_t proxy_port;
	const char *host_if; /* SUPERVISOR_FORWARD: the supervisor's veth end */
	const char *log_tag; /* NULL/"": prefix "parity:bypass:", else
				"parity:bypass:<tag>:" ([A-Za-z0-9_.-], <= 32) */
	enum nft_exec exec;
	/* The worker's engine (NFT_EXEC_FORK with the commands given at the
	 * fork); every other path runs libnftables. */
	enum nft_engine engine;
	/* Non-NULL: create the table with "flags owner" and hand back the
	 * libnftables context whose netlink socket owns it. The kernel removes
	 * an owner table when that socket closes, so a supervisor-side table
	 * cannot outlive a SIGKILLed supervisor. Free the context (nft_ctx_free)
	 * to remove the table. NFT_EXEC_THREAD only (kernel >= 5.12). */
	struct nft_ctx **owner_ctx;
};

struct nft_cmd {
	char text[NFT_CMD_LEN]; /* one nft command, e.g. "add rule inet parity ..." */
	bool required;
};

struct nft_rule_result {
	char rule[NFT_CMD_LEN];
	bool required;
	bool applied;
	char error[256]; /* empty when applied */
};

/* The commands of a ruleset, in order. *n receives the count. */
int nft_ruleset_cmds(enum nft_ruleset rs, const struct nft_sandbox_cfg *cfg, struct nft_cmd *cmds,
		     size_t max, size_t *n, struct perr *e);
/* The log rules' prefix for cfg: "parity:bypass:" or "parity:bypass:TAG:"
 * (both engines' source for it). cfg's tag is checked by nft_ruleset_cmds. */
void nft_log_prefix(const struct nft_sandbox_cfg *cfg, char *out, size_t len);
/* The same as text: one command per line, "R " or "O " first. */
int nft_ruleset_text(enum nft_ruleset rs, const struct nft_sandbox_cfg *cfg, char *buf, size_t len,
		     struct perr *e);

/* A worker process that applies one ruleset in a netns given later.
 * Forked early (before the netns exists, by the enforcer or already by
 * `parity run` right after its PID namespace), it loads libnftables (1-1.7
 * ms) at once, then waits for a netns and commands over a socket (the
 * netns by SCM_RIGHTS), applies them there and sends the results back.
 * Given the sandbox-output commands at the fork with the netlink engine,
 * it makes its netns and sends their batch (nft_netlink.h) instead, and
 * loads libnftables only if the kernel refuses it. The
 * supervisor never maps libnftables: its later forks stay cheap, and no
 * thread of its shares a page table with the loader (a copy-on-write
 * fault in a process with threads on two CPUs costs a TLB shootdown IPI).
 * The worker dies with the process that forked it (PDEATHSIG) and exits
 * at EOF on its socket.
 *   nft_worker_start    fork; w->pid > 0 (the caller reaps it)
 *   nft_worker_start_ruleset  the same, commands given at the fork
 *   nft_worker_apply    hand over the netns (ns_fd stays the caller's; none
 *                       with NFT_WORKER_NEW_NETNS) and the commands of rs
 *   nft_worker_finish   wait for the results; as nft_apply_ruleset; reaps
 *                       the worker when w->pid > 0
 *   nft_worker_abort    close the socket; kill and reap when w->pid > 0
 * A process that inherited the socket from the worker's parent uses
 * {.pid = -1, .sock = fd, .flags = the same}: the parent reaps. The
 * results come back with their count and rule texts: a caller that did not
 * choose the commands checks them (netns.c does). */
#define NFT_WORKER_NEW_NETNS                                                                       \
	0x1u /* the worker makes the netns itself (unshare, IPv6 DAD off: see nl.h)                \
		and, with the libnftables engine, creates its context there before                 \
		the commands are needed; the caller takes it with                                  \
		nft_worker_take_netns() */
#define NFT_WORKER_PRESET 0x2u /* (set by nft_worker_start_ruleset) */
/* A worker that neither answers nor dies (stopped, say) fails the start
 * after this long instead of holding it for ever. */
#define NFT_WORKER_TIMEOUT_MS 30000
struct nft_worker {
	pid_t pid;	/* ours to reap; -1: none, or not ours */
	int sock;	/* -1: none */
	int peer;	/* the worker's end before nft_worker_fork_ruleset; -1: none */
	int timeout_ms; /* for its netns, and for its results; 0: NFT_WORKER_TIMEOUT_MS */
	unsigned flags;
	size_t ncmds;
	/* After nft_worker_finish: how the table went in, for the report
	 * ("one netlink batch ...", "libnftables", or libnftables after the
	 * kernel refused the batch, with its answer). */
	char engine_note[320];
};
int nft_worker_start(struct nft_worker *w, unsigned flags, struct perr *e);
/* NFT_WORKER_NEW_NETNS with the commands of rs known at the fork: the
 * worker applies them as soon as its netns exists, with no
 * round trip to the caller (take the netns, then nft_worker_finish; no
 * nft_worker_apply). */
int nft_worker_start_ruleset(struct nft_worker *w, enum nft_ruleset rs,
			     const struct nft_sandbox_cfg *cfg, struct perr *e);
/* The same in two steps: the socket first (w->sock can be handed on), the
 * fork later. */
int nft_worker_socket(struct nft_worker *w, struct perr *e);
int nft_worker_fork_ruleset(struct nft_worker *w, enum nft_ruleset rs,
			    const struct nft_sandbox_cfg *cfg, struct perr *e);
/* NFT_WORKER_NEW_NETNS: wait for the worker's netns; *ns_fd is the caller's. */
int nft_worker_take_netns(struct nft_worker *w, int *ns_fd, struct perr *e);
int nft_worker_apply(struct nft_worker *w, int ns_fd, enum nft_ruleset rs,
		     const struct nft_sandbox_cfg *cfg, struct perr *e);
int nft_worker_finish(struct nft_worker *w, struct nft_rule_result *res, size_t max, size_t *nres,
		      struct perr *e);
void nft_worker_abort(struct nft_worker *w);

/* Apply a ruleset in ns_fd (-1: the current namespace), command by command.
 * res[0..*nres) gets one entry per command (max >= NFT_MAX_CMDS is always
 * enough). Returns 0 when every Required command applied, else -1 with e
 * naming the first failed Required command. */
int nft_apply_ruleset(int ns_fd, enum nft_ruleset rs, const struct nft_sandbox_cfg *cfg,
		      struct nft_rule_result *res, size_t max, size_t *nres, struct perr *e);
int nft_apply_sandbox_output(int ns_fd, const struct nft_sandbox_cfg *cfg,
			     struct nft_rule_result *res, size_t max, size_t *nres, struct perr *e);
int nft_apply_supervisor_forward(int ns_fd, const struct nft_sandbox_cfg *cfg,
				 struct nft_rule_result *res, size_t max, size_t *nres,
				 struct perr *e);

/* Remove `table` of `family` ("inet", "ip") in ns_fd; a missing table is
 * not an error. */
int nft_delete_table(int ns_fd, const char *family, const char *table, struct perr *e);
/* "list table <family> <table>" output in ns_fd (malloc'd, caller frees). */
char *nft_list_table(int ns_fd, const char *family, const char *table, struct perr *e);

/* The lab pod's forwarding and masquerade for the sandbox subnet: table ip
 * <table>, chain forward (accept from and to the subnet) and chain
 * postrouting (masquerade the subnet out of the uplink). One transaction.
 * IP forwarding itself is a sysctl (NL_NETNS_FORWARD or
 * netns_sysctl_write). */
struct nft_pod_cfg {
	const char *table;  /* NULL: "parity_pod" */
	const char *subnet; /* "10.200.0.0/24" */
	const char *uplink; /* the pod's interface towards the wan, "eth0" */
};
int nft_pod_nat_text(const struct nft_pod_cfg *cfg, char *buf, size_t len, struct perr *e);
int nft_apply_pod_nat(int ns_fd, const struct nft_pod_cfg *cfg, struct perr *e);

#endif
