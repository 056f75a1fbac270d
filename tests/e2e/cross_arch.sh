#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One signed package, three architectures: the packages built and signed once on this machine
# (BUILD_DIR/pkg) are verified, JIT-compiled and run by the host side cross-built for arm64 and
# ppc64el (make ARCH=...), under qemu user-mode emulation, and the results are compared byte
# for byte with this machine's: driver logs, UART output, the driver's own summary lines
# (functions compiled, driver memory, DMA released) and, when those drivers and device models
# exist, the NIC's packet digests and the disk's content digest; and `xdrv ext test` of the
# signed sample packet extensions over one capture: verdicts, frame digests, output capture. Timings, rates, RSS and the
# interrupt/poll counts (which follow timing: interrupt holdoff, NAPI) are stripped;
# everything else must match.
#   usage: tests/e2e/cross_arch.sh BUILD_DIR
#   env:   XDRV_CROSS_ARCHS   architectures (default "arm64 ppc64el"; s390x: every load must be
#                             refused as big-endian, verify must match)
#          XDRV_CROSS_PREFIX  cross build folders are PREFIX<arch> (default "build/")
#          CROSS_SYSROOT_ppc64el, CROSS_SYSROOT_s390x: sysroot folders (see the Makefile)
set -uo pipefail
B=${1:?usage: cross_arch.sh BUILD_DIR}
ARCHS=${XDRV_CROSS_ARCHS:-arm64 ppc64el}
PREFIX=${XDRV_CROSS_PREFIX:-build/}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

OLDPWD_REPO=$PWD
B=$(realpath "$B") PREFIX=$(realpath -m "$PREFIX")$([ "${PREFIX%/}" != "$PREFIX" ] && echo /)
PKI="$B/pki"
for p in hello uart16550; do
  [ -f "$B/pkg/$p.xdrv" ] || { bad "missing $B/pkg/$p.xdrv (run make drivers)"; }
done
[ "$fails" -eq 0 ] || exit 1

# The cases: name|xdrv arguments (the package path last). Both JIT modes for each driver
# (dp83820 too; virtio_scsi eager only, the longest case).
cases=(
  "verify-hello|verify --trust $PKI/root.pem $B/pkg/hello.xdrv"
  "verify-uart|verify --trust $PKI/root.pem $B/pkg/uart16550.xdrv"
  "hello-eager|run --trust $PKI/root.pem --eager --device null $B/pkg/hello.xdrv"
  "hello-lazy|run --trust $PKI/root.pem --lazy --device null $B/pkg/hello.xdrv"
  "uart-eager|run --trust $PKI/root.pem --eager --device uart16550 --input hello\\r\\nsecond\\x21\\r $B/pkg/uart16550.xdrv"
  "uart-lazy|run --trust $PKI/root.pem --lazy --device uart16550 --input abc\\r $B/pkg/uart16550.xdrv"
)
models=$("$B/bin/xdrv" run --help 2>&1 | sed -n '/^device models:/,$p')
# NIC and disk: only where both the signed package and the device model exist.
# NIC: the in-process generator sends 300 frames of 1000 bytes to the NIC, the host side
# echoes each back through the driver's transmit path to the sink; both digests are printed.
if [ -f "$B/pkg/dp83820.xdrv" ] && grep -q '^  dp83820 ' <<<"$models"; then
  cases+=("nic-dp83820|run --trust $PKI/root.pem --device dp83820 --wire gen:count=300,size=1000 $B/pkg/dp83820.xdrv")
  # lazy: 20 of its 25 functions compiled through the loader's thunks, on the packet path too
  cases+=("nic-dp83820-lazy|run --trust $PKI/root.pem --lazy --device dp83820 --wire gen:count=100,size=1000 $B/pkg/dp83820.xdrv")
fi
# Disk: a fixed 24 KiB pattern written at LBA 8 of a RAM disk, flushed, read back; the digest
# of what came back is appended to the result.
awk 'BEGIN { for (i = 0; i < 24576; i++) printf "%c", (i * 7 + 3) % 251 + 1 }' > "$T/pattern.bin"
if [ -f "$B/pkg/virtio_scsi.xdrv" ] && grep -q '^  virtio-scsi ' <<<"$models"; then
  cases+=("disk-virtio_scsi|run --trust $PKI/root.pem --device virtio-scsi:disk=ram:2M --blk-write sda:8:pattern.bin --blk-flush sda --blk-read sda:8:48:back.bin $B/pkg/virtio_scsi.xdrv")
fi

# Packet extensions (issue 16): one capture made here through the signed sample extensions
# (make builds them into BUILD_DIR/ext) and a hostile one (BUILD_DIR/ext-test), with
# `xdrv ext test`: the summary, every frame's verdict and digest (the verdict file, appended
# whole) and the output capture's digest must be byte-identical on every architecture. The
# capture: IPv4 TCP and UDP of several flows and ports, ARP, a few sizes.
if command -v python3 >/dev/null && [ -f "$B/ext/filter.xdrv" ]; then
  python3 - "$T/ext-in.pcap" <<'PY'
