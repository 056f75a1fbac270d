// SPDX-License-Identifier: MIT
/*
 * Packet extensions, the host's side (issue 16, xdrv/ext_host.h): an extension package is loaded
 * through the same path as a driver's:
 *
 *   supervisor: signature, chain, revocation (signer, through the context's trust), archive and
 *   manifest, the object cache (compile.c)
 *   compiler process: bitcode, profile, the extension lint (ext_lint.c), specialization, the
 *   memory check (ext_guard.c), the per-packet budget (budget.c), O2, emission (image.c)
 *   supervisor: the object linked in a JITDylib of its own where only ext_symbols.def resolves
 *   (ext_bind.c); the descriptor `xdrv_extension` read from JIT memory and checked; its tables
 *   allocated from it
 *
 * and measured like a driver where the caller measures (xdrv boot measures the package bytes it
 * reads and the object digest, ldr_compiled_sha256, the same way for both).
 *
 * ldr_ext_run_batch (ldr_ext_run is a batch of one): the run made current (the host functions
 * act on it) and the fault guard set once for the batch, the budget counter set for each packet,
 * run() called, the verdict checked. A fault, a stop (budget, out of bounds) or a verdict that
 * is not one fails the extension for good.
 */
#define _GNU_SOURCE 1
#include "ext_priv.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/fault_guard.h>
#include <xdrv/sdk.h>
#include <xdrv/signer.h>

#include "runtime_priv.h"

static int ext_fail_load(struct ldr_ctx *ctx, int rc, char *e, const char *label, char **err)
{
	if (label)
		xdrv_err_prefix(&e, "package %s", label);
	return ldr_fail(ctx, rc, e, err);
}

static int opts_budget(const struct ldr_ext_opts *opts, uint64_t *budget, char **err)
{
	*budget = opts && opts->budget ? opts->budget : LDR_EXT_BUDGET_DEFAULT;
	if (*budget > LDR_EXT_BUDGET_MAX)
		return xdrv_err(err, -EINVAL,
				"extension budget %llu: at most %u back edges per "
				"packet",
				(unsigned long long)*budget, LDR_EXT_BUDGET_MAX);
	return 0;
}

static int ext_name_ok(const char *s, size_t max, int dash)
{
	size_t n = strnlen(s, max + 1);
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      (dash && s[i] == '-')))
			return 0;
	return 1;
}

static int version_ok(const char *s)
{
	unsigned a, b, c;
	int end = 0;
	return strnlen(s, 32) < 32 && sscanf(s, "%u.%u.%u%n", &a, &b, &c, &end) == 3 &&
	       s[end] == 0 && s[0] >= '0' && s[0] <= '9';
}

/* Check the descriptor in JIT memory and take what the host needs from it (under a fault
 * guard: it is the extension's constant data, which the lint let hold only the module's own
 * pointers, but reading it must not be able to take the host down). */
