#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# xdrv-repod on PostgreSQL, several servers on one database (issue 15). A private PostgreSQL 15
# (tests/repo-server/pg-private: a Unix socket in a temporary folder, no TCP port) and three
# servers on it, each with its own data folder (its local copy of the blobs) and the same keys:
#   - vendors added through different servers; concurrent publishes of three vendors, spread
#     over the three servers, plus the same package sent to two servers at once;
#   - afterwards: every version of every role exists once, without gaps (count = max), the
#     snapshots form one linear history, all servers serve the same bytes, the TUF chain checks
#     out on each, `xdrv repo update` + `xdrv install` from each server give byte-identical
#     packages, and tuf-js (a standard client) reads each server;
#   - a server killed with SIGKILL inside a publish transaction (holding the writers' lock): the
#     others go on publishing and nothing of the killed publish is visible;
#   - PostgreSQL stopped: publishes and reads answer 503 with the reason, the servers keep
#     running; started again: the same servers publish without a restart;
#   - `xdrv-repod migrate` of a SQLite repository: every metadata version, blob, vendor token and
#     key arrives (export trees compared file by file), a second run is refused and changes
#     nothing, and the migrated vendor publishes on PostgreSQL with its old token.
# The store's unit suite (tests/repo-server/test_repod_pg.c) starts a private PostgreSQL of its
# own in the CUnit run.
#   usage: tests/e2e/repod_pg.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: repod_pg.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
R="$B/bin/xdrv-repod"
X="$B/bin/xdrv"
PGP="$HERE/../repo-server/pg-private"
T=$(mktemp -d /tmp/xdrv-repod-pg.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  if [ "$fails" -gt 0 ]; then # what the servers said, for the failures above
    for l in "$T"/*.log; do [ -e "$l" ] && { echo "---- $(basename "$l") (last lines)"; grep -v ' status=[1-4][0-9][0-9] ' "$l" | tail -15; }; done
  fi
  "$PGP" destroy "$T/pg" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# expect WHAT RC WANT_RC PATTERN OUTPUT: an exit status and a message
expect() {
  if [ "$2" = "$3" ] && grep -qE -- "$4" <<<"$5"; then ok "$1"; else bad "$1: exit $2 (wanted $3): $5"; fi
}

for f in "$R" "$X" "$B/pki/root.pem" "$B/pkg/hello.xdrv" "$B/pkg/uart16550.xdrv"; do
  [ -e "$f" ] || { echo "FAIL - missing $f (build xdrv, xdrv-repod and the drivers first)"; exit 1; }
done
# packages: VENDOR's own driver "VENDORdrv", versions 1.0.1..1.0.5 (built from hello.c)
build_pkg() { # build_pkg NAME VERSION OUT
  local d="$T/src/$1-$2"
  mkdir -p "$d"
  sed "s/\.name = \"hello\", \.version = \"1.0.0\"/.name = \"$1\", .version = \"$2\"/" \
    "$HERE/../../sample-drivers/hello/hello.c" >"$d/d.c"
  "$X" build -o "$d/d.bc" "$d/d.c" >/dev/null &&
    "$X" pack -o "$d/u.xdrv" --version "$2" --security-version 1 "$d/d.bc" >/dev/null &&
    "$X" sign --cert "$B/pki/signer.pem" --key "$B/pki/signer.key" --chain "$B/pki/vendor.pem" \
      -o "$3" "$d/u.xdrv" >/dev/null
}
# built while PostgreSQL starts, two at a time
VENDORS=(acme beta gamma)
mkdir -p "$T/pkg"
(for v in "${VENDORS[@]}"; do for n in 1 2 3 4 5; do
  build_pkg "${v}drv" "1.0.$n" "$T/pkg/${v}drv-1.0.$n.xdrv" &
  [ $((n % 2)) = 0 ] && wait
done; wait; done) &
BUILD_PID=$!

mkdir -p "$T/pg"
CI=$("$PGP" start "$T/pg") || { echo "FAIL - private PostgreSQL did not start"; exit 1; }
ok "private PostgreSQL: $CI"
psql_q() { psql "$CI" -Atqc "$1"; }

# ---- three servers on one database ---------------------------------------------------------
"$R" keys init --dir "$T/keys" >/dev/null || { echo "FAIL - keys init"; exit 1; }
for s in a b c; do
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
for i in 0 1 2; do
  v=${VENDORS[$i]} s=$(printf 'abc' | cut -c$((i + 1)))
  echo "$v-token-0123456789abcdef" >"$T/$v.token"
  check "vendor add $v through server $s" "$R" vendor add "$v" --token-file "$T/$v.token" --config "$T/$s.conf"
done
out=$("$R" vendor add acme --token-file "$T/acme.token" --config "$T/c.conf" 2>&1); rc=$?
expect "a vendor added twice (through another server) is refused" "$rc" 1 "vendor acme: exists" "$out"

declare -A PID PORT
start() { # start SERVER [CRASH_POINT]
  local s=$1
  rm -f "$T/$s.port"
  (cd "$T" && exec env ${2:+XDRV_REPOD_CRASH_AT=$2} "$R" serve --config "$s.conf" --port-file "$s.port" \
    >>"$T/$s.out" 2>>"$T/$s.log") &
  PID[$s]=$!
  PIDS+=($!)
  for _ in $(seq 200); do [ -s "$T/$s.port" ] && break; sleep 0.05; done
  PORT[$s]=$(cat "$T/$s.port" 2>/dev/null)
  [ -n "${PORT[$s]}" ] || { echo "FAIL - server $s did not start: $(tail -3 "$T/$s.log")"; exit 1; }
}
url() { echo "http://127.0.0.1:${PORT[$1]}"; }
for s in a b c; do start "$s"; done
ok "three servers: $(url a) $(url b) $(url c)"
wait "$BUILD_PID" # (a bare wait would wait for the servers too)
for v in "${VENDORS[@]}"; do for n in 1 2 3 4 5; do
  [ -s "$T/pkg/${v}drv-1.0.$n.xdrv" ] || { echo "FAIL - could not build ${v}drv 1.0.$n"; exit 1; }
done; done
ok "15 signed packages built (three vendors, five versions each)"

out=$(timeout 20 "$R" serve --config "$T/a.conf" 2>&1); rc=$?
expect "a second server on one data folder is still refused" "$rc" 1 "served by another xdrv-repod" "$out"


pub() { # pub SERVER FILE TOKEN_FILE OUT -> HTTP status in OUT.code, body in OUT
  curl -s --max-time 60 -o "$4" -w '%{http_code}' -H "Authorization: Bearer $(cat "$3")" \
    --data-binary @"$2" "$(url "$1")/api/v1/publish" >"$4.code"
}

# ---- concurrent publishes: 3 vendors x 4 versions over 3 servers, all at once ---------------
SN0=$(psql_q "SELECT max(version) FROM metadata WHERE role = 'snapshot'")
SERVERS=(a b c)
k=0 jobs_=()
for n in 1 2 3 4; do for v in "${VENDORS[@]}"; do
  pub "${SERVERS[$((k % 3))]}" "$T/pkg/${v}drv-1.0.$n.xdrv" "$T/$v.token" "$T/p-$v-$n" &
  jobs_+=($!) k=$((k + 1))
done; done
# and one package sent to two servers at the same moment: one 201, one 200
pub a "$T/pkg/acmedrv-1.0.5.xdrv" "$T/acme.token" "$T/dup-a" &
jobs_+=($!)
pub c "$T/pkg/acmedrv-1.0.5.xdrv" "$T/acme.token" "$T/dup-c" &
jobs_+=($!)
wait "${jobs_[@]}"
n201=0
for n in 1 2 3 4; do for v in "${VENDORS[@]}"; do
  [ "$(cat "$T/p-$v-$n.code")" = 201 ] && n201=$((n201 + 1)) || echo "  $v $n: $(cat "$T/p-$v-$n.code") $(cat "$T/p-$v-$n")"
done; done
check "12 concurrent publishes on three servers: all 201" test "$n201" = 12
check "the same package on two servers at once: one 201, one 200" \
  test "$(sort "$T/dup-a.code" "$T/dup-c.code" | tr '\n' ' ')" = "200 201 "
for v in "${VENDORS[@]}"; do
  want="2 3 4 5" && [ "$v" = acme ] && want="2 3 4 5 6"
  got=$(cat "$T"/p-"$v"-? "$T"/dup-? | jq -r "select(.status == 201 and .target != null and (.target | startswith(\"$v/\"))) | .targets_version" | sort -n | tr '\n' ' ')
  check "$v: each publish made its own targets version ($got)" test "$got" = "$want "
done

# ---- one linear history, the same on every server -------------------------------------------
gaps=$(psql_q "SELECT role || ': ' || count(*) || ' rows, max ' || max(version) FROM metadata GROUP BY role HAVING count(*) <> max(version) OR min(version) <> 1")
check "every role's versions are 1..N without gaps (none of: ${gaps:-})" test -z "$gaps"
SN=$(psql_q "SELECT max(version) FROM metadata WHERE role = 'snapshot'")
check "13 new package versions, 13 new snapshots ($SN0 -> $SN)" test "$SN" = "$((SN0 + 13))"
linear() { # each snapshot (read from the servers in turn) names versions >= the previous one's
  local prev="" s i=0 cur
  for n in $(seq 1 "$SN"); do
    s=${SERVERS[$((i % 3))]}; i=$((i + 1))
    cur=$(curl -sf "$(url "$s")/metadata/$n.snapshot.json" | jq -c '.signed.meta | to_entries | map({(.key): .value.version}) | add') || { echo "  $n.snapshot.json missing on $s"; return 1; }
    if [ -n "$prev" ]; then
      jq -ne --argjson p "$prev" --argjson c "$cur" '[$p | to_entries[] | . as $e | ($c[$e.key] // -1) >= $e.value] | all' >/dev/null ||
        { echo "  snapshot $n went back: $prev -> $cur"; return 1; }
    fi
    prev=$cur
  done
}
check "snapshots 1..$SN form one linear history" linear
same_everywhere() {
  local f
  for f in timestamp.json snapshot.json targets.json acme.json beta.json gamma.json 1.root.json; do
    curl -sf "$(url a)/metadata/$f" >"$T/ma" && curl -sf "$(url b)/metadata/$f" >"$T/mb" &&
      curl -sf "$(url c)/metadata/$f" >"$T/mc" && cmp -s "$T/ma" "$T/mb" && cmp -s "$T/ma" "$T/mc" ||
      { echo "  $f differs between servers"; return 1; }
  done
}
check "all three servers serve the same metadata bytes" same_everywhere
consistent() { # consistent SERVER: timestamp -> snapshot -> roles -> every target's bytes
  local U ts sv f v t h
  U=$(url "$1")
  ts=$(curl -sf "$U/metadata/timestamp.json") || return 1
  sv=$(jq -r '.signed.meta["snapshot.json"].version' <<<"$ts")
  curl -sf "$U/metadata/$sv.snapshot.json" >"$T/snap.json" || return 1
  [ "$(sha256sum <"$T/snap.json" | cut -d' ' -f1)" = "$(jq -r '.signed.meta["snapshot.json"].hashes.sha256' <<<"$ts")" ] || return 1
  for f in $(jq -r '.signed.meta | keys[]' "$T/snap.json"); do
    v=$(jq -r ".signed.meta[\"$f\"].version" "$T/snap.json")
    curl -sf "$U/metadata/$v.$f" >"$T/role.json" || { echo "  missing $v.$f on $1"; return 1; }
    while read -r t h; do
      [ -n "$t" ] || continue
      [ "$(curl -sf "$U/targets/${t%/*}/$h.${t##*/}" | sha256sum | cut -d' ' -f1)" = "$h" ] ||
        { echo "  target $t missing or wrong on $1"; return 1; }
    done < <(jq -r '.signed.targets | to_entries[] | "\(.key) \(.value.hashes.sha256)"' "$T/role.json")
  done
}
for s in a b c; do check "server $s: the TUF chain and every target check out" consistent "$s"; done
check "server b fetched blobs it never received from the database into its own folder" \
  test "$(ls "$T/data-b/blobs/sha256" | wc -l)" -ge 13

