// SPDX-License-Identifier: MIT
/*
 * virtio_scsi driver: the transport. Device reset and initialization over virtio-mmio version 2
 * (status handshake, feature negotiation accepting only VERSION_1, configuration space read
 * under ConfigGeneration), and the first request queue as a split virtqueue in one coherent
 * buffer. Requests use fixed three-descriptor chains, one per slot: slot i owns descriptors
 * 3i..3i+2 and a 512-byte coherent header area (virtio_scsi_cmd_req at 0, virtio_scsi_cmd_resp
 * at 256). Completed chains come back through the used ring; an id the driver did not hand out
 * is logged and ignored, so a misbehaving device cannot make the driver touch a wrong slot.
 */
#include "vs.h"

#define RESET_WAIT_US 100000u

static uint32_t rd(struct vs *vs, uint32_t off)
{
	return xdrv_io_read32(vs->regs, off);
}

static void wr(struct vs *vs, uint32_t off, uint32_t v)
{
	xdrv_io_write32(vs->regs, off, v);
}

static void wr64(struct vs *vs, uint32_t off, uint64_t v)
{
	wr(vs, off, (uint32_t)v);
	wr(vs, off + 4, (uint32_t)(v >> 32));
}

static void fail(struct vs *vs, const char *why)
{
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "virtio_scsi: initialization failed: ");
	xdrv_msg_str(&m, why);
	xdrv_msg_log(&m, XDRV_LOG_ERROR);
	wr(vs, VM_STATUS, rd(vs, VM_STATUS) | ST_FAILED);
}

uint32_t vs_device_status(struct vs *vs)
{
	return rd(vs, VM_STATUS);
}

void vs_transport_reset(struct vs *vs)
{
	wr(vs, VM_STATUS, 0);
	for (uint32_t waited = 0; rd(vs, VM_STATUS) != 0 && waited < RESET_WAIT_US; waited += 10)
		xdrv_delay_us(10);
	vs->avail_idx = 0;
	vs->last_used = 0;
}

static void read_config(struct vs *vs)
{
	for (uint32_t tries = 0; tries < 8; tries++) {
		uint32_t gen = rd(vs, VM_CONFIG_GEN);
		vs->num_queues = xdrv_io_read32(vs->regs, VM_CONFIG + CFG_NUM_QUEUES);
		vs->seg_max = xdrv_io_read32(vs->regs, VM_CONFIG + CFG_SEG_MAX);
		vs->max_sectors = xdrv_io_read32(vs->regs, VM_CONFIG + CFG_MAX_SECTORS);
		vs->cmd_per_lun = xdrv_io_read32(vs->regs, VM_CONFIG + CFG_CMD_PER_LUN);
		vs->sense_size = xdrv_io_read32(vs->regs, VM_CONFIG + CFG_SENSE_SIZE);
		vs->cdb_size = xdrv_io_read32(vs->regs, VM_CONFIG + CFG_CDB_SIZE);
		vs->max_target = xdrv_io_read16(vs->regs, VM_CONFIG + CFG_MAX_TARGET);
		vs->max_lun = xdrv_io_read32(vs->regs, VM_CONFIG + CFG_MAX_LUN);
		if (rd(vs, VM_CONFIG_GEN) == gen)
			break;
	}
	if (vs->max_sectors == 0 || vs->max_sectors > 0xffffu * 128u)
		vs->max_sectors = 0xffff; /* no usable hint */
	if (vs->max_lun > 255)
		vs->max_lun = 255; /* the ABI's SCSI commands carry an 8-bit LUN */
}

