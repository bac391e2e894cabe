#!/bin/sh
# An attacker in the guest that is root in the initial namespaces forges a
# complete, well-formed report (valid base64, size and sha256) and reboots
# at once, so the init never writes its own: the channel then holds exactly
# one block. Only the per-boot key can tell it apart; the key was read by
# the init from fw_cfg and its driver is gone. Expected: INCONCLUSIVE.
set -e
if [ -e /sys/firmware/qemu_fw_cfg ] || modprobe qemu_fw_cfg 2>/dev/null; then
	echo "forge-reboot.sh: fw_cfg is still reachable" >&2
	exit 9
fi
mkdir -p /tmp/f/results /tmp/f/guest
echo 10 >/tmp/f/results/landlock_abi
echo payload_status=0 >/tmp/f/guest/info.txt
(cd /tmp/f && tar -czf /tmp/f.tgz results guest)
size=$(wc -c </tmp/f.tgz)
sum=$(sha256sum /tmp/f.tgz | cut -d' ' -f1)
mac=$(printf '%s status=0 size=%s sha256=%s' guessed "$size" "$sum" | sha256sum | cut -d' ' -f1)
mknod /dev/forged c 4 65
stty -F /dev/forged raw -echo
{
	echo "PARITY-RESULTS-BEGIN v1"
	base64 /tmp/f.tgz
	echo "PARITY-RESULTS-END status=0 size=$size sha256=$sum mac=$mac"
} >/dev/forged
echo "forge-reboot.sh: forged a report, rebooting"
sync
reboot -f
