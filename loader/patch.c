// SPDX-License-Identifier: MIT
/*
 * Live patches (issue 13): reading a patch package and merging its functions into the base
 * driver's module (patch.h). Reading goes through the same steps as a driver's load
 * (ldr_package_open: signature, chain, caps, manifest), then holds the patch to the base it names
 * by the base's payload digest. The merge checks the patch against the base with the SDK's own
 * rules (sdk_lint_patch, sdk_patch_check: the loader never trusts that the SDK ran), gives it
 * the budgets and the host's layout a driver gets (ldr_module_for_host), and links it into the
 * base with LLVMLinkModules2: the patch's replacement functions enter under temporary names,
 * then take the place of the base's (every use, the name, linkage and visibility of the base's).
 * The merge runs once on clones, and only when that succeeded on the base itself, so a refused
 * patch leaves the base as it was.
 *
 * Compiling the merged module and swapping the code at a quiescent point are tier.c's.
 */
#include "patch.h"

#include <errno.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Linker.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldr_jit.h"
#include "xdrv/abi.h"
#include "xdrv/revocation.h"
#include "xdrv/util.h"

#define RESERVED       "__xdrv_" /* names of the loader's own symbols: not a patch's */
#define PATCH_PREFIX   "__xdrv_patch."
#define NEW_INFIX      "new."
#define NAME_BYTES_MAX 300u /* a renamed symbol: the prefix + a name of at most 255 bytes */
#define SHOWN_MAX      96u

/* ---- reading ------------------------------------------------------------------------------ */

static int read_fail(struct ldr_ctx *ctx, int rc, char *e, const char *label, char **err)
{
	xdrv_err_prefix(&e, "patch %s", label);
	return ldr_fail(ctx, rc, e, err);
}

