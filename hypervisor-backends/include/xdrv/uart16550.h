/* SPDX-License-Identifier: MIT */
/*
 * The 16550A UART device model's host side: where transmitted bytes go, how received bytes
 * arrive. Model name "uart16550"; one PIO region of 8 byte-wide registers; one interrupt line.
 */
#ifndef XDRV_UART16550_H
#define XDRV_UART16550_H

#include <stddef.h>
#include <stdint.h>

struct hvb_device;

/* Bytes the driver transmits (THR) are passed to `sink` one call per byte as the shift register
 * empties; default sink appends to an internal buffer read with hvb_uart_take_output. */
void hvb_uart_set_sink(struct hvb_device *d, void (*sink)(void *ctx, uint8_t byte), void *ctx);
/* Copy up to `cap` transmitted bytes out of the internal buffer; returns the count. */
size_t hvb_uart_take_output(struct hvb_device *d, uint8_t *buf, size_t cap);
/* Feed bytes to the receiver (into the 16-byte FIFO; overflow sets LSR.OE and drops). Returns
 * the number accepted. */
size_t hvb_uart_receive(struct hvb_device *d, const uint8_t *buf, size_t len);

#endif
