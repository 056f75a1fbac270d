// SPDX-License-Identifier: MIT
/*
 * The `blkfront` disk backend: a Xen virtual block device seen through the blkif split-driver
 * protocol (xen/io/blkif.h), over the transport of xt.h: Linux's xen-blkback on real Xen, or
 * xdrv-backd (backd/backd_vbd.c) on the loop transport. A spec "blkfront:VDEV[:PHYS]":
 *
 *   VDEV   xvda..xvdz (the Xen virtual-device number 202 << 8 | 16 * index, 51712 = xvda), or a
 *          number (the virtual-device number itself)
 *   PHYS   xen transport in toolstack mode only: the dom0 block device the backend serves
 *          (/dev/loop0); its MAJ:MIN (hex) becomes "physical-device" once the backend is in
 *          InitWait, as the hotplug script would write it
 *
 * The transport, its socket and the backend domain are the process defaults (xt_default_get:
 * `--backend xen:transport=...,socket=...`, or XDRV_BACKD_SOCKET).
 *
 * Set-up, as Linux's xen-blkfront: wait for the backend's InitWait; share one ring page and a
 * pool of data pages (RING_SIZE slots of BLKIF_MAX_SEGMENTS_PER_REQUEST pages each); publish
 * ring-ref, event-channel, protocol, feature-persistent (the pool stays granted, the same
 * pages for the same slot: a backend may keep them mapped); Initialised; wait for Connected; read
 * and check sectors, sector-size (512 only: we do not advertise feature-large-sector-size, so a
 * backend must use 512), info, the flush features; Connected.
 *
 * I/O: the disk layer's synchronous calls, and its asynchronous requests (below); one call is split
 * into requests of up to 11 pages (44 with indirect requests), as many in flight as there are
 * slots. Data is copied into and out of the slot's pages of the granted pool, unless the caller's
 * buffer is itself granted (zero copy, below). Requests are pushed with
 * RING_PUSH_REQUESTS_AND_CHECK_NOTIFY (a notification only when the backend asked for one);
 * while waiting, rsp_event asks for an event only after half of what is in flight has completed
 * (all of it at the tail of a call), so a large call costs a few events, not one per request.
 * Flush: FLUSH_DISKCACHE if the backend advertises feature-flush-cache, else WRITE_BARRIER if
 * it advertises feature-barrier (no writes are in flight when the disk layer flushes, so an
 * empty barrier is a flush), else nothing: a backend that advertises neither has no volatile
 * cache to flush (blkif.h; Linux's blkfront then runs the disk write-through too).
 *
 * Indirect requests, when the backend offers feature-max-indirect-segments (Linux's blkback
 * and xdrv-backd do): the same pool of 352 pages in 8 slots of up to 44 pages (176 KiB), each
 * slot with an indirect page (shared after Connected, as Linux's blkfront does) listing its
 * segments; a request of up to 11 pages stays a direct one. The pool does not grow: gntalloc's
 * default limit on Xen is 1,024 pages for the whole process. Not used: multi-page rings
 * (max-ring-page-order: 32 direct requests of 44 KiB already hold 1.4 MiB in flight).
 *
 * Zero copy (hvb_disk_buffer): bf_buffer hands out page ranges from the end of the pool, which
 * then belong to the caller and to no slot: the copy path's slots shrink to the pages left (at
 * least half the pool: 26 direct slots or 6 indirect ones with one 256 KiB buffer out). A read
 * or write whose buffer starts on a page of such a range and lies inside it builds its
 * segments from those pages' grant references, with no memcpy either way: the backend preads
 * into, or pwrites from, the caller's buffer. Its requests carry up to 11 pages, or with
 * indirect requests as many as the backend takes and one indirect page lists (512; xdrv-backd
 * takes 64, so the SCSI target's 256 KiB piece is one request). With feature-persistent the
 * same pages stay granted for good, so the backend may keep them mapped; they are never
 * revoked while the device is open. Any other buffer takes the copy path.
 *
 * Untrusted: every key of the backend's directory and every response. The producer index is
 * read once per pass and checked against what we have outstanding; each response is copied once
 * (RING_COPY_RESPONSE) and its copy checked: id (slot and sequence number of an outstanding
 * request), operation (that request's), status (OKAY, ERROR, EOPNOTSUPP). A bad value
 * disconnects the device: that call and every later one fail with -EIO and the message naming
 * the device and the field, and the granted pages are never reused (the backend may still
 * write them). ERROR and EOPNOTSUPP are ordinary I/O errors of that call.
 */
#define _GNU_SOURCE
#include "../hvb_priv.h"
#include "xen_ring.h"
#include "xt.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <xdrv/hvb_disk.h>
#include <xdrv/util.h>

#ifdef XDRV_HAVE_XEN_HEADERS
#include <xen/io/protocols.h>

#define BF_SEGS	     BLKIF_MAX_SEGMENTS_PER_REQUEST    /* 11 pages per request */
#define BF_SLOTS     __CONST_RING_SIZE(blkif, XT_PAGE) /* 32 with one ring page */
#define BF_SLOT_BITS 8u /* id = seq << 8 | slot: a stale or repeated id does not match */
#define BF_SECT	     512u
#define BF_SECT_PAGE (XT_PAGE / BF_SECT)
#define BF_REQ_MAX   ((uint64_t)BF_SEGS * XT_PAGE) /* bytes per direct request: 44 KiB */
#define BF_POOL	     (BF_SLOTS * BF_SEGS)	   /* data pages shared: 352 */
/* Indirect requests: the same pool in fewer, larger slots, each with an indirect page listing
 * its segments; at most 44 segments (176 KiB), so that 8 slots still fill the pool */
#define BF_IND_SEGS_MAX (BF_POOL / 8u)
#define BF_IND_SLOTS	8u
#define BF_XVD_MAJOR	202u
#define BF_NAME_MAX	48u
#define BF_POLL_SLICE	1000 /* ms: the ring is looked at again at least this often */
/* zero copy: bf_buffer leaves at least this many pool pages to the copy path's slots */
#define BF_ZC_KEEP (BF_POOL / 2u)
/* segments of a zero-copy indirect request: what one indirect page lists */
#define BF_ZC_SEGS_MAX (XT_PAGE / sizeof(struct blkif_request_segment))

/* asynchronous requests of the disk layer accepted at once (the SCSI target's SCSI_AIO_MAX) */
#define BF_AIO_MAX 32u
/* With indirect requests the pool's slots are 8: the ring's other 24 entries get slots of their
 * own for asynchronous parts, 11 pages each (direct requests), shared at the first one */
#define BF_APOOL ((BF_SLOTS - BF_IND_SLOTS) * BF_SEGS)

_Static_assert(BF_SLOTS <= (1u << BF_SLOT_BITS), "slot index fits the id's low bits");

/* One asynchronous request (hvb_disk_aio_submit): split into ring requests of a slot each as
 * slots free up, finished when the last of them is answered. */
struct bf_aio {
	struct hvb_disk_aio *a; /* NULL: free */
	uint64_t ticket;	/* submission order: the oldest is put on the ring first */
	uint64_t queued;	/* bytes put on the ring so far */
	uint32_t parts;		/* its ring requests outstanding */
	int result;		/* the first error */
};

