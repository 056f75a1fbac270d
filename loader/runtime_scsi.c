// SPDX-License-Identifier: MIT
/*
 * The SCSI host adapter class, both sides: an HBA driver registers a host and completes
 * commands with status and sense data (ABI); the host runs one command synchronously
 * (ldr_scsi_exec). As for block requests, the command and its data are host memory (a bounce
 * buffer) that stays valid until the driver completes it, even after the host gave up waiting.
 */
#include "runtime_priv.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xdrv/util.h>

struct scsi_io {
	struct xdrv_scsi_cmd cmd; /* what the driver sees */
	struct scsi_io *next;
	uint8_t *bounce;
	uint32_t host_status, scsi_status, sense_len;
	uint64_t resid;
	uint8_t sense[XDRV_SCSI_SENSE_MAX];
	bool done, abandoned;
};

struct ldr_scsi_host {
	struct ldr_obj o;
	uint32_t index;
	bool registered;
	struct xdrv_scsi_ops ops;
	uint32_t max_target, max_lun, can_queue;
	void *priv;
	struct scsi_io *pending;
	uint64_t next_tag, completions;
};

static struct ldr_scsi_host *host_get(xdrv_scsi_host_t *h, const char *fn)
{
	return (struct ldr_scsi_host *)ldr_resolve(LDR_H_SCSI, h, fn);
}

xdrv_scsi_host_t *xdrv_scsi_register(xdrv_device_t *dev, const struct xdrv_scsi_ops *ops,
				     uint32_t max_target, uint32_t max_lun, uint32_t can_queue,
				     void *priv)
{
	struct ldr_obj *d = ldr_resolve(LDR_H_DEVICE, dev, "xdrv_scsi_register");
	if (!d)
		return NULL;
	struct ldr_driver *drv = d->drv;
	struct xdrv_scsi_ops o;
	memset(&o, 0, sizeof o);
	const char *why = NULL;
	if (!ops || ops->struct_size < offsetof(struct xdrv_scsi_ops, reset) ||
	    ops->struct_size > 4096)
		why = "ops missing or struct_size not plausible";
	else if (memcpy(&o, ops, ops->struct_size < sizeof o ? ops->struct_size : sizeof o),
		 !o.queuecommand)
		why = "ops without queuecommand";
	else if (max_lun > 255)
		why = "max_lun over 255";
	if (why) {
		ldr_rt_log(drv, XDRV_LOG_WARN, "xdrv_scsi_register: %s", why);
		return NULL;
	}
	uint32_t i = 0;
	while (i < LDR_MAX_SCSI_HOSTS && drv->scsi[i] && drv->scsi[i]->registered)
		i++;
	if (i == LDR_MAX_SCSI_HOSTS) {
		ldr_rt_log(drv, XDRV_LOG_WARN, "xdrv_scsi_register: at most %u hosts per device",
			   LDR_MAX_SCSI_HOSTS);
		return NULL;
	}
	/* slots are reused, never freed before unbind: the host may hold the pointer */
	struct ldr_scsi_host *h = drv->scsi[i] ? drv->scsi[i] : calloc(1, sizeof *h);
	if (!h)
		return NULL;
	memset(h, 0, sizeof *h);
	h->o.drv = drv;
	h->index = i;
	h->ops = o;
	h->max_target = max_target;
	h->max_lun = max_lun;
	h->can_queue = can_queue ? can_queue : 1;
	h->priv = priv;
	drv->scsi[i] = h;
	if (ldr_handle_new(LDR_H_SCSI, &h->o) != 0)
		return NULL;
	h->registered = true;
	return ldr_h2p(h->o.handle);
}

static void io_free(struct scsi_io *io)
{
	free(io->bounce);
	free(io);
}

static void io_unlink(struct ldr_scsi_host *h, struct scsi_io *io)
{
	for (struct scsi_io **pp = &h->pending; *pp; pp = &(*pp)->next) {
		if (*pp == io) {
			*pp = io->next;
			break;
		}
	}
}

static void io_finish(struct ldr_scsi_host *h, struct scsi_io *io)
{
	io_unlink(h, io);
	io->done = true;
	h->completions++;
	if (io->abandoned)
		io_free(io);
}

static void host_shutdown(struct ldr_scsi_host *h)
{
	while (h->pending) {
		h->pending->host_status = XDRV_SCSI_HOST_ABORTED;
		io_finish(h, h->pending);
	}
	ldr_handle_drop(LDR_H_SCSI, &h->o);
	h->registered = false;
}

