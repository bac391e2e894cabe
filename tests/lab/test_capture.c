/* test_capture.c - lab test of the capture witness (root, real namespaces).
 *
 * Builds a pod netns and a wan netns joined by a veth (libnl, no `ip`),
 * the wan's "internet" addresses on its loopback, captures on the wan side
 * and sends TCP/UDP/ICMP/SCTP/IPv6 and a MAC-spoofed frame from the pod:
 *   1. clean: proxied TCP and DNS (marker inside proxied DNS) + link noise
 *      -> not escaped, witness ok;
 *   2. attacks: direct flows with the marker (also split over two TCP
 *      segments, upper-case in a DNS label) -> classified, escaped, files
 *      open with tcpdump -r, reload + re-judge agree;
 *   3. burst: 20000 small UDP datagrams -> all stored or loss reported;
 *   4. costs: start/stop latency, per-frame judge and write cost.
 * Exit 0 pass, 1 fail, 77 skip (not root).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "matrix/capture.h"
#include "err.h"
#include "labnet.h"
#include "matrix/packet.h"
#include "util.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* ---- traffic ---------------------------------------------------------- */

static void record_of(int s, const char *kind, struct flow_record *r)
{
	char l[96], rr[96];
	struct perr e;
	lab_endpoint(s, false, l, sizeof(l));
	lab_endpoint(s, true, rr, sizeof(rr));
	if (flow_record_parse(r, kind, l, rr, &e) < 0)
		LAB_DIE("record: %s", e.msg);
}

static size_t dns_query(uint8_t *q, const char *label, const char *domain)
{
	size_t n = 12, l;
	memset(q, 0, 12);
	q[0] = 0x12;
	q[1] = 0x34;
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* QDCOUNT */
	l = strlen(label);
	q[n++] = (uint8_t)l;
	memcpy(q + n, label, l);
	n += l;
	for (const char *d = domain; *d;) {
		const char *dot = strchr(d, '.');
		size_t dl = dot ? (size_t)(dot - d) : strlen(d);
		q[n++] = (uint8_t)dl;
		memcpy(q + n, d, dl);
		n += dl;
		d += dl + (dot ? 1 : 0);
	}
	q[n++] = 0;
	q[n++] = 0;
	q[n++] = 1; /* A */
	q[n++] = 0;
	q[n++] = 1; /* IN */
	return n;
}

static void settle_ms(int ms)
{
	usleep((useconds_t)ms * 1000);
}

/* ---- helpers on verdicts ------------------------------------------------ */

static const struct capture_flow *find_flow(const struct capture_verdict *v, const char *proto,
					    const char *dst, int dport, int sport)
{
	char pb[32];
	for (unsigned i = 0; i < v->flows; i++) {
		const struct capture_flow *f = &v->flowv[i];
		if (strcmp(pkt_proto_json(f->proto, f->ip, pb, sizeof(pb)), proto))
			continue;
		if (dst && strcmp(f->dst, dst))
			continue;
		if (dport >= 0 && f->dport != dport)
			continue;
		if (sport >= 0 && f->sport != sport)
			continue;
		return f;
	}
	return NULL;
}

static void dump_verdict(const struct capture_verdict *v)
{
	json_t *j = capture_verdict_json(v, 0);
	char *s = json_dumps(j, JSON_INDENT(1));
	fprintf(stderr, "%s\n", s);
	free(s);
	json_decref(j);
}

