// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the virtio_scsi sample driver against a hostile device. The driver's C
 * source is compiled natively into this harness, which implements the ABI functions it imports
 * itself: a fake virtio-mmio SCSI host whose identity, features, configuration space, queue
 * size, and every answer (used-ring ids and lengths, virtio response, SCSI status, sense data,
 * INQUIRY / REPORT LUNS / READ CAPACITY data) come from the input. Bus addresses are host
 * pointers; the fake device writes only inside the descriptors the driver built. After probe it
 * submits block and SCSI requests, runs the interrupt handler and the polls, then removes the
 * driver. Besides sanitizer reports it checks: every request the driver accepted is completed
 * exactly once (at the latest at remove), and remove leaves no memory, DMA buffer, mapping or
 * interrupt handler behind.
 */
#include "../../sample-drivers/virtio_scsi/disk.c"
#include "../../sample-drivers/virtio_scsi/params.c"
#include "../../sample-drivers/virtio_scsi/virtio_scsi.c"
#include "../../sample-drivers/virtio_scsi/virtqueue.c"

#include <stdio.h>
#include <stdlib.h>

/* ---- the input ------------------------------------------------------------------------------ */

static const uint8_t *in;
static size_t in_len, in_pos;

static uint8_t take(void)
{
	return in_pos < in_len ? in[in_pos++] : 0;
}

static uint32_t take32(void)
{
	uint32_t v = take();
	v |= (uint32_t)take() << 8;
	v |= (uint32_t)take() << 16;
	return v | (uint32_t)take() << 24;
}

/* ---- bookkeeping the checks use ---------------------------------------------------------------
 */

static long mem_live, coherent_live, maps_live, irq_live;
static uint64_t now_ns;
static xdrv_irq_handler_t irq_fn;
static void *irq_ctx, *dev_priv;
static int dev_obj, region_obj, blk_obj[VS_MAX_DISKS], host_obj;
static const struct xdrv_blk_ops *blk_ops;
static void *blk_privs[VS_MAX_DISKS];
static uint32_t nblk, host_registered;
static void *host_priv;
static const struct xdrv_scsi_ops *host_ops;

#define MAX_REQS 16
static struct xdrv_blk_req breqs[MAX_REQS];
static int breq_state[MAX_REQS]; /* 0 unused, 1 outstanding, 2 completed */
static struct xdrv_scsi_cmd scmds[MAX_REQS];
static int scmd_state[MAX_REQS];
static uint8_t databuf[MAX_REQS][4096];

static void die(const char *why)
{
	fprintf(stderr, "fuzz_virtio_scsi_driver: %s\n", why);
	abort();
}

/* ---- the fake device ---------------------------------------------------------------------------
 */

static struct {
	uint32_t flags; /* from the first input byte: which identity checks fail */
	uint32_t status, feat_sel, queue_sel, qnum, int_status;
	uint64_t desc, avail, used;
	uint16_t last_avail, used_idx;
} fd;

static void process_queue(void)
{
	if (!fd.desc || !fd.avail || !fd.used || !fd.qnum)
		return;
	const uint8_t *avail = (const uint8_t *)(uintptr_t)fd.avail;
	uint8_t *used = (uint8_t *)(uintptr_t)fd.used;
	const uint8_t *desc = (const uint8_t *)(uintptr_t)fd.desc;
	for (uint32_t n = 0; fd.last_avail != xdrv_get_le16(avail + 2) && n < fd.qnum; n++) {
		uint16_t head = xdrv_get_le16(avail + 4 + 2u * (fd.last_avail % fd.qnum));
		fd.last_avail++;
		uint8_t mode = take();
		if (mode == 0xff)
			continue; /* never answered */
		uint32_t written = 0, writable = 0;
		for (uint32_t i = head, hops = 0; i < fd.qnum && hops < fd.qnum; hops++) {
			const uint8_t *d = desc + 16u * i;
			uint8_t *addr = (uint8_t *)(uintptr_t)xdrv_get_le64(d);
			uint32_t len = xdrv_get_le32(d + 8);
			uint16_t flags = xdrv_get_le16(d + 12);
			if (flags & VQ_DESC_WRITE) {
				if (writable++ == 0 && len >= 12) { /* virtio_scsi_cmd_resp */
					memset(addr, 0, len);
					xdrv_put_le32(addr, take() & 0x7f);
					xdrv_put_le32(addr + 4, take32() & (mode & 1 ? ~0u : 0));
					static const uint8_t st[] = {0, 2, 8, 0x28, 0x18, 0x42};
					addr[10] = st[take() % sizeof st];
					addr[11] = mode & 2 ? take() % 14 : 0;
					for (uint32_t k = 12; k < len && k < 12 + 20; k++)
						addr[k] = take();
				} else {
					memset(addr, 0, len);
					for (uint32_t k = 0; k < len && k < 24; k++)
						addr[k] = take();
				}
				written += len;
			}
			if (!(flags & VQ_DESC_NEXT))
				break;
			i = xdrv_get_le16(d + 14);
		}
		uint16_t slot = fd.used_idx % fd.qnum;
		xdrv_put_le32(used + 4 + 8u * slot, mode & 4 ? take() : head);
		xdrv_put_le32(used + 8 + 8u * slot, mode & 8 ? take32() : written);
		fd.used_idx++;
		if (mode & 0x10 && mode & 0x20)
			fd.used_idx += take() % 4; /* runs ahead */
		xdrv_put_le16(used + 2, fd.used_idx);
		fd.int_status |= 1;
	}
}

