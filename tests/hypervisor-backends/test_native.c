// SPDX-License-Identifier: MIT
/*
 * Tests for hypervisor-backends/native/native.c: register accesses reach the model directly,
 * DMA goes through the device's IOMMU (a model copies only between mapped bus ranges, in the
 * mapped direction, and an unmapped address faults at the device), unmap errors are errors,
 * destroying a device drops its mappings, and the backend takes no options.
 */
#include "../xtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xdrv/dma.h>
#include <xdrv/hvb.h>

/* testdev registers (models/testdev.c) */
#define TD_IRQ	  0x800
#define TD_SRC	  0x808
#define TD_DST	  0x810
#define TD_LEN	  0x818
#define TD_CMD	  0x81c
#define TD_STATUS 0x820

static struct hvb_backend *be;
static struct hvb_device *dev;

static void setup(void)
{
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_backend_create("native", NULL, &be, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_device_create(be, "testdev", NULL, &dev, &err), 0);
}

static void teardown(void)
{
	hvb_backend_destroy(be);
	be = NULL;
	dev = NULL;
}

static uint32_t dma(uint64_t src, uint64_t dst, uint32_t len, uint32_t cmd)
{
	hvb_reg_write(dev, 0, TD_SRC, 8, src);
	hvb_reg_write(dev, 0, TD_DST, 8, dst);
	hvb_reg_write(dev, 0, TD_LEN, 4, len);
	hvb_reg_write(dev, 0, TD_CMD, 4, cmd);
	return (uint32_t)hvb_reg_read(dev, 0, TD_STATUS, 4);
}

static void test_native_rejects_options(void)
{
	struct hvb_backend *b = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(hvb_backend_create("native", "fast=1", &b, &err), -EINVAL);
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_PTR_NOT_NULL(
		err ? strstr(err, "backend native: options 'fast=1': none are supported") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_backend_create("native", "", &b, &err), 0);
	hvb_backend_destroy(b);
}

static void test_register_access_goes_straight_to_model(void)
{
	setup();
	hvb_reg_write(dev, 0, 0x100, 4, 0xcafef00d);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 0x100, 4), 0xcafef00du);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 0x102, 2), 0xcafeu);
	teardown();
}

static void test_model_dma_copies_between_mappings(void)
{
	setup();
	char src[64] = "bytes that travel by DMA", dst[64] = {0};
	uint64_t bs = 0, bd = 0;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_dma_map(dev, src, sizeof src, XDRV_DMA_TO_DEVICE, &bs, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_dma_map(dev, dst, sizeof dst, XDRV_DMA_FROM_DEVICE, &bd, &err),
			      0);
	CU_ASSERT_EQUAL(hvb_dma_mapping_count(dev), 2);
	CU_ASSERT_EQUAL(dma(bs, bd, 25, 1), 1);
	CU_ASSERT_STRING_EQUAL(dst, "bytes that travel by DMA");
	/* into the device's scratch and back out */
	memset(dst, 0, sizeof dst);
	CU_ASSERT_EQUAL(dma(bs + 6, 0, 4, 2), 1);
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 0, 4), 0x74616874u); /* "that" little-endian */
	CU_ASSERT_EQUAL(dma(0, bd + 1, 4, 3), 1);
	CU_ASSERT_NSTRING_EQUAL(dst + 1, "that", 4);
	CU_ASSERT_EQUAL(hvb_dma_unmap(dev, bs, sizeof src), 0);
	CU_ASSERT_EQUAL(hvb_dma_unmap(dev, bd, sizeof dst), 0);
	CU_ASSERT_EQUAL(hvb_dma_mapping_count(dev), 0);
	teardown();
}

