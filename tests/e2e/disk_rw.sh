#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The virtio_scsi driver, JIT-compiled, through `xdrv run` on the virtio-scsi device model: a
# pattern written to an image file and to an iSCSI LUN that tgtd serves on 127.0.0.1 reads back
# byte-identical (cmp), lands in the backing files at the right offset after a flush, and a read
# past the end fails with exit 1 and the sense data decoded (ILLEGAL REQUEST, 21h/00h).
# Starts its own tgtd (private control port, free iSCSI port on 127.0.0.1) and stops it, and
# removes its temporary folder, on any exit.
#   usage: tests/e2e/disk_rw.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: disk_rw.sh BUILD_DIR}
X="$B/bin/xdrv"
PKG="$B/pkg/virtio_scsi.xdrv"
ROOT="$B/pki/root.pem"
T=$(mktemp -d /tmp/xdrv-disk-rw.XXXXXX)
TGT_PID=
CP=
fails=0

cleanup() {
  if [ -n "$TGT_PID" ]; then
    tgtadm -C "$CP" --op delete --mode system >/dev/null 2>&1 || true
    kill "$TGT_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$TGT_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$TGT_PID" 2>/dev/null || true
    wait "$TGT_PID" 2>/dev/null || true
    # tgtd names its control socket after the -C number; it does not remove it on exit
    rm -f "/var/run/tgtd/socket.$CP" "/var/run/tgtd/socket.$CP.lock"
  fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
run() { "$X" run --trust "$ROOT" ${MODE:-} "$@"; }

SIZE=$((4 << 20))             # 4 MiB disks: 8192 blocks of 512 bytes
END_CDB='28 00 00 00 20 00 00 00 01 00' # READ(10) of 1 block at LBA 8192, the first past the end
LBA=24
head -c $((1 << 20)) /dev/urandom >"$T/pattern"      # 1 MiB, 2048 blocks
head -c 1000 /dev/urandom >"$T/odd"                  # not a whole block: padded with zeros

# disk_rw NAME DEVICE-CONFIG BACKING-FILE: one run (one driver load) does every operation, in
# order: the pattern and a partial block written, flushed and read back; reads with several
# requests in flight (issue 14); last a read past the end, which fails (a failing operation
# stops the rest, so it comes last) and makes the run exit 1. The run's output in $DISK_OUT.
disk_rw() {
  local name=$1 dev=$2 backing=$3 out rc
  out=$(run --device "virtio-scsi:$dev" --blk-write "sda:$LBA:$T/pattern" \
    --blk-write "sda:5000:$T/odd" --blk-flush sda \
    --blk-read "sda:$LBA:2048:$T/back.$name" --blk-read "sda:5000:2:$T/odd.$name" \
    --blk-qd 4 --blk-seqread sda:64:65536 --blk-randread sda:200 \
    --scsi "$END_CDB,in=512" "$PKG" 2>&1)
  rc=$?
  DISK_OUT=$out
  echo "$out" | sed "s/^/  [$name] /" | grep -E 'blk:|virtio_scsi: sd|error|  jit |\] (scsi|xdrv run):' || true
  grep -q "blk: sda: 8192 blocks of 512 bytes" <<<"$out" && ok "$name: driver found sda, 8192 blocks" ||
    bad "$name: no sda of 8192 blocks: exit $rc: $out"
  cmp "$T/pattern" "$T/back.$name" && ok "$name: 1 MiB read back byte-identical" ||
    bad "$name: read-back differs"
  { cat "$T/odd"; head -c $((1024 - 1000)) /dev/zero; } >"$T/odd.want"
  cmp "$T/odd.want" "$T/odd.$name" && ok "$name: a partial block is written zero-padded" ||
    bad "$name: padded block differs"
  cmp -n $((1 << 20)) "$T/pattern" "$backing" 0 $((LBA * 512)) &&
    ok "$name: the pattern is in the backing file at byte $((LBA * 512)) after the flush" ||
    bad "$name: backing file does not hold the pattern"

  # several requests in flight (issue 14): every one completes, counted and timed
  if grep -q "blk: sda: 64 sequential reads of 65536 bytes in .*; .* MB/s, 4 in flight" <<<"$out" &&
     grep -q "blk: sda: 200 random reads of 4096 bytes in .*, 4 in flight" <<<"$out"; then
    ok "$name: --blk-qd 4: sequential and random reads with 4 in flight"
  else
    bad "$name: --blk-qd 4: exit $rc: $out"
  fi

  if [ $rc -eq 1 ] && grep -q "scsi: sense key 0x5 ILLEGAL REQUEST, ASC/ASCQ 0x21/0x00 LOGICAL BLOCK ADDRESS OUT OF RANGE" <<<"$out"; then
    ok "$name: read past the end: exit 1 with ILLEGAL REQUEST, LBA OUT OF RANGE decoded"
  else
    bad "$name: read past the end: exit $rc: $out"
  fi
}

# ---- image file --------------------------------------------------------------------------------
truncate -s $SIZE "$T/disk.img"
disk_rw file "disk=file:$T/disk.img" "$T/disk.img"
# in process: the model's preadv/pwritev go straight into the driver's DMA buffers (issue 14)
truncate -s $SIZE "$T/disk2.img"
MODE=--in-process disk_rw file-in-process "disk=file:$T/disk2.img" "$T/disk2.img"

# ---- iSCSI LUN served by tgtd ------------------------------------------------------------------
start_tgtd() {
  command -v tgtd >/dev/null && command -v tgtadm >/dev/null || {
    echo "tgtd/tgtadm not installed (package tgt, scripts/install-deps)"; return 1; }
  CP=$((20000 + RANDOM % 10000))
  # The iSCSI port comes from below the kernel's ephemeral range (ip_local_port_range, 32768 and
  # up here): a port in that range can be the source port of any other test's connection at the
  # moment tgtd binds it (the tests run side by side; repod_slowloris alone holds ~1,900), and
  # then tgtd never listens. Taken only if a bind to it succeeds now.
  lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
  PORT=$(python3 - "$lo" <<'PY'
import random, socket, sys
lo = int(sys.argv[1])
for _ in range(500):
    p = random.randrange(20000, max(20001, lo))
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()
PY
)
  [ -n "$PORT" ] || { echo "no free port below $lo for tgtd"; return 1; }
  tgtd -f -C "$CP" --iscsi "portal=127.0.0.1:$PORT" >"$T/tgtd.log" 2>&1 &
  TGT_PID=$!
  for _ in $(seq 100); do
    tgtadm -C "$CP" --op show --mode target >/dev/null 2>&1 && break
    kill -0 "$TGT_PID" 2>/dev/null || { cat "$T/tgtd.log"; return 1; }
    sleep 0.05
  done
  IQN=iqn.2026-11.org.xdrv:disk-rw
  truncate -s $SIZE "$T/lun.img"
  tgtadm -C "$CP" --lld iscsi --op new --mode target --tid 1 -T "$IQN" &&
    tgtadm -C "$CP" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$T/lun.img" &&
    tgtadm -C "$CP" --lld iscsi --op bind --mode target --tid 1 -I ALL || return 1
  for _ in $(seq 100); do
    ss -Htln "sport = :$PORT" 2>/dev/null | grep -q . && return 0
    sleep 0.05
  done
  echo "tgtd does not listen on 127.0.0.1:$PORT: $(cat "$T/tgtd.log")"; return 1
}
if start_tgtd; then
  ok "tgtd serves $IQN LUN 1 on 127.0.0.1:$PORT"
  MODE=--lazy disk_rw iscsi "disk=iscsi:iscsi://127.0.0.1:$PORT/$IQN/1" "$T/lun.img"
  # isolated (the default): the iSCSI session is the supervisor's backend server's, the driver
  # host reaches the LUN through a blkfront ring
  disk_rw iscsi-isolated "disk=iscsi:iscsi://127.0.0.1:$PORT/$IQN/1" "$T/lun.img"
  if grep -q "supervisor: serves disk iscsi:iscsi://127.0.0.1:$PORT/$IQN/1 to the driver host" <<<"$DISK_OUT" &&
     cmp -s -n 4096 "$T/pattern" "$T/back.iscsi-isolated"; then
    ok "iscsi-isolated: the LUN is served by the supervisor, read through the driver host's blkfront"
  else
    bad "iscsi-isolated: $DISK_OUT"
  fi
else
  bad "could not start tgtd"
fi

# ---- usage errors ------------------------------------------------------------------------------
out=$(run --device virtio-scsi:disk=ram:1M --blk-read sda:0:0:x "$PKG" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "blk-read wants DISK:LBA:COUNT:FILE" <<<"$out" &&
  ok "--blk-read with COUNT 0 is a usage error" || bad "--blk-read COUNT 0: exit $rc: $out"
out=$(run --device virtio-scsi:disk=ram:1M --blk-qd 0 --blk-randread sda:1 "$PKG" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "blk-qd wants 1..256, not 0" <<<"$out" &&
  ok "--blk-qd 0 is a usage error" || bad "--blk-qd 0: exit $rc: $out"
out=$(run --device virtio-scsi:disk=ram:1M --blk-read sdq:0:1:$T/x "$PKG" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "the driver registered no disk sdq" <<<"$out" &&
  ok "an unknown disk fails with exit 1" || bad "unknown disk: exit $rc: $out"

out=$(run --device virtio-scsi:disk=ram:1M,ro=1 --blk-write "sda:5:$T/odd" "$PKG" 2>&1); rc=$?
echo "$out" | grep -E 'DATA PROTECT|xdrv run:' | sed 's/^/  [ro] /'
[ $rc -eq 1 ] && grep -q "sense key 0x7 DATA PROTECT, asc/ascq 0x27/0x00 (WRITE PROTECTED)" <<<"$out" &&
  ok "a write to a write-protected disk fails with exit 1 and the sense decoded" ||
  bad "write-protected disk: exit $rc: $out"

if [ $fails -ne 0 ]; then echo "disk_rw: $fails failed"; exit 1; fi
echo "disk_rw: all passed"
