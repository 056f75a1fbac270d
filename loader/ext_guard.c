// SPDX-License-Identifier: MIT
/*
 * The memory-check pass of packet extensions (issue 16): every access an extension's code makes
 * to memory is proved in range when it is loaded or checked when it runs. LLVM-C only.
 *
 * What an extension's code can reach in memory at all: the packet and its tables only through
 * host functions (ext_bind.c, which check every offset and index), so the pass is about the
 * accesses the code makes itself: load, store, atomicrmw, cmpxchg, and the memcpy / memmove /
 * memset calls (intrinsics or the ext_symbols.def imports). For each of them:
 *
 *   1. the pointer must derive from one object of the module: an alloca of constant size, or a
 *      global of the module that is constant and defined (its own constant data). Derive means
 *      through GEPs and casts, and through phis and selects whose every incoming value derives
 *      from that same object (a phi's incoming value that comes back round a cycle of phis
 *      adds nothing). Anything else (a pointer argument, a loaded pointer, a call's result, an
 *      inttoptr, null, two different objects meeting in a phi or select, a dynamic alloca, a
 *      writable or external global) is refused at load, naming the function and what the
 *      pointer came from. A write (store, atomics, memcpy/memmove/memset's destination) must
 *      derive from an alloca: constant data is not written.
 *   2. when the pointer is a chain of constant-index GEPs of the object and the access of S
 *      bytes at that constant offset O has O + S <= N (the object's allocated size in the host
 *      data layout), the access is in range: nothing is added.
 *   3. otherwise, right before the access:
 *
 *        off = freeze(ptrtoint P - ptrtoint B)     B: the object, P: the access's pointer
 *        ok  = S <= N && off <= N - S               (unsigned; S frozen too when not constant)
 *        br ok, xg.cont, xg.stop
 *        xg.stop: call @__xdrv_ext_range_stop(off, S, N, ptr @"xg.name.F"); unreachable
 *        xg.cont: the access, its pointer replaced by  gep i8, B, off  (not inbounds)
 *
 *      The check is on the address the access uses, computed from B and the frozen offset,
 *      whatever arithmetic produced P: the bytes [B + off, B + off + S) lie in [B, B + N),
 *      the object, which is memory of the extension's own (its stack frame or its constant
 *      data). Freezing matters: the offset of an out-of-range inbounds GEP is poison, and a
 *      branch on poison would let the optimizer drop the check; a frozen value is some fixed
 *      value, which the check sees and the access uses. The stop function (ext_bind.c) never
 *      returns: it ends the run through the fault guard of ldr_ext_run, which marks the
 *      extension failed (-ERANGE) with a message naming the function, offset and length.
 *
 * So every access is either proved (2) or checked against the object it uses (3), and there is
 * no access the pass did not see: the instructions that touch memory are the five above, and
 * the pass refuses every other way code could (calls through pointers, inline assembly, byval
 * and other pointer-consuming intrinsics, va_arg, values of pointer type loaded from or stored
 * to memory, ptrtoint/inttoptr in the extension's own code). Calls of the extension's own
 * functions pass pointers freely, but inside the callee an argument is not an object, so any
 * access through it is refused (the SDK's lint refuses those too; the loader does not trust the
 * SDK). Stack overflow (deep recursion, which budget.c also counts) faults in the guard page,
 * which the fault guard turns into a stopped extension.
 *
 * The pass runs on the specialized, retargeted module before the budget pass (which adds its
 * own accesses to the loader's counter) and before the optimizer (which sees the checks with
 * the rest and hoists or merges what it can prove).
 */
#include "ext_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_BYTES 120u
#define TRACE_DEPTH    256u /* GEP/cast chains and nested phis followed */

struct gctx {
	LLVMContextRef c;
	LLVMModuleRef m;
	LLVMTargetDataRef td;
	LLVMBuilderRef b;
	LLVMTypeRef i8, i64, i1, ptr, stop_ty;
	LLVMValueRef stop_fn;
	LLVMValueRef fn;      /* the function being looked at */
	LLVMValueRef fn_name; /* its name string, made on first need */
	struct ldr_ext_guard_stats st;
};

/* One access to guard. */
struct access {
	LLVMValueRef inst;
	unsigned op;	   /* operand index of the pointer */
	LLVMValueRef size; /* i64 constant or value: bytes accessed */
	int write;
};

