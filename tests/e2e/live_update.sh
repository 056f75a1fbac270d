#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Live update (issue 13): `xdrv update` against a running `xdrv run --in-process --control` with
# the generator wire echoing frames through dp83820.
#  - dp83820 1.0.0 (security_version 1) is replaced by 1.0.1 (security_version 2), built and
#    signed here, while frames flow: the interface stays registered (the same host object: its
#    packet extension stays attached and keeps counting), frames keep flowing through the new
#    version, and every frame the host received either went back out of the NIC, was counted as
#    dropped by the update, or was still in the transmit ring when the run stopped;
#  - refused, the running version unchanged: a lower security_version (the original 1.0.0), another
#    driver (uart16550), a tampered signature, an unsigned package, a relative path;
#  - --floors DIR: a version below the rollback floor a boot stored there is refused;
#  - a 1.0.2 whose probe fails after registering its interface: the old version is probed again
#    on the same interface, the answer says so, and frames flow on;
#  - TAP (two network namespaces, addresses 10.83.23.0/24 that exist only there): an iperf3 TCP
#    connection through the driver survives an update in its middle and moves data after it;
#  - disk: virtio_scsi 1.0.0 -> 1.0.1 (built here) while `xdrv run --in-process` writes, reads at
#    random (8 in flight) and reads back 4 x 32 MiB: the update is served between two requests,
#    the disk stays, every request completes and the data read back is identical;
#  - a driver-domain run with --lazy answers that live update needs the driver compiled eagerly
#    (the update in a driver domain: tests/e2e/domain_swaps.sh).
#   usage: tests/e2e/live_update.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: live_update.sh BUILD_DIR}
X="$B/bin/xdrv"
PKG="$B/pkg/dp83820.xdrv"
E="$B/ext"
T=$(mktemp -d)
XPID="" SPID="" CPID=""
tag=$$
NA="xupA$tag" NB="xupB$tag" IA="xuA$tag" IB="xuB$tag"
fails=0
stop() {
  kill -INT "$1" 2>/dev/null
  for _ in $(seq 300); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null; stop_rc=$?
}
cleanup() {
  [ -n "$CPID" ] && kill "$CPID" 2>/dev/null
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
  [ -n "$XPID" ] && stop "$XPID"
  ip netns del "$NA" 2>/dev/null
  ip netns del "$NB" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
has() { grep -qF -- "$2" <<<"$1"; }
num() { grep -oE "$1" <<<"$2" | head -1 | grep -oE "[0-9]+" | tail -1; }

for f in "$PKG" "$B/pkg/uart16550.xdrv" "$E/empty.xdrv" "$B/pki/signer.pem"; do
  [ -r "$f" ] || { echo "FAIL - no $f (make all)"; exit 1; }
done
TRUST=(--trust "$B/pki/root.pem")

# ---- the versions: 1.0.1 (security_version 2) and a 1.0.2 whose probe fails --------------------
# shellcheck source=tests/e2e/lib/driver_version.sh
source "$(dirname "$0")/lib/driver_version.sh"
driver_version 1.0.1 v2 || bad "building dp83820 1.0.1"
# the broken one fails its probe after it registered the interface (the teardown unregisters it)
driver_version 1.0.2 broken 's/rc = xdrv_irq_request(dev, 0, dp_irq, d);/rc = d->regs ? XDRV_EIO : xdrv_irq_request(dev, 0, dp_irq, d);/' ||
  bad "building the broken dp83820 1.0.2"
grep -q "d->regs ? XDRV_EIO" "$T/broken/dp83820.c" || bad "the broken version's edit did not apply"
# a tampered signature: one byte of the CMS at the end flipped
cp "$T/v2.xdrv" "$T/tampered.xdrv"
python3 - "$T/tampered.xdrv" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-200] ^= 0x01
open(p, "wb").write(bytes(b))
EOF

# ---- in process, generator wire, frames echoed ---------------------------------------------
SOCK="$T/ctl.sock"
L=8000000
"$X" run "${TRUST[@]}" --in-process --device dp83820 \
  --wire "gen:count=$L,size=60,check=0,digest=0" --control="$SOCK" "$PKG" >"$T/run.log" 2>&1 &
