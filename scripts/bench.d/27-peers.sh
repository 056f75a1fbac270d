#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Peers in the same run (issue 14): what the kernel and standard tools do on the same machine,
# side by side with xdrv, so a ratio says how far the driver path is from what a user would
# otherwise get:
#   SCSI: fio (psync, queue depth 1, 4 KiB random reads, page cache warm) on an image file
#         against `xdrv run --device virtio-scsi:disk=file:IMAGE --blk-randread sda:N` on the
#         same file, in process and isolated (the default: the file served by the supervisor
#         through a blkfront ring); kIOPS;
#   TAP:  iperf3 TCP between two network namespaces over the kernel's own veth pair (offloads
#         on, as created, and off: TSO/GSO/GRO) against the same through `xdrv run --host-tap A
#         --wire tap:B` with the dp83820 driver (the default arrangement); Gbit/s.
# Variants rotate within every repetition. Writes one section of docs/BENCHMARKS.md (to SECTION)
# and the samples to $B/bench/peers.csv. Addresses (10.83.40.0/24) exist only in the
# namespaces made here.
#   usage: scripts/bench.d/27-peers.sh BUILD_DIR SECTION.md   (REPS=5, IOS=100000, SECS=3)
set -euo pipefail
B=${1:?usage: 27-peers.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 27-peers.sh BUILD_DIR SECTION.md}
REPS=${REPS:-5}
IOS=${IOS:-100000}
SECS=${SECS:-3}
X="$B/bin/xdrv"
ROOT="$B/pki/root.pem"
NIC="$B/pkg/dp83820.xdrv"
SCSI="$B/pkg/virtio_scsi.xdrv"
OUT="$B/bench"
CSV="$OUT/peers.csv"
mkdir -p "$OUT"
for f in "$X" "$ROOT" "$NIC" "$SCSI"; do
  [ -e "$f" ] || { echo "27-peers: no $f (make O=$B all)" >&2; exit 1; }
done
for t in fio ethtool ip iperf3 jq; do
  command -v "$t" > /dev/null || { echo "27-peers: $t not installed (scripts/install-deps)" >&2; exit 1; }
