#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine (as root): install, build, probe
# the kernel, and run the parity matrix on it; reports land in reports/latest/.
#   scripts/main.sh [parity matrix options...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build/parity probe
if build/parity matrix --help >/dev/null 2>&1; then
	exec build/parity matrix "$@"
fi
# Before the matrix existed: a short demonstration of the enforcer and lab.
build/parity run --profile platform -- /bin/sh -c 'id; echo "in the platform sandbox"'
build/parity attack run T04 --profile platform
