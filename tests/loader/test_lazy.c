// SPDX-License-Identifier: MIT
/*
 * Tests for loader/lazy.c: per-function compilation behind stubs, ORC's lazy re-exports where
 * LLVM has them for the host and the loader's IR thunks elsewhere (the fx_ctx_thunks tests force
 * the thunks here). After loading, only the globals are in memory and every function is a stub;
 * a thunk calls its body through a slot, the first call resolves the slot (compiling the body),
 * later calls go straight through it. Internal functions and data are shared between the
 * partitions, function addresses are the thunks' everywhere, ABI-sensitive signatures (small
 * integers, structs by value and returned through memory, variadic) survive the indirection, and a
 * failed lazy compile returns XDRV_EIO instead of crashing.
 */
#include "jit_fixture.h"

#include <errno.h>

static const char *chain_src =
	"#include <xdrv/abi.h>\n"
	"static int counter;\n"
	"static const char tag[] = \"lazy\";\n"
	"__attribute__((noinline)) static int bump(int by) { counter += by; return counter; }\n"
	"int first(int x) { return x + 1; }\n"
	"int second(int x) { return bump(x) + tag[1]; }\n"
	"int third(void) { return counter; }\n"
	"void *addr_of_first(void) { return (void *)first; }\n"
	"int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }\n";

FX_JITCALL static void test_lazy_compiles_only_what_is_called(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_LAZY);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, chain_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			      0);
	/* first, second, third, addr_of_first, fact, bump */
	CU_ASSERT_EQUAL(ldr_image_total_functions(img), 6);
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 0);
	int (*first)(int) = FX_FN(img, int (*)(int), "first");
	int (*second)(int) = FX_FN(img, int (*)(int), "second");
	CU_ASSERT_PTR_NOT_NULL_FATAL(first);
	CU_ASSERT_PTR_NOT_NULL_FATAL(second);
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 0); /* a lookup gives the stub */
	CU_ASSERT_EQUAL(first(41), 42);
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 1);
	CU_ASSERT_EQUAL(first(1), 2);
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 1);
	/* second calls bump through its stub: two more bodies */
	CU_ASSERT_EQUAL(second(5), 5 + 'a');
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 3);
	CU_ASSERT_EQUAL(second(5), 10 + 'a');
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 3);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_lazy_partitions_share_internal_data(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_LAZY);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, chain_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			      0);
	int (*second)(int) = FX_FN(img, int (*)(int), "second");
	int (*third)(void) = FX_FN(img, int (*)(void), "third");
	CU_ASSERT_PTR_NOT_NULL_FATAL(second);
	CU_ASSERT_PTR_NOT_NULL_FATAL(third);
	second(3);
	second(4);
	CU_ASSERT_EQUAL(third(), 7); /* `counter` lives once, in the globals partition */
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_lazy_function_has_one_address(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_LAZY);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, chain_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			      0);
	void *(*aof)(void) = FX_FN(img, void *(*)(void), "addr_of_first");
	void *first = FX_FN(img, void *, "first");
	CU_ASSERT_PTR_NOT_NULL_FATAL(aof);
	CU_ASSERT_PTR_EQUAL(aof(), first);
	int (*fact)(int) = FX_FN(img, int (*)(int), "fact");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fact);
	CU_ASSERT_EQUAL(fact(6), 720); /* recursion through its own stub */
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_lazy_hides_bodies_and_internal_symbols(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_LAZY);
	struct ldr_image *img = NULL;
	char *err = NULL;
	uint64_t a = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, chain_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			      0);
	CU_ASSERT_EQUAL(ldr_image_lookup(img, "first$body", &a, &err), -ENOENT);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(ldr_image_lookup(img, "bump", &a, &err), -ENOENT);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(ldr_image_lookup(img, "counter", &a, &err), -ENOENT);
	CU_ASSERT(fx_has(err, "counter"));
	free(err);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
}

