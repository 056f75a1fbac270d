// SPDX-License-Identifier: MIT
/*
 * Tests for loader/tpm_nv.c without a TPM (the swtpm paths are tests/e2e/boot_floors.sh): the
 * Name xdrv expects of each of its NV indices is the one a TPM computes for xdrv's definition
 * (the values below are what swtpm's TPM2_NV_ReadPublic returned for indices defined as
 * tpm_nv.c defines them), it changes with every attribute, the policy and the size, and NV
 * attributes are spelt as tpm2-tools spells them.
 */
#include "../xtest.h"

#include <string.h>

#include "../../loader/boot_priv.h"
#include "xdrv/util.h"

static const char *name_hex(uint32_t index, int platform, int written)
{
	static char hex[69];
	uint8_t name[34];
	CU_ASSERT_EQUAL_FATAL(ldr_tpm_nv_name(index, platform, written, name), 0);
	xdrv_hex(name, sizeof name, hex);
	return hex;
}

static void test_tpm_nv_names_are_the_ones_the_tpm_computes(void)
{
	/* 0x01581234, platform, policy delete, not yet written: tpm2_nvreadpublic's name */
	CU_ASSERT_STRING_EQUAL(
		name_hex(0x01581234u, 1, 0),
		"000bef57a20a24b3fff4b1055e5198b721acf139cb962019f93b0f1b7a784d033fe7");
	/* ... after TPM2_NV_SetBits (TPMA_NV_WRITTEN is part of the Name) */
	CU_ASSERT_STRING_EQUAL(
		name_hex(0x01581234u, 1, 1),
		"000bcb0ffb585814b3a899a3744162f18bf26c138c9ec8375c2a355eb3de12cb2443");
	/* hello's floor (0x01580000 | FNV-1a("hello") folded to 16 bits), as xdrv boot left it */
	CU_ASSERT_STRING_EQUAL(
		name_hex(0x01586334u, 1, 1),
		"000b0c5c5a5cbb840d455de89369cd44151ee39f21fe91619b13c6f5b760df51ee01");
}

static void test_tpm_nv_names_differ_by_hierarchy_state_and_kind(void)
{
	static const struct {
		uint32_t index;
		int platform, written;
	} v[] = {
		{0x01586334u, 1, 1}, {0x01586334u, 0, 1}, {0x01586334u, 1, 0}, {0x01586335u, 1, 1},
		{0x01590000u, 1, 1}, {0x01590001u, 1, 1}, {0x01590000u, 0, 1},
	};
	char seen[sizeof v / sizeof v[0]][69];
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		snprintf(seen[i], sizeof seen[i], "%s",
			 name_hex(v[i].index, v[i].platform, v[i].written));
		CU_ASSERT_EQUAL(strncmp(seen[i], "000b", 4), 0); /* SHA-256 */
		for (size_t k = 0; k < i; k++)
			CU_ASSERT_STRING_NOT_EQUAL(seen[i], seen[k]);
	}
}

static void test_tpm_nv_attributes_spelt_as_tpm2_tools_does(void)
{
	char b[256];
	CU_ASSERT_STRING_EQUAL(ldr_tpm_nv_attrs_text(0x62040422u, b, sizeof b),
			       "nt=bits|ownerwrite|policydelete|authread|no_da|written|"
			       "platformcreate");
	CU_ASSERT_STRING_EQUAL(ldr_tpm_nv_attrs_text(0x00060002u, b, sizeof b),
			       "nt=ordinary|ownerwrite|ownerread|authread");
	CU_ASSERT_STRING_EQUAL(ldr_tpm_nv_attrs_text(0x000000F0u, b, sizeof b), "nt=0xf");
	/* a short buffer is cut, never overrun */
	char s[8];
	CU_ASSERT_EQUAL(strlen(ldr_tpm_nv_attrs_text(0x62040422u, s, sizeof s)), 7u);
}

XTEST_SUITE(loader_tpm_nv, NULL, NULL, XTEST(test_tpm_nv_names_are_the_ones_the_tpm_computes),
	    XTEST(test_tpm_nv_names_differ_by_hierarchy_state_and_kind),
	    XTEST(test_tpm_nv_attributes_spelt_as_tpm2_tools_does))
