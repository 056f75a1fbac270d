#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The cost of the budget instrumentation (issue 12; loader/budget.c): `xdrv bench` of the dp83820
# and virtio_scsi drivers JIT-compiled eagerly with the budgets `xdrv run` compiles by default
# (jit-eager) and without them (jit-nobudget), the two variants in every rep of one process
# (order rotated), RUNS processes of REPS reps. Reports per figure the median of each side
# (p25-p75 of the samples) and the median of the per-rep ratios (a rep measures both variants
# one after the other, so the drifts of a busy machine mostly cancel). Writes one section of
# docs/BENCHMARKS.md (to SECTION), the samples to $B/bench/budget.csv.
#   usage: scripts/bench.d/22-budget.sh BUILD_DIR SECTION.md   (RUNS=3, REPS=7 by default;
#          BENCH_ARGS adds `xdrv bench` options)
set -euo pipefail
B=${1:?usage: 22-budget.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 22-budget.sh BUILD_DIR SECTION.md}
RUNS=${RUNS:-3}
REPS=${REPS:-7}
X="$B/bin/xdrv"
OUT="$B/bench"
mkdir -p "$OUT"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
KEYS=(nic.rx.64.mpps nic.tx.64.mpps nic.rx.1514.mpps nic.tx.1514.mpps scsi.ram.randread4k.kiops
  scsi.image.randread4k.kiops nic.rtt.64.p50_us)
start=$(date +%s)
for r in $(seq 1 "$RUNS"); do
  # shellcheck disable=SC2086
  "$X" bench --build "$B" --modes jit-eager,jit-nobudget --reps "$REPS" --quiet \
    --json "$T/run$r.json" ${BENCH_ARGS:-} >/dev/null
done
secs=$(( $(date +%s) - start ))
cfg=$(jq -r '.config | "\(.budget_edges) back edges per entry, call depth \(.budget_depth)"' "$T/run1.json")
# one line per sample: key unit side pair value (pair: run.rep)
for f in "$T"/run*.json; do
  r=$(basename "$f" .json)
  jq -r --arg r "$r" '.metrics[] | . as $m
    | (.samples["jit-eager"] | to_entries[] | "\($m.key) \($m.unit) on \($r).\(.key) \(.value)"),
      (.samples["jit-nobudget"] | to_entries[] | "\($m.key) \($m.unit) off \($r).\(.key) \(.value)")' "$f"
done > "$T/all.txt"
echo "metric,unit,side,pair,value" > "$OUT/budget.csv"
tr ' ' , < "$T/all.txt" >> "$OUT/budget.csv"
table=$(python3 - "$T/all.txt" "${KEYS[@]}" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
def q(v, f):
    v = sorted(v); i = (len(v) - 1) * f; lo = int(i); hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (i - lo)
labels = {"nic.rx.64.mpps": "NIC RX 64 B", "nic.tx.64.mpps": "NIC TX 64 B",
          "nic.rx.1514.mpps": "NIC RX 1514 B", "nic.tx.1514.mpps": "NIC TX 1514 B",
          "scsi.ram.randread4k.kiops": "SCSI RAM 4 KiB random read",
          "scsi.image.randread4k.kiops": "SCSI image 4 KiB random read",
          "nic.rtt.64.p50_us": "NIC round trip 64 B p50"}
for k in sys.argv[2:]:
    on = [float(r[4]) for r in rows if r[0] == k and r[2] == "on"]
    off = [float(r[4]) for r in rows if r[0] == k and r[2] == "off"]
    unit = next(r[1] for r in rows if r[0] == k)
    pairs = sorted({r[3] for r in rows if r[0] == k})
    lower = unit == "us"
    ratios = []
    for p in pairs:
        a = [float(r[4]) for r in rows if r[0] == k and r[2] == "on" and r[3] == p]
        b = [float(r[4]) for r in rows if r[0] == k and r[2] == "off" and r[3] == p]
        if a and b:
            ma, mb = st.median(a), st.median(b)
            ratios.append(mb / ma if lower else ma / mb)
    f = lambda v: "%.3g" % v
    print("| %s | %s | %s (%s-%s) | %s (%s-%s) | %.3f (%.3f-%.3f) | %+.1f %% |" % (
        labels.get(k, k), unit, f(st.median(on)), f(q(on, .25)), f(q(on, .75)),
        f(st.median(off)), f(q(off, .25)), f(q(off, .75)), st.median(ratios),
        q(ratios, .25), q(ratios, .75), (1 - st.median(ratios)) * 100))
PY
)
host=$(jq -r '.host' "$T/run1.json" | sed -E 's/ \+.*//')
{
  echo "## Budget instrumentation"
  echo
  echo "The cost of the loop budget and call-depth limit compiled into driver code (issue 12,"
  echo "\`loader/budget.c\`, loader/README.md \"Budgets\"): \`xdrv bench --modes jit-eager,jit-nobudget\`,"
  echo "the dp83820 and virtio_scsi packages JIT-compiled eagerly with the budgets \`xdrv run\` compiles"
  echo "by default ($cfg) and without them, both in every rep (order rotated), $RUNS processes"
  echo "of $REPS reps, ${secs} s in all; the workloads of \"Driver throughput\" above; optimized build,"
  echo "$(nproc) cores, $host, $(date -u +%Y-%m-%d). Median of each side's samples (p25-p75), and the"
  echo "median (p25-p75) of the per-rep ratios *with / without* (latency: without / with), so >= 1.00"
  echo "means no cost; *cost* = 1 - ratio (negative: noise in favour of the budgets)."
  echo
  echo "| figure | unit | with budgets | without | ratio with/without | cost |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
  echo "$table"
  echo
  echo "Goal (issue 12): a cost of at most 5 %. On a shared machine the two sides of one rep often"
  echo "differ by 10-20 % either way (the p25-p75 of the ratios): read the medians of the ratios,"
  echo "not single reps. Samples: \`$OUT/budget.csv\`."
  echo "Reproduce: \`scripts/bench.sh build 22-budget\` after \`make\` (\`RUNS=N REPS=N\`)."
} > "$SECTION"
cat "$SECTION" >&2
