// SPDX-License-Identifier: MIT
/*
 * Lazy, per-function compilation (what JOVE calls lazyCC) through the LLVM-C API, which has no
 * compile-on-demand layer. The whole module is optimized first (image.c), then split here:
 *
 *   - a "globals" module: every global variable with its initializer, functions as declarations
 *     (or thunks, below);
 *   - one module per defined function F, holding F's body renamed to "F$body", everything else
 *     as declarations.
 *
 * Each F is then a stub for F$body, of one of two kinds:
 *
 *   - ORC's lazy re-exports (LLVMOrcLazyReexports), where LLVM has a lazy call-through manager
 *     for the host (x86_64, arm64): an assembly stub and trampoline per architecture;
 *   - elsewhere (powerpc64le: LLVM 19 has none), or with ctx->lazy_thunks_always, the loader's
 *     own stubs, in IR so the same on every host: in the globals module, a thunk named F that
 *     loads a slot `F$slot` and calls through it with its own arguments. While the slot is null
 *     it first calls __xdrv_lazy_resolve (an absolute symbol of the image's JITDylib,
 *     lazy_resolve below), which looks up F$body -- ORC then compiles and links F's partition,
 *     as it does any module on its first lookup -- and stores the address in the slot. This is
 *     JOVE's scheme (a stub calls the loader, which compiles the function and patches the slot).
 *     The thunk is an ordinary call, not `musttail` (the PowerPC back end cannot tail-call
 *     through a pointer); the back end still makes it a jump where it can. A variadic function
 *     cannot forward its arguments through a thunk: its body stays in the globals module.
 *     The thunks are compiled with the globals, which makes a load 3-15 ms slower than with
 *     ORC's stubs (loader/README.md): hence ORC's where it exists.
 *
 * Code never names F$body: calls between functions, recursion and the descriptor's function
 * pointers all name F, the stub, so F has one address and each function is compiled on its
 * first call.
 *
 * Partitions must see each other's symbols, so internal and private symbols are made external
 * with hidden visibility (hidden symbols still link within the JITDylib, but lookups for
 * exported symbols do not see them), and unnamed ones get names.
 */
#include "ldr_jit.h"

#include <errno.h>
#include <inttypes.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Comdat.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdrv/abi.h"
#include "xdrv/util.h"

#define BODY_SUFFIX "$body"
#define RESOLVE_SYM "__xdrv_lazy_resolve"
#define IMAGE_SYM   "__xdrv_lazy_image"

static _Atomic uint64_t lazy_failures;

uint64_t ldr_lazy_failures(void)
{
	return atomic_load(&lazy_failures);
}

/*
 * Where a stub goes when compiling its function failed (ORC's error reporter or lazy_resolve
 * has already printed why). It runs in place of the driver function, with its arguments: it
 * returns XDRV_EIO, sign-extended, so an int32 entry point (probe, open, xmit, ...) reports an
 * I/O error instead of success, and a void one simply returns.
 */
uint64_t ldr_lazy_error_handler(void)
{
	atomic_fetch_add(&lazy_failures, 1);
	fprintf(stderr, "xdrv loader: LAZY COMPILATION FAILED: a driver function could not be "
			"compiled or linked on its first call; the call returns XDRV_EIO "
			"(see the JIT error above)\n");
	return (uint64_t)(int64_t)XDRV_EIO;
}

static char *value_name(LLVMValueRef v)
{
	size_t len = 0;
	const char *n = LLVMGetValueName2(v, &len);
	return strndup(n ? n : "", len);
}

static int is_llvm_special(LLVMValueRef g)
{
	size_t len = 0;
	const char *n = LLVMGetValueName2(g, &len);
	return len >= 5 && memcmp(n, "llvm.", 5) == 0;
}

