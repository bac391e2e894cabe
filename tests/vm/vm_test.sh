#!/usr/bin/env bash
# vm_test.sh CASE [KERNEL] - one test of the vm suite (tests/vm/meson.build).
#
#   fetch-cached      fetch every kernel, then fetch again with apt-get and
#                     apt-cache replaced by failing stubs: the second fetch
#                     must succeed from the cache alone
#   kernel NAME       boot NAME with the demonstration payload: it must
#                     report, and report the Landlock ABI kernels.json expects
#   broken-init       a guest whose PID 1 exits: INCONCLUSIVE, panic in the log
#   panic-cmdline     a command line that panics (no init, no root): INCONCLUSIVE
#   hang              a payload that never ends, host timeout 25 s: INCONCLUSIVE
#   tamper            a payload that forges a block on the results channel:
#                     INCONCLUSIVE, never a pass
#   forge-reboot      a payload forges a well-formed report and reboots before
#                     the init can write: only the key tells; INCONCLUSIVE
#   payload-fail      a payload exiting 3: REPORTED status=3, its results back
#   payload-timeout   a payload killed by the guest's timeout: REPORTED
#                     status=137, its partial results back
#   matrix            `parity vm run` (vmtests/matrix.sh) on every kernel with
#                     the attacks of $VM_MATRIX_ATTACKS and the host's column:
#                     every kernel PASS (reported, the expected Landlock ABI
#                     in its probe, no cell worse than the expectations for
#                     it), kernel-compat.md and merged/ written
#   matrix-t01        on the matrix test's results: platform's T01 is BLOCKED
#                     on 6.12 and ESCAPED on 6.1 and 6.1-nolandlock, namespace
#                     BLOCKS it on all three, each at the kernel's own ABI
#   matrix-broken     the matrix in a guest whose command line panics:
#                     INCONCLUSIVE, exit 4, console log kept, its column in
#                     kernel-compat.md says why
#   matrix-abi        a kernels.json that expects another ABI than the probe
#                     shows: INCONCLUSIVE, exit 4
# Output goes to $PARITY_BUILD_ROOT/vm-tests/CASE/. Exit 77 (skip) when not root.
set -euo pipefail
src=${PARITY_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${PARITY_BUILD_ROOT:-$src/build}
vm=$src/vmtests
export PARITY_BIN=${PARITY_BIN:-$bld/parity}
here=$src/tests/vm
case_=${1:?usage: vm_test.sh CASE [KERNEL]}
kernel=${2:-${VM_TEST_KERNEL:-debian-6.1}}
[ "$(id -u)" = 0 ] || { echo "SKIP: the vm suite needs root (QEMU, mknod in the initramfs)"; exit 77; }
out=$bld/vm-tests/$case_${2:+-$2}
rm -rf "$out"
mkdir -p "$out"

fail() { echo "FAIL: $*"; exit 1; }
show() { # show DIR: what a reviewer needs when a test fails
	echo "--- verdict: $(cat "$1/verdict" 2>/dev/null)"
	echo "--- console log ($1/console.log), last lines:"
	tail -n 15 "$1/console.log" 2>/dev/null || true
}
# expect_inconclusive RC DIR PATTERN: INCONCLUSIVE with the log kept
expect_inconclusive() {
	local rc=$1 d=$2 pat=$3
	show "$d"
	[ "$rc" = 4 ] || fail "exit status $rc, expected 4 (INCONCLUSIVE)"
	grep -q '^INCONCLUSIVE' "$d/verdict" || fail "verdict is not INCONCLUSIVE"
	grep -q "$pat" "$d/verdict" || fail "verdict does not say '$pat'"
	[ -s "$d/console.log" ] || fail "the console log was not kept"
	[ ! -e "$d/results" ] || fail "results were accepted from a broken guest"
	echo "PASS: $(cat "$d/verdict")"
}

rc=0
case "$case_" in
fetch-cached)
	"$vm/fetch.sh" || fail "first fetch failed"
	mkdir -p "$out/stubs"
	for t in apt-get apt-cache; do
		printf '#!/bin/sh\necho "%s called: $*" >>"%s/called"\nexit 1\n' "$t" "$out" >"$out/stubs/$t"
		chmod +x "$out/stubs/$t"
	done
	PATH=$out/stubs:$PATH "$vm/fetch.sh" | tee "$out/second.txt" || fail "second fetch failed without apt"
	[ ! -e "$out/called" ] || fail "second fetch used apt: $(cat "$out/called")"
	n=$(grep -c 'cached, nothing downloaded' "$out/second.txt" || true)
	((n >= 1)) || fail "second fetch did not report its cache"
	"$vm/fetch.sh" --list
	echo "PASS: second fetch downloaded nothing"
	;;
