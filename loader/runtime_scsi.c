// SPDX-License-Identifier: MIT
/*
 * The SCSI host adapter class, both sides: an HBA driver registers a host and completes
 * commands with status and sense data (ABI); the host runs one command synchronously
 * (ldr_scsi_exec). As for block requests, the command and its data are host memory that stays
 * valid until the driver completes it, even after the host gave up waiting (struct ldr_sreq,
 * runtime_sreq.c).
 */
#include "runtime_priv.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xdrv/util.h>

struct scsi_io {
	struct ldr_sreq s;	  /* first: pending list, bounce buffer, done/abandoned */
	struct xdrv_scsi_cmd cmd; /* what the driver sees */
	uint32_t host_status, scsi_status, sense_len;
	uint64_t resid;
	uint8_t sense[XDRV_SCSI_SENSE_MAX];
};

struct ldr_scsi_host {
	struct ldr_obj o;
	uint32_t index;
	bool registered;
	struct xdrv_scsi_ops ops;
	uint32_t max_target, max_lun, can_queue;
	void *priv;
	struct ldr_sreq_list pending;
	uint64_t next_tag;
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
	/* slots are reused, never freed before unbind: the host may hold the pointer; during a
	 * live update the slot's host is the one the removed driver had */
	struct ldr_scsi_host *h = drv->scsi[i];
	if (!h && drv->hold && drv->hold->scsi[i]) {
		h = drv->hold->scsi[i];
		drv->hold->scsi[i] = NULL;
	} else if (!h) {
		h = calloc(1, sizeof *h);
	}
	if (!h)
		return NULL;
	ldr_sreq_pool_drain(&h->pending); /* a late free after the last shutdown */
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

static void host_shutdown(struct ldr_scsi_host *h)
{
	while (h->pending.head) {
		((struct scsi_io *)h->pending.head)->host_status = XDRV_SCSI_HOST_ABORTED;
		ldr_sreq_finish(&h->pending, h->pending.head);
	}
	ldr_sreq_pool_drain(&h->pending);
	ldr_handle_drop(LDR_H_SCSI, &h->o);
	h->registered = false;
}

/* Live update: detach a registered host into the driver's hold. Commands are synchronous
 * (ldr_scsi_exec), so only ones the host gave up on can be outstanding: finished as aborted. */
static void host_hold(struct ldr_scsi_host *h)
{
	struct ldr_driver *drv = h->o.drv;
	for (const struct ldr_sreq *r = h->pending.head; r; r = r->next)
		drv->hold->scsi_aborted++;
	host_shutdown(h);
	h->o.drv = NULL;
	h->ops = (struct xdrv_scsi_ops){0};
	h->priv = NULL;
	drv->scsi[h->index] = NULL;
	drv->hold->scsi[h->index] = h;
}

void xdrv_scsi_unregister(xdrv_scsi_host_t *host)
{
	struct ldr_scsi_host *h = host_get(host, "xdrv_scsi_unregister");
	if (h && h->o.drv->hold)
		host_hold(h); /* removed for a live update: the host keeps it */
	else if (h)
		host_shutdown(h);
}

uint32_t ldr_scsi_in_flight(const struct ldr_driver *drv)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < LDR_MAX_SCSI_HOSTS; i++) {
		const struct ldr_scsi_host *h = drv->scsi[i];
		for (const struct ldr_sreq *r = h && h->registered ? h->pending.head : NULL; r;
		     r = r->next)
			n++;
	}
	return n;
}

