// SPDX-License-Identifier: MIT
/*
 * Live patches, the SDK's side (issue 13, sdk/README.md "Patch packages"): a patch is bitcode
 * built with `xdrv build --patch` from C that defines replacement functions for a driver (same
 * names and function types as in the driver) plus static helpers and static constant data, and
 * declares whatever of the driver it uses. sdk_patch_check holds a patch module against its base
 * module; sdk_patch_manifest is sdk_pack's part for `xdrv pack --patch-for BASE`: it reads the
 * base package, checks the patch against the base's bitcode and fills the patch's manifest.
 *
 * The loader (loader/patch.c) runs sdk_patch_check again on what it receives, against the base
 * it is about to patch, and merges; nothing here changes a module.
 */
#include <errno.h>
#include <llvm-c/Analysis.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>
#include <xdrv/util.h>

#include "sdk_private.h"

#define SHOWN 96 /* bytes of a symbol name or a type shown in a message */

static bool is_local(LLVMValueRef v)
{
	LLVMLinkage l = LLVMGetLinkage(v);
	return l == LLVMInternalLinkage || l == LLVMPrivateLinkage;
}

/* A value's name, printable and bounded, into out. */
static const char *name_of(LLVMValueRef v, char *out, size_t n)
{
	size_t len = 0;
	const char *s = LLVMGetValueName2(v, &len);
	char tmp[SDK_SYMBOL_MAX + 1];
	if (len > SDK_SYMBOL_MAX)
		len = SDK_SYMBOL_MAX;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	return sdk_printable(tmp, out, n);
}

/* "function NAME: WHAT patch-type ..., base-type ...": both types printed by LLVM. */
static void type_problem(struct sdk_buf *b, const char *kind, const char *name, LLVMTypeRef pt,
			 LLVMTypeRef bt, const char *advice)
{
	char *ps = LLVMPrintTypeToString(pt), *bs = LLVMPrintTypeToString(bt);
	char pp[SHOWN + 8], bp[SHOWN + 8];
	sdk_buf_line(b, "%s %s: type %s in the patch, %s in the base: %s", kind, name,
		     sdk_printable(ps ? ps : "?", pp, sizeof pp),
		     sdk_printable(bs ? bs : "?", bp, sizeof bp), advice);
	LLVMDisposeMessage(ps);
	LLVMDisposeMessage(bs);
}

static bool is_intrinsic(LLVMValueRef f)
{
	size_t len = 0;
	const char *s = LLVMGetValueName2(f, &len);
	return len > 5 && memcmp(s, "llvm.", 5) == 0;
}

/* Is `name` (NUL-free) an ABI symbol of any version? Those the lint judges. */
static bool is_abi(LLVMValueRef f)
{
	size_t len = 0;
	const char *s = LLVMGetValueName2(f, &len);
	return strlen(s) == len && sdk_abi_symbol_version(s) != 0;
}

