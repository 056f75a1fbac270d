#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# JIT time per architecture for the same signed packages: x86_64 natively, arm64 and ppc64el
# with the host side cross-built (make ARCH=...) and run under qemu user-mode emulation. The
# emulated figures measure qemu's translation of LLVM more than the CPU: they show that the
# JIT works there and how the phases compare, not how fast a real arm64 or POWER machine is.
# Medians of REPS fresh `xdrv load --json` processes. Writes one section of docs/BENCHMARKS.md.
#   usage: scripts/bench.d/50-cross.sh BUILD_DIR SECTION.md   (REPS=5 by default)
#   env:   XDRV_CROSS_PREFIX (default build/), CROSS_SYSROOT_ppc64el (see the Makefile)
set -euo pipefail
B=${1:?usage: 50-cross.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 50-cross.sh BUILD_DIR SECTION.md}
REPS=${REPS:-5}
PREFIX=${XDRV_CROSS_PREFIX:-build/}
ROOT="$B/pki/root.pem"
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) printf "%.1f\n", a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }

rows=()
measure() { # label cmd...
  local label=$1; shift
  local drv f j
  for drv in hello uart16550 dp83820 virtio_scsi; do
    [ -f "$B/pkg/$drv.xdrv" ] || continue
    f=$(mktemp)
    for _ in $(seq 1 "$REPS"); do
      j=$("$@" load --trust "$ROOT" --eager --json "$B/pkg/$drv.xdrv")
      jq -r '[.timings.opt_ns, .timings.jit_ns, .timings.total_ns] | map(. / 1e6) | @tsv' <<<"$j" >> "$f"
    done
    rows+=("| $label | $drv | $(cut -f1 "$f" | median) | $(cut -f2 "$f" | median) | $(cut -f3 "$f" | median) |")
    rm -f "$f"
  done
}

measure "x86_64 (native)" "$B/bin/xdrv"
for a in arm64 ppc64el; do
  case $a in arm64) q=qemu-aarch64-static ;; ppc64el) q=qemu-ppc64le-static ;; esac
  d="$PREFIX$a"
  make --no-print-directory ARCH=$a O="$d" SAN=0 cross >/dev/null
  sr=$(cat "$d/cross-sysroot" 2>/dev/null || true)
  if [ -n "$sr" ]; then measure "$a (EMULATED, qemu-user)" "$q" -L "$sr" "$d/bin/xdrv"
  else measure "$a (EMULATED, qemu-user)" "$q" "$d/bin/xdrv"; fi
done

{
  echo "## JIT per architecture (arm64 and ppc64el EMULATED — not a speed claim)"
  echo
  echo "The same signed packages (\`$B/pkg\`), eager mode, medians of $REPS fresh processes,"
  echo "$(date -u +%Y-%m-%d), on $(nproc) cores of an x86_64 machine. arm64 and ppc64el run the"
  echo "cross-built host side under qemu-user 7.2 (qemu translates LLVM itself, so these numbers"
  echo "are dominated by emulation and say nothing about real arm64/POWER hardware). ppc64el"
  echo "has eager mode only (LLVM 19 ORC: no lazy call-through for powerpc64le)."
  echo
  echo "| host | driver | optimize (ms) | JIT (ms) | whole load (ms) |"
  echo "| --- | --- | ---: | ---: | ---: |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Reproduce: \`make ARCH=arm64 && make ARCH=ppc64el && scripts/bench.d/50-cross.sh build /dev/stdout\`"
} > "$SECTION"
