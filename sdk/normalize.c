// SPDX-License-Identifier: MIT
/*
 * Normalizing a freshly linked driver module to the portable profile: remove the function
 * attributes that tie code to one CPU or target (clang adds target-cpu/target-features even for
 * le64 when asked to, and a hand-built module may carry anything), set the neutral triple and
 * data layout, and stamp the profile name into a module flag. Also the check that a module
 * received from elsewhere was built for the profile. What would not port in the code itself is
 * the lint's business (lint.c), not this file's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>
#include <xdrv/util.h>

#include "sdk_private.h"

/* Remove the target-specific string attributes of a function (strip_fn) or call (strip_call). */
static int strip_fn(LLVMValueRef f)
{
	LLVMAttributeIndex idx = LLVMAttributeFunctionIndex;
	unsigned n = LLVMGetAttributeCountAtIndex(f, idx);
	if (n == 0)
		return 0;
	LLVMAttributeRef *attrs = calloc(n, sizeof *attrs);
	if (!attrs)
		return -ENOMEM;
	LLVMGetAttributesAtIndex(f, idx, attrs);
	/* collect names first: removing an attribute invalidates the array's strings */
	char **kill = calloc(n, sizeof *kill);
	unsigned nk = 0;
	int rc = kill ? 0 : -ENOMEM;
	for (unsigned i = 0; i < n && rc == 0; i++) {
		if (!LLVMIsStringAttribute(attrs[i]))
			continue;
		unsigned len = 0;
		const char *k = LLVMGetStringAttributeKind(attrs[i], &len);
		if (sdk_attr_is_target_specific(k, len)) {
			kill[nk] = strndup(k, len);
			if (!kill[nk])
				rc = -ENOMEM;
			else
				nk++;
		}
	}
	for (unsigned i = 0; i < nk; i++) {
		LLVMRemoveStringAttributeAtIndex(f, idx, kill[i], (unsigned)strlen(kill[i]));
		free(kill[i]);
	}
	free(kill);
	free(attrs);
	return rc;
}

static int strip_call(LLVMValueRef c)
{
	LLVMAttributeIndex idx = LLVMAttributeFunctionIndex;
	unsigned n = LLVMGetCallSiteAttributeCount(c, idx);
	if (n == 0)
		return 0;
	LLVMAttributeRef *attrs = calloc(n, sizeof *attrs);
	char **kill = calloc(n, sizeof *kill);
	unsigned nk = 0;
	int rc = attrs && kill ? 0 : -ENOMEM;
	if (rc == 0)
		LLVMGetCallSiteAttributes(c, idx, attrs);
	for (unsigned i = 0; i < n && rc == 0; i++) {
		if (!LLVMIsStringAttribute(attrs[i]))
			continue;
		unsigned len = 0;
		const char *k = LLVMGetStringAttributeKind(attrs[i], &len);
		if (sdk_attr_is_target_specific(k, len)) {
			kill[nk] = strndup(k, len);
			if (!kill[nk])
				rc = -ENOMEM;
			else
				nk++;
		}
	}
	for (unsigned i = 0; i < nk; i++) {
		LLVMRemoveCallSiteStringAttribute(c, idx, kill[i], (unsigned)strlen(kill[i]));
		free(kill[i]);
	}
	free(kill);
	free(attrs);
	return rc;
}

/* The profile flag's string, or NULL if the module has none (or a non-string one: *present
 * tells them apart). */
static const char *profile_flag(LLVMModuleRef m, int *present, unsigned *len)
{
	LLVMMetadataRef md = LLVMGetModuleFlag(m, SDK_PROFILE_FLAG, strlen(SDK_PROFILE_FLAG));
	*present = md != NULL;
	*len = 0;
	if (!md)
		return NULL;
	LLVMValueRef v = LLVMMetadataAsValue(LLVMGetModuleContext(m), md);
	return LLVMGetMDString(v, len);
}

int sdk_normalize(LLVMModuleRef m, char **err)
{
	int rc = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f && rc == 0; f = LLVMGetNextFunction(f)) {
		rc = strip_fn(f);
		for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb && rc == 0;
		     bb = LLVMGetNextBasicBlock(bb))
			for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i && rc == 0;
			     i = LLVMGetNextInstruction(i))
				if (LLVMIsACallInst(i) || LLVMIsAInvokeInst(i) ||
				    LLVMIsACallBrInst(i))
					rc = strip_call(i);
	}
	if (rc != 0)
		return xdrv_err(err, rc, "normalize: out of memory");

	int present;
	unsigned len;
	const char *p = profile_flag(m, &present, &len);
	if (present && (!p || len != strlen(SDK_PROFILE) || memcmp(p, SDK_PROFILE, len) != 0))
		return xdrv_err(err, -EINVAL, "normalize: module carries profile '%.*s', not '%s'",
				p ? (int)len : 0, p ? p : "", SDK_PROFILE);
	LLVMSetTarget(m, SDK_TRIPLE);
	LLVMSetDataLayout(m, SDK_DATALAYOUT);
	if (!present) {
		LLVMContextRef ctx = LLVMGetModuleContext(m);
		LLVMAddModuleFlag(m, LLVMModuleFlagBehaviorError, SDK_PROFILE_FLAG,
				  strlen(SDK_PROFILE_FLAG),
				  LLVMMDStringInContext2(ctx, SDK_PROFILE, strlen(SDK_PROFILE)));
	}
	return 0;
}

int sdk_profile_check(LLVMModuleRef m, char **err)
{
	const char *t = LLVMGetTarget(m);
	if (!t || strcmp(t, SDK_TRIPLE) != 0)
		return xdrv_err(
			err, -EINVAL,
			"bitcode: target triple '%.64s' is not the portable profile's '%s': "
			"build the driver with `xdrv build`",
			t ? t : "", SDK_TRIPLE);
	int present;
	unsigned len;
	const char *p = profile_flag(m, &present, &len);
	if (!present)
		return xdrv_err(err, -EINVAL,
				"bitcode: no '%s' module flag: build the driver with `xdrv build`",
				SDK_PROFILE_FLAG);
	if (!p || len != strlen(SDK_PROFILE) || memcmp(p, SDK_PROFILE, len) != 0)
		return xdrv_err(err, -EINVAL, "bitcode: profile '%.*s' is not '%s'",
				p ? (int)(len > 64 ? 64 : len) : 0, p ? p : "", SDK_PROFILE);
	return 0;
}
