// SPDX-License-Identifier: MIT
/*
 * The core of the ABI runtime: handle tables, the current driver, logging, driver-owned memory
 * and time. Devices, DMA and interrupts are in runtime_device.c; the device classes in
 * runtime_{net,block,scsi}.c, listed in runtime_classes.c; bind/unbind in runtime_driver.c;
 * dispatch in runtime_dispatch.c.
 *
 * Everything a driver passes in is distrusted: handles are looked up, never dereferenced;
 * strings are read with a bound; pointers to free are checked against the driver's own set.
 */
#include "runtime_priv.h"

#include <stdatomic.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xdrv/util.h"

/* ---- u64 -> pointer map --------------------------------------------------------------------- */

/*
 * Open addressing with linear probing and backward-shift deletion: a delete moves the later
 * members of its probe run back instead of leaving a tombstone, so the table holds only live
 * keys and its capacity follows the peak number of live keys (at most 4x it). With tombstones
 * (the first version) a driver that maps and unmaps a buffer per frame never reused a slot —
 * bus addresses are handed out next-fit, so every key is new — and the map doubled until it
 * held about a million slots per driver.
 */

static uint32_t map_hash(uint64_t k, uint32_t mask)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull; /* splitmix/murmur finalizer: pointers differ in low bits */
	k ^= k >> 33;
	return (uint32_t)k & mask;
}

static int map_grow(struct ldr_map *m)
{
	uint32_t ncap = m->cap ? m->cap * 2 : m->min_cap ? m->min_cap : 16;
	if (m->cap >= (1u << 30))
		return -ENOMEM;
	struct ldr_map n = {.cap = ncap};
	n.keys = calloc(ncap, sizeof *n.keys);
	n.vals = calloc(ncap, sizeof *n.vals);
	n.state = calloc(ncap, 1);
	if (!n.keys || !n.vals || !n.state) {
		ldr_map_free(&n);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < m->cap; i++) {
		if (!m->state[i])
			continue;
		uint32_t j = map_hash(m->keys[i], ncap - 1);
		while (n.state[j])
			j = (j + 1) & (ncap - 1);
		n.state[j] = 1;
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
		n.live++;
	}
	ldr_map_free(m);
	*m = n;
	return 0;
}

static int64_t map_find(const struct ldr_map *m, uint64_t key)
{
	if (!m->cap)
		return -1;
	/* the load stays under 1/2, so a probe run always ends at an empty slot */
	uint32_t j = map_hash(key, m->cap - 1);
	while (m->state[j]) {
		if (m->keys[j] == key)
			return j;
		j = (j + 1) & (m->cap - 1);
	}
	return -1;
}

int ldr_map_put(struct ldr_map *m, uint64_t key, void *val)
{
	if (map_find(m, key) >= 0)
		return -EEXIST;
	/* keep the load under 1/2 so probe runs stay short */
	if ((m->live + 1) * 2 > m->cap) {
		int rc = map_grow(m);
		if (rc)
			return rc;
	}
	uint32_t j = map_hash(key, m->cap - 1);
	while (m->state[j])
		j = (j + 1) & (m->cap - 1);
	m->state[j] = 1;
	m->keys[j] = key;
	m->vals[j] = val;
	m->live++;
	return 0;
}

void *ldr_map_get(const struct ldr_map *m, uint64_t key)
{
	int64_t j = map_find(m, key);
	return j < 0 ? NULL : m->vals[j];
}

void *ldr_map_del(struct ldr_map *m, uint64_t key)
{
	int64_t j = map_find(m, key);
	if (j < 0)
		return NULL;
	void *v = m->vals[j];
	uint32_t mask = m->cap - 1, hole = (uint32_t)j;
	/* Walk the rest of the run: a key whose home slot is not cyclically after the hole can
	 * move into it (it stays reachable from its home), and its old slot becomes the hole. */
	for (uint32_t k = (hole + 1) & mask; m->state[k]; k = (k + 1) & mask) {
		uint32_t home = map_hash(m->keys[k], mask);
		if (((k - home) & mask) >= ((k - hole) & mask)) {
			m->keys[hole] = m->keys[k];
			m->vals[hole] = m->vals[k];
			hole = k;
		}
	}
	m->state[hole] = 0;
	m->keys[hole] = 0;
	m->vals[hole] = NULL;
	m->live--;
	return v;
}

void ldr_map_free(struct ldr_map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->state);
	memset(m, 0, sizeof *m);
}