static int add_name(char ***names, size_t *n, LLVMValueRef f)
{
	size_t len = 0;
	const char *s = LLVMGetValueName2(f, &len);
	char **nn = realloc(*names, (*n + 1) * sizeof *nn);
	if (!nn)
		return -ENOMEM;
	*names = nn;
	if (!(nn[*n] = strndup(s, len)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

static void check_functions(LLVMModuleRef patch, LLVMModuleRef base, struct sdk_buf *b,
			    char ***names, size_t *n)
{
	for (LLVMValueRef f = LLVMGetFirstFunction(patch); f; f = LLVMGetNextFunction(f)) {
		char nm[SHOWN + 8];
		if (is_intrinsic(f) || (!LLVMIsDeclaration(f) && is_local(f)))
			continue; /* judged where called; a helper of the patch's own */
		size_t len = 0;
		const char *raw = LLVMGetValueName2(f, &len);
		LLVMValueRef bf = strlen(raw) == len ? LLVMGetNamedFunction(base, raw) : NULL;
		bool in_base = bf && !LLVMIsDeclaration(bf);
		name_of(f, nm, sizeof nm);
		if (LLVMIsDeclaration(f)) {
			if (is_abi(f))
				continue; /* an ABI import: the lint's */
			if (!in_base)
				sdk_buf_line(b,
					     "function %s: the patch calls it, but it is neither "
					     "in the ABI nor defined by the base",
					     nm);
			else if (LLVMGlobalGetValueType(f) != LLVMGlobalGetValueType(bf))
				type_problem(b, "function", nm, LLVMGlobalGetValueType(f),
					     LLVMGlobalGetValueType(bf),
					     "declare it as the base defines it");
			continue;
		}
		if (!in_base)
			sdk_buf_line(b,
				     "function %s: the patch defines it, the base does not: a "
				     "patch replaces functions of its base (same name and type); "
				     "make a helper of the patch's own static",
				     nm);
		else if (LLVMGlobalGetValueType(f) != LLVMGlobalGetValueType(bf))
			type_problem(b, "function", nm, LLVMGlobalGetValueType(f),
				     LLVMGlobalGetValueType(bf),
				     "a replacement keeps the base function's type");
		else if (names && add_name(names, n, f) != 0)
			b->oom = 1;
		else if (!names)
			(*n)++;
	}
}

static void check_globals(LLVMModuleRef patch, LLVMModuleRef base, struct sdk_buf *b)
{
	for (LLVMValueRef g = LLVMGetFirstGlobal(patch); g; g = LLVMGetNextGlobal(g)) {
		char nm[SHOWN + 8];
		size_t len = 0;
		const char *raw = LLVMGetValueName2(g, &len);
		if (len > 5 && memcmp(raw, "llvm.", 5) == 0)
			continue; /* llvm.used and kin: the lint's */
		name_of(g, nm, sizeof nm);
		if (LLVMIsDeclaration(g)) {
			LLVMValueRef bg = strlen(raw) == len ? LLVMGetNamedGlobal(base, raw) : NULL;
			if (!bg || LLVMIsDeclaration(bg))
				sdk_buf_line(b,
					     "global %s: the patch uses it, but the base does not "
					     "define it",
					     nm);
			else if (LLVMGlobalGetValueType(g) != LLVMGlobalGetValueType(bg))
				type_problem(b, "global", nm, LLVMGlobalGetValueType(g),
					     LLVMGlobalGetValueType(bg),
					     "declare it as the base defines it");
			continue;
		}
		if (!LLVMIsGlobalConstant(g))
			sdk_buf_line(b,
				     "global %s: writable data: a patch may not define storage of "
				     "its own (the base's code would not see it, a revert could "
				     "not undo it): keep state in the base's globals, declared "
				     "extern, or make it static const",
				     nm);
		else if (!is_local(g))
			sdk_buf_line(b,
				     "global %s: a patch's constant data must be static (a "
				     "non-static name would be taken from the base)",
				     nm);
	}
}

int sdk_patch_check(LLVMModuleRef patch, LLVMModuleRef base, char ***names, size_t *n, char **err)
{
	struct sdk_buf b = {0};
	char **list = NULL;
	size_t cnt = 0;
	int rc = 0;
	if (names)
		*names = NULL;
	if (n)
		*n = 0;
	if (!patch || !base || LLVMGetModuleContext(patch) != LLVMGetModuleContext(base))
		return xdrv_err(err, -EINVAL, "patch: the patch and its base must share a context");
	check_functions(patch, base, &b, names ? &list : NULL, &cnt);
	check_globals(patch, base, &b);
	if (!b.lines && !b.oom && cnt == 0)
		sdk_buf_line(&b, "module: the patch replaces no function: define (not static) the "
				 "base functions it replaces");
	if (b.oom) {
		rc = xdrv_err(err, -ENOMEM, "patch: out of memory");
	} else if (b.lines) {
		char *text = sdk_buf_take(&b);
		rc = xdrv_err(err, -EINVAL, "%s", text ? text : "patch: out of memory");
		free(text);
	}
	sdk_buf_free(&b);
	if (rc || !names) {
		sdk_patch_names_free(list, names ? cnt : 0);
	} else {
		*names = list;
	}
	if (!rc && n)
		*n = cnt;
	return rc;
}

/* Parse and verify one module of the pair (sdk_bitcode_parse verifies). */
static int parse_verified(LLVMContextRef ctx, const uint8_t *bc, size_t len, const char *what,
			  LLVMModuleRef *m, char **err)
{
	return sdk_bitcode_parse(ctx, bc, len, what, m, err);
}

int sdk_patch_manifest(const uint8_t *bc, size_t len, const char *what, const uint8_t *base,
		       size_t base_len, const char *base_label, int no_lint,
		       struct sdk_manifest *man, char **err)
{
	struct sdk_package bp;
	LLVMModuleRef pm = NULL, bm = NULL;
	char **names = NULL;
	size_t n = 0;
	LLVMContextRef ctx = NULL;
	const char *bl = base_label ? base_label : "base";
	int rc = sdk_package_read(base, base_len, NULL, NULL, &bp, err);
	if (rc) {
		xdrv_err_prefix(err, "base %s", bl);
		return rc;
	}
	if (bp.manifest.desc.kind != SDK_KIND_DRIVER) {
		rc = xdrv_err(
			err, -EINVAL,
			"base %s: is a %s package, not a driver package: a patch applies to "
			"a driver",
			bl, bp.manifest.desc.kind == SDK_KIND_PATCH ? "patch" : "packet extension");
		goto out_pkg;
	}
	ctx = LLVMContextCreate();
	if ((rc = parse_verified(ctx, bc, len, what, &pm, err)))
		goto out_ctx;
	if ((rc = parse_verified(ctx, bp.bitcode->data, (size_t)bp.bitcode->size, bp.bitcode->path,
				 &bm, err))) {
		xdrv_err_prefix(err, "base %s", bl);
		goto out_ctx;
	}
	if (!no_lint && ((rc = sdk_profile_check(pm, err)) ||
			 (rc = sdk_lint_patch(pm, bp.manifest.abi_version, NULL, err)))) {
		xdrv_err_prefix(err, "%s", what);
		goto out_ctx;
	}
	if ((rc = sdk_patch_check(pm, bm, &names, &n, err))) {
		xdrv_err_prefix(err, "%s against base %s", what, bl);
		goto out_ctx;
	}
	if (sdk_sha256_hex(base, base_len, man->patch_for) != 0) {
		rc = xdrv_err(err, -EIO, "pack: SHA-256 failed");
		goto out_ctx;
	}
	man->desc.kind = SDK_KIND_PATCH;
	man->abi_version = bp.manifest.abi_version;
	man->patch_functions = names;
	man->npatch_functions = n;
	names = NULL;
	if (!(man->name = strdup(bp.manifest.name)))
		rc = xdrv_err(err, -ENOMEM, "pack: out of memory");
out_ctx:
	sdk_patch_names_free(names, n);
	if (pm)
		LLVMDisposeModule(pm);
	if (bm)
		LLVMDisposeModule(bm);
	LLVMContextDispose(ctx);
out_pkg:
	sdk_package_free(&bp);
	return rc;
}
