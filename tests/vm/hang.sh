#!/bin/sh
# A payload that leaves a partial result and then never finishes.
echo "started" >"$RESULTS/partial"
echo "hang.sh: sleeping forever"
while :; do sleep 10; done
