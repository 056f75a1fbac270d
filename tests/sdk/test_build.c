// SPDX-License-Identifier: MIT
/*
 * Tests for sdk/build.c: compiling small C drivers (written to a temporary folder) with the real
 * clang-19 into profile bitcode, and the ways a build must fail: inline assembly, calls to
 * undeclared or non-ABI functions, system headers, bad -D, duplicate definitions across files,
 * a missing compiler; where the ABI headers are found (installed layout, source tree, override).
 */
#include <errno.h>
#include <llvm-c/BitReader.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>

#include "../xtest.h"
#include "sdk_fixtures.h"

/* Write src to dir/name; returns the path (xtest_path rotating buffer). */
static const char *write_src(const char *dir, const char *name, const char *src)
{
	const char *p = xtest_path("%s/%s", dir, name);
	CU_ASSERT_EQUAL(xtest_write(p, src, strlen(src)), 0);
	return p;
}

static int build(const char *const *srcs, size_t n, const char *out, const char *const *defs,
		 size_t ndefs, char **err)
{
	struct sdk_build_opts o = {
		.sources = srcs, .nsources = n, .output = out, .defines = defs, .ndefines = ndefs};
	return sdk_build(&o, err);
}

static int build_one(const char *src_text, char **err, char *out_path, size_t outlen)
{
	const char *dir = xtest_tmpdir();
	char src[1024];
	snprintf(src, sizeof src, "%s", write_src(dir, "drv.c", src_text));
	snprintf(out_path, outlen, "%s/drv.bc", dir);
	const char *srcs[] = {src};
	return build(srcs, 1, out_path, NULL, 0, err);
}

static void expect_build_fails(const char *src_text, const char *want)
{
	char out[1024];
	char *err = NULL;
	CU_ASSERT_EQUAL(build_one(src_text, &err, out, sizeof out), -EINVAL);
	bool found = err && strstr(err, want);
	CU_ASSERT(found);
	if (!found)
		fprintf(stderr, "\nwanted '%s', got: %s\n", want, err ? err : "(nothing)");
	free(err);
}

static bool has_string_attr(LLVMValueRef f, const char *kind)
{
	return LLVMGetStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, kind,
					     (unsigned)strlen(kind)) != NULL;
}

static void test_build_hello_gives_profile_bitcode(void)
{
	char out[1024];
	char *err = NULL;
	int rc = build_one(sdkfx_c_hello, &err, out, sizeof out);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	if (err)
		fprintf(stderr, "\n%s\n", err);
	size_t len = 0;
	uint8_t *bc = xtest_read(out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = NULL;
	CU_ASSERT_EQUAL_FATAL(sdk_bitcode_parse(ctx, bc, len, out, &m, &err), 0);
	CU_ASSERT_STRING_EQUAL(LLVMGetTarget(m), SDK_TRIPLE);
	CU_ASSERT_STRING_EQUAL(LLVMGetDataLayoutStr(m), SDK_DATALAYOUT);
	CU_ASSERT_EQUAL(sdk_profile_check(m, &err), 0);
	unsigned optnone = LLVMGetEnumAttributeKindForName("optnone", 7);
	int nfuncs = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
		CU_ASSERT_FALSE(has_string_attr(f, "target-cpu"));
		CU_ASSERT_FALSE(has_string_attr(f, "target-features"));
		CU_ASSERT_PTR_NULL(
			LLVMGetEnumAttributeAtIndex(f, LLVMAttributeFunctionIndex, optnone));
		nfuncs++;
	}
	CU_ASSERT(nfuncs >= 3);
	/* -O2 -disable-llvm-passes: the static inline helpers are still there, not inlined */
	CU_ASSERT_PTR_NOT_NULL(LLVMGetNamedFunction(m, "xdrv_msg_u64"));
	struct sdk_descriptor d;
	CU_ASSERT_EQUAL_FATAL(sdk_descriptor_read(m, &d, &err), 0);
	CU_ASSERT_STRING_EQUAL(d.name, "hello");
	CU_ASSERT_STRING_EQUAL(d.probe, "hello_probe");
	CU_ASSERT_EQUAL(d.nparams, 1);
	CU_ASSERT_STRING_EQUAL(d.match[0].compatible, "xdrv,hello");
	CU_ASSERT_EQUAL(sdk_lint(m, d.abi_version, &err), 0);
	sdk_descriptor_free(&d);
	LLVMDisposeModule(m);
	LLVMContextDispose(ctx);
	free(bc);
	free(err);
}

