// SPDX-License-Identifier: MIT
/*
 * What a device model (models/) and the runtime use of one device instance: guest-error and host
 * logging, the accessors, checking every register access against the model's region table
 * before the backend sees it, the interrupt controller (a level and a mask bit per line), the DMA
 * entry points and the one-shot timers.
 *
 * Creating and destroying backends and devices (and finding them by name) is backend.c, which
 * sits above the models; this file sits below them, so a model never depends on the list that
 * names it. How bus addresses reach memory is the backend's (native/native.c); copying to and
 * from that memory without letting a bad mapping fault the host is this file's (dma_copy).
 */
#include "hvb_priv.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xdrv/device.h>
#include <xdrv/fault_guard.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

/* ---- host log -------------------------------------------------------------------------------- */

static void (*log_fn)(void *ctx, const char *line);
static void *log_ctx;

void hvb_set_log(void (*fn)(void *ctx, const char *line), void *ctx)
{
	log_fn = fn;
	log_ctx = fn ? ctx : NULL;
}

void hvb_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap); /* a truncated log line is still useful */
	va_end(ap);
	if (log_fn)
		log_fn(log_ctx, line);
	else
		fprintf(stderr, "hvb: %s\n", line);
}

void hvb_guest_error(struct hvb_device *d, const char *key, const char *msg)
{
	if (!d || !key)
		return;
	for (uint32_t i = 0; i < d->nlogged; i++)
		if (strcmp(d->logged[i], key) == 0)
			return;
	if (d->nlogged == HVB_LOGGED_KEYS) {
		if (!d->log_full)
			hvb_log("%s: further kinds of guest error are not logged", d->name);
		d->log_full = true;
		return;
	}
	char *k = strdup(key);
	if (!k)
		return;
	d->logged[d->nlogged++] = k;
	hvb_log("%s: guest error: %s", d->name, msg ? msg : key);
}

const struct hvb_model_ops *hvb_device_model(const struct hvb_device *d)
{
	return d ? d->model : NULL;
}

const char *hvb_device_name(const struct hvb_device *d)
{
	return d ? d->name : NULL;
}

void *hvb_device_state(const struct hvb_device *d)
{
	return d ? d->opaque : NULL;
}

void hvb_device_reset(struct hvb_device *d)
{
	if (d && d->model->reset)
		d->model->reset(d->opaque);
}

uint64_t hvb_device_bad_accesses(const struct hvb_device *d)
{
	return d ? d->bad_accesses : 0;
}

/* ---- register access ------------------------------------------------------------------------- */

static uint64_t all_ones(uint32_t size)
{
	if (size >= 8)
		return UINT64_MAX;
	return size ? (UINT64_C(1) << (8 * size)) - 1 : 0;
}

/* NULL if the access is valid, else the guest-error key (also counted and logged). */
static const char *check_access(struct hvb_device *d, const char *what, uint32_t region,
				uint64_t off, uint32_t size)
{
	const char *key = NULL;
	char msg[200];
	if (region >= d->model->num_regions) {
		key = "bad-region";
		snprintf(msg, sizeof msg,
			 "%s of %" PRIu32 " bytes at region %" PRIu32
			 ": no such region (device has %" PRIu32 ")",
			 what, size, region, d->model->num_regions);
	} else {
		const struct hvb_region_desc *r = &d->model->regions[region];
		bool width_ok = (size == 1 || size == 2 || size == 4 || size == 8) &&
				(r->access_sizes & size);
		if (!width_ok) {
			key = "bad-width";
			snprintf(msg, sizeof msg,
				 "%s of %" PRIu32 " bytes at region %" PRIu32 " offset 0x%" PRIx64
				 ": width not allowed (allowed mask 0x%" PRIx32 ")",
				 what, size, region, off, r->access_sizes);
		} else if (off % size) {
			key = "unaligned";
			snprintf(msg, sizeof msg,
				 "%s of %" PRIu32 " bytes at region %" PRIu32 " offset 0x%" PRIx64
				 ": not naturally aligned",
				 what, size, region, off);
		} else if (off > r->size || size > r->size - off) {
			key = "out-of-range";
			snprintf(msg, sizeof msg,
				 "%s of %" PRIu32 " bytes at region %" PRIu32 " offset 0x%" PRIx64
				 ": outside the region (size 0x%" PRIx64 ")",
				 what, size, region, off, r->size);
		}
	}
	if (key) {
		d->bad_accesses++;
		hvb_guest_error(d, key, msg);
	}
	return key;
}

uint64_t hvb_reg_read(struct hvb_device *d, uint32_t region, uint64_t off, uint32_t size)
{
	if (!d)
		return all_ones(size);
	if (check_access(d, "read", region, off, size))
		return all_ones(size);
	return d->backend->ops->reg_read(d, region, off, size) & all_ones(size);
}

