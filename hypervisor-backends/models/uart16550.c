// SPDX-License-Identifier: MIT
/*
 * A 16550A UART, as the chip behaves (National PC16550D datasheet; QEMU's serial.c consulted for
 * the details PC software relies on). One port I/O region of eight byte-wide registers and one
 * interrupt line:
 *
 *   0  RBR (read) / THR (write)        DLL when LCR.DLAB
 *   1  IER                             DLM when LCR.DLAB
 *   2  IIR (read) / FCR (write)
 *   3  LCR   4 MCR   5 LSR   6 MSR   7 SCR
 *
 * Receiver and transmitter have 16-byte FIFOs when FCR.0 enables them, one-byte holding
 * registers otherwise (16450 mode). Interrupt identification follows the chip's priorities:
 * line status > received data / character timeout > THR empty > modem status. As on a PC, the
 * interrupt reaches the host only while MCR.OUT2 is set (the OUT2 pin gates the IRQ buffer), and
 * in loopback the pin is forced inactive, so the line stays low.
 *
 * Time: there is no baud clock. A transmitted byte leaves at once, to the host sink, or to the
 * receiver in loopback. The host side is the wire's pace: with the default sink, bytes collect
 * in a bounded buffer (config "out_cap=N", default 64 KiB) that hvb_uart_take_output empties;
 * while it is full the transmitter stalls, bytes queue in the TX FIFO and THRE stays clear.
 * Between host calls as much time passes as the driver needs, so a receive call that leaves
 * bytes below the FIFO trigger level ends with a character-timeout indication.
 *
 * Parity, framing and break are not modelled: the host delivers whole bytes, so PE/FE/BI stay 0.
 */
#include "../hvb_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/device.h>
#include <xdrv/uart16550.h>
#include <xdrv/util.h>

