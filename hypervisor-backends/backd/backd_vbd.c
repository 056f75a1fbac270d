// SPDX-License-Identifier: MIT
/*
 * xdrv-backd's vbd handler: the backend half of blkif (xen/io/blkif.h) over the loop transport,
 * serving a disk opened with hvb_disk_open (file:, ram:, iscsi:). What Linux's xen-blkback does
 * for a frontend, in a process of its own:
 *
 *   start  writes sectors, sector-size (512), info, feature-flush-cache, feature-barrier,
 *          feature-persistent, feature-max-indirect-segments (64); goes
 *          to InitWait; waits for the frontend's Initialised; reads and checks ring-ref,
 *          event-channel and protocol (one ring page: we advertise no max-ring-page-order; the
 *          native ABI only); maps the ring; Connected.
 *   run    takes every request that is there, each copied once (RING_COPY_REQUEST) and checked;
 *          READ/WRITEs go to the disk's asynchronous I/O (hvb_disk_aio_submit: the file
 *          backend's io_uring, iovecs into the mapped grants), handed to the kernel in one
 *          submit per pass, and are answered as they complete, in any order (blkif orders
 *          nothing; our blkfront and Linux's order dependent requests themselves); a flush or
 *          barrier first waits for everything in flight. Responses of a pass go out with one
 *          RING_PUSH_RESPONSES_AND_CHECK_NOTIFY: an event only when the frontend asked for one
 *          (its rsp_event); then RING_FINAL_CHECK_FOR_REQUESTS before going back to sleep on
 *          the event channel and the io_uring's completion eventfd (vbd_fds). A disk without
 *          asynchronous I/O (ram:, iscsi:, io_uring refused: the file backend says why once)
 *          is served synchronously, in order. At most RING_SIZE (32) requests are in flight:
 *          no more can be outstanding on the ring (a producer index beyond it is refused).
 *   stop   waits for every request in flight before anything is unmapped: a frontend that
 *          goes with requests in flight, or breaks the protocol, never leaves the kernel
 *          reading or writing pages that are gone.
 *
 * A request's data pages are mapped through xt_map (which checks each reference) for the time
 * of the request, or for good when the frontend too offers feature-persistent (it then keeps
 * its grants: our blkfront's pool does); runs of segments that are contiguous on the disk and in
 * the mapping (a segment ending at sector 7 followed by one starting at 0) are one iovec (one
 * disk call on the synchronous path). A kept mapping that a request in flight uses is never
 * replaced: that request's new one is then its own, unmapped when it is answered.
 *
 * An INDIRECT request's segments are copied once out of its (mapped) indirect page.
 *
 * What the frontend gets wrong: a producer index beyond what the ring can hold, a READ/WRITE
 * with 0 or more than BLKIF_MAX_SEGMENTS_PER_REQUEST segments (INDIRECT: 0 or more than 64,
 * an indirect_op other than READ/WRITE), a segment with first_sect >
 * last_sect or last_sect > 7, or a reference that does not map, break the protocol: run fails
 * with -EPROTO and a message naming the device and the field, and the connection ends. A range
 * beyond the disk gets the response ERROR and an operation we do not offer (DISCARD)
 * EOPNOTSUPP, as from Linux's blkback; a failed disk call is ERROR. Each is logged once per
 * kind.
 */
#include "../hvb_priv.h"
#include "../xen/xen_ring.h"
#include "backd_serve.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xdrv/hvb_disk.h>
#include <xdrv/util.h>

#ifdef XDRV_HAVE_XEN_HEADERS
#include <xen/io/protocols.h>

#define VBD_SECT      512u
#define VBD_SECT_PAGE (XT_PAGE / VBD_SECT) /* 8 sectors per segment page */
/* Persistent mappings kept (feature-persistent): a frontend with a fixed pool of RING_SIZE
 * slots names at most a few dozen distinct segment lists per request size; 512 entries keep
 * them all with few collisions, and bound what a frontend that varies its lists costs (64
 * MiB of address space at most, no memory of our own). */