void xdrv_scsi_unregister(xdrv_scsi_host_t *host)
{
	struct ldr_scsi_host *h = host_get(host, "xdrv_scsi_unregister");
	if (h)
		host_shutdown(h);
}

void *xdrv_scsi_priv(xdrv_scsi_host_t *host)
{
	struct ldr_scsi_host *h = host_get(host, "xdrv_scsi_priv");
	return h ? h->priv : NULL;
}

void xdrv_scsi_complete(xdrv_scsi_host_t *host, const struct xdrv_scsi_cmd *cmd,
			uint32_t host_status, uint32_t scsi_status, const uint8_t *sense,
			uint32_t sense_len, uint64_t resid)
{
	struct ldr_scsi_host *h = host_get(host, "xdrv_scsi_complete");
	if (!h)
		return;
	struct scsi_io *io = h->pending;
	while (io && &io->cmd != cmd)
		io = io->next;
	if (!io) {
		ldr_rt_log(
			h->o.drv, XDRV_LOG_WARN,
			"xdrv_scsi_complete: %p is not an outstanding command of host %u; ignored",
			(const void *)cmd, h->index);
		return;
	}
	io->host_status = host_status;
	io->scsi_status = scsi_status & 0xff;
	io->sense_len =
		sense ? (sense_len < XDRV_SCSI_SENSE_MAX ? sense_len : XDRV_SCSI_SENSE_MAX) : 0;
	if (io->sense_len)
		memcpy(io->sense, sense, io->sense_len);
	io->resid = resid < io->cmd.data_len ? resid : io->cmd.data_len;
	if (io->abandoned)
		ldr_rt_log(h->o.drv, XDRV_LOG_WARN,
			   "xdrv_scsi_complete: command %llu completed after the host gave up",
			   (unsigned long long)io->cmd.tag);
	io_finish(h, io);
}

/* ---- host side ------------------------------------------------------------------------------ */

struct ldr_scsi_host *ldr_driver_scsi_host(struct ldr_driver *drv, uint32_t index)
{
	if (!drv || index >= LDR_MAX_SCSI_HOSTS || !drv->scsi[index] ||
	    !drv->scsi[index]->registered)
		return NULL;
	return drv->scsi[index];
}

static int host_status_err(uint32_t st)
{
	switch (st) {
	case XDRV_SCSI_HOST_NO_TARGET:
		return -ENODEV;
	case XDRV_SCSI_HOST_ABORTED:
		return -ECANCELED;
	case XDRV_SCSI_HOST_RESET:
		return -ECONNRESET;
	default:
		return -EIO;
	}
}

static const char *host_status_name(uint32_t st)
{
	static const char *const n[] = {"ok", "no target", "aborted", "host error", "bus reset"};
	return st < sizeof n / sizeof n[0] ? n[st] : "unknown host status";
}

