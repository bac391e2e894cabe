#!/usr/bin/env bash
# run.sh - fetch, build the initramfs, boot and collect, for each kernel.
#
#   vmtests/run.sh [--out DIR] [--run SCRIPT] [--bin PATH[:DST]]... [--lib PATH]...
#                  [--file SRC[:DST]]... [--init FILE] [--append ARGS]
#                  [--timeout SECS] [--payload-timeout SECS] [--smp N]
#                  [--memory MIB] [KERNEL...]
#
#   KERNEL...   names from kernels.json (default: all of them)
#   --out DIR   one folder per kernel, DIR/KERNEL/ (see boot.sh), and
#               DIR/summary.tsv, one line per kernel (default: out/vm)
#   --run SCRIPT and --bin/--lib/--file: the payload, as for mkinitramfs.sh.
#               Without --run, the demonstration payload (guest/demo.sh with
#               ll-abi) runs, and each guest is checked against kernels.json:
#               the Landlock ABI it reports must be expect.landlock_abi, and a
#               kernel expected at 0 must not list landlock in
#               /sys/kernel/security/lsm.
#   --init, --append, --timeout, --payload-timeout, --smp, --memory: passed
#               to mkinitramfs.sh and boot.sh (the broken-guest tests use them;
#               the matrix boots with --smp 1, see README "Accelerator")
#
# Prints per kernel: exact version, verdict, Landlock ABI, and the timings of
# fetch, initramfs, boot (QEMU start to init), setup (mounts, modules), run
# (the payload) and total.
# Exit status: 0 every kernel reported and passed; 1 a kernel reported but
# failed (payload status, or the demo's ABI check); 4 a kernel is
# INCONCLUSIVE (takes precedence); 2 usage; 3 infrastructure.
# ll-abi: $VM_LL_ABI, else build/vmtests/ll-abi, else compiled with cc into
# cache/bin/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=out/vm run="" init="" append="" timeout="" ptimeout="" smp="" mem=""
mkargs=() names=()
while (($#)); do
	case "$1" in
	--out) out=${2:?}; shift ;;
	--run) run=${2:?}; shift ;;
	--bin | --lib | --file) mkargs+=("$1" "${2:?}"); shift ;;
	--init) init=${2:?}; shift ;;
	--append) append=${2?}; shift ;;
	--timeout) timeout=${2:?}; shift ;;
	--payload-timeout) ptimeout=${2:?}; shift ;;
	--smp) smp=${2:?}; shift ;;
	--memory) mem=${2:?}; shift ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) usage_die "unknown option $1 (see --help)" ;;
	*) names+=("$1") ;;
	esac
	shift
done
((${#names[@]})) || mapfile -t names < <(kernel_names)
for n in "${names[@]}"; do kernel_exists "$n" || usage_die "unknown kernel '$n'"; done

demo=0
if [ -z "$run" ]; then
	demo=1
	run=$VM_DIR/guest/demo.sh
	ll=${VM_LL_ABI:-}
	if [ -z "$ll" ] && [ -x "$VM_DIR/../build/vmtests/ll-abi" ]; then ll=$VM_DIR/../build/vmtests/ll-abi; fi
	if [ -z "$ll" ]; then
		need cc gcc
		ll=$VM_CACHE/bin/ll-abi
		mkdir -p "$VM_CACHE/bin"
		if [ ! -x "$ll" ] || [ "$VM_DIR/guest/ll-abi.c" -nt "$ll" ]; then
			cc -O2 -Wall -o "$ll" "$VM_DIR/guest/ll-abi.c" || die "cannot compile ll-abi"
		fi
	fi
	mkargs+=(--bin "$ll:/payload/ll-abi")
fi
mkargs+=(--run "$run")
[ -z "$init" ] || mkargs+=(--init "$init")
bootargs=()
[ -z "$timeout" ] || bootargs+=(--timeout "$timeout")
[ -z "$ptimeout" ] || bootargs+=(--payload-timeout "$ptimeout")
[ -z "$append" ] || bootargs+=(--append "$append")
[ -z "$smp" ] || bootargs+=(--smp "$smp")
[ -z "$mem" ] || bootargs+=(--memory "$mem")

mkdir -p "$out"
out=$(cd "$out" && pwd)
summary=$out/summary.tsv
printf 'kernel\tkver\taccel\tverdict\tlandlock_abi\texpected_abi\tfetch_ms\tinitramfs_ms\tboot_ms\tsetup_ms\trun_ms\ttotal_ms\n' >"$summary"

worst=0
rank() { case $1 in 0) echo 0 ;; 1) echo 1 ;; 4) echo 3 ;; *) echo 2 ;; esac; }
note() { # note RC: keep the worst exit status (4 > 3/2 > 1 > 0)
	if (($(rank "$1") > $(rank "$worst"))); then worst=$1; fi
}

