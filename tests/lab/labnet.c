/* labnet.c - a two-namespace lab for lab tests (see labnet.h). Built with
 * libnl only: no `ip`, no named netns; the namespaces are held by fds. */
#include "labnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "util.h"

/* ---- namespaces and links (libnl) ------------------------------------ */

int lab_host_ns = -1;

void lab_enter(int fd)
{
	if (setns(fd, CLONE_NEWNET) < 0)
		LAB_DIE("setns: %s", strerror(errno));
}

static int lab_ns_new(void)
{
	int fd;
	if (unshare(CLONE_NEWNET) < 0)
		LAB_DIE("unshare: %s", strerror(errno));
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		LAB_DIE("open netns: %s", strerror(errno));
	lab_enter(lab_host_ns);
	return fd;
}

int lab_socket(int ns, int domain, int type, int proto)
{
	int s;
	lab_enter(ns);
	s = socket(domain, type | SOCK_CLOEXEC, proto);
	lab_enter(lab_host_ns);
	if (s < 0)
		LAB_DIE("socket(%d,%d,%d): %s", domain, type, proto, strerror(errno));
	return s;
}

static struct nl_sock *nl_in(int ns)
{
	struct nl_sock *sk;
	lab_enter(ns);
	sk = nl_socket_alloc();
	if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0)
		LAB_DIE("netlink");
	lab_enter(lab_host_ns);
	return sk;
}

static int ifindex_of(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *l;
	int idx;
	if (rtnl_link_get_kernel(sk, 0, name, &l) < 0)
		LAB_DIE("no link %s", name);
	idx = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return idx;
}

static void link_up(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *l, *ch = rtnl_link_alloc();
	int err;
	if (rtnl_link_get_kernel(sk, 0, name, &l) < 0)
		LAB_DIE("no link %s", name);
	rtnl_link_set_flags(ch, IFF_UP);
	if ((err = rtnl_link_change(sk, l, ch, 0)) < 0)
		LAB_DIE("link up %s: %s", name, nl_geterror(err));
	rtnl_link_put(l);
	rtnl_link_put(ch);
}

static void addr_add(struct nl_sock *sk, const char *ifname, const char *cidr)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local;
	int err;
	if (nl_addr_parse(cidr, AF_UNSPEC, &local) < 0)
		LAB_DIE("bad address %s", cidr);
	rtnl_addr_set_ifindex(a, ifindex_of(sk, ifname));
	rtnl_addr_set_local(a, local);
	rtnl_addr_set_family(a, nl_addr_get_family(local));
	if (nl_addr_get_family(local) == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	if ((err = rtnl_addr_add(sk, a, 0)) < 0)
		LAB_DIE("add %s on %s: %s", cidr, ifname, nl_geterror(err));
	nl_addr_put(local);
	rtnl_addr_put(a);
}

static void route_default(struct nl_sock *sk, int family, const char *gw, const char *ifname)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst, *g;
	int err;
	nl_addr_parse(family == AF_INET ? "0.0.0.0/0" : "::/0", family, &dst);
	nl_addr_parse(gw, family, &g);
	rtnl_route_set_family(r, (uint8_t)family);
	rtnl_route_set_dst(r, dst);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, RTPROT_STATIC);
	rtnl_route_nh_set_gateway(nh, g);
	rtnl_route_nh_set_ifindex(nh, ifindex_of(sk, ifname));
	rtnl_route_add_nexthop(r, nh);
	if ((err = rtnl_route_add(sk, r, NLM_F_CREATE)) < 0)
		LAB_DIE("default route via %s: %s", gw, nl_geterror(err));
	nl_addr_put(dst);
	nl_addr_put(g);
	rtnl_route_put(r);
}