/* Make a defined global object linkable from the other partitions. */
static void externalize(LLVMValueRef g, unsigned *anon)
{
	size_t len = 0;
	LLVMGetValueName2(g, &len);
	if (len == 0) {
		char nm[48];
		snprintf(nm, sizeof nm, "__xdrv_anon.%u", (*anon)++);
		LLVMSetValueName2(g, nm, strlen(nm));
	}
	switch (LLVMGetLinkage(g)) {
	case LLVMInternalLinkage:
	case LLVMPrivateLinkage:
		LLVMSetLinkage(g, LLVMExternalLinkage);
		LLVMSetVisibility(g, LLVMHiddenVisibility);
		break;
	case LLVMExternalLinkage:
		break;
	default: /* weak, linkonce, common: this module holds the only definition */
		LLVMSetLinkage(g, LLVMExternalLinkage);
		break;
	}
	if (LLVMGetComdat(g))
		LLVMSetComdat(g, NULL);
}

int ldr_lazy_prepare(LLVMModuleRef m, char **err)
{
	unsigned anon = 0;
	LLVMValueRef a = LLVMGetFirstGlobalAlias(m);
	if (a) {
		char *n = value_name(a);
		int rc = xdrv_err(
			err, -ENOTSUP,
			"lazy mode: global alias %s is not supported; load the driver eagerly",
			n ? n : "?");
		free(n);
		return rc;
	}
	if (LLVMGetFirstGlobalIFunc(m))
		return xdrv_err(err, -ENOTSUP, "lazy mode: ifuncs are not supported");
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f))
			externalize(f, &anon);
	for (LLVMValueRef g = LLVMGetFirstGlobal(m); g; g = LLVMGetNextGlobal(g))
		if (!LLVMIsDeclaration(g) && !is_llvm_special(g))
			externalize(g, &anon);
	return 0;
}

/*
 * Declarations of another partition's symbols keep default visibility even where the
 * definition is hidden: a default-visibility declaration is not dso_local, so code reaches it
 * through the GOT (JITLink relaxes that to a direct reference when in range), and partitions in
 * separately allocated JIT memory may lie more than 2 GiB apart. The hidden definition still
 * resolves: the JITDylib links against itself with all symbols visible.
 */

/* Replace a global variable by a declaration of the same name and type. */
static int gvar_to_decl(LLVMValueRef g)
{
	LLVMModuleRef m = LLVMGetGlobalParent(g);
	size_t len = 0;
	char *name = value_name(g);
	if (!name)
		return -ENOMEM;
	len = strlen(name);
	LLVMTypeRef ty = LLVMGlobalGetValueType(g);
	LLVMValueRef d =
		LLVMAddGlobalInAddressSpace(m, ty, "", LLVMGetPointerAddressSpace(LLVMTypeOf(g)));
	LLVMSetGlobalConstant(d, LLVMIsGlobalConstant(g));
	LLVMSetThreadLocal(d, LLVMIsThreadLocal(g));
	LLVMSetAlignment(d, LLVMGetAlignment(g));
	LLVMReplaceAllUsesWith(g, d);
	LLVMDeleteGlobal(g);
	LLVMSetValueName2(d, name, len);
	free(name);
	return 0;
}

/* Replace a function by a declaration of the same name and type. */
static LLVMValueRef func_to_decl(LLVMValueRef f)
{
	char *name = value_name(f);
	if (!name)
		return NULL;
	LLVMValueRef d = ldr_function_redeclare(f);
	LLVMReplaceAllUsesWith(f, d);
	LLVMDeleteFunction(f);
	LLVMSetValueName2(d, name, strlen(name));
	free(name);
	return d;
}

/* Collect the module's global variables or functions (the lists change while we rewrite). */
static LLVMValueRef *collect(LLVMModuleRef m, int functions, size_t *n)
{
	size_t cnt = 0;
	if (functions)
		for (LLVMValueRef v = LLVMGetFirstFunction(m); v; v = LLVMGetNextFunction(v))
			cnt++;
	else
		for (LLVMValueRef v = LLVMGetFirstGlobal(m); v; v = LLVMGetNextGlobal(v))
			cnt++;
	LLVMValueRef *a = calloc(cnt ? cnt : 1, sizeof *a);
	if (!a)
		return NULL;
	cnt = 0;
	if (functions)
		for (LLVMValueRef v = LLVMGetFirstFunction(m); v; v = LLVMGetNextFunction(v))
			a[cnt++] = v;
	else
		for (LLVMValueRef v = LLVMGetFirstGlobal(m); v; v = LLVMGetNextGlobal(v))
			a[cnt++] = v;
	*n = cnt;
	return a;
}

