#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Driver domains (issue 12): the same signed packages run by `xdrv run` in a sandboxed driver host
# (the default) against `xdrv run --in-process`, interleaved in one run (the variants rotate
# within every repetition). Isolated twice: `--backends host` (wire and disk opened in the driver
# host) and `--backends supervisor` (served by the supervisor through netfront/blkfront rings over
# the loop transport; the default for a TAP wire and a disk file):
#   NIC: `--device dp83820 --wire gen:count=N,size=S`: every frame goes wire -> DP83820 model ->
#        driver -> host, which echoes it back -> driver -> model -> wire; Mpps over the
#        first-to-last-frame window, 64 and 1514 bytes;
#   SCSI: `--device virtio-scsi:disk=file:IMAGE --blk-randread sda:N`: 4 KiB reads at random
#        places, one at a time; IOPS;
# and the restart time: a driver host killed (SIGKILL) while it moves frames, until the next one
# is probed and connected ("ready ... after the last one died").
# Writes one section of docs/BENCHMARKS.md (to SECTION) and the samples to $B/bench/domains.csv.
#   usage: scripts/bench.d/80-domains.sh BUILD_DIR SECTION.md   (REPS=5 by default)
set -euo pipefail
B=${1:?usage: 80-domains.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 80-domains.sh BUILD_DIR SECTION.md}
REPS=${REPS:-5}
X="$B/bin/xdrv"
ROOT="$B/pki/root.pem"
NIC="$B/pkg/dp83820.xdrv"
SCSI="$B/pkg/virtio_scsi.xdrv"
OUT="$B/bench"
CSV="$OUT/domains.csv"
N64=${N64:-200000}
N1514=${N1514:-60000}
IOS=${IOS:-20000}
PARAMS=(--param holdoff_us=0 --param rx_ring=256 --param tx_ring=256)
mkdir -p "$OUT"
for f in "$X" "$ROOT" "$NIC" "$SCSI"; do
  [ -e "$f" ] || { echo "80-domains: no $f (make O=$B all)" >&2; exit 1; }
done
T=$(mktemp -d /tmp/xdrv-bench-domains.XXXXXX)
trap 'rm -rf "$T"' EXIT
IMG="$T/disk.img"
truncate -s 256M "$IMG"
# a warm page cache for both variants
cat "$IMG" > /dev/null

VARIANTS=(in-process host supervisor)
mode_args() { [ "$1" = in-process ] && echo --in-process || echo "--backends $1"; }
mpps() { awk -v s="$2" '/^  rate /{ printf "%.4f", $2 * 1e9 / 8 / s / 1e6 }' "$1"; }
frames() { awk '/^  host  /{ print $3; exit }' "$1"; }

