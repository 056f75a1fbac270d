// SPDX-License-Identifier: MIT
/*
 * The ORC side of the loader, through the LLVM-C API only. A context owns one LLJIT whose
 * JITTargetMachineBuilder is made from the same host TargetMachine settings that optimized the
 * code. Each image lives in its own *bare* JITDylib: the LLJIT's main JITDylib links the
 * process's symbols, a bare one links nothing, so the only names driver code can resolve are
 * the ABI symbols, defined here as absolute symbols bound to the runtime (ldr_abi_bindings),
 * the math helpers the back end may call (ldr_rt_bindings, weak: a driver's own function of that
 * name takes precedence, as with a static link), and the driver's own. A per-image resource tracker
 * lets unload remove all of it.
 *
 * LLVMOrcLLJITLookup only searches the main JITDylib, so lookups go through
 * LLVMOrcExecutionSessionLookup with the image's JITDylib as the whole search order.
 *
 * Compiled functions are counted in the LLJIT's IR transform layer, which sees every module
 * right before it is compiled. Splitting a module for lazy compilation is lazy.c's job.
 */
#include "ldr_jit.h"
#include "ext_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdrv/util.h"

#define JIT_ERRORS_MAX 8192 /* reported errors kept between takes; a flood is cut, not grown */

uint32_t ldr_module_defined_functions(LLVMModuleRef m)
{
	uint32_t n = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f) &&
		    !LLVMGetStringAttributeAtIndex(f, LLVMAttributeFunctionIndex,
						   LDR_LAZY_THUNK_ATTR,
						   (unsigned)strlen(LDR_LAZY_THUNK_ATTR)))
			n++; /* a thunk (lazy.c, tier.c) is the loader's, not the driver's */
	return n;
}

/* ---- session error reporter -------------------------------------------------------------------
 */
static void append_error(struct ldr_ctx *ctx, const char *msg)
{
	size_t old = ctx->jit_errors ? strlen(ctx->jit_errors) : 0;
	size_t add = strlen(msg);
	if (old + add + 3 > JIT_ERRORS_MAX)
		return;
	char *n = realloc(ctx->jit_errors, old + add + 3);
	if (!n)
		return;
	if (old) {
		memcpy(n + old, "; ", 2);
		old += 2;
	}
	memcpy(n + old, msg, add);
	n[old + add] = '\0';
	ctx->jit_errors = n;
}

static int in_lookup; /* set while the loader itself waits on a lookup (single-threaded use) */

static void es_report(void *c, LLVMErrorRef e)
{
	struct ldr_ctx *ctx = c;
	char *msg = LLVMGetErrorMessage(e);
	if (!in_lookup) /* e.g. a lazy compile failing while the driver runs: say it loudly */
		fprintf(stderr, "xdrv loader: JIT error: %s\n", msg ? msg : "unknown");
	if (msg)
		append_error(ctx, msg);
	LLVMDisposeErrorMessage(msg);
}

char *ldr_jit_take_errors(struct ldr_ctx *ctx)
{
	char *e = ctx->jit_errors;
	ctx->jit_errors = NULL;
	return e;
}

/* ---- compile counting -------------------------------------------------------------------------
 */
static LLVMErrorRef count_in_module(void *c, LLVMModuleRef m)
{
	/* lazy mode's thunks (lazy.c) are the loader's, not the driver's functions */
	uint32_t n = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f) &&
		    !LLVMGetStringAttributeAtIndex(f, LLVMAttributeFunctionIndex,
						   LDR_LAZY_THUNK_ATTR,
						   (unsigned)strlen(LDR_LAZY_THUNK_ATTR)))
			n++;
	*(uint32_t *)c = n;
	return LLVMErrorSuccess;
}

