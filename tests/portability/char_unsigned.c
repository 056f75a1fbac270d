// SPDX-License-Identifier: MIT
/*
 * Non-portable: relying on the signedness of plain `char`. It is unsigned on arm64 and
 * ppc64el and signed on x86_64 in their native ABIs; the profile makes it signed everywhere
 * (-fsigned-char), so once built the bitcode behaves the same on every host. What can be
 * refused is an attempt to change that: -D__CHAR_UNSIGNED__ in `xdrv build`, and bitcode that
 * was compiled for a real target with that target's char (a foreign triple, in the loader).
 * No check can see, in bitcode, that the author *meant* unsigned: by then every char is an i8
 * with its sign or zero extension already chosen.
 * Write instead: uint8_t for bytes, int8_t for small signed numbers.
 * expect-build: char is signed in profile xdrv-lp64le-1
 * expect-load: bitcode targets aarch64
 * build-flags: -D__CHAR_UNSIGNED__
 * foreign-target: aarch64-linux-gnu
 */
#include "drv.h"

static int32_t probe(xdrv_device_t *dev)
{
	(void)dev;
	char c = (char)0xff;
#ifdef __CHAR_UNSIGNED__
	return c == 255 ? 0 : -1;
#else
	return c == -1 ? 0 : -1;
#endif
}
PORT_DRIVER("port-char");
