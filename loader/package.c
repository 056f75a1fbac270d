// SPDX-License-Identifier: MIT
/*
 * What a driver's load and a live patch's read share (image.c, patch.c): reading a package file,
 * its signature and archive (steps 1-2 of a load), and making a module the host's (budgets,
 * triple, data layout: steps 4-5 short of the optimizer). Apart from image.c so that patch.c,
 * which tier.c calls, does not call back into image.c.
 */
#include "ldr_jit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xdrv/signer.h"
#include "xdrv/util.h"

int ldr_module_for_host(struct ldr_ctx *ctx, LLVMModuleRef m, int budget,
			LLVMTargetMachineRef *tm_out, char **err)
{
	int rc = 0;
	LLVMTargetMachineRef tm = NULL;
	/* budgets (budget.c): before the optimizer, so that it shapes the checks with the rest,
	 * and before a lazy split, so that every function's module is counted */
	if (budget == LDR_HOST_BUDGET_PATCH)
		rc = ldr_budget_instrument_patch(m, ctx->cfg.budget_edges, ctx->cfg.budget_depth,
						 NULL, err);
	else if (budget)
		rc = ldr_budget_instrument(m, ctx->cfg.budget_edges, ctx->cfg.budget_depth, NULL,
					   err);
	if (!rc && !(tm = ldr_host_tm(&ctx->host, ctx->cfg.opt_level, err)))
		rc = -ENOTSUP;
	if (!rc)
		rc = ldr_module_retarget(m, tm, ctx->host.triple, err);
	if (tm && (rc || !tm_out))
		LLVMDisposeTargetMachine(tm);
	else if (tm_out)
		*tm_out = tm;
	return rc;
}

int ldr_fail(struct ldr_ctx *ctx, int rc, char *e, char **err)
{
	ldr_ctx_set_error(ctx, e ? e : "failed");
	xdrv_err(err, rc, "%s", e ? e : "failed");
	free(e);
	return rc;
}

void ldr_caps_from(const struct ldr_config *cfg, struct sdk_caps *caps)
{
	struct sdk_caps def = SDK_CAPS_DEFAULT;
	*caps = def;
	if (cfg->max_entries)
		caps->max_entries = cfg->max_entries;
	if (cfg->max_entry_size)
		caps->max_entry_size = cfg->max_entry_size;
	if (cfg->max_total_size)
		caps->max_total_size = cfg->max_total_size;
}

int ldr_package_open(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, int extract,
		     struct sdk_package *pkg, struct sig_info *sig, int *sig_checked,
		     size_t *payload_len, uint64_t *verify_ns, char **err)
{
	size_t cms_off = 0, cms_len = 0;
	uint64_t t0 = xdrv_now_ns();
	memset(pkg, 0, sizeof *pkg);
	memset(sig, 0, sizeof *sig);
	*sig_checked = 0;
	*payload_len = 0;
	int rc = sig_trailer_parse(buf, len, payload_len, &cms_off, &cms_len, err);
	if (rc == -ENODATA) {
		if (err) {
			free(*err);
			*err = NULL;
		}
		if (!ctx->cfg.allow_unsigned)
			return xdrv_err(err, -EPERM, "unsigned, and this host requires signatures");
		*payload_len = len;
	} else if (rc) {
		xdrv_err_prefix(err, "signature");
		return rc;
	} else if (ctx->trust) {
		rc = sig_verify(ctx->trust, buf, len, sig, err);
		if (rc) {
			xdrv_err_prefix(err, "signature");
			return rc;
		}
		*payload_len = sig->payload_len;
		*sig_checked = 1;
	}
	/* else: signed, but this host pins no root (allow_unsigned without --trust): the
	 * payload is loaded exactly as an unsigned one would be, and reported as unchecked */
	if (verify_ns)
		*verify_ns = xdrv_now_ns() - t0;
	struct sdk_caps caps;
	ldr_caps_from(&ctx->cfg, &caps);
	return sdk_package_read(buf, *payload_len, &caps, extract ? ctx->cfg.extract_dir : NULL,
				pkg, err);
}

const char *ldr_package_base(const char *path)
{
	const char *base = strrchr(path, '/');
	return base ? base + 1 : path;
}

int ldr_package_read(struct ldr_ctx *ctx, const char *path, uint8_t **buf, size_t *len, char **err)
{
	char *e = NULL;
	/* the largest package the caps admit, plus tar headers, signature and trailer */
	struct sdk_caps caps;
	ldr_caps_from(&ctx->cfg, &caps);
	size_t max = (size_t)caps.max_total_size + (size_t)caps.max_entries * 1024u + (64u << 10) +
		     SIG_CMS_MAX + SIG_TRAILER_SIZE;
	int rc = xdrv_read_file(path, max, buf, len, &e);
	if (rc) {
		xdrv_err_prefix(&e, "package %s", ldr_package_base(path));
		return ldr_fail(ctx, rc, e, err);
	}
	return 0;
}