for n in "${names[@]}"; do
	d=$out/$n
	rm -rf "$d"
	mkdir -p "$d"
	t=$(now_ms)
	if ! "$VM_DIR/fetch.sh" "$n" >"$d/fetch.log" 2>&1; then
		cat "$d/fetch.log" >&2
		echo "$n: INFRA: fetch failed (see $d/fetch.log)" >&2
		note 3
		continue
	fi
	fetch_ms=$(($(now_ms) - t))
	t=$(now_ms)
	if ! initrd=$("$VM_DIR/mkinitramfs.sh" --kernel "$n" "${mkargs[@]}" 2>"$d/initramfs.log"); then
		cat "$d/initramfs.log" >&2
		echo "$n: INFRA: initramfs failed (see $d/initramfs.log)" >&2
		note 3
		continue
	fi
	initramfs_ms=$(($(now_ms) - t))
	rc=0
	"$VM_DIR/boot.sh" --kernel "$n" --initrd "$initrd" --out "$d" "${bootargs[@]}" 2>"$d/boot.log" || rc=$?
	if ((rc == 2 || rc == 3)); then
		cat "$d/boot.log" >&2
		note "$rc"
		continue
	fi
	verdict=$(cat "$d/verdict")
	abi="" exp=$(kernel_field "$n" expect.landlock_abi)
	check=""
	if ((demo)) && ((rc != 4)); then
		abi=$(cat "$d/results/landlock_abi" 2>/dev/null || true)
		if [ "$abi" != "$exp" ]; then
			check="FAIL: Landlock ABI ${abi:-?}, expected $exp"
		elif [ "$exp" = 0 ] && grep -qw landlock "$d/results/lsm"; then
			check="FAIL: landlock is in the active LSM list though it was left out"
		fi
		[ -z "$check" ] || rc=1
	fi
	note "$rc"
	case $rc in
	0) state=PASS ;;
	1) state=FAIL ;;
	*) state=INCONCLUSIVE ;;
	esac
	echo "$state ${check:-$verdict}" >"$d/state"
	. "$d/timings"
	(. "$(record_path "$n")" && printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$KVER" "$accel" \
		"$verdict" "$abi" "$exp" "$fetch_ms" "$initramfs_ms" "$boot_ms" "$setup_ms" "$run_ms" "$total_ms") >>"$summary"
	f() { [ -n "$1" ] && fmt_ms "$1" || echo "-"; }
	printf '%-22s %-28s %-12s abi=%-3s (expect %s)  fetch %s  initramfs %s  boot %s  setup %s  run %s  total %s\n' \
		"$n" "$kver" "$state" "${abi:--}" "$exp" "$(f "$fetch_ms")" "$(f "$initramfs_ms")" \
		"$(f "$boot_ms")" "$(f "$setup_ms")" "$(f "$run_ms")" "$(f "$total_ms")"
	[ "$state" = PASS ] || echo "  $n: ${check:-$verdict} (logs: $d/)"
done
echo "summary: $summary"
exit "$worst"
