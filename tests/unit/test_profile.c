/* Profiles: the shipped ones load; each malformed field has its own error
 * naming the file and the field. */
#include <stdio.h>
#include <string.h>

#include "profile.h"
#include "unit.h"

static void load_shipped(const char *name)
{
	struct profile p;
	struct perr e;
	char path[4096];

	perr_clear(&e);
	snprintf(path, sizeof(path), "%s/enforcer/profiles/%s.json", PARITY_SOURCE_ROOT, name);
	if (profile_load(path, &p, &e) != 0) {
		fprintf(stderr, "%s: %s\n", name, e.msg);
		CU_FAIL_FATAL("shipped profile does not load");
	}
	CU_ASSERT_STRING_EQUAL(p.name, name);
	profile_free(&p);
}

static void test_shipped_profiles_load(void)
{
	load_shipped("none");
	load_shipped("platform");
	load_shipped("namespace");
}

static void test_platform_is_the_pr(void)
{
	struct profile p;
	struct perr e;
	char path[4096];

	snprintf(path, sizeof(path), "%s/enforcer/profiles/platform.json", PARITY_SOURCE_ROOT);
	CU_ASSERT_EQUAL_FATAL(profile_load(path, &p, &e), 0);
	CU_ASSERT(p.id.supervisor_drop);
	CU_ASSERT(p.id.supervisor_uid != 0);
	CU_ASSERT_EQUAL(p.id.agent_uid, p.id.supervisor_uid); /* one uid, as in the PR */
	CU_ASSERT_EQUAL(p.net.mode, NET_HOST);
	CU_ASSERT_STRING_EQUAL(p.net.proxy_host, "127.0.0.1");
	CU_ASSERT_EQUAL(p.net.proxy_port, 3128);
	CU_ASSERT(p.ll.connect_tcp_handled);
	CU_ASSERT_EQUAL(p.ll.nconnect, 1);
	CU_ASSERT_EQUAL(p.ll.connect_tcp[0], 3128);
	CU_ASSERT_FALSE(p.ll.bind_tcp_handled); /* bind not handled */
	CU_ASSERT(p.ll.scope_abstract_unix && p.ll.scope_signal);
	CU_ASSERT_EQUAL(p.sc.nrules, 2);
	CU_ASSERT_STRING_EQUAL(p.sc.rules[0].syscall, "socket");
	CU_ASSERT_EQUAL(p.sc.rules[0].args[1].op, SC_OP_MASKED_EQ);
	CU_ASSERT_EQUAL(p.sc.rules[0].args[1].mask, 0xf);
	CU_ASSERT_EQUAL(p.sc.rules[0].args[1].value, 2);
	CU_ASSERT_EQUAL(p.sc.x32, SC_ALLOW);
	CU_ASSERT_EQUAL(p.sc.non_native, SC_KILL);
	profile_free(&p);
}

#define BASE "{\"name\":\"t\",\"network\":{\"mode\":\"host\",\"proxy\":\"127.0.0.1:3128\"}"

