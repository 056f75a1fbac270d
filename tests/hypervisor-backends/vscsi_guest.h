/* SPDX-License-Identifier: MIT */
/*
 * A minimal virtio-mmio guest driver for the virtio-scsi model's tests: one 1 MiB guest memory
 * block mapped bidirectionally (rings and buffers are offsets into it), feature negotiation,
 * queue setup, and request submission with explicit descriptor chains. Header-only (static) so
 * that each test file stays self-contained; the fuzzers use their own input-driven memory.
 */
#ifndef XDRV_TEST_VSCSI_GUEST_H
#define XDRV_TEST_VSCSI_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xdrv/dma.h>
#include <xdrv/endian.h>
#include <xdrv/hvb.h>
#include <xdrv/virtio_scsi.h>

#define G_MEM	(1u << 20)
#define G_QSIZE 16u
#define G_QAREA 0x1000u	 /* per queue: desc 0x000, avail 0x100, used 0x200 */
#define G_BUFS	0x10000u /* buffers from here */

struct guest {
	struct hvb_backend *be;
	struct hvb_device *dev;
	uint8_t *mem;
	uint64_t bus;
	uint16_t avail_idx[4], next_desc[4];
	char log[4096];
};

static struct guest *g_log_target;

static inline void guest_capture(void *ctx, const char *line)
{
	(void)ctx;
	if (g_log_target) {
		size_t n = strlen(g_log_target->log);
		if (n + strlen(line) + 2 < sizeof g_log_target->log) {
			strcat(g_log_target->log, line);
			strcat(g_log_target->log, "\n");
		}
	}
}

static inline uint32_t g_rd(struct guest *g, uint32_t off)
{
	return (uint32_t)hvb_reg_read(g->dev, 0, off, 4);
}

static inline void g_wr(struct guest *g, uint32_t off, uint32_t v)
{
	hvb_reg_write(g->dev, 0, off, 4, v);
}

static inline uint64_t g_qbase(uint32_t q)
{
	return 0x1000u + q * G_QAREA;
}

/* Create the device with `config`; 0 or the create error (with *err). */
static inline int guest_create(struct guest *g, const char *config, char **err)
{
	memset(g, 0, sizeof *g);
	g_log_target = g;
	hvb_set_log(guest_capture, NULL);
	int rc = hvb_backend_create("native", NULL, &g->be, err);
	if (rc)
		return rc;
	rc = hvb_device_create(g->be, "virtio-scsi", config, &g->dev, err);
	if (rc)
		return rc;
	g->mem = aligned_alloc(4096, G_MEM);
	if (!g->mem)
		return -12;
	memset(g->mem, 0, G_MEM);
	return hvb_dma_map(g->dev, g->mem, G_MEM, XDRV_DMA_BIDIRECTIONAL, &g->bus, err);
}

static inline void guest_destroy(struct guest *g)
{
	hvb_backend_destroy(g->be);
	free(g->mem);
	hvb_set_log(NULL, NULL);
	g_log_target = NULL;
}

