/* SPDX-License-Identifier: MIT */
/*
 * Hypervisor backends and device models.
 *
 * A backend (`native`, later `xen`) implements the sensitive operations of the driver ABI:
 * register access, interrupt mask/ack, DMA mapping, notification. A device model stands in for a
 * chip: a state struct with reset and read/write by region, offset and size. Models reach
 * memory only through hvb_dma_read/hvb_dma_write, which accept bus addresses the backend handed
 * out (an IOMMU: anything else fails), and raise interrupts with hvb_irq_set.
 *
 * Both are pluggable through const ops tables registered in one list file (registry.c).
 * Single-threaded: one caller at a time per backend, and no call may come from inside an
 * interrupt notify callback (see hvb_irq_set_notify).
 */
#ifndef XDRV_HVB_H
#define XDRV_HVB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hvb_backend;
struct hvb_device;
struct hvb_nic_ops;

/* What a model with a serial port offers the host's console (`xdrv run` prints the output and
 * feeds --input): take transmitted bytes (oldest first, returns the count) and feed the
 * receiver (returns the count taken; the rest would have overrun the chip's FIFO). */
struct hvb_serial_ops {
	size_t (*take_output)(void *opaque, uint8_t *buf, size_t cap);
	size_t (*receive)(void *opaque, const uint8_t *buf, size_t len);
};

#define HVB_MAX_REGIONS 6
#define HVB_MAX_IRQS	4
#define HVB_MAX_TIMERS	4

struct hvb_region_desc {
	uint32_t kind;	       /* XDRV_REGION_MMIO / XDRV_REGION_PIO */
	uint32_t access_sizes; /* bit mask of allowed widths: 1|2|4|8 */
	uint64_t size;
};

struct hvb_model_ops {
	const char *name; /* "uart16550" */
	const char *description;
	uint32_t bus; /* XDRV_BUS_* */
	uint32_t vendor, device, class_code, subvendor, subdevice, revision;
	const char *compatible; /* platform devices */
	uint32_t num_regions;
	struct hvb_region_desc regions[HVB_MAX_REGIONS];
	uint32_t num_irqs; /* at most HVB_MAX_IRQS */
	/* Create state for `dev`; `config` is a model-specific "key=value,..." string or NULL.
	 * Returns 0 with *opaque set, or a negative errno with *err set. The generic layer calls
	 * reset right after a successful create. */
	int (*create)(struct hvb_device *dev, const char *config, void **opaque, char **err);
	void (*destroy)(void *opaque);
	/* Back to power-on state, as the chip's reset pin; lowers its interrupt lines. */
	void (*reset)(void *opaque);
	/* Called only with a region/offset/size already checked against the region table. The
	 * value read is masked to `size` bytes by the caller; a written value arrives masked. */
	uint64_t (*read)(void *opaque, uint32_t region, uint64_t offset, uint32_t size);
	void (*write)(void *opaque, uint32_t region, uint64_t offset, uint32_t size,
		      uint64_t value);
	/* NIC models: what an attached wire calls (xdrv/wire.h); NULL for other models. */
	const struct hvb_nic_ops *nic;
	/* Models with a serial port (UARTs): the host console's end; NULL for other models. */
	const struct hvb_serial_ops *serial;
	/* Optional: models with work that finishes later (virtio-scsi's asynchronous disk I/O).
	 * poll runs from hvb_device_poll and returns the events it handled (requests completed),
	 * >= 0. dma_unmapping runs before a DMA mapping of host memory [host, host+len) goes away
	 * (hvb_dma_unmap): the model finishes whatever I/O still uses that memory. */
	int (*poll)(void *opaque);
	void (*dma_unmapping)(void *opaque, const void *host, uint64_t len);
};

struct hvb_backend_ops {
	const char *name;
	const char *description;
	/* Set up the backend; `options` is backend-specific or NULL. 0 or -errno with *err. */
	int (*create)(struct hvb_backend *b, const char *options, char **err);
	void (*destroy)(struct hvb_backend *b);
	/* Called only with accesses the generic layer has checked. */
	uint64_t (*reg_read)(struct hvb_device *d, uint32_t region, uint64_t off, uint32_t size);
	void (*reg_write)(struct hvb_device *d, uint32_t region, uint64_t off, uint32_t size,
			  uint64_t value);
	/* 0 or -errno: -EINVAL bad length/direction, -ENOSPC no bus space, -ENOMEM. */
	int (*dma_map)(struct hvb_device *d, void *host, uint64_t len, uint32_t dir, uint64_t *bus);
	/* 0, -ENOENT no mapping starts at bus, -EINVAL the mapping has another length. */
	int (*dma_unmap)(struct hvb_device *d, uint64_t bus, uint64_t len);
	/* Translate for a model's DMA: host pointer for [bus, bus+len) or NULL if not mapped;
	 * *stable: the mapping was made with HVB_DMA_STABLE. */
	void *(*dma_translate)(struct hvb_device *d, uint64_t bus, uint64_t len, bool write,
			       bool *stable);
	void (*notify)(struct hvb_device *d, uint32_t queue); /* optional */
};

