/* test_expect.c - expectation sets: parsing (each malformed field its own
 * error naming file and field), ranges, kernel releases, matching on kernel
 * facts, outcome comparisons, evaluation of a results document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expect.h"
#include "parity.h"
#include "unit.h"
#include "verdict.h"

#define SET(entries)                                                                               \
	"{\"schema\":\"parity.expectations/1\",\"name\":\"t\",\"entries\":[" entries "]}"
#define OK_TAIL "\"rationale\":\"r\",\"reference\":\"ref\""

static int parse_text(const char *text, struct expect_set *s, struct perr *e)
{
	json_error_t je;
	json_t *root = json_loads(text, 0, &je);
	int rc;
	if (!root) {
		fprintf(stderr, "\n  bad test JSON: %s: %s\n", text, je.text);
		return -2;
	}
	rc = expect_set_parse(root, "f.json", true, s, e);
	json_decref(root);
	return rc;
}

/* Parsing `text` fails with a usage error naming f.json and `field`. */
static void expect_error(const char *text, const char *field)
{
	struct expect_set s;
	struct perr e;
	char want[160];

	perr_clear(&e);
	CU_ASSERT_EQUAL(parse_text(text, &s, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	snprintf(want, sizeof(want), "f.json: field '%s'", field);
	if (!strstr(e.msg, want))
		fprintf(stderr, "\n  expected \"%s\" in: %s\n", want, e.msg);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, want));
	CU_ASSERT_EQUAL(s.n, 0);
	CU_ASSERT_PTR_NULL(s.entries);
}

static void test_shipped_sets_parse(void)
{
	static const char *const names[] = {"baseline", "known-gaps", "pr-claims"};
	for (size_t i = 0; i < 3; i++) {
		char path[512];
		struct expect_set s;
		struct perr e;
		perr_clear(&e);
		snprintf(path, sizeof(path), "%s/matrix/expectations/%s.json", PARITY_SOURCE_ROOT,
			 names[i]);
		if (expect_set_load(path, true, &s, &e) < 0)
			fprintf(stderr, "\n  %s\n", e.msg);
		CU_ASSERT_STRING_EQUAL(s.name, names[i]);
		CU_ASSERT(s.n > 0);
		for (size_t j = 0; j < s.n; j++) {
			CU_ASSERT(s.entries[j].rationale && *s.entries[j].rationale);
			CU_ASSERT(s.entries[j].reference && *s.entries[j].reference);
		}
		expect_set_free(&s);
	}
}

static void test_valid_entry(void)
{
	struct expect_set s;
	struct perr e;
	const struct expect_entry *en;

	perr_clear(&e);
	CU_ASSERT_EQUAL(
	    parse_text(SET("{\"id\":\"x\",\"attacks\":[\"T0*\",\"A05\"],\"family\":\"tcp\","
			   "\"profile\":\"platform*\",\"abi\":\">=4\","
			   "\"when\":{\"errata_fixed\":[1],\"errata_unfixed\":3,"
			   "\"kernel_release\":\"<7.2-rc4\",\"landlock_abi\":\"4-9\","
			   "\"features\":{\"protocols.mptcp\":\"yes\"}},"
			   "\"verdict\":\"ESCAPED\",\"rationale\":\"r\","
			   "\"reference\":[\"a\",\"b\"],\"stated\":{\"platform\":\"p\"}},"
			   "{\"attacks\":\"*\",\"profile\":\"platform\",\"parity\":\"GAP\"," OK_TAIL
			   "}"),
		       &s, &e),
	    0);
	CU_ASSERT_EQUAL(s.n, 2);
	en = &s.entries[0];
	CU_ASSERT_STRING_EQUAL(en->id, "x");
	CU_ASSERT_EQUAL(en->nattacks, 2);
	CU_ASSERT_EQUAL(en->nfamilies, 1);
	CU_ASSERT_EQUAL(en->abi.lo, 4);
	CU_ASSERT_EQUAL(en->errata_fixed, 1U);
	CU_ASSERT_EQUAL(en->errata_unfixed, 4U);
	CU_ASSERT(en->has_release && en->release_cmp == CMP_LT && en->release.rc == 4);
	CU_ASSERT(en->has_kernel_abi && en->kernel_abi.lo == 4 && en->kernel_abi.hi == 9);
	CU_ASSERT_STRING_EQUAL(en->reference, "a; b");
	CU_ASSERT_EQUAL(en->kind, EXPECT_VERDICT);
	CU_ASSERT_EQUAL(en->expected, EV_ESCAPED);
	CU_ASSERT_STRING_EQUAL(s.entries[1].id, "entries[1]");
	CU_ASSERT_EQUAL(s.entries[1].kind, EXPECT_PARITY);
	CU_ASSERT_EQUAL(s.entries[1].expected, PS_GAP);
	CU_ASSERT(s.entries[1].abi.any);
	expect_set_free(&s);
}