static void test_build_is_reproducible(void)
{
	char out1[1024], out2[1024];
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(build_one(sdkfx_c_hello, &err, out1, sizeof out1), 0);
	CU_ASSERT_EQUAL_FATAL(build_one(sdkfx_c_hello, &err, out2, sizeof out2), 0);
	size_t l1, l2;
	unsigned char *a = xtest_read(out1, &l1), *b = xtest_read(out2, &l2);
	CU_ASSERT_EQUAL(l1, l2);
	CU_ASSERT(a && b && l1 == l2 && memcmp(a, b, l1) == 0);
	free(a);
	free(b);
}

static void test_build_rejects_inline_asm(void)
{
	expect_build_fails(
		"#include <xdrv/abi.h>\n"
		"static int32_t p(xdrv_device_t *d) { (void)d; __asm__ volatile(\"outb "
		"%al, %dx\"); return 0; }\n"
		"static void r(xdrv_device_t *d) { (void)d; }\n"
		"static const struct xdrv_match m[] = {{.bus = XDRV_BUS_PLATFORM, "
		".compatible = \"x\"}, {.bus = 0}};\n"
		"XDRV_DRIVER(.name = \"asm\", .version = \"1.0.0\", .match = m, .probe = "
		"p, .remove = r);\n",
		"function p: inline assembly: use xdrv_io_read*()/xdrv_io_write*()");
	/* with operands clang itself refuses: le64 has no registers to constrain */
	expect_build_fails("#include <xdrv/abi.h>\n"
			   "void p(void) { __asm__ volatile(\"outb %%al, %%dx\" :: \"a\"(1)); }\n",
			   "invalid input constraint");
}

static void test_build_rejects_undeclared_function(void)
{
	expect_build_fails("#include <xdrv/abi.h>\n"
			   "int32_t f(void) { return outb(1, 2); }\n",
			   "call to undeclared function 'outb'");
}

static void test_build_rejects_non_abi_import(void)
{
	expect_build_fails(
		"#include <xdrv/abi.h>\n"
		"int printf(const char *, ...);\n"
		"static int32_t p(xdrv_device_t *d) { (void)d; printf(\"hi\\n\"); return "
		"0; }\n"
		"static void r(xdrv_device_t *d) { (void)d; }\n"
		"static const struct xdrv_match m[] = {{.bus = XDRV_BUS_PLATFORM, "
		".compatible = \"x\"}, {.bus = 0}};\n"
		"XDRV_DRIVER(.name = \"pr\", .version = \"1.0.0\", .match = m, .probe = "
		"p, .remove = r);\n",
		"function printf: import not in the xdrv ABI 1.2.0 symbol list (used by p)");
}

static void test_build_reports_descriptor_and_lint_together(void)
{
	char out[1024];
	char *err = NULL;
	CU_ASSERT_EQUAL(build_one("#include <xdrv/abi.h>\n"
				  "extern int jiffies;\n"
				  "int f(void) { return jiffies; }\n",
				  &err, out, sizeof out),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "descriptor: no xdrv_driver global") : NULL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "global jiffies: data import") : NULL);
	/* the compiler's form: a summary line, the descriptor at the module, the data import at
	 * the source line that reads it (line tables compiled in for the check) */
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "drv.bc: 3 problems (descriptor, portability")
				   : NULL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "drv.bc: error: descriptor: no xdrv_driver")
				   : NULL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "/drv.c:3:22: error: global jiffies: data import")
				   : NULL);
	if (err && !strstr(err, "/drv.c:3:22: error: global jiffies"))
		fprintf(stderr, "\n%s\n", err);
	free(err);
}

