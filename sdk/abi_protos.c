// SPDX-License-Identifier: MIT
/*
 * The ABI's prototypes, for the lint: one LLVM declaration per symbol of
 * driver-abi/include/xdrv/symbols.def, exactly as clang-19 declares it when it compiles
 * <xdrv/abi.h> for the portable profile (types of the result and of each parameter, varargs,
 * signext/zeroext). The text is generated at build time from the headers themselves
 * (sdk/abi_protos.c.in, see the Makefile), not written by hand, so it cannot drift from them;
 * tests/sdk/test_lint.c checks that every listed symbol has one and that `xdrv build` of the
 * headers gives the same. Embedded, so the loader needs no compiler to use it.
 */
#include <errno.h>
#include <llvm-c/IRReader.h>
#include <string.h>
#include <xdrv/util.h>

#include "sdk_private.h"

/* "target ..." and "declare ..." lines of the IR, as C string literals */
static const char abi_protos_ir[] =
#include "abi_protos.inc"
	;

int sdk_abi_prototypes(LLVMContextRef ctx, LLVMModuleRef *out, char **err)
{
	*out = NULL;
	/* the literal's own NUL ends the buffer, as the parser wants; not copied, and the parser
	 * takes the buffer (not the bytes) over */
	LLVMMemoryBufferRef mb = LLVMCreateMemoryBufferWithMemoryRange(
		abi_protos_ir, sizeof abi_protos_ir - 1, "xdrv-abi-prototypes", 1);
	if (!mb)
		return xdrv_err(err, -ENOMEM, "ABI prototypes: out of memory");
	char *msg = NULL;
	if (LLVMParseIRInContext(ctx, mb, out, &msg)) {
		/* only if this build's generated text is broken, or memory ran out */
		int rc = xdrv_err(err, -EINVAL, "ABI prototypes: %s", msg ? msg : "do not parse");
		LLVMDisposeMessage(msg);
		*out = NULL;
		return rc;
	}
	LLVMDisposeMessage(msg);
	return 0;
}
