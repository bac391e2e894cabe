/* test_policy.c - policy files, host patterns, address classes. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enforcer/netaddr.h"
#include "enforcer/policy.h"
#include "err.h"
#include "unit.h"
#include "util.h"

/* Parse `text`; expect failure whose message names f.json and `field` and
 * contains `also` (when not NULL). */
static void expect_error(const char *text, const char *field, const char *also)
{
	struct policy p;
	struct perr e;

	perr_clear(&e);
	CU_ASSERT_EQUAL(policy_parse(text, "f.json", &p, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "f.json"));
	if (field) {
		char want[128];
		snprintf(want, sizeof(want), "field '%s'", field);
		if (!strstr(e.msg, want))
			fprintf(stderr, "\n  expected %s in: %s\n", want, e.msg);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, want));
	}
	if (also && !strstr(e.msg, also))
		fprintf(stderr, "\n  expected '%s' in: %s\n", also, e.msg);
	if (also)
		CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, also));
	CU_ASSERT_EQUAL(p.n_rules, 0);
	CU_ASSERT_PTR_NULL(p.rules);
}

#define RULE(x) "{\"version\":1,\"allow\":[" x "]}"

static void test_valid_policy(void)
{
	struct policy p;
	struct perr e;
	const char *text = "{\"version\":1,\"resolver\":\"[2001:db8::53]:5353\",\"allow\":["
			   "{\"host\":\"Allowed.TEST\",\"ports\":[443,8443],"
			   "\"allowed_ips\":[\"203.0.113.0/24\",\"2001:db8:1::/48\"]},"
			   "{\"host\":\"*.one.test\",\"ports\":[443]},"
			   "{\"host\":\"**.deep.test\",\"ports\":[80]},"
			   "{\"host\":\"198.51.100.7\",\"ports\":[22]},"
			   "{\"allowed_ips\":[\"192.0.2.0/24\"],\"ports\":[8080]}]}";

	CU_ASSERT_EQUAL_FATAL(policy_parse(text, "f.json", &p, &e), 0);
	CU_ASSERT_EQUAL(p.resolver, RESOLVER_DNS);
	CU_ASSERT_EQUAL(p.resolver_port, 5353);
	CU_ASSERT_EQUAL(p.resolver_addr.family, AF_INET6);
	CU_ASSERT_EQUAL_FATAL(p.n_rules, 5);
	CU_ASSERT_EQUAL(p.rules[0].kind, HOST_EXACT);
	CU_ASSERT_STRING_EQUAL(p.rules[0].host, "allowed.test");
	CU_ASSERT_EQUAL(p.rules[0].n_ports, 2);
	CU_ASSERT_EQUAL(p.rules[0].ports[1], 8443);
	CU_ASSERT_EQUAL(p.rules[0].n_allowed_ips, 2);
	CU_ASSERT_EQUAL(p.rules[0].allowed_ips[0].prefix, 24);
	CU_ASSERT_EQUAL(p.rules[1].kind, HOST_ONE_LABEL);
	CU_ASSERT_STRING_EQUAL(p.rules[1].host, "one.test");
	CU_ASSERT_EQUAL(p.rules[2].kind, HOST_ANY_DEPTH);
	CU_ASSERT_EQUAL(p.rules[3].kind, HOST_IP);
	/* An IP-literal host gets itself as allowed_ips. */
	CU_ASSERT_EQUAL(p.rules[3].n_allowed_ips, 1);
	CU_ASSERT_EQUAL(p.rules[3].allowed_ips[0].prefix, 32);
	CU_ASSERT_EQUAL(p.rules[4].kind, HOST_NONE);
	policy_free(&p);
}

