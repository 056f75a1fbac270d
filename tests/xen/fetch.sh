#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fetch what the real-Xen stage boots: Xen 4.17's hypervisor, xen-utils-4.17 (xenstored,
# xen-init-dom0), xenstore-utils, the libxen libraries they link, and a Debian 6.1 dom0 kernel
# (linux-image-6.1.0-N-amd64; the cloud flavour has no CONFIG_XEN_DOM0). `apt-get download`
# checks every .deb against Debian's signed package lists; the SHA256 each list gave is kept in
# CACHE/MANIFEST, and a later run reuses the cache only if every file still has that digest (no
# network then). Everything is unpacked with `dpkg -x` into CACHE/root.
#
# The kernel: $XDRV_XEN_KERNEL if set, else the package that linux-image-amd64 depends on (the
# current ABI), else the highest linux-image-6.1.0-N-amd64 apt-cache knows (never -cloud, -rt,
# -dbg or -unsigned). What was used is in CACHE/MANIFEST and printed.
#
# `apt-get update` runs only when the package lists cannot serve the download (a package is
# unknown, or the mirror no longer has the file the lists name); it needs root. Anything else
# that fails ends the script with a line starting "FAIL".
#
#   usage: tests/xen/fetch.sh [CACHE]      (default ${XDRV_XEN_CACHE:-$HOME/.cache/xdrv-xen})
#   prints: "xen-cache: CACHE kernel=PKG xen=VERSION (warm|downloaded N MB in S s)"
set -euo pipefail
C=${1:-${XDRV_XEN_CACHE:-$HOME/.cache/xdrv-xen}}
XEN_PKGS=(xen-hypervisor-4.17-amd64 xen-utils-4.17 xenstore-utils libxenstore4 libxencall1
	libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenmisc4.17 libxentoollog1
	libxentoolcore1 libxendevicemodel1 libxenhypfs1 libyajl2)

fail() {
	echo "FAIL - fetch: $*" >&2
	exit 1
}

for t in apt-get apt-cache dpkg dpkg-deb sha256sum; do
	command -v "$t" >/dev/null || fail "$t not found (a Debian host is needed)"
done
mkdir -p "$C"

# ---- warm cache: every file of the manifest present with its digest -------------------------
warm() {
	[ -s "$C/MANIFEST" ] && [ -e "$C/root/.unpacked" ] || return 1
	# a kernel asked for by name must be the one cached
	[ -z "${XDRV_XEN_KERNEL:-}" ] || grep -q "^$XDRV_XEN_KERNEL " "$C/MANIFEST" || return 1
	local sha file
	while read -r _ _ sha file; do
		[ -f "$C/debs/$file" ] || return 1
		[ "$(sha256sum <"$C/debs/$file" | cut -d' ' -f1)" = "$sha" ] || {
			echo "xen-cache: $file does not match its digest; fetching again" >&2
			return 1
		}
	done <"$C/MANIFEST"
	# the unpacked tree is of exactly this manifest
	cmp -s "$C/MANIFEST" "$C/root/.unpacked"
}
if warm; then
	echo "xen-cache: $C kernel=$(awk '/^linux-image-/ {print $1}' "$C/MANIFEST")" \
		"xen=$(awk '$1 == "xen-hypervisor-4.17-amd64" {print $2}' "$C/MANIFEST") (warm)"
	exit 0
fi

