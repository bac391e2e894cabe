#!/usr/bin/env bash
# Lab test (root, to start as someone else): `parity run` started by a
# non-root uid, as a restricted pod starts it, and a supervisor killed from
# outside. Each degradation a non-root start implies must be in the report,
# never claimed as applied:
#   - the capability bounding set cannot shrink (SKIPPED, and the run goes on);
#   - supplementary groups cannot be dropped (SKIPPED, naming them);
#   - there is no PID namespace (SKIPPED);
# and a supervisor killed by a signal is exit 3, not the command's 137.
set -euo pipefail

: "${PARITY_BIN:?PARITY_BIN not set (run through meson test)}"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root"
	exit 77
fi
command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 77; }

tmp=$(mktemp -d)
chmod 0755 "$tmp"
chown 10001:10001 "$tmp" # uid 10001 writes its report there
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what"
		fail=1
	fi
}
entry() { # entry REPORT LAYER ITEM-SUBSTRING -> "status|detail" of the first match
	python3 - "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for e in r["entries"]:
    if e["layer"] == sys.argv[2] and sys.argv[3] in e["item"]:
        print(e["status"] + "|" + e["detail"])
        break
PY
}

rc=0
setpriv --reuid=10001 --regid=10001 --groups=4,27 \
	"$PARITY_BIN" run --quiet --profile platform --report "$tmp/r.json" -- sh -c 'id -G' \
	>"$tmp/out" 2>"$tmp/err" || rc=$?
check "platform started as uid 10001 runs the command (exit 0, got $rc: $(head -c 300 "$tmp/err"))" test "$rc" = 0
check "... which keeps groups 4 and 27 (it cannot drop them)" grep -qw 27 "$tmp/out"
e=$(entry "$tmp/r.json" identity "agent: capability bounding set")
check "... bounding set: skipped, not failed ($e)" test "${e%%|*}" = skipped
e=$(entry "$tmp/r.json" identity "agent: uid/gid")
check "... uid/gid: skipped, naming the kept groups ($e)" \
	bash -c '[[ "$1" == skipped\|*"kept: 4, 27"* ]]' _ "$e"
e=$(entry "$tmp/r.json" pidns "PID namespace")
check "... PID namespace: skipped ($e)" test "${e%%|*}" = skipped

"$PARITY_BIN" run --quiet --profile platform --report "$tmp/root.json" -- true
e=$(entry "$tmp/root.json" pidns "PID namespace")
check "as root: a PID namespace of its own ($e)" test "${e%%|*}" = applied
e=$(entry "$tmp/root.json" identity "agent: uid/gid")
check "as root: no supplementary groups, read back ($e)" \
	bash -c '[[ "$1" == applied\|*"no supplementary groups"* ]]' _ "$e"

# killed_run READY KILL -- CMD...: CMD in the background (its stderr in
# $tmp/err); once the command READY succeeds, SIGKILL what `pkill KILL`
# matches; rc is CMD's exit status.
killed_run() {
	local ready=$1 victim=$2
	shift 3
	rc=0
	"$@" 2>"$tmp/err" &
	local run=$!
	for _ in $(seq 100); do
		eval "$ready" >/dev/null 2>&1 && break
		sleep 0.05
	done
	# shellcheck disable=SC2086
	pkill -KILL $victim || true
	wait "$run" || rc=$?
}

# A supervisor killed from outside is an infrastructure failure (3), the
# command's own SIGKILL stays 137.
killed_run 'pgrep -x parity-sup' '-x parity-sup' -- \
	"$PARITY_BIN" run --quiet --profile none -- sleep 20
check "supervisor SIGKILLed: exit 3 (got $rc)" test "$rc" = 3
check "... saying so" grep -q "supervisor was killed by signal 9" "$tmp/err"
rc=0
"$PARITY_BIN" run --quiet --profile none -- sh -c 'kill -9 $$' || rc=$?
check "the command's own SIGKILL: 137 (got $rc)" test "$rc" = 137

# The PID namespace's init killed from outside takes the sandbox with it:
# exit 3 and said, where it used to be 137 as if the command had been.
killed_run 'pgrep -x parity-sup' '-x parity-init' -- \
	"$PARITY_BIN" run --quiet --profile none -- sleep 20
check "init SIGKILLed: exit 3 (got $rc)" test "$rc" = 3
check "... saying so ($(head -c 200 "$tmp/err"))" grep -q "PID namespace's init (and with it the sandbox) was killed by signal 9" "$tmp/err"
# ... and without a PID namespace (uid 10001), the supervisor itself.
killed_run 'pgrep -u 10001 -x parity-sup' '-u 10001 -x parity-sup' -- \
	setpriv --reuid=10001 --regid=10001 --clear-groups \
	"$PARITY_BIN" run --quiet --profile none -- sleep 20
check "as uid 10001, supervisor SIGKILLed: exit 3 (got $rc)" test "$rc" = 3
check "... saying so ($(head -c 200 "$tmp/err"))" grep -q "the supervisor was killed by signal 9" "$tmp/err"

# The proxy killed while the command runs: the command's exit stands, and
# the run says the proxy died (stderr, and the report's proxy_died).
killed_run 'pgrep -x sleep -P "$(pgrep -x parity-sup | head -1)"' '-x parity-proxy' -- \
	"$PARITY_BIN" run --quiet --profile namespace --report "$tmp/px.json" -- sleep 1
check "proxy SIGKILLed during the command: the command's exit (0, got $rc)" test "$rc" = 0
check "... the proxy's death said ($(head -c 200 "$tmp/err"))" grep -q "the proxy died while the command ran (killed by SIGKILL)" "$tmp/err"
check "... and in the report (proxy_died)" python3 -c 'import json,sys; sys.exit(not json.load(open(sys.argv[1]))["proxy_died"])' "$tmp/px.json"

# A supervisor stopped for a few milliseconds is named at the end: as root
# its parent is the PID namespace's init, as uid 10001 (no PID namespace)
# it is `parity run` itself; either sees every stop through wait().
stop_cont='kill -STOP "$PARITY_SUPERVISOR_PID" && sleep 0.005 && kill -CONT "$PARITY_SUPERVISOR_PID"'
rc=0
"$PARITY_BIN" run --quiet --profile none -- sh -c "$stop_cont" 2>"$tmp/err" || rc=$?
check "as root: a supervisor stopped for 5 ms: the command's exit (0, got $rc)" test "$rc" = 0
check "... and named ($(head -c 300 "$tmp/err"))" \
	grep -q "supervisor was stopped during the run (1 stop, the first by SIGSTOP\|supervisor was stopped during the run (1 continue" "$tmp/err"
rc=0
setpriv --reuid=10001 --regid=10001 --clear-groups \
	"$PARITY_BIN" run --quiet --profile none -- sh -c "$stop_cont" 2>"$tmp/err" || rc=$?
check "as uid 10001: the same stop named ($rc: $(head -c 300 "$tmp/err"))" \
	grep -q "supervisor was stopped during the run (1 stop, the first by SIGSTOP\|supervisor was stopped during the run (1 continue" "$tmp/err"
"$PARITY_BIN" run --quiet --profile none -- true 2>"$tmp/err"
check "a run with no stop says nothing of it" bash -c '! grep -q "supervisor was stopped" "$1"' _ "$tmp/err"

exit "$fail"
