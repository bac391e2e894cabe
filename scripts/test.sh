#!/usr/bin/env bash
# The whole test suite, as CI runs it (as root on a fresh Debian 12):
#   1. install dependencies and build (scripts/setup.sh)
#   2. unit suite under ASan+UBSan (build-san/)
#   3. unit, lab and vm suites on the normal build (lab and vm need root)
#   4. with the lab suite: the enforcer's lab tests again on the ASan+UBSan
#      build (leak detection off there: LeakSanitizer needs ptrace, which
#      the sandboxes it runs in refuse)
# Prints one plain line at the end: "N passed, N failed, N skipped".
#   scripts/test.sh [--suite NAME]...   (default: unit lab vm)
set -uo pipefail
cd "$(dirname "$0")/.."

suites=()
while (($#)); do
	case "$1" in
	--suite) suites+=("$2"); shift 2 ;;
	*) echo "test: unknown option $1" >&2; exit 2 ;;
	esac
done
((${#suites[@]})) || suites=(unit lab vm)

scripts/setup.sh --sanitize || { echo "0 passed, 1 failed"; exit 1; }

# The lab tests that drive the enforcer (netns and its nftables worker, the
# proxy, notify mediation, strict mode, the matrix's labs), run a second
# time against build-san: memory errors in root-only paths the unit suite
# cannot reach. (registry-full is left out: under ASan every attack runs
# about four times slower, and a few timing-bound controls come out
# INCONCLUSIVE.)
san_lab=(net-nft-worker net-nft-output-worker net-leak run-platform run-namespace run-leak
	notify-run notify-attacks strict-run strict-attacks attack-exec matrix-small
	matrix-schema proxy_relay proxy_concurrent)

pass=0 fail=0 skip=0
count() { # meson's testlog.json: one JSON object per test
	local log=$1
	[ -f "$log" ] || return 0
	local p f s
	p=$(grep -c '"result": "OK"' "$log" || true)
	f=$(grep -cE '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
	s=$(grep -c '"result": "SKIP"' "$log" || true)
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

for s in "${suites[@]}"; do
	if [ "$s" = unit ]; then
		echo "== unit suite (ASan+UBSan build)"
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			meson test -C build-san --suite unit --print-errorlogs --no-rebuild \
			--logbase san-unit >/dev/null 2>&1 || true
		count build-san/meson-logs/san-unit.json
		grep -hE '"result": "(FAIL|TIMEOUT|ERROR)"' build-san/meson-logs/san-unit.json \
			| sed -E 's/.*"name": "([^"]+)".*/  FAILED (sanitizer): \1/' || true
	fi
	echo "== $s suite"
	meson test -C build --suite "$s" --print-errorlogs --no-rebuild --logbase "$s" \
		--num-processes 1 2>&1 | grep -E '^ *[0-9]+/[0-9]+ ' || true
	count "build/meson-logs/$s.json"
	if [ "$s" = lab ]; then
		echo "== lab: the enforcer's tests on the ASan+UBSan build"
		ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			meson test -C build-san --print-errorlogs --no-rebuild --logbase san-lab \
			--num-processes 1 "${san_lab[@]}" 2>&1 | grep -E '^ *[0-9]+/[0-9]+ ' |
			sed 's/^/  (sanitizer) /' || true
		count build-san/meson-logs/san-lab.json
	fi
done

echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
