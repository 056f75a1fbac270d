// SPDX-License-Identifier: MIT
/*
 * Tests for loader/runtime_device.c on the `testdev` model (scratch RAM, register-driven
 * interrupt lines, a DMA engine): device identity and regions, register access by width,
 * interrupt delivery through ldr_driver_dispatch with mask/unmask/ack, and DMA buffers and
 * mappings, tracked and released at unbind; a map of host memory that is not there, or not
 * there with the access the device needs, is refused, and memory that goes away after the map
 * is a DMA fault of the device, never a fault of the host.
 */
#include "test_runtime_fixture.h"

#include "../../loader/runtime_priv.h"

#include <sys/mman.h>
#include <unistd.h>

#define TD_IRQ	  0x800u
#define TD_SRC	  0x808u
#define TD_DST	  0x810u
#define TD_LEN	  0x818u
#define TD_CMD	  0x81cu
#define TD_STATUS 0x820u

/* ---- the test driver ------------------------------------------------------------------------ */

static struct {
	xdrv_device_t *dev;
	xdrv_region_t *mmio, *pio;
	void (*probe_hook)(void);
	void (*doorbell)(void); /* run in driver context when line 1 fires */
	uint32_t irq0_count, irq0_clear_after, irq0_ret, irq0_ack;
	int request_lines;
} T;

static void clear_line(uint32_t line)
{
	uint32_t v = xdrv_io_read32(T.mmio, TD_IRQ);
	xdrv_io_write32(T.mmio, TD_IRQ, v & ~(1u << line));
}

static uint32_t irq0(void *ctx)
{
	(void)ctx;
	T.irq0_count++;
	if (T.irq0_count >= T.irq0_clear_after)
		clear_line(0);
	if (T.irq0_ack)
		xdrv_irq_ack(T.dev, 0);
	return T.irq0_ret;
}

static uint32_t irq1(void *ctx)
{
	(void)ctx;
	if (T.doorbell)
		T.doorbell();
	clear_line(1);
	return XDRV_IRQ_HANDLED;
}

static int32_t dev_probe(xdrv_device_t *dev)
{
	T.dev = dev;
	T.mmio = xdrv_dev_region(dev, 0);
	T.pio = xdrv_dev_region(dev, 1);
	if (T.request_lines) {
		if (xdrv_irq_request(dev, 0, irq0, NULL) || xdrv_irq_request(dev, 1, irq1, NULL))
			return XDRV_EIO;
	}
	if (T.probe_hook)
		T.probe_hook();
	return XDRV_OK;
}

static const struct xdrv_match dev_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,testdev"},
	{.bus = 0},
};

static const struct xdrv_driver dev_test_driver = {
	.magic = XDRV_DRIVER_MAGIC,
	.abi_version = XDRV_ABI_VERSION,
	.struct_size = sizeof(struct xdrv_driver),
	.name = "dev_test",
	.version = "1.0.0",
	.match = dev_match,
	.probe = dev_probe,
};

static struct rtf_dev F;

static struct ldr_driver *setup(void (*hook)(void), int request_lines)
{
	memset(&T, 0, sizeof T);
	T.probe_hook = hook;
	T.request_lines = request_lines;
	T.irq0_clear_after = 1;
	T.irq0_ret = XDRV_IRQ_HANDLED;
	F = rtf_dev_create("testdev");
	rtf_log_reset();
	return rtf_bind(&dev_test_driver, &F);
}

static void teardown(struct ldr_driver *drv)
{
	ldr_driver_unbind(drv);
	rtf_dev_destroy(&F);
}

static void raise_lines(uint32_t bits)
{
	uint32_t v = (uint32_t)hvb_reg_read(F.dev, 0, TD_IRQ, 4);
	hvb_reg_write(F.dev, 0, TD_IRQ, 4, v | bits);
}

/* ---- identity and registers ------------------------------------------------------------- */

static int ok;

static void hook_info(void)
{
	struct xdrv_device_info info;
	memset(&info, 0xff, sizeof info);
	ok = xdrv_dev_info(T.dev, &info) == XDRV_OK;
	ok &= info.bus == XDRV_BUS_PLATFORM && info.num_regions == 2 && info.num_irqs == 2;
	for (int i = 0; i < 7; i++)
		ok &= info.reserved[i] == 0;
	ok &= xdrv_region_kind(T.mmio) == XDRV_REGION_MMIO && xdrv_region_size(T.mmio) == 4096;
	ok &= xdrv_region_kind(T.pio) == XDRV_REGION_PIO && xdrv_region_size(T.pio) == 8;
	ok &= xdrv_dev_region(T.dev, 2) == NULL;
	ok &= xdrv_dev_info(T.dev, NULL) == XDRV_EINVAL;
	static int priv;
	xdrv_dev_set_priv(T.dev, &priv);
	ok &= xdrv_dev_priv(T.dev) == &priv;
}

