#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Packet extensions on the NIC path (issue 16): the packet rate of `xdrv run` with the dp83820
# driver and the in-process generator wire (64-byte frames: 60 without the FCS; every frame in
# through the driver, echoed by the host, out again: one RX hook and one TX hook per frame), with
# no extension, the empty extension (rx; rx and tx), and each sample extension (filter on rx with
# a deny table that matches nothing, so every frame is parsed and looked up; flowcount on rx;
# prio on tx). Variants rotate within every repetition; medians with the spread (max - min) /
# median, the cost against no extension, and each extension's own time per run (its run_ns /
# runs as the loader measures it). Two rates: frames per wall second (the run's first to last
# frame), and frames per CPU second (the process's user + system time less that of a run of one
# frame with the same extensions, objects from an object cache): the second holds up better on
# a machine other work shares. Writes one section of docs/BENCHMARKS.md to SECTION and the
# samples to $B/bench/ext.csv.
# BEFORE=/path/to/an/older/xdrv adds a twin VARIANT@before of every variant run with that binary
# (same packages, same cache), interleaved with the others: a before/after comparison in one run.
#   usage: scripts/bench.d/85-ext.sh BUILD_DIR SECTION.md   (REPS=5, FRAMES=2000000,
#          VARIANTS="none empty-rx empty-rxtx filter-rx flowcount-rx prio-tx", BEFORE=)
set -euo pipefail
B=${1:?usage: 85-ext.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 85-ext.sh BUILD_DIR SECTION.md}
REPS=${REPS:-5}
FRAMES=${FRAMES:-2000000}
VARIANTS=${VARIANTS:-none empty-rx empty-rxtx filter-rx flowcount-rx prio-tx}
BEFORE=${BEFORE:-}
if [ -n "$BEFORE" ]; then
  [ -x "$BEFORE" ] || { echo "85-ext: BEFORE=$BEFORE is not an executable" >&2; exit 1; }
  twins=""
  for v in $VARIANTS; do twins="$twins $v $v@before"; done
  VARIANTS=${twins# }
fi
X="$B/bin/xdrv"
E="$B/ext"
OUT="$B/bench"
CSV="$OUT/ext.csv"
mkdir -p "$OUT"
for f in "$B/pkg/dp83820.xdrv" "$E/empty.xdrv" "$E/filter.xdrv" "$E/flowcount.xdrv" "$E/prio.xdrv"; do
  [ -r "$f" ] || { echo "85-ext: no $f (make O=$B all)" >&2; exit 1; }
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo "10.0.0.77" > "$T/deny"
TIMEFORMAT='%U %S'
# one run of `xdrv run` over COUNT generator frames with variant V; its output in $T/out, the
# process's CPU seconds in $cpu
run_variant() { # V COUNT
  local bin=$X
  [[ $1 == *@before ]] && bin=$BEFORE
  # shellcheck disable=SC2046 # ext_args is split on purpose
  { time "$bin" run --in-process --cache "$T/cache" --trust "$B/pki/root.pem" --device dp83820 \
      --param holdoff_us=0 --param rx_ring=256 --param tx_ring=256 \
      --wire "gen:count=$2,size=60,check=0,digest=0" $(ext_args "$1") "$B/pkg/dp83820.xdrv" \
      > "$T/out" 2>&1 || true; } 2> "$T/time"
  cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$T/time")
}

ext_args() {
  case ${1%@before} in
    none) ;;
    empty-rx) echo "--ext rx:$E/empty.xdrv" ;;
    empty-rxtx) echo "--ext rx:$E/empty.xdrv --ext tx:$E/empty.xdrv" ;;
    filter-rx) echo "--ext rx:$E/filter.xdrv:table=deny=$T/deny" ;;
    flowcount-rx) echo "--ext rx:$E/flowcount.xdrv" ;;
    prio-tx) echo "--ext tx:$E/prio.xdrv" ;;
  esac
}

