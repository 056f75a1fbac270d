#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Packet extensions in the boot configuration (issue 16; docs/BOOT.md "Packet extensions"):
# dp83820 with the filter extension on a generator wire, measured into swtpm like a driver
# (xdrv.ext.package with the payload digest, xdrv.ext.jit), attested and verified against a
# reference; the filter's drops in the boot's figures; and each refusal: a revoked extension
# (deny-list), an unsigned one, a driver package in an extension slot, an extension in a driver
# slot, a hook the extension does not declare, a bad hook or key in the configuration.
#   usage: tests/e2e/boot_ext.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: boot_ext.sh BUILD_DIR}" && pwd)
X="$B/bin/xdrv"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
SWTPM_PID=
cleanup() {
  [ -n "$SWTPM_PID" ] && kill "$SWTPM_PID" 2>/dev/null && wait "$SWTPM_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
export TSS2_LOG=all+NONE
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
# expect EXIT PATTERN DESCRIPTION -- command...
expect() {
  local want=$1 pat=$2 what=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  OUT=$out
  if [ "$rc" -ne "$want" ]; then bad "$what: exit $rc, wanted $want: $out"; return 1; fi
  if [ -n "$pat" ] && ! grep -qiE -- "$pat" <<<"$out"; then bad "$what: no /$pat/ in: $out"; return 1; fi
  ok "$what"
}
for tool in swtpm tpm2_pcrread; do
  command -v $tool >/dev/null || { echo "FAIL - $tool missing (scripts/install-deps installs it)"; exit 1; }
done
. "$(dirname "$0")/lib/swtpm.sh"

# config NAME TPM DRIVERS-JSON [POLICY-JSON] [REVOCATION-JSON]: a fresh folder each time
config() {
  local name=$1 tpm=$2 drivers=$3 policy=${4:-"{}"} rev=${5:-}
  mkdir -p "$T/$name"
  cat >"$T/$name/boot.json" <<EOF
{"format": 1, "tpm": $tpm, "event_log": "boot.log", "state_dir": "state",
 "trust": {"root": "$B/pki/root.pem"}, "policy": $policy,${rev:+ \"revocation\": $rev,}
 "drivers": $drivers}
EOF
  echo "$T/$name/boot.json"
}
# nic EXT-JSON...: dp83820 on a generator wire of 300 frames (10.0.0.2:9 -> 10.0.0.1:9 UDP)
nic() {
  local IFS=,
  echo "{\"package\": \"$B/pkg/dp83820.xdrv\", \"device\": \"dp83820\", \"wire\": \"gen:count=300,size=60\", \"extensions\": [$*]}"
}
echo "10.0.0.2  # the generator's source" >"$T/deny.tab"
FILTER="{\"package\": \"$B/ext/filter.xdrv\", \"hook\": \"rx\", \"tables\": {\"deny\": \"$T/deny.tab\"}}"
HELLO="{\"package\": \"$B/pkg/hello.xdrv\", \"device\": \"null\"}"
payload_of() { "$X" verify --trust "$B/pki/root.pem" "$1" | awk '/^payload sha256:/{print $3}'; }
filter_sha=$(payload_of "$B/ext/filter.xdrv")
dp_sha=$(payload_of "$B/pkg/dp83820.xdrv")
[ ${#filter_sha} -eq 64 ] && [ ${#dp_sha} -eq 64 ] || bad "no payload digests from xdrv verify"
NONCE=$(openssl rand -hex 20)

# ---- 1. configuration errors name the entry ---------------------------------------------------
C=$(config badhook null "[$(nic "{\"package\": \"$B/ext/filter.xdrv\", \"hook\": \"rxx\"}")]")
expect 1 'drivers\[0\]\.extensions\[0\]\.hook: "rxx" is neither rx nor tx' "a bad hook is refused" -- "$X" boot --config "$C"
C=$(config badkey null "[$(nic "{\"package\": \"$B/ext/filter.xdrv\", \"hook\": \"rx\", \"polcy\": \"drop\"}")]")
expect 1 'drivers\[0\]\.extensions\[0\]: unknown key "polcy"' "an unknown key is refused" -- "$X" boot --config "$C"
C=$(config badpol null "[$(nic "{\"package\": \"$B/ext/filter.xdrv\", \"hook\": \"tx\", \"policy\": \"maybe\"}")]")
expect 1 'drivers\[0\]\.extensions\[0\]\.policy: "maybe" is neither pass nor drop' "a bad policy is refused" -- "$X" boot --config "$C"
[ ! -e "$T/badhook/boot.log" ] && ok "nothing measured for a configuration error" || bad "a log was written for a bad configuration"

# ---- 2. the good boot into swtpm ----------------------------------------------------------------
start_tpm "$T/tpm1"
C=$(config good "\"$TCTI\"" "[$(nic "$FILTER")]")
expect 0 "1 driver\(s\) booted, 0 refused, 11 events measured into PCRs 11 and 12" \
  "dp83820 boots with the filter extension measured into swtpm" -- "$X" boot --config "$C"
for pat in "wire gen\.0: 300 frames in, host received 0, extensions dropped 300 \(policy 0\), 0 extension failures" \
  "ext rx filter 1\.0\.0: 300 runs, pass 0, drop 300," \
  "dp83820: extension filter 1\.0\.0 \(rx, policy pass\) signed by O = xdrv dev vendor"; do
  grep -qE -- "$pat" <<<"$OUT" && ok "boot figures: /$pat/" || bad "boot output lacks /$pat/: $OUT"
done
LOG="$T/good/boot.log"
grep -aqE "xdrv\.ext\.package name=filter version=1\.0\.0 security_version=[0-9]+ floor=0 sha256=[0-9a-f]{64} payload_sha256=$filter_sha .* driver=dp83820 hook=rx policy=pass" "$LOG" \
  && ok "the event log holds the extension's package event with its payload digest" \
  || bad "no xdrv.ext.package event for filter: $(strings "$LOG" | grep xdrv.ext)"
grep -aqE "xdrv\.ext\.jit name=filter driver=dp83820 opt=2 object_sha256=[0-9a-f]{64} functions=[0-9]+ cache=miss budget=4096" "$LOG" \
  && ok "the event log holds the extension's JIT event" || bad "no xdrv.ext.jit event"
# order: driver package, extension package, driver JIT, extension JIT, probe
order=$(strings "$LOG" | grep -oE '^"?xdrv\.(driver|ext)\.[a-z]+' | tr -d '"' | tr '\n' ' ')
[ "$order" = "xdrv.driver.package xdrv.ext.package xdrv.driver.jit xdrv.ext.jit xdrv.driver.probe " ] \
  && ok "events in order" || bad "events out of order: $order"
expect 0 "wrote" "xdrv attest quotes the boot" -- "$X" attest --config "$C" --nonce "$NONCE" -o "$T/good/bundle.json"
cat >"$T/ref.json" <<EOF
{"drivers": {"dp83820": ["$dp_sha"]}, "extensions": {"filter": ["$filter_sha"]}}
EOF
expect 0 "every measured driver is in the allow-list" "verify-boot accepts the log and quote" -- \
  "$X" verify-boot "$T/good/bundle.json" --nonce "$NONCE" --expect "$T/ref.json"
for pat in "^extension +filter 1\.0\.0 on dp83820's rx hook \(policy pass\), security_version 1 \(floor 0\), payload sha256 $filter_sha" \
  "extension filter: JIT eager at O2, budget 4096 back edges per packet, object code sha256 [0-9a-f]{64} \(object cache: miss\)" \
  "^boot +complete: 1 drivers booted"; do
  grep -qE -- "$pat" <<<"$OUT" && ok "verify-boot shows /$pat/" || bad "verify-boot output lacks /$pat/: $OUT"
done
echo "{\"drivers\": {\"dp83820\": [\"$dp_sha\"]}}" >"$T/ref-noext.json"
expect 1 "extension filter: payload sha256 $filter_sha is not in the reference allow-list" \
  "verify-boot refuses an extension outside the reference" -- \
  "$X" verify-boot "$T/good/bundle.json" --nonce "$NONCE" --expect "$T/ref-noext.json"
stop_tpm

# ---- 3. refusals: the driver entry is refused with its extension (fail closed) -----------------
# no_ext_code LOG WHAT: nothing of the refused extension was compiled or run
refused() { # NAME PATTERN-IN-OUTPUT STEP WHAT DRIVERS [POLICY] [REV]
  local name=$1 pat=$2 step=$3 what=$4 drivers=$5 policy=${6:-"{}"} rev=${7:-}
  local C; C=$(config "$name" null "$drivers" "$policy" "$rev")
  local want=1; [ "$policy" != "{}" ] && want=0
  expect $want "$pat" "$what" -- "$X" boot --config "$C" || return
  local L="$T/$name/boot.log"
  grep -aqE "xdrv\.(ext|driver)\.refused .*step=$step " "$L" && ok "$what: refusal measured at step $step" \
    || bad "$what: no refusal at step $step in the log: $(strings "$L" | grep refused)"
  if grep -aqE 'xdrv\.ext\.jit|xdrv\.driver\.probe name=dp83820' "$L"; then
    bad "$what: the extension was compiled or its driver probed"
  else ok "$what: nothing compiled, the NIC did not come up"; fi
}
"$X" revoke --deny-list "$T/deny.txt" "$B/ext/filter.xdrv" >/dev/null || bad "xdrv revoke --deny-list"
refused deny "dp83820\.xdrv: extension: filter\.xdrv: revocation: package payload digest $filter_sha is on the deny-list" \
  revocation "a revoked extension (deny-list) stops the boot" "[$(nic "$FILTER")]" "{}" "{\"deny_list\": \"$T/deny.txt\"}"
grep -aq "xdrv.boot.stopped" "$T/deny/boot.log" && ok "the stopped boot is measured" || bad "no xdrv.boot.stopped"
refused unsigned "filter\.unsigned\.xdrv: signature" signature "an unsigned extension is refused" \
  "[$(nic "{\"package\": \"$B/ext/filter.unsigned.xdrv\", \"hook\": \"rx\"}")]"
refused drvext "hello\.xdrv: manifest: is a driver, not an extension" manifest \
  "a driver package in an extension slot is refused" \
  "[$(nic "{\"package\": \"$B/pkg/hello.xdrv\", \"hook\": \"rx\"}")]"
refused extdrv "filter\.xdrv: manifest: is an extension, not a driver" manifest \
  "an extension package in a driver slot is refused" \
  "[{\"package\": \"$B/ext/filter.xdrv\", \"device\": \"dp83820\"}]"
# an extension that declares the tx hook only, attached to rx
cat >"$T/txonly.c" <<'EOF'
#include <xdrv/ext.h>
static int32_t txonly_run(xdrv_ext_pkt_t *pkt)
{
	(void)pkt;
	return XDRV_EXT_PASS;
}
XDRV_EXTENSION(.name = "txonly", .version = "1.0.0", .hooks = XDRV_EXT_HOOK_TX, .run = txonly_run);
EOF
if "$X" build --extension -o "$T/txonly.bc" "$T/txonly.c" >/dev/null 2>&1 &&
  "$X" pack -o "$T/txonly.unsigned.xdrv" "$T/txonly.bc" >/dev/null &&
  "$X" sign --cert "$B/pki/signer.pem" --key "$B/pki/signer.key" --chain "$B/pki/vendor.pem" \
    -o "$T/txonly.xdrv" "$T/txonly.unsigned.xdrv" >/dev/null; then
  refused hook "txonly\.xdrv: manifest: does not declare the rx hook \(it declares tx\)" manifest \
    "an extension without the configured hook is refused" \
    "[$(nic "{\"package\": \"$T/txonly.xdrv\", \"hook\": \"rx\"}")]"
else bad "building the tx-only extension"; fi
refused tabname 'filter\.xdrv: manifest: declares no table "dney"' manifest \
  "a table the extension does not declare is refused" \
  "[$(nic "{\"package\": \"$B/ext/filter.xdrv\", \"hook\": \"rx\", \"tables\": {\"dney\": \"$T/deny.tab\"}}")]"
