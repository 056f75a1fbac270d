#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# xdrv-repod under a slowloris attack, bounded and on loopback only: an attacker process opens at
# most 1,900 connections in all (idle ones and clients sending headers a line a second that never
# end) from 127.0.0.2 and 127.0.0.3 (one client each, over max_connections_per_client) and from
# 24 more loopback addresses (each within its limit, so the server holds ~700 of them), and
# stops by itself after 20 s. Meanwhile, from 127.0.0.1, GET /health and a metadata download are
# made every 0.3 s: every one must be answered 200 within 5 s (normal latency is milliseconds, so
# this does not depend on the machine being fast); the server must have logged the per-client
# refusals and the header timeouts, and still answer after the attack.
#   usage: tests/e2e/repod_slowloris.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: repod_slowloris.sh BUILD_DIR}
R="$B/bin/xdrv-repod"
case $B in /*) BA=$B ;; *) BA=$PWD/$B ;; esac
T=$(mktemp -d)
PID=
APID=
cleanup() {
  [ -n "$APID" ] && kill "$APID" 2>/dev/null
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

for f in "$R" "$B/pki/root.pem"; do
  [ -e "$f" ] || { echo "FAIL - missing $f (build xdrv-repod and drivers first)"; exit 1; }
done
command -v python3 >/dev/null || { echo "FAIL - python3 is needed for the attacking client"; exit 1; }
# the attacker holds up to ~1,900 sockets, the server up to max_connections
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 4500 ]; then
  echo "FAIL - the open-file hard limit ($hard) is below the 4500 this test needs"; exit 1
fi
ulimit -n 4500 || { echo "FAIL - cannot raise ulimit -n to 4500"; exit 1; }

"$R" keys init --dir "$T/keys" >/dev/null || { echo "FAIL - keys init"; exit 1; }
cat > "$T/repod.conf" <<EOC
listen = 127.0.0.1
port = 0
data_dir = data
keys_dir = keys/online
trust_root = $BA/pki/root.pem
access_log = 0
max_connections = 4096
max_connections_per_client = 32
header_timeout = 8
idle_timeout = 30
EOC
"$R" serve --config "$T/repod.conf" --port-file "$T/port" >"$T/out" 2>"$T/log" &
PID=$!
for _ in $(seq 200); do [ -s "$T/port" ] && break; sleep 0.05; done
P=$(cat "$T/port" 2>/dev/null)
[ -n "$P" ] || { echo "FAIL - the server did not start"; cat "$T/log"; exit 1; }
U="http://127.0.0.1:$P"
check "answers before the attack" curl -sf -m 5 -o /dev/null "$U/health"

# The attacker: bounded in connections (1,900 attempts at most, reconnects included) and in
# time (20 s, then it closes everything and exits; `timeout` ends it if it does not).
cat > "$T/attack.py" <<'EOF'
import errno, json, socket, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
BUDGET, DURATION = 1900, 20.0
t0 = time.monotonic()
socks = []  # [sock, kind]
made = 0
def dial(src, kind):
    global made
    if made >= BUDGET:
        return
    made += 1
    s = socket.socket()
    s.setblocking(True)
    s.settimeout(2)
    try:
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        if kind == "slow":
            s.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    except OSError:
        s.close()
        return
    s.setblocking(False)
    socks.append([s, kind, src])
def alive(s):
    try:
        return s.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
# one greedy client with idle connections, one with slow headers, 24 modest ones
for _ in range(800):
    dial("127.0.0.2", "idle")
for _ in range(100):
    dial("127.0.0.3", "slow")
for i in range(24):
    for _ in range(30):
        dial("127.0.1.%d" % (i + 1), "idle" if i % 2 else "slow")
# held = what the server kept: wait until the count settles (refusals take milliseconds; a
# loaded machine gets up to 10 s)
held = -1
for _ in range(20):
    time.sleep(0.5)
    now = sum(1 for s in socks if alive(s[0]))
    if now == held:
        break
    held = now
peak = held
with open(out + ".ready", "w") as f:
    f.write("%d\n" % held)
while time.monotonic() - t0 < DURATION:
    time.sleep(1.0)
    cur, socks, dead = socks, [], []
    for s in cur:
        if alive(s[0]) and s[1] == "slow":
            try:
                s[0].send(b"X-Slow: a\r\n")
            except OSError:
                pass
        if alive(s[0]):
            socks.append(s)
        else:
            s[0].close()
            dead.append(s)
    for s in dead:
        dial(s[2], s[1])  # a slowloris comes back, within the budget
    peak = max(peak, len(socks))
for s in socks:
    s[0].close()
with open(out, "w") as f:
    json.dump({"attempts": made, "held_at_start": held, "peak_held": peak}, f)
EOF
timeout 40 python3 "$T/attack.py" "$P" "$T/attack.json" 2>"$T/attack.err" &
APID=$!
for _ in $(seq 300); do [ -s "$T/attack.json.ready" ] && break; sleep 0.1; done
check "the attacker is in place" test -s "$T/attack.json.ready"

# legitimate requests while the attack lasts: each must be answered 200 within 5 s
n=0; late=0; first=
while kill -0 "$APID" 2>/dev/null && [ $n -lt 200 ]; do
  for path in /health /metadata/timestamp.json /metadata/1.root.json; do
    r=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{time_total}' "$U$path")
    n=$((n + 1))
    if [ "${r%% *}" != 200 ]; then
      late=$((late + 1)); [ -n "$first" ] || first="$path: $r"
    fi
  done
  sleep 0.3
done
wait "$APID"; arc=$?; APID=
check "the attacker ran and stopped by itself (rc $arc)" test "$arc" = 0
check "legitimate requests were made during the attack ($n)" test "$n" -ge 15
check "every legitimate request answered 200 within 5 s ($late of $n not${first:+; first: $first})" \
  test "$late" = 0
if [ -s "$T/attack.json" ]; then
  read -r attempts held peak < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["attempts"], d["held_at_start"], d["peak_held"])' "$T/attack.json")
  check "the attack stayed bounded ($attempts connections <= 2000)" test "$attempts" -le 2000
  # 32 from each greedy client + 24 x 30 from the others: the server held several hundred
  check "the server held the attacker's connections within the limits ($held at start)" \
    test "$held" -ge 500 -a "$held" -le $((32 * 2 + 24 * 30 + 8))
else
  bad "the attacker wrote no summary"; cat "$T/attack.err"
fi
check "per-client refusals logged" grep -q "refused a connection from 127.0.0.2: .*max_connections_per_client = 32" "$T/log"
check "header timeouts logged" grep -q "no complete request headers within 8 s (header_timeout)" "$T/log"
check "answers after the attack" curl -sf -m 5 -o /dev/null "$U/health"
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
check "graceful stop after the attack (rc $rc)" test "$rc" = 0
if [ $fails -ne 0 ]; then
  echo "--- server log (tail)"; tail -20 "$T/log"
fi
exit $((fails != 0))
