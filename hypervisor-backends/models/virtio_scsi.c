// SPDX-License-Identifier: MIT
/*
 * The `virtio-scsi` device model: a virtio-mmio (version 2) SCSI host adapter (virtio 1.x, 5.6)
 * with a control queue, an event queue and 1..8 request queues, in front of a SCSI target of
 * disks (scsi_disk.c) backed by disk backends (ram, file, iscsi). A platform device, compatible
 * "virtio,mmio"; one 0x200-byte MMIO region, one interrupt line. Requests complete
 * synchronously inside the QueueNotify write, except READ/WRITE on a disk that takes
 * asynchronous requests (the file backend's io_uring, config aio=uring, the default): those are
 * started in the QueueNotify write, handed to the kernel and completed (used ring, interrupt)
 * from the model's poll entry (hvb_device_poll), up to SCSI_AIO_MAX at once, in any order.
 * READ and WRITE data moves between the disk
 * backend and the driver's buffers directly (each descriptor translated through the IOMMU to a
 * host iovec, hvb_disk_readv/writev) where the backend can (ram, file, iscsi); otherwise
 * (blkfront, whose pages are its own) through the target's stage. The contract for drivers
 * (registers, request layout, LUN addressing, unit attentions, the config string) is
 * xdrv/virtio_scsi.h.
 */
#include "../hvb_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/device.h>
#include <xdrv/endian.h>
#include <xdrv/hvb_disk.h>
#include <xdrv/util.h>
#include <xdrv/virtio_scsi.h>

#include "scsi_disk.h"
#include "virtio.h"

#define REQ_HDR_FIXED  19u /* lun[8], id, task_attr, prio, crn */
#define RESP_HDR_FIXED 12u /* sense_len, resid, status_qualifier, status, response */

struct vscsi {
	struct hvb_device *dev;
	struct virtio_mmio mmio;
	struct scsi_target *target;
	uint32_t num_queues, seg_max, max_sectors;
	uint32_t cdb_size, sense_size; /* driver-writable config */
	uint64_t requests, tmfs, bad_target;
	bool aio;		    /* config aio=uring (default): READ/WRITE may complete later */
	uint64_t async_requests;    /* requests completed from the poll entry */
	uint32_t signal_mask;	    /* queues with used buffers not yet signalled */
	struct vs_pending *pending; /* SCSI_AIO_MAX; the requests in flight */
};

/* A request in flight: where its response and used element go when it completes. */
#define VS_RESP_SEGS 4u
struct vs_pending {
	bool busy;
	uint32_t qi;
	uint16_t head;
	uint32_t resp_hdr, nseg;
	uint64_t in_data, out_data, out_used;
	struct vq_seg seg[VS_RESP_SEGS]; /* the device-writable segments holding the response */
};

/* Data phase of one request: the byte streams after the request/response headers. */
struct xfer_ctx {
	struct vscsi *s;
	const struct vq_elem *e;
	uint32_t req_hdr, resp_hdr;
	uint64_t out_used;
};

static int get_out(void *ctx, uint64_t off, void *dst, uint64_t len)
{
	struct xfer_ctx *x = ctx;
	if (off + len > x->out_used)
		x->out_used = off + len;
	return vq_copy_from(x->s->dev, x->e->out, x->e->n_out, x->req_hdr + off, dst, len);
}

static int put_in(void *ctx, uint64_t off, const void *src, uint64_t len)
{
	struct xfer_ctx *x = ctx;
	return vq_copy_to(x->s->dev, x->e->in, x->e->n_in, x->resp_hdr + off, src, len);
}

/* The data bytes as host iovecs (vq_iov), for the target to hand to the disk backend. */
static int data_iov(void *ctx, bool in, uint64_t off, uint64_t len, struct iovec *iov, uint32_t max)
{
	struct xfer_ctx *x = ctx;
	if (!in && off + len > x->out_used)
		x->out_used = off + len;
	return in ? vq_iov(x->s->dev, x->e->in, x->e->n_in, x->resp_hdr + off, len, true, iov, max)
		  : vq_iov(x->s->dev, x->e->out, x->e->n_out, x->req_hdr + off, len, false, iov,
			   max);
}

