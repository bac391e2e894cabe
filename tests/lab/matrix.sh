#!/usr/bin/env bash
# Lab tests for `parity matrix` and `parity report` (root, real labs):
#   small       T01, T04 under none/namespace/platform at the kernel's ABI and
#               ABI 3 with tests/fixtures/expectations/lab-small.json: exit 0,
#               every report written, captures only for escaped cells
#   weakened    the same with a platform copy whose Landlock connect rule is
#               removed: exit 1, the regressed cell named with its rationale
#   weakened-udp  platform without its UDP seccomp rules and a UDP attack
#               (U01): exit 1 naming it; skipped until U01 is in the registry
#   schema      results.json validates against docs/schema/results.schema.json
#               (and its probe against probe.schema.json)
#   shards      --shard 1/2 and 2/2, merged, hold the same cells and parity
#               rows as the unsharded run; render reproduces the reports
#   html        matrix.html opens in headless Chromium without console errors,
#               its script ran, a cell's detail view shows the reproduce
#               command, and the screenshot is a real picture of the matrix
#   usage       bad expectation files and arguments exit 2 naming file/field
# Usage: matrix.sh CASE
set -euo pipefail

: "${PARITY_BIN:?PARITY_BIN not set (run through meson test)}"
: "${PARITY_SOURCE_ROOT:?}"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root"
	exit 77
fi
case_=${1:?usage: matrix.sh CASE}
fix=$PARITY_SOURCE_ROOT/tests/fixtures
schema=$PARITY_SOURCE_ROOT/docs/schema
py=/usr/bin/python3 # Debian's, with python3-jsonschema
tmp=$(mktemp -d)
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

small=(--attacks T01,T04 --landlock-abi kernel,3 --profiles none,namespace,platform
	--expect "$fix/expectations/lab-small.json" --jobs 2 --quiet)

run_matrix() { # run_matrix OUT ARGS... ; sets rc
	local out=$1
	shift
	rc=0
	"$PARITY_BIN" matrix "$@" --out "$out" >"$out.stdout" 2>"$out.stderr" || rc=$?
	# These tests are about verdicts, not about a lab that failed to start
	# (an INCONCLUSIVE cell, with its reason): say so and run once more.
	if [ -f "$out/results.json" ] && grep -q '"verdict": "INCONCLUSIVE"' "$out/results.json"; then
		echo "note: INCONCLUSIVE cells, running again:"
		$py -c 'import json,sys
for c in json.load(open(sys.argv[1]))["cells"]:
    if c["verdict"] == "INCONCLUSIVE": print("  ", c["id"], c["reason"][:200])' "$out/results.json"
		rc=0
		"$PARITY_BIN" matrix "$@" --out "$out" >"$out.stdout" 2>"$out.stderr" || rc=$?
	fi
	if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
		sed 's/^/  | /' "$out.stderr" "$out.stdout" | tail -20
	fi
}

case "$case_" in
small)
	run_matrix "$tmp/small" "${small[@]}"
	check "small matrix exits 0 (rc=$rc)" test "$rc" = 0
	for f in results.json matrix.md parity.md matrix.html junit.xml; do
		check "$f written" test -s "$tmp/small/$f"
	done
	check "summary says exit 0" grep -q '^exit 0: no cell worse than expected' "$tmp/small.stdout"
	$py - "$tmp/small/results.json" "$tmp/small" <<'EOF' || fail=1
import json, os, sys
r = json.load(open(sys.argv[1]))
cells = {c["id"]: c for c in r["cells"]}
kernel = r["run"]["kernel_abi"]
want = {f"T01/none", f"T04/none"} | {f"{a}/{p}/abi{n}" for a in ("T01", "T04")
        for p in ("namespace", "platform") for n in (kernel, 3)}
assert set(cells) == want, (sorted(cells), sorted(want))
assert r["summary"]["exit_code"] == 0
assert cells["T04/none"]["verdict"] == "ESCAPED"
assert cells[f"T04/platform/abi{kernel}"]["verdict"] == "ESCAPED"
assert cells[f"T01/platform/abi{kernel}"]["verdict"] in ("BLOCKED", "KILLED")
assert cells["T01/platform/abi3"]["verdict"] == "ESCAPED"
# one control per attack, shared by its cells
for c in r["cells"]:
    if c["role"] == "cell":
        assert c["control"]["marker"] == cells[c["attack"] + "/none"]["marker"], c["id"]
