/* SPDX-License-Identifier: MIT */
/*
 * Private to hypervisor-backends/: the backend and device structs, the per-device IOMMU table
 * (iommu.c), the ops tables the registry lists, and the small config-string parser models use.
 * Nothing outside this folder includes it; the public contract is xdrv/hvb.h.
 */
#ifndef XDRV_HVB_PRIV_H
#define XDRV_HVB_PRIV_H

#include "xdrv/hvb.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- IOMMU table (iommu.c) ------------------------------------------------------------------- */

/*
 * Bus addresses are handed out from [HVB_IOVA_BASE, HVB_IOVA_LIMIT): below 4 GiB so that chips
 * with 32-bit DMA pointers (DP83820 in its default mode) can use every address, and far from
 * anything that looks like a host pointer. Each mapping starts on a page and is followed by one
 * unmapped guard page, so a device running one byte past a buffer faults instead of reaching
 * the next one.
 */
#define HVB_IOVA_PAGE	      4096u
#define HVB_IOVA_BASE	      0x10000000ull /* 256 MiB: bus address 0 and low memory stay unmapped */
#define HVB_IOVA_LIMIT	      0xf0000000ull /* 3.75 GiB: leaves the top of the 32-bit space unused */
#define HVB_IOVA_MAX_LEN      (1ull << 30)  /* one mapping: 1 GiB, plenty for any ring or buffer */
#define HVB_IOVA_MAX_MAPPINGS 65536u /* per device: bounds host memory a leaking driver costs */

/* Bus pages in the window, and the two levels of the page table that maps each to its mapping:
 * a leaf covers HVB_IOVA_LEAF_PAGES pages (4 MiB of bus space) and is allocated while it holds
 * a live mapping, so the table costs 4 KiB per 4 MiB of bus space in use plus one pointer per
 * leaf (7 KiB). */
#define HVB_IOVA_PAGES	    ((uint32_t)((HVB_IOVA_LIMIT - HVB_IOVA_BASE) / HVB_IOVA_PAGE))
#define HVB_IOVA_LEAF_SHIFT 10u
#define HVB_IOVA_LEAF_PAGES (1u << HVB_IOVA_LEAF_SHIFT)
#define HVB_IOVA_LEAVES	    (HVB_IOVA_PAGES >> HVB_IOVA_LEAF_SHIFT)

struct hvb_iommu_map {
	uint64_t bus;  /* page-aligned */
	uint64_t len;  /* bytes the driver mapped */
	uint64_t span; /* bus space reserved: len rounded up to pages, plus the guard page */
	uint8_t *host;
	uint32_t dir;	    /* XDRV_DMA_*, | HVB_DMA_STABLE */
	uint32_t next_free; /* while the record is free: index + 1 of the next free one, 0 = none */
};

struct hvb_iommu_leaf {
	/* per page of the leaf: index + 1 into maps of the page's mapping, 0 = none */
	uint32_t slot[HVB_IOVA_LEAF_PAGES];
	uint32_t used; /* pages of this leaf that belong to a mapping */
};

/*
 * Translation is two array indexes (bus page -> leaf -> record), map and unmap touch only the
 * pages of the mapping itself, and the records are recycled through a free list: every
 * operation costs the same whatever the number of live mappings, and the table holds at most
 * HVB_IOVA_MAX_MAPPINGS records however many map/unmap pairs went by.
 */
struct hvb_iommu {
	struct hvb_iommu_map *maps; /* records; free ones chained from free_head */
	size_t n, cap;		    /* n live records; cap <= HVB_IOVA_MAX_MAPPINGS */
	uint32_t free_head;	    /* index + 1 of the first free record, 0 = none */
	uint32_t leaves;	    /* leaves allocated (tests check the table shrinks back) */
	struct hvb_iommu_leaf *leaf[HVB_IOVA_LEAVES];
	struct hvb_iommu_leaf *spare; /* one emptied leaf kept, so a sweep does not malloc/free */
	uint64_t cursor; /* next-fit: freed bus addresses are reused only after a wrap */
};

