// SPDX-License-Identifier: MIT
/*
 * xdrv-backd's netif backend (backd.h): the backend half of a Xen vif over the loop transport,
 * with a wire of any kind (xdrv/wire.h: tap:IF@NS, gen:count=N,size=S, ...) where netback
 * would have its vifN.M interface. The frontend's TX requests become frames put on the wire;
 * frames the wire has fill the frontend's posted RX buffers (copying receive, as netback with
 * request-rx-copy=1).
 *
 * Handshake: our keys (feature-rx-copy=1, feature-sg=0, ...), InitWait, wait for the
 * frontend's Initialised (or Connected), read its tx-ring-ref, rx-ring-ref, event-channel,
 * request-rx-copy and feature-rx-notify, map both rings, Connected. Buffer pages are mapped
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
#define VIF_MIN_FRAME 14u /* an Ethernet header */

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
		for (; cons != prod && budget; cons++, budget--) {
			netif_tx_request_t q;
			RING_COPY_REQUEST(&v->tx, cons, &q);
			if (q.flags & (NETTXF_more_data | NETTXF_extra_info))
				return xdrv_err(
					err, -EPROTO,
					"%s: frontend tx request flags 0x%x (id %u): more_data "
					"and extra_info not negotiated (feature-sg=0)",
					v->name, q.flags, q.id);
			if ((uint32_t)q.offset + q.size > XT_PAGE)
				return xdrv_err(
					err, -EPROTO,
					"%s: frontend tx request offset %u + size %u (id %u) "
					"leaves the %u-byte page",
					v->name, q.offset, q.size, q.id, XT_PAGE);
			const uint8_t *pg = vif_page(v, q.gref, "tx request gref", err);
			if (!pg)
				return -EPROTO;
			int16_t status = NETIF_RSP_OKAY;
			if (q.size < VIF_MIN_FRAME) {
				v->tx_runts++;
				status = NETIF_RSP_ERROR;
			} else if (hvb_wire_put(v->w, pg + q.offset, q.size) == 0) {
				v->tx_frames++;
				v->tx_bytes += q.size;
			} else {
				v->tx_wire_errors++; /* the wire dropped it: so does a full link */
			}
			netif_tx_response_t *r = RING_GET_RESPONSE(&v->tx, v->tx.rsp_prod_pvt);
			r->id = q.id;
			r->status = status;
			v->tx.rsp_prod_pvt++;
		}
		v->tx.req_cons = cons;
		int n;
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&v->tx, n);
		*notify |= n != 0;
		if (!budget) {
			*more = true;
			return 0;
		}
		int again;
		RING_FINAL_CHECK_FOR_REQUESTS(&v->tx, again);
		if (!again)
			return 0;
	}
}

/* ---- wire -> frontend ------------------------------------------------------------------------ */

/* The next RX request index with a buffer, or false (then we asked to be notified). */
static int rx_have_request(struct vif *v, char **err)
{
	for (;;) {
		RING_IDX prod = __atomic_load_n(&v->rx.sring->req_prod, __ATOMIC_RELAXED);
		if (RING_REQUEST_PROD_OVERFLOW(&v->rx, prod))
			return xdrv_err(err, -EPROTO,
					"%s: frontend rx req_prod %" PRIu32
					" is more than a ring (%u) ahead of our responses (%" PRIu32
					")",
					v->name, prod, RING_SIZE(&v->rx), v->rx.rsp_prod_pvt);
		if (prod != v->rx.req_cons) {
			xen_rmb();
			return 1;
		}
		int again;
		RING_FINAL_CHECK_FOR_REQUESTS(&v->rx, again);
		if (!again)
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
		if ((uint32_t)len > XT_PAGE) { /* one slot per frame: the frontend has no sg */
			hvb_wire_taken(v->w, (size_t)len);
			v->rx_too_big++;
			continue;
		}
		rc = rx_have_request(v, err);
		if (rc <= 0) {
			v->rx_blocked =
				rc == 0; /* the frame stays on the wire until a buffer comes */
			break;
		}
		netif_rx_request_t q;
		RING_COPY_REQUEST(&v->rx, v->rx.req_cons, &q);
		uint8_t *pg = vif_page(v, q.gref, "rx request gref", err);
		if (!pg) {
			rc = -EPROTO;
			break;
		}
		v->rx.req_cons++;
		memcpy(pg, frame, (size_t)len);
		netif_rx_response_t *r = RING_GET_RESPONSE(&v->rx, v->rx.rsp_prod_pvt);
		r->id = q.id;
		r->offset = 0;
		r->flags = 0;
		r->status = (int16_t)len;
		v->rx.rsp_prod_pvt++;
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
		{"feature-sg", "0"},
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
	v->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int rc = 0;
	if (!v->page)
		rc = xdrv_err(err, -ENOMEM, "%s: out of memory", v->name);
	else if (v->kick < 0)
		rc = xdrv_err(err, -errno, "%s: eventfd: %s", v->name, strerror(errno));
	if (rc == 0 && dev->held) {
		v->w = dev->held;
		v->held = true;
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
