// SPDX-License-Identifier: MIT
/*
 * Tests for hypervisor-backends/models/uart16550.c against the 16550A datasheet: reset values,
 * the divisor latch under LCR.DLAB, FIFOs and trigger levels, overrun, interrupt identification
 * priorities, THRE interrupt semantics, loopback, OUT2 gating the interrupt line, the host side
 * (output buffer, stall, sink, receive).
 */
#include "../xtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/hvb.h>
#include <xdrv/uart16550.h>

enum {
	RBR = 0,
	THR = 0,
	DLL = 0,
	IER = 1,
	DLM = 1,
	IIR = 2,
	FCR = 2,
	LCR = 3,
	MCR = 4,
	LSR = 5,
	MSR = 6,
	SCR = 7
};

static struct hvb_backend *be;
static struct hvb_device *dev;
static char logbuf[4096];
static uint32_t rises;

static void capture(void *ctx, const char *line)
{
	(void)ctx;
	size_t n = strlen(logbuf);
	snprintf(logbuf + n, sizeof logbuf - n, "%s\n", line);
}

static void on_irq(void *ctx, uint32_t line)
{
	(void)ctx;
	(void)line;
	rises++;
}

static void setup_cfg(const char *config)
{
	char *err = NULL;
	logbuf[0] = 0;
	rises = 0;
	hvb_set_log(capture, NULL);
	CU_ASSERT_EQUAL_FATAL(hvb_backend_create("native", NULL, &be, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_device_create(be, "uart16550", config, &dev, &err), 0);
	hvb_irq_unmask(dev, 0);
	hvb_irq_set_notify(dev, on_irq, NULL);
}

static void setup(void)
{
	setup_cfg(NULL);
}

static void teardown(void)
{
	hvb_backend_destroy(be);
	be = NULL;
	dev = NULL;
	hvb_set_log(NULL, NULL);
}

static uint8_t rd(uint32_t off)
{
	return (uint8_t)hvb_reg_read(dev, 0, off, 1);
}

static void wr(uint32_t off, uint8_t v)
{
	hvb_reg_write(dev, 0, off, 1, v);
}

static size_t rx(const char *s)
{
	return hvb_uart_receive(dev, (const uint8_t *)s, strlen(s));
}

static void test_reset_values_match_datasheet(void)
{
	setup();
	CU_ASSERT_EQUAL(rd(IER), 0x00);
	CU_ASSERT_EQUAL(rd(IIR), 0x01);
	CU_ASSERT_EQUAL(rd(LCR), 0x00);
	CU_ASSERT_EQUAL(rd(MCR), 0x00);
	CU_ASSERT_EQUAL(rd(LSR), 0x60); /* THRE | TEMT */
	CU_ASSERT_EQUAL(rd(MSR), 0xb0); /* DCD, DSR, CTS asserted by the host side, no deltas */
	CU_ASSERT_EQUAL(rd(SCR), 0x00);
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 0));
	/* reset from a busy state returns there; scratch and divisor are kept, as on the chip */
	wr(LCR, 0x83);
	wr(DLL, 12);
	wr(LCR, 0x03);
	wr(SCR, 0x5a);
	wr(FCR, 0x07);
	wr(IER, 0x0f);
	wr(MCR, 0x1f);
	hvb_device_reset(dev);
	CU_ASSERT_EQUAL(rd(IER), 0x00);
	CU_ASSERT_EQUAL(rd(IIR), 0x01); /* no FIFO bits: FCR is 0 again */
	CU_ASSERT_EQUAL(rd(LCR), 0x00);
	CU_ASSERT_EQUAL(rd(MCR), 0x00);
	CU_ASSERT_EQUAL(rd(LSR), 0x60);
	CU_ASSERT_EQUAL(rd(MSR), 0xb0);
	CU_ASSERT_EQUAL(rd(SCR), 0x5a);
	CU_ASSERT_EQUAL(hvb_uart_divisor(dev), 12);
	teardown();
}

