// SPDX-License-Identifier: MIT
/*
 * The device part of the ABI runtime: device identity, regions and register access,
 * interrupts and DMA, each mapped onto the hypervisor backend (hvb.h). The backend checks
 * offsets and widths against the model's region table (a bad access reads all ones, as a master
 * abort would); this file checks the handles and the host memory a driver maps for DMA, and
 * keeps what the driver holds (interrupt handlers, coherent buffers, streaming mappings) so that
 * unbind can release it.
 */
#include "runtime_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/util.h>

static struct ldr_driver *dev_get(xdrv_device_t *dev, const char *fn)
{
	struct ldr_obj *o = ldr_resolve(LDR_H_DEVICE, dev, fn);
	return o ? o->drv : NULL;
}

static struct ldr_region *region_get(xdrv_region_t *r, const char *fn)
{
	return (struct ldr_region *)ldr_resolve(LDR_H_REGION, r, fn);
}

/* ---- identity and regions -------------------------------------------------------------------- */

int32_t xdrv_dev_info(xdrv_device_t *dev, struct xdrv_device_info *info)
{
	struct ldr_driver *drv = dev_get(dev, "xdrv_dev_info");
	if (!drv)
		return XDRV_EINVAL;
	if (!info) {
		ldr_rt_log(drv, XDRV_LOG_WARN, "xdrv_dev_info: NULL info");
		return XDRV_EINVAL;
	}
	const struct hvb_model_ops *m = drv->model;
	struct xdrv_device_info di = {
		.bus = m->bus,
		.vendor = m->vendor,
		.device = m->device,
		.class_code = m->class_code,
		.subvendor = m->subvendor,
		.subdevice = m->subdevice,
		.revision = m->revision,
		.num_regions = drv->nregions,
		.num_irqs = drv->nirqs,
	};
	memcpy(info, &di, sizeof di);
	return XDRV_OK;
}

xdrv_region_t *xdrv_dev_region(xdrv_device_t *dev, uint32_t index)
{
	struct ldr_driver *drv = dev_get(dev, "xdrv_dev_region");
	if (!drv)
		return NULL;
	if (index >= drv->nregions) {
		ldr_rt_log(drv, XDRV_LOG_WARN, "xdrv_dev_region: no region %u (device has %u)",
			   index, drv->nregions);
		return NULL;
	}
	return ldr_h2p(drv->regions[index].o.handle);
}

uint64_t xdrv_region_size(xdrv_region_t *region)
{
	struct ldr_region *r = region_get(region, "xdrv_region_size");
	return r ? r->size : 0;
}

uint32_t xdrv_region_kind(xdrv_region_t *region)
{
	struct ldr_region *r = region_get(region, "xdrv_region_kind");
	return r ? r->kind : XDRV_REGION_NONE;
}

void xdrv_dev_set_priv(xdrv_device_t *dev, void *priv)
{
	struct ldr_driver *drv = dev_get(dev, "xdrv_dev_set_priv");
	if (drv)
		drv->priv = priv;
}

void *xdrv_dev_priv(xdrv_device_t *dev)
{
	struct ldr_driver *drv = dev_get(dev, "xdrv_dev_priv");
	return drv ? drv->priv : NULL;
}

/* ---- register access ------------------------------------------------------------------------ */

static uint64_t io_read(xdrv_region_t *region, uint64_t off, uint32_t size, const char *fn)
{
	struct ldr_region *r = region_get(region, fn);
	if (!r)
		return ~0ull;
	return hvb_reg_read(r->o.drv->hdev, r->index, off, size);
}

static void io_write(xdrv_region_t *region, uint64_t off, uint32_t size, uint64_t v, const char *fn)
{
	struct ldr_region *r = region_get(region, fn);
	if (r)
		hvb_reg_write(r->o.drv->hdev, r->index, off, size, v);
}

uint8_t xdrv_io_read8(xdrv_region_t *region, uint64_t offset)
{
	return (uint8_t)io_read(region, offset, 1, "xdrv_io_read8");
}

