// SPDX-License-Identifier: MIT
/*
 * Tests for hypervisor-backends/iommu.c: bus addresses are page-aligned, from the private window,
 * never host pointers; translation accepts only ranges wholly inside one live mapping in an
 * allowed direction (and says whether the mapping is HVB_DMA_STABLE); bus+len overflow,
 * straddling, stale and unknown addresses are refused; unmap must match a mapping exactly; the
 * window and the mapping count are bounded.
 */
#include "../xtest.h"

#include "../../hypervisor-backends/hvb_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/dma.h>

static void test_map_gives_page_aligned_private_bus_addresses(void)
{
	struct hvb_iommu t;
	uint8_t buf[100];
	uint64_t a = 0, b = 0;
	hvb_iommu_init(&t);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf + 3, 10, XDRV_DMA_TO_DEVICE, &a), 0);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, sizeof buf, XDRV_DMA_BIDIRECTIONAL, &b), 0);
	CU_ASSERT_EQUAL(a % HVB_IOVA_PAGE, 0);
	CU_ASSERT_EQUAL(b % HVB_IOVA_PAGE, 0);
	CU_ASSERT(a >= HVB_IOVA_BASE && a < HVB_IOVA_LIMIT);
	CU_ASSERT(b >= a + 2 * HVB_IOVA_PAGE); /* a guard page between mappings */
	CU_ASSERT_NOT_EQUAL(a, (uint64_t)(uintptr_t)(buf + 3));
	CU_ASSERT_PTR_EQUAL(hvb_iommu_translate(&t, a, 10, false, NULL), buf + 3);
	CU_ASSERT_PTR_EQUAL(hvb_iommu_translate(&t, a + 9, 1, false, NULL), buf + 12);
	CU_ASSERT_PTR_EQUAL(hvb_iommu_translate(&t, b + 50, 50, true, NULL), buf + 50);
	hvb_iommu_clear(&t);
}

static void test_translate_rejects_range_past_mapping_end(void)
{
	struct hvb_iommu t;
	uint8_t buf[100];
	uint64_t a = 0;
	hvb_iommu_init(&t);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, 10, XDRV_DMA_BIDIRECTIONAL, &a), 0);
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, a, 11, false, NULL));
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, a + 10, 1, false, NULL)); /* the page's tail */
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, a - 1, 2, false, NULL));
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, 0, 1, false, NULL));
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, (uint64_t)(uintptr_t)buf, 1, false, NULL));
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, a, 0, false, NULL));
	hvb_iommu_clear(&t);
}

static void test_translate_rejects_range_straddling_two_mappings(void)
{
	struct hvb_iommu t;
	uint8_t big[2 * 4096];
	uint64_t a = 0, b = 0;
	hvb_iommu_init(&t);
	/* two whole-page mappings of adjacent host memory: the bus ranges are not adjacent,
	 * and even a range that covers both mappings' bytes is refused */
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, big, 4096, XDRV_DMA_BIDIRECTIONAL, &a), 0);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, big + 4096, 4096, XDRV_DMA_BIDIRECTIONAL, &b), 0);
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, a + 4000, 200, true, NULL));
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, a, b + 4096 - a, true, NULL));
	CU_ASSERT_PTR_NOT_NULL(hvb_iommu_translate(&t, a + 4000, 96, true, NULL));
	CU_ASSERT_PTR_NOT_NULL(hvb_iommu_translate(&t, b, 4096, true, NULL));
	hvb_iommu_clear(&t);
}

static void test_translate_rejects_bus_plus_len_overflow(void)
{
	struct hvb_iommu t;
	uint8_t buf[64];
	uint64_t a = 0;
	hvb_iommu_init(&t);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, sizeof buf, XDRV_DMA_BIDIRECTIONAL, &a), 0);
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, a, UINT64_MAX, false, NULL));
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, a + 8, UINT64_MAX - 7, false, NULL));
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, UINT64_MAX, 2, false, NULL));
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, UINT64_MAX - 3, 4, false, NULL));
	hvb_iommu_clear(&t);
}

static void test_translate_enforces_direction(void)
{
	struct hvb_iommu t;
	uint8_t buf[64];
	uint64_t to = 0, from = 0;
	hvb_iommu_init(&t);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, 32, XDRV_DMA_TO_DEVICE, &to), 0);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf + 32, 32, XDRV_DMA_FROM_DEVICE, &from), 0);
	CU_ASSERT_PTR_NOT_NULL(hvb_iommu_translate(&t, to, 32, false, NULL));
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, to, 32, true, NULL)); /* device may not write */
	CU_ASSERT_PTR_NOT_NULL(hvb_iommu_translate(&t, from, 32, true, NULL));
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, from, 32, false, NULL));
	hvb_iommu_clear(&t);
}