int32_t vs_ring_alloc(struct vs *vs)
{
	uint32_t q = vs->qsz;
	uint64_t avail_off = 16ull * q;
	uint64_t used_off = (avail_off + 6 + 2ull * q + 63) & ~63ull;
	vs->ring_len = used_off + 6 + 8ull * q;
	vs->ring = xdrv_dma_alloc_coherent(vs->dev, vs->ring_len, &vs->ring_bus);
	vs->nslots = q / 3;
	vs->hdrs_len = (uint64_t)vs->nslots * VS_HDR_SIZE;
	vs->hdrs = xdrv_dma_alloc_coherent(vs->dev, vs->hdrs_len, &vs->hdrs_bus);
	vs->slots = xdrv_mem_alloc(sizeof(struct vs_slot) * vs->nslots);
	if (!vs->ring || !vs->hdrs || !vs->slots) {
		vs_ring_free(vs);
		return XDRV_ENOMEM;
	}
	vs->desc = vs->ring;
	vs->avail = vs->ring + avail_off;
	vs->used = vs->ring + used_off;
	vs->desc_bus = vs->ring_bus;
	vs->avail_bus = vs->ring_bus + avail_off;
	vs->used_bus = vs->ring_bus + used_off;
	for (uint32_t i = 0; i < vs->nslots; i++) {
		vs->slots[i].hdr = vs->hdrs + (uint64_t)i * VS_HDR_SIZE;
		vs->slots[i].hdr_bus = vs->hdrs_bus + (uint64_t)i * VS_HDR_SIZE;
	}
	return XDRV_OK;
}

void vs_ring_free(struct vs *vs)
{
	if (vs->ring)
		xdrv_dma_free_coherent(vs->dev, vs->ring, vs->ring_len, vs->ring_bus);
	if (vs->hdrs)
		xdrv_dma_free_coherent(vs->dev, vs->hdrs, vs->hdrs_len, vs->hdrs_bus);
	xdrv_mem_free(vs->slots);
	vs->ring = NULL;
	vs->hdrs = NULL;
	vs->slots = NULL;
	vs->nslots = 0;
}

static uint32_t pow2_floor(uint32_t v)
{
	uint32_t p = 1;
	while (p <= v / 2)
		p *= 2;
	return p;
}

/* Reset the device and bring it to DRIVER_OK with the request queue live (ring memory is
 * allocated the first time and reused after a reset). */