static void test_build_lint_problems_carry_file_line_col(void)
{
	expect_build_fails(
		"#include <xdrv/abi.h>\n"
		"static int32_t p(xdrv_device_t *d)\n"
		"{\n"
		"\t(void)d;\n"
		"\t__asm__ volatile(\"nop\");\n"
		"\treturn 0;\n"
		"}\n"
		"static void r(xdrv_device_t *d) { (void)d; }\n"
		"static const struct xdrv_match m[] = {{.bus = XDRV_BUS_PLATFORM, "
		".compatible = \"x\"}, {.bus = 0}};\n"
		"XDRV_DRIVER(.name = \"asm\", .version = \"1.0.0\", .match = m, .probe = "
		"p, .remove = r);\n",
		"/drv.c:5:2: error: function p: inline assembly");
}

static void test_build_output_has_no_debug_info(void)
{
	char out[1024];
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(build_one(sdkfx_c_hello, &err, out, sizeof out), 0);
	free(err);
	/* no DICompileUnit (it would hold the build folder): no llvm.dbg.cu, no folder */
	CU_ASSERT_NOT_EQUAL(xtest_sh("grep -q 'llvm.dbg.cu' '%s'", out), 0);
	CU_ASSERT_NOT_EQUAL(xtest_sh("grep -qF '%s' '%s'", xtest_tmpdir(), out), 0);
	CU_ASSERT_EQUAL(xtest_sh("grep -qF 'xdrv_driver' '%s'", out), 0); /* the grep can hit */
}

static void test_build_rejects_system_headers(void)
{
	expect_build_fails("#include <stdio.h>\n", "'stdio.h' file not found");
	/* clang-style notes at the same place: freestanding, and what to use instead */
	expect_build_fails("#include <stdio.h>\n", "/drv.c:1:10: note: drivers are freestanding");
	expect_build_fails("#include <stdio.h>\n",
			   "/drv.c:1:10: note: instead of <stdio.h>: printf/puts -> xdrv_log()");
	expect_build_fails("#include <string.h>\n",
			   "note: instead of <string.h>: memcpy, memmove and memset come with");
	expect_build_fails("#include <sys/socket.h>\n",
			   "note: instead of <sys/socket.h>: use the functions `xdrv abi` lists");
}

static void test_build_links_several_files_with_defines_and_includes(void)
{
	const char *dir = xtest_tmpdir();
	char a[1024], b[1024], inc[1024], out[1024];
	snprintf(inc, sizeof inc, "%s/include", dir);
	CU_ASSERT_EQUAL(xtest_sh("mkdir -p '%s'", inc), 0);
	write_src(inc, "regs.h", "#define REG_THR 0\nint32_t helper(xdrv_device_t *d);\n");
	snprintf(
		a, sizeof a, "%s",
		write_src(dir, "a.c",
			  "#include <xdrv/abi.h>\n#include \"regs.h\"\n"
			  "#ifndef GREETING\n#error GREETING not defined\n#endif\n"
			  "static int32_t p(xdrv_device_t *d) { return helper(d) + GREETING; }\n"
			  "static void r(xdrv_device_t *d) { (void)d; }\n"
			  "static const struct xdrv_match m[] = {{.bus = XDRV_BUS_PLATFORM, "
			  ".compatible = \"x\"}, {.bus = 0}};\n"
			  "XDRV_DRIVER(.name = \"two\", .version = \"1.0.0\", .match = m, .probe = "
			  "p, .remove = r);\n"));
	snprintf(b, sizeof b, "%s",
		 write_src(dir, "b.c",
			   "#include <xdrv/abi.h>\n#include \"regs.h\"\n"
			   "int32_t helper(xdrv_device_t *d) { (void)d; return REG_THR; }\n"));
	snprintf(out, sizeof out, "%s/two.bc", dir);
	const char *srcs[] = {a, b};
	const char *defs[] = {"GREETING=0"};
	const char *incs[] = {inc};
	struct sdk_build_opts o = {.sources = srcs,
				   .nsources = 2,
				   .output = out,
				   .defines = defs,
				   .ndefines = 1,
				   .include_dirs = incs,
				   .ninclude_dirs = 1};
	char *err = NULL;
	CU_ASSERT_EQUAL(sdk_build(&o, &err), 0);
	if (err)
		fprintf(stderr, "\n%s\n", err);
	free(err);
	err = NULL;
	/* without the define, the #error fires and its text is in the message */
	o.ndefines = 0;
	CU_ASSERT_EQUAL(sdk_build(&o, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "GREETING not defined") : NULL);
	free(err);
	err = NULL;
	/* the same non-static function in two files is a link error */
	o.ndefines = 1;
	const char *dup[] = {a, b, b};
	o.sources = dup;
	o.nsources = 3;
	CU_ASSERT_EQUAL(sdk_build(&o, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "symbol multiply defined") : NULL);
	free(err);
}