#define VBD_CACHE 512u
/* Segments of an indirect request we take (feature-max-indirect-segments): one indirect page
 * holds 512; 64 (256 KiB) is what a request needs to carry the SCSI model's largest call. */
#define VBD_IND_MAX	 64u
#define VBD_IND_PER_PAGE (XT_PAGE / sizeof(struct blkif_request_segment))

#define VBD_RING __CONST_RING_SIZE(blkif, XT_PAGE) /* 32 requests outstanding at most */

struct vbd_map {
	uint8_t *addr; /* NULL: empty */
	uint32_t n;
	uint32_t users; /* requests in flight using it: it stays */
	uint32_t refs[VBD_IND_MAX];
};

/* One request taken off the ring and not yet answered: its data pages mapped, its I/O in
 * flight on the disk's io_uring (hvb_disk_aio_submit). */
struct vbd_req {
	bool busy;
	uint64_t id;
	uint8_t op;    /* the operation to answer with */
	uint8_t *base; /* the data pages' mapping (NULL: none) */
	uint32_t npages;
	struct vbd_map *cached; /* the kept mapping it uses, or NULL: its own, unmapped after */
	uint32_t niov;
	struct iovec iov[VBD_IND_MAX];
	struct hvb_disk_aio a;
};

struct vbd {
	char name[48]; /* "vbd 51712", for messages */
	struct xt *t;
	struct hvb_disk *disk;
	uint64_t sectors;
	blkif_back_ring_t ring;
	void *sring;	 /* the mapped ring page */
	unsigned logged; /* kinds of request error already logged (bits) */
	bool persistent; /* both ends offered feature-persistent: mappings are kept */
	struct vbd_map cache[VBD_CACHE];
	struct vbd_req req[VBD_RING];
	uint32_t inflight;
	struct {
		unsigned long long requests, async, sync, responses, notifications;
		uint32_t max_inflight;
	} st;
};

enum { LOG_RANGE = 1, LOG_OP = 2, LOG_IO = 4 };

static void vbd_log_once(struct vbd *v, unsigned kind, const char *msg)
{
	if (v->logged & kind)
		return;
	v->logged |= kind;
	fprintf(stderr, "%s: %s: %s (further such errors are not logged)\n", backd_log_name,
		v->name, msg);
}

static int vbd_keys(struct vbd *v, char **err)
{
	int rc = xt_write(v->t, "sectors", "%llu", (unsigned long long)v->sectors);
	if (rc == 0)
		rc = xt_write(v->t, "sector-size", "%u", VBD_SECT);
	if (rc == 0)
		rc = xt_write(v->t, "info", "%u", hvb_disk_read_only(v->disk) ? VDISK_READONLY : 0);
	if (rc == 0)
		rc = xt_write(v->t, "feature-flush-cache", "1");
	if (rc == 0)
		rc = xt_write(v->t, "feature-barrier", "1");
	if (rc == 0)
		rc = xt_write(v->t, "feature-persistent", "1");
	if (rc == 0)
		rc = xt_write(v->t, "feature-max-indirect-segments", "%u", VBD_IND_MAX);
	if (rc)
		return xdrv_err(err, rc, "%s: writing the backend keys: %s", v->name,
				strerror(-rc));
	return 0;
}

