#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Static mirrors kept current by `xdrv-repod export --watch` (issue 15), read while they change:
#   - SQLite: one server, a watcher; a publish reaches the mirror; SIGTERM stops it cleanly;
#   - PostgreSQL: two servers on one private database (tests/repo-server/pg-private), two
#     watchers writing two mirror folders; publishes through both servers (at once, then one
#     by one) and a vendor added meanwhile, while a reader (repod_mirror_check.py) walks both
#     folders over and over as a client walks a repository and fails at the first instant one
#     is inconsistent (timestamp -> snapshot -> every role version -> every target's bytes);
#   - each publish reaches both mirrors and is walked there (the pages too: every package they
#     link to is there); files already in a mirror are never rewritten (same inode), the
#     watchers log passes that wrote only what was new;
#   - nginx configured by docs/nginx-xdrv-mirrors.conf as written (addresses and ports moved to
#     127.0.0.1): each folder as a mirror host, and the front: HTTP redirected, TLS, search and
#     publish sent to the servers, a client kept on one mirror; that mirror's watcher stopped by
#     SIGTERM, a publish through the front, and the new files still come through the front (the
#     404 of the mirror a pass behind is asked of the other); the watcher started again catches
#     up, comparing every file; PostgreSQL stopped: the running watcher says so and carries on
#     after it is back;
#   - `xdrv repo update` + `xdrv install` through the front: byte-identical packages.
#   usage: tests/e2e/repod_mirror.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: repod_mirror.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
R="$B/bin/xdrv-repod"
X="$B/bin/xdrv"
PGP="$HERE/../repo-server/pg-private"
T=$(mktemp -d /tmp/xdrv-repod-mirror.XXXXXX)
PIDS=()
fails=0
cleanup() {
  # nginx by SIGTERM (its master then ends its workers), the rest by SIGKILL
  [ -n "${PID[nginx]:-}" ] && kill -TERM "${PID[nginx]}" 2>/dev/null && wait "${PID[nginx]}" 2>/dev/null
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  if [ "$fails" -gt 0 ]; then
    for l in "$T"/*.log; do [ -e "$l" ] && { echo "---- $(basename "$l") (last lines)"; grep -v ' status=[1-4][0-9][0-9] ' "$l" | tail -12; }; done
  fi
  "$PGP" destroy "$T/pg" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

for f in "$R" "$X" "$B/pki/root.pem" "$B/pkg/hello.xdrv"; do
  [ -e "$f" ] || { echo "FAIL - missing $f (build xdrv, xdrv-repod and the drivers first)"; exit 1; }
done
command -v nginx >/dev/null || { echo "FAIL - nginx is not installed (make deps)"; exit 1; }
build_pkg() { # build_pkg NAME VERSION OUT: the hello driver under another name and version
  local d="$T/src/$1-$2"
  mkdir -p "$d"
  sed "s/\.name = \"hello\", \.version = \"1.0.0\"/.name = \"$1\", .version = \"$2\"/" \
    "$HERE/../../sample-drivers/hello/hello.c" >"$d/d.c"
  "$X" build -o "$d/d.bc" "$d/d.c" >/dev/null &&
    "$X" pack -o "$d/u.xdrv" --version "$2" --security-version 1 "$d/d.bc" >/dev/null &&
    "$X" sign --cert "$B/pki/signer.pem" --key "$B/pki/signer.key" --chain "$B/pki/vendor.pem" \
      -o "$3" "$d/u.xdrv" >/dev/null
}
mkdir -p "$T/pkg"
(for v in acme beta; do for n in 1 2 3 4 5; do
  build_pkg "${v}drv" "1.0.$n" "$T/pkg/${v}drv-1.0.$n.xdrv" &
  [ $((n % 2)) = 0 ] && wait
done; wait; done) &
BUILD_PID=$!
# mkdir -p "$T/pg" below: the cluster starts while the packages build

# a server: serve CONF NAME (its port in PORT[NAME]); a watcher: watch CONF NAME OUT [INTERVAL]
declare -A PID PORT
serve() {
  rm -f "$T/$2.port"
  (cd "$T" && exec "$R" serve --config "$1" --port-file "$2.port" >>"$T/$2.out" 2>>"$T/$2.log") &
  PID[$2]=$!
  PIDS+=($!)
  for _ in $(seq 200); do [ -s "$T/$2.port" ] && break; sleep 0.05; done
  PORT[$2]=$(cat "$T/$2.port" 2>/dev/null)
  [ -n "${PORT[$2]}" ] || { echo "FAIL - server $2 did not start: $(tail -3 "$T/$2.log")"; exit 1; }
}
watch() {
  (cd "$T" && exec "$R" export --config "$1" --out "$3" --watch --interval "${4:-50}" 2>>"$T/$2.log") &
  PID[$2]=$!
  PIDS+=($!)
}
url() { echo "http://127.0.0.1:${PORT[$1]}"; }
pub() { # pub SERVER FILE TOKEN_FILE -> the HTTP status on stdout
  curl -s --max-time 60 -o "$T/pub.out" -w '%{http_code}' -H "Authorization: Bearer $(cat "$3")" \
    --data-binary @"$2" "$(url "$1")/api/v1/publish"
}
ts_of() { jq -r .signed.version "$1" 2>/dev/null; }
# until MIRROR serves the timestamp SERVER serves (what was published is there), within 30 s
caught_up() {
  local want
  want=$(curl -sf "$(url "$2")/metadata/timestamp.json" | jq -r .signed.version)
  for _ in $(seq 600); do
    [ "$(ts_of "$T/$1/metadata/timestamp.json")" = "$want" ] && return 0
    sleep 0.05
  done
  echo "  $1 serves timestamp v$(ts_of "$T/$1/metadata/timestamp.json"), $2 v$want"
  return 1
}
# until LOG has a line matching PATTERN, within 30 s (a pass logs after its last file, the pages
# come after timestamp.json)
logged() {
  for _ in $(seq 600); do grep -q -- "$2" "$1" && return 0; sleep 0.05; done
  return 1
}
stop_watcher() { # SIGTERM, then its exit status and its last line
  kill -TERM "${PID[$1]}"
  wait "${PID[$1]}"
}

# ---- SQLite: one server, one watcher --------------------------------------------------------
"$R" init --dir "$T/sq" --trust-root "$B/pki/root.pem" >/dev/null || { echo "FAIL - init"; exit 1; }
sed -i 's/^port = .*/port = 0/' "$T/sq/repod.conf"
"$R" vendor add acme --token-file "$T/sq.token" --config "$T/sq/repod.conf" >/dev/null
serve sq/repod.conf sq
watch sq/repod.conf sqw sq-mirror
check "SQLite: the watcher writes its mirror" caught_up sq-mirror sq
check "SQLite: publish hello" test "$(pub sq "$B/pkg/hello.xdrv" "$T/sq.token")" = 201
check "SQLite: the watcher brings the publish to its mirror" caught_up sq-mirror sq
SHA=$(sha256sum <"$B/pkg/hello.xdrv" | cut -c1-64)
check "SQLite: the package is in the mirror, byte-identical" cmp -s "$T/sq-mirror/targets/acme/$SHA.hello-1.0.0.xdrv" "$B/pkg/hello.xdrv"
check "SQLite: the watcher's pass wrote what was new: 1 target" \
  logged "$T/sqw.log" "at timestamp v[0-9]* (what is new): wrote 1 target, 5 metadata files, 2 pages"
stop_watcher sqw; rc=$?
check "SQLite: SIGTERM stops the watcher: exit 0 ($rc)" test "$rc" = 0
check "... saying what the mirror serves" grep -q "signal 15: stopped; sq-mirror serves timestamp v" "$T/sqw.log"
kill -TERM "${PID[sq]}"; wait "${PID[sq]}"

# ---- PostgreSQL: two servers, two watchers ---------------------------------------------------
mkdir -p "$T/pg"
CI=$("$PGP" start "$T/pg") || { echo "FAIL - private PostgreSQL did not start"; exit 1; }
"$R" keys init --dir "$T/keys" >/dev/null || { echo "FAIL - keys init"; exit 1; }
for s in a b m; do
  cat >"$T/$s.conf" <<EOF
listen = 127.0.0.1
port = 0
data_dir = data-$s
keys_dir = keys/online
trust_root = $B/pki/root.pem
store = postgresql
postgres_conninfo = $CI
EOF
done
for v in acme beta gamma; do echo "$v-token-0123456789abcdef" >"$T/$v.token"; done
"$R" vendor add acme --token-file "$T/acme.token" --config "$T/a.conf" >/dev/null &&
  "$R" vendor add beta --token-file "$T/beta.token" --config "$T/b.conf" >/dev/null ||
  { echo "FAIL - vendor add"; exit 1; }
serve a.conf a
serve b.conf b
# the watchers have a configuration of their own (m.conf: same database and keys, their own
# data folder); one looks every 50 ms, the other every 200 ms
watch m.conf m1 mirror1 50
watch m.conf m2 mirror2 200
check "two servers on PostgreSQL: $(url a) $(url b)" true
check "mirror 1 written" caught_up mirror1 a
check "mirror 2 written" caught_up mirror2 a
out=$("$R" export --config "$T/m.conf" --out "$T/mirror1" 2>&1); rc=$?
check "a second writer of a watched mirror is refused ($out)" \
  bash -c "[ $rc = 1 ] && grep -q 'another xdrv-repod export writes this folder' <<<'$out'"
python3 "$HERE/repod_mirror_check.py" "$T/checked" "$T/stop-checker" "$T/mirror1" "$T/mirror2" \
  >"$T/checker.log" 2>&1 &
CHECKER=$!
PIDS+=("$CHECKER")
# until the reader walked timestamp version V (or later) of MIRROR
walked() {
  for _ in $(seq 600); do
    awk -v d="$T/$1" -v v="$2" '$1 == d && $2 >= v {f = 1} END {exit !f}' "$T/checked" 2>/dev/null && return 0
    kill -0 "$CHECKER" 2>/dev/null || break
    sleep 0.05
  done
  echo "  the reader did not walk v$2 of $1: $(cat "$T/checker.log")"
  return 1
}
wait "$BUILD_PID"
for v in acme beta; do for n in 1 2 3 4 5; do
  [ -s "$T/pkg/${v}drv-1.0.$n.xdrv" ] || { echo "FAIL - could not build ${v}drv 1.0.$n"; exit 1; }
done; done
ROOT1=$(stat -c %i "$T/mirror1/metadata/1.root.json")

# four publishes at once, two through each server
pj=()
for n in 1 2; do
  pub a "$T/pkg/acmedrv-1.0.$n.xdrv" "$T/acme.token" >"$T/c-acme-$n" &
  pj+=($!)
  pub b "$T/pkg/betadrv-1.0.$n.xdrv" "$T/beta.token" >"$T/c-beta-$n" &
  pj+=($!)
done
wait "${pj[@]}"
check "four publishes at once through two servers: 201 each" \
  test "$(cat "$T"/c-acme-? "$T"/c-beta-? | tr -d '\n')" = "201201201201"
check "mirror 1 caught up" caught_up mirror1 b
check "mirror 2 caught up" caught_up mirror2 b
HELLO1=$(stat -c %i "$T/mirror1/targets/acme/$(sha256sum <"$T/pkg/acmedrv-1.0.1.xdrv" | cut -c1-64).acmedrv-1.0.1.xdrv")
# one by one, through either server, each walked in both mirrors before the next; a vendor
# added through a server meanwhile
k=0
for step in acme:3 beta:3 vendor:gamma acme:4 beta:4; do
  s=$([ $((k % 2)) = 0 ] && echo a || echo b); k=$((k + 1))
  v=${step%%:*} n=${step#*:}
  if [ "$v" = vendor ]; then
    "$R" vendor add gamma --token-file "$T/gamma.token" --config "$T/$s.conf" >/dev/null; code=$?
    what="vendor add gamma through $s"
  else
    code=$(pub "$s" "$T/pkg/${v}drv-1.0.$n.xdrv" "$T/$v.token")
    what="publish ${v}drv 1.0.$n through $s: $code"
  fi
  want=$(curl -sf "$(url "$s")/metadata/timestamp.json" | jq -r .signed.version)
  if caught_up mirror1 "$s" && caught_up mirror2 "$s" && walked mirror1 "$want" && walked mirror2 "$want"; then
    ok "$what: in both mirrors (timestamp v$want), walked there"
  else bad "$what"; fi
done
check "files already in the mirror are never rewritten (1.root.json, the first package: same inode)" \
  test "$(stat -c %i "$T/mirror1/metadata/1.root.json") $(stat -c %i "$T/mirror1/targets/acme/$(sha256sum <"$T/pkg/acmedrv-1.0.1.xdrv" | cut -c1-64).acmedrv-1.0.1.xdrv")" = "$ROOT1 $HELLO1"
check "the watcher wrote what was new: passes of 1 package, 5 metadata files, 2 pages" \
  logged "$T/m1.log" "(what is new): wrote 1 target, 5 metadata files, 2 pages"
check "... and a vendor added: no package, its role among the new files" \
  logged "$T/m1.log" "(what is new): wrote 0 targets, [0-9]* metadata files, 1 page "

# ---- nginx as docs/nginx-xdrv-mirrors.conf says: two mirror hosts and the front ---------------
# The file as written, on 127.0.0.1: its mirror block once per mirror folder (ports P, P+1),
# its front with the upstreams pointed at those and at servers a and b, HTTP on P+2 (redirect),
# HTTPS on P+3 with a certificate made here, and one plain listener more on P+4 for xdrv
# (its client trusts the system's CAs only).
chmod 755 "$T"
chmod -R a+rX "$T/mirror1" "$T/mirror2"
NGX="$T/nginx"
mkdir -p "$NGX/logs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$NGX/tls.key" -out "$NGX/tls.pem" 2>/dev/null ||
  { bad "openssl: a certificate for the front"; exit 1; }
DOC="$HERE/../../docs/nginx-xdrv-mirrors.conf"
mirror_block() { # PORT FOLDER NAME: part 1 of the file, the first server block
  awk '/^server \{/ && !done { on = 1 } on { print } on && /^\}/ { on = 0; done = 1 }' "$DOC" |
    sed -e "s|listen 8480;|listen 127.0.0.1:$1;|" -e "s|root /var/www/xdrv-mirror;|root $2; access_log $NGX/logs/$3.log;|"
}
start_nginx() {
  local p=$1
  {
    echo "worker_processes 1; pid $NGX/nginx.pid; error_log $NGX/logs/error.log;"
    echo "events { worker_connections 256; }"
    echo "http {"
    echo "  access_log off;"
    echo "  client_body_temp_path $NGX/body; proxy_temp_path $NGX/proxy;"
    echo "  fastcgi_temp_path $NGX/fcgi; uwsgi_temp_path $NGX/uwsgi; scgi_temp_path $NGX/scgi;"
    mirror_block "$p" "$T/mirror1" m1
    mirror_block "$((p + 1))" "$T/mirror2" m2
    sed -n '/^# ---- 2. the front/,$p' "$DOC" | sed -e '/\[::\]/d' \
      -e "s|10.0.0.11:8480|127.0.0.1:$p|" -e "s|10.0.0.12:8480|127.0.0.1:$((p + 1))|" \
      -e "s|10.0.0.21:8470|127.0.0.1:${PORT[a]}|" -e "s|10.0.0.22:8470|127.0.0.1:${PORT[b]}|" \
      -e "s|listen 80;|listen 127.0.0.1:$((p + 2));|" \
      -e "s|listen 443 ssl http2;|listen 127.0.0.1:$((p + 3)) ssl http2; listen 127.0.0.1:$((p + 4));|" \
      -e "s|/etc/ssl/repo.example.org/fullchain.pem|$NGX/tls.pem|" \
      -e "s|/etc/ssl/repo.example.org/privkey.pem|$NGX/tls.key|"
    echo "}"
  } >"$NGX/nginx.conf"
  nginx -p "$NGX" -c "$NGX/nginx.conf" -g 'daemon off;' 2>>"$NGX/logs/start.log" &
  PID[nginx]=$!
  for _ in $(seq 40); do
    curl -sf -o /dev/null "http://127.0.0.1:$((p + 4))/metadata/1.root.json" && return 0
    kill -0 "${PID[nginx]}" 2>/dev/null || break
    sleep 0.05
  done
  kill "${PID[nginx]}" 2>/dev/null; wait "${PID[nginx]}" 2>/dev/null; PID[nginx]=""
  return 1
}
NP=""
for _ in 1 2 3 4 5 6 7 8; do
  p=$((20000 + RANDOM % 40000))
  if start_nginx "$p"; then NP=$p; break; fi
done
[ -n "$NP" ] || { bad "nginx did not start: $(cat "$NGX/logs/"*.log 2>/dev/null | tail -3)"; exit 1; }
FRONT="http://127.0.0.1:$((NP + 4))"
ok "nginx: mirror hosts on :$NP and :$((NP + 1)), the front on :$((NP + 2)) (redirect), :$((NP + 3)) (TLS), :$((NP + 4))"
check "the front: HTTP is redirected to HTTPS" \
  test "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$((NP + 2))/metadata/timestamp.json")" = \
  "301 https://127.0.0.1/metadata/timestamp.json"
check "the front over TLS: timestamp.json from a mirror" \
  bash -c "curl -sf --cacert '$NGX/tls.pem' https://127.0.0.1:$((NP + 3))/metadata/timestamp.json | jq -e '.signed._type == \"timestamp\"' >/dev/null"
check "the front: search (?q=) goes to a server" \
  bash -c "curl -sf '$FRONT/?q=betadrv' | grep -q betadrv && ! grep -q 'q=betadrv' '$NGX/logs/m1.log' '$NGX/logs/m2.log'"
# which mirror the front gives this client (the upstream hashes the client's address)
H=""
for m in m1 m2; do grep -q 'GET /metadata/1.root.json' "$NGX/logs/$m.log" && H=$m; done
O=$([ "$H" = m1 ] && echo m2 || echo m1)
HM=mirror${H#m} OM=mirror${O#m}
check "the front keeps this client on one mirror ($H)" \
  bash -c "for i in 1 2 3 4; do curl -sf -o /dev/null '$FRONT/metadata/timestamp.json'; done; ! grep -q 'GET /metadata/timestamp.json' '$NGX/logs/$O.log'"

# the client's own mirror a pass behind: what it lacks comes from the other
stop_watcher "$H"; rc=$?
check "watcher $H (this client's mirror) stopped by SIGTERM: exit 0" test "$rc" = 0
code=$(curl -s --max-time 60 -o "$T/pub.out" -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/acme.token")" \
  --data-binary @"$T/pkg/acmedrv-1.0.5.xdrv" "$FRONT/api/v1/publish")
check "publish acmedrv 1.0.5 through the front (to a server): $code" test "$code" = 201
check "mirror $OM has it" caught_up "$OM" a
SV=$(jq -r '.signed.meta["snapshot.json"].version' "$T/$OM/metadata/timestamp.json")
TGT="targets/acme/$(sha256sum <"$T/pkg/acmedrv-1.0.5.xdrv" | cut -c1-64).acmedrv-1.0.5.xdrv"
check "mirror $HM lacks it (a pass behind)" test ! -e "$T/$HM/metadata/$SV.snapshot.json" -a ! -e "$T/$HM/$TGT"
codes=$(curl -s -o /dev/null -w '%{http_code} ' "$FRONT/metadata/$SV.snapshot.json")
codes+=$(curl -s -o "$T/got" -w '%{http_code}' "$FRONT/$TGT")
cmp -s "$T/got" "$T/pkg/acmedrv-1.0.5.xdrv" || codes+=" (bytes differ)"
check "the front serves the new snapshot and package ($codes)" test "$codes" = "200 200"
check "... asking $OM after $HM answered 404" \
  bash -c "grep -q 'GET /$TGT HTTP/1.1\" 404' '$NGX/logs/$H.log' && grep -q 'GET /$TGT HTTP/1.1\" 200' '$NGX/logs/$O.log'"

# PostgreSQL stopped: the running watcher says so and goes on
check "watcher $O logged nothing but its start and its passes so far" \
  test "$(grep -vc 'keeping .* current\|at timestamp v' "$T/$O.log")" = 0
"$PGP" stop "$T/pg"
logged "$T/$O.log" "a pass failed"
check "database down: the watcher says why: $(grep 'a pass failed' "$T/$O.log")" \
  grep -q "database unavailable.*(a pass failed; the mirror stays as it was; trying again every [0-9]* ms)" "$T/$O.log"
check "database down: the watcher keeps running" kill -0 "${PID[$O]}"
"$PGP" start "$T/pg" >/dev/null || { bad "PostgreSQL did not start again"; exit 1; }
check "database back: the watcher says its passes work again" logged "$T/$O.log" "passes work again"

watch m.conf "$H" "$HM" 200
check "watcher $H started again catches up" caught_up "$HM" a
check "... comparing every file, writing only what it lacked: 1 package" \
  logged "$T/$H.log" "(every file compared): wrote 1 target, 5 metadata files, 2 pages"

# ---- a client through the front --------------------------------------------------------------
export XDRV_STORE="$T/store"
check "xdrv repo add of the front" "$X" repo add front "$FRONT" --root "$T/keys/online/root/1.root.json"
check "xdrv repo update through the front" "$X" repo update front
for v in acme beta; do
  want=4 && [ "$v" = acme ] && want=5
  if "$X" install --quiet --trust "$B/pki/root.pem" "${v}drv" >"$T/in.out" 2>&1 &&
    cmp -s "$("$X" list --path "${v}drv")" "$T/pkg/${v}drv-1.0.$want.xdrv"; then
    ok "xdrv install ${v}drv through the front: 1.0.$want, byte-identical"
  else bad "install ${v}drv through the front: $(cat "$T/in.out")"; fi
done

# ---- the reader's verdict -------------------------------------------------------------------
touch "$T/stop-checker"
wait "$CHECKER"; rc=$?
check "the reader found both mirrors consistent at every walk: $(tr '\n' ';' <"$T/checker.log")" test "$rc" = 0
for m in m1 m2; do
  stop_watcher "$m"; rc=$?
  check "watcher $m: SIGTERM, exit 0" test "$rc" = 0
done
check "watcher $H logged no error" test "$(grep -vc 'keeping .* current\|at timestamp v\|stopped;' "$T/$H.log")" = 0

for s in a b; do
  kill -TERM "${PID[$s]}"; wait "${PID[$s]}"; rc=$?
  check "server $s: SIGTERM, exit 0" test "$rc" = 0
done
echo "repod_mirror: $fails failure(s)"
[ "$fails" = 0 ]
