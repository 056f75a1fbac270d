#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The budgets in driver code (issue 12; loader/budget.c): tests/hostile/hang.c, whose probe spins
# forever without any ABI call, is stopped by `xdrv run` with a message naming the function, and
# the run ends; with --no-budget the same probe hangs (ended here by timeout); --budget and
# --max-depth are checked; an object cache keeps instrumented and plain objects apart.
#   usage: tests/e2e/budget_hostile.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: budget_hostile.sh BUILD_DIR}
X="$B/bin/xdrv"
H=$(cd "$(dirname "$0")/../hostile" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

if ! { "$X" build -o "$T/hang.bc" "$H/hang.c" &&
       "$X" pack -o "$T/hang.xdrv" --version 1.0.0 "$T/hang.bc"; } >"$T/build.log" 2>&1; then
  echo "FAIL - building tests/hostile/hang.c: $(cat "$T/build.log")"; exit 1
fi

t0=$EPOCHREALTIME
out=$(timeout 60 "$X" run --allow-unsigned --device null "$T/hang.xdrv" 2>&1); rc=$?
ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
if grep -qF "[hang] error: driver stopped: loop budget of 2097152 back edges exhausted in function hostile_probe; the driver is stopped" <<<"$out"; then
  ok "xdrv run stops the endless probe by its loop budget, naming the function ($ms ms in all)"
else
  bad "no budget stop in: $out"
fi
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "probe failed: -14 (EFAULT)" <<<"$out"; then
  ok "the run ends (exit $rc): probe failed, the host carried on"
else
  bad "xdrv run: exit $rc: $out"
fi
if grep -qF '[hang] warning: hang: \x1b[2J\nfake line: boot complete' <<<"$out" && ! grep -q $'\x1b' <<<"$out"; then
  ok "what the driver logged before is shown escaped"
else
  bad "the driver's log line is not escaped: $out"
fi

out=$("$X" run --allow-unsigned --budget 1000 --device null "$T/hang.xdrv" 2>&1)
if grep -qF "loop budget of 1000 back edges exhausted in function hostile_probe" <<<"$out"; then
  ok "--budget 1000 is the budget compiled in"
else bad "--budget 1000: $out"; fi

timeout 3 "$X" run --allow-unsigned --no-budget --device null "$T/hang.xdrv" >"$T/nb.log" 2>&1; rc=$?
if [ "$rc" -eq 124 ] && ! grep -q "driver stopped" "$T/nb.log"; then
  ok "with --no-budget the same probe hangs (ended by timeout 3 s)"
else
  bad "--no-budget: exit $rc: $(cat "$T/nb.log")"
fi

for bad_arg in "--budget 0" "--budget x" "--max-depth 0" "--max-depth 2000000"; do
  # shellcheck disable=SC2086
  out=$("$X" run --allow-unsigned $bad_arg --device null "$T/hang.xdrv" 2>&1); rc=$?
  if [ "$rc" -eq 2 ]; then ok "xdrv run $bad_arg: usage error"; else bad "xdrv run $bad_arg: exit $rc: $out"; fi
done

# the cache key holds the budgets: a plain load after an instrumented one is a miss, not a hit
"$X" load --allow-unsigned --cache "$T/cache" "$T/hang.xdrv" >/dev/null 2>&1
a=$("$X" load --allow-unsigned --cache "$T/cache" --json "$T/hang.xdrv" 2>/dev/null | jq -r .cache)
b=$("$X" load --allow-unsigned --cache "$T/cache" --json --no-budget "$T/hang.xdrv" 2>/dev/null | jq -r .cache)
c=$("$X" load --allow-unsigned --cache "$T/cache" --json --max-depth 100 "$T/hang.xdrv" 2>/dev/null | jq -r .cache)
if [ "$a" = hit ] && [ "$b" = miss ] && [ "$c" = miss ]; then
  ok "object cache: instrumented hit, --no-budget and --max-depth 100 miss (own keys)"
else
  bad "object cache states: default $a, --no-budget $b, --max-depth 100 $c"
fi

echo "budget_hostile.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
