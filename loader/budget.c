// SPDX-License-Identifier: MIT
/*
 * Budgets in the driver's own code (issue 12): an IR pass over the specialized module, before it
 * is optimized, that makes every loop and every call of the driver count against limits the
 * host sets, with runtime checks instead of traps (as the in-kernel JVM seed did). Exhausting a
 * limit calls the host (runtime_budget.c), which stops the driver like a fault, naming the
 * function. LLVM-C only.
 *
 * The state is one host object, struct ldr_budget_state { i64 used; i32 depth; }, reached
 * through the absolute symbol __xdrv_budget of the image's JITDylib (jit.c); the runtime zeroes
 * it at each outermost entry into driver code (ldr_enter). The limits are constants in the code
 * (they are part of the object cache's key).
 *
 *   back edges: every CFG edge P -> H with H at or before P in the function's block order gets
 *   a block of its own on the edge:
 *
 *       xb.edge:  %u = load i64 @used;  %u1 = add %u, 1;  store %u1, @used
 *                 br (%u1 > EDGES), xb.loop_stop, H
 *
 *   In any order of the blocks a cycle has at least one such edge (were every edge of a cycle
 *   forward, the order would increase all the way round), so every iteration of every loop,
 *   whatever the layout, is counted at least once: sound for hostile bitcode too, and an edge
 *   that is backward in the layout without closing a loop merely counts one more. H's phis get
 *   xb.edge instead of P. Only br and switch edges can be split that way: a backward edge of
 *   any other terminator (indirectbr, callbr, invoke, EH pads) is refused.
 *
 *   a musttail call (a jump, no frame: a cycle of them would loop without a back edge) counts
 *   as a back edge too: it and its ret move to a block of their own, behind the same check.
 *
 *   call depth, in the functions that can recurse: those in a cycle of the call graph (a
 *   strongly connected component of more than one function, or one that calls itself), where
 *   a call through a pointer may call any function whose address is taken. Every recursion
 *   within the driver passes through such a function; a function outside any cycle adds at most
 *   a bounded number of frames and is left alone (most of a driver's hot path). Recursion
 *   through the host (driver -> ABI -> runtime -> driver) is not counted: at the latest it
 *   overflows the stack, a fault the guard catches. A new entry block holds the old entry
 *   block's static allocas (so they stay static) and
 *
 *       %d = load i32 @depth;  %d1 = add %d, 1;  store %d1, @depth
 *       br (%d1 > DEPTH), xb.depth_stop, old entry
 *
 *   and every `ret` is preceded by a decrement (before a musttail call, which must stay right
 *   before its ret).
 *
 *   xb.*_stop: call void @__xdrv_budget_exhausted(i32 kind, i64 limit, ptr @"xb.name.F"),
 *   unreachable. The callee is noreturn and cold, so the optimizer keeps the stop paths out of
 *   the hot code (and may keep the counter in a register through a loop without calls).
 *
 * A live patch (ldr_budget_instrument_patch, patch.c) is instrumented before it is linked into
 * its base, where the base's functions are declarations: a cycle through patch and base (patch
 * F calls base G, which calls F) is not in the patch's call graph. So each patch function that
 * calls a declared function outside the ABI, or calls through a pointer, counts its depth too:
 * every new cycle the patch makes passes through one (a cycle of the base alone was counted
 * when the base was instrumented, and one of the patch alone is in its own graph).
 *
 * Names starting with __xdrv_budget are the loader's: a module that defines one is refused (the
 * lint already keeps drivers from importing anything outside symbols.def, and this pass runs
 * after it).
 */
#include "ldr_jit.h"

#include <errno.h>
#include <inttypes.h>
#include <llvm-c/Analysis.h>
#include <stdlib.h>
#include <string.h>

#define RESERVED_PREFIX "__xdrv_budget"
#define NAME_MAX_BYTES	120u /* of a function name kept for the message */

struct bctx {
	LLVMContextRef c;
	LLVMModuleRef m;
	LLVMBuilderRef b;
	LLVMTypeRef i32, i64, ptr, state_ty, stop_ty;
	LLVMValueRef state, stop_fn;
	uint64_t edges;
	uint32_t depth;
	uint32_t nedges, nfuncs, ndepth; /* counted, for tests and messages */
};

