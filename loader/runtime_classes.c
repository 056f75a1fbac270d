// SPDX-License-Identifier: MIT
/*
 * The list of device classes a driver can register with (net, block, SCSI): each class's file
 * defines its ops (struct ldr_class_ops, runtime_priv.h); adding a class is one line here plus
 * its file. The driver core and the event loop walk this list (through drv->classes), never a
 * class by name. The order is the dispatch and release order.
 */
#include "runtime_priv.h"

const struct ldr_class_ops *const ldr_classes[] = {
	&ldr_net_class,
	&ldr_blk_class,
	&ldr_scsi_class,
	NULL,
};
