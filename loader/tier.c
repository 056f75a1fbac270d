// SPDX-License-Identifier: MIT
/*
 * Tiers (issue 13): a fast first tier gets the driver probed and moving packets; the optimized
 * tier of the same specialized module compiles in the background and is swapped in between two
 * dispatches, with the driver's globals shared, so no state is lost.
 *
 * Tier 1 (ldr_tier_split, on the load's thread): the module as the load made it (retargeted,
 * specialized, budget-instrumented, not optimized) is made linkable across modules (lazy.c's
 * prepare: internal symbols hidden and named) and kept as bitcode for tier 2. Then, in place,
 * every defined function F (not variadic) becomes
 *
 *   F$body  the body (hidden)
 *   F$slot  a pointer, initialized to F$body (hidden)
 *   F       a thunk: load F$slot, call it with F's arguments (a tail call where allowed)
 *
 * and every use of F (calls, the descriptor's and the ops tables' function pointers) names the
 * thunk, so F has one address for the image's life. The module is then compiled like an eager
 * load, by the session, at O0 (its codegen level in this mode: fast instruction selection).
 *
 * Tier 2 (a thread of its own, its own LLVMContext, no ORC: nothing it touches is shared): the
 * bitcode is parsed again; each F's body becomes F$o2 (hidden), F a declaration (the thunk of
 * tier 1); calls of F inside tier 2 call F$o2 directly (so the optimizer inlines across
 * functions) while any other use of F (an address stored, compared, handed to the host) stays
 * the thunk. Global variables become declarations (tier 1's definitions: the state is one),
 * constant ones available_externally (the optimizer still sees the specialized parameters and
 * tables). Optimized at the context's opt_level, emitted by a TargetMachine of the same level to
 * an object in memory.
 *
 * The swap (ldr_tier_poll, from ldr_driver_dispatch: between two dispatches, no entry point of
 * the driver running): tier 2's object is linked into the image's JITDylib (its declarations
 * resolve to tier 1's symbols), every F$o2 is looked up and stored into F$slot, one release
 * store each. A function still running in tier-1 code (none can be at that point, but another
 * driver of the same image could be nested) finishes there and calls on through the slots.
 * Tier 1's code stays mapped until the image is unloaded: it is small (O0, a few tens of KiB),
 * and nothing proves that no return address points into it.
 */
#include "ldr_jit.h"
#include "patch.h"

#include <errno.h>
#include <inttypes.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/BitReader.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Object.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xdrv/util.h"
#include <xdrv/driver.h>

#define BODY_SUFFIX "$body"
#define SLOT_SUFFIX "$slot"
#define O2_SUFFIX   "$o2"

struct ldr_tier {
	struct ldr_image *img;
	struct ldr_tier *next; /* tiers, the process's list */
	/* set before the thread starts, read-only after */
	uint8_t *bc; /* tier 1's input, for tier 2 */
	size_t bclen;
	char **fns; /* functions with a slot */
	uint32_t nfns;
	uint32_t opt_level;
	char *label;
	/* the thread's results, published by `state` (release) */
	pthread_t th;
	int started;
	_Atomic uint32_t state; /* LDR_TIER_* */
	uint8_t *obj;
	size_t obj_len;
	char *err;
	uint64_t compile_ns;
	/* code swaps (re-specialization): the job being compiled, or the last one handled */
	int direct;		  /* swappable full/fast: bodies call each other directly */
	int joined;		  /* the job's thread joined */
	uint32_t next_gen;	  /* generations are never reused: a failed one may have linked */
	uint32_t gen;		  /* the job's */
	uint32_t live_gen;	  /* of the code that runs */
	uint32_t what;		  /* LDR_SWAP_* of the job */
	char suffix[16];	  /* of the job's bodies: "$o2" (tier 2), "$g<N>" */
	char change[160];	  /* the job's change, for messages */
	struct sdk_param *params; /* the descriptor's (names copied), for ldr_image_param_set */
	size_t nparams;
	uint64_t *bc_vals;   /* the values in t->bc (the load's) */
	uint64_t *live_vals; /* of the code that runs */
	uint64_t *job_vals;  /* of the job's code */
	/* live patches (patch.h), oldest first: those in the running code, those of the job's */
	struct ldr_patch_set ps;
	char **gnames; /* the global variables t->bc defines, sorted: the rest came with a patch */
	size_t ngnames;
	/* the swap's (the polling thread's) */
	uint64_t loaded_ns; /* tier 1 linked; for a re-specialization: asked for */
	uint32_t reported;  /* the swap or the failure was handled */
	struct ldr_tier_info info;
	pthread_mutex_t mu; /* state changes vs ldr_image_tier_wait */
	pthread_cond_t cv;
};

static pthread_mutex_t tiers_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ldr_tier *tiers;
static _Atomic uint32_t tiers_pending; /* tier 2s compiled or failed, not yet handled */
/* Tests only (tests/e2e/tiers.sh): XDRV_TEST_TIER_SWAP_AT=N makes the N-th poll of the process
 * wait for every tier 2 still compiling, so that the swap happens at that dispatch, under
 * traffic, however busy the machine is. */
static uint64_t swap_at, polls;
static pthread_once_t swap_at_once = PTHREAD_ONCE_INIT;
static void swap_at_init(void)
{
	const char *v = getenv("XDRV_TEST_TIER_SWAP_AT");
	swap_at = v ? strtoull(v, NULL, 10) : 0;
}

static ldr_tier_observer observer;
static void *observer_arg;

const char *ldr_tier_name(uint32_t tier)
{
	switch (tier) {
	case LDR_TIER_FULL:
		return "full";
	case LDR_TIER_FAST:
		return "fast";
	case LDR_TIER_AUTO:
		return "auto";
	default:
		return "?";
	}
}

int ldr_tier_parse(const char *s, uint32_t *tier)
{
	for (uint32_t t = LDR_TIER_FULL; t <= LDR_TIER_AUTO; t++)
		if (s && strcmp(s, ldr_tier_name(t)) == 0) {
			*tier = t;
			return 0;
		}
	return -EINVAL;
}

void ldr_tier_set_observer(ldr_tier_observer fn, void *arg)
{
	pthread_mutex_lock(&tiers_mu);
	observer = fn;
	observer_arg = arg;
	pthread_mutex_unlock(&tiers_mu);
}

int ldr_tier_wanted(const struct ldr_ctx *ctx)
{
	return ctx->cfg.tier == LDR_TIER_AUTO && ctx->cfg.jit_mode == LDR_JIT_EAGER &&
	       !ctx->capture_objects && !ctx->capture_all;
}

