// SPDX-License-Identifier: MIT
/*
 * Tests for loader/specialize.c: strict parsing of parameter values, range checks (signed for
 * i32/i64), unknown and repeated names, and the effect that matters: after specialization and
 * O2 a parameter is a constant in the code, with no load of its global left.
 */
#include "jit_fixture.h"

#include <errno.h>

static struct sdk_param mkparam(const char *name, uint32_t type, uint64_t def, uint64_t min,
				uint64_t max)
{
	struct sdk_param p = {
		.name = (char *)name, .type = type, .def = def, .min = min, .max = max};
	return p;
}

static void test_parse_accepts_decimal_hex_and_bool(void)
{
	struct sdk_param u32 = mkparam("ring", XDRV_PARAM_U32, 64, 16, 4096);
	struct sdk_param i64 = mkparam("off", XDRV_PARAM_I64, 0, (uint64_t)INT64_MIN, INT64_MAX);
	struct sdk_param b = mkparam("csum", XDRV_PARAM_BOOL, 1, 0, 1);
	uint64_t v = 0;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_param_parse(&u32, "128", &v, &err), 0);
	CU_ASSERT_EQUAL(v, 128);
	CU_ASSERT_EQUAL(ldr_param_parse(&u32, "0x1F", &v, &err), 0);
	CU_ASSERT_EQUAL(v, 31);
	CU_ASSERT_EQUAL(ldr_param_parse(&u32, "4294967295", &v, &err), 0);
	CU_ASSERT_EQUAL(v, UINT32_MAX);
	CU_ASSERT_EQUAL(ldr_param_parse(&u32, "010", &v, &err), 0); /* decimal, never octal */
	CU_ASSERT_EQUAL(v, 10);
	CU_ASSERT_EQUAL(ldr_param_parse(&i64, "-9223372036854775808", &v, &err), 0);
	CU_ASSERT_EQUAL((int64_t)v, INT64_MIN);
	CU_ASSERT_EQUAL(ldr_param_parse(&i64, "-0x10", &v, &err), 0);
	CU_ASSERT_EQUAL((int64_t)v, -16);
	CU_ASSERT_EQUAL(ldr_param_parse(&b, "true", &v, &err), 0);
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_EQUAL(ldr_param_parse(&b, "0", &v, &err), 0);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_PTR_NULL(err);
}

static void expect_parse_error(const struct sdk_param *p, const char *text, int code,
			       const char *needle)
{
	uint64_t v = 77;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_param_parse(p, text, &v, &err), code);
	CU_ASSERT(fx_has(err, needle));
	CU_ASSERT(fx_has(err, p->name));
	CU_ASSERT_EQUAL(v, 77);
	free(err);
}

static void test_parse_rejects_malformed_values(void)
{
	struct sdk_param u32 = mkparam("ring", XDRV_PARAM_U32, 64, 16, 4096);
	struct sdk_param i32 = mkparam("bias", XDRV_PARAM_I32, 0, (uint64_t)-10, 10);
	struct sdk_param b = mkparam("csum", XDRV_PARAM_BOOL, 1, 0, 1);
	expect_parse_error(&u32, "", -EINVAL, "empty value");
	expect_parse_error(&u32, "12abc", -EINVAL, "not a number");
	expect_parse_error(&u32, " 12", -EINVAL, "not a number");
	expect_parse_error(&u32, "+12", -EINVAL, "not a number");
	expect_parse_error(&u32, "0x", -EINVAL, "not a number");
	expect_parse_error(&u32, "-1", -ERANGE, "negative value for u32");
	expect_parse_error(&u32, "4294967296", -ERANGE, "does not fit in u32");
	expect_parse_error(&u32, "99999999999999999999999", -ERANGE, "does not fit in u32");
	expect_parse_error(&i32, "-2147483649", -ERANGE, "does not fit in i32");
	expect_parse_error(&i32, "2147483648", -ERANGE, "does not fit in i32");
	expect_parse_error(&b, "yes", -EINVAL, "not a bool");
}

static const char *param_src = "#include <xdrv/abi.h>\n"
			       "XDRV_PARAM(uint32_t, ring);\n"
			       "XDRV_PARAM(int32_t, bias);\n"
			       "uint32_t get_ring(void) { return xdrv_param_ring; }\n"
			       "int32_t get_bias(void) { return xdrv_param_bias; }\n"
			       "uint32_t slots(void) { uint32_t n = 0; for (uint32_t i = 0; i < "
			       "xdrv_param_ring; i++) n += 2;\n"
			       "  return n; }\n";

