#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A driver that aims the NIC's receive DMA at host memory it may not write (issue 10):
# tests/hostile/dma_rodata.c maps its own read-only data FROM_DEVICE and an address in page 0,
# and starts the DP83820 model's receiver; `xdrv run` feeds it frames from the in-process
# generator, so the model's DMA runs in the event loop, outside any driver's fault guard. Before
# xdrv_dma_map checked the host memory, the first frame ended the host with SIGSEGV. Now both
# maps are refused with a message naming the buffer, the device's write through the fallback
# mapping (TO_DEVICE) is a master abort of the device, and the run ends normally.
#   usage: tests/e2e/dma_hostile.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: dma_hostile.sh BUILD_DIR}
X="$B/bin/xdrv"
H=$(cd "$(dirname "$0")/../hostile" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

if ! { "$X" build -o "$T/dma_rodata.bc" "$H/dma_rodata.c" &&
       "$X" pack -o "$T/dma_rodata.xdrv" --version 1.0.0 "$T/dma_rodata.bc"; } >"$T/build.log" 2>&1; then
  echo "FAIL - building tests/hostile/dma_rodata.c: $(cat "$T/build.log")"; exit 1
fi

# flow=0: with its one descriptor stopped by the abort, the chip drops the frames that follow
# (RXORN) instead of holding them on the wire, so the generator's frames are through and the run
# ends by itself
out=$("$X" run --allow-unsigned --device dp83820:flow=0 --wire gen:count=20,size=60 \
  "$T/dma_rodata.xdrv" 2>&1); rc=$?
if [ "$rc" -eq 0 ]; then
  ok "xdrv run ends normally (exit 0): the host survived the driver"
else
  bad "xdrv run: exit $rc (139 would be the host's SIGSEGV): $out"
fi
for pat in \
  'xdrv_dma_map: buffer 0x[0-9a-f]+ \+ 2048 bytes is not mapped writable in the host \(the device would write there; first bad address 0x[0-9a-f]+\); refused' \
  'dma_rodata: map of its read-only data FROM_DEVICE returned -14$' \
  'dma_rodata: map of its read-only data TO_DEVICE returned 0$' \
  'xdrv_dma_map: buffer 0x40 \+ 64 bytes is not mapped readable in the host \(the device would read there; first bad address 0x40\); refused' \
  'dma_rodata: map of page 0 TO_DEVICE returned -14$' \
  'guest error: .*(master abort|bus address)'; do
  if grep -qE -- "$pat" <<<"$out"; then ok "xdrv run says /${pat:0:70}.../"; else bad "no /$pat/ in: $out"; fi
done
if grep -q "driver faulted" <<<"$out"; then bad "the driver was blamed for a fault: $out"; else ok "no fault of the driver"; fi

echo "dma_hostile.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
