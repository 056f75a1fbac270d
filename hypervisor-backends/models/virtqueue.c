// SPDX-License-Identifier: MIT
/*
 * Split virtqueues (virtio 1.x, 2.6) as a device sees them: the descriptor table, the
 * available ring the driver fills, the used ring the device fills. All ring and buffer memory
 * is reached through hvb_dma_read/hvb_dma_write (bus addresses the IOMMU knows; anything else
 * fails). Every driver-written value is checked before use: avail->idx may not run more than
 * the queue size ahead, a head or next index must be inside its table, a chain may not be
 * longer than its table (which also catches loops), writable descriptors may not precede
 * readable ones, an indirect table must be a non-empty multiple of 16 bytes, not nested, and
 * only used when VIRTIO_F_RING_INDIRECT_DESC was negotiated. The caller turns a failure into
 * NEEDS_RESET.
 */
#include "virtio.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <xdrv/endian.h>
#include <xdrv/virtio_scsi.h>

#include "../hvb_priv.h"

static int rd16(struct hvb_device *d, uint64_t addr, uint16_t *v)
{
	uint8_t b[2];
	if (hvb_dma_read(d, addr, b, 2))
		return -EFAULT;
	*v = xdrv_get_le16(b);
	return 0;
}

static int wr16(struct hvb_device *d, uint64_t addr, uint16_t v)
{
	uint8_t b[2];
	xdrv_put_le16(b, v);
	return hvb_dma_write(d, addr, b, 2) ? -EFAULT : 0;
}

const char *vq_check_layout(const struct virtqueue *q)
{
	if (q->num == 0 || q->num > q->num_max || (q->num & (q->num - 1)))
		return "queue size is not a power of two within QueueNumMax";
	if (q->desc % 16 || q->avail % 2 || q->used % 4)
		return "misaligned ring address";
	return NULL;
}

int vq_no_interrupt(struct hvb_device *d, struct virtqueue *q)
{
	uint16_t flags;
	if (rd16(d, q->avail, &flags))
		return -EFAULT;
	return flags & VIRTQ_AVAIL_F_NO_INTERRUPT ? 1 : 0;
}

int vq_pop(struct hvb_device *d, struct virtqueue *q, bool indirect, const char **why)
{
	uint16_t avail_idx, head;
	if (rd16(d, q->avail + 2, &avail_idx)) {
		*why = "available ring not readable (unmapped bus address)";
		return -EFAULT;
	}
	uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
	if (pending == 0)
		return 0;
	if (pending > q->num) {
		*why = "avail idx moved more than the queue size ahead";
		return -EINVAL;
	}
	if (rd16(d, q->avail + 4 + 2ull * (q->last_avail % q->num), &head)) {
		*why = "available ring not readable (unmapped bus address)";
		return -EFAULT;
	}
	if (head >= q->num) {
		*why = "descriptor head index out of range";
		return -EINVAL;
	}
	struct vq_elem *e = &q->elem;
	e->head = head;
	e->n_out = e->n_in = 0;
	e->out_len = e->in_len = 0;
	uint64_t table = q->desc;
	uint32_t table_n = q->num, count = 0, idx = head;
	bool in_indirect = false;
	for (;;) {
		if (++count > table_n) {
			*why = "descriptor chain longer than its table (a loop?)";
			return -EINVAL;
		}
		uint8_t raw[16];
		if (hvb_dma_read(d, table + 16ull * idx, raw, sizeof raw)) {
			*why = "descriptor table not readable (unmapped bus address)";
			return -EFAULT;
		}
		uint64_t addr = xdrv_get_le64(raw);
		uint32_t len = xdrv_get_le32(raw + 8);
		uint16_t flags = xdrv_get_le16(raw + 12), next = xdrv_get_le16(raw + 14);
		if (flags & VIRTQ_DESC_F_INDIRECT) {
			if (!indirect) {
				*why = "indirect descriptor without VIRTIO_F_RING_INDIRECT_DESC";
				return -EINVAL;
			}
			if (in_indirect || (flags & VIRTQ_DESC_F_NEXT)) {
				*why = "nested indirect table or INDIRECT together with NEXT";
				return -EINVAL;
			}
			if (len == 0 || len % 16 || len / 16 > VIRTQ_MAX_SIZE) {
				*why = "indirect table length not a multiple of 16 in 16..16384";
				return -EINVAL;
			}
			in_indirect = true;
			table = addr;
			table_n = len / 16;
			idx = 0;
			count = 0;
			continue;
		}
		if (e->n_out + e->n_in >= VIRTQ_MAX_SIZE) {
			*why = "more than 1024 segments in one buffer";
			return -EINVAL;
		}
		if (flags & VIRTQ_DESC_F_WRITE) {
			e->in[e->n_in++] = (struct vq_seg){addr, len};
			e->in_len += len;
		} else if (e->n_in) {
			*why = "device-readable descriptor after a device-writable one";
			return -EINVAL;
		} else {
			e->out[e->n_out++] = (struct vq_seg){addr, len};
			e->out_len += len;
		}
		if (!(flags & VIRTQ_DESC_F_NEXT))
			break;
		if (next >= table_n) {
			*why = "next descriptor index out of range";
			return -EINVAL;
		}
		idx = next;
	}
	q->last_avail++;
	return 1;
}

