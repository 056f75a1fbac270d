// SPDX-License-Identifier: MIT
/*
 * Tests for sdk/lint.c: one test per construct the lint rejects, each written directly as LLVM IR
 * (so that target intrinsics, module asm or x86_fp80 need no target compiler), asserting the
 * error code and the message; plus the constructs it must accept.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/abi.h>
#include <xdrv/sdk.h>

#include "../../sdk/sdk_private.h"
#include "../xtest.h"
#include "sdk_fixtures.h"

static char *lint_of(const char *body, uint32_t abi, int *rc)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = sdkfx_ir(ctx, sdkfx_ir_driver, body);
	char *err = NULL;
	*rc = m ? sdk_lint(m, abi, &err) : -9999;
	if (m)
		LLVMDisposeModule(m);
	LLVMContextDispose(ctx);
	return err;
}

static void expect_lint(const char *body, const char *want)
{
	int rc;
	char *e = lint_of(body, 1000000, &rc);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	bool found = e && strstr(e, want);
	CU_ASSERT(found);
	if (!found)
		fprintf(stderr, "\nwanted '%s', lint said: %s\n", want, e ? e : "(nothing)");
	free(e);
}

static void test_lint_accepts_valid_driver(void)
{
	int rc;
	char *e = lint_of("declare void @xdrv_log(i32, ptr)\n"
			  "declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)\n"
			  "declare ptr @memset(ptr, i32, i64)\n"
			  "declare i32 @llvm.ctpop.i32(i32)\n"
			  "define void @work(ptr %a, ptr %b) {\n"
			  "  call void @llvm.memcpy.p0.p0.i64(ptr %a, ptr %b, i64 64, i1 false)\n"
			  "  call ptr @memset(ptr %a, i32 0, i64 8)\n"
			  "  %n = call i32 @llvm.ctpop.i32(i32 7)\n"
			  "  call void @xdrv_log(i32 3, ptr %a)\n"
			  "  ret void\n}\n",
			  1000000, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	if (e)
		fprintf(stderr, "\nunexpected: %s\n", e);
	free(e);
}

static void test_lint_rejects_inline_asm(void)
{
	expect_lint("define void @uart_write(i8 %c) {\n"
		    "  call void asm sideeffect \"outb %al, %dx\", \"\"()\n  ret void\n}\n",
		    "function uart_write: inline assembly: use xdrv_io_read*()/xdrv_io_write*()");
}

static void test_lint_rejects_module_asm(void)
{
	expect_lint("module asm \".globl sneaky\"\n", "module: module-level assembly");
}

static void test_lint_rejects_target_intrinsic(void)
{
	expect_lint("declare void @llvm.x86.sse2.pause()\n"
		    "define void @spin() {\n  call void @llvm.x86.sse2.pause()\n  ret void\n}\n",
		    "function spin: target-specific intrinsic llvm.x86.sse2.pause: to wait, use "
		    "xdrv_delay_us()");
	expect_lint(
		"declare i64 @llvm.aarch64.get.fpcr()\n"
		"define void @fp() {\n  %x = call i64 @llvm.aarch64.get.fpcr()\n  ret void\n}\n",
		"function fp: target-specific intrinsic llvm.aarch64.get.fpcr");
}

static void test_lint_rejects_cycle_counter(void)
{
	expect_lint(
		"declare i64 @llvm.readcyclecounter()\n"
		"define i64 @now() {\n  %t = call i64 @llvm.readcyclecounter()\n  ret i64 %t\n}\n",
		"function now: reads a CPU counter (llvm.readcyclecounter): use xdrv_time_ns()");
}

static void test_lint_rejects_debugtrap_and_ubsantrap(void)
{
	expect_lint("declare void @llvm.debugtrap()\n"
		    "define void @bp() {\n  call void @llvm.debugtrap()\n  ret void\n}\n",
		    "function bp: trap intrinsic llvm.debugtrap: return a negative XDRV_E* status");
	expect_lint(
		"declare void @llvm.ubsantrap(i8)\n"
		"define void @chk() {\n  call void @llvm.ubsantrap(i8 3)\n  ret void\n}\n",
		"function chk: trap intrinsic llvm.ubsantrap: return a negative XDRV_E* status");
}

static void test_lint_accepts_llvm_trap(void)
{
	int rc;
	char *e = lint_of("declare void @llvm.trap()\n"
			  "define void @die() {\n  call void @llvm.trap()\n  unreachable\n}\n",
			  1000000, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	if (e)
		fprintf(stderr, "\nunexpected: %s\n", e);
	free(e);
}

static void test_lint_rejects_va_start_and_va_arg(void)
{
	const char *ir = "define internal void @logf(ptr %fmt, ...) {\n"
			 "  %ap = alloca ptr\n"
			 "  call void @llvm.va_start(ptr %ap)\n"
			 "  %v = va_arg ptr %ap, i32\n"
			 "  call void @llvm.va_end(ptr %ap)\n"
			 "  ret void\n}\n";
	expect_lint(ir, "function logf: variadic function");
	expect_lint(ir, "function logf: variadic arguments (llvm.va_start.p0)");
	expect_lint(ir, "function logf: va_arg: variadic arguments do not port");
}

static void test_lint_rejects_unknown_import_printf(void)
{
	const char *ir = "@.fmt = private constant [3 x i8] c\"%d\\00\"\n"
			 "declare i32 @printf(ptr, ...)\n"
			 "define void @report() {\n"
			 "  %r = call i32 (ptr, ...) @printf(ptr @.fmt, i32 1)\n  ret void\n}\n";
	expect_lint(ir, "function printf: import not in the xdrv ABI 1.0.0 symbol list (used by "
			"report): format with the xdrv_msg_* helpers and log with xdrv_log()");
	expect_lint(ir, "function printf: variadic import");
}

static void test_lint_rejects_struct_by_value_on_export(void)
{
	expect_lint("define { i64, i64 } @pair() {\n  ret { i64, i64 } zeroinitializer\n}\n",
		    "function pair: returns a struct by value (exported function)");
	expect_lint("define void @take([4 x i32] %a) {\n  ret void\n}\n",
		    "function take: parameter 1 is an array passed by value (exported function)");
}

static void test_lint_rejects_byval_and_sret(void)
{
	expect_lint("%struct.s = type { i64, i64, i64 }\n"
		    "define void @ext(ptr byval(%struct.s) %p) {\n  ret void\n}\n",
		    "function ext: parameter 1 is passed byval");
	expect_lint("%struct.s = type { i64, i64, i64 }\n"
		    "define void @mk(ptr sret(%struct.s) %p) {\n  ret void\n}\n",
		    "function mk: returns a struct through a hidden sret pointer");
}

static void test_lint_rejects_aggregate_in_import_signature(void)
{
	expect_lint("declare void @xdrv_log({ i32, i32 }, ptr)\n",
		    "function xdrv_log: parameter 1 is a struct passed by value (ABI import)");
}

static void test_lint_rejects_aggregate_in_indirect_call(void)
{
	expect_lint("define internal void @cb(ptr %fp) {\n"
		    "  %r = call { i64, i64 } %fp()\n  ret void\n}\n",
		    "function cb: returns a struct by value (indirect call)");
}

static void test_lint_rejects_aggregate_in_callback(void)
{
	expect_lint(
		"@slot = internal global ptr @handler\n"
		"define internal void @handler({ i32, i32 } %v) {\n  ret void\n}\n",
		"function handler: parameter 1 is a struct passed by value (callback: its address "
		"is taken)");
}

static void test_lint_accepts_aggregate_in_internal_function(void)
{
	int rc;
	char *e = lint_of("define internal { i64, i64 } @pair() {\n"
			  "  ret { i64, i64 } zeroinitializer\n}\n"
			  "define void @use() {\n  %p = call { i64, i64 } @pair()\n  ret void\n}\n",
			  1000000, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	free(e);
}

static void test_lint_rejects_data_import(void)
{
	expect_lint("@jiffies = external global i64\n"
		    "define i64 @get() {\n  %v = load i64, ptr @jiffies\n  ret i64 %v\n}\n",
		    "global jiffies: data import");
}

static void test_lint_rejects_x86_fp80(void)
{
	expect_lint("define internal void @f() {\n  %x = alloca x86_fp80\n  ret void\n}\n",
		    "function f: uses x86_fp80");
	expect_lint("@q = internal global fp128 0xL0\n", "global q: uses fp128");
}

static void test_lint_rejects_thread_local(void)
{
	expect_lint("@t = internal thread_local global i32 0\n", "global t: thread-local storage");
}

static void test_lint_rejects_constructors(void)
{
	expect_lint("@llvm.global_ctors = appending global [1 x { i32, ptr, ptr }] "
		    "[{ i32, ptr, ptr } { i32 65535, ptr @init, ptr null }]\n"
		    "define internal void @init() {\n  ret void\n}\n",
		    "global llvm.global_ctors: constructor or destructor functions");
}

static void test_lint_rejects_target_attributes(void)
{
	expect_lint("define void @g() #0 {\n  ret void\n}\n"
		    "attributes #0 = { \"target-cpu\"=\"x86-64\" \"target-features\"=\"+avx2\" }\n",
		    "function g: target-specific attribute \"target-features\"");
}

static void test_lint_rejects_calling_convention(void)
{
	expect_lint("define x86_stdcallcc void @h() {\n  ret void\n}\n",
		    "function h: calling convention 64 (exported function)");
}

static void test_lint_rejects_missing_descriptor(void)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = sdkfx_ir(ctx, "define void @f() {\n  ret void\n}\n", NULL);
	char *err = NULL;
	CU_ASSERT_EQUAL(sdk_lint(m, 1000000, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "module: no xdrv_driver descriptor") : NULL);
	free(err);
	LLVMDisposeModule(m);
	LLVMContextDispose(ctx);
}

static void test_lint_rejects_unknown_abi_version(void)
{
	int rc;
	char *e = lint_of("", 2000000, &rc);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(e ? strstr(e, "module: declares ABI 2.0.0 (2000000)") : NULL);
	free(e);
}

static void test_lint_reports_every_problem_once(void)
{
	int rc;
	/* three distinct problems, the inline asm twice in one function */
	char *e = lint_of("@jiffies = external global i64\n"
			  "declare void @outb(i16, i8)\n"
			  "define void @w() {\n"
			  "  call void asm sideeffect \"nop\", \"\"()\n"
			  "  call void asm sideeffect \"nop\", \"\"()\n"
			  "  call void @outb(i16 1, i8 2)\n  ret void\n}\n",
			  1000000, &rc);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_EQUAL(sdkfx_lines(e), 3);
	CU_ASSERT_PTR_NOT_NULL(e ? strstr(e, "function outb: import not in the xdrv ABI") : NULL);
	CU_ASSERT_PTR_NOT_NULL(e ? strstr(e, "use xdrv_io_write8()") : NULL);
	free(e);
}