# a capture for each escaped cell, none for the others
for c in r["cells"]:
    if c["verdict"] == "ESCAPED":
        assert c["pcap"] and os.path.getsize(os.path.join(sys.argv[2], c["pcap"])) > 0, c["id"]
    else:
        assert c["pcap"] is None, c["id"]
files = sorted(os.listdir(os.path.join(sys.argv[2], "evidence")))
assert files == sorted(os.path.basename(c["pcap"]) for c in r["cells"] if c["pcap"]), files
rows = {x["id"]: x["status"] for x in r["parity"]}
assert rows[f"T04/platform/abi{kernel} vs namespace"] == "GAP", rows
assert rows[f"T01/platform/abi{kernel} vs namespace"] == "PARITY", rows
print("ok: cells, shared controls, captures, parity rows")
EOF
	if command -v tcpdump >/dev/null; then
		check "an evidence capture reads back with tcpdump" \
			tcpdump -nr "$tmp/small/evidence/T04_platform_abi3.pcapng" -c 1
	fi
	check "junit.xml has one testcase per cell" test \
		"$(grep -c '<testcase ' "$tmp/small/junit.xml")" = 10
	check "matrix.md groups by family" grep -q '^## TCP proxy bypass' "$tmp/small/matrix.md"
	check "parity.md shows the PR's TCP claim failing" \
		grep -q '^| TCP bypass proxy .*fails.*T04 GAP' "$tmp/small/parity.md"
	;;
weakened)
	run_matrix "$tmp/w" --attacks T01,T04 --landlock-abi kernel,3 \
		--profiles "none,namespace,$fix/profiles/platform-no-connect.json" \
		--expect "$fix/expectations/lab-small.json" --jobs 2 --quiet
	kernel=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["kernel_abi"])' \
		"$tmp/w/results.json")
	check "weakened profile exits 1 (rc=$rc)" test "$rc" = 1
	check "the regressed cell is named with what was expected" \
		grep -q "^  T01/platform/abi$kernel: expected CONTAINED, got ESCAPED (lab-small/t01-platform)" \
		"$tmp/w.stdout"
	check "its rationale is printed" grep -q 'why expected: Landlock CONNECT_TCP allows port 3128 only' \
		"$tmp/w.stdout"
	check "its reproduce command names the profile file" \
		grep -q "reproduce: parity attack run T01 --profile /.*platform-no-connect.json --landlock-abi $kernel" \
		"$tmp/w.stdout"
	check "junit.xml has the failure" grep -q '<failure type="regression" message="expected CONTAINED, got ESCAPED"' \
		"$tmp/w/junit.xml"
	check "only that cell regressed" test "$(grep -c '^  T0.*expected .*, got ' "$tmp/w.stdout")" = 1
	;;
weakened-udp)
	if ! "$PARITY_BIN" attack show U01 >/dev/null 2>&1; then
		echo "SKIP: no U01 in the registry yet"
		exit 77
	fi
	run_matrix "$tmp/u" --attacks U01 --landlock-abi kernel \
		--profiles "none,namespace,$fix/profiles/platform-no-udp.json" \
		--expect "$fix/expectations/lab-small.json" --jobs 2 --quiet
	check "platform without its UDP rules exits 1 (rc=$rc)" test "$rc" = 1
	check "U01 is named as regressed" grep -q '^  U01/platform/abi[0-9]*: expected CONTAINED, got ESCAPED' \
		"$tmp/u.stdout"
	run_matrix "$tmp/u2" --attacks U01 --landlock-abi kernel --profiles none,namespace,platform \
		--expect "$fix/expectations/lab-small.json" --jobs 2 --quiet
	check "the shipped platform contains U01 (rc=$rc)" test "$rc" = 0
	;;
schema)
	run_matrix "$tmp/s" "${small[@]}"
	check "matrix ran (rc=$rc)" test "$rc" = 0
	$py - "$tmp/s/results.json" "$schema/results.schema.json" "$schema/probe.schema.json" <<'EOF' || fail=1
