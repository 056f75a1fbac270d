// SPDX-License-Identifier: MIT
/*
 * The virtio_scsi sample driver end to end, in process: the signed package
 * (<build>/pkg/virtio_scsi.xdrv) is verified, JIT-compiled eagerly and lazily, and bound to the
 * virtio-scsi device model on the native backend with RAM disks and an image file made at test
 * time. It must find the disks (sda, sdb with the model's sizes), move data byte-identical in
 * both directions (also in transfers larger than the device's max_sectors), flush, fail a
 * write to a write-protected disk with the sense logged, retry the UNIT ATTENTION a host reset
 * leaves, pass raw CDBs through its SCSI host
 * with the target's sense data intact (a read past the end: ILLEGAL REQUEST, LBA OUT OF RANGE),
 * and release everything at unbind.
 */
#include "jit_rig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/abi.h>
#include <xdrv/hvb.h>
#include <xdrv/loader.h>
#include <xdrv/runtime.h>
#include <xdrv/virtio_scsi.h>

static int start(struct rig *r, uint32_t mode, const char *config,
		 const struct ldr_param_value *params, size_t nparams)
{
	return rig_start(r, "virtio_scsi.xdrv", mode, "virtio-scsi", config, params, nparams, NULL,
			 NULL);
}

static void pattern(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

/* Write `blocks` blocks of a pattern at `lba`, read them back, compare. */
static void roundtrip(struct ldr_blkdev *bd, uint64_t lba, uint32_t blocks, uint32_t seed)
{
	size_t len = (size_t)blocks * ldr_blk_block_size(bd);
	uint8_t *out = malloc(len), *in = calloc(1, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	pattern(out, len, seed);
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_blk_io(bd, XDRV_BLK_WRITE, lba, blocks, out, &err), 0);
	if (err)
		fprintf(stderr, "write: %s\n%s", err, logbuf);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(ldr_blk_io(bd, XDRV_BLK_READ, lba, blocks, in, &err), 0);
	free(err);
	CU_ASSERT(memcmp(out, in, len) == 0);
	free(out);
	free(in);
}

static void ram_roundtrip(uint32_t mode)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(start(&r, mode, "disk=ram:16M", NULL, 0), 0);
	struct ldr_blkdev *bd = ldr_driver_blkdev(r.drv, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	CU_ASSERT_STRING_EQUAL(ldr_blk_name(bd), "sda");
	CU_ASSERT_EQUAL(ldr_blk_block_size(bd), 512);
	CU_ASSERT_EQUAL(ldr_blk_num_blocks(bd), 16u * 2048u);
	CU_ASSERT_PTR_NULL(ldr_driver_blkdev(r.drv, 1));
	CU_ASSERT_PTR_NOT_NULL(ldr_driver_scsi_host(r.drv, 0));
	roundtrip(bd, 0, 1, 1);
	roundtrip(bd, 777, 64, 2);
	roundtrip(bd, 16u * 2048u - 8, 8, 3); /* the last blocks */
	/* 6 MiB: more than max_sectors (4096 sectors, 2 MiB) per command, so it is split */
	roundtrip(bd, 1000, 12288, 4);
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_blk_io(bd, XDRV_BLK_FLUSH, 0, 0, NULL, &err), 0);
	free(err);
	struct hvb_vscsi_stats vst;
	CU_ASSERT_EQUAL(hvb_vscsi_get_stats(r.dev, &vst), 0);
	CU_ASSERT(vst.writes >= 4 + 2); /* the 6 MiB write took at least three commands */
	CU_ASSERT(vst.flushes >= 1);
	CU_ASSERT_EQUAL(vst.needs_reset, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "sda: target 0 lun 0"));
	struct ldr_unbind_report rep;
	rig_stop(&r, &rep);
	CU_ASSERT_EQUAL(rep.mem_blocks, 0);
	CU_ASSERT_EQUAL(rep.coherent, 0);
	CU_ASSERT_EQUAL(rep.dma_maps, 0);
	CU_ASSERT_EQUAL(rep.blkdevs, 0);
	CU_ASSERT_EQUAL(rep.scsi_hosts, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "virtio_scsi: removed"));
}

static void test_ram_disk_eager_reads_back_what_it_wrote(void)
{
	ram_roundtrip(LDR_JIT_EAGER);
}

static void test_ram_disk_lazy_reads_back_what_it_wrote(void)
{
	ram_roundtrip(LDR_JIT_LAZY);
}

static void test_lazy_compiles_only_what_runs(void)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(start(&r, LDR_JIT_LAZY, "disk=ram:1M", NULL, 0), 0);
	CU_ASSERT(ldr_image_compiled_functions(r.img) < ldr_image_total_functions(r.img));
	struct ldr_unbind_report rep;
	rig_stop(&r, &rep);
}

