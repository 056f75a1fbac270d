#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The throughput chart (issue 14): from `xdrv bench --json` (THROUGHPUT.json) and, where given
# and present, the peers' samples (scripts/bench.d/27-peers.sh's peers.csv), one PNG of three
# panels: the JIT/native ratios per figure; the absolute medians of the same figures (JIT eager,
# native, and the ceiling: memcpy or pread/pwrite of the same bytes) on a log scale, each bar
# labelled with its value; and the peers (fio, the kernel's veth) beside xdrv's figure of the same
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
# that labels keep their spaces.
# per ratio: the ratio of the medians, and the p25 and p75 of its per-rep values (error bars)
jq -r '.metrics[] | select(.unit != "Gbit/s") | . as $m | ["\(.label) (\(.unit))"] +
  ([("eager/so", "lazy/so", "eager/static", "lazy/static") as $r
    | ($m.ratios[$r] // "NaN"), ($m.ratio_per_rep[$r].p25 // $m.ratios[$r] // "NaN"),
      ($m.ratio_per_rep[$r].p75 // $m.ratios[$r] // "NaN")]) | @tsv' "$J" > "$T/ratios.dat"
jq -r '.metrics[] | select(.unit != "Gbit/s") | ["\(.label) (\(.unit))",
  (.median["jit-eager"] // "NaN"), (.median["native-static"] // .median["native-so"] // "NaN"),
  (.median.ceiling // "NaN"), (.ceiling // "no ceiling")] | @tsv' "$J" > "$T/abs.dat"
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
caption="host: ${cpu:-unknown CPU} (${llvm_cpu#cpu=}), $(nproc) cores; $(date -u +%Y-%m-%d); commit ${commit}${dirty}; medians of $reps reps"
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
set title "JIT-compiled driver speed / natively compiled (>= 1: JIT at least as fast; latency: native / JIT); bars: ratio of the medians, whiskers: p25-p75 of the per-rep ratios"
set ylabel "ratio"
set yrange [0:*]
set style histogram errorbars gap 1 lw 1
plot "$T/ratios.dat" using 2:3:4:xtic(1) title "eager/so", '' using 5:6:7 title "lazy/so", \
     '' using 8:9:10 title "eager/static", '' using 11:12:13 title "lazy/static", \
     1 with lines lw 2 lc rgb "black" notitle
set style histogram clustered gap 1
# ---- absolute figures and ceilings
set origin 0, 0.35
set title "absolute medians in each figure's unit (log scale): JIT eager, native, and the ceiling (memcpy, pread/pwrite of the same bytes)"
set ylabel "value (unit in the label)"
set logscale y
set yrange [*:*]
set offsets 0, 0, graph 0.12, 0
set ytics ("0.01" 0.01, "0.1" 0.1, "1" 1, "10" 10, "100" 100, "1k" 1e3, "10k" 1e4, "100k" 1e5, "1M" 1e6, "10M" 1e7)
plot "$T/abs.dat" using 2:xtic(1) title "jit-eager" lc rgb "#4477aa", \
     '' using 3 title "native" lc rgb "#66ccee", \
     '' using 4 title "ceiling" lc rgb "#bbbbbb", \
     '' using (\$0 - 0.3):2:(fmt(\$2)) with labels rotate by 90 left offset 0,0.3 font ",8" notitle, \
     '' using (\$0 + 0.3):4:(fmt(\$4)) with labels rotate by 90 left offset 0,0.3 font ",8" notitle
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