struct bb_idx {
	LLVMBasicBlockRef bb;
	size_t idx;
};

static int cmp_bb(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct bb_idx *)a)->bb;
	uintptr_t y = (uintptr_t)((const struct bb_idx *)b)->bb;
	return x < y ? -1 : x > y;
}

static size_t bb_index(const struct bb_idx *sorted, size_t n, LLVMBasicBlockRef bb)
{
	struct bb_idx key = {.bb = bb};
	const struct bb_idx *hit = bsearch(&key, sorted, n, sizeof *sorted, cmp_bb);
	return hit ? hit->idx : SIZE_MAX;
}

static int is_reserved(const char *name, size_t len)
{
	return len >= sizeof RESERVED_PREFIX - 1 &&
	       memcmp(name, RESERVED_PREFIX, sizeof RESERVED_PREFIX - 1) == 0;
}

static int check_reserved(LLVMModuleRef m, char **err)
{
	size_t len = 0;
	const char *nm;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		if (nm = LLVMGetValueName2(f, &len), is_reserved(nm, len))
			goto refuse;
	for (LLVMValueRef g = LLVMGetFirstGlobal(m); g; g = LLVMGetNextGlobal(g))
		if (nm = LLVMGetValueName2(g, &len), is_reserved(nm, len))
			goto refuse;
	for (LLVMValueRef a = LLVMGetFirstGlobalAlias(m); a; a = LLVMGetNextGlobalAlias(a))
		if (nm = LLVMGetValueName2(a, &len), is_reserved(nm, len))
			goto refuse;
	for (LLVMValueRef a = LLVMGetFirstGlobalIFunc(m); a; a = LLVMGetNextGlobalIFunc(a))
		if (nm = LLVMGetValueName2(a, &len), is_reserved(nm, len))
			goto refuse;
	return 0;
refuse:
	return xdrv_err(err, -EINVAL,
			"budget instrumentation: the module names %.*s; names starting with "
			"%s are reserved for the loader",
			(int)(len > 80 ? 80 : len), nm, RESERVED_PREFIX);
}

static void add_fn_attr(LLVMContextRef c, LLVMValueRef f, const char *name)
{
	unsigned k = LLVMGetEnumAttributeKindForName(name, strlen(name));
	LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c, k, 0));
}

/* The function's name as a private constant string (for the stop message). */
static LLVMValueRef name_string(struct bctx *x, LLVMValueRef f)
{
	size_t len = 0;
	const char *nm = LLVMGetValueName2(f, &len);
	if (len > NAME_MAX_BYTES)
		len = NAME_MAX_BYTES;
	LLVMValueRef s = LLVMConstStringInContext(x->c, nm, (unsigned)len, 0);
	LLVMValueRef g = LLVMAddGlobal(x->m, LLVMTypeOf(s), "xb.name");
	LLVMSetInitializer(g, s);
	LLVMSetGlobalConstant(g, 1);
	LLVMSetLinkage(g, LLVMPrivateLinkage);
	LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
	LLVMSetAlignment(g, 1);
	return g;
}

/* A block that stops the driver: call the host, unreachable. */
static LLVMBasicBlockRef stop_block(struct bctx *x, LLVMValueRef f, LLVMValueRef name,
				    uint32_t kind, uint64_t limit)
{
	LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(
		x->c, f, kind == LDR_STOP_LOOP_BUDGET ? "xb.loop_stop" : "xb.depth_stop");
	LLVMPositionBuilderAtEnd(x->b, bb);
	LLVMValueRef args[3] = {LLVMConstInt(x->i32, kind, 0), LLVMConstInt(x->i64, limit, 0),
				name};
	LLVMBuildCall2(x->b, x->stop_ty, x->stop_fn, args, 3, "");
	LLVMBuildUnreachable(x->b);
	return bb;
}

/* *field += delta at the builder's position; returns the new value. */
static LLVMValueRef bump(struct bctx *x, unsigned field, LLVMTypeRef ty, int delta)
{
	LLVMValueRef p = LLVMBuildStructGEP2(x->b, x->state_ty, x->state, field, "");
	LLVMValueRef v = LLVMBuildLoad2(x->b, ty, p, "");
	LLVMValueRef n = delta > 0 ? LLVMBuildAdd(x->b, v, LLVMConstInt(ty, 1, 0), "")
				   : LLVMBuildSub(x->b, v, LLVMConstInt(ty, 1, 0), "");
	LLVMBuildStore(x->b, n, p);
	return n;
}

