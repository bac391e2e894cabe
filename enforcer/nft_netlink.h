/* nft_netlink.h - the sandbox-output ruleset (nft.h) as one nf_tables
 * netlink batch, encoded here and sent with one sendto(), without loading
 * libnftables.
 *
 * Why: loading libnftables, making its context and parsing the twelve
 * commands cost a namespace start about 1.5 ms of its 6-7 ms on a 2-vCPU
 * machine (docs/architecture.md, "The nftables engines"), most of it
 * user-space work the kernel never sees. The batch is what libnftables
 * 1.0.6 sends for nft.c's commands, message for message and attribute for
 * attribute but NLM_F_ACK (measured against a capture; docs/architecture.md),
 * and lab check `net-nft-netlink` applies both engines and compares the
 * kernel's rules byte for byte and libnftables' listing of them: the
 * kernel state is the same whichever engine applied it.
 *
 * Scope: NFT_RS_SANDBOX_OUTPUT without an owner table, IPv4 or IPv6 proxy
 * address. Anything else (supervisor-forward, owner tables) is refused
 * with ENOTSUP and stays with libnftables, as does the per-command replay
 * after a refused batch (nft_worker.c): the kernel applies a batch all or
 * nothing, so a failure leaves nothing behind and libnftables then names
 * the command that fails.
 *
 * Message i of the batch (between its begin and end markers) is command i
 * of nft_ruleset_cmds() for the same configuration.
 */
#ifndef PARITY_NFT_NETLINK_H
#define PARITY_NFT_NETLINK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "nft.h"

#define NFT_BATCH_MAX 8192

struct nft_batch {
	uint32_t len;	/* bytes used in buf */
	uint32_t ncmds; /* messages between the begin and end markers */
	uint8_t buf[NFT_BATCH_MAX];
};

/* Encode rs/cfg. 0, or -1 with e: ENOTSUP (e->sys_errno) when this encoder
 * does not cover the ruleset, a usage error for a bad configuration (as
 * nft_ruleset_cmds). */
int nft_netlink_encode(enum nft_ruleset rs, const struct nft_sandbox_cfg *cfg, struct nft_batch *b,
		       struct perr *e);

/* Send b on a NETLINK_NETFILTER socket made in the calling thread's netns
 * and read the kernel's answer to every message. 0 when each one was
 * acknowledged; -1 with the kernel's errno and extended-ack text in e, and
 * *failed_cmd set to the index of the refused command (-1: the batch as a
 * whole, or no answer). */
int nft_netlink_apply(const struct nft_batch *b, long *failed_cmd, struct perr *e);

/* nft_netlink_apply's second half, on its own for the tests: read the
 * answers to a batch of ncmds commands already sent on fd, until every
 * command is acknowledged and nothing more is queued. Every command must
 * be acknowledged, no error may come (on a command: *failed_cmd is its
 * index; on the batch's markers: -1), and nothing else may be read (a
 * message that is not an NLMSG_ERROR, a short or truncated one). A
 * datagram from a netlink port other than the kernel's is skipped. */
int nft_netlink_answers(int fd, uint32_t ncmds, long *failed_cmd, struct perr *e);

#endif
