#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The TAP path (issue 3): iperf3 TCP between two network namespaces made here, (1) through
# bin/xdrv-taprelay, a plain relay between the two TAPs with no driver and no device model (the
# ceiling), (2) through the dp83820 driver JIT-compiled (eager) with `xdrv run --host-tap A
# --wire tap:B`, (3) through the same driver compiled natively (`xdrv run --native
# $B/native/dp83820.so`). Variants rotate within every repetition; medians in Gbit/s and the
# ratio to the relay. Writes one section of docs/BENCHMARKS.md (to SECTION) and the samples to
# $B/bench/tap.csv. Addresses (10.83.30.0/24) exist only inside the namespaces made here.
#   usage: scripts/bench.d/25-tap.sh BUILD_DIR SECTION.md   (REPS=3, SECS=2 by default;
#          TAP_PARAMS: driver parameters, default those of `xdrv bench`)
set -euo pipefail
B=${1:?usage: 25-tap.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 25-tap.sh BUILD_DIR SECTION.md}
REPS=${REPS:-3}
SECS=${SECS:-2}
TAP_PARAMS=${TAP_PARAMS:-holdoff_us=0 rx_ring=256 tx_ring=256}
X="$B/bin/xdrv"
RELAY="$B/bin/xdrv-taprelay"
PKG="$B/pkg/dp83820.xdrv"
SO="$B/native/dp83820.so"
OUT="$B/bench"
CSV="$OUT/tap.csv"
mkdir -p "$OUT"
for f in "$X" "$RELAY" "$PKG" "$SO"; do
  [ -e "$f" ] || { echo "25-tap: no $f (make O=$B all)" >&2; exit 1; }
done
for t in ip iperf3 jq; do
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
for p in $TAP_PARAMS; do params+=(--param "$p"); done
cmd_relay=("$RELAY" "$IA@$NA" "name=$IB,netns=$NB,offload=0")
cmd_jit=("$X" run --trust "$B/pki/root.pem" --eager --backends host --device dp83820 "${params[@]}"
  --host-tap "$IA@$NA" --wire "tap:$IB@$NB" "$PKG")
# the default: the wire's TAP served by the supervisor through a netfront ring
cmd_split=("$X" run --trust "$B/pki/root.pem" --eager --device dp83820 "${params[@]}"
  --host-tap "$IA@$NA" --wire "tap:$IB@$NB" "$PKG")
cmd_native=("$X" run --device dp83820 "${params[@]}" --host-tap "$IA@$NA" --wire "tap:$IB@$NB"
  --native "$SO")

# start variant $1, wait until both interfaces exist and a ping passes; 0 or 1
start() {
  case $1 in
    relay) "${cmd_relay[@]}" > "$T/$1.log" 2>&1 & ;;
    jit) "${cmd_jit[@]}" > "$T/$1.log" 2>&1 & ;;
    split) "${cmd_split[@]}" > "$T/$1.log" 2>&1 & ;;
    native) "${cmd_native[@]}" > "$T/$1.log" 2>&1 & ;;
  esac
  FPID=$!
  for _ in $(seq 200); do
    if ip -n "$NA" link show "$IA" > /dev/null 2>&1 && ip -n "$NB" link show "$IB" > /dev/null 2>&1; then
      ip -n "$NA" addr add 10.83.30.1/24 dev "$IA"
      ip -n "$NB" addr add 10.83.30.2/24 dev "$IB"
      ip -n "$NA" link set "$IA" up
      ip -n "$NB" link set "$IB" up
      ip netns exec "$NA" ping -c 1 -W 5 10.83.30.2 > /dev/null 2>&1 && return 0
      break
    fi
    kill -0 "$FPID" 2> /dev/null || break
    sleep 0.05
  done
  echo "25-tap: $1 did not come up:" >&2; cat "$T/$1.log" >&2
  return 1
}

variants=(relay jit split native)
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
    stop "$FPID"; FPID=""
    if grep -qE "\] (error|warning): |guest error" "$T/$v.log"; then
      echo "25-tap: errors in the $v log:" >&2; cat "$T/$v.log" >&2; exit 1
    fi
  done
done
secs=$(( $(date +%s) - start_s ))
load1=$(cut -d" " -f1 /proc/loadavg)

