// SPDX-License-Identifier: MIT
/*
 * `xdrv abi`: print the driver ABI version these tools implement and the importable symbols
 * with the version that introduced each (from driver-abi/include/xdrv/symbols.def).
 */
#include "commands.h"

#include <stdio.h>
#include <xdrv/abi.h>

struct sym {
	const char *name;
	unsigned maj, min, pat;
};

static const struct sym syms[] = {
#define XDRV_SYM(n, a, b, c) {#n, a, b, c},
#include <xdrv/symbols.def>
#undef XDRV_SYM
};

int cmd_abi(int argc, char **argv)
{
	if (xdrv_cli_wants_help(argc, argv)) {
		printf("usage: xdrv abi\n\nPrint the driver ABI version and every importable "
		       "symbol "
		       "with the ABI version that introduced it.\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "xdrv abi: takes no arguments; try 'xdrv abi --help'\n");
		return 2;
	}
	printf("xdrv driver ABI %u.%u.%u (%u)\n", XDRV_ABI_VERSION_MAJOR, XDRV_ABI_VERSION_MINOR,
	       XDRV_ABI_VERSION_PATCH, XDRV_ABI_VERSION);
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++)
		printf("%-28s %u.%u.%u\n", syms[i].name, syms[i].maj, syms[i].min, syms[i].pat);
	return 0;
}
