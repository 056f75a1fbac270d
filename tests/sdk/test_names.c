// SPDX-License-Identifier: MIT
/*
 * Tests for sdk/names.c: the name rules the descriptor and manifest share, parameter ranges
 * (signed and unsigned), the target-attribute list and the de-duplicating problem buffer.
 */
#include <stdlib.h>
#include <string.h>
#include <xdrv/driver.h>

#include "../../sdk/sdk_private.h"
#include "../xtest.h"

static void test_names_follow_the_rules(void)
{
	CU_ASSERT_TRUE(sdk_valid_driver_name("dp83820-nic_2"));
	CU_ASSERT_FALSE(sdk_valid_driver_name(""));
	CU_ASSERT_FALSE(sdk_valid_driver_name("Nic"));
	CU_ASSERT_FALSE(sdk_valid_driver_name("a/b"));
	char n64[65];
	memset(n64, 'a', 64);
	n64[64] = 0;
	CU_ASSERT_FALSE(sdk_valid_driver_name(n64));
	n64[63] = 0;
	CU_ASSERT_TRUE(sdk_valid_driver_name(n64));
	CU_ASSERT_TRUE(sdk_valid_version("0.10.999999999"));
	CU_ASSERT_FALSE(sdk_valid_version("1.0"));
	CU_ASSERT_FALSE(sdk_valid_version("1.0.0.0"));
	CU_ASSERT_FALSE(sdk_valid_version("01.0.0"));
	CU_ASSERT_FALSE(sdk_valid_version("1.0.1234567890"));
	CU_ASSERT_FALSE(sdk_valid_version("1.0.0-rc1"));
	CU_ASSERT_TRUE(sdk_valid_param_name("rx_ring"));
	CU_ASSERT_FALSE(sdk_valid_param_name("rx-ring"));
	CU_ASSERT_TRUE(sdk_valid_compatible("ns16550a"));
	CU_ASSERT_FALSE(sdk_valid_desc("tab\there"));
}

static void test_member_paths_are_confined(void)
{
	const char *why = NULL;
	CU_ASSERT_TRUE(sdk_valid_member_path("driver.bc", &why));
	CU_ASSERT_TRUE(sdk_valid_member_path("fw/blob-1.bin", &why));
	CU_ASSERT_FALSE(sdk_valid_member_path("../x", &why));
	CU_ASSERT_STRING_EQUAL(why, "path escapes the package");
	CU_ASSERT_FALSE(sdk_valid_member_path("a/..", &why));
	CU_ASSERT_FALSE(sdk_valid_member_path("/x", &why));
	CU_ASSERT_FALSE(sdk_valid_member_path("./x", &why));
	CU_ASSERT_FALSE(sdk_valid_member_path("x/", &why));
	CU_ASSERT_FALSE(sdk_valid_member_path("", &why));
	CU_ASSERT_FALSE(sdk_valid_member_path("a\\b", &why));
	char longp[300];
	memset(longp, 'a', 299);
	longp[299] = 0;
	CU_ASSERT_FALSE(sdk_valid_member_path(longp, &why));
	CU_ASSERT_STRING_EQUAL(why, "name longer than 255 bytes");
}

static void test_param_ranges_respect_signedness(void)
{
	const char *f;
	char why[128];
	CU_ASSERT_TRUE(sdk_param_range_ok(XDRV_PARAM_I32, (uint64_t)-5, (uint64_t)-10, 10, &f, why,
					  sizeof why));
	CU_ASSERT_FALSE(sdk_param_range_ok(XDRV_PARAM_I32, (uint64_t)-20, (uint64_t)-10, 10, &f,
					   why, sizeof why));
	CU_ASSERT_STRING_EQUAL(f, "default");
	CU_ASSERT_STRING_EQUAL(why, "-20 out of range -10..10");
	CU_ASSERT_FALSE(sdk_param_range_ok(XDRV_PARAM_U32, 1, 0, 1ull << 32, &f, why, sizeof why));
	CU_ASSERT_STRING_EQUAL(f, "max");
	CU_ASSERT_FALSE(sdk_param_range_ok(XDRV_PARAM_I32, 0, (uint64_t)INT32_MIN - 1, 0, &f, why,
					   sizeof why));
	CU_ASSERT_FALSE(sdk_param_range_ok(XDRV_PARAM_BOOL, 2, 0, 1, &f, why, sizeof why));
	CU_ASSERT_TRUE(
		sdk_param_range_ok(XDRV_PARAM_U64, UINT64_MAX, 0, UINT64_MAX, &f, why, sizeof why));
	CU_ASSERT_FALSE(sdk_param_range_ok(9, 0, 0, 0, &f, why, sizeof why));
}

static void test_target_attributes_are_recognized(void)
{
	CU_ASSERT_TRUE(sdk_attr_is_target_specific("target-cpu", 10));
	CU_ASSERT_TRUE(sdk_attr_is_target_specific("aarch64-pstate-sm-enabled", 25));
	CU_ASSERT_FALSE(sdk_attr_is_target_specific("target-cpuX", 11));
	CU_ASSERT_FALSE(sdk_attr_is_target_specific("frame-pointer", 13));
	CU_ASSERT_FALSE(sdk_attr_is_target_specific("no-builtins", 11));
}

static void test_problem_buffer_drops_repeats(void)
{
	struct sdk_buf b = {0};
	sdk_buf_line(&b, "function f: %s", "x");
	sdk_buf_line(&b, "function f: x");
	sdk_buf_line(&b, "function g: x");
	sdk_buf_line(&b, "function f: %s", "x");
	CU_ASSERT_EQUAL(b.lines, 2);
	char *s = sdk_buf_take(&b);
	CU_ASSERT_STRING_EQUAL(s, "function f: x\nfunction g: x");
	free(s);
	struct sdk_buf empty = {0};
	CU_ASSERT_PTR_NULL(sdk_buf_take(&empty));
}

XTEST_SUITE(sdk_names, NULL, NULL, XTEST(test_names_follow_the_rules),
	    XTEST(test_member_paths_are_confined), XTEST(test_param_ranges_respect_signedness),
	    XTEST(test_target_attributes_are_recognized), XTEST(test_problem_buffer_drops_repeats))
