#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Peers in the same run (issue 14): what the kernel and standard tools do on the same machine,
# side by side with xdrv, so a ratio says how far the driver path is from what a user would
# otherwise get:
#   SCSI: fio on an image file (random data, page cache warm) against `xdrv run --device
#         virtio-scsi:disk=file:IMAGE` on the same file, in process and isolated (the default:
#         the file served by the supervisor through a blkfront ring): 4 KiB random reads one at a
#         time (fio psync; `--blk-randread sda:N`), kIOPS; 1 MiB sequential reads (fio psync
#         `--bs=1M --rw=read`; `--blk-seqread sda:N:1048576`), MB/s; 4 KiB random reads with
#         QD requests in flight (fio io_uring `--iodepth=QD`; `--blk-qd QD`), kIOPS;
#   iSCSI: iscsi-perf (libiscsi-bin) against `--device virtio-scsi:disk=iscsi:URL` on the same
#         tgtd LUN (the same image file; tgtd started here on 127.0.0.1, a private control port):
#         4 KiB random reads one at a time (`iscsi-perf -m 1 -b 8 -r`), kIOPS, and 1 MiB
#         sequential reads (`-m 1 -b 2048`), MB/s;
#   TAP:  iperf3 TCP between two network namespaces over the kernel's own veth pair (offloads
#         on, as created, and off: TSO/GSO/GRO) against the same through `xdrv run --host-tap A
#         --wire tap:B` with the dp83820 driver (the default arrangement); Gbit/s.
# BEFORE=DIR adds the xdrv variants of another build (e.g. the commit before a change, built with
# `make O=DIR all`) to every disk figure, so a before/after comparison is in one run.
# Variants rotate within every repetition. Writes one section of docs/BENCHMARKS.md (to SECTION)
# and the samples to $B/bench/peers.csv. Addresses (10.83.40.0/24) exist only in the
# namespaces made here.
#   usage: scripts/bench.d/27-peers.sh BUILD_DIR SECTION.md
#          (REPS=5, IOS=100000, SEQ=2000, QD=8, IIOS=20000, ISEQ=500, SECS=3, BEFORE=DIR;
#          NOTAP=1 leaves the TAP path out)
set -euo pipefail
B=${1:?usage: 27-peers.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 27-peers.sh BUILD_DIR SECTION.md}
REPS=${REPS:-5}
IOS=${IOS:-100000}
SEQ=${SEQ:-2000}
QD=${QD:-8}
IIOS=${IIOS:-20000}
ISEQ=${ISEQ:-500}
SECS=${SECS:-3}
BEFORE=${BEFORE:-}
NOTAP=${NOTAP:-0}
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
if [ -n "$BEFORE" ]; then
  for f in "$BEFORE/bin/xdrv" "$BEFORE/pki/root.pem" "$BEFORE/pkg/virtio_scsi.xdrv"; do
    [ -e "$f" ] || { echo "27-peers: BEFORE=$BEFORE has no $f" >&2; exit 1; }
  done
