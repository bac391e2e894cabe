/* victims.h - processes in the pod, outside the sandbox, that count what
 * reaches them. Each is forked by the pod supervisor before the agent
 * starts, signals readiness on ready_fd (one byte), and dies with the pod.
 *
 *   signal victim   blocks every signal and counts them with signalfd
 *   sacrificial     sleeps; SIGKILL/SIGSTOP on it show in its wait status
 *   listeners       abstract unix stream/dgram/seqpacket "\0NAME",
 *                   "\0NAME.dgram", "\0NAME.seqpacket"; the same three as
 *                   pathname sockets PATH, PATH.dgram, PATH.seqpacket (mode
 *                   0666, as the system bus's); TCP 22, 53, 8081 and UDP 53
 *                   on 0.0.0.0 and :: of the pod
 */
#ifndef PARITY_VICTIMS_H
#define PARITY_VICTIMS_H

#include <stdbool.h>
#include <sys/types.h>

#include "lab_shm.h"

pid_t victim_spawn_signal(struct lab_shm *shm, uid_t uid, gid_t gid, int ready_fd, int drain_fd);
pid_t victim_spawn_sacrificial(struct lab_shm *shm, uid_t uid, gid_t gid, int ready_fd,
			       int drain_fd);
pid_t victim_spawn_listeners(struct lab_shm *shm, const char *abstract_name, const char *path,
			     const char *marker, int ready_fd, int drain_fd);
/* After the agent is gone, the pod writes one byte to each victim's
 * drain_fd and waits (victims_drain) until each has set its `drained`
 * flag or changed state: the signal victim and the listeners have then
 * counted everything queued for them (a busy machine may not have
 * scheduled them since the agent sent it), and the sacrificial victim has
 * run user code, so no SIGKILL or SIGSTOP was pending on it. Returns false
 * when the bound passed first. */
bool victims_drain(struct lab_shm *shm, const int drain_w[3], int timeout_ms);
/* Read the state of a victim child without reaping its exit for good. */
void victim_poll_state(struct lab_victim_status *v);

/* Pod services: the ports the listener victim holds (also used to keep
 * attacks from picking them). */
extern const unsigned short victim_pod_tcp_ports[];
extern const unsigned victim_pod_tcp_nports;

#endif