static void test_malformed_fields(void)
{
	expect_error("{\"schema\":\"parity.expectations/2\",\"name\":\"t\",\"entries\":[]}",
		     "schema");
	expect_error("{\"schema\":\"parity.expectations/1\",\"entries\":[]}", "name");
	expect_error("{\"schema\":\"parity.expectations/1\",\"name\":\"a b\",\"entries\":[]}",
		     "name");
	expect_error("{\"schema\":\"parity.expectations/1\",\"name\":\"t\",\"entries\":{}}",
		     "entries");
	expect_error("{\"schema\":\"parity.expectations/1\",\"name\":\"t\",\"entries\":[],\"x\":1}",
		     "x");
	expect_error(SET("3"), "entries[0]");
	expect_error(
	    SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"verdicts\":\"BLOCKED\"," OK_TAIL "}"),
	    "entries[0].verdicts");
	expect_error(SET("{\"attacks\":5,\"profile\":\"p\",\"verdict\":\"BLOCKED\"," OK_TAIL "}"),
		     "entries[0].attacks");
	expect_error(
	    SET("{\"attacks\":[\"T01\",\"\"],\"profile\":\"p\",\"verdict\":\"BLOCKED\"," OK_TAIL
		"}"),
	    "entries[0].attacks[1]");
	expect_error(
	    SET("{\"family\":\"smtp\",\"profile\":\"p\",\"verdict\":\"BLOCKED\"," OK_TAIL "}"),
	    "entries[0].family");
	expect_error(SET("{\"profile\":\"p\",\"verdict\":\"BLOCKED\"," OK_TAIL "}"),
		     "entries[0].attacks");
	expect_error(SET("{\"attacks\":\"T01\",\"verdict\":\"BLOCKED\"," OK_TAIL "}"),
		     "entries[0].profile");
	expect_error(
	    SET("{\"attacks\":\"T01\",\"profile\":[],\"verdict\":\"BLOCKED\"," OK_TAIL "}"),
	    "entries[0].profile");
	expect_error(SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"abi\":\"sometimes\",\"verdict\":"
			 "\"BLOCKED\"," OK_TAIL "}"),
		     "entries[0].abi");
	expect_error(SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"abi\":\"6-3\",\"verdict\":"
			 "\"BLOCKED\"," OK_TAIL "}"),
		     "entries[0].abi");
	expect_error(SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"when\":[],\"verdict\":"
			 "\"BLOCKED\"," OK_TAIL "}"),
		     "entries[0].when");
	expect_error(
	    SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"when\":{\"kernel\":1},\"verdict\":"
		"\"BLOCKED\"," OK_TAIL "}"),
	    "entries[0].when.kernel");
	expect_error(SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"when\":{\"landlock_abi\":true},"
			 "\"verdict\":\"BLOCKED\"," OK_TAIL "}"),
		     "entries[0].when.landlock_abi");
	expect_error(SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"when\":{\"errata_fixed\":[0]},"
			 "\"verdict\":\"BLOCKED\"," OK_TAIL "}"),
		     "entries[0].when.errata_fixed[0]");
	expect_error(SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"when\":{\"errata_fixed\":[1],"
			 "\"errata_unfixed\":[1]},\"verdict\":\"BLOCKED\"," OK_TAIL "}"),
		     "entries[0].when.errata_unfixed");
	expect_error(
	    SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"when\":{\"kernel_release\":\"7.2\"},"
		"\"verdict\":\"BLOCKED\"," OK_TAIL "}"),
	    "entries[0].when.kernel_release");
	expect_error(
	    SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"when\":{\"features\":{\"protocols."
		"nope\":\"yes\"}},\"verdict\":\"BLOCKED\"," OK_TAIL "}"),
	    "entries[0].when.features.protocols.nope");
	expect_error(
	    SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"when\":{\"features\":{\"protocols."
		"mptcp\":\"maybe\"}},\"verdict\":\"BLOCKED\"," OK_TAIL "}"),
	    "entries[0].when.features.protocols.mptcp");
	expect_error(
	    SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"verdict\":\"BLOCKED\",\"parity\":"
		"\"GAP\"," OK_TAIL "}"),
	    "entries[0].parity");
	expect_error(SET("{\"attacks\":\"T01\",\"profile\":\"p\"," OK_TAIL "}"),
		     "entries[0].verdict");
	expect_error(
	    SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"verdict\":\"SAFE\"," OK_TAIL "}"),
	    "entries[0].verdict");
	expect_error(
	    SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"parity\":\"EQUAL\"," OK_TAIL "}"),
	    "entries[0].parity");
	expect_error(
	    SET("{\"attacks\":\"T01\",\"profile\":\"namespace\",\"parity\":\"GAP\"," OK_TAIL "}"),
	    "entries[0].profile");
	expect_error(SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"verdict\":\"BLOCKED\","
			 "\"reference\":\"x\"}"),
		     "entries[0].rationale");
	expect_error(SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"verdict\":\"BLOCKED\","
			 "\"rationale\":\"\",\"reference\":\"x\"}"),
		     "entries[0].rationale");
	expect_error(SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"verdict\":\"BLOCKED\","
			 "\"rationale\":\"r\"}"),
		     "entries[0].reference");
	expect_error(SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"verdict\":\"BLOCKED\","
			 "\"rationale\":\"r\",\"reference\":[\"a\",2]}"),
		     "entries[0].reference[1]");
	expect_error(
	    SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"verdict\":\"BLOCKED\",\"stated\":"
		"{\"namespace\":1}," OK_TAIL "}"),
	    "entries[0].stated.namespace");
	/* A statement keyed by no profile would vanish from parity.md. */
	expect_error(
	    SET("{\"attacks\":\"T01\",\"profile\":\"p\",\"verdict\":\"BLOCKED\",\"stated\":"
		"{\"namspace\":\"typo\"}," OK_TAIL "}"),
	    "entries[0].stated.namspace");
	expect_error(SET("{\"id\":\"a\",\"attacks\":\"T01\",\"profile\":\"p\",\"verdict\":"
			 "\"BLOCKED\"," OK_TAIL "},{\"id\":\"a\",\"attacks\":\"T02\",\"profile\":"
			 "\"p\",\"verdict\":\"BLOCKED\"," OK_TAIL "}"),
		     "entries[1].id");
}

