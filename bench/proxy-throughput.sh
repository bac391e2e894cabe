#!/usr/bin/env bash
# Throughput of one TCP stream on loopback: (a) direct, (b) through
# `parity proxy` (CONNECT, splice relay), (c) through tinyproxy (Debian's,
# our own instance and config). Prints MiB/s for each, the ratios
# parity/direct and parity/tinyproxy, and the targets (>= 0.8x direct,
# >= 1.3x tinyproxy). Also (d) two direct streams at once: the kernel work
# of a proxied stream's two hops with a relay that costs nothing, which is
# what bounds (b) on a machine whose CPUs the direct stream already fills
# (see measure_pair).
#
#   bench/proxy-throughput.sh [--bytes N] [--runs R]     (root)
#
# It runs in a private network namespace (unshare -n) with the sink on
# 203.0.113.80:443 on that namespace's loopback: the proxy refuses
# 127.0.0.0/8 upstreams by design, so the sink needs a non-loopback address;
# the traffic still only crosses the loopback device. Each mode moves BYTES
# (default 2 GiB) per run; the median of R runs (default 3) is reported.
# Binaries: $PARITY_BIN and $TCPBENCH_BIN, else build/parity and
# build/bench/tcpbench.
set -euo pipefail
cd "$(dirname "$0")/.."

bytes=$((2 << 30)) runs=3
while (($#)); do
	case "$1" in
	--bytes) bytes=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	-h | --help) sed -n '2,18p' "$0"; exit 0 ;;
	*) echo "proxy-throughput: unknown option $1" >&2; exit 2 ;;
	esac
done

PARITY_BIN=${PARITY_BIN:-$PWD/build/parity}
TCPBENCH_BIN=${TCPBENCH_BIN:-$PWD/build/bench/tcpbench}
for b in "$PARITY_BIN" "$TCPBENCH_BIN"; do
	[ -x "$b" ] || { echo "proxy-throughput: $b not built (ninja -C build)" >&2; exit 3; }
done
command -v tinyproxy >/dev/null || { echo "proxy-throughput: tinyproxy not installed (scripts/setup.sh)" >&2; exit 3; }

if [ -z "${PARITY_BENCH_IN_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "proxy-throughput: needs root (unshare -n)" >&2; exit 77; }
	exec env PARITY_BENCH_IN_NETNS=1 unshare -n "$0" --bytes "$bytes" --runs "$runs"
fi

SINK=203.0.113.80:443 PARITY_PROXY=127.0.0.1:3128 TINY_PROXY=127.0.0.1:8888
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

ip link set lo up
ip addr add 203.0.113.80/32 dev lo

cat >"$tmp/policy.json" <<JSON
{ "version": 1, "resolver": "system",
  "allow": [ { "host": "203.0.113.80", "ports": [443] } ] }
JSON
cat >"$tmp/tinyproxy.conf" <<CONF
User nobody
Group nogroup
Port 8888
Listen 127.0.0.1
Timeout 600
MaxClients 16
Allow 127.0.0.1
ConnectPort 443
DisableViaHeader Yes
LogLevel Critical
CONF

"$TCPBENCH_BIN" sink "$SINK" & pids+=($!)
"$PARITY_BIN" proxy --listen "$PARITY_PROXY" --policy "$tmp/policy.json" 2>"$tmp/parity.err" & pids+=($!)
tinyproxy -d -c "$tmp/tinyproxy.conf" >"$tmp/tinyproxy.out" 2>&1 & pids+=($!)

wait_port() { # host port
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "proxy-throughput: nothing listens on $1:$2" >&2
	cat "$tmp"/*.err "$tmp"/*.out >&2 || true
	exit 3
}
wait_port 203.0.113.80 443
wait_port 127.0.0.1 3128
wait_port 127.0.0.1 8888

# CPU time (user+system, all threads) of a process, in clock ticks
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS=$(getconf CLK_TCK)
parity_pid=${pids[1]} tiny_pid=${pids[2]}

# busy ticks of the whole machine (every CPU, softirq included)
sys_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat; }

# "MEDIAN_MIB_PER_S PROXY_CPU SYSTEM_CPU" for $runs runs of one mode, CPU in
# seconds per GiB moved: the proxy process (all its threads; "-" without
# one) and the whole machine (the two ends, the proxy, the kernel's
# softirq work and anything else running)
measure() { # ENDS PROXY_ADDR|- PROXY_PID|-
	local r out vals=() before=0 after=0 via=() s0 s1
	[ "$2" = - ] || via=("$2")
	[ "$3" = - ] || before=$(cpu_ticks "$3")
	s0=$(sys_ticks)
	for ((r = 0; r < runs; r++)); do
		out=$("$TCPBENCH_BIN" send $1 "$SINK" "$bytes" "${via[@]}") || return 1
		vals+=("$(sed -E 's/.*mib_per_s=([0-9.]+).*/\1/' <<<"$out")")
	done
	s1=$(sys_ticks)
	[ "$3" = - ] || after=$(cpu_ticks "$3")
	printf '%s\n' "${vals[@]}" | sort -n | awk -v t=$((after - before)) -v hz="$TICKS" \
		-v st=$((s1 - s0)) \
		-v gib="$(awk -v b="$bytes" -v r="$runs" 'BEGIN {print b * r / 1073741824}')" \
		-v has="$3" '{v[NR]=$1} END {
			printf "%s %s %.2f\n", v[int((NR+1)/2)],
				(has == "-" ? "-" : sprintf("%.2f", t / hz / gib)), st / hz / gib }'
}

