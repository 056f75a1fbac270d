// SPDX-License-Identifier: MIT
/*
 * The sample drivers end to end, in process: the signed packages that `make` built with our own
 * front end (<build>/pkg/NAME.xdrv, signed by <build>/pki) are verified, JIT-compiled eagerly and
 * lazily, bound to device models on the native backend, and must do their job: hello logs its
 * greeting, uart16550 transmits its banner through the 16550A model and echoes what it receives.
 */
#include "jit_rig.h"

#include <stdlib.h>
#include <string.h>
#include <xdrv/abi.h>
#include <xdrv/hvb.h>
#include <xdrv/loader.h>
#include <xdrv/runtime.h>
#include <xdrv/uart16550.h>

static void test_hello_runs_eager_and_logs_greeting(void)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(
		rig_start(&r, "hello.xdrv", LDR_JIT_EAGER, "null", NULL, NULL, 0, NULL, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "hello from a JIT-compiled xdrv driver"));
	rig_stop(&r, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "goodbye"));
}

static void test_hello_lazy_compiles_only_what_runs(void)
{
	struct rig r;
	CU_ASSERT_EQUAL_FATAL(
		rig_start(&r, "hello.xdrv", LDR_JIT_LAZY, "null", NULL, NULL, 0, NULL, NULL), 0);
	uint32_t compiled = ldr_image_compiled_functions(r.img);
	uint32_t total = ldr_image_total_functions(r.img);
	CU_ASSERT(compiled >= 1);
	CU_ASSERT(compiled < total); /* remove has not run yet */
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "hello from a JIT-compiled xdrv driver"));
	rig_stop(&r, NULL);
}

static void test_hello_param_out_of_range_is_refused(void)
{
	char *err = NULL;
	struct ldr_ctx *ctx = NULL;
	struct ldr_image *img = NULL;
	struct ldr_config cfg = {.trust_root = xtest_path("%s/pki/root.pem", xtest_build_dir())};
	struct ldr_param_value p = {"greeting_count", "99"};
	CU_ASSERT_EQUAL_FATAL(ldr_ctx_create(&cfg, &ctx, &err), 0);
	CU_ASSERT(ldr_image_load_file(ctx, xtest_path("%s/pkg/hello.xdrv", xtest_build_dir()), &p,
				      1, &img, &err) < 0);
	CU_ASSERT_PTR_NULL(img);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "greeting_count") : NULL);
	free(err);
	ldr_ctx_destroy(ctx);
}

static size_t uart_output(struct rig *r, char *out, size_t cap)
{
	for (int i = 0; i < 200; i++)
		ldr_driver_dispatch(r->drv);
	size_t n = hvb_uart_take_output(r->dev, (uint8_t *)out, cap - 1);
	out[n] = 0;
	return n;
}

static void uart_roundtrip(uint32_t mode)
{
	struct rig r;
	struct ldr_param_value p = {"baud", "9600"};
	CU_ASSERT_EQUAL_FATAL(
		rig_start(&r, "uart16550.xdrv", mode, "uart16550", NULL, &p, 1, NULL, NULL), 0);
	char out[4096];
	uart_output(&r, out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "xdrv uart16550"));
	const char *in = "ping\r";
	CU_ASSERT_EQUAL(hvb_uart_receive(r.dev, (const uint8_t *)in, strlen(in)), strlen(in));
	uart_output(&r, out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "ping"));	/* echo=1 by default */
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "ping")); /* the driver logs each received line */
	rig_stop(&r, NULL);
}

static void test_uart_eager_transmits_banner_and_echoes(void)
{
	uart_roundtrip(LDR_JIT_EAGER);
}
static void test_uart_lazy_transmits_banner_and_echoes(void)
{
	uart_roundtrip(LDR_JIT_LAZY);
}

XTEST_SUITE(sample_drivers, NULL, NULL, XTEST(test_hello_runs_eager_and_logs_greeting),
	    XTEST(test_hello_lazy_compiles_only_what_runs),
	    XTEST(test_hello_param_out_of_range_is_refused),
	    XTEST(test_uart_eager_transmits_banner_and_echoes),
	    XTEST(test_uart_lazy_transmits_banner_and_echoes))