static void test_dev_info_and_regions_describe_the_model(void)
{
	struct ldr_driver *drv = setup(hook_info, 0);
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(rtf_log.lines, 2);
	CU_ASSERT(rtf_logged("xdrv_dev_region: no region 2 (device has 2)"));
	teardown(drv);
}

static void hook_io(void)
{
	xdrv_io_write8(T.mmio, 0, 0x11);
	xdrv_io_write16(T.mmio, 2, 0x2233);
	xdrv_io_write32(T.mmio, 4, 0x44556677);
	xdrv_io_write64(T.mmio, 8, 0x8899aabbccddeeffull);
	ok = xdrv_io_read8(T.mmio, 0) == 0x11 && xdrv_io_read16(T.mmio, 2) == 0x2233 &&
	     xdrv_io_read32(T.mmio, 4) == 0x44556677 &&
	     xdrv_io_read64(T.mmio, 8) == 0x8899aabbccddeeffull;
	ok &= xdrv_io_read32(T.mmio, 0) == 0x22330011;
	xdrv_io_write32(T.pio, 4, 0xcafef00d);
	ok &= xdrv_io_read16(T.pio, 6) == 0xcafe;
	/* a width the region does not take, an offset past its end: all ones, as a master abort */
	ok &= xdrv_io_read64(T.pio, 0) == ~0ull;
	ok &= xdrv_io_read32(T.mmio, 4096) == 0xffffffffu;
}

static void test_io_reaches_the_model_at_every_width(void)
{
	struct ldr_driver *drv = setup(hook_io, 0);
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(hvb_reg_read(F.dev, 0, 4, 4), 0x44556677);
	CU_ASSERT_EQUAL(hvb_device_bad_accesses(F.dev), 2);
	teardown(drv);
}

/* ---- interrupts ------------------------------------------------------------------------- */

static void test_irq_is_delivered_until_the_device_lowers_the_line(void)
{
	struct ldr_driver *drv = setup(NULL, 1);
	CU_ASSERT_EQUAL(ldr_driver_dispatch(drv), 0);
	T.irq0_clear_after = 2; /* level-triggered: a line left high fires again */
	raise_lines(1);
	CU_ASSERT_EQUAL(ldr_driver_dispatch(drv), 1);
	CU_ASSERT_EQUAL(T.irq0_count, 1);
	CU_ASSERT_EQUAL(ldr_driver_dispatch(drv), 1);
	CU_ASSERT_EQUAL(T.irq0_count, 2);
	CU_ASSERT_EQUAL(ldr_driver_dispatch(drv), 0);
	/* a driver that acks itself is not acked twice (and nothing breaks) */
	T.irq0_ack = 1;
	raise_lines(1);
	CU_ASSERT_EQUAL(rtf_run(drv, 10), 1);
	CU_ASSERT_EQUAL(T.irq0_count, 3);
	CU_ASSERT_EQUAL(rtf_log.lines, 0);
	teardown(drv);
}

static void door_mask0(void)
{
	xdrv_irq_mask(T.dev, 0);
}

static void door_unmask0(void)
{
	xdrv_irq_unmask(T.dev, 0);
}

static void test_irq_mask_holds_delivery_and_unmask_resumes_it(void)
{
	struct ldr_driver *drv = setup(NULL, 1);
	T.doorbell = door_mask0;
	raise_lines(2);
	CU_ASSERT_EQUAL(rtf_run(drv, 10), 1);
	raise_lines(1);
	CU_ASSERT_EQUAL(ldr_driver_dispatch(drv), 0);
	CU_ASSERT_EQUAL(T.irq0_count, 0);
	CU_ASSERT(!hvb_irq_pending(F.dev, 0));
	T.doorbell = door_unmask0;
	raise_lines(2);
	CU_ASSERT_EQUAL(rtf_run(drv, 10), 2); /* the doorbell, then the held line */
	CU_ASSERT_EQUAL(T.irq0_count, 1);
	teardown(drv);
}

static int32_t req_rc[5];

static void hook_irq_requests(void)
{
	req_rc[0] = xdrv_irq_request(T.dev, 2, irq0, NULL);
	req_rc[1] = xdrv_irq_request(T.dev, 0, irq0, NULL);
	req_rc[2] = xdrv_irq_request(T.dev, 0, irq0, NULL);
	req_rc[3] = xdrv_irq_request(T.dev, 1, NULL, NULL);
	xdrv_irq_free(T.dev, 0);
	req_rc[4] = xdrv_irq_request(T.dev, 1, irq1, NULL);
}

