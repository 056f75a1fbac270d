// SPDX-License-Identifier: MIT
/*
 * virtio_scsi driver: the two classes it serves. Block devices (one per disk the scan found):
 * a request becomes READ/WRITE(10), or (16) when the LBA or count needs it, split into commands
 * of at most max_sectors, or SYNCHRONIZE CACHE(10) for a flush; the caller's buffer is mapped
 * for the whole request. Errors come from the sense data: UNIT ATTENTION, NOT READY, BUSY and a
 * transport reset are retried up to `retries` times; ILLEGAL REQUEST with LOGICAL BLOCK ADDRESS
 * OUT OF RANGE completes XDRV_ERANGE, anything else XDRV_EIO, each logged with key/ASC/ASCQ.
 * The SCSI host passes the host's CDBs through unchanged and returns status, sense and residue
 * as the device gave them. Requests that find no free slot wait in a FIFO (block) or are
 * refused with XDRV_EBUSY for the host to retry (SCSI).
 */
#include "vs.h"

/* ---- sense data and messages ------------------------------------------------------------------
 */

const char *vs_sense_key_name(uint32_t key)
{
	static const char *const n[16] = {
		"NO SENSE",	  "RECOVERED ERROR", "NOT READY",      "MEDIUM ERROR",
		"HARDWARE ERROR", "ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT",
		"BLANK CHECK",	  "VENDOR SPECIFIC", "COPY ABORTED",   "ABORTED COMMAND",
		"RESERVED",	  "VOLUME OVERFLOW", "MISCOMPARE",     "COMPLETED",
	};
	return n[key & 0xf];
}

static const char *asc_name(uint32_t asc, uint32_t ascq)
{
	switch (asc << 8 | ascq) {
	case 0x0400:
		return "LOGICAL UNIT NOT READY";
	case 0x0c00:
		return "WRITE ERROR";
	case 0x1100:
		return "UNRECOVERED READ ERROR";
	case 0x2000:
		return "INVALID COMMAND OPERATION CODE";
	case 0x2100:
		return "LOGICAL BLOCK ADDRESS OUT OF RANGE";
	case 0x2400:
		return "INVALID FIELD IN CDB";
	case 0x2500:
		return "LOGICAL UNIT NOT SUPPORTED";
	case 0x2700:
		return "WRITE PROTECTED";
	case 0x2900:
		return "POWER ON, RESET, OR BUS DEVICE RESET OCCURRED";
	case 0x3a00:
		return "MEDIUM NOT PRESENT";
	default:
		return NULL;
	}
}

const char *vs_response_name(uint32_t response)
{
	static const char *const n[] = {
		"OK",
		"OVERRUN",
		"ABORTED",
		"BAD_TARGET",
		"RESET",
		"BUSY",
		"TRANSPORT_FAILURE",
		"TARGET_FAILURE",
		"NEXUS_FAILURE",
		"FAILURE",
		"FUNCTION_SUCCEEDED",
		"FUNCTION_REJECTED",
		"INCORRECT_LUN",
	};
	return response < sizeof n / sizeof n[0] ? n[response] : "unknown response";
}

static const char *status_name(uint32_t st)
{
	switch (st) {
	case SCSI_GOOD:
		return "GOOD";
	case SCSI_CHECK_CONDITION:
		return "CHECK CONDITION";
	case SCSI_BUSY:
		return "BUSY";
	case 0x18:
		return "RESERVATION CONFLICT";
	case SCSI_TASK_SET_FULL:
		return "TASK SET FULL";
	default:
		return "unexpected status";
	}
}

