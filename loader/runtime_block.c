// SPDX-License-Identifier: MIT
/*
 * The block device class, both sides: a storage driver registers disks and completes requests
 * (ABI); the host submits one request and waits for its completion (ldr_blk_io), or starts
 * several (ldr_blk_start) and waits for whichever completes first (ldr_blk_wait).
 *
 * A request and its data live in host memory the driver may touch until it completes it, even
 * after the host gave up waiting (struct ldr_sreq, runtime_sreq.c).
 */
#include "runtime_priv.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/util.h>

struct blk_io {
	struct ldr_sreq s;	 /* first: pending list, bounce buffer, done/abandoned */
	struct xdrv_blk_req req; /* what the driver sees */
	int32_t status;
	void *buf; /* the host's buffer (ldr_blk_start), filled from the bounce at the end */
};

struct ldr_blkdev {
	struct ldr_obj o;
	uint32_t index;
	bool registered;
	struct xdrv_blk_ops ops;
	char name[32];
	uint32_t block_size;
	uint64_t num_blocks;
	void *priv;
	struct ldr_sreq_list pending;
	uint64_t next_tag;
};

static struct ldr_blkdev *bd_get(xdrv_blkdev_t *h, const char *fn)
{
	return (struct ldr_blkdev *)ldr_resolve(LDR_H_BLK, h, fn);
}

static bool disk_name_ok(const char *s)
{
	size_t n = strnlen(s, 32);
	if (n == 0 || n > 31)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

xdrv_blkdev_t *xdrv_blk_register(xdrv_device_t *dev, const struct xdrv_blk_ops *ops,
				 const char *name, uint32_t block_size, uint64_t num_blocks,
				 void *priv)
{
	struct ldr_obj *d = ldr_resolve(LDR_H_DEVICE, dev, "xdrv_blk_register");
	if (!d)
		return NULL;
	struct ldr_driver *drv = d->drv;
	const char *why = NULL;
	struct xdrv_blk_ops o;
	memset(&o, 0, sizeof o);
	if (!ops || ops->struct_size < offsetof(struct xdrv_blk_ops, poll) ||
	    ops->struct_size > 4096)
		why = "ops missing or struct_size not plausible";
	else if (memcpy(&o, ops, ops->struct_size < sizeof o ? ops->struct_size : sizeof o),
		 !o.submit)
		why = "ops without submit";
	else if (!name || !disk_name_ok(name))
		why = "name not [a-z0-9_]{1,31}";
	else if (block_size < 512 || block_size > 65536 || (block_size & (block_size - 1)))
		why = "block size not a power of two in 512..65536";
	else if (num_blocks == 0 || num_blocks > UINT64_MAX / block_size)
		why = "number of blocks 0 or too large";
	if (why) {
		ldr_rt_log(drv, XDRV_LOG_WARN, "xdrv_blk_register: %s", why);
		return NULL;
	}
	uint32_t i = 0;
	while (i < LDR_MAX_BLKDEVS && drv->blk[i] && drv->blk[i]->registered)
		i++;
	if (i == LDR_MAX_BLKDEVS) {
		ldr_rt_log(drv, XDRV_LOG_WARN, "xdrv_blk_register: at most %u disks per device",
			   LDR_MAX_BLKDEVS);
		return NULL;
	}
	/* slots are reused, never freed before unbind: the host may hold the pointer; during a
	 * live update the slot's disk is the one the removed driver had, with its requests */
	struct ldr_blkdev *bd = drv->blk[i];
	bool held = !bd && drv->hold && drv->hold->blk[i];
	if (held) {
		bd = drv->hold->blk[i];
		drv->hold->blk[i] = NULL;
	} else if (!bd) {
		bd = calloc(1, sizeof *bd);
	}
	if (!bd)
		return NULL;
	struct ldr_sreq_list pending = bd->pending;
	uint64_t next_tag = bd->next_tag;
	if (!held)
		ldr_sreq_pool_drain(&bd->pending); /* a late free after the last shutdown */
	memset(bd, 0, sizeof *bd);
	if (held) { /* re-issued once the probe is through (ldr_blk_reissue) */
		bd->pending = pending;
		bd->next_tag = next_tag;
	}
	bd->o.drv = drv;
	bd->index = i;
	bd->ops = o;
	snprintf(bd->name, sizeof bd->name, "%s", name);
	bd->block_size = block_size;
	bd->num_blocks = num_blocks;
	bd->priv = priv;
	drv->blk[i] = bd;
	if (ldr_handle_new(LDR_H_BLK, &bd->o) != 0)
		return NULL;
	bd->registered = true;
	return ldr_h2p(bd->o.handle);
}

/* Complete io with `status` (freed here if the host had abandoned it). */
static void io_finish(struct ldr_blkdev *bd, struct blk_io *io, int32_t status)
{
	io->status = status;
	ldr_sreq_finish(&bd->pending, &io->s);
}

static uint32_t bd_shutdown(struct ldr_blkdev *bd)
{
	uint32_t n = 0;
	while (bd->pending.head) {
		io_finish(bd, (struct blk_io *)bd->pending.head, XDRV_ENODEV);
		n++;
	}
	ldr_sreq_pool_drain(&bd->pending);
	ldr_handle_drop(LDR_H_BLK, &bd->o);
	bd->registered = false;
	return n;
}

/* Live update: detach a registered disk into the driver's hold, its outstanding requests kept
 * for the next driver (the host's view of them does not change). */
static void bd_hold(struct ldr_blkdev *bd)
{
	struct ldr_driver *drv = bd->o.drv;
	struct ldr_hold *h = drv->hold;
	ldr_handle_drop(LDR_H_BLK, &bd->o);
	bd->registered = false;
	bd->o.drv = NULL;
	bd->ops = (struct xdrv_blk_ops){0};
	bd->priv = NULL;
	if (!h->blk_as[bd->index].name[0]) { /* the old driver's, not a failed new one's */
		snprintf(h->blk_as[bd->index].name, sizeof h->blk_as[bd->index].name, "%s",
			 bd->name);
		h->blk_as[bd->index].block_size = bd->block_size;
		h->blk_as[bd->index].num_blocks = bd->num_blocks;
	}
	drv->blk[bd->index] = NULL;
	h->blk[bd->index] = bd;
}

void xdrv_blk_unregister(xdrv_blkdev_t *blk)
{
	struct ldr_blkdev *bd = bd_get(blk, "xdrv_blk_unregister");
	if (bd && bd->o.drv->hold)
		bd_hold(bd); /* removed for a live update: the host keeps the disk */
	else if (bd)
		bd_shutdown(bd);
}

uint32_t ldr_blk_in_flight(const struct ldr_driver *drv)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < LDR_MAX_BLKDEVS; i++) {
		const struct ldr_blkdev *bd = drv->blk[i];
		for (const struct ldr_sreq *r = bd && bd->registered ? bd->pending.head : NULL; r;
		     r = r->next)
			n++;
	}
	return n;
}

