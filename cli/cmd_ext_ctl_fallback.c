// SPDX-License-Identifier: MIT
/*
 * A weak stand-in for cmd_ext_ctl (`xdrv ext attach|detach|list|stats`), so that this branch
 * links before cli/cmd_ext_ctl.c (issue 16's attach helper) is merged. The real one is strong
 * and sorts before this file in libxdrv_cli.a, so the linker takes it; delete this file once
 * cli/cmd_ext_ctl.c is in.
 */
#include "commands.h"

#include <stdio.h>

__attribute__((weak)) int cmd_ext_ctl(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "xdrv ext %s: this xdrv was built without cli/cmd_ext_ctl.c\n",
		argc > 0 ? argv[0] : "");
	return 1;
}
