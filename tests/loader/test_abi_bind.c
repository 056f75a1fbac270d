// SPDX-License-Identifier: MIT
/* Tests for loader/abi_bind.c: the binding table is complete, unique and matches symbols.def. */
#include "../xtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/abi.h>
#include <xdrv/runtime.h>

static unsigned versions[1024];

/* The XDRV_SYM lines of the symbols.def in the source tree, read as text: names and versions. */
static size_t count_def_lines(char ***names)
{
	size_t len = 0, n = 0;
	unsigned char *buf = xtest_read(XDRV_SRCDIR "/driver-abi/include/xdrv/symbols.def", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	*names = calloc(1024, sizeof **names);
	for (char *line = strtok((char *)buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "XDRV_SYM(", 9) != 0)
			continue;
		char *end = strchr(line + 9, ',');
		unsigned a = 0, b = 0, c = 0;
		if (!end || n == 1024 || sscanf(end, ", %u, %u, %u)", &a, &b, &c) != 3)
			continue;
		versions[n] = XDRV_ABI_MKVER(a, b, c);
		(*names)[n++] = strndup(line + 9, (size_t)(end - line - 9));
	}
	free(buf);
	return n;
}

static void test_bindings_match_symbols_def(void)
{
	size_t count = 0;
	const struct ldr_abi_binding *b = ldr_abi_bindings(&count);
	char **names = NULL;
	size_t want = count_def_lines(&names);
	CU_ASSERT(want > 50);
	CU_ASSERT_EQUAL(count, want);
	for (size_t i = 0; i < count && i < want; i++) {
		CU_ASSERT_STRING_EQUAL(b[i].name, names[i]); /* same order as the file */
		CU_ASSERT_EQUAL(b[i].since, versions[i]);
	}
	for (size_t i = 0; i < want; i++)
		free(names[i]);
	free(names);
}

static void test_bindings_are_non_null_and_unique(void)
{
	size_t count = 0;
	const struct ldr_abi_binding *b = ldr_abi_bindings(&count);
	for (size_t i = 0; i < count; i++) {
		CU_ASSERT_PTR_NOT_NULL(b[i].name);
		CU_ASSERT_PTR_NOT_NULL(b[i].addr);
		CU_ASSERT(b[i].since >= XDRV_ABI_MKVER(1, 0, 0) && b[i].since <= XDRV_ABI_VERSION);
		for (size_t j = 0; j < i; j++)
			CU_ASSERT(strcmp(b[i].name, b[j].name) != 0);
	}
}

static const struct ldr_abi_binding *find(const char *name)
{
	size_t count = 0;
	const struct ldr_abi_binding *b = ldr_abi_bindings(&count);
	for (size_t i = 0; i < count; i++)
		if (strcmp(b[i].name, name) == 0)
			return &b[i];
	return NULL;
}

static void test_bindings_point_at_the_runtime_and_libc(void)
{
	const struct ldr_abi_binding *b = find("xdrv_log");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT(b->addr == (void (*)(void))xdrv_log);
	b = find("memcpy");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT(b->addr == (void (*)(void))memcpy);
	b = find("xdrv_blk_complete");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT(b->addr == (void (*)(void))xdrv_blk_complete);
	CU_ASSERT_PTR_NULL(find("printf"));
	size_t n = 0;
	CU_ASSERT_PTR_NOT_NULL(ldr_abi_bindings(NULL));
	ldr_abi_bindings(&n);
	CU_ASSERT(n > 0);
}

XTEST_SUITE(loader_abi_bind, NULL, NULL, XTEST(test_bindings_match_symbols_def),
	    XTEST(test_bindings_are_non_null_and_unique),
	    XTEST(test_bindings_point_at_the_runtime_and_libc))
