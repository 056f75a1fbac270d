#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Choosing the wire's I/O (issue 14), reproducibly: iperf3 TCP, one stream, between two network
# namespaces made here, through bin/xdrv-taprelay with the same I/O kind on both ends:
#   tap   a TAP, one read(2)/write(2) per frame, plain frames (the path before issue 14)
#   vnet  (a) a TAP with IFF_VNET_HDR and TUN_F_CSUM|TSO4|TSO6: super-frames of up to 64 KiB
#   ring  (b) a veth whose hidden peer has a PACKET_MMAP receive ring, sendmmsg batches (built:
#         hypervisor-backends/wire/ring_if.c)
#   xdp   (c) the same veth, an AF_XDP socket on the peer (libxdp, generic mode, copy)
# and the kernel's veth pair directly between the namespaces, offloads off (veth-nooffload) and
# on (veth). Every MTU of MTUS (default "1500 9000"; xdp only up to 3800) and every variant
# rotate within every repetition; medians in Gbit/s with the spread, frames/s and the average
# frame size as namespace B's interface counted them (rx_packets, rx_bytes). Writes one section
# of docs/BENCHMARKS.md to SECTION and the samples to $B/bench/wire-options.csv. Addresses
# (10.83.32.0/24) exist only inside the namespaces made here.
#   usage: scripts/bench.d/26-wire-options.sh BUILD_DIR SECTION.md
#          (REPS=3, SECS=2, MTUS="1500 9000", VARIANTS="tap vnet ring xdp veth-nooffload veth")
set -euo pipefail
B=${1:?usage: 26-wire-options.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 26-wire-options.sh BUILD_DIR SECTION.md}
REPS=${REPS:-3}
SECS=${SECS:-2}
MTUS=${MTUS:-1500 9000}
VARIANTS=${VARIANTS:-tap vnet ring xdp veth-nooffload veth}
RELAY="$B/bin/xdrv-taprelay"
OUT="$B/bench"
CSV="$OUT/wire-options.csv"
mkdir -p "$OUT"
[ -x "$RELAY" ] || { echo "26-wire-options: no $RELAY (make O=$B all)" >&2; exit 1; }
for t in ip iperf3 jq ethtool; do
  command -v "$t" > /dev/null || { echo "26-wire-options: $t not installed (scripts/install-deps)" >&2; exit 1; }
done

tag=$$
NA="xwoA$tag" NB="xwoB$tag" IA="xoA$tag" IB="xoB$tag"
T=$(mktemp -d)
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
ip netns add "$NA"
ip netns add "$NB"
ip -n "$NA" link set lo up
ip -n "$NB" link set lo up
ip netns exec "$NB" iperf3 -s -p 5232 > "$T/iperf-server.log" 2>&1 &
SPID=$!

applies() { # variant mtu: does the kind exist at this MTU
  [ "$1" != xdp ] || [ "$2" -le 3800 ]
}

