#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make deb: split a `make install DESTDIR=STAGE PREFIX=/usr` tree into three Debian binary
# packages and build them with dpkg-deb (no debhelper):
#   xdrv             the command line (amd64): /usr/bin/xdrv, its private LLVM library
#                    (/usr/lib/xdrv/, when the build has one), man pages, bash completion
#   xdrv-repod       the repository server (amd64): /usr/bin/xdrv-repod, xdrv-repod(8), the
#                    hardened systemd unit, an example configuration
#   xdrv-driver-dev  what a driver author builds against (all): the ABI headers, xdrv-driver.pc,
#                    driver.mk; depends on xdrv and clang-19, which `xdrv build` runs
# Each gets a control file (Depends of the binaries computed by dpkg-shlibdeps, plus the
# libraries xdrv dlopen()s, XDRV_DLOPEN_SONAMES), md5sums,
# /usr/share/doc/PKG/copyright (DEP-5) and changelog.Debian.gz; man pages are gzipped, binaries
# stripped. Then lintian runs on the three and any error fails the build.
#   usage: [XDRV_DLOPEN_SONAMES="libLLVM.so.19.1"] packaging/deb/build-debs.sh STAGE OUTDIR VERSION
set -euo pipefail
STAGE=${1:?usage: build-debs.sh STAGE OUTDIR VERSION} OUT=${2:?} VERSION=${3:?}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
ARCH=$(dpkg --print-architecture)
MAINT=${DEB_MAINTAINER:-$(git -C "$SRC" log -1 --format='%an <%ae>' 2>/dev/null || echo "xdrv authors <xdrv@localhost>")}
# the changelog's date: the last commit's, so the same tree gives the same packages
DATE=$(date -R -d "@${SOURCE_DATE_EPOCH:-$(git -C "$SRC" log -1 --format=%ct 2>/dev/null || date +%s)}")
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date -d "$DATE" +%s)}
WORK=$OUT/root
rm -rf "$WORK" && mkdir -p "$WORK" "$OUT"

# move PATH... (relative to STAGE) into package root $1
take() {
  local pkg=$1 p
  shift
  for p in "$@"; do
    [ -e "$STAGE/$p" ] || [ -L "$STAGE/$p" ] || { echo "build-debs: $p: not in the staged install" >&2; exit 1; }
    mkdir -p "$WORK/$pkg/$(dirname "$p")"
    mv "$STAGE/$p" "$WORK/$pkg/$p"
  done
}

take xdrv usr/bin/xdrv usr/share/man/man1 usr/share/bash-completion/completions/xdrv
[ -d "$STAGE/usr/lib/xdrv" ] && take xdrv usr/lib/xdrv
take xdrv-repod usr/bin/xdrv-repod usr/share/man/man8 usr/share/bash-completion/completions/xdrv-repod \
  lib/systemd/system/xdrv-repod.service usr/share/doc/xdrv-repod/examples
take xdrv-driver-dev usr/include/xdrv-driver usr/share/pkgconfig/xdrv-driver.pc usr/share/xdrv/driver.mk
left=$(cd "$STAGE" && find . -type f -o -type l)
[ -z "$left" ] || { echo "build-debs: installed but in no package: $left" >&2; exit 1; }