static const char *drv_src =
	"#include <xdrv/abi.h>\n"
	"static const struct xdrv_match match[] = {{.bus = XDRV_BUS_PLATFORM,\n"
	"  .compatible = \"ns16550a\"}, {.bus = 0}};\n"
	"static int probed;\n"
	"__attribute__((noinline)) static void note(void) { xdrv_log(XDRV_LOG_INFO, \"probed\"); "
	"}\n"
	"static int32_t probe(xdrv_device_t *d) { (void)d; probed++; note(); return 0; }\n"
	"static void rm(xdrv_device_t *d) { (void)d; probed--; }\n"
	"XDRV_DRIVER(.name = \"lazyd\", .version = \"0.1.0\", .match = match, .probe = probe,\n"
	"  .remove = rm);\n";

FX_JITCALL static void test_lazy_descriptor_points_to_stubs(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_LAZY);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	fx_use_test_abi(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, drv_src, NULL, 0, NULL, 0, &img, &err), 0);
	const struct xdrv_driver *d = ldr_image_descriptor(img);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d->name, "lazyd");
	CU_ASSERT_STRING_EQUAL(d->match[0].compatible, "ns16550a");
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 0);
	CU_ASSERT_EQUAL(d->probe(NULL), 0);
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 2); /* probe, note */
	CU_ASSERT_EQUAL(fx_abi.logs, 1);
	CU_ASSERT_STRING_EQUAL(fx_abi.last_log, "probed");
	d->remove(NULL);
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 3);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_lazy_link_failure_returns_eio_on_call(void)
{
	/* lint bypassed: the import is found missing only when the function is first called */
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_LAZY);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx,
				      "int getpid(void);\n"
				      "int fine(void) { return 5; }\n"
				      "int bad(void) { return getpid(); }\n",
				      NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			      0);
	int (*fine)(void) = FX_FN(img, int (*)(void), "fine");
	int (*bad)(void) = FX_FN(img, int (*)(void), "bad");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fine);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
	uint64_t before = ldr_lazy_failures();
	CU_ASSERT_EQUAL(bad(), XDRV_EIO);
	CU_ASSERT_EQUAL(ldr_lazy_failures(), before + 1);
	char *reported = ldr_jit_take_errors(ctx);
	CU_ASSERT(fx_has(reported, "getpid"));
	free(reported);
	CU_ASSERT_EQUAL(fine(), 5); /* the rest of the driver still works */
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_lazy_unload_and_reload(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_LAZY);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	for (int round = 0; round < 3; round++) {
		struct ldr_image *img = NULL;
		CU_ASSERT_EQUAL_FATAL(
			fx_load(ctx, chain_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err), 0);
		int (*second)(int) = FX_FN(img, int (*)(int), "second");
		CU_ASSERT_PTR_NOT_NULL_FATAL(second);
		CU_ASSERT_EQUAL(second(1), 1 + 'a'); /* fresh globals each time */
		if (round == 1)
			continue; /* left loaded: ldr_ctx_destroy unloads it */
		ldr_image_unload(img);
	}
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_lazy_and_eager_agree(void)
{
	static const char *src =
		"#include <xdrv/abi.h>\n"
		"static uint32_t tbl[64];\n"
		"static void init(void) { for (int i = 0; i < 64; i++) tbl[i] = i * i; }\n"
		"uint32_t sum(uint32_t n) { if (!tbl[2]) init(); uint32_t s = 0;\n"
		"  for (uint32_t i = 0; i < n && i < 64; i++) s += tbl[i]; return s; }\n";
	uint32_t got[2];
	for (uint32_t mode = 0; mode < 2; mode++) {
		struct ldr_ctx *ctx = fx_ctx(mode);
		struct ldr_image *img = NULL;
		char *err = NULL;
		CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
		CU_ASSERT_EQUAL_FATAL(
			fx_load(ctx, src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err), 0);
		uint32_t (*sum)(uint32_t) = FX_FN(img, uint32_t(*)(uint32_t), "sum");
		CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
		got[mode] = sum(10);
		ldr_ctx_destroy(ctx);
		free(err);
	}
	CU_ASSERT_EQUAL(got[0], 285);
	CU_ASSERT_EQUAL(got[1], 285);
}

FX_JITCALL static void test_lazy_splits_modules_with_debug_info(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_LAZY);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	int rc = fx_load_flags(ctx, chain_src, "-g", NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	if (rc)
		fprintf(stderr, "%s\n", err);
	int (*second)(int) = FX_FN(img, int (*)(int), "second");
	CU_ASSERT_PTR_NOT_NULL_FATAL(second);
	CU_ASSERT_EQUAL(second(2), 2 + 'a');
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 2);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

