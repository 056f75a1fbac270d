// SPDX-License-Identifier: MIT
/*
 * Tests for the SCSI disk target (hypervisor-backends/models/scsi_disk.c), driven directly with
 * CDBs and in-memory data phases: every supported command's data, and the error cases with
 * their fixed-format sense data compared byte for byte.
 */
#include "../xtest.h"

#include "../../hypervisor-backends/models/scsi_disk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xdrv/hvb.h>
#include <xdrv/hvb_disk.h>

static struct scsi_target *T;
static uint8_t out_buf[1 << 20], in_buf[1 << 20];
static int fail_dma; /* make the data callbacks fail */

static int get_out(void *ctx, uint64_t off, void *dst, uint64_t len)
{
	(void)ctx;
	if (fail_dma || off + len > sizeof out_buf)
		return -EFAULT;
	memcpy(dst, out_buf + off, len);
	return 0;
}

static int put_in(void *ctx, uint64_t off, const void *src, uint64_t len)
{
	(void)ctx;
	if (fail_dma || off + len > sizeof in_buf)
		return -EFAULT;
	memcpy(in_buf + off, src, len);
	return 0;
}

static const struct scsi_xfer X = {get_out, put_in, NULL, NULL};

/* Two LUNs: 0 = ram 1 MiB, 1 = ram 64 KiB; power-on unit attentions cleared. */
static void up(bool ro)
{
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(scsi_target_create("sn", 256, &T, &err), 0);
	struct hvb_disk *d = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("ram:1M", ro, &d, &err), 0);
	CU_ASSERT_EQUAL_FATAL(scsi_target_add(T, d, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("ram:64K", ro, &d, &err), 0);
	CU_ASSERT_EQUAL_FATAL(scsi_target_add(T, d, &err), 0);
	for (uint32_t l = 0; l < 2; l++) {
		struct scsi_cmd c = {.cdb = (const uint8_t[6]){0}, .cdb_len = 6};
		scsi_target_exec(T, l, &c, &X);
	}
	fail_dma = 0;
}

static void down(void)
{
	scsi_target_destroy(T);
	T = NULL;
}

/* Run a CDB; in_cap/out_len default to the whole buffers. */
static struct scsi_cmd run(uint32_t lun, const uint8_t *cdb, uint32_t len, uint64_t out_len,
			   uint64_t in_cap)
{
	struct scsi_cmd c = {.cdb = cdb, .cdb_len = len, .out_len = out_len, .in_cap = in_cap};
	memset(in_buf, 0xcc, 4096);
	CU_ASSERT_EQUAL(scsi_target_exec(T, lun, &c, &X), 0);
	return c;
}

static void expect_sense(const struct scsi_cmd *c, uint8_t key, uint8_t asc, uint8_t ascq)
{
	uint8_t want[18] = {0x70, 0, key, 0, 0, 0, 0, 10, 0, 0, 0, 0, asc, ascq, 0, 0, 0, 0};
	CU_ASSERT_EQUAL(c->status, SCSI_STATUS_CHECK_CONDITION);
	CU_ASSERT_EQUAL(c->sense_len, 18u);
	CU_ASSERT_EQUAL(memcmp(c->sense, want, 18), 0);
	CU_ASSERT_EQUAL(c->in_len, 0u);
}

