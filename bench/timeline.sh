#!/usr/bin/env bash
# Where a start's time goes, step by step (root): builds parity with its
# timeline (build-timeline/, `meson setup -Dtimeline=true`; a normal build
# has none), runs N starts of a profile with PARITY_TIMELINE_OUT, and prints
# each point's median and quartiles in ms from parity's main(), sorted by
# median, with the process that stamped it. The first 2 starts warm up and
# are not counted. Points are made with TL("...") (core/timeline.h).
#   bench/timeline.sh [--runs N] [--profile P] [--keep FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=40 profile=namespace keep=
while (($#)); do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--profile) profile=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	-h | --help) sed -n '2,8p' "$0"; exit 0 ;;
	*) echo "timeline: unknown option $1" >&2; exit 2 ;;
	esac
done
[[ "$runs" =~ ^[0-9]+$ ]] && ((runs >= 1)) || { echo "timeline: --runs: a count >= 1" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "timeline: needs root" >&2; exit 2; }
dir=${TIMELINE_BUILD:-build-timeline}
if [ ! -d "$dir" ]; then
	meson setup "$dir" -Dtimeline=true -Dtests=false >/dev/null
fi
ninja -C "$dir" parity >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
export PARITY_PROFILE_DIR=${PARITY_PROFILE_DIR:-$PWD/enforcer/profiles}
for ((i = 0; i < runs + 2; i++)); do
	PARITY_TIMELINE_OUT=$out "$dir/parity" run --quiet --profile "$profile" -- /bin/true ||
		{ echo "timeline: start $i failed" >&2; exit 1; }
done
[ -n "$keep" ] && cp "$out" "$keep"
# "ms role what" lines, "--" between starts: skip 2 starts, then per point
# (role and what) its values sorted, and the quartiles read off by count.
awk -v skip=2 '$0 == "--" { run++; next } run >= skip { ms = $1; $1 = ""; print substr($0, 2) "\t" ms }' "$out" |
	sort -t$'\t' -k1,1 -k2,2g |
	awk -F'\t' '
	function flush() {
		if (n) printf "%9.3f %9.3f %9.3f  %4d  %s\n", v[int((n - 1) / 2)], v[int((n - 1) / 4)], v[int(3 * (n - 1) / 4)], n, key
	}
	$1 != key { flush(); key = $1; n = 0 }
	{ v[n++] = $2 }
	END { flush() }' |
	sort -k1,1g |
	{ printf "%9s %9s %9s  %4s  %s\n" median p25 p75 runs "process and point (ms from main(), profile $profile)"; cat; }