/* The frontend's ring-ref, event-channel and protocol, then the ring mapped. */
static int vbd_connect_ring(struct vbd *v, char **err)
{
	uint64_t ref = 0, port = 0;
	char buf[XT_VAL_MAX];
	int rc = xt_read(v->t, "ring-page-order", buf, sizeof buf);
	if (rc != -ENOENT)
		return xdrv_err(err, -EPROTO,
				"%s: frontend key ring-page-order: present, but we offer one ring "
				"page (no max-ring-page-order)",
				v->name);
	rc = xt_read_u64(v->t, "ring-ref", 0, UINT32_MAX, 0, &ref, err);
	if (rc == 0)
		rc = xt_read_u64(v->t, "event-channel", 0, UINT32_MAX, 0, &port, err);
	if (rc == -ENOENT)
		return xdrv_err(err, -EPROTO,
				"%s: the frontend is Initialised without ring-ref or "
				"event-channel",
				v->name);
	if (rc)
		return rc;
	uint64_t persistent = 0;
	rc = xt_read_u64(v->t, "feature-persistent", 0, 1, 0, &persistent, err);
	if (rc && rc != -ENOENT)
		return rc;
	v->persistent = persistent == 1;
	rc = xt_read(v->t, "protocol", buf, sizeof buf);
	if (rc == 0 && strcmp(buf, XEN_IO_PROTO_ABI_NATIVE) != 0) {
		char esc[80];
		return xdrv_err(err, -EPROTO, "%s: frontend key protocol: '%s', expected '%s'",
				v->name, xdrv_escape_text(buf, esc, sizeof esc),
				XEN_IO_PROTO_ABI_NATIVE);
	}
	if (rc && rc != -ENOENT) /* absent: the native ABI */
		return xdrv_err(err, -EPROTO, "%s: frontend key protocol: unreadable (%s)", v->name,
				strerror(-rc));
	uint32_t r = (uint32_t)ref;
	v->sring = xt_map(v->t, &r, 1, err);
	if (!v->sring) {
		xdrv_err_prefix(err, "%s: ring-ref %u", v->name, r);
		return -EPROTO;
	}
	BACK_RING_INIT(&v->ring, (blkif_sring_t *)v->sring, XT_PAGE);
	return 0;
}

static int vbd_start(struct xt *t, const struct backd_dev_cfg *dev, void **priv, char **err)
{
	const char *spec = dev->spec;
	struct vbd *v = calloc(1, sizeof *v);
	if (!v)
		return xdrv_err(err, -ENOMEM, "vbd: out of memory");
	v->t = t;
	snprintf(v->name, sizeof v->name, "vbd %u", xt_peer_handle(t));
	int rc = hvb_disk_open(spec, false, &v->disk, err);
	if (rc) {
		xdrv_err_prefix(err, "%s", v->name);
		goto out;
	}
	v->sectors = hvb_disk_size(v->disk) / VBD_SECT;
	rc = vbd_keys(v, err);
	if (rc == 0)
		rc = xt_set_state(t, XT_INITWAIT, err);
	if (rc == 0)
		rc = xt_wait_peer_state(t, XT_INITIALISED, err);
	if (rc == 0)
		rc = vbd_connect_ring(v, err);
	if (rc == 0)
		rc = xt_set_state(t, XT_CONNECTED, err);
out:
	if (rc) {
		if (v->sring)
			xt_unmap(t, v->sring, 1);
		hvb_disk_close(v->disk);
		free(v);
		return rc;
	}
	*priv = v;
	return 0;
}

