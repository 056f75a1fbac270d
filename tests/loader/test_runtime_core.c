// SPDX-License-Identifier: MIT
/*
 * Tests for loader/runtime_core.c: handle validation (forged, stale, of another type or
 * driver), driver memory accounting and its release at unbind, freeing foreign pointers,
 * bounded logging (escaped by the sink that shows it), time. The test driver is natively compiled
 * and calls the real xdrv_* functions from its probe, which each test scripts through a hook.
 */
#include "test_runtime_fixture.h"

#include "../../loader/runtime_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static void (*probe_hook)(xdrv_device_t *dev);
static xdrv_device_t *last_dev;

static int32_t core_probe(xdrv_device_t *dev)
{
	last_dev = dev;
	if (probe_hook)
		probe_hook(dev);
	return XDRV_OK;
}

static const struct xdrv_match core_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,testdev"},
	{.bus = 0},
};

static const struct xdrv_driver core_test_driver = {
	.magic = XDRV_DRIVER_MAGIC,
	.abi_version = XDRV_ABI_VERSION,
	.struct_size = sizeof(struct xdrv_driver),
	.name = "core_test",
	.version = "1.0.0",
	.match = core_match,
	.probe = core_probe,
};

static struct ldr_driver *bind_with(void (*hook)(xdrv_device_t *), struct rtf_dev *f)
{
	probe_hook = hook;
	struct ldr_driver *drv = rtf_bind(&core_test_driver, f);
	probe_hook = NULL;
	return drv;
}

/* ---- memory ------------------------------------------------------------------------------- */

static void *blocks[3];
static int blocks_ok;

static void hook_alloc_three_free_one(xdrv_device_t *dev)
{
	(void)dev;
	blocks_ok = 1;
	uint64_t sizes[3] = {100, 1, 4000};
	for (int i = 0; i < 3; i++) {
		uint8_t *p = blocks[i] = xdrv_mem_alloc(sizes[i]);
		if (!p || (uintptr_t)p % 16) {
			blocks_ok = 0;
			continue;
		}
		for (uint64_t j = 0; j < sizes[i]; j++)
			blocks_ok &= p[j] == 0;
		memset(p, 0xa5, sizes[i]); /* ASan checks the whole block is ours */
	}
	xdrv_mem_free(blocks[2]);
}

static void test_mem_alloc_is_zeroed_aligned_and_charged(void)
{
	struct rtf_dev f = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *drv = bind_with(hook_alloc_three_free_one, &f);
	CU_ASSERT(blocks_ok);
	CU_ASSERT_EQUAL(ldr_driver_mem_in_use(drv), 101);
	CU_ASSERT_EQUAL(rtf_log.lines, 0);
	struct ldr_unbind_report rep;
	ldr_driver_unbind_report(drv, &rep);
	CU_ASSERT_EQUAL(rep.mem_blocks, 2);
	CU_ASSERT_EQUAL(rep.mem_bytes, 101);
	CU_ASSERT_EQUAL(rep.mem_peak, 4101);
	CU_ASSERT_EQUAL(rtf_log.lines, 1);
	CU_ASSERT(rtf_logged("[core_test] unbind released what the driver still held: 101 bytes "
			     "in 2 blocks"));
	rtf_dev_destroy(&f);
}

static int cap_results[4];

static void hook_over_cap(xdrv_device_t *dev)
{
	(void)dev;
	cap_results[0] = xdrv_mem_alloc(0) == NULL;
	cap_results[1] = xdrv_mem_alloc((256ull << 20) + 1) == NULL;
	void *big = xdrv_mem_alloc(200ull << 20);
	cap_results[2] = big != NULL;
	cap_results[3] = xdrv_mem_alloc(100ull << 20) == NULL; /* 300 MiB in all */
	xdrv_mem_free(big);
}

static void test_mem_alloc_refuses_size_zero_and_over_cap(void)
{
	struct rtf_dev f = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *drv = bind_with(hook_over_cap, &f);
	CU_ASSERT(cap_results[0] && cap_results[1] && cap_results[2] && cap_results[3]);
	CU_ASSERT_EQUAL(rtf_log.lines, 2); /* one per refusal over the cap, none for size 0 */
	CU_ASSERT(rtf_logged("exceed the driver's cap of 256 MiB"));
	CU_ASSERT_EQUAL(ldr_driver_mem_in_use(drv), 0);
	ldr_driver_unbind(drv);
	CU_ASSERT_EQUAL(rtf_log.lines, 2); /* nothing leaked */
	rtf_dev_destroy(&f);
}