/* HVB_DMA_STABLE rides along with the direction: translation reports it (the models then copy
 * without a fault guard) and checks the direction as without it; other bits are refused. */
static void test_stable_flag_is_reported_and_other_flag_bits_refused(void)
{
	struct hvb_iommu t;
	uint8_t buf[64];
	uint64_t st = 0, plain = 0, bad = 0;
	bool stable = false;
	hvb_iommu_init(&t);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, 32, XDRV_DMA_TO_DEVICE | HVB_DMA_STABLE, &st), 0);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf + 32, 32, XDRV_DMA_BIDIRECTIONAL, &plain), 0);
	CU_ASSERT_PTR_EQUAL(hvb_iommu_translate(&t, st, 32, false, &stable), buf);
	CU_ASSERT_TRUE(stable);
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, st, 32, true, &stable)); /* still TO_DEVICE */
	CU_ASSERT_PTR_EQUAL(hvb_iommu_translate(&t, plain, 32, true, &stable), buf + 32);
	CU_ASSERT_FALSE(stable);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, 8, HVB_DMA_STABLE, &bad), -EINVAL);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, 8, 0x200u | XDRV_DMA_TO_DEVICE, &bad), -EINVAL);
	hvb_iommu_clear(&t);
}

static void test_unmap_then_translate_fails_and_address_not_reused_at_once(void)
{
	struct hvb_iommu t;
	uint8_t buf[64];
	uint64_t a = 0, b = 0;
	hvb_iommu_init(&t);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, 64, XDRV_DMA_BIDIRECTIONAL, &a), 0);
	CU_ASSERT_EQUAL(hvb_iommu_unmap(&t, a, 64), 0);
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, a, 1, false, NULL));
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, 64, XDRV_DMA_BIDIRECTIONAL, &b), 0);
	CU_ASSERT_NOT_EQUAL(a, b); /* next-fit: a stale bus address keeps faulting */
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, a, 1, false, NULL));
	hvb_iommu_clear(&t);
}

static void test_unmap_unknown_or_wrong_length_is_an_error(void)
{
	struct hvb_iommu t;
	uint8_t buf[64];
	uint64_t a = 0;
	hvb_iommu_init(&t);
	CU_ASSERT_EQUAL(hvb_iommu_unmap(&t, HVB_IOVA_BASE, 64), -ENOENT); /* empty table */
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, 64, XDRV_DMA_BIDIRECTIONAL, &a), 0);
	CU_ASSERT_EQUAL(hvb_iommu_unmap(&t, a + 1, 63), -ENOENT);
	CU_ASSERT_EQUAL(hvb_iommu_unmap(&t, 0, 64), -ENOENT);
	CU_ASSERT_EQUAL(hvb_iommu_unmap(&t, UINT64_MAX, 64), -ENOENT);
	CU_ASSERT_EQUAL(hvb_iommu_unmap(&t, a, 32), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(hvb_iommu_translate(&t, a, 64, true, NULL)); /* still mapped */
	CU_ASSERT_EQUAL(hvb_iommu_unmap(&t, a, 64), 0);
	CU_ASSERT_EQUAL(hvb_iommu_unmap(&t, a, 64), -ENOENT); /* double unmap */
	hvb_iommu_clear(&t);
}

static void test_map_rejects_bad_arguments(void)
{
	struct hvb_iommu t;
	uint8_t buf[8];
	uint64_t a = 0;
	hvb_iommu_init(&t);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, 0, XDRV_DMA_TO_DEVICE, &a), -EINVAL);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, NULL, 8, XDRV_DMA_TO_DEVICE, &a), -EINVAL);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, 8, 0, &a), -EINVAL);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, 8, 4, &a), -EINVAL);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, HVB_IOVA_MAX_LEN + 1, XDRV_DMA_TO_DEVICE, &a),
			-EINVAL);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, UINT64_MAX, XDRV_DMA_TO_DEVICE, &a), -EINVAL);
	/* a host range that wraps the address space: [top page, top page + 2 pages) */
	void *top = (void *)(UINTPTR_MAX - 4095);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, top, 8192, XDRV_DMA_TO_DEVICE, &a), -EINVAL);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, top, 4097, XDRV_DMA_FROM_DEVICE, &a), -EINVAL);
	CU_ASSERT_EQUAL(t.n, 0);
	hvb_iommu_clear(&t);
}