/* ---- handle tables ------------------------------------------------------------------------- */

#define H_TAG_SHIFT 56
#define H_GEN_SHIFT 32
#define H_GEN_MASK  0xffffffu
#define H_TAG(t)    (0xA0u | (uint32_t)(t))

struct hslot {
	struct ldr_obj *obj;
	uint32_t gen;	    /* current generation; a handle must carry it */
	uint32_t next_free; /* index + 1 of the next free slot, 0 = none */
};

struct htable {
	struct hslot *slots;
	uint32_t n, cap, free_head;
};

static struct htable htabs[LDR_H_NTYPES];

/* Slots per type. Packets churn (one per frame in flight); everything else is a handful per
 * driver. The caps bound host memory a misbehaving driver can pin through handles. */
static uint32_t htab_max(enum ldr_htype t)
{
	return t == LDR_H_PKT ? (1u << 20) : (1u << 16);
}

static const char *htype_name(enum ldr_htype t)
{
	static const char *const names[] = {"?",      "device",	   "region", "netdev",
					    "packet", "scsi host", "blkdev", "rx pool"};
	return (unsigned)t < LDR_H_NTYPES ? names[t] : "?";
}

int ldr_handle_new(enum ldr_htype t, struct ldr_obj *obj)
{
	struct htable *ht = &htabs[t];
	uint32_t idx;
	if (ht->free_head) {
		idx = ht->free_head - 1;
		ht->free_head = ht->slots[idx].next_free;
	} else {
		if (ht->n == ht->cap) {
			if (ht->cap >= htab_max(t))
				return -ENOSPC;
			uint32_t ncap = ht->cap ? ht->cap * 2 : 64;
			struct hslot *ns = realloc(ht->slots, (size_t)ncap * sizeof *ns);
			if (!ns)
				return -ENOMEM;
			memset(ns + ht->cap, 0, (size_t)(ncap - ht->cap) * sizeof *ns);
			ht->slots = ns;
			ht->cap = ncap;
		}
		idx = ht->n++;
		ht->slots[idx].gen = 1;
	}
	struct hslot *s = &ht->slots[idx];
	s->obj = obj;
	s->next_free = 0;
	obj->handle = (uint64_t)H_TAG(t) << H_TAG_SHIFT | (uint64_t)s->gen << H_GEN_SHIFT | idx;
	return 0;
}

struct ldr_obj *ldr_handle_lookup(enum ldr_htype t, uint64_t h)
{
	if ((unsigned)t >= LDR_H_NTYPES || h >> H_TAG_SHIFT != H_TAG(t))
		return NULL;
	const struct htable *ht = &htabs[t];
	uint32_t idx = (uint32_t)h;
	uint32_t gen = (uint32_t)(h >> H_GEN_SHIFT) & H_GEN_MASK;
	if (idx >= ht->n || !ht->slots[idx].obj || ht->slots[idx].gen != gen)
		return NULL;
	return ht->slots[idx].obj;
}

void ldr_handle_drop(enum ldr_htype t, struct ldr_obj *obj)
{
	if (!obj || !obj->handle || ldr_handle_lookup(t, obj->handle) != obj)
		return;
	struct htable *ht = &htabs[t];
	uint32_t idx = (uint32_t)obj->handle;
	struct hslot *s = &ht->slots[idx];
	s->obj = NULL;
	/* generation 0 is never handed out, so a zeroed forged handle never matches */
	s->gen = (s->gen + 1) & H_GEN_MASK;
	if (!s->gen)
		s->gen = 1;
	s->next_free = ht->free_head;
	ht->free_head = idx + 1;
	obj->handle = 0;
}

struct ldr_obj *ldr_resolve(enum ldr_htype t, const void *hp, const char *fn)
{
	struct ldr_driver *cur = ldr_current();
	uint64_t h = (uint64_t)(uintptr_t)hp;
	if (!cur) {
		ldr_rt_log(NULL, XDRV_LOG_WARN, "%s: called outside a driver entry point", fn);
		return NULL;
	}
	struct ldr_obj *o = ldr_handle_lookup(t, h);
	if (!o) {
		ldr_rt_log(cur, XDRV_LOG_WARN, "%s: invalid %s handle 0x%llx (forged or stale)", fn,
			   htype_name(t), (unsigned long long)h);
		return NULL;
	}
	if (o->drv != cur) {
		ldr_rt_log(cur, XDRV_LOG_WARN, "%s: %s handle 0x%llx belongs to another driver", fn,
			   htype_name(t), (unsigned long long)h);
		return NULL;
	}
	return o;
}

