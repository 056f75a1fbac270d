// SPDX-License-Identifier: MIT
/*
 * The host side of code generation: registers the LLVM target of the architecture the loader
 * itself was compiled for (explicitly, not LLVMInitializeNativeTarget, so that a cross-built
 * loader brings up its own target rather than the build machine's), describes the host CPU,
 * builds TargetMachines for it, moves a portable-profile module onto the host (triple, data
 * layout, preemptible imports) and runs the optimization pipeline. What gets JIT-compiled, and
 * how, is jit.c's and lazy.c's business.
 */
#include "ldr_jit.h"

#include <errno.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdrv/util.h"

#if defined(__x86_64__)
#define LDR_ARCH X86
#elif defined(__aarch64__)
#define LDR_ARCH AArch64
#elif defined(__powerpc64__)
#define LDR_ARCH PowerPC
#elif defined(__s390x__)
#define LDR_ARCH SystemZ
#elif defined(__riscv)
#define LDR_ARCH RISCV
#else
#error "xdrv loader: no LLVM target known for this host architecture"
#endif

#define LDR_CAT2(a, b, c) a##b##c
#define LDR_CAT(a, b, c)  LDR_CAT2(a, b, c)
#define LDR_INIT(what)	  LDR_CAT(LLVMInitialize, LDR_ARCH, what)

/* Declared here rather than through llvm-c/Target.h's all-targets macros, which would pull in
 * every configured target. */
void LDR_INIT(TargetInfo)(void);
void LDR_INIT(Target)(void);
void LDR_INIT(TargetMC)(void);
void LDR_INIT(AsmPrinter)(void);

static pthread_once_t target_once = PTHREAD_ONCE_INIT;

static void target_init_once(void)
{
	LDR_INIT(TargetInfo)();
	LDR_INIT(Target)();
	LDR_INIT(TargetMC)();
	LDR_INIT(AsmPrinter)();
}

int ldr_target_init(char **err)
{
	if (pthread_once(&target_once, target_init_once) != 0)
		return xdrv_err(err, -EAGAIN, "LLVM target initialization failed");
	return 0;
}

static char *dup_llvm(char *s)
{
	char *r = s ? strdup(s) : NULL;
	LLVMDisposeMessage(s);
	return r;
}

/* "+a,-b,+c" -> "+a,+c": the description lists what the host has, not what it lacks. */
static char *enabled_features(const char *all)
{
	size_t n = strlen(all);
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	const char *p = all;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len > 1 && p[0] == '+') {
			if (o != out)
				*o++ = ',';
			memcpy(o, p, len);
			o += len;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	*o = 0;
	return out;
}

int ldr_host_init(struct ldr_host *h, char **err)
{
	int rc = ldr_target_init(err);
	memset(h, 0, sizeof *h);
	if (rc)
		return rc;
	char *def = LLVMGetDefaultTargetTriple();
	h->triple = dup_llvm(LLVMNormalizeTargetTriple(def));
	LLVMDisposeMessage(def);
	h->cpu = dup_llvm(LLVMGetHostCPUName());
	h->features = dup_llvm(LLVMGetHostCPUFeatures());
	if (!h->triple || !h->cpu || !h->features) {
		rc = xdrv_err(err, -ENOMEM, "host target: out of memory");
		goto out_fini;
	}
	char *msg = NULL;
	if (LLVMGetTargetFromTriple(h->triple, &h->target, &msg)) {
		rc = xdrv_err(err, -ENOTSUP,
			      "host target %s: %s (this loader was built for another "
			      "architecture)",
			      h->triple, msg ? msg : "unknown");
		LLVMDisposeMessage(msg);
		goto out_fini;
	}
	char *feat = enabled_features(h->features);
	size_t dlen = strlen(h->triple) + strlen(h->cpu) + (feat ? strlen(feat) : 0) + 16;
	h->description = malloc(dlen);
	if (!feat || !h->description) {
		free(feat);
		rc = xdrv_err(err, -ENOMEM, "host target: out of memory");
		goto out_fini;
	}
	snprintf(h->description, dlen, "%s cpu=%s %s", h->triple, h->cpu, feat);
	free(feat);
	const uint16_t probe = 1;
	unsigned char first;
	memcpy(&first, &probe, 1);
	h->big_endian = first == 0;
	return 0;

out_fini:
	ldr_host_fini(h);
	return rc;
}

void ldr_host_fini(struct ldr_host *h)
{
	if (!h)
		return;
	free(h->triple);
	free(h->cpu);
	free(h->features);
	free(h->description);
	memset(h, 0, sizeof *h);
}