/* "<who>: <what>: CHECK CONDITION, sense key 0x5 ILLEGAL REQUEST, asc/ascq 0x21/0x00 (...)" */
void vs_log_result(const char *who, const char *what, const struct vs_result *r, uint32_t level)
{
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "virtio_scsi: ");
	xdrv_msg_str(&m, who);
	xdrv_msg_str(&m, ": ");
	xdrv_msg_str(&m, what);
	if (r->response != VS_RESP_OK) {
		xdrv_msg_str(&m, ": virtio response ");
		xdrv_msg_u64(&m, r->response);
		xdrv_msg_str(&m, " (");
		xdrv_msg_str(&m, vs_response_name(r->response));
		xdrv_msg_str(&m, ")");
	} else {
		xdrv_msg_str(&m, ": ");
		xdrv_msg_str(&m, status_name(r->status));
		if (r->status == SCSI_CHECK_CONDITION) {
			xdrv_msg_str(&m, ", sense key ");
			xdrv_msg_hex(&m, r->key, 1);
			xdrv_msg_chr(&m, ' ');
			xdrv_msg_str(&m, vs_sense_key_name(r->key));
			xdrv_msg_str(&m, ", asc/ascq ");
			xdrv_msg_hex(&m, r->asc, 2);
			xdrv_msg_chr(&m, '/');
			xdrv_msg_hex(&m, r->ascq, 2);
			const char *an = asc_name(r->asc, r->ascq);
			if (an) {
				xdrv_msg_str(&m, " (");
				xdrv_msg_str(&m, an);
				xdrv_msg_chr(&m, ')');
			}
		}
	}
	xdrv_msg_log(&m, level);
}

/* ---- block devices ----------------------------------------------------------------------------
 */

static const char *op_name(uint32_t op)
{
	return op == XDRV_BLK_READ ? "read" : op == XDRV_BLK_WRITE ? "write" : "flush";
}

static void blk_finish(struct vs *vs, struct vs_slot *s, int32_t status)
{
	struct vs_disk *d = s->disk;
	const struct xdrv_blk_req *req = s->breq;
	vs_slot_put(vs, s);
	xdrv_blk_complete(d->blk, req, status);
}

/* Issue the next command of the block request in slot s. */
static void blk_issue(struct vs *vs, struct vs_slot *s)
{
	const struct xdrv_blk_req *req = s->breq;
	struct vs_disk *d = s->disk;
	uint8_t cdb[16];
	memset(cdb, 0, sizeof cdb);
	if (req->op == XDRV_BLK_FLUSH) {
		cdb[0] = SCSI_SYNC_CACHE10; /* LBA 0, count 0: the whole medium */
		s->blk_chunk = 0;
		vs_slot_start(vs, s, d->target, d->lun, cdb, 10, XDRV_SCSI_DIR_NONE, 0, 0);
		return;
	}
	uint64_t left = req->count - s->blk_done;
	uint64_t max = (uint64_t)vs->max_sectors * 512u / d->block_size;
	if (max == 0)
		max = 1;
	if (max > 0xffffu)
		max = 0xffffu; /* keeps a chunk under 4 GiB and inside READ(10)'s count */
	uint32_t n = (uint32_t)(left < max ? left : max);
	uint64_t lba = req->lba + s->blk_done;
	int write = req->op == XDRV_BLK_WRITE;
	uint32_t cdb_len;
	if (!d->use16 && lba + n <= 0xffffffffull) {
		cdb[0] = write ? SCSI_WRITE10 : SCSI_READ10;
		xdrv_put_be32(cdb + 2, (uint32_t)lba);
		xdrv_put_be16(cdb + 7, (uint16_t)n);
		cdb_len = 10;
	} else {
		cdb[0] = write ? SCSI_WRITE16 : SCSI_READ16;
		xdrv_put_be64(cdb + 2, lba);
		xdrv_put_be32(cdb + 10, n);
		cdb_len = 16;
	}
	s->blk_chunk = n;
	vs_slot_start(vs, s, d->target, d->lun, cdb, cdb_len,
		      write ? XDRV_SCSI_DIR_TO_DEVICE : XDRV_SCSI_DIR_FROM_DEVICE,
		      s->map_bus + s->blk_done * d->block_size, n * d->block_size);
}

static int retryable(const struct vs_result *r)
{
	if (r->response == VS_RESP_RESET || r->response == VS_RESP_BUSY)
		return 1;
	if (r->response != VS_RESP_OK)
		return 0;
	if (r->status == SCSI_BUSY || r->status == SCSI_TASK_SET_FULL)
		return 1;
	return r->status == SCSI_CHECK_CONDITION &&
	       (r->key == SK_UNIT_ATTENTION || r->key == SK_NOT_READY);
}