int vq_push(struct hvb_device *d, struct virtqueue *q, uint32_t len)
{
	return vq_push_head(d, q, q->elem.head, len);
}

int vq_push_head(struct hvb_device *d, struct virtqueue *q, uint16_t head, uint32_t len)
{
	uint8_t b[8];
	xdrv_put_le32(b, head);
	xdrv_put_le32(b + 4, len);
	if (hvb_dma_write(d, q->used + 4 + 8ull * (q->used_idx % q->num), b, sizeof b))
		return -EFAULT;
	q->used_idx++;
	return wr16(d, q->used + 2, q->used_idx);
}

static int copy(struct hvb_device *d, const struct vq_seg *s, uint32_t n, uint64_t off,
		uint8_t *buf, uint64_t len, bool to_guest)
{
	for (uint32_t i = 0; i < n && len; i++) {
		if (off >= s[i].len) {
			off -= s[i].len;
			continue;
		}
		uint64_t chunk = s[i].len - off;
		if (chunk > len)
			chunk = len;
		int rc = to_guest ? hvb_dma_write(d, s[i].addr + off, buf, chunk)
				  : hvb_dma_read(d, s[i].addr + off, buf, chunk);
		if (rc)
			return -EFAULT;
		buf += chunk;
		len -= chunk;
		off = 0;
	}
	return len ? -ERANGE : 0;
}

int vq_copy_from(struct hvb_device *d, const struct vq_seg *s, uint32_t n, uint64_t off, void *dst,
		 uint64_t len)
{
	return copy(d, s, n, off, dst, len, false);
}

int vq_copy_to(struct hvb_device *d, const struct vq_seg *s, uint32_t n, uint64_t off,
	       const void *src, uint64_t len)
{
	return copy(d, s, n, off, (uint8_t *)(uintptr_t)src, len, true);
}

int vq_iov(struct hvb_device *d, const struct vq_seg *s, uint32_t n, uint64_t off, uint64_t len,
	   bool write, struct iovec *iov, uint32_t max)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < n && len; i++) {
		if (off >= s[i].len) {
			off -= s[i].len;
			continue;
		}
		uint64_t chunk = s[i].len - off;
		if (chunk > len)
			chunk = len;
		uint8_t *p = hvb_dma_host(d, s[i].addr + off, chunk, write);
		if (!p)
			return -EFAULT;
		if (k && (uint8_t *)iov[k - 1].iov_base + iov[k - 1].iov_len == p) {
			iov[k - 1].iov_len += (size_t)chunk;
		} else {
			if (k == max)
				return -E2BIG;
			iov[k].iov_base = p;
			iov[k].iov_len = (size_t)chunk;
			k++;
		}
		len -= chunk;
		off = 0;
	}
	return len ? -ERANGE : (int)k;
}
