// SPDX-License-Identifier: MIT
/*
 * What an extension's module may contain (issue 16), checked by the loader before anything else
 * of the extension path, whatever the SDK's lint said: the loader does not trust the SDK.
 *
 *   - imports: only the names of ext_symbols.def, and LLVM intrinsics (what they may do with
 *     memory is ext_guard.c's); a driver-ABI import (xdrv_log, xdrv_dma_alloc, ...) is refused
 *     here with its name, and would not link anyway: an extension's JITDylib defines nothing
 *     else (ext_bind.c);
 *   - globals: defined in the module and constant (no writable, external or thread-local data;
 *     parameters, xdrv_param_NAME, become constants when they are specialized),
 *     no aliases or ifuncs, no module-level assembly; initializers hold no integer-to-pointer
 *     constants (a pointer in constant data names the module's own globals or functions);
 *   - `xdrv_extension`: defined, constant;
 *   - no name starting with __xdrv_ext or __xdrv_budget (the loader's).
 */
#include "ext_priv.h"

#include <errno.h>
#include <string.h>

static int reserved(const char *n, size_t len)
{
	static const char *const pfx[] = {LDR_EXT_RESERVED_PREFIX, "__xdrv_budget"};
	for (size_t i = 0; i < 2; i++) {
		size_t pl = strlen(pfx[i]);
		if (len >= pl && memcmp(n, pfx[i], pl) == 0)
			return 1;
	}
	return 0;
}

/* A constant's pointers: null, the module's own globals or functions (or GEPs and casts of
 * them). depth bounds hostile nesting. */
static int const_ok(LLVMValueRef c, unsigned depth)
{
	if (depth > 64)
		return 0;
	if (LLVMIsAGlobalValue(c))
		return !LLVMIsDeclaration(c);
	if (LLVMIsAConstantExpr(c)) {
		LLVMOpcode op = LLVMGetConstOpcode(c);
		if (op == LLVMIntToPtr || op == LLVMPtrToInt || op == LLVMAddrSpaceCast)
			return 0;
	}
	int n = LLVMGetNumOperands(c);
	for (int i = 0; i < n; i++) {
		LLVMValueRef o = LLVMGetOperand(c, (unsigned)i);
		if (o && LLVMIsAConstant(o) && !const_ok(o, depth + 1))
			return 0;
	}
	return 1;
}

int ldr_ext_lint(LLVMModuleRef m, char **err)
{
	size_t len = 0;
	const char *n;
	size_t al = 0;
	const char *asm_ = LLVMGetModuleInlineAsm(m, &al);
	if (asm_ && al)
		return xdrv_err(err, -EINVAL, "extension: module-level assembly");
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
		n = LLVMGetValueName2(f, &len);
		if (reserved(n, len))
			return xdrv_err(err, -EINVAL,
					"extension: the module names %.*s; names starting with %s "
					"or __xdrv_budget are the loader's",
					(int)(len > 80 ? 80 : len), n, LDR_EXT_RESERVED_PREFIX);
		if (!LLVMIsDeclaration(f) || LLVMGetIntrinsicID(f))
			continue;
		if (!ldr_ext_symbol_allowed(n, len))
			return xdrv_err(err, -EINVAL,
					"extension imports %.*s, which is not in the extension ABI "
					"(ext_symbols.def: the packet, its metadata and its tables "
					"only; no driver ABI)",
					(int)(len > 80 ? 80 : len), n);
	}
	int has_desc = 0;
	for (LLVMValueRef g = LLVMGetFirstGlobal(m); g; g = LLVMGetNextGlobal(g)) {
		n = LLVMGetValueName2(g, &len);
		int ln = (int)(len > 80 ? 80 : len);
		if (reserved(n, len))
			return xdrv_err(err, -EINVAL,
					"extension: the module names %.*s; names starting with %s "
					"or __xdrv_budget are the loader's",
					ln, n, LDR_EXT_RESERVED_PREFIX);
		if (LLVMIsDeclaration(g))
			return xdrv_err(err, -EINVAL,
					"extension: global %.*s is external (an extension has only "
					"its own constant data)",
					ln, n);
		/* parameters (XDRV_PARAM) are variables until specialization makes each
		 * declared one a constant; the memory check (after it) refuses any access to a
		 * global that is still writable */
		int param = len > 11 && memcmp(n, "xdrv_param_", 11) == 0;
		if (!LLVMIsGlobalConstant(g) && !param)
			return xdrv_err(err, -EINVAL,
					"extension: global %.*s is writable (the extension profile "
					"has no writable globals: state lives in tables)",
					ln, n);
		if (LLVMIsThreadLocal(g))
			return xdrv_err(err, -EINVAL, "extension: global %.*s is thread-local", ln,
					n);
		if (!const_ok(LLVMGetInitializer(g), 0))
			return xdrv_err(err, -EINVAL,
					"extension: global %.*s: its initializer holds a pointer "
					"that is not to the module's own data",
					ln, n);
		if (len == strlen(LDR_EXT_DESC_SYM) && memcmp(n, LDR_EXT_DESC_SYM, len) == 0)
			has_desc = 1;
	}
	if (LLVMGetFirstGlobalAlias(m) || LLVMGetFirstGlobalIFunc(m))
		return xdrv_err(err, -EINVAL, "extension: global aliases or ifuncs");
	if (!has_desc)
		return xdrv_err(err, -EINVAL,
				"extension: no `const struct xdrv_ext " LDR_EXT_DESC_SYM
				"` (XDRV_EXTENSION)");
	return 0;
}