static void blk_log(const struct vs_slot *s, const struct vs_result *r, const char *prefix,
		    uint32_t level)
{
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, prefix);
	xdrv_msg_str(&m, op_name(s->breq->op));
	if (s->breq->op != XDRV_BLK_FLUSH) {
		xdrv_msg_str(&m, " lba ");
		xdrv_msg_u64(&m, s->breq->lba + s->blk_done);
		xdrv_msg_str(&m, " count ");
		xdrv_msg_u64(&m, s->blk_chunk);
	}
	vs_log_result(s->disk->name, m.buf, r, level);
}

static void blk_done(struct vs *vs, struct vs_slot *s)
{
	struct vs_result r;
	vs_result_read(vs, s, &r);
	if (r.response == VS_RESP_OK && r.status == SCSI_GOOD) {
		if (s->breq->op != XDRV_BLK_FLUSH) {
			s->blk_done += s->blk_chunk;
			if (s->blk_done < s->breq->count) {
				s->retries = 0;
				blk_issue(vs, s);
				return;
			}
		}
		blk_finish(vs, s, XDRV_OK);
		return;
	}
	if (retryable(&r) && s->retries < xdrv_param_retries && !vs->broken) {
		s->retries++;
		vs->retries_done++;
		blk_log(s, &r, "retrying ", XDRV_LOG_INFO);
		blk_issue(vs, s);
		return;
	}
	int32_t status = XDRV_EIO;
	if (r.response == VS_RESP_OK && r.status == SCSI_CHECK_CONDITION &&
	    r.key == SK_ILLEGAL_REQUEST && r.asc == ASC_LBA_OUT_OF_RANGE)
		status = XDRV_ERANGE;
	blk_log(s, &r, "", XDRV_LOG_ERROR);
	blk_finish(vs, s, status);
}

static int32_t blk_start(struct vs *vs, struct vs_slot *s, struct vs_disk *d,
			 const struct xdrv_blk_req *req)
{
	s->kind = SLOT_BLK;
	s->disk = d;
	s->breq = req;
	s->blk_done = 0;
	s->retries = 0;
	if (req->op != XDRV_BLK_FLUSH) {
		uint32_t dir =
			req->op == XDRV_BLK_WRITE ? XDRV_DMA_TO_DEVICE : XDRV_DMA_FROM_DEVICE;
		int32_t rc = xdrv_dma_map(vs->dev, req->data, req->data_len, dir, &s->map_bus);
		if (rc != XDRV_OK) {
			vs_slot_put(vs, s);
			return rc;
		}
		s->map_len = req->data_len;
		s->map_dir = dir;
	}
	blk_issue(vs, s);
	return XDRV_OK;
}

static int32_t blk_check(const struct vs_disk *d, const struct xdrv_blk_req *req)
{
	if (req->op == XDRV_BLK_FLUSH)
		return XDRV_OK;
	if (req->op != XDRV_BLK_READ && req->op != XDRV_BLK_WRITE)
		return XDRV_EINVAL;
	if (!req->count || !req->data || req->data_len != (uint64_t)req->count * d->block_size)
		return XDRV_EINVAL;
	if (req->lba >= d->blocks || req->count > d->blocks - req->lba)
		return XDRV_ERANGE;
	return XDRV_OK;
}

static int32_t vs_blk_submit(xdrv_blkdev_t *blk, const struct xdrv_blk_req *req)
{
	struct vs_disk *d = xdrv_blk_priv(blk);
	if (!d || !req)
		return XDRV_EINVAL;
	struct vs *vs = d->vs;
	if (vs->broken)
		return XDRV_EIO;
	int32_t rc = blk_check(d, req);
	if (rc != XDRV_OK)
		return rc;
	struct vs_slot *s = vs->bl_head == vs->bl_tail ? vs_slot_get(vs) : NULL;
	if (!s) {
		if (vs->bl_tail - vs->bl_head >= VS_BACKLOG)
			return XDRV_EBUSY;
		vs->backlog[vs->bl_tail % VS_BACKLOG].disk = d;
		vs->backlog[vs->bl_tail % VS_BACKLOG].req = req;
		vs->bl_tail++;
		return XDRV_OK;
	}
	return blk_start(vs, s, d, req);
}

