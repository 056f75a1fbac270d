// SPDX-License-Identifier: MIT
/*
 * xdrv-backd's netif backend (backd.h): the backend half of a Xen vif over the loop transport,
 * with a wire of any kind (xdrv/wire.h: tap:IF@NS, gen:count=N,size=S, ...) where netback
 * would have its vifN.M interface. The frontend's TX requests become frames put on the wire;
 * frames the wire has fill the frontend's posted RX buffers (copying receive, as netback with
 * request-rx-copy=1).
 *
 * Handshake: our keys (feature-rx-copy=1, feature-sg=1, ...), InitWait, wait for the
 * frontend's Initialised (or Connected), read its tx-ring-ref, rx-ring-ref, event-channel,
 * request-rx-copy, feature-rx-notify and feature-sg, map both rings, Connected.
 * With feature-sg a frame larger than a page (jumbo frames) spans several slots: a TX chain of
 * requests with more_data (the first carries the total length) is gathered into one frame for
 * the wire; a wire frame for a frontend that offered feature-sg fills as many RX buffers as it
 * needs, all but the last response with more_data. Buffer pages are mapped
 * the first time a request names them, and kept.
 *
 * Each round takes every TX request (up to a budget), answers them with one response push, and
 * fills as many RX buffers as the wire has frames for; the frontend is notified only when a
 * push says it asked (RING_PUSH_RESPONSES_AND_CHECK_NOTIFY), and before waiting we ask to be
 * notified (RING_FINAL_CHECK_FOR_REQUESTS). A round that stops at its budget kicks its own
 * eventfd so the daemon comes straight back.
 *
 * The frontend is untrusted: its request producer index is read once and may not run more
 * than a ring ahead, every request is copied once and checked (grant reference granted,
 * offset and size inside the page, only the flags we negotiated); a bad one ends the
 * connection with a message naming the device and the field.
 */
#define _GNU_SOURCE
#include "backd_serve.h"

#include "../hvb_priv.h"
#include "../xen/xen_ring.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

#ifdef XDRV_HAVE_XEN_HEADERS

#define VIF_BUDGET    256u /* requests or frames per direction per round */
#define VIF_MAX_REF   XT_LOOP_PAGES
#define VIF_MIN_FRAME 14u		     /* an Ethernet header */
#define VIF_MAX_SLOTS XEN_NETIF_NR_SLOTS_MIN /* slots per frame with feature-sg (18) */
#define VIF_MAX_FRAME 65535u		     /* a TX chain's 16-bit total */

struct vif {
	struct xt *t;
	char name[48]; /* "vif 0" */
	struct hvb_wire *w;
	bool held; /* w is the server's (backd_hold_wires): not ours to destroy */
	int kick;  /* eventfd: more work is ready without a notification */
	netif_tx_back_ring_t tx;
	netif_rx_back_ring_t rx;
	void *tx_ring, *rx_ring;
	uint8_t **page; /* VIF_MAX_REF: mapped buffer pages by grant reference */
	uint32_t mapped;
	/* counters */
	uint64_t tx_frames, tx_bytes, tx_runts, tx_wire_errors;
	uint64_t rx_frames, rx_bytes, rx_too_big;
	bool front_sg;	  /* the frontend takes multi-slot RX frames */
	uint8_t *txframe; /* VIF_MAX_FRAME: a TX chain gathered */
	uint64_t rounds;
	bool connected;
	bool rx_blocked; /* a frame waits for an RX buffer: the frontend's notification wakes us */
};

/* The buffer page behind a reference the frontend sent, mapped on first use. */
static uint8_t *vif_page(struct vif *v, uint32_t ref, const char *field, char **err)
{
	if (ref >= VIF_MAX_REF) {
		xdrv_err(err, -EPROTO, "%s: frontend %s %" PRIu32 ": not a grant reference",
			 v->name, field, ref);
		return NULL;
	}
	if (!v->page[ref]) {
		char *e = NULL;
		v->page[ref] = xt_map(v->t, &ref, 1, &e);
		if (!v->page[ref]) {
			xdrv_err(err, -EPROTO, "%s: frontend %s %" PRIu32 ": %s", v->name, field,
				 ref, e ? e : "cannot map");
			free(e);
			return NULL;
		}
		v->mapped++;
	}
	return v->page[ref];
}