/* ---- registry -------------------------------------------------------------------------------- */
/* By name; NULL if unknown (or name is NULL). */
const struct hvb_backend_ops *hvb_backend_find(const char *name);
const struct hvb_model_ops *hvb_model_find(const char *name);
/* NULL-terminated lists, for --help. */
const struct hvb_backend_ops *const *hvb_backend_list(void);
const struct hvb_model_ops *const *hvb_model_list(void);

/* ---- host log -------------------------------------------------------------------------------- */
/* Where guest-error and backend log lines go (process-wide): `fn` gets one finished line without
 * a newline. NULL restores the default, "hvb: <line>" on stderr. */
void hvb_set_log(void (*fn)(void *ctx, const char *line), void *ctx);

/* ---- backends and devices (host side: the loader's ABI runtime calls these) ------------------ */
/* Create backend `name` ("native", "xen"). 0 with *out, or -ENOENT for an unknown name / the
 * backend's error, with *err (caller frees). */
int hvb_backend_create(const char *name, const char *options, struct hvb_backend **out, char **err);
/* The same from "NAME[:OPTIONS]" as a user writes it (`--backend xen:transport=loop`). */
int hvb_backend_create_spec(const char *spec, struct hvb_backend **out, char **err);
void hvb_backend_destroy(struct hvb_backend *b); /* destroys its devices; NULL-safe */
const char *hvb_backend_name(const struct hvb_backend *b);

/* Create an instance of model `model` on `b`, in reset state, every interrupt line masked.
 * 0 with *out, -ENOENT unknown model, or the model's error; *err names the model. */
int hvb_device_create(struct hvb_backend *b, const char *model, const char *config,
		      struct hvb_device **out, char **err);
void hvb_device_destroy(struct hvb_device *d); /* NULL-safe; unmaps all DMA */
const struct hvb_model_ops *hvb_device_model(const struct hvb_device *d);
/* "<model>.<n>", n counting instances created on the backend. Borrowed. */
const char *hvb_device_name(const struct hvb_device *d);
void *hvb_device_state(const struct hvb_device *d); /* the model's opaque */
/* Reset the model (interrupt masks and DMA mappings belong to the host and are kept). */
void hvb_device_reset(struct hvb_device *d);

/* Register access, checked against the model's region table: a bad region, offset, width or
 * alignment reads all ones / drops the write, counts in hvb_device_bad_accesses, logs once.
 * Widths are 1, 2, 4, 8 and must be in the region's access_sizes; offsets naturally aligned. */
uint64_t hvb_reg_read(struct hvb_device *d, uint32_t region, uint64_t off, uint32_t size);
void hvb_reg_write(struct hvb_device *d, uint32_t region, uint64_t off, uint32_t size, uint64_t v);
uint64_t hvb_device_bad_accesses(const struct hvb_device *d);

/* Interrupt controller: level-triggered lines, each with a mask bit (set at creation). A line
 * number outside the model's num_irqs is ignored (pending reads false). */
bool hvb_irq_pending(const struct hvb_device *d, uint32_t line); /* asserted and unmasked */
void hvb_irq_mask(struct hvb_device *d, uint32_t line);
void hvb_irq_unmask(struct hvb_device *d, uint32_t line);
/* End of interrupt. Lines are level-triggered: one the device still asserts stays pending. */
void hvb_irq_ack(struct hvb_device *d, uint32_t line);
/* Called (synchronously, from the model's hvb_irq_set) when a line's level goes from low to
 * high, masked or not; the callee records it and returns, and delivers later by polling
 * hvb_irq_pending. It must not call back into this device. NULL cb removes it. */
void hvb_irq_set_notify(struct hvb_device *d, void (*cb)(void *ctx, uint32_t line), void *ctx);

/* A flag or'ed into hvb_dma_map's dir: the caller owns [host, host+len) and keeps it mapped, with
 * the access dir needs, until the unmap (the loader's coherent buffers), so the models' copies
 * through this mapping need no fault guard. Without it (a driver's own buffers, which the driver
 * can free or protect while they are mapped) each copy runs under one (hvb_dma_read). */
