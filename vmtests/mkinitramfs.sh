#!/usr/bin/env bash
# mkinitramfs.sh - build (or reuse) the initramfs of one guest.
#
#   vmtests/mkinitramfs.sh --kernel NAME [--run SCRIPT] [--bin PATH]...
#                          [--lib PATH]... [--file SRC[:DST]]...
#                          [--modules FILE] [--init FILE]
#
#   --kernel NAME   a kernel of kernels.json, already fetched (fetch.sh)
#   --run SCRIPT    the payload, installed as /payload/run and started by the
#                   init with RESULTS=/results (a busybox sh script, or any
#                   executable: its libraries are added as for --bin)
#   --bin PATH[:DST]  a host executable (a bare name is looked up in PATH),
#                   installed at DST (default: the same path) with every
#                   shared library ldd names and the dynamic loader
#   --lib PATH      a library loaded with dlopen (ldd cannot see those); also
#                   installed with its own dependencies
#   --file SRC[:DST]  a file or directory copied as is (DST defaults to SRC;
#                   a relative SRC without DST goes under /payload/)
#   --modules FILE  the module list (default vmtests/modules.list)
#   --init FILE     the init (default vmtests/guest/init); the broken-guest
#                   tests pass a bad one
#
# The archive holds the static busybox (every applet linked), the init,
# the payload, and the modules of the list with their dependencies,
# decompressed (busybox insmod reads plain .ko), with a modules.dep made by
# `depmod -b` so the guest can also autoload them. Load order comes from the
# kernel's own modules.dep (modprobe --show-depends).
#
# Cached by content: the name is the hash of every input (the kernel's
# version and module list, busybox, init, every file with its path), so an
# unchanged guest is never rebuilt. Prints the archive's path on stdout and,
# on stderr, what the modules resolved to.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel="" run="" init=$VM_DIR/guest/init modlist=$VM_DIR/modules.list
bins=() libs=() files=()
while (($#)); do
	case "$1" in
	--kernel) kernel=${2:?}; shift ;;
	--run) run=${2:?}; shift ;;
	--bin) bins+=("${2:?}"); shift ;;
	--lib) libs+=("${2:?}"); shift ;;
	--file) files+=("${2:?}"); shift ;;
	--modules) modlist=${2:?}; shift ;;
	--init) init=${2:?}; shift ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) usage_die "unknown argument $1 (see --help)" ;;
	esac
	shift
done
[ -n "$kernel" ] || usage_die "--kernel NAME is required"
need busybox busybox-static
need cpio cpio
need ldd libc-bin
need depmod kmod
need modprobe kmod
need xz xz-utils
need zstd zstd
BUSYBOX=${VM_BUSYBOX:-/bin/busybox}
bb_ldd=$(ldd "$BUSYBOX" 2>&1 || true)
grep -q 'not a dynamic executable' <<<"$bb_ldd" ||
	die "$BUSYBOX is not static (apt-get install busybox-static)"
[ -f "$init" ] || usage_die "no init $init"
[ -f "$modlist" ] || usage_die "no module list $modlist"
[ -z "$run" ] || [ -f "$run" ] || usage_die "no payload $run"

load_record "$kernel"
MODDIR=$MODROOT/lib/modules/$KVER

# --- what goes in: a manifest of "DST<TAB>SRC" lines --------------------------

manifest=$(mktemp)
stage=""
cleanup() { rm -f "$manifest"; [ -z "$stage" ] || rm -rf "$stage"; }
trap cleanup EXIT

add() { printf '%s\t%s\n' "$1" "$2" >>"$manifest"; } # add DST SRC

