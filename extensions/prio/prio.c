// SPDX-License-Identifier: MIT
/*
 * Two priority classes by TCP/UDP port, as the in-kernel JVM's VIFlets did: a frame whose source
 * or destination port is the `port` parameter, or is listed in the `ports` table, goes in class 0
 * (high); every other TCP/UDP frame in class 1 (low). Where the path queues (the transmit
 * backlog) the host serves class 1 only while no class-0 frame waits (strict priority), so a
 * high-priority flow keeps its rate while a low one is starved under load.
 *
 * Frames that are not IPv4 TCP/UDP (ARP, ICMP, IPv6) go in class 0: control traffic is small
 * and must never be starved.
 *
 * Table `ports` (hash, 64 entries): key = a port number (0..65535), value non-zero = high
 * priority. The host fills it (`xdrv ext` table commands); the extension only reads it.
 */
#include "../include/ext_parse.h"
#include <xdrv/ext.h>

#define CLASS_HIGH XDRV_EXT_CLASS(0)
#define CLASS_LOW  XDRV_EXT_CLASS(1)
#define TAB_PORTS  0u /* index in `tables` below */

XDRV_PARAM(uint32_t, port);

static const struct xdrv_param params[] = {
	XDRV_PARAM_ENTRY(XDRV_PARAM_U32, port, 5201, 0, 65535,
			 "a high-priority TCP/UDP port (0: only the ports table)"),
	XDRV_PARAM_END,
};

static const struct xdrv_ext_table tables[] = {
	{.name = "ports", .kind = XDRV_EXT_TABLE_HASH, .max_entries = 64},
	{.name = NULL},
};

static int high_port(xdrv_ext_pkt_t *pkt, uint32_t p)
{
	if (p == 0)
		return 0;
	return p == xdrv_param_port || xdrv_ext_tab_get(pkt, TAB_PORTS, p) != 0;
}

static int32_t prio_run(xdrv_ext_pkt_t *pkt)
{
	struct flow f;
	if (ext_parse(pkt, &f) != 0 || (f.proto != IPPROTO_TCP && f.proto != IPPROTO_UDP))
		return CLASS_HIGH;
	if (high_port(pkt, f.sport) || high_port(pkt, f.dport))
		return CLASS_HIGH;
	return CLASS_LOW;
}

XDRV_EXTENSION(.name = "prio", .version = "1.0.0", .hooks = XDRV_EXT_HOOK_RX | XDRV_EXT_HOOK_TX,
	       .tables = tables, .params = params, .run = prio_run);
