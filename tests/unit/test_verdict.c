/* test_verdict.c - verdict_judge(), the rules of verdict.h, one outcome
 * at a time: the witnesses decide, the program's claim never does, and
 * BLOCKED needs a positive control that escaped. No root. */
#include <signal.h>
#include <string.h>

#include "matrix/verdict.h"
#include "unit.h"

/* A program that ran to its end (exit 0) and that no witness saw. */
static struct lab_outcome ran_unseen(char *out)
{
	struct lab_outcome o;
	memset(&o, 0, sizeof(o));
	o.exec_done = true;
	o.status = 0; /* exited 0 */
	o.out = out;
	return o;
}

static struct lab_outcome escaped_control(void)
{
	struct lab_outcome c = ran_unseen(NULL);
	c.escaped = true;
	return c;
}

static enum verdict judge(const struct lab_outcome *run, const struct lab_outcome *control,
			  struct judgement *j)
{
	verdict_judge(run, control, j);
	return j->verdict;
}

static void test_blocked_needs_an_escaped_control(void)
{
	struct lab_outcome run = ran_unseen(NULL), ctl = escaped_control();
	struct judgement j;

	CU_ASSERT_EQUAL(judge(&run, &ctl, &j), V_BLOCKED);
	CU_ASSERT_STRING_EQUAL(j.disagreement, "");
	/* no control at all */
	CU_ASSERT_EQUAL(judge(&run, NULL, &j), V_INCONCLUSIVE);
	CU_ASSERT_PTR_NOT_NULL(strstr(j.reason, "no positive control"));
	/* a control that did not escape proves nothing */
	ctl.escaped = false;
	CU_ASSERT_EQUAL(judge(&run, &ctl, &j), V_INCONCLUSIVE);
	CU_ASSERT_PTR_NOT_NULL(strstr(j.reason, "did not escape"));
	/* a control whose lab failed, even one marked escaped */
	ctl.escaped = true;
	ctl.infra_failed = true;
	snprintf(ctl.infra_error, sizeof(ctl.infra_error), "capture failed");
	CU_ASSERT_EQUAL(judge(&run, &ctl, &j), V_INCONCLUSIVE);
	CU_ASSERT_PTR_NOT_NULL(strstr(j.reason, "capture failed"));
}

static void test_witnesses_decide_not_the_claim(void)
{
	char says_escaped[] = "{\"claim\":\"escaped\"}\n", says_blocked[] = "blocked\n";
	struct lab_outcome run = ran_unseen(says_escaped), ctl = escaped_control();
	struct judgement j;

	/* claims escape, nothing seen: BLOCKED, and the disagreement is said */
	CU_ASSERT_EQUAL(judge(&run, &ctl, &j), V_BLOCKED);
	CU_ASSERT_STRING_EQUAL(j.claim, "escaped");
	CU_ASSERT_NOT_EQUAL(j.disagreement[0], '\0');
	/* claims blocked, a witness saw it: ESCAPED, with the disagreement */
	run.out = says_blocked;
	run.escaped = true;
	CU_ASSERT_EQUAL(judge(&run, &ctl, &j), V_ESCAPED);
	CU_ASSERT_STRING_EQUAL(j.claim, "blocked");
	CU_ASSERT_NOT_EQUAL(j.disagreement[0], '\0');
	/* a witness outranks everything after it: even without a control, or
	 * killed, or timed out, a seen escape is ESCAPED */
	run.status = SIGSYS; /* WIFSIGNALED */
	run.timed_out = true;
	CU_ASSERT_EQUAL(judge(&run, NULL, &j), V_ESCAPED);
}

static void test_failures_are_never_blocked(void)
{
	struct lab_outcome run = ran_unseen(NULL), ctl = escaped_control();
	struct judgement j;

	/* the lab or a witness failed: INCONCLUSIVE, even if one saw an escape */
	run.infra_failed = true;
	run.escaped = true;
	snprintf(run.infra_error, sizeof(run.infra_error), "sink down");
	CU_ASSERT_EQUAL(judge(&run, &ctl, &j), V_INCONCLUSIVE);
	CU_ASSERT_PTR_NOT_NULL(strstr(j.reason, "sink down"));
	/* the program never started */
	run = ran_unseen(NULL);
	run.exec_done = false;
	CU_ASSERT_EQUAL(judge(&run, &ctl, &j), V_INCONCLUSIVE);
	/* it timed out */
	run = ran_unseen(NULL);
	run.timed_out = true;
	CU_ASSERT_EQUAL(judge(&run, &ctl, &j), V_INCONCLUSIVE);
	/* the enforcer refused to start it (--compat hard): N/A, named */
	run = ran_unseen(NULL);
	run.exec_done = false;
	run.sandbox_refused = true;
	snprintf(run.sandbox_error, sizeof(run.sandbox_error), "Landlock ABI 4 needed");
	CU_ASSERT_EQUAL(judge(&run, &ctl, &j), V_NA);
	CU_ASSERT_PTR_NOT_NULL(strstr(j.reason, "Landlock ABI 4 needed"));
}

static void test_killed_is_not_blocked(void)
{
	struct lab_outcome run = ran_unseen(NULL), ctl = escaped_control();
	struct judgement j;

	run.status = SIGSYS; /* killed by seccomp */
	CU_ASSERT_EQUAL(judge(&run, &ctl, &j), V_KILLED);
	CU_ASSERT_EQUAL(j.signal, SIGSYS);
	/* killed is a containment, as blocked is: only against a control that
	 * escaped (a program that crashes on its own proves nothing) */
	CU_ASSERT_EQUAL(judge(&run, NULL, &j), V_INCONCLUSIVE);
	ctl.escaped = false;
	CU_ASSERT_EQUAL(judge(&run, &ctl, &j), V_INCONCLUSIVE);
	ctl.escaped = true;
	/* a non-zero exit is still a program that ran to its end */
	run.status = 1 << 8;
	CU_ASSERT_EQUAL(judge(&run, &ctl, &j), V_BLOCKED);
}

static void test_na_and_names(void)
{
	struct judgement j;
	enum verdict v;

	verdict_na(&j, "no IPv6");
	CU_ASSERT_EQUAL(j.verdict, V_NA);
	CU_ASSERT_PTR_NOT_NULL(strstr(j.reason, "no IPv6"));
	for (int i = V_BLOCKED; i <= V_INCONCLUSIVE; i++) {
		CU_ASSERT_EQUAL(verdict_parse(verdict_name((enum verdict)i), &v), 0);
		CU_ASSERT_EQUAL(v, (enum verdict)i);
	}
	CU_ASSERT_EQUAL(verdict_parse("NA", &v), 0);
	CU_ASSERT_EQUAL(v, V_NA);
	CU_ASSERT_EQUAL(verdict_parse("blocked", &v), -1);
	CU_ASSERT_STRING_EQUAL(verdict_claim_of("x\n@parity claim blocked\n"), "blocked");
	CU_ASSERT_STRING_EQUAL(verdict_claim_of("{\"claim\":\"unsure\"}"), "unsure");
	CU_ASSERT_STRING_EQUAL(verdict_claim_of(NULL), "none");
}

void unit_register(void)
{
	UNIT_SUITE("verdict");
	UNIT_TEST(test_blocked_needs_an_escaped_control);
	UNIT_TEST(test_witnesses_decide_not_the_claim);
	UNIT_TEST(test_failures_are_never_blocked);
	UNIT_TEST(test_killed_is_not_blocked);
	UNIT_TEST(test_na_and_names);
}