/* A broken request: the connection ends. */
static int vbd_bad(struct vbd *v, uint64_t id, char **err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int vbd_bad(struct vbd *v, uint64_t id, char **err, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return xdrv_err(err, -EPROTO, "%s: request id 0x%llx: %s", v->name, (unsigned long long)id,
			msg);
}

/*
 * A request's data pages, mapped as one range. With feature-persistent the frontend keeps its
 * grants for good, so the mapping is kept too, found again by the request's list of
 * references: a fresh mapping costs an mmap, a page fault per page and, at munmap, a TLB
 * shootdown, several times the cost of the I/O itself for 4 KiB. A kept mapping that a request
 * in flight uses (users) is never replaced: the new one is then the request's own (*entry
 * NULL), unmapped when it is answered.
 */
static uint8_t *vbd_map(struct vbd *v, const uint32_t *refs, uint32_t n, struct vbd_map **entry,
			char **err)
{
	*entry = NULL;
	if (!v->persistent)
		return xt_map(v->t, refs, n, err);
	struct vbd_map *m = &v->cache[((refs[0] * 2654435761u) >> 8 ^ n * 40503u) % VBD_CACHE];
	if (m->addr && m->n == n && memcmp(m->refs, refs, n * sizeof *refs) == 0) {
		m->users++;
		*entry = m;
		return m->addr;
	}
	uint8_t *a = xt_map(v->t, refs, n, err);
	if (!a || m->users)
		return a;
	if (m->addr)
		xt_unmap(v->t, m->addr, m->n);
	m->addr = a;
	m->n = n;
	memcpy(m->refs, refs, n * sizeof *refs);
	m->users = 1;
	*entry = m;
	return a;
}

static void vbd_unmap(struct vbd *v, uint8_t *addr, uint32_t n, struct vbd_map *entry)
{
	if (entry)
		entry->users--;
	else
		xt_unmap(v->t, addr, n);
}

/* A request's mapping goes (or its kept one is let go): its I/O is finished. */
static void vbd_release(struct vbd *v, struct vbd_req *r)
{
	if (r->base)
		vbd_unmap(v, r->base, r->npages, r->cached);
	r->base = NULL;
	r->cached = NULL;
}

/* A response written to the ring; pushed (one notification at most) by vbd_push. */
static void vbd_put_response(struct vbd *v, uint64_t id, uint8_t op, int16_t status)
{
	blkif_response_t rsp;
	memset(&rsp, 0, sizeof rsp);
	rsp.id = id;
	rsp.operation = op;
	rsp.status = status;
	*RING_GET_RESPONSE(&v->ring, v->ring.rsp_prod_pvt) = rsp;
	v->ring.rsp_prod_pvt++;
	v->st.responses++;
}

static int vbd_push(struct vbd *v, char **err)
{
	int notify = 0;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&v->ring, notify);
	if (!notify)
		return 0;
	v->st.notifications++;
	int rc = xt_notify(v->t);
	return rc ? xdrv_err(err, rc, "%s: notify: %s", v->name, strerror(-rc)) : 0;
}

/* A request whose asynchronous I/O finished: answered (not pushed yet), its record freed. */
static void vbd_complete(struct vbd *v, struct vbd_req *r)
{
	int16_t status = BLKIF_RSP_OKAY;
	if (r->a.result) {
		char msg[200];
		snprintf(msg, sizeof msg, "request id 0x%llx: %s of bytes %llu+%llu: %s: ERROR",
			 (unsigned long long)r->id, r->a.write ? "write" : "read",
			 (unsigned long long)r->a.off, (unsigned long long)r->a.len,
			 strerror(-r->a.result));
		vbd_log_once(v, LOG_IO, msg);
		status = BLKIF_RSP_ERROR;
	}
	vbd_release(v, r);
	vbd_put_response(v, r->id, r->op, status);
	r->busy = false;
	v->inflight--;
}

/* Answer the requests whose I/O finished (no system call): how many. */
static unsigned vbd_reap(struct vbd *v)
{
	unsigned n = 0;
	struct hvb_disk_aio *a;
	while (v->inflight && (a = hvb_disk_aio_reap(v->disk)) != NULL) {
		vbd_complete(v, a->user);
		n++;
	}
	return n;
}

/* Wait for every request in flight; answer them (respond) or only let them go (the connection
 * is ending: nothing may write into their pages once they are unmapped). */
static void vbd_drain(struct vbd *v, bool respond)
{
	for (uint32_t i = 0; i < VBD_RING && v->inflight; i++) {
		struct vbd_req *r = &v->req[i];
		if (!r->busy)
			continue;
		hvb_disk_aio_wait(v->disk, &r->a);
		if (!respond) {
			vbd_release(v, r);
			r->busy = false;
			v->inflight--;
		}
	}
	if (respond)
		vbd_reap(v);
	else
		while (hvb_disk_aio_reap(v->disk))
			;
}

