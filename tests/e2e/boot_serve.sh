#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A served boot (issue 13; docs/BOOT.md "Serving: code swaps after the boot"): `xdrv boot
# --serve` of dp83820 and uart16550 into swtpm keeps both drivers running in their processes;
# then, through the control socket and a reload, their code changes while they run, each swap
# compiled by the compiler process and measured into PCR 12 before it runs. Checked: refusals
# that measure and change nothing (a fixed parameter, a bad value, a driver not served, a patch
# for another package, a patch on the configuration's deny-list, a revert of nothing); a
# re-specialization (generation 1) and a live patch (generation 2) with their events; a reload
# by SIGHUP that re-specializes both drivers (the configuration measured first); a live update
# of dp83820 to 1.0.1 (the live-patched remove runs as the old version goes), a lower
# security_version refused, a 1.0.2 whose probe fails rolled back and measured; SIGTERM ends the
# boot with every driver process gone; then the quote and the log verified with the swaps and the
# update shown, and references without the patch or the update refused. Last, `--tier auto`: a
# driver booted at O0 and its optimized tier swapped in and measured once the boot serves.
#   usage: tests/e2e/boot_serve.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: boot_serve.sh BUILD_DIR}" && pwd)
X="$B/bin/xdrv"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PKI="$B/pki"
T=$(mktemp -d)
SWTPM_PID=
BPID=
cleanup() {
  [ -n "$BPID" ] && kill -KILL "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
  [ -n "$SWTPM_PID" ] && kill "$SWTPM_PID" 2>/dev/null && wait "$SWTPM_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
export TSS2_LOG=all+NONE
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
has() { grep -qF -- "$2" <<<"$1"; }
for tool in swtpm tpm2_pcrread; do
  command -v $tool >/dev/null || { echo "FAIL - $tool missing (scripts/install-deps installs it)"; exit 1; }
done
. "$(dirname "$0")/lib/swtpm.sh"
PATCH="$B/patch/dp83820_goodbye.xdrv"
for f in "$B/pkg/dp83820.xdrv" "$B/pkg/uart16550.xdrv" "$PATCH" "$B/patch/hello_goodbye.xdrv"; do
  [ -r "$f" ] || { echo "FAIL - no $f (make all)"; exit 1; }
done
payload_of() { "$X" verify --trust "$PKI/root.pem" "$1" | awk '/^payload sha256:/{print $3}'; }
# wait_log PATTERN: the boot's output has a line matching PATTERN (the boot still running)
wait_log() {
  for _ in $(seq 6000); do
    grep -qE -- "$1" "$T/boot.out" && return 0
    kill -0 "$BPID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# a second patch of dp83820 (its own payload), signed, then put on the deny-list
"$X" build --patch -o "$T/p2.bc" "$SRC/tests/data/patch/dp83820_goodbye.c" >/dev/null &&
  "$X" pack --patch-for "$B/pkg/dp83820.xdrv" --version 9.9.9 -o "$T/p2.unsigned.xdrv" "$T/p2.bc" >/dev/null &&
  "$X" sign --cert "$PKI/signer.pem" --key "$PKI/signer.key" --chain "$PKI/vendor.pem" \
    -o "$T/denied.xdrv" "$T/p2.unsigned.xdrv" >/dev/null &&
  "$X" revoke --deny-list "$T/deny.txt" "$T/denied.xdrv" >/dev/null || bad "making the denied patch"

# dp83820 1.0.1 (security_version 2) for a live update, and a 1.0.2 whose probe fails after it
# registered the interface (the old version is probed again)
# shellcheck source=tests/e2e/lib/driver_version.sh
source "$(dirname "$0")/lib/driver_version.sh"
driver_version 1.0.1 v2 || bad "building dp83820 1.0.1"
driver_version 1.0.2 broken 's/rc = xdrv_irq_request(dev, 0, dp_irq, d);/rc = d->regs ? XDRV_EIO : xdrv_irq_request(dev, 0, dp_irq, d);/' ||
  bad "building the broken dp83820 1.0.2"

start_tpm "$T/tpm"
C="$T/boot.json"
config() { # DP-CSUM UART-ECHO
  cat >"$C" <<EOF
{"format": 1, "tpm": "$TCTI", "event_log": "boot.log", "state_dir": "state",
 "trust": {"root": "$PKI/root.pem"}, "revocation": {"deny_list": "deny.txt"},
 "drivers": [{"package": "$B/pkg/dp83820.xdrv", "device": "dp83820", "params": {"csum_offload": $1}},
             {"package": "$B/pkg/uart16550.xdrv", "device": "uart16550", "params": {"echo": $2}}]}
EOF
}
config 1 1
SOCK="$T/ctl.sock"
CTL=(--control "$SOCK")
"$X" boot --config "$C" --serve --control "$SOCK" >"$T/boot.out" 2>&1 &
BPID=$!
if wait_log "^boot: serving 2 driver\(s\); control socket"; then
  ok "both drivers booted and served ($(grep -c "measured, JIT eager" "$T/boot.out") JIT lines)"
else
  bad "no served boot: $(cat "$T/boot.out")"; exit 1
fi
grep -aq "xdrv.driver.jit name=dp83820 .* cache=miss" "$T/boot.log" &&
  ok "swappable generation 0 compiled and stored in the object cache (cache=miss)" ||
  bad "JIT event without cache=miss: $(grep -a "xdrv.driver.jit name=dp83820" "$T/boot.log")"

l1=$("$X" param list "${CTL[@]}" dp83820 2>&1)
grep -qx "csum_offload 1 live 0..1 bool" <<<"$l1" && grep -qx "rx_ring 64 fixed 8..1024 u32" <<<"$l1" &&
  ok "param list DRIVER: the running values" || bad "param list: $l1"

# ---- refusals: nothing measured, nothing changes --------------------------------------------------
n0=$(stat -c %s "$T/boot.log")
r1=$("$X" param set "${CTL[@]}" dp83820 rx_ring 128 2>&1); q1=$?
r2=$("$X" param set "${CTL[@]}" dp83820 csum_offload 7 2>&1); q2=$?
r3=$("$X" param set "${CTL[@]}" e1000 csum_offload 0 2>&1); q3=$?
r4=$("$X" patch apply "${CTL[@]}" "$B/patch/hello_goodbye.xdrv" 2>&1); q4=$?
r5=$("$X" patch apply "${CTL[@]}" "$T/denied.xdrv" 2>&1); q5=$?
r6=$("$X" patch revert "${CTL[@]}" dp83820 2>&1); q6=$?
st=$("$X" param status "${CTL[@]}" dp83820 2>&1)
if [ "$q1$q2$q3$q4$q5$q6" = 111111 ] && [ "$(stat -c %s "$T/boot.log")" = "$n0" ] &&
   has "$r1" "param rx_ring is fixed from probe to remove" && has "$r2" "'7' is not a bool" &&
   has "$r3" "the boot serves no driver e1000 (it serves: dp83820, uart16550)" &&
   has "$r4" "is a patch for the package whose payload has SHA-256" &&
   has "$r5" "deny-list" && has "$r6" "no live patch is applied" &&
   has "$st" "generation 0 state live swap none"; then
  ok "refused, nothing measured: fixed, bad value, not served, another base, denied patch, revert of nothing"
else
  bad "refusals: $q1$q2$q3$q4$q5$q6 / $r1 / $r2 / $r3 / $r4 / $r5 / $r6 / $st"
fi

# ---- a re-specialization and a live patch ----------------------------------------------------------
a1=$("$X" param set "${CTL[@]}" dp83820 csum_offload 0 2>&1); p1=$?
if [ "$p1" -eq 0 ] && grep -qE "generation 1 state live swap re-specialization object [0-9a-f]{64}" <<<"$a1" &&
   grep -aqE "xdrv\.driver\.swap name=dp83820 generation=1 what=re-specialization change=\"re-specialization \(csum_offload=0\)\" params=\"[^\"]*csum_offload=0[^\"]*\" patch=none object_sha256=[0-9a-f]{64}" "$T/boot.log"; then
  ok "param set: generation 1 live and measured ($(grep -oE 'compile_ms [0-9.]+ swap_us [0-9.]+' <<<"$a1"))"
else
  bad "param set: exit $p1: $a1 / $(strings "$T/boot.log" | grep swap)"
fi
patch_sha=$(payload_of "$PATCH")
a2=$("$X" patch apply "${CTL[@]}" "$PATCH" 2>&1); p2=$?
l2=$("$X" patch list "${CTL[@]}" dp83820 2>&1)
if [ "$p2" -eq 0 ] && grep -qE "generation 2 state live swap live-patch" <<<"$a2" &&
   grep -qE "^1 dp83820 [0-9.]+ $patch_sha functions=1$" <<<"$l2" &&
   grep -aq "xdrv.driver.swap name=dp83820 generation=2 what=live-patch .* patch=$patch_sha " "$T/boot.log"; then
  ok "patch apply: generation 2 live, the patch's payload digest measured"
else
  bad "patch apply: exit $p2: $a2 / $l2"
fi

# ---- a reload: both drivers' live parameters back ----------------------------------------------
config 1 0
kill -HUP "$BPID"
if wait_log "^boot: serving: reload: "; then
  rl=$(grep "^boot: serving: reload: " "$T/boot.out")
  sd=$("$X" param status "${CTL[@]}" dp83820 2>&1)
  su=$("$X" param status "${CTL[@]}" uart16550 2>&1)
  if has "$rl" "reload: 2 swaps, 0 not applied" && has "$sd" "generation 3 state live" &&
     has "$su" "generation 1 state live" && has "$sd" "csum_offload=1" &&
     grep -aq "xdrv.boot.reload config_sha256=$(sha256sum "$C" | cut -c1-64)" "$T/boot.log"; then
    ok "SIGHUP: the configuration measured, then dp83820 generation 3 and uart16550 generation 1"
  else
    bad "reload: $rl / $sd / $su"
  fi
else
  bad "no reload: $(tail -5 "$T/boot.out")"
fi
sst=$("$X" param status "${CTL[@]}" 2>&1); sq=$?
[ "$sq" -ne 0 ] && has "$sst" "the boot serves 2 drivers: name one" && ok "a request without DRIVER names the choice" ||
  bad "status without a driver: $sq $sst"

# ---- a live update of the booted dp83820 --------------------------------------------------------
v2_sha=$(payload_of "$T/v2.xdrv")
u1=$("$X" update "${CTL[@]}" "$T/v2.xdrv" 2>&1); uq1=$?
ust=$("$X" param status "${CTL[@]}" dp83820 2>&1)
if [ "$uq1" -eq 0 ] && has "$u1" "dp83820 1.0.0 -> 1.0.1" &&
   grep -q "removed by the live-patched remove" "$T/boot.out" &&
   has "$ust" "generation 0 state live swap none" &&
   grep -aqE "xdrv\.driver\.update name=dp83820 from=1\.0\.0 version=1\.0\.1 security_version=2 floor=[0-9]+ sha256=[0-9a-f]{64} payload_sha256=$v2_sha .* object_sha256=[0-9a-f]{64}" "$T/boot.log"; then
  ok "xdrv update: 1.0.0 -> 1.0.1 measured and live (the live-patched remove ran), the new version's generation 0"
else
  bad "update: $uq1: $u1 / $ust"
fi
u2=$("$X" update "${CTL[@]}" "$B/pkg/dp83820.xdrv" 2>&1); uq2=$?
u3=$("$X" update "${CTL[@]}" "$T/broken.xdrv" 2>&1); uq3=$?
ust=$("$X" param status "${CTL[@]}" dp83820 2>&1); usq=$?
if [ "$uq2" -eq 1 ] && has "$u2" "security_version 1 is below" && [ "$uq3" -eq 1 ] &&
   has "$u3" "the old version was probed again and runs" && [ "$usq" -eq 0 ] &&
   grep -aq "xdrv.driver.update_refused name=dp83820 version=1.0.2" "$T/boot.log"; then
  ok "refused: a lower security_version; a 1.0.2 whose probe fails, rolled back and measured"
else
  bad "update refusals: $uq2 $uq3 $usq: $u2 / $u3 / $ust"
fi

# ---- the end: SIGTERM, no process left -------------------------------------------------------------
kill -TERM "$BPID"
wait "$BPID"; brc=$?; BPID=
left=$(pgrep -f -- "--config $C" || true)
if [ "$brc" -eq 0 ] && grep -q "^boot: serving ended by SIGTERM" "$T/boot.out" && [ -z "$left" ]; then
  ok "SIGTERM: exit 0, no driver process left"
else
  bad "end: exit $brc, left [$left]: $(tail -8 "$T/boot.out")"
fi

# ---- attestation: the swaps after the boot's end, the patch held to the reference ---------------
NONCE=$(openssl rand -hex 20)
"$X" attest --config "$C" --nonce "$NONCE" -o "$T/bundle.json" >/dev/null 2>&1 || bad "attest"
dp_sha=$(payload_of "$B/pkg/dp83820.xdrv")
uart_sha=$(payload_of "$B/pkg/uart16550.xdrv")
broken_sha=$(payload_of "$T/broken.xdrv")
cat >"$T/ref.json" <<EOF
{"drivers": {"dp83820": ["$dp_sha", "$v2_sha", "$broken_sha"], "uart16550": ["$uart_sha"]},
 "patches": ["$patch_sha"]}
EOF
cat >"$T/ref-nopatch.json" <<EOF
{"drivers": {"dp83820": ["$dp_sha", "$v2_sha", "$broken_sha"], "uart16550": ["$uart_sha"]}}
EOF
cat >"$T/ref-noupdate.json" <<EOF
{"drivers": {"dp83820": ["$dp_sha"], "uart16550": ["$uart_sha"]}, "patches": ["$patch_sha"]}
EOF
v1=$("$X" verify-boot "$T/bundle.json" --nonce "$NONCE" --expect "$T/ref.json" 2>&1); vq1=$?
if [ "$vq1" -eq 0 ] && grep -qE "^swap +dp83820 generation 1 \(re-specialization" <<<"$v1" &&
   grep -qE "^swap +dp83820 generation 2 \(live-patch" <<<"$v1" && grep -qE "^reload +configuration sha256" <<<"$v1" &&
   grep -qE "^swap +uart16550 generation 1 " <<<"$v1" &&
   grep -qE "^update +dp83820 1\.0\.0 -> 1\.0\.1, security_version 2" <<<"$v1"; then
  ok "verify-boot: the quote and log hold, the swaps and the reload shown after the boot's end"
else
  bad "verify-boot: exit $vq1: $v1"
fi
v2=$("$X" verify-boot "$T/bundle.json" --nonce "$NONCE" --expect "$T/ref-nopatch.json" 2>&1); vq2=$?
[ "$vq2" -ne 0 ] && has "$v2" "live patch $patch_sha is not in the reference allow-list (\"patches\")" &&
  ok "verify-boot refuses a live patch the reference does not list" || bad "ref without the patch: $vq2 $v2"
v3=$("$X" verify-boot "$T/bundle.json" --nonce "$NONCE" --expect "$T/ref-noupdate.json" 2>&1); vq3=$?
[ "$vq3" -ne 0 ] && has "$v3" "driver dp83820: the update's payload sha256 $v2_sha is not in the reference allow-list" &&
  ok "verify-boot refuses an update the reference does not list" || bad "ref without the update: $vq3 $v3"

# ---- tier auto: O0 at boot, the optimized tier swapped in once served (no TPM: the log only) ------
mkdir -p "$T/auto"
cat >"$T/auto/boot.json" <<EOF
{"format": 1, "event_log": "boot.log", "state_dir": "state", "trust": {"root": "$PKI/root.pem"},
 "drivers": [{"package": "$B/pkg/uart16550.xdrv", "device": "uart16550"}]}
EOF
: >"$T/boot.out"
"$X" boot --config "$T/auto/boot.json" --serve --tier auto --control "$T/auto.sock" >"$T/boot.out" 2>&1 &
BPID=$!
if wait_log "^boot: serving 1 driver"; then
  as=$("$X" param status --control "$T/auto.sock" 2>&1)
  if grep -q "driver uart16550: tier 2 (O2): generation 1 live" "$T/boot.out" &&
     has "$as" "generation 1 state live swap tier 2" &&
     grep -aq "xdrv.driver.jit name=uart16550 .* opt=0 mode=eager" "$T/auto/boot.log" &&
     grep -aq "xdrv.driver.swap name=uart16550 generation=1 what=tier2 change=\"tier 2 (O2)\"" "$T/auto/boot.log"; then
    ok "--serve --tier auto: booted at O0, tier 2 (O2) compiled by the compiler process, measured and live"
  else
    bad "tier auto: $as / $(cat "$T/boot.out")"
  fi
else
  bad "no served boot with --tier auto: $(cat "$T/boot.out")"
fi
kill -TERM "$BPID"; wait "$BPID"; BPID=
# the same boot again: generation 0 (O0, with slots) from the object cache, and tier 2 swapped
# into the cached object's slots as into a compiled one
: >"$T/boot.out"
"$X" boot --config "$T/auto/boot.json" --serve --tier auto --control "$T/auto.sock" >"$T/boot.out" 2>&1 &
BPID=$!
if wait_log "^boot: serving 1 driver"; then
  if grep -aq "xdrv.driver.jit name=uart16550 .* opt=0 mode=eager .*cache=hit" "$T/auto/boot.log" &&
     grep -q "driver uart16550: tier 2 (O2): generation 1 live" "$T/boot.out"; then
    ok "--serve --tier auto again: generation 0 from the object cache (cache=hit), tier 2 live in its slots"
  else
    bad "second tier auto boot: $(grep -a "xdrv.driver.jit" "$T/auto/boot.log") / $(cat "$T/boot.out")"
  fi
else
  bad "no second served boot with --tier auto: $(cat "$T/boot.out")"
fi
kill -TERM "$BPID"; wait "$BPID"; BPID=

# ---- usage ----------------------------------------------------------------------------------------
u2=$("$X" boot --config "$C" --tier auto 2>&1); uq2=$?
[ "$uq2" -eq 2 ] && has "$u2" "--tier auto needs --serve" && ok "--tier auto without --serve is a usage error" ||
  bad "usage: $uq2 $u2"
u1=$("$X" boot --config "$C" --control "$SOCK" 2>&1); uq1=$?
[ "$uq1" -eq 2 ] && has "$u1" "--control goes with --serve" && ok "--control without --serve is a usage error" ||
  bad "usage: $uq1 $u1"

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
