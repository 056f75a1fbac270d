#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The throughput chart (issue 14): from `xdrv bench --json` (THROUGHPUT.json; the samples' run or
# a --package run) and, where given and present, the peers' samples (scripts/bench.d/27-peers.sh's
# peers.csv), one PNG of three panels: the run's ratios per figure (JIT/native; with --package
# e.g. isol/eager, p2/p1), the ratio of the medians with the p25-p75 of the per-rep ratios as
# whiskers; the absolute medians of the same figures (JIT eager and native, or up to four columns
# of a --package run, and the ceiling: memcpy or pread/pwrite of the same bytes) on a log scale,
# values on the bars; and the peers (fio, the kernel's veth) beside xdrv's figure of the same
# workload. Labels are the figures' own ("NIC RX 64 B (Mpps)"), never cut; a caption names the
# host CPU, the date and the git commit. Needs gnuplot and jq.
#   usage: scripts/bench-chart.sh THROUGHPUT.json OUT.png [PEERS.csv]
set -euo pipefail
J=${1:?usage: bench-chart.sh THROUGHPUT.json OUT.png [PEERS.csv]}
PNG=${2:?usage: bench-chart.sh THROUGHPUT.json OUT.png [PEERS.csv]}
PEERS=${3:-}
for t in gnuplot jq; do
  command -v "$t" > /dev/null || { echo "bench-chart: $t is not installed (scripts/install-deps)" >&2; exit 1; }
done
T=$(mktemp -d /tmp/xdrv-bench-chart.XXXXXX)
trap 'rm -rf "$T"' EXIT