/* The rest of a request synchronously: its runs (r->iov) one disk call each. */
static int16_t vbd_rw_sync(struct vbd *v, struct vbd_req *r)
{
	char *e2 = NULL;
	int rc = 0;
	uint64_t off = r->a.off;
	for (uint32_t i = 0; i < r->niov && rc == 0; i++) {
		rc = r->a.write ? hvb_disk_write(v->disk, off, r->iov[i].iov_base,
						 r->iov[i].iov_len, &e2)
				: hvb_disk_read(v->disk, off, r->iov[i].iov_base, r->iov[i].iov_len,
						&e2);
		off += r->iov[i].iov_len;
	}
	vbd_release(v, r);
	v->st.sync++;
	if (rc)
		vbd_log_once(v, LOG_IO, e2 ? e2 : "disk I/O failed");
	free(e2);
	return rc ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY;
}

/*
 * The data segments of a READ/WRITE (or a flush carrying data, or an indirect request's
 * segments copied out of its indirect page): checked, mapped, one iovec per run of contiguous
 * segments, then handed to the disk's asynchronous I/O (1: in flight, r busy) or, if it has
 * none (or `sync`), done at once (0, *status BLKIF_RSP_*); -EPROTO.
 */
static int vbd_rw(struct vbd *v, struct vbd_req *r, uint64_t sector_number,
		  const struct blkif_request_segment *seg, unsigned n, bool write, bool sync,
		  int16_t *status, char **err)
{
	uint32_t refs[VBD_IND_MAX];
	uint64_t nsect = 0;
	uint64_t id = r->id;
	if (n == 0 || n > VBD_IND_MAX) /* checked by the callers already */
		return vbd_bad(v, id, err, "nr_segments %u (want 1..%u)", n, VBD_IND_MAX);
	for (unsigned i = 0; i < n; i++) {
		const struct blkif_request_segment *s = &seg[i];
		if (s->first_sect > s->last_sect || s->last_sect >= VBD_SECT_PAGE)
			return vbd_bad(v, id, err,
				       "seg[%u]: first_sect %u, last_sect %u (want first <= last "
				       "<= 7)",
				       i, s->first_sect, s->last_sect);
		refs[i] = s->gref;
		nsect += (uint64_t)(s->last_sect - s->first_sect + 1);
	}
	if (sector_number > v->sectors || nsect > v->sectors - sector_number) {
		char msg[160];
		snprintf(msg, sizeof msg,
			 "request id 0x%llx: sectors %llu+%llu beyond the %llu of "
			 "the disk: ERROR",
			 (unsigned long long)id, (unsigned long long)sector_number,
			 (unsigned long long)nsect, (unsigned long long)v->sectors);
		vbd_log_once(v, LOG_RANGE, msg);
		*status = BLKIF_RSP_ERROR;
		return 0;
	}
	char *e2 = NULL;
	r->base = vbd_map(v, refs, n, &r->cached, &e2);
	if (!r->base) {
		int rc = vbd_bad(v, id, err, "seg[].gref: %s", e2 ? e2 : "does not map");
		free(e2);
		return rc;
	}
	r->npages = n;
	r->niov = 0;
	for (unsigned i = 0; i < n;) {
		/* a run: segments that follow each other both in the mapping and on the disk */
		unsigned j = i;
		while (j + 1 < n && seg[j].last_sect == VBD_SECT_PAGE - 1 &&
		       seg[j + 1].first_sect == 0)
			j++;
		uint8_t *p = r->base + (size_t)i * XT_PAGE + (size_t)seg[i].first_sect * VBD_SECT;
		uint64_t bytes = ((uint64_t)(j - i) * VBD_SECT_PAGE + seg[j].last_sect + 1 -
				  seg[i].first_sect) *
				 VBD_SECT;
		r->iov[r->niov++] = (struct iovec){.iov_base = p, .iov_len = bytes};
		i = j + 1;
	}
	r->a = (struct hvb_disk_aio){.off = sector_number * VBD_SECT,
				     .iov = r->iov,
				     .n = r->niov,
				     .write = write,
				     .user = r};
	if (!sync) {
		int rc = hvb_disk_aio_submit(v->disk, &r->a, &e2);
		if (rc == 0) {
			r->busy = true;
			if (++v->inflight > v->st.max_inflight)
				v->st.max_inflight = v->inflight;
			v->st.async++;
			return 1;
		}
		if (rc != -EOPNOTSUPP) { /* the disk layer's checks: as a failed disk call */
			vbd_log_once(v, LOG_IO, e2 ? e2 : "disk I/O refused");
			free(e2);
			vbd_release(v, r);
			*status = BLKIF_RSP_ERROR;
			return 0;
		}
	}
	/* synchronously: after what is in flight (a request done now must not pass an earlier
	 * one still running on the same sectors) */
	vbd_drain(v, true);
	*status = vbd_rw_sync(v, r);
	return 0;
}

