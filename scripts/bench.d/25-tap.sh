#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The TAP path (issue 3): iperf3 TCP between two network namespaces made here, (1) through
# bin/xdrv-taprelay, a plain relay between the two TAPs with no driver and no device model (the
# ceiling), (2) through the dp83820 driver JIT-compiled (eager) with `xdrv run --host-tap A
# --wire tap:B`, (3) through the same driver compiled natively (`xdrv run --native
# $B/native/dp83820.so`), and beside them (issue 14) the relay with the old per-frame TAP I/O on
# the wire side (io=tap) and the kernel's own veth pair between the same namespaces, offloads on
# and off. The wire side moves frames as the "tap" wire does by default (a veth with PACKET_MMAP
# rings). Variants rotate within every repetition; medians in Gbit/s with the spread, the ratio
# to the relay and to the veth without offloads. MTU=9000 runs everything with jumbo frames (the
# driver's mtu parameter too). Writes one section of docs/BENCHMARKS.md (to SECTION) and the
# samples to $B/bench/tap.csv (tap-MTU.csv for another MTU). Addresses (10.83.30.0/24) exist
# only inside the namespaces made here.
#   usage: scripts/bench.d/25-tap.sh BUILD_DIR SECTION.md   (REPS=3, SECS=2, MTU=1500 by default;
#          TAP_PARAMS: driver parameters, default those of `xdrv bench`; VARIANTS: a subset of
#          "relay relay-tap relay-rings jit jit-tap split native veth veth-nooffload")
set -euo pipefail
B=${1:?usage: 25-tap.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 25-tap.sh BUILD_DIR SECTION.md}
REPS=${REPS:-3}
SECS=${SECS:-2}
TAP_PARAMS=${TAP_PARAMS:-holdoff_us=0 rx_ring=256 tx_ring=256}
MTU=${MTU:-1500}
VARIANTS=${VARIANTS:-relay relay-tap relay-rings jit jit-tap split native veth veth-nooffload}
X="$B/bin/xdrv"
RELAY="$B/bin/xdrv-taprelay"
PKG="$B/pkg/dp83820.xdrv"
SO="$B/native/dp83820.so"
OUT="$B/bench"
CSV="$OUT/tap.csv"
[ "$MTU" = 1500 ] || CSV="$OUT/tap-$MTU.csv"
mkdir -p "$OUT"
for f in "$X" "$RELAY" "$PKG" "$SO"; do
  [ -e "$f" ] || { echo "25-tap: no $f (make O=$B all)" >&2; exit 1; }
done
for t in ip iperf3 jq ethtool; do
  command -v "$t" > /dev/null || { echo "25-tap: $t not installed (scripts/install-deps)" >&2; exit 1; }
done

tag=$$
NA="xtpA$tag" NB="xtpB$tag" IA="xtA$tag" IB="xtB$tag"
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
ip netns exec "$NB" iperf3 -s -p 5230 > "$T/iperf-server.log" 2>&1 &
SPID=$!

params=()
for p in $TAP_PARAMS mtu=$MTU; do params+=(--param "$p"); done
HT="name=$IA,netns=$NA,mtu=$MTU" WT="name=$IB,netns=$NB,mtu=$MTU"
cmd_relay=("$RELAY" "$HT" "$WT,offload=0")
cmd_relay_tap=("$RELAY" "$HT" "$WT,offload=0,io=tap")
cmd_relay_rings=("$RELAY" "$HT,offload=0" "$WT,offload=0")
cmd_jit=("$X" run --trust "$B/pki/root.pem" --eager --backends host --device dp83820 "${params[@]}"
  --host-tap "$HT" --wire "tap:$WT" "$PKG")
cmd_jit_tap=("$X" run --trust "$B/pki/root.pem" --eager --backends host --device dp83820
  "${params[@]}" --host-tap "$HT" --wire "tap:$WT,io=tap" "$PKG")
# the default: the wire's interface served by the supervisor through a netfront ring
cmd_split=("$X" run --trust "$B/pki/root.pem" --eager --device dp83820 "${params[@]}"
  --host-tap "$HT" --wire "tap:$WT" "$PKG")
cmd_native=("$X" run --device dp83820 "${params[@]}" --host-tap "$HT" --wire "tap:$WT"
  --native "$SO")