static void test_load_syntax_error(void)
{
	char path[] = "/tmp/parity-expect-XXXXXX";
	int fd = mkstemp(path);
	struct expect_set s;
	struct perr e;

	CU_ASSERT(fd >= 0);
	CU_ASSERT(write(fd, "{\n  \"schema\": \n}", 16) == 16);
	close(fd);
	perr_clear(&e);
	CU_ASSERT_EQUAL(expect_set_load(path, true, &s, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, ":3:"));
	unlink(path);
}

/* A description or title longer than its field is cut on a character
 * boundary: cut inside one, jansson refused the string and the whole set
 * vanished from results.json (its regressions with it: exit 0). */
static void test_long_multibyte_text_keeps_the_set(void)
{
	static char text[8192];
	char desc[1300] = "", title[300] = "";
	struct expect_set s;
	struct perr e;
	json_t *j;

	for (int i = 0; i < 600; i++)
		strcat(desc, "\xc3\xa9");
	for (int i = 0; i < 100; i++)
		strcat(title, "\xc3\xa9");
	snprintf(text, sizeof(text),
		 "{\"schema\":\"parity.expectations/1\",\"name\":\"t\",\"description\":\"%s\","
		 "\"entries\":[{\"id\":\"a\",\"title\":\"%s\",\"attacks\":\"T01\","
		 "\"profile\":\"platform\",\"verdict\":\"BLOCKED\"," OK_TAIL "}]}",
		 desc, title);
	perr_clear(&e);
	CU_ASSERT_EQUAL_FATAL(parse_text(text, &s, &e), 0);
	j = expect_set_json(&s);
	CU_ASSERT_PTR_NOT_NULL(j);
	json_decref(j);
	expect_set_free(&s);
}