static uint32_t fake_read(uint64_t off)
{
	switch (off) {
	case VM_MAGIC:
		return fd.flags & 1 ? 0x12345678 : VM_MAGIC_VALUE;
	case VM_VERSION:
		return fd.flags & 2 ? 1 : 2;
	case VM_DEVICE_ID:
		return fd.flags & 4 ? 2 : VIRTIO_ID_SCSI;
	case VM_DEV_FEAT:
		return fd.feat_sel == 1 ? (fd.flags & 8 ? 0 : 1) : take32();
	case VM_STATUS: {
		uint32_t s = fd.status;
		if (fd.flags & 0x10)
			s &= ~ST_FEATURES_OK;
		if (fd.flags & 0x40 && fd.used_idx >= 8 + (fd.flags & 0x3f))
			s |= ST_NEEDS_RESET; /* the device gives up after a few requests */
		return s;
	}
	case VM_QUEUE_NUM_MAX:
		return fd.flags & 0x20 ? 0 : 1u + take() % 64;
	case VM_QUEUE_READY:
		return 0;
	case VM_INT_STATUS:
		return fd.int_status | (fd.flags & 0x40 && fd.used_idx >= 8 ? 2u : 0u);
	case VM_CONFIG_GEN:
		return 0;
	case VM_CONFIG + CFG_NUM_QUEUES:
		return take() % 3;
	case VM_CONFIG + CFG_MAX_SECTORS:
		return take() % 4 == 0 ? take32() : 1u + take() % 64;
	case VM_CONFIG + CFG_SENSE_SIZE:
		return take() % 4 == 0 ? take() : 96;
	case VM_CONFIG + CFG_CDB_SIZE:
		return take() % 4 == 0 ? take() : 32;
	case VM_CONFIG + CFG_MAX_LUN:
		return take() % 4 == 0 ? take32() : take() % 4;
	default:
		return 0;
	}
}

static void fake_write(uint64_t off, uint32_t v)
{
	switch (off) {
	case VM_DEV_FEAT_SEL:
		fd.feat_sel = v;
		break;
	case VM_STATUS:
		fd.status = v;
		if (v == 0) {
			fd.qnum = 0;
			fd.desc = fd.avail = fd.used = 0;
			fd.last_avail = fd.used_idx = 0;
			fd.int_status = 0;
		}
		break;
	case VM_QUEUE_SEL:
		fd.queue_sel = v;
		break;
	case VM_QUEUE_NUM:
		fd.qnum = v;
		break;
	case VM_QUEUE_DESC:
		fd.desc = (fd.desc & ~0xffffffffull) | v;
		break;
	case VM_QUEUE_DESC + 4:
		fd.desc = (fd.desc & 0xffffffffull) | (uint64_t)v << 32;
		break;
	case VM_QUEUE_DRIVER:
		fd.avail = (fd.avail & ~0xffffffffull) | v;
		break;
	case VM_QUEUE_DRIVER + 4:
		fd.avail = (fd.avail & 0xffffffffull) | (uint64_t)v << 32;
		break;
	case VM_QUEUE_DEVICE:
		fd.used = (fd.used & ~0xffffffffull) | v;
		break;
	case VM_QUEUE_DEVICE + 4:
		fd.used = (fd.used & 0xffffffffull) | (uint64_t)v << 32;
		break;
	case VM_INT_ACK:
		fd.int_status &= ~v;
		break;
	case VM_QUEUE_NOTIFY:
		if (fd.status & ST_DRIVER_OK)
			process_queue();
		break;
	default:
		break;
	}
}

/* ---- the ABI, as far as the driver imports it -------------------------------------------------
 */