XPID=$!
for _ in $(seq 1200); do [ -S "$SOCK" ] && break; kill -0 "$XPID" 2>/dev/null || break; sleep 0.05; done
[ -S "$SOCK" ] || { bad "the run did not open its control socket: $(cat "$T/run.log")"; exit 1; }
a1=$("$X" ext attach --control "$SOCK" "rx:$E/empty.xdrv" 2>&1); ra=$?
st0=$("$X" ext stats --control "$SOCK" 2>&1)
up=$("$X" update --control "$SOCK" "$T/v2.xdrv" 2>&1); r1=$?
if [ "$ra" -eq 0 ] && [ "$r1" -eq 0 ] &&
   grep -qE "^dp83820 1\.0\.0 \(security_version 1\) -> 1\.0\.1 \(security_version 2\) \(package sha256 [0-9a-f]{64}\): 1 interface\(s\) kept registered, [0-9]+ frame\(s\) in flight dropped" <<<"$up"; then
  ok "dp83820 1.0.0 -> 1.0.1 live, the interface kept registered"
else bad "update to 1.0.1: exit $r1: $up (attach: $a1)"; fi
sleep 0.3
lst=$("$X" ext list --control "$SOCK" 2>&1)
st1=$("$X" ext stats --control "$SOCK" 2>&1)
runs0=$(num "1 rx empty runs=[0-9]+" "$st0")
runs1=$(num "1 rx empty runs=[0-9]+" "$st1")
if grep -qE "^1 rx 0 empty 1\.0\.0 policy=pass$" <<<"$lst" && [ -n "$runs1" ] &&
   [ "$runs1" -gt "${runs0:-0}" ]; then
  ok "the extension attached before the update stays attached and runs over the new version's frames ($runs0 -> $runs1 runs)"
else bad "extension after the update: list=$lst stats before=$st0 after=$st1"; fi

# refusals: each names the problem, the running version stays
refuse() { # WHAT PKG PATTERN
  local out rc
  out=$("$X" update --control "$SOCK" "$2" 2>&1); rc=$?
  [ -n "${VERBOSE:-}" ] && echo "$out"
  if [ "$rc" -eq 1 ] && has "$out" "$3" && has "$out" "the running driver is unchanged"; then
    ok "refused: $1"
  else bad "$1: exit $rc: $out"; fi
}
refuse "a lower security_version (1.0.0 after 1.0.1)" "$PKG" \
  "security_version 1 is below the running dp83820 1.0.1's 2 (security_version only goes up)"
refuse "another driver" "$B/pkg/uart16550.xdrv" "is driver uart16550, the run's driver is dp83820"
refuse "a tampered signature" "$T/tampered.xdrv" "package $T/tampered.xdrv: signature: "
refuse "an unsigned package" "$T/v2.u.xdrv" "unsigned"
out=$(printf 'update relative.xdrv\n' | python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR); print(s.makefile().read(), end="")' "$SOCK" 2>&1)
has "$out" "error: update wants the absolute path of a package, not 'relative.xdrv'" &&
  ok "refused: a relative path" || bad "relative path: $out"
st2=$("$X" ext stats --control "$SOCK" 2>&1)
runs2=$(num "1 rx empty runs=[0-9]+" "$st2")

# a new version that fails its probe: the old one again
br=$("$X" update --control "$SOCK" "$T/broken.xdrv" 2>&1); r2=$?
[ -n "${VERBOSE:-}" ] && echo "$br"
if [ "$r2" -eq 1 ] && has "$br" "probe failed" && has "$br" "the old version was probed again and runs"; then
  ok "a 1.0.2 whose probe fails: the old version probed again on the same interface"
else bad "broken 1.0.2: exit $r2: $br"; fi
sleep 0.3
st3=$("$X" ext stats --control "$SOCK" 2>&1)
runs3=$(num "1 rx empty runs=[0-9]+" "$st3")
if [ -n "$runs3" ] && [ "$runs3" -gt "${runs2:-0}" ]; then
  ok "frames flow on after the refusals and the failed probe ($runs2 -> $runs3 runs)"