static void test_ranges(void)
{
	struct expect_range r;
	CU_ASSERT(expect_range_parse("any", &r) == 0 && r.any && expect_range_has(&r, 0));
	CU_ASSERT(expect_range_parse("4", &r) == 0 && expect_range_has(&r, 4) &&
		  !expect_range_has(&r, 5));
	CU_ASSERT(expect_range_parse(">=4", &r) == 0 && expect_range_has(&r, 10) &&
		  !expect_range_has(&r, 3));
	CU_ASSERT(expect_range_parse(">4", &r) == 0 && !expect_range_has(&r, 4) &&
		  expect_range_has(&r, 5));
	CU_ASSERT(expect_range_parse("<4", &r) == 0 && expect_range_has(&r, 0) &&
		  expect_range_has(&r, 3) && !expect_range_has(&r, 4));
	CU_ASSERT(expect_range_parse("<=4", &r) == 0 && expect_range_has(&r, 4));
	CU_ASSERT(expect_range_parse("3-6", &r) == 0 && expect_range_has(&r, 3) &&
		  expect_range_has(&r, 6) && !expect_range_has(&r, 7) && !expect_range_has(&r, 2));
	CU_ASSERT(expect_range_parse("6-3", &r) < 0);
	CU_ASSERT(expect_range_parse("<0", &r) < 0);
	CU_ASSERT(expect_range_parse("x", &r) < 0);
	CU_ASSERT(expect_range_parse("", &r) < 0);
	CU_ASSERT(expect_range_parse("-3", &r) < 0);
}

static int vcmp(const char *a, const char *b)
{
	struct kernel_version x, y;
	CU_ASSERT_EQUAL(kernel_version_parse(a, &x), 0);
	CU_ASSERT_EQUAL(kernel_version_parse(b, &y), 0);
	return kernel_version_cmp(&x, &y);
}

static void test_kernel_versions(void)
{
	struct kernel_version v;
	CU_ASSERT(vcmp("6.18.44-fc-v595", "7.2-rc4") < 0);
	CU_ASSERT(vcmp("7.2.0-rc3-amd64", "7.2-rc4") < 0);
	CU_ASSERT(vcmp("7.2-rc4", "7.2.0-rc4") == 0);
	CU_ASSERT(vcmp("7.2-rc4", "7.2") < 0);
	CU_ASSERT(vcmp("7.2.1", "7.2") > 0);
	CU_ASSERT(vcmp("6.12.0-1-cloud-amd64", "6.12") == 0);
	CU_ASSERT(vcmp("6.1.0-28-cloud-amd64", "6.12") < 0);
	CU_ASSERT(kernel_version_parse("linux", &v) < 0);
	CU_ASSERT(kernel_version_parse("7", &v) < 0);
}

static json_t *probe_json(int abi, bool errata_supported, unsigned mask, const char *release,
			  const char *mptcp)
{
	return json_pack("{s:{s:s},s:{s:i,s:{s:b,s:i}},s:{s:{s:s}}}", "system", "kernel_release",
			 release, "landlock", "abi", abi, "errata", "supported", errata_supported,
			 "mask", mask, "protocols", "mptcp", "state", mptcp);
}

static bool selects(const char *entry, json_t *probe, const char *attack, const char *family,
		    const char *profile, int abi)
{
	char text[2048];
	struct expect_set s;
	struct perr e;
	struct expect_facts f;
	struct expect_subject sub = {attack, family, profile, abi};
	bool r;

	snprintf(text, sizeof(text), SET("%s"), entry);
	perr_clear(&e);
	if (parse_text(text, &s, &e) != 0) {
		fprintf(stderr, "\n  %s\n", e.msg);
		CU_FAIL("entry does not parse");
		return false;
	}
	expect_facts_from_probe(probe, &f);
	r = expect_entry_selects(&s.entries[0], &sub, &f);
	expect_set_free(&s);
	return r;
}