static int foreign_lines[4];

static void hook_free_foreign(xdrv_device_t *dev)
{
	(void)dev;
	int local = 0;
	void *host = malloc(32);
	xdrv_mem_free(&local);
	foreign_lines[0] = rtf_log.lines;
	xdrv_mem_free(host);
	foreign_lines[1] = rtf_log.lines;
	void *mine = xdrv_mem_alloc(8);
	xdrv_mem_free(mine);
	xdrv_mem_free(mine); /* twice */
	foreign_lines[2] = rtf_log.lines;
	xdrv_mem_free(NULL);
	foreign_lines[3] = rtf_log.lines;
	free(host); /* still the host's: the driver's free did not touch it */
}

static void test_mem_free_of_foreign_pointer_is_logged_and_ignored(void)
{
	struct rtf_dev f = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *drv = bind_with(hook_free_foreign, &f);
	CU_ASSERT_EQUAL(foreign_lines[0], 1);
	CU_ASSERT_EQUAL(foreign_lines[1], 2);
	CU_ASSERT_EQUAL(foreign_lines[2], 3);
	CU_ASSERT_EQUAL(foreign_lines[3], 3);
	CU_ASSERT(rtf_logged("was not allocated by this driver (or freed twice); ignored"));
	ldr_driver_unbind(drv);
	rtf_dev_destroy(&f);
}

static int churn_ok;

static void hook_churn(xdrv_device_t *dev)
{
	(void)dev;
	enum { N = 5000 };
	static void *p[N];
	uint64_t sum = 0;
	for (int i = 0; i < N; i++) {
		p[i] = xdrv_mem_alloc((uint64_t)i % 97 + 1);
		sum += (uint64_t)i % 97 + 1;
	}
	/* free every third, in a scattered order, so the set sees tombstones and regrowth */
	for (int i = N - 1; i >= 0; i -= 3) {
		xdrv_mem_free(p[i]);
		sum -= (uint64_t)i % 97 + 1;
	}
	for (int i = 0; i < N; i++)
		p[i] = xdrv_mem_alloc(16);
	churn_ok = sum + N * 16ull;
}

static void test_mem_accounting_survives_churn(void)
{
	struct rtf_dev f = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *drv = bind_with(hook_churn, &f);
	CU_ASSERT_EQUAL(ldr_driver_mem_in_use(drv), (uint64_t)churn_ok);
	CU_ASSERT_EQUAL(rtf_log.lines, 0);
	struct ldr_unbind_report rep;
	ldr_driver_unbind_report(drv, &rep);
	CU_ASSERT_EQUAL(rep.mem_blocks, 5000 - 1667 + 5000);
	rtf_dev_destroy(&f);
}

/* ---- handles ------------------------------------------------------------------------------ */

static int forged_ok;

#define ONE_LINE(expr_ok)                                                                          \
	do {                                                                                       \
		int before_ = rtf_log.lines;                                                       \
		forged_ok &= (expr_ok);                                                            \
		forged_ok &= rtf_log.lines == before_ + 1;                                         \
	} while (0)
#define ONE_LINE_V(stmt)                                                                           \
	do {                                                                                       \
		int before_ = rtf_log.lines;                                                       \
		stmt;                                                                              \
		forged_ok &= rtf_log.lines == before_ + 1;                                         \
	} while (0)

