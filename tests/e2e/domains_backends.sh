#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Driver domains, the backends' side (issue 12): in an isolated `xdrv run` the wire and disks that
# touch the outside world are served by the supervisor (a backend server it forks) and reached
# by the driver host through netfront/blkfront rings over the loop transport; the host TAP is
# opened by the supervisor and its descriptor handed over. Checked here:
#   - a disk image file written and read through the supervisor's backend: the bytes are in the
#     file, the driver host has network and user namespaces of its own (it opened no file);
#   - a write the backend acknowledged is in the file after the driver host is SIGKILLed, with
#     no restart (a driver host that dies loses nothing the supervisor acknowledged);
#   - a NIC driver host SIGKILLed mid-run is restarted, and ping goes through again with no
#     address set again: both TAPs, and their addresses, outlived the driver host;
#   - --backends supervisor moves generator frames through the ring too; --backends host is the
#     arrangement without rings; bad values and files that cannot be opened are named;
#   - xdrv boot serves a booted driver's disk file the same way;
#   - --cpu-limit stops a driver host at its CPU time, SIGXCPU named;
#   - --lazy runs in a driver host, each function compiled by the compiler process on its first
#     call, again after a restart;
#   - after each run no backend server is left and its directory is gone.
#   usage: tests/e2e/domains_backends.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: domains_backends.sh BUILD_DIR}" && pwd)
X="$B/bin/xdrv"
TRUST="$B/pki/root.pem"
tag=$$
NA="xdbA$tag" NB="xdbB$tag" IA="xbA$tag" IB="xbB$tag"
T=$(mktemp -d /tmp/xdrv-domains-backends.XXXXXX)
XPID=""
cleanup_procs() { [ -n "$XPID" ] && kill -KILL "$XPID" 2>/dev/null && wait "$XPID" 2>/dev/null; }
. "$(dirname "$0")/lib/netns.sh"
has() { grep -qE -- "$2" <<<"$1"; }

# the backend server named in a run's output is gone, and so is its directory
server_gone() { # LOG
  local pid
  pid=$(grep -oE "backend server [0-9]+\)" "$1" | grep -oE "[0-9]+" | head -1)
  [ -n "$pid" ] || return 1
  ! kill -0 "$pid" 2>/dev/null
}
# the supervisors of this test make their servers' directories here, where no other test looks
export TMPDIR=$T
no_new_dirs() { ! ls -d "$T"/xdrv-split.* >/dev/null 2>&1; }

truncate -s 16M "$T/disk.img"
head -c 65536 /dev/urandom >"$T/pat"

# ---- a disk file through the supervisor's backend ---------------------------------------------
"$X" run --trust "$TRUST" --device "virtio-scsi:disk=file:$T/disk.img" \
  --blk-write "sda:64:$T/pat" --blk-flush sda --blk-read "sda:64:128:$T/back" \
  "$B/pkg/virtio_scsi.xdrv" >"$T/disk.log" 2>&1
rc=$?
out=$(cat "$T/disk.log")
if [ "$rc" -eq 0 ] && has "$out" "supervisor: serves disk file:$T/disk.img to the driver host" &&
   cmp -s "$T/pat" "$T/back" &&
   cmp -s "$T/pat" <(dd if="$T/disk.img" bs=512 skip=64 count=128 2>/dev/null); then
  ok "disk file served by the supervisor: 64 KiB written through the driver are in the file at LBA 64 and read back"
else
  bad "disk file through the supervisor: exit $rc"; echo "$out"
fi
if has "$out" "namespaces user,net"; then
  ok "the driver host of a file disk runs in user and network namespaces of its own (it opened no file)"
else
  bad "the driver host did not get namespaces: $(grep 'domain: driver host' <<<"$out")"
fi
if server_gone "$T/disk.log" && no_new_dirs; then
  ok "after the run: no backend server left, its directory removed"
else
  bad "a backend server or its directory was left"; ls -d "$T"/xdrv-split.* 2>/dev/null
fi