/* LUN field -> (ok target, lun index). Returns false for a target this host does not have. */
static bool parse_lun(const uint8_t *lun, uint32_t *index)
{
	if (lun[0] != 1 || lun[1] != 0)
		return false;
	uint32_t method = lun[2] >> 6;
	uint32_t v = (uint32_t)(lun[2] & 0x3f) << 8 | lun[3];
	if (method > 1 || lun[4] || lun[5] || lun[6] || lun[7])
		v = UINT32_MAX; /* some other addressing: no such LUN */
	else if (method == 0 && (lun[2] & 0x3f))
		v = UINT32_MAX; /* peripheral addressing on another bus */
	*index = v;
	return true;
}

/* Write the response header of a finished command: the used length, or -1 after NEEDS_RESET. */
static int64_t put_resp(struct vscsi *s, const struct vq_seg *in, uint32_t n_in, uint32_t resp_hdr,
			uint8_t response, const struct scsi_cmd *c, uint64_t in_data,
			uint64_t out_data, uint64_t out_used)
{
	uint8_t resp[RESP_HDR_FIXED + VIRTIO_SCSI_SENSE_DEFAULT] = {0};
	uint32_t sense_len = c->sense_len < s->sense_size ? c->sense_len : s->sense_size;
	uint64_t resid = 0;
	if (response == VIRTIO_SCSI_S_OK)
		resid = in_data ? in_data - c->in_len : out_data - out_used;
	else
		resid = in_data + out_data;
	xdrv_put_le32(resp, sense_len);
	xdrv_put_le32(resp + 4, resid > UINT32_MAX ? UINT32_MAX : (uint32_t)resid);
	resp[10] = response == VIRTIO_SCSI_S_OK ? c->status : 0;
	resp[11] = response;
	memcpy(resp + RESP_HDR_FIXED, c->sense, sense_len);
	if (vq_copy_to(s->dev, in, n_in, 0, resp, resp_hdr)) {
		vmmio_fail(&s->mmio, "resp-dma",
			   "command response not writable (unmapped bus address)");
		return -1;
	}
	return (int64_t)(resp_hdr + c->in_len);
}

/* A free record for a request that may go in flight, its response segments copied from `e`;
 * NULL (the request then completes synchronously) if none is free or the response header is
 * spread over more than VS_RESP_SEGS segments. */
static struct vs_pending *pending_get(struct vscsi *s, uint32_t qi, const struct vq_elem *e,
				      uint32_t resp_hdr)
{
	if (!s->aio || !s->pending || qi < VIRTIO_SCSI_QUEUE_REQUEST)
		return NULL;
	struct vs_pending *p = NULL;
	for (uint32_t i = 0; i < SCSI_AIO_MAX && !p; i++)
		if (!s->pending[i].busy)
			p = &s->pending[i];
	if (!p)
		return NULL;
	uint64_t have = 0;
	uint32_t n = 0;
	while (have < resp_hdr && n < e->n_in && n < VS_RESP_SEGS) {
		p->seg[n] = e->in[n];
		have += e->in[n++].len;
	}
	if (have < resp_hdr)
		return NULL;
	p->nseg = n;
	p->qi = qi;
	p->head = e->head;
	p->resp_hdr = resp_hdr;
	return p;
}

/* Returned by handle_cmd for a request now in flight. */
#define VS_IN_FLIGHT (-2)