/* In H's phis, the incoming block `from` becomes `to` (once: several edges from one block carry
 * one value, and all of them now arrive through `to`). LLVM-C cannot change an incoming block:
 * each phi is rebuilt. */
static void phis_retarget(struct bctx *x, LLVMBasicBlockRef h, LLVMBasicBlockRef from,
			  LLVMBasicBlockRef to)
{
	LLVMValueRef i = LLVMGetFirstInstruction(h);
	while (i && LLVMGetInstructionOpcode(i) == LLVMPHI) {
		LLVMValueRef next = LLVMGetNextInstruction(i);
		unsigned n = LLVMCountIncoming(i);
		LLVMPositionBuilderBefore(x->b, i);
		LLVMValueRef np = LLVMBuildPhi(x->b, LLVMTypeOf(i), "");
		int done = 0;
		for (unsigned k = 0; k < n; k++) {
			LLVMValueRef v = LLVMGetIncomingValue(i, k);
			LLVMBasicBlockRef bb = LLVMGetIncomingBlock(i, k);
			if (bb == from) {
				if (done)
					continue;
				bb = to;
				done = 1;
			}
			LLVMAddIncoming(np, &v, &bb, 1);
		}
		size_t len = 0;
		const char *nm = LLVMGetValueName2(i, &len);
		char *keep = len ? strndup(nm, len) : NULL;
		LLVMReplaceAllUsesWith(i, np);
		LLVMInstructionEraseFromParent(i);
		if (keep)
			LLVMSetValueName2(np, keep, len);
		free(keep);
		i = next;
	}
}

static int instrument_edges(struct bctx *x, LLVMValueRef f, LLVMValueRef name, char **err)
{
	size_t n = LLVMCountBasicBlocks(f);
	struct bb_idx *order = calloc(n ? n : 1, sizeof *order);
	LLVMBasicBlockRef *blocks = calloc(n ? n : 1, sizeof *blocks);
	/* the backward edges, collected before anything changes: (source, target) pairs */
	LLVMBasicBlockRef(*edges)[2] = NULL;
	size_t nedges = 0, cap = 0;
	int rc = 0;
	if (!order || !blocks) {
		rc = xdrv_err(err, -ENOMEM, "budget instrumentation: out of memory");
		goto out;
	}
	size_t k = 0;
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb && k < n;
	     bb = LLVMGetNextBasicBlock(bb), k++) {
		order[k].bb = blocks[k] = bb;
		order[k].idx = k;
	}
	qsort(order, n, sizeof *order, cmp_bb);
	for (k = 0; k < n; k++) {
		LLVMValueRef t = LLVMGetBasicBlockTerminator(blocks[k]);
		unsigned ns = t ? LLVMGetNumSuccessors(t) : 0;
		for (unsigned s = 0; s < ns; s++) {
			LLVMBasicBlockRef h = LLVMGetSuccessor(t, s);
			if (bb_index(order, n, h) > k)
				continue;
			int seen = 0; /* a switch may branch to h from several cases */
			for (unsigned p = 0; p < s && !seen; p++)
				seen = LLVMGetSuccessor(t, p) == h;
			if (seen)
				continue;
			LLVMOpcode op = LLVMGetInstructionOpcode(t);
			if (op != LLVMBr && op != LLVMSwitch) {
				size_t len = 0;
				const char *fn = LLVMGetValueName2(f, &len);
				rc = xdrv_err(err, -EINVAL,
					      "budget instrumentation: function %.*s: a loop "
					      "closed by a terminator other than br or switch "
					      "(opcode %d) cannot be counted",
					      (int)(len > 80 ? 80 : len), fn, (int)op);
				goto out;
			}
			if (nedges == cap) {
				size_t nc = cap ? 2 * cap : 16;
				void *ne = realloc(edges, nc * sizeof *edges);
				if (!ne) {
					rc = xdrv_err(err, -ENOMEM,
						      "budget instrumentation: out of memory");
					goto out;
				}
				edges = ne;
				cap = nc;
			}
			edges[nedges][0] = blocks[k];
			edges[nedges][1] = h;
			nedges++;
		}
	}
	if (!nedges)
		goto out;
	LLVMBasicBlockRef stop = stop_block(x, f, name, LDR_STOP_LOOP_BUDGET, x->edges);
	for (size_t e = 0; e < nedges; e++) {
		LLVMBasicBlockRef p = edges[e][0], h = edges[e][1];
		LLVMBasicBlockRef eb = LLVMInsertBasicBlockInContext(x->c, stop, "xb.edge");
		LLVMPositionBuilderAtEnd(x->b, eb);
		LLVMValueRef u = bump(x, 0, x->i64, 1);
		LLVMValueRef over =
			LLVMBuildICmp(x->b, LLVMIntUGT, u, LLVMConstInt(x->i64, x->edges, 0), "");
		LLVMBuildCondBr(x->b, over, stop, h);
		LLVMValueRef t = LLVMGetBasicBlockTerminator(p);
		unsigned ns = LLVMGetNumSuccessors(t);
		for (unsigned s = 0; s < ns; s++)
			if (LLVMGetSuccessor(t, s) == h)
				LLVMSetSuccessor(t, s, eb);
		phis_retarget(x, h, p, eb);
		x->nedges++;
	}
