#!/usr/bin/env bash
# matrix.sh - the parity matrix inside real kernels: `parity vm run`.
#
#   vmtests/matrix.sh [--kernels LIST] [--attacks GLOBS] [--out DIR]
#                     [--timeout SECS] [--jobs N] [--parallel N]
#                     [--host | --host-results DIR] [--profiles LIST]
#                     [--append ARGS]
#
#   --kernels LIST    comma-separated names of kernels.json (default: all)
#   --attacks GLOBS   comma-separated globs on attack ids (default: all)
#   --out DIR         (default: out/vm-matrix), see "Output" below
#   --timeout SECS    bound of one kernel's boot and matrix (default: 300 with
#                     --attacks, 1500 without); the guest stops the matrix 45 s
#                     before it so that partial results still come back
#   --jobs N          the matrix's workers inside each guest (default 2)
#   --parallel N      guests booted at once (default 2; each has one vCPU)
#   --host            also run the same matrix on this host (its column in
#                     kernel-compat.md), into DIR/host; its state counts in
#                     the exit status like a kernel's
#   --host-results DIR  use the results of an earlier host run instead
#   --profiles LIST   (default: every shipped profile, enforcer/profiles/)
#   --append ARGS     more kernel command line (the broken-guest test passes
#                     one that panics)
#
# Per kernel: fetch (fetch.sh), build the initramfs with the parity binary,
# its libraries, the shipped profiles, policies and expectation sets laid
# out as in the source tree under /opt/parity and the payload guest/matrix.sh
# (mkinitramfs.sh), boot (boot.sh, one vCPU: see README "Accelerator"). In
# the guest: `parity probe --json` and `parity matrix --landlock-abi kernel
# --profiles LIST --quiet [--attacks GLOBS]`; the results come back over the
# signed channel and are rendered again here with `parity report render`.
#
# A kernel is
#   PASS          the guest reported, its probe shows the expected Landlock
#                 ABI, and no cell is worse than the expectations for it;
#   FAIL          a cell is worse than the expectations (regression), or the
#                 payload failed (no probe, no results.json);
#   INCONCLUSIVE  a panic, a hang, a guest that died before reporting, a
#                 tampered channel, a probe ABI other than kernels.json
#                 expects, or a matrix that could not judge (its exit 3).
#
# Output (DIR):
#   KERNEL/             the kernel's results folder: results.json, matrix.md,
#                       parity.md, matrix.html, junit.xml, evidence/,
#                       probe.json, kernel.json (name, state, why, version,
#                       timings); KERNEL/vm/ is the boot (console.log,
#                       verdict, guest/, the raw results/)
#   host/               the host's run (--host)
#   kernel-compat.md, kernel-compat.json   `parity report kernels` over all
#   merged/             the same report plus cells.tsv and junit.xml, every
#                       kernel's cells in one place
#   summary.tsv         one line per kernel: state and timings
# Prints per-kernel timings (fetch, initramfs, boot, matrix, total).
# Exit status: 0 every kernel PASS; 1 a kernel FAIL; 4 a kernel INCONCLUSIVE
# (takes precedence over 1); 2 usage; 3 infrastructure (fetch, QEMU, build).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernels="" attacks="" out=out/vm-matrix timeout="" jobs=2 parallel=2 host=0 host_results=""
profiles="" append=""
while (($#)); do
	case "$1" in
	--kernels) kernels=${2:?}; shift ;;
	--attacks) attacks=${2:?}; shift ;;
	--out) out=${2:?}; shift ;;
	--timeout) timeout=${2:?}; shift ;;
	--jobs) jobs=${2:?}; shift ;;
	--parallel) parallel=${2:?}; shift ;;
	--host) host=1 ;;
	--host-results) host_results=${2:?}; shift ;;
	--profiles) profiles=${2:?}; shift ;;
	--append) append=${2?}; shift ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) usage_die "unknown argument $1 (see --help)" ;;
	esac
	shift
done
for v in jobs parallel ${timeout:+timeout}; do
	[[ "${!v}" =~ ^[1-9][0-9]*$ ]] || usage_die "--$v: expected a positive number"