/* A lazy-mode context whose images use the loader's IR thunks even where ORC has lazy
 * re-exports (x86_64, arm64): the stubs powerpc64le always gets. */
static struct ldr_ctx *fx_ctx_thunks(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_LAZY);
	if (ctx)
		ctx->lazy_thunks_always = 1;
	return ctx;
}

/* The address of F's compiled body (hidden: only the resolver and this test look it up). */
static uint64_t body_addr(struct ldr_image *img, const char *fname)
{
	char name[128];
	uint64_t a = 0;
	char *err = NULL;
	snprintf(name, sizeof name, "%s$body", fname);
	const char *names[1] = {name};
	if (ldr_jit_lookup(img, names, 1, 0, &a, &err) != 0)
		a = 0;
	free(err);
	return a;
}

FX_JITCALL static void test_lazy_every_call_goes_through_a_slot(void)
{
	struct ldr_ctx *ctx = fx_ctx_thunks();
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, chain_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			      0);
	CU_ASSERT_EQUAL(img->nlazy, 6); /* one thunk per defined function */
	CU_ASSERT_EQUAL(img->lazy_resolved, 0);
	int (*second)(int) = FX_FN(img, int (*)(int), "second");
	CU_ASSERT_PTR_NOT_NULL_FATAL(second);
	/* the name is the thunk, not the body; nothing was resolved by looking it up */
	CU_ASSERT_EQUAL(img->lazy_resolved, 0);
	CU_ASSERT_EQUAL(second(2), 2 + 'a');
	/* second's thunk and, from second's body, bump's thunk: two slots filled, two bodies */
	CU_ASSERT_EQUAL(img->lazy_resolved, 2);
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 2);
	CU_ASSERT_EQUAL(second(3), 5 + 'a');
	CU_ASSERT_EQUAL(img->lazy_resolved, 2); /* later calls go through the filled slots */
	uint64_t body = body_addr(img, "second");
	CU_ASSERT(body != 0);
	CU_ASSERT(body != (uint64_t)(uintptr_t)second);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

static const char *ptr_src =
	"#include <xdrv/abi.h>\n"
	"typedef int (*fn_t)(int);\n"
	"int twice(int x) { return 2 * x; }\n"
	"fn_t get_twice(void) { return twice; }\n"
	"fn_t volatile hook = twice; /* volatile: the optimizer cannot see which function */\n"
	"int via_ptr(int x) { return hook(x); }\n"
	"int is_even(unsigned n);\n"
	"int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }\n"
	"int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }\n";

FX_JITCALL static void test_lazy_pointers_equal_before_and_after_resolve(void)
{
	struct ldr_ctx *ctx = fx_ctx_thunks();
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, ptr_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			      0);
	void *(*get)(void) = FX_FN(img, void *(*)(void), "get_twice");
	void *twice = FX_FN(img, void *, "twice");
	int (*via_ptr)(int) = FX_FN(img, int (*)(int), "via_ptr");
	CU_ASSERT_PTR_NOT_NULL_FATAL(get);
	CU_ASSERT_PTR_NOT_NULL_FATAL(twice);
	CU_ASSERT_PTR_NOT_NULL_FATAL(via_ptr);
	/* before twice is resolved: the driver's pointer is the loader's */
	CU_ASSERT_PTR_EQUAL(get(), twice);
	CU_ASSERT_EQUAL(img->lazy_resolved, 1); /* get_twice only */
	/* called through a pointer the driver stored: the thunk resolves its slot */
	CU_ASSERT_EQUAL(via_ptr(21), 42);
	CU_ASSERT_EQUAL(img->lazy_resolved, 3); /* + via_ptr, twice */
	/* after: the same pointer */
	CU_ASSERT_PTR_EQUAL(get(), twice);
	CU_ASSERT_EQUAL(((int (*)(int))(uintptr_t)twice)(5), 10);
	/* mutual recursion, each call through the other's thunk */
	int (*is_even)(unsigned) = FX_FN(img, int (*)(unsigned), "is_even");
	CU_ASSERT_PTR_NOT_NULL_FATAL(is_even);
	CU_ASSERT_EQUAL(is_even(1001), 0);
	CU_ASSERT_EQUAL(is_even(1000), 1);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

