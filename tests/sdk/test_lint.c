// SPDX-License-Identifier: MIT
/*
 * Tests for sdk/lint.c: one test per construct the lint rejects, each written directly as LLVM IR
 * (so that target intrinsics, module asm or x86_fp80 need no target compiler), asserting the
 * error code and the message; plus the constructs it must accept.
 */
#include <errno.h>
#include <llvm-c/Analysis.h>
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
		    "function h: defined with calling convention x86_stdcallcc (64): use the "
		    "default C calling convention");
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

/* ---- operations that lower to compiler runtime helpers (sdk/README.md) ---------------------- */

static void test_lint_rejects_wide_division(void)
{
	expect_lint(
		"define i128 @q(i128 %a, i128 %b) {\n  %r = udiv i128 %a, %b\n  ret i128 %r\n}\n",
		"function q: 128-bit division (udiv i128) lowers to the compiler runtime helper "
		"__udivti3, which the driver ABI does not provide: divide in 64 bits");
	expect_lint(
		"define i128 @q(i128 %a, i128 %b) {\n  %r = sdiv i128 %a, %b\n  ret i128 %r\n}\n",
		"128-bit division (sdiv i128) lowers to the compiler runtime helper __divti3,");
	expect_lint(
		"define i128 @q(i128 %a, i128 %b) {\n  %r = urem i128 %a, %b\n  ret i128 %r\n}\n",
		"128-bit remainder (urem i128) lowers to the compiler runtime helper __umodti3,");
	expect_lint(
		"define i128 @q(i128 %a, i128 %b) {\n  %r = srem i128 %a, %b\n  ret i128 %r\n}\n",
		"128-bit remainder (srem i128) lowers to the compiler runtime helper __modti3,");
	/* promoted to 128 bits by the back end: the same helper */
	expect_lint("define i96 @q(i96 %a, i96 %b) {\n  %r = udiv i96 %a, %b\n  ret i96 %r\n}\n",
		    "96-bit division (udiv i96) lowers to the compiler runtime helper __udivti3");
	expect_lint("define <2 x i128> @q(<2 x i128> %a, <2 x i128> %b) {\n"
		    "  %r = udiv <2 x i128> %a, %b\n  ret <2 x i128> %r\n}\n",
		    "128-bit division (udiv <2 x i128>) lowers to the compiler runtime helper");
	expect_lint(
		"define i256 @q(i256 %a, i256 %b) {\n  %r = udiv i256 %a, %b\n  ret i256 %r\n}\n",
		"256-bit division (udiv i256): drivers divide integers of at most 64 bits");
}

static void test_lint_accepts_64_bit_division_and_wide_arithmetic(void)
{
	/* 64-bit division is an instruction everywhere; 128-bit mul, shifts, compares and the
	 * unsigned overflow check are inline on every 64-bit host */
	expect_clean("declare {i128, i1} @llvm.umul.with.overflow.i128(i128, i128)\n"
		     "define i64 @q(i64 %a, i64 %b, i128 %c, i128 %d) {\n"
		     "  %r = udiv i64 %a, %b\n  %s = srem i64 %a, %b\n"
		     "  %m = mul i128 %c, %d\n  %h = lshr i128 %m, 64\n  %k = shl i128 %h, 3\n"
		     "  %o = call {i128, i1} @llvm.umul.with.overflow.i128(i128 %c, i128 %d)\n"
		     "  %t = trunc i128 %k to i64\n  %u = add i64 %r, %s\n  %v = add i64 %u, %t\n"
		     "  %f = uitofp i64 %v to double\n  %g = fptosi double %f to i64\n"
		     "  ret i64 %g\n}\n");
}

