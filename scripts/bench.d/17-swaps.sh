#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Code swaps (issue 13; loader/tier.c, "Code swaps"): what swappable code costs and how long a
# swap takes. Per round, interleaved: the dp83820 under FRAMES generator frames each way in
# process, loaded plain (full, O2) and swappable (`--control`: entries from the host through a
# slot), the CPU time of each run; then, on a swappable run under an endless generator,
# `xdrv param set csum_offload 0` and `xdrv patch apply` of tests/data/patch/dp83820_goodbye:
# the background compile and the swap as the run reports them; the same two changes against a
# served boot (`xdrv boot --serve`, no TPM): compiled by the compiler process, measured, swapped
# in by the driver's process, and the wall time of each request in both. Medians and ranges of
# REPS rounds. Writes one section of docs/BENCHMARKS.md (to SECTION), raw samples to $B/bench/swaps.csv.
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
  t0=$(date +%s%N)
  s=$("$X" param set --control "$SOCK" dp83820 csum_offload 0)
  t1=$(date +%s%N)
  echo "param,$rep,nan,$(sed -n 's/.* compile_ms \([0-9.]*\) swap_us \([0-9.]*\).*/\1,\2/p' <<<"$s" | tail -1),$(( (t1 - t0) / 1000000 ))" >> "$csv"
  s=$("$X" patch apply --control "$SOCK" "$B/patch/dp83820_goodbye.xdrv")
  echo "patch,$rep,nan,$(sed -n 's/.* compile_ms \([0-9.]*\) swap_us \([0-9.]*\).*/\1,\2/p' <<<"$s"),nan" >> "$csv"
  kill -TERM "$pid"; wait "$pid" || true
  # the same changes against a served boot: the compiler process, a measurement, the driver's
  # process
  rm -rf "$OUT/serve" && mkdir -p "$OUT/serve"
  printf '{"format": 1, "event_log": "boot.log", "state_dir": "state", "trust": {"root": "%s"},\n "drivers": [{"package": "%s", "device": "dp83820"}]}\n' \
    "$(cd "$B" && pwd)/pki/root.pem" "$(cd "$B" && pwd)/pkg/dp83820.xdrv" > "$OUT/serve/boot.json"
  "$X" boot --config "$OUT/serve/boot.json" --serve --control "$OUT/serve/ctl.sock" \
    >"$OUT/serve/out" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1200); do grep -q "^boot: serving" "$OUT/serve/out" && break; sleep 0.05; done
  t0=$(date +%s%N)
  s=$("$X" param set --control "$OUT/serve/ctl.sock" dp83820 csum_offload 0)
  t1=$(date +%s%N)
  echo "bparam,$rep,nan,$(sed -n 's/.* compile_ms \([0-9.]*\) swap_us \([0-9.]*\).*/\1,\2/p' <<<"$s" | tail -1),$(( (t1 - t0) / 1000000 ))" >> "$csv"
  s=$("$X" patch apply --control "$OUT/serve/ctl.sock" "$B/patch/dp83820_goodbye.xdrv")
  echo "bpatch,$rep,nan,$(sed -n 's/.* compile_ms \([0-9.]*\) swap_us \([0-9.]*\).*/\1,\2/p' <<<"$s" | tail -1),nan" >> "$csv"
  kill -TERM "$pid"; wait "$pid" || true
  echo "bfull,$rep,nan,nan,nan,$(sed -n 's/.* probed on dp83820 in \([0-9.]*\) ms.*/\1/p' "$OUT/serve/out")" >> "$csv"
  # the same served boot again: generation 0 (O2, with slots) from the object cache the first
  # one filled (state/cache)
  "$X" boot --config "$OUT/serve/boot.json" --serve --control "$OUT/serve/ctl.sock" \
    >"$OUT/serve/out" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1200); do grep -q "^boot: serving" "$OUT/serve/out" && break; sleep 0.05; done
  kill -TERM "$pid"; wait "$pid" || true
  grep -q "object cache hit" "$OUT/serve/out" || echo "17-swaps: the second served boot missed the cache" >&2
  echo "bwarm,$rep,nan,nan,nan,$(sed -n 's/.* probed on dp83820 in \([0-9.]*\) ms.*/\1/p' "$OUT/serve/out")" >> "$csv"
  # tier auto: probed at O0, tier 2 swapped in before the boot serves
  rm -rf "$OUT/serve/state" "$OUT/serve/boot.log"
  "$X" boot --config "$OUT/serve/boot.json" --serve --tier auto --control "$OUT/serve/ctl.sock" \
    >"$OUT/serve/out" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1200); do grep -q "^boot: serving [0-9]" "$OUT/serve/out" && break; sleep 0.05; done
  kill -TERM "$pid"; wait "$pid" || true
  echo "bauto,$rep,nan,$(sed -n 's/.*tier 2 (O2): generation 1 live (.*compiled in \([0-9.]*\) ms, swap \([0-9.]*\) us.*/\1,\2/p' "$OUT/serve/out"),$(sed -n 's/.* probed on dp83820 in \([0-9.]*\) ms.*/\1/p' "$OUT/serve/out")" >> "$csv"