static void test_image_file_write_flush_is_in_the_file(void)
{
	const char *img = xtest_path("%s/disk.img", xtest_tmpdir());
	size_t size = 1u << 20;
	uint8_t *zero = calloc(1, size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(zero);
	CU_ASSERT_EQUAL_FATAL(xtest_write(img, zero, size), 0);
	free(zero);
	char config[512];
	snprintf(config, sizeof config, "disk=file:%s", img);
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(start(&r, LDR_JIT_EAGER, config, NULL, 0), 0);
	struct ldr_blkdev *bd = ldr_driver_blkdev(r.drv, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	CU_ASSERT_EQUAL(ldr_blk_num_blocks(bd), 2048);
	uint8_t out[8 * 512], in[8 * 512];
	pattern(out, sizeof out, 7);
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_blk_io(bd, XDRV_BLK_WRITE, 100, 8, out, &err), 0);
	CU_ASSERT_EQUAL(ldr_blk_io(bd, XDRV_BLK_FLUSH, 0, 0, NULL, &err), 0);
	CU_ASSERT_EQUAL(ldr_blk_io(bd, XDRV_BLK_READ, 100, 8, in, &err), 0);
	free(err);
	CU_ASSERT(memcmp(out, in, sizeof out) == 0);
	/* what the driver flushed is in the file, at lba * 512 */
	size_t len = 0;
	uint8_t *file = xtest_read(img, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	CU_ASSERT_EQUAL(len, size);
	CU_ASSERT(memcmp(file + 100 * 512, out, sizeof out) == 0);
	free(file);
	struct ldr_unbind_report rep;
	rig_stop(&r, &rep);
}

static void test_two_disks_become_sda_and_sdb(void)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(start(&r, LDR_JIT_EAGER, "disk=ram:1M,disk=ram:2M", NULL, 0), 0);
	struct ldr_blkdev *a = ldr_driver_blkdev(r.drv, 0), *b = ldr_driver_blkdev(r.drv, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_STRING_EQUAL(ldr_blk_name(a), "sda");
	CU_ASSERT_STRING_EQUAL(ldr_blk_name(b), "sdb");
	CU_ASSERT_EQUAL(ldr_blk_num_blocks(a), 2048);
	CU_ASSERT_EQUAL(ldr_blk_num_blocks(b), 4096);
	roundtrip(b, 4000, 96, 9);
	/* sda was not touched by the write to sdb */
	uint8_t in[512], zero[512] = {0};
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_blk_io(a, XDRV_BLK_READ, 2047, 1, in, &err), 0);
	free(err);
	CU_ASSERT(memcmp(in, zero, sizeof in) == 0);
	struct ldr_unbind_report rep;
	rig_stop(&r, &rep);
}

/* READ(10) of one block at `lba` through the SCSI host. */
static int read10(struct rig *r, uint32_t lba, uint32_t *status, uint8_t *sense,
		  uint32_t *sense_len, char **err)
{
	uint8_t cdb[10] = {0x28,
			   0,
			   (uint8_t)(lba >> 24),
			   (uint8_t)(lba >> 16),
			   (uint8_t)(lba >> 8),
			   (uint8_t)lba,
			   0,
			   0,
			   1,
			   0};
	uint8_t buf[512];
	return ldr_scsi_exec(ldr_driver_scsi_host(r->drv, 0), 0, 0, cdb, sizeof cdb,
			     XDRV_SCSI_DIR_FROM_DEVICE, buf, sizeof buf, status, sense, sense_len,
			     err);
}

static void test_read_past_end_gets_illegal_request_lba_out_of_range(void)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(start(&r, LDR_JIT_EAGER, "disk=ram:1M", NULL, 0), 0);
	uint32_t status = 0, sense_len = 0, key, asc, ascq;
	uint8_t sense[XDRV_SCSI_SENSE_MAX];
	char *err = NULL;
	CU_ASSERT_EQUAL(read10(&r, 2047, &status, sense, &sense_len, &err), 0);
	CU_ASSERT_EQUAL(status, XDRV_SCSI_STATUS_GOOD); /* the last block is fine */
	CU_ASSERT_EQUAL(read10(&r, 2048, &status, sense, &sense_len, &err), 0);
	free(err);
	CU_ASSERT_EQUAL(status, XDRV_SCSI_STATUS_CHECK_CONDITION);
	CU_ASSERT_EQUAL(sense_len, 18);
	char text[200];
	ldr_scsi_sense_describe(sense, sense_len, &key, &asc, &ascq, text, sizeof text);
	CU_ASSERT_EQUAL(key, 0x5);
	CU_ASSERT_EQUAL(asc, 0x21);
	CU_ASSERT_EQUAL(ascq, 0x00);
	CU_ASSERT_STRING_EQUAL(text, "sense key 0x5 ILLEGAL REQUEST, ASC/ASCQ 0x21/0x00 LOGICAL "
				     "BLOCK ADDRESS OUT OF RANGE");
	/* the block layer does not even send such a request */
	uint8_t buf[512];
	err = NULL;
	CU_ASSERT_EQUAL(ldr_blk_io(ldr_driver_blkdev(r.drv, 0), XDRV_BLK_READ, 2048, 1, buf, &err),
			-ERANGE);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "sda: read lba 2048 count 1 beyond 2048") : NULL);
	free(err);
	struct ldr_unbind_report rep;
	rig_stop(&r, &rep);
}

