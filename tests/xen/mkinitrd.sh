#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the dom0 initramfs of the real-Xen stage (tests/xen/run.sh) as an uncompressed newc cpio
# (the dom0 kernel under TCG unpacks it faster than it would gunzip it). It holds:
#   - busybox (static, from the host's busybox-static; /init makes the applets' links), and the
#     host's iproute2 `ip` in /usr/local/sbin (busybox's has no `ip netns`, which makes the
#     /run/netns/NAME files that `xdrv run --host-tap IF@NAME` enters);
#   - from the Xen cache (tests/xen/fetch.sh): xenstored, xen-init-dom0, xenstore-*, their
#     libraries, and the kernel modules the checks load (in /mod, /mod/order is the load order);
#   - xdrv: BUILD_DIR/bin/xdrv with its whole ldd closure, and the LLVM it dlopens on first use
#     (cli/llvm_lazy.c): the build's private library in /xdrv/lib/xdrv/ (beside /xdrv/bin), else
#     libLLVM from its RUNPATH, with that library's closure, each library at the
#     path the host's dynamic linker found it (so the RUNPATH and the default paths work as on
#     the host); the signed packages of BUILD_DIR/pkg and BUILD_DIR/pki/root.pem in /xdrv;
#   - /init = tests/xen/dom0-init.sh.
#   usage: tests/xen/mkinitrd.sh BUILD_DIR CACHE WORKDIR OUT.cpio
#   (WORKDIR: an empty folder for the tree; the caller removes it)
set -euo pipefail
B=${1:?usage: mkinitrd.sh BUILD_DIR CACHE WORKDIR OUT.cpio}
C=${2:?usage: mkinitrd.sh BUILD_DIR CACHE WORKDIR OUT.cpio}
W=${3:?usage: mkinitrd.sh BUILD_DIR CACHE WORKDIR OUT.cpio}
OUT=${4:?usage: mkinitrd.sh BUILD_DIR CACHE WORKDIR OUT.cpio}
S=$(cd "$(dirname "$0")" && pwd)
CR=$C/root
XBIN=usr/lib/xen-4.17/bin
MODS="xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-netback xen-blkback loop tun"
PKGS="hello uart16550 dp83820 virtio_scsi"

fail() {
	echo "FAIL - mkinitrd: $*" >&2
	exit 1
}
for t in cpio ldd readelf strings; do
	command -v "$t" >/dev/null || fail "$t not found (scripts/install-deps)"
done
if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
	fail "/bin/busybox is missing or not static (apt-get install busybox-static)"
fi
IPR=$(command -v ip) || fail "iproute2's ip not found"
[ -x "$B/bin/xdrv" ] || fail "no $B/bin/xdrv"
[ -r "$B/pki/root.pem" ] || fail "no $B/pki/root.pem"
[ -e "$CR/.unpacked" ] || fail "no unpacked Xen cache in $CR (tests/xen/fetch.sh)"
kdirs=("$CR"/lib/modules/6.1.0-*-amd64)
[ -d "${kdirs[0]}" ] || fail "no kernel modules in $CR/lib/modules"
KV=${kdirs[0]##*/}

R=$W/rootfs
rm -rf "$R"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,usr/local/sbin,usr/lib,usr/lib64,proc,sys,dev,tmp,run,mod,etc} \
	"$R"/var/{run/xenstored,lib/xenstored,lib/xen,log/xen} "$R/$XBIN" "$R"/xdrv/{bin,pkg,pki}
ln -s usr/lib "$R/lib"
ln -s usr/lib64 "$R/lib64"

