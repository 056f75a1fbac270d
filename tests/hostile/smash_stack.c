// SPDX-License-Identifier: MIT
/*
 * smash_stack: a probe that writes zeros over 64 KiB of the stack above its own frame: the
 * host's frames, their return addresses, and the fault guard's jump buffer. No sandbox stops
 * the writes (a driver shares its process's memory), and the fault that follows cannot be
 * turned back into a return, since the guard's own state is gone: the process dies (SIGSEGV,
 * or AddressSanitizer's report and exit status 1 in a sanitizer build).
 */
#define HOSTILE_NAME "smash_stack"
#include "drv.h"

static volatile uintptr_t where;

/* The address goes out through a volatile and comes back as an integer: the compiler cannot
 * tie the writes below to `here` and prove them out of bounds. */
static void keep(volatile uint64_t *p)
{
	where = (uintptr_t)p;
}

static int32_t hostile_probe(xdrv_device_t *dev)
{
	volatile uint64_t here = 0;
	(void)dev;
	keep(&here);
	volatile uint64_t *p = (volatile uint64_t *)where;
	for (uint32_t i = 0; i < 8192; i++)
		p[i] = 0;
	return XDRV_OK;
}
