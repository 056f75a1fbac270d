// SPDX-License-Identifier: MIT
/*
 * Reading and writing bitcode without letting LLVM decide what happens on error. LLVM reports
 * bitcode and link errors through the context's diagnostic handler, and with no handler set it
 * prints the message and calls exit(1); a malformed package must never end the process, so every
 * parse here runs under a handler of ours that keeps the first error as the message.
 */
#include <errno.h>
#include <llvm-c/BitReader.h>
#include <llvm-c/BitWriter.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>
#include <xdrv/util.h>

#include "sdk_private.h"

static void on_diag(LLVMDiagnosticInfoRef di, void *opaque)
{
	struct sdk_diag *d = opaque;
	if (LLVMGetDiagInfoSeverity(di) != LLVMDSError || d->msg)
		return;
	char *m = LLVMGetDiagInfoDescription(di);
	if (m) {
		d->msg = strdup(m);
		LLVMDisposeMessage(m);
	}
}

void sdk_diag_begin(LLVMContextRef ctx, struct sdk_diag *d)
{
	d->msg = NULL;
	d->ctx = ctx;
	d->old_handler = LLVMContextGetDiagnosticHandler(ctx);
	d->old_opaque = LLVMContextGetDiagnosticContext(ctx);
	LLVMContextSetDiagnosticHandler(ctx, on_diag, d);
}

void sdk_diag_end(struct sdk_diag *d)
{
	LLVMContextSetDiagnosticHandler(d->ctx, d->old_handler, d->old_opaque);
	free(d->msg);
	d->msg = NULL;
}

int sdk_bitcode_parse(LLVMContextRef ctx, const uint8_t *buf, size_t len, const char *what,
		      LLVMModuleRef *out, char **err)
{
	int rc = 0;
	struct sdk_diag d;
	*out = NULL;
	if (!what)
		what = "bitcode";
	if (!buf || len == 0)
		return xdrv_err(err, -EINVAL, "%s: empty", what);
	/* a private copy: LLVM's buffers are aligned and the caller's stays theirs */
	LLVMMemoryBufferRef mb =
		LLVMCreateMemoryBufferWithMemoryRangeCopy((const char *)buf, len, what);
	if (!mb)
		return xdrv_err(err, -ENOMEM, "%s: out of memory", what);
	sdk_diag_begin(ctx, &d);
	if (LLVMParseBitcodeInContext2(ctx, mb, out) || !*out) {
		rc = xdrv_err(err, -EINVAL, "%s: not valid LLVM bitcode: %s", what,
			      d.msg ? d.msg : "unknown error");
		if (*out)
			LLVMDisposeModule(*out);
		*out = NULL;
	}
	sdk_diag_end(&d);
	LLVMDisposeMemoryBuffer(mb);
	return rc;
}

int sdk_bitcode_write(LLVMModuleRef m, const char *path, char **err)
{
	LLVMMemoryBufferRef mb = LLVMWriteBitcodeToMemoryBuffer(m);
	if (!mb)
		return xdrv_err(err, -ENOMEM, "%s: could not serialize bitcode", path);
	int rc = xdrv_write_file_atomic(path, LLVMGetBufferStart(mb), LLVMGetBufferSize(mb), 0644,
					err);
	LLVMDisposeMemoryBuffer(mb);
	return rc;
}
