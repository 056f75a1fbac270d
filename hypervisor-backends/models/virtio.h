/* SPDX-License-Identifier: MIT */
/*
 * Private to hypervisor-backends/: the virtio-mmio version 2 transport (virtio_mmio.c) and split
 * virtqueues (virtqueue.c), shared by virtio device models (virtio_scsi.c). Register layout and
 * semantics are documented for drivers in xdrv/virtio_scsi.h.
 *
 * Every guest-controlled value (ring addresses, indices, descriptor chains) is checked; a
 * malformed one puts the transport into NEEDS_RESET (vmmio_fail): the status bit is set, a
 * configuration-change interrupt raised, the cause logged once, and no queue is used again
 * until the driver resets the device.
 */
#ifndef XDRV_HVB_VIRTIO_H
#define XDRV_HVB_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

struct hvb_device;

#define VIRTIO_MAX_QUEUES 16u
#define VIRTQ_MAX_SIZE	  1024u

struct vq_seg {
	uint64_t addr;
	uint32_t len;
};

/* One available buffer: its head index and its segments, device-readable first. */
struct vq_elem {
	uint16_t head;
	uint32_t n_out, n_in;
	uint64_t out_len, in_len;
	struct vq_seg *out, *in; /* VIRTQ_MAX_SIZE entries each, owned by the queue */
};

struct virtqueue {
	uint32_t num_max, num;
	bool ready;
	uint64_t desc, avail, used;
	uint16_t last_avail, used_idx;
	struct vq_elem elem;
};

/* Pop the next available buffer into q->elem: 1 got one, 0 none, or -EINVAL (malformed) /
 * -EFAULT (unmapped memory) with *why a static description. `indirect` allows
 * VIRTQ_DESC_F_INDIRECT. */
int vq_pop(struct hvb_device *d, struct virtqueue *q, bool indirect, const char **why);
/* Put q->elem's head in the used ring with `len` bytes written: 0 or -EFAULT. */
int vq_push(struct hvb_device *d, struct virtqueue *q, uint32_t len);
/* The same for a buffer popped earlier (its head kept): completions out of order. */
int vq_push_head(struct hvb_device *d, struct virtqueue *q, uint16_t head, uint32_t len);
/* Whether the driver asked for no interrupts (VIRTQ_AVAIL_F_NO_INTERRUPT): 0/1, or -EFAULT. */
int vq_no_interrupt(struct hvb_device *d, struct virtqueue *q);
/* Check ring alignment/size when the queue becomes ready: NULL or a description. */
const char *vq_check_layout(const struct virtqueue *q);
/* Gather/scatter the byte stream of a segment list from offset `off`: 0 or -EFAULT (or -ERANGE
 * past its end). */
int vq_copy_from(struct hvb_device *d, const struct vq_seg *s, uint32_t n, uint64_t off, void *dst,
		 uint64_t len);
int vq_copy_to(struct hvb_device *d, const struct vq_seg *s, uint32_t n, uint64_t off,
	       const void *src, uint64_t len);

/* The host memory of the segment list's bytes [off, off+len) as at most `max` iovecs (each
 * segment translated through the IOMMU, adjacent host ranges merged), for a disk backend to
 * read or write directly: the count, -E2BIG if more are needed (the caller copies instead),
 * -EFAULT if a byte is not mapped for the access (write: the device writes it), -ERANGE past
 * the list's end. */
struct iovec;
int vq_iov(struct hvb_device *d, const struct vq_seg *s, uint32_t n, uint64_t off, uint64_t len,
	   bool write, struct iovec *iov, uint32_t max);

struct virtio_mmio;

/* What the device model supplies to the transport. */
struct virtio_dev_ops {
	uint32_t device_id;
	uint64_t features; /* device feature bits offered, besides the transport's */
	uint32_t config_size;
	/* config space access, already bounds- and width-checked (offset within config_size) */
	uint32_t (*config_read)(void *owner, uint32_t off, uint32_t size);
	void (*config_write)(void *owner, uint32_t off, uint32_t size, uint32_t value);
	/* process queue `q` (DRIVER_OK set, not broken, queue ready) */
	void (*queue_notify)(void *owner, uint32_t q);
	/* device reset (Status 0 written or the chip's reset) */
	void (*reset)(void *owner);
};

struct virtio_mmio {
	struct hvb_device *dev;
	const struct virtio_dev_ops *ops;
	void *owner;
	uint32_t nqueues;
	uint32_t status, dev_feat_sel, drv_feat_sel, queue_sel, isr, generation;
	uint64_t driver_features;
	bool irq_level;
	uint64_t needs_reset_count, interrupts, notifies;
	struct virtqueue q[VIRTIO_MAX_QUEUES];
};

/* 0 or -ENOMEM. nqueues <= VIRTIO_MAX_QUEUES, qmax a power of two <= VIRTQ_MAX_SIZE. */
int vmmio_init(struct virtio_mmio *m, struct hvb_device *dev, const struct virtio_dev_ops *ops,
	       void *owner, uint32_t nqueues, uint32_t qmax);
void vmmio_free(struct virtio_mmio *m);
void vmmio_reset(struct virtio_mmio *m); /* transport state; calls ops->reset */
uint64_t vmmio_read(struct virtio_mmio *m, uint64_t off, uint32_t size);
void vmmio_write(struct virtio_mmio *m, uint64_t off, uint32_t size, uint64_t value);
/* Malformed input from the driver: NEEDS_RESET, config interrupt, `why` logged once. `key` names
 * the cause for readers; the message itself is the log-once key. */
void vmmio_fail(struct virtio_mmio *m, const char *key, const char *why);
bool vmmio_broken(const struct virtio_mmio *m);
/* Signal used buffers on queue q (unless the driver suppressed interrupts). */
void vmmio_signal_used(struct virtio_mmio *m, uint32_t q);
/* The transport features offered: VERSION_1 | RING_INDIRECT_DESC. */
#define VIRTIO_TRANSPORT_FEATURES ((1ull << 32) | (1ull << 28))

#endif