echo "rep,variant,mpps,ext_ns_per_run,cpu_mpps" > "$CSV"
start=$(date +%s)
read -r -a vars <<<"$VARIANTS"
nv=${#vars[@]}
# the objects into the cache, then the CPU time of loading and binding alone (one frame)
declare -A base
for v in "${vars[@]}"; do
  run_variant "$v" 1
  run_variant "$v" 1
  base[$v]=$cpu
done
for rep in $(seq "$REPS"); do
  for k in $(seq 0 $((nv - 1))); do
    v=${vars[$(((k + rep) % nv))]} # rotate the order every repetition
    run_variant "$v" "$FRAMES"
    out=$(cat "$T/out")
    if ! grep -q "to the NIC $FRAMES frames" <<<"$out"; then
      # an extension that does not load is reported in the table, the others go on
      msg=$(grep -m1 "^xdrv run: " <<<"$out" || true)
      echo "${msg:-the run did not move $FRAMES frames}" > "$T/fail-$v"
      echo "85-ext: $v: ${msg:-the run did not move $FRAMES frames: $out}" >&2
      continue
    fi
    gbit=$(grep -oE "rate +[0-9.]+ Gbit/s received" <<<"$out" | grep -oE "[0-9.]+")
    mpps=$(awk -v g="$gbit" 'BEGIN { printf "%.4f", g * 1e9 / (60 * 8) / 1e6 }')
    ns=$({ grep -oE "[0-9.]+ ns/run" <<<"$out" || true; } | awk '{ s += $1 } END { printf "%.1f", s }')
    cpumpps=$(awk -v f="$FRAMES" -v c="$cpu" -v b="${base[$v]}" \
      'BEGIN { printf "%.4f", (c > b ? f / (c - b) / 1e6 : 0) }')
    echo "$rep,$v,$mpps,$ns,$cpumpps" >> "$CSV"
    echo "85-ext: rep $rep $v: $mpps Mpps, $cpumpps Mpps per CPU second, extensions $ns ns/run" >&2
  done
done
secs=$(( $(date +%s) - start ))
load=$(cut -d' ' -f1-3 /proc/loadavg)

# median and spread per variant
stats() { # VARIANT COLUMN -> "median spread"
  awk -F, -v v="$1" -v c="$2" 'NR > 1 && $2 == v { print $c }' "$CSV" | sort -g |
    awk '{ x[n++] = $1 } END { if (!n) { print "0 0"; exit }
      m = n % 2 ? x[(n - 1) / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
      printf "%s %s\n", m, (m > 0 ? (x[n - 1] - x[0]) / m : 0) }'
}
read -r base_w _ <<<"$(stats none 3)"
read -r base_c _ <<<"$(stats none 5)"
read -r base_wb _ <<<"$(stats none@before 3)"
read -r base_cb _ <<<"$(stats none@before 5)"
{
  echo "## Packet extensions on the NIC path"
  echo
  echo "\`scripts/bench.d/85-ext.sh\`: \`xdrv run --in-process\` of the signed dp83820 package (JIT eager,"
  echo "\`holdoff_us=0 rx_ring=256 tx_ring=256\`) on the generator wire, $FRAMES frames of 64 B (60 B"
  echo "without the FCS) per run: each frame goes generator -> chip -> driver -> RX hook -> host, which"
  echo "echoes it -> TX hook -> driver -> chip -> wire, so a frame crosses one RX and one TX attach point."
  echo "*Mpps wall*: frames per second (each way) from the run's first to its last frame; *Mpps per CPU s*:"
  echo "frames per second of the process's CPU time (user + system, less that of a one-frame run of the"
  echo "same variant: loading and binding; objects from an object cache), which other work on the machine"
  echo "disturbs less. Medians of $REPS repetitions, variants rotated within each, spread = (max - min) /"
  echo "median; cost = 1 - rate / rate without extensions; *ext ns/run* is the extensions' own time per"
  echo "frame as the loader measures it"
  echo "(summed over the chain). $(nproc) cores, load average $load (shared machine: builds ran"
  echo "alongside), $(date -u +%Y-%m-%d), ${secs} s in all."
  echo
  echo "| variant | Mpps wall | spread | cost | Mpps per CPU s | spread | cost | ext ns/run |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for v in "${vars[@]}"; do
    if [ -e "$T/fail-$v" ] && ! grep -q ",$v," "$CSV"; then
      echo "| $v | - | - | - | - | - | - | did not load: $(sed 's/|/\\|/g' "$T/fail-$v") |"
      continue
    fi
    read -r m s <<<"$(stats "$v" 3)"
    read -r n _ <<<"$(stats "$v" 4)"
    read -r mc sc <<<"$(stats "$v" 5)"
    bw=$base_w bc=$base_c
    [[ $v == *@before ]] && bw=$base_wb bc=$base_cb
    cost=$(awk -v m="$m" -v b="$bw" 'BEGIN { printf "%+.1f %%", (b > 0 ? (1 - m / b) * 100 : 0) }')
    costc=$(awk -v m="$mc" -v b="$bc" 'BEGIN { printf "%+.1f %%", (b > 0 ? (1 - m / b) * 100 : 0) }')
    dash() { if [ "${v%@before}" = none ]; then echo -; else echo "$1"; fi; }
    printf '| %s | %.3f | %.0f %% | %s | %.3f | %.0f %% | %s | %s |\n' "$v" "$m" \
      "$(awk -v s="$s" 'BEGIN { print s * 100 }')" "$(dash "$cost")" "$mc" \
      "$(awk -v s="$sc" 'BEGIN { print s * 100 }')" "$(dash "$costc")" "$(dash "$n")"
  done
  echo
  echo "Variants: *empty-rx* the empty extension (returns PASS) on the RX hook; *empty-rxtx* on both"
  echo "hooks; *filter-rx* the filter sample with a deny table that matches no frame (parse Ethernet/IPv4/"
  echo "UDP, two hash lookups per frame); *flowcount-rx* the per-flow counter (a hash update per frame);"
  echo "*prio-tx* the priority classifier on TX (a CLASS verdict per frame; the driver's ring never fills"
  echo "here, so the class backlogs stay empty). Goal of issue 16: the empty extension costs <= 5 % at"
  echo "64 B. Samples: \`$CSV\`."
  if [ -n "$BEFORE" ]; then
    echo "*VARIANT@before*: the same variant run by \`$BEFORE\` (costs against none@before)."
  fi
} > "$SECTION"
cat "$SECTION" >&2