uint16_t xdrv_io_read16(xdrv_region_t *region, uint64_t offset)
{
	return (uint16_t)io_read(region, offset, 2, "xdrv_io_read16");
}

uint32_t xdrv_io_read32(xdrv_region_t *region, uint64_t offset)
{
	return (uint32_t)io_read(region, offset, 4, "xdrv_io_read32");
}

uint64_t xdrv_io_read64(xdrv_region_t *region, uint64_t offset)
{
	return io_read(region, offset, 8, "xdrv_io_read64");
}

void xdrv_io_write8(xdrv_region_t *region, uint64_t offset, uint8_t value)
{
	io_write(region, offset, 1, value, "xdrv_io_write8");
}

void xdrv_io_write16(xdrv_region_t *region, uint64_t offset, uint16_t value)
{
	io_write(region, offset, 2, value, "xdrv_io_write16");
}

void xdrv_io_write32(xdrv_region_t *region, uint64_t offset, uint32_t value)
{
	io_write(region, offset, 4, value, "xdrv_io_write32");
}

void xdrv_io_write64(xdrv_region_t *region, uint64_t offset, uint64_t value)
{
	io_write(region, offset, 8, value, "xdrv_io_write64");
}

/* ---- interrupts ----------------------------------------------------------------------------- */

static struct ldr_driver *irq_get(xdrv_device_t *dev, uint32_t index, const char *fn)
{
	struct ldr_driver *drv = dev_get(dev, fn);
	if (drv && index >= drv->nirqs) {
		ldr_rt_log(drv, XDRV_LOG_WARN, "%s: no interrupt line %u (device has %u)", fn,
			   index, drv->nirqs);
		return NULL;
	}
	return drv;
}

int32_t xdrv_irq_request(xdrv_device_t *dev, uint32_t index, xdrv_irq_handler_t handler, void *ctx)
{
	struct ldr_driver *drv = irq_get(dev, index, "xdrv_irq_request");
	if (!drv)
		return XDRV_EINVAL;
	if (!handler) {
		ldr_rt_log(drv, XDRV_LOG_WARN, "xdrv_irq_request: NULL handler for line %u", index);
		return XDRV_EINVAL;
	}
	struct ldr_irq_line *l = &drv->irq[index];
	if (l->fn)
		return XDRV_EBUSY;
	l->fn = handler;
	l->ctx = ctx;
	l->unhandled = 0;
	hvb_irq_unmask(drv->hdev, index);
	return XDRV_OK;
}

void xdrv_irq_free(xdrv_device_t *dev, uint32_t index)
{
	struct ldr_driver *drv = irq_get(dev, index, "xdrv_irq_free");
	if (!drv)
		return;
	hvb_irq_mask(drv->hdev, index);
	memset(&drv->irq[index], 0, sizeof drv->irq[index]);
}

void xdrv_irq_mask(xdrv_device_t *dev, uint32_t index)
{
	struct ldr_driver *drv = irq_get(dev, index, "xdrv_irq_mask");
	if (drv)
		hvb_irq_mask(drv->hdev, index);
}

void xdrv_irq_unmask(xdrv_device_t *dev, uint32_t index)
{
	struct ldr_driver *drv = irq_get(dev, index, "xdrv_irq_unmask");
	if (drv)
		hvb_irq_unmask(drv->hdev, index);
}

void xdrv_irq_ack(xdrv_device_t *dev, uint32_t index)
{
	struct ldr_driver *drv = irq_get(dev, index, "xdrv_irq_ack");
	if (!drv)
		return;
	hvb_irq_ack(drv->hdev, index);
	drv->irq[index].acked = true;
}

/* A line that keeps asserting while its handler says "not mine" would spin the host forever;
 * after this many answers in a row it is masked, as Linux does with "nobody cared". */
#define IRQ_UNHANDLED_LIMIT 100000u