/* Set up queue q with G_QSIZE entries at its area; QueueReady=1. */
static inline void guest_setup_queue(struct guest *g, uint32_t q, uint32_t num)
{
	uint64_t b = g->bus + g_qbase(q);
	g_wr(g, VIRTIO_MMIO_QUEUE_SEL, q);
	g_wr(g, VIRTIO_MMIO_QUEUE_NUM, num);
	g_wr(g, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)b);
	g_wr(g, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(b >> 32));
	g_wr(g, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(b + 0x100));
	g_wr(g, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)((b + 0x100) >> 32));
	g_wr(g, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(b + 0x200));
	g_wr(g, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)((b + 0x200) >> 32));
	g_wr(g, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* The whole init sequence: reset, ACK, DRIVER, features (VERSION_1 | extra), FEATURES_OK,
 * queues 0..2, DRIVER_OK. Returns the Status register afterwards. */
static inline uint32_t guest_init(struct guest *g, uint64_t extra_features)
{
	uint64_t f = (1ull << VIRTIO_F_VERSION_1) | extra_features;
	g_wr(g, VIRTIO_MMIO_STATUS, 0);
	g_wr(g, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	g_wr(g, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	g_wr(g, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	g_wr(g, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	g_wr(g, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	g_wr(g, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	g_wr(g, VIRTIO_MMIO_STATUS,
	     VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (uint32_t q = 0; q < 3; q++)
		guest_setup_queue(g, q, G_QSIZE);
	g_wr(g, VIRTIO_MMIO_STATUS,
	     VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		     VIRTIO_STATUS_DRIVER_OK);
	memset(g->avail_idx, 0, sizeof g->avail_idx);
	memset(g->next_desc, 0, sizeof g->next_desc);
	hvb_irq_unmask(g->dev, 0);
	return g_rd(g, VIRTIO_MMIO_STATUS);
}

struct gseg {
	uint32_t off; /* into guest memory */
	uint32_t len;
	bool write; /* device-writable */
};

/* Write a raw descriptor into queue q's table. */
static inline void guest_desc(struct guest *g, uint32_t q, uint16_t i, uint64_t addr, uint32_t len,
			      uint16_t flags, uint16_t next)
{
	uint8_t *d = g->mem + g_qbase(q) + 16u * i;
	xdrv_put_le64(d, addr);
	xdrv_put_le32(d + 8, len);
	xdrv_put_le16(d + 12, flags);
	xdrv_put_le16(d + 14, next);
}

/* Make head available and bump avail->idx (no notify). */
static inline void guest_avail(struct guest *g, uint32_t q, uint16_t head)
{
	uint8_t *a = g->mem + g_qbase(q) + 0x100;
	xdrv_put_le16(a + 4 + 2 * (g->avail_idx[q] % G_QSIZE), head);
	g->avail_idx[q]++;
	xdrv_put_le16(a + 2, g->avail_idx[q]);
}

/* Submit a chain of n segments on queue q and notify; returns the head used. */
static inline uint16_t guest_submit(struct guest *g, uint32_t q, const struct gseg *s, uint32_t n)
{
	uint16_t head = g->next_desc[q];
	for (uint32_t i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % G_QSIZE);
		uint16_t flags = (uint16_t)((s[i].write ? VIRTQ_DESC_F_WRITE : 0) |
					    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		guest_desc(g, q, idx, g->bus + s[i].off, s[i].len, flags,
			   (uint16_t)((head + i + 1) % G_QSIZE));
	}
	g->next_desc[q] = (uint16_t)((head + n) % G_QSIZE);
	guest_avail(g, q, head);
	g_wr(g, VIRTIO_MMIO_QUEUE_NOTIFY, q);
	return head;
}

static inline uint16_t guest_used_idx(struct guest *g, uint32_t q)
{
	return xdrv_get_le16(g->mem + g_qbase(q) + 0x200 + 2);
}

/* Poll the device while it has requests in flight (they complete from hvb_device_poll with
 * aio=uring) until used->idx of queue q is `idx`: true if it got there. */
static inline bool guest_wait_used(struct guest *g, uint32_t q, uint16_t idx)
{
	struct hvb_vscsi_stats st;
	for (uint32_t i = 0; i < 1000000; i++) {
		if (xdrv_get_le16(g->mem + g_qbase(q) + 0x200 + 2) == idx)
			return true;
		if (hvb_vscsi_get_stats(g->dev, &st) || st.in_flight == 0)
			return false;
		if (hvb_device_poll(g->dev) == 0 && i > 1000) {
			struct timespec ts = {0, 10000};
			nanosleep(&ts, NULL);
		}
	}
	return false;
}

/* Used element i: id and len. */
static inline void guest_used(struct guest *g, uint32_t q, uint16_t i, uint32_t *id, uint32_t *len)
{
	uint8_t *u = g->mem + g_qbase(q) + 0x200 + 4 + 8 * (i % G_QSIZE);
	*id = xdrv_get_le32(u);
	*len = xdrv_get_le32(u + 4);
}

#define REQ_OFF	  0x10000u
#define RESP_OFF  0x11000u
#define DATA_OFF  0x20000u
#define REQ_SIZE  VIRTIO_SCSI_CMD_REQ_SIZE(VIRTIO_SCSI_CDB_DEFAULT)
#define RESP_SIZE VIRTIO_SCSI_CMD_RESP_SIZE(VIRTIO_SCSI_SENSE_DEFAULT)

/* Issue one SCSI command to (target, lun) on request queue 2: cdb, and data_len bytes at
 * DATA_OFF in direction dir (0 none, 1 to device, 2 from device). Returns the used len; the
 * response is at g->mem + RESP_OFF. */
static inline uint32_t guest_scsi(struct guest *g, uint8_t target, uint16_t lun, const uint8_t *cdb,
				  uint32_t cdb_len, uint32_t data_len, int dir)
{
	uint8_t *req = g->mem + REQ_OFF;
	memset(req, 0, REQ_SIZE);
	memset(g->mem + RESP_OFF, 0xee, RESP_SIZE);
	req[0] = 1;
	req[1] = target;
	req[2] = (uint8_t)(0x40 | (lun >> 8));
	req[3] = (uint8_t)lun;
	memcpy(req + 19, cdb, cdb_len);
	struct gseg s[3];
	uint32_t n = 0;
	s[n++] = (struct gseg){REQ_OFF, REQ_SIZE, false};
	if (dir == 1)
		s[n++] = (struct gseg){DATA_OFF, data_len, false};
	s[n++] = (struct gseg){RESP_OFF, RESP_SIZE, true};
	if (dir == 2)
		s[n++] = (struct gseg){DATA_OFF, data_len, true};
	uint16_t before = guest_used_idx(g, 2);
	guest_submit(g, 2, s, n);
	uint32_t id = 0, len = 0;
	if (guest_wait_used(g, 2, (uint16_t)(before + 1)))
		guest_used(g, 2, before, &id, &len);
	return len;
}

static inline uint8_t resp_status(struct guest *g)
{
	return g->mem[RESP_OFF + 10];
}

static inline uint8_t resp_response(struct guest *g)
{
	return g->mem[RESP_OFF + 11];
}

static inline const uint8_t *resp_sense(struct guest *g)
{
	return g->mem + RESP_OFF + 12;
}

#endif
