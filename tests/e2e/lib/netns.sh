# shellcheck shell=bash
# What the end-to-end scripts that make two network namespaces share (sourced; not a test of its
# own: tests/run-all runs tests/e2e/*.sh only): ok and bad with the count of failures in $fails,
# stop, the cleanup on exit, and the namespaces' set-up (netns_add, netns_wait_wire, netns_addr).
# Needs NA and NB (the namespaces' names), IA and IB (the interface in each, for the set-up) and
# T (the script's scratch folder), read when used. A script with processes to end before the
# namespaces go defines cleanup_procs (any time before it exits); the namespaces and $T are
# removed after it.

fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

# stop PID with SIGTERM, SIGKILL after STOP_WAIT tenths of a second (default 100: 10 s); its exit
# status in $stop_rc
# shellcheck disable=SC2034 # stop_rc is the sourcing script's
stop() {
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq "${STOP_WAIT:-100}"); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null; stop_rc=$?
}

cleanup() {
  if declare -F cleanup_procs >/dev/null; then cleanup_procs; fi
  ip netns del "$NA" 2>/dev/null
  ip netns del "$NB" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

# Make the namespaces NA and NB, their loopbacks up; 1 if they cannot be made.
netns_add() {
  ip netns add "$NA" && ip netns add "$NB" || return 1
  ip -n "$NA" link set lo up
  ip -n "$NB" link set lo up
}

# LOG TENTHS PID: wait up to TENTHS tenths of a second, while PID lives, for IA in NA, IB in NB
# and a "wire: " line in LOG (the supervisor makes the TAPs before the driver host attaches its
# wire); 0 once all three are there.
netns_wait_wire() {
  for _ in $(seq "$2"); do
    if ip -n "$NA" link show "$IA" >/dev/null 2>&1 && ip -n "$NB" link show "$IB" >/dev/null 2>&1 &&
       grep -q "^wire: " "$1"; then return 0; fi
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# NET (three octets, "10.83.20"): IA becomes NET.1/24 in NA and IB NET.2/24 in NB, both up; the
# status of the first step that fails.
netns_addr() {
  ip -n "$NA" addr add "$1.1/24" dev "$IA" && ip -n "$NB" addr add "$1.2/24" dev "$IB" &&
    ip -n "$NA" link set "$IA" up && ip -n "$NB" link set "$IB" up
}
