// SPDX-License-Identifier: MIT
/*
 * Tests for loader/runtime_block.c with a natively compiled RAM disk (`ram_blk`) on the testdev
 * model. Reads complete inside submit, writes from the class poll, flushes from an interrupt,
 * so each completion path is taken. Covers write-then-read, range checks, medium errors,
 * submit failures, timeouts with a late completion, and registration checks.
 */
#include "test_runtime_fixture.h"

#include <errno.h>

#define TD_IRQ	 0x800u
#define BS	 512u
#define NBLK	 64u
#define BAD_LBA	 13u
#define HUNG_LBA 7u

static struct {
	xdrv_device_t *dev;
	xdrv_region_t *mmio;
	xdrv_blkdev_t *bd;
	uint8_t *disk;
	const struct xdrv_blk_req *deferred[8]; /* writes, completed by poll */
	uint32_t ndeferred;
	const struct xdrv_blk_req *flush, *hung;
	int release_hung, submit_busy;
	const void *seen_data;
	int reg_ok;
} B;

static int32_t ram_submit(xdrv_blkdev_t *bd, const struct xdrv_blk_req *req)
{
	if (B.submit_busy)
		return XDRV_EBUSY;
	B.seen_data = req->data;
	if (req->op == XDRV_BLK_FLUSH) {
		B.flush = req;
		xdrv_io_write32(B.mmio, TD_IRQ, 1);
		return XDRV_OK;
	}
	if (req->lba == HUNG_LBA) {
		B.hung = req;
		return XDRV_OK;
	}
	if (req->lba <= BAD_LBA && req->lba + req->count > BAD_LBA) {
		xdrv_blk_complete(bd, req, XDRV_EIO);
		return XDRV_OK;
	}
	if (req->op == XDRV_BLK_READ) {
		memcpy(req->data, B.disk + req->lba * BS, req->data_len);
		xdrv_blk_complete(bd, req, XDRV_OK);
		return XDRV_OK;
	}
	if (B.ndeferred == 8)
		return XDRV_EBUSY;
	B.deferred[B.ndeferred++] = req;
	return XDRV_OK;
}

static int32_t ram_poll(xdrv_blkdev_t *bd)
{
	for (uint32_t i = 0; i < B.ndeferred; i++) {
		const struct xdrv_blk_req *r = B.deferred[i];
		memcpy(B.disk + r->lba * BS, r->data, r->data_len);
		xdrv_blk_complete(bd, r, XDRV_OK);
	}
	B.ndeferred = 0;
	if (B.release_hung && B.hung) {
		xdrv_blk_complete(bd, B.hung, XDRV_OK);
		B.hung = NULL;
	}
	return XDRV_OK;
}

static uint32_t ram_irq(void *ctx)
{
	(void)ctx;
	xdrv_io_write32(B.mmio, TD_IRQ, 0);
	if (B.flush) {
		xdrv_blk_complete(B.bd, B.flush, XDRV_OK);
		B.flush = NULL;
	}
	return XDRV_IRQ_HANDLED;
}

static const struct xdrv_blk_ops ram_ops = {
	.struct_size = sizeof(struct xdrv_blk_ops),
	.submit = ram_submit,
	.poll = ram_poll,
};

static int32_t ram_probe(xdrv_device_t *dev)
{
	B.dev = dev;
	B.mmio = xdrv_dev_region(dev, 0);
	B.disk = xdrv_mem_alloc(BS * NBLK);
	B.bd = xdrv_blk_register(dev, &ram_ops, "ram0", BS, NBLK, &B);
	if (!B.disk || !B.bd)
		return XDRV_ENOMEM;
	/* registration checks */
	B.reg_ok = xdrv_blk_register(dev, &ram_ops, "Bad", BS, NBLK, NULL) == NULL;
	B.reg_ok &= xdrv_blk_register(dev, &ram_ops, "x", 1000, NBLK, NULL) == NULL;
	B.reg_ok &= xdrv_blk_register(dev, &ram_ops, "x", BS, 0, NULL) == NULL;
	B.reg_ok &= xdrv_blk_register(dev, &ram_ops, "x", 65536, UINT64_MAX / 1024, NULL) == NULL;
	B.reg_ok &= xdrv_blk_register(dev, NULL, "x", BS, NBLK, NULL) == NULL;
	B.reg_ok &= xdrv_blk_priv(B.bd) == &B;
	return xdrv_irq_request(dev, 0, ram_irq, NULL);
}