else bad "no frames after the failed update: $st2 / $st3"; fi
running=0
kill -0 "$XPID" 2>/dev/null && running=1
stop "$XPID"; XPID=""; rc=$stop_rc
out=$(cat "$T/run.log")
recv=$(num "host        received [0-9]+" "$out")
from=$(num "from the NIC [0-9]+" "$out")
drv=$(num "driver      rx [0-9]+" "$out")
dropped=0
for d in $(grep -oE "[0-9]+ frame\(s\) in flight dropped" <<<"$up$br" | grep -oE "^[0-9]+"); do
  dropped=$((dropped + d))
done
if [ "$running" = 1 ] && [ "$rc" -eq 0 ] && has "$out" "driver      dp83820 1.0.1 on dp83820.0" &&
   has "$out" "update      1 live update(s) to the version above" && [ -n "$drv" ] && [ "$drv" -gt 0 ]; then
  ok "the run went on to the end with 1.0.1 ($drv frames through the last probed instance)"
else bad "after the updates: running=$running exit $rc: $out"; fi
# every frame the host got back either left the NIC, was dropped by an update (counted), or was
# in the transmit ring or backlog when the run stopped (128 + 1024 at most)
if [ -n "$recv" ] && [ -n "$from" ] && [ $((from + dropped)) -le "$recv" ] &&
   [ $((recv - from - dropped)) -le 1152 ] && [ "$recv" -gt "$drv" ]; then
  ok "$recv frames received by the host across the updates: $from sent back out of the NIC, $dropped dropped by the updates (counted), $((recv - from - dropped)) in flight at the stop"
else bad "frame accounting: received ${recv:-?} from the NIC ${from:-?} dropped $dropped driver ${drv:-?}: $out"; fi

# ---- TAP: a TCP connection through the driver survives the update ------------------------------
if command -v iperf3 >/dev/null && command -v jq >/dev/null && ip netns add "$NA" 2>/dev/null &&
   ip netns add "$NB"; then
  ip -n "$NA" link set lo up
  ip -n "$NB" link set lo up
  TS="$T/tap.sock"
  "$X" run "${TRUST[@]}" --in-process --device dp83820 --host-tap "$IA@$NA" --wire "tap:$IB@$NB" \
    --control="$TS" "$PKG" >"$T/tap.log" 2>&1 &
  XPID=$!
  up=0
  for _ in $(seq 300); do
    if [ -S "$TS" ] && ip -n "$NA" link show "$IA" >/dev/null 2>&1 &&
       ip -n "$NB" link show "$IB" >/dev/null 2>&1 && grep -q "^wire: " "$T/tap.log"; then up=1; break; fi
    kill -0 "$XPID" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$up" = 1 ]; then
    ip -n "$NA" addr add 10.83.23.1/24 dev "$IA"
    ip -n "$NB" addr add 10.83.23.2/24 dev "$IB"
    ip -n "$NA" link set "$IA" up
    ip -n "$NB" link set "$IB" up
    ip netns exec "$NA" ping -c 1 -W 5 10.83.23.2 >/dev/null 2>&1
    ip netns exec "$NB" iperf3 -s -1 -p 5201 -B 10.83.23.2 >/dev/null 2>&1 &
    SPID=$!
    sleep 0.5
    # 1 s reports: the intervals after the update must move data on the same connection
    ip netns exec "$NA" iperf3 -c 10.83.23.2 -p 5201 -t 16 -i 1 -J >"$T/tcp.json" 2>&1 &
    CPID=$!
    sleep 4
    tu=$("$X" update --control "$TS" "$T/v2.xdrv" 2>&1); tr=$?
    wait "$CPID"; crc=$?; CPID=""
    wait "$SPID" 2>/dev/null; SPID=""
    stop "$XPID"; XPID=""
    tlog=$(cat "$T/tap.log")
    sent=$(jq -r '.end.sum_received.bytes // empty' "$T/tcp.json" 2>/dev/null)
    err=$(jq -r '.error // empty' "$T/tcp.json" 2>/dev/null)
    # bytes in the last four 1 s intervals: well after the update (at about 4 s; its compile stalls
    # the loop, and TCP backs off meanwhile)
    late=$(jq -r '[.intervals[-4:][].sum.bytes] | add // 0' "$T/tcp.json" 2>/dev/null)
    if [ "$tr" -eq 0 ] && [ "$crc" -eq 0 ] && [ -z "$err" ] && [ -n "$sent" ] && [ "$sent" -gt 0 ] &&
       [ -n "$late" ] && [ "$late" -gt 0 ] && has "$tlog" "driver      dp83820 1.0.1 on dp83820.0"; then
      ok "TAP: an iperf3 TCP connection survived the update to 1.0.1 ($sent bytes, $late in its last 4 s)"
    else bad "TAP: update exit $tr ($tu), iperf3 exit $crc ${err:-} bytes ${sent:-?} late ${late:-?}: $(head -c 600 "$T/tcp.json") $tlog"; fi
  else
    bad "TAP: xdrv run did not come up: $(cat "$T/tap.log")"
    stop "$XPID"; XPID=""
  fi
  ip netns del "$NA" 2>/dev/null
  ip netns del "$NB" 2>/dev/null
