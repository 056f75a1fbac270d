#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Packet extensions on a NIC (issue 16) through `xdrv run --ext` and `xdrv ext`: the signed sample
# extensions (build/ext/*.xdrv) and a hostile one (build/ext-test/loop.xdrv) on the dp83820
# driver's receive and transmit hooks.
#  - generator wire, in process and in a driver domain (where the extension runs in the driver
#    host): the filter drops exactly the frames its deny table names (all of them when it lists
#    the generator's source address, none when it lists another), on either hook, with counts;
#    the endless loop is stopped by its budget, detached and reported, and every frame still
#    arrives (policy pass) or all but the one it failed on (policy drop);
#  - live: `xdrv ext attach|detach|list|stats` against a running `xdrv run --control` while the
#    generator's frames flow, in process and in a driver domain (the supervisor verifies and
#    compiles, the driver host links and attaches): no frame is lost except those the attached
#    filter dropped; refused attaches (unsigned, a driver package, a bad hook, a replace of no
#    attachment) leave the chain as it was;
#  - TAP: UDP datagrams from a network namespace to two ports through the driver; the filter,
#    with the second port in its table, drops exactly those and nothing else.
# Addresses (10.83.21.0/24) exist only inside the namespaces made here; removed on exit.
#   usage: tests/e2e/ext_run.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: ext_run.sh BUILD_DIR}
X="$B/bin/xdrv"
PKG="$B/pkg/dp83820.xdrv"
E="$B/ext"
tag=$$
NA="xextA$tag" NB="xextB$tag" IA="xeA$tag" IB="xeB$tag"
T=$(mktemp -d)
XPID="" RPID=""
cleanup_procs() {
  [ -n "$RPID" ] && kill "$RPID" 2>/dev/null
  [ -n "$XPID" ] && stop "$XPID"
}
. "$(dirname "$0")/lib/netns.sh"

for f in "$PKG" "$E/filter.xdrv" "$E/empty.xdrv" "$E/flowcount.xdrv" "$B/ext-test/loop.xdrv"; do
  [ -r "$f" ] || { echo "FAIL - no $f (make all)"; exit 1; }
done
TRUST=(--trust "$B/pki/root.pem")
N=2000
GEN="gen:count=$N,size=60"
echo "10.0.0.2" > "$T/deny-gen"     # the generator's source address
echo "10.0.0.77" > "$T/deny-other"  # nobody's

has() { grep -qF -- "$2" <<<"$1"; }

