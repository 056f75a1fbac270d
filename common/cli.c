// SPDX-License-Identifier: MIT
/*
 * Shared command-line conventions (xdrv/cli.h): help detection and the usage-error line. Kept
 * apart from the front end so that every program (xdrv, xdrv-bench, the daemons) says the
 * same thing the same way without including cli/.
 */
#include "xdrv/cli.h"

#include <stdio.h>
#include <string.h>

bool xdrv_cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

int xdrv_cli_usage_error(const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "xdrv %s: %s%s%s; try 'xdrv %s --help'\n", cmd, msg, arg ? " " : "",
		arg ? arg : "", cmd);
	return 2;
}
