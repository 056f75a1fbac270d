# SPDX-License-Identifier: MIT
# virtio_scsi: a virtio-scsi HBA driver (virtio-mmio v2, split virtqueues) with one block device
# per disk found. Included by the top Makefile (sources: every .c here).
virtio_scsi_VERSION := 1.0.0
virtio_scsi_SECVER := 1
virtio_scsi_DESC := virtio-scsi HBA over virtio-mmio: LUN scan, block devices, sense handling
