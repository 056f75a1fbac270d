// SPDX-License-Identifier: MIT
/*
 * The extension profile's lint (issue 16): the rules a packet extension (xdrv/ext.h) must meet on
 * top of the portability lint (sdk/lint.c, which also limits its imports to ext_symbols.def with
 * <xdrv/ext.h>'s prototypes). They make every memory access of an extension one the loader can
 * see and check: a packet byte through an accessor, or a slot of the extension's own stack or of
 * its constant data, reached from an alloca or a constant global by getelementptr.
 *
 *   - no writable globals (constants only; parameters, xdrv_param_*, are only read);
 *   - no load or store of a pointer-typed value, no inttoptr or ptrtoint;
 *   - no indirect calls, no recursion (no cycle in the call graph), no atomics;
 *   - allocas of a constant size only (no variable-length arrays, no stacksave/stackrestore);
 *   - a static stack limit: the bytes of every alloca along the deepest call chain from an
 *     entry (run) at most SDK_EXT_STACK_MAX;
 *   - pointers: every pointer value is the packet handle (run's parameter, or a helper's
 *     parameter that every caller passes the handle to), or points into an alloca or a constant
 *     global. The handle goes only to the ABI's functions and to such helpers, never through a
 *     load, store or getelementptr; loads and stores go to the stack or constants (stores: the
 *     stack only); memcpy/memmove/memset (calls or llvm.mem* intrinsics) write the stack and read
 *     the stack or constants; a defined function takes no other pointer parameter and returns
 *     no pointer.
 *
 * Every problem is one line naming the function or global and the construct and saying what to
 * write instead, like sdk/lint.c's. Runs on any verified module (the loader's input): reads only,
 * bounds its work.
 */
#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>

#include "sdk_private.h"

/* Where a pointer may come from (a set of these: a phi or select merges them). */
enum {
	P_PKT = 1,   /* the packet handle */
	P_STACK = 2, /* into an alloca */
	P_CONST = 4, /* into a constant global */
	P_PARAM = 8, /* a parameter's variable (read-only) */
	P_NULL = 16, /* null, undef, poison */
	P_FUNC = 32, /* a function (as a callee only) */
	P_BAD = 64,  /* reported where it arises (a parameter that is not the handle, a loaded
			pointer, inttoptr, a writable global): not again where it is used */
	P_ODD = 128, /* anything else (into the middle of a function or of the handle, a
			constant expression): reported where it is used */
};

#define MAX_FUNCS   1024 /* defined functions looked at; more is refused */
#define MAX_ITER    64	 /* fixed-point rounds per function */
#define MAX_CEXPR   16	 /* nesting of constant expressions followed */
#define CHAIN_SHOWN 6	 /* functions named in a stack-limit message */
#define LINT_WHO    160

/* sdk/lint.c's reporting, for the duration of one sdk_lint_ext call on this thread */
static _Thread_local const struct sdk_lint_io *lint_io;
#define sdk_lint_report(...) lint_io->report(__VA_ARGS__)
#define sdk_lint_name(l, v)  lint_io->name((l), (v))

struct fn {
	LLVMValueRef f;
	bool root;	   /* an entry the host calls: run (param 0 is the packet handle) */
	bool defined;	   /* has a body */
	unsigned nparams;  /* of the function type */
	uint32_t pkt_mask; /* bit i: parameter i is the packet handle (i < 32) */
	uint64_t own;	   /* bytes of its constant-size allocas */
	uint64_t deep;	   /* own + the deepest callee's (0: not computed) */
	int next_deep;	   /* callee on the deepest chain, -1 if none */
	int state;	   /* DFS: 0 new, 1 on the stack, 2 done */
	bool called;	   /* some function calls it */
	bool unsettled;	   /* infer() did not reach a fixed point: refused */
};

struct ext {
	struct lint *l;
	LLVMModuleRef m;
	LLVMTargetDataRef td;
	struct fn *fns;
	size_t nfns;
	struct sdk_descriptor d;
	bool have_desc;
	/* per function: instruction -> pointer class, by a small open hash */
	LLVMValueRef *keys;
	unsigned *vals;
	size_t cap;  /* allocated */
	size_t used; /* the part the current function uses (a power of two) */
	unsigned id_memcpy, id_memcpy_inline, id_memmove, id_memset, id_memset_inline;
	unsigned id_lifetime_start, id_lifetime_end, id_stacksave, id_stackrestore;
};

static int fn_index(const struct ext *x, LLVMValueRef f)
{
	for (size_t i = 0; i < x->nfns; i++)
		if (x->fns[i].f == f)
			return (int)i;
	return -1;
}

static const char *who_fn(struct ext *x, LLVMValueRef f, char *out, size_t n)
{
	snprintf(out, n, "function %s", sdk_lint_name(x->l, f));
	return out;
}