static void test_write_to_protected_disk_fails_eio_and_logs_sense(void)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(start(&r, LDR_JIT_EAGER, "disk=ram:1M,ro=1", NULL, 0), 0);
	struct ldr_blkdev *bd = ldr_driver_blkdev(r.drv, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	uint8_t buf[512] = {1};
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_blk_io(bd, XDRV_BLK_WRITE, 5, 1, buf, &err), -EIO);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "driver status -5") : NULL);
	free(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "sda: write lba 5 count 1: CHECK CONDITION, sense "
					      "key 0x7 DATA PROTECT, asc/ascq 0x27/0x00 (WRITE "
					      "PROTECTED)"));
	err = NULL;
	CU_ASSERT_EQUAL(ldr_blk_io(bd, XDRV_BLK_READ, 5, 1, buf, &err), 0); /* reads still work */
	free(err);
	struct ldr_unbind_report rep;
	rig_stop(&r, &rep);
	CU_ASSERT_EQUAL(rep.dma_maps, 0);
}

static void test_raw_inquiry_and_absent_lun_through_scsi_host(void)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(start(&r, LDR_JIT_EAGER, "disk=ram:1M", NULL, 0), 0);
	struct ldr_scsi_host *h = ldr_driver_scsi_host(r.drv, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	uint8_t inq[6] = {0x12, 0, 0, 0, 96, 0}, data[96];
	uint32_t status = 0xff;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_scsi_exec(h, 0, 0, inq, 6, XDRV_SCSI_DIR_FROM_DEVICE, data, 96, &status,
				      NULL, NULL, &err),
			0);
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_EQUAL(data[0], 0x00); /* direct-access block device */
	CU_ASSERT_EQUAL(ldr_scsi_exec(h, 0, 3, inq, 6, XDRV_SCSI_DIR_FROM_DEVICE, data, 96, &status,
				      NULL, NULL, &err),
			0);
	CU_ASSERT_EQUAL(data[0], 0x7f); /* no unit on LUN 3 */
	free(err);
	struct ldr_unbind_report rep;
	rig_stop(&r, &rep);
}

static void test_queue_size_param_out_of_range_is_refused(void)
{
	char *err = NULL;
	struct ldr_ctx *ctx = NULL;
	struct ldr_image *img = NULL;
	struct ldr_config cfg = {.trust_root = xtest_path("%s/pki/root.pem", xtest_build_dir())};
	struct ldr_param_value p = {"queue_size", "2048"};
	CU_ASSERT_EQUAL_FATAL(ldr_ctx_create(&cfg, &ctx, &err), 0);
	CU_ASSERT(ldr_image_load_file(ctx, xtest_path("%s/pkg/virtio_scsi.xdrv", xtest_build_dir()),
				      &p, 1, &img, &err) < 0);
	CU_ASSERT_PTR_NULL(img);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "queue_size") : NULL);
	free(err);
	ldr_ctx_destroy(ctx);
}

static void test_small_queue_still_moves_data(void)
{
	struct rig r;
	struct ldr_param_value p = {"queue_size", "4"}; /* one command in flight */
	CU_ASSERT_EQUAL_FATAL(start(&r, LDR_JIT_EAGER, "disk=ram:4M", &p, 1), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "request queue of 4 entries (1 commands in flight)"));
	roundtrip(ldr_driver_blkdev(r.drv, 0), 10, 5000, 11);
	struct ldr_unbind_report rep;
	rig_stop(&r, &rep);
}

/* 16 requests in flight (ldr_blk_start), half with the host's bounce buffer and half read
 * into the caller's memory directly (LDR_BLK_NOCOPY), waited for in whatever order they
 * complete: every one completes once, with its own data, also when the driver can have only one
 * command on the device at a time and keeps the rest in its backlog. */