static void test_lint_rejects_wide_float_conversion(void)
{
	expect_lint(
		"define i128 @c(double %a) {\n  %r = fptoui double %a to i128\n  ret i128 %r\n}\n",
		"function c: conversion between floating point and a 128-bit integer (fptoui "
		"double to i128) lowers to the compiler runtime helper __fixunsdfti, which the "
		"driver ABI does not provide: convert through a 64-bit integer");
	expect_lint(
		"define i128 @c(float %a) {\n  %r = fptosi float %a to i128\n  ret i128 %r\n}\n",
		"(fptosi float to i128) lowers to the compiler runtime helper __fixsfti,");
	expect_lint("define double @c(i128 %a) {\n  %r = uitofp i128 %a to double\n"
		    "  ret double %r\n}\n",
		    "(uitofp i128 to double) lowers to the compiler runtime helper __floatuntidf,");
	expect_lint(
		"define float @c(i128 %a) {\n  %r = sitofp i128 %a to float\n  ret float %r\n}\n",
		"(sitofp i128 to float) lowers to the compiler runtime helper __floattisf,");
	expect_lint("declare i128 @llvm.fptosi.sat.i128.f64(double)\n"
		    "define i128 @c(double %a) {\n"
		    "  %r = call i128 @llvm.fptosi.sat.i128.f64(double %a)\n  ret i128 %r\n}\n",
		    "(fptosi double to i128) lowers to the compiler runtime helper __fixdfti,");
	expect_lint("define double @c(i256 %a) {\n  %r = uitofp i256 %a to double\n"
		    "  ret double %r\n}\n",
		    "(uitofp i256 to double): LLVM 19 cannot compile it for arm64, ppc64el or "
		    "riscv64 hosts");
}

static void test_lint_rejects_frem(void)
{
	expect_lint(
		"define double @m(double %a, double %b) {\n  %r = frem double %a, %b\n"
		"  ret double %r\n}\n",
		"function m: floating-point remainder (frem double) lowers to the C library's "
		"fmod, which the driver ABI does not provide: compute the remainder in integers");
	expect_lint("define <4 x float> @m(<4 x float> %a, <4 x float> %b) {\n"
		    "  %r = frem <4 x float> %a, %b\n  ret <4 x float> %r\n}\n",
		    "(frem <4 x float>) lowers to the C library's fmodf");
}

static void test_lint_rejects_signed_wide_mul_overflow(void)
{
	expect_lint(
		"declare {i128, i1} @llvm.smul.with.overflow.i128(i128, i128)\n"
		"define i1 @o(i128 %a, i128 %b) {\n"
		"  %r = call {i128, i1} @llvm.smul.with.overflow.i128(i128 %a, i128 %b)\n"
		"  %f = extractvalue {i128, i1} %r, 1\n  ret i1 %f\n}\n",
		"function o: 128-bit signed multiplication with overflow check "
		"(llvm.smul.with.overflow.i128) lowers to the compiler runtime helper __muloti4 "
		"on arm64 and riscv64 hosts");
}

static void test_lint_rejects_wide_or_misaligned_atomics(void)
{
	expect_lint(
		"define i128 @a(ptr %p, i128 %v) {\n"
		"  %r = atomicrmw add ptr %p, i128 %v seq_cst, align 16\n  ret i128 %r\n}\n",
		"function a: 16-byte atomic operation (atomicrmw add i128) lowers to the compiler "
		"runtime helper __atomic_fetch_add_16 on hosts without a 16-byte "
		"compare-and-swap (x86-64 without cmpxchg16b, riscv64)");
	expect_lint("define i128 @a(ptr %p) {\n  %r = load atomic i128, ptr %p acquire, align 16\n"
		    "  ret i128 %r\n}\n",
		    "16-byte atomic operation (load atomic i128) lowers to the compiler runtime "
		    "helper __atomic_load_16");
	expect_lint("define void @a(ptr %p, i128 %v) {\n"
		    "  store atomic i128 %v, ptr %p release, align 16\n  ret void\n}\n",
		    "(store atomic i128) lowers to the compiler runtime helper __atomic_store_16");
	expect_lint("define i1 @a(ptr %p, i128 %o, i128 %n) {\n"
		    "  %r = cmpxchg ptr %p, i128 %o, i128 %n seq_cst seq_cst, align 16\n"
		    "  %f = extractvalue {i128, i1} %r, 1\n  ret i1 %f\n}\n",
		    "(cmpxchg i128) lowers to the compiler runtime helper "
		    "__atomic_compare_exchange_16");
	expect_lint(
		"define i64 @a(ptr %p, i64 %v) {\n"
		"  %r = atomicrmw add ptr %p, i64 %v seq_cst, align 4\n  ret i64 %r\n}\n",
		"function a: atomic operation on 8 bytes aligned to 4 (atomicrmw add i64) lowers "
		"to the C library's generic __atomic_compare_exchange on every host");
	expect_lint("define i256 @a(ptr %p) {\n  %r = load atomic i256, ptr %p acquire, align 32\n"
		    "  ret i256 %r\n}\n",
		    "atomic operation on 32 bytes aligned to 32 (load atomic i256) lowers to the C "
		    "library's generic __atomic_load");
}

