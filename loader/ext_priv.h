/* SPDX-License-Identifier: MIT */
/*
 * Packet extensions, the loader's private side (issue 16): shared by ext.c (the ldr_ext object,
 * ext_host.h), ext_bind.c (the host functions an extension imports, its tables, the stops),
 * ext_guard.c (the memory-check pass) and ext_lint.c (what an extension module may contain),
 * and by image.c / jit.c where the extension path branches off the driver path. Tests include it.
 */
#ifndef XDRV_LDR_EXT_PRIV_H
#define XDRV_LDR_EXT_PRIV_H

#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <stdint.h>

#include "ldr_jit.h"
#include "xdrv/ext_host.h"

/* The descriptor's symbol. */
#define LDR_EXT_DESC_SYM "xdrv_extension"
/* Names the loader adds to an extension's module (the guard pass's stop function); a module
 * that names anything starting with this is refused. */
#define LDR_EXT_RESERVED_PREFIX "__xdrv_ext"
#define LDR_EXT_RANGE_STOP_SYM	"__xdrv_ext_range_stop"
/* The budget instrumentation of an extension: compiled with these constants whatever the
 * per-packet budget (so the object does not depend on it); ldr_ext_run starts the counter at
 * LDR_EXT_BUDGET_MAX - budget, so the code stops after `budget` back edges. */
#define LDR_EXT_DEPTH_MAX 64u /* frames of the extension's recursive functions */

/* ---- ext_lint.c ------------------------------------------------------------------------------
 * What an extension module may contain, checked by the loader whatever the SDK did: imports
 * only from ext_symbols.def (and intrinsics), no writable or external globals, no inline
 * assembly, no calls through pointers, a constant `xdrv_extension` whose pointer fields name
 * the module's own constants, no names of the loader's (__xdrv_ext*, __xdrv_budget*). */
int ldr_ext_lint(LLVMModuleRef m, char **err);
/* 1 if `name` is in ext_symbols.def. */
int ldr_ext_symbol_allowed(const char *name, size_t len);

/* ---- ext_guard.c -----------------------------------------------------------------------------
 * The memory-check pass (its header comment has the argument). Runs on the retargeted module
 * (host data layout), before the budget pass and the optimizer. -EINVAL with a message naming
 * the function and the instruction for what it cannot trace. */
struct ldr_ext_guard_stats {
	uint32_t accesses; /* loads, stores, mem* calls seen */
	uint32_t proved;   /* constant offsets in range: no check */
	uint32_t checked;  /* runtime checks inserted */
};
int ldr_ext_guard(LLVMModuleRef m, struct ldr_ext_guard_stats *st, char **err);

/* ---- ext_bind.c ------------------------------------------------------------------------------ */
/* Define the absolute symbols of an extension image's JITDylib (jit.c calls this instead of
 * its driver ABI for an image with is_ext): the ext_symbols.def functions, the budget state
 * (img->ext_budget, allocated here) and stop, the guard pass's stop, the back end's helpers. */
int ldr_ext_define_abi(struct ldr_image *img, char **err);

struct ldr_ext_table {
	char name[32];
	uint32_t kind, max;
	uint32_t count; /* hash: keys present */
	uint32_t cap;	/* hash: slots, a power of two > max */
	uint64_t *vals; /* array: max values; hash: cap values */
	uint64_t *keys; /* hash: cap keys */
	uint8_t *used;	/* hash: cap flags */
};

struct ldr_ext {
	struct ldr_ctx *ctx;
	struct ldr_image *img;
	char *name, *version;
	uint32_t hooks, abi_version;
	uint8_t digest[32];
	int32_t (*run)(xdrv_ext_pkt_t *pkt);
	uint64_t budget;
	int writes;			 /* may rewrite frames (imports xdrv_ext_st*) */
	struct ldr_budget_state *bstate; /* the image's */
	struct ldr_ext_table tables[XDRV_EXT_TABLES_MAX];
	uint32_t ntables;
	struct ldr_ext_stats st;
	int failed;
	int32_t fail_rc;
	char failure[320];
};

/* Tables (ext_bind.c): allocate from the descriptor's list; free. */
int ldr_ext_tables_init(struct ldr_ext *e, const struct xdrv_ext_table *list, char **err);
void ldr_ext_tables_free(struct ldr_ext *e);
/* 0 / -ERANGE / -ENOSPC; *v the value (get: 0 when absent). */
int ldr_ext_tab_lookup(const struct ldr_ext_table *t, uint64_t key, uint64_t *v);
int ldr_ext_tab_store(struct ldr_ext_table *t, uint64_t key, uint64_t v, uint64_t **slot);

/* One run (ext_bind.c): the frame and the extension the host functions act on, set by
 * ldr_ext_run around run(), thread-local. */
struct ldr_ext_run {
	struct ldr_ext *e;
	uint8_t *frame;
	uint32_t len;
	const struct ldr_ext_meta *meta;
};
void ldr_ext_run_begin(struct ldr_ext_run *r, struct ldr_ext_run **prev);
void ldr_ext_run_end(struct ldr_ext_run *prev);
/* The handle run() gets for run r. */
xdrv_ext_pkt_t *ldr_ext_handle(struct ldr_ext_run *r);

/* Tests: load an extension from a parsed module in this process (no package, no compiler
 * process): lint, guard, budget, optimize, JIT. Ownership of m passes in. */
int ldr_ext_load_module(struct ldr_ctx *ctx, LLVMOrcThreadSafeContextRef tsc, LLVMModuleRef m,
			const char *label, const struct ldr_ext_opts *opts, struct ldr_ext **out,
			char **err);

#endif
