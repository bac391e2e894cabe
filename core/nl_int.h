/* nl_int.h - shared by nl.c and nl_link.c. Not an interface: see nl.h. */
#ifndef PARITY_NL_INT_H
#define PARITY_NL_INT_H

#include <stdbool.h>

#include "err.h"
#include "nl.h"

struct nl_ctx {
	struct nl_sock *sk;
	int err;	  /* errno of the last NLMSG_ERROR, 0 if none */
	char extack[200]; /* the kernel's extended-ack message, if any */
};

/* Clear the last kernel error and extended ack before a request. */
void nl_ctx_reset(struct nl_ctx *c);
/* Best errno for a libnl error code when the kernel sent none (0: none). */
int nl_errno_of_nle(int nle);
/* Record a failed libnl call (negative NLE code) in e, with the kernel's
 * errno and extended ack when it sent them. Returns -1. */
int nl_ctx_fail(struct nl_ctx *c, int nle, struct perr *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The link's index, or -1 with e set. */
int nl_ifindex_or_fail(struct nl_ctx *c, const char *ifname, struct perr *e);
/* This kernel has IPv6 (in the calling thread's netns). */
bool nl_have_ipv6(void);

#endif