# ---- an acknowledged write outlives a driver host killed without restart ---------------------
truncate -s 0 "$T/disk.img"; truncate -s 16M "$T/disk.img"
"$X" run --trust "$TRUST" --restarts 0 --for 60000 --device "virtio-scsi:disk=file:$T/disk.img" \
  --blk-write "sda:0:$T/pat" "$B/pkg/virtio_scsi.xdrv" >"$T/kill.log" 2>&1 &
XPID=$!
for _ in $(seq 300); do grep -q "blk: sda: wrote 65536 bytes" "$T/kill.log" && break; sleep 0.1; done
host=$(grep -oE "domain: driver host [0-9]+" "$T/kill.log" | grep -oE "[0-9]+$" | head -1)
[ -n "$host" ] && kill -KILL "$host"
wait "$XPID"; rc=$?; XPID=""
out=$(cat "$T/kill.log")
if [ -n "$host" ] && [ "$rc" -eq 1 ] && has "$out" "driver host $host died: SIGKILL" &&
   cmp -s "$T/pat" <(head -c 65536 "$T/disk.img"); then
  ok "a write the backend acknowledged is in the file after its driver host was SIGKILLed (exit 1, no restart)"
else
  bad "acknowledged write after SIGKILL: exit $rc, host '$host'"; echo "$out"
fi
server_gone "$T/kill.log" && no_new_dirs || bad "a backend server or its directory was left after the kill"

# ---- bad values and files that cannot be opened ---------------------------------------------
out=$("$X" run --trust "$TRUST" --backends nowhere --device dp83820 "$B/pkg/dp83820.xdrv" 2>&1); rc=$?
if [ "$rc" -eq 2 ] && has "$out" "--backends wants auto, supervisor or host, not.*nowhere"; then
  ok "--backends nowhere is refused, naming the choices"
else bad "--backends nowhere: exit $rc: $out"; fi
out=$("$X" run --trust "$TRUST" --backends host --in-process --device dp83820 "$B/pkg/dp83820.xdrv" 2>&1); rc=$?
if [ "$rc" -eq 2 ] && has "$out" "not with --in-process"; then
  ok "--backends with --in-process is refused"