/* ---- frontend -> wire ------------------------------------------------------------------------ */

/* Answer the `n` requests of a chain with `status`. */
static void tx_respond(struct vif *v, const netif_tx_request_t *q, uint32_t n, int16_t status)
{
	for (uint32_t i = 0; i < n; i++) {
		netif_tx_response_t *r = RING_GET_RESPONSE(&v->tx, v->tx.rsp_prod_pvt);
		r->id = q[i].id;
		r->status = status;
		v->tx.rsp_prod_pvt++;
	}
}

/* Copy the chain of requests that starts at `cons` (up to `prod`) into q: its length, 0 when the
 * chain is not complete yet (more_data on the last request pushed), or -EPROTO. */
static int tx_chain(struct vif *v, RING_IDX cons, RING_IDX prod, netif_tx_request_t *q, char **err)
{
	uint32_t n = 0;
	do {
		if (cons + n == prod)
			return 0;
		if (n == VIF_MAX_SLOTS)
			return xdrv_err(err, -EPROTO,
					"%s: frontend tx request chain (id %u) longer than %u "
					"slots",
					v->name, q[0].id, VIF_MAX_SLOTS);
		RING_COPY_REQUEST(&v->tx, cons + n, &q[n]);
		if (q[n].flags & NETTXF_extra_info)
			return xdrv_err(err, -EPROTO,
					"%s: frontend tx request flags 0x%x (id %u): extra_info "
					"not negotiated",
					v->name, q[n].flags, q[n].id);
		/* (the first request of a chain carries the total: tx_gather checks its part) */
		bool first_of_chain = n == 0 && (q[0].flags & NETTXF_more_data);
		if ((uint32_t)q[n].offset + (first_of_chain ? 0u : q[n].size) > XT_PAGE)
			return xdrv_err(err, -EPROTO,
					"%s: frontend tx request offset %u + size %u (id %u) "
					"leaves the %u-byte page",
					v->name, q[n].offset, q[n].size, q[n].id, XT_PAGE);
	} while (q[n++].flags & NETTXF_more_data);
	return (int)n;
}

/* Gather a chain of n requests (the first carries the total) into v->txframe: the frame length,
 * or -EPROTO when the sizes do not add up. */
static int tx_gather(struct vif *v, const netif_tx_request_t *q, uint32_t n, char **err)
{
	uint32_t total = q[0].size, rest = 0;
	for (uint32_t i = 1; i < n; i++)
		rest += q[i].size;
	uint32_t first = total - rest;
	if (rest > total || (uint32_t)q[0].offset + first > XT_PAGE)
		return xdrv_err(err, -EPROTO,
				"%s: frontend tx request id %u: total size %u does not hold the "
				"%u bytes of its %u further slots in its page (offset %u)",
				v->name, q[0].id, total, rest, n - 1, q[0].offset);
	uint32_t at = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = i ? q[i].size : first;
		const uint8_t *pg = vif_page(v, q[i].gref, "tx request gref", err);
		if (!pg)
			return -EPROTO;
		if (n == 1)
			return (int)len; /* one slot: put straight from the page */
		memcpy(v->txframe + at, pg + q[i].offset, len);
		at += len;
	}
	return (int)at;
}