static void in_flight(const char *queue_size)
{
	struct rig r;
	struct ldr_param_value p = {"queue_size", queue_size};
	CU_ASSERT_EQUAL_FATAL(start(&r, LDR_JIT_EAGER, "disk=ram:4M", &p, 1), 0);
	struct ldr_blkdev *bd = ldr_driver_blkdev(r.drv, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	enum { N = 16, BLOCKS = 9 };
	size_t len = BLOCKS * 512;
	uint8_t *out = malloc(N * len), *in = calloc(N, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	struct ldr_blk_req *req[N] = {0};
	char *err = NULL;
	uint32_t k = 0;
	for (uint32_t i = 0; i < N; i++) {
		pattern(out + i * len, len, 100 + i);
		CU_ASSERT_EQUAL(ldr_blk_start(bd, XDRV_BLK_WRITE, 31 * i, BLOCKS, out + i * len,
					      i % 2 ? LDR_BLK_NOCOPY : 0, &req[i], &err),
				0);
	}
	for (uint32_t n = 0; n < N; n++) {
		CU_ASSERT_EQUAL(ldr_blk_wait(bd, req, N, &k, &err), 0);
		CU_ASSERT_FATAL(k < N);
		req[k] = NULL;
	}
	for (uint32_t i = 0; i < N; i++)
		CU_ASSERT_EQUAL(ldr_blk_start(bd, XDRV_BLK_READ, 31 * (N - 1 - i), BLOCKS,
					      in + (N - 1 - i) * len, i % 2 ? LDR_BLK_NOCOPY : 0,
					      &req[i], &err),
				0);
	bool seen[N] = {false};
	for (uint32_t n = 0; n < N; n++) {
		CU_ASSERT_EQUAL(ldr_blk_wait(bd, req, N, &k, &err), 0);
		CU_ASSERT_FATAL(k < N);
		CU_ASSERT_FALSE(seen[k]);
		seen[k] = true;
		req[k] = NULL;
	}
	CU_ASSERT_EQUAL(memcmp(out, in, N * len), 0);
	/* nothing left to wait for: a wait on no request times out at once, with a message */
	CU_ASSERT_EQUAL(ldr_blk_wait(bd, req, 0, &k, &err), -EINVAL);
	CU_ASSERT_EQUAL(k, UINT32_MAX);
	free(err);
	free(out);
	free(in);
	struct ldr_unbind_report rep;
	rig_stop(&r, &rep);
	CU_ASSERT_EQUAL(rep.mem_blocks, 0);
}

static void test_several_requests_in_flight_complete_with_their_data(void)
{
	in_flight("256");
	in_flight("4"); /* one command on the device, the rest in the driver's backlog */
}

static void test_host_reset_then_unit_attention_is_retried(void)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(start(&r, LDR_JIT_EAGER, "disk=ram:1M", NULL, 0), 0);
	struct ldr_blkdev *bd = ldr_driver_blkdev(r.drv, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	roundtrip(bd, 0, 4, 21);
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_scsi_reset(ldr_driver_scsi_host(r.drv, 0), &err), 0);
	free(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "host reset: resetting the device"));
	/* the reset left a UNIT ATTENTION: the first command gets it and is sent again */
	roundtrip(bd, 8, 4, 22);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "sda: retrying write lba 8 count 4: CHECK "
					      "CONDITION, sense key 0x6 UNIT ATTENTION"));
	struct hvb_vscsi_stats vst;
	CU_ASSERT_EQUAL(hvb_vscsi_get_stats(r.dev, &vst), 0);
	CU_ASSERT(vst.check_conditions >= 2); /* the TUR at probe and the write after reset */
	CU_ASSERT_EQUAL(vst.needs_reset, 0);
	struct ldr_unbind_report rep;
	rig_stop(&r, &rep);
	CU_ASSERT_EQUAL(rep.coherent, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "1 retries"));
}

XTEST_SUITE(virtio_scsi_driver, NULL, NULL, XTEST(test_ram_disk_eager_reads_back_what_it_wrote),
	    XTEST(test_ram_disk_lazy_reads_back_what_it_wrote),
	    XTEST(test_lazy_compiles_only_what_runs),
	    XTEST(test_image_file_write_flush_is_in_the_file),
	    XTEST(test_two_disks_become_sda_and_sdb),
	    XTEST(test_read_past_end_gets_illegal_request_lba_out_of_range),
	    XTEST(test_write_to_protected_disk_fails_eio_and_logs_sense),
	    XTEST(test_raw_inquiry_and_absent_lun_through_scsi_host),
	    XTEST(test_queue_size_param_out_of_range_is_refused),
	    XTEST(test_small_queue_still_moves_data),
	    XTEST(test_host_reset_then_unit_attention_is_retried),
	    XTEST(test_several_requests_in_flight_complete_with_their_data))
