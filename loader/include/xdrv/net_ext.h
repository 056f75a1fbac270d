/* SPDX-License-Identifier: MIT */
/*
 * Packet extensions on a network interface (issue 16): the attach points. Each interface a NIC
 * driver registered has two chains of extensions (xdrv/ext_host.h):
 *
 *   RX  every frame the driver hands the host (xdrv_net_rx, an ABI 1.1 pool delivery), before
 *       the host's receive callback sees it;
 *   TX  every frame the host sends (ldr_net_xmit), before the driver's xmit sees it.
 *
 * A chain runs its extensions in order over the frame, which each may rewrite in place:
 *   PASS      on to the next extension (the last one's PASS delivers or sends the frame);
 *   DROP      the frame is dropped and counted, the rest of the chain does not run;
 *   TX        (RX chain only) the frame is not delivered but sent back out of the same
 *             interface: it joins the transmit queue in class 0 without running the TX chain
 *             (the TX chain is for what the host sends; as XDP_TX skips the egress path);
 *   CLASS(n)  the frame's class becomes n and the chain goes on (the last CLASS wins). On TX,
 *             frames wait in per-class backlogs while the driver's queue is stopped or busy,
 *             served by strict priority (class 0 first; a class is served only while no frame
 *             of a higher one waits), each bounded (LDR_NET_CLASS_BACKLOG frames; more are
 *             dropped and counted). Unclassified frames are class 0. On RX a class has no effect.
 * An extension that fails (ldr_ext_run < 0: a fault, its budget, an access out of bounds, a
 * verdict that is not one, or TX on the TX chain) is detached from its chain, counted, and
 * logged in one line naming it and the reason; the frame gets the attachment's policy verdict
 * (LDR_NET_EXT_PASS: the chain goes on as if it had passed; LDR_NET_EXT_DROP: dropped). The
 * driver and the host keep running.
 *
 * Atomicity: a chain is an immutable array; attach, replace and detach build a new one and swap
 * the pointer. A frame reads the pointer once, so it runs wholly under the old chain or wholly
 * under the new, never half of a replacement; the old array and the extensions it alone held are
 * freed once no chain run is under way. The runtime is single-threaded per driver (runtime.h):
 * call these between dispatches (or from a receive callback), on the driver's thread.
 *
 * Unregistering the interface or unbinding the driver detaches (and unloads) everything.
 *
 * Where an RX extension rewrites a frame: an ABI 1.0 driver's frame is a host packet already;
 * an ABI 1.1 pool frame (xdrv_rxpool_deliver) is copied first while the RX chain is not empty
 * (the host never writes a pool buffer, ABI.md "ABI 1.1"), and the host's callback gets the
 * copy. A pool frame an extension dropped or sent back counts as delivered in the deliver
 * call's result: the host's verdict, not the driver's drop.
 */
#ifndef XDRV_NET_EXT_H
#define XDRV_NET_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xdrv/ext_host.h>

struct ldr_netdev;

#define LDR_NET_EXT_PASS 0u /* policy: the frame of a failed extension goes on */
#define LDR_NET_EXT_DROP 1u /* policy: it is dropped */

#define LDR_NET_EXT_END	      UINT32_MAX /* attach position: after the last */
#define LDR_NET_EXT_CHAIN_MAX 16u	 /* extensions per chain */
#define LDR_NET_EXT_HISTORY   16u	 /* detached extensions remembered per interface */
#define LDR_NET_CLASS_BACKLOG 1024u	 /* frames waiting per transmit class */

/*
 * Attach `ext` to interface nd's chain `hook` (XDRV_EXT_HOOK_RX or _TX) at position `pos`
 * (0: first; LDR_NET_EXT_END or past the end: last) with `policy`. The runtime owns `ext` from
 * here, also on failure: it unloads it when it is detached. Returns the attachment's id (> 0),
 * or -EINVAL (a hook the extension does not declare, a bad policy), -ENOSPC (chain full),
 * -ENODEV, -ENOMEM, with *err.
 */
int ldr_net_ext_attach(struct ldr_netdev *nd, uint32_t hook, uint32_t pos, struct ldr_ext *ext,
		       uint32_t policy, char **err);
/* Put `ext` in the place of attachment `id` (same hook and position), atomically; the old
 * extension is unloaded. Returns the new attachment's id, or -ENOENT / as attach. The runtime
 * owns `ext` also on failure. */
int ldr_net_ext_replace(struct ldr_netdev *nd, uint32_t id, struct ldr_ext *ext, uint32_t policy,
			char **err);
/* Detach (and unload) attachment `id`. 0 or -ENOENT with *err. */
int ldr_net_ext_detach(struct ldr_netdev *nd, uint32_t id, char **err);
/* The attachment `id`'s extension (borrowed: to read or fill its tables), or NULL. */
struct ldr_ext *ldr_net_ext_get(struct ldr_netdev *nd, uint32_t id);

struct ldr_net_ext_info {
	uint32_t id;
	uint32_t hook;	   /* XDRV_EXT_HOOK_RX or _TX */
	uint32_t pos;	   /* in its chain; UINT32_MAX once detached */
	uint32_t policy;   /* LDR_NET_EXT_PASS or _DROP */
	bool attached;	   /* false: detached (the history) */
	char name[64];	   /* ldr_ext_name */
	char version[32];  /* ldr_ext_version */
	char failure[192]; /* why it was detached (a failure, "replaced", "detached on
			      request"), "" while attached */
	struct ldr_ext_stats st;
};
/* The attachments of nd: the RX chain in order, then the TX chain, then the extensions that
 * were detached (failed, replaced or detached on request; the latest LDR_NET_EXT_HISTORY, oldest
 * first) with their last figures. Fills up to `cap` entries; returns how many there are (which
 * may exceed cap). */
size_t ldr_net_ext_list(struct ldr_netdev *nd, struct ldr_net_ext_info *out, size_t cap);

/* What the attach points did on nd since it was registered. */
struct ldr_net_ext_counts {
	uint64_t rx_dropped;		       /* received frames dropped by the RX chain */
	uint64_t rx_bounced;		       /* received frames sent back (TX verdict) */
	uint64_t rx_bounce_lost;	       /* ... that the transmit path could not take */
	uint64_t tx_dropped;		       /* frames to send dropped by the TX chain */
	uint64_t failures;		       /* extensions detached after a failure */
	uint64_t policy_dropped;	       /* frames dropped because their extension failed */
	uint64_t class_sent[XDRV_EXT_CLASSES]; /* frames handed to the driver, by class */
	uint64_t class_dropped[XDRV_EXT_CLASSES]; /* backlog of the class full */
	uint32_t class_waiting[XDRV_EXT_CLASSES]; /* in the backlog now */
};
void ldr_net_ext_counts(struct ldr_netdev *nd, struct ldr_net_ext_counts *c);

#endif /* XDRV_NET_EXT_H */
