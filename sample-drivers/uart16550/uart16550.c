// SPDX-License-Identifier: MIT
/*
 * uart16550: an interrupt-driven driver for a 16550A UART (platform "ns16550a"), written against
 * the xdrv driver ABI only. probe checks the port, programs the divisor for `baud` from the
 * PC's 1.8432 MHz clock, 8 data bits, no parity, one stop bit, enables and clears the 16-byte
 * FIFOs (receive trigger at 8 bytes, so short input arrives through the character timeout),
 * raises DTR, RTS and OUT2 (which connects the interrupt on a PC), and enables the receive and
 * transmit interrupts. Output goes through a driver-side ring that the THR-empty interrupt
 * moves into the transmit FIFO, at most 16 bytes per interrupt, the FIFO's depth; the transmit
 * interrupt is enabled only while the ring has bytes. Input is drained from the receive FIFO on
 * the data and timeout interrupts, counted, echoed if `echo` is set, and logged a line at a time.
 *
 * Freestanding C11, no libc; every loop that waits on the device is bounded.
 */
#include <xdrv/abi.h>

/* registers (byte offsets in region 0) */
#define UART_RBR 0 /* read, DLAB=0 */
#define UART_THR 0 /* write, DLAB=0 */
#define UART_DLL 0 /* DLAB=1 */
#define UART_IER 1 /* DLAB=0 */
#define UART_DLM 1 /* DLAB=1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_ERBFI     0x01
#define IER_ETBEI     0x02
#define IIR_NO_INT    0x01
#define IIR_ID	      0x0e
#define IIR_MSI	      0x00
#define IIR_THRI      0x02
#define IIR_RDI	      0x04
#define IIR_RLSI      0x06
#define IIR_CTI	      0x0c
#define IIR_FIFO_ON   0xc0
#define FCR_ENABLE    0x01
#define FCR_CLEAR_RX  0x02
#define FCR_CLEAR_TX  0x04
#define FCR_TRIGGER_8 0x80
#define LCR_8N1	      0x03
#define LCR_DLAB      0x80
#define MCR_DTR	      0x01
#define MCR_RTS	      0x02
#define MCR_OUT2      0x08
#define LSR_DR	      0x01
#define LSR_OE	      0x02
#define LSR_THRE      0x20

#define UART_CLOCK_DIV16 115200u /* 1843200 Hz / 16 */
#define UART_FIFO_DEPTH	 16u
#define TX_RING		 512u /* power of two */
#define LINE_MAX	 96u  /* longest input line logged whole */
#define IRQ_ROUNDS	 64u  /* IIR re-reads per interrupt before yielding */
#define RX_BUDGET	 256u /* bytes drained per receive interrupt */

XDRV_PARAM(uint32_t, baud) = 115200;
XDRV_PARAM(uint32_t, echo) = 1;

struct uart {
	xdrv_device_t *dev;
	xdrv_region_t *io;
	uint8_t ier;
	uint8_t tx[TX_RING];
	uint32_t tx_head, tx_tail; /* free-running; tail - head bytes queued */
	char line[LINE_MAX];
	uint32_t line_len;
	uint64_t rx_bytes, rx_lines, tx_bytes, tx_dropped, overruns, irqs;
};

static uint8_t uart_in(struct uart *u, uint32_t reg)
{
	return xdrv_io_read8(u->io, reg);
}

static void uart_out(struct uart *u, uint32_t reg, uint8_t v)
{
	xdrv_io_write8(u->io, reg, v);
}

static void uart_set_ier(struct uart *u, uint8_t ier)
{
	u->ier = ier;
	uart_out(u, UART_IER, ier);
}

/* ---- transmit -------------------------------------------------------------------------------- */

static uint32_t tx_queued(const struct uart *u)
{
	return u->tx_tail - u->tx_head;
}

/* Queue bytes (dropping what does not fit) and make sure the THRE interrupt will move them. */
static void tx_queue(struct uart *u, const char *s, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		if (tx_queued(u) == TX_RING) {
			u->tx_dropped += len - i;
			break;
		}
		u->tx[u->tx_tail++ % TX_RING] = (uint8_t)s[i];
	}
	/* enabling ETBEI with the THR empty raises THRE at once: that starts the transfer */
	if (tx_queued(u) && !(u->ier & IER_ETBEI))
		uart_set_ier(u, u->ier | IER_ETBEI);
}

static void tx_queue_str(struct uart *u, const char *s)
{
	uint32_t n = 0;
	while (s[n])
		n++;
	tx_queue(u, s, n);
}