static void test_dlab_switches_offsets_to_divisor_latch(void)
{
	setup();
	wr(IER, 0x05);
	wr(LCR, 0x80);
	CU_ASSERT_EQUAL(rd(DLL), 0x00);
	wr(DLL, 0x0c);
	wr(DLM, 0x01);
	CU_ASSERT_EQUAL(rd(DLL), 0x0c);
	CU_ASSERT_EQUAL(rd(DLM), 0x01);
	CU_ASSERT_EQUAL(hvb_uart_divisor(dev), 0x010c);
	wr(LCR, 0x03);
	CU_ASSERT_EQUAL(rd(IER), 0x05); /* IER untouched by the DLM write */
	wr(THR, 'x');			/* a THR write, not a DLL write */
	CU_ASSERT_EQUAL(hvb_uart_divisor(dev), 0x010c);
	uint8_t out[4];
	CU_ASSERT_EQUAL(hvb_uart_take_output(dev, out, sizeof out), 1);
	CU_ASSERT_EQUAL(out[0], 'x');
	teardown();
}

static void test_transmit_goes_to_output_masked_to_word_length(void)
{
	setup();
	uint8_t out[8];
	wr(LCR, 0x03); /* 8N1 */
	wr(THR, 0xc1);
	CU_ASSERT_EQUAL(rd(LSR) & 0x60, 0x60); /* sent at once: THRE and TEMT */
	wr(LCR, 0x00);			       /* 5 data bits */
	wr(THR, 0xc1);
	wr(LCR, 0x02); /* 7 data bits */
	wr(THR, 0xc1);
	CU_ASSERT_EQUAL(hvb_uart_take_output(dev, out, sizeof out), 3);
	CU_ASSERT_EQUAL(out[0], 0xc1);
	CU_ASSERT_EQUAL(out[1], 0x01);
	CU_ASSERT_EQUAL(out[2], 0x41);
	CU_ASSERT_EQUAL(hvb_uart_take_output(dev, out, sizeof out), 0);
	teardown();
}

static void test_fifo_fill_then_overrun_sets_oe_and_drops(void)
{
	setup();
	wr(LCR, 0x03);
	wr(FCR, 0x01);
	CU_ASSERT_EQUAL(rx("0123456789abcdefXYZ"), 16);
	CU_ASSERT_EQUAL(rd(LSR), 0x63); /* DR | OE | THRE | TEMT */
	CU_ASSERT_EQUAL(rd(LSR), 0x61); /* reading LSR cleared OE */
	char got[17] = {0};
	for (int i = 0; i < 16; i++)
		got[i] = (char)rd(RBR);
	CU_ASSERT_STRING_EQUAL(got, "0123456789abcdef");
	CU_ASSERT_EQUAL(rd(LSR) & 0x01, 0);
	teardown();
}

static void test_16450_mode_overrun_replaces_unread_byte(void)
{
	setup();
	wr(LCR, 0x03);
	CU_ASSERT_EQUAL(rx("a"), 1);
	CU_ASSERT_EQUAL(rx("b"), 0); /* overrun */
	CU_ASSERT_EQUAL(rd(LSR) & 0x03, 0x03);
	CU_ASSERT_EQUAL(rd(RBR), 'b');
	CU_ASSERT_EQUAL(rd(LSR) & 0x03, 0x00);
	CU_ASSERT_EQUAL(rd(RBR), 'b'); /* an empty receiver reads the last byte again */
	teardown();
}

static void test_fcr_clear_bits_empty_fifos(void)
{
	setup();
	wr(FCR, 0x01);
	rx("abc");
	CU_ASSERT_EQUAL(rd(LSR) & 0x01, 0x01);
	wr(FCR, 0x03); /* clear RX FIFO (self-clearing bit) */
	CU_ASSERT_EQUAL(rd(LSR) & 0x01, 0x00);
	CU_ASSERT_EQUAL(rd(IIR) & 0xc0, 0xc0); /* FIFOs still enabled */
	rx("de");
	wr(FCR, 0x00); /* leaving FIFO mode empties them too */
	CU_ASSERT_EQUAL(rd(LSR) & 0x01, 0x00);
	CU_ASSERT_EQUAL(rd(IIR), 0x01);
	wr(FCR, 0xc0); /* without FCR.0 the other bits are not programmed */
	CU_ASSERT_EQUAL(rd(IIR), 0x01);
	teardown();
}