/* Drop declarations nothing uses: a partition then names only what it needs. */
static void drop_unused_decls(LLVMModuleRef m)
{
	size_t n = 0;
	LLVMValueRef *fs = collect(m, 1, &n);
	for (size_t i = 0; fs && i < n; i++)
		if (LLVMIsDeclaration(fs[i]) && !LLVMGetFirstUse(fs[i]))
			LLVMDeleteFunction(fs[i]);
	free(fs);
	LLVMValueRef *gs = collect(m, 0, &n);
	for (size_t i = 0; gs && i < n; i++)
		if (LLVMIsDeclaration(gs[i]) && !LLVMGetFirstUse(gs[i]))
			LLVMDeleteGlobal(gs[i]);
	free(gs);
}

struct lazy_fn {
	char *name;
	int exported;
	int variadic; /* no partition, no thunk: the body stays in the globals module */
};

/* Remove the function-level attributes a thunk must not inherit from F's body (memory effects,
 * noreturn, willreturn, ...: the thunk calls the loader); string ones (target-cpu, ...) stay. */
void ldr_lazy_strip_fn_attrs(LLVMValueRef f)
{
	unsigned n = LLVMGetAttributeCountAtIndex(f, LLVMAttributeFunctionIndex);
	if (!n)
		return;
	LLVMAttributeRef *attrs = calloc(n, sizeof *attrs);
	if (!attrs)
		return;
	LLVMGetAttributesAtIndex(f, LLVMAttributeFunctionIndex, attrs);
	for (unsigned k = 0; k < n; k++)
		if (LLVMIsEnumAttribute(attrs[k]))
			LLVMRemoveEnumAttributeAtIndex(f, LLVMAttributeFunctionIndex,
						       LLVMGetEnumAttributeKind(attrs[k]));
	free(attrs);
}

/* Copy the return and parameter attributes of `f` (ABI: signext, zeroext, byval, sret, ...) to
 * the call site `call`; whether a tail call is safe (no byval/inalloca/preallocated argument,
 * which would point into the thunk's own incoming frame). */
int ldr_lazy_copy_call_attrs(LLVMValueRef f, LLVMValueRef call)
{
	static const char *const frame_args[] = {"byval", "inalloca", "preallocated"};
	int tail_ok = 1;
	unsigned nparams = LLVMCountParams(f);
	for (unsigned i = 0; i <= nparams; i++) {
		unsigned n = LLVMGetAttributeCountAtIndex(f, i);
		if (!n)
			continue;
		LLVMAttributeRef *attrs = calloc(n, sizeof *attrs);
		if (!attrs)
			return -ENOMEM;
		LLVMGetAttributesAtIndex(f, i, attrs);
		for (unsigned k = 0; k < n; k++)
			LLVMAddCallSiteAttribute(call, i, attrs[k]);
		free(attrs);
		for (size_t k = 0; i && k < sizeof frame_args / sizeof frame_args[0]; k++) {
			unsigned kind = LLVMGetEnumAttributeKindForName(frame_args[k],
									strlen(frame_args[k]));
			if (LLVMGetEnumAttributeAtIndex(f, i, kind))
				tail_ok = 0;
		}
	}
	return tail_ok;
}

