#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Code swaps in a driver domain (cli/run/ctl_swap.c, loader/gen.c): `xdrv param set` and `xdrv
# patch apply|revert` against `xdrv run --control` without --in-process. The supervisor checks
# each change, has the compiler process compile the new generation, logs its object's digest and
# hands the record to the driver host, which links it and stores every slot between two
# dispatches. Checked:
#  - param set under generator traffic: every frame through with the same digests each way as a
#    run without the change; the refusals (fixed, bad value, other driver, unknown, unchanged)
#    change nothing; list, status and the logs (the supervisor's digest = the host's = the
#    summary's). XDRV_TEST_SWAP_AT pins the swap to a frame count early in the run (the
#    driver host waits there for it), so it lands under traffic however busy the machine is.
#  - live patches (endless generator, the run ends with SIGTERM): another package's patch and a
#    tampered one refused with generation 0 still running; apply, revert, apply: generations 1,
#    2, 3; then the driver host killed: the restarted host runs generation 3 again (the patch
#    live, the driver's remove at the end the patched one), and a param set after the restart
#    is generation 4.
#  - --tier auto (cli/run/ctl_swap.c's tier 2): generation 0 compiled at O0, tier 2 (O2) compiled
#    by the supervisor's compiler process and swapped into the driver host under traffic (pinned
#    as above), logged as the in-process tier 2 is, the frames' digests those of the plain run.
#  - --tier auto with --control (endless generator): tier 2 live, the driver host killed: the
#    restarted one runs tier 2 again; `xdrv update` (cli/run/update.c's checks, made by the
#    supervisor): a security_version going down refused, a version whose probe fails rolled back
#    (the old one runs on), 1.0.1 made live with its interface kept, then its own tier 2; the
#    driver host killed again: the restarted one links 1.0.1 and runs its tier 2 again.
#   usage: tests/e2e/domain_swaps.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: domain_swaps.sh BUILD_DIR}
# shellcheck source=tests/e2e/lib/ctl_run.sh
source "$(dirname "$0")/lib/ctl_run.sh"
PATCH="$B/patch/dp83820_goodbye.xdrv"
wait_log() { # FILE TEXT PID
  for _ in $(seq 1200); do grep -qF -- "$2" "$1" && return 0; kill -0 "$3" 2>/dev/null || return 1; sleep 0.05; done
  return 1
}
for f in "$P" "$PATCH" "$B/patch/hello_goodbye.xdrv"; do
  [ -r "$f" ] || { echo "FAIL - no $f (make all)"; exit 1; }
done

# ---- param set under traffic ------------------------------------------------------------------
# few enough frames that a sanitized run on a loaded machine ends well within xdrv run's 60 s cap
# for a generator run; the swaps are pinned to the 100000th frame received, mid-run at any speed
N=300000
GEN="gen:count=$N,size=64"
base=$("$X" run "${TRUST[@]}" --device dp83820 --wire "$GEN" "$P" 2>&1)
d_base=$(digests "$base")
if [ "$(wc -w <<<"$d_base")" -eq 4 ] && has "$base" "received $N frames"; then
  ok "a run in a driver domain without a change: $N frames each way ($d_base)"
else
  bad "base run: $base"
fi

SOCK="$T/ctl.sock"
# the driver host takes the swap once its driver has received 100000 of the N frames
XDRV_TEST_SWAP_AT=100000 "$X" run "${TRUST[@]}" --device dp83820 --wire "$GEN" \
  --control="$SOCK" "$P" >"$T/live.log" 2>&1 &
XPID=$!
if ! wait_sock "$SOCK" "$XPID"; then bad "no control socket: $(cat "$T/live.log")"; exit 1; fi
ctl_param_refusals "$SOCK" "driver dp83820 swappable yes generation 0 state live swap none" \
  " from the supervisor"
set_out=$("$X" param set --control "$SOCK" dp83820 csum_offload 0 2>&1); sq=$?
l2=$("$X" param list --control "$SOCK" 2>&1)
wait "$XPID"; xrc=$?; XPID=""
live=$(cat "$T/live.log")
obj=$(grep -oE "generation 1 state live swap re-specialization object [0-9a-f]{64}" <<<"$set_out" | grep -oE "[0-9a-f]{64}$")
if [ "$sq" -eq 0 ] && has "$set_out" "compiling csum_offload=0" && [ -n "$obj" ] &&
   has "$set_out" "change re-specialization (csum_offload=0)" &&
   grep -qx "csum_offload 0 live 0..1 bool" <<<"$l2"; then
  ok "param set csum_offload 0: generation 1 live in the driver host ($(grep -oE 'compile_ms [0-9.]+ swap_us [0-9.]+' <<<"$set_out"))"