LDR_CALLS_DRIVER
int ldr_irq_dispatch(struct ldr_driver *drv)
{
	int n = 0;
	for (uint32_t i = 0; i < drv->nirqs; i++) {
		struct ldr_irq_line *l = &drv->irq[i];
		if (!l->fn || !hvb_irq_pending(drv->hdev, i))
			continue;
		xdrv_irq_handler_t fn = l->fn;
		l->acked = false;
		uint32_t r = XDRV_IRQ_NONE;
		LDR_DRIVER_CALL(drv, r = fn(l->ctx), r = XDRV_IRQ_NONE);
		n++;
		/* the handler may have freed the line (l->fn cleared): ack it anyway, it fired */
		if (!l->acked)
			hvb_irq_ack(drv->hdev, i);
		l->acked = false;
		if (r == XDRV_IRQ_HANDLED) {
			l->unhandled = 0;
		} else if (l->fn && ++l->unhandled == IRQ_UNHANDLED_LIMIT) {
			ldr_rt_log(drv, XDRV_LOG_ERROR,
				   "interrupt line %u: %u unhandled interrupts in a row; masked", i,
				   IRQ_UNHANDLED_LIMIT);
			hvb_irq_mask(drv->hdev, i);
		}
	}
	return n;
}

/* ---- DMA ------------------------------------------------------------------------------------ */

static bool dir_ok(uint32_t dir)
{
	return dir >= XDRV_DMA_TO_DEVICE && dir <= XDRV_DMA_BIDIRECTIONAL;
}

/* What a mapping in each direction needs of the host memory, for the refusal's message. */
static const struct {
	const char *mapped, *does;
} dir_access[] = {
	[XDRV_DMA_TO_DEVICE] = {"readable", "read"},
	[XDRV_DMA_FROM_DEVICE] = {"writable", "write"},
	[XDRV_DMA_BIDIRECTIONAL] = {"readable and writable", "read and write"},
};

/*
 * Is every page of [buf, buf + len) mapped in the host with the access the device needs (dir)?
 * If not, *bad is the first address that is not. The caller has checked that the range does not
 * wrap.
 *
 * Why touching, under a fault guard: it is exact (the MMU answers, for exactly this process's
 * page tables, whatever changed them last: malloc/free, munmap, the JIT linker's mprotect) and
 * costs one load (to-device) or one compare-and-swap (from-device) per page, no system call,
 * which matters because drivers map per packet (dp83820 on TX and on every RX refill). Reading
 * /proc/self/maps per map is slow, and a cache of it would go stale whenever a mapping changes;
 * mincore() says "mapped" but not with which permissions; process_vm_readv() on our own pid
 * answers "readable" only, and costs a system call (about 1.2 us on the bench's machine, where
 * this check costs a few ns per page). A device that writes needs the page writable: a
 * compare-and-swap of a byte with its own value is a write for the MMU and leaves the data as it
 * was, even against another thread writing (the swap is atomic: it writes back what is there or
 * nothing). Each page is touched at an address inside the range, never beside it. Not
 * instrumented by AddressSanitizer: the range is the driver's word, and what is checked here is
 * the host's page tables, not the sanitizer's idea of heap blocks.
 *
 * This is a check at map time, for a clear message and an error the driver sees at the call.
 * It cannot promise that the memory stays there (the driver can free it): the device models'
 * copies are guarded on their own (hvb_dma_read/hvb_dma_write), so memory gone since the map is
 * a DMA fault of the device, never a fault of the host.
 */