#define HVB_DMA_STABLE 0x100u

/* DMA mappings (IOMMU): host memory -> bus address. The caller checks that [host, host+len) is
 * mapped with the access dir needs (the loader does, for drivers: xdrv_dma_map); memory that
 * goes away or loses that access while mapped only makes the model's accesses fail (see
 * hvb_dma_read). dir: XDRV_DMA_*, optionally | HVB_DMA_STABLE. Bus addresses are page-aligned
 * and never host pointers. 0 with
 * *bus, or -EINVAL (len 0 or over 1 GiB, dir not XDRV_DMA_*, NULL host), -ENOSPC (bus space or
 * mapping count exhausted), -ENOMEM, with *err naming the device. */
int hvb_dma_map(struct hvb_device *d, void *host, uint64_t len, uint32_t dir, uint64_t *bus,
		char **err);
/* Unmap exactly what one hvb_dma_map returned: 0, -ENOENT (no mapping at bus), -EINVAL (other
 * length). Never crashes on a bad value. */
int hvb_dma_unmap(struct hvb_device *d, uint64_t bus, uint64_t len);
/* Live mappings of the device. */
uint32_t hvb_dma_mapping_count(const struct hvb_device *d);
/* Is [bus, bus+len) wholly inside one live mapping of the device (any direction)? 1 or 0, in
 * constant time; -ENOTSUP if the backend does not translate in this process (then its devices
 * also run outside it: the answer and the memory-ordering argument of a DMA sync differ). */
int hvb_dma_mapped(struct hvb_device *d, uint64_t bus, uint64_t len);
/* Does the backend translate DMA in this process? Then its models run in the caller's thread
 * (register accesses are calls, DMA happens from hvb_device_poll and the wire pump, which the
 * caller runs): program order alone orders the host's and the model's accesses to DMA memory. */
bool hvb_dma_in_process(const struct hvb_device *d);

/* ---- model side ------------------------------------------------------------------------------ */
/* Drive interrupt line `line` to `level` (the model's output pin). */
void hvb_irq_set(struct hvb_device *d, uint32_t line, bool level);
/* Copy between a bus address range and model memory. 0, or -EFAULT if any byte of the range is
 * not inside one mapping, the mapping's direction forbids it, or the host memory behind it is
 * not accessible any more (the copy runs under a fault guard; logged once per device as a guest
 * error) — the model then sets the error status the chip would. Part of the bytes may have been
 * copied when it fails. len 0 always succeeds. */
int hvb_dma_read(struct hvb_device *d, uint64_t bus, void *dst, uint64_t len);
int hvb_dma_write(struct hvb_device *d, uint64_t bus, const void *src, uint64_t len);
/* The host memory behind [bus, bus+len) for a model that hands it to something that reports a
 * bad address as an error instead of faulting (a system call: preadv into a driver's DMA
 * buffer fails with EFAULT), or that copies under a fault guard of its own: a pointer, or NULL
 * if the range is not wholly inside one mapping that allows the access (write: the device
 * writes the memory). Never copies; len 0 is NULL. */
void *hvb_dma_host(struct hvb_device *d, uint64_t bus, uint64_t len, bool write);
/* Log a guest error once per (device, key): "<device>: guest error: <msg>". */
void hvb_guest_error(struct hvb_device *d, const char *key, const char *msg);

/* ---- time: device timers and the poll entry -------------------------------------------------- */
/* A model's time base (a chip's holdoff timer, say). Timer `id` (< HVB_MAX_TIMERS) of device `d`
 * calls cb(ctx, id) once, from hvb_device_poll, when `delay_ns` have passed on CLOCK_MONOTONIC
 * (0: at the next poll). Arming an armed timer replaces it. 0, or -EINVAL (bad id, NULL cb).
 * Timers run only from hvb_device_poll: between polls the model's time stands still. Device
 * reset leaves timers to the model; destroying the device drops them. */
int hvb_timer_arm(struct hvb_device *d, uint32_t id, uint64_t delay_ns,
		  void (*cb)(void *ctx, uint32_t id), void *ctx);
void hvb_timer_cancel(struct hvb_device *d, uint32_t id);
bool hvb_timer_armed(const struct hvb_device *d, uint32_t id);
/* Host side: run `d`'s expired timers, then the model's poll entry (completions of its
 * asynchronous work: virtio-scsi's disk requests), then pump its attached wire (xdrv/wire.h)
 * by up to 64 frames. Returns the number of events handled (timers run + completions + frames
 * moved), >= 0; NULL-safe.
 * The loader's dispatch loop calls it for each bound device. */
int hvb_device_poll(struct hvb_device *d);

#endif