static char *suffixed(const char *name, const char *suffix)
{
	if (!name || !suffix)
		return NULL;
	size_t n = strlen(name) + strlen(suffix) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s", name, suffix);
	return s;
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

static int tiered_function(LLVMValueRef f)
{
	return !LLVMIsDeclaration(f) && !is_llvm_special(f) &&
	       !LLVMIsFunctionVarArg(LLVMGlobalGetValueType(f));
}

static void tier_free(struct ldr_tier *t)
{
	for (uint32_t i = 0; t->fns && i < t->nfns; i++)
		free(t->fns[i]);
	free(t->fns);
	for (size_t i = 0; t->params && i < t->nparams; i++)
		free(t->params[i].name);
	free(t->params);
	free(t->bc_vals);
	free(t->live_vals);
	free(t->job_vals);
	ldr_patch_set_free(&t->ps);
	for (size_t i = 0; i < t->ngnames; i++)
		free(t->gnames[i]);
	free(t->gnames);
	free(t->bc);
	free(t->obj);
	free(t->err);
	free(t->label);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* The users of `v`, collected (the use list changes while they are rewritten). */
static LLVMValueRef *users_of(LLVMValueRef v, size_t *n)
{
	size_t cnt = 0;
	for (LLVMUseRef u = LLVMGetFirstUse(v); u; u = LLVMGetNextUse(u))
		cnt++;
	LLVMValueRef *a = calloc(cnt ? cnt : 1, sizeof *a);
	if (!a)
		return NULL;
	cnt = 0;
	for (LLVMUseRef u = LLVMGetFirstUse(v); u; u = LLVMGetNextUse(u))
		a[cnt++] = LLVMGetUser(u);
	*n = cnt;
	return a;
}

/* Calls of `callee` by name become calls of `to` (its body): addresses stay the callee's. */
static int redirect_calls(LLVMValueRef callee, LLVMValueRef to)
{
	size_t nu = 0;
	LLVMValueRef *us = users_of(callee, &nu);
	if (!us)
		return -ENOMEM;
	for (size_t k = 0; k < nu; k++)
		if (LLVMIsACallInst(us[k]) && LLVMGetCalledValue(us[k]) == callee)
			LLVMSetOperand(us[k], (unsigned)LLVMGetNumOperands(us[k]) - 1, to);
	free(us);
	return 0;
}

/* ---- tier 1 ---------------------------------------------------------------------------------
 */
/* F (a declaration with F's type and attributes) becomes the thunk through `slot`. */
static int build_thunk(LLVMValueRef f, LLVMValueRef slot, int exported)
{
	LLVMContextRef c = LLVMGetModuleContext(LLVMGetGlobalParent(f));
	LLVMTypeRef ptr = LLVMPointerTypeInContext(c, 0);
	LLVMSetLinkage(f, LLVMExternalLinkage);
	LLVMSetVisibility(f, exported ? LLVMDefaultVisibility : LLVMHiddenVisibility);
	ldr_lazy_strip_fn_attrs(f);
	/* not a body: jit.c's compile counter skips it */
	LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex,
				LLVMCreateStringAttribute(c, LDR_LAZY_THUNK_ATTR,
							  (unsigned)strlen(LDR_LAZY_THUNK_ATTR), "",
							  0));
	LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(c, f, "entry");
	LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
	LLVMPositionBuilderAtEnd(b, entry);
	LLVMValueRef p = LLVMBuildLoad2(b, ptr, slot, "target");
	LLVMSetAlignment(p, 8);
	LLVMSetOrdering(p, LLVMAtomicOrderingMonotonic); /* the swap stores it, releasing */
	int rc = ldr_thunk_forward(b, f, p);
	LLVMDisposeBuilder(b);
	return rc;
}

static int check_reserved(LLVMModuleRef m, const char *name, char **err)
{
	static const char *const sfx[] = {BODY_SUFFIX, SLOT_SUFFIX, O2_SUFFIX};
	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		char *n = suffixed(name, sfx[i]);
		if (!n)
			return xdrv_err(err, -ENOMEM, "tiers: out of memory");
		int clash = LLVMGetNamedFunction(m, n) || LLVMGetNamedGlobal(m, n);
		if (clash) {
			int rc = xdrv_err(err, -EINVAL,
					  "tiers: the driver defines %s, a name the loader needs "
					  "for %s; load it with --tier full",
					  n, name);
			free(n);
			return rc;
		}
		free(n);
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int base_global(const struct ldr_tier *t, LLVMValueRef g)
{
	char *n = value_name(g);
	int found = n && bsearch(&n, t->gnames, t->ngnames, sizeof *t->gnames, cmp_str) != NULL;
	free(n);
	return found;
}

/* The descriptor's parameters and the values the module was specialized with. */
static int keep_params(struct ldr_tier *t, const struct sdk_descriptor *d, const uint64_t *vals)
{
	size_t n = d ? d->nparams : 0;
	t->params = calloc(n ? n : 1, sizeof *t->params);
	t->bc_vals = calloc(n ? n : 1, sizeof *t->bc_vals);
	t->live_vals = calloc(n ? n : 1, sizeof *t->live_vals);
	t->job_vals = calloc(n ? n : 1, sizeof *t->job_vals);
	if (!t->params || !t->bc_vals || !t->live_vals || !t->job_vals)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		t->params[i] = d->params[i];
		t->params[i].desc = NULL;
		if (!(t->params[i].name = strdup(d->params[i].name ? d->params[i].name : "")))
			return -ENOMEM;
		t->nparams = i + 1;
		t->bc_vals[i] = t->live_vals[i] = t->job_vals[i] =
			vals ? vals[i] : d->params[i].def;
	}
	return 0;
}

int ldr_tier_split(struct ldr_image *img, LLVMModuleRef m, const struct sdk_descriptor *d,
		   int direct, char **err)
{
	struct ldr_ctx *ctx = img->ctx;
	struct ldr_tier *t = calloc(1, sizeof *t);
	if (!t)
		return xdrv_err(err, -ENOMEM, "tiers: out of memory");
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	t->img = img;
	t->opt_level = ctx->cfg.opt_level;
	t->direct = direct;
	t->joined = 1;
	t->next_gen = 1;
	/* tier auto: tier 2 compiles from the start; swappable: the load's code is the newest */
	atomic_store(&t->state, direct ? LDR_TIER_LIVE : LDR_TIER_COMPILING);
	img->tier = t;
	if (!(t->label = strdup(img->name ? img->name : "?")) ||
	    keep_params(t, d, img->param_values))
		return xdrv_err(err, -ENOMEM, "tiers: out of memory");
	int rc = ldr_lazy_prepare(m, err);
	if (rc)
		return rc;
	uint32_t n = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		if (tiered_function(f))
			n++;
	t->fns = calloc(n ? n : 1, sizeof *t->fns);
	if (!t->fns)
		return xdrv_err(err, -ENOMEM, "tiers: out of memory");
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
		if (!tiered_function(f))
			continue;
		if (!(t->fns[t->nfns] = value_name(f)))
			return xdrv_err(err, -ENOMEM, "tiers: out of memory");
		if ((rc = check_reserved(m, t->fns[t->nfns++], err)))
			return rc;
	}
	/* the globals it defines (a patch's own data is told from them in later generations) */
	size_t ng = 0;
	for (LLVMValueRef g = LLVMGetFirstGlobal(m); g; g = LLVMGetNextGlobal(g))
		ng++;
	t->gnames = calloc(ng ? ng : 1, sizeof *t->gnames);
	if (!t->gnames)
		return xdrv_err(err, -ENOMEM, "tiers: out of memory");
	for (LLVMValueRef g = LLVMGetFirstGlobal(m); g; g = LLVMGetNextGlobal(g))
		if (!LLVMIsDeclaration(g) && !(t->gnames[t->ngnames++] = value_name(g)))
			return xdrv_err(err, -ENOMEM, "tiers: out of memory");
	qsort(t->gnames, t->ngnames, sizeof *t->gnames, cmp_str);
	/* tier 2's input: the module as it is now (prepared, no thunks) */
	LLVMMemoryBufferRef mb = LLVMWriteBitcodeToMemoryBuffer(m);
	if (!mb)
		return xdrv_err(err, -ENOMEM, "tiers: writing the bitcode failed");
	t->bclen = LLVMGetBufferSize(mb);
	t->bc = malloc(t->bclen ? t->bclen : 1);
	if (t->bc)
		memcpy(t->bc, LLVMGetBufferStart(mb), t->bclen);
	LLVMDisposeMemoryBuffer(mb);
	if (!t->bc)
		return xdrv_err(err, -ENOMEM, "tiers: out of memory");
	if (ctx->tier_test_corrupt && t->bclen > 64)
		memset(t->bc + t->bclen / 2, 0xa5, 32); /* tests: tier 2 fails to parse it */

	LLVMContextRef c = LLVMGetModuleContext(m);
	LLVMTypeRef ptr = LLVMPointerTypeInContext(c, 0);
	for (uint32_t i = 0; i < t->nfns; i++) {
		LLVMValueRef f = LLVMGetNamedFunction(m, t->fns[i]);
		char *bname = suffixed(t->fns[i], BODY_SUFFIX);
		char *sname = suffixed(t->fns[i], SLOT_SUFFIX);
		if (!f || !bname || !sname) {
			free(bname);
			free(sname);
			return xdrv_err(err, -ENOMEM, "tiers: out of memory");
		}
		int exported = LLVMGetVisibility(f) == LLVMDefaultVisibility;
		LLVMSetValueName2(f, bname, strlen(bname));
		LLVMValueRef thunk = ldr_function_redeclare(f);
		LLVMReplaceAllUsesWith(f, thunk);
		LLVMSetValueName2(thunk, t->fns[i], strlen(t->fns[i]));
		LLVMSetVisibility(f, LLVMHiddenVisibility); /* only its thunk calls it */
		LLVMValueRef slot = LLVMAddGlobal(m, ptr, sname);
		LLVMSetLinkage(slot, LLVMExternalLinkage);
		LLVMSetVisibility(slot, LLVMHiddenVisibility);
		LLVMSetInitializer(slot, f);
		LLVMSetAlignment(slot, 8);
		free(bname);
		free(sname);
		if (build_thunk(thunk, slot, exported))
			return xdrv_err(err, -ENOMEM, "tiers: out of memory");
		/* swappable, optimized now: the bodies call each other directly, as tier 2's do */
		if (direct && redirect_calls(thunk, f))
			return xdrv_err(err, -ENOMEM, "tiers: out of memory");
	}
	char *msg = NULL;
	if (LLVMVerifyModule(m, LLVMReturnStatusAction, &msg)) {
		rc = xdrv_err(err, -EINVAL, "tiers: tier 1 is invalid: %s", msg ? msg : "?");
		LLVMDisposeMessage(msg);
		return rc;
	}
	LLVMDisposeMessage(msg);
	return 0;
}

