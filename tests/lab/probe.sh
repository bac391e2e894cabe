#!/usr/bin/env bash
# Lab test for `parity probe` (root): the JSON is valid and matches its
# schema, root-only items are really probed (veth, nftables), the Landlock
# ABI and errata equal what a raw syscall returns (made here through
# python3 ctypes, not through parity), the same binary run as `nobody`
# reports root-only items as "not probed: needs root", and nothing is left
# behind in the host network namespace.
set -euo pipefail

: "${PARITY_BIN:?PARITY_BIN not set (run through meson test)}"
: "${PARITY_SOURCE_ROOT:?}"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root"
	exit 77
fi

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

# --- CLI contract
check "--help exits 0" "$PARITY_BIN" probe --help >/dev/null
rc=0
"$PARITY_BIN" probe --bogus 2>"$tmp/err" >/dev/null || rc=$?
check "unknown option exits 2" test "$rc" = 2
check "unknown option names it" grep -q -- "--bogus" "$tmp/err"
"$PARITY_BIN" probe >"$tmp/table"
check "table has the Landlock section" grep -q '^Landlock' "$tmp/table"

# --- a copy of the binary without its data: the error says where it looked
cp "$PARITY_BIN" "$tmp/parity"
rc=0
(cd / && env -u PARITY_PROFILE_DIR "$tmp/parity" run --profile platform -- /bin/true) \
	2>"$tmp/err" >/dev/null || rc=$?
check "a binary without its profiles exits 2" test "$rc" = 2
check "... naming where it looked and PARITY_PROFILE_DIR" \
	grep -q "looked next to $tmp/parity.*PARITY_PROFILE_DIR" "$tmp/err"

# --- root run
"$PARITY_BIN" probe --json >"$tmp/root.json"

python3 - "$tmp/root.json" "$PARITY_SOURCE_ROOT/docs/schema/probe.schema.json" <<'EOF' || fail=1
import ctypes, errno, json, os, sys

probe = json.load(open(sys.argv[1]))  # fails the test on invalid JSON
ok = True
def check(what, cond, detail=""):
    global ok
    print(("ok: " if cond else "FAIL: ") + what + ("" if cond else " " + str(detail)))
    ok &= bool(cond)

try:
    import jsonschema
    schema = json.load(open(sys.argv[2]))
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(probe))
    check("JSON matches docs/schema/probe.schema.json", not errors,
          [f"{list(e.path)}: {e.message}" for e in errors[:5]])
except ImportError:
    print("note: python3-jsonschema missing, schema not checked")

