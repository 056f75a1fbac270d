// SPDX-License-Identifier: MIT
/*
 * Not compilable: __builtin_canonicalize (@llvm.canonicalize in the IR). LLVM 19 has no
 * instruction selection for it on any host of the profile: `xdrv load` of a package the SDK had
 * accepted ended in "LLVM ERROR: Cannot select" and an abort of the whole host process. The
 * lint refuses it now, in the SDK and in the loader before anything is compiled.
 * Write instead: nothing; remove it.
 * expect-build: canonicalize.c:[0-9]+:[0-9]+: error: function probe: llvm.canonicalize.f64
 * expect-load: llvm.canonicalize.f64 .__builtin_canonicalize.: LLVM 19 cannot compile it
 */
#include "drv.h"

static int32_t probe(xdrv_device_t *dev)
{
	volatile double x = (double)xdrv_time_ns();
	(void)dev;
	return __builtin_canonicalize(x) < 0.0 ? -1 : 0;
}
PORT_DRIVER("port-canonicalize");