struct bf_slot {
	bool busy;
	uint8_t op;
	uint64_t seq;	    /* the id's high bits while busy */
	bool zc;	    /* its segments are the caller's pages (zero copy) */
	uint8_t *buf;	    /* read: where the data goes */
	uint32_t len;	    /* bytes */
	uint64_t sector;    /* for messages */
	uint32_t next_free; /* free list: index + 1, 0 = end */
	uint32_t aio;  /* part of asynchronous request bf->aio[aio - 1]; 0: a synchronous call's */
	uint64_t aoff; /* that request's bytes from here on are this slot's */
};

struct blkfront {
	char name[BF_NAME_MAX]; /* "blkfront xvda", for messages */
	struct xt *t;		/* NULL only in hvb_blkfront_fuzz_responses */
	uint32_t handle;	/* the virtual-device number */
	blkif_front_ring_t ring;
	uint8_t *data; /* BF_POOL pages, slot i's pages first at i * seg_per_slot */
	uint32_t data_refs[BF_POOL];
	uint32_t zc_first; /* pool pages [zc_first, BF_POOL) are bf_buffer's, no slot's */
	uint32_t zc_segs;  /* segments of a zero-copy request at most */
	struct bf_slot slot[BF_SLOTS];
	uint32_t nslots;       /* BF_SLOTS, or fewer with indirect requests or zero-copy buffers */
	uint32_t max_slots;    /* BF_SLOTS, or BF_IND_SLOTS with indirect requests */
	uint32_t seg_per_slot; /* BF_SEGS, or up to BF_IND_SEGS_MAX with indirect requests */
	bool indirect;	       /* requests over BF_SEGS pages are BLKIF_OP_INDIRECT */
	struct blkif_request_segment *ind; /* BF_IND_SLOTS indirect pages, one per slot */
	uint32_t ind_refs[BF_IND_SLOTS];
	uint32_t free_head; /* index + 1 */
	uint32_t outstanding;
	uint64_t seq;
	uint64_t sectors;
	uint32_t info;
	bool flush_cache, barrier;
	uint64_t max_indirect; /* the backend's feature-max-indirect-segments (0: none) */
	uint32_t timeout_ms;
	uint64_t spin_ns; /* look at the ring this long before sleeping (xt_cfg.spin_us) */
	int broken;	  /* 0, or the -errno every call now fails with */
	char *broken_msg;
	struct hvb_blkfront_stats stats;
	/* asynchronous requests: accepted and not finished; finished and not yet reaped (linked
	 * through hvb_disk_aio.next, which is ours until aio_reap returns the request) */
	struct bf_aio aio[BF_AIO_MAX];
	uint32_t aio_active;
	uint64_t aio_ticket;
	bool aio_err_logged; /* an asynchronous request's ERROR was logged (the first only) */
	/* slots [afirst, BF_SLOTS) for asynchronous parts, BF_SEGS pages of adata each (with
	 * indirect requests; adata NULL: the parts take the pool's slots) */
	uint8_t *adata;
	uint32_t arefs[BF_APOOL];
	uint32_t afirst, afree_head; /* afree_head: index + 1 */
	bool apool_tried;
	struct hvb_disk_aio *done_head, *done_tail;
	/* toolstack keys handed to xt_open: the strings live as long as the device */
	char vdev_str[16], phys_str[24], dev_str[16];
	const char *phys;
};

static const char *op_name(unsigned op)
{
	switch (op) {
	case BLKIF_OP_READ:
		return "READ";
	case BLKIF_OP_WRITE:
		return "WRITE";
	case BLKIF_OP_WRITE_BARRIER:
		return "WRITE_BARRIER";
	case BLKIF_OP_FLUSH_DISKCACHE:
		return "FLUSH_DISKCACHE";
	default:
		return "?";
	}
}

/* Parse VDEV: xvda..xvdz, or a number. */
static int parse_vdev(const char *s, uint32_t *vdev, char *dev, size_t devcap)
{
	if (strlen(s) == 4 && strncmp(s, "xvd", 3) == 0 && s[3] >= 'a' && s[3] <= 'z') {
		*vdev = BF_XVD_MAJOR << 8 | 16u * (uint32_t)(s[3] - 'a');
		snprintf(dev, devcap, "%s", s);
		return 0;
	}
	uint64_t v = 0;
	if (hvb_config_u64(s, 0, UINT32_MAX, &v))
		return -EINVAL;
	*vdev = (uint32_t)v;
	if (v >> 8 == BF_XVD_MAJOR && (v & 15) == 0 && (v & 0xff) / 16 < 26)
		snprintf(dev, devcap, "xvd%c", (char)('a' + (v & 0xff) / 16));
	else
		dev[0] = '\0';
	return 0;
}

/* Disconnect on a protocol violation: this call and every later one fail with -EIO. */
static int bf_break(struct blkfront *bf, char **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bf_break(struct blkfront *bf, char **err, const char *fmt, ...)
{
	char msg[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!bf->broken) {
		bf->broken = -EIO;
		free(bf->broken_msg);
		bf->broken_msg = strdup(msg);
		if (bf->t)
			hvb_log("%s: disconnected: %s", bf->name, msg);
		/* tell the backend; it may be gone already, and nothing more is needed here */
		char *e2 = NULL;
		if (bf->t)
			xt_set_state(bf->t, XT_CLOSING, &e2);
		free(e2);
	}
	return xdrv_err(err, -EIO, "%s: %s", bf->name, msg);
}

static int bf_check_broken(struct blkfront *bf, char **err)
{
	if (!bf->broken)
		return 0;
	return xdrv_err(err, bf->broken, "%s: disconnected: %s", bf->name,
			bf->broken_msg ? bf->broken_msg : "(no message)");
}

static int bf_push(struct blkfront *bf, char **err)
{
	int notify = 0;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&bf->ring, notify);
	if (!notify)
		return 0;
	bf->stats.notify_sent++;
	int rc = xt_notify(bf->t);
	return rc ? bf_break(bf, err, "event channel: notify: %s", strerror(-rc)) : 0;
}

/* Slots of `segs` pool pages each, all free: as many as the pages below zc_first hold, at most
 * `max` (nothing may be outstanding). */
static void bf_slots_init(struct blkfront *bf, uint32_t max, uint32_t segs)
{
	uint32_t n = bf->zc_first / segs < max ? bf->zc_first / segs : max;
	bf->max_slots = max;
	bf->nslots = n;
	bf->seg_per_slot = segs;
	for (uint32_t i = 0; i < n; i++)
		bf->slot[i].next_free = i + 2 <= n ? i + 2 : 0;
	bf->free_head = 1;
}

/* Does [buf, buf + len) start on a page of bf_buffer's ranges and lie inside them? */
static bool bf_zero_copy(const struct blkfront *bf, const uint8_t *buf, uint64_t len)
{
	if (bf->zc_first >= BF_POOL || !buf)
		return false;
	uintptr_t lo = (uintptr_t)(bf->data + (size_t)bf->zc_first * XT_PAGE);
	uintptr_t hi = (uintptr_t)(bf->data + (size_t)BF_POOL * XT_PAGE);
	uintptr_t b = (uintptr_t)buf;
	return b >= lo && b < hi && len <= hi - b && (b - lo) % XT_PAGE == 0;
}

