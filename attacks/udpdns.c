/* udpdns.c - see udpdns.h. */
#include "udpdns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

const char *ud_family_name(int family)
{
	switch (family) {
	case AF_INET:
		return "AF_INET";
	case AF_INET6:
		return "AF_INET6";
	case AF_UNSPEC:
		return "AF_UNSPEC";
	case AF_PACKET:
		return "AF_PACKET";
	default:
		return "AF_?";
	}
}

const char *ud_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET || sa->sa_family == AF_UNSPEC) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s%s:%u", sa->sa_family == AF_UNSPEC ? "(AF_UNSPEC) " : "", a,
			 ntohs(s4->sin_port));
	} else {
		snprintf(buf, len, "family %d", sa->sa_family);
	}
	return buf;
}

int ud_socket(struct attack_log *log, int domain, int type, int proto, const char *desc)
{
	int fd = socket(domain, type, proto);
	int err = errno;
	attack_step(log, "socket", fd, err, "%s", desc);
	return fd;
}

ssize_t ud_sendto(struct attack_log *log, int fd, const void *buf, size_t n, int flags,
		  const char *host, uint16_t port, const char *what)
{
	struct sockaddr_storage ss;
	socklen_t sl = attack_sockaddr(host, port, &ss);
	char a[96];
	ssize_t r;
	int err;

	if (!sl) {
		attack_note(log, "bad address %s", host);
		return -1;
	}
	r = sendto(fd, buf, n, flags | MSG_NOSIGNAL, (struct sockaddr *)&ss, sl);
	err = errno;
	attack_step(log, "sendto", r, err, "%s, %zu bytes (%s)",
		    ud_addr_str((struct sockaddr *)&ss, a, sizeof(a)), n, what);
	errno = err;
	return r;
}

ssize_t ud_send_marker(const struct attack_env *env, struct attack_log *log, int fd,
		       const char *host, uint16_t port, const char *label)
{
	char buf[256];
	int n = attack_marker_payload(env, label, buf, sizeof(buf));
	return ud_sendto(log, fd, buf, (size_t)n, 0, host, port, "marker");
}

void ud_timeouts(struct attack_log *log, int fd, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	int r = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int err = errno;
	attack_step(log, "setsockopt", r, err, "SO_RCVTIMEO %d ms", ms);
	r = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	err = errno;
	attack_step(log, "setsockopt", r, err, "SO_SNDTIMEO %d ms", ms);
}

int ud_default_route(struct attack_log *log, char ifname[IF_NAMESIZE], struct in_addr *gw)
{
	FILE *f = fopen("/proc/net/route", "re");
	int err = errno;
	char line[256];
	int rc = -1;

	attack_step(log, "open", f ? 0 : -1, err, "/proc/net/route");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char name[IF_NAMESIZE + 1];
		unsigned dst, gateway, flags, mask;
		if (sscanf(line, "%16s %x %x %x %*d %*d %*d %x", name, &dst, &gateway, &flags,
			   &mask) != 5)
			continue;
		if (dst == 0 && mask == 0 && (flags & 1 /* RTF_UP */)) {
			snprintf(ifname, IF_NAMESIZE, "%s", name);
			gw->s_addr = gateway; /* the file has it in network order */
			rc = 0;
			break;
		}
	}
	fclose(f);
	if (rc == 0) {
		char g[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, gw, g, sizeof(g));
		attack_note(log, "IPv4 default route: dev %s via %s", ifname, g);
	} else {
		attack_note(log, "no IPv4 default route in /proc/net/route");
	}
	return rc;
}