static void test_irq_request_rejects_bad_line_busy_line_and_null_handler(void)
{
	struct ldr_driver *drv = setup(hook_irq_requests, 0);
	CU_ASSERT_EQUAL(req_rc[0], XDRV_EINVAL);
	CU_ASSERT_EQUAL(req_rc[1], XDRV_OK);
	CU_ASSERT_EQUAL(req_rc[2], XDRV_EBUSY);
	CU_ASSERT_EQUAL(req_rc[3], XDRV_EINVAL);
	CU_ASSERT_EQUAL(req_rc[4], XDRV_OK);
	CU_ASSERT(rtf_logged("xdrv_irq_request: no interrupt line 2 (device has 2)"));
	CU_ASSERT(rtf_logged("xdrv_irq_request: NULL handler for line 1"));
	/* line 0 was freed: no delivery */
	raise_lines(1);
	CU_ASSERT_EQUAL(ldr_driver_dispatch(drv), 0);
	CU_ASSERT_EQUAL(T.irq0_count, 0);
	struct ldr_unbind_report rep;
	ldr_driver_unbind_report(drv, &rep);
	CU_ASSERT_EQUAL(rep.irqs, 1); /* line 1, never freed */
	rtf_dev_destroy(&F);
}

static void test_irq_storm_of_unhandled_interrupts_is_masked(void)
{
	struct ldr_driver *drv = setup(NULL, 1);
	T.irq0_clear_after = UINT32_MAX;
	T.irq0_ret = XDRV_IRQ_NONE;
	raise_lines(1);
	int n = 0;
	while (n < 200000 && ldr_driver_dispatch(drv) > 0)
		n++;
	CU_ASSERT_EQUAL(n, 100000);
	CU_ASSERT_EQUAL(rtf_log.lines, 1);
	CU_ASSERT(rtf_logged("interrupt line 0: 100000 unhandled interrupts in a row; masked"));
	teardown(drv);
}

/* ---- DMA -------------------------------------------------------------------------------- */

static uint8_t *coh, *buf;
static uint64_t coh_bus, buf_bus;
static uint32_t dma_status;

static void dma_copy(uint64_t src, uint64_t dst, uint32_t len)
{
	xdrv_io_write64(T.mmio, TD_SRC, src);
	xdrv_io_write64(T.mmio, TD_DST, dst);
	xdrv_io_write32(T.mmio, TD_LEN, len);
	xdrv_io_write32(T.mmio, TD_CMD, 1);
	dma_status = xdrv_io_read32(T.mmio, TD_STATUS);
}