static bool is_ptr(LLVMTypeRef t)
{
	return LLVMGetTypeKind(t) == LLVMPointerTypeKind;
}

/* Does t hold a pointer anywhere (a pointer, a vector of them, a struct or array with one)? */
static bool holds_ptr(LLVMTypeRef t, int depth)
{
	if (depth > 16)
		return true;
	switch (LLVMGetTypeKind(t)) {
	case LLVMPointerTypeKind:
		return true;
	case LLVMVectorTypeKind:
	case LLVMScalableVectorTypeKind:
	case LLVMArrayTypeKind:
		return holds_ptr(LLVMGetElementType(t), depth + 1);
	case LLVMStructTypeKind: {
		unsigned n = LLVMCountStructElementTypes(t);
		for (unsigned i = 0; i < n; i++)
			if (holds_ptr(LLVMStructGetTypeAtIndex(t, i), depth + 1))
				return true;
		return false;
	}
	default:
		return false;
	}
}

static bool is_call(LLVMValueRef i)
{
	return LLVMIsACallInst(i) || LLVMIsAInvokeInst(i) || LLVMIsACallBrInst(i);
}

static bool is_param_var(LLVMValueRef g)
{
	size_t len = 0;
	const char *n = LLVMGetValueName2(g, &len);
	return n && len > 11 && strncmp(n, "xdrv_param_", 11) == 0;
}

/* ---- pointer classes ----------------------------------------------------------------------- */

/* v's entry in the table; inserted (class 0) when `add`, else NULL when missing. */
static unsigned *slot(struct ext *x, LLVMValueRef v, bool add)
{
	size_t h = ((uintptr_t)v >> 4) * 2654435761u;
	for (size_t k = 0; k < x->used; k++) {
		size_t i = (h + k) & (x->used - 1);
		if (x->keys[i] == v)
			return &x->vals[i];
		if (!x->keys[i]) {
			if (!add)
				return NULL;
			x->keys[i] = v;
			x->vals[i] = 0;
			return &x->vals[i];
		}
	}
	return NULL;
}

static unsigned class_of(struct ext *x, const struct fn *fn, LLVMValueRef v, int depth);

/* A pointer computed from one of class c (getelementptr): still into the same stack slot or
 * constant; from the handle, a function or null, into nothing the extension may touch. */
static unsigned derived(unsigned c)
{
	return (c & (P_PKT | P_FUNC | P_NULL)) ? (c & ~(P_PKT | P_FUNC | P_NULL)) | P_ODD : c;
}

static unsigned class_const(struct ext *x, const struct fn *fn, LLVMValueRef v, int depth)
{
	if (LLVMIsAConstantPointerNull(v) || LLVMIsAUndefValue(v) || LLVMIsAPoisonValue(v))
		return P_NULL;
	if (LLVMIsAFunction(v))
		return P_FUNC;
	if (LLVMIsAGlobalVariable(v)) {
		if (LLVMIsGlobalConstant(v))
			return P_CONST;
		return is_param_var(v) ? P_PARAM : P_BAD; /* writable: reported as a global */
	}
	if (LLVMIsAConstantExpr(v) && depth < MAX_CEXPR) {
		LLVMOpcode op = LLVMGetConstOpcode(v);
		if (op == LLVMIntToPtr)
			return P_BAD; /* reported by the walk of the operands */
		if (op == LLVMBitCast || op == LLVMAddrSpaceCast)
			return class_of(x, fn, LLVMGetOperand(v, 0), depth + 1);
		if (op == LLVMGetElementPtr)
			return derived(class_of(x, fn, LLVMGetOperand(v, 0), depth + 1));
	}
	return P_ODD;
}

/* The class of pointer value v in function fn (instructions from the table, kept up to date
 * by infer()). */
static unsigned class_of(struct ext *x, const struct fn *fn, LLVMValueRef v, int depth)
{
	if (LLVMIsAArgument(v)) {
		unsigned n = LLVMCountParams(fn->f);
		for (unsigned i = 0; i < n && i < 32; i++)
			if (LLVMGetParam(fn->f, i) == v)
				return (fn->pkt_mask >> i) & 1u ? P_PKT : P_BAD;
		return P_BAD;
	}
	if (LLVMIsAInstruction(v)) {
		unsigned *s = slot(x, v, false);
		return s ? *s : P_ODD; /* not a pointer infer() saw (a vector of pointers) */
	}
	if (LLVMIsAConstant(v))
		return class_const(x, fn, v, depth);
	return P_BAD;
}