/* ---- tier 2 (its own thread) ----------------------------------------------------------------
 */
static void diag_quiet(LLVMDiagnosticInfoRef di, void *opaque)
{
	(void)di;
	(void)opaque; /* errors surface as the failure of a step below */
}

/*
 * Re-specialization: parameter k's global gets a private twin holding the job's value, and
 * every use of the global becomes a use of the twin. The global itself (tier 1's, with the old
 * value, which the descriptor's table points at) turns into a declaration below like every
 * other: this generation's code folds the new value, nothing of it reads the old.
 */
static int respecialize(struct ldr_tier *t, LLVMModuleRef m, size_t k, char **err)
{
	const struct sdk_param *p = &t->params[k];
	char gname[64], tname[80];
	snprintf(gname, sizeof gname, "xdrv_param_%s", p->name);
	snprintf(tname, sizeof tname, "%s%s", gname, t->suffix);
	LLVMValueRef g = LLVMGetNamedGlobal(m, gname);
	if (!g || LLVMIsDeclaration(g) || !LLVMIsGlobalConstant(g))
		return xdrv_err(err, -EINVAL, "%s: the module has no specialized %s", t->change,
				gname);
	LLVMTypeRef ty = LLVMGlobalGetValueType(g);
	if (LLVMGetTypeKind(ty) != LLVMIntegerTypeKind)
		return xdrv_err(err, -EINVAL, "%s: %s is not an integer", t->change, gname);
	LLVMValueRef twin = LLVMAddGlobal(m, ty, tname);
	LLVMSetInitializer(twin, LLVMConstInt(ty, t->job_vals[k], 0));
	LLVMSetGlobalConstant(twin, 1);
	LLVMSetLinkage(twin, LLVMPrivateLinkage);
	LLVMSetAlignment(twin, LLVMGetAlignment(g));
	LLVMReplaceAllUsesWith(g, twin);
	return 0;
}