LLVMTargetMachineRef ldr_host_tm(const struct ldr_host *h, uint32_t opt_level, char **err)
{
	static const LLVMCodeGenOptLevel levels[] = {LLVMCodeGenLevelNone, LLVMCodeGenLevelLess,
						     LLVMCodeGenLevelDefault,
						     LLVMCodeGenLevelAggressive};
	if (opt_level > 3) {
		xdrv_err(err, -EINVAL, "optimization level %u: out of range 0..3", opt_level);
		return NULL;
	}
	/* PIC + small code model: what LLJIT configures for its JITLink-based linker, so the TM
	 * used for optimization and the one used for code generation agree. */
	LLVMTargetMachineRef tm =
		LLVMCreateTargetMachine(h->target, h->triple, h->cpu, h->features,
					levels[opt_level], LLVMRelocPIC, LLVMCodeModelSmall);
	if (!tm)
		xdrv_err(err, -ENOTSUP, "host target %s cpu=%s: cannot create a target machine",
			 h->triple, h->cpu);
	return tm;
}

LLVMValueRef ldr_function_redeclare(LLVMValueRef f)
{
	LLVMModuleRef m = LLVMGetGlobalParent(f);
	LLVMValueRef nf = LLVMAddFunction(m, "", LLVMGlobalGetValueType(f));
	LLVMSetFunctionCallConv(nf, LLVMGetFunctionCallConv(f));
	unsigned nparams = LLVMCountParams(f);
	/* attribute indices: function (~0u), return (0), parameters (1..n) */
	for (long i = -1; i <= (long)nparams; i++) {
		LLVMAttributeIndex idx = i < 0 ? LLVMAttributeFunctionIndex : (LLVMAttributeIndex)i;
		unsigned n = LLVMGetAttributeCountAtIndex(f, idx);
		if (!n)
			continue;
		LLVMAttributeRef *attrs = calloc(n, sizeof *attrs);
		if (!attrs)
			continue; /* attributes on a declaration are an optimization aid only */
		LLVMGetAttributesAtIndex(f, idx, attrs);
		for (unsigned k = 0; k < n; k++)
			LLVMAddAttributeAtIndex(nf, idx, attrs[k]);
		free(attrs);
	}
	return nf;
}

int ldr_module_retarget(LLVMModuleRef m, LLVMTargetMachineRef tm, const char *triple, char **err)
{
	LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
	char *dl = LLVMCopyStringRepOfTargetData(td);
	LLVMSetTarget(m, triple);
	LLVMSetDataLayout(m, dl);
	LLVMDisposeMessage(dl);
	LLVMDisposeTargetData(td);

	/* The portable profile marks imports dso_local (it is a static, fully linked profile).
	 * On the host the imports are runtime functions anywhere in the address space: replace
	 * each by a fresh, preemptible declaration so code reaches them through the GOT/PLT. */
	size_t n = 0, i = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		n++;
	LLVMValueRef *imports = calloc(n ? n : 1, sizeof *imports);
	if (!imports)
		return xdrv_err(err, -ENOMEM, "retarget: out of memory");
	n = 0;
	/* collect first: the new declarations are appended to the same list */
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		if (LLVMIsDeclaration(f) && LLVMGetIntrinsicID(f) == 0)
			imports[n++] = f;
	int rc = 0;
	for (i = 0; i < n; i++) {
		size_t len = 0;
		const char *nm = LLVMGetValueName2(imports[i], &len);
		char *name = strndup(nm, len);
		if (!name) {
			rc = xdrv_err(err, -ENOMEM, "retarget: out of memory");
			break;
		}
		LLVMValueRef nf = ldr_function_redeclare(imports[i]);
		LLVMReplaceAllUsesWith(imports[i], nf);
		LLVMDeleteFunction(imports[i]);
		LLVMSetValueName2(nf, name, len);
		free(name);
	}
	free(imports);
	return rc;
}

int ldr_module_optimize(LLVMModuleRef m, LLVMTargetMachineRef tm, uint32_t opt_level, char **err)
{
	char pipeline[64];
	if (opt_level > 3)
		return xdrv_err(err, -EINVAL, "optimization level %u: out of range 0..3",
				opt_level);
	/* O0 is the fast tier: code generation with fast instruction selection, which X86's has
	 * no switch for: every function with a switch (20 of the dp83820's 78) fell back to
	 * SelectionDAG for the block. lower-switch turns switches into compare-and-branch trees
	 * that fast selection takes (ISel 20 % less CPU for the dp83820). */
	snprintf(pipeline, sizeof pipeline,
		 opt_level ? "default<O%u>" : "default<O%u>,function(lower-switch)", opt_level);
	LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
	LLVMErrorRef e = LLVMRunPasses(m, pipeline, tm, opts);
	LLVMDisposePassBuilderOptions(opts);
	if (e)
		return ldr_llvm_err(err, e, -EINVAL, pipeline);
	return 0;
}
