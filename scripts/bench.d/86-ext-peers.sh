#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Packet extensions against their peers (issue 16):
#  - compile cost: xdrv-extcompile brings each sample extension up (signature, lint, memory check,
#    budget, optimization, code generation in the compiler process, link) at the fast tier's level
#    (O0) and at O2, fresh loader context, no object cache; the in-kernel JVM seed's NYA JIT is the
#    historical peer (about 0.15-0.34 ms per class, its Table 2);
#  - the same filter as eBPF/XDP: xdrv-xdppeer attaches bench/xdp_filter.bpf.o (clang -target bpf)
#    to a veth in a network namespace of its own and counts what the program processed, beside
#    `xdrv run --in-process` with the filter extension on the RX hook of the dp83820 driver on the
#    generator wire; both drop every frame (the deny set holds every source). Interleaved, REPS
#    rounds; medians with spread. The two paths differ (ours includes the device model and the
#    driver; XDP the kernel's veth and the sender), so the figure is what each filter sustains on
#    one core, not a ratio of equals.
# Writes one section of docs/BENCHMARKS.md to SECTION.
#   usage: scripts/bench.d/86-ext-peers.sh BUILD_DIR SECTION.md   (REPS=5, FRAMES=2000000)
set -euo pipefail
B=${1:?usage: 86-ext-peers.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 86-ext-peers.sh BUILD_DIR SECTION.md}
REPS=${REPS:-5}
FRAMES=${FRAMES:-2000000}
X="$B/bin/xdrv"
E="$B/ext"
for f in "$B/pkg/dp83820.xdrv" "$E/empty.xdrv" "$E/filter.xdrv" "$E/flowcount.xdrv" "$E/prio.xdrv" \
  "$B/bin/xdrv-extcompile"; do
  [ -r "$f" ] || { echo "86-ext-peers: no $f (make O=$B all)" >&2; exit 1; }
done
T=$(mktemp -d)
NS="xdrvxdp$$"
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$T"' EXIT
start=$(date +%s)

compile=$("$B/bin/xdrv-extcompile" --trust "$B/pki/root.pem" -n "$REPS" \
  "$E/empty.xdrv" "$E/prio.xdrv" "$E/filter.xdrv" "$E/flowcount.xdrv" 2>&1) || true

# the peer, where the machine allows it
xdp_why=""
if [ ! -r "$B/bench/xdp_filter.bpf.o" ]; then
  xdp_why="no $B/bench/xdp_filter.bpf.o (a build without libbpf or clang's BPF target)"
elif ! ip netns add "$NS" 2>/dev/null; then
  xdp_why="cannot create a network namespace here"
fi
echo "10.0.0.2" > "$T/deny" # the generator's source address: every frame is dropped
echo "rep,side,mpps" > "$T/rates.csv"
for rep in $(seq "$REPS"); do
  for k in 0 1; do
    side=$(( (k + rep) % 2 ))
    if [ "$side" = 0 ]; then
      out=$("$X" run --in-process --cache "$T/cache" --trust "$B/pki/root.pem" --device dp83820 \
        --param holdoff_us=0 --param rx_ring=256 --param tx_ring=256 \
        --wire "gen:count=$FRAMES,size=60,check=0,digest=0" \
        --ext "rx:$E/filter.xdrv:table=deny=$T/deny" "$B/pkg/dp83820.xdrv" 2>&1 || true)
      # the generator's rate: frames the wire offered per second of the run (all dropped by the
      # filter, so nothing is received)
      ms=$(grep -oE "ran +[0-9.]+ ms" <<<"$out" | grep -oE "[0-9.]+" || true)
      drop=$(grep -oE "rx filter 1.0.0 \(id 1\): [0-9]+ runs, pass [0-9]+, drop [0-9]+" <<<"$out" |
        grep -oE "[0-9]+$" || true)
      if [ -n "$ms" ] && [ "${drop:-0}" -gt 0 ]; then
        echo "$rep,xdrv,$(awk -v d="$drop" -v ms="$ms" 'BEGIN { printf "%.4f", d / ms / 1e3 }')" >> "$T/rates.csv"
      else
        echo "86-ext-peers: the filter run failed: $out" >&2
      fi
    elif [ -z "$xdp_why" ]; then
      if line=$(ip netns exec "$NS" "$B/bin/xdrv-xdppeer" --obj "$B/bench/xdp_filter.bpf.o" \
        --for 2 --sources 16 --deny 16 2>&1); then
        echo "$rep,xdp,$(grep -oE "mpps=[0-9.]+" <<<"$line" | cut -d= -f2)" >> "$T/rates.csv"
        xdp_mode=$(grep -oE "mode=[a-z]+" <<<"$line" | cut -d= -f2)
      else
        xdp_why="xdrv-xdppeer failed: $line"
      fi
    fi
  done
done
secs=$(( $(date +%s) - start ))
load=$(cut -d' ' -f1-3 /proc/loadavg)
stats() { # SIDE -> "median spread n"
  awk -F, -v s="$1" 'NR > 1 && $2 == s { print $3 }' "$T/rates.csv" | sort -g |
    awk '{ x[n++] = $1 } END { if (!n) { print "0 0 0"; exit }
      m = n % 2 ? x[(n - 1) / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
      printf "%s %s %d\n", m, (m > 0 ? (x[n - 1] - x[0]) / m : 0), n }'
}
read -r xm xs xn <<<"$(stats xdrv)"
read -r pm ps pn <<<"$(stats xdp)"
{
  echo "## Packet extensions: compile cost and the eBPF peer"
  echo
  echo "\`scripts/bench.d/86-ext-peers.sh\`, $(nproc) cores, load average $load, $(date -u +%Y-%m-%d),"
  echo "${secs} s in all."
  echo
  echo "**Bringing an extension up** (\`xdrv-extcompile\`: signature and chain, the extension lint, the"
  echo "memory-check pass, the budget, optimization and code generation in the compiler process, link;"
  echo "a fresh loader context each time, no object cache; medians of $REPS, ms):"
  echo
  echo '```'
  echo "$compile"
  echo '```'
  echo
  echo "The seed's in-kernel JIT (NYA) compiled its priority-queue VIFlet in about 0.26 ms (its Table"
  echo "2): a table-driven translator with no optimizer, no signature and no process boundary. Most of"
  echo "an xdrv load is fixed cost (loader context, verification, the compiler process) that the object"
  echo "cache removes on the next load; the rest is LLVM."
  echo
  echo "**The same filter, eBPF/XDP** (every frame dropped by the deny set; medians of the runs, spread"
  echo "= (max - min) / median):"
  echo
  echo "| filter | Mpps | spread | runs | path |"
  echo "|---|---:|---:|---:|---|"
  printf '| xdrv filter extension, RX hook | %.3f | %.0f %% | %s | generator -> DP83820 model -> JIT-compiled driver -> RX chain (in process) |\n' \
    "$xm" "$(awk -v s="$xs" 'BEGIN { print s * 100 }')" "$xn"
  if [ -n "$xdp_why" ] && [ "$pn" = 0 ]; then
    echo "| eBPF/XDP on a veth | - | - | 0 | not measured: $xdp_why |"
  else
    printf '| eBPF/XDP on a veth (%s mode) | %.3f | %.0f %% | %s | AF_PACKET sendmmsg -> veth -> XDP program (kernel, JIT) |\n' \
      "${xdp_mode:-?}" "$pm" "$(awk -v s="$ps" 'BEGIN { print s * 100 }')" "$pn"
  fi
} > "$SECTION"
cat "$SECTION" >&2