# ---- generator wire, in process and in a driver domain ----------------------------------------
for mode in in-process domain; do
  M=()
  [ "$mode" = in-process ] && M=(--in-process)
  out=$("$X" run "${TRUST[@]}" "${M[@]}" --device dp83820 --wire "$GEN" \
    --ext "rx:$E/filter.xdrv:table=deny=$T/deny-gen" "$PKG" 2>&1)
  if has "$out" "host        received 0 frames" && has "$out" "from the NIC 0 frames" &&
     has "$out" "ext         rx filter 1.0.0 (id 1): $N runs, pass 0, drop $N," &&
     has "$out" "ext frames  rx dropped $N,"; then
    ok "$mode: rx filter denying 10.0.0.2 drops all $N generator frames, counted"
  else bad "$mode: rx filter deny 10.0.0.2: $out"; fi
  if [ "$mode" = domain ] && ! has "$out" "domain: driver host"; then
    bad "domain: the run had no driver host: $out"
  fi

  out=$("$X" run "${TRUST[@]}" "${M[@]}" --device dp83820 --wire "$GEN" \
    --ext "rx:$E/filter.xdrv:table=deny=$T/deny-other" "$PKG" 2>&1)
  if has "$out" "host        received $N frames" && has "$out" "from the NIC $N frames" &&
     has "$out" "rx filter 1.0.0 (id 1): $N runs, pass $N, drop 0,"; then
    ok "$mode: rx filter denying another address drops nothing"
  else bad "$mode: rx filter deny 10.0.0.77: $out"; fi

  out=$("$X" run "${TRUST[@]}" "${M[@]}" --device dp83820 --wire "$GEN" \
    --ext "tx:$E/filter.xdrv:table=deny=$T/deny-gen" "$PKG" 2>&1)
  if has "$out" "host        received $N frames" && has "$out" "from the NIC 0 frames" &&
     has "$out" "tx dropped $N;"; then
    ok "$mode: tx filter drops the $N echoed frames before the driver"
  else bad "$mode: tx filter: $out"; fi

  out=$("$X" run "${TRUST[@]}" "${M[@]}" --device dp83820 --wire "$GEN" \
    --ext "rx:$B/ext-test/loop.xdrv" --ext "rx:$E/empty.xdrv" "$PKG" 2>&1)
  if has "$out" "host        received $N frames" && has "$out" "from the NIC $N frames" &&
     grep -qE "warning: net0: extension loop detached from the rx hook: .*budget" <<<"$out" &&
     grep -qE "ext         rx loop 1.0.0 \(id 1\): 1 runs.*; detached: " <<<"$out" &&
     has "$out" "rx empty 1.0.0 (id 2): $N runs, pass $N" &&
     has "$out" "1 extension failure (0 frames dropped by policy)"; then
    ok "$mode: the endless loop is stopped by its budget and detached; all $N frames pass"
  else bad "$mode: hostile loop: $out"; fi

  out=$("$X" run "${TRUST[@]}" "${M[@]}" --device dp83820 --wire "$GEN" \
    --ext "rx:$B/ext-test/loop.xdrv:policy=drop" "$PKG" 2>&1)
  if has "$out" "host        received $((N - 1)) frames" &&
     has "$out" "1 extension failure (1 frames dropped by policy)"; then
    ok "$mode: policy=drop: the frame the loop failed on is dropped, the rest pass"
  else bad "$mode: hostile loop, policy drop: $out"; fi
done

out=$("$X" run "${TRUST[@]}" --device dp83820 --wire "$GEN" --ext "rx:$E/filter.xdrv:table=nope=$T/deny-gen" "$PKG" 2>&1); rc=$?
if [ "$rc" -ne 0 ] && has "$out" "extension filter has no table 'nope'"; then
  ok "an unknown table is refused, naming it"
else bad "unknown table: exit $rc: $out"; fi
out=$("$X" run "${TRUST[@]}" --device dp83820 --wire "$GEN" --ext "up:$E/filter.xdrv" "$PKG" 2>&1); rc=$?
if [ "$rc" -eq 2 ] && has "$out" "hook 'up' is neither rx nor tx"; then
  ok "a bad hook is a usage error"
else bad "bad hook: exit $rc: $out"; fi

# a driver package offered as an extension: refused from its manifest, in a driver domain by the
# supervisor before it compiles it (no driver host starts), in process before the loader does
for mode in in-process domain; do
  M=()
  [ "$mode" = in-process ] && M=(--in-process)
  out=$("$X" run "${TRUST[@]}" "${M[@]}" --device dp83820 --wire "$GEN" --ext "rx:$PKG" "$PKG" 2>&1); rc=$?
  if [ "$rc" = 1 ] && has "$out" "xdrv run: package dp83820.xdrv: is a driver, not an extension" &&
     ! has "$out" "domain: driver host"; then
    ok "$mode: a driver package given to --ext is refused from its manifest"
  else bad "$mode: --ext with a driver package: exit $rc: $out"; fi
done

# ---- live attach and detach while traffic flows ------------------------------------------------
L=8000000
SOCK="$T/ctl.sock"
"$X" run "${TRUST[@]}" --in-process --device dp83820 --param holdoff_us=0 --param rx_ring=256 \
  --param tx_ring=256 --wire "gen:count=$L,size=60,check=0,digest=0" --control="$SOCK" "$PKG" \
  >"$T/live.log" 2>&1 &
