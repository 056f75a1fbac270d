/* SPDX-License-Identifier: MIT */
/*
 * Shared by the runtime suites (test_runtime_*.c): a device on the native backend, and a log
 * sink that captures the runtime's and the drivers' lines so tests can count them and look for
 * the message they expect. Test drivers in these suites are natively compiled: they call the
 * real xdrv_* functions of the runtime, the path `xdrv run --native` takes.
 */
#ifndef XDRV_TEST_RUNTIME_FIXTURE_H
#define XDRV_TEST_RUNTIME_FIXTURE_H

#include "../xtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/abi.h>
#include <xdrv/hvb.h>
#include <xdrv/runtime.h>

struct rtf_log {
	int lines;
	char last[1200];
	char all[16384];
};

static struct rtf_log rtf_log;

static inline void rtf_sink(void *ctx, const char *driver, uint32_t level, const char *msg)
{
	struct rtf_log *l = ctx;
	(void)level;
	l->lines++;
	snprintf(l->last, sizeof l->last, "[%s] %s", driver, msg);
	size_t n = strlen(l->all);
	if (n + strlen(l->last) + 2 < sizeof l->all)
		snprintf(l->all + n, sizeof l->all - n, "%s\n", l->last);
}

/* Start capturing (clears what was captured). */
static inline void rtf_log_reset(void)
{
	memset(&rtf_log, 0, sizeof rtf_log);
	ldr_runtime_set_log(rtf_sink, &rtf_log);
}

static inline int rtf_logged(const char *needle)
{
	return strstr(rtf_log.all, needle) != NULL;
}

struct rtf_dev {
	struct hvb_backend *be;
	struct hvb_device *dev;
};

/* A device of `model` on the native backend; CUnit-asserts success. */
static inline struct rtf_dev rtf_dev_create(const char *model)
{
	struct rtf_dev f = {0};
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_backend_create("native", NULL, &f.be, &err), 0);
	if (hvb_device_create(f.be, model, NULL, &f.dev, &err) != 0) {
		fprintf(stderr, "device %s: %s\n", model, err ? err : "?");
		CU_FAIL_FATAL("hvb_device_create");
	}
	free(err);
	return f;
}

static inline void rtf_dev_destroy(struct rtf_dev *f)
{
	hvb_backend_destroy(f->be);
	f->be = NULL;
	f->dev = NULL;
}

/* Bind `desc` to f's device with no options; CUnit-asserts success. */
static inline struct ldr_driver *rtf_bind(const struct xdrv_driver *desc, struct rtf_dev *f)
{
	struct ldr_driver *drv = NULL;
	char *err = NULL;
	int rc = ldr_driver_bind(desc, f->dev, NULL, &drv, &err);
	if (rc)
		fprintf(stderr, "bind: %s\n", err ? err : "?");
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	free(err);
	return drv;
}

/* Run the driver until it has nothing to do (at most `max` rounds); events handled. */
static inline int rtf_run(struct ldr_driver *drv, int max)
{
	int total = 0, n;
	while (max-- > 0 && (n = ldr_driver_dispatch(drv)) > 0)
		total += n;
	return total;
}

#endif