/* The class an instruction producing a pointer gives it, from its operands' classes. */
static unsigned class_from(struct ext *x, const struct fn *fn, LLVMValueRef i)
{
	switch (LLVMGetInstructionOpcode(i)) {
	case LLVMAlloca:
		return P_STACK;
	case LLVMGetElementPtr:
		return derived(class_of(x, fn, LLVMGetOperand(i, 0), 0));
	case LLVMBitCast:
	case LLVMAddrSpaceCast:
	case LLVMFreeze:
		return class_of(x, fn, LLVMGetOperand(i, 0), 0);
	case LLVMPHI: {
		unsigned c = 0, n = LLVMCountIncoming(i);
		for (unsigned k = 0; k < n; k++)
			c |= class_of(x, fn, LLVMGetIncomingValue(i, k), 0);
		return c;
	}
	case LLVMSelect:
		return class_of(x, fn, LLVMGetOperand(i, 1), 0) |
		       class_of(x, fn, LLVMGetOperand(i, 2), 0);
	case LLVMCall: {
		/* llvm.ptrmask, launder/strip.invariant.group, memcpy's result: their first
		 * argument's */
		LLVMValueRef callee = LLVMGetCalledValue(i);
		size_t len = 0;
		const char *n =
			callee && LLVMIsAFunction(callee) ? LLVMGetValueName2(callee, &len) : NULL;
		if (n && LLVMGetNumArgOperands(i) > 0 &&
		    (strncmp(n, "llvm.ptrmask", 12) == 0 ||
		     strncmp(n, "llvm.launder.invariant.group", 28) == 0 ||
		     strncmp(n, "llvm.strip.invariant.group", 26) == 0 ||
		     (len == 6 && (strcmp(n, "memcpy") == 0 || strcmp(n, "memset") == 0)) ||
		     (len == 7 && strcmp(n, "memmove") == 0))) {
			return derived(class_of(x, fn, LLVMGetOperand(i, 0), 0));
		}
		/* stacksave (reported), a defined function returning a pointer (reported) */
		return P_BAD;
	}
	default:
		return P_BAD; /* loads of pointers, inttoptr, extractvalue: reported */
	}
}

/* Classes of every pointer-typed instruction of fn, to a fixed point (phis are monotone). */
static void infer(struct ext *x, struct fn *fn)
{
	size_t ninst = 0;
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn->f); bb;
	     bb = LLVMGetNextBasicBlock(bb))
		for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
			ninst++;
	x->used = 16;
	while (x->used < 2 * ninst + 2 && x->used < x->cap)
		x->used *= 2;
	memset(x->keys, 0, x->used * sizeof *x->keys);
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn->f); bb;
	     bb = LLVMGetNextBasicBlock(bb))
		for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
			if (is_ptr(LLVMTypeOf(i)) && !slot(x, i, true)) {
				fn->unsettled =
					true; /* cannot happen: the table has room for all */
				return;
			}
	fn->unsettled = false;
	for (int round = 0; round < MAX_ITER; round++) {
		bool changed = false;
		for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn->f); bb;
		     bb = LLVMGetNextBasicBlock(bb))
			for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i;
			     i = LLVMGetNextInstruction(i)) {
				if (!is_ptr(LLVMTypeOf(i)))
					continue;
				unsigned *s = slot(x, i, false);
				if (!s)
					continue;
				unsigned c = *s | class_from(x, fn, i);
				if (c != *s) {
					*s = c;
					changed = true;
				}
			}
		if (!changed)
			return;
	}
	fn->unsettled = true;
}

/* ---- the checks of one function's body ------------------------------------------------- */

static const char *class_words(unsigned c)
{
	if (c & P_PKT)
		return "the packet handle";
	if (c & P_NULL)
		return "a null or undefined pointer";
	if (c & P_STACK)
		return "a pointer to the stack";
	if (c & P_PARAM)
		return "a parameter's variable";
	if (c & P_CONST)
		return "constant data";
	if (c & P_FUNC)
		return "a function";
	return "a pointer of unknown origin (into a function, the packet handle or null)";
}

