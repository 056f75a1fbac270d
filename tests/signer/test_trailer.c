// SPDX-License-Identifier: MIT
/*
 * Tests for signer/trailer.c: the 48-byte trailer is built here by hand from the layout in
 * xdrv/signer.h, so these tests also pin the byte layout; every defect gets its own test with
 * the error code and the message.
 */
#include "../xtest.h"
#include "fixture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/signer.h>

/* payload (plen bytes of 'P') ‖ cms (clen bytes of 'C') ‖ trailer, as the header describes. */
static uint8_t *build(size_t plen, size_t clen, size_t *len)
{
	*len = plen + clen + SIG_TRAILER_SIZE;
	uint8_t *b = malloc(*len);
	if (!b)
		return NULL;
	memset(b, 'P', plen);
	memset(b + plen, 'C', clen);
	uint8_t *t = b + plen + clen;
	memset(t, 0, SIG_TRAILER_SIZE);
	memcpy(t, "XDRV-SIGNATURE\n\0", 16);
	sigfx_put_le32(t + 16, 1);
	sigfx_put_le32(t + 20, 0);
	sigfx_put_le64(t + 24, plen);
	sigfx_put_le64(t + 32, clen);
	return b;
}

/* Parse and expect failure `code` with `needle` in the message. */
static void expect_reject(const uint8_t *b, size_t len, int code, const char *needle)
{
	char *err = NULL;
	size_t p = 7, o = 7, c = 7;
	CU_ASSERT_EQUAL(sig_trailer_parse(b, len, &p, &o, &c, &err), code);
	CU_ASSERT(sigfx_has(err, needle));
	CU_ASSERT_EQUAL(p, 7); /* outputs untouched on failure */
	free(err);
}

static void test_trailer_parse_finds_cms_slice(void)
{
	size_t len, p = 0, o = 0, c = 0;
	uint8_t *b = build(100, 30, &len);
	char *err = NULL;
	CU_ASSERT_EQUAL(sig_trailer_parse(b, len, &p, &o, &c, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_EQUAL(p, 100);
	CU_ASSERT_EQUAL(o, 100);
	CU_ASSERT_EQUAL(c, 30);
	free(b);
}

static void test_trailer_parse_accepts_empty_payload(void)
{
	size_t len, p = 9, o = 9, c = 0;
	uint8_t *b = build(0, 5, &len);
	CU_ASSERT_EQUAL(sig_trailer_parse(b, len, &p, &o, &c, NULL), 0);
	CU_ASSERT_EQUAL(p, 0);
	CU_ASSERT_EQUAL(o, 0);
	CU_ASSERT_EQUAL(c, 5);
	free(b);
}

static void test_trailer_parse_reports_unsigned_file(void)
{
	uint8_t b[200];
	memset(b, 'x', sizeof b);
	expect_reject(b, sizeof b, -ENODATA, "not signed: no xdrv signature trailer");
	expect_reject(b, 10, -ENODATA, "not signed");
	expect_reject(NULL, 0, -ENODATA, "not signed");
}

static void test_trailer_parse_rejects_truncated_trailer(void)
{
	size_t len;
	uint8_t *b = build(100, 30, &len);
	expect_reject(b, len - 5, -EBADMSG, "trailer: truncated");
	expect_reject(b, len - 32, -EBADMSG, "trailer: truncated");
	free(b);
}

static void test_trailer_parse_rejects_data_after_trailer(void)
{
	size_t len;
	uint8_t *b = build(100, 30, &len);
	uint8_t *c = malloc(len + 3);
	memcpy(c, b, len);
	memset(c + len, 0, 3);
	expect_reject(c, len + 3, -EBADMSG,
		      "trailer: 3 bytes of unexpected data after the trailer");
	free(c);
	free(b);
}

static void test_trailer_parse_rejects_unknown_version(void)
{
	size_t len;
	uint8_t *b = build(10, 10, &len);
	sigfx_put_le32(b + len - 48 + 16, 2);
	expect_reject(b, len, -EBADMSG, "trailer: version 2 not supported");
	free(b);
}

static void test_trailer_parse_rejects_nonzero_flags(void)
{
	size_t len;
	uint8_t *b = build(10, 10, &len);
	sigfx_put_le32(b + len - 48 + 20, 0x10);
	expect_reject(b, len, -EBADMSG, "trailer: unknown flags 0x10");
	free(b);
}

static void test_trailer_parse_rejects_nonzero_reserved(void)
{
	size_t len;
	uint8_t *b = build(10, 10, &len);
	b[len - 1] = 1;
	expect_reject(b, len, -EBADMSG, "trailer: reserved byte 7 is 0x01");
	free(b);
}

static void test_trailer_parse_rejects_empty_cms(void)
{
	size_t len;
	uint8_t *b = build(10, 0, &len);
	expect_reject(b, len, -EBADMSG, "trailer: cms_len 0");
	free(b);
}

static void test_trailer_parse_rejects_cms_len_beyond_file(void)
{
	size_t len;
	uint8_t *b = build(10, 10, &len);
	sigfx_put_le64(b + len - 48 + 32, 999999);
	expect_reject(b, len, -EBADMSG, "trailer: cms_len 999999 exceeds file");
	sigfx_put_le64(b + len - 48 + 32, UINT64_MAX);
	expect_reject(b, len, -EBADMSG, "exceeds file");
	free(b);
}

static void test_trailer_parse_rejects_cms_over_limit(void)
{
	size_t len;
	uint8_t *b = build(0, SIG_CMS_MAX + 1, &len);
	expect_reject(b, len, -EBADMSG, "over the limit of 65536");
	free(b);
}

static void test_trailer_parse_rejects_inconsistent_lengths(void)
{
	size_t len;
	uint8_t *b = build(100, 30, &len);
	sigfx_put_le64(b + len - 48 + 32, 29);
	expect_reject(b, len, -EBADMSG, "does not match the file size");
	sigfx_put_le64(b + len - 48 + 32, 30);
	sigfx_put_le64(b + len - 48 + 24, 101);
	expect_reject(b, len, -EBADMSG, "payload_len 101 + cms_len 30 + 48 does not match");
	/* a payload_len where a naive payload_len + cms_len + 48 would overflow */
	sigfx_put_le64(b + len - 48 + 24, UINT64_MAX);
	expect_reject(b, len, -EBADMSG, "payload_len 18446744073709551615 + cms_len 30");
	free(b);
}

XTEST_SUITE(signer_trailer, NULL, NULL, XTEST(test_trailer_parse_finds_cms_slice),
	    XTEST(test_trailer_parse_accepts_empty_payload),
	    XTEST(test_trailer_parse_reports_unsigned_file),
	    XTEST(test_trailer_parse_rejects_truncated_trailer),
	    XTEST(test_trailer_parse_rejects_data_after_trailer),
	    XTEST(test_trailer_parse_rejects_unknown_version),
	    XTEST(test_trailer_parse_rejects_nonzero_flags),
	    XTEST(test_trailer_parse_rejects_nonzero_reserved),
	    XTEST(test_trailer_parse_rejects_empty_cms),
	    XTEST(test_trailer_parse_rejects_cms_len_beyond_file),
	    XTEST(test_trailer_parse_rejects_cms_over_limit),
	    XTEST(test_trailer_parse_rejects_inconsistent_lengths))
