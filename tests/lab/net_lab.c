/* net_lab.c - helpers for the namespace-network lab tests. See net_lab.h. */
#include "net_lab.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "enforcer/nft.h"
#include "util.h"

int lab_failures;

void die(const char *what, struct perr *e)
{
	char b[1400];

	printf("FAIL %s: %s\n", what, e ? perr_str(e, b, sizeof(b)) : "");
	exit(1);
}

void net_isolate(void)
{
	struct perr e;
	struct nl_ctx *c;

	perr_clear(&e);
	if (geteuid() != 0) {
		printf("SKIP: needs root\n");
		exit(77);
	}
	if (unshare(CLONE_NEWNET) < 0) {
		printf("SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		exit(77);
	}
	c = nl_ctx_open(-1, &e);
	if (!c || nl_link_up(c, "lo", &e) < 0)
		die("lo up in the test netns", &e);
	nl_ctx_close(c);
}

/* ---- wan ---------------------------------------------------------------- */

int wan_up(struct wan *w, struct perr *e)
{
	static const char *const lo_addrs[] = {LAB_SINK_V4 "/32", LAB_SINK_V6 "/128"};
	struct nl_ctx *pod = NULL;
	struct nft_pod_cfg nat = {.subnet = LAB_SUBNET, .uplink = "eth0"};
	int rc = -1;

	w->c = NULL;
	if (nl_netns_new(&w->fd, NL_NETNS_NODAD, e) < 0)
		return -1;
	pod = nl_ctx_open(-1, e);
	if (!pod || !(w->c = nl_ctx_open(w->fd, e)))
		goto out;
	/* the pod keeps the kernel's DAD default; turn it off on our link */
	if (netns_sysctl_write(-1, "net/ipv4/ip_forward", "1", e) < 0 ||
	    nl_veth_create(pod, "eth0", "eth0", w->fd, e) < 0 ||
	    netns_sysctl_write(-1, "net/ipv6/conf/eth0/accept_dad", "0", e) < 0 ||
	    nl_addr_add(pod, "eth0", LAB_POD_V4 "/24", e) < 0 ||
	    nl_addr_add(pod, "eth0", LAB_POD_V6 "/64", e) < 0 ||
	    nl_addr_add(w->c, "eth0", LAB_WAN_V4 "/24", e) < 0 ||
	    nl_addr_add(w->c, "eth0", LAB_WAN_V6 "/64", e) < 0 || nl_link_up(pod, "eth0", e) < 0 ||
	    nl_link_up(w->c, "eth0", e) < 0 || nl_link_up(w->c, "lo", e) < 0)
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(lo_addrs); i++)
		if (nl_addr_add(w->c, "lo", lo_addrs[i], e) < 0)
			goto out;
	if (nl_route_add_default(pod, LAB_WAN_V4, e) < 0 ||
	    nl_route_add_default(pod, LAB_WAN_V6, e) < 0 ||
	    nl_link_wait_ready(pod, "eth0", 2000, e) < 0 ||
	    nl_link_wait_ready(w->c, "eth0", 2000, e) < 0 || nft_apply_pod_nat(-1, &nat, e) < 0)
		goto out;
	rc = 0;
out:
	nl_ctx_close(pod);
	if (rc < 0)
		wan_down(w);
	return rc;
}

void wan_down(struct wan *w)
{
	struct nl_ctx *pod = nl_ctx_open(-1, NULL);

	/* at once: the namespace itself goes asynchronously, and the next
	 * wan_up() wants the name eth0 again */
	if (pod)
		nl_link_del(pod, "eth0", NULL);
	nl_ctx_close(pod);
	nl_ctx_close(w->c);
	w->c = NULL;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* ---- sockets ------------------------------------------------------------ */

static int sa_of(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return AF_INET6;
	}
	return -1;
}

/* socket() inside ns_fd. */
static int sock_in(int ns_fd, int fam, int type)
{
	struct perr e;
	int saved, fd;

	if (nl_netns_enter(ns_fd, &saved, &e) < 0)
		die("enter netns for a socket", &e);
	fd = socket(fam, type | SOCK_CLOEXEC, 0);
	if (nl_netns_leave(saved, &e) < 0)
		die("leave netns", &e);
	return fd;
}