void hvb_reg_write(struct hvb_device *d, uint32_t region, uint64_t off, uint32_t size, uint64_t v)
{
	if (!d || check_access(d, "write", region, off, size))
		return;
	d->backend->ops->reg_write(d, region, off, size, v & all_ones(size));
}

/* ---- interrupt controller -------------------------------------------------------------------- */

static bool line_ok(const struct hvb_device *d, uint32_t line)
{
	return d && line < d->model->num_irqs && line < HVB_MAX_IRQS;
}

bool hvb_irq_pending(const struct hvb_device *d, uint32_t line)
{
	return line_ok(d, line) && d->level[line] && !d->masked[line];
}

void hvb_irq_mask(struct hvb_device *d, uint32_t line)
{
	if (line_ok(d, line))
		d->masked[line] = true;
}

void hvb_irq_unmask(struct hvb_device *d, uint32_t line)
{
	if (line_ok(d, line))
		d->masked[line] = false;
}

void hvb_irq_ack(struct hvb_device *d, uint32_t line)
{
	/* Level-triggered lines have no latch to clear at the controller: the level is the
	 * device's, and a line it still drives stays pending. Kept so that edge-style
	 * controllers (Xen event channels) fit behind the same call later. */
	(void)d;
	(void)line;
}

void hvb_irq_set_notify(struct hvb_device *d, void (*cb)(void *ctx, uint32_t line), void *ctx)
{
	if (!d)
		return;
	d->irq_cb = cb;
	d->irq_ctx = cb ? ctx : NULL;
}

void hvb_irq_set(struct hvb_device *d, uint32_t line, bool level)
{
	if (!line_ok(d, line))
		return;
	bool rising = level && !d->level[line];
	d->level[line] = level;
	if (rising && d->irq_cb)
		d->irq_cb(d->irq_ctx, line);
}

/* ---- DMA ------------------------------------------------------------------------------------- */

int hvb_dma_map(struct hvb_device *d, void *host, uint64_t len, uint32_t dir, uint64_t *bus,
		char **err)
{
	if (!d || !bus)
		return xdrv_err(err, -EINVAL, "dma map: no device");
	*bus = 0;
	int rc = d->backend->ops->dma_map ? d->backend->ops->dma_map(d, host, len, dir, bus)
					  : -ENOTSUP;
	switch (rc) {
	case 0:
		break;
	case -EINVAL:
		xdrv_err(err, rc,
			 "%s: dma map of %" PRIu64 " bytes (dir %" PRIu32
			 "): bad buffer, length (1..%llu) or direction, or a buffer that wraps "
			 "the address space",
			 d->name, len, dir, (unsigned long long)HVB_IOVA_MAX_LEN);
		break;
	case -ENOSPC:
		xdrv_err(err, rc,
			 "%s: dma map of %" PRIu64 " bytes: bus address space exhausted "
			 "(%" PRIu32 " mappings live)",
			 d->name, len, hvb_dma_mapping_count(d));
		break;
	case -ENOTSUP:
		xdrv_err(err, rc, "%s: dma map: backend %s has no DMA", d->name,
			 d->backend->ops->name);
		break;
	default:
		xdrv_err(err, rc, "%s: dma map of %" PRIu64 " bytes: %s", d->name, len,
			 strerror(-rc));
	}
	return rc;
}

int hvb_dma_unmap(struct hvb_device *d, uint64_t bus, uint64_t len)
{
	if (!d)
		return -EINVAL;
	if (!d->backend->ops->dma_unmap)
		return -ENOTSUP;
	if (d->model->dma_unmapping && d->backend->ops->dma_translate && len) {
		/* I/O the model started into this memory finishes before the mapping goes */
		void *host = d->backend->ops->dma_translate(d, bus, len, false, NULL);
		if (!host)
			host = d->backend->ops->dma_translate(d, bus, len, true, NULL);
		if (host)
			d->model->dma_unmapping(d->opaque, host, len);
	}
	int rc = d->backend->ops->dma_unmap(d, bus, len);
	if (rc == -ENOENT)
		hvb_log("%s: dma unmap of bus 0x%" PRIx64 ": not mapped", d->name, bus);
	else if (rc == -EINVAL)
		hvb_log("%s: dma unmap of bus 0x%" PRIx64 ": length %" PRIu64
			" is not the mapped length",
			d->name, bus, len);
	return rc;
}

uint32_t hvb_dma_mapping_count(const struct hvb_device *d)
{
	return d ? (uint32_t)d->iommu.n : 0;
}

bool hvb_dma_in_process(const struct hvb_device *d)
{
	return d && d->backend->ops->dma_translate;
}

int hvb_dma_mapped(struct hvb_device *d, uint64_t bus, uint64_t len)
{
	if (!d || !d->backend->ops->dma_translate)
		return -ENOTSUP;
	/* a mapping allows a device read (TO_DEVICE), a device write (FROM_DEVICE) or both */
	return d->backend->ops->dma_translate(d, bus, len, false, NULL) ||
	       d->backend->ops->dma_translate(d, bus, len, true, NULL);
}

