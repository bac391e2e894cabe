#!/usr/bin/env bash
# boot.sh - boot one kernel on one initramfs under QEMU and bring the results back.
#
#   vmtests/boot.sh --kernel NAME --initrd FILE --out DIR
#                   [--timeout SECS] [--payload-timeout SECS] [--append ARGS]
#                   [--memory MIB] [--smp N] [--accel auto|kvm|tcg]
#
#   --kernel NAME          a fetched kernel of kernels.json (its cmdline_extra
#                          is appended to the command line)
#   --initrd FILE          from mkinitramfs.sh
#   --out DIR              created; see "Output" below
#   --timeout SECS         wall-clock bound of the whole boot (default 240):
#                          QEMU is killed after it
#   --payload-timeout SECS the guest's init kills the payload after this
#                          (default: --timeout minus 60, at least 10) so that
#                          partial results still come back
#   --append ARGS          more kernel command line (the broken-guest tests
#                          pass one that panics)
#   --accel                auto (default): KVM if a probe boot under KVM
#                          reaches the guest's init, TCG otherwise; the probe's
#                          answer is kept for this host boot (boot_id) in
#                          cache/accel. VM_ACCEL in the environment does the same.
#
# Channels: ttyS0 is the console, logged to DIR/console.log. ttyS1 is the
# results channel, logged to DIR/channel.log: the guest's init writes one
# framed block on it after the payload and all its processes are dead
#   PARITY-RESULTS-BEGIN v1
#   <base64 of a tar.gz holding results/ and guest/>
#   PARITY-RESULTS-END status=N size=BYTES sha256=HEX mac=HEX
# and the block is accepted only if it is the only thing on the port, its
# size and hash match, and mac = sha256("KEY status=N size=BYTES sha256=HEX")
# with this boot's key, which the guest's init alone read (fw_cfg).
#
# Output (DIR):
#   verdict        one line: "REPORTED status=N" or "INCONCLUSIVE: why"
#   results/       what the payload left in $RESULTS
#   guest/         the init's notes: info.txt, modules.txt, payload.log, dmesg.txt
#   console.log channel.log qemu.log cmdline timings
# Exit status: 0 reported and the payload exited 0; 1 reported, payload
# failed (its status is in verdict and guest/info.txt); 4 INCONCLUSIVE (a
# panic, a hang, a guest that died before reporting, a garbled or tampered
# channel); 2 usage; 3 infrastructure (QEMU missing, kernel not fetched).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel="" initrd="" out="" timeout=240 ptimeout="" append="" mem=1024 smp=2
accel=${VM_ACCEL:-auto}
while (($#)); do
	case "$1" in
	--kernel) kernel=${2:?}; shift ;;
	--initrd) initrd=${2:?}; shift ;;
	--out) out=${2:?}; shift ;;
	--timeout) timeout=${2:?}; shift ;;
	--payload-timeout) ptimeout=${2:?}; shift ;;
	--append) append=${2?}; shift ;;
	--memory) mem=${2:?}; shift ;;
	--smp) smp=${2:?}; shift ;;
	--accel) accel=${2:?}; shift ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) usage_die "unknown argument $1 (see --help)" ;;
	esac
	shift
done
[ -n "$kernel" ] && [ -n "$initrd" ] && [ -n "$out" ] || usage_die "--kernel, --initrd and --out are required"
[ -f "$initrd" ] || usage_die "no initrd $initrd"
[[ "$timeout" =~ ^[0-9]+$ ]] || usage_die "--timeout: not a number of seconds"
[ -n "$ptimeout" ] || ptimeout=$((timeout > 70 ? timeout - 60 : 10))
case "$accel" in auto | kvm | tcg) ;; *) usage_die "--accel: auto, kvm or tcg" ;; esac
QEMU=${VM_QEMU:-qemu-system-x86_64}
need "$QEMU" qemu-system-x86
load_record "$kernel"
[ -f "$VMLINUZ" ] || die "no $VMLINUZ (run vmtests/fetch.sh $kernel)"

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "${out:?}"/{results,guest,console.log,channel.log,qemu.log,verdict,timings,cmdline}

cmdline="console=ttyS0,115200 panic=-1 parity.timeout=$ptimeout"
extra=$(kernel_field "$kernel" cmdline_extra)
[ -z "$extra" ] || cmdline+=" $extra"
[ -z "$append" ] || cmdline+=" $append"
echo "$cmdline" >"$out/cmdline"

# The report key: fresh per boot, given to the guest through fw_cfg only;
# the init reads it before the payload starts and signs the report with it.
KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')