static int bound(int ns_fd, const char *addr, uint16_t port, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = sa_of(addr, port, &ss, &len), fd, one = 1;

	if (fam < 0 || (fd = sock_in(ns_fd, fam, type | SOCK_NONBLOCK)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) < 0)) {
		printf("note: bind %s:%u: %s\n", addr, port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int probe_tcp_listen(int ns_fd, const char *addr, uint16_t port)
{
	return bound(ns_fd, addr, port, SOCK_STREAM);
}

int probe_udp_bind(int ns_fd, const char *addr, uint16_t port)
{
	return bound(ns_fd, addr, port, SOCK_DGRAM);
}

int probe_tcp_connect(int ns_fd, const char *addr, uint16_t port, int timeout_ms, double *ms)
{
	struct sockaddr_storage ss;
	socklen_t len, sl = sizeof(int);
	int fam = sa_of(addr, port, &ss, &len), fd, err = 0, r;
	struct pollfd p;
	double t0 = util_now_ms();

	if (fam < 0 || (fd = sock_in(ns_fd, fam, SOCK_STREAM | SOCK_NONBLOCK)) < 0)
		return -EINVAL;
	r = connect(fd, (struct sockaddr *)&ss, len);
	if (r < 0 && errno != EINPROGRESS) {
		err = errno;
	} else if (r < 0) {
		p = (struct pollfd){.fd = fd, .events = POLLOUT};
		r = poll(&p, 1, timeout_ms);
		if (r == 0)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
			err = errno;
	}
	if (ms)
		*ms = util_now_ms() - t0;
	close(fd);
	return -err;
}

int probe_udp_send(int ns_fd, const char *addr, uint16_t port, const char *msg)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = sa_of(addr, port, &ss, &len), fd, r;

	if (fam < 0 || (fd = sock_in(ns_fd, fam, SOCK_DGRAM)) < 0)
		return -EINVAL;
	r = (int)sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&ss, len);
	r = r < 0 ? -errno : 0;
	close(fd);
	return r;
}

bool probe_udp_got(int fd, const char *msg, int timeout_ms)
{
	char buf[512];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	double deadline = util_now_ms() + timeout_ms;

	for (;;) {
		int left = (int)(deadline - util_now_ms());
		ssize_t n;
		if (left < 0 || poll(&p, 1, left) <= 0)
			return false;
		n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n < 0)
			continue;
		buf[n] = '\0';
		if (strstr(buf, msg))
			return true;
	}
}

bool probe_accepted(int lfd, int timeout_ms)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	bool got = false;
	int c;

	if (poll(&p, 1, timeout_ms) <= 0)
		return false;
	while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		got = true;
		close(c);
	}
	return got;
}

/* ---- leak counters ------------------------------------------------------ */

int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

static struct nl_sock *raw_route_sock(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (sk && nl_connect(sk, NETLINK_ROUTE) < 0) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

static int nsid_cb(struct nl_msg *m, void *arg)
{
	(void)m;
	(*(int *)arg)++;
	return NL_OK;
}

int nsid_count(void)
{
	struct rtgenmsg g = {.rtgen_family = AF_UNSPEC};
	struct nl_sock *sk = raw_route_sock();
	int n = 0;

	if (!sk)
		return -1;
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, nsid_cb, &n);
	if (nl_send_simple(sk, RTM_GETNSID, NLM_F_DUMP, &g, sizeof(g)) < 0 ||
	    nl_recvmsgs_default(sk) < 0)
		n = -1;
	nl_socket_free(sk);
	return n;
}

int nsid_assign(int ns_fd)
{
	struct rtgenmsg g = {.rtgen_family = AF_UNSPEC};
	struct nl_sock *sk = raw_route_sock();
	struct nl_msg *m;
	int r = -1;

	if (!sk)
		return -1;
	m = nlmsg_alloc_simple(RTM_NEWNSID, NLM_F_CREATE);
	if (m && nlmsg_append(m, &g, sizeof(g), NLMSG_ALIGNTO) == 0 &&
	    nla_put_u32(m, NETNSA_FD, (uint32_t)ns_fd) == 0 &&
	    nla_put_s32(m, NETNSA_NSID, NETNSA_NSID_NOT_ASSIGNED) == 0)
		r = nl_send_sync(sk, m); /* frees m */
	else if (m)
		nlmsg_free(m);
	nl_socket_free(sk);
	return r < 0 ? -1 : 0;
}

int veth_count(void)
{
	struct perr e;
	struct nl_ctx *c = nl_ctx_open(-1, &e);
	int n;

	if (!c)
		return -1;
	n = nl_link_count(c, "veth");
	nl_ctx_close(c);
	return n;
}