static const char *abi_src =
	"#include <xdrv/abi.h>\n"
	"struct big { int64_t a[3]; };\n"
	"__attribute__((noinline)) static struct big make(int64_t x) { struct big b;\n"
	"  for (int i = 0; i < 3; i++) b.a[i] = x + i; return b; }\n"
	"__attribute__((noinline)) static int64_t total(struct big b) { int64_t s = 0;\n"
	"  for (int i = 0; i < 3; i++) s += b.a[i]; return s; }\n"
	"__attribute__((noinline)) int8_t narrow(int8_t c, uint16_t w) { return (int8_t)(c - "
	"(int8_t)w); }\n"
	"__attribute__((noinline)) int twice_n(int n, ...) { return 2 * n; }\n"
	"int64_t big_round_trip(int64_t x) { return total(make(x)); }\n"
	"int32_t use_narrow(void) { return narrow(-100, 60000); }\n"
	"int use_variadic(void) { return twice_n(4, 1, 2, 3, 4); }\n";

FX_JITCALL static void test_lazy_thunks_keep_the_abi(void)
{
	struct ldr_ctx *ctx = fx_ctx_thunks();
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	int rc = fx_load(ctx, abi_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err);
	if (rc)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	int64_t (*rt)(int64_t) = FX_FN(img, int64_t(*)(int64_t), "big_round_trip");
	int32_t (*un)(void) = FX_FN(img, int32_t(*)(void), "use_narrow");
	int (*uv)(void) = FX_FN(img, int (*)(void), "use_variadic");
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(un);
	CU_ASSERT_PTR_NOT_NULL_FATAL(uv);
	CU_ASSERT_EQUAL(rt(10), 3 * 10 + 3);	    /* returned in memory, passed by value */
	CU_ASSERT_EQUAL(un(), (int8_t)(-100 - 96)); /* (int8_t)60000 == 96: sign extension */
	/* variadic (the lint refuses va_arg, not this): no thunk, the body stays in the globals */
	CU_ASSERT_EQUAL(uv(), 8);
	CU_ASSERT_EQUAL(img->nlazy, 7);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_lazy_failure_is_retried_and_counted_each_call(void)
{
	struct ldr_ctx *ctx = fx_ctx_thunks();
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx,
				      "int getpid(void);\n"
				      "int bad(void) { return getpid(); }\n",
				      NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			      0);
	int (*bad)(void) = FX_FN(img, int (*)(void), "bad");
	CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
	uint64_t before = ldr_lazy_failures();
	CU_ASSERT_EQUAL(bad(), XDRV_EIO);
	CU_ASSERT_EQUAL(bad(), XDRV_EIO); /* the slot stayed empty: resolved again, fails again */
	CU_ASSERT_EQUAL(ldr_lazy_failures(), before + 2);
	CU_ASSERT_EQUAL(img->lazy_resolved, 0);
	free(ldr_jit_take_errors(ctx));
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_lazy_refuses_the_loaders_names(void)
{
	struct ldr_ctx *ctx = fx_ctx_thunks();
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL(fx_load(ctx,
				"void *__xdrv_lazy_resolve(void *a, void *b, int c) { return a; }\n"
				"int f(void) { return 1; }\n",
				NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			-EINVAL);
	CU_ASSERT(fx_has(err, "the driver defines __xdrv_lazy_resolve"));
	CU_ASSERT_PTR_NULL(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_lazy_stub_kind_per_host(void)
{
	/* ORC's lazy re-exports where LLVM 19 has a call-through manager, the thunks elsewhere */
#if defined(__x86_64__) || defined(__aarch64__)
	const int orc = 1;
#else
	const int orc = 0;
#endif
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_LAZY);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, chain_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			      0);
	CU_ASSERT_EQUAL(img->lctm != NULL, orc);
	int (*second)(int) = FX_FN(img, int (*)(int), "second");
	CU_ASSERT_PTR_NOT_NULL_FATAL(second);
	CU_ASSERT_EQUAL(second(2), 2 + 'a');
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 2);
	CU_ASSERT_EQUAL(img->lazy_resolved, orc ? 0 : 2); /* the thunks count what they resolve */
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_lazy_thunks_descriptor_and_hidden_symbols(void)
{
	struct ldr_ctx *ctx = fx_ctx_thunks();
	struct ldr_image *img = NULL;
	char *err = NULL;
	uint64_t a = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	fx_use_test_abi(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, drv_src, NULL, 0, NULL, 0, &img, &err), 0);
	CU_ASSERT_PTR_NULL(img->lctm);
	const struct xdrv_driver *d = ldr_image_descriptor(img);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d->name, "lazyd");
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 0); /* thunks are not counted */
	CU_ASSERT_EQUAL(d->probe(NULL), 0);
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 2); /* probe, note */
	CU_ASSERT_EQUAL(fx_abi.logs, 1);
	d->remove(NULL);
	CU_ASSERT_EQUAL(ldr_image_compiled_functions(img), 3);
	CU_ASSERT_EQUAL(img->lazy_resolved, 3);
	/* bodies, static functions' thunks and slots are not exported */
	CU_ASSERT_EQUAL(ldr_image_lookup(img, "probe$body", &a, &err), -ENOENT);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(ldr_image_lookup(img, "note", &a, &err), -ENOENT);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(ldr_image_lookup(img, "probe$slot", &a, &err), -ENOENT);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

