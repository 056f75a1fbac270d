#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Disk path (issue 14): where the time of `xdrv run --in-process --device
# virtio-scsi:disk=file:IMAGE` goes, per workload, as perf samples (cycles, no call graphs):
# 4 KiB random reads one at a time and 1 MiB sequential reads on a 256 MiB image of random data
# (page cache warm). Samples of the JIT compiler (libLLVM), the dynamic loader and the C++
# runtime are start-up, not the data path, and are left out before the shares are taken. The
# rest is grouped (the kernel's copy to the caller's memory, the rest of the kernel, the device
# model and runtime in the xdrv binary, libc, the JIT-compiled driver) and its top symbols
# listed, so the section says what stands between the figures of 27-peers.sh and fio's.
# Writes one section of docs/BENCHMARKS.md (to SECTION); skips with a note without perf.
#   usage: scripts/bench.d/28-disk-profile.sh BUILD_DIR SECTION.md   (RIOS=300000, SEQ=4000)
set -euo pipefail
B=${1:?usage: 28-disk-profile.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 28-disk-profile.sh BUILD_DIR SECTION.md}
RIOS=${RIOS:-300000}
SEQ=${SEQ:-4000}
X="$B/bin/xdrv"
for f in "$X" "$B/pki/root.pem" "$B/pkg/virtio_scsi.xdrv"; do
  [ -e "$f" ] || { echo "28-disk-profile: no $f (make O=$B all)" >&2; exit 1; }
done
if ! command -v perf > /dev/null || ! perf stat -e task-clock true > /dev/null 2>&1; then
  {
    echo "## Disk path profile (issue 14)"
    echo
    echo "Not measured: perf is not installed or not allowed here (scripts/install-deps: linux-perf)."
  } > "$SECTION"
  exit 0
fi
T=$(mktemp -d /tmp/xdrv-bench-diskprof.XXXXXX)
trap 'rm -rf "$T"' EXIT
IMG="$T/disk.img"
head -c 256M /dev/urandom > "$IMG"
cat "$IMG" > /dev/null

# profile NAME OPS...: the run's result line, then the grouped shares and the top symbols
profile() {
  local name=$1 d="$T/$1.data"
  shift
  perf record -q -F 4999 -o "$d" -- "$X" run --in-process --trust "$B/pki/root.pem" --eager \
    --device "virtio-scsi:disk=file:$IMG" "$@" "$B/pkg/virtio_scsi.xdrv" > "$T/$name.log" 2>&1 ||
    { echo "28-disk-profile: $name failed:" >&2; cat "$T/$name.log" >&2; exit 1; }
  perf report -i "$d" --no-children --sort dso,sym --stdio -g none --percent-limit 0 2> /dev/null |
    awk -F'  +' '/^ +[0-9.]+%/ { sub(/%/, "", $2); print $2 "\t" $3 "\t" $4 }' > "$T/$name.tsv"
}
table() { # name: markdown rows
  awk -F'\t' '
    $2 ~ /libLLVM|ld-linux|libstdc\+\+|libz3|libcrypto/ { next }
    $3 ~ /msort|cmp_u64/ { next } # sorting the latencies, after the timed loop
    { p = $1 + 0; tot += p; n++; pct[n] = p; dso[n] = $2; sym[n] = $3
      g = "other"
      if ($2 ~ /kernel/ && $3 ~ /copy_to_iter|copy_user|copy_page_to_iter|copy_to_user|memcpy/) g = "kernel: copy to the caller"
      else if ($2 ~ /kernel/) g = "kernel: the rest (system call, page cache, entry/exit)"
      else if ($2 ~ /^xdrv/) g = "xdrv: device model, runtime, run loop"
      else if ($2 ~ /libc/) g = "libc (memcpy, malloc, the preadv wrapper)"
      else if ($2 ~ /JIT|perf-/) g = "the JIT-compiled driver"
      else if ($2 ~ /vdso/) g = "vdso (clock reads for the latencies)"
      grp[g] += p }
    END {
      if (tot <= 0) { print "| (no samples) | - |"; exit }
      for (g in grp) printf "| %s | %.1f %% |\n", g, grp[g] / tot * 100 | "sort -t\"|\" -k3 -rn"
      close("sort -t\"|\" -k3 -rn")
      printf "\nTop symbols:"
      for (i = 1; i <= n && i <= 10; i++) printf " %s %.1f %%%s", sym[i], pct[i] / tot * 100, (i < 10 && i < n) ? "," : ""
      printf "\n"
    }' "$T/$1.tsv"
}
profile rand4k --blk-randread "sda:$RIOS"
profile seq1m --blk-seqread "sda:$SEQ:1048576"
load=$(cut -d" " -f1 /proc/loadavg)
{
  echo "## Disk path profile (issue 14)"
  echo
  echo "\`scripts/bench.d/28-disk-profile.sh\`, optimized build, $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d);"
  echo "\`perf record -F 4999\` of \`xdrv run --in-process --device virtio-scsi:disk=file:IMAGE\` (256 MiB"
  echo "of random data, page cache warm) with the signed virtio_scsi package JIT-compiled. Shares of"
  echo "the samples outside start-up (the JIT compiler, the dynamic loader, the C++ runtime left out)."
  echo "READ data goes from the page cache into the driver's buffer in one copy (the model's"
  echo "preadv into the DMA buffer, translated through the IOMMU), as fio's pread does into its own:"
  echo "the rest is what xdrv adds per request."
  for w in rand4k seq1m; do
    echo
    if [ "$w" = rand4k ]; then
      echo "4 KiB random reads, one at a time (\`--blk-randread sda:$RIOS\`):"
    else
      echo "1 MiB sequential reads (\`--blk-seqread sda:$SEQ:1048576\`):"
    fi
    grep -h ' reads of ' "$T/$w.log" | sed "s/^blk: sda: /\\\`/; s/\$/\\\`/"
    echo
    echo "| where | share |"
    echo "| --- | ---: |"
    table "$w"
  done
  echo
  echo "1-minute load average $load. Reproduce: \`make O=$B all\`, then (as root)"
  echo "\`scripts/bench.d/28-disk-profile.sh $B SECTION.md\` (\`RIOS=N SEQ=N\`), or"
  echo "\`scripts/bench.sh $B 28-disk-profile\`."
} > "$SECTION"
cat "$SECTION" >&2
