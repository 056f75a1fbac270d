// SPDX-License-Identifier: MIT
/* Tests for common/cli.c: help detection, option errors with did-you-mean, colour only on a
 * terminal with NO_COLOR honoured. */
#define _XOPEN_SOURCE 600 /* posix_openpt, grantpt, unlockpt, ptsname: before any header */
#include "../xtest.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/cli.h>

static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
				     {"store", required_argument, NULL, 's'},
				     {"time-floor", required_argument, NULL, 't'},
				     {NULL, 0, NULL, 0}};

/* Run xdrv_cli_option_error with stderr sent to a file; return what it printed. */
static char *option_error_text(const char *arg, int *rc)
{
	const char *p = xtest_path("%s/stderr", xtest_tmpdir());
	fflush(stderr);
	int saved = dup(2);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	*rc = xdrv_cli_option_error("list", opts, arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	static char buf[512];
	FILE *f = fopen(p, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	return buf;
}

static void test_option_error_suggests_the_closest_long_option(void)
{
	int rc = 0;
	const char *t = option_error_text("--jsn", &rc);
	CU_ASSERT_EQUAL(rc, 2);
	CU_ASSERT_STRING_EQUAL(t, "xdrv list: unknown option --jsn (did you mean --json?); try "
				  "'xdrv list --help'\n");
	t = option_error_text("--time-flor=2030-01-01", &rc);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "(did you mean --time-floor?)"));
}

static void test_option_error_without_a_close_option_names_only_the_argument(void)
{
	int rc = 0;
	const char *t = option_error_text("--frobnicate", &rc);
	CU_ASSERT_EQUAL(rc, 2);
	CU_ASSERT_STRING_EQUAL(t,
			       "xdrv list: unknown option --frobnicate; try 'xdrv list --help'\n");
}

static void test_option_error_tells_a_missing_value_from_an_unknown_option(void)
{
	int rc = 0;
	CU_ASSERT_PTR_NOT_NULL(
		strstr(option_error_text("--store", &rc), "missing value for --store"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(option_error_text("--json=1", &rc), "takes no value: --json=1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(option_error_text("-x", &rc), "unknown option or missing"));
}

static void test_color_only_on_a_terminal_and_without_no_color(void)
{
	FILE *file = tmpfile();
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	unsetenv("NO_COLOR");
	setenv("TERM", "xterm", 1);
	CU_ASSERT_FALSE(xdrv_cli_color_enabled(file)); /* a file or pipe: never */
	fclose(file);

	int m = posix_openpt(O_RDWR | O_NOCTTY);
	CU_ASSERT_FATAL(m >= 0);
	CU_ASSERT_EQUAL(grantpt(m), 0);
	CU_ASSERT_EQUAL(unlockpt(m), 0);
	int s = open(ptsname(m), O_RDWR | O_NOCTTY);
	CU_ASSERT_FATAL(s >= 0);
	FILE *tty = fdopen(s, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(tty);
	CU_ASSERT_TRUE(xdrv_cli_color_enabled(tty));
	setenv("NO_COLOR", "1", 1);
	CU_ASSERT_FALSE(xdrv_cli_color_enabled(tty));
	setenv("NO_COLOR", "", 1); /* no-color.org: only a non-empty value counts */
	CU_ASSERT_TRUE(xdrv_cli_color_enabled(tty));
	unsetenv("NO_COLOR");
	setenv("TERM", "dumb", 1);
	CU_ASSERT_FALSE(xdrv_cli_color_enabled(tty));
	fclose(tty);
	close(m);
}

XTEST_SUITE(common_cli, NULL, NULL, XTEST(test_option_error_suggests_the_closest_long_option),
	    XTEST(test_option_error_without_a_close_option_names_only_the_argument),
	    XTEST(test_option_error_tells_a_missing_value_from_an_unknown_option),
	    XTEST(test_color_only_on_a_terminal_and_without_no_color))