static int hex_to_bytes(const char *hex, uint8_t out[32])
{
	for (size_t i = 0; i < 32; i++) {
		unsigned v = 0;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* What the package holds, once verified: a patch for base_digest, for this host's ABI. */
static int check_manifest(const struct sdk_manifest *m, const uint8_t base_digest[32], char **err)
{
	char want[65];
	if (m->desc.kind != SDK_KIND_PATCH)
		return xdrv_err(err, -EINVAL, "is a %s package, not a live patch",
				m->desc.kind == SDK_KIND_EXTENSION ? "packet extension" : "driver");
	xdrv_hex(base_digest, 32, want);
	if (strcmp(m->patch_for, want) != 0)
		return xdrv_err(err, -ESRCH,
				"is a patch for the package whose payload has SHA-256 %s; the "
				"base's payload has SHA-256 %s",
				m->patch_for, want);
	if (m->abi_version > XDRV_ABI_VERSION)
		return xdrv_err(err, -ENOTSUP, "built for driver ABI %u, newer than this host's %u",
				m->abi_version, (unsigned)XDRV_ABI_VERSION);
	if (!m->profile || strcmp(m->profile, SDK_PROFILE) != 0)
		return xdrv_err(err, -EINVAL, "manifest: profile is not '%s'", SDK_PROFILE);
	return 0;
}

/* Move what the patch keeps out of the package (pkg keeps nothing it still frees). */
static int take(struct ldr_patch *p, struct sdk_package *pkg, const uint8_t *payload, size_t plen)
{
	struct sdk_manifest *m = &pkg->manifest;
	unsigned int dl = 32;
	if (!EVP_Digest(payload, plen, p->digest, &dl, EVP_sha256(), NULL))
		return -EIO;
	xdrv_hex(p->digest, 32, p->digest_hex);
	if (hex_to_bytes(m->patch_for, p->base_digest) != 0)
		return -EINVAL;
	p->name = m->name;
	p->version = m->version;
	m->name = m->version = NULL;
	p->functions = m->patch_functions;
	p->nfunctions = m->npatch_functions;
	m->patch_functions = NULL;
	m->npatch_functions = 0;
	p->security_version = m->security_version;
	p->abi_version = m->abi_version;
	/* the bitcode entry is the package's: its bytes move, the entry keeps NULL */
	struct sdk_entry *bc = (struct sdk_entry *)pkg->bitcode;
	p->bitcode = bc->data;
	p->bitcode_len = (size_t)bc->size;
	bc->data = NULL;
	return 0;
}

int ldr_patch_read_buf(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, const char *label,
		       const uint8_t base_digest[32], const struct sig_revocation *rev,
		       struct ldr_patch **out, char **err)
{
	struct sdk_package pkg;
	size_t plen = 0;
	char *e = NULL;
	*out = NULL;
	if (!label)
		label = "(buffer)";
	struct ldr_patch *p = calloc(1, sizeof *p);
	if (!p) {
		xdrv_err(&e, -ENOMEM, "out of memory");
		return read_fail(ctx, -ENOMEM, e, label, err);
	}
	p->ctx = ctx;
	int rc =
		ldr_package_open(ctx, buf, len, 0, &pkg, &p->sig, &p->sig_checked, &plen, NULL, &e);
	if (rc)
		goto out_free;
	if (rev && p->sig_checked && (rc = sig_revocation_check(rev, buf, len, &e)) != 0) {
		xdrv_err_prefix(&e, "revocation");
		goto out_pkg;
	}
	if ((rc = check_manifest(&pkg.manifest, base_digest, &e)))
		goto out_pkg;
	if (!(p->label = strdup(label)) || (rc = take(p, &pkg, buf, plen)) != 0) {
		rc = xdrv_err(&e, rc ? rc : -ENOMEM, "out of memory");
		goto out_pkg;
	}
	sdk_package_free(&pkg);
	ldr_ctx_set_error(ctx, NULL);
	*out = p;
	return 0;
out_pkg:
	sdk_package_free(&pkg);
out_free:
	ldr_patch_free(p);
	return read_fail(ctx, rc, e, label, err);
}

int ldr_patch_read(struct ldr_ctx *ctx, const char *path, const uint8_t base_digest[32],
		   struct ldr_patch **out, char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = ldr_package_read(ctx, path, &buf, &len, err);
	if (rc)
		return rc;
	/* the revocation inputs the context was given (ldr_ctx_set_revocation), as for a driver */
	rc = ldr_patch_read_buf(ctx, buf, len, ldr_package_base(path), base_digest, ctx->revocation,
				out, err);
	free(buf);
	return rc;
}

void ldr_patch_free(struct ldr_patch *p)
{
	if (!p)
		return;
	sdk_patch_names_free(p->functions, p->nfunctions);
	free(p->bitcode);
	free(p->label);
	free(p->name);
	free(p->version);
	free(p);
}

/* ---- merging ------------------------------------------------------------------------------ */

/* LLVM's errors while linking (the first one kept), instead of its default: print and exit. */
struct diag_keep {
	char *msg;
};

static void diag_keep(LLVMDiagnosticInfoRef di, void *opaque)
{
	struct diag_keep *d = opaque;
	if (LLVMGetDiagInfoSeverity(di) != LLVMDSError || d->msg)
		return;
	char *s = LLVMGetDiagInfoDescription(di);
	d->msg = strdup(s ? s : "error");
	LLVMDisposeMessage(s);
}

static char *name_dup(LLVMValueRef v)
{
	size_t len = 0;
	const char *s = LLVMGetValueName2(v, &len);
	return strndup(s, len);
}

static bool is_local(LLVMValueRef v)
{
	LLVMLinkage l = LLVMGetLinkage(v);
	return l == LLVMInternalLinkage || l == LLVMPrivateLinkage;
}

/* A patch names none of the loader's symbols itself (budgets, lazy thunks, renamed anonymous
 * symbols, other patches' statics). */
static int check_reserved(LLVMModuleRef pm, char **err)
{
	LLVMValueRef v = NULL;
	for (v = LLVMGetFirstFunction(pm); v; v = LLVMGetNextFunction(v)) {
		size_t len = 0;
		const char *s = LLVMGetValueName2(v, &len);
		if (len >= sizeof RESERVED - 1 && memcmp(s, RESERVED, sizeof RESERVED - 1) == 0)
			goto refuse;
	}
	for (v = LLVMGetFirstGlobal(pm); v; v = LLVMGetNextGlobal(v)) {
		size_t len = 0;
		const char *s = LLVMGetValueName2(v, &len);
		if (len >= sizeof RESERVED - 1 && memcmp(s, RESERVED, sizeof RESERVED - 1) == 0)
			goto refuse;
	}
	return 0;
refuse:;
	char *n = name_dup(v), shown[SHOWN_MAX + 8];
	int rc = xdrv_err(err, -EINVAL, "%s: names starting with %s are the loader's",
			  sdk_printable(n ? n : "?", shown, sizeof shown), RESERVED);
	free(n);
	return rc;
}

/* The manifest's "functions" are the ones the bitcode replaces, as a set. */
static int check_listed(const struct ldr_patch *p, char **names, size_t n, char **err)
{
	bool same = n == p->nfunctions;
	for (size_t i = 0; same && i < n; i++) {
		bool found = false;
		for (size_t j = 0; j < p->nfunctions && !found; j++)
			found = strcmp(names[i], p->functions[j]) == 0;
		same = found;
	}
	if (!same)
		return xdrv_err(err, -EINVAL,
				"manifest and bitcode disagree: functions: the manifest lists %zu, "
				"the bitcode replaces %zu (or others)",
				p->nfunctions, n);
	return 0;
}

/* Parse the patch into base's context and run every check that needs no change to base. */
static int parse_checked(LLVMModuleRef base, const struct ldr_patch *p, LLVMModuleRef *out,
			 char ***names, size_t *n, char **err)
{
	LLVMModuleRef pm = NULL;
	char *msg = NULL;
	int rc = sdk_bitcode_parse(LLVMGetModuleContext(base), p->bitcode, p->bitcode_len,
				   "driver.bc", &pm, err);
	if (rc)
		return rc;
	if (LLVMVerifyModule(pm, LLVMReturnStatusAction, &msg)) {
		rc = xdrv_err(err, -EINVAL, "driver.bc: invalid module: %.500s",
			      msg ? msg : "(no message)");
		goto out;
	}
	const char *triple = LLVMGetTarget(pm);
	if (!triple || strcmp(triple, SDK_TRIPLE) != 0) {
		rc = xdrv_err(err, -EINVAL,
			      "driver.bc: bitcode targets %.64s; a patch is built for the portable "
			      "profile " SDK_TRIPLE,
			      triple && *triple ? triple : "(no triple)");
		goto out;
	}
	if ((rc = sdk_profile_check(pm, err)) || (rc = check_reserved(pm, err)) ||
	    (rc = sdk_lint_patch(pm, p->abi_version, NULL, err)) ||
	    (rc = sdk_patch_check(pm, base, names, n, err)) ||
	    (rc = check_listed(p, *names, *n, err)))
		goto out;
	*out = pm;
	pm = NULL;
out:
	LLVMDisposeMessage(msg);
	if (pm)
		LLVMDisposeModule(pm);
	return rc;
}

/* Rename v to PREFIX<hex8>.[infix]<old name, or "anon">, unique in both modules. */
static int rename_into(LLVMValueRef v, const char *hex8, const char *infix, LLVMModuleRef base)
{
	size_t len = 0;
	const char *old = LLVMGetValueName2(v, &len);
	char nm[NAME_BYTES_MAX];
	int w = snprintf(nm, sizeof nm, PATCH_PREFIX "%s.%s%.*s", hex8, infix,
			 (int)(len > 255 ? 255 : len), len ? old : "anon");
	if (w < 0 || (size_t)w >= sizeof nm)
		return -ENAMETOOLONG;
	char unique[NAME_BYTES_MAX + 16];
	memcpy(unique, nm, (size_t)w + 1);
	for (unsigned i = 1; LLVMGetNamedFunction(base, unique) || LLVMGetNamedGlobal(base, unique);
	     i++)
		snprintf(unique, sizeof unique, "%s.%u", nm, i);
	LLVMSetValueName2(v, unique, strlen(unique)); /* the patch's own table keeps it unique */
	return 0;
}

/* The patch's statics and its replacements out of the way of base's names. */
static int rename_patch(LLVMModuleRef pm, LLVMModuleRef base, const char *hex8)
{
	int rc = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(pm); f && !rc; f = LLVMGetNextFunction(f)) {
		if (LLVMIsDeclaration(f))
			continue;
		rc = rename_into(f, hex8, is_local(f) ? "" : NEW_INFIX, base);
	}
	for (LLVMValueRef g = LLVMGetFirstGlobal(pm); g && !rc; g = LLVMGetNextGlobal(g))
		if (!LLVMIsDeclaration(g) && is_local(g))
			rc = rename_into(g, hex8, "", base);
	return rc;
}

/* What base's symbols look like before the link (which merges visibility and unnamed_addr
 * with the patch's declarations), to put back after it. */
struct sym_state {
	char *name;
	int is_fn;
	LLVMVisibility vis;
	LLVMUnnamedAddr ua;
};

static void states_free(struct sym_state *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i].name);
	free(s);
}

