#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's walkthrough, run as written: the fenced blocks after <!-- walkthrough: 1 -->,
# <!-- walkthrough: 2 -->, ... are read from README.md in order and run unchanged as one
# script, from a folder that holds nothing but a link `build` -> BUILD_DIR (the README runs
# them from the top of the source tree after `make`). They write a driver of their own, make a
# PKI, build, pack, sign, run it, start a repository, publish, install into a second store, boot
# it measured with swtpm, attest, verify the boot and run a short bench. The repository and the
# TPM listen on fixed ports (8470, 2321), so the run happens in a network namespace of its own.
# Then the output is checked for what each step must have said.
#   usage: tests/e2e/readme_walkthrough.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: readme_walkthrough.sh BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
README="$SRC/README.md"
for f in "$B/bin/xdrv" "$B/bin/xdrv-repod" "$B/bin/xdrv-bench" "$B/pkg/dp83820.xdrv" "$README"; do
  [ -e "$f" ] || { echo "FAIL - missing $f (make O=$B all)"; exit 1; }
done

# ---- into a network namespace of our own, once --------------------------------------------
if [ -z "${XDRV_WALK_INNER:-}" ]; then
  export XDRV_WALK_INNER=1
  unshare -n true 2>/dev/null || { echo "FAIL - needs a network namespace (unshare -n, root)"; exit 1; }
  exec unshare -n bash "$0" "$B"
fi
ip link set lo up

fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# The walkthrough: every block after "<!-- walkthrough: N -->", N = 1, 2, ... until one is missing.
SCRIPT=$(awk '
  /^<!-- walkthrough: [0-9]+ -->$/ { n = $3; if (n != want + 1) { print "OUT OF ORDER " n; exit 1 }
                                    want = n; take = 1; next }
  take && /^```/ { if (inside) { inside = 0; take = 0; print ""; next } inside = 1; next }
  inside { print }' "$README") || { echo "FAIL - README.md: walkthrough blocks out of order"; exit 1; }
nblocks=$(grep -c '^<!-- walkthrough: [0-9]* -->$' "$README")
check "README.md has the walkthrough ($nblocks blocks)" test "$nblocks" -ge 7

T=$(mktemp -d /tmp/xdrv-walk.XXXXXX)
cleanup() {
  for p in "$T"/tmp.*/tpm/pid; do [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  pkill -f "xdrv-repod serve --config repo/repod.conf" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
mkdir "$T/top" && ln -s "$B" "$T/top/build"
cd "$T/top" || exit 1
unset XDRV_STORE XDRV_TRUST
export TMPDIR=$T # the walkthrough's `mktemp -d` lands here, and goes with it

# ---- run it as one script, as a reader pasting the blocks into one shell would --------------
timeout 600 bash -e -o pipefail -c "$SCRIPT" >"$T/out" 2>&1
rc=$?
check "the walkthrough runs to its end (exit 0)" test "$rc" = 0
[ "$rc" = 0 ] || { echo "---- output"; tail -60 "$T/out"; }
has() { grep -qE -- "$1" "$T/out"; }
check "xdrv run: the driver greeted 3 times (parameter applied)" has 'greeter: hello #3'
check "xdrv run: and said goodbye at remove" has 'greeter: goodbye'
check "xdrv verify accepted the package" has 'verified|OK'
check "xdrv-repod init made the config" has 'repo/repod.conf'
check "publish: HTTP 201" has 'greeter.xdrv: published \(HTTP 201\)'
check "search found greeter" has '^greeter +1\.0\.0'
check "install reported greeter" grep -qi 'installed greeter' "$T/out"
check "boot: the configuration's \"greeter\" is the installed driver" has 'boot: greeter: greeter 1\.0\.0 installed \(.*/host2/blobs/[0-9a-f]{64}\.xdrv\)'
check "boot: 1 driver booted, 0 refused" has 'boot: complete .*1 driver\(s\) booted, 0 refused'
check "verify-boot: OK" has '^verify-boot: OK'
check "bench printed its ratios" has '^ratios +eager/so'

[ "$fails" -eq 0 ] && echo "readme_walkthrough.sh: all passed" || echo "readme_walkthrough.sh: $fails failed"
[ "$fails" -eq 0 ]
