#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The VIFlet priority queue of the in-kernel JVM seed, through xdrv (issue 16): two iperf3 UDP
# flows from one network namespace to another through the dp83820 driver (default driver
# domain), whose device model paces its transmitter to a slow line (`--device dp83820:rate=40`,
# 40 Mbit/s; `--param tx_ring=32`), so that the driver's ring fills and the runtime's transmit
# backlog is where frames queue. The low flow (port 5202, the whole line) starts first and runs
# longer; the high one (5201, twice the line) starts once the low one is flowing. UDP, not TCP:
# two TCP flows whose windows stay below the queue never build a standing queue in the backlog.
#  - without an extension, both flows share the line (the backlog is one FIFO): the low flow's
#    server receives at least 0.1 of the line;
#  - with the signed prio extension on the transmit hook (port 5201 high, everything else low),
#    strict priority: in a window of WIN seconds while both flows offer frames (read from the
#    run's control socket, `xdrv ext stats`), with the high class backlogged at both ends of the
#    window and the low one offering frames in it, the low class is sent at most 0.05 of what
#    the high class is sent.
# What the scheduler did is read from its counters over that window, not from the rates the
# iperf3 servers received: those also hold the low backlog drained after the high flow ends,
# and on a busy machine the whole run is slower than the line (a sanitized build on two loaded
# cores sends ~25 Mbit/s), so a rate is printed, not asserted. Addresses (10.83.22.0/24) exist
# only inside the namespaces made here.
#   usage: tests/e2e/ext_prio.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: ext_prio.sh BUILD_DIR}
X="$B/bin/xdrv"
PKG="$B/pkg/dp83820.xdrv"
EXT="$B/ext/prio.xdrv"
RATE=40 # Mbit/s of the model's line
SECS=4	# seconds of the high flow; the low one runs 3 more
WIN=2	# seconds of the window measured
tag=$$
NA="xprA$tag" NB="xprB$tag" IA="xpA$tag" IB="xpB$tag"
T=$(mktemp -d)
SOCK="$T/ctl.sock"
XPID="" SPIDS=() CPIDS=()
cleanup_procs() {
  for p in "${CPIDS[@]}" "${SPIDS[@]}"; do kill "$p" 2>/dev/null; done
  [ -n "$XPID" ] && stop "$XPID"
}
. "$(dirname "$0")/lib/netns.sh"

for t in ip iperf3 jq; do
  command -v "$t" >/dev/null || { echo "FAIL - $t not installed (scripts/install-deps)"; exit 1; }
done
for f in "$PKG" "$EXT"; do [ -r "$f" ] || { echo "FAIL - no $f (make all)"; exit 1; }; done

# N of the stats line STATS: its classN_sent= / _dropped= / _waiting= values, "S D W"
cls() { sed -nE "s/.* class$2_sent=([0-9]+) class$2_dropped=([0-9]+) class$2_waiting=([0-9]+).*/\1 \2 \3/p" <<<"$1"; }
stats() { "$X" ext stats --control "$SOCK" 2>&1 | grep '^frames '; }
# frames that came to class N between stats lines A and B (sent + dropped + waiting)
came() {
  local s0 d0 w0 s1 d1 w1
  read -r s0 d0 w0 <<<"$(cls "$1" "$3")"
  read -r s1 d1 w1 <<<"$(cls "$2" "$3")"
  echo $(((s1 + d1 + w1) - (s0 + d0 + w0)))
}
# CLASS MIN: poll the stats every 0.1 s until MIN frames came to CLASS since the poll before;
# prints the last stats line; 1 if that did not happen in 10 s
flowing() {
  local a b
  a=$(stats)
  for _ in $(seq 100); do
    sleep 0.1
    b=$(stats)
    if [ -n "$a" ] && [ -n "$b" ] && [ "$(came "$a" "$b" "$1")" -ge "$2" ]; then
      echo "$b"
      return 0
    fi
    a=$b
  done
  echo "$b"
  return 1
}