static void hook_dma_setup(void)
{
	coh = xdrv_dma_alloc_coherent(T.dev, 4096, &coh_bus);
	buf = xdrv_mem_alloc(64);
	for (int i = 0; buf && i < 64; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	ok = coh && buf && xdrv_dma_map(T.dev, buf, 64, XDRV_DMA_TO_DEVICE, &buf_bus) == XDRV_OK;
	if (!ok)
		return;
	xdrv_dma_sync_for_device(T.dev, buf_bus, 64, XDRV_DMA_TO_DEVICE);
	dma_copy(buf_bus, coh_bus + 128, 64);
	xdrv_dma_sync_for_cpu(T.dev, coh_bus + 128, 64, XDRV_DMA_BIDIRECTIONAL);
	ok &= memcmp(coh + 128, buf, 64) == 0;
	for (int i = 0; i < 128; i++)
		ok &= coh[i] == 0;
}

static void door_dma_release(void)
{
	xdrv_dma_unmap(T.dev, buf_bus, 64, XDRV_DMA_TO_DEVICE);
	xdrv_dma_free_coherent(T.dev, coh, 4096, coh_bus);
	xdrv_mem_free(buf);
	xdrv_irq_free(T.dev, 0);
	xdrv_irq_free(T.dev, 1); /* from its own handler: allowed */
}

static void test_dma_engine_copies_between_mapped_buffers(void)
{
	struct ldr_driver *drv = setup(hook_dma_setup, 1);
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(dma_status, 1);
	CU_ASSERT(coh_bus != (uint64_t)(uintptr_t)coh);
	CU_ASSERT((uintptr_t)coh % 4096 == 0);
	CU_ASSERT_EQUAL(ldr_driver_dma_in_use(drv), 2);
	CU_ASSERT_EQUAL(hvb_dma_mapping_count(F.dev), 2);
	T.doorbell = door_dma_release;
	raise_lines(2);
	rtf_run(drv, 10);
	CU_ASSERT_EQUAL(ldr_driver_dma_in_use(drv), 0);
	CU_ASSERT_EQUAL(hvb_dma_mapping_count(F.dev), 0);
	CU_ASSERT_EQUAL(ldr_driver_mem_in_use(drv), 0);
	CU_ASSERT_EQUAL(rtf_log.lines, 0);
	teardown(drv);
	CU_ASSERT_EQUAL(rtf_log.lines, 0); /* nothing left to release */
}

static void door_dma_to_unmapped(void)
{
	dma_copy(buf_bus, 0xdead0000ull, 64);
}

static void test_dma_to_an_unmapped_address_faults_at_the_device(void)
{
	struct ldr_driver *drv = setup(hook_dma_setup, 1);
	T.doorbell = door_dma_to_unmapped;
	raise_lines(2);
	rtf_run(drv, 10);
	CU_ASSERT_EQUAL(dma_status, 2);
	teardown(drv);
}

static void test_dma_held_at_unbind_is_released(void)
{
	struct ldr_driver *drv = setup(hook_dma_setup, 1);
	struct ldr_unbind_report rep;
	ldr_driver_unbind_report(drv, &rep);
	CU_ASSERT_EQUAL(rep.coherent, 1);
	CU_ASSERT_EQUAL(rep.dma_maps, 1);
	CU_ASSERT_EQUAL(rep.dma_bytes, 4096 + 64);
	CU_ASSERT_EQUAL(rep.mem_blocks, 1);
	CU_ASSERT_EQUAL(rep.irqs, 2);
	CU_ASSERT_EQUAL(hvb_dma_mapping_count(F.dev), 0);
	CU_ASSERT(rtf_logged("4096 + 64") || rtf_logged("1 coherent buffers and 1 DMA mappings "
							"(4160 bytes)"));
	rtf_dev_destroy(&F);
}

static int lines_ok;

static void door_dma_misuse(void)
{
	int n = rtf_log.lines;
	uint64_t bus = 0;
	static uint8_t other[64];
	xdrv_dma_free_coherent(T.dev, other, 4096, coh_bus);
	lines_ok = rtf_log.lines == ++n;
	xdrv_dma_free_coherent(T.dev, coh, 4096, coh_bus + 4096);
	lines_ok &= rtf_log.lines == ++n;
	xdrv_dma_unmap(T.dev, 0x123000, 64, XDRV_DMA_TO_DEVICE);
	lines_ok &= rtf_log.lines == ++n;
	xdrv_dma_sync_for_cpu(T.dev, 0x123000, 64, XDRV_DMA_FROM_DEVICE);
	lines_ok &= rtf_log.lines == ++n;
	xdrv_dma_sync_for_cpu(T.dev, buf_bus, 65, XDRV_DMA_FROM_DEVICE); /* longer than mapped */
	lines_ok &= rtf_log.lines == ++n;
	lines_ok &= xdrv_dma_map(T.dev, other, 64, 7, &bus) == XDRV_EINVAL;
	lines_ok &= rtf_log.lines == ++n;
	lines_ok &= xdrv_dma_map(T.dev, other, 0, XDRV_DMA_TO_DEVICE, &bus) == XDRV_EINVAL;
	lines_ok &= rtf_log.lines == ++n;
	/* a host range that wraps the address space (never dereferenced: refused first) */
	lines_ok &= xdrv_dma_map(T.dev, (void *)(UINTPTR_MAX - 4095), 8192, XDRV_DMA_TO_DEVICE,
				 &bus) == XDRV_EINVAL;
	lines_ok &= rtf_log.lines == ++n;
	lines_ok &= xdrv_dma_alloc_coherent(T.dev, 0, &bus) == NULL;
	lines_ok &= rtf_log.lines == ++n;
	lines_ok &= xdrv_dma_alloc_coherent(T.dev, 1ull << 40, &bus) == NULL;
	lines_ok &= rtf_log.lines == ++n;
	/* a size mismatch frees the allocation anyway, with a warning */
	xdrv_dma_free_coherent(T.dev, coh, 100, coh_bus);
	lines_ok &= rtf_log.lines == ++n;
}

static void test_dma_misuse_is_logged_once_and_ignored(void)
{
	struct ldr_driver *drv = setup(hook_dma_setup, 1);
	T.doorbell = door_dma_misuse;
	raise_lines(2);
	rtf_run(drv, 10);
	CU_ASSERT(lines_ok);
	CU_ASSERT(rtf_logged("is not a coherent buffer of this driver; ignored"));
	CU_ASSERT(rtf_logged("xdrv_dma_unmap: bus 0x123000 is not a mapping of this driver"));
	CU_ASSERT(rtf_logged("xdrv_dma_sync_for_cpu: bus 0x123000 len 64 is not mapped"));
	CU_ASSERT(rtf_logged("size 100, allocated 4096; freed the allocation"));
	CU_ASSERT(rtf_logged("+ 8192 bytes wraps past the end of the address space; refused"));
	CU_ASSERT_EQUAL(ldr_driver_dma_in_use(drv), 1);
	teardown(drv);
}

/* ---- DMA maps of host memory that is not there -------------------------------------------- */

static long pg;
static uint8_t *area;	  /* 2 pages, read-write */
static int32_t map_rc[6]; /* results of the driver's xdrv_dma_map calls */
static uint64_t map_bus[6];

static uint8_t *area_map(int prot_second)
{
	pg = sysconf(_SC_PAGESIZE);
	uint8_t *a = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	CU_ASSERT_FATAL(a != MAP_FAILED);
	memset(a, 0x5a, (size_t)pg * 2);
	CU_ASSERT_EQUAL_FATAL(mprotect(a + pg, (size_t)pg, prot_second), 0);
	return a;
}

static bool area_intact(const uint8_t *p, long n)
{
	for (long i = 0; i < n; i++)
		if (p[i] != 0x5a)
			return false;
	return true;
}

/* Run `door` in driver context (line 1's handler) on a fresh binding; the test checks after. */
static struct ldr_driver *run_door(void (*door)(void))
{
	struct ldr_driver *drv = setup(NULL, 1);
	memset(map_rc, 0, sizeof map_rc);
	T.doorbell = door;
	raise_lines(2);
	rtf_run(drv, 10);
	return drv;
}

static void door_map_nothing_there(void)
{
	/* page 0 is never mapped (vm.mmap_min_addr) */
	map_rc[0] = xdrv_dma_map(T.dev, (void *)(uintptr_t)64, 64, XDRV_DMA_TO_DEVICE, &map_bus[0]);
	map_rc[1] =
		xdrv_dma_map(T.dev, (void *)(uintptr_t)64, 64, XDRV_DMA_FROM_DEVICE, &map_bus[1]);
	/* no user address at all (non-canonical on x86-64: the fault reports address 0) */
	map_rc[3] = xdrv_dma_map(T.dev, (void *)(uintptr_t)0x8000000000000040ull, 64,
				 XDRV_DMA_TO_DEVICE, &map_bus[3]);
	/* unmapped just now, right before the map: nothing in between can have reused it */
	CU_ASSERT_EQUAL(munmap(area + pg, (size_t)pg), 0);
	map_rc[2] = xdrv_dma_map(T.dev, area + pg, 4096, XDRV_DMA_TO_DEVICE, &map_bus[2]);
}

static void test_dma_map_refuses_host_memory_that_is_not_mapped(void)
{
	area = area_map(PROT_READ | PROT_WRITE);
	struct ldr_driver *drv = run_door(door_map_nothing_there);
	CU_ASSERT_EQUAL(map_rc[0], XDRV_EFAULT);
	CU_ASSERT_EQUAL(map_rc[1], XDRV_EFAULT);
	CU_ASSERT_EQUAL(map_rc[2], XDRV_EFAULT);
	CU_ASSERT_EQUAL(map_rc[3], XDRV_EFAULT);
	CU_ASSERT(rtf_logged("(the device would read there; first bad address 0x8000000000000040); "
			     "refused"));
	CU_ASSERT(
		rtf_logged("xdrv_dma_map: buffer 0x40 + 64 bytes is not mapped readable in the "
			   "host (the device would read there; first bad address 0x40); refused"));
	CU_ASSERT(
		rtf_logged("xdrv_dma_map: buffer 0x40 + 64 bytes is not mapped writable in the "
			   "host (the device would write there; first bad address 0x40); refused"));
	char want[160];
	snprintf(want, sizeof want, "xdrv_dma_map: buffer %p + 4096 bytes is not mapped readable",
		 (void *)(area + pg));
	CU_ASSERT(rtf_logged(want));
	CU_ASSERT_EQUAL(ldr_driver_dma_in_use(drv), 0);
	CU_ASSERT_EQUAL(hvb_dma_mapping_count(F.dev), 0);
	CU_ASSERT_EQUAL(ldr_driver_fault_signal(drv), 0);
	teardown(drv);
	munmap(area, (size_t)pg);
}

static void door_map_no_access(void)
{
	map_rc[0] = xdrv_dma_map(T.dev, area + pg, 100, XDRV_DMA_TO_DEVICE, &map_bus[0]);
	map_rc[1] = xdrv_dma_map(T.dev, area + pg, 100, XDRV_DMA_FROM_DEVICE, &map_bus[1]);
	map_rc[2] = xdrv_dma_map(T.dev, area + pg, 100, XDRV_DMA_BIDIRECTIONAL, &map_bus[2]);
}

static void test_dma_map_refuses_a_page_without_access(void)
{
	area = area_map(PROT_NONE);
	struct ldr_driver *drv = run_door(door_map_no_access);
	CU_ASSERT_EQUAL(map_rc[0], XDRV_EFAULT);
	CU_ASSERT_EQUAL(map_rc[1], XDRV_EFAULT);
	CU_ASSERT_EQUAL(map_rc[2], XDRV_EFAULT);
	char want[200];
	snprintf(want, sizeof want,
		 "xdrv_dma_map: buffer %p + 100 bytes is not mapped readable and writable in the "
		 "host (the device would read and write there; first bad address %p); refused",
		 (void *)(area + pg), (void *)(area + pg));
	CU_ASSERT(rtf_logged(want));
	CU_ASSERT_EQUAL(hvb_dma_mapping_count(F.dev), 0);
	teardown(drv);
	munmap(area, (size_t)pg * 2);
}

static uint8_t copied[64];

static void door_map_read_only(void)
{
	uint8_t *ro = area + pg;
	map_rc[0] = xdrv_dma_map(T.dev, ro, 64, XDRV_DMA_FROM_DEVICE, &map_bus[0]);
	map_rc[1] = xdrv_dma_map(T.dev, ro, 64, XDRV_DMA_BIDIRECTIONAL, &map_bus[1]);
	/* the device only reads it: fine, and it reads what is there */
	map_rc[2] = xdrv_dma_map(T.dev, ro, 64, XDRV_DMA_TO_DEVICE, &map_bus[2]);
	map_rc[3] = xdrv_dma_map(T.dev, area, 64, XDRV_DMA_FROM_DEVICE, &map_bus[3]);
	if (map_rc[2] == XDRV_OK && map_rc[3] == XDRV_OK) {
		dma_copy(map_bus[2], map_bus[3], 64);
		memcpy(copied, area, sizeof copied);
		xdrv_dma_unmap(T.dev, map_bus[2], 64, XDRV_DMA_TO_DEVICE);
		xdrv_dma_unmap(T.dev, map_bus[3], 64, XDRV_DMA_FROM_DEVICE);
	}
}

static void test_dma_map_of_a_read_only_page_is_only_for_the_device_to_read(void)
{
	area = area_map(PROT_READ);
	memset(area, 0, 64);
	struct ldr_driver *drv = run_door(door_map_read_only);
	CU_ASSERT_EQUAL(map_rc[0], XDRV_EFAULT);
	CU_ASSERT_EQUAL(map_rc[1], XDRV_EFAULT);
	CU_ASSERT_EQUAL(map_rc[2], XDRV_OK);
	CU_ASSERT_EQUAL(map_rc[3], XDRV_OK);
	CU_ASSERT_EQUAL(dma_status, 1);
	CU_ASSERT(area_intact(copied, sizeof copied));
	char want[200];
	snprintf(want, sizeof want,
		 "xdrv_dma_map: buffer %p + 64 bytes is not mapped writable in the host (the "
		 "device would write there; first bad address %p); refused",
		 (void *)(area + pg), (void *)(area + pg));
	CU_ASSERT(rtf_logged(want));
	CU_ASSERT(rtf_logged("is not mapped readable and writable in the host"));
	CU_ASSERT_EQUAL(rtf_log.lines, 2);
	CU_ASSERT_EQUAL(ldr_driver_dma_in_use(drv), 0);
	teardown(drv);
	munmap(area, (size_t)pg * 2);
}

static uint8_t *heap;
static uint8_t stack_intact;

static void door_map_heap_and_stack(void)
{
	heap = xdrv_mem_alloc(3000);
	if (!heap)
		return;
	memset(heap, 0x5a, 3000);
	uint8_t on_stack[300];
	memset(on_stack, 0x5a, sizeof on_stack);
	map_rc[0] = xdrv_dma_map(T.dev, heap, 3000, XDRV_DMA_FROM_DEVICE, &map_bus[0]);
	map_rc[1] = xdrv_dma_map(T.dev, heap + 1, 2999, XDRV_DMA_BIDIRECTIONAL, &map_bus[1]);
	map_rc[2] = xdrv_dma_map(T.dev, heap, 3000, XDRV_DMA_TO_DEVICE, &map_bus[2]);
	map_rc[3] =
		xdrv_dma_map(T.dev, on_stack, sizeof on_stack, XDRV_DMA_BIDIRECTIONAL, &map_bus[3]);
	stack_intact = area_intact(on_stack, sizeof on_stack);
	xdrv_dma_unmap(T.dev, map_bus[3], sizeof on_stack, XDRV_DMA_BIDIRECTIONAL);
}

/* The check reads, and for a device that writes writes back what it read: the driver's data
 * is left as it was. */
static void test_dma_map_accepts_heap_and_stack_buffers_unchanged(void)
{
	struct ldr_driver *drv = run_door(door_map_heap_and_stack);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(map_rc[i], XDRV_OK);
	CU_ASSERT(heap && area_intact(heap, 3000));
	CU_ASSERT(stack_intact);
	CU_ASSERT_EQUAL(rtf_log.lines, 0);
	CU_ASSERT_EQUAL(ldr_driver_dma_in_use(drv), 3);
	teardown(drv);
}

static void door_map_straddling(void)
{
	/* the last 100 bytes of the read-write page and 100 of the page after it */
	map_rc[0] = xdrv_dma_map(T.dev, area + pg - 100, 200, XDRV_DMA_FROM_DEVICE, &map_bus[0]);
	map_rc[1] = xdrv_dma_map(T.dev, area + pg - 100, 200, XDRV_DMA_TO_DEVICE, &map_bus[1]);
	/* up to the end of the good page, not a byte further: fine */
	map_rc[2] = xdrv_dma_map(T.dev, area + pg - 100, 100, XDRV_DMA_BIDIRECTIONAL, &map_bus[2]);
	CU_ASSERT_EQUAL(munmap(area + pg, (size_t)pg), 0);
	map_rc[3] = xdrv_dma_map(T.dev, area, (uint64_t)pg + 1, XDRV_DMA_TO_DEVICE, &map_bus[3]);
}

static void test_dma_map_refuses_a_range_straddling_into_a_bad_page(void)
{
	area = area_map(PROT_NONE);
	struct ldr_driver *drv = run_door(door_map_straddling);
	CU_ASSERT_EQUAL(map_rc[0], XDRV_EFAULT);
	CU_ASSERT_EQUAL(map_rc[1], XDRV_EFAULT);
	CU_ASSERT_EQUAL(map_rc[2], XDRV_OK);
	CU_ASSERT_EQUAL(map_rc[3], XDRV_EFAULT);
	char want[200];
	snprintf(want, sizeof want,
		 "xdrv_dma_map: buffer %p + 200 bytes is not mapped writable in the host (the "
		 "device would write there; first bad address %p); refused",
		 (void *)(area + pg - 100), (void *)(area + pg));
	CU_ASSERT(rtf_logged(want));
	snprintf(want, sizeof want,
		 "xdrv_dma_map: buffer %p + %ld bytes is not mapped readable in the host (the "
		 "device would read there; first bad address %p); refused",
		 (void *)area, pg + 1, (void *)(area + pg));
	CU_ASSERT(rtf_logged(want));
	CU_ASSERT_EQUAL(ldr_driver_dma_in_use(drv), 1);
	CU_ASSERT(area_intact(area, pg));
	teardown(drv);
	munmap(area, (size_t)pg);
}

static void door_map_then_copy(void)
{
	map_rc[0] = xdrv_dma_map(T.dev, area, (uint64_t)pg, XDRV_DMA_BIDIRECTIONAL, &map_bus[0]);
	map_rc[1] =
		xdrv_dma_map(T.dev, area + pg, (uint64_t)pg, XDRV_DMA_BIDIRECTIONAL, &map_bus[1]);
}

static void door_copy_again(void)
{
	dma_copy(map_bus[1], map_bus[0], 64);
}

/* A mapping checked at map time whose memory is taken away afterwards (a driver can free what
 * it mapped): the device's access is a DMA fault (testdev's status 2), whether it starts from
 * the driver (under the driver's fault guard) or from the host (under none, as the event
 * loop's wire pump does); the driver is not blamed for a fault of its own and the host lives. */
static void test_dma_into_memory_gone_after_the_map_is_a_device_fault(void)
{
	area = area_map(PROT_READ | PROT_WRITE);
	struct ldr_driver *drv = run_door(door_map_then_copy);
	CU_ASSERT_EQUAL_FATAL(map_rc[0], XDRV_OK);
	CU_ASSERT_EQUAL_FATAL(map_rc[1], XDRV_OK);
	CU_ASSERT_EQUAL_FATAL(mprotect(area, (size_t)pg * 2, PROT_READ), 0);
	/* from the host: the device writes into the now read-only page */
	hvb_reg_write(F.dev, 0, TD_SRC, 8, map_bus[1]);
	hvb_reg_write(F.dev, 0, TD_DST, 8, map_bus[0]);
	hvb_reg_write(F.dev, 0, TD_LEN, 4, 64);
	hvb_reg_write(F.dev, 0, TD_CMD, 4, 1);
	CU_ASSERT_EQUAL(hvb_reg_read(F.dev, 0, TD_STATUS, 4), 2);
	/* from the driver: the same */
	CU_ASSERT_EQUAL_FATAL(mprotect(area, (size_t)pg * 2, PROT_NONE), 0);
	dma_status = 0;
	T.doorbell = door_copy_again;
	raise_lines(2);
	rtf_run(drv, 10);
	CU_ASSERT_EQUAL(dma_status, 2);
	CU_ASSERT_EQUAL(ldr_driver_fault_signal(drv), 0);
	CU_ASSERT_EQUAL(ldr_driver_dma_in_use(drv), 2);
	teardown(drv);
	munmap(area, (size_t)pg * 2);
}

/* ---- DMA bookkeeping under churn ---------------------------------------------------------- */

/* A NIC-like pattern from the probe: a ring of 64 (then 1,024) mapped buffers, each unmapped
 * and remapped 100,000 times in all, with a sync of the whole buffer and of a part of it per
 * frame. The handle map must stay at the ring's size (a map that never reclaimed deleted keys
 * grew to a million slots), every sub-range sync must be accepted without a log line, and a
 * sync past a buffer must still be refused. */
#define CHURN_PAIRS 100000u
static uint32_t churn_ring;
static uint32_t churn_bad, churn_cap_max;
static uint64_t churn_bus[1024];

static void hook_dma_churn(void)
{
	static uint8_t frames[1024][256];
	struct ldr_driver *drv = ldr_current();
	churn_bad = 0;
	churn_cap_max = 0;
	for (uint32_t i = 0; i < churn_ring; i++)
		churn_bad += xdrv_dma_map(T.dev, frames[i], sizeof frames[i], XDRV_DMA_FROM_DEVICE,
					  &churn_bus[i]) != XDRV_OK;
	coh = xdrv_dma_alloc_coherent(T.dev, 16 * 4096, &coh_bus);
	churn_bad += coh == NULL;
	for (uint32_t n = 0; n < CHURN_PAIRS; n++) {
		uint32_t k = n % churn_ring;
		xdrv_dma_sync_for_cpu(T.dev, churn_bus[k], 64, XDRV_DMA_FROM_DEVICE);
		xdrv_dma_sync_for_cpu(T.dev, churn_bus[k] + 100, 156, XDRV_DMA_FROM_DEVICE);
		xdrv_dma_sync_for_device(T.dev, coh_bus + (n % 16) * 4096 + 8, 4088,
					 XDRV_DMA_BIDIRECTIONAL);
		xdrv_dma_unmap(T.dev, churn_bus[k], sizeof frames[k], XDRV_DMA_FROM_DEVICE);
		churn_bad += xdrv_dma_map(T.dev, frames[k], sizeof frames[k], XDRV_DMA_FROM_DEVICE,
					  &churn_bus[k]) != XDRV_OK;
		if (drv && drv->maps.cap > churn_cap_max)
			churn_cap_max = drv->maps.cap;
	}
}

static void check_churn(uint32_t ring)
{
	churn_ring = ring;
	struct ldr_driver *drv = setup(hook_dma_churn, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
	CU_ASSERT_EQUAL(churn_bad, 0);
	CU_ASSERT_EQUAL(rtf_log.lines, 0); /* every sync was of a mapped range */
	/* 4x the live mappings, or the table's floor of 1,024 slots (runtime_driver.c) */
	CU_ASSERT(churn_cap_max > 0 && churn_cap_max <= (4 * ring > 1024 ? 4 * ring : 1024));
	CU_ASSERT_EQUAL(ldr_driver_dma_in_use(drv), ring + 1);
	CU_ASSERT_EQUAL(hvb_dma_mapping_count(F.dev), ring + 1);
	/* past the end of a buffer, or of the coherent one, is refused and logged */
	struct ldr_driver *prev = ldr_enter(drv);
	xdrv_dma_sync_for_cpu(T.dev, churn_bus[0] + 200, 57, XDRV_DMA_FROM_DEVICE);
	xdrv_dma_sync_for_cpu(T.dev, coh_bus + 16 * 4096 - 8, 9, XDRV_DMA_BIDIRECTIONAL);
	ldr_leave(drv, prev);
	CU_ASSERT_EQUAL(rtf_log.lines, 2);
	CU_ASSERT(rtf_logged("len 57 is not mapped by this driver"));
	/* reclaimed at unbind, in the runtime and in the device's IOMMU */
	struct ldr_unbind_report rep;
	ldr_driver_unbind_report(drv, &rep);
	CU_ASSERT_EQUAL(rep.dma_maps, ring);
	CU_ASSERT_EQUAL(rep.coherent, 1);
	CU_ASSERT_EQUAL(hvb_dma_mapping_count(F.dev), 0);
	rtf_dev_destroy(&F);
}

static void test_dma_churn_keeps_bookkeeping_bounded_at_ring_64_and_1024(void)
{
	check_churn(64);
	check_churn(1024);
}

static int reset_log(void)
{
	ldr_runtime_set_log(NULL, NULL);
	return 0;
}

XTEST_SUITE(loader_runtime_device, NULL, reset_log,
	    XTEST(test_dev_info_and_regions_describe_the_model),
	    XTEST(test_io_reaches_the_model_at_every_width),
	    XTEST(test_irq_is_delivered_until_the_device_lowers_the_line),
	    XTEST(test_irq_mask_holds_delivery_and_unmask_resumes_it),
	    XTEST(test_irq_request_rejects_bad_line_busy_line_and_null_handler),
	    XTEST(test_irq_storm_of_unhandled_interrupts_is_masked),
	    XTEST(test_dma_engine_copies_between_mapped_buffers),
	    XTEST(test_dma_to_an_unmapped_address_faults_at_the_device),
	    XTEST(test_dma_held_at_unbind_is_released),
	    XTEST(test_dma_misuse_is_logged_once_and_ignored),
	    XTEST(test_dma_map_refuses_host_memory_that_is_not_mapped),
	    XTEST(test_dma_map_refuses_a_page_without_access),
	    XTEST(test_dma_map_of_a_read_only_page_is_only_for_the_device_to_read),
	    XTEST(test_dma_map_accepts_heap_and_stack_buffers_unchanged),
	    XTEST(test_dma_map_refuses_a_range_straddling_into_a_bad_page),
	    XTEST(test_dma_into_memory_gone_after_the_map_is_a_device_fault),
	    XTEST(test_dma_churn_keeps_bookkeeping_bounded_at_ring_64_and_1024))
