# shellcheck shell=bash
# What the end-to-end scripts that change the code of a running `xdrv run --in-process --control`
# of the signed dp83820 share (respec.sh, live_patch.sh; sourced, not a test of its own:
# tests/run-all runs tests/e2e/*.sh only): the build's xdrv, package and trust root (X, P,
# TRUST), a scratch folder T removed on exit with the run still going (XPID), ok and bad with the
# count of failures in $fails, has, wait_sock, ctl_run_start and ctl_domain_swaps. Needs B (the
# build folder).

X="$B/bin/xdrv"
P="$B/pkg/dp83820.xdrv"
TRUST=(--trust "$B/pki/root.pem")
T=$(mktemp -d)
XPID=""
cleanup() {
  [ -n "$XPID" ] && kill -TERM "$XPID" 2>/dev/null && wait "$XPID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
has() { grep -qF -- "$2" <<<"$1"; }
wait_sock() { # SOCK PID
  for _ in $(seq 1200); do [ -S "$1" ] && return 0; kill -0 "$2" 2>/dev/null || return 1; sleep 0.05; done
  return 1
}

# SOCK LOG WIRE: start `xdrv run --in-process` of $P on the wire WIRE with its control socket at
# SOCK, its output in LOG, its pid in XPID, and wait for the socket; exits the script (1) after a
# failure naming the log if the socket does not come. The caller's environment goes to the run.
ctl_run_start() {
  "$X" run "${TRUST[@]}" --in-process --device dp83820 --wire "$3" --control="$1" "$P" >"$2" 2>&1 &
  XPID=$!
  if ! wait_sock "$1" "$XPID"; then bad "no control socket: $(cat "$2")"; exit 1; fi
}

# WHAT WANT XDRV-ARGS...: a run of $P in a driver domain (no --in-process, an endless generator,
# its control socket at $T/dom.sock, which XDRV-ARGS name) takes the request `xdrv XDRV-ARGS...`
# too: exit 0, the answer holding WANT (tests/e2e/domain_swaps.sh has the details). WHAT names
# the request in the ok line.
ctl_domain_swaps() {
  local what=$1 want=$2 dr dq
  shift 2
  "$X" run "${TRUST[@]}" --device dp83820 --wire "gen:count=4000000000,size=60,check=0,digest=0" \
    --control="$T/dom.sock" "$P" >"$T/dom.log" 2>&1 &
  XPID=$!
  if wait_sock "$T/dom.sock" "$XPID"; then
    dr=$("$X" "$@" 2>&1); dq=$?
    if [ "$dq" -eq 0 ] && has "$dr" "$want"; then
      ok "a run in a driver domain takes $what too"
    else
      bad "domain: exit $dq: $dr"
    fi
  else
    bad "domain run: no socket: $(cat "$T/dom.log")"
  fi
  kill -TERM "$XPID" 2>/dev/null; wait "$XPID" 2>/dev/null; XPID=""
}
