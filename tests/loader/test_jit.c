// SPDX-License-Identifier: MIT
/*
 * Tests for loader/jit.c (with target.c): eager JIT of a driver module in its own bare
 * JITDylib, ABI imports bound as absolute symbols and nothing else resolvable, compile
 * counting, lookups, and unload through the resource tracker.
 */
#include "jit_fixture.h"

#include <errno.h>

static const char *alloc_src = "#include <xdrv/abi.h>\n"
			       "int32_t fill(uint32_t n) {\n"
			       "  uint8_t *p = xdrv_mem_alloc(n);\n"
			       "  if (!p) return -12;\n"
			       "  for (uint32_t i = 0; i < n; i++) p[i] = (uint8_t)i;\n"
			       "  int32_t s = 0; for (uint32_t i = 0; i < n; i++) s += p[i];\n"
			       "  xdrv_mem_free(p);\n"
			       "  return s;\n"
			       "}\n"
			       "static int32_t twice(int32_t x) { return 2 * x; }\n"
			       "int32_t call_twice(int32_t x) { return twice(x) + 1; }\n";

FX_JITCALL static void test_eager_calls_driver_function_through_abi_import(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	fx_use_test_abi(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, alloc_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			      0);
	int32_t (*fill)(uint32_t) = FX_FN(img, int32_t(*)(uint32_t), "fill");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fill);
	CU_ASSERT_EQUAL(fill(10), 45);
	CU_ASSERT_EQUAL(fx_abi.allocs, 1);
	CU_ASSERT_EQUAL(fx_abi.frees, 1);
	int32_t (*ct)(int32_t) = FX_FN(img, int32_t(*)(int32_t), "call_twice");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ct);
	CU_ASSERT_EQUAL(ct(20), 41);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_eager_binds_the_real_runtime(void)
{
	/* no test table: the context binds ldr_abi_bindings() */
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx,
				      "#include <xdrv/abi.h>\n"
				      "uint64_t now(void) { return xdrv_time_ns(); }\n"
				      "void clear(uint8_t *p, uint32_t n) { for (uint32_t i = 0; i "
				      "< n; i++) p[i] = 0; }\n",
				      NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			      0);
	uint64_t (*now)(void) = FX_FN(img, uint64_t(*)(void), "now");
	CU_ASSERT_PTR_NOT_NULL_FATAL(now);
	uint64_t a = xdrv_now_ns(), b = now(), c = xdrv_now_ns();
	CU_ASSERT(a <= b && b <= c);
	/* the loop becomes llvm.memset, lowered to a call of the ABI's memset */
	void (*clear)(uint8_t *, uint32_t) = FX_FN(img, void (*)(uint8_t *, uint32_t), "clear");
	uint8_t buf[300];
	memset(buf, 0xaa, sizeof buf);
	clear(buf, 299);
	CU_ASSERT_EQUAL(buf[0], 0);
	CU_ASSERT_EQUAL(buf[298], 0);
	CU_ASSERT_EQUAL(buf[299], 0xaa);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_eager_compiles_every_function_at_load(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	fx_use_test_abi(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, alloc_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			      0);
	/* twice() is inlined away by O2: fill and call_twice remain */
	CU_ASSERT_EQUAL(ldr_image_total_functions(img), 2);
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 2);
	struct ldr_timings t;
	ldr_image_timings(img, &t);
	CU_ASSERT(t.jit_ns > 0);
	CU_ASSERT(t.opt_ns > 0);
	CU_ASSERT(t.total_ns >= t.jit_ns + t.opt_ns);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_non_abi_import_fails_to_link(void)
{
	/* lint bypassed (LDR_LOAD_NO_LINT, as in most tests here, whose modules have no
	 * descriptor): the JIT itself must refuse, not resolve getpid from libc */
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	int rc = fx_load(ctx,
			 "int getpid(void);\n"
			 "int my_pid(void) { return getpid(); }\n",
			 NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err);
	CU_ASSERT_EQUAL(rc, -ENOEXEC);
	CU_ASSERT_PTR_NULL(img);
	CU_ASSERT(fx_has(err, "getpid"));
	CU_ASSERT(fx_has(err, "JIT link failed"));
	CU_ASSERT(fx_has(ldr_errmsg(ctx), "getpid"));
	free(err);
	ldr_ctx_destroy(ctx);
}

