#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# xdrv-repod as an operator runs it, on 127.0.0.1 with an ephemeral port: keys init, vendor add,
# serve, publish the sample packages over HTTP (201, 200 idempotent, 409, 401, 403, 413),
# search, download with ETag/Range, graceful stop on SIGTERM, export; then kill -9 of the server
# during a publish (at each step of it, and at random moments) followed by a restart, after
# which everything listed must be downloadable with the listed hash and every metadata file the
# timestamp leads to must exist.
#   usage: tests/e2e/repod.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: repod.sh BUILD_DIR}
R="$B/bin/xdrv-repod"
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

for f in "$R" "$B/pkg/hello.xdrv" "$B/pkg/uart16550.xdrv" "$B/pki/root.pem"; do
  [ -e "$f" ] || { echo "FAIL - missing $f (build xdrv-repod and drivers first)"; exit 1; }
done
TOKEN=acme-token-0123456789abcdef
"$R" keys init --dir "$T/keys" >/dev/null || { echo "FAIL - keys init"; exit 1; }
cat > "$T/repod.conf" <<EOC
listen = 127.0.0.1
port = 0
data_dir = data
keys_dir = keys/online
trust_root = $PWD/$B/pki/root.pem
max_package = 1048576
EOC
echo "$TOKEN" > "$T/token"
check "vendor add" "$R" vendor add acme --token-file "$T/token" --config "$T/repod.conf"
echo "beta-token-0123456789abcdef" > "$T/token2"
check "second vendor" "$R" vendor add beta --token-file "$T/token2" --config "$T/repod.conf"

start() {
  rm -f "$T/port"
  env ${CRASH:+XDRV_REPOD_CRASH_AT=$CRASH} "$R" serve --config "$T/repod.conf" --port-file "$T/port" \
    >"$T/out" 2>>"$T/log" &
  PID=$!
  for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
  P=$(cat "$T/port" 2>/dev/null)
  U="http://127.0.0.1:$P"
}
pub() { # pub FILE [TOKEN] [QUERY] -> prints the HTTP status
  curl -s -o "$T/pub.json" -w '%{http_code}' -H "Authorization: Bearer ${2:-$TOKEN}" \
    --data-binary @"$1" "$U/api/v1/publish${3:-}"
}
# consistency: timestamp -> snapshot -> targets/vendors exist; every listed package downloads
# with its listed sha256
consistent() {
  local ts sv tv f v
  ts=$(curl -sf "$U/metadata/timestamp.json") || return 1
  sv=$(jq -r '.signed.meta["snapshot.json"].version' <<<"$ts")
  curl -sf "$U/metadata/$sv.snapshot.json" > "$T/snap.json" || return 1
  [ "$(sha256sum < "$T/snap.json" | cut -d' ' -f1)" = "$(jq -r '.signed.meta["snapshot.json"].hashes.sha256' <<<"$ts")" ] || return 1
  for f in $(jq -r '.signed.meta | keys[]' "$T/snap.json"); do
    v=$(jq -r ".signed.meta[\"$f\"].version" "$T/snap.json")
    curl -sf "$U/metadata/$v.$f" > "$T/role.json" || { echo "missing $v.$f"; return 1; }
    for t in $(jq -r '.signed.targets | keys[]' "$T/role.json"); do
      local h; h=$(jq -r ".signed.targets[\"$t\"].hashes.sha256" "$T/role.json")
      [ "$(curl -sf "$U/targets/$(dirname "$t")/$h.$(basename "$t")" | sha256sum | cut -d' ' -f1)" = "$h" ] ||
        { echo "target $t missing or wrong"; return 1; }
    done
  done
  curl -sf "$U/api/v1/packages" > "$T/list.json" || return 1
  for url in $(jq -r '.[].versions[].url' "$T/list.json"); do
    curl -sf "$U$url" -o /dev/null || { echo "listed $url not downloadable"; return 1; }
  done
}

