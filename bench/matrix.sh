#!/usr/bin/env bash
# The default matrix (every attack x every shipped profile x the kernel's
# Landlock ABI and the emulated caps below it), timed: cells, wall time,
# cells/s and labs/s, the time per lab split into lab (namespaces, veths,
# capture, sinks), pod (pod, victims, teardown), enforcer (setup before the
# agent), attack (the agent's own layers and the program) and judgement
# (stopping witnesses, reading the capture, judging), and what the same rate
# gives for a 55-attack registry (the target: <= 3 minutes).
#
#   bench/matrix.sh [--runs R] [-- MATRIX ARGS...]     (root)
#
# Each run writes into a temporary folder; the median run is reported.
# Other load on the machine shows up directly in these numbers: the load
# average is printed next to them.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3
args=()
while (($#)); do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--) shift; args=("$@"); break ;;
	-h | --help) sed -n '2,15p' "$0"; exit 0 ;;
	*) echo "bench/matrix: unknown option $1" >&2; exit 2 ;;
	esac
done
PARITY_BIN=${PARITY_BIN:-$PWD/build/parity}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for ((i = 1; i <= runs; i++)); do
	rc=0
	"$PARITY_BIN" matrix "${args[@]}" --out "$tmp/run$i" --quiet >/dev/null || rc=$?
	if ((rc == 2 || rc == 3)); then
		echo "bench/matrix: parity matrix exited $rc" >&2
		exit "$rc"
	fi
done
/usr/bin/python3 - "$tmp" "$runs" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" <<'EOF'
import json, statistics, sys
d, runs, load, cpus = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rs = [json.load(open(f"{d}/run{i}/results.json")) for i in range(1, runs + 1)]
rs.sort(key=lambda r: r["timing"]["wall_ms"])
r = rs[len(rs) // 2]
t, run = r["timing"], r["run"]
walls = ", ".join("%.1f" % (x["timing"]["wall_ms"] / 1000) for x in rs)
print(f"matrix: {len(run['attacks'])} attacks x {len(run['profiles']) - 1} profiles x "
      f"{len(run['abis'])} ABIs + controls = {t['cells']} cells, {t['labs']} labs; "
      f"{run['jobs']} workers on {cpus} CPUs (load {load})")
print(f"  wall {t['wall_ms'] / 1000:.1f} s (median of {runs}: {walls}); "
      f"{t['cells_per_s']:.1f} cells/s, {t['labs_per_s']:.1f} labs/s; probe {t['probe_ms']:.0f} ms")
p = t["per_lab_ms"]
total = sum(p.values())
print("  per lab: " + ", ".join(f"{k[:-3]} {v:.1f} ms ({100 * v / total:.0f}%)" for k, v in p.items()))
profiles, abis = len(run["profiles"]) - 1, len(run["abis"])
labs55 = 55 * (profiles * abis + 1)
est = labs55 / t["labs_per_s"] if t["labs_per_s"] else float("inf")
print(f"  55 attacks at this rate: {labs55} labs in {est:.0f} s (target 180 s)")
EOF