static int states_take(LLVMModuleRef m, struct sym_state **out, size_t *n)
{
	size_t cnt = 0, k = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		cnt++;
	for (LLVMValueRef g = LLVMGetFirstGlobal(m); g; g = LLVMGetNextGlobal(g))
		cnt++;
	struct sym_state *s = calloc(cnt ? cnt : 1, sizeof *s);
	if (!s)
		return -ENOMEM;
	for (int pass = 0; pass < 2; pass++) {
		LLVMValueRef v = pass == 0 ? LLVMGetFirstFunction(m) : LLVMGetFirstGlobal(m);
		for (; v && k < cnt;
		     v = pass == 0 ? LLVMGetNextFunction(v) : LLVMGetNextGlobal(v), k++) {
			s[k].is_fn = pass == 0;
			s[k].vis = LLVMGetVisibility(v);
			s[k].ua = LLVMGetUnnamedAddress(v);
			if (!(s[k].name = name_dup(v))) {
				states_free(s, k);
				return -ENOMEM;
			}
		}
	}
	*out = s;
	*n = k;
	return 0;
}

static LLVMValueRef named(LLVMModuleRef m, const struct sym_state *s)
{
	return s->is_fn ? LLVMGetNamedFunction(m, s->name) : LLVMGetNamedGlobal(m, s->name);
}

