// SPDX-License-Identifier: MIT
/*
 * virtio_scsi's parameters with their defaults; the loader specializes each into a constant. The
 * table that describes them (range, help) is vs_params in virtio_scsi.c. In a file of their own
 * because the probe (virtio_scsi.c) and the disks (disk.c) read them and this one needs neither.
 */
#include "vs.h"

XDRV_PARAM(uint32_t, queue_size) = 128;
XDRV_PARAM(uint32_t, scan_luns) = 8;
XDRV_PARAM(uint32_t, scan_targets) = 8;
XDRV_PARAM(uint32_t, retries) = 3;
XDRV_PARAM(uint32_t, cmd_timeout_ms) = 5000;