/* The memory a call's pointer arguments may point to. */
static void check_call_args(struct ext *x, const struct fn *fn, const char *who, LLVMValueRef call)
{
	LLVMValueRef callee = LLVMGetCalledValue(call);
	LLVMValueRef f = callee ? LLVMIsAFunction(callee) : NULL;
	if (!f) {
		sdk_lint_report(x->l, call,
				"%s: indirect call (through a function pointer): call functions by "
				"name; an extension has no function pointers",
				who);
		return;
	}
	unsigned id = LLVMGetIntrinsicID(f);
	size_t len = 0;
	const char *name = LLVMGetValueName2(f, &len);
	unsigned nargs = LLVMGetNumArgOperands(call);
	bool memfn =
		(id && (id == x->id_memcpy || id == x->id_memcpy_inline || id == x->id_memmove ||
			id == x->id_memset || id == x->id_memset_inline)) ||
		(!id && LLVMIsDeclaration(f) &&
		 ((len == 6 && (strcmp(name, "memcpy") == 0 || strcmp(name, "memset") == 0)) ||
		  (len == 7 && strcmp(name, "memmove") == 0)));
	if (id == x->id_stacksave || id == x->id_stackrestore) {
		sdk_lint_report(
			x->l, call,
			"%s: %s (a variable-length array or alloca() with a run-time size): "
			"the extension's stack must have a size known when it is built: use "
			"a fixed-size array",
			who, sdk_lint_name(x->l, f));
		return;
	}
	int callee_fn = LLVMIsDeclaration(f) ? -1 : fn_index(x, f);
	for (unsigned k = 0; k < nargs; k++) {
		LLVMValueRef a = LLVMGetOperand(call, k);
		if (!a || !is_ptr(LLVMTypeOf(a)))
			continue;
		unsigned all = class_of(x, fn, a, 0), c = all & ~P_BAD;
		if (c == 0)
			continue; /* reported where it arose */
		if (memfn) {
			bool dst = k == 0;
			unsigned ok = dst ? P_STACK : (P_STACK | P_CONST | P_PARAM);
			if (c & ~ok)
				sdk_lint_report(
					x->l, call,
					"%s: %s %s %s: memcpy, memmove and memset work on "
					"the extension's own stack (and read its constants); "
					"copy packet bytes with xdrv_ext_ld*/st*",
					who, sdk_lint_name(x->l, f),
					dst ? "writes to" : "reads from", class_words(c & ~ok));
			continue;
		}
		if (id) {
			/* lifetime markers, objectsize, prefetch, annotations: never the handle */
			if (c & P_PKT)
				sdk_lint_report(
					x->l, call,
					"%s: passes the packet handle to %s: the handle goes "
					"only to the xdrv_ext_* functions",
					who, sdk_lint_name(x->l, f));
			continue;
		}
		if (LLVMIsDeclaration(f)) {
			/* an import of ext_symbols.def: its pointer parameter is the handle */
			if (all != P_PKT)
				sdk_lint_report(x->l, call,
						"%s: passes %s to %s where the packet handle is "
						"expected: pass the handle run() was given",
						who, class_words(c & ~P_PKT),
						sdk_lint_name(x->l, f));
			continue;
		}
		if (callee_fn >= 0 && k < 32 && ((x->fns[callee_fn].pkt_mask >> k) & 1u) &&
		    all != P_PKT)
			sdk_lint_report(
				x->l, call,
				"%s: passes %s to %s's parameter %u, which takes the packet "
				"handle elsewhere: pass values, not pointers",
				who, class_words(c & ~P_PKT), sdk_lint_name(x->l, f), k + 1);
	}
}