LDR_CALLS_DRIVER
uint32_t ldr_blk_reissue(struct ldr_blkdev *bd)
{
	if (!bd || !bd->registered)
		return 0;
	struct ldr_driver *drv = bd->o.drv;
	/* the list as it is now: a submit may complete its request (and unlink it) at once */
	uint32_t n = 0, done = 0;
	for (struct ldr_sreq *r = bd->pending.head; r; r = r->next)
		n++;
	struct ldr_sreq **todo = n ? calloc(n, sizeof *todo) : NULL;
	if (n && !todo) { /* out of memory: they cannot go to the driver, they fail */
		while (bd->pending.head)
			io_finish(bd, (struct blk_io *)bd->pending.head, XDRV_ENOMEM);
		return 0;
	}
	n = 0;
	for (struct ldr_sreq *r = bd->pending.head; r; r = r->next)
		todo[n++] = r;
	for (uint32_t k = 0; k < n; k++) {
		struct blk_io *io = (struct blk_io *)todo[k];
		int32_t rc = XDRV_EFAULT;
		LDR_DRIVER_CALL(drv, rc = bd->ops.submit(ldr_h2p(bd->o.handle), &io->req),
				rc = XDRV_EFAULT);
		if (rc != XDRV_OK && !io->s.done)
			io_finish(bd, io, rc < 0 ? rc : XDRV_EIO);
		done++;
	}
	free(todo);
	return done;
}

void ldr_blk_hold_release(struct ldr_hold *hold)
{
	for (uint32_t i = 0; hold && i < LDR_MAX_BLKDEVS; i++) {
		struct ldr_blkdev *bd = hold->blk[i];
		if (!bd)
			continue;
		while (bd->pending.head)
			io_finish(bd, (struct blk_io *)bd->pending.head, XDRV_ENODEV);
		ldr_sreq_pool_drain(&bd->pending);
		free(bd);
		hold->blk[i] = NULL;
	}
}

void *xdrv_blk_priv(xdrv_blkdev_t *blk)
{
	struct ldr_blkdev *bd = bd_get(blk, "xdrv_blk_priv");
	return bd ? bd->priv : NULL;
}