void hvb_iommu_init(struct hvb_iommu *t);
/* Drop every mapping and the table's memory. */
void hvb_iommu_clear(struct hvb_iommu *t);
/* 0; -EINVAL (len 0 or over HVB_IOVA_MAX_LEN, bad dir, NULL host), -ENOSPC (no bus space or too
 * many mappings), -ENOMEM. */
int hvb_iommu_map(struct hvb_iommu *t, void *host, uint64_t len, uint32_t dir, uint64_t *bus);
/* 0; -ENOENT if no mapping starts at bus, -EINVAL if it has another length. */
int hvb_iommu_unmap(struct hvb_iommu *t, uint64_t bus, uint64_t len);
/* Host pointer for [bus, bus+len) if wholly inside one mapping whose direction allows the
 * access (a device write needs FROM_DEVICE, a read TO_DEVICE), else NULL. len > 0. *stable (if
 * stable is not NULL and the range translates): the mapping was made with HVB_DMA_STABLE. */
void *hvb_iommu_translate(const struct hvb_iommu *t, uint64_t bus, uint64_t len, bool write,
			  bool *stable);

/* ---- backends and devices -------------------------------------------------------------------- */

#define HVB_LOGGED_KEYS 32 /* distinct guest-error keys remembered per device */
#define HVB_NAME_MAX	48

struct hvb_backend {
	const struct hvb_backend_ops *ops;
	void *priv; /* the backend's own state, set by ops->create */
	struct hvb_device *devices;
	uint32_t next_index; /* per model instance numbers, for device names */
};

struct hvb_device {
	struct hvb_backend *backend;
	struct hvb_device *next;
	const struct hvb_model_ops *model;
	void *opaque;		 /* the model's state */
	char name[HVB_NAME_MAX]; /* "uart16550.0" */
	uint64_t bad_accesses;
	/* interrupt controller */
	bool level[HVB_MAX_IRQS];
	bool masked[HVB_MAX_IRQS];
	void (*irq_cb)(void *ctx, uint32_t line);
	void *irq_ctx;
	/* guest-error log-once memory */
	char *logged[HVB_LOGGED_KEYS];
	uint32_t nlogged;
	bool log_full;
	struct hvb_iommu iommu; /* used by backends that translate in process (native) */
	/* timers (hvb_timer_arm), run by hvb_device_poll */
	struct {
		uint64_t deadline; /* CLOCK_MONOTONIC ns */
		void (*cb)(void *ctx, uint32_t id);
		void *ctx;
	} timers[HVB_MAX_TIMERS];
	struct hvb_wire *wire; /* attached wire side, or NULL (wire/wire.c) */
};

/* Wire side of a device teardown: detach whatever wire is attached (wire/wire.c). */
void hvb_wire_device_gone(struct hvb_device *d);

/* Run the timers of `d` whose deadline has passed (each once; a callback may re-arm). Returns how
 * many ran. device.c; called by hvb_device_poll. */
int hvb_timers_fire(struct hvb_device *d);

/* Emit one host log line through the hvb_set_log sink. */
void hvb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Iterate a model config string "key=value,key=value". On each call, stores the next key and
 * value (NUL-terminated, truncated to the buffer sizes and reported as malformed if they do not
 * fit) and returns 1; returns 0 at the end, -EINVAL on a malformed item (with *err set).
 * *pos starts at 0.
 */
int hvb_config_next(const char *config, size_t *pos, char *key, size_t keycap, char *val,
		    size_t valcap, char **err);
/* Parse an unsigned decimal or 0x-hex number in [min, max]: 0 or -EINVAL. */
int hvb_config_u64(const char *val, uint64_t min, uint64_t max, uint64_t *out);
/* Parse a MAC address "xx:xx:xx:xx:xx:xx" (hex digits, either case): 0 or -EINVAL. */
int hvb_config_mac(const char *val, uint8_t mac[6]);

/* The native backend's in-process accesses (native/native.c), which the xen backend shares: its
 * device model (the pre-virtualization wedge) runs in this process too; only what is behind the
 * model (wire, disk) goes through the split-driver transport. */
uint64_t hvb_native_reg_read(struct hvb_device *d, uint32_t region, uint64_t off, uint32_t size);
void hvb_native_reg_write(struct hvb_device *d, uint32_t region, uint64_t off, uint32_t size,
			  uint64_t value);