static void test_shipped_policies(void)
{
	struct policy p, d;
	struct perr e;
	struct netaddr a;

	CU_ASSERT_EQUAL_FATAL(
	    policy_load(PARITY_SOURCE_ROOT "/enforcer/policies/default.json", &p, &e), 0);
	policy_init_default(&d);
	/* The built-in default is the shipped file. */
	CU_ASSERT_EQUAL(p.n_rules, d.n_rules);
	CU_ASSERT_EQUAL(p.resolver, d.resolver);
	CU_ASSERT_EQUAL(p.resolver, RESOLVER_SYSTEM);
	policy_free(&p);

	CU_ASSERT_EQUAL_FATAL(policy_load(PARITY_SOURCE_ROOT "/enforcer/policies/lab.json", &p, &e),
			      0);
	CU_ASSERT_EQUAL(p.resolver, RESOLVER_DNS);
	netaddr_parse("198.51.100.53", &a);
	CU_ASSERT(netaddr_equal(&p.resolver_addr, &a));
	CU_ASSERT_EQUAL(p.resolver_port, 53);
	CU_ASSERT_PTR_NOT_NULL(policy_match(&p, "allowed.test", NULL, 443));
	CU_ASSERT_PTR_NULL(policy_match(&p, "allowed.test", NULL, 80));
	policy_free(&p);

	CU_ASSERT_EQUAL(policy_load("/nonexistent/p.json", &p, &e), -1);
	CU_ASSERT_EQUAL(e.kind, PARITY_EXIT_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "/nonexistent/p.json"));
}

static void test_top_level_errors(void)
{
	expect_error("{\"version\":1,", NULL, "f.json:1:");
	expect_error("[1]", NULL, "top level");
	expect_error("{\"allow\":[]}", "version", "missing");
	expect_error("{\"version\":2}", "version", "unsupported");
	expect_error("{\"version\":\"1\"}", "version", NULL);
	expect_error("{\"version\":1,\"alow\":[]}", "alow", "unknown field");
	expect_error("{\"version\":1,\"allow\":{}}", "allow", "array");
	expect_error("{\"version\":1,\"allow\":[5]}", "allow[0]", "object");
	expect_error("{\"version\":1,\"version\":1}", NULL, "duplicate");
}

static void test_resolver_errors(void)
{
	static const char *const bad[] = {
	    "8.8.8.8",	 "dns.google:53",     "[1.2.3.4]:53", "::1:53",
	    "1.2.3.4:0", "1.2.3.4:65536",     "1.2.3.4: 53",  "1.2.3.4:+53",
	    "",		 "[fe80::1%eth0]:53", "1.2.3.4:53x"};
	char text[200];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "{\"version\":1,\"resolver\":\"%s\"}", bad[i]);
		expect_error(text, "resolver", "system");
	}
	expect_error("{\"version\":1,\"resolver\":53}", "resolver", "string");
}

static void test_rule_errors(void)
{
	expect_error(RULE("{\"host\":\"a.test\",\"ports\":[443],\"port\":1}"), "allow[0].port",
		     "unknown field");
	expect_error(RULE("{\"host\":\"a.test\"}"), "allow[0].ports", "missing");
	expect_error(RULE("{\"host\":\"a.test\",\"ports\":[]}"), "allow[0].ports", "at least");
	expect_error(RULE("{\"host\":\"a.test\",\"ports\":[0]}"), "allow[0].ports[0]", "65535");
	expect_error(RULE("{\"host\":\"a.test\",\"ports\":[443,65536]}"), "allow[0].ports[1]",
		     NULL);
	expect_error(RULE("{\"host\":\"a.test\",\"ports\":[\"443\"]}"), "allow[0].ports[0]", NULL);
	expect_error(RULE("{\"host\":\"a.test\",\"ports\":[44.3]}"), "allow[0].ports[0]", NULL);
	expect_error(RULE("{\"host\":\"a.test\",\"ports\":[-1]}"), "allow[0].ports[0]", NULL);
	expect_error(RULE("{\"host\":\"a.test\",\"ports\":443}"), "allow[0].ports", "array");
	expect_error(RULE("{\"ports\":[443]}"), "allow[0].host", "allowed_ips");
	expect_error(RULE("{\"host\":5,\"ports\":[443]}"), "allow[0].host", "string");
}

