// SPDX-License-Identifier: MIT
/*
 * Tests for hypervisor-backends/backend.c, the generic device layer: register accesses are
 * checked (region, range, width, alignment) before a model sees them, bad ones read all ones,
 * are counted and logged once; the interrupt controller's level, mask, pending and notify; the
 * error messages of backend and device creation. Uses the `testdev` model (two regions of
 * different widths, two interrupt lines).
 */
#include "../xtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/device.h>
#include <xdrv/hvb.h>

static char logbuf[8192];
static int loglines;

static void capture(void *ctx, const char *line)
{
	(void)ctx;
	size_t n = strlen(logbuf);
	snprintf(logbuf + n, sizeof logbuf - n, "%s\n", line);
	loglines++;
}

static struct hvb_backend *be;
static struct hvb_device *dev;

static void setup(const char *model)
{
	char *err = NULL;
	logbuf[0] = 0;
	loglines = 0;
	hvb_set_log(capture, NULL);
	CU_ASSERT_EQUAL_FATAL(hvb_backend_create("native", NULL, &be, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_device_create(be, model, NULL, &dev, &err), 0);
	CU_ASSERT_PTR_NULL(err);
}

static void teardown(void)
{
	hvb_backend_destroy(be);
	be = NULL;
	dev = NULL;
	hvb_set_log(NULL, NULL);
}

static void test_valid_access_reaches_model_at_every_width(void)
{
	setup("testdev");
	hvb_reg_write(dev, 0, 0x10, 8, 0x1122334455667788ull);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 0x10, 8), 0x1122334455667788ull);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 0x10, 4), 0x55667788u);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 0x14, 2), 0x3344u);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 0x17, 1), 0x11u);
	hvb_reg_write(dev, 1, 4, 4, 0xdeadbeef);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 1, 4, 4), 0xdeadbeefu);
	/* the last bytes of a region are inside it */
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 4096 - 8, 8), 0);
	CU_ASSERT_EQUAL(hvb_device_bad_accesses(dev), 0);
	CU_ASSERT_EQUAL(loglines, 0);
	teardown();
}

static void test_bad_region_reads_all_ones_and_is_counted(void)
{
	setup("testdev");
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 2, 0, 4), 0xffffffffu);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0xffffffffu, 0, 1), 0xffu);
	CU_ASSERT_EQUAL(hvb_device_bad_accesses(dev), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(
		logbuf, "testdev.0: guest error: read of 4 bytes at region 2: no such region"));
	CU_ASSERT_EQUAL(loglines, 1); /* logged once per kind */
	teardown();
}

static void test_out_of_range_access_rejected_without_overflow(void)
{
	setup("testdev");
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 4096, 8), UINT64_MAX);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 1, 8, 1), 0xffu);
	/* off + size wraps around: must still be out of range */
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, UINT64_MAX - 7, 8), UINT64_MAX);
	hvb_reg_write(dev, 0, UINT64_MAX - 3, 4, 1);
	CU_ASSERT_EQUAL(hvb_device_bad_accesses(dev), 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "outside the region (size 0x1000)"));
	teardown();
}

static void test_disallowed_width_is_rejected(void)
{
	setup("testdev");
	hvb_reg_write(dev, 1, 0, 4, 0x01020304);
	hvb_reg_write(dev, 1, 0, 8, UINT64_MAX); /* region 1 takes 1/2/4 only: dropped */
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 1, 0, 4), 0x01020304u);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 0, 3), 0xffffffu);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 0, 16), UINT64_MAX);
	CU_ASSERT_EQUAL(hvb_device_bad_accesses(dev), 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "width not allowed (allowed mask 0x7)"));
	teardown();
}

static void test_unaligned_access_is_rejected(void)
{
	setup("testdev");
	hvb_reg_write(dev, 0, 0, 8, 0);
	hvb_reg_write(dev, 0, 2, 4, 0xffffffff);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 0, 8), 0);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 1, 2), 0xffffu);
	CU_ASSERT_EQUAL(hvb_device_bad_accesses(dev), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "offset 0x2: not naturally aligned"));
	teardown();
}

static void test_guest_error_logged_once_per_key(void)
{
	setup("testdev");
	hvb_guest_error(dev, "k1", "first");
	hvb_guest_error(dev, "k1", "again");
	hvb_guest_error(dev, "k2", "second");
	CU_ASSERT_EQUAL(loglines, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "testdev.0: guest error: first"));
	CU_ASSERT_PTR_NULL(strstr(logbuf, "again"));
	/* many distinct keys: memory is bounded, one note says the rest are not logged */
	char key[16];
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof key, "x%d", i);
		hvb_guest_error(dev, key, key);
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "further kinds of guest error are not logged"));
	CU_ASSERT(loglines < 40);
	teardown();
}

static uint32_t notified[4];
static void on_irq(void *ctx, uint32_t line)
{
	CU_ASSERT_PTR_EQUAL(ctx, &notified);
	if (line < 4)
		notified[line]++;
}

static void test_irq_masked_at_creation_and_pending_needs_unmask(void)
{
	setup("testdev");
	hvb_reg_write(dev, 0, 0x800, 4, 1); /* the model asserts line 0 */
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 0));
	hvb_irq_unmask(dev, 0);
	CU_ASSERT_TRUE(hvb_irq_pending(dev, 0));
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 1));
	hvb_irq_mask(dev, 0);
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 0));
	hvb_irq_unmask(dev, 0);
	/* level-triggered: ack does not clear a line the device still drives */
	hvb_irq_ack(dev, 0);
	CU_ASSERT_TRUE(hvb_irq_pending(dev, 0));
	hvb_reg_write(dev, 0, 0x800, 4, 0);
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 0));
	teardown();
}