static void check_body(struct ext *x, struct fn *fn)
{
	char who[LINT_WHO];
	who_fn(x, fn->f, who, sizeof who);
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn->f); bb;
	     bb = LLVMGetNextBasicBlock(bb)) {
		bool entry = bb == LLVMGetEntryBasicBlock(fn->f);
		for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i;
		     i = LLVMGetNextInstruction(i)) {
			LLVMOpcode op = LLVMGetInstructionOpcode(i);
			switch (op) {
			case LLVMLoad: {
				if (holds_ptr(LLVMTypeOf(i), 0))
					sdk_lint_report(
						x->l, i,
						"%s: load of a pointer: an extension keeps no "
						"pointers in memory; keep offsets and indexes "
						"(integers) instead",
						who);
				unsigned c = class_of(x, fn, LLVMGetOperand(i, 0), 0) & ~P_BAD;
				if (c & ~(P_STACK | P_CONST | P_PARAM))
					sdk_lint_report(
						x->l, i,
						"%s: load through %s: read the packet with "
						"xdrv_ext_ld8/16/32, and memory only on the "
						"stack or in constants",
						who,
						class_words(c & ~(P_STACK | P_CONST | P_PARAM)));
				break;
			}
			case LLVMStore: {
				if (holds_ptr(LLVMTypeOf(LLVMGetOperand(i, 0)), 0))
					sdk_lint_report(
						x->l, i,
						"%s: store of a pointer: an extension keeps no "
						"pointers in memory; keep offsets and indexes "
						"(integers) instead",
						who);
				unsigned c = class_of(x, fn, LLVMGetOperand(i, 1), 0) & ~P_BAD;
				if (c & ~P_STACK)
					sdk_lint_report(
						x->l, i,
						"%s: store through %s: write the packet with "
						"xdrv_ext_st8/16/32, tables with "
						"xdrv_ext_tab_set/add, locals on the stack",
						who, class_words(c & ~P_STACK));
				break;
			}
			case LLVMIntToPtr:
				sdk_lint_report(x->l, i,
						"%s: inttoptr (an integer cast to a pointer): an "
						"extension has no addresses; use offsets into the "
						"packet (xdrv_ext_ld*/st*) or indexes into a local "
						"array",
						who);
				break;
			case LLVMPtrToInt:
				sdk_lint_report(x->l, i,
						"%s: ptrtoint (a pointer cast to an integer): no "
						"address may reach the packet or a table; compute "
						"with offsets and indexes",
						who);
				break;
			case LLVMAlloca:
				if (!entry || !LLVMIsAConstantInt(LLVMGetOperand(i, 0)))
					sdk_lint_report(
						x->l, i,
						"%s: dynamic alloca (a variable-length array or "
						"alloca() with a run-time size): the extension's "
						"stack must have a size known when it is built: "
						"use "
						"a fixed-size array",
						who);
				break;
			case LLVMGetElementPtr: {
				unsigned c = class_of(x, fn, LLVMGetOperand(i, 0), 0);
				if (c & P_PKT)
					sdk_lint_report(
						x->l, i,
						"%s: address arithmetic on the packet handle: "
						"read the packet with xdrv_ext_ld8/16/32 at an "
						"offset",
						who);
				break;
			}
			case LLVMAtomicRMW:
			case LLVMAtomicCmpXchg:
			case LLVMFence:
				sdk_lint_report(
					x->l, i,
					"%s: atomic operation: an extension's memory is its "
					"own stack; count shared things with "
					"xdrv_ext_tab_add",
					who);
				break;
			case LLVMRet:
				break;
			default:
				break;
			}
			if (is_call(i))
				check_call_args(x, fn, who, i);
			/* pointer operands of anything not handled above */
			if (op == LLVMInsertValue || op == LLVMInsertElement ||
			    op == LLVMShuffleVector || op == LLVMExtractValue ||
			    op == LLVMExtractElement || op == LLVMVAArg) {
				int n = LLVMGetNumOperands(i);
				for (int k = 0; k < n; k++) {
					LLVMValueRef o = LLVMGetOperand(i, (unsigned)k);
					if (o && holds_ptr(LLVMTypeOf(o), 0)) {
						sdk_lint_report(x->l, i,
								"%s: a pointer inside an "
								"aggregate or vector: keep "
								"offsets and indexes instead",
								who);
						break;
					}
				}
			}
			/* inttoptr/ptrtoint hidden in a constant operand */
			int n = LLVMGetNumOperands(i);
			for (int k = 0; k < n; k++) {
				LLVMValueRef o = LLVMGetOperand(i, (unsigned)k);
				for (int d = 0; o && LLVMIsAConstantExpr(o) && d < MAX_CEXPR; d++) {
					LLVMOpcode cop = LLVMGetConstOpcode(o);
					if (cop == LLVMIntToPtr || cop == LLVMPtrToInt) {
						sdk_lint_report(
							x->l, i,
							"%s: %s in a constant: an extension has no "
							"addresses; use offsets and indexes",
							who,
							cop == LLVMIntToPtr ? "inttoptr"
									    : "ptrtoint");
						break;
					}
					o = LLVMGetOperand(o, 0);
				}
			}
		}
	}
}

/* ---- call graph: recursion and the stack --------------------------------------------------- */

static bool has_scalable(LLVMTypeRef t, int depth)
{
	if (depth > 16)
		return true;
	switch (LLVMGetTypeKind(t)) {
	case LLVMScalableVectorTypeKind:
		return true;
	case LLVMArrayTypeKind:
	case LLVMVectorTypeKind:
		return has_scalable(LLVMGetElementType(t), depth + 1);
	case LLVMStructTypeKind: {
		unsigned n = LLVMCountStructElementTypes(t);
		for (unsigned k = 0; k < n; k++)
			if (has_scalable(LLVMStructGetTypeAtIndex(t, k), depth + 1))
				return true;
		return false;
	}
	default:
		return false;
	}
}

static uint64_t alloca_bytes(struct ext *x, LLVMValueRef i)
{
	LLVMValueRef n = LLVMGetOperand(i, 0);
	uint64_t count = n && LLVMIsAConstantInt(n) ? LLVMConstIntGetZExtValue(n) : 0;
	LLVMTypeRef t = LLVMGetAllocatedType(i);
	/* a scalable vector has no size known when built (refused by the portability lint too) */
	if (!LLVMTypeIsSized(t) || has_scalable(t, 0))
		return (uint64_t)SDK_EXT_STACK_MAX + 1;
	uint64_t sz = LLVMABISizeOfType(x->td, t);
	if (count && sz > UINT64_MAX / count)
		return UINT64_MAX / 2;
	return sz * count;
}

