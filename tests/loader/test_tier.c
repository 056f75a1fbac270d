// SPDX-License-Identifier: MIT
/*
 * Tests for loader/tier.c: tier auto links an O0 first tier whose functions are called through
 * slots, compiles O2 in a background thread and swaps it in at ldr_tier_poll. The results and
 * the driver's state are the same before and after the swap, every slot then holds the tier-2
 * body's address (another than tier 1's), function addresses stay the thunks', a tier 2 that
 * fails leaves tier 1 running and says why, an image unloaded while tier 2 compiles is fine,
 * and the object cache's key names the tier. Re-specialization (ldr_image_param_set) of
 * swappable code: the new value runs with the old state, refusals change nothing, one swap at
 * a time, a failed compile leaves the running generation.
 */
#include "jit_fixture.h"

#include <errno.h>

static const char *tier_src =
	"#include <xdrv/abi.h>\n"
	"static int counter;\n"
	"static const int scale = 3;\n"
	"__attribute__((noinline)) static int bump(int by) { counter += by * scale; "
	"return counter; }\n"
	"int step(int x) { return bump(x) + 1; }\n"
	"int get(void) { return counter; }\n"
	"void *addr_of_step(void) { return (void *)step; }\n"
	"int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }\n"
	/* variadic (no va_start: the lint refuses it), so it keeps one body, tier 1's */
	"__attribute__((noinline)) int twice_n(int n, ...) { return 2 * n; }\n"
	"int call_vsum(void) { return twice_n(3, 1, 2, 3); }\n"
	/* which code runs: the address `who` returns to from `where` (the store keeps the call from
	 * being a tail call) */
	"__attribute__((noinline)) void *where(void) { return __builtin_return_address(0); }\n"
	"static volatile int sink;\n"
	"void *who(void) { void *p = where(); sink = 1; return p; }\n";

static struct ldr_ctx *tier_ctx(uint32_t tier)
{
	struct ldr_config cfg = {
		.allow_unsigned = 1, .jit_mode = LDR_JIT_EAGER, .opt_level = 2, .tier = tier};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	if (ldr_ctx_create(&cfg, &ctx, &err) != 0) {
		fprintf(stderr, "tier_ctx: %s\n", err);
		free(err);
		return NULL;
	}
	return ctx;
}

/* Any symbol of the image, hidden ones too. */
static uint64_t sym(struct ldr_image *img, const char *name)
{
	uint64_t a = 0;
	char *err = NULL;
	if (ldr_jit_lookup(img, &name, 1, 0, &a, &err) != 0) {
		fprintf(stderr, "lookup %s: %s\n", name, err);
		a = 0;
	}
	free(err);
	return a;
}

static int observed;
static struct ldr_tier_info observed_info;
static void observe(void *arg, struct ldr_image *img, const struct ldr_tier_info *ti)
{
	(void)img;
	(*(int *)arg)++;
	observed_info = *ti;
}