static struct sdk_descriptor param_desc(struct sdk_param *ps)
{
	ps[0] = mkparam("ring", XDRV_PARAM_U32, 64, 16, 4096);
	ps[1] = mkparam("bias", XDRV_PARAM_I32, (uint64_t)-3, (uint64_t)-10, 10);
	struct sdk_descriptor d = {
		.abi_version = XDRV_ABI_VERSION, .name = "ptest", .params = ps, .nparams = 2};
	return d;
}

/* Specialize + retarget + O2 on a module, return the printed IR of `fn` (caller frees). */
static char *specialized_ir(const struct ldr_param_value *pv, size_t npv, const char *fn, int *rc,
			    char **err)
{
	struct sdk_param ps[2];
	struct sdk_descriptor d = param_desc(ps);
	struct ldr_host host;
	char *ir = NULL;
	*rc = -1;
	const char *bc = fx_bc(param_src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	LLVMModuleRef m = fx_parse(tsc, bc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(ldr_host_init(&host, err), 0);
	LLVMTargetMachineRef tm = ldr_host_tm(&host, 2, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tm);
	*rc = ldr_specialize(m, &d, pv, npv, NULL, err);
	if (*rc == 0 && ldr_module_retarget(m, tm, host.triple, err) == 0 &&
	    ldr_module_optimize(m, tm, 2, err) == 0) {
		LLVMValueRef f = LLVMGetNamedFunction(m, fn);
		ir = f ? LLVMPrintValueToString(f) : NULL;
	}
	LLVMDisposeTargetMachine(tm);
	ldr_host_fini(&host);
	LLVMDisposeModule(m);
	LLVMOrcDisposeThreadSafeContext(tsc);
	return ir;
}

static void test_specialized_param_is_folded_into_the_code(void)
{
	struct ldr_param_value pv[] = {{"ring", "0x80"}};
	char *err = NULL;
	int rc;
	char *ir = specialized_ir(pv, 1, "get_ring", &rc, &err);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
	CU_ASSERT(fx_has(ir, "ret i32 128"));
	CU_ASSERT_FALSE(fx_has(ir, "load"));
	CU_ASSERT_FALSE(fx_has(ir, "@xdrv_param_ring"));
	LLVMDisposeMessage(ir);
	/* a loop bounded by the parameter becomes a constant too */
	ir = specialized_ir(pv, 1, "slots", &rc, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
	CU_ASSERT(fx_has(ir, "ret i32 256"));
	CU_ASSERT_FALSE(fx_has(ir, "load"));
	LLVMDisposeMessage(ir);
	free(err);
}

static void test_default_is_used_without_override(void)
{
	char *err = NULL;
	int rc;
	char *ir = specialized_ir(NULL, 0, "get_bias", &rc, &err);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
	CU_ASSERT(fx_has(ir, "ret i32 -3"));
	LLVMDisposeMessage(ir);
	free(err);
}

static void expect_specialize_error(const struct ldr_param_value *pv, size_t npv, int code,
				    const char *needle)
{
	char *err = NULL;
	int rc;
	char *ir = specialized_ir(pv, npv, "get_ring", &rc, &err);
	CU_ASSERT_PTR_NULL(ir);
	CU_ASSERT_EQUAL(rc, code);
	CU_ASSERT(fx_has(err, needle));
	if (!fx_has(err, needle))
		fprintf(stderr, "expected '%s' in: %s\n", needle, err ? err : "(none)");
	free(err);
}

static void test_out_of_range_values_are_rejected(void)
{
	struct ldr_param_value big[] = {{"ring", "8192"}};
	expect_specialize_error(big, 1, -ERANGE, "param ring: '8192' out of range 16..4096");
	struct ldr_param_value small[] = {{"ring", "15"}};
	expect_specialize_error(small, 1, -ERANGE, "out of range 16..4096");
	/* signed compare: -11 is below -10 (unsigned it would be huge, and also out of range);
	 * 11 is above 10; -10 and 10 are in */
	struct ldr_param_value neg[] = {{"bias", "-11"}};
	expect_specialize_error(neg, 1, -ERANGE, "param bias: '-11' out of range -10..10");
	struct ldr_param_value pos[] = {{"bias", "11"}};
	expect_specialize_error(pos, 1, -ERANGE, "out of range -10..10");
	char *err = NULL;
	int rc;
	struct ldr_param_value edge[] = {{"bias", "-10"}, {"ring", "4096"}};
	char *ir = specialized_ir(edge, 2, "get_bias", &rc, &err);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(fx_has(ir, "ret i32 -10"));
	LLVMDisposeMessage(ir);
	free(err);
}

static void test_unknown_and_repeated_params_are_rejected(void)
{
	struct ldr_param_value unknown[] = {{"rings", "64"}};
	expect_specialize_error(unknown, 1, -ENOENT,
				"param rings: not declared by the driver (declared: ring, bias)");
	struct ldr_param_value twice[] = {{"ring", "64"}, {"ring", "128"}};
	expect_specialize_error(twice, 2, -EINVAL, "param ring: given twice");
	struct ldr_param_value bad[] = {{"ring", "lots"}};
	expect_specialize_error(bad, 1, -EINVAL, "param ring: 'lots' is not a number");
}

static void test_declared_param_without_global_is_rejected(void)
{
	struct sdk_param ps[1] = {mkparam("mtu", XDRV_PARAM_U32, 1500, 68, 9000)};
	struct sdk_descriptor d = {.name = "x", .params = ps, .nparams = 1};
	const char *bc = fx_bc("unsigned f(void) { return 1; }\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	LLVMModuleRef m = fx_parse(tsc, bc);
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_specialize(m, &d, NULL, 0, NULL, &err), -EINVAL);
	CU_ASSERT(fx_has(err, "param mtu: the module does not define xdrv_param_mtu"));
	free(err);
	LLVMDisposeModule(m);
	LLVMOrcDisposeThreadSafeContext(tsc);
}

static void test_param_of_wrong_width_is_rejected(void)
{
	struct sdk_param ps[1] = {mkparam("ring", XDRV_PARAM_U64, 64, 16, 4096)};
	struct sdk_descriptor d = {.name = "x", .params = ps, .nparams = 1};
	const char *bc = fx_bc("unsigned xdrv_param_ring;\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	LLVMModuleRef m = fx_parse(tsc, bc);
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_specialize(m, &d, NULL, 0, NULL, &err), -EINVAL);
	CU_ASSERT(fx_has(err, "is not a 64-bit integer"));
	free(err);
	LLVMDisposeModule(m);
	LLVMOrcDisposeThreadSafeContext(tsc);
}

FX_JITCALL static void test_jit_runs_with_the_specialized_value(void)
{
	struct sdk_param ps[2];
	struct sdk_descriptor d = param_desc(ps);
	for (uint32_t mode = 0; mode < 2; mode++) {
		struct ldr_ctx *ctx = fx_ctx(mode);
		struct ldr_image *img = NULL;
		char *err = NULL;
		struct ldr_param_value pv[] = {{"bias", "-7"}, {"ring", "1000"}};
		CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
		CU_ASSERT_EQUAL_FATAL(
			fx_load(ctx, param_src, &d, LDR_LOAD_NO_LINT, pv, 2, &img, &err), 0);
		uint32_t (*ring)(void) = FX_FN(img, uint32_t(*)(void), "get_ring");
		int32_t (*bias)(void) = FX_FN(img, int32_t(*)(void), "get_bias");
		CU_ASSERT_PTR_NOT_NULL_FATAL(ring);
		CU_ASSERT_PTR_NOT_NULL_FATAL(bias);
		CU_ASSERT_EQUAL(ring(), 1000);
		CU_ASSERT_EQUAL(bias(), -7);
		CU_ASSERT_EQUAL(img->param_values[0], 1000);
		CU_ASSERT_EQUAL((int64_t)img->param_values[1], -7);
		ldr_ctx_destroy(ctx);
		free(err);
	}
}

static void test_load_fails_with_message_for_bad_param(void)
{
	struct sdk_param ps[2];
	struct sdk_descriptor d = param_desc(ps);
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	struct ldr_param_value pv[] = {{"ring", "5"}};
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL(fx_load(ctx, param_src, &d, LDR_LOAD_NO_LINT, pv, 1, &img, &err), -ERANGE);
	CU_ASSERT_PTR_NULL(img);
	CU_ASSERT(fx_has(err, "test: param ring: '5' out of range 16..4096"));
	CU_ASSERT(fx_has(ldr_errmsg(ctx), "out of range"));
	free(err);
	ldr_ctx_destroy(ctx);
}

XTEST_SUITE(loader_specialize, NULL, NULL, XTEST(test_parse_accepts_decimal_hex_and_bool),
	    XTEST(test_parse_rejects_malformed_values),
	    XTEST(test_specialized_param_is_folded_into_the_code),
	    XTEST(test_default_is_used_without_override),
	    XTEST(test_out_of_range_values_are_rejected),
	    XTEST(test_unknown_and_repeated_params_are_rejected),
	    XTEST(test_declared_param_without_global_is_rejected),
	    XTEST(test_param_of_wrong_width_is_rejected),
	    XTEST(test_jit_runs_with_the_specialized_value),
	    XTEST(test_load_fails_with_message_for_bad_param))