static void test_host_errors(void)
{
	static const char *const bad[] = {
	    "",
	    "*",
	    "**",
	    "a.*.test",
	    "*a.test",
	    "exa mple.test",
	    "a..test",
	    ".a.test",
	    "a.test.",
	    "a/b",
	    "127.1",
	    "0x7f000001",
	    "10.0.0.1.5",
	    "a.test:443",
	    "[a.test]",
	    "a@b.test",
	    "*.*.test",
	    "***.test",
	    "xn--\xc3\xa9.test",
	};
	char text[200];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), RULE("{\"host\":\"%s\",\"ports\":[443]}"), bad[i]);
		expect_error(text, "allow[0].host", NULL);
	}
	/* 64-character label */
	expect_error(
	    RULE("{\"host\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		 "test\",\"ports\":[443]}"),
	    "allow[0].host", NULL);
	/* IP-literal hosts the proxy never dials. */
	expect_error(RULE("{\"host\":\"127.0.0.1\",\"ports\":[443]}"), "allow[0].host",
		     "127.0.0.0/8");
	expect_error(RULE("{\"host\":\"::1\",\"ports\":[443]}"), "allow[0].host", NULL);
	expect_error(RULE("{\"host\":\"[fe80::1]\",\"ports\":[443]}"), "allow[0].host", NULL);
	expect_error(RULE("{\"host\":\"169.254.169.254\",\"ports\":[80]}"), "allow[0].host", NULL);
}

static void test_cidr_errors(void)
{
	static const char *const bad[] = {"203.0.113.0/33", "203.0.113.1/24",  "abc",
					  "203.0.113.0/",   "203.0.113.0/024", "/24",
					  "203.0.113/24",   "2001:db8::/129",  "203.0.113.0/2x",
					  "fe80::1%eth0/64"};
	char text[256];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text),
			 RULE("{\"host\":\"a.test\",\"ports\":[443],\"allowed_ips\":[\"%s\"]}"),
			 bad[i]);
		expect_error(text, "allow[0].allowed_ips[0]", NULL);
	}
	expect_error(
	    RULE("{\"host\":\"a.test\",\"ports\":[443],\"allowed_ips\":[\"203.0.113.0/24\","
		 "\"10.0.0.0/8\"]}"),
	    "allow[0].allowed_ips[1]", "broader than /16");
	expect_error(RULE("{\"host\":\"a.test\",\"ports\":[443],\"allowed_ips\":[\"2000::/15\"]}"),
		     "allow[0].allowed_ips[0]", "broader than /16");
	/* IPv6 CIDRs count in IPv4 bits where they reach IPv4 addresses. */
	static const char *const v4_broad[] = {"::ffff:10.0.0.0/104", "::ffff:192.0.0.0/98",
					       "64:ff9b::/96",	      "64:ff9b::a00:0/104",
					       "64:ff9b:1::/48",      "64:ff9b:1::/60"};
	for (size_t i = 0; i < ARRAY_SIZE(v4_broad); i++) {
		snprintf(text, sizeof(text),
			 RULE("{\"host\":\"a.test\",\"ports\":[443],\"allowed_ips\":[\"%s\"]}"),
			 v4_broad[i]);
		expect_error(text, "allow[0].allowed_ips[0]", "in IPv4 addresses");
	}
	{
		/* A /16 in IPv4 terms is as much as a plain IPv4 CIDR may be. */
		static const char *const v4_ok[] = {"::ffff:10.9.0.0/112", "64:ff9b::a09:0/112",
						    "64:ff9b:1:a09::/64", "2001:db8::/32"};
		for (size_t i = 0; i < ARRAY_SIZE(v4_ok); i++) {
			struct policy p;
			struct perr e;
			snprintf(
			    text, sizeof(text),
			    RULE("{\"host\":\"a.test\",\"ports\":[443],\"allowed_ips\":[\"%s\"]}"),
			    v4_ok[i]);
			perr_clear(&e);
			CU_ASSERT_EQUAL(policy_parse(text, "p.json", &p, &e), 0);
			if (e.msg[0])
				fprintf(stderr, "\n  %s: %s\n", v4_ok[i], e.msg);
			policy_free(&p);
		}
	}
	static const char *const forbidden[] = {
	    "127.0.0.0/16", "127.0.0.1",  "169.254.169.254/32",
	    "::1/128",	    "fe80::/16",  "::ffff:127.0.0.1/128",
	    "::/16",	    "0.0.0.0/16", "::ffff:169.254.0.0/112"};
	for (size_t i = 0; i < ARRAY_SIZE(forbidden); i++) {
		snprintf(text, sizeof(text),
			 RULE("{\"host\":\"a.test\",\"ports\":[443],\"allowed_ips\":[\"%s\"]}"),
			 forbidden[i]);
		expect_error(text, "allow[0].allowed_ips[0]", "overlaps");
	}
	expect_error(RULE("{\"host\":\"a.test\",\"ports\":[443],\"allowed_ips\":[]}"),
		     "allow[0].allowed_ips", "at least");
	expect_error(RULE("{\"host\":\"a.test\",\"ports\":[443],\"allowed_ips\":[24]}"),
		     "allow[0].allowed_ips[0]", "string");
}

