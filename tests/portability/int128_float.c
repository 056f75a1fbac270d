// SPDX-License-Identifier: MIT
/*
 * Not linkable: a conversion between floating point and a 128-bit integer. Every host's back
 * end lowers it to a compiler runtime helper (__floatuntidf here, __fixunsdfti the other way),
 * which the driver ABI does not provide; the JIT stopped at load with "Symbols not found".
 * Write instead: convert through a 64-bit integer.
 * expect-build: int128_float.c:[0-9]+:[0-9]+: error: function probe: conversion .*__floatuntidf
 * expect-load: .uitofp i128 to double. lowers to the compiler runtime helper __floatuntidf
 */
#include "drv.h"

static int32_t probe(xdrv_device_t *dev)
{
	unsigned __int128 big = (unsigned __int128)xdrv_time_ns() << 64;
	volatile double d = (double)big;
	(void)dev;
	return d < 0.0 ? -1 : 0;
}
PORT_DRIVER("port-int128-float");
