#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Tiers (issue 13; loader/tier.c): for each sample driver, the time from the start of loading
# until probe returned ("to first call": the driver is up, the NIC's first frame follows) with
# --tier full (O2), fast (O0, fast instruction selection) and auto (O0 through slots, O2
# compiled in the background), and for auto when O2 went live; then the dp83820's steady-state
# throughput at fast vs full; and the fast tier once more with Debian's libLLVM instead of xdrv's
# private LLVM library (a copy of the program with no lib/xdrv/ beside it: cli/llvm_lazy.c falls
# back to it), interleaved too, to show what the library's load costs. In process (`xdrv run --in-process`), a fresh process per sample,
# the tiers interleaved in each round, medians and ranges of REPS rounds. Writes one section of
# docs/BENCHMARKS.md (to SECTION) and the raw samples to $B/bench/tiers.csv.
#   usage: scripts/bench.d/16-tiers.sh BUILD_DIR SECTION.md   (REPS=7 by default)
set -euo pipefail
B=${1:?usage: 16-tiers.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 16-tiers.sh BUILD_DIR SECTION.md}
REPS=${REPS:-7}
X="$B/bin/xdrv"
OUT="$B/bench"
mkdir -p "$OUT"
csv="$OUT/tiers.csv"
echo "driver,tier,rep,first_call_ms,live_after_ms,compile_ms,swap_ms,ran_ms,gbps,cpu_ms,wall_ms,llvm_ms" > "$csv"
TIMEFORMAT='%U %S %R' # bash's time: user and system CPU of the run, then its wall time
# the same program without its private LLVM library beside it: Debian's libLLVM (tier "fast-deb")
XDEB="$OUT/tiers-debian-llvm/bin/xdrv"
rm -rf "$OUT/tiers-debian-llvm" && mkdir -p "$(dirname "$XDEB")" && cp "$X" "$XDEB"
if [ -f "$B/lib/xdrv/libxdrv-llvm.so.19" ]; then TIERS="full fast fast-deb auto"; else TIERS="full fast auto"; fi
DRIVERS="hello uart16550 dp83820 virtio_scsi"
device_for() { case $1 in hello) echo null ;; uart16550) echo uart16550 ;; dp83820) echo dp83820 ;; virtio_scsi) echo virtio-scsi:disk=ram:1M ;; esac; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
range() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END {if (NR) printf "%.1f-%.1f", lo, hi; else print "-"}'; }
num() { sed -n "$1" <<<"$2" | head -1; }
load0=$(cut -d' ' -f1 /proc/loadavg)

for rep in $(seq 1 "$REPS"); do
  for drv in $DRIVERS; do
    for tier in $TIERS; do
      extra=() x=$X t=$tier
      [ "$tier" = fast-deb ] && x=$XDEB t=fast
      # auto: keep the run going until tier 2 is live (at most 5 s), so that the swap is seen
      [ "$tier" = auto ] && extra=(--for 5000)
      [ "$drv" = dp83820 ] && extra+=(--wire gen:count=1000,size=64)
      { time "$x" run --allow-unsigned --in-process --tier "$t" --device "$(device_for "$drv")" \
          "${extra[@]}" "$B/pkg/$drv.unsigned.xdrv" >"$OUT/tiers.out" 2>&1 </dev/null || true; } 2>"$OUT/tiers.time"
      out=$(cat "$OUT/tiers.out")
      cpu=$(awk '{printf "%.1f", ($1 + $2) * 1000}' "$OUT/tiers.time")
      wall=$(awk '{printf "%.1f", $3 * 1000}' "$OUT/tiers.time")
      first=$(num 's/^ *first call *\([0-9.]*\) ms.*/\1/p' "$out")
      llvm=$(num 's/^ *of which *\([0-9.]*\) ms LLVM loaded.*/\1/p' "$out")
      live=$(num 's/.*tier 2 O2 live after \([0-9.]*\) ms.*/\1/p' "$out")
      comp=$(num 's/.*compiled in \([0-9.]*\) ms in the background, .*/\1/p' "$out")
      swap=$(num 's/.*, swap \([0-9.]*\) ms, .*/\1/p' "$out")
      echo "$drv,$tier,$rep,${first:-nan},${live:-nan},${comp:-nan},${swap:-nan},nan,nan,${cpu:-nan},${wall:-nan},${llvm:-nan}" >> "$csv"
    done
  done
  # steady state: the dp83820, 200000 frames of 64 B each way
  for tier in full fast; do
    out=$("$X" run --allow-unsigned --in-process --tier "$tier" --device dp83820 \
            --wire gen:count=200000,size=64 "$B/pkg/dp83820.unsigned.xdrv" 2>&1 </dev/null || true)
    ran=$(num 's/^ *ran *\([0-9.]*\) ms.*/\1/p' "$out")
    gbps=$(num 's/^ *rate *\([0-9.]*\) Gbit\/s received.*/\1/p' "$out")
    echo "dp83820-steady,$tier,$rep,nan,nan,nan,nan,${ran:-nan},${gbps:-nan},nan,nan,nan" >> "$csv"
  done
done
# steady state per figure: the bench's own workloads, the bench thread's CPU time
"$X" bench --build "$B" --modes jit-eager,jit-fast --reps "$REPS" --cpu-time \
  >"$OUT/tiers-bench.txt" 2>&1 || true
load1=$(cut -d' ' -f1 /proc/loadavg)

