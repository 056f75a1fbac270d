// SPDX-License-Identifier: MIT
/*
 * A filter: drop the IPv4 frames that a deny list names, and count the drops per rule.
 *
 * Table `deny` (hash, 1024 entries): a key present with a non-zero value is a rule. Two kinds
 * of key, told apart by their upper 32 bits:
 *
 *   address rule   key = the IPv4 address as a 32-bit number (10.0.0.2 = 0x0a000002), upper
 *                  bits 0: drops frames from or to that address;
 *   port rule      key = ((proto << 16) | port) << 32 (TCP port 22 = 0x0006001600000000,
 *                  UDP port 53 = 0x0011003500000000): drops TCP or UDP frames to that port.
 *
 * Table `hits` (hash, 1024 entries): the same keys; the value counts the frames each rule
 * dropped. Frames that match no rule, and frames that are not IPv4, pass.
 */
#include "../include/ext_parse.h"
#include <xdrv/ext.h>

#define TAB_DENY 0u
#define TAB_HITS 1u

static const struct xdrv_ext_table tables[] = {
	{.name = "deny", .kind = XDRV_EXT_TABLE_HASH, .max_entries = 1024},
	{.name = "hits", .kind = XDRV_EXT_TABLE_HASH, .max_entries = 1024},
	{.name = NULL},
};

static uint64_t port_key(uint32_t proto, uint32_t port)
{
	return (uint64_t)((proto << 16) | port) << 32;
}

/* 1 (and the rule's hit counted) if `key` is a rule of the deny list. */
static int denied(xdrv_ext_pkt_t *pkt, uint64_t key)
{
	if (xdrv_ext_tab_get(pkt, TAB_DENY, key) == 0)
		return 0;
	xdrv_ext_tab_add(pkt, TAB_HITS, key, 1);
	return 1;
}

static int32_t filter_run(xdrv_ext_pkt_t *pkt)
{
	struct flow f;
	if (ext_parse(pkt, &f) != 0)
		return XDRV_EXT_PASS;
	if (denied(pkt, f.saddr) || denied(pkt, f.daddr))
		return XDRV_EXT_DROP;
	if ((f.proto == IPPROTO_TCP || f.proto == IPPROTO_UDP) && f.dport != 0 &&
	    denied(pkt, port_key(f.proto, f.dport)))
		return XDRV_EXT_DROP;
	return XDRV_EXT_PASS;
}

XDRV_EXTENSION(.name = "filter", .version = "1.0.0", .hooks = XDRV_EXT_HOOK_RX | XDRV_EXT_HOOK_TX,
	       .tables = tables, .run = filter_run);