void vs_backlog_kick(struct vs *vs)
{
	while (vs->bl_head != vs->bl_tail && !vs->broken) {
		struct vs_slot *s = vs_slot_get(vs);
		if (!s)
			return;
		struct vs_disk *d = vs->backlog[vs->bl_head % VS_BACKLOG].disk;
		const struct xdrv_blk_req *req = vs->backlog[vs->bl_head % VS_BACKLOG].req;
		vs->bl_head++;
		int32_t rc = blk_start(vs, s, d, req);
		if (rc != XDRV_OK)
			xdrv_blk_complete(d->blk, req, rc);
	}
}

static int32_t vs_blk_poll(xdrv_blkdev_t *blk)
{
	struct vs_disk *d = xdrv_blk_priv(blk);
	if (!d)
		return 0;
	uint32_t n = vs_reap(d->vs, vs_complete_slot);
	vs_backlog_kick(d->vs);
	return (int32_t)n;
}

const struct xdrv_blk_ops vs_blk_ops = {
	.struct_size = sizeof(struct xdrv_blk_ops),
	.submit = vs_blk_submit,
	.poll = vs_blk_poll,
};

static void disk_name(char *out, uint32_t i)
{
	out[0] = 's';
	out[1] = 'd';
	if (i < 26) {
		out[2] = (char)('a' + i);
		out[3] = 0;
	} else {
		out[2] = (char)('a' + i / 26 - 1);
		out[3] = (char)('a' + i % 26);
		out[4] = 0;
	}
}

void vs_disks_register(struct vs *vs)
{
	for (uint32_t i = 0; i < vs->ndisks; i++) {
		struct vs_disk *d = &vs->disks[i];
		disk_name(d->name, i);
		d->blk = xdrv_blk_register(vs->dev, &vs_blk_ops, d->name, d->block_size, d->blocks,
					   d);
		struct xdrv_msg m;
		xdrv_msg_init(&m);
		xdrv_msg_str(&m, "virtio_scsi: ");
		xdrv_msg_str(&m, d->name);
		xdrv_msg_str(&m, d->blk ? ": target " : ": cannot register block device, target ");
		xdrv_msg_u64(&m, d->target);
		xdrv_msg_str(&m, " lun ");
		xdrv_msg_u64(&m, d->lun);
		xdrv_msg_str(&m, ", ");
		xdrv_msg_u64(&m, d->blocks);
		xdrv_msg_str(&m, " blocks of ");
		xdrv_msg_u64(&m, d->block_size);
		xdrv_msg_str(&m, " bytes (");
		xdrv_msg_u64(&m, d->blocks * d->block_size >> 20);
		xdrv_msg_str(&m, " MiB)");
		xdrv_msg_log(&m, d->blk ? XDRV_LOG_INFO : XDRV_LOG_WARN);
	}
}

/* ---- SCSI host --------------------------------------------------------------------------------
 */

static uint32_t host_status(uint32_t response)
{
	switch (response) {
	case VS_RESP_OK:
		return XDRV_SCSI_HOST_OK;
	case VS_RESP_ABORTED:
		return XDRV_SCSI_HOST_ABORTED;
	case VS_RESP_BAD_TARGET:
	case 12: /* INCORRECT_LUN */
		return XDRV_SCSI_HOST_NO_TARGET;
	case VS_RESP_RESET:
		return XDRV_SCSI_HOST_RESET;
	default:
		return XDRV_SCSI_HOST_ERROR;
	}
}

static void scsi_done(struct vs *vs, struct vs_slot *s)
{
	struct vs_result r;
	vs_result_read(vs, s, &r);
	const struct xdrv_scsi_cmd *cmd = s->scmd;
	vs_slot_put(vs, s);
	if (r.response != VS_RESP_OK || r.status != SCSI_GOOD)
		vs_log_result("scsi host", "passed-through command", &r, XDRV_LOG_DEBUG);
	xdrv_scsi_complete(vs->host, cmd, host_status(r.response), r.status,
			   r.sense_len ? r.sense : NULL, r.sense_len, r.resid);
}

