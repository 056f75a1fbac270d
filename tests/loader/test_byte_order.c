// SPDX-License-Identifier: MIT
/*
 * The loader and the host's byte order: packages of the portable profile xdrv-lp64le-1 are
 * little-endian (the byte order is compiled into every load and store of the bitcode), so a
 * big-endian host (s390x) refuses them with a message saying why and where they can run.
 * The refusal is exercised on this (little-endian) machine by setting the context's host
 * description to big-endian, the same field ldr_host_init fills from the real byte order.
 */
#include "jit_fixture.h"

#include <errno.h>
#include <xdrv/sdk.h>

#define BO_SRC                                                                                     \
	"#include <xdrv/abi.h>\n"                                                                  \
	"static const struct xdrv_match match[] = {{.bus = XDRV_BUS_PLATFORM,\n"                   \
	"  .compatible = \"test,bo\"}, {.bus = 0}};\n"                                             \
	"static int32_t probe(xdrv_device_t *d) { (void)d; return 0; }\n"                          \
	"static void rm(xdrv_device_t *d) { (void)d; }\n"                                          \
	"XDRV_DRIVER(.name = \"botest\", .version = \"1.0.0\", .match = match,\n"                  \
	"  .probe = probe, .remove = rm);\n"

static char pkg[600];

static int suite_init(void)
{
	char src[600], bc[600], *err = NULL;
	snprintf(src, sizeof src, "%s/bo.c", xtest_tmpdir());
	snprintf(bc, sizeof bc, "%s/bo.bc", xtest_tmpdir());
	snprintf(pkg, sizeof pkg, "%s/bo.xdrv", xtest_tmpdir());
	const char *srcs[] = {src};
	struct sdk_build_opts bo = {.sources = srcs, .nsources = 1, .output = bc};
	struct sdk_pack_opts po = {.bitcode = bc, .output = pkg};
	int rc = xtest_write(src, BO_SRC, strlen(BO_SRC));
	if (!rc)
		rc = sdk_build(&bo, &err);
	if (!rc)
		rc = sdk_pack(&po, &err);
	if (rc)
		fprintf(stderr, "test_byte_order fixture: %s\n", err ? err : "?");
	free(err);
	return rc ? 1 : 0;
}

static struct ldr_ctx *dev_ctx(void)
{
	struct ldr_config cfg = {.allow_unsigned = 1, .jit_mode = LDR_JIT_EAGER, .opt_level = 2};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	if (ldr_ctx_create(&cfg, &ctx, &err) != 0)
		fprintf(stderr, "ctx: %s\n", err);
	free(err);
	return ctx;
}

static void test_little_endian_host_loads_the_profile(void)
{
	struct ldr_ctx *ctx = dev_ctx();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL(ctx->host.big_endian, 0); /* x86_64, arm64, ppc64el */
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_image_load_file(ctx, pkg, NULL, 0, &img, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(img);
	ldr_image_unload(img);
	free(err);
	ldr_ctx_destroy(ctx);
}

static void test_big_endian_host_refuses_a_little_endian_package(void)
{
	struct ldr_ctx *ctx = dev_ctx();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	ctx->host.big_endian = 1;
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_image_load_file(ctx, pkg, NULL, 0, &img, &err), -ENOTSUP);
	CU_ASSERT_PTR_NULL(img);
	CU_ASSERT(fx_has(err, "package bo.xdrv: profile xdrv-lp64le-1 is little-endian and this "
			      "host"));
	CU_ASSERT(fx_has(err, "is big-endian: the package cannot run here; run it on a "
			      "little-endian host (x86_64, arm64, ppc64el)"));
	free(err);
	ldr_ctx_destroy(ctx);
}

XTEST_SUITE(loader_byte_order, suite_init, NULL, XTEST(test_little_endian_host_loads_the_profile),
	    XTEST(test_big_endian_host_refuses_a_little_endian_package))