import json, sys
import jsonschema
doc = json.load(open(sys.argv[1]))
for path, part in ((sys.argv[2], doc), (sys.argv[3], doc["probe"])):
    schema = json.load(open(path))
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(part))
    for e in errors[:20]:
        print("  ", "/".join(map(str, e.absolute_path)), e.message[:200])
    assert not errors, path
print("ok: results.json and its probe validate")
EOF
	;;
shards)
	run_matrix "$tmp/all" "${small[@]}"
	check "unsharded run (rc=$rc)" test "$rc" = 0
	run_matrix "$tmp/s1" "${small[@]}" --shard 1/2
	check "shard 1/2 (rc=$rc)" test "$rc" = 0
	run_matrix "$tmp/s2" "${small[@]}" --shard 2/2
	check "shard 2/2 (rc=$rc)" test "$rc" = 0
	rc=0
	"$PARITY_BIN" report merge "$tmp/s1" "$tmp/s2" --out "$tmp/m" >"$tmp/merge.out" || rc=$?
	check "merge exits 0 (rc=$rc)" test "$rc" = 0
	$py - "$tmp/all/results.json" "$tmp/s1/results.json" "$tmp/s2/results.json" \
		"$tmp/m/results.json" <<'EOF' || fail=1
import json, sys
a, s1, s2, m = (json.load(open(p)) for p in sys.argv[1:])
key = lambda r: [(c["id"], c["verdict"]) for c in r["cells"]]
ids = lambda r: {c["id"] for c in r["cells"] if c["role"] == "cell"}
assert ids(s1) and ids(s2) and not ids(s1) & ids(s2), "shards overlap or are empty"
assert key(m) == key(a), (key(m), key(a))
rows = lambda r: [(x["id"], x["status"]) for x in r["parity"]]
assert rows(m) == rows(a), (rows(m), rows(a))
assert m["run"]["shard"] == {"index": 0, "count": 2}
print("ok: merged shards = unsharded run (%d cells)" % len(m["cells"]))
EOF
	for f in $(cd "$tmp/m/evidence" && ls); do
		check "merged evidence $f" test -s "$tmp/m/evidence/$f"
	done
	# a capture comes from the shard whose results name it: a file of the
	# same name planted in the other shard's folder (listed first) is not it
	f=$(cd "$tmp/s2/evidence" && ls | head -n 1)
	if [ -n "$f" ]; then
		echo "planted, not shard 2's capture" >"$tmp/s1/evidence/$f"
		rc=0
		"$PARITY_BIN" report merge "$tmp/s1" "$tmp/s2" --out "$tmp/m2" >/dev/null || rc=$?
		check "merge with a planted capture exits 0 (rc=$rc)" test "$rc" = 0
		check "the merged $f is shard 2's, not the planted one" \
			cmp -s "$tmp/s2/evidence/$f" "$tmp/m2/evidence/$f"
		rm -f "$tmp/s1/evidence/$f"
	else
		echo "FAIL shard 2 has no capture to check the merge's provenance with"
		fail=1
	fi
	rc=0
	"$PARITY_BIN" report merge "$tmp/s1" --out "$tmp/bad" >/dev/null 2>"$tmp/bad.err" || rc=$?
	check "merging one shard of two exits 2 (rc=$rc)" test "$rc" = 2
	rc=0
	"$PARITY_BIN" report render "$tmp/all/results.json" --out "$tmp/r" >/dev/null || rc=$?
	check "render exits 0 (rc=$rc)" test "$rc" = 0
	for f in matrix.md parity.md matrix.html junit.xml; do
		check "render reproduces $f" cmp -s "$tmp/all/$f" "$tmp/r/$f"
	done
	;;
