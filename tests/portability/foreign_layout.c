// SPDX-License-Identifier: MIT
/*
 * Non-portable: bitcode compiled for a real target (here x86_64-linux-gnu, with its data
 * layout and calling convention already lowered into the IR). A correct driver otherwise.
 * `xdrv build` always compiles for the profile, so the SDK-side check is `xdrv pack`, which
 * refuses bitcode without the profile; the loader refuses the triple.
 * Write instead: build with `xdrv build` (triple le64-unknown-unknown, profile xdrv-lp64le-1).
 * expect-build: profile
 * build-check: pack
 * expect-load: bitcode targets x86_64
 * foreign-target: x86_64-linux-gnu
 */
#include "drv.h"

static int32_t probe(xdrv_device_t *dev)
{
	(void)dev;
	return 0;
}
PORT_DRIVER("port-foreign");
