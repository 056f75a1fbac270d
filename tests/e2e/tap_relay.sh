#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The TAP relay with no driver (bin/xdrv-taprelay, the ceiling tool of scripts/bench.d/25-tap.sh):
# two network namespaces made here, the relay between a TAP in each, configured as `xdrv run`
# configures its two ends (checksum offload on the first, plain frames on the second, so TCP/UDP
# checksums are completed by the relay); `ping -c 3` and a 1 s iperf3 TCP run must pass, a bad spec is
# refused with its message, and SIGTERM stops it with its counters. Then each I/O kind of the
# relay (io=tap, vnet, ring, xdp on both ends; issue 14, scripts/bench.d/26-wire-options.sh) that
# this machine supports relays 200 frames of 60..1514 bytes (an experimental EtherType, random
# payloads) sent by a packet socket in A byte for byte, in order, to a packet socket in B; a kind
# the machine or build lacks must be refused with exit 1 and a message naming it, never crash.
# Addresses (10.83.31.0/24) exist only inside these namespaces; everything is removed on exit.
#   usage: tests/e2e/tap_relay.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: tap_relay.sh BUILD_DIR}
R="$B/bin/xdrv-taprelay"
tag=$$
NA="xrlA$tag" NB="xrlB$tag" IA="xrA$tag" IB="xrB$tag"
T=$(mktemp -d)
RPID="" LPID=""

STOP_WAIT=50 # stop waits 5 s before SIGKILL
cleanup_procs() {
  [ -n "$LPID" ] && kill "$LPID" 2>/dev/null
  [ -n "$RPID" ] && stop "$RPID"
}
. "$(dirname "$0")/lib/netns.sh"

for t in ip ping iperf3; do
  command -v "$t" >/dev/null || { echo "FAIL - $t not installed (scripts/install-deps)"; exit 1; }
done
[ -x "$R" ] || { echo "FAIL - no $R (make)"; exit 1; }