static void ram_remove(xdrv_device_t *dev)
{
	xdrv_irq_free(dev, 0);
	xdrv_blk_unregister(B.bd);
	xdrv_mem_free(B.disk);
}

static const struct xdrv_match ram_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,testdev"},
	{.bus = 0},
};

static const struct xdrv_driver ram_blk_driver = {
	.magic = XDRV_DRIVER_MAGIC,
	.abi_version = XDRV_ABI_VERSION,
	.struct_size = sizeof(struct xdrv_driver),
	.name = "ram_blk",
	.version = "1.0.0",
	.match = ram_match,
	.probe = ram_probe,
	.remove = ram_remove,
};

static struct rtf_dev F;

static struct ldr_blkdev *setup(struct ldr_driver **drv)
{
	memset(&B, 0, sizeof B);
	F = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_bind_opts o = {.io_timeout_ms = 200};
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_driver_bind(&ram_blk_driver, F.dev, &o, drv, &err), 0);
	struct ldr_blkdev *bd = ldr_driver_blkdev(*drv, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	return bd;
}

static void teardown(struct ldr_driver *drv)
{
	ldr_driver_unbind(drv);
	rtf_dev_destroy(&F);
	ldr_runtime_set_log(NULL, NULL);
}

/* Check a status and, if text is not NULL, that the message contains it; frees the message. */
static void check_io(int rc, char *err, int code, const char *text)
{
	CU_ASSERT_EQUAL(rc, code);
	if (text) {
		CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, text) : NULL);
		if (err && !strstr(err, text))
			fprintf(stderr, "\n  message: %s\n", err);
	}
	free(err);
}

#define EXPECT_IO(call, code, text)                                                                \
	do {                                                                                       \
		char *e_ = NULL;                                                                   \
		int rc_ = call;                                                                    \
		check_io(rc_, e_, code, text);                                                     \
	} while (0)

static void test_write_then_read_back_returns_the_data(void)
{
	struct ldr_driver *drv;
	struct ldr_blkdev *bd = setup(&drv);
	CU_ASSERT(B.reg_ok);
	CU_ASSERT_STRING_EQUAL(ldr_blk_name(bd), "ram0");
	CU_ASSERT_EQUAL(ldr_blk_block_size(bd), BS);
	CU_ASSERT_EQUAL(ldr_blk_num_blocks(bd), NBLK);
	static uint8_t out[4 * BS], in[4 * BS];
	for (size_t i = 0; i < sizeof out; i++)
		out[i] = (uint8_t)(i * 13 + 5);
	EXPECT_IO(ldr_blk_io(bd, XDRV_BLK_WRITE, 20, 4, out, &e_), 0, NULL);
	CU_ASSERT(B.seen_data != out); /* the driver sees a bounce buffer, not the caller's */
	EXPECT_IO(ldr_blk_io(bd, XDRV_BLK_READ, 20, 4, in, &e_), 0, NULL);
	CU_ASSERT(memcmp(in, out, sizeof in) == 0);
	EXPECT_IO(ldr_blk_io(bd, XDRV_BLK_READ, 21, 1, in, &e_), 0, NULL);
	CU_ASSERT(memcmp(in, out + BS, BS) == 0);
	EXPECT_IO(ldr_blk_io(bd, XDRV_BLK_WRITE, NBLK - 1, 1, out, &e_), 0, NULL);
	EXPECT_IO(ldr_blk_io(bd, XDRV_BLK_FLUSH, 0, 0, NULL, &e_), 0, NULL); /* by interrupt */
	CU_ASSERT_EQUAL(rtf_log.lines, 5); /* the five refused registrations in probe */
	teardown(drv);
}

