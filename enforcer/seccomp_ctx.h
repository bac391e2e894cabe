/* seccomp_ctx.h - the libseccomp filter context both of our filters start
 * from (the main one, seccomp_layer.c; the notify one, notify_filter.c).
 *
 * seccomp_ctx_new: default ALLOW, NNP left to the identity layer, `badarch`
 * for other architectures. seccomp_ctx_merge_x32: merge an empty x32 filter
 * in, so that x32 numbers (nr | 0x40000000, arch still x86_64) match no
 * rule and are allowed, as the reference's seccompiler and the follow-up's
 * BPF have it; without it libseccomp sends them to `badarch`
 * (docs/seccomp.md). On failure ctx is left as it was. */
#ifndef PARITY_SECCOMP_CTX_H
#define PARITY_SECCOMP_CTX_H

#include <seccomp.h>
#include <stdint.h>

#include "err.h"

scmp_filter_ctx seccomp_ctx_new(uint32_t badarch);
int seccomp_ctx_merge_x32(scmp_filter_ctx ctx, uint32_t badarch, const char *who, struct perr *e);

#endif