void ldr_scsi_hold_release(struct ldr_hold *hold)
{
	for (uint32_t i = 0; hold && i < LDR_MAX_SCSI_HOSTS; i++) {
		if (hold->scsi[i]) {
			ldr_sreq_pool_drain(&hold->scsi[i]->pending);
			free(hold->scsi[i]);
			hold->scsi[i] = NULL;
		}
	}
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
	struct scsi_io *io =
		(struct scsi_io *)ldr_sreq_find(&h->pending, cmd, offsetof(struct scsi_io, cmd));
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
	if (io->s.abandoned)
		ldr_rt_log(h->o.drv, XDRV_LOG_WARN,
			   "xdrv_scsi_complete: command %llu completed after the host gave up",
			   (unsigned long long)io->cmd.tag);
	ldr_sreq_finish(&h->pending, &io->s);
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
	struct scsi_io *io = ldr_sreq_alloc(&h->pending, sizeof *io, len);
	if (!io)
		return xdrv_err(err, -ENOMEM, "scsi host %u: out of memory", h->index);
	if (dir == XDRV_SCSI_DIR_TO_DEVICE && len)
		memcpy(io->s.bounce, buf, len);
	io->cmd.tag = ++h->next_tag;
	io->cmd.target = target;
	io->cmd.lun = (uint8_t)lun;
	io->cmd.cdb_len = (uint8_t)cdb_len;
	io->cmd.dir = (uint16_t)dir;
	memcpy(io->cmd.cdb, cdb, cdb_len);
	io->cmd.data = io->s.bounce;
	io->cmd.data_len = len;

	int ret;
	uint64_t end = xdrv_time_ns() + drv->io_timeout_ns;
	for (;;) {
		ldr_sreq_push(&h->pending, &io->s);
		int32_t rc = XDRV_EFAULT;
		LDR_DRIVER_CALL(drv, rc = h->ops.queuecommand(ldr_h2p(h->o.handle), &io->cmd),
				rc = XDRV_EFAULT);
		if (rc == XDRV_OK || io->s.done)
			break;
		ldr_sreq_unlink(&h->pending, &io->s); /* not queued: the host still owns it */
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
	if (ldr_sreq_wait(drv, &io->s, end > now ? end - now : 0) != 0)
		return xdrv_err(err, -ETIMEDOUT,
				"scsi host %u: command 0x%02x: no completion within "
				"%llu ms",
				h->index, cdb[0],
				(unsigned long long)(drv->io_timeout_ns / 1000000));
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
		memcpy(buf, io->s.bounce, len);
	ret = 0;
out_free:
	ldr_sreq_free(&h->pending, &io->s);
	return ret;
}

LDR_CALLS_DRIVER
int ldr_scsi_reset(struct ldr_scsi_host *h, char **err)
{
	if (!h || !h->registered)
		return xdrv_err(err, -ENODEV, "scsi host: not registered");
	struct ldr_driver *drv = h->o.drv;
	if (drv->in_entry)
		return xdrv_err(err, -EDEADLK, "scsi host %u: reset from inside the driver",
				h->index);
	if (!h->ops.reset)
		return xdrv_err(err, -EOPNOTSUPP, "scsi host %u: the driver has no reset",
				h->index);
	int32_t rc = XDRV_EFAULT;
	LDR_DRIVER_CALL(drv, rc = h->ops.reset(ldr_h2p(h->o.handle)), rc = XDRV_EFAULT);
	if (rc != XDRV_OK)
		return xdrv_err(err, rc < 0 ? rc : -EIO, "scsi host %u: reset failed: %d (%s)",
				h->index, rc, ldr_status_name(rc));
	return 0;
}

/* ---- dispatch and release ---------------------------------------------------------------------
 */

LDR_CALLS_DRIVER
static int scsi_dispatch(struct ldr_driver *drv)
{
	int n = 0;
	for (uint32_t i = 0; i < LDR_MAX_SCSI_HOSTS; i++) {
		struct ldr_scsi_host *h = drv->scsi[i];
		if (!h || !h->registered || !h->pending.head || !h->ops.poll)
			continue;
		uint64_t before = h->pending.completions;
		LDR_DRIVER_CALL(drv, h->ops.poll(ldr_h2p(h->o.handle)), (void)0);
		n += (int)(h->pending.completions - before);
	}
	return n;
}

static void scsi_release_all(struct ldr_driver *drv, struct ldr_unbind_report *rep)
{
	for (uint32_t i = 0; i < LDR_MAX_SCSI_HOSTS; i++) {
		struct ldr_scsi_host *h = drv->scsi[i];
		if (!h)
			continue;
		if (h->registered && drv->hold) {
			host_hold(h); /* a live update: kept for the next driver */
			continue;
		}
		if (h->registered)
			rep->scsi_hosts++;
		host_shutdown(h);
		free(h);
		drv->scsi[i] = NULL;
	}
}

/* ---- sense data, for people ---------------------------------------------------------------- */

const char *ldr_scsi_sense_key_name(uint32_t key)
{
	static const char *const n[16] = {
		"NO SENSE",	  "RECOVERED ERROR", "NOT READY",      "MEDIUM ERROR",
		"HARDWARE ERROR", "ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT",
		"BLANK CHECK",	  "VENDOR SPECIFIC", "COPY ABORTED",   "ABORTED COMMAND",
		"RESERVED",	  "VOLUME OVERFLOW", "MISCOMPARE",     "COMPLETED",
	};
	return n[key & 0xf];
}

const char *ldr_scsi_asc_name(uint32_t asc, uint32_t ascq)
{
	/* the additional sense codes a disk target and its transport commonly return (SPC-4 D.2) */
	static const struct {
		uint16_t code;
		const char *name;
	} t[] = {
		{0x0000, "NO ADDITIONAL SENSE INFORMATION"},
		{0x0400, "LOGICAL UNIT NOT READY, CAUSE NOT REPORTABLE"},
		{0x0401, "LOGICAL UNIT IS IN PROCESS OF BECOMING READY"},
		{0x0402, "LOGICAL UNIT NOT READY, INITIALIZING COMMAND REQUIRED"},
		{0x0c00, "WRITE ERROR"},
		{0x1100, "UNRECOVERED READ ERROR"},
		{0x1a00, "PARAMETER LIST LENGTH ERROR"},
		{0x2000, "INVALID COMMAND OPERATION CODE"},
		{0x2100, "LOGICAL BLOCK ADDRESS OUT OF RANGE"},
		{0x2400, "INVALID FIELD IN CDB"},
		{0x2500, "LOGICAL UNIT NOT SUPPORTED"},
		{0x2600, "INVALID FIELD IN PARAMETER LIST"},
		{0x2700, "WRITE PROTECTED"},
		{0x2800, "NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED"},
		{0x2900, "POWER ON, RESET, OR BUS DEVICE RESET OCCURRED"},
		{0x2a01, "MODE PARAMETERS CHANGED"},
		{0x3a00, "MEDIUM NOT PRESENT"},
		{0x3f0e, "REPORTED LUNS DATA HAS CHANGED"},
		{0x4400, "INTERNAL TARGET FAILURE"},
		{0x4700, "SCSI PARITY ERROR"},
	};
	uint32_t code = (asc & 0xff) << 8 | (ascq & 0xff);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

void ldr_scsi_sense_describe(const uint8_t *sense, uint32_t len, uint32_t *key, uint32_t *asc,
			     uint32_t *ascq, char *out, size_t cap)
{
	uint32_t k = 0, a = 0, q = 0, code = sense && len ? sense[0] & 0x7fu : 0;
	const char *why = NULL;
	if (!sense || len == 0)
		why = "no sense data";
	else if ((code == 0x70 || code == 0x71) && len >= 14) {
		k = sense[2] & 0xfu;
		a = sense[12];
		q = sense[13];
	} else if ((code == 0x72 || code == 0x73) && len >= 4) {
		k = sense[1] & 0xfu;
		a = sense[2];
		q = sense[3];
	} else if (code == 0x70 || code == 0x71 || code == 0x72 || code == 0x73)
		why = "sense data truncated";
	else
		why = "sense data of unknown format";
	if (key)
		*key = k;
	if (asc)
		*asc = a;
	if (ascq)
		*ascq = q;
	if (!out || !cap)
		return;
	if (why) {
		snprintf(out, cap, "%s (%u bytes, response code 0x%02x)", why, len, code);
		return;
	}
	const char *an = ldr_scsi_asc_name(a, q);
	snprintf(out, cap, "sense key 0x%x %s, ASC/ASCQ 0x%02x/0x%02x %s", k,
		 ldr_scsi_sense_key_name(k), a, q, an ? an : "(not in the table)");
}

const struct ldr_class_ops ldr_scsi_class = {
	.name = "scsi",
	.dispatch = scsi_dispatch,
	.release_all = scsi_release_all,
};