void xdrv_log(uint32_t level, const char *msg)
{
	(void)level;
	(void)msg;
}
void *xdrv_mem_alloc(uint64_t size)
{
	void *p = size ? calloc(1, size) : NULL;
	mem_live += p != NULL;
	return p;
}
void xdrv_mem_free(void *p)
{
	mem_live -= p != NULL;
	free(p);
}
uint64_t xdrv_time_ns(void)
{
	return now_ns += 1000;
}
void xdrv_delay_us(uint32_t us)
{
	now_ns += (uint64_t)(us < 1000 ? 1000 : us) * 1000u;
}
xdrv_region_t *xdrv_dev_region(xdrv_device_t *dev, uint32_t index)
{
	return dev == (void *)&dev_obj && index == 0 ? (xdrv_region_t *)&region_obj : NULL;
}
uint64_t xdrv_region_size(xdrv_region_t *region)
{
	return region ? 0x200 : 0;
}
uint32_t xdrv_region_kind(xdrv_region_t *region)
{
	return region ? XDRV_REGION_MMIO : XDRV_REGION_NONE;
}
void xdrv_dev_set_priv(xdrv_device_t *dev, void *priv)
{
	(void)dev;
	dev_priv = priv;
}
void *xdrv_dev_priv(xdrv_device_t *dev)
{
	(void)dev;
	return dev_priv;
}
uint16_t xdrv_io_read16(xdrv_region_t *region, uint64_t offset)
{
	(void)region;
	return (uint16_t)fake_read(offset);
}
uint32_t xdrv_io_read32(xdrv_region_t *region, uint64_t offset)
{
	(void)region;
	return fake_read(offset);
}
void xdrv_io_write32(xdrv_region_t *region, uint64_t offset, uint32_t value)
{
	(void)region;
	fake_write(offset, value);
}
int32_t xdrv_irq_request(xdrv_device_t *dev, uint32_t index, xdrv_irq_handler_t handler, void *ctx)
{
	(void)dev;
	if (index != 0 || irq_fn)
		return XDRV_EBUSY;
	irq_fn = handler;
	irq_ctx = ctx;
	irq_live++;
	return XDRV_OK;
}
void xdrv_irq_free(xdrv_device_t *dev, uint32_t index)
{
	(void)dev;
	(void)index;
	irq_fn = NULL;
	irq_live--;
}
void *xdrv_dma_alloc_coherent(xdrv_device_t *dev, uint64_t size, uint64_t *bus_addr)
{
	(void)dev;
	if (!bus_addr)
		return NULL; /* as the real runtime answers */
	void *p = size && size < (64u << 20) ? calloc(1, size) : NULL;
	*bus_addr = (uint64_t)(uintptr_t)p;
	coherent_live += p != NULL;
	return p;
}
void xdrv_dma_free_coherent(xdrv_device_t *dev, void *cpu_addr, uint64_t size, uint64_t bus_addr)
{
	(void)dev;
	(void)size;
	if ((uint64_t)(uintptr_t)cpu_addr != bus_addr)
		die("coherent buffer freed with another bus address");
	coherent_live--;
	free(cpu_addr);
}
int32_t xdrv_dma_map(xdrv_device_t *dev, void *buf, uint64_t len, uint32_t dir, uint64_t *bus_addr)
{
	(void)dev;
	(void)dir;
	if (!buf || !len)
		return XDRV_EINVAL;
	*bus_addr = (uint64_t)(uintptr_t)buf;
	maps_live++;
	return XDRV_OK;
}
void xdrv_dma_unmap(xdrv_device_t *dev, uint64_t bus_addr, uint64_t len, uint32_t dir)
{
	(void)dev;
	(void)bus_addr;
	(void)len;
	(void)dir;
	if (--maps_live < 0)
		die("more unmaps than maps");
}
xdrv_blkdev_t *xdrv_blk_register(xdrv_device_t *dev, const struct xdrv_blk_ops *ops,
				 const char *name, uint32_t block_size, uint64_t num_blocks,
				 void *priv)
{
	(void)dev;
	(void)name;
	if (nblk == VS_MAX_DISKS || block_size < 512 || !num_blocks)
		return NULL;
	blk_ops = ops;
	blk_privs[nblk] = priv;
	return (xdrv_blkdev_t *)&blk_obj[nblk++];
}
void xdrv_blk_unregister(xdrv_blkdev_t *blk)
{
	(void)blk;
}
void *xdrv_blk_priv(xdrv_blkdev_t *blk)
{
	for (uint32_t i = 0; i < nblk; i++)
		if (blk == (void *)&blk_obj[i])
			return blk_privs[i];
	return NULL;
}
void xdrv_blk_complete(xdrv_blkdev_t *blk, const struct xdrv_blk_req *req, int32_t status)
{
	(void)blk;
	(void)status;
	long i = req - breqs;
	if (i < 0 || i >= MAX_REQS || breq_state[i] != 1)
		die("block request completed that is not outstanding");
	breq_state[i] = 2;
}
xdrv_scsi_host_t *xdrv_scsi_register(xdrv_device_t *dev, const struct xdrv_scsi_ops *ops,
				     uint32_t max_target, uint32_t max_lun, uint32_t can_queue,
				     void *priv)
{
	(void)dev;
	(void)max_target;
	(void)max_lun;
	(void)can_queue;
	host_ops = ops;
	host_priv = priv;
	host_registered = 1;
	return (xdrv_scsi_host_t *)&host_obj;
}
void xdrv_scsi_unregister(xdrv_scsi_host_t *host)
{
	(void)host;
	host_registered = 0;
}
void *xdrv_scsi_priv(xdrv_scsi_host_t *host)
{
	return host == (void *)&host_obj ? host_priv : NULL;
}
void xdrv_scsi_complete(xdrv_scsi_host_t *host, const struct xdrv_scsi_cmd *cmd,
			uint32_t host_status, uint32_t scsi_status, const uint8_t *sense,
			uint32_t sense_len, uint64_t resid)
{
	(void)host;
	(void)host_status;
	(void)scsi_status;
	(void)resid;
	if (sense_len > XDRV_SCSI_SENSE_MAX || (sense_len && !sense))
		die("sense data longer than the ABI allows");
	long i = cmd - scmds;
	if (i < 0 || i >= MAX_REQS || scmd_state[i] != 1)
		die("SCSI command completed that is not outstanding");
	scmd_state[i] = 2;
}

