// SPDX-License-Identifier: MIT
/*
 * `xdrv version` and `xdrv --version [--json]`: the release of the tools, the driver ABI, the
 * LLVM that JIT-compiles drivers and the git commit (xdrv/version.h has the facts).
 */
#include "commands.h"

#include "cmd_json.h"

#include <stdbool.h>
#include <stdio.h>
#include <xdrv/version.h>

static const char usage[] =
	"usage: xdrv --version [--json]\n"
	"       xdrv version [--json]\n"
	"\n"
	"Print the xdrv version, the driver ABI version it implements, the LLVM version that\n"
	"JIT-compiles drivers and the git commit it was built from, on one line:\n"
	"  xdrv 0.1.0 (driver ABI 1.0.0, LLVM 19.1.7, git 0123456789ab)\n"
	"\n"
	"  --json   one JSON object instead: {\"program\", \"version\", \"abi\", \"abi_number\",\n"
	"           \"llvm\", \"git_commit\"} (git_commit is \"unknown\" outside a git checkout)\n";

int cmd_version(int argc, char **argv)
{
	bool json;
	int rc = cmd_json_only_args("version", usage, argc, argv, &json);
	if (rc >= 0)
		return rc;
	if (json)
		return xdrv_version_print_json(stdout, "xdrv") == 0 ? 0 : 1;
	printf("%s\n", xdrv_version_string("xdrv"));
	return 0;
}
