// SPDX-License-Identifier: MIT
/* Tests for common/suggest.c: did-you-mean for subcommands and options. */
#include "../xtest.h"

#include <string.h>
#include <xdrv/util.h>

static const char *const cmds[] = {"build", "pack", "inspect", "serve", "init", "export"};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static void test_suggest_fixes_one_and_two_edits(void)
{
	CU_ASSERT_STRING_EQUAL(xdrv_suggest("biuld", cmds, NCMDS), "build");  /* swap: 2 edits */
	CU_ASSERT_STRING_EQUAL(xdrv_suggest("buil", cmds, NCMDS), "build");   /* deletion */
	CU_ASSERT_STRING_EQUAL(xdrv_suggest("servee", cmds, NCMDS), "serve"); /* insertion */
	CU_ASSERT_STRING_EQUAL(xdrv_suggest("exprot", cmds, NCMDS), "export");
	CU_ASSERT_STRING_EQUAL(xdrv_suggest("pakc", cmds, NCMDS), "pack");
	CU_ASSERT_STRING_EQUAL(xdrv_suggest("serve", cmds, NCMDS), "serve"); /* exact */
	static const char *const opts[] = {"--config", "--port-file", "--export"};
	CU_ASSERT_STRING_EQUAL(xdrv_suggest("--confg", opts, 3), "--config");
	CU_ASSERT_STRING_EQUAL(xdrv_suggest("--port-fil", opts, 3), "--port-file");
}

static void test_suggest_refuses_far_or_short_words(void)
{
	CU_ASSERT_PTR_NULL(xdrv_suggest("deploy", cmds, NCMDS)); /* 3+ edits from everything */
	CU_ASSERT_PTR_NULL(
		xdrv_suggest("in", cmds, NCMDS)); /* init is 2 away, "in" has 2 letters */
	CU_ASSERT_STRING_EQUAL(xdrv_suggest("bld", cmds, NCMDS), "build"); /* 2 away, 3 letters */
	static const char *const two[] = {"ls", "rm"};
	CU_ASSERT_PTR_NULL(xdrv_suggest("x", two, 2)); /* 2 edits, but a 1-letter word */
	CU_ASSERT_STRING_EQUAL(xdrv_suggest("lx", two, 2), "ls");
	CU_ASSERT_PTR_NULL(xdrv_suggest("", cmds, NCMDS));
	CU_ASSERT_PTR_NULL(xdrv_suggest(NULL, cmds, NCMDS));
	CU_ASSERT_PTR_NULL(xdrv_suggest("build", NULL, 3));
	CU_ASSERT_PTR_NULL(xdrv_suggest("build", cmds, 0));
}

static void test_suggest_prefers_nearest_then_earliest(void)
{
	static const char *const c[] = {"abcd", "abce", "abxy"};
	CU_ASSERT_STRING_EQUAL(xdrv_suggest("abce", c, 3), "abce"); /* 0 beats 1 */
	CU_ASSERT_STRING_EQUAL(xdrv_suggest("abcf", c, 3), "abcd"); /* tie at 1: earlier */
	static const char *const withnull[] = {NULL, "", "serve"};
	CU_ASSERT_STRING_EQUAL(xdrv_suggest("serv", withnull, 3), "serve");
}

static void test_suggest_ignores_overlong_words(void)
{
	char longw[100];
	memset(longw, 'a', sizeof longw - 1);
	longw[sizeof longw - 1] = 0;
	const char *const c[] = {longw, "aaaa"};
	CU_ASSERT_PTR_NULL(xdrv_suggest(longw, c, 2));
	CU_ASSERT_STRING_EQUAL(xdrv_suggest("aaab", c, 2), "aaaa"); /* the long one is skipped */
}

XTEST_SUITE(common_suggest, NULL, NULL, XTEST(test_suggest_fixes_one_and_two_edits),
	    XTEST(test_suggest_refuses_far_or_short_words),
	    XTEST(test_suggest_prefers_nearest_then_earliest),
	    XTEST(test_suggest_ignores_overlong_words))
