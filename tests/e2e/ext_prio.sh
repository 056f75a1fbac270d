#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The VIFlet priority queue of the in-kernel JVM seed, through xdrv (issue 16): two iperf3 UDP
# flows, each offering the whole line, from one network namespace to another through the dp83820
# driver (default driver domain), whose device model paces its transmitter to a slow line
# (`--device dp83820:rate=40`, 40 Mbit/s; `--param tx_ring=32`), so that the driver's ring fills
# and the runtime's transmit backlog is where frames queue.
#  - without an extension, both flows share the line (the backlog is one FIFO);
#  - with the signed prio extension on the transmit hook (port 5201 high, everything else low),
#    the high flow keeps most of the line and the low one is starved (strict priority).
# UDP, not TCP: two TCP flows whose windows stay below the queue never build a standing queue
# in the backlog, so whether the low one starves would depend on their window dynamics.
# Asserted: with prio, high >= 0.6 of the line and low <= 0.1 of high; without it, low gets at
# least 0.1 of the line (so the starvation is the extension's doing). Rates are what the iperf3
# servers received. Addresses (10.83.22.0/24) exist only inside the namespaces made here.
#   usage: tests/e2e/ext_prio.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: ext_prio.sh BUILD_DIR}
X="$B/bin/xdrv"
PKG="$B/pkg/dp83820.xdrv"
EXT="$B/ext/prio.xdrv"
RATE=40 # Mbit/s of the model's line
SECS=5
tag=$$
NA="xprA$tag" NB="xprB$tag" IA="xpA$tag" IB="xpB$tag"
T=$(mktemp -d)
XPID="" SPIDS=()
cleanup_procs() {
  for p in "${SPIDS[@]}"; do kill "$p" 2>/dev/null; done
  [ -n "$XPID" ] && stop "$XPID"
}
. "$(dirname "$0")/lib/netns.sh"

for t in ip iperf3 jq; do
  command -v "$t" >/dev/null || { echo "FAIL - $t not installed (scripts/install-deps)"; exit 1; }
done
for f in "$PKG" "$EXT"; do [ -r "$f" ] || { echo "FAIL - no $f (make all)"; exit 1; }; done

# one run: xdrv run with the given extra options, two iperf3 UDP flows at once; prints
# "HIGH LOW" in Mbit/s the servers received
flows() {
  netns_add || { echo "cannot create namespaces"; return 1; }
  "$X" run --trust "$B/pki/root.pem" --device "dp83820:rate=$RATE" --host-tap "$IA@$NA" \
    --wire "tap:$IB@$NB" --param tx_ring=32 "$@" "$PKG" >"$T/run.log" 2>&1 &
  XPID=$!
  netns_wait_wire "$T/run.log" 150 "$XPID" || { echo "xdrv run did not come up: $(cat "$T/run.log")"; return 1; }
  netns_addr 10.83.22
  ip netns exec "$NA" ping -c 1 -W 3 10.83.22.2 >/dev/null 2>&1
  SPIDS=()
  for p in 5201 5202; do
    ip netns exec "$NB" iperf3 -s -1 -p "$p" -B 10.83.22.2 >/dev/null 2>&1 &
    SPIDS+=($!)
  done
  sleep 0.5
  ip netns exec "$NA" iperf3 -c 10.83.22.2 -p 5201 -t "$SECS" -u -b ${RATE}M -l 1400 -J >"$T/high.json" 2>&1 &
  local h=$!
  ip netns exec "$NA" iperf3 -c 10.83.22.2 -p 5202 -t "$SECS" -u -b ${RATE}M -l 1400 -J >"$T/low.json" 2>&1 &
  local l=$!
  wait "$h" "$l"
  for p in "${SPIDS[@]}"; do wait "$p" 2>/dev/null; done
  SPIDS=()
  stop "$XPID"; XPID=""
  ip netns del "$NA"; ip netns del "$NB"
  local hi lo
  hi=$(jq -r '.end.sum_received.bits_per_second // empty' "$T/high.json" 2>/dev/null)
  lo=$(jq -r '.end.sum_received.bits_per_second // empty' "$T/low.json" 2>/dev/null)
  [ -n "$hi" ] && [ -n "$lo" ] || { echo "iperf3 failed: $(head -c 300 "$T/high.json") $(head -c 300 "$T/low.json")"; return 1; }
  awk -v h="$hi" -v l="$lo" 'BEGIN { printf "%.2f %.2f\n", h / 1e6, l / 1e6 }'
}

if r=$(flows); then
  read -r hi lo <<<"$r"
  if awk -v l="$lo" -v r="$RATE" 'BEGIN { exit !(l >= 0.1 * r) }'; then
    ok "no extension: the two flows share the $RATE Mbit/s line (5201: $hi, 5202: $lo Mbit/s)"
  else bad "no extension: the low flow got $lo Mbit/s (high $hi) on a $RATE Mbit/s line"; fi
else bad "no extension: $r"; fi

if r=$(flows --ext "tx:$EXT"); then
  read -r hi lo <<<"$r"
  log=$(cat "$T/run.log")
  if awk -v h="$hi" -v l="$lo" -v r="$RATE" 'BEGIN { exit !(h >= 0.6 * r && l <= 0.1 * h) }'; then
    ok "prio on tx: 5201 keeps $hi Mbit/s of $RATE, 5202 is starved ($lo Mbit/s)"
  else bad "prio on tx: 5201 got $hi, 5202 got $lo Mbit/s of $RATE: $(grep -i "prio\|backlog" <<<"$log")"; fi
  if grep -qE "tx prio 1.0.0 \(id 1\): [0-9]+ runs" <<<"$log"; then ok "prio's figures in the run summary"
  else bad "no prio figures in the run summary: $log"; fi
else bad "prio on tx: $r"; fi

echo "ext_prio.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