static int vif_tx(struct vif *v, bool *notify, bool *more, char **err)
{
	uint32_t budget = VIF_BUDGET;
	for (;;) {
		RING_IDX prod = __atomic_load_n(&v->tx.sring->req_prod, __ATOMIC_RELAXED);
		if (RING_REQUEST_PROD_OVERFLOW(&v->tx, prod))
			return xdrv_err(err, -EPROTO,
					"%s: frontend tx req_prod %" PRIu32
					" is more than a ring (%u) ahead of our responses (%" PRIu32
					")",
					v->name, prod, RING_SIZE(&v->tx), v->tx.rsp_prod_pvt);
		xen_rmb(); /* the requests after the index */
		RING_IDX cons = v->tx.req_cons;
		bool partial = false;
		while (cons != prod && budget) {
			netif_tx_request_t q[VIF_MAX_SLOTS];
			int n = tx_chain(v, cons, prod, q, err);
			if (n < 0)
				return n;
			if (n == 0) { /* the rest of the chain is not pushed yet */
				partial = true;
				break;
			}
			int len = tx_gather(v, q, (uint32_t)n, err);
			if (len < 0)
				return len;
			int16_t status = NETIF_RSP_OKAY;
			const uint8_t *frame =
				n == 1 ? v->page[q[0].gref] + q[0].offset : v->txframe;
			if ((uint32_t)len < VIF_MIN_FRAME) {
				v->tx_runts++;
				status = NETIF_RSP_ERROR;
			} else if (hvb_wire_put(v->w, frame, (size_t)len) == 0) {
				v->tx_frames++;
				v->tx_bytes += (uint64_t)len;
			} else {
				v->tx_wire_errors++; /* the wire dropped it: so does a full link */
			}
			tx_respond(v, q, (uint32_t)n, status);
			cons += (RING_IDX)n;
			budget = budget > (uint32_t)n ? budget - (uint32_t)n : 0;
		}
		v->tx.req_cons = cons;
		int n;
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&v->tx, n);
		*notify |= n != 0;
		if (!budget) {
			*more = true;
			return 0;
		}
		if (partial) {
			/* be told when the frontend pushes past what we have seen */
			v->tx.sring->req_event = prod + 1;
			xen_mb();
			if (__atomic_load_n(&v->tx.sring->req_prod, __ATOMIC_RELAXED) == prod)
				return 0;
			continue;
		}
		int again;
		RING_FINAL_CHECK_FOR_REQUESTS(&v->tx, again);
		if (!again)
			return 0;
	}
}

/* ---- wire -> frontend ------------------------------------------------------------------------ */

/* Whether `need` RX requests with buffers are there: 1, or 0 (then we asked to be notified when
 * they are), or -EPROTO. */
static int rx_have_requests(struct vif *v, uint32_t need, char **err)
{
	for (;;) {
		RING_IDX prod = __atomic_load_n(&v->rx.sring->req_prod, __ATOMIC_RELAXED);
		if (RING_REQUEST_PROD_OVERFLOW(&v->rx, prod))
			return xdrv_err(err, -EPROTO,
					"%s: frontend rx req_prod %" PRIu32
					" is more than a ring (%u) ahead of our responses (%" PRIu32
					")",
					v->name, prod, RING_SIZE(&v->rx), v->rx.rsp_prod_pvt);
		if (prod - v->rx.req_cons >= need) {
			xen_rmb();
			return 1;
		}
		v->rx.sring->req_event = v->rx.req_cons + need;
		xen_mb();
		if (__atomic_load_n(&v->rx.sring->req_prod, __ATOMIC_RELAXED) == prod)
			return 0;
	}
}

