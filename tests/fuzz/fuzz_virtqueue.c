// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: a guest whose queue memory comes from the input, driving the virtio-scsi
 * model (virtio-mmio transport, split virtqueues, request and control handling) through the
 * native backend. 64 KiB of guest memory are mapped bidirectionally at the device's first bus
 * address (0x10000000 on a fresh device); queue q's descriptor table is at offset q*0x1000,
 * its available ring at +0x100, its used ring at +0x200 (16 entries). The input is operations:
 *   00 f           init: reset, features VERSION_1 (| INDIRECT_DESC if f & 1), queues 0..2,
 *                  DRIVER_OK
 *   01 lo hi n ..  poke n bytes into guest memory at offset hi:lo
 *   02 q           QueueNotify q
 *   03 r v0..v3    32-bit register write at offset r*4 (r*4 >= 0x100: config space)
 *   04 r           32-bit register read at offset r*4
 *   05             InterruptACK of everything pending
 *   06             device reset from the host
 *   07 w r         a width-w (1 << (w & 3)) read at offset r (unchecked widths reach the checks)
 * Checks besides crashes and sanitizer reports: InterruptStatus has only bits 0-1, the line is
 * pending exactly when InterruptStatus is non-zero (it is unmasked), and a device in
 * NEEDS_RESET completes nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/dma.h>
#include <xdrv/endian.h>
#include <xdrv/hvb.h>
#include <xdrv/virtio_scsi.h>

#define MEM 65536u

static void quiet(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static uint8_t *mem;

static void wr(struct hvb_device *d, uint32_t off, uint32_t v)
{
	hvb_reg_write(d, 0, off, 4, v);
}

static void init(struct hvb_device *d, uint64_t bus, uint8_t f)
{
	uint64_t feat =
		(1ull << VIRTIO_F_VERSION_1) | ((f & 1) ? 1ull << VIRTIO_F_RING_INDIRECT_DESC : 0);
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, 3);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)feat);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(feat >> 32));
	wr(d, VIRTIO_MMIO_STATUS, 0xb);
	for (uint32_t q = 0; q < 3; q++) {
		uint64_t b = bus + q * 0x1000u;
		wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
		wr(d, VIRTIO_MMIO_QUEUE_NUM, 16);
		wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)b);
		wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(b + 0x100));
		wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(b + 0x200));
		wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(d, VIRTIO_MMIO_STATUS, 0xf);
}

static uint16_t used_idx(uint32_t q)
{
	return xdrv_get_le16(mem + q * 0x1000u + 0x202);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvb_backend *b = NULL;
	struct hvb_device *d = NULL;
	char *err = NULL;
	uint64_t bus = 0;
	hvb_set_log(quiet, NULL);
	if (!mem && !(mem = aligned_alloc(4096, MEM)))
		__builtin_trap();
	memset(mem, 0, MEM);
	if (hvb_backend_create("native", NULL, &b, &err) ||
	    hvb_device_create(b, "virtio-scsi", "disk=ram:64K,disk=ram:4K,queue_size=16", &d,
			      &err) ||
	    hvb_dma_map(d, mem, MEM, XDRV_DMA_BIDIRECTIONAL, &bus, &err))
		__builtin_trap();
	hvb_irq_unmask(d, 0);
	size_t i = 0;
	while (i < size) {
		uint8_t op = data[i++];
		switch (op & 7) {
		case 0:
			if (i + 1 > size)
				goto out;
			init(d, bus, data[i++]);
			break;
		case 1: {
			if (i + 3 > size)
				goto out;
			uint32_t off = data[i] | (uint32_t)data[i + 1] << 8, n = data[i + 2];
			i += 3;
			if (n > size - i)
				n = (uint32_t)(size - i);
			if (n > MEM - off)
				n = MEM - off;
			memcpy(mem + off, data + i, n);
			i += n;
			break;
		}
		case 2: {
			if (i + 1 > size)
				goto out;
			uint32_t q = data[i++] % 4u;
			uint16_t before = q < 3 ? used_idx(q) : 0;
			bool broken = hvb_vscsi_status(d) & VIRTIO_STATUS_NEEDS_RESET;
			wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
			if (broken && q < 3 && used_idx(q) != before)
				__builtin_trap();
			break;
		}
		case 3:
			if (i + 5 > size)
				goto out;
			wr(d, data[i] * 4u, xdrv_get_le32(data + i + 1));
			i += 5;
			break;
		case 4:
			if (i + 1 > size)
				goto out;
			hvb_reg_read(d, 0, data[i++] * 4u, 4);
			break;
		case 5:
			wr(d, VIRTIO_MMIO_INTERRUPT_ACK, 3);
			break;
		case 6:
			hvb_device_reset(d);
			break;
		default:
			if (i + 2 > size)
				goto out;
			hvb_reg_read(d, 0, data[i + 1], 1u << (data[i] & 3));
			i += 2;
			break;
		}
		uint32_t isr = (uint32_t)hvb_reg_read(d, 0, VIRTIO_MMIO_INTERRUPT_STATUS, 4);
		if ((isr & ~3u) || (isr != 0) != hvb_irq_pending(d, 0))
			__builtin_trap();
	}
out:
	hvb_backend_destroy(b);
	return 0;
}
