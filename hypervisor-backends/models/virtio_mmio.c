// SPDX-License-Identifier: MIT
/*
 * The virtio-mmio transport, version 2 (virtio 1.x, 4.2.2): identification registers, feature
 * negotiation in two 32-bit words, the device status state machine, per-queue setup registers,
 * QueueNotify, InterruptStatus/InterruptACK driving interrupt line 0 (level = status != 0), and
 * the device configuration space at 0x100 delegated to the device model. Control registers take
 * 32-bit accesses only; configuration space 1, 2 or 4 bytes. The register contract for drivers
 * is in xdrv/virtio_scsi.h.
 */
#include "virtio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/virtio_scsi.h>

#include "../hvb_priv.h"

int vmmio_init(struct virtio_mmio *m, struct hvb_device *dev, const struct virtio_dev_ops *ops,
	       void *owner, uint32_t nqueues, uint32_t qmax)
{
	memset(m, 0, sizeof *m);
	m->dev = dev;
	m->ops = ops;
	m->owner = owner;
	m->nqueues = nqueues;
	for (uint32_t i = 0; i < nqueues; i++) {
		struct virtqueue *q = &m->q[i];
		q->num_max = qmax;
		q->elem.out = calloc(VIRTQ_MAX_SIZE, sizeof *q->elem.out);
		q->elem.in = calloc(VIRTQ_MAX_SIZE, sizeof *q->elem.in);
		if (!q->elem.out || !q->elem.in) {
			vmmio_free(m);
			return -ENOMEM;
		}
	}
	return 0;
}

void vmmio_free(struct virtio_mmio *m)
{
	for (uint32_t i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		free(m->q[i].elem.out);
		free(m->q[i].elem.in);
		m->q[i].elem.out = m->q[i].elem.in = NULL;
	}
}

static void update_irq(struct virtio_mmio *m)
{
	bool level = m->isr != 0;
	if (level && !m->irq_level)
		m->interrupts++;
	m->irq_level = level;
	hvb_irq_set(m->dev, 0, level);
}

void vmmio_reset(struct virtio_mmio *m)
{
	m->status = 0;
	m->dev_feat_sel = m->drv_feat_sel = m->queue_sel = 0;
	m->driver_features = 0;
	m->isr = 0;
	for (uint32_t i = 0; i < m->nqueues; i++) {
		struct virtqueue *q = &m->q[i];
		q->ready = false;
		q->num = q->num_max;
		q->desc = q->avail = q->used = 0;
		q->last_avail = q->used_idx = 0;
	}
	update_irq(m);
	if (m->ops->reset)
		m->ops->reset(m->owner);
}