/* A cycle: path[0..depth] calls fns[j], which is on the path. */
static void report_cycle(struct ext *x, const int *path, int depth, int j, LLVMValueRef call)
{
	char chain[512], who[LINT_WHO];
	size_t o = 0;
	int k = depth;
	while (k > 0 && path[k] != j)
		k--;
	chain[0] = 0;
	for (int q = k; q <= depth; q++) {
		int w = snprintf(chain + o, sizeof chain - o, "%s -> ",
				 sdk_lint_name(x->l, x->fns[path[q]].f));
		if (w < 0 || (size_t)w >= sizeof chain - o)
			break;
		o += (size_t)w;
	}
	snprintf(chain + o, sizeof chain - o, "%s", sdk_lint_name(x->l, x->fns[j].f));
	sdk_lint_report(x->l, call,
			"%s: recursion (%s): the extension profile refuses it, the stack must be "
			"bounded when the extension is built: write it as a loop",
			who_fn(x, x->fns[path[depth]].f, who, sizeof who), chain);
}

/* DFS from fns[i]: reports cycles, computes deep. */
static void walk(struct ext *x, int i, int *path, int depth)
{
	struct fn *fn = &x->fns[i];
	fn->state = 1;
	path[depth] = i;
	uint64_t best = 0;
	int best_i = -1;
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn->f); bb;
	     bb = LLVMGetNextBasicBlock(bb))
		for (LLVMValueRef in = LLVMGetFirstInstruction(bb); in;
		     in = LLVMGetNextInstruction(in)) {
			if (!is_call(in))
				continue;
			LLVMValueRef callee = LLVMGetCalledValue(in);
			int j = callee && LLVMIsAFunction(callee) && !LLVMIsDeclaration(callee)
					? fn_index(x, callee)
					: -1;
			if (j < 0)
				continue;
			x->fns[j].called = true;
			if (x->fns[j].state == 1) {
				report_cycle(x, path, depth, j, in);
				continue;
			}
			if (x->fns[j].state == 0 && depth + 1 < (int)x->nfns)
				walk(x, j, path, depth + 1);
			if (x->fns[j].deep > best) {
				best = x->fns[j].deep;
				best_i = j;
			}
		}
	fn->deep = fn->own + best;
	fn->next_deep = best_i;
	fn->state = 2;
}

static void check_stack(struct ext *x)
{
	int *path = calloc(x->nfns + 1, sizeof *path);
	if (!path)
		return;
	for (size_t i = 0; i < x->nfns; i++) {
		struct fn *fn = &x->fns[i];
		for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn->f); bb;
		     bb = LLVMGetNextBasicBlock(bb))
			for (LLVMValueRef in = LLVMGetFirstInstruction(bb); in;
			     in = LLVMGetNextInstruction(in))
				if (LLVMGetInstructionOpcode(in) == LLVMAlloca) {
					uint64_t b = alloca_bytes(x, in);
					fn->own = fn->own + b < fn->own ? UINT64_MAX / 2
									: fn->own + b;
				}
	}
	for (size_t i = 0; i < x->nfns; i++)
		if (x->fns[i].state == 0)
			walk(x, (int)i, path, 0);
	free(path);
	/* report from the entries (run), or from functions nobody calls */
	for (size_t i = 0; i < x->nfns; i++) {
		struct fn *fn = &x->fns[i];
		if (fn->deep <= SDK_EXT_STACK_MAX || (!fn->root && fn->called))
			continue;
		char chain[400], who[LINT_WHO];
		size_t o = 0;
		int k = (int)i;
		chain[0] = 0;
		for (int q = 0; k >= 0 && q < CHAIN_SHOWN; q++, k = x->fns[k].next_deep) {
			int w = snprintf(chain + o, sizeof chain - o, "%s%s (%llu)",
					 q ? " -> " : "", sdk_lint_name(x->l, x->fns[k].f),
					 (unsigned long long)x->fns[k].own);
			if (w < 0 || (size_t)w >= sizeof chain - o)
				break;
			o += (size_t)w;
		}
		sdk_lint_report(
			x->l, fn->f,
			"%s: stack of %llu bytes along %s%s, over the extension limit of %u "
			"bytes (the sum of the local variables along the deepest call chain): "
			"use smaller local arrays, or keep the data in a table",
			who_fn(x, fn->f, who, sizeof who), (unsigned long long)fn->deep, chain,
			k >= 0 ? " -> ..." : "", SDK_EXT_STACK_MAX);
	}
}

/* ---- functions and globals ------------------------------------------------------------------ */

/* Which pointer parameters are the packet handle: run's first; a helper's when every call
 * passes the handle (an optimistic fixed point: start with all, drop what a call refutes). */
