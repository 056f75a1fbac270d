#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The hostile signed driver suite of issue 12 (driver domains), tests/hostile/: each driver is
# built, packed and signed with the build's dev PKI, then run by `xdrv run` in a driver host
# (the default) and, where that is safe, with --in-process, to show the difference:
#
#   system, raw_syscall, host_file, fork_exec   libc reached through the memcpy import
#                                               (tests/hostile/libc.h): a shell command, a raw
#                                               socket(), a host file, fork+exec
#   alloc                                       unbounded allocation (ABI, then libc malloc)
#   spin_irq, spin_poll                         an interrupt handler / a NAPI poll that never return
#   recursion                                   unbounded recursion in probe
#   deny_patch, system (xdrv boot)              a driver booted before a revoked package patches the
#                                               deny-list in the boot's memory; system() in a boot
#
# For each: the supervisor stays alive with exit status 0 or 1, says why the host died on stderr,
# and the side effect did not happen; afterwards no process of the run is left. Throughout, a
# second driver (dp83820 on the in-process frame generator) moves frames in a run of its own
# beside each case; every one of its runs must move all frames, with the digests of a reference
# run.
#
# Every check is tagged. [base]: holds with the driver host as it is (fork, heartbeat, restart).
# [sandbox]: needs the real sandbox (common/sandbox.c: seccomp allow-list, no files, rlimits) in
# the driver host, and for xdrv boot in the boot's child (loader/boot_child.c); it FAILS against
# the stub sandbox (no_new_privs only), and that failure is the point: the attack works there.
# Spins accept the budget's message ("loop budget ... exhausted in function F", the IR
# instrumentation) or the supervisor's heartbeat deadline: both are legitimate stops.
#   usage: tests/e2e/domains_hostile.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: domains_hostile.sh BUILD_DIR}" && pwd)
X="$B/bin/xdrv"
H=$(cd "$(dirname "$0")/../hostile" && pwd)
T=$(mktemp -d /tmp/xdrv-domains-hostile.XXXXXX)
TAG="$$${RANDOM}" # names the drivers' files: /tmp/xdrv-hostile-TAG.* (their parameter `tag`)
COMP_PID=
cleanup() {
  [ -n "$COMP_PID" ] && kill "$COMP_PID" 2>/dev/null && wait "$COMP_PID" 2>/dev/null
  rm -rf "$T" /tmp/xdrv-hostile-"$TAG".*
}
trap cleanup EXIT
fails=0 fails_sandbox=0 skips=0
ok()   { echo "ok   - [$1] ${*:2}"; }
bad()  {
  echo "FAIL - [$1] ${*:2}"; fails=$((fails + 1))
  [ "$1" = sandbox ] && fails_sandbox=$((fails_sandbox + 1))
}
skip() { echo "skip - [$1] ${*:2}"; skips=$((skips + 1)); }
# check TAG DESCRIPTION -- condition command...
check() {
  local tag=$1 what=$2; shift 3
  if "$@"; then ok "$tag" "$what"; else bad "$tag" "$what"; fi
}
has()    { grep -qE -- "$2" <<<"$1"; }
hasnt()  { ! grep -qE -- "$2" <<<"$1"; }
SANE='^[01]$' # exit status of a supervisor that survived: 0, or 1 (the driver failed or gave up)

