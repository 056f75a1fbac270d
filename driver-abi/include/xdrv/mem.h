/* SPDX-License-Identifier: MIT */
/*
 * xdrv driver ABI — driver-owned memory.
 *
 * Memory a driver allocates is charged to it and released when it is unloaded, whether or not it
 * freed it. It is CPU memory only; memory a device reads or writes comes from xdrv/dma.h.
 * memcpy, memset and memmove may be called (the compiler emits them for copies); they are the
 * only C library functions a driver can reach.
 */
#ifndef XDRV_MEM_H
#define XDRV_MEM_H

#include <stdint.h>

/* Allocate `size` zeroed bytes, aligned to 16. Returns NULL on failure or size 0. */
void *xdrv_mem_alloc(uint64_t size);
/* Free memory from xdrv_mem_alloc. NULL is ignored; a pointer the host did not hand out is
 * logged and ignored. */
void xdrv_mem_free(void *p);

void *memcpy(void *dst, const void *src, unsigned long n);
void *memmove(void *dst, const void *src, unsigned long n);
void *memset(void *dst, int c, unsigned long n);

#endif
