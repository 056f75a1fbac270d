#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: run every benchmark in scripts/bench.d/ (in name order) against the optimized
# build. Each writes one Markdown section to $B/bench/<name>.md; this script joins them into
# docs/BENCHMARKS.md, so the file always holds figures of one run.
#   usage: scripts/bench.sh [BUILD_DIR] [NAME...]   (NAME: run only those, keep other sections)
set -euo pipefail
B=${1:-build}; shift || true
mkdir -p "$B/bench"
for s in scripts/bench.d/*.sh; do
  name=$(basename "$s" .sh)
  if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then continue; fi
  echo "== bench: $name" >&2
  bash "$s" "$B" "$B/bench/$name.md"
done
# the throughput chart again, now with the peers of this run (scripts/bench-chart.sh)
if [ -s "$B/bench/throughput.json" ] && command -v gnuplot > /dev/null; then
  scripts/bench-chart.sh "$B/bench/throughput.json" "$B/bench/throughput.png" "$B/bench/peers.csv" &&
    cp "$B/bench/throughput.png" docs/bench-throughput.png
fi
{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` (\`scripts/bench.sh\`; one section per script in \`scripts/bench.d/\`)."
  echo "Machines here are shared and noisy: compare figures within one section of one run."
  for f in "$B"/bench/*.md; do echo; cat "$f"; done
} > docs/BENCHMARKS.md.new
mv docs/BENCHMARKS.md.new docs/BENCHMARKS.md
echo "wrote docs/BENCHMARKS.md" >&2