static int read_descriptor(struct ldr_ext *e, char **err)
{
	const struct xdrv_ext *volatile x = e->img->ext_desc;
	struct xdrv_guard g;
	volatile int rc = 0;
	if (!x)
		return xdrv_err(err, -EINVAL, "no " LDR_EXT_DESC_SYM " descriptor");
	xdrv_guard_push(&g);
	if (sigsetjmp(g.jb, 0) == 0) {
		if (x->magic != XDRV_EXT_MAGIC)
			rc = xdrv_err(err, -EINVAL, "descriptor: magic %#x is not XEXT", x->magic);
		else if (x->struct_size != sizeof(struct xdrv_ext))
			rc = xdrv_err(err, -EINVAL, "descriptor: struct_size %u, not %zu",
				      x->struct_size, sizeof(struct xdrv_ext));
		else if (x->abi_version / 1000000u != XDRV_EXT_ABI_VERSION_MAJOR ||
			 x->abi_version > XDRV_EXT_ABI_VERSION)
			rc = xdrv_err(err, -ENOTSUP,
				      "descriptor: built for extension ABI %u.%u.%u; this host has "
				      "%u.%u.%u",
				      x->abi_version / 1000000u, x->abi_version / 1000u % 1000u,
				      x->abi_version % 1000u, XDRV_EXT_ABI_VERSION_MAJOR,
				      XDRV_EXT_ABI_VERSION_MINOR, XDRV_EXT_ABI_VERSION_PATCH);
		else if (!x->hooks || (x->hooks & ~(XDRV_EXT_HOOK_RX | XDRV_EXT_HOOK_TX)))
			rc = xdrv_err(err, -EINVAL, "descriptor: hooks %#x (rx 1, tx 2, not 0)",
				      x->hooks);
		else if (!x->name || !ext_name_ok(x->name, 63, 1))
			rc = xdrv_err(err, -EINVAL, "descriptor: name is not [a-z0-9_-]{1,63}");
		else if (!x->version || !version_ok(x->version))
			rc = xdrv_err(err, -EINVAL, "descriptor: version is not MAJOR.MINOR.PATCH");
		else if (!x->run)
			rc = xdrv_err(err, -EINVAL, "descriptor: run is NULL");
		for (int i = 0; !rc && i < 9; i++)
			if (x->reserved[i])
				rc = xdrv_err(err, -EINVAL, "descriptor: reserved[%d] is not NULL",
					      i);
		if (!rc) {
			e->hooks = x->hooks;
			e->abi_version = x->abi_version;
			e->run = x->run;
			e->name = strdup(x->name);
			e->version = strdup(x->version);
			if (!e->name || !e->version)
				rc = xdrv_err(err, -ENOMEM, "out of memory");
		}
		if (!rc)
			rc = ldr_ext_tables_init(e, x->tables, err);
	} else {
		rc = xdrv_err(err, -EFAULT, "descriptor: reading it faulted (%s)",
			      xdrv_guard_signame(g.signo));
	}
	xdrv_guard_pop(&g);
	return rc;
}

/* Whether an extension may rewrite frames: the packet's bytes are written only through the
 * imported xdrv_ext_st* (the frame is never addressable from its code: the handle is opaque and
 * every other access is checked against its own objects), and calls through pointers are
 * refused by the lint, so code without such a name cannot write a frame. Conservative: any
 * occurrence of the prefix in the object (symbol table or not) counts as a writer. */
#define EXT_STORE_PREFIX "xdrv_ext_st"
static int object_writes(const uint8_t *obj, size_t len)
{
	return !obj || memmem(obj, len, EXT_STORE_PREFIX, sizeof EXT_STORE_PREFIX - 1) != NULL;
}

static int module_writes(LLVMModuleRef m)
{
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
		size_t n = 0;
		const char *name = LLVMGetValueName2(f, &n);
		if (name && memmem(name, n, EXT_STORE_PREFIX, sizeof EXT_STORE_PREFIX - 1))
			return 1;
	}
	return 0;
}

