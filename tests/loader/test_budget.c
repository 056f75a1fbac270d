// SPDX-License-Identifier: MIT
/*
 * Budgets in the driver's code (loader/budget.c, runtime_budget.c): JIT-compiled drivers that
 * loop without end in probe, in an interrupt handler, in a NAPI poll and around an import, or
 * recurse without end, are stopped with a message naming the function, the host carries on and
 * another driver still works; bounded loops below the budget give their results, the budget is
 * new at every entry; a context without budgets instruments nothing; the cache key holds them.
 */
#include "jit_fixture.h"
#include "test_runtime_fixture.h"

#include "../../loader/runtime_priv.h"

#include <errno.h>
#include <xdrv/hvb.h>

#define T_EDGES 1000000u
#define T_DEPTH 64u

/* One driver, its behaviour chosen with -DMODE=...: a testdev (platform "xdrv,testdev"). */
static const char *drv_src =
	"#include <xdrv/abi.h>\n"
	"static const struct xdrv_match match[] = {{.bus = XDRV_BUS_PLATFORM,\n"
	"  .compatible = \"xdrv,testdev\"}, {.bus = 0}};\n"
	"volatile uint32_t sink;\n"
	"uint64_t param_n = 1000;\n"
	"static xdrv_netdev_t *nd;\n"
	"__attribute__((noinline)) static uint64_t counted_loop(uint64_t n) {\n"
	"  uint64_t s = 0;\n"
	"  for (uint64_t i = 0; i < n; i++) s += i ^ sink;\n"
	"  return s;\n"
	"}\n"
	"__attribute__((noinline)) static uint32_t recurse(uint32_t n) {\n"
	"  volatile char pad[64]; pad[0] = (char)n;\n"
	"  return recurse(n + 1) + (uint32_t)pad[0];\n"
	"}\n"
	"__attribute__((noinline)) static void spin_forever(void) { for (;;) sink++; }\n"
	"static uint32_t tail_b(uint32_t n);\n"
	"__attribute__((noinline)) static uint32_t tail_a(uint32_t n) {\n"
	"  sink = n; __attribute__((musttail)) return tail_b(n + 1);\n"
	"}\n"
	"__attribute__((noinline)) static uint32_t tail_b(uint32_t n) {\n"
	"  __attribute__((musttail)) return tail_a(n + 1);\n"
	"}\n"
	"static uint32_t on_irq(void *ctx) {\n"
	"  (void)ctx;\n"
	"  if (MODE == 2) for (;;) sink++;\n"
	"  if (MODE == 3 && nd) xdrv_net_napi_schedule(nd);\n"
	"  if (MODE == 6) sink = (uint32_t)counted_loop(param_n);\n"
	"  return XDRV_IRQ_HANDLED;\n"
	"}\n"
	"static int32_t poll_rx(xdrv_netdev_t *n, uint32_t budget) {\n"
	"  (void)n; (void)budget;\n"
	"  for (;;) sink++;\n"
	"}\n"
	"static int32_t xmit(xdrv_netdev_t *n, xdrv_pkt_t *p) { (void)n; xdrv_pkt_free(p);\n"
	"  return XDRV_OK; }\n"
	"static const struct xdrv_net_ops ops = {.struct_size = sizeof ops, .xmit = xmit,\n"
	"  .poll = poll_rx};\n"
	"static int32_t probe(xdrv_device_t *d) {\n"
	"  static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};\n"
	"  if (MODE == 1) spin_forever();\n"
	"  if (MODE == 3 && !(nd = xdrv_net_register(d, &ops, mac, 0))) return XDRV_EIO;\n"
	"  if (MODE == 4) {\n"
	"    xdrv_region_t *r = xdrv_dev_region(d, 0);\n"
	"    while (xdrv_io_read32(r, 0x820) != 1) {}\n"
	"  }\n"
	"  if (MODE == 5) return (int32_t)recurse(0);\n"
	"  if (MODE == 8) return (int32_t)tail_a(0);\n"
	"  if (MODE == 7) return counted_loop(param_n) == 499500 ? XDRV_OK : XDRV_EIO;\n"
	"  if (MODE == 2 || MODE == 3 || MODE == 6) return xdrv_irq_request(d, 0, on_irq, 0);\n"
	"  return XDRV_OK;\n"
	"}\n"
	"static void rm(xdrv_device_t *d) { (void)d; }\n"
	"XDRV_DRIVER(.name = \"budget\", .version = \"1.0.0\", .match = match, .probe = probe,\n"
	"  .remove = rm);\n";

