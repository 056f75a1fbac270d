// SPDX-License-Identifier: MIT
/*
 * Test extension that rewrites frames: swaps the destination and source MAC addresses and
 * passes the frame. It imports xdrv_ext_st8, so ldr_ext_writes says it may write and the host
 * runs it over a copy of a receive pool's frame (issue 16, the batched chain).
 */
#include <xdrv/ext.h>

static int32_t swapmac_run(xdrv_ext_pkt_t *pkt)
{
	if (xdrv_ext_len(pkt) < 12)
		return XDRV_EXT_PASS;
	for (uint32_t i = 0; i < 6; i++) {
		uint32_t d = xdrv_ext_ld8(pkt, i);
		xdrv_ext_st8(pkt, i, xdrv_ext_ld8(pkt, 6 + i));
		xdrv_ext_st8(pkt, 6 + i, d);
	}
	return XDRV_EXT_PASS;
}

XDRV_EXTENSION(.name = "swapmac", .version = "1.0.0", .hooks = XDRV_EXT_HOOK_RX,
	       .run = swapmac_run);
