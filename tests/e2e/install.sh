#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make install as a packager and a driver author use it: install with DESTDIR and PREFIX=/usr,
# move the installed tree somewhere else, then build, pack, sign and verify a driver with the
# moved xdrv (through driver.mk found by pkg-config) and compile it with
# `pkg-config --cflags xdrv-driver` alone: nothing may depend on the source tree's path. Also:
# the .pc flags are the ones xdrv build uses, the error names every place it looked when the
# headers are gone, the systemd unit passes systemd-analyze verify with no message (and keeps
# its hardening), and make uninstall removes every file install wrote.
#   usage: tests/e2e/install.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: install.sh BUILD_DIR}
SRC=$PWD
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
# make install/uninstall for this build folder; -o: never rebuild the programs here (the test
# build's flags differ from a plain `make`), install what BUILD_DIR holds
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s O="$B" -o "$B/bin/xdrv" -o "$B/bin/xdrv-repod" "$@"; }

# 1. install into a staging tree
if mk install DESTDIR="$T/stage" PREFIX=/usr > "$T/install.log" 2>&1; then ok "make install DESTDIR=... PREFIX=/usr"
else bad "make install failed: $(tail -5 "$T/install.log")"; exit 1; fi
S=$T/stage/usr
for f in bin/xdrv bin/xdrv-repod include/xdrv-driver/xdrv/abi.h include/xdrv-driver/xdrv/driver.h \
  include/xdrv-driver/xdrv/symbols.def share/pkgconfig/xdrv-driver.pc share/xdrv/driver.mk \
  share/man/man1/xdrv.1 share/man/man1/xdrv-build.1 share/man/man8/xdrv-repod.8 \
  share/bash-completion/completions/xdrv share/bash-completion/completions/xdrv-repod \
  lib/systemd/system/xdrv-repod.service share/doc/xdrv-repod/examples/repod.conf; do
  [ -e "$S/$f" ] || bad "not installed: /usr/$f"
done
# xdrv's private LLVM library, where the build has one (Makefile: LLVM_PRIVATE)
PRIV=$(readlink -f "$B")/lib/xdrv/libxdrv-llvm.so.19 # absolute: the steps below cd
if [ -f "$PRIV" ]; then
  [ -f "$S/lib/xdrv/libxdrv-llvm.so.19" ] && ok "the private LLVM library is installed in /usr/lib/xdrv" ||
    bad "not installed: /usr/lib/xdrv/libxdrv-llvm.so.19"
fi
n_hdr=$(ls "$SRC"/driver-abi/include/xdrv/*.h | wc -l)
[ "$(ls "$S"/include/xdrv-driver/xdrv/*.h | wc -l)" -eq "$n_hdr" ] && ok "all $n_hdr ABI headers installed" ||
  bad "ABI headers: $(ls "$S"/include/xdrv-driver/xdrv/ | tr '\n' ' ')"
nf=$(find "$T/stage" -type f | wc -l)
[ "$nf" -ge 40 ] && ok "$nf files installed" || bad "only $nf files installed"
grep -q "^ExecStart=/usr/bin/xdrv-repod serve " "$S/lib/systemd/system/xdrv-repod.service" &&
  ok "unit runs /usr/bin/xdrv-repod" || bad "unit ExecStart: $(grep ExecStart "$S/lib/systemd/system/xdrv-repod.service")"

# 2. move it: nothing below may find the source tree (cwd, paths and environment are elsewhere)
M=$T/elsewhere/opt/xdrv
mkdir -p "$(dirname "$M")" && mv "$S" "$M" && rm -rf "$T/stage"
export PKG_CONFIG_PATH=$M/share/pkgconfig
unset XDRV_ABI_INCLUDE XDRV_BUILD PKG_CONFIG_LIBDIR
W=$T/work/hello
mkdir -p "$W" && cp "$SRC/sample-drivers/hello/hello.c" "$W/"
cd "$W" || exit 1

cflags=$(pkg-config --cflags xdrv-driver)
[[ $cflags == *"-I$M/share/pkgconfig/../../include/xdrv-driver"* ]] && ok "pkg-config --cflags follows the moved tree: $cflags" ||
  bad "pkg-config --cflags: $cflags"
[ "$(pkg-config --variable=xdrv xdrv-driver)" = "$M/share/pkgconfig/../../bin/xdrv" ] && ok "pkg-config --variable=xdrv" ||
  bad "xdrv variable: $(pkg-config --variable=xdrv xdrv-driver)"
[ "$(pkg-config --variable=abi_version xdrv-driver)" = "$("$M/bin/xdrv" abi | sed -n '1s/.* ABI \([0-9.]*\) .*/\1/p')" ] &&
  ok "abi_version in the .pc is the one xdrv abi prints" || bad "abi_version $(pkg-config --variable=abi_version xdrv-driver)"

# the driver.mk a driver author includes
cat > Makefile <<'EOF'
DRIVER := hello
VERSION := 1.0.0
SECURITY_VERSION := 1
include $(shell pkg-config --variable=makeinclude xdrv-driver)
EOF
"$M/bin/xdrv" pki --out "$T/pki" --quiet || bad "xdrv pki"
if make --no-print-directory SIGN_CERT="$T/pki/signer.pem" SIGN_KEY="$T/pki/signer.key" \
  SIGN_CHAIN="$T/pki/vendor.pem" all sign > "$T/drv.log" 2>&1; then
  ok "driver.mk: build, pack, sign with the moved xdrv"
else bad "driver.mk: $(cat "$T/drv.log")"; fi
grep -q "^$M/share/xdrv/../../bin/xdrv build\|^$M/bin/xdrv build" "$T/drv.log" && ok "driver.mk ran the moved tree's xdrv" ||
  bad "driver.mk ran: $(grep ' build ' "$T/drv.log")"
"$M/bin/xdrv" verify --trust "$T/pki/root.pem" build/hello-1.0.0.signed.xdrv > "$T/v.log" 2>&1 &&
  ok "signed package verifies" || bad "verify: $(cat "$T/v.log")"

# the moved xdrv loads the moved tree's private LLVM library (pack above parsed the bitcode)
if [ -f "$PRIV" ]; then
  l=$(LD_DEBUG=libs "$M/bin/xdrv" version 2>&1 >/dev/null | grep "calling init: .*llvm" -i)
  [[ $l == *"calling init: $M/bin/../lib/xdrv/libxdrv-llvm.so.19"* ]] && ok "the moved xdrv loads $M/lib/xdrv/libxdrv-llvm.so.19" ||
    bad "the moved xdrv loaded: $l"
fi

# xdrv build -v: the ABI folder it uses is the moved tree's, and the .pc's flags are its flags
v=$("$M/bin/xdrv" build -v -o v.bc hello.c 2>&1) || bad "xdrv build -v: $v"
[[ $v == *"-isystem $M/include/xdrv-driver "* ]] && ok "xdrv build uses $M/include/xdrv-driver" ||
  bad "xdrv build -v: $v"
[[ $v == *"$SRC/driver-abi"* ]] && bad "xdrv build still reaches the source tree: $v"
for f in $cflags; do
  case $f in -I*) continue ;; esac
  [[ " $v " == *" $f "* ]] || bad "pkg-config flag $f is not one xdrv build passes: $v"