FX_JITCALL static void test_tier_swap_keeps_state_and_changes_slots(void)
{
	struct ldr_ctx *ctx = tier_ctx(LDR_TIER_AUTO);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, tier_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			      0);
	observed = 0;
	ldr_tier_set_observer(observe, &observed);
	struct ldr_tier_info ti;
	ldr_image_tier_info(img, &ti);
	CU_ASSERT(ti.state == LDR_TIER_COMPILING || ti.state == LDR_TIER_READY);
	/* step get addr_of_step fact call_vsum where who bump; twice_n is variadic: no slot */
	CU_ASSERT_EQUAL(ti.functions, 8);
	CU_ASSERT_EQUAL(ti.opt_level, 2);
	CU_ASSERT_EQUAL(ldr_image_total_functions(img), 9); /* thunks are not counted */

	int (*step)(int) = FX_FN(img, int (*)(int), "step");
	int (*get)(void) = FX_FN(img, int (*)(void), "get");
	int (*fact)(int) = FX_FN(img, int (*)(int), "fact");
	int (*vs)(void) = FX_FN(img, int (*)(void), "call_vsum");
	void *(*addr_of_step)(void) = FX_FN(img, void *(*)(void), "addr_of_step");
	void *(*who)(void) = FX_FN(img, void *(*)(void), "who");
	CU_ASSERT_PTR_NOT_NULL_FATAL(who);
	uint64_t who_body = sym(img, "who$body");
	uint64_t ra = (uint64_t)(uintptr_t)who();
	CU_ASSERT(ra > who_body && ra < who_body + 512); /* tier 1's body runs */
	CU_ASSERT_PTR_NOT_NULL_FATAL(step);
	CU_ASSERT_PTR_NOT_NULL_FATAL(get);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fact);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(addr_of_step);
	void **slot = (void **)(uintptr_t)sym(img, "step$slot");
	uint64_t body = sym(img, "step$body");
	CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
	CU_ASSERT_NOT_EQUAL_FATAL(body, 0);
	CU_ASSERT_EQUAL((uint64_t)(uintptr_t)*slot, body); /* tier 1 */

	/* tier 1 runs */
	CU_ASSERT_EQUAL(step(1), 4);
	CU_ASSERT_EQUAL(get(), 3);
	CU_ASSERT_EQUAL(fact(6), 720);
	CU_ASSERT_EQUAL(vs(), 6); /* 2 * 3 */
	CU_ASSERT_PTR_EQUAL(addr_of_step(), (void *)step);

	/* tier 2 compiled, then swapped in at the poll, not before */
	CU_ASSERT_EQUAL_FATAL(ldr_image_tier_wait(img, 120000), 0);
	ldr_image_tier_info(img, &ti);
	CU_ASSERT_EQUAL(ti.state, LDR_TIER_READY);
	CU_ASSERT_EQUAL((uint64_t)(uintptr_t)*slot, body);
	CU_ASSERT_EQUAL(ldr_tier_poll(), 1);
	CU_ASSERT_EQUAL(ldr_tier_poll(), 0); /* once */
	ldr_image_tier_info(img, &ti);
	CU_ASSERT_EQUAL(ti.state, LDR_TIER_LIVE);
	CU_ASSERT_EQUAL(ti.swapped, 8);
	CU_ASSERT(ti.obj_len > 0);
	CU_ASSERT(ti.compile_ns > 0 && ti.swap_ns > 0 && ti.live_after_ns >= ti.swap_ns);
	CU_ASSERT_EQUAL(observed, 1);
	CU_ASSERT_EQUAL(observed_info.state, LDR_TIER_LIVE);
	CU_ASSERT_EQUAL(memcmp(observed_info.obj_sha256, ti.obj_sha256, 32), 0);
	uint64_t o2 = sym(img, "step$o2");
	CU_ASSERT_NOT_EQUAL(o2, 0);
	CU_ASSERT_NOT_EQUAL(o2, body);
	CU_ASSERT_EQUAL((uint64_t)(uintptr_t)*slot, o2); /* the thunk calls tier 2 now */
	uint64_t who_o2 = sym(img, "who$o2");
	ra = (uint64_t)(uintptr_t)who();
	CU_ASSERT(ra > who_o2 && ra < who_o2 + 512); /* and tier 2's code is what runs */
	CU_ASSERT(!(ra > who_body && ra < who_body + 512));
	static const char *const fns[] = {"step",      "get",	"addr_of_step", "fact",
					  "call_vsum", "where", "who",		"bump"};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		char n[64];
		snprintf(n, sizeof n, "%s$slot", fns[i]);
		void **s = (void **)(uintptr_t)sym(img, n);
		snprintf(n, sizeof n, "%s$o2", fns[i]);
		uint64_t a = sym(img, n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_NOT_EQUAL(a, 0);
		CU_ASSERT_EQUAL((uint64_t)(uintptr_t)*s, a);
	}

	/* the same state, the same results, the same addresses */
	CU_ASSERT_EQUAL(get(), 3);
	CU_ASSERT_EQUAL(step(2), 10);
	CU_ASSERT_EQUAL(get(), 9);
	CU_ASSERT_EQUAL(fact(6), 720);
	CU_ASSERT_EQUAL(vs(), 6);			   /* 2 * 3 */
	CU_ASSERT_PTR_EQUAL(addr_of_step(), (void *)step); /* tier 2 takes the thunk's address */
	CU_ASSERT_EQUAL(FX_FN(img, int (*)(int), "step"), step);
	ldr_tier_set_observer(NULL, NULL);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_tier_failure_leaves_tier1_running(void)
{
	struct ldr_ctx *ctx = tier_ctx(LDR_TIER_AUTO);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	ctx->tier_test_corrupt = 1;
	CU_ASSERT_EQUAL_FATAL(fx_load(ctx, tier_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err),
			      0);
	int (*step)(int) = FX_FN(img, int (*)(int), "step");
	CU_ASSERT_PTR_NOT_NULL_FATAL(step);
	CU_ASSERT_EQUAL(step(1), 4);
	CU_ASSERT_EQUAL_FATAL(ldr_image_tier_wait(img, 120000), 0);
	CU_ASSERT_EQUAL(ldr_tier_poll(), 1);
	struct ldr_tier_info ti;
	ldr_image_tier_info(img, &ti);
	CU_ASSERT_EQUAL(ti.state, LDR_TIER_FAILED);
	CU_ASSERT_EQUAL(ti.swapped, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(ti.error, "tier 2"));
	void **slot = (void **)(uintptr_t)sym(img, "step$slot");
	CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
	CU_ASSERT_EQUAL((uint64_t)(uintptr_t)*slot, sym(img, "step$body"));
	CU_ASSERT_EQUAL(step(1), 7); /* tier 1 carries on, with its state */
	CU_ASSERT_EQUAL(ldr_tier_poll(), 0);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_tier_unload_while_compiling(void)
{
	struct ldr_ctx *ctx = tier_ctx(LDR_TIER_AUTO);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	for (int i = 0; i < 3; i++) {
		struct ldr_image *img = NULL;
		char *err = NULL;
		CU_ASSERT_EQUAL_FATAL(
			fx_load(ctx, tier_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err), 0);
		ldr_image_unload(img); /* joins tier 2's thread; nothing left to poll */
		CU_ASSERT_EQUAL(ldr_tier_poll(), 0);
		free(err);
	}
	ldr_ctx_destroy(ctx);
}

FX_JITCALL static void test_tier_fast_and_full_are_not_tiered(void)
{
	for (uint32_t tier = LDR_TIER_FULL; tier <= LDR_TIER_FAST; tier++) {
		struct ldr_ctx *ctx = tier_ctx(tier);
		struct ldr_image *img = NULL;
		char *err = NULL;
		CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
		CU_ASSERT_EQUAL(ldr_ctx_opt_level(ctx), tier == LDR_TIER_FAST ? 0u : 2u);
		CU_ASSERT_EQUAL_FATAL(
			fx_load(ctx, tier_src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err), 0);
		struct ldr_tier_info ti;
		ldr_image_tier_info(img, &ti);
		CU_ASSERT_EQUAL(ti.state, LDR_TIER_NONE);
		CU_ASSERT_EQUAL(ldr_image_tier_wait(img, 10), -ENODATA);
		int (*step)(int) = FX_FN(img, int (*)(int), "step");
		CU_ASSERT_PTR_NOT_NULL_FATAL(step);
		CU_ASSERT_EQUAL(step(2), 7);
		ldr_image_unload(img);
		ldr_ctx_destroy(ctx);
		free(err);
	}
}

static void test_tier_config_and_names(void)
{
	struct ldr_config cfg = {.allow_unsigned = 1, .opt_level = 2, .tier = 3};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_ctx_create(&cfg, &ctx, &err), -EINVAL);
	CU_ASSERT(err && strstr(err, "tier 3"));
	free(err);
	err = NULL;
	cfg.tier = LDR_TIER_AUTO;
	cfg.jit_mode = LDR_JIT_LAZY;
	CU_ASSERT_EQUAL(ldr_ctx_create(&cfg, &ctx, &err), -EINVAL);
	CU_ASSERT(err && strstr(err, "eager"));
	free(err);
	uint32_t t = 9;
	CU_ASSERT_EQUAL(ldr_tier_parse("fast", &t), 0);
	CU_ASSERT_EQUAL(t, LDR_TIER_FAST);
	CU_ASSERT_EQUAL(ldr_tier_parse("auto", &t), 0);
	CU_ASSERT_EQUAL(t, LDR_TIER_AUTO);
	CU_ASSERT_EQUAL(ldr_tier_parse("full", &t), 0);
	CU_ASSERT_EQUAL(t, LDR_TIER_FULL);
	CU_ASSERT_EQUAL(ldr_tier_parse("O2", &t), -EINVAL);
	CU_ASSERT_STRING_EQUAL(ldr_tier_name(LDR_TIER_AUTO), "auto");
}

