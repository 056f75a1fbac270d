#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real Linux traffic through the JIT-compiled dp83820 driver: two network namespaces made here,
# `xdrv run` binds the signed dp83820 package to the DP83820 model with the driver's interface
# on a TAP in the first namespace and the model's cable on a TAP in the second; `ping -c 3`
# between them must succeed, and a short iperf3 TCP test must run through and report a rate.
# Addresses (10.83.20.0/24) exist only inside these namespaces; everything is removed on exit.
#   usage: tests/e2e/nic_ping.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: nic_ping.sh BUILD_DIR}
X="$B/bin/xdrv"
PKG="$B/pkg/dp83820.xdrv"
tag=$$
NA="xnicA$tag" NB="xnicB$tag" IA="xnA$tag" IB="xnB$tag"
T=$(mktemp -d)
XPID="" SPID=""

cleanup_procs() {
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
  [ -n "$XPID" ] && stop "$XPID"
}
. "$(dirname "$0")/lib/netns.sh"

for t in ip ping iperf3; do
  command -v "$t" >/dev/null || { echo "FAIL - $t not installed (scripts/install-deps)"; exit 1; }
done
[ -r "$PKG" ] || { echo "FAIL - no $PKG (make drivers)"; exit 1; }

# the in-process generator: every frame in through the driver, echoed by the host, out again
out=$("$X" run --trust "$B/pki/root.pem" --device dp83820 --wire gen:count=2000,size=60 "$PKG" 2>&1)
if grep -q "to the NIC 2000 frames (120000 bytes), from the NIC 2000 frames (120000 bytes, 0 errors, 0 bad" <<<"$out" &&
   grep -q "driver      rx 2000 packets 120000 bytes, tx 2000 packets 120000 bytes; errors rx 0 tx 0" <<<"$out"; then
  ok "xdrv run --wire gen: 2000 frames in and echoed out through the driver"
else
  bad "xdrv run --wire gen: $out"
fi
out=$("$X" run --trust "$B/pki/root.pem" --device uart16550 --wire gen "$B/pkg/uart16550.xdrv" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && grep -q "registered no network interface" <<<"$out"; then
  ok "xdrv run --wire with a driver that is no NIC is refused"
else
  bad "xdrv run --wire on uart16550: exit $rc: $out"
fi

netns_add || { echo "FAIL - cannot create network namespaces"; exit 1; }

"$X" run --trust "$B/pki/root.pem" --device dp83820 --host-tap "$IA@$NA" \
  --wire "tap:$IB@$NB" "$PKG" >"$T/run.log" 2>&1 &
XPID=$!

if ! netns_wait_wire "$T/run.log" 100 "$XPID"; then
  bad "xdrv run did not create both TAP interfaces"; cat "$T/run.log"; exit 1
fi
ok "xdrv run: $IA in $NA (driver side), $IB in $NB (wire side)"
netns_addr 10.83.20

if out=$(ip netns exec "$NA" ping -c 3 -i 0.2 -W 2 10.83.20.2 2>&1); then
  ok "ping -c 3 through the driver: $(grep -E 'packets transmitted|rtt' <<<"$out" | tr '\n' ' ')"
else
  bad "ping through the driver failed: $out"
fi

ip netns exec "$NB" iperf3 -s -1 -B 10.83.20.2 >"$T/iperf-server.log" 2>&1 &
SPID=$!
for _ in $(seq 50); do
  ip netns exec "$NB" ss -ltn 2>/dev/null | grep -q 10.83.20.2:5201 && break
  sleep 0.1
done
if out=$(timeout 30 ip netns exec "$NA" iperf3 -c 10.83.20.2 -t 3 -f m 2>&1); then
  rate=$(grep -E 'receiver' <<<"$out" | tail -1 | grep -oE '[0-9.]+ [KMG]bits/sec')
  ok "iperf3 TCP 3 s through the driver: ${rate:-?} (receiver)"
  grep -E 'sender|receiver' <<<"$out"
else
  bad "iperf3 through the driver failed: $out"
fi
kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=""

stop "$XPID"; rc=$stop_rc
XPID=""
if [ "$rc" -eq 0 ] && grep -q "stopping on signal" "$T/run.log" && grep -q "dp83820: removed" "$T/run.log"; then
  ok "xdrv run stopped cleanly on SIGTERM"
else
  bad "xdrv run exit $rc"; cat "$T/run.log"
fi
grep -E "^  (host|offload|wire|driver|link|rate) " "$T/run.log"
n=$(grep -oE "offload +[0-9]+ sent frames" "$T/run.log" | grep -oE "[0-9]+")
if [ "${n:-0}" -gt 0 ]; then
  ok "$n TCP/UDP frames from $NA had their checksum inserted by the NIC (checksum offload)"
else
  bad "no frame used the NIC's checksum offload"
fi
if grep -qE "\] (error|warning): |guest error" "$T/run.log"; then bad "errors in the run log"; cat "$T/run.log"; fi

echo "nic_ping.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