static void test_rx_trigger_level_and_character_timeout(void)
{
	setup();
	wr(LCR, 0x03);
	wr(FCR, 0x81); /* FIFO, trigger 8 */
	wr(IER, 0x01);
	CU_ASSERT_EQUAL(rx("abc"), 3);
	CU_ASSERT_EQUAL(rd(IIR), 0xcc); /* below the trigger: character timeout */
	CU_ASSERT_EQUAL(rx("defgh"), 5);
	CU_ASSERT_EQUAL(rd(IIR), 0xc4); /* at the trigger: data available */
	for (int i = 0; i < 7; i++)
		rd(RBR);
	CU_ASSERT_EQUAL(rd(IIR), 0xcc); /* one byte left below the trigger, still timed out */
	CU_ASSERT_EQUAL(rd(RBR), 'h');
	CU_ASSERT_EQUAL(rd(IIR), 0xc1);
	wr(FCR, 0xc1); /* trigger 14 */
	rx("0123456789abcd");
	CU_ASSERT_EQUAL(rd(IIR), 0xc4);
	teardown();
}

static void test_rx_data_raises_interrupt_with_erbfi_and_out2(void)
{
	setup();
	wr(LCR, 0x03);
	wr(MCR, 0x0b); /* DTR | RTS | OUT2 */
	rx("q");
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 0)); /* IER.ERBFI not set yet */
	CU_ASSERT_EQUAL(rises, 0);
	wr(IER, 0x01);
	CU_ASSERT_TRUE(hvb_irq_pending(dev, 0));
	CU_ASSERT_EQUAL(rises, 1);
	CU_ASSERT_EQUAL(rd(IIR), 0x04);
	CU_ASSERT_EQUAL(rd(RBR), 'q');
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 0));
	rx("r");
	CU_ASSERT_TRUE(hvb_irq_pending(dev, 0));
	CU_ASSERT_EQUAL(rises, 2);
	teardown();
}

static void test_out2_gates_the_interrupt_line(void)
{
	setup();
	wr(IER, 0x02);				  /* THRE interrupt is pending at once */
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 0)); /* OUT2 low: line disconnected */
	wr(MCR, 0x08);
	CU_ASSERT_TRUE(hvb_irq_pending(dev, 0));
	wr(MCR, 0x18); /* loopback forces the OUT2 pin inactive */
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 0));
	CU_ASSERT_EQUAL(rd(IIR), 0x02); /* the UART itself still has it pending */
	wr(MCR, 0x08);
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 0)); /* the IIR read cleared it */
	teardown();
}

static void test_iir_priorities_line_status_rx_thre_modem(void)
{
	setup();
	wr(LCR, 0x03);
	wr(MCR, 0x08);
	wr(IER, 0x0f);
	CU_ASSERT_EQUAL(rd(IIR), 0x02); /* THRE (read clears it) */
	wr(MCR, 0x18);			/* loopback: CTS/DSR drop, deltas set */
	wr(MCR, 0x08);
	rx("a");
	rx("b");			       /* overrun in 16450 mode */
	wr(IER, 0x0f);			       /* re-arms THRE */
	CU_ASSERT_EQUAL(rd(IIR), 0x06);	       /* line status first */
	CU_ASSERT_EQUAL(rd(LSR) & 0x02, 0x02); /* clears it */
	CU_ASSERT_EQUAL(rd(IIR), 0x04);	       /* then received data */
	rd(RBR);
	CU_ASSERT_EQUAL(rd(IIR), 0x02);	       /* then THR empty; reading IIR clears it */
	CU_ASSERT_EQUAL(rd(IIR), 0x00);	       /* then modem status */
	CU_ASSERT_EQUAL(rd(MSR) & 0x0f, 0x03); /* DCTS, DDSR (DCD followed OUT2); reading clears */
	CU_ASSERT_EQUAL(rd(IIR), 0x01);
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 0));
	teardown();
}

static void test_thre_cleared_by_iir_read_raised_by_thr_write(void)
{
	setup();
	wr(LCR, 0x03);
	wr(MCR, 0x08);
	wr(IER, 0x02);
	CU_ASSERT_TRUE(hvb_irq_pending(dev, 0));
	CU_ASSERT_EQUAL(rd(IIR), 0x02);
	CU_ASSERT_EQUAL(rd(IIR), 0x01);
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 0));
	wr(THR, 'z'); /* leaves at once; the THR empties again and THRE is raised */
	CU_ASSERT_TRUE(hvb_irq_pending(dev, 0));
	CU_ASSERT_EQUAL(rises, 2);
	wr(IER, 0x00);
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 0));
	wr(IER, 0x02); /* re-enabling with the THR empty raises it again */
	CU_ASSERT_TRUE(hvb_irq_pending(dev, 0));
	teardown();
}