# start variant $1, wait until both interfaces exist and a ping passes; 0 or 1
start() {
  case $1 in
    veth | veth-nooffload)
      ip link add "$IA" netns "$NA" type veth peer name "$IB" netns "$NB"
      ip -n "$NA" link set "$IA" mtu "$MTU"
      ip -n "$NB" link set "$IB" mtu "$MTU"
      if [ "$1" = veth-nooffload ]; then
        ip netns exec "$NA" ethtool -K "$IA" tso off gso off gro off > /dev/null
        ip netns exec "$NB" ethtool -K "$IB" tso off gso off gro off > /dev/null
      fi
      FPID="" ;;
    relay) "${cmd_relay[@]}" > "$T/$1.log" 2>&1 & ;;
    relay-tap) "${cmd_relay_tap[@]}" > "$T/$1.log" 2>&1 & ;;
    relay-rings) "${cmd_relay_rings[@]}" > "$T/$1.log" 2>&1 & ;;
    jit-tap) "${cmd_jit_tap[@]}" > "$T/$1.log" 2>&1 & ;;
    jit) "${cmd_jit[@]}" > "$T/$1.log" 2>&1 & ;;
    split) "${cmd_split[@]}" > "$T/$1.log" 2>&1 & ;;
    native) "${cmd_native[@]}" > "$T/$1.log" 2>&1 & ;;
  esac
  case $1 in veth*) : > "$T/$1.log" ;; *) FPID=$! ;; esac
  for _ in $(seq 200); do
    if ip -n "$NA" link show "$IA" > /dev/null 2>&1 && ip -n "$NB" link show "$IB" > /dev/null 2>&1; then
      ip -n "$NA" addr add 10.83.30.1/24 dev "$IA"
      ip -n "$NB" addr add 10.83.30.2/24 dev "$IB"
      ip -n "$NA" link set "$IA" up
      ip -n "$NB" link set "$IB" up
      ip netns exec "$NA" ping -c 1 -W 5 10.83.30.2 > /dev/null 2>&1 && return 0
      break
    fi
    [ -z "$FPID" ] || kill -0 "$FPID" 2> /dev/null || break
    sleep 0.05
  done
  echo "25-tap: $1 did not come up:" >&2; cat "$T/$1.log" >&2
  return 1
}