done
[ -n "$timeout" ] || { [ -n "$attacks" ] && timeout=300 || timeout=1500; }
((timeout >= 90)) || usage_die "--timeout: at least 90 s (boot and report need some)"
[ -z "$host_results" ] || [ -f "$host_results/results.json" ] ||
	usage_die "--host-results: no results.json in $host_results"
names=()
if [ -n "$kernels" ]; then IFS=, read -ra names <<<"$kernels"; else mapfile -t names < <(kernel_names); fi
for n in "${names[@]}"; do kernel_exists "$n" || usage_die "unknown kernel '$n'"; done

SRC=$(cd "$VM_DIR/.." && pwd)
PARITY=${PARITY_BIN:-$SRC/build/parity}
[ -x "$PARITY" ] || die "no parity binary at $PARITY (build it, or set PARITY_BIN)"
PARITY=$(readlink -f "$PARITY")
if [ -z "$profiles" ]; then
	# the control first, as the matrix shows it
	profiles=$(cd "$SRC/enforcer/profiles" && ls -- *.json | sed 's/\.json$//' |
		awk '$0 == "none" { print; next } { rest = rest $0 "\n" } END { printf "%s", rest }' |
		paste -sd,)
fi
need qemu-system-x86_64 qemu-system-x86

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$out/.work
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# The payload's configuration: the guest stops the matrix before the host's
# bound, so that what ran still comes back.
cat >"$work/config" <<-EOF
	PROFILES='$profiles'
	ATTACKS='$attacks'
	JOBS='$jobs'
	MATRIX_TIMEOUT='$((timeout - 45))'
EOF
# Libraries parity loads with dlopen on first use (core/lazylib.c: libpcap,
# libnftables), which ldd cannot see: every soname the binary names that
# this host's linker cache resolves goes in with --lib (and its own deps).
need strings binutils
lazy=()
while read -r so; do
	# (awk reads to the end: an early exit would SIGPIPE ldconfig under pipefail)
	p=$(ldconfig -p | awk -v n="$so" '$1 == n && /x86-64/ && p == "" { p = $NF } END { print p }')
	[ -z "$p" ] || lazy+=(--lib "$p")
done < <(strings -a "$PARITY" | grep -E '^lib[a-z0-9_+-]+\.so(\.[0-9]+)*$' | grep -v '^libc\.so' | sort -u)
payload=("${lazy[@]}" --run "$VM_DIR/guest/matrix.sh" --bin "$PARITY:/opt/parity/build/parity"
	--file "$SRC/enforcer/profiles:/opt/parity/enforcer/profiles"
	--file "$SRC/enforcer/policies:/opt/parity/enforcer/policies"
	--file "$SRC/matrix/expectations:/opt/parity/matrix/expectations"
	--file "$work/config:/payload/config")

t_all=$(now_ms)
# --- fetch (sequential: sources are shared) and initramfs ---------------------
declare -A fetch_ms=() initrd=() initramfs_ms=() infra=()
for n in "${names[@]}"; do
	mkdir -p "$out/$n"
	t=$(now_ms)
	if ! "$VM_DIR/fetch.sh" "$n" >"$work/$n.fetch" 2>&1; then
		cat "$work/$n.fetch" >&2
		infra[$n]="fetch failed"
		continue
	fi
	fetch_ms[$n]=$(($(now_ms) - t))
	t=$(now_ms)
	if ! initrd[$n]=$("$VM_DIR/mkinitramfs.sh" --kernel "$n" "${payload[@]}" 2>"$work/$n.initramfs"); then
		cat "$work/$n.initramfs" >&2
		infra[$n]="initramfs failed"
		continue
	fi
	initramfs_ms[$n]=$(($(now_ms) - t))
done