done
tag=$$
NA="xpeA$tag" NB="xpeB$tag" IA="xpA$tag" IB="xpB$tag"
T=$(mktemp -d /tmp/xdrv-bench-peers.XXXXXX)
FPID="" SPID=""
stop() { # PID: SIGTERM, SIGKILL after 10 s
  kill -TERM "$1" 2> /dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2> /dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2> /dev/null || true
  wait "$1" 2> /dev/null || true
}
cleanup() {
  [ -n "$SPID" ] && stop "$SPID"
  [ -n "$FPID" ] && stop "$FPID"
  ip netns del "$NA" 2> /dev/null || true
  ip netns del "$NB" 2> /dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
echo "figure,variant,rep,value" > "$CSV"

# ---- SCSI: fio against xdrv on the same image ------------------------------------------------
IMG="$T/disk.img"
truncate -s 256M "$IMG"
cat "$IMG" > /dev/null # page cache warm for every variant
fio_run() { # rep
  local j="$T/fio.$1.json" k
  fio --name=rr --filename="$IMG" --rw=randread --bs=4k --ioengine=psync --iodepth=1 \
    --number_ios="$IOS" --size=256M --norandommap --randrepeat=0 --output-format=json > "$j"
  k=$(jq '.jobs[0].read.iops / 1000' "$j")
  echo "scsi.randread4k.kiops,fio,$1,$k" >> "$CSV"
  echo "27-peers: rep $1 fio $k kIOPS" >&2
}
xdrv_disk() { # variant rep
  local log="$T/disk.$1.$2.log" k
  # shellcheck disable=SC2046
  "$X" run $([ "$1" = xdrv-in-process ] && echo --in-process) --trust "$ROOT" --eager \
    --device "virtio-scsi:disk=file:$IMG" --blk-randread "sda:$IOS" "$SCSI" > "$log" 2>&1 ||
    { echo "27-peers: $1 failed:" >&2; cat "$log" >&2; exit 1; }
  k=$(awk '/random reads of/{ for (i = 1; i <= NF; i++) if ($i == "IOPS;") { printf "%.3f", $(i - 1) / 1000; exit } }' "$log")
  [ -n "$k" ] || { echo "27-peers: no IOPS in:" >&2; cat "$log" >&2; exit 1; }
  echo "scsi.randread4k.kiops,$1,$2,$k" >> "$CSV"
  echo "27-peers: rep $2 $1 $k kIOPS" >&2
}

# ---- TAP path: the kernel's veth against xdrv between the same namespaces --------------------
ip netns add "$NA"
ip netns add "$NB"
ip -n "$NA" link set lo up
ip -n "$NB" link set lo up
ip netns exec "$NB" iperf3 -s -p 5240 > "$T/iperf-server.log" 2>&1 &
SPID=$!
addrs() { # bring both ends up with their addresses
  ip -n "$NA" addr add 10.83.40.1/24 dev "$IA"
  ip -n "$NB" addr add 10.83.40.2/24 dev "$IB"
  ip -n "$NA" link set "$IA" up
  ip -n "$NB" link set "$IB" up
}
start_path() { # variant: make the path, wait until a ping passes
  case $1 in
    veth | veth-nooffload)
      ip link add "$IA" netns "$NA" type veth peer name "$IB" netns "$NB"
      if [ "$1" = veth-nooffload ]; then
        ip netns exec "$NA" ethtool -K "$IA" tso off gso off gro off > /dev/null
        ip netns exec "$NB" ethtool -K "$IB" tso off gso off gro off > /dev/null
      fi
      addrs ;;
    xdrv)
      "$X" run --trust "$ROOT" --eager --device dp83820 --param holdoff_us=0 --param rx_ring=256 \
        --param tx_ring=256 --host-tap "$IA@$NA" --wire "tap:$IB@$NB" "$NIC" > "$T/xdrv.log" 2>&1 &
      FPID=$!
      for _ in $(seq 300); do
        grep -q "^wire: " "$T/xdrv.log" && break
        kill -0 "$FPID" 2> /dev/null || break
        sleep 0.05
      done
      addrs ;;
  esac
  for _ in $(seq 50); do
    ip netns exec "$NA" ping -c 1 -W 1 10.83.40.2 > /dev/null 2>&1 && return 0
  done
  echo "27-peers: $1 did not come up" >&2; [ -e "$T/xdrv.log" ] && cat "$T/xdrv.log" >&2
  return 1
}
stop_path() {
  if [ "$1" = xdrv ]; then stop "$FPID"; FPID=""; else ip -n "$NA" link del "$IA" 2> /dev/null || true; fi
}
tap_run() { # variant rep
  local j="$T/iperf.$1.$2.json" g
  start_path "$1" || exit 1
  timeout $((SECS + 20)) ip netns exec "$NA" iperf3 -c 10.83.40.2 -p 5240 -t "$SECS" -J > "$j" ||
    { echo "27-peers: iperf3 over $1 failed:" >&2; cat "$j" >&2; exit 1; }
  g=$(jq '.end.sum_received.bits_per_second / 1e9' "$j")
  echo "tap.iperf3.gbit_s,$1,$2,$g" >> "$CSV"
  echo "27-peers: rep $2 $1 $g Gbit/s" >&2
  stop_path "$1"
}

start_s=$(date +%s)
load0=$(cut -d" " -f1 /proc/loadavg)
DISK=(fio xdrv-in-process xdrv-isolated)
TAP=(veth veth-nooffload xdrv)
for rep in $(seq "$REPS"); do
  for i in 0 1 2; do
    v=${DISK[$(((i + rep) % 3))]}
    if [ "$v" = fio ]; then fio_run "$rep"; else xdrv_disk "$v" "$rep"; fi
  done
  for i in 0 1 2; do tap_run "${TAP[$(((i + rep) % 3))]}" "$rep"; done
