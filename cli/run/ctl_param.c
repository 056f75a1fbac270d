// SPDX-License-Identifier: MIT
/*
 * `xdrv param list|status|set` against a running `xdrv run --in-process --control`: the
 * requests "param list", "param status" and "param set DRIVER NAME VALUE" of the control socket
 * (ctl.c), served on the driver's thread between two dispatches. In a driver domain the
 * supervisor serves them (ctl_swap.c) and prints its answers with the same functions here.
 *
 * set re-specializes (ldr_image_param_set: the value checked against the declared range and the
 * XDRV_PARAM_F_LIVE flag, the whole module compiled again in the background with the value
 * folded in) and answers at once; the swap happens at the next dispatch or the next "param
 * status", whichever comes first (status polls the loader's swaps: it is served between two
 * dispatches, so a driver with nothing to do still gets its new code). The client
 * (cli/cmd_param.c) asks for status until the swap is live or failed.
 */
#include "ctl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/driver.h>
#include <xdrv/loader.h>
#include <xdrv/sdk.h>

static const char *const no_swaps =
	"code swaps (re-specialization, live patches) need the driver compiled by xdrv, eagerly "
	"(--jit eager, the default): this run's driver runs natively or is compiled lazily, where "
	"code is not swapped";

static const char *state_name(uint32_t s)
{
	static const char *const names[] = {"none", "compiling", "ready", "live", "failed"};
	return s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static const char *type_name(uint32_t t)
{
	static const char *const names[] = {"?", "u32", "u64", "i32", "i64", "bool"};
	return t < sizeof names / sizeof names[0] ? names[t] : "?";
}

static void value_text(const struct sdk_param *p, uint64_t v, char *buf, size_t n)
{
	if (p->type == XDRV_PARAM_I32 || p->type == XDRV_PARAM_I64)
		snprintf(buf, n, "%" PRId64, (int64_t)v);
	else
		snprintf(buf, n, "%" PRIu64, v);
}

void run_ctl_params_print(FILE *f, const struct sdk_param *params, size_t n, const uint64_t *vals)
{
	for (size_t i = 0; i < n; i++) {
		const struct sdk_param *p = &params[i];
		char v[32], lo[32], hi[32];
		value_text(p, vals ? vals[i] : p->def, v, sizeof v);
		value_text(p, p->min, lo, sizeof lo);
		value_text(p, p->max, hi, sizeof hi);
		fprintf(f, "%s %s %s %s..%s %s\n", p->name, v,
			(p->flags & XDRV_PARAM_F_LIVE) ? "live" : "fixed", lo, hi,
			type_name(p->type));
	}
}

static void do_list(struct ldr_image *img, FILE *f)
{
	const struct sdk_manifest *m = ldr_image_manifest(img);
	size_t nv = 0;
	const uint64_t *vals = ldr_image_param_values(img, &nv);
	if (m)
		run_ctl_params_print(f, m->desc.params, m->desc.nparams,
				     nv >= m->desc.nparams ? vals : NULL);
	fprintf(f, "ok\n");
}

void run_ctl_status_print(FILE *f, const char *name, const struct ldr_tier_info *ti)
{
	char dig[65] = "-";
	if (ti->state == LDR_TIER_LIVE && ti->generation > 0)
		for (int i = 0; i < 32; i++)
			snprintf(dig + 2 * i, 3, "%02x", ti->obj_sha256[i]);
	fprintf(f,
		"driver %s swappable %s generation %u state %s swap %s object %s compile_ms "
		"%.1f swap_us %.1f\n",
		name, ti->swappable ? "yes" : "no", ti->generation, state_name(ti->state),
		ldr_swap_name(ti->what), dig, (double)ti->compile_ns / 1e6,
		(double)ti->swap_ns / 1e3);
	if (ti->what)
		fprintf(f, "change %s\n", ti->change);
	if (ti->state == LDR_TIER_FAILED)
		fprintf(f, "failed %s\n", ti->error);
	fprintf(f, "ok\n");
}

static void do_status(struct ldr_image *img, FILE *f)
{
	ldr_tier_poll(); /* between two dispatches: a swap that is ready goes live now */
	struct ldr_tier_info ti;
	ldr_image_tier_info(img, &ti);
	run_ctl_status_print(f, ldr_image_name(img), &ti);
}

static void do_set(struct ldr_image *img, FILE *f, char *args)
{
	char *save = NULL;
	char *drv = strtok_r(args, " ", &save);
	char *name = strtok_r(NULL, " ", &save);
	char *value = strtok_r(NULL, " ", &save);
	if (!drv || !name || !value || strtok_r(NULL, " ", &save)) {
		fprintf(f, "error: param set wants DRIVER NAME VALUE\n");
		return;
	}
	const char *running = ldr_image_name(img);
	if (strcmp(drv, running) != 0) {
		fprintf(f, "error: this run drives %s, not %s\n", running, drv);
		return;
	}
	char *err = NULL;
	int rc = ldr_image_param_set(img, name, value, &err);
	if (rc)
		fprintf(f, "error: %s\n", err ? err : "param set failed");
	else
		fprintf(f, "compiling %s=%s\nok\n", name, value);
	free(err);
}

/* "REQUEST" or "REQUEST DRIVER": 1 when it asks for this run's driver (or none), else the error
 * said into f and 0. */
static int is_request(struct ldr_image *img, FILE *f, const char *args, const char *req)
{
	size_t n = strlen(req);
	if (strncmp(args, req, n) != 0 || (args[n] && args[n] != ' '))
		return 0;
	if (args[n] && strcmp(args + n + 1, ldr_image_name(img)) != 0) {
		fprintf(f, "error: this run drives %s, not %s\n", ldr_image_name(img),
			args + n + 1);
		return -1;
	}
	return 1;
}

void run_ctl_patches_print(FILE *f, const char *name, const struct ldr_patch_info *info, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char hex[65];
		for (int k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", info[i].sha256[k]);
		fprintf(f, "%zu %s %s %s functions=%u\n", i + 1, name, info[i].version, hex,
			info[i].functions);
	}
}

static void patch_list(struct ldr_image *img, FILE *f)
{
	struct ldr_patch_info info[64];
	size_t n = ldr_image_patches(img, info, sizeof info / sizeof info[0]);
	run_ctl_patches_print(f, ldr_image_name(img), info,
			      n < sizeof info / sizeof info[0] ? n : sizeof info / sizeof info[0]);
	fprintf(f, "ok\n");
}

void run_ctl_patch(struct ldr_image *img, FILE *f, char *args)
{
	if (!img) {
		fprintf(f, "error: %s\n", no_swaps);
		return;
	}
	char *err = NULL;
	int rc = 0, list = is_request(img, f, args, "list"), rev = 0;
	if (list < 0 || (!list && (rev = is_request(img, f, args, "revert")) < 0))
		return;
	if (list) {
		patch_list(img, f);
		return;
	} else if (!strncmp(args, "apply ", 6) && args[6] == '/') {
		rc = ldr_image_patch_apply(img, args + 6, &err);
	} else if (!strncmp(args, "apply ", 6)) {
		fprintf(f, "error: patch apply wants an absolute path\n");
		return;
	} else if (rev) {
		rc = ldr_image_patch_revert(img, &err);
	} else {
		fprintf(f, "error: unknown patch request (list [DRIVER], apply PATH, revert "
			   "[DRIVER])\n");
		return;
	}
	if (rc)
		fprintf(f, "error: %s\n", err ? err : "patch failed");
	else
		fprintf(f, "compiling\nok\n");
	free(err);
}

void run_ctl_param(struct ldr_image *img, FILE *f, char *args)
{
	if (!img) {
		fprintf(f, "error: %s\n", no_swaps);
		return;
	}
	int list = is_request(img, f, args, "list"), status = 0;
	if (list < 0 || (!list && (status = is_request(img, f, args, "status")) < 0))
		return;
	if (list)
		do_list(img, f);
	else if (status)
		do_status(img, f);
	else if (!strncmp(args, "set ", 4))
		do_set(img, f, args + 4);
	else
		fprintf(f,
			"error: unknown param request (list [DRIVER], status [DRIVER], set DRIVER "
			"NAME VALUE)\n");
}