static void test_lint_accepts_aligned_atomics_up_to_8_bytes(void)
{
	expect_clean("define i64 @a(ptr %p, ptr %q, i64 %v, double %d) {\n"
		     "  %r = atomicrmw add ptr %p, i64 %v seq_cst, align 8\n"
		     "  %s = atomicrmw nand ptr %q, i16 3 seq_cst, align 2\n"
		     "  %f = atomicrmw fadd ptr %p, double %d seq_cst, align 8\n"
		     "  %c = cmpxchg ptr %p, i64 %r, i64 %v acq_rel monotonic, align 8\n"
		     "  %l = load atomic i32, ptr %q acquire, align 4\n"
		     "  store atomic i8 1, ptr %q release, align 1\n"
		     "  %n = load i128, ptr %p, align 16\n"
		     "  ret i64 %r\n}\n");
}

static void test_lint_rejects_half_and_bfloat(void)
{
	expect_lint(
		"define float @h(double %a) {\n  %x = fptrunc double %a to half\n"
		"  %r = fpext half %x to float\n  ret float %r\n}\n",
		"function h: uses half: hosts without 16-bit floating point convert it with "
		"compiler runtime helpers (__extendhfsf2, __truncdfhf2, __truncsfbf2), which the "
		"driver ABI does not provide: use float");
	expect_lint("define float @h(float %a) {\n  %x = fptrunc float %a to bfloat\n"
		    "  %r = fpext bfloat %x to float\n  ret float %r\n}\n",
		    "function h: uses bfloat:");
}

static void test_lint_rejects_canonicalize(void)
{
	/* clang's __builtin_canonicalize: LLVM 19 stops with "Cannot select" on every host */
	expect_lint("declare double @llvm.canonicalize.f64(double)\n"
		    "define double @k(double %a) {\n"
		    "  %r = call double @llvm.canonicalize.f64(double %a)\n  ret double %r\n}\n",
		    "function k: llvm.canonicalize.f64 (__builtin_canonicalize): LLVM 19 cannot "
		    "compile it for any host, the loader's compiler would stop: remove it");
}

static void test_lint_names_runtime_helpers_declared_by_hand(void)
{
	expect_lint("declare i128 @__udivti3(i128, i128)\n"
		    "define i128 @q(i128 %a, i128 %b) {\n"
		    "  %r = call i128 @__udivti3(i128 %a, i128 %b)\n  ret i128 %r\n}\n",
		    "function __udivti3: import not in the xdrv ABI 1.0.0 symbol list (used by q): "
		    "divide in 64 bits");
	expect_lint(
		"declare void @__atomic_store(i64, ptr, ptr, i32)\n"
		"define void @s(ptr %a, ptr %b) {\n"
		"  call void @__atomic_store(i64 24, ptr %a, ptr %b, i32 5)\n  ret void\n}\n",
		"function __atomic_store: import not in the xdrv ABI 1.0.0 symbol list (used by "
		"s): clang calls the atomic library for an atomic object larger than 8 bytes");
	expect_lint(
		"declare double @sqrt(double)\n"
		"define double @r(double %a) {\n"
		"  %r = call double @sqrt(double %a)\n  ret double %r\n}\n",
		"function sqrt: import not in the xdrv ABI 1.0.0 symbol list (used by r): the C "
		"math library is not part of the ABI: __builtin_floor");
	expect_lint(
		"declare float @sinf(float)\n"
		"define float @r(float %a) {\n"
		"  %r = call float @sinf(float %a)\n  ret float %r\n}\n",
		"function sinf: import not in the xdrv ABI 1.0.0 symbol list (used by r): the C "
		"math library");
}

/* ---- constructs that run native code or reach the host's machine state (issue 12) ---------- */

