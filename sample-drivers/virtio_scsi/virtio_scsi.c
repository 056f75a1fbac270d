// SPDX-License-Identifier: MIT
/*
 * virtio_scsi: a driver for a virtio-scsi host adapter on virtio-mmio version 2 (platform device
 * "virtio,mmio"), written against the xdrv driver ABI only. probe checks the register window
 * (magic, version 2, device id 8), resets the device, negotiates VIRTIO_F_VERSION_1, sets up the
 * first request queue (`queue_size` entries, coherent DMA) and its interrupt, then scans:
 * INQUIRY on LUN 0 of each target, REPORT LUNS (or INQUIRY per LUN up to `scan_luns` when the
 * target does not answer it), and for every direct-access unit TEST UNIT READY (clearing the
 * UNIT ATTENTION a reset leaves) and READ CAPACITY(16), falling back to (10). Each disk becomes
 * a block device sda, sdb, ...; the adapter is also registered as a SCSI host for raw commands.
 * The interrupt handler acknowledges InterruptStatus and completes requests from the used ring;
 * a device that reports NEEDS_RESET has its outstanding requests failed and is re-initialized.
 * The scan's commands run before interrupts are delivered, so probe polls the used ring for
 * them, bounded by `cmd_timeout_ms`. remove resets the device and releases everything.
 *
 * Files: virtqueue.c (transport and ring), disk.c (block and SCSI classes, sense handling),
 * params.c (parameters), this file (probe, scan, interrupt, remove).
 */
#include "vs.h"

#define TUR_TRIES 5u

/* Run one command of the driver's own, data in vs->scratch, and wait for it by polling. */
int32_t vs_exec_sync(struct vs *vs, uint32_t target, uint32_t lun, const uint8_t *cdb,
		     uint32_t cdb_len, uint32_t dir, uint32_t len, struct vs_result *r)
{
	if (vs->broken)
		return XDRV_EIO;
	struct vs_slot *s = vs_slot_get(vs);
	if (!s)
		return XDRV_EBUSY;
	memset(vs->scratch, 0, VS_SCRATCH);
	vs_slot_start(vs, s, target, lun, cdb, cdb_len, dir, vs->scratch_bus,
		      len < VS_SCRATCH ? len : VS_SCRATCH);
	uint64_t end = xdrv_time_ns() + (uint64_t)xdrv_param_cmd_timeout_ms * 1000000u;
	for (;;) {
		uint32_t is = xdrv_io_read32(vs->regs, VM_INT_STATUS);
		if (is)
			xdrv_io_write32(vs->regs, VM_INT_ACK, is);
		vs_reap(vs, vs_complete_slot);
		if (s->done)
			break;
		if (vs_device_status(vs) & ST_NEEDS_RESET) {
			xdrv_log(XDRV_LOG_ERROR,
				 "virtio_scsi: device needs a reset during the scan");
			vs->broken = 1;
			return XDRV_EIO;
		}
		if (xdrv_time_ns() > end) {
			struct xdrv_msg m;
			xdrv_msg_init(&m);
			xdrv_msg_str(&m, "virtio_scsi: command ");
			xdrv_msg_hex(&m, cdb[0], 2);
			xdrv_msg_str(&m, " to target ");
			xdrv_msg_u64(&m, target);
			xdrv_msg_str(&m, " lun ");
			xdrv_msg_u64(&m, lun);
			xdrv_msg_str(&m, ": no answer within cmd_timeout_ms");
			xdrv_msg_log(&m, XDRV_LOG_ERROR);
			vs->broken = 1; /* the slot stays owned by the device */
			return XDRV_ETIMEDOUT;
		}
		xdrv_delay_us(20);
	}
	vs_result_read(vs, s, r);
	vs_slot_put(vs, s);
	return XDRV_OK;
}

static int good(const struct vs_result *r)
{
	return r->response == VS_RESP_OK && r->status == SCSI_GOOD;
}