# The Landlock ABI and errata from the raw syscall, independent of parity.
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
SYS_landlock_create_ruleset = 444  # x86_64 and the generic table
raw = libc.syscall(SYS_landlock_create_ruleset, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
err = ctypes.get_errno()
ll = probe["landlock"]
if raw >= 0:
    check("landlock ABI equals the raw syscall", ll["abi"] == raw, (ll["abi"], raw))
    check("landlock status enabled", ll["status"] == "enabled", ll["status"])
    mask = libc.syscall(SYS_landlock_create_ruleset, None, ctypes.c_size_t(0), ctypes.c_uint32(2))
    if mask >= 0:
        check("errata mask equals the raw syscall", ll["errata"]["mask"] == mask,
              (ll["errata"]["mask"], mask))
        check("every errata bit decoded", sum(1 << (e["id"] - 1) for e in ll["errata"]["fixed"])
              | ll["errata"]["unknown_bits"] == mask, ll["errata"])
    else:
        check("errata unsupported like the raw syscall", not ll["errata"]["supported"], ll["errata"])
else:
    check("landlock errno equals the raw syscall", ll["errno"] == errno.errorcode[err],
          (ll["errno"], err))
    check("landlock ABI 0 when unusable", ll["abi"] == 0, ll["abi"])

ns = probe["namespaces"]
for item in ("net", "veth", "nftables"):
    check(f"namespaces.{item} usable as root", ns[item]["state"] == "yes", ns[item]["reason"])
for item in ("raw_v4", "packet"):
    f = probe["protocols"][item]
    check(f"protocols.{item} probed as root", f["state"] in ("yes", "no"), f["reason"])
check("root run shows uid 0", probe["system"]["euid"] == 0)
# Preconditions of S06.sigurg_unix, A12/N04/T10 and E04.fsopen, performed on
# this kernel (6.18 here; each is older than 5.16).
ep = probe["entry_points"]
for sect, item, words in (("protocols", "unix_oob", "MSG_OOB"),
                          ("entry_points", "io_uring_connect", "IORING_OP_CONNECT"),
                          ("entry_points", "fsopen", "fsopen"),
                          ("entry_points", "bpf_socket_filter", "SO_ATTACH_BPF"),
                          ("entry_points", "ptrace_attach", "PTRACE_ATTACH")):
    f = probe[sect][item]
    check(f"{sect}.{item} yes as root, saying how", f["state"] == "yes" and words in f["reason"], f)
print(f"note: probe took {probe['probe_ms']:.1f} ms as root")
check("probe well under a second", probe["probe_ms"] < 1000, probe["probe_ms"])
sys.exit(0 if ok else 1)
EOF

# --- unprivileged run of the same binary
if setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
	"$PARITY_BIN" probe --json >"$tmp/user.json"; then
	python3 - "$tmp/root.json" "$tmp/user.json" <<'EOF' || fail=1
import json, sys
root, user = (json.load(open(p)) for p in sys.argv[1:3])
ok = True
def check(what, cond, detail=""):
    global ok
    print(("ok: " if cond else "FAIL: ") + what + ("" if cond else " " + str(detail)))
    ok &= bool(cond)
check("unprivileged run is not root", user["system"]["euid"] != 0)
for sect, item in (("namespaces", "veth"), ("namespaces", "nftables"),
                   ("protocols", "raw_v4"), ("protocols", "raw_v6"), ("protocols", "packet")):
    f = user[sect][item]
    check(f"{sect}.{item} not probed without root",
          f["state"] == "not_probed" and f["reason"].startswith("not probed: needs root"), f)
f = user["entry_points"]["fsopen"]
check("entry_points.fsopen not probed without CAP_SYS_ADMIN",
      f["state"] == "not_probed" and "CAP_SYS_ADMIN" in f["reason"], f)
check("entry_points.io_uring_connect follows io_uring unprivileged",
      user["entry_points"]["io_uring_connect"]["state"] == user["entry_points"]["io_uring"]["state"],
      user["entry_points"]["io_uring_connect"])
check("same Landlock ABI unprivileged", user["landlock"]["abi"] == root["landlock"]["abi"])
check("unprivileged net namespace goes through a user namespace",
      user["namespaces"]["net"]["state"] != "yes" or "CLONE_NEWUSER" in user["namespaces"]["net"]["reason"],
      user["namespaces"]["net"])
print(f"note: probe took {user['probe_ms']:.1f} ms as nobody")
sys.exit(0 if ok else 1)
EOF
else
	echo "FAIL: parity probe as nobody"
	fail=1
fi

# --- io_uring off for everyone (kernel.io_uring_disabled=2, restored): the
# connect opcode is "no" with the reason, and A12 is N/A naming it
if [ -w /proc/sys/kernel/io_uring_disabled ]; then
	was=$(cat /proc/sys/kernel/io_uring_disabled)
	trap 'echo "$was" >/proc/sys/kernel/io_uring_disabled' EXIT
	echo 2 >/proc/sys/kernel/io_uring_disabled
	"$PARITY_BIN" probe --json >"$tmp/nouring.json"
	"$PARITY_BIN" attack run --profile none --json A12 >"$tmp/a12.json" || true
	echo "$was" >/proc/sys/kernel/io_uring_disabled
	trap - EXIT
	check "io_uring disabled: io_uring_connect no, saying why" \
		python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["entry_points"]["io_uring_connect"]; print("    ", f); sys.exit(not (f["state"] == "no" and "no io_uring" in f["reason"]))' "$tmp/nouring.json"
	check "io_uring disabled: A12 under none is N/A naming the probe feature" \
		python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("    ", r["verdict"], r["reason"][:120]); sys.exit(not (r["verdict"] == "N/A" and "entry_points.io_uring" in r["reason"]))' "$tmp/a12.json"
fi

# --- out of fds: the probe's own failures are "error", never "no" (a "no"
# makes every cell that needs the item N/A, which would hide an escape),
# and no probe child is left blocked (the user-notification probe's child
# once kept its own listener and waited for ever)
for n in 11 12 13 14 15 16; do
	rc=0
	(ulimit -n "$n"; timeout 20 "$PARITY_BIN" probe --json >"$tmp/fd$n.json" 2>/dev/null) || rc=$?
	check "probe with ulimit -n $n ends (exit $rc, not a timeout)" test "$rc" != 124
done
check "out of fds: no item that is yes with enough fds reads no" python3 - "$tmp" <<'EOF'
import glob, json, sys
def items(o, path=""):
    if isinstance(o, dict):
        if "state" in o and "reason" in o:
            yield path, o
        else:
            for k, v in o.items():
                yield from items(v, path + "." + k)
full = dict(items(json.load(open(sys.argv[1] + "/root.json"))))
parsed = bad = 0
for f in sorted(glob.glob(sys.argv[1] + "/fd*.json")):
    try:
        low = dict(items(json.load(open(f))))
    except ValueError:
        continue  # too few fds to run at all: exit 3, said on stderr
    parsed += 1
    for k, v in low.items():
        if full.get(k, {}).get("state") == "yes" and v["state"] == "no":
            print("    ", f, k, v["reason"])
            bad += 1
print("    ", parsed, "probes ran with few fds")
sys.exit(bad != 0 or parsed == 0)
EOF
sleep 0.2
# (a probe child killed when the probe gives up leaves its own child, which
# dies with it, as a zombie of the machine's init: reaped there, not ours)
check "out of fds: no probe process is left running" \
	bash -c '! ps -C parity -o stat= | grep -qv "^Z"'

# --- nothing left behind in the host netns
check "no probe veth in the host netns" test ! -e /sys/class/net/pprobe0 -a ! -e /sys/class/net/pprobe1
if command -v nft >/dev/null; then
	check "no probe nftables table in the host netns" \
		bash -c '! nft list table inet parity_probe >/dev/null 2>&1'
fi

# Per-netns sysctls are read, and their features probed, in a new netns:
# every cell runs in one the lab made, which starts from the kernel's
# defaults, not the host's. Here the harness's own netns turns TCP Fast
# Open and MPTCP off: the probe still says yes, and a TFO and an MPTCP
# attack still run under none (they were N/A).
off='echo 0 > /proc/sys/net/ipv4/tcp_fastopen; echo 0 > /proc/sys/net/mptcp/enabled'
unshare -n sh -c "$off; \"\$0\" probe --json" "$PARITY_BIN" >"$tmp/off.json"
check "TFO off in the caller's netns: tcp_fastopen_client still yes (a new netns)" \
	python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["entry_points"]["tcp_fastopen_client"]; sys.exit(not (f["state"] == "yes" and "in a new netns" in f["reason"]))' "$tmp/off.json"
check "MPTCP off in the caller's netns: protocols.mptcp still yes (a new netns)" \
	python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["protocols"]["mptcp"]; sys.exit(not (f["state"] == "yes" and "in a new netns" in f["reason"]))' "$tmp/off.json"
check "TFO off in the caller's netns: landlock.tfo_checked as without it (a new netns)" \
	python3 -c 'import json,sys; a,b=(json.load(open(p))["landlock"]["tfo_checked"] for p in sys.argv[1:3]); print("    ", b); sys.exit(a["state"] != b["state"])' "$tmp/root.json" "$tmp/off.json"
for id in T06.sendto T07; do
	unshare -n sh -c "$off; \"\$0\" attack run --profile none --json $id" "$PARITY_BIN" >"$tmp/$id.json" || true
	check "$id under none with it off in the caller's netns: not N/A" \
		python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("    ", r["verdict"], r["reason"][:90]); sys.exit(r["verdict"] != "ESCAPED")' "$tmp/$id.json"
done

exit "$fail"
