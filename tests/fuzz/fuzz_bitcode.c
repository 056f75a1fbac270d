// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the bitcode gate the loader applies to a driver: parse the bitcode
 * (sdk_bitcode_parse: LLVMParseBitcodeInContext2 from a memory buffer, under a diagnostic handler
 * so LLVM never exits), LLVMVerifyModule, then the profile check, the descriptor reader and the
 * lint, which must cope with every module the verifier accepts.
 *
 * Two modes:
 *  - default: the input is LLVM IR text. It is parsed, written as bitcode, and that bitcode goes
 *    through the gate. Every module the fuzzer reaches is well-formed bitcode, so the run
 *    exercises our code (descriptor reader, lint) instead of stopping in LLVM.
 *  - XDRV_FUZZ_RAW_BITCODE=1: the input is raw bitcode, exactly what a package carries.
 *
 * LLVM's bitcode reader is not hardened against hostile input: in raw mode, LLVM 19 crashes
 * within seconds (out-of-bounds reads in GlobalValue::setPartition and the metadata loader,
 * huge allocations from record lengths, StructType::getTypeAtIndex on bad indices). Those are
 * LLVM's bugs, not ours, and the reason the loader lets bitcode reach this gate only after the
 * package signature has been verified. Seeds for the default mode are .ll files in
 * tests/fuzz/corpus/fuzz_bitcode/.
 */
#include <llvm-c/Analysis.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/IRReader.h>
#include <stdint.h>
#include <stdlib.h>
#include <xdrv/sdk.h>

#include "../../sdk/sdk_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void gate(LLVMContextRef ctx, const uint8_t *bc, size_t len)
{
	LLVMModuleRef m = NULL;
	char *err = NULL, *msg = NULL;
	if (sdk_bitcode_parse(ctx, bc, len, "fuzz", &m, &err) != 0)
		goto out;
	if (LLVMVerifyModule(m, LLVMReturnStatusAction, &msg))
		goto out;
	(void)sdk_profile_check(m, &err);
	free(err);
	err = NULL;
	struct sdk_descriptor d;
	uint32_t abi = 1000000;
	if (sdk_descriptor_read(m, &d, &err) == 0) {
		abi = d.abi_version;
		sdk_descriptor_free(&d);
	}
	free(err);
	err = NULL;
	(void)sdk_lint(m, abi, &err);
out:
	free(err);
	LLVMDisposeMessage(msg);
	if (m)
		LLVMDisposeModule(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int raw = -1;
	if (raw < 0)
		raw = getenv("XDRV_FUZZ_RAW_BITCODE") != NULL;
	LLVMContextRef ctx = LLVMContextCreate();
	if (raw) {
		gate(ctx, data, size);
		LLVMContextDispose(ctx);
		return 0;
	}
	struct sdk_diag d;
	sdk_diag_begin(ctx, &d);
	LLVMMemoryBufferRef mb =
		LLVMCreateMemoryBufferWithMemoryRangeCopy((const char *)data, size, "fuzz.ll");
	LLVMModuleRef m = NULL;
	char *msg = NULL;
	int bad = LLVMParseIRInContext(ctx, mb, &m, &msg); /* takes ownership of mb */
	LLVMDisposeMessage(msg);
	msg = NULL;
	/* the bitcode writer expects a valid module */
	if (!bad && m && !LLVMVerifyModule(m, LLVMReturnStatusAction, &msg)) {
		LLVMMemoryBufferRef bc = LLVMWriteBitcodeToMemoryBuffer(m);
		if (bc) {
			gate(ctx, (const uint8_t *)LLVMGetBufferStart(bc), LLVMGetBufferSize(bc));
			LLVMDisposeMemoryBuffer(bc);
		}
	}
	LLVMDisposeMessage(msg);
	if (m)
		LLVMDisposeModule(m);
	sdk_diag_end(&d);
	LLVMContextDispose(ctx);
	return 0;
}
