/* SPDX-License-Identifier: MIT */
/*
 * Shared by the portability-suite drivers: a platform match entry, a remove() that does
 * nothing, and PORT_DRIVER(name) for the descriptor. Each driver is otherwise correct, so the
 * one non-portable construct it carries is the only thing a check can object to.
 */
#ifndef PORTABILITY_DRV_H
#define PORTABILITY_DRV_H
#include <xdrv/abi.h>

static const struct xdrv_match port_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "test,portability"}, {.bus = 0}};
static void port_remove(xdrv_device_t *dev)
{
	(void)dev;
}
#define PORT_DRIVER(nm)                                                                            \
	XDRV_DRIVER(.name = nm, .version = "1.0.0", .match = port_match, .probe = probe,           \
		    .remove = port_remove)
#endif