static void test_irq_notify_on_rising_edge_only(void)
{
	setup("testdev");
	memset(notified, 0, sizeof notified);
	hvb_irq_set_notify(dev, on_irq, &notified);
	hvb_reg_write(dev, 0, 0x800, 4, 2);
	hvb_reg_write(dev, 0, 0x800, 4, 2); /* still high: no new edge */
	CU_ASSERT_EQUAL(notified[1], 1);
	CU_ASSERT_EQUAL(notified[0], 0);
	hvb_reg_write(dev, 0, 0x800, 4, 3);
	hvb_reg_write(dev, 0, 0x800, 4, 0);
	hvb_reg_write(dev, 0, 0x800, 4, 2);
	CU_ASSERT_EQUAL(notified[0], 1);
	CU_ASSERT_EQUAL(notified[1], 2);
	hvb_irq_set_notify(dev, NULL, NULL);
	hvb_reg_write(dev, 0, 0x800, 4, 0);
	hvb_reg_write(dev, 0, 0x800, 4, 1);
	CU_ASSERT_EQUAL(notified[0], 1);
	teardown();
}

static void test_irq_line_outside_model_is_ignored(void)
{
	setup("testdev");
	hvb_irq_unmask(dev, 2);
	hvb_irq_unmask(dev, 1000);
	hvb_irq_set(dev, 2, true);
	hvb_irq_set(dev, 1000, true);
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 2));
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 1000));
	CU_ASSERT_FALSE(hvb_irq_pending(NULL, 0));
	teardown();
}

static void test_device_reset_lowers_lines_keeps_masks(void)
{
	setup("testdev");
	hvb_irq_unmask(dev, 0);
	hvb_reg_write(dev, 0, 0x800, 4, 1);
	hvb_reg_write(dev, 0, 0x20, 4, 0x1234);
	CU_ASSERT_TRUE(hvb_irq_pending(dev, 0));
	hvb_device_reset(dev);
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 0));
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 0x20, 4), 0);
	hvb_reg_write(dev, 0, 0x800, 4, 1);
	CU_ASSERT_TRUE(hvb_irq_pending(dev, 0)); /* still unmasked */
	teardown();
}

static void test_unknown_model_error_lists_known(void)
{
	char *err = NULL;
	struct hvb_device *d = (void *)1;
	setup("null");
	CU_ASSERT_EQUAL(hvb_device_create(be, "dp83821", NULL, &d, &err), -ENOENT);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_PTR_NOT_NULL(
		err ? strstr(err, "device model 'dp83821': unknown (known: uart16550") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_device_create(be, "uart16550", "baud=9600", &d, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "device uart16550: config 'baud': unknown key")
				   : NULL);
	free(err);
	teardown();
}

static void test_device_names_count_instances(void)
{
	char *err = NULL;
	struct hvb_device *d2 = NULL;
	setup("uart16550");
	CU_ASSERT_EQUAL(hvb_device_create(be, "uart16550", NULL, &d2, &err), 0);
	CU_ASSERT_STRING_EQUAL(hvb_device_name(dev), "uart16550.0");
	CU_ASSERT_STRING_EQUAL(hvb_device_name(d2), "uart16550.1");
	CU_ASSERT_PTR_EQUAL(hvb_device_model(d2), hvb_model_find("uart16550"));
	CU_ASSERT_PTR_NOT_NULL(hvb_device_state(d2));
	CU_ASSERT_STRING_EQUAL(hvb_backend_name(be), "native");
	hvb_device_destroy(d2); /* explicit destroy, then the backend destroys the other */
	hvb_device_destroy(NULL);
	teardown();
}

static void test_null_handles_are_harmless(void)
{
	CU_ASSERT_EQUAL(hvb_reg_read(NULL, 0, 0, 4), 0xffffffffu);
	hvb_reg_write(NULL, 0, 0, 4, 0);
	hvb_irq_mask(NULL, 0);
	hvb_irq_set(NULL, 0, true);
	hvb_guest_error(NULL, "k", "m");
	CU_ASSERT_EQUAL(hvb_device_bad_accesses(NULL), 0);
	CU_ASSERT_EQUAL(hvb_dma_unmap(NULL, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(hvb_dma_read(NULL, 0x10000000, logbuf, 1), -EFAULT);
	CU_ASSERT_PTR_NULL(hvb_device_model(NULL));
	hvb_backend_destroy(NULL);
}

XTEST_SUITE(hvb_backend, NULL, NULL, XTEST(test_valid_access_reaches_model_at_every_width),
	    XTEST(test_bad_region_reads_all_ones_and_is_counted),
	    XTEST(test_out_of_range_access_rejected_without_overflow),
	    XTEST(test_disallowed_width_is_rejected), XTEST(test_unaligned_access_is_rejected),
	    XTEST(test_guest_error_logged_once_per_key),
	    XTEST(test_irq_masked_at_creation_and_pending_needs_unmask),
	    XTEST(test_irq_notify_on_rising_edge_only),
	    XTEST(test_irq_line_outside_model_is_ignored),
	    XTEST(test_device_reset_lowers_lines_keeps_masks),
	    XTEST(test_unknown_model_error_lists_known), XTEST(test_device_names_count_instances),
	    XTEST(test_null_handles_are_harmless))