# A proxied stream costs the kernel two TCP connections per byte
# (client->proxy, proxy->upstream). Two direct streams at once, moving
# BYTES each, do that TCP work (and a second pair of ends): what one stream
# gets through two hops on this machine with a relay that costs nothing,
# give or take the ends. "MiB/s" is BYTES over the pair's wall time. Median
# of $runs pairs.
measure_pair() { # ENDS
	local r t0 t1 vals=() a b
	for ((r = 0; r < runs; r++)); do
		t0=$(date +%s%N)
		"$TCPBENCH_BIN" send $1 "$SINK" "$bytes" >/dev/null & a=$!
		"$TCPBENCH_BIN" send $1 "$SINK" "$bytes" >/dev/null & b=$!
		wait "$a" && wait "$b" || return 1
		t1=$(date +%s%N)
		vals+=("$(awk -v b="$bytes" -v ns=$((t1 - t0)) 'BEGIN {printf "%.1f", b / 1048576 / (ns / 1e9)}')")
	done
	printf '%s\n' "${vals[@]}" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}

report() { # TITLE ENDS
	local direct parity tiny pcpu tcpu dsys psys tsys pair _
	read -r direct _ dsys < <(measure "$2" - -)
	read -r parity pcpu psys < <(measure "$2" "$PARITY_PROXY" "$parity_pid")
	read -r tiny tcpu tsys < <(measure "$2" "$TINY_PROXY" "$tiny_pid")
	pair=$(measure_pair "$2")
	echo "$1"
	echo "                    throughput   CPU s/GiB: proxy  machine"
	awk -v d="$direct" -v p="$parity" -v t="$tiny" -v pc="$pcpu" -v tc="$tcpu" \
		-v ds="$dsys" -v ps="$psys" -v ts="$tsys" -v c="$pair" 'BEGIN {
		printf "  direct        %8.1f MiB/s            -  %7s\n", d, ds
		printf "  parity proxy  %8.1f MiB/s   %10s  %7s\n", p, pc, ps
		printf "  tinyproxy     %8.1f MiB/s   %10s  %7s\n", t, tc, ts
		printf "  two streams   %8.1f MiB/s   (two direct streams at once: two hops, no relay)\n", c
		printf "  parity/direct    %.2f  (target >= 0.80: %s; two streams/direct: %.2f)\n", p / d, (p / d >= 0.8 ? "met" : "MISSED"), c / d
		printf "  parity/two streams %.2f\n", p / c
		printf "  parity/tinyproxy %.2f  (target >= 1.30: %s)\n", p / t, (p / t >= 1.3 ? "met" : "MISSED")
	}'
}

echo "proxy-throughput: $((bytes >> 20)) MiB per run, median of $runs runs, $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1 /proc/loadavg)"
report "zero-copy ends (sendfile from a memfd, recv MSG_TRUNC):" ""
report "copying ends (send/recv with 1 MiB buffers):" --copy
