/* netprobe - one network or signal action, run inside a sandbox by the lab
 * tests; prints "result=ok" or "result=ERRNO-NAME" and exits 0 / 1.
 *
 *   netprobe udp-socket
 *   netprobe udp-send HOST PORT MSG
 *   netprobe tcp-connect HOST PORT [TIMEOUT_MS]
 *   netprobe kill PID|supervisor SIGNO
 *   netprobe abstract-connect NAME
 *   netprobe connect-proxy PROXY_HOST PROXY_PORT TARGET_HOST:PORT
 *   netprobe connect-proxy-send ...     (the same with send/recv, not write/read)
 *   netprobe blocking-connect HOST PORT (a plain blocking connect, no timeout)
 *   netprobe dumpable                   (prints dumpable=PR_GET_DUMPABLE)
 *   netprobe identity                   (prints uid, gid, groups, the five
 *                                        capability sets and NoNewPrivs, as
 *                                        /proc/self/status has them)
 *   netprobe sleep MS [TOKEN...]
 *   netprobe int80 [HOST PORT]          (i386 getpid via int $0x80, then a
 *                                        TCP connect when HOST PORT are given)
 *   netprobe unix-echo DIR              (chdir DIR, umask 077: a pathname unix
 *                                        stream echo at a relative path, a
 *                                        datagram by pathname, the mode)
 *   netprobe signal-tree                (a child signals its own child; kill(0))
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int result(int err, const char *extra)
{
	printf("result=%s%s%s\n", err ? strerrorname_np(err) : "ok", extra ? " " : "",
	       extra ? extra : "");
	return err ? 1 : 0;
}

static socklen_t addr(const char *host, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, host, &a->sin6_addr);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &a->sin_addr);
	return sizeof(*a);
}

static int tcp_connect(const char *host, int port, int timeout_ms, int *fd_out)
{
	struct sockaddr_storage ss;
	socklen_t len = addr(host, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	socklen_t el = sizeof(err);

	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (errno != EINPROGRESS) {
			err = errno;
			close(fd);
			return err;
		}
		if (poll(&p, 1, timeout_ms) <= 0) {
			close(fd);
			return ETIMEDOUT;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			close(fd);
			return err;
		}
	}
	fcntl(fd, F_SETFL, 0);
	if (fd_out)
		*fd_out = fd;
	else
		close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "udp-socket") == 0) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		return result(fd < 0 ? errno : 0, NULL);
	}
	if (strcmp(argv[1], "udp-send") == 0 && argc == 5) {
		struct sockaddr_storage ss;
		socklen_t len = addr(argv[2], atoi(argv[3]), &ss);
		int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
		if (fd < 0)
			return result(errno, "(socket)");
		if (sendto(fd, argv[4], strlen(argv[4]), 0, (struct sockaddr *)&ss, len) < 0)
			return result(errno, "(sendto)");
		return result(0, NULL);
	}
	if (strcmp(argv[1], "tcp-connect") == 0 && argc >= 4) {
		double t0 = now_ms();
		char ms[32];
		int err =
		    tcp_connect(argv[2], atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 2000, NULL);
		snprintf(ms, sizeof(ms), "ms=%.1f", now_ms() - t0);
		return result(err, ms);
	}
	if (strcmp(argv[1], "kill") == 0 && argc == 4) {
		/* "supervisor": $PARITY_SUPERVISOR_PID, as the agent would find it. */
		const char *who =
		    strcmp(argv[2], "supervisor") == 0 ? getenv("PARITY_SUPERVISOR_PID") : argv[2];
		if (!who)
			return result(ESRCH, "(no PARITY_SUPERVISOR_PID)");
		int r = kill(atoi(who), atoi(argv[3]));
		return result(r < 0 ? errno : 0, NULL);
	}
	if (strcmp(argv[1], "abstract-connect") == 0 && argc == 3) {
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		size_t n = strlen(argv[2]);
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (n + 1 > sizeof(a.sun_path))
			return 2;
		memcpy(a.sun_path + 1, argv[2], n);
		if (connect(fd, (struct sockaddr *)&a,
			    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) < 0)
			return result(errno, NULL);
		(void)!write(fd, "hello\n", 6);
		return result(0, NULL);
	}
	if (strcmp(argv[1], "dumpable") == 0) {
		printf("dumpable=%d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
		return result(0, NULL);
	}
	if (strcmp(argv[1], "identity") == 0) {
		/* "Uid:\t10002\t..." -> "uid=10002", "CapBnd:\t0000..." -> "capbnd=0000..." */
		static const char *const keys[] = {"Uid",    "Gid",    "Groups",
						   "CapInh", "CapPrm", "CapEff",
						   "CapBnd", "CapAmb", "NoNewPrivs"};
		char line[512];
		FILE *f = fopen("/proc/self/status", "r");
		if (!f)
			return result(errno, NULL);
		while (fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':'), *v;
			if (!colon)
				continue;
			*colon = '\0';
			for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
				if (strcmp(line, keys[i]) != 0)
					continue;
				v = colon + 1 + strspn(colon + 1, " \t");
				v[strcspn(v, "\t\n")] = '\0';
				for (char *c = line; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				printf("%s=%s\n", line, v);
			}
		}
		fclose(f);
		return result(0, NULL);
	}
	if (strcmp(argv[1], "blocking-connect") == 0 && argc == 4) {
		struct sockaddr_storage ss;
		socklen_t len = addr(argv[2], atoi(argv[3]), &ss);
		int fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&ss, len) < 0)
			return result(errno, NULL);
		return result(0, NULL);
	}
	if ((strcmp(argv[1], "connect-proxy") == 0 || strcmp(argv[1], "connect-proxy-send") == 0) &&
	    argc == 5) {
		/* send/recv are sendto/recvfrom on x86_64: mediated calls under
		 * platform-notify; write/read are not. */
		bool sr = strcmp(argv[1], "connect-proxy-send") == 0;
		char req[512], buf[4096];
		int fd = -1, err = tcp_connect(argv[2], atoi(argv[3]), 2000, &fd);
		ssize_t n;
		struct timeval tv = {.tv_sec = 3};
		if (err)
			return result(err, "(connect to proxy)");
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", argv[4],
			 argv[4]);
		if (sr)
			(void)!send(fd, req, strlen(req), 0);
		else
			(void)!write(fd, req, strlen(req));
		n = sr ? recv(fd, buf, sizeof(buf) - 1, 0) : read(fd, buf, sizeof(buf) - 1);
		if (n <= 0)
			return result(n < 0 ? errno : ECONNRESET, "(no proxy answer)");
		buf[n] = 0;
		if (strncmp(buf, "HTTP/1.1 200", 12) != 0) {
			char *nl = strchr(buf, '\r');
			if (nl)
				*nl = 0;
			printf("status=%s\n", buf);
			return result(EACCES, "(proxy refused)");
		}
		printf("status=200\n");
		if (sr)
			(void)!send(fd, "ping-parity\n", 12, 0);
		else
			(void)!write(fd, "ping-parity\n", 12);
		n = sr ? recv(fd, buf, sizeof(buf) - 1, 0) : read(fd, buf, sizeof(buf) - 1);
		if (n > 0 && memmem(buf, (size_t)n, "ping-parity", 11))
			return result(0, "echo=ok");
		return result(EIO, "(no echo)");
	}
	if (strcmp(argv[1], "unix-echo") == 0 && argc == 3) {
		/* Relative names: resolved from the agent's cwd; created with the
		 * agent's umask (platform-strict performs the bind elsewhere). */
		struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = "echo.sock"};
		struct sockaddr_un d = {.sun_family = AF_UNIX, .sun_path = "echo.dgram"};
		char buf[64];
		struct stat st;
		int lfd, dfd, c, status;
		pid_t pid;
		if (chdir(argv[2]) < 0)
			return result(errno, "(chdir)");
		umask(077);
		unlink(a.sun_path);
		unlink(d.sun_path);
		lfd = socket(AF_UNIX, SOCK_STREAM, 0);
		dfd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (lfd < 0 || dfd < 0)
			return result(errno, "(socket)");
		if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0)
			return result(errno, "(bind)");
		if (listen(lfd, 4) < 0)
			return result(errno, "(listen)");
		if (bind(dfd, (struct sockaddr *)&d, sizeof(d)) < 0)
			return result(errno, "(bind dgram)");
		if (stat(a.sun_path, &st) < 0 || (st.st_mode & 0777) != 0700) {
			printf("mode=%o\n", (unsigned)(st.st_mode & 0777));
			return result(EINVAL, "(umask not applied)");
		}
		pid = fork();
		if (pid == 0) {
			int s = socket(AF_UNIX, SOCK_STREAM, 0), u = socket(AF_UNIX, SOCK_DGRAM, 0);
			char b[64];
			if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
				_exit(10);
			if (write(s, "ping", 4) != 4 || read(s, b, sizeof(b)) != 4 ||
			    memcmp(b, "ping", 4) != 0)
				_exit(11);
			if (sendto(u, "dgram", 5, 0, (struct sockaddr *)&d, sizeof(d)) != 5)
				_exit(12);
			_exit(0);
		}
		c = accept(lfd, NULL, NULL);
		if (c < 0 || read(c, buf, sizeof(buf)) != 4 || write(c, buf, 4) != 4)
			return result(EIO, "(echo)");
		if (recv(dfd, buf, sizeof(buf), 0) != 5)
			return result(EIO, "(datagram)");
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			printf("child=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			return result(EIO, "(client)");
		}
		unlink(a.sun_path);
		unlink(d.sun_path);
		return result(0, "unix=ok");
	}
	if (strcmp(argv[1], "signal-tree") == 0) {
		/* A child signals its own child (kill, then tgkill), and its
		 * process group (kill(0) with a harmless signal). */
		int status;
		pid_t a = fork();
		if (a == 0) {
			int st2;
			pid_t b = fork();
			if (b == 0) {
				pause();
				_exit(0);
			}
			signal(SIGWINCH, SIG_IGN);
			if (kill(0, SIGWINCH) < 0)
				_exit(20);
			if (kill(b, SIGTERM) < 0)
				_exit(21);
			waitpid(b, &st2, 0);
			if (!WIFSIGNALED(st2) || WTERMSIG(st2) != SIGTERM)
				_exit(22);
			_exit(0);
		}
		waitpid(a, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			printf("child=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			return result(EPERM, "(signal in the tree)");
		}
		if (raise(SIGWINCH) != 0)
			return result(errno, "(raise)");
		return result(0, "signals=ok");
	}
	if (strcmp(argv[1], "int80") == 0) {
		/* i386 getpid (20) through the compat entry point: a filter that
		 * kills on a foreign architecture ends the process with SIGSYS.
		 * With HOST PORT, a TCP connect follows: what the positive
		 * control does when nothing kills it. */
		long ret;
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
		if (argc >= 4)
			return result(tcp_connect(argv[2], atoi(argv[3]), 2000, NULL), NULL);
		return result(ret < 0 ? (int)-ret : 0, NULL);
	}
	if (strcmp(argv[1], "sleep") == 0 && argc >= 3) {
		usleep((useconds_t)atoi(argv[2]) * 1000);
		return result(0, NULL);
	}
	fprintf(stderr, "netprobe: bad arguments\n");
	return 2;
}