enum {
	M_OK = 0,
	M_PROBE = 1,
	M_IRQ = 2,
	M_NAPI = 3,
	M_IMPORT = 4,
	M_RECURSE = 5,
	M_REFILL = 6,
	M_BOUNDED = 7,
	M_MUSTTAIL = 8
};

static struct ldr_ctx *ctx_budget(uint32_t mode, uint64_t edges, uint32_t depth)
{
	struct ldr_config cfg = {.allow_unsigned = 1,
				 .jit_mode = mode,
				 .opt_level = 2,
				 .budget_edges = edges,
				 .budget_depth = depth};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	if (ldr_ctx_create(&cfg, &ctx, &err) != 0) {
		fprintf(stderr, "ctx: %s\n", err);
		ctx = NULL;
	}
	free(err);
	return ctx;
}

static struct ldr_image *load_mode(struct ldr_ctx *ctx, int mode)
{
	char flags[32];
	snprintf(flags, sizeof flags, "-DMODE=%d", mode);
	struct ldr_image *img = NULL;
	char *err = NULL;
	if (fx_load_flags(ctx, drv_src, flags, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err) != 0) {
		fprintf(stderr, "load mode %d: %s\n", mode, err ? err : "?");
		img = NULL;
	}
	free(err);
	return img;
}

/* A healthy driver of another image, bound on a device of its own, after a stop. */
static void second_driver_works(struct ldr_ctx *ctx)
{
	struct ldr_image *img = load_mode(ctx, M_BOUNDED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	struct rtf_dev f = rtf_dev_create("testdev");
	struct ldr_driver *drv = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_driver_bind(ldr_image_descriptor(img), f.dev, NULL, &drv, &err), 0);
	CU_ASSERT_EQUAL(ldr_driver_stop_reason(drv, NULL), LDR_STOP_NONE);
	ldr_driver_unbind(drv);
	rtf_dev_destroy(&f);
	free(err);
	ldr_image_unload(img);
}

/* Bind the driver of `mode`; probe must be stopped by the budget, naming `fn`. */
static void probe_is_stopped(uint32_t jit, int mode, const char *want)
{
	struct ldr_ctx *ctx = ctx_budget(jit, T_EDGES, T_DEPTH);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_image *img = load_mode(ctx, mode);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	struct rtf_dev f = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *drv = NULL;
	char *err = NULL;
	uint64_t t0 = xdrv_now_ns();
	CU_ASSERT_EQUAL(ldr_driver_bind(ldr_image_descriptor(img), f.dev, NULL, &drv, &err),
			XDRV_EFAULT);
	uint64_t ms = (xdrv_now_ns() - t0) / 1000000u;
	CU_ASSERT(ms < 2000); /* a million back edges: milliseconds, even under sanitizers */
	CU_ASSERT(rtf_logged(want));
	CU_ASSERT(rtf_logged("driver stopped: "));
	CU_ASSERT(rtf_logged("the host carries on"));
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "probe failed") : NULL);
	free(err);
	rtf_dev_destroy(&f);
	ldr_image_unload(img);
	second_driver_works(ctx);
	ldr_ctx_destroy(ctx);
}

static void test_endless_loop_in_probe_is_stopped(void)
{
	probe_is_stopped(LDR_JIT_EAGER, M_PROBE,
			 "loop budget of 1000000 back edges exhausted in function spin_forever");
}