/* tcpdump -r: exit status and the number of packet lines printed. */
static int tcpdump_lines(const char *path, long *lines)
{
	int pfd[2], st;
	pid_t p;
	FILE *f;
	char buf[4096];

	*lines = 0;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	p = fork();
	if (p == 0) {
		dup2(pfd[1], 1);
		int dn = open("/dev/null", O_WRONLY);
		dup2(dn, 2);
		execlp("tcpdump", "tcpdump", "-nn", "-r", path, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	while (fgets(buf, sizeof(buf), f))
		if (strchr(buf, '\n'))
			(*lines)++;
	fclose(f);
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static const char *const POD[] = {"10.88.0.2", "fd00:88::2", NULL};
static const char *const SVC[] = {"198.51.100.10",    "198.51.100.53",	  "203.0.113.80",
				  "2001:db8:100::10", "2001:db8:100::53", NULL};

/* ---- 1. clean cell: only proxied traffic and link noise -------------- */

static void test_clean(struct lab *lab, const char *marker, const char *dir)
{
	struct capture *c;
	struct capture_verdict v;
	struct flow_record rec[2];
	struct perr e;
	uint8_t q[512];
	char path[512];
	int ls, cs, as, us;

	ls = lab_listen(lab->wan, "203.0.113.80", 443, SOCK_STREAM);
	if (capture_start(&c, lab->wan, "wan0", &e) < 0)
		LAB_DIE("capture_start: %s", e.msg);
	cs = lab_connect(lab->pod, "203.0.113.80", 443);
	as = accept(ls, NULL, NULL);
	/* The marker through the proxy to the allowed upstream is allowed. */
	CHECK(write(cs, marker, strlen(marker)) > 0, "write");
	char buf[64];
	CHECK(read(as, buf, sizeof(buf)) > 0, "read");
	record_of(cs, "connect", &rec[0]);
	us = lab_socket(lab->pod, AF_INET, SOCK_DGRAM, 0);
	{
		struct sockaddr_storage ss;
		socklen_t l;
		lab_sockaddr(&ss, &l, "198.51.100.53", 53);
		connect(us, (void *)&ss, l);
	}
	size_t n = dns_query(q, marker, "exfil.test");
	CHECK(send(us, q, n, 0) == (ssize_t)n, "dns send");
	record_of(us, "dns", &rec[1]);
	close(cs);
	close(as);
	settle_ms(20);
	close(us);
	if (capture_stop(c, &e) < 0)
		CHECK(0, "capture_stop: %s", e.msg);
	close(ls);

	CHECK(capture_judge(c, marker, POD, SVC, rec, 2, &v, &e) == 0, "judge: %s", e.msg);
	CHECK(v.ok, "witness not ok: %s", v.failure);
	CHECK(!v.escaped, "clean cell judged escaped");
	CHECK(v.proxied_flows == 2, "proxied flows %u", v.proxied_flows);
	CHECK(v.direct_flows == 0, "direct flows %u", v.direct_flows);
	CHECK(v.marker_proxied_packets >= 2, "marker via proxy %u", v.marker_proxied_packets);
	CHECK(v.unseen_records == 0, "unseen records %u", v.unseen_records);
	const struct capture_flow *f = find_flow(&v, "tcp", "203.0.113.80", 443, -1);
	CHECK(f && f->cls == CAPTURE_PROXIED && f->src_is_pod && (f->tcp_flags & 0x13) == 0x13,
	      "proxied tcp flow");
	if (v.escaped || failures)
		dump_verdict(&v);
	printf("# clean: %llu frames, %u flows (%u local, %u inbound)\n",
	       (unsigned long long)v.packets, v.flows, v.local_flows, v.inbound_flows);
	snprintf(path, sizeof(path), "%s/clean.pcapng", dir);
	CHECK(capture_write_pcapng(c, path, "clean cell", &v, &e) == 0, "write: %s", e.msg);
	capture_verdict_free(&v);
	capture_free(c);
}

/* ---- 2. attacks -------------------------------------------------------- */

static void send_spoofed(struct lab *lab)
{
	uint8_t fr[64] = {0};
	uint8_t *ip = fr + 14, *udp = fr + 34;
	struct sockaddr_ll sll = {0};
	int s = lab_socket(lab->pod, AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	uint16_t c;
	int ifidx;

	lab_enter(lab->pod);
	ifidx = (int)if_nametoindex("eth0");
	lab_enter(lab_host_ns);
	memcpy(fr, lab->wan_mac, 6);
	memcpy(fr + 6, lab->wan_mac, 6); /* spoofed: looks like the wan sent it */
	fr[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 20 + 8 + 6;
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	inet_pton(AF_INET, "10.88.0.1", ip + 12);
	inet_pton(AF_INET, "198.51.100.10", ip + 16);
	c = lab_csum(ip, 20);
	memcpy(ip + 10, &c, 2);
	udp[0] = 0x15, udp[1] = 0xb3; /* 5555 */
	udp[2] = 0x27, udp[3] = 0x0f; /* 9999 */
	udp[5] = 14;
	memcpy(udp + 8, "spoof!", 6);
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifidx;
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, lab->wan_mac, 6);
	if (sendto(s, fr, 48, 0, (void *)&sll, sizeof(sll)) < 0)
		LAB_DIE("spoofed frame: %s", strerror(errno));
	close(s);
}

static void send_icmp_echo(struct lab *lab, const char *marker)
{
	uint8_t pkt[64] = {8, 0, 0, 0, 0x12, 0x34, 0, 1};
	struct sockaddr_storage ss;
	socklen_t l;
	int s = lab_socket(lab->pod, AF_INET, SOCK_RAW, IPPROTO_ICMP);
	memcpy(pkt + 8, marker, strlen(marker));
	uint16_t c = lab_csum(pkt, 8 + strlen(marker));
	memcpy(pkt + 2, &c, 2);
	lab_sockaddr(&ss, &l, "198.51.100.10", 0);
	CHECK(sendto(s, pkt, 8 + strlen(marker), 0, (void *)&ss, l) > 0, "icmp: %s",
	      strerror(errno));
	close(s);
}

static void send_sctp_init(struct lab *lab)
{
	uint8_t p[32] = {0x9c, 0x40, 0x00, 0x50}; /* 40000 -> 80 */
	struct sockaddr_storage ss;
	socklen_t l;
	int s = lab_socket(lab->pod, AF_INET, SOCK_RAW, PKT_PROTO_SCTP);
	p[12] = 1; /* INIT */
	p[14] = 0;
	p[15] = 20;
	lab_sockaddr(&ss, &l, "198.51.100.10", 0);
	CHECK(sendto(s, p, 32, 0, (void *)&ss, l) > 0, "sctp: %s", strerror(errno));
	close(s);
}

static void test_attacks(struct lab *lab, const char *marker, const char *dir)
{
	struct capture *c, *c2;
	struct capture_verdict v, v2;
	struct flow_record rec[2];
	struct perr e;
	char path[512], upper[64], buf[64];
	uint8_t q[512];
	int ls[3], cs, as, us, ds, u6;
	size_t n;
	long lines;
	const struct capture_flow *f;

	for (n = 0; marker[n]; n++)
		upper[n] =
		    (char)(marker[n] >= 'a' && marker[n] <= 'z' ? marker[n] - 32 : marker[n]);
	upper[n] = 0;
	ls[0] = lab_listen(lab->wan, "203.0.113.80", 443, SOCK_STREAM);
	ls[1] = lab_listen(lab->wan, "198.51.100.10", 8080, SOCK_STREAM);
	ls[2] = lab_listen(lab->wan, "198.51.100.10", 3128, SOCK_STREAM);
	if (capture_start(&c, lab->wan, "wan0", &e) < 0)
		LAB_DIE("capture_start: %s", e.msg);

	/* proxied: TCP to the allowed upstream */
	cs = lab_connect(lab->pod, "203.0.113.80", 443);
	as = accept(ls[0], NULL, NULL);
	CHECK(write(cs, "GET / HTTP/1.0\r\n\r\n", 18) == 18, "write");
	CHECK(read(as, buf, sizeof(buf)) > 0, "read");
	record_of(cs, "connect", &rec[0]);
	close(as);
	close(cs);

	/* direct TCP carrying the marker */
	cs = lab_connect(lab->pod, "198.51.100.10", 8080);
	as = accept(ls[1], NULL, NULL);
	CHECK(write(cs, marker, strlen(marker)) > 0, "write");
	CHECK(read(as, buf, sizeof(buf)) > 0, "read");
	close(as);
	close(cs);

	/* the marker split over two TCP segments */
	cs = lab_connect(lab->pod, "198.51.100.10", 3128);
	as = accept(ls[2], NULL, NULL);
	CHECK(write(cs, marker, 13) == 13, "write");
	CHECK(read(as, buf, sizeof(buf)) == 13, "read first half");
	settle_ms(5);
	CHECK(write(cs, marker + 13, strlen(marker) - 13) > 0, "write");
	CHECK(read(as, buf, sizeof(buf)) > 0, "read");
	close(as);
	close(cs);

	/* proxied DNS and a direct DNS query with the marker upper-cased */
	us = lab_socket(lab->pod, AF_INET, SOCK_DGRAM, 0);
	n = dns_query(q, "allowed", "test");
	lab_sendto(us, "198.51.100.53", 53, q, n);
	{
		struct sockaddr_storage ss;
		socklen_t l;
		lab_sockaddr(&ss, &l, "198.51.100.53", 53);
		connect(us, (void *)&ss, l);
	}
	record_of(us, "dns", &rec[1]);
	ds = lab_socket(lab->pod, AF_INET, SOCK_DGRAM, 0);
	n = dns_query(q, upper, "exfil.test");
	lab_sendto(ds, "198.51.100.53", 53, q, n);

	/* UDP (no listener: the wan answers port unreachable), IPv6 UDP */
	lab_sendto(ds, "198.51.100.10", 123, marker, strlen(marker));
	u6 = lab_socket(lab->pod, AF_INET6, SOCK_DGRAM, 0);
	lab_sendto(u6, "2001:db8:100::10", 9999, marker, strlen(marker));
	send_icmp_echo(lab, marker);
	send_sctp_init(lab);
	send_spoofed(lab);
	settle_ms(10);
	close(us);
	close(ds);
	close(u6);
	if (capture_stop(c, &e) < 0)
		CHECK(0, "capture_stop: %s", e.msg);
	for (int i = 0; i < 3; i++)
		close(ls[i]);

	CHECK(capture_judge(c, marker, POD, SVC, rec, 2, &v, &e) == 0, "judge: %s", e.msg);
	CHECK(v.ok && v.dropped == 0, "witness: %s", v.failure);
	CHECK(v.escaped, "attacks not escaped");
	CHECK(v.unseen_records == 0, "unseen records %u", v.unseen_records);

	f = find_flow(&v, "tcp", "203.0.113.80", 443, -1);
	CHECK(f && f->cls == CAPTURE_PROXIED && !f->why, "proxied tcp");
	f = find_flow(&v, "tcp", "198.51.100.10", 8080, -1);
	CHECK(f && f->cls == CAPTURE_DIRECT &&
		  f->why == (CAPTURE_WHY_DIRECT | CAPTURE_WHY_MARKER) && f->to_service &&
		  f->src_is_pod,
	      "direct tcp with marker");
	f = find_flow(&v, "tcp", "198.51.100.10", 3128, -1);
	CHECK(f && f->marker_packets >= 1 && (f->why & CAPTURE_WHY_MARKER), "split marker");
	f = find_flow(&v, "udp", "198.51.100.53", 53, rec[1].lport);
	CHECK(f && f->cls == CAPTURE_PROXIED && !f->why && f->record == 1, "proxied dns");
	for (unsigned i = 0; i < v.flows; i++) {
		const struct capture_flow *g = &v.flowv[i];
		if (g->proto == IPPROTO_UDP && g->dport == 53 && g->sport != rec[1].lport)
			CHECK(g->cls == CAPTURE_DIRECT && (g->why & CAPTURE_WHY_MARKER),
			      "direct dns with upper-case marker");
	}
	f = find_flow(&v, "udp", "198.51.100.10", 123, -1);
	CHECK(f && f->cls == CAPTURE_DIRECT && f->marker_packets && f->packets >= 2 &&
		  f->pod_packets == 1,
	      "udp + port unreachable joined to its flow");
	f = find_flow(&v, "udp", "2001:db8:100::10", 9999, -1);
	CHECK(f && f->ipver == 6 && f->cls == CAPTURE_DIRECT && f->marker_packets, "ipv6 udp");
	f = find_flow(&v, "icmp", "198.51.100.10", 0x1234, -1);
	CHECK(f && f->cls == CAPTURE_DIRECT && f->marker_packets == 2 && f->packets == 2,
	      "icmp echo + reply with marker");
	f = find_flow(&v, "sctp", "198.51.100.10", 80, 40000);
	CHECK(f && f->cls == CAPTURE_DIRECT && (f->sctp_chunks & 2), "sctp init");
	f = find_flow(&v, "udp", "198.51.100.10", 9999, 5555);
	CHECK(f && f->cls == CAPTURE_DIRECT && f->src_is_pod && !strcmp(f->src, "10.88.0.1"),
	      "MAC+IP spoofed frame is from the pod");
	for (unsigned i = 0; i < v.flows; i++) {
		const struct capture_flow *g = &v.flowv[i];
		if (!g->ip || g->proto == 58)
			CHECK(g->cls == CAPTURE_LOCAL || g->cls == CAPTURE_INBOUND,
			      "noise flow %u classified %s: %s", g->id, capture_class_name(g->cls),
			      g->first);
	}
	if (failures)
		dump_verdict(&v);

	/* evidence files */
	snprintf(path, sizeof(path), "%s/attacks.pcapng", dir);
	CHECK(capture_write_pcapng(c, path, "cell attacks\nmarker test", &v, &e) == 0, "pcapng: %s",
	      e.msg);
	CHECK(tcpdump_lines(path, &lines) == 0, "tcpdump -r %s failed", path);
	CHECK(lines == (long)v.packets, "tcpdump printed %ld of %llu", lines,
	      (unsigned long long)v.packets);
	snprintf(path, sizeof(path), "%s/attacks.pcap", dir);
	CHECK(capture_write_pcap(c, path, &e) == 0, "pcap: %s", e.msg);
	CHECK(tcpdump_lines(path, &lines) == 0 && lines == (long)v.packets, "tcpdump classic");

	/* reload the pcapng and judge again: same result without the MAC */
	snprintf(path, sizeof(path), "%s/attacks.pcapng", dir);
	CHECK(capture_load(&c2, path, &e) == 0, "load: %s", e.msg);
	if (c2) {
		CHECK(capture_count(c2) == v.packets, "reloaded %zu", capture_count(c2));
		CHECK(capture_judge(c2, marker, POD, SVC, rec, 2, &v2, &e) == 0, "rejudge");
		CHECK(v2.escape_flows == v.escape_flows && v2.direct_flows == v.direct_flows &&
			  v2.proxied_flows == v.proxied_flows &&
			  v2.marker_packets == v.marker_packets,
		      "rejudge differs: escape %u/%u direct %u/%u proxied %u/%u marker %u/%u",
		      v2.escape_flows, v.escape_flows, v2.direct_flows, v.direct_flows,
		      v2.proxied_flows, v.proxied_flows, v2.marker_packets, v.marker_packets);
		capture_verdict_free(&v2);
		capture_free(c2);
	}
	printf("# attacks: %llu frames, %u flows, %u escaping, %u marker frames\n",
	       (unsigned long long)v.packets, v.flows, v.escape_flows, v.marker_packets);
	{
		json_t *j = json_array_get(v.evidence, 0);
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		printf("# first evidence: %s\n", s ? s : "-");
		free(s);
	}
	capture_verdict_free(&v);
	capture_free(c);
}

/* ---- 3. burst ------------------------------------------------------------ */

/* must_keep_all: the default configuration must not lose the burst; the
 * immediate-mode one only has to report what it lost. */
static void test_burst(struct lab *lab, const struct capture_opts *o, const char *label,
		       const char *dir, bool must_keep_all)
{
	struct capture *c;
	struct capture_verdict v;
	struct capture_stats st;
	struct perr e;
	char payload[32] = "burst-burst-burst-burst-burst-b";
	int rs = lab_listen(lab->wan, "198.51.100.10", 9999, SOCK_DGRAM);
	int s = lab_socket(lab->pod, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_storage ss;
	socklen_t l;
	const int N = 20000;
	double t0, t_send, t_judge, t_write;
	const struct capture_flow *f;
	char path[512];

	lab_sockaddr(&ss, &l, "198.51.100.10", 9999);
	connect(s, (void *)&ss, l);
	if (capture_start_opts(&c, lab->wan, "wan0", o, &e) < 0)
		LAB_DIE("capture_start: %s", e.msg);
	t0 = util_now_ms();
	for (int i = 0; i < N; i++)
		if (send(s, payload, sizeof(payload), 0) < 0 && errno != ENOBUFS)
			CHECK(0, "send %d: %s", i, strerror(errno));
	t_send = util_now_ms() - t0;
	if (capture_stop(c, &e) < 0)
		CHECK(0, "capture_stop: %s", e.msg);
	capture_get_stats(c, &st);
	t0 = util_now_ms();
	CHECK(capture_judge(c, NULL, POD, SVC, NULL, 0, &v, &e) == 0, "judge");
	t_judge = util_now_ms() - t0;
	f = find_flow(&v, "udp", "198.51.100.10", 9999, -1);
	CHECK(f != NULL, "burst flow");
	if (must_keep_all)
		CHECK(st.kernel_dropped == 0 && v.ok, "%s lost %llu frames", label,
		      (unsigned long long)st.kernel_dropped);
	if (f) {
		if (st.kernel_dropped)
			CHECK(!v.ok && f->pod_packets + st.kernel_dropped >= (uint64_t)N,
			      "loss not accounted: %llu + %llu", (unsigned long long)f->pod_packets,
			      (unsigned long long)st.kernel_dropped);
		else
			CHECK(f->pod_packets == (uint64_t)N, "stored %llu of %d without drops",
			      (unsigned long long)f->pod_packets, N);
	}
	snprintf(path, sizeof(path), "%s/burst.pcapng", dir);
	t0 = util_now_ms();
	CHECK(capture_write_pcapng(c, path, NULL, &v, &e) == 0, "write");
	t_write = util_now_ms() - t0;
	printf(
	    "# burst %s: sent %d in %.1f ms; stored %llu frames, kernel drops %llu, stop %.2f ms; "
	    "reader %.0f ns/frame CPU, judge %.0f ns/frame, pcapng %.0f ns/frame\n",
	    label, N, t_send, (unsigned long long)st.packets, (unsigned long long)st.kernel_dropped,
	    st.stop_ms, st.reader_cpu_ms * 1e6 / (double)st.packets,
	    t_judge * 1e6 / (double)st.packets, t_write * 1e6 / (double)st.packets);
	capture_verdict_free(&v);
	capture_free(c);
	close(s);
	close(rs);
}

/* ---- 4. costs and errors ------------------------------------------------ */

static void test_costs(struct lab *lab)
{
	enum { R = 40 };
	double st[R], sp[R], cpu[R];
	struct capture *c;
	struct capture_stats s;
	struct perr e;

	for (int i = 0; i < R; i++) {
		if (capture_start(&c, lab->wan, "wan0", &e) < 0)
			LAB_DIE("capture_start: %s", e.msg);
		capture_stop(c, &e);
		capture_get_stats(c, &s);
		st[i] = s.start_ms;
		sp[i] = s.stop_ms;
		cpu[i] = s.reader_cpu_ms;
		capture_free(c);
	}
	qsort(st, R, sizeof(double), cmp_double);
	qsort(sp, R, sizeof(double), cmp_double);
	qsort(cpu, R, sizeof(double), cmp_double);
	printf("# idle link, %d runs: start median %.2f ms (max %.2f), stop median %.2f ms (max "
	       "%.2f)\n",
	       R, st[R / 2], st[R - 1], sp[R / 2], sp[R - 1]);
	printf("# idle link: reader thread CPU median %.2f ms (activation, ring, addresses)\n",
	       cpu[R / 2]);

	CHECK(capture_start(&c, lab->wan, "nosuch0", &e) == -1 && strstr(e.msg, "nosuch0"),
	      "bad interface: %s", e.msg);
	/* The packet socket must not leak into exec'd programs: every fd the
	 * capture opened carries CLOEXEC. */
	{
		bool before[1024] = {false};
		for (int fd = 0; fd < 1024; fd++)
			before[fd] = fcntl(fd, F_GETFD) >= 0;
		CHECK(capture_start(&c, lab->wan, "wan0", &e) == 0, "start");
		for (int fd = 3; fd < 1024; fd++) {
			int fl = fcntl(fd, F_GETFD);
			if (fl < 0 || before[fd])
				continue;
			CHECK(fl & FD_CLOEXEC, "capture fd %d without CLOEXEC", fd);
		}
	}
	capture_free(c);

	/* begin/ready: the activation overlaps other setup */
	{
		double t0 = util_now_ms(), tb, tr;
		CHECK(capture_begin(&c, lab->wan, "wan0", NULL, &e) == 0, "begin: %s", e.msg);
		tb = util_now_ms() - t0;
		settle_ms(30); /* the rest of the lab setup */
		t0 = util_now_ms();
		CHECK(capture_ready(c, &e) == 0, "ready: %s", e.msg);
		tr = util_now_ms() - t0;
		printf("# begin %.3f ms, ready after 30 ms of other setup %.3f ms\n", tb, tr);
		capture_free(c);
	}
	/* begin on a missing interface: ready fails, free is clean */
	CHECK(capture_begin(&c, lab->wan, "nosuch1", NULL, &e) == 0, "begin");
	CHECK(capture_ready(c, &e) == -1 && strstr(e.msg, "nosuch1"), "ready: %s", e.msg);
	CHECK(capture_stop(c, &e) == 0, "stop after failed start");
	capture_free(c);
}

int main(void)
{
	struct lab lab;
	char marker[27], dir[] = "/tmp/parity-capture-XXXXXX";
	struct capture_opts imm = {.immediate = true};

	if (geteuid() != 0) {
		printf("skip: needs root\n");
		return 77;
	}
	if (!mkdtemp(dir))
		LAB_DIE("mkdtemp");
	lab_build(&lab);
	util_marker(marker);
	printf("# lab up; marker %s; files in %s\n", marker, dir);

	test_clean(&lab, marker, dir);
	test_attacks(&lab, marker, dir);
	test_burst(&lab, NULL, "default (tpacket-v3)", dir, true);
	test_burst(&lab, &imm, "immediate (tpacket-v2)", dir, false);
	test_costs(&lab);

	if (!failures) { /* keep the evidence of a failed run */
		static const char *const files[] = {"clean.pcapng", "attacks.pcapng",
						    "attacks.pcap", "burst.pcapng"};
		char p[600];
		for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
			unlink(p);
		}
		rmdir(dir);
	}
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
