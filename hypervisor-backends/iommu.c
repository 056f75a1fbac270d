// SPDX-License-Identifier: MIT
/*
 * The IOMMU table of one device: which bus address ranges map which host memory, in which
 * direction. Bus addresses come from a private window (hvb_priv.h), page-aligned, each mapping
 * followed by an unmapped guard page, handed out next-fit so that a freed address is not reused
 * until the window wraps (a device still using a stale address faults instead of hitting a new
 * buffer). Translation accepts only a range wholly inside one live mapping.
 *
 * The table is a sorted array: lookups are a binary search, maps and unmaps a memmove. Whether
 * the host memory behind a mapping is valid is the caller's business: the loader checks it at
 * map time (xdrv_dma_map), and device.c copies under a fault guard unless the mapping is
 * HVB_DMA_STABLE.
 */
#include "hvb_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/dma.h>

void hvb_iommu_init(struct hvb_iommu *t)
{
	memset(t, 0, sizeof *t);
	t->cursor = HVB_IOVA_BASE;
}

void hvb_iommu_clear(struct hvb_iommu *t)
{
	free(t->maps);
	hvb_iommu_init(t);
}

/* Index of the first mapping with bus >= addr. */
static size_t lower_bound(const struct hvb_iommu *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->maps[mid].bus < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* First gap of `need` bytes at or after `from`, below HVB_IOVA_LIMIT. */
static int find_gap(const struct hvb_iommu *t, uint64_t need, uint64_t from, uint64_t *out,
		    size_t *index)
{
	uint64_t pos = from;
	size_t i = lower_bound(t, from);
	if (i > 0) {
		uint64_t end = t->maps[i - 1].bus + t->maps[i - 1].span;
		if (end > pos)
			pos = end;
	}
	for (;; i++) {
		uint64_t gap_end = i < t->n ? t->maps[i].bus : HVB_IOVA_LIMIT;
		if (pos <= gap_end && gap_end - pos >= need) {
			*out = pos;
			*index = i;
			return 0;
		}
		if (i >= t->n)
			return -ENOSPC;
		pos = t->maps[i].bus + t->maps[i].span;
	}
}

int hvb_iommu_map(struct hvb_iommu *t, void *host, uint64_t len, uint32_t dir, uint64_t *bus)
{
	uint32_t xfer = dir & ~HVB_DMA_STABLE;
	if (!host || len == 0 || len > HVB_IOVA_MAX_LEN || xfer < XDRV_DMA_TO_DEVICE ||
	    xfer > XDRV_DMA_BIDIRECTIONAL)
		return -EINVAL;
	if (len > UINTPTR_MAX - (uintptr_t)host)
		return -EINVAL; /* [host, host+len) wraps the address space */
	if (t->n >= HVB_IOVA_MAX_MAPPINGS)
		return -ENOSPC;
	/* len <= 1 GiB, so neither rounding nor the guard page can overflow */
	uint64_t span = (len + HVB_IOVA_PAGE - 1) / HVB_IOVA_PAGE * HVB_IOVA_PAGE + HVB_IOVA_PAGE;
	uint64_t addr = 0;
	size_t idx = 0;
	if (find_gap(t, span, t->cursor, &addr, &idx) != 0 &&
	    find_gap(t, span, HVB_IOVA_BASE, &addr, &idx) != 0)
		return -ENOSPC;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct hvb_iommu_map *m = realloc(t->maps, cap * sizeof *m);
		if (!m)
			return -ENOMEM;
		t->maps = m;
		t->cap = cap;
	}
	memmove(&t->maps[idx + 1], &t->maps[idx], (t->n - idx) * sizeof *t->maps);
	t->maps[idx] = (struct hvb_iommu_map){
		.bus = addr, .len = len, .span = span, .host = host, .dir = dir};
	t->n++;
	t->cursor = addr + span;
	*bus = addr;
	return 0;
}

int hvb_iommu_unmap(struct hvb_iommu *t, uint64_t bus, uint64_t len)
{
	size_t i = lower_bound(t, bus);
	if (i >= t->n || t->maps[i].bus != bus)
		return -ENOENT;
	if (t->maps[i].len != len)
		return -EINVAL;
	memmove(&t->maps[i], &t->maps[i + 1], (t->n - i - 1) * sizeof *t->maps);
	t->n--;
	return 0;
}

void *hvb_iommu_translate(const struct hvb_iommu *t, uint64_t bus, uint64_t len, bool write,
			  bool *stable)
{
	if (len == 0 || len > UINT64_MAX - bus)
		return NULL;
	/* the candidate is the last mapping starting at or below bus */
	size_t i = lower_bound(t, bus);
	if (i < t->n && t->maps[i].bus == bus)
		i++;
	if (i == 0)
		return NULL;
	const struct hvb_iommu_map *m = &t->maps[i - 1];
	uint64_t off = bus - m->bus;
	if (off >= m->len || len > m->len - off)
		return NULL;
	if (!(m->dir & (write ? XDRV_DMA_FROM_DEVICE : XDRV_DMA_TO_DEVICE)))
		return NULL;
	if (stable)
		*stable = (m->dir & HVB_DMA_STABLE) != 0;
	return m->host + off;
}