static void test_loopback_returns_tx_to_rx_and_mirrors_modem_lines(void)
{
	setup();
	uint8_t out[4];
	wr(LCR, 0x03);
	wr(FCR, 0x01);
	wr(MCR, 0x10);
	CU_ASSERT_EQUAL(rd(MSR) & 0xf0, 0x00);
	wr(MCR, 0x1f); /* DTR RTS OUT1 OUT2 -> DSR CTS RI DCD */
	CU_ASSERT_EQUAL(rd(MSR) & 0xf0, 0xf0);
	wr(MCR, 0x1b); /* OUT1 falls: RI trailing edge */
	CU_ASSERT_EQUAL(rd(MSR), 0xb4);
	wr(THR, 'L');
	wr(THR, 'B');
	CU_ASSERT_EQUAL(hvb_uart_take_output(dev, out, sizeof out), 0); /* nothing on the wire */
	CU_ASSERT_EQUAL(rd(LSR) & 0x01, 0x01);
	CU_ASSERT_EQUAL(rd(RBR), 'L');
	CU_ASSERT_EQUAL(rd(RBR), 'B');
	CU_ASSERT_EQUAL(rx("host"), 0); /* the serial input is disconnected in loopback */
	CU_ASSERT_EQUAL(rd(LSR) & 0x01, 0x00);
	wr(MCR, 0x03);
	CU_ASSERT_EQUAL(rd(MSR) & 0xf0, 0xb0);
	CU_ASSERT_EQUAL(rx("h"), 1);
	teardown();
}

static void test_stalled_wire_queues_in_tx_fifo_and_thre_follows(void)
{
	setup_cfg("out_cap=4");
	uint8_t out[64];
	wr(LCR, 0x03);
	wr(FCR, 0x01);
	wr(MCR, 0x08);
	for (int i = 0; i < 10; i++)
		wr(THR, (uint8_t)('a' + i));
	CU_ASSERT_EQUAL(rd(LSR) & 0x60, 0x00); /* 6 bytes wait in the FIFO */
	wr(IER, 0x02);
	CU_ASSERT_FALSE(hvb_irq_pending(dev, 0)); /* THR not empty: no THRE interrupt */
	for (int i = 0; i < 12; i++)
		wr(THR, (uint8_t)('k' + i)); /* 10 fit, 2 are lost */
	CU_ASSERT_PTR_NOT_NULL(
		strstr(logbuf,
		       "uart16550.0: guest error: THR written while the transmitter FIFO is full"));
	size_t n = hvb_uart_take_output(dev, out, sizeof out);
	CU_ASSERT_EQUAL(n, 8); /* 4 buffered, then 4 more moved up from the FIFO */
	CU_ASSERT_NSTRING_EQUAL(out, "abcdefgh", 8);
	size_t total = n;
	while ((n = hvb_uart_take_output(dev, out + total, sizeof out - total)) > 0)
		total += n;
	CU_ASSERT_EQUAL(total, 20);
	CU_ASSERT_NSTRING_EQUAL(out, "abcdefghijklmnopqrst", 20);
	CU_ASSERT_EQUAL(rd(LSR) & 0x60, 0x60);
	CU_ASSERT_TRUE(hvb_irq_pending(dev, 0)); /* emptied: THRE interrupt */
	teardown();
}

static uint8_t sunk[64];
static size_t nsunk;
static void sink(void *ctx, uint8_t b)
{
	if (nsunk < sizeof sunk)
		sunk[nsunk++] = b;
	if (ctx) /* null-modem: what goes out comes back in */
		hvb_uart_receive(ctx, &b, 1);
}

