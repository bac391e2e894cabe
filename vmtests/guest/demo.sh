#!/bin/sh
# guest/demo.sh - the demonstration payload (run.sh's default): what kernel
# is this, which LSMs are active, and which Landlock ABI does it offer.
# Runs inside the guest as /payload/run, with RESULTS=/results.
set -e
uname -r | tee "$RESULTS/uname"
lsm=$(cat /sys/kernel/security/lsm)
echo "lsm: $lsm"
echo "$lsm" >"$RESULTS/lsm"
/payload/ll-abi | tee "$RESULTS/ll-abi"
sed -n 's/^landlock_abi=\([-0-9]*\).*/\1/p' "$RESULTS/ll-abi" >"$RESULTS/landlock_abi"