/* An indirect request (a copy): its segments copied once out of its indirect page. */
static int vbd_indirect(struct vbd *v, struct vbd_req *r, const blkif_request_t *req,
			int16_t *status, char **err)
{
	blkif_request_indirect_t ind;
	_Static_assert(sizeof ind <= sizeof *req, "an indirect request fits a ring entry");
	memcpy(&ind, req, sizeof ind);
	r->op = ind.indirect_op; /* as Linux's blkback: the response names the data operation */
	if (ind.indirect_op != BLKIF_OP_READ && ind.indirect_op != BLKIF_OP_WRITE)
		return vbd_bad(v, ind.id, err, "indirect_op %u (want READ 0 or WRITE 1)",
			       ind.indirect_op);
	if (ind.nr_segments == 0 || ind.nr_segments > VBD_IND_MAX)
		return vbd_bad(v, ind.id, err, "indirect nr_segments %u (want 1..%u)",
			       ind.nr_segments, VBD_IND_MAX);
	_Static_assert(VBD_IND_MAX <= VBD_IND_PER_PAGE, "one indirect page is enough");
	struct blkif_request_segment seg[VBD_IND_MAX];
	uint32_t ref = ind.indirect_grefs[0];
	char *e2 = NULL;
	struct vbd_map *entry = NULL;
	uint8_t *page = vbd_map(v, &ref, 1, &entry, &e2);
	if (!page) {
		int rc = vbd_bad(v, ind.id, err, "indirect_grefs[0]: %s", e2 ? e2 : "does not map");
		free(e2);
		return rc;
	}
	/* copied once: the frontend can still write the page; only the copy is used */
	memcpy(seg, page, ind.nr_segments * sizeof *seg);
	vbd_unmap(v, page, 1, entry);
	return vbd_rw(v, r, ind.sector_number, seg, ind.nr_segments,
		      ind.indirect_op == BLKIF_OP_WRITE, false, status, err);
}

/* One request (a copy) on the free record r: 1 in flight (answered when its I/O finishes), 0
 * done with its status in *status (the operation to answer with in r->op), or -EPROTO. */
