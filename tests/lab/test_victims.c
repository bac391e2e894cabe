/* Lab test of the pod's victims (matrix/victims.h), as root, in a netns of
 * its own: what reached a victim while it could not run is counted once the
 * pod asks for the final drain, and a SIGSTOP pending on the sacrificial
 * victim shows as its state. Each victim is frozen (SIGSTOP, waited for)
 * while the test sends, thawed, and drained at once: without the drain the
 * counts would be read before the victim ran.
 *
 * Exit 0 pass, 1 fail, 77 skip (not root). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "matrix/lab_shm.h"
#include "net_lab.h"
#include "matrix/victims.h"
#include "util.h"

static const char MARKER[] = "pmvictimtest0123456789";

/* SIGSTOP, and wait until the victim really is stopped. */
static void freeze(pid_t pid)
{
	siginfo_t si;
	kill(pid, SIGSTOP);
	memset(&si, 0, sizeof(si));
	waitid(P_PID, (id_t)pid, &si, WSTOPPED | WNOWAIT);
}

static void send_abstract(const char *name)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memcpy(a.sun_path + 1, name, len);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a,
			       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) == 0)
		(void)!write(fd, MARKER, sizeof(MARKER) - 1);
	if (fd >= 0)
		close(fd);
}

/* connect (or sendto, for dgram) a pathname victim and send the marker */
static void send_path(const char *path, int type)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd >= 0 && type == SOCK_DGRAM)
		(void)!sendto(fd, MARKER, sizeof(MARKER) - 1, 0, (struct sockaddr *)&a, sizeof(a));
	else if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		(void)!write(fd, MARKER, sizeof(MARKER) - 1);
	if (fd >= 0)
		close(fd);
}

static void send_tcp(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		(void)!write(fd, MARKER, sizeof(MARKER) - 1);
	if (fd >= 0)
		close(fd);
}

/* Empty datagrams: they reach a victim like any other, and are counted. */
static void send_empty_datagrams(const char *abstract)
{
	struct sockaddr_in in = {.sin_family = AF_INET,
				 .sin_port = htons(53),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int len = snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1, "%s.dgram", abstract);

	if (fd >= 0)
		(void)!sendto(fd, "", 0, 0, (struct sockaddr *)&in, sizeof(in));
	if (fd >= 0)
		close(fd);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		(void)!sendto(
		    fd, "", 0, 0, (struct sockaddr *)&un,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len));
	if (fd >= 0)
		close(fd);
}

/* A seqpacket connection: an empty message, then the marker. recv()
 * returns 0 for both an empty message and the end: the victim read the
 * empty one as the end, and the marker after it was never read. */
