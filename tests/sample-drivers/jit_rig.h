/* SPDX-License-Identifier: MIT */
/*
 * The rig the sample-driver suites share: load a signed sample package that `make` built
 * (<build>/pkg/NAME.xdrv, signed by <build>/pki) through the JIT, create its device model on the
 * native backend, bind, and capture the driver's log in `logbuf`. Header-only (static), one copy
 * per suite, like tests/loader/test_runtime_fixture.h.
 */
#ifndef XDRV_TEST_JIT_RIG_H
#define XDRV_TEST_JIT_RIG_H

#include "../xtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/hvb.h>
#include <xdrv/loader.h>
#include <xdrv/runtime.h>

static char logbuf[32768];
static size_t loglen;

static inline void capture_log(void *ctx, const char *driver, uint32_t level, const char *msg)
{
	(void)ctx;
	(void)level;
	int n = snprintf(logbuf + loglen, sizeof logbuf - loglen, "[%s] %s\n", driver, msg);
	if (n > 0 && (size_t)n < sizeof logbuf - loglen)
		loglen += (size_t)n;
}

struct rig {
	struct ldr_ctx *ctx;
	struct ldr_image *img;
	struct hvb_backend *be;
	struct hvb_device *dev;
	struct ldr_driver *drv;
};

/*
 * Load pkg (e.g. "hello.xdrv") in `mode` with `params`, create `model` with `config` (may be
 * NULL), run `before_bind(r, arg, &err)` if given (e.g. to attach a wire), bind. 0, or the
 * failing step's status with the message and the log on stderr.
 */
static inline int rig_start(struct rig *r, const char *pkg, uint32_t mode, const char *model,
			    const char *config, const struct ldr_param_value *params,
			    size_t nparams,
			    int (*before_bind)(struct rig *r, void *arg, char **err), void *arg)
{
	char *err = NULL;
	memset(r, 0, sizeof *r);
	loglen = 0;
	logbuf[0] = 0;
	ldr_runtime_set_log(capture_log, NULL);
	struct ldr_config cfg = {
		.trust_root = xtest_path("%s/pki/root.pem", xtest_build_dir()),
		.jit_mode = mode,
	};
	int rc = ldr_ctx_create(&cfg, &r->ctx, &err);
	if (rc == 0)
		rc = ldr_image_load_file(r->ctx, xtest_path("%s/pkg/%s", xtest_build_dir(), pkg),
					 params, nparams, &r->img, &err);
	if (rc == 0)
		rc = hvb_backend_create("native", NULL, &r->be, &err);
	if (rc == 0)
		rc = hvb_device_create(r->be, model, config, &r->dev, &err);
	if (rc == 0 && before_bind)
		rc = before_bind(r, arg, &err);
	if (rc == 0)
		rc = ldr_driver_bind(ldr_image_descriptor(r->img), r->dev, NULL, &r->drv, &err);
	if (rc != 0)
		fprintf(stderr, "start %s on %s: %s\nlog:\n%s", pkg, model, err ? err : "?",
			logbuf);
	free(err);
	return rc;
}

/* Unbind (reporting into rep, which may be NULL), destroy the device, unload, stop capturing. */
static inline void rig_stop(struct rig *r, struct ldr_unbind_report *rep)
{
	ldr_driver_unbind_report(r->drv, rep);
	r->drv = NULL;
	hvb_backend_destroy(r->be);
	ldr_image_unload(r->img);
	ldr_ctx_destroy(r->ctx);
	ldr_runtime_set_log(NULL, NULL);
}

#endif