static int tier2_module(struct ldr_tier *t, LLVMModuleRef m, char **err)
{
	for (size_t k = 0; k < t->nparams; k++) {
		int rc = t->job_vals[k] != t->bc_vals[k] ? respecialize(t, m, k, err) : 0;
		if (rc)
			return rc;
	}
	for (uint32_t i = 0; i < t->nfns; i++) {
		LLVMValueRef f = LLVMGetNamedFunction(m, t->fns[i]);
		char *oname = suffixed(t->fns[i], t->suffix);
		if (!f || !oname) {
			free(oname);
			return xdrv_err(err, -EINVAL, "%s: function %s is missing", t->change,
					t->fns[i]);
		}
		if (LLVMGetNamedFunction(m, oname) || LLVMGetNamedGlobal(m, oname)) {
			int rc = xdrv_err(err, -EINVAL,
					  "%s: the driver defines %s, a name the loader needs for "
					  "%s",
					  t->change, oname, t->fns[i]);
			free(oname);
			return rc;
		}
		LLVMSetValueName2(f, oname, strlen(oname));
		free(oname);
		LLVMValueRef decl = ldr_function_redeclare(f);
		LLVMReplaceAllUsesWith(f, decl);
		LLVMSetValueName2(decl, t->fns[i], strlen(t->fns[i]));
		LLVMSetLinkage(f, LLVMExternalLinkage);
		LLVMSetVisibility(f, LLVMHiddenVisibility);
		/* direct calls go to this generation's body; addresses stay the thunk's */
		if (redirect_calls(decl, f))
			return xdrv_err(err, -ENOMEM, "%s: out of memory", t->change);
	}
	/* variadic functions keep tier 1's body */
	LLVMValueRef nextf;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = nextf) {
		nextf = LLVMGetNextFunction(f);
		if (LLVMIsDeclaration(f) || !LLVMIsFunctionVarArg(LLVMGlobalGetValueType(f)))
			continue;
		char *name = value_name(f);
		if (!name)
			return xdrv_err(err, -ENOMEM, "%s: out of memory", t->change);
		LLVMValueRef d = ldr_function_redeclare(f); /* added last: seen again, skipped */
		LLVMReplaceAllUsesWith(f, d);
		LLVMDeleteFunction(f);
		LLVMSetValueName2(d, name, strlen(name));
		free(name);
	}
	/* what else is defined came with a patch (its statics): this generation's alone */
	size_t sl = strlen(t->suffix);
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
		size_t len = 0;
		const char *n = LLVMGetValueName2(f, &len);
		if (!LLVMIsDeclaration(f) && !is_llvm_special(f) &&
		    !(len > sl && !memcmp(n + len - sl, t->suffix, sl)))
			LLVMSetLinkage(f, LLVMInternalLinkage);
	}
	/* the state is tier 1's: declarations; constants stay visible to the optimizer */
	LLVMValueRef next;
	for (LLVMValueRef g = LLVMGetFirstGlobal(m); g; g = next) {
		next = LLVMGetNextGlobal(g);
		if (is_llvm_special(g)) {
			LLVMDeleteGlobal(g); /* llvm.used & co: tier 1 has them */
			continue;
		}
		if (LLVMIsDeclaration(g))
			continue;
		if (!base_global(t, g)) { /* a patch's own data: this generation's, defined here */
			LLVMSetLinkage(g, LLVMInternalLinkage);
			continue;
		}
		if (LLVMIsGlobalConstant(g) && !LLVMIsThreadLocal(g)) {
			LLVMSetLinkage(g, LLVMAvailableExternallyLinkage);
		} else {
			LLVMSetInitializer(g, NULL);
			LLVMSetLinkage(g, LLVMExternalLinkage);
		}
		/* not dso_local: tier 1's data may lie far from tier 2's code (the GOT) */
		LLVMSetVisibility(g, LLVMDefaultVisibility);
		LLVMSetUnnamedAddr(g, 0);
	}
	char *msg = NULL;
	if (LLVMVerifyModule(m, LLVMReturnStatusAction, &msg)) {
		int rc = xdrv_err(err, -EINVAL, "%s: module invalid: %s", t->change,
				  msg ? msg : "?");
		LLVMDisposeMessage(msg);
		return rc;
	}
	LLVMDisposeMessage(msg);
	return 0;
}

/* The kept bitcode parsed into `c`, with `patches` merged in order (patch.c). */
static int base_module(struct ldr_tier *t, LLVMContextRef c, struct ldr_patch *const *patches,
		       size_t npatches, LLVMModuleRef *out, char **err)
{
	LLVMModuleRef m = NULL;
	*out = NULL;
	LLVMMemoryBufferRef mb = LLVMCreateMemoryBufferWithMemoryRange((const char *)t->bc,
								       t->bclen, "xdrv-tier2", 0);
	int bad = !mb || LLVMParseBitcodeInContext2(c, mb, &m) || !m;
	if (mb)
		LLVMDisposeMemoryBuffer(mb);
	if (bad)
		return xdrv_err(err, -EINVAL, "%s: the bitcode of tier 1 did not parse", t->change);
	for (size_t i = 0; i < npatches; i++) {
		int rc = ldr_patch_merge(m, patches[i], err);
		if (rc) {
			LLVMDisposeModule(m);
			return rc;
		}
	}
	*out = m;
	return 0;
}

static int tier2_compile(struct ldr_tier *t, char **err)
{
	struct ldr_ctx *ctx = t->img->ctx;
	LLVMContextRef c = LLVMContextCreate();
	LLVMContextSetDiagnosticHandler(c, diag_quiet, NULL);
	LLVMModuleRef m = NULL;
	LLVMTargetMachineRef tm = NULL;
	LLVMMemoryBufferRef out = NULL;
	int rc = base_module(t, c, t->ps.job, t->ps.njob, &m, err);
	if (!rc)
		rc = tier2_module(t, m, err);
	if (!rc && !(tm = ldr_host_tm(&ctx->host, t->opt_level, err)))
		rc = -ENOTSUP;
	if (!rc)
		rc = ldr_module_optimize(m, tm, t->opt_level, err);
	if (!rc) {
		char *msg = NULL;
		if (LLVMTargetMachineEmitToMemoryBuffer(tm, m, LLVMObjectFile, &msg, &out)) {
			rc = xdrv_err(err, -EINVAL, "%s: code generation: %s", t->change,
				      msg ? msg : "?");
			out = NULL;
		}
		LLVMDisposeMessage(msg);
	}
	if (!rc) {
		t->obj_len = LLVMGetBufferSize(out);
		t->obj = malloc(t->obj_len ? t->obj_len : 1);
		if (t->obj)
			memcpy(t->obj, LLVMGetBufferStart(out), t->obj_len);
		else
			rc = xdrv_err(err, -ENOMEM, "%s: out of memory", t->change);
	}
	if (out)
		LLVMDisposeMemoryBuffer(out);
	if (tm)
		LLVMDisposeTargetMachine(tm);
	if (m)
		LLVMDisposeModule(m);
	LLVMContextDispose(c);
	return rc;
}