else
  bad "param set: exit $sq: $set_out / $l2"
fi
if [ "$xrc" -eq 0 ] && [ -n "$obj" ] &&
   grep -qE "^control: driver dp83820: re-specialization \(csum_offload=0\): generation 1 live in the driver host \(compiled by the supervisor's compiler process in [0-9]+ ms; swap [0-9.]+ us; object sha256 $obj\)$" <<<"$live" &&
   grep -qE "^control: driver dp83820: re-specialization \(csum_offload=0\): generation 1 swapped in the driver host \([0-9]+ slots\)$" <<<"$live" &&
   grep -qE "^  code        generation 1 runs; the last swap, re-specialization \(csum_offload=0\), live \(object sha256 $obj\)$" <<<"$live"; then
  ok "the supervisor logs the object it measured, the host's summary names the same"
else
  bad "live run: exit $xrc [$obj]: $live"
fi
same_frames "$live" "every frame through, before and after the swap, identical to the run without it"

# ---- live patches, and a driver host restarted ------------------------------------------------
cp "$PATCH" "$T/tampered.xdrv"
printf '\x5a' | dd of="$T/tampered.xdrv" bs=1 seek=700 conv=notrunc 2>/dev/null
DS="$T/dom.sock"
"$X" run "${TRUST[@]}" --device dp83820 --wire "gen:count=4000000000,size=60,check=0,digest=0" \
  --control="$DS" "$P" >"$T/dom.log" 2>&1 &
XPID=$!
if ! wait_sock "$DS" "$XPID"; then bad "domain run: no socket: $(cat "$T/dom.log")"; exit 1; fi
p0=$("$X" patch list --control "$DS" 2>&1); pq0=$?
w1=$("$X" patch apply --control "$DS" "$B/patch/hello_goodbye.xdrv" 2>&1); wq1=$?
w2=$("$X" patch apply --control "$DS" "$T/tampered.xdrv" 2>&1); wq2=$?
w3=$("$X" patch revert --control "$DS" 2>&1); wq3=$?
st=$("$X" param status --control "$DS" 2>&1)
if [ "$pq0" -eq 0 ] && [ -z "$p0" ] && [ "$wq1$wq2$wq3" = 111 ] &&
   has "$w1" "is a patch for the package whose payload has SHA-256" &&
   has "$w2" "signature: payload digest mismatch: package modified after signing" &&
   has "$w3" "no live patch is applied" && has "$st" "generation 0 state live swap none" &&
   ! grep -q "^control: driver dp83820: .*generation" "$T/dom.log"; then
  ok "refused by the supervisor, nothing sent to the host: another package's patch, tampered, a revert of nothing"
else
  bad "refusals: $pq0 [$p0] $wq1$wq2$wq3 / $w1 / $w2 / $w3 / $st"
fi
a1=$("$X" patch apply --control "$DS" "$PATCH" 2>&1); aq1=$?
pl1=$("$X" patch list --control "$DS" 2>&1)
a2=$("$X" patch apply --control "$DS" "$PATCH" 2>&1); aq2=$?
v1=$("$X" patch revert --control "$DS" 2>&1); vq1=$?
pl2=$("$X" patch list --control "$DS" 2>&1)
a3=$("$X" patch apply --control "$DS" "$PATCH" 2>&1); aq3=$?
if [ "$aq1" -eq 0 ] && grep -qE "generation 1 state live swap live-patch object [0-9a-f]{64}" <<<"$a1" &&
   grep -qE "^1 dp83820 [0-9.]+ [0-9a-f]{64} functions=1$" <<<"$pl1" &&
   [ "$aq2" -eq 1 ] && has "$a2" "is applied already" &&
   [ "$vq1" -eq 0 ] && grep -qE "generation 2 state live swap revert" <<<"$v1" && [ -z "$pl2" ] &&
   [ "$aq3" -eq 0 ] && has "$a3" "generation 3 state live swap live-patch"; then
  ok "apply, twice refused, revert, apply: generations 1, 2, 3 in the driver host"
else
  bad "patches: $aq1 $a1 / $pl1 / $aq2 $a2 / $vq1 $v1 / [$pl2] / $aq3 $a3"
fi
hpid=$(grep -oE "^domain: driver host [0-9]+:" "$T/dom.log" | head -1 | grep -oE "[0-9]+")
if [ -n "$hpid" ] && kill -KILL "$hpid" &&
   wait_log "$T/dom.log" "domain: the restarted driver host runs generation 3 again (live patch dp83820" "$XPID" &&
   wait_log "$T/dom.log" "ms after the last one died" "$XPID"; then
  st3=$("$X" param status --control "$DS" 2>&1)
  pl3=$("$X" patch list --control "$DS" 2>&1)
  s4=$("$X" param set --control "$DS" dp83820 csum_offload 0 2>&1); sq4=$?
  if has "$st3" "generation 3 state live swap live-patch" && [ "$pl3" = "$pl1" ] &&
     [ "$sq4" -eq 0 ] && has "$s4" "generation 4 state live swap re-specialization"; then
    ok "the driver host killed: the restarted one runs generation 3 again, and takes generation 4"
  else
    bad "after the restart: $st3 / $pl3 / $sq4 $s4"
  fi
