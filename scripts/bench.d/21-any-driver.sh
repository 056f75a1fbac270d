#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A bench for any driver (issue 14): `xdrv bench --package PKG --device MODEL` measures a signed
# driver package as it is (here the dp83820 sample, as any other NIC driver would be: its class
# comes from what it registers), with two sets of driver parameters side by side in every rep:
# rings of 64 and of 1,024 descriptors, NIC RX 64 B, JIT eager, lazy and isolated. Writes one
# section of docs/BENCHMARKS.md (to SECTION), the figures to $B/bench/any-driver.{json,txt} and
# their chart to $B/bench/any-driver.png (scripts/bench-chart.sh, with gnuplot).
#   usage: scripts/bench.d/21-any-driver.sh BUILD_DIR SECTION.md   (REPS=21 by default)
set -euo pipefail
B=${1:?usage: 21-any-driver.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 21-any-driver.sh BUILD_DIR SECTION.md}
REPS=${REPS:-21}
X="$B/bin/xdrv"
OUT="$B/bench"
J="$OUT/any-driver.json"
TXT="$OUT/any-driver.txt"
mkdir -p "$OUT"
# shellcheck disable=SC2054 # the commas are the options' own (K=V,K=V)
cmd=("$X" bench --package "$B/pkg/dp83820.xdrv" --device dp83820
  --params rx_ring=64,tx_ring=64 --params rx_ring=1024,tx_ring=1024 --only nic.rx.64
  --reps "$REPS" --json "$J")
load0=$(cut -d' ' -f1 /proc/loadavg)
start=$(date +%s)
"${cmd[@]}" > "$TXT"
secs=$(( $(date +%s) - start ))
load1=$(cut -d' ' -f1 /proc/loadavg)
chart=""
if command -v gnuplot > /dev/null && scripts/bench-chart.sh "$J" "$OUT/any-driver.png"; then
  chart=", chart: \`$OUT/any-driver.png\`"
fi
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo "?")
llvm_cpu=$(jq -r '.host' "$J" | grep -o 'cpu=[^ ]*' || true)

{
  echo "## A bench for any driver: ring size (issue 14)"
  echo
  echo "\`xdrv bench --package PKG --device MODEL[:CONFIG] [--wire SPEC | --disk SPEC] [--params K=V,...]\`"
  echo "measures any signed NIC or block driver: it is bound to the device, and what it registers"
  echo "(a network interface or a block device) picks the workloads (bench/README.md \"Any driver\")."
  echo "\`--params\` given twice measures two parameter sets side by side, every mode of both in"
  echo "every rep, interleaved. Here the signed dp83820 package with rings of 64 and of 1,024"
  echo "descriptors (the ring-size figure of section \"NIC runtime bookkeeping\", which needed an edited"
  echo "bench then), NIC RX 64 B, JIT eager, lazy and isolated (a sandboxed driver host);"
  echo "optimized build, $(nproc) cores (${cpu}, ${llvm_cpu#cpu=}), $(uname -sr), $(date -u +%Y-%m-%d),"
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $REPS reps, ${secs} s in all; 1-minute load average"
  echo "$load0 before, $load1 after (a shared machine: other builds ran)."
  echo
  echo "    $(printf '%s ' "${cmd[@]}" | sed "s|$B/|build/|g; s| --json [^ ]*||; s| *$||")"
  echo
  echo "Medians of the reps (min-max); *p2/p1*: the median of the per-rep ratios ring 1,024 / ring"
  echo "64 (p25-p75), and the ratio of the medians the table prints:"
  echo
  echo "| mode | ring 64, Mpps | ring 1,024, Mpps | 1,024/64 per rep | 1,024/64 of medians | noise? |"
  echo "| --- | ---: | ---: | ---: | ---: | --- |"
  jq -r 'def fix($d): (. * pow(10; $d) | round) as $n | ($n / pow(10; $d) | floor | tostring)
           + "." + (($n % pow(10; $d)) | tostring | ("000" + .)[-$d:]);
         def f: fix(3); def r: fix(2);
    .metrics[] | select(.key == "nic.rx.64.mpps") | . as $m
    | [["eager", "jit-eager"], ["lazy", "jit-lazy"], ["isol", "jit-isolated"]][]
    | . as [$s, $name]
    | "| \($name) | \($m.median[$s + ".p1"] | f) (\($m.min[$s + ".p1"] | f)-\($m.max[$s + ".p1"] | f)) | \($m.median[$s + ".p2"] | f) (\($m.min[$s + ".p2"] | f)-\($m.max[$s + ".p2"] | f)) | \($m.ratio_per_rep[$s + " p2/p1"].median | r) (\($m.ratio_per_rep[$s + " p2/p1"].p25 | r)-\($m.ratio_per_rep[$s + " p2/p1"].p75 | r)) | \($m.ratios[$s + " p2/p1"] | r) | \(if $m.ratio_noisy[$s + " p2/p1"] then "yes" else "no" end) |"' "$J"
  echo
  echo "The table as \`xdrv bench\` printed it (the host line left out):"
  echo
  echo '```'
  sed -n '/^package:/,$p' "$TXT"
  echo '```'
  echo
  echo "Figures: \`$J\`$chart. Reproduce: \`scripts/bench.sh $B 21-any-driver\` after \`make\`"
  echo "(\`REPS=N\`), or the command above."
} > "$SECTION"
cat "$SECTION" >&2