void ldr_handle_foreach(enum ldr_htype t, struct ldr_driver *drv,
			void (*fn)(struct ldr_obj *obj, void *ctx), void *ctx)
{
	struct htable *ht = &htabs[t];
	for (uint32_t i = 0; i < ht->n; i++) {
		struct ldr_obj *o = ht->slots[i].obj;
		if (o && o->drv == drv)
			fn(o, ctx);
	}
}

/* ---- the current driver --------------------------------------------------------------------- */

static _Thread_local struct ldr_driver *cur_drv;

struct ldr_driver *ldr_current(void)
{
	return cur_drv;
}

struct ldr_driver *ldr_enter(struct ldr_driver *drv)
{
	struct ldr_driver *prev = cur_drv;
	if (!prev) {
		/* the outermost entry into driver code on this thread: a new budget */
		ldr_budget_g.used = 0;
		ldr_budget_g.depth = 0;
	}
	cur_drv = drv;
	drv->in_entry++;
	return prev;
}

static _Atomic uint64_t *heartbeat; /* a driver host's beat counter (xdrv/domain.h), or NULL */

void ldr_runtime_set_heartbeat(_Atomic uint64_t *counter)
{
	heartbeat = counter;
}

void ldr_beat(void)
{
	if (heartbeat)
		atomic_store_explicit(heartbeat,
				      atomic_load_explicit(heartbeat, memory_order_relaxed) + 1,
				      memory_order_relaxed);
}

void ldr_leave(struct ldr_driver *drv, struct ldr_driver *prev)
{
	drv->in_entry--;
	cur_drv = prev;
	/* back in the host from the driver's outermost entry: alive. Only this thread writes the
	 * counter, so a plain increment (no locked instruction) is enough. */
	if (heartbeat && drv->in_entry == 0)
		atomic_store_explicit(heartbeat,
				      atomic_load_explicit(heartbeat, memory_order_relaxed) + 1,
				      memory_order_relaxed);
}

/* ---- logging -------------------------------------------------------------------------------- */

static void default_sink(void *ctx, const char *driver, uint32_t level, const char *msg)
{
	(void)ctx;
	(void)level;
	char d[256], m[4 * LDR_LOG_MAX + 8]; /* every byte may become a 4-byte escape */
	fprintf(stderr, "[%s] %s\n", xdrv_escape_text(driver, d, sizeof d),
		xdrv_escape_text(msg, m, sizeof m));
}

static void (*log_fn)(void *, const char *, uint32_t, const char *) = default_sink;
static void *log_ctx;

void ldr_runtime_set_log(void (*fn)(void *ctx, const char *driver, uint32_t level, const char *msg),
			 void *ctx)
{
	log_fn = fn ? fn : default_sink;
	log_ctx = fn ? ctx : NULL;
}

static const char *drv_label(const struct ldr_driver *drv)
{
	return drv ? drv->label : "xdrv";
}