static LLVMErrorRef count_transform(void *c, LLVMOrcThreadSafeModuleRef *tsm,
				    LLVMOrcMaterializationResponsibilityRef mr)
{
	struct ldr_ctx *ctx = c;
	LLVMOrcJITDylibRef jd = LLVMOrcMaterializationResponsibilityGetTargetDylib(mr);
	for (struct ldr_image *img = ctx->images; img; img = img->next) {
		if (img->jd != jd)
			continue;
		uint32_t n = 0;
		LLVMErrorRef e = LLVMOrcThreadSafeModuleWithModuleDo(*tsm, count_in_module, &n);
		if (e)
			return e;
		img->compiled += n;
		break;
	}
	return LLVMErrorSuccess;
}

/* ---- object code digest (measured boot) ------------------------------------------------------
 * Every object the JIT links passes through the object transform layer, whether compiled from
 * IR or added from the object cache (ldr_jit_add_object). While an eager load emits an image's
 * code (obj_digest_img set around that lookup; one thread uses a context), each object's SHA-256
 * is chained into the image's digest: d = SHA-256(d || SHA-256(object)). The object is passed
 * on unchanged.
 */
static LLVMErrorRef object_digest_transform(void *c, LLVMMemoryBufferRef *obj)
{
	struct ldr_ctx *ctx = c;
	struct ldr_image *img = ctx->obj_digest_img;
	if (ctx->capture_all && obj && *obj && LLVMGetBufferSize(*obj)) {
		/* the compiler process in lazy mode: every object, for a driver host */
		size_t sz = LLVMGetBufferSize(*obj);
		struct ldr_obj_buf *a =
			realloc(ctx->captured, (ctx->ncaptured + 1) * sizeof *ctx->captured);
		if (a)
			ctx->captured = a;
		uint8_t *copy = a ? malloc(sz) : NULL;
		if (copy) {
			memcpy(copy, LLVMGetBufferStart(*obj), sz);
			ctx->captured[ctx->ncaptured].p = copy;
			ctx->captured[ctx->ncaptured].n = sz;
			ctx->ncaptured++;
		} else {
			/* lost: the taker sees none and fails */
			for (size_t i = 0; i < ctx->ncaptured; i++)
				free(ctx->captured[i].p);
			ctx->ncaptured = 0;
		}
	}
	if (!img || !obj || !*obj)
		return LLVMErrorSuccess;
	unsigned char cat[64];
	unsigned int len = 32;
	memcpy(cat, img->obj_digest, 32);
	const char *start = LLVMGetBufferStart(*obj);
	size_t size = LLVMGetBufferSize(*obj);
	if (EVP_Digest(start, size, cat + 32, &len, EVP_sha256(), NULL) &&
	    EVP_Digest(cat, sizeof cat, img->obj_digest, &len, EVP_sha256(), NULL))
		img->nobjects++;
	/* for the object cache: the first object, as linked (a second one makes the load not
	 * cacheable: image.c stores only a load of one object) */
	if (img->obj_capture && img->nobjects == 1 && !img->obj_copy && size &&
	    (img->obj_copy = malloc(size))) {
		memcpy(img->obj_copy, start, size);
		img->obj_len = size;
	}
	return LLVMErrorSuccess;
}

/* ---- the LLJIT of a context -------------------------------------------------------------------
 */
int ldr_jit_create(struct ldr_ctx *ctx, uint32_t opt_level, char **err)
{
	LLVMTargetMachineRef tm = ldr_host_tm(&ctx->host, opt_level, err);
	if (!tm)
		return -ENOTSUP;
	/* consumes tm */
	LLVMOrcJITTargetMachineBuilderRef jtmb =
		LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm);
	LLVMOrcLLJITBuilderRef b = LLVMOrcCreateLLJITBuilder();
	LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(b, jtmb);
	LLVMErrorRef e = LLVMOrcCreateLLJIT(&ctx->jit, b); /* consumes b, even on error */
	if (e) {
		ctx->jit = NULL;
		return ldr_llvm_err(err, e, -ENOTSUP, "creating the LLJIT");
	}
	ctx->es = LLVMOrcLLJITGetExecutionSession(ctx->jit);
	LLVMOrcExecutionSessionSetErrorReporter(ctx->es, es_report, ctx);
	LLVMOrcIRTransformLayerSetTransform(LLVMOrcLLJITGetIRTransformLayer(ctx->jit),
					    count_transform, ctx);
	LLVMOrcObjectTransformLayerSetTransform(LLVMOrcLLJITGetObjTransformLayer(ctx->jit),
						object_digest_transform, ctx);
	return 0;
}