static int vbd_do(struct vbd *v, struct vbd_req *r, const blkif_request_t *req, int16_t *status,
		  char **err)
{
	*status = BLKIF_RSP_OKAY;
	r->op = req->operation;
	r->id = req->id;
	char *e2 = NULL;
	switch (req->operation) {
	case BLKIF_OP_INDIRECT:
		return vbd_indirect(v, r, req, status, err);
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		if (req->nr_segments == 0 || req->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST)
			return vbd_bad(v, req->id, err, "nr_segments %u (want 1..%u)",
				       req->nr_segments, BLKIF_MAX_SEGMENTS_PER_REQUEST);
		return vbd_rw(v, r, req->sector_number, req->seg, req->nr_segments,
			      req->operation == BLKIF_OP_WRITE, false, status, err);
	case BLKIF_OP_FLUSH_DISKCACHE:
	case BLKIF_OP_WRITE_BARRIER:
		/* Linux's blkfront sends a PREFLUSH/FUA write as this operation with its data:
		 * flush what came before (a barrier: every request in flight finishes first),
		 * write, and flush again so that the data is durable when answered */
		if (req->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST)
			return vbd_bad(v, req->id, err, "nr_segments %u (want 0..%u)",
				       req->nr_segments, BLKIF_MAX_SEGMENTS_PER_REQUEST);
		vbd_drain(v, true);
		if (hvb_disk_flush(v->disk, &e2) == 0 && req->nr_segments) {
			int rc = vbd_rw(v, r, req->sector_number, req->seg, req->nr_segments, true,
					true, status, err);
			if (rc || *status != BLKIF_RSP_OKAY)
				return rc;
			hvb_disk_flush(v->disk, &e2);
		}
		if (e2) {
			vbd_log_once(v, LOG_IO, e2);
			free(e2);
			*status = BLKIF_RSP_ERROR;
		}
		return 0;
	default: {
		char msg[120];
		snprintf(msg, sizeof msg, "request id 0x%llx: operation %u not offered: EOPNOTSUPP",
			 (unsigned long long)req->id, req->operation);
		vbd_log_once(v, LOG_OP, msg);
		*status = BLKIF_RSP_EOPNOTSUPP;
		return 0;
	}
	}
}

static struct vbd_req *vbd_free_req(struct vbd *v)
{
	for (uint32_t i = 0; i < VBD_RING; i++)
		if (!v->req[i].busy)
			return &v->req[i];
	return NULL;
}

