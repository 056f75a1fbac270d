// SPDX-License-Identifier: MIT
/*
 * Tests for cli/llvm_lazy.c, the loader of libLLVM behind the `xdrv` program's generated stubs:
 * it resolves what is asked, and a missing library or symbol is one line naming it and exit
 * status 1 (in a forked child, as the program would end). That no command but the compiling
 * ones loads LLVM is tests/e2e/cli.sh's (LD_DEBUG).
 */
#include <llvm/Config/llvm-config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../cli/llvm_lazy.h"
#include "../xtest.h"

#define SONAME "libLLVM.so." LLVM_VERSION_STRING_MAJOR_MINOR

/* "19.1": the soname's version, from the headers this test is compiled with */
#define STR2(x)				#x
#define STR(x)				STR2(x)
#define LLVM_VERSION_STRING_MAJOR_MINOR STR(LLVM_VERSION_MAJOR) "." STR(LLVM_VERSION_MINOR)

/* Run xdrv_llvm_lazy_load(soname, names) in a child; its exit status, stderr in *msg. */
static int load_in_child(const char *soname, const char *const *names, size_t n, char **msg)
{
	const char *log = xtest_path("%s/lazy.err", xtest_tmpdir());
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen(log, "w", stderr))
			_exit(99);
		/* the line is in the file however the child ends */
		setvbuf(stderr, NULL, _IONBF, 0);
		void (*fns[4])(void) = {0};
		xdrv_llvm_lazy_load(soname, names, fns, n);
		_exit(fns[0] ? 0 : 98);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	size_t len = 0;
	*msg = (char *)xtest_read(log, &len);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_resolves_the_named_functions(void)
{
	const char *names[] = {"LLVMGetVersion", "LLVMContextCreate"};
	void (*fns[2])(void) = {0};
	xdrv_llvm_lazy_load(SONAME, names, fns, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fns[0]);
	CU_ASSERT_PTR_NOT_NULL(fns[1]);
	unsigned maj = 0, min = 0, pat = 0;
	((void (*)(unsigned *, unsigned *, unsigned *))fns[0])(&maj, &min, &pat);
	CU_ASSERT_EQUAL(maj, LLVM_VERSION_MAJOR);
	CU_ASSERT_EQUAL(min, LLVM_VERSION_MINOR);
}

static void test_missing_library_is_named_and_exits_1(void)
{
	const char *names[] = {"LLVMGetVersion"};
	char *msg = NULL;
	CU_ASSERT_EQUAL(load_in_child("libLLVM.so.0.0-missing", names, 1, &msg), 1);
	CU_ASSERT(msg && strstr(msg, "xdrv: cannot load LLVM, which this command needs: "
				     "libLLVM.so.0.0-missing"));
	free(msg);
}

/* A list: the first that loads is used; none: each one's error, in order. */
static void test_sonames_are_tried_in_order(void)
{
	const char *names[] = {"LLVMGetVersion"};
	void (*fns[1])(void) = {0};
	xdrv_llvm_lazy_load("libLLVM.so.0.0-missing " SONAME, names, fns, 1);
	CU_ASSERT_PTR_NOT_NULL(fns[0]);
	char *msg = NULL;
	CU_ASSERT_EQUAL(load_in_child("libA.so.0-missing libB.so.0-missing", names, 1, &msg), 1);
	const char *a = msg ? strstr(msg, "libA.so.0-missing") : NULL;
	const char *b = msg ? strstr(msg, "libB.so.0-missing") : NULL;
	CU_ASSERT(a && b && a < b);
	free(msg);
}

static void test_missing_symbol_is_named_and_exits_1(void)
{
	const char *names[] = {"LLVMGetVersion", "LLVMNoSuchFunction"};
	char *msg = NULL;
	CU_ASSERT_EQUAL(load_in_child(SONAME, names, 2, &msg), 1);
	CU_ASSERT(msg && strstr(msg, SONAME ": no symbol LLVMNoSuchFunction"));
	CU_ASSERT(msg && strstr(msg, "1 LLVM function(s) missing from " SONAME));
	free(msg);
}

XTEST_SUITE(cli_llvm_lazy, NULL, NULL, XTEST(test_resolves_the_named_functions),
	    XTEST(test_missing_library_is_named_and_exits_1),
	    XTEST(test_sonames_are_tried_in_order), XTEST(test_missing_symbol_is_named_and_exits_1))
