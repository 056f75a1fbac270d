/* SPDX-License-Identifier: MIT */
/*
 * Test-suite registration for the CUnit runner.
 *
 * A test file declares its suite once with XTEST_SUITE; a constructor adds it to a list that
 * cunit_main.c hands to CUnit, so adding a test file needs no edit anywhere else. Helpers for
 * fixtures that every suite needs (temporary directories, the build folder) are here too.
 */
#ifndef XDRV_XTEST_H
#define XDRV_XTEST_H

#include <CUnit/CUnit.h>
#include <stddef.h>

struct xtest_case {
	const char *name;
	void (*fn)(void);
};

void xtest_add(const char *suite, int (*init)(void), int (*clean)(void),
	       const struct xtest_case *cases);

#define XTEST(fn)                                                                                  \
	{                                                                                          \
#fn, fn                                                                            \
	}
#define XTEST_SUITE(sname, init, clean, ...)                                                       \
	static const struct xtest_case sname##_cases[] = {__VA_ARGS__, {NULL, NULL}};              \
	__attribute__((constructor)) static void sname##_register(void)                            \
	{                                                                                          \
		xtest_add(#sname, init, clean, sname##_cases);                                     \
	}

/* The build folder under test (XDRV_BUILD, default "build"): built binaries, the dev PKI in
 * <build>/pki, signed sample packages in <build>/pkg. Borrowed string. */
const char *xtest_build_dir(void);
/* A fresh private directory for this test; removed at exit. Borrowed string. */
const char *xtest_tmpdir(void);
/* Join into a static rotating buffer: xtest_path("%s/pkg/hello.xdrv", xtest_build_dir()). */
const char *xtest_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Run a shell command, return its exit status (or -1). Output goes to the test log. */
int xtest_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Read a whole file into a malloc'd buffer (NUL-terminated); NULL on error. */
unsigned char *xtest_read(const char *path, size_t *len);
/* Write a buffer to a file; 0 or -1. */
int xtest_write(const char *path, const void *buf, size_t len);

#endif