/* Is slot s one of the asynchronous parts' own (adata)? */
static bool bf_aslot(const struct blkfront *bf, uint32_t s)
{
	return bf->adata && s >= bf->afirst && s < BF_SLOTS;
}

/* Slot s's own pages, and their grant references. */
static uint8_t *bf_slot_pages(const struct blkfront *bf, uint32_t s)
{
	if (bf_aslot(bf, s))
		return bf->adata + (size_t)(s - bf->afirst) * BF_SEGS * XT_PAGE;
	return bf->data + (size_t)s * bf->seg_per_slot * XT_PAGE;
}

static const uint32_t *bf_slot_refs(const struct blkfront *bf, uint32_t s)
{
	if (bf_aslot(bf, s))
		return bf->arefs + (size_t)(s - bf->afirst) * BF_SEGS;
	return bf->data_refs + (size_t)s * bf->seg_per_slot;
}

/*
 * Queue one request on a free slot of the list at *head (the caller checked there is one):
 * the slot. zc: buf is pool pages of bf_buffer's (bf_zero_copy), and the segments name them;
 * else the data goes through the slot's own pages.
 */
static uint32_t bf_queue_on(struct blkfront *bf, uint32_t *head, uint8_t op, uint64_t off,
			    uint8_t *buf, uint32_t len, bool zc)
{
	uint32_t s = *head - 1;
	struct bf_slot *sl = &bf->slot[s];
	*head = sl->next_free;
	sl->busy = true;
	sl->op = op;
	sl->zc = zc;
	sl->seq = ++bf->seq;
	sl->buf = buf;
	sl->len = len;
	sl->sector = off / BF_SECT;
	sl->aio = 0;
	sl->aoff = 0;
	bf->outstanding++;
	if (bf->outstanding > bf->stats.max_in_flight)
		bf->stats.max_in_flight = bf->outstanding;

	blkif_request_t req;
	memset(&req, 0, sizeof req);
	req.operation = op;
	req.handle = (blkif_vdev_t)bf->handle; /* as Linux's blkfront: the vdev, truncated */
	req.id = sl->seq << BF_SLOT_BITS | s;
	req.sector_number = off / BF_SECT;
	uint32_t pages = (len + XT_PAGE - 1) / XT_PAGE;
	/* the pages of the data: the caller's pool pages (zero copy), or the slot's */
	const uint32_t *refs = bf_slot_refs(bf, s);
	if (zc) {
		refs = bf->data_refs + ((uintptr_t)buf - (uintptr_t)bf->data) / XT_PAGE;
		bf->stats.zero_copy_bytes += len;
	} else {
		bf->stats.copied_bytes += len;
		if (op == BLKIF_OP_WRITE && buf) /* NULL: an asynchronous part, copied already */
			memcpy(bf_slot_pages(bf, s), buf, len);
	}
	/* the segments: in the request, or in the slot's indirect page (shared, written by us) */
	struct blkif_request_segment *seg =
		pages > BF_SEGS ? bf->ind + (size_t)s * (XT_PAGE / sizeof *seg) : req.seg;
	for (uint32_t i = 0; i < pages; i++) {
		uint32_t bytes = len - i * XT_PAGE < XT_PAGE ? len - i * XT_PAGE : XT_PAGE;
		seg[i] = (struct blkif_request_segment){
			.gref = refs[i],
			.first_sect = 0,
			.last_sect = (uint8_t)(bytes / BF_SECT - 1),
		};
	}
	if (pages > BF_SEGS) {
		blkif_request_indirect_t ind;
		memset(&ind, 0, sizeof ind);
		ind.operation = BLKIF_OP_INDIRECT;
		ind.indirect_op = op;
		ind.nr_segments = (uint16_t)pages;
		ind.id = req.id;
		ind.sector_number = req.sector_number;
		ind.handle = req.handle;
		ind.indirect_grefs[0] = bf->ind_refs[s];
		_Static_assert(sizeof ind <= sizeof req, "an indirect request fits a ring entry");
		memset(&req, 0, sizeof req);
		memcpy(&req, &ind, sizeof ind);
		bf->stats.indirect++;
	} else {
		req.nr_segments = (uint8_t)pages;
	}
	*RING_GET_REQUEST(&bf->ring, bf->ring.req_prod_pvt) = req;
	bf->ring.req_prod_pvt++;
	bf->stats.requests++;
	return s;
}

static void bf_queue(struct blkfront *bf, uint8_t op, uint64_t off, uint8_t *buf, uint32_t len,
		     bool zc)
{
	bf_queue_on(bf, &bf->free_head, op, off, buf, len, zc);
}

/* Copy between the data of asynchronous request `a`, from its byte `off` on, and buf (len
 * bytes): into its iovecs (to_iov, a read's data) or out of them. */
static void bf_iov_copy(const struct hvb_disk_aio *a, uint64_t off, uint8_t *buf, uint64_t len,
			bool to_iov)
{
	for (uint32_t i = 0; i < a->n && len; i++) {
		uint64_t l = a->iov[i].iov_len;
		if (off >= l) {
			off -= l;
			continue;
		}
		uint64_t k = l - off < len ? l - off : len;
		uint8_t *p = (uint8_t *)a->iov[i].iov_base + off;
		if (to_iov)
			memcpy(p, buf, k);
		else
			memcpy(buf, p, k);
		buf += k;
		len -= k;
		off = 0;
	}
}

/* An asynchronous request whose parts are all answered (or, `fail`, that never will be: the
 * device is disconnected) goes to the finished list, for aio_reap. */
static void bf_aio_finish(struct blkfront *bf, struct bf_aio *ba, bool fail)
{
	struct hvb_disk_aio *a = ba->a;
	if (!a || (!fail && (ba->parts || ba->queued < a->len)))
		return;
	if (fail) {
		/* its parts on the ring are never answered now: their slots stay busy for good
		 * (the backend may still write them) and name no request */
		for (uint32_t s = 0; s < BF_SLOTS; s++)
			if (bf->slot[s].busy && bf->slot[s].aio == (uint32_t)(ba - bf->aio) + 1)
				bf->slot[s].aio = 0;
		if (ba->result == 0)
			ba->result = bf->broken ? bf->broken : -EIO;
	}
	a->result = ba->result;
	a->done = true;
	a->next = NULL;
	if (bf->done_tail)
		bf->done_tail->next = a;
	else
		bf->done_head = a;
	bf->done_tail = a;
	ba->a = NULL;
	bf->aio_active--;
}

/*
 * Take the responses that are there: the number taken, or -EIO when the backend broke the
 * protocol (the device is then disconnected). The first ERROR/EOPNOTSUPP goes to *io_rc and
 * *err; later ones are only counted.
 */