kernel)
	[ -n "${2:-}" ] || fail "kernel NAME"
	"$vm/run.sh" --out "$out" "$kernel" || rc=$?
	d=$out/$kernel
	cat "$d/state" 2>/dev/null || true
	((rc == 0)) || { show "$d"; fail "run.sh exit status $rc"; }
	want=$(bash -c '. "$1/lib.sh" && load_record "$2" && echo "$KVER"' vm_test "$vm" "$kernel")
	got=$(cat "$d/results/uname")
	[ "$got" = "$want" ] || fail "guest runs $got, fetched $want"
	echo "PASS: $kernel runs $got, Landlock ABI $(cat "$d/results/landlock_abi"), LSMs $(cat "$d/results/lsm")"
	;;
broken-init)
	"$vm/run.sh" --out "$out" --init "$here/bad-init" --timeout 120 "$kernel" || rc=$?
	expect_inconclusive "$rc" "$out/$kernel" 'kernel panic'
	grep -q 'Attempted to kill init' "$out/$kernel/console.log" || fail "no 'Attempted to kill init' in the log"
	;;
panic-cmdline)
	"$vm/run.sh" --out "$out" --append "rdinit=/nonexistent root=/dev/nonexistent" --timeout 120 "$kernel" || rc=$?
	expect_inconclusive "$rc" "$out/$kernel" 'kernel panic'
	;;
hang)
	"$vm/run.sh" --out "$out" --run "$here/hang.sh" --timeout 25 --payload-timeout 600 "$kernel" || rc=$?
	expect_inconclusive "$rc" "$out/$kernel" 'timeout'
	;;
tamper)
	"$vm/run.sh" --out "$out" --run "$here/tamper.sh" --timeout 120 "$kernel" || rc=$?
	expect_inconclusive "$rc" "$out/$kernel" 'unexpected data on the results channel'
	grep -q "sha256=$(printf %064d 0)" "$out/$kernel/channel.log" || fail "the forged block is not on the channel"
	;;
forge-reboot)
	"$vm/run.sh" --out "$out" --run "$here/forge-reboot.sh" --timeout 120 "$kernel" || rc=$?
	expect_inconclusive "$rc" "$out/$kernel" 'not signed with this boot'
	n=$(grep -c '^PARITY-RESULTS-BEGIN' "$out/$kernel/channel.log" || true)
	[ "$n" = 1 ] || fail "expected exactly the forged block on the channel, found $n blocks"
	;;
payload-fail)
	"$vm/run.sh" --out "$out" --run "$here/fail.sh" --timeout 120 "$kernel" || rc=$?
	d=$out/$kernel
	show "$d"
	[ "$rc" = 1 ] || fail "exit status $rc, expected 1"
	grep -qx 'REPORTED status=3' "$d/verdict" || fail "verdict is not 'REPORTED status=3'"
	grep -q 'the payload ran' "$d/results/note" || fail "the payload's results did not come back"
	echo "PASS: $(cat "$d/verdict")"
	;;
payload-timeout)
	"$vm/run.sh" --out "$out" --run "$here/hang.sh" --timeout 120 --payload-timeout 5 "$kernel" || rc=$?
	d=$out/$kernel
	show "$d"
	[ "$rc" = 1 ] || fail "exit status $rc, expected 1"
	grep -qx 'REPORTED status=137' "$d/verdict" || fail "verdict is not 'REPORTED status=137'"
	grep -q started "$d/results/partial" || fail "the partial results did not come back"
	grep -q payload_killed "$d/guest/info.txt" || fail "guest/info.txt does not say the payload was killed"
	echo "PASS: $(cat "$d/verdict"), partial results kept"
	;;
matrix)
	attacks=${VM_MATRIX_ATTACKS:?}
	t0=$(date +%s)
	"$vm/matrix.sh" --attacks "$attacks" --out "$out" --host || rc=$?
	echo "--- $(($(date +%s) - t0)) s for the matrix on every kernel and the host"
	cat "$out/summary.tsv"
	((rc == 0)) || {
		for d in "$out"/debian-*; do
			[ -f "$d/kernel.json" ] && grep -q '"state": "PASS"' "$d/kernel.json" && continue
			echo "--- $(basename "$d"):"
			cat "$d/kernel.json" 2>/dev/null
			tail -n 20 "$d/vm/guest/payload.log" 2>/dev/null || show "$d/vm"
		done
		fail "parity vm run: exit status $rc"
	}
	for n in $(bash -c '. "$1/lib.sh" && kernel_names' vm_test "$vm"); do
		grep -q '"state": "PASS"' "$out/$n/kernel.json" || fail "$n is not PASS"
		[ -f "$out/$n/results.json" ] && [ -f "$out/$n/matrix.md" ] && [ -f "$out/$n/junit.xml" ] ||
			fail "$n: the reports were not rendered"
	done
	[ -s "$out/kernel-compat.md" ] && [ -s "$out/kernel-compat.json" ] || fail "no kernel-compat report"
	[ -s "$out/merged/cells.tsv" ] && [ -s "$out/merged/junit.xml" ] || fail "no merged folder"
	# A missing kernel feature is N/A with its reason, never a control
	# that failed to escape (INCONCLUSIVE), on any kernel.
	python3 - "$out" <<-'PY' || fail "INCONCLUSIVE cells"
		import glob, json, sys
		bad = 0
		for f in sorted(glob.glob(sys.argv[1] + "/*/results.json")):
		    if "/merged/" in f:
		        continue
		    for c in json.load(open(f))["cells"]:
		        if c["verdict"] == "INCONCLUSIVE":
		            bad += 1
		            print(f"FAIL {f.split('/')[-2]} {c['id']}: {c['reason']}")
		sys.exit(1 if bad else 0)
	PY
	echo "PASS: every kernel reported its expected ABI, no cell worse than expected, none INCONCLUSIVE"
	;;
