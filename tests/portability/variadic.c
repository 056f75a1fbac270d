// SPDX-License-Identifier: MIT
/*
 * Non-portable: a variadic function. How variable arguments are passed (registers, stack,
 * va_list layout) is decided per target and lowered into the code by the compiler.
 * Write instead: a fixed parameter list; for log messages the xdrv_msg_* helpers + xdrv_log().
 * expect-build: variadic
 * expect-load: variadic
 */
#include "drv.h"

int sum(int n, ...);
int sum(int n, ...)
{
	__builtin_va_list ap;
	int s = 0;
	__builtin_va_start(ap, n);
	for (int i = 0; i < n; i++)
		s += __builtin_va_arg(ap, int);
	__builtin_va_end(ap);
	return s;
}

static int32_t probe(xdrv_device_t *dev)
{
	(void)dev;
	return sum(2, 1, 2) == 3 ? 0 : -1;
}
PORT_DRIVER("port-variadic");
