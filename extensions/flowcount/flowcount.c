// SPDX-License-Identifier: MIT
/*
 * A counter per flow: packets and bytes of every IPv4 flow, keyed by a 64-bit hash of its
 * 5-tuple (source and destination address, protocol, source and destination port; ports 0 for
 * protocols without them). Every frame passes.
 *
 * Tables (hash, 4096 entries each), both keyed by the flow's hash:
 *   `packets`  frames of the flow;
 *   `bytes`    their bytes (Ethernet header included).
 * Key 0 counts every frame that is not IPv4 (the hash of a real flow is never 0). When a table
 * is full, new flows are not counted (the host counts the failed inserts).
 *
 * The hash is FNV-1a over the 13 bytes of the 5-tuple, in a fixed order and byte order, so the
 * same flow has the same key on every host (the host can recompute it to look a flow up).
 */
#include "../include/ext_parse.h"
#include <xdrv/ext.h>

#define TAB_PACKETS 0u
#define TAB_BYTES   1u

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME  0x100000001b3ull

static const struct xdrv_ext_table tables[] = {
	{.name = "packets", .kind = XDRV_EXT_TABLE_HASH, .max_entries = 4096},
	{.name = "bytes", .kind = XDRV_EXT_TABLE_HASH, .max_entries = 4096},
	{.name = NULL},
};

/* FNV-1a over the `n` low bytes of v, most significant first. */
static uint64_t fnv(uint64_t h, uint32_t v, unsigned n)
{
	for (unsigned i = n; i > 0; i--) {
		h ^= (v >> (8 * (i - 1))) & 0xffu;
		h *= FNV_PRIME;
	}
	return h;
}

static uint64_t flow_key(const struct flow *f)
{
	uint64_t h = FNV_OFFSET;
	h = fnv(h, f->saddr, 4);
	h = fnv(h, f->daddr, 4);
	h = fnv(h, f->proto, 1);
	h = fnv(h, f->sport, 2);
	h = fnv(h, f->dport, 2);
	return h ? h : 1; /* 0 is the key of non-IPv4 frames */
}

static int32_t flowcount_run(xdrv_ext_pkt_t *pkt)
{
	struct flow f;
	uint64_t key = ext_parse(pkt, &f) == 0 ? flow_key(&f) : 0;
	xdrv_ext_tab_add(pkt, TAB_PACKETS, key, 1);
	xdrv_ext_tab_add(pkt, TAB_BYTES, key, xdrv_ext_len(pkt));
	return XDRV_EXT_PASS;
}

XDRV_EXTENSION(.name = "flowcount", .version = "1.0.0",
	       .hooks = XDRV_EXT_HOOK_RX | XDRV_EXT_HOOK_TX, .tables = tables,
	       .run = flowcount_run);