static const char *fname(LLVMValueRef f, size_t *len)
{
	const char *n = LLVMGetValueName2(f, len);
	if (*len > 80)
		*len = 80;
	return n;
}

static int refuse(struct gctx *g, char **err, const char *what)
{
	size_t len = 0;
	const char *fn = fname(g->fn, &len);
	return xdrv_err(err, -EINVAL, "memory check: function %.*s: %s", (int)len, fn, what);
}

/* What a value is, for messages. */
static const char *value_kind(LLVMValueRef v)
{
	if (LLVMIsAArgument(v))
		return "a pointer argument";
	if (LLVMIsALoadInst(v))
		return "a pointer loaded from memory";
	if (LLVMIsACallInst(v) || LLVMIsAInvokeInst(v))
		return "a call's result";
	if (LLVMIsAIntToPtrInst(v))
		return "an integer cast to a pointer";
	if (LLVMIsAConstantPointerNull(v))
		return "a null pointer";
	if (LLVMIsAFunction(v))
		return "a function";
	if (LLVMIsAConstantExpr(v) && LLVMGetConstOpcode(v) == LLVMIntToPtr)
		return "an integer constant cast to a pointer";
	if (LLVMIsAUndefValue(v) || LLVMIsAPoisonValue(v))
		return "an undefined pointer";
	return "a value the pass cannot trace";
}

static int is_gep(LLVMValueRef v)
{
	return LLVMIsAGetElementPtrInst(v) ||
	       (LLVMIsAConstantExpr(v) && LLVMGetConstOpcode(v) == LLVMGetElementPtr);
}

static int is_cast(LLVMValueRef v)
{
	return LLVMIsABitCastInst(v) ||
	       (LLVMIsAConstantExpr(v) && LLVMGetConstOpcode(v) == LLVMBitCast);
}

/* The constant byte offset a GEP adds, if all its indices are constant (else 0 into *is_const). */
static void gep_offset(struct gctx *g, LLVMValueRef gep, int64_t *off, int *is_const)
{
	unsigned n = (unsigned)LLVMGetNumOperands(gep);
	LLVMTypeRef ty = LLVMGetGEPSourceElementType(gep);
	int64_t o = 0;
	for (unsigned i = 1; i < n && *is_const; i++) {
		LLVMValueRef idx = LLVMGetOperand(gep, i);
		if (!LLVMIsAConstantInt(idx)) {
			*is_const = 0;
			break;
		}
		int64_t k = LLVMConstIntGetSExtValue(idx), step;
		if (i == 1) {
			step = (int64_t)LLVMABISizeOfType(g->td, ty);
		} else if (LLVMGetTypeKind(ty) == LLVMStructTypeKind) {
			if (k < 0 || (unsigned)k >= LLVMCountStructElementTypes(ty)) {
				*is_const = 0;
				break;
			}
			int64_t so = (int64_t)LLVMOffsetOfElement(g->td, ty, (unsigned)k);
			ty = LLVMStructGetTypeAtIndex(ty, (unsigned)k);
			if (__builtin_add_overflow(o, so, &o))
				*is_const = 0;
			continue;
		} else if (LLVMGetTypeKind(ty) == LLVMArrayTypeKind) {
			ty = LLVMGetElementType(ty);
			step = (int64_t)LLVMABISizeOfType(g->td, ty);
		} else {
			*is_const = 0; /* vector element GEPs: checked at run time */
			break;
		}
		int64_t add;
		if (__builtin_mul_overflow(k, step, &add) || __builtin_add_overflow(o, add, &o))
			*is_const = 0;
	}
	if (*is_const && __builtin_add_overflow(*off, o, off))
		*is_const = 0;
}

struct trace {
	LLVMValueRef base;
	int64_t off;
	int is_const;
	LLVMValueRef stack[TRACE_DEPTH]; /* phis and selects in progress */
	unsigned nstack;
	const char *why; /* refusal */
};

/* 1: *t->base set (or agreed), 0: a cycle back to a phi in progress (no information), -1: refused
 * (t->why). */
