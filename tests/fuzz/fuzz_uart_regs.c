// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: a guest driving the 16550A model through the native backend, mixed with
 * host-side traffic. The input is a sequence of operations, each an op byte followed by its
 * operands:
 *   op & 7 == 0,1  write:   offset byte, value byte (width from op bits 4-5: 1/2/4/8 bytes,
 *                           so bad widths and offsets reach the generic checks too)
 *           2      read:    offset byte (same width rule)
 *           3      receive: length byte (& 31), then that many data bytes
 *           4      take output: capacity byte
 *           5      device reset
 *           6      sink: op bit 3 selects a null-modem sink (TX fed back to RX) or the default
 *           7      interrupt controller: op bits 3-4 pick mask, unmask, ack, notify on/off
 * The first byte picks the output buffer size (small sizes exercise the stalled transmitter).
 * Besides crashes and sanitizer reports, it checks invariants the datasheet gives: IIR reads
 * as a valid identification code, THRE and TEMT agree, and the line is only pending while
 * MCR.OUT2 is set outside loopback.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <xdrv/hvb.h>
#include <xdrv/uart16550.h>

static void quiet(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static void null_modem(void *ctx, uint8_t b)
{
	hvb_uart_receive(ctx, &b, 1);
}

static unsigned edges;
static void on_irq(void *ctx, uint32_t line)
{
	(void)ctx;
	(void)line;
	edges++;
}

static void check(struct hvb_device *d)
{
	uint8_t mcr = (uint8_t)hvb_reg_read(d, 0, 4, 1);
	uint8_t lsr_peek; /* LSR reads clear error bits: look only at THRE/TEMT, which they keep */
	if (hvb_irq_pending(d, 0) && (!(mcr & 0x08) || (mcr & 0x10)))
		__builtin_trap();
	if (mcr & 0xe0)
		__builtin_trap();
	lsr_peek = (uint8_t)hvb_reg_read(d, 0, 5, 1);
	if (!!(lsr_peek & 0x20) != !!(lsr_peek & 0x40))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvb_backend *b = NULL;
	struct hvb_device *d = NULL;
	char *err = NULL;
	char cfg[32];
	size_t i = 0;
	hvb_set_log(quiet, NULL);
	if (size < 1)
		return 0;
	snprintf(cfg, sizeof cfg, "out_cap=%u", 1u + data[i++] % 64u);
	if (hvb_backend_create("native", NULL, &b, &err) != 0 ||
	    hvb_device_create(b, "uart16550", cfg, &d, &err) != 0)
		__builtin_trap();
	while (i < size) {
		uint8_t op = data[i++];
		uint32_t width = 1u << ((op >> 4) & 3);
		/* mostly byte-wide, the UART's only width; the rest tests rejection */
		if (op & 0x80)
			width = 1;
		switch (op & 7) {
		case 0:
		case 1:
			if (i + 2 > size)
				goto out;
			hvb_reg_write(d, 0, data[i] & ((op & 0x40) ? 0xff : 7), width, data[i + 1]);
			i += 2;
			break;
		case 2: {
			if (i + 1 > size)
				goto out;
			uint64_t v = hvb_reg_read(d, 0, data[i] & ((op & 0x40) ? 0xff : 7), width);
			if ((data[i] & 7) == 2 && width == 1 && !(op & 0x40)) {
				uint8_t id = v & 0x3f;
				if (id != 0x01 && id != 0x00 && id != 0x02 && id != 0x04 &&
				    id != 0x06 && id != 0x0c)
					__builtin_trap();
			}
			i += 1;
			break;
		}
		case 3: {
			if (i + 1 > size)
				goto out;
			size_t n = data[i++] & 31u;
			if (n > size - i)
				n = size - i;
			if (hvb_uart_receive(d, data + i, n) > n)
				__builtin_trap();
			i += n;
			break;
		}
		case 4: {
			uint8_t out[256];
			if (i + 1 > size)
				goto out;
			if (hvb_uart_take_output(d, out, data[i]) > data[i])
				__builtin_trap();
			i += 1;
			break;
		}
		case 5:
			hvb_device_reset(d);
			break;
		case 6:
			hvb_uart_set_sink(d, (op & 8) ? null_modem : NULL, d);
			break;
		case 7:
			switch ((op >> 3) & 3) {
			case 0:
				hvb_irq_mask(d, 0);
				break;
			case 1:
				hvb_irq_unmask(d, 0);
				break;
			case 2:
				hvb_irq_ack(d, (op >> 5) & 3);
				break;
			default:
				hvb_irq_set_notify(d, (op & 0x20) ? on_irq : NULL, NULL);
				break;
			}
			break;
		}
		check(d);
	}
out:
	hvb_backend_destroy(b);
	free(err);
	return 0;
}