void ldr_jit_take_captured(struct ldr_ctx *ctx, struct ldr_obj_buf **out, size_t *n)
{
	*out = ctx->captured;
	*n = ctx->ncaptured;
	ctx->captured = NULL;
	ctx->ncaptured = 0;
}

void ldr_jit_destroy(struct ldr_ctx *ctx)
{
	if (!ctx || !ctx->jit)
		return;
	LLVMErrorRef e = LLVMOrcDisposeLLJIT(ctx->jit);
	if (e) {
		char *msg = LLVMGetErrorMessage(e);
		fprintf(stderr, "xdrv loader: disposing the JIT: %s\n", msg ? msg : "?");
		LLVMDisposeErrorMessage(msg);
	}
	ctx->jit = NULL;
	ctx->es = NULL;
	free(ctx->jit_errors);
	ctx->jit_errors = NULL;
	for (size_t i = 0; i < ctx->ncaptured; i++)
		free(ctx->captured[i].p);
	free(ctx->captured);
	ctx->captured = NULL;
	ctx->ncaptured = 0;
}

/* ---- per image --------------------------------------------------------------------------------
 */
static int define_abi(struct ldr_image *img, char **err)
{
	if (img->is_ext) /* a packet extension: its own, smaller ABI (ext_bind.c) */
		return ldr_ext_define_abi(img, err);
	struct ldr_ctx *ctx = img->ctx;
	size_t total = ctx->nbindings + ctx->nrt_bindings;
	int budget = ctx->cfg.budget_edges || ctx->cfg.budget_depth;
	LLVMOrcCSymbolMapPairs syms = calloc(total + 2, sizeof *syms);
	if (!syms)
		return xdrv_err(err, -ENOMEM, "ABI bindings: out of memory");
	size_t n = 0;
	for (size_t i = 0; i < total; i++) {
		bool rt = i >= ctx->nbindings;
		const struct ldr_abi_binding *b =
			rt ? &ctx->rt_bindings[i - ctx->nbindings] : &ctx->bindings[i];
		if ((!rt && b->since > img->abi_version) || !b->addr)
			continue; /* not part of the ABI this driver was built for */
		syms[n].Name = LLVMOrcLLJITMangleAndIntern(ctx->jit, b->name);
		syms[n].Sym.Address = (LLVMOrcExecutorAddress)(uintptr_t)b->addr;
		syms[n].Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsExported |
						 LLVMJITSymbolGenericFlagsCallable |
						 (rt ? LLVMJITSymbolGenericFlagsWeak : 0);
		syms[n].Sym.Flags.TargetFlags = 0;
		n++;
	}
	if (budget) {
		/* the budget instrumentation's state and stop function (budget.c): no driver
		 * can name them (the lint admits only the ABI's imports, and a module that
		 * defines __xdrv_budget* is refused) */
		syms[n].Name = LLVMOrcLLJITMangleAndIntern(ctx->jit, LDR_BUDGET_STATE_SYM);
		syms[n].Sym.Address = (LLVMOrcExecutorAddress)(uintptr_t)ldr_budget_state_addr();
		syms[n].Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsExported;
		syms[n].Sym.Flags.TargetFlags = 0;
		n++;
		syms[n].Name = LLVMOrcLLJITMangleAndIntern(ctx->jit, LDR_BUDGET_STOP_SYM);
		syms[n].Sym.Address = (LLVMOrcExecutorAddress)(uintptr_t)ldr_budget_exhausted;
		syms[n].Sym.Flags.GenericFlags =
			LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
		syms[n].Sym.Flags.TargetFlags = 0;
		n++;
	}
	int rc = 0;
	if (n) {
		LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(syms, n);
		LLVMErrorRef e = LLVMOrcJITDylibDefine(img->jd, mu);
		if (e) {
			LLVMOrcDisposeMaterializationUnit(mu);
			rc = ldr_llvm_err(err, e, -EINVAL, "defining the ABI symbols");
		}
	}
	free(syms);
	return rc;
}