/* The lint's ABI prototypes are generated by the Makefile's own clang command; `xdrv build`
 * compiles with its flag list. A driver that takes every ABI symbol from <xdrv/abi.h> builds
 * clean only if the two declare each one alike: this proves it for the whole list. */
static void test_build_every_abi_symbol_matches_its_prototype(void)
{
	char out[1024];
	char *err = NULL;
	int rc = build_one("#include <xdrv/abi.h>\n"
			   "const void *const every_symbol[] = {\n"
			   "#define XDRV_SYM(n, a, b, c) (const void *)&n,\n"
			   "#include <xdrv/symbols.def>\n"
			   "};\n"
			   "static int32_t p(xdrv_device_t *d) { (void)d; return 0; }\n"
			   "static void r(xdrv_device_t *d) { (void)d; }\n"
			   "static const struct xdrv_match m[] = {{.bus = XDRV_BUS_PLATFORM, "
			   ".compatible = \"x\"}, {.bus = 0}};\n"
			   "XDRV_DRIVER(.name = \"all\", .version = \"1.0.0\", .match = m, "
			   ".probe = p, .remove = r);\n",
			   &err, out, sizeof out);
	CU_ASSERT_EQUAL(rc, 0);
	if (err)
		fprintf(stderr, "\n%s\n", err);
	free(err);
	err = NULL;
	/* and it did import them all: the check had something to compare */
	static const char *const names[] = {
#define XDRV_SYM(n, a, b, c) #n,
#include <xdrv/symbols.def>
#undef XDRV_SYM
	};
	size_t len = 0, nimports = 0;
	uint8_t *bc = xtest_read(out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = NULL;
	CU_ASSERT_EQUAL_FATAL(sdk_bitcode_parse(ctx, bc, len, out, &m, &err), 0);
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		nimports += LLVMIsDeclaration(f) && !LLVMGetIntrinsicID(f);
	CU_ASSERT_EQUAL(nimports, sizeof names / sizeof names[0]);
	LLVMDisposeModule(m);
	LLVMContextDispose(ctx);
	free(bc);
	free(err);
}

/* A second file that declares an ABI function itself, with the wrong parameters: the two
 * files compile, link and verify, and the host would read garbage; the lint names the place. */
static void test_build_rejects_own_declaration_of_abi_function(void)
{
	const char *dir = xtest_tmpdir();
	char a[1024], b[1024], out[1024];
	snprintf(a, sizeof a, "%s",
		 write_src(dir, "a.c",
			   "#include <xdrv/abi.h>\n"
			   "void say(void);\n"
			   "static int32_t p(xdrv_device_t *d) { (void)d; say(); return 0; }\n"
			   "static void r(xdrv_device_t *d) { (void)d; }\n"
			   "static const struct xdrv_match m[] = {{.bus = XDRV_BUS_PLATFORM, "
			   ".compatible = \"x\"}, {.bus = 0}};\n"
			   "XDRV_DRIVER(.name = \"own\", .version = \"1.0.0\", .match = m, "
			   ".probe = p, .remove = r);\n"));
	snprintf(b, sizeof b, "%s",
		 write_src(dir, "b.c",
			   "void xdrv_log(double level, double msg);\n"
			   "void say(void) { xdrv_log(1.0, 2.0); }\n"));
	snprintf(out, sizeof out, "%s/own.bc", dir);
	const char *srcs[] = {a, b};
	char *err = NULL;
	CU_ASSERT_EQUAL(build(srcs, 2, out, NULL, 0, &err), -EINVAL);
	const char *want = "/b.c:2:18: error: function xdrv_log: import prototype void (double, "
			   "double) does not match the ABI's void (i32, ptr) (used by say)";
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, want) : NULL);
	if (!err || !strstr(err, want))
		fprintf(stderr, "\nwanted '%s', got: %s\n", want, err ? err : "(nothing)");
	free(err);
}

