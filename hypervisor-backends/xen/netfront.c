// SPDX-License-Identifier: MIT
/*
 * The "netfront" wire: a NIC model's cable is a Xen netif frontend (io/netif.h), on the split-
 * driver transport (xt.h: real Xen, or the loop transport to xdrv-backd). What the model
 * transmits becomes TX requests; RX responses feed the model's receiver.
 *
 * Pages: one TX ring, one RX ring, `rx` RX buffers and `tx` TX buffers, one page each, all
 * shared once at creation. A buffer's ring id is its index in its pool, so an id from the
 * backend names one buffer and can be checked against what is outstanding.
 *
 * Frames larger than a page (jumbo frames) span slots both ways when the other side offers
 * feature-sg: TX chains of up to NF_MAX_SLOTS requests (more_data, the first with the total),
 * and RX responses with more_data, gathered into one frame as they arrive (we write
 * feature-sg=1) while their buffers are posted again at once.
 *
 * Batching: TX requests are pushed at the end of a round (the next pump, or every
 * NF_TX_PUSH_BATCH frames), RX buffers are re-posted in batches, and the backend is notified
 * only when the ring says it asked (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY). We ask for RX
 * notifications when the RX ring runs dry (RING_FINAL_CHECK_FOR_RESPONSES), and for TX
 * responses only when every TX buffer is in flight.
 *
 * Everything the backend writes is untrusted: its producer index is read once and checked
 * against what we posted, each response is copied once (RING_COPY_RESPONSE) and checked (id
 * outstanding, status, offset and length inside the page, flags we negotiated). A bad value
 * disconnects the frontend (state Closing) with a message naming the device and the field;
 * the wire then refuses frames (-ENOTCONN).
 *
 * Options: vif=N (0), mac=MAC (00:16:3e:00:HH:LL with HHLL = N + 1), transport=xen|loop,
 * socket=PATH, domid=N (backend domain), rx=N (RX buffers posted, 1..256, default 256),
 * tx=N (TX buffers, 1..256, default 256), timeout=MS (handshake), batch=0|1 (default 1; 0: every
 * request pushed at once and the backend notified after every push, whether it asked or not:
 * the comparison for the benchmark); transport, socket, domid and timeout default to
 * xt_default_get().
 */
#define _GNU_SOURCE
#include "netfront.h"

#include "../wire/wire_priv.h"
#include "xen_ring.h"
#include "xt.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/util.h>

#ifdef XDRV_HAVE_XEN_HEADERS

#define NF_TX_RING	 __CONST_RING_SIZE(netif_tx, XT_PAGE) /* 256 */
#define NF_RX_RING	 __CONST_RING_SIZE(netif_rx, XT_PAGE) /* 256 */
#define NF_TX_PUSH_BATCH 64u  /* push TX requests at least this often within a round */
#define NF_RX_PUSH_BATCH 64u  /* re-posted RX buffers pushed together (at most rx / 4) */
#define NF_TX_WAIT_MS	 200u /* all TX buffers in flight: wait this long for one back */
#define NF_MAX_SLOTS	 XEN_NETIF_NR_SLOTS_MIN /* slots per frame with feature-sg */
#define NF_MAX_FRAME	 65535u			/* a multi-slot RX frame at most */

_Static_assert(NF_TX_RING == 256 && NF_RX_RING == 256, "netif rings on a 4 KiB page");

enum { PG_TX_RING, PG_RX_RING, PG_BUFS }; /* page order in the shared block */

struct netfront {
	struct hvb_wire *w;
	struct xt *t;  /* NULL only in hvb_netfront_fuzz_responses */
	char name[64]; /* "netfront.0 (vif 0)" */
	uint32_t vif, nrx, ntx;
	uint8_t mac[6];
	bool backend_sg; /* the backend takes multi-slot TX frames */
	bool broken;

	uint8_t *pages; /* the shared block: rings, RX buffers, TX buffers */
	uint32_t npages;
	uint32_t *refs;
	netif_tx_front_ring_t tx;
	netif_rx_front_ring_t rx;
	uint8_t *rxbuf, *txbuf;
	uint32_t *rx_refs, *tx_refs;

	/* RX: which buffers the backend holds (posted), the frame offered to the NIC */
	bool *rx_posted;     /* the backend has seen the request (pushed) */
	uint16_t *rx_queued; /* re-posted ids not pushed yet */
	RING_IDX rx_pushed;  /* our last published req_prod */
	uint32_t rx_unpushed;
	uint32_t rx_batch; /* push re-posted buffers this many at a time (or when idle) */
	bool nobatch;	   /* batch=0: push every request at once and always notify */
	bool held;
	bool held_asm; /* the held frame came in several slots: it is in rxframe, buffers back */
	uint16_t held_id, held_off;
	uint32_t held_len;
	uint8_t *rxframe;   /* NF_MAX_FRAME: a multi-slot frame gathered (feature-sg) */
	uint32_t asm_len;   /* bytes gathered so far */
	uint32_t asm_slots; /* slots gathered so far: 0 between frames */