static int bf_reap(struct blkfront *bf, int *io_rc, char **err)
{
	RING_IDX cons = bf->ring.rsp_cons;
	RING_IDX prod = __atomic_load_n(&bf->ring.sring->rsp_prod, __ATOMIC_ACQUIRE);
	RING_IDX outstanding = bf->ring.req_prod_pvt - cons;
	if ((RING_IDX)(prod - cons) > outstanding)
		return bf_break(bf, err,
				"rsp_prod %u: %u new responses, but %u requests are outstanding",
				prod, prod - cons, outstanding);
	int taken = 0;
	for (; cons != prod; cons++) {
		blkif_response_t rsp;
		RING_COPY_RESPONSE(&bf->ring, cons, &rsp);
		uint32_t s = (uint32_t)(rsp.id & ((1u << BF_SLOT_BITS) - 1));
		uint64_t seq = rsp.id >> BF_SLOT_BITS;
		if ((s >= bf->nslots && !bf_aslot(bf, s)) || !bf->slot[s].busy ||
		    bf->slot[s].seq != seq)
			return bf_break(bf, err, "response id 0x%llx: not an outstanding request",
					(unsigned long long)rsp.id);
		struct bf_slot *sl = &bf->slot[s];
		if (rsp.operation != sl->op)
			return bf_break(bf, err,
					"response id 0x%llx: operation %u, but the request was %s "
					"(%u)",
					(unsigned long long)rsp.id, rsp.operation, op_name(sl->op),
					sl->op);
		if (rsp.status != BLKIF_RSP_OKAY && rsp.status != BLKIF_RSP_ERROR &&
		    rsp.status != BLKIF_RSP_EOPNOTSUPP)
			return bf_break(
				bf, err,
				"response id 0x%llx: status %d: not OKAY (0), ERROR (-1) or "
				"EOPNOTSUPP (-2)",
				(unsigned long long)rsp.id, rsp.status);
		struct bf_aio *ba = sl->aio ? &bf->aio[sl->aio - 1] : NULL;
		if (rsp.status == BLKIF_RSP_OKAY) {
			uint8_t *pages = bf_slot_pages(bf, s);
			if (ba && sl->op == BLKIF_OP_READ)
				bf_iov_copy(ba->a, sl->aoff, pages, sl->len, true);
			else if (sl->op == BLKIF_OP_READ && !sl->zc)
				memcpy(sl->buf, pages, sl->len);
		} else if (ba) {
			bf->stats.errors++;
			if (ba->result == 0)
				ba->result = -EIO;
			if (!bf->aio_err_logged) {
				bf->aio_err_logged = true; /* later ones: stats.errors */
				hvb_log("%s: %s of sectors %llu+%u: the backend answered "
					"%s (logged once)",
					bf->name, op_name(sl->op), (unsigned long long)sl->sector,
					sl->len / BF_SECT,
					rsp.status == BLKIF_RSP_EOPNOTSUPP ? "EOPNOTSUPP"
									   : "ERROR");
			}
		} else {
			bf->stats.errors++;
			if (*io_rc == 0) {
				bool unsup = rsp.status == BLKIF_RSP_EOPNOTSUPP;
				*io_rc =
					unsup && sl->op != BLKIF_OP_READ && sl->op != BLKIF_OP_WRITE
						? -EOPNOTSUPP
						: -EIO;
				xdrv_err(err, 0,
					 "%s: %s of sectors %llu+%u: the backend answered %s",
					 bf->name, op_name(sl->op), (unsigned long long)sl->sector,
					 sl->len / BF_SECT, unsup ? "EOPNOTSUPP" : "ERROR");
			}
		}
		sl->busy = false;
		sl->aio = 0;
		uint32_t *head = bf_aslot(bf, s) ? &bf->afree_head : &bf->free_head;
		sl->next_free = *head;
		*head = s + 1;
		bf->outstanding--;
		bf->stats.responses++;
		if (ba) {
			ba->parts--;
			bf_aio_finish(bf, ba, false);
		}
		bf->ring.rsp_cons = cons + 1; /* consumed, even if a later one breaks the device */
		taken++;
	}
	return taken;
}

/* The control channel: keys or state changed, or the backend went away. */
static int bf_ctl(struct blkfront *bf, char **err)
{
	char *e2 = NULL;
	int rc = xt_ctl_process(bf->t, &e2);
	if (rc == -ENOTCONN) {
		free(e2);
		return bf_break(bf, err, "the backend closed the connection");
	}
	if (rc) {
		int r = bf_break(bf, err, "control channel: %s", e2 ? e2 : strerror(-rc));
		free(e2);
		return r;
	}
	int st = xt_peer_state(bf->t);
	if (st == XT_CLOSING || st == XT_CLOSED || st < 0)
		return bf_break(bf, err, "backend state %s",
				st < 0 ? "invalid" : xt_state_name(st));
	return 0;
}

/*
 * Wait until responses may be there. Asks for an event once `want` more responses are in
 * (rsp_event), then looks again before sleeping, as RING_FINAL_CHECK_FOR_RESPONSES does.
 */
static int bf_wait(struct blkfront *bf, RING_IDX want, char **err)
{
	if (want == 0 || want > bf->outstanding)
		want = bf->outstanding;
	/* a backend that is still awake answers within microseconds: watch the ring that long
	 * before asking for an event and sleeping (a system call and a wake-up each way) */
	if (xt_spin_for(&bf->ring.sring->rsp_prod, bf->ring.rsp_cons, bf->spin_ns)) {
		bf->stats.spin_hits++;
		return 0;
	}
	__atomic_store_n(&bf->ring.sring->rsp_event, bf->ring.rsp_cons + want, __ATOMIC_RELAXED);
	xen_mb();
	if (__atomic_load_n(&bf->ring.sring->rsp_prod, __ATOMIC_RELAXED) != bf->ring.rsp_cons)
		return 0;
	uint64_t start = xdrv_now_ns();
	for (;;) {
		struct pollfd p[2] = {{.fd = xt_event_fd(bf->t), .events = POLLIN},
				      {.fd = xt_ctl_fd(bf->t), .events = POLLIN}};
		uint64_t waited = (xdrv_now_ns() - start) / 1000000u;
		if (waited >= bf->timeout_ms)
			return bf_break(bf, err, "no response to %u outstanding requests in %u ms",
					bf->outstanding, bf->timeout_ms);
		uint64_t left = bf->timeout_ms - waited;
		int r = poll(p, 2, left < BF_POLL_SLICE ? (int)left : BF_POLL_SLICE);
		if (r < 0 && errno != EINTR)
			return bf_break(bf, err, "poll: %s", strerror(errno));
		bf->stats.waits++;
		if (r > 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			int rc = bf_ctl(bf, err);
			if (rc)
				return rc;
		}
		if (r > 0 && (p[0].revents & POLLIN)) {
			int a = xt_event_ack(bf->t);
			if (a < 0)
				return bf_break(bf, err, "event channel: %s", strerror(-a));
			bf->stats.events += (uint64_t)a;
		}
		if (__atomic_load_n(&bf->ring.sring->rsp_prod, __ATOMIC_RELAXED) !=
		    bf->ring.rsp_cons)
			return 0;
	}
}

static void bf_aio_drain(struct blkfront *bf);

