/* test_notify_races.c - notify mediation when the agent's threads and
 * processes come and go under the supervisor: a caller killed between the
 * supervisor's poll and its receive must cost that one notification, never
 * the mediation of the rest of the run (no root needed). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mediated.h"
#include "notify.h"
#include "report.h"
#include "unit.h"

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A port on 127.0.0.1 nobody listens on: a connect there is refused at
 * once (a listener's backlog would fill up and stall the calls). */
static struct sockaddr_in closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t l = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &l);
	close(s);
	return a;
}

/* For about a second: fork a child that makes mediated connects in a loop
 * and SIGKILL it a little after it started, so that notifications vanish
 * between the supervisor's poll and its receive. Then one connect of our
 * own must still be performed, under an alarm: unserved, it would wait. */
static void killed_callers_body(const struct profile_notify *n, int handoff, uint16_t port,
				void *arg)
{
	struct rep_sink rs = {.report = NULL, .fd = -1};
	struct sockaddr_in lo = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct sockaddr_in refused;
	double end;
	int s, fail = 0, rounds = 0;

	(void)arg;
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (notify_install(n, handoff, &rs) < 0)
		_exit(100);
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	refused = closed_port();
	end = now_ms() + 1000;
	while (now_ms() < end) {
		int go[2];
		char b;
		pid_t c;
		if (pipe(go) < 0)
			break;
		c = fork();
		if (c == 0) {
			close(go[0]);
			if (write(go[1], "1", 1) != 1)
				_exit(1);
			for (;;) {
				int t = socket(AF_INET, SOCK_STREAM, 0);
				connect(t, (struct sockaddr *)&refused, sizeof(refused));
				close(t);
			}
		}
		close(go[1]);
		if (c < 0 || read(go[0], &b, 1) != 1)
			break;
		close(go[0]);
		/* A spin of varying length: the kill lands at any point of a
		 * call, from before its notification to after its answer. */
		for (volatile int k = 0; k < (rounds % 32) * 500; k++)
			;
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
		rounds++;
	}
	alarm(5);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&lo, sizeof(lo)) != 0) {
		fprintf(stderr, "connect after %d killed callers: errno %d\n", rounds, errno);
		fail++;
	}
	_exit(fail);
}

static void test_killed_callers_leave_mediation_running(void)
{
	struct mediated m;
	struct notify_stats st;
	int status;

	CU_ASSERT_EQUAL_FATAL(
	    mediated_start(&m, "platform-notify", false, killed_callers_body, NULL), 0);
	status = mediated_run(&m, &st);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT_EQUAL(m.handle_errors, 0);
	fprintf(stderr, "\n  %lu notifications, %lu stale\n", st.received, st.stale);
	mediated_free(&m);
}

void unit_register(void)
{
	UNIT_SUITE("notify_races");
	UNIT_TEST(test_killed_callers_leave_mediation_running);
}