	/* TX: free buffer ids (a stack), which are in flight */
	uint16_t *tx_free;
	uint32_t tx_nfree;
	bool *tx_busy;
	RING_IDX tx_pushed;

	struct hvb_netfront_stats st;
	/* option strings that xt_cfg points to */
	char transport[16], socket[256], mac_str[18], handle_str[12];
};

/* ---- disconnect ------------------------------------------------------------------------------ */

static int nf_fail(struct netfront *nf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A bad value from the backend (or the backend gone): say which, and stop using the rings. */
static int nf_fail(struct netfront *nf, const char *fmt, ...)
{
	if (nf->broken)
		return -ENOTCONN;
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(nf->st.error, sizeof nf->st.error, "%s: %s; disconnected", nf->name, msg);
	hvb_log("%s", nf->st.error);
	nf->broken = true;
	nf->st.connected = false;
	char *err = NULL;
	if (nf->t)
		xt_set_state(nf->t, XT_CLOSING, &err); /* best effort: the backend may be gone */
	free(err);
	return -EPROTO;
}

static void nf_notify(struct netfront *nf)
{
	if (nf->t)
		xt_notify(nf->t);
}

/* ---- TX -------------------------------------------------------------------------------------- */

static void tx_push(struct netfront *nf)
{
	if (nf->tx.req_prod_pvt == nf->tx_pushed)
		return;
	int notify;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->tx, notify);
	nf->tx_pushed = nf->tx.req_prod_pvt;
	nf->st.tx_pushes++;
	if (notify || nf->nobatch)
		nf_notify(nf);
}

/* Take TX responses: their buffers are free again. 0 or -EPROTO (disconnected). */
static int tx_reclaim(struct netfront *nf)
{
	for (;;) {
		RING_IDX prod = __atomic_load_n(&nf->tx.sring->rsp_prod, __ATOMIC_RELAXED);
		RING_IDX cons = nf->tx.rsp_cons;
		if (prod == cons)
			return 0;
		if (prod - cons > nf->tx_pushed - cons)
			return nf_fail(nf,
				       "tx rsp_prod %" PRIu32 " runs past the %" PRIu32
				       " requests outstanding (rsp_cons %" PRIu32 ")",
				       prod, nf->tx_pushed - cons, cons);
		xen_rmb(); /* the responses after the index */
		for (; cons != prod; cons++) {
			netif_tx_response_t r;
			RING_COPY_RESPONSE(&nf->tx, cons, &r);
			if (r.id >= nf->ntx || !nf->tx_busy[r.id])
				return nf_fail(nf,
					       "tx response id %u is no TX buffer in flight "
					       "(%" PRIu32 " buffers)",
					       r.id, nf->ntx);
			if (r.status == NETIF_RSP_ERROR || r.status == NETIF_RSP_DROPPED)
				nf->st.tx_backend_errors++;
			else if (r.status != NETIF_RSP_OKAY)
				return nf_fail(nf, "tx response status %d for id %u is unknown",
					       r.status, r.id);
			nf->tx_busy[r.id] = false;
			nf->tx_free[nf->tx_nfree++] = r.id;
		}
		nf->tx.rsp_cons = cons;
	}
}

/* Wait, bounded, until `need` TX buffers are free: push what is queued, ask the backend to
 * notify on its next TX response, and wait on the event channel. */
static int tx_wait(struct netfront *nf, uint32_t need)
{
	tx_push(nf);
	uint64_t deadline = xdrv_now_ns() + NF_TX_WAIT_MS * 1000000ull;
	for (;;) {
		int more;
		RING_FINAL_CHECK_FOR_RESPONSES(&nf->tx, more);
		int rc = tx_reclaim(nf);
		if (rc < 0)
			return rc;
		if (nf->tx_nfree >= need)
			return 0;
		if (more)
			continue;
		uint64_t now = xdrv_now_ns();
		if (now >= deadline || !nf->t)
			return -ENOBUFS;
		struct pollfd p = {.fd = xt_event_fd(nf->t), .events = POLLIN};
		if (poll(&p, 1, 1) > 0)
			xt_event_ack(nf->t);
	}
}