median() { # variant -> median Gbit/s
  awk -F, -v v="$1" '$1 == v { print $3 }' "$CSV" | sort -g |
    awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
samples() { awk -F, -v v="$1" '$1 == v { printf "%s%.2f", s, $3; s = ", " }' "$CSV"; }
retr() { awk -F, -v v="$1" '$1 == v { t += $4 } END { print t + 0 }' "$CSV"; }
m_relay=$(median relay) m_jit=$(median jit) m_split=$(median split) m_native=$(median native)
row() { # label variant median
  printf '| %s | %.3f | %s | %s | %s |\n' "$1" "$3" "$(samples "$2")" \
    "$(awk -v a="$3" -v b="$m_relay" 'BEGIN { printf "%.2f", a / b }')" "$(retr "$2")"
}
{
  echo "## TAP path: iperf3 through the driver against a relay with no driver"
  echo
  echo "\`scripts/bench.d/25-tap.sh\`, optimized build, $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d);"
  echo "iperf3 TCP, one stream, ${SECS} s per run, from namespace A (10.83.30.1) to namespace B"
  echo "(10.83.30.2), $REPS repetitions, the variants rotated within each, ${secs} s in all. Every"
  echo "variant has the same two ends: a TAP in A with checksum offload (virtio_net_hdr, as"
  echo "\`--host-tap\` makes it) and a plain TAP in B (as \`--wire tap:\`), 1500-byte MTU, no"
  echo "segmentation offload; the forwarder is one single-threaded process polling both."
  echo
  echo "- *relay*: \`bin/xdrv-taprelay\` (bench/main_xdrv-taprelay.c) copies frames between the two"
  echo "  TAPs and completes the TCP checksums the kernel left to it: no driver, no device model (the"
  echo "  ceiling of this path)."
  echo "- *JIT eager*: \`xdrv run --eager --backends host --device dp83820 --host-tap A --wire tap:B"
  echo "  dp83820.xdrv\`, the signed package JIT-compiled in a driver host that holds both TAPs; frames"
  echo "  go host TAP -> driver -> DP83820 model -> wire TAP and back."
  echo "- *JIT eager, wire from the supervisor*: the same without \`--backends host\` (the default):"
  echo "  the wire's TAP is held by the supervisor's backend server, and the model's cable is a"
  echo "  netfront on the loop transport to it (a copy into a granted page per frame, eventfd"
  echo "  notifications between two processes)."
  echo "- *native*: the same with \`--native $SO\` (the same C source compiled with clang-19)."
  echo "- driver parameters \`$TAP_PARAMS\` (as in \`xdrv bench\`)."
  echo
  echo "| path | median Gbit/s | runs Gbit/s | ratio to relay | TCP retransmits (all runs) |"
  echo "| --- | ---: | --- | ---: | ---: |"
  row "relay, no driver (ceiling)" relay "$m_relay"
  row "dp83820 JIT eager" jit "$m_jit"
  row "dp83820 JIT eager, wire from the supervisor" split "$m_split"
  row "dp83820 native .so" native "$m_native"
  echo
  echo "JIT eager / native: $(awk -v a="$m_jit" -v b="$m_native" 'BEGIN { printf "%.2f", a / b }');"
  echo "wire from the supervisor / wire in the driver host: $(awk -v a="$m_split" -v b="$m_jit" 'BEGIN { printf "%.2f", a / b }')"
  echo "(above 1 where the machine has a core to spare: the backend server moves frames between"
  echo "the ring and the wire's TAP while the driver host runs the driver and the model, two"
  echo "single-threaded processes in a pipeline; the relay and the other variants are one)."
  echo "iperf3 and the kernels of both namespaces share the machine's cores with the forwarder, so"
  echo "the figures move with the load of the machine (1-minute load average $load0 before, $load1"
  echo "after); compare them within this table."
  echo
  echo "Samples: \`$CSV\`. Reproduce: \`make O=$B all\`, then (as root)"
  echo "\`scripts/bench.d/25-tap.sh $B SECTION.md\` (\`REPS=N SECS=S\`), or \`scripts/bench.sh $B 25-tap\`."
} > "$SECTION"
cat "$SECTION" >&2