read -r -a variants <<< "$VARIANTS"
echo "variant,rep,gbit_s,retransmits" > "$CSV"
start_s=$(date +%s)
load0=$(cut -d" " -f1 /proc/loadavg)
for rep in $(seq "$REPS"); do
  n=${#variants[@]}
  for i in $(seq 0 $((n - 1))); do
    v=${variants[$(((i + rep - 1) % n))]}
    start "$v" || exit 1
    j="$T/$v.$rep.json"
    if ! timeout $((SECS + 20)) ip netns exec "$NA" iperf3 -c 10.83.30.2 -p 5230 -t "$SECS" -J > "$j"; then
      echo "25-tap: iperf3 through $v failed:" >&2; cat "$j" >&2; exit 1
    fi
    g=$(jq '.end.sum_received.bits_per_second / 1e9' "$j")
    r=$(jq '.end.sum_sent.retransmits // 0' "$j")
    echo "$v,$rep,$g,$r" >> "$CSV"
    echo "25-tap: rep $rep $v $g Gbit/s" >&2
    if [ -n "$FPID" ]; then stop "$FPID"; FPID=""; else ip -n "$NA" link del "$IA"; fi
    if grep -qE "\] (error|warning): |guest error" "$T/$v.log"; then
      echo "25-tap: errors in the $v log:" >&2; cat "$T/$v.log" >&2; exit 1
    fi
  done
done
secs=$(( $(date +%s) - start_s ))
load1=$(cut -d" " -f1 /proc/loadavg)

median() { # variant -> median Gbit/s
  awk -F, -v v="$1" '$1 == v { print $3 }' "$CSV" | sort -g |
    awk '{ a[NR] = $1 } END { if (!NR) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
spread() { # variant -> (max - min) / median in %
  awk -F, -v v="$1" '$1 == v { print $3 }' "$CSV" | sort -g |
    awk '{ a[NR] = $1 } END { if (!NR) { print "-"; exit }
      m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
      printf "%.0f", (m > 0 ? (a[NR] - a[1]) / m * 100 : 0) }'
}
samples() { awk -F, -v v="$1" '$1 == v { printf "%s%.2f", s, $3; s = ", " }' "$CSV"; }
retr() { awk -F, -v v="$1" '$1 == v { t += $4 } END { print t + 0 }' "$CSV"; }
has() { [[ " $VARIANTS " == *" $1 "* ]]; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
m_relay=$(median relay) m_veth0=$(median veth-nooffload)
row() { # label variant
  local m
  m=$(median "$2")
  printf '| %s | %.3f (±%s %%) | %s | %s | %s | %s |\n' "$1" "$m" "$(spread "$2")" "$(samples "$2")" \
    "$(ratio "$m" "$m_relay")" "$(ratio "$m" "$m_veth0")" "$(retr "$2")"
}
{
  echo "## Wire I/O (issue 14): iperf3 through the driver, the relay and the kernel's veth, MTU $MTU"
  echo
  echo "\`MTU=$MTU scripts/bench.d/25-tap.sh\`, optimized build, $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d);"
  echo "iperf3 TCP, one stream, ${SECS} s per run, from namespace A (10.83.30.1) to namespace B"
  echo "(10.83.30.2), $REPS repetitions, the variants rotated within each, ${secs} s in all; medians"
  echo "with the spread (max - min) / median. MTU $MTU on every interface (and the driver's \`mtu\`"
  echo "parameter). The forwarders have the same two ends: in A a TAP with checksum offload"
  echo "(virtio_net_hdr, as \`--host-tap\` makes it); in B the \"tap\" wire's interface, by default a"
  echo "veth whose hidden peer carries a PACKET_MMAP receive ring (TPACKET_V3 blocks) and sends in"
  echo "sendmmsg batches: no system call per frame), no segmentation offload; each forwarder is one"
  echo "single-threaded process polling both."
  echo
  echo "- *relay*: \`bin/xdrv-taprelay\`: frames between the two ends, TCP checksums completed, no"
  echo "  driver, no device model (the ceiling); *relay, TAP I/O*: the same with \`io=tap\` on B (a"
  echo "  TAP, one read/write per frame: the path before issue 14); *relay, rings on both ends*: A"
  echo "  too is a veth with rings (no virtio_net_hdr: the kernel computes the checksums), what a"
  echo "  host end without a TAP could reach."
  echo "- *JIT eager*: \`xdrv run --eager --backends host --device dp83820 --host-tap A --wire tap:B"
  echo "  dp83820.xdrv\`, both ends in the driver host (*TAP I/O on the wire*: the same with"
  echo "  \`--wire tap:...,io=tap\`, the path before issue 14); *wire from the supervisor*: without"
  echo "  \`--backends host\` (the default), B is the supervisor's, reached through a netfront ring"
  echo "  (jumbo frames over several slots, feature-sg); *native*: \`--native $SO\`."
  echo "- *veth*: the kernel's veth pair directly between A and B (no forwarder), offloads as"
  echo "  created (TSO, GSO, GRO on) and off (\`ethtool -K ... tso off gso off gro off\`)."
  echo "- driver parameters \`$TAP_PARAMS mtu=$MTU\`."
  echo
  echo "| path | median Gbit/s (spread) | runs Gbit/s | ratio to relay | ratio to veth, offloads off | TCP retransmits |"
  echo "| --- | ---: | --- | ---: | ---: | ---: |"
  has relay && row "relay, no driver (ceiling)" relay
  has relay-tap && row "relay, TAP I/O on B (before)" relay-tap
  has relay-rings && row "relay, rings on both ends (A without checksum offload)" relay-rings
  has jit && row "dp83820 JIT eager" jit
  has jit-tap && row "dp83820 JIT eager, TAP I/O on the wire (before)" jit-tap
  has split && row "dp83820 JIT eager, wire from the supervisor" split
  has native && row "dp83820 native .so" native
  has veth && row "veth, offloads on" veth
  has veth-nooffload && row "veth, offloads off (peer)" veth-nooffload
  echo
  echo "iperf3 and the kernels of both namespaces share the machine's cores with the forwarder, so"
  echo "the figures move with the load of the machine (1-minute load average $load0 before, $load1"
  echo "after); compare them within this table."
  echo
  echo "Samples: \`$CSV\`. Reproduce: \`make O=$B all\`, then (as root)"
  echo "\`MTU=$MTU scripts/bench.d/25-tap.sh $B SECTION.md\` (\`REPS=N SECS=S VARIANTS=...\`),"
  echo "or \`scripts/bench.sh $B 25-tap\`."
} > "$SECTION"
cat "$SECTION" >&2