static int nf_tx(void *priv, const void *frame, size_t len)
{
	struct netfront *nf = priv;
	if (nf->broken)
		return -ENOTCONN;
	if (len == 0 || len > XEN_NETIF_MAX_TX_SIZE)
		return -EINVAL;
	uint32_t slots = (uint32_t)((len + XT_PAGE - 1) / XT_PAGE);
	if (slots > 1 && (!nf->backend_sg || slots > NF_MAX_SLOTS || slots > nf->ntx)) {
		nf->st.tx_too_big++;
		return -EMSGSIZE;
	}
	if (nf->tx_nfree < slots) {
		int rc = tx_reclaim(nf);
		if (rc == 0 && nf->tx_nfree < slots)
			rc = tx_wait(nf, slots);
		if (rc == -ENOBUFS)
			nf->st.tx_no_buffer++;
		if (rc < 0)
			return rc;
	}
	/* ring space: at most ntx <= ring size requests are outstanding, one per busy buffer */
	const uint8_t *src = frame;
	size_t left = len;
	for (uint32_t s = 0; s < slots; s++) {
		uint16_t id = nf->tx_free[--nf->tx_nfree];
		size_t chunk = left < XT_PAGE ? left : XT_PAGE;
		memcpy(nf->txbuf + (size_t)id * XT_PAGE, src, chunk);
		netif_tx_request_t *q = RING_GET_REQUEST(&nf->tx, nf->tx.req_prod_pvt);
		q->gref = nf->tx_refs[id];
		q->offset = 0;
		q->flags = s + 1 < slots ? NETTXF_more_data : 0;
		q->id = id;
		q->size = (uint16_t)(s == 0 ? len : chunk); /* the first slot carries the total */
		nf->tx.req_prod_pvt++;
		nf->tx_busy[id] = true;
		src += chunk;
		left -= chunk;
	}
	nf->st.tx_frames++;
	nf->st.tx_slots += slots;
	if (nf->nobatch || nf->tx.req_prod_pvt - nf->tx_pushed >= NF_TX_PUSH_BATCH)
		tx_push(nf);
	return 0;
}

/* ---- RX -------------------------------------------------------------------------------------- */

static void rx_post(struct netfront *nf, uint16_t id)
{
	netif_rx_request_t *q = RING_GET_REQUEST(&nf->rx, nf->rx.req_prod_pvt);
	q->id = id;
	q->gref = nf->rx_refs[id];
	nf->rx.req_prod_pvt++;
	nf->rx_queued[nf->rx_unpushed++] = id;
}

static void rx_push(struct netfront *nf)
{
	if (!nf->rx_unpushed)
		return;
	int notify;
	for (uint32_t i = 0; i < nf->rx_unpushed; i++)
		nf->rx_posted[nf->rx_queued[i]] = true;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->rx, notify);
	nf->rx_pushed = nf->rx.req_prod_pvt;
	nf->rx_unpushed = 0;
	nf->st.rx_pushes++;
	if (notify || nf->nobatch)
		nf_notify(nf);
}

/* Nothing on the rings: take the notification and look at the control channel (one poll). */
static int nf_idle(struct netfront *nf)
{
	if (!nf->t)
		return 0;
	struct pollfd p[2] = {{.fd = xt_event_fd(nf->t), .events = POLLIN},
			      {.fd = xt_ctl_fd(nf->t), .events = POLLIN}};
	if (poll(p, p[1].fd >= 0 ? 2 : 1, 0) <= 0)
		return 0;
	if (p[0].revents & POLLIN)
		xt_event_ack(nf->t);
	if (p[1].revents) {
		char *err = NULL;
		int rc = xt_ctl_process(nf->t, &err);
		int state = xt_peer_state(nf->t);
		if (rc < 0 || state < 0 || state >= XT_CLOSING) {
			rc = nf_fail(nf, "backend %s (%s)",
				     rc == -ENOTCONN || state >= XT_CLOSING ? "went away"
									    : "broke the handshake",
				     err ? err : xt_state_name(state));
			free(err);
			return rc;
		}
		free(err);
	}
	return 1;
}