static void test_tier_cache_key(void)
{
	static const char hex[] =
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	struct ldr_cache_key k[3];
	for (uint32_t tier = 0; tier < 3; tier++) {
		struct ldr_ctx *ctx = tier_ctx(tier);
		char *err = NULL;
		CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
		CU_ASSERT_EQUAL_FATAL(ldr_cache_key_make(ctx, hex, NULL, NULL, &k[tier], &err), 0);
		ldr_ctx_destroy(ctx);
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(k[LDR_TIER_FULL].text, "\ntier full\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(k[LDR_TIER_FAST].text, "\ntier fast\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(k[LDR_TIER_FAST].text, "\nopt 0\n"));
	CU_ASSERT_STRING_NOT_EQUAL(k[LDR_TIER_FULL].hex, k[LDR_TIER_FAST].hex);
	/* auto looks up the full tier's object: what it runs in the end */
	CU_ASSERT_STRING_EQUAL(k[LDR_TIER_FULL].hex, k[LDR_TIER_AUTO].hex);
	for (int i = 0; i < 3; i++)
		ldr_cache_key_free(&k[i]);
}

/* ---- re-specialization ----------------------------------------------------------------------
 */
static const char *respec_src = "unsigned int xdrv_param_gain = 2;\n"
				"unsigned int xdrv_param_fixed = 5;\n"
				"static int total;\n"
				"__attribute__((noinline)) static int mul(int x) "
				"{ return x * (int)xdrv_param_gain; }\n"
				"int apply(int x) { total += mul(x); return total; }\n"
				"int fixed(void) { return (int)xdrv_param_fixed; }\n";

static struct sdk_param respec_params[] = {
	{.name = "gain",
	 .type = XDRV_PARAM_U32,
	 .flags = XDRV_PARAM_F_LIVE,
	 .def = 2,
	 .min = 1,
	 .max = 10},
	{.name = "fixed", .type = XDRV_PARAM_U32, .def = 5, .min = 0, .max = 9},
};
static const struct sdk_descriptor respec_desc = {.nparams = 2, .params = respec_params};

static struct ldr_ctx *swap_ctx(uint32_t tier, int corrupt)
{
	struct ldr_config cfg = {.allow_unsigned = 1,
				 .jit_mode = LDR_JIT_EAGER,
				 .opt_level = 2,
				 .tier = tier,
				 .swappable = 1};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	if (ldr_ctx_create(&cfg, &ctx, &err) != 0) {
		fprintf(stderr, "swap_ctx: %s\n", err);
		free(err);
		return NULL;
	}
	ctx->tier_test_corrupt = corrupt;
	return ctx;
}

static int set(struct ldr_image *img, const char *name, const char *value, const char *want)
{
	char *err = NULL;
	int rc = ldr_image_param_set(img, name, value, &err);
	if (want && (!err || !strstr(err, want))) {
		fprintf(stderr, "\n  param_set %s=%s: %d %s (wanted '%s')\n", name, value, rc,
			err ? err : "(no message)", want);
		rc = 12345;
	}
	free(err);
	return rc;
}

FX_JITCALL static void test_respecialize_under_state(void)
{
	struct ldr_ctx *ctx = swap_ctx(LDR_TIER_FULL, 0);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(
		fx_load(ctx, respec_src, &respec_desc, LDR_LOAD_NO_LINT, NULL, 0, &img, &err), 0);
	struct ldr_tier_info ti;
	ldr_image_tier_info(img, &ti);
	CU_ASSERT_EQUAL(ti.state, LDR_TIER_LIVE); /* the load's code, optimized, through slots */
	CU_ASSERT_EQUAL(ti.swappable, 1);
	CU_ASSERT_EQUAL(ti.generation, 0);
	CU_ASSERT_EQUAL(ti.what, LDR_SWAP_NONE);
	int (*apply)(int) = FX_FN(img, int (*)(int), "apply");
	int (*fixed)(void) = FX_FN(img, int (*)(void), "fixed");
	CU_ASSERT_PTR_NOT_NULL_FATAL(apply);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fixed);
	CU_ASSERT_EQUAL(apply(1), 2);
	CU_ASSERT_EQUAL(fixed(), 5);

	/* refusals: nothing compiles, nothing changes */
	CU_ASSERT_EQUAL(set(img, "gain", "11", "out of range 1..10"), -ERANGE);
	CU_ASSERT_EQUAL(set(img, "gain", "x", "is not a number"), -EINVAL);
	CU_ASSERT_EQUAL(set(img, "fixed", "1", "fixed from probe to remove"), -EPERM);
	CU_ASSERT_EQUAL(set(img, "nope", "1", "not declared (declared: gain (live), fixed)"),
			-ENOENT);
	CU_ASSERT_EQUAL(set(img, "gain", "2", "is 2 already"), -EALREADY);
	CU_ASSERT_EQUAL(ldr_image_tier_wait(img, 10), -ENODATA); /* no compile was started */
	CU_ASSERT_EQUAL(ldr_tier_poll(), 0);
	CU_ASSERT_EQUAL(apply(1), 4);

	observed = 0;
	ldr_tier_set_observer(observe, &observed);
	CU_ASSERT_EQUAL_FATAL(set(img, "gain", "3", NULL), 0);
	CU_ASSERT_EQUAL(set(img, "gain", "4", "is compiling"), -EBUSY); /* one at a time */
	CU_ASSERT_EQUAL_FATAL(ldr_image_tier_wait(img, 120000), 0);
	CU_ASSERT_EQUAL(apply(1), 6); /* not swapped before the poll */
	size_t nv = 0;
	CU_ASSERT_EQUAL(ldr_image_param_values(img, &nv)[0], 2);
	CU_ASSERT_EQUAL(ldr_tier_poll(), 1);
	ldr_image_tier_info(img, &ti);
	CU_ASSERT_EQUAL(ti.state, LDR_TIER_LIVE);
	CU_ASSERT_EQUAL(ti.what, LDR_SWAP_PARAM);
	CU_ASSERT_EQUAL(ti.generation, 1);
	CU_ASSERT_EQUAL(ti.swapped, ti.functions);
	CU_ASSERT_PTR_NOT_NULL(strstr(ti.change, "gain=3"));
	CU_ASSERT_EQUAL(observed, 1);
	CU_ASSERT_EQUAL(observed_info.what, LDR_SWAP_PARAM);
	CU_ASSERT_EQUAL(ldr_image_param_values(img, &nv)[0], 3);
	CU_ASSERT_EQUAL(nv, 2);
	void **slot = (void **)(uintptr_t)sym(img, "apply$slot");
	CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
	CU_ASSERT_EQUAL((uint64_t)(uintptr_t)*slot, sym(img, "apply$g1"));
	CU_ASSERT_EQUAL(apply(1), 9); /* the state kept (6), the new value (3) */
	CU_ASSERT_EQUAL(fixed(), 5);
	CU_ASSERT_EQUAL(FX_FN(img, int (*)(int), "apply"), apply); /* one address */

	/* and again: generation 2 from the same bitcode, the first value back */
	CU_ASSERT_EQUAL_FATAL(set(img, "gain", "2", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ldr_image_tier_wait(img, 120000), 0);
	CU_ASSERT_EQUAL(ldr_tier_poll(), 1);
	ldr_image_tier_info(img, &ti);
	CU_ASSERT_EQUAL(ti.generation, 2);
	CU_ASSERT_EQUAL(apply(1), 11);
	ldr_tier_set_observer(NULL, NULL);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	free(err);
}

FX_JITCALL static void test_respecialize_failure_and_refusals(void)
{
	/* a compile that fails: the running generation and its values stay */
	struct ldr_ctx *ctx = swap_ctx(LDR_TIER_FULL, 1);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(
		fx_load(ctx, respec_src, &respec_desc, LDR_LOAD_NO_LINT, NULL, 0, &img, &err), 0);
	int (*apply)(int) = FX_FN(img, int (*)(int), "apply");
	CU_ASSERT_PTR_NOT_NULL_FATAL(apply);
	CU_ASSERT_EQUAL_FATAL(set(img, "gain", "7", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ldr_image_tier_wait(img, 120000), 0);
	CU_ASSERT_EQUAL(ldr_tier_poll(), 1);
	struct ldr_tier_info ti;
	ldr_image_tier_info(img, &ti);
	CU_ASSERT_EQUAL(ti.state, LDR_TIER_FAILED);
	CU_ASSERT_EQUAL(ti.generation, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(ti.error, "re-specialization (gain=7)"));
	size_t nv = 0;
	CU_ASSERT_EQUAL(ldr_image_param_values(img, &nv)[0], 2);
	CU_ASSERT_EQUAL(apply(1), 2);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);

	/* tier auto: swappable too, but not while tier 2 is on its way */
	ctx = swap_ctx(LDR_TIER_AUTO, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(
		fx_load(ctx, respec_src, &respec_desc, LDR_LOAD_NO_LINT, NULL, 0, &img, &err), 0);
	CU_ASSERT_EQUAL(set(img, "gain", "5", "tier 2 is compiling"), -EBUSY);
	CU_ASSERT_EQUAL_FATAL(ldr_image_tier_wait(img, 120000), 0);
	CU_ASSERT_EQUAL(ldr_tier_poll(), 1);
	CU_ASSERT_EQUAL_FATAL(set(img, "gain", "5", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ldr_image_tier_wait(img, 120000), 0);
	CU_ASSERT_EQUAL(ldr_tier_poll(), 1);
	apply = FX_FN(img, int (*)(int), "apply");
	CU_ASSERT_PTR_NOT_NULL_FATAL(apply);
	CU_ASSERT_EQUAL(apply(2), 10);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);

	/* not swappable: refused, saying how to load it */
	struct ldr_config cfg = {.allow_unsigned = 1, .jit_mode = LDR_JIT_EAGER, .opt_level = 2};
	CU_ASSERT_EQUAL_FATAL(ldr_ctx_create(&cfg, &ctx, &err), 0);
	CU_ASSERT_EQUAL_FATAL(
		fx_load(ctx, respec_src, &respec_desc, LDR_LOAD_NO_LINT, NULL, 0, &img, &err), 0);
	CU_ASSERT_EQUAL(set(img, "gain", "5", "not swappable"), -ENOTSUP);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	cfg.swappable = 1;
	cfg.jit_mode = LDR_JIT_LAZY;
	CU_ASSERT_EQUAL(ldr_ctx_create(&cfg, &ctx, &err), -EINVAL);
	CU_ASSERT(err && strstr(err, "swappable code needs eager mode"));
	free(err);
}

XTEST_SUITE(loader_tier, NULL, NULL, XTEST(test_tier_swap_keeps_state_and_changes_slots),
	    XTEST(test_tier_failure_leaves_tier1_running), XTEST(test_tier_unload_while_compiling),
	    XTEST(test_tier_fast_and_full_are_not_tiered), XTEST(test_tier_config_and_names),
	    XTEST(test_tier_cache_key), XTEST(test_respecialize_under_state),
	    XTEST(test_respecialize_failure_and_refusals))
