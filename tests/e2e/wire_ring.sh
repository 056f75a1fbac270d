#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Wire I/O (issue 14): the "tap" wire's batched path (a veth with PACKET_MMAP rings) and its
# fallback (a TAP), with jumbo frames, through the JIT-compiled dp83820 driver between two
# network namespaces made here:
#   1. the default arrangement (the wire served by the supervisor, a netfront ring to it) with a
#      9000-byte MTU everywhere: the wire's interface is a veth (the ring), a ping of 8972 bytes
#      with DF set passes whole, and 4 MiB of random bytes sent over TCP arrive with the same
#      SHA-256;
#   2. the same with XDRV_WIRE_NO_RING=1: one line names the fallback and why, the interface is
#      a TAP, and the same bytes arrive with the same SHA-256;
#   3. the wire in the driver host at MTU 1500 while the kernel side is raised to 4000 behind
#      its back: frames too long for the ring are skipped and counted ("rejected"), the run goes
#      on; the driver host SIGKILLed (its veth pair left behind) is restarted, makes the wire
#      again over the stale pair, and ping goes through; the run stops cleanly.
# Addresses (10.83.50.0/24) exist only inside these namespaces; everything is removed on exit.
#   usage: tests/e2e/wire_ring.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: wire_ring.sh BUILD_DIR}
X="$B/bin/xdrv"
PKG="$B/pkg/dp83820.xdrv"
tag=$$
NA="xwrA$tag" NB="xwrB$tag" IA="xwA$tag" IB="xwB$tag"
T=$(mktemp -d)
XPID=""

cleanup_procs() { [ -n "$XPID" ] && stop "$XPID"; }
. "$(dirname "$0")/lib/netns.sh"

for t in ip ping python3 sha256sum; do
  command -v "$t" >/dev/null || { echo "FAIL - $t not installed (scripts/install-deps)"; exit 1; }
done
[ -r "$PKG" ] || { echo "FAIL - no $PKG (make drivers)"; exit 1; }
netns_add || { echo "FAIL - cannot create network namespaces"; exit 1; }
head -c 4194304 /dev/urandom > "$T/data"
want=$(sha256sum < "$T/data" | cut -d' ' -f1)

# start `xdrv run` (extra arguments first), wait for the wire, address both ends
run_up() { # LOG MTU ARGS...
  local log=$1 mtu=$2; shift 2
  "$X" run --trust "$B/pki/root.pem" "$@" --device dp83820 --param "mtu=$mtu" \
    --host-tap "name=$IA,netns=$NA,mtu=$mtu" "$PKG" >"$log" 2>&1 &
  XPID=$!
  for _ in $(seq 150); do
    grep -q "^wire: " "$log" && ip -n "$NB" link show "$IB" >/dev/null 2>&1 && break
    kill -0 "$XPID" 2>/dev/null || break
    sleep 0.1
  done
  netns_addr 10.83.50
}
run_down() { # LOG: stop, check a clean stop
  stop "$XPID"; XPID=""
  if [ "$stop_rc" -eq 0 ] && grep -q "dp83820: removed" "$1"; then
    ok "xdrv run stopped cleanly"
  else
    bad "xdrv run exit $stop_rc"; cat "$1"
  fi
  if grep -qE "\] (error|warning): |guest error" "$1"; then bad "errors in the run log"; cat "$1"; fi
}
# 4 MiB over TCP from A to B; prints the SHA-256 B received
tcp_sha() {
  ip netns exec "$NB" python3 -c '
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.83.50.2", 5250)); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.settimeout(30); h = hashlib.sha256()
while True:
    b = c.recv(1 << 16)
    if not b: break
    h.update(b)
print(h.hexdigest())' >"$T/sha" 2>&1 &
  local srv=$!
  for _ in $(seq 50); do ip netns exec "$NB" ss -ltn 2>/dev/null | grep -q 10.83.50.2:5250 && break; sleep 0.1; done
  ip netns exec "$NA" python3 -c '
import socket, sys
c = socket.create_connection(("10.83.50.2", 5250), timeout=30)
c.sendall(open(sys.argv[1], "rb").read()); c.close()' "$T/data"
  wait "$srv"
  cat "$T/sha"
}

# ---- 1. the ring, jumbo frames, wire from the supervisor ---------------------------------------
run_up "$T/ring.log" 9000 --eager --wire "tap:name=$IB,netns=$NB,mtu=9000"
if ip -n "$NB" -d link show "$IB" 2>/dev/null | grep -q "veth"; then
  ok "the wire's $IB is a veth: the PACKET_MMAP ring was taken"