# ---- the suite, signed ------------------------------------------------------------------------
# deny_patch carries the payload digest of the package it wants to un-revoke (hello's): an
# attacker holding that package knows it
payload_of() { "$X" verify --trust "$B/pki/root.pem" "$1" | awk '/^payload sha256:/{print $3}'; }
HELLO_SHA=$(payload_of "$B/pkg/hello.xdrv")
[ ${#HELLO_SHA} -eq 64 ] || { echo "FAIL - no payload digest of hello from xdrv verify"; exit 1; }
for d in system raw_syscall host_file fork_exec alloc spin_irq spin_poll recursion deny_patch; do
  def=()
  [ "$d" = deny_patch ] && def=(-D "DENY_TARGET=\"$HELLO_SHA\"")
  if ! { "$X" build "${def[@]}" -o "$T/$d.bc" "$H/$d.c" &&
         "$X" pack -o "$T/$d.unsigned.xdrv" --version 1.0.0 --security-version 1 "$T/$d.bc" &&
         "$X" sign --cert "$B/pki/signer.pem" --key "$B/pki/signer.key" --chain "$B/pki/vendor.pem" \
           -o "$T/$d.xdrv" "$T/$d.unsigned.xdrv"; } >"$T/$d.build.log" 2>&1; then
    echo "FAIL - building tests/hostile/$d.c: $(cat "$T/$d.build.log")"; exit 1
  fi
  # the lint passed them all: nothing here imports anything but ABI symbols
  grep -q "warning: .*lint\|error:" "$T/$d.build.log" && bad base "$d: xdrv build reported: $(cat "$T/$d.build.log")"
done
echo "ok   - [base] the suite builds lint-clean and is signed with the dev PKI"

RUN=("$X" run --trust "$B/pki/root.pem" --cache "$T/cache")

# ---- the second driver: dp83820 on the frame generator, a run beside each case ---------------
FRAMES=200000
companion_run() { "${RUN[@]}" --device dp83820 --wire "gen:count=$FRAMES,size=60" "$B/pkg/dp83820.xdrv"; }
# the reference: its digests every later run must show
companion_run >"$T/comp.ref" 2>&1 || { echo "FAIL - the reference dp83820 run: $(cat "$T/comp.ref")"; exit 1; }
REF_HOST=$(grep -oE 'host +received [0-9]+ frames \([0-9]+ bytes, digest [0-9a-f]+\), sent [0-9]+ frames' "$T/comp.ref")
REF_WIRE=$(grep -oE 'from the NIC [0-9]+ frames \([0-9]+ bytes, 0 errors, 0 bad, digest [0-9a-f]+\)' "$T/comp.ref")
if [[ $REF_HOST == *"received $FRAMES frames"*"sent $FRAMES frames" && $REF_WIRE == "from the NIC $FRAMES frames"* ]]; then
  ok base "reference dp83820 run: $FRAMES frames each way"
else echo "FAIL - the reference dp83820 run moved other counts: $(cat "$T/comp.ref")"; exit 1; fi
N_COMP=0
companion_start() {
  N_COMP=$((N_COMP + 1))
  companion_run >"$T/comp.$N_COMP" 2>&1 &
  COMP_PID=$!
  # frames flow once the link is up (a driver's log line flushes the output)
  for _ in $(seq 300); do grep -q "link up" "$T/comp.$N_COMP" 2>/dev/null && return; sleep 0.1; done
}
companion_check() { # CASE
  local rc
  wait "$COMP_PID"; rc=$?; COMP_PID=
  local out; out=$(cat "$T/comp.$N_COMP")
  if [ "$rc" -eq 0 ] && grep -qF -- "$REF_HOST" <<<"$out" && grep -qF -- "$REF_WIRE" <<<"$out"; then
    ok base "$1: meanwhile dp83820 moved all $FRAMES frames each way, digests as in the reference"
  else bad base "$1: the dp83820 run beside it: exit $rc: $(grep -E 'host |wire |xdrv run' <<<"$out")"; fi
}

# ---- one case ---------------------------------------------------------------------------------
# hostile NAME MODE ARGS... : runs `xdrv run` (MODE isolated or in-process) on NAME's package with
# the companion beside it; OUT, ERR, RC are what it printed and its exit status
hostile() {
  local name=$1 mode=$2; shift 2
  local extra=()
  [ "$mode" = in-process ] && extra=(--in-process)
  CASE="$name ($mode)"
  companion_start
  timeout -k 5 120 "${RUN[@]}" "${extra[@]}" "$@" "$T/$name.xdrv" >"$T/out" 2>"$T/err"
  RC=$?
  OUT=$(cat "$T/out") ERR=$(cat "$T/err")
  echo "---- $CASE: exit $RC"
  sed 's/^/  | /' "$T/err"
  grep -E '^\[|^domain:' "$T/out" | sed 's/^/  > /' | head -40
  if [ "$RC" = 124 ] || [ "$RC" = 137 ]; then bad base "$CASE: did not end within 120 s (timeout)"
  elif [[ $RC =~ $SANE ]]; then ok base "$CASE: the supervisor ended normally (exit $RC)"
  else bad base "$CASE: the supervisor's exit status $RC (a signal or crash)"; fi
  no_leftovers
  companion_check "$CASE"
}

# Nothing of the run is left: no process with our folder in its command line (supervisor, driver
# hosts, what a driver spawned), no driver host it reported, no shared memory of ours.
no_leftovers() {
  local left pids alive=""
  left=$(pgrep -af -- "$T/" | grep -v "dp83820.xdrv" || true)
  pids=$(grep -oE 'driver host [0-9]+(:| died)' <<<"$OUT$ERR" | grep -oE '[0-9]+' | sort -u)
  for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
  if [ -z "$left" ] && [ -z "$alive" ]; then ok base "$CASE: no process left (driver hosts: $(echo "$pids" | tr '\n' ' '))"
  else bad base "$CASE: left behind: $left${alive:+ driver hosts still alive:$alive}"; fi
  local shm; shm=$(find /dev/shm -maxdepth 1 -newer "$T/start" -name "*xdrv*" 2>/dev/null)
  if [ -z "$shm" ]; then ok base "$CASE: no shared memory left in /dev/shm"; else bad base "$CASE: shared memory left: $shm"; fi
}
touch "$T/start"

SIGSYS='driver host [0-9]+ died: SIGSYS: the sandbox denied system call'
DEADLINE='driver host [0-9]+ died: missed its heartbeat deadline|loop budget .* exhausted in function'
MARK=/tmp/xdrv-hostile-$TAG

# ---- system(): a shell command through libc ---------------------------------------------------
rm -f "$MARK.pwned"
hostile system isolated --device null --param tag="$TAG" --restarts 1
# system() spawns with every signal blocked (glibc's posix_spawn): the kernel then forces the
# seccomp SIGSYS with its default action, no handler in the host runs, and the call cannot be
# named (a supervisor could learn it through SECCOMP_RET_USER_NOTIF: not done); the supervisor
# says SIGSYS and why the call has no name
check sandbox "system (isolated): stderr says the sandbox denied a system call (SIGSYS, blocked: unnamed)" -- \
  has "$ERR" "driver host [0-9]+ died: SIGSYS: the sandbox denied a system call made with SIGSYS blocked"
check sandbox "system (isolated): the command did not run (no $MARK.pwned)" -- test ! -e "$MARK.pwned"
check sandbox "system (isolated): system() never returned in the driver host" -- hasnt "$OUT" "system\(\) returned"
check base "system (isolated): the driver found libc through its memcpy import" -- \
  has "$OUT" "\[system\] libc.h: memcpy at 0x[0-9a-f]+ is in the ELF object at|\[system\] libc.h: resolved system"
rm -f "$MARK.pwned"
hostile system in-process --device null --param tag="$TAG"
check base "system (in-process): the command ran: $MARK.pwned written by the driver" -- \
  grep -q "pwned by a driver" "$MARK.pwned"
rm -f "$MARK.pwned"

# ---- a raw system call: socket() through libc's syscall() ------------------------------------
hostile raw_syscall isolated --device null --restarts 1
nr=$(grep -oE 'syscall\([0-9]+ = socket' <<<"$OUT" | grep -oE '[0-9]+' | head -1)
check sandbox "raw_syscall (isolated): stderr says the sandbox denied socket (${nr:-41})" -- \
  has "$ERR" "$SIGSYS socket \(${nr:-41}\)"
check sandbox "raw_syscall (isolated): the driver got no socket" -- hasnt "$OUT" "socket\(\) returned [0-9]+: a socket"
hostile raw_syscall in-process --device null
check base "raw_syscall (in-process): the driver got a socket of the host process" -- \
  has "$OUT" "socket\(\) returned [0-9]+: a socket in the host process"

# ---- a host file through libc's open() and read() --------------------------------------------
SECRET="secret-$TAG-$RANDOM$RANDOM"
echo "$SECRET" >"$MARK.secret"
hostile host_file isolated --device null --param tag="$TAG" --restarts 1
check sandbox "host_file (isolated): stderr says the sandbox denied the open (openat/open)" -- \
  has "$ERR" "$SIGSYS (openat|open|openat2) \([0-9]+\)"
check sandbox "host_file (isolated): nothing of the file in the output" -- hasnt "$OUT$ERR" "$SECRET"
hostile host_file in-process --device null --param tag="$TAG"
check base "host_file (in-process): the driver logged the file's content" -- \
  has "$OUT" "read from the host: $SECRET"

# ---- fork() and execve("/bin/sh") ------------------------------------------------------------
rm -f "$MARK.forked"
hostile fork_exec isolated --device null --param tag="$TAG" --restarts 1
check sandbox "fork_exec (isolated): stderr says the sandbox denied the fork (clone/clone3/fork/vfork)" -- \
  has "$ERR" "$SIGSYS (clone|clone3|fork|vfork) \([0-9]+\)"
check sandbox "fork_exec (isolated): no child ran (no $MARK.forked)" -- test ! -e "$MARK.forked"
rm -f "$MARK.forked"
hostile fork_exec in-process --device null --param tag="$TAG"
check base "fork_exec (in-process): the child ran /bin/sh ($MARK.forked written)" -- \
  grep -q "forked and executed by a driver" "$MARK.forked"
rm -f "$MARK.forked"

# ---- unbounded allocation ---------------------------------------------------------------------
# around the ABI: libc malloc, pages untouched (the address-space limit counts them all; where
# there is no limit, an untouched 8 GiB costs the machine nothing). Never in process.
hostile alloc isolated --device null --param mode=2 --param touch=0 --restarts 0
got=$(grep -oE 'libc malloc returned NULL after [0-9]+ MiB' <<<"$OUT" | grep -oE '[0-9]+' | head -1)
if grep -qE '^domain: driver host [0-9]+: .*skipped \(sanitizer build\)' <<<"$OUT"; then
  skip sandbox "alloc (isolated): no address-space limit in a sanitizer build (the sandbox says so): $(grep -oE 'alloc: libc malloc .*' <<<"$OUT" | tail -1)"
elif [ -n "$got" ] && [ "$got" -lt 8192 ]; then
  ok sandbox "alloc (isolated): libc malloc failed after $got MiB: the memory limit"
elif has "$ERR" "driver host [0-9]+ died: .*(memory|RLIMIT_AS|address.space)"; then
  ok sandbox "alloc (isolated): the supervisor reports the memory limit: $(grep -E 'died:' <<<"$ERR" | head -1)"
else
  bad sandbox "alloc (isolated): no memory limit stopped it: $(grep -oE 'alloc: libc malloc .*' <<<"$OUT" | tail -1)"
fi
# through the ABI: the loader's per-driver cap refuses (safe in process: 256 MiB)
hostile alloc in-process --device null --param mode=1
check base "alloc (in-process): xdrv_mem_alloc refuses past the driver's cap" -- \
  has "$OUT" "xdrv_mem_alloc: [0-9]+ bytes would exceed the driver's cap of [0-9]+ MiB"
check base "alloc (in-process): ... and the driver saw the refusal" -- \
  has "$OUT" "alloc: xdrv_mem_alloc refused a block after [0-9]+ MiB"
hostile alloc isolated --device null --param mode=1 --restarts 0
# the host zeroes what the driver asks for, on the driver host's CPU heartbeat: either ends it
check base "alloc (isolated): the ABI's cap or the heartbeat deadline ended it" -- \
  has "$OUT$ERR" "xdrv_mem_alloc refused a block after [0-9]+ MiB|$DEADLINE"

# ---- code that never returns: an interrupt handler, a NAPI poll --------------------------------
hostile spin_irq isolated --device testdev
check base "spin_irq (isolated): stopped by the budget or the heartbeat deadline" -- has "$ERR$OUT" "$DEADLINE"
check base "spin_irq (isolated): the handler did run (the spin was real)" -- \
  has "$OUT" "spin_irq: in the interrupt handler, spinning"
if has "$ERR" "missed its heartbeat deadline"; then
  check base "spin_irq (isolated): each host restarted, then the supervisor gave up after 3" -- \
    has "$ERR" "gave up after 3 restarts"
fi
hostile spin_poll isolated --device testdev --restarts 1
check base "spin_poll (isolated): stopped by the budget or the heartbeat deadline" -- has "$ERR$OUT" "$DEADLINE"
check base "spin_poll (isolated): the poll did run (the spin was real)" -- has "$OUT" "spin_poll: in NAPI poll, spinning"

# ---- unbounded recursion ----------------------------------------------------------------------
for mode in isolated in-process; do
  hostile recursion $mode --device null --restarts 1
  check base "recursion ($mode): stopped (the guard's stack overflow, or the call-depth limit)" -- \
    has "$OUT$ERR" "driver faulted: SIGSEGV|call.depth"
  check base "recursion ($mode): the probe failed, the run ended with exit 1" -- \
    test "$RC" = 1 -a -n "$(grep -E 'probe failed|call.depth' <<<"$ERR$OUT")"
done

# ---- xdrv boot: the deny-list attack, and system() during a boot -------------------------------
"$X" revoke --deny-list "$T/deny.txt" "$B/pkg/hello.xdrv" >/dev/null || bad base "xdrv revoke --deny-list"
boot_cfg() { # NAME DRIVERS-JSON
  mkdir -p "$T/$1"
  cat >"$T/$1/boot.json" <<EOF
{"format": 1, "tpm": null, "event_log": "boot.log", "state_dir": "state",
 "trust": {"root": "$B/pki/root.pem"},
 "policy": {"continue_on_failure": true}, "revocation": {"deny_list": "$T/deny.txt"},
 "drivers": $2}
EOF
  echo "$T/$1/boot.json"
}
boot_case() { # NAME CONFIG
  CASE="$1 (xdrv boot)"
  companion_start
  timeout -k 5 300 "$X" boot --config "$2" >"$T/out" 2>"$T/err"
  RC=$?
  OUT=$(cat "$T/out") ERR=$(cat "$T/err")
  echo "---- $CASE: exit $RC"
  sed 's/^/  | /' "$T/err"
  grep -E '^\[|^boot:' "$T/out" | sed 's/^/  > /' | head -40
  if [[ $RC =~ $SANE ]]; then ok base "$CASE: the boot ended normally (exit $RC)"; else bad base "$CASE: exit status $RC"; fi
  no_leftovers
  companion_check "$CASE"
}
HELLO="{\"package\": \"$B/pkg/hello.xdrv\", \"device\": \"null\"}"
# the control: without deny_patch before it, the deny-list refuses hello
C=$(boot_cfg control "[$HELLO]")
"$X" boot --config "$C" >"$T/control.out" 2>&1
check base "control (xdrv boot): alone, the revoked hello is refused by the deny-list" -- \
  grep -q "refused: hello.xdrv: revocation: package payload digest $HELLO_SHA is on the deny-list" "$T/control.out"
C=$(boot_cfg deny "[{\"package\": \"$T/deny_patch.xdrv\", \"device\": \"null\"}, $HELLO]")
boot_case deny_patch "$C"
check sandbox "deny_patch (xdrv boot): the revoked hello booted after it is still refused by the deny-list" -- \
  has "$OUT" "refused: hello.xdrv: revocation: package payload digest $HELLO_SHA is on the deny-list"
check sandbox "deny_patch (xdrv boot): hello's code never ran" -- hasnt "$OUT$ERR" "\[hello\] hello from"
if has "$OUT" "deny_patch: its parent: .* patched [0-9]+ hex digests and [1-9][0-9]* binary"; then
  echo "  (deny_patch wrote into the boot's memory through /proc/PPID/mem: the boot's child is not sandboxed)"
fi
C=$(boot_cfg sys "[{\"package\": \"$T/system.xdrv\", \"device\": \"null\", \"params\": {\"tag\": $TAG}}]")
rm -f "$MARK.pwned"
boot_case system "$C"
check sandbox "system (xdrv boot): the command did not run in the boot's child (no $MARK.pwned)" -- test ! -e "$MARK.pwned"
check base "system (xdrv boot): the boot completed" -- has "$OUT" "^boot: complete"
rm -f "$MARK.pwned"

echo "domains_hostile.sh: $fails failure(s) ($fails_sandbox of them [sandbox]: need the real sandbox), $skips skipped"
[ "$fails" -eq 0 ]