# start variant $1 at MTU $2, wait until both interfaces exist and a ping passes; 0 or 1
start() {
  local v=$1 mtu=$2 HT WT
  HT="name=$IA,netns=$NA,mtu=$mtu" WT="name=$IB,netns=$NB,mtu=$mtu"
  FPID=""
  case $v in
    veth | veth-nooffload)
      ip link add "$IA" netns "$NA" type veth peer name "$IB" netns "$NB"
      ip -n "$NA" link set "$IA" mtu "$mtu"
      ip -n "$NB" link set "$IB" mtu "$mtu"
      if [ "$v" = veth-nooffload ]; then
        ip netns exec "$NA" ethtool -K "$IA" tso off gso off gro off > /dev/null
        ip netns exec "$NB" ethtool -K "$IB" tso off gso off gro off > /dev/null
      fi
      : > "$T/$v.log" ;;
    tap) "$RELAY" "$HT,offload=0,io=tap" "$WT,offload=0,io=tap" > "$T/$v.log" 2>&1 & FPID=$! ;;
    vnet) "$RELAY" "$HT,io=vnet" "$WT,io=vnet" > "$T/$v.log" 2>&1 & FPID=$! ;;
    ring) "$RELAY" "$HT,offload=0,io=ring" "$WT,offload=0,io=ring" > "$T/$v.log" 2>&1 & FPID=$! ;;
    xdp) "$RELAY" "$HT,io=xdp" "$WT,io=xdp" > "$T/$v.log" 2>&1 & FPID=$! ;;
  esac
  for _ in $(seq 200); do
    if ip -n "$NA" link show "$IA" > /dev/null 2>&1 && ip -n "$NB" link show "$IB" > /dev/null 2>&1; then
      ip -n "$NA" addr add 10.83.32.1/24 dev "$IA"
      ip -n "$NB" addr add 10.83.32.2/24 dev "$IB"
      ip -n "$NA" link set "$IA" up
      ip -n "$NB" link set "$IB" up
      ip netns exec "$NA" ping -c 1 -W 5 10.83.32.2 > /dev/null 2>&1 && return 0
      break
    fi
    [ -z "$FPID" ] || kill -0 "$FPID" 2> /dev/null || break
    sleep 0.05
  done
  echo "26-wire-options: $v at MTU $mtu did not come up:" >&2; cat "$T/$v.log" >&2
  return 1
}
counter() { ip netns exec "$NB" cat "/sys/class/net/$IB/statistics/$1"; }