out:
	free(edges);
	free(blocks);
	free(order);
	return rc;
}

/* Each musttail call counts as a back edge: the call and its ret move to a block of their own,
 * entered through the check. */
static void instrument_musttail(struct bctx *x, LLVMValueRef f, LLVMValueRef name)
{
	LLVMBasicBlockRef stop = NULL;
	/* the blocks made here go to the end of the function, before the stop block, and end in
	 * the same musttail call and ret: stop the walk where they begin */
	LLVMBasicBlockRef end = NULL;
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb && bb != end;
	     bb = LLVMGetNextBasicBlock(bb)) {
		LLVMValueRef t = LLVMGetBasicBlockTerminator(bb);
		LLVMValueRef call = t ? LLVMGetPreviousInstruction(t) : NULL;
		if (!t || LLVMGetInstructionOpcode(t) != LLVMRet || !call ||
		    !LLVMIsACallInst(call) || LLVMGetTailCallKind(call) != LLVMTailCallKindMustTail)
			continue;
		if (!stop)
			stop = stop_block(x, f, name, LDR_STOP_LOOP_BUDGET, x->edges);
		LLVMBasicBlockRef tb = LLVMInsertBasicBlockInContext(x->c, stop, "xb.tail");
		if (!end)
			end = tb;
		LLVMPositionBuilderAtEnd(x->b, tb);
		LLVMInstructionRemoveFromParent(call);
		LLVMInsertIntoBuilder(x->b, call);
		LLVMInstructionRemoveFromParent(t);
		LLVMInsertIntoBuilder(x->b, t);
		LLVMPositionBuilderAtEnd(x->b, bb);
		LLVMValueRef u = bump(x, 0, x->i64, 1);
		LLVMValueRef over =
			LLVMBuildICmp(x->b, LLVMIntUGT, u, LLVMConstInt(x->i64, x->edges, 0), "");
		LLVMBuildCondBr(x->b, over, stop, tb);
		x->nedges++;
	}
}

/* ---- the call graph: which functions can recurse -------------------------------------------
 * Nodes 0..n-1 are the defined functions, node n stands for "any function whose address is
 * taken": a call through a pointer is an edge to it, and it has an edge to each such function.
 * Tarjan's algorithm, iterative (hostile bitcode may nest calls deeper than the loader's stack).
 */
struct cgraph {
	size_t n;		     /* nodes: functions + 1 */
	size_t *off, *adj;	     /* CSR: successors of v are adj[off[v] .. off[v + 1]) */
	const struct bb_idx *sorted; /* function -> index (bb holds the function) */
};

static size_t fn_index(const struct cgraph *g, LLVMValueRef f)
{
	return bb_index(g->sorted, g->n - 1, (LLVMBasicBlockRef)(void *)f);
}

