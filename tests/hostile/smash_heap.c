// SPDX-License-Identifier: MIT
/*
 * smash_heap: a probe that writes over the 32 bytes before its own allocation (the runtime's
 * 16-byte header, and before it the allocator's own header of the block), then frees the block.
 * The writes are not a fault (the memory is mapped), so no guard sees them; the allocator does,
 * inside free(), and ends the process: glibc with "munmap_chunk(): invalid pointer" and
 * SIGABRT, AddressSanitizer with a bad-free report and exit status 1.
 */
#define HOSTILE_NAME "smash_heap"
#include "drv.h"

static int32_t hostile_probe(xdrv_device_t *dev)
{
	(void)dev;
	volatile uint8_t *a = xdrv_mem_alloc(64);
	if (!a)
		return XDRV_ENOMEM;
	for (uint32_t i = 1; i <= 32; i++)
		a[-16 - (int32_t)i] = 0xff;
	xdrv_mem_free((void *)(uintptr_t)a);
	return XDRV_OK;
}