__attribute__((no_sanitize("address"))) static bool host_range_ok(const void *buf, uint64_t len,
								  uint32_t dir, uintptr_t *bad)
{
	static uintptr_t page;
	if (!page) {
		long pg = sysconf(_SC_PAGESIZE);
		page = pg > 0 ? (uintptr_t)pg : 4096u; /* a smaller step is still correct */
	}
	uintptr_t last = (uintptr_t)buf + (uintptr_t)(len - 1);
	/* the address being probed, kept here rather than taken from the fault: the kernel reports
	 * 0 for a non-canonical address on x86-64, and only the page on s390x */
	volatile uintptr_t at = (uintptr_t)buf;
	struct xdrv_guard g;
	bool ok = true;
	xdrv_guard_push(&g);
	if (sigsetjmp(g.jb, 0) == 0) {
		for (uintptr_t p = (uintptr_t)buf;; p = (p | (page - 1)) + 1) {
			at = p;
			volatile uint8_t *b = (volatile uint8_t *)p;
			uint8_t v = *b;
			if (dir & XDRV_DMA_FROM_DEVICE)
				__atomic_compare_exchange_n(b, &v, v, false, __ATOMIC_RELAXED,
							    __ATOMIC_RELAXED);
			if ((p | (page - 1)) >= last)
				break;
		}
	} else {
		ok = false;
		*bad = at;
	}
	xdrv_guard_pop(&g);
	return ok;
}

/* Coherent buffers are page-aligned: descriptor rings of real chips want at least that. */
#define COHERENT_ALIGN 4096u

void *xdrv_dma_alloc_coherent(xdrv_device_t *dev, uint64_t size, uint64_t *bus_addr)
{
	struct ldr_driver *drv = dev_get(dev, "xdrv_dma_alloc_coherent");
	if (!drv)
		return NULL;
	if (!bus_addr || size == 0) {
		ldr_rt_log(drv, XDRV_LOG_WARN, "xdrv_dma_alloc_coherent: %s",
			   bus_addr ? "size 0" : "NULL bus_addr");
		return NULL;
	}
	if (size > LDR_DMA_CAP - drv->dma_bytes) {
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "xdrv_dma_alloc_coherent: %llu bytes would exceed the driver's DMA cap "
			   "of %llu MiB",
			   (unsigned long long)size, LDR_DMA_CAP >> 20);
		return NULL;
	}
	size_t asz = (size_t)((size + COHERENT_ALIGN - 1) & ~(uint64_t)(COHERENT_ALIGN - 1));
	struct ldr_coherent *c = calloc(1, sizeof *c);
	void *cpu = aligned_alloc(COHERENT_ALIGN, asz);
	char *err = NULL;
	if (!c || !cpu)
		goto out_free;
	memset(cpu, 0, asz);
	/* HVB_DMA_STABLE: the runtime owns this memory and frees it only after the unmap, so the
	 * models copy to and from it without a fault guard (hvb.h) */
	if (hvb_dma_map(drv->hdev, cpu, size, XDRV_DMA_BIDIRECTIONAL | HVB_DMA_STABLE, &c->bus,
			&err) != 0) {
		ldr_rt_log(drv, XDRV_LOG_WARN, "xdrv_dma_alloc_coherent: %s",
			   err ? err : "mapping failed");
		goto out_free;
	}
	c->cpu = cpu;
	c->size = size;
	if (ldr_map_put(&drv->coherent, (uint64_t)(uintptr_t)cpu, c) != 0) {
		hvb_dma_unmap(drv->hdev, c->bus, size);
		goto out_free;
	}
	drv->dma_bytes += size;
	*bus_addr = c->bus;
	return cpu;
out_free:
	free(err);
	free(cpu);
	free(c);
	return NULL;
}

static void coherent_release(struct ldr_driver *drv, struct ldr_coherent *c)
{
	hvb_dma_unmap(drv->hdev, c->bus, c->size);
	drv->dma_bytes -= c->size;
	free(c->cpu);
	free(c);
}

void xdrv_dma_free_coherent(xdrv_device_t *dev, void *cpu_addr, uint64_t size, uint64_t bus_addr)
{
	struct ldr_driver *drv = dev_get(dev, "xdrv_dma_free_coherent");
	if (!drv || !cpu_addr)
		return;
	struct ldr_coherent *c = ldr_map_get(&drv->coherent, (uint64_t)(uintptr_t)cpu_addr);
	if (!c || c->bus != bus_addr) {
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "xdrv_dma_free_coherent: %p / bus 0x%llx is not a coherent buffer of "
			   "this driver; ignored",
			   cpu_addr, (unsigned long long)bus_addr);
		return;
	}
	if (c->size != size)
		ldr_rt_log(
			drv, XDRV_LOG_WARN,
			"xdrv_dma_free_coherent: size %llu, allocated %llu; freed the allocation",
			(unsigned long long)size, (unsigned long long)c->size);
	ldr_map_del(&drv->coherent, (uint64_t)(uintptr_t)cpu_addr);
	coherent_release(drv, c);
}