static void infer_pkt_params(struct ext *x)
{
	for (size_t i = 0; i < x->nfns; i++) {
		struct fn *fn = &x->fns[i];
		fn->pkt_mask = 0;
		for (unsigned k = 0; k < fn->nparams && k < 32; k++)
			if (is_ptr(LLVMTypeOf(LLVMGetParam(fn->f, k))))
				fn->pkt_mask |= 1u << k;
		if (fn->root)
			fn->pkt_mask &= 1u;
	}
	for (int round = 0; round < MAX_ITER; round++) {
		bool changed = false;
		for (size_t i = 0; i < x->nfns; i++) {
			struct fn *fn = &x->fns[i];
			infer(x, fn);
			for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn->f); bb;
			     bb = LLVMGetNextBasicBlock(bb))
				for (LLVMValueRef in = LLVMGetFirstInstruction(bb); in;
				     in = LLVMGetNextInstruction(in)) {
					if (!is_call(in))
						continue;
					LLVMValueRef callee = LLVMGetCalledValue(in);
					int j = callee && LLVMIsAFunction(callee)
							? fn_index(x, callee)
							: -1;
					if (j < 0)
						continue; /* run too: called with the handle only */
					unsigned na = LLVMGetNumArgOperands(in);
					for (unsigned k = 0; k < na && k < 32; k++) {
						if (!((x->fns[j].pkt_mask >> k) & 1u))
							continue;
						LLVMValueRef a = LLVMGetOperand(in, k);
						if (class_of(x, fn, a, 0) != P_PKT) {
							x->fns[j].pkt_mask &= ~(1u << k);
							changed = true;
						}
					}
				}
		}
		if (!changed)
			return;
	}
	/* no fixed point in MAX_ITER rounds (a hostile call graph): no helper's parameter is
	 * taken for the handle, which refuses them rather than trusting a guess */
	for (size_t i = 0; i < x->nfns; i++)
		x->fns[i].pkt_mask = 0;
}

static bool address_taken_outside_descriptor(LLVMValueRef f)
{
	for (LLVMUseRef u = LLVMGetFirstUse(f); u; u = LLVMGetNextUse(u)) {
		LLVMValueRef user = LLVMGetUser(u);
		if (is_call(user) && LLVMGetCalledValue(user) == f) {
			unsigned n = LLVMGetNumArgOperands(user);
			bool as_arg = false;
			for (unsigned k = 0; k < n; k++)
				as_arg = as_arg || LLVMGetOperand(user, k) == f;
			if (!as_arg)
				continue;
		}
		if (LLVMIsAConstant(user) && !LLVMIsAGlobalValue(user))
			continue; /* the descriptor's initializer (checked by the descriptor reader)
				   */
		return true;
	}
	return false;
}

static bool used_in_constant(LLVMValueRef f)
{
	for (LLVMUseRef u = LLVMGetFirstUse(f); u; u = LLVMGetNextUse(u))
		if (LLVMIsAConstant(LLVMGetUser(u)))
			return true;
	return false;
}

static void check_function(struct ext *x, struct fn *fn)
{
	char who[LINT_WHO];
	who_fn(x, fn->f, who, sizeof who);
	LLVMTypeRef fty = LLVMGlobalGetValueType(fn->f);
	if (fn->unsettled) {
		sdk_lint_report(
			x->l, fn->f,
			"%s: too complex for the extension lint (where its pointers point did "
			"not settle in %d rounds): split it into smaller functions",
			who, MAX_ITER);
		return;
	}
	if (fn->root) {
		LLVMTypeRef ret = LLVMGetReturnType(fty);
		if (LLVMCountParamTypes(fty) != 1 || !is_ptr(LLVMTypeOf(LLVMGetParam(fn->f, 0))) ||
		    LLVMGetTypeKind(ret) != LLVMIntegerTypeKind || LLVMGetIntTypeWidth(ret) != 32)
			sdk_lint_report(x->l, fn->f,
					"%s: run must be int32_t run(xdrv_ext_pkt_t *pkt), as "
					"struct xdrv_ext declares it",
					who);
	}
	if (holds_ptr(LLVMGetReturnType(fty), 0))
		sdk_lint_report(x->l, fn->f,
				"%s: returns a pointer: an extension's functions return values "
				"(integers, or a struct by value)",
				who);
	for (unsigned k = 0; k < fn->nparams; k++) {
		LLVMValueRef p = LLVMGetParam(fn->f, k);
		LLVMTypeRef t = LLVMTypeOf(p);
		if (!holds_ptr(t, 0) || (k < 32 && ((fn->pkt_mask >> k) & 1u)))
			continue;
		sdk_lint_report(
			x->l, fn->f,
			"%s: pointer parameter %u that is not the packet handle: helpers take "
			"the handle and values; pass values and return a value (or a "
			"struct by value), or make the helper static (not noinline) so "
			"that `xdrv build --extension` inlines it",
			who, k + 1);
	}
	if (!fn->root && address_taken_outside_descriptor(fn->f))
		sdk_lint_report(x->l, fn->f,
				"%s: address taken: an extension has no function pointers (the "
				"host calls only the descriptor's run): call it by name",
				who);
	check_body(x, fn);
}

