#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Load-path benchmark for the sample drivers: signature verification time, JIT time (eager:
# everything compiled; lazy: stubs ready), time from the start of loading until probe returned
# (the "time to first call"), and peak resident memory — each the median of REPS fresh processes
# of the optimized (non-sanitizer) build. Writes one section of docs/BENCHMARKS.md (to SECTION)
# and the raw samples to $B/bench/load.csv.
#   usage: scripts/bench.d/10-load.sh BUILD_DIR SECTION.md   (REPS=11 by default)
set -euo pipefail
B=${1:?usage: 10-load.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 10-load.sh BUILD_DIR SECTION.md}
REPS=${REPS:-11}
X="$B/bin/xdrv"
ROOT="$B/pki/root.pem"
OUT="$B/bench"
mkdir -p "$OUT"
csv="$OUT/load.csv"
echo "driver,mode,rep,verify_ms,jit_ms,load_ms,first_call_ms,peak_rss_kib" > "$csv"

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

device_for() { case $1 in hello) echo null ;; uart16550) echo uart16550 ;; *) echo null ;; esac; }

for drv in hello uart16550; do
  for mode in eager lazy; do
    for rep in $(seq 1 "$REPS"); do
      j=$("$X" load --trust "$ROOT" --$mode --json "$B/pkg/$drv.xdrv")
      verify=$(jq '.timings.verify_ns / 1e6' <<<"$j")
      jit=$(jq '.timings.jit_ns / 1e6' <<<"$j")
      load=$(jq '.timings.total_ns / 1e6' <<<"$j")
      run=$("$X" run --trust "$ROOT" --$mode --device "$(device_for "$drv")" "$B/pkg/$drv.xdrv" 2>&1)
      first=$(sed -n 's/^ *first call *\([0-9.]*\) ms.*/\1/p' <<<"$run")
      rss=$(sed -n 's/^ *peak rss *\([0-9]*\) KiB.*/\1/p' <<<"$run")
      echo "$drv,$mode,$rep,$verify,$jit,$load,${first:-nan},${rss:-nan}" >> "$csv"
    done
  done
done

col() { awk -F, -v d="$1" -v m="$2" -v c="$3" 'NR>1 && $1==d && $2==m {print $c}' "$csv" | median; }
host=$("$X" load --trust "$ROOT" --json "$B/pkg/hello.xdrv" | jq -r '.host_triple + " (" + .host_cpu + ")"')
{
  echo "## Loading a signed driver"
  echo
  echo "Optimized build, medians of $REPS fresh processes per cell, on $host,"
  echo "$(nproc) cores, $(date -u +%Y-%m-%d)."
  echo
  echo "- *verify*: trailer + CMS + chain to the pinned root + EKU/policy + payload digest."
  echo "- *JIT*: eager = every function emitted; lazy = globals and call-through stubs only."
  echo "- *load*: verify + extract + bitcode gate (parse, verify, lint, descriptor) + O2 for the host + JIT."
  echo "- *to first call*: start of loading until the driver's probe() returned, in \`xdrv run\`"
  echo "  (lazy mode compiles probe and what it calls on the way)."
  echo "- *peak RSS*: of the whole \`xdrv run\` process (LLVM included)."
  echo
  echo "| driver | mode | verify ms | JIT ms | load ms | to first call ms | peak RSS MiB |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
  for drv in hello uart16550; do
    for mode in eager lazy; do
      rss=$(col $drv $mode 8)
      printf '| %s | %s | %.2f | %.2f | %.2f | %.2f | %.1f |\n' "$drv" "$mode" \
        "$(col $drv $mode 4)" "$(col $drv $mode 5)" "$(col $drv $mode 6)" "$(col $drv $mode 7)" \
        "$(awk -v k="$rss" 'BEGIN{print k/1024}')"
    done
  done
  echo
  echo "Raw samples: \`$csv\` (one row per process)."
  echo
  echo "Reproduce: \`make bench\` (or \`REPS=21 scripts/bench.sh build 10-load\` after \`make\`)."
} > "$SECTION"
cat "$SECTION" >&2
