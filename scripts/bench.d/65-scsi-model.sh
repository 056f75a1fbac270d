#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The virtio-scsi device model and its disk backends alone, without a driver (bin/hvb-diskbench:
# an in-process minimal guest issuing READ(10)/WRITE(10) through the register window and the
# IOMMU), next to pread/pwrite on the same image file: how much of a disk-driver figure is the
# model's. 4 KiB random read/write IOPS and 1 MiB sequential MB/s, RAM disk and image file.
#   usage: scripts/bench.d/65-scsi-model.sh BUILD_DIR SECTION.md   (SECONDS_EACH=1 by default)
set -euo pipefail
B=${1:?usage: 65-scsi-model.sh BUILD_DIR SECTION.md}
SECTION=${2:?usage: 65-scsi-model.sh BUILD_DIR SECTION.md}
S=${SECONDS_EACH:-1}
T=$(mktemp -d /tmp/xdrv-bench-scsi.XXXXXX)
trap 'rm -rf "$T"' EXIT
truncate -s 256M "$T/disk.img"
{
  echo "## virtio-scsi model alone (no driver)"
  echo
  echo "\`$B/bin/hvb-diskbench --seconds $S ram:256M\` and \`... file:DISK.img\` (a 256 MiB sparse"
  echo "image in /tmp, page cache warm after the first pass; no flushes): the device model's cost"
  echo "per request, the floor under every virtio-scsi driver figure. Ceiling: pread/pwrite of"
  echo "the same sizes and offsets on the same file."
  echo
  "$B/bin/hvb-diskbench" --seconds "$S" ram:256M
  echo
  "$B/bin/hvb-diskbench" --seconds "$S" "file:$T/disk.img"
  echo
} > "$SECTION"