static void hook_forged(xdrv_device_t *dev)
{
	struct xdrv_device_info info;
	int local;
	xdrv_region_t *reg = xdrv_dev_region(dev, 0);
	xdrv_device_t *bad_gen = (xdrv_device_t *)((uintptr_t)dev ^ (1ull << 40));
	xdrv_device_t *bad_idx = (xdrv_device_t *)((uintptr_t)dev + 1000);
	forged_ok = reg != NULL;
	ONE_LINE(xdrv_dev_info((xdrv_device_t *)0x1234, &info) == XDRV_EINVAL);
	ONE_LINE(xdrv_dev_info((xdrv_device_t *)&local, &info) == XDRV_EINVAL);
	ONE_LINE(xdrv_dev_info((xdrv_device_t *)reg, &info) == XDRV_EINVAL); /* wrong type */
	ONE_LINE(xdrv_dev_info(bad_gen, &info) == XDRV_EINVAL);
	ONE_LINE(xdrv_dev_info(bad_idx, &info) == XDRV_EINVAL);
	ONE_LINE(xdrv_dev_info(NULL, &info) == XDRV_EINVAL);
	ONE_LINE(xdrv_io_read32((xdrv_region_t *)dev, 0) == 0xffffffffu);
	ONE_LINE(xdrv_io_read8((xdrv_region_t *)0x10, 0) == 0xff);
	ONE_LINE(xdrv_io_read64((xdrv_region_t *)&local, 0) == ~0ull);
	ONE_LINE(xdrv_region_size((xdrv_region_t *)0x10) == 0);
	ONE_LINE(xdrv_region_kind((xdrv_region_t *)0x10) == XDRV_REGION_NONE);
	ONE_LINE(xdrv_dev_priv(bad_gen) == NULL);
	ONE_LINE(xdrv_irq_request(bad_gen, 0, NULL, NULL) == XDRV_EINVAL);
	ONE_LINE(xdrv_dma_map(bad_gen, &local, 4, XDRV_DMA_TO_DEVICE, NULL) == XDRV_EINVAL);
	ONE_LINE(xdrv_dma_alloc_coherent(bad_gen, 64, NULL) == NULL);
	ONE_LINE(xdrv_net_register(bad_gen, NULL, NULL, NULL) == NULL);
	ONE_LINE(xdrv_net_priv((xdrv_netdev_t *)dev) == NULL);
	ONE_LINE(xdrv_pkt_len((xdrv_pkt_t *)0x99) == 0);
	ONE_LINE(xdrv_pkt_frag((xdrv_pkt_t *)0x99, 0, NULL) == NULL);
	ONE_LINE(xdrv_blk_priv((xdrv_blkdev_t *)dev) == NULL);
	ONE_LINE(xdrv_scsi_priv((xdrv_scsi_host_t *)reg) == NULL);
	ONE_LINE_V(xdrv_io_write16((xdrv_region_t *)0x77, 0, 1));
	ONE_LINE_V(xdrv_irq_ack(bad_idx, 0));
	ONE_LINE_V(xdrv_net_tx_complete((xdrv_netdev_t *)0x5, (xdrv_pkt_t *)0x6, 0));
	ONE_LINE_V(xdrv_scsi_complete((xdrv_scsi_host_t *)0x5, NULL, 0, 0, NULL, 0, 0));
	ONE_LINE_V(xdrv_blk_complete((xdrv_blkdev_t *)0x5, NULL, 0));
	/* the real handles still work */
	forged_ok &= xdrv_dev_info(dev, &info) == XDRV_OK && info.num_regions == 2;
	forged_ok &= xdrv_region_size(reg) == 4096;
}

static void test_forged_handles_get_einval_and_one_log_line(void)
{
	struct rtf_dev f = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *drv = bind_with(hook_forged, &f);
	CU_ASSERT(forged_ok);
	CU_ASSERT(rtf_logged("[core_test] xdrv_dev_info: invalid device handle 0x1234 (forged or "
			     "stale)"));
	CU_ASSERT(rtf_logged("xdrv_io_read32: invalid region handle"));
	ldr_driver_unbind(drv);
	rtf_dev_destroy(&f);
}

static xdrv_device_t *stale_dev;
static int32_t stale_rc;

static void hook_use_stale(xdrv_device_t *dev)
{
	struct xdrv_device_info info;
	(void)dev;
	stale_rc = xdrv_dev_info(stale_dev, &info);
}

static void test_stale_handle_after_unbind_is_rejected(void)
{
	struct rtf_dev f = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *drv = bind_with(NULL, &f);
	stale_dev = last_dev;
	ldr_driver_unbind(drv);
	/* outside any entry point */
	struct xdrv_device_info info;
	CU_ASSERT_EQUAL(xdrv_dev_info(stale_dev, &info), XDRV_EINVAL);
	CU_ASSERT_EQUAL(rtf_log.lines, 1);
	CU_ASSERT(rtf_logged("xdrv_dev_info: called outside a driver entry point"));
	/* a new binding reuses the slot; the old handle stays dead */
	drv = bind_with(hook_use_stale, &f);
	CU_ASSERT_EQUAL(stale_rc, XDRV_EINVAL);
	CU_ASSERT_EQUAL(rtf_log.lines, 2);
	CU_ASSERT(rtf_logged("invalid device handle"));
	CU_ASSERT(last_dev != stale_dev);
	ldr_driver_unbind(drv);
	rtf_dev_destroy(&f);
}

static xdrv_device_t *other_dev;
static int32_t other_rc;

static void hook_use_other(xdrv_device_t *dev)
{
	struct xdrv_device_info info;
	(void)dev;
	other_rc = xdrv_dev_info(other_dev, &info);
}