/* The module parses, passes LLVM's verifier (the loader verifies before it lints: a fixture the
 * verifier refuses would test nothing) and the lint refuses it with `want`; returns the
 * message (malloc'd) for further checks. */
static char *expect_lint_verified(const char *body, const char *want)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = sdkfx_ir(ctx, sdkfx_ir_driver, body);
	char *err = NULL, *vmsg = NULL;
	int rc = -9999;
	if (m) {
		bool bad = LLVMVerifyModule(m, LLVMReturnStatusAction, &vmsg);
		CU_ASSERT_FALSE(bad);
		if (bad)
			fprintf(stderr, "\nfixture fails the verifier: %s\n", vmsg);
		LLVMDisposeMessage(vmsg);
		rc = sdk_lint(m, 1000000, &err);
		LLVMDisposeModule(m);
	}
	LLVMContextDispose(ctx);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	bool found = err && strstr(err, want);
	CU_ASSERT(found);
	if (!found)
		fprintf(stderr, "\nwanted '%s', lint said: %s\n", want, err ? err : "(nothing)");
	return err;
}

static void expect_lint_v(const char *body, const char *want)
{
	free(expect_lint_verified(body, want));
}

static void test_lint_rejects_prologue_data(void)
{
	/* x86-64 "mov eax, 39; syscall" (getpid), which falls through into the body */
	expect_lint_v("define i32 @escape(ptr %d) prologue <{ i8, i32, i8, i8 }> "
		      "<{ i8 -72, i32 39, i8 15, i8 5 }> {\n  ret i32 0\n}\n",
		      "function escape: prologue data: bytes placed at the function's entry run "
		      "as native code, unchecked (a driver made raw system calls with them): "
		      "remove the prologue; write the function in C");
	/* internal functions and declarations too */
	expect_lint_v("define internal void @i() prologue i8 -112 {\n  ret void\n}\n"
		      "define void @use() {\n  call void @i()\n  ret void\n}\n",
		      "function i: prologue data");
	/* data that is itself `ptr null` looks like LLVM's placeholder: told apart by text */
	expect_lint_v("define void @z() prologue ptr null {\n  ret void\n}\n",
		      "function z: prologue data");
}

static void test_lint_rejects_prefix_data(void)
{
	expect_lint_v("define void @pre() prefix i64 360287970189639680 {\n  ret void\n}\n",
		      "function pre: prefix data: bytes placed in the code right before the "
		      "function's entry, where a jump can run them as native code: remove the "
		      "prefix; keep data in globals");
	expect_lint_v("define void @pn() prefix ptr null {\n  ret void\n}\n",
		      "function pn: prefix data");
}

static void test_lint_rejects_personality_function(void)
{
	/* a personality the driver defines itself: the unwinder would call it */
	char *e = expect_lint_verified(
		"define internal i32 @pers(i32 %a) {\n  ret i32 0\n}\n"
		"define void @unwinds() personality ptr @pers {\n  ret void\n}\n",
		"function unwinds: personality function pers: the host's unwinder would call it "
		"while unwinding through the driver (exception handling): remove it and return a "
		"negative XDRV_E* status");
	/* the other two hung-off operands are placeholders here: not reported */
	CU_ASSERT_PTR_NULL(e ? strstr(e, "prologue data") : NULL);
	CU_ASSERT_PTR_NULL(e ? strstr(e, "prefix data") : NULL);
	CU_ASSERT_EQUAL(sdkfx_lines(e), 1);
	free(e);
	/* a null personality still is one */
	expect_lint_v("define void @np() personality ptr null {\n  ret void\n}\n",
		      "function np: personality function (a constant expression)");
}

static void test_lint_rejects_patchable_function_attributes(void)
{
	/* clang's __attribute__((patchable_function_entry(3, 1))) */
	const char *ir = "define void @patch() #0 {\n  ret void\n}\n"
			 "attributes #0 = { \"patchable-function-entry\"=\"2\" "
			 "\"patchable-function-prefix\"=\"1\" }\n";
	expect_lint_v(ir, "function patch: attribute \"patchable-function-entry\" (code "
			  "patched at run time: NOPs at the entry and a "
			  "__patchable_function_entries section): remove "
			  "__attribute__((patchable_function_entry))");
	expect_lint_v(ir, "function patch: attribute \"patchable-function-prefix\" (code "
			  "patched at run time");
	expect_lint_v("define void @hp() #0 {\n  ret void\n}\n"
		      "attributes #0 = { \"patchable-function\"=\"prologue-short-redirect\" }\n",
		      "function hp: attribute \"patchable-function\"");
	/* no longer a "target-specific" attribute that xdrv build would strip silently */
	CU_ASSERT_FALSE(sdk_attr_is_target_specific("patchable-function-entry", 24));
}

