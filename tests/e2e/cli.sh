#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The front end as a user meets it: every subcommand answers --help, usage errors exit 2, and
# each kind of bad input named in the foundation issue is refused by the command line with a
# non-zero exit and a message that names the problem.
#   usage: tests/e2e/cli.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: cli.sh BUILD_DIR}
X="$B/bin/xdrv"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
# no trust root and no store from the environment: what is tested is the commands' own defaults
# (inspect without --trust verifies with $XDRV_TRUST or the store's trust root when there is one)
unset XDRV_TRUST
export XDRV_STORE="$T/no-store"

ok()   { echo "ok   - $*"; }
bad()  { echo "FAIL - $*"; fails=$((fails + 1)); }
# expect EXIT PATTERN DESCRIPTION -- command...
expect() {
  local want=$1 pat=$2 what=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$what: exit $rc, wanted $want: $out"; return; fi
  if [ -n "$pat" ] && ! grep -qiE -- "$pat" <<<"$out"; then bad "$what: no /$pat/ in: $out"; return; fi
  ok "$what"
}

for c in build pack inspect pki sign verify load run abi; do
  expect 0 "usage" "xdrv $c --help" -- "$X" $c --help
done
expect 2 "not a command" "unknown subcommand" -- "$X" frobnicate
expect 2 "" "no subcommand" -- "$X"
expect 0 "1\.0\.0" "xdrv abi prints the version" -- "$X" abi

PKI="$B/pki" HELLO="$B/pkg/hello.xdrv"
expect 0 "OK" "verify a good package" -- "$X" verify --trust "$PKI/root.pem" "$HELLO"

cp "$HELLO" "$T/mod.xdrv"
printf 'Z' | dd of="$T/mod.xdrv" bs=1 seek=600 conv=notrunc status=none
expect 1 "digest|modified" "payload byte changed after signing" -- "$X" verify --trust "$PKI/root.pem" "$T/mod.xdrv"

size=$(stat -c %s "$HELLO")
head -c $((size - 10)) "$HELLO" > "$T/trunc.xdrv"
expect 1 "trailer|not signed" "truncated trailer" -- "$X" verify --trust "$PKI/root.pem" "$T/trunc.xdrv"

"$X" pki --out "$T/other" --quiet >/dev/null 2>&1
expect 1 "root|issuer|chain" "signature by an untrusted root" -- "$X" verify --trust "$T/other/root.pem" "$HELLO"

expect 1 "not signed|unsigned" "unsigned package where signatures are required" -- \
  "$X" load --trust "$PKI/root.pem" "$B/pkg/hello.unsigned.xdrv"

expect 1 "expired|time floor" "time floor past the signer's expiry" -- \
  "$X" verify --trust "$PKI/root.pem" --time-floor 2099-01-01 "$HELLO"

printf 'int f(void){ __asm__("nop"); return 0; }\n' > "$T/asm.c"
expect 1 "inline as" "xdrv build rejects inline assembly" -- "$X" build -o "$T/asm.bc" "$T/asm.c"

expect 1 "no such|cannot|not found|No such" "missing input file" -- "$X" verify --trust "$PKI/root.pem" "$T/nope.xdrv"