html)
	run_matrix "$tmp/h" "${small[@]}"
	check "matrix ran (rc=$rc)" test "$rc" = 0
	if ! command -v chromium >/dev/null; then
		echo "SKIP: chromium is not installed (scripts/setup.sh installs it)"
		exit 77
	fi
	kernel=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["kernel_abi"])' \
		"$tmp/h/results.json")
	check "no http(s) or external reference in matrix.html" \
		bash -c "! grep -Eq '(src|href)=\"(https?:|//|[a-z]+\\.)' '$tmp/h/matrix.html'"
	chrome() { # chrome LOG ARGS... (a fresh profile each time; no network, no sync)
		local log=$1
		shift
		timeout 120 chromium --headless --no-sandbox --disable-gpu \
			--disable-background-networking --disable-component-update --disable-sync \
			--no-first-run --user-data-dir="$(mktemp -d -p "$tmp")" \
			--enable-logging=stderr --v=0 "$@" 2>"$log"
	}
	url="file://$tmp/h/matrix.html"
	chrome "$tmp/dom.log" --dump-dom "$url#cell=T04/platform/abi$kernel" >"$tmp/dom.html" || true
	check "the page's script ran" grep -q 'data-ready="1"' "$tmp/dom.html"
	check "the detail view shows the reproduce command" \
		grep -q "parity attack run T04 --profile platform --landlock-abi $kernel" "$tmp/dom.html"
	check "the detail view shows the capture file" grep -q "evidence/T04_platform_abi$kernel.pcapng" \
		"$tmp/dom.html"
	chrome "$tmp/shot.log" --window-size=1280,900 --screenshot="$tmp/shot.png" "$url" >/dev/null || true
	for log in "$tmp/dom.log" "$tmp/shot.log"; do
		if grep -E 'CONSOLE|Uncaught|Content.Security.Policy|Refused to' "$log"; then
			echo "FAIL: console messages in $(basename "$log")"
			fail=1
		else
			echo "ok: no console messages ($(basename "$log"))"
		fi
	done
	$py - "$tmp/shot.png" <<'EOF' || fail=1
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h, depth, ctype = struct.unpack(">IIBB", data[16:26])
assert (w, h) == (1280, 900), (w, h)
# Decode the image and count colours: the matrix paints green (blocked) and
# red (ESCAPED) cells; a blank or error page has neither.
chunks, i = [], 8
while i < len(data):
    n, = struct.unpack(">I", data[i:i + 4]); t = data[i + 4:i + 8]
    if t == b"IDAT":
        chunks.append(data[i + 8:i + 8 + n])
    i += 12 + n
raw = zlib.decompress(b"".join(chunks))
bpp = {2: 3, 6: 4}[ctype]
stride = w * bpp
prev = bytearray(stride)
green = red = 0
pos = 0
for y in range(h):
    f = raw[pos]; line = bytearray(raw[pos + 1:pos + 1 + stride]); pos += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        rgb = tuple(line[x:x + 3])
        if rgb == (0xe8, 0xf5, 0xe9): green += 1
        if rgb == (0xff, 0xcd, 0xd2): red += 1
    prev = line
assert green > 500 and red > 500, (green, red)
print("ok: the screenshot shows the matrix (%d green, %d red pixels)" % (green, red))
EOF
	;;
usage)
	printf '{"schema":"parity.expectations/1","name":"x","entries":[{"attacks":"T01","profile":"platform","abi":"sometimes","verdict":"BLOCKED","rationale":"r","reference":"x"}]}' \
		>"$tmp/bad.json"
	run_matrix "$tmp/b" "${small[@]:0:6}" --expect "$tmp/bad.json"
	check "a bad expectation file exits 2 (rc=$rc)" test "$rc" = 2
	check "the error names the file and the field" \
		grep -q "bad.json: field 'entries\[0\].abi'" "$tmp/b.stderr"
	check "nothing ran" test ! -e "$tmp/b/results.json"
	run_matrix "$tmp/b2" --attacks T01 --landlock-abi 99
	check "an ABI above the kernel's exits 2 (rc=$rc)" test "$rc" = 2
	run_matrix "$tmp/b3" --attacks 'NOPE*'
	check "no matching attack exits 2 (rc=$rc)" test "$rc" = 2
	run_matrix "$tmp/b4" --shard 3/2
	check "a bad shard exits 2 (rc=$rc)" test "$rc" = 2
	run_matrix "$tmp/b5" --profiles none,nosuchprofile
	check "an unknown profile exits 2 (rc=$rc)" test "$rc" = 2
	;;
*)
	echo "unknown case $case_" >&2
	exit 2
	;;
esac
exit $fail