static void test_window_exhaustion_and_wraparound_reuse(void)
{
	struct hvb_iommu t;
	static uint8_t buf[16];
	uint64_t a = 0, first = 0;
	hvb_iommu_init(&t);
	/* 1 GiB mappings + guard: the 3.5 GiB window holds three */
	int n = 0;
	while (hvb_iommu_map(&t, buf, HVB_IOVA_MAX_LEN, XDRV_DMA_TO_DEVICE, &a) == 0) {
		if (n == 0)
			first = a;
		n++;
		CU_ASSERT(a + HVB_IOVA_MAX_LEN <= HVB_IOVA_LIMIT);
	}
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, HVB_IOVA_MAX_LEN, XDRV_DMA_TO_DEVICE, &a), -ENOSPC);
	/* a small one still fits in the tail, then freeing the first lets a big one wrap there */
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, 16, XDRV_DMA_TO_DEVICE, &a), 0);
	CU_ASSERT_EQUAL(hvb_iommu_unmap(&t, first, HVB_IOVA_MAX_LEN), 0);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, HVB_IOVA_MAX_LEN, XDRV_DMA_TO_DEVICE, &a), 0);
	CU_ASSERT_EQUAL(a, first);
	hvb_iommu_clear(&t);
}

static void test_mapping_count_is_capped(void)
{
	struct hvb_iommu t;
	static uint8_t buf[1];
	uint64_t a = 0;
	hvb_iommu_init(&t);
	for (uint32_t i = 0; i < HVB_IOVA_MAX_MAPPINGS; i++)
		if (hvb_iommu_map(&t, buf, 1, XDRV_DMA_TO_DEVICE, &a) != 0) {
			CU_FAIL("map failed before the cap");
			break;
		}
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, buf, 1, XDRV_DMA_TO_DEVICE, &a), -ENOSPC);
	/* lookups stay exact among many mappings */
	CU_ASSERT_PTR_EQUAL(hvb_iommu_translate(&t, a, 1, false, NULL), buf);
	CU_ASSERT_PTR_NULL(hvb_iommu_translate(&t, a + 1, 1, false, NULL));
	hvb_iommu_clear(&t);
}

/* ---- the page table at scale: exact lookups, bounded memory -----------------------------------
 */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* n live mappings of 1..3 pages each; every one translates at its first and last byte, not one
 * past; half are unmapped and no longer translate while the others still do; then all go and
 * the table is empty again (no leaf left behind). */
