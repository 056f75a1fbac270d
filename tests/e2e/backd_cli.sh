#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# xdrv-backd's command line and life cycle, as scripts use it: usage and --help, did-you-mean,
# bad --vif/--vbd refused with exit 2 naming the argument, the "listening on PATH" line on
# stdout once the socket accepts, the socket file mode 0600 (an old socket replaced, a regular
# file in its place refused), a connection that sends garbage logged and survived, SIGTERM:
# exit 0, socket file gone, no process left. Serving real devices is the loop e2e tests' part.
#   usage: tests/e2e/backd_cli.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: backd_cli.sh BUILD_DIR}" && pwd)
D="$B/bin/xdrv-backd"
T=$(mktemp -d /tmp/xdrv-backd-cli.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# expect EXIT PATTERN DESCRIPTION -- command...   (PATTERN: extended regex on stdout+stderr)
expect() {
  local want=$1 pat=$2 what=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$what: exit $rc, wanted $want: $out"; return; fi
  if [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then bad "$what: no /$pat/ in: $out"; return; fi
  ok "$what"
}
[ -x "$D" ] || { echo "FAIL - missing $D (make $D)"; exit 1; }
S="$T/backd.sock"

expect 2 "--socket PATH is required" "no arguments: says what is missing" -- "$D"
expect 0 "^usage: xdrv-backd --socket PATH" "--help: usage" -- "$D" --help
expect 2 "unknown argument '--sockt' \(did you mean --socket\?\)" "did-you-mean" -- "$D" --sockt "$S"
expect 2 "--socket needs a value" "--socket without a value" -- "$D" --socket
expect 2 "--vif 0: expected N=SPEC" "--vif without =SPEC" -- "$D" --socket "$S" --vif 0
expect 2 "'eth0' is not a vif number" "--vif with a name" -- "$D" --socket "$S" --vif eth0=tap:x
expect 2 "'sda' is not a virtual-device number" "--vbd sda" -- "$D" --socket "$S" --vbd sda=file:/x
expect 2 "vbd 51712 is configured twice" "--vbd twice (xvda = 51712)" -- \
  "$D" --socket "$S" --vbd xvda=ram:1M --vbd 51712=ram:1M
touch "$T/file"
expect 1 "exists and is not a socket" "a regular file at the socket path is kept" -- \
  "$D" --socket "$T/file" --vif 0=gen:x
check "the regular file is still there" test -f "$T/file"

# ---- run: ready line, mode, a garbage connection, SIGTERM ------------------------------------
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$S" # stale
mkfifo "$T/out"
"$D" --socket "$S" --vif 0=gen:x --vbd xvda=ram:1M --foreground >"$T/out" 2>"$T/err" &
pid=$!
exec 3<"$T/out"
if read -r -t 10 line <&3 && [ "$line" = "xdrv-backd: listening on $S" ]; then
  ok "ready line: $line"
else
  bad "no ready line (got '${line:-}'): $(cat "$T/err")"
fi
check "the old socket file was replaced by a socket" test -S "$S"
mode=$(stat -c %a "$S" 2>/dev/null)
check "socket mode 0600 (got $mode)" test "$mode" = 600
python3 - "$S" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"not a hello")
s.settimeout(10)
print("closed" if s.recv(64) == b"" else "data")
PY
# the log line follows the close: wait for it (5 s at most)
for _ in $(seq 50); do grep -q "frontend hello:" "$T/err" && break; sleep 0.1; done
check "garbage hello logged" grep -q "frontend hello: 11 bytes, expected 32" "$T/err"
check "still running after it" kill -0 "$pid"
kill -TERM "$pid"
wait "$pid"; rc=$?
pid=""
check "SIGTERM: exit 0 (got $rc)" test "$rc" = 0
check "socket file removed" test ! -e "$S"
left=$(pgrep -f -- "--socket $S" || true)
check "no process left ($left)" test -z "$left"

[ "$fails" = 0 ] || { echo "xdrv-backd's log:"; cat "$T/err"; }
echo "backd_cli: $fails failed"
[ "$fails" = 0 ]
