/* udpdns.h - helpers shared by the udp (B2) and dns (B3) families: logged
 * socket/sendto wrappers, address text, the default route's interface.
 * Internal to attacks/udp.c and attacks/dns.c. */
#ifndef PARITY_UDPDNS_H
#define PARITY_UDPDNS_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "attack.h"

/* "1.2.3.4:53", "[2001:db8::1]:53"; for other families "family N". */
const char *ud_addr_str(const struct sockaddr *sa, char *buf, size_t len);
/* The name of a socket family/type for transcripts. */
const char *ud_family_name(int family);

/* socket(domain, type, proto), logged with `desc`. Returns the fd or -1. */
int ud_socket(struct attack_log *log, int domain, int type, int proto, const char *desc);
/* sendto(fd, buf, n, flags, host:port), logged. Returns what sendto did. */
ssize_t ud_sendto(struct attack_log *log, int fd, const void *buf, size_t n, int flags,
		  const char *host, uint16_t port, const char *what);
/* The marker line to host:port on fd (label in the payload). */
ssize_t ud_send_marker(const struct attack_env *env, struct attack_log *log, int fd,
		       const char *host, uint16_t port, const char *label);
/* SO_RCVTIMEO and SO_SNDTIMEO, logged. */
void ud_timeouts(struct attack_log *log, int fd, int ms);

/* The interface of the IPv4 default route (/proc/net/route) and its
 * gateway; logged as a note. Returns 0 or -1. */
int ud_default_route(struct attack_log *log, char ifname[IF_NAMESIZE], struct in_addr *gw);

/* A datagram that left the socket proves nothing (the sinks never answer,
 * and an ICMP error never reaches an unconnected socket): the witnesses
 * decide. */
#define SENT_CLAIM(sent) ((sent) > 0 ? CLAIM_UNSURE : CLAIM_BLOCKED)

/* udp_entry.c: the attacks on other entry points and lower layers (the
 * table stays in udp.c). */
int u05_socketcall(const struct attack_env *env, struct attack_log *log);
int u05_ia32_socket(const struct attack_env *env, struct attack_log *log);
int u05_x32(const struct attack_env *env, struct attack_log *log);
int u06_io_uring(const struct attack_env *env, struct attack_log *log);
int u11_raw(const struct attack_env *env, struct attack_log *log);
int u11_packet(const struct attack_env *env, struct attack_log *log);

#endif
