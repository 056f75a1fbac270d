#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Driver throughput, JIT-compiled against natively compiled (issue 3): `xdrv bench` runs the
# dp83820 and virtio_scsi sample drivers JIT eager, JIT lazy, as a native shared object and
# statically linked, interleaved in one process, with the memcpy / pread ceilings of the same
# bytes. Writes one section of docs/BENCHMARKS.md (to SECTION), the figures to
# $B/bench/throughput.{json,csv}, a chart (scripts/bench-chart.sh: the ratios, the absolute
# figures with their ceilings, the peers) to $B/bench/throughput.png (gnuplot; copied to
# docs/bench-throughput.png), and, where perf works, where the time of NIC RX at
# 1514 bytes goes.
#   usage: scripts/bench.d/20-throughput.sh BUILD_DIR SECTION.md   (REPS=7 by default;
#          BENCH_ARGS adds `xdrv bench` options, e.g. BENCH_ARGS="--frames 50000")
set -euo pipefail
B=${1:?usage: 20-throughput.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 20-throughput.sh BUILD_DIR SECTION.md}
REPS=${REPS:-7}
X="$B/bin/xdrv"
OUT="$B/bench"
mkdir -p "$OUT"
J="$OUT/throughput.json"
CSV="$OUT/throughput.csv"
PNG="$OUT/throughput.png"
# shellcheck disable=SC2086
cmd=("$X" bench --build "$B" --reps "$REPS" --json "$J" --csv "$CSV" ${BENCH_ARGS:-})
start=$(date +%s)
"${cmd[@]}" > "$OUT/throughput.txt"
secs=$(( $(date +%s) - start ))
cat "$OUT/throughput.txt" >&2

# ---- chart: ratios, absolute figures with ceilings, peers (scripts/bench-chart.sh; scripts/bench.sh
# draws it again at the end of `make bench`, with the peers of the same run)
chart=""
if command -v gnuplot > /dev/null; then
  scripts/bench-chart.sh "$J" "$PNG" "$OUT/peers.csv"
  cp "$PNG" docs/bench-throughput.png
  chart="![JIT/native ratios, absolute figures with ceilings, peers](bench-throughput.png)"
else
  chart="(gnuplot is not installed: no chart; \`scripts/install-deps\` installs gnuplot-nox)"
fi

# ---- where the time goes: NIC RX 1514 B, native static build, perf self time -----------------
prof=""
if command -v perf > /dev/null && perf record -q -o "$OUT/rx1514.perf" -- "$X" bench --build "$B" \
     --modes native-static,jit-eager --reps 3 --frames 1200000 --only nic.rx.1514 --ios 8 \
     --seq-ios 1 --disk-mb 4 --quiet > /dev/null 2>&1; then
  prof=$(perf report -i "$OUT/rx1514.perf" --no-children --stdio --sort symbol -g none 2>/dev/null \
    | awk '/^ +[0-9.]+%/ && n < 14 { n++; printf "| %s | `%s` |\n", $1, $3 }')
fi

