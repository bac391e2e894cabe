# lib.sh - helpers shared by the vmtests scripts (sourced, never run).
#
# Paths: everything fetched or built lives under $VM_CACHE (default
# vmtests/cache/, gitignored). Kernel data comes from $VM_KERNELS (default
# vmtests/kernels.json). Both can be overridden from the environment, which
# is how the tests use a scratch cache without touching the real one.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_CACHE=${VM_CACHE:-$VM_DIR/cache}
VM_KERNELS=${VM_KERNELS:-$VM_DIR/kernels.json}

# One prefix per script, so interleaved output says who spoke.
VM_PROG=${VM_PROG:-$(basename "$0" .sh)}
log() { printf '%s: %s\n' "$VM_PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$VM_PROG" "$*" >&2; exit "${DIE_STATUS:-3}"; }
usage_die() { printf '%s: %s\n' "$VM_PROG" "$*" >&2; exit 2; }

# Monotonic time in milliseconds, and a formatter for durations.
now_ms() { date +%s%3N; }
fmt_ms() { printf '%d.%01ds' $(( $1 / 1000 )) $(( ($1 % 1000) / 100 )); }

need() { # need CMD PACKAGE: fail early, naming the Debian package to install
	command -v "$1" >/dev/null 2>&1 || die "'$1' not found (apt-get install $2)"
}

# kernels.json access. kjson EXPR evaluates a Python expression with `k` bound
# to the parsed file and prints the result (lists one item per line).
kjson() {
	python3 - "$VM_KERNELS" "$1" <<'PY'
import json, sys
try:
    with open(sys.argv[1]) as f:
        k = json.load(f)
except (OSError, ValueError) as e:
    sys.exit(f"{sys.argv[1]}: {e}")
v = eval(sys.argv[2], {"k": k})
if isinstance(v, list):
    print("\n".join(str(x) for x in v))
elif v is not None:
    print(v)
PY
}
_VM_NAMES=""
kernel_names() {
	[ -n "$_VM_NAMES" ] || _VM_NAMES=$(kjson '[x["name"] for x in k["kernels"]]')
	printf '%s\n' "$_VM_NAMES"
}
kernel_exists() { local n; n=$(kernel_names) && grep -qxF -- "$1" <<<"$n"; }
# kernel_field NAME FIELD  (FIELD may be a dotted path: expect.landlock_abi)
kernel_field() {
	local v
	v=$(python3 - "$VM_KERNELS" "$1" "$2" <<'PY'
import json, sys
path, name, field = sys.argv[1:]
try:
    with open(path) as f:
        kernels = json.load(f)["kernels"]
except (OSError, ValueError, KeyError) as e:
    sys.exit(f"{path}: {e}")
d = next((x for x in kernels if x.get("name") == name), None)
if d is None:
    print("unknown kernel '%s' (known: %s)" % (name, " ".join(x.get("name", "?") for x in kernels)), file=sys.stderr)
    sys.exit(2)
for p in field.split("."):
    d = d.get(p) if isinstance(d, dict) else None
print("" if d is None else d)
PY
	) || { local rc=$?; ((rc == 2)) && exit 2; exit 3; }
	printf '%s\n' "$v"
}

# The fetch record of a kernel source (suite + meta-package), written by
# fetch.sh: a shell fragment of VAR=value lines.
source_key() { echo "$(kernel_field "$1" suite)_$(kernel_field "$1" package)"; }
record_path() { echo "$VM_CACHE/fetched/$(source_key "$1").env"; }
load_record() { # load_record NAME: sets KVER, VMLINUZ, MODROOT, CONFIG, ...
	local r
	r=$(record_path "$1")
	[ -f "$r" ] || die "kernel '$1' is not fetched (run vmtests/fetch.sh $1)"
	# shellcheck disable=SC1090
	. "$r"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
