// SPDX-License-Identifier: MIT
/*
 * Tests for sdk/pack.c: a package written from fixture bitcode reads back with the manifest the
 * descriptor implies, is byte-for-byte reproducible, is a tar that GNU tar lists, and pack
 * refuses bitcode that fails the checks or options that contradict the descriptor.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>

#include "../xtest.h"
#include "sdk_fixtures.h"

#include <unistd.h>

static int pack(const char *bc, const char *out, const char *version, uint64_t secver, char **err)
{
	struct sdk_pack_opts o = {
		.bitcode = bc, .output = out, .version = version, .security_version = secver};
	return sdk_pack(&o, err);
}

static void test_pack_writes_readable_package(void)
{
	const char *dir = xtest_tmpdir();
	char bc[1024], out[1024];
	snprintf(bc, sizeof bc, "%s", sdkfx_ir_to_bc(dir, "d.bc", sdkfx_ir_driver));
	snprintf(out, sizeof out, "%s/hello-1.0.0.xdrv", dir);
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(pack(bc, out, "1.0.0", 7, &err), 0);
	size_t len;
	uint8_t *pkg = xtest_read(out, &len);
	struct sdk_package p;
	CU_ASSERT_EQUAL_FATAL(sdk_package_read(pkg, len, NULL, NULL, &p, &err), 0);
	CU_ASSERT_STRING_EQUAL(p.entries[0].path, "manifest.json");
	CU_ASSERT_STRING_EQUAL(p.entries[1].path, "driver.bc");
	CU_ASSERT_STRING_EQUAL(p.manifest.name, "hello");
	CU_ASSERT_STRING_EQUAL(p.manifest.version, "1.0.0");
	CU_ASSERT_EQUAL(p.manifest.security_version, 7);
	CU_ASSERT_EQUAL(p.manifest.abi_version, 1000000);
	CU_ASSERT_STRING_EQUAL(p.manifest.desc.probe, "probe");
	CU_ASSERT_STRING_EQUAL(p.manifest.desc.match[0].compatible, "ns16550a");
	size_t bclen;
	uint8_t *bcdata = xtest_read(bc, &bclen);
	CU_ASSERT_EQUAL(p.bitcode->size, bclen);
	CU_ASSERT(bcdata && memcmp(p.bitcode->data, bcdata, bclen) == 0);
	sdk_package_free(&p);
	/* an external reader agrees: GNU tar lists exactly the two members */
	CU_ASSERT_EQUAL(
		xtest_sh("test \"$(tar -tf '%s' | tr '\\n' ' ')\" = 'manifest.json driver.bc '",
			 out),
		0);
	free(bcdata);
	free(pkg);
}

static void test_pack_is_reproducible(void)
{
	const char *dir = xtest_tmpdir();
	char bc[1024], a[1024], b[1024];
	snprintf(bc, sizeof bc, "%s", sdkfx_ir_to_bc(dir, "d.bc", sdkfx_ir_driver));
	snprintf(a, sizeof a, "%s/a.xdrv", dir);
	snprintf(b, sizeof b, "%s/b.xdrv", dir);
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(pack(bc, a, NULL, 1, &err), 0);
	CU_ASSERT_EQUAL_FATAL(pack(bc, b, NULL, 1, &err), 0);
	size_t la, lb;
	uint8_t *pa = xtest_read(a, &la), *pb = xtest_read(b, &lb);
	CU_ASSERT(pa && pb && la == lb && memcmp(pa, pb, la) == 0);
	CU_ASSERT_EQUAL(la % 512, 0);
	free(pa);
	free(pb);
}