static void test_handle_of_another_driver_is_rejected(void)
{
	struct rtf_dev f1 = rtf_dev_create("testdev");
	struct rtf_dev f2 = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *a = bind_with(NULL, &f1);
	other_dev = last_dev;
	struct ldr_driver *b = bind_with(hook_use_other, &f2);
	CU_ASSERT_EQUAL(other_rc, XDRV_EINVAL);
	CU_ASSERT_EQUAL(rtf_log.lines, 1);
	CU_ASSERT(rtf_logged("belongs to another driver"));
	ldr_driver_unbind(b);
	ldr_driver_unbind(a);
	rtf_dev_destroy(&f2);
	rtf_dev_destroy(&f1);
}

/* ---- logging and time ---------------------------------------------------------------------- */

static char long_msg[5000];

static void hook_log(xdrv_device_t *dev)
{
	(void)dev;
	memset(long_msg, 'x', sizeof long_msg - 1);
	xdrv_log(XDRV_LOG_INFO, long_msg);
	xdrv_log(XDRV_LOG_WARN, "a\x1b[31mb\nc\td");
	xdrv_log(99, NULL);
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "n=");
	xdrv_msg_i64(&m, -42);
	xdrv_msg_str(&m, " h=");
	xdrv_msg_hex(&m, 0xbeef, 8);
	xdrv_msg_log(&m, XDRV_LOG_DEBUG);
}

static void test_log_is_bounded_sanitized_and_prefixed(void)
{
	struct rtf_dev f = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *drv = bind_with(hook_log, &f);
	CU_ASSERT_EQUAL(rtf_log.lines, 4);
	char want[1100];
	snprintf(want, sizeof want, "[core_test] %.1023s\n", long_msg);
	CU_ASSERT(rtf_logged(want));
	/* the sink gets the driver's bytes as they were: it escapes them where it shows them */
	CU_ASSERT(rtf_logged("[core_test] a\x1b[31mb\nc\td\n"));
	CU_ASSERT(rtf_logged("[core_test] (null)\n"));
	CU_ASSERT(rtf_logged("[core_test] n=-42 h=0x0000beef\n"));
	ldr_driver_unbind(drv);
	/* outside a driver the line is the host's */
	xdrv_log(XDRV_LOG_INFO, "hi");
	CU_ASSERT_STRING_EQUAL(rtf_log.last, "[xdrv] hi");
	rtf_dev_destroy(&f);
}

/* The default sink shows a driver's control characters escaped (xdrv_escape_text), one line
 * per message: no escape sequence reaches the terminal, no fake line. */
static void test_default_log_sink_escapes_driver_bytes(void)
{
	const char *path = xtest_path("%s/stderr.txt", xtest_tmpdir());
	fflush(stderr);
	int saved = dup(2);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
	ldr_runtime_set_log(NULL, NULL);
	dup2(fd, 2);
	xdrv_log(XDRV_LOG_WARN, "a\x1b[31mb\nc\td\\e\x7f");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	size_t n = 0;
	char *out = (char *)xtest_read(path, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, "[xdrv] a\\x1b[31mb\\nc\\td\\\\e\\x7f\n");
	free(out);
}

static void test_time_is_monotonic_and_delay_waits(void)
{
	uint64_t t0 = xdrv_time_ns();
	xdrv_delay_us(30); /* spins */
	uint64_t t1 = xdrv_time_ns();
	xdrv_delay_us(2000); /* sleeps */
	uint64_t t2 = xdrv_time_ns();
	CU_ASSERT(t1 - t0 >= 30000);
	CU_ASSERT(t2 - t1 >= 2000000);
	xdrv_delay_us(0);
	CU_ASSERT(xdrv_time_ns() >= t2);
}

static void test_delay_is_capped_at_one_second(void)
{
	uint64_t t0 = xdrv_time_ns();
	xdrv_delay_us(UINT32_MAX);
	uint64_t dt = xdrv_time_ns() - t0;
	CU_ASSERT(dt >= 1000000000ull);
	CU_ASSERT(dt < 1500000000ull);
}

/* ---- the u64 -> pointer map (handle bookkeeping of DMA and memory) ------------------------ */

static uint64_t map_rng = 88172645463325252ull;
static uint64_t map_next(void)
{
	map_rng ^= map_rng << 13;
	map_rng ^= map_rng >> 7;
	map_rng ^= map_rng << 17;
	return map_rng;
}