import struct, sys
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(120):
        if i % 11 == 10:
            fr = b'\xff' * 6 + bytes([2, 0, 0, 0, i, 1]) + b'\x08\x06' + bytes(28)
        else:
            proto = 17 if i % 3 == 0 else 6
            dport = [22, 53, 80, 5201, 443][i % 5]
            pay = bytes((i * 7 + k) & 0xff for k in range(i % 40))
            l4 = (struct.pack('>HHHH', 1024 + i % 9, dport, 8 + len(pay), 0) if proto == 17 else
                  struct.pack('>HHIIHHHH', 1024 + i % 9, dport, i, 0, 0x5018, 512, 0, 0)) + pay
            ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), i, 0, 64, proto, 0,
                             bytes([10, 0, 0, 1 + i % 4]), bytes([10, 0, 1, 1 + i % 3]))
            fr = bytes([2, 0, 0, 0, 0, 0xaa, 2, 0, 0, 0, i, 1]) + b'\x08\x00' + ip + l4
        f.write(struct.pack('<IIII', 1700000000 + i, 1000 * i, len(fr), len(fr)) + fr)
PY
  X_EXT="ext test --trust $PKI/root.pem --pcap ext-in.pcap --out ext-out.pcap --verdicts ext-verdicts.txt --dump-tables"
  cases+=("ext-filter|$X_EXT --table deny=10.0.0.2,0x0006001600000000 $B/ext/filter.xdrv")
  [ -f "$B/ext/prio.xdrv" ] && cases+=("ext-prio|$X_EXT --param port=80 --table ports=443 $B/ext/prio.xdrv")
  [ -f "$B/ext/flowcount.xdrv" ] && cases+=("ext-flowcount|$X_EXT $B/ext/flowcount.xdrv")
  [ -f "$B/ext-test/oob.xdrv" ] && cases+=("ext-oob|$X_EXT --on-fail drop $B/ext-test/oob.xdrv")
else
  echo "# no python3 or no $B/ext/filter.xdrv: the packet extension cases are skipped"
fi

# Keep what the driver and the device did; drop what depends on the machine or the clock.
# The process model differs too: a native build runs the driver in a sandboxed driver host
# ("domain: ..." and the supervisor's object line), a cross build (no libseccomp) in process.
normalize() {
  sed -E \
    -e '/^  (load|first call|of which|ran|peak rss|rate|object) /d' \
    -e '/^domain: driver host /d; /^xdrv run: this build has no sandbox/d' \
    -e 's/[0-9]+\.[0-9]+ ms/N ms/g' \
    -e 's/, [0-9.]+ MB\/s//g' \
    -e 's/[0-9]+ interrupts/N interrupts/g; s/[0-9]+ polls/N polls/g' \
    -e 's/mean run time [0-9]+ ns/mean run time N ns/'
}

