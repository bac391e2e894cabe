/* ll-abi.c - print the Landlock ABI the running kernel offers, as the guest
 * demonstration payload of the vmtests (vmtests/README.md).
 *
 *   ll-abi            prints "landlock_abi=N" and, when N <= 0, why:
 *                       N >= 1  landlock_create_ruleset(NULL, 0, VERSION)
 *                       0       EOPNOTSUPP: built in but not enabled (lsm=)
 *                       -1      ENOSYS: the kernel has no Landlock syscalls
 *                       -2      any other error (printed)
 *
 * Self-contained on purpose: it must build and run on any guest kernel, so it
 * uses the raw syscall number rather than the project's headers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)

int main(void)
{
	long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi >= 1) {
		printf("landlock_abi=%ld\n", abi);
		return 0;
	}
	int e = errno;
	if (e == EOPNOTSUPP)
		printf("landlock_abi=0 EOPNOTSUPP (Landlock built in but not enabled)\n");
	else if (e == ENOSYS)
		printf("landlock_abi=-1 ENOSYS (no Landlock in this kernel)\n");
	else
		printf("landlock_abi=-2 %s\n", strerror(e));
	return 0;
}
