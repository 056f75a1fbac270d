// SPDX-License-Identifier: MIT
/*
 * Packet extensions, the loader's side (loader/ext*.c, xdrv/ext_host.h): extensions written here
 * in C, compiled to portable bitcode the way the SDK does, loaded through the extension path
 * (lint, memory check, budget, O2, JIT with only ext_symbols.def bound) and run over frames:
 * every verdict, a rewrite in place, tables filled and read from both sides, a full hash table,
 * reads and writes out of bounds, a table index out of range, an endless loop, unbounded
 * recursion, a verdict that is none, a driver-ABI import; and the memory-check pass on modules
 * the SDK's lint would refuse (pointer tricks), written as IR.
 */
#include "jit_fixture.h"

#include "../../loader/ext_priv.h"

#include <errno.h>
#include <llvm-c/IRReader.h>

#define EXT_HEAD                                                                                   \
	"#include <xdrv/ext.h>\n"                                                                  \
	"#define P xdrv_ext_pkt_t *pkt\n"

static struct ldr_ext *ext_load_opts(struct ldr_ctx *ctx, const char *src, uint64_t budget,
				     char **errout)
{
	struct ldr_ext *e = NULL;
	char *err = NULL;
	const char *bc = fx_bc_flags(src, "-std=gnu11");
	if (!bc) {
		fprintf(stderr, "clang failed\n");
		return NULL;
	}
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	LLVMModuleRef m = fx_parse(tsc, bc);
	struct ldr_ext_opts o = {.budget = budget};
	int rc = m ? ldr_ext_load_module(ctx, tsc, m, "ext", &o, &e, &err) : -1;
	LLVMOrcDisposeThreadSafeContext(tsc);
	if (rc && !errout)
		fprintf(stderr, "ext load: %s\n", err ? err : "?");
	if (errout)
		*errout = err;
	else
		free(err);
	return rc ? NULL : e;
}

static struct ldr_ext *ext_load(struct ldr_ctx *ctx, const char *src)
{
	return ext_load_opts(ctx, src, 0, NULL);
}

/* a 60-byte frame: byte 0 is `first`, the rest counts up */
static void frame_make(uint8_t *f, uint32_t len, uint8_t first)
{
	for (uint32_t i = 0; i < len; i++)
		f[i] = (uint8_t)i;
	f[0] = first;
}

static const char *verdict_src = EXT_HEAD
	"static int32_t run(P) {\n"
	"  switch (xdrv_ext_ld8(pkt, 0)) {\n"
	"  case 0: return XDRV_EXT_PASS;\n"
	"  case 1: return XDRV_EXT_DROP;\n"
	"  case 2: return XDRV_EXT_TX;\n"
	"  case 3: return XDRV_EXT_CLASS(xdrv_ext_ld8(pkt, 1) & 3);\n"
	"  case 4: return XDRV_EXT_CLASS(4);\n"
	"  default: return 7;\n"
	"  }\n"
	"}\n"
	"XDRV_EXTENSION(.hooks = XDRV_EXT_HOOK_RX | XDRV_EXT_HOOK_TX, .name = \"verdicts\",\n"
	"               .version = \"1.2.3\", .run = run);\n";

static void test_verdicts(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_ext *e = ext_load(ctx, verdict_src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(ldr_ext_name(e), "verdicts");
	CU_ASSERT_STRING_EQUAL(ldr_ext_version(e), "1.2.3");
	CU_ASSERT_EQUAL(ldr_ext_hooks(e), XDRV_EXT_HOOK_RX | XDRV_EXT_HOOK_TX);
	uint8_t f[60];
	struct ldr_ext_meta rx = {.hook = XDRV_EXT_HOOK_RX};
	frame_make(f, 60, 0);
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &rx), XDRV_EXT_PASS);
	frame_make(f, 60, 1);
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &rx), XDRV_EXT_DROP);
	frame_make(f, 60, 2);
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &rx), XDRV_EXT_TX);
	frame_make(f, 60, 3);
	f[1] = 2;
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &rx), XDRV_EXT_CLASS(2));
	CU_ASSERT_PTR_NULL(ldr_ext_failure(e));
	struct ldr_ext_stats st;
	ldr_ext_stats(e, &st);
	CU_ASSERT_EQUAL(st.runs, 4);
	CU_ASSERT_EQUAL(st.pass, 1);
	CU_ASSERT_EQUAL(st.drop, 1);
	CU_ASSERT_EQUAL(st.tx, 1);
	CU_ASSERT_EQUAL(st.classed, 1);
	CU_ASSERT_EQUAL(st.failed, 0);
	/* TX on the transmit hook is not a verdict */
	struct ldr_ext_meta tx = {.hook = XDRV_EXT_HOOK_TX};
	frame_make(f, 60, 2);
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &tx), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(ldr_ext_failure(e), "TX"));
	ldr_ext_unload(e);

	/* a class out of range and a number that is none: failed, for good */
	e = ext_load(ctx, verdict_src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	frame_make(f, 60, 4);
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &rx), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(ldr_ext_failure(e), "none of"));
	frame_make(f, 60, 0);
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &rx), -EPROTO); /* never runs again */
	ldr_ext_stats(e, &st);
	CU_ASSERT_EQUAL(st.runs, 1);
	CU_ASSERT_EQUAL(st.failed, 1);
	ldr_ext_unload(e);
	e = ext_load(ctx, verdict_src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	frame_make(f, 60, 9);
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &rx), -EPROTO);
	ldr_ext_unload(e);
	ldr_ctx_destroy(ctx);
}

