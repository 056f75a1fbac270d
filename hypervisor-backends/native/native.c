// SPDX-License-Identifier: MIT
/*
 * The `native` backend: the driver's register accesses go straight to the device, which here is
 * the device model standing in for the chip, so a checked access is one call into the model.
 * DMA goes through the device's IOMMU table (iommu.c): the driver gets bus addresses from a
 * private window, and the model can reach only what is mapped.
 *
 * It takes no options. The generic layer (backend.c) has already checked every access.
 */
#include "../hvb_priv.h"

#include <errno.h>
#include <xdrv/util.h>

static int native_create(struct hvb_backend *b, const char *options, char **err)
{
	(void)b;
	if (options && *options)
		return xdrv_err(err, -EINVAL, "backend native: options '%s': none are supported",
				options);
	return 0;
}

static void native_destroy(struct hvb_backend *b)
{
	(void)b;
}

uint64_t hvb_native_reg_read(struct hvb_device *d, uint32_t region, uint64_t off, uint32_t size)
{
	return d->model->read ? d->model->read(d->opaque, region, off, size) : 0;
}

void hvb_native_reg_write(struct hvb_device *d, uint32_t region, uint64_t off, uint32_t size,
			  uint64_t value)
{
	if (d->model->write)
		d->model->write(d->opaque, region, off, size, value);
}

int hvb_native_dma_map(struct hvb_device *d, void *host, uint64_t len, uint32_t dir, uint64_t *bus)
{
	return hvb_iommu_map(&d->iommu, host, len, dir, bus);
}

int hvb_native_dma_unmap(struct hvb_device *d, uint64_t bus, uint64_t len)
{
	return hvb_iommu_unmap(&d->iommu, bus, len);
}

void *hvb_native_dma_translate(struct hvb_device *d, uint64_t bus, uint64_t len, bool write,
			       bool *stable)
{
	return hvb_iommu_translate(&d->iommu, bus, len, write, stable);
}

const struct hvb_backend_ops hvb_native_backend_ops = {
	.name = "native",
	.description =
		"register accesses go straight to the device model; DMA through an IOMMU table",
	.create = native_create,
	.destroy = native_destroy,
	.reg_read = hvb_native_reg_read,
	.reg_write = hvb_native_reg_write,
	.dma_map = hvb_native_dma_map,
	.dma_unmap = hvb_native_dma_unmap,
	.dma_translate = hvb_native_dma_translate,
	.notify = NULL,
};
