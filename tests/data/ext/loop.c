// SPDX-License-Identifier: MIT
/*
 * Hostile extension: an endless loop. It passes the lint (loops are allowed: every back edge
 * counts against the per-packet budget), and the budget must stop it: detached, counted, the
 * packet gets the policy verdict.
 */
#include <xdrv/ext.h>

static int32_t loop_run(xdrv_ext_pkt_t *pkt)
{
	uint32_t x = xdrv_ext_len(pkt);
	for (;;) {
		x = x * 1103515245u + 12345u; /* not constant: the loop cannot be folded away */
		if (x == 0xffffffffu && xdrv_ext_len(pkt) == 0)
			break; /* never: the length of a frame is not 0 */
	}
	return (int32_t)(x & 1u);
}

XDRV_EXTENSION(.name = "loop", .version = "1.0.0", .hooks = XDRV_EXT_HOOK_RX | XDRV_EXT_HOOK_TX,
	       .run = loop_run);