# xdrv repo update + install from each server, byte-identical to what was published
for s in a b c; do
  st="$T/store-$s"
  XDRV_STORE=$st "$X" repo add main "$(url "$s")" --root "$T/keys/online/root/1.root.json" >/dev/null 2>"$T/cl.err" ||
    { bad "server $s: repo add: $(cat "$T/cl.err")"; continue; }
  check "server $s: xdrv repo update" env XDRV_STORE="$st" "$X" repo update main
  for v in "${VENDORS[@]}"; do
    want=4 && [ "$v" = acme ] && want=5
    if XDRV_STORE=$st "$X" install --quiet --trust "$B/pki/root.pem" "${v}drv" >"$T/in.out" 2>&1 &&
      cmp -s "$(XDRV_STORE=$st "$X" list --path "${v}drv")" "$T/pkg/${v}drv-1.0.$want.xdrv"; then
      ok "server $s: xdrv install ${v}drv (1.0.$want) byte-identical"
    else bad "server $s: install ${v}drv: $(cat "$T/in.out")"; fi
  done
done
TUFJS="$B/npm-tufjs" # installed by repo_e2e.sh, which runs before this test in its lane
if [ ! -d "$TUFJS/node_modules/tuf-js" ]; then
  mkdir -p "$TUFJS"
  (cd "$TUFJS" && timeout 90 npm install --silent --no-audit --no-fund --prefix "$TUFJS" tuf-js@3 >/dev/null 2>&1) ||
    bad "npm install tuf-js (needs node and npm, see scripts/install-deps)"