void vmmio_fail(struct virtio_mmio *m, const char *key, const char *why)
{
	(void)key; /* each distinct cause is logged once: the message is the log-once key */
	hvb_guest_error(m->dev, why, why);
	if (m->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	m->status |= VIRTIO_STATUS_NEEDS_RESET;
	m->needs_reset_count++;
	if (m->status & VIRTIO_STATUS_DRIVER_OK) {
		m->isr |= VIRTIO_MMIO_INT_CONFIG;
		update_irq(m);
	}
}

bool vmmio_broken(const struct virtio_mmio *m)
{
	return m->status & VIRTIO_STATUS_NEEDS_RESET;
}

void vmmio_signal_used(struct virtio_mmio *m, uint32_t qi)
{
	int r = vq_no_interrupt(m->dev, &m->q[qi]);
	if (r < 0) {
		vmmio_fail(m, "avail-flags", "available ring flags not readable");
		return;
	}
	if (r == 0) {
		m->isr |= VIRTIO_MMIO_INT_VRING;
		update_irq(m);
	}
}

static uint64_t offered(const struct virtio_mmio *m)
{
	return VIRTIO_TRANSPORT_FEATURES | m->ops->features;
}

static struct virtqueue *sel_queue(struct virtio_mmio *m)
{
	return m->queue_sel < m->nqueues ? &m->q[m->queue_sel] : NULL;
}

uint64_t vmmio_read(struct virtio_mmio *m, uint64_t off, uint32_t size)
{
	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t c = off - VIRTIO_MMIO_CONFIG;
		if (size > 4 || c + size > m->ops->config_size)
			return 0;
		return m->ops->config_read(m->owner, (uint32_t)c, size);
	}
	if (size != 4) {
		hvb_guest_error(m->dev, "reg-width", "control register access not 32 bits wide");
		return UINT64_MAX;
	}
	struct virtqueue *q = sel_queue(m);
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return m->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return HVB_VSCSI_VENDOR_ID;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return m->dev_feat_sel == 0   ? (uint32_t)offered(m)
		       : m->dev_feat_sel == 1 ? (uint32_t)(offered(m) >> 32)
					      : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? q->num_max : 0;
	case VIRTIO_MMIO_QUEUE_NUM:
		return q ? q->num : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q && q->ready;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return m->isr;
	case VIRTIO_MMIO_STATUS:
		return m->status;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		return q ? (uint32_t)q->desc : 0;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return q ? (uint32_t)(q->desc >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
		return q ? (uint32_t)q->avail : 0;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		return q ? (uint32_t)(q->avail >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
		return q ? (uint32_t)q->used : 0;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		return q ? (uint32_t)(q->used >> 32) : 0;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return m->generation;
	default:
		return 0;
	}
}

static void set_lo(uint64_t *a, uint32_t v)
{
	*a = (*a & ~0xffffffffull) | v;
}

static void set_hi(uint64_t *a, uint32_t v)
{
	*a = (*a & 0xffffffffull) | (uint64_t)v << 32;
}

static void write_status(struct virtio_mmio *m, uint32_t v)
{
	if (v == 0) {
		vmmio_reset(m);
		return;
	}
	v &= 0xff;
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(m->status & VIRTIO_STATUS_FEATURES_OK)) {
		uint64_t f = m->driver_features;
		if (!(f & (1ull << VIRTIO_F_VERSION_1)) || (f & ~offered(m))) {
			hvb_guest_error(m->dev, "features",
					"FEATURES_OK refused: VERSION_1 missing or a feature not "
					"offered was accepted");
			v &= ~VIRTIO_STATUS_FEATURES_OK;
		}
	}
	m->status = (v & ~VIRTIO_STATUS_NEEDS_RESET) | (m->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void write_queue(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
	struct virtqueue *q = sel_queue(m);
	if (!q) {
		hvb_guest_error(m->dev, "queue-sel",
				"queue register written for a queue that does "
				"not exist");
		return;
	}
	if (off == VIRTIO_MMIO_QUEUE_READY) {
		if (!(v & 1)) {
			q->ready = false;
			return;
		}
		if (q->ready)
			return;
		const char *why = vq_check_layout(q);
		if (why) {
			vmmio_fail(m, "queue-layout", why);
			return;
		}
		q->last_avail = q->used_idx = 0;
		q->ready = true;
		return;
	}
	if (q->ready) {
		hvb_guest_error(m->dev, "queue-ready",
				"queue setup register written while the "
				"queue is ready");
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		q->num = v;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		set_lo(&q->desc, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_hi(&q->desc, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
		set_lo(&q->avail, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		set_hi(&q->avail, v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
		set_lo(&q->used, v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		set_hi(&q->used, v);
		break;
	default:
		break;
	}
}

void vmmio_write(struct virtio_mmio *m, uint64_t off, uint32_t size, uint64_t value)
{
	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t c = off - VIRTIO_MMIO_CONFIG;
		if (size > 4 || c + size > m->ops->config_size) {
			hvb_guest_error(m->dev, "config-range",
					"write beyond the configuration space");
			return;
		}
		m->ops->config_write(m->owner, (uint32_t)c, size, (uint32_t)value);
		return;
	}
	if (size != 4) {
		hvb_guest_error(m->dev, "reg-width", "control register access not 32 bits wide");
		return;
	}
	uint32_t v = (uint32_t)value;
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		m->dev_feat_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (m->status & VIRTIO_STATUS_FEATURES_OK) {
			hvb_guest_error(m->dev, "features-late",
					"DriverFeatures written after FEATURES_OK");
		} else if (m->drv_feat_sel == 0) {
			set_lo(&m->driver_features, v);
		} else if (m->drv_feat_sel == 1) {
			set_hi(&m->driver_features, v);
		} else if (v) {
			m->driver_features |= 1ull << 63; /* a feature word never offered */
		}
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		m->drv_feat_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		m->queue_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		write_queue(m, off, v);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		m->notifies++;
		if (v < m->nqueues && m->q[v].ready && !vmmio_broken(m) &&
		    (m->status & VIRTIO_STATUS_DRIVER_OK) &&
		    (m->status & VIRTIO_STATUS_FEATURES_OK))
			m->ops->queue_notify(m->owner, v);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		m->isr &= ~v;
		update_irq(m);
		break;
	case VIRTIO_MMIO_STATUS:
		write_status(m, v);
		break;
	default:
		hvb_guest_error(m->dev, "reg-ro", "write to a read-only or unknown register");
		break;
	}
}