enum {
	REG_RBR_THR = 0,
	REG_IER = 1,
	REG_IIR_FCR = 2,
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* transmitter holding register empty */
#define IER_ELSI  0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */

#define IIR_NO_INT 0x01
#define IIR_MSI	   0x00
#define IIR_THRI   0x02
#define IIR_RDI	   0x04
#define IIR_RLSI   0x06
#define IIR_CTI	   0x0c /* character timeout (FIFO mode) */
#define IIR_FIFO   0xc0

#define FCR_FE	 0x01
#define FCR_RFR	 0x02 /* clear receiver FIFO, self-clearing */
#define FCR_XFR	 0x04 /* clear transmitter FIFO, self-clearing */
#define FCR_DMA	 0x08
#define FCR_TRIG 0xc0

#define LCR_WLS	 0x03
#define LCR_DLAB 0x80

#define MCR_DTR	 0x01
#define MCR_RTS	 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f /* bits 5-7 read 0 on a 16550A */

#define LSR_DR	    0x01
#define LSR_OE	    0x02
#define LSR_PE	    0x04
#define LSR_FE	    0x08
#define LSR_BI	    0x10
#define LSR_THRE    0x20
#define LSR_TEMT    0x40
#define LSR_INT_ANY (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS   0x01
#define MSR_DDSR   0x02
#define MSR_TERI   0x04
#define MSR_DDCD   0x08
#define MSR_CTS	   0x10
#define MSR_DSR	   0x20
#define MSR_RI	   0x40
#define MSR_DCD	   0x80
#define MSR_DELTAS 0x0f

#define FIFO_LEN	16
#define OUT_CAP_DEFAULT 65536u
#define OUT_CAP_MIN	1u
#define OUT_CAP_MAX	(16u << 20)

struct fifo {
	uint8_t data[FIFO_LEN];
	uint32_t head, count;
};

struct uart {
	struct hvb_device *dev;
	uint16_t divisor;
	uint8_t ier, fcr, lcr, mcr, lsr, msr, scr;
	uint8_t rbr;	   /* last byte handed to the CPU: what an empty receiver reads */
	bool thr_ipending; /* THR-empty interrupt armed: set as the THR empties, cleared by an IIR
			      read that reports it or a THR write */
	bool rx_timeout;   /* character timeout indicated (FIFO mode) */
	struct fifo rx, tx;
	/* host side */
	void (*sink)(void *ctx, uint8_t byte);
	void *sink_ctx;
	uint8_t *out; /* ring buffer of transmitted bytes for hvb_uart_take_output */
	size_t out_cap, out_head, out_len;
};

/* ---- FIFOs ----------------------------------------------------------------------------------- */

static uint32_t fifo_depth(const struct uart *s)
{
	return (s->fcr & FCR_FE) ? FIFO_LEN : 1;
}

static void fifo_push(struct fifo *f, uint8_t b)
{
	f->data[(f->head + f->count) % FIFO_LEN] = b;
	f->count++;
}

static uint8_t fifo_pop(struct fifo *f)
{
	uint8_t b = f->data[f->head];
	f->head = (f->head + 1) % FIFO_LEN;
	f->count--;
	return b;
}

static void fifo_clear(struct fifo *f)
{
	memset(f, 0, sizeof *f);
}

static uint32_t rx_trigger(const struct uart *s)
{
	static const uint8_t levels[4] = {1, 4, 8, 14};
	return (s->fcr & FCR_FE) ? levels[(s->fcr & FCR_TRIG) >> 6] : 1;
}

static uint8_t word_mask(const struct uart *s)
{
	return (uint8_t)(0xffu >> (3 - (s->lcr & LCR_WLS))); /* 5..8 data bits */
}

/* ---- interrupts ------------------------------------------------------------------------------ */

static uint8_t compute_iir(const struct uart *s)
{
	if ((s->ier & IER_ELSI) && (s->lsr & LSR_INT_ANY))
		return IIR_RLSI;
	if (s->ier & IER_ERBFI) {
		if (s->rx.count >= rx_trigger(s))
			return IIR_RDI;
		if ((s->fcr & FCR_FE) && s->rx.count && s->rx_timeout)
			return IIR_CTI;
	}
	if ((s->ier & IER_ETBEI) && s->thr_ipending)
		return IIR_THRI;
	if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NO_INT;
}

static void update_irq(struct uart *s)
{
	bool intr = !(compute_iir(s) & IIR_NO_INT);
	bool out2 = (s->mcr & MCR_OUT2) && !(s->mcr & MCR_LOOP);
	hvb_irq_set(s->dev, 0, intr && out2);
}

/* Modem inputs: in loopback the four outputs feed them back; otherwise a host terminal is
 * attached that asserts CTS, DSR and DCD (as QEMU's default) and never rings. */
static void update_msr(struct uart *s)
{
	uint8_t in;
	if (s->mcr & MCR_LOOP) {
		in = (uint8_t)(((s->mcr & MCR_RTS) ? MSR_CTS : 0) |
			       ((s->mcr & MCR_DTR) ? MSR_DSR : 0) |
			       ((s->mcr & MCR_OUT1) ? MSR_RI : 0) |
			       ((s->mcr & MCR_OUT2) ? MSR_DCD : 0));
	} else {
		in = MSR_CTS | MSR_DSR | MSR_DCD;
	}
	uint8_t old = s->msr & 0xf0, changed = old ^ in, delta = 0;
	if (changed & MSR_CTS)
		delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		delta |= MSR_DDSR;
	if ((old & MSR_RI) && !(in & MSR_RI)) /* trailing edge of ring indicator only */
		delta |= MSR_TERI;
	if (changed & MSR_DCD)
		delta |= MSR_DDCD;
	s->msr = (uint8_t)(in | (s->msr & MSR_DELTAS) | delta);
}

/* ---- receiver -------------------------------------------------------------------------------- */

/* One byte arrives at the receiver. Returns false on an overrun. */
static bool rx_put(struct uart *s, uint8_t b)
{
	bool ok = true;
	b &= word_mask(s);
	if (s->rx.count < fifo_depth(s)) {
		fifo_push(&s->rx, b);
	} else if (s->fcr & FCR_FE) {
		/* FIFO full: the byte in the shift register is lost, the FIFO kept */
		ok = false;
	} else {
		/* 16450 mode: the new byte overwrites the unread one */
		s->rx.data[s->rx.head] = b;
		ok = false;
	}
	if (!ok)
		s->lsr |= LSR_OE;
	s->lsr |= LSR_DR;
	return ok;
}

static uint8_t read_rbr(struct uart *s)
{
	if (s->rx.count)
		s->rbr = fifo_pop(&s->rx);
	if (!s->rx.count) {
		s->lsr &= (uint8_t)~LSR_DR;
		s->rx_timeout = false;
	}
	update_irq(s);
	return s->rbr;
}

/* ---- transmitter ----------------------------------------------------------------------------- */

static bool wire_ready(const struct uart *s)
{
	return (s->mcr & MCR_LOOP) || s->sink || s->out_len < s->out_cap;
}

static void emit(struct uart *s, uint8_t b)
{
	if (s->mcr & MCR_LOOP) {
		rx_put(s, b);
		if (s->fcr & FCR_FE)
			s->rx_timeout = true; /* the loop is instant; no more bytes are coming */
	} else if (s->sink) {
		s->sink(s->sink_ctx, b);
	} else {
		s->out[(s->out_head + s->out_len) % s->out_cap] = b;
		s->out_len++;
	}
}

/* Shift out what the wire takes; when the THR/FIFO empties, arm the THRE interrupt. */
static void tx_drain(struct uart *s)
{
	bool had = s->tx.count > 0;
	while (s->tx.count && wire_ready(s))
		emit(s, fifo_pop(&s->tx) & word_mask(s));
	if (s->tx.count) {
		s->lsr &= (uint8_t) ~(LSR_THRE | LSR_TEMT);
	} else {
		s->lsr |= LSR_THRE | LSR_TEMT;
		if (had)
			s->thr_ipending = true;
	}
	update_irq(s);
}

static void write_thr(struct uart *s, uint8_t b)
{
	s->thr_ipending = false;
	if (s->tx.count < fifo_depth(s))
		fifo_push(&s->tx, b);
	else
		hvb_guest_error(s->dev, "tx-overflow",
				"THR written while the transmitter FIFO is full: byte lost");
	tx_drain(s);
}

/* ---- registers ------------------------------------------------------------------------------- */

static void write_fcr(struct uart *s, uint8_t v)
{
	uint8_t clear = 0;
	if ((v ^ s->fcr) & FCR_FE)
		clear = FCR_RFR | FCR_XFR; /* switching modes empties both FIFOs */
	if (v & FCR_FE) {
		clear |= v & (FCR_RFR | FCR_XFR);
		s->fcr = v & (FCR_FE | FCR_DMA | FCR_TRIG);
	} else {
		s->fcr = 0; /* other bits are programmed only together with FCR.0 */
	}
	if (clear & FCR_RFR) {
		fifo_clear(&s->rx);
		s->lsr &= (uint8_t)~LSR_DR;
		s->rx_timeout = false;
	}
	if ((clear & FCR_XFR) && s->tx.count) {
		fifo_clear(&s->tx);
		s->lsr |= LSR_THRE | LSR_TEMT;
		s->thr_ipending = true;
	}
	update_irq(s);
}

static uint64_t uart_read(void *opaque, uint32_t region, uint64_t offset, uint32_t size)
{
	struct uart *s = opaque;
	uint8_t v = 0;
	(void)region;
	(void)size;
	switch (offset) {
	case REG_RBR_THR:
		v = (s->lcr & LCR_DLAB) ? (uint8_t)s->divisor : read_rbr(s);
		break;
	case REG_IER:
		v = (s->lcr & LCR_DLAB) ? (uint8_t)(s->divisor >> 8) : s->ier;
		break;
	case REG_IIR_FCR:
		v = compute_iir(s);
		if (v == IIR_THRI) {
			s->thr_ipending = false;
			update_irq(s);
		}
		if (s->fcr & FCR_FE)
			v |= IIR_FIFO;
		break;
	case REG_LCR:
		v = s->lcr;
		break;
	case REG_MCR:
		v = s->mcr;
		break;
	case REG_LSR:
		v = s->lsr;
		s->lsr &= (uint8_t)~LSR_INT_ANY;
		update_irq(s);
		break;
	case REG_MSR:
		v = s->msr;
		s->msr &= (uint8_t)~MSR_DELTAS;
		update_irq(s);
		break;
	case REG_SCR:
		v = s->scr;
		break;
	}
	return v;
}

static void uart_write(void *opaque, uint32_t region, uint64_t offset, uint32_t size,
		       uint64_t value)
{
	struct uart *s = opaque;
	uint8_t v = (uint8_t)value;
	(void)region;
	(void)size;
	switch (offset) {
	case REG_RBR_THR:
		if (s->lcr & LCR_DLAB)
			s->divisor = (uint16_t)((s->divisor & 0xff00) | v);
		else
			write_thr(s, v);
		break;
	case REG_IER:
		if (s->lcr & LCR_DLAB) {
			s->divisor = (uint16_t)((s->divisor & 0x00ff) | v << 8);
		} else {
			s->ier = v & 0x0f;
			/* enabling (or re-enabling) ETBEI with the THR empty raises THRE at once,
			 * which is how drivers start transmission */
			if ((s->ier & IER_ETBEI) && (s->lsr & LSR_THRE))
				s->thr_ipending = true;
			update_irq(s);
		}
		break;
	case REG_IIR_FCR:
		write_fcr(s, v);
		break;
	case REG_LCR:
		s->lcr = v;
		break;
	case REG_MCR:
		s->mcr = v & MCR_MASK;
		update_msr(s);
		tx_drain(s); /* entering loopback frees a stalled transmitter */
		break;
	case REG_LSR:
	case REG_MSR:
		/* writable only in the chip's factory test mode */
		hvb_guest_error(s->dev, "write-readonly", "write to LSR or MSR ignored");
		break;
	case REG_SCR:
		s->scr = v;
		break;
	}
}

/* ---- lifecycle ------------------------------------------------------------------------------- */

static void uart_reset(void *opaque)
{
	struct uart *s = opaque;
	/* PC16550D "reset configuration": divisor latch and scratch keep their values */
	s->ier = 0;
	s->fcr = 0;
	s->lcr = 0;
	s->mcr = 0;
	s->lsr = LSR_THRE | LSR_TEMT;
	s->msr = 0;
	s->rbr = 0;
	s->thr_ipending = false;
	s->rx_timeout = false;
	fifo_clear(&s->rx);
	fifo_clear(&s->tx);
	update_msr(s);
	s->msr &= (uint8_t)~MSR_DELTAS; /* the inputs are what they are, not a change */
	update_irq(s);
}

static int uart_create(struct hvb_device *dev, const char *config, void **opaque, char **err)
{
	uint64_t out_cap = OUT_CAP_DEFAULT;
	char key[32], val[32];
	size_t pos = 0;
	int rc;
	while ((rc = hvb_config_next(config, &pos, key, sizeof key, val, sizeof val, err)) > 0) {
		if (strcmp(key, "out_cap") != 0)
			return xdrv_err(err, -EINVAL, "config '%s': unknown key (known: out_cap)",
					key);
		if (hvb_config_u64(val, OUT_CAP_MIN, OUT_CAP_MAX, &out_cap) != 0)
			return xdrv_err(err, -EINVAL, "config out_cap=%s: not a number in %u..%u",
					val, OUT_CAP_MIN, OUT_CAP_MAX);
	}
	if (rc < 0)
		return rc;
	struct uart *s = calloc(1, sizeof *s);
	if (!s)
		return xdrv_err(err, -ENOMEM, "out of memory");
	s->out = malloc(out_cap);
	if (!s->out) {
		free(s);
		return xdrv_err(err, -ENOMEM, "out of memory for a %llu-byte output buffer",
				(unsigned long long)out_cap);
	}
	s->out_cap = out_cap;
	s->dev = dev;
	*opaque = s;
	return 0;
}

static void uart_destroy(void *opaque)
{
	struct uart *s = opaque;
	if (!s)
		return;
	free(s->out);
	free(s);
}

/* ---- host side ------------------------------------------------------------------------------- */

static struct uart *uart_of(const struct hvb_device *d)
{
	return hvb_device_model(d) == &hvb_uart16550_model_ops ? hvb_device_state(d) : NULL;
}

void hvb_uart_set_sink(struct hvb_device *d, void (*sink)(void *ctx, uint8_t byte), void *ctx)
{
	struct uart *s = uart_of(d);
	if (!s)
		return;
	s->sink = sink;
	s->sink_ctx = sink ? ctx : NULL;
	tx_drain(s);
}

static size_t uart_take_output(void *opaque, uint8_t *buf, size_t cap)
{
	struct uart *s = opaque;
	size_t n = 0;
	if (!s || !buf)
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		while (n < cap && s->out_len) {
			buf[n++] = s->out[s->out_head];
			s->out_head = (s->out_head + 1) % s->out_cap;
			s->out_len--;
		}
		/* room on the wire again: a stalled FIFO moves on (and may fill the rest of buf) */
		tx_drain(s);
	}
	return n;
}