XPID=$!
for _ in $(seq 1200); do [ -S "$SOCK" ] && break; kill -0 "$XPID" 2>/dev/null || break; sleep 0.05; done
live_ok=1
a1=$("$X" ext attach --control "$SOCK" "rx:$E/empty.xdrv" 2>&1) || live_ok=0
a2=$("$X" ext attach --control "$SOCK" --pos 0 "rx:$E/filter.xdrv:table=deny=$T/deny-gen" 2>&1) || live_ok=0
sleep 0.2
lst=$("$X" ext list --control "$SOCK" 2>&1) || live_ok=0
id2=$(awk '{print $1; exit}' <<<"$a2")
"$X" ext detach --control "$SOCK" "$id2" >/dev/null 2>&1 || live_ok=0
id1=$(awk '{print $1; exit}' <<<"$a1")
st=$("$X" ext stats --control "$SOCK" 2>&1) || live_ok=0
"$X" ext detach --control "$SOCK" "$id1" >/dev/null 2>&1 || live_ok=0
"$X" ext detach --control "$SOCK" "$id1" >"$T/again" 2>&1 && live_ok=0
running=0
kill -0 "$XPID" 2>/dev/null && running=1
# the control's work is done: end the run (as its time cap would; its summary is the same)
STOP_WAIT=600 stop "$XPID"; rc=$stop_rc; XPID=""
out=$(cat "$T/live.log")
if [ "$live_ok" = 1 ] && grep -qE "^$id2 rx 0 filter 1.0.0 policy=pass$" <<<"$lst" &&
   grep -qE "^$id1 rx 1 empty 1.0.0 policy=pass$" <<<"$lst" && has "$st" "frames rx_dropped=" &&
   grep -q "not attached" "$T/again" && [ "$running" = 1 ]; then
  ok "live: attach (at a position), list, stats and detach while traffic flowed"
else bad "live control: ok=$live_ok running=$running a1=$a1 a2=$a2 list=$lst stats=$st $(cat "$T/again")"; fi
# none lost: every frame the driver received was delivered or dropped by the filter (the run is
# ended by SIGTERM once the control is done, long before its $L frames: count what the driver got)
dropped=$(grep -oE "rx dropped [0-9]+" <<<"$out" | grep -oE "[0-9]+$")
recv=$(grep -oE "host        received [0-9]+" <<<"$out" | grep -oE "[0-9]+$")
offered=$(grep -oE "driver      rx [0-9]+ packets" <<<"$out" | grep -oE "[0-9]+")
if [ "$rc" -eq 0 ] && [ -n "$dropped" ] && [ "$dropped" -gt 0 ] && [ -n "$recv" ] &&
   [ -n "$offered" ] && [ "$recv" -gt 0 ] && [ $((recv + dropped)) -eq "$offered" ]; then
  ok "live: $recv frames delivered + $dropped dropped by the filter while attached = $offered the driver received: none lost"
else bad "live: exit $rc, received ${recv:-?} + dropped ${dropped:-?} != ${offered:-?} received by the driver: $out"; fi
# in a driver domain: the supervisor relays detach, list and stats to the driver host, and for
# attach verifies and compiles the package and hands it to the running host, which links it and
# swaps the chain between dispatches; what is refused (unsigned, a driver, a bad hook, a replace
# of an attachment that is not there) leaves the chain and the traffic as they were
DS="$T/dom.sock"
LD=20000000
# flowcount's payload digest on the deny-list: refused at the start and for a live attach
"$X" revoke --deny-list "$T/deny.txt" --package "$E/flowcount.xdrv" >/dev/null 2>&1
out=$("$X" run "${TRUST[@]}" --device dp83820 --wire "$GEN" --ext-deny-list "$T/deny.txt" \
  --ext "rx:$E/flowcount.xdrv" "$PKG" 2>&1); rc=$?