static void test_lint_rejects_naked_function(void)
{
	/* x86-64: the alloca is 8(%rsp), in the caller's frame */
	expect_lint_v("declare void @xdrv_mem_free(ptr)\n"
		      "define void @bare() naked {\n  %a = alloca [64 x i8]\n"
		      "  call void @xdrv_mem_free(ptr %a)\n  ret void\n}\n",
		      "function bare: naked function (no prologue or epilogue: its stack slots "
		      "land in the caller's frame, the host's): remove __attribute__((naked))");
}

static void test_lint_rejects_explicit_section(void)
{
	expect_lint_v("define void @in_sec() section \".text.hot\" {\n  ret void\n}\n",
		      "function in_sec: explicit section \".text.hot\" (__attribute__((section))): "
		      "the loader places code itself");
	/* data in a code section would be mapped executable */
	expect_lint_v("@shell = internal constant [2 x i8] c\"\\0F\\05\", section \".text.x\"\n"
		      "define ptr @get() {\n  ret ptr @shell\n}\n",
		      "global shell: explicit section \".text.x\" (__attribute__((section))): the "
		      "loader places data itself, and a section's name picks its memory's "
		      "protection (data in \".text.*\" would be executable): remove the attribute");
	/* __attribute__((used)) and ((annotate)): LLVM's own lists and strings in llvm.metadata,
	 * which no back end emits, stay allowed */
	expect_clean("@keep = internal global i32 0\n"
		     "@llvm.used = appending global [1 x ptr] [ptr @keep], section "
		     "\"llvm.metadata\"\n"
		     "@.note = private unnamed_addr constant [2 x i8] c\"x\\00\", section "
		     "\"llvm.metadata\"\n");
}

static void test_lint_rejects_global_alias(void)
{
	expect_lint_v("define void @real() {\n  ret void\n}\n"
		      "@other = alias void (), ptr @real\n",
		      "alias other: global alias of @real (__attribute__((alias))): use the "
		      "function or global under its own name");
	/* a symbol in the middle of a function's code */
	expect_lint_v("define void @body() {\n  ret void\n}\n"
		      "@mid = alias i8, getelementptr (i8, ptr @body, i64 3)\n",
		      "alias mid: global alias of a constant expression");
}

static void test_lint_rejects_ifunc(void)
{
	expect_lint_v("define internal ptr @resolve() {\n  ret ptr @impl\n}\n"
		      "define internal void @impl() {\n  ret void\n}\n"
		      "@pick = ifunc void (), ptr @resolve\n",
		      "ifunc pick: ifunc resolvers pick code per CPU at load time: write one "
		      "portable function");
}

static void test_lint_rejects_calling_convention_everywhere(void)
{
	/* internal definitions too: fastcc is what LLVM's optimizer picks, later */
	expect_lint_v("define internal fastcc void @fast() {\n  ret void\n}\n"
		      "define void @caller() {\n  call fastcc void @fast()\n  ret void\n}\n",
		      "function fast: defined with calling convention fastcc (8): use the default "
		      "C calling convention");
	expect_lint_v("define internal fastcc void @fast() {\n  ret void\n}\n"
		      "define void @caller() {\n  call fastcc void @fast()\n  ret void\n}\n",
		      "function caller: calls fast with calling convention fastcc (8)");
	/* x86_intrcc returns with iretq */
	expect_lint_v("define internal x86_intrcc void @isr(ptr byval(i64) %f) {\n  ret void\n}\n",
		      "function isr: defined with calling convention x86_intrcc (83)");
	/* an import declared with another convention, and an indirect call through one */
	expect_lint_v("declare ghccc void @xdrv_delay_us(i32)\n"
		      "define void @w(ptr %fp) {\n  call ghccc void @xdrv_delay_us(i32 5)\n"
		      "  call preserve_allcc void %fp()\n  ret void\n}\n",
		      "function xdrv_delay_us: declared with calling convention ghccc (10)");
	expect_lint_v("declare ghccc void @xdrv_delay_us(i32)\n"
		      "define void @w(ptr %fp) {\n  call ghccc void @xdrv_delay_us(i32 5)\n"
		      "  call preserve_allcc void %fp()\n  ret void\n}\n",
		      "function w: indirect call with calling convention preserve_allcc (15)");
	/* one without a name in the table */
	expect_lint_v("define internal cc 200 void @odd() {\n  ret void\n}\n",
		      "function odd: defined with calling convention cc 200:");
}