fi
for t in fio ethtool ip iperf3 jq tgtd tgtadm iscsi-perf; do
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
TPID="" CP=""
cleanup() {
  if [ -n "$TPID" ]; then
    tgtadm -C "$CP" --op delete --mode system > /dev/null 2>&1 || true
    stop "$TPID"
    rm -f "/var/run/tgtd/socket.$CP" "/var/run/tgtd/socket.$CP.lock"
  fi
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
head -c 256M /dev/urandom > "$IMG" # data, not holes; page cache warm for every variant
cat "$IMG" > /dev/null
fio_run() { # figure rep
  local j="$T/fio.$1.$2.json" k
  case $1 in
    scsi.randread4k.kiops)
      fio --name=rr --filename="$IMG" --rw=randread --bs=4k --ioengine=psync --iodepth=1 \
        --number_ios="$IOS" --size=256M --norandommap --randrepeat=0 --invalidate=0 --output-format=json > "$j"
      k=$(jq '.jobs[0].read.iops / 1000' "$j") ;;
    scsi.seqread1m.mb_s)
      fio --name=sr --filename="$IMG" --rw=read --bs=1M --ioengine=psync --iodepth=1 \
        --number_ios="$SEQ" --size=256M --invalidate=0 --output-format=json > "$j"
      k=$(jq '.jobs[0].read.bw_bytes / 1e6' "$j") ;;
    scsi.randread4k.qd.kiops)
      fio --name=rq --filename="$IMG" --rw=randread --bs=4k --ioengine=io_uring --iodepth="$QD" \
        --number_ios="$IOS" --size=256M --norandommap --randrepeat=0 --invalidate=0 --output-format=json > "$j"
      k=$(jq '.jobs[0].read.iops / 1000' "$j") ;;
  esac
  echo "$1,fio,$2,$k" >> "$CSV"
  echo "27-peers: rep $2 $1 fio $k" >&2
}
# xdrv_disk FIGURE VARIANT REP: VARIANT is [before-]xdrv-in-process or [before-]xdrv-isolated
xdrv_disk() {
  local fig=$1 v=$2 log="$T/disk.$1.$2.$3.log" k b="$B" disk="file:$IMG" bytes=4096 ops
  [ "${v#before-}" != "$v" ] && b="$BEFORE"
  case $fig in
    scsi.randread4k.kiops) ops=(--blk-randread "sda:$IOS") ;;
    scsi.randread4k.qd.kiops) ops=(--blk-qd "$QD" --blk-randread "sda:$IOS") ;;
    scsi.seqread1m.mb_s | iscsi.seqread1m.mb_s)
      local n=$SEQ
      [ "$fig" = iscsi.seqread1m.mb_s ] && n=$ISEQ
      bytes=1048576
      # a build without --blk-seqread (BEFORE) reads 1 MiB at random places instead
      if "$b/bin/xdrv" run --help 2>&1 | grep -q -- --blk-seqread; then
        ops=(--blk-seqread "sda:$n:$bytes")
      else
        ops=(--blk-randread "sda:$n:$bytes")
      fi ;;
    iscsi.randread4k.kiops) ops=(--blk-randread "sda:$IIOS") ;;
  esac
  [ "${fig#iscsi.}" != "$fig" ] && disk="iscsi:$URL"
  # shellcheck disable=SC2046
  "$b/bin/xdrv" run $([ "${v%in-process}" != "$v" ] && echo --in-process) --trust "$b/pki/root.pem" \
    --eager --device "virtio-scsi:disk=$disk" "${ops[@]}" "$b/pkg/virtio_scsi.xdrv" > "$log" 2>&1 ||
    { echo "27-peers: $v $fig failed:" >&2; cat "$log" >&2; exit 1; }
  k=$(awk -v bytes="$bytes" -v mb="${fig%.mb_s}" -v fig="$fig" '/ reads of /{
    for (i = 1; i <= NF; i++) if ($i == "IOPS;") {
      if (mb != fig) printf "%.1f", $(i - 1) * bytes / 1e6; else printf "%.3f", $(i - 1) / 1000
      exit } }' "$log")
  [ -n "$k" ] || { echo "27-peers: no IOPS in:" >&2; cat "$log" >&2; exit 1; }
  echo "$fig,$v,$3,$k" >> "$CSV"
  echo "27-peers: rep $3 $fig $v $k" >&2
}

# ---- iSCSI: iscsi-perf against xdrv on one tgtd LUN (the same image) --------------------------
CP=$((20000 + RANDOM % 10000))
lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
PORT=$(python3 - "$lo" << 'PY'
import random, socket, sys
lo = int(sys.argv[1])
for _ in range(500):
    p = random.randrange(20000, max(20001, lo))
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()
PY
)
[ -n "$PORT" ] || { echo "27-peers: no free port for tgtd" >&2; exit 1; }
tgtd -f -C "$CP" --iscsi "portal=127.0.0.1:$PORT" > "$T/tgtd.log" 2>&1 &
TPID=$!
for _ in $(seq 100); do
  tgtadm -C "$CP" --op show --mode target > /dev/null 2>&1 && break
  sleep 0.05
