#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The object cache end to end (issue 13; loader/cache.c): `xdrv load --cache` compiles once and
# links the stored object the next time (the same object digest); `xdrv cache list|verify|clear`;
# an entry changed on disk is never used (the load says so, compiles again, replaces it); an
# unsafe folder is refused; and `xdrv boot` of the four sample drivers twice: the second boot's
# JIT events say cache=hit with the object digests of the first.
#   usage: tests/e2e/object_cache.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: object_cache.sh BUILD_DIR}" && pwd)
X="$B/bin/xdrv"
ROOT="$B/pki/root.pem"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset XDRV_CACHE
fails=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
# expect EXIT PATTERN DESCRIPTION -- command...: output (stdout + stderr) in OUT
expect() {
  local want=$1 pat=$2 what=$3 rc
  shift 4
  OUT=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$what: exit $rc, wanted $want: $OUT"; return 1; fi
  if [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$OUT"; then bad "$what: no /$pat/ in: $OUT"; return 1; fi
  ok "$what"
}
C="$T/cache"
load_json() { "$X" load --trust "$ROOT" --json "$@" 2>/dev/null; }

# ---- 1. xdrv load: miss, hit, the same code -------------------------------------------------
expect 0 "^cache: +miss" "a first load with --cache compiles (miss)" -- \
  "$X" load --trust "$ROOT" --cache "$C" "$B/pkg/uart16550.xdrv"
expect 0 "^cache: +hit" "the second links the stored object (hit)" -- \
  "$X" load --trust "$ROOT" --cache "$C" "$B/pkg/uart16550.xdrv"
grep -qE "parse\+lint 0\.000 ms, optimize 0\.000 ms" <<<"$OUT" && ok "a hit parses and optimizes nothing" \
  || bad "a hit still parsed or optimized: $OUT"
[ "$(stat -c %a "$C")" = 700 ] && [ "$(stat -c %a "$C/cache.key")" = 600 ] \
  && ok "the folder is 0700, its key 0600" || bad "modes: $(stat -c '%n %a' "$C" "$C/cache.key")"
cold=$(load_json --no-cache "$B/pkg/uart16550.xdrv")
warm=$(XDRV_CACHE="$C" load_json "$B/pkg/uart16550.xdrv")
[ "$(jq -r .cache <<<"$cold")" = off ] && [ "$(jq -r .cache <<<"$warm")" = hit ] \
  && ok "\$XDRV_CACHE turns the cache on, --no-cache off (--json: \"cache\")" \
  || bad "cache states: cold $(jq -r .cache <<<"$cold"), warm $(jq -r .cache <<<"$warm")"
d1=$(jq -r .object_sha256 <<<"$cold") d2=$(jq -r .object_sha256 <<<"$warm")
[ ${#d1} -eq 64 ] && [ "$d1" = "$d2" ] && ok "the cached object is the object compiled (sha256 $d1)" \
  || bad "object digests differ: compiled $d1, cached $d2"
p1=$(load_json --cache "$C" --param baud=9600 "$B/pkg/uart16550.xdrv" | jq -r .cache)
p2=$(load_json --cache "$C" --param baud=9600 "$B/pkg/uart16550.xdrv" | jq -r .cache)
[ "$p1" = miss ] && [ "$p2" = hit ] && ok "another parameter value is another entry (miss, then hit)" \
  || bad "parameter entries: $p1, $p2"
expect 0 "^cache: +miss" "another driver: a miss" -- \
  "$X" load --trust "$ROOT" --cache "$C" "$B/pkg/hello.xdrv"
lazy=$(load_json --cache "$C" --lazy "$B/pkg/hello.xdrv" | jq -r .cache)
[ "$lazy" = off ] && ok "lazy mode does not use the cache" || bad "lazy mode: cache $lazy"

# ---- 2. xdrv cache list / verify / clear ------------------------------------------------------
expect 0 "^3 entries" "xdrv cache list: three entries" -- "$X" cache list --dir "$C"
grep -qE "^[0-9a-f]{16}  uart16550 [0-9.]+, eager O2 for [^ ]+, [0-9]+ functions, object" <<<"$OUT" \
  && grep -qE "^[0-9a-f]{16}  hello " <<<"$OUT" && ok "each entry names its driver, JIT and CPU" \
  || bad "list lines: $OUT"
j=$("$X" cache list --dir "$C" --json)
[ "$(jq '.entries | length' <<<"$j")" = 3 ] && [ "$(jq '[.entries[] | select(.ok)] | length' <<<"$j")" = 3 ] \
  && [ "$(jq -r '[.entries[].driver] | sort | join(",")' <<<"$j")" = hello,uart16550,uart16550 ] \
  && ok "xdrv cache list --json" || bad "list --json: $j"
expect 0 "^3 entries, 0 failed authentication" "xdrv cache verify: all authentic" -- \
  env XDRV_CACHE="$C" "$X" cache verify

# a native instruction of the uart16550 entry (the default parameters') changed on disk
for f in $(jq -r '.entries[] | select(.driver == "uart16550") | .file' <<<"$j"); do
  printf '\001' | dd of="$C/$f" bs=1 seek=300 conv=notrunc status=none
done
expect 1 "^FAILED  [0-9a-f]{64}\.xoc: HMAC does not verify" "xdrv cache verify names a tampered entry (exit 1)" -- \
  "$X" cache verify --dir "$C"
grep -q "^3 entries, 2 failed authentication" <<<"$OUT" || bad "verify count: $OUT"
expect 0 "object cache: entry [0-9a-f]{64}\.xoc \(uart16550\.xdrv\) failed authentication: HMAC does not verify.*; recompiled" \
  "a load says the tampered entry failed and compiles" -- \
  "$X" load --trust "$ROOT" --cache "$C" "$B/pkg/uart16550.xdrv"
grep -qE "^cache: +rejected" <<<"$OUT" || bad "the load's cache state: $OUT"
d3=$(load_json --cache "$C" "$B/pkg/uart16550.xdrv" | jq -r '.cache + " " + .object_sha256')
[ "$d3" = "hit $d1" ] && ok "the entry was replaced: a hit, the same object" || bad "after the rejection: $d3"
expect 1 "^3 entries, 1 failed" "the other tampered entry (another parameter) still fails" -- \
  "$X" cache verify --dir "$C"
expect 0 "^removed 3 entries from" "xdrv cache clear" -- "$X" cache clear --dir "$C"
expect 0 "^0 entries" "nothing left after clear" -- "$X" cache list --dir "$C"
[ -f "$C/cache.key" ] && ok "clear keeps the key" || bad "clear removed the key"
expect 0 "^no cache at $T/none: no entries" "list of a folder that does not exist" -- \
  "$X" cache list --dir "$T/none"
[ ! -e "$T/none" ] && ok "list creates nothing" || bad "list created $T/none"

# ---- 3. refusals and usage --------------------------------------------------------------------
mkdir -m 0777 "$T/open" && chmod 0777 "$T/open"
expect 1 "object cache: folder $T/open has mode 0777: writable by others" \
  "a folder others can write is refused" -- "$X" load --trust "$ROOT" --cache "$T/open" "$B/pkg/hello.xdrv"
chmod 0644 "$C/cache.key"
expect 1 "key $C/cache.key has mode 0644: readable or writable by others" \
  "a key others can read is refused" -- "$X" load --trust "$ROOT" --cache "$C" "$B/pkg/hello.xdrv"
chmod 0600 "$C/cache.key"
expect 2 "wants list, verify or clear" "xdrv cache without a subcommand" -- "$X" cache --dir "$C"
expect 2 "wants list, verify or clear, not purge" "xdrv cache purge" -- "$X" cache purge --dir "$C"
expect 2 "which cache\? give --dir DIR or set \\\$XDRV_CACHE" "xdrv cache list without a folder" -- "$X" cache list
expect 2 "--cache and --no-cache exclude each other" "load --cache with --no-cache" -- \
  "$X" load --trust "$ROOT" --cache "$C" --no-cache "$B/pkg/hello.xdrv"
expect 2 "--cache-max wants MiB" "load --cache-max 0" -- \
  "$X" load --trust "$ROOT" --cache "$C" --cache-max 0 "$B/pkg/hello.xdrv"
expect 2 "--cache do not apply" "run --native with --cache" -- \
  "$X" run --native x.so --cache "$C" --device null

# ---- 4. a boot of the four sample drivers, twice ---------------------------------------------
mkdir -p "$T/boot"
cat >"$T/boot/boot.json" <<EOF
{"format": 1, "tpm": null, "event_log": "boot.log", "state_dir": "state",
 "trust": {"root": "$ROOT"},
 "drivers": [{"package": "$B/pkg/hello.xdrv", "device": "null"},
             {"package": "$B/pkg/uart16550.xdrv", "device": "uart16550"},
             {"package": "$B/pkg/dp83820.xdrv", "device": "dp83820"},
             {"package": "$B/pkg/virtio_scsi.xdrv", "device": "virtio-scsi:disk=ram:1M"}]}
EOF
# name, object digest and cache state of each JIT event of the log
jit_events() {
  LC_ALL=C grep -aoE 'xdrv\.driver\.jit [ -~]*' "$T/boot/boot.log" |
    sed -E 's/^xdrv\.driver\.jit name=([^ ]+).* object_sha256=([0-9a-f]+) .*cache=([a-z]+)( .*)?$/\1 \2 \3/'
}
expect 0 "4 driver\(s\) booted, 0 refused" "the first boot of the four sample drivers" -- \
  "$X" boot --config "$T/boot/boot.json"
first=$(jit_events)
[ "$(awk '$3 == "miss"' <<<"$first" | wc -l)" = 4 ] && ok "the first boot measures cache=miss for each" \
  || bad "first boot's JIT events: $first"
expect 0 "JIT eager \(object cache hit\)" "the second boot" -- "$X" boot --config "$T/boot/boot.json"
second=$(jit_events)
[ "$(awk '$3 == "hit"' <<<"$second" | wc -l)" = 4 ] && ok "the second boot measures cache=hit for each" \
  || bad "second boot's JIT events: $second"
[ "$(awk '{print $1, $2}' <<<"$first")" = "$(awk '{print $1, $2}' <<<"$second")" ] \
  && ok "each driver's measured object digest is the first boot's" \
  || bad "object digests differ: [$first] vs [$second]"
expect 0 "^4 entries, 0 failed" "the boot's cache is STATE_DIR/cache" -- \
  "$X" cache verify --dir "$T/boot/state/cache"

echo "object_cache.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
