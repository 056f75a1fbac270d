// SPDX-License-Identifier: MIT
/*
 * The IOMMU table of one device: which bus address ranges map which host memory, in which
 * direction. Bus addresses come from a private window (hvb_priv.h), page-aligned, each mapping
 * followed by an unmapped guard page, handed out next-fit so that a freed address is not reused
 * until the window wraps (a device still using a stale address faults instead of hitting a new
 * buffer). Translation accepts only a range wholly inside one live mapping.
 *
 * The table is a two-level page table over the window (bus page -> record index) and a pool of
 * records recycled through a free list. A NIC maps and unmaps one buffer per frame, so these
 * operations are on the data path: a sorted array (the first version) cost a memmove of every
 * later entry per unmap, 21 ns per map+unmap pair at 16 live mappings and 1.9 us at 4,096.
 * Here a map or unmap costs one store per page of the mapping and a translation two loads,
 * whatever the number of live mappings. Whether the host memory behind a mapping is valid is
 * the caller's business: the loader checks it at map time (xdrv_dma_map), and device.c copies
 * under a fault guard unless the mapping is HVB_DMA_STABLE.
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
	for (uint32_t i = 0; i < HVB_IOVA_LEAVES; i++)
		free(t->leaf[i]);
	free(t->spare);
	free(t->maps);
	hvb_iommu_init(t);
}

/* Record index + 1 of the mapping that holds window page pg, 0 if none. */
static uint32_t page_slot(const struct hvb_iommu *t, uint32_t pg)
{
	const struct hvb_iommu_leaf *l = t->leaf[pg >> HVB_IOVA_LEAF_SHIFT];
	return l ? l->slot[pg & (HVB_IOVA_LEAF_PAGES - 1)] : 0;
}

/* Window page of a bus address, or UINT32_MAX outside the window. */
static uint32_t bus_page(uint64_t bus)
{
	if (bus < HVB_IOVA_BASE || bus >= HVB_IOVA_LIMIT)
		return UINT32_MAX;
	return (uint32_t)((bus - HVB_IOVA_BASE) / HVB_IOVA_PAGE);
}

/* First run of `npages` free pages in [from, to), skipping over whole mappings. */
static int find_free(const struct hvb_iommu *t, uint32_t npages, uint32_t from, uint32_t to,
		     uint32_t *out)
{
	uint32_t p = from;
	while (p < to && to - p >= npages) {
		uint32_t q = p, busy = 0;
		while (q < p + npages) {
			if (!t->leaf[q >> HVB_IOVA_LEAF_SHIFT]) {
				/* a whole empty leaf */
				q = ((q >> HVB_IOVA_LEAF_SHIFT) + 1) << HVB_IOVA_LEAF_SHIFT;
				continue;
			}
			busy = page_slot(t, q);
			if (busy)
				break;
			q++;
		}
		if (!busy) {
			*out = p;
			return 0;
		}
		const struct hvb_iommu_map *m = &t->maps[busy - 1];
		p = bus_page(m->bus) + (uint32_t)(m->span / HVB_IOVA_PAGE);
	}
	return -ENOSPC;
}

/* Point pages [pg, pg+npages) at slot (0 clears them). A leaf is allocated with its first page
 * and released with its last, so the table shrinks back when mappings go. Clearing cannot
 * fail; setting fails only with -ENOMEM, and then leaves no page set. */