#define E(x) "{" x ",\"verdict\":\"ESCAPED\"," OK_TAIL "}"

static void test_matching(void)
{
	json_t *p = probe_json(7, true, 1, "6.18.44-fc", "yes");
	json_t *old = probe_json(6, false, 0, "6.12.0-1-cloud-amd64", "no");

	/* globs, families, profiles, ABIs */
	CU_ASSERT(selects(E("\"attacks\":\"T07*\",\"profile\":\"platform\""), p, "T07.v6", "tcp",
			  "platform", 7));
	CU_ASSERT(!selects(E("\"attacks\":\"T07*\",\"profile\":\"platform\""), p, "T70", "tcp",
			   "platform", 7));
	CU_ASSERT(selects(E("\"family\":\"tcp\",\"profile\":\"platform*\""), p, "T01", "tcp",
			  "platform-strict", 3));
	CU_ASSERT(!selects(E("\"family\":\"tcp\",\"profile\":\"platform*\""), p, "U01", "udp",
			   "platform", 3));
	CU_ASSERT(!selects(E("\"attacks\":\"U*\",\"family\":\"tcp\",\"profile\":\"*\""), p, "U01",
			   "udp", "x", 3));
	CU_ASSERT(selects(E("\"attacks\":[\"A05\",\"A06\"],\"profile\":[\"a\",\"b\"]"), p, "A06",
			  "abstract", "b", 1));
	CU_ASSERT(selects(E("\"family\":\"tcp\",\"profile\":\"platform\",\"abi\":\"<4\""), p, "T01",
			  "tcp", "platform", 3));
	CU_ASSERT(!selects(E("\"family\":\"tcp\",\"profile\":\"platform\",\"abi\":\"<4\""), p,
			   "T01", "tcp", "platform", 4));
	/* the control has no ABI: only "any" selects it */
	CU_ASSERT(
	    selects(E("\"attacks\":\"*\",\"profile\":\"none\""), p, "T01", "tcp", "none", -1));
	CU_ASSERT(!selects(E("\"attacks\":\"*\",\"profile\":\"none\",\"abi\":\">=0\""), p, "T01",
			   "tcp", "none", -1));
	/* kernel facts */
	CU_ASSERT(
	    selects(E("\"attacks\":\"T07\",\"profile\":\"p\",\"when\":{\"errata_fixed\":[1]}"), p,
		    "T07", "tcp", "p", 7));
	CU_ASSERT(
	    !selects(E("\"attacks\":\"T07\",\"profile\":\"p\",\"when\":{\"errata_fixed\":[1]}"),
		     old, "T07", "tcp", "p", 6));
	CU_ASSERT(
	    !selects(E("\"attacks\":\"T07\",\"profile\":\"p\",\"when\":{\"errata_fixed\":[1,2]}"),
		     p, "T07", "tcp", "p", 7));
	CU_ASSERT(
	    selects(E("\"attacks\":\"T07\",\"profile\":\"p\",\"when\":{\"errata_unfixed\":[2]}"), p,
		    "T07", "tcp", "p", 7));
	CU_ASSERT(
	    !selects(E("\"attacks\":\"T07\",\"profile\":\"p\",\"when\":{\"errata_unfixed\":[1]}"),
		     p, "T07", "tcp", "p", 7));
	CU_ASSERT(
	    selects(E("\"attacks\":\"T07\",\"profile\":\"p\",\"when\":{\"errata_unfixed\":[1]}"),
		    old, "T07", "tcp", "p", 6));
	CU_ASSERT(selects(
	    E("\"attacks\":\"T06\",\"profile\":\"p\",\"when\":{\"kernel_release\":\"<7.2-rc4\"}"),
	    p, "T06", "tcp", "p", 7));
	CU_ASSERT(!selects(
	    E("\"attacks\":\"T06\",\"profile\":\"p\",\"when\":{\"kernel_release\":\">=7.2-rc4\"}"),
	    p, "T06", "tcp", "p", 7));
	CU_ASSERT(selects(
	    E("\"attacks\":\"T06\",\"profile\":\"p\",\"when\":{\"kernel_release\":\"==6.12\"}"),
	    old, "T06", "tcp", "p", 6));
	CU_ASSERT(selects(E("\"attacks\":\"T07\",\"profile\":\"p\",\"when\":{\"features\":{"
			    "\"protocols.mptcp\":\"yes\"}}"),
			  p, "T07", "tcp", "p", 7));
	CU_ASSERT(!selects(E("\"attacks\":\"T07\",\"profile\":\"p\",\"when\":{\"features\":{"
			     "\"protocols.mptcp\":\"yes\"}}"),
			   old, "T07", "tcp", "p", 6));
	CU_ASSERT(
	    selects(E("\"attacks\":\"T07\",\"profile\":\"p\",\"when\":{\"landlock_abi\":\">=7\"}"),
		    p, "T07", "tcp", "p", 3));
	CU_ASSERT(
	    !selects(E("\"attacks\":\"T07\",\"profile\":\"p\",\"when\":{\"landlock_abi\":\">=7\"}"),
		     old, "T07", "tcp", "p", 3));
	json_decref(p);
	json_decref(old);
}

