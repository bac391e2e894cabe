#!/usr/bin/env bash
# Install what parity needs on Debian 12, non-interactively and idempotently,
# then configure and build it (build/ and, with --sanitize, build-san/).
#   scripts/setup.sh [--no-build] [--sanitize]
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and library dependencies (all libraries through pkg-config).
PKGS_BUILD=(gcc make meson ninja-build pkg-config clang-format
	libseccomp-dev libnl-3-dev libnl-route-3-dev libnftables-dev libpcap-dev
	libcunit1-dev libjansson-dev liburing-dev)
# Tools the tests and benchmarks drive from outside the enforcer: real
# clients for the bring-your-own-attack tests, tcpdump to re-read captures,
# the peers named in the benchmarks, QEMU and a static busybox for vmtests,
# Chromium to open the HTML report, python3-jsonschema to validate results.
PKGS_TEST=(bash socat netcat-openbsd dnsutils tcpdump bubblewrap tinyproxy
	iproute2 nftables hyperfine busybox-static qemu-system-x86 cpio zstd xz-utils kmod
	python3 python3-jsonschema chromium)

missing=()
for p in "${PKGS_BUILD[@]}" "${PKGS_TEST[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# tinyproxy's package starts a daemon on :8888; the benchmark starts its own.
	if command -v service >/dev/null && [ -x /etc/init.d/tinyproxy ]; then
		service tinyproxy stop >/dev/null 2>&1 || true
	fi
	pkill -x tinyproxy 2>/dev/null || true
fi

build=1 sanitize=0
for a in "$@"; do
	case "$a" in
	--no-build) build=0 ;;
	--sanitize) sanitize=1 ;;
	*) echo "setup: unknown option $a" >&2; exit 2 ;;
	esac
done
((build)) || exit 0

[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
if ((sanitize)); then
	[ -d build-san ] || meson setup build-san -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	ninja -C build-san >/dev/null
fi
