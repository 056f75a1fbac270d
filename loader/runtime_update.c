// SPDX-License-Identifier: MIT
/*
 * Live update (xdrv/runtime.h ldr_driver_update): replace the driver bound to a device by
 * another descriptor without unregistering the device's network interfaces.
 *
 * The old instance is unbound with a hold (struct ldr_hold, runtime_priv.h) set: its remove's
 * xdrv_net_unregister, and the release of what it still had registered, detach each interface
 * into the hold instead of destroying it (runtime_net.c nd_hold). The new descriptor is bound
 * with the same hold: its xdrv_net_register takes the held interface of the same slot, with
 * the host's receive callback, extension chains and counters. A probe that fails gives the
 * interfaces back the same way (its release detaches them again), so the old descriptor can be
 * probed on the held interfaces in turn.
 */
#include "runtime_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/util.h>

#define QUIESCE_MS_DEFAULT 100u

/* Holds whose interfaces nobody could take (the old driver's probe failed too): the host's
 * pointers to them stay valid, unregistered, until the process ends. */
static struct orphan {
	struct orphan *next;
	struct ldr_hold hold;
} * orphans;

static void name_of(const struct xdrv_driver *d, char *buf, size_t cap)
{
	const char *n = d ? d->name : NULL;
	size_t len = n ? strnlen(n, 63) : 0;
	snprintf(buf, cap, "%.*s", (int)len, n ? n : "");
}

static void keep_orphan(struct ldr_hold *h)
{
	struct orphan *o = calloc(1, sizeof *o);
	if (!o)
		return; /* the interfaces leak: their pointers stay valid all the same */
	o->hold = *h;
	o->next = orphans;
	orphans = o;
}

/* What the hold had when the old driver was gone: the objects the next driver must take. */
struct kept {
	struct ldr_netdev *net[LDR_MAX_NETDEVS];
	struct ldr_blkdev *blk[LDR_MAX_BLKDEVS];
	struct ldr_scsi_host *scsi[LDR_MAX_SCSI_HOSTS];
};

/* The new instance took every interface, disk and SCSI host the old one had (a disk under the
 * same name and geometry)? Then re-issue the kept disk requests and open the interfaces that
 * were open. */
static int adopt(struct ldr_driver *drv, struct ldr_hold *h, const struct kept *k,
		 struct ldr_update_report *rep, char **err)
{
	uint32_t nn = 0, nb = 0, ns = 0;
	for (uint32_t i = 0; i < LDR_MAX_NETDEVS; i++) {
		if (!k->net[i])
			continue;
		if (ldr_driver_netdev(drv, i) != k->net[i])
			return xdrv_err(err, -ENODEV,
					"%s: the new version did not register interface net%u "
					"again in probe",
					drv->label, i);
		nn++;
	}
	for (uint32_t i = 0; i < LDR_MAX_BLKDEVS; i++) {
		if (!k->blk[i])
			continue;
		struct ldr_blkdev *bd = ldr_driver_blkdev(drv, i);
		if (bd != k->blk[i])
			return xdrv_err(err, -ENODEV,
					"%s: the new version did not register disk %s again in "
					"probe",
					drv->label, h->blk_as[i].name);
		if (strcmp(ldr_blk_name(bd), h->blk_as[i].name) != 0 ||
		    ldr_blk_block_size(bd) != h->blk_as[i].block_size ||
		    ldr_blk_num_blocks(bd) != h->blk_as[i].num_blocks)
			return xdrv_err(err, -EINVAL,
					"%s: the new version registered disk %s as %s, %u-byte "
					"blocks x %llu (was %u x %llu)",
					drv->label, h->blk_as[i].name, ldr_blk_name(bd),
					ldr_blk_block_size(bd),
					(unsigned long long)ldr_blk_num_blocks(bd),
					h->blk_as[i].block_size,
					(unsigned long long)h->blk_as[i].num_blocks);
		nb++;
	}
	for (uint32_t i = 0; i < LDR_MAX_SCSI_HOSTS; i++) {
		if (!k->scsi[i])
			continue;
		if (ldr_driver_scsi_host(drv, i) != k->scsi[i])
			return xdrv_err(err, -ENODEV,
					"%s: the new version did not register SCSI host %u again "
					"in probe",
					drv->label, i);
		ns++;
	}
	rep->netdevs_kept = nn;
	rep->blkdevs_kept = nb;
	rep->scsi_kept = ns;
	for (uint32_t i = 0; i < LDR_MAX_NETDEVS; i++) {
		if (!k->net[i] || !h->was_open[i])
			continue;
		int rc = ldr_net_open(k->net[i], err);
		if (rc)
			return rc;
	}
	rep->reqs_reissued = 0;
	for (uint32_t i = 0; i < LDR_MAX_BLKDEVS; i++)
		rep->reqs_reissued += ldr_blk_reissue(k->blk[i]);
	return 0;
}

