#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Live patch packages from the command line (issue 13, sdk/README.md "Patch packages"): xdrv
# build --patch, xdrv pack --patch-for (the manifest names the base's payload digest; refusals
# for a wrong type, a base that is not a driver, a missing --version), sign and verify as any
# package, inspect shows kind patch and the base digest, and a patch is never loaded as a driver.
#   usage: tests/e2e/patch_pack.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: patch_pack.sh BUILD_DIR}
X="$B/bin/xdrv" PKI="$B/pki" BASE="$B/pkg/hello.xdrv"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
# expect EXIT PATTERN DESCRIPTION -- command...
expect() {
  local want=$1 pat=$2 what=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$what: exit $rc, wanted $want: $out"; return; fi
  if [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then bad "$what: no /$pat/ in: $out"; return; fi
  ok "$what"
}
sign() { "$X" sign --cert "$PKI/signer.pem" --key "$PKI/signer.key" --chain "$PKI/vendor.pem" -o "$2" "$1"; }

expect 0 "" "build --patch of tests/data/patch/hello_goodbye.c" -- \
  "$X" build --patch -o "$T/good.bc" tests/data/patch/hello_goodbye.c
expect 0 "" "build --patch of hello_badtype.c (its type is pack's to refuse)" -- \
  "$X" build --patch -o "$T/bad.bc" tests/data/patch/hello_badtype.c
expect 1 "a patch has no descriptor" "build --patch refuses a driver's sources" -- \
  "$X" build --patch -o "$T/drv.bc" sample-drivers/hello/hello.c

# the base's identity: the payload digest its signature covers
base_sha=$("$X" verify --trust "$PKI/root.pem" "$BASE" | awk '/^payload sha256:/{print $3}')
if [ ${#base_sha} -eq 64 ]; then ok "base payload digest $base_sha"; else bad "no payload digest for $BASE"; fi

expect 0 "" "pack --patch-for" -- \
  "$X" pack --patch-for "$BASE" --version 1.0.1 -o "$T/p.xdrv" "$T/good.bc"
man=$(tar -xOf "$T/p.xdrv" manifest.json)
if grep -q '"kind": "patch"' <<<"$man" && grep -q "\"patch_for\": \"$base_sha\"" <<<"$man" &&
  grep -q '"name": "hello"' <<<"$man" && grep -q '"hello_remove"' <<<"$man"; then
  ok "manifest: kind patch, patch_for = the base's payload digest, name, functions"
else
  bad "manifest: $man"
fi
AX=$(realpath "$X") ABASE=$(realpath "$BASE")
expect 0 "" "the default output name" -- \
  sh -c "cd '$T' && '$AX' pack --patch-for '$ABASE' --version 1.0.2 good.bc && test -f hello-1.0.2.patch.xdrv"
expect 1 "function hello_remove: type i32 \(ptr\) in the patch, void \(ptr\) in the base" \
  "pack refuses a type change, naming both types" -- \
  "$X" pack --patch-for "$BASE" --version 1.0.1 -o "$T/bad.xdrv" "$T/bad.bc"
if [ -e "$T/bad.xdrv" ]; then bad "a refused pack wrote its output"; else ok "nothing written on refusal"; fi
expect 2 "needs --version" "pack --patch-for needs --version" -- \
  "$X" pack --patch-for "$BASE" -o "$T/x.xdrv" "$T/good.bc"
expect 1 "is a patch package, not a driver package" "a patch is not a base" -- \
  "$X" pack --patch-for "$T/p.xdrv" --version 1.0.3 -o "$T/x.xdrv" "$T/good.bc"
if [ -f "$B/ext/flowcount.xdrv" ]; then
  expect 1 "is a packet extension package, not a driver package" "an extension is not a base" -- \
    "$X" pack --patch-for "$B/ext/flowcount.xdrv" --version 1.0.3 -o "$T/x.xdrv" "$T/good.bc"
fi

expect 0 "" "sign a patch" -- sign "$T/p.xdrv" "$T/p.signed.xdrv"
expect 0 "^OK" "verify a signed patch" -- "$X" verify --trust "$PKI/root.pem" "$T/p.signed.xdrv"
expect 0 "patch +hello 1\.0\.1" "inspect: kind patch" -- \
  "$X" inspect --trust "$PKI/root.pem" "$T/p.signed.xdrv"
expect 0 "patch for +sha256 $base_sha" "inspect: the base's digest" -- \
  "$X" inspect --trust "$PKI/root.pem" "$T/p.signed.xdrv"
expect 0 "replaces +hello_remove" "inspect: the functions replaced" -- \
  "$X" inspect --trust "$PKI/root.pem" "$T/p.signed.xdrv"
expect 0 "lint +ok" "inspect: the patch lint passes" -- \
  "$X" inspect --trust "$PKI/root.pem" "$T/p.signed.xdrv"
expect 1 "is a live patch" "a patch is not loaded as a driver" -- \
  "$X" load --trust "$PKI/root.pem" "$T/p.signed.xdrv"

if [ "$fails" -ne 0 ]; then echo "FAIL patch_pack: $fails"; exit 1; fi
echo "PASS patch_pack"
