/* SPDX-License-Identifier: MIT */
/*
 * Test rig for the DP83820 model and the wire sides: a native backend with one dp83820 device,
 * one block of DMA memory mapped bidirectionally (descriptors and buffers are carved out of it
 * at fixed offsets), register helpers, descriptor writers for both formats, and a log capture
 * so that guest-error messages can be asserted. Header-only so each suite file stays separate.
 */
#ifndef XDRV_TEST_NIC_RIG_H
#define XDRV_TEST_NIC_RIG_H

#include "../xtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/dma.h>
#include <xdrv/dp83820.h>
#include <xdrv/endian.h>
#include <xdrv/hvb.h>
#include <xdrv/wire.h>

#define RIG_MEM	     (1u << 20) /* 1 MiB of DMA memory */
#define RIG_TXRING   0x00000u	/* up to 2048 16-byte descriptors */
#define RIG_RXRING   0x08000u
#define RIG_TXBUF    0x10000u
#define RIG_RXBUF    0x40000u /* 16 buffers of RIG_RXBUF_SZ */
#define RIG_RXBUF_SZ 0x800u

struct rig {
	struct hvb_backend *be;
	struct hvb_device *d;
	uint8_t *mem;
	uint64_t bus;
	char log[4096];
};

static struct rig R;

static inline void rig_log(void *ctx, const char *line)
{
	struct rig *r = ctx;
	size_t n = strlen(r->log);
	snprintf(r->log + n, sizeof r->log - n, "%s\n", line);
}

static inline int rig_open(const char *config)
{
	char *err = NULL;
	memset(&R, 0, sizeof R);
	hvb_set_log(rig_log, &R);
	if (hvb_backend_create("native", NULL, &R.be, &err) ||
	    hvb_device_create(R.be, "dp83820", config, &R.d, &err)) {
		fprintf(stderr, "rig: %s\n", err ? err : "?");
		free(err);
		return -1;
	}
	R.mem = aligned_alloc(4096, RIG_MEM);
	if (!R.mem)
		return -1;
	memset(R.mem, 0, RIG_MEM);
	if (hvb_dma_map(R.d, R.mem, RIG_MEM, XDRV_DMA_BIDIRECTIONAL, &R.bus, &err)) {
		free(err);
		return -1;
	}
	hvb_irq_unmask(R.d, 0);
	return 0;
}

static inline void rig_close(void)
{
	hvb_backend_destroy(R.be);
	free(R.mem);
	hvb_set_log(NULL, NULL);
	memset(&R, 0, sizeof R);
}

static inline uint32_t rd(uint32_t off)
{
	return (uint32_t)hvb_reg_read(R.d, 0, off, 4);
}

static inline void wr(uint32_t off, uint32_t v)
{
	hvb_reg_write(R.d, 0, off, 4, v);
}

static inline uint64_t busof(uint32_t off)
{
	return R.bus + off;
}

/* 16-byte descriptor at mem offset `at` */
static inline void desc32(uint32_t at, uint64_t link, uint64_t buf, uint32_t cmdsts,
			  uint32_t extsts)
{
	uint8_t *p = R.mem + at;
	xdrv_put_le32(p, (uint32_t)link);
	xdrv_put_le32(p + 4, (uint32_t)buf);
	xdrv_put_le32(p + 8, cmdsts);
	xdrv_put_le32(p + 12, extsts);
}

static inline void desc64(uint32_t at, uint64_t link, uint64_t buf, uint32_t cmdsts,
			  uint32_t extsts)
{
	uint8_t *p = R.mem + at;
	xdrv_put_le64(p, link);
	xdrv_put_le64(p + 8, buf);
	xdrv_put_le32(p + 16, cmdsts);
	xdrv_put_le32(p + 20, extsts);
}

static inline uint32_t cmdsts32(uint32_t at)
{
	return xdrv_get_le32(R.mem + at + 8);
}

static inline uint32_t extsts32(uint32_t at)
{
	return xdrv_get_le32(R.mem + at + 12);
}

static const uint8_t rig_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

/* FNV-1a 64 as the gen sink documents it: 16-bit big-endian length, then the bytes. */
static inline uint64_t rig_digest(uint64_t h, const uint8_t *f, size_t len)
{
	uint8_t lb[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	for (int i = 0; i < 2; i++)
		h = (h ^ lb[i]) * 0x100000001b3ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ f[i]) * 0x100000001b3ull;
	return h;
}
#define RIG_FNV_OFFSET 0xcbf29ce484222325ull

/* Independent reference Internet checksum (bytewise, no shared code with the model). */
static inline uint16_t ref_csum(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uint32_t s = 0;
	for (size_t i = 0; i < alen; i++)
		s += (i & 1) ? a[i] : (uint32_t)a[i] << 8;
	for (size_t i = 0; i < blen; i++)
		s += (i & 1) ? b[i] : (uint32_t)b[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

#endif
