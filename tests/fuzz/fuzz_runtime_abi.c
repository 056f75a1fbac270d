// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the loader's ABI runtime: a driver that calls the ABI with whatever the
 * input says. Each 10-byte record is an operation: byte 0 picks the ABI function, byte 1 picks
 * a handle (one of the live ones the driver holds, possibly with bits flipped, or a raw value
 * from the record), bytes 2..9 are the argument (offset, size, value, pointer bits). Forged,
 * stale and foreign handles (ABI 1.1 receive pools among them: create, buffer, deliver of up to
 * four frames, destroy), unknown pointers to free or complete, wild offsets and sizes must
 * all end in an error code and a log line, never in a crash, a leak or a sanitizer report;
 * unbind must release whatever the driver left.
 *
 * Pointers the runtime must read or write (a log string, an info struct, a buffer to map) are
 * always real memory here: the runtime cannot validate those without sandboxing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/abi.h>
#include <xdrv/hvb.h>
#include <xdrv/runtime.h>

#define REC 10

static const uint8_t *in;
static size_t in_len;
static struct hvb_backend *be;
static struct hvb_device *dev;

static uint32_t nop_irq(void *ctx)
{
	(void)ctx;
	return XDRV_IRQ_NONE;
}

static int32_t nop_xmit(xdrv_netdev_t *nd, xdrv_pkt_t *pkt)
{
	(void)nd;
	xdrv_pkt_free(pkt);
	return XDRV_OK;
}

static int32_t nop_submit(xdrv_blkdev_t *bd, const struct xdrv_blk_req *req)
{
	(void)bd;
	(void)req;
	return XDRV_OK;
}

static int32_t nop_queue(xdrv_scsi_host_t *h, const struct xdrv_scsi_cmd *cmd)
{
	(void)h;
	(void)cmd;
	return XDRV_OK;
}

static int32_t fz_poll(xdrv_netdev_t *nd, uint32_t budget);
static const struct xdrv_net_ops net_ops = {
	.struct_size = sizeof net_ops, .xmit = nop_xmit, .poll = fz_poll};
static const struct xdrv_blk_ops blk_ops = {.struct_size = sizeof blk_ops, .submit = nop_submit};
static const struct xdrv_scsi_ops scsi_ops = {.struct_size = sizeof scsi_ops,
					      .queuecommand = nop_queue};

#define NH 16
static void *handles[NH]; /* what the driver got back from the ABI */
static unsigned nh;
static void *bufs[8]; /* xdrv_mem_alloc results, with sizes */
static uint64_t buf_len[8];
static int buf_mapped[8]; /* a mapped buffer is never freed here: the device could write it */

static void keep(void *h)
{
	if (h)
		handles[nh++ % NH] = h;
}

static void *pick(uint8_t sel, uint64_t arg)
{
	if (sel < 0x40 || !nh)
		return (void *)(uintptr_t)arg;
	void *h = handles[sel % (nh < NH ? nh : NH)];
	if (sel & 0x80)
		return (void *)((uintptr_t)h ^ (uintptr_t)1 << (arg % 64));
	return h;
}

static void run_op(xdrv_device_t *d, const uint8_t *r)
{
	uint64_t a;
	memcpy(&a, r + 2, 8);
	void *h = pick(r[1], a);
	uint32_t small = (uint32_t)(a & 0xffff);
	uint8_t scratch[1024];
	struct xdrv_device_info info;
	uint64_t bus = 0;
	uint32_t fl = 0;
	switch (r[0] % 28) {
	case 0:
		xdrv_dev_info(h, &info);
		break;
	case 1:
		keep(xdrv_dev_region(h, (uint32_t)a % 4));
		break;
	case 2:
		xdrv_io_read8(h, a % 8192);
		break;
	case 3:
		xdrv_io_write32(h, a % 8192 & ~3ull, (uint32_t)(a >> 32));
		break;
	case 4:
		xdrv_io_read64(h, a % 8192);
		break;
	case 5:
		xdrv_irq_request(h, (uint32_t)a % 4, nop_irq, NULL);
		break;
	case 6:
		xdrv_irq_mask(h, (uint32_t)a % 4);
		xdrv_irq_ack(h, (uint32_t)a % 4);
		break;
	case 7:
		xdrv_irq_free(h, (uint32_t)a % 4);
		break;
	case 8: {
		unsigned i = (unsigned)a % 8;
		if (!bufs[i]) {
			buf_len[i] = small + 1;
			bufs[i] = xdrv_mem_alloc(buf_len[i]);
		} else if (!buf_mapped[i]) {
			xdrv_mem_free(bufs[i]);
			bufs[i] = NULL;
		}
		break;
	}
	case 9:
		xdrv_mem_free((void *)(uintptr_t)a);
		break; /* never handed out */
	case 10: {
		unsigned i = (unsigned)a % 8;
		if (bufs[i])
			buf_mapped[i] |= xdrv_dma_map(h, bufs[i], buf_len[i],
						      (uint32_t)(a >> 8) % 4, &bus) == XDRV_OK;
		break;
	}
	case 11:
		xdrv_dma_unmap(h, a & ~0xfffull, small, (uint32_t)(a >> 16) % 4);
		break;
	case 12:
		xdrv_dma_sync_for_cpu(h, a, small, 2);
		break;
	case 13:
		xdrv_dma_alloc_coherent(h, small, &bus);
		break;
	case 14:
		xdrv_dma_free_coherent(h, (void *)(uintptr_t)a, small, a);
		break;
	case 15: {
		size_t n = in_len < sizeof scratch - 1 ? in_len : sizeof scratch - 1;
		memcpy(scratch, in, n);
		scratch[n] = 0;
		xdrv_log((uint32_t)a % 6, (const char *)scratch);
		break;
	}
	case 16: {
		xdrv_netdev_t *nd =
			xdrv_net_register(d, &net_ops, (const uint8_t *)"\2\0\0\0\0\1", NULL);
		keep(nd);
		if (nd)
			xdrv_net_napi_schedule(nd); /* the ops run again in its poll */
		break;
	}
	case 17:
		keep(xdrv_pkt_alloc(h, small));
		break;
	case 18:
		xdrv_pkt_len(h);
		xdrv_pkt_frag(h, (uint32_t)a % 20, &fl);
		xdrv_pkt_set_len(h, small);
		break;
	case 19:
		xdrv_pkt_free(h);
		break;
	case 20:
		xdrv_net_rx(handles[r[1] % NH], h, 0);
		break;
	case 21:
		keep(xdrv_blk_register(d, &blk_ops, "fz", 512, small + 1, NULL));
		break;
	case 22:
		keep(xdrv_scsi_register(d, &scsi_ops, 1, 0, 1, NULL));
		break;
	case 23:
		xdrv_blk_complete(h, (const void *)(uintptr_t)a, 0);
		xdrv_scsi_complete(h, (const void *)(uintptr_t)a, 0, 2, scratch, 200, 0);
		xdrv_net_tx_complete(h, pick(r[1] ^ 0x55, a), 0);
		break;
	/* ABI 1.1 receive buffer pools */
	case 24:
		keep(xdrv_rxpool_create(h, (uint32_t)(a >> 16) % 300, small % 4200));
		break;
	case 25: {
		uint8_t *b = xdrv_rxpool_buf(h, (uint32_t)(a >> 16) % 300, &bus);
		if (b)
			b[small % 64] = (uint8_t)a; /* the driver's own buffer: writable */
		break;
	}
	case 26: {
		struct xdrv_rx_frame fr[4];
		for (uint32_t i = 0; i < 4; i++)
			fr[i] = (struct xdrv_rx_frame){.buf = (uint32_t)(a >> (8 * i)) % 300,
						       .len = (small >> i) % 4300,
						       .csum_flags = (uint32_t)a,
						       .reserved = (uint32_t)(a >> 40) & (i == 3)};
		xdrv_rxpool_deliver(h, (a >> 62) ? fr : NULL, (uint32_t)(a >> 56) % 5);
		break;
	}
	case 27:
		xdrv_rxpool_destroy(h);
		break;
	}
}