else
  bad "the wire's $IB is no veth: $(ip -n "$NB" -d link show "$IB" 2>&1 | tr '\n' ' ')"; cat "$T/ring.log"
fi
if out=$(ip netns exec "$NA" ping -c 3 -i 0.2 -W 3 -M "do" -s 8972 10.83.50.2 2>&1); then
  ok "ping of 9000-byte frames (DF) through the driver and the ring: $(grep -E 'transmitted' <<<"$out")"
else
  bad "jumbo ping through the ring failed: $out"
fi
got=$(tcp_sha)
if [ "$got" = "$want" ]; then ok "4 MiB over TCP through the ring: SHA-256 unchanged"; else bad "SHA-256 $got, sent $want"; fi
run_down "$T/ring.log"

# ---- 2. the fallback: a TAP, named ------------------------------------------------------------
XDRV_WIRE_NO_RING=1 run_up "$T/tap.log" 9000 --eager --wire "tap:name=$IB,netns=$NB,mtu=9000"
if grep -q "plain TAP I/O, one system call per frame (the ring is unavailable: .*XDRV_WIRE_NO_RING" "$T/tap.log"; then
  ok "fallback named: $(grep -o 'plain TAP I/O.*' "$T/tap.log" | head -1)"
else
  bad "no line naming the fallback"; cat "$T/tap.log"
fi
if ip -n "$NB" -d link show "$IB" 2>/dev/null | grep -q "tun type tap"; then
  ok "the wire's $IB is a TAP"
else
  bad "the wire's $IB is no TAP: $(ip -n "$NB" -d link show "$IB" 2>&1 | tr '\n' ' ')"
fi
if out=$(ip netns exec "$NA" ping -c 3 -i 0.2 -W 3 -M "do" -s 8972 10.83.50.2 2>&1); then
  ok "ping of 9000-byte frames through the TAP fallback"
else
  bad "jumbo ping through the TAP fallback failed: $out"
fi
got=$(tcp_sha)
if [ "$got" = "$want" ]; then ok "4 MiB over TCP through the TAP: SHA-256 unchanged"; else bad "SHA-256 $got, sent $want"; fi
run_down "$T/tap.log"

# ---- 3. a restarted driver host over its stale pair; frames longer than the ring's MTU ------
run_up "$T/big.log" 1500 --backends host --wire "tap:name=$IB,netns=$NB,mtu=1500"
host=$(grep -oE "^domain: driver host [0-9]+" "$T/big.log" | tail -1 | grep -oE "[0-9]+$")
[ -n "$host" ] && kill -KILL "$host"
for _ in $(seq 100); do
  grep -q "ready .* after the last one died" "$T/big.log" && break
  sleep 0.1
done
# the restarted host made both interfaces again (in this arrangement it holds them)
ip -n "$NA" addr add 10.83.50.1/24 dev "$IA" 2>/dev/null; ip -n "$NA" link set "$IA" up
ip -n "$NB" addr add 10.83.50.2/24 dev "$IB" 2>/dev/null; ip -n "$NB" link set "$IB" up
if [ -n "$host" ] && grep -q "deleted the veth pair" "$T/big.log" &&
   out=$(ip netns exec "$NA" ping -c 3 -i 0.2 -W 3 10.83.50.2 2>&1); then
  ok "driver host $host SIGKILLed, restarted over its stale veth pair: $(grep -E 'transmitted' <<<"$out")"
else
  bad "after SIGKILL of the driver host ($host): ${out:-}"; cat "$T/big.log"
fi
for i in $(ip -n "$NB" -o link | grep -oE "xw[0-9a-f]{8}" | sort -u); do ip -n "$NB" link set "$i" mtu 4000; done
ip -n "$NB" link set "$IB" mtu 4000
ip netns exec "$NB" ping -c 3 -i 0.2 -W 1 -s 3000 10.83.50.1 >/dev/null 2>&1
if out=$(ip netns exec "$NA" ping -c 2 -i 0.2 -W 3 10.83.50.2 2>&1); then
  ok "small frames still pass after the long ones"
else
  bad "ping after long frames failed: $out"
fi
run_down "$T/big.log"
n=$(grep -oE "ring I/O, [0-9]+ rejected" "$T/big.log" | tail -1 | grep -oE "[0-9]+")
if [ "${n:-0}" -ge 3 ]; then
  ok "$n frames longer than the ring's MTU skipped and counted"
else
  bad "long frames not counted as rejected: $(grep -E '^  wire' "$T/big.log")"
fi

echo "wire_ring.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
