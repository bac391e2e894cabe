/* lab_shm.h - the memory shared between the harness and the pod.
 *
 * The harness maps it (MAP_SHARED|MAP_ANONYMOUS) before forking the pod, so
 * victims, the pod supervisor and the harness all see it. Victims only ever
 * increment counters; the verdict is computed by the harness from it and
 * from the network witnesses. Nothing in the sandbox can reach it: the agent
 * closes every inherited fd and this mapping is not inherited across exec.
 */
#ifndef PARITY_LAB_SHM_H
#define PARITY_LAB_SHM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pidns.h"

#define LAB_REPORT_MAX (192 * 1024)

enum victim_state {
	VICTIM_ALIVE = 0,
	VICTIM_STOPPED = 1, /* SIGSTOP / SIGTSTP reached it */
	VICTIM_KILLED = 2,  /* died of a signal */
	VICTIM_EXITED = 3,  /* exited on its own: should not happen */
	VICTIM_NOT_STARTED = 4,
};

/* lab_shm.pod_stage */
enum lab_pod_stage {
	LAB_POD_NOT_RUN = 0, /* its init has not started it */
	LAB_POD_NETNS,	     /* joining the pod netns */
	LAB_POD_RESOLV,	     /* its resolv.conf */
	LAB_POD_VICTIMS,     /* starting the victims */
	LAB_POD_GO,	     /* waiting for the harness's witnesses */
	LAB_POD_ENFORCER,    /* in enforcer_run */
	LAB_POD_RETURNED,    /* enforcer_run returned */
};

struct lab_victim_status {
	pid_t pid; /* as seen inside the pod's PID namespace */
	_Atomic int state;
	int signal;	      /* for STOPPED / KILLED */
	_Atomic bool drained; /* answered the pod's drain request (victims.h) */
	/* Signals pending at its last drain, bit s-1 for signal s: the
	 * sacrificial victim blocks every catchable one, so a signal that
	 * reached it stays here (a SIGCONT after a SIGSTOP too). */
	_Atomic unsigned long long pending;
};

struct lab_listener_counts {
	_Atomic int connections; /* or datagrams */
	_Atomic int bytes;
	_Atomic bool marker;
};

struct lab_shm {
	/* Signal victim: every signal it received through signalfd. */
	_Atomic int signals[65];
	_Atomic int signals_total;
	_Atomic int last_sender_pid;
	struct lab_victim_status signal_victim;
	struct lab_victim_status sacrificial;
	struct lab_victim_status listeners;
	bool victims_settled; /* every victim answered the final drain in time */
	/* Abstract unix listeners in the pod netns. */
	struct lab_listener_counts abstract_stream, abstract_dgram, abstract_seqpacket;
	/* Pathname unix listeners of the pod (a host daemon's socket: the
	 * system bus, docker.sock), at victim_path: reachable by path from
	 * any network namespace that shares the pod's filesystem. */
	struct lab_listener_counts path_stream, path_dgram, path_seqpacket;
	char victim_path[108]; /* "" when the pod could not place them */
	/* Services on the supervisor's side (pod netns): TCP 22/53/8081 on
	 * 0.0.0.0 and ::, UDP 53 (a resolver on the supervisor side). */
	struct lab_listener_counts pod_tcp, pod_udp;
	/* The accomplice's abstract connects (A05/A06), done from the pod. */
	struct lab_listener_counts accomplice_abstract;

	/* The bait: a TCP connection from the pod to the sink made by the pod
	 * supervisor without CLOEXEC before the agent starts. A profile that
	 * closes inherited fds takes it away; `none` hands it over (E11). */
	int bait_lport;
	/* What the agent should look like from outside (for "@parity inspect"):
	 * its netns as the enforcer made it, and the mount count of the pod's
	 * mount namespace before the agent was forked (nothing mounts after). */
	_Atomic unsigned long agent_netns_ino;
	int mounts_before;
	_Atomic pid_t agent_pid_live;
	pid_t supervisor_pid, proxy_pid, agent_pid;
	/* The supervisor's stops as its parent, the pod's init, saw them
	 * (wait with WUNTRACED | WCONTINUED): every one, however short. */
	struct pidns_watch supervisor_watch;
	bool run_returned; /* enforcer_run came back (the supervisor lived) */
	/* How far the pod got (lab_pod_main), for a pod that never finished:
	 * 0 its main never ran (init's set-up), then each step it began. */
	_Atomic int pod_stage;
	bool exec_done;
	bool timed_out;
	bool proxy_died_early;
	bool proxy_probed;	   /* run_result's: see enforcer.h */
	int proxy_fate;		   /* enum proxy_fate */
	uint16_t proxy_probe_port; /* its line in the proxy log is the lab's */
	int leftovers_killed;	   /* the program's processes alive after it */
	int leftovers_remaining;   /* ... and still alive after the kill */
	int agent_status;
	int proxy_status;
	double setup_ms, run_ms;
	int setup_failed;	    /* enforcer_run returned -1 */
	bool setup_feature_missing; /* perr.feature_missing of that error */
	char setup_error[1024];
	char report[LAB_REPORT_MAX]; /* enforcement report, JSON */
};

#endif
