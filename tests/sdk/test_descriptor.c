// SPDX-License-Identifier: MIT
/*
 * Tests for sdk/descriptor.c: reading `xdrv_driver` from IR, and refusing malformed
 * descriptors (each defect named in the message) without crashing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>

#include "../xtest.h"
#include "sdk_fixtures.h"

/* A descriptor with every field set; %s slots: name, version, params pointer, probe. */
static const char *const drv_fmt =
	"@.name = private constant [%zu x i8] c\"%s\\00\"\n"
	"@.ver = private constant [%zu x i8] c\"%s\\00\"\n"
	"@.compat = private constant [9 x i8] c\"ns16550a\\00\"\n"
	"@.pn = private constant [8 x i8] c\"rx_ring\\00\"\n"
	"@.pd = private constant [10 x i8] c\"ring size\\00\"\n"
	"@.sn = private constant [6 x i8] c\"delta\\00\"\n"
	"@xdrv_param_rx_ring = global i32 0\n"
	"@xdrv_param_delta = global i32 0\n"
	"@match = internal constant [3 x %%struct.xdrv_match] ["
	"%%struct.xdrv_match { i32 1, i32 4107, i32 34, i32 131072, i32 16776960, i32 0, ptr null "
	"}, %%struct.xdrv_match { i32 2, i32 0, i32 0, i32 0, i32 0, i32 0, ptr @.compat }, "
	"%%struct.xdrv_match zeroinitializer]\n"
	"@params = internal constant [3 x %%struct.xdrv_param] ["
	"%%struct.xdrv_param { ptr @.pn, i32 1, i32 0, i64 %s, i64 16, i64 4096, ptr "
	"@xdrv_param_rx_ring, ptr @.pd }, "
	"%%struct.xdrv_param { ptr @.sn, i32 3, i32 0, i64 -5, i64 -10, i64 10, ptr "
	"@xdrv_param_delta, ptr null }, "
	"%%struct.xdrv_param zeroinitializer]\n"
	"@xdrv_driver = constant %%struct.xdrv_driver { i32 1480872534, i32 1000000, i32 128, i32 "
	"0, ptr @.name, ptr @.ver, ptr @match, ptr %s, ptr %s, ptr @remove, [8 x ptr] "
	"zeroinitializer }\n"
	"define internal i32 @probe(ptr %%d) {\n  ret i32 0\n}\n"
	"define internal void @remove(ptr %%d) {\n  ret void\n}\n"
	"declare i32 @ext_probe(ptr)\n";

struct drv {
	const char *name, *version, *def, *params, *probe;
};

static char *drv_ir(const struct drv *d)
{
	static char buf[8192];
	snprintf(buf, sizeof buf, drv_fmt, strlen(d->name) + 1, d->name, strlen(d->version) + 1,
		 d->version, d->def, d->params, d->probe);
	return buf;
}

static int read_ir(const char *ir, struct sdk_descriptor *d, char **err)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = sdkfx_ir(ctx, ir, NULL);
	int rc = m ? sdk_descriptor_read(m, d, err) : -9999;
	if (m)
		LLVMDisposeModule(m);
	LLVMContextDispose(ctx);
	return rc;
}

static const struct drv good = {"nic_dp83820", "2.10.0", "64", "@params", "@probe"};

static void expect_bad(const char *ir, const char *want)
{
	struct sdk_descriptor d;
	char *err = NULL;
	CU_ASSERT_EQUAL(read_ir(ir, &d, &err), -EINVAL);
	bool found = err && strstr(err, want);
	CU_ASSERT(found);
	if (!found)
		fprintf(stderr, "\nwanted '%s', got: %s\n", want, err ? err : "(nothing)");
	free(err);
}