# run_all OUT_DIR COMMAND...: every case, normalized, into OUT_DIR/<case>.txt (+ exit status),
# run in OUT_DIR/run (the disk case's files are relative to it); seconds per case in OUT_DIR/times
run_all() {
  local out=$1; shift
  mkdir -p "$out/run"
  cp "$T/pattern.bin" "$out/run/"
  [ -f "$T/ext-in.pcap" ] && cp "$T/ext-in.pcap" "$out/run/"
  local c name args t0
  for c in "${cases[@]}"; do
    name=${c%%|*} args=${c#*|} t0=$(date +%s%N)
    # shellcheck disable=SC2086 # the case's arguments are words
    { (cd "$out/run" && "$@" $args 2>&1); echo "exit $?"; } | normalize > "$out/$name.txt"
    if [ "${name#disk-}" != "$name" ]; then
      echo "read back: $(sha256sum < "$out/run/back.bin" 2>&1 | cut -c1-64) (pattern $(sha256sum < "$T/pattern.bin" | cut -c1-64))" >> "$out/$name.txt"
    fi
    if [ "${name#ext-}" != "$name" ]; then
      # every frame's verdict and digest, and the output capture's digest
      { cat "$out/run/ext-verdicts.txt" 2>&1
        echo "output capture: $(sha256sum < "$out/run/ext-out.pcap" 2>&1 | cut -c1-64)"; } >> "$out/$name.txt"
      rm -f "$out/run/ext-verdicts.txt" "$out/run/ext-out.pcap"
    fi
    echo "$name $((($(date +%s%N) - t0) / 1000000)) ms" >> "$out/times"
  done
  cat "$out"/*.txt > "$out/ALL"
}

out=$("$B/bin/xdrv" inspect --trust "$B/pki/root.pem" "$B/pkg/hello.xdrv" 2>&1)
if grep -q '^runs on     profile xdrv-lp64le-1: little-endian 64-bit hosts: x86_64 arm64 ppc64el' <<<"$out" &&
  grep -q 'refused: s390x (big-endian)' <<<"$out"; then
  ok "xdrv inspect names the profile and the architectures"
else bad "xdrv inspect: no 'runs on' line: $out"; fi

run_all "$T/x86_64" "$B/bin/xdrv"
ok "x86_64: ${#cases[@]} cases ($(grep -c . "$T/x86_64/ALL") result lines)"
grep -q '^exit 0$' "$T/x86_64/hello-eager.txt" || bad "x86_64 hello does not run: $(cat "$T/x86_64/hello-eager.txt")"

qemu_for() { case "$1" in arm64) echo qemu-aarch64-static ;; ppc64el) echo qemu-ppc64le-static ;; s390x) echo qemu-s390x-static ;; esac; }
# 1. the cross builds (incremental: `make test` has built them already)
built=()
for a in $ARCHS; do
  [ -n "$(qemu_for "$a")" ] || { bad "unknown architecture $a"; continue; }
  d="$PREFIX$a"
  if ! (cd "$OLDPWD_REPO" && make --no-print-directory ARCH="$a" O="$d" SAN=0 cross) > "$T/make-$a.log" 2>&1; then
    bad "$a: cross build (make ARCH=$a O=$d cross) failed: $(tail -5 "$T/make-$a.log")"
    continue
  fi
  built+=("$a")
done
# 2. every architecture at once (they are independent emulated processes)
pids=()
for a in "${built[@]}"; do
  d="$PREFIX$a" q=$(qemu_for "$a")
  # a sysroot build (ppc64el) finds its libraries there; multiarch (arm64) in the system
  sr=$(cat "$d/cross-sysroot" 2>/dev/null)
  (
    t0=$(date +%s%N)
    if [ -n "$sr" ]; then run_all "$T/$a" "$q" -L "$sr" "$d/bin/xdrv"
    else run_all "$T/$a" "$q" "$d/bin/xdrv"; fi
    echo $((($(date +%s%N) - t0) / 1000000)) > "$T/$a.ms"
  ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
# 3. compare
for a in "${built[@]}"; do
  q=$(qemu_for "$a") ms=$(cat "$T/$a.ms" 2>/dev/null || echo "?")
  # Lazy mode: ORC's lazy re-exports on arm64, the loader's own IR thunks on ppc64el (LLVM 19's
  # ORC has no lazy call-through for powerpc64le; loader/lazy.c). The lazy cases must run on
  # every little-endian architecture, with the same functions compiled as on x86_64 (the
  # comparison below checks every line; this names the lazy cases in the log).
  if [ "$a" != s390x ]; then
    for f in "$T/$a"/*-lazy.txt; do
      if tail -1 "$f" | grep -qx 'exit 0' && grep -q '^  jit         lazy, ' "$f" &&
        cmp -s "$f" "$T/x86_64/$(basename "$f")"; then
        ok "$a: $(basename "$f" .txt): lazy mode runs, same output as x86_64 ($(grep -o '[0-9]* of [0-9]* functions compiled ([0-9]* by the time probe returned)' "$f"))"
      else
        bad "$a: $(basename "$f" .txt): lazy mode: expected the x86_64 output, got: $(cat "$f")"
      fi
    done
  fi
  # s390x (only when asked for: XDRV_CROSS_ARCHS=s390x): big-endian, so every case that loads
  # a driver must be refused with the loader's byte-order message; verify must still match.
  if [ "$a" = s390x ]; then
    for f in "$T/$a"/*.txt; do
      n=$(basename "$f" .txt)
      [ "${n#verify-}" = "$n" ] || continue
      if grep -qx 'exit 1' "$f" &&
        grep -q 'profile xdrv-lp64le-1 is little-endian and this host (s390x-unknown-linux-gnu) is big-endian: the package cannot run here' "$f"; then
        ok "$a: $n: refused, big-endian host"
      else
        bad "$a: $n: expected the big-endian refusal, got: $(head -3 "$f")"
      fi
      cp "$T/x86_64/$n.txt" "$f"
    done
    cat "$T/$a"/*.txt > "$T/$a/ALL"
  fi
  if cmp -s "$T/x86_64/ALL" "$T/$a/ALL"; then
    ok "$a: all compared cases byte-identical to x86_64 ($a binary under $q, $ms ms; per case: $(tr '\n' ' ' < "$T/$a/times"))"
  else
    bad "$a: results differ from x86_64:"
    diff -r "$T/x86_64" "$T/$a" | head -40
  fi
done
# what the comparison covered, for the log
echo "--- normalized x86_64 results compared:"
sed 's/^/    /' "$T/x86_64/ALL" | head -60
echo "cross_arch.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