else bad "--backends --in-process: exit $rc: $out"; fi
out=$("$X" run --trust "$TRUST" --device "virtio-scsi:disk=file:$T/missing.img" "$B/pkg/virtio_scsi.xdrv" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && has "$out" "backend server: vbd 51712: .*missing.img.*No such file" && ! has "$out" "driver host"; then
  ok "a disk file that cannot be opened is named by the supervisor before any driver host runs"
else bad "missing disk file: exit $rc: $out"; fi

# ---- --cpu-limit: a driver host that uses up its CPU time is killed with SIGXCPU, named --------
out=$("$X" run --trust "$TRUST" --cpu-limit 1 --restarts 0 --device dp83820 \
  --wire gen:count=1000000000,size=60,check=0,digest=0 "$B/pkg/dp83820.xdrv" 2>&1); rc=$?
if [ "$rc" -eq 1 ] && has "$out" "died: SIGXCPU: CPU-time limit \(1 s\) reached"; then
  ok "--cpu-limit 1: the busy driver host was stopped at 1 s of CPU, SIGXCPU named"
else bad "--cpu-limit: exit $rc: $(tail -5 <<<"$out")"; fi
out=$("$X" run --trust "$TRUST" --cpu-limit 0 --device dp83820 "$B/pkg/dp83820.xdrv" 2>&1); rc=$?
if [ "$rc" -eq 2 ] && has "$out" "--cpu-limit wants seconds"; then
  ok "--cpu-limit 0 is a usage error"
else bad "--cpu-limit 0: exit $rc: $out"; fi

# ---- --lazy in a driver host: functions come from the compiler process on first call ---------
"$X" run --trust "$TRUST" --lazy --device dp83820 --wire gen:count=100000000,size=60,check=0,digest=0 \
  --for 4000 "$B/pkg/dp83820.xdrv" >"$T/lazy.log" 2>&1 &
XPID=$!
host=""
for _ in $(seq 300); do
  grep -q "^wire: gen.0 attached" "$T/lazy.log" && break
  sleep 0.1
done
host=$(grep -oE "domain: driver host [0-9]+" "$T/lazy.log" | grep -oE "[0-9]+$" | head -1)
sleep 0.5
[ -n "$host" ] && kill -KILL "$host"
wait "$XPID"; rc=$?; XPID=""
out=$(cat "$T/lazy.log")
n=$(grep -oE "jit +lazy, [0-9]+ of [0-9]+ functions compiled" <<<"$out" | grep -oE "[0-9]+" | head -1)
if [ "$rc" -eq 0 ] && [ -n "$host" ] && has "$out" "domain: driver host [0-9]+: seccomp" &&
   has "$out" "each function's object came from the compiler process" && [ "${n:-0}" -gt 0 ] &&
   has "$out" "driver host $host died: SIGKILL; restart 1 of 3" && has "$out" "ready .* after the last one died"; then
  ok "--lazy runs in a sandboxed driver host, $n functions compiled by the compiler process on first call, and again after a restart"
else bad "--lazy in a driver host: exit $rc"; echo "$out" | grep -v '^\[dp83820\]'; fi

# ---- generator frames through the ring (--backends supervisor); --backends host --------------
out=$("$X" run --trust "$TRUST" --backends supervisor --device dp83820 --wire gen:count=2000,size=60 \
  "$B/pkg/dp83820.xdrv" 2>&1); rc=$?
if [ "$rc" -eq 0 ] && has "$out" "serves wire gen:count=2000,size=60" &&
   has "$out" "netfront.0: to the NIC 2000 frames \(120000 bytes\), from the NIC 2000 frames" &&
   has "$out" "driver      rx 2000 packets 120000 bytes, tx 2000 packets 120000 bytes; errors rx 0 tx 0"; then
  ok "--backends supervisor: 2000 generator frames in through the netfront ring and echoed out"
else bad "--backends supervisor with a generator: exit $rc"; echo "$out"; fi
# the generator is the backend server's: a backend that stalls (here stopped for 300 ms as soon
# as it serves, longer than the run's 20 ms idle end) must not end the driver host's run early
"$X" run --trust "$TRUST" --backends supervisor --device dp83820 --wire gen:count=2000,size=60 \
  "$B/pkg/dp83820.xdrv" >"$T/stall.log" 2>&1 &
spid=$! bpid=""
for _ in $(seq 400); do
  bpid=$(sed -n 's/.*(backend server \([0-9]*\)).*/\1/p' "$T/stall.log")
  [ -n "$bpid" ] && break; kill -0 "$spid" 2>/dev/null || break; sleep 0.01
done
[ -n "$bpid" ] && kill -STOP "$bpid" 2>/dev/null && sleep 0.3 && kill -CONT "$bpid"
wait "$spid"; rc=$?; out=$(cat "$T/stall.log")
if [ -n "$bpid" ] && [ "$rc" -eq 0 ] &&
   has "$out" "netfront.0: to the NIC 2000 frames \(120000 bytes\), from the NIC 2000 frames"; then
  ok "--backends supervisor: a backend stalled for 300 ms, still all 2000 frames (the host waits for the generator's count)"
else bad "--backends supervisor with a stalled backend: exit $rc"; echo "$out"; fi
out=$("$X" run --trust "$TRUST" --backends host --device "virtio-scsi:disk=file:$T/disk.img" \
  --blk-read "sda:0:128:$T/back2" "$B/pkg/virtio_scsi.xdrv" 2>&1); rc=$?
if [ "$rc" -eq 0 ] && ! has "$out" "supervisor: serves" && cmp -s "$T/pat" "$T/back2"; then
  ok "--backends host: the driver host opens the file itself, and reads what the killed host's write left"
else bad "--backends host: exit $rc"; echo "$out"; fi

# ---- xdrv boot: a disk file of a booted driver is served by the boot -------------------------
cp "$B/pkg/virtio_scsi.xdrv" "$B/pkg/hello.xdrv" "$T/"
boot_cfg() { # DISK-FILE
  printf '{"format": 1, "trust": {"root": "%s"}, "state_dir": "%s/state", "event_log": "%s/state/events.log",
  "cache": false, "drivers": [{"package": "%s/virtio_scsi.xdrv", "device": "virtio-scsi:disk=file:%s"},
  {"package": "%s/hello.xdrv", "device": "null"}]}\n' "$TRUST" "$T" "$T" "$T" "$1" "$T" >"$T/boot.json"
}
boot_cfg "$T/disk.img"
out=$("$X" boot --config "$T/boot.json" 2>&1); rc=$?
echo "$out" >"$T/boot.log"
if [ "$rc" -eq 0 ] && has "$out" "boot: virtio_scsi: the boot serves disk file:$T/disk.img to its driver host" &&
   has "$out" "sda: target 0 lun 0, 32768 blocks" && has "$out" "2 driver\(s\) booted, 0 refused"; then
  ok "xdrv boot: the virtio_scsi driver probed its disk file through the boot's backend server"
