// SPDX-License-Identifier: MIT
/*
 * The smallest extension: every frame passes, unchanged. It measures what an attach point costs
 * by itself (the bench compares no extension, this one, and each sample).
 */
#include <xdrv/ext.h>

static int32_t empty_run(xdrv_ext_pkt_t *pkt)
{
	(void)pkt;
	return XDRV_EXT_PASS;
}

XDRV_EXTENSION(.name = "empty", .version = "1.0.0", .hooks = XDRV_EXT_HOOK_RX | XDRV_EXT_HOOK_TX,
	       .run = empty_run);