/* Returns the used length, -1 after NEEDS_RESET, or VS_IN_FLIGHT. */
static int64_t handle_cmd(struct vscsi *s, uint32_t qi, const struct vq_elem *e)
{
	uint32_t req_hdr = REQ_HDR_FIXED + s->cdb_size, resp_hdr = RESP_HDR_FIXED + s->sense_size;
	uint8_t req[REQ_HDR_FIXED + VIRTIO_SCSI_CDB_DEFAULT];
	if (e->out_len < req_hdr || e->in_len < resp_hdr) {
		vmmio_fail(&s->mmio, "req-short", "command request shorter than its headers");
		return -1;
	}
	if (vq_copy_from(s->dev, e->out, e->n_out, 0, req, req_hdr)) {
		vmmio_fail(&s->mmio, "req-dma",
			   "command request not readable (unmapped bus address)");
		return -1;
	}
	uint64_t out_data = e->out_len - req_hdr, in_data = e->in_len - resp_hdr;
	uint32_t lun;
	struct scsi_cmd c = {.cdb = req + REQ_HDR_FIXED,
			     .cdb_len = s->cdb_size,
			     .out_len = out_data,
			     .in_cap = in_data};
	struct xfer_ctx xc = {.s = s, .e = e, .req_hdr = req_hdr, .resp_hdr = resp_hdr};
	uint8_t response = VIRTIO_SCSI_S_OK;
	if (!parse_lun(req, &lun)) {
		response = VIRTIO_SCSI_S_BAD_TARGET;
		s->bad_target++;
	} else if (out_data && in_data) {
		response =
			VIRTIO_SCSI_S_FAILURE; /* bidirectional: VIRTIO_SCSI_F_INOUT not offered */
	} else {
		const struct scsi_xfer x = {
			.get_out = get_out, .put_in = put_in, .ctx = &xc, .iov = data_iov};
		struct vs_pending *p = pending_get(s, qi, e, resp_hdr);
		int r = scsi_target_exec_async(s->target, lun, &c, &x, p);
		if (r < 0) {
			vmmio_fail(&s->mmio, "data-dma",
				   "command data buffer not accessible (unmapped bus address)");
			return -1;
		}
		if (r == 1) {
			p->busy = true;
			p->in_data = in_data;
			p->out_data = out_data;
			p->out_used = xc.out_used;
			return VS_IN_FLIGHT;
		}
		if (c.overrun)
			response = VIRTIO_SCSI_S_OVERRUN;
	}
	return put_resp(s, e->in, e->n_in, resp_hdr, response, &c, in_data, out_data, xc.out_used);
}

static int64_t handle_ctrl(struct vscsi *s, const struct vq_elem *e)
{
	uint8_t req[VIRTIO_SCSI_TMF_REQ_SIZE], resp[VIRTIO_SCSI_AN_RESP_SIZE] = {0};
	if (e->out_len < 4 || vq_copy_from(s->dev, e->out, e->n_out, 0, req, 4)) {
		vmmio_fail(&s->mmio, "ctrl-short", "control request without a readable type");
		return -1;
	}
	uint32_t type = xdrv_get_le32(req), rlen;
	if (type == VIRTIO_SCSI_T_TMF) {
		if (e->out_len < VIRTIO_SCSI_TMF_REQ_SIZE ||
		    e->in_len < VIRTIO_SCSI_TMF_RESP_SIZE ||
		    vq_copy_from(s->dev, e->out, e->n_out, 0, req, VIRTIO_SCSI_TMF_REQ_SIZE)) {
			vmmio_fail(&s->mmio, "tmf-short", "TMF request too short or unreadable");
			return -1;
		}
		uint32_t sub = xdrv_get_le32(req + 4), lun;
		if (!parse_lun(req + 8, &lun)) {
			resp[0] = VIRTIO_SCSI_S_BAD_TARGET;
		} else if (sub == VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET) {
			scsi_target_reset_lun(s->target, lun);
			resp[0] = VIRTIO_SCSI_S_FUNCTION_COMPLETE;
		} else if (sub == VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET) {
			scsi_target_reset(s->target);
			resp[0] = VIRTIO_SCSI_S_FUNCTION_COMPLETE;
		} else if (sub <= VIRTIO_SCSI_T_TMF_QUERY_TASK_SET) {
			resp[0] = VIRTIO_SCSI_S_FUNCTION_COMPLETE; /* nothing is ever outstanding */
		} else {
			resp[0] = VIRTIO_SCSI_S_FUNCTION_REJECTED;
		}
		rlen = VIRTIO_SCSI_TMF_RESP_SIZE;
	} else if (type == VIRTIO_SCSI_T_AN_QUERY || type == VIRTIO_SCSI_T_AN_SUBSCRIBE) {
		if (e->out_len < VIRTIO_SCSI_AN_REQ_SIZE || e->in_len < VIRTIO_SCSI_AN_RESP_SIZE) {
			vmmio_fail(&s->mmio, "an-short",
				   "asynchronous notification request too short");
			return -1;
		}
		resp[4] = VIRTIO_SCSI_S_OK; /* event_actual 0: no notifications supported */
		rlen = VIRTIO_SCSI_AN_RESP_SIZE;
	} else {
		vmmio_fail(&s->mmio, "ctrl-type", "unknown control request type");
		return -1;
	}
	if (vq_copy_to(s->dev, e->in, e->n_in, 0, resp, rlen)) {
		vmmio_fail(&s->mmio, "ctrl-dma",
			   "control response not writable (unmapped bus address)");
		return -1;
	}
	return rlen;
}