read -r -a variants <<< "$VARIANTS"
read -r -a mtus <<< "$MTUS"
runs=()
for m in "${mtus[@]}"; do for v in "${variants[@]}"; do applies "$v" "$m" && runs+=("$v:$m"); done; done
echo "variant,mtu,rep,gbit_s,frames_s,frame_bytes,retransmits" > "$CSV"
start_s=$(date +%s)
load0=$(cut -d" " -f1 /proc/loadavg)
for rep in $(seq "$REPS"); do
  n=${#runs[@]}
  for i in $(seq 0 $((n - 1))); do
    r=${runs[$(((i + rep - 1) % n))]}
    v=${r%%:*} m=${r##*:}
    start "$v" "$m" || exit 1
    j="$T/$v.$m.$rep.json"
    p0=$(counter rx_packets) b0=$(counter rx_bytes)
    if ! timeout $((SECS + 20)) ip netns exec "$NA" iperf3 -c 10.83.32.2 -p 5232 -t "$SECS" -J > "$j"; then
      echo "26-wire-options: iperf3 through $v at MTU $m failed:" >&2; cat "$j" >&2; exit 1
    fi
    p1=$(counter rx_packets) b1=$(counter rx_bytes)
    g=$(jq '.end.sum_received.bits_per_second / 1e9' "$j")
    s=$(jq '.end.sum_received.seconds' "$j")
    rt=$(jq '.end.sum_sent.retransmits // 0' "$j")
    fs=$(awk -v p=$((p1 - p0)) -v s="$s" 'BEGIN { printf "%.0f", (s > 0 ? p / s : 0) }')
    fb=$(awk -v p=$((p1 - p0)) -v b=$((b1 - b0)) 'BEGIN { printf "%.0f", (p > 0 ? b / p : 0) }')
    echo "$v,$m,$rep,$g,$fs,$fb,$rt" >> "$CSV"
    echo "26-wire-options: rep $rep $v MTU $m: $g Gbit/s, $fs frames/s of $fb bytes" >&2
    if [ -n "$FPID" ]; then stop "$FPID"; FPID=""; else ip -n "$NA" link del "$IA"; fi
    if grep -qE "error|FAIL" "$T/$v.log"; then
      echo "26-wire-options: errors in the $v log:" >&2; cat "$T/$v.log" >&2; exit 1
    fi
  done
done
secs=$(( $(date +%s) - start_s ))
load1=$(cut -d" " -f1 /proc/loadavg)

col() { # variant mtu column -> the samples, sorted
  awk -F, -v v="$1" -v m="$2" -v c="$3" '$1 == v && $2 == m { print $c }' "$CSV" | sort -g
}
median() {
  col "$@" | awk '{ a[NR] = $1 } END { if (!NR) print 0; else if (NR % 2) print a[(NR + 1) / 2];
    else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
spread() { # (max - min) / median in %
  col "$@" | awk '{ a[NR] = $1 } END { if (!NR) { print "-"; exit }
      m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
      printf "%.0f", (m > 0 ? (a[NR] - a[1]) / m * 100 : 0) }'
}
has() { [[ " $VARIANTS " == *" $1 "* ]]; }
cell() { # variant mtu -> "Gbit/s (±spread %), k frames/s of N bytes, ratio to veth off"
  local g f b base
  if ! applies "$1" "$2"; then echo "- (mtu <= 3800)"; return; fi
  g=$(median "$1" "$2" 4) f=$(median "$1" "$2" 5) b=$(median "$1" "$2" 6)
  base=$(median veth-nooffload "$2" 4)
  awk -v g="$g" -v s="$(spread "$1" "$2" 4)" -v f="$f" -v b="$b" -v base="$base" 'BEGIN {
    printf "%.2f (±%s %%), %.0f k of %.0f B, %s", g, s, f / 1000, b,
      (base > 0 ? sprintf("%.2f", g / base) : "-") }'
}
label() {
  case $1 in
    tap) echo "TAP, one \`read\`/\`write\` per frame, plain frames (before issue 14)" ;;
    vnet) echo "(a) TAP with \`IFF_VNET_HDR\`, \`TUN_F_CSUM \\| TSO4 \\| TSO6\` both ends" ;;
    ring) echo "(b) veth peers, \`PACKET_MMAP\` TPACKET_V3 receive blocks, \`sendmmsg\` batches (built)" ;;
    xdp) echo "(c) veth peers, AF_XDP (libxdp, generic/SKB mode, copy), one \`sendto\` kick per batch" ;;
    veth-nooffload) echo "kernel veth, offloads off (no forwarder)" ;;
    veth) echo "kernel veth, offloads on (no forwarder)" ;;
  esac
}
{
  echo "## Wire I/O options (issue 14): one forwarder per option, MTU ${MTUS// /, }"
  echo
  echo "\`scripts/bench.d/26-wire-options.sh\`, optimized build, $(nproc) cores, $(uname -sr),"
  echo "$(date -u +%Y-%m-%d); iperf3 TCP, one stream, ${SECS} s per run, from namespace A (10.83.32.1)"
  echo "to namespace B (10.83.32.2), $REPS repetitions with every variant and MTU rotated within each,"
  echo "${secs} s in all. The forwarder is \`bin/xdrv-taprelay\` with the same \`io=\` on both ends"
  echo "(one single-threaded process polling both). Each cell: median Gbit/s (spread (max - min) /"
  echo "median), the frames per second and the average frame size as B's interface counted them"
  echo "(\`rx_packets\`, \`rx_bytes\`: a super-frame counts once), and the ratio to the kernel's veth"
  echo "pair with offloads off at the same MTU. AF_XDP frames are one 4 KiB UMEM chunk (no"
  echo "multi-buffer), so (c) has no MTU 9000 figure."
  echo
  printf '| option |'; for m in "${mtus[@]}"; do printf ' MTU %s: Gbit/s, frames/s of bytes, ratio to veth off |' "$m"; done; echo
  printf '| --- |'; for _ in "${mtus[@]}"; do printf ' ---: |'; done; echo
  for v in tap vnet ring xdp veth-nooffload veth; do
    has "$v" || continue
    printf '| %s |' "$(label "$v")"
    for m in "${mtus[@]}"; do printf ' %s |' "$(cell "$v" "$m")"; done
    echo
  done
  echo
  echo "1-minute load average $load0 before, $load1 after; iperf3 and both namespaces' kernels share"
  echo "the cores with the forwarder: compare within this table."
  echo
  echo "Samples: \`$CSV\`. Reproduce: \`make O=$B all\`, then (as root)"
  echo "\`scripts/bench.d/26-wire-options.sh $B SECTION.md\` (\`REPS=N SECS=S MTUS=... VARIANTS=...\`),"
  echo "or \`scripts/bench.sh $B 26-wire-options\`."
} > "$SECTION"
cat "$SECTION" >&2