static void test_compare(void)
{
	CU_ASSERT_EQUAL(expect_compare_verdict(EV_CONTAINED, V_BLOCKED), EO_MATCH);
	CU_ASSERT_EQUAL(expect_compare_verdict(EV_CONTAINED, V_KILLED), EO_MATCH);
	CU_ASSERT_EQUAL(expect_compare_verdict(EV_CONTAINED, V_ESCAPED), EO_REGRESSION);
	CU_ASSERT_EQUAL(expect_compare_verdict(EV_BLOCKED, V_ESCAPED), EO_REGRESSION);
	CU_ASSERT_EQUAL(expect_compare_verdict(EV_BLOCKED, V_KILLED), EO_CHANGED);
	CU_ASSERT_EQUAL(expect_compare_verdict(EV_KILLED, V_BLOCKED), EO_CHANGED);
	CU_ASSERT_EQUAL(expect_compare_verdict(EV_ESCAPED, V_ESCAPED), EO_MATCH);
	CU_ASSERT_EQUAL(expect_compare_verdict(EV_ESCAPED, V_BLOCKED), EO_IMPROVEMENT);
	CU_ASSERT_EQUAL(expect_compare_verdict(EV_ESCAPED, V_KILLED), EO_IMPROVEMENT);
	CU_ASSERT_EQUAL(expect_compare_verdict(EV_ESCAPED, V_NA), EO_UNJUDGED);
	CU_ASSERT_EQUAL(expect_compare_verdict(EV_CONTAINED, V_INCONCLUSIVE), EO_UNJUDGED);
	CU_ASSERT_EQUAL(expect_compare_verdict(EV_NA, V_NA), EO_MATCH);
	CU_ASSERT_EQUAL(expect_compare_verdict(EV_NA, V_ESCAPED), EO_CHANGED);

	CU_ASSERT_EQUAL(expect_compare_parity(PS_PARITY, PS_PARITY), EO_MATCH);
	CU_ASSERT_EQUAL(expect_compare_parity(PS_PARITY, PS_GAP), EO_REGRESSION);
	CU_ASSERT_EQUAL(expect_compare_parity(PS_PARITY, PS_REVERSE), EO_REGRESSION);
	CU_ASSERT_EQUAL(expect_compare_parity(PS_PARITY, PS_BOTH_ESCAPE), EO_REGRESSION);
	CU_ASSERT_EQUAL(expect_compare_parity(PS_GAP, PS_PARITY), EO_IMPROVEMENT);
	CU_ASSERT_EQUAL(expect_compare_parity(PS_GAP, PS_BOTH_ESCAPE), EO_REGRESSION);
	CU_ASSERT_EQUAL(expect_compare_parity(PS_BOTH_ESCAPE, PS_GAP), EO_IMPROVEMENT);
	CU_ASSERT_EQUAL(expect_compare_parity(PS_REVERSE, PS_GAP),
			EO_REGRESSION); /* one side worse */
	CU_ASSERT_EQUAL(expect_compare_parity(PS_GAP, PS_NA), EO_UNJUDGED);
	CU_ASSERT_EQUAL(expect_compare_parity(PS_NA, PS_NA), EO_MATCH);
	CU_ASSERT_EQUAL(expect_compare_parity(PS_NA, PS_PARITY), EO_CHANGED);
}