static void test_host_matching(void)
{
	struct policy p;
	struct perr e;
	struct netaddr ip, ip6, other;
	const char *text = RULE("{\"host\":\"exact.test\",\"ports\":[443]},"
				"{\"host\":\"*.one.test\",\"ports\":[443]},"
				"{\"host\":\"**.deep.test\",\"ports\":[443]},"
				"{\"host\":\"203.0.113.9\",\"ports\":[443]},"
				"{\"host\":\"[2001:db8::9]\",\"ports\":[443]},"
				"{\"allowed_ips\":[\"192.0.2.0/24\"],\"ports\":[8080]}");

	CU_ASSERT_EQUAL_FATAL(policy_parse(text, "f.json", &p, &e), 0);
	CU_ASSERT_PTR_EQUAL(policy_match(&p, "exact.test", NULL, 443), &p.rules[0]);
	CU_ASSERT_PTR_EQUAL(policy_match(&p, "EXACT.Test", NULL, 443), &p.rules[0]);
	CU_ASSERT_PTR_NULL(policy_match(&p, "exact.test", NULL, 80));
	CU_ASSERT_PTR_NULL(policy_match(&p, "x.exact.test", NULL, 443));
	CU_ASSERT_PTR_NULL(policy_match(&p, "exact.test.evil", NULL, 443));
	CU_ASSERT_PTR_NULL(policy_match(&p, "notexact.test", NULL, 443));

	CU_ASSERT_PTR_EQUAL(policy_match(&p, "a.one.test", NULL, 443), &p.rules[1]);
	CU_ASSERT_PTR_EQUAL(policy_match(&p, "A.ONE.TEST", NULL, 443), &p.rules[1]);
	CU_ASSERT_PTR_NULL(policy_match(&p, "a.b.one.test", NULL, 443));
	CU_ASSERT_PTR_NULL(policy_match(&p, "one.test", NULL, 443));
	CU_ASSERT_PTR_NULL(policy_match(&p, "aone.test", NULL, 443));
	CU_ASSERT_PTR_NULL(policy_match(&p, ".one.test", NULL, 443));

	CU_ASSERT_PTR_EQUAL(policy_match(&p, "a.deep.test", NULL, 443), &p.rules[2]);
	CU_ASSERT_PTR_EQUAL(policy_match(&p, "a.b.c.deep.test", NULL, 443), &p.rules[2]);
	CU_ASSERT_PTR_NULL(policy_match(&p, "deep.test", NULL, 443));
	CU_ASSERT_PTR_NULL(policy_match(&p, "xdeep.test", NULL, 443));

	netaddr_parse("203.0.113.9", &ip);
	netaddr_parse("::ffff:203.0.113.9", &ip6);
	CU_ASSERT_PTR_EQUAL(policy_match(&p, "203.0.113.9", &ip, 443), &p.rules[3]);
	CU_ASSERT_PTR_EQUAL(policy_match(&p, "::ffff:203.0.113.9", &ip6, 443), &p.rules[3]);
	/* IP rules match parsed literals only. */
	CU_ASSERT_PTR_NULL(policy_match(&p, "203.0.113.9", NULL, 443));
	netaddr_parse("2001:db8::9", &ip6);
	CU_ASSERT_PTR_EQUAL(policy_match(&p, "2001:db8::9", &ip6, 443), &p.rules[4]);

	/* Hostless: IP literals inside allowed_ips only, never names. */
	netaddr_parse("192.0.2.44", &other);
	CU_ASSERT_PTR_EQUAL(policy_match(&p, "192.0.2.44", &other, 8080), &p.rules[5]);
	CU_ASSERT_PTR_NULL(policy_match(&p, "anything.test", NULL, 8080));
	netaddr_parse("192.0.3.1", &other);
	CU_ASSERT_PTR_NULL(policy_match(&p, "192.0.3.1", &other, 8080));
	policy_free(&p);
}

