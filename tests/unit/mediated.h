/* mediated.h - the fixture of the notify unit tests: a child under a
 * notify filter, served by a real supervisor in this process.
 *
 *   mediated_start(&m, "platform-notify", port_check, body, arg);
 *   ...assertions on m.ns...
 *   status = mediated_run(&m, &stats);   // the child's wait status
 *   mediated_free(&m);
 *
 * The allowlist pins 127.0.0.1 port 3128; the child gets the port of a
 * loopback listener of ours (m.port) to connect to. */
#ifndef PARITY_TEST_MEDIATED_H
#define PARITY_TEST_MEDIATED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "notify.h"
#include "profile.h"

struct mediated {
	struct profile p;
	struct notify_allowlist al;
	struct notify_supervisor *ns;
	int lfd, sp, pidfd;
	pid_t pid;
	uint16_t port;
	unsigned handle_errors; /* notify_supervisor_handle() < 0 in mediated_run:
				 * enforcer.c's loop stops serving the listener then */
};

/* Runs in the child: installs the filter (notify_install on handoff) and
 * makes its calls; exits with its failure count, never returns. */
typedef void (*mediated_body)(const struct profile_notify *n, int handoff, uint16_t port,
			      void *arg);

/* Load enforcer/profiles/<profile>.json, fork the child, take its listener
 * and make the supervisor. 0, or -1 (what was made is freed by
 * mediated_free). The child waits for mediated_run. */
int mediated_start(struct mediated *m, const char *profile, bool port_check, mediated_body body,
		   void *arg);
/* Let the child go on and serve it until it exits: its wait status, or
 * -1. The supervisor is stopped; *st gets its counters. */
int mediated_run(struct mediated *m, struct notify_stats *st);
void mediated_free(struct mediated *m);

#endif
