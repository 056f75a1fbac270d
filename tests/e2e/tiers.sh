#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Tiers (issue 13; loader/tier.c): `xdrv run --tier auto --in-process` of the dp83820 under the
# frame generator starts at O0, compiles O2 in the background and swaps it in between two
# dispatches, under traffic (XDRV_TEST_TIER_SWAP_AT makes the swap wait at a fixed dispatch, so
# it lands mid-run however busy the machine is; dispatch 200: 60,000 frames take at least ~940
# dispatches of at most 64 frames, so it is always reached): every slot swapped, the log line printed, and
# the frames each way have the same digests as a --tier full and a --tier fast run. The
# options are checked (auto not with --lazy; fast also runs in a driver host; auto in a driver
# domain: domain_swaps.sh), and the object
# cache keeps tiers apart.
#   usage: tests/e2e/tiers.sh BUILD_DIR
set -uo pipefail
B=${1:?usage: tiers.sh BUILD_DIR}
X="$B/bin/xdrv"
P="$B/pkg/dp83820.unsigned.xdrv"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok()  { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

GEN="gen:count=60000,size=64"
run() { "$X" run --allow-unsigned --in-process --device dp83820 --wire "$GEN" "$@" "$P" 2>&1; }
digests() { grep -oE "digest [0-9a-f]{16}" <<<"$1" | tr '\n' ' '; }

full=$(run --tier full); d_full=$(digests "$full")
if [ "$(wc -w <<<"$d_full")" -eq 4 ] && grep -q "received 60000 frames" <<<"$full"; then
  ok "--tier full: 60000 frames each way ($d_full)"
else
  bad "--tier full: $full"
fi
if ! grep -q "^  tier " <<<"$full"; then ok "--tier full (the default) prints no tier line"; else bad "tier line in a full run"; fi

auto=$(XDRV_TEST_TIER_SWAP_AT=200 run --tier auto)
if grep -qE "^xdrv loader: driver dp83820: tier 2 \(O2\) live after [0-9]+ ms \(compiled in [0-9]+ ms in the background; swap [0-9]+ us: [0-9]+ slots\)" <<<"$auto"; then
  ok "--tier auto: the swap is logged: $(grep -o 'tier 2 (O2) live.*' <<<"$auto")"
else
  bad "--tier auto: no swap line: $auto"
fi
slots=$(grep -oE "swap [0-9.]+ ms, [0-9]+ of [0-9]+ slots" <<<"$auto")
if [[ $slots =~ ([0-9]+)\ of\ ([0-9]+)\ slots ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[1]}" -gt 20 ]; then
  ok "--tier auto: every slot swapped ($slots)"
else
  bad "--tier auto: slots: $slots in $auto"
fi
if grep -qE "^  tier        auto: tier 1 O0, tier 2 O2 live after .* object sha256 [0-9a-f]{64}\)" <<<"$auto"; then
  ok "--tier auto: the summary names tier 2's object digest"
else
  bad "--tier auto: summary: $auto"
fi
d_auto=$(digests "$auto")
if [ "$d_auto" = "$d_full" ]; then
  ok "--tier auto: frames before and after the swap identical to --tier full ($d_auto)"
else
  bad "--tier auto digests $d_auto != full $d_full"
fi

fast=$(run --tier fast)
if [ "$(digests "$fast")" = "$d_full" ] && grep -q "^  tier        fast: O0 throughout" <<<"$fast"; then
  ok "--tier fast: O0 throughout, the same frames"
else
  bad "--tier fast: $fast"
fi

# fast in a driver host (the compiler process compiles at O0; no swap is needed there)
out=$("$X" run --allow-unsigned --tier fast --device dp83820 --wire "$GEN" "$P" 2>&1)
if [ "$(digests "$out")" = "$d_full" ] && grep -q "^  tier        fast: O0 throughout" <<<"$out" \
   && grep -q "compiler process" <<<"$out"; then
  ok "--tier fast in a driver host: the same frames"
else
  bad "--tier fast in a driver host: $out"
fi

# ---- options -------------------------------------------------------------------------------
# (--tier auto in a driver domain: tests/e2e/domain_swaps.sh)
out=$("$X" run --allow-unsigned --tier auto --lazy --device dp83820 --wire "$GEN" "$P" 2>&1); rc=$?
[ "$rc" -eq 2 ] && grep -q "not with --lazy" <<<"$out" && ok "--tier auto --lazy refused in a driver domain too" || bad "auto --lazy in a driver host: exit $rc: $out"
out=$("$X" run --allow-unsigned --in-process --tier auto --lazy --device dp83820 "$P" 2>&1); rc=$?
[ "$rc" -eq 2 ] && grep -q "not with --lazy" <<<"$out" && ok "--tier auto --lazy refused" || bad "auto --lazy: exit $rc: $out"
out=$("$X" run --allow-unsigned --tier O3 --device dp83820 "$P" 2>&1); rc=$?
[ "$rc" -eq 2 ] && grep -q "wants full, fast or auto, not O3" <<<"$out" && ok "--tier O3 refused" || bad "--tier O3: exit $rc: $out"

# ---- the cache keeps tiers apart -----------------------------------------------------------
C="$T/cache"
run --cache "$C" --tier fast >/dev/null
run --cache "$C" --tier full >/dev/null
n=$("$X" cache list --dir "$C" | grep -oE "^[0-9]+ entries")
[ "$n" = "2 entries" ] && ok "a fast and a full load: two cache entries" || bad "cache after fast+full: $n"
hit=$(run --cache "$C" --tier fast)
grep -q "^  cache       hit" <<<"$hit" && [ "$(digests "$hit")" = "$d_full" ] \
  && ok "--tier fast again: a hit on the fast entry" || bad "fast again: $hit"
hit=$(run --cache "$C" --tier auto)
if grep -q "^  cache       hit" <<<"$hit" && grep -q "^  tier        auto: O2 throughout (the full tier's object from the cache)" <<<"$hit"; then
  ok "--tier auto with the full object cached: O2 at once, no tier 1"
else
  bad "auto with a cached full object: $hit"
fi
XDRV_TEST_TIER_SWAP_AT=200 run --cache "$T/c2" --tier auto >"$T/auto-miss.log"
n=$("$X" cache list --dir "$T/c2" | grep -oE "^[0-9]+ entries")
if [ "$n" = "0 entries" ] && grep -q "tier 2 (O2) live" "$T/auto-miss.log"; then
  ok "a tiered load (a miss) stores nothing: tier 1's object is not the full tier's"
else
  bad "cache after a tiered miss: $n; $(cat "$T/auto-miss.log")"
fi

if [ "$fails" -eq 0 ]; then echo "tiers: all passed"; exit 0; fi
echo "tiers: $fails failed"; exit 1
