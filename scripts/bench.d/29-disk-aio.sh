#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Disk requests in flight (issue 14): the virtio-scsi model's file backend synchronous
# (`aio=sync`: every request completes inside the QueueNotify write, one preadv at a time)
# against asynchronous (`aio=uring`, the default: requests started in the notify, handed to
# io_uring in one submit per poll, completed from the poll entry), beside fio's io_uring engine
# at the same queue depth on the same image file: 4 KiB random reads and 1 MiB sequential reads,
# QD requests in flight (`xdrv run --in-process --blk-qd QD`; fio `--iodepth=QD`). 256 MiB of
# random data, page cache warm. And the isolated arrangement (`xdrv run` without --in-process,
# the default: the model in the sandboxed driver host, the disk a blkfront whose ring the
# supervisor's backend server serves from the file through io_uring) at QD 1 and at QD, with
# `aio=uring` (requests in flight on the blkif ring) and `aio=sync` (one at a time, what the
# isolated path did before). Variants rotate within every repetition; medians with min-max.
# Writes one section of docs/BENCHMARKS.md (to SECTION).
#   usage: scripts/bench.d/29-disk-aio.sh BUILD_DIR SECTION.md   (REPS=5, IOS=100000, SEQ=2000, QD=8)
set -euo pipefail
B=${1:?usage: 29-disk-aio.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 29-disk-aio.sh BUILD_DIR SECTION.md}
REPS=${REPS:-5}
IOS=${IOS:-100000}
SEQ=${SEQ:-2000}
QD=${QD:-8}
X="$B/bin/xdrv"
for f in "$X" "$B/pki/root.pem" "$B/pkg/virtio_scsi.xdrv"; do
  [ -e "$f" ] || { echo "29-disk-aio: no $f (make O=$B all)" >&2; exit 1; }
done
for t in fio jq; do
  command -v "$t" > /dev/null || { echo "29-disk-aio: $t not installed (scripts/install-deps)" >&2; exit 1; }
done
T=$(mktemp -d /tmp/xdrv-bench-aio.XXXXXX)
trap 'rm -rf "$T"' EXIT
IMG="$T/disk.img"
head -c 256M /dev/urandom > "$IMG"
cat "$IMG" > /dev/null
CSV="$T/samples.csv"
: > "$CSV"

run() { # figure variant rep
  local fig=$1 v=$2 log="$T/$1.$2.$3.log" k
  if [ "$v" = fio ]; then
    if [ "$fig" = rand4k ]; then
      fio --name=rq --filename="$IMG" --rw=randread --bs=4k --ioengine=io_uring --iodepth="$QD" \
        --number_ios="$IOS" --size=256M --norandommap --randrepeat=0 --invalidate=0 \
        --output-format=json > "$log"
      k=$(jq '.jobs[0].read.iops / 1000' "$log")
    else
      fio --name=sq --filename="$IMG" --rw=read --bs=1M --ioengine=io_uring --iodepth="$QD" \
        --number_ios="$SEQ" --size=256M --invalidate=0 --output-format=json > "$log"
      k=$(jq '.jobs[0].read.bw_bytes / 1e6' "$log")
    fi
  else
    local ops=(--blk-randread "sda:$IOS") bytes=4096 mode=(--in-process) qd=$QD aio=${v#xdrv-}
    if [ "$fig" = seq1m ]; then
      ops=(--blk-seqread "sda:$SEQ:1048576")
      bytes=1048576
    fi
    case $v in # iso-qd1, iso-sync (QD in flight, aio=sync), iso-qd (QD, aio=uring)
      iso-*) mode=(); aio=uring ;;&
      iso-qd1) qd=1 ;;
      iso-sync) aio=sync ;;
    esac
    "$X" run "${mode[@]}" --trust "$B/pki/root.pem" --eager \
      --device "virtio-scsi:disk=file:$IMG,aio=$aio" --blk-qd "$qd" "${ops[@]}" \
      "$B/pkg/virtio_scsi.xdrv" > "$log" 2>&1 ||
      { echo "29-disk-aio: $v $fig failed:" >&2; cat "$log" >&2; exit 1; }
    k=$(awk -v bytes="$bytes" -v fig="$fig" '/ reads of /{
      for (i = 1; i <= NF; i++) if ($i == "IOPS;") {
        if (fig == "seq1m") printf "%.1f", $(i - 1) * bytes / 1e6; else printf "%.1f", $(i - 1) / 1000
        exit } }' "$log")
  fi
  [ -n "$k" ] || { echo "29-disk-aio: no figure in:" >&2; cat "$log" >&2; exit 1; }
  echo "$fig,$v,$3,$k" >> "$CSV"
  echo "29-disk-aio: rep $3 $fig $v $k" >&2
}