int32_t vs_transport_init(struct vs *vs, uint32_t want_qsz)
{
	vs_transport_reset(vs);
	if (rd(vs, VM_STATUS) != 0) {
		fail(vs, "device does not reset (Status stays non-zero)");
		return XDRV_EIO;
	}
	wr(vs, VM_STATUS, ST_ACK);
	wr(vs, VM_STATUS, ST_ACK | ST_DRIVER);
	wr(vs, VM_DEV_FEAT_SEL, 1);
	uint32_t hi = rd(vs, VM_DEV_FEAT);
	if (!(hi & F_VERSION_1_HI)) {
		fail(vs, "device does not offer VIRTIO_F_VERSION_1");
		return XDRV_ENODEV;
	}
	/* accept VERSION_1 only: nothing else offered is used (no indirect tables, no
	 * event index, no hotplug) */
	wr(vs, VM_DRV_FEAT_SEL, 0);
	wr(vs, VM_DRV_FEAT, 0);
	wr(vs, VM_DRV_FEAT_SEL, 1);
	wr(vs, VM_DRV_FEAT, F_VERSION_1_HI);
	wr(vs, VM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(rd(vs, VM_STATUS) & ST_FEATURES_OK)) {
		fail(vs, "device refused the features (FEATURES_OK did not stick)");
		return XDRV_ENODEV;
	}
	read_config(vs);
	if (vs->num_queues == 0) {
		fail(vs, "device has no request queue (num_queues 0)");
		return XDRV_ENODEV;
	}
	if (vs->sense_size > VS_SENSE_MAX)
		vs->sense_size = VS_SENSE_MAX;
	if (vs->cdb_size > VS_CDB_MAX || vs->cdb_size < 6) {
		fail(vs, "cdb_size outside 6..32");
		return XDRV_ENODEV;
	}
	wr(vs, VM_QUEUE_SEL, REQUEST_QUEUE);
	if (rd(vs, VM_QUEUE_READY) != 0) {
		fail(vs, "request queue already ready after reset");
		return XDRV_EIO;
	}
	uint32_t max = rd(vs, VM_QUEUE_NUM_MAX);
	uint32_t q = pow2_floor(want_qsz < max ? want_qsz : max);
	if (max == 0 || q < 4) {
		fail(vs, "request queue missing or smaller than 4 entries");
		return XDRV_ENODEV;
	}
	if (!vs->ring) {
		vs->qsz = q;
		if (vs_ring_alloc(vs) != XDRV_OK) {
			fail(vs, "out of DMA memory for the request queue");
			return XDRV_ENOMEM;
		}
	} else if (q != vs->qsz) {
		fail(vs, "queue size changed across a reset");
		return XDRV_EIO;
	}
	memset(vs->ring, 0, vs->ring_len);
	for (uint32_t i = 0; i < vs->nslots; i++)
		vs->slots[i].kind = SLOT_FREE;
	wr(vs, VM_QUEUE_NUM, vs->qsz);
	wr64(vs, VM_QUEUE_DESC, vs->desc_bus);
	wr64(vs, VM_QUEUE_DRIVER, vs->avail_bus);
	wr64(vs, VM_QUEUE_DEVICE, vs->used_bus);
	wr(vs, VM_QUEUE_READY, 1);
	wr(vs, VM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	if (rd(vs, VM_STATUS) & (ST_NEEDS_RESET | ST_FAILED)) {
		fail(vs, "device needs a reset right after DRIVER_OK");
		return XDRV_EIO;
	}
	vs->broken = 0;
	return XDRV_OK;
}

struct vs_slot *vs_slot_get(struct vs *vs)
{
	for (uint32_t i = 0; i < vs->nslots; i++) {
		if (vs->slots[i].kind == SLOT_FREE) {
			struct vs_slot *s = &vs->slots[i];
			s->done = 0;
			s->retries = 0;
			s->map_bus = 0;
			s->map_len = 0;
			s->disk = NULL;
			s->breq = NULL;
			s->scmd = NULL;
			s->kind = SLOT_INTERNAL; /* the caller sets the real kind */
			return s;
		}
	}
	return NULL;
}

void vs_slot_put(struct vs *vs, struct vs_slot *s)
{
	if (s->map_len)
		xdrv_dma_unmap(vs->dev, s->map_bus, s->map_len, s->map_dir);
	s->map_len = 0;
	s->kind = SLOT_FREE;
}

static void put_desc(struct vs *vs, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t *d = vs->desc + 16ull * i;
	xdrv_put_le64(d, addr);
	xdrv_put_le32(d + 8, len);
	xdrv_put_le16(d + 12, flags);
	xdrv_put_le16(d + 14, next);
}

void vs_slot_start(struct vs *vs, struct vs_slot *s, uint32_t target, uint32_t lun,
		   const uint8_t *cdb, uint32_t cdb_len, uint32_t dir, uint64_t data_bus,
		   uint32_t data_len)
{
	uint32_t idx = (uint32_t)(s - vs->slots);
	uint32_t head = idx * 3;
	uint8_t *req = s->hdr;
	uint32_t req_len = 19 + vs->cdb_size;
	uint32_t resp_len = 12 + vs->sense_size;
	memset(req, 0, VS_HDR_SIZE);
	req[0] = 1;
	req[1] = (uint8_t)target;
	req[2] = (uint8_t)(0x40 | (lun >> 8 & 0x3f)); /* SAM flat space addressing */
	req[3] = (uint8_t)lun;
	xdrv_put_le64(req + 8, ++vs->cmds);
	memcpy(req + 19, cdb, cdb_len < vs->cdb_size ? cdb_len : vs->cdb_size);
	uint64_t resp_bus = s->hdr_bus + VS_RESP_OFF;
	uint16_t h = (uint16_t)head;
	if (dir == XDRV_SCSI_DIR_TO_DEVICE && data_len) {
		put_desc(vs, head, s->hdr_bus, req_len, VQ_DESC_NEXT, (uint16_t)(h + 1));
		put_desc(vs, head + 1, data_bus, data_len, VQ_DESC_NEXT, (uint16_t)(h + 2));
		put_desc(vs, head + 2, resp_bus, resp_len, VQ_DESC_WRITE, 0);
	} else if (dir == XDRV_SCSI_DIR_FROM_DEVICE && data_len) {
		put_desc(vs, head, s->hdr_bus, req_len, VQ_DESC_NEXT, (uint16_t)(h + 1));
		put_desc(vs, head + 1, resp_bus, resp_len, VQ_DESC_WRITE | VQ_DESC_NEXT,
			 (uint16_t)(h + 2));
		put_desc(vs, head + 2, data_bus, data_len, VQ_DESC_WRITE, 0);
	} else {
		put_desc(vs, head, s->hdr_bus, req_len, VQ_DESC_NEXT, (uint16_t)(h + 1));
		put_desc(vs, head + 1, resp_bus, resp_len, VQ_DESC_WRITE, 0);
	}
	s->done = 0;
	xdrv_put_le16(vs->avail + 4 + 2ull * (vs->avail_idx % vs->qsz), h);
	vs->avail_idx++;
	xdrv_put_le16(vs->avail + 2, vs->avail_idx); /* the device reads the entry after idx */
	xdrv_io_write32(vs->regs, VM_QUEUE_NOTIFY, REQUEST_QUEUE);
}

static uint32_t min3(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t m = a < b ? a : b;
	return m < c ? m : c;
}

void vs_result_read(const struct vs *vs, const struct vs_slot *s, struct vs_result *r)
{
	const uint8_t *resp = s->hdr + VS_RESP_OFF;
	memset(r, 0, sizeof *r);
	r->sense_len = min3(xdrv_get_le32(resp), vs->sense_size, VS_SENSE_MAX);
	r->resid = xdrv_get_le32(resp + 4);
	r->status = resp[10];
	r->response = resp[11];
	memcpy(r->sense, resp + 12, r->sense_len);
	const uint8_t *sd = r->sense;
	uint32_t code = r->sense_len ? sd[0] & 0x7fu : 0;
	if ((code == 0x70 || code == 0x71) && r->sense_len >= 14) {
		r->key = sd[2] & 0xfu;
		r->asc = sd[12];
		r->ascq = sd[13];
	} else if ((code == 0x72 || code == 0x73) && r->sense_len >= 4) {
		r->key = sd[1] & 0xfu;
		r->asc = sd[2];
		r->ascq = sd[3];
	}
}

uint32_t vs_reap(struct vs *vs, void (*complete)(struct vs *vs, struct vs_slot *s))
{
	uint32_t n = 0;
	if (!vs->ring)
		return 0;
	for (uint32_t rounds = 0; rounds < 4 * vs->qsz; rounds++) {
		uint16_t used_idx = xdrv_get_le16(vs->used + 2);
		if (used_idx == vs->last_used)
			break;
		if ((uint16_t)(used_idx - vs->last_used) > vs->qsz) {
			xdrv_log(XDRV_LOG_ERROR,
				 "virtio_scsi: used ring index ran more than a queue ahead; device "
				 "ignored until reset");
			vs->broken = 1;
			break;
		}
		uint32_t id = xdrv_get_le32(vs->used + 4 + 8ull * (vs->last_used % vs->qsz));
		vs->last_used++;
		struct vs_slot *s = id % 3 == 0 && id / 3 < vs->nslots ? &vs->slots[id / 3] : NULL;
		if (!s || s->kind == SLOT_FREE || s->done) {
			struct xdrv_msg m;
			xdrv_msg_init(&m);
			xdrv_msg_str(&m, "virtio_scsi: device returned descriptor ");
			xdrv_msg_u64(&m, id);
			xdrv_msg_str(&m, ", not an outstanding request; ignored");
			xdrv_msg_log(&m, XDRV_LOG_WARN);
			continue;
		}
		s->done = 1;
		n++;
		complete(vs, s);
	}
	return n;
}