static void signal_queues(struct vscsi *s)
{
	uint32_t m = s->signal_mask;
	s->signal_mask = 0;
	for (uint32_t qi = 0; m && !vmmio_broken(&s->mmio); qi++, m >>= 1)
		if (m & 1)
			vmmio_signal_used(&s->mmio, qi);
}

/* Complete finished requests in flight (wait: block for one while any is): the count. */
static int complete_pending(struct vscsi *s, bool wait)
{
	int n = 0;
	void *tag;
	struct scsi_cmd c;
	int r;
	while ((r = scsi_target_reap(s->target, wait, &tag, &c)) != 0) {
		struct vs_pending *p = tag;
		p->busy = false;
		n++;
		wait = false;
		if (vmmio_broken(&s->mmio))
			continue; /* the driver resets the device: nothing more goes to its rings */
		if (r < 0) {
			vmmio_fail(&s->mmio, "data-dma",
				   "command data buffer not accessible (unmapped bus address)");
			continue;
		}
		int64_t len = put_resp(s, p->seg, p->nseg, p->resp_hdr, VIRTIO_SCSI_S_OK, &c,
				       p->in_data, p->out_data, p->out_used);
		if (len < 0)
			continue;
		if (vq_push_head(s->dev, &s->mmio.q[p->qi], p->head, (uint32_t)len)) {
			vmmio_fail(&s->mmio, "used-dma",
				   "used ring not writable (unmapped bus address)");
			continue;
		}
		s->requests++;
		s->async_requests++;
		s->signal_mask |= 1u << p->qi;
	}
	return n;
}

static int vs_poll(void *opaque)
{
	struct vscsi *s = opaque;
	if (!scsi_target_inflight(s->target))
		return 0;
	scsi_target_kick(s->target);
	int n = complete_pending(s, false);
	signal_queues(s);
	return n;
}

static void vs_dma_unmapping(void *opaque, const void *host, uint64_t len)
{
	struct vscsi *s = opaque;
	scsi_target_quiesce(s->target, host, len);
}

static void vs_queue_notify(void *owner, uint32_t qi)
{
	struct vscsi *s = owner;
	struct virtqueue *q = &s->mmio.q[qi];
	if (qi == VIRTIO_SCSI_QUEUE_EVENT)
		return; /* buffers are held: the device never posts an event */
	bool indirect = s->mmio.driver_features & (1ull << VIRTIO_F_RING_INDIRECT_DESC);
	bool pushed = false;
	for (;;) {
		const char *why = NULL;
		int r = vq_pop(s->dev, q, indirect, &why);
		if (r < 0) {
			vmmio_fail(&s->mmio, r == -EFAULT ? "vq-dma" : "vq-malformed", why);
			break;
		}
		if (r == 0)
			break;
		if (qi != VIRTIO_SCSI_QUEUE_CONTROL &&
		    scsi_target_inflight(s->target) >= SCSI_AIO_MAX)
			complete_pending(s, true); /* room for one more in flight */
		int64_t len = qi == VIRTIO_SCSI_QUEUE_CONTROL ? handle_ctrl(s, &q->elem)
							      : handle_cmd(s, qi, &q->elem);
		if (len == VS_IN_FLIGHT)
			continue;
		if (len < 0)
			break;
		if (vq_push(s->dev, q, (uint32_t)len)) {
			vmmio_fail(&s->mmio, "used-dma",
				   "used ring not writable (unmapped bus address)");
			break;
		}
		if (qi == VIRTIO_SCSI_QUEUE_CONTROL)
			s->tmfs++;
		else
			s->requests++;
		pushed = true;
	}
	if (pushed)
		s->signal_mask |= 1u << qi;
	signal_queues(s);
}