FX_JITCALL static void test_lint_rejects_non_abi_import_before_the_jit(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	int rc = fx_load(ctx,
			 "int getpid(void);\n"
			 "int my_pid(void) { return getpid(); }\n",
			 NULL, 0, NULL, 0, &img, &err);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT(fx_has(err, "getpid"));
	CU_ASSERT_FALSE(fx_has(err, "JIT"));
	free(err);
	ldr_ctx_destroy(ctx);
}

FX_JITCALL static void test_abi_symbol_newer_than_the_driver_is_not_bound(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	fx_use_test_abi(ctx); /* xdrv_future_call: since 1.999.0, newer than the module */
	int rc = fx_load(ctx,
			 "void xdrv_future_call(unsigned, const char *);\n"
			 "void f(void) { xdrv_future_call(1, \"x\"); }\n",
			 NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err);
	CU_ASSERT_EQUAL(rc, -ENOEXEC);
	CU_ASSERT(fx_has(err, "xdrv_future_call"));
	free(err);
	ldr_ctx_destroy(ctx);
}

FX_JITCALL static void test_images_cannot_see_each_other(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	struct ldr_image *a = NULL, *b = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, "int shared_secret(void) { return 42; }\n", NULL,
				      LDR_LOAD_NO_LINT, NULL, 0, &a, &err),
			      0);
	int rc = fx_load(ctx,
			 "int shared_secret(void);\n"
			 "int steal(void) { return shared_secret(); }\n",
			 NULL, LDR_LOAD_NO_LINT, NULL, 0, &b, &err);
	CU_ASSERT_EQUAL(rc, -ENOEXEC);
	CU_ASSERT(fx_has(err, "shared_secret"));
	free(err);
	ldr_ctx_destroy(ctx); /* unloads a */
}

FX_JITCALL static void test_unload_removes_the_code(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	const char *src = "int answer(void) { return 42; }\n";
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err), 0);
	int (*answer)(void) = FX_FN(img, int (*)(void), "answer");
	CU_ASSERT_PTR_NOT_NULL_FATAL(answer);
	CU_ASSERT_EQUAL(answer(), 42);
	/* keep the JITDylib handle: it outlives the image, empty */
	struct ldr_image ghost = {.ctx = ctx, .jd = img->jd, .label = "ghost"};
	uint64_t addr = 0;
	CU_ASSERT_EQUAL(ldr_jit_lookup(&ghost, (const char *const[]){"answer"}, 1, 0, &addr, &err),
			0);
	ldr_image_unload(img);
	CU_ASSERT_EQUAL(ldr_jit_lookup(&ghost, (const char *const[]){"answer"}, 1, 0, &addr, &err),
			-ENOENT);
	CU_ASSERT(fx_has(err, "answer"));
	free(err);
	err = NULL;
	/* and the same driver loads again */
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err), 0);
	answer = FX_FN(img, int (*)(void), "answer");
	CU_ASSERT_PTR_NOT_NULL_FATAL(answer);
	CU_ASSERT_EQUAL(answer(), 42);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
}

FX_JITCALL static void test_lookup_of_missing_symbol_names_it(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	uint64_t addr = 1;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, "int f(void) { return 1; }\n", NULL, LDR_LOAD_NO_LINT,
				      NULL, 0, &img, &err),
			      0);
	CU_ASSERT_EQUAL(ldr_image_lookup(img, "nosuch", &addr, &err), -ENOENT);
	CU_ASSERT(fx_has(err, "nosuch"));
	CU_ASSERT(fx_has(ldr_errmsg(ctx), "nosuch"));
	free(err);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
}

static const char *desc_src =
	"#include <xdrv/abi.h>\n"
	"static const struct xdrv_match match[] = {{.bus = XDRV_BUS_PCI, .vendor = 0x100b,\n"
	"  .device = 0x0022}, {.bus = 0}};\n"
	"static int32_t probe(xdrv_device_t *d) { return d ? 7 : -22; }\n"
	"static void rm(xdrv_device_t *d) { (void)d; }\n"
	"XDRV_DRIVER(.name = \"jtest\", .version = \"1.2.3\", .match = match, .probe = probe,\n"
	"  .remove = rm);\n";

