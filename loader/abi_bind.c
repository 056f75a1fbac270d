// SPDX-License-Identifier: MIT
/*
 * The ABI binding table: every importable symbol of driver-abi/include/xdrv/symbols.def with the
 * address of its host implementation and the ABI version that introduced it. The table is generated
 * from symbols.def by an X-macro, so a symbol listed there without an implementation here is a link
 * error, never a run-time surprise. The JIT core defines exactly these names as absolute
 * symbols in a driver's JITDylib; nothing else in the process is reachable from driver code.
 *
 * memcpy, memmove and memset bind to the C library's.
 *
 * The math helpers (ldr_rt_bindings) are not ABI symbols: they are what a host's back end calls
 * for the portable floating-point intrinsics the lint allows, where the CPU lacks the
 * instruction. Each has exactly the intrinsic's semantics (IEEE-754 rounding, the current
 * rounding mode for rint/nearbyint, a single rounding for fma). Measured with LLVM 19 for the
 * hosts of the profile: x86-64 without SSE4.1 (QEMU's default CPU, pre-2008 processors) calls
 * floor, ceil, trunc, rint, nearbyint, round and roundeven, and without FMA3 fma; ppc64el calls
 * nearbyint and roundeven at every CPU level, riscv64 nearbyint; arm64 none.
 */
#define __STDC_WANT_IEC_60559_BFP_EXT__ 1 /* roundeven, roundevenf (glibc 2.25, C23) */
#include <math.h>
#include <string.h>
#include <xdrv/abi.h>
#include <xdrv/runtime.h>

static const struct ldr_abi_binding bindings[] = {
#define XDRV_SYM(n, a, b, c) {#n, (void (*)(void))(n), XDRV_ABI_MKVER(a, b, c)},
#include <xdrv/symbols.def>
#undef XDRV_SYM
};

#define LDR_RT(fn)                                                                                 \
	{                                                                                          \
#fn, (void (*)(void))(fn), 0                                                       \
	}
static const struct ldr_abi_binding rt_bindings[] = {
	LDR_RT(floor),	   LDR_RT(floorf),     LDR_RT(ceil),  LDR_RT(ceilf),
	LDR_RT(trunc),	   LDR_RT(truncf),     LDR_RT(rint),  LDR_RT(rintf),
	LDR_RT(nearbyint), LDR_RT(nearbyintf), LDR_RT(round), LDR_RT(roundf),
	LDR_RT(roundeven), LDR_RT(roundevenf), LDR_RT(fma),   LDR_RT(fmaf),
};
#undef LDR_RT

const struct ldr_abi_binding *ldr_rt_bindings(size_t *count)
{
	if (count)
		*count = sizeof rt_bindings / sizeof rt_bindings[0];
	return rt_bindings;
}

const struct ldr_abi_binding *ldr_abi_bindings(size_t *count)
{
	if (count)
		*count = sizeof bindings / sizeof bindings[0];
	return bindings;
}
