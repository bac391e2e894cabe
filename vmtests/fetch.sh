#!/usr/bin/env bash
# fetch.sh - download and unpack the Debian kernels named in kernels.json.
#
#   vmtests/fetch.sh [--refresh] [NAME...]   fetch NAME (default: every kernel)
#   vmtests/fetch.sh --list                  kernels, expectations, what is cached
#
# For each kernel source (suite + meta-package, e.g. trixie
# linux-image-cloud-amd64) it:
#   1. builds a private apt state under cache/apt/SUITE/ whose only source
#      entry is a copy of the system's own Debian entry with only its Suites
#      changed (the system's apt configuration is never touched, and no host
#      name is written anywhere: the URIs line is copied as it is);
#   2. resolves the meta-package: its Depends names linux-image-KVER; then
#      follows every dependency named *-KVER (sid splits the kernel into
#      linux-binary-KVER, linux-modules-KVER and linux-base-KVER; bookworm and
#      trixie ship one linux-image-KVER);
#   3. downloads those .debs with `apt-get download` into cache/debs/SUITE/,
#      unpacks them into cache/kernels/KVER/root/, runs `depmod -b` there;
#   4. writes cache/fetched/SUITE_PACKAGE.env: exact versions, .deb hashes,
#      and where vmlinuz, the modules and the kernel config are.
# A kernel whose record exists and whose .debs are present with the recorded
# hashes is not looked up again: a second fetch downloads nothing.
# --refresh re-reads the archive's index and re-resolves the meta-package
# (the .debs of an unchanged version are still not downloaded again).
# Prints one line per kernel: name, exact version, and the time it took.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

refresh=0 list=0 names=()
while (($#)); do
	case "$1" in
	--refresh) refresh=1 ;;
	--list) list=1 ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) usage_die "unknown option $1 (see --help)" ;;
	*) names+=("$1") ;;
	esac
	shift
