// SPDX-License-Identifier: MIT
/*
 * The loader context: configuration, the pinned trust root, the host target, the one LLJIT
 * that every image of this context shares and the object cache, plus the last error
 * (ldr_errmsg), as libarchive keeps it in its handles. Loading itself is image.c; the JIT is jit.c.
 */
#include "ldr_jit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdrv/util.h"

void ldr_ctx_set_bindings(struct ldr_ctx *ctx, const struct ldr_abi_binding *b, size_t n)
{
	ctx->bindings = b;
	ctx->nbindings = n;
}

int ldr_ctx_create(const struct ldr_config *cfg, struct ldr_ctx **out, char **err)
{
	int rc;
	*out = NULL;
	if (!cfg)
		return xdrv_err(err, -EINVAL, "loader: no configuration");
	if (!cfg->trust_root && !cfg->allow_unsigned)
		return xdrv_err(err, -EINVAL,
				"loader: no trust root given, and unsigned packages "
				"are not allowed: give a root certificate (--trust)");
	if (cfg->jit_mode != LDR_JIT_EAGER && cfg->jit_mode != LDR_JIT_LAZY)
		return xdrv_err(err, -EINVAL, "loader: JIT mode %u: not eager (0) or lazy (1)",
				cfg->jit_mode);
	if (cfg->budget_edges > LDR_BUDGET_EDGES_MAX || cfg->budget_depth > LDR_BUDGET_DEPTH_MAX)
		return xdrv_err(err, -EINVAL,
				"loader: budget of %llu back edges / call depth %u: "
				"at most %llu / %u (0: none)",
				(unsigned long long)cfg->budget_edges, cfg->budget_depth,
				(unsigned long long)LDR_BUDGET_EDGES_MAX, LDR_BUDGET_DEPTH_MAX);
	if (cfg->tier > LDR_TIER_AUTO)
		return xdrv_err(err, -EINVAL, "loader: tier %u: not full (0), fast (1) or auto (2)",
				cfg->tier);
	if (cfg->swappable && cfg->jit_mode != LDR_JIT_EAGER)
		return xdrv_err(err, -EINVAL, "loader: swappable code needs eager mode (not lazy)");
	if (cfg->tier == LDR_TIER_AUTO && cfg->jit_mode != LDR_JIT_EAGER)
		return xdrv_err(err, -EINVAL, "loader: tier auto needs eager mode (not lazy)");
	if (cfg->opt_level > 3)
		return xdrv_err(err, -EINVAL, "loader: optimization level %u: out of range 0..3",
				cfg->opt_level);
	struct ldr_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return xdrv_err(err, -ENOMEM, "loader: out of memory");
	ctx->cfg = *cfg;
	if (cfg->trust_root && !(ctx->trust_root = strdup(cfg->trust_root)))
		goto out_nomem;
	if (cfg->extract_dir && !(ctx->extract_dir = strdup(cfg->extract_dir)))
		goto out_nomem;
	if (!(ctx->cache_policy = strdup(cfg->cache_policy ? cfg->cache_policy : "none")))
		goto out_nomem;
	ctx->cfg.trust_root = ctx->trust_root;
	ctx->cfg.extract_dir = ctx->extract_dir;
	ctx->cfg.cache_dir = NULL; /* the cache keeps its own copy */
	ctx->cfg.cache_policy = ctx->cache_policy;
	if (cfg->tier == LDR_TIER_FAST)
		ctx->cfg.opt_level = 0; /* O0, fast instruction selection: the cache key says so */
	if (ctx->trust_root) {
		rc = sig_trust_create(ctx->trust_root, cfg->time_floor, &ctx->trust, err);
		if (rc) {
			xdrv_err_prefix(err, "loader: trust root %s", ctx->trust_root);
			goto out_destroy;
		}
	}
	rc = ldr_host_init(&ctx->host, err);
	if (rc)
		goto out_destroy;
	/* tier auto: the session compiles tier 1 (O0); tier 2 is compiled aside (tier.c) */
	rc = ldr_jit_create(ctx, cfg->tier == LDR_TIER_AUTO ? 0 : ctx->cfg.opt_level, err);
	if (rc)
		goto out_destroy;
	unsigned maj = 0, min = 0, pat = 0;
	LLVMGetVersion(&maj, &min, &pat);
	snprintf(ctx->llvm_version, sizeof ctx->llvm_version, "%u.%u.%u", maj, min, pat);
	if (cfg->cache_dir &&
	    (rc = ldr_cache_open(cfg->cache_dir, cfg->cache_max_bytes, 0, &ctx->cache, err)))
		goto out_destroy;
	ctx->bindings = ldr_abi_bindings(&ctx->nbindings);
	ctx->rt_bindings = ldr_rt_bindings(&ctx->nrt_bindings);
	*out = ctx;
	return 0;

out_nomem:
	rc = xdrv_err(err, -ENOMEM, "loader: out of memory");
out_destroy:
	ldr_ctx_destroy(ctx);
	return rc;
}

void ldr_ctx_destroy(struct ldr_ctx *ctx)
{
	if (!ctx)
		return;
	while (ctx->images)
		ldr_image_unload(ctx->images);
	ldr_jit_destroy(ctx);
	ldr_cache_close(ctx->cache);
	free(ctx->cache_policy);
	ldr_host_fini(&ctx->host);
	sig_trust_destroy(ctx->trust);
	free(ctx->trust_root);
	free(ctx->extract_dir);
	free(ctx);
}

void ldr_ctx_drop_cache(struct ldr_ctx *ctx)
{
	if (!ctx)
		return;
	ldr_cache_close(ctx->cache);
	ctx->cache = NULL;
}

const char *ldr_errmsg(const struct ldr_ctx *ctx)
{
	return ctx ? ctx->errmsg : "";
}

const char *ldr_host_description(const struct ldr_ctx *ctx)
{
	return ctx && ctx->host.description ? ctx->host.description : "";
}

const char *ldr_host_triple(const struct ldr_ctx *ctx)
{
	return ctx && ctx->host.triple ? ctx->host.triple : "";
}

const char *ldr_host_cpu(const struct ldr_ctx *ctx)
{
	return ctx && ctx->host.cpu ? ctx->host.cpu : "";
}

uint32_t ldr_ctx_opt_level(const struct ldr_ctx *ctx)
{
	return ctx ? ctx->cfg.opt_level : 0;
}

void ldr_ctx_set_revocation(struct ldr_ctx *ctx, const struct sig_revocation *rev)
{
	if (ctx)
		ctx->revocation = rev;
}