refused tabfile "filter\.xdrv: tables: table file $T/none\.tab: No such file" tables \
  "a missing table file is refused" \
  "[$(nic "{\"package\": \"$B/ext/filter.xdrv\", \"hook\": \"rx\", \"tables\": {\"deny\": \"$T/none.tab\"}}")]"
# continue_on_failure: the NIC entry is refused, the next driver boots
refused cont "1 driver\(s\) booted, 1 refused" revocation \
  "continue_on_failure: the other drivers boot" "[$(nic "$FILTER"), $HELLO]" \
  '{"continue_on_failure": true}' "{\"deny_list\": \"$T/deny.txt\"}"
# ... into swtpm: verify-boot shows the extension's refusal and the driver's
start_tpm "$T/tpm2"
C=$(config contq "\"$TCTI\"" "[$(nic "$FILTER"), $HELLO]" '{"continue_on_failure": true}' "{\"deny_list\": \"$T/deny.txt\"}")
"$X" boot --config "$C" >/dev/null 2>&1 || bad "boot with a revoked extension under continue_on_failure"
"$X" attest --config "$C" --nonce "$NONCE" -o "$T/contq/bundle.json" >/dev/null 2>&1 || bad "attest of the boot with a refusal"
expect 0 "refused +extension filter\.xdrv of dp83820 at revocation: .*is on the deny-list" \
  "verify-boot shows the refused extension" -- "$X" verify-boot "$T/contq/bundle.json" --nonce "$NONCE"