# ---- libraries: each at the host path its dynamic linker resolved, through usrmerge links ----
# (the Xen cache's libraries come first, and go to /usr/lib/x86_64-linux-gnu)
export LD_LIBRARY_PATH=$CR/usr/lib/x86_64-linux-gnu
declare -A copied=()
copy_lib() { # HOST_PATH
	local src=$1 dir
	[ -n "${copied[$src]:-}" ] && return 0
	copied[$src]=1
	dir=$(readlink -f "${src%/*}")
	dir=${dir#"$CR"}
	[ -d "$R$dir" ] || mkdir -p "$R$dir"
	cp -L "$src" "$R$dir/${src##*/}"
}
copy_closure() { # ELF...: the libraries ldd resolves (and the interpreter)
	local libs l
	libs=$(ldd "$@" 2>&1 | awk '/=> not found/ {print "MISSING " $1; next}
		/=> \// {print $3; next} /^\t\/[^ ]+ \(/ {print $1}' | sort -u)
	if grep -q '^MISSING' <<<"$libs"; then
		fail "libraries not found for $*: $(grep '^MISSING' <<<"$libs" | tr '\n' ' ')"
	fi
	for l in $libs; do copy_lib "$l"; done
}

# ---- busybox and iproute2 -------------------------------------------------------------------
cp /bin/busybox "$R/bin/busybox"
ln -s busybox "$R/bin/sh" # the other applets' links: /init runs busybox --install -s
cp -L "$IPR" "$R/usr/local/sbin/ip"
copy_closure "$IPR"

# ---- Xen: xenstored, xen-init-dom0, xenstore-*, modules ------------------------------------
for b in xenstored xen-init-dom0; do
	cp -L "$CR/$XBIN/$b" "$R/$XBIN/"
done
for b in "$CR"/usr/bin/xenstore*; do
	[ -L "$b" ] && continue # xenstore-control: a wrapper to the one in $XBIN
	cp -L "$b" "$R/usr/bin/"
done
copy_closure "$R/$XBIN"/* "$R/usr/bin/xenstore"
: >"$R/mod/order"
for m in $MODS; do
	f=$(find "$CR/lib/modules/$KV" -name "$m.ko" | head -1)
	[ -n "$f" ] || fail "module $m not in $KV"
	for d in $(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | tr ',' ' '); do
		grep -qx "$d" "$R/mod/order" || fail "module $m needs $d, which is not listed before it"
	done
	cp "$f" "$R/mod/"
	echo "$m" >>"$R/mod/order"
done
echo "$KV" >"$R/etc/dom0-kernel"

# ---- xdrv, its libraries, its LLVM library beside it or libLLVM from its RUNPATH -------------
cp -L "$B/bin/xdrv" "$R/xdrv/bin/xdrv"
copy_closure "$B/bin/xdrv"
# the build's private LLVM library goes where xdrv looks first, bin/../lib/xdrv/ (cli/llvm_lazy.c)
priv=$B/lib/xdrv/libxdrv-llvm.so.19
llvm=
if [ -f "$priv" ]; then
	mkdir -p "$R/xdrv/lib/xdrv"
	cp -L "$priv" "$R/xdrv/lib/xdrv/"
	copy_closure "$priv"
else
	# the stubs' list of sonames is one string: its libLLVM word
	llvm=$(strings -a "$B/bin/xdrv" | grep -oE '(^| )libLLVM[-.0-9A-Za-z]*\.so[.0-9]*$' | tr -d ' ' | head -1 || true)
fi
if [ -n "$llvm" ]; then
	found=
	runpath=$(readelf -d "$B/bin/xdrv" | sed -n 's/.*(\(RUNPATH\|RPATH\)).*\[\(.*\)\]/\2/p')
	for d in ${runpath//:/ } /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu; do
		if [ -e "$d/$llvm" ]; then
			found=$d/$llvm
			break
		fi
	done
	[ -n "$found" ] || fail "xdrv loads $llvm, found neither in its RUNPATH ($runpath) nor the default paths"
	copy_lib "$found"
	copy_closure "$found"
fi
for p in $PKGS; do
	[ -r "$B/pkg/$p.xdrv" ] || fail "no $B/pkg/$p.xdrv (make drivers)"
	cp "$B/pkg/$p.xdrv" "$R/xdrv/pkg/"
done
cp "$B/pki/root.pem" "$R/xdrv/pki/"
# what ASan and LSan read at exit, and what apps that look up users want
echo 'root:x:0:0:root:/:/bin/sh' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"

cp "$S/dom0-init.sh" "$R/init"
chmod 755 "$R/init"
[ -n "${XDRV_XEN_EXTRA:-}" ] && cp -a "$XDRV_XEN_EXTRA"/. "$R/"

(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$OUT"
echo "initramfs: $OUT $(du -m "$OUT" | cut -f1) MB, kernel $KV, $(find "$R" -type f | wc -l) files"
