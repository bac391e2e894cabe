#!/usr/bin/env bash
# Lab test for bench/startup.sh and benchtime (root): a short run prints
# every peer's median and each ratio with its 95% interval, and
# benchtime's -o writes every run, round by round, which the interval is
# computed from. Bad counts are a usage error.
set -uo pipefail
: "${PARITY_SOURCE_ROOT:?}" "${PARITY_BIN:?}" "${BENCHTIME:?}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}

"$BENCHTIME" -n 4 -w 1 -o "$tmp/raw" -- true --- sleep 0.002 >"$tmp/out"
check "benchtime: one summary line per command" test "$(grep -c median_ms= "$tmp/out")" = 2
check "benchtime -o: 4 rounds of 2 columns" \
	awk 'NF != 2 { exit 1 } END { exit NR != 4 }' "$tmp/raw"
check "benchtime -o: the second command is the slower in every round" \
	awk '$2 <= $1 || $2 < 2 { exit 1 }' "$tmp/raw"
for bad in "-n 0" "-n x" "-w -1" "-s 1e3"; do
	# shellcheck disable=SC2086
	"$BENCHTIME" $bad -- true >/dev/null 2>&1
	check "benchtime $bad: usage error (exit $?)" test $? = 2
done

out=$(PARITY_BIN=$PARITY_BIN BENCHTIME=$BENCHTIME "$PARITY_SOURCE_ROOT/bench/startup.sh" --runs 3) ||
	{ echo "FAIL bench/startup.sh failed: $out"; exit 1; }
echo "$out"
for p in platform namespace; do
	line=$(grep "parity run --profile $p " <<<"$out")
	# "1.98x bwrap (95% 1.78-2.09; target <= 2)": an interval, low <= high
	# (with 3 rounds the ratio itself may fall outside a percentile interval)
	check "$p: a ratio with its 95% interval ($line)" \
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+x$/ && $(i + 2) == "(95%" &&
			$(i + 3) ~ /^[0-9.]+-[0-9.]+;$/) {
			split($(i + 3), b, "-"); exit !(b[1] + 0 > 0 && b[1] + 0 <= b[2] + 0) }
			exit 1 }' <<<"$line"
done
check "the CLI script's line" grep -q "reference CLI script (ip, nft) .* namespace = .*x of it" <<<"$out"
check "the libnftables engine's line" \
	grep -Eq "namespace, nftables_engine libnftables +[0-9.]+ ms .*over the netlink engine" <<<"$out"
exit "$fail"
