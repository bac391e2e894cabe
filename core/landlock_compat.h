/* landlock_compat.h - the Landlock UAPI up to ABI 10, for headers that stop
 * earlier (Debian 12's <linux/landlock.h> stops at ABI 3).
 *
 * Structs carry a parity_ prefix so they never clash with a system header
 * that defines a shorter struct landlock_ruleset_attr; the kernel takes the
 * size as an argument, so passing only the fields an ABI knows is how ABI
 * emulation and old kernels are both served.
 */
#ifndef PARITY_LANDLOCK_COMPAT_H
#define PARITY_LANDLOCK_COMPAT_H

#include <linux/types.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif

/* ABI 1 (5.13), 4 (6.7: net), 6 (6.12: scoped), 10 (7.2: quiet masks). */
struct parity_landlock_ruleset_attr {
	__u64 handled_access_fs;  /* ABI 1 */
	__u64 handled_access_net; /* ABI 4 */
	__u64 scoped;		  /* ABI 6 */
	__u64 quiet_access_fs;	  /* ABI 10 */
	__u64 quiet_access_net;	  /* ABI 10 */
	__u64 quiet_scoped;	  /* ABI 10 */
};
/* Size to pass for a given ABI: older kernels reject unknown trailing
 * non-zero fields with E2BIG, so pass only what the ABI defines. */
#define PARITY_LL_ATTR_SIZE_ABI1 (offsetof(struct parity_landlock_ruleset_attr, handled_access_net))
#define PARITY_LL_ATTR_SIZE_ABI4 (offsetof(struct parity_landlock_ruleset_attr, scoped))
#define PARITY_LL_ATTR_SIZE_ABI6 (offsetof(struct parity_landlock_ruleset_attr, quiet_access_fs))
#define PARITY_LL_ATTR_SIZE_ABI10 (sizeof(struct parity_landlock_ruleset_attr))

struct parity_landlock_path_beneath_attr {
	__u64 allowed_access;
	__s32 parent_fd;
} __attribute__((packed));

struct parity_landlock_net_port_attr {
	__u64 allowed_access;
	__u64 port;
};

#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
#ifndef LANDLOCK_CREATE_RULESET_ERRATA
#define LANDLOCK_CREATE_RULESET_ERRATA (1U << 1) /* ABI 7 */
#endif

#ifndef LANDLOCK_RULE_PATH_BENEATH
#define LANDLOCK_RULE_PATH_BENEATH 1
#endif
#define PARITY_LANDLOCK_RULE_NET_PORT 2 /* enum value in newer headers */

/* Filesystem rights. */
#ifndef LANDLOCK_ACCESS_FS_EXECUTE
#define LANDLOCK_ACCESS_FS_EXECUTE (1ULL << 0)
#define LANDLOCK_ACCESS_FS_WRITE_FILE (1ULL << 1)
#define LANDLOCK_ACCESS_FS_READ_FILE (1ULL << 2)
#define LANDLOCK_ACCESS_FS_READ_DIR (1ULL << 3)
#define LANDLOCK_ACCESS_FS_REMOVE_DIR (1ULL << 4)
#define LANDLOCK_ACCESS_FS_REMOVE_FILE (1ULL << 5)
#define LANDLOCK_ACCESS_FS_MAKE_CHAR (1ULL << 6)
#define LANDLOCK_ACCESS_FS_MAKE_DIR (1ULL << 7)
#define LANDLOCK_ACCESS_FS_MAKE_REG (1ULL << 8)
#define LANDLOCK_ACCESS_FS_MAKE_SOCK (1ULL << 9)
#define LANDLOCK_ACCESS_FS_MAKE_FIFO (1ULL << 10)
#define LANDLOCK_ACCESS_FS_MAKE_BLOCK (1ULL << 11)
#define LANDLOCK_ACCESS_FS_MAKE_SYM (1ULL << 12)
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13) /* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_FS_RESOLVE_UNIX
#define LANDLOCK_ACCESS_FS_RESOLVE_UNIX (1ULL << 16) /* ABI 9 */
#endif

/* Network rights. */
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)    /* ABI 4 */
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_UDP
#define LANDLOCK_ACCESS_NET_BIND_UDP (1ULL << 2)	 /* ABI 10 */
#define LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP (1ULL << 3) /* ABI 10 */
#endif

/* Scopes (ABI 6). */
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* landlock_restrict_self flags. */
#ifndef LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF
#define LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF (1U << 0)  /* ABI 7 */
#define LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON (1U << 1)    /* ABI 7 */
#define LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF (1U << 2) /* ABI 7 */
#endif
#ifndef LANDLOCK_RESTRICT_SELF_TSYNC
#define LANDLOCK_RESTRICT_SELF_TSYNC (1U << 3) /* ABI 8 */
#endif
#ifndef LANDLOCK_ADD_RULE_QUIET
#define LANDLOCK_ADD_RULE_QUIET (1U << 0) /* ABI 10 */
#endif

/* Errata bits (LANDLOCK_CREATE_RULESET_ERRATA). */
#define PARITY_LL_ERRATUM_TCP_SOCKET_IDENT (1U << 0) /* erratum 1, ABI 4 */
#define PARITY_LL_ERRATUM_SCOPED_SIGNAL (1U << 1)    /* erratum 2, ABI 6 */
#define PARITY_LL_ERRATUM_DISCONNECTED_DIR (1U << 2) /* erratum 3, ABI 1 */

#define PARITY_LANDLOCK_MAX_ABI 10

static inline int ll_create_ruleset(const struct parity_landlock_ruleset_attr *attr, size_t size,
				    __u32 flags)
{
	return (int)syscall(__NR_landlock_create_ruleset, attr, size, flags);
}

static inline int ll_add_rule(int ruleset_fd, int rule_type, const void *attr, __u32 flags)
{
	return (int)syscall(__NR_landlock_add_rule, ruleset_fd, rule_type, attr, flags);
}

static inline int ll_restrict_self(int ruleset_fd, __u32 flags)
{
	return (int)syscall(__NR_landlock_restrict_self, ruleset_fd, flags);
}

#endif
