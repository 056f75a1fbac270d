// SPDX-License-Identifier: MIT
/*
 * Non-portable: inline assembly. It is one architecture's instructions.
 * Write instead: xdrv_io_read*()/xdrv_io_write*() for registers and ports, xdrv_delay_us() to
 * wait, portable C otherwise.
 * expect-build: inline assembly
 * expect-load: inline assembly
 */
#include "drv.h"

static int32_t probe(xdrv_device_t *dev)
{
	(void)dev;
	__asm__ volatile("pause");
	return 0;
}
PORT_DRIVER("port-inline-asm");