static void test_pack_rejects_version_mismatch(void)
{
	const char *dir = xtest_tmpdir();
	char bc[1024];
	snprintf(bc, sizeof bc, "%s", sdkfx_ir_to_bc(dir, "d.bc", sdkfx_ir_driver));
	char *err = NULL;
	CU_ASSERT_EQUAL(pack(bc, xtest_path("%s/x.xdrv", dir), "2.0.0", 1, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(
		err ? strstr(err, "--version 2.0.0 differs from the version in the driver's "
				  "descriptor, 1.0.0")
		    : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(pack(bc, xtest_path("%s/x.xdrv", dir), NULL, 1ull << 53, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "is not below 2^53") : NULL);
	free(err);
}

static void test_pack_rejects_bitcode_failing_lint(void)
{
	const char *dir = xtest_tmpdir();
	char ir[4096];
	snprintf(ir, sizeof ir, "%s%s", sdkfx_ir_driver,
		 "define void @w() {\n  call void asm sideeffect \"nop\", \"\"()\n  ret void\n}\n");
	char bc[1024];
	snprintf(bc, sizeof bc, "%s", sdkfx_ir_to_bc(dir, "asm.bc", ir));
	char *err = NULL;
	const char *out = xtest_path("%s/x.xdrv", dir);
	CU_ASSERT_EQUAL(pack(bc, out, NULL, 1, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "function w: inline assembly") : NULL);
	CU_ASSERT_EQUAL(xtest_sh("test ! -e '%s'", out), 0);
	free(err);
}

static void test_pack_rejects_non_bitcode_and_other_profiles(void)
{
	const char *dir = xtest_tmpdir();
	const char *junk = xtest_path("%s/junk.bc", dir);
	xtest_write(junk, "not bitcode at all", 18);
	char *err = NULL;
	CU_ASSERT_EQUAL(pack(junk, xtest_path("%s/x.xdrv", dir), NULL, 1, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "not valid LLVM bitcode") : NULL);
	free(err);
	err = NULL;
	/* bitcode for a real target: its calling convention is already baked in */
	CU_ASSERT_EQUAL_FATAL(xtest_sh("printf 'target triple = \"x86_64-pc-linux-gnu\"\\n' | "
				       "llvm-as-19 -o '%s/x86.bc'",
				       dir),
			      0);
	CU_ASSERT_EQUAL(
		pack(xtest_path("%s/x86.bc", dir), xtest_path("%s/x.xdrv", dir), NULL, 1, &err),
		-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(
		err ? strstr(err,
			     "target triple 'x86_64-pc-linux-gnu' is not the portable profile's")
		    : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(
		pack(xtest_path("%s/missing.bc", dir), xtest_path("%s/x.xdrv", dir), NULL, 1, &err),
		-ENOENT);
	free(err);
}

/* --description reaches the signed manifest; one that is not one printable line is refused. */
static void test_pack_carries_a_description_and_refuses_a_bad_one(void)
{
	const char *dir = xtest_tmpdir();
	char bc[1024], out[1024];
	snprintf(bc, sizeof bc, "%s", sdkfx_ir_to_bc(dir, "d.bc", sdkfx_ir_driver));
	snprintf(out, sizeof out, "%s/d.xdrv", dir);
	char *err = NULL;
	struct sdk_pack_opts o = {.bitcode = bc,
				  .output = out,
				  .security_version = 1,
				  .description = "A UART driver for the 16550A"};
	CU_ASSERT_EQUAL_FATAL(sdk_pack(&o, &err), 0);
	size_t len;
	uint8_t *pkg = xtest_read(out, &len);
	struct sdk_package p;
	CU_ASSERT_EQUAL_FATAL(sdk_package_read(pkg, len, NULL, NULL, &p, &err), 0);
	CU_ASSERT_STRING_EQUAL(p.manifest.description, "A UART driver for the 16550A");
	sdk_package_free(&p);
	free(pkg);
	o.description = "two\nlines";
	o.output = xtest_path("%s/bad.xdrv", dir);
	CU_ASSERT_EQUAL(sdk_pack(&o, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "--description: must be one line of printable "
						 "ASCII, at most 255 bytes")
				   : NULL);
	free(err);
	CU_ASSERT_EQUAL(access(o.output, F_OK), -1); /* nothing written */
}

XTEST_SUITE(sdk_pack, NULL, NULL, XTEST(test_pack_writes_readable_package),
	    XTEST(test_pack_carries_a_description_and_refuses_a_bad_one),
	    XTEST(test_pack_is_reproducible), XTEST(test_pack_rejects_version_mismatch),
	    XTEST(test_pack_rejects_bitcode_failing_lint),
	    XTEST(test_pack_rejects_non_bitcode_and_other_profiles))