static void test_descriptor_reads_all_fields(void)
{
	struct sdk_descriptor d;
	char *err = NULL;
	int rc = read_ir(drv_ir(&good), &d, &err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	if (err)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_EQUAL(d.abi_version, 1000000);
	CU_ASSERT_STRING_EQUAL(d.name, "nic_dp83820");
	CU_ASSERT_STRING_EQUAL(d.version, "2.10.0");
	CU_ASSERT_STRING_EQUAL(d.probe, "probe");
	CU_ASSERT_STRING_EQUAL(d.remove, "remove");
	CU_ASSERT_EQUAL_FATAL(d.nmatch, 2);
	CU_ASSERT_EQUAL(d.match[0].bus, 1);
	CU_ASSERT_EQUAL(d.match[0].vendor, 0x100b);
	CU_ASSERT_EQUAL(d.match[0].device, 0x22);
	CU_ASSERT_EQUAL(d.match[0].class_code, 0x20000);
	CU_ASSERT_EQUAL(d.match[0].class_mask, 0xffff00);
	CU_ASSERT_PTR_NULL(d.match[0].compatible);
	CU_ASSERT_STRING_EQUAL(d.match[1].compatible, "ns16550a");
	CU_ASSERT_EQUAL_FATAL(d.nparams, 2);
	CU_ASSERT_STRING_EQUAL(d.params[0].name, "rx_ring");
	CU_ASSERT_EQUAL(d.params[0].type, 1);
	CU_ASSERT_EQUAL(d.params[0].def, 64);
	CU_ASSERT_EQUAL(d.params[0].min, 16);
	CU_ASSERT_EQUAL(d.params[0].max, 4096);
	CU_ASSERT_STRING_EQUAL(d.params[0].desc, "ring size");
	CU_ASSERT_EQUAL((int64_t)d.params[1].def, -5);
	CU_ASSERT_EQUAL((int64_t)d.params[1].min, -10);
	CU_ASSERT_PTR_NULL(d.params[1].desc);
	sdk_descriptor_free(&d);
	sdk_descriptor_free(&d); /* idempotent */
	sdk_descriptor_free(NULL);
}

static void test_descriptor_rejects_default_out_of_range(void)
{
	struct drv b = good;
	b.def = "9000";
	expect_bad(drv_ir(&b),
		   "descriptor: params[0].default (rx_ring): 9000 out of range 16..4096");
}

static void test_descriptor_rejects_bad_name(void)
{
	struct drv b = good;
	b.name = "Bad Name";
	expect_bad(drv_ir(&b), "descriptor: name: 'Bad Name' is not a driver name");
}

static void test_descriptor_rejects_bad_version(void)
{
	struct drv b = good;
	b.version = "1.02";
	expect_bad(drv_ir(&b), "descriptor: version: '1.02' is not MAJOR.MINOR.PATCH");
}

static void test_descriptor_rejects_null_or_imported_probe(void)
{
	struct drv b = good;
	b.probe = "null";
	expect_bad(drv_ir(&b), "descriptor: probe: missing (NULL)");
	b.probe = "@ext_probe";
	expect_bad(drv_ir(&b), "descriptor: probe: the function must be defined in the driver");
	b.probe = "@.name";
	expect_bad(drv_ir(&b), "descriptor: probe: must point to a function");
}

static void test_descriptor_accepts_null_params(void)
{
	struct drv b = good;
	b.params = "null";
	struct sdk_descriptor d;
	char *err = NULL;
	CU_ASSERT_EQUAL(read_ir(drv_ir(&b), &d, &err), 0);
	CU_ASSERT_EQUAL(d.nparams, 0);
	sdk_descriptor_free(&d);
	free(err);
}

static void test_descriptor_rejects_pointer_into_middle(void)
{
	struct drv b = good;
	b.params = "getelementptr (i8, ptr @params, i64 56)";
	expect_bad(drv_ir(&b), "descriptor: params: points into the middle of an object");
}

static void test_descriptor_rejects_bad_magic(void)
{
	expect_bad("@xdrv_driver = constant %struct.xdrv_driver { i32 1, i32 1000000, i32 128, "
		   "i32 0, ptr null, ptr null, ptr null, ptr null, ptr null, ptr null, [8 x ptr] "
		   "zeroinitializer }\n",
		   "descriptor: magic: 0x00000001 is not XDRV_DRIVER_MAGIC");
}

static void test_descriptor_rejects_future_abi(void)
{
	expect_bad("@xdrv_driver = constant %struct.xdrv_driver { i32 1480872534, i32 7000000, "
		   "i32 128, i32 0, ptr null, ptr null, ptr null, ptr null, ptr null, ptr null, "
		   "[8 x ptr] zeroinitializer }\n",
		   "descriptor: abi_version: 7.0.0 (7000000) is not between 1.0.0 and");
}

/* struct_size and flags: their messages, and flags named before a bad abi_version */
static void test_descriptor_rejects_size_and_flags(void)
{
	expect_bad("@xdrv_driver = constant %struct.xdrv_driver { i32 1480872534, i32 1000000, "
		   "i32 120, i32 0, ptr null, ptr null, ptr null, ptr null, ptr null, ptr null, "
		   "[8 x ptr] zeroinitializer }\n",
		   "descriptor: struct_size: 120, expected 128");
	expect_bad("@xdrv_driver = constant %struct.xdrv_driver { i32 1480872534, i32 7000000, "
		   "i32 128, i32 4, ptr null, ptr null, ptr null, ptr null, ptr null, ptr null, "
		   "[8 x ptr] zeroinitializer }\n",
		   "descriptor: flags: must be zero");
}

static void test_descriptor_rejects_wrong_type(void)
{
	expect_bad("@xdrv_driver = constant [128 x i8] zeroinitializer\n",
		   "descriptor: xdrv_driver is not a 128-byte struct xdrv_driver");
	expect_bad("@xdrv_driver = constant { [128 x i8] } zeroinitializer\n",
		   "descriptor: magic: the initializer does not have the xdrv ABI layout here");
	expect_bad("@xdrv_driver = constant i32 7\n", "is not a 128-byte struct");
}

static void test_descriptor_rejects_non_constant(void)
{
	expect_bad("@xdrv_driver = global %struct.xdrv_driver zeroinitializer\n",
		   "descriptor: xdrv_driver must be const");
	expect_bad("@xdrv_driver = external constant %struct.xdrv_driver\n",
		   "descriptor: xdrv_driver is declared but not defined");
	expect_bad("@other = constant i32 0\n", "descriptor: no xdrv_driver global");
}

static void test_descriptor_rejects_non_constant_integer(void)
{
	expect_bad("@x = global i32 0\n"
		   "@xdrv_driver = constant %struct.xdrv_driver { i32 ptrtoint (ptr @x to i32), "
		   "i32 1000000, i32 128, i32 0, ptr null, ptr null, ptr null, ptr null, ptr null, "
		   "ptr null, [8 x ptr] zeroinitializer }\n",
		   "descriptor: magic: not a constant integer");
}

static void test_descriptor_rejects_unterminated_tables(void)
{
	expect_bad("@.name = private constant [6 x i8] c\"hello\\00\"\n"
		   "@.ver = private constant [6 x i8] c\"1.0.0\\00\"\n"
		   "@.compat = private constant [9 x i8] c\"ns16550a\\00\"\n"
		   "@match = internal constant [1 x %struct.xdrv_match] [%struct.xdrv_match { i32 "
		   "2, i32 0, i32 0, i32 0, i32 0, i32 0, ptr @.compat }]\n"
		   "@xdrv_driver = constant %struct.xdrv_driver { i32 1480872534, i32 1000000, i32 "
		   "128, i32 0, ptr @.name, ptr @.ver, ptr @match, ptr null, ptr @probe, ptr "
		   "@remove, [8 x ptr] zeroinitializer }\n"
		   "define internal i32 @probe(ptr %d) {\n  ret i32 0\n}\n"
		   "define internal void @remove(ptr %d) {\n  ret void\n}\n",
		   "descriptor: match: the table does not end with an entry whose bus is 0");
}

static void test_descriptor_rejects_unterminated_string(void)
{
	expect_bad("@.name = private constant [5 x i8] c\"hello\"\n"
		   "@xdrv_driver = constant %struct.xdrv_driver { i32 1480872534, i32 1000000, i32 "
		   "128, i32 0, ptr @.name, ptr null, ptr null, ptr null, ptr null, ptr null, [8 x "
		   "ptr] zeroinitializer }\n",
		   "descriptor: name: string is not NUL-terminated");
}

static void test_descriptor_rejects_reserved_fields(void)
{
	expect_bad("@xdrv_driver = constant %struct.xdrv_driver { i32 1480872534, i32 1000000, i32 "
		   "128, i32 0, ptr null, ptr null, ptr null, ptr null, ptr null, ptr null, [8 x "
		   "ptr] [ptr null, ptr null, ptr @xdrv_driver, ptr null, ptr null, ptr null, ptr "
		   "null, ptr null] }\n",
		   "descriptor: reserved[2]: must be NULL");
}

static void test_descriptor_rejects_param_var_mismatch(void)
{
	/* rx_ring's var points at the other parameter's global */
	char ir[8192];
	snprintf(ir, sizeof ir, "%s", drv_ir(&good));
	char *p = strstr(ir, "ptr @xdrv_param_rx_ring, ptr @.pd");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memcpy(p, "ptr @xdrv_param_delta  , ptr @.pd", 33);
	expect_bad(ir, "descriptor: params[0].var: must point to xdrv_param_rx_ring");
}

static void test_descriptor_rejects_too_many_params(void)
{
	/* 70 distinct valid parameters: over SDK_MAX_PARAMS (64) */
	size_t cap = 70 * 400 + 4096;
	char *ir = malloc(cap);
	size_t o = 0;
	for (int i = 0; i < 70; i++)
		o += (size_t)snprintf(ir + o, cap - o,
				      "@.pn%d = private constant [4 x i8] c\"p%02d\\00\"\n"
				      "@xdrv_param_p%02d = global i32 0\n",
				      i, i, i);
	o += (size_t)snprintf(ir + o, cap - o,
			      "@params = internal constant [71 x %%struct.xdrv_param] [");
	for (int i = 0; i < 70; i++)
		o += (size_t)snprintf(
			ir + o, cap - o,
			"%%struct.xdrv_param { ptr @.pn%d, i32 1, i32 0, i64 1, i64 0, "
			"i64 2, ptr @xdrv_param_p%02d, ptr null }, ",
			i, i);
	snprintf(ir + o, cap - o,
		 "%%struct.xdrv_param zeroinitializer]\n"
		 "@.name = private constant [6 x i8] c\"hello\\00\"\n"
		 "@.ver = private constant [6 x i8] c\"1.0.0\\00\"\n"
		 "@.compat = private constant [9 x i8] c\"ns16550a\\00\"\n"
		 "@match = internal constant [2 x %%struct.xdrv_match] [%%struct.xdrv_match { i32 "
		 "2, i32 0, i32 0, i32 0, i32 0, i32 0, ptr @.compat }, %%struct.xdrv_match "
		 "zeroinitializer]\n"
		 "@xdrv_driver = constant %%struct.xdrv_driver { i32 1480872534, i32 1000000, i32 "
		 "128, i32 0, ptr @.name, ptr @.ver, ptr @match, ptr @params, ptr @probe, ptr "
		 "@remove, [8 x ptr] zeroinitializer }\n"
		 "define internal i32 @probe(ptr %%d) {\n  ret i32 0\n}\n"
		 "define internal void @remove(ptr %%d) {\n  ret void\n}\n");
	expect_bad(ir, "descriptor: params: more than 64 entries");
	free(ir);
}

static void test_descriptor_rejects_platform_match_without_compatible(void)
{
	expect_bad("@.name = private constant [6 x i8] c\"hello\\00\"\n"
		   "@.ver = private constant [6 x i8] c\"1.0.0\\00\"\n"
		   "@match = internal constant [2 x %struct.xdrv_match] [%struct.xdrv_match { i32 "
		   "2, i32 0, i32 0, i32 0, i32 0, i32 0, ptr null }, %struct.xdrv_match "
		   "zeroinitializer]\n"
		   "@xdrv_driver = constant %struct.xdrv_driver { i32 1480872534, i32 1000000, i32 "
		   "128, i32 0, ptr @.name, ptr @.ver, ptr @match, ptr null, ptr @probe, ptr "
		   "@remove, [8 x ptr] zeroinitializer }\n"
		   "define internal i32 @probe(ptr %d) {\n  ret i32 0\n}\n"
		   "define internal void @remove(ptr %d) {\n  ret void\n}\n",
		   "descriptor: match[0].compatible: a platform match needs a compatible string");
}

XTEST_SUITE(sdk_descriptor, NULL, NULL, XTEST(test_descriptor_reads_all_fields),
	    XTEST(test_descriptor_rejects_default_out_of_range),
	    XTEST(test_descriptor_rejects_bad_name), XTEST(test_descriptor_rejects_bad_version),
	    XTEST(test_descriptor_rejects_null_or_imported_probe),
	    XTEST(test_descriptor_accepts_null_params),
	    XTEST(test_descriptor_rejects_pointer_into_middle),
	    XTEST(test_descriptor_rejects_bad_magic), XTEST(test_descriptor_rejects_future_abi),
	    XTEST(test_descriptor_rejects_size_and_flags),
	    XTEST(test_descriptor_rejects_wrong_type), XTEST(test_descriptor_rejects_non_constant),
	    XTEST(test_descriptor_rejects_non_constant_integer),
	    XTEST(test_descriptor_rejects_unterminated_tables),
	    XTEST(test_descriptor_rejects_unterminated_string),
	    XTEST(test_descriptor_rejects_reserved_fields),
	    XTEST(test_descriptor_rejects_param_var_mismatch),
	    XTEST(test_descriptor_rejects_too_many_params),
	    XTEST(test_descriptor_rejects_platform_match_without_compatible))