static void test_endless_loop_in_probe_is_stopped_lazy(void)
{
	/* instrumented before the lazy split: every function's own module counts */
	probe_is_stopped(LDR_JIT_LAZY, M_PROBE,
			 "loop budget of 1000000 back edges exhausted in function spin_forever");
}

static void test_loop_around_an_import_is_stopped(void)
{
	/* waiting for a status bit that never comes */
	probe_is_stopped(LDR_JIT_EAGER, M_IMPORT,
			 "loop budget of 1000000 back edges exhausted in function probe");
}

static void test_endless_musttail_cycle_is_stopped(void)
{
	/* tail calls that are jumps: no back edge, no frame; each counts as a back edge */
	probe_is_stopped(LDR_JIT_EAGER, M_MUSTTAIL,
			 "loop budget of 1000000 back edges exhausted in function tail_");
}

static void test_unbounded_recursion_is_stopped(void)
{
	probe_is_stopped(LDR_JIT_EAGER, M_RECURSE,
			 "call depth limit of 64 exceeded in function recurse");
}

/* Bind the driver of `mode` (probe requests interrupt line 0), raise the line, dispatch. */
static void handler_is_stopped(int mode, const char *want)
{
	struct ldr_ctx *ctx = ctx_budget(LDR_JIT_EAGER, T_EDGES, T_DEPTH);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_image *img = load_mode(ctx, mode);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	struct rtf_dev f = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *drv = rtf_bind(ldr_image_descriptor(img), &f);
	CU_ASSERT_EQUAL(ldr_driver_stop_reason(drv, NULL), LDR_STOP_NONE);
	hvb_reg_write(f.dev, 0, 0x800, 4, 1); /* testdev: raise interrupt line 0 */
	rtf_run(drv, 5);
	const char *msg = NULL;
	CU_ASSERT_EQUAL(ldr_driver_stop_reason(drv, &msg), LDR_STOP_LOOP_BUDGET);
	CU_ASSERT_PTR_NOT_NULL(msg ? strstr(msg, want) : NULL);
	CU_ASSERT_EQUAL(ldr_driver_fault_signal(drv), 0); /* not a hardware fault */
	CU_ASSERT(rtf_logged(want));
	/* the line is still asserted, but a stopped driver is never entered again */
	int lines = rtf_log.lines;
	rtf_run(drv, 5);
	CU_ASSERT_EQUAL(rtf_log.lines, lines);
	ldr_driver_unbind(drv);
	rtf_dev_destroy(&f);
	ldr_image_unload(img);
	second_driver_works(ctx);
	ldr_ctx_destroy(ctx);
}

static void test_endless_loop_in_interrupt_handler_is_stopped(void)
{
	handler_is_stopped(M_IRQ, "loop budget of 1000000 back edges exhausted in function on_irq");
}

static void test_endless_loop_in_napi_poll_is_stopped(void)
{
	handler_is_stopped(M_NAPI,
			   "loop budget of 1000000 back edges exhausted in function poll_rx");
}

FX_JITCALL static void test_bounded_loop_below_the_budget_runs(void)
{
	struct ldr_ctx *ctx = ctx_budget(LDR_JIT_EAGER, T_EDGES, T_DEPTH);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	/* probe: sum of 0..999 through the loop, XDRV_OK when it is 499500 */
	second_driver_works(ctx);
	ldr_ctx_destroy(ctx);
}