int wait_count(int (*count)(void), int want, int timeout_ms)
{
	double deadline = util_now_ms() + timeout_ms;
	int n;

	while ((n = count()) != want && util_now_ms() < deadline)
		usleep(2000);
	return n;
}

static void scan_dir_links(const char *dir, int pid, struct ns_ref *out, size_t max, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512], l[64];

	if (!d)
		return;
	while ((de = readdir(d)) && *n < max) {
		ssize_t k;
		unsigned long ino;
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		k = readlink(p, l, sizeof(l) - 1);
		if (k <= 0)
			continue;
		l[k] = '\0';
		if (sscanf(l, "net:[%lu]", &ino) == 1)
			out[(*n)++] = (struct ns_ref){.ino = ino, .pid = pid};
	}
	closedir(d);
}

size_t netns_scan(struct ns_ref *out, size_t max)
{
	DIR *proc = opendir("/proc"), *tasks;
	struct dirent *de, *te;
	size_t n = 0;
	char p[512];

	if (!proc)
		return 0;
	while ((de = readdir(proc)) && n < max) {
		int pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		snprintf(p, sizeof(p), "/proc/%d/fd", pid);
		scan_dir_links(p, pid, out, max, &n);
		snprintf(p, sizeof(p), "/proc/%d/task", pid);
		tasks = opendir(p);
		while (tasks && (te = readdir(tasks)) && n < max) {
			char nsp[600];
			struct stat st;
			if (te->d_name[0] == '.')
				continue;
			snprintf(nsp, sizeof(nsp), "%s/%s/ns/net", p, te->d_name);
			if (stat(nsp, &st) == 0)
				out[n++] =
				    (struct ns_ref){.ino = (unsigned long)st.st_ino, .pid = pid};
		}
		if (tasks)
			closedir(tasks);
	}
	closedir(proc);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the parity binary, and an echo upstream ---- */

void lab_prun(struct lab_run *r, const char *bin, const char *sub, const char *const *args,
	      const char *probe_bin, const char *const *probe)
{
	const char *argv[64];
	size_t k = 0, n = 0;
	int p[2], st;
	pid_t pid;
	double t0 = util_now_ms();

	argv[k++] = bin;
	if (sub)
		argv[k++] = sub;
	for (size_t i = 0; args[i] && k < 56; i++)
		argv[k++] = args[i];
	if (probe) {
		argv[k++] = "--";
		argv[k++] = probe_bin;
		for (size_t i = 0; probe[i] && k < 63; i++)
			argv[k++] = probe[i];
	}
	argv[k] = NULL;
	if (pipe(p) < 0)
		die("pipe", NULL);
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		/* parity starts as from a shell: whatever this test blocks
		 * (test_run blocks SIGURG) is not the sandbox's business */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execv(bin, (char **)argv);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t m = read(p[0], r->out + n, sizeof(r->out) - 1 - n);
		if (m <= 0)
			break;
		n += (size_t)m;
	}
	r->out[n] = 0;
	close(p[0]);
	waitpid(pid, &st, 0);
	r->code = util_status_code(st);
	r->ms = util_now_ms() - t0;
}

bool lab_says(const struct lab_run *r, const char *what)
{
	return strstr(r->out, what) != NULL;
}

void lab_run_setup(char *tmpdir, mode_t mode)
{
	struct perr e;
	struct nl_ctx *c;

	perr_clear(&e);
	net_isolate();
	if (!mkdtemp(tmpdir))
		die("mkdtemp", NULL);
	chmod(tmpdir, mode);
	c = nl_ctx_open(-1, &e);
	if (!c || nl_addr_add(c, "lo", "203.0.113.80/32", &e) < 0)
		die("upstream address", &e);
	nl_ctx_close(c);
}

uint16_t lab_port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	if (getsockname(fd, (struct sockaddr *)&a, &l) < 0)
		return 0;
	return ntohs(a.sin_port);
}

void *lab_echo_main(void *arg)
{
	int lfd = *(int *)arg;
	fcntl(lfd, F_SETFL, 0); /* blocking accept */
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		char buf[4096];
		ssize_t n;
		if (c < 0)
			return NULL;
		while ((n = read(c, buf, sizeof(buf))) > 0)
			(void)!write(c, buf, (size_t)n);
		close(c);
	}
}
