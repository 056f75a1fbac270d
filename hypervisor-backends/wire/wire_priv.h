/* SPDX-License-Identifier: MIT */
/*
 * Private to hypervisor-backends/wire/: the wire struct (the kinds are listed in wire_list.c). The
 * public contract is xdrv/wire.h.
 */
#ifndef XDRV_WIRE_PRIV_H
#define XDRV_WIRE_PRIV_H

#include "../hvb_priv.h"

#include <xdrv/tap.h>
#include <xdrv/wire.h>

#define HVB_WIRE_MAX_FRAME 65536u /* one pumped frame; TAP frames up to the 64 KiB tun limit */

struct hvb_wire {
	const struct hvb_wire_ops *ops;
	void *priv;
	char name[32];
	struct hvb_device *nic; /* attached device or NULL */
	uint8_t *buf;		/* HVB_WIRE_MAX_FRAME: the frame being offered */
	struct hvb_wire_stats stats;
};

/* tap_if.c: run fn(arg, err) with the calling thread in network namespace `netns` ("" for the
 * current one), back in its own after; `ifname` names what is made in messages. fn's result. */
int hvb_in_netns(const char *netns, const char *ifname, int (*fn)(void *arg, char **err), void *arg,
		 char **err);
/* tap_if.c: MAC, MTU, address and IFF_UP of interface cfg->name in the current namespace. */
int hvb_tap_configure(const struct hvb_tap_cfg *cfg, char **err);

#endif