static const struct {
	const char *text;
	const char *field; /* must appear in the message */
} bad[] = {
    {"{", "t.json:"},
    {"[]", "top level"},
    {"{\"network\":{\"mode\":\"host\",\"proxy\":\"127.0.0.1:3128\"}}", "'name'"},
    {BASE ",\"bogus\":1}", "'bogus'"},
    {"{\"name\":\"t\"}", "'network'"},
    {"{\"name\":\"t\",\"network\":{\"mode\":\"mesh\",\"proxy\":\"127.0.0.1:3128\"}}",
     "'network.mode'"},
    {"{\"name\":\"t\",\"network\":{\"mode\":\"host\",\"proxy\":\"localhost:3128\"}}",
     "'network.proxy'"},
    {"{\"name\":\"t\",\"network\":{\"mode\":\"host\",\"proxy\":\"127.0.0.1:0\"}}",
     "'network.proxy'"},
    {"{\"name\":\"t\",\"network\":{\"mode\":\"namespace\",\"proxy\":\"10.0.0.1:3128\"}}",
     "'network.namespace'"},
    {"{\"name\":\"t\",\"network\":{\"mode\":\"namespace\",\"proxy\":\"10.0.0.1:3128\","
     "\"namespace\":{\"host_addr\":\"10.0.0.1\",\"sandbox_addr\":\"10.0.0.2/24\"}}}",
     "'network.namespace.host_addr'"},
    {"{\"name\":\"t\",\"network\":{\"mode\":\"namespace\",\"proxy\":\"10.0.0.1:3128\","
     "\"namespace\":{\"host_addr\":\"10.0.0.1/24\",\"sandbox_addr\":\"10.0.0.2/24\","
     "\"nftables\":\"maybe\"}}}",
     "'network.namespace.nftables'"},
    {"{\"name\":\"t\",\"network\":{\"mode\":\"namespace\",\"proxy\":\"10.0.0.1:3128\","
     "\"namespace\":{\"host_addr\":\"10.0.0.1/24\",\"sandbox_addr\":\"10.0.0.2/24\","
     "\"nftables_engine\":\"nft\"}}}",
     "'network.namespace.nftables_engine'"},
    {BASE ",\"landlock\":{\"net\":{\"connect_tcp\":[70000]}}}", "'landlock.net.connect_tcp[0]'"},
    {BASE ",\"landlock\":{\"net\":{\"connect_tcp\":\"3128\"}}}", "'landlock.net.connect_tcp'"},
    {BASE ",\"landlock\":{\"net\":{\"connect\":[1]}}}", "'landlock.net.connect'"},
    {BASE ",\"landlock\":{\"scopes\":[\"ptrace\"]}}", "'landlock.scopes[0]'"},
    {BASE ",\"landlock\":{\"fs\":{\"read_only\":[\"relative\"]}}}", "'landlock.fs.read_only[0]'"},
    {BASE ",\"landlock\":{\"fs\":{\"read_write\":[\"/tmp\",\"${HOME}/w\"]}}}",
     "'landlock.fs.read_write[1]'"},
    {BASE ",\"landlock\":{\"fs\":{\"read_only\":[\"${exe_dirx}\"]}}}",
     "'landlock.fs.read_only[0]'"},
    {BASE ",\"landlock\":{\"fs\":{\"rights_abi\":9}}}", "'landlock.fs.rights_abi'"},
    {BASE ",\"landlock\":5}", "'landlock'"},
    {BASE ",\"seccomp\":{\"rules\":[{\"syscall\":\"socket\",\"action\":\"explode\"}]}}",
     "'seccomp.rules[0].action'"},
    {BASE ",\"seccomp\":{\"rules\":[{\"syscall\":\"socket\",\"errno\":\"ENOPE\"}]}}",
     "'seccomp.rules[0].errno'"},
    {BASE ",\"seccomp\":{\"rules\":[{\"syscall\":\"socket\",\"args\":[{\"arg\":7,\"op\":\"eq\","
	  "\"value\":1}]}]}}",
     "'seccomp.rules[0].args[0].arg'"},
    {BASE ",\"seccomp\":{\"rules\":[{\"syscall\":\"socket\",\"args\":[{\"arg\":0,\"op\":\"is\","
	  "\"value\":1}]}]}}",
     "'seccomp.rules[0].args[0].op'"},
    {BASE ",\"seccomp\":{\"rules\":[{\"syscall\":\"socket\",\"args\":[{\"arg\":0,\"op\":\"eq\","
	  "\"value\":\"AF_NOPE\"}]}]}}",
     "'seccomp.rules[0].args[0].value'"},
    {BASE ",\"seccomp\":{\"rules\":[{\"syscall\":\"socket\",\"args\":[{\"arg\":0,"
	  "\"op\":\"masked_eq\",\"value\":1}]}]}}",
     "'seccomp.rules[0].args[0].mask'"},
    {BASE ",\"seccomp\":{\"rules\":[{\"syscall\":\"setsockopt\",\"args\":[{\"arg\":1,"
	  "\"op\":\"le\",\"value\":1}]}]}}",
     "'seccomp.rules[0].args[0].width'"},
    {BASE ",\"seccomp\":{\"rules\":[{\"syscall\":\"socket\",\"args\":[{\"arg\":1,"
	  "\"op\":\"masked_eq\",\"mask\":1,\"value\":3}]}]}}",
     "'seccomp.rules[0].args[0].value'"},
    {BASE ",\"seccomp\":{\"rules\":[{\"syscall\":\"socket\",\"args\":[{\"arg\":0,"
	  "\"op\":\"eq\",\"value\":4294967298,\"width\":32}]}]}}",
     "'seccomp.rules[0].args[0].value'"},
    {BASE ",\"seccomp\":{\"rules\":[{\"syscall\":\"socket\",\"args\":[{\"arg\":0,"
	  "\"op\":\"ne\",\"value\":1,\"width\":32}]}]}}",
     "'seccomp.rules[0].args[0].width'"},
    /* An empty constant list was 0 (AF_UNSPEC) under a label naming
     * another; a long one was cut, possibly between two names. */
    {BASE ",\"seccomp\":{\"rules\":[{\"syscall\":\"socket\",\"args\":[{\"arg\":0,"
	  "\"op\":\"eq\",\"value\":\"\"}]}]}}",
     "'seccomp.rules[0].args[0].value': no constant"},
    {BASE ",\"seccomp\":{\"rules\":[{\"syscall\":\"socket\",\"args\":[{\"arg\":0,"
	  "\"op\":\"eq\",\"value\":\"|\"}]}]}}",
     "'seccomp.rules[0].args[0].value': no constant"},
    {BASE ",\"seccomp\":{\"rules\":[{\"syscall\":\"socket\",\"args\":[{\"arg\":1,"
	  "\"op\":\"eq\",\"value\":\"SOCK_DGRAM|SOCK_DGRAM|SOCK_DGRAM|SOCK_DGRAM|SOCK_DGRAM|"
	  "SOCK_DGRAM|SOCK_DGRAM|SOCK_DGRAM|SOCK_DGRAM|SOCK_DGRAM|SOCK_DGRAM|SOCK_DGRAM\"}]}]}}",
     "'seccomp.rules[0].args[0].value': longer than"},
    /* libseccomp refuses a second comparison of one argument when the
     * filter is built (exit 3): the profile's mistake, named here. */
    {BASE ",\"seccomp\":{\"rules\":[{\"syscall\":\"socket\",\"args\":[{\"arg\":0,"
	  "\"op\":\"eq\",\"value\":2},{\"arg\":0,\"op\":\"eq\",\"value\":10}]}]}}",
     "'seccomp.rules[0].args[1].arg': argument 0 compared twice"},
    /* Families from 46 up are denied by one rule whatever the list says. */
    {BASE ",\"seccomp\":{\"socket_allow\":[{\"family\":50}]}}",
     "'seccomp.socket_allow[0].family': not an address family the filter can allow"},
    {BASE ",\"seccomp\":{\"non_native_arch\":\"notify\"}}", "'seccomp.non_native_arch'"},
    {BASE ",\"seccomp\":{\"notify\":{}}}", "'seccomp.notify.syscalls'"},
    {"{\"name\":\"t\",\"identity\":{\"agent\":{\"drop\":true,\"uid\":0}},"
     "\"network\":{\"mode\":\"host\",\"proxy\":\"127.0.0.1:3128\"}}",
     "'identity.agent.uid'"},
    {"{\"name\":\"t\",\"identity\":{\"agent\":{\"drop\":true,\"uid\":5}},"
     "\"network\":{\"mode\":\"host\",\"proxy\":\"127.0.0.1:3128\"},\"seccomp\":{}}",
     "'identity.no_new_privs'"},
};

