#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The portability profile, enforced twice: each driver in tests/portability/ carries one
# non-portable construct and says in its header comment what must refuse it:
#   expect-build: REGEX     the SDK's refusal (`xdrv build`, or `xdrv pack` with build-check: pack)
#   expect-load: REGEX      the loader's refusal of a signed package that carries it anyway
#   build-flags: FLAGS      extra `xdrv build` flags for the SDK-side attempt
#   foreign-target: TRIPLE  the loader's package holds bitcode compiled by clang for TRIPLE
#   ir-replace: A => B      the loader's package holds the driver's IR with A replaced by B
# The loader's package is written with `xdrv build --no-lint` / `xdrv pack --no-lint` (testing
# loaders only) and signed with the build's dev PKI, so only the loader's own checks stand
# between it and the JIT. Each refusal must also say what to write instead (non-empty hint
# after the construct). A big-endian host's refusal is a CUnit test (tests/loader/
# test_byte_order.c).
#   usage: tests/e2e/portability.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: portability.sh BUILD_DIR}
X="$B/bin/xdrv" PKI="$B/pki" D=tests/portability
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0 n=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
tag() { sed -n "s/^ \* $2: //p" "$1" | head -1; }

for src in "$D"/*.c; do
  name=$(basename "$src" .c) n=$((n + 1))
  eb=$(tag "$src" expect-build) el=$(tag "$src" expect-load) flags=$(tag "$src" build-flags)
  foreign=$(tag "$src" foreign-target) irrep=$(tag "$src" ir-replace) via=$(tag "$src" build-check)
  if [ -z "$eb" ] || [ -z "$el" ]; then bad "$name: no expect-build/expect-load in its header"; continue; fi

  # the bitcode that carries the construct
  bc="$T/$name.bc"
  if [ -n "$foreign" ]; then
    clang-19 --target="$foreign" -ffreestanding -nostdlibinc -isystem driver-abi/include -I "$D" \
      -O2 -Xclang -disable-llvm-passes -emit-llvm -c "$src" -o "$bc" 2>"$T/cc.log" ||
      { bad "$name: clang --target=$foreign failed: $(cat "$T/cc.log")"; continue; }
  else
    "$X" build --no-lint -I "$D" -o "$bc" "$src" 2>"$T/nolint.log" ||
      { bad "$name: xdrv build --no-lint failed: $(cat "$T/nolint.log")"; continue; }
    if [ -n "$irrep" ]; then
      llvm-dis-19 "$bc" -o "$T/$name.ll"
      a=${irrep%% => *} b=${irrep#* => }
      grep -qF "$a" "$T/$name.ll" || { bad "$name: ir-replace: '$a' not in the IR"; continue; }
      fn=$(sed -E 's/.*@([A-Za-z0-9_.]+)\(.*/\1/' <<<"$b")
      { sed "s|$a|$b|" "$T/$name.ll"; echo "declare void @$fn()"; } > "$T/$name.edited.ll"
      llvm-as-19 "$T/$name.edited.ll" -o "$bc" || { bad "$name: llvm-as failed"; continue; }
    fi
  fi

  # 1. the SDK refuses
  if [ "$via" = pack ] || [ -n "$irrep" ]; then
    out=$("$X" pack -o "$T/$name.try.xdrv" "$bc" 2>&1); rc=$?; what="xdrv pack"
  else
    # shellcheck disable=SC2086 # flags are words
    out=$("$X" build $flags -I "$D" -o "$T/$name.try.bc" "$src" 2>&1); rc=$?; what="xdrv build${flags:+ $flags}"
  fi
  if [ "$rc" -ne 1 ]; then bad "$name: $what: exit $rc, wanted 1: $out"
  elif ! grep -qiE -- "$eb" <<<"$out"; then bad "$name: $what: no /$eb/ in: $out"
  else ok "$name: $what refuses: $(grep -iE -m1 -- "$eb" <<<"$out" | cut -c1-150)"; fi
  # the intrinsic's IR also goes through `xdrv build`'s compiler refusal
  if [ -n "$irrep" ]; then
    # shellcheck disable=SC2086
    out=$("$X" build $flags -I "$D" -o "$T/$name.try.bc" "$src" 2>&1); rc=$?
    if [ "$rc" -eq 1 ] && grep -q -- "__builtin" <<<"$out"; then ok "$name: xdrv build $flags refuses (clang: unknown builtin)"
    else bad "$name: xdrv build $flags: exit $rc: $out"; fi
  fi

  # 2. the loader refuses the same construct in a signed package
  "$X" pack --no-lint -o "$T/$name.unsigned.xdrv" "$bc" >"$T/pack.log" 2>&1 ||
    { bad "$name: xdrv pack --no-lint failed: $(cat "$T/pack.log")"; continue; }
  "$X" sign --cert "$PKI/signer.pem" --key "$PKI/signer.key" --chain "$PKI/vendor.pem" \
    -o "$T/$name.xdrv" "$T/$name.unsigned.xdrv" >"$T/sign.log" 2>&1 ||
    { bad "$name: sign failed: $(cat "$T/sign.log")"; continue; }
  out=$("$X" load --trust "$PKI/root.pem" "$T/$name.xdrv" 2>&1); rc=$?
  if [ "$rc" -ne 1 ]; then bad "$name: xdrv load: exit $rc, wanted 1: $out"
  elif ! grep -qiE -- "$el" <<<"$out"; then bad "$name: xdrv load: no /$el/ in: $out"
  else ok "$name: loader refuses: $(grep -iE -m1 -- "$el" <<<"$out" | cut -c1-170)"; fi
done
[ "$n" -ge 6 ] || bad "only $n drivers in $D (variadic, aggregate, inline asm, intrinsic, char, foreign layout)"
echo "portability.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