LDR_CALLS_DRIVER
int ldr_scsi_exec(struct ldr_scsi_host *h, uint32_t target, uint32_t lun, const uint8_t *cdb,
		  uint32_t cdb_len, uint32_t dir, void *buf, uint64_t len, uint32_t *scsi_status,
		  uint8_t *sense, uint32_t *sense_len, char **err)
{
	if (!h || !h->registered)
		return xdrv_err(err, -ENODEV, "scsi host: not registered");
	struct ldr_driver *drv = h->o.drv;
	if (drv->in_entry)
		return xdrv_err(err, -EDEADLK, "scsi host %u: command from inside the driver",
				h->index);
	if (target > h->max_target || lun > h->max_lun)
		return xdrv_err(err, -ENODEV, "scsi host %u: no target %u lun %u (max %u:%u)",
				h->index, target, lun, h->max_target, h->max_lun);
	if (!cdb || cdb_len == 0 || cdb_len > XDRV_SCSI_CDB_MAX)
		return xdrv_err(err, -EINVAL, "scsi host %u: CDB length %u outside 1..%u", h->index,
				cdb_len, XDRV_SCSI_CDB_MAX);
	if (dir > XDRV_SCSI_DIR_FROM_DEVICE || (dir != XDRV_SCSI_DIR_NONE && (!buf || !len)) ||
	    (dir == XDRV_SCSI_DIR_NONE && len))
		return xdrv_err(err, -EINVAL, "scsi host %u: direction %u with %llu data bytes",
				h->index, dir, (unsigned long long)len);
	if (len > LDR_IO_MAX)
		return xdrv_err(err, -E2BIG, "scsi host %u: %llu bytes over the %llu MiB limit",
				h->index, (unsigned long long)len, LDR_IO_MAX >> 20);
	struct scsi_io *io = calloc(1, sizeof *io);
	if (!io || (len && !(io->bounce = calloc(1, len)))) {
		free(io);
		return xdrv_err(err, -ENOMEM, "scsi host %u: out of memory", h->index);
	}
	if (dir == XDRV_SCSI_DIR_TO_DEVICE && len)
		memcpy(io->bounce, buf, len);
	io->cmd.tag = ++h->next_tag;
	io->cmd.target = target;
	io->cmd.lun = (uint8_t)lun;
	io->cmd.cdb_len = (uint8_t)cdb_len;
	io->cmd.dir = (uint16_t)dir;
	memcpy(io->cmd.cdb, cdb, cdb_len);
	io->cmd.data = io->bounce;
	io->cmd.data_len = len;

	int ret;
	uint64_t end = xdrv_time_ns() + drv->io_timeout_ns;
	for (;;) {
		io->next = h->pending;
		h->pending = io;
		struct ldr_driver *prev = ldr_enter(drv);
		int32_t rc = h->ops.queuecommand(ldr_h2p(h->o.handle), &io->cmd);
		ldr_leave(drv, prev);
		if (rc == XDRV_OK || io->done)
			break;
		io_unlink(h, io); /* not queued: the host still owns it */
		if (rc != XDRV_EBUSY || xdrv_time_ns() > end) {
			ret = xdrv_err(err,
				       rc == XDRV_EBUSY ? -EBUSY
				       : rc < 0		? rc
							: -EIO,
				       "scsi host %u: queuecommand 0x%02x failed: %d (%s)",
				       h->index, cdb[0], rc, ldr_status_name(rc));
			goto out_free;
		}
		/* busy: let the driver make progress, then retry */
		if (ldr_driver_dispatch(drv) == 0) {
			struct timespec ts = {0, 50000};
			nanosleep(&ts, NULL);
		}
	}
	uint64_t now = xdrv_time_ns();
	if (ldr_wait_done(drv, &io->done, end > now ? end - now : 0) != 0) {
		io->abandoned = true; /* freed when the driver completes it, or at unbind */
		return xdrv_err(err, -ETIMEDOUT,
				"scsi host %u: command 0x%02x: no completion within "
				"%llu ms",
				h->index, cdb[0],
				(unsigned long long)(drv->io_timeout_ns / 1000000));
	}
	if (sense_len)
		*sense_len = io->sense_len;
	if (sense && io->sense_len)
		memcpy(sense, io->sense, io->sense_len);
	if (scsi_status)
		*scsi_status = io->scsi_status;
	if (io->host_status != XDRV_SCSI_HOST_OK) {
		ret = xdrv_err(err, host_status_err(io->host_status),
			       "scsi host %u: command 0x%02x to %u:%u: %s", h->index, cdb[0],
			       target, lun, host_status_name(io->host_status));
		goto out_free;
	}
	if (dir == XDRV_SCSI_DIR_FROM_DEVICE && len)
		memcpy(buf, io->bounce, len);
	ret = 0;
out_free:
	io_free(io);
	return ret;
}

/* ---- dispatch and release ---------------------------------------------------------------------
 */

LDR_CALLS_DRIVER
int ldr_scsi_dispatch(struct ldr_driver *drv)
{
	int n = 0;
	for (uint32_t i = 0; i < LDR_MAX_SCSI_HOSTS; i++) {
		struct ldr_scsi_host *h = drv->scsi[i];
		if (!h || !h->registered || !h->pending || !h->ops.poll)
			continue;
		uint64_t before = h->completions;
		struct ldr_driver *prev = ldr_enter(drv);
		h->ops.poll(ldr_h2p(h->o.handle));
		ldr_leave(drv, prev);
		n += (int)(h->completions - before);
	}
	return n;
}

void ldr_scsi_release_all(struct ldr_driver *drv, struct ldr_unbind_report *rep)
{
	for (uint32_t i = 0; i < LDR_MAX_SCSI_HOSTS; i++) {
		struct ldr_scsi_host *h = drv->scsi[i];
		if (!h)
			continue;
		if (h->registered)
			rep->scsi_hosts++;
		host_shutdown(h);
		free(h);
		drv->scsi[i] = NULL;
	}
}