fmt() { jq -r "$1" "$J"; }
host=$(fmt '.host' | sed -E 's/ \+.*//')
{
  echo "## Driver throughput: JIT-compiled vs natively compiled"
  echo
  echo "\`xdrv bench\` (bench/bench.c), optimized build, $(nproc) cores, $host, $(date -u +%Y-%m-%d);"
  echo "medians of $REPS repetitions, every variant in every repetition (order rotated), ${secs} s in all."
  echo "The same C sources of the dp83820 and virtio_scsi sample drivers: the signed package JIT-compiled"
  echo "(*eager*; *lazy*: steady state, after a warm-up pass), and compiled natively with clang-19"
  echo "\`-O2 -march=native\` (the JIT's \`default<O2>\` for the host CPU) as a shared object loaded"
  echo "with dlopen (*so*) and linked into xdrv (*static*); all through the same ABI runtime, native"
  echo "backend and device models. *Ratio* = JIT speed / native speed (latency: native / JIT), so"
  echo ">= 1.00 means the JIT-compiled driver is at least as fast."
  echo
  echo "- NIC: dp83820 model, in-process generator wire (\`check=0,digest=0\`), driver parameters"
  echo "  \`$(fmt '.config.nic_params')\` in every variant (the default 100 us holdoff would cap the"
  echo "  packet rate whatever the driver costs). RX: generator -> chip -> driver -> host; TX: host ->"
  echo "  driver -> chip -> wire; $(fmt '.config.frames_64') / $(fmt '.config.frames_512') / $(fmt '.config.frames_1514') frames at 64 / 512 / 1514 B (Gbit/s of frame bytes"
  echo "  without FCS). Round trip: one 64 B frame host -> driver -> wire, then one wire -> driver -> host,"
  echo "  $(fmt '.config.round_trips') times. Ceiling: memcpy of the same frames (one copy per frame into a ring of buffers)."
  echo "- SCSI: virtio-scsi model, a $(fmt '.config.disk_mib') MiB RAM disk and an image file of the same size (page cache),"
  echo "  synchronous I/O through the block device the driver registered (queue depth 1):"
  echo "  $(fmt '.config.random_ios') random 4 KiB reads/writes, $(fmt '.config.seq_ios') sequential 1 MiB reads/writes. Ceilings: memcpy (RAM) and"
  echo "  pread/pwrite on the same image."
  echo
  echo "The table as \`xdrv bench\` prints it (at most 100 columns): each median with the spread of its"
  echo "reps, (max - min) / median; a ratio (of the medians) marked ! is noise, not a difference: its"
  echo "per-rep values (both sides are measured in every rep) have a p25-p75 wider than 20 % of their"
  echo "median. The chart's whiskers are those p25-p75."
  echo
  echo '```'
  sed -n '/^medians of/,$p' "$OUT/throughput.txt"
  echo '```'
  echo
  echo "Warm-up, kept out of the figures above (lazy mode compiles each function on its first call;"
  echo "the warm-up is one bind, one small pass of every workload and one unbind; each rep then binds"
  echo "fresh devices, whose disk blocks are written once before anything is timed):"
  echo
  echo "| variant | load ms | bind (probe) ms | first pass of every workload ms | functions compiled after bind / after warm-up / at the end / total |"
  echo "| --- | ---: | ---: | ---: | --- |"
  jq -r '.warmup | to_entries[] | "| \(.key) | \(.value.load_ms * 10 | round / 10) | \(.value.bind_ms * 10 | round / 10) | \(.value.first_pass_ms * 10 | round / 10) | \(if .value.functions_total > 0 then "\(.value.functions_compiled_after_bind) / \(.value.functions_compiled_after_warmup) / \(.value.functions_compiled_at_end) / \(.value.functions_total)" else "native" end) |"' "$J"
  echo
  echo "Goals (issue 3):"
  echo
  jq -r '[.metrics[] | .ratios | to_entries[] | .value | select(. != null)] as $r
         | "- JIT at least as fast as native (ratio >= 1.00): ratios range \($r | min * 100 | round / 100) .. \($r | max * 100 | round / 100); \([$r[] | select(. >= 1)] | length) of \($r | length) are >= 1.00, \([$r[] | select(. >= 0.95)] | length) are >= 0.95. Differences of a few percent either way are within this machine'"'"'s run-to-run noise (see the samples in the JSON)."' "$J"
  jq -r '.metrics[] | select(.key == "nic.rx.1514.gbit_s")
         | "- RX at 1514 B at least half the memcpy ceiling: JIT eager \(.median["jit-eager"] * 100 | round / 100) Gbit/s against memcpy \(.median.ceiling | round) Gbit/s = \(.median["jit-eager"] / .median.ceiling * 1000 | round / 10) % of it, short of the goal by a factor \(.median.ceiling / 2 / .median["jit-eager"] | round). The native builds are no closer (\(.median["native-static"] / .median.ceiling * 1000 | round / 10) %): the time is not in the driver'"'"'s code."' "$J"
  echo
  if [ -n "$prof" ]; then
    echo "Where the time of NIC RX at 1514 B goes (\`perf record\` of \`xdrv bench --only nic.rx.1514"
    echo "--modes native-static,jit-eager\`, self time by symbol; JIT code shows as unnamed addresses):"
    echo
    echo "| share | symbol |"
    echo "| ---: | --- |"
    echo "$prof"
    echo
  else
    echo "(perf is not available or not permitted here: no profile.)"
    echo
  fi
  echo "Reading the profile: the driver's own functions (\`dp_*\` of sample-drivers/dp83820, \`rx_buf_new\`)"
  echo "are a few percent; the frame's cost is in the generator (\`hvb_wire_gen_frame\` fills the payload"
  echo "byte by byte and checksums it), the model's receive checksum offload (\`hvb_csum_add\` again,"
  echo "\`dp_rx_csum_status\`), the copies (wire -> model -> DMA write into the driver's buffer), and the"
  echo "runtime's per-buffer DMA bookkeeping (\`xdrv_dma_map\`/\`unmap\` per refilled RX buffer: IOMMU map"
  echo "and translate, \`ldr_map_put\`, malloc/free of the packet; \`dma_sync\` scans every mapping when the"
  echo "synced address is not the start of one). That is why JIT and native are equal and why both are"
  echo "far from memcpy. $chart"
  echo
  echo "Raw samples: \`$CSV\`, figures and ratios: \`$J\`, chart: \`$PNG\`."
  echo
  echo "Reproduce: \`make bench\`, or \`scripts/bench.sh build 20-throughput\` after \`make\`"
  echo "(\`REPS=N\`, \`BENCH_ARGS=\"--frames N --ios N\"\`), or directly \`$X bench --help\`."
} > "$SECTION"
cat "$SECTION" >&2
