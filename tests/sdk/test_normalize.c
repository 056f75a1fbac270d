// SPDX-License-Identifier: MIT
/*
 * Tests for sdk/normalize.c: target-specific attributes are stripped from definitions,
 * declarations and call sites, the triple, data layout and profile flag are set (idempotently),
 * and sdk_profile_check refuses modules built for another target or profile.
 */
#include <errno.h>
#include <llvm-c/Analysis.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>

#include "../xtest.h"
#include "sdk_fixtures.h"

static const char attrs_ir[] =
	"declare void @xdrv_log(i32, ptr) #0\n"
	"define void @g(ptr %p) #0 {\n"
	"  call void @xdrv_log(i32 1, ptr %p) #1\n  ret void\n}\n"
	"attributes #0 = { nounwind \"target-cpu\"=\"x86-64\" "
	"\"target-features\"=\"+avx2,+sse4.2\" "
	"\"tune-cpu\"=\"generic\" \"min-legal-vector-width\"=\"0\" \"frame-pointer\"=\"all\" }\n"
	"attributes #1 = { \"target-features\"=\"+avx2\" }\n";

static void test_normalize_strips_target_attributes(void)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = sdkfx_ir(ctx, sdkfx_ir_driver, attrs_ir);
	char *err = NULL;
	CU_ASSERT_EQUAL(sdk_lint(m, 1000000, &err), -EINVAL); /* before: refused */
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL_FATAL(sdk_normalize(m, &err), 0);
	LLVMValueRef g = LLVMGetNamedFunction(m, "g");
	const unsigned fi = LLVMAttributeFunctionIndex;
	CU_ASSERT_PTR_NULL(LLVMGetStringAttributeAtIndex(g, fi, "target-cpu", 10));
	CU_ASSERT_PTR_NULL(LLVMGetStringAttributeAtIndex(g, fi, "target-features", 15));
	CU_ASSERT_PTR_NULL(LLVMGetStringAttributeAtIndex(g, fi, "tune-cpu", 8));
	CU_ASSERT_PTR_NULL(LLVMGetStringAttributeAtIndex(g, fi, "min-legal-vector-width", 22));
	/* not target-specific: kept */
	CU_ASSERT_PTR_NOT_NULL(LLVMGetStringAttributeAtIndex(g, fi, "frame-pointer", 13));
	CU_ASSERT_PTR_NULL(LLVMGetStringAttributeAtIndex(LLVMGetNamedFunction(m, "xdrv_log"), fi,
							 "target-cpu", 10));
	LLVMValueRef call = LLVMGetFirstInstruction(LLVMGetFirstBasicBlock(g));
	CU_ASSERT_PTR_NULL(LLVMGetCallSiteStringAttribute(call, fi, "target-features", 15));
	CU_ASSERT_EQUAL(sdk_lint(m, 1000000, &err), 0); /* after: accepted */
	free(err);
	LLVMDisposeModule(m);
	LLVMContextDispose(ctx);
}

static void test_normalize_sets_profile_idempotently(void)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = sdkfx_ir(ctx, sdkfx_ir_driver, NULL);
	char *err = NULL;
	LLVMSetTarget(m, "x86_64-pc-linux-gnu");
	CU_ASSERT_EQUAL(sdk_profile_check(m, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "target triple 'x86_64-pc-linux-gnu'") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(sdk_normalize(m, &err), 0);
	CU_ASSERT_EQUAL(sdk_normalize(m, &err), 0);
	CU_ASSERT_STRING_EQUAL(LLVMGetTarget(m), SDK_TRIPLE);
	CU_ASSERT_STRING_EQUAL(LLVMGetDataLayoutStr(m), SDK_DATALAYOUT);
	CU_ASSERT_EQUAL(sdk_profile_check(m, &err), 0);
	char *msg = NULL;
	CU_ASSERT_FALSE(LLVMVerifyModule(m, LLVMReturnStatusAction, &msg)); /* one flag, not two */
	LLVMDisposeMessage(msg);
	LLVMDisposeModule(m);
	LLVMContextDispose(ctx);
}

static void test_profile_check_rejects_missing_or_other_profile(void)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = sdkfx_ir(ctx, sdkfx_ir_driver, NULL);
	char *err = NULL;
	CU_ASSERT_EQUAL(sdk_profile_check(m, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "no 'xdrv.profile' module flag") : NULL);
	free(err);
	err = NULL;
	LLVMAddModuleFlag(m, LLVMModuleFlagBehaviorError, SDK_PROFILE_FLAG,
			  strlen(SDK_PROFILE_FLAG), LLVMMDStringInContext2(ctx, "other-9", 7));
	CU_ASSERT_EQUAL(sdk_profile_check(m, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "profile 'other-9' is not 'xdrv-lp64le-1'")
				   : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(sdk_normalize(m, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "carries profile 'other-9'") : NULL);
	free(err);
	LLVMDisposeModule(m);
	LLVMContextDispose(ctx);
}

XTEST_SUITE(sdk_normalize, NULL, NULL, XTEST(test_normalize_strips_target_attributes),
	    XTEST(test_normalize_sets_profile_idempotently),
	    XTEST(test_profile_check_rejects_missing_or_other_profile))