static int trace(struct gctx *g, struct trace *t, LLVMValueRef v, unsigned depth)
{
	for (;;) {
		if (depth++ > TRACE_DEPTH) {
			t->why = "a pointer derived through too many steps";
			return -1;
		}
		if (is_gep(v)) {
			gep_offset(g, v, &t->off, &t->is_const);
			v = LLVMGetOperand(v, 0);
			continue;
		}
		if (is_cast(v)) {
			v = LLVMGetOperand(v, 0);
			continue;
		}
		break;
	}
	if (LLVMGetTypeKind(LLVMTypeOf(v)) != LLVMPointerTypeKind) {
		t->why = "a vector of pointers";
		return -1;
	}
	LLVMValueRef base = NULL;
	if (LLVMIsAAllocaInst(v)) {
		if (!LLVMIsAConstantInt(LLVMGetOperand(v, 0))) {
			t->why = "a stack object of variable size (alloca with a variable count)";
			return -1;
		}
		base = v;
	} else if (LLVMIsAGlobalVariable(v)) {
		if (LLVMIsDeclaration(v) || !LLVMIsGlobalConstant(v)) {
			t->why = "a global that is not the extension's own constant data";
			return -1;
		}
		base = v;
	} else if (LLVMIsAPHINode(v) || LLVMIsASelectInst(v)) {
		for (unsigned i = 0; i < t->nstack; i++)
			if (t->stack[i] == v)
				return 0;
		if (t->nstack == TRACE_DEPTH) {
			t->why = "pointer phis nested too deeply";
			return -1;
		}
		t->stack[t->nstack++] = v;
		t->is_const = 0;
		int found = 0;
		unsigned n = LLVMIsAPHINode(v) ? LLVMCountIncoming(v) : 2;
		for (unsigned i = 0; i < n; i++) {
			LLVMValueRef in = LLVMIsAPHINode(v) ? LLVMGetIncomingValue(v, i)
							    : LLVMGetOperand(v, i + 1);
			int r = trace(g, t, in, depth);
			if (r < 0)
				return -1;
			found |= r;
		}
		t->nstack--;
		if (!found && t->nstack == 0) {
			t->why = "a pointer phi with no object behind it";
			return -1;
		}
		return found;
	} else {
		t->why = value_kind(v);
		return -1;
	}
	if (t->base && t->base != base) {
		t->why = "a pointer that may point into different objects (a phi or select of two "
			 "of them)";
		return -1;
	}
	t->base = base;
	return 1;
}

static uint64_t object_size(struct gctx *g, LLVMValueRef base)
{
	if (LLVMIsAAllocaInst(base)) {
		uint64_t n = (uint64_t)LLVMConstIntGetZExtValue(LLVMGetOperand(base, 0));
		uint64_t sz = LLVMABISizeOfType(g->td, LLVMGetAllocatedType(base)), tot;
		return __builtin_mul_overflow(n, sz, &tot) ? UINT64_MAX : tot;
	}
	return LLVMABISizeOfType(g->td, LLVMGlobalGetValueType(base));
}

static int has_pointer(LLVMTypeRef ty, unsigned depth)
{
	switch (LLVMGetTypeKind(ty)) {
	case LLVMPointerTypeKind:
		return 1;
	case LLVMVectorTypeKind:
	case LLVMArrayTypeKind:
		return depth < 16 && has_pointer(LLVMGetElementType(ty), depth + 1);
	case LLVMStructTypeKind:
		for (unsigned i = 0; i < LLVMCountStructElementTypes(ty); i++)
			if (depth >= 16 || has_pointer(LLVMStructGetTypeAtIndex(ty, i), depth + 1))
				return 1;
		return 0;
	default:
		return 0;
	}
}

static LLVMValueRef name_string(struct gctx *g)
{
	if (g->fn_name)
		return g->fn_name;
	size_t len = 0;
	const char *nm = LLVMGetValueName2(g->fn, &len);
	if (len > NAME_MAX_BYTES)
		len = NAME_MAX_BYTES;
	LLVMValueRef s = LLVMConstStringInContext(g->c, nm, (unsigned)len, 0);
	LLVMValueRef gv = LLVMAddGlobal(g->m, LLVMTypeOf(s), "xg.name");
	LLVMSetInitializer(gv, s);
	LLVMSetGlobalConstant(gv, 1);
	LLVMSetLinkage(gv, LLVMPrivateLinkage);
	LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
	LLVMSetAlignment(gv, 1);
	g->fn_name = gv;
	return gv;
}

/* In the phis of bb's successors, incoming `from` becomes `to` (rebuilt: LLVM-C cannot change
 * an incoming block). */