fi
for s in a b c; do
  if node "$HERE/repo_tuf_client.js" "$TUFJS" "$(url "$s")" "$T/keys/online/root/1.root.json" "$T/tufjs-$s" \
    "beta/betadrv-1.0.3.xdrv" >"$T/tj.out" 2>&1 && cmp -s "$T/tufjs-$s/targets/"*betadrv-1.0.3.xdrv "$T/pkg/betadrv-1.0.3.xdrv"; then
    ok "server $s: tuf-js refreshes and downloads beta/betadrv-1.0.3.xdrv, byte-identical"
  else bad "server $s: tuf-js: $(cat "$T/tj.out")"; fi
done

# ---- kill -9 inside a publish transaction -----------------------------------------------------
kill -TERM "${PID[a]}"; wait "${PID[a]}" 2>/dev/null
start a meta # dies by SIGKILL after signing the new metadata, before COMMIT
pub a "$T/pkg/betadrv-1.0.5.xdrv" "$T/beta.token" "$T/k1" &
pj=$!
wait "${PID[a]}" 2>/dev/null; rc=$?
wait "$pj"
check "server a died by SIGKILL inside the transaction" test "$rc" = 137
pub b "$T/pkg/gammadrv-1.0.5.xdrv" "$T/gamma.token" "$T/k2"
check "server b publishes at once after a died holding the writers' lock: 201" test "$(cat "$T/k2.code")" = 201
check "nothing of the killed publish is visible (betadrv 1.0.5 unlisted)" \
  bash -c "! curl -sf '$(url c)/api/v1/packages' | jq -e '.[].versions[] | select(.target == \"beta/betadrv-1.0.5.xdrv\")' >/dev/null"