struct class_case {
	const char *addr;
	const char *kind; /* NULL: public */
	bool always;	  /* refused even inside allowed_ips */
};

static void test_internal_classification(void)
{
	static const struct class_case cases[] = {
	    {"127.0.0.1", "loopback", true},
	    {"127.255.255.254", "loopback", true},
	    {"10.1.2.3", "rfc1918", false},
	    {"172.16.0.1", "rfc1918", false},
	    {"172.31.255.255", "rfc1918", false},
	    {"172.32.0.1", NULL, false},
	    {"192.168.1.1", "rfc1918", false},
	    {"169.254.169.254", "link-local", true},
	    {"0.0.0.0", "unspecified", true},
	    {"100.64.0.1", "cgnat", false},
	    {"100.127.255.255", "cgnat", false},
	    {"100.128.0.1", NULL, false},
	    {"192.0.0.8", "ietf-protocol", false},
	    {"198.18.0.1", "benchmarking", false},
	    {"198.19.255.255", "benchmarking", false},
	    {"192.0.2.1", "documentation", false},
	    {"198.51.100.53", "documentation", false},
	    {"203.0.113.80", "documentation", false},
	    {"255.255.255.255", "broadcast", false},
	    {"8.8.8.8", NULL, false},
	    {"1.1.1.1", NULL, false},
	    /* Not internal in the reference (test targets). */
	    {"0.1.2.3", NULL, false},
	    {"224.0.0.1", NULL, false},
	    {"240.0.0.1", NULL, false},
	    {"::1", "loopback", true},
	    {"::", "unspecified", true},
	    {"fe80::1", "link-local", true},
	    {"febf::1", "link-local", true},
	    {"fc00::1", "ula", false},
	    {"fd12:3456::1", "ula", false},
	    {"2001:db8::1", "documentation", false},
	    {"2606:4700::1111", NULL, false},
	    {"64:ff9b::808:808", NULL, false},
	    /* Ours: an internal IPv4 address behind a NAT64 prefix (the
	     * well-known /96 and the local-use /48 formats). */
	    {"64:ff9b::a00:5", "nat64 rfc1918", false},
	    {"64:ff9b::a9fe:a9fe", "nat64 link-local", true},
	    {"64:ff9b::7f00:1", "nat64 loopback", true},
	    {"64:ff9b::", "nat64 unspecified", true},
	    {"64:ff9b::6440:1", "nat64 cgnat", false},
	    {"64:ff9b:1:a00:0:100::", "nat64 rfc1918", false},
	    {"64:ff9b:1:7f00:0:100::", "nat64 loopback", true},
	    {"64:ff9b:1:808:0:808::", NULL, false},
	    {"64:ff9b:2::a00:5", NULL, false},
	    {"2001::1", NULL, false},
	    /* Ours: IPv4-compatible ::a.b.c.d (reachable through sit0 when it
	     * is up: ::127.0.0.1), named by what it carries; and 6to4, whose
	     * tunnel sends 2002:AABB:CCDD:: to AA.BB.CC.DD. */
	    {"::7f00:1", "ipv4-compatible loopback", true},
	    {"::127.0.0.1", "ipv4-compatible loopback", true},
	    {"::a9fe:a9fe", "ipv4-compatible link-local", true},
	    {"::a00:1", "ipv4-compatible rfc1918", false},
	    {"::808:808", "ipv4-compatible", false},
	    {"::2", "ipv4-compatible", false},
	    {"2002:7f00:1::", "6to4 loopback", true},
	    {"2002:a00:1::1", "6to4 rfc1918", false},
	    {"2002:a9fe:a9fe::1", "6to4 link-local", true},
	    {"2002::1", "6to4 unspecified", true},
	    {"2002:808:808::1", NULL, false},
	    /* IPv4-mapped forms are the IPv4 address. */
	    {"::ffff:127.0.0.1", "loopback", true},
	    {"::ffff:10.0.0.1", "rfc1918", false},
	    {"::ffff:169.254.169.254", "link-local", true},
	    {"::ffff:0.0.0.0", "unspecified", true},
	    {"::ffff:100.64.0.1", "cgnat", false},
	    {"::ffff:192.0.2.1", "documentation", false},
	    {"::ffff:255.255.255.255", "broadcast", false},
	    {"::ffff:8.8.8.8", NULL, false},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct netaddr a;
		const char *kind;
		CU_ASSERT_EQUAL_FATAL(netaddr_parse(cases[i].addr, &a), 0);
		kind = netaddr_internal_kind(&a);
		if ((kind == NULL) != (cases[i].kind == NULL) ||
		    (kind && strcmp(kind, cases[i].kind) != 0))
			fprintf(stderr, "\n  %s: got %s, want %s\n", cases[i].addr,
				kind ? kind : "public", cases[i].kind ? cases[i].kind : "public");
		if (cases[i].kind) {
			CU_ASSERT(kind && strcmp(kind, cases[i].kind) == 0);
		} else {
			CU_ASSERT_PTR_NULL(kind);
		}
		CU_ASSERT_EQUAL(netaddr_always_blocked(&a), cases[i].always);
	}
}