else
  bad "TAP: needs iperf3, jq and network namespaces (scripts/install-deps; root)"
fi

# ---- --floors: the boot's rollback floor is checked too ------------------------------------------
# a boot of dp83820 with security_version 3 raises its floor to 3 in the boot's state folder; a run
# given that folder refuses 1.0.1 (security_version 2) as the boot would, and 1.0.0 runs on
"$X" pack -o "$T/dp3.u.xdrv" --security-version 3 "$B/drivers/dp83820.bc" >/dev/null &&
"$X" sign --cert "$B/pki/signer.pem" --key "$B/pki/signer.key" --chain "$B/pki/vendor.pem" \
  -o "$T/dp3.xdrv" "$T/dp3.u.xdrv" >/dev/null || bad "making dp83820 with security_version 3"
mkdir -p "$T/boot"
printf '{"format": 1, "tpm": null, "event_log": "boot.log", "state_dir": "state",\n "trust": {"root": "%s"}, "policy": {},\n "drivers": [{"package": "%s", "device": "dp83820"}]}\n' \
  "$(cd "$B" && pwd)/pki/root.pem" "$T/dp3.xdrv" >"$T/boot/boot.json"
"$X" boot --config "$T/boot/boot.json" >"$T/boot.out" 2>&1 || bad "boot of dp83820 security_version 3: $(cat "$T/boot.out")"
FS="$T/fl.sock"
"$X" run "${TRUST[@]}" --in-process --device dp83820 --floors "$T/boot/state" \
  --wire "gen:count=20000000,size=60,check=0,digest=0" --control="$FS" "$PKG" >"$T/fl.log" 2>&1 &
XPID=$!
for _ in $(seq 1200); do [ -S "$FS" ] && break; kill -0 "$XPID" 2>/dev/null || break; sleep 0.05; done
fl=$("$X" update --control "$FS" "$T/v2.xdrv" 2>&1); fr=$?
running=0
kill -0 "$XPID" 2>/dev/null && running=1
stop "$XPID"; XPID=""
if [ "$fr" -eq 1 ] && has "$fl" "rollback: security_version 2 is below the floor 3 (stored in $T/boot/state/floors.state)" &&
   has "$fl" "the running driver is unchanged" && [ "$running" = 1 ] &&
   has "$(cat "$T/fl.log")" "driver      dp83820 1.0.0 on dp83820.0"; then
  ok "--floors: 1.0.1 (security_version 2) refused below the boot's floor 3, 1.0.0 runs on"
else bad "--floors: exit $fr: $fl running=$running: $(cat "$T/fl.log")"; fi

