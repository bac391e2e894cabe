/* The start timeline (core/timeline.h), built here with PARITY_TIMELINE as
 * bench/timeline.sh builds parity: points from this process and a forked
 * one land in the file in time order, named by each process's role, and
 * nothing is written without PARITY_TIMELINE_OUT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "timeline.h"
#include "unit.h"

static void test_points_from_two_processes(void)
{
	char path[] = "/tmp/parity-timeline-XXXXXX", line[256], role[32], what[64];
	int fd = mkstemp(path), n = 0;
	double ms, last = -1;
	const char *want_role[] = {"unit-parent", "unit-child", "unit-parent"};
	const char *want_what[] = {"first", "in the child", "after the child"};
	FILE *f;
	pid_t pid;

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	setenv("PARITY_TIMELINE_OUT", path, 1);
	timeline_init();
	prctl(PR_SET_NAME, "unit-parent", 0, 0, 0);
	TL("first");
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NAME, "unit-child", 0, 0, 0);
		TL("in the child");
		_exit(0);
	}
	CU_ASSERT_FATAL(pid > 0);
	waitpid(pid, NULL, 0);
	TL("after the child");
	timeline_dump();
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		if (strcmp(line, "--\n") == 0)
			break;
		CU_ASSERT_EQUAL_FATAL(sscanf(line, "%lf %31s %63[^\n]", &ms, role, what), 3);
		CU_ASSERT_FATAL(n < 3);
		CU_ASSERT_STRING_EQUAL(role, want_role[n]);
		CU_ASSERT_STRING_EQUAL(what, want_what[n]);
		CU_ASSERT(ms >= last && ms >= 0);
		last = ms;
		n++;
	}
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(strcmp(line, "--\n"), 0);
	fclose(f);
	unlink(path);
	unsetenv("PARITY_TIMELINE_OUT");
}

void unit_register(void)
{
	UNIT_SUITE("timeline");
	UNIT_TEST(test_points_from_two_processes);
}
