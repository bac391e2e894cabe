#!/bin/sh
set -e
# An attacker in the guest tries to forge the results channel. First it
# checks that the channel is not reachable as it is (no device node for
# ttyS1 anywhere under /dev); then, being root with CAP_MKNOD here, it makes
# its own node and writes a forged "all passed" block. The host must see
# more than the init's single block and call the run INCONCLUSIVE.
if ls -l /dev | grep -q ' 4, *65 '; then
	echo "tamper.sh: the results channel has a device node under /dev" >&2
	exit 9
fi
mknod /dev/forged c 4 65
{
	echo "PARITY-RESULTS-BEGIN v1"
	echo "H4sIAAAAAAAAA+3OMQqAMBBE0dRziqQw"
	echo "PARITY-RESULTS-END status=0 size=24 sha256=$(printf %064d 0)"
} >/dev/forged
echo "tamper.sh: forged block written"
