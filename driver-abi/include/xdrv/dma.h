/* SPDX-License-Identifier: MIT */
/*
 * xdrv driver ABI — DMA.
 *
 * A device sees memory only through bus addresses the host handed out, as behind an IOMMU: a
 * coherent buffer (descriptor rings), or a mapping of driver or packet memory for one transfer.
 * Bus addresses are 64-bit and opaque to the driver; it writes them into descriptors as the
 * device wants them. Any other address a device is told to use fails at the device.
 */
#ifndef XDRV_DMA_H
#define XDRV_DMA_H

#include <xdrv/types.h>

#define XDRV_DMA_TO_DEVICE     1u
#define XDRV_DMA_FROM_DEVICE   2u
#define XDRV_DMA_BIDIRECTIONAL 3u

/* Allocate `size` zeroed bytes visible to both CPU and device; store the bus address in
 * *bus_addr. Returns the CPU pointer or NULL. */
void *xdrv_dma_alloc_coherent(xdrv_device_t *dev, uint64_t size, uint64_t *bus_addr);
void xdrv_dma_free_coherent(xdrv_device_t *dev, void *cpu_addr, uint64_t size, uint64_t bus_addr);
/* Make `len` bytes at `buf` visible to the device for a transfer in direction `dir`; store the
 * bus address in *bus_addr. XDRV_OK, XDRV_EINVAL (NULL buf or bus_addr, len 0, a bad dir, a
 * range that wraps the address space), XDRV_EFAULT (some page of the range is not mapped in the
 * host with the access the device needs: readable for TO_DEVICE, writable for FROM_DEVICE, both
 * for BIDIRECTIONAL), XDRV_ENOSPC (over the driver's mapping limits), XDRV_ENOMEM. */
int32_t xdrv_dma_map(xdrv_device_t *dev, void *buf, uint64_t len, uint32_t dir, uint64_t *bus_addr);
void xdrv_dma_unmap(xdrv_device_t *dev, uint64_t bus_addr, uint64_t len, uint32_t dir);
/* Hand a mapped range to the CPU (after the device wrote it) or to the device (after the CPU
 * wrote it). */
void xdrv_dma_sync_for_cpu(xdrv_device_t *dev, uint64_t bus_addr, uint64_t len, uint32_t dir);
void xdrv_dma_sync_for_device(xdrv_device_t *dev, uint64_t bus_addr, uint64_t len, uint32_t dir);

#endif