static void phis_retarget(struct gctx *g, LLVMBasicBlockRef h, LLVMBasicBlockRef from,
			  LLVMBasicBlockRef to)
{
	LLVMValueRef i = LLVMGetFirstInstruction(h);
	while (i && LLVMGetInstructionOpcode(i) == LLVMPHI) {
		LLVMValueRef next = LLVMGetNextInstruction(i);
		unsigned n = LLVMCountIncoming(i);
		int touched = 0;
		for (unsigned k = 0; k < n; k++)
			touched |= LLVMGetIncomingBlock(i, k) == from;
		if (!touched) {
			i = next;
			continue;
		}
		LLVMPositionBuilderBefore(g->b, i);
		LLVMValueRef np = LLVMBuildPhi(g->b, LLVMTypeOf(i), "");
		for (unsigned k = 0; k < n; k++) {
			LLVMValueRef v = LLVMGetIncomingValue(i, k);
			LLVMBasicBlockRef bb = LLVMGetIncomingBlock(i, k);
			if (bb == from)
				bb = to;
			LLVMAddIncoming(np, &v, &bb, 1);
		}
		LLVMReplaceAllUsesWith(i, np);
		LLVMInstructionEraseFromParent(i);
		i = next;
	}
}

/* Move `inst` and everything after it in its block into a new block right after it; returns
 * the new block. The old block is left without a terminator. */
static LLVMBasicBlockRef split_before(struct gctx *g, LLVMValueRef inst)
{
	LLVMBasicBlockRef old = LLVMGetInstructionParent(inst);
	LLVMBasicBlockRef next = LLVMGetNextBasicBlock(old);
	LLVMBasicBlockRef cont = next ? LLVMInsertBasicBlockInContext(g->c, next, "xg.cont")
				      : LLVMAppendBasicBlockInContext(g->c, g->fn, "xg.cont");
	LLVMPositionBuilderAtEnd(g->b, cont);
	for (LLVMValueRef i = inst; i;) {
		LLVMValueRef n = LLVMGetNextInstruction(i);
		LLVMInstructionRemoveFromParent(i);
		LLVMInsertIntoBuilder(g->b, i);
		i = n;
	}
	LLVMValueRef t = LLVMGetBasicBlockTerminator(cont);
	unsigned ns = t ? LLVMGetNumSuccessors(t) : 0;
	for (unsigned s = 0; s < ns; s++)
		phis_retarget(g, LLVMGetSuccessor(t, s), old, cont);
	return cont;
}

static void instrument(struct gctx *g, const struct access *a, LLVMValueRef base, uint64_t n)
{
	LLVMValueRef p = LLVMGetOperand(a->inst, a->op);
	LLVMPositionBuilderBefore(g->b, a->inst);
	LLVMValueRef pi = LLVMBuildPtrToInt(g->b, p, g->i64, "");
	LLVMValueRef bi = LLVMBuildPtrToInt(g->b, base, g->i64, "");
	LLVMValueRef off = LLVMBuildFreeze(g->b, LLVMBuildSub(g->b, pi, bi, ""), "xg.off");
	LLVMValueRef size = a->size, ok;
	LLVMValueRef nv = LLVMConstInt(g->i64, n, 0);
	if (LLVMIsAConstantInt(size)) {
		uint64_t s = LLVMConstIntGetZExtValue(size);
		ok = s > n ? LLVMConstInt(g->i1, 0, 0)
			   : LLVMBuildICmp(g->b, LLVMIntULE, off, LLVMConstInt(g->i64, n - s, 0),
					   "");
	} else {
		/* frozen already (freeze_sizes): the call uses the value checked */
		if (LLVMGetIntTypeWidth(LLVMTypeOf(size)) != 64)
			size = LLVMBuildZExt(g->b, size, g->i64, "");
		LLVMValueRef ok1 = LLVMBuildICmp(g->b, LLVMIntULE, size, nv, "");
		LLVMValueRef lim = LLVMBuildSub(g->b, nv, size, "");
		LLVMValueRef ok2 = LLVMBuildICmp(g->b, LLVMIntULE, off, lim, "");
		ok = LLVMBuildAnd(g->b, ok1, ok2, "");
	}
	/* the access's own pointer: the object plus the offset checked */
	LLVMValueRef np = LLVMBuildGEP2(g->b, g->i8, base, &off, 1, "xg.ptr");
	LLVMSetOperand(a->inst, a->op, np);
	LLVMBasicBlockRef old = LLVMGetInstructionParent(a->inst);
	LLVMBasicBlockRef cont = split_before(g, a->inst);
	LLVMBasicBlockRef stop = LLVMInsertBasicBlockInContext(g->c, cont, "xg.stop");
	LLVMPositionBuilderAtEnd(g->b, stop);
	LLVMValueRef args[4] = {off, size, nv, name_string(g)};
	LLVMBuildCall2(g->b, g->stop_ty, g->stop_fn, args, 4, "");
	LLVMBuildUnreachable(g->b);
	LLVMPositionBuilderAtEnd(g->b, old);
	LLVMBuildCondBr(g->b, ok, cont, stop);
}