int ldr_thunk_forward(LLVMBuilderRef b, LLVMValueRef f, LLVMValueRef target)
{
	LLVMTypeRef fty = LLVMGlobalGetValueType(f);
	unsigned nparams = LLVMCountParams(f);
	LLVMValueRef *args = calloc(nparams ? nparams : 1, sizeof *args);
	if (!args)
		return -ENOMEM;
	for (unsigned i = 0; i < nparams; i++)
		args[i] = LLVMGetParam(f, i);
	int void_ret = LLVMGetTypeKind(LLVMGetReturnType(fty)) == LLVMVoidTypeKind;
	LLVMValueRef r = LLVMBuildCall2(b, fty, target, args, nparams, void_ret ? "" : "r");
	free(args);
	LLVMSetInstructionCallConv(r, LLVMGetFunctionCallConv(f));
	int tail_ok = ldr_lazy_copy_call_attrs(f, r);
	if (tail_ok > 0)
		LLVMSetTailCall(r, 1);
	if (void_ret)
		LLVMBuildRetVoid(b);
	else
		LLVMBuildRet(b, r);
	return tail_ok < 0 ? -ENOMEM : 0;
}

/*
 * Give the declaration `f` (in the globals module) the body of F's thunk:
 *
 *   entry:   %p = load atomic ptr @F$slot monotonic;  br (%p == null), resolve, call
 *   resolve: %q = call ptr @__xdrv_lazy_resolve(ptr @__xdrv_lazy_image, ptr @F$slot, i32 id)
 *   call:    %t = phi [%p, %q];  %r = call F-type %t(args...);  ret %r
 */
static int build_thunk(LLVMModuleRef g, LLVMValueRef f, const struct lazy_fn *fn, uint32_t id,
		       LLVMValueRef resolve, LLVMValueRef image_sym, char **err)
{
	LLVMContextRef c = LLVMGetModuleContext(g);
	LLVMTypeRef ptr = LLVMPointerTypeInContext(c, 0);
	LLVMTypeRef i32 = LLVMInt32TypeInContext(c);
	size_t slen = strlen(fn->name) + sizeof "$slot";
	char *sname = malloc(slen);
	if (!sname)
		return xdrv_err(err, -ENOMEM, "lazy split: out of memory");
	snprintf(sname, slen, "%s$slot", fn->name);
	LLVMValueRef slot = LLVMAddGlobal(g, ptr, sname); /* private: LLVM renames on a clash */
	free(sname);
	LLVMSetLinkage(slot, LLVMPrivateLinkage);
	LLVMSetInitializer(slot, LLVMConstNull(ptr));
	LLVMSetAlignment(slot, 8);

	LLVMSetLinkage(f, LLVMExternalLinkage);
	LLVMSetVisibility(f, fn->exported ? LLVMDefaultVisibility : LLVMHiddenVisibility);
	ldr_lazy_strip_fn_attrs(f);
	/* not a body: jit.c's compile counter skips functions marked so */
	LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex,
				LLVMCreateStringAttribute(c, LDR_LAZY_THUNK_ATTR,
							  (unsigned)strlen(LDR_LAZY_THUNK_ATTR), "",
							  0));
	LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(c, f, "entry");
	LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(c, f, "resolve");
	LLVMBasicBlockRef call = LLVMAppendBasicBlockInContext(c, f, "call");
	LLVMBuilderRef b = LLVMCreateBuilderInContext(c);

	LLVMPositionBuilderAtEnd(b, entry);
	LLVMValueRef p = LLVMBuildLoad2(b, ptr, slot, "p");
	LLVMSetAlignment(p, 8);
	LLVMSetOrdering(p, LLVMAtomicOrderingMonotonic); /* lazy_resolve stores it, releasing */
	LLVMBuildCondBr(b, LLVMBuildIsNull(b, p, "unresolved"), slow, call);

	LLVMPositionBuilderAtEnd(b, slow);
	LLVMValueRef rargs[3] = {image_sym, slot, LLVMConstInt(i32, id, 0)};
	LLVMValueRef q = LLVMBuildCall2(b, LLVMGlobalGetValueType(resolve), resolve, rargs, 3, "q");
	LLVMBuildBr(b, call);

	LLVMPositionBuilderAtEnd(b, call);
	LLVMValueRef t = LLVMBuildPhi(b, ptr, "target");
	LLVMValueRef in_vals[2] = {p, q};
	LLVMBasicBlockRef in_bbs[2] = {entry, slow};
	LLVMAddIncoming(t, in_vals, in_bbs, 2);
	int rc = ldr_thunk_forward(b, f, t);
	LLVMDisposeBuilder(b);
	return rc ? xdrv_err(err, -ENOMEM, "lazy split: out of memory") : 0;
}