# --- boots: up to --parallel guests at once -----------------------------------
boot_one() { # boot_one NAME: boot.sh into NAME/vm, its log in NAME/boot.log
	local n=$1 rc=0
	rm -rf "$out/$n/vm"
	"$VM_DIR/boot.sh" --kernel "$n" --initrd "${initrd[$n]}" --out "$out/$n/vm" \
		--timeout "$timeout" --payload-timeout "$((timeout - 30))" --smp 1 \
		${append:+--append "$append"} >"$out/$n/boot.log" 2>&1 || rc=$?
	echo "$rc" >"$out/$n/vm.rc"
}
running=()
for n in "${names[@]}"; do
	[ -z "${infra[$n]:-}" ] || continue
	while ((${#running[@]} >= parallel)); do
		wait -n || true
		alive=()
		for p in "${running[@]}"; do if kill -0 "$p" 2>/dev/null; then alive+=("$p"); fi; done
		running=("${alive[@]}")
	done
	log "booting $n (${#running[@]} other guest(s) running)"
	boot_one "$n" &
	running+=($!)
done
wait

# --- per kernel: judge, render ------------------------------------------------
worst=0
rank() { case $1 in 0) echo 0 ;; 1) echo 1 ;; 4) echo 3 ;; *) echo 2 ;; esac; }
note() { if (($(rank "$1") > $(rank "$worst"))); then worst=$1; fi; }
json_str() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
probe_field() { # probe_field FILE EXPR (k = the probe)
	python3 -c 'import json,sys; k=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print("" if v is None else v)' "$1" "$2" 2>/dev/null || true
}

summary=$out/summary.tsv
printf 'kernel\tkver\tstate\twhy\tlandlock_abi\texpected_abi\tmatrix_status\tfetch_ms\tinitramfs_ms\tboot_ms\tmatrix_ms\ttotal_ms\n' >"$summary"
dirs=()
for n in "${names[@]}"; do
	d=$out/$n vm=$out/$n/vm
	rm -f "$d"/{results.json,matrix.md,parity.md,matrix.html,junit.xml,probe.json,kernel.json}
	rm -rf "$d/evidence"
	exp=$(kernel_field "$n" expect.landlock_abi)
	kver=$(. "$(record_path "$n")" 2>/dev/null && echo "$KVER" || true)
	state="" why="" abi="" mstatus="" boot_ms="" run_ms="" total_ms="" rc=3
	if [ -n "${infra[$n]:-}" ]; then
		state=INFRA why=${infra[$n]}
	else
		rc=$(cat "$d/vm.rc")
		rm -f "$d/vm.rc"
		# shellcheck disable=SC1091
		[ ! -f "$vm/timings" ] || . "$vm/timings"
		verdict=$(cat "$vm/verdict" 2>/dev/null || echo "no verdict (boot.sh: $(tail -n1 "$d/boot.log"))")
		if ((rc == 2 || rc == 3)); then
			state=INFRA why="boot.sh exit $rc: $(tail -n1 "$d/boot.log")"
		elif ((rc == 4)); then
			state=INCONCLUSIVE why=${verdict#INCONCLUSIVE: }
		elif [ ! -s "$vm/results/probe.json" ]; then
			state=FAIL why="$verdict; the payload gave no probe (see vm/guest/payload.log)"
		else
			cp "$vm/results/probe.json" "$d/probe.json"
			abi=$(probe_field "$d/probe.json" 'k["landlock"]["abi"] if k["landlock"]["abi"] is not None else 0')
			mstatus=$(cat "$vm/results/matrix.status" 2>/dev/null || echo "")
			if [ "$abi" != "$exp" ]; then
				state=INCONCLUSIVE why="the probe reports Landlock ABI ${abi:-?}, kernels.json expects $exp"
			elif [ ! -f "$vm/results/matrix/results.json" ]; then
				state=FAIL why="$verdict; the matrix wrote no results.json (see vm/guest/payload.log)"
			elif ! "$PARITY" report render "$vm/results/matrix/results.json" --out "$d" >"$work/$n.render" 2>&1; then
				state=FAIL why="parity report render failed: $(tail -n1 "$work/$n.render")"
			elif [ "$mstatus" = 0 ]; then
				state=PASS why="no cell worse than the expectations for this kernel"
			elif [ "$mstatus" = 1 ]; then
				state=FAIL why="a cell is worse than the expectations for this kernel (see matrix.md, junit.xml)"
			else
				state=INCONCLUSIVE why="the matrix could not judge (exit ${mstatus:-?}): $(grep -m1 '^exit ' "$vm/guest/payload.log" || true)"
			fi
		fi
	fi
	case $state in PASS) note 0 ;; FAIL) note 1 ;; INCONCLUSIVE) note 4 ;; *) note 3 ;; esac
	matrix_ms=""
	if [ -f "$vm/results/timings" ]; then
		matrix_ms=$(awk -F= '$1=="matrix_start"{s=$2} $1=="matrix_end"{e=$2} END{if(s!=""&&e!="")printf "%d", (e-s)*1000}' "$vm/results/timings")
	fi
	cat >"$d/kernel.json" <<-EOF
		{
		  "name": $(json_str "$n"),
		  "state": "$state",
		  "why": $(json_str "$why"),
		  "kernel_release": $(json_str "$kver"),
		  "package_version": $(json_str "$(. "$(record_path "$n")" 2>/dev/null && echo "$IMAGE_VERSION" || true)"),
		  "source": $(json_str "$(kernel_field "$n" suite) $(kernel_field "$n" package)"),
		  "cmdline_extra": $(json_str "$(kernel_field "$n" cmdline_extra)"),
		  "expected_landlock_abi": $exp,
		  "timings_ms": {"fetch": ${fetch_ms[$n]:-null}, "initramfs": ${initramfs_ms[$n]:-null},
		    "boot": ${boot_ms:-null}, "matrix": ${matrix_ms:-null}, "total": ${total_ms:-null}}
		}
	EOF
	dirs+=("$d")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$kver" "$state" "$why" "$abi" "$exp" \
		"$mstatus" "${fetch_ms[$n]:-}" "${initramfs_ms[$n]:-}" "$boot_ms" "$matrix_ms" "$total_ms" >>"$summary"
	f() { [ -n "$1" ] && fmt_ms "$1" || echo "-"; }
	printf '%-22s %-28s %-12s abi=%-3s (expect %s)  fetch %s  initramfs %s  boot %s  matrix %s  total %s\n' \
		"$n" "${kver:--}" "$state" "${abi:--}" "$exp" "$(f "${fetch_ms[$n]:-}")" "$(f "${initramfs_ms[$n]:-}")" \
		"$(f "$boot_ms")" "$(f "$matrix_ms")" "$(f "$total_ms")"
	[ "$state" = PASS ] || echo "  $n: $why (logs: $d/vm/, console: $d/vm/console.log)"
