// SPDX-License-Identifier: MIT
/*
 * The facts `--version` prints (xdrv/version.h). XDRV_GIT_COMMIT comes from the Makefile for
 * this object only; a build outside git (a release tarball) says "unknown". The LLVM version is
 * asked of the library at run time, since that is the one that compiles the drivers.
 */
#include "xdrv/version.h"

#include <errno.h>
#include <llvm-c/Core.h>
#include <stdio.h>
#include <xdrv/abi.h>

#ifndef XDRV_GIT_COMMIT
#define XDRV_GIT_COMMIT "unknown"
#endif

const char *xdrv_version_git_commit(void)
{
	return XDRV_GIT_COMMIT[0] ? XDRV_GIT_COMMIT : "unknown";
}

const char *xdrv_version_llvm(void)
{
	static char buf[32];
	unsigned maj = 0, min = 0, pat = 0;
	LLVMGetVersion(&maj, &min, &pat);
	snprintf(buf, sizeof buf, "%u.%u.%u", maj, min, pat); /* 3 x 10 digits + 2 dots fit */
	return buf;
}

const char *xdrv_version_string(const char *prog)
{
	static char buf[256];
	int n = snprintf(buf, sizeof buf, "%s %s (driver ABI %u.%u.%u, LLVM %s, git %s)",
			 prog ? prog : "xdrv", XDRV_VERSION, XDRV_ABI_VERSION_MAJOR,
			 XDRV_ABI_VERSION_MINOR, XDRV_ABI_VERSION_PATCH, xdrv_version_llvm(),
			 xdrv_version_git_commit());
	if (n < 0 || (size_t)n >= sizeof buf) /* only a program name of ~150 bytes gets here */
		snprintf(buf, sizeof buf, "xdrv %s", XDRV_VERSION);
	return buf;
}

int xdrv_version_print_json(FILE *f, const char *prog)
{
	/* every value is a fixed ASCII word or number; prog is one of our program names */
	int n = fprintf(f,
			"{\"program\":\"%s\",\"version\":\"%s\",\"abi\":\"%u.%u.%u\","
			"\"abi_number\":%u,\"llvm\":\"%s\",\"git_commit\":\"%s\"}\n",
			prog ? prog : "xdrv", XDRV_VERSION, XDRV_ABI_VERSION_MAJOR,
			XDRV_ABI_VERSION_MINOR, XDRV_ABI_VERSION_PATCH, XDRV_ABI_VERSION,
			xdrv_version_llvm(), xdrv_version_git_commit());
	return n < 0 ? -EIO : 0;
}