# ---- which packages ------------------------------------------------------------------------
updated=0
apt_update() {
	[ "$updated" = 0 ] || return 1
	[ "$(id -u)" = 0 ] || fail "the package lists are missing or stale and updating them needs root: run 'apt-get update' as root, then this script again"
	echo "xen-cache: running apt-get update ($1)" >&2
	apt-get update -qq >&2 || fail "apt-get update failed (is the Debian mirror reachable?)"
	updated=1
}
# the candidate version of a package, empty if apt knows none
candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}' | grep -v '(none)' || true; }
pick_kernel() {
	if [ -n "${XDRV_XEN_KERNEL:-}" ]; then
		echo "$XDRV_XEN_KERNEL"
		return
	fi
	local k
	k=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -1)
	[ -n "$k" ] || k=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
		awk '{print $1}' | sort -V | tail -1)
	echo "$k"
}
# KPKG, and in MISSING the packages apt has no candidate for
resolve() {
	KPKG=$(pick_kernel)
	MISSING=${KPKG:-"linux-image-6.1.0-N-amd64"}
	[ -n "$KPKG" ] || return 1
	MISSING=""
	local p
	for p in "${XEN_PKGS[@]}" "$KPKG"; do
		[ -n "$(candidate "$p")" ] || MISSING="$MISSING $p"
	done
	[ -z "$MISSING" ]
}
resolve || apt_update "no candidate for:$MISSING" || true
resolve || fail "apt-cache has no candidate for:$MISSING (Debian 12 'bookworm' main, and bookworm-security for the current Xen, in the apt sources?)"
case $KPKG in
linux-image-6.1.0-*-amd64) ;;
*) fail "kernel package '$KPKG' is not a linux-image-6.1.0-N-amd64 (set XDRV_XEN_KERNEL to one)" ;;
esac
case $KPKG in *-cloud-* | *-rt-* | *-dbg | *-unsigned) fail "kernel package '$KPKG': the cloud, rt, dbg and unsigned flavours cannot be used" ;; esac

# ---- download into a fresh folder, then swap it in ------------------------------------------
t0=$(date +%s.%N)
D=$(mktemp -d "$C/dl.XXXXXX")
trap 'rm -rf "$D"' EXIT
chmod 755 "$D" # apt's download sandbox (_apt) writes here
download() { (cd "$D" && apt-get download -q "$@" >"$D/.log" 2>&1); }
if ! download "${XEN_PKGS[@]}" "$KPKG"; then
	# a 404 is a stale list: the mirror moved on to a newer version
	if apt_update "apt-get download failed: $(grep -m1 -E '^(E|Err):' "$D/.log" || tail -1 "$D/.log")"; then
		resolve || fail "after apt-get update, no candidate for the Xen packages or $KPKG"
		rm -f "$D"/*.deb
		download "${XEN_PKGS[@]}" "$KPKG" || { cat "$D/.log" >&2; fail "apt-get download failed after apt-get update (see above)"; }
	else
		cat "$D/.log" >&2
		fail "apt-get download failed (see above)"
	fi
fi

# the manifest: package, version, the signed list's SHA256, file; checked against the files
: >"$D/MANIFEST"
for p in "${XEN_PKGS[@]}" "$KPKG"; do
	v=$(candidate "$p")
	sha=$(apt-cache show "$p=$v" | awk '/^SHA256:/ {print $2; exit}')
	debs=("$D/${p}_"*.deb)
	[ -f "${debs[0]}" ] || fail "apt-get download left no .deb for $p"
	f=${debs[0]##*/}
	[ "$(sha256sum <"$D/$f" | cut -d' ' -f1)" = "$sha" ] || fail "$f: SHA256 differs from the package list's"
	echo "$p $v $sha $f" >>"$D/MANIFEST"
done

rm -rf "$C/debs" "$C/root"
mkdir -p "$C/debs"
mv "$D"/*.deb "$C/debs/"
for f in "$C"/debs/*.deb; do
	dpkg -x "$f" "$C/root" || fail "dpkg -x $f"
done
mv "$D/MANIFEST" "$C/MANIFEST"
cp "$C/MANIFEST" "$C/root/.unpacked"
mb=$(du -cm "$C"/debs/*.deb | awk 'END {print $1}')
echo "xen-cache: $C kernel=$KPKG xen=$(candidate xen-hypervisor-4.17-amd64)" \
	"(downloaded $mb MB in $(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN {printf "%.0f", a - b}') s)"
