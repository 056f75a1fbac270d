// SPDX-License-Identifier: MIT
/*
 * The loader's math helpers (ldr_rt_bindings, loader/abi_bind.c): the portable floating-point
 * intrinsics the lint allows become C library calls in a host's back end where the CPU has no
 * instruction for them, and such a driver must still link. The context's host CPU is set to the
 * baseline of this architecture, the way test_byte_order sets the host's byte order: on x86-64
 * (no SSE4.1, no FMA) LLVM 19 calls floor, ceil, trunc, rint, nearbyint, round, roundeven and
 * fma; on ppc64el (power8) nearbyint and roundeven; on riscv64 nearbyint; on arm64 nothing.
 */
#define __STDC_WANT_IEC_60559_BFP_EXT__ 1 /* roundeven, before any C library header */
#include "jit_fixture.h"

#include <errno.h>
#include <math.h>

/* __builtin_elementwise_*: the intrinsics whatever the errno setting */
static const char *calc_src =
	"void calc(double x, double *o, float *f) {\n"
	"  o[0] = __builtin_elementwise_floor(x); o[1] = __builtin_elementwise_ceil(x);\n"
	"  o[2] = __builtin_elementwise_trunc(x); o[3] = __builtin_elementwise_rint(x);\n"
	"  o[4] = __builtin_elementwise_nearbyint(x); o[5] = __builtin_elementwise_round(x);\n"
	"  o[6] = __builtin_elementwise_roundeven(x); o[7] = __builtin_elementwise_fma(x, x, x);\n"
	"  float y = (float)x;\n"
	"  f[0] = __builtin_elementwise_floor(y); f[1] = __builtin_elementwise_ceil(y);\n"
	"  f[2] = __builtin_elementwise_trunc(y); f[3] = __builtin_elementwise_rint(y);\n"
	"  f[4] = __builtin_elementwise_nearbyint(y); f[5] = __builtin_elementwise_round(y);\n"
	"  f[6] = __builtin_elementwise_roundeven(y); f[7] = __builtin_elementwise_fma(y, y, y);\n"
	"}\n";

/* The baseline CPU of this architecture, and a helper its back end calls there. */
#if defined(__x86_64__)
#define BASE_CPU      "x86-64"
#define BASE_FEATURES ""
#define BASE_CALLS    "floor"
#elif defined(__powerpc64__)
#define BASE_CPU      "pwr8"
#define BASE_FEATURES ""
#define BASE_CALLS    "nearbyint"
#elif defined(__riscv)
#define BASE_CPU      "generic-rv64"
#define BASE_FEATURES "+m,+a,+f,+d,+c"
#define BASE_CALLS    "nearbyint"
#else
#define BASE_CPU      "generic"
#define BASE_FEATURES ""
#endif

/* An eager context whose JIT compiles for the baseline CPU. */
static struct ldr_ctx *baseline_ctx(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	if (!ctx)
		return NULL;
	char *err = NULL;
	ldr_jit_destroy(ctx);
	free(ctx->host.cpu);
	free(ctx->host.features);
	ctx->host.cpu = strdup(BASE_CPU);
	ctx->host.features = strdup(BASE_FEATURES);
	if (!ctx->host.cpu || !ctx->host.features || ldr_jit_create(ctx, 2, &err) != 0) {
		fprintf(stderr, "baseline_ctx: %s\n", err ? err : "out of memory");
		free(err);
		ldr_ctx_destroy(ctx);
		return NULL;
	}
	return ctx;
}

static void test_rt_bindings_are_the_c_library(void)
{
	size_t n = 0;
	const struct ldr_abi_binding *b = ldr_rt_bindings(&n);
	CU_ASSERT_EQUAL(n, 16);
	bool have_floor = false, have_fmaf = false;
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_PTR_NOT_NULL(b[i].addr);
		CU_ASSERT_EQUAL(b[i].since, 0);
		/* never importable: not in symbols.def */
		CU_ASSERT_EQUAL(sdk_abi_symbol_version(b[i].name), 0);
		if (strcmp(b[i].name, "floor") == 0)
			have_floor = b[i].addr == (void (*)(void))floor;
		if (strcmp(b[i].name, "fmaf") == 0)
			have_fmaf = b[i].addr == (void (*)(void))fmaf;
	}
	CU_ASSERT_TRUE(have_floor);
	CU_ASSERT_TRUE(have_fmaf);
}

FX_JITCALL static void test_baseline_cpu_links_the_math_helpers(void)
{
	struct ldr_ctx *ctx = baseline_ctx();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_image *img = NULL;
	char *err = NULL;
	int rc = fx_load(ctx, calc_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		fprintf(stderr, "\nload on %s: %s\n", BASE_CPU, err);
	void (*calc)(double, double *, float *) =
		img ? FX_FN(img, void (*)(double, double *, float *), "calc") : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(calc);
	static const double xs[] = {2.5, -2.5, 3.5, 0.49999999999999994, -7.25};
	for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
		double x = xs[i], o[8];
		float y = (float)x, f[8];
		calc(x, o, f);
		double want[8] = {floor(x),	ceil(x),  trunc(x),	nearbyint(x),
				  nearbyint(x), round(x), roundeven(x), fma(x, x, x)};
		float wantf[8] = {floorf(y),	 ceilf(y),  truncf(y),	   nearbyintf(y),
				  nearbyintf(y), roundf(y), roundevenf(y), fmaf(y, y, y)};
		for (int k = 0; k < 8; k++) {
			CU_ASSERT_EQUAL(o[k], want[k]);
			CU_ASSERT_EQUAL(f[k], wantf[k]);
		}
	}
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

#ifdef BASE_CALLS
static void test_baseline_cpu_needs_them(void)
{
	/* the same module without the helpers: the back end's call does not link, so the test
	 * above really went through a helper on this CPU */
	struct ldr_ctx *ctx = baseline_ctx();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	ctx->nrt_bindings = 0;
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_NOT_EQUAL(fx_load(ctx, calc_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err), 0);
	CU_ASSERT_PTR_NULL(img);
	CU_ASSERT(fx_has(err, "Symbols not found") && fx_has(err, BASE_CALLS));
	ldr_ctx_destroy(ctx);
	free(err);
}
#define NEEDS_CASE XTEST(test_baseline_cpu_needs_them),
#else
#define NEEDS_CASE /* arm64: no helper call at any CPU level */
#endif

FX_JITCALL static void test_driver_function_of_a_helper_name_wins(void)
{
	/* the helpers are weak: a driver that defines its own floor links (no duplicate
	 * definition), and the name resolves to the driver's function */
	struct ldr_ctx *ctx = baseline_ctx();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_image *img = NULL;
	char *err = NULL;
	int rc = fx_load(ctx,
			 "double floor(double x) { return x + 40.0; }\n"
			 "double use(double x) { return __builtin_elementwise_ceil(x); }\n",
			 NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		fprintf(stderr, "\nload: %s\n", err);
	double (*own)(double) = img ? FX_FN(img, double (*)(double), "floor") : NULL;
	double (*use)(double) = img ? FX_FN(img, double (*)(double), "use") : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(own);
	CU_ASSERT_PTR_NOT_NULL_FATAL(use);
	CU_ASSERT_EQUAL(own(2.0), 42.0);
	CU_ASSERT_EQUAL(use(2.25), 3.0);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

XTEST_SUITE(loader_rt_helpers, NULL, NULL, XTEST(test_rt_bindings_are_the_c_library),
	    XTEST(test_baseline_cpu_links_the_math_helpers),
	    NEEDS_CASE XTEST(test_driver_function_of_a_helper_name_wins))