/* ---- one run ------------------------------------------------------------------------------ */

static void reset_harness(const uint8_t *data, size_t size)
{
	in = data;
	in_len = size;
	in_pos = 0;
	memset(&fd, 0, sizeof fd);
	fd.flags = take();
	if (fd.flags & 0x80)
		fd.flags &= 0xc0; /* mostly a well-identified device, to get past probe */
	mem_live = coherent_live = maps_live = irq_live = 0;
	irq_fn = NULL;
	dev_priv = NULL;
	nblk = 0;
	host_registered = 0;
	memset(breq_state, 0, sizeof breq_state);
	memset(scmd_state, 0, sizeof scmd_state);
}

static void exercise(void)
{
	for (uint32_t r = 0; r < MAX_REQS && in_pos < in_len; r++) {
		uint8_t what = take();
		if (what % 3 == 0 && nblk) {
			xdrv_blkdev_t *blk = (xdrv_blkdev_t *)&blk_obj[take() % nblk];
			struct vs_disk *d = xdrv_blk_priv(blk);
			struct xdrv_blk_req *q = &breqs[r];
			memset(q, 0, sizeof *q);
			q->tag = r;
			q->op = 1 + take() % 3;
			if (q->op != XDRV_BLK_FLUSH) {
				q->count =
					1 + (uint32_t)(4096 / d->block_size > 1 ? take() % 4 : 0);
				if ((uint64_t)q->count * d->block_size > sizeof databuf[r])
					q->count = 1;
				q->lba = d->blocks > q->count ? take32() % (d->blocks - q->count)
							      : 0;
				q->data = databuf[r];
				q->data_len = (uint64_t)q->count * d->block_size;
				if (q->data_len > sizeof databuf[r])
					continue;
			}
			breq_state[r] = 1;
			if (blk_ops->submit(blk, q) != XDRV_OK)
				breq_state[r] = 0;
		} else if (what % 3 == 1 && host_registered) {
			struct xdrv_scsi_cmd *c = &scmds[r];
			memset(c, 0, sizeof *c);
			c->tag = r;
			c->target = take() % 2;
			c->lun = take();
			c->cdb_len = (uint8_t)(1 + take() % 16);
			for (uint32_t i = 0; i < c->cdb_len; i++)
				c->cdb[i] = take();
			c->dir = take() % 3;
			c->data = c->dir ? databuf[r] : NULL;
			c->data_len = c->dir ? 1 + take() % sizeof databuf[r] : 0;
			scmd_state[r] = 1;
			if (host_ops->queuecommand((xdrv_scsi_host_t *)&host_obj, c) != XDRV_OK)
				scmd_state[r] = 0;
		}
		if (irq_fn && take() % 2)
			irq_fn(irq_ctx);
		if (what & 0x80 && nblk && blk_ops->poll)
			blk_ops->poll((xdrv_blkdev_t *)&blk_obj[0]);
		if (what == 0x7f && host_registered)
			host_ops->reset((xdrv_scsi_host_t *)&host_obj);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reset_harness(data, size);
	if (xdrv_driver.probe((xdrv_device_t *)&dev_obj) != XDRV_OK) {
		if (mem_live || coherent_live || maps_live || irq_live)
			die("failed probe left resources behind");
		return 0;
	}
	exercise();
	xdrv_driver.remove((xdrv_device_t *)&dev_obj);
	for (int i = 0; i < MAX_REQS; i++)
		if (breq_state[i] == 1 || scmd_state[i] == 1)
			die("an accepted request was never completed");
	if (mem_live || coherent_live || maps_live || irq_live)
		die("remove left resources behind");
	return 0;
}