static xdrv_device_t *fz_dev;
static int replayed;

/* Once per input, the ops again from the first poll: there the host has a receive callback. */
static int32_t fz_poll(xdrv_netdev_t *nd, uint32_t budget)
{
	(void)nd;
	(void)budget;
	if (replayed++)
		return 0;
	for (size_t off = 0; off + REC <= in_len; off += REC)
		run_op(fz_dev, in + off);
	return 0;
}

static int32_t fz_probe(xdrv_device_t *d)
{
	fz_dev = d;
	replayed = 0;
	nh = 0;
	memset(bufs, 0, sizeof bufs);
	memset(buf_mapped, 0, sizeof buf_mapped);
	keep(d);
	for (size_t off = 0; off + REC <= in_len; off += REC)
		run_op(d, in + off);
	return in_len % 7 == 3 ? XDRV_EIO : XDRV_OK; /* sometimes fail, to release on that path */
}

static const struct xdrv_match fz_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,testdev"},
	{.bus = 0},
};

static const struct xdrv_driver fz_driver = {
	.magic = XDRV_DRIVER_MAGIC,
	.abi_version = XDRV_ABI_VERSION,
	.struct_size = sizeof(struct xdrv_driver),
	.name = "fuzz",
	.version = "1.0.0",
	.match = fz_match,
	.probe = fz_probe,
};

static void quiet(void *ctx, const char *driver, uint32_t level, const char *msg)
{
	(void)ctx;
	(void)driver;
	(void)level;
	(void)msg;
}

/* The host reads every byte it is handed, so the sanitizers see a frame out of bounds. */
static volatile uint32_t rx_sum;
static void on_rx_batch(void *ctx, const struct ldr_net_frame *f, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < f[i].len; j++)
			rx_sum += f[i].data[j];
}

static void quiet_hvb(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!be) {
		ldr_runtime_set_log(quiet, NULL);
		hvb_set_log(quiet_hvb, NULL);
		if (hvb_backend_create("native", NULL, &be, NULL) ||
		    hvb_device_create(be, "testdev", NULL, &dev, NULL))
			abort(); /* the harness itself is broken */
	}
	in = data;
	in_len = size;
	struct ldr_driver *drv = NULL;
	if (ldr_driver_bind(&fz_driver, dev, NULL, &drv, NULL) == 0) {
		/* what probe delivered went nowhere (no netdev had a callback yet); from here on
		 * the host reads every frame */
		for (uint32_t i = 0; i < 4; i++)
			ldr_net_set_rx_batch(ldr_driver_netdev(drv, i), on_rx_batch, NULL);
		/* raise both lines, let dispatch deliver to whatever handlers were installed */
		hvb_reg_write(dev, 0, 0x800, 4, 3);
		for (int i = 0; i < 4; i++)
			ldr_driver_dispatch(drv);
		hvb_reg_write(dev, 0, 0x800, 4, 0);
		struct ldr_netdev *nd = ldr_driver_netdev(drv, 0);
		if (nd && size && ldr_net_open(nd, NULL) == 0)
			ldr_net_xmit(nd, data, size ? size : 1, 0, 0, 0);
		ldr_driver_unbind(drv);
	}
	if (hvb_dma_mapping_count(dev) != 0)
		abort(); /* unbind must have released every mapping */
	return 0;
}
