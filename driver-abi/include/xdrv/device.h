/* SPDX-License-Identifier: MIT */
/*
 * xdrv driver ABI — devices and register access.
 *
 * A device bound to a driver exposes numbered regions (PCI BARs, an ISA port range, a
 * memory-mapped window). A region is either memory-mapped or port I/O; the access functions are
 * the same for both, by width. The backend decides how an access reaches the device: directly
 * (native) or through a pre-virtualization device model (xen). An access outside a region, or at
 * a width the region does not take, reads all ones and is logged, as a master abort would be.
 */
#ifndef XDRV_DEVICE_H
#define XDRV_DEVICE_H

#include <xdrv/types.h>

#define XDRV_BUS_PCI	  1u
#define XDRV_BUS_PLATFORM 2u /* matched by `compatible` string */

#define XDRV_REGION_NONE 0u
#define XDRV_REGION_MMIO 1u
#define XDRV_REGION_PIO	 2u

/*
 * Identity of a device, filled by xdrv_dev_info.
 *
 *  0      4      8      12     16     20     24     28     32
 *  | bus  |vendor|device|class |subven|subdev| rev  |nreg  |
 *  | nirq | reserved[7]                                    |  ... 64 bytes
 */
struct xdrv_device_info {
	uint32_t bus;	     /* XDRV_BUS_* */
	uint32_t vendor;     /* PCI vendor id, or 0 */
	uint32_t device;     /* PCI device id, or 0 */
	uint32_t class_code; /* PCI class code (24 bits), or 0 */
	uint32_t subvendor;
	uint32_t subdevice;
	uint32_t revision;
	uint32_t num_regions; /* valid region indices are 0 .. num_regions-1 */
	uint32_t num_irqs;    /* valid interrupt indices are 0 .. num_irqs-1 */
	uint32_t reserved[7]; /* zero */
};
XDRV_STATIC_ASSERT(sizeof(struct xdrv_device_info) == 64, "xdrv_device_info layout");

/* Fill *info. Returns XDRV_OK or XDRV_EINVAL for a bad handle. */
int32_t xdrv_dev_info(xdrv_device_t *dev, struct xdrv_device_info *info);
/* The device's region `index`, or NULL if it has none. The handle stays valid until remove. */
xdrv_region_t *xdrv_dev_region(xdrv_device_t *dev, uint32_t index);
/* Size in bytes of a region, 0 for a bad handle. */
uint64_t xdrv_region_size(xdrv_region_t *region);
/* XDRV_REGION_MMIO or XDRV_REGION_PIO (XDRV_REGION_NONE for a bad handle). */
uint32_t xdrv_region_kind(xdrv_region_t *region);
/* One pointer of driver state per device. */
void xdrv_dev_set_priv(xdrv_device_t *dev, void *priv);
void *xdrv_dev_priv(xdrv_device_t *dev);

uint8_t xdrv_io_read8(xdrv_region_t *region, uint64_t offset);
uint16_t xdrv_io_read16(xdrv_region_t *region, uint64_t offset);
uint32_t xdrv_io_read32(xdrv_region_t *region, uint64_t offset);
uint64_t xdrv_io_read64(xdrv_region_t *region, uint64_t offset);
void xdrv_io_write8(xdrv_region_t *region, uint64_t offset, uint8_t value);
void xdrv_io_write16(xdrv_region_t *region, uint64_t offset, uint16_t value);
void xdrv_io_write32(xdrv_region_t *region, uint64_t offset, uint32_t value);
void xdrv_io_write64(xdrv_region_t *region, uint64_t offset, uint64_t value);

#endif