static int32_t vs_queuecommand(xdrv_scsi_host_t *host, const struct xdrv_scsi_cmd *cmd)
{
	struct vs *vs = xdrv_scsi_priv(host);
	if (!vs || !cmd)
		return XDRV_EINVAL;
	if (vs->broken)
		return XDRV_EIO;
	if (cmd->cdb_len == 0 || cmd->cdb_len > vs->cdb_size)
		return XDRV_EINVAL;
	if (cmd->dir > XDRV_SCSI_DIR_FROM_DEVICE || cmd->data_len > 0xffffffffull ||
	    (cmd->dir != XDRV_SCSI_DIR_NONE && cmd->data_len && !cmd->data))
		return XDRV_EINVAL;
	if (cmd->target > vs->max_target) {
		xdrv_scsi_complete(host, cmd, XDRV_SCSI_HOST_NO_TARGET, 0, NULL, 0, cmd->data_len);
		return XDRV_OK;
	}
	struct vs_slot *s = vs_slot_get(vs);
	if (!s)
		return XDRV_EBUSY;
	s->kind = SLOT_SCSI;
	s->scmd = cmd;
	uint32_t len = cmd->dir == XDRV_SCSI_DIR_NONE ? 0 : (uint32_t)cmd->data_len;
	if (len) {
		uint32_t dir = cmd->dir == XDRV_SCSI_DIR_TO_DEVICE ? XDRV_DMA_TO_DEVICE
								   : XDRV_DMA_FROM_DEVICE;
		int32_t rc = xdrv_dma_map(vs->dev, cmd->data, len, dir, &s->map_bus);
		if (rc != XDRV_OK) {
			vs_slot_put(vs, s);
			return rc;
		}
		s->map_len = len;
		s->map_dir = dir;
	}
	vs_slot_start(vs, s, cmd->target, cmd->lun, cmd->cdb, cmd->cdb_len, cmd->dir, s->map_bus,
		      len);
	return XDRV_OK;
}

static int32_t vs_scsi_reset(xdrv_scsi_host_t *host)
{
	struct vs *vs = xdrv_scsi_priv(host);
	if (!vs)
		return XDRV_EINVAL;
	xdrv_log(XDRV_LOG_WARN, "virtio_scsi: host reset: resetting the device");
	vs_transport_reset(vs);
	vs_fail_all(vs, XDRV_EIO, XDRV_SCSI_HOST_RESET);
	int32_t rc = vs_transport_init(vs, vs->qsz);
	if (rc != XDRV_OK)
		vs->broken = 1;
	return rc;
}

static int32_t vs_scsi_poll(xdrv_scsi_host_t *host)
{
	struct vs *vs = xdrv_scsi_priv(host);
	if (!vs)
		return 0;
	uint32_t n = vs_reap(vs, vs_complete_slot);
	vs_backlog_kick(vs);
	return (int32_t)n;
}

const struct xdrv_scsi_ops vs_scsi_ops = {
	.struct_size = sizeof(struct xdrv_scsi_ops),
	.queuecommand = vs_queuecommand,
	.reset = vs_scsi_reset,
	.poll = vs_scsi_poll,
};

/* ---- completion and teardown ------------------------------------------------------------------
 */

void vs_complete_slot(struct vs *vs, struct vs_slot *s)
{
	switch (s->kind) {
	case SLOT_BLK:
		blk_done(vs, s);
		break;
	case SLOT_SCSI:
		scsi_done(vs, s);
		break;
	default: /* SLOT_INTERNAL: vs_exec_sync reads the result */
		break;
	}
}

/* The device was reset (or is gone): complete everything outstanding with these statuses. */
void vs_fail_all(struct vs *vs, int32_t blk_status, uint32_t host_st)
{
	for (uint32_t i = 0; i < vs->nslots; i++) {
		struct vs_slot *s = &vs->slots[i];
		if (s->kind == SLOT_BLK) {
			blk_finish(vs, s, blk_status);
		} else if (s->kind == SLOT_SCSI) {
			const struct xdrv_scsi_cmd *cmd = s->scmd;
			vs_slot_put(vs, s);
			xdrv_scsi_complete(vs->host, cmd, host_st, 0, NULL, 0, cmd->data_len);
		} else if (s->kind == SLOT_INTERNAL) {
			vs_slot_put(vs, s);
		}
	}
	while (vs->bl_head != vs->bl_tail) {
		struct vs_disk *d = vs->backlog[vs->bl_head % VS_BACKLOG].disk;
		const struct xdrv_blk_req *req = vs->backlog[vs->bl_head % VS_BACKLOG].req;
		vs->bl_head++;
		xdrv_blk_complete(d->blk, req, blk_status);
	}
}