static void test_sink_gets_each_byte_and_may_loop_back(void)
{
	setup();
	nsunk = 0;
	wr(LCR, 0x03);
	wr(FCR, 0x01);
	hvb_uart_set_sink(dev, sink, NULL);
	wr(THR, 'o');
	wr(THR, 'k');
	CU_ASSERT_EQUAL(nsunk, 2);
	CU_ASSERT_NSTRING_EQUAL(sunk, "ok", 2);
	hvb_uart_set_sink(dev, sink, dev);
	wr(THR, '!');
	CU_ASSERT_EQUAL(rd(RBR), '!');
	hvb_uart_set_sink(dev, NULL, NULL);
	wr(THR, '?');
	uint8_t out[4];
	CU_ASSERT_EQUAL(hvb_uart_take_output(dev, out, sizeof out), 1);
	CU_ASSERT_EQUAL(out[0], '?');
	teardown();
}

static void test_writes_to_read_only_registers_are_ignored(void)
{
	setup();
	wr(LSR, 0x00);
	wr(MSR, 0xff);
	CU_ASSERT_EQUAL(rd(LSR), 0x60);
	CU_ASSERT_EQUAL(rd(MSR), 0xb0);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "write to LSR or MSR ignored"));
	wr(MCR, 0xff);
	CU_ASSERT_EQUAL(rd(MCR), 0x1f);
	wr(IER, 0xff);
	CU_ASSERT_EQUAL(rd(IER), 0x0f);
	/* 16-bit access to a byte-wide UART is refused by the generic layer */
	CU_ASSERT_EQUAL(hvb_reg_read(dev, 0, 0, 2), 0xffff);
	CU_ASSERT_EQUAL(hvb_device_bad_accesses(dev), 1);
	teardown();
}

static void test_bad_config_is_rejected_with_message(void)
{
	struct hvb_backend *b = NULL;
	struct hvb_device *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_backend_create("native", NULL, &b, &err), 0);
	CU_ASSERT_EQUAL(hvb_device_create(b, "uart16550", "out_cap=0", &d, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(
		err ? strstr(err, "device uart16550: config out_cap=0: not a number in 1..16777216")
		    : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_device_create(b, "uart16550", "out_cap", &d, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "expected key=value") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_device_create(b, "uart16550", "out_cap= 5", &d, &err), -EINVAL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_device_create(b, "uart16550", "out_cap=0x100,", &d, &err), 0);
	hvb_backend_destroy(b);
}

static void test_host_api_ignores_other_devices(void)
{
	struct hvb_backend *b = NULL;
	struct hvb_device *d = NULL;
	char *err = NULL;
	uint8_t buf[4] = "abc";
	CU_ASSERT_EQUAL_FATAL(hvb_backend_create("native", NULL, &b, &err), 0);
	CU_ASSERT_EQUAL_FATAL(hvb_device_create(b, "null", NULL, &d, &err), 0);
	CU_ASSERT_EQUAL(hvb_uart_receive(d, buf, 3), 0);
	CU_ASSERT_EQUAL(hvb_uart_take_output(d, buf, 3), 0);
	CU_ASSERT_EQUAL(hvb_uart_divisor(d), 0);
	hvb_uart_set_sink(d, sink, NULL);
	CU_ASSERT_EQUAL(hvb_uart_receive(NULL, buf, 3), 0);
	hvb_backend_destroy(b);
}

XTEST_SUITE(hvb_uart16550, NULL, NULL, XTEST(test_reset_values_match_datasheet),
	    XTEST(test_dlab_switches_offsets_to_divisor_latch),
	    XTEST(test_transmit_goes_to_output_masked_to_word_length),
	    XTEST(test_fifo_fill_then_overrun_sets_oe_and_drops),
	    XTEST(test_16450_mode_overrun_replaces_unread_byte),
	    XTEST(test_fcr_clear_bits_empty_fifos),
	    XTEST(test_rx_trigger_level_and_character_timeout),
	    XTEST(test_rx_data_raises_interrupt_with_erbfi_and_out2),
	    XTEST(test_out2_gates_the_interrupt_line),
	    XTEST(test_iir_priorities_line_status_rx_thre_modem),
	    XTEST(test_thre_cleared_by_iir_read_raised_by_thr_write),
	    XTEST(test_loopback_returns_tx_to_rx_and_mirrors_modem_lines),
	    XTEST(test_stalled_wire_queues_in_tx_fifo_and_thre_follows),
	    XTEST(test_sink_gets_each_byte_and_may_loop_back),
	    XTEST(test_writes_to_read_only_registers_are_ignored),
	    XTEST(test_bad_config_is_rejected_with_message),
	    XTEST(test_host_api_ignores_other_devices))
