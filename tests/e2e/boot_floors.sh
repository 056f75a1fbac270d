#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Rollback floors that cannot be reset (issue 10), against swtpm on loopback and without a TPM.
# The attacks reported, each reproduced and refused with a message naming it:
#   1. the TPM NV floor index removed with tpm2_nvundefine under an empty owner authorization,
#      or squatted (defined first by someone else, with other attributes or another policy)
#      and read as floor 0, the driver JIT-compiled and probed before the boot noticed;
#   2. without a TPM, floors.state deleted (key kept), or an older copy put back.
# Also: the warning while the TPM's owner authorization is empty, and xdrv with one set.
#   usage: tests/e2e/boot_floors.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: boot_floors.sh BUILD_DIR}" && pwd)
X="$B/bin/xdrv"
T=$(mktemp -d)
SWTPM_PID=
cleanup() {
  [ -n "$SWTPM_PID" ] && kill "$SWTPM_PID" 2>/dev/null && wait "$SWTPM_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
export TSS2_LOG=all+NONE # tpm2-tools: the expected failures below need no TSS trace
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
# no_driver_ran DIR WHAT: the last boot compiled and ran no driver code (its output has no line
# from the driver, its log no JIT or probe event)
no_driver_ran() {
  if grep -qE '^\[hello\]|probed on|JIT eager' <<<"$OUT" ||
     grep -aqE 'xdrv\.driver\.(jit|probe)' "$1/boot.log" 2>/dev/null; then
    bad "$2: driver code ran before the refusal: $OUT"
  else ok "$2: refused before any driver was compiled or run"; fi
}

for tool in swtpm tpm2_nvdefine tpm2_nvundefine tpm2_nvreadpublic tpm2_send tpm2_changeauth \
  tpm2_startauthsession tpm2_policycommandcode tpm2_getcap tpm2_hierarchycontrol; do
  command -v $tool >/dev/null || { echo "FAIL - $tool missing (scripts/install-deps installs it)"; exit 1; }
done

# free_ports, start_tpm DIR, stop_tpm; here the tpm2 tools talk to the TPM just started
SWTPM_EXPORT_TCTI=1
. "$(dirname "$0")/lib/swtpm.sh"
# config NAME TPM DRIVERS-JSON [EXTRA-TOP-LEVEL-KEYS]: a fresh folder each time
config() {
  local name=$1 tpm=$2 drivers=$3 extra=${4:-}
  mkdir -p "$T/$name"
  cat >"$T/$name/boot.json" <<EOF
{"format": 1, "tpm": $tpm, "event_log": "boot.log", "state_dir": "state",$extra
 "trust": {"root": "$B/pki/root.pem"}, "policy": {},
 "drivers": $drivers}
EOF
  echo "$T/$name/boot.json"
}
HELLO="[{\"package\": \"$B/pkg/hello.xdrv\", \"device\": \"null\"}]"
"$X" pack -o "$T/hello2.unsigned.xdrv" --version 1.0.0 --security-version 2 "$B/drivers/hello.bc" >/dev/null &&
"$X" sign --cert "$B/pki/signer.pem" --key "$B/pki/signer.key" --chain "$B/pki/vendor.pem" \
  -o "$T/hello2.xdrv" "$T/hello2.unsigned.xdrv" >/dev/null || bad "making hello with security_version 2"
HELLO2="[{\"package\": \"$T/hello2.xdrv\", \"device\": \"null\"}]"
# hello's floor index: 0x01580000 | 16 bits of FNV-1a("hello") (docs/BOOT.md)
IDX=$(python3 -c '
h = 2166136261
for c in b"hello": h = ((h ^ c) * 16777619) & 0xFFFFFFFF
print("0x%08x" % (0x01580000 | ((h ^ (h >> 16)) & 0xFFFF)))')
DEL_POLICY="$T/delete-policy.bin" # PolicyCommandCode(TPM_CC_NV_UndefineSpaceSpecial)
python3 -c 'import hashlib, struct, sys
open(sys.argv[1], "wb").write(hashlib.sha256(b"\0" * 32 + struct.pack(">II", 0x16C, 0x11F)).digest())' "$DEL_POLICY"
# raw_undefine AUTH-HANDLE INDEX: TPM2_NV_UndefineSpace sent as bytes (tpm2_nvundefine refuses a
# policy-delete index before asking the TPM); prints the TPM's response code
raw_undefine() {
  python3 -c '
import struct, sys
auth, idx = int(sys.argv[1], 16), int(sys.argv[2], 16)
body = struct.pack(">IIII", 0x122, auth, idx, 9) + struct.pack(">IHBH", 0x40000009, 0, 0, 0)
sys.stdout.buffer.write(struct.pack(">HI", 0x8002, 6 + len(body)) + body)' "$1" "$2" |
    tpm2_send | python3 -c 'import struct, sys; print("0x%03x" % struct.unpack(">I", sys.stdin.buffer.read()[6:10])[0])'
}
# platform_undefine INDEX [PLATFORM-AUTH]: TPM2_NV_UndefineSpaceSpecial, the one way to delete a
# policy-delete index: the platform authorization and a session satisfying its authPolicy
platform_undefine() {
  tpm2_startauthsession --policy-session -S "$T/s.ctx" >/dev/null &&
  tpm2_policycommandcode -S "$T/s.ctx" TPM2_CC_NV_UndefineSpaceSpecial >/dev/null &&
  tpm2_nvundefine -C p ${2:+-P "$2"} -S "$T/s.ctx" "$1" >/dev/null 2>&1
  local rc=$?
  tpm2_flushcontext "$T/s.ctx" >/dev/null 2>&1
  return $rc
}

# ---- 1. attack 1: the floor index cannot be deleted with the owner authorization -------------
start_tpm "$T/tpm-a"
C=$(config a1 "\"$TCTI\"" "$HELLO2")
expect 0 "hello 1.0.0 \(security_version 2\)" "hello security_version 2 boots and raises its TPM floor" -- \
  "$X" boot --config "$C"
grep -q "boot: warning: the TPM's owner authorization is empty: anyone who can open the TPM can define NV indices" <<<"$OUT" &&
  ok "boot warns that the owner authorization is empty" || bad "no empty-owner-auth warning in: $OUT"
pub=$(tpm2_nvreadpublic "$IDX" 2>&1)
# 0x62040422: nt=bits (0x20), ownerwrite, policydelete, authread, no_da, written, platformcreate
# (tpm2-tools 5.4 spells the type "nt=0x1" whatever it is: the value is what counts)
grep -q "value: 0x62040422" <<<"$pub" &&
  grep -qi "authorization policy: $(od -An -tx1 -v "$DEL_POLICY" | tr -d " \n")" <<<"$pub" &&
  ok "the floor is a platform bits index with policy delete (tpm2_nvreadpublic)" || bad "floor index $IDX: $pub"
# tpm2-tools sees the policy-delete attribute and does not even ask the TPM (exit 2) ...
for h in o p; do
  out=$(tpm2_nvundefine -C $h "$IDX" 2>&1) && bad "tpm2_nvundefine -C $h deleted the floor index" ||
    ok "tpm2_nvundefine -C $h of the floor index fails: $(head -1 <<<"$out")"
done
# ... so the command goes to the TPM as bytes: the TPM refuses it too
[ "$(raw_undefine 40000001 "$IDX")" = 0x282 ] && [ "$(raw_undefine 4000000C "$IDX")" = 0x282 ] &&
  ok "the TPM itself refuses TPM2_NV_UndefineSpace, owner or platform (TPM_RC_ATTRIBUTES)" ||
  bad "TPM2_NV_UndefineSpace: $(raw_undefine 40000001 "$IDX") / $(raw_undefine 4000000C "$IDX"), wanted 0x282"
nvs=$(tpm2_getcap handles-nv-index)
grep -q "${IDX#0x0}" <<<"$nvs" && ok "the floor index is still there" || bad "floor index $IDX gone: $nvs"
start_tpm "$T/tpm-a"
C=$(config a2 "\"$TCTI\"" "$HELLO")
expect 1 "hello.xdrv: rollback: security_version 1 is below the floor 2 \(stored in TPM NV\)" \
  "the floor is still enforced after the undefine attempts" -- "$X" boot --config "$C"

# The platform authorization can delete it (swtpm has no firmware to set one): the directory
# still lists it, so the boot stops before any driver
platform_undefine "$IDX" && ok "TPM2_NV_UndefineSpaceSpecial with the (empty) platform authorization deletes it" ||
  bad "TPM2_NV_UndefineSpaceSpecial failed with the empty platform authorization"
start_tpm "$T/tpm-a"
C=$(config a3 "\"$TCTI\"" "$HELLO")
expect 1 "TPM rollback floor: NV index $IDX listed in xdrv's floors directory \(NV 0x01590001\) is not on the TPM: deleted .*refusing to boot" \
  "a floor index deleted with the platform authorization stops the boot" -- "$X" boot --config "$C"
no_driver_ran "$T/a3" "a deleted floor index"
# ... and defined again exactly as xdrv defines it: the same Name, but never written
tpm2_nvdefine -C p -s 8 -a "nt=bits|platformcreate|policydelete|ownerwrite|authread|no_da" \
  -L "$DEL_POLICY" "$IDX" >/dev/null || bad "re-defining the floor index as xdrv does"
start_tpm "$T/tpm-a"
C=$(config a3 "\"$TCTI\"" "$HELLO")
expect 1 "TPM rollback floor: NV index $IDX listed in xdrv's floors directory \(NV 0x01590001\) has never been written, and xdrv lists a floor only once written: deleted and defined again .*refusing to boot" \
  "a floor index deleted and defined again as xdrv defines it stops the boot" -- "$X" boot --config "$C"
no_driver_ran "$T/a3" "a re-created floor index"
start_tpm "$T/tpm-a"
C=$(config a3 "\"$TCTI\"" "$HELLO")
expect 0 "rollback floors re-initialized \(tpm-nv-platform\): .*0 listed floor\(s\) missing and dropped, 1 re-created \(floor 0\)" \
  "xdrv boot --reinit-floors accepts the loss, and says so" -- "$X" boot --config "$C" --reinit-floors
grep -aq 'xdrv.floors.reinit store=tpm-nv-platform found="directory present; rebuilt from the TPM' "$T/a3/boot.log" &&
  ok "the re-initialization is an event in the log" || bad "no xdrv.floors.reinit event in $T/a3/boot.log"
NONCE=$(openssl rand -hex 20)
"$X" attest --config "$C" --nonce "$NONCE" -o "$T/a3/bundle.json" >"$T/attest.out" 2>&1 || bad "attest: $(cat "$T/attest.out")"
grep -q "attest: warning: the TPM's owner authorization is empty" "$T/attest.out" &&
  ok "xdrv attest warns that the owner authorization is empty" || bad "no warning from attest: $(cat "$T/attest.out")"
expect 0 "^floors +RE-INITIALIZED \(tpm-nv-platform\): directory present; rebuilt" \
  "verify-boot shows the re-initialization" -- "$X" verify-boot "$T/a3/bundle.json" --nonce "$NONCE"
grep -qE "^warning +the TPM's owner authorization was empty at boot" <<<"$OUT" &&
  ok "verify-boot shows the empty owner authorization from the log" || bad "no owner-auth line in: $OUT"
# with a platform authorization, as firmware sets one, nothing in the OS deletes the floor
tpm2_changeauth -c platform platform-secret || bad "tpm2_changeauth -c platform"
platform_undefine "$IDX" && bad "the floor index was deleted without the platform authorization" ||
  ok "TPM2_NV_UndefineSpaceSpecial without the platform authorization is refused"
start_tpm "$T/tpm-a"
C=$(config a4 "\"$TCTI\"" "$HELLO")
expect 0 "1 driver\(s\) booted" "after the re-initialization, the next boot needs none" -- "$X" boot --config "$C"

# ---- 1b. the platform hierarchy disabled, as firmware leaves a real machine ---------------------
# (swtpm enables it at every startup: disabled again after each start)
start_tpm_noph() {
  start_tpm "$1"
  tpm2_hierarchycontrol -C p phEnable clear || bad "tpm2_hierarchycontrol -C p phEnable clear"
}
start_tpm_noph "$T/tpm-o"
C=$(config o1 "\"$TCTI\"" "$HELLO2")
expect 0 "hello 1.0.0 \(security_version 2\)" "without the platform hierarchy hello security_version 2 boots" -- \
  "$X" boot --config "$C"
grep -aq "floors=tpm-nv-owner floors_state=new tpm_owner_auth=empty" "$T/o1/boot.log" &&
  ok "the policy event says the floors are owner indices" || bad "no floors=tpm-nv-owner in the policy event"
# 0x22040022: nt=bits, ownerwrite, authread, no_da, written: no platformcreate, no policy delete
pub=$(tpm2_nvreadpublic "$IDX" 2>&1)
grep -q "value: 0x22040022" <<<"$pub" && ok "the floor is an owner bits index" || bad "floor index $IDX: $pub"
start_tpm_noph "$T/tpm-o"
C=$(config o2 "\"$TCTI\"" "$HELLO")
expect 1 "security_version 1 is below the floor 2 \(stored in TPM NV\)" "... and enforced" -- "$X" boot --config "$C"
# the owner authorization (empty: the warning said so) deletes it; the directory notices
tpm2_nvundefine -C o "$IDX" >/dev/null 2>&1 && ok "an owner floor index can be deleted with the owner authorization" ||
  bad "tpm2_nvundefine -C o of an owner floor index failed"
start_tpm_noph "$T/tpm-o"
C=$(config o3 "\"$TCTI\"" "$HELLO")
expect 1 "NV index $IDX listed in xdrv's floors directory \(NV 0x01590001\) is not on the TPM: deleted \(TPM2_NV_UndefineSpace with the owner authorization" \
  "an owner floor index deleted stops the boot" -- "$X" boot --config "$C"
no_driver_ran "$T/o3" "an owner floor index deleted"
# owner indices where the platform hierarchy is enabled: refused, not silently trusted
start_tpm "$T/tpm-o"
C=$(config o4 "\"$TCTI\"" "$HELLO")
expect 1 "TPM floors directory: NV index 0x01590001 is an owner index as xdrv defines the floors directory where the platform hierarchy is disabled, but it is enabled now" \
  "owner indices while the platform hierarchy is enabled stop the boot" -- "$X" boot --config "$C"
no_driver_ran "$T/o4" "owner indices with the platform hierarchy enabled"

# ---- 2. attack 1: squatted indices (defined first, by someone else) ---------------------------
squat() { # squat NAME DESCRIPTION INDEX PATTERN tpm2_nvdefine-ARGS...
  local name=$1 what=$2 idx=$3 pat=$4; shift 4
  start_tpm "$T/tpm-$name"
  tpm2_nvdefine "$@" "$idx" >/dev/null || { bad "$what: tpm2_nvdefine $*"; return; }
  local cfg
  cfg=$(config "$name" "\"$TCTI\"" "$HELLO2")
  expect 1 "$pat" "$what" -- "$X" boot --config "$cfg" && no_driver_ran "$T/$name" "$what"
}
squat sq-ord "a floor index squatted as an ordinary owner index" "$IDX" \
  "TPM rollback floor: NV index $IDX is not the one xdrv defines for a rollback floor: it has attributes nt=ordinary\|ownerwrite\|ownerread\|authread, authPolicy empty, 8 bytes.*squatted or recreated by someone else; refusing to boot" \
  -C o -s 8 -a "ownerwrite|ownerread|authread"
squat sq-own "a floor index squatted as xdrv's owner bits index (deletable with the owner authorization)" "$IDX" \
  "NV index $IDX is an owner index as xdrv defines a rollback floor where the platform hierarchy is disabled, but it is enabled now.*squatted by someone with the owner authorization" \
  -C o -s 8 -a "nt=bits|ownerwrite|authread|no_da"
tpm2_startauthsession -S "$T/t.ctx" >/dev/null && tpm2_policycommandcode -S "$T/t.ctx" -L "$T/other-policy.bin" \
  TPM2_CC_NV_UndefineSpace >/dev/null; tpm2_flushcontext "$T/t.ctx" >/dev/null 2>&1
squat sq-pol "a floor index squatted with xdrv's attributes and another authPolicy" "$IDX" \
  "NV index $IDX is not the one xdrv defines for a rollback floor: it has attributes nt=bits\|ownerwrite\|policydelete\|authread\|no_da\|platformcreate, authPolicy $(od -An -tx1 -v "$T/other-policy.bin" | tr -d " \n").*squatted or recreated" \
  -C p -s 8 -a "nt=bits|platformcreate|policydelete|ownerwrite|authread|no_da" -L "$T/other-policy.bin"
squat sq-crl "the CRL number index squatted" 0x01590000 \
  "TPM CRL number: NV index 0x01590000 is not the one xdrv defines for the CRL number: .*squatted or recreated" \
  -C o -s 8 -a "ownerwrite|ownerread|authread"

# ---- 3. the owner authorization set: no warning, and xdrv needs it ---------------------------
start_tpm "$T/tpm-c"
tpm2_changeauth -c owner owner-secret || bad "tpm2_changeauth -c owner"
start_tpm "$T/tpm-c"
C=$(config c1 "\"$TCTI\"" "$HELLO2")
expect 1 "the TPM refused the owner authorization \(xdrv has none\): .*tpm_owner_auth" \
  "raising a floor without the owner authorization says what is missing" -- "$X" boot --config "$C"
grep -q "owner authorization is empty" <<<"$OUT" && bad "empty-owner-auth warning with an owner authorization set" ||
  ok "no empty-owner-auth warning once it is set"
echo owner-secret >"$T/owner.auth"
chmod 644 "$T/owner.auth"
start_tpm "$T/tpm-c"
C=$(config c2 "\"$TCTI\"" "$HELLO2" " \"tpm_owner_auth\": \"$T/owner.auth\",")
expect 1 "tpm_owner_auth $T/owner.auth: readable by others \(mode 0644\)" \
  "an owner authorization file others can read is refused" -- "$X" boot --config "$C"
chmod 600 "$T/owner.auth"
start_tpm "$T/tpm-c"
C=$(config c2 "\"$TCTI\"" "$HELLO2" " \"tpm_owner_auth\": \"$T/owner.auth\",")
expect 0 "hello 1.0.0 \(security_version 2\)" "with tpm_owner_auth the floor is raised" -- "$X" boot --config "$C"
grep -q "warning" <<<"$OUT" && bad "a warning with the owner authorization set: $OUT" || ok "... without a warning"
start_tpm "$T/tpm-c"
C=$(config c3 "\"$TCTI\"" "$HELLO" " \"tpm_owner_auth\": \"$T/owner.auth\",")
expect 1 "security_version 1 is below the floor 2 \(stored in TPM NV\)" "... and enforced" -- "$X" boot --config "$C"
"$X" attest --config "$C" --nonce "$NONCE" -o "$T/c3.json" >"$T/attest.out" 2>&1
grep -q "warning" "$T/attest.out" && bad "attest warns with an owner authorization set: $(cat "$T/attest.out")" ||
  ok "xdrv attest does not warn once the owner authorization is set"
stop_tpm

# ---- 4. attack 2: software floors (no TPM) fail closed ----------------------------------------
C=$(config sw null "$HELLO")
S="$T/sw/state"
expect 0 "1 driver\(s\) booted" "without a TPM, hello security_version 1 boots (floor 1 in the state file)" -- \
  "$X" boot --config "$C"
cp "$S/floors.state" "$T/floors.state.old"
C2=$(config sw2 null "$HELLO2")
rm -rf "$T/sw2/state" && ln -s "$S" "$T/sw2/state"
expect 0 "security_version 2" "hello security_version 2 raises the floor to 2" -- "$X" boot --config "$C2"
rm "$S/floors.state"
expect 1 "rollback state: .*floors.state is missing while its key .*floors.key exists: the floors were deleted \(every floor would read as 0\); refusing to boot" \
  "a deleted floors.state stops the boot" -- "$X" boot --config "$C"
no_driver_ran "$T/sw" "a deleted floors.state"
cp "$T/floors.state.old" "$S/floors.state"
expect 1 "rollback state: .*floors.state is generation 2 but .*floors.gen records generation 3: an older copy was put back" \
  "an older copy of floors.state stops the boot" -- "$X" boot --config "$C"
no_driver_ran "$T/sw" "an older floors.state"
expect 0 "rollback floors re-initialized \(state-file\): floors.state is generation 2, older than the recorded 3: accepted as it is" \
  "--reinit-floors accepts the older copy, and says so" -- "$X" boot --config "$C" --reinit-floors
grep -q "hello 1.0.0 (security_version 1)" <<<"$OUT" && ok "... and hello security_version 1 boots again" ||
  bad "hello 1 did not boot after the re-initialization: $OUT"
grep -aq 'xdrv.floors.reinit store=state-file found="floors.state is generation 2, older than the recorded 3' "$T/sw/boot.log" &&
  ok "the re-initialization is an event in the log" || bad "no xdrv.floors.reinit event in the log"
grep -aq 'floors=state-file floors_state=reinit tpm_owner_auth=none' "$T/sw/boot.log" &&
  ok "the policy event records the re-initialization" || bad "no floors_state=reinit in the policy event"
expect 0 "1 driver\(s\) booted" "the next boot needs no re-initialization" -- "$X" boot --config "$C"
grep -q "re-initialized" <<<"$OUT" && bad "a re-initialization without --reinit-floors: $OUT" || ok "... and makes none"
rm "$S/floors.state"
expect 0 "rollback floors re-initialized \(state-file\): floors.state was missing: every floor starts at 0 again" \
  "--reinit-floors after a deleted floors.state starts every floor at 0, and says so" -- \
  "$X" boot --config "$C" --reinit-floors
rm "$S/floors.gen"
expect 1 "rollback state: .*floors.gen is missing: the record of the floors' generation was deleted" \
  "a deleted generation record stops the boot" -- "$X" boot --config "$C"
rm "$S/floors.key"
expect 1 "rollback state: the key .*floors.key is missing while .*floors.state exists: nothing can verify the floors" \
  "a deleted key stops the boot" -- "$X" boot --config "$C"

echo "boot_floors.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
