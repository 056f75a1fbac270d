/* SPDX-License-Identifier: MIT */
/*
 * xdrv driver ABI — logging.
 *
 * Variadic calls do not port across calling conventions, so the ABI has no printf. A driver logs
 * a finished string; the inline xdrv_msg helpers below build one in a fixed buffer on the stack
 * (they truncate, never overflow). The host prefixes each line with the driver's name.
 */
#ifndef XDRV_LOG_H
#define XDRV_LOG_H

#include <stdint.h>

#define XDRV_LOG_ERROR 1u
#define XDRV_LOG_WARN  2u
#define XDRV_LOG_INFO  3u
#define XDRV_LOG_DEBUG 4u

/* Log one line at a level. msg must be NUL-terminated; the host reads at most 1023 bytes. */
void xdrv_log(uint32_t level, const char *msg);

/* A message under construction. Layout is driver-private (never crosses the ABI). */
#define XDRV_MSG_MAX 160u
struct xdrv_msg {
	char buf[XDRV_MSG_MAX];
	uint32_t len;
};

static inline void xdrv_msg_init(struct xdrv_msg *m)
{
	m->len = 0;
	m->buf[0] = '\0';
}

static inline void xdrv_msg_chr(struct xdrv_msg *m, char c)
{
	if (m->len + 1 < XDRV_MSG_MAX) {
		m->buf[m->len++] = c;
		m->buf[m->len] = '\0';
	}
}

static inline void xdrv_msg_str(struct xdrv_msg *m, const char *s)
{
	while (s && *s)
		xdrv_msg_chr(m, *s++);
}

static inline void xdrv_msg_u64(struct xdrv_msg *m, uint64_t v)
{
	char tmp[20];
	uint32_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof tmp);
	while (n)
		xdrv_msg_chr(m, tmp[--n]);
}

static inline void xdrv_msg_i64(struct xdrv_msg *m, int64_t v)
{
	if (v < 0) {
		xdrv_msg_chr(m, '-');
		xdrv_msg_u64(m, (uint64_t)0 - (uint64_t)v);
	} else {
		xdrv_msg_u64(m, (uint64_t)v);
	}
}

/* Hexadecimal with "0x" and at least `digits` digits. */
static inline void xdrv_msg_hex(struct xdrv_msg *m, uint64_t v, uint32_t digits)
{
	static const char hx[] = "0123456789abcdef";
	uint32_t n = 16;
	while (n > 1 && n > digits && !(v >> ((n - 1) * 4) & 0xf))
		n--;
	xdrv_msg_str(m, "0x");
	while (n)
		xdrv_msg_chr(m, hx[v >> (--n * 4) & 0xf]);
}

static inline void xdrv_msg_log(const struct xdrv_msg *m, uint32_t level)
{
	xdrv_log(level, m->buf);
}

#endif