start
check "serve prints its port" grep -q "listening on 127.0.0.1:$P" "$T/out"
second=$(timeout 10 "$R" serve --config "$T/repod.conf" 2>&1); rc=$?
check "a second server on the same data is refused" test "$rc" = 1
check "... naming the reason" grep -q "is served by another xdrv-repod" <<<"$second"
check "health" bash -c "curl -sf $U/health | grep -q '\"ok\"'"
check "publish hello: 201" test "$(pub "$B/pkg/hello.xdrv")" = 201
check "publish hello again: 200" test "$(pub "$B/pkg/hello.xdrv")" = 200
check "publish uart16550: 201" test "$(pub "$B/pkg/uart16550.xdrv")" = 201
check "wrong token: 401" test "$(pub "$B/pkg/hello.xdrv" wrong-token-0123456789)" = 401
check "other vendor's name: 403" test "$(pub "$B/pkg/hello.xdrv" beta-token-0123456789abcdef)" = 403
check "outside delegation: 403" test "$(pub "$B/pkg/hello.xdrv" "$TOKEN" '?path=beta/hello-1.0.0.xdrv')" = 403
head -c 2000000 /dev/zero > "$T/big"
check "oversized: 413" test "$(pub "$T/big")" = 413
head -c 5000 "$B/pkg/hello.xdrv" > "$T/cut.xdrv"
check "truncated package: 400" test "$(pub "$T/cut.xdrv")" = 400
check "search finds uart" bash -c "curl -sf '$U/api/v1/search?q=uart' | jq -e '.[0].name == \"uart16550\"' >/dev/null"
URL=$(jq -r '.[] | select(.name=="hello") | .versions[0].url' < <(curl -sf "$U/api/v1/packages"))
check "download = published bytes" bash -c "curl -sf '$U$URL' | cmp -s - '$B/pkg/hello.xdrv'"
check "range 206" test "$(curl -s -o /dev/null -w '%{http_code}' -r 0-9 "$U$URL")" = 206
check "html index lists hello" bash -c "curl -sf '$U/' | grep -q 'href=\"/drivers/hello\">hello</a>'"
check "access log line" grep -q 'method=POST path="/api/v1/publish" status=201' "$T/log"
check "consistent after publishes" consistent
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
check "SIGTERM: exit 0" test "$rc" = 0
check "SIGTERM: graceful stop logged" grep -q "xdrv-repod: stopped" "$T/log"
check "export" "$R" export --config "$T/repod.conf" --out "$T/mirror"
check "export has timestamp and targets" test -f "$T/mirror/metadata/timestamp.json" -a -d "$T/mirror/targets/acme"

# HTTPS through libmicrohttpd's own TLS, with a certificate made here
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/tls.key" \
  -out "$T/tls.pem" -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
{ cat "$T/repod.conf"; echo "tls_cert = tls.pem"; echo "tls_key = tls.key"; } > "$T/tls.conf"
rm -f "$T/port"
"$R" serve --config "$T/tls.conf" --port-file "$T/port" >/dev/null 2>>"$T/log" &
PID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
P=$(cat "$T/port" 2>/dev/null)
check "https: health with the server's certificate" \
  bash -c "curl -sf --cacert '$T/tls.pem' https://127.0.0.1:$P/health | grep -q '\"ok\"'"
check "https: metadata" bash -c "curl -sf --cacert '$T/tls.pem' https://127.0.0.1:$P/metadata/1.root.json | jq -e '.signed._type == \"root\"' >/dev/null"
kill -TERM "$PID"; wait "$PID"; PID=

# kill -9 at each step of a publish (the server kills itself there), then restart. Each run
# uses a fresh data folder (same keys), so the package name is still free to publish.
fresh() { # fresh NAME: point the config at data-NAME with vendor acme
  sed "s|^data_dir = .*|data_dir = data-$1|" "$T/repod.conf" > "$T/fresh.conf"
  "$R" vendor add acme --token-file "$T/token" --config "$T/fresh.conf" >/dev/null
}
startf() { # startf [CRASH_POINT]
  rm -f "$T/port"
  env ${1:+XDRV_REPOD_CRASH_AT=$1} "$R" serve --config "$T/fresh.conf" --port-file "$T/port" \
    >"$T/out" 2>>"$T/log" &
  PID=$!
  for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
  P=$(cat "$T/port" 2>/dev/null)
  U="http://127.0.0.1:$P"
}
for c in blob insert meta; do
  fresh "$c"
  startf "$c"
  pub "$B/pkg/hello.xdrv" >/dev/null
  wait "$PID" 2>/dev/null; rc=$?; PID=
  check "crash at $c: server died by SIGKILL" test "$rc" = 137
  startf
  check "crash at $c: consistent after restart" consistent
  check "crash at $c: nothing half-published" test "$(curl -sf "$U/api/v1/packages")" = "[]"
  check "crash at $c: publish works after restart" test "$(pub "$B/pkg/hello.xdrv")" = 201
  check "crash at $c: consistent after publish" consistent
  kill -TERM "$PID"; wait "$PID"; PID=
done

# kill -9 at random moments while publishing, restart, check
for i in 1 2 3 4 5; do
  fresh "r$i"
  startf
  pub "$B/pkg/hello.xdrv" >/dev/null &
  pub "$B/pkg/uart16550.xdrv" >/dev/null &
  sleep "0.0$((RANDOM % 10))"
  kill -9 "$PID"; wait "$PID" 2>/dev/null; PID=
  wait
  startf
  check "random kill $i: consistent after restart" consistent
  kill -TERM "$PID"; wait "$PID"; PID=
done

[ "$fails" -eq 0 ] && echo "repod.sh: all passed" || echo "repod.sh: $fails failed"
[ "$fails" -eq 0 ]
