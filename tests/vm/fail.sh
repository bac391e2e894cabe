#!/bin/sh
# A payload that reports something and fails: the guest still reports, and
# the failure is the payload's (REPORTED status=3), not INCONCLUSIVE.
echo "the payload ran" >"$RESULTS/note"
exit 3