static void get_mac(struct nl_sock *sk, const char *name, uint8_t mac[6])
{
	struct rtnl_link *l;
	struct nl_addr *a;
	if (rtnl_link_get_kernel(sk, 0, name, &l) < 0)
		LAB_DIE("no link %s", name);
	a = rtnl_link_get_addr(l);
	if (!a || nl_addr_get_len(a) != 6)
		LAB_DIE("no MAC on %s", name);
	memcpy(mac, nl_addr_get_binary_addr(a), 6);
	rtnl_link_put(l);
}

void lab_build(struct lab *lab)
{
	struct nl_sock *pk, *wk;
	struct rtnl_link *veth, *peer;
	int err;
	static const char *const wan_lo[] = {"198.51.100.10/32", "198.51.100.53/32",
					     "203.0.113.80/32", "2001:db8:100::10/128",
					     "2001:db8:100::53/128"};

	lab_host_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	lab->pod = lab_ns_new();
	lab->wan = lab_ns_new();
	pk = nl_in(lab->pod);
	wk = nl_in(lab->wan);

	veth = rtnl_link_veth_alloc();
	rtnl_link_set_name(veth, "eth0");
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, "wan0");
	rtnl_link_set_ns_fd(peer, lab->wan);
	if ((err = rtnl_link_add(pk, veth, NLM_F_CREATE | NLM_F_EXCL)) < 0)
		LAB_DIE("veth: %s", nl_geterror(err));
	rtnl_link_put(peer);
	rtnl_link_put(veth);

	link_up(pk, "lo");
	link_up(wk, "lo");
	addr_add(pk, "eth0", "10.88.0.2/24");
	addr_add(pk, "eth0", "fd00:88::2/64");
	addr_add(wk, "wan0", "10.88.0.1/24");
	addr_add(wk, "wan0", "fd00:88::1/64");
	for (size_t i = 0; i < ARRAY_SIZE(wan_lo); i++)
		addr_add(wk, "lo", wan_lo[i]);
	link_up(pk, "eth0");
	link_up(wk, "wan0");
	route_default(pk, AF_INET, "10.88.0.1", "eth0");
	route_default(pk, AF_INET6, "fd00:88::1", "eth0");
	get_mac(wk, "wan0", lab->wan_mac);
	get_mac(pk, "eth0", lab->pod_mac);
	nl_socket_free(pk);
	nl_socket_free(wk);
}

void lab_sockaddr(struct sockaddr_storage *ss, socklen_t *len, const char *addr, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (void *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (void *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		*len = sizeof(*s4);
	}
}

int lab_listen(int ns, const char *addr, int port, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, s;
	lab_sockaddr(&ss, &len, addr, port);
	s = lab_socket(ns, ss.ss_family, type, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (void *)&ss, len) < 0)
		LAB_DIE("bind %s:%d: %s", addr, port, strerror(errno));
	if (type == SOCK_STREAM && listen(s, 16) < 0)
		LAB_DIE("listen: %s", strerror(errno));
	return s;
}

int lab_connect(int ns, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, s;
	lab_sockaddr(&ss, &len, addr, port);
	s = lab_socket(ns, ss.ss_family, SOCK_STREAM, 0);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, (void *)&ss, len) < 0)
		LAB_DIE("connect %s:%d: %s", addr, port, strerror(errno));
	return s;
}

void lab_sendto(int s, const char *addr, int port, const void *buf, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len;
	lab_sockaddr(&ss, &len, addr, port);
	if (sendto(s, buf, n, 0, (void *)&ss, len) < 0)
		LAB_DIE("sendto %s:%d: %s", addr, port, strerror(errno));
}

/* "ADDR:PORT" / "[ADDR]:PORT" of a socket's local or remote end. */
void lab_endpoint(int s, bool peer, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[64];
	if ((peer ? getpeername(s, (void *)&ss, &sl) : getsockname(s, (void *)&ss, &sl)) < 0)
		LAB_DIE("getsockname: %s", strerror(errno));
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)&ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (void *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	}
}

uint16_t lab_csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}