/* swap the MAC addresses, set the IPv4 TTL to 1, meta into the payload */
static const char *rewrite_src = EXT_HEAD
	"static int32_t run(P) {\n"
	"  uint8_t mac[6];\n"
	"  for (uint32_t i = 0; i < 6; i++) mac[i] = (uint8_t)xdrv_ext_ld8(pkt, i);\n"
	"  for (uint32_t i = 0; i < 6; i++) xdrv_ext_st8(pkt, i, xdrv_ext_ld8(pkt, 6 + i));\n"
	"  for (uint32_t i = 0; i < 6; i++) xdrv_ext_st8(pkt, 6 + i, mac[i]);\n"
	"  xdrv_ext_st16(pkt, 12, 0x0800);\n"
	"  xdrv_ext_st32(pkt, 20, 0xa1b2c3d4);\n"
	"  xdrv_ext_st32(pkt, 24, (uint32_t)xdrv_ext_meta(pkt, XDRV_EXT_META_QUEUE));\n"
	"  xdrv_ext_st32(pkt, 28, xdrv_ext_len(pkt));\n"
	"  xdrv_ext_st32(pkt, 32, xdrv_ext_ld32(pkt, 20) + 1);\n"
	"  xdrv_ext_st8(pkt, 36, (uint32_t)xdrv_ext_meta(pkt, 99));\n"
	"  return XDRV_EXT_TX;\n"
	"}\n"
	"XDRV_EXTENSION(.hooks = XDRV_EXT_HOOK_RX, .name = \"rewrite\", .version = \"1.0.0\",\n"
	"               .run = run);\n";

static void test_rewrite_in_place(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_ext *e = ext_load(ctx, rewrite_src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	uint8_t f[64];
	frame_make(f, 64, 0);
	struct ldr_ext_meta m = {.hook = XDRV_EXT_HOOK_RX, .queue = 0x01020304};
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 64, &m), XDRV_EXT_TX);
	static const uint8_t want[38] = {6,    7,    8,	   9,	 10,   11,   0,	 1,  2,	 3,
					 4,    5,    0x08, 0x00, 14,   15,   16, 17, 18, 19,
					 0xa1, 0xb2, 0xc3, 0xd4, 1,    2,    3,	 4,  0,	 0,
					 0,    64,   0xa1, 0xb2, 0xc3, 0xd5, 0,	 37};
	CU_ASSERT_EQUAL(memcmp(f, want, sizeof want), 0);
	ldr_ext_unload(e);
	ldr_ctx_destroy(ctx);
}

/* tables: 0 an array of counters by the frame's byte 0, 1 a hash set the host fills (drop what
 * it lists), 2 a small hash of flows (full after 4) */
static const char *tables_src = EXT_HEAD
	"static const struct xdrv_ext_table tabs[] = {\n"
	"  {.name = \"counts\", .kind = XDRV_EXT_TABLE_ARRAY, .max_entries = 16},\n"
	"  {.name = \"deny\", .kind = XDRV_EXT_TABLE_HASH, .max_entries = 64},\n"
	"  {.name = \"flows\", .kind = XDRV_EXT_TABLE_HASH, .max_entries = 4},\n"
	"  {0}};\n"
	"static int32_t run(P) {\n"
	"  uint32_t k = xdrv_ext_ld8(pkt, 0);\n"
	"  xdrv_ext_tab_add(pkt, 0, k, 1);\n"
	"  uint32_t flow = xdrv_ext_ld32(pkt, 1);\n"
	"  if (xdrv_ext_tab_get(pkt, 1, flow)) return XDRV_EXT_DROP;\n"
	"  if (xdrv_ext_tab_add(pkt, 2, flow, 10) == 0)\n"
	"    return xdrv_ext_tab_set(pkt, 2, flow, 1) < 0 ? XDRV_EXT_CLASS(3) : XDRV_EXT_PASS;\n"
	"  return XDRV_EXT_CLASS(1);\n"
	"}\n"
	"XDRV_EXTENSION(.hooks = XDRV_EXT_HOOK_RX, .name = \"tables\", .version = \"1.0.0\",\n"
	"               .tables = tabs, .run = run);\n";