static int32_t inquiry(struct vs *vs, uint32_t t, uint32_t l, struct vs_result *r)
{
	uint8_t cdb[6] = {SCSI_INQUIRY, 0, 0, 0, 96, 0};
	return vs_exec_sync(vs, t, l, cdb, sizeof cdb, XDRV_SCSI_DIR_FROM_DEVICE, 96, r);
}

static void unit_name(char *who, uint32_t cap, uint32_t t, uint32_t l)
{
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "target ");
	xdrv_msg_u64(&m, t);
	xdrv_msg_str(&m, " lun ");
	xdrv_msg_u64(&m, l);
	uint32_t n = m.len < cap - 1 ? m.len : cap - 1;
	memcpy(who, m.buf, n);
	who[n] = 0;
}

/* TEST UNIT READY until it is good; UNIT ATTENTION and NOT READY are retried. */
static int unit_ready(struct vs *vs, uint32_t t, uint32_t l, const char *who)
{
	uint8_t cdb[6] = {SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0};
	struct vs_result r;
	for (uint32_t i = 0; i < TUR_TRIES; i++) {
		if (vs_exec_sync(vs, t, l, cdb, sizeof cdb, XDRV_SCSI_DIR_NONE, 0, &r) != XDRV_OK)
			return 0;
		if (good(&r))
			return 1;
		vs_log_result(who, "TEST UNIT READY", &r, XDRV_LOG_DEBUG);
		if (r.response != VS_RESP_OK || r.status != SCSI_CHECK_CONDITION ||
		    (r.key != SK_UNIT_ATTENTION && r.key != SK_NOT_READY))
			break;
		if (r.key == SK_NOT_READY)
			xdrv_delay_us(10000);
	}
	vs_log_result(who, "not ready (TEST UNIT READY)", &r, XDRV_LOG_WARN);
	return 0;
}

/* READ CAPACITY(16), or (10) if the unit does not know it. */
static int capacity(struct vs *vs, uint32_t t, uint32_t l, const char *who, uint64_t *blocks,
		    uint32_t *bs)
{
	uint8_t c16[16] = {SCSI_SAI16, 0x10};
	xdrv_put_be32(c16 + 10, 32);
	struct vs_result r;
	uint64_t last;
	if (vs_exec_sync(vs, t, l, c16, sizeof c16, XDRV_SCSI_DIR_FROM_DEVICE, 32, &r) != XDRV_OK)
		return 0;
	if (good(&r)) {
		last = xdrv_get_be64(vs->scratch);
		*bs = xdrv_get_be32(vs->scratch + 8);
	} else {
		vs_log_result(who, "READ CAPACITY(16), trying (10)", &r, XDRV_LOG_DEBUG);
		uint8_t c10[10] = {SCSI_READ_CAP10};
		if (vs_exec_sync(vs, t, l, c10, sizeof c10, XDRV_SCSI_DIR_FROM_DEVICE, 8, &r) !=
		    XDRV_OK)
			return 0;
		if (!good(&r)) {
			vs_log_result(who, "READ CAPACITY(10)", &r, XDRV_LOG_WARN);
			return 0;
		}
		last = xdrv_get_be32(vs->scratch);
		*bs = xdrv_get_be32(vs->scratch + 4);
		if (last == 0xffffffffull) {
			xdrv_log(XDRV_LOG_WARN, "virtio_scsi: disk larger than READ CAPACITY(10) "
						"reports, and (16) failed; skipped");
			return 0;
		}
	}
	if (*bs < 512 || *bs > 65536 || (*bs & (*bs - 1)) || last == ~0ull) {
		struct xdrv_msg m;
		xdrv_msg_init(&m);
		xdrv_msg_str(&m, "virtio_scsi: ");
		xdrv_msg_str(&m, who);
		xdrv_msg_str(&m, ": unusable capacity (block size ");
		xdrv_msg_u64(&m, *bs);
		xdrv_msg_str(&m, "); skipped");
		xdrv_msg_log(&m, XDRV_LOG_WARN);
		return 0;
	}
	*blocks = last + 1;
	return 1;
}

