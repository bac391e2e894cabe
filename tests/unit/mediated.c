/* mediated.c - see mediated.h. */
#include "mediated.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netaddr.h"

int mediated_start(struct mediated *m, const char *profile, bool port_check, mediated_body body,
		   void *arg)
{
	struct perr e;
	struct netaddr a;
	struct sockaddr_in lo = {.sin_family = AF_INET};
	socklen_t ll = sizeof(lo);
	char path[4096];
	int sp[2], listener = -1;

	memset(m, 0, sizeof(*m));
	m->lfd = m->sp = m->pidfd = -1;
	m->pid = -1;
	snprintf(path, sizeof(path), "%s/enforcer/profiles/%s.json", PARITY_SOURCE_ROOT, profile);
	if (profile_load(path, &m->p, &e) != 0)
		return -1;
	netaddr_parse("127.0.0.1", &a);
	notify_allowlist_init(&m->al, port_check);
	notify_allowlist_add(&m->al, &a, 3128, "proxy", &e);
	notify_allowlist_freeze(&m->al);
	m->lfd = socket(AF_INET, SOCK_STREAM, 0);
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(m->lfd, (struct sockaddr *)&lo, sizeof(lo)) < 0 || listen(m->lfd, 64) < 0 ||
	    getsockname(m->lfd, (struct sockaddr *)&lo, &ll) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	m->port = ntohs(lo.sin_port);
	m->pid = fork();
	if (m->pid < 0) {
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	if (m->pid == 0) {
		close(sp[0]);
		body(&m->p.sc.notify, sp[1], m->port, arg);
		_exit(99);
	}
	close(sp[1]);
	m->sp = sp[0];
	m->pidfd = (int)syscall(SYS_pidfd_open, m->pid, 0);
	/* The listener arrives before the child's first mediated call. */
	for (int i = 0; i < 200 && notify_receive_listener(m->sp, &listener, &e) < 0; i++)
		usleep(10000);
	if (listener < 0)
		return -1;
	m->ns = notify_supervisor_new(listener, &m->al, &e);
	return m->ns ? 0 : -1;
}

int mediated_run(struct mediated *m, struct notify_stats *st)
{
	int listener = notify_supervisor_fd(m->ns), status = 0;

	/* The child waits for this byte before it goes on. */
	if (write(m->sp, "1", 1) != 1)
		return -1;
	/* The supervisor's loop, as enforcer.c's wait_agent has it. */
	for (;;) {
		struct pollfd fds[2] = {{.fd = m->pidfd, .events = POLLIN},
					{.fd = listener, .events = POLLIN}};
		if (poll(fds, 2, 10000) <= 0)
			break;
		if (fds[0].revents)
			break;
		if ((fds[1].revents & POLLIN) && notify_supervisor_handle(m->ns) < 0)
			m->handle_errors++;
	}
	if (waitpid(m->pid, &status, 0) < 0)
		status = -1;
	m->pid = -1; /* reaped: never signalled again */
	notify_supervisor_stop(m->ns, st);
	m->ns = NULL;
	return status;
}

void mediated_free(struct mediated *m)
{
	if (m->ns)
		notify_supervisor_stop(m->ns, NULL);
	if (m->pid > 0) {
		kill(m->pid, SIGKILL);
		waitpid(m->pid, NULL, 0);
	}
	if (m->lfd >= 0)
		close(m->lfd);
	if (m->sp >= 0)
		close(m->sp);
	if (m->pidfd >= 0)
		close(m->pidfd);
	profile_free(&m->p);
}