static int vif_rx(struct vif *v, bool *notify, bool *more, char **err)
{
	int rc = 0;
	v->rx_blocked = false;
	for (uint32_t budget = VIF_BUDGET;; budget--) {
		if (!budget) {
			*more = true;
			break;
		}
		const uint8_t *frame;
		int len = hvb_wire_take(v->w, &frame);
		if (len <= 0)
			break; /* nothing waiting, or the wire failed: try again next round */
		/* a slot per page of the frame: more than one only if the frontend has sg */
		uint32_t slots = ((uint32_t)len + XT_PAGE - 1) / XT_PAGE;
		if (slots > 1 && (!v->front_sg || slots > VIF_MAX_SLOTS)) {
			hvb_wire_taken(v->w, (size_t)len);
			v->rx_too_big++;
			continue;
		}
		rc = rx_have_requests(v, slots, err);
		if (rc <= 0) {
			v->rx_blocked =
				rc == 0; /* the frame stays on the wire until buffers come */
			break;
		}
		for (uint32_t i = 0; rc > 0 && i < slots; i++) {
			netif_rx_request_t q;
			RING_COPY_REQUEST(&v->rx, v->rx.req_cons, &q);
			uint8_t *pg = vif_page(v, q.gref, "rx request gref", err);
			if (!pg) {
				rc = -EPROTO;
				break;
			}
			v->rx.req_cons++;
			uint32_t at = i * XT_PAGE, chunk = (uint32_t)len - at;
			chunk = chunk > XT_PAGE ? XT_PAGE : chunk;
			memcpy(pg, frame + at, chunk);
			netif_rx_response_t *r = RING_GET_RESPONSE(&v->rx, v->rx.rsp_prod_pvt);
			r->id = q.id;
			r->offset = 0;
			r->flags = i + 1 < slots ? NETRXF_more_data : 0;
			r->status = (int16_t)chunk;
			v->rx.rsp_prod_pvt++;
		}
		if (rc < 0)
			break;
		hvb_wire_taken(v->w, (size_t)len);
		v->rx_frames++;
		v->rx_bytes += (uint64_t)len;
	}
	int n;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&v->rx, n);
	*notify |= n != 0;
	return rc < 0 ? rc : 0;
}

static int vif_run(void *priv, char **err)
{
	struct vif *v = priv;
	uint64_t cnt;
	if (read(v->kick, &cnt, sizeof cnt) < 0 && errno != EAGAIN)
		return xdrv_err(err, -errno, "%s: kick eventfd: %s", v->name, strerror(errno));
	v->rounds++; /* (xdrv-backd acked the event channel: the rings are looked at after) */
	bool notify = false, more = false;
	int rc = vif_tx(v, &notify, &more, err);
	hvb_wire_flush(v->w); /* a batching wire sends what vif_tx queued */
	if (rc == 0)
		rc = vif_rx(v, &notify, &more, err);
	if (notify)
		xt_notify(v->t);
	if (rc == 0 && more) {
		uint64_t one = 1;
		if (write(v->kick, &one, sizeof one) < 0 && errno != EAGAIN)
			return xdrv_err(err, -errno, "%s: kick eventfd: %s", v->name,
					strerror(errno));
	}
	return rc;
}

static int vif_fds(void *priv, int *fds, int cap)
{
	struct vif *v = priv;
	int n = 0;
	if (n < cap)
		fds[n++] = v->kick;
	int wfd = hvb_wire_fd(v->w);
	/* while no RX buffer is free, a readable TAP would only spin us */
	if (wfd >= 0 && n < cap && !v->rx_blocked)
		fds[n++] = wfd;
	return n;
}

/* ---- set-up ---------------------------------------------------------------------------------- */

static void vif_stop(void *priv)
{
	struct vif *v = priv;
	if (!v)
		return;
	struct xt_stats xs = {0};
	if (v->t)
		xt_get_stats(v->t, &xs);
	uint64_t frames = v->tx_frames + v->rx_frames;
	if (v->connected && backd_verbose)
		fprintf(stderr,
			"%s: %s: frontend->wire %" PRIu64 " frames %" PRIu64 " bytes (%" PRIu64
			" runts, %" PRIu64 " wire errors), wire->frontend %" PRIu64
			" frames %" PRIu64 " bytes (%" PRIu64
			" too big); notifications sent %" PRIu64 ", events taken %" PRIu64
			", %.1f notifications per 1000 frames; %" PRIu64 " rounds, %" PRIu32
			" pages mapped\n",
			backd_log_name, v->name, v->tx_frames, v->tx_bytes, v->tx_runts,
			v->tx_wire_errors, v->rx_frames, v->rx_bytes, v->rx_too_big, xs.notify_sent,
			xs.events_taken,
			frames ? 1000.0 * (double)xs.notify_sent / (double)frames : 0.0, v->rounds,
			v->mapped);
	if (v->w && v->connected && backd_verbose) {
		struct hvb_wire_stats ws;
		hvb_wire_get_stats(v->w, &ws);
		if (ws.sink)
			fprintf(stderr,
				"%s: %s: wire %s sink %" PRIu64 " frames %" PRIu64
				" bytes, %" PRIu64 " bad, digest %016" PRIx64 "\n",
				backd_log_name, v->name, hvb_wire_name(v->w), ws.tx_frames,
				ws.tx_bytes, ws.tx_bad, ws.digest);
	}
	fflush(stderr);
	if (v->page)
		for (uint32_t i = 0; i < VIF_MAX_REF; i++)
			if (v->page[i])
				xt_unmap(v->t, v->page[i], 1);
	xt_unmap(v->t, v->tx_ring, 1);
	xt_unmap(v->t, v->rx_ring, 1);
	if (!v->held)
		hvb_wire_destroy(v->w);
	if (v->kick >= 0)
		close(v->kick);
	free(v->page);
	free(v->txframe);
	free(v);
}