static int set_pages(struct hvb_iommu *t, uint32_t pg, uint32_t npages, uint32_t slot)
{
	for (uint32_t p = pg; p < pg + npages;) {
		uint32_t li = p >> HVB_IOVA_LEAF_SHIFT;
		uint32_t end = (li + 1) << HVB_IOVA_LEAF_SHIFT;
		if (end > pg + npages)
			end = pg + npages;
		struct hvb_iommu_leaf *l = t->leaf[li];
		if (!l) {
			if (!slot) {
				p = end;
				continue;
			}
			l = t->spare ? t->spare : malloc(sizeof *l);
			if (!l) {
				set_pages(t, pg, p - pg, 0);
				return -ENOMEM;
			}
			t->spare = NULL;
			memset(l, 0, sizeof *l);
			t->leaf[li] = l;
			t->leaves++;
		}
		uint32_t count = end - p;
		for (; p < end; p++)
			l->slot[p & (HVB_IOVA_LEAF_PAGES - 1)] = slot;
		if (slot) {
			l->used += count;
			continue;
		}
		l->used -= count;
		if (l->used == 0) {
			t->leaf[li] = NULL;
			t->leaves--;
			if (!t->spare)
				t->spare = l;
			else
				free(l);
		}
	}
	return 0;
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
	uint32_t npages = (uint32_t)((len + HVB_IOVA_PAGE - 1) / HVB_IOVA_PAGE) + 1;
	uint32_t from = bus_page(t->cursor), pg = 0;
	if (from == UINT32_MAX)
		from = 0;
	if (find_free(t, npages, from, HVB_IOVA_PAGES, &pg) != 0 &&
	    find_free(t, npages, 0, HVB_IOVA_PAGES, &pg) != 0)
		return -ENOSPC;
	if (!t->free_head) {
		/* no free record: grow the pool (all records are live, t->n == t->cap) */
		size_t cap = t->cap ? t->cap * 2 : 16;
		if (cap > HVB_IOVA_MAX_MAPPINGS)
			cap = HVB_IOVA_MAX_MAPPINGS;
		struct hvb_iommu_map *m = realloc(t->maps, cap * sizeof *m);
		if (!m)
			return -ENOMEM;
		for (size_t i = t->cap; i < cap; i++)
			m[i].next_free = i + 1 < cap ? (uint32_t)(i + 2) : 0;
		t->free_head = (uint32_t)t->cap + 1;
		t->maps = m;
		t->cap = cap;
	}
	uint32_t slot = t->free_head;
	if (set_pages(t, pg, npages, slot) != 0)
		return -ENOMEM;
	struct hvb_iommu_map *m = &t->maps[slot - 1];
	t->free_head = m->next_free;
	uint64_t addr = HVB_IOVA_BASE + (uint64_t)pg * HVB_IOVA_PAGE;
	*m = (struct hvb_iommu_map){.bus = addr,
				    .len = len,
				    .span = (uint64_t)npages * HVB_IOVA_PAGE,
				    .host = host,
				    .dir = dir};
	t->n++;
	t->cursor = addr + m->span;
	*bus = addr;
	return 0;
}

/* The live mapping whose pages hold bus, or NULL. */
static const struct hvb_iommu_map *lookup(const struct hvb_iommu *t, uint64_t bus)
{
	uint32_t pg = bus_page(bus);
	uint32_t slot = pg == UINT32_MAX ? 0 : page_slot(t, pg);
	return slot ? &t->maps[slot - 1] : NULL;
}

int hvb_iommu_unmap(struct hvb_iommu *t, uint64_t bus, uint64_t len)
{
	const struct hvb_iommu_map *m = lookup(t, bus);
	if (!m || m->bus != bus)
		return -ENOENT;
	if (m->len != len)
		return -EINVAL;
	uint32_t slot = (uint32_t)(m - t->maps) + 1;
	set_pages(t, bus_page(bus), (uint32_t)(m->span / HVB_IOVA_PAGE), 0);
	t->maps[slot - 1] = (struct hvb_iommu_map){.next_free = t->free_head};
	t->free_head = slot;
	t->n--;
	return 0;
}

void *hvb_iommu_translate(const struct hvb_iommu *t, uint64_t bus, uint64_t len, bool write,
			  bool *stable)
{
	if (len == 0 || len > UINT64_MAX - bus)
		return NULL;
	const struct hvb_iommu_map *m = lookup(t, bus);
	if (!m)
		return NULL;
	uint64_t off = bus - m->bus;
	if (off >= m->len || len > m->len - off)
		return NULL;
	if (!(m->dir & (write ? XDRV_DMA_FROM_DEVICE : XDRV_DMA_TO_DEVICE)))
		return NULL;
	if (stable)
		*stable = (m->dir & HVB_DMA_STABLE) != 0;
	return m->host + off;
}
