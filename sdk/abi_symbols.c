// SPDX-License-Identifier: MIT
/*
 * The importable symbols of the driver ABI, compiled in from driver-abi/include/xdrv/symbols.def
 * (the X-macro list, one XDRV_SYM(name, major, minor, patch) per line). The lint asks here whether
 * a driver may import a name at the ABI version it declares. The table is the one of this checkout:
 * a driver that declares a newer ABI than this SDK knows is refused elsewhere.
 */
#include <string.h>
#include <xdrv/sdk.h>

#include "sdk_private.h"

struct abi_sym {
	const char *name;
	uint32_t version;
};

static const struct abi_sym abi_syms[] = {
#define XDRV_SYM(n, a, b, c) {#n, (a)*1000000u + (b)*1000u + (c)},
#include <xdrv/symbols.def>
#undef XDRV_SYM
};

uint32_t sdk_abi_symbol_version(const char *name)
{
	if (!name)
		return 0;
	/* ~60 names: a linear scan is cheaper than keeping a sorted copy in step with the list */
	for (size_t i = 0; i < sizeof abi_syms / sizeof abi_syms[0]; i++)
		if (strcmp(abi_syms[i].name, name) == 0)
			return abi_syms[i].version;
	return 0;
}

int sdk_abi_symbol_allowed(const char *name, uint32_t abi_version)
{
	uint32_t v = sdk_abi_symbol_version(name);
	/* symbols are never removed, so everything introduced up to the driver's version is there
	 */
	return v != 0 && v <= abi_version;
}

/* The extension ABI's list (ext_symbols.def): what a packet extension may import. */
static const struct abi_sym ext_syms[] = {
#define XDRV_SYM(n, a, b, c) {#n, (a)*1000000u + (b)*1000u + (c)},
#include <xdrv/ext_symbols.def>
#undef XDRV_SYM
};

uint32_t sdk_ext_symbol_version(const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < sizeof ext_syms / sizeof ext_syms[0]; i++)
		if (strcmp(ext_syms[i].name, name) == 0)
			return ext_syms[i].version;
	return 0;
}

int sdk_ext_symbol_allowed(const char *name, uint32_t ext_abi_version)
{
	uint32_t v = sdk_ext_symbol_version(name);
	return v != 0 && v <= ext_abi_version;
}
