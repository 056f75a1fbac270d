// SPDX-License-Identifier: MIT
/*
 * Tests for loader/cmd_run.c, through the built front end (<build>/bin/xdrv): natively compiled
 * sample drivers (`--native`, built here with clang into the test's temporary folder) run on
 * the null and uart16550 models, with their output, input, parameters and summary; usage errors
 * exit 2 and failures exit 1 with a message naming the problem. The JIT path of `xdrv run` is
 * covered with the signed sample packages by the e2e and sample-driver suites.
 */
#include "../xtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *out_file;

/* Run `xdrv run ARGS` with stdout+stderr into out_file; the exit status. */
#define RUN(...) xtest_sh("%s/bin/xdrv run " __VA_ARGS__)
static char *output(void)
{
	size_t n = 0;
	char *s = (char *)xtest_read(out_file, &n);
	return s ? s : strdup("");
}

static const char *native_so(const char *name)
{
	static char path[2][512];
	static int i;
	char *p = path[i++ % 2];
	snprintf(p, sizeof path[0], "%s/%s.so", xtest_tmpdir(), name);
	int rc = xtest_sh(
		"clang-19 -shared -fPIC -O2 -std=c11 -ffreestanding -I%s/driver-abi/include "
		"%s/sample-drivers/%s/%s.c -o %s",
		XDRV_SRCDIR, XDRV_SRCDIR, name, name, p);
	CU_ASSERT_EQUAL(rc, 0);
	return p;
}

static void test_run_native_hello_logs_and_summarizes(void)
{
	const char *so = native_so("hello");
	out_file = xtest_path("%s/out", xtest_tmpdir());
	CU_ASSERT_EQUAL(RUN("--native %s --device null --param greeting_count=2 >%s 2>&1",
			    xtest_build_dir(), so, out_file),
			0);
	char *o = output();
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "[hello] hello from a JIT-compiled xdrv driver (2 of 2)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "[hello] goodbye from hello, after 2 greetings"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "driver      hello 1.0.0 on null.0 (native backend)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "from start of load until probe returned"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "unbind released 0 bytes in 0 blocks"));
	free(o);
}

static void test_run_native_uart_transmits_and_echoes_input(void)
{
	const char *so = native_so("uart16550");
	out_file = xtest_path("%s/out", xtest_tmpdir());
	CU_ASSERT_EQUAL(RUN("--native %s --device uart16550 --input 'ping\\nx\\x41y\\n' >%s 2>&1",
			    xtest_build_dir(), so, out_file),
			0);
	char *o = output();
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "uart> xdrv uart16550: hello over the wire"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "received line \"ping\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "uart> ping\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "uart> xAy\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "bytes transmitted, 9 bytes received"));
	free(o);
}

static void test_run_reports_bind_failures(void)
{
	const char *so = native_so("hello");
	out_file = xtest_path("%s/out", xtest_tmpdir());
	CU_ASSERT_EQUAL(
		RUN("--native %s --device uart16550 >%s 2>&1", xtest_build_dir(), so, out_file), 1);
	char *o = output();
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "xdrv run: hello: does not match device uart16550 "
					 "(platform, compatible \"ns16550a\")"));
	free(o);
	CU_ASSERT_EQUAL(RUN("--native %s --device null --param greeting_count=9 >%s 2>&1",
			    xtest_build_dir(), so, out_file),
			1);
	o = output();
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "parameter greeting_count: 9 out of range 1..8"));
	free(o);
	CU_ASSERT_EQUAL(RUN("--native %s/nonexistent.so --device null >%s 2>&1", xtest_build_dir(),
			    xtest_tmpdir(), out_file),
			1);
	CU_ASSERT_EQUAL(
		RUN("--native %s --device nosuchmodel >%s 2>&1", xtest_build_dir(), so, out_file),
		1);
	o = output();
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "nosuchmodel"));
	free(o);
}

static void test_run_usage_errors_exit_2_and_help_lists_models(void)
{
	out_file = xtest_path("%s/out", xtest_tmpdir());
	CU_ASSERT_EQUAL(RUN("--allow-unsigned x.xdrv >%s 2>&1", xtest_build_dir(), out_file), 2);
	char *o = output();
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "--device MODEL is required"));
	free(o);
	/* no trust root anywhere (no --trust, no $XDRV_TRUST, no store's): a usage error */
	CU_ASSERT_EQUAL(xtest_sh("env -u XDRV_TRUST XDRV_STORE='%s/no-store' %s/bin/xdrv run "
				 "--device null x.xdrv >%s 2>&1",
				 xtest_tmpdir(), xtest_build_dir(), out_file),
			2);
	o = output();
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "no package trust root: give --trust root.pem, set "
					 "XDRV_TRUST, or copy the root certificate to"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "(or --allow-unsigned for development)"));
	free(o);
	CU_ASSERT_EQUAL(RUN("--allow-unsigned --device null --for 0 x.xdrv >%s 2>&1",
			    xtest_build_dir(), out_file),
			2);
	CU_ASSERT_EQUAL(RUN("--allow-unsigned --device null --eager --lazy x >%s 2>&1",
			    xtest_build_dir(), out_file),
			2);
	CU_ASSERT_EQUAL(
		RUN("--native a.so --device null x.xdrv >%s 2>&1", xtest_build_dir(), out_file), 2);
	CU_ASSERT_EQUAL(RUN("--allow-unsigned --device uart16550 --input 'bad\\q' x >%s 2>&1",
			    xtest_build_dir(), out_file),
			2);
	CU_ASSERT_EQUAL(RUN("--help >%s 2>&1", xtest_build_dir(), out_file), 0);
	o = output();
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "device models:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "  uart16550 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(o, "  native "));
	free(o);
}

/* The suite needs the front end: say so plainly instead of failing every test. */
static int need_xdrv(void)
{
	const char *x = xtest_path("%s/bin/xdrv", xtest_build_dir());
	if (access(x, X_OK) == 0)
		return 0;
	fprintf(stderr, "loader_cmd_run: %s is not built (make O=%s %s)\n", x, xtest_build_dir(),
		x);
	return 1;
}

XTEST_SUITE(loader_cmd_run, need_xdrv, NULL, XTEST(test_run_native_hello_logs_and_summarizes),
	    XTEST(test_run_native_uart_transmits_and_echoes_input),
	    XTEST(test_run_reports_bind_failures),
	    XTEST(test_run_usage_errors_exit_2_and_help_lists_models))