static void test_lint_caps_its_output(void)
{
	/* 300 distinct unknown imports: the message stops at 200 lines plus a count */
	size_t cap = 300 * 40 + 1;
	char *ir = malloc(cap), *p = ir;
	for (int i = 0; i < 300; i++)
		p += snprintf(p, cap - (size_t)(p - ir), "declare void @bad_%d()\n", i);
	int rc;
	char *e = lint_of(ir, 1000000, &rc);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_EQUAL(sdkfx_lines(e), 201);
	CU_ASSERT_PTR_NOT_NULL(e ? strstr(e, "... and 100 more problems") : NULL);
	free(e);
	free(ir);
}

/* ---- prototypes of ABI imports -------------------------------------------------------------- */

static void expect_clean(const char *body)
{
	int rc;
	char *e = lint_of(body, 1000000, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	if (e)
		fprintf(stderr, "\nunexpected: %s\n", e);
	free(e);
}

static void test_lint_rejects_import_with_wrong_parameters(void)
{
	/* the example of issue 10: the host would read a level and a pointer from what the
	 * driver put in two floating-point registers */
	expect_lint("declare void @xdrv_log(double, double)\n"
		    "define internal void @say() {\n"
		    "  call void @xdrv_log(double 1.0, double 2.0)\n  ret void\n}\n",
		    "function xdrv_log: import prototype void (double, double) does not match the "
		    "ABI's void (i32, ptr) (used by say): use the declaration of <xdrv/abi.h>");
	/* a parameter missing: the host reads a size that was never passed */
	expect_lint("declare ptr @memcpy(ptr, ptr)\n",
		    "function memcpy: import prototype ptr (ptr, ptr) does not match the ABI's ptr "
		    "(ptr, ptr, i64)");
	/* one too many, a narrower integer, varargs */
	expect_lint("declare void @xdrv_mem_free(ptr, i32)\n",
		    "import prototype void (ptr, i32) does not match the ABI's void (ptr)");
	expect_lint("declare ptr @xdrv_mem_alloc(i32)\n",
		    "import prototype ptr (i32) does not match the ABI's ptr (i64)");
	expect_lint("declare void @xdrv_log(...)\n",
		    "import prototype void (...) does not match the ABI's void (i32, ptr)");
}

static void test_lint_rejects_import_with_wrong_result(void)
{
	expect_lint("declare i64 @xdrv_io_read8(ptr, i64)\n",
		    "function xdrv_io_read8: import prototype i64 (ptr, i64) does not match the "
		    "ABI's zeroext i8 (ptr, i64)");
	expect_lint("declare void @xdrv_time_ns()\n",
		    "function xdrv_time_ns: import prototype void () does not match the ABI's "
		    "i64 ()");
	expect_lint("declare double @xdrv_dev_info(ptr, ptr)\n",
		    "import prototype double (ptr, ptr) does not match the ABI's i32 (ptr, ptr)");
}

static void test_lint_rejects_import_with_wrong_extension(void)
{
	/* same types, but who widens the byte differs: the host's code relies on zeroext */
	expect_lint("declare i8 @xdrv_io_read8(ptr, i64)\n",
		    "function xdrv_io_read8: import prototype i8 (ptr, i64) does not match the "
		    "ABI's zeroext i8 (ptr, i64)");
	expect_lint("declare void @xdrv_io_write8(ptr, i64, i8 signext)\n",
		    "function xdrv_io_write8: import prototype void (ptr, i64, i8 signext) does "
		    "not match the ABI's void (ptr, i64, i8 zeroext)");
	expect_lint("declare void @xdrv_delay_us(i32 inreg)\n",
		    "import prototype void (i32 inreg) does not match the ABI's void (i32)");
}

static void test_lint_accepts_imports_as_the_headers_declare_them(void)
{
	/* optimizer hints (noundef, nonnull, noalias, align, nocapture) are the caller's own
	 * business and do not count */
	expect_clean(
		"declare zeroext i8 @xdrv_io_read8(ptr noundef, i64 noundef)\n"
		"declare void @xdrv_io_write8(ptr, i64, i8 noundef zeroext)\n"
		"declare ptr @memcpy(ptr noalias nocapture writeonly, ptr nonnull align 1, i64)\n"
		"declare i64 @xdrv_time_ns()\n"
		"declare void @xdrv_log(i32, ptr)\n"
		"define internal void @io(ptr %r, ptr %a, ptr %b) {\n"
		"  %v = call zeroext i8 @xdrv_io_read8(ptr %r, i64 0)\n"
		"  call void @xdrv_io_write8(ptr %r, i64 1, i8 zeroext %v)\n"
		"  call void @xdrv_io_write8(ptr %r, i64 1, i8 %v)\n"
		"  call ptr @memcpy(ptr %a, ptr %b, i64 4)\n"
		"  %t = call i64 @xdrv_time_ns()\n"
		"  call void @xdrv_log(i32 3, ptr %a)\n"
		"  ret void\n}\n");
}

static void test_lint_rejects_call_through_mismatched_prototype(void)
{
	/* what `((void (*)(double, double))xdrv_log)(1.0, 2.0)` compiles to: the declaration is
	 * right, the call's own function type is what the code generator uses */
	expect_lint("declare void @xdrv_log(i32, ptr)\n"
		    "define internal void @say() {\n"
		    "  call void @xdrv_log(double 1.0, double 2.0)\n  ret void\n}\n",
		    "function say: calls xdrv_log through prototype void (double, double), which "
		    "does not match the ABI's void (i32, ptr): call it as <xdrv/abi.h> declares "
		    "it");
	expect_lint("declare ptr @memcpy(ptr, ptr, i64)\n"
		    "define internal void @cp(ptr %a, ptr %b) {\n"
		    "  call ptr @memcpy(ptr %a, ptr %b)\n  ret void\n}\n",
		    "function cp: calls memcpy through prototype ptr (ptr, ptr), which does not "
		    "match the ABI's ptr (ptr, ptr, i64)");
	/* the call's type matches, its own attribute does not */
	expect_lint("declare void @xdrv_io_write8(ptr, i64, i8 zeroext)\n"
		    "define internal void @w(ptr %r) {\n"
		    "  call void @xdrv_io_write8(ptr %r, i64 0, i8 signext -1)\n  ret void\n}\n",
		    "function w: calls xdrv_io_write8 through prototype void (ptr, i64, i8 "
		    "zeroext signext), which does not match the ABI's void (ptr, i64, i8 zeroext)");
	/* a call through another type than the declaration's does not take the declaration's
	 * attributes: without a zeroext of its own, nobody widens the byte */
	expect_lint("declare void @xdrv_io_write8(ptr, i64, i32)\n"
		    "define internal void @w(ptr %r, i8 %v) {\n"
		    "  call void @xdrv_io_write8(ptr %r, i64 0, i8 %v)\n  ret void\n}\n",
		    "function w: calls xdrv_io_write8 through prototype void (ptr, i64, i8), which "
		    "does not match the ABI's void (ptr, i64, i8 zeroext)");
}

static void test_lint_prototype_problems_counted_once_per_place(void)
{
	/* a wrong declaration is one problem, not one more per call that uses its own type */
	int rc;
	char *e = lint_of("declare void @xdrv_log(double, double)\n"
			  "define internal void @a() {\n"
			  "  call void @xdrv_log(double 1.0, double 2.0)\n"
			  "  call void @xdrv_log(double 3.0, double 4.0)\n  ret void\n}\n"
			  "define internal void @b(ptr %p) {\n"
			  "  call void @xdrv_log(i32 3, ptr %p)\n  ret void\n}\n",
			  1000000, &rc);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_EQUAL(sdkfx_lines(e), 1);
	CU_ASSERT_PTR_NOT_NULL(e ? strstr(e, "function xdrv_log: import prototype void (double, "
					     "double) does not match")
				 : NULL);
	free(e);
}

/* The table the checks compare with: one prototype per symbol of symbols.def, nothing else,
 * for the profile's target. */
static void test_abi_prototypes_cover_every_symbol(void)
{
	static const char *const names[] = {
#define XDRV_SYM(n, a, b, c) #n,
#include <xdrv/symbols.def>
#undef XDRV_SYM
	};
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef p = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(sdk_abi_prototypes(ctx, &p, &err), 0);
	CU_ASSERT_STRING_EQUAL(LLVMGetTarget(p), SDK_TRIPLE);
	CU_ASSERT_STRING_EQUAL(LLVMGetDataLayoutStr(p), SDK_DATALAYOUT);
	size_t nfuncs = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(p); f; f = LLVMGetNextFunction(f)) {
		CU_ASSERT_TRUE(LLVMIsDeclaration(f));
		CU_ASSERT_FALSE(LLVMIsFunctionVarArg(LLVMGlobalGetValueType(f)));
		nfuncs++;
	}
	CU_ASSERT_EQUAL(nfuncs, sizeof names / sizeof names[0]);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		bool have = LLVMGetNamedFunction(p, names[i]) != NULL;
		CU_ASSERT_TRUE(have);
		if (!have)
			fprintf(stderr, "\nno ABI prototype for %s\n", names[i]);
	}
	/* spot checks against the headers as written */
	LLVMTypeRef i8 = LLVMInt8TypeInContext(ctx), i32 = LLVMInt32TypeInContext(ctx);
	LLVMTypeRef i64 = LLVMInt64TypeInContext(ctx), ptr = LLVMPointerTypeInContext(ctx, 0);
	LLVMTypeRef log_params[] = {i32, ptr}, cpy_params[] = {ptr, ptr, i64};
	LLVMTypeRef rd8_params[] = {ptr, i64};
	CU_ASSERT_EQUAL(LLVMGlobalGetValueType(LLVMGetNamedFunction(p, "xdrv_log")),
			LLVMFunctionType(LLVMVoidTypeInContext(ctx), log_params, 2, 0));
	CU_ASSERT_EQUAL(LLVMGlobalGetValueType(LLVMGetNamedFunction(p, "memcpy")),
			LLVMFunctionType(ptr, cpy_params, 3, 0));
	LLVMValueRef rd8 = LLVMGetNamedFunction(p, "xdrv_io_read8");
	CU_ASSERT_EQUAL(LLVMGlobalGetValueType(rd8), LLVMFunctionType(i8, rd8_params, 2, 0));
	CU_ASSERT_PTR_NOT_NULL(
		LLVMGetEnumAttributeAtIndex(rd8, 0, LLVMGetEnumAttributeKindForName("zeroext", 7)));
	LLVMDisposeModule(p);
	LLVMContextDispose(ctx);
	free(err);
}