/* An extension around a linked image (taken: unloaded on failure). */
static int wrap(struct ldr_ctx *ctx, struct ldr_image *img, uint64_t budget, struct ldr_ext **out,
		char **err)
{
	struct ldr_ext *e = calloc(1, sizeof *e);
	if (!e) {
		ldr_image_unload(img);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	e->ctx = ctx;
	e->img = img;
	e->budget = budget;
	e->bstate = img->ext_budget;
	int rc = e->bstate ? read_descriptor(e, err)
			   : xdrv_err(err, -EINVAL, "the image is not an extension's");
	if (rc) {
		ldr_ext_unload(e);
		return rc;
	}
	const struct sig_info *si = ldr_image_signature(img);
	if (si) {
		for (int i = 0; i < 32; i++) {
			unsigned v = 0;
			if (sscanf(si->digest_hex + 2 * i, "%2x", &v) != 1)
				break;
			e->digest[i] = (uint8_t)v;
		}
	}
	*out = e;
	return 0;
}

int ldr_ext_load_module(struct ldr_ctx *ctx, LLVMOrcThreadSafeContextRef tsc, LLVMModuleRef m,
			const char *label, const struct ldr_ext_opts *opts, struct ldr_ext **out,
			char **err)
{
	uint64_t budget;
	struct ldr_image *img = NULL;
	char *e = NULL;
	*out = NULL;
	int rc = opts_budget(opts, &budget, &e);
	if (rc) {
		LLVMDisposeModule(m);
		return ext_fail_load(ctx, rc, e, NULL, err);
	}
	int writes = module_writes(m);
	rc = ldr_image_load_module(ctx, tsc, m, label, NULL, LDR_LOAD_EXT, NULL, 0, &img, err);
	if (rc)
		return rc;
	rc = wrap(ctx, img, budget, out, &e);
	if (!rc)
		(*out)->writes = writes;
	if (rc) {
		xdrv_err_prefix(&e, "%s", label);
		return ext_fail_load(ctx, rc, e, NULL, err);
	}
	return 0;
}

int ldr_ext_load_compiled(struct ldr_ctx *ctx, const struct ldr_compiled *c,
			  const struct ldr_ext_opts *opts, struct ldr_ext **out, char **err)
{
	uint64_t budget;
	char *e = NULL;
	const struct sdk_manifest *man = ldr_compiled_manifest(c);
	const char *label = man && man->name ? man->name : "(compiled)";
	*out = NULL;
	int rc = opts_budget(opts, &budget, &e);
	if (rc)
		return ext_fail_load(ctx, rc, e, label, err);
	struct ldr_image *img = NULL;
	rc = ldr_compiled_link(ctx, c, 1, &img, err);
	if (rc)
		return rc;
	struct ldr_ext *x = NULL;
	rc = wrap(ctx, img, budget, &x, &e);
	if (!rc && man && man->name && strcmp(man->name, x->name) != 0)
		rc = xdrv_err(&e, -EINVAL,
			      "manifest and descriptor disagree: name: manifest says '%s', the "
			      "descriptor '%s'",
			      man->name, x->name);
	if (rc) {
		ldr_ext_unload(x);
		return ext_fail_load(ctx, rc, e, label, err);
	}
	if (!ldr_compiled_signature(c))
		ldr_compiled_sha256(c, x->digest); /* unsigned: the object's digest stands in */
	size_t olen = 0;
	const uint8_t *obj = ldr_compiled_object(c, &olen);
	x->writes = object_writes(obj, olen);
	*out = x;
	ldr_ctx_set_error(ctx, NULL);
	return 0;
}

/* A driver package is refused from its manifest's kind before anything compiles it (here and
 * for the driver domain's supervisor, ext_host.h). The manifest is read unverified, only to
 * refuse: a package that passes goes through the whole path (signature first), and one whose
 * manifest does not read gets that path's message. */
int ldr_ext_refuse_driver(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, const char *label,
			  char **err)
{
	size_t plen = 0;
	int rc = sig_trailer_parse(buf, len, &plen, NULL, NULL, NULL);
	if (rc == -ENODATA)
		plen = len;
	else if (rc)
		return 0;
	struct sdk_package pkg;
	struct sdk_caps caps = SDK_CAPS_DEFAULT;
	char *e = NULL;
	memset(&pkg, 0, sizeof pkg);
	rc = sdk_package_read(buf, plen, &caps, NULL, &pkg, &e);
	free(e);
	if (rc)
		return 0;
	uint32_t kind = pkg.manifest.desc.kind;
	sdk_package_free(&pkg);
	if (kind == SDK_KIND_EXTENSION)
		return 0;
	e = NULL;
	rc = xdrv_err(&e, -EINVAL, "is a driver, not an extension");
	return ext_fail_load(ctx, rc, e, label, err);
}

int ldr_ext_load_buf(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, const char *label,
		     const struct ldr_param_value *params, size_t nparams,
		     const struct ldr_ext_opts *opts, struct ldr_ext **out, char **err)
{
	struct ldr_compiled *c = NULL;
	*out = NULL;
	int rc0 = ldr_ext_refuse_driver(ctx, buf, len, label, err);
	if (rc0)
		return rc0;
	/* an extension is compiled whole, whatever the context's mode for drivers */
	uint32_t mode = ctx->cfg.jit_mode;
	ctx->cfg.jit_mode = LDR_JIT_EAGER;
	int rc = ldr_package_compile_mem(ctx, buf, len, label, params, nparams, &c, err);
	ctx->cfg.jit_mode = mode;
	if (!rc)
		rc = ldr_ext_load_compiled(ctx, c, opts, out, err);
	if (!rc && *out && !ldr_compiled_signature(c)) {
		/* unsigned (development): the package's bytes are its identity */
		unsigned int dl = 32;
		if (!buf || !EVP_Digest(buf, len, (*out)->digest, &dl, EVP_sha256(), NULL))
			memset((*out)->digest, 0, 32);
	}
	ldr_compiled_free(c);
	return rc;
}

int ldr_ext_load_file(struct ldr_ctx *ctx, const char *path, const struct ldr_param_value *params,
		      size_t nparams, const struct ldr_ext_opts *opts, struct ldr_ext **out,
		      char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = ldr_package_read(ctx, path, &buf, &len, err);
	if (!rc)
		rc = ldr_ext_load_buf(ctx, buf, len, ldr_package_base(path), params, nparams, opts,
				      out, err);
	free(buf);
	return rc;
}

void ldr_ext_unload(struct ldr_ext *e)
{
	if (!e)
		return;
	ldr_ext_tables_free(e);
	ldr_image_unload(e->img);
	free(e->name);
	free(e->version);
	free(e);
}

const char *ldr_ext_name(const struct ldr_ext *e)
{
	return e && e->name ? e->name : "";
}

const char *ldr_ext_version(const struct ldr_ext *e)
{
	return e && e->version ? e->version : "";
}

uint32_t ldr_ext_hooks(const struct ldr_ext *e)
{
	return e ? e->hooks : 0;
}

void ldr_ext_digest(const struct ldr_ext *e, uint8_t out[32])
{
	if (e)
		memcpy(out, e->digest, 32);
	else
		memset(out, 0, 32);
}

/* ---- running ------------------------------------------------------------------------------ */
static int32_t verdict_check(struct ldr_ext *e, int32_t v, uint32_t hook)
{
	switch (v) {
	case XDRV_EXT_PASS:
		e->st.pass++;
		return v;
	case XDRV_EXT_DROP:
		e->st.drop++;
		return v;
	case XDRV_EXT_TX:
		if (hook != XDRV_EXT_HOOK_TX) {
			e->st.tx++;
			return v;
		}
		snprintf(e->failure, sizeof e->failure,
			 "verdict TX (2) on the transmit hook: TX is for received frames only");
		break;
	default:
		if ((v & ~0xff) == 0x100 && (uint32_t)(v & 0xff) < XDRV_EXT_CLASSES) {
			e->st.classed++;
			return v;
		}
		snprintf(e->failure, sizeof e->failure,
			 "verdict %d (%#x) is none of PASS, DROP, TX, CLASS(0..%u)", v, (unsigned)v,
			 XDRV_EXT_CLASSES - 1);
		break;
	}
	e->failed = 1;
	e->fail_rc = -EPROTO;
	return -EPROTO;
}

/* The batch: one fault guard, one current run and one pair of clock readings for all n frames;
 * the budget counter and the depth are reset before each frame, so the budget stays per packet.
 * A stop or a fault in frame k fails the extension: frames before k keep their verdicts (and
 * their counts), k and the frames after it get the status (they are not run). */
LDR_CALLS_DRIVER uint32_t ldr_ext_run_batch(struct ldr_ext *e, uint8_t *const *frames,
					    const uint32_t *lens, uint32_t n,
					    const struct ldr_ext_meta *m, int32_t *out)
{
	if (!e || e->failed) {
		for (uint32_t i = 0; i < n; i++)
			out[i] = e ? e->fail_rc : -EINVAL;
		return 0;
	}
	if (!n)
		return 0;
	struct ldr_ext_run r = {.e = e, .meta = m};
	struct ldr_ext_run *prev;
	struct xdrv_guard g;
	volatile uint32_t i = 0; /* read after a jump out of run() */
	uint32_t hook = m ? m->hook : XDRV_EXT_HOOK_RX;
	struct ldr_budget_state *bs = e->bstate;
	const uint64_t start = LDR_EXT_BUDGET_MAX - e->budget;
	ldr_ext_run_begin(&r, &prev);
	uint64_t t0 = xdrv_now_ns();
	xdrv_guard_push(&g);
	if (sigsetjmp(g.jb, 0) == 0) {
		for (uint32_t k = 0; k < n; k++) {
			i = k;
			r.frame = frames[k];
			r.len = frames[k] ? lens[k] : 0;
			bs->used = start;
			bs->depth = 0;
			e->st.runs++;
			int32_t v = verdict_check(e, e->run(ldr_ext_handle(&r)), hook);
			out[k] = v;
			if (v < 0)
				break;
		}
		if (!e->failed)
			i = n;
	} else if (g.signo != XDRV_GUARD_STOP || !e->failed) {
		/* a hardware fault in its code */
		snprintf(e->failure, sizeof e->failure, "faulted: %s at address %#lx",
			 xdrv_guard_signame(g.signo), (unsigned long)g.addr);
		e->failed = 1;
		e->fail_rc = -EFAULT;
	}
	xdrv_guard_pop(&g);
	e->st.run_ns += xdrv_now_ns() - t0;
	ldr_ext_run_end(prev);
	uint32_t done = i;
	if (e->failed) {
		e->st.failed = 1;
		for (uint32_t k = done; k < n; k++)
			out[k] = e->fail_rc;
	}
	return done;
}

int32_t ldr_ext_run(struct ldr_ext *e, uint8_t *frame, uint32_t len, const struct ldr_ext_meta *m)
{
	int32_t v = -EINVAL;
	ldr_ext_run_batch(e, &frame, &len, 1, m, &v);
	return v;
}

int ldr_ext_writes(const struct ldr_ext *e)
{
	return !e || e->writes;
}

const char *ldr_ext_failure(const struct ldr_ext *e)
{
	return e && e->failed ? e->failure : NULL;
}

void ldr_ext_stats(const struct ldr_ext *e, struct ldr_ext_stats *st)
{
	if (e)
		*st = e->st;
	else
		memset(st, 0, sizeof *st);
}

/* ---- tables from the host's side ---------------------------------------------------------- */
uint32_t ldr_ext_table_count(const struct ldr_ext *e)
{
	return e ? e->ntables : 0;
}

int ldr_ext_table_find(const struct ldr_ext *e, const char *name)
{
	for (uint32_t i = 0; e && name && i < e->ntables; i++)
		if (strcmp(e->tables[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

const char *ldr_ext_table_name(const struct ldr_ext *e, uint32_t table)
{
	return e && table < e->ntables ? e->tables[table].name : "";
}

uint32_t ldr_ext_table_kind(const struct ldr_ext *e, uint32_t table)
{
	return e && table < e->ntables ? e->tables[table].kind : 0;
}

int ldr_ext_table_set(struct ldr_ext *e, uint32_t table, uint64_t key, uint64_t value)
{
	if (!e || table >= e->ntables)
		return -ERANGE;
	return ldr_ext_tab_store(&e->tables[table], key, value, NULL);
}

int ldr_ext_table_get(const struct ldr_ext *e, uint32_t table, uint64_t key, uint64_t *value)
{
	*value = 0;
	if (!e || table >= e->ntables)
		return -ERANGE;
	return ldr_ext_tab_lookup(&e->tables[table], key, value);
}

int ldr_ext_table_scan(const struct ldr_ext *e, uint32_t table,
		       int (*fn)(void *arg, uint64_t key, uint64_t value), void *arg)
{
	if (!e || table >= e->ntables)
		return -ERANGE;
	const struct ldr_ext_table *t = &e->tables[table];
	if (t->kind == XDRV_EXT_TABLE_ARRAY) {
		for (uint32_t k = 0; k < t->max; k++)
			if (t->vals[k]) {
				int rc = fn(arg, k, t->vals[k]);
				if (rc)
					return rc;
			}
		return 0;
	}
	for (uint32_t i = 0; i < t->cap; i++)
		if (t->used[i]) {
			int rc = fn(arg, t->keys[i], t->vals[i]);
			if (rc)
				return rc;
		}
	return 0;
}