FX_JITCALL static void test_budget_is_new_at_every_entry(void)
{
	struct ldr_ctx *ctx = ctx_budget(LDR_JIT_EAGER, T_EDGES, T_DEPTH);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_image *img = load_mode(ctx, M_REFILL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	uint64_t *n = FX_FN(img, uint64_t *, "param_n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	*n = T_EDGES * 3 / 4; /* three quarters of the budget per interrupt */
	struct rtf_dev f = rtf_dev_create("testdev");
	rtf_log_reset();
	struct ldr_driver *drv = rtf_bind(ldr_image_descriptor(img), &f);
	for (int i = 0; i < 4; i++) {
		hvb_reg_write(f.dev, 0, 0x800, 4, 1);
		CU_ASSERT(ldr_driver_dispatch(drv) > 0);
		hvb_reg_write(f.dev, 0, 0x800, 4, 0);
	}
	CU_ASSERT_EQUAL(ldr_driver_stop_reason(drv, NULL), LDR_STOP_NONE);
	/* one and a half budgets in one entry: stopped */
	*n = T_EDGES * 3 / 2;
	hvb_reg_write(f.dev, 0, 0x800, 4, 1);
	ldr_driver_dispatch(drv);
	CU_ASSERT_EQUAL(ldr_driver_stop_reason(drv, NULL), LDR_STOP_LOOP_BUDGET);
	CU_ASSERT(rtf_logged("exhausted in function counted_loop"));
	ldr_driver_unbind(drv);
	rtf_dev_destroy(&f);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
}

FX_JITCALL static void test_no_budget_no_instrumentation(void)
{
	/* the pass itself: nothing with zero limits, every function and loop with limits */
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	char flags[16] = "-DMODE=sink"; /* not constant: every path is there */
	const char *bc = fx_bc_flags(drv_src, flags);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	LLVMModuleRef m = fx_parse(tsc, bc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	struct ldr_budget_stats st;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_budget_instrument(m, 0, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(ldr_budget_stop_calls(m), 0);
	CU_ASSERT_PTR_NULL(LLVMGetNamedFunction(m, LDR_BUDGET_STOP_SYM));
	CU_ASSERT_EQUAL(ldr_budget_instrument(m, 100, 10, &st, &err), 0);
	CU_ASSERT_EQUAL(st.functions, ldr_module_defined_functions(m));
	/* counted_loop, spin_forever, on_irq, poll_rx, probe's wait; tail_a's and tail_b's
	 * musttail calls */
	CU_ASSERT_EQUAL(st.functions, 10);
	CU_ASSERT(st.back_edges >= 7);
	/* the call depth only where a function can recurse: recurse, tail_a, tail_b */
	CU_ASSERT_EQUAL(st.depth_checked, 3);
	/* one loop stop per function with a loop or musttail call, one depth stop per
	 * recursive one */
	CU_ASSERT_EQUAL(ldr_budget_stop_calls(m), 7 + 3);
	LLVMDisposeModule(m);
	LLVMOrcDisposeThreadSafeContext(tsc);
	free(err);

	/* and the whole load: no budget symbols in the image, the endless loop is not stopped
	 * (not run), a bounded loop far beyond any budget runs */
	struct ldr_ctx *ctx = ctx_budget(LDR_JIT_EAGER, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_image *img = load_mode(ctx, M_BOUNDED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	uint64_t a = 0;
	err = NULL;
	CU_ASSERT_NOT_EQUAL(ldr_image_lookup(img, LDR_BUDGET_STOP_SYM, &a, &err), 0);
	free(err);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	ctx = ctx_budget(LDR_JIT_EAGER, T_EDGES, 0);
	img = load_mode(ctx, M_BOUNDED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	err = NULL;
	CU_ASSERT_EQUAL(ldr_image_lookup(img, LDR_BUDGET_STOP_SYM, &a, &err), 0);
	CU_ASSERT_EQUAL(a, (uint64_t)(uintptr_t)ldr_budget_exhausted);
	free(err);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
}

FX_JITCALL static void test_depth_is_counted_where_recursion_can_be(void)
{
	/* a -> (through a pointer) b -> a is a cycle; c and set are not in one */
	static const char *src = "#include <stdint.h>\n"
				 "typedef int (*fn_t)(int);\n"
				 "fn_t volatile fp;\n"
				 "int b(int n);\n"
				 "int a(int n) { return n > 1000000 ? n : fp(n + 1) + 1; }\n"
				 "int b(int n) { return a(n + 1); }\n"
				 "int c(int n) { return n + 1; }\n"
				 "void set(void) { fp = b; }\n";
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	const char *bc = fx_bc(src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	LLVMModuleRef m = fx_parse(tsc, bc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	struct ldr_budget_stats st;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_budget_instrument(m, 100, 10, &st, &err), 0);
	CU_ASSERT_EQUAL(st.functions, 4);
	CU_ASSERT_EQUAL(st.back_edges, 0);
	CU_ASSERT_EQUAL(st.depth_checked, 2);
	CU_ASSERT_EQUAL(ldr_budget_stop_calls(m), 2);
	LLVMValueRef c = LLVMGetNamedFunction(m, "c");
	CU_ASSERT_EQUAL(LLVMCountBasicBlocks(c), 1); /* not touched */
	LLVMDisposeModule(m);
	LLVMOrcDisposeThreadSafeContext(tsc);
	free(err);
}

/* Loops as the optimizer leaves them (phis in the headers, several back edges, a switch that
 * jumps back): the pass runs on optimized IR here, its result must verify and compute the same
 * as the same C compiled into this test. */
#define PHI_SRC                                                                                    \
	"uint64_t collatz(uint64_t n) { uint64_t s = 0; while (n > 1) {\n"                         \
	"  n = (n & 1) ? 3 * n + 1 : n / 2; s++; } return s; }\n"                                  \
	"uint32_t sw(uint32_t n) { uint32_t s = 7, i = 0;\n"                                       \
	"  while (i < n) { switch ((i++ * 7u) % 5u) {\n"                                           \
	"    case 0: s += 1; continue; case 1: s ^= i; continue;\n"                                \
	"    case 2: s = s * 3 + i; break; case 3: if (s & 1) continue; s >>= 1; break;\n"         \
	"    default: s += i * i; } s ^= s >> 3; }\n"                                              \
	"  return s; }\n"
static uint64_t collatz(uint64_t n)
{
	uint64_t s = 0;
	while (n > 1) {
		n = (n & 1) ? 3 * n + 1 : n / 2;
		s++;
	}
	return s;
}
static uint32_t sw(uint32_t n)
{
	uint32_t s = 7, i = 0;
	while (i < n) {
		switch ((i++ * 7u) % 5u) {
		case 0:
			s += 1;
			continue;
		case 1:
			s ^= i;
			continue;
		case 2:
			s = s * 3 + i;
			break;
		case 3:
			if (s & 1)
				continue;
			s >>= 1;
			break;
		default:
			s += i * i;
		}
		s ^= s >> 3;
	}
	return s;
}

FX_JITCALL static void test_optimized_loops_with_phis_compute_the_same(void)
{
	struct ldr_ctx *ctx = ctx_budget(LDR_JIT_EAGER, T_EDGES, T_DEPTH);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	const char *bc = fx_bc("#include <stdint.h>\n" PHI_SRC);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	LLVMModuleRef m = fx_parse(tsc, bc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_module_optimize(m, NULL, 2, &err), 0);
	/* the loops now have phis; the load instruments this module, then optimizes again */
	LLVMValueRef f = LLVMGetNamedFunction(m, "collatz");
	int phis = 0;
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb; bb = LLVMGetNextBasicBlock(bb))
		phis += LLVMGetInstructionOpcode(LLVMGetFirstInstruction(bb)) == LLVMPHI;
	CU_ASSERT(phis > 0);
	struct ldr_image *img = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_image_load_module(ctx, tsc, m, "phis", NULL, LDR_LOAD_NO_LINT,
						    NULL, 0, &img, &err),
			      0);
	LLVMOrcDisposeThreadSafeContext(tsc);
	uint64_t (*jc)(uint64_t) = FX_FN(img, uint64_t(*)(uint64_t), "collatz");
	uint32_t (*js)(uint32_t) = FX_FN(img, uint32_t(*)(uint32_t), "sw");
	CU_ASSERT_PTR_NOT_NULL_FATAL(jc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(js);
	/* called directly, outside the runtime: start each call with a fresh budget */
	struct ldr_budget_state *b = ldr_budget_state_addr();
	for (uint64_t n = 1; n < 200; n += 7) {
		memset(b, 0, sizeof *b);
		CU_ASSERT_EQUAL(jc(n), collatz(n));
		memset(b, 0, sizeof *b);
		CU_ASSERT_EQUAL(js((uint32_t)n * 13u), sw((uint32_t)n * 13u));
	}
	memset(b, 0, sizeof *b);
	CU_ASSERT_EQUAL(jc(27), 111);
	/* 111 iterations: 110 back edges in a rotated loop (entered once), 111 in another shape */
	CU_ASSERT(b->used == 110 || b->used == 111);
	free(err);
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
}

static void test_driver_naming_budget_symbols_is_refused(void)
{
	struct ldr_ctx *ctx = ctx_budget(LDR_JIT_EAGER, T_EDGES, T_DEPTH);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	static const char *src = "#include <stdint.h>\n"
				 "uint64_t __xdrv_budget_x[2];\n"
				 "void __xdrv_budget_exhausted(void) { __xdrv_budget_x[0] = 0; }\n";
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(fx_load(ctx, src, NULL, LDR_LOAD_NO_LINT, NULL, 0, &img, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "reserved for the loader") : NULL);
	CU_ASSERT_PTR_NULL(img);
	free(err);
	ldr_ctx_destroy(ctx);
}

static void test_bad_limits_are_refused(void)
{
	struct ldr_config cfg = {.allow_unsigned = 1, .budget_edges = LDR_BUDGET_EDGES_MAX + 1};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_ctx_create(&cfg, &ctx, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "budget") : NULL);
	free(err);
}

static void test_cache_key_holds_the_budget(void)
{
	struct ldr_ctx *a = ctx_budget(LDR_JIT_EAGER, T_EDGES, T_DEPTH);
	struct ldr_ctx *b = ctx_budget(LDR_JIT_EAGER, 0, 0);
	struct ldr_ctx *c = ctx_budget(LDR_JIT_EAGER, T_EDGES, T_DEPTH + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	const char *hex = "00000000000000000000000000000000"
			  "00000000000000000000000000000000";
	struct ldr_cache_key ka, kb, kc;
	CU_ASSERT_EQUAL_FATAL(ldr_cache_key_make(a, hex, NULL, NULL, &ka, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ldr_cache_key_make(b, hex, NULL, NULL, &kb, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ldr_cache_key_make(c, hex, NULL, NULL, &kc, NULL), 0);
	CU_ASSERT_STRING_NOT_EQUAL(ka.hex, kb.hex);
	CU_ASSERT_STRING_NOT_EQUAL(ka.hex, kc.hex);
	CU_ASSERT_PTR_NOT_NULL(strstr(ka.text, "\nbudget edges=1000000 depth=64\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(kb.text, "\nbudget edges=0 depth=0\n"));
	ldr_cache_key_free(&ka);
	ldr_cache_key_free(&kb);
	ldr_cache_key_free(&kc);
	ldr_ctx_destroy(a);
	ldr_ctx_destroy(b);
	ldr_ctx_destroy(c);
}

XTEST_SUITE(loader_budget, NULL, NULL, XTEST(test_endless_loop_in_probe_is_stopped),
	    XTEST(test_endless_loop_in_probe_is_stopped_lazy),
	    XTEST(test_loop_around_an_import_is_stopped),
	    XTEST(test_unbounded_recursion_is_stopped),
	    XTEST(test_endless_musttail_cycle_is_stopped),
	    XTEST(test_endless_loop_in_interrupt_handler_is_stopped),
	    XTEST(test_endless_loop_in_napi_poll_is_stopped),
	    XTEST(test_bounded_loop_below_the_budget_runs),
	    XTEST(test_budget_is_new_at_every_entry), XTEST(test_no_budget_no_instrumentation),
	    XTEST(test_depth_is_counted_where_recursion_can_be),
	    XTEST(test_optimized_loops_with_phis_compute_the_same),
	    XTEST(test_driver_naming_budget_symbols_is_refused), XTEST(test_bad_limits_are_refused),
	    XTEST(test_cache_key_holds_the_budget))