/* ---- evaluation of a whole (tiny) results document ---- */

static json_t *cell(const char *attack, const char *family, const char *profile, int abi,
		    const char *verdict)
{
	char id[128];
	json_t *a;
	if (abi < 0) {
		snprintf(id, sizeof(id), "%s/%s", attack, profile);
		a = json_pack("{s:n,s:n,s:b,s:b}", "requested", "effective", "kernel", 0,
			      "emulated", 0);
	} else {
		snprintf(id, sizeof(id), "%s/%s/abi%d", attack, profile, abi);
		a = json_pack("{s:i,s:i,s:b,s:b}", "requested", abi, "effective", abi, "kernel",
			      abi == 7, "emulated", abi != 7);
	}
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:s}", "id", id, "role",
			 abi < 0 ? "control" : "cell", "attack", attack, "family", family,
			 "profile", profile, "abi", a, "verdict", verdict, "reason", "r",
			 "reproduce", "cmd");
}

static json_t *set_json(const char *text, bool gating)
{
	struct expect_set s;
	struct perr e;
	json_t *j;
	perr_clear(&e);
	CU_ASSERT_EQUAL(parse_text(text, &s, &e), 0);
	s.gating = gating;
	snprintf(s.name, sizeof(s.name), "%s", gating ? "gate" : EXPECT_CLAIMS_SET);
	j = expect_set_json(&s);
	expect_set_free(&s);
	return j;
}

static json_t *find(json_t *arr, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "id")), id) == 0)
			return v;
	}
	return NULL;
}

static const char *outcome(json_t *arr, const char *id)
{
	json_t *v = find(arr, id);
	return v ? json_string_value(json_object_get(json_object_get(v, "expectation"), "outcome"))
		 : "(missing)";
}

