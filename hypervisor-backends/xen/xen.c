// SPDX-License-Identifier: MIT
/*
 * The `xen` backend: pre-virtualization as in Afterburner. The device model (DP83820,
 * virtio-scsi: the "wedge") stays with the driver, in this process, and is reached exactly as on
 * `native` (checked register accesses are calls, DMA through the device's IOMMU table); what is
 * behind the model leaves through Xen's split-driver protocols: a NIC's cable is a netfront
 * (wire kind "netfront", xen/netfront.c) and a disk is a blkfront (disk backend "blkfront",
 * xen/blkfront.c), on one of two transports (xen/xt.h):
 *
 *   transport=xen   grant tables, event channels and xenstore, to a backend domain's netback /
 *                   blkback (Linux's own, in dom0)
 *   transport=loop  memfd pages, eventfds and a UNIX socket, to xdrv-backd (backd/)
 *
 * Options ("xen:transport=loop,socket=PATH,domid=N,toolstack=0|1,timeout=MS") become the
 * defaults of the frontends this process creates afterwards (xt_default_set); without them the
 * transport is xen where /dev/xen/evtchn exists, else loop.
 */
#include "../hvb_priv.h"
#include "xt.h"

#include <errno.h>
#include <xdrv/util.h>

static int xen_create(struct hvb_backend *b, const char *options, char **err)
{
	(void)b;
	int rc = xt_default_set(options, err);
	if (rc < 0)
		xdrv_err_prefix(err, "backend xen");
	return rc;
}

static void xen_destroy(struct hvb_backend *b)
{
	(void)b;
}

const struct hvb_backend_ops hvb_xen_backend_ops = {
	.name = "xen",
	.description = "device model in process; its wire (netfront) and disks (blkfront) through "
		       "Xen split drivers: transport=xen|loop",
	.create = xen_create,
	.destroy = xen_destroy,
	.reg_read = hvb_native_reg_read,
	.reg_write = hvb_native_reg_write,
	.dma_map = hvb_native_dma_map,
	.dma_unmap = hvb_native_dma_unmap,
	.dma_translate = hvb_native_dma_translate,
	.notify = NULL,
};