/* Mappings of this process that are writable and executable at once. */
static int rwx_mappings(void)
{
	size_t len = 0;
	unsigned char *maps = xtest_read("/proc/self/maps", &len);
	int n = 0;
	for (char *l = (char *)maps; l && *l;) {
		char *nl = strchr(l, '\n');
		char perms[5] = "";
		if (sscanf(l, "%*s %4s", perms) == 1 && perms[1] == 'w' && perms[2] == 'x') {
			fprintf(stderr, "rwx: %.*s\n", nl ? (int)(nl - l) : (int)strlen(l), l);
			n++;
		}
		l = nl ? nl + 1 : l + strlen(l);
	}
	free(maps);
	return n;
}

FX_JITCALL static void test_jit_memory_is_never_writable_and_executable(void)
{
	int before = rwx_mappings();
	for (uint32_t mode = 0; mode < 2; mode++) {
		struct ldr_ctx *ctx = fx_ctx(mode);
		struct ldr_image *img = NULL;
		char *err = NULL;
		CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
		CU_ASSERT_EQUAL_FATAL(
			fx_load(ctx, chain_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err), 0);
		int (*second)(int) = FX_FN(img, int (*)(int), "second");
		int (*fact)(int) = FX_FN(img, int (*)(int), "fact");
		CU_ASSERT_PTR_NOT_NULL_FATAL(second);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fact);
		CU_ASSERT_EQUAL(fact(5), 120);
		second(1);
		/* code, stubs, trampolines and data all exist now */
		CU_ASSERT_EQUAL(rwx_mappings(), before);
		ldr_ctx_destroy(ctx);
		free(err);
	}
}

XTEST_SUITE(loader_lazy, NULL, NULL, XTEST(test_lazy_compiles_only_what_is_called),
	    XTEST(test_lazy_partitions_share_internal_data),
	    XTEST(test_lazy_function_has_one_address),
	    XTEST(test_lazy_hides_bodies_and_internal_symbols),
	    XTEST(test_lazy_descriptor_points_to_stubs),
	    XTEST(test_lazy_link_failure_returns_eio_on_call), XTEST(test_lazy_unload_and_reload),
	    XTEST(test_lazy_and_eager_agree), XTEST(test_lazy_splits_modules_with_debug_info),
	    XTEST(test_lazy_every_call_goes_through_a_slot),
	    XTEST(test_lazy_pointers_equal_before_and_after_resolve),
	    XTEST(test_lazy_thunks_keep_the_abi),
	    XTEST(test_lazy_failure_is_retried_and_counted_each_call),
	    XTEST(test_lazy_refuses_the_loaders_names), XTEST(test_lazy_stub_kind_per_host),
	    XTEST(test_lazy_thunks_descriptor_and_hidden_symbols),
	    XTEST(test_jit_memory_is_never_writable_and_executable))