int32_t xdrv_dma_map(xdrv_device_t *dev, void *buf, uint64_t len, uint32_t dir, uint64_t *bus_addr)
{
	struct ldr_driver *drv = dev_get(dev, "xdrv_dma_map");
	if (!drv)
		return XDRV_EINVAL;
	if (!buf || !len || !bus_addr || !dir_ok(dir)) {
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "xdrv_dma_map: bad argument (buf %p, len %llu, dir %u)", buf,
			   (unsigned long long)len, dir);
		return XDRV_EINVAL;
	}
	if (len > UINTPTR_MAX - (uintptr_t)buf) {
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "xdrv_dma_map: buffer %p + %llu bytes wraps past the end of the address "
			   "space; refused",
			   buf, (unsigned long long)len);
		return XDRV_EINVAL;
	}
	if (drv->maps.live >= LDR_DMA_MAPS_MAX || len > LDR_DMA_CAP - drv->dma_bytes) {
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "xdrv_dma_map: over the driver's limit (%u mappings, %llu MiB)",
			   LDR_DMA_MAPS_MAX, LDR_DMA_CAP >> 20);
		return XDRV_ENOSPC;
	}
	uintptr_t bad = 0;
	if (!host_range_ok(buf, len, dir, &bad)) {
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "xdrv_dma_map: buffer %p + %llu bytes is not mapped %s in the host (the "
			   "device would %s there; first bad address %#" PRIxPTR "); refused",
			   buf, (unsigned long long)len, dir_access[dir].mapped,
			   dir_access[dir].does, bad);
		return XDRV_EFAULT;
	}
	struct ldr_mapping *mp = calloc(1, sizeof *mp);
	if (!mp)
		return XDRV_ENOMEM;
	char *err = NULL;
	if (hvb_dma_map(drv->hdev, buf, len, dir, &mp->bus, &err) != 0) {
		ldr_rt_log(drv, XDRV_LOG_WARN, "xdrv_dma_map: %s", err ? err : "mapping failed");
		free(err);
		free(mp);
		return XDRV_ENOMEM;
	}
	mp->len = len;
	mp->host = buf;
	mp->dir = dir;
	if (ldr_map_put(&drv->maps, mp->bus, mp) != 0) {
		hvb_dma_unmap(drv->hdev, mp->bus, len);
		free(mp);
		return XDRV_ENOMEM;
	}
	drv->dma_bytes += len;
	*bus_addr = mp->bus;
	return XDRV_OK;
}

void xdrv_dma_unmap(xdrv_device_t *dev, uint64_t bus_addr, uint64_t len, uint32_t dir)
{
	struct ldr_driver *drv = dev_get(dev, "xdrv_dma_unmap");
	if (!drv)
		return;
	struct ldr_mapping *mp = ldr_map_get(&drv->maps, bus_addr);
	if (!mp) {
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "xdrv_dma_unmap: bus 0x%llx is not a mapping of this driver; ignored",
			   (unsigned long long)bus_addr);
		return;
	}
	if (mp->len != len || mp->dir != dir)
		ldr_rt_log(
			drv, XDRV_LOG_WARN,
			"xdrv_dma_unmap: bus 0x%llx mapped with len %llu dir %u, unmapped with len "
			"%llu dir %u; unmapped the mapping",
			(unsigned long long)bus_addr, (unsigned long long)mp->len, mp->dir,
			(unsigned long long)len, dir);
	ldr_map_del(&drv->maps, bus_addr);
	hvb_dma_unmap(drv->hdev, mp->bus, mp->len);
	drv->dma_bytes -= mp->len;
	free(mp);
}

