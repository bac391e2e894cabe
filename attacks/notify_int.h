/* notify_int.h - internals shared by the notify family's files (not a
 * public interface; the family's table is attacks_notify, families.h).
 *
 *   notify.c       the helpers below, N03..N06, N09, N10, and the table
 *   notify_race.c  races and pressure on the supervisor: N01, N02, N07, N08
 */
#ifndef PARITY_ATTACKS_NOTIFY_INT_H
#define PARITY_ATTACKS_NOTIFY_INT_H

#include <netinet/in.h>
#include <stdint.h>

#include "attack.h"

/* ---- helpers (notify.c) ---- */

/* A SOCK_STREAM | SOCK_CLOEXEC socket whose blocking connect (and recv)
 * is bounded by SO_SNDTIMEO / SO_RCVTIMEO of timeout_ms; the fd or -1. */
int notify_bounded_socket(int family, int proto, int timeout_ms);
/* *sa = host:port, an IPv4 literal (attack_sockaddr). */
void notify_sockaddr_v4(struct sockaddr_in *sa, const char *host, uint16_t port);
/* Connect (bounded), log, send the marker when connected; the claim. */
int notify_connect_and_mark(const struct attack_env *env, struct attack_log *log, int family,
			    int proto, const char *host, uint16_t port, const char *label);

/* ---- the attacks in notify_race.c ---- */
int n01_toctou(const struct attack_env *env, struct attack_log *log);
int n02_dup2_race(const struct attack_env *env, struct attack_log *log);
int n07_flood(const struct attack_env *env, struct attack_log *log);
int n08_stall(const struct attack_env *env, struct attack_log *log);

#endif
