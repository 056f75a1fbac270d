// SPDX-License-Identifier: MIT
/*
 * Non-portable: a breakpoint (__builtin_debugtrap, @llvm.debugtrap in the IR). It is int3 on
 * x86-64 and brk on arm64: a debugger's stop, not a way for a driver to fail, and outside a
 * debugger the kernel ends the process with SIGTRAP. `xdrv build`'s lint and the loader's refuse
 * it (llvm.ubsantrap too, what -fsanitize-trap emits).
 * Write instead: return a negative XDRV_E* status (XDRV_EIO, say) from the entry point.
 * expect-build: trap intrinsic llvm.debugtrap
 * expect-load: trap intrinsic llvm.debugtrap: return a negative XDRV_E
 */
#include "drv.h"

static int32_t probe(xdrv_device_t *dev)
{
	(void)dev;
	__builtin_debugtrap();
	return 0;
}
PORT_DRIVER("port-debugtrap");
