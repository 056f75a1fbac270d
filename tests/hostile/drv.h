/* SPDX-License-Identifier: MIT */
/*
 * Shared scaffolding of the hostile drivers: each file defines hostile_probe(), the rest (match
 * on the null device model, a remove that does nothing, the descriptor named after the file's
 * HOSTILE_NAME) is here.
 */
#ifndef HOSTILE_DRV_H
#define HOSTILE_DRV_H

#include <xdrv/abi.h>

static int32_t hostile_probe(xdrv_device_t *dev);

static void hostile_remove(xdrv_device_t *dev)
{
	(void)dev;
}

static const struct xdrv_match hostile_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,null"},
	{.bus = 0},
};

XDRV_DRIVER(.name = HOSTILE_NAME, .version = "1.0.0", .match = hostile_match,
	    .probe = hostile_probe, .remove = hostile_remove);

#endif
