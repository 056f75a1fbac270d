/* SPDX-License-Identifier: MIT */
/*
 * The 16550A UART device model's host side: where transmitted bytes go, how received bytes
 * arrive. Model name "uart16550" (platform device, compatible "ns16550a"); one PIO region of 8
 * byte-wide registers; one interrupt line (gated by MCR.OUT2 as on a PC). Config string:
 * "out_cap=N" sets the internal output buffer to N bytes (1..16 MiB, default 65536).
 *
 * Every function here does nothing (returns 0) when `d` is not a uart16550 device.
 */
#ifndef XDRV_UART16550_H
#define XDRV_UART16550_H

#include <stddef.h>
#include <stdint.h>

struct hvb_device;

/* Bytes the driver transmits (THR) are passed to `sink` one call per byte as the shift register
 * empties (at once: there is no baud clock). The sink may call hvb_uart_receive (a null-modem
 * loop), nothing else on this device. NULL restores the default sink, which appends to an
 * internal buffer read with hvb_uart_take_output; while that buffer is full the transmitter
 * stalls (THRE clear, bytes wait in the TX FIFO) until the host takes output. */
void hvb_uart_set_sink(struct hvb_device *d, void (*sink)(void *ctx, uint8_t byte), void *ctx);
/* Copy up to `cap` transmitted bytes out of the internal buffer, oldest first; returns the count.
 * Frees room on the wire, so a stalled transmitter moves on (and may raise THRE). */
size_t hvb_uart_take_output(struct hvb_device *d, uint8_t *buf, size_t cap);
/* Feed bytes to the receiver, masked to the programmed word length. In FIFO mode they go into
 * the 16-byte FIFO, and bytes that do not fit are dropped with LSR.OE set; in 16450 mode a byte
 * arriving before the last one was read replaces it and sets LSR.OE. Returns the number taken
 * without an overrun. In loopback mode the serial input is disconnected: returns 0. */
size_t hvb_uart_receive(struct hvb_device *d, const uint8_t *buf, size_t len);
/* The divisor latch (DLM:DLL) the driver programmed; baud = 1843200 / (16 * divisor). */
uint32_t hvb_uart_divisor(const struct hvb_device *d);

#endif