int ldr_jit_image_begin(struct ldr_image *img, char **err)
{
	struct ldr_ctx *ctx = img->ctx;
	char name[128];
	/* JITDylib names must be unique within the session; bare JITDylibs cannot be removed
	 * through the C API, so the id keeps a reloaded driver from colliding with its ghost. */
	snprintf(name, sizeof name, "xdrv.%" PRIu64 ".%s", img->id, img->name ? img->name : "?");
	img->jd = LLVMOrcExecutionSessionCreateBareJITDylib(ctx->es, name);
	if (!img->jd)
		return xdrv_err(err, -ENOMEM, "creating JITDylib %s", name);
	img->rt = LLVMOrcJITDylibCreateResourceTracker(img->jd);
	img->next = ctx->images;
	ctx->images = img;
	return define_abi(img, err);
}

void ldr_jit_image_end(struct ldr_image *img)
{
	struct ldr_ctx *ctx = img->ctx;
	if (img->rt) {
		LLVMErrorRef e = LLVMOrcResourceTrackerRemove(img->rt);
		if (e) {
			char *msg = LLVMGetErrorMessage(e);
			fprintf(stderr, "xdrv loader: unloading %s: %s\n", img->label,
				msg ? msg : "?");
			LLVMDisposeErrorMessage(msg);
		}
		LLVMOrcReleaseResourceTracker(img->rt);
		img->rt = NULL;
	}
	if (img->jd) {
		/* what LLVMOrcJITDylibDefine added (ABI symbols, lazy re-exports, the lazy
		 * resolver) is tracked by the JITDylib's default tracker: clear removes that too */
		LLVMErrorRef e = LLVMOrcJITDylibClear(img->jd);
		if (e) {
			char *msg = LLVMGetErrorMessage(e);
			fprintf(stderr, "xdrv loader: unloading %s: %s\n", img->label,
				msg ? msg : "?");
			LLVMDisposeErrorMessage(msg);
		}
		img->jd = NULL;
	}
	/* stubs, trampolines and the resolver's table outlive the code that used them, never the
	 * reverse */
	if (img->ism) {
		LLVMOrcDisposeIndirectStubsManager(img->ism);
		img->ism = NULL;
	}
	if (img->lctm) {
		LLVMOrcDisposeLazyCallThroughManager(img->lctm);
		img->lctm = NULL;
	}
	for (uint32_t i = 0; img->lazy_bodies && i < img->nlazy; i++)
		free(img->lazy_bodies[i]);
	free(img->lazy_bodies);
	img->lazy_bodies = NULL;
	img->nlazy = 0;
	for (struct ldr_image **pp = &ctx->images; *pp; pp = &(*pp)->next) {
		if (*pp == img) {
			*pp = img->next;
			break;
		}
	}
	img->next = NULL;
	if (ctx->es)
		LLVMOrcSymbolStringPoolClearDeadEntries(
			LLVMOrcExecutionSessionGetSymbolStringPool(ctx->es));
}

int ldr_jit_add_object(struct ldr_image *img, const uint8_t *obj, size_t len, char **err)
{
	/* the same object layer the compiled code goes through (LLJIT::addObjectFile adds to the
	 * object transform layer): the digest is taken the same way, and the object links in the
	 * image's bare JITDylib against the same ABI symbols */
	LLVMMemoryBufferRef mb = LLVMCreateMemoryBufferWithMemoryRangeCopy(
		(const char *)obj, len, img->name ? img->name : "xdrv-cached-object");
	if (!mb)
		return xdrv_err(err, -ENOMEM, "object: out of memory");
	LLVMErrorRef e = LLVMOrcLLJITAddObjectFileWithRT(img->ctx->jit, img->rt, mb);
	if (e)
		return ldr_llvm_err(err, e, -EINVAL, "adding the cached object to the JIT");
	return 0;
}