/* n keys (page-aligned bus-address-like, so the hash must spread them), then random deletes
 * and re-inserts checked against a plain array: every present key found with its value, every
 * absent one not, live exact; after deleting all, the map is empty. */
static void check_map_scale(uint32_t n)
{
	struct ldr_map m = {0};
	uint64_t *keys = calloc(n, sizeof *keys);
	uint8_t *in = calloc(n, 1);
	CU_ASSERT_FATAL(keys && in);
	uint32_t bad = 0, live = 0;
	for (uint32_t i = 0; i < n; i++) {
		keys[i] = 0x10000000ull + (uint64_t)i * 8192;
		bad += ldr_map_put(&m, keys[i], &keys[i]) != 0;
		in[i] = 1;
		live++;
	}
	bad += ldr_map_put(&m, keys[0], &keys[0]) != -EEXIST;
	for (uint32_t r = 0; r < 4 * n; r++) {
		uint32_t i = (uint32_t)(map_next() % n);
		if (in[i]) {
			bad += ldr_map_del(&m, keys[i]) != &keys[i];
			live--;
		} else {
			bad += ldr_map_put(&m, keys[i], &keys[i]) != 0;
			live++;
		}
		in[i] ^= 1;
	}
	for (uint32_t i = 0; i < n; i++)
		bad += ldr_map_get(&m, keys[i]) != (in[i] ? &keys[i] : NULL);
	bad += ldr_map_get(&m, 12345) != NULL;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(m.live, live);
	CU_ASSERT(m.cap <= 4 * n + 16);
	for (uint32_t i = 0; i < n; i++)
		if (in[i])
			bad += ldr_map_del(&m, keys[i]) != &keys[i];
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(m.live, 0);
	for (uint32_t i = 0; i < m.cap; i++)
		bad += ldr_map_live(&m, i);
	CU_ASSERT_EQUAL(bad, 0);
	ldr_map_free(&m);
	free(keys);
	free(in);
}

static void test_map_is_exact_from_1_to_100k_keys(void)
{
	const uint32_t sizes[] = {1, 2, 16, 1000, 100000};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
		check_map_scale(sizes[i]);
}

/* A million put/delete pairs of ever-new keys with 1,024 live (a NIC ring mapping a fresh bus
 * address per frame): the capacity stays at the live count's scale, not the number of keys
 * ever seen. */
static void test_map_capacity_stays_bounded_over_a_million_pairs(void)
{
	enum { LIVE = 1024, PAIRS = 1000000 };
	struct ldr_map m = {0};
	static int v;
	uint32_t bad = 0, cap_max = 0;
	for (uint64_t k = 0; k < LIVE; k++)
		bad += ldr_map_put(&m, 0x10000000ull + k * 4096, &v) != 0;
	for (uint64_t k = LIVE; k < LIVE + PAIRS; k++) {
		bad += ldr_map_del(&m, 0x10000000ull + (k - LIVE) * 4096) != &v;
		bad += ldr_map_put(&m, 0x10000000ull + k * 4096, &v) != 0;
		cap_max = m.cap > cap_max ? m.cap : cap_max;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(m.live, LIVE);
	CU_ASSERT(cap_max <= 4 * LIVE);
	for (uint64_t k = PAIRS; k < LIVE + PAIRS; k++)
		bad += ldr_map_get(&m, 0x10000000ull + k * 4096) != &v;
	CU_ASSERT_EQUAL(bad, 0);
	ldr_map_free(&m);
}

static int reset_log(void)
{
	ldr_runtime_set_log(NULL, NULL);
	return 0;
}

XTEST_SUITE(loader_runtime_core, NULL, reset_log,
	    XTEST(test_mem_alloc_is_zeroed_aligned_and_charged),
	    XTEST(test_mem_alloc_refuses_size_zero_and_over_cap),
	    XTEST(test_mem_free_of_foreign_pointer_is_logged_and_ignored),
	    XTEST(test_mem_accounting_survives_churn),
	    XTEST(test_forged_handles_get_einval_and_one_log_line),
	    XTEST(test_stale_handle_after_unbind_is_rejected),
	    XTEST(test_handle_of_another_driver_is_rejected),
	    XTEST(test_log_is_bounded_sanitized_and_prefixed),
	    XTEST(test_default_log_sink_escapes_driver_bytes),
	    XTEST(test_time_is_monotonic_and_delay_waits),
	    XTEST(test_delay_is_capped_at_one_second), XTEST(test_map_is_exact_from_1_to_100k_keys),
	    XTEST(test_map_capacity_stays_bounded_over_a_million_pairs))