static void test_abi_symbol_allowed_by_version(void)
{
	CU_ASSERT_TRUE(sdk_abi_symbol_allowed("xdrv_log", 1000000));
	CU_ASSERT_TRUE(sdk_abi_symbol_allowed("memcpy", 1002003));
	CU_ASSERT_FALSE(sdk_abi_symbol_allowed("xdrv_log", 999999));
	CU_ASSERT_FALSE(sdk_abi_symbol_allowed("printf", 1000000));
	CU_ASSERT_FALSE(sdk_abi_symbol_allowed(NULL, 1000000));
}

XTEST_SUITE(sdk_lint, NULL, NULL, XTEST(test_lint_accepts_valid_driver),
	    XTEST(test_lint_rejects_inline_asm), XTEST(test_lint_rejects_module_asm),
	    XTEST(test_lint_rejects_target_intrinsic), XTEST(test_lint_rejects_cycle_counter),
	    XTEST(test_lint_rejects_va_start_and_va_arg),
	    XTEST(test_lint_rejects_debugtrap_and_ubsantrap), XTEST(test_lint_accepts_llvm_trap),
	    XTEST(test_lint_rejects_unknown_import_printf),
	    XTEST(test_lint_rejects_struct_by_value_on_export),
	    XTEST(test_lint_rejects_byval_and_sret),
	    XTEST(test_lint_rejects_aggregate_in_import_signature),
	    XTEST(test_lint_rejects_aggregate_in_indirect_call),
	    XTEST(test_lint_rejects_aggregate_in_callback),
	    XTEST(test_lint_accepts_aggregate_in_internal_function),
	    XTEST(test_lint_rejects_data_import), XTEST(test_lint_rejects_x86_fp80),
	    XTEST(test_lint_rejects_thread_local), XTEST(test_lint_rejects_constructors),
	    XTEST(test_lint_rejects_target_attributes), XTEST(test_lint_rejects_calling_convention),
	    XTEST(test_lint_rejects_missing_descriptor),
	    XTEST(test_lint_rejects_unknown_abi_version),
	    XTEST(test_lint_reports_every_problem_once), XTEST(test_lint_caps_its_output),
	    XTEST(test_lint_rejects_import_with_wrong_parameters),
	    XTEST(test_lint_rejects_import_with_wrong_result),
	    XTEST(test_lint_rejects_import_with_wrong_extension),
	    XTEST(test_lint_accepts_imports_as_the_headers_declare_them),
	    XTEST(test_lint_rejects_call_through_mismatched_prototype),
	    XTEST(test_lint_prototype_problems_counted_once_per_place),
	    XTEST(test_abi_prototypes_cover_every_symbol),
	    XTEST(test_abi_symbol_allowed_by_version))