static void test_evaluate(void)
{
	json_t *cells = json_array(), *r, *x, *claims, *pa;
	struct perr e;

	json_array_append_new(cells, cell("T01", "tcp", "none", -1, "ESCAPED"));
	json_array_append_new(cells, cell("T01", "tcp", "namespace", 7, "BLOCKED"));
	json_array_append_new(cells, cell("T01", "tcp", "namespace", 3, "BLOCKED"));
	json_array_append_new(cells, cell("T01", "tcp", "platform", 7, "ESCAPED")); /* regression */
	json_array_append_new(cells, cell("T01", "tcp", "platform", 3, "ESCAPED")); /* known gap */
	json_array_append_new(cells, cell("T04", "tcp", "none", -1, "INCONCLUSIVE"));
	json_array_append_new(cells, cell("T04", "tcp", "namespace", 7, "BLOCKED"));
	json_array_append_new(cells, cell("T04", "tcp", "platform", 7, "KILLED")); /* better */
	r = json_pack(
	    "{s:{s:[{s:i,s:b},{s:i,s:b}]},s:o,s:o,s:o,s:{s:[o,o]}}", "run", "abis", "requested", 7,
	    "kernel", 1, "requested", 3, "kernel", 0, "probe",
	    probe_json(7, true, 1, "6.18", "yes"), "cells", cells, "parity", json_array(),
	    "expectations", "sets",
	    set_json(SET("{\"id\":\"all\",\"attacks\":\"*\",\"profile\":\"*\",\"verdict\":"
			 "\"CONTAINED\"," OK_TAIL "},"
			 "{\"id\":\"ctl\",\"attacks\":\"*\",\"profile\":\"none\",\"verdict\":"
			 "\"ESCAPED\"," OK_TAIL "},"
			 "{\"id\":\"below4\",\"family\":\"tcp\",\"profile\":\"platform\","
			 "\"abi\":\"<4\",\"verdict\":\"ESCAPED\"," OK_TAIL "},"
			 "{\"id\":\"shadowed\",\"attacks\":\"T04\",\"profile\":\"platform\","
			 "\"verdict\":\"BLOCKED\"," OK_TAIL "},"
			 "{\"id\":\"t04\",\"attacks\":\"T04\",\"profile\":\"platform\","
			 "\"verdict\":\"ESCAPED\"," OK_TAIL "},"
			 "{\"id\":\"t04-parity\",\"attacks\":\"T04\",\"profile\":\"platform\","
			 "\"parity\":\"GAP\"," OK_TAIL "},"
			 "{\"id\":\"future\",\"attacks\":\"Z99\",\"profile\":\"platform\","
			 "\"verdict\":\"ESCAPED\"," OK_TAIL "},"
			 "{\"id\":\"later-kernel\",\"attacks\":\"T01\",\"profile\":\"platform\","
			 "\"when\":{\"kernel_release\":\">=9.0\"},\"verdict\":\"ESCAPED\"," OK_TAIL
			 "}"),
		     true),
	    set_json(SET("{\"id\":\"claim\",\"family\":\"tcp\",\"profile\":\"platform\","
			 "\"verdict\":\"CONTAINED\"," OK_TAIL "}"),
		     false));
	json_object_set_new(r, "parity", parity_rows(json_object_get(r, "cells")));
	perr_clear(&e);
	CU_ASSERT_EQUAL(expect_evaluate(r, &e), 0);
	cells = json_object_get(r, "cells");
	CU_ASSERT_STRING_EQUAL(outcome(cells, "T01/none"), "match");
	CU_ASSERT_STRING_EQUAL(outcome(cells, "T01/namespace/abi7"), "match");
	CU_ASSERT_STRING_EQUAL(outcome(cells, "T01/platform/abi7"), "regression");
	CU_ASSERT_STRING_EQUAL(outcome(cells, "T01/platform/abi3"), "match");
	CU_ASSERT_STRING_EQUAL(outcome(cells, "T04/none"), "unjudged");
	CU_ASSERT_STRING_EQUAL(outcome(cells, "T04/platform/abi7"), "improvement");
	/* the last entry that selects a cell decides */
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(
		json_object_get(find(cells, "T04/platform/abi7"), "expectation"), "entry")),
	    "t04");
	x = json_object_get(r, "expectations");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(x, "regressions")), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
				   json_array_get(json_object_get(x, "regressions"), 0), "id")),
			       "T01/platform/abi7");
	/* parity: T04 at 7 is PARITY (KILLED vs BLOCKED) where GAP was expected */
	CU_ASSERT_STRING_EQUAL(
	    outcome(json_object_get(r, "parity"), "T04/platform/abi7 vs namespace"), "improvement");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(x, "improvements")), 2);
	/* unused entries and why */
	{
		json_t *u = json_object_get(x, "unused"), *it;
		size_t i;
		int future = 0, later = 0, all = 0;
		json_array_foreach (u, i, it) {
			const char *en = json_string_value(json_object_get(it, "entry"));
			const char *why = json_string_value(json_object_get(it, "why"));
			if (!strcmp(en, "future"))
				future = strstr(why, "no attack") != NULL;
			if (!strcmp(en, "later-kernel"))
				later = strstr(why, "kernel conditions") != NULL;
			if (!strcmp(en, "shadowed"))
				all = strstr(why, "override") != NULL;
		}
		if (!(future && later && all))
			fprintf(stderr, "\n  unused: %s\n", json_dumps(u, 0));
		CU_ASSERT(future && later && all);
	}
	/* the claim, per ABI: fails at 7 (T01 escaped), fails at 3 (T01 escaped) */
	claims = json_object_get(x, "claims");
	CU_ASSERT_EQUAL(json_array_size(claims), 1);
	pa = json_object_get(json_array_get(claims, 0), "per_abi");
	CU_ASSERT_EQUAL(json_array_size(pa), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(pa, 0), "status")),
			       "fails");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(pa, 0), "judged")), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(pa, 0), "held")), 1);
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(json_array_get(pa, 0), "failing"), 0), "parity")),
	    "GAP");
	json_decref(r);
}

void unit_register(void)
{
	UNIT_SUITE("expect");
	UNIT_TEST(test_shipped_sets_parse);
	UNIT_TEST(test_valid_entry);
	UNIT_TEST(test_malformed_fields);
	UNIT_TEST(test_load_syntax_error);
	UNIT_TEST(test_ranges);
	UNIT_TEST(test_kernel_versions);
	UNIT_TEST(test_matching);
	UNIT_TEST(test_compare);
	UNIT_TEST(test_evaluate);
	UNIT_TEST(test_long_multibyte_text_keeps_the_set);
}
