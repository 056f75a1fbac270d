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

echo "cli.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
