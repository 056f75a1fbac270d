// SPDX-License-Identifier: MIT
/*
 * Tests for sdk/bitcode.c: malformed bitcode gives an error message instead of LLVM printing
 * and exiting, well-formed but invalid bitcode (with the debug info version flag, which made
 * LLVM's reader verify it itself and abort) the verifier's message, the caller's diagnostic
 * handler is restored, and a write/parse round trip works.
 */
#include <errno.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Core.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>

#include "../xtest.h"
#include "sdk_fixtures.h"

static void my_handler(LLVMDiagnosticInfoRef di, void *opaque)
{
	(void)di;
	(void)opaque;
}

static void test_bitcode_parse_rejects_garbage_without_exiting(void)
{
	LLVMContextRef ctx = LLVMContextCreate();
	int marker;
	LLVMContextSetDiagnosticHandler(ctx, my_handler, &marker);
	LLVMModuleRef m = NULL;
	char *err = NULL;
	static const uint8_t junk[] = "BC\xc0\xde\x35\x14\x00\x00\x05\x00\x00\x00\x62\x0c\x30\x24";
	CU_ASSERT_EQUAL(sdk_bitcode_parse(ctx, junk, sizeof junk, "junk.bc", &m, &err), -EINVAL);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "junk.bc: not valid LLVM bitcode") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(sdk_bitcode_parse(ctx, (const uint8_t *)"x", 1, NULL, &m, &err), -EINVAL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(sdk_bitcode_parse(ctx, NULL, 0, "empty", &m, &err), -EINVAL);
	free(err);
	CU_ASSERT_PTR_EQUAL(LLVMContextGetDiagnosticHandler(ctx), my_handler);
	CU_ASSERT_PTR_EQUAL(LLVMContextGetDiagnosticContext(ctx), &marker);
	LLVMContextDispose(ctx);
}

/* i32 f(i32 x) { a = add b, 1; b = add a, x; ret a }: well formed, invalid (a use before its
 * definition), written as bitcode (the writer does not verify) with the module flag
 * "Debug Info Version" 3 that a clang -g module has */
static uint8_t *invalid_bitcode(LLVMContextRef ctx, size_t *len)
{
	LLVMModuleRef m = LLVMModuleCreateWithNameInContext("bad", ctx);
	LLVMTypeRef i32 = LLVMInt32TypeInContext(ctx);
	LLVMValueRef f = LLVMAddFunction(m, "f", LLVMFunctionType(i32, &i32, 1, 0));
	LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
	LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(ctx, f, "entry"));
	LLVMValueRef one = LLVMConstInt(i32, 1, 0);
	LLVMValueRef a = LLVMBuildAdd(b, LLVMGetParam(f, 0), one, "a");
	LLVMValueRef c = LLVMBuildAdd(b, a, LLVMGetParam(f, 0), "b");
	LLVMSetOperand(a, 0, c);
	LLVMBuildRet(b, a);
	LLVMDisposeBuilder(b);
	LLVMAddModuleFlag(m, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18,
			  LLVMValueAsMetadata(LLVMConstInt(i32, 3, 0)));
	LLVMMemoryBufferRef mb = LLVMWriteBitcodeToMemoryBuffer(m);
	*len = LLVMGetBufferSize(mb);
	uint8_t *buf = malloc(*len);
	memcpy(buf, LLVMGetBufferStart(mb), *len);
	LLVMDisposeMemoryBuffer(mb);
	LLVMDisposeModule(m);
	return buf;
}

static void test_bitcode_parse_rejects_invalid_module_without_aborting(void)
{
	LLVMContextRef ctx = LLVMContextCreate();
	size_t len = 0;
	uint8_t *buf = invalid_bitcode(ctx, &len);
	LLVMModuleRef m = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(sdk_bitcode_parse(ctx, buf, len, "bad.bc", &m, &err), -EINVAL);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_PTR_NOT_NULL(
		err ? strstr(err, "bad.bc: invalid module: Instruction does not dominate all uses")
		    : NULL);
	free(err);
	free(buf);
	LLVMContextDispose(ctx);
}

static void test_bitcode_write_then_parse_round_trips(void)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = sdkfx_ir(ctx, sdkfx_ir_driver, NULL);
	const char *path = xtest_path("%s/m.bc", xtest_tmpdir());
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(sdk_bitcode_write(m, path, &err), 0);
	size_t len;
	uint8_t *buf = xtest_read(path, &len);
	LLVMModuleRef m2 = NULL;
	CU_ASSERT_EQUAL_FATAL(sdk_bitcode_parse(ctx, buf, len, path, &m2, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(LLVMGetNamedGlobal(m2, "xdrv_driver"));
	CU_ASSERT_EQUAL(sdk_bitcode_write(m, "/nonexistent/dir/m.bc", &err), -ENOENT);
	free(err);
	free(buf);
	LLVMDisposeModule(m2);
	LLVMDisposeModule(m);
	LLVMContextDispose(ctx);
}

XTEST_SUITE(sdk_bitcode, NULL, NULL, XTEST(test_bitcode_parse_rejects_garbage_without_exiting),
	    XTEST(test_bitcode_parse_rejects_invalid_module_without_aborting),
	    XTEST(test_bitcode_write_then_parse_round_trips))
