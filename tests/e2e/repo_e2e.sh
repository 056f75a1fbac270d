#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Repository end to end on 127.0.0.1: xdrv-repod with a fresh data folder and keys, a vendor
# with a token; server-side attacks (missing/wrong token, bad signature, outside the
# delegation, oversized and truncated uploads, concurrent publishes of one name and version);
# the sample drivers published, found by `xdrv search`, installed and verified by `xdrv install`,
# loaded by `xdrv run` from the store; the same through the static --export tree served by
# nginx; a standard TUF client (tuf-js from the npm registry) refreshing and downloading from
# the repository; the HTML index checked in headless chromium, screenshot saved in
# BUILD_DIR/repo-e2e/index.png. Then (issue 15) a mirror that ignores Range
# (python3 -m http.server) with a partial download left behind; an upgrade installed and booted
# by name, run/load/verify/inspect by name; the trust root every verifying command takes; and
# read-only commands that create nothing.
#   usage: tests/e2e/repo_e2e.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: repo_e2e.sh BUILD_DIR}" && pwd)
X="$B/bin/xdrv"
R="$B/bin/xdrv-repod"
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/xdrv-repo-e2e.XXXXXX)
OUTDIR="$B/repo-e2e"
mkdir -p "$OUTDIR"
REPOD_PID="" NGINX_PID="" PY_PID=""
cleanup() {
  [ -n "$REPOD_PID" ] && kill "$REPOD_PID" 2>/dev/null && wait "$REPOD_PID" 2>/dev/null
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  [ -n "$PY_PID" ] && kill "$PY_PID" 2>/dev/null && wait "$PY_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
# expect EXIT PATTERN DESCRIPTION -- command...
expect() {
  local want=$1 pat=$2 what=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$what: exit $rc, wanted $want: $out"; return; fi
  if [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then bad "$what: no /$pat/ in: $out"; return; fi
  ok "$what"
}
for f in "$X" "$R" "$B/pki/root.pem" "$B/pkg/hello.xdrv" "$B/pkg/uart16550.xdrv"; do
  [ -e "$f" ] || { echo "FAIL - missing $f (build with make O=$B all)"; exit 1; }
done
ROOTPEM="$B/pki/root.pem"
export XDRV_STORE="$T/store"

# ---- server: keys, config, vendor, serve on an ephemeral port ------------------------------
"$R" keys init --dir "$T/keys" >/dev/null || { echo "FAIL - keys init"; exit 1; }
cat >"$T/repod.conf" <<EOF
listen = 127.0.0.1
port = 0
data_dir = $T/data
keys_dir = $T/keys/online
trust_root = $ROOTPEM
max_package = 4194304
access_log = 0
EOF
printf 'acme-token-0123456789abcdef\n' >"$T/acme.token"
printf 'wrong-token-0123456789abcdef\n' >"$T/wrong.token"
expect 0 "" "vendor add acme" -- "$R" vendor add acme --token-file "$T/acme.token" --config "$T/repod.conf"
"$R" serve --config "$T/repod.conf" --port-file "$T/port" >"$T/repod.out" 2>"$T/repod.err" &
REPOD_PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { echo "FAIL - xdrv-repod did not start: $(cat "$T/repod.err")"; exit 1; }
PORT=$(cat "$T/port")
URL="http://127.0.0.1:$PORT"
ROOTJSON="$T/keys/online/root/1.root.json"
ok "xdrv-repod listening on $URL"

expect 0 "added repository main" "repo add pins the root and refreshes" -- \
  "$X" repo add main "$URL" --root "$ROOTJSON"
expect 0 "^main +http://127.0.0.1:$PORT" "repo list" -- "$X" repo list
expect 1 "already configured" "repo add twice" -- "$X" repo add main "$URL" --root "$ROOTJSON"

# ---- server-side attacks -------------------------------------------------------------------
P="$B/pkg/hello.xdrv"
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
c=$(code -X POST --data-binary @"$P" "$URL/api/v1/publish")
[ "$c" = 401 ] && ok "publish without a token: 401" || bad "publish without a token: HTTP $c $(cat "$T/body")"
expect 1 "HTTP 401" "publish with a wrong token" -- \
  "$X" publish --repo main --token-file "$T/wrong.token" "$P"
cp "$P" "$T/tampered.xdrv"
printf '\x01' | dd of="$T/tampered.xdrv" bs=1 seek=700 conv=notrunc status=none
expect 1 "HTTP 400" "publish of a package whose signature does not verify" -- \
  "$X" publish --repo main --token-file "$T/acme.token" "$T/tampered.xdrv"
c=$(code -X POST --data-binary @"$P" -H "Authorization: Bearer $(cat "$T/acme.token")" \
  "$URL/api/v1/publish?path=other/hello-1.0.0.xdrv")
[ "$c" = 403 ] && ok "publish outside the vendor's delegation: 403" || bad "outside delegation: HTTP $c $(cat "$T/body")"
head -c 5000000 /dev/zero >"$T/big.xdrv"
expect 1 "HTTP 413" "oversized upload (over max_package)" -- \
  "$X" publish --repo main --token-file "$T/acme.token" "$T/big.xdrv"
# a client that sends the body without waiting for "100 Continue": the server reads and drops
# it before answering, so the client gets the 413 and not a reset ("Send failure: Broken pipe")
for i in 1 2 3 4 5; do
  c=$(code -H 'Expect:' -X POST --data-binary @"$T/big.xdrv" \
    -H "Authorization: Bearer $(cat "$T/acme.token")" "$URL/api/v1/publish")
  [ "$c" = 413 ] || break
done
[ "$c" = 413 ] && ok "oversized upload without Expect: 100-continue: 413, 5 of 5" \
  || bad "oversized upload without Expect (try $i): HTTP $c $(cat "$T/body")"
# truncated: Content-Length promises more than arrives, then the client hangs up
{ printf 'POST /api/v1/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n' "$(cat "$T/acme.token")"
  printf 'Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n' $(( $(stat -c %s "$P") + 1000 ))
  cat "$P"; } | timeout 5 curl -s -o /dev/null --max-time 2 telnet://127.0.0.1:"$PORT" 2>/dev/null
c=$(code "$URL/api/v1/search?q=hello")
if [ "$c" = 200 ] && ! grep -q '"hello"' "$T/body"; then ok "truncated upload left no package"
else bad "truncated upload: search says HTTP $c $(cat "$T/body")"; fi
# concurrent publishes of one name and version with different bytes (each signature is fresh)
CPKG=dp83820
[ -e "$B/pkg/$CPKG.unsigned.xdrv" ] || CPKG=uart16550
for i in 1 2 3 4 5 6; do
  "$X" sign --cert "$B/pki/signer.pem" --key "$B/pki/signer.key" --chain "$B/pki/vendor.pem" \
    -o "$T/c$i.xdrv" "$B/pkg/$CPKG.unsigned.xdrv" >/dev/null 2>&1
done
for i in 1 2 3 4 5 6; do
  ("$X" publish --repo main --token-file "$T/acme.token" "$T/c$i.xdrv" >"$T/c$i.out" 2>&1; echo $? >"$T/c$i.rc") &
done
wait $(jobs -p | grep -v "^$REPOD_PID\$") 2>/dev/null
wins=$(cat "$T"/c*.rc | grep -c '^0$'); conflicts=$(cat "$T"/c*.out | grep -c 'HTTP 409')
[ "$wins" = 1 ] && [ "$conflicts" = 5 ] && ok "concurrent publishes of $CPKG: exactly one wins, 5 get 409" \
  || bad "concurrent publishes: $wins won, $conflicts got 409: $(cat "$T"/c*.out)"

# ---- publish the samples, search, install, run ---------------------------------------------
for p in "$B"/pkg/*.xdrv; do
  case $p in *.unsigned.xdrv) continue ;; esac
  n=$(basename "$p" .xdrv)
  if [ "$n" = "$CPKG" ]; then continue; fi
  expect 0 "published \(HTTP 201\)" "publish $n" -- "$X" publish --repo main --token-file "$T/acme.token" "$p"
done
expect 0 "published \(HTTP 200\)" "publishing the same bytes again is idempotent" -- \
  "$X" publish --repo main --token-file "$T/acme.token" "$B/pkg/hello.xdrv"
expect 0 "^hello +[0-9.]+ +acme" "search finds hello" -- "$X" search
expect 0 "^uart16550 " "search TEXT finds uart16550" -- "$X" search uart
expect 0 "no driver matches" "search for something absent" -- "$X" search nosuchdriver
expect 2 "no package trust root: give --trust root.pem, set XDRV_TRUST, or copy" "install without a trust root" -- \
  env -u XDRV_TRUST "$X" install hello
expect 0 "installed hello " "install hello (TUF + signature re-check)" -- "$X" install --quiet --trust "$ROOTPEM" hello
expect 0 "installed uart16550 " "install uart16550" -- "$X" install --quiet --trust "$ROOTPEM" uart16550
expect 1 "nosuch: not in repository main" "install of an unknown driver" -- "$X" install --trust "$ROOTPEM" nosuch
expect 0 "^hello .*acme|^hello " "list shows hello" -- "$X" list
UP=$("$X" list --path uart16550)
if cmp -s "$UP" "$B/pkg/uart16550.xdrv"; then ok "installed blob = published package"; else bad "installed blob differs: $UP"; fi
expect 0 "uart +[0-9]+ bytes transmitted" "xdrv run loads the installed uart16550" -- \
  "$X" run --trust "$ROOTPEM" --device uart16550 --input 'hi\r' "$UP"
expect 0 "removed hello" "remove hello" -- "$X" remove hello
expect 1 "hello: not installed" "list --path of a removed driver" -- "$X" list --path hello

# ---- --json outputs (parsed with jq) and the download progress line (issue 9) --------------
j=$("$X" search --json hel)
[ "$(jq -r 'length' <<<"$j")" = 1 ] && [ "$(jq -r '.[0].name + " " + .[0].repo + " " + .[0].vendor' <<<"$j")" = "hello main acme" ] \
  && jq -e '.[0].size > 0 and (.[0].sha256 | length) == 64' <<<"$j" >/dev/null \
  && ok "search --json lists hello with repo, vendor, size, sha256" || bad "search --json: $j"
j=$("$X" repo list --json)
[ "$(jq -r '.[0].name + " " + .[0].url' <<<"$j")" = "main $URL" ] && ok "repo list --json" || bad "repo list --json: $j"
# stderr not a terminal: progress is on by default, yet nothing is drawn (stderr holds only the
# line naming the trust root)
"$X" install --trust "$ROOTPEM" hello >"$T/inst.out" 2>"$T/inst.err"; rc=$?
if [ $rc = 0 ] && [ "$(cat "$T/inst.err")" = "trust: $ROOTPEM (--trust)" ] && grep -q "installed hello" "$T/inst.out"; then
  ok "install with stderr not a terminal prints no progress"
else bad "install (no tty): exit $rc, stderr: $(od -c "$T/inst.err" | head -5)"; fi
j=$("$X" list --json)
jq -e 'map(select(.name == "hello")) | length == 1' <<<"$j" >/dev/null \
  && jq -e 'map(select(.name == "hello"))[0] | (.security_version | type) == "number" and (.path | length) > 0' <<<"$j" >/dev/null \
  && [ "$("$X" list --json --path hello | jq -r .name)" = hello ] \
  && ok "list --json (and --path NAME --json) parse and name hello" || bad "list --json: $j"
"$X" remove hello >/dev/null
# stderr a terminal (script(1) gives the command a pty): one line, redrawn in place, naming the file
script -q -e -c "'$X' install --trust '$ROOTPEM' hello" /dev/null >"$T/tty.out" 2>&1; rc=$?
lines=$(grep -c 'acme/hello-[0-9.]*\.xdrv' "$T/tty.out")
if [ $rc = 0 ] && [ "$lines" = 1 ] && grep -q $'\r\033\\[Kacme/hello-[0-9.]*\\.xdrv  [0-9.]* [KM]*i*B  done in [0-9.]* s ([0-9.]* [KMG]*i*B/s)' "$T/tty.out"; then
  ok "install on a terminal: one progress line naming the file, redrawn with \\r, ends 'done in ... /s'"
else bad "install (tty): exit $rc, $lines progress lines: $(od -c "$T/tty.out" | head -12)"; fi

# ---- a standard TUF client: tuf-js --------------------------------------------------------
TUFJS="$B/npm-tufjs"
if [ ! -d "$TUFJS/node_modules/tuf-js" ]; then
  mkdir -p "$TUFJS"
  (cd "$TUFJS" && timeout 90 npm install --silent --no-audit --no-fund --prefix "$TUFJS" tuf-js@3 >/dev/null 2>&1) \
    || bad "npm install tuf-js (needs node and npm, see scripts/install-deps)"
fi
HV=$(sed -n 's/^hello_VERSION *:= *//p' "$HERE/../../sample-drivers/hello/driver.mk")
expect 0 "tuf-js: acme/hello-$HV.xdrv" "tuf-js refreshes metadata and downloads a target from xdrv-repod" -- \
  node "$HERE/repo_tuf_client.js" "$TUFJS" "$URL" "$ROOTJSON" "$T/tufjs" "acme/hello-$HV.xdrv"
if cmp -s "$T/tufjs/targets/acme%2Fhello-$HV.xdrv" "$B/pkg/hello.xdrv" 2>/dev/null ||
   cmp -s "$(ls "$T"/tufjs/targets/* 2>/dev/null | head -1)" "$B/pkg/hello.xdrv"; then
  ok "tuf-js downloaded the published bytes"
else bad "tuf-js target differs: $(ls "$T/tufjs/targets")"; fi

# ---- the HTML index in headless chromium -------------------------------------------------
CH="chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-dev-shm-usage --user-data-dir=$T/chromium"
dom=$(timeout 60 $CH --dump-dom "$URL/" 2>/dev/null)
if grep -q "hello" <<<"$dom" && grep -q "uart16550" <<<"$dom" && grep -q "acme" <<<"$dom"; then
  ok "chromium renders the index with vendor acme, hello and uart16550"
else bad "chromium DOM lacks the drivers: ${dom:0:300}"; fi
rm -f "$OUTDIR/index.png"
timeout 60 $CH --window-size=1400,900 --screenshot="$OUTDIR/index.png" "$URL/" >/dev/null 2>&1
[ -s "$OUTDIR/index.png" ] && ok "screenshot $OUTDIR/index.png" || bad "no screenshot"

# ---- the static export served by nginx -----------------------------------------------------
expect 0 "" "export the static tree" -- "$R" export --config "$T/repod.conf" --out "$T/export"
mkdir -p "$T/nginx/logs"
# nginx's workers run as an unprivileged user when started by root: let them read the tree
chmod 755 "$T" && chmod -R a+rX "$T/export"
start_nginx() {
  local p=$1
  cat >"$T/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $T/nginx/body; proxy_temp_path $T/nginx/proxy;
  fastcgi_temp_path $T/nginx/fcgi; uwsgi_temp_path $T/nginx/uwsgi; scgi_temp_path $T/nginx/scgi;
  types { application/json json; text/html html; application/octet-stream xdrv; }
  server { listen 127.0.0.1:$p; root $T/export; }
}
EOF
  nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' 2>>"$T/nginx/logs/start.log" &
  NGINX_PID=$!
  for _ in $(seq 1 40); do
    curl -s -o /dev/null "http://127.0.0.1:$p/metadata/timestamp.json" && return 0
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; NGINX_PID=""
  return 1
}
NPORT=""
for _ in 1 2 3 4 5 6 7 8; do
  p=$((20000 + RANDOM % 40000))
  if start_nginx "$p"; then NPORT=$p; break; fi
done
if [ -z "$NPORT" ]; then
  bad "nginx did not start: $(cat "$T/nginx/logs/"*.log 2>/dev/null | tail -3)"
else
  MURL="http://127.0.0.1:$NPORT"
  ok "nginx serves the export on $MURL"
  export XDRV_STORE="$T/store2"
  expect 0 "added repository mirror" "repo add of the nginx mirror" -- "$X" repo add mirror "$MURL" --root "$ROOTJSON"
  expect 0 "^hello " "search through the mirror" -- "$X" search hello
  # an interrupted earlier download: the first 5000 bytes are already in the store's tmp dir
  USHA=$(sha256sum "$B/pkg/uart16550.xdrv" | cut -c1-64)
  head -c 5000 "$B/pkg/uart16550.xdrv" >"$XDRV_STORE/tmp/$USHA.part"
  expect 0 "installed uart16550 " "install through the mirror, resuming a partial download (Range)" -- \
    "$X" install --quiet --trust "$ROOTPEM" uart16550
  [ ! -e "$XDRV_STORE/tmp/$USHA.part" ] && ok "partial download consumed" || bad "partial file left behind"
  expect 0 "uart +[0-9]+ bytes transmitted" "xdrv run of the mirror-installed driver" -- \
    "$X" run --trust "$ROOTPEM" --device uart16550 --input 'hi\r' "$("$X" list --path uart16550)"
  expect 0 "tuf-js: acme/hello-$HV.xdrv" "tuf-js through the nginx mirror" -- \
    node "$HERE/repo_tuf_client.js" "$TUFJS" "$MURL" "$ROOTJSON" "$T/tufjs2" "acme/hello-$HV.xdrv"
fi

# ---- a mirror that ignores Range: python3 -m http.server over the export (issue 15) ----------
# A partial download left behind (a cut connection, a slow-retrieval abort) made every later
# install from such a mirror fail ("HTTP server doesn't seem to support byte ranges. Cannot
# resume."); now the partial file is dropped and the download starts over from byte 0.
python3 -u -m http.server --bind 127.0.0.1 --directory "$T/export" 0 >"$T/py.out" 2>"$T/py.err" &
PY_PID=$!
for _ in $(seq 1 100); do grep -q ' port ' "$T/py.out" 2>/dev/null && break; sleep 0.05; done
PYPORT=$(sed -n 's/.* port \([0-9][0-9]*\) .*/\1/p' "$T/py.out" | head -1)
if [ -z "$PYPORT" ]; then
  bad "python3 -m http.server did not start: $(cat "$T/py.err")"
else
  export XDRV_STORE="$T/store3"
  expect 0 "added repository py" "repo add of a python3 http.server mirror (ignores Range)" -- \
    "$X" repo add py "http://127.0.0.1:$PYPORT" --root "$ROOTJSON"
  USHA=$(sha256sum "$B/pkg/uart16550.xdrv" | cut -c1-64)
  head -c 5000 "$B/pkg/uart16550.xdrv" >"$XDRV_STORE/tmp/$USHA.part"
  expect 0 "installed uart16550 " "install from a mirror that ignores Range, a partial download left behind: starts over" -- \
    "$X" install --quiet --trust "$ROOTPEM" uart16550
  [ ! -e "$XDRV_STORE/tmp/$USHA.part" ] && ok "the partial file was dropped" || bad "partial file left behind"
  cmp -s "$("$X" list --path uart16550)" "$B/pkg/uart16550.xdrv" && ok "installed from the python mirror: the published bytes" \
    || bad "the installed uart16550 differs from the published package"
  grep -q 'GET /targets/acme/.*uart16550.* 200 -' "$T/py.err" && ok "the mirror answered the download with 200 (the whole file)" \
    || bad "no 200 for the package in the mirror's log: $(tail -3 "$T/py.err")"
fi

# ---- install and boot by name; the trust root every verifying command takes (issue 15) --------
export XDRV_STORE="$T/store"
HNEXT=$(awk -F. '{ printf "%d.%d.%d", $1, $2, $3 + 1 }' <<<"$HV")
HERE_SRC=$(cd "$HERE/../.." && pwd)
sed "s/\.version = \"$HV\"/.version = \"$HNEXT\"/" "$HERE_SRC/sample-drivers/hello/hello.c" >"$T/hello-next.c"
"$X" build -o "$T/hello-next.bc" "$T/hello-next.c" >/dev/null &&
  "$X" pack -o "$T/hello-next.unsigned.xdrv" --version "$HNEXT" --security-version 1 "$T/hello-next.bc" >/dev/null &&
  "$X" sign --cert "$B/pki/signer.pem" --key "$B/pki/signer.key" --chain "$B/pki/vendor.pem" \
    -o "$T/hello-next.xdrv" "$T/hello-next.unsigned.xdrv" >/dev/null || bad "pack and sign hello $HNEXT"
expect 0 "published \(HTTP 201\)" "publish hello $HNEXT" -- \
  "$X" publish --repo main --token-file "$T/acme.token" "$T/hello-next.xdrv"
expect 0 "installed hello $HNEXT " "install upgrades hello to $HNEXT" -- "$X" install --quiet --trust "$ROOTPEM" hello
HBLOB=$("$X" list --path hello)
HSHA=$(sha256sum "$HBLOB" | cut -c1-64)
# the boot configuration names the driver: its installed file is named by its hash, which
# changes with every upgrade
mkdir -p "$T/boot"
bootcfg() { # PACKAGE
  printf '{"format": 1, "event_log": "boot.log", "state_dir": "state", "store": "%s",\n' "$T/store"
  printf ' "trust": {"root": "%s"},\n' "$ROOTPEM"
  printf ' "drivers": [{"package": "%s", "device": "null"}]}\n' "$1"
}
bootcfg hello >"$T/boot/boot.json"
expect 0 "boot: \[1\] hello $HNEXT .*measured" "xdrv boot of the upgraded driver, named \"hello\" in the configuration" -- \
  "$X" boot --config "$T/boot/boot.json"
grep -aq "xdrv.driver.package name=hello version=$HNEXT .*sha256=$HSHA " "$T/boot/boot.log" \
  && ok "the boot measured the installed file's bytes (sha256 ${HSHA:0:16}... in the event log)" \
  || bad "no package event with sha256 $HSHA in the event log"
bootcfg "hello@$HNEXT" >"$T/boot/at.json"
expect 0 "1 driver\(s\) booted, 0 refused" "xdrv boot of hello@$HNEXT" -- "$X" boot --config "$T/boot/at.json"
bootcfg "hello@$HV" >"$T/boot/old.json"
expect 1 "drivers\[0\]\.package: hello@$HV: not installed \(hello $HNEXT is" "xdrv boot of a version that is not installed stops" -- \
  "$X" boot --config "$T/boot/old.json"
expect 0 "package: hello $HNEXT installed \($HBLOB\)" "verify hello by name" -- "$X" verify --trust "$ROOTPEM" hello
expect 0 "summary:" "run hello by name" -- "$X" run --trust "$ROOTPEM" --device null hello
expect 0 "driver: +hello $HNEXT" "load hello@$HNEXT by name" -- "$X" load --trust "$ROOTPEM" "hello@$HNEXT"
expect 0 "^driver +hello $HNEXT" "inspect hello by name" -- "$X" inspect --trust "$ROOTPEM" hello
expect 1 "hello@$HV: not installed \(hello $HNEXT is" "load of a version that is not installed" -- \
  "$X" load --trust "$ROOTPEM" "hello@$HV"
expect 1 "nosuch: not installed \(store $T/store\)" "run of a driver that is not installed" -- \
  "$X" run --trust "$ROOTPEM" --device null nosuch
out=$(cd "$T" && cp "$B/pkg/hello.xdrv" hello && "$X" verify --trust "$ROOTPEM" hello 2>&1)
if grep -q "^OK" <<<"$out" && ! grep -q "^package: " <<<"$out"; then ok "an existing file named hello stays a file"
else bad "an existing file named hello: $out"; fi
expect 1 "\./hello-missing: .*(No such file|cannot)" "a path-looking argument stays a file" -- \
  "$X" verify --trust "$ROOTPEM" ./hello-missing
# one trust rule for every verifying command: --trust, then $XDRV_TRUST, then the store's
expect 0 "trust: $ROOTPEM \(\\\$XDRV_TRUST\)" "verify takes \$XDRV_TRUST" -- env XDRV_TRUST="$ROOTPEM" "$X" verify hello
expect 0 "trust: $ROOTPEM \(--trust\)" "--trust goes before \$XDRV_TRUST" -- \
  env XDRV_TRUST=/nonexistent.pem "$X" load --trust "$ROOTPEM" hello
expect 1 "package trust root /nonexistent.pem \(from \\\$XDRV_TRUST\)" "an unreadable \$XDRV_TRUST is an error, not a fallback" -- \
  env XDRV_TRUST=/nonexistent.pem "$X" verify hello
cp "$ROOTPEM" "$T/store/trust-root.pem"
for c in "verify" "load" "inspect" "run --device null" "install --quiet"; do
  # shellcheck disable=SC2086 # the command and its options
  expect 0 "trust: $T/store/trust-root.pem \(the store's trust root\)" "$c takes the store's trust root" -- \
    env -u XDRV_TRUST "$X" $c hello
done
rm "$T/store/trust-root.pem"
expect 2 "no package trust root.*--allow-unsigned" "run with no trust root at all: usage error" -- \
  env -u XDRV_TRUST "$X" run --device null hello

# ---- read-only commands create nothing (issue 15: `xdrv list` created /var/lib/xdrv/store.db) --
NS="$T/none/store"
RO_CMDS=("list" "list --json" "list --path hello" "repo list" "repo list --json" "repo update"
  "search hello" "remove hello" "publish --repo main --token-file $T/acme.token $B/pkg/hello.xdrv"
  "verify --trust $ROOTPEM hello" "inspect hello" "load --allow-unsigned hello"
  "run --allow-unsigned --device null hello")
for c in "${RO_CMDS[@]}"; do
  # shellcheck disable=SC2086 # the command and its options
  XDRV_STORE="$NS" "$X" $c >/dev/null 2>&1
done
[ ! -e "$T/none" ] && ok "${#RO_CMDS[@]} read-only commands against a missing store create nothing" \
  || bad "created: $(find "$T/none")"
expect 0 "^no drivers installed \(no store at $NS\)" "list without a store: exit 0" -- env XDRV_STORE="$NS" "$X" list
expect 0 "^\[\]" "list --json without a store: []" -- env XDRV_STORE="$NS" "$X" list --json
expect 1 "hello: not installed \(no store at $NS\)" "list --path without a store: exit 1" -- \
  env XDRV_STORE="$NS" "$X" list --path hello
expect 0 "no repository configured \(no store at $NS\)" "repo list without a store: exit 0" -- \
  env XDRV_STORE="$NS" "$X" repo list
expect 0 "no driver matches \(no repository configured: no store at $NS\)" "search without a store: exit 0" -- \
  env XDRV_STORE="$NS" "$X" search
expect 1 "repository main: not configured \(no store at $NS\)" "search --repo without a store: exit 1" -- \
  env XDRV_STORE="$NS" "$X" search --repo main
# an existing store: reading it changes nothing in it (no journal, no -wal/-shm, same database)
(cd "$T/store" && find . -type f | sort | xargs sha256sum) >"$T/store.before"
for c in "list" "list --json" "list --path hello" "repo list" "verify --trust $ROOTPEM hello" \
         "inspect --trust $ROOTPEM hello" "load --trust $ROOTPEM hello"; do
  # shellcheck disable=SC2086 # the command and its options
  "$X" $c >/dev/null 2>&1 || bad "xdrv $c failed"
done
if (cd "$T/store" && find . -type f | sort | xargs sha256sum) | cmp -s - "$T/store.before"; then
  ok "reading an existing store leaves every file of it as it was"
else
  bad "a read-only command changed the store: $(cd "$T/store" && find . -type f | sort | xargs sha256sum | diff - "$T/store.before")"
fi

echo "repo_e2e: $fails failure(s)"
[ "$fails" -eq 0 ]