/* The globals partition: every function with a partition becomes a declaration and, with
 * `thunks`, its thunk (a variadic one then keeps its body), plus the loader's two imports the
 * thunks call with. */
static int make_globals_module(LLVMModuleRef g, const struct lazy_fn *fns, size_t nfns, int thunks,
			       char **err)
{
	LLVMContextRef c = LLVMGetModuleContext(g);
	LLVMTypeRef ptr = LLVMPointerTypeInContext(c, 0);
	LLVMTypeRef rparams[3] = {ptr, ptr, LLVMInt32TypeInContext(c)};
	LLVMValueRef resolve = NULL, image_sym = NULL;
	if (thunks) {
		/* default visibility, not dso_local: both are absolute addresses, maybe far away */
		resolve = LLVMAddFunction(g, RESOLVE_SYM, LLVMFunctionType(ptr, rparams, 3, 0));
		image_sym = LLVMAddGlobal(g, LLVMInt8TypeInContext(c), IMAGE_SYM);
	}
	int rc = 0;
	for (size_t i = 0; i < nfns && !rc; i++) {
		if (thunks && fns[i].variadic)
			continue;
		LLVMValueRef f = LLVMGetNamedFunction(g, fns[i].name);
		LLVMValueRef d = f ? func_to_decl(f) : NULL;
		if (!d)
			rc = xdrv_err(err, -ENOMEM, "lazy split: out of memory");
		else if (thunks)
			rc = build_thunk(g, d, &fns[i], (uint32_t)i, resolve, image_sym, err);
	}
	if (!rc)
		drop_unused_decls(g);
	return rc;
}

/* The partition of function `fname`: its body as fname$body, the rest declarations. */
static int make_function_module(LLVMModuleRef p, const char *fname, char **err)
{
	int rc = 0;
	size_t n = 0;
	LLVMValueRef *gs = collect(p, 0, &n);
	if (!gs)
		return xdrv_err(err, -ENOMEM, "lazy split: out of memory");
	for (size_t i = 0; i < n && !rc; i++) {
		if (is_llvm_special(gs[i]))
			LLVMDeleteGlobal(gs[i]); /* llvm.used & co. belong to the globals module */
		else if (!LLVMIsDeclaration(gs[i]) && gvar_to_decl(gs[i]))
			rc = xdrv_err(err, -ENOMEM, "lazy split: out of memory");
	}
	free(gs);
	if (rc)
		return rc;
	LLVMValueRef *fs = collect(p, 1, &n);
	if (!fs)
		return xdrv_err(err, -ENOMEM, "lazy split: out of memory");
	LLVMValueRef body = NULL;
	for (size_t i = 0; i < n && !rc; i++) {
		if (LLVMIsDeclaration(fs[i]))
			continue;
		size_t len = 0;
		const char *nm = LLVMGetValueName2(fs[i], &len);
		if (len == strlen(fname) && memcmp(nm, fname, len) == 0)
			body = fs[i];
		else if (!func_to_decl(fs[i]))
			rc = xdrv_err(err, -ENOMEM, "lazy split: out of memory");
	}
	free(fs);
	if (rc)
		return rc;
	if (!body)
		return xdrv_err(err, -EINVAL, "lazy split: function %s vanished", fname);
	/* Every use of F, recursion included, goes through F's stub, so F has one address. */
	size_t blen = strlen(fname) + sizeof BODY_SUFFIX;
	char *bname = malloc(blen);
	if (!bname)
		return xdrv_err(err, -ENOMEM, "lazy split: out of memory");
	snprintf(bname, blen, "%s" BODY_SUFFIX, fname);
	LLVMSetValueName2(body, bname, strlen(bname));
	free(bname);
	LLVMValueRef decl = ldr_function_redeclare(body); /* default visibility: see above */
	LLVMReplaceAllUsesWith(body, decl);
	LLVMSetValueName2(decl, fname, strlen(fname));
	LLVMSetVisibility(body, LLVMHiddenVisibility); /* only its stub calls it */
	drop_unused_decls(p);
	return 0;
}

