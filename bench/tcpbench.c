/* tcpbench.c - the two ends of bench/proxy-throughput.sh, built so that
 * they are never the bottleneck: the sender sendfile()s from a memfd (pages
 * go to the socket by reference, nothing is copied per byte) and the sink
 * discards with recv(MSG_TRUNC) (nothing copied out).
 *
 *   tcpbench sink ADDR:PORT
 *       accept connections one after another; for each, read an 8-byte
 *       big-endian length N, discard N bytes, answer N (8 bytes) and close
 *   tcpbench send [--copy] ADDR:PORT BYTES [PROXY_ADDR:PORT]
 *       connect (through an HTTP CONNECT proxy when given), send the
 *       length and BYTES, wait for the sink's answer; print
 *       "bytes=N seconds=S mib_per_s=R" (time from the first byte sent to
 *       the answer received, so it covers delivery, not just buffering).
 * The length prefix, not a half-close, ends the transfer: tinyproxy does
 * not pass half-closes on. --copy makes both ends ordinary programs
 * instead: send() from and recv() into 1 MiB buffers (the length's top bit
 * tells the sink).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "enforcer/netaddr.h"
#include "util.h"

#define CHUNK (64ul << 20)
#define COPY_FLAG (1ull << 63)

static int die(const char *what)
{
	fprintf(stderr, "tcpbench: %s: %s\n", what, strerror(errno));
	return 1;
}

static int parse(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct netaddr a;
	uint16_t port;

	if (netaddr_parse_hostport(s, &a, &port, false) != 0) {
		fprintf(stderr, "tcpbench: bad address '%s'\n", s);
		return -1;
	}
	*sl = netaddr_to_sockaddr(&a, port, ss);
	return 0;
}

static int sink(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, lfd;
	static char buf[1 << 20];

	if (parse(addr, &ss, &sl) != 0)
		return 2;
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, sl) != 0 || listen(lfd, 64) != 0)
		return die("listen");
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		uint64_t want = 0, total = 0, be;
		ssize_t n = 0;
		if (fd < 0)
			continue;
		bool copy = false;
		if (util_read_all(fd, &be, sizeof(be)) == sizeof(be))
			want = __builtin_bswap64(be);
		copy = (want & COPY_FLAG) != 0;
		want &= ~COPY_FLAG;
		while (total < want) {
			size_t len = want - total < sizeof(buf) ? want - total : sizeof(buf);
			n = recv(fd, buf, len, copy ? 0 : MSG_TRUNC);
			if (n <= 0)
				break;
			total += (uint64_t)n;
		}
		be = __builtin_bswap64(total);
		util_write_all(fd, &be, sizeof(be));
		close(fd);
	}
}

/* CONNECT through the proxy; consume the response head exactly. */
static int via_proxy(int fd, const char *target)
{
	char req[256], head[1024];
	size_t n = 0;

	snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target);
	if (util_write_all(fd, req, strlen(req)) != 0)
		return die("send CONNECT");
	while (n < sizeof(head) - 1) {
		if (read(fd, head + n, 1) != 1)
			break;
		n++;
		if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	head[n] = 0;
	if (strncmp(head, "HTTP/1.1 200", 12) != 0 && strncmp(head, "HTTP/1.0 200", 12) != 0) {
		fprintf(stderr, "tcpbench: proxy refused: %s\n", head);
		return 1;
	}
	return 0;
}

static char copybuf[1 << 20];

static int sender(bool copy, const char *addr, const char *bytes_s, const char *proxy)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	long bytes;
	uint64_t got = 0, left, t0, t1;
	int fd, mfd;
	char *map;

	if (util_parse_long(bytes_s, 1, 1L << 50, &bytes) != 0) {
		fprintf(stderr, "tcpbench: bad byte count '%s'\n", bytes_s);
		return 2;
	}
	if (parse(proxy ? proxy : addr, &ss, &sl) != 0)
		return 2;
	/* A memfd of CHUNK bytes of non-zero data, sent again and again. */
	mfd = memfd_create("tcpbench", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, (off_t)CHUNK) != 0)
		return die("memfd");
	map = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (map == MAP_FAILED)
		return die("mmap");
	for (size_t i = 0; i < CHUNK; i += 4096)
		memset(map + i, (int)(i / 4096) | 1, 4096);
	memcpy(copybuf, map, sizeof(copybuf));
	munmap(map, CHUNK);

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0)
		return die("connect");
	if (proxy && via_proxy(fd, addr) != 0)
		return 1;
	t0 = util_now_ns();
	got = __builtin_bswap64((uint64_t)bytes | (copy ? COPY_FLAG : 0));
	if (util_write_all(fd, &got, sizeof(got)) != 0)
		return die("send the length");
	for (left = (uint64_t)bytes; copy && left > 0;) {
		size_t want = left < sizeof(copybuf) ? left : sizeof(copybuf);
		if (util_write_all(fd, copybuf, want) != 0)
			return die("send");
		left -= want;
	}
	for (left = copy ? 0 : (uint64_t)bytes; left > 0;) {
		off_t off = 0;
		size_t want = left < CHUNK ? left : CHUNK;
		while (want > 0) {
			ssize_t n = sendfile(fd, mfd, &off, want);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return die("sendfile");
			want -= (size_t)n;
			left -= (uint64_t)n;
		}
	}
	if (util_read_all(fd, &got, sizeof(got)) != sizeof(got))
		return die("read the sink's count");
	t1 = util_now_ns();
	got = __builtin_bswap64(got);
	if (got != (uint64_t)bytes) {
		fprintf(stderr, "tcpbench: sink received %llu of %ld bytes\n",
			(unsigned long long)got, bytes);
		return 1;
	}
	double s = (double)(t1 - t0) / 1e9;
	printf("bytes=%ld seconds=%.3f mib_per_s=%.1f\n", bytes, s, (double)bytes / s / 1048576.0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "sink") == 0)
		return sink(argv[2]);
	if (argc >= 2 && strcmp(argv[1], "send") == 0) {
		bool copy = argc >= 3 && strcmp(argv[2], "--copy") == 0;
		int rest = argc - 2 - copy;
		char **a = argv + 2 + copy;
		if (rest == 2 || rest == 3)
			return sender(copy, a[0], a[1], rest == 3 ? a[2] : NULL);
	}
	fprintf(stderr, "usage: tcpbench sink ADDR:PORT\n"
			"       tcpbench send [--copy] ADDR:PORT BYTES [PROXY_ADDR:PORT]\n");
	return 2;
}
