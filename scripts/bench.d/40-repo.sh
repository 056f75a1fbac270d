#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Repository benchmark on loopback (issue 15): wrk, 256 connections for 60 s per case, against a
# metadata file (timestamp.json) and a package download (hello, by its consistent-snapshot
# name), served by
#   - one xdrv-repod on the default SQLite store,
#   - one xdrv-repod on PostgreSQL (the same repository migrated; every request reads the
#     database; a private server on a Unix socket, fsync on, tests/repo-server/pg-private),
#   - nginx in front of that one PostgreSQL server, and nginx in front of two of them (round
#     robin, the arrangement of several servers on one database),
#   - nginx serving the static mirror that `xdrv-repod export --watch` keeps current;
# requests/s, p50 and p99 latency and errors (socket errors and non-2xx answers) of each, and
# the servers' resident memory before and after. Then publish latency of a ~100 KiB signed
# package (a fresh version each time, so every publish verifies, stores and re-signs
# targets/snapshot/timestamp) on SQLite and on PostgreSQL, and how long each PostgreSQL publish
# took to reach the mirror. Writes one section of docs/BENCHMARKS.md (to SECTION) and raw
# figures to $B/bench/repo-*.txt.
#   usage: scripts/bench.d/40-repo.sh BUILD_DIR SECTION.md
#   env:   DUR=60s CONN=256 THREADS=2 REPS=15 INTERVAL=100 (the mirror's --interval, ms)
#          TIMEOUT=10s (wrk's; a slower answer counts as an error and leaves the percentiles)
set -euo pipefail
B=$(cd "${1:?usage: 40-repo.sh BUILD_DIR SECTION.md}" && pwd)
SECTION=${2:?usage: 40-repo.sh BUILD_DIR SECTION.md}
DUR=${DUR:-60s}
CONN=${CONN:-256}
THREADS=${THREADS:-2}
REPS=${REPS:-15}
INTERVAL=${INTERVAL:-100}
TIMEOUT=${TIMEOUT:-10s}
X="$B/bin/xdrv"
R="$B/bin/xdrv-repod"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$B/bench"
mkdir -p "$OUT"
T=$(mktemp -d /tmp/xdrv-bench-repo.XXXXXX)
REPOD_PID="" NGINX_PID="" PG_PID="" PG2_PID="" WATCH_PID=""
PGP="$SRC/tests/repo-server/pg-private"
cleanup() {
  [ -n "$REPOD_PID" ] && kill "$REPOD_PID" 2>/dev/null && wait "$REPOD_PID" 2>/dev/null
  [ -n "$PG_PID" ] && kill "$PG_PID" 2>/dev/null && wait "$PG_PID" 2>/dev/null
  [ -n "$PG2_PID" ] && kill "$PG2_PID" 2>/dev/null && wait "$PG2_PID" 2>/dev/null
  [ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null && wait "$WATCH_PID" 2>/dev/null
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
# wrk's 256 connections all come from 127.0.0.1, as nginx's do (docs/REPOSITORY.md, "Limits")
max_connections_per_client = 4096
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

# the same repository on PostgreSQL (migrated, so the same metadata and packages): two servers
# on one database, each with its own data folder
mkdir -p "$T/pg"
CI=$(PG_FSYNC=on "$PGP" start "$T/pg")
for n in 1 2; do
  sed -e "s|^data_dir = .*|data_dir = $T/data-pg$n|" "$T/repod.conf" >"$T/pg$n.conf"
  printf 'store = postgresql\npostgres_conninfo = %s\n' "$CI" >>"$T/pg$n.conf"
done
"$R" migrate --from "$T/repod.conf" --to "$T/pg1.conf" >/dev/null
start_pg() { # start_pg N: server N on the database, its pid in PG_PID or PG2_PID
  "$R" serve --config "$T/pg$1.conf" --port-file "$T/pgport$1" >/dev/null 2>"$T/repod-pg$1.err" &
  if [ "$1" = 1 ]; then PG_PID=$!; else PG2_PID=$!; fi
  for _ in $(seq 1 100); do [ -s "$T/pgport$1" ] && break; sleep 0.05; done
  [ -s "$T/pgport$1" ] || { echo "40-repo: PostgreSQL server $1 did not start: $(cat "$T/repod-pg$1.err")" >&2; exit 1; }
}
start_pg 1
start_pg 2
PURL="http://127.0.0.1:$(cat "$T/pgport1")"
P2URL="http://127.0.0.1:$(cat "$T/pgport2")"

# the static mirror, kept by export --watch from the PostgreSQL store
"$R" export --config "$T/pg1.conf" --out "$T/mirror" --watch --interval "$INTERVAL" 2>"$T/watch.err" &
WATCH_PID=$!
for _ in $(seq 1 200); do [ -s "$T/mirror/metadata/timestamp.json" ] && break; sleep 0.05; done
[ -s "$T/mirror/metadata/timestamp.json" ] || { echo "40-repo: the mirror was not written: $(cat "$T/watch.err")" >&2; exit 1; }
chmod 755 "$T" && chmod -R a+rX "$T/mirror"

# nginx: the mirror (port N), in front of one PostgreSQL server (N+1), in front of both (N+2)
mkdir -p "$T/nginx/logs"
NURL=""
for _ in 1 2 3 4 5 6 7 8; do
  np=$((20000 + RANDOM % 40000))
  cat >"$T/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $T/nginx/body; proxy_temp_path $T/nginx/proxy;
  fastcgi_temp_path $T/nginx/fcgi; uwsgi_temp_path $T/nginx/uwsgi; scgi_temp_path $T/nginx/scgi;
  types { application/json json; text/html html; application/octet-stream xdrv; }
  sendfile on;
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  upstream one { server ${PURL#http://}; keepalive 64; }
  upstream two { server ${PURL#http://}; server ${P2URL#http://}; keepalive 64; }
  server { listen 127.0.0.1:$np; root $T/mirror; }
  server { listen 127.0.0.1:$((np + 1)); location / { proxy_pass http://one; } }
  server { listen 127.0.0.1:$((np + 2)); location / { proxy_pass http://two; } }
}
EOF
  nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' 2>/dev/null &
  NGINX_PID=$!
  for _ in $(seq 1 40); do
    if curl -sf -o /dev/null "http://127.0.0.1:$((np + 2))/metadata/timestamp.json"; then NURL="http://127.0.0.1:$np"; break; fi
    sleep 0.05
  done
  [ -n "$NURL" ] && break
  kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null || true; NGINX_PID=""
done
[ -n "$NURL" ] || { echo "40-repo: nginx did not start" >&2; exit 1; }
N1URL="http://127.0.0.1:$((np + 1))" N2URL="http://127.0.0.1:$((np + 2))"

# resident memory of a process in MiB: rss PID -> "RSS PEAK"
rss() { awk '/^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2} END {printf "%.1f %.1f", r / 1024, h / 1024}' "/proc/$1/status"; }
rss_before="$(rss "$REPOD_PID") $(rss "$PG_PID") $(rss "$PG2_PID")"
# Where the CPU went in a case: clock ticks (user + system) of the processes given, so far
HZ=$(getconf CLK_TCK)
ticks() { local p s=0; for p in "$@"; do s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$s"; }
pg_pids() { local pm; pm=$(head -1 "$(cat "$T/pg/cluster")/data/postmaster.pid"); echo "$pm" $(pgrep -P "$pm"); }
ngx_pids() { echo "$NGINX_PID" $(pgrep -P "$NGINX_PID"); }
# ticks of the whole machine: "processes interrupts idle" (user, nice, system, steal; irq and
# softirq, where much of loopback's networking is counted; idle and iowait)
machine() { awk '/^cpu / {print $2 + $3 + $4 + $9, $7 + $8, $5 + $6}' /proc/stat; }

# wrk NAME URL -> "req/s p50_ms p99_ms max_ms errors"
ms() { awk '{v = $1; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; printf "%.2f", v}'; }
run_wrk() {
  local f="$OUT/repo-wrk-$1.txt"
  /usr/bin/time -f "%U %S" -o "$T/wrk.time" wrk -t"$THREADS" -c"$CONN" -d"$DUR" --timeout "$TIMEOUT" \
    --latency "$2" >"$f" 2>&1
  WRK_TICKS=$((WRK_TICKS + $(awk -v hz="$HZ" '{printf "%d", ($1 + $2) * hz}' "$T/wrk.time")))
  local rps p50 p99 max err
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$f")
  p50=$(awk '$1 == "50%" {print $2}' "$f" | ms)
  p99=$(awk '$1 == "99%" {print $2}' "$f" | ms)
  max=$(awk '$1 == "Latency" && NF == 5 {print $4}' "$f" | ms)
  # "Socket errors: connect 0, read 0, write 0, timeout 0" and "Non-2xx or 3xx responses: N"
  err=$(awk '/Socket errors:/ {gsub(/,/, ""); e += $4 + $6 + $8 + $10} /Non-2xx/ {e += $NF} END {print e + 0}' "$f")
  echo "${rps:-nan} ${p50:-nan} ${p99:-nan} ${max:-nan} $err"
}
META=/metadata/timestamp.json
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
declare -A W CPU
for c in "sqlite $URL" "pg $PURL" "nginx1 $N1URL" "nginx2 $N2URL" "mirror $NURL"; do
  read -r name base <<<"$c"
  WRK_TICKS=0
  read -r m0 k0 i0 <<<"$(machine)"
  # shellcheck disable=SC2046 # pid lists are words
  s0=$(ticks "$REPOD_PID") a0=$(ticks "$PG_PID") b0=$(ticks "$PG2_PID") q0=$(ticks $(pg_pids)) n0=$(ticks $(ngx_pids))
  # run_wrk in this shell (not in $(...)), so that WRK_TICKS adds up
  run_wrk "$name-meta" "$base$META" >"$T/w"
  W[$name-meta]=$(cat "$T/w")
  run_wrk "$name-pkg" "$base$TGT" >"$T/w"
  W[$name-pkg]=$(cat "$T/w")
  read -r m1 k1 i1 <<<"$(machine)"
  # shellcheck disable=SC2046 # pid lists are words
  s1=$(ticks "$REPOD_PID") a1=$(ticks "$PG_PID") b1=$(ticks "$PG2_PID") q1=$(ticks $(pg_pids)) n1=$(ticks $(ngx_pids))
  # CPU seconds of: xdrv-repod (each), PostgreSQL, nginx, wrk, interrupts, other processes, idle
  CPU[$name]=$(awk -v hz="$HZ" -v s=$((s1 - s0)) -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v q=$((q1 - q0)) \
    -v n=$((n1 - n0)) -v w="$WRK_TICKS" -v m=$((m1 - m0)) -v k=$((k1 - k0)) -v i=$((i1 - i0)) \
    'BEGIN {r = m - s - a - b - q - n - w; if (r < 0) r = 0
      printf "%.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f", s / hz, a / hz, b / hz, q / hz, n / hz, w / hz, k / hz, r / hz, i / hz}')
done
rss_after="$(rss "$REPOD_PID") $(rss "$PG_PID") $(rss "$PG2_PID")"

# publish latency: ~100 KiB packages, a new version each time
mkdir -p "$T/big"
awk 'BEGIN { srand(1); n = 86 * 1024
  printf "const unsigned char bigpad_blob[%d] = {", n
  for (i = 0; i < n; i++) printf "%s%d", (i ? "," : ""), int(rand() * 256)
  print "};"
  print "unsigned bigpad_peek(unsigned i);"
  print "unsigned bigpad_peek(unsigned i) { return bigpad_blob[i % sizeof bigpad_blob]; }" }' >"$T/big/pad.c"
lat="$OUT/repo-publish.txt" plat="$OUT/repo-publish-pg.txt" mlat="$OUT/repo-publish-mirror.txt"
: >"$lat"
: >"$plat"
: >"$mlat"
now_ms() { date +%s%3N; }
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
  t0=$(now_ms)
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X POST --data-binary @"$T/big/big.xdrv" \
    -H "Authorization: Bearer $(cat "$T/tok")" "$PURL/api/v1/publish" >>"$plat"
  # until the mirror serves the timestamp the server serves now (20 s at most)
  want=$(curl -sf "$PURL$META" | jq -r .signed.version)
  for _ in $(seq 1 4000); do
    [ "$(jq -r .signed.version "$T/mirror/metadata/timestamp.json" 2>/dev/null)" = "$want" ] && break
    sleep 0.005
  done
  [ "$(jq -r .signed.version "$T/mirror/metadata/timestamp.json")" = "$want" ] ||
    { echo "40-repo: the mirror did not reach timestamp v$want: $(tail -3 "$T/watch.err")" >&2; exit 1; }
  echo "mirror $(($(now_ms) - t0))" | awk '{print $1, $2 / 1000}' >>"$mlat"
done
BIG_SIZE=$(stat -c %s "$T/big/big.xdrv")
[ "$(grep -c '^201 ' "$lat")" = "$REPS" ] || { echo "40-repo: a publish failed: $(cat "$lat")" >&2; exit 1; }
[ "$(grep -c '^201 ' "$plat")" = "$REPS" ] || { echo "40-repo: a PostgreSQL publish failed: $(cat "$plat")" >&2; exit 1; }
stat_ms() { awk '{print $2*1000}' "${2:-$lat}" | sort -g | awk -v q="$1" '{a[NR]=$1} END {i=int(NR*q+0.999); if (i<1) i=1; printf "%.1f", a[i]}'; }
row() { # row RESOURCE LABEL KEY
  local rps p50 p99 max err
  read -r rps p50 p99 max err <<<"${W[$3]}"
  echo "| $1 | $2 | $rps | $p50 | $p99 | $max | $err |"
}
ratio() { awk -v a="${W[$1]%% *}" -v b="${W[$2]%% *}" 'BEGIN {printf "%.2f", a / b}'; }
read -r rs0 _ rp0 _ rq0 _ <<<"$rss_before"
read -r rs1 hs1 rp1 hp1 rq1 hq1 <<<"$rss_after"

{
  echo "## Repository: serving and publishing"
  echo
  echo "\`wrk -t$THREADS -c$CONN -d$DUR --timeout $TIMEOUT --latency URL\` on 127.0.0.1, one case after the"
  echo "other, on $(nproc) cores, $(date -u +%Y-%m-%d) (load average $LOAD0 before the first run: the machine"
  echo "is shared with other work). Metadata: \`/metadata/timestamp.json\`; package: the hello"
  echo "driver ($PKG_SIZE bytes) by its consistent-snapshot name. xdrv-repod: libmicrohttpd, 4 threads,"
  echo "\`max_connections_per_client = 4096\` (every connection comes from 127.0.0.1); PostgreSQL 15"
  echo "private on a Unix socket, fsync on; nginx $(nginx -v 2>&1 | sed 's|.*/||'): \`worker_processes auto\`,"
  echo "upstream keep-alive, sendfile. Errors: wrk's socket errors (connect, read, write, and"
  echo "timeout: no answer within $TIMEOUT) plus answers other than 2xx; latencies are of the answered"
  echo "requests. Raw wrk output: \`BUILD_DIR/bench/repo-wrk-*.txt\`."
  echo
  echo "| resource | served by | requests/s | p50 ms | p99 ms | max ms | errors |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
  row metadata "xdrv-repod, SQLite" sqlite-meta
  row metadata "xdrv-repod, PostgreSQL" pg-meta
  row metadata "nginx → 1 xdrv-repod, PostgreSQL" nginx1-meta
  row metadata "nginx → 2 xdrv-repod, one PostgreSQL" nginx2-meta
  row metadata "nginx, static mirror (\`export --watch\`)" mirror-meta
  row package "xdrv-repod, SQLite" sqlite-pkg
  row package "xdrv-repod, PostgreSQL" pg-pkg
  row package "nginx → 1 xdrv-repod, PostgreSQL" nginx1-pkg
  row package "nginx → 2 xdrv-repod, one PostgreSQL" nginx2-pkg
  row package "nginx, static mirror (\`export --watch\`)" mirror-pkg
  echo
  echo "Two servers behind nginx against one: $(ratio nginx2-meta nginx1-meta)× for metadata,"
  echo "$(ratio nginx2-pkg nginx1-pkg)× for packages. Where the CPU went in each case, CPU seconds over"
  echo "its two runs (metadata and package; the machine has $(nproc) × the run time): each process"
  echo "group, the kernel's interrupt and softirq time (much of loopback networking), other"
  echo "processes on the machine, idle:"
  echo
  echo "| served by | xdrv-repod | PostgreSQL | nginx | wrk | irq | other | idle |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  cpu_row() { # LABEL CASE
    local s a b q n w k r i x
    read -r s a b q n w k r i <<<"${CPU[$2]}"
    x=$(awk -v s="$s" -v a="$a" -v b="$b" 'BEGIN {printf "%.1f", s + a + b}')
    [ "$b" != 0.0 ] && x="$x ($a + $b)"
    echo "| $1 | $x | $q | $n | $w | $k | $r | $i |"
  }
  cpu_row "xdrv-repod, SQLite" sqlite
  cpu_row "xdrv-repod, PostgreSQL" pg
  cpu_row "nginx → 1 xdrv-repod" nginx1
  cpu_row "nginx → 2 xdrv-repod" nginx2
  cpu_row "nginx, static mirror" mirror
  echo
  read -r _ _ _ _ _ _ _ _ idle2 <<<"${CPU[nginx2]}"
  if awk -v i="$idle2" -v d="${DUR%s}" -v c="$(nproc)" 'BEGIN {exit !(i < 0.1 * 2 * d * c)}'; then
    echo "With two servers the machine had no idle CPU left (idle ${idle2} s): the figure is bound by"
    echo "the $(nproc) cores that wrk, nginx, PostgreSQL and both servers share, not by a server; a second"
    echo "server can only take a share of cores already busy. Two servers reach ≥ 1.6× one on a machine"
    echo "where one server leaves cores idle (PostgreSQL, nginx and the load generator elsewhere)."
    echo "For metadata every request is also a query of the one PostgreSQL, which two servers share."
  else
    echo "With two servers the machine still had idle CPU (${idle2} s)."
  fi
  echo
  echo "Resident memory of the servers (MiB, VmRSS) before the wrk runs and after, and the peak"
  echo "(VmHWM):"
  echo
  echo "| server | before | after | peak |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| xdrv-repod, SQLite | $rs0 | $rs1 | $hs1 |"
  echo "| xdrv-repod, PostgreSQL, server 1 | $rp0 | $rp1 | $hp1 |"
  echo "| xdrv-repod, PostgreSQL, server 2 | $rq0 | $rq1 | $hq1 |"
  echo
  echo "Publish latency of a $BIG_SIZE-byte signed package (each a new version: token check, CMS"
  echo "signature chain, manifest, blob fsync, one transaction re-signing the vendor role, snapshot"
  echo "and timestamp), $REPS publishes one after another, \`curl -w %{time_total}\`; and from the"
  echo "start of each PostgreSQL publish until the mirror served its timestamp (\`--interval $INTERVAL\`):"
  echo
  echo "| store | median ms | p90 ms | max ms |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| SQLite (WAL, synchronous=FULL) | $(stat_ms 0.5) | $(stat_ms 0.9) | $(stat_ms 1.0) |"
  echo "| PostgreSQL 15 (serializable transaction, advisory lock, blob in the database, fsync on) | $(stat_ms 0.5 "$plat") | $(stat_ms 0.9 "$plat") | $(stat_ms 1.0 "$plat") |"
  echo "| PostgreSQL publish until in the static mirror | $(stat_ms 0.5 "$mlat") | $(stat_ms 0.9 "$mlat") | $(stat_ms 1.0 "$mlat") |"
  echo
  echo "Reproduce: \`make O=build all && scripts/bench.d/40-repo.sh build build/bench/40-repo.md\` (this"
  echo "section alone; \`scripts/bench.sh build\` runs every section and rewrites this file)."
} >"$SECTION"