static void test_address_parsing(void)
{
	struct netaddr a;
	char buf[NETADDR_STRLEN];
	uint16_t port;

	CU_ASSERT_EQUAL(netaddr_parse("127.1", &a), -1);
	CU_ASSERT_EQUAL(netaddr_parse("0x7f.0.0.1", &a), -1);
	CU_ASSERT_EQUAL(netaddr_parse("010.0.0.1", &a), -1);
	CU_ASSERT_EQUAL(netaddr_parse("1.2.3.4 ", &a), -1);
	CU_ASSERT_EQUAL(netaddr_parse("fe80::1%lo", &a), -1);
	CU_ASSERT_EQUAL(netaddr_parse("::ffff:1.2.3.4", &a), 0);
	netaddr_unmap(&a);
	CU_ASSERT_EQUAL(a.family, AF_INET);
	CU_ASSERT_STRING_EQUAL(netaddr_str(&a, buf, sizeof(buf)), "1.2.3.4");
	CU_ASSERT_EQUAL(netaddr_parse_hostport("[::1]:53", &a, &port, false), 0);
	CU_ASSERT_EQUAL(port, 53);
	CU_ASSERT_EQUAL(netaddr_parse_hostport("1.2.3.4:0", &a, &port, false), -1);
	CU_ASSERT_EQUAL(netaddr_parse_hostport("1.2.3.4:0", &a, &port, true), 0);
	CU_ASSERT_EQUAL(netaddr_parse_hostport("1.2.3.4", &a, &port, true), -1);
}

