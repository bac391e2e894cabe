#!/usr/bin/env bash
# Lab test for the B1 (TCP proxy bypass) attacks (root, real kernel):
#  1. every tcp variant in the registry, run under `none`, is ESCAPED or
#     N/A with a reason: never BLOCKED, never INCONCLUSIVE (the positive
#     control is what makes a BLOCKED under the other profiles mean
#     something);
#  2. under `platform`, the gaps this kernel has are seen, each asserted
#     only where `parity probe --json` says the feature exists:
#     T04 (Landlock is port-only: any kernel),
#     T07 (MPTCP: only with erratum 1 fixed, or without Landlock net
#     rights at all), T06.sendto (TFO: kernels without the fix, see below).
set -euo pipefail

: "${PARITY_BIN:?PARITY_BIN not set (run through meson test)}"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# verdict ID PROFILE: prints "VERDICT<TAB>reason" from the run's JSON.
verdict() {
	"$PARITY_BIN" attack run "$1" --profile "$2" --json >"$tmp/run.json" 2>"$tmp/run.err" || true
	python3 - "$tmp/run.json" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print(d.get("verdict", "?") + "\t" + (d.get("reason") or "").replace("\n", " "))
except Exception as e:
    print("NO-JSON\t" + str(e))
EOF
}

# --- 1. the positive control: every variant escapes under none, or is N/A
"$PARITY_BIN" attack list --family tcp --json >"$tmp/list.json"
ids=$(python3 -c 'import json,sys; print(" ".join(a["id"] for a in json.load(open(sys.argv[1]))))' \
	"$tmp/list.json")
[ -n "$ids" ] || { echo "FAIL: no tcp attacks listed"; exit 1; }
for id in $ids; do
	IFS=$'\t' read -r v why < <(verdict "$id" none)
	case "$v" in
	ESCAPED)
		echo "ok: $id under none: ESCAPED" ;;
	N/A)
		if [ -n "$why" ]; then
			echo "ok: $id under none: N/A ($why)"
		else
			echo "FAIL: $id under none: N/A without a reason"
			fail=1
		fi ;;
	*)
		echo "FAIL: $id under none: $v ($why)"
		sed 's/^/  | /' "$tmp/run.err" | tail -5
		fail=1 ;;
	esac
done

# --- 2. this kernel's platform gaps, each only where the probe shows the feature
"$PARITY_BIN" probe --json >"$tmp/probe.json"
fact() { # fact PYTHON-EXPR: evaluated with p = the probe JSON
	python3 -c "import json,sys; p=json.load(open(sys.argv[1])); print($1)" "$tmp/probe.json"
}
feature() { fact "p['$1']['$2']['state'] == 'yes'"; }
expect_platform_escape() { # ID WHY
	IFS=$'\t' read -r v why < <(verdict "$1" platform)
	if [ "$v" = ESCAPED ]; then
		echo "ok: $1 under platform: ESCAPED ($2)"
	else
		echo "FAIL: $1 under platform: $v, expected ESCAPED ($2): $why"
		fail=1
	fi
}

abi=$(fact "p['landlock']['abi']")
erratum1=$(fact "any(e['id'] == 1 for e in p['landlock']['errata'].get('fixed', []))")

# T04: the Landlock rule keys on the port alone, on every kernel; without
# Landlock net rights (ABI < 4) nothing restricts TCP at all.
expect_platform_escape T04 "Landlock net rules are port-only (ABI $abi)"

# T07: MPTCP is outside Landlock's TCP rights once erratum 1 is fixed; at
# ABI >= 4 without that fix, MPTCP is still restricted as TCP.
if [ "$(feature protocols mptcp)" = True ] &&
	[ "$(fact "p['sysctls']['net.mptcp.enabled']['value'] == '1'")" = True ]; then
	if [ "$abi" -lt 4 ] || [ "$erratum1" = True ]; then
		expect_platform_escape T07 "MPTCP, ABI $abi, erratum 1 fixed: $erratum1"
	else
		echo "note: T07 not asserted: ABI $abi without erratum 1 restricts MPTCP as TCP"
	fi
else
	echo "note: T07 not asserted: no MPTCP here"
fi

# T06.sendto: the Landlock fix (33cb713db016, 7.2-rc4) has no errata bit,
# so the probe cannot tell whether a kernel carries it. Mainline before 7.2
# lacks it, but stable trees took it: Debian's 6.12.117 refuses the TFO
# sendto with EACCES (measured in vmtests). The fix gives Landlock its
# first sendmsg hook on a pre-7.2 kernel, so a `hook_socket_sendmsg` in
# /proc/kallsyms (names are visible to root whatever kptr_restrict says)
# means "probably fixed": no assertion then. Otherwise a kernel below 7.2
# must show the bypass; if this fails on such a kernel, look for a
# backport under another name first.
kver=$(uname -r)
below_72=$([ "$(printf '%s\n7.2\n' "${kver%%-*}" | sort -V | head -1)" != 7.2 ] && echo yes || echo no)
sendmsg_hook=unknown
if [ -r /proc/kallsyms ]; then
	if grep -qw hook_socket_sendmsg /proc/kallsyms; then
		sendmsg_hook=yes
	else
		sendmsg_hook=no
	fi
fi
if [ "$(feature entry_points tcp_fastopen_client)" != True ]; then
	echo "note: T06.sendto not asserted: no TFO client here"
elif [ "$below_72" != yes ]; then
	echo "note: T06.sendto not asserted: kernel $kver >= 7.2 carries the fix"
elif [ "$sendmsg_hook" = yes ]; then
	echo "note: T06.sendto not asserted: kernel $kver has Landlock's hook_socket_sendmsg (the fix, backported)"
else
	expect_platform_escape T06.sendto "TFO client on, kernel $kver < 7.2, Landlock sendmsg hook: $sendmsg_hook"
fi

exit "$fail"