static void check_globals(struct ext *x)
{
	for (LLVMValueRef g = LLVMGetFirstGlobal(x->m); g; g = LLVMGetNextGlobal(g)) {
		size_t len = 0;
		const char *n = LLVMGetValueName2(g, &len);
		const char *sec = LLVMGetSection(g);
		if (LLVMIsDeclaration(g) || (n && len > 5 && strncmp(n, "llvm.", 5) == 0) ||
		    (sec && strcmp(sec, "llvm.metadata") == 0))
			continue; /* data imports and llvm.* are sdk/lint.c's */
		char who[LINT_WHO];
		snprintf(who, sizeof who, "global %s", sdk_lint_name(x->l, g));
		if (LLVMIsGlobalConstant(g))
			continue;
		if (!is_param_var(g)) {
			sdk_lint_report(x->l, NULL,
					"%s: writable global: an extension keeps nothing between "
					"packets in its own memory: make it const, keep state in a "
					"table (xdrv_ext_tab_*), or use a local variable",
					who);
			continue;
		}
		/* a parameter: only loads, and the descriptor's params list */
		for (LLVMUseRef u = LLVMGetFirstUse(g); u; u = LLVMGetNextUse(u)) {
			LLVMValueRef user = LLVMGetUser(u);
			if ((LLVMIsALoadInst(user) && LLVMGetOperand(user, 0) == g) ||
			    (LLVMIsAConstant(user) && !LLVMIsAGlobalValue(user)))
				continue;
			sdk_lint_report(x->l, LLVMIsAInstruction(user) ? user : NULL,
					"%s: parameter written or its address passed on: an "
					"extension's parameters are read-only: only read it",
					who);
			break;
		}
	}
}

void sdk_lint_ext(struct lint *l, const struct sdk_lint_io *io, LLVMModuleRef m)
{
	lint_io = io;
	struct ext x = {.l = l, .m = m, .td = LLVMGetModuleDataLayout(m)};
	x.have_desc = sdk_descriptor_read(m, &x.d, NULL) == 0;
	static const struct {
		const char *name;
		size_t off;
	} ids[] = {
		{"llvm.memcpy", offsetof(struct ext, id_memcpy)},
		{"llvm.memcpy.inline", offsetof(struct ext, id_memcpy_inline)},
		{"llvm.memmove", offsetof(struct ext, id_memmove)},
		{"llvm.memset", offsetof(struct ext, id_memset)},
		{"llvm.memset.inline", offsetof(struct ext, id_memset_inline)},
		{"llvm.lifetime.start", offsetof(struct ext, id_lifetime_start)},
		{"llvm.lifetime.end", offsetof(struct ext, id_lifetime_end)},
		{"llvm.stacksave", offsetof(struct ext, id_stacksave)},
		{"llvm.stackrestore", offsetof(struct ext, id_stackrestore)},
	};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		*(unsigned *)((char *)&x + ids[i].off) =
			LLVMLookupIntrinsicID(ids[i].name, strlen(ids[i].name));

	size_t n = 0, ninst = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f)) {
			n++;
			for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb;
			     bb = LLVMGetNextBasicBlock(bb))
				for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i;
				     i = LLVMGetNextInstruction(i))
					ninst++;
		}
	if (n > MAX_FUNCS) {
		sdk_lint_report(l, NULL,
				"module: %zu functions, over the extension limit of %d: an "
				"extension is small",
				n, MAX_FUNCS);
		goto out;
	}
	x.cap = 64;
	while (x.cap < 2 * ninst + 2)
		x.cap *= 2;
	x.fns = calloc(n ? n : 1, sizeof *x.fns);
	x.keys = calloc(x.cap, sizeof *x.keys);
	x.vals = calloc(x.cap, sizeof *x.vals);
	if (!x.fns || !x.keys || !x.vals) {
		sdk_lint_report(l, NULL, "module: out of memory in the extension lint");
		goto out;
	}
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
		if (LLVMIsDeclaration(f))
			continue;
		struct fn *fn = &x.fns[x.nfns++];
		fn->f = f;
		fn->defined = true;
		fn->nparams = LLVMCountParams(f);
		fn->next_deep = -1;
		size_t len = 0;
		const char *name = LLVMGetValueName2(f, &len);
		if (x.have_desc)
			fn->root = x.d.run && name && strlen(name) == len &&
				   strcmp(name, x.d.run) == 0;
		else /* no readable descriptor: every function named in a constant is an entry */
			fn->root = used_in_constant(f);
	}
	check_globals(&x);
	infer_pkt_params(&x);
	for (size_t i = 0; i < x.nfns; i++) {
		infer(&x, &x.fns[i]);
		check_function(&x, &x.fns[i]);
	}
	check_stack(&x);
out:
	free(x.fns);
	free(x.keys);
	free(x.vals);
	if (x.have_desc)
		sdk_descriptor_free(&x.d);
}
