// SPDX-License-Identifier: MIT
/*
 * Loading one driver image, in the order that keeps untrusted bytes away from parsers:
 *
 *   1. signature: trailer, then CMS + chain + digest (signer), before anything reads the payload
 *   2. archive + manifest, with caps (sdk_package_read)
 *   3. bitcode: parse, LLVMVerifyModule, portable profile, ABI version, lint again, descriptor,
 *      descriptor == manifest
 *   4. specialize the declared parameters (specialize.c); budgets into the code (budget.c)
 *   5. host triple + data layout, optimize for the host CPU (target.c)
 *   6. JIT, eager or lazy (jit.c, lazy.c)
 *
 * Steps 4-6 are also reachable from an already parsed module (ldr_image_load_module), which is
 * how the tests drive the JIT without building a package. Binding the image to a device is the
 * runtime's (runtime.h).
 */
#include "ldr_jit.h"
#include "ext_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <llvm-c/Analysis.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdrv/abi.h"
#include "xdrv/util.h"

#define VER_FMT		 "%u.%u.%u"
#define VER_ARGS(v)	 (v) / 1000000u, (v) / 1000u % 1000u, (v) % 1000u
#define LDR_LOAD_CAPTURE 2u /* keep a copy of the object emitted, for the object cache */

/* ---- steps 4-6 --------------------------------------------------------------------------------
 */
static void diag_log(LLVMDiagnosticInfoRef di, void *opaque)
{
	/* Without a handler LLVM prints errors and exits; code generation problems of a driver
	 * must not end the host. They surface as JIT failures. */
	if (LLVMGetDiagInfoSeverity(di) != LLVMDSError)
		return;
	char *d = LLVMGetDiagInfoDescription(di);
	fprintf(stderr, "xdrv loader: LLVM: %s\n", d ? d : "error");
	LLVMDisposeMessage(d);
}

/* Names of the functions code generation will emit (those with a symbol), and the descriptor
 * `dsym` last. */
static char **defined_symbols(LLVMModuleRef m, const char *dsym, size_t *n)
{
	size_t cnt = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		cnt++;
	char **names = calloc(cnt + 2, sizeof *names);
	if (!names)
		return NULL;
	cnt = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
		LLVMLinkage l = LLVMGetLinkage(f);
		if (LLVMIsDeclaration(f) || l == LLVMInternalLinkage || l == LLVMPrivateLinkage)
			continue;
		size_t len = 0;
		const char *nm = LLVMGetValueName2(f, &len);
		if (!(names[cnt++] = strndup(nm, len)))
			goto out_nomem;
	}
	LLVMValueRef d = LLVMGetNamedGlobal(m, dsym);
	if (d && !LLVMIsDeclaration(d) && !(names[cnt++] = strdup(dsym)))
		goto out_nomem;
	*n = cnt;
	return names;
out_nomem:
	for (size_t i = 0; names[i]; i++)
		free(names[i]);
	free(names);
	return NULL;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