static size_t uart_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct uart *s = opaque;
	size_t accepted = 0;
	if (!s || !buf || (s->mcr & MCR_LOOP)) /* loopback disconnects the serial input */
		return 0;
	for (size_t i = 0; i < len; i++)
		accepted += rx_put(s, buf[i]);
	if (s->rx.count && (s->fcr & FCR_FE))
		s->rx_timeout = true; /* the burst is over: time passes before the next call */
	update_irq(s);
	return accepted;
}

size_t hvb_uart_take_output(struct hvb_device *d, uint8_t *buf, size_t cap)
{
	return uart_take_output(uart_of(d), buf, cap);
}

size_t hvb_uart_receive(struct hvb_device *d, const uint8_t *buf, size_t len)
{
	return uart_receive(uart_of(d), buf, len);
}

uint32_t hvb_uart_divisor(const struct hvb_device *d)
{
	const struct uart *s = uart_of(d);
	return s ? s->divisor : 0;
}

static const struct hvb_serial_ops uart_serial_ops = {
	.take_output = uart_take_output,
	.receive = uart_receive,
};

const struct hvb_model_ops hvb_uart16550_model_ops = {
	.name = "uart16550",
	.description = "16550A UART: 8 byte-wide port I/O registers, 16-byte FIFOs, one interrupt",
	.bus = XDRV_BUS_PLATFORM,
	.compatible = "ns16550a",
	.num_regions = 1,
	.regions = {{.kind = XDRV_REGION_PIO, .access_sizes = 1, .size = 8}},
	.num_irqs = 1,
	.create = uart_create,
	.destroy = uart_destroy,
	.reset = uart_reset,
	.read = uart_read,
	.write = uart_write,
	.serial = &uart_serial_ops,
};