done
((${#names[@]})) || mapfile -t names < <(kernel_names)
for n in "${names[@]}"; do kernel_exists "$n" || usage_die "unknown kernel '$n'"; done

if ((list)); then
	printf '%-24s %-9s %-4s %s\n' KERNEL SUITE ABI FETCHED
	for n in "${names[@]}"; do
		r=$(record_path "$n") v="-"
		[ -f "$r" ] && v=$(. "$r" && echo "$KVER ($IMAGE_VERSION)")
		printf '%-24s %-9s %-4s %s\n' "$n" "$(kernel_field "$n" suite)" \
			"$(kernel_field "$n" expect.landlock_abi)" "$v"
	done
	exit 0
fi

need apt-get apt
need dpkg-deb dpkg
need depmod kmod
need flock util-linux

# --- the private apt state ---------------------------------------------------

# Print the system's main Debian source entry with its suite replaced by $1.
# deb822 (/etc/apt/sources.list.d/debian.sources): the stanza whose Suites
# holds the system's codename; one-line format (/etc/apt/sources.list): the
# first `deb` line whose suite is the codename. Comments are dropped, every
# other line (URIs, Components, Signed-By, options) is copied unchanged.
system_codename() { . /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}"; }
copy_source_entry() {
	local suite=$1 codename out
	codename=$(system_codename)
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		out=$(awk -v RS= -v code="$codename" -v suite="$suite" '
			!done {
				n = split($0, L, "\n"); deb = 0; match_ = 0
				for (i = 1; i <= n; i++) {
					if (L[i] ~ /^Types:/ && L[i] ~ /[ \t]deb([ \t]|$)/) deb = 1
					if (L[i] ~ /^Suites:/) {
						m = split(L[i], S, /[ \t]+/)
						for (j = 2; j <= m; j++) if (S[j] == code) match_ = 1
					}
				}
				if (deb && match_) {
					for (i = 1; i <= n; i++) {
						if (L[i] ~ /^[ \t]*#/) continue
						if (L[i] ~ /^Suites:/) print "Suites: " suite
						else print L[i]
					}
					done = 1
				}
			}' /etc/apt/sources.list.d/debian.sources)
		[ -n "$out" ] && { echo "$out"; return 0; }
	fi
	if [ -f /etc/apt/sources.list ]; then
		# deb [options] URI SUITE COMPONENTS...
		out=$(awk -v code="$codename" -v suite="$suite" '
			$1 == "deb" && !done {
				i = 2
				if ($i ~ /^\[/) while ($i !~ /\]$/) i++
				if ($(i + 2) == code) { $(i + 2) = suite; print; done = 1 }
			}' /etc/apt/sources.list)
		[ -n "$out" ] && { echo "$out"; return 0; }
	fi
	die "no Debian source entry for '$codename' in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
}

# Sets APT_OPTS for SUITE, creating its state directory if needed.
apt_state() {
	local suite=$1 d=$VM_CACHE/apt/$1
	mkdir -p "$d/etc/sources.list.d" "$d/etc/preferences.d" "$d/state/lists/partial" \
		"$d/cache/archives/partial"
	[ -f "$d/state/status" ] || : >"$d/state/status"
	local entry
	entry=$(copy_source_entry "$suite")
	if [ -f /etc/apt/sources.list.d/debian.sources ] && [[ "$entry" == *Suites:* ]]; then
		printf '%s\n' "$entry" >"$d/etc/sources.list.d/debian.sources"
	else
		printf '%s\n' "$entry" >"$d/etc/sources.list.d/debian.list"
	fi
	APT_OPTS=(-o "Dir::Etc::SourceList=/dev/null"
		-o "Dir::Etc::SourceParts=$d/etc/sources.list.d"
		-o "Dir::Etc::Preferences=/dev/null"
		-o "Dir::Etc::PreferencesParts=$d/etc/preferences.d"
		-o "Dir::State=$d/state" -o "Dir::State::status=$d/state/status"
		-o "Dir::Cache=$d/cache" -o "APT::Sandbox::User=root"
		-o "Debug::NoLocking=1" -o "Acquire::Languages=none")
}

# --- resolution --------------------------------------------------------------

# deps_of PKG: the first alternative of each Depends entry, one per line.
deps_of() {
	apt-cache "${APT_OPTS[@]}" show --no-all-versions "$1" 2>/dev/null |
		sed -n 's/^Depends: //p' | tr ',' '\n' |
		sed -E 's/^[[:space:]]+//; s/[[:space:]|(].*//' | grep -v '^$' || true
}
candidate() { apt-cache "${APT_OPTS[@]}" policy "$1" | sed -n 's/^ *Candidate: //p'; }

# resolve META: sets KVER and PKGS (package=version ...), the closure of the
# versioned image package over dependencies named *-KVER.
resolve() {
	local meta=$1 img
	img=$(deps_of "$meta" | grep -E '^linux-image-[0-9]' | head -n1) ||
		true
	[ -n "$img" ] || die "$meta: no linux-image-VERSION in its Depends"
	KVER=${img#linux-image-}
	local -a queue=("$img") seen=()
	PKGS=()
	while ((${#queue[@]})); do
		local p=${queue[0]}
		queue=("${queue[@]:1}")
		if [[ " ${seen[*]} " == *" $p "* ]]; then continue; fi
		seen+=("$p")
		local v
		v=$(candidate "$p")
		[ -n "$v" ] && [ "$v" != "(none)" ] || die "$p: no candidate version in the index"
		PKGS+=("$p=$v")
		local d
		for d in $(deps_of "$p"); do
			if [[ "$d" == *-"$KVER" ]]; then queue+=("$d"); fi
		done
	done
}

# deb_file PKG=VERSION: the name `apt-get download` gives it (epoch ':' -> %3a).
deb_file() { local p=${1%%=*} v=${1#*=}; echo "${p}_${v//:/%3a}_amd64.deb"; }

# --- unpacking ---------------------------------------------------------------

# unpack DEBDIR KVER DEB...: unpack into cache/kernels/KVER/root, locate the
# pieces, run depmod. Sets VMLINUZ, MODROOT, CONFIG.
unpack() {
	local debdir=$1 kver=$2
	shift 2
	local top=$VM_CACHE/kernels/$kver tmp
	tmp=$(mktemp -d "$VM_CACHE/kernels/.unpack.XXXXXX")
	local f
	for f in "$@"; do dpkg-deb -x "$debdir/$f" "$tmp/root"; done
	# usr-merged packages (sid) ship usr/lib/modules; depmod -b reads lib/modules.
	if [ ! -e "$tmp/root/lib" ] && [ -d "$tmp/root/usr/lib" ]; then ln -s usr/lib "$tmp/root/lib"; fi
	local m=lib/modules/$kver
	[ -d "$tmp/root/$m/kernel" ] || die "no $m/kernel in $*"
	local vz
	for vz in "boot/vmlinuz-$kver" "$m/vmlinuz"; do if [ -f "$tmp/root/$vz" ]; then break; fi; done
	[ -f "$tmp/root/$vz" ] || die "no vmlinuz in $*"
	local cf
	for cf in "boot/config-$kver" "$m/config"; do if [ -f "$tmp/root/$cf" ]; then break; fi; done
	[ -f "$tmp/root/$cf" ] || die "no kernel config in $*"
	depmod -b "$tmp/root" "$kver" || die "depmod failed for $kver"
	rm -rf "$top"
	mkdir -p "$(dirname "$top")"
	mv "$tmp" "$top"
	VMLINUZ=$top/root/$vz MODROOT=$top/root CONFIG=$top/root/$cf
}

# record_ok FILE: the record exists, its .debs are present with their hashes,
# and the unpacked tree is there (re-unpacked from the .debs if not).
record_ok() {
	local r=$1
	[ -f "$r" ] || return 1
	(
		. "$r"
		for e in $DEBS; do
			f=${e%%:*} h=${e#*:}
			[ -f "$DEBDIR/$f" ] && [ "$(sha256_of "$DEBDIR/$f")" = "$h" ] || exit 1
		done
	) || return 1
	return 0
}

fetch_one() { # fetch_one NAME
	local name=$1 suite meta rec t0
	t0=$(now_ms)
	suite=$(kernel_field "$name" suite)
	meta=$(kernel_field "$name" package)
	rec=$(record_path "$name")
	local debdir=$VM_CACHE/debs/$suite
	mkdir -p "$debdir" "$VM_CACHE/fetched" "$VM_CACHE/kernels"

	if ((!refresh)) && record_ok "$rec"; then
		(
			. "$rec"
			if [ ! -f "$VMLINUZ" ] || [ ! -f "$MODROOT/lib/modules/$KVER/modules.dep" ]; then
				unpack "$DEBDIR" "$KVER" $(for e in $DEBS; do echo "${e%%:*}"; done) >/dev/null
			fi
		)
		printf '%-24s %-36s cached, nothing downloaded (%s)\n' "$name" \
			"$(. "$rec" && echo "$KVER")" "$(fmt_ms $(($(now_ms) - t0)))"
		return 0
	fi

	apt_state "$suite"
	log "$name: reading the $suite index"
	apt-get "${APT_OPTS[@]}" -qq update >/dev/null || die "apt-get update for $suite failed"
	local meta_version
	meta_version=$(candidate "$meta")
	[ -n "$meta_version" ] && [ "$meta_version" != "(none)" ] || die "$meta not found in $suite"
	resolve "$meta"
	log "$name: $meta $meta_version -> ${PKGS[*]}"

	local -a want=() files=()
	local pv
	for pv in "${PKGS[@]}"; do
		files+=("$(deb_file "$pv")")
		[ -f "$debdir/$(deb_file "$pv")" ] || want+=("$pv")
	done
	if ((${#want[@]})); then
		log "$name: downloading ${want[*]}"
		(cd "$debdir" && apt-get "${APT_OPTS[@]}" -qq download "${want[@]}") ||
			die "apt-get download failed"
	fi
	local debs="" f
	for f in "${files[@]}"; do
		[ -f "$debdir/$f" ] || die "expected $debdir/$f after download"
		debs+="$f:$(sha256_of "$debdir/$f") "
	done
	unpack "$debdir" "$KVER" "${files[@]}"
	local image_version=${PKGS[0]#*=}
	cat >"$rec.tmp" <<-EOF
		# written by vmtests/fetch.sh; do not edit
		SUITE='$suite'
		META='$meta'
		META_VERSION='$meta_version'
		KVER='$KVER'
		IMAGE_VERSION='$image_version'
		PACKAGES='${PKGS[*]}'
		DEBDIR='$debdir'
		DEBS='${debs% }'
		VMLINUZ='$VMLINUZ'
		MODROOT='$MODROOT'
		CONFIG='$CONFIG'
		FETCHED_AT='$(date -u +%Y-%m-%dT%H:%M:%SZ)'
	EOF
	mv "$rec.tmp" "$rec"
	printf '%-24s %-36s fetched %s (%s)\n' "$name" "$KVER" "$image_version" \
		"$(fmt_ms $(($(now_ms) - t0)))"
}

done_keys=" "
for n in "${names[@]}"; do
	k=$(source_key "$n")
	if [[ "$done_keys" == *" $k "* ]]; then
		printf '%-24s %-36s same source as above\n' "$n" "$(. "$(record_path "$n")" && echo "$KVER")"
		continue
	fi
	# One fetch per source at a time (two test runs may share the cache).
	mkdir -p "$VM_CACHE/fetched"
	exec 9>"$VM_CACHE/fetched/.$k.lock"
	flock 9
	fetch_one "$n"
	exec 9>&-
	done_keys+="$k "
done
