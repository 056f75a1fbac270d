// SPDX-License-Identifier: MIT
/*
 * `xdrv run`'s console end: for a device model with a serial port (hvb_serial_ops, e.g. the
 * 16550A UART), print what the driver transmitted a line at a time ("uart> ..."), and feed
 * --input to the receiver one byte per idle round, so that the chip's 16-byte receive FIFO
 * never overruns while the driver keeps reading it.
 */
#include "run.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <xdrv/hvb.h>

struct run_console {
	struct hvb_device *dev;
	const struct hvb_serial_ops *ops;
	const uint8_t *input;
	size_t input_len, fed;
	char line[256];
	size_t len;
	uint64_t total; /* bytes transmitted */
};

struct run_console *run_console_create(struct hvb_device *dev, const uint8_t *input, size_t len)
{
	const struct hvb_model_ops *m = dev ? hvb_device_model(dev) : NULL;
	if (!m || !m->serial)
		return NULL;
	struct run_console *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->dev = dev;
	c->ops = m->serial;
	c->input = input;
	c->input_len = input ? len : 0;
	return c;
}

static void flush_line(struct run_console *c)
{
	if (!c->len)
		return;
	printf("uart> %.*s\n", (int)c->len, c->line);
	fflush(stdout);
	c->len = 0;
}

/* Print what was transmitted; true if there was anything. */
static bool drain(struct run_console *c)
{
	uint8_t buf[512];
	size_t n, got = 0;
	while ((n = c->ops->take_output(hvb_device_state(c->dev), buf, sizeof buf)) > 0) {
		got += n;
		for (size_t i = 0; i < n; i++) {
			uint8_t ch = buf[i];
			if (ch == '\n') {
				if (c->len)
					flush_line(c);
				else
					printf("uart>\n");
				continue;
			}
			if (ch == '\r')
				continue;
			if (c->len == sizeof c->line)
				flush_line(c);
			/* a driver's bytes reach the terminal only as printable ASCII */
			c->line[c->len++] = (char)(ch >= 0x20 && ch < 0x7f ? ch : '.');
		}
	}
	c->total += got;
	return got > 0;
}

static bool console_pump(void *ctx, bool busy)
{
	struct run_console *c = ctx;
	busy |= drain(c);
	if (busy || c->fed >= c->input_len)
		return busy;
	c->fed += c->ops->receive(hvb_device_state(c->dev), c->input + c->fed, 1) ? 1 : 0;
	return c->fed < c->input_len;
}

static bool console_more(const void *ctx)
{
	const struct run_console *c = ctx;
	return c->fed < c->input_len;
}

struct run_end run_console_end(struct run_console *c)
{
	return (struct run_end){.pump = console_pump, .more = console_more, .fd = -1, .ctx = c};
}

void run_console_finish(struct run_console *c)
{
	if (!c)
		return;
	drain(c);
	flush_line(c);
}

void run_console_summary(const struct run_console *c)
{
	if (c)
		printf("  uart        %" PRIu64 " bytes transmitted, %zu bytes received\n",
		       c->total, c->fed);
}

void run_console_destroy(struct run_console *c)
{
	free(c);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

long run_console_unescape(const char *s, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	while (*s) {
		if (n == cap)
			return -1;
		char c = *s++;
		if (c != '\\') {
			buf[n++] = (uint8_t)c;
			continue;
		}
		c = *s++;
		if (c == 'n')
			buf[n++] = '\n';
		else if (c == 'r')
			buf[n++] = '\r';
		else if (c == 't')
			buf[n++] = '\t';
		else if (c == '\\')
			buf[n++] = '\\';
		else if (c == 'x' && hexval(s[0]) >= 0 && hexval(s[1]) >= 0) {
			buf[n++] = (uint8_t)(hexval(s[0]) << 4 | hexval(s[1]));
			s += 2;
		} else
			return -1;
	}
	return (long)n;
}