static void send_seqpacket_empty_then_marker(const char *abstract)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int len = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "%s.seqpacket", abstract);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd >= 0 &&
	    connect(fd, (struct sockaddr *)&a,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len)) == 0) {
		(void)!send(fd, "", 0, 0);
		(void)!send(fd, MARKER, sizeof(MARKER) - 1, 0);
	}
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	struct lab_shm *shm;
	int ready[2], drain[3][2], drain_w[3];
	char abstract[64], b[4], dir[] = "/tmp/parity-test-victims-XXXXXX", path[108], name[120];
	struct stat st;
	uint64_t t0;
	double ms;
	bool ok;

	net_isolate();
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED || pipe2(ready, O_CLOEXEC) < 0)
		return 1;
	for (int i = 0; i < 3; i++)
		if (pipe2(drain[i], O_CLOEXEC) < 0)
			return 1;
	snprintf(abstract, sizeof(abstract), "parity-test-victims-%d", (int)getpid());
	shm->signal_victim.pid = victim_spawn_signal(shm, 0, 0, ready[1], drain[0][0]);
	shm->sacrificial.pid = victim_spawn_sacrificial(shm, 0, 0, ready[1], drain[1][0]);
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/bus", dir);
	shm->listeners.pid =
	    victim_spawn_listeners(shm, abstract, path, MARKER, ready[1], drain[2][0]);
	close(ready[1]);
	for (int i = 0; i < 3; i++) {
		close(drain[i][0]);
		drain_w[i] = drain[i][1];
		if (read(ready[0], b, 1) != 1) {
			fprintf(stderr, "FAIL: the victims did not start\n");
			return 1;
		}
	}

	CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0666,
	      "the pathname victim is a socket anyone may connect to (mode %o)",
	      (unsigned)(st.st_mode & 0777));

	/* Nothing sent: the drain answers at once and nothing is counted. */
	t0 = util_now_ns();
	ok = victims_drain(shm, drain_w, 2000);
	ms = (double)(util_now_ns() - t0) / 1e6;
	CHECK(ok && ms < 100, "a quiet drain settles at once (ok=%d, %.1f ms)", ok, ms);
	CHECK(atomic_load(&shm->signals_total) == 0 &&
		  atomic_load(&shm->pod_tcp.connections) == 0 &&
		  atomic_load(&shm->abstract_stream.connections) == 0,
	      "a quiet drain counts nothing");

	/* Sent while the victims could not run. */
	freeze(shm->signal_victim.pid);
	freeze(shm->listeners.pid);
	kill(shm->signal_victim.pid, SIGUSR1);
	send_abstract(abstract);
	send_tcp(22);
	send_tcp(8081);
	send_empty_datagrams(abstract);
	send_seqpacket_empty_then_marker(abstract);
	send_path(path, SOCK_STREAM);
	snprintf(name, sizeof(name), "%s.dgram", path);
	send_path(name, SOCK_DGRAM);
	snprintf(name, sizeof(name), "%s.seqpacket", path);
	send_path(name, SOCK_SEQPACKET);
	kill(shm->signal_victim.pid, SIGCONT);
	kill(shm->listeners.pid, SIGCONT);
	kill(shm->sacrificial.pid, SIGSTOP); /* pending until it runs */
	ok = victims_drain(shm, drain_w, 2000);
	victim_poll_state(&shm->sacrificial);
	CHECK(ok, "the drain after the thaw settles");
	CHECK(atomic_load(&shm->signals[SIGUSR1]) == 1,
	      "the SIGUSR1 sent while frozen is counted once (%d)",
	      atomic_load(&shm->signals[SIGUSR1]));
	CHECK(atomic_load(&shm->abstract_stream.connections) == 1 &&
		  atomic_load(&shm->abstract_stream.marker),
	      "the abstract stream got 1 connection with the marker (%d, marker %d)",
	      atomic_load(&shm->abstract_stream.connections),
	      atomic_load(&shm->abstract_stream.marker));
	CHECK(atomic_load(&shm->pod_tcp.connections) == 2 && atomic_load(&shm->pod_tcp.marker) &&
		  atomic_load(&shm->pod_tcp.bytes) == 2 * (int)(sizeof(MARKER) - 1),
	      "pod tcp got 2 connections with the marker (%d, %d bytes, marker %d)",
	      atomic_load(&shm->pod_tcp.connections), atomic_load(&shm->pod_tcp.bytes),
	      atomic_load(&shm->pod_tcp.marker));
	CHECK(atomic_load(&shm->pod_udp.connections) == 1 && atomic_load(&shm->pod_udp.bytes) == 0,
	      "an empty datagram to pod udp/53 is counted (%d datagrams, %d bytes)",
	      atomic_load(&shm->pod_udp.connections), atomic_load(&shm->pod_udp.bytes));
	CHECK(atomic_load(&shm->abstract_seqpacket.connections) == 1 &&
		  atomic_load(&shm->abstract_seqpacket.marker) &&
		  atomic_load(&shm->abstract_seqpacket.bytes) == (int)(sizeof(MARKER) - 1),
	      "the abstract seqpacket victim reads past an empty message to the marker "
	      "(%d connection, %d bytes, marker %d)",
	      atomic_load(&shm->abstract_seqpacket.connections),
	      atomic_load(&shm->abstract_seqpacket.bytes),
	      atomic_load(&shm->abstract_seqpacket.marker));
	CHECK(atomic_load(&shm->abstract_dgram.connections) == 1,
	      "an empty datagram to the abstract dgram victim is counted (%d)",
	      atomic_load(&shm->abstract_dgram.connections));
	CHECK(atomic_load(&shm->path_stream.connections) == 1 &&
		  atomic_load(&shm->path_stream.marker) &&
		  atomic_load(&shm->path_dgram.connections) == 1 &&
		  atomic_load(&shm->path_dgram.marker) &&
		  atomic_load(&shm->path_seqpacket.connections) == 1 &&
		  atomic_load(&shm->path_seqpacket.marker),
	      "each pathname victim (stream, dgram, seqpacket) counted its marker (%d, %d, %d)",
	      atomic_load(&shm->path_stream.connections), atomic_load(&shm->path_dgram.connections),
	      atomic_load(&shm->path_seqpacket.connections));
	CHECK(atomic_load(&shm->sacrificial.state) == VICTIM_STOPPED &&
		  shm->sacrificial.signal == SIGSTOP,
	      "the pending SIGSTOP shows on the sacrificial victim (state %d, signal %d)",
	      atomic_load(&shm->sacrificial.state), shm->sacrificial.signal);

	/* A continue after the stop, and a catchable signal: both stay
	 * pending on the sacrificial victim, which blocks them, and the drain
	 * records them (a stop and continue between two looks left nothing). */
	kill(shm->sacrificial.pid, SIGCONT);
	kill(shm->sacrificial.pid, SIGTERM);
	ok = victims_drain(shm, drain_w, 2000);
	CHECK(ok && (atomic_load(&shm->sacrificial.pending) & (1ULL << (SIGCONT - 1))) &&
		  (atomic_load(&shm->sacrificial.pending) & (1ULL << (SIGTERM - 1))),
	      "SIGCONT and SIGTERM show as pending on the sacrificial victim (0x%llx)",
	      atomic_load(&shm->sacrificial.pending));

	kill(shm->signal_victim.pid, SIGKILL);
	kill(shm->sacrificial.pid, SIGKILL);
	kill(shm->listeners.pid, SIGKILL);
	while (wait(NULL) > 0)
		;
	unlink(path);
	snprintf(name, sizeof(name), "%s.dgram", path);
	unlink(name);
	snprintf(name, sizeof(name), "%s.seqpacket", path);
	unlink(name);
	rmdir(dir);
	printf("%d failure(s)\n", lab_failures);
	return lab_failures ? 1 : 0;
}
