#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The signed virtio_scsi driver, JIT-compiled, on the Xen backend over the loop transport:
# virtio-scsi model -> SCSI disk -> blkfront -> xdrv-backd (its vbd handler, another process)
# -> an image file. A pattern written through the driver and flushed reads back byte-identical
# (cmp), is in the image file at the right offset seen from outside (dd), and the same package
# with the same commands on `--backend native` with `disk=file:` leaves an image with the same
# digest. xdrv-backd serves a second frontend after the first left, and a third with 8 requests in
# flight (--blk-qd 8: its vbd handler says it had several at once); with xdrv-backd gone, the
# run fails with exit 1 naming the device. Starts its own xdrv-backd on a socket in its
# temporary folder and stops it, and removes the folder, on any exit.
#   usage: tests/e2e/xen_loop_disk.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: xen_loop_disk.sh BUILD_DIR}
X="$B/bin/xdrv"
BACKD="$B/bin/xdrv-backd"
PKG="$B/pkg/virtio_scsi.xdrv"
ROOT="$B/pki/root.pem"
T=$(mktemp -d /tmp/xdrv-xen-loop-disk.XXXXXX)
S="$T/backd.sock"
BACKD_PID=
fails=0

stop_backd() {
  [ -n "$BACKD_PID" ] || return 0
  kill "$BACKD_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$BACKD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$BACKD_PID" 2>/dev/null || true
  wait "$BACKD_PID" 2>/dev/null || true
  BACKD_PID=
}
cleanup() {
  stop_backd
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

[ -x "$BACKD" ] || { echo "FAIL - $BACKD not built"; exit 1; }

SIZE=$((4 << 20))  # 4 MiB disks: 8192 blocks of 512 bytes
LBA=24
head -c $((1 << 20)) /dev/urandom >"$T/pattern"  # 1 MiB, 2048 blocks
head -c 1000 /dev/urandom >"$T/odd"              # not a whole block: padded with zeros
{ cat "$T/odd"; head -c $((1024 - 1000)) /dev/zero; } >"$T/odd.want"
truncate -s $SIZE "$T/xen.img"
truncate -s $SIZE "$T/native.img"

"$BACKD" --socket "$S" --vbd "51712=file:$T/xen.img" >"$T/backd.log" 2>&1 &
BACKD_PID=$!
for _ in $(seq 100); do [ -S "$S" ] && break; kill -0 "$BACKD_PID" 2>/dev/null || break; sleep 0.05; done
if [ -S "$S" ]; then ok "xdrv-backd listens on its socket"; else
  bad "xdrv-backd did not start: $(cat "$T/backd.log")"; exit 1; fi

# The Xen backend with the loop transport named on the command line (its options are the
# frontends' defaults).
XEN_BACKEND=(--backend "xen:transport=loop,socket=$S")

# rw NAME BACKEND-ARGS... -- DEVICE-CONFIG: the pattern, a partial block, a flush, both read back
rw() {
  local name=$1; shift
  local args=()
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  shift
  "$X" run --trust "$ROOT" "${args[@]}" --device "virtio-scsi:$1" \
    --blk-write "sda:$LBA:$T/pattern" --blk-write "sda:5000:$T/odd" --blk-flush sda \
    --blk-read "sda:$LBA:2048:$T/back.$name" --blk-read "sda:5000:2:$T/odd.$name" "$PKG" 2>&1
}

# ---- Xen over the loop transport ---------------------------------------------------------------
out=$(rw xen "${XEN_BACKEND[@]}" -- disk=blkfront:xvda); rc=$?
echo "$out" | sed 's/^/  [xen] /' | grep -E 'blk:|virtio_scsi: sd|error|blkfront|backend' || true
if [ $rc -ne 0 ]; then
  bad "xen: xdrv run exit $rc: $out"
else
  grep -q "blk: sda: 8192 blocks of 512 bytes" <<<"$out" && ok "xen: the driver found sda, 8192 blocks" ||
    bad "xen: no sda of 8192 blocks: $out"
  cmp "$T/pattern" "$T/back.xen" && ok "xen: 1 MiB read back byte-identical" || bad "xen: read-back differs"
  cmp "$T/odd.want" "$T/odd.xen" && ok "xen: a partial block is written zero-padded" ||
    bad "xen: padded block differs"
fi
# from outside: the image file's bytes where the driver wrote them
dd if="$T/xen.img" of="$T/dd.pattern" bs=512 skip=$LBA count=2048 status=none
dd if="$T/xen.img" of="$T/dd.odd" bs=512 skip=5000 count=2 status=none
cmp "$T/pattern" "$T/dd.pattern" && cmp "$T/odd.want" "$T/dd.odd" &&
  ok "xen: dd of the image file shows the pattern at byte $((LBA * 512)) and the block at 5000" ||
  bad "xen: the image file does not hold what the driver wrote"

# xdrv-backd serves the next frontend too: read back what the first run left
out=$("$X" run --trust "$ROOT" "${XEN_BACKEND[@]}" --device virtio-scsi:disk=blkfront:xvda \
  --blk-read "sda:$LBA:2048:$T/again" "$PKG" 2>&1); rc=$?
[ $rc -eq 0 ] && cmp -s "$T/pattern" "$T/again" &&
  ok "xen: a second run, a new connection to the same xdrv-backd, reads the pattern back" ||
  bad "xen: second run: exit $rc: $out"

# requests in flight (issue 14): the driver's 8 reach xdrv-backd's ring together, and its
# vbd handler (io_uring on the image file) has several in flight at once; its closing line says
served() { grep -c "vbd 51712: [0-9]* requests (" "$T/backd.log"; }
before=$(served)
out=$("$X" run --trust "$ROOT" "${XEN_BACKEND[@]}" --device virtio-scsi:disk=blkfront:xvda \
  --blk-qd 8 --blk-seqread sda:64:65536 --blk-randread sda:2000 "$PKG" 2>&1); rc=$?
# the handler's child writes its line when it sees the frontend go
for _ in $(seq 50); do [ "$(served)" -gt "$before" ] && break; sleep 0.1; done
inflight=$(grep -o "at most [0-9]* in flight" "$T/backd.log" | tail -1 | grep -o "[0-9]*")
if [ $rc -eq 0 ] && grep -q "2000 random reads of 4096 bytes .* 8 in flight" <<<"$out" &&
  [ "${inflight:-0}" -ge 2 ]; then
  ok "xen: --blk-qd 8 through blkfront: xdrv-backd had $inflight requests in flight at most"
else
  bad "xen: --blk-qd 8: exit $rc, at most ${inflight:-?} in flight: $out"
fi

# ---- a measured boot takes the xen backend too ---------------------------------------------------
mkdir -p "$T/boot"
cat >"$T/boot/boot.json" <<EOF
{"format": 1, "tpm": null, "event_log": "boot.log", "state_dir": "state", "cache": false,
 "trust": {"root": "$(realpath "$ROOT")"},
 "drivers": [{"package": "$(realpath "$PKG")", "device": "virtio-scsi:disk=blkfront:xvda",
              "backend": "xen:transport=loop,socket=$S"}]}
EOF
out=$("$X" boot --config "$T/boot/boot.json" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "1 driver(s) booted, 0 refused" <<<"$out" &&
  LC_ALL=C grep -aq "xdrv.driver.probe name=virtio_scsi device=virtio-scsi.0 backend=xen:transport=loop,socket=$S status=ok" "$T/boot/boot.log"; then
  ok "xdrv boot: virtio_scsi on blkfront through xdrv-backd, the backend and its options in the probe event"
else
  bad "xdrv boot on the xen backend: exit $rc: $out"
fi

# ---- the same package and commands on the native backend ---------------------------------------
out=$(rw native --backend native -- "disk=file:$T/native.img"); rc=$?
if [ $rc -eq 0 ] && cmp -s "$T/pattern" "$T/back.native"; then
  ok "native: the same package and commands on disk=file: read back byte-identical"
else
  bad "native: exit $rc: $out"
fi
a=$(sha256sum <"$T/xen.img" | cut -d' ' -f1)
b=$(sha256sum <"$T/native.img" | cut -d' ' -f1)
[ "$a" = "$b" ] && ok "xen and native leave the same disk image (sha256 ${a:0:16}...)" ||
  bad "disk images differ: xen $a, native $b"

# ---- xdrv-backd gone -----------------------------------------------------------------------------
stop_backd
out=$("$X" run --trust "$ROOT" "${XEN_BACKEND[@]}" --device virtio-scsi:disk=blkfront:xvda \
  --blk-read "sda:0:1:$T/x" "$PKG" 2>&1); rc=$?
echo "$out" | grep -E 'blkfront' | sed 's/^/  [gone] /'
[ $rc -eq 1 ] && grep -q "blkfront xvda" <<<"$out" &&
  ok "without xdrv-backd the run fails with exit 1 naming blkfront xvda" ||
  bad "without xdrv-backd: exit $rc: $out"

if [ $fails -ne 0 ]; then
  echo "xdrv-backd log:"; sed 's/^/  /' "$T/backd.log"
  echo "xen_loop_disk: $fails failed"; exit 1
fi
echo "xen_loop_disk: all passed"
