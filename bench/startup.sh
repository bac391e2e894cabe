#!/usr/bin/env bash
# Sandbox start-to-exit time, against the peers the issues name (root):
#   platform:  parity run --profile platform -- /bin/true   vs bwrap --unshare-net
#   namespace: parity run --profile namespace -- /bin/true  vs bwrap, and vs a
#              script doing what the reference system does with its CLIs
#              (ip netns add, veth, addresses, route, nft -f, ip netns exec, del)
#   platform-strict: what it adds to platform's start (notify listener
#              handoff, the workers' ruleset, the larger filter), same run
#   namespace with "nftables_engine": "libnftables": what the netlink
#              engine saves (docs/architecture.md, "The nftables engines")
# bwrap and the five parity starts are run interleaved, run by run (benchtime).
# Prints medians and ratios with the targets: platform <= 1.5x bwrap;
# namespace <= 2x bwrap and <= 0.2x the CLI script. Each ratio of medians
# comes with its 95% interval (a bootstrap over the rounds, which keeps
# each round's runs together): a ratio whose interval holds the target is
# at the line, not under it.
#   bench/startup.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=300 # 50 gave intervals about 0.3x wide; 300, about 0.1x (8-10 s)
while (($#)); do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	-h | --help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "startup: unknown option $1" >&2; exit 2 ;;
	esac
done
PARITY_BIN=${PARITY_BIN:-$PWD/build/parity}
BENCHTIME=${BENCHTIME:-$PWD/build/bench/benchtime}
[ "$(id -u)" = 0 ] || { echo "startup: needs root" >&2; exit 2; }

med() { "$BENCHTIME" -n "$1" -- "${@:2}" | sed -E 's/.*median_ms=([0-9.]+).*/\1/'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# The reference's CLI sequence (openshell-reference.md §1.1-§1.2), once.
cli=$(mktemp) raw=$(mktemp) nslib=$(mktemp --suffix=.json)
trap 'rm -f "$cli" "$raw" "$nslib"' EXIT
# The namespace profile with the libnftables engine (same rules, the other
# way in), for its line below.
/usr/bin/python3 - "$PWD/enforcer/profiles/namespace.json" "$nslib" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["name"] = "namespace-libnftables"
p["network"]["namespace"]["nftables_engine"] = "libnftables"
json.dump(p, open(sys.argv[2], "w"))
PY
cat >"$cli" <<'SH'
#!/bin/sh
set -e
n=sb$$
ip netns add $n
ip link add vh$$ type veth peer name vs$$
ip link set vs$$ netns $n
ip addr add 10.201.0.1/24 dev vh$$ && ip link set vh$$ up
ip -n $n addr add 10.201.0.2/24 dev vs$$ && ip -n $n link set vs$$ up && ip -n $n link set lo up
ip -n $n route add default via 10.201.0.1
ip netns exec $n nft -f - <<NFT
table inet openshell_bypass {
  chain output { type filter hook output priority 0; policy accept;
    ip daddr 10.201.0.1 tcp dport 3128 accept
    oifname lo accept
    ct state established,related accept
    tcp flags syn limit rate 5/second burst 10 packets log prefix "bypass:"
    meta nfproto ipv4 meta l4proto tcp reject with icmp type port-unreachable
    meta nfproto ipv6 meta l4proto tcp reject with icmpv6 type port-unreachable
    meta l4proto udp limit rate 5/second burst 10 packets log prefix "bypass:"
    meta nfproto ipv4 meta l4proto udp reject with icmp type port-unreachable
    meta nfproto ipv6 meta l4proto udp reject with icmpv6 type port-unreachable
  }
}
NFT
ip netns exec $n /bin/true
ip netns del $n
SH
chmod +x "$cli"

# The peers interleaved, run by run (benchtime): the machine's slow spells
# land on all of them alike, so the ratios hold even when the medians move.
args=(-n "$runs" -- bwrap --unshare-net --ro-bind / / /bin/true)
for p in platform namespace platform-notify platform-strict "$nslib"; do
	args+=(--- "$PARITY_BIN" run --quiet --profile "$p" -- /bin/true)
done
out=$("$BENCHTIME" -o "$raw" "${args[@]}") || { echo "startup: a run failed: $out" >&2; exit 1; }
mapfile -t meds < <(sed -E 's/.*median_ms=([0-9.]+).*/\1/' <<<"$out")
[ "${#meds[@]}" = 6 ] || { echo "startup: benchtime failed" >&2; exit 1; }
bw=${meds[0]} pl=${meds[1]} ns=${meds[2]} pn=${meds[3]} ps=${meds[4]} nl=${meds[5]}
cl=$(med "$((runs < 30 ? runs : 30))" unshare -n "$cli")
# ci COLUMN: the 95% interval of median(COLUMN) / median(bwrap) over 2000
# resamples of the rounds (a fixed seed: the same runs give the same line)
ci() {
	/usr/bin/python3 - "$raw" "$1" <<'PY'
import random, statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
col = int(sys.argv[2])
rng = random.Random(1)
rs = []
for _ in range(2000):
    s = [rows[rng.randrange(len(rows))] for _ in rows]
    rs.append(statistics.median(r[col] for r in s) / statistics.median(r[0] for r in s))
rs.sort()
print("95%% %.2f-%.2f" % (rs[int(0.025 * len(rs))], rs[int(0.975 * len(rs)) - 1]))
PY
}
printf '%-46s %8s ms\n' "bwrap --unshare-net --ro-bind / / /bin/true" "$bw"
printf '%-46s %8s ms  %sx bwrap (%s; target <= 1.5)\n' "parity run --profile platform" "$pl" "$(ratio "$pl" "$bw")" "$(ci 1)"
printf '%-46s %8s ms  %sx bwrap (%s; target <= 2)\n' "parity run --profile namespace" "$ns" "$(ratio "$ns" "$bw")" "$(ci 2)"
printf '%-46s %8s ms  namespace = %sx of it (target <= 0.2)\n' "reference CLI script (ip, nft)" "$cl" "$(ratio "$ns" "$cl")"
printf '%-46s %8s ms  %sx bwrap\n' "parity run --profile platform-notify" "$pn" "$(ratio "$pn" "$bw")"
printf '%-46s %8s ms  %sx bwrap, +%s ms over platform\n' "parity run --profile platform-strict" "$ps" \
	"$(ratio "$ps" "$bw")" "$(awk -v a="$ps" -v b="$pl" 'BEGIN { printf "%.2f", a - b }')"
printf '%-46s %8s ms  %sx bwrap, +%s ms over the netlink engine\n' "namespace, nftables_engine libnftables" "$nl" \
	"$(ratio "$nl" "$bw")" "$(awk -v a="$nl" -v b="$ns" 'BEGIN { printf "%.2f", a - b }')"