int ldr_jit_add_module(struct ldr_image *img, LLVMOrcThreadSafeContextRef tsc, LLVMModuleRef m,
		       char **err)
{
	LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(m, tsc);
	LLVMErrorRef e = LLVMOrcLLJITAddLLVMIRModuleWithRT(img->ctx->jit, img->rt, tsm);
	if (e)
		return ldr_llvm_err(err, e, -EINVAL, "adding the module to the JIT");
	return 0;
}

/* ---- lookups ----------------------------------------------------------------------------------
 */
struct lookup_wait {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
	char *error;
	LLVMOrcSymbolStringPoolEntryRef *names; /* retained by us, to match results */
	uint64_t *addrs;
	size_t n;
};

static void lookup_done(LLVMErrorRef e, LLVMOrcCSymbolMapPairs res, size_t npairs, void *c)
{
	struct lookup_wait *w = c;
	pthread_mutex_lock(&w->mu);
	if (e) {
		char *msg = LLVMGetErrorMessage(e);
		w->error = strdup(msg ? msg : "lookup failed");
		LLVMDisposeErrorMessage(msg);
	} else {
		for (size_t i = 0; i < npairs; i++)
			for (size_t k = 0; k < w->n; k++)
				if (res[i].Name == w->names[k])
					w->addrs[k] = res[i].Sym.Address;
	}
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int ldr_jit_lookup(struct ldr_image *img, const char *const *names, size_t n, int exported_only,
		   uint64_t *addrs, char **err)
{
	struct ldr_ctx *ctx = img->ctx;
	if (!img->jd)
		return xdrv_err(err, -ENOENT, "image %s is unloaded", img->label);
	if (!n)
		return 0;
	struct lookup_wait w = {.n = n, .addrs = addrs};
	LLVMOrcCLookupSet set = calloc(n + 1, sizeof *set);
	w.names = calloc(n, sizeof *w.names);
	if (!set || !w.names) {
		free(set);
		free(w.names);
		return xdrv_err(err, -ENOMEM, "lookup: out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		addrs[i] = 0;
		w.names[i] = LLVMOrcLLJITMangleAndIntern(ctx->jit, names[i]);
		LLVMOrcRetainSymbolStringPoolEntry(w.names[i]); /* one for the lookup, one for us */
		set[i].Name = w.names[i];
		set[i].LookupFlags = LLVMOrcSymbolLookupFlagsRequiredSymbol;
	}
	LLVMOrcCJITDylibSearchOrderElement order[2] = {
		{img->jd, exported_only ? LLVMOrcJITDylibLookupFlagsMatchExportedSymbolsOnly
					: LLVMOrcJITDylibLookupFlagsMatchAllSymbols},
		{NULL, 0}};
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	free(ldr_jit_take_errors(ctx));
	in_lookup = 1;
	LLVMOrcExecutionSessionLookup(ctx->es, LLVMOrcLookupKindStatic, order, 1, set, n,
				      lookup_done, &w);
	/* the session's in-place dispatcher usually answers before returning; a concurrent one
	 * would answer from another thread */
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	in_lookup = 0;
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	for (size_t i = 0; i < n; i++)
		LLVMOrcReleaseSymbolStringPoolEntry(w.names[i]);
	free(w.names);
	free(set);

	int rc = 0;
	char *reported = ldr_jit_take_errors(ctx);
	if (w.error) {
		if (reported)
			rc = xdrv_err(err, -ENOEXEC, "JIT link failed: %s (%s)", reported, w.error);
		else
			rc = xdrv_err(err, -ENOENT, "JIT lookup: %s", w.error);
	}
	free(reported);
	free(w.error);
	return rc;
}