# add_elf PATH [DST]: the file and what ldd says it loads (the loader too).
add_elf() {
	local src=$1 dst=${2:-$1}
	[ -e "$src" ] || usage_die "no such file: $src"
	add "$dst" "$(readlink -f "$src")"
	local out
	out=$(ldd "$src" 2>&1) || return 0 # static, or a script: nothing to add
	local l p
	while read -r l; do
		case "$l" in
		*"=> not found"*) die "$src: ldd: $l" ;;
		*"=> /"*) p=${l#*=> }; p=${p%% (*} ;;
		/*) p=${l%% (*} ;;
		*) continue ;; # linux-vdso.so.1, statically linked
		esac
		add "$p" "$(readlink -f "$p")"
	done <<<"$out"
}

for b in "${bins[@]}"; do
	src=${b%%:*} dst=${b#*:}
	[ "$dst" != "$b" ] || dst=""
	[[ "$src" == /* ]] || src=$(command -v "$src") || usage_die "not found: ${b%%:*}"
	add_elf "$src" ${dst:+"$dst"}
done
for l in "${libs[@]}"; do add_elf "$l"; done
for f in "${files[@]}"; do
	src=${f%%:*} dst=${f#*:}
	[ "$dst" != "$f" ] || { [[ "$src" == /* ]] && dst=$src || dst=/payload/$src; }
	[ -e "$src" ] || usage_die "no such file: $src"
	add "$dst" "$(readlink -f "$src")"
done
if [ -n "$run" ]; then
	add_elf "$run" /payload/run
fi

# --- modules -----------------------------------------------------------------

# Resolve the list against this kernel: lines for modules.load (NAME PATH, in
# load order) and modules.status (builtin/absent/shipped, for the record).
declare -A have=()
load_lines="" status_lines="" ko_files=()
config_value() { sed -n "s/^$1=//p" "$CONFIG" | head -n1; }
while read -r verb name sym; do
	case "$verb" in '' | '#'*) continue ;; load | ship) ;; *) die "$modlist: bad line '$verb $name'" ;; esac
	if [ -n "$sym" ]; then
		case "$(config_value "$sym")" in
		y) status_lines+="builtin $name ($sym=y)"$'\n'; continue ;;
		m) ;;
		*) status_lines+="absent $name ($sym is not set)"$'\n'; continue ;;
		esac
	fi
	if ! deps=$(modprobe -d "$MODROOT" -S "$KVER" --show-depends "$name" 2>/dev/null); then
		status_lines+="absent $name (not built by this kernel)"$'\n'
		continue
	fi
	if [[ "$deps" == builtin* ]]; then
		status_lines+="builtin $name"$'\n'
		continue
	fi
	[ "$verb" = ship ] && status_lines+="shipped $name"$'\n'
	while read -r w path _; do
		[ "$w" = insmod ] || continue
		rel=${path#"$MODDIR"/}
		plain=${rel%.xz}
		plain=${plain%.zst}
		mod=$(basename "$plain" .ko)
		if [ -z "${have[$rel]:-}" ]; then
			have[$rel]=1
			ko_files+=("$rel")
		fi
		if [ "$verb" = load ] && [ -z "${have[load:$rel]:-}" ]; then
			have[load:$rel]=1
			load_lines+="$mod /lib/modules/$KVER/$plain"$'\n'
		fi
	done <<<"$deps"
done <"$modlist"

# --- the cache key -----------------------------------------------------------

key=$( {
	echo "v2 $KVER"
	sha256_of "$BUSYBOX"
	sha256_of "$init"
	printf '%s' "$load_lines" "$status_lines"
	printf '%s\n' "${ko_files[@]}"
	sort -u "$manifest" | while IFS=$'\t' read -r dst src; do
		if [ -d "$src" ]; then
			echo "$dst dir $(cd "$src" && find . -type f -print0 | sort -z | xargs -0r sha256sum | sha256sum)"
		else
			echo "$dst $(sha256_of "$src")"
		fi
	done
} | sha256sum | cut -c1-16)
out=$VM_CACHE/initramfs/$kernel-$key.cpio.gz
mkdir -p "$VM_CACHE/initramfs"
if [ -f "$out" ]; then
	log "$kernel: cached $out"
	printf '%s' "$status_lines" | sed "s/^/$VM_PROG: $kernel: /" >&2
	echo "$out"
	exit 0
fi

# --- build -------------------------------------------------------------------

stage=$(mktemp -d "$VM_CACHE/initramfs/.stage.XXXXXX")
S=$stage/root
mkdir -p "$S"/{bin,sbin,usr/bin,usr/sbin,etc/parity,proc,sys,dev,tmp,run,root,payload,lib/modules}
cp "$BUSYBOX" "$S/bin/busybox"
# Every applet at its usual place; host binaries added below win over them.
"$BUSYBOX" --list-full | while read -r a; do
	[ -e "$S/$a" ] || ln -s /bin/busybox "$S/$a"
done
ln -sf /bin/busybox "$S/bin/sh"
mknod -m 600 "$S/dev/console" c 5 1
mknod -m 666 "$S/dev/null" c 1 3
install -m 755 "$init" "$S/init"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$S/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$S/etc/group"
printf '127.0.0.1 localhost guest\n::1 localhost ip6-localhost\n' >"$S/etc/hosts"
# As on a real host: the matrix's lab binds its own resolv.conf over this one.
printf '# vmtests guest: no network but lo\nnameserver 127.0.0.1\n' >"$S/etc/resolv.conf"

sort -u "$manifest" | while IFS=$'\t' read -r dst src; do
	mkdir -p "$S$(dirname "$dst")"
	rm -rf "${S:?}$dst"
	cp -a --dereference "$src" "$S$dst"
done

M=$S/lib/modules/$KVER
mkdir -p "$M"
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -f "$MODDIR/$f" ] && cp "$MODDIR/$f" "$M/"
done
for rel in "${ko_files[@]}"; do
	mkdir -p "$M/$(dirname "$rel")"
	case "$rel" in
	*.ko.xz) xz -dc "$MODDIR/$rel" >"$M/${rel%.xz}" ;;
	*.ko.zst) zstd -qdc "$MODDIR/$rel" >"$M/${rel%.zst}" ;;
	*) cp "$MODDIR/$rel" "$M/$rel" ;;
	esac
done
[ ! -e "$S/payload/run" ] || chmod 755 "$S/payload/run"
# qemu_fw_cfg, for the init only: it reads the per-boot key with it, then
# unloads it and deletes this file, before the payload starts. Kept out of
# lib/modules so that nothing can autoload it by name.
fw=$(modprobe -d "$MODROOT" -S "$KVER" --show-depends qemu_fw_cfg 2>/dev/null | awk '$1 == "insmod" { print $2 }' | tail -n1)
case "$fw" in
*.ko.xz) xz -dc "$fw" >"$S/etc/parity/qemu_fw_cfg.ko" ;;
*.ko.zst) zstd -qdc "$fw" >"$S/etc/parity/qemu_fw_cfg.ko" ;;
*.ko) cp "$fw" "$S/etc/parity/qemu_fw_cfg.ko" ;;
*) log "$kernel: no qemu_fw_cfg module: the guest cannot authenticate its report" ;;
esac
depmod -b "$S" "$KVER" || die "depmod on the initramfs tree failed"
printf '%s' "$load_lines" >"$S/etc/parity/modules.load"
printf '%s' "$status_lines" >"$S/etc/parity/modules.status"
echo "$KVER" >"$S/etc/parity/kernel"

(cd "$S" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) |
	gzip -1 >"$stage/initrd"
mv "$stage/initrd" "$out"
log "$kernel: built $out ($(du -h "$out" | cut -f1), ${#ko_files[@]} modules)"
printf '%s' "$status_lines" | sed "s/^/$VM_PROG: $kernel: /" >&2
echo "$out"
