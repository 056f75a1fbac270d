#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The repository's web pages in headless Chromium: an xdrv-repod of its own on 127.0.0.1 (fresh
# keys, data and vendor), the uart16550 sample published in two versions (1.0.0 from the build,
# 1.1.0 rebuilt here from the same source) and hello; then DOM assertions on the index, the
# server-side search (/?q=, also without JavaScript), the driver page (both versions, latest
# first, parameters, ABI, signer and issuer summary, install snippet, digest, viewport tag),
# the 404 page of an unknown driver, the headers (CSP), and at 1280x800 and 375x812 (phone,
# mobile emulation) that nothing scrolls sideways. Screenshots go to BUILD_DIR/repo-web/.
# Chromium is driven through the DevTools protocol over a pipe (tests/e2e/repo_web_cdp.js).
#   usage: tests/e2e/repo_web.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: repo_web.sh BUILD_DIR}" && pwd)
X="$B/bin/xdrv"
R="$B/bin/xdrv-repod"
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/xdrv-repo-web.XXXXXX)
OUT="$B/repo-web"
mkdir -p "$OUT"
REPOD_PID=""
cleanup() {
  [ -n "$REPOD_PID" ] && kill "$REPOD_PID" 2>/dev/null && wait "$REPOD_PID" 2>/dev/null
  [ -n "${KEEP_TMP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
for f in "$X" "$R" "$B/pki/root.pem" "$B/pkg/hello.xdrv" "$B/pkg/uart16550.xdrv"; do
  [ -e "$f" ] || { echo "FAIL - missing $f (build with make O=$B all)"; exit 1; }
done
for t in chromium node curl; do
  command -v "$t" >/dev/null || { echo "FAIL - $t not installed (scripts/install-deps)"; exit 1; }
done
export XDRV_STORE="$T/store"

# ---- a second version of uart16550, from the same source ------------------------------------
mkdir -p "$T/src"
sed 's/\.version = "1\.0\.0"/.version = "1.1.0"/' "$HERE/../../sample-drivers/uart16550/uart16550.c" \
  >"$T/src/uart16550.c"
grep -q '"1.1.0"' "$T/src/uart16550.c" || { echo "FAIL - could not set the version in the copy"; exit 1; }
if "$X" build -o "$T/u11.bc" "$T/src/uart16550.c" >"$T/build.log" 2>&1 &&
   "$X" pack -o "$T/u11.unsigned.xdrv" --version 1.1.0 --security-version 2 "$T/u11.bc" >>"$T/build.log" 2>&1 &&
   "$X" sign --cert "$B/pki/signer.pem" --key "$B/pki/signer.key" --chain "$B/pki/vendor.pem" \
     -o "$T/uart16550-1.1.0.xdrv" "$T/u11.unsigned.xdrv" >>"$T/build.log" 2>&1; then
  ok "uart16550 1.1.0 built, packed and signed"
else
  echo "FAIL - uart16550 1.1.0: $(tail -5 "$T/build.log")"; exit 1
fi

# ---- server: keys, config, vendor, serve on an ephemeral port ------------------------------
"$R" keys init --dir "$T/keys" >/dev/null || { echo "FAIL - keys init"; exit 1; }
cat >"$T/repod.conf" <<EOF
listen = 127.0.0.1
port = 0
data_dir = $T/data
keys_dir = $T/keys/online
trust_root = $B/pki/root.pem
access_log = 0
EOF
printf 'acme-token-0123456789abcdef\n' >"$T/acme.token"
"$R" vendor add acme --token-file "$T/acme.token" --config "$T/repod.conf" >/dev/null ||
  { echo "FAIL - vendor add"; exit 1; }
"$R" serve --config "$T/repod.conf" --port-file "$T/port" >"$T/repod.out" 2>"$T/repod.err" &
REPOD_PID=$!
for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { echo "FAIL - xdrv-repod did not start: $(cat "$T/repod.err")"; exit 1; }
URL="http://127.0.0.1:$(cat "$T/port")"
ok "xdrv-repod listening on $URL"
"$X" repo add main "$URL" --root "$T/keys/online/root/1.root.json" >/dev/null ||
  { echo "FAIL - repo add"; exit 1; }
for p in "$B/pkg/uart16550.xdrv" "$T/uart16550-1.1.0.xdrv" "$B/pkg/hello.xdrv"; do
  if "$X" publish --repo main --token-file "$T/acme.token" "$p" >"$T/pub.out" 2>&1; then
    ok "published $(basename "$p")"
  else bad "publish $(basename "$p"): $(cat "$T/pub.out")"; fi
done

# ---- headers and status codes, without a browser -------------------------------------------
hdr=$(curl -s -D - -o "$T/index.html" "$URL/")
grep -qi '^content-security-policy: .*script-src .self.' <<<"$hdr" && ok "pages carry a CSP (script-src 'self')" ||
  bad "no CSP header on /: $hdr"
grep -q '<meta name="viewport" content="width=device-width, initial-scale=1">' "$T/index.html" &&
  ok "index has the viewport meta tag" || bad "index lacks the viewport tag"
c=$(curl -s -o "$T/404.html" -w '%{http_code}' "$URL/drivers/nosuchdriver")
[ "$c" = 404 ] && grep -q 'No driver named' "$T/404.html" && ok "unknown driver: 404 with an HTML message" ||
  bad "unknown driver: HTTP $c $(head -c 300 "$T/404.html")"
c=$(curl -s -o "$T/js" -w '%{http_code}' "$URL/static/repo.js")
[ "$c" = 200 ] && grep -q "button.copy" "$T/js" && ok "/static/repo.js served" || bad "/static/repo.js: HTTP $c"
# the search works without JavaScript: the server renders the filtered list
curl -s "$URL/?q=UART" >"$T/q.html"
if grep -q 'href="/drivers/uart16550"' "$T/q.html" && ! grep -q 'href="/drivers/hello"' "$T/q.html" &&
   grep -q 'value="UART"' "$T/q.html"; then ok "GET /?q=UART (no JS) lists uart16550 only and keeps the query"
else bad "GET /?q=UART: $(grep -o 'href="/drivers/[^"]*"' "$T/q.html" | tr '\n' ' ')"; fi

# the vendor's description from the signed manifest (`xdrv pack --description`, driver.mk's
# hello_DESC) is the summary line of the page; a version packed without one (uart16550 1.1.0,
# packed here) gets the line derived from its match table
DESC=$(sed -n 's/^hello_DESC := //p' "$HERE/../../sample-drivers/hello/driver.mk")
curl -s "$URL/drivers/hello" >"$T/hello.html"; curl -s "$URL/drivers/uart16550" >"$T/uart.html"
if [ -n "$DESC" ] && grep -qF "id=\"summary\">$DESC" "$T/hello.html" &&
   grep -q 'id="summary">Platform driver for ns16550a' "$T/uart.html"; then
  ok "driver pages: the manifest's description as the summary, the match table without one"
else bad "driver page summaries: $(grep -o 'id="summary">[^<]*' "$T/hello.html" "$T/uart.html")"; fi

# ---- headless Chromium: DOM assertions and screenshots -------------------------------------
# Each step's expression returns a JSON-able value that the checks below compare.
WIDTH="({sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth,
  vp: (document.querySelector('meta[name=viewport]') || {}).content || null})"
cat >"$T/plan.json" <<EOF
[
 {"url": "$URL/", "width": 1280, "height": 800, "png": "$OUT/index-desktop.png",
  "expr": "({drivers: [...document.querySelectorAll('#drivers li.driver')].map(l => l.dataset.name), uartVer: document.querySelector('li[data-name=uart16550] .ver').textContent, badge: document.querySelector('li[data-name=uart16550] .badge').textContent, search: !!document.querySelector('form.search[action=\"/\"][method=get] input[name=q]'), vendors: [...document.querySelectorAll('#vendors li')].map(l => l.textContent), w: $(tr -d '\n' <<<"$WIDTH")})"},
 {"url": "$URL/?q=hel", "width": 1280, "height": 800, "png": null,
  "expr": "({drivers: [...document.querySelectorAll('#drivers li.driver')].map(l => l.dataset.name), count: document.querySelector('#result-count').textContent, q: document.querySelector('input[name=q]').value})"},
 {"url": "$URL/?q=nothing-like-this", "width": 1280, "height": 800, "png": null,
  "expr": "({drivers: document.querySelectorAll('#drivers li').length, empty: (document.querySelector('#empty') || {}).textContent || null})"},
 {"url": "$URL/drivers/uart16550", "width": 1280, "height": 800, "png": "$OUT/driver-desktop.png",
  "expr": "({h1: document.querySelector('h1').textContent, versions: [...document.querySelectorAll('#versions tr.version td:first-child a')].map(a => a.textContent), latest: document.querySelector('#latest-version').textContent, params: [...document.querySelectorAll('#params tr.param')].map(r => [...r.cells].map(c => c.textContent)), match: [...document.querySelectorAll('#match tbody tr')].map(r => r.textContent), abi: document.querySelector('#abi').textContent, signer: document.querySelector('#signer').textContent, signerTitle: document.querySelector('#signer').title, issuer: document.querySelector('#issuer').textContent, size: document.querySelector('#size').textContent, install: document.querySelector('#install-cmd').textContent, digest: document.querySelector('#sha256 code.digest').textContent, digestTitle: document.querySelector('#sha256 code.digest').title, copy: document.querySelector('#sha256 button.copy').dataset.copy, copyShown: !document.querySelector('#sha256 button.copy').hidden, download: document.querySelector('#download').getAttribute('href'), published: document.querySelector('#latest time').getAttribute('datetime'), w: $(tr -d '\n' <<<"$WIDTH")})"},
 {"url": "$URL/drivers/nosuchdriver", "width": 1280, "height": 800, "png": null,
  "expr": "({msg: document.querySelector('#not-found').textContent})"},
 {"url": "$URL/", "width": 375, "height": 812, "png": "$OUT/index-phone.png", "expr": "$(tr -d '\n' <<<"$WIDTH")"},
 {"url": "$URL/drivers/uart16550", "width": 375, "height": 812, "png": "$OUT/driver-phone.png", "expr": "$(tr -d '\n' <<<"$WIDTH")"}
]
EOF
rm -f "$OUT"/*.png
if ! node "$HERE/repo_web_cdp.js" "$T/plan.json" >"$T/cdp.out" 2>"$T/cdp.err"; then
  bad "chromium: $(grep '^repo_web_cdp:' "$T/cdp.err" || tail -3 "$T/cdp.err")"
fi
# check N JS-EXPRESSION-OVER-r DESCRIPTION: r is step N's {url, status, value}
check() {
  local n=$1 cond=$2 what=$3 line
  line=$(sed -n "${n}p" "$T/cdp.out")
  if [ -n "$line" ] && node -e "const r = JSON.parse(process.argv[1]); process.exit(($cond) ? 0 : 1)" "$line" 2>/dev/null; then
    ok "$what"
  else bad "$what: ${line:0:600}"; fi
}
SHA11=$(sha256sum "$T/uart16550-1.1.0.xdrv" | cut -c1-64)
check 1 'r.status === 200 && r.value.drivers.join() === "hello,uart16550"' "index lists hello and uart16550 once each"
check 1 'r.value.uartVer === "1.1.0" && r.value.badge === "2 versions"' "index shows uart16550's latest version and its version count"
check 1 'r.value.search' "index has a GET search form (q)"
check 1 'r.value.vendors.length === 1 && r.value.vendors[0].startsWith("acme")' "index lists vendor acme"
check 1 'r.value.w.sw <= 1280 && r.value.w.vp === "width=device-width, initial-scale=1"' "index at 1280x800: no horizontal overflow"
check 2 'r.value.drivers.join() === "hello" && /^1 driver matches/.test(r.value.count) && r.value.q === "hel"' "search ?q=hel finds hello only and keeps the query in the box"
check 3 'r.value.drivers === 0 && /No driver or vendor matches/.test(r.value.empty)' "search for something absent says so"
check 4 'r.status === 200 && r.value.h1.startsWith("uart16550")' "driver page /drivers/uart16550"
check 4 'r.value.versions.join() === "1.1.0,1.0.0" && r.value.latest === "1.1.0"' "driver page: both versions, latest first"
check 4 'r.value.params.length === 2 && r.value.params[0].join("|") === "baud|u32|115200|50 … 115200|line speed in baud" && r.value.params[1].slice(0, 3).join("|") === "echo|bool|true"' "driver page: parameters table (name, type, default, range, description)"
check 4 'r.value.match.length === 1 && r.value.match[0].includes("ns16550a")' "driver page: match table"
# the ABI the package declares (abi_version, major*1000000 + minor*1000 + patch), decoded
ABIV=$("$X" inspect --json --trust "$B/pki/root.pem" "$T/uart16550-1.1.0.xdrv" | jq -r '.manifest.abi_version // empty' 2>/dev/null)
ABIS=$([ -n "$ABIV" ] && echo "$((ABIV / 1000000)).$((ABIV / 1000 % 1000)).$((ABIV % 1000))")
check 4 "r.value.abi === \"${ABIS:-unknown}\"" "driver page: ABI decoded as major.minor.patch (${ABIS:-no abi_version from xdrv inspect})"
check 4 'r.value.signer === "driver signer (xdrv dev vendor)" && r.value.signerTitle.includes("CN = driver signer") && r.value.issuer === "vendor driver CA (xdrv dev vendor)"' "driver page: signer and issuer summarised (full DN on hover)"
check 4 '/^[0-9.]+ KiB$/.test(r.value.size)' "driver page: size in KiB"
check 4 "r.value.install === 'xdrv repo add main $URL --root 1.root.json\\nxdrv install uart16550'" "driver page: install snippet names this server"
check 4 "r.value.digest === '${SHA11:0:12}…' && r.value.digestTitle === 'sha256:$SHA11' && r.value.copy === '$SHA11' && r.value.copyShown" "driver page: short digest, full one on hover and behind the copy button"
check 4 "r.value.download.includes('$SHA11.uart16550-1.1.0.xdrv') && /^20[0-9-]+T/.test(r.value.published)" "driver page: download link and publish date of the latest"
check 4 'r.value.w.sw <= 1280' "driver page at 1280x800: no horizontal overflow"
check 5 'r.status === 404 && r.value.msg.includes("nosuchdriver")' "unknown driver in Chromium: 404 page naming it"
check 6 'r.value.sw <= 375 && r.value.cw === 375' "index at 375x812 (phone): no horizontal scroll"
check 7 'r.value.sw <= 375 && r.value.cw === 375' "driver page at 375x812 (phone): no horizontal scroll"
for p in index-desktop index-phone driver-desktop driver-phone; do
  [ -s "$OUT/$p.png" ] && ok "screenshot $OUT/$p.png" || bad "no screenshot $p.png"
done

echo "repo_web: $fails failure(s)"
[ "$fails" -eq 0 ]