gaps=$(psql_q "SELECT role FROM metadata GROUP BY role HAVING count(*) <> max(version)")
check "still no gaps in any role after the kill" test -z "$gaps"
check "server c: consistent after the kill" consistent c
start a
pub a "$T/pkg/betadrv-1.0.5.xdrv" "$T/beta.token" "$T/k3"
check "server a restarted: the killed publish goes through: 201" test "$(cat "$T/k3.code")" = 201
check "server a: consistent" consistent a

# ---- PostgreSQL stopped and started under running servers -----------------------------------
"$PGP" stop "$T/pg"
pub b "$T/pkg/acmedrv-1.0.1.xdrv" "$T/acme.token" "$T/o1" # an existing version: 200 when up
check "database down: publish answers 503" test "$(cat "$T/o1.code")" = 503
check "... saying the database is unavailable" grep -q "database unavailable" "$T/o1"
check "... and the server's log says why" \
  grep -q "publish refused (503): database unavailable: connection to server on socket" "$T/b.log"
code=$(curl -s -o "$T/o2" -w '%{http_code}' "$(url c)/metadata/timestamp.json")
check "database down: metadata answers 503 with the reason" bash -c "test $code = 503 && grep -q 'database unavailable' '$T/o2'"
check "database down: health answers 503" test "$(curl -s -o /dev/null -w '%{http_code}' "$(url a)/health")" = 503
check "database down: the servers keep running" kill -0 "${PID[a]}" "${PID[b]}" "${PID[c]}"
"$PGP" start "$T/pg" >/dev/null || bad "PostgreSQL did not start again"
pub b "$T/pkg/betadrv-1.0.4.xdrv" "$T/beta.token" "$T/o3"
check "database back: the same server publishes again (200: already there)" test "$(cat "$T/o3.code")" = 200
pub c "$T/pkg/gammadrv-1.0.4.xdrv" "$T/gamma.token" "$T/o4"
check "database back: server c too" test "$(cat "$T/o4.code")" = 200
build_pkg gammadrv 1.0.6 "$T/pkg/gammadrv-1.0.6.xdrv"
pub a "$T/pkg/gammadrv-1.0.6.xdrv" "$T/gamma.token" "$T/o5"
check "database back: a new version: 201" test "$(cat "$T/o5.code")" = 201
check "server b: consistent after the outage" consistent b
check "all three servers serve the same metadata bytes after the outage" same_everywhere
gaps=$(psql_q "SELECT role FROM metadata GROUP BY role HAVING count(*) <> max(version)")
check "still no gaps after the outage" test -z "$gaps"
for s in a b c; do kill -TERM "${PID[$s]}"; done
for s in a b c; do wait "${PID[$s]}"; rc=$?; check "server $s: SIGTERM, exit 0" test "$rc" = 0; done