static void hold_release(struct ldr_hold *h)
{
	ldr_net_hold_release(h);
	ldr_blk_hold_release(h);
	ldr_scsi_hold_release(h);
	free(h);
}

static uint32_t in_flight(struct ldr_driver *drv)
{
	return ldr_net_in_flight(drv) + ldr_blk_in_flight(drv) + ldr_scsi_in_flight(drv);
}

int ldr_driver_update(struct ldr_driver **drvp, const struct xdrv_driver *desc,
		      const struct ldr_bind_opts *opts, uint32_t quiesce_ms,
		      struct ldr_update_report *rep, char **err)
{
	struct ldr_update_report local;
	if (!rep)
		rep = &local;
	memset(rep, 0, sizeof *rep);
	struct ldr_driver *old = drvp ? *drvp : NULL;
	if (!old || !desc)
		return xdrv_err(err, -EINVAL, "update: no driver bound, or no new descriptor");
	if (old->in_entry)
		return xdrv_err(err, -EDEADLK, "%s: update from inside the driver", old->label);
	char oldname[64], newname[64];
	name_of(old->desc, oldname, sizeof oldname);
	name_of(desc, newname, sizeof newname);
	if (strcmp(oldname, newname) != 0)
		return xdrv_err(err, -EINVAL,
				"%s: update: the new package's driver is \"%s\", not \"%s\"",
				old->label, newname, oldname);
	struct ldr_hold *h = calloc(1, sizeof *h); /* before anything changes */
	if (!h)
		return xdrv_err(err, -ENOMEM, "%s: update: out of memory", old->label);
	uint64_t t0 = xdrv_now_ns();
	/* quiesce: no new frame from the host; what it handed the driver goes out first */
	ldr_net_quiesce(old);
	uint64_t until = t0 + (uint64_t)(quiesce_ms ? quiesce_ms : QUIESCE_MS_DEFAULT) * 1000000u;
	while (!old->faulted && in_flight(old) && xdrv_now_ns() < until)
		ldr_driver_dispatch(old);
	rep->in_flight_left = old->faulted ? 0 : in_flight(old);
	uint64_t t1 = xdrv_now_ns();
	rep->quiesce_ns = t1 - t0;

	struct hvb_device *dev = old->hdev;
	const struct xdrv_driver *old_desc = old->desc;
	char label[64];
	snprintf(label, sizeof label, "%s", old->label);
	h->hdev = dev;
	ldr_driver_unbind_hold(old, h, &rep->removed);
	*drvp = NULL;
	struct kept kept = {.net = {NULL}};
	memcpy(kept.net, h->net, sizeof kept.net);
	memcpy(kept.blk, h->blk, sizeof kept.blk);
	memcpy(kept.scsi, h->scsi, sizeof kept.scsi);
	uint64_t t2 = xdrv_now_ns();
	rep->remove_ns = t2 - t1;

	struct ldr_bind_opts o = opts ? *opts : (struct ldr_bind_opts){0};
	if (!o.label)
		o.label = label;
	struct ldr_driver *drv = NULL;
	char *e = NULL;
	int rc = ldr_driver_bind_hold(desc, dev, &o, h, &drv, &e);
	if (rc == 0) {
		rc = adopt(drv, h, &kept, rep, &e);
		if (rc)
			ldr_driver_unbind_hold(drv, h, NULL); /* its interfaces back to the hold */
	}
	rep->probe_ns = xdrv_now_ns() - t2;
	rep->frames_dropped = h->frames_dropped;
	if (rc == 0) {
		hold_release(h); /* what the new version registered anew is its own */
		*drvp = drv;
		free(e);
		return 0;
	}
	/* the old version again, on the same interfaces */
	struct ldr_driver *back = NULL;
	char *e2 = NULL;
	int rc2 = ldr_driver_bind_hold(old_desc, dev, &o, h, &back, &e2);
	if (rc2 == 0) {
		rc2 = adopt(back, h, &kept, rep, &e2);
		if (rc2)
			ldr_driver_unbind_hold(back, h, NULL);
	}
	rep->frames_dropped = h->frames_dropped;
	if (rc2 == 0) {
		hold_release(h);
		*drvp = back;
		rep->rolled_back = 1;
		xdrv_err(err, rc, "%s; the old version was probed again and runs",
			 e ? e : "probe failed");
	} else {
		keep_orphan(h);
		free(h);
		xdrv_err(err, rc,
			 "%s; probing the old version again failed too (%s): the device has no "
			 "driver",
			 e ? e : "probe failed", e2 ? e2 : "?");
	}
	free(e);
	free(e2);
	return rc;
}