/* Name of a called function, "" if none. */
static const char *callee_name(LLVMValueRef call, size_t *len)
{
	LLVMValueRef c = LLVMGetCalledValue(call);
	*len = 0;
	if (!c || !LLVMIsAFunction(c))
		return "";
	return LLVMGetValueName2(c, len);
}

static int name_is(const char *n, size_t len, const char *want)
{
	size_t wl = strlen(want);
	return len >= wl && memcmp(n, want, wl) == 0 && (len == wl || n[wl] == '.');
}

/* The access of a load, store or atomic that moves a value of type ty through its operand op
 * (write: it writes memory), or refused as `why` if the value holds a pointer. */
static int value_access(struct gctx *g, LLVMValueRef i, LLVMTypeRef ty, unsigned op, int write,
			const char *why, struct access *acc, unsigned *nacc, char **err)
{
	if (has_pointer(ty, 0))
		return refuse(g, err, why);
	acc[(*nacc)++] = (struct access){
		i, op, LLVMConstInt(g->i64, LLVMStoreSizeOfType(g->td, ty), 0), write};
	return 0;
}

/* Collect the accesses of an instruction (0..2), or refuse it. */
static int classify(struct gctx *g, LLVMValueRef i, struct access *acc, unsigned *nacc, char **err)
{
	LLVMOpcode op = LLVMGetInstructionOpcode(i);
	*nacc = 0;
	switch (op) {
	case LLVMLoad:
		return value_access(g, i, LLVMTypeOf(i), 0, 0, "loads a pointer from memory", acc,
				    nacc, err);
	case LLVMStore:
		return value_access(g, i, LLVMTypeOf(LLVMGetOperand(i, 0)), 1, 1,
				    "stores a pointer to memory", acc, nacc, err);
	case LLVMAtomicRMW:
	case LLVMAtomicCmpXchg:
		return value_access(g, i, LLVMTypeOf(LLVMGetOperand(i, 1)), 0, 1,
				    "an atomic operation on a pointer", acc, nacc, err);
	case LLVMVAArg:
		return refuse(g, err, "va_arg");
	case LLVMIntToPtr:
		return refuse(g, err, "casts an integer to a pointer");
	case LLVMPtrToInt:
		return refuse(g, err,
			      "casts a pointer to an integer (no address leaves an "
			      "extension)");
	case LLVMAddrSpaceCast:
		return refuse(g, err, "casts a pointer to another address space");
	case LLVMIndirectBr:
	case LLVMCallBr:
	case LLVMInvoke:
		return refuse(g, err, "an indirect branch, callbr or invoke");
	case LLVMCall:
		break;
	default:
		return 0;
	}
	LLVMValueRef callee = LLVMGetCalledValue(i);
	if (!callee || !LLVMIsAFunction(callee)) {
		if (callee && LLVMIsAInlineAsm(callee))
			return refuse(g, err, "inline assembly");
		return refuse(g, err, "a call through a pointer");
	}
	size_t len = 0;
	const char *n = callee_name(i, &len);
	unsigned nargs = LLVMGetNumArgOperands(i);
	int mem2 = name_is(n, len, "llvm.memcpy") || name_is(n, len, "llvm.memmove") ||
		   name_is(n, len, "llvm.memcpy.inline") ||
		   (len == 6 && (memcmp(n, "memcpy", 6) == 0 || memcmp(n, "memmove", 6) == 0)) ||
		   (len == 7 && memcmp(n, "memmove", 7) == 0);
	int mem1 = name_is(n, len, "llvm.memset") || name_is(n, len, "llvm.memset.inline") ||
		   (len == 6 && memcmp(n, "memset", 6) == 0);
	if ((mem1 || mem2) && nargs >= 3) {
		LLVMValueRef sz = LLVMGetOperand(i, 2);
		if (LLVMGetTypeKind(LLVMTypeOf(sz)) != LLVMIntegerTypeKind ||
		    LLVMGetIntTypeWidth(LLVMTypeOf(sz)) > 64)
			return refuse(g, err, "a memory copy with a length that is not an integer");
		acc[(*nacc)++] = (struct access){i, 0, sz, 1};
		if (mem2)
			acc[(*nacc)++] = (struct access){i, 1, sz, 0};
		return 0;
	}
	/* any other call: its pointer arguments are not accessed here (the extension's own
	 * functions cannot access through them, see above; the host functions take the packet's
	 * handle, which they check); intrinsics that would access memory through one are
	 * refused */
	int harmless = name_is(n, len, "llvm.lifetime.start") ||
		       name_is(n, len, "llvm.lifetime.end") || name_is(n, len, "llvm.dbg") ||
		       name_is(n, len, "llvm.assume") ||
		       name_is(n, len, "llvm.experimental.noalias");
	int intrinsic = len >= 5 && memcmp(n, "llvm.", 5) == 0;
	for (unsigned k = 0; k < nargs && !harmless; k++) {
		LLVMValueRef a = LLVMGetOperand(i, k);
		if (!has_pointer(LLVMTypeOf(a), 0))
			continue;
		if (intrinsic)
			return refuse(g, err, "an intrinsic that takes a pointer");
		/* byval/sret/inalloca copy through the pointer in the call itself */
		static const char *const copying[] = {"byval", "inalloca", "preallocated", "byref"};
		for (size_t c = 0; c < sizeof copying / sizeof copying[0]; c++) {
			unsigned kind =
				LLVMGetEnumAttributeKindForName(copying[c], strlen(copying[c]));
			if (LLVMGetCallSiteEnumAttribute(i, k + 1, kind) ||
			    LLVMGetEnumAttributeAtIndex(callee, k + 1, kind))
				return refuse(g, err,
					      "passes an argument by value through a pointer");
		}
	}
	return 0;
}