static void test_model_dma_to_unmapped_or_wrong_direction_faults(void)
{
	setup();
	char src[64] = "secret", dst[64] = {0};
	uint64_t bs = 0, bd = 0;
	char *err = NULL;
	hvb_set_log(NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(hvb_dma_map(dev, src, sizeof src, XDRV_DMA_TO_DEVICE, &bs, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_dma_map(dev, dst, sizeof dst, XDRV_DMA_FROM_DEVICE, &bd, &err),
			      0);
	CU_ASSERT_EQUAL(dma(bs, bd, 65, 1), 2);			     /* one byte too many */
	CU_ASSERT_EQUAL(dma(bd, bs, 8, 1), 2);			     /* directions swapped */
	CU_ASSERT_EQUAL(dma((uint64_t)(uintptr_t)src, bd, 8, 1), 2); /* a host pointer */
	CU_ASSERT_EQUAL(dma(bs, (uint64_t)(uintptr_t)dst, 8, 1), 2);
	CU_ASSERT_EQUAL(dma(UINT64_MAX - 3, bd, 8, 1), 2); /* bus + len wraps */
	CU_ASSERT_EQUAL(dma(bs, bd, 4096, 1), 3);	   /* over the engine's limit */
	CU_ASSERT_EQUAL(dst[0], 0);
	CU_ASSERT_EQUAL(hvb_dma_unmap(dev, bs, sizeof src), 0);
	CU_ASSERT_EQUAL(dma(bs, bd, 8, 1), 2); /* stale after unmap */
	CU_ASSERT_EQUAL(dst[0], 0);
	teardown();
}

static char native_log[2048];

static void native_capture(void *ctx, const char *line)
{
	(void)ctx;
	size_t n = strlen(native_log);
	snprintf(native_log + n, sizeof native_log - n, "%s\n", line);
}

/* Host memory behind a mapping that is taken away or write-protected after the map (a driver
 * that freed the buffer, say): the model's access is a DMA fault at the device, never a fault
 * of the host, whether the access starts outside any fault guard (here: the test calls the
 * model directly, as the event loop's wire pump does) or not. */
static void test_model_dma_into_memory_gone_since_the_map_faults_at_the_device(void)
{
	setup();
	native_log[0] = 0;
	hvb_set_log(native_capture, NULL);
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *mem = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(mem != MAP_FAILED);
	memset(mem, 0x5a, (size_t)pg * 2);
	uint64_t bsrc = 0, bdst = 0;
	char *err = NULL;
	/* the first page is written by the device, the second read */
	CU_ASSERT_EQUAL_FATAL(
		hvb_dma_map(dev, mem, (uint64_t)pg, XDRV_DMA_BIDIRECTIONAL, &bdst, &err), 0);
	CU_ASSERT_EQUAL_FATAL(
		hvb_dma_map(dev, mem + pg, (uint64_t)pg, XDRV_DMA_TO_DEVICE, &bsrc, &err), 0);
	CU_ASSERT_EQUAL(dma(bsrc, bdst, 64, 1), 1); /* both there: copied */
	/* read-only now: the device reads it, its writes fault at the device */
	CU_ASSERT_EQUAL_FATAL(mprotect(mem, (size_t)pg, PROT_READ), 0);
	CU_ASSERT_EQUAL(dma(bdst, 0, 64, 2), 1);
	CU_ASSERT_EQUAL(dma(0, bdst, 64, 3), 2);
	CU_ASSERT_EQUAL(mem[0], 0x5a);
	/* no access at all, then unmapped: the device's reads fault too */
	CU_ASSERT_EQUAL_FATAL(mprotect(mem, (size_t)pg, PROT_NONE), 0);
	CU_ASSERT_EQUAL(dma(bdst, 0, 64, 2), 2);
	CU_ASSERT_EQUAL_FATAL(munmap(mem + pg, (size_t)pg), 0);
	CU_ASSERT_EQUAL(dma(bsrc, 0, 64, 2), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(native_log, "testdev.0: guest error: DMA "));
	CU_ASSERT_PTR_NOT_NULL(strstr(native_log, "is not accessible in the host"));
	CU_ASSERT_EQUAL(hvb_dma_unmap(dev, bdst, (uint64_t)pg), 0);
	CU_ASSERT_EQUAL(hvb_dma_unmap(dev, bsrc, (uint64_t)pg), 0);
	munmap(mem, (size_t)pg);
	hvb_set_log(NULL, NULL);
	teardown();
}

static void test_dma_map_errors_name_the_device(void)
{
	setup();
	char buf[8];
	uint64_t b = 0;
	char *err = NULL;
	CU_ASSERT_EQUAL(hvb_dma_map(dev, buf, 0, XDRV_DMA_TO_DEVICE, &b, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(
		err ? strstr(err, "testdev.0: dma map of 0 bytes (dir 1): bad buffer, length")
		    : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_dma_map(dev, buf, 8, 7, &b, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "or direction") : NULL);
	free(err);
	teardown();
}

static void test_unmap_unknown_range_is_error_not_crash(void)
{
	setup();
	char buf[8];
	uint64_t b = 0;
	char *err = NULL;
	hvb_set_log(NULL, NULL);
	CU_ASSERT_EQUAL(hvb_dma_unmap(dev, 0x12345678, 8), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(hvb_dma_map(dev, buf, 8, XDRV_DMA_BIDIRECTIONAL, &b, &err), 0);
	CU_ASSERT_EQUAL(hvb_dma_unmap(dev, b, 9), -EINVAL);
	CU_ASSERT_EQUAL(hvb_dma_unmap(dev, b, 8), 0);
	CU_ASSERT_EQUAL(hvb_dma_unmap(dev, b, 8), -ENOENT);
	teardown();
}

static void test_destroying_device_unmaps_everything(void)
{
	setup();
	char *bufs[10];
	uint64_t b = 0;
	char *err = NULL;
	for (int i = 0; i < 10; i++) {
		bufs[i] = malloc(100);
		CU_ASSERT_EQUAL(hvb_dma_map(dev, bufs[i], 100, XDRV_DMA_BIDIRECTIONAL, &b, &err),
				0);
	}
	CU_ASSERT_EQUAL(hvb_dma_mapping_count(dev), 10);
	hvb_device_destroy(dev); /* LeakSanitizer checks the table went with it */
	dev = NULL;
	for (int i = 0; i < 10; i++)
		free(bufs[i]);
	teardown();
}

static void test_irq_from_model_register(void)
{
	setup();
	hvb_irq_unmask(dev, 1);
	hvb_reg_write(dev, 0, TD_IRQ, 1, 2);
	CU_ASSERT_TRUE(hvb_irq_pending(dev, 1));
	hvb_reg_write(dev, 0, TD_IRQ, 1, 0);
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 1));
	teardown();
}

XTEST_SUITE(hvb_native, NULL, NULL, XTEST(test_native_rejects_options),
	    XTEST(test_register_access_goes_straight_to_model),
	    XTEST(test_model_dma_copies_between_mappings),
	    XTEST(test_model_dma_to_unmapped_or_wrong_direction_faults),
	    XTEST(test_model_dma_into_memory_gone_since_the_map_faults_at_the_device),
	    XTEST(test_dma_map_errors_name_the_device),
	    XTEST(test_unmap_unknown_range_is_error_not_crash),
	    XTEST(test_destroying_device_unmaps_everything), XTEST(test_irq_from_model_register))
