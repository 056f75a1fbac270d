#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's first command keeps working: run scripts/demo.sh (what `make demo` runs after
# building) against the build under test and check that it reaches its end.
#   usage: tests/e2e/demo.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: demo.sh BUILD_DIR}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! bash scripts/demo.sh "$B" >"$log" 2>&1; then
  tail -40 "$log"
  echo "FAIL - scripts/demo.sh $B exited non-zero"
  exit 1
fi
for want in "CMS Verification successful" "payload digest mismatch" "hello from a JIT-compiled xdrv driver" \
            "uart> hello, driver" "demo finished"; do
  grep -qF -- "$want" "$log" || { tail -40 "$log"; echo "FAIL - demo output lacks: $want"; exit 1; }
done
# written to a file, the demo writes no ANSI escapes (colour only on a terminal)
if grep -q $'\033' "$log"; then echo "FAIL - demo output to a file holds ANSI escapes"; exit 1; fi
echo "ok   - demo output to a file holds no ANSI escapes"
# every command it runs is echoed, the swtpm it starts in the background too
if command -v swtpm >/dev/null && command -v tpm2_checkquote >/dev/null; then
  grep -q '^\$ swtpm socket --tpmstate' "$log" || { echo "FAIL - demo does not echo its swtpm command"; exit 1; }
  echo "ok   - demo echoes the swtpm command it starts"
fi
echo "ok   - make demo's script runs to the end ($(grep -c '^== ' "$log") steps)"