else
  bad "no restart at generation 3 (host $hpid): $(cat "$T/dom.log")"
fi
kill -TERM "$XPID"; wait "$XPID"; xrc=$?; XPID=""
log=$(cat "$T/dom.log")
if [ "$xrc" -eq 0 ] && has "$log" "dp83820: removed by the live-patched remove; rx " &&
   ! has "$log" "dp83820: removed; rx" &&
   grep -qE "^control: driver dp83820: revert of live patch dp83820 .*: generation 2 live in the driver host" <<<"$log" &&
   grep -qE "^  code        generation 4 runs; the last swap, re-specialization \(csum_offload=0\), live \(object sha256 [0-9a-f]{64}\)$" <<<"$log"; then
  ok "each swap logged by the supervisor; the restarted host's remove is the patched one; it ran generation 4"
else
  bad "run: exit $xrc: $log"
fi

# ---- --tier auto in a driver domain --------------------------------------------------------------
# the frames of the plain run above; the driver host waits at frame 100000 for tier 2
XDRV_TEST_SWAP_AT=100000 "$X" run "${TRUST[@]}" --tier auto --device dp83820 --wire "$GEN" \
  "$P" >"$T/auto.log" 2>&1; arc=$?
auto=$(cat "$T/auto.log")
aobj=$(grep -oE "^domain: driver dp83820: tier 2 \(O2\): generation 1 live in the driver host \(compiled by the supervisor's compiler process in [0-9]+ ms; swap [0-9.]+ us; object sha256 [0-9a-f]{64}\)$" <<<"$auto" | grep -oE "[0-9a-f]{64}")
slots=$(grep -oE "^domain: driver dp83820: tier 2 \(O2\): generation 1 swapped in the driver host \([0-9]+ slots\)$" <<<"$auto" | grep -oE "[0-9]+ slots")
if [ "$arc" -eq 0 ] && [ -n "$aobj" ] && [ -n "$slots" ] &&
   has "$auto" "domain: --tier auto: dp83820.xdrv compiled at O0 (swappable, generation 0)" &&
   grep -qE "^xdrv loader: driver dp83820: tier 2 \(O2\) live after [0-9]+ ms \(compiled in [0-9]+ ms in the background; swap [0-9]+ us: $slots\)$" <<<"$auto" &&
   grep -qE "^  tier        auto: tier 1 O0, tier 2 O2 live after [0-9.]+ ms \(compiled by the supervisor's compiler process, swap [0-9.]+ ms, ${slots% slots} of ${slots% slots} slots; object sha256 $aobj\)$" <<<"$auto"; then
  ok "--tier auto in a driver domain: O0 first, tier 2 (O2) live in the driver host, $slots, logged as in process"
else
  bad "--tier auto in a driver domain: exit $arc [$aobj] [$slots]: $auto"
fi
same_frames "$auto" "--tier auto in a driver domain: every frame through, the digests of the plain run"

# ---- --tier auto with xdrv update, and driver hosts restarted ---------------------------------------
# shellcheck source=tests/e2e/lib/driver_version.sh
source "$(dirname "$0")/lib/driver_version.sh"
driver_version 1.0.1 v2 || bad "building dp83820 1.0.1"
# the broken one fails its probe after it registered the interface (as live_update.sh's)
driver_version 1.0.2 broken 's/rc = xdrv_irq_request(dev, 0, dp_irq, d);/rc = d->regs ? XDRV_EIO : xdrv_irq_request(dev, 0, dp_irq, d);/' ||
  bad "building a dp83820 whose probe fails"
if ! { "$X" pack -o "$T/v0.u.xdrv" --security-version 0 "$T/v2.bc" >/dev/null &&
       "$X" sign --cert "$B/pki/signer.pem" --key "$B/pki/signer.key" --chain "$B/pki/vendor.pem" \
         -o "$T/v0.xdrv" "$T/v0.u.xdrv" >/dev/null; }; then
  bad "packing a dp83820 with security_version 0"