static uint32_t vs_config_read(void *owner, uint32_t off, uint32_t size)
{
	struct vscsi *s = owner;
	uint8_t c[VIRTIO_SCSI_CFG_SIZE] = {0};
	xdrv_put_le32(c + VIRTIO_SCSI_CFG_NUM_QUEUES, s->num_queues);
	xdrv_put_le32(c + VIRTIO_SCSI_CFG_SEG_MAX, s->seg_max);
	xdrv_put_le32(c + VIRTIO_SCSI_CFG_MAX_SECTORS, s->max_sectors);
	xdrv_put_le32(c + VIRTIO_SCSI_CFG_CMD_PER_LUN,
		      s->mmio.q[VIRTIO_SCSI_QUEUE_REQUEST].num_max);
	xdrv_put_le32(c + VIRTIO_SCSI_CFG_EVENT_INFO_SIZE, 16);
	xdrv_put_le32(c + VIRTIO_SCSI_CFG_SENSE_SIZE, s->sense_size);
	xdrv_put_le32(c + VIRTIO_SCSI_CFG_CDB_SIZE, s->cdb_size);
	xdrv_put_le16(c + VIRTIO_SCSI_CFG_MAX_CHANNEL, 0);
	xdrv_put_le16(c + VIRTIO_SCSI_CFG_MAX_TARGET, 0);
	xdrv_put_le32(c + VIRTIO_SCSI_CFG_MAX_LUN, HVB_VSCSI_MAX_LUNS - 1);
	uint32_t v = 0;
	for (uint32_t i = 0; i < size; i++)
		v |= (uint32_t)c[off + i] << (8 * i);
	return v;
}

static void vs_config_write(void *owner, uint32_t off, uint32_t size, uint32_t value)
{
	struct vscsi *s = owner;
	if (size == 4 && off == VIRTIO_SCSI_CFG_SENSE_SIZE) {
		s->sense_size =
			value > VIRTIO_SCSI_SENSE_DEFAULT ? VIRTIO_SCSI_SENSE_DEFAULT : value;
	} else if (size == 4 && off == VIRTIO_SCSI_CFG_CDB_SIZE) {
		/* at least a 16-byte CDB must fit */
		s->cdb_size = value > VIRTIO_SCSI_CDB_DEFAULT ? VIRTIO_SCSI_CDB_DEFAULT
			      : value < 16		      ? 16
							      : value;
	} else {
		hvb_guest_error(s->dev, "config-ro", "write to a read-only configuration field");
	}
}

static void vs_reset_dev(void *owner)
{
	struct vscsi *s = owner;
	/* requests in flight finish (the kernel is done with the driver's buffers) and are
	 * dropped: the rings they would complete into are gone */
	scsi_target_cancel(s->target);
	for (uint32_t i = 0; s->pending && i < SCSI_AIO_MAX; i++)
		s->pending[i].busy = false;
	s->signal_mask = 0;
	s->cdb_size = VIRTIO_SCSI_CDB_DEFAULT;
	s->sense_size = VIRTIO_SCSI_SENSE_DEFAULT;
	scsi_target_reset(s->target);
}

static const struct virtio_dev_ops vscsi_dev_ops = {
	.device_id = VIRTIO_ID_SCSI,
	.features = 0,
	.config_size = VIRTIO_SCSI_CFG_SIZE,
	.config_read = vs_config_read,
	.config_write = vs_config_write,
	.queue_notify = vs_queue_notify,
	.reset = vs_reset_dev,
};

/* ---- model ops ------------------------------------------------------------------------------- */

static uint64_t vs_read(void *opaque, uint32_t region, uint64_t off, uint32_t size)
{
	(void)region;
	struct vscsi *s = opaque;
	return vmmio_read(&s->mmio, off, size);
}

static void vs_write(void *opaque, uint32_t region, uint64_t off, uint32_t size, uint64_t value)
{
	(void)region;
	struct vscsi *s = opaque;
	vmmio_write(&s->mmio, off, size, value);
}