out=$("$R" "$IA" "bad name!" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && grep -q 'bad interface name "bad name!"' <<<"$out"; then
  ok "a bad interface name is refused: $out"
else
  bad "bad spec: exit $rc: $out"
fi
out=$("$R" "$IA@xrl-no-such-ns-$tag" "$IB" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && grep -q "network namespace /run/netns/xrl-no-such-ns-$tag: No such file" <<<"$out"; then
  ok "a missing namespace is refused"
else
  bad "missing netns: exit $rc: $out"
fi

netns_add || { echo "FAIL - cannot create network namespaces"; exit 1; }
"$R" "$IA@$NA" "name=$IB,netns=$NB,offload=0" >"$T/relay.log" 2>&1 &
RPID=$!
for _ in $(seq 50); do
  grep -q "relay: up" "$T/relay.log" && break
  kill -0 "$RPID" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q "relay: up" "$T/relay.log"; then
  bad "the relay did not come up"; cat "$T/relay.log"; exit 1
fi
ok "relay up: $IA in $NA, $IB in $NB"
ip -n "$NA" addr add 10.83.31.1/24 dev "$IA"
ip -n "$NB" addr add 10.83.31.2/24 dev "$IB"

if out=$(ip netns exec "$NA" ping -c 3 -i 0.2 -W 2 10.83.31.2 2>&1); then
  ok "ping -c 3 through the relay: $(grep -E 'packets transmitted' <<<"$out")"
else
  bad "ping through the relay failed: $out"
fi

# TCP from the offload side: the kernel leaves the checksums to the relay, the receiver checks them
ip netns exec "$NB" iperf3 -s -1 -B 10.83.31.2 -p 5231 >"$T/iperf-server.log" 2>&1 &
LPID=$!
for _ in $(seq 50); do
  ip netns exec "$NB" ss -ltn 2>/dev/null | grep -q 10.83.31.2:5231 && break
  sleep 0.1
done
if out=$(timeout 20 ip netns exec "$NA" iperf3 -c 10.83.31.2 -p 5231 -t 1 -f m 2>&1) &&
   rate=$(grep -E 'receiver' <<<"$out" | grep -oE '[0-9.]+ [KMG]bits/sec') && [ -n "$rate" ]; then
  ok "iperf3 TCP 1 s through the relay (checksums completed by it): $rate"
else
  bad "iperf3 through the relay failed: $out"
fi
kill "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null; LPID=""

stop "$RPID"; rc=$stop_rc; RPID=""
if [ "$rc" -eq 0 ] && grep -q "relay: stopping on signal 15" "$T/relay.log"; then
  ok "SIGTERM stops the relay"
else
  bad "relay exit $rc"; cat "$T/relay.log"
fi
grep -E "^relay: xr" "$T/relay.log"
n=$(grep -E "^relay: $IA -> " "$T/relay.log" | grep -oE "[0-9]+ checksums completed" | grep -oE "^[0-9]+")
if [ "${n:-0}" -ge 1 ] && grep -qE "^relay: $IB -> $IA [1-9][0-9]* frames" "$T/relay.log"; then
  ok "frames relayed both ways, $n checksum(s) completed in software"
else
  bad "relay counters: $(grep -E '^relay: xr' "$T/relay.log")"
fi

# ---- the I/O kinds of the relay, byte for byte ----------------------------------------------
# kinds refused before anything is made: named, exit 1
for c in "io=xdp,mtu=9000|xdp: $IA: mtu 9000" "io=vnet|vnet: io=vnet passes the virtio_net_hdr through" \
         "io=foo|io wants auto, tap, ring, vnet or xdp, not \"foo\""; do
  spec=${c%%|*} want=${c#*|}
  out=$("$R" "name=$IA,$spec" "name=$IB,offload=0" 2>&1); rc=$?
  if [ "$rc" -eq 1 ] && grep -qF "$want" <<<"$out"; then ok "$spec refused: $(tail -1 <<<"$out")"; else bad "$spec: exit $rc: $out"; fi
done
out=$(XDRV_WIRE_NO_RING=1 "$R" "name=$IA,io=xdp" "name=$IB,io=xdp" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && grep -q "xdp: the veth pair: ring $IA: switched off by XDRV_WIRE_NO_RING=1" <<<"$out"; then
  ok "xdp without its veth pair is named and refused"
else
  bad "xdp with XDRV_WIRE_NO_RING=1: exit $rc: $out"
fi

# frames: A's packet socket sends, B's receives; digests of every frame in order must match
FRAMES_PY='
import os, socket, sys, time, hashlib, random
mode, ifname, out = sys.argv[1], sys.argv[2], sys.argv[3]
ETH_P = 0x88b5
if mode == "recv":
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P))
    s.bind((ifname, ETH_P))
    s.settimeout(0.5)
    open(out + ".ready", "w").close()
    got, end = [], time.time() + 8
    while len(got) < 200 and time.time() < end:
        try:
            f = s.recv(65536)
        except socket.timeout:
            continue
        got.append(hashlib.sha256(f).hexdigest() + " " + str(len(f)))
    open(out, "w").write("\n".join(got) + "\n")
else:
    dst = bytes.fromhex(sys.argv[4].replace(":", ""))
    src = bytes.fromhex(open("/sys/class/net/%s/address" % ifname).read().strip().replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    rnd, sent = random.Random(14), []
    for i in range(200):
        n = 60 if i == 0 else 1514 if i == 1 else rnd.randint(60, 1514)
        f = dst + src + ETH_P.to_bytes(2, "big") + bytes(rnd.getrandbits(8) for _ in range(n - 14))
        s.send(f)
        sent.append(hashlib.sha256(f).hexdigest() + " " + str(len(f)))
        if i % 16 == 15:
            time.sleep(0.002)
    open(out, "w").write("\n".join(sent) + "\n")
'
for io in tap vnet ring xdp; do
  case $io in
    tap | ring) a="name=$IA,netns=$NA,offload=0,io=$io" b="name=$IB,netns=$NB,offload=0,io=$io" ;;
    *) a="name=$IA,netns=$NA,io=$io" b="name=$IB,netns=$NB,io=$io" ;;
  esac
  "$R" "$a" "$b" >"$T/relay-$io.log" 2>&1 &
  RPID=$!
  for _ in $(seq 100); do
    grep -q "relay: up" "$T/relay-$io.log" && break
    kill -0 "$RPID" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q "relay: up" "$T/relay-$io.log"; then
    wait "$RPID"; rc=$?; RPID=""
    msg=$(grep "^xdrv-taprelay: " "$T/relay-$io.log" | tail -1)
    if [ "$rc" -eq 1 ] && grep -q "^xdrv-taprelay: .*$io" <<<"$msg"; then
      ok "io=$io is unavailable here, named and refused: $msg"
    else
      bad "io=$io: exit $rc without coming up: $(cat "$T/relay-$io.log")"
    fi
    continue
  fi
  ip -n "$NA" link set "$IA" up; ip -n "$NB" link set "$IB" up
  rm -f "$T/recv" "$T/recv.ready" "$T/sent"
  ip netns exec "$NB" python3 -c "$FRAMES_PY" recv "$IB" "$T/recv" &
  PPID_RECV=$!
  for _ in $(seq 50); do [ -e "$T/recv.ready" ] && break; sleep 0.1; done
  mac=$(ip netns exec "$NB" cat "/sys/class/net/$IB/address")
  ip netns exec "$NA" python3 -c "$FRAMES_PY" send "$IA" "$T/sent" "$mac"
  wait "$PPID_RECV"
  stop "$RPID"; rc=$stop_rc; RPID=""
  n=$(grep -c . "$T/recv" 2>/dev/null)
  if [ -s "$T/sent" ] && cmp -s "$T/sent" "$T/recv"; then
    ok "io=$io: 200 frames of 60..1514 bytes relayed byte for byte, in order"
  else
    bad "io=$io: ${n:-0} of 200 frames arrived, or not byte for byte: $(diff "$T/sent" "$T/recv" | head -4)"
    grep -E "^relay: " "$T/relay-$io.log"
  fi
  if [ "$rc" -ne 0 ]; then bad "io=$io: relay exit $rc"; cat "$T/relay-$io.log"; fi
done

echo "tap_relay.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