/* One call of the disk layer: op on [off, off + len) with buf, or a flush (len 0). */
static int bf_io(struct blkfront *bf, uint8_t op, uint64_t off, uint8_t *buf, uint64_t len,
		 char **err)
{
	bf_aio_drain(bf); /* a synchronous call is a barrier: nothing asynchronous passes it */
	int rc = bf_check_broken(bf, err);
	if (rc)
		return rc;
	bf->stats.calls++;
	uint64_t queued = 0;
	bool flush = op == BLKIF_OP_FLUSH_DISKCACHE || op == BLKIF_OP_WRITE_BARRIER;
	bool more = true; /* requests of this call still to queue */
	bool zc = !flush && bf_zero_copy(bf, buf, len);
	uint64_t max = (uint64_t)(zc ? bf->zc_segs : bf->seg_per_slot) * XT_PAGE;
	int io_rc = 0;
	while (more || bf->outstanding) {
		bool pushed = false;
		while (more && io_rc == 0 && bf->free_head) {
			if (flush) {
				bf_queue(bf, op, 0, NULL, 0, false);
				more = false;
			} else {
				uint64_t n = len - queued < max ? len - queued : max;
				bf_queue(bf, op, off + queued, buf + queued, (uint32_t)n, zc);
				queued += n;
				more = queued < len;
			}
			pushed = true;
		}
		if (io_rc)
			more = false; /* an error: finish what is in flight, queue no more */
		if (pushed) {
			rc = bf_push(bf, err);
			if (rc)
				return rc;
		}
		int n = bf_reap(bf, &io_rc, err);
		if (n < 0)
			return n;
		if (n == 0 && bf->outstanding) {
			/* batching: while more is to be queued, wake when half the window is free
			 */
			RING_IDX want = more ? (bf->outstanding + 1) / 2 : bf->outstanding;
			rc = bf_wait(bf, want, err);
			if (rc)
				return rc;
		}
	}
	return io_rc;
}

/* ---- asynchronous requests (hvb_disk_aio_submit) ---------------------------------------------
 *
 * The disk layer's asynchronous requests (the SCSI model's READ/WRITEs in flight, their data in
 * the driver's DMA buffers) are split into ring requests of one slot each, put on the ring as
 * slots are free (the oldest request first), and pushed with one notification at most per
 * kick. Each part goes through its slot's own pages (a copy each way, as the synchronous copy
 * path): the slots are the per-request stage buffers. Without indirect requests those are the
 * pool's 32 slots; with them the pool has 8, and the ring's other 24 entries get slots of
 * their own (BF_SEGS pages each, BF_APOOL pages shared at the first asynchronous request:
 * 625 granted in all, under gntalloc's default 1,024 per process): 24 parts of up to 44 KiB
 * in flight, and beside them up to 8 of up to 176 KiB in the pool's slots (bf_aio_fill). The
 * responses are taken without a system call when the model polls (aio_reap), or waited for on the
 * event channel as a synchronous call does (aio_reap with wait, a barrier of the model). A failed
 * part (ERROR, EOPNOTSUPP) fails its request with -EIO; a disconnect fails every request not
 * finished. A synchronous call first finishes every asynchronous request.
 */

/* With indirect requests (8 slots): the slots of the ring's other entries, with pages of their
 * own, shared at the first asynchronous request; if that fails, the parts take the pool's. */
static void bf_apool(struct blkfront *bf)
{
	bf->apool_tried = true;
	if (bf->max_slots >= BF_SLOTS || !bf->t)
		return;
	char *err = NULL;
	bf->adata = xt_share(bf->t, BF_APOOL, bf->arefs, &err);
	if (!bf->adata) {
		hvb_log("%s: %s: asynchronous requests share the pool's %u slots", bf->name,
			err ? err : "no pages for their own slots", bf->max_slots);
		free(err);
		return;
	}
	bf->afirst = bf->max_slots;
	for (uint32_t i = bf->afirst; i < BF_SLOTS; i++)
		bf->slot[i].next_free = i + 2 <= BF_SLOTS ? i + 2 : 0;
	bf->afree_head = bf->afirst + 1;
}

/* Put parts of the accepted requests on the free slots, oldest first, and push them. With
 * slots of their own (adata), a part of more than their 44 KiB takes one of the pool's larger
 * slots if one is free (an indirect request: the pool is idle while requests are in flight, a
 * synchronous call first finishing them), anything else one of their own, then the pool's. */
static int bf_aio_fill(struct blkfront *bf, char **err)
{
	bool pushed = false;
	if (!bf->apool_tried)
		bf_apool(bf);
	while ((bf->free_head || (bf->adata && bf->afree_head)) && bf->aio_active && !bf->broken) {
		struct bf_aio *ba = NULL;
		for (uint32_t i = 0; i < BF_AIO_MAX; i++) {
			struct bf_aio *x = &bf->aio[i];
			if (x->a && x->queued < x->a->len && (!ba || x->ticket < ba->ticket))
				ba = x;
		}
		if (!ba)
			break;
		struct hvb_disk_aio *a = ba->a;
		uint64_t left = a->len - ba->queued;
		bool own = bf->adata && bf->afree_head &&
			   (left <= (uint64_t)BF_SEGS * XT_PAGE || !bf->free_head);
		uint32_t *head = own ? &bf->afree_head : &bf->free_head;
		uint64_t max = (uint64_t)(own ? BF_SEGS : bf->seg_per_slot) * XT_PAGE;
		uint32_t n = (uint32_t)(left < max ? left : max);
		uint32_t s = *head - 1;
		uint8_t op = a->write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
		if (a->write) /* into the slot's own pages, where bf_queue would copy a buffer */
			bf_iov_copy(a, ba->queued, bf_slot_pages(bf, s), n, false);
		bf_queue_on(bf, head, op, a->off + ba->queued, NULL, n, false);
		bf->slot[s].aio = (uint32_t)(ba - bf->aio) + 1;
		bf->slot[s].aoff = ba->queued;
		ba->queued += n;
		ba->parts++;
		pushed = true;
	}
	return pushed ? bf_push(bf, err) : 0;
}

/* After a disconnect: every request not finished fails. */
static void bf_aio_fail_all(struct blkfront *bf)
{
	for (uint32_t i = 0; i < BF_AIO_MAX && bf->aio_active; i++)
		bf_aio_finish(bf, &bf->aio[i], true);
}

static struct hvb_disk_aio *bf_aio_pop(struct blkfront *bf)
{
	struct hvb_disk_aio *a = bf->done_head;
	if (a) {
		bf->done_head = a->next;
		if (!bf->done_head)
			bf->done_tail = NULL;
		a->next = NULL;
	}
	return a;
}

/* One pass: fill the ring, take the responses there; wait: then sleep until one is in, as long
 * as an unfinished request has none. Finished requests are on the done list. */
static void bf_aio_step(struct blkfront *bf, bool wait)
{
	char *err = NULL;
	for (;;) {
		int io_rc = 0;
		if (bf_aio_fill(bf, &err) == 0 && bf_reap(bf, &io_rc, &err) >= 0 && wait &&
		    !bf->done_head && bf->aio_active && bf->outstanding)
			if (bf_wait(bf, 1, &err) == 0)
				continue;
		break;
	}
	free(err);
	if (bf->broken)
		bf_aio_fail_all(bf);
}