static void check_scale(uint32_t n)
{
	static struct hvb_iommu t;
	static uint8_t host[3 * 4096 + 1];
	uint64_t *bus = calloc(n, sizeof *bus);
	uint64_t *len = calloc(n, sizeof *len);
	CU_ASSERT_FATAL(bus && len);
	hvb_iommu_init(&t);
	uint32_t bad = 0;
	for (uint32_t i = 0; i < n; i++) {
		len[i] = 1 + rng() % (3 * 4096);
		if (hvb_iommu_map(&t, host + (i % 2), len[i], XDRV_DMA_BIDIRECTIONAL, &bus[i]) != 0)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(t.n, n);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *h = host + (i % 2);
		bad += hvb_iommu_translate(&t, bus[i], 1, false, NULL) != h;
		bad += hvb_iommu_translate(&t, bus[i] + len[i] - 1, 1, true, NULL) !=
		       h + len[i] - 1;
		bad += hvb_iommu_translate(&t, bus[i] + len[i], 1, false, NULL) != NULL;
		bad += hvb_iommu_translate(&t, bus[i], len[i], false, NULL) != h;
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (uint32_t i = 0; i < n; i += 2)
		bad += hvb_iommu_unmap(&t, bus[i], len[i]) != 0;
	for (uint32_t i = 0; i < n; i++)
		bad += (hvb_iommu_translate(&t, bus[i], 1, false, NULL) != NULL) != (i % 2 == 1);
	CU_ASSERT_EQUAL(bad, 0);
	for (uint32_t i = 1; i < n; i += 2)
		bad += hvb_iommu_unmap(&t, bus[i], len[i]) != 0;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(t.n, 0);
	CU_ASSERT_EQUAL(t.leaves, 0);
	CU_ASSERT(t.cap <= HVB_IOVA_MAX_MAPPINGS);
	hvb_iommu_clear(&t);
	free(bus);
	free(len);
}

static void test_lookups_exact_from_1_to_the_mapping_cap(void)
{
	/* 3 pages + a guard per mapping: the 917,504-page window holds 229,376, the cap first */
	const uint32_t sizes[] = {1, 16, 256, 4096, 30000, HVB_IOVA_MAX_MAPPINGS};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
		check_scale(sizes[i]);
}

/* A NIC's pattern: a ring of live buffers, each unmapped and replaced per frame. A million
 * pairs wrap the window twice; the record pool stays at the ring's size and the page table at
 * the few leaves the ring's bus addresses cover, and every live mapping still translates. */
static void test_million_map_unmap_pairs_stay_bounded(void)
{
	enum { RING = 1024, PAIRS = 1000000 };
	static struct hvb_iommu t;
	static uint8_t frame[2048];
	static uint64_t ring[RING];
	hvb_iommu_init(&t);
	uint32_t bad = 0;
	for (uint32_t i = 0; i < RING; i++)
		bad += hvb_iommu_map(&t, frame, sizeof frame, XDRV_DMA_FROM_DEVICE, &ring[i]) != 0;
	uint64_t lowest = UINT64_MAX, highest = 0;
	uint32_t max_leaves = 0;
	for (uint32_t i = 0; i < PAIRS; i++) {
		uint32_t k = i % RING;
		bad += hvb_iommu_unmap(&t, ring[k], sizeof frame) != 0;
		bad += hvb_iommu_map(&t, frame, sizeof frame, XDRV_DMA_FROM_DEVICE, &ring[k]) != 0;
		lowest = ring[k] < lowest ? ring[k] : lowest;
		highest = ring[k] > highest ? ring[k] : highest;
		max_leaves = t.leaves > max_leaves ? t.leaves : max_leaves;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(t.n, RING);
	CU_ASSERT(t.cap <= 2 * RING); /* records: the ring, rounded to a power of two */
	/* 1,024 mappings of 2 pages span 2,048 pages: 2 leaves, 3 where they straddle the
	 * window's end after a wrap or a leaf boundary */
	CU_ASSERT(max_leaves <= 4);
	CU_ASSERT_EQUAL(lowest, HVB_IOVA_BASE);			 /* it did wrap */
	CU_ASSERT(highest + 3 * HVB_IOVA_PAGE > HVB_IOVA_LIMIT); /* after using the whole window */
	for (uint32_t i = 0; i < RING; i++)
		bad += hvb_iommu_translate(&t, ring[i] + 100, 1000, true, NULL) != frame + 100;
	CU_ASSERT_EQUAL(bad, 0);
	hvb_iommu_clear(&t);
}

/* A wrap must skip live mappings: the first buffer mapped is still live when the cursor
 * comes round, and nothing may be placed on it. */
static void test_wrap_skips_live_mappings(void)
{
	static struct hvb_iommu t;
	static uint8_t b[1];
	uint64_t keep = 0, a = 0;
	hvb_iommu_init(&t);
	CU_ASSERT_EQUAL(hvb_iommu_map(&t, b, 1, XDRV_DMA_TO_DEVICE, &keep), 0);
	uint32_t bad = 0;
	for (uint32_t i = 0; i < HVB_IOVA_PAGES; i++) {
		bad += hvb_iommu_map(&t, b, 1, XDRV_DMA_TO_DEVICE, &a) != 0;
		bad += a == keep;
		bad += hvb_iommu_unmap(&t, a, 1) != 0;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_PTR_EQUAL(hvb_iommu_translate(&t, keep, 1, false, NULL), b);
	CU_ASSERT_EQUAL(t.n, 1);
	CU_ASSERT_EQUAL(t.leaves, 1);
	hvb_iommu_clear(&t);
}

XTEST_SUITE(hvb_iommu, NULL, NULL, XTEST(test_map_gives_page_aligned_private_bus_addresses),
	    XTEST(test_translate_rejects_range_past_mapping_end),
	    XTEST(test_translate_rejects_range_straddling_two_mappings),
	    XTEST(test_translate_rejects_bus_plus_len_overflow),
	    XTEST(test_translate_enforces_direction),
	    XTEST(test_stable_flag_is_reported_and_other_flag_bits_refused),
	    XTEST(test_unmap_then_translate_fails_and_address_not_reused_at_once),
	    XTEST(test_unmap_unknown_or_wrong_length_is_an_error),
	    XTEST(test_map_rejects_bad_arguments),
	    XTEST(test_window_exhaustion_and_wraparound_reuse), XTEST(test_mapping_count_is_capped),
	    XTEST(test_lookups_exact_from_1_to_the_mapping_cap),
	    XTEST(test_million_map_unmap_pairs_stay_bounded), XTEST(test_wrap_skips_live_mappings))