/* THR empty: the FIFO is empty, so up to 16 bytes fit. */
static void tx_fill(struct uart *u)
{
	uint32_t n = 0;
	while (n < UART_FIFO_DEPTH && tx_queued(u)) {
		uart_out(u, UART_THR, u->tx[u->tx_head++ % TX_RING]);
		n++;
	}
	u->tx_bytes += n;
	if (!tx_queued(u))
		uart_set_ier(u,
			     u->ier & (uint8_t)~IER_ETBEI); /* nothing more: stop THRE interrupts */
}

/* At remove: push out what is left by polling, bounded in case the line is stalled. */
static void tx_flush_polled(struct uart *u)
{
	for (uint32_t spins = 0; tx_queued(u) && spins < 4 * TX_RING; spins++) {
		if (uart_in(u, UART_LSR) & LSR_THRE)
			tx_fill(u);
		else
			xdrv_delay_us(100);
	}
}

/* ---- receive --------------------------------------------------------------------------------- */

static void rx_line_done(struct uart *u)
{
	struct xdrv_msg m;
	if (!u->line_len)
		return;
	u->line[u->line_len] = '\0';
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "uart16550: received line \"");
	xdrv_msg_str(&m, u->line);
	xdrv_msg_str(&m, "\"");
	xdrv_msg_log(&m, XDRV_LOG_INFO);
	u->rx_lines++;
	u->line_len = 0;
}

static void rx_byte(struct uart *u, uint8_t c)
{
	u->rx_bytes++;
	if (xdrv_param_echo) {
		if (c == '\r')
			tx_queue(u, "\r\n", 2);
		else
			tx_queue(u, (const char *)&c, 1);
	}
	if (c == '\r' || c == '\n')
		rx_line_done(u);
	else if (u->line_len < LINE_MAX - 1)
		u->line[u->line_len++] = (char)c;
}

static void rx_drain(struct uart *u)
{
	for (uint32_t n = 0; n < RX_BUDGET; n++) {
		uint8_t lsr = uart_in(u, UART_LSR);
		if (lsr & LSR_OE)
			u->overruns++;
		if (!(lsr & LSR_DR))
			break;
		rx_byte(u, uart_in(u, UART_RBR));
	}
}

/* ---- interrupt ------------------------------------------------------------------------------- */

static uint32_t uart_irq(void *ctx)
{
	struct uart *u = ctx;
	uint32_t handled = XDRV_IRQ_NONE;
	for (uint32_t round = 0; round < IRQ_ROUNDS; round++) {
		uint8_t iir = uart_in(u, UART_IIR);
		if (iir & IIR_NO_INT)
			break;
		handled = XDRV_IRQ_HANDLED;
		switch (iir & IIR_ID) {
		case IIR_RLSI:
		case IIR_RDI:
		case IIR_CTI:
			rx_drain(
				u); /* reads LSR first, which also clears a line-status interrupt */
			break;
		case IIR_THRI:
			tx_fill(u);
			break;
		case IIR_MSI:
		default:
			(void)uart_in(u, UART_MSR); /* acknowledges modem status changes */
			break;
		}
	}
	if (handled == XDRV_IRQ_HANDLED)
		u->irqs++;
	return handled;
}

/* ---- probe and remove ------------------------------------------------------------------------ */

static uint16_t uart_divisor(uint32_t baud)
{
	uint32_t b = baud ? baud : UART_CLOCK_DIV16;
	uint32_t div = (UART_CLOCK_DIV16 + b / 2) / b; /* nearest */
	if (div == 0)
		div = 1;
	if (div > 0xffff)
		div = 0xffff;
	return (uint16_t)div;
}

static int32_t uart_check_port(xdrv_region_t *io)
{
	if (!io) {
		xdrv_log(XDRV_LOG_ERROR, "uart16550: device has no region 0");
		return XDRV_ENODEV;
	}
	if (xdrv_region_kind(io) != XDRV_REGION_PIO || xdrv_region_size(io) < 8) {
		xdrv_log(XDRV_LOG_ERROR, "uart16550: region 0 is not an 8-byte port I/O window");
		return XDRV_ENODEV;
	}
	/* a UART answers on its scratch register: the classic presence test */
	xdrv_io_write8(io, UART_SCR, 0xa5);
	if (xdrv_io_read8(io, UART_SCR) != 0xa5) {
		xdrv_log(XDRV_LOG_ERROR, "uart16550: no UART answers at region 0 (scratch test)");
		return XDRV_ENODEV;
	}
	return XDRV_OK;
}