matrix-t01)
	m=$bld/vm-tests/matrix
	[ -f "$m/kernel-compat.json" ] || fail "no results of the vm-matrix test in $m (it runs first)"
	python3 - "$m" <<-'PY' || fail "T01 verdicts"
		import json, sys
		m = sys.argv[1]
		want = {("debian-6.12", "platform"): "BLOCKED", ("debian-6.1", "platform"): "ESCAPED",
		        ("debian-6.1-nolandlock", "platform"): "ESCAPED"}
		for k in ("debian-6.1", "debian-6.1-nolandlock", "debian-6.12"):
		    want[(k, "namespace")] = "BLOCKED"
		bad = 0
		for (k, prof), v in sorted(want.items()):
		    r = json.load(open(f"{m}/{k}/results.json"))
		    cells = [c for c in r["cells"] if c["attack"] == "T01" and c["profile"] == prof
		             and c["role"] == "cell" and c["abi"]["kernel"]]
		    got = cells[0]["verdict"] if cells else "missing"
		    abi = cells[0]["abi"]["effective"] if cells else "?"
		    ok = got == v
		    bad += not ok
		    print(f"{'ok  ' if ok else 'FAIL'} {k:22} {prof:9} ABI {abi}: T01 {got} (expected {v})"
		          + ("" if ok or not cells else f": {cells[0]['reason']}"))
		sys.exit(1 if bad else 0)
	PY
	echo "PASS: T01 blocked by platform only from ABI 4, by namespace everywhere"
	;;
matrix-broken)
	"$vm/matrix.sh" --kernels "$kernel" --attacks T01 --out "$out" \
		--append "rdinit=/nonexistent root=/dev/nonexistent" --timeout 120 || rc=$?
	d=$out/$kernel
	cat "$d/kernel.json" 2>/dev/null || true
	[ "$rc" = 4 ] || fail "exit status $rc, expected 4 (INCONCLUSIVE)"
	grep -q '"state": "INCONCLUSIVE"' "$d/kernel.json" || fail "the kernel is not INCONCLUSIVE"
	grep -q 'kernel panic' "$d/kernel.json" || fail "kernel.json does not say why"
	[ -s "$d/vm/console.log" ] || fail "the console log was not kept"
	[ ! -e "$d/results.json" ] || fail "results were accepted from a broken guest"
	grep -q "$kernel \*\*INCONCLUSIVE\*\*: kernel panic" "$out/kernel-compat.md" ||
		fail "kernel-compat.md does not show the INCONCLUSIVE kernel"
	grep -q '<error type="INCONCLUSIVE"' "$out/merged/junit.xml" || fail "merged junit.xml has no error"
	echo "PASS: INCONCLUSIVE, console log kept, reported as such"
	;;
matrix-abi)
	k=debian-6.12
	python3 - "$vm/kernels.json" "$out/kernels.json" "$k" <<-'PY'
		import json, sys
		d = json.load(open(sys.argv[1]))
		for x in d["kernels"]:
		    if x["name"] == sys.argv[3]:
		        x["expect"]["landlock_abi"] = 5
		json.dump(d, open(sys.argv[2], "w"), indent=2)
	PY
	VM_KERNELS=$out/kernels.json "$vm/matrix.sh" --kernels "$k" --attacks T01 --out "$out" || rc=$?
	cat "$out/$k/kernel.json" 2>/dev/null || true
	[ "$rc" = 4 ] || fail "exit status $rc, expected 4 (INCONCLUSIVE)"
	grep -q 'the probe reports Landlock ABI 6, kernels.json expects 5' "$out/$k/kernel.json" ||
		fail "kernel.json does not name the ABI mismatch"
	echo "PASS: a probe ABI other than expected is INCONCLUSIVE"
	;;
*) echo "vm_test.sh: unknown case $case_" >&2; exit 2 ;;
esac
