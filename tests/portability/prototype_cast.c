// SPDX-License-Identifier: MIT
/*
 * Not an ABI call: an import called through a cast function pointer with other parameter
 * types. The IR calls xdrv_log with the call's own function type, so the host would read a
 * log level and a message pointer from registers that hold two doubles. The same happens when
 * one file declares an ABI function itself, differently from <xdrv/abi.h>.
 * Write instead: call ABI functions as <xdrv/abi.h> declares them, without casts.
 * expect-build: calls xdrv_log through prototype void .double, double.,.*ABI.s void .i32, ptr.
 * expect-load: calls xdrv_log through prototype void .double, double.,.*ABI.s void .i32, ptr.
 */
#include "drv.h"

typedef void (*log_fn)(double, double);

static int32_t probe(xdrv_device_t *dev)
{
	(void)dev;
	((log_fn)xdrv_log)(1.0, 2.0);
	return 0;
}
PORT_DRIVER("port-prototype");