static int guard_function(struct gctx *g, LLVMValueRef f, char **err)
{
	size_t cap = 64, n = 0;
	struct access *list = malloc(cap * sizeof *list);
	if (!list)
		return xdrv_err(err, -ENOMEM, "memory check: out of memory");
	g->fn = f;
	g->fn_name = NULL;
	int rc = 0;
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb && !rc;
	     bb = LLVMGetNextBasicBlock(bb)) {
		for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i && !rc;
		     i = LLVMGetNextInstruction(i)) {
			struct access a[2];
			unsigned na = 0;
			rc = classify(g, i, a, &na, err);
			for (unsigned k = 0; k < na && !rc; k++) {
				if (n == cap) {
					struct access *nl = realloc(list, 2 * cap * sizeof *list);
					if (!nl) {
						rc = xdrv_err(err, -ENOMEM,
							      "memory check: out of memory");
						break;
					}
					list = nl;
					cap *= 2;
				}
				list[n++] = a[k];
			}
		}
	}
	/* trace all before changing anything */
	LLVMValueRef *bases = rc ? NULL : calloc(n ? n : 1, sizeof *bases);
	uint8_t *need = rc ? NULL : calloc(n ? n : 1, 1);
	struct trace *t = rc ? NULL : malloc(sizeof *t);
	if (!rc && (!bases || !need || !t))
		rc = xdrv_err(err, -ENOMEM, "memory check: out of memory");
	for (size_t k = 0; k < n && !rc; k++) {
		memset(t, 0, sizeof *t);
		t->is_const = 1;
		LLVMValueRef p = LLVMGetOperand(list[k].inst, list[k].op);
		if (trace(g, t, p, 0) <= 0) {
			char what[200];
			snprintf(what, sizeof what, "%s through %s",
				 list[k].write ? "a write" : "a read",
				 t->why ? t->why : "a pointer with no object behind it");
			rc = refuse(g, err, what);
			break;
		}
		if (list[k].write && !LLVMIsAAllocaInst(t->base)) {
			rc = refuse(g, err, "a write to constant data");
			break;
		}
		bases[k] = t->base;
		uint64_t objsz = object_size(g, t->base);
		g->st.accesses++;
		if (t->is_const && LLVMIsAConstantInt(list[k].size) && t->off >= 0) {
			uint64_t s = LLVMConstIntGetZExtValue(list[k].size);
			if (s <= objsz && (uint64_t)t->off <= objsz - s) {
				g->st.proved++;
				continue;
			}
		}
		need[k] = 1;
	}
	/* a memory copy's length, when not constant, is frozen once: both of its checks and the
	 * copy itself use that one value (two freezes of a poison length could differ) */
	for (size_t k = 0; k < n && !rc; k++) {
		if (!need[k] || LLVMIsAConstantInt(list[k].size))
			continue;
		LLVMValueRef fz = list[k].size;
		if (!LLVMIsAInstruction(fz) || LLVMGetInstructionOpcode(fz) != LLVMFreeze) {
			LLVMPositionBuilderBefore(g->b, list[k].inst);
			fz = LLVMBuildFreeze(g->b, list[k].size, "xg.size");
			LLVMSetOperand(list[k].inst, 2, fz);
		}
		for (size_t j = k; j < n; j++)
			if (list[j].inst == list[k].inst)
				list[j].size = fz;
	}
	for (size_t k = 0; k < n && !rc; k++) {
		if (!need[k])
			continue;
		instrument(g, &list[k], bases[k], object_size(g, bases[k]));
		g->st.checked++;
	}
	free(t);
	free(need);
	free(bases);
	free(list);
	return rc;
}