/* Take every request on the ring: how many, or -EPROTO. */
static int vbd_take(struct vbd *v, char **err)
{
	RING_IDX cons = v->ring.req_cons;
	RING_IDX prod = __atomic_load_n(&v->ring.sring->req_prod, __ATOMIC_ACQUIRE);
	if (RING_REQUEST_PROD_OVERFLOW(&v->ring, prod))
		return xdrv_err(err, -EPROTO,
				"%s: req_prod %u: %u requests beyond the %u answered, more "
				"than the ring's %u",
				v->name, prod, prod - v->ring.rsp_prod_pvt, v->ring.rsp_prod_pvt,
				RING_SIZE(&v->ring));
	int taken = 0;
	while (cons != prod) {
		blkif_request_t req;
		RING_COPY_REQUEST(&v->ring, cons, &req);
		v->ring.req_cons = ++cons;
		/* requests taken and not answered are fewer than the ring's size (the check
		 * above): a record is free; wait for one all the same if not */
		struct vbd_req *r = vbd_free_req(v);
		if (!r) {
			vbd_drain(v, true);
			r = vbd_free_req(v);
		}
		int16_t status = BLKIF_RSP_OKAY;
		v->st.requests++;
		int rc = vbd_do(v, r, &req, &status, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			vbd_put_response(v, r->id, r->op, status);
		taken++;
	}
	return taken;
}

static int vbd_run(void *priv, char **err)
{
	struct vbd *v = priv;
	int rc = xt_event_ack(v->t);
	if (rc < 0)
		return xdrv_err(err, rc, "%s: event channel: %s", v->name, strerror(-rc));
	/* read the completion eventfd before reaping: a completion after the reap makes it
	 * readable again, and the server's poll wakes us (always: a count left from completions
	 * reaped at once would wake the poll for nothing) */
	int efd = hvb_disk_aio_fd(v->disk);
	uint64_t cnt;
	if (efd >= 0 && read(efd, &cnt, sizeof cnt) < 0 && errno != EAGAIN && errno != EINTR)
		return xdrv_err(err, -errno, "%s: io_uring eventfd: %s", v->name, strerror(errno));
	for (;;) {
		unsigned done = vbd_reap(v);
		int taken = vbd_take(v, err);
		if (taken < 0)
			return taken;
		/* what was started goes to the kernel in one system call; reads from the page
		 * cache often complete within it */
		hvb_disk_aio_kick(v->disk);
		done += vbd_reap(v);
		rc = vbd_push(v, err);
		if (rc)
			return rc;
		if (taken || done)
			continue;
		/* the frontend, still awake, may send its next request within microseconds: then it
		 * needs no notification (req_event is still behind) and we no wake-up; the same
		 * for completions of what is in flight */
		RING_IDX cons = v->ring.req_cons;
		if (!v->inflight &&
		    xt_spin_for(&v->ring.sring->req_prod, cons, (uint64_t)backd_spin_us * 1000u))
			continue;
		if (v->inflight && backd_spin_us) {
			uint64_t end = xdrv_now_ns() + (uint64_t)backd_spin_us * 1000u;
			bool more = false;
			while (!more && xdrv_now_ns() < end) {
				more = __atomic_load_n(&v->ring.sring->req_prod,
						       __ATOMIC_ACQUIRE) != cons ||
				       vbd_reap(v) > 0;
			}
			if (more)
				continue;
		}
		/* as RING_FINAL_CHECK_FOR_REQUESTS, reading req_prod once per look */
		__atomic_store_n(&v->ring.sring->req_event, cons + 1, __ATOMIC_RELAXED);
		xen_mb();
		if (__atomic_load_n(&v->ring.sring->req_prod, __ATOMIC_RELAXED) != cons)
			continue;
		if (v->inflight && hvb_disk_aio_fd(v->disk) < 0) {
			/* no completion fd to sleep on: finish here */
			vbd_drain(v, true);
			rc = vbd_push(v, err);
			if (rc)
				return rc;
			continue;
		}
		return 0;
	}
}

/* The io_uring's completion eventfd while requests are in flight: the server polls it with the
 * event channel, and run answers what finished. */
static int vbd_fds(void *priv, int *fds, int cap)
{
	struct vbd *v = priv;
	int efd = v && v->inflight ? hvb_disk_aio_fd(v->disk) : -1;
	if (efd < 0 || cap < 1)
		return 0;
	fds[0] = efd;
	return 1;
}

static void vbd_stop(void *priv)
{
	struct vbd *v = priv;
	if (!v)
		return;
	/* the kernel may still be reading or writing the frontend's pages: let it finish before
	 * they are unmapped (a disconnect with requests in flight) */
	if (v->inflight && backd_verbose)
		fprintf(stderr, "%s: %s: waiting for %u requests in flight\n", backd_log_name,
			v->name, v->inflight);
	vbd_drain(v, false);
	if (backd_verbose && v->st.requests)
		fprintf(stderr,
			"%s: %s: %llu requests (%llu asynchronous, %llu synchronous, at most %u "
			"in flight), %llu responses, %llu notifications\n",
			backd_log_name, v->name, (unsigned long long)v->st.requests,
			(unsigned long long)v->st.async, (unsigned long long)v->st.sync,
			v->st.max_inflight, (unsigned long long)v->st.responses,
			(unsigned long long)v->st.notifications);
	if (v->sring)
		xt_unmap(v->t, v->sring, 1);
	for (uint32_t i = 0; i < VBD_CACHE; i++)
		if (v->cache[i].addr)
			xt_unmap(v->t, v->cache[i].addr, v->cache[i].n);
	hvb_disk_close(v->disk);
	free(v);
}

#else /* no Xen headers */

static int vbd_start(struct xt *t, const struct backd_dev_cfg *dev, void **priv, char **err)
{
	(void)t, (void)dev, (void)priv;
	return xdrv_err(err, -ENOTSUP, "vbd: built without the Xen headers (libxen-dev)");
}
static int vbd_fds(void *priv, int *fds, int cap)
{
	(void)priv, (void)fds, (void)cap;
	return 0;
}
static int vbd_run(void *priv, char **err)
{
	(void)priv;
	return xdrv_err(err, -ENOTSUP, "vbd: not built");
}
static void vbd_stop(void *priv)
{
	(void)priv;
}
#endif

const struct backd_dev_ops backd_vbd_ops = {
	.type = "vbd",
	.start = vbd_start,
	.fds = vbd_fds,
	.run = vbd_run,
	.stop = vbd_stop,
};
