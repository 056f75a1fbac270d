// SPDX-License-Identifier: MIT
/*
 * Non-portable: a struct passed by value through the ABI boundary (here an exported
 * function; the same holds for callbacks, imports and indirect calls). Each target splits
 * aggregates into registers its own way, so the caller on the host and the driver's code
 * would disagree.
 * Write instead: pass a pointer; return a status and fill a caller-provided struct.
 * expect-build: returns a struct
 * expect-load: returns a struct
 */
#include "drv.h"

struct pair {
	uint64_t a, b, c;
};

struct pair make_pair(uint64_t a);
struct pair make_pair(uint64_t a)
{
	struct pair p = {a, a + 1, a + 2};
	return p;
}

static int32_t probe(xdrv_device_t *dev)
{
	(void)dev;
	return make_pair(1).b == 2 ? 0 : -1;
}
PORT_DRIVER("port-aggregate");