static void test_unit_attention_once_after_power_on_and_reset(void)
{
	char *err = NULL;
	struct hvb_disk *d = NULL;
	CU_ASSERT_EQUAL_FATAL(scsi_target_create(NULL, 0, &T, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("ram:64K", false, &d, &err), 0);
	CU_ASSERT_EQUAL_FATAL(scsi_target_add(T, d, &err), 0);
	/* INQUIRY and REPORT LUNS do not report or clear it */
	const uint8_t inq[6] = {0x12, 0, 0, 0, 36, 0}, tur[6] = {0};
	struct scsi_cmd c = run(0, inq, 6, 0, 4096);
	CU_ASSERT_EQUAL(c.status, 0);
	const uint8_t rl[12] = {0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
	c = run(0, rl, 12, 0, 4096);
	CU_ASSERT_EQUAL(c.status, 0);
	c = run(0, tur, 6, 0, 0);
	expect_sense(&c, 0x06, 0x29, 0x00);
	c = run(0, tur, 6, 0, 0);
	CU_ASSERT_EQUAL(c.status, 0);
	CU_ASSERT_EQUAL(c.sense_len, 0u);
	/* after a reset, REQUEST SENSE returns it and clears it */
	scsi_target_reset(T);
	const uint8_t rs[6] = {0x03, 0, 0, 0, 252, 0};
	c = run(0, rs, 6, 0, 4096);
	CU_ASSERT_EQUAL(c.status, 0);
	CU_ASSERT_EQUAL(c.in_len, 18u);
	uint8_t ua[18] = {0x70, 0, 6, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x29, 0, 0, 0, 0, 0};
	CU_ASSERT_EQUAL(memcmp(in_buf, ua, 18), 0);
	c = run(0, rs, 6, 0, 4096);
	uint8_t none[18] = {0x70, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	CU_ASSERT_EQUAL(memcmp(in_buf, none, 18), 0);
	c = run(0, tur, 6, 0, 0);
	CU_ASSERT_EQUAL(c.status, 0);
	/* descriptor-format sense is not supported */
	const uint8_t rs_desc[6] = {0x03, 1, 0, 0, 252, 0};
	c = run(0, rs_desc, 6, 0, 4096);
	expect_sense(&c, 0x05, 0x24, 0x00);
	down();
}

static void test_inquiry_standard_and_vpd_pages(void)
{
	up(false);
	const uint8_t std[6] = {0x12, 0, 0, 0, 96, 0};
	struct scsi_cmd c = run(0, std, 6, 0, 4096);
	CU_ASSERT_EQUAL(c.status, 0);
	CU_ASSERT_EQUAL(c.in_len, 36u);
	static const uint8_t want[36] = {0x00, 0x00, 0x06, 0x12, 31,  0,   0,	0x02, 'X',
					 'D',  'R',  'V',  ' ',	 ' ', ' ', ' ', 'V',  'I',
					 'R',  'T',  'I',  'O',	 '-', 'S', 'C', 'S',  'I',
					 ' ',  'D',  'I',  'S',	 'K', '1', '.', '0',  ' '};
	CU_ASSERT_EQUAL(memcmp(in_buf, want, 36), 0);
	/* the allocation length cuts the data */
	const uint8_t short5[6] = {0x12, 0, 0, 0, 5, 0};
	c = run(0, short5, 6, 0, 4096);
	CU_ASSERT_EQUAL(c.in_len, 5u);
	CU_ASSERT_EQUAL(in_buf[5], 0xcc);
	/* an absent LUN: peripheral qualifier 3, type 1Fh */
	c = run(6, std, 6, 0, 4096);
	CU_ASSERT_EQUAL(c.status, 0);
	CU_ASSERT_EQUAL(in_buf[0], 0x7f);
	/* VPD 00h */
	const uint8_t v00[6] = {0x12, 1, 0x00, 0, 255, 0};
	c = run(0, v00, 6, 0, 4096);
	static const uint8_t want00[7] = {0, 0, 0, 3, 0x00, 0x80, 0x83};
	CU_ASSERT_EQUAL(c.in_len, 7u);
	CU_ASSERT_EQUAL(memcmp(in_buf, want00, 7), 0);
	/* VPD 80h: "<serial>-<lun>" */
	const uint8_t v80[6] = {0x12, 1, 0x80, 0, 255, 0};
	c = run(1, v80, 6, 0, 4096);
	static const uint8_t want80[8] = {0, 0x80, 0, 4, 's', 'n', '-', '1'};
	CU_ASSERT_EQUAL(c.in_len, 8u);
	CU_ASSERT_EQUAL(memcmp(in_buf, want80, 8), 0);
	/* VPD 83h: one T10 vendor ID designator */
	const uint8_t v83[6] = {0x12, 1, 0x83, 0, 255, 0};
	c = run(0, v83, 6, 0, 4096);
	static const uint8_t want83[20] = {0,	0x83, 0,   16,	0x02, 0x01, 0,	 12,  'X', 'D',
					   'R', 'V',  ' ', ' ', ' ',  ' ',  's', 'n', '-', '0'};
	CU_ASSERT_EQUAL(c.in_len, 20u);
	CU_ASSERT_EQUAL(memcmp(in_buf, want83, 20), 0);
	/* an unsupported page, or a page code without EVPD: INVALID FIELD IN CDB */
	const uint8_t vb0[6] = {0x12, 1, 0xb0, 0, 255, 0}, nevpd[6] = {0x12, 0, 0x80, 0, 255, 0};
	c = run(0, vb0, 6, 0, 4096);
	expect_sense(&c, 0x05, 0x24, 0x00);
	c = run(0, nevpd, 6, 0, 4096);
	expect_sense(&c, 0x05, 0x24, 0x00);
	down();
}

static void test_read_capacity_10_and_16(void)
{
	up(false);
	const uint8_t rc10[10] = {0x25};
	struct scsi_cmd c = run(0, rc10, 10, 0, 4096);
	static const uint8_t want10[8] = {0, 0, 0x07, 0xff, 0, 0, 0x02, 0x00};
	CU_ASSERT_EQUAL(c.in_len, 8u);
	CU_ASSERT_EQUAL(memcmp(in_buf, want10, 8), 0);
	const uint8_t rc16[16] = {0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0};
	c = run(1, rc16, 16, 0, 4096);
	uint8_t want16[32] = {0, 0, 0, 0, 0, 0, 0, 0x7f, 0, 0, 0x02, 0x00};
	CU_ASSERT_EQUAL(c.in_len, 32u);
	CU_ASSERT_EQUAL(memcmp(in_buf, want16, 32), 0);
	/* another service action of SERVICE ACTION IN(16) */
	const uint8_t sa11[16] = {0x9e, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0};
	c = run(0, sa11, 16, 0, 4096);
	expect_sense(&c, 0x05, 0x24, 0x00);
	down();
}

static void test_read_write_10_16_and_ranges(void)
{
	up(false);
	for (uint32_t i = 0; i < 4096; i++)
		out_buf[i] = (uint8_t)(i ^ 0x5a);
	const uint8_t w10[10] = {0x2a, 0, 0, 0, 0x07, 0xf8, 0, 0, 8, 0}; /* last 8 blocks */
	struct scsi_cmd c = run(0, w10, 10, 4096, 0);
	CU_ASSERT_EQUAL(c.status, 0);
	CU_ASSERT_FALSE(c.overrun);
	const uint8_t r16[16] = {0x88, 0, 0, 0, 0, 0, 0, 0, 0x07, 0xf8, 0, 0, 0, 8, 0, 0};
	c = run(0, r16, 16, 0, 8192);
	CU_ASSERT_EQUAL(c.status, 0);
	CU_ASSERT_EQUAL(c.in_len, 4096u);
	CU_ASSERT_EQUAL(memcmp(in_buf, out_buf, 4096), 0);
	const uint8_t w16[16] = {0x8a, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0}; /* FUA */
	c = run(0, w16, 16, 512, 0);
	CU_ASSERT_EQUAL(c.status, 0);
	const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0};
	c = run(0, r10, 10, 0, 512);
	CU_ASSERT_EQUAL(memcmp(in_buf, out_buf, 512), 0);
	/* zero blocks: nothing moves, GOOD */
	const uint8_t r0[10] = {0x28, 0, 0, 0, 0x08, 0x00, 0, 0, 0, 0};
	c = run(0, r0, 10, 0, 512);
	CU_ASSERT_EQUAL(c.status, 0);
	CU_ASSERT_EQUAL(c.in_len, 0u);
	/* one block past the end; an LBA near 2^64 (no overflow) */
	const uint8_t past[10] = {0x28, 0, 0, 0, 0x07, 0xf8, 0, 0, 9, 0};
	c = run(0, past, 10, 0, 8192);
	expect_sense(&c, 0x05, 0x21, 0x00);
	const uint8_t huge[16] = {0x88, 0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				  0xff, 0xff, 0,    0,	  0,	2,    0,    0};
	c = run(0, huge, 16, 0, 8192);
	expect_sense(&c, 0x05, 0x21, 0x00);
	const uint8_t wpast[16] = {0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 1, 0, 0};
	c = run(1, wpast, 16, 512, 0);
	expect_sense(&c, 0x05, 0x21, 0x00);
	/* more than the maximum transfer (256 blocks here) */
	const uint8_t big[10] = {0x28, 0, 0, 0, 0, 0, 0, 0x01, 0x01, 0};
	c = run(0, big, 10, 0, sizeof in_buf);
	expect_sense(&c, 0x05, 0x24, 0x00);
	/* protection information requested: invalid field */
	const uint8_t prot[10] = {0x28, 0x20, 0, 0, 0, 0, 0, 0, 1, 0};
	c = run(0, prot, 10, 0, 512);
	expect_sense(&c, 0x05, 0x24, 0x00);
	/* a buffer smaller than the transfer: overrun, GOOD status, nothing moved */
	c = run(0, r10, 10, 0, 100);
	CU_ASSERT_TRUE(c.overrun);
	CU_ASSERT_EQUAL(c.in_len, 0u);
	/* a failing data phase is the transport's error */
	fail_dma = 1;
	struct scsi_cmd f = {.cdb = r10, .cdb_len = 10, .in_cap = 512};
	CU_ASSERT_EQUAL(scsi_target_exec(T, 0, &f, &X), -EFAULT);
	fail_dma = 0;
	const struct scsi_stats *st = scsi_target_stats(T);
	CU_ASSERT_EQUAL(st->writes, 2u);
	CU_ASSERT_EQUAL(st->bytes_written, 4608u);
	down();
}

static void test_write_to_read_only_disk_is_data_protect(void)
{
	up(true);
	const uint8_t w10[10] = {0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0};
	struct scsi_cmd c = run(0, w10, 10, 512, 0);
	expect_sense(&c, 0x07, 0x27, 0x00);
	const uint8_t ms6[6] = {0x1a, 0x08, 0x3f, 0, 255, 0};
	c = run(0, ms6, 6, 0, 4096);
	CU_ASSERT_EQUAL(in_buf[2], 0x90); /* WP | DPOFUA */
	down();
}

static void test_synchronize_cache(void)
{
	up(false);
	const uint8_t s10[10] = {0x35}, s16[16] = {0x91};
	struct scsi_cmd c = run(0, s10, 10, 0, 0);
	CU_ASSERT_EQUAL(c.status, 0);
	c = run(0, s16, 16, 0, 0);
	CU_ASSERT_EQUAL(c.status, 0);
	const uint8_t spast[10] = {0x35, 0, 0, 0, 0x08, 0x01, 0, 0, 0, 0};
	c = run(0, spast, 10, 0, 0);
	expect_sense(&c, 0x05, 0x21, 0x00);
	CU_ASSERT_EQUAL(scsi_target_stats(T)->flushes, 2u);
	down();
}

static void test_mode_sense_6_and_10(void)
{
	up(false);
	/* MODE SENSE(6), caching page, with block descriptor */
	const uint8_t ms6[6] = {0x1a, 0, 0x08, 0, 255, 0};
	struct scsi_cmd c = run(0, ms6, 6, 0, 4096);
	CU_ASSERT_EQUAL(c.status, 0);
	CU_ASSERT_EQUAL(c.in_len, 4u + 8 + 20);
	static const uint8_t hdr6[12] = {31, 0, 0x10, 8, 0, 0, 0x08, 0x00, 0, 0, 0x02, 0x00};
	CU_ASSERT_EQUAL(memcmp(in_buf, hdr6, 12), 0);
	CU_ASSERT_EQUAL(in_buf[12], 0x08);
	CU_ASSERT_EQUAL(in_buf[13], 0x12);
	CU_ASSERT_EQUAL(in_buf[14], 0x04); /* WCE */
	/* all pages, DBD: caching + control */
	const uint8_t all6[6] = {0x1a, 0x08, 0x3f, 0, 255, 0};
	c = run(0, all6, 6, 0, 4096);
	CU_ASSERT_EQUAL(c.in_len, 4u + 20 + 12);
	CU_ASSERT_EQUAL(in_buf[0], 35);
	CU_ASSERT_EQUAL(in_buf[3], 0);
	CU_ASSERT_EQUAL(in_buf[4], 0x08);
	CU_ASSERT_EQUAL(in_buf[24], 0x0a);
	/* changeable values: nothing is */
	const uint8_t chg[6] = {0x1a, 0x08, 0x48, 0, 255, 0};
	c = run(0, chg, 6, 0, 4096);
	CU_ASSERT_EQUAL(in_buf[6], 0x00);
	/* MODE SENSE(10) */
	const uint8_t ms10[10] = {0x5a, 0, 0x3f, 0, 0, 0, 0, 0x01, 0x00, 0};
	c = run(0, ms10, 10, 0, 4096);
	CU_ASSERT_EQUAL(c.in_len, 8u + 8 + 32);
	static const uint8_t hdr10[8] = {0, 46, 0, 0x10, 0, 0, 0, 8};
	CU_ASSERT_EQUAL(memcmp(in_buf, hdr10, 8), 0);
	/* allocation length cuts */
	const uint8_t cut[10] = {0x5a, 0, 0x3f, 0, 0, 0, 0, 0, 10, 0};
	c = run(0, cut, 10, 0, 4096);
	CU_ASSERT_EQUAL(c.in_len, 10u);
	/* unsupported page, saved values, a subpage */
	const uint8_t p1c[6] = {0x1a, 0, 0x1c, 0, 255, 0}, saved[6] = {0x1a, 0, 0xc8, 0, 255, 0},
		      sub[6] = {0x1a, 0, 0x08, 1, 255, 0};
	c = run(0, p1c, 6, 0, 4096);
	expect_sense(&c, 0x05, 0x24, 0x00);
	c = run(0, saved, 6, 0, 4096);
	expect_sense(&c, 0x05, 0x39, 0x00);
	c = run(0, sub, 6, 0, 4096);
	expect_sense(&c, 0x05, 0x24, 0x00);
	down();
}

static void test_report_luns(void)
{
	up(false);
	const uint8_t rl[12] = {0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
	struct scsi_cmd c = run(0, rl, 12, 0, 4096);
	static const uint8_t want[24] = {0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0,
					 0, 0, 0, 0,  0, 1, 0, 0, 0, 0, 0, 0};
	CU_ASSERT_EQUAL(c.status, 0);
	CU_ASSERT_EQUAL(c.in_len, 24u);
	CU_ASSERT_EQUAL(memcmp(in_buf, want, 24), 0);
	/* works through an absent LUN too (well-known LUN 0 style scanning) */
	c = run(5, rl, 12, 0, 4096);
	CU_ASSERT_EQUAL(c.status, 0);
	const uint8_t bad_sel[12] = {0xa0, 0, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0};
	c = run(0, bad_sel, 12, 0, 4096);
	expect_sense(&c, 0x05, 0x24, 0x00);
	const uint8_t small[12] = {0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0};
	c = run(0, small, 12, 0, 4096);
	expect_sense(&c, 0x05, 0x24, 0x00);
	down();
}

static void test_unsupported_opcodes_and_absent_luns(void)
{
	up(false);
	const uint8_t fmt[6] = {0x04}, v12[12] = {0xa8}, ops[6] = {0xc0}, short_cdb[10] = {0x28};
	struct scsi_cmd c = run(0, fmt, 6, 0, 0); /* FORMAT UNIT */
	expect_sense(&c, 0x05, 0x20, 0x00);
	c = run(0, v12, 12, 0, 0); /* READ(12): not implemented */
	expect_sense(&c, 0x05, 0x20, 0x00);
	c = run(0, ops, 6, 0, 0); /* vendor-specific group */
	expect_sense(&c, 0x05, 0x20, 0x00);
	c = run(0, short_cdb, 6, 0, 512); /* READ(10) in a 6-byte CDB */
	expect_sense(&c, 0x05, 0x24, 0x00);
	c = run(0, fmt, 0, 0, 0);
	expect_sense(&c, 0x05, 0x20, 0x00);
	const uint8_t tur[6] = {0};
	c = run(7, tur, 6, 0, 0);
	expect_sense(&c, 0x05, 0x25, 0x00);
	const uint8_t rs[6] = {0x03, 0, 0, 0, 18, 0};
	c = run(7, rs, 6, 0, 18);
	CU_ASSERT_EQUAL(c.status, 0);
	CU_ASSERT_EQUAL(in_buf[2], 0x05);
	CU_ASSERT_EQUAL(in_buf[12], 0x25);
	down();
}

static char logged[512];
static void capture(void *ctx, const char *line)
{
	(void)ctx;
	snprintf(logged, sizeof logged, "%s", line);
}

static void test_backend_failure_is_medium_error(void)
{
	/* an image that shrinks under the disk: reads past its new end fail in the backend */
	const char *img = xtest_path("%s/shrinks.img", xtest_tmpdir());
	static uint8_t zero[8192];
	CU_ASSERT_EQUAL_FATAL(xtest_write(img, zero, sizeof zero), 0);
	char spec[512], *err = NULL;
	snprintf(spec, sizeof spec, "file:%s", img);
	struct hvb_disk *d = NULL;
	CU_ASSERT_EQUAL_FATAL(scsi_target_create("sn", 256, &T, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open(spec, false, &d, &err), 0);
	CU_ASSERT_EQUAL_FATAL(scsi_target_add(T, d, &err), 0);
	scsi_target_exec(T, 0, &(struct scsi_cmd){.cdb = (const uint8_t[6]){0}, .cdb_len = 6}, &X);
	CU_ASSERT_EQUAL(truncate(img, 4096), 0);
	hvb_set_log(capture, NULL);
	const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 12, 0, 0, 1, 0};
	struct scsi_cmd c = run(0, r10, 10, 0, 512);
	hvb_set_log(NULL, NULL);
	expect_sense(&c, 0x03, 0x11, 0x00);
	CU_ASSERT_PTR_NOT_NULL(strstr(logged, "scsi target: disk 'file:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(logged, "read 6144+512: pread: unexpected end of file"));
	CU_ASSERT_EQUAL(scsi_target_stats(T)->backend_errors, 1u);
	down();
}

/* The direct path: the transport hands the data over as iovecs of `piece` bytes each (never
 * merged), and the disk backend moves it itself. */
static uint32_t piece = 700;
static int iov_pieces(void *ctx, bool in, uint64_t off, uint64_t len, struct iovec *iov,
		      uint32_t max)
{
	(void)ctx;
	uint8_t *base = in ? in_buf : out_buf;
	if (off + len > sizeof in_buf)
		return -EFAULT;
	uint32_t n = 0;
	for (uint64_t at = 0; at < len; at += piece) {
		if (n == max)
			return -E2BIG;
		iov[n].iov_base = base + off + at;
		iov[n].iov_len = len - at < piece ? (size_t)(len - at) : piece;
		n++;
	}
	return (int)n;
}

static const struct scsi_xfer XV = {get_out, put_in, NULL, iov_pieces};

static int iov_far(void *ctx, bool in, uint64_t off, uint64_t len, struct iovec *iov, uint32_t max)
{
	(void)ctx, (void)in, (void)off, (void)len, (void)iov, (void)max;
	return -EFAULT; /* not mapped */
}

static struct scsi_cmd run_v(uint32_t lun, const uint8_t *cdb, uint32_t len, uint64_t out_len,
			     uint64_t in_cap)
{
	struct scsi_cmd c = {.cdb = cdb, .cdb_len = len, .out_len = out_len, .in_cap = in_cap};
	CU_ASSERT_EQUAL(scsi_target_exec(T, lun, &c, &XV), 0);
	return c;
}

static void test_direct_iovecs_and_the_copy_when_too_many(void)
{
	up(false);
	/* 64 KiB in 700-byte pieces (94 iovecs): written and read back directly */
	for (uint32_t i = 0; i < 65536; i++)
		out_buf[i] = (uint8_t)(i * 7 + (i >> 11));
	piece = 700;
	const uint8_t w10[10] = {0x2a, 0, 0, 0, 0, 16, 0, 0, 128, 0};
	struct scsi_cmd c = run_v(0, w10, 10, 65536, 0);
	CU_ASSERT_EQUAL(c.status, SCSI_STATUS_GOOD);
	memset(in_buf, 0, 65536);
	const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 16, 0, 0, 128, 0};
	c = run_v(0, r10, 10, 0, 65536);
	CU_ASSERT_EQUAL(c.status, SCSI_STATUS_GOOD);
	CU_ASSERT_EQUAL(c.in_len, 65536u);
	CU_ASSERT_EQUAL(memcmp(in_buf, out_buf, 65536), 0);
	CU_ASSERT_EQUAL(scsi_target_stats(T)->direct_bytes, 2u * 65536u);
	/* 64 KiB in 32-byte pieces: 2048 iovecs, more than a request may have: the target copies
	 * through its stage instead, with the same result */
	piece = 32;
	memset(in_buf, 0, 65536);
	const uint8_t r16[16] = {0x88, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 128, 0, 0};
	c = run_v(0, r16, 16, 0, 65536);
	CU_ASSERT_EQUAL(c.status, SCSI_STATUS_GOOD);
	CU_ASSERT_EQUAL(memcmp(in_buf, out_buf, 65536), 0);
	CU_ASSERT_EQUAL(scsi_target_stats(T)->direct_bytes, 2u * 65536u); /* copied, not direct */
	CU_ASSERT_EQUAL(scsi_target_stats(T)->bytes_read, 2u * 65536u);
	/* memory the transport cannot hand over: the command is abandoned with its error */
	piece = 700;
	const uint8_t r10_far[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0};
	struct scsi_cmd bad = {.cdb = r10_far, .cdb_len = 10, .in_cap = 512};
	fail_dma = 1; /* the copy callbacks fail too: nothing may reach the buffer either way */
	const struct scsi_xfer far = {get_out, put_in, NULL, iov_far};
	CU_ASSERT_EQUAL(scsi_target_exec(T, 0, &bad, &far), -EFAULT);
	fail_dma = 0;
	down();
}

/* The backend failing on the direct path is a MEDIUM ERROR, as on the copy path. */
static void test_direct_backend_failure_is_medium_error(void)
{
	const char *img = xtest_path("%s/shrinks2.img", xtest_tmpdir());
	static uint8_t zero[8192];
	CU_ASSERT_EQUAL_FATAL(xtest_write(img, zero, sizeof zero), 0);
	char spec[512], *err = NULL;
	snprintf(spec, sizeof spec, "file:%s", img);
	struct hvb_disk *d = NULL;
	CU_ASSERT_EQUAL_FATAL(scsi_target_create("sn", 256, &T, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open(spec, false, &d, &err), 0);
	CU_ASSERT_EQUAL_FATAL(scsi_target_add(T, d, &err), 0);
	scsi_target_exec(T, 0, &(struct scsi_cmd){.cdb = (const uint8_t[6]){0}, .cdb_len = 6}, &XV);
	CU_ASSERT_EQUAL(truncate(img, 4096), 0);
	hvb_set_log(capture, NULL);
	piece = 100;
	const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 6, 0, 0, 4, 0}; /* 3072..5120: past the end */
	struct scsi_cmd c = run_v(0, r10, 10, 0, 2048);
	hvb_set_log(NULL, NULL);
	expect_sense(&c, 0x03, 0x11, 0x00);
	CU_ASSERT_PTR_NOT_NULL(strstr(logged, "unexpected end of file"));
	CU_ASSERT_PTR_NOT_NULL(strstr(logged, "iovecs"));
	CU_ASSERT_EQUAL(scsi_target_stats(T)->backend_errors, 1u);
	CU_ASSERT_EQUAL(scsi_target_stats(T)->direct_bytes, 0u);
	down();
}

XTEST_SUITE(scsi_disk, NULL, NULL, XTEST(test_unit_attention_once_after_power_on_and_reset),
	    XTEST(test_inquiry_standard_and_vpd_pages), XTEST(test_read_capacity_10_and_16),
	    XTEST(test_read_write_10_16_and_ranges),
	    XTEST(test_write_to_read_only_disk_is_data_protect), XTEST(test_synchronize_cache),
	    XTEST(test_mode_sense_6_and_10), XTEST(test_report_luns),
	    XTEST(test_unsupported_opcodes_and_absent_luns),
	    XTEST(test_backend_failure_is_medium_error),
	    XTEST(test_direct_iovecs_and_the_copy_when_too_many),
	    XTEST(test_direct_backend_failure_is_medium_error))
