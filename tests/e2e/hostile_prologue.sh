#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Prologue data (issue 12): tests/hostile/prologue_syscall.ll puts x86-64 `mov eax, 39;
# syscall` as prologue data on its probe, bytes LLVM emits at the function's entry and that run
# as native code before the body. Before the lint read prologue data, `xdrv pack` packed it and
# `xdrv run` made the raw system call and then logged "probe ran". Now:
#   1. `xdrv pack` refuses it, naming the function and the prologue data;
#   2. packed anyway (`xdrv pack --no-lint`, testing loaders only) and signed with the build's
#      dev PKI, `xdrv load --trust` refuses it with the same line (a signature says who wrote
#      the driver, not what it does);
#   3. `xdrv run --allow-unsigned` refuses the unsigned package, and the probe never runs.
# `xdrv build` compiles C, which has no spelling for prologue data: the IR is the artifact.
#   usage: tests/e2e/hostile_prologue.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: hostile_prologue.sh BUILD_DIR}
X="$B/bin/xdrv" PKI="$B/pki"
H=$(cd "$(dirname "$0")/../hostile" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
want='function hostile_probe: prologue data: bytes placed at the function.s entry run as native code, unchecked .*: remove the prologue; write the function in C'

llvm-as-19 "$H/prologue_syscall.ll" -o "$T/p.bc" 2>"$T/as.log" ||
  { echo "FAIL - llvm-as-19 tests/hostile/prologue_syscall.ll: $(cat "$T/as.log")"; exit 1; }
if llvm-dis-19 "$T/p.bc" -o - | grep -q ' prologue '; then ok "the bitcode carries prologue data"
else bad "llvm-dis shows no prologue data in the assembled bitcode"; fi

# 1. the SDK
out=$("$X" pack -o "$T/try.xdrv" "$T/p.bc" 2>&1); rc=$?
if [ "$rc" -ne 1 ]; then bad "xdrv pack: exit $rc, wanted 1: $out"
elif ! grep -qE -- "^xdrv pack: $want" <<<"$out"; then bad "xdrv pack: no /$want/ in: $out"
else ok "xdrv pack refuses: ${out:0:120}..."; fi
if [ -e "$T/try.xdrv" ]; then bad "xdrv pack left $T/try.xdrv"; else ok "xdrv pack wrote no package"; fi

# 2. the loader, signed package
"$X" pack --no-lint -o "$T/p.unsigned.xdrv" "$T/p.bc" >"$T/pack.log" 2>&1 ||
  { echo "FAIL - xdrv pack --no-lint: $(cat "$T/pack.log")"; exit 1; }
"$X" sign --cert "$PKI/signer.pem" --key "$PKI/signer.key" --chain "$PKI/vendor.pem" \
  -o "$T/p.xdrv" "$T/p.unsigned.xdrv" >"$T/sign.log" 2>&1 ||
  { echo "FAIL - xdrv sign: $(cat "$T/sign.log")"; exit 1; }
out=$("$X" load --trust "$PKI/root.pem" "$T/p.xdrv" 2>&1); rc=$?
if [ "$rc" -ne 1 ]; then bad "xdrv load (signed): exit $rc, wanted 1: $out"
elif ! grep -qE -- "^xdrv load: package p.xdrv: $want" <<<"$out"; then bad "xdrv load: no /$want/ in: $out"
else ok "xdrv load refuses the signed package: $(grep -m1 'prologue' <<<"$out" | cut -c1-110)..."; fi

# 3. the loader, xdrv run in development mode
out=$("$X" run --allow-unsigned --device null "$T/p.unsigned.xdrv" 2>&1); rc=$?
if [ "$rc" -ne 1 ]; then bad "xdrv run: exit $rc, wanted 1: $out"
elif ! grep -qE -- "^xdrv run: package p.unsigned.xdrv: $want" <<<"$out"; then bad "xdrv run: no /$want/ in: $out"
else ok "xdrv run refuses the unsigned package"; fi
if grep -q 'probe ran' <<<"$out"; then bad "the probe ran: $out"; else ok "the probe never ran"; fi

echo "hostile_prologue.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