static int bf_aio_submit(void *priv, struct hvb_disk_aio *a)
{
	struct blkfront *bf = priv;
	/* disconnected: the synchronous call says why; all slots taken by accepted requests:
	 * the caller waits and goes on synchronously */
	if (bf->broken || bf->aio_active >= BF_AIO_MAX)
		return -EOPNOTSUPP;
	struct bf_aio *ba = NULL;
	for (uint32_t i = 0; i < BF_AIO_MAX && !ba; i++)
		if (!bf->aio[i].a)
			ba = &bf->aio[i];
	*ba = (struct bf_aio){.a = a, .ticket = ++bf->aio_ticket};
	bf->aio_active++;
	bf->stats.aio++;
	return 0;
}

static void bf_aio_kick(void *priv)
{
	struct blkfront *bf = priv;
	char *err = NULL;
	if (bf_aio_fill(bf, &err))
		bf_aio_fail_all(bf);
	free(err);
}

static struct hvb_disk_aio *bf_aio_reap(void *priv, bool wait)
{
	struct blkfront *bf = priv;
	if (!bf->done_head && bf->aio_active)
		bf_aio_step(bf, wait);
	return bf_aio_pop(bf);
}

/* Before a synchronous call: every asynchronous request finished (kept for aio_reap). */
static void bf_aio_drain(struct blkfront *bf)
{
	while (bf->aio_active) {
		struct hvb_disk_aio *keep = bf->done_head, *keep_tail = bf->done_tail;
		bf->done_head = bf->done_tail = NULL;
		bf_aio_step(bf, true);
		/* put the earlier finished ones back in front */
		if (keep) {
			keep_tail->next = bf->done_head;
			if (!bf->done_head)
				bf->done_tail = keep_tail;
			bf->done_head = keep;
		}
	}
}

static int bf_read(void *priv, uint64_t off, void *buf, uint64_t len, char **err)
{
	return bf_io(priv, BLKIF_OP_READ, off, buf, len, err);
}

static int bf_write(void *priv, uint64_t off, const void *buf, uint64_t len, char **err)
{
	/* the buffer is only read from: bf_queue copies it into the granted pages, or (zero
	 * copy) the backend reads it where it is */
	return bf_io(priv, BLKIF_OP_WRITE, off, (uint8_t *)(uintptr_t)buf, len, err);
}

static int bf_flush(void *priv, char **err)
{
	struct blkfront *bf = priv;
	if (bf->flush_cache)
		return bf_io(bf, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0, err);
	if (bf->barrier)
		return bf_io(bf, BLKIF_OP_WRITE_BARRIER, 0, NULL, 0, err);
	/* no volatile cache advertised: completed writes are durable (see the header) */
	return bf_check_broken(bf, err);
}

/*
 * hvb_disk_buffer: `len` bytes (rounded up to pages) from the end of the pool's free part, if
 * the copy path keeps BF_ZC_KEEP pages; its slots are laid out again over what is left (the
 * disk layer is synchronous: nothing is in flight between calls).
 */
static void *bf_buffer(void *priv, uint64_t len)
{
	struct blkfront *bf = priv;
	if (bf->broken || bf->outstanding || bf->aio_active || len == 0 ||
	    len > (uint64_t)BF_POOL * XT_PAGE)
		return NULL;
	uint32_t pages = (uint32_t)((len + XT_PAGE - 1) / XT_PAGE);
	if (bf->zc_first < BF_ZC_KEEP + pages)
		return NULL;
	bf->zc_first -= pages;
	bf_slots_init(bf, bf->max_slots, bf->seg_per_slot);
	return bf->data + (size_t)bf->zc_first * XT_PAGE;
}

static void bf_free(struct blkfront *bf)
{
	if (!bf)
		return;
	xt_close(bf->t); /* unshares the ring and the pool */
	free(bf->broken_msg);
	free(bf);
}

static void bf_close(void *priv)
{
	struct blkfront *bf = priv;
	if (bf && bf->t && bf->stats.requests) {
		struct xt_stats xs;
		xt_get_stats(bf->t, &xs);
		hvb_log("%s: %" PRIu64 " calls, %" PRIu64 " requests (%" PRIu64
			" indirect, at most %" PRIu64 " in flight), %" PRIu64
			" errors; bytes zero-copy %" PRIu64 ", copied %" PRIu64
			"; notifications sent %" PRIu64 ", events taken %" PRIu64
			", %.1f notifications per 1000 requests",
			bf->name, bf->stats.calls, bf->stats.requests, bf->stats.indirect,
			bf->stats.max_in_flight, bf->stats.errors, bf->stats.zero_copy_bytes,
			bf->stats.copied_bytes, xs.notify_sent, xs.events_taken,
			1000.0 * (double)xs.notify_sent / (double)bf->stats.requests);
	}
	bf_free(bf);
}

/* Parse the spec and fill the transport configuration. */
static int bf_config(struct blkfront *bf, const char *arg, bool read_only, struct xt_cfg *cfg,
		     char **err)
{
	char vdev[24];
	const char *colon = strchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
	if (n == 0 || n >= sizeof vdev)
		return xdrv_err(err, -EINVAL,
				"blkfront '%s': expected VDEV[:PHYS], VDEV xvda..xvdz or a number",
				arg);
	memcpy(vdev, arg, n);
	vdev[n] = '\0';
	uint32_t handle = 0;
	if (parse_vdev(vdev, &handle, bf->dev_str, sizeof bf->dev_str))
		return xdrv_err(err, -EINVAL,
				"blkfront '%s': VDEV '%s': expected xvda..xvdz or a number", arg,
				vdev);
	snprintf(bf->name, sizeof bf->name, "blkfront %s", vdev);
	snprintf(bf->vdev_str, sizeof bf->vdev_str, "%u", handle);
	bf->handle = handle;
	bf->phys = colon ? colon + 1 : NULL;

	xt_default_get(cfg);
	cfg->type = "vbd";
	cfg->handle = handle;
	cfg->name = bf->name;
	bf->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 30000;
	bf->spin_ns = (uint64_t)cfg->spin_us * 1000u;
	bool tool = cfg->transport && strcmp(cfg->transport, "xen") == 0 && cfg->toolstack;
	if (bf->phys && !tool)
		return xdrv_err(err, -EINVAL,
				"%s: PHYS '%s' is for the xen transport in toolstack mode (this is "
				"%s%s)",
				bf->name, bf->phys, cfg->transport ? cfg->transport : "?",
				cfg->toolstack ? "" : ", toolstack=0");
	if (!tool)
		return 0;
	if (!bf->phys || !*bf->phys)
		return xdrv_err(
			err, -EINVAL,
			"%s: the xen transport in toolstack mode needs the dom0 block device "
			"(blkfront:%s:/dev/loop0)",
			bf->name, vdev);
	struct stat st;
	if (stat(bf->phys, &st) != 0)
		return xdrv_err(err, -errno, "%s: PHYS '%s': %s", bf->name, bf->phys,
				strerror(errno));
	if (!S_ISBLK(st.st_mode))
		return xdrv_err(err, -EINVAL, "%s: PHYS '%s': not a block device", bf->name,
				bf->phys);
	/* as the hotplug script (block) writes it: hex major:minor */
	snprintf(bf->phys_str, sizeof bf->phys_str, "%x:%x", major(st.st_rdev), minor(st.st_rdev));
	struct xt_kv *k = cfg->tool_keys;
	*k++ = (struct xt_kv){"params", bf->phys};
	*k++ = (struct xt_kv){"mode", read_only ? "r" : "w"};
	*k++ = (struct xt_kv){"type", "phy"};
	*k++ = (struct xt_kv){"device-type", "disk"};
	*k++ = (struct xt_kv){"online", "1"};
	if (bf->dev_str[0])
		*k++ = (struct xt_kv){"dev", bf->dev_str};
	cfg->tool_keys_initwait[0] = (struct xt_kv){"physical-device", bf->phys_str};
	return 0;
}