/* The callee nodes of function f into out (NULL: count only); returns the count. */
static size_t callees(const struct cgraph *g, LLVMValueRef f, size_t *out)
{
	size_t k = 0;
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb; bb = LLVMGetNextBasicBlock(bb))
		for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i;
		     i = LLVMGetNextInstruction(i)) {
			if (!LLVMIsACallInst(i) && !LLVMIsAInvokeInst(i) && !LLVMIsACallBrInst(i))
				continue;
			LLVMValueRef c = LLVMGetCalledValue(i);
			size_t j = g->n - 1; /* through a pointer: any address-taken function */
			if (c && LLVMIsAFunction(c)) {
				if (LLVMIsDeclaration(c))
					continue; /* an import or intrinsic: host code */
				j = fn_index(g, c);
				if (j == SIZE_MAX)
					continue;
			}
			if (out)
				out[k] = j;
			k++;
		}
	return k;
}

/* Is the address of f used other than as the callee of a call? */
static int address_taken(LLVMValueRef f)
{
	for (LLVMUseRef u = LLVMGetFirstUse(f); u; u = LLVMGetNextUse(u)) {
		LLVMValueRef user = LLVMGetUser(u);
		if ((LLVMIsACallInst(user) || LLVMIsAInvokeInst(user) || LLVMIsACallBrInst(user)) &&
		    LLVMGetCalledValue(user) == f)
			continue;
		return 1;
	}
	return 0;
}

/* cyc[i] = 1 for each function i (of fns[0..nf)) in a cycle of the call graph. */
static int recursive_functions(LLVMValueRef *fns, size_t nf, uint8_t *cyc, char **err)
{
	struct cgraph g = {.n = nf + 1};
	struct bb_idx *sorted = calloc(nf ? nf : 1, sizeof *sorted);
	g.off = calloc(nf + 2, sizeof *g.off);
	size_t *idx = NULL, *low = NULL, *stk = NULL, *cs = NULL, *ci = NULL;
	uint8_t *on = NULL;
	int rc = 0;
	if (!sorted || !g.off) {
		rc = xdrv_err(err, -ENOMEM, "budget instrumentation: out of memory");
		goto out;
	}
	for (size_t i = 0; i < nf; i++) {
		sorted[i].bb = (LLVMBasicBlockRef)(void *)fns[i];
		sorted[i].idx = i;
	}
	qsort(sorted, nf, sizeof *sorted, cmp_bb);
	g.sorted = sorted;
	size_t total = 0;
	for (size_t i = 0; i < nf; i++) {
		g.off[i] = total;
		total += callees(&g, fns[i], NULL);
	}
	g.off[nf] = total;
	for (size_t i = 0; i < nf; i++)
		total += address_taken(fns[i]);
	g.off[nf + 1] = total;
	g.adj = calloc(total ? total : 1, sizeof *g.adj);
	idx = calloc(g.n, sizeof *idx);
	low = calloc(g.n, sizeof *low);
	stk = calloc(g.n, sizeof *stk);
	cs = calloc(g.n, sizeof *cs); /* DFS stack: node */
	ci = calloc(g.n, sizeof *ci); /* DFS stack: next edge */
	on = calloc(g.n, 1);
	if (!g.adj || !idx || !low || !stk || !cs || !ci || !on) {
		rc = xdrv_err(err, -ENOMEM, "budget instrumentation: out of memory");
		goto out;
	}
	for (size_t i = 0; i < nf; i++)
		callees(&g, fns[i], g.adj + g.off[i]);
	for (size_t i = 0, k = g.off[nf]; i < nf; i++)
		if (address_taken(fns[i]))
			g.adj[k++] = i;
	/* idx: 0 unvisited, else visit order + 1 */
	size_t counter = 0, sp = 0, dp = 0;
	for (size_t r = 0; r < g.n; r++) {
		if (idx[r])
			continue;
		cs[dp] = r;
		ci[dp] = g.off[r];
		dp++;
		idx[r] = low[r] = ++counter;
		stk[sp++] = r;
		on[r] = 1;
		while (dp) {
			size_t v = cs[dp - 1];
			if (ci[dp - 1] < g.off[v + 1]) {
				size_t w = g.adj[ci[dp - 1]++];
				if (!idx[w]) {
					idx[w] = low[w] = ++counter;
					stk[sp++] = w;
					on[w] = 1;
					cs[dp] = w;
					ci[dp] = g.off[w];
					dp++;
				} else if (on[w] && idx[w] < low[v]) {
					low[v] = idx[w];
				}
				continue;
			}
			dp--;
			if (dp && low[v] < low[cs[dp - 1]])
				low[cs[dp - 1]] = low[v];
			if (low[v] != idx[v])
				continue;
			/* v is the root of an SCC: pop it */
			size_t first = sp;
			do
				on[stk[--first]] = 0;
			while (stk[first] != v);
			int self = 0;
			for (size_t e = g.off[v]; e < g.off[v + 1] && !self; e++)
				self = g.adj[e] == v;
			if (sp - first > 1 || self)
				for (size_t k = first; k < sp; k++)
					if (stk[k] < nf)
						cyc[stk[k]] = 1;
			sp = first;
		}
	}
out:
	free(on);
	free(ci);
	free(cs);
	free(stk);
	free(low);
	free(idx);
	free(g.adj);
	free(g.off);
	free(sorted);
	return rc;
}