static void probe_lun(struct vs *vs, uint32_t t, uint32_t l)
{
	char who[40];
	unit_name(who, sizeof who, t, l);
	struct vs_result r;
	if (inquiry(vs, t, l, &r) != XDRV_OK || !good(&r))
		return;
	uint8_t pq = vs->scratch[0] >> 5, type = vs->scratch[0] & 0x1f;
	if (pq != 0)
		return; /* no unit here */
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "virtio_scsi: ");
	xdrv_msg_str(&m, who);
	xdrv_msg_str(&m, ": \"");
	for (uint32_t i = 8; i < 32; i++)
		xdrv_msg_chr(&m, vs->scratch[i] >= 0x20 && vs->scratch[i] < 0x7f
					 ? (char)vs->scratch[i]
					 : '.');
	xdrv_msg_str(&m, "\", peripheral type ");
	xdrv_msg_hex(&m, type, 2);
	if (type != 0) {
		xdrv_msg_str(&m, ": not a disk, reachable through the SCSI host only");
		xdrv_msg_log(&m, XDRV_LOG_INFO);
		return;
	}
	xdrv_msg_log(&m, XDRV_LOG_INFO);
	if (vs->ndisks == VS_MAX_DISKS) {
		xdrv_log(XDRV_LOG_WARN, "virtio_scsi: more disks than block devices; rest skipped");
		return;
	}
	if (!unit_ready(vs, t, l, who))
		return;
	uint64_t blocks;
	uint32_t bs;
	if (!capacity(vs, t, l, who, &blocks, &bs))
		return;
	struct vs_disk *d = &vs->disks[vs->ndisks++];
	d->vs = vs;
	d->target = t;
	d->lun = l;
	d->block_size = bs;
	d->blocks = blocks;
	d->use16 = blocks > 0xffffffffull;
}

/* LUNs from REPORT LUNS (single-level peripheral or flat addresses); 0 if it failed. */
static uint32_t report_luns(struct vs *vs, uint32_t t, uint16_t *luns, uint32_t cap)
{
	uint8_t cdb[12] = {SCSI_REPORT_LUNS};
	xdrv_put_be32(cdb + 6, VS_SCRATCH);
	struct vs_result r;
	if (vs_exec_sync(vs, t, 0, cdb, sizeof cdb, XDRV_SCSI_DIR_FROM_DEVICE, VS_SCRATCH, &r) !=
		    XDRV_OK ||
	    !good(&r))
		return 0;
	uint32_t len = xdrv_get_be32(vs->scratch);
	uint32_t entries = len / 8, n = 0;
	if (entries > (VS_SCRATCH - 8) / 8)
		entries = (VS_SCRATCH - 8) / 8;
	for (uint32_t i = 0; i < entries && n < cap; i++) {
		const uint8_t *e = vs->scratch + 8 + 8ull * i;
		uint32_t method = e[0] >> 6, lun;
		if (method == 0 && (e[0] & 0x3f) == 0)
			lun = e[1];
		else if (method == 1)
			lun = (uint32_t)(e[0] & 0x3f) << 8 | e[1];
		else
			continue;
		if (lun <= vs->max_lun)
			luns[n++] = (uint16_t)lun;
	}
	return n;
}

