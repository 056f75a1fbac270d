// SPDX-License-Identifier: MIT
/*
 * The Internet checksum (RFC 1071), shared by the DP83820 model's offload and the packet
 * generator, so both compute it one way. Byte-order independent: bytes are summed as
 * big-endian 16-bit words.
 */
#include <xdrv/endian.h>
#include <xdrv/wire.h>

uint32_t hvb_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;
	/* 8 bytes a step as two 32-bit big-endian words: one's-complement sums can be taken in
	 * any word size and folded at the end (RFC 1071, 2(C)); a 64-bit accumulator cannot
	 * overflow for any length below 2^32 words */
	while (len >= 8) {
		uint64_t v = xdrv_get_be64(p);
		acc += (v >> 32) + (v & 0xffffffffu);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		acc += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	/* keep the running sum in 32 bits, folded enough that later adds cannot overflow it */
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	return (uint32_t)acc;
}

uint16_t hvb_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}
