// SPDX-License-Identifier: MIT
/*
 * Code swaps across processes, the supervisor's side (issue 13; loader/README.md "Code swaps in
 * a driver domain and in a boot"). In process, an image keeps its bitcode and a thread compiles
 * generation N+1 (tier.c). Across processes the roles split as DESIGN.md's driver domains have
 * them:
 *
 *   supervisor (struct ldr_gen)         compiler process (fork)          driver host
 *   checks the change, keeps the        the package loaded again: the    links the object into the
 *   running values and live patches,    split's bitcode, generation N    running image, stores
 *   measures the object it receives --> compiled from it (tier.c)   -->  every slot at once
 *                                                                        (ldr_image_swap_generation)
 *
 * The supervisor parses no bitcode here either: a patch is read (signature, chain, revocation,
 * the base it names: ldr_patch_read_buf looks at its archive and manifest only) and handed to
 * the compiler process, which merges it. One change at a time, synchronously: the caller asks,
 * the compiler answers, the caller sends the record to the driver host and reports back with
 * ldr_gen_done. A change the host refused, or that failed to compile, changes nothing here.
 */
#include "ldr_jit.h"
#include "patch.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdrv/signer.h"
#include "xdrv/util.h"

struct ldr_gen {
	struct ldr_ctx *ctx;
	uint8_t *pkg; /* the package as loaded (copied) */
	size_t len;
	char *label, *name;
	struct ldr_param_value *pv; /* the load's parameters (copied): the split is specialized */
	size_t npv;		    /* with them, a generation's values are applied on top */
	struct sdk_param *params;   /* the descriptor's (names copied) */
	size_t nparams;
	uint64_t *live_vals, *job_vals;
	uint8_t payload[32]; /* SHA-256 of the package's payload: what a patch names */
	struct ldr_patch_set ps;
	uint32_t live_gen, next_gen, job_gen, what;
	int pending; /* a job compiled, not yet done */
	char change[160];
	char subject[65]; /* the digest of the patch the job applies or reverts, "" */
	int opt,
		job_opt; /* the opt level of the code that runs / of the job's; -1: the context's */
};

void ldr_gen_free(struct ldr_gen *g)
{
	if (!g)
		return;
	free(g->pkg);
	free(g->label);
	free(g->name);
	for (size_t i = 0; i < g->npv; i++) {
		free((char *)g->pv[i].name);
		free((char *)g->pv[i].value);
	}
	free(g->pv);
	for (size_t i = 0; i < g->nparams; i++)
		free(g->params[i].name);
	free(g->params);
	free(g->live_vals);
	free(g->job_vals);
	ldr_patch_set_free(&g->ps);
	free(g);
}