/* A partition the splitting got wrong must fail the load, not reach code generation (which
 * does not verify and may crash on invalid IR). Cheap next to the optimization before it. */
static int verify_partition(LLVMModuleRef p, const char *what, char **err)
{
	char *msg = NULL;
	int bad = LLVMVerifyModule(p, LLVMReturnStatusAction, &msg);
	int rc = bad ? xdrv_err(err, -EINVAL, "lazy split: partition %s is invalid: %s", what,
				msg ? msg : "?")
		     : 0;
	LLVMDisposeMessage(msg);
	return rc;
}

/*
 * ORC's lazy re-exports F -> F$body, on hosts where LLVM has a lazy call-through manager
 * (x86_64, arm64): loads there are a little faster than with the thunks, which are compiled
 * with the globals (loader/README.md, "Lazy mode"). `img->lctm` is set (orc_available).
 */
static int define_reexports(struct ldr_image *img, struct lazy_fn *fns, size_t n, char **err)
{
	struct ldr_ctx *ctx = img->ctx;
	const char *triple = LLVMOrcLLJITGetTripleString(ctx->jit);
	img->ism = LLVMOrcCreateLocalIndirectStubsManager(triple);
	if (!img->ism)
		return xdrv_err(err, -ENOTSUP, "lazy mode: no indirect stubs for %s", triple);
	if (!n)
		return 0;
	LLVMOrcCSymbolAliasMapPairs al = calloc(n, sizeof *al);
	if (!al)
		return xdrv_err(err, -ENOMEM, "lazy mode: out of memory");
	for (size_t i = 0; i < n; i++) {
		size_t blen = strlen(fns[i].name) + sizeof BODY_SUFFIX;
		char *bname = malloc(blen);
		if (!bname) {
			/* names interned so far are owned by nothing yet: release them */
			for (size_t k = 0; k < i; k++) {
				LLVMOrcReleaseSymbolStringPoolEntry(al[k].Name);
				LLVMOrcReleaseSymbolStringPoolEntry(al[k].Entry.Name);
			}
			free(al);
			return xdrv_err(err, -ENOMEM, "lazy mode: out of memory");
		}
		snprintf(bname, blen, "%s" BODY_SUFFIX, fns[i].name);
		al[i].Name = LLVMOrcLLJITMangleAndIntern(ctx->jit, fns[i].name);
		al[i].Entry.Name = LLVMOrcLLJITMangleAndIntern(ctx->jit, bname);
		al[i].Entry.Flags.GenericFlags =
			LLVMJITSymbolGenericFlagsCallable |
			(fns[i].exported ? LLVMJITSymbolGenericFlagsExported : 0);
		al[i].Entry.Flags.TargetFlags = 0;
		free(bname);
	}
	LLVMOrcMaterializationUnitRef mu =
		LLVMOrcLazyReexports(img->lctm, img->ism, img->jd, al, n);
	free(al);
	LLVMErrorRef e = LLVMOrcJITDylibDefine(img->jd, mu);
	if (e) {
		LLVMOrcDisposeMaterializationUnit(mu);
		return ldr_llvm_err(err, e, -EINVAL, "lazy mode: defining the stubs");
	}
	return 0;
}

/* Whether ORC has a lazy call-through manager for this host (then img->lctm is it). LLVM 19 has
 * none for powerpc64le ("No callback manager available for powerpc64le-unknown-linux-gnu"). */
static int orc_available(struct ldr_image *img)
{
	struct ldr_ctx *ctx = img->ctx;
	if (ctx->lazy_thunks_always)
		return 0;
	LLVMErrorRef e = LLVMOrcCreateLocalLazyCallThroughManager(
		LLVMOrcLLJITGetTripleString(ctx->jit), ctx->es,
		(LLVMOrcJITTargetAddress)(uintptr_t)ldr_lazy_error_handler, &img->lctm);
	if (e) {
		LLVMConsumeError(e);
		img->lctm = NULL;
		return 0;
	}
	return 1;
}