/*
 * A sync checks that the range is mapped (a driver bug otherwise) and orders the driver's
 * memory accesses against the device's.
 *
 * Lookup: the whole of a streaming mapping is one hash probe on its bus address; anything else
 * (part of a mapping, part of a coherent buffer) is asked of the device's IOMMU table, whose
 * mappings are exactly this driver's streaming and coherent ones (drv->hdev is the driver's own
 * device) and which answers in constant time. (The first version scanned every slot of both
 * maps: 219-371 us per sync once the maps had grown.)
 *
 * Ordering: host memory is cache-coherent with the device models on every host we run on, and
 * when the backend translates in process (native; hvb_dma_mapped answers) the models also run
 * in the driver's thread: a register write reaches the model through a call, and the model's
 * DMA for received frames and timers runs from the dispatch loop in the same thread, never
 * concurrently with the driver. Program order (sequenced-before) therefore already orders a
 * driver's stores to a buffer before the model's loads of it and the other way round; what is
 * left is the compiler, which must not cache buffer contents in registers or move accesses
 * across the sync. A signal fence is exactly that (no instruction is emitted, only compiler
 * ordering); a full fence (mfence, ~30-100 cycles) buys nothing more within one thread. A
 * backend whose devices run elsewhere (another thread, process or domain) gets the full fence.
 */
static void dma_sync(xdrv_device_t *dev, uint64_t bus, uint64_t len, uint32_t dir, const char *fn)
{
	struct ldr_driver *drv = dev_get(dev, fn);
	if (!drv)
		return;
	struct ldr_mapping *mp = ldr_map_get(&drv->maps, bus);
	bool ok = dir_ok(dir) && (mp ? len <= mp->len : hvb_dma_mapped(drv->hdev, bus, len) == 1);
	if (!ok)
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "%s: bus 0x%llx len %llu is not mapped by this driver", fn,
			   (unsigned long long)bus, (unsigned long long)len);
	if (hvb_dma_in_process(drv->hdev))
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

void xdrv_dma_sync_for_cpu(xdrv_device_t *dev, uint64_t bus_addr, uint64_t len, uint32_t dir)
{
	dma_sync(dev, bus_addr, len, dir, "xdrv_dma_sync_for_cpu");
}

void xdrv_dma_sync_for_device(xdrv_device_t *dev, uint64_t bus_addr, uint64_t len, uint32_t dir)
{
	dma_sync(dev, bus_addr, len, dir, "xdrv_dma_sync_for_device");
}

uint32_t ldr_driver_dma_in_use(const struct ldr_driver *drv)
{
	return drv ? drv->maps.live + drv->coherent.live + drv->rxpools : 0;
}

void ldr_device_release_all(struct ldr_driver *drv, struct ldr_unbind_report *rep)
{
	for (uint32_t i = 0; i < drv->nirqs; i++) {
		if (drv->irq[i].fn)
			rep->irqs++;
		hvb_irq_mask(drv->hdev, i);
		memset(&drv->irq[i], 0, sizeof drv->irq[i]);
	}
	for (uint32_t i = 0; i < drv->maps.cap; i++) {
		if (!ldr_map_live(&drv->maps, i))
			continue;
		struct ldr_mapping *mp = drv->maps.vals[i];
		hvb_dma_unmap(drv->hdev, mp->bus, mp->len);
		rep->dma_maps++;
		rep->dma_bytes += mp->len;
		free(mp);
	}
	ldr_map_free(&drv->maps);
	for (uint32_t i = 0; i < drv->coherent.cap; i++) {
		if (!ldr_map_live(&drv->coherent, i))
			continue;
		struct ldr_coherent *c = drv->coherent.vals[i];
		rep->coherent++;
		rep->dma_bytes += c->size;
		coherent_release(drv, c);
	}
	ldr_map_free(&drv->coherent);
	drv->dma_bytes = 0;
}