static void test_lint_rejects_register_intrinsics(void)
{
	expect_lint_v("declare i64 @llvm.read_register.i64(metadata)\n"
		      "define i64 @sp() {\n  %v = call i64 @llvm.read_register.i64(metadata !0)\n"
		      "  ret i64 %v\n}\n!0 = !{!\"rsp\"}\n",
		      "function sp: reads a machine register by name (llvm.read_register.i64): "
		      "the registers belong to the host (writing the stack pointer moves the "
		      "host's stack): remove it; keep values in variables");
	expect_lint_v("declare i64 @llvm.read_volatile_register.i64(metadata)\n"
		      "define i64 @vsp() {\n"
		      "  %v = call i64 @llvm.read_volatile_register.i64(metadata !0)\n"
		      "  ret i64 %v\n}\n!0 = !{!\"rsp\"}\n",
		      "function vsp: reads a machine register by name "
		      "(llvm.read_volatile_register.i64)");
	expect_lint_v("declare void @llvm.write_register.i64(metadata, i64)\n"
		      "define void @pivot(i64 %to) {\n"
		      "  call void @llvm.write_register.i64(metadata !0, i64 %to)\n"
		      "  ret void\n}\n!0 = !{!\"rsp\"}\n",
		      "function pivot: writes a machine register by name "
		      "(llvm.write_register.i64)");
}

static void test_lint_rejects_frame_intrinsics(void)
{
	static const char *const decl[][2] = {
		{"declare ptr @llvm.frameaddress.p0(i32)", "llvm.frameaddress.p0(i32 0)"},
		{"declare ptr @llvm.returnaddress(i32)", "llvm.returnaddress(i32 0)"},
		{"declare ptr @llvm.addressofreturnaddress.p0()",
		 "llvm.addressofreturnaddress.p0()"},
		{"declare ptr @llvm.sponentry.p0()", "llvm.sponentry.p0()"},
	};
	for (size_t i = 0; i < sizeof decl / sizeof decl[0]; i++) {
		char ir[512], want[160], name[64];
		snprintf(name, sizeof name, "%.*s", (int)(strchr(decl[i][1], '(') - decl[i][1]),
			 decl[i][1]);
		snprintf(ir, sizeof ir,
			 "%s\ndefine ptr @fr() {\n  %%v = call ptr @%s\n"
			 "  ret ptr %%v\n}\n",
			 decl[i][0], decl[i][1]);
		snprintf(want, sizeof want,
			 "function fr: reads the machine stack frame (%s): not portable; remove "
			 "it",
			 name);
		expect_lint_v(ir, want);
	}
}