static void vs_reset(void *opaque)
{
	struct vscsi *s = opaque;
	vmmio_reset(&s->mmio);
}

static void vs_destroy(void *opaque)
{
	struct vscsi *s = opaque;
	if (!s)
		return;
	scsi_target_cancel(s->target);
	vmmio_free(&s->mmio);
	scsi_target_destroy(s->target);
	free(s->pending);
	free(s);
}

static bool serial_ok(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > 16)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '.' || v[i] == '_' || v[i] == '-'))
			return false;
	return true;
}

#define VAL_MAX 1024

static int vs_create(struct hvb_device *dev, const char *config, void **opaque, char **err)
{
	char key[32], val[VAL_MAX], serial[24] = "xdrv";
	char *disks[HVB_VSCSI_MAX_LUNS] = {0};
	uint32_t ndisks = 0;
	uint64_t num_queues = 1, queue_size = 256, seg_max = 254, max_sectors = 4096, ro = 0;
	bool aio = true;
	size_t pos = 0;
	int rc = 0, r;
	struct vscsi *s = NULL;
	while ((r = hvb_config_next(config, &pos, key, sizeof key, val, sizeof val, err)) == 1) {
		uint64_t *num = NULL, lo = 0, hi = 0;
		if (strcmp(key, "disk") == 0) {
			if (ndisks >= HVB_VSCSI_MAX_LUNS) {
				rc = xdrv_err(err, -EINVAL, "config: more than %u disks",
					      HVB_VSCSI_MAX_LUNS);
				goto out;
			}
			disks[ndisks] = strdup(val);
			if (!disks[ndisks++]) {
				rc = xdrv_err(err, -ENOMEM, "out of memory");
				goto out;
			}
			continue;
		} else if (strcmp(key, "serial") == 0) {
			if (!serial_ok(val)) {
				rc = xdrv_err(err, -EINVAL,
					      "config serial=%s: expected 1..16 of "
					      "[A-Za-z0-9._-]",
					      val);
				goto out;
			}
			snprintf(serial, sizeof serial, "%s", val);
			continue;
		} else if (strcmp(key, "aio") == 0) {
			if (strcmp(val, "uring") != 0 && strcmp(val, "sync") != 0) {
				rc = xdrv_err(err, -EINVAL, "config aio=%s: expected uring or sync",
					      val);
				goto out;
			}
			aio = strcmp(val, "uring") == 0;
			continue;
		} else if (strcmp(key, "num_queues") == 0) {
			num = &num_queues, lo = 1, hi = 8;
		} else if (strcmp(key, "queue_size") == 0) {
			num = &queue_size, lo = 2, hi = VIRTQ_MAX_SIZE;
		} else if (strcmp(key, "seg_max") == 0) {
			num = &seg_max, lo = 1, hi = 1024;
		} else if (strcmp(key, "max_sectors") == 0) {
			num = &max_sectors, lo = 8, hi = 65535;
		} else if (strcmp(key, "ro") == 0) {
			num = &ro, lo = 0, hi = 1;
		} else {
			rc = xdrv_err(err, -EINVAL,
				      "config key '%s': unknown (disk, ro, num_queues, "
				      "queue_size, seg_max, max_sectors, serial, aio)",
				      key);
			goto out;
		}
		if (hvb_config_u64(val, lo, hi, num)) {
			rc = xdrv_err(err, -EINVAL, "config %s=%s: expected a number in %llu..%llu",
				      key, val, (unsigned long long)lo, (unsigned long long)hi);
			goto out;
		}
		if (num == &queue_size && (queue_size & (queue_size - 1))) {
			rc = xdrv_err(err, -EINVAL, "config queue_size=%s: not a power of two",
				      val);
			goto out;
		}
	}
	if (r < 0) {
		rc = r;
		goto out;
	}
	if (ndisks == 0) {
		rc = xdrv_err(err, -EINVAL, "config: no disk (e.g. \"disk=ram:64M\")");
		goto out;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		rc = xdrv_err(err, -ENOMEM, "out of memory");
		goto out;
	}
	s->dev = dev;
	s->num_queues = (uint32_t)num_queues;
	s->seg_max = (uint32_t)seg_max;
	s->max_sectors = (uint32_t)max_sectors;
	s->cdb_size = VIRTIO_SCSI_CDB_DEFAULT;
	s->sense_size = VIRTIO_SCSI_SENSE_DEFAULT;
	s->aio = aio;
	if (aio && !(s->pending = calloc(SCSI_AIO_MAX, sizeof *s->pending))) {
		rc = xdrv_err(err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = scsi_target_create(serial, (uint32_t)max_sectors, &s->target, err);
	if (rc)
		goto out;
	for (uint32_t i = 0; i < ndisks; i++) {
		struct hvb_disk *disk = NULL;
		rc = hvb_disk_open(disks[i], ro != 0, &disk, err);
		if (rc == 0) {
			rc = scsi_target_add(s->target, disk, err);
			if (rc)
				hvb_disk_close(disk);
		}
		if (rc) {
			xdrv_err_prefix(err, "config disk #%u", i);
			goto out;
		}
	}
	if (vmmio_init(&s->mmio, dev, &vscsi_dev_ops, s, 2 + s->num_queues, (uint32_t)queue_size)) {
		rc = xdrv_err(err, -ENOMEM, "out of memory");
		goto out;
	}
	*opaque = s;
	s = NULL;
out:
	for (uint32_t i = 0; i < ndisks; i++)
		free(disks[i]);
	vs_destroy(s);
	return rc;
}

/* ---- host side ------------------------------------------------------------------------------- */

static struct vscsi *vscsi_of(const struct hvb_device *d)
{
	if (!d || hvb_device_model(d) != &hvb_virtio_scsi_model_ops)
		return NULL;
	return hvb_device_state(d);
}

int hvb_vscsi_get_stats(const struct hvb_device *d, struct hvb_vscsi_stats *out)
{
	struct vscsi *s = vscsi_of(d);
	if (!s)
		return -EINVAL;
	const struct scsi_stats *t = scsi_target_stats(s->target);
	*out = (struct hvb_vscsi_stats){
		.notifies = s->mmio.notifies,
		.requests = s->requests,
		.tmfs = s->tmfs,
		.interrupts = s->mmio.interrupts,
		.check_conditions = t->check_conditions,
		.bad_target = s->bad_target,
		.reads = t->reads,
		.writes = t->writes,
		.flushes = t->flushes,
		.bytes_read = t->bytes_read,
		.bytes_written = t->bytes_written,
		.backend_errors = t->backend_errors,
		.direct_bytes = t->direct_bytes,
		.async_requests = s->async_requests,
		.in_flight = scsi_target_inflight(s->target),
		.needs_reset = s->mmio.needs_reset_count,
	};
	return 0;
}

uint32_t hvb_vscsi_num_luns(const struct hvb_device *d)
{
	struct vscsi *s = vscsi_of(d);
	return s ? scsi_target_luns(s->target) : 0;
}

uint64_t hvb_vscsi_lun_blocks(const struct hvb_device *d, uint32_t lun)
{
	struct vscsi *s = vscsi_of(d);
	return s ? scsi_target_lun_blocks(s->target, lun) : 0;
}

uint32_t hvb_vscsi_status(const struct hvb_device *d)
{
	struct vscsi *s = vscsi_of(d);
	return s ? s->mmio.status : 0;
}

const struct hvb_model_ops hvb_virtio_scsi_model_ops = {
	.name = "virtio-scsi",
	.description = "virtio-mmio SCSI host with disks on RAM, image files or iSCSI LUNs",
	.bus = XDRV_BUS_PLATFORM,
	.compatible = "virtio,mmio",
	.num_regions = 1,
	.regions = {{.kind = XDRV_REGION_MMIO,
		     .access_sizes = 1 | 2 | 4,
		     .size = HVB_VSCSI_REGION_SIZE}},
	.num_irqs = 1,
	.create = vs_create,
	.destroy = vs_destroy,
	.reset = vs_reset,
	.read = vs_read,
	.write = vs_write,
	.poll = vs_poll,
	.dma_unmapping = vs_dma_unmapping,
};