static void test_build_rejects_bad_options(void)
{
	char *err = NULL;
	const char *srcs[] = {"x.c"};
	const char *bad[] = {"1X=3"};
	CU_ASSERT_EQUAL(build(srcs, 1, "/tmp/x.bc", bad, 1, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "build: -D 1X=3: not NAME or NAME=VALUE") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(build(srcs, 0, "/tmp/x.bc", NULL, 0, &err), -EINVAL);
	free(err);
	err = NULL;
	struct sdk_build_opts o = {.sources = srcs,
				   .nsources = 1,
				   .output = "/tmp/x.bc",
				   .abi_include_dir = "/nonexistent"};
	CU_ASSERT_EQUAL(sdk_build(&o, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "ABI headers not found in /nonexistent") : NULL);
	free(err);
}

static void test_build_names_missing_compiler(void)
{
	char *old = getenv("XDRV_CLANG") ? strdup(getenv("XDRV_CLANG")) : NULL;
	setenv("XDRV_CLANG", "/nonexistent/clang-19", 1);
	char out[1024];
	char *err = NULL;
	CU_ASSERT_EQUAL(build_one(sdkfx_c_hello, &err, out, sizeof out), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "cannot run /nonexistent/clang-19") : NULL);
	free(err);
	if (old)
		setenv("XDRV_CLANG", old, 1);
	else
		unsetenv("XDRV_CLANG");
	free(old);
}

/* Run sdk_abi_include_find for a program path with XDRV_ABI_INCLUDE set to env (NULL: unset);
 * the variable is restored afterwards. */
static int find_abi(const char *env, const char *exe, char *out, size_t n, char **err)
{
	char *old = getenv("XDRV_ABI_INCLUDE") ? strdup(getenv("XDRV_ABI_INCLUDE")) : NULL;
	if (env)
		setenv("XDRV_ABI_INCLUDE", env, 1);
	else
		unsetenv("XDRV_ABI_INCLUDE");
	int rc = sdk_abi_include_find(exe, out, n, err);
	if (old)
		setenv("XDRV_ABI_INCLUDE", old, 1);
	else
		unsetenv("XDRV_ABI_INCLUDE");
	free(old);
	return rc;
}

static void test_abi_include_found_beside_installed_program(void)
{
	const char *t = xtest_tmpdir();
	CU_ASSERT_EQUAL(xtest_sh("mkdir -p '%s/usr/bin' '%s/usr/include/xdrv-driver/xdrv' && "
				 "touch '%s/usr/include/xdrv-driver/xdrv/abi.h'",
				 t, t, t),
			0);
	char out[4096], want[4096], exe[4096];
	char *err = NULL;
	snprintf(exe, sizeof exe, "%s/usr/bin/xdrv", t);
	snprintf(want, sizeof want, "%s/usr/include/xdrv-driver", t);
	CU_ASSERT_EQUAL(find_abi(NULL, exe, out, sizeof out, &err), 0);
	CU_ASSERT_STRING_EQUAL(out, want);
	free(err);
}