static int jit_image(struct ldr_image *img, LLVMOrcThreadSafeContextRef tsc, LLVMModuleRef m,
		     char **err)
{
	size_t n = 0;
	int rc;
	const char *dsym = img->is_ext ? LDR_EXT_DESC_SYM : "xdrv_driver";
	LLVMValueRef dv = LLVMGetNamedGlobal(m, dsym);
	int has_desc = dv && !LLVMIsDeclaration(dv); /* then it is names[n - 1] */
	char **names = defined_symbols(m, dsym, &n);
	if (!names) {
		LLVMDisposeModule(m);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	rc = ldr_jit_image_begin(img, err);
	if (rc) {
		LLVMDisposeModule(m);
		goto out_names;
	}
	if (img->mode == LDR_JIT_LAZY)
		rc = ldr_lazy_add(img, tsc, m, err);
	else
		rc = ldr_jit_add_module(img, tsc, m, err);
	if (rc)
		goto out_names;
	uint64_t *addrs = calloc(n ? n : 1, sizeof *addrs);
	if (!addrs) {
		rc = xdrv_err(err, -ENOMEM, "out of memory");
		goto out_names;
	}
	if (img->mode == LDR_JIT_LAZY) {
		/* the globals and the stubs the descriptor points to; no function body */
		if (has_desc)
			rc = ldr_jit_lookup(img, (const char *const *)&names[n - 1], 1, 0,
					    &addrs[n - 1], err);
	} else {
		/* everything, now: the whole module is one unit, its code is emitted here (and
		 * its object code hashed, for measured boot) */
		img->ctx->obj_digest_img = img;
		rc = ldr_jit_lookup(img, (const char *const *)names, n, 0, addrs, err);
		img->ctx->obj_digest_img = NULL;
	}
	if (!rc && has_desc && img->is_ext)
		img->ext_desc = (const void *)(uintptr_t)addrs[n - 1];
	else if (!rc && has_desc)
		img->desc = (const struct xdrv_driver *)(uintptr_t)addrs[n - 1];
	free(addrs);
out_names:
	free_names(names, n);
	return rc;
}

/* Steps 4-6 (and the lint unless LDR_LOAD_NO_LINT); messages without the label prefix. */
static int load_module(struct ldr_ctx *ctx, LLVMOrcThreadSafeContextRef tsc, LLVMModuleRef m,
		       const char *label, const struct sdk_descriptor *d, uint32_t flags,
		       const struct ldr_param_value *params, size_t nparams, struct ldr_image **out,
		       char **err)
{
	int rc;
	LLVMTargetMachineRef tm = NULL;
	*out = NULL;
	struct ldr_image *img = calloc(1, sizeof *img);
	if (!img) {
		LLVMDisposeModule(m);
		return xdrv_err(err, -ENOMEM, "%s: out of memory", label);
	}
	img->ctx = ctx;
	img->id = ++ctx->next_id;
	img->mode = ctx->cfg.jit_mode;
	img->cache_state = "off";
	img->obj_capture = (flags & LDR_LOAD_CAPTURE) != 0 || ctx->capture_objects;
	img->is_ext = (flags & LDR_LOAD_EXT) != 0;
	if (img->is_ext)
		img->mode = LDR_JIT_EAGER; /* an extension is small and runs at once: all of it */
	img->abi_version = d ? d->abi_version : XDRV_ABI_VERSION;
	img->label = strdup(label);
	img->name = strdup(d && d->name ? d->name : label);
	img->nparams = d ? d->nparams : 0;
	img->param_values = calloc(img->nparams ? img->nparams : 1, sizeof *img->param_values);
	if (!img->label || !img->name || !img->param_values) {
		LLVMDisposeModule(m);
		rc = xdrv_err(err, -ENOMEM, "out of memory");
		goto out_unload;
	}
	LLVMContextSetDiagnosticHandler(LLVMGetModuleContext(m), diag_log, NULL);

	uint64_t t0 = xdrv_now_ns();
	if (!(flags & LDR_LOAD_NO_LINT)) {
		rc = img->is_ext ? ldr_ext_lint(m, err) : sdk_lint(m, img->abi_version, err);
		if (rc) {
			LLVMDisposeModule(m);
			goto out_unload;
		}
	}
	uint64_t t1 = xdrv_now_ns();
	img->t.parse_ns += t1 - t0;

	rc = ldr_specialize(m, d, params, nparams, img->param_values, err);
	if (!rc)
		rc = ldr_module_for_host(ctx, m, img->is_ext ? LDR_HOST_NO_BUDGET : LDR_HOST_BUDGET,
					 &tm, err);
	/* an extension: the memory check in the host's data layout (ext_guard.c), then its
	 * per-packet budget, compiled with the largest limit (ldr_ext_run starts the counter
	 * where the extension's budget leaves that much) and its own call depth */
	if (!rc && img->is_ext)
		rc = ldr_ext_guard(m, NULL, err);
	if (!rc && img->is_ext)
		rc = ldr_budget_instrument(m, LDR_EXT_BUDGET_MAX, LDR_EXT_DEPTH_MAX, NULL, err);
	/* tier auto (tier.c): tier 1 is this module at O0, through slots; tier 2 compiles at
	 * opt_level in the background (drivers only: an extension is compiled once, at O2) */
	int tiered = !rc && !img->is_ext && img->mode == LDR_JIT_EAGER && ldr_tier_wanted(ctx);
	int swappable = !rc && !img->is_ext && img->mode == LDR_JIT_EAGER &&
			(tiered || ldr_tier_swappable(ctx));
	if (swappable)
		rc = ldr_tier_split(img, m, d, !tiered, err);
	/* the compiler process asked for a later generation (driver domains, the boot): compiled
	 * from the split's bitcode, nothing linked here */
	if (!rc && swappable && ctx->gen_job) {
		if (tm)
			LLVMDisposeTargetMachine(tm);
		img->total = ldr_module_defined_functions(m);
		LLVMDisposeModule(m);
		rc = ldr_tier_gen_object(img, ctx->gen_job, err);
		if (rc)
			goto out_unload;
		img->t.opt_ns = xdrv_now_ns() - t1;
		*out = img;
		return 0;
	}
	if (!rc)
		rc = ldr_module_optimize(m, tm, tiered ? 0 : ctx->cfg.opt_level, err);
	if (tm)
		LLVMDisposeTargetMachine(tm);
	if (rc) {
		LLVMDisposeModule(m);
		goto out_unload;
	}
	img->total = ldr_module_defined_functions(m);
	uint64_t t2 = xdrv_now_ns();
	img->t.opt_ns = t2 - t1;

	rc = jit_image(img, tsc, m, err); /* takes m */
	if (!rc && swappable)
		rc = ldr_tier_start(img, err);
	if (rc)
		goto out_unload;
	img->t.jit_ns = xdrv_now_ns() - t2;
	img->t.total_ns = xdrv_now_ns() - t0;
	*out = img;
	return 0;

out_unload:
	ldr_image_unload(img);
	return rc;
}

/* ---- the object cache (cache.c) -------------------------------------------------------------
 * An eager load of a package looks its key up once the manifest is read (the signature is
 * verified by then, so the payload digest in the key is the one of what was signed). A hit links
 * the authenticated object as it is; a miss goes the whole way and stores the object emitted.
 */

/* The key of this load. Negative when it is not cacheable (a refused parameter: the normal path
 * then refuses it, in its own order of checks). */
static int cache_key(struct ldr_ctx *ctx, const uint8_t *payload, size_t plen,
		     const struct sig_info *sig, const struct sdk_manifest *m,
		     const struct ldr_param_value *pv, size_t npv, struct ldr_cache_key *k)
{
	char hex[65];
	if (sig) {
		memcpy(hex, sig->digest_hex, sizeof hex);
	} else {
		uint8_t d[32];
		unsigned int dl = 32;
		if (!EVP_Digest(payload, plen, d, &dl, EVP_sha256(), NULL))
			return -EIO;
		xdrv_hex(d, 32, hex);
	}
	size_t n = m->desc.nparams;
	uint64_t *vals = calloc(n ? n : 1, sizeof *vals);
	if (!vals)
		return -ENOMEM;
	int rc = ldr_param_values(&m->desc, pv, npv, vals, NULL);
	if (!rc)
		rc = ldr_cache_key_make(ctx, hex, m, vals, k, NULL);
	free(vals);
	return rc;
}

/* A hit: the image from the cached object, no bitcode at all. The manifest's descriptor is the
 * bitcode's (the load that stored the entry checked them equal, and the key holds the payload's
 * digest), so it gives the name, ABI version and parameters. */
static int load_object(struct ldr_ctx *ctx, const char *label, const struct sdk_manifest *m,
		       const struct ldr_param_value *pv, size_t npv, const struct ldr_cache_hit *h,
		       struct ldr_image **out, char **err)
{
	*out = NULL;
	struct ldr_image *img = calloc(1, sizeof *img);
	if (!img)
		return xdrv_err(err, -ENOMEM, "out of memory");
	img->ctx = ctx;
	img->id = ++ctx->next_id;
	img->mode = LDR_JIT_EAGER;
	img->cache_state = "hit";
	img->abi_version = m->abi_version;
	img->label = strdup(label);
	img->name = strdup(m->name ? m->name : label);
	img->nparams = m->desc.nparams;
	img->param_values = calloc(img->nparams ? img->nparams : 1, sizeof *img->param_values);
	int rc = 0;
	if (!img->label || !img->name || !img->param_values)
		rc = xdrv_err(err, -ENOMEM, "out of memory");
	if (!rc)
		rc = ldr_param_values(&m->desc, pv, npv, img->param_values, err);
	uint64_t t0 = xdrv_now_ns();
	if (!rc)
		rc = ldr_jit_image_begin(img, err);
	if (!rc)
		rc = ldr_jit_add_object(img, h->obj, h->obj_len, err);
	if (!rc) {
		/* one object, one materialization unit: the descriptor's lookup links all of it,
		 * through the transform that hashes it (the same digest as when it was compiled) */
		const char *sym = "xdrv_driver";
		uint64_t addr = 0;
		ctx->obj_digest_img = img;
		rc = ldr_jit_lookup(img, &sym, 1, 0, &addr, err);
		ctx->obj_digest_img = NULL;
		img->desc = (const struct xdrv_driver *)(uintptr_t)addr;
	}
	uint8_t want[32], cat[64];
	unsigned int dl = 32;
	memset(cat, 0, 32);
	memcpy(cat + 32, h->obj_sha256, 32);
	if (!rc &&
	    (img->nobjects != 1 || !EVP_Digest(cat, sizeof cat, want, &dl, EVP_sha256(), NULL) ||
	     memcmp(want, img->obj_digest, 32) != 0))
		rc = xdrv_err(err, -EIO, "the object linked is not the one authenticated");
	if (rc) {
		ldr_image_unload(img);
		return rc;
	}
	img->total = img->compiled = h->functions;
	img->t.jit_ns = xdrv_now_ns() - t0;
	*out = img;
	return 0;
}

/* After a compiling load: store its object under k (a failure to store is said, not fatal). */
static void cache_store(struct ldr_ctx *ctx, struct ldr_image *img, const struct ldr_cache_key *k)
{
	char *e = NULL;
	const struct sdk_manifest *m = &img->manifest;
	int rc = img->nobjects == 1 && img->obj_copy
			 ? ldr_cache_put(ctx->cache, k, m->name, m->version, img->total,
					 img->obj_copy, img->obj_len, &e)
			 : xdrv_err(&e, -ENOTSUP, "%u objects emitted, not one", img->nobjects);
	if (rc)
		fprintf(stderr, "xdrv loader: object cache: %s not stored: %s\n", img->label,
			e ? e : "failed");
	free(e);
	free(img->obj_copy);
	img->obj_copy = NULL;
	img->obj_len = 0;
}

int ldr_image_load_module(struct ldr_ctx *ctx, LLVMOrcThreadSafeContextRef tsc, LLVMModuleRef m,
			  const char *label, const struct sdk_descriptor *d, uint32_t flags,
			  const struct ldr_param_value *params, size_t nparams,
			  struct ldr_image **out, char **err)
{
	char *e = NULL;
	int rc = load_module(ctx, tsc, m, label, d, flags, params, nparams, out, &e);
	if (rc) {
		xdrv_err_prefix(&e, "%s", label);
		return ldr_fail(ctx, rc, e, err);
	}
	ldr_ctx_set_error(ctx, NULL);
	return 0;
}

/* ---- steps 1-3 --------------------------------------------------------------------------------
 */
static int mismatch(char **err, const char *field, const char *in_manifest, const char *in_bc)
{
	return xdrv_err(err, -EINVAL,
			"manifest and bitcode disagree: %s: manifest says '%s', the bitcode's "
			"descriptor '%s'",
			field, in_manifest ? in_manifest : "(none)", in_bc ? in_bc : "(none)");
}

static int str_differs(const char *a, const char *b)
{
	if (!a || !b)
		return a != b;
	return strcmp(a, b) != 0;
}

static int num_mismatch(char **err, const char *field, uint64_t a, uint64_t b)
{
	char sa[24], sb[24];
	snprintf(sa, sizeof sa, "%" PRIu64, a);
	snprintf(sb, sizeof sb, "%" PRIu64, b);
	return mismatch(err, field, sa, sb);
}

static int compare_descriptor(const struct sdk_manifest *m, const struct sdk_descriptor *d,
			      char **err)
{
	char field[64];
	if (str_differs(m->name, d->name))
		return mismatch(err, "name", m->name, d->name);
	if (str_differs(m->version, d->version))
		return mismatch(err, "version", m->version, d->version);
	if (m->abi_version != d->abi_version)
		return num_mismatch(err, "abi_version", m->abi_version, d->abi_version);
	if (str_differs(m->desc.probe, d->probe))
		return mismatch(err, "entry point probe", m->desc.probe, d->probe);
	if (str_differs(m->desc.remove, d->remove))
		return mismatch(err, "entry point remove", m->desc.remove, d->remove);
	if (m->desc.nparams != d->nparams)
		return num_mismatch(err, "number of params", m->desc.nparams, d->nparams);
	for (size_t i = 0; i < d->nparams; i++) {
		const struct sdk_param *a = &m->desc.params[i], *b = &d->params[i];
		snprintf(field, sizeof field, "params[%zu].name", i);
		if (str_differs(a->name, b->name))
			return mismatch(err, field, a->name, b->name);
		const char *what = a->type != b->type	  ? "type"
				   : a->def != b->def	  ? "default"
				   : a->min != b->min	  ? "min"
				   : a->max != b->max	  ? "max"
				   : a->flags != b->flags ? "flags"
							  : NULL;
		if (what) {
			snprintf(field, sizeof field, "params[%zu] (%s).%s", i, b->name, what);
			uint64_t va = a->type != b->type ? a->type
				      : a->def != b->def ? a->def
				      : a->min != b->min ? a->min
				      : a->max != b->max ? a->max
							 : a->flags;
			uint64_t vb = a->type != b->type ? b->type
				      : a->def != b->def ? b->def
				      : a->min != b->min ? b->min
				      : a->max != b->max ? b->max
							 : b->flags;
			return num_mismatch(err, field, va, vb);
		}
	}
	if (m->desc.kind != d->kind)
		return num_mismatch(err, "kind", m->desc.kind, d->kind);
	if (m->desc.hooks != d->hooks)
		return num_mismatch(err, "hooks", m->desc.hooks, d->hooks);
	if (str_differs(m->desc.run, d->run))
		return mismatch(err, "entry point run", m->desc.run, d->run);
	if (m->desc.ntables != d->ntables)
		return num_mismatch(err, "number of tables", m->desc.ntables, d->ntables);
	for (size_t i = 0; i < d->ntables; i++) {
		const struct sdk_ext_table *a = &m->desc.tables[i], *b = &d->tables[i];
		snprintf(field, sizeof field, "tables[%zu]", i);
		if (str_differs(a->name, b->name) || a->kind != b->kind ||
		    a->max_entries != b->max_entries)
			return mismatch(err, field, a->name, b->name);
	}
	if (m->desc.nmatch != d->nmatch)
		return num_mismatch(err, "number of match entries", m->desc.nmatch, d->nmatch);
	for (size_t i = 0; i < d->nmatch; i++) {
		const struct sdk_match *a = &m->desc.match[i], *b = &d->match[i];
		snprintf(field, sizeof field, "match[%zu]", i);
		if (a->bus != b->bus || a->vendor != b->vendor || a->device != b->device ||
		    a->class_code != b->class_code || a->class_mask != b->class_mask ||
		    str_differs(a->compatible, b->compatible))
			return mismatch(err, field, "one device", "another");
	}
	return 0;
}

/* Bitcode -> checked module, descriptor read. *m is NULL on failure. */
static int parse_bitcode(struct ldr_ctx *ctx, LLVMContextRef lctx, const struct sdk_package *pkg,
			 LLVMModuleRef *mout, struct sdk_descriptor *d, int *is_ext, char **err)
{
	const struct sdk_manifest *man = &pkg->manifest;
	const struct sdk_entry *bc = pkg->bitcode;
	LLVMModuleRef m = NULL;
	int rc;
	*mout = NULL;
	if (!bc)
		return xdrv_err(err, -EINVAL, "no bitcode member");
	bool ext_pkg = man->desc.kind == SDK_KIND_EXTENSION;
	if (!ext_pkg && man->abi_version > XDRV_ABI_VERSION)
		return xdrv_err(err, -ENOTSUP,
				"built for driver ABI " VER_FMT ", newer than this host's " VER_FMT,
				VER_ARGS(man->abi_version), VER_ARGS(XDRV_ABI_VERSION));
	if (ext_pkg && man->abi_version > XDRV_EXT_ABI_VERSION)
		return xdrv_err(err, -ENOTSUP,
				"built for extension ABI " VER_FMT
				", newer than this host's " VER_FMT,
				VER_ARGS(man->abi_version), VER_ARGS(XDRV_EXT_ABI_VERSION));
	if (!man->profile || strcmp(man->profile, SDK_PROFILE) != 0)
		return xdrv_err(err, -EINVAL, "manifest: profile '%s' is not '%s'",
				man->profile ? man->profile : "", SDK_PROFILE);
	/* The profile fixes little-endian memory (byte order is compiled into every load and
	 * store of the bitcode): a big-endian host cannot run it as it is. */
	if (ctx->host.big_endian)
		return xdrv_err(err, -ENOTSUP,
				"profile %s is little-endian and this host (%s) is big-endian: "
				"the package cannot run here; run it on a little-endian host "
				"(x86_64, arm64, ppc64el), there is no big-endian xdrv profile yet",
				SDK_PROFILE, ctx->host.triple);
	rc = sdk_bitcode_parse(lctx, bc->data, (size_t)bc->size, bc->path, &m, err);
	if (rc)
		return rc;
	LLVMContextSetDiagnosticHandler(lctx, diag_log, NULL); /* parsed and verified */
	const char *triple = LLVMGetTarget(m);
	if (!triple || strcmp(triple, SDK_TRIPLE) != 0) {
		rc = xdrv_err(
			err, -EINVAL,
			"%s: bitcode targets %.64s; xdrv packages must be built for the portable "
			"profile " SDK_TRIPLE,
			bc->path, triple && *triple ? triple : "(no triple)");
		goto out_dispose;
	}
	rc = sdk_profile_check(m, err);
	/* a packet extension (issue 16): the manifest's kind and the module's agree; the SDK's
	 * lint checks the extension profile, and the loader's own (ext_lint.c) what it relies
	 * on, whatever the SDK said */
	*is_ext = sdk_module_kind(m) == SDK_KIND_EXTENSION;
	if (!rc && *is_ext != ext_pkg)
		rc = xdrv_err(
			err, -EINVAL,
			"manifest and bitcode disagree: kind: manifest says '%s', the bitcode "
			"defines %s",
			ext_pkg ? "extension" : "driver",
			*is_ext ? LDR_EXT_DESC_SYM : "xdrv_driver");
	if (!rc)
		rc = sdk_lint(m, man->abi_version, err);
	if (!rc && *is_ext)
		rc = ldr_ext_lint(m, err);
	if (!rc)
		rc = sdk_descriptor_read(m, d, err);
	if (rc)
		goto out_dispose;
	rc = compare_descriptor(man, d, err);
	if (rc)
		goto out_dispose;
	*mout = m;
	m = NULL;
out_dispose:
	if (m)
		LLVMDisposeModule(m);
	return rc;
}

/* The payload's SHA-256: the signer's (already computed) when it verified, else computed. */
static int payload_digest(const uint8_t *buf, size_t plen, const struct sig_info *sig,
			  uint8_t out[32])
{
	unsigned int dl = 32;
	if (!sig)
		return EVP_Digest(buf, plen, out, &dl, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
	for (size_t i = 0; i < 32; i++) {
		unsigned v = 0;
		if (sscanf(sig->digest_hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	return 0;
}

int ldr_image_load_buf(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, const char *label,
		       const struct ldr_param_value *params, size_t nparams, struct ldr_image **out,
		       char **err)
{
	struct sdk_package pkg;
	struct sdk_descriptor d;
	struct sig_info sig;
	int sig_checked = 0, rc;
	LLVMOrcThreadSafeContextRef tsc = NULL;
	LLVMModuleRef m = NULL;
	struct ldr_timings t = {0};
	struct ldr_cache_key ck = {0};
	char *e = NULL;
	size_t payload_len = 0;

	memset(&pkg, 0, sizeof pkg);
	memset(&d, 0, sizeof d);
	memset(&sig, 0, sizeof sig);
	*out = NULL;
	if (!label)
		label = "(buffer)";
	uint64_t t0 = xdrv_now_ns();

	/* 1-2. the signature, before anything looks at the payload; archive and manifest */
	rc = ldr_package_open(ctx, buf, len, 1, &pkg, &sig, &sig_checked, &payload_len,
			      &t.verify_ns, &e);
	if (rc)
		goto out;
	uint64_t t1 = t0 + t.verify_ns;
	if (pkg.manifest.desc.kind == SDK_KIND_EXTENSION && !ctx->capture_objects) {
		rc = xdrv_err(&e, -EINVAL, "is an extension, not a driver");
		goto out;
	}
	if (pkg.manifest.desc.kind == SDK_KIND_PATCH) {
		rc = xdrv_err(&e, -EINVAL,
			      "is a live patch (for the package whose payload has SHA-256 %s), not "
			      "a driver: apply it to that driver",
			      pkg.manifest.patch_for);
		goto out;
	}
	uint64_t t2 = xdrv_now_ns();
	t.extract_ns = t2 - t1;

	/* the object cache: a hit skips steps 3-5 */
	struct ldr_image *img = NULL;
	const char *cache_state = "off";
	/* swappable code has slots and keeps its bitcode: a cached object has neither */
	if (ctx->cache && ctx->cfg.jit_mode == LDR_JIT_EAGER && !ctx->cfg.swappable &&
	    cache_key(ctx, buf, payload_len, sig_checked ? &sig : NULL, &pkg.manifest, params,
		      nparams, &ck) == 0) {
		struct ldr_cache_hit hit;
		char *why = NULL;
		int gr = ldr_cache_get(ctx->cache, &ck, &hit, &why);
		if (gr == 0 && load_object(ctx, label, &pkg.manifest, params, nparams, &hit, &img,
					   &why) == 0) {
			cache_state = "hit";
		} else if (gr == 0 || gr == -EBADMSG) {
			/* never used: compiled again below, the entry replaced */
			cache_state = "rejected";
			fprintf(stderr,
				"xdrv loader: object cache: entry %s.xoc (%s) %s: %s; recompiled\n",
				ck.hex, label,
				gr == 0 ? "could not be linked" : "failed authentication",
				why ? why : "?");
		} else {
			cache_state = "miss";
			if (gr != -ENOENT)
				fprintf(stderr, "xdrv loader: object cache: entry %s.xoc: %s\n",
					ck.hex, why ? why : "?");
		}
		ldr_cache_hit_free(&hit);
		free(why);
	}
	t.cache_ns = xdrv_now_ns() - t2 - (img ? img->t.jit_ns : 0);

	if (!img) {
		/* 3. bitcode, in a context of its own */
		uint64_t t3 = xdrv_now_ns();
		tsc = LLVMOrcCreateNewThreadSafeContext();
		int is_ext = 0;
		rc = parse_bitcode(ctx, LLVMOrcThreadSafeContextGetContext(tsc), &pkg, &m, &d,
				   &is_ext, &e);
		if (rc)
			goto out;
		/* an extension is loaded with ldr_ext_* (in the compiler process, which compiles
		 * either kind, it is) */
		if (is_ext && !ctx->capture_objects) {
			rc = xdrv_err(&e, -EINVAL, "is an extension, not a driver");
			goto out;
		}
		t.parse_ns = xdrv_now_ns() - t3;

		/* 4-6 */
		/* a tiered load's first object is tier 1's, not the full tier's: not stored */
		bool tiered = !is_ext && (ctx->cfg.tier == LDR_TIER_AUTO || ctx->cfg.swappable);
		uint32_t lf = LDR_LOAD_NO_LINT | (ck.text && !tiered ? LDR_LOAD_CAPTURE : 0u) |
			      (is_ext ? LDR_LOAD_EXT : 0u);
		rc = load_module(ctx, tsc, m, label, &d, lf, params, nparams, &img, &e);
		m = NULL;
		if (rc)
			goto out;
	}
	img->cache_state = cache_state;
	img->t.verify_ns = t.verify_ns;
	img->t.extract_ns = t.extract_ns;
	img->t.parse_ns += t.parse_ns;
	img->t.cache_ns = t.cache_ns;
	img->sig = sig;
	img->sig_checked = sig_checked;
	img->has_payload_digest = payload_digest(buf, payload_len, sig_checked ? &sig : NULL,
						 img->payload_digest) == 0;
	img->manifest = pkg.manifest; /* moved */
	memset(&pkg.manifest, 0, sizeof pkg.manifest);
	img->has_manifest = 1;
	if (img->obj_capture && ck.text) {
		uint64_t t4 = xdrv_now_ns();
		cache_store(ctx, img, &ck);
		img->t.cache_ns += xdrv_now_ns() - t4;
	}
	img->t.total_ns = xdrv_now_ns() - t0;
	*out = img;

out:
	if (m)
		LLVMDisposeModule(m);
	if (tsc)
		LLVMOrcDisposeThreadSafeContext(tsc); /* the JIT's modules keep it alive */
	ldr_cache_key_free(&ck);
	sdk_descriptor_free(&d);
	sdk_package_free(&pkg);
	if (rc) {
		xdrv_err_prefix(&e, "package %s", label);
		return ldr_fail(ctx, rc, e, err);
	}
	ldr_ctx_set_error(ctx, NULL);
	return 0;
}

int ldr_image_load_file(struct ldr_ctx *ctx, const char *path, const struct ldr_param_value *params,
			size_t nparams, struct ldr_image **out, char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	const char *base = ldr_package_base(path);
	*out = NULL;
	int rc = ldr_package_read(ctx, path, &buf, &len, err);
	if (rc)
		return rc;
	rc = ldr_image_load_buf(ctx, buf, len, base, params, nparams, out, err);
	free(buf);
	return rc;
}

/* ---- accessors --------------------------------------------------------------------------------
 */
const struct xdrv_driver *ldr_image_descriptor(struct ldr_image *img)
{
	return img ? img->desc : NULL;
}

const struct sdk_manifest *ldr_image_manifest(const struct ldr_image *img)
{
	return img && img->has_manifest ? &img->manifest : NULL;
}

const char *ldr_image_name(const struct ldr_image *img)
{
	return img ? img->name : "";
}

uint32_t ldr_image_jit_mode(const struct ldr_image *img)
{
	return img ? img->mode : LDR_JIT_EAGER;
}

uint32_t ldr_image_abi_version(const struct ldr_image *img)
{
	return img ? img->abi_version : 0;
}

const struct sig_info *ldr_image_signature(const struct ldr_image *img)
{
	return img && img->sig_checked ? &img->sig : NULL;
}

void ldr_image_timings(const struct ldr_image *img, struct ldr_timings *t)
{
	if (img)
		*t = img->t;
	else
		memset(t, 0, sizeof *t);
}

int ldr_image_lookup(struct ldr_image *img, const char *symbol, uint64_t *addr, char **err)
{
	char *e = NULL;
	int rc = ldr_jit_lookup(img, &symbol, 1, 1, addr, &e);
	if (rc) {
		xdrv_err_prefix(&e, "%s: symbol %s", img->label, symbol);
		return ldr_fail(img->ctx, rc, e, err);
	}
	return 0;
}

const char *ldr_image_cache_state(const struct ldr_image *img)
{
	return img && img->cache_state ? img->cache_state : "off";
}

int ldr_image_object_digest(const struct ldr_image *img, uint8_t out[32])
{
	if (!img || img->mode != LDR_JIT_EAGER || !img->nobjects)
		return -ENODATA;
	memcpy(out, img->obj_digest, 32);
	return 0;
}

int ldr_image_payload_digest(const struct ldr_image *img, uint8_t out[32])
{
	if (!img || !img->has_payload_digest)
		return -ENODATA;
	memcpy(out, img->payload_digest, 32);
	return 0;
}

const uint64_t *ldr_image_param_values(const struct ldr_image *img, size_t *n)
{
	*n = img ? img->nparams : 0;
	return img ? img->param_values : NULL;
}

uint32_t ldr_image_compiled_functions(const struct ldr_image *img)
{
	return img ? img->compiled : 0;
}

uint32_t ldr_image_total_functions(const struct ldr_image *img)
{
	return img ? img->total : 0;
}

void ldr_image_unload(struct ldr_image *img)
{
	if (!img)
		return;
	ldr_tier_end(img); /* tier 2's thread first: it reads the image */
	if (img->ctx)
		ldr_jit_image_end(img);
	if (img->has_manifest)
		sdk_manifest_free(&img->manifest);
	free(img->obj_copy);
	free(img->ext_budget);
	free(img->param_values);
	free(img->label);
	free(img->name);
	free(img);
}
