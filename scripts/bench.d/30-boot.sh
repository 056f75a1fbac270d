#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Measured-boot benchmark: `xdrv boot` time per sample driver (signature chain + revocation +
# floor + JIT + probe, and the measurements), without a TPM (event log only) and with swtpm on
# loopback (log + PCR extends + the NV rollback floor), plus the platform measurements (loader
# binary hash etc.) and `xdrv attest` (AK creation + quote) — medians of REPS fresh processes of
# the optimized build, each boot on a freshly started swtpm. Writes one section of
# docs/BENCHMARKS.md to SECTION and the raw samples to $B/bench/boot.csv.
#   usage: scripts/bench.d/30-boot.sh BUILD_DIR SECTION.md   (REPS=7 by default)
set -euo pipefail
B=$(cd "${1:?usage: 30-boot.sh BUILD_DIR SECTION.md}" && pwd)
SECTION=${2:?usage: 30-boot.sh BUILD_DIR SECTION.md}
REPS=${REPS:-7}
X="$B/bin/xdrv"
OUT="$B/bench"
T=$(mktemp -d)
SWTPM_PID=
stop_tpm() { if [ -n "$SWTPM_PID" ]; then kill "$SWTPM_PID" 2>/dev/null || true; wait "$SWTPM_PID" 2>/dev/null || true; fi; SWTPM_PID=; }
trap 'stop_tpm; rm -rf "$T"' EXIT
mkdir -p "$OUT"
csv="$OUT/boot.csv"
echo "driver,tpm,rep,driver_ms,platform_ms,boot_ms,attest_ms" > "$csv"

free_port() { python3 -c 'import socket
for _ in range(200):
    a=socket.socket(); a.bind(("127.0.0.1",0)); p=a.getsockname()[1]; b=socket.socket()
    try: b.bind(("127.0.0.1",p+1)); print(p); break
    except OSError: pass
    finally: a.close(); b.close()'; }
start_tpm() {
  stop_tpm; rm -rf "$T/tpm"; mkdir -p "$T/tpm"
  PORT=$(free_port)
  swtpm socket --tpmstate dir="$T/tpm" --tpm2 --server type=tcp,port="$PORT",bindaddr=127.0.0.1 \
    --ctrl type=tcp,port=$((PORT + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear &
  SWTPM_PID=$!
  for _ in $(seq 50); do
    TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT" tpm2_pcrread sha256:0 >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "30-boot: swtpm did not start" >&2; exit 1
}
device_for() { case $1 in uart16550) echo uart16550 ;; *) echo null ;; esac; }
ms_of() { sed -n "s/.*$1 in \([0-9.]*\) ms.*/\1/p" | head -1; }
now_ms() { date +%s%N | awk '{printf "%.3f", $1/1e6}'; }

for drv in hello uart16550; do
  for tpm in none swtpm; do
    for rep in $(seq 1 "$REPS"); do
      rm -rf "$T/state" "$T/boot.log"
      tcti=null
      if [ "$tpm" = swtpm ]; then start_tpm; tcti="\"swtpm:host=127.0.0.1,port=$PORT\""; fi
      cat > "$T/boot.json" <<JSON
{"format": 1, "tpm": $tcti, "event_log": "boot.log", "state_dir": "state", "cache": false,
 "trust": {"root": "$B/pki/root.pem"},
 "drivers": [{"package": "$B/pkg/$drv.xdrv", "device": "$(device_for $drv)"}]}
JSON
      t0=$(now_ms)
      o=$("$X" boot --config "$T/boot.json" 2>/dev/null)
      t1=$(now_ms)
      att=nan
      if [ "$tpm" = swtpm ]; then
        a0=$(now_ms)
        "$X" attest --config "$T/boot.json" --nonce "$(openssl rand -hex 20)" -o "$T/b.json" >/dev/null
        a1=$(now_ms)
        att=$(awk -v a="$a0" -v b="$a1" 'BEGIN{printf "%.2f", b-a}')
      fi
      drv_ms=$(ms_of "probed on [^ ]*" <<<"$o")
      plat_ms=$(ms_of "revocation)" <<<"$o")
      echo "$drv,$tpm,$rep,$drv_ms,$plat_ms,$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}'),$att" >> "$csv"
      stop_tpm
    done
  done
done
# reference: `xdrv load` (verify + JIT, nothing measured) of the same packages
for drv in hello uart16550; do
  for rep in $(seq 1 "$REPS"); do
    "$X" load --trust "$B/pki/root.pem" --json "$B/pkg/$drv.xdrv" | jq -r --arg d "$drv" --arg r "$rep" \
      '"\($d),load,\($r),\(.timings.total_ns/1e6),nan,nan,nan"' >> "$csv"
  done
done

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -F, -v d="$1" -v t="$2" -v c="$3" 'NR>1 && $1==d && $2==t && $c!="nan" {print $c}' "$csv" | median; }
{
  echo "## Measured boot"
  echo
  echo "Optimized build, medians of $REPS fresh processes per cell, $(nproc) cores, $(date -u +%Y-%m-%d);"
  echo "swtpm $(swtpm --version 2>&1 | head -1 | sed 's/.*version \([0-9.]*\).*/\1/') on loopback TCP, restarted (PCRs reset) before each boot."
  echo
  echo "- *load only*: \`xdrv load\` (verify + extract + bitcode gate + O2 + JIT), nothing measured."
  echo "- Every boot here compiles (\`\"cache\": false\`; the object cache has its own section)."
  echo "- *driver, no TPM*: one driver in \`xdrv boot\`: signature chain, revocation, floor (signed"
  echo "  state file), package/JIT/probe events appended to the log (rewritten after each event), JIT, probe."
  echo "- *driver, swtpm*: the same with every event also extended into PCR 12 and the floor in TPM NV."
  echo "- *platform*: loader binary hash + configuration, trust, policy, revocation events (PCR 11)."
  echo "- *process*: the whole \`xdrv boot\` process (LLVM start-up included); *attest*: the whole"
  echo "  \`xdrv attest\` process (AK = primary key creation, PCR read, quote, bundle)."
  echo
  echo "| driver | load only ms | driver, no TPM ms | driver, swtpm ms | platform, no TPM / swtpm ms | process, no TPM / swtpm ms | attest ms |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for drv in hello uart16550; do
    printf '| %s | %.2f | %.2f | %.2f | %.2f / %.2f | %.1f / %.1f | %.1f |\n' "$drv" \
      "$(col $drv load 4)" "$(col $drv none 4)" "$(col $drv swtpm 4)" "$(col $drv none 5)" "$(col $drv swtpm 5)" \
      "$(col $drv none 6)" "$(col $drv swtpm 6)" "$(col $drv swtpm 7)"
  done
  echo
  echo "Raw samples: \`$(basename "$B")/bench/boot.csv\`. Reproduce: \`make bench\` (or \`REPS=15 scripts/bench.sh build 30-boot\` after \`make\`)."
} > "$SECTION"
cat "$SECTION" >&2
