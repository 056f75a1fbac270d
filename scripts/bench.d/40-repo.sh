#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Repository benchmark on loopback: wrk against xdrv-repod and, in the same run, against nginx
# serving the same repository's static --export tree, for a metadata file (timestamp.json) and a
# package download (hello, consistent-snapshot target name); requests/s and p99 latency. Then
# publish latency of a ~100 KiB signed package (a fresh version each time, so every publish
# verifies, stores and re-signs targets/snapshot/timestamp), on the default SQLite store and on
# PostgreSQL (a private server on a Unix socket, fsync on, started with
# tests/repo-server/pg-private), plus the metadata figure of the PostgreSQL store (every request
# reads the database). Writes one section of docs/BENCHMARKS.md (to SECTION) and raw figures to
# $B/bench/repo-*.txt.
#   usage: scripts/bench.d/40-repo.sh BUILD_DIR SECTION.md   (DUR=5s CONN=32 THREADS=2 REPS=15)
set -euo pipefail
B=$(cd "${1:?usage: 40-repo.sh BUILD_DIR SECTION.md}" && pwd)
SECTION=${2:?usage: 40-repo.sh BUILD_DIR SECTION.md}
DUR=${DUR:-5s}
CONN=${CONN:-32}
THREADS=${THREADS:-2}
REPS=${REPS:-15}
X="$B/bin/xdrv"
R="$B/bin/xdrv-repod"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$B/bench"
mkdir -p "$OUT"
T=$(mktemp -d /tmp/xdrv-bench-repo.XXXXXX)
REPOD_PID="" NGINX_PID="" PG_PID=""
PGP="$SRC/tests/repo-server/pg-private"
cleanup() {
  [ -n "$REPOD_PID" ] && kill "$REPOD_PID" 2>/dev/null && wait "$REPOD_PID" 2>/dev/null
  [ -n "$PG_PID" ] && kill "$PG_PID" 2>/dev/null && wait "$PG_PID" 2>/dev/null
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  [ -d "$T/pg" ] && "$PGP" destroy "$T/pg" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT

"$R" keys init --dir "$T/keys" >/dev/null
cat >"$T/repod.conf" <<EOF
listen = 127.0.0.1
port = 0
data_dir = $T/data
keys_dir = $T/keys/online
trust_root = $B/pki/root.pem
threads = 4
access_log = 0
EOF
printf 'bench-token-0123456789abcdef\n' >"$T/tok"
"$R" vendor add acme --token-file "$T/tok" --config "$T/repod.conf" >/dev/null
"$R" serve --config "$T/repod.conf" --port-file "$T/port" >/dev/null 2>"$T/repod.err" &
REPOD_PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$T/port")"
export XDRV_STORE="$T/store"
"$X" repo add main "$URL" --root "$T/keys/online/root/1.root.json" >/dev/null
for p in "$B/pkg/hello.xdrv" "$B/pkg/uart16550.xdrv"; do
  "$X" publish --repo main --token-file "$T/tok" "$p" >/dev/null
done
TGT=$(curl -s "$URL/api/v1/packages" | jq -r '.[] | select(.name=="hello") | .versions[0].url')
PKG_SIZE=$(stat -c %s "$B/pkg/hello.xdrv")

# nginx on the export of the same repository
"$R" export --config "$T/repod.conf" --out "$T/export" >/dev/null
chmod 755 "$T" && chmod -R a+rX "$T/export"
mkdir -p "$T/nginx/logs"
NURL=""
for _ in 1 2 3 4 5 6 7 8; do
  np=$((20000 + RANDOM % 40000))
  cat >"$T/nginx/nginx.conf" <<EOF
worker_processes 4;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $T/nginx/body; proxy_temp_path $T/nginx/proxy;
  fastcgi_temp_path $T/nginx/fcgi; uwsgi_temp_path $T/nginx/uwsgi; scgi_temp_path $T/nginx/scgi;
  types { application/json json; text/html html; application/octet-stream xdrv; }
  sendfile on;
  server { listen 127.0.0.1:$np; root $T/export; }
}
EOF
  nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' 2>/dev/null &
  NGINX_PID=$!
  for _ in $(seq 1 40); do
    if curl -s -o /dev/null "http://127.0.0.1:$np/metadata/timestamp.json"; then NURL="http://127.0.0.1:$np"; break; fi
    sleep 0.05
  done
  [ -n "$NURL" ] && break
  kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null || true; NGINX_PID=""