# a JIT-compiled driver that dereferences NULL in probe: the driver stops, the host reports it
cat > "$T/crash.c" <<'DRV'
#include <xdrv/abi.h>
static int32_t crash_probe(xdrv_device_t *dev)
{
	volatile uint32_t *p = (volatile uint32_t *)xdrv_dev_priv(dev); /* NULL before set_priv */
	return (int32_t)*p;
}
static void crash_remove(xdrv_device_t *dev) { (void)dev; }
static const struct xdrv_match match[] = {{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,null"}, {.bus = 0}};
XDRV_DRIVER(.name = "crash", .version = "1.0.0", .match = match, .probe = crash_probe,
	    .remove = crash_remove);
DRV
"$X" build -o "$T/crash.bc" "$T/crash.c" >/dev/null 2>&1 &&
  "$X" pack -o "$T/crash.xdrv" --version 1.0.0 "$T/crash.bc" >/dev/null 2>&1
expect 1 "driver faulted: SIGSEGV.*host carries on" "a JIT-compiled driver's fault stops the driver, not the host" -- \
  "$X" run --allow-unsigned --device null "$T/crash.xdrv"

# ---- CLI conventions (issue 9) ----------------------------------------------------------------
X=$(readlink -f "$X") PKI=$(readlink -f "$PKI") HELLO=$(readlink -f "$HELLO") # some steps cd
# --version: xdrv, ABI, LLVM, git commit; also as a command and as JSON
expect 0 "^xdrv [0-9]+\.[0-9]+\.[0-9]+ \(driver ABI 1\.2\.0, LLVM [0-9]+\.[0-9]+\.[0-9]+, git ([0-9a-f]{12}(-dirty)?|unknown)\)$" \
  "xdrv --version names version, ABI, LLVM and git commit" -- "$X" --version
expect 0 "^xdrv [0-9]" "xdrv version" -- "$X" version
j=$("$X" --version --json)
jq -e '.program == "xdrv" and .abi == "1.2.0" and (.llvm | test("^[0-9]+\\.")) and (.git_commit | length) > 0' <<<"$j" >/dev/null \
  && ok "xdrv --version --json parses" || bad "xdrv --version --json: $j"

# did-you-mean: commands and every command's long options
expect 2 "^xdrv: 'biuld' is not a command; did you mean 'build'\?$" "xdrv biuld suggests build" -- "$X" biuld
expect 2 "did you mean 'list'" "xdrv lsit suggests list" -- "$X" lsit
expect 2 "'frobnicate' is not a command; see 'xdrv --help'" "no suggestion for a far word" -- "$X" frobnicate
expect 2 "unknown option --outptu \(did you mean --output\?\)" "build --outptu" -- "$X" build --outptu x.bc a.c
expect 2 "unknown option --time-flor \(did you mean --time-floor\?\)" "verify --time-flor" -- "$X" verify --time-flor 1 x
expect 2 "unknown option --jsno \(did you mean --json\?\)" "inspect --jsno" -- "$X" inspect --jsno x
expect 2 "missing value for --trust" "verify --trust without a value" -- "$X" verify --trust
for c in build pack inspect pki sign verify load run bench abi boot attest verify-boot revoke repo search publish \
         install list remove version; do
  expect 2 "xdrv $c: unknown option --zzqqxx; try 'xdrv $c --help'" "xdrv $c: unknown option named" -- "$X" $c --zzqqxx
done
expect 2 "did you mean 'list'" "xdrv repo lsit" -- "$X" repo lsit

# --json documents parse: abi, verify (accepted and rejected), list, search, repo list
j=$("$X" abi --json)
jq -e '.abi == "1.2.0" and (.symbols | length) > 10 and (.symbols | map(.name) | index("xdrv_log")) != null
  and (.symbols[] | select(.name == "xdrv_log") | .since) == "1.0.0"
  and (.symbols[] | select(.name == "xdrv_rxpool_create") | .since) == "1.1.0"' <<<"$j" >/dev/null \
  && ok "abi --json" || bad "abi --json: $(head -c 300 <<<"$j")"
j=$("$X" verify --json --trust "$PKI/root.pem" "$HELLO")
jq -e '.ok == true and (.payload_sha256 | length) == 64 and (.signer | test("signer")) and (.signing_time | type) == "number"' <<<"$j" >/dev/null \
  && ok "verify --json of a good package" || bad "verify --json: $j"
j=$("$X" verify --json --trust "$PKI/root.pem" "$T/trunc.xdrv" 2>/dev/null); rc=$?
[ $rc = 1 ] && jq -e '.ok == false and (.error | length) > 0' <<<"$j" >/dev/null \
  && ok "verify --json of a bad package: ok false, error, exit 1" || bad "verify --json (bad): exit $rc: $j"
expect 2 "exclude each other" "verify --json --quiet" -- "$X" verify --json --quiet --trust "$PKI/root.pem" "$HELLO"
mkdir -p "$T/store"
[ "$(XDRV_STORE="$T/store" "$X" list --json)" = "[]" ] && ok "list --json of an empty store is []" || bad "list --json (empty)"
[ "$(XDRV_STORE="$T/store" "$X" repo list --json)" = "[]" ] && ok "repo list --json with no repository is []" || bad "repo list --json"
[ "$(XDRV_STORE="$T/store" "$X" search --json)" = "[]" ] && ok "search --json with no repository is []" || bad "search --json"
# boot --json: a boot without a TPM; the progress goes to stderr, stdout is one document
cp "$HELLO" "$T/hello.xdrv"
cat > "$T/boot.json" <<JSON
{"format": 1, "tpm": "none", "event_log": "boot.log", "state_dir": "state",
 "trust": {"root": "$PKI/root.pem"},
 "drivers": [{"package": "hello.xdrv", "device": "null"}]}
JSON
j=$("$X" boot --json --config "$T/boot.json" 2>"$T/boot.err"); rc=$?
[ $rc = 0 ] && jq -e '.ok == true and .booted == 1 and .refused == 0 and .events > 0 and .tpm_used == false' <<<"$j" >/dev/null \
  && grep -q "^boot: " "$T/boot.err" && ok "boot --json: one document on stdout, progress on stderr" \
  || bad "boot --json: exit $rc: $j / $(cat "$T/boot.err")"
for c in list search verify boot abi repo verify-boot version inspect load; do
  "$X" $c --help | grep -q -- "--json" && ok "xdrv $c --help documents --json" || bad "xdrv $c --help lacks --json"
done

# diagnostics: file:line:col from the driver's source, compiler output unprefixed
cat > "$T/lt.c" <<'DRV'
#include <xdrv/abi.h>
int printf(const char *, ...);
static int32_t t_probe(xdrv_device_t *dev)
{
	(void)dev;
	printf("hi\n");
	__asm__("nop");
	return 0;
}
static void t_remove(xdrv_device_t *dev) { (void)dev; }
static const struct xdrv_match match[] = {{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,null"}, {.bus = 0}};
XDRV_DRIVER(.name = "t", .version = "1.0.0", .match = match, .probe = t_probe, .remove = t_remove);
DRV
out=$(cd "$T" && "$X" build -o lt.bc lt.c 2>&1); rc=$?
if [ $rc = 1 ] && grep -qx 'lt\.c:7:2: error: function t_probe: inline assembly: .*' <<<"$out" \
   && grep -qx 'lt\.c:6:2: error: function printf: import not in the xdrv ABI .*xdrv_log().*' <<<"$out" \
   && [ "$(grep -c '^xdrv build: ' <<<"$out")" = 1 ] && tail -1 <<<"$out" | grep -q '^xdrv build: lt\.bc: 3 problems'; then
  ok "lint problems as FILE:LINE:COL: error: ..., one 'xdrv build:' summary last"
else bad "lint diagnostics (exit $rc): $out"; fi
out=$("$X" build --no-lint -o "$T/lt.bc" "$T/lt.c" 2>&1); rc=$?
[ $rc = 0 ] && grep -q "^$T/lt\.c:7:2: warning: function t_probe: inline assembly" <<<"$out" \
  && ok "--no-lint turns the problems into FILE:LINE:COL: warning: lines" || bad "--no-lint (exit $rc): $out"
# from a folder beside the source's (clang then records the path as their common prefix plus
# the rest): the place is still the path as typed
S=$(mktemp -d "$(dirname "$T")/xdrv-cli-sib.XXXXXX")
out=$(cd "$S" && "$X" build --no-lint -o "$T/lt.bc" "$T/lt.c" 2>&1); rc=$?
rmdir "$S"
[ $rc = 0 ] && grep -q "^$T/lt\.c:7:2: warning: function t_probe: inline assembly" <<<"$out" \
  && ok "the place is the path as typed from a sibling folder too" || bad "sibling folder (exit $rc): $out"

# an ABI function declared by hand in a second file with other parameters: both files compile
# and link; the lint compares the declaration with the ABI's prototype (from <xdrv/abi.h>)
cat > "$T/pa.c" <<'DRV'
#include <xdrv/abi.h>
void say(void);
static int32_t t_probe(xdrv_device_t *dev) { (void)dev; say(); return 0; }
static void t_remove(xdrv_device_t *dev) { (void)dev; }
static const struct xdrv_match match[] = {{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,null"}, {.bus = 0}};
XDRV_DRIVER(.name = "t", .version = "1.0.0", .match = match, .probe = t_probe, .remove = t_remove);
DRV
cat > "$T/pb.c" <<'DRV'
void xdrv_log(double level, double msg);
void say(void) { xdrv_log(1.0, 2.0); }
DRV
out=$(cd "$T" && "$X" build -o p.bc pa.c pb.c 2>&1); rc=$?
if [ $rc = 1 ] && grep -qxF "pb.c:2:18: error: function xdrv_log: import prototype void (double, double) does not match the ABI's void (i32, ptr) (used by say): use the declaration of <xdrv/abi.h>, not one of your own" <<<"$out" \
   && [ ! -e "$T/p.bc" ]; then
  ok "an import declared with another prototype than the ABI's: both prototypes, at the call"
else bad "prototype mismatch (exit $rc): $out"; fi
printf 'int f(void) { return 0; }\nint g(void) { return undeclared_thing; }\n' > "$T/cc.c"
out=$("$X" build -o "$T/cc.bc" "$T/cc.c" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "^$T/cc\.c:2:22: error: use of undeclared identifier" <<<"$out" \
  && [ "$(grep -c '^xdrv build: ' <<<"$out")" = 1 ] && tail -1 <<<"$out" | grep -q "^xdrv build: $T/cc\.c: clang-19 failed" \
  && ok "compiler errors are passed on unprefixed" || bad "compiler output (exit $rc): $out"
# the freestanding hint
printf '#include <stdio.h>\nint x;\n' > "$T/fs.c"
out=$("$X" build -o "$T/fs.bc" "$T/fs.c" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "^$T/fs\.c:1:10: fatal error: 'stdio.h' file not found" <<<"$out" \
  && grep -q "^$T/fs\.c:1:10: note: drivers are freestanding" <<<"$out" \
  && grep -q "^$T/fs\.c:1:10: note: instead of <stdio.h>: .*xdrv_log()" <<<"$out" \
  && ok "#include <stdio.h>: notes that drivers are freestanding and what to use" || bad "freestanding hint (exit $rc): $out"
printf '#include <stdlib.h>\nint x;\n' > "$T/fs2.c"
out=$("$X" build -o "$T/fs2.bc" "$T/fs2.c" 2>&1)
grep -q "note: instead of <stdlib.h>: malloc/calloc/free -> xdrv_mem_alloc()" <<<"$out" \
  && ok "#include <stdlib.h>: points to xdrv_mem_alloc" || bad "freestanding hint for stdlib.h"
# debug info serves the messages only: the written bitcode is the same from any folder
mkdir -p "$T/elsewhere" && cp sample-drivers/hello/*.c "$T/elsewhere/"
"$X" build -o "$T/h1.bc" sample-drivers/hello/*.c && (cd "$T/elsewhere" && "$X" build -o "$T/h2.bc" *.c) \
  && cmp -s "$T/h1.bc" "$T/h2.bc" && ! grep -q "$T\|sample-drivers" "$T/h1.bc" \
  && ok "xdrv build output is the same bytes from another folder, no paths inside" || bad "build not reproducible across folders"

# inspect: nothing of a package's payload is parsed before trust (issue 10)
UNS="$B/pkg/hello.unsigned.xdrv"
expect 1 "inspect: signature: not signed" "inspect --trust of an unsigned package exits 1 with the signer's message" -- \
  "$X" inspect --trust "$PKI/root.pem" "$UNS"
: > "$T/empty.xdrv"
expect 1 "inspect: signature: not signed" "inspect --trust of an empty file exits 1" -- \
  "$X" inspect --trust "$PKI/root.pem" "$T/empty.xdrv"
expect 1 "inspect: signature: .*digest|modified" "inspect --trust of a package with a payload byte flipped exits 1" -- \
  "$X" inspect --trust "$PKI/root.pem" "$T/mod.xdrv"
expect 1 "inspect: signature: .*trailer|not signed" "inspect --trust of a truncated package exits 1" -- \
  "$X" inspect --trust "$PKI/root.pem" "$T/trunc.xdrv"
out=$("$X" inspect "$UNS" 2>&1); rc=$?
[ "$rc" = 0 ] && grep -q '^payload .* sha256 [0-9a-f]\{64\}' <<<"$out" && grep -q -- '--allow-unsigned' <<<"$out" \
  && ! grep -qE '^(functions|imports|driver|bitcode) ' <<<"$out" \
  && ok "inspect of an unsigned package: outer structure only and a hint about --allow-unsigned" \
  || bad "inspect of an unsigned package without flags (exit $rc): $out"
out=$("$X" inspect "$HELLO" 2>&1); rc=$?
[ "$rc" = 0 ] && grep -q '^            trailer: payload 0\.\.[0-9]*, CMS at [0-9]*, [0-9]* bytes' <<<"$out" \
  && ! grep -qE '^(functions|imports) ' <<<"$out" \
  && ok "inspect of a signed package without --trust: trailer offsets, payload not parsed" \
  || bad "inspect of a signed package without --trust (exit $rc): $out"
out=$("$X" inspect --json "$UNS" 2>&1); rc=$?
[ "$rc" = 0 ] && grep -q '"parsed": false' <<<"$out" && grep -q '"payload_sha256": "[0-9a-f]\{64\}"' <<<"$out" \
  && ! grep -q '"functions"' <<<"$out" \
  && ok "inspect --json of an unsigned package: outer structure only" || bad "inspect --json unsigned (exit $rc): $out"
out=$("$X" inspect --allow-unsigned "$UNS" 2>&1); rc=$?
[ "$rc" = 0 ] && grep -q '^driver      hello' <<<"$out" && grep -q '^imports     xdrv_' <<<"$out" \
  && grep -q '^functions   hello_probe' <<<"$out" \
  && ok "inspect --allow-unsigned: the full listing" || bad "inspect --allow-unsigned (exit $rc): $out"
expect 2 "exclude" "inspect --trust with --allow-unsigned is a usage error" -- \
  "$X" inspect --trust "$PKI/root.pem" --allow-unsigned "$UNS"
# malformed bitcode inside a well-formed package (manifest digests updated to match): the
# bitcode reader runs in a child, so a crash of LLVM is reported (exit 1, naming the package),
# never suffered by the xdrv process (which would exit 134 or 139)
mkpkg() { # mkpkg OUT MUTATION: hello.unsigned.xdrv with driver.bc replaced
  python3 - "$UNS" "$1" "$2" <<'PY'
import hashlib, io, json, sys, tarfile
src, out, how = sys.argv[1:4]
members = []
with tarfile.open(src) as t:
    for m in t.getmembers():
        members.append((m, t.extractfile(m).read()))
files = dict((m.name, d) for m, d in members)
bc = bytearray(files["driver.bc"])
if how == "garbage":
    bc = bytearray(b"BC\xc0\xde" + bytes((i * 37 + 11) & 0xff for i in range(4096)))
else:  # a few bytes changed: among the mutations that made LLVM abort
    for off, val in ((4183, 0o40), (7741, 0o346), (8121, 0o74)):
        if off < len(bc):
            bc[off] = val
man = json.loads(files["manifest.json"])
for f in man["files"]:
    if f["path"] == "driver.bc":
        f["size"], f["sha256"] = len(bc), hashlib.sha256(bc).hexdigest()
files["manifest.json"] = json.dumps(man, indent=2).encode() + b"\n"
files["driver.bc"] = bytes(bc)
with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as t:
    for m, _ in members:
        m.size = len(files[m.name])
        t.addfile(m, io.BytesIO(files[m.name]))
PY
}
if command -v python3 >/dev/null; then
  for how in garbage mutated; do
    mkpkg "$T/bc-$how.xdrv" $how
    out=$("$X" inspect --allow-unsigned "$T/bc-$how.xdrv" 2>&1); rc=$?
    [ "$rc" = 1 ] && grep -qE "^xdrv inspect: (the bitcode reader crashed on $T/bc-$how\.xdrv \(signal [0-9]+ SIG[A-Z]+\); the package is malformed|bitcode)" <<<"$out" \
      && grep -q "^file .*bc-$how\.xdrv" <<<"$out" \
      && ok "inspect --allow-unsigned of a package with $how bitcode: exit 1, reported, no crash of xdrv" \
      || bad "inspect --allow-unsigned, $how bitcode (exit $rc): $out"
  done
else ok "# skip malformed-bitcode packages: no python3"; fi

# ---- start-up: commands that never compile do not load LLVM (issue 13, cli/llvm_lazy.c) --------
# LD_DEBUG=libs makes the dynamic linker say "calling init: .../libLLVM.so.19.1" when it runs the
# library's constructors, whether the library was a dependency or dlopen'ed later, in any process
# of the command (inspect's forked child included). `version` must load it: the control that
# shows the message is still what the dynamic linker prints.
# The library is the build's private one (Makefile: LLVM_PRIVATE, lib/xdrv/libxdrv-llvm.so.19 beside
# bin/) or, in a build without it, Debian's libLLVM.
llvm_inits() { LD_DEBUG=libs "$@" 2>&1 >/dev/null | grep -Ec "calling init: .*(libLLVM|libxdrv-llvm)"; }
mkdir -p "$T/store"
for c in "--help" "abi" "verify --trust $PKI/root.pem $HELLO" "list" "search" "inspect $HELLO" "inspect --json $HELLO" \
  "cache list --dir $T/store"; do
  # shellcheck disable=SC2086 # the words of c are the arguments
  n=$(XDRV_STORE="$T/store" llvm_inits "$X" $c)
  [ "$n" = 0 ] && ok "xdrv $c does not load libLLVM" || bad "xdrv $c loaded libLLVM ($n)"
done
n=$(llvm_inits "$X" version)
[ "$n" = 1 ] && ok "xdrv version loads libLLVM once (its version is asked at run time)" || bad "xdrv version: libLLVM loaded $n times"
# a build with the private library loads it from beside the program, never Debian's libLLVM too
priv=$(dirname "$X")/../lib/xdrv/libxdrv-llvm.so.19
if [ -f "$priv" ]; then
  inits=$(LD_DEBUG=libs "$X" version 2>&1 >/dev/null | grep "calling init: ")
  if grep -q "calling init: .*/lib/xdrv/libxdrv-llvm.so.19$" <<<"$inits" && ! grep -q "libLLVM" <<<"$inits"; then
    ok "xdrv version loads the private LLVM library beside it, not Debian's libLLVM"
  else bad "xdrv version: not (only) the private LLVM library: $(grep -i llvm <<<"$inits")"; fi
  # the private library not beside it: Debian's libLLVM instead (the same C API), and it compiles
  mkdir -p "$T/nollvm/bin" && cp "$X" "$T/nollvm/bin/xdrv"
  inits=$(LD_DEBUG=libs "$T/nollvm/bin/xdrv" version 2>&1 >/dev/null | grep "calling init: ")
  grep -q "calling init: .*/libLLVM" <<<"$inits" && ! grep -q "libxdrv-llvm" <<<"$inits" &&
    ok "xdrv without its private LLVM library beside it loads Debian's libLLVM" ||
    bad "xdrv without its private LLVM library: $(grep -i llvm <<<"$inits")"
  "$T/nollvm/bin/xdrv" load --allow-unsigned "$(dirname "$HELLO")/hello.unsigned.xdrv" > "$T/nollvm.out" 2>&1 &&
    ok "... and JIT-compiles a driver with it" || bad "xdrv load with Debian's libLLVM: $(tail -3 "$T/nollvm.out")"
fi
n=$(llvm_inits "$X" inspect --trust "$PKI/root.pem" "$HELLO")
[ "$n" = 1 ] && ok "xdrv inspect of a verified package loads libLLVM (in the child that parses the bitcode)" \
  || bad "xdrv inspect --trust: libLLVM loaded $n times"

# packet extensions (issue 16): xdrv build --extension, pack and sign unchanged, inspect's view
S=$(cd "$(dirname "$0")/../.." && pwd)
expect 0 "" "build --extension of the prio sample" -- \
  "$X" build --extension -o "$T/prio.bc" "$S/extensions/prio/prio.c"
expect 0 "" "pack an extension" -- "$X" pack --security-version 1 -o "$T/prio.unsigned.xdrv" "$T/prio.bc"
expect 0 "" "sign an extension" -- "$X" sign --cert "$PKI/signer.pem" --key "$PKI/signer.key" \
  --chain "$PKI/vendor.pem" -o "$T/prio.xdrv" "$T/prio.unsigned.xdrv"
expect 0 "OK" "verify a signed extension" -- "$X" verify --trust "$PKI/root.pem" "$T/prio.xdrv"
out=$("$X" inspect --trust "$PKI/root.pem" "$T/prio.xdrv" 2>&1); rc=$?
if [ "$rc" = 0 ] && grep -qE '^extension +prio 1\.0\.0' <<<"$out" && grep -qE '^abi +extension ABI 1\.0\.0' <<<"$out" \
  && grep -qE '^hooks +rx tx$' <<<"$out" && grep -qE '^tables +0 ports hash, 64 entries$' <<<"$out" \
  && grep -qE '^entry +run prio_run$' <<<"$out" && grep -qE '^lint +ok' <<<"$out"; then
  ok "inspect shows an extension's kind, ABI, run, hooks and tables"
else
  bad "inspect of an extension (exit $rc): $out"
fi
out=$("$X" inspect --trust "$PKI/root.pem" --json "$T/prio.xdrv" 2>&1)
grep -q '"kind": "extension"' <<<"$out" && ok "inspect --json: \"kind\": \"extension\"" || bad "inspect --json: $out"
expect 1 "build it with .xdrv build --extension." "build of an extension without --extension" -- \
  "$X" build -o "$T/x.bc" "$S/extensions/prio/prio.c"
expect 1 "--extension, but the sources define a driver" "build --extension of a driver" -- \
  "$X" build --extension -o "$T/x.bc" "$S/sample-drivers/hello/hello.c"
expect 1 "recurse.c:[0-9]+:[0-9]+: error: function depth: recursion \(depth -> depth\)" \
  "build --extension refuses recursion with the source place" -- \
  "$X" build --extension -o "$T/x.bc" "$S/tests/data/ext/recurse.c"

echo "cli.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
