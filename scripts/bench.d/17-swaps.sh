#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Code swaps (issue 13; loader/tier.c, "Code swaps"): what swappable code costs and how long a
# swap takes. Per round, interleaved: the dp83820 under FRAMES generator frames each way in
# process, loaded plain (full, O2) and swappable (`--control`: entries from the host through a
# slot), the CPU time of each run; then, on a swappable run under an endless generator,
# `xdrv param set csum_offload 0` and `xdrv patch apply` of tests/data/patch/dp83820_goodbye:
# the background compile and the swap as the run reports them. Medians and ranges of REPS
# rounds. Writes one section of docs/BENCHMARKS.md (to SECTION), raw samples to $B/bench/swaps.csv.
#   usage: scripts/bench.d/17-swaps.sh BUILD_DIR SECTION.md   (REPS=7, FRAMES=1000000)
set -euo pipefail
B=${1:?usage: 17-swaps.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 17-swaps.sh BUILD_DIR SECTION.md}
REPS=${REPS:-7}
FRAMES=${FRAMES:-1000000}
X="$B/bin/xdrv"
P="$B/pkg/dp83820.xdrv"
TRUST=(--trust "$B/pki/root.pem")
OUT="$B/bench"
mkdir -p "$OUT"
csv="$OUT/swaps.csv"
echo "what,rep,cpu_ms,compile_ms,swap_us,ran_ms" > "$csv"
TIMEFORMAT='%U %S'
SOCK="$OUT/swaps.sock"
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
range() { sort -g | awk 'function f(v) { return v < 10 ? sprintf("%.3f", v) : sprintf("%.0f", v) } NR==1{lo=$1} {hi=$1} END {if (NR) printf "%s-%s", f(lo), f(hi); else print "-"}'; }
load0=$(cut -d' ' -f1 /proc/loadavg)

for rep in $(seq 1 "$REPS"); do
  for kind in plain swappable; do
    extra=()
    [ "$kind" = swappable ] && { rm -f "$SOCK"; extra=(--control="$SOCK"); }
    { time "$X" run "${TRUST[@]}" --in-process --device dp83820 --wire "gen:count=$FRAMES,size=64" \
        "${extra[@]}" "$P" >"$OUT/swaps.out" 2>&1 </dev/null; } 2>"$OUT/swaps.time"
    grep -q "received $FRAMES frames" "$OUT/swaps.out" || { cat "$OUT/swaps.out"; exit 1; }
    ran=$(sed -n 's/^ *ran *\([0-9.]*\) ms.*/\1/p' "$OUT/swaps.out" | head -1)
    echo "$kind,$rep,$(awk '{printf "%.1f", ($1 + $2) * 1000}' "$OUT/swaps.time"),nan,nan,${ran:-nan}" >> "$csv"
  done
  rm -f "$SOCK"
  "$X" run "${TRUST[@]}" --in-process --device dp83820 \
    --wire "gen:count=4000000000,size=60,check=0,digest=0" --control="$SOCK" "$P" \
    >"$OUT/swaps.run" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 600); do [ -S "$SOCK" ] && break; sleep 0.05; done
  s=$("$X" param set --control "$SOCK" dp83820 csum_offload 0)
  echo "param,$rep,nan,$(sed -n 's/.* compile_ms \([0-9.]*\) swap_us \([0-9.]*\).*/\1,\2/p' <<<"$s"),nan" >> "$csv"
  s=$("$X" patch apply --control "$SOCK" "$B/patch/dp83820_goodbye.xdrv")
  echo "patch,$rep,nan,$(sed -n 's/.* compile_ms \([0-9.]*\) swap_us \([0-9.]*\).*/\1,\2/p' <<<"$s"),nan" >> "$csv"
  kill -TERM "$pid"; wait "$pid" || true
done
load1=$(cut -d' ' -f1 /proc/loadavg)

vals() { awk -F, -v w="$1" -v c="$2" 'NR>1 && $1==w && $c!="nan" {print $c}' "$csv"; }
ratios=$(paste -d, <(vals swappable 3) <(vals plain 3) | awk -F, '{printf "%.4f\n", $1 / $2}')
rratios=$(paste -d, <(vals swappable 6) <(vals plain 6) | awk -F, '{printf "%.4f\n", $1 / $2}')
{
  echo "### Code swaps: swappable code and the time of a swap"
  echo
  echo "Command: \`REPS=$REPS FRAMES=$FRAMES scripts/bench.d/17-swaps.sh build S.md\` ($(date -u +%Y-%m-%d),"
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $load0 -> $load1)."
  echo "The dp83820 in process under $FRAMES generator frames of 64 B each way, plain (O2) and"
  echo "swappable (\`--control\`), interleaved; CPU time of the whole run (load included), medians"
  echo "and ranges of $REPS rounds. Then a swappable run under traffic: \`xdrv param set csum_offload 0\`"
  echo "and \`xdrv patch apply dp83820_goodbye\`, the background compile and the swap as reported."
  echo
  echo "| figure | median | range |"
  echo "|---|---:|---:|"
  echo "| run CPU, plain (ms) | $(vals plain 3 | median) | $(vals plain 3 | range) |"
  echo "| run CPU, swappable (ms) | $(vals swappable 3 | median) | $(vals swappable 3 | range) |"
  echo "| swappable / plain, run CPU, same round | $(median <<<"$ratios") | $(range <<<"$ratios") |"
  echo "| traffic phase (wall, after probe), plain (ms) | $(vals plain 6 | median) | $(vals plain 6 | range) |"
  echo "| traffic phase (wall, after probe), swappable (ms) | $(vals swappable 6 | median) | $(vals swappable 6 | range) |"
  echo "| swappable / plain, traffic phase, same round | $(median <<<"$rratios") | $(range <<<"$rratios") |"
  echo "| re-specialization: compile (ms) | $(vals param 4 | median) | $(vals param 4 | range) |"
  echo "| re-specialization: swap (us) | $(vals param 5 | median) | $(vals param 5 | range) |"
  echo "| live patch: compile (ms) | $(vals patch 4 | median) | $(vals patch 4 | range) |"
  echo "| live patch: swap (us) | $(vals patch 5 | median) | $(vals patch 5 | range) |"
  echo
} > "$SECTION"
cat "$SECTION"