static void test_abi_include_found_in_source_tree_above_build_folder(void)
{
	const char *t = xtest_tmpdir();
	CU_ASSERT_EQUAL(
		xtest_sh("mkdir -p '%s/src/build/test/bin' '%s/src/driver-abi/include/xdrv' "
			 "&& touch '%s/src/driver-abi/include/xdrv/abi.h'",
			 t, t, t),
		0);
	char out[4096], want[4096], exe[4096];
	char *err = NULL;
	snprintf(exe, sizeof exe, "%s/src/build/test/bin/xdrv", t);
	snprintf(want, sizeof want, "%s/src/driver-abi/include", t);
	CU_ASSERT_EQUAL(find_abi(NULL, exe, out, sizeof out, &err), 0);
	CU_ASSERT_STRING_EQUAL(out, want);
	free(err);
}

static void test_abi_include_missing_names_every_place_tried(void)
{
	const char *t = xtest_tmpdir();
	CU_ASSERT_EQUAL(xtest_sh("mkdir -p '%s/a/b/bin'", t), 0);
	char out[4096], exe[4096];
	char *err = NULL;
	snprintf(exe, sizeof exe, "%s/a/b/bin/xdrv", t);
	CU_ASSERT_EQUAL(find_abi(NULL, exe, out, sizeof out, &err), -ENOENT);
	const char *want[] = {"/a/b/include/xdrv-driver", "/a/b/driver-abi/include",
			      "/a/driver-abi/include", "XDRV_ABI_INCLUDE"};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		bool has = err && strstr(err, want[i]);
		CU_ASSERT(has);
		if (!has)
			fprintf(stderr, "\nwanted '%s' in: %s\n", want[i], err ? err : "(nothing)");
	}
	free(err);
}

static void test_abi_include_env_overrides_and_is_checked(void)
{
	const char *t = xtest_tmpdir();
	CU_ASSERT_EQUAL(xtest_sh("mkdir -p '%s/usr/bin' '%s/usr/include/xdrv-driver/xdrv' "
				 "'%s/mine/xdrv' && touch '%s/usr/include/xdrv-driver/xdrv/abi.h' "
				 "'%s/mine/xdrv/abi.h'",
				 t, t, t, t, t),
			0);
	char out[4096], env[4096], exe[4096];
	char *err = NULL;
	snprintf(exe, sizeof exe, "%s/usr/bin/xdrv", t);
	snprintf(env, sizeof env, "%s/mine", t);
	CU_ASSERT_EQUAL(find_abi(env, exe, out, sizeof out, &err), 0);
	CU_ASSERT_STRING_EQUAL(out, env);
	/* a wrong override is an error, not a silent fall-back to the installed headers */
	snprintf(env, sizeof env, "%s/nothing-here", t);
	CU_ASSERT_EQUAL(find_abi(env, exe, out, sizeof out, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "nothing-here (from XDRV_ABI_INCLUDE") : NULL);
	free(err);
}

XTEST_SUITE(sdk_build, NULL, NULL, XTEST(test_build_hello_gives_profile_bitcode),
	    XTEST(test_build_is_reproducible), XTEST(test_build_rejects_inline_asm),
	    XTEST(test_build_rejects_undeclared_function), XTEST(test_build_rejects_non_abi_import),
	    XTEST(test_build_reports_descriptor_and_lint_together),
	    XTEST(test_build_rejects_system_headers),
	    XTEST(test_build_lint_problems_carry_file_line_col),
	    XTEST(test_build_output_has_no_debug_info),
	    XTEST(test_build_links_several_files_with_defines_and_includes),
	    XTEST(test_build_every_abi_symbol_matches_its_prototype),
	    XTEST(test_build_rejects_own_declaration_of_abi_function),
	    XTEST(test_build_rejects_bad_options), XTEST(test_build_names_missing_compiler),
	    XTEST(test_abi_include_found_beside_installed_program),
	    XTEST(test_abi_include_found_in_source_tree_above_build_folder),
	    XTEST(test_abi_include_missing_names_every_place_tried),
	    XTEST(test_abi_include_env_overrides_and_is_checked))