done

# --- the host's column --------------------------------------------------------
if ((host)); then
	t=$(now_ms)
	set -- --landlock-abi kernel --profiles "$profiles" --out "$out/host" --quiet
	[ -z "$attacks" ] || set -- "$@" --attacks "$attacks"
	hrc=0
	rm -rf "$out/host"
	mkdir -p "$out/host"
	"$PARITY" matrix "$@" >"$work/host.log" 2>&1 || hrc=$?
	"$PARITY" probe --json >"$out/host/probe.json" 2>/dev/null || true
	case $hrc in
	0) hstate=PASS hwhy="no cell worse than the expectations for this kernel" ;;
	1) hstate=FAIL hwhy="a cell is worse than the expectations for this kernel (see host/matrix.md)" ;;
	*) hstate=INCONCLUSIVE hwhy="parity matrix exit $hrc: $(grep -m1 '^exit ' "$work/host.log" || tail -n1 "$work/host.log")" ;;
	esac
	case $hstate in PASS) note 0 ;; FAIL) note 1 ;; *) note 4 ;; esac
	printf '{"name": "host", "state": "%s", "why": %s, "kernel_release": %s, "timings_ms": {"matrix": %d}}\n' \
		"$hstate" "$(json_str "$hwhy")" "$(json_str "$(uname -r)")" "$(($(now_ms) - t))" >"$out/host/kernel.json"
	printf '%-22s %-28s %-12s matrix %s\n' host "$(uname -r)" "$hstate" "$(fmt_ms $(($(now_ms) - t)))"
	[ "$hstate" = PASS ] || { echo "  host: $hwhy"; tail -n 20 "$work/host.log"; }
	dirs+=("$out/host")
elif [ -n "$host_results" ]; then
	dirs+=("$(cd "$host_results" && pwd)")
fi

# --- across kernels -----------------------------------------------------------
if ! "$PARITY" report kernels "${dirs[@]}" --out "$out" --merged "$out/merged" >"$work/compat.log" 2>&1; then
	cat "$work/compat.log" >&2
	note 3
fi
cp "$summary" "$out/merged/" 2>/dev/null || true
echo "kernel compatibility: $out/kernel-compat.md"
echo "summary: $summary (all kernels: $(fmt_ms $(($(now_ms) - t_all))))"
exit "$worst"
