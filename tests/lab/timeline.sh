#!/usr/bin/env bash
# Lab test for bench/timeline.sh (root): it builds parity with its
# timeline, runs a few namespace starts, and every process of a start has
# stamped its points: the gate opens before the agent passes it, and
# parity's exit is last.
set -uo pipefail
: "${PARITY_SOURCE_ROOT:?}" "${TIMELINE_BUILD:?}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
out=$("$PARITY_SOURCE_ROOT/bench/timeline.sh" --runs 3) || { echo "FAIL: bench/timeline.sh failed"; exit 1; }
echo "$out"
fail=0
med() { awk -v p="$1" 'index($0, p) { print $1; exit }' <<<"$out"; }
for p in "parity main" "parity-nft table applied" "parity-init start" "parity-sup veth" \
	"parity-sup gate open" "parity-agent seccomp" "parity-agent gate passed" "parity-proxy serving" \
	"parity exit"; do
	if [ -n "$(med "$p")" ]; then echo "ok   point: $p"; else echo "FAIL no point: $p"; fail=1; fi
done
if awk -v a="$(med 'parity-sup gate open')" -v b="$(med 'parity-agent gate passed')" \
	-v c="$(med 'parity exit')" 'BEGIN { exit !(a <= b && b <= c) }'; then
	echo "ok   gate open <= gate passed <= exit"
else
	echo "FAIL the points are out of order"
	fail=1
fi
exit "$fail"