# ---- disk: virtio_scsi replaced under a write/verify load ----------------------------------------
# 4 x 32 MiB of random data written, then read back and compared; the update is asked for as soon
# as the run's socket is there and served between two requests of the disk operations (its
# compile included); the disk and SCSI host stay the same objects, no request lost.
driver_version 1.0.1 vs2 "" virtio_scsi || bad "building virtio_scsi 1.0.1"
head -c $((32 << 20)) /dev/urandom >"$T/data.bin"
truncate -s 256M "$T/disk.img"
DKS="$T/disk.sock"
OPS=()
for i in 0 1 2 3; do OPS+=(--blk-write "sda:$((i * 65536)):$T/data.bin"); done
OPS+=(--blk-qd 8 --blk-randread sda:2000:4096)
for i in 0 1 2 3; do OPS+=(--blk-read "sda:$((i * 65536)):65536:$T/back$i.bin"); done
"$X" run "${TRUST[@]}" --in-process --device "virtio-scsi:disk=file:$T/disk.img" "${OPS[@]}" \
  --control="$DKS" "$B/pkg/virtio_scsi.xdrv" >"$T/disk.log" 2>&1 &
XPID=$!
for _ in $(seq 1200); do [ -S "$DKS" ] && break; kill -0 "$XPID" 2>/dev/null || break; sleep 0.02; done
du=$("$X" update --control "$DKS" "$T/vs2.xdrv" 2>&1); dr=$?
wait "$XPID"; drc=$?; XPID=""
dlog=$(cat "$T/disk.log")
same=1
for i in 0 1 2 3; do cmp -s "$T/data.bin" "$T/back$i.bin" || same=0; done
# the update came while the disk operations ran: before the last read's line
upd_line=$(grep -n "^control: updated virtio_scsi" <<<"$dlog" | head -1 | cut -d: -f1)
last_blk=$(grep -n "^blk: sda: read 65536 blocks" <<<"$dlog" | tail -1 | cut -d: -f1)
if [ "$dr" -eq 0 ] && [ "$drc" -eq 0 ] && [ "$same" = 1 ] &&
   grep -qE "^virtio_scsi 1\.0\.0 \(security_version 1\) -> 1\.0\.1 \(security_version 2\) .*1 disk\(s\) and 1 SCSI host\(s\) kept, [0-9]+ disk request\(s\) re-issued" <<<"$du" &&
   has "$dlog" "sda: 2000 random reads of 4096 bytes" && has "$dlog" "driver      virtio_scsi 1.0.1" &&
   [ -n "$upd_line" ] && [ -n "$last_blk" ] && [ "$upd_line" -lt "$last_blk" ]; then
  ok "virtio_scsi 1.0.0 -> 1.0.1 under a write/verify load: the disk kept, every request done, 4 x 32 MiB read back identical"
else bad "disk update: update exit $dr ($du), run exit $drc, data same=$same, update at line ${upd_line:-?} last read ${last_blk:-?}: $dlog"; fi

# ---- a lazy driver domain: refused, clearly ---------------------------------------------------
DS="$T/dom.sock"
"$X" run "${TRUST[@]}" --lazy --device dp83820 --wire "gen:count=20000000,size=60,check=0,digest=0" \
  --control="$DS" "$PKG" >"$T/dom.log" 2>&1 &
XPID=$!
for _ in $(seq 1200); do [ -S "$DS" ] && break; kill -0 "$XPID" 2>/dev/null || break; sleep 0.05; done
dom=$(timeout 60 "$X" update --control "$DS" "$T/v2.xdrv" 2>&1); r3=$?
running=0
kill -0 "$XPID" 2>/dev/null && running=1
stop "$XPID"; XPID=""
if [ "$r3" -eq 1 ] && has "$dom" "live update in a driver domain needs the driver compiled eagerly (not --lazy)" &&
   [ "$running" = 1 ]; then
  ok "a lazy driver-domain run answers that live update needs eager code, and runs on"
else bad "driver domain: exit $r3: $dom running=$running: $(cat "$T/dom.log")"; fi

# ---- usage ----------------------------------------------------------------------------------
"$X" update >/dev/null 2>&1; [ $? -eq 2 ] && ok "no package: a usage error" || bad "update without a package"
out=$("$X" update --control "$T/nobody.sock" "$T/v2.xdrv" 2>&1); rc=$?
[ "$rc" -eq 1 ] && has "$out" "is an \`xdrv run --control\` running?" &&
  ok "no run: says so" || bad "no run: exit $rc: $out"

[ "$fails" -eq 0 ] && echo "live_update: all passed" || echo "live_update: $fails failed"
exit $((fails > 0))