static void *tier2_main(void *arg)
{
	struct ldr_tier *t = arg;
	uint64_t t0 = xdrv_now_ns();
	char *err = NULL;
	int rc = tier2_compile(t, &err);
	t->compile_ns = xdrv_now_ns() - t0;
	pthread_mutex_lock(&t->mu);
	t->err = rc ? (err ? err : strdup("tier 2 failed")) : NULL;
	if (!rc)
		free(err);
	/* counted first: whoever sees the state (ldr_image_tier_wait) then sees the count */
	atomic_fetch_add(&tiers_pending, 1);
	atomic_store_explicit(&t->state, rc ? LDR_TIER_FAILED : LDR_TIER_READY,
			      memory_order_release);
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/* A job: generation next_gen of the whole module, compiled by a thread of its own (the
 * previous job's has ended: its state was handled). */
static int start_job(struct ldr_tier *t, uint32_t what, char **err)
{
	if (t->started && !t->joined)
		pthread_join(t->th, NULL);
	t->joined = 1;
	t->gen = t->next_gen++;
	t->what = what;
	if (what == LDR_SWAP_TIER2)
		snprintf(t->suffix, sizeof t->suffix, "%s", O2_SUFFIX);
	else
		snprintf(t->suffix, sizeof t->suffix, "$g%u", t->gen);
	free(t->err);
	t->err = NULL;
	t->info.error[0] = 0;
	t->reported = 0;
	atomic_store(&t->state, LDR_TIER_COMPILING);
	int rc = pthread_create(&t->th, NULL, tier2_main, t);
	if (rc) {
		t->reported = 1;
		atomic_store(&t->state, t->live_gen || t->direct ? LDR_TIER_LIVE : LDR_TIER_FAILED);
		return xdrv_err(err, -rc, "%s: starting the compile thread: %s", t->change,
				strerror(rc));
	}
	t->started = 1;
	t->joined = 0;
	return 0;
}

int ldr_tier_start(struct ldr_image *img, char **err)
{
	struct ldr_tier *t = img->tier;
	if (!t)
		return 0;
	pthread_once(&swap_at_once, swap_at_init);
	t->loaded_ns = xdrv_now_ns();
	t->info.opt_level = t->opt_level;
	t->info.functions = t->nfns;
	pthread_mutex_lock(&tiers_mu);
	t->next = tiers;
	tiers = t;
	int rc = 0;
	if (!t->direct) {
		snprintf(t->change, sizeof t->change, "tier 2");
		rc = ldr_patch_set_job(&t->ps, NULL, 0)
			     ? xdrv_err(err, -ENOMEM, "tiers: out of memory")
			     : start_job(t, LDR_SWAP_TIER2, err);
	}
	pthread_mutex_unlock(&tiers_mu);
	return rc;
}

int ldr_tier_swappable(const struct ldr_ctx *ctx)
{
	/* the compiler process too (capture_objects): it compiles swappable code for a driver host
	 */
	return ctx->cfg.swappable && ctx->cfg.jit_mode == LDR_JIT_EAGER && !ctx->capture_all;
}

const char *ldr_swap_name(uint32_t what)
{
	switch (what) {
	case LDR_SWAP_TIER2:
		return "tier 2";
	case LDR_SWAP_PARAM:
		return "re-specialization";
	case LDR_SWAP_PATCH:
		return "live-patch";
	case LDR_SWAP_REVERT:
		return "revert";
	default:
		return "none";
	}
}

int ldr_param_live_check(const char *who, const struct sdk_param *params, size_t nparams,
			 const uint64_t *live_vals, const char *name, const char *value,
			 size_t *kout, uint64_t *vout, char **err)
{
	size_t k = 0;
	while (k < nparams && strcmp(params[k].name, name ? name : "") != 0)
		k++;
	if (k == nparams) {
		char declared[512] = "";
		size_t off = 0;
		for (size_t j = 0; j < nparams && off < sizeof declared; j++) {
			int w = snprintf(declared + off, sizeof declared - off, "%s%s%s",
					 j ? ", " : "", params[j].name,
					 (params[j].flags & XDRV_PARAM_F_LIVE) ? " (live)" : "");
			if (w < 0)
				break;
			off += (size_t)w;
		}
		return xdrv_err(err, -ENOENT, "driver %s: param %s: not declared (declared: %s)",
				who, name ? name : "", nparams ? declared : "none");
	}
	const struct sdk_param *p = &params[k];
	/* the value's checks are the load's: parse, then the declared range */
	struct sdk_descriptor one = {.nparams = 1, .params = (struct sdk_param *)p};
	struct ldr_param_value pv = {.name = p->name, .value = value};
	uint64_t v = 0;
	int rc = ldr_param_values(&one, &pv, 1, &v, err);
	if (rc) {
		xdrv_err_prefix(err, "driver %s", who);
		return rc;
	}
	if (live_vals[k] == v)
		return xdrv_err(err, -EALREADY, "driver %s: param %s is %s already", who, p->name,
				value);
	if (!(p->flags & XDRV_PARAM_F_LIVE))
		return xdrv_err(
			err, -EPERM,
			"driver %s: param %s is fixed from probe to remove (the driver does "
			"not declare it XDRV_PARAM_F_LIVE): give it at load instead",
			who, p->name);
	*kout = k;
	*vout = v;
	return 0;
}

int ldr_image_param_set(struct ldr_image *img, const char *name, const char *value, char **err)
{
	struct ldr_tier *t = img ? img->tier : NULL;
	const char *who = img && img->name ? img->name : "?";
	if (!t || !t->bc)
		return xdrv_err(
			err, -ENOTSUP,
			"driver %s: its code is not swappable (load it with swappable code: "
			"xdrv run --in-process --control, or --tier auto)",
			who);
	size_t k = 0;
	uint64_t v = 0;
	pthread_mutex_lock(&tiers_mu);
	int rc = ldr_param_live_check(who, t->params, t->nparams, t->live_vals, name, value, &k, &v,
				      err);
	if (rc) {
		pthread_mutex_unlock(&tiers_mu);
		return rc;
	}
	const struct sdk_param *p = &t->params[k];
	uint32_t st = atomic_load(&t->state);
	if (st == LDR_TIER_COMPILING || (st == LDR_TIER_READY && !t->reported)) {
		pthread_mutex_unlock(&tiers_mu);
		return xdrv_err(err, -EBUSY,
				"driver %s: %s is compiling; set %s when it is live (or failed)",
				who, t->change, p->name);
	}
	memcpy(t->job_vals, t->live_vals, t->nparams * sizeof *t->job_vals);
	t->job_vals[k] = v;
	snprintf(t->change, sizeof t->change, "re-specialization (%s=%s)", p->name, value);
	t->opt_level = img->ctx->cfg.opt_level;
	t->info.opt_level = t->opt_level;
	t->loaded_ns = xdrv_now_ns();
	rc = ldr_patch_set_job(&t->ps, NULL, 0)
		     ? xdrv_err(err, -ENOMEM, "driver %s: out of memory", who)
		     : start_job(t, LDR_SWAP_PARAM, err);
	pthread_mutex_unlock(&tiers_mu);
	return rc;
}

/* Whether a swap can start now (under tiers_mu); -EBUSY said otherwise. */
static int idle_for(struct ldr_tier *t, const char *who, const char *what, char **err)
{
	uint32_t st = atomic_load(&t->state);
	if (st == LDR_TIER_COMPILING || (st == LDR_TIER_READY && !t->reported))
		return xdrv_err(err, -EBUSY,
				"driver %s: %s is compiling; %s when it is live (or failed)", who,
				t->change, what);
	return 0;
}

static struct ldr_tier *swappable_tier(struct ldr_image *img, char **err)
{
	struct ldr_tier *t = img && img->tier && img->tier->bc ? img->tier : NULL;
	if (!t)
		xdrv_err(err, -ENOTSUP,
			 "driver %s: its code is not swappable (load it with swappable code: xdrv "
			 "run "
			 "--in-process --control, or --tier auto)",
			 img && img->name ? img->name : "?");
	return t;
}

int ldr_image_patch_apply(struct ldr_image *img, const char *path, char **err)
{
	struct ldr_tier *t = swappable_tier(img, err);
	if (!t)
		return -ENOTSUP;
	const char *who = img->name ? img->name : "?";
	/* the running package's payload digest (ldr_image_payload_digest's, read here: image.c
	 * calls this file) */
	if (!img->has_payload_digest)
		return xdrv_err(err, -ENODATA, "driver %s: the running package's digest is unknown",
				who);
	int rc = 0;
	const uint8_t *base = img->payload_digest;
	struct ldr_patch *p = NULL;
	if ((rc = ldr_patch_read(img->ctx, path, base, &p, err)))
		return rc;
	if (strcmp(ldr_patch_name(p), who) != 0) {
		rc = xdrv_err(err, -EINVAL, "patch %s is for driver %s, this is %s", path,
			      ldr_patch_name(p), who);
		ldr_patch_free(p);
		return rc;
	}
	pthread_mutex_lock(&tiers_mu);
	if (ldr_patch_set_has(&t->ps, p))
		rc = xdrv_err(err, -EALREADY,
			      "driver %s: patch %s (sha256 %.16s...) is applied already", who, path,
			      ldr_patch_digest_hex(p));
	if (!rc)
		rc = idle_for(t, who, "apply the patch", err);
	/* the merge's refusals (a function missing or of another type) answered now, not by the
	 * background compile: the whole merge tried on the kept bitcode */
	char saved[sizeof t->change];
	memcpy(saved, t->change, sizeof saved);
	if (!rc) {
		LLVMContextRef c = LLVMContextCreate();
		LLVMContextSetDiagnosticHandler(c, diag_quiet, NULL);
		LLVMModuleRef m = NULL;
		snprintf(t->change, sizeof t->change, "live patch %s %s", ldr_patch_name(p),
			 ldr_patch_version(p));
		if (!(rc = ldr_patch_set_job(&t->ps, p, 0)))
			rc = base_module(t, c, t->ps.job, t->ps.njob, &m, err);
		if (m)
			LLVMDisposeModule(m);
		LLVMContextDispose(c);
	}
	if (!rc) {
		snprintf(t->change, sizeof t->change, "live patch %s %s (sha256 %.16s...)",
			 ldr_patch_name(p), ldr_patch_version(p), ldr_patch_digest_hex(p));
		t->opt_level = img->ctx->cfg.opt_level;
		t->info.opt_level = t->opt_level;
		t->loaded_ns = xdrv_now_ns();
		memcpy(t->job_vals, t->live_vals, t->nparams * sizeof *t->job_vals);
		rc = start_job(t, LDR_SWAP_PATCH, err);
		if (rc)
			ldr_patch_set_drop(&t->ps);
	} else {
		memcpy(t->change, saved, sizeof saved);
		if (t->ps.applying == p)
			ldr_patch_set_drop(&t->ps); /* p with it */
		else
			ldr_patch_free(p);
	}
	pthread_mutex_unlock(&tiers_mu);
	return rc;
}

int ldr_image_patch_revert(struct ldr_image *img, char **err)
{
	struct ldr_tier *t = swappable_tier(img, err);
	if (!t)
		return -ENOTSUP;
	const char *who = img->name ? img->name : "?";
	pthread_mutex_lock(&tiers_mu);
	int rc = t->ps.nlive ? idle_for(t, who, "revert", err)
			     : xdrv_err(err, -ENOENT, "driver %s: no live patch is applied", who);
	if (!rc) {
		const struct ldr_patch *p = t->ps.live[t->ps.nlive - 1];
		snprintf(t->change, sizeof t->change,
			 "revert of live patch %s %s (sha256 %.16s...)", ldr_patch_name(p),
			 ldr_patch_version(p), ldr_patch_digest_hex(p));
		t->opt_level = img->ctx->cfg.opt_level;
		t->info.opt_level = t->opt_level;
		t->loaded_ns = xdrv_now_ns();
		memcpy(t->job_vals, t->live_vals, t->nparams * sizeof *t->job_vals);
		rc = ldr_patch_set_job(&t->ps, NULL, 1) ? xdrv_err(err, -ENOMEM, "out of memory")
							: start_job(t, LDR_SWAP_REVERT, err);
		if (rc)
			ldr_patch_set_drop(&t->ps);
	}
	pthread_mutex_unlock(&tiers_mu);
	return rc;
}

size_t ldr_image_patches(const struct ldr_image *img, struct ldr_patch_info *out, size_t cap)
{
	struct ldr_tier *t = img ? img->tier : NULL;
	if (!t)
		return 0;
	pthread_mutex_lock(&tiers_mu);
	size_t n = ldr_patch_set_info(&t->ps, out, cap);
	pthread_mutex_unlock(&tiers_mu);
	return n;
}

/* ---- the swap -------------------------------------------------------------------------------
 */
static void fill_info(const struct ldr_tier *t, struct ldr_tier_info *ti)
{
	*ti = t->info;
	ti->what = t->what;
	ti->generation = t->live_gen;
	ti->swappable = 1;
	snprintf(ti->change, sizeof ti->change, "%s", t->what ? t->change : "");
	ti->state = atomic_load_explicit(&((struct ldr_tier *)t)->state, memory_order_acquire);
	if (ti->state != LDR_TIER_COMPILING)
		ti->compile_ns = t->compile_ns;
}

static int swap_in(struct ldr_tier *t, char **err)
{
	struct ldr_image *img = t->img;
	uint64_t t0 = xdrv_now_ns();
	int rc = ldr_jit_add_object(img, t->obj, t->obj_len, err);
	if (rc)
		return rc;
	size_t n = (size_t)t->nfns * 2;
	char **names = calloc(n ? n : 1, sizeof *names);
	uint64_t *addrs = calloc(n ? n : 1, sizeof *addrs);
	if (!names || !addrs) {
		free(names);
		free(addrs);
		return xdrv_err(err, -ENOMEM, "%s: out of memory", t->change);
	}
	for (uint32_t i = 0; i < t->nfns && !rc; i++)
		if (!(names[2 * i] = suffixed(t->fns[i], t->suffix)) ||
		    !(names[2 * i + 1] = suffixed(t->fns[i], SLOT_SUFFIX)))
			rc = xdrv_err(err, -ENOMEM, "%s: out of memory", t->change);
	if (!rc)
		rc = ldr_jit_lookup(img, (const char *const *)names, n, 0, addrs, err);
	uint32_t swapped = 0;
	if (!rc) {
		/* every address is known before the first store: the swap is all or nothing */
		for (uint32_t i = 0; i < t->nfns; i++)
			if (!addrs[2 * i] || !addrs[2 * i + 1])
				rc = xdrv_err(err, -ENOENT, "%s: %s has no address", t->change,
					      names[2 * i + !addrs[2 * i]]);
	}
	if (!rc) {
		for (uint32_t i = 0; i < t->nfns; i++) {
			void **slot = (void **)(uintptr_t)addrs[2 * i + 1];
			__atomic_store_n(slot, (void *)(uintptr_t)addrs[2 * i], __ATOMIC_RELEASE);
			swapped++;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(addrs);
	uint64_t t1 = xdrv_now_ns();
	t->info.swapped = swapped;
	t->info.swap_ns = t1 - t0;
	t->info.live_after_ns = t1 - t->loaded_ns;
	unsigned int dl = 32;
	EVP_Digest(t->obj, t->obj_len, t->info.obj_sha256, &dl, EVP_sha256(), NULL);
	t->info.obj_len = t->obj_len;
	return rc;
}

static void report(struct ldr_tier *t, int ok)
{
	char esc[400], dig[17];
	for (int i = 0; i < 8; i++)
		snprintf(dig + 2 * i, 3, "%02x", t->info.obj_sha256[i]);
	if (ok && t->what == LDR_SWAP_TIER2)
		fprintf(stderr,
			"xdrv loader: driver %s: tier 2 (O%u) live after %" PRIu64
			" ms (compiled in %" PRIu64 " ms in the background; swap %" PRIu64
			" us: %u slots)\n",
			t->label, t->opt_level, t->info.live_after_ns / 1000000u,
			t->compile_ns / 1000000u, t->info.swap_ns / 1000u, t->info.swapped);
	else if (ok)
		fprintf(stderr,
			"xdrv loader: driver %s: %s: generation %u (O%u) live after %" PRIu64
			" ms (compiled in %" PRIu64 " ms in the background; swap %" PRIu64
			" us: %u slots; object sha256 %s...)\n",
			t->label, t->change, t->gen, t->opt_level, t->info.live_after_ns / 1000000u,
			t->compile_ns / 1000000u, t->info.swap_ns / 1000u, t->info.swapped, dig);
	else if (t->what == LDR_SWAP_TIER2)
		fprintf(stderr,
			"xdrv loader: driver %s: tier 2 (O%u) FAILED, tier 1 (O0) keeps running: "
			"%s\n",
			t->label, t->opt_level,
			xdrv_escape_text(t->err ? t->err : "?", esc, sizeof esc));
	else
		fprintf(stderr,
			"xdrv loader: driver %s: %s FAILED, generation %u keeps running: %s\n",
			t->label, t->change, t->live_gen,
			xdrv_escape_text(t->err ? t->err : "?", esc, sizeof esc));
}

static int handle(struct ldr_tier *t)
{
	uint32_t st = atomic_load_explicit(&t->state, memory_order_acquire);
	if (t->reported || (st != LDR_TIER_READY && st != LDR_TIER_FAILED))
		return 0;
	t->reported = 1;
	atomic_fetch_sub(&tiers_pending, 1);
	char *err = NULL;
	if (st == LDR_TIER_READY && swap_in(t, &err) == 0) {
		atomic_store(&t->state, LDR_TIER_LIVE);
		t->live_gen = t->gen;
		memcpy(t->live_vals, t->job_vals, t->nparams * sizeof *t->live_vals);
		ldr_patch_set_commit(&t->ps);
		for (size_t k = 0; k < t->nparams && k < t->img->nparams; k++)
			t->img->param_values[k] = t->live_vals[k];
		report(t, 1);
	} else {
		if (st == LDR_TIER_READY) {
			free(t->err);
			t->err = err ? err : strdup("the swap failed");
			err = NULL;
		}
		atomic_store(&t->state, LDR_TIER_FAILED);
		memcpy(t->job_vals, t->live_vals, t->nparams * sizeof *t->job_vals);
		ldr_patch_set_drop(&t->ps);
		report(t, 0);
		snprintf(t->info.error, sizeof t->info.error, "%s", t->err ? t->err : "?");
	}
	free(err);
	free(t->obj); /* linked (copied) or refused: not needed again */
	t->obj = NULL;
	return 1; /* t->bc stays: the next generation starts from it */
}

static void wait_compiling(void)
{
	pthread_mutex_lock(&tiers_mu);
	for (struct ldr_tier *t = tiers; t; t = t->next) {
		pthread_mutex_lock(&t->mu);
		while (atomic_load(&t->state) == LDR_TIER_COMPILING)
			pthread_cond_wait(&t->cv, &t->mu);
		pthread_mutex_unlock(&t->mu);
	}
	pthread_mutex_unlock(&tiers_mu);
}

int ldr_tier_poll(void)
{
	if (swap_at && ++polls == swap_at)
		wait_compiling();
	if (!atomic_load_explicit(&tiers_pending, memory_order_relaxed))
		return 0;
	int n = 0;
	pthread_mutex_lock(&tiers_mu);
	for (struct ldr_tier *t = tiers; t; t = t->next) {
		if (!handle(t))
			continue;
		n++;
		if (observer) {
			struct ldr_tier_info ti;
			fill_info(t, &ti);
			observer(observer_arg, t->img, &ti);
		}
	}
	pthread_mutex_unlock(&tiers_mu);
	return n;
}

int ldr_image_tier_wait(struct ldr_image *img, uint32_t timeout_ms)
{
	struct ldr_tier *t = img ? img->tier : NULL;
	if (!t || !t->started)
		return -ENODATA;
	struct timespec end;
	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += timeout_ms / 1000u;
	end.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	int rc = 0;
	pthread_mutex_lock(&t->mu);
	while (atomic_load(&t->state) == LDR_TIER_COMPILING && rc == 0)
		rc = pthread_cond_timedwait(&t->cv, &t->mu, &end);
	pthread_mutex_unlock(&t->mu);
	return atomic_load(&t->state) == LDR_TIER_COMPILING ? -ETIMEDOUT : 0;
}

void ldr_image_tier_info(const struct ldr_image *img, struct ldr_tier_info *out)
{
	memset(out, 0, sizeof *out);
	if (img && img->tier)
		fill_info(img->tier, out);
}

void ldr_tier_end(struct ldr_image *img)
{
	struct ldr_tier *t = img ? img->tier : NULL;
	if (!t)
		return;
	img->tier = NULL;
	if (t->started && !t->joined)
		pthread_join(t->th, NULL); /* the compile is not interruptible: wait for it */
	pthread_mutex_lock(&tiers_mu);
	for (struct ldr_tier **pp = &tiers; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	uint32_t st = atomic_load(&t->state);
	if (t->started && !t->reported && (st == LDR_TIER_READY || st == LDR_TIER_FAILED))
		atomic_fetch_sub(&tiers_pending, 1);
	pthread_mutex_unlock(&tiers_mu);
	tier_free(t);
}

/* ---- code swaps across processes (driver domains, the boot; gen.c is the supervisor's) ------
 * The compiler process: the load made tier 1's module and kept its bitcode (ldr_tier_split,
 * direct); generation job->generation of it is compiled here, synchronously, exactly as a
 * background job of an in-process image would be, and becomes the image's one object. */
int ldr_tier_gen_object(struct ldr_image *img, const struct ldr_gen_job *job, char **err)
{
	struct ldr_tier *t = img->tier;
	if (!t || !t->bc)
		return xdrv_err(err, -EINVAL, "generation %u: the module was not split",
				job->generation);
	if (job->generation == 0 || job->nvalues != t->nparams)
		return xdrv_err(err, -EINVAL,
				"generation %u: %zu parameter values for %zu parameters",
				job->generation, job->nvalues, t->nparams);
	t->gen = job->generation;
	t->what = LDR_SWAP_PARAM;
	snprintf(t->suffix, sizeof t->suffix, "$g%u", t->gen);
	snprintf(t->change, sizeof t->change, "generation %u", t->gen);
	if (t->nparams)
		memcpy(t->job_vals, job->values, t->nparams * sizeof *t->job_vals);
	free(t->ps.job);
	t->ps.njob = 0;
	t->ps.job = calloc(job->npatches + 1, sizeof *t->ps.job);
	if (!t->ps.job)
		return xdrv_err(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < job->npatches; i++)
		t->ps.job[t->ps.njob++] = job->patches[i];
	int rc = tier2_compile(t, err);
	free(t->ps.job); /* borrowed patches: the job's */
	t->ps.job = NULL;
	t->ps.njob = 0;
	if (rc)
		return rc;
	free(img->obj_copy);
	img->obj_copy = t->obj;
	img->obj_len = t->obj_len;
	img->nobjects = 1;
	t->obj = NULL;
	t->obj_len = 0;
	return 0;
}

/* An object's defined symbols ending in `suffix`, the suffix cut off, sorted. */
static int object_names(const uint8_t *obj, size_t len, const char *suffix, char ***out,
			uint32_t *nout, char **err)
{
	char *msg = NULL;
	*out = NULL;
	*nout = 0;
	LLVMMemoryBufferRef mb =
		LLVMCreateMemoryBufferWithMemoryRange((const char *)obj, len, "xdrv-object", 0);
	LLVMBinaryRef bin = mb ? LLVMCreateBinary(mb, NULL, &msg) : NULL;
	if (!bin) {
		int rc = xdrv_err(err, -EBADMSG, "the object does not parse: %s",
				  msg ? msg : "out of memory");
		LLVMDisposeMessage(msg);
		if (mb)
			LLVMDisposeMemoryBuffer(mb);
		return rc;
	}
	LLVMSymbolIteratorRef it = LLVMObjectFileCopySymbolIterator(bin);
	size_t sl = strlen(suffix), cap = 0;
	char **a = NULL;
	uint32_t n = 0;
	int rc = it ? 0 : xdrv_err(err, -EBADMSG, "the object has no symbol table");
	while (!rc && !LLVMObjectFileIsSymbolIteratorAtEnd(bin, it)) {
		const char *name = LLVMGetSymbolName(it);
		size_t nl = name ? strlen(name) : 0;
		if (nl > sl && !memcmp(name + nl - sl, suffix, sl) &&
		    LLVMGetSymbolAddress(it) + LLVMGetSymbolSize(it) > 0) {
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				char **b = realloc(a, cap * sizeof *a);
				if (!b) {
					rc = xdrv_err(err, -ENOMEM, "out of memory");
					break;
				}
				a = b;
			}
			if (!(a[n] = strndup(name, nl - sl))) {
				rc = xdrv_err(err, -ENOMEM, "out of memory");
				break;
			}
			n++;
		}
		LLVMMoveToNextSymbol(it);
	}
	if (it)
		LLVMDisposeSymbolIterator(it);
	LLVMDisposeBinary(bin);
	LLVMDisposeMemoryBuffer(mb);
	if (rc) {
		for (uint32_t i = 0; i < n; i++)
			free(a[i]);
		free(a);
		return rc;
	}
	if (n)
		qsort(a, n, sizeof *a, cmp_str);
	*out = a;
	*nout = n;
	return 0;
}

int ldr_tier_adopt(struct ldr_image *img, const uint8_t *obj, size_t len, char **err)
{
	char **fns = NULL;
	uint32_t n = 0;
	int rc = object_names(obj, len, SLOT_SUFFIX, &fns, &n, err);
	if (rc || n == 0)
		return rc; /* no slots: code that is not swappable */
	struct ldr_tier *t = calloc(1, sizeof *t);
	if (!t) {
		for (uint32_t i = 0; i < n; i++)
			free(fns[i]);
		free(fns);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	t->img = img;
	t->fns = fns;
	t->nfns = n;
	t->direct = 1;
	t->joined = 1;
	t->next_gen = 1;
	t->reported = 1;
	t->loaded_ns = xdrv_now_ns(); /* tier 2's "live after" counts from here */
	atomic_store(&t->state, LDR_TIER_LIVE);
	img->tier = t;
	if (!(t->label = strdup(img->name ? img->name : "?")))
		return xdrv_err(err, -ENOMEM, "out of memory");
	t->info.functions = n;
	pthread_mutex_lock(&tiers_mu);
	t->next = tiers;
	tiers = t;
	pthread_mutex_unlock(&tiers_mu);
	return 0;
}

int ldr_image_swap_compiled(struct ldr_image *img, const struct ldr_compiled_gen *g,
			    struct ldr_tier_info *ti, char **err)
{
	struct ldr_tier *t = img ? img->tier : NULL;
	const char *who = img && img->name ? img->name : "?";
	if (ti)
		memset(ti, 0, sizeof *ti);
	if (!t || t->bc)
		return xdrv_err(err, -ENOTSUP,
				"driver %s: its code was not compiled swappable by a compiler "
				"process",
				who);
	if (strcmp(g->name, who) != 0)
		return xdrv_err(err, -EINVAL, "generation %u is for driver %s, this is %s",
				g->generation, g->name, who);
	if (g->generation <= t->live_gen)
		return xdrv_err(err, -ESTALE,
				"driver %s: generation %u is not newer than the running %u", who,
				g->generation, t->live_gen);
	if (g->nvalues != img->nparams)
		return xdrv_err(err, -EINVAL, "driver %s: %zu parameter values for %zu", who,
				g->nvalues, img->nparams);
	/* every slot of generation 0 gets this generation's body, or none does */
	char **bodies = NULL;
	uint32_t nb = 0;
	char suffix[16];
	snprintf(suffix, sizeof suffix, "$g%u", g->generation);
	int rc = object_names(g->obj, g->obj_len, suffix, &bodies, &nb, err);
	for (uint32_t i = 0; !rc && i < t->nfns; i++)
		if (!nb || !bsearch(&t->fns[i], bodies, nb, sizeof *bodies, cmp_str))
			rc = xdrv_err(err, -EINVAL,
				      "driver %s: generation %u has no body for %s (%u bodies, %u "
				      "slots)",
				      who, g->generation, t->fns[i], nb, t->nfns);
	for (uint32_t i = 0; i < nb; i++)
		free(bodies[i]);
	free(bodies);
	if (rc)
		return rc;
	pthread_mutex_lock(&tiers_mu);
	t->gen = g->generation;
	t->what = g->what;
	snprintf(t->suffix, sizeof t->suffix, "%s", suffix);
	snprintf(t->change, sizeof t->change, "%s", g->change);
	if (g->what != LDR_SWAP_TIER2) /* tier 2: live after the load, as in process */
		t->loaded_ns = xdrv_now_ns();
	t->obj = (uint8_t *)(uintptr_t)g->obj; /* borrowed for swap_in */
	t->obj_len = g->obj_len;
	t->compile_ns = g->compile_ns;
	rc = swap_in(t, err);
	t->obj = NULL;
	t->obj_len = 0;
	if (!rc) {
		t->live_gen = t->gen;
		t->next_gen = t->gen + 1;
		for (size_t k = 0; k < img->nparams; k++)
			img->param_values[k] = g->values[k];
		atomic_store(&t->state, LDR_TIER_LIVE);
		t->info.error[0] = 0;
	} else {
		xdrv_err_prefix(err, "driver %s: generation %u", who, g->generation);
		snprintf(t->info.error, sizeof t->info.error, "%s", *err ? *err : "?");
	}
	if (ti)
		fill_info(t, ti);
	pthread_mutex_unlock(&tiers_mu);
	return rc;
}
