// SPDX-License-Identifier: MIT
/*
 * `xdrv abi`: print the driver ABI version these tools implement and the importable symbols
 * with the version that introduced each (from driver-abi/include/xdrv/symbols.def), as text
 * or, with --json, one JSON object.
 */
#include "commands.h"

#include "cmd_json.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
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

static const char usage[] =
	"usage: xdrv abi [--json]\n"
	"\n"
	"Print the driver ABI version and every importable symbol with the ABI version that\n"
	"introduced it.\n"
	"\n"
	"  --json   one JSON object: {\"abi\": \"1.0.0\", \"abi_number\": 1000000,\n"
	"           \"symbols\": [{\"name\": \"xdrv_log\", \"since\": \"1.0.0\"}, ...]}\n";

static int print_json(void)
{
	char v[32];
	json_t *doc = json_object(), *arr = json_array();
	snprintf(v, sizeof v, "%u.%u.%u", XDRV_ABI_VERSION_MAJOR, XDRV_ABI_VERSION_MINOR,
		 XDRV_ABI_VERSION_PATCH);
	json_object_set_new(doc, "abi", json_string(v));
	json_object_set_new(doc, "abi_number", json_integer(XDRV_ABI_VERSION));
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		snprintf(v, sizeof v, "%u.%u.%u", syms[i].maj, syms[i].min, syms[i].pat);
		json_array_append_new(arr,
				      json_pack("{s:s, s:s}", "name", syms[i].name, "since", v));
	}
	json_object_set_new(doc, "symbols", arr);
	return cmd_json_print("abi", doc);
}

int cmd_abi(int argc, char **argv)
{
	bool json;
	int rc = cmd_json_only_args("abi", usage, argc, argv, &json);
	if (rc >= 0)
		return rc;
	if (json)
		return print_json();
	printf("xdrv driver ABI %u.%u.%u (%u)\n", XDRV_ABI_VERSION_MAJOR, XDRV_ABI_VERSION_MINOR,
	       XDRV_ABI_VERSION_PATCH, XDRV_ABI_VERSION);
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++)
		printf("%-28s %u.%u.%u\n", syms[i].name, syms[i].maj, syms[i].min, syms[i].pat);
	return 0;
}