static void instrument_depth(struct bctx *x, LLVMValueRef f, LLVMValueRef name)
{
	LLVMBasicBlockRef old = LLVMGetEntryBasicBlock(f);
	/* every ret: one frame less (before a musttail call, which must stay right before it) */
	for (LLVMBasicBlockRef bb = old; bb; bb = LLVMGetNextBasicBlock(bb)) {
		LLVMValueRef t = LLVMGetBasicBlockTerminator(bb);
		if (!t || LLVMGetInstructionOpcode(t) != LLVMRet)
			continue;
		LLVMValueRef at = t, prev = LLVMGetPreviousInstruction(t);
		if (prev && LLVMIsACallInst(prev) &&
		    LLVMGetTailCallKind(prev) == LLVMTailCallKindMustTail)
			at = prev;
		LLVMPositionBuilderBefore(x->b, at);
		bump(x, 1, x->i32, -1);
	}
	LLVMBasicBlockRef entry = LLVMInsertBasicBlockInContext(x->c, old, "xb.entry");
	/* the old entry's static allocas move up, so that they stay static */
	LLVMPositionBuilderAtEnd(x->b, entry);
	for (LLVMValueRef i = LLVMGetFirstInstruction(old); i;) {
		LLVMValueRef next = LLVMGetNextInstruction(i);
		if (LLVMGetInstructionOpcode(i) == LLVMAlloca &&
		    LLVMIsAConstant(LLVMGetOperand(i, 0))) {
			size_t len = 0;
			const char *nm = LLVMGetValueName2(i, &len);
			char *keep = len ? strndup(nm, len) : NULL;
			LLVMInstructionRemoveFromParent(i);
			LLVMInsertIntoBuilderWithName(x->b, i, keep ? keep : "");
			free(keep);
		}
		i = next;
	}
	LLVMValueRef d = bump(x, 1, x->i32, 1);
	LLVMValueRef over =
		LLVMBuildICmp(x->b, LLVMIntUGT, d, LLVMConstInt(x->i32, x->depth, 0), "");
	LLVMBasicBlockRef stop = stop_block(x, f, name, LDR_STOP_CALL_DEPTH, x->depth);
	LLVMPositionBuilderAtEnd(x->b, entry);
	LLVMBuildCondBr(x->b, over, stop, old);
}

/* A live patch's function that may be part of a cycle through its base (patch.c): it calls a
 * function the patch only declares and the ABI does not list (a base function, which may call
 * back into the patch), or calls through a pointer. */
static int calls_outside(LLVMValueRef f)
{
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb; bb = LLVMGetNextBasicBlock(bb))
		for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i;
		     i = LLVMGetNextInstruction(i)) {
			if (!LLVMIsACallInst(i) && !LLVMIsAInvokeInst(i) && !LLVMIsACallBrInst(i))
				continue;
			LLVMValueRef c = LLVMGetCalledValue(i);
			if (!c || !LLVMIsAFunction(c))
				return 1;
			if (!LLVMIsDeclaration(c))
				continue;
			size_t len = 0;
			const char *nm = LLVMGetValueName2(c, &len);
			if (len > 5 && memcmp(nm, "llvm.", 5) == 0)
				continue;
			if (strlen(nm) != len || !sdk_abi_symbol_version(nm))
				return 1;
		}
	return 0;
}

static int instrument(LLVMModuleRef m, uint64_t edges, uint32_t depth, int open,
		      struct ldr_budget_stats *st, char **err);