/* The next RX response with a frame: 1 (held), 0 none, -EPROTO. */
static int rx_take(struct netfront *nf)
{
	for (;;) {
		RING_IDX prod = __atomic_load_n(&nf->rx.sring->rsp_prod, __ATOMIC_RELAXED);
		RING_IDX cons = nf->rx.rsp_cons;
		if (prod == cons) {
			rx_push(nf); /* going idle: give back every buffer first */
			int more;
			RING_FINAL_CHECK_FOR_RESPONSES(&nf->rx, more);
			if (more)
				continue;
			return 0;
		}
		if (prod - cons > nf->rx_pushed - cons)
			return nf_fail(nf,
				       "rx rsp_prod %" PRIu32 " runs past the %" PRIu32
				       " buffers posted (rsp_cons %" PRIu32 ")",
				       prod, nf->rx_pushed - cons, cons);
		xen_rmb();
		netif_rx_response_t r;
		RING_COPY_RESPONSE(&nf->rx, cons, &r);
		nf->rx.rsp_cons = cons + 1;
		if (r.id >= nf->nrx || !nf->rx_posted[r.id])
			return nf_fail(nf,
				       "rx response id %u is no posted RX buffer (%" PRIu32
				       " buffers)",
				       r.id, nf->nrx);
		nf->rx_posted[r.id] = false;
		if (r.status < 0) {
			if (r.status != NETIF_RSP_ERROR && r.status != NETIF_RSP_DROPPED)
				return nf_fail(nf, "rx response status %d for id %u is unknown",
					       r.status, r.id);
			nf->st.rx_backend_errors++;
			nf->asm_len = nf->asm_slots = 0; /* a frame cut short is dropped */
			rx_post(nf, r.id);
			continue;
		}
		/* we offered feature-sg (frames over several slots), no GSO, no extra info */
		if (r.flags &
		    ~(uint16_t)(NETRXF_data_validated | NETRXF_csum_blank | NETRXF_more_data))
			return nf_fail(nf,
				       "rx response flags 0x%x for id %u: not negotiated "
				       "(only data_validated, csum_blank, more_data)",
				       r.flags, r.id);
		if (r.offset >= XT_PAGE || (uint32_t)r.offset + (uint32_t)r.status > XT_PAGE)
			return nf_fail(nf,
				       "rx response offset %u + status (length) %d for id %u "
				       "leaves the %u-byte page",
				       r.offset, r.status, r.id, XT_PAGE);
		if ((r.flags & NETRXF_more_data) || nf->asm_slots) {
			/* a slot of a multi-slot frame: gathered, the buffer goes back at once */
			if (nf->asm_slots + 1 > NF_MAX_SLOTS ||
			    nf->asm_len + (uint32_t)r.status > NF_MAX_FRAME)
				return nf_fail(nf,
					       "rx frame over more than %u slots or %u bytes "
					       "(id %u)",
					       NF_MAX_SLOTS, NF_MAX_FRAME, r.id);
			memcpy(nf->rxframe + nf->asm_len,
			       nf->rxbuf + (size_t)r.id * XT_PAGE + r.offset, (size_t)r.status);
			nf->asm_len += (uint32_t)r.status;
			nf->asm_slots++;
			rx_post(nf, r.id);
			if (r.flags & NETRXF_more_data)
				continue;
			uint32_t flen = nf->asm_len;
			nf->asm_len = nf->asm_slots = 0;
			if (flen == 0) {
				nf->st.rx_backend_errors++;
				continue;
			}
			nf->held = nf->held_asm = true;
			nf->held_len = flen;
			return 1;
		}
		if (r.status == 0) { /* nothing to deliver */
			nf->st.rx_backend_errors++;
			rx_post(nf, r.id);
			continue;
		}
		if (r.flags & NETRXF_csum_blank)
			nf->st.rx_csum_blank++;
		nf->held = true;
		nf->held_id = r.id;
		nf->held_off = r.offset;
		nf->held_len = (uint32_t)r.status;
		return 1;
	}
}

static int nf_peek(void *priv, uint8_t *buf, size_t cap)
{
	struct netfront *nf = priv;
	if (nf->broken)
		return -ENOTCONN;
	tx_push(nf); /* the end of the model's TX round */
	int rc = tx_reclaim(nf);
	if (rc < 0)
		return rc;
	if (!nf->held) {
		if (nf->rx_unpushed >= nf->rx_batch)
			rx_push(nf);
		rc = rx_take(nf);
		if (rc == 0) {
			rc = nf_idle(nf);
			/* a notification or a key arrived: look once more */
			if (rc > 0 && !nf->broken)
				rc = rx_take(nf);
		}
		if (rc <= 0)
			return rc;
	}
	if (nf->held_len > cap)
		return -EMSGSIZE;
	/* the data (not the response) may be read again if the NIC refused it: only bytes */
	if (nf->held_asm)
		memcpy(buf, nf->rxframe, nf->held_len);
	else
		memcpy(buf, nf->rxbuf + (size_t)nf->held_id * XT_PAGE + nf->held_off, nf->held_len);
	return (int)nf->held_len;
}

static void nf_consumed(void *priv)
{
	struct netfront *nf = priv;
	if (!nf->held || nf->broken)
		return;
	nf->held = false;
	nf->st.rx_frames++;
	if (nf->held_asm) { /* its buffers went back as they were gathered */
		nf->held_asm = false;
		return;
	}
	rx_post(nf, nf->held_id);
	if (nf->rx_unpushed >= nf->rx_batch)
		rx_push(nf);
}

/* Frames the backend has delivered that the NIC has not taken (a hint: not validated). */
static uint64_t nf_pending(const void *priv)
{
	const struct netfront *nf = priv;
	if (nf->broken)
		return 0;
	RING_IDX prod = __atomic_load_n(&nf->rx.sring->rsp_prod, __ATOMIC_RELAXED);
	uint32_t n = prod - nf->rx.rsp_cons;
	return (n > nf->nrx ? 0 : n) + nf->held;
}

static int nf_fd(const void *priv)
{
	return xt_event_fd(((const struct netfront *)priv)->t);
}

/* ---- set-up ---------------------------------------------------------------------------------- */

