/* proxy_child.c - the supervisor's side of the proxy process. See
 * proxy_child.h. */
#include "proxy_child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pidns.h"
#include "proxy.h"
#include "util.h"

/* The proxy serves before the agent starts: it says so with one byte once
 * its loop is set up (signals, limits, epoll), so that what the agent finds
 * is the running proxy, never one half started (seen: an attack looking
 * for the proxy by its ignored SIGPIPE on a busy machine). */
#define PROXY_READY_TIMEOUT_MS 5000

/* Fork the proxy on listen_fd; proxy_await_ready() then waits for it. */
int proxy_spawn(int listen_fd, int log_fd, const struct policy *pol, struct proxy_child *pc,
		struct perr *e)
{
	pid_t sup = getpid();
	int ready[2];
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return perr_sys(e, errno, "proxy: pipe");
	pid = fork();
	if (pid < 0) {
		close(ready[0]);
		close(ready[1]);
		return perr_sys(e, errno, "fork proxy");
	}
	if (pid == 0) {
		struct proxy_config c;
		struct perr pe;
		int keep[3] = {listen_fd, ready[1], log_fd};

		pidns_die_with_parent(sup);
		util_close_fds_from(3, keep, log_fd >= 0 ? 3 : 2);
		memset(&c, 0, sizeof(c));
		c.listen_fd = listen_fd;
		c.policy = pol;
		c.log_fd = log_fd;
		c.say_ready = true;
		c.ready_fd = ready[1];
		perr_clear(&pe);
		if (proxy_serve(&c, &pe) < 0)
			_exit(perr_report(&pe, "parity proxy"));
		_exit(0);
	}
	close(ready[1]);
	pc->pid = pid;
	pc->ready_fd = ready[0];
	return 0;
}

/* Wait for the proxy's "serving" byte. On failure the proxy is killed and
 * reaped (pc->pid = -1). */
int proxy_await_ready(struct proxy_child *pc, struct perr *e)
{
	struct pollfd p = {.fd = pc->ready_fd, .events = POLLIN};
	char b;
	int r;

	while ((r = poll(&p, 1, PROXY_READY_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	if (r > 0 && read(pc->ready_fd, &b, 1) == 1) {
		close(pc->ready_fd);
		pc->ready_fd = -1;
		return 0;
	}
	close(pc->ready_fd);
	pc->ready_fd = -1;
	kill(pc->pid, SIGKILL);
	while (waitpid(pc->pid, NULL, 0) < 0 && errno == EINTR)
		;
	pc->pid = -1;
	return perr_set(e, "proxy: %s", r == 0 ? "not serving after 5 s" : "exited before serving");
}