int ldr_ext_guard(LLVMModuleRef m, struct ldr_ext_guard_stats *st, char **err)
{
	struct gctx g = {.m = m};
	if (st)
		memset(st, 0, sizeof *st);
	g.c = LLVMGetModuleContext(m);
	g.td = LLVMGetModuleDataLayout(m);
	g.i1 = LLVMInt1TypeInContext(g.c);
	g.i8 = LLVMInt8TypeInContext(g.c);
	g.i64 = LLVMInt64TypeInContext(g.c);
	g.ptr = LLVMPointerTypeInContext(g.c, 0);
	if (LLVMGetNamedFunction(m, LDR_EXT_RANGE_STOP_SYM))
		return xdrv_err(err, -EINVAL, "memory check: the module names %s",
				LDR_EXT_RANGE_STOP_SYM);
	/* the SDK emits unoptimized IR (-disable-llvm-passes): every parameter and local lives
	 * in an alloca, the packet handle too (stored, loaded back). mem2reg promotes the
	 * allocas used only by whole loads and stores to SSA values: it removes accesses, adds
	 * none, and leaves every other access (arrays, anything behind a GEP) for the check */
	LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
	LLVMErrorRef pe = LLVMRunPasses(m, "function(mem2reg)", NULL, po);
	LLVMDisposePassBuilderOptions(po);
	if (pe)
		return ldr_llvm_err(err, pe, -EINVAL, "memory check: mem2reg");
	LLVMTypeRef params[4] = {g.i64, g.i64, g.i64, g.ptr};
	g.stop_ty = LLVMFunctionType(LLVMVoidTypeInContext(g.c), params, 4, 0);
	/* collect the defined functions first: the pass adds none, but keep the walk simple */
	size_t nf = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		nf++;
	LLVMValueRef *fns = calloc(nf ? nf : 1, sizeof *fns);
	if (!fns)
		return xdrv_err(err, -ENOMEM, "memory check: out of memory");
	size_t k = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f))
			fns[k++] = f;
	nf = k;
	g.stop_fn = LLVMAddFunction(m, LDR_EXT_RANGE_STOP_SYM, g.stop_ty);
	static const char *const attrs[] = {"noreturn", "cold", "nounwind"};
	for (size_t a = 0; a < 3; a++) {
		unsigned kind = LLVMGetEnumAttributeKindForName(attrs[a], strlen(attrs[a]));
		LLVMAddAttributeAtIndex(g.stop_fn, LLVMAttributeFunctionIndex,
					LLVMCreateEnumAttribute(g.c, kind, 0));
	}
	g.b = LLVMCreateBuilderInContext(g.c);
	int rc = 0;
	for (k = 0; k < nf && !rc; k++)
		rc = guard_function(&g, fns[k], err);
	LLVMDisposeBuilder(g.b);
	free(fns);
	if (!rc) {
		char *msg = NULL;
		if (LLVMVerifyModule(m, LLVMReturnStatusAction, &msg))
			rc = xdrv_err(err, -EINVAL, "memory check produced an invalid module: %s",
				      msg ? msg : "(no message)");
		LLVMDisposeMessage(msg);
	}
	if (st)
		*st = g.st;
	return rc;
}