static int sum_scan(void *arg, uint64_t key, uint64_t value)
{
	uint64_t *s = arg;
	s[0] += key;
	s[1] += value;
	s[2]++;
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void test_tables_from_both_sides(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_ext *e = ext_load(ctx, tables_src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(ldr_ext_table_count(e), 3);
	CU_ASSERT_EQUAL(ldr_ext_table_find(e, "deny"), 1);
	CU_ASSERT_EQUAL(ldr_ext_table_find(e, "nope"), -ENOENT);
	CU_ASSERT_STRING_EQUAL(ldr_ext_table_name(e, 2), "flows");
	CU_ASSERT_EQUAL(ldr_ext_table_kind(e, 0), XDRV_EXT_TABLE_ARRAY);
	CU_ASSERT_EQUAL(ldr_ext_table_kind(e, 1), XDRV_EXT_TABLE_HASH);
	/* the host fills the deny set */
	CU_ASSERT_EQUAL(ldr_ext_table_set(e, 1, 0xdeadbeef, 1), 0);
	CU_ASSERT_EQUAL(ldr_ext_table_set(e, 0, 16, 1), -ERANGE);
	CU_ASSERT_EQUAL(ldr_ext_table_set(e, 3, 0, 1), -ERANGE);
	uint8_t f[60];
	struct ldr_ext_meta m = {.hook = XDRV_EXT_HOOK_RX};
	frame_make(f, 60, 5);
	put32(f + 1, 0xdeadbeef);
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &m), XDRV_EXT_DROP);
	/* four flows fit, the fifth does not; the extension sees the full table */
	for (uint32_t i = 0; i < 4; i++) {
		frame_make(f, 60, 5);
		put32(f + 1, 100 + i);
		CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &m), XDRV_EXT_CLASS(1));
	}
	frame_make(f, 60, 7);
	put32(f + 1, 200);
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &m), XDRV_EXT_CLASS(3));
	/* a flow already there still counts */
	frame_make(f, 60, 7);
	put32(f + 1, 101);
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &m), XDRV_EXT_CLASS(1));
	struct ldr_ext_stats st;
	ldr_ext_stats(e, &st);
	CU_ASSERT_EQUAL(st.table_full, 2); /* the fifth flow's add and set */
	/* the host reads what the extension counted */
	uint64_t v = 0;
	CU_ASSERT_EQUAL(ldr_ext_table_get(e, 0, 5, &v), 0);
	CU_ASSERT_EQUAL(v, 5);
	CU_ASSERT_EQUAL(ldr_ext_table_get(e, 0, 7, &v), 0);
	CU_ASSERT_EQUAL(v, 2);
	CU_ASSERT_EQUAL(ldr_ext_table_get(e, 2, 101, &v), 0);
	CU_ASSERT_EQUAL(v, 20);
	CU_ASSERT_EQUAL(ldr_ext_table_get(e, 2, 200, &v), 0);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_EQUAL(ldr_ext_table_set(e, 2, 999, 1), -ENOSPC);
	uint64_t s[3] = {0};
	CU_ASSERT_EQUAL(ldr_ext_table_scan(e, 2, sum_scan, s), 0);
	CU_ASSERT_EQUAL(s[0], 100 + 101 + 102 + 103);
	CU_ASSERT_EQUAL(s[1], 50);
	CU_ASSERT_EQUAL(s[2], 4);
	memset(s, 0, sizeof s);
	CU_ASSERT_EQUAL(ldr_ext_table_scan(e, 0, sum_scan, s), 0);
	CU_ASSERT_EQUAL(s[0], 12);
	CU_ASSERT_EQUAL(s[1], 7);
	CU_ASSERT_EQUAL(s[2], 2);
	CU_ASSERT_PTR_NULL(ldr_ext_failure(e));
	ldr_ext_unload(e);
	ldr_ctx_destroy(ctx);
}

/* Load `src`, run it over a 60-byte frame (byte 0 = first), expect a failure rc with `want` in
 * its message; the next run returns the same without running. */
static void fails_with(const char *src, uint8_t first, int32_t rc, const char *want,
		       uint64_t budget)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_ext *e = ext_load_opts(ctx, src, budget, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	uint8_t f[60];
	frame_make(f, 60, first);
	struct ldr_ext_meta m = {.hook = XDRV_EXT_HOOK_RX};
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &m), rc);
	const char *msg = ldr_ext_failure(e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	if (!strstr(msg, want))
		fprintf(stderr, "failure '%s' does not say '%s'\n", msg, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &m), rc);
	struct ldr_ext_stats st;
	ldr_ext_stats(e, &st);
	CU_ASSERT_EQUAL(st.runs, 1);
	CU_ASSERT_EQUAL(st.failed, 1);
	ldr_ext_unload(e);
	ldr_ctx_destroy(ctx);
}

static void test_read_out_of_bounds(void)
{
	fails_with(EXT_HEAD "static int32_t run(P) {\n"
			    "  return xdrv_ext_ld32(pkt, xdrv_ext_len(pkt) - 2) ? 0 : 1; }\n"
			    "XDRV_EXTENSION(.hooks = 1, .name = \"oob\", .version = \"1.0.0\",\n"
			    "  .run = run);\n",
		   0, -ERANGE, "xdrv_ext_ld32 at offset 58 (4 bytes) past the frame's 60 bytes", 0);
	/* an offset that wraps */
	fails_with(EXT_HEAD "static int32_t run(P) {\n"
			    "  return xdrv_ext_ld16(pkt, 0xffffffffu) ? 0 : 1; }\n"
			    "XDRV_EXTENSION(.hooks = 1, .name = \"oob\", .version = \"1.0.0\",\n"
			    "  .run = run);\n",
		   0, -ERANGE, "xdrv_ext_ld16 at offset 4294967295", 0);
}