/* KIND[:OPTIONS] */
static int vif_wire(struct vif *v, const char *spec, char **err)
{
	char kind[32];
	const char *colon = spec ? strchr(spec, ':') : NULL;
	size_t n = !spec ? 0 : colon ? (size_t)(colon - spec) : strlen(spec);
	if (n == 0 || n >= sizeof kind)
		return xdrv_err(err, -EINVAL, "%s: wire '%s': expected KIND[:OPTIONS]", v->name,
				spec ? spec : "");
	memcpy(kind, spec, n);
	kind[n] = 0;
	if (strcmp(kind, "netfront") == 0)
		return xdrv_err(err, -EINVAL, "%s: wire kind netfront cannot serve a frontend",
				v->name);
	int rc = hvb_wire_create(kind, colon && colon[1] ? colon + 1 : NULL, &v->w, err);
	if (rc < 0)
		xdrv_err_prefix(err, "%s", v->name);
	return rc;
}

/* A ring page the frontend names in its key. */
static int vif_ring(struct vif *v, const char *key, void **ring, char **err)
{
	uint64_t ref;
	int rc = xt_read_u64(v->t, key, 1, UINT32_MAX, 0, &ref, err);
	if (rc == -ENOENT)
		return xdrv_err(err, -EPROTO, "%s: frontend key %s: missing", v->name, key);
	if (rc < 0)
		return rc;
	uint32_t r = (uint32_t)ref;
	char *e = NULL;
	*ring = xt_map(v->t, &r, 1, &e);
	if (!*ring) {
		rc = xdrv_err(err, -EPROTO, "%s: frontend key %s=%" PRIu32 ": %s", v->name, key, r,
			      e ? e : "cannot map");
		free(e);
		return rc;
	}
	return 0;
}