# Never leave a QEMU behind, whatever ends this script (a test harness's
# timeout sends SIGTERM).
QPID=""
stop_qemu() {
	if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
		kill -TERM "$QPID" 2>/dev/null || true
		sleep 0.5
		kill -KILL "$QPID" 2>/dev/null || true
	fi
}
trap stop_qemu EXIT
trap 'stop_qemu; exit 3' INT TERM

# qemu ACCEL CONSOLE CHANNEL CMDLINE: start QEMU in the background, set QPID.
qemu() {
	local a=$1 con=$2 chan=$3 cl=$4 cpu
	local -a acc
	if [ "$a" = kvm ]; then
		acc=(-accel kvm) cpu=host
	else
		acc=(-accel tcg,thread=multi) cpu=max
	fi
	"$QEMU" "${acc[@]}" -cpu "$cpu" -m "$mem" -smp "$smp" \
		-fw_cfg "name=opt/parity/key,string=$KEY" \
		-nodefaults -nographic -no-reboot -monitor none \
		-chardev "file,id=con,path=$con" -serial chardev:con \
		-chardev "file,id=chan,path=$chan" -serial chardev:chan \
		-kernel "$VMLINUZ" -initrd "$initrd" -append "$cl" \
		</dev/null >>"$out/qemu.log" 2>&1 &
	QPID=$!
}

# Does KVM work here? Try it: boot this kernel under KVM with parity.probe=1
# (the init reboots as soon as it starts). Broken KVM shows up as QEMU
# aborting (a KVM internal error, an MSR it cannot set) or as a guest that
# never reaches init.
probe_kvm() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || { ACCEL_WHY="no usable /dev/kvm"; return 1; }
	local d
	d=$(mktemp -d)
	qemu kvm "$d/con" "$d/chan" "console=ttyS0 panic=-1 parity.probe=1"
	local t=0
	while kill -0 "$QPID" 2>/dev/null && ((t < 300)); do
		sleep 0.1
		t=$((t + 1))
	done
	kill -9 "$QPID" 2>/dev/null || true
	wait "$QPID" 2>/dev/null || true
	if grep -q 'parity-init: start' "$d/con" 2>/dev/null; then
		rm -rf "$d"
		return 0
	fi
	ACCEL_WHY="KVM probe did not reach init: $(tail -n 3 "$out/qemu.log" 2>/dev/null | tr '\n' ' ' | cut -c1-200)"
	rm -rf "$d"
	return 1
}
if [ "$accel" = auto ]; then
	boot_id=$(cat /proc/sys/kernel/random/boot_id)
	qv=$("$QEMU" --version | head -n1 | tr ' ' _)
	mkdir -p "$VM_CACHE"
	if [ -f "$VM_CACHE/accel" ] && read -r b q a w <"$VM_CACHE/accel" && [ "$b" = "$boot_id" ] && [ "$q" = "$qv" ]; then
		accel=$a ACCEL_WHY="${w:-} (probed earlier in this host boot)"
	else
		if probe_kvm 2>/dev/null; then accel=kvm ACCEL_WHY="KVM probe reached init"; else accel=tcg; fi
		echo "$boot_id $qv $accel $ACCEL_WHY" >"$VM_CACHE/accel"
		: >"$out/qemu.log"
	fi
else
	ACCEL_WHY="requested"
fi
log "$kernel: $KVER, accel $accel ($ACCEL_WHY), timeout ${timeout}s"

# --- the boot ----------------------------------------------------------------

t0=$(now_ms)
t_init="" t_pstart="" t_pend=""
qemu "$accel" "$out/console.log" "$out/channel.log" "$cmdline"
timed_out=0
while kill -0 "$QPID" 2>/dev/null; do
	now=$(now_ms)
	if [ -z "$t_init" ] && grep -q '^parity-init: start' "$out/console.log" 2>/dev/null; then t_init=$now; fi
	if [ -z "$t_pstart" ] && grep -q '^parity-init: payload start' "$out/console.log" 2>/dev/null; then t_pstart=$now; fi
	if [ -z "$t_pend" ] && grep -q '^parity-init: payload end' "$out/console.log" 2>/dev/null; then t_pend=$now; fi
	if ((now - t0 > timeout * 1000)); then
		timed_out=1
		kill -TERM "$QPID" 2>/dev/null || true
		sleep 1
		kill -KILL "$QPID" 2>/dev/null || true
		break
	fi
	sleep 0.2
done
qstatus=0
wait "$QPID" 2>/dev/null || qstatus=$?
t_exit=$(now_ms)

# --- the verdict -------------------------------------------------------------

