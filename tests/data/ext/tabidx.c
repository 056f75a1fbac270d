// SPDX-License-Identifier: MIT
/*
 * Hostile extension: uses a packet byte as the key of an ARRAY table of 4 entries, so most
 * frames index out of range (the first byte of the destination MAC; 0xff for broadcast). The
 * table function's bounds check must stop it: detached, counted.
 */
#include <xdrv/ext.h>

static const struct xdrv_ext_table tables[] = {
	{.name = "small", .kind = XDRV_EXT_TABLE_ARRAY, .max_entries = 4},
	{.name = NULL},
};

static int32_t tabidx_run(xdrv_ext_pkt_t *pkt)
{
	uint32_t k = xdrv_ext_len(pkt) > 0 ? xdrv_ext_ld8(pkt, 0) : 0;
	xdrv_ext_tab_add(pkt, 0, k, 1);
	return XDRV_EXT_PASS;
}

XDRV_EXTENSION(.name = "tabidx", .version = "1.0.0", .hooks = XDRV_EXT_HOOK_RX | XDRV_EXT_HOOK_TX,
	       .tables = tables, .run = tabidx_run);
