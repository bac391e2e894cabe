/* labnet.h - the lab topology of DESIGN.md section 4, minus the sandbox,
 * for lab tests that need real namespaces:
 *
 *   [pod netns]  eth0 10.88.0.2/24 fd00:88::2/64, default routes via wan
 *        | veth
 *   [wan netns]  wan0 10.88.0.1/24 fd00:88::1/64; on lo 198.51.100.10,
 *                198.51.100.53, 203.0.113.80, 2001:db8:100::10, ::53
 *
 * The calling thread switches namespaces only inside these helpers and is
 * back in its own when they return. Setup failures print and exit(1).
 * Needs root.
 */
#ifndef PARITY_TEST_LABNET_H
#define PARITY_TEST_LABNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

/* Print a setup failure and exit(1). */
#define LAB_DIE(...)                                                                               \
	do {                                                                                       \
		fprintf(stderr, "lab setup: " __VA_ARGS__);                                        \
		fputc('\n', stderr);                                                               \
		exit(1);                                                                           \
	} while (0)

struct lab {
	int pod, wan; /* netns fds */
	uint8_t wan_mac[6], pod_mac[6];
};

extern int lab_host_ns; /* the caller's own netns, set by lab_build */

void lab_build(struct lab *lab);
void lab_enter(int ns);
/* A socket created inside `ns` (CLOEXEC). */
int lab_socket(int ns, int domain, int type, int proto);
void lab_sockaddr(struct sockaddr_storage *ss, socklen_t *len, const char *addr, int port);
/* Bound (and for SOCK_STREAM listening) socket in `ns`. */
int lab_listen(int ns, const char *addr, int port, int type);
/* Connected TCP socket (TCP_NODELAY) from `ns`. */
int lab_connect(int ns, const char *addr, int port);
void lab_sendto(int s, const char *addr, int port, const void *buf, size_t n);
/* "ADDR:PORT" or "[ADDR]:PORT" of a socket's local (or peer) end. */
void lab_endpoint(int s, bool peer, char *buf, size_t len);
/* The Internet checksum, in network order. */
uint16_t lab_csum(const void *p, size_t n);

#endif