/* The backend's keys once it is Connected. */
static int bf_read_backend(struct blkfront *bf, char **err)
{
	uint64_t v = 0;
	int rc = xt_read_u64(bf->t, "sectors", 1, UINT64_MAX / BF_SECT, 0, &bf->sectors, err);
	if (rc == 0)
		rc = xt_read_u64(bf->t, "sector-size", 0, UINT32_MAX, 0, &v, err);
	if (rc == 0 && v != BF_SECT)
		rc = xdrv_err(err, -EINVAL,
			      "%s: backend key sector-size: %llu, but only 512 is supported (we do "
			      "not advertise feature-large-sector-size)",
			      bf->name, (unsigned long long)v);
	if (rc == 0)
		rc = xt_read_u64(bf->t, "info", 0, UINT32_MAX, 0, &v, err);
	bf->info = (uint32_t)v;
	if (rc == -ENOENT)
		return xdrv_err(
			err, -EINVAL,
			"%s: the backend is Connected without sectors, sector-size and info",
			bf->name);
	if (rc)
		return rc;
	/* optional keys: absent means the default, a malformed one is still an error */
	rc = xt_read_u64(bf->t, "feature-flush-cache", 0, 1, 0, &v, err);
	if (rc && rc != -ENOENT)
		return rc;
	bf->flush_cache = v == 1;
	rc = xt_read_u64(bf->t, "feature-barrier", 0, 1, 0, &v, err);
	if (rc && rc != -ENOENT)
		return rc;
	bf->barrier = v == 1;
	rc = xt_read_u64(bf->t, "feature-max-indirect-segments", 0, UINT32_MAX, 0,
			 &bf->max_indirect, err);
	if (rc && rc != -ENOENT)
		return rc;
	rc = xt_read_u64(bf->t, "physical-sector-size", BF_SECT, 1u << 20, BF_SECT, &v, err);
	if (rc && rc != -ENOENT)
		return rc;
	if (v % BF_SECT)
		return xdrv_err(err, -EINVAL,
				"%s: backend key physical-sector-size: %llu is not a multiple of "
				"sector-size 512",
				bf->name, (unsigned long long)v);
	return 0;
}

static int bf_open(const char *arg, bool read_only, void **priv, uint64_t *size, char **err)
{
	struct blkfront *bf = calloc(1, sizeof *bf);
	if (!bf)
		return xdrv_err(err, -ENOMEM, "blkfront: out of memory");
	struct xt_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	int rc = bf_config(bf, arg, read_only, &cfg, err);
	if (rc)
		goto out_free;
	rc = xt_open(&cfg, &bf->t, err);
	if (rc)
		goto out_free;
	if (cfg.toolstack) {
		/* the toolstack's keys of the frontend directory */
		rc = xt_write(bf->t, "virtual-device", "%s", bf->vdev_str);
		if (rc == 0)
			rc = xt_write(bf->t, "device-type", "disk");
		if (rc) {
			rc = xdrv_err(err, rc, "%s: writing the frontend keys: %s", bf->name,
				      strerror(-rc));
			goto out_free;
		}
	}
	rc = xt_wait_peer_state(bf->t, XT_INITWAIT, err);
	if (rc)
		goto out_free;

	uint32_t ring_ref = 0;
	blkif_sring_t *sring = xt_share(bf->t, 1, &ring_ref, err);
	if (!sring) {
		rc = -ENOMEM;
		goto out_free;
	}
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&bf->ring, sring, XT_PAGE);
	bf->data = xt_share(bf->t, BF_POOL, bf->data_refs, err);
	if (!bf->data) {
		rc = -ENOMEM;
		goto out_free;
	}
	bf->zc_first = BF_POOL;
	bf->zc_segs = BF_SEGS;
	bf_slots_init(bf, BF_SLOTS, BF_SEGS);

	rc = xt_write(bf->t, "ring-ref", "%u", ring_ref);
	if (rc == 0)
		rc = xt_write(bf->t, "event-channel", "%u", xt_evtchn_port(bf->t));
	if (rc == 0)
		rc = xt_write(bf->t, "protocol", "%s", XEN_IO_PROTO_ABI_NATIVE);
	/* the pool's grants are never revoked while connected: a backend may keep them mapped */
	if (rc == 0)
		rc = xt_write(bf->t, "feature-persistent", "1");
	if (rc) {
		rc = xdrv_err(err, rc, "%s: writing ring-ref, event-channel, protocol: %s",
			      bf->name, strerror(-rc));
		goto out_free;
	}
	rc = xt_set_state(bf->t, XT_INITIALISED, err);
	if (rc == 0)
		rc = xt_wait_peer_state(bf->t, XT_CONNECTED, err);
	if (rc == 0)
		rc = bf_read_backend(bf, err);
	if (rc)
		goto out_free;
	if ((bf->info & VDISK_READONLY) && !read_only) {
		rc = xdrv_err(err, -EROFS,
			      "%s: the backend serves the disk read-only (info 0x%x); open it "
			      "read-only (ro=1)",
			      bf->name, bf->info);
		goto out_free;
	}
	if (bf->max_indirect > BF_SEGS) {
		/* larger requests in fewer slots, over the same pool; the indirect pages are shared
		 * now that the backend said it takes them (as Linux's blkfront, after Connected) */
		uint32_t segs = bf->max_indirect < BF_IND_SEGS_MAX ? (uint32_t)bf->max_indirect
								   : BF_IND_SEGS_MAX;
		bf->ind = xt_share(bf->t, BF_IND_SLOTS, bf->ind_refs, err);
		if (!bf->ind) {
			rc = -ENOMEM;
			goto out_free;
		}
		bf_slots_init(bf, BF_IND_SLOTS, segs);
		bf->indirect = true;
		/* a zero-copy request needs no slot pages: as many as the backend takes */
		bf->zc_segs = bf->max_indirect < BF_ZC_SEGS_MAX ? (uint32_t)bf->max_indirect
								: (uint32_t)BF_ZC_SEGS_MAX;
	}
	rc = xt_set_state(bf->t, XT_CONNECTED, err);
	if (rc)
		goto out_free;
	*priv = bf;
	*size = bf->sectors * BF_SECT;
	return 0;