static void uart_program(struct uart *u, uint16_t div)
{
	uart_set_ier(u, 0);
	uart_out(u, UART_LCR, LCR_DLAB);
	uart_out(u, UART_DLL, (uint8_t)div);
	uart_out(u, UART_DLM, (uint8_t)(div >> 8));
	uart_out(u, UART_LCR, LCR_8N1);
	uart_out(u, UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX | FCR_TRIGGER_8);
	uart_out(u, UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
	/* start from a quiet chip: clear line status, stale data, modem deltas */
	(void)uart_in(u, UART_LSR);
	(void)uart_in(u, UART_RBR);
	(void)uart_in(u, UART_IIR);
	(void)uart_in(u, UART_MSR);
}

static void uart_log_probe(struct uart *u, uint16_t div)
{
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "uart16550: ");
	xdrv_msg_u64(&m, UART_CLOCK_DIV16 / div);
	xdrv_msg_str(&m, " baud (asked ");
	xdrv_msg_u64(&m, xdrv_param_baud);
	xdrv_msg_str(&m, ", divisor ");
	xdrv_msg_u64(&m, div);
	xdrv_msg_str(&m, "), 8N1, FIFO ");
	xdrv_msg_str(&m, (uart_in(u, UART_IIR) & IIR_FIFO_ON) == IIR_FIFO_ON ? "on" : "missing");
	xdrv_msg_str(&m, ", echo ");
	xdrv_msg_str(&m, xdrv_param_echo ? "on" : "off");
	xdrv_msg_log(&m, XDRV_LOG_INFO);
}

static int32_t uart_probe(xdrv_device_t *dev)
{
	xdrv_region_t *io = xdrv_dev_region(dev, 0);
	int32_t rc = uart_check_port(io);
	if (rc != XDRV_OK)
		return rc;
	struct uart *u = xdrv_mem_alloc(sizeof *u);
	if (!u)
		return XDRV_ENOMEM;
	u->dev = dev;
	u->io = io;
	uint16_t div = uart_divisor(xdrv_param_baud);
	uart_program(u, div);
	rc = xdrv_irq_request(dev, 0, uart_irq, u);
	if (rc != XDRV_OK) {
		xdrv_log(XDRV_LOG_ERROR, "uart16550: cannot request interrupt 0");
		uart_out(u, UART_MCR, 0);
		xdrv_mem_free(u);
		return rc;
	}
	xdrv_dev_set_priv(dev, u);
	uart_log_probe(u, div);
	uart_set_ier(u, IER_ERBFI);
	tx_queue_str(u, "xdrv uart16550: hello over the wire\r\n"); /* enables ETBEI */
	return XDRV_OK;
}

static void uart_log_counts(const struct uart *u)
{
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "uart16550: removed; rx ");
	xdrv_msg_u64(&m, u->rx_bytes);
	xdrv_msg_str(&m, " bytes in ");
	xdrv_msg_u64(&m, u->rx_lines);
	xdrv_msg_str(&m, " lines, tx ");
	xdrv_msg_u64(&m, u->tx_bytes);
	xdrv_msg_str(&m, " bytes (");
	xdrv_msg_u64(&m, u->tx_dropped);
	xdrv_msg_str(&m, " dropped), ");
	xdrv_msg_u64(&m, u->overruns);
	xdrv_msg_str(&m, " overruns, ");
	xdrv_msg_u64(&m, u->irqs);
	xdrv_msg_str(&m, " interrupts");
	xdrv_msg_log(&m, XDRV_LOG_INFO);
}

static void uart_remove(xdrv_device_t *dev)
{
	struct uart *u = xdrv_dev_priv(dev);
	if (!u)
		return;
	uart_set_ier(u, 0);
	xdrv_irq_free(dev, 0);
	tx_flush_polled(u);
	uart_out(u, UART_MCR, 0); /* drop DTR/RTS, disconnect OUT2 */
	uart_log_counts(u);
	xdrv_dev_set_priv(dev, NULL);
	xdrv_mem_free(u);
}

static const struct xdrv_match uart_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "ns16550a"},
	{.bus = 0},
};

static const struct xdrv_param uart_params[] = {
	XDRV_PARAM_ENTRY(XDRV_PARAM_U32, baud, 115200, 50, 115200, "line speed in baud"),
	XDRV_PARAM_ENTRY_F(XDRV_PARAM_BOOL, echo, 1, 0, 1, XDRV_PARAM_F_LIVE,
			   "echo received bytes back"),
	XDRV_PARAM_END,
};

XDRV_DRIVER(.name = "uart16550", .version = "1.0.0", .match = uart_match, .params = uart_params,
	    .probe = uart_probe, .remove = uart_remove);