static int parse_options(struct netfront *nf, struct xt_cfg *cfg, const char *options,
			 bool *mac_set, char **err)
{
	char key[16], val[256];
	size_t pos = 0;
	int rc;
	while ((rc = hvb_config_next(options, &pos, key, sizeof key, val, sizeof val, err)) == 1) {
		uint64_t n;
		if (strcmp(key, "vif") == 0) {
			if (hvb_config_u64(val, 0, 65534, &n))
				return xdrv_err(err, -EINVAL, "option vif=%s: expected 0..65534",
						val);
			nf->vif = (uint32_t)n;
		} else if (strcmp(key, "mac") == 0) {
			if (hvb_config_mac(val, nf->mac))
				return xdrv_err(err, -EINVAL,
						"option mac=%s: expected xx:xx:xx:xx:xx:xx", val);
			*mac_set = true;
		} else if (strcmp(key, "transport") == 0) {
			if (strcmp(val, "xen") != 0 && strcmp(val, "loop") != 0)
				return xdrv_err(err, -EINVAL,
						"option transport=%s: expected xen or loop", val);
			snprintf(nf->transport, sizeof nf->transport, "%s", val);
			cfg->transport = nf->transport;
		} else if (strcmp(key, "socket") == 0) {
			if (!val[0])
				return xdrv_err(err, -EINVAL, "option socket=: empty path");
			snprintf(nf->socket, sizeof nf->socket, "%s", val);
			cfg->socket = nf->socket;
		} else if (strcmp(key, "domid") == 0) {
			if (hvb_config_u64(val, 0, 0x7fef, &n))
				return xdrv_err(err, -EINVAL, "option domid=%s: expected 0..32751",
						val);
			cfg->backend_domid = (uint32_t)n;
		} else if (strcmp(key, "rx") == 0 || strcmp(key, "tx") == 0) {
			uint32_t ring = key[0] == 'r' ? NF_RX_RING : NF_TX_RING;
			if (hvb_config_u64(val, 1, ring, &n))
				return xdrv_err(err, -EINVAL, "option %s=%s: expected 1..%" PRIu32,
						key, val, ring);
			*(key[0] == 'r' ? &nf->nrx : &nf->ntx) = (uint32_t)n;
		} else if (strcmp(key, "timeout") == 0) {
			if (hvb_config_u64(val, 1, 3600000, &n))
				return xdrv_err(err, -EINVAL,
						"option timeout=%s: expected 1..3600000 (ms)", val);
			cfg->timeout_ms = (uint32_t)n;
		} else if (strcmp(key, "batch") == 0) {
			if (hvb_config_u64(val, 0, 1, &n))
				return xdrv_err(err, -EINVAL, "option batch=%s: expected 0 or 1",
						val);
			nf->nobatch = n == 0;
		} else {
			return xdrv_err(err, -EINVAL,
					"option '%s': unknown (known: vif, mac, transport, socket, "
					"domid, rx, tx, timeout, batch)",
					key);
		}
	}
	return rc;
}

static int nf_alloc(struct netfront *nf)
{
	nf->npages = PG_BUFS + nf->nrx + nf->ntx;
	nf->refs = calloc(nf->npages, sizeof *nf->refs);
	nf->rx_posted = calloc(nf->nrx, sizeof *nf->rx_posted);
	nf->rx_queued = calloc(nf->nrx, sizeof *nf->rx_queued);
	nf->tx_busy = calloc(nf->ntx, sizeof *nf->tx_busy);
	nf->tx_free = calloc(nf->ntx, sizeof *nf->tx_free);
	nf->rxframe = malloc(NF_MAX_FRAME);
	if (!nf->refs || !nf->rx_posted || !nf->rx_queued || !nf->tx_busy || !nf->tx_free ||
	    !nf->rxframe)
		return -ENOMEM;
	return 0;
}

/* Lay out the rings and pools in nf->pages, post every RX buffer. */
static void nf_layout(struct netfront *nf)
{
	nf->rx_batch = nf->nobatch || nf->nrx / 4 < 1	? 1
		       : nf->nrx / 4 > NF_RX_PUSH_BATCH ? NF_RX_PUSH_BATCH
							: nf->nrx / 4;
	netif_tx_sring_t *txs = (void *)(nf->pages + PG_TX_RING * XT_PAGE);
	netif_rx_sring_t *rxs = (void *)(nf->pages + PG_RX_RING * XT_PAGE);
	SHARED_RING_INIT(txs);
	SHARED_RING_INIT(rxs);
	FRONT_RING_INIT(&nf->tx, txs, XT_PAGE);
	FRONT_RING_INIT(&nf->rx, rxs, XT_PAGE);
	nf->rxbuf = nf->pages + (size_t)PG_BUFS * XT_PAGE;
	nf->txbuf = nf->rxbuf + (size_t)nf->nrx * XT_PAGE;
	nf->rx_refs = nf->refs + PG_BUFS;
	nf->tx_refs = nf->rx_refs + nf->nrx;
	for (uint32_t i = 0; i < nf->ntx; i++)
		nf->tx_free[i] = (uint16_t)(nf->ntx - 1 - i); /* id 0 first */
	nf->tx_nfree = nf->ntx;
	for (uint32_t i = 0; i < nf->nrx; i++)
		rx_post(nf, (uint16_t)i);
	for (uint32_t i = 0; i < nf->nrx; i++)
		nf->rx_posted[i] = true;
	RING_PUSH_REQUESTS(&nf->rx); /* the backend is not connected: nothing to notify */
	nf->rx_pushed = nf->rx.req_prod_pvt;
	nf->rx_unpushed = 0;
}

