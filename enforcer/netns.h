/* netns.h - the namespace mode's network in one call (reference §1.1):
 *
 *   caller's netns (supervisor/pod)         sandbox netns (anonymous, an fd)
 *   <host_if> host_addr/prefix  <--veth-->  eth0 sandbox_addr/prefix, lo up,
 *                                           default via host_addr
 *
 * then the nftables placement (nft.h): off, sandbox-output (table inet parity
 * in the sandbox netns) or supervisor-forward (table inet parity_<host_if> in
 * the caller's netns).
 *
 * netns_setup() records every step (name, applied / skipped / failed,
 * detail) and every nftables command in struct netns_sandbox, as plain data
 * the enforcer turns into its enforcement report. A failed required step
 * undoes what was done (host veth, supervisor table, fds) and returns -1;
 * the kernel removes the rest with the namespace.
 *
 * The host end's name is unique ("pvh" + 8 random hex digits); the sandbox
 * end is "eth0" (its namespace is private). Addresses are numeric IPv4 or
 * IPv6 (both ends of one family). IPv6 DAD is off in the sandbox netns.
 *
 * netns_teardown() closes the fds: the kernel destroys the sandbox netns,
 * and with it the veth (both ends) and its table, once the last process in
 * it is gone (asynchronously, tens of ms later). With supervisor-forward it
 * first sets the host veth down and only then deletes the supervisor table:
 * the other order would leave processes still in the sandbox unfiltered; if
 * the link cannot be set down the table stays (fail-closed).
 */
#ifndef PARITY_NETNS_H
#define PARITY_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "nft.h"
#include "nl.h"
#include "profile.h"

#define NETNS_MAX_STEPS 16
#define NETNS_SANDBOX_IF "eth0"

struct netns_cfg {
	const char *host_addr;	  /* "10.200.0.1" */
	const char *sandbox_addr; /* "10.200.0.2" */
	unsigned prefix_len;	  /* 24 */
	uint16_t proxy_port;	  /* 3128: the only port the sandbox may reach */
	enum nft_placement nft;	  /* NFT_OFF, NFT_SANDBOX_OUTPUT, NFT_SUPERVISOR_FORWARD */
	/* The reference logs a failed nftables setup and runs the sandbox
	 * anyway ("degraded"). false (ours): a failed Required rule aborts. */
	bool nft_optional;
	const char *log_tag; /* nft log prefix "parity:bypass:<tag>:"; NULL: none */
	/* NFT_EXEC_FORK (default): sandbox-output is applied by an nft_worker
	 * forked before the netns, in parallel with the veth; NFT_EXEC_THREAD:
	 * by this thread, after the veth (setns there and back). */
	enum nft_exec nft_exec;
	/* sandbox-output through the worker: nft_netlink.c's batch (default)
	 * or libnftables (nft.h, enum nft_engine) */
	enum nft_engine nft_engine;
	/* >= 0: the socket of an nft_worker already started by our caller
	 * (nft_worker_start_ruleset with netns_nft_cfg of this cfg; the caller
	 * reaps it). Taken over (closed) by netns_setup, which checks the
	 * commands it applied. -1 (default): netns_setup starts its own. */
	int nft_worker_sock;
	int ready_timeout_ms; /* wait for the links to be usable; 0: 2000 */
	/* Called once the sandbox netns exists, before the veth and the
	 * table: the enforcer starts the agent's own setup there, gated, so it
	 * overlaps with the rest of ours. Returns -1 (with e set) to abort. */
	int (*on_netns)(int ns_fd, void *arg, struct perr *e);
	void *on_netns_arg;
};

enum netns_step_status {
	NETNS_STEP_APPLIED,
	NETNS_STEP_SKIPPED, /* not done on purpose (nft off), see detail */
	NETNS_STEP_FAILED,
};

struct netns_step {
	char name[40]; /* "netns", "veth", "host address", ... */
	bool required;
	enum netns_step_status status;
	char detail[300]; /* what was done, or why it failed */
};

struct netns_sandbox {
	bool active; /* set up and not torn down */
	/* The sandbox netns; -1 when none. The supervisor may close it itself
	 * once the agent has joined it: then set it to -1 (teardown closes what
	 * is still open). */
	int ns_fd;
	int host_ns_fd;		      /* the caller's netns (for teardown) */
	char host_if[NL_IFNAMSIZ];    /* the veth end in the caller's netns */
	char sandbox_if[NL_IFNAMSIZ]; /* "eth0" */
	char fwd_table[64];	      /* supervisor-forward table, "" if none */
	struct nft_ctx *fwd_owner;    /* its owner socket: freeing it removes the table */
	size_t nsteps;
	struct netns_step steps[NETNS_MAX_STEPS];
	size_t nrules; /* nftables commands, in order */
	struct nft_rule_result rules[NFT_MAX_CMDS];
	bool degraded; /* nft_optional and a rule failed */
	double setup_ms;
};

/* Default configuration: the reference's addresses, port 3128, sandbox-output. */
void netns_cfg_init(struct netns_cfg *cfg);
/* Build the sandbox network from the calling thread's netns. On success
 * sb->ns_fd is the sandbox netns (O_CLOEXEC) to setns() the agent into. On
 * failure sb still holds the steps (for the report) but no resources. */
int netns_setup(const struct netns_cfg *cfg, struct netns_sandbox *sb, struct perr *e);
/* The sandbox-output table's configuration for cfg (host address, proxy
 * port, log tag): what netns_setup applies, and what a caller starting the
 * nftables worker early gives it (nft_worker_start_ruleset). */
void netns_nft_cfg(const struct netns_cfg *cfg, struct nft_sandbox_cfg *nc);
/* Undo netns_setup (a no-op on a zeroed, failed or torn down sb). */
int netns_teardown(struct netns_sandbox *sb, struct perr *e);

const char *netns_step_status_name(enum netns_step_status st);

#endif