/*
 * The loader's side of a thunk, called (from driver code, on whatever thread runs it) the
 * first time F is called: compile and link F's partition by looking up F$body, and store its
 * address in F's slot. The driver runtime dispatches from one thread; the lock keeps two
 * threads from racing on the session's error text and the lookup flag in jit.c all the same.
 */
static pthread_mutex_t resolve_mu = PTHREAD_MUTEX_INITIALIZER;

static void *lazy_resolve(struct ldr_image *img, void **slot, uint32_t id)
{
	pthread_mutex_lock(&resolve_mu);
	void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (p) { /* another thread resolved it while this one waited */
		pthread_mutex_unlock(&resolve_mu);
		return p;
	}
	char *err = NULL;
	uint64_t addr = 0;
	int rc = id < img->nlazy ? ldr_jit_lookup(img, (const char *const *)&img->lazy_bodies[id],
						  1, 0, &addr, &err)
				 : xdrv_err(&err, -EINVAL,
					    "lazy thunk: function %" PRIu32 " of %" PRIu32
					    " does not exist",
					    id, img->nlazy);
	if (!rc && addr) {
		p = (void *)(uintptr_t)addr;
		__atomic_store_n(slot, p, __ATOMIC_RELEASE);
		img->lazy_resolved++;
	} else {
		/* say it loudly (the driver is running, nobody else will), and keep it for
		 * ldr_jit_take_errors; the slot stays empty, so the next call tries again */
		char esc[1024];
		fprintf(stderr, "xdrv loader: JIT error: %s\n",
			xdrv_escape_text(err ? err : "lookup found nothing", esc, sizeof esc));
		if (!img->ctx->jit_errors) {
			img->ctx->jit_errors = err;
			err = NULL;
		}
		p = (void *)(uintptr_t)ldr_lazy_error_handler;
	}
	free(err);
	pthread_mutex_unlock(&resolve_mu);
	return p;
}

/* The two absolute symbols the thunks call with: the resolver and this image. */
int ldr_lazy_define_symbols(struct ldr_image *img, ldr_lazy_resolver resolve, char **err)
{
	struct ldr_ctx *ctx = img->ctx;
	LLVMOrcCSymbolMapPair syms[2];
	syms[0].Name = LLVMOrcLLJITMangleAndIntern(ctx->jit, RESOLVE_SYM);
	syms[0].Sym.Address = (LLVMOrcExecutorAddress)(uintptr_t)resolve;
	syms[0].Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsCallable;
	syms[0].Sym.Flags.TargetFlags = 0;
	syms[1].Name = LLVMOrcLLJITMangleAndIntern(ctx->jit, IMAGE_SYM);
	syms[1].Sym.Address = (LLVMOrcExecutorAddress)(uintptr_t)img;
	syms[1].Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsNone;
	syms[1].Sym.Flags.TargetFlags = 0;
	LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(syms, 2);
	LLVMErrorRef e = LLVMOrcJITDylibDefine(img->jd, mu);
	if (e) {
		LLVMOrcDisposeMaterializationUnit(mu);
		return ldr_llvm_err(err, e, -EINVAL, "lazy mode: defining the resolver");
	}
	return 0;
}