static void test_io_outside_the_disk_or_malformed_is_refused(void)
{
	struct ldr_driver *drv;
	struct ldr_blkdev *bd = setup(&drv);
	uint8_t buf[2 * BS];
	EXPECT_IO(ldr_blk_io(bd, XDRV_BLK_READ, NBLK - 1, 2, buf, &e_), -ERANGE,
		  "ram0: read lba 63 count 2 beyond 64 blocks");
	EXPECT_IO(ldr_blk_io(bd, XDRV_BLK_READ, UINT64_MAX, 1, buf, &e_), -ERANGE, "beyond");
	EXPECT_IO(ldr_blk_io(bd, XDRV_BLK_WRITE, 0, 0, buf, &e_), -EINVAL, "write of 0 blocks");
	EXPECT_IO(ldr_blk_io(bd, XDRV_BLK_READ, 0, 1, NULL, &e_), -EINVAL, "without a buffer");
	EXPECT_IO(ldr_blk_io(bd, 9, 0, 1, buf, &e_), -EINVAL, "ram0: unknown operation 9");
	EXPECT_IO(ldr_blk_io(NULL, XDRV_BLK_READ, 0, 1, buf, &e_), -ENODEV, "not registered");
	teardown(drv);
}

static void test_medium_error_and_submit_failure_return_the_driver_status(void)
{
	struct ldr_driver *drv;
	struct ldr_blkdev *bd = setup(&drv);
	uint8_t buf[4 * BS];
	EXPECT_IO(ldr_blk_io(bd, XDRV_BLK_READ, 12, 4, buf, &e_), XDRV_EIO,
		  "ram0: read lba 12 count 4: driver status -5 (EIO)");
	B.submit_busy = 1;
	EXPECT_IO(ldr_blk_io(bd, XDRV_BLK_WRITE, 0, 1, buf, &e_), XDRV_EBUSY,
		  "ram0: write lba 0: submit failed: -16 (EBUSY)");
	teardown(drv);
}

static void test_timeout_abandons_the_request_and_a_late_completion_is_safe(void)
{
	struct ldr_driver *drv;
	struct ldr_blkdev *bd = setup(&drv);
	uint8_t buf[BS];
	uint64_t t0 = xdrv_time_ns();
	EXPECT_IO(ldr_blk_io(bd, XDRV_BLK_READ, HUNG_LBA, 1, buf, &e_), -ETIMEDOUT,
		  "ram0: read lba 7: no completion within 200 ms");
	CU_ASSERT(xdrv_time_ns() - t0 >= 200000000ull);
	/* the driver completes it later, writing into the host's bounce buffer, not into buf */
	B.release_hung = 1;
	EXPECT_IO(ldr_blk_io(bd, XDRV_BLK_READ, 0, 1, buf, &e_), 0, NULL);
	ldr_driver_dispatch(drv);
	CU_ASSERT(rtf_logged("ram0 request 1 completed after the host gave up"));
	/* a bogus request pointer is logged and ignored */
	B.release_hung = 0;
	EXPECT_IO(ldr_blk_io(bd, XDRV_BLK_READ, HUNG_LBA, 1, buf, &e_), -ETIMEDOUT, NULL);
	teardown(drv); /* the second abandoned request is freed at unbind (ASan checks) */
}

static int32_t bogus_probe(xdrv_device_t *dev)
{
	xdrv_blkdev_t *bd = xdrv_blk_register(dev, &ram_ops, "ram1", BS, NBLK, NULL);
	struct xdrv_blk_req fake = {0};
	xdrv_blk_complete(bd, &fake, XDRV_OK);
	return XDRV_OK;
}

static void test_completion_of_an_unknown_request_is_ignored(void)
{
	struct xdrv_driver d = ram_blk_driver;
	d.probe = bogus_probe;
	d.remove = NULL;
	F = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *drv = rtf_bind(&d, &F);
	CU_ASSERT(rtf_logged("xdrv_blk_complete:"));
	CU_ASSERT(rtf_logged("is not an outstanding request of ram1; ignored"));
	struct ldr_unbind_report rep;
	ldr_driver_unbind_report(drv, &rep);
	CU_ASSERT_EQUAL(rep.blkdevs, 1);
	rtf_dev_destroy(&F);
	ldr_runtime_set_log(NULL, NULL);
}

XTEST_SUITE(loader_runtime_block, NULL, NULL, XTEST(test_write_then_read_back_returns_the_data),
	    XTEST(test_io_outside_the_disk_or_malformed_is_refused),
	    XTEST(test_medium_error_and_submit_failure_return_the_driver_status),
	    XTEST(test_timeout_abandons_the_request_and_a_late_completion_is_safe),
	    XTEST(test_completion_of_an_unknown_request_is_ignored))