void xdrv_blk_complete(xdrv_blkdev_t *blk, const struct xdrv_blk_req *req, int32_t status)
{
	struct ldr_blkdev *bd = bd_get(blk, "xdrv_blk_complete");
	if (!bd)
		return;
	struct blk_io *io =
		(struct blk_io *)ldr_sreq_find(&bd->pending, req, offsetof(struct blk_io, req));
	if (!io) {
		ldr_rt_log(bd->o.drv, XDRV_LOG_WARN,
			   "xdrv_blk_complete: %p is not an outstanding request of %s; ignored",
			   (const void *)req, bd->name);
		return;
	}
	if (io->s.abandoned)
		ldr_rt_log(bd->o.drv, XDRV_LOG_WARN,
			   "xdrv_blk_complete: %s request %llu completed after the host gave up",
			   bd->name, (unsigned long long)io->req.tag);
	io_finish(bd, io, status);
}

/* ---- host side ------------------------------------------------------------------------------ */

struct ldr_blkdev *ldr_driver_blkdev(struct ldr_driver *drv, uint32_t index)
{
	if (!drv || index >= LDR_MAX_BLKDEVS || !drv->blk[index] || !drv->blk[index]->registered)
		return NULL;
	return drv->blk[index];
}

const char *ldr_blk_name(const struct ldr_blkdev *bd)
{
	return bd ? bd->name : NULL;
}

uint32_t ldr_blk_block_size(const struct ldr_blkdev *bd)
{
	return bd ? bd->block_size : 0;
}

uint64_t ldr_blk_num_blocks(const struct ldr_blkdev *bd)
{
	return bd ? bd->num_blocks : 0;
}

static const char *op_name(uint32_t op)
{
	return op == XDRV_BLK_READ ? "read" : op == XDRV_BLK_WRITE ? "write" : "flush";
}

LDR_CALLS_DRIVER
int ldr_blk_start(struct ldr_blkdev *bd, uint32_t op, uint64_t lba, uint32_t count, void *buf,
		  uint32_t flags, struct ldr_blk_req **out, char **err)
{
	*out = NULL;
	if (!bd || !bd->registered)
		return xdrv_err(err, -ENODEV, "blkdev: not registered");
	struct ldr_driver *drv = bd->o.drv;
	if (drv->in_entry)
		return xdrv_err(err, -EDEADLK, "%s: I/O from inside the driver", bd->name);
	if (op < XDRV_BLK_READ || op > XDRV_BLK_FLUSH)
		return xdrv_err(err, -EINVAL, "%s: unknown operation %u", bd->name, op);
	uint64_t len = 0;
	if (op != XDRV_BLK_FLUSH) {
		if (count == 0 || !buf)
			return xdrv_err(err, -EINVAL, "%s: %s of %u blocks%s", bd->name,
					op_name(op), count, buf ? "" : " without a buffer");
		if (count > bd->num_blocks || lba > bd->num_blocks - count)
			return xdrv_err(err, -ERANGE, "%s: %s lba %llu count %u beyond %llu blocks",
					bd->name, op_name(op), (unsigned long long)lba, count,
					(unsigned long long)bd->num_blocks);
		len = (uint64_t)count * bd->block_size;
		if (len > LDR_IO_MAX)
			return xdrv_err(err, -E2BIG, "%s: %s of %llu bytes over the %llu MiB limit",
					bd->name, op_name(op), (unsigned long long)len,
					LDR_IO_MAX >> 20);
	}
	bool nocopy = flags & LDR_BLK_NOCOPY;
	struct blk_io *io = ldr_sreq_alloc(&bd->pending, sizeof *io, nocopy ? 0 : len);
	if (!io)
		return xdrv_err(err, -ENOMEM, "%s: out of memory", bd->name);
	if (op == XDRV_BLK_WRITE && len && !nocopy)
		memcpy(io->s.bounce, buf, len);
	io->buf = op == XDRV_BLK_READ && !nocopy ? buf : NULL;
	io->req.tag = ++bd->next_tag;
	io->req.op = op;
	io->req.count = op == XDRV_BLK_FLUSH ? 0 : count;
	io->req.lba = op == XDRV_BLK_FLUSH ? 0 : lba;
	io->req.data = nocopy ? (op == XDRV_BLK_FLUSH ? NULL : buf) : io->s.bounce;
	io->req.data_len = len;
	ldr_sreq_push(&bd->pending, &io->s);

	int32_t rc = XDRV_EFAULT;
	LDR_DRIVER_CALL(drv, rc = bd->ops.submit(ldr_h2p(bd->o.handle), &io->req),
			rc = XDRV_EFAULT);
	if (rc != XDRV_OK && !io->s.done) {
		ldr_sreq_unlink(&bd->pending, &io->s);
		int ret = xdrv_err(err, rc < 0 ? rc : -EIO,
				   "%s: %s lba %llu: submit failed: %d (%s)", bd->name, op_name(op),
				   (unsigned long long)lba, rc, ldr_status_name(rc));
		ldr_sreq_free(&bd->pending, &io->s);
		return ret;
	}
	*out = (struct ldr_blk_req *)io;
	return 0;
}