int hvb_native_dma_map(struct hvb_device *d, void *host, uint64_t len, uint32_t dir, uint64_t *bus);
int hvb_native_dma_unmap(struct hvb_device *d, uint64_t bus, uint64_t len);
void *hvb_native_dma_translate(struct hvb_device *d, uint64_t bus, uint64_t len, bool write,
			       bool *stable);

/* ---- the ops tables the lists name ------------------------------------------------------------
 * Backends and device models: registry.c; disk backends: disk/disk_list.c; wire kinds:
 * wire/wire_list.c. Three lists, not one, so that a model that opens a disk or transmits on a
 * wire does not depend on the list that names the model itself. */
extern const struct hvb_wire_ops hvb_wire_gen_ops;
extern const struct hvb_wire_ops hvb_wire_tap_ops;
extern const struct hvb_wire_ops hvb_wire_netfront_ops; /* xen/netfront.c */
extern const struct hvb_backend_ops hvb_native_backend_ops;
extern const struct hvb_backend_ops hvb_xen_backend_ops;
extern const struct hvb_model_ops hvb_uart16550_model_ops;
extern const struct hvb_model_ops hvb_null_model_ops;
extern const struct hvb_model_ops hvb_testdev_model_ops;
extern const struct hvb_model_ops hvb_virtio_scsi_model_ops;
struct hvb_disk_ops;
extern const struct hvb_disk_ops hvb_ram_disk_ops;
extern const struct hvb_disk_ops hvb_file_disk_ops;
extern const struct hvb_disk_ops hvb_iscsi_disk_ops;
extern const struct hvb_disk_ops hvb_blkfront_disk_ops;
extern const struct hvb_model_ops hvb_dp83820_model_ops;

/* ---- disk backends' own accessors --------------------------------------------------------------
 * A disk backend's state behind an open disk, for the backend's own getters: its priv if `disk`
 * was opened by `ops`, else NULL (disk/disk.c). */
struct hvb_disk;
void *hvb_disk_backend_priv(const struct hvb_disk *disk, const struct hvb_disk_ops *ops);

/* Counters of a blkfront disk (xen/blkfront.c), since it was opened. */
struct hvb_blkfront_stats {
	uint64_t calls;		  /* read/write/flush calls of the disk layer */
	uint64_t requests;	  /* blkif requests pushed */
	uint64_t indirect;	  /* of which BLKIF_OP_INDIRECT */
	uint64_t responses;	  /* blkif responses taken */
	uint64_t errors;	  /* responses with status ERROR or EOPNOTSUPP */
	uint64_t zero_copy_bytes; /* READ/WRITE bytes in hvb_disk_buffer's pages (no copy) */
	uint64_t copied_bytes;	  /* READ/WRITE bytes copied through the slots' pages */
	uint64_t waits;		  /* polls of the event channel */
	uint64_t spin_hits;	  /* waits that found responses while spinning (no sleep) */
	uint64_t max_in_flight;	  /* most requests outstanding at once */
	uint64_t notify_sent;	  /* notifications to the backend (the transport's count) */
	uint64_t events;	  /* notifications from the backend taken */
	uint64_t aio; /* asynchronous requests of the disk layer (hvb_disk_aio_submit) */
};
/* 0 with *out, or -EINVAL if `disk` is not a blkfront disk. */
int hvb_blkfront_get_stats(const struct hvb_disk *disk, struct hvb_blkfront_stats *out);
/* The same from the backend's own state (xen/blkfront.c); hvb_blkfront_get_stats
 * (xen/blkfront_stats.c) finds that state through the disk layer, apart so that blkfront.c does
 * not call the disk layer that lists it (no file circle). */
int hvb_blkfront_stats_of(const void *priv, struct hvb_blkfront_stats *out);
/* blkfront's response handling on a ring in this process's memory, driven by `data` (the
 * format is in xen/blkfront.c): for the libFuzzer target. 0, or -1 if its bookkeeping broke. */
int hvb_blkfront_fuzz_responses(const uint8_t *data, size_t len);

#endif
