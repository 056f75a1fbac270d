// SPDX-License-Identifier: MIT
/*
 * Not linkable everywhere: a 16-byte atomic. x86-64 CPUs without cmpxchg16b (QEMU's default CPU
 * model among them) and riscv64 have no 16-byte compare-and-swap, so their back ends call the
 * compiler runtime helper __atomic_fetch_add_16, which the driver ABI does not provide: the
 * package loaded on this machine and would fail on those hosts of the same profile.
 * Write instead: atomics of at most 8 bytes, or a lock.
 * expect-build: atomic128.c:[0-9]+:[0-9]+: error: function probe: 16-byte atomic .*_add_16
 * expect-load: 16-byte atomic operation .atomicrmw add i128. lowers to .*__atomic_fetch_add_16
 */
#include "drv.h"

static _Alignas(16) unsigned __int128 events;

static int32_t probe(xdrv_device_t *dev)
{
	(void)dev;
	__atomic_fetch_add(&events, 1, __ATOMIC_SEQ_CST);
	return 0;
}
PORT_DRIVER("port-atomic128");