static void test_write_out_of_bounds(void)
{
	fails_with(EXT_HEAD "static int32_t run(P) {\n"
			    "  xdrv_ext_st8(pkt, xdrv_ext_len(pkt), 1); return 0; }\n"
			    "XDRV_EXTENSION(.hooks = 1, .name = \"oobw\", .version = \"1.0.0\",\n"
			    "  .run = run);\n",
		   0, -ERANGE, "xdrv_ext_st8 at offset 60 (1 byte)", 0);
}

static void test_table_index_out_of_range(void)
{
	/* a table index from packet bytes */
	fails_with(EXT_HEAD
		   "static const struct xdrv_ext_table t[] = {\n"
		   "  {.name = \"a\", .kind = XDRV_EXT_TABLE_ARRAY, .max_entries = 4}, {0}};\n"
		   "static int32_t run(P) {\n"
		   "  return (int32_t)xdrv_ext_tab_get(pkt, xdrv_ext_ld8(pkt, 0), 0); }\n"
		   "XDRV_EXTENSION(.hooks = 1, .name = \"tix\", .version = \"1.0.0\",\n"
		   "  .tables = t, .run = run);\n",
		   5, -ERANGE, "xdrv_ext_tab_get of table 5; the extension has 1 table", 0);
	/* an array key from packet bytes */
	fails_with(EXT_HEAD
		   "static const struct xdrv_ext_table t[] = {\n"
		   "  {.name = \"a\", .kind = XDRV_EXT_TABLE_ARRAY, .max_entries = 4}, {0}};\n"
		   "static int32_t run(P) {\n"
		   "  xdrv_ext_tab_add(pkt, 0, xdrv_ext_ld8(pkt, 0), 1); return 0; }\n"
		   "XDRV_EXTENSION(.hooks = 1, .name = \"tix\", .version = \"1.0.0\",\n"
		   "  .tables = t, .run = run);\n",
		   4, -ERANGE, "key 4 in array table a of 4 entries", 0);
}

static const char *loop_src = EXT_HEAD
	"static int32_t run(P) {\n"
	"  uint32_t n = xdrv_ext_ld8(pkt, 0) * 100u, s = 0;\n"
	"  for (uint32_t i = 0; i < n || n == 0; i++) s += xdrv_ext_ld8(pkt, i % 60u);\n"
	"  return s == 12345678 ? 1 : 0;\n"
	"}\n"
	"XDRV_EXTENSION(.hooks = 1, .name = \"loop\", .version = \"1.0.0\", .run = run);\n";

static void test_endless_loop_stopped_by_budget(void)
{
	fails_with(loop_src, 0, -ELOOP,
		   "budget of 4096 back edges per packet exhausted in function run", 0);
	fails_with(loop_src, 0, -ELOOP, "budget of 100 back edges per packet", 100);
	/* bounded loops under the budget run, and the budget is new for every packet */
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_ext *e = ext_load_opts(ctx, loop_src, 1000, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	uint8_t f[60];
	struct ldr_ext_meta m = {.hook = XDRV_EXT_HOOK_RX};
	for (int i = 0; i < 5; i++) {
		frame_make(f, 60, 9); /* 900 iterations */
		CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &m), XDRV_EXT_PASS);
	}
	frame_make(f, 60, 11); /* 1100 */
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &m), -ELOOP);
	ldr_ext_unload(e);
	/* a budget over the maximum is refused */
	char *err = NULL;
	CU_ASSERT_PTR_NULL(ext_load_opts(ctx, loop_src, LDR_EXT_BUDGET_MAX + 1ull, &err));
	CU_ASSERT_TRUE(err && strstr(err, "at most"));
	free(err);
	ldr_ctx_destroy(ctx);
}

static void test_recursion_stopped(void)
{
	fails_with(EXT_HEAD "__attribute__((noinline)) static uint32_t f(P, uint32_t n) {\n"
			    "  return n == 7777777 ? 0 : f(pkt, n + xdrv_ext_ld8(pkt, 1)) + 1; }\n"
			    "static int32_t run(P) { return f(pkt, 0) == 3 ? 1 : 0; }\n"
			    "XDRV_EXTENSION(.hooks = 1, .name = \"rec\", .version = \"1.0.0\",\n"
			    "  .run = run);\n",
		   0, -ELOOP, "call depth limit of 64 exceeded in function f", 0);
}