done
IQN=iqn.2026-11.org.xdrv:peers
tgtadm -C "$CP" --lld iscsi --op new --mode target --tid 1 -T "$IQN"
tgtadm -C "$CP" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$IMG"
tgtadm -C "$CP" --lld iscsi --op bind --mode target --tid 1 -I ALL
for _ in $(seq 100); do ss -Htln "sport = :$PORT" | grep -q . && break; sleep 0.05; done
URL="iscsi://127.0.0.1:$PORT/$IQN/1"
iperf_run() { # figure rep: iscsi-perf for SECS seconds, its final average
  local log="$T/iscsi-perf.$1.$2.log" k
  case $1 in
    iscsi.randread4k.kiops) timeout $((SECS + 20)) iscsi-perf -m 1 -b 8 -r -t "$SECS" "$URL" > "$log" 2>&1 || true
      k=$(grep -ao "iops average [0-9]*" "$log" | tail -1 | awk '{ printf "%.3f", $3 / 1000 }') ;;
    iscsi.seqread1m.mb_s) # in 512 KiB commands, as xdrv's iscsi backend sends a 1 MiB read
      timeout $((SECS + 20)) iscsi-perf -m 1 -b 1024 -t "$SECS" "$URL" > "$log" 2>&1 || true
      k=$(grep -ao "iops average [0-9]*" "$log" | tail -1 | awk '{ printf "%.1f", $3 * 524288 / 1e6 }') ;;
  esac
  [ -n "$k" ] || { echo "27-peers: iscsi-perf gave no average:" >&2; cat "$log" >&2; exit 1; }
  echo "$1,iscsi-perf,$2,$k" >> "$CSV"
  echo "27-peers: rep $2 $1 iscsi-perf $k" >&2
}
iperf_1m() { # figure rep: the same in 1 MiB commands (tgtd serves those far slower)
  local log="$T/iscsi-perf-1m.$2.log" k
  timeout $((SECS + 20)) iscsi-perf -m 1 -b 2048 -t "$SECS" "$URL" > "$log" 2>&1 || true
  k=$(grep -ao "iops average [0-9]*" "$log" | tail -1 | awk '{ printf "%.1f", $3 * 1048576 / 1e6 }')
  [ -n "$k" ] || { echo "27-peers: iscsi-perf gave no average:" >&2; cat "$log" >&2; exit 1; }
  echo "$1,iscsi-perf-1m,$2,$k" >> "$CSV"
  echo "27-peers: rep $2 $1 iscsi-perf-1m $k" >&2
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
XV=(xdrv-in-process xdrv-isolated)
[ -n "$BEFORE" ] && XV+=(before-xdrv-in-process before-xdrv-isolated)
TAP=(veth veth-nooffload xdrv)
rotate() { # rep figure peer-function peer variants...: every variant once, rotated by rep
  local rep=$1 fig=$2 peer=$3 n i v
  shift 3
  local vs=("$@")
  n=${#vs[@]}
  for i in $(seq 0 $((n - 1))); do
    v=${vs[$(((i + rep) % n))]}
    case $v in
      peer) "$peer" "$fig" "$rep" ;;
      peer-1m) iperf_1m "$fig" "$rep" ;;
      *) xdrv_disk "$fig" "$v" "$rep" ;;
    esac
  done
}
for rep in $(seq "$REPS"); do
  for fig in scsi.randread4k.kiops scsi.seqread1m.mb_s; do
    rotate "$rep" "$fig" fio_run peer "${XV[@]}"
  done
  # not BEFORE: a build without --blk-qd has one request in flight at most
  rotate "$rep" scsi.randread4k.qd.kiops fio_run peer xdrv-in-process xdrv-isolated
  rotate "$rep" iscsi.randread4k.kiops iperf_run peer "${XV[@]}"
  rotate "$rep" iscsi.seqread1m.mb_s iperf_run peer peer-1m "${XV[@]}"
  [ "$NOTAP" = 1 ] && continue
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
  local m s pm
  read -r m s <<< "$(med "$2" "$3")"
  read -r pm _ <<< "$(med "$2" "$5")"
  printf '| %s | %s %s (±%s %%) | %s |\n' "$1" "$m" "$4" "$s" \
    "$(awk -v a="$m" -v b="$pm" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
}
disk_rows() { # label-prefix figure unit peer [variants...]
  local v lab f=$2 u=$3 p=$4 l=$1
  shift 4
  local vs=("$@")
  [ ${#vs[@]} -gt 0 ] || vs=("${XV[@]}")
  row "$l, $p (peer)" "$f" "$p" "$u" "$p"
  for v in "${vs[@]}"; do
    case $v in
      xdrv-in-process) lab="xdrv in process" ;;
      xdrv-isolated) lab="xdrv isolated" ;;
      before-xdrv-in-process) lab="before: xdrv in process" ;;
      before-xdrv-isolated) lab="before: xdrv isolated" ;;
    esac
    row "$l, $lab" "$f" "$v" "$u" "$p"
  done
}
{
  echo "## Peers: fio, iscsi-perf and the kernel's veth beside xdrv (issue 14)"
  echo
  echo "\`scripts/bench.d/27-peers.sh\`, optimized build, $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d);"
  echo "$REPS repetitions, the variants rotating first, ${secs} s in all; medians with the spread"
  echo "(max - min) / median."
  echo
  echo "- SCSI, on one 256 MiB image file of random data (page cache warm): fio $(fio --version)"
  echo "  against \`xdrv run --device virtio-scsi:disk=file:IMAGE\` with the signed virtio_scsi"
  echo "  package JIT-compiled, in process and isolated (the default: the file is the supervisor's,"
  echo "  reached through a blkfront ring); fio with \`--invalidate=0\` (its default drops the file's"
  echo "  pages before a job: it would read from the disk, and leave xdrv a cold cache)."
  echo "  4 KiB random reads one at a time, $IOS per run (fio"
  echo "  \`--ioengine=psync --iodepth=1\`; \`--blk-randread sda:$IOS\`); 1 MiB sequential reads, $SEQ"
  echo "  per run (fio \`--ioengine=psync --bs=1M --rw=read\`; \`--blk-seqread sda:$SEQ:1048576\`);"
  echo "  4 KiB random reads with $QD in flight (fio \`--ioengine=io_uring --iodepth=$QD\`;"
  echo "  \`--blk-qd $QD --blk-randread sda:$IOS\`). Ratio: to fio."
  echo "- iSCSI, the same image as a LUN of tgtd on 127.0.0.1: iscsi-perf (libiscsi-bin, ${SECS} s;"
  echo "  \`-m 1 -b 8 -r\`: 4 KiB random reads one at a time; \`-m 1 -b 1024\`: sequential reads in 512 KiB"
  echo "  commands, the size xdrv's iscsi backend splits a 1 MiB read into, since tgtd serves 1 MiB"
  echo "  commands (\`-b 2048\`, also shown) far slower) against"
  echo "  \`--device virtio-scsi:disk=iscsi:URL\` with \`--blk-randread sda:$IIOS\` and"
  echo "  \`--blk-seqread sda:$ISEQ:1048576\`. Ratio: to iscsi-perf."
  if [ -n "$BEFORE" ]; then
    echo "- before: the same runs with the build in \`$BEFORE\` (interleaved with the others); a"
    echo "  build without \`--blk-seqread\` reads its 1 MiB blocks at random places instead."
  fi
  echo "- TAP path: iperf3 TCP, one stream, ${SECS} s, namespace A to namespace B, over the kernel's"
  echo "  veth pair as created (TSO, GSO, GRO on) and with them off (\`ethtool -K ... tso off gso"
  echo "  off gro off\`), and through \`xdrv run --host-tap A --wire tap:B\` with the dp83820 driver"
  echo "  (parameters holdoff_us=0 rx_ring=256 tx_ring=256; the wire's TAP served by the supervisor)."
  echo "  Ratio: to the veth with offloads off (the host TAP leaves checksums to the NIC, but the"
  echo "  model offers no segmentation offload: frames are at most 1514 bytes)."
  echo
  echo "| figure | median | ratio to the peer |"
  echo "| --- | ---: | ---: |"
  disk_rows "SCSI 4 KiB random read" scsi.randread4k.kiops kIOPS fio
  disk_rows "SCSI 1 MiB sequential read" scsi.seqread1m.mb_s MB/s fio
  disk_rows "SCSI 4 KiB random read, $QD in flight" scsi.randread4k.qd.kiops kIOPS fio \
    xdrv-in-process xdrv-isolated
  disk_rows "iSCSI 4 KiB random read" iscsi.randread4k.kiops kIOPS iscsi-perf
  row "iSCSI 1 MiB sequential read, iscsi-perf in 1 MiB commands" iscsi.seqread1m.mb_s iscsi-perf-1m \
    MB/s iscsi-perf
  disk_rows "iSCSI 1 MiB sequential read" iscsi.seqread1m.mb_s MB/s iscsi-perf
  row "TAP path, veth with offloads" tap.iperf3.gbit_s veth Gbit/s veth-nooffload
  row "TAP path, veth without offloads (peer)" tap.iperf3.gbit_s veth-nooffload Gbit/s veth-nooffload
  row "TAP path, xdrv dp83820" tap.iperf3.gbit_s xdrv Gbit/s veth-nooffload
  echo
  echo "Goals of issue 14: SCSI >= 0.8 of fio (4 KiB random and 1 MiB sequential), iSCSI >= 0.9 of"
  echo "iscsi-perf; the TAP path as close to the veth as the copies through a device model allow."
  echo
  echo "1-minute load average $load0 before, $load1 after. Samples: \`$CSV\`. Reproduce: \`make O=$B all\`,"
  echo "then (as root) \`scripts/bench.d/27-peers.sh $B SECTION.md\` (\`REPS=N IOS=N SEQ=N QD=N IIOS=N"
  echo "ISEQ=N SECS=S BEFORE=DIR\`), or \`scripts/bench.sh $B 27-peers\`."
} > "$SECTION"
cat "$SECTION" >&2