variants=(xdrv-sync xdrv-uring fio iso-qd1 iso-sync iso-qd)
nv=${#variants[@]}
for rep in $(seq "$REPS"); do
  for fig in rand4k seq1m; do
    # rotate the order: no variant always runs first (a warmer cache, a quieter machine)
    for i in $(seq 0 $((nv - 1))); do
      run "$fig" "${variants[$(((i + rep) % nv))]}" "$rep"
    done
  done
done
load=$(cut -d" " -f1 /proc/loadavg)

stats() { # fig variant -> "median (min-max)"
  grep "^$1,$2," "$CSV" | cut -d, -f4 | sort -g |
    awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.1f (%.1f-%.1f)", m, v[1], v[NR] }'
}
median() {
  grep "^$1,$2," "$CSV" | cut -d, -f4 | sort -g |
    awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$(median "$1" "$2")" -v b="$(median "$1" "$3")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
{
  echo "## Disk requests in flight: aio=sync, aio=uring and fio io_uring, in-process and isolated (issue 14)"
  echo
  echo "\`scripts/bench.d/29-disk-aio.sh\`, optimized build, $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d);"
  echo "\`xdrv run --in-process --device virtio-scsi:disk=file:IMAGE,aio=MODE --blk-qd $QD\` with the signed"
  echo "virtio_scsi package (JIT), against \`fio --ioengine=io_uring --iodepth=$QD\` on the same 256 MiB image"
  echo "of random data (page cache warm). \`aio=sync\` completes every request inside the QueueNotify"
  echo "write (one preadv at a time, whatever the driver queued); \`aio=uring\` (the default) starts"
  echo "the READ/WRITEs in the notify and hands them to io_uring in one submit when the device is"
  echo "polled, completing them from the poll entry. Median (min-max) of $REPS repetitions,"
  echo "variants rotating within each."
  echo
  echo "| workload ($QD in flight) | xdrv aio=sync | xdrv aio=uring | fio io_uring | uring/sync | uring/fio |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  echo "| 4 KiB random reads, kIOPS ($IOS) | $(stats rand4k xdrv-sync) | $(stats rand4k xdrv-uring) | $(stats rand4k fio) | $(ratio rand4k xdrv-uring xdrv-sync) | $(ratio rand4k xdrv-uring fio) |"
  echo "| 1 MiB sequential reads, MB/s ($SEQ) | $(stats seq1m xdrv-sync) | $(stats seq1m xdrv-uring) | $(stats seq1m fio) | $(ratio seq1m xdrv-uring xdrv-sync) | $(ratio seq1m xdrv-uring fio) |"
  echo
  echo "The isolated arrangement (the default, without \`--in-process\`): the model in the sandboxed"
  echo "driver host, its disk a blkfront whose ring the supervisor's backend server (xdrv-backd's vbd"
  echo "handler, not sandboxed) serves from the same file. \`aio=uring\` (the default): the model's"
  echo "requests go on the blkif ring together (blkfront's asynchronous requests: up to 24 ring"
  echo "requests of 44 KiB in slots of their own, and the pool's larger ones) and the server hands all it finds"
  echo "to io_uring, answering as they complete; \`aio=sync\`: one request at a time through the"
  echo "ring, as the isolated path did before. Same image, same repetitions."
  echo
  echo "| workload | isolated QD 1 | isolated QD $QD aio=sync | isolated QD $QD aio=uring | in-process QD $QD aio=uring | fio io_uring QD $QD | isolated uring/sync | isolated QD $QD/QD 1 |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  echo "| 4 KiB random reads, kIOPS ($IOS) | $(stats rand4k iso-qd1) | $(stats rand4k iso-sync) | $(stats rand4k iso-qd) | $(stats rand4k xdrv-uring) | $(stats rand4k fio) | $(ratio rand4k iso-qd iso-sync) | $(ratio rand4k iso-qd iso-qd1) |"
  echo "| 1 MiB sequential reads, MB/s ($SEQ) | $(stats seq1m iso-qd1) | $(stats seq1m iso-sync) | $(stats seq1m iso-qd) | $(stats seq1m xdrv-uring) | $(stats seq1m fio) | $(ratio seq1m iso-qd iso-sync) | $(ratio seq1m iso-qd iso-qd1) |"
  echo
  echo "1-minute load average at the end $load. Reproduce: \`make O=$B all\`, then"
  echo "\`scripts/bench.d/29-disk-aio.sh $B SECTION.md\` (\`REPS=N IOS=N SEQ=N QD=N\`), or"
  echo "\`scripts/bench.sh $B 29-disk-aio\`."
} > "$SECTION"
cat "$SECTION" >&2
