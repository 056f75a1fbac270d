// SPDX-License-Identifier: MIT
/*
 * Lazy, per-function compilation (what JOVE calls lazyCC) through the LLVM-C API, which has no
 * compile-on-demand layer. The whole module is optimized first (image.c), then split here:
 *
 *   - a "globals" module: every global variable with its initializer, functions as declarations;
 *   - one module per defined function F, holding F's body renamed to "F$body", everything else
 *     as declarations.
 *
 * All of them go into the image's JITDylib, and LLVMOrcLazyReexports defines each F as a stub
 * that, on its first call, looks up (and so compiles) F$body and then jumps straight to it.
 * Code never names F$body: calls between functions and the descriptor's function pointers go
 * through the stubs, so each function is compiled on its first call.
 *
 * Partitions must see each other's symbols, so internal and private symbols are made external
 * with hidden visibility (hidden symbols still link within the JITDylib, but lookups for
 * exported symbols do not see them), and unnamed ones get names.
 */
#include "ldr_jit.h"

#include <errno.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Comdat.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdrv/abi.h"
#include "xdrv/util.h"

#define BODY_SUFFIX "$body"

static _Atomic uint64_t lazy_failures;

uint64_t ldr_lazy_failures(void)
{
	return atomic_load(&lazy_failures);
}

/*
 * Where a stub lands when compiling its function failed (the session's error reporter has
 * already printed why). It runs in place of the driver function, with its arguments: it
 * returns XDRV_EIO, sign-extended, so an int32 entry point (probe, open, xmit, ...) reports an
 * I/O error instead of success, and a void one simply returns.
 */
static uint64_t lazy_error_handler(void)
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

static int prepare(LLVMModuleRef m, char **err)
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

/* The globals partition: every function becomes a declaration. */
static int make_globals_module(LLVMModuleRef g, char **err)
{
	size_t n = 0;
	LLVMValueRef *fs = collect(g, 1, &n);
	if (!fs)
		return xdrv_err(err, -ENOMEM, "lazy split: out of memory");
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		if (!LLVMIsDeclaration(fs[i]) && !func_to_decl(fs[i]))
			rc = xdrv_err(err, -ENOMEM, "lazy split: out of memory");
	free(fs);
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

struct lazy_fn {
	char *name;
	int exported;
};

static int define_reexports(struct ldr_image *img, struct lazy_fn *fns, size_t n, char **err)
{
	struct ldr_ctx *ctx = img->ctx;
	const char *triple = LLVMOrcLLJITGetTripleString(ctx->jit);
	LLVMErrorRef e = LLVMOrcCreateLocalLazyCallThroughManager(
		triple, ctx->es, (LLVMOrcJITTargetAddress)(uintptr_t)lazy_error_handler,
		&img->lctm);
	if (e) {
		img->lctm = NULL;
		/* LLVM 19's ORC has no lazy call-through for some hosts (powerpc64le) */
		return ldr_llvm_err(err, e, -ENOTSUP,
				    "lazy mode is not available on this host, use eager mode: "
				    "call-through manager");
	}
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
	e = LLVMOrcJITDylibDefine(img->jd, mu);
	if (e) {
		LLVMOrcDisposeMaterializationUnit(mu);
		return ldr_llvm_err(err, e, -EINVAL, "lazy mode: defining the stubs");
	}
	return 0;
}

int ldr_lazy_add(struct ldr_image *img, LLVMOrcThreadSafeContextRef tsc, LLVMModuleRef m,
		 char **err)
{
	struct lazy_fn *fns = NULL;
	size_t nfns = 0;
	int rc = prepare(m, err);
	if (rc)
		goto out_dispose;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f))
			nfns++;
	fns = calloc(nfns ? nfns : 1, sizeof *fns);
	if (!fns) {
		rc = xdrv_err(err, -ENOMEM, "lazy split: out of memory");
		goto out_dispose;
	}
	nfns = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
		if (LLVMIsDeclaration(f))
			continue;
		fns[nfns].name = value_name(f);
		fns[nfns].exported = LLVMGetVisibility(f) == LLVMDefaultVisibility;
		if (!fns[nfns].name) {
			rc = xdrv_err(err, -ENOMEM, "lazy split: out of memory");
			goto out_dispose;
		}
		nfns++;
		size_t blen = strlen(fns[nfns - 1].name) + sizeof BODY_SUFFIX;
		char *bname = malloc(blen);
		if (!bname) {
			rc = xdrv_err(err, -ENOMEM, "lazy split: out of memory");
			goto out_dispose;
		}
		snprintf(bname, blen, "%s" BODY_SUFFIX, fns[nfns - 1].name);
		int clash = LLVMGetNamedFunction(m, bname) || LLVMGetNamedGlobal(m, bname);
		free(bname);
		if (clash) {
			rc = xdrv_err(err, -EINVAL,
				      "lazy split: the driver defines %s" BODY_SUFFIX
				      ", a name the loader needs for %s's body",
				      fns[nfns - 1].name, fns[nfns - 1].name);
			goto out_dispose;
		}
	}

	/* partitions, each from a clone of the prepared module, into the same context */
	for (size_t i = 0; i < nfns; i++) {
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
	rc = make_globals_module(m, err);
	if (!rc)
		rc = verify_partition(m, "(globals)", err);
	if (rc)
		goto out_dispose;
	rc = ldr_jit_add_module(img, tsc, m, err);
	m = NULL;
	if (rc)
		goto out_free;
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
