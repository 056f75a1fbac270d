// SPDX-License-Identifier: MIT
/*
 * recursion: a probe that recurses without end, 256 bytes of volatile stack per call, until the
 * stack runs out. Contained before driver domains too: the fault guard runs its handler on an
 * alternate stack and turns the overflow (SIGSEGV) into a failed probe. With the budget
 * instrumentation, the call-depth limit stops it first, naming the function.
 */
#define HOSTILE_NAME "recursion"
#include "drv.h"

static volatile uint64_t deepest;

static uint64_t dive(uint64_t n)
{
	volatile uint8_t pad[256];
	pad[n % sizeof pad] = (uint8_t)n;
	deepest = n;
	return dive(n + 1) + pad[n % sizeof pad];
}

static int32_t hostile_probe(xdrv_device_t *dev)
{
	(void)dev;
	xdrv_log(XDRV_LOG_WARN, "recursion: diving");
	return dive(0) ? XDRV_OK : XDRV_EIO;
}
