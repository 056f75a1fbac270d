// SPDX-License-Identifier: MIT
/*
 * Non-portable: a target intrinsic (here x86's pause hint). Clang for the profile's neutral
 * target knows no x86 builtins, so `xdrv build` stops at the compiler; bitcode that calls
 * @llvm.x86.sse2.pause anyway is made from this driver (the call to xdrv_delay_us replaced
 * by the intrinsic in the IR text) and refused by `xdrv pack` and by the loader's lint.
 * Write instead: portable C; xdrv_delay_us() to wait.
 * expect-build: target-specific intrinsic llvm.x86.sse2.pause
 * build-flags: -DPORT_INTRINSIC
 * expect-load: target-specific intrinsic llvm.x86.sse2.pause: to wait, use xdrv_delay_us
 * ir-replace: call void @xdrv_delay_us(i32 noundef 1) => call void @llvm.x86.sse2.pause()
 */
#include "drv.h"

static int32_t probe(xdrv_device_t *dev)
{
	(void)dev;
#ifdef PORT_INTRINSIC
	__builtin_ia32_pause();
#else
	xdrv_delay_us(1);
#endif
	return 0;
}
PORT_DRIVER("port-intrinsic");
