/* runtime.c - what every attack uses inside the sandbox: the lab
 * environment, the transcript, socket helpers, and attack_main(). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "attack.h"
#include "util.h"

struct attack_log {
	int fd;
	unsigned steps;
};

static void log_line(struct attack_log *log, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	if (s) {
		size_t n = strlen(s);
		s[n] = '\n';
		/* One write per line, so lines from threads never interleave. */
		(void)!write(log->fd, s, n + 1);
		free(s);
	}
	json_decref(j);
}

void attack_step(struct attack_log *log, const char *call, long ret, int err, const char *fmt, ...)
{
	char detail[512] = "";
	va_list ap;
	json_t *j;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	j = json_pack("{s:i,s:s,s:I,s:s?,s:s}", "step", ++log->steps, "call", call, "ret",
		      (json_int_t)ret, "errno", ret < 0 ? util_errname(err) : NULL, "detail",
		      detail);
	log_line(log, j);
}

void attack_note(struct attack_log *log, const char *fmt, ...)
{
	char note[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(note, sizeof(note), fmt, ap);
	va_end(ap);
	log_line(log, json_pack("{s:s}", "note", note));
}

void attack_request_accomplice(struct attack_log *log, const char *kind, const char *what)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "@parity accomplice %s %s\n", kind, what);
	(void)!write(log->fd, line, (size_t)n);
}

/* The harness answers with SIGURG to this thread once it has looked (lab.c,
 * handle_inspect). SIGURG is ignored by default, so a program that never
 * asked loses nothing; blocked here, it stays pending until taken. A
 * fixed pause used to stand in for the answer, and on a slow guest (TCG)
 * the harness sometimes looked only after the attack had moved on. Call
 * from the main thread: the answer goes to the thread the PID names. */
void attack_request_inspect(struct attack_log *log)
{
	struct timespec wait = {ATTACK_INSPECT_WAIT_MS / 1000,
				(ATTACK_INSPECT_WAIT_MS % 1000) * 1000000L};
	sigset_t urg, old;
	char line[64];
	int n = snprintf(line, sizeof(line), "@parity inspect %d\n", (int)getpid());

	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	sigprocmask(SIG_BLOCK, &urg, &old);
	(void)!write(log->fd, line, (size_t)n);
	while (sigtimedwait(&urg, NULL, &wait) < 0 && errno == EINTR)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

static int split_hostport(const char *s, char *host, size_t hlen, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	long p;
	size_t n;
	if (!colon)
		return -1;
	n = (size_t)(colon - s);
	if (s[0] == '[' && n >= 2 && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= hlen || util_parse_long(colon + 1, 1, 65535, &p) < 0)
		return -1;
	memcpy(host, s, n);
	host[n] = 0;
	*port = (uint16_t)p;
	return 0;
}

int attack_env_load(struct attack_env *env, char *err, size_t errlen)
{
	long v;
	const char *s;

	memset(env, 0, sizeof(*env));
	env->marker = getenv("PARITY_MARKER");
	if (!env->marker || !*env->marker) {
		snprintf(err, errlen,
			 "PARITY_MARKER is not set: run attacks through "
			 "`parity attack run` or `parity attack exec`");
		return -1;
	}
	env->sink_v4 = env_or("PARITY_SINK_V4", "198.51.100.10");
	env->sink_v6 = env_or("PARITY_SINK_V6", "2001:db8:100::10");
	env->dns_v4 = env_or("PARITY_DNS_V4", "198.51.100.53");
	env->dns_v6 = env_or("PARITY_DNS_V6", "2001:db8:100::53");
	env->victim_abstract = env_or("PARITY_VICTIM_ABSTRACT", "parity-victim");
	env->victim_path = getenv("PARITY_VICTIM_PATH");
	if (env->victim_path && !*env->victim_path)
		env->victim_path = NULL;
	if (split_hostport(env_or("PARITY_PROXY", "127.0.0.1:3128"), env->proxy_host,
			   sizeof(env->proxy_host), &env->proxy_port) < 0) {
		snprintf(err, errlen, "PARITY_PROXY: expected HOST:PORT");
		return -1;
	}
	if (split_hostport(env_or("PARITY_ALLOWED", "allowed.test:443"), env->allowed_host,
			   sizeof(env->allowed_host), &env->allowed_port) < 0) {
		snprintf(err, errlen, "PARITY_ALLOWED: expected HOST:PORT");
		return -1;
	}
	s = getenv("PARITY_VICTIM_PID");
	env->victim_pid = s && util_parse_long(s, 1, 1 << 30, &v) == 0 ? (pid_t)v : 0;
	s = getenv("PARITY_SUPERVISOR_PID");
	env->supervisor_pid = s && util_parse_long(s, 1, 1 << 30, &v) == 0 ? (pid_t)v : 0;
	return 0;
}

socklen_t attack_sockaddr(const char *host, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return 0;
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
		return 0;
	return sizeof(*a);
}

int attack_connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	int fl = fcntl(fd, F_GETFL);
	int r, err = 0;
	socklen_t el = sizeof(err);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	r = connect(fd, sa, len);
	if (r < 0 && errno == EINPROGRESS) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		r = poll(&p, 1, timeout_ms);
		if (r == 0) {
			errno = ETIMEDOUT;
			r = -1;
		} else if (r > 0) {
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
			if (err) {
				errno = err;
				r = -1;
			} else {
				r = 0;
			}
		}
	}
	if (r == 0)
		fcntl(fd, F_SETFL, fl);
	return r;
}

int attack_marker_payload(const struct attack_env *env, const char *label, char *buf, size_t len)
{
	return snprintf(buf, len, "PARITY %s %s\n", env->marker, label ? label : "");
}

ssize_t attack_send_marker(const struct attack_env *env, int fd, const char *label)
{
	char buf[256];
	int n = attack_marker_payload(env, label, buf, sizeof(buf));
	return send(fd, buf, (size_t)n, MSG_NOSIGNAL);
}

static void on_alarm(int sig)
{
	static const char msg[] = "{\"note\":\"attack timed out inside the sandbox\"}\n";
	(void)sig;
	(void)!write(1, msg, sizeof(msg) - 1);
	_exit(124);
}

int attack_main(const char *id)
{
	const struct attack *a = attack_find(id);
	struct attack_env env;
	struct attack_log log = {.fd = 1};
	char err[256];
	int claim;
	static const char *const claims[] = {"blocked", "escaped", "unsure"};

	if (!a) {
		fprintf(stderr, "parity attack: unknown attack '%s'\n", id);
		return 2;
	}
	if (attack_env_load(&env, err, sizeof(err)) < 0) {
		fprintf(stderr, "parity attack %s: %s\n", id, err);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm((a->timeout_ms ? a->timeout_ms : 5000) / 1000 + 1);
	log_line(&log, json_pack("{s:s,s:s}", "attack", a->id, "title", a->title));
	claim = a->run(&env, &log);
	if (claim < 0 || claim > CLAIM_UNSURE)
		claim = CLAIM_UNSURE;
	log_line(&log, json_pack("{s:s}", "claim", claims[claim]));
	return 0;
}
