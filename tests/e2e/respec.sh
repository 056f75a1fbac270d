#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Re-specialization (issue 13; loader/tier.c, cli/cmd_param.c): `xdrv param set` against a
# running `xdrv run --in-process --control` of the dp83820 under the frame generator. The
# driver's csum_offload parameter is live (XDRV_PARAM_F_LIVE): turning it off compiles
# generation 1 of the driver with the new constant in the background and swaps every slot
# between two dispatches, under traffic. Checked: the swap line and the summary, every frame
# through with the same digests each way as a run without the change (the chip's checksums and
# the driver's software ones are the same bytes), `xdrv param list` before and after, and the
# refusals (a fixed parameter, a bad value, another driver, no such parameter) that change
# nothing; a run in a driver domain takes the change too. XDRV_TEST_SWAP_AT holds the run at
# the 100 000th of 200 000 frames received (no dispatch, the control socket served: cli/run/ctl.c)
# until the swap is live, so the change lands mid-run, with frames before and after it, however
# fast or busy the machine is.
#   usage: tests/e2e/respec.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: respec.sh BUILD_DIR}
# shellcheck source=tests/e2e/lib/ctl_run.sh
source "$(dirname "$0")/lib/ctl_run.sh"

N=200000
GEN="gen:count=$N,size=64"
base=$("$X" run "${TRUST[@]}" --in-process --device dp83820 --wire "$GEN" "$P" 2>&1)
d_base=$(digests "$base")
if [ "$(wc -w <<<"$d_base")" -eq 4 ] && has "$base" "received $N frames"; then
  ok "a run without a change: $N frames each way ($d_base)"
else
  bad "base run: $base"
fi

# ---- the live change -------------------------------------------------------------------------
SOCK="$T/ctl.sock"
XDRV_TEST_SWAP_AT=$((N / 2)) ctl_run_start "$SOCK" "$T/live.log" "$GEN"
# refusals first: nothing may change
ctl_param_refusals "$SOCK" "generation 0 state live swap none" ""
set_out=$("$X" param set --control "$SOCK" dp83820 csum_offload 0 2>&1); sq=$?
l2=$("$X" param list --control "$SOCK" 2>&1)
wait "$XPID"; xrc=$?; XPID=""
live=$(cat "$T/live.log")
if [ "$sq" -eq 0 ] && has "$set_out" "compiling csum_offload=0" &&
   grep -qE "generation 1 state live swap re-specialization object [0-9a-f]{64}" <<<"$set_out" &&
   grep -qx "csum_offload 0 live 0..1 bool" <<<"$l2"; then
  ok "param set csum_offload 0: generation 1 live ($(grep -oE 'compile_ms [0-9.]+ swap_us [0-9.]+' <<<"$set_out"))"
else
  bad "param set: exit $sq: $set_out / $l2"
fi
if [ "$xrc" -eq 0 ] &&
   grep -qE "^xdrv run: XDRV_TEST_SWAP_AT: held at [0-9]+ frames received$" <<<"$live" &&
   grep -qx "xdrv run: XDRV_TEST_SWAP_AT: released at generation 1" <<<"$live" &&
   grep -qE "^xdrv loader: driver dp83820: re-specialization \(csum_offload=0\): generation 1 \(O2\) live after [0-9]+ ms \(compiled in [0-9]+ ms in the background; swap [0-9]+ us: [0-9]+ slots; object sha256 [0-9a-f]{16}\.\.\.\)$" <<<"$live" &&
   grep -qE "^  code        generation 1 runs; the last swap, re-specialization \(csum_offload=0\), live \(object sha256 [0-9a-f]{64}\)$" <<<"$live"; then
  ok "the run, held mid-run ($(grep -oE "held at [0-9]+ frames" <<<"$live")), logs the swap and its summary names generation 1's object"
else
  bad "live run: exit $xrc: $live"
fi
same_frames "$live" "every frame through, before and after the swap, identical to the run without it"

# ---- a driver domain: swapped there too ------------------------------------------------------
ctl_domain_swaps "param set" "generation 1 state live swap re-specialization" param set --control "$T/dom.sock" dp83820 csum_offload 0

# ---- usage ------------------------------------------------------------------------------------
u=$("$X" param set dp83820 csum_offload 2>&1); uq=$?
n=$("$X" param status --control "$T/none.sock" 2>&1); nq=$?
if [ "$uq" -eq 2 ] && has "$u" "set wants DRIVER NAME VALUE" && [ "$nq" -eq 1 ] &&
   has "$n" "is an \`xdrv run --control\` running?"; then
  ok "usage errors and a missing run are said"
else
  bad "usage: $uq $u / $nq $n"
fi

[ "$fails" -eq 0 ] && echo "respec: all passed" || echo "respec: $fails failed"
[ "$fails" -eq 0 ]
