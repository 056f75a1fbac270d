// SPDX-License-Identifier: MIT
/*
 * The `testdev` device model: a small programmable device for testing the layers above a model
 * (the generic access checks, the interrupt controller, DMA through the IOMMU, and the loader's
 * ABI runtime), where a real chip would make every test a driver. A platform device,
 * compatible "xdrv,testdev"; two interrupt lines.
 *
 * Region 0, MMIO, 4 KiB, widths 1/2/4/8 (little-endian):
 *   0x000..0x7ff  scratch RAM
 *   0x800  IRQ     32-bit: bit n drives interrupt line n (0..1)
 *   0x808  SRC     64-bit bus address      0x810  DST  64-bit bus address
 *   0x818  LEN     32-bit byte count (at most 0x800)
 *   0x81c  CMD     32-bit write: 1 copy SRC->DST, 2 copy SRC->scratch, 3 copy scratch->DST
 *   0x820  STATUS  32-bit read: 0 idle, 1 done, 2 DMA fault, 3 bad command or length
 *   other offsets read 0, writes ignored (traced)
 * Region 1, port I/O, 8 bytes, widths 1/2/4: an 8-byte scratch register file.
 */
#include "../hvb_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/device.h>
#include <xdrv/endian.h>
#include <xdrv/util.h>

#define TD_SCRATCH  0x800u
#define TD_IRQ	    0x800u
#define TD_SRC	    0x808u
#define TD_DST	    0x810u
#define TD_LEN	    0x818u
#define TD_CMD	    0x81cu
#define TD_STATUS   0x820u
#define TD_REGS_END 0x828u

enum { ST_IDLE, ST_DONE, ST_FAULT, ST_BADCMD };

struct testdev {
	struct hvb_device *dev;
	uint8_t mem[TD_REGS_END]; /* scratch + register file, little-endian */
	uint8_t pio[8];
};

static void run_cmd(struct testdev *t, uint32_t cmd)
{
	uint64_t src = xdrv_get_le64(&t->mem[TD_SRC]), dst = xdrv_get_le64(&t->mem[TD_DST]);
	uint32_t len = xdrv_get_le32(&t->mem[TD_LEN]), st = ST_DONE;
	uint8_t bounce[TD_SCRATCH];
	if (len > TD_SCRATCH || cmd < 1 || cmd > 3) {
		st = ST_BADCMD;
	} else if (cmd == 1) {
		if (hvb_dma_read(t->dev, src, bounce, len) ||
		    hvb_dma_write(t->dev, dst, bounce, len))
			st = ST_FAULT;
	} else if (cmd == 2) {
		if (hvb_dma_read(t->dev, src, bounce, len) == 0)
			memcpy(t->mem, bounce, len);
		else
			st = ST_FAULT;
	} else if (hvb_dma_write(t->dev, dst, t->mem, len)) {
		st = ST_FAULT;
	}
	if (st == ST_FAULT)
		hvb_guest_error(t->dev, "dma-fault", "DMA to or from an unmapped bus address");
	xdrv_put_le32(&t->mem[TD_STATUS], st);
}

static uint64_t td_read(void *opaque, uint32_t region, uint64_t off, uint32_t size)
{
	struct testdev *t = opaque;
	uint8_t *base = region == 0 ? t->mem : t->pio;
	uint64_t lim = region == 0 ? TD_REGS_END : sizeof t->pio;
	uint64_t v = 0;
	/* checked accesses are naturally aligned, so they never straddle the end */
	if (off + size <= lim)
		for (uint32_t i = 0; i < size; i++)
			v |= (uint64_t)base[off + i] << (8 * i);
	return v;
}

static void td_write(void *opaque, uint32_t region, uint64_t off, uint32_t size, uint64_t value)
{
	struct testdev *t = opaque;
	uint8_t *base = region == 0 ? t->mem : t->pio;
	uint64_t lim = region == 0 ? TD_REGS_END : sizeof t->pio;
	if (off + size > lim || (region == 0 && off >= TD_STATUS)) {
		hvb_guest_error(t->dev, "write-ignored", "write to a read-only or unused offset");
		return;
	}
	for (uint32_t i = 0; i < size; i++)
		base[off + i] = (uint8_t)(value >> (8 * i));
	if (region != 0)
		return;
	if (off <= TD_IRQ && off + size > TD_IRQ) {
		uint32_t lines = xdrv_get_le32(&t->mem[TD_IRQ]);
		hvb_irq_set(t->dev, 0, lines & 1);
		hvb_irq_set(t->dev, 1, lines & 2);
	}
	if (off <= TD_CMD && off + size > TD_CMD)
		run_cmd(t, xdrv_get_le32(&t->mem[TD_CMD]));
}

static void td_reset(void *opaque)
{
	struct testdev *t = opaque;
	memset(t->mem, 0, sizeof t->mem);
	memset(t->pio, 0, sizeof t->pio);
	hvb_irq_set(t->dev, 0, false);
	hvb_irq_set(t->dev, 1, false);
}

static int td_create(struct hvb_device *dev, const char *config, void **opaque, char **err)
{
	if (config && *config)
		return xdrv_err(err, -EINVAL, "config '%s': testdev takes none", config);
	struct testdev *t = calloc(1, sizeof *t);
	if (!t)
		return xdrv_err(err, -ENOMEM, "out of memory");
	t->dev = dev;
	*opaque = t;
	return 0;
}

static void td_destroy(void *opaque)
{
	free(opaque);
}

const struct hvb_model_ops hvb_testdev_model_ops = {
	.name = "testdev",
	.description = "test device: scratch RAM, register-driven interrupt lines, a DMA engine",
	.bus = XDRV_BUS_PLATFORM,
	.compatible = "xdrv,testdev",
	.num_regions = 2,
	.regions = {{.kind = XDRV_REGION_MMIO, .access_sizes = 1 | 2 | 4 | 8, .size = 4096},
		    {.kind = XDRV_REGION_PIO, .access_sizes = 1 | 2 | 4, .size = 8}},
	.num_irqs = 2,
	.create = td_create,
	.destroy = td_destroy,
	.reset = td_reset,
	.read = td_read,
	.write = td_write,
};
