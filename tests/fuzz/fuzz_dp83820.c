// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: a guest driving the DP83820 model through the native backend, with
 * descriptor memory and wire traffic from the input. 64 KiB of DMA memory is mapped
 * bidirectionally (bus addresses are deterministic: the device's first mapping), plus 4 KiB
 * mapped device-read-only so that direction faults are reached too. The first byte picks the
 * board config (flow control). Then a sequence of operations, an op byte and its operands:
 *   op % 10 == 0  register write: offset byte (x4), 32-bit value (bit 7 of op: an 8-bit-wide
 *                 access, which the generic layer must refuse)
 *              1  register read: offset byte (x4)
 *              2  descriptor write in the current format at slot s (16 or 24 bytes apart):
 *                 slot byte, link slot byte (0xff: NULL, 0xfe: wild), buffer offset (2 bytes),
 *                 cmdsts (4), extsts (4)
 *              3  memory write: offset (2 bytes), 4 bytes
 *              4  wire frame into the receiver: length (2 bytes, & 0x7ff), then those bytes
 *              5  TXDP/RXDP = bus of slot byte (bit 7 of op: RX), then CR write of the op's
 *                 bits 4-6 as TXE|RXE|SWI
 *              6  hvb_device_poll
 *              7  device reset
 *              8  link down/up (op bit 4)
 *              9  generator frame into the receiver: size byte (+60), destination byte picks
 *                 our MAC / broadcast / multicast / another station
 * Besides crashes and sanitizer reports it checks what the chip guarantees: the line is only
 * asserted with IER set, the CR reset strobe reads back 0, and the model never DMAs outside
 * the mapped range (the IOMMU would fault, ASan would catch a host overrun).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/dma.h>
#include <xdrv/dp83820.h>
#include <xdrv/endian.h>
#include <xdrv/hvb.h>
#include <xdrv/wire.h>

#define MEM_LEN (64u * 1024u)

static void quiet(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static uint32_t get32(const uint8_t *p)
{
	return xdrv_get_le32(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *mem, *ro;
	struct hvb_backend *b = NULL;
	struct hvb_device *d = NULL;
	char *err = NULL;
	size_t i = 0;
	hvb_set_log(quiet, NULL);
	if (size < 1)
		return 0;
	if (!mem) {
		mem = aligned_alloc(4096, MEM_LEN);
		ro = aligned_alloc(4096, 4096);
		if (!mem || !ro)
			__builtin_trap();
	}
	memset(mem, 0, MEM_LEN);
	memset(ro, 0x5a, 4096);
	const char *cfg = (data[i++] & 1) ? "flow=0" : "flow=1";
	uint64_t bus = 0, robus = 0;
	if (hvb_backend_create("native", NULL, &b, &err) != 0 ||
	    hvb_device_create(b, "dp83820", cfg, &d, &err) != 0 ||
	    hvb_dma_map(d, mem, MEM_LEN, XDRV_DMA_BIDIRECTIONAL, &bus, &err) != 0 ||
	    hvb_dma_map(d, ro, 4096, XDRV_DMA_TO_DEVICE, &robus, &err) != 0)
		__builtin_trap();
	hvb_irq_unmask(d, 0);
	bool m64 = false;
	uint8_t frame[2048];
	while (i < size) {
		uint8_t op = data[i++];
		switch (op % 10) {
		case 0:
			if (i + 5 > size)
				goto out;
			if (op & 0x80) {
				hvb_reg_write(d, 0, data[i], 1, data[i + 1]);
			} else {
				uint32_t off = (uint32_t)data[i] * 4, v = get32(data + i + 1);
				hvb_reg_write(d, 0, off, 4, v);
				if (off == DP83820_CFG)
					m64 = (v & DP83820_CFG_M64ADDR) != 0;
				if (off == DP83820_CR && (v & DP83820_CR_RST)) {
					m64 = false;
					if (hvb_reg_read(d, 0, DP83820_CR, 4) & DP83820_CR_RST)
						__builtin_trap();
				}
			}
			i += 5;
			break;
		case 1:
			if (i + 1 > size)
				goto out;
			(void)hvb_reg_read(d, 0, (uint32_t)data[i] * 4, 4);
			i += 1;
			break;
		case 2: {
			if (i + 12 > size)
				goto out;
			uint32_t stride = m64 ? DP83820_DESC64_SIZE : DP83820_DESC32_SIZE;
			uint32_t at = (uint32_t)data[i] * stride;
			uint64_t link = data[i + 1] == 0xff ? 0
					: data[i + 1] == 0xfe
						? 0xdead0000ull
						: bus + (uint64_t)data[i + 1] * stride;
			uint16_t boff = (uint16_t)(data[i + 2] | data[i + 3] << 8);
			uint64_t buf = (boff & 0x8000) ? robus + (boff & 0xfff) : bus + boff;
			uint32_t cmdsts = get32(data + i + 4), extsts = get32(data + i + 8);
			i += 12;
			if (at + stride > MEM_LEN)
				break;
			uint8_t *p = mem + at;
			if (m64) {
				xdrv_put_le64(p, link);
				xdrv_put_le64(p + 8, buf);
				xdrv_put_le32(p + 16, cmdsts);
				xdrv_put_le32(p + 20, extsts);
			} else {
				xdrv_put_le32(p, (uint32_t)link);
				xdrv_put_le32(p + 4, (uint32_t)buf);
				xdrv_put_le32(p + 8, cmdsts);
				xdrv_put_le32(p + 12, extsts);
			}
			break;
		}
		case 3:
			if (i + 6 > size)
				goto out;
			{
				uint32_t off =
					(uint32_t)(data[i] | data[i + 1] << 8) % (MEM_LEN - 3);
				memcpy(mem + off, data + i + 2, 4);
			}
			i += 6;
			break;
		case 4: {
			if (i + 2 > size)
				goto out;
			size_t n = (size_t)(data[i] | data[i + 1] << 8) & 0x7ff;
			i += 2;
			if (n > size - i)
				n = size - i;
			int rc = dp83820_receive(d, data + i, n);
			if (rc != 0 && rc != -11 /* EAGAIN */ && rc != -22 /* EINVAL */)
				__builtin_trap();
			i += n;
			break;
		}
		case 5:
			if (i + 1 > size)
				goto out;
			hvb_reg_write(d, 0, (op & 0x80) ? DP83820_RXDP : DP83820_TXDP, 4,
				      (uint32_t)(bus + (uint64_t)data[i] * 16));
			hvb_reg_write(d, 0, DP83820_CR, 4,
				      ((op & 0x10) ? DP83820_CR_TXE : 0) |
					      ((op & 0x20) ? DP83820_CR_RXE : 0) |
					      ((op & 0x40) ? DP83820_CR_SWI : 0));
			i += 1;
			break;
		case 6:
			hvb_device_poll(d);
			break;
		case 7:
			hvb_device_reset(d);
			m64 = false;
			break;
		case 8:
			dp83820_set_link(d, (op & 0x10) != 0);
			break;
		case 9: {
			if (i + 2 > size)
				goto out;
			static const uint8_t macs[4][6] = {{0x02, 0, 0, 0, 0, 0x01},
							   {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
							   {0x01, 0x00, 0x5e, 0, 0, 1},
							   {0x02, 0, 0, 0, 0, 0x77}};
			static const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x02};
			uint32_t fs = 60u + data[i] * 5u;
			int n = hvb_wire_gen_frame(frame, sizeof frame, i, fs,
						   macs[data[i + 1] & 3], src);
			if (n != (int)fs)
				__builtin_trap();
			(void)dp83820_receive(d, frame, (size_t)n);
			i += 2;
			break;
		}
		}
		/* the line is asserted only while IER.IE is set (IMR/ISR checked by the unit tests)
		 */
		if (hvb_irq_pending(d, 0) && !(hvb_reg_read(d, 0, DP83820_IER, 4) & 1))
			__builtin_trap();
	}
out:
	hvb_backend_destroy(b);
	free(err);
	return 0;
}
