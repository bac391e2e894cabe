#!/usr/bin/env bash
# Lab test for the abstract, signal and escape families (root): real runs of
# `parity attack run` in fresh labs, judged by the witnesses.
#
# * Under `none` (the positive control) every variant is ESCAPED, or N/A
#   with a named precondition. The primitive-only variants (a new user
#   namespace, a mount, a bpf object) escape through the lab's inspection
#   witness (@parity inspect), E11 through the bait socket only `none`
#   leaves inherited; under platform and namespace they are BLOCKED.
# * Under `platform`, with Landlock ABI >= 6 (scopes): A01, A02, A02.connect,
#   A03, S01, S01.kill, S01.stop, S02, S02.all BLOCKED.
# * Under `namespace`: S01 BLOCKED.
# * Under `platform`: A05 ESCAPED (the abstract scope is one-directional).
# * A08 (a pathname socket of the pod, under /run): ESCAPED under namespace
#   and platform (no Landlock right below ABI 9; a netns does not hide a
#   file), BLOCKED under platform-notify (AF_UNIX connects refused) and
#   platform-strict (reach only beneath the read-write paths); the victim
#   sits on a private tmpfs under /run that leaves nothing behind.
# * The proxy's post-run probe: S12.stop (SIGSTOP the proxy) is seen as
#   "stopped" under none and under platform at ABI 4 (no signal scope), and
#   the proxy answers it under namespace; the probe's request never shows in
#   the cell's proxy log.
#
# A cell whose lab failed ("the lab or a witness failed") is run once more:
# other labs may run on the same machine.
set -euo pipefail

: "${PARITY_BIN:?PARITY_BIN not set (run through meson test)}"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root"
	exit 77
fi

PRIMITIVE_ONLY=" E01 E01.clone E04 E04.fsopen E05 E05.map E11 "  # witnessed by inspection / the bait

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

field() { # field FILE KEY
	python3 -c 'import json, sys
try:
    print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))
except Exception as e:
    print("ERROR" if sys.argv[2] == "verdict" else str(e))' "$1" "$2"
}

# run ID PROFILE [OPTIONS...]: prints the verdict; the JSON stays in $tmp
run() {
	local id=$1 prof=$2 out
	shift 2
	out="$tmp/$id.$prof.json"
	for try in 1 2; do
		"$PARITY_BIN" attack run "$id" --profile "$prof" --json "$@" >"$out" \
			2>"$tmp/$id.$prof.err" || true
		case "$(field "$out" reason)" in
		"the lab or a witness failed"*) echo "note: $id/$prof: lab failure, try $try" >&2 ;;
		*) break ;;
		esac
	done
	field "$out" verdict
}

expect() { # expect ID PROFILE WANTED... (then -- OPTIONS)
	local id=$1 prof=$2 v
	shift 2
	local want=() opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		want+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift && opts=("$@")
	v=$(run "$id" "$prof" "${opts[@]}")
	for w in "${want[@]}"; do
		if [ "$v" = "$w" ]; then
			echo "ok: $id under $prof: $v"
			return 0
		fi
	done
	echo "FAIL: $id under $prof: $v (wanted ${want[*]}): $(field "$tmp/$id.$prof.json" reason)"
	fail=1
}

ids=$(for fam in abstract signal escape; do "$PARITY_BIN" attack list --family "$fam" --json; done |
	python3 -c 'import json, sys
dec = json.JSONDecoder()
s = sys.stdin.read()
i = 0
while i < len(s):
    while i < len(s) and s[i].isspace():
        i += 1
    if i >= len(s):
        break
    arr, i = dec.raw_decode(s, i)
    for a in arr:
        print(a["id"])')
n=$(echo "$ids" | wc -l)
if [ "$n" -lt 30 ]; then
	echo "FAIL: only $n variants in the abstract, signal and escape families"
	fail=1
fi

# --- the positive control: every variant escapes under none (or N/A)
for id in $ids; do
	expect "$id" none ESCAPED N/A -- --no-control
	if [ "$(field "$tmp/$id.none.json" verdict)" = "N/A" ]; then
		case "$(field "$tmp/$id.none.json" reason)" in
		"precondition missing: "?*) ;;
		*)
			echo "FAIL: $id N/A without a named reason"
			fail=1
			;;
		esac
	fi
done

# --- an inspection is answered (SIGURG from the harness once it has looked),
# not sat out: without the answer E01 would wait ATTACK_INSPECT_WAIT_MS (5 s)
ms=$(python3 -c 'import json, sys; print(int(json.load(open(sys.argv[1]))["timing"]["run_ms"]))' \
	"$tmp/E01.none.json")