else bad "xdrv boot with a disk file: exit $rc"; echo "$out"; fi
server_gone "$T/boot.log" && no_new_dirs || bad "a backend server or its directory was left after the boot"
boot_cfg "$T/missing.img"
out=$("$X" boot --config "$T/boot.json" 2>&1); rc=$?
if [ "$rc" -ne 0 ] && has "$out" "refused: virtio_scsi.xdrv: .*backend server: vbd 51712: .*missing.img.*No such file"; then
  ok "xdrv boot: a disk file that cannot be opened refuses that driver, named"
else bad "xdrv boot with a missing disk file: exit $rc"; echo "$out"; fi

# ---- a NIC driver host killed mid-run: both TAPs and their addresses outlive it ---------------
for t in ip ping; do command -v "$t" >/dev/null || { bad "$t not installed"; exit 1; }; done
ip netns add "$NA" && ip netns add "$NB" || { bad "cannot create network namespaces"; exit 1; }
"$X" run --trust "$TRUST" --device dp83820 --host-tap "$IA@$NA" --wire "tap:$IB@$NB" \
  "$B/pkg/dp83820.xdrv" >"$T/nic.log" 2>&1 &
XPID=$!
for _ in $(seq 300); do
  grep -q "^wire: netfront.0 attached" "$T/nic.log" && ip -n "$NA" link show "$IA" >/dev/null 2>&1 &&
    ip -n "$NB" link show "$IB" >/dev/null 2>&1 && break
  kill -0 "$XPID" 2>/dev/null || break
  sleep 0.1
done
netns_addr 10.83.21 || bad "could not configure the TAPs"
if out=$(ip netns exec "$NA" ping -c 3 -i 0.2 -W 2 10.83.21.2 2>&1); then
  ok "ping through the driver, the wire served by the supervisor: $(grep transmitted <<<"$out")"
else bad "ping before the kill: $out"; cat "$T/nic.log"; fi
host=$(grep -oE "domain: driver host [0-9]+" "$T/nic.log" | grep -oE "[0-9]+$" | head -1)
[ -n "$host" ] && kill -KILL "$host"
for _ in $(seq 300); do grep -q "ready .* after the last one died" "$T/nic.log" && break; sleep 0.1; done
if grep -q "driver host $host died: SIGKILL; restart 1 of 3" "$T/nic.log" &&
   grep -q "ready .* after the last one died" "$T/nic.log"; then
  ok "the SIGKILLed driver host was restarted: $(grep -oE 'ready .* died' "$T/nic.log")"
else bad "no restart after SIGKILL"; cat "$T/nic.log"; fi
if ip -n "$NA" -4 addr show "$IA" | grep -q 10.83.21.1 && ip -n "$NB" -4 addr show "$IB" | grep -q 10.83.21.2 &&
   out=$(ip netns exec "$NA" ping -c 3 -i 0.2 -W 2 10.83.21.2 2>&1); then
  ok "after the restart both TAPs kept their addresses and ping goes through: $(grep transmitted <<<"$out")"
else bad "after the restart: $out"; ip -n "$NA" addr; ip -n "$NB" addr; fi
kill -TERM "$XPID"; wait "$XPID"; rc=$?; XPID=""
if [ "$rc" -eq 0 ] && grep -q "stopping on signal 15" "$T/nic.log" && server_gone "$T/nic.log" && no_new_dirs; then
  ok "SIGTERM ends the restarted run cleanly; no backend server left"
else bad "end of the NIC run: exit $rc"; cat "$T/nic.log"; fi

echo "domains_backends.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