done
[ -n "$NURL" ] || { echo "40-repo: nginx did not start" >&2; exit 1; }

# wrk NAME URL -> "req/s p99_ms"
run_wrk() {
  local f="$OUT/repo-wrk-$1.txt"
  wrk -t"$THREADS" -c"$CONN" -d"$DUR" --latency "$2" >"$f" 2>&1
  local rps p99
  # a benchmark of error answers would be meaningless
  if grep -q "Non-2xx" "$f"; then echo "40-repo: $2: non-2xx answers: $(cat "$f")" >&2; exit 1; fi
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' "$f")
  echo "${rps:-nan} ${p99:-nan}"
}
run_wrk repod-meta "$URL/metadata/timestamp.json" >"$T/w1"
run_wrk nginx-meta "$NURL/metadata/timestamp.json" >"$T/w2"
run_wrk repod-pkg "$URL$TGT" >"$T/w3"
run_wrk nginx-pkg "$NURL$TGT" >"$T/w4"
read -r r_meta_rps r_meta_p99 <"$T/w1"
read -r n_meta_rps n_meta_p99 <"$T/w2"
read -r r_pkg_rps r_pkg_p99 <"$T/w3"
read -r n_pkg_rps n_pkg_p99 <"$T/w4"

# the same repository on PostgreSQL (migrated, so the same metadata and packages): a second
# server, its metadata figure, and (below) its publish latency
mkdir -p "$T/pg"
CI=$(PG_FSYNC=on "$PGP" start "$T/pg")
sed -e "s|^data_dir = .*|data_dir = $T/data-pg|" "$T/repod.conf" >"$T/pg.conf"
printf 'store = postgresql\npostgres_conninfo = %s\n' "$CI" >>"$T/pg.conf"
"$R" migrate --from "$T/repod.conf" --to "$T/pg.conf" >/dev/null
"$R" serve --config "$T/pg.conf" --port-file "$T/pgport" >/dev/null 2>"$T/repod-pg.err" &
PG_PID=$!
for _ in $(seq 1 100); do [ -s "$T/pgport" ] && break; sleep 0.05; done
PURL="http://127.0.0.1:$(cat "$T/pgport")"
run_wrk repod-pg-meta "$PURL/metadata/timestamp.json" >"$T/w5"
read -r p_meta_rps p_meta_p99 <"$T/w5"

# publish latency: ~100 KiB packages, a new version each time
mkdir -p "$T/big"
awk 'BEGIN { srand(1); n = 86 * 1024
  printf "const unsigned char bigpad_blob[%d] = {", n
  for (i = 0; i < n; i++) printf "%s%d", (i ? "," : ""), int(rand() * 256)
  print "};"
  print "unsigned bigpad_peek(unsigned i);"
  print "unsigned bigpad_peek(unsigned i) { return bigpad_blob[i % sizeof bigpad_blob]; }" }' >"$T/big/pad.c"