# ---- migrate a SQLite repository ----------------------------------------------------------
"$R" keys init --dir "$T/mkeys" >/dev/null
cat >"$T/sq.conf" <<EOF
listen = 127.0.0.1
port = 0
data_dir = sq-data
keys_dir = mkeys/online
trust_root = $B/pki/root.pem
EOF
sed -e 's/^data_dir = .*/data_dir = mpg-data/' -e "s|^postgres_conninfo = .*|postgres_conninfo = ${CI/dbname=xdrv/dbname=xdrv_m}|" \
  -e 's|^keys_dir = .*|keys_dir = mkeys/online|' "$T/a.conf" >"$T/mpg.conf"
"$PGP" createdb "$T/pg" xdrv_m
for v in acme beta; do "$R" vendor add "$v" --token-file "$T/$v.token" --config "$T/sq.conf" >/dev/null; done
start sq
pub sq "$B/pkg/hello.xdrv" "$T/acme.token" "$T/s1"
pub sq "$B/pkg/uart16550.xdrv" "$T/beta.token" "$T/s2"
pub sq "$T/pkg/acmedrv-1.0.1.xdrv" "$T/acme.token" "$T/s3"
check "SQLite repository: three publishes" test "$(cat "$T"/s?.code | tr -d '\n')" = 201201201
kill -TERM "${PID[sq]}"; wait "${PID[sq]}"
(cd "$T" && "$R" export --config sq.conf --out "$T/exp-sq" >/dev/null)
out=$(cd "$T" && "$R" migrate --from sq.conf --to mpg.conf 2>&1); rc=$?
expect "migrate: says what it copied" "$rc" 0 "copied [0-9]+ metadata files, 2 vendors .*, 3 packages, 3 blobs" "$out"
out=$(cd "$T" && "$R" migrate --from sq.conf --to mpg.conf 2>&1); rc=$?
expect "migrate again: refused, the target is not empty, not changed" "$rc" 1 \
  "the target \(store postgresql\) is not empty.*not changed" "$out"
check "every metadata version is in PostgreSQL (the export names each but timestamp's)" \
  test "$(psql "${CI/dbname=xdrv/dbname=xdrv_m}" -Atqc "SELECT count(*) FROM metadata WHERE role <> 'timestamp'")" = \
  "$(ls "$T/exp-sq/metadata" | grep -c '^[0-9]')"
(cd "$T" && "$R" export --config mpg.conf --out "$T/exp-pg" >/dev/null)
check "export from PostgreSQL = export from SQLite (every metadata version, target and page)" \
  diff -r "$T/exp-sq" "$T/exp-pg"
(cd "$T" && "$R" export --config sq.conf --out "$T/exp-sq2" >/dev/null)
check "the source is unchanged" diff -r "$T/exp-sq" "$T/exp-sq2"
start mpg
build_pkg acmedrv 1.0.2 "$T/pkg/m-acmedrv-1.0.2.xdrv"
pub mpg "$T/pkg/m-acmedrv-1.0.2.xdrv" "$T/acme.token" "$T/m1"
check "migrated vendor publishes on PostgreSQL with its old token and key: 201" test "$(cat "$T/m1.code")" = 201
check "... its role's next version" test "$(jq -r .targets_version "$T/m1")" = "$(( $(jq -r .targets_version "$T/s3") + 1 ))"
check "migrated repository: consistent" consistent mpg
st="$T/store-m"
if XDRV_STORE=$st "$X" repo add m "$(url mpg)" --root "$T/mkeys/online/root/1.root.json" >/dev/null 2>&1 &&
  XDRV_STORE=$st "$X" install --quiet --trust "$B/pki/root.pem" uart16550 >/dev/null 2>&1 &&
  cmp -s "$(XDRV_STORE=$st "$X" list --path uart16550)" "$B/pkg/uart16550.xdrv"; then
  ok "migrated repository: xdrv install uart16550 byte-identical"
else bad "migrated repository: install uart16550"; fi
kill -TERM "${PID[mpg]}"; wait "${PID[mpg]}"

[ "$fails" -eq 0 ] && echo "repod_pg.sh: all passed" || echo "repod_pg.sh: $fails failed"
[ "$fails" -eq 0 ]