done
load1=$(cut -d' ' -f1 /proc/loadavg)

vals() { awk -F, -v w="$1" -v c="$2" 'NR>1 && $1==w && $c!="nan" {print $c}' "$csv"; }
ratios=$(paste -d, <(vals swappable 3) <(vals plain 3) | awk -F, '{printf "%.4f\n", $1 / $2}')
rratios=$(paste -d, <(vals swappable 6) <(vals plain 6) | awk -F, '{printf "%.4f\n", $1 / $2}')
pratios=$(paste -d, <(vals bfull 6) <(vals bauto 6) | awk -F, '$2 > 0 {printf "%.4f\n", $1 / $2}')
wratios=$(paste -d, <(vals bfull 6) <(vals bwarm 6) | awk -F, '$2 > 0 {printf "%.4f\n", $1 / $2}')
{
  echo "### Code swaps: swappable code and the time of a swap"
  echo
  echo "Command: \`REPS=$REPS FRAMES=$FRAMES scripts/bench.d/17-swaps.sh build S.md\` ($(date -u +%Y-%m-%d),"
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $load0 -> $load1)."
  echo "The dp83820 in process under $FRAMES generator frames of 64 B each way, plain (O2) and"
  echo "swappable (\`--control\`), interleaved; CPU time of the whole run (load included), medians"
  echo "and ranges of $REPS rounds. Then a swappable run under traffic: \`xdrv param set csum_offload 0\`"
  echo "and \`xdrv patch apply dp83820_goodbye\`, the background compile and the swap as reported;"
  echo "then the same two against a served boot (\`xdrv boot --serve\`, no TPM): the compile by the"
  echo "compiler process, the swap in the driver's process, and each \`param set\`'s wall time;"
  echo "and the served boot's time from reading the package to the probe, full (O2) vs \`--tier auto\`"
  echo "(O0, then tier 2 compiled by the compiler process and swapped in before it serves)."
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
  echo "| \`param set\` wall, in process (ms) | $(vals param 6 | median) | $(vals param 6 | range) |"
  echo "| served boot, re-specialization: compile by the compiler process (ms) | $(vals bparam 4 | median) | $(vals bparam 4 | range) |"
  echo "| served boot, re-specialization: swap in the driver's process (us) | $(vals bparam 5 | median) | $(vals bparam 5 | range) |"
  echo "| served boot, live patch: compile (ms) | $(vals bpatch 4 | median) | $(vals bpatch 4 | range) |"
  echo "| served boot, live patch: swap (us) | $(vals bpatch 5 | median) | $(vals bpatch 5 | range) |"
  echo "| served boot, \`param set\` wall: check, compile, measure, swap (ms) | $(vals bparam 6 | median) | $(vals bparam 6 | range) |"
  echo "| served boot, dp83820 from its package read to probed, full (O2) (ms) | $(vals bfull 6 | median) | $(vals bfull 6 | range) |"
  echo "| served boot, the same with \`--tier auto\` (O0) (ms) | $(vals bauto 6 | median) | $(vals bauto 6 | range) |"
  echo "| full / auto, to probed, same round | $(median <<<"$pratios") | $(range <<<"$pratios") |"
  echo "| served boot again, generation 0 from the object cache (O2) (ms) | $(vals bwarm 6 | median) | $(vals bwarm 6 | range) |"
  echo "| full cold / full from the cache, to probed, same round | $(median <<<"$wratios") | $(range <<<"$wratios") |"
  echo "| \`--tier auto\`: tier 2 (O2) compile by the compiler process (ms) | $(vals bauto 4 | median) | $(vals bauto 4 | range) |"
  echo "| \`--tier auto\`: tier 2 swap in the driver's process (us) | $(vals bauto 5 | median) | $(vals bauto 5 | range) |"
  echo
} > "$SECTION"
cat "$SECTION"