if [ "$rc" = 1 ] && has "$out" "is on the deny-list" && ! has "$out" "wire: "; then
  ok "an extension whose payload digest is on --ext-deny-list is refused at the start"
else bad "deny-list at start: exit $rc: $out"; fi
"$X" run "${TRUST[@]}" --device dp83820 --param holdoff_us=0 --param rx_ring=256 --param tx_ring=256 \
  --wire "gen:count=$LD,size=60,check=0,digest=0" --ext-deny-list "$T/deny.txt" \
  --ext "rx:$E/empty.xdrv" --ext "tx:$E/empty.xdrv" --control="$DS" "$PKG" >"$T/dom.log" 2>&1 &
XPID=$!
for _ in $(seq 1200); do [ -S "$DS" ] && break; kill -0 "$XPID" 2>/dev/null || break; sleep 0.05; done
for _ in $(seq 600); do grep -q "^domain: driver host" "$T/dom.log" && break; sleep 0.05; done
dl=$("$X" ext list --control "$DS" 2>&1); r1=$?
ds=$("$X" ext detach --control "$DS" 2 2>&1); r2=$?
lb=$("$X" ext list --control "$DS" 2>&1)
ru=$("$X" ext attach --control "$DS" "rx:$E/empty.unsigned.xdrv" 2>&1); q1=$?
rd=$("$X" ext attach --control "$DS" "rx:$PKG" 2>&1); q2=$?
rh=$("$X" ext attach --control "$DS" "up:$E/filter.xdrv" 2>&1); q3=$?
rr=$("$X" ext attach --control "$DS" --replace 99 "rx:$E/filter.xdrv" 2>&1); q4=$?
rv=$("$X" ext attach --control "$DS" "rx:$E/flowcount.xdrv" 2>&1); q5=$?
la=$("$X" ext list --control "$DS" 2>&1)
da=$("$X" ext attach --control "$DS" --pos 0 "rx:$E/filter.xdrv:table=deny=$T/deny-gen" 2>&1); r3=$?
idf=$(awk '{print $1; exit}' <<<"$da")
sleep 0.3
dl2=$("$X" ext list --control "$DS" 2>&1)
dst=$("$X" ext stats --control "$DS" 2>&1)
dr=$("$X" ext attach --control "$DS" --replace "${idf:-0}" "rx:$E/empty.xdrv" 2>&1); r4=$?
idr=$(awk '{print $1; exit}' <<<"$dr")
sleep 0.1
dd=$("$X" ext detach --control "$DS" "${idr:-0}" 2>&1); r5=$?
dl3=$("$X" ext list --control "$DS" 2>&1)
running=0
kill -0 "$XPID" 2>/dev/null && running=1
STOP_WAIT=600 stop "$XPID"; rc=$stop_rc; XPID=""
dom=$(cat "$T/dom.log")
if [ "$r1" = 0 ] && grep -qE "^1 rx 0 empty 1.0.0 policy=pass$" <<<"$dl" && grep -qE "^2 tx 0 empty" <<<"$dl" &&
   [ "$r2" = 0 ] && grep -qE "^2 tx - empty 1.0.0 detached: detached on request$" <<<"$lb" &&
   [ "$running" = 1 ] && [ "$rc" = 0 ] && grep -q "domain: driver host" "$T/dom.log"; then
  ok "driver domain: list and detach relayed to the driver host under traffic"
else bad "driver domain control: list=$dl ($r1) detach=$ds ($r2) list=$lb running=$running exit $rc: $dom"; fi
if [ "$q1" = 1 ] && has "$ru" "unsigned, and this host requires signatures" &&
   [ "$q2" = 1 ] && has "$rd" "is a driver, not an extension" &&
   [ "$q3" = 1 ] && has "$rh" "hook 'up' is neither rx nor tx" &&
   [ "$q4" = 1 ] && has "$rr" "99" && [ "$q5" = 1 ] && has "$rv" "is on the deny-list" &&
   [ -n "$lb" ] && [ "$lb" = "$la" ] &&
   has "$dom" "control: attach refused: " && has "$dom" "control: attach refused by the driver host: "; then
  ok "driver domain: unsigned, revoked (deny-list), a driver package, a bad hook and a replace of no attachment refused saying why; the chain unchanged"