lat="$OUT/repo-publish.txt" plat="$OUT/repo-publish-pg.txt"
: >"$lat"
: >"$plat"
for i in $(seq 1 "$REPS"); do
  sed "s/\.name = \"hello\", \.version = \"1.0.0\"/.name = \"bigpad\", .version = \"2.0.$i\"/" \
    "$SRC/sample-drivers/hello/hello.c" >"$T/big/big.c"
  cat "$T/big/pad.c" >>"$T/big/big.c"
  "$X" build -o "$T/big/big.bc" "$T/big/big.c" >/dev/null
  "$X" pack -o "$T/big/big.unsigned.xdrv" --version "2.0.$i" --security-version 1 "$T/big/big.bc" >/dev/null
  "$X" sign --cert "$B/pki/signer.pem" --key "$B/pki/signer.key" --chain "$B/pki/vendor.pem" \
    -o "$T/big/big.xdrv" "$T/big/big.unsigned.xdrv" >/dev/null
  # the same package to each store, one after the other
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X POST --data-binary @"$T/big/big.xdrv" \
    -H "Authorization: Bearer $(cat "$T/tok")" "$URL/api/v1/publish" >>"$lat"
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X POST --data-binary @"$T/big/big.xdrv" \
    -H "Authorization: Bearer $(cat "$T/tok")" "$PURL/api/v1/publish" >>"$plat"
done
BIG_SIZE=$(stat -c %s "$T/big/big.xdrv")
[ "$(grep -c '^201 ' "$lat")" = "$REPS" ] || { echo "40-repo: a publish failed: $(cat "$lat")" >&2; exit 1; }
[ "$(grep -c '^201 ' "$plat")" = "$REPS" ] || { echo "40-repo: a PostgreSQL publish failed: $(cat "$plat")" >&2; exit 1; }
stat_ms() { awk '{print $2*1000}' "${2:-$lat}" | sort -g | awk -v q="$1" '{a[NR]=$1} END {i=int(NR*q+0.999); if (i<1) i=1; printf "%.1f", a[i]}'; }

{
  echo "## Repository: serving and publishing"
  echo
  echo "xdrv-repod (libmicrohttpd, 4 threads, SQLite WAL) and nginx (4 workers, sendfile) serving the"
  echo "\`--export\` tree of the same repository, on loopback, measured in the same run with"
  echo "\`wrk -t$THREADS -c$CONN -d$DUR --latency URL\` on $(nproc) cores, $(date -u +%Y-%m-%d)."
  echo "Metadata: \`/metadata/timestamp.json\`; package: the hello driver ($PKG_SIZE bytes) by its"
  echo "consistent-snapshot name. Raw wrk output: \`BUILD_DIR/bench/repo-wrk-*.txt\`."
  echo
  echo "| resource | server | requests/s | p99 latency ms |"
  echo "| --- | --- | ---: | ---: |"
  echo "| metadata | xdrv-repod | $r_meta_rps | $r_meta_p99 |"
  echo "| metadata | nginx | $n_meta_rps | $n_meta_p99 |"
  echo "| package | xdrv-repod | $r_pkg_rps | $r_pkg_p99 |"
  echo "| package | nginx | $n_pkg_rps | $n_pkg_p99 |"
  echo "| metadata | xdrv-repod on PostgreSQL | $p_meta_rps | $p_meta_p99 |"
  echo
  echo "The last row is the same repository moved to PostgreSQL (\`xdrv-repod migrate\`; a private"
  echo "PostgreSQL 15 on a Unix socket on the same machine, fsync on): each metadata request is a"
  echo "query over a pooled connection instead of a read of the local SQLite file."
  echo
  echo "Publish latency of a $BIG_SIZE-byte signed package (each a new version: token check, CMS"
  echo "signature chain, manifest, blob fsync, one transaction re-signing the vendor role, snapshot"
  echo "and timestamp), $REPS publishes one after another, \`curl -w %{time_total}\`:"
  echo
  echo "| store | median ms | p90 ms | max ms |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| SQLite (WAL, synchronous=FULL) | $(stat_ms 0.5) | $(stat_ms 0.9) | $(stat_ms 1.0) |"
  echo "| PostgreSQL 15 (serializable transaction, advisory lock, blob in the database, fsync on) | $(stat_ms 0.5 "$plat") | $(stat_ms 0.9 "$plat") | $(stat_ms 1.0 "$plat") |"
  echo
  echo "Reproduce: \`make O=build all && scripts/bench.sh build 40-repo\`."
} >"$SECTION"