static void test_stack_array_out_of_bounds(void)
{
	/* a stack array indexed by packet bytes: checked at run time */
	const char *src = EXT_HEAD
		"static int32_t run(P) {\n"
		"  volatile uint8_t a[16];\n"
		"  for (uint32_t i = 0; i < 16; i++) a[i] = (uint8_t)i;\n"
		"  a[xdrv_ext_ld8(pkt, 0)] = 9;\n"
		"  return a[xdrv_ext_ld8(pkt, 1)] == 9 ? XDRV_EXT_DROP : XDRV_EXT_PASS;\n"
		"}\n"
		"XDRV_EXTENSION(.hooks = 1, .name = \"arr\", .version = \"1.0.0\", .run = run);\n";
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_ext *e = ext_load(ctx, src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	uint8_t f[60];
	struct ldr_ext_meta m = {.hook = XDRV_EXT_HOOK_RX};
	frame_make(f, 60, 15);
	f[1] = 15;
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &m), XDRV_EXT_DROP);
	frame_make(f, 60, 3);
	f[1] = 4;
	CU_ASSERT_EQUAL(ldr_ext_run(e, f, 60, &m), XDRV_EXT_PASS);
	ldr_ext_unload(e);
	fails_with(src, 16, -ERANGE,
		   "out of bounds: function run accessed 1 byte at offset 16 of "
		   "its 16-byte object",
		   0);
	/* a memcpy of a length from the packet into a stack buffer */
	fails_with(EXT_HEAD
		   "static int32_t run(P) {\n"
		   "  uint8_t a[8], b[32];\n"
		   "  for (uint32_t i = 0; i < 32; i++) b[i] = (uint8_t)xdrv_ext_ld8(pkt, i);\n"
		   "  __builtin_memcpy(a, b, xdrv_ext_ld8(pkt, 0));\n"
		   "  return a[0] == 200 ? 1 : 0; }\n"
		   "XDRV_EXTENSION(.hooks = 1, .name = \"mcp\", .version = \"1.0.0\",\n"
		   "  .run = run);\n",
		   20, -ERANGE, "accessed 20 bytes at offset 0 of its 8-byte object", 0);
	ldr_ctx_destroy(ctx);
}