else bad "driver domain refusals: unsigned=$ru ($q1) driver=$rd ($q2) hook=$rh ($q3) replace=$rr ($q4) revoked=$rv ($q5) before=$lb after=$la"; fi
if [ "$r3" = 0 ] && has "$da" "filter 1.0.0 attached to the rx hook" &&
   grep -qE "^$idf rx 0 filter 1.0.0 policy=pass$" <<<"$dl2" && grep -qE "^1 rx 1 empty 1.0.0 policy=pass$" <<<"$dl2" &&
   grep -qE "^$idf rx filter runs=[1-9][0-9]* pass=0 drop=[1-9]" <<<"$dst" &&
   [ "$r4" = 0 ] && has "$dr" "empty 1.0.0 replaced its attachment on the rx hook" && [ "$r5" = 0 ] &&
   grep -qE "^$idf rx - filter 1.0.0 detached: replaced$" <<<"$dl3" &&
   grep -qE "^$idr rx - empty 1.0.0 detached: detached on request$" <<<"$dl3" &&
   grep -qE "^control: extension filter 1.0.0 \(package sha256 [0-9a-f]{64}, object sha256 [0-9a-f]{64}, compiled by the supervisor\) attached to the rx hook in the driver host \(id $idf\)$" <<<"$dom"; then
  ok "driver domain: filter attached live (compiled by the supervisor, linked by the host, logged with its digests), listed, replaced and detached under traffic"
else bad "driver domain live attach: attach=$da ($r3) list=$dl2 stats=$dst replace=$dr ($r4) detach=$dd ($r5) list=$dl3: $dom"; fi
dropped=$(grep -oE "rx dropped [0-9]+" <<<"$dom" | grep -oE "[0-9]+$")
recv=$(grep -oE "host        received [0-9]+" <<<"$dom" | grep -oE "[0-9]+$")
offered=$(grep -oE "driver      rx [0-9]+ packets" <<<"$dom" | grep -oE "[0-9]+")
if [ "$rc" -eq 0 ] && [ -n "$dropped" ] && [ "$dropped" -gt 0 ] && [ -n "$recv" ] &&
   [ -n "$offered" ] && [ "$recv" -gt 0 ] && [ $((recv + dropped)) -eq "$offered" ]; then
  ok "driver domain: $recv frames delivered + $dropped dropped by the filter attached live = $offered the driver received: none lost"
else bad "driver domain: exit $rc, received ${recv:-?} + dropped ${dropped:-?} != ${offered:-?} received by the driver: $dom"; fi

# ---- TAP: UDP to two ports, the second denied -----------------------------------------------------
for t in ip python3; do
  command -v "$t" >/dev/null || { echo "FAIL - $t not installed"; exit 1; }
done
netns_add || { echo "FAIL - cannot create network namespaces"; exit 1; }
# TCP/UDP port rule: ((proto << 16) | port) << 32, UDP port 7001
printf '0x%016x\n' $(( ((17 << 16) | 7001) << 32 )) > "$T/deny-7001"
"$X" run "${TRUST[@]}" --device dp83820 --host-tap "$IA@$NA" --wire "tap:$IB@$NB" \
  --ext "rx:$E/filter.xdrv:table=deny=$T/deny-7001" --ext "rx:$E/flowcount.xdrv" \
  --ext "tx:$E/flowcount.xdrv" "$PKG" >"$T/tap.log" 2>&1 &
XPID=$!
netns_wait_wire "$T/tap.log" 100 "$XPID" || { bad "xdrv run did not create both TAPs: $(cat "$T/tap.log")"; exit 1; }
netns_addr 10.83.21
cat > "$T/recv.py" <<'EOF'
import select, socket, sys, time
socks = {}
for p in (7000, 7001):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.83.21.1", p))
    socks[s] = p
