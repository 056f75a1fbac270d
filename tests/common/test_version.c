// SPDX-License-Identifier: MIT
/* Tests for common/version.c: the facts of `--version`. */
#include "../xtest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/abi.h>
#include <xdrv/version.h>

static void test_version_string_names_all_four_facts(void)
{
	const char *s = xdrv_version_string("xdrv");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(strncmp(s, "xdrv " XDRV_VERSION " (driver ABI 1.", 22), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, ", LLVM 19."));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, ", git "));
}

static void test_version_git_commit_is_hex_or_unknown(void)
{
	const char *g = xdrv_version_git_commit();
	size_t n = strlen(g), hex = strspn(g, "0123456789abcdef");
	/* git describe --always --dirty --abbrev=12 on an untagged tree: hex[-dirty] */
	CU_ASSERT(strcmp(g, "unknown") == 0 ||
		  (hex == 12 && (n == 12 || strcmp(g + 12, "-dirty") == 0)) || strchr(g, '-'));
}

static void test_version_json_parses_and_matches(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(xdrv_version_print_json(f, "xdrv-repod"), 0);
	fclose(f);
	json_error_t je;
	json_t *j = json_loads(buf, 0, &je);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "program")), "xdrv-repod");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "version")), XDRV_VERSION);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "abi_number")), XDRV_ABI_VERSION);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "llvm")), xdrv_version_llvm());
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "git_commit")),
			       xdrv_version_git_commit());
	json_decref(j);
	free(buf);
}

XTEST_SUITE(common_version, NULL, NULL, XTEST(test_version_string_names_all_four_facts),
	    XTEST(test_version_git_commit_is_hex_or_unknown),
	    XTEST(test_version_json_parses_and_matches))