void ldr_rt_log(struct ldr_driver *drv, uint32_t level, const char *fmt, ...)
{
	char buf[LDR_LOG_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	log_fn(log_ctx, drv_label(drv), level, buf);
}

void xdrv_log(uint32_t level, const char *msg)
{
	char buf[LDR_LOG_MAX + 1];
	size_t n = 0;
	if (msg) {
		n = strnlen(msg, LDR_LOG_MAX);
		memcpy(buf, msg, n);
	} else {
		memcpy(buf, "(null)", n = 6);
	}
	buf[n] = '\0';
	/* the bytes go to the sink as the driver wrote them (bounded): the sink escapes them
	 * where they are shown (xdrv_escape_text), so a "?" never hides which byte it was */
	if (level < XDRV_LOG_ERROR || level > XDRV_LOG_DEBUG)
		level = XDRV_LOG_INFO;
	log_fn(log_ctx, drv_label(cur_drv), level, buf);
}

const char *ldr_status_name(int32_t st)
{
	switch (st) {
	case XDRV_OK:
		return "OK";
	case XDRV_EPERM:
		return "EPERM";
	case XDRV_EIO:
		return "EIO";
	case XDRV_EAGAIN:
		return "EAGAIN";
	case XDRV_ENOMEM:
		return "ENOMEM";
	case XDRV_EFAULT:
		return "EFAULT";
	case XDRV_EBUSY:
		return "EBUSY";
	case XDRV_EEXIST:
		return "EEXIST";
	case XDRV_ENODEV:
		return "ENODEV";
	case XDRV_EINVAL:
		return "EINVAL";
	case XDRV_ENOSPC:
		return "ENOSPC";
	case XDRV_ERANGE:
		return "ERANGE";
	case XDRV_ENOTSUP:
		return "ENOTSUP";
	case XDRV_ETIMEDOUT:
		return "ETIMEDOUT";
	default:
		return "?";
	}
}

/* ---- driver memory -------------------------------------------------------------------------- */

/* Header before each block: 16 bytes keep the payload 16-aligned. The set of live blocks
 * (drv->allocs) is the authority; the header is read only for a pointer found in the set. */
struct mem_hdr {
	uint64_t size;
	uint64_t magic;
};
#define MEM_MAGIC 0x786472766d656d21ull /* "xdrvmem!" */
_Static_assert(sizeof(struct mem_hdr) == 16, "payload alignment");

void *xdrv_mem_alloc(uint64_t size)
{
	struct ldr_driver *drv = cur_drv;
	if (!drv) {
		ldr_rt_log(NULL, XDRV_LOG_WARN,
			   "xdrv_mem_alloc: called outside a driver entry point");
		return NULL;
	}
	if (size == 0)
		return NULL;
	if (size > LDR_MEM_CAP - drv->mem_bytes || drv->mem_bytes > LDR_MEM_CAP) {
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "xdrv_mem_alloc: %llu bytes would exceed the driver's cap of %llu MiB "
			   "(%llu in use)",
			   (unsigned long long)size, LDR_MEM_CAP >> 20,
			   (unsigned long long)drv->mem_bytes);
		return NULL;
	}
	size_t total = (size_t)((size + 15) & ~15ull) + sizeof(struct mem_hdr);
	struct mem_hdr *h = aligned_alloc(16, total);
	if (!h)
		return NULL;
	memset(h, 0, total);
	h->size = size;
	h->magic = MEM_MAGIC;
	void *p = h + 1;
	if (ldr_map_put(&drv->allocs, (uint64_t)(uintptr_t)p, h) != 0) {
		free(h);
		return NULL;
	}
	drv->mem_bytes += size;
	if (drv->mem_bytes > drv->mem_peak)
		drv->mem_peak = drv->mem_bytes;
	return p;
}

void xdrv_mem_free(void *p)
{
	struct ldr_driver *drv = cur_drv;
	if (!p)
		return;
	if (!drv) {
		ldr_rt_log(NULL, XDRV_LOG_WARN,
			   "xdrv_mem_free: called outside a driver entry point");
		return;
	}
	struct mem_hdr *h = ldr_map_del(&drv->allocs, (uint64_t)(uintptr_t)p);
	if (!h) {
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "xdrv_mem_free: %p was not allocated by this driver (or freed twice); "
			   "ignored",
			   p);
		return;
	}
	drv->mem_bytes -= h->size;
	h->magic = 0;
	free(h);
}

void ldr_mem_release_all(struct ldr_driver *drv, struct ldr_unbind_report *rep)
{
	struct ldr_map *m = &drv->allocs;
	for (uint32_t i = 0; i < m->cap; i++) {
		if (!ldr_map_live(m, i))
			continue;
		struct mem_hdr *h = m->vals[i];
		rep->mem_bytes += h->size;
		rep->mem_blocks++;
		free(h);
	}
	ldr_map_free(m);
	rep->mem_peak = drv->mem_peak;
	drv->mem_bytes = 0;
}

uint64_t ldr_driver_mem_in_use(const struct ldr_driver *drv)
{
	return drv ? drv->mem_bytes : 0;
}

/* ---- time ----------------------------------------------------------------------------------- */

uint64_t xdrv_time_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Waits shorter than this spin: a sleep rounds up to the scheduler's granularity (~50 us),
 * which would make every short register-settle delay of a driver ten times too long. */
#define SPIN_BELOW_US 100u
#define DELAY_CAP_US  1000000u

void xdrv_delay_us(uint32_t us)
{
	if (us > DELAY_CAP_US)
		us = DELAY_CAP_US;
	uint64_t end = xdrv_time_ns() + (uint64_t)us * 1000u;
	if (us >= SPIN_BELOW_US) {
		struct timespec ts = {.tv_sec = us / 1000000u,
				      .tv_nsec = (long)(us % 1000000u) * 1000};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	while (xdrv_time_ns() < end)
		;
}