FX_JITCALL static void test_descriptor_is_in_jit_memory(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, desc_src, NULL, 0, NULL, 0, &img, &err), 0);
	const struct xdrv_driver *d = ldr_image_descriptor(img);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->magic, XDRV_DRIVER_MAGIC);
	CU_ASSERT_EQUAL(d->struct_size, sizeof(struct xdrv_driver));
	CU_ASSERT_STRING_EQUAL(d->name, "jtest");
	CU_ASSERT_EQUAL(d->match[0].device, 0x22);
	CU_ASSERT_EQUAL(d->probe((xdrv_device_t *)(uintptr_t)0x1000), 7);
	/* probe and remove are static: not exported, but compiled */
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 2);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_ctx_refuses_bad_configuration(void)
{
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	struct ldr_config cfg = {0};
	CU_ASSERT_EQUAL(ldr_ctx_create(&cfg, &ctx, &err), -EINVAL);
	CU_ASSERT(fx_has(err, "no trust root"));
	free(err);
	err = NULL;
	cfg.allow_unsigned = 1;
	cfg.opt_level = 4;
	CU_ASSERT_EQUAL(ldr_ctx_create(&cfg, &ctx, &err), -EINVAL);
	CU_ASSERT(fx_has(err, "optimization level 4"));
	free(err);
	err = NULL;
	cfg.opt_level = 2;
	cfg.jit_mode = 7;
	CU_ASSERT_EQUAL(ldr_ctx_create(&cfg, &ctx, &err), -EINVAL);
	CU_ASSERT(fx_has(err, "JIT mode 7"));
	free(err);
	CU_ASSERT_PTR_NULL(ctx);
	ldr_ctx_destroy(NULL);
	ldr_image_unload(NULL);
	CU_ASSERT_STRING_EQUAL(ldr_errmsg(NULL), "");
}

FX_JITCALL static void test_host_description_names_triple_and_cpu(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	const char *d = ldr_host_description(ctx);
	CU_ASSERT(fx_has(d, "cpu="));
#if defined(__x86_64__)
	CU_ASSERT(strncmp(d, "x86_64", 6) == 0);
#endif
	CU_ASSERT_STRING_EQUAL(ldr_errmsg(ctx), "");
	ldr_ctx_destroy(ctx);
}

FX_JITCALL static void test_every_opt_level_produces_working_code(void)
{
	for (uint32_t lvl = 0; lvl <= 3; lvl++) {
		struct ldr_config cfg = {.allow_unsigned = 1, .opt_level = lvl};
		struct ldr_ctx *ctx = NULL;
		struct ldr_image *img = NULL;
		char *err = NULL;
		CU_ASSERT_EQUAL_FATAL(ldr_ctx_create(&cfg, &ctx, &err), 0);
		fx_use_test_abi(ctx);
		CU_ASSERT_EQUAL_FATAL(
			fx_load(ctx, alloc_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err), 0);
		int32_t (*fill)(uint32_t) = FX_FN(img, int32_t(*)(uint32_t), "fill");
		CU_ASSERT_PTR_NOT_NULL_FATAL(fill);
		CU_ASSERT_EQUAL(fill(4), 6);
		ldr_ctx_destroy(ctx);
		free(err);
	}
}

XTEST_SUITE(loader_jit, NULL, NULL, XTEST(test_eager_calls_driver_function_through_abi_import),
	    XTEST(test_eager_binds_the_real_runtime),
	    XTEST(test_eager_compiles_every_function_at_load),
	    XTEST(test_non_abi_import_fails_to_link),
	    XTEST(test_lint_rejects_non_abi_import_before_the_jit),
	    XTEST(test_abi_symbol_newer_than_the_driver_is_not_bound),
	    XTEST(test_images_cannot_see_each_other), XTEST(test_unload_removes_the_code),
	    XTEST(test_lookup_of_missing_symbol_names_it), XTEST(test_descriptor_is_in_jit_memory),
	    XTEST(test_ctx_refuses_bad_configuration),
	    XTEST(test_host_description_names_triple_and_cpu),
	    XTEST(test_every_opt_level_produces_working_code))