/* The end of a completed request: its status, the data to the host's buffer; freed. */
static int blk_end(struct ldr_blkdev *bd, struct blk_io *io, char **err)
{
	int ret = 0;
	if (io->status != XDRV_OK)
		ret = xdrv_err(err, io->status < 0 ? io->status : -EIO,
			       "%s: %s lba %llu count %u: driver status %d (%s)", bd->name,
			       op_name(io->req.op), (unsigned long long)io->req.lba, io->req.count,
			       io->status, ldr_status_name(io->status));
	else if (io->buf && io->req.data_len)
		memcpy(io->buf, io->s.bounce, io->req.data_len);
	ldr_sreq_free(&bd->pending, &io->s);
	return ret;
}

LDR_CALLS_DRIVER
int ldr_blk_wait(struct ldr_blkdev *bd, struct ldr_blk_req *const *reqs, uint32_t n,
		 uint32_t *index, char **err)
{
	*index = UINT32_MAX;
	if (!bd || !bd->registered || n == 0 || !reqs)
		return xdrv_err(err, -EINVAL, "blkdev: wait without a disk or requests");
	struct ldr_driver *drv = bd->o.drv;
	if (drv->in_entry)
		return xdrv_err(err, -EDEADLK, "%s: wait from inside the driver", bd->name);
	uint64_t end = xdrv_time_ns() + drv->io_timeout_ns;
	for (;;) {
		for (uint32_t i = 0; i < n; i++) {
			struct blk_io *io = (struct blk_io *)reqs[i];
			if (io && io->s.done) {
				*index = i;
				return blk_end(bd, io, err);
			}
		}
		uint64_t now = xdrv_time_ns();
		bd->pending.any_done = false;
		if (now >= end || ldr_wait_done(drv, &bd->pending.any_done, end - now) != 0 ||
		    !bd->registered) {
			/* look once more: a completion may have come with the deadline */
			for (uint32_t i = 0; i < n; i++) {
				struct blk_io *io = (struct blk_io *)reqs[i];
				if (io && io->s.done) {
					*index = i;
					return blk_end(bd, io, err);
				}
			}
			for (uint32_t i = 0; i < n; i++)
				if (reqs[i])
					((struct blk_io *)reqs[i])->s.abandoned = true;
			return xdrv_err(
				err, -ETIMEDOUT, "%s: %u request(s): none completed within %llu ms",
				bd->name, n, (unsigned long long)(drv->io_timeout_ns / 1000000));
		}
	}
}

LDR_CALLS_DRIVER
int ldr_blk_io(struct ldr_blkdev *bd, uint32_t op, uint64_t lba, uint32_t count, void *buf,
	       char **err)
{
	struct ldr_blk_req *r = NULL;
	int rc = ldr_blk_start(bd, op, lba, count, buf, 0, &r, err);
	if (rc)
		return rc;
	struct blk_io *io = (struct blk_io *)r;
	if (ldr_sreq_wait(bd->o.drv, &io->s, bd->o.drv->io_timeout_ns) != 0)
		return xdrv_err(err, -ETIMEDOUT, "%s: %s lba %llu: no completion within %llu ms",
				bd->name, op_name(op), (unsigned long long)lba,
				(unsigned long long)(bd->o.drv->io_timeout_ns / 1000000));
	return blk_end(bd, io, err);
}

/* ---- dispatch and release ---------------------------------------------------------------------
 */

LDR_CALLS_DRIVER
static int blk_dispatch(struct ldr_driver *drv)
{
	int n = 0;
	for (uint32_t i = 0; i < LDR_MAX_BLKDEVS; i++) {
		struct ldr_blkdev *bd = drv->blk[i];
		if (!bd || !bd->registered || !bd->pending.head || !bd->ops.poll)
			continue;
		uint64_t before = bd->pending.completions;
		LDR_DRIVER_CALL(drv, bd->ops.poll(ldr_h2p(bd->o.handle)), (void)0);
		n += (int)(bd->pending.completions - before);
	}
	return n;
}

static void blk_release_all(struct ldr_driver *drv, struct ldr_unbind_report *rep)
{
	for (uint32_t i = 0; i < LDR_MAX_BLKDEVS; i++) {
		struct ldr_blkdev *bd = drv->blk[i];
		if (!bd)
			continue;
		if (bd->registered && drv->hold) {
			bd_hold(bd); /* a live update: kept for the next driver */
			continue;
		}
		if (bd->registered)
			rep->blkdevs++;
		bd_shutdown(bd);
		free(bd);
		drv->blk[i] = NULL;
	}
}

const struct ldr_class_ops ldr_blk_class = {
	.name = "block",
	.dispatch = blk_dispatch,
	.release_all = blk_release_all,
};