static void test_address_checks(void)
{
	struct policy p;
	struct perr e;
	struct netaddr a[3];
	size_t bad;
	const char *text = RULE("{\"host\":\"pub.test\",\"ports\":[443,6443]},"
				"{\"host\":\"lab.test\",\"ports\":[443,6443,2379],"
				"\"allowed_ips\":[\"203.0.113.0/24\",\"10.9.0.0/16\"]}");

	CU_ASSERT_EQUAL_FATAL(policy_parse(text, "f.json", &p, &e), 0);
	/* No allowed_ips: any internal address refuses the whole set. */
	netaddr_parse("8.8.8.8", &a[0]);
	netaddr_parse("10.0.0.1", &a[1]);
	CU_ASSERT_PTR_NULL(policy_check_addresses(&p.rules[0], 443, a, 1, &bad));
	CU_ASSERT_STRING_EQUAL(policy_check_addresses(&p.rules[0], 443, a, 2, &bad),
			       "internal address");
	CU_ASSERT_EQUAL(bad, 1);
	/* The blocked ports apply to the allowed_ips path only. */
	CU_ASSERT_PTR_NULL(policy_check_addresses(&p.rules[0], 6443, a, 1, &bad));

	/* allowed_ips: every address inside; some ports never. */
	netaddr_parse("203.0.113.80", &a[0]);
	netaddr_parse("::ffff:10.9.1.1", &a[1]);
	netaddr_parse("198.51.100.1", &a[2]);
	CU_ASSERT_PTR_NULL(policy_check_addresses(&p.rules[1], 443, a, 2, &bad));
	CU_ASSERT_STRING_EQUAL(policy_check_addresses(&p.rules[1], 443, a, 3, &bad),
			       "address not in allowed_ips");
	CU_ASSERT_EQUAL(bad, 2);
	CU_ASSERT_PTR_NOT_NULL(policy_check_addresses(&p.rules[1], 6443, a, 1, &bad));
	CU_ASSERT_PTR_NOT_NULL(policy_check_addresses(&p.rules[1], 2379, a, 1, &bad));
	netaddr_parse("127.0.0.1", &a[2]);
	CU_ASSERT_STRING_EQUAL(policy_check_addresses(&p.rules[1], 443, a, 3, &bad),
			       "internal address");
	CU_ASSERT(policy_port_always_blocked(10250) && policy_port_always_blocked(10255) &&
		  policy_port_always_blocked(2380) && !policy_port_always_blocked(443));
	policy_free(&p);
}

static void test_cidr_logic(void)
{
	struct netcidr c, d;
	struct netaddr a;
	const char *why;

	CU_ASSERT_EQUAL(netcidr_parse("10.9.0.0/16", &c, &why), 0);
	netaddr_parse("10.9.255.1", &a);
	CU_ASSERT(netcidr_contains(&c, &a));
	netaddr_parse("::ffff:10.9.0.1", &a);
	CU_ASSERT(netcidr_contains(&c, &a));
	netaddr_parse("10.10.0.1", &a);
	CU_ASSERT(!netcidr_contains(&c, &a));
	CU_ASSERT_EQUAL(netcidr_parse("::ffff:10.9.0.0/112", &d, &why), 0);
	CU_ASSERT(netcidr_overlaps(&c, &d));
	CU_ASSERT_EQUAL(netcidr_parse("2001:db8::/32", &d, &why), 0);
	CU_ASSERT(!netcidr_overlaps(&c, &d));
	CU_ASSERT_EQUAL(netcidr_parse("0.0.0.0/0", &d, &why), 0);
	CU_ASSERT(netcidr_overlaps(&c, &d));
	CU_ASSERT_EQUAL(netcidr_parse("1.2.3.4/24", &d, &why), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "host bits"));
}

void unit_register(void)
{
	UNIT_SUITE("policy");
	UNIT_TEST(test_valid_policy);
	UNIT_TEST(test_shipped_policies);
	UNIT_TEST(test_top_level_errors);
	UNIT_TEST(test_resolver_errors);
	UNIT_TEST(test_rule_errors);
	UNIT_TEST(test_host_errors);
	UNIT_TEST(test_cidr_errors);
	UNIT_TEST(test_host_matching);
	UNIT_TEST(test_internal_classification);
	UNIT_TEST(test_address_parsing);
	UNIT_TEST(test_address_checks);
	UNIT_TEST(test_cidr_logic);
}
