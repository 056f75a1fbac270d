// SPDX-License-Identifier: MIT
/*
 * CUnit runner for every xdrv suite: registers the suites that test files declared with
 * XTEST_SUITE, runs them (all, or those named on the command line), and prints CUnit's summary,
 * which CI reads. Exit status is non-zero if any assertion failed.
 */
#include "xtest.h"

#include <CUnit/Basic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SUITES 256

static struct {
	const char *name;
	int (*init)(void);
	int (*clean)(void);
	const struct xtest_case *cases;
} suites[MAX_SUITES];
static int nsuites;
static char tmproot[256];
static pid_t tmproot_pid; /* a forked child that calls exit() must not remove it */

void xtest_add(const char *suite, int (*init)(void), int (*clean)(void),
	       const struct xtest_case *cases)
{
	if (nsuites == MAX_SUITES) {
		fprintf(stderr, "xtest: too many suites (raise MAX_SUITES)\n");
		exit(2);
	}
	suites[nsuites].name = suite;
	suites[nsuites].init = init;
	suites[nsuites].clean = clean;
	suites[nsuites].cases = cases;
	nsuites++;
}

const char *xtest_build_dir(void)
{
	const char *b = getenv("XDRV_BUILD");
	return b && *b ? b : "build";
}

const char *xtest_tmpdir(void)
{
	static char dir[300];
	static unsigned n;
	if (!tmproot[0]) {
		snprintf(tmproot, sizeof tmproot, "/tmp/xdrv-test-XXXXXX");
		if (!mkdtemp(tmproot)) {
			perror("mkdtemp");
			exit(2);
		}
		tmproot_pid = getpid();
	}
	snprintf(dir, sizeof dir, "%s/t%u", tmproot, n++);
	if (mkdir(dir, 0700) != 0) {
		perror("mkdir");
		exit(2);
	}
	return dir;
}

const char *xtest_path(const char *fmt, ...)
{
	static char bufs[8][1024];
	static unsigned i;
	char *b = bufs[i++ % 8];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, sizeof bufs[0], fmt, ap);
	va_end(ap);
	return b;
}

int xtest_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof cmd)
		return -1;
	int st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

unsigned char *xtest_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			unsigned char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, 4096, f);
		n += r;
		if (r < 4096)
			break;
	}
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

int xtest_write(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	int ok = fwrite(buf, 1, len, f) == len;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

static void cleanup_tmp(void)
{
	if (tmproot[0] && tmproot_pid == getpid() && !getenv("XTEST_KEEP")) {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmproot);
		if (system(cmd) != 0)
			fprintf(stderr, "xtest: could not remove %s\n", tmproot);
	}
}

static int wanted(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (int i = 0; i < nsuites; i++)
			printf("%s\n", suites[i].name);
		return 0;
	}
	atexit(cleanup_tmp);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (int i = 0; i < nsuites; i++) {
		if (!wanted(suites[i].name, argc, argv))
			continue;
		CU_pSuite s = CU_add_suite(suites[i].name, suites[i].init, suites[i].clean);
		if (!s)
			return 2;
		for (const struct xtest_case *c = suites[i].cases; c->name; c++)
			if (!CU_add_test(s, c->name, c->fn))
				return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed() +
			  CU_get_number_of_tests_failed();
	unsigned run = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	return (failed || run == 0) ? 1 : 0;
}
