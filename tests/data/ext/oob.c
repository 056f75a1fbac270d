// SPDX-License-Identifier: MIT
/*
 * Hostile extension: reads 10 bytes past the end of the frame. The accessor's bounds check must
 * stop it: detached, counted, the packet gets the policy verdict.
 */
#include <xdrv/ext.h>

static int32_t oob_run(xdrv_ext_pkt_t *pkt)
{
	return xdrv_ext_ld8(pkt, xdrv_ext_len(pkt) + 10) == 0x42 ? XDRV_EXT_DROP : XDRV_EXT_PASS;
}

XDRV_EXTENSION(.name = "oob", .version = "1.0.0", .hooks = XDRV_EXT_HOOK_RX | XDRV_EXT_HOOK_TX,
	       .run = oob_run);