# check_channel: exactly one framed block, nothing else; decode it into
# $out/.pack.tgz. Sets STATUS on success, WHY on failure.
check_channel() {
	local f=$out/channel.log
	[ -s "$f" ] || { WHY="the guest died before reporting (nothing on the results channel)"; return 1; }
	local clean=$out/.channel.clean
	tr -d '\r' <"$f" | sed '/^$/d' >"$clean"
	local first last nbegin nend
	first=$(head -n1 "$clean") last=$(tail -n1 "$clean")
	nbegin=$(grep -c '^PARITY-RESULTS-BEGIN' "$clean" || true)
	nend=$(grep -c '^PARITY-RESULTS-END' "$clean" || true)
	if [ "$first" != "PARITY-RESULTS-BEGIN v1" ] || [ "$nbegin" != 1 ] || [ "$nend" != 1 ] ||
		[[ "$last" != PARITY-RESULTS-END* ]]; then
		if ((nend == 0)) && ((nbegin == 1)) && [ "$first" = "PARITY-RESULTS-BEGIN v1" ]; then
			WHY="the report was cut off (no end marker)"
		else
			WHY="unexpected data on the results channel (tampered or garbled): $(head -c 120 "$clean" | tr '\n' ' ')"
		fi
		return 1
	fi
	local size sum
	[[ "$last" =~ ^PARITY-RESULTS-END\ status=([0-9]+)\ size=([0-9]+)\ sha256=([0-9a-f]{64})\ mac=([0-9a-f]{64})$ ]] ||
		{ WHY="malformed end marker: $last"; return 1; }
	STATUS=${BASH_REMATCH[1]} size=${BASH_REMATCH[2]} sum=${BASH_REMATCH[3]}
	local mac=${BASH_REMATCH[4]}
	[ "$(printf '%s status=%s size=%s sha256=%s' "$KEY" "$STATUS" "$size" "$sum" | sha256sum | cut -d' ' -f1)" = "$mac" ] ||
		{ WHY="the report is not signed with this boot's key (forged?)"; return 1; }
	sed '1d;$d' "$clean" | base64 -d >"$out/.pack.tgz" 2>/dev/null || { WHY="results are not valid base64"; return 1; }
	[ "$(stat -c %s "$out/.pack.tgz")" = "$size" ] || { WHY="results size mismatch"; return 1; }
	[ "$(sha256_of "$out/.pack.tgz")" = "$sum" ] || { WHY="results checksum mismatch"; return 1; }
	tar -xzf "$out/.pack.tgz" -C "$out" --no-same-owner results guest 2>/dev/null || { WHY="results archive does not unpack"; return 1; }
	return 0
}

STATUS="" WHY=""
if ((timed_out)); then
	WHY="timeout: no report within ${timeout}s (hang)"
	grep -q 'Kernel panic' "$out/console.log" 2>/dev/null && WHY+="; the console shows a kernel panic"
	verdict="INCONCLUSIVE: $WHY" rc=4
elif check_channel; then
	verdict="REPORTED status=$STATUS"
	((STATUS == 0)) && rc=0 || rc=1
else
	if grep -q 'Kernel panic' "$out/console.log" 2>/dev/null; then
		WHY="kernel panic: $(grep -m1 'Kernel panic' "$out/console.log" | tr -d '\r' | sed 's/.*Kernel panic - //') ; $WHY"
	elif ((qstatus != 0)); then
		WHY="QEMU exited with status $qstatus: $(tail -n 2 "$out/qemu.log" | tr '\n' ' '); $WHY"
	fi
	verdict="INCONCLUSIVE: $WHY" rc=4
fi
rm -f "$out/.channel.clean" "$out/.pack.tgz"
echo "$verdict" >"$out/verdict"

ms() { [ -n "$2" ] && [ -n "$1" ] && echo $(($2 - $1)) || echo ""; }
boot_ms=$(ms "$t0" "$t_init") mod_ms=$(ms "$t_init" "$t_pstart") run_ms=$(ms "$t_pstart" "$t_pend")
rep_ms=$(ms "${t_pend:-}" "$t_exit") total_ms=$((t_exit - t0))
{
	echo "kernel=$kernel"
	echo "kver=$KVER"
	echo "accel=$accel"
	echo "boot_ms=$boot_ms"
	echo "setup_ms=$mod_ms"
	echo "run_ms=$run_ms"
	echo "report_ms=$rep_ms"
	echo "total_ms=$total_ms"
} >"$out/timings"
f() { [ -n "$1" ] && fmt_ms "$1" || echo "-"; }
log "$kernel: boot $(f "$boot_ms") (to init), setup $(f "$mod_ms") (mounts, modules), run $(f "$run_ms"), report $(f "$rep_ms"), total $(f "$total_ms")"
log "$kernel: $verdict"
((rc != 4)) || log "$kernel: console log kept in $out/console.log"
exit "$rc"