/* A frontend key that must hold `want` (absent reads as `dflt`). */
static int vif_require(struct vif *v, const char *key, uint64_t dflt, uint64_t want,
		       const char *why, char **err)
{
	uint64_t val;
	int rc = xt_read_u64(v->t, key, 0, 1, dflt, &val, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (val != want)
		return xdrv_err(err, -EPROTONOSUPPORT, "%s: frontend key %s=%" PRIu64 ": %s",
				v->name, key, val, why);
	return 0;
}

static int vif_connect(struct vif *v, char **err)
{
	struct xt *t = v->t;
	static const char *const keys[][2] = {
		{"feature-rx-copy", "1"},
		{"feature-rx-flip", "0"},
		{"feature-sg", "1"},
		{"feature-gso-tcpv4", "0"},
		{"feature-gso-tcpv6", "0"},
		{"feature-ipv6-csum-offload", "0"},
		{"feature-split-event-channels", "0"},
		{"feature-multicast-control", "0"},
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		int rc = xt_write(t, keys[i][0], "%s", keys[i][1]);
		if (rc < 0)
			return xdrv_err(err, rc, "%s: cannot write key %s", v->name, keys[i][0]);
	}
	int rc = xt_set_state(t, XT_INITWAIT, err);
	if (rc == 0)
		rc = xt_wait_peer_state(t, XT_INITIALISED, err); /* or Connected */
	if (rc < 0)
		return rc;
	rc = vif_require(v, "request-rx-copy", 0, 1, "only copying receive is served", err);
	if (rc == 0)
		rc = vif_require(v, "feature-rx-notify", 0, 1,
				 "the frontend must take RX notifications", err);
	uint64_t q;
	if (rc == 0) {
		rc = xt_read_u64(t, "feature-sg", 0, 1, 0, &q, err);
		v->front_sg = rc == 0 && q == 1;
		if (rc == -ENOENT)
			rc = 0;
	}
	if (rc == 0) {
		rc = xt_read_u64(t, "multi-queue-num-queues", 1, 1, 1, &q, err);
		if (rc == -ENOENT)
			rc = 0;
	}
	uint64_t port;
	if (rc == 0) {
		rc = xt_read_u64(t, "event-channel", 0, UINT32_MAX, 0, &port, err);
		if (rc == -ENOENT)
			rc = xdrv_err(err, -EPROTO, "%s: frontend key event-channel: missing",
				      v->name);
	}
	if (rc == 0)
		rc = vif_ring(v, "tx-ring-ref", &v->tx_ring, err);
	if (rc == 0)
		rc = vif_ring(v, "rx-ring-ref", &v->rx_ring, err);
	if (rc < 0)
		return rc;
	BACK_RING_INIT(&v->tx, (netif_tx_sring_t *)v->tx_ring, XT_PAGE);
	BACK_RING_INIT(&v->rx, (netif_rx_sring_t *)v->rx_ring, XT_PAGE);
	return xt_set_state(t, XT_CONNECTED, err);
}

static int vif_start(struct xt *t, const struct backd_dev_cfg *dev, void **priv, char **err)
{
	struct vif *v = calloc(1, sizeof *v);
	if (!v)
		return xdrv_err(err, -ENOMEM, "out of memory");
	v->t = t;
	v->kick = -1;
	snprintf(v->name, sizeof v->name, "vif %" PRIu32, xt_peer_handle(t));
	v->page = calloc(VIF_MAX_REF, sizeof *v->page);
	v->txframe = malloc(VIF_MAX_FRAME);
	v->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int rc = 0;
	if (!v->page || !v->txframe)
		rc = xdrv_err(err, -ENOMEM, "%s: out of memory", v->name);
	else if (v->kick < 0)
		rc = xdrv_err(err, -errno, "%s: eventfd: %s", v->name, strerror(errno));
	if (rc == 0 && dev->held) {
		v->w = dev->held;
		v->held = true;
		hvb_wire_adopt(v->w); /* this child takes over from the last one */
	} else if (rc == 0) {
		rc = vif_wire(v, dev->spec, err);
	}
	if (rc == 0)
		rc = vif_connect(v, err);
	if (rc < 0) {
		vif_stop(v);
		return rc;
	}
	v->connected = true;
	/* the frontend posted its RX buffers before we connected, without a notification */
	uint64_t one = 1;
	if (write(v->kick, &one, sizeof one) < 0) {
		rc = xdrv_err(err, -errno, "%s: kick eventfd: %s", v->name, strerror(errno));
		vif_stop(v);
		return rc;
	}
	if (backd_verbose)
		fprintf(stderr, "%s: %s: connected to wire %s\n", backd_log_name, v->name,
			hvb_wire_name(v->w));
	*priv = v;
	return 0;
}

#else /* no Xen headers */

static int vif_start(struct xt *t, const struct backd_dev_cfg *dev, void **priv, char **err)
{
	(void)t, (void)dev, (void)priv;
	return xdrv_err(err, -ENOTSUP, "vif: built without the Xen headers (libxen-dev)");
}
static int vif_fds(void *priv, int *fds, int cap)
{
	(void)priv, (void)fds, (void)cap;
	return 0;
}
static int vif_run(void *priv, char **err)
{
	(void)priv;
	return xdrv_err(err, -ENOTSUP, "vif: not built");
}
static void vif_stop(void *priv)
{
	(void)priv;
}
#endif

const struct backd_dev_ops backd_vif_ops = {
	.type = "vif",
	.start = vif_start,
	.fds = vif_fds,
	.run = vif_run,
	.stop = vif_stop,
};