# one run: xdrv run with the given extra options and the two flows; prints "HIGH LOW" in Mbit/s
# the servers received, then the stats lines at the window's start and end (with an extension)
flows() {
  local prio=$1
  shift
  netns_add || { echo "cannot create namespaces"; return 1; }
  "$X" run --trust "$B/pki/root.pem" --device "dp83820:rate=$RATE" --host-tap "$IA@$NA" \
    --wire "tap:$IB@$NB" --param tx_ring=32 --control="$SOCK" "$@" "$PKG" >"$T/run.log" 2>&1 &
  XPID=$!
  netns_wait_wire "$T/run.log" 150 "$XPID" || { echo "xdrv run did not come up: $(cat "$T/run.log")"; return 1; }
  for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
  netns_addr 10.83.22
  ip netns exec "$NA" ping -c 1 -W 3 10.83.22.2 >/dev/null 2>&1
  SPIDS=() CPIDS=()
  for p in 5201 5202; do
    ip netns exec "$NB" iperf3 -s -1 -p "$p" -B 10.83.22.2 >/dev/null 2>&1 &
    SPIDS+=($!)
  done
  sleep 0.5
  # the low flow first: with prio on, its control connection (low class too) would not get
  # through once the high flow fills the backlog
  ip netns exec "$NA" iperf3 -c 10.83.22.2 -p 5202 -t $((SECS + 3)) -u -b ${RATE}M -l 1400 -J \
    >"$T/low.json" 2>&1 &
  CPIDS+=($!)
  local b
  if [ "$prio" = 1 ]; then # until the low class's frames come
    b=$(flowing 1 20) || { echo "the low flow did not start: $b"; return 1; }
  else sleep 1; fi
  ip netns exec "$NA" iperf3 -c 10.83.22.2 -p 5201 -t "$SECS" -u -b $((2 * RATE))M -l 1400 -J \
    >"$T/high.json" 2>&1 &
  CPIDS+=($!)
  local w0="" w1=""
  if [ "$prio" = 1 ]; then # the window: once the high class's frames come (or 10 s)
    w0=$(flowing 0 100)
    sleep "$WIN"
    w1=$(stats)
  fi
  wait "${CPIDS[@]}"
  CPIDS=()
  for p in "${SPIDS[@]}"; do wait "$p" 2>/dev/null; done
  SPIDS=()
  stop "$XPID"; XPID=""
  ip netns del "$NA"; ip netns del "$NB"
  local hi lo
  hi=$(jq -r '.end.sum_received.bits_per_second // empty' "$T/high.json" 2>/dev/null)
  lo=$(jq -r '.end.sum_received.bits_per_second // empty' "$T/low.json" 2>/dev/null)
  [ -n "$hi" ] && [ -n "$lo" ] || { echo "iperf3 failed: $(head -c 300 "$T/high.json") $(head -c 300 "$T/low.json")"; return 1; }
  awk -v h="$hi" -v l="$lo" 'BEGIN { printf "%.2f %.2f\n", h / 1e6, l / 1e6 }'
  echo "$w0"
  echo "$w1"
}

if r=$(flows 0); then
  read -r hi lo <<<"$(head -1 <<<"$r")"
  if awk -v l="$lo" -v r="$RATE" 'BEGIN { exit !(l >= 0.1 * r) }'; then
    ok "no extension: the two flows share the $RATE Mbit/s line (5201: $hi, 5202: $lo Mbit/s)"
  else bad "no extension: the low flow got $lo Mbit/s (high $hi) on a $RATE Mbit/s line"; fi
else bad "no extension: $r"; fi

if r=$(flows 1 --ext "tx:$EXT"); then
  read -r hi lo <<<"$(sed -n 1p <<<"$r")"
  w0=$(sed -n 2p <<<"$r") w1=$(sed -n 3p <<<"$r")
  log=$(cat "$T/run.log")
  read -r hs0 _ hw0 <<<"$(cls "$w0" 0)"
  read -r ls0 _ lw0 <<<"$(cls "$w0" 1)"
  read -r hs1 _ hw1 <<<"$(cls "$w1" 0)"
  read -r ls1 _ lw1 <<<"$(cls "$w1" 1)"
  if [ -z "${hs0:-}" ] || [ -z "${hs1:-}" ] || [ -z "${ls0:-}" ] || [ -z "${ls1:-}" ]; then
    bad "prio on tx: no class counters from xdrv ext stats: '$w0' '$w1'"
  else
    hs=$((hs1 - hs0)) ls=$((ls1 - ls0)) lc=$(came "$w0" "$w1" 1)
    what="in ${WIN} s with both flows offered, class 0 (5201) sent $hs frames ($(awk -v n="$hs" -v w="$WIN" 'BEGIN { printf "%.1f", n * 1466 * 8 / w / 1e6 }') Mbit/s), class 1 (5202) $ls of the $lc that came; waiting at the window's ends: class 0 $hw0, $hw1, class 1 $lw0, $lw1"
    if [ "$hw0" -gt 0 ] && [ "$hw1" -gt 0 ] && [ "$lc" -ge 100 ] && [ "$hs" -gt 0 ] &&
       [ $((ls * 20)) -le "$hs" ]; then
      ok "prio on tx: 5202 starved behind 5201: $what (servers received $hi, $lo Mbit/s)"
    else bad "prio on tx: $what: $(grep -i "prio\|classes" <<<"$log")"; fi
  fi
  if grep -qE "tx prio 1.0.0 \(id 1\): [0-9]+ runs" <<<"$log"; then ok "prio's figures in the run summary"
  else bad "no prio figures in the run summary: $log"; fi
else bad "prio on tx: $r"; fi

echo "ext_prio.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