grep -qE "^refused +dp83820\.xdrv at extension: dp83820\.xdrv: extension: filter\.xdrv: revocation" <<<"$OUT" \
  && ok "verify-boot shows the driver refused with it" || bad "verify-boot lacks the driver's refusal: $OUT"
stop_tpm

# ---- 4. the loader refuses the wrong kind from the manifest ------------------------------------
expect 1 "is an extension, not a driver" "xdrv load refuses an extension package" -- \
  "$X" load --trust "$B/pki/root.pem" "$B/ext/prio.xdrv"
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' >"$T/empty.pcap"
expect 1 "hello\.xdrv: is a driver, not an extension" "xdrv ext test refuses a driver package" -- \
  "$X" ext test --trust "$B/pki/root.pem" --pcap "$T/empty.pcap" "$B/pkg/hello.xdrv"
# refused from the manifest's kind before anything compiles it: a driver package whose bitcode
# crashes LLVM's reader (packed by hand as boot_tpm.sh does) gets the kind's message, not the
# compiler process's death
mkdir -p "$T/crashpkg"
if (cd "$T/crashpkg" && tar xf "$B/pkg/hello.unsigned.xdrv" && cp "$SRC/tests/hostile/bad_bitcode_crash.bc" driver.bc &&
    sha=$(sha256sum driver.bc | cut -d' ' -f1) && size=$(stat -c %s driver.bc) &&
    jq --arg s "$sha" --argjson n "$size" \
      '(.files[] | select(.path == "driver.bc")) |= (.sha256 = $s | .size = $n)' manifest.json >m.json &&
    mv m.json manifest.json &&
    tar --format=ustar --owner=0 --group=0 -cf "$T/crash.xdrv" manifest.json driver.bc); then
  expect 1 "crash\.xdrv: is a driver, not an extension" \
    "a driver package is refused as an extension before it is compiled" -- \
    "$X" ext test --allow-unsigned --pcap "$T/empty.pcap" "$T/crash.xdrv"
  grep -q "compiler process" <<<"$OUT" && bad "the driver package was compiled: $OUT"
else bad "packing the crashing driver"; fi

echo "boot_ext: $fails failure(s)"
[ "$fails" -eq 0 ]
