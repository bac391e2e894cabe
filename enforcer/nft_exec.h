/* nft_exec.h - internal to nft.c and nft_worker.c: running nft commands
 * through libnftables in the calling thread's netns. */
#ifndef PARITY_NFT_EXEC_H
#define PARITY_NFT_EXEC_H

#include "nft.h"

struct nft_ctx;

/* libnftables' process-global state, set up once (the first
 * nft_ctx_new(), whose context is freed at once). */
void nft_exec_global_init(void);
/* A context with buffered output and errors, in the calling thread's
 * netns; NULL when libnftables cannot be loaded or fails. */
struct nft_ctx *nft_exec_ctx_new(void);
/* The same without the process-global set-up first: only for a process
 * with one thread (the worker), where the first nft_ctx_new() does it and
 * nothing can race it. Spares a throwaway context (its netlink socket, its
 * 128 KiB cache table, the /etc/iproute2 files): 0.15-0.3 ms. */
struct nft_ctx *nft_exec_ctx_new_single_threaded(void);
/* Run cmds in c (NULL: each reported as failed): one transaction first,
 * command by command when it fails. Returns the index of the first failed
 * Required command, or -1. keep: hand c back instead of freeing it. */
long nft_exec_run(struct nft_ctx *c, const struct nft_cmd *cmds, size_t n,
		  struct nft_rule_result *res, struct nft_ctx **keep);
/* The outcome of a ruleset from nft_exec_run()'s return (-2: e is set). */
int nft_exec_outcome(long failed, size_t n, const struct nft_rule_result *res, size_t *nres,
		     struct perr *e);
/* NFT_EXEC_FORK: a worker started, given ns_fd and rs, collected. */
long nft_worker_run_once(int ns_fd, enum nft_ruleset rs, const struct nft_sandbox_cfg *cfg,
			 struct nft_rule_result *res, struct perr *e);

#endif