/*
 * The host memory behind a mapping is the driver's word. The loader checks it when the driver
 * maps it (xdrv_dma_map: every page there, with the access the device needs), but a driver can
 * free or protect it afterwards, and a model's access may start outside any driver's fault
 * guard (the event loop's wire pump delivers frames, say). So every copy to or from it runs
 * under a fault guard of its own: memory that is gone or protected is a DMA fault of this
 * device (-EFAULT; the model sets the error status the chip would), never a fault of the host.
 * A guard costs a sigsetjmp and a few thread-local loads and stores per copy, no system call
 * (about 6 ns on the machine the bench ran on); process_vm_readv/writev on our own pid would
 * also turn a bad page into EFAULT, but cost a system call and a page-table walk per copy
 * (about 1.2 us there, more than a whole 64-byte frame costs end to end). Mappings made with
 * HVB_DMA_STABLE (the loader's coherent buffers: descriptor rings, which the runtime owns and
 * frees only after unmapping them) need no guard and are copied plainly, which leaves one
 * guarded copy per frame on the NIC's data path (the frame itself) instead of three or four.
 */
static int dma_copy(struct hvb_device *d, uint64_t bus, void *dst, const void *src, uint64_t len,
		    bool to_host)
{
	struct xdrv_guard g;
	int rc = 0;
	xdrv_guard_push(&g);
	if (sigsetjmp(g.jb, 0) == 0)
		memcpy(dst, src, len);
	else
		rc = -EFAULT;
	xdrv_guard_pop(&g);
	if (rc) {
		char msg[256];
		snprintf(msg, sizeof msg,
			 "DMA %s bus 0x%" PRIx64 " (%" PRIu64 " bytes): the host memory behind it "
			 "(%p) is not accessible in the host any more (%s at %#" PRIxPTR
			 "); a DMA fault",
			 to_host ? "write to" : "read from", bus, len, to_host ? dst : src,
			 xdrv_guard_signame(g.signo), g.addr);
		hvb_guest_error(d, "dma-host-fault", msg);
	}
	return rc;
}

int hvb_dma_read(struct hvb_device *d, uint64_t bus, void *dst, uint64_t len)
{
	if (len == 0)
		return 0;
	if (!d || !dst || !d->backend->ops->dma_translate)
		return -EFAULT;
	bool stable = false;
	const void *src = d->backend->ops->dma_translate(d, bus, len, false, &stable);
	if (!src)
		return -EFAULT;
	if (stable) {
		memcpy(dst, src, len);
		return 0;
	}
	return dma_copy(d, bus, dst, src, len, false);
}

int hvb_dma_write(struct hvb_device *d, uint64_t bus, const void *src, uint64_t len)
{
	if (len == 0)
		return 0;
	if (!d || !src || !d->backend->ops->dma_translate)
		return -EFAULT;
	bool stable = false;
	void *dst = d->backend->ops->dma_translate(d, bus, len, true, &stable);
	if (!dst)
		return -EFAULT;
	if (stable) {
		memcpy(dst, src, len);
		return 0;
	}
	return dma_copy(d, bus, dst, src, len, true);
}

void *hvb_dma_host(struct hvb_device *d, uint64_t bus, uint64_t len, bool write)
{
	if (len == 0 || !d || !d->backend->ops->dma_translate)
		return NULL;
	return d->backend->ops->dma_translate(d, bus, len, write, NULL);
}

/* ---- timers -------------------------------------------------------------------------------- */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int hvb_timer_arm(struct hvb_device *d, uint32_t id, uint64_t delay_ns,
		  void (*cb)(void *ctx, uint32_t id), void *ctx)
{
	if (!d || id >= HVB_MAX_TIMERS || !cb)
		return -EINVAL;
	uint64_t now = mono_ns();
	/* a deadline past the clock's range means "never before the host is gone" */
	d->timers[id].deadline = delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
	d->timers[id].cb = cb;
	d->timers[id].ctx = ctx;
	return 0;
}

void hvb_timer_cancel(struct hvb_device *d, uint32_t id)
{
	if (d && id < HVB_MAX_TIMERS)
		d->timers[id].cb = NULL;
}

bool hvb_timer_armed(const struct hvb_device *d, uint32_t id)
{
	return d && id < HVB_MAX_TIMERS && d->timers[id].cb;
}

int hvb_timers_fire(struct hvb_device *d)
{
	int n = 0;
	uint64_t now = mono_ns();
	for (uint32_t i = 0; i < HVB_MAX_TIMERS; i++) {
		if (!d->timers[i].cb || d->timers[i].deadline > now)
			continue;
		void (*cb)(void *, uint32_t) = d->timers[i].cb;
		d->timers[i].cb = NULL; /* one-shot; the callback may re-arm */
		cb(d->timers[i].ctx, i);
		n++;
	}
	return n;
}
