#!/usr/bin/env bash
# Bad arguments to the commands that need no root: each is a usage error
# (exit 2) whose message names what was wrong (the option, the argument or
# the file), never a crash, a silent default or an exit 0.
set -uo pipefail
: "${PARITY_BIN:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
# want MESSAGE-PART -- ARGS...: exit 2 and the part in stderr
want() {
	local part=$1
	shift 2
	local err rc
	err=$("$PARITY_BIN" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = 2 ] && [[ "$err" == *"$part"* ]]; then
		echo "ok   parity $*: $part"
	else
		echo "FAIL parity $*: exit $rc, want 2 and '$part' in: ${err%%$'\n'*}"
		fail=1
	fi
}
mkdir -p "$tmp/shard"
printf '{"name":"x"}\0junk' >"$tmp/nul.json"
want "unknown or incomplete option '--bogus'" -- report render --bogus
want "--out DIR is required" -- report render r.json
want "no RESULTS.json given" -- report render --out "$tmp/o"
want "one RESULTS.json only" -- report render a.json b.json --out "$tmp/o"
want "--expect needs a FILE" -- report render r.json --out "$tmp/o" --expect
want "a directory, not a JSON file" -- report render "$tmp" --out "$tmp/o"
want "no shard directory given" -- report merge --out "$tmp/o"
want "unknown or incomplete option '--bogus'" -- report merge "$tmp/shard" --bogus --out "$tmp/o"
want "is shard" -- report merge "$tmp/shard" --out "$tmp/shard/"
want "unknown or incomplete option '--bogus'" -- report kernels --bogus
want "unexpected argument '--bogus'" -- attack show T01 --bogus extra
want "larger than" -- proxy --listen 127.0.0.1:41999 --policy /dev/zero
want "NUL byte" -- proxy --listen 127.0.0.1:41999 --policy "$tmp/nul.json"
want "--log /nonexistent/dir/x.log" -- proxy --listen 127.0.0.1:41999 --log /nonexistent/dir/x.log
want "unknown or incomplete option '-x'" -- matrix -x
want "unknown or incomplete option '--jobs'" -- matrix --jobs
want "unknown or incomplete option '-Z'" -- run -Z --profile none -- true
want "--family given twice" -- attack list --family tcp --family udp
want "--shard given twice" -- matrix --shard 1/2 --shard 2/2
# An expectation set kept in a results file that no longer parses is named
# where it is (the results, the set's index) and where it came from; the
# file it came from (fine, or gone) used to take the blame.
python3 - "${PARITY_SOURCE_ROOT:?}/tests/fixtures/results/results.json" "$tmp/badset.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["expectations"]["sets"][1]["entries"][0]["verdict"] = "MAYBE"
json.dump(r, open(sys.argv[2], "w"))
PY
mkdir -p "$tmp/badshard" && cp "$tmp/badset.json" "$tmp/badshard/results.json"
want "$tmp/badset.json: field 'expectations.sets[1]' (the set kept from matrix/expectations/known-gaps.json): field 'entries[0].verdict'" \
	-- report render "$tmp/badset.json" --recompute --out "$tmp/o"
want "$tmp/badshard/results.json: field 'expectations.sets[1]' (the set kept from" \
	-- report merge "$tmp/badshard" --out "$tmp/o"
# The output folder is written only inside (a review, 2026-11-30): a
# symbolic link planted as evidence/ is refused before any report is
# written, and one planted as a report's .tmp is replaced, not written
# through.
fx="${PARITY_SOURCE_ROOT:?}/tests/fixtures/results/results.json"
mkdir -p "$tmp/outside" "$tmp/o2"
ln -s "$tmp/outside" "$tmp/o2/evidence"
want "evidence: a symbolic link, not a directory: refused" -- report render "$fx" --out "$tmp/o2"
if [ -z "$(ls -A "$tmp/outside")" ] && [ ! -e "$tmp/o2/matrix.md" ]; then
	echo "ok   render with a symlinked evidence/: nothing written, there or outside"
else
	echo "FAIL render with a symlinked evidence/ wrote: $(ls -A "$tmp/outside" "$tmp/o2")"
	fail=1
fi
mkdir -p "$tmp/o3" && echo precious >"$tmp/outside/precious.txt"
ln -s "$tmp/outside/precious.txt" "$tmp/o3/matrix.md.tmp"
"$PARITY_BIN" report render "$fx" --out "$tmp/o3" >/dev/null 2>&1
if [ "$(cat "$tmp/outside/precious.txt")" = precious ] && [ -f "$tmp/o3/matrix.md" ] &&
	[ ! -L "$tmp/o3/matrix.md" ]; then
	echo "ok   render with a planted matrix.md.tmp link: the link's target untouched"
else
	echo "FAIL render wrote through a planted matrix.md.tmp link"
	fail=1
fi
# A mistake is named before the root check: as nobody, a bad option is
# exit 2, not "needs root" (exit 3).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$PARITY_BIN" matrix --quiet \
		--out "$tmp/mx" --landlock-abi x 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = 2 ] && [[ "$err" == *"--landlock-abi"* ]] && [ ! -e "$tmp/mx" ]; then
		echo "ok   matrix --landlock-abi x as nobody: exit 2, named, nothing written"
	else
		echo "FAIL matrix --landlock-abi x as nobody: exit $rc: ${err%%$'\n'*}"
		fail=1
	fi
fi
exit "$fail"
