# shellcheck shell=bash
# What the end-to-end scripts that change the code of a running `xdrv run --in-process --control`
# of the signed dp83820 share (respec.sh, live_patch.sh; sourced, not a test of its own:
# tests/run-all runs tests/e2e/*.sh only): the build's xdrv, package and trust root (X, P,
# TRUST), a scratch folder T removed on exit with the run still going (XPID), ok and bad with the
# count of failures in $fails, has, wait_sock, digests, same_frames, ctl_run_start, ctl_param_refusals and ctl_domain_swaps. Needs B (the
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
# the generator's digests in a run's output, one line
digests() { grep -oE "digest [0-9a-f]{16}" <<<"$1" | tr '\n' ' '; }
# OUT WHAT: the run whose output is OUT moved all $N generator frames each way, with $d_base's
# digests (the run without a change): ok naming WHAT, else bad
same_frames() {
  local d
  d=$(digests "$1")
  # shellcheck disable=SC2154 # d_base and N are the caller's, as said above
  if [ "$d" = "$d_base" ] && has "$1" "received $N frames" && has "$1" "0 errors, 0 bad"; then
    ok "$2"
  else
    bad "$2: digests $d != $d_base: $1"
  fi
}

# SOCK STATUS WHERE: the dp83820 run at SOCK lists its parameters, and refuses (exit 1, the reason
# said) a fixed parameter, a bad value, another driver, an unknown name and the running value,
# its status then still STATUS (generation 0). WHERE names the run in the ok lines.
ctl_param_refusals() {
  local sock=$1 st_want=$2 where=$3 l1 r1 r2 r3 r4 r5 q1 q2 q3 q4 q5 st0
  l1=$("$X" param list --control "$sock" 2>&1)
  if grep -qx "csum_offload 1 live 0..1 bool" <<<"$l1" && grep -qx "rx_ring 64 fixed 8..1024 u32" <<<"$l1"; then
    ok "param list$where: values, live or fixed, ranges, types"
  else
    bad "param list: $l1"
  fi
  r1=$("$X" param set --control "$sock" dp83820 rx_ring 128 2>&1); q1=$?
  r2=$("$X" param set --control "$sock" dp83820 csum_offload 7 2>&1); q2=$?
  r3=$("$X" param set --control "$sock" e1000 csum_offload 0 2>&1); q3=$?
  r4=$("$X" param set --control "$sock" dp83820 nosuch 1 2>&1); q4=$?
  r5=$("$X" param set --control "$sock" dp83820 csum_offload 1 2>&1); q5=$?
  st0=$("$X" param status --control "$sock" 2>&1)
  if [ "$q1$q2$q3$q4$q5" = 11111 ] &&
     has "$r1" "param rx_ring is fixed from probe to remove" &&
     has "$r2" "'7' is not a bool" && has "$r3" "this run drives dp83820, not e1000" &&
     has "$r4" "param nosuch: not declared (declared: rx_ring, tx_ring, holdoff_us, csum_offload (live), desc64, mtu)" &&
     has "$r5" "param csum_offload is 1 already" && has "$st0" "$st_want"; then
    ok "refused with the reason, generation 0 still runs: fixed, bad value, other driver, unknown, unchanged"
  else
    bad "refusals: $q1$q2$q3$q4$q5 / $r1 / $r2 / $r3 / $r4 / $r5 / $st0"
  fi
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