int ldr_budget_instrument(LLVMModuleRef m, uint64_t edges, uint32_t depth,
			  struct ldr_budget_stats *st, char **err)
{
	return instrument(m, edges, depth, 0, st, err);
}

int ldr_budget_instrument_patch(LLVMModuleRef m, uint64_t edges, uint32_t depth,
				struct ldr_budget_stats *st, char **err)
{
	return instrument(m, edges, depth, 1, st, err);
}

static int instrument(LLVMModuleRef m, uint64_t edges, uint32_t depth, int open,
		      struct ldr_budget_stats *st, char **err)
{
	struct bctx x = {.m = m, .edges = edges, .depth = depth};
	if (st)
		memset(st, 0, sizeof *st);
	if (!edges && !depth)
		return 0;
	int rc = check_reserved(m, err);
	if (rc)
		return rc;
	x.c = LLVMGetModuleContext(m);
	x.i32 = LLVMInt32TypeInContext(x.c);
	x.i64 = LLVMInt64TypeInContext(x.c);
	x.ptr = LLVMPointerTypeInContext(x.c, 0);
	LLVMTypeRef fields[2] = {x.i64, x.i32};
	x.state_ty = LLVMStructTypeInContext(x.c, fields, 2, 0);
	LLVMTypeRef params[3] = {x.i32, x.i64, x.ptr};
	x.stop_ty = LLVMFunctionType(LLVMVoidTypeInContext(x.c), params, 3, 0);

	/* collect first: the pass adds no functions, but keep the walk independent of it */
	size_t nf = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		nf++;
	LLVMValueRef *fns = calloc(nf ? nf : 1, sizeof *fns);
	if (!fns)
		return xdrv_err(err, -ENOMEM, "budget instrumentation: out of memory");
	size_t k = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f))
			fns[k++] = f;
	nf = k;

	x.state = LLVMAddGlobal(m, x.state_ty, LDR_BUDGET_STATE_SYM);
	LLVMSetLinkage(x.state, LLVMExternalLinkage);
	x.stop_fn = LLVMAddFunction(m, LDR_BUDGET_STOP_SYM, x.stop_ty);
	add_fn_attr(x.c, x.stop_fn, "noreturn");
	add_fn_attr(x.c, x.stop_fn, "cold");
	add_fn_attr(x.c, x.stop_fn, "nounwind");
	x.b = LLVMCreateBuilderInContext(x.c);

	uint8_t *cyc = calloc(nf ? nf : 1, 1);
	if (!cyc)
		rc = xdrv_err(err, -ENOMEM, "budget instrumentation: out of memory");
	if (!rc && depth) /* before any change: the pass adds calls of its own */
		rc = recursive_functions(fns, nf, cyc, err);
	for (k = 0; !rc && depth && open && k < nf; k++)
		cyc[k] = cyc[k] || calls_outside(fns[k]);
	for (k = 0; k < nf && !rc; k++) {
		LLVMValueRef name = name_string(&x, fns[k]);
		if (edges)
			rc = instrument_edges(&x, fns[k], name, err);
		if (!rc && edges)
			instrument_musttail(&x, fns[k], name);
		if (!rc && depth && cyc[k]) {
			instrument_depth(&x, fns[k], name);
			x.ndepth++;
		}
		x.nfuncs++;
	}
	free(cyc);
	LLVMDisposeBuilder(x.b);
	free(fns);
	if (rc)
		return rc;
	char *msg = NULL;
	if (LLVMVerifyModule(m, LLVMReturnStatusAction, &msg)) {
		rc = xdrv_err(err, -EINVAL, "budget instrumentation produced an invalid module: %s",
			      msg ? msg : "(no message)");
	}
	LLVMDisposeMessage(msg);
	if (st) {
		st->functions = x.nfuncs;
		st->back_edges = x.nedges;
		st->depth_checked = x.ndepth;
	}
	return rc;
}

uint32_t ldr_budget_stop_calls(LLVMModuleRef m)
{
	LLVMValueRef f = LLVMGetNamedFunction(m, LDR_BUDGET_STOP_SYM);
	uint32_t n = 0;
	for (LLVMUseRef u = f ? LLVMGetFirstUse(f) : NULL; u; u = LLVMGetNextUse(u))
		n++;
	return n;
}
