// SPDX-License-Identifier: MIT
/*
 * The ABI binding table: every importable symbol of driver-abi/include/xdrv/symbols.def with the
 * address of its host implementation and the ABI version that introduced it. The table is generated
 * from symbols.def by an X-macro, so a symbol listed there without an implementation here is a link
 * error, never a run-time surprise. The JIT core defines exactly these names as absolute
 * symbols in a driver's JITDylib; nothing else in the process is reachable from driver code.
 *
 * memcpy, memmove and memset bind to the C library's.
 */
#include <string.h>
#include <xdrv/abi.h>
#include <xdrv/runtime.h>

static const struct ldr_abi_binding bindings[] = {
#define XDRV_SYM(n, a, b, c) {#n, (void (*)(void))(n), XDRV_ABI_MKVER(a, b, c)},
#include <xdrv/symbols.def>
#undef XDRV_SYM
};

const struct ldr_abi_binding *ldr_abi_bindings(size_t *count)
{
	if (count)
		*count = sizeof bindings / sizeof bindings[0];
	return bindings;
}
