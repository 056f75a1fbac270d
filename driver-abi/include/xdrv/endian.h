/* SPDX-License-Identifier: MIT */
/*
 * xdrv driver ABI — byte order helpers.
 *
 * Devices define their registers and descriptors in a byte order; drivers convert with these
 * helpers and never cast a byte pointer to a wider type. Everything here is inline, built into
 * the driver, and correct on either host byte order.
 */
#ifndef XDRV_ENDIAN_H
#define XDRV_ENDIAN_H

#include <stdint.h>

static inline uint16_t xdrv_get_le16(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint16_t)(b[0] | (uint16_t)b[1] << 8);
}

static inline uint32_t xdrv_get_le32(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t xdrv_get_le64(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint64_t)xdrv_get_le32(b) | (uint64_t)xdrv_get_le32(b + 4) << 32;
}

static inline uint16_t xdrv_get_be16(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

static inline uint32_t xdrv_get_be32(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

static inline uint64_t xdrv_get_be64(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint64_t)xdrv_get_be32(b) << 32 | (uint64_t)xdrv_get_be32(b + 4);
}

static inline void xdrv_put_le16(void *p, uint16_t v)
{
	uint8_t *b = (uint8_t *)p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void xdrv_put_le32(void *p, uint32_t v)
{
	uint8_t *b = (uint8_t *)p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline void xdrv_put_le64(void *p, uint64_t v)
{
	xdrv_put_le32(p, (uint32_t)v);
	xdrv_put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

static inline void xdrv_put_be16(void *p, uint16_t v)
{
	uint8_t *b = (uint8_t *)p;
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void xdrv_put_be32(void *p, uint32_t v)
{
	uint8_t *b = (uint8_t *)p;
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static inline void xdrv_put_be64(void *p, uint64_t v)
{
	xdrv_put_be32(p, (uint32_t)(v >> 32));
	xdrv_put_be32((uint8_t *)p + 4, (uint32_t)v);
}

/* Value conversions for fields the driver keeps in device byte order in its own memory. */
static inline uint16_t xdrv_bswap16(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}
static inline uint32_t xdrv_bswap32(uint32_t v)
{
	return v << 24 | (v & 0xff00u) << 8 | (v >> 8 & 0xff00u) | v >> 24;
}
static inline uint64_t xdrv_bswap64(uint64_t v)
{
	return (uint64_t)xdrv_bswap32((uint32_t)v) << 32 | xdrv_bswap32((uint32_t)(v >> 32));
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define xdrv_cpu_to_le16(v) xdrv_bswap16(v)
#define xdrv_cpu_to_le32(v) xdrv_bswap32(v)
#define xdrv_cpu_to_le64(v) xdrv_bswap64(v)
#define xdrv_cpu_to_be16(v) ((uint16_t)(v))
#define xdrv_cpu_to_be32(v) ((uint32_t)(v))
#define xdrv_cpu_to_be64(v) ((uint64_t)(v))
#else
#define xdrv_cpu_to_le16(v) ((uint16_t)(v))
#define xdrv_cpu_to_le32(v) ((uint32_t)(v))
#define xdrv_cpu_to_le64(v) ((uint64_t)(v))
#define xdrv_cpu_to_be16(v) xdrv_bswap16(v)
#define xdrv_cpu_to_be32(v) xdrv_bswap32(v)
#define xdrv_cpu_to_be64(v) xdrv_bswap64(v)
#endif
#define xdrv_le16_to_cpu(v) xdrv_cpu_to_le16(v)
#define xdrv_le32_to_cpu(v) xdrv_cpu_to_le32(v)
#define xdrv_le64_to_cpu(v) xdrv_cpu_to_le64(v)
#define xdrv_be16_to_cpu(v) xdrv_cpu_to_be16(v)
#define xdrv_be32_to_cpu(v) xdrv_cpu_to_be32(v)
#define xdrv_be64_to_cpu(v) xdrv_cpu_to_be64(v)

#endif