got = {7000: 0, 7001: 0}
open(sys.argv[1], "w").close()  # ready
end = time.time() + float(sys.argv[2])
while time.time() < end:
    r, _, _ = select.select(list(socks), [], [], 0.1)
    for s in r:
        s.recv(2048)
        got[socks[s]] += 1
print(got[7000], got[7001])
EOF
cat > "$T/send.py" <<'EOF'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):
    for p in (7000, 7001):
        s.sendto(b"x" * 32, ("10.83.21.1", p))
    time.sleep(0.002)
EOF
# ARP first, so that no datagram waits for a neighbour
ip netns exec "$NB" ping -c 1 -W 2 10.83.21.1 >/dev/null 2>&1
ip netns exec "$NA" python3 "$T/recv.py" "$T/ready" 4 >"$T/recv.out" 2>&1 &
RPID=$!
for _ in $(seq 50); do [ -e "$T/ready" ] && break; sleep 0.05; done
ip netns exec "$NB" python3 "$T/send.py"
wait "$RPID"; RPID=""
read -r g7000 g7001 < "$T/recv.out"
stop "$XPID"; XPID=""
out=$(cat "$T/tap.log")
drop=$(grep -oE "rx filter 1.0.0 \(id 1\): [0-9]+ runs, pass [0-9]+, drop [0-9]+" <<<"$out" | grep -oE "[0-9]+$")
if [ "${g7000:-x}" = 200 ] && [ "${g7001:-x}" = 0 ] && [ "${drop:-x}" = 200 ] && [ "$stop_rc" -eq 0 ]; then
  ok "TAP: 200 datagrams to port 7000 arrive, the 200 to the denied port 7001 are dropped (filter drop 200)"
else bad "TAP: port 7000 got ${g7000:-?}, 7001 got ${g7001:-?}, filter dropped ${drop:-?}, exit $stop_rc: $(cat "$T/recv.out") $out"; fi

# flowcount behind the filter on rx (sees only what the filter passed) and alone on tx: every
# frame runs through it and passes
fc_rx=$(grep -oE "rx flowcount 1.0.0 \(id [0-9]+\): [0-9]+ runs, pass [0-9]+, drop [0-9]+" <<<"$out" || true)
fc_tx=$(grep -oE "tx flowcount 1.0.0 \(id [0-9]+\): [0-9]+ runs, pass [0-9]+, drop [0-9]+" <<<"$out" || true)
read -r fr_runs fr_pass fr_drop < <(grep -oE "[0-9]+ runs, pass [0-9]+, drop [0-9]+" <<<"$fc_rx" | tr -dc '0-9 \n' | awk '{ print $1, $2, $3 }')
read -r ft_runs ft_pass ft_drop < <(grep -oE "[0-9]+ runs, pass [0-9]+, drop [0-9]+" <<<"$fc_tx" | tr -dc '0-9 \n' | awk '{ print $1, $2, $3 }')
fpass=$(grep -oE "rx filter 1.0.0 \(id 1\): [0-9]+ runs, pass [0-9]+" <<<"$out" | grep -oE "[0-9]+$")
if [ -n "${fr_runs:-}" ] && [ "$fr_runs" = "${fpass:-x}" ] && [ "$fr_pass" = "$fr_runs" ] && [ "$fr_drop" = 0 ] &&
   [ "${fr_runs:-0}" -ge 200 ] && [ -n "${ft_runs:-}" ] && [ "${ft_runs:-0}" -ge 1 ] && [ "$ft_pass" = "$ft_runs" ]; then
  ok "TAP: flowcount behind the filter saw exactly the $fr_runs frames the filter passed, and $ft_runs on tx, all passed"
else bad "TAP: flowcount rx '$fc_rx' (filter passed ${fpass:-?}), tx '$fc_tx'"; fi

echo "ext_run.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
