// SPDX-License-Identifier: MIT
/*
 * The extension ABI's prototypes, for the extension lint: one LLVM declaration per symbol of
 * driver-abi/include/xdrv/ext_symbols.def, as clang-19 declares it from <xdrv/ext.h> for the
 * portable profile. Generated at build time from sdk/ext_protos.c.in (see the Makefile), the way
 * sdk/abi_protos.c is for the driver ABI; embedded, so the loader needs no compiler.
 */
#include <errno.h>
#include <llvm-c/IRReader.h>
#include <string.h>
#include <xdrv/util.h>

#include "sdk_private.h"

/* "target ..." and "declare ..." lines of the IR, as C string literals */
static const char ext_protos_ir[] =
#include "ext_protos.inc"
	;

int sdk_ext_prototypes(LLVMContextRef ctx, LLVMModuleRef *out, char **err)
{
	*out = NULL;
	LLVMMemoryBufferRef mb = LLVMCreateMemoryBufferWithMemoryRange(
		ext_protos_ir, sizeof ext_protos_ir - 1, "xdrv-ext-prototypes", 1);
	if (!mb)
		return xdrv_err(err, -ENOMEM, "extension ABI prototypes: out of memory");
	char *msg = NULL;
	if (LLVMParseIRInContext(ctx, mb, out, &msg)) {
		int rc = xdrv_err(err, -EINVAL, "extension ABI prototypes: %s",
				  msg ? msg : "do not parse");
		LLVMDisposeMessage(msg);
		*out = NULL;
		return rc;
	}
	LLVMDisposeMessage(msg);
	return 0;
}