static void test_each_bad_field_has_its_error(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct profile p;
		struct perr e;
		int rc;
		perr_clear(&e);
		rc = profile_parse(bad[i].text, "t.json", &p, &e);
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
		if (rc != -1 || !strstr(e.msg, bad[i].field) || !strstr(e.msg, "t.json"))
			fprintf(stderr, "case %zu: want %s, got: %s\n", i, bad[i].field, e.msg);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, bad[i].field));
		CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "t.json"));
	}
}

/* A path the enforcer could not hold whole is refused at parse time (cut,
 * it would name a parent directory: a wider grant). */
static void test_long_path_is_refused(void)
{
	static char text[8192], path[5000];
	struct profile p;
	struct perr e;

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	snprintf(text, sizeof(text), BASE ",\"landlock\":{\"fs\":{\"read_only\":[\"%s\"]}}}", path);
	perr_clear(&e);
	CU_ASSERT_EQUAL(profile_parse(text, "t.json", &p, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "'landlock.fs.read_only[0]'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "longer than"));
}

static void test_unknown_profile_name(void)
{
	struct profile p;
	struct perr e;
	perr_clear(&e);
	CU_ASSERT_EQUAL(profile_load("no-such-profile", &p, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "no-such-profile"));
	CU_ASSERT_EQUAL(profile_load("../../etc/passwd!", &p, &e), -1);
}

static void test_constants_and_widths(void)
{
	struct profile p;
	struct perr e;
	const char *t =
	    BASE ",\"identity\":{\"no_new_privs\":true},\"seccomp\":{\"rules\":[{\"syscall\":"
		 "\"sendto\",\"args\":[{\"arg\":3,\"op\":\"masked_eq\",\"mask\":"
		 "\"MSG_FASTOPEN\",\"value\":\"0x20000000\",\"width\":64}]},"
		 "{\"syscall\":\"socket\",\"args\":[{\"arg\":1,\"op\":\"eq\",\"value\":"
		 "\"SOCK_DGRAM|SOCK_NONBLOCK\"}]}]}}";
	CU_ASSERT_EQUAL_FATAL(profile_parse(t, "t.json", &p, &e), 0);
	CU_ASSERT_EQUAL(p.sc.rules[0].args[0].mask, 0x20000000);
	CU_ASSERT_EQUAL(p.sc.rules[0].args[0].width, 64);
	CU_ASSERT_EQUAL(p.sc.rules[1].args[0].value, 2 | 04000);
	CU_ASSERT_EQUAL(p.sc.rules[1].args[0].width, 32);
	profile_free(&p);
}

void unit_register(void)
{
	UNIT_SUITE("profile");
	UNIT_TEST(test_shipped_profiles_load);
	UNIT_TEST(test_platform_is_the_pr);
	UNIT_TEST(test_each_bad_field_has_its_error);
	UNIT_TEST(test_long_path_is_refused);
	UNIT_TEST(test_unknown_profile_name);
	UNIT_TEST(test_constants_and_widths);
}
