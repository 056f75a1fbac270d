/* SPDX-License-Identifier: MIT */
/*
 * What `--version` says, in one place for every program of xdrv: the release of the tools
 * (XDRV_VERSION), the driver ABI they implement, the LLVM they JIT-compile with and the git
 * commit they were built from. The commit is compiled into common/version.c alone (the
 * Makefile passes -DXDRV_GIT_COMMIT to that one object), so a new commit relinks the programs
 * without recompiling the rest.
 */
#ifndef XDRV_COMMON_VERSION_H
#define XDRV_COMMON_VERSION_H

#include <stdio.h>

/* The release of the xdrv tools (not the driver ABI, which has its own version in abi.h). */
#define XDRV_VERSION "0.1.0"

/* The git commit the programs were built from (`git describe --always --dirty --abbrev=12`:
 * 12 hex digits, "-dirty" when the tree had changes), or "unknown" outside a git checkout.
 * Static storage. */
const char *xdrv_version_git_commit(void);

/* The LLVM library linked at run time, "19.1.7". Static storage; not thread-safe on the
 * first call (call it from main). */
const char *xdrv_version_llvm(void);

/* One line: "PROG 0.1.0 (driver ABI 1.0.0, LLVM 19.1.7, git 0123456789ab)". Static storage,
 * overwritten by the next call; prog NULL means "xdrv". */
const char *xdrv_version_string(const char *prog);

/* `--version --json` style: the same facts as a JSON object on one line, e.g.
 * {"program":"xdrv","version":"0.1.0","abi":"1.0.0","abi_number":1000000,"llvm":"19.1.7",
 * "git_commit":"0123456789ab"}. Returns 0, or -EIO if writing to f failed. */
int xdrv_version_print_json(FILE *f, const char *prog);

#endif
