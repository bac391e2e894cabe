#!/bin/sh
# guest/matrix.sh - the matrix payload (vmtests/matrix.sh installs it as
# /payload/run). Runs inside the guest with RESULTS=/results:
#
#   parity probe --json          > $RESULTS/probe.json
#   parity matrix --landlock-abi kernel --profiles PROFILES
#                 --out $RESULTS/matrix --quiet [--attacks SET] [--jobs N]
#
# The parity tree is at /opt/parity, laid out as the source tree is
# (build/parity, enforcer/profiles, enforcer/policies, matrix/expectations),
# so the binary finds its profiles, policies and expectation sets where it
# looks for them next to itself. /payload/config (written by matrix.sh) sets
# PROFILES, ATTACKS, JOBS and MATRIX_TIMEOUT (seconds: the matrix is stopped
# then, before the host's bound, so that the probe and logs still come back).
#
# The matrix's own exit status (0 as expected, 1 a regression, 3 infra) is a
# result, not a failure of the guest: it goes to $RESULTS/matrix.status and
# the payload exits 0 once results.json exists. Without a probe or without
# results.json the payload fails (the host then reports the kernel FAIL with
# the payload's log).
PATH=/opt/parity/build:$PATH
export PATH
PROFILES=none,namespace,platform ATTACKS="" JOBS="" MATRIX_TIMEOUT=""
[ -f /payload/config ] && . /payload/config

t0=$(cut -d' ' -f1 /proc/uptime)
if ! parity probe --json >"$RESULTS/probe.json" 2>"$RESULTS/probe.err"; then
	echo "matrix.sh: parity probe failed:"
	cat "$RESULTS/probe.err"
	exit 2
fi
echo "probe: $(grep -o '"kernel_release": *"[^"]*"' "$RESULTS/probe.json" | head -n1)"
set -- --landlock-abi kernel --profiles "$PROFILES" --out "$RESULTS/matrix" --quiet
[ -z "$ATTACKS" ] || set -- "$@" --attacks "$ATTACKS"
[ -z "$JOBS" ] || set -- "$@" --jobs "$JOBS"
echo "parity matrix $*"
t1=$(cut -d' ' -f1 /proc/uptime)
if [ -n "$MATRIX_TIMEOUT" ]; then
	timeout -s TERM "$MATRIX_TIMEOUT" parity matrix "$@"
else
	parity matrix "$@"
fi
rc=$?
t2=$(cut -d' ' -f1 /proc/uptime)
echo "$rc" >"$RESULTS/matrix.status"
printf 'probe_start=%s\nmatrix_start=%s\nmatrix_end=%s\n' "$t0" "$t1" "$t2" >"$RESULTS/timings"
echo "matrix exit status $rc (uptime $t1 -> $t2)"
[ -f "$RESULTS/matrix/results.json" ] || { echo "matrix.sh: no results.json"; exit 3; }
exit 0