done
secs=$(($(date +%s) - start_s))
load1=$(cut -d" " -f1 /proc/loadavg)

med() { # figure variant -> "median spread%"
  awk -F, -v f="$1" -v v="$2" '$1 == f && $2 == v { print $4 }' "$CSV" | sort -g |
    awk '{ a[NR] = $1 } END { if (!NR) { print "- -"; exit }
      m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
      printf "%.4g %.0f\n", m, (m > 0 ? (a[NR] - a[1]) / m * 100 : 0) }'
}
row() { # label figure variant unit peer-variant
  local m s pm ps
  read -r m s <<< "$(med "$2" "$3")"
  read -r pm ps <<< "$(med "$2" "$5")"
  printf '| %s | %s %s (±%s %%) | %s |\n' "$1" "$m" "$4" "$s" \
    "$(awk -v a="$m" -v b="$pm" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
}
{
  echo "## Peers: fio and the kernel's veth beside xdrv (issue 14)"
  echo
  echo "\`scripts/bench.d/27-peers.sh\`, optimized build, $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d);"
  echo "$REPS repetitions, the variants rotating first, ${secs} s in all; medians with the spread"
  echo "(max - min) / median."
  echo
  echo "- SCSI: 4 KiB random reads, one at a time, $IOS per run, on one 256 MiB image file (page"
  echo "  cache warm): fio $(fio --version) (\`--ioengine=psync --iodepth=1\`), and \`xdrv run"
  echo "  --device virtio-scsi:disk=file:IMAGE --blk-randread sda:$IOS\` with the signed virtio_scsi"
  echo "  package JIT-compiled, in process and isolated (the default: the file is the supervisor's,"
  echo "  reached through a blkfront ring). Ratio: to fio."
  echo "- TAP path: iperf3 TCP, one stream, ${SECS} s, namespace A to namespace B, over the kernel's"
  echo "  veth pair as created (TSO, GSO, GRO on) and with them off (\`ethtool -K ... tso off gso"
  echo "  off gro off\`), and through \`xdrv run --host-tap A --wire tap:B\` with the dp83820 driver"
  echo "  (parameters holdoff_us=0 rx_ring=256 tx_ring=256; the wire's TAP served by the supervisor)."
  echo "  Ratio: to the veth with offloads off (the host TAP leaves checksums to the NIC, but the"
  echo "  model offers no segmentation offload: frames are at most 1514 bytes)."
  echo
  echo "| figure | median | ratio to the peer |"
  echo "| --- | ---: | ---: |"
  row "SCSI 4 KiB random read, fio (peer)" scsi.randread4k.kiops fio kIOPS fio
  row "SCSI 4 KiB random read, xdrv in process" scsi.randread4k.kiops xdrv-in-process kIOPS fio
  row "SCSI 4 KiB random read, xdrv isolated" scsi.randread4k.kiops xdrv-isolated kIOPS fio
  row "TAP path, veth with offloads" tap.iperf3.gbit_s veth Gbit/s veth-nooffload
  row "TAP path, veth without offloads (peer)" tap.iperf3.gbit_s veth-nooffload Gbit/s veth-nooffload
  row "TAP path, xdrv dp83820" tap.iperf3.gbit_s xdrv Gbit/s veth-nooffload
  echo
  echo "Goals of issue 14 (not met here): SCSI 4 KiB at queue depth 1 >= 0.90 of fio; the TAP path"
  echo "as close to the veth as the copies through a device model allow."
  echo
  echo "1-minute load average $load0 before, $load1 after. Samples: \`$CSV\`. Reproduce: \`make O=$B all\`,"
  echo "then (as root) \`scripts/bench.d/27-peers.sh $B SECTION.md\` (\`REPS=N IOS=N SECS=S\`), or"
  echo "\`scripts/bench.sh $B 27-peers\`."
} > "$SECTION"
cat "$SECTION" >&2