echo "figure,variant,rep,value" > "$CSV"
nic_run() { # variant size count rep
  local v=$1 size=$2 count=$3 rep=$4 log="$T/nic.$1.$2.$4.log" got m
  # shellcheck disable=SC2046
  "$X" run $(mode_args "$v") --trust "$ROOT" --eager --device dp83820 "${PARAMS[@]}" \
    --wire "gen:count=$count,size=$size,check=0,digest=0" "$NIC" > "$log" 2>&1 ||
    { echo "80-domains: nic $v $size B failed:" >&2; cat "$log" >&2; exit 1; }
  got=$(frames "$log")
  if [ "${got:-0}" -ne "$count" ]; then
    echo "80-domains: $v $size B: the host received ${got:-0} of $count frames:" >&2; cat "$log" >&2; exit 1
  fi
  m=$(mpps "$log" "$size")
  echo "nic.echo.$size,$v,$rep,$m" >> "$CSV"
  echo "80-domains: rep $rep nic $size B $v: $m Mpps" >&2
}
disk_run() { # variant rep
  local v=$1 rep=$2 log="$T/disk.$1.$2.log" k
  # shellcheck disable=SC2046
  "$X" run $(mode_args "$v") --trust "$ROOT" --eager --device "virtio-scsi:disk=file:$IMG" \
    --blk-randread "sda:$IOS" "$SCSI" > "$log" 2>&1 ||
    { echo "80-domains: disk $v failed:" >&2; cat "$log" >&2; exit 1; }
  k=$(awk '/random reads of/{ for (i = 1; i <= NF; i++) if ($i == "IOPS;") { printf "%.3f", $(i - 1) / 1000; exit } }' "$log")
  [ -n "$k" ] || { echo "80-domains: no IOPS in:" >&2; cat "$log" >&2; exit 1; }
  echo "scsi.randread4k.kiops,$v,$rep,$k" >> "$CSV"
  echo "80-domains: rep $rep scsi 4k $v: $k kIOPS" >&2
}
restart_run() { # rep: kill the host while it moves frames; time until the next is ready
  local rep=$1 log="$T/restart.$1.log" pid ms
  "$X" run --trust "$ROOT" --eager --device dp83820 "${PARAMS[@]}" --restarts 1 \
    --wire "gen:count=100000000,size=64,check=0,digest=0" --for 3000 "$NIC" > "$log" 2>&1 &
  local xpid=$!
  pid=""
  for _ in $(seq 200); do
    pid=$(awk '/^domain: driver host [0-9]+:/{ sub(":", "", $4); print $4; exit }' "$log")
    [ -n "$pid" ] && break
    sleep 0.05
  done
  [ -n "$pid" ] || { echo "80-domains: no driver host in:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.3
  kill -KILL "$pid"
  wait "$xpid" || true
  ms=$(awk '/ready [0-9.]+ ms after the last one died/{ for (i = 1; i <= NF; i++) if ($i == "ready") { print $(i + 1); exit } }' "$log")
  [ -n "$ms" ] || { echo "80-domains: no restart in:" >&2; cat "$log" >&2; exit 1; }
  echo "restart.ms,auto,$rep,$ms" >> "$CSV"
  echo "80-domains: rep $rep restart: $ms ms" >&2
}

start_s=$(date +%s)
load0=$(cut -d" " -f1 /proc/loadavg)
for rep in $(seq "$REPS"); do
  # rotate which variant goes first
  order=("${VARIANTS[@]:$((rep % 3))}" "${VARIANTS[@]:0:$((rep % 3))}")
  for v in "${order[@]}"; do
    nic_run "$v" 60 "$N64" "$rep"
    nic_run "$v" 1514 "$N1514" "$rep"
    disk_run "$v" "$rep"
  done
  restart_run "$rep"
done
# xdrv bench's own comparison: jit-isolated (each pass in a sandboxed driver host, the image
# disk a blkfront to the bench's backend server) beside jit-eager, interleaved by xdrv bench
BJ="$OUT/domains-bench.json"
"$X" bench --build "$B" --modes jit-eager,jit-isolated --reps "$REPS" --quiet --json "$BJ" \
  --frames 200000 --ios 10000 > "$T/bench.log" 2>&1 ||
  { echo "80-domains: xdrv bench failed:" >&2; cat "$T/bench.log" >&2; exit 1; }
secs=$(($(date +%s) - start_s))
load1=$(cut -d" " -f1 /proc/loadavg)

med() { # figure variant -> "median spread%" of the samples
  awk -F, -v f="$1" -v v="$2" '$1 == f && $2 == v { print $4 }' "$CSV" | sort -g |
    awk '{ a[NR] = $1 } END { if (!NR) { print "- -"; exit }
      m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
      printf "%.4g %.0f\n", m, (m > 0 ? (a[NR] - a[1]) / m * 100 : 0) }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
row() { # label figure unit
  local im is hm hs sm ss
  read -r im is <<< "$(med "$2" in-process)"
  read -r hm hs <<< "$(med "$2" host)"
  read -r sm ss <<< "$(med "$2" supervisor)"
  printf '| %s | %s %s (±%s %%) | %s (±%s %%) | %s (±%s %%) | %s | %s |\n' "$1" "$im" "$3" "$is" \
    "$hm" "$hs" "$sm" "$ss" "$(ratio "$hm" "$im")" "$(ratio "$sm" "$im")"
}
{
  echo "## Driver domains: isolated against in-process (issue 12)"
  echo
  echo "\`scripts/bench.d/80-domains.sh\`, optimized build, $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d);"
  echo "$REPS repetitions, the three variants rotating first, ${secs} s in all; medians with the"
  echo "spread (max - min) / median. The same signed packages, JIT-compiled (eager). isolated: \`xdrv"
  echo "run\` (the default) compiles in a compiler process and runs the driver with its device model"
  echo "in a sandboxed driver host (seccomp allow-list, rlimits, closed descriptors), watched"
  echo "through a heartbeat; in-process: \`xdrv run --in-process\`. *host*: \`--backends host\`, the"
  echo "generator wire and the image file opened in the driver host; *supervisor*: \`--backends"
  echo "supervisor\`, both served by the supervisor's backend server and reached through a netfront"
  echo "and a blkfront over the loop transport (memfd rings, eventfds). The default, \`auto\`, is"
  echo "*supervisor* for the image file (and a TAP wire) and *host* for the generator."
  echo
  echo "- NIC (dp83820, params holdoff_us=0 rx_ring=256 tx_ring=256): \`--wire gen:...\`, every"
  echo "  frame echoed by the host, $N64 frames of 64 B and $N1514 of 1514 B per run; Mpps received"
  echo "  by the host between its first and last frame."
  echo "- SCSI (virtio_scsi): \`--device virtio-scsi:disk=file:IMAGE --blk-randread sda:$IOS\` on a"
  echo "  256 MiB image (page cache warm), one request at a time; kIOPS."
  echo
  echo "| figure | in-process | isolated, host | isolated, supervisor | host / in-process | supervisor / in-process |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  row "NIC echo 64 B" nic.echo.60 Mpps
  row "NIC echo 1514 B" nic.echo.1514 Mpps
  row "SCSI 4 KiB random read" scsi.randread4k.kiops kIOPS
  echo
  read -r rm rs <<< "$(med restart.ms auto)"
  echo "Restart: a driver host moving 64-byte frames killed with SIGKILL; the supervisor sees it"
  echo "die, waits its first backoff (10 ms), forks the next host, which links the object (already"
  echo "compiled: no compiler process), creates the device, confines itself and probes: **$rm ms**"
  echo "(±$rs %) from death to the next host ready (probed and connected), median of $REPS."
  echo
  echo "Goals of issue 12: isolated / in-process >= 0.90 for 1514 B and SCSI; restart <= 100 ms."
  echo "\`xdrv bench --modes jit-eager,jit-isolated --reps $REPS --frames 200000 --ios 10000\` in the"
  echo "same run: *jit-isolated* runs every workload pass in a forked driver host that links the"
  echo "objects the compiler process made and confines itself before the first driver call; its"
  echo "image disk is a blkfront to a backend server of the bench, the RAM disk and the generator"
  echo "stay in the host (as \`xdrv run\` places them); medians (spread):"
  echo
  echo "| figure | jit-eager (in process) | jit-isolated | isolated / in-process |"
  echo "| --- | ---: | ---: | ---: |"
  jq -r '.metrics[] | select(.key | test("^nic\\.(rx|tx)\\.(64|1514)\\.mpps$|^scsi\\.(ram|image)\\.randread4k|^scsi\\.image\\.seqread1m"))
    | def f: if . == null then "-" else (. * 1000 | round / 1000 | tostring) end;
      def p: if . == null then "" else " (±\(. * 100 | round) %)" end;
      "| \(.label) | \(.median["jit-eager"] | f) \(.unit)\(.spread["jit-eager"] | p) | \(.median["jit-isolated"] | f)\(.spread["jit-isolated"] | p) | \(.ratios["isol/eager"] | if . == null then "-" else (. * 100 | round / 100 | tostring) end) |"' "$BJ"
  echo
  echo "What the rings cost is the *supervisor* column: per frame or request, a copy into or out of"
  echo "a granted page and, when the other side sleeps, an eventfd notification across processes."
  echo
  echo "1-minute load average $load0 before, $load1 after. Samples: \`$CSV\`, \`$BJ\`. Reproduce: \`make O=$B all\`,"
  echo "then \`scripts/bench.d/80-domains.sh $B SECTION.md\` (\`REPS=N\`), or \`scripts/bench.sh $B 80-domains\`."
} > "$SECTION"
cat "$SECTION" >&2
