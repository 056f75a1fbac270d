// SPDX-License-Identifier: MIT
/*
 * The fixed 48-byte trailer at the end of a signed package (layout in xdrv/signer.h): encoding,
 * and the bounds and sanity checks that find the DER CMS inside an untrusted buffer. Only
 * arithmetic on lengths happens here; whether the signature is any good is verify.c's business.
 */
#include "sig_internal.h"

#include <errno.h>
#include <string.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

#define MAGIC_LEN	16u /* "XDRV-SIGNATURE\n" and its NUL */
#define OFF_VERSION	16u
#define OFF_FLAGS	20u
#define OFF_PAYLOAD_LEN 24u
#define OFF_CMS_LEN	32u
#define OFF_RESERVED	40u
#define TRAILER_VERSION 1u

_Static_assert(sizeof SIG_TRAILER_MAGIC == MAGIC_LEN, "magic is 15 characters + NUL");
_Static_assert(OFF_RESERVED + 8 == SIG_TRAILER_SIZE, "trailer layout");

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void sig_trailer_encode(uint8_t out[48], uint64_t payload_len, uint64_t cms_len)
{
	memset(out, 0, SIG_TRAILER_SIZE);
	memcpy(out, SIG_TRAILER_MAGIC, MAGIC_LEN);
	put_le32(out + OFF_VERSION, TRAILER_VERSION);
	put_le32(out + OFF_FLAGS, 0);
	put_le64(out + OFF_PAYLOAD_LEN, payload_len);
	put_le64(out + OFF_CMS_LEN, cms_len);
}

/* The magic is not where a trailer starts. Look a little further (two trailers' worth, so a
 * payload that happens to hold the magic string rarely matters) to tell a cut-off or
 * over-long file, which is damage, from a file that was never signed. */
static int no_trailer_here(const uint8_t *buf, size_t len, char **err)
{
	size_t window = len < 2 * SIG_TRAILER_SIZE ? len : 2 * SIG_TRAILER_SIZE;
	for (size_t back = MAGIC_LEN; back <= window; back++) {
		if (memcmp(buf + len - back, SIG_TRAILER_MAGIC, MAGIC_LEN) != 0)
			continue;
		if (back < SIG_TRAILER_SIZE)
			return xdrv_err(err, -EBADMSG,
					"trailer: truncated: it starts %zu bytes before the end "
					"of the file, a trailer is %u bytes",
					back, SIG_TRAILER_SIZE);
		return xdrv_err(err, -EBADMSG,
				"trailer: %zu bytes of unexpected data after the trailer",
				back - SIG_TRAILER_SIZE);
	}
	return xdrv_err(err, -ENODATA, "not signed: no xdrv signature trailer");
}

int sig_trailer_parse(const uint8_t *buf, size_t len, size_t *payload_len, size_t *cms_off,
		      size_t *cms_len, char **err)
{
	if (!buf && len)
		return xdrv_err(err, -EINVAL, "trailer: no buffer");
	if (len < SIG_TRAILER_SIZE ||
	    memcmp(buf + len - SIG_TRAILER_SIZE, SIG_TRAILER_MAGIC, MAGIC_LEN) != 0)
		return no_trailer_here(buf, len, err);

	/* From here on every field is untrusted; copy the trailer once and use only the copy. */
	uint8_t t[SIG_TRAILER_SIZE];
	memcpy(t, buf + len - SIG_TRAILER_SIZE, sizeof t);
	uint32_t version = get_le32(t + OFF_VERSION);
	uint32_t flags = get_le32(t + OFF_FLAGS);
	uint64_t plen = get_le64(t + OFF_PAYLOAD_LEN);
	uint64_t clen = get_le64(t + OFF_CMS_LEN);
	uint64_t before = (uint64_t)(len - SIG_TRAILER_SIZE); /* bytes before the trailer */

	if (version != TRAILER_VERSION)
		return xdrv_err(err, -EBADMSG, "trailer: version %u not supported (expected %u)",
				version, TRAILER_VERSION);
	if (flags != 0)
		return xdrv_err(err, -EBADMSG, "trailer: unknown flags 0x%x (expected 0)", flags);
	for (unsigned i = OFF_RESERVED; i < SIG_TRAILER_SIZE; i++)
		if (t[i] != 0)
			return xdrv_err(err, -EBADMSG, "trailer: reserved byte %u is 0x%02x, not 0",
					i - OFF_RESERVED, t[i]);
	if (clen == 0)
		return xdrv_err(err, -EBADMSG, "trailer: cms_len 0: no signature");
	if (clen > before)
		return xdrv_err(
			err, -EBADMSG,
			"trailer: cms_len %llu exceeds file (%llu bytes before the trailer)",
			(unsigned long long)clen, (unsigned long long)before);
	if (clen > SIG_CMS_MAX)
		return xdrv_err(err, -EBADMSG, "trailer: cms_len %llu over the limit of %u",
				(unsigned long long)clen, SIG_CMS_MAX);
	/* clen <= before, so before - clen cannot wrap; comparing this way avoids the sum
	 * payload_len + cms_len + 48, which a hostile payload_len would overflow. */
	if (plen != before - clen)
		return xdrv_err(err, -EBADMSG,
				"trailer: payload_len %llu + cms_len %llu + %u does not match the "
				"file size %zu",
				(unsigned long long)plen, (unsigned long long)clen,
				SIG_TRAILER_SIZE, len);
	if (payload_len)
		*payload_len = (size_t)plen;
	if (cms_off)
		*cms_off = (size_t)plen;
	if (cms_len)
		*cms_len = (size_t)clen;
	return 0;
}