done
ok "every flag of pkg-config --cflags is one xdrv build passes"

# a driver compiled with pkg-config's flags alone (what an editor or a native test build does)
if clang-19 --target="$(pkg-config --variable=target xdrv-driver)" $cflags -emit-llvm -c hello.c -o pc.bc 2> "$T/cc.log"; then
  ok "clang-19 \$(pkg-config --cflags xdrv-driver) compiles the driver"
else bad "clang with pkg-config flags: $(cat "$T/cc.log")"; fi
printf '#include <stdio.h>\n' > libc.c
clang-19 --target="$(pkg-config --variable=target xdrv-driver)" $cflags -c libc.c -o /dev/null 2>/dev/null &&
  bad "pkg-config flags let a driver include <stdio.h> (not freestanding)" || ok "pkg-config flags keep libc headers out"

# the headers gone: the error names every place tried
mv "$M/include" "$M/include.away"
out=$("$M/bin/xdrv" build -o x.bc hello.c 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [[ $out == *"$M/include/xdrv-driver"* ]] && [[ $out == *"$M/driver-abi/include"* ]] &&
  [[ $out == *XDRV_ABI_INCLUDE* ]]; then ok "missing headers: error names the places tried"
else bad "missing headers (exit $rc): $out"; fi
out=$(XDRV_ABI_INCLUDE="$M/include.away/xdrv-driver" "$M/bin/xdrv" build -o x.bc hello.c 2>&1) &&
  ok "XDRV_ABI_INCLUDE overrides" || bad "XDRV_ABI_INCLUDE: $out"
mv "$M/include.away" "$M/include"
cd "$SRC" || exit 1

# 3. the unit: systemd-analyze verify silent (an install with a real PREFIX, so ExecStart exists
# and man:xdrv-repod(8) is found through MANPATH), and the hardening still there
P=$T/prefix
if mk install PREFIX="$P" > "$T/i2.log" 2>&1; then
  U=$P/lib/systemd/system/xdrv-repod.service
  if command -v systemd-analyze >/dev/null; then
    out=$(MANPATH=$P/share/man systemd-analyze verify "$U" 2>&1); rc=$?
    [ "$rc" -eq 0 ] && [ -z "$out" ] && ok "systemd-analyze verify: clean" || bad "systemd-analyze verify (exit $rc): $out"
    exp=$(systemd-analyze security --offline=yes "$U" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
    awk -v e="${exp:-99}" 'BEGIN { exit !(e <= 2.0) }' && ok "systemd-analyze security: exposure $exp (<= 2.0)" ||
      bad "systemd-analyze security: exposure ${exp:-?}"
  else
    bad "systemd-analyze not installed (apt-get install systemd)"
  fi
  for k in DynamicUser=yes StateDirectory=xdrv-repod ConfigurationDirectory=xdrv-repod ProtectSystem=strict \
    ProtectHome=yes PrivateTmp=yes PrivateDevices=yes NoNewPrivileges=yes CapabilityBoundingSet= \
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" SystemCallFilter=@system-service MemoryDenyWriteExecute=yes; do
    grep -qx -- "$k" "$U" && hard=$((${hard:-0} + 1)) || bad "unit lacks $k"
  done
  [ "${hard:-0}" -eq 12 ] && ok "unit keeps its 12 hardening directives"
else bad "make install PREFIX=$P: $(tail -5 "$T/i2.log")"; fi

# 4. uninstall leaves no file behind
mk uninstall PREFIX="$P" > "$T/u.log" 2>&1 || bad "make uninstall: $(tail -5 "$T/u.log")"
left=$(find "$P" -type f -o -type l 2>/dev/null)
[ -z "$left" ] && ok "make uninstall removed every file" || bad "left after uninstall: $left"

if [ "$fails" -eq 0 ]; then echo "ok - make install, relocated tree, pkg-config, driver.mk, unit"; exit 0; fi
echo "FAIL - install: $fails problems"
exit 1