fi
# COUNT TEXT: wait until the run's log holds TEXT COUNT times (at most 2 minutes: a tier 2 compile
# under the sanitizers on a loaded machine takes a good part of one)
wait_nth() {
  for _ in $(seq 2400); do
    [ "$(grep -cF -- "$2" "$T/autod.log")" -ge "$1" ] && return 0
    kill -0 "$XPID" 2>/dev/null || return 1; sleep 0.05
  done
  return 1
}
host_pid() { grep -oE "^domain: driver host [0-9]+:" "$T/autod.log" | tail -1 | grep -oE "[0-9]+"; }
AS="$T/auto.sock"
T2="tier 2 (O2): generation 1 live in the driver host"
"$X" run "${TRUST[@]}" --tier auto --device dp83820 --wire "gen:count=4000000000,size=60,check=0,digest=0" \
  --control="$AS" "$P" >"$T/autod.log" 2>&1 &
XPID=$!
if ! wait_sock "$AS" "$XPID"; then bad "tier auto run: no socket: $(cat "$T/autod.log")"; exit 1; fi
if wait_nth 1 "$T2" && h1=$(host_pid) && kill -KILL "$h1" &&
   wait_nth 1 "domain: the restarted driver host runs generation 1 again (tier 2 (O2))" &&
   wait_nth 1 "ms after the last one died"; then
  st=$("$X" param status --control "$AS" 2>&1)
  if has "$st" "driver dp83820 swappable yes generation 1 state live swap tier 2 object"; then
    ok "--tier auto: tier 2 live; the driver host killed, the restarted one runs tier 2 again"
  else
    bad "after the restart: $st"
  fi
else
  bad "no tier 2, or no restart with it: $(cat "$T/autod.log")"
fi
u0=$("$X" update --control "$AS" "$T/v0.xdrv" 2>&1); uq0=$?
ub=$("$X" update --control "$AS" "$T/broken.xdrv" 2>&1); uqb=$?
st=$("$X" param status --control "$AS" 2>&1)
if [ "$uq0" -eq 1 ] && has "$u0" "$T/v0.xdrv: security_version 0 is below the running dp83820 1.0.0's 1 (security_version only goes up); the running driver is unchanged" &&
   [ "$uqb" -eq 1 ] && has "$ub" "probe failed" && has "$ub" "the old version was probed again and runs" &&
   has "$st" "generation 1 state live swap tier 2"; then
  ok "xdrv update in a driver domain: a lower security_version refused, a failed probe rolled back; tier 2 of 1.0.0 runs on"
else
  bad "update refusals: $uq0 $u0 / $uqb $ub / $st"
fi
u2=$("$X" update --control "$AS" "$T/v2.xdrv" 2>&1); uq2=$?
if [ "$uq2" -eq 0 ] &&
   grep -qE "^dp83820 1\.0\.0 \(security_version 1\) -> 1\.0\.1 \(security_version 2\) \(package sha256 [0-9a-f]{64}\): 1 interface\(s\) kept registered, [0-9]+ frame\(s\) in flight dropped" <<<"$u2" &&
   grep -qE "^control: driver dp83820: update to dp83820 1\.0\.1 \(package sha256 [0-9a-f]{64}, object sha256 [0-9a-f]{64}, compiled by the supervisor's compiler process in [0-9]+ ms\) live in the driver host$" "$T/autod.log" &&
   wait_nth 2 "$T2"; then
  ok "xdrv update in a driver domain: 1.0.1 live, its interface kept, then its own tier 2"
else
  bad "update to 1.0.1: exit $uq2: $u2: $(cat "$T/autod.log")"
fi
if h2=$(host_pid) && [ "$h2" != "$h1" ] && kill -KILL "$h2" &&
   wait_nth 1 "domain: the restarted driver host links the version it was updated to (update to dp83820 1.0.1)" &&
   wait_nth 2 "domain: the restarted driver host runs generation 1 again (tier 2 (O2))" &&
   wait_nth 2 "ms after the last one died"; then
  ok "the driver host killed after the update: the restarted one links 1.0.1 and runs its tier 2"
else
  bad "no restart with 1.0.1: $(cat "$T/autod.log")"
fi
kill -TERM "$XPID"; wait "$XPID"; xrc=$?; XPID=""
log=$(cat "$T/autod.log")
if [ "$xrc" -eq 0 ] && has "$log" "  driver      dp83820 1.0.1 on dp83820.0" &&
   grep -qE "^  tier        auto: tier 1 O0, tier 2 O2 live after" <<<"$log" &&
   grep -qE "^  host        received [1-9][0-9]* frames" <<<"$log"; then
  ok "the run ends with 1.0.1 at tier 2, frames flowing"
else
  bad "tier auto run: exit $xrc: $log"
fi

[ "$fails" -eq 0 ] && echo "domain_swaps: all passed" || echo "domain_swaps: $fails failed"
[ "$fails" -eq 0 ]