static void test_driver_import_refused(void)
{
	const char *src = EXT_HEAD "void xdrv_udelay(uint32_t us);\n"
				   "static int32_t run(P) { xdrv_udelay(1); return 0; }\n"
				   "XDRV_EXTENSION(.hooks = 1, .name = \"drv\", .version = "
				   "\"1.0.0\", .run = run);\n";
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	char *err = NULL;
	CU_ASSERT_PTR_NULL(ext_load_opts(ctx, src, 0, &err));
	CU_ASSERT_TRUE(err && strstr(err, "extension imports xdrv_udelay, which is not in "
					  "the extension ABI"));
	free(err);
	/* without the lint, the JIT does not link it either: an extension's JITDylib has only
	 * ext_symbols.def */
	const char *bc = fx_bc_flags(src, "-std=gnu11");
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	LLVMModuleRef m = fx_parse(tsc, bc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	struct ldr_image *img = NULL;
	err = NULL;
	int rc = ldr_image_load_module(ctx, tsc, m, "drv", NULL, LDR_LOAD_EXT | LDR_LOAD_NO_LINT,
				       NULL, 0, &img, &err);
	LLVMOrcDisposeThreadSafeContext(tsc);
	CU_ASSERT_NOT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NULL(img);
	CU_ASSERT_TRUE(err && strstr(err, "xdrv_udelay"));
	free(err);
	/* a writable global */
	err = NULL;
	CU_ASSERT_PTR_NULL(ext_load_opts(ctx,
					 EXT_HEAD "static uint32_t n;\n"
						  "static int32_t run(P) { return (int32_t)(n++ & "
						  "1); }\n"
						  "XDRV_EXTENSION(.hooks = 1, .name = \"g\", "
						  ".version = \"1.0.0\", .run = run);\n",
					 0, &err));
	CU_ASSERT_TRUE(err && strstr(err, "writable"));
	free(err);
	ldr_ctx_destroy(ctx);
}

/* ---- the memory-check pass on hostile IR ----------------------------------------------------
 */
static const char *ir_head = "target datalayout = \"e-m:e-i64:64-n8:16:32:64-S128\"\n"
			     "declare i32 @xdrv_ext_ld8(ptr, i32)\n";

static int guard_ir(const char *body, struct ldr_ext_guard_stats *st, char **err)
{
	char text[4096];
	snprintf(text, sizeof text, "%s%s", ir_head, body);
	LLVMContextRef c = LLVMContextCreate();
	LLVMMemoryBufferRef mb =
		LLVMCreateMemoryBufferWithMemoryRangeCopy(text, strlen(text), "t.ll");
	LLVMModuleRef m = NULL;
	char *msg = NULL;
	int rc;
	if (LLVMParseIRInContext(c, mb, &m, &msg)) {
		fprintf(stderr, "IR: %s\n", msg ? msg : "?");
		rc = -999;
	} else {
		rc = ldr_ext_guard(m, st, err);
		LLVMDisposeModule(m);
	}
	LLVMDisposeMessage(msg);
	LLVMContextDispose(c);
	return rc;
}

static void refused(const char *body, const char *want)
{
	char *err = NULL;
	int rc = guard_ir(body, NULL, &err);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	if (!err || !strstr(err, want))
		fprintf(stderr, "guard: '%s' does not say '%s'\n", err ? err : "(none)", want);
	CU_ASSERT_TRUE(err && strstr(err, want));
	free(err);
}

static void test_guard_refuses_pointer_tricks(void)
{
	/* a phi of two different stack objects */
	refused("define i32 @f(ptr %p, i1 %c) {\n"
		"e:\n  %a = alloca [4 x i8]\n  %b = alloca [64 x i8]\n  br i1 %c, label %x, label "
		"%y\n"
		"x:\n  br label %j\ny:\n  br label %j\n"
		"j:\n  %q = phi ptr [%a, %x], [%b, %y]\n  store i8 1, ptr %q\n  ret i32 0\n}\n",
		"different objects");
	/* a select of two */
	refused("define i32 @f(ptr %p, i1 %c) {\n"
		"  %a = alloca [4 x i8]\n  %b = alloca [64 x i8]\n  %q = select i1 %c, ptr %a, ptr "
		"%b\n  %v = load i8, ptr %q\n  ret i32 0\n}\n",
		"different objects");
	/* access through a pointer argument */
	refused("define i32 @f(ptr %p) {\n  %v = load i32, ptr %p\n  ret i32 %v\n}\n",
		"a read through a pointer argument");
	/* a loaded pointer */
	refused("define i32 @f(ptr %p) {\n  %s = alloca [2 x ptr]\n  %q = load ptr, ptr %s\n"
		"  ret i32 0\n}\n",
		"loads a pointer");
	/* a pointer stored */
	refused("define i32 @f(ptr %p) {\n  %s = alloca [2 x ptr]\n  %t = alloca i32\n"
		"  store ptr %t, ptr %s\n  ret i32 0\n}\n",
		"stores a pointer");
	/* atomics on a pointer, and an atomic is a write (operand 0, its pointer) */
	refused("define i32 @f(ptr %p) {\n  %s = alloca ptr\n"
		"  %o = atomicrmw xchg ptr %s, ptr null seq_cst\n  ret i32 0\n}\n",
		"an atomic operation on a pointer");
	refused("define i32 @f(ptr %p) {\n  %s = alloca ptr\n"
		"  %o = cmpxchg ptr %s, ptr null, ptr %s seq_cst seq_cst\n  ret i32 0\n}\n",
		"an atomic operation on a pointer");
	refused("define i32 @f(ptr %p) {\n  %o = atomicrmw add ptr %p, i32 1 seq_cst\n"
		"  ret i32 %o\n}\n",
		"a write through a pointer argument");
	refused("define i32 @f(ptr %p) {\n  %o = cmpxchg ptr %p, i32 0, i32 1 seq_cst seq_cst\n"
		"  ret i32 0\n}\n",
		"a write through a pointer argument");
	/* inttoptr */
	refused("define i32 @f(ptr %p) {\n  %q = inttoptr i64 4096 to ptr\n"
		"  %v = load i32, ptr %q\n  ret i32 %v\n}\n",
		"integer");
	/* a write to constant data */
	refused("@k = private constant [4 x i8] zeroinitializer\n"
		"define i32 @f(ptr %p) {\n  store i8 1, ptr @k\n  ret i32 0\n}\n",
		"a write to constant data");
	/* a writable global */
	refused("@w = global i32 0\n"
		"define i32 @f(ptr %p) {\n  %v = load i32, ptr @w\n  ret i32 %v\n}\n",
		"not the extension's own constant data");
	/* a call through a pointer */
	refused("define i32 @f(ptr %p) {\n  %v = call i32 %p()\n  ret i32 %v\n}\n",
		"a call through a pointer");
	/* a variable-size alloca */
	refused("define i32 @f(ptr %p, i32 %n) {\n  %a = alloca i8, i32 %n\n  store volatile i8 0, "
		"ptr %a\n"
		"  ret i32 0\n}\n",
		"variable size");
	/* a memcpy from a pointer argument */
	refused("declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)\n"
		"define i32 @f(ptr %p) {\n  %a = alloca [8 x i8]\n"
		"  call void @llvm.memcpy.p0.p0.i64(ptr %a, ptr %p, i64 8, i1 false)\n"
		"  ret i32 0\n}\n",
		"a read through a pointer argument");
}

static void test_guard_proves_and_checks(void)
{
	struct ldr_ext_guard_stats st;
	char *err = NULL;
	/* constant offsets in range: nothing added; a packet-derived index: one check; a loop
	 * walking a pointer phi back to the same object: checked, not refused */
	CU_ASSERT_EQUAL(guard_ir("@k = private constant [4 x i32] [i32 1, i32 2, i32 3, i32 4]\n"
				 "define i32 @f(ptr %p) {\n"
				 "e:\n  %a = alloca [8 x i32]\n"
				 "  %g = getelementptr [8 x i32], ptr %a, i64 0, i64 7\n"
				 "  store i32 1, ptr %g\n"
				 "  %k3 = getelementptr [4 x i32], ptr @k, i64 0, i64 3\n"
				 "  %v = load i32, ptr %k3\n"
				 "  %i = call i32 @xdrv_ext_ld8(ptr %p, i32 0)\n"
				 "  %ix = zext i32 %i to i64\n"
				 "  %h = getelementptr [8 x i32], ptr %a, i64 0, i64 %ix\n"
				 "  store i32 %v, ptr %h\n"
				 "  br label %l\n"
				 "l:\n  %q = phi ptr [%a, %e], [%q1, %l]\n"
				 "  store i32 0, ptr %q\n"
				 "  %q1 = getelementptr i32, ptr %q, i64 1\n"
				 "  %d = icmp eq ptr %q1, %g\n"
				 "  br i1 %d, label %x, label %l\n"
				 "x:\n  ret i32 %v\n}\n",
				 &st, &err),
			0);
	if (err)
		fprintf(stderr, "guard: %s\n", err);
	free(err);
	CU_ASSERT_EQUAL(st.accesses, 4);
	CU_ASSERT_EQUAL(st.proved, 2);
	CU_ASSERT_EQUAL(st.checked, 2);
	/* a constant offset past the object: checked (it stops when it runs), not proved */
	err = NULL;
	CU_ASSERT_EQUAL(guard_ir("define i32 @f(ptr %p) {\n  %a = alloca [8 x i8]\n"
				 "  %g = getelementptr i8, ptr %a, i64 6\n"
				 "  %v = load i32, ptr %g\n  ret i32 %v\n}\n",
				 &st, &err),
			0);
	free(err);
	CU_ASSERT_EQUAL(st.proved, 0);
	CU_ASSERT_EQUAL(st.checked, 1);
}

/* ---- the batch entry point (ldr_ext_run_batch) ------------------------------------------ */

/* byte 0: 0 pass, 1 drop, 0xEE reads past the end (a stop in the middle of a batch); byte 1
 * counted into table 0 so a test can tell which frames ran */
static const char *batch_src = EXT_HEAD
	"static const struct xdrv_ext_table t[] = {\n"
	"  {.name = \"seen\", .kind = XDRV_EXT_TABLE_ARRAY, .max_entries = 256}, {0}};\n"
	"static int32_t run(P) {\n"
	"  uint32_t b = xdrv_ext_ld8(pkt, 0);\n"
	"  xdrv_ext_tab_add(pkt, 0, xdrv_ext_ld8(pkt, 1), 1);\n"
	"  if (b == 0xEE) return (int32_t)xdrv_ext_ld32(pkt, xdrv_ext_len(pkt));\n"
	"  return b == 1 ? XDRV_EXT_DROP : XDRV_EXT_PASS;\n"
	"}\n"
	"XDRV_EXTENSION(.hooks = 1, .name = \"batch\", .version = \"1.0.0\", .tables = t,\n"
	"  .run = run);\n";

static void test_batch_stop_in_the_middle(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_ext *e = ext_load(ctx, batch_src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(ldr_ext_writes(e), 0);
	enum { N = 8 };
	uint8_t buf[N][60], *fr[N];
	uint32_t len[N];
	int32_t out[N];
	for (int i = 0; i < N; i++) {
		frame_make(buf[i], 60, (uint8_t)(i & 1)); /* even pass, odd drop */
		buf[i][1] = (uint8_t)i;
		fr[i] = buf[i];
		len[i] = 60;
		out[i] = 12345;
	}
	struct ldr_ext_meta m = {.hook = XDRV_EXT_HOOK_RX};
	/* a clean batch: every frame its own verdict */
	CU_ASSERT_EQUAL(ldr_ext_run_batch(e, fr, len, N, &m, out), N);
	for (int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(out[i], (i & 1) ? XDRV_EXT_DROP : XDRV_EXT_PASS);
	/* frame 3 stops it: 0..2 keep their verdicts, 3..7 get the status and do not run */
	buf[3][0] = 0xEE;
	for (int i = 0; i < N; i++)
		out[i] = 12345;
	CU_ASSERT_EQUAL(ldr_ext_run_batch(e, fr, len, N, &m, out), 3);
	CU_ASSERT_EQUAL(out[0], XDRV_EXT_PASS);
	CU_ASSERT_EQUAL(out[1], XDRV_EXT_DROP);
	CU_ASSERT_EQUAL(out[2], XDRV_EXT_PASS);
	for (int i = 3; i < N; i++)
		CU_ASSERT_EQUAL(out[i], -ERANGE);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(ldr_ext_failure(e) ? ldr_ext_failure(e) : "", "xdrv_ext_ld32 at offset 60"));
	uint64_t v = 0;
	for (int i = 0; i < N; i++) {
		ldr_ext_table_get(e, 0, (uint64_t)i, &v);
		CU_ASSERT_EQUAL(v, i <= 3 ? 2u : 1u); /* 4..7 ran in the first batch only */
	}
	struct ldr_ext_stats st;
	ldr_ext_stats(e, &st);
	CU_ASSERT_EQUAL(st.runs, N + 4);
	CU_ASSERT_EQUAL(st.pass, 4 + 2);
	CU_ASSERT_EQUAL(st.drop, 4 + 1);
	CU_ASSERT_EQUAL(st.failed, 1);
	CU_ASSERT(st.run_ns > 0);
	/* failed for good: nothing runs, every frame gets the status */
	buf[3][0] = 0;
	CU_ASSERT_EQUAL(ldr_ext_run_batch(e, fr, len, N, &m, out), 0);
	for (int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(out[i], -ERANGE);
	CU_ASSERT_EQUAL(ldr_ext_run(e, buf[0], 60, &m), -ERANGE);
	ldr_ext_stats(e, &st);
	CU_ASSERT_EQUAL(st.runs, N + 4);
	ldr_ext_unload(e);

	/* a verdict that is none, in the middle: the same */
	e = ext_load(ctx, verdict_src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	for (int i = 0; i < N; i++)
		frame_make(buf[i], 60, i == 5 ? 9 : 1);
	CU_ASSERT_EQUAL(ldr_ext_run_batch(e, fr, len, N, &m, out), 5);
	for (int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(out[i], i < 5 ? XDRV_EXT_DROP : -EPROTO);
	ldr_ext_unload(e);
	ldr_ctx_destroy(ctx);
}

static void test_batch_budget_is_per_packet(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_ext *e = ext_load_opts(ctx, loop_src, 1000, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	enum { N = 64 };
	static uint8_t buf[N][60];
	uint8_t *fr[N];
	uint32_t len[N];
	int32_t out[N];
	for (int i = 0; i < N; i++) {
		frame_make(buf[i], 60, 9); /* 900 back edges each: 57600 for the batch */
		fr[i] = buf[i];
		len[i] = 60;
	}
	struct ldr_ext_meta m = {.hook = XDRV_EXT_HOOK_RX};
	for (int round = 0; round < 3; round++) {
		CU_ASSERT_EQUAL(ldr_ext_run_batch(e, fr, len, N, &m, out), N);
		for (int i = 0; i < N; i++)
			CU_ASSERT_EQUAL(out[i], XDRV_EXT_PASS);
	}
	CU_ASSERT_PTR_NULL(ldr_ext_failure(e));
	/* one frame over its own budget stops it there */
	buf[40][0] = 11; /* 1100 */
	CU_ASSERT_EQUAL(ldr_ext_run_batch(e, fr, len, N, &m, out), 40);
	CU_ASSERT_EQUAL(out[39], XDRV_EXT_PASS);
	CU_ASSERT_EQUAL(out[40], -ELOOP);
	CU_ASSERT_EQUAL(out[63], -ELOOP);
	ldr_ext_unload(e);
	ldr_ctx_destroy(ctx);
}

static void test_batch_rewrites_each_frame_and_writers_are_known(void)
{
	struct ldr_ctx *ctx = fx_ctx(LDR_JIT_EAGER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	struct ldr_ext *w = ext_load(ctx, rewrite_src);
	struct ldr_ext *r = ext_load(ctx, verdict_src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(ldr_ext_writes(w), 1);
	CU_ASSERT_EQUAL(ldr_ext_writes(r), 0);
	CU_ASSERT_EQUAL(ldr_ext_writes(NULL), 1);
	uint8_t a[64], b[48];
	frame_make(a, 64, 0);
	frame_make(b, 48, 0);
	uint8_t *fr[2] = {a, b};
	uint32_t len[2] = {64, 48};
	int32_t out[2];
	struct ldr_ext_meta m = {.hook = XDRV_EXT_HOOK_RX, .queue = 7};
	CU_ASSERT_EQUAL(ldr_ext_run_batch(w, fr, len, 2, &m, out), 2);
	CU_ASSERT(out[0] == XDRV_EXT_TX && out[1] == XDRV_EXT_TX);
	/* each frame rewritten, with its own length */
	CU_ASSERT(a[0] == 6 && a[6] == 0 && a[31] == 64 && a[27] == 7);
	CU_ASSERT(b[0] == 6 && b[6] == 0 && b[31] == 48 && b[27] == 7);
	ldr_ext_unload(w);
	ldr_ext_unload(r);
	ldr_ctx_destroy(ctx);
}

XTEST_SUITE(loader_ext, NULL, NULL, XTEST(test_verdicts), XTEST(test_rewrite_in_place),
	    XTEST(test_tables_from_both_sides), XTEST(test_read_out_of_bounds),
	    XTEST(test_write_out_of_bounds), XTEST(test_table_index_out_of_range),
	    XTEST(test_endless_loop_stopped_by_budget), XTEST(test_recursion_stopped),
	    XTEST(test_stack_array_out_of_bounds), XTEST(test_driver_import_refused),
	    XTEST(test_guard_refuses_pointer_tricks), XTEST(test_guard_proves_and_checks),
	    XTEST(test_batch_stop_in_the_middle), XTEST(test_batch_budget_is_per_packet),
	    XTEST(test_batch_rewrites_each_frame_and_writers_are_known))