static void scan(struct vs *vs)
{
	uint32_t tmax = vs->max_target;
	if (tmax > xdrv_param_scan_targets - 1)
		tmax = xdrv_param_scan_targets - 1;
	for (uint32_t t = 0; t <= tmax && !vs->broken; t++) {
		struct vs_result r;
		if (inquiry(vs, t, 0, &r) != XDRV_OK || r.response == VS_RESP_BAD_TARGET)
			continue;
		uint16_t luns[64];
		uint32_t n = report_luns(vs, t, luns, 64);
		if (n) {
			if (n > xdrv_param_scan_luns)
				n = xdrv_param_scan_luns;
			for (uint32_t i = 0; i < n && !vs->broken; i++)
				probe_lun(vs, t, luns[i]);
		} else {
			uint32_t lmax = vs->max_lun < xdrv_param_scan_luns - 1
						? vs->max_lun
						: xdrv_param_scan_luns - 1;
			for (uint32_t l = 0; l <= lmax && !vs->broken; l++)
				probe_lun(vs, t, l);
		}
	}
}

static uint32_t vs_irq(void *ctx)
{
	struct vs *vs = ctx;
	uint32_t is = xdrv_io_read32(vs->regs, VM_INT_STATUS);
	if (!is)
		return XDRV_IRQ_NONE;
	xdrv_io_write32(vs->regs, VM_INT_ACK, is);
	vs->irqs++;
	if ((is & INT_CONFIG) && (vs_device_status(vs) & ST_NEEDS_RESET)) {
		xdrv_log(XDRV_LOG_ERROR, "virtio_scsi: device needs a reset; failing outstanding "
					 "requests and re-initializing");
		vs_transport_reset(vs);
		vs_fail_all(vs, XDRV_EIO, XDRV_SCSI_HOST_RESET);
		if (vs_transport_init(vs, vs->qsz) != XDRV_OK)
			vs->broken = 1;
		return XDRV_IRQ_HANDLED;
	}
	vs_reap(vs, vs_complete_slot);
	vs_backlog_kick(vs);
	return XDRV_IRQ_HANDLED;
}

static int32_t check_device(xdrv_region_t *regs)
{
	const char *why = NULL;
	if (!regs || xdrv_region_kind(regs) != XDRV_REGION_MMIO ||
	    xdrv_region_size(regs) < VM_CONFIG + 0x24)
		why = "region 0 is not a virtio-mmio window (MMIO, at least 0x124 bytes)";
	else if (xdrv_io_read32(regs, VM_MAGIC) != VM_MAGIC_VALUE)
		why = "no virtio-mmio magic value at region 0";
	else if (xdrv_io_read32(regs, VM_VERSION) != 2)
		why = "not virtio-mmio version 2 (legacy devices are not supported)";
	else if (xdrv_io_read32(regs, VM_DEVICE_ID) != VIRTIO_ID_SCSI)
		why = "virtio device is not a SCSI host (device id 8)";
	if (!why)
		return XDRV_OK;
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "virtio_scsi: ");
	xdrv_msg_str(&m, why);
	xdrv_msg_log(&m, XDRV_LOG_ERROR);
	return XDRV_ENODEV;
}

static void release(struct vs *vs)
{
	for (uint32_t i = 0; i < vs->ndisks; i++)
		if (vs->disks[i].blk)
			xdrv_blk_unregister(vs->disks[i].blk);
	if (vs->host)
		xdrv_scsi_unregister(vs->host);
	if (vs->irq_on)
		xdrv_irq_free(vs->dev, 0);
	if (vs->scratch)
		xdrv_dma_free_coherent(vs->dev, vs->scratch, VS_SCRATCH, vs->scratch_bus);
	vs_ring_free(vs);
	xdrv_mem_free(vs);
}

static void log_probe(const struct vs *vs)
{
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "virtio_scsi: virtio-mmio v2 SCSI host, request queue of ");
	xdrv_msg_u64(&m, vs->qsz);
	xdrv_msg_str(&m, " entries (");
	xdrv_msg_u64(&m, vs->nslots);
	xdrv_msg_str(&m, " commands in flight), max_sectors ");
	xdrv_msg_u64(&m, vs->max_sectors);
	xdrv_msg_str(&m, ", ");
	xdrv_msg_u64(&m, vs->ndisks);
	xdrv_msg_str(&m, vs->ndisks == 1 ? " disk" : " disks");
	xdrv_msg_log(&m, XDRV_LOG_INFO);
}