int ldr_gen_new(struct ldr_ctx *ctx, const uint8_t *pkg, size_t len, const char *label,
		const struct ldr_param_value *pv, size_t npv, const struct ldr_compiled *gen0,
		struct ldr_gen **out, char **err)
{
	*out = NULL;
	const struct sdk_manifest *m = ldr_compiled_manifest(gen0);
	size_t nv = 0;
	const uint64_t *vals = ldr_compiled_param_values(gen0, &nv);
	if (ldr_compiled_generation(gen0) != 0 || !m || nv != m->desc.nparams)
		return xdrv_err(err, -EINVAL, "%s: not the record of a load", label);
	struct ldr_gen *g = calloc(1, sizeof *g);
	if (!g)
		return xdrv_err(err, -ENOMEM, "out of memory");
	g->ctx = ctx;
	g->opt = g->job_opt = -1;
	g->len = len;
	g->next_gen = 1;
	g->npv = npv;
	g->nparams = nv;
	int bad = !(g->pkg = malloc(len ? len : 1)) || !(g->label = strdup(label)) ||
		  !(g->name = strdup(m->name ? m->name : label)) ||
		  !(g->pv = calloc(npv ? npv : 1, sizeof *g->pv)) ||
		  !(g->params = calloc(nv ? nv : 1, sizeof *g->params)) ||
		  !(g->live_vals = calloc(nv ? nv : 1, sizeof *g->live_vals)) ||
		  !(g->job_vals = calloc(nv ? nv : 1, sizeof *g->job_vals));
	for (size_t i = 0; !bad && i < npv; i++)
		bad = !(g->pv[i].name = strdup(pv[i].name)) ||
		      !(g->pv[i].value = strdup(pv[i].value));
	for (size_t i = 0; !bad && i < nv; i++) {
		g->params[i] = m->desc.params[i];
		g->params[i].desc = NULL;
		bad = !(g->params[i].name = strdup(m->desc.params[i].name));
		g->live_vals[i] = g->job_vals[i] = vals[i];
	}
	if (bad) {
		for (size_t i = 0; i < nv && g->params; i++) /* names not copied are NULL */
			if (!g->params[i].name)
				g->params[i].name = NULL;
		ldr_gen_free(g);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	memcpy(g->pkg, pkg, len);
	/* the payload: what the signature covers (the whole file of an unsigned package) */
	size_t plen = len;
	if (sig_trailer_parse(pkg, len, &plen, NULL, NULL, NULL) != 0)
		plen = len;
	unsigned int dl = 32;
	if (!EVP_Digest(pkg, plen, g->payload, &dl, EVP_sha256(), NULL)) {
		ldr_gen_free(g);
		return xdrv_err(err, -EIO, "%s: SHA-256 failed", label);
	}
	*out = g;
	return 0;
}

static void drop_job(struct ldr_gen *g)
{
	g->job_opt = -1;
	ldr_patch_set_drop(&g->ps);
	memcpy(g->job_vals, g->live_vals, g->nparams * sizeof *g->job_vals);
	g->pending = 0;
}

/* The job set up in g (values, patches, change): its generation compiled. */
static int compile_job(struct ldr_gen *g, uint32_t what, struct ldr_compiled **out, char **err)
{
	struct ldr_gen_job job = {
		.generation = g->next_gen,
		.values = g->job_vals,
		.nvalues = g->nparams,
		.patches = g->ps.job,
		.npatches = g->ps.njob,
	};
	/* the level the running code has (tier 2 raised it), or the job's own */
	struct ldr_config saved = g->ctx->cfg;
	int opt = g->job_opt >= 0 ? g->job_opt : g->opt;
	if (opt >= 0) {
		g->ctx->cfg.opt_level = (uint32_t)opt;
		g->ctx->cfg.tier = LDR_TIER_FULL;
	}
	int rc = ldr_package_compile_gen(g->ctx, g->pkg, g->len, g->label, g->pv, g->npv, &job, out,
					 err);
	g->ctx->cfg = saved;
	if (rc) {
		drop_job(g);
		return rc;
	}
	g->job_gen = g->next_gen++; /* never reused: a host may have linked a failed one */
	g->what = what;
	g->pending = 1;
	return 0;
}

static int busy(const struct ldr_gen *g, char **err)
{
	return g->pending ? xdrv_err(err, -EBUSY, "driver %s: %s is not finished yet", g->name,
				     g->change)
			  : 0;
}

int ldr_gen_param(struct ldr_gen *g, const char *name, const char *value, struct ldr_compiled **out,
		  char **err)
{
	size_t k = 0;
	uint64_t v = 0;
	*out = NULL;
	int rc = busy(g, err);
	if (!rc)
		rc = ldr_param_live_check(g->name, g->params, g->nparams, g->live_vals, name, value,
					  &k, &v, err);
	if (rc)
		return rc;
	memcpy(g->job_vals, g->live_vals, g->nparams * sizeof *g->job_vals);
	g->job_vals[k] = v;
	if (ldr_patch_set_job(&g->ps, NULL, 0))
		return xdrv_err(err, -ENOMEM, "out of memory");
	snprintf(g->change, sizeof g->change, "re-specialization (%s=%s)", g->params[k].name,
		 value);
	g->subject[0] = 0;
	return compile_job(g, LDR_SWAP_PARAM, out, err);
}

int ldr_gen_patch_apply(struct ldr_gen *g, const uint8_t *buf, size_t len, const char *label,
			const struct sig_revocation *rev, struct ldr_compiled **out, char **err)
{
	struct ldr_patch *p = NULL;
	*out = NULL;
	int rc = busy(g, err);
	if (!rc)
		rc = ldr_patch_read_buf(g->ctx, buf, len, label, g->payload, rev, &p, err);
	if (rc)
		return rc;
	if (strcmp(ldr_patch_name(p), g->name) != 0)
		rc = xdrv_err(err, -EINVAL, "patch %s is for driver %s, this is %s", label,
			      ldr_patch_name(p), g->name);
	if (!rc && ldr_patch_set_has(&g->ps, p))
		rc = xdrv_err(err, -EALREADY,
			      "driver %s: patch %s (sha256 %.16s...) is applied already", g->name,
			      label, ldr_patch_digest_hex(p));
	if (!rc && ldr_patch_set_job(&g->ps, p, 0))
		rc = xdrv_err(err, -ENOMEM, "out of memory");
	if (rc) {
		ldr_patch_free(p);
		return rc;
	}
	snprintf(g->subject, sizeof g->subject, "%s", ldr_patch_digest_hex(p));
	memcpy(g->job_vals, g->live_vals, g->nparams * sizeof *g->job_vals);
	snprintf(g->change, sizeof g->change, "live patch %s %s (sha256 %.16s...)",
		 ldr_patch_name(p), ldr_patch_version(p), ldr_patch_digest_hex(p));
	return compile_job(g, LDR_SWAP_PATCH, out, err);
}

int ldr_gen_patch_revert(struct ldr_gen *g, struct ldr_compiled **out, char **err)
{
	*out = NULL;
	int rc = busy(g, err);
	if (!rc && !g->ps.nlive)
		rc = xdrv_err(err, -ENOENT, "driver %s: no live patch is applied", g->name);
	if (rc)
		return rc;
	const struct ldr_patch *p = g->ps.live[g->ps.nlive - 1];
	if (ldr_patch_set_job(&g->ps, NULL, 1))
		return xdrv_err(err, -ENOMEM, "out of memory");
	memcpy(g->job_vals, g->live_vals, g->nparams * sizeof *g->job_vals);
	snprintf(g->subject, sizeof g->subject, "%s", ldr_patch_digest_hex(p));
	snprintf(g->change, sizeof g->change, "revert of live patch %s %s (sha256 %.16s...)",
		 ldr_patch_name(p), ldr_patch_version(p), ldr_patch_digest_hex(p));
	return compile_job(g, LDR_SWAP_REVERT, out, err);
}

int ldr_gen_tier2(struct ldr_gen *g, uint32_t opt_level, struct ldr_compiled **out, char **err)
{
	*out = NULL;
	int rc = busy(g, err);
	if (rc)
		return rc;
	if (opt_level > 3)
		return xdrv_err(err, -EINVAL, "driver %s: opt level %u (0..3)", g->name, opt_level);
	if (g->opt >= 0 && (uint32_t)g->opt == opt_level)
		return xdrv_err(err, -EALREADY, "driver %s: its code is at O%u already", g->name,
				opt_level);
	memcpy(g->job_vals, g->live_vals, g->nparams * sizeof *g->job_vals);
	if (ldr_patch_set_job(&g->ps, NULL, 0))
		return xdrv_err(err, -ENOMEM, "out of memory");
	snprintf(g->change, sizeof g->change, "tier 2 (O%u)", opt_level);
	g->subject[0] = 0;
	g->job_opt = (int)opt_level;
	return compile_job(g, LDR_SWAP_TIER2, out, err);
}

void ldr_gen_done(struct ldr_gen *g, int live)
{
	if (!g || !g->pending)
		return;
	if (!live) {
		drop_job(g);
		return;
	}
	memcpy(g->live_vals, g->job_vals, g->nparams * sizeof *g->live_vals);
	ldr_patch_set_commit(&g->ps);
	g->live_gen = g->job_gen;
	if (g->job_opt >= 0)
		g->opt = g->job_opt;
	g->job_opt = -1;
	g->pending = 0;
}

uint32_t ldr_gen_what(const struct ldr_gen *g)
{
	return g->what;
}

const char *ldr_gen_change(const struct ldr_gen *g)
{
	return g->change;
}

uint32_t ldr_gen_live(const struct ldr_gen *g)
{
	return g->live_gen;
}

const char *ldr_gen_name(const struct ldr_gen *g)
{
	return g->name;
}

const struct sdk_param *ldr_gen_params(const struct ldr_gen *g, const uint64_t **vals, size_t *n)
{
	*vals = g->live_vals;
	*n = g->nparams;
	return g->params;
}

size_t ldr_gen_patches(const struct ldr_gen *g, struct ldr_patch_info *out, size_t cap)
{
	return ldr_patch_set_info(&g->ps, out, cap);
}

const uint64_t *ldr_gen_job_values(const struct ldr_gen *g, size_t *n)
{
	*n = g->nparams;
	return g->pending ? g->job_vals : g->live_vals;
}

const char *ldr_gen_subject(const struct ldr_gen *g)
{
	return g->subject;
}