# Figures: Gbit/s rows left out (the same ratios as Mpps). Tab-separated, the label first, so
# that labels keep their spaces. Ratios: those of the run that have a value (the four JIT/native
# ones of the samples; with --package, e.g. isol/eager, lazy/eager, eager p2/p1), at most six;
# per ratio the ratio of the medians and the p25 and p75 of its per-rep values (whiskers).
mapfile -t ratios < <(jq -r '[.metrics[] | .ratios | to_entries[] | select(.value != null) | .key]
  | reduce .[] as $k ([]; if index([$k]) then . else . + [$k] end) | .[:6][]' "$J")
# Absolute medians: up to four columns (the samples: jit-eager and a native build), the ceiling.
mapfile -t cols < <(jq -r 'if has("columns") and (.columns | length) > 0 and .config.package
  then .columns[:4][] else "jit-eager", (if (.modes | index("native-static")) then "native-static"
  elif (.modes | index("native-so")) then "native-so" else empty end) end' "$J")
rlist=$(printf '%s\n' "${ratios[@]}" | jq -R . | jq -s -c .)
clist=$(printf '%s\n' "${cols[@]}" | jq -R . | jq -s -c .)
jq -r --argjson rl "$rlist" '.metrics[] | select(.unit != "Gbit/s")
  | select([.median | to_entries[] | select(.key != "ceiling") | .value | numbers] | length > 0)
  | . as $m
  | ["\(.label) (\(.unit))"] + ([$rl[] as $r | ($m.ratios[$r] // "NaN"),
      ($m.ratio_per_rep[$r].p25 // $m.ratios[$r] // "NaN"),
      ($m.ratio_per_rep[$r].p75 // $m.ratios[$r] // "NaN")]) | @tsv' "$J" > "$T/ratios.dat"
jq -r --argjson cl "$clist" '.metrics[] | select(.unit != "Gbit/s")
  | select([.median | to_entries[] | select(.key != "ceiling") | .value | numbers] | length > 0)
  | . as $m
  | ["\(.label) (\(.unit))"] + [$cl[] as $c | ($m.median[$c] // "NaN")]
    + [(.median.ceiling // "NaN")] | @tsv' "$J" > "$T/abs.dat"
# the plot commands of both panels, one series per ratio and per column
rplot="" i=0
for r in "${ratios[@]}"; do
  c=$((2 + 3 * i))
  xt=""
  [ $i -eq 0 ] && xt=":xtic(1)"
  rplot+="${rplot:+, }'$T/ratios.dat' using $c:$((c + 1)):$((c + 2))$xt title '$r'"
  i=$((i + 1))
done
[ -n "$rplot" ] || rplot="NaN title 'no ratio in this run'"
palette=("#4477aa" "#66ccee" "#228833" "#ccbb44")
aplot="" i=0
for c in "${cols[@]}"; do
  xt=""
  [ $i -eq 0 ] && xt=":xtic(1)"
  aplot+="${aplot:+, }'$T/abs.dat' using $((2 + i))$xt title '$c' lc rgb '${palette[$i]}'"
  i=$((i + 1))
done
ceilc=$((2 + ${#cols[@]}))
aplot+=", '' using $ceilc title 'ceiling' lc rgb '#bbbbbb'"
aplot+=", '' using (\$0 - 0.3):2:(fmt(\$2)) with labels rotate by 90 left offset 0,0.3 font ',8' notitle"
aplot+=", '' using (\$0 + 0.3):$ceilc:(fmt(\$$ceilc)) with labels rotate by 90 left offset 0,0.3 font ',8' notitle"
title=$(jq -r 'if .config.package then "xdrv bench --package \(.config.package) on \(.config.device) (\(.config.class))" else "xdrv bench: the dp83820 and virtio_scsi samples" end' "$J")
reps=$(jq -r '.reps' "$J")
npeers=0
if [ -n "$PEERS" ] && [ -s "$PEERS" ]; then
  # figure,variant,rep,value -> "figure: variant" and the median of its samples
  awk -F, 'NR > 1 { v[$1 "\t" $2] = v[$1 "\t" $2] " " $4 }
    END { for (k in v) print k "\t" v[k] }' "$PEERS" | sort |
    while IFS=$'\t' read -r fig var vals; do
      med=$(tr ' ' '\n' <<<"$vals" | grep . | sort -g | awk '{ a[NR] = $1 }
        END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
      case $fig in
        scsi.randread4k.kiops) name="SCSI 4 KiB (kIOPS)" ;;
        tap.iperf3.gbit_s) name="TAP iperf3 (Gbit/s)" ;;
        *) name=$fig ;;
      esac
      kind=peer
      case $var in xdrv*) kind=xdrv ;; esac
      printf '%s: %s\t%s\t%s\n' "$name" "$var" "$med" "$kind"
    done > "$T/peers.dat"
  npeers=$(wc -l < "$T/peers.dat")
fi

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
llvm_cpu=$(jq -r '.host' "$J" | grep -o 'cpu=[^ ]*' || true)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git diff --quiet HEAD 2>/dev/null || echo "+changes")
caption="$title; host: ${cpu:-unknown CPU} (${llvm_cpu#cpu=}), $(nproc) cores; $(date -u +%Y-%m-%d); commit ${commit}${dirty}; medians of $reps reps"
peers_title="peers: no peers.csv (scripts/bench.d/27-peers.sh runs them)"
[ "$npeers" -gt 0 ] && peers_title="peers in their own run (27-peers.sh, $(date -u -r "$PEERS" +%Y-%m-%d)): xdrv beside fio and the kernel's veth, medians"
nfig=$(wc -l < "$T/ratios.dat")
width=$((nfig * 90 + 300))
[ "$width" -lt 1400 ] && width=1400

gnuplot <<EOF
set terminal pngcairo size $width,1650 noenhanced font ",10"
set output "$PNG"
set datafile separator "\t"
set datafile missing "NaN"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set xtics rotate by 90 right scale 0 nomirror
set key outside top center horizontal
set lmargin 12
set rmargin 4
fmt(x) = x >= 100 ? sprintf("%.0f", x) : sprintf("%.3g", x)
set multiplot
# ---- ratios
set size 1, 0.31
set origin 0, 0.665
set bmargin 15
set title "ratios, speed of one variant / the other's (eager/so etc.: JIT / native; latency: inverted); bars: ratio of the medians, whiskers: p25-p75 of the per-rep ratios"
set ylabel "ratio"
set yrange [0:*]
set style histogram errorbars gap 1 lw 1
plot $rplot, 1 with lines lw 2 lc rgb "black" notitle
set style histogram clustered gap 1
# ---- absolute figures and ceilings
set origin 0, 0.35
set title "absolute medians in each figure's unit (log scale), and the ceiling (memcpy, pread/pwrite of the same bytes)"
set ylabel "value (unit in the label)"
set logscale y
set yrange [*:*]
set offsets 0, 0, graph 0.12, 0
set ytics ("0.01" 0.01, "0.1" 0.1, "1" 1, "10" 10, "100" 100, "1k" 1e3, "10k" 1e4, "100k" 1e5, "1M" 1e6, "10M" 1e7)
plot $aplot
unset logscale y
set offsets 0, 0, 0, 0
set ytics auto
# ---- peers
set origin 0, 0.0
set size 1, 0.35
set bmargin 19
set title "$peers_title"
set ylabel "value (unit in the label, log scale)"
set style fill solid 0.85 border -1
set boxwidth 0.7
set logscale y
set yrange [*:*]
set ytics ("0.1" 0.1, "1" 1, "10" 10, "100" 100, "1k" 1e3, "10k" 1e4, "100k" 1e5, "1M" 1e6)
set xrange [-0.6:$npeers - 0.4]
if ($npeers > 0) {
  plot "$T/peers.dat" using 0:2:(strcol(3) eq "xdrv" ? 0x4477aa : 0xee6677):xtic(1) with boxes lc rgb variable notitle, \
       NaN with boxes lc rgb "#4477aa" title "xdrv", NaN with boxes lc rgb "#ee6677" title "peer (fio, veth)", \
       '' using 0:2:(fmt(\$2)) with labels offset 0,0.7 font ",9" notitle
} else {
  unset xtics
  unset ytics
  unset ylabel
  unset border
  unset grid
  unset logscale y
  set xrange [0:1]
  set yrange [0:1]
  plot 2 notitle
}
unset title
unset logscale y
set origin 0, 0
set size 1, 1
unset border
unset xtics
unset ytics
unset ylabel
unset grid
set label 1 "$caption" at screen 0.5, 0.99 center font ",11"
plot [0:1][0:1] NaN notitle
unfmt(x) = x >= 100 ? sprintf("%.0f", x) : sprintf("%.3g", x)
set multiplot
EOF
echo "bench-chart: wrote $PNG" >&2
