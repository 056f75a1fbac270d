// SPDX-License-Identifier: MIT
/*
 * Not linkable: 128-bit division. No host of the profile divides 128-bit integers in one
 * instruction; LLVM lowers `unsigned __int128 / unsigned __int128` to a call of the compiler
 * runtime helper __udivti3 (libgcc, compiler-rt), which the driver ABI does not provide, so the
 * JIT stopped at load with "Symbols not found: [ __udivti3 ]" after the SDK had accepted the
 * package (issue 13). The lint now refuses division and remainder of integers wider than 64
 * bits, naming the helper; 128-bit multiplication, shifts and comparisons stay allowed.
 * Write instead: divide in 64 bits (split the dividend, or scale first).
 * expect-build: int128_div.c:[0-9]+:[0-9]+: error: function probe: 128-bit division .udiv i128.
 * expect-load: 128-bit division .udiv i128. lowers to the compiler runtime helper __udivti3
 */
#include "drv.h"

static int32_t probe(xdrv_device_t *dev)
{
	unsigned __int128 ns = (unsigned __int128)xdrv_time_ns() * 1000000007u;
	unsigned __int128 per = (unsigned __int128)(xdrv_time_ns() | 1) << 8;
	xdrv_dev_set_priv(dev, (void *)(uintptr_t)(uint64_t)(ns / per));
	return 0;
}
PORT_DRIVER("port-int128-div");
