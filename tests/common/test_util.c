// SPDX-License-Identifier: MIT
/* Tests for common/util.c: error chaining, capped reads, atomic writes. */
#include "../xtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/util.h>

static void test_err_chains_inner_cause(void)
{
	char *err = NULL;
	CU_ASSERT_EQUAL(xdrv_err(&err, -EINVAL, "name: missing"), -EINVAL);
	xdrv_err_prefix(&err, "manifest");
	xdrv_err(&err, -EINVAL, "package %s", "hello.xdrv");
	CU_ASSERT_STRING_EQUAL(err, "package hello.xdrv: manifest: name: missing");
	free(err);
}

static void test_read_file_rejects_over_cap(void)
{
	const char *p = xtest_path("%s/big", xtest_tmpdir());
	char data[100] = {0};
	CU_ASSERT_EQUAL(xtest_write(p, data, sizeof data), 0);
	uint8_t *buf = NULL;
	size_t len = 0;
	char *err = NULL;
	CU_ASSERT_EQUAL(xdrv_read_file(p, 99, &buf, &len, &err), -EFBIG);
	CU_ASSERT_PTR_NOT_NULL(err);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "over the limit") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(xdrv_read_file(p, 100, &buf, &len, &err), 0);
	CU_ASSERT_EQUAL(len, 100);
	free(buf);
}

static void test_read_file_names_missing_file(void)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char *err = NULL;
	CU_ASSERT_EQUAL(xdrv_read_file("/nonexistent/x", 10, &buf, &len, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "/nonexistent/x") : NULL);
	free(err);
}

static void test_write_atomic_replaces_whole_file(void)
{
	const char *p = xtest_path("%s/f", xtest_tmpdir());
	char *err = NULL;
	CU_ASSERT_EQUAL(xdrv_write_file_atomic(p, "first version", 13, 0644, &err), 0);
	CU_ASSERT_EQUAL(xdrv_write_file_atomic(p, "v2", 2, 0600, &err), 0);
	size_t len = 0;
	unsigned char *b = xtest_read(p, &len);
	CU_ASSERT_EQUAL(len, 2);
	CU_ASSERT_NSTRING_EQUAL(b, "v2", 2);
	free(b);
	CU_ASSERT_EQUAL(xdrv_write_file_atomic("/nonexistent/dir/f", "x", 1, 0644, &err), -ENOENT);
	free(err);
}

static void test_hex_encodes_lowercase(void)
{
	char out[9];
	xdrv_hex((const uint8_t *)"\x00\xab\x10\xff", 4, out);
	CU_ASSERT_STRING_EQUAL(out, "00ab10ff");
}

static void test_parse_when_takes_seconds_and_dates_and_refuses_the_rest(void)
{
	int64_t t = 0;
	CU_ASSERT_EQUAL(xdrv_parse_when("1700000000", &t), 0);
	CU_ASSERT_EQUAL(t, 1700000000);
	CU_ASSERT_EQUAL(xdrv_parse_when("2026-11-21", &t), 0);
	CU_ASSERT_EQUAL(t, 1795219200);
	CU_ASSERT_EQUAL(xdrv_parse_when("2026-02-31", &t), -EINVAL); /* would move to March */
	CU_ASSERT_EQUAL(xdrv_parse_when("0", &t), -EINVAL);
	CU_ASSERT_EQUAL(xdrv_parse_when("-5", &t), -EINVAL);
	CU_ASSERT_EQUAL(xdrv_parse_when("12abc", &t), -EINVAL);
	CU_ASSERT_EQUAL(xdrv_parse_when("", &t), -EINVAL);
	CU_ASSERT_EQUAL(xdrv_parse_when("99999999999999999999999", &t), -EINVAL);
}

static void test_escape_text_makes_hostile_strings_one_visible_line(void)
{
	char b[128];
	/* the verify-boot injection: a fake "boot complete" line and an ANSI clear-screen */
	CU_ASSERT_STRING_EQUAL(
		xdrv_escape_text("x\nboot complete: 2 drivers booted, 0 refused\x1b[2J", b,
				 sizeof b),
		"x\\nboot complete: 2 drivers booted, 0 refused\\x1b[2J");
	CU_ASSERT_PTR_NULL(strchr(b, '\n'));
	CU_ASSERT_STRING_EQUAL(xdrv_escape_text("a\rb\tc\\d\x7f\x01", b, sizeof b),
			       "a\\rb\\tc\\\\d\\x7f\\x01");
	/* C1 controls: CSI as a raw byte and as the UTF-8 code point U+009B */
	CU_ASSERT_STRING_EQUAL(xdrv_escape_text("\x9b"
						"2J|\xc2\x9b"
						"2J",
						b, sizeof b),
			       "\\x9b2J|\\xc2\\x9b2J");
	/* printable UTF-8 is kept; a truncated or overlong sequence is not */
	CU_ASSERT_STRING_EQUAL(xdrv_escape_text("caf\xc3\xa9 \xe2\x82\xac", b, sizeof b),
			       "caf\xc3\xa9 \xe2\x82\xac");
	CU_ASSERT_STRING_EQUAL(xdrv_escape_text("\xe2\x82", b, sizeof b), "\\xe2\\x82");
	CU_ASSERT_STRING_EQUAL(xdrv_escape_text("\xc0\xaf", b, sizeof b), "\\xc0\\xaf");
	CU_ASSERT_STRING_EQUAL(xdrv_escape_text(NULL, b, sizeof b), "(null)");
	CU_ASSERT_STRING_EQUAL(xdrv_escape_text("", b, sizeof b), "");
}

static void test_escape_text_truncates_with_dots_and_never_splits_an_escape(void)
{
	char b[16];
	memset(b, 'Z', sizeof b);
	/* "abcdef" fits in 7 bytes exactly */
	CU_ASSERT_STRING_EQUAL(xdrv_escape_text("abcdef", b, 7), "abcdef");
	CU_ASSERT_STRING_EQUAL(xdrv_escape_text("abcdefg", b, 7), "abc...");
	/* after "ab" the escape "\\x1b" leaves no room for "...": the cut is before it */
	CU_ASSERT_STRING_EQUAL(xdrv_escape_text("ab\x1b"
						"cdefgh",
						b, 8),
			       "ab...");
	CU_ASSERT_EQUAL(b[7], 'Z'); /* nothing written past cap */
	CU_ASSERT_STRING_EQUAL(xdrv_escape_text("abcdef", b, 3), "..");
	CU_ASSERT_STRING_EQUAL(xdrv_escape_text("abcdef", b, 1), "");
	b[0] = 'Q';
	xdrv_escape_text("abc", b, 0);
	CU_ASSERT_EQUAL(b[0], 'Q');
}

XTEST_SUITE(common_util, NULL, NULL, XTEST(test_err_chains_inner_cause),
	    XTEST(test_read_file_rejects_over_cap), XTEST(test_read_file_names_missing_file),
	    XTEST(test_write_atomic_replaces_whole_file), XTEST(test_hex_encodes_lowercase),
	    XTEST(test_parse_when_takes_seconds_and_dates_and_refuses_the_rest),
	    XTEST(test_escape_text_makes_hostile_strings_one_visible_line),
	    XTEST(test_escape_text_truncates_with_dots_and_never_splits_an_escape))