# Depends of the ELF files of a package root, from dpkg-shlibdeps (it wants a debian/control)
shlibdeps() {
  local d
  d=$(mktemp -d)
  mkdir "$d/debian" && printf 'Source: xdrv\n\nPackage: xdrv\nArchitecture: any\n' > "$d/debian/control"
  (cd "$d" && dpkg-shlibdeps -O -e "$@" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
  rm -rf "$d"
}

# Depends for the libraries a program dlopen()s by soname (xdrv loads libLLVM on first use:
# cli/llvm_lazy.c), which dpkg-shlibdeps cannot see: each soname's entry in the installed
# shlibs files, the same dependency dpkg-shlibdeps gives a DT_NEEDED library
dlopen_deps() {
  local so lib ver dep list=""
  for so in "$@"; do
    lib=${so%%.so.*} ver=${so#*.so.}
    dep=$(cat /var/lib/dpkg/info/*.shlibs 2>/dev/null |
      awk -v l="$lib" -v v="$ver" '$1 == l && $2 == v { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }')
    [ -n "$dep" ] || { echo "build-debs: no installed package's shlibs file lists $so" >&2; exit 1; }
    list+="${list:+, }$dep"
  done
  echo "$list"
}

copyright() {
  cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: xdrv
Comment: Signed LLVM-bitcode device drivers, JIT-compiled on any host.

Files: *
Copyright: 2026 the xdrv authors
License: Expat

License: Expat
$(sed -n '/^Permission/,$p' "$SRC/LICENSE" | sed 's/^$/./; s/^/ /')
EOF
}

changelog() {
  cat <<EOF
xdrv ($VERSION) unstable; urgency=medium

  * Built from the xdrv source tree by make deb (packaging/deb/build-debs.sh),
    commit $(git -C "$SRC" log -1 --format=%h 2>/dev/null || echo unknown).

 -- $MAINT  $DATE
EOF
}

# control PKG ARCH DEPENDS SECTION SUMMARY DESCRIPTION [extra fields]
control() {
  local pkg=$1 arch=$2 deps=$3 section=$4 summary=$5 desc=$6 extra=${7:-}
  local size
  size=$(du -k -s --apparent-size --exclude=DEBIAN "$WORK/$pkg" | cut -f1)
  {
    echo "Package: $pkg"
    echo "Source: xdrv"
    echo "Version: $VERSION"
    echo "Architecture: $arch"
    echo "Maintainer: $MAINT"
    echo "Installed-Size: $size"
    echo "Depends: $deps"
    [ -n "$extra" ] && echo "$extra"
    echo "Section: $section"
    echo "Priority: optional"
    echo "Description: $summary"
    fold -s -w 76 <<<"$desc" | sed 's/ *$//; s/^/ /'
  } > "$WORK/$pkg/DEBIAN/control"
}

for pkg in xdrv xdrv-repod xdrv-driver-dev; do
  R=$WORK/$pkg
  mkdir -p "$R/DEBIAN" "$R/usr/share/doc/$pkg"
  copyright > "$R/usr/share/doc/$pkg/copyright"
  changelog | gzip -9n > "$R/usr/share/doc/$pkg/changelog.Debian.gz"
  if [ -d "$R/usr/share/man" ]; then
    find "$R/usr/share/man" -type f -name '*.[1-8]' -exec gzip -9n {} +
  fi
  if [ -d "$R/usr/bin" ]; then
    for b in "$R"/usr/bin/*; do
      # no debug info, no build-folder RUNPATH (Debian's libLLVM-19.so.1 is on the default path)
      strip --strip-unneeded --remove-section=.comment --remove-section=.note "$b"
    done
  fi
  if [ -d "$R/usr/lib/xdrv" ]; then # the private LLVM library: its exported C API stays
    find "$R/usr/lib/xdrv" -type f -name '*.so*' \
      -exec strip --strip-unneeded --remove-section=.comment --remove-section=.note {} +
  fi
done
# the RUNPATH of the link (llvm-config's libdir) points into /usr/lib/llvm-19; Debian's
# libllvm19 puts libLLVM.so.19.1 on the default search path, so it goes (lintian: an error)
command -v patchelf >/dev/null || { echo "build-debs: patchelf is needed (apt-get install patchelf)" >&2; exit 1; }
patchelf --remove-rpath "$WORK/xdrv/usr/bin/xdrv" "$WORK/xdrv-repod/usr/bin/xdrv-repod"

# XDRV_DLOPEN_SONAMES: what xdrv dlopen()s (make deb passes it); a build that links libLLVM
# directly (a cross build) has it as DT_NEEDED instead
# the private LLVM library (in the package, dlopen()ed from beside xdrv): its own Depends
priv=$(find "$WORK/xdrv/usr/lib/xdrv" -type f -name 'libxdrv-llvm.so*' 2>/dev/null || true)
# shellcheck disable=SC2086 # one path or none
xdrv_deps=$(shlibdeps "$WORK/xdrv/usr/bin/xdrv" $priv)
if [ -n "$priv" ]; then
  : # xdrv dlopen()s its own library, which the package holds
elif [ -n "${XDRV_DLOPEN_SONAMES:-}" ]; then
  # shellcheck disable=SC2086 # a list of sonames
  xdrv_deps="$xdrv_deps, $(dlopen_deps $XDRV_DLOPEN_SONAMES)"
elif ! readelf -d "$WORK/xdrv/usr/bin/xdrv" | grep 'NEEDED.*libLLVM' >/dev/null; then
  echo "build-debs: xdrv loads LLVM on first use; set XDRV_DLOPEN_SONAMES (make deb does)" >&2
  exit 1
fi
control xdrv "$ARCH" "$xdrv_deps" devel \
  "signed LLVM-bitcode device drivers: build, sign, install, run" \
  "xdrv distributes device drivers as signed LLVM bitcode. A vendor writes a driver once in C against a stable ABI; xdrv build compiles it into portable bitcode, xdrv pack and xdrv sign make it a signed package. Any host verifies the package against its pinned root, JIT-compiles it for its own CPU with LLVM ORC and runs it behind the ABI on a hypervisor backend with device models; packages come from TUF-signed repositories. Building drivers also needs the xdrv-driver-dev package." \
  "Recommends: clang-19
Suggests: xdrv-driver-dev"
control xdrv-repod "$ARCH" "$(shlibdeps "$WORK/xdrv-repod/usr/bin/xdrv-repod")" net \
  "xdrv driver repository server (TUF)" \
  "xdrv-repod serves signed xdrv driver packages from a repository whose metadata follows The Update Framework 1.0; vendors publish with a token, hosts install with xdrv install. Includes a hardened systemd unit (xdrv-repod.service, DynamicUser) that starts once /etc/xdrv-repod/repod.conf exists."
control xdrv-driver-dev all "xdrv (>= $VERSION), clang-19" devel \
  "xdrv driver ABI headers, pkg-config file and make include" \
  "Everything a driver author needs besides xdrv itself: the driver ABI headers (/usr/include/xdrv-driver), xdrv-driver.pc (pkg-config --cflags xdrv-driver gives the include folder and the SDK's freestanding flags) and driver.mk, a make include that builds, packs and signs a driver from a few variables." \
  "Recommends: make, pkgconf"

# xdrv-driver-dev: the .pc hands its users the profile's freestanding flags on purpose (a driver
# must be compiled the way xdrv build compiles it); lintian's pkg-config check is written for
# libraries that leak their own build flags
mkdir -p "$WORK/xdrv-driver-dev/usr/share/lintian/overrides"
cat > "$WORK/xdrv-driver-dev/usr/share/lintian/overrides/xdrv-driver-dev" <<'EOF'
# The driver profile's flags are what a driver must be compiled with (same as xdrv build).
xdrv-driver-dev: pkg-config-bad-directive -fno-stack-protector [usr/share/pkgconfig/xdrv-driver.pc]
EOF

for pkg in xdrv xdrv-repod xdrv-driver-dev; do
  R=$WORK/$pkg
  (cd "$R" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$R/DEBIAN/md5sums"
  chmod 0644 "$R/DEBIAN/control" "$R/DEBIAN/md5sums"
  find "$R" -type d -exec chmod 0755 {} +
  find "$R" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  arch=$(sed -n 's/^Architecture: //p' "$R/DEBIAN/control")
  dpkg-deb --root-owner-group -Zxz --build "$R" "$OUT/${pkg}_${VERSION}_${arch}.deb" >/dev/null
  echo "  DEB     $OUT/${pkg}_${VERSION}_${arch}.deb"
done

if command -v lintian >/dev/null; then
  lintian --tag-display-limit 0 "$OUT"/*_"$VERSION"_*.deb > "$OUT/lintian.txt" 2>&1 || true
  sed 's/^/  lintian: /' "$OUT/lintian.txt"
  if grep -q '^E: ' "$OUT/lintian.txt"; then
    echo "build-debs: lintian reports errors ($OUT/lintian.txt)" >&2
    exit 1
  fi
else
  echo "build-debs: lintian not installed, packages not checked (apt-get install lintian)" >&2
fi