static int32_t vs_probe(xdrv_device_t *dev)
{
	xdrv_region_t *regs = xdrv_dev_region(dev, 0);
	int32_t rc = check_device(regs);
	if (rc != XDRV_OK)
		return rc;
	struct vs *vs = xdrv_mem_alloc(sizeof *vs);
	if (!vs)
		return XDRV_ENOMEM;
	vs->dev = dev;
	vs->regs = regs;
	rc = vs_transport_init(vs, xdrv_param_queue_size);
	if (rc == XDRV_OK &&
	    !(vs->scratch = xdrv_dma_alloc_coherent(dev, VS_SCRATCH, &vs->scratch_bus)))
		rc = XDRV_ENOMEM;
	if (rc == XDRV_OK) {
		rc = xdrv_irq_request(dev, 0, vs_irq, vs);
		vs->irq_on = rc == XDRV_OK;
		if (rc != XDRV_OK)
			xdrv_log(XDRV_LOG_ERROR, "virtio_scsi: cannot request interrupt 0");
	}
	if (rc != XDRV_OK) {
		vs_transport_reset(vs);
		release(vs);
		return rc;
	}
	scan(vs);
	if (vs->broken) {
		vs_transport_reset(vs);
		release(vs);
		return XDRV_EIO;
	}
	vs_disks_register(vs);
	vs->host =
		xdrv_scsi_register(dev, &vs_scsi_ops, vs->max_target, vs->max_lun, vs->nslots, vs);
	if (!vs->host)
		xdrv_log(XDRV_LOG_WARN, "virtio_scsi: cannot register the SCSI host; block "
					"devices only");
	xdrv_dev_set_priv(dev, vs);
	log_probe(vs);
	return XDRV_OK;
}

static void vs_remove(xdrv_device_t *dev)
{
	struct vs *vs = xdrv_dev_priv(dev);
	if (!vs)
		return;
	vs_transport_reset(vs); /* the device stops touching memory before it is freed */
	vs_fail_all(vs, XDRV_ENODEV, XDRV_SCSI_HOST_ABORTED);
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "virtio_scsi: removed; ");
	xdrv_msg_u64(&m, vs->cmds);
	xdrv_msg_str(&m, " commands, ");
	xdrv_msg_u64(&m, vs->retries_done);
	xdrv_msg_str(&m, " retries, ");
	xdrv_msg_u64(&m, vs->irqs);
	xdrv_msg_str(&m, " interrupts");
	xdrv_msg_log(&m, XDRV_LOG_INFO);
	xdrv_dev_set_priv(dev, NULL);
	release(vs);
}

static const struct xdrv_match vs_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "virtio,mmio"},
	{.bus = 0},
};

static const struct xdrv_param vs_params[] = {
	XDRV_PARAM_ENTRY(XDRV_PARAM_U32, queue_size, 128, 4, 1024,
			 "request queue entries (rounded down to a power of 2)"),
	XDRV_PARAM_ENTRY(XDRV_PARAM_U32, scan_luns, 8, 1, 256, "LUNs probed per target"),
	XDRV_PARAM_ENTRY(XDRV_PARAM_U32, scan_targets, 8, 1, 256, "targets scanned"),
	XDRV_PARAM_ENTRY(XDRV_PARAM_U32, retries, 3, 0, 16,
			 "retries of a block command after UNIT ATTENTION, NOT READY or BUSY"),
	XDRV_PARAM_ENTRY(XDRV_PARAM_U32, cmd_timeout_ms, 5000, 10, 60000,
			 "wait for each scan command at probe"),
	XDRV_PARAM_END,
};

XDRV_DRIVER(.name = "virtio_scsi", .version = "1.0.0", .match = vs_match, .params = vs_params,
	    .probe = vs_probe, .remove = vs_remove);