/* Link pm (consumed) into m, then give each replacement the base function's place. */
static int link_into(LLVMModuleRef m, LLVMModuleRef pm, char **names, size_t n, const char *hex8,
		     char **err)
{
	struct sym_state *st = NULL;
	size_t nst = 0;
	struct diag_keep dk = {0};
	LLVMContextRef c = LLVMGetModuleContext(m);
	LLVMDiagnosticHandler old = LLVMContextGetDiagnosticHandler(c);
	void *old_ctx = LLVMContextGetDiagnosticContext(c);
	if (states_take(m, &st, &nst) != 0) {
		LLVMDisposeModule(pm);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	LLVMContextSetDiagnosticHandler(c, diag_keep, &dk);
	int failed = LLVMLinkModules2(m, pm);
	LLVMContextSetDiagnosticHandler(c, old, old_ctx);
	int rc = 0;
	if (failed) {
		rc = xdrv_err(err, -EINVAL, "linking the patch into its base: %s",
			      dk.msg ? dk.msg : "failed");
		goto out;
	}
	for (size_t i = 0; i < nst; i++) {
		LLVMValueRef v = named(m, &st[i]);
		if (!v)
			continue;
		LLVMSetVisibility(v, st[i].vis);
		LLVMSetUnnamedAddress(v, st[i].ua);
	}
	for (size_t i = 0; i < n && !rc; i++) {
		char tmp[NAME_BYTES_MAX];
		snprintf(tmp, sizeof tmp, PATCH_PREFIX "%s." NEW_INFIX "%s", hex8, names[i]);
		LLVMValueRef old_fn = LLVMGetNamedFunction(m, names[i]);
		LLVMValueRef new_fn = LLVMGetNamedFunction(m, tmp);
		if (!old_fn || !new_fn) {
			rc = xdrv_err(err, -EINVAL, "function %s: not found after linking",
				      names[i]);
			break;
		}
		LLVMLinkage lk = LLVMGetLinkage(old_fn);
		LLVMVisibility vis = LLVMGetVisibility(old_fn);
		LLVMUnnamedAddr ua = LLVMGetUnnamedAddress(old_fn);
		LLVMDLLStorageClass dll = LLVMGetDLLStorageClass(old_fn);
		LLVMReplaceAllUsesWith(old_fn, new_fn);
		LLVMDeleteFunction(old_fn);
		LLVMSetValueName2(new_fn, names[i], strlen(names[i]));
		LLVMSetLinkage(new_fn, lk);
		LLVMSetVisibility(new_fn, vis);
		LLVMSetUnnamedAddress(new_fn, ua);
		LLVMSetDLLStorageClass(new_fn, dll);
	}
	char *msg = NULL;
	if (!rc && LLVMVerifyModule(m, LLVMReturnStatusAction, &msg))
		rc = xdrv_err(err, -EINVAL, "the merged module is invalid: %.500s",
			      msg ? msg : "(no message)");
	LLVMDisposeMessage(msg);
out:
	free(dk.msg);
	states_free(st, nst);
	return rc;
}

static int merge(LLVMModuleRef base, const struct ldr_patch *p, char **err)
{
	LLVMModuleRef pm = NULL, trial = NULL, trial_pm = NULL;
	char **names = NULL;
	size_t n = 0;
	char hex8[9];
	memcpy(hex8, p->digest_hex, 8);
	hex8[8] = 0;
	int rc = parse_checked(base, p, &pm, &names, &n, err);
	/* budgets and the host's layout, as a driver gets them (image.c) */
	if (!rc)
		rc = ldr_module_for_host(p->ctx, pm, LDR_HOST_BUDGET_PATCH, NULL, err);
	if (!rc && rename_patch(pm, base, hex8) != 0)
		rc = xdrv_err(err, -ENAMETOOLONG, "a symbol name is too long");
	/* the merge on copies first: nothing of base changes unless it succeeds */
	if (!rc && (!(trial = LLVMCloneModule(base)) || !(trial_pm = LLVMCloneModule(pm))))
		rc = xdrv_err(err, -ENOMEM, "out of memory");
	if (!rc) {
		rc = link_into(trial, trial_pm, names, n, hex8, err);
		trial_pm = NULL;
	}
	if (!rc) {
		rc = link_into(base, pm, names, n, hex8, err);
		pm = NULL;
		if (rc) /* cannot happen after the trial: said loudly if it does */
			xdrv_err_prefix(err, "the base module is damaged");
	}
	if (trial_pm)
		LLVMDisposeModule(trial_pm);
	if (trial)
		LLVMDisposeModule(trial);
	if (pm)
		LLVMDisposeModule(pm);
	sdk_patch_names_free(names, n);
	return rc;
}

int ldr_patch_merge(LLVMModuleRef base, const struct ldr_patch *p, char **err)
{
	if (!base || !p || !p->bitcode || !p->ctx)
		return xdrv_err(err, -EINVAL, "patch: no base module or no patch");
	char *e = NULL;
	int rc = merge(base, p, &e);
	if (rc) {
		xdrv_err_prefix(&e, "patch %s", p->label ? p->label : "(buffer)");
		return ldr_fail(p->ctx, rc, e, err);
	}
	return 0;
}

/* ---- accessors ---------------------------------------------------------------------------- */

const uint8_t *ldr_patch_digest(const struct ldr_patch *p)
{
	return p ? p->digest : NULL;
}

const char *ldr_patch_digest_hex(const struct ldr_patch *p)
{
	return p ? p->digest_hex : "";
}

const char *ldr_patch_name(const struct ldr_patch *p)
{
	return p && p->name ? p->name : "";
}

const char *ldr_patch_version(const struct ldr_patch *p)
{
	return p && p->version ? p->version : "";
}

uint64_t ldr_patch_security_version(const struct ldr_patch *p)
{
	return p ? p->security_version : 0;
}

uint32_t ldr_patch_abi_version(const struct ldr_patch *p)
{
	return p ? p->abi_version : 0;
}

const char *const *ldr_patch_functions(const struct ldr_patch *p, size_t *n)
{
	*n = p ? p->nfunctions : 0;
	return p ? (const char *const *)p->functions : NULL;
}

const struct sig_info *ldr_patch_signature(const struct ldr_patch *p)
{
	return p && p->sig_checked ? &p->sig : NULL;
}

/* ---- patch lists (struct ldr_patch_set) -------------------------------------------------- */
int ldr_patch_set_job(struct ldr_patch_set *s, struct ldr_patch *add, int drop)
{
	size_t n = s->nlive - (drop && s->nlive ? 1 : 0);
	struct ldr_patch **a = calloc(n + 2, sizeof *a);
	if (!a)
		return -ENOMEM;
	if (n)
		memcpy(a, s->live, n * sizeof *a);
	if (add)
		a[n++] = add;
	free(s->job);
	s->job = a;
	s->njob = n;
	s->applying = add;
	return 0;
}

void ldr_patch_set_commit(struct ldr_patch_set *s)
{
	for (size_t i = 0; i < s->nlive; i++) {
		int kept = 0;
		for (size_t j = 0; j < s->njob && !kept; j++)
			kept = s->job[j] == s->live[i];
		if (!kept)
			ldr_patch_free(s->live[i]);
	}
	free(s->live);
	s->live = s->job;
	s->nlive = s->njob;
	s->job = NULL;
	s->njob = 0;
	s->applying = NULL; /* in the live list now */
}

void ldr_patch_set_drop(struct ldr_patch_set *s)
{
	free(s->job);
	s->job = NULL;
	s->njob = 0;
	ldr_patch_free(s->applying);
	s->applying = NULL;
}

void ldr_patch_set_free(struct ldr_patch_set *s)
{
	ldr_patch_set_drop(s);
	for (size_t i = 0; i < s->nlive; i++)
		ldr_patch_free(s->live[i]);
	free(s->live);
	s->live = NULL;
	s->nlive = 0;
}

int ldr_patch_set_has(const struct ldr_patch_set *s, const struct ldr_patch *p)
{
	for (size_t i = 0; i < s->nlive; i++)
		if (!memcmp(s->live[i]->digest, p->digest, 32))
			return 1;
	return 0;
}

size_t ldr_patch_set_info(const struct ldr_patch_set *s, struct ldr_patch_info *out, size_t cap)
{
	for (size_t i = 0; i < s->nlive && i < cap; i++) {
		const struct ldr_patch *p = s->live[i];
		memset(&out[i], 0, sizeof out[i]);
		snprintf(out[i].version, sizeof out[i].version, "%s", p->version ? p->version : "");
		memcpy(out[i].sha256, p->digest, 32);
		out[i].functions = (uint32_t)p->nfunctions;
	}
	return s->nlive;
}