vals() { awk -F, -v d="$1" -v t="$2" -v c="$3" 'NR>1 && $1==d && $2==t && $c!="nan" {print $c}' "$csv"; }
cell() { local m r; m=$(vals "$1" "$2" "$3" | median); r=$(vals "$1" "$2" "$3" | range); printf '%.1f (%s)' "$m" "$r"; }
host=$("$X" load --allow-unsigned --json "$B/pkg/hello.unsigned.xdrv" | jq -r '.host_triple + " (" + .host_cpu + ")"')
{
  echo "## Tiers: fast first tier, O2 swapped in (issue 13)"
  echo
  echo "Optimized build, \`xdrv run --in-process\`, a fresh process per sample, the three tiers"
  echo "interleaved in each of $REPS rounds; median (min-max) in ms, on $host, $(nproc) cores,"
  echo "$(date -u +%Y-%m-%d), load average $load0 at the start and $load1 at the end."
  echo
  echo "- *to first call*: start of loading (signature, archive, bitcode, specialization, budgets,"
  echo "  optimization, JIT) until probe() returned; the dp83820 moves frames right after."
  echo "- *full*: O2 (today's default); *fast*: O0 with fast instruction selection, throughout;"
  echo "  *auto*: O0 with every function called through a slot, O2 compiled in a background thread"
  echo "  and swapped in between two dispatches."
  echo "- *O2 live after*: from the end of the tier-1 load until the swap was done (the background"
  echo "  compile, then at most one round of the run loop, then the link and the slot stores)."
  echo
  echo "| driver | to first call: full | fast | auto | auto: O2 live after | O2 compile (background) | swap |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for drv in $DRIVERS; do
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$drv" "$(cell $drv full 4)" "$(cell $drv fast 4)" \
      "$(cell $drv auto 4)" "$(cell $drv auto 5)" "$(cell $drv auto 6)" "$(cell $drv auto 7)"
  done
  echo
  echo "CPU time (user + system) of the same whole processes, less sensitive to the machine's"
  echo "load than wall time (auto ran with \`--for 5000\` so that tier 2 compiles and is swapped in"
  echo "within the process's life: it pays both tiers):"
  echo
  echo "| driver | CPU ms: full | fast | auto |"
  echo "| --- | ---: | ---: | ---: |"
  for drv in $DRIVERS; do
    printf '| %s | %s | %s | %s |\n' "$drv" "$(cell $drv full 10)" "$(cell $drv fast 10)" "$(cell $drv auto 10)"
  done
  echo
  echo "Steady state per figure, \`xdrv bench --modes jit-eager,jit-fast --reps $REPS --cpu-time\`"
  echo "(fast/eager: O0's speed against O2's; latency: the inverse; ! marks noise):"
  echo
  echo '```'
  sed -n '/^figure: median/,/^ceiling/p' "$OUT/tiers-bench.txt" | grep -v "^ceiling"
  sed -n '/^ratios  *fast\/eager/,/^ratio:/p' "$OUT/tiers-bench.txt" | grep -v "^ratio:"
  echo '```'
  echo
  if [[ $TIERS == *fast-deb* ]]; then
    echo "The fast tier with xdrv's private LLVM library (as built) and with Debian's libLLVM (the"
    echo "same program copied where no lib/xdrv/ is beside it), interleaved: to first call (ms, in"
    echo "the process) and the whole process's wall time (ms, start to exit):"
    echo
    echo "| driver | first call: private | Debian's libLLVM | ratio | process: private | Debian's libLLVM | ratio |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    for drv in $DRIVERS; do
      a=$(vals $drv fast 4 | median) b=$(vals $drv fast-deb 4 | median)
      c=$(vals $drv fast 11 | median) d=$(vals $drv fast-deb 11 | median)
      printf '| %s | %s | %s | %.2f | %s | %s | %.2f |\n' "$drv" "$(cell $drv fast 4)" "$(cell $drv fast-deb 4)" \
        "$(awk -v a="$a" -v b="$b" 'BEGIN {print b / a}')" "$(cell $drv fast 11)" "$(cell $drv fast-deb 11)" \
        "$(awk -v a="$c" -v b="$d" 'BEGIN {print b / a}')"
    done
    echo
  fi
  echo "Of the fast tier's first call, LLVM loaded and the JIT set up (once per process; a boot"
  echo "or a second driver does not pay it again) and the driver's own part (signature to probe):"
  echo
  echo "| driver | fast: first call | LLVM and JIT set-up | the driver |"
  echo "| --- | ---: | ---: | ---: |"
  for drv in $DRIVERS; do
    paste -d, <(vals $drv fast 4) <(vals $drv fast 12) | awk -F, '{printf "%.3f\n", $1 - $2}' > "$OUT/tiers.own"
    printf '| %s | %s | %s | %s |\n' "$drv" "$(cell $drv fast 4)" "$(cell $drv fast 12)" \
      "$(median < "$OUT/tiers.own") ($(range < "$OUT/tiers.own"))"
  done
  echo
  echo "Goals (issue 13, dp83820): to first call at the fast tier $(vals dp83820 fast 4 | median) ms"
  echo "(goal 30 ms), auto $(vals dp83820 auto 4 | median) ms, O2 live after $(vals dp83820 auto 5 | median) ms (goal 1000 ms)."
  echo
  echo "Steady state, dp83820, 200000 frames of 64 B each way through the generator wire (the run"
  echo "time and the received rate):"
  echo
  echo "| tier | ran ms | Gbit/s received |"
  echo "| --- | ---: | ---: |"
  for tier in full fast; do
    printf '| %s | %s | %s |\n' "$tier" "$(cell dp83820-steady $tier 8)" \
      "$(vals dp83820-steady $tier 9 | median)"
  done
  echo
  echo "Raw samples: \`$csv\`."
  echo
  echo "Reproduce: \`make bench\` (or \`REPS=11 scripts/bench.sh build 16-tiers\` after \`make\`)."
} > "$SECTION"
cat "$SECTION" >&2
