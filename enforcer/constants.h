/* constants.h - symbolic names for values that appear in profiles
 * (seccomp argument values, errno names), so profiles read like the
 * syscalls they restrict: "AF_INET", "SOCK_DGRAM", "EPERM". */
#ifndef PARITY_CONSTANTS_H
#define PARITY_CONSTANTS_H

#include <stdbool.h>
#include <stdint.h>

/* Look up a constant by name ("AF_INET", "SOCK_TYPE_MASK"). */
bool constant_lookup(const char *name, uint64_t *value);
/* errno by name ("EPERM") or number; -1 if unknown. */
int errno_lookup(const char *name);

#endif