out_free:
	bf_free(bf);
	return rc;
}

int hvb_blkfront_stats_of(const void *priv, struct hvb_blkfront_stats *out)
{
	const struct blkfront *bf = priv;
	*out = bf->stats;
	struct xt_stats ts;
	xt_get_stats(bf->t, &ts);
	out->notify_sent = ts.notify_sent;
	out->events = ts.events_taken;
	return 0;
}

/*
 * The response handling alone, for tests/fuzz/fuzz_blkfront.c: a device with no transport
 * whose ring is this process's memory. The input is operations, each a first byte and its
 * arguments:
 *   00 b            queue a READ (b & 0x80: WRITE) of (b % 11 + 1) pages, if a slot is free;
 *                   b & 0x40: from a zero-copy buffer (bf_buffer's 64 pages)
 *   01 s st         the right response to slot s % 32 if it is busy, status st % 3 - 2
 *   02 id*8 op st*2 a raw response (id and status little-endian)
 *   03 d            publish the responses written, rsp_prod moved by (int8_t)d more, and take
 *                   them; stops at the first protocol violation (the device disconnected)
 * Checks the bookkeeping after each take (busy slots == outstanding, the free list holds the
 * rest); a mismatch (or no memory for the harness) returns -1, which the target turns into
 * a crash.
 */
int hvb_blkfront_fuzz_responses(const uint8_t *data, size_t len)
{
	static struct blkfront *bf;
	static void *sring;
	static uint8_t *buf;
	if (!bf) {
		bf = calloc(1, sizeof *bf);
		sring = aligned_alloc(XT_PAGE, XT_PAGE);
		buf = malloc(BF_REQ_MAX);
		if (bf)
			bf->data = calloc(BF_POOL, XT_PAGE);
		if (!bf || !sring || !buf || !bf->data) {
			free(bf);
			bf = NULL;
			return -1; /* out of memory: the harness, not an input */
		}
	}
	uint8_t *pool = bf->data;
	memset(bf, 0, sizeof *bf);
	bf->data = pool;
	snprintf(bf->name, sizeof bf->name, "blkfront fuzz");
	SHARED_RING_INIT((blkif_sring_t *)sring);
	FRONT_RING_INIT(&bf->ring, (blkif_sring_t *)sring, XT_PAGE);
	bf->zc_first = BF_POOL;
	bf->zc_segs = BF_SEGS;
	bf_slots_init(bf, BF_SLOTS, BF_SEGS);
	uint8_t *zcbuf = bf_buffer(bf, 64 * XT_PAGE);
	if (!zcbuf)
		return -1;
	RING_IDX prod = 0;
	int ret = 0;
	for (size_t i = 0; i < len && !bf->broken && ret == 0;) {
		uint8_t op = data[i++];
		if (op == 0 && i < len) {
			uint8_t b = data[i++];
			bool zc = b & 0x40;
			if (bf->free_head)
				bf_queue(bf, b & 0x80 ? BLKIF_OP_WRITE : BLKIF_OP_READ, 4096,
					 zc ? zcbuf : buf, (b % BF_SEGS + 1) * XT_PAGE, zc);
		} else if (op == 1 && i + 2 <= len) {
			struct bf_slot *sl = &bf->slot[data[i] % BF_SLOTS];
			if (sl->busy) {
				blkif_response_t *r = RING_GET_RESPONSE(&bf->ring, prod++);
				r->id = sl->seq << BF_SLOT_BITS | (data[i] % BF_SLOTS);
				r->operation = sl->op;
				r->status = (int16_t)(data[i + 1] % 3 - 2);
			}
			i += 2;
		} else if (op == 2 && i + 11 <= len) {
			blkif_response_t *r = RING_GET_RESPONSE(&bf->ring, prod++);
			uint64_t id = 0;
			for (int k = 7; k >= 0; k--)
				id = id << 8 | data[i + (size_t)k];
			r->id = id;
			r->operation = data[i + 8];
			r->status = (int16_t)(data[i + 9] | data[i + 10] << 8);
			i += 11;
		} else if (op == 3 && i < len) {
			RING_IDX p = prod + (RING_IDX)(int8_t)data[i++];
			__atomic_store_n(&bf->ring.sring->rsp_prod, p, __ATOMIC_RELEASE);
			int io_rc = 0;
			char *err = NULL;
			bf_reap(bf, &io_rc, &err);
			free(err);
			prod = bf->ring.rsp_cons > prod ? bf->ring.rsp_cons : prod;
			uint32_t busy = 0, nfree = 0;
			for (uint32_t s = 0; s < BF_SLOTS; s++)
				busy += bf->slot[s].busy;
			for (uint32_t f = bf->free_head; f && nfree <= BF_SLOTS;
			     f = bf->slot[f - 1].next_free)
				nfree++;
			if (busy != bf->outstanding || busy + nfree != bf->nslots ||
			    bf->ring.req_prod_pvt - bf->ring.rsp_cons != bf->outstanding)
				ret = -1;
		} else {
			break;
		}
	}
	free(bf->broken_msg);
	bf->broken_msg = NULL;
	return ret;
}

#else /* no Xen headers: the backend is listed and refuses */

static int bf_open(const char *arg, bool read_only, void **priv, uint64_t *size, char **err)
{
	(void)arg, (void)read_only, (void)priv, (void)size;
	return xdrv_err(err, -ENOTSUP, "blkfront: built without the Xen headers (libxen-dev)");
}
static void bf_close(void *priv)
{
	(void)priv;
}
static int bf_read(void *priv, uint64_t off, void *buf, uint64_t len, char **err)
{
	(void)priv, (void)off, (void)buf, (void)len;
	return xdrv_err(err, -ENOTSUP, "blkfront: not built");
}
static int bf_write(void *priv, uint64_t off, const void *buf, uint64_t len, char **err)
{
	(void)priv, (void)off, (void)buf, (void)len;
	return xdrv_err(err, -ENOTSUP, "blkfront: not built");
}
static int bf_flush(void *priv, char **err)
{
	(void)priv;
	return xdrv_err(err, -ENOTSUP, "blkfront: not built");
}
int hvb_blkfront_stats_of(const void *priv, struct hvb_blkfront_stats *out)
{
	(void)priv, (void)out;
	return -EINVAL;
}
int hvb_blkfront_fuzz_responses(const uint8_t *data, size_t len)
{
	(void)data, (void)len;
	return 0;
}
static void *bf_buffer(void *priv, uint64_t len)
{
	(void)priv, (void)len;
	return NULL;
}
#endif

const struct hvb_disk_ops hvb_blkfront_disk_ops = {
	.name = "blkfront",
	.description = "a Xen virtual block device: blkif to blkback or xdrv-backd "
		       "(blkfront:VDEV[:PHYS], VDEV xvda..xvdz)",
	.open = bf_open,
	.close = bf_close,
	.read = bf_read,
	.write = bf_write,
	.flush = bf_flush,
	.buffer = bf_buffer,
#ifdef XDRV_HAVE_XEN_HEADERS
	.aio_submit = bf_aio_submit,
	.aio_kick = bf_aio_kick,
	.aio_reap = bf_aio_reap,
#endif
};