static void test_lint_rejects_eh_escape_and_cache_intrinsics(void)
{
	expect_lint_v("declare ptr @llvm.eh.dwarf.cfa(i32)\n"
		      "define ptr @cfa() {\n  %v = call ptr @llvm.eh.dwarf.cfa(i32 0)\n"
		      "  ret ptr %v\n}\n",
		      "function cfa: exception handling (llvm.eh.dwarf.cfa): return a negative "
		      "XDRV_E* status");
	const char *esc = "declare void @llvm.localescape(...)\n"
			  "declare ptr @llvm.localrecover(ptr, ptr, i32)\n"
			  "define void @owner() {\n  %a = alloca i32\n"
			  "  call void (...) @llvm.localescape(ptr %a)\n  ret void\n}\n"
			  "define ptr @thief(ptr %fp) {\n"
			  "  %p = call ptr @llvm.localrecover(ptr @owner, ptr %fp, i32 0)\n"
			  "  ret ptr %p\n}\n";
	expect_lint_v(esc, "function owner: llvm.localescape (Windows SEH frame escape): other "
			   "functions would reach into this function's stack frame: pass a "
			   "pointer to the variable instead");
	expect_lint_v(esc, "function thief: llvm.localrecover (Windows SEH frame escape)");
	expect_lint_v("declare void @llvm.clear_cache(ptr, ptr)\n"
		      "define void @cc(ptr %a, ptr %b) {\n"
		      "  call void @llvm.clear_cache(ptr %a, ptr %b)\n  ret void\n}\n",
		      "function cc: llvm.clear_cache (__builtin___clear_cache): drivers do not "
		      "write code, the loader owns the code memory: remove it");
}

/* clang's code for a variable-length array in a loop (-O2 -disable-llvm-passes) */
#define VLA_IR(BEFORE_LOOP)                                                                        \
	"declare ptr @llvm.stacksave.p0()\n"                                                       \
	"declare void @llvm.stackrestore.p0(ptr)\n"                                                \
	"define void @vla(i64 %n, ptr %sink) {\n"                                                  \
	"  %saved = alloca ptr\n" BEFORE_LOOP "  br label %loop\n"                                 \
	"loop:\n"                                                                                  \
	"  %s = call ptr @llvm.stacksave.p0()\n"                                                   \
	"  store ptr %s, ptr %saved\n"                                                             \
	"  %buf = alloca i8, i64 %n\n"                                                             \
	"  store ptr %buf, ptr %sink\n"                                                            \
	"  %r = load ptr, ptr %saved\n"                                                            \
	"  call void @llvm.stackrestore.p0(ptr %r)\n"                                              \
	"  %c = load volatile i1, ptr %sink\n"                                                     \
	"  br i1 %c, label %loop, label %done\n"                                                   \
	"done:\n"                                                                                  \
	"  ret void\n}\n"

static void test_lint_accepts_stackrestore_of_a_stacksave(void)
{
	expect_clean(VLA_IR(""));
	/* the saved value straight from the call */
	expect_clean("declare ptr @llvm.stacksave.p0()\n"
		     "declare void @llvm.stackrestore.p0(ptr)\n"
		     "define void @direct() {\n  %s = call ptr @llvm.stacksave.p0()\n"
		     "  call void @llvm.stackrestore.p0(ptr %s)\n  ret void\n}\n");
}

static void test_lint_rejects_forged_stackrestore(void)
{
	/* a stack pivot: the stack pointer set to an argument */
	expect_lint_v("declare void @llvm.stackrestore.p0(ptr)\n"
		      "define void @pivot(ptr %to) {\n"
		      "  call void @llvm.stackrestore.p0(ptr %to)\n  ret void\n}\n",
		      "function pivot: llvm.stackrestore of a value that no llvm.stacksave of "
		      "this function returned: it would set the host's stack pointer to any "
		      "value: leave stacksave/stackrestore to the compiler (variable-length "
		      "arrays)");
	/* the slot also receives another value */
	expect_lint_v(VLA_IR("  store ptr %sink, ptr %saved\n"),
		      "function vla: llvm.stackrestore of a value that no llvm.stacksave");
	/* the slot escapes: a callee could write it */
	expect_lint_v(VLA_IR("  store ptr %saved, ptr %sink\n"),
		      "function vla: llvm.stackrestore of a value that no llvm.stacksave");
	/* read before any store on one path: the stack's old contents */
	expect_lint_v("declare ptr @llvm.stacksave.p0()\n"
		      "declare void @llvm.stackrestore.p0(ptr)\n"
		      "define void @maybe(i1 %c) {\n  %saved = alloca ptr\n"
		      "  br i1 %c, label %save, label %restore\n"
		      "save:\n  %s = call ptr @llvm.stacksave.p0()\n"
		      "  store ptr %s, ptr %saved\n  br label %restore\n"
		      "restore:\n  %r = load ptr, ptr %saved\n"
		      "  call void @llvm.stackrestore.p0(ptr %r)\n  ret void\n}\n",
		      "function maybe: llvm.stackrestore of a slot that may not hold a "
		      "llvm.stacksave yet");
	/* in one block, the load before the store */
	expect_lint_v("declare ptr @llvm.stacksave.p0()\n"
		      "declare void @llvm.stackrestore.p0(ptr)\n"
		      "define void @early() {\n  %saved = alloca ptr\n"
		      "  %r = load ptr, ptr %saved\n"
		      "  %s = call ptr @llvm.stacksave.p0()\n  store ptr %s, ptr %saved\n"
		      "  call void @llvm.stackrestore.p0(ptr %r)\n  ret void\n}\n",
		      "function early: llvm.stackrestore of a slot that may not hold");
	/* a slot allocated in a loop is a new, unwritten one each time round */
	expect_lint_v("declare ptr @llvm.stacksave.p0()\n"
		      "declare void @llvm.stackrestore.p0(ptr)\n"
		      "define void @loopslot(ptr %sink) {\n  br label %l\n"
		      "l:\n  %saved = alloca ptr\n  %r = load ptr, ptr %saved\n"
		      "  call void @llvm.stackrestore.p0(ptr %r)\n"
		      "  %s = call ptr @llvm.stacksave.p0()\n  store ptr %s, ptr %saved\n"
		      "  %c = load volatile i1, ptr %sink\n  br i1 %c, label %l, label %d\n"
		      "d:\n  ret void\n}\n",
		      "function loopslot: llvm.stackrestore of a value that no llvm.stacksave");
}