/* The names the loader adds to the driver's: a driver that defines one cannot be split. */
static int check_reserved(LLVMModuleRef m, const struct lazy_fn *fns, size_t nfns, int thunks,
			  char **err)
{
	static const char *const fixed[] = {RESOLVE_SYM, IMAGE_SYM};
	for (size_t i = 0; thunks && i < sizeof fixed / sizeof fixed[0]; i++)
		if (LLVMGetNamedFunction(m, fixed[i]) || LLVMGetNamedGlobal(m, fixed[i]))
			return xdrv_err(err, -EINVAL,
					"lazy split: the driver defines %s, a name the loader "
					"needs; load it eagerly",
					fixed[i]);
	for (size_t i = 0; i < nfns; i++) {
		size_t blen = strlen(fns[i].name) + sizeof BODY_SUFFIX;
		char *bname = malloc(blen);
		if (!bname)
			return xdrv_err(err, -ENOMEM, "lazy split: out of memory");
		snprintf(bname, blen, "%s" BODY_SUFFIX, fns[i].name);
		int clash = LLVMGetNamedFunction(m, bname) || LLVMGetNamedGlobal(m, bname);
		free(bname);
		if (clash)
			return xdrv_err(err, -EINVAL,
					"lazy split: the driver defines %s" BODY_SUFFIX
					", a name the loader needs for %s's body",
					fns[i].name, fns[i].name);
	}
	return 0;
}

int ldr_lazy_add(struct ldr_image *img, LLVMOrcThreadSafeContextRef tsc, LLVMModuleRef m,
		 char **err)
{
	struct lazy_fn *fns = NULL;
	size_t nfns = 0;
	int rc = ldr_lazy_prepare(m, err);
	if (rc)
		goto out_dispose;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f))
			nfns++;
	fns = calloc(nfns ? nfns : 1, sizeof *fns);
	img->lazy_bodies = calloc(nfns ? nfns : 1, sizeof *img->lazy_bodies);
	if (!fns || !img->lazy_bodies) {
		rc = xdrv_err(err, -ENOMEM, "lazy split: out of memory");
		goto out_dispose;
	}
	nfns = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
		if (LLVMIsDeclaration(f))
			continue;
		struct lazy_fn *fn = &fns[nfns++];
		fn->name = value_name(f);
		fn->exported = LLVMGetVisibility(f) == LLVMDefaultVisibility;
		fn->variadic = LLVMIsFunctionVarArg(LLVMGlobalGetValueType(f));
		if (!fn->name) {
			rc = xdrv_err(err, -ENOMEM, "lazy split: out of memory");
			goto out_dispose;
		}
		/* the resolver's table: thunk i looks up lazy_bodies[i] */
		size_t blen = strlen(fn->name) + sizeof BODY_SUFFIX;
		char *bname = malloc(blen);
		if (!bname) {
			rc = xdrv_err(err, -ENOMEM, "lazy split: out of memory");
			goto out_dispose;
		}
		snprintf(bname, blen, "%s" BODY_SUFFIX, fn->name);
		img->lazy_bodies[img->nlazy++] = bname;
	}
	int thunks = !orc_available(img);
	rc = check_reserved(m, fns, nfns, thunks, err);
	if (!rc && thunks)
		rc = ldr_lazy_define_symbols(img, lazy_resolve, err);
	if (rc)
		goto out_dispose;

	/* partitions, each from a clone of the prepared module, into the same context */
	for (size_t i = 0; i < nfns; i++) {
		if (thunks && fns[i].variadic)
			continue;
		LLVMModuleRef p = LLVMCloneModule(m);
		rc = p ? make_function_module(p, fns[i].name, err)
		       : xdrv_err(err, -ENOMEM, "lazy split: out of memory");
		if (rc) {
			if (p)
				LLVMDisposeModule(p);
			goto out_dispose;
		}
		rc = verify_partition(p, fns[i].name, err);
		if (rc) {
			LLVMDisposeModule(p);
			goto out_dispose;
		}
		rc = ldr_jit_add_module(img, tsc, p, err);
		if (rc)
			goto out_dispose;
	}
	rc = make_globals_module(m, fns, nfns, thunks, err);
	if (!rc)
		rc = verify_partition(m, "(globals)", err);
	if (rc)
		goto out_dispose;
	rc = ldr_jit_add_module(img, tsc, m, err);
	if (!rc && !thunks)
		rc = define_reexports(img, fns, nfns, err);
	goto out_free;

out_dispose:
	LLVMDisposeModule(m);
out_free:
	for (size_t i = 0; fns && i < nfns; i++)
		free(fns[i].name);
	free(fns);
	return rc;
}
