#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Live patches (issue 13; loader/patch.c, loader/tier.c, cli/cmd_patch.c): `xdrv patch` against a
# running `xdrv run --in-process --control` of the signed dp83820 under the frame generator.
# tests/data/patch/dp83820_goodbye.c replaces dp_remove (same type, the base's static helpers
# called): applied, the running code becomes generation 1 with it; reverted, generation 2
# without it; applied again, and the driver's remove at the end of the run is the patched one.
# Refused, with the running code unchanged: a patch for another package (hello's), an unsigned
# or tampered patch, a patch applied twice, a revert with none applied. A run in a driver domain
# takes a patch too.
# The generator is endless: the run ends with SIGTERM, so no step depends on how fast the machine
# is.
#   usage: tests/e2e/live_patch.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: live_patch.sh BUILD_DIR}
# shellcheck source=tests/e2e/lib/ctl_run.sh
source "$(dirname "$0")/lib/ctl_run.sh"
PATCH="$B/patch/dp83820_goodbye.xdrv"
for f in "$P" "$PATCH" "$B/patch/hello_goodbye.xdrv" "$B/patch/dp83820_goodbye.unsigned.xdrv"; do
  [ -r "$f" ] || { echo "FAIL - no $f (make all)"; exit 1; }
done
cp "$PATCH" "$T/tampered.xdrv"
printf '\x5a' | dd of="$T/tampered.xdrv" bs=1 seek=700 conv=notrunc 2>/dev/null

SOCK="$T/ctl.sock"
ctl_run_start "$SOCK" "$T/run.log" "gen:count=4000000000,size=60,check=0,digest=0"

l0=$("$X" patch list --control "$SOCK" 2>&1); q0=$?
r1=$("$X" patch apply --control "$SOCK" "$B/patch/hello_goodbye.xdrv" 2>&1); q1=$?
r2=$("$X" patch apply --control "$SOCK" "$B/patch/dp83820_goodbye.unsigned.xdrv" 2>&1); q2=$?
r3=$("$X" patch apply --control "$SOCK" "$T/tampered.xdrv" 2>&1); q3=$?
r4=$("$X" patch revert --control "$SOCK" 2>&1); q4=$?
st=$("$X" param status --control "$SOCK" 2>&1)
if [ "$q0" -eq 0 ] && [ -z "$l0" ] && [ "$q1$q2$q3$q4" = 1111 ] &&
   has "$r1" "is a patch for the package whose payload has SHA-256" &&
   has "$r2" "unsigned, and this host requires signatures" &&
   has "$r3" "signature: payload digest mismatch: package modified after signing" &&
   has "$r4" "no live patch is applied" && has "$st" "generation 0 state live swap none"; then
  ok "refused, the code unchanged: another package's patch, unsigned, tampered, a revert of nothing"
else
  bad "refusals: $q0 [$l0] $q1$q2$q3$q4 / $r1 / $r2 / $r3 / $r4 / $st"
fi

a1=$("$X" patch apply --control "$SOCK" "$PATCH" 2>&1); p1=$?
l1=$("$X" patch list --control "$SOCK" 2>&1)
if [ "$p1" -eq 0 ] && grep -qE "generation 1 state live swap live-patch object [0-9a-f]{64}" <<<"$a1" &&
   grep -qE "^1 dp83820 [0-9.]+ [0-9a-f]{64} functions=1$" <<<"$l1"; then
  ok "apply: generation 1 live with the patch ($(grep -oE 'compile_ms [0-9.]+ swap_us [0-9.]+' <<<"$a1"))"
else
  bad "apply: exit $p1: $a1 / $l1"
fi
a2=$("$X" patch apply --control "$SOCK" "$PATCH" 2>&1); p2=$?
if [ "$p2" -eq 1 ] && has "$a2" "is applied already"; then ok "a patch applied twice is refused"; else bad "twice: $p2 $a2"; fi

v1=$("$X" patch revert --control "$SOCK" 2>&1); p3=$?
l2=$("$X" patch list --control "$SOCK" 2>&1)
if [ "$p3" -eq 0 ] && grep -qE "generation 2 state live swap revert" <<<"$v1" && [ -z "$l2" ]; then
  ok "revert: generation 2 live without it"
else
  bad "revert: exit $p3: $v1 / [$l2]"
fi
a3=$("$X" patch apply --control "$SOCK" "$PATCH" 2>&1); p4=$?
if [ "$p4" -eq 0 ] && has "$a3" "generation 3 state live"; then ok "applied again: generation 3"; else bad "again: $p4 $a3"; fi

kill -TERM "$XPID"; wait "$XPID"; xrc=$?; XPID=""
log=$(cat "$T/run.log")
if [ "$xrc" -eq 0 ] && has "$log" "dp83820: removed by the live-patched remove; rx " &&
   ! has "$log" "dp83820: removed; rx" &&
   grep -qE "^xdrv loader: driver dp83820: live patch dp83820 [0-9.]+ \(sha256 [0-9a-f]{16}\.\.\.\): generation 1 \(O2\) live after" <<<"$log" &&
   grep -qE "^xdrv loader: driver dp83820: revert of live patch dp83820 .*: generation 2 \(O2\) live after" <<<"$log" &&
   grep -qE "^  code        generation 3 runs; the last swap, live patch dp83820 .*, live \(object sha256 [0-9a-f]{64}\)$" <<<"$log"; then
  ok "the driver's remove at the end is the patched one; each swap logged; the summary names generation 3"
else
  bad "run: exit $xrc: $log"
fi

# ---- a driver domain: swapped there too ---------------------------------------------------------
ctl_domain_swaps "a patch" "generation 1 state live swap live-patch" patch apply --control "$T/dom.sock" "$PATCH"

u=$("$X" patch apply 2>&1); uq=$?
if [ "$uq" -eq 2 ] && has "$u" "apply wants one PATCH.xdrv"; then ok "usage error"; else bad "usage: $uq $u"; fi

[ "$fails" -eq 0 ] && echo "live_patch: all passed" || echo "live_patch: $fails failed"
[ "$fails" -eq 0 ]
