#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Start-up of `xdrv` commands (issue 13: commands that never compile do not pay for loading
# LLVM; cli/llvm_lazy.c). Each command is timed over REPS fresh processes of the optimized build,
# as it runs (libLLVM loaded on first use, if at all) and with libLLVM preloaded (LD_PRELOAD):
# the second column is what every command paid when libLLVM was a start-up dependency, measured
# in the same run; the third is the program loading Debian's libLLVM on first use instead of its
# private LLVM library (a copy of it with no lib/xdrv/ beside it; only with a build that has one). Wall time from bash's EPOCHREALTIME around each process. Writes one section
# of docs/BENCHMARKS.md (to SECTION) and the raw samples to $B/bench/startup.csv.
#   usage: scripts/bench.d/05-startup.sh BUILD_DIR SECTION.md   (REPS=31 by default)
set -euo pipefail
B=${1:?usage: 05-startup.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 05-startup.sh BUILD_DIR SECTION.md}
REPS=${REPS:-31}
X="$B/bin/xdrv"
ROOT="$B/pki/root.pem" PKG="$B/pkg/hello.xdrv"
OUT="$B/bench"
mkdir -p "$OUT"
csv="$OUT/startup.csv"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/store"
export XDRV_STORE="$T/store"
# the library xdrv dlopen()s: its soname, in the folder of xdrv's RUNPATH
libdir=$(llvm-config-19 --libdir)
llvm=$libdir/$(readelf -d "$libdir/libLLVM-19.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ -f "$llvm" ] || { echo "05-startup: $llvm: not found" >&2; exit 1; }

# the program without its private LLVM library beside it (cli/llvm_lazy.c falls back to Debian's)
XDEB=""
if [ -f "$B/lib/xdrv/libxdrv-llvm.so.19" ]; then
  XDEB="$T/debian-llvm/bin/xdrv"
  mkdir -p "$(dirname "$XDEB")" && cp "$X" "$XDEB"
fi
# name|arguments (split on spaces)
cmds=("--help|--help" "verify|verify --trust $ROOT $PKG" "list|list" "inspect|inspect $PKG"
  "abi|abi" "version|version")
echo "command,llvm,rep,ms" > "$csv"
for rep in $(seq 1 "$REPS"); do
  for c in "${cmds[@]}"; do
    name=${c%%|*} args=${c#*|}
    # alternate the order, so that neither column always runs on a warmer cache
    hows="lazy preloaded${XDEB:+ debian}"
    ((rep % 2)) || hows=$(tr ' ' '\n' <<<"$hows" | tac | tr '\n' ' ')
    for how in $hows; do
      pre="" x=$X
      [ "$how" = preloaded ] && pre=$llvm
      [ "$how" = debian ] && x=$XDEB
      t0=$EPOCHREALTIME
      # shellcheck disable=SC2086 # args are words
      LD_PRELOAD=$pre "$x" $args >/dev/null 2>&1 || { echo "05-startup: xdrv $args failed" >&2; exit 1; }
      t1=$EPOCHREALTIME
      awk -v a="$t0" -v b="$t1" -v n="$name" -v h="$how" -v r="$rep" \
        'BEGIN { printf "%s,%s,%d,%.3f\n", n, h, r, (b - a) * 1000 }' >> "$csv"
    done
  done
done

# median (p25-p75) of one cell
cell() {
  awk -F, -v n="$1" -v h="$2" 'NR > 1 && $1 == n && $2 == h { print $4 }' "$csv" | sort -g |
    awk '{ a[NR] = $1 } END { q = int((NR + 3) / 4); m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
      printf "%.1f (%.1f–%.1f)", m, a[q], a[NR + 1 - q] }'
}
{
  echo "## Start-up of commands"
  echo
  echo "Optimized build, median (p25–p75) wall time of $REPS fresh processes per cell, $(nproc) cores,"
  echo "$(date -u +%Y-%m-%d). *As built*: \`xdrv\` loads libLLVM on the first LLVM call"
  echo "(cli/llvm_lazy.c), so \`--help\`, \`verify\`, \`list\`, \`inspect\` of a package"
  echo "without \`--trust\`, \`abi\` never load it; *LLVM at start-up*: the same command with"
  echo "libLLVM preloaded (\`LD_PRELOAD\`), close to what every command paid when it was a start-up"
  echo "dependency. \`version\` asks LLVM its version, so it loads it in both columns: loading it"
  echo "with dlopen after start-up costs a few ms more (each of its symbol lookups searches every"
  echo "library already loaded first), once per process of a command that compiles."
  if [ -n "$XDEB" ]; then
    echo "*As built* loads xdrv's private LLVM library (cli/README.md); *Debian's libLLVM on first"
    echo "use*: the same program without it beside it, which falls back to Debian's libLLVM."
    echo
    echo "| command | as built ms | Debian's libLLVM on first use ms | Debian's libLLVM at start-up ms |"
    echo "| --- | ---: | ---: | ---: |"
  else
    echo
    echo "| command | as built ms | LLVM at start-up ms |"
    echo "| --- | ---: | ---: |"
  fi
  for c in "${cmds[@]}"; do
    name=${c%%|*}
    echo "| \`xdrv $name\` | $(cell "$name" lazy) |${XDEB:+ $(cell "$name" debian) |} $(cell "$name" preloaded) |"
  done
  echo
  echo "Raw samples: \`$csv\`. Reproduce: \`make bench\` (or \`scripts/bench.sh build 05-startup\`"
  echo "after \`make\`)."
} > "$SECTION"
cat "$SECTION" >&2