/* Share the pages, lay out the rings and pools, post every RX buffer. */
static int nf_share(struct netfront *nf, char **err)
{
	if (nf_alloc(nf) < 0)
		return xdrv_err(err, -ENOMEM, "%s: out of memory", nf->name);
	nf->pages = xt_share(nf->t, nf->npages, nf->refs, err);
	if (!nf->pages)
		return -ENOMEM; /* *err from xt_share */
	nf_layout(nf);
	return 0;
}

static int nf_handshake(struct netfront *nf, char **err)
{
	struct xt *t = nf->t;
	int rc = xt_write(t, "handle", "%" PRIu32, nf->vif);
	if (rc == 0)
		rc = xt_write(t, "mac", "%s", nf->mac_str);
	if (rc < 0)
		return xdrv_err(err, rc, "%s: cannot write its keys", nf->name);
	rc = xt_wait_peer_state(t, XT_INITWAIT, err);
	if (rc < 0)
		return rc;
	uint64_t v;
	rc = xt_read_u64(t, "feature-rx-copy", 0, 1, 0, &v, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (v != 1)
		return xdrv_err(err, -EPROTONOSUPPORT,
				"%s: backend key feature-rx-copy is not 1: only copying receive is "
				"supported",
				nf->name);
	rc = xt_read_u64(t, "feature-sg", 0, 1, 0, &v, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	nf->backend_sg = v == 1;
	rc = nf_share(nf, err);
	if (rc < 0)
		return rc;
	const struct {
		const char *key;
		uint32_t val;
	} keys[] = {
		{"tx-ring-ref", nf->refs[PG_TX_RING]},
		{"rx-ring-ref", nf->refs[PG_RX_RING]},
		{"event-channel", xt_evtchn_port(t)},
		{"request-rx-copy", 1},
		{"feature-rx-notify", 1},
		{"feature-sg", 1}, /* RX frames over several slots (jumbo frames) */
		{"feature-gso-tcpv4", 0},
		{"feature-gso-tcpv6", 0},
		{"feature-no-csum-offload", 1}, /* full checksums in every frame we receive */
		{"feature-ipv6-csum-offload", 0},
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		rc = xt_write(t, keys[i].key, "%" PRIu32, keys[i].val);
		if (rc < 0)
			return xdrv_err(err, rc, "%s: cannot write key %s", nf->name, keys[i].key);
	}
	/* Straight to Connected once the rings are described, as Linux's netfront does: netback
	 * ignores Initialised and connects only when it sees the frontend Connected (with
	 * Initialised it stays in InitWait: seen in the real-Xen stage). */
	rc = xt_set_state(t, XT_CONNECTED, err);
	if (rc == 0)
		rc = xt_wait_peer_state(t, XT_CONNECTED, err);
	return rc;
}

static void nf_destroy(void *priv)
{
	struct netfront *nf = priv;
	if (!nf)
		return;
	if (nf->t && (nf->st.tx_frames || nf->st.rx_frames)) {
		struct xt_stats xs;
		xt_get_stats(nf->t, &xs);
		uint64_t frames = nf->st.tx_frames + nf->st.rx_frames;
		hvb_log("%s: tx %" PRIu64 " frames in %" PRIu64 " pushes, rx %" PRIu64
			" frames, %" PRIu64 " RX re-post pushes; notifications sent %" PRIu64
			", events taken %" PRIu64 ", %.1f notifications per 1000 frames",
			nf->name, nf->st.tx_frames, nf->st.tx_pushes, nf->st.rx_frames,
			nf->st.rx_pushes, xs.notify_sent, xs.events_taken,
			1000.0 * (double)xs.notify_sent / (double)frames);
	}
	/* xt_close ends the grants and the mapping of the shared block with the rest */
	xt_close(nf->t);
	free(nf->refs);
	free(nf->rx_posted);
	free(nf->rx_queued);
	free(nf->tx_busy);
	free(nf->tx_free);
	free(nf->rxframe);
	free(nf);
}

static int nf_create(struct hvb_wire *w, const char *options, void **priv, char **err)
{
	struct netfront *nf = calloc(1, sizeof *nf);
	if (!nf)
		return xdrv_err(err, -ENOMEM, "out of memory");
	nf->w = w;
	nf->nrx = NF_RX_RING;
	nf->ntx = NF_TX_RING;
	struct xt_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	xt_default_get(&cfg);
	bool mac_set = false;
	int rc = parse_options(nf, &cfg, options, &mac_set, err);
	if (rc < 0) {
		free(nf);
		return rc;
	}
	if (!mac_set) {
		const uint8_t m[6] = {0x00,
				      0x16,
				      0x3e,
				      0x00,
				      (uint8_t)((nf->vif + 1) >> 8),
				      (uint8_t)(nf->vif + 1)};
		memcpy(nf->mac, m, 6);
	}
	snprintf(nf->mac_str, sizeof nf->mac_str, "%02x:%02x:%02x:%02x:%02x:%02x", nf->mac[0],
		 nf->mac[1], nf->mac[2], nf->mac[3], nf->mac[4], nf->mac[5]);
	snprintf(nf->handle_str, sizeof nf->handle_str, "%" PRIu32, nf->vif);
	snprintf(nf->name, sizeof nf->name, "%s (vif %" PRIu32 ")", w ? w->name : "netfront",
		 nf->vif);
	cfg.type = "vif";
	cfg.handle = nf->vif;
	cfg.name = nf->name;
	/* on Xen, what the toolstack and the hotplug script would write in the backend's dir */
	const struct xt_kv tool[] = {
		{"handle", nf->handle_str},
		{"mac", nf->mac_str},
		{"type", "vif"},
		{"script", "/bin/true"},
		{"hotplug-status", "connected"},
	};
	memcpy(cfg.tool_keys, tool, sizeof tool);
	rc = xt_open(&cfg, &nf->t, err);
	if (rc == 0) {
		nf->st.connected = true; /* until a failure says otherwise */
		rc = nf_handshake(nf, err);
	}
	if (rc < 0) {
		nf_destroy(nf);
		return rc;
	}
	*priv = nf;
	return 0;
}

int hvb_netfront_get_stats(const struct hvb_wire *w, struct hvb_netfront_stats *out)
{
	if (!w || w->ops != &hvb_wire_netfront_ops || !w->priv)
		return -EINVAL;
	const struct netfront *nf = w->priv;
	*out = nf->st;
	out->tx_in_flight = nf->ntx - nf->tx_nfree;
	struct xt_stats xs;
	xt_get_stats(nf->t, &xs);
	out->notify_sent = xs.notify_sent;
	out->events_taken = xs.events_taken;
	return 0;
}

/*
 * The response handling alone, for tests/fuzz/fuzz_netfront.c: a netfront with no transport
 * (8 RX and 8 TX buffers) whose rings are this process's memory. The input is operations, each
 * a first byte and its arguments (multi-byte values little-endian):
 *   00 n          the NIC transmits a frame of 14 + n * 16 bytes (bytes n: (n & 1) ? 5000)
 *   01 s st       the right TX response to buffer s % 8 if it is in flight, status st % 3 - 2
 *   02 id*2 st*2  a raw TX response
 *   03 s n        the right RX response to buffer s % 8 if it is posted: n bytes at offset 0
 *   04 id*2 off*2 flags*2 st*2   a raw RX response
 *   05 d          publish the TX responses written, rsp_prod moved by (int8_t)d more, reclaim
 *   06 d          publish the RX responses written (likewise) and drain them as the NIC would:
 *                 peek, and take each frame but every fourth (refused, offered again)
 * Stops at the first protocol violation (disconnected). Checks the bookkeeping after each
 * publish (TX: free + in flight = buffers, in flight = requests outstanding; RX: posted +
 * queued + held = buffers, requests outstanding = buffers - held); a mismatch (or no memory for
 * the harness) returns -1, which the target turns into a crash.
 */
static int fuzz_check(const struct netfront *nf)
{
	uint32_t busy = 0, posted = 0;
	for (uint32_t i = 0; i < nf->ntx; i++)
		busy += nf->tx_busy[i];
	for (uint32_t i = 0; i < nf->nrx; i++)
		posted += nf->rx_posted[i];
	if (busy + nf->tx_nfree != nf->ntx || nf->tx.req_prod_pvt - nf->tx.rsp_cons != busy)
		return -1;
	uint32_t held = nf->held && !nf->held_asm; /* a gathered frame holds no buffer */
	if (posted + nf->rx_unpushed + held != nf->nrx ||
	    nf->rx.req_prod_pvt - nf->rx.rsp_cons != nf->nrx - held)
		return -1;
	return 0;
}

int hvb_netfront_fuzz_responses(const uint8_t *data, size_t len)
{
	static struct netfront *nf;
	static uint8_t *frame, *buf;
	if (!nf) {
		nf = calloc(1, sizeof *nf);
		frame = calloc(1, 5000);
		buf = malloc(HVB_WIRE_MAX_FRAME);
		if (!nf || !frame || !buf)
			return -1; /* out of memory: the harness, not an input */
		nf->nrx = nf->ntx = 8;
		nf->backend_sg = true;
		snprintf(nf->name, sizeof nf->name, "netfront fuzz");
		if (nf_alloc(nf) < 0 ||
		    !(nf->pages = aligned_alloc(XT_PAGE, (size_t)nf->npages * XT_PAGE)))
			return -1;
		for (uint32_t i = 0; i < nf->npages; i++)
			nf->refs[i] = i + 1;
	}
	memset(nf->rx_posted, 0, nf->nrx * sizeof *nf->rx_posted);
	memset(nf->tx_busy, 0, nf->ntx * sizeof *nf->tx_busy);
	memset(&nf->st, 0, sizeof nf->st);
	nf->broken = nf->held = nf->held_asm = false;
	nf->asm_len = nf->asm_slots = 0;
	nf->rx_unpushed = 0;
	nf_layout(nf);
	nf->tx_pushed = 0;
	RING_IDX txp = 0, rxp = 0;
	int ret = 0;
	for (size_t i = 0; i < len && !nf->broken && ret == 0;) {
		uint8_t op = data[i++];
		size_t need[] = {1, 2, 4, 2, 8, 1, 1};
		if (op > 6 || i + need[op] > len)
			break;
		const uint8_t *a = data + i;
		i += need[op];
		uint16_t w0 = need[op] >= 2 ? (uint16_t)(a[0] | a[1] << 8) : 0;
		if (op == 0) {
			nf_tx(nf, frame, (a[0] & 1) ? 5000 : 14 + (size_t)a[0] * 16);
		} else if (op == 1 && nf->tx_busy[a[0] % 8]) {
			netif_tx_response_t *r = RING_GET_RESPONSE(&nf->tx, txp++);
			r->id = a[0] % 8;
			r->status = (int16_t)(a[1] % 3 - 2);
		} else if (op == 2) {
			netif_tx_response_t *r = RING_GET_RESPONSE(&nf->tx, txp++);
			r->id = w0;
			r->status = (int16_t)(a[2] | a[3] << 8);
		} else if (op == 3 && nf->rx_posted[a[0] % 8]) {
			netif_rx_response_t *r = RING_GET_RESPONSE(&nf->rx, rxp++);
			*r = (netif_rx_response_t){.id = a[0] % 8, .status = a[1]};
		} else if (op == 4) {
			netif_rx_response_t *r = RING_GET_RESPONSE(&nf->rx, rxp++);
			r->id = w0;
			r->offset = (uint16_t)(a[2] | a[3] << 8);
			r->flags = (uint16_t)(a[4] | a[5] << 8);
			r->status = (int16_t)(a[6] | a[7] << 8);
		} else if (op == 5) {
			tx_push(nf);
			__atomic_store_n(&nf->tx.sring->rsp_prod, txp + (RING_IDX)(int8_t)a[0],
					 __ATOMIC_RELEASE);
			tx_reclaim(nf);
			txp = nf->tx.rsp_cons > txp ? nf->tx.rsp_cons : txp;
			ret = nf->broken ? 0 : fuzz_check(nf);
		} else if (op == 6) {
			__atomic_store_n(&nf->rx.sring->rsp_prod, rxp + (RING_IDX)(int8_t)a[0],
					 __ATOMIC_RELEASE);
			for (int k = 1; k < 64; k++) {
				int n = nf_peek(nf, buf, HVB_WIRE_MAX_FRAME);
				if (n <= 0)
					break;
				if (k % 4)
					nf_consumed(nf);
			}
			rxp = nf->rx.rsp_cons > rxp ? nf->rx.rsp_cons : rxp;
			ret = nf->broken ? 0 : fuzz_check(nf);
		}
	}
	return ret;
}

#else /* no Xen headers (a cross build for an architecture Xen does not run on): listed, refuses   \
       */

static int nf_create(struct hvb_wire *w, const char *options, void **priv, char **err)
{
	(void)w, (void)options, (void)priv;
	return xdrv_err(err, -ENOTSUP,
			"netfront: not built (this build had no Xen headers: libxen-dev)");
}
static void nf_destroy(void *priv)
{
	(void)priv;
}
static int nf_tx(void *priv, const void *frame, size_t len)
{
	(void)priv, (void)frame, (void)len;
	return -ENOTCONN;
}
static int nf_peek(void *priv, uint8_t *buf, size_t cap)
{
	(void)priv, (void)buf, (void)cap;
	return 0;
}
static void nf_consumed(void *priv)
{
	(void)priv;
}
static uint64_t nf_pending(const void *priv)
{
	(void)priv;
	return 0;
}
static int nf_fd(const void *priv)
{
	(void)priv;
	return -1;
}
int hvb_netfront_get_stats(const struct hvb_wire *w, struct hvb_netfront_stats *out)
{
	(void)w, (void)out;
	return -EINVAL;
}
int hvb_netfront_fuzz_responses(const uint8_t *data, size_t len)
{
	(void)data, (void)len;
	return 0;
}
#endif

const struct hvb_wire_ops hvb_wire_netfront_ops = {
	.name = "netfront",
	.description = "Xen netif frontend (split-driver rings) on the xen or loop transport",
	.create = nf_create,
	.destroy = nf_destroy,
	.tx = nf_tx,
	.peek = nf_peek,
	.consumed = nf_consumed,
	.pending = nf_pending,
	.fd = nf_fd,
};
