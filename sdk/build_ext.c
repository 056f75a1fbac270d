// SPDX-License-Identifier: MIT
/*
 * `xdrv build --extension`: the step between linking and the lint that a packet extension gets
 * and a driver does not. clang runs with LLVM passes disabled (sdk/build.c), so its IR keeps every
 * local, parameters included, in a stack slot: a helper's `xdrv_ext_pkt_t *pkt` is stored to an
 * alloca and loaded back, and a helper that fills a caller's struct takes a pointer to the
 * caller's stack. The extension profile forbids both (no loads or stores of pointers, no pointer
 * parameters but the packet handle: sdk/lint_ext.c), so that the loader can see where every
 * memory access goes. This step makes ordinary C fit the rules:
 *
 *   1. every static function that has a pointer parameter (and is not noinline, optnone or
 *      address-taken) is marked alwaysinline, and LLVM's always-inliner inlines it;
 *   2. SROA promotes the stack slots of scalars and of structs and arrays indexed by constants to
 *      SSA values, so no pointer is stored or loaded;
 *   3. globaldce drops the helpers that are now unused.
 *
 * What remains is what the lint judges, and what the package carries (the loader lints the same
 * bitcode). Deterministic: the same module gives the same bytes.
 */
#include <errno.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdbool.h>
#include <string.h>
#include <xdrv/sdk.h>
#include <xdrv/util.h>

#include "sdk_private.h"

static bool has_fn_attr(LLVMValueRef f, const char *name)
{
	unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
	return kind && LLVMGetEnumAttributeAtIndex(f, LLVMAttributeFunctionIndex, kind);
}

/* Used other than as the callee of a direct call? (the descriptor's run, a stored pointer) */
static bool address_taken(LLVMValueRef f)
{
	for (LLVMUseRef u = LLVMGetFirstUse(f); u; u = LLVMGetNextUse(u)) {
		LLVMValueRef user = LLVMGetUser(u);
		if (!LLVMIsACallInst(user) || LLVMGetCalledValue(user) != f)
			return true;
		unsigned n = LLVMGetNumArgOperands(user);
		for (unsigned k = 0; k < n; k++)
			if (LLVMGetOperand(user, k) == f)
				return true;
	}
	return false;
}

static bool has_pointer_param(LLVMValueRef f)
{
	LLVMTypeRef fty = LLVMGlobalGetValueType(f);
	unsigned n = LLVMCountParamTypes(fty);
	for (unsigned i = 0; i < n; i++)
		if (LLVMGetTypeKind(LLVMTypeOf(LLVMGetParam(f, i))) == LLVMPointerTypeKind)
			return true;
	return false;
}

int sdk_build_ext_prepare(LLVMModuleRef m, char **err)
{
	LLVMContextRef ctx = LLVMGetModuleContext(m);
	unsigned ai = LLVMGetEnumAttributeKindForName("alwaysinline", 12);
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
		LLVMLinkage lk = LLVMGetLinkage(f);
		if (LLVMIsDeclaration(f) ||
		    (lk != LLVMInternalLinkage && lk != LLVMPrivateLinkage) ||
		    !has_pointer_param(f) || address_taken(f) || has_fn_attr(f, "noinline") ||
		    has_fn_attr(f, "optnone") || has_fn_attr(f, "alwaysinline"))
			continue;
		LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex,
					LLVMCreateEnumAttribute(ctx, ai, 0));
	}
	LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
	if (!po)
		return xdrv_err(err, -ENOMEM, "build: out of memory");
	LLVMErrorRef e = LLVMRunPasses(m, "always-inline,function(sroa),globaldce", NULL, po);
	LLVMDisposePassBuilderOptions(po);
	if (e) {
		char *msg = LLVMGetErrorMessage(e);
		int rc =
			xdrv_err(err, -EINVAL, "build: extension passes: %s", msg ? msg : "failed");
		LLVMDisposeErrorMessage(msg);
		return rc;
	}
	return 0;
}