static void test_abi_symbol_allowed_by_version(void)
{
	CU_ASSERT_TRUE(sdk_abi_symbol_allowed("xdrv_log", 1000000));
	CU_ASSERT_TRUE(sdk_abi_symbol_allowed("memcpy", 1002003));
	CU_ASSERT_FALSE(sdk_abi_symbol_allowed("xdrv_log", 999999));
	CU_ASSERT_FALSE(sdk_abi_symbol_allowed("printf", 1000000));
	/* ABI 1.1's receive pools: importable from 1.1 on, not by a driver that declares 1.0 */
	CU_ASSERT_FALSE(sdk_abi_symbol_allowed("xdrv_rxpool_create", 1000000));
	CU_ASSERT_TRUE(sdk_abi_symbol_allowed("xdrv_rxpool_create", 1001000));
	CU_ASSERT_TRUE(sdk_abi_symbol_allowed("xdrv_rxpool_deliver", 1001000));
	CU_ASSERT_EQUAL(sdk_abi_symbol_version("xdrv_rxpool_destroy"), 1001000);
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
	    XTEST(test_abi_symbol_allowed_by_version), XTEST(test_lint_rejects_wide_division),
	    XTEST(test_lint_accepts_64_bit_division_and_wide_arithmetic),
	    XTEST(test_lint_rejects_wide_float_conversion), XTEST(test_lint_rejects_frem),
	    XTEST(test_lint_rejects_signed_wide_mul_overflow),
	    XTEST(test_lint_rejects_wide_or_misaligned_atomics),
	    XTEST(test_lint_accepts_aligned_atomics_up_to_8_bytes),
	    XTEST(test_lint_rejects_half_and_bfloat), XTEST(test_lint_rejects_canonicalize),
	    XTEST(test_lint_names_runtime_helpers_declared_by_hand),
	    XTEST(test_lint_rejects_prologue_data), XTEST(test_lint_rejects_prefix_data),
	    XTEST(test_lint_rejects_personality_function),
	    XTEST(test_lint_rejects_patchable_function_attributes),
	    XTEST(test_lint_rejects_naked_function), XTEST(test_lint_rejects_explicit_section),
	    XTEST(test_lint_rejects_global_alias), XTEST(test_lint_rejects_ifunc),
	    XTEST(test_lint_rejects_calling_convention_everywhere),
	    XTEST(test_lint_rejects_register_intrinsics), XTEST(test_lint_rejects_frame_intrinsics),
	    XTEST(test_lint_rejects_eh_escape_and_cache_intrinsics),
	    XTEST(test_lint_accepts_stackrestore_of_a_stacksave),
	    XTEST(test_lint_rejects_forged_stackrestore))