if [ "${ms:-99999}" -lt 4000 ]; then
	echo "ok: E01's inspection was answered (run ${ms} ms)"
else
	echo "FAIL: E01 under none ran ${ms:-?} ms: the harness did not answer its inspection"
	fail=1
fi

# --- the proxy's post-run probe: a stopped proxy never dies, so only the
# probe (made after the program exits) sees it; a live proxy answers it and
# the probe's own request is not left in the proxy log the cell shows
probe_check() { # probe_check ID PROFILE WANTED_PROBE
	python3 - "$tmp/$1.$2.json" "$3" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
sup = c["evidence"]["supervisor"]
lines = [l for l in c["evidence"].get("proxy_log", []) if l.get("decision") == "method_not_allowed"]
ok = sup.get("proxy_probe") == sys.argv[2] and not lines
print(("ok" if ok else "FAIL") + ": %s: proxy_probe %s (wanted %s), probe lines left in the log: %d"
      % (c["id"], sup.get("proxy_probe"), sys.argv[2], len(lines)))
sys.exit(0 if ok else 1)
PY
}
probe_check S12.stop none stopped || fail=1
# a proxy killed by the program (its stack zeroed, a BPF signal) is not alive,
# whether its death was seen during the run or by the probe
for id in S07.vm E05.signal; do
	a=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["evidence"]["supervisor"]["proxy_alive"])' "$tmp/$id.none.json")
	if [ "$a" = False ]; then
		echo "ok: $id under none: proxy_alive false"
	else
		echo "FAIL: $id under none: proxy_alive $a"
		fail=1
	fi
done
# what the program leaves running is ended before the witnesses are read:
# a detached sleep neither holds the cell for 30 s nor outlives it
start=$(date +%s%N)
"$PARITY_BIN" attack exec --profile none --no-control --json -- \
	sh -c 'setsid sleep 31 & exit 0' >"$tmp/leftover.json" 2>"$tmp/leftover.err" || true
ms=$((($(date +%s%N) - start) / 1000000))
killed=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["evidence"]["supervisor"].get("leftovers_killed"))' "$tmp/leftover.json" 2>/dev/null || echo none)
if [ "$killed" = 1 ] && [ "$ms" -lt 5000 ] && ! pgrep -f 'sleep 31' >/dev/null; then
	echo "ok: a detached leftover was killed (leftovers_killed $killed, $ms ms)"
else
	echo "FAIL: leftover: leftovers_killed $killed, $ms ms, still running: $(pgrep -f 'sleep 31' | tr '\n' ' ')"
	fail=1
fi
expect S12.stop namespace BLOCKED
probe_check S12.stop namespace answered || fail=1
expect S12.stop platform ESCAPED -- --landlock-abi 4
probe_check S12.stop platform stopped || fail=1

# --- platform: the scopes, when the kernel has them
abi=$("$PARITY_BIN" probe --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["landlock"]["abi"])')
if [ "$abi" -ge 6 ]; then
	for id in A01 A02 A02.connect A03 S01 S01.kill S01.stop S02 S02.all S12 S12.stop; do
		expect "$id" platform BLOCKED
	done
else
	echo "note: Landlock ABI $abi < 6: no scopes, platform expectations for A01-A03/S01-S02 skipped"
fi
expect A05 platform ESCAPED

# --- the primitives: seccomp refuses them in both modes; the bait is closed
for id in $PRIMITIVE_ONLY; do
	expect "$id" platform BLOCKED
done
expect E01 namespace BLOCKED
expect E11 namespace BLOCKED

# --- namespace
expect S01 namespace BLOCKED

# --- pathname unix sockets (A08): a file, not a network name
for id in A08 A08.dgram A08.seqpacket; do
	expect "$id" namespace ESCAPED
	expect "$id" platform ESCAPED
	expect "$id" platform-notify BLOCKED
	expect "$id" platform-strict BLOCKED
done
vp=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["evidence"].get("victim_path", ""))' "$tmp/A08.none.json")
case "$vp" in
/run/*) echo "ok: the pathname victim sat under /run ($vp)" ;;
*) echo "FAIL: the pathname victim's path: '$vp'"; fail=1 ;;
esac
if [ -n "$vp" ] && [ ! -e "$vp" ]; then
	echo "ok: nothing left at $vp after the cell (the pod's tmpfs went with it)"
else
	echo "FAIL: $vp is still there after the cell"
	fail=1
fi

exit "$fail"
