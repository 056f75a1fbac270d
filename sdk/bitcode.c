// SPDX-License-Identifier: MIT
/*
 * Reading and writing bitcode without letting LLVM decide what happens on error. LLVM reports
 * bitcode and link errors through the context's diagnostic handler, and with no handler set it
 * prints the message and calls exit(1); a malformed package must never end the process, so every
 * parse here runs under a handler of ours that keeps the first error as the message.
 *
 * The reader also verifies, by itself, every module whose flags name the current debug info
 * version (LLVM's UpgradeDebugInfo), and an invalid one ends the process there with
 * report_fatal_error ("Broken module found, compilation aborted!"): a package's bitcode that
 * is well formed but invalid (an instruction that does not dominate its uses) with that flag
 * aborted `xdrv pack` and an in-process load. That check is turned off once per process
 * (-disable-auto-upgrade-debug-info) and sdk_bitcode_parse verifies the module itself instead,
 * returning the verifier's message: one verification per parse instead of two, and none that
 * can abort.
 */
#include <errno.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/BitReader.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Support.h>
#include <pthread.h>
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

static pthread_once_t reader_once = PTHREAD_ONCE_INIT;
static void reader_init(void)
{
	const char *const args[] = {"xdrv", "-disable-auto-upgrade-debug-info"};
	LLVMParseCommandLineOptions(2, args, NULL);
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
	pthread_once(&reader_once, reader_init);
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
	char *msg = NULL;
	if (rc == 0 && LLVMVerifyModule(*out, LLVMReturnStatusAction, &msg)) {
		rc = xdrv_err(err, -EINVAL, "%s: invalid module: %.500s", what,
			      msg ? msg : "(no message)");
		LLVMDisposeModule(*out);
		*out = NULL;
	}
	LLVMDisposeMessage(msg);
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
