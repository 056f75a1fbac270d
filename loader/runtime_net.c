// SPDX-License-Identifier: MIT
/*
 * The network device class, both sides: the ABI a NIC driver calls (register, rx, tx_complete,
 * NAPI scheduling, flow control, packets) and the host API (open/stop, transmit, a receive
 * callback, statistics, link state).
 *
 * Packets are host objects. A packet has a handle only while the driver owns it: from the
 * host's call to xmit until xdrv_net_tx_complete, or from xdrv_pkt_alloc until xdrv_net_rx or
 * xdrv_pkt_free. A frame the host cannot hand over yet (queue stopped, or the driver is busy in
 * another entry point) waits in a host-side backlog, drained by ldr_driver_dispatch.
 *
 * Receive is batched: what a NAPI poll hands over with xdrv_net_rx waits in the netdev's rx
 * batch and reaches the host's callback in one call after the poll returned (a per-frame
 * callback gets one call each, still after the poll). ABI 1.1 receive buffer pools
 * (xdrv_rxpool_*) go further: buffers mapped once, delivered a poll at a time straight from
 * the pool to the callback, no packet object or mapping per frame.
 *
 * Packet extensions (xdrv/net_ext.h, runtime_ext.c) run at two points: the RX chain over each
 * received frame before the host's callback (rx_flush, xdrv_rxpool_deliver), the TX chain over
 * each frame the host sends before the driver's xmit (ldr_net_xmit). The transmit backlog has
 * one queue per class, served by strict priority; without extensions every frame is class 0
 * and it is the single FIFO it always was.
 */
#include "runtime_priv.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/ext.h>
#include <xdrv/net_ext.h>
#include <xdrv/util.h>

#define NAPI_BUDGET 64u
/* Polls per netdev per dispatch round: bounds how long one busy interface holds the host
 * before interrupts and other interfaces get their turn. */
#define NAPI_ROUNDS_MAX 64u
/* Frames waiting for a stopped queue, per class; more are dropped (as a qdisc would). */
#define BACKLOG_MAX LDR_NET_CLASS_BACKLOG
/* Frames per call of the host's receive callback (and packets an rx batch holds). */
#define RX_BATCH 64u
_Static_assert(RX_BATCH <= LDR_NET_EXT_BATCH, "a poll's batch fits the extension chain's");

enum pkt_state { PKT_TX = 1, PKT_RX };

struct ldr_pkt {
	struct ldr_obj o;
	struct ldr_netdev *nd;
	uint32_t state; /* enum pkt_state */
	uint32_t len, cap, nfrags;
	struct {
		uint8_t *p;
		uint32_t len;
	} frag[XDRV_PKT_MAX_FRAGS];
	struct xdrv_pkt_csum csum;
	struct ldr_pkt *next; /* backlog, or the driver's pool */
	uint8_t *buf;
	uint32_t bufcap; /* bytes at buf (cap is what was asked for) */
	uint32_t rx_csum;
	bool seen;   /* the driver held it (its bytes are the driver's to see) */
	uint8_t cls; /* transmit class (XDRV_EXT_CLASS), 0 unless an extension set one */
};

/* An ABI 1.1 receive buffer pool: count buffers of stride bytes in one allocation, one
 * FROM_DEVICE mapping of all of it for the pool's lifetime. */
struct ldr_rxpool {
	struct ldr_obj o;
	struct ldr_netdev *nd;
	struct ldr_rxpool *next; /* the netdev's pools */
	uint8_t *mem;
	uint64_t size, bus;
	uint32_t count, buf_size, stride;
};

struct ldr_netdev {
	struct ldr_obj o;
	uint32_t index;
	bool registered, open, napi, tx_stopped;
	struct xdrv_net_ops ops; /* the driver's table, copied at register */
	uint8_t mac[XDRV_ETH_ALEN];
	void *priv;
	uint32_t link_up, speed, duplex;
	uint32_t tx_frag;
	void (*rx_cb)(void *ctx, const uint8_t *frame, size_t len, uint32_t csum_flags);
	void (*rx_batch_cb)(void *ctx, const struct ldr_net_frame *frames, size_t n);
	void *rx_ctx;
	/* the transmit backlog: one FIFO per class, strict priority (class 0 first) */
	struct {
		struct ldr_pkt *head, *tail;
		uint32_t len;
	} bl[XDRV_EXT_CLASSES];
	uint32_t bl_total;
	uint64_t cls_sent[XDRV_EXT_CLASSES], cls_dropped[XDRV_EXT_CLASSES];
	struct ldr_net_ext *ext; /* extension chains (runtime_ext.c); NULL: none ever attached */
	uint8_t *ext_copy;	 /* pool frames copied for the RX chain (a pool buffer is never */
	size_t ext_copy_cap;	 /* written by the host: ABI 1.1) */
	/* frames of the running poll (xdrv_net_rx), handed to the host when it returns */
	bool in_poll;
	uint32_t rxb_n;
	struct ldr_pkt *rxb[RX_BATCH];
	struct ldr_rxpool *pools;
	uint32_t npools;
	/* live update: closed to the host while the driver's transmits finish (was open), and
	 * the host frames refused meanwhile */
	bool quiesced;
	uint32_t quiesce_refused;
};

/* ---- packets -------------------------------------------------------------------------------- */

/*
 * Packets of up to LDR_PKT_POOL_BUF bytes (every frame without TSO) come from the driver's pool
 * and go back to it: one malloc and free per frame was 13.7 % of a 64-byte RX frame's time.
 * The pool is bounded (LDR_PKT_POOL_MAX free packets; more are freed) and emptied at unbind.
 * It holds only packets nobody owns: a driver that keeps packets does not drain it but runs
 * into LDR_PKTS_MAX (pkt_give), which refuses the packet and logs why.
 */
/* The packet-extension chains' entry points (runtime_ext.c), handed over when an interface's
 * chains are first made; used only while nd->ext is set. */
static const struct ldr_net_ext_hooks *ext_hooks;

void ldr_netdev_set_ext_hooks(const struct ldr_net_ext_hooks *hooks)
{
	ext_hooks = hooks;
}

static struct ldr_pkt *pkt_new(struct ldr_netdev *nd, uint32_t size)
{
	struct ldr_driver *drv = nd->o.drv;
	struct ldr_pkt *p = NULL;
	uint8_t *buf = NULL;
	uint32_t bufcap = size;
	if (size <= LDR_PKT_POOL_BUF && drv->pkt_pool) {
		p = drv->pkt_pool;
		drv->pkt_pool = p->next;
		drv->pkt_pool_n--;
		buf = p->buf;
		bufcap = p->bufcap;
		memset(p, 0, sizeof *p);
	} else {
		if (size <= LDR_PKT_POOL_BUF)
			bufcap = LDR_PKT_POOL_BUF;
		p = calloc(1, sizeof *p);
		buf = p ? calloc(1, bufcap) : NULL; /* zeroed once, at birth: see pkt_destroy */
		if (!buf) {
			free(p);
			return NULL;
		}
	}
	p->buf = buf;
	p->bufcap = bufcap;
	p->o.drv = drv;
	p->nd = nd;
	p->cap = size;
	return p;
}

/* Hand a packet to the driver: it gets a handle and counts against the driver's limit. */
static int pkt_give(struct ldr_pkt *p)
{
	struct ldr_driver *drv = p->o.drv;
	if (drv->pkts >= LDR_PKTS_MAX)
		return -ENOSPC;
	int rc = ldr_handle_new(LDR_H_PKT, &p->o);
	if (rc == 0) {
		drv->pkts++;
		p->seen = true;
	}
	return rc;
}

/* Take a packet back from the driver (its handle becomes stale). */
static void pkt_take(struct ldr_pkt *p)
{
	if (p->o.handle) {
		ldr_handle_drop(LDR_H_PKT, &p->o);
		p->o.drv->pkts--;
	}
}

/*
 * What a pooled buffer may hold when xdrv_pkt_alloc hands it out again, unzeroed (zeroing each
 * 1,536-byte receive buffer was 5 % of a 64-byte frame's time): every byte is zero (buffers are
 * born zeroed) or was the driver's to see already, because the pool is the driver's own (never
 * shared with another driver, freed at unbind) and every packet in it was either held by the
 * driver (a receive buffer it filled, a frame it was given to transmit: `seen`) or is a host
 * frame it never got (a backlog dropped at stop, a transmit refused before xmit), which is
 * scrubbed here before it joins the pool. Host frames the driver did get were meant for its
 * device anyway.
 */
static void pkt_destroy(struct ldr_pkt *p)
{
	pkt_take(p);
	struct ldr_driver *drv = p->o.drv;
	if (p->bufcap == LDR_PKT_POOL_BUF && drv->pkt_pool_n < LDR_PKT_POOL_MAX) {
		if (!p->seen)
			memset(p->buf, 0, p->len < p->bufcap ? p->len : p->bufcap);
		p->next = drv->pkt_pool;
		drv->pkt_pool = p;
		drv->pkt_pool_n++;
		return;
	}
	free(p->buf);
	free(p);
}

static struct ldr_pkt *pkt_get(xdrv_pkt_t *pkt, const char *fn)
{
	return (struct ldr_pkt *)ldr_resolve(LDR_H_PKT, pkt, fn);
}

static struct ldr_netdev *nd_get(xdrv_netdev_t *nd, const char *fn)
{
	return (struct ldr_netdev *)ldr_resolve(LDR_H_NETDEV, nd, fn);
}

xdrv_pkt_t *xdrv_pkt_alloc(xdrv_netdev_t *ndh, uint32_t size)
{
	struct ldr_netdev *nd = nd_get(ndh, "xdrv_pkt_alloc");
	if (!nd)
		return NULL;
	if (size == 0 || size > LDR_PKT_SIZE_MAX) {
		ldr_rt_log(nd->o.drv, XDRV_LOG_WARN, "xdrv_pkt_alloc: size %u outside 1..%u", size,
			   LDR_PKT_SIZE_MAX);
		return NULL;
	}
	struct ldr_pkt *p = pkt_new(nd, size);
	if (!p)
		return NULL;
	/* no memset: a recycled buffer holds only zeros or bytes the driver saw (pkt_destroy) */
	p->state = PKT_RX;
	p->len = size;
	p->nfrags = 1;
	p->frag[0].p = p->buf;
	p->frag[0].len = size;
	if (pkt_give(p) != 0) {
		ldr_rt_log(nd->o.drv, XDRV_LOG_WARN,
			   "xdrv_pkt_alloc: the driver holds %u packets already", LDR_PKTS_MAX);
		pkt_destroy(p);
		return NULL;
	}
	return ldr_h2p(p->o.handle);
}

void xdrv_pkt_free(xdrv_pkt_t *pkt)
{
	if (!pkt)
		return;
	struct ldr_pkt *p = pkt_get(pkt, "xdrv_pkt_free");
	if (p)
		pkt_destroy(p);
}

uint32_t xdrv_pkt_len(xdrv_pkt_t *pkt)
{
	struct ldr_pkt *p = pkt_get(pkt, "xdrv_pkt_len");
	return p ? p->len : 0;
}

uint32_t xdrv_pkt_frag_count(xdrv_pkt_t *pkt)
{
	struct ldr_pkt *p = pkt_get(pkt, "xdrv_pkt_frag_count");
	return p ? p->nfrags : 0;
}

void *xdrv_pkt_frag(xdrv_pkt_t *pkt, uint32_t index, uint32_t *len)
{
	struct ldr_pkt *p = pkt_get(pkt, "xdrv_pkt_frag");
	if (!p)
		return NULL;
	if (index >= p->nfrags) {
		ldr_rt_log(p->o.drv, XDRV_LOG_WARN, "xdrv_pkt_frag: no fragment %u (packet has %u)",
			   index, p->nfrags);
		return NULL;
	}
	if (len)
		*len = p->frag[index].len;
	return p->frag[index].p;
}

int32_t xdrv_pkt_csum(xdrv_pkt_t *pkt, struct xdrv_pkt_csum *csum)
{
	struct ldr_pkt *p = pkt_get(pkt, "xdrv_pkt_csum");
	if (!p || !csum)
		return XDRV_EINVAL;
	memcpy(csum, &p->csum, sizeof *csum);
	return XDRV_OK;
}

int32_t xdrv_pkt_set_len(xdrv_pkt_t *pkt, uint32_t len)
{
	struct ldr_pkt *p = pkt_get(pkt, "xdrv_pkt_set_len");
	if (!p)
		return XDRV_EINVAL;
	if (p->state != PKT_RX || p->nfrags != 1 || len > p->cap) {
		ldr_rt_log(p->o.drv, XDRV_LOG_WARN,
			   "xdrv_pkt_set_len: %u on a packet that is not an allocated one of at "
			   "least that size (%u)",
			   len, p->cap);
		return XDRV_EINVAL;
	}
	p->len = len;
	p->frag[0].len = len;
	return XDRV_OK;
}

/* ---- receive: batches to the host ------------------------------------------------------------ */

static int tx_queue(struct ldr_netdev *nd, struct ldr_pkt *p);

/* An RX extension's TX verdict: the received packet (the host's) is sent back out of the same
 * interface, class 0, without the TX chain (net_ext.h). */
static void rx_bounce(struct ldr_netdev *nd, struct ldr_pkt *p)
{
	if (!nd->open) {
		ext_hooks->bounce_lost(nd);
		pkt_destroy(p);
		return;
	}
	p->state = PKT_TX;
	p->nfrags = 1;
	p->frag[0].p = p->buf;
	p->frag[0].len = p->len;
	memset(&p->csum, 0, sizeof p->csum);
	p->cls = 0;
	p->next = NULL;
	if (tx_queue(nd, p) != 0)
		ext_hooks->bounce_lost(nd);
}

/* A bounced frame that lives in a receive pool's buffer: copied into a packet first. */
static void rx_bounce_copy(struct ldr_netdev *nd, const uint8_t *data, uint32_t len)
{
	struct ldr_pkt *p = nd->open ? pkt_new(nd, len) : NULL;
	if (!p) {
		ext_hooks->bounce_lost(nd);
		return;
	}
	memcpy(p->buf, data, len);
	p->len = len;
	rx_bounce(nd, p);
}

/* Hand `n` frames to the host's callback: the batch one, or the per-frame one in a loop. */
static void rx_to_host(struct ldr_netdev *nd, const struct ldr_net_frame *f, size_t n)
{
	if (!n)
		return;
	if (nd->rx_batch_cb) {
		nd->rx_batch_cb(nd->rx_ctx, f, n);
		return;
	}
	for (size_t i = 0; nd->rx_cb && i < n; i++)
		nd->rx_cb(nd->rx_ctx, f[i].data, f[i].len, f[i].csum_flags);
}

/* Deliver the packets of the rx batch (the host owns them already) and recycle them. The
 * batch is emptied before the callback runs, which may re-enter the runtime. */
static void rx_flush(struct ldr_netdev *nd)
{
	uint32_t n = nd->rxb_n;
	if (!n)
		return;
	struct ldr_pkt *pk[RX_BATCH];
	struct ldr_net_frame f[RX_BATCH];
	memcpy(pk, nd->rxb, n * sizeof pk[0]);
	nd->rxb_n = 0;
	uint32_t k = 0;
	int vd[RX_BATCH];
	if (nd->ext) { /* the RX chain over the batch, one clock reading for it */
		uint8_t *fp[RX_BATCH];
		uint32_t fl[RX_BATCH], at[RX_BATCH], m = 0;
		int v[RX_BATCH];
		for (uint32_t i = 0; i < n; i++) {
			vd[i] = XDRV_EXT_DROP; /* empty frames: not delivered */
			if (pk[i]->len) {
				at[m] = i;
				fp[m] = pk[i]->buf;
				fl[m++] = pk[i]->len;
			}
		}
		ext_hooks->rx_batch(nd, fp, fl, m, xdrv_now_ns(), NULL, 0, v);
		for (uint32_t j = 0; j < m; j++) {
			/* at[0..m) was set above */
			// cppcheck-suppress uninitvar
			vd[at[j]] = v[j];
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		if (!pk[i]->len)
			continue;
		if (nd->ext) {
			int v = vd[i];
			if (v == XDRV_EXT_TX) {
				rx_bounce(nd, pk[i]); /* the packet goes to the transmit path */
				pk[i] = NULL;
			}
			if (v != XDRV_EXT_PASS)
				continue;
		}
		f[k++] = (struct ldr_net_frame){
			.data = pk[i]->buf, .len = pk[i]->len, .csum_flags = pk[i]->rx_csum};
	}
	rx_to_host(nd, f, k);
	for (uint32_t i = 0; i < n; i++)
		if (pk[i])
			pkt_destroy(pk[i]);
}

/* Drop what the rx batch holds (unregister, unbind). */
static void rx_drop(struct ldr_netdev *nd)
{
	while (nd->rxb_n)
		pkt_destroy(nd->rxb[--nd->rxb_n]);
}

/* ---- receive buffer pools (ABI 1.1) ------------------------------------------------------------
 */

static struct ldr_rxpool *pool_get(xdrv_rxpool_t *pool, const char *fn)
{
	return (struct ldr_rxpool *)ldr_resolve(LDR_H_RXPOOL, pool, fn);
}

/* Unmap (the device can no longer write there) before freeing. */
static void pool_release(struct ldr_rxpool *rp, struct ldr_unbind_report *rep)
{
	struct ldr_driver *drv = rp->o.drv;
	ldr_handle_drop(LDR_H_RXPOOL, &rp->o);
	hvb_dma_unmap(drv->hdev, rp->bus, rp->size);
	drv->dma_bytes -= rp->size;
	drv->rxpools--;
	if (rep) {
		rep->dma_maps++;
		rep->dma_bytes += rp->size;
	}
	free(rp->mem);
	free(rp);
}

xdrv_rxpool_t *xdrv_rxpool_create(xdrv_netdev_t *ndh, uint32_t count, uint32_t buf_size)
{
	struct ldr_netdev *nd = nd_get(ndh, "xdrv_rxpool_create");
	if (!nd)
		return NULL;
	struct ldr_driver *drv = nd->o.drv;
	if (count == 0 || count > XDRV_RXPOOL_MAX_BUFS || buf_size == 0 ||
	    buf_size > XDRV_RXPOOL_MAX_BUF) {
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "xdrv_rxpool_create: %u buffers of %u bytes (allowed: 1..%u of 1..%u)",
			   count, buf_size, XDRV_RXPOOL_MAX_BUFS, XDRV_RXPOOL_MAX_BUF);
		return NULL;
	}
	/* buffers on cache-line boundaries; the whole pool page-aligned */
	uint32_t stride = (buf_size + 63u) & ~63u;
	uint64_t size = ((uint64_t)count * stride + 4095u) & ~(uint64_t)4095u;
	if (nd->npools >= LDR_RXPOOLS_MAX || size > LDR_DMA_CAP - drv->dma_bytes) {
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "xdrv_rxpool_create: over the driver's limits (%u pools per interface, "
			   "%llu MiB of DMA)",
			   LDR_RXPOOLS_MAX, LDR_DMA_CAP >> 20);
		return NULL;
	}
	struct ldr_rxpool *rp = calloc(1, sizeof *rp);
	uint8_t *mem = rp ? aligned_alloc(4096, (size_t)size) : NULL;
	char *err = NULL;
	if (!mem)
		goto out_free;
	memset(mem, 0, (size_t)size); /* the only time: see ABI.md, "ABI 1.1" */
	/* HVB_DMA_STABLE: the runtime frees this memory only after the unmap */
	if (hvb_dma_map(drv->hdev, mem, size, XDRV_DMA_FROM_DEVICE | HVB_DMA_STABLE, &rp->bus,
			&err) != 0) {
		ldr_rt_log(drv, XDRV_LOG_WARN, "xdrv_rxpool_create: %s",
			   err ? err : "mapping failed");
		goto out_free;
	}
	rp->o.drv = drv;
	rp->nd = nd;
	rp->mem = mem;
	rp->size = size;
	rp->count = count;
	rp->buf_size = buf_size;
	rp->stride = stride;
	if (ldr_handle_new(LDR_H_RXPOOL, &rp->o) != 0) {
		hvb_dma_unmap(drv->hdev, rp->bus, size);
		goto out_free;
	}
	drv->dma_bytes += size;
	drv->rxpools++;
	rp->next = nd->pools;
	nd->pools = rp;
	nd->npools++;
	return ldr_h2p(rp->o.handle);
out_free:
	free(err);
	free(mem);
	free(rp);
	return NULL;
}

void *xdrv_rxpool_buf(xdrv_rxpool_t *pool, uint32_t index, uint64_t *bus_addr)
{
	struct ldr_rxpool *rp = pool_get(pool, "xdrv_rxpool_buf");
	if (!rp)
		return NULL;
	if (index >= rp->count) {
		ldr_rt_log(rp->o.drv, XDRV_LOG_WARN, "xdrv_rxpool_buf: no buffer %u (pool has %u)",
			   index, rp->count);
		return NULL;
	}
	if (bus_addr)
		*bus_addr = rp->bus + (uint64_t)index * rp->stride;
	return rp->mem + (size_t)index * rp->stride;
}

int32_t xdrv_rxpool_deliver(xdrv_rxpool_t *pool, const struct xdrv_rx_frame *frames, uint32_t n)
{
	struct ldr_rxpool *rp = pool_get(pool, "xdrv_rxpool_deliver");
	if (!rp)
		return XDRV_EINVAL;
	struct ldr_driver *drv = rp->o.drv;
	struct ldr_netdev *nd = rp->nd;
	if (!frames || n > rp->count) {
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "xdrv_rxpool_deliver: %s (%u frames, the pool has %u buffers)",
			   frames ? "more frames than buffers" : "NULL frames", n, rp->count);
		return XDRV_EINVAL;
	}
	/* the device's writes before the CPU's reads, as xdrv_dma_sync_for_cpu (runtime_device.c)
	 */
	if (hvb_dma_in_process(drv->hdev))
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
	rx_flush(nd); /* frames the driver handed over before, in order */
	struct ldr_net_frame f[RX_BATCH];
	uint32_t done = 0;
	for (uint32_t i = 0; i < n;) {
		/* the next batch of valid frames */
		uint8_t *data[RX_BATCH];
		uint32_t len[RX_BATCH], csum[RX_BATCH], m = 0;
		int vd[RX_BATCH];
		for (; i < n && m < RX_BATCH; i++) {
			struct xdrv_rx_frame fr;
			memcpy(&fr, &frames[i], sizeof fr);
			if (fr.buf >= rp->count || fr.len == 0 || fr.len > rp->buf_size ||
			    fr.reserved) {
				ldr_rt_log(
					drv, XDRV_LOG_WARN,
					"xdrv_rxpool_deliver: frame %u refused (buffer %u of %u, "
					"len %u of at most %u, reserved 0x%x)",
					i, fr.buf, rp->count, fr.len, rp->buf_size, fr.reserved);
				continue;
			}
			data[m] = rp->mem + (size_t)fr.buf * rp->stride;
			len[m] = fr.len;
			csum[m++] = fr.csum_flags;
		}
		/* an RX chain may rewrite frames, and the host never writes a pool buffer: an
		 * extension that may write (and whatever follows it in the chain) gets a copy, in
		 * one batch of buffers kept for the interface; extensions before the first writer
		 * run over the pool's buffers. Checked for each batch: the host's callback may
		 * attach one. */
		bool chain = m && nd->ext && ext_hooks->rx_active(nd);
		size_t need = (size_t)RX_BATCH * rp->stride;
		if (chain && nd->ext_copy_cap < need) {
			uint8_t *b = realloc(nd->ext_copy, need);
			if (!b) {
				ldr_rt_log(drv, XDRV_LOG_WARN,
					   "net%u: no memory to copy pool frames for the "
					   "extensions: %u frames dropped",
					   nd->index, n - done);
				return (int32_t)done;
			}
			nd->ext_copy = b;
			nd->ext_copy_cap = need;
		}
		if (chain)
			ext_hooks->rx_batch(nd, data, len, m, xdrv_now_ns(), nd->ext_copy,
					    rp->stride, vd);
		uint32_t k = 0;
		for (uint32_t j = 0; j < m; j++) {
			if (chain && vd[j] != XDRV_EXT_PASS) {
				if (vd[j] == XDRV_EXT_TX)
					rx_bounce_copy(nd, data[j], len[j]);
				done++; /* taken: the host's verdict, not the driver's drop */
				continue;
			}
			f[k++] = (struct ldr_net_frame){
				.data = data[j], .len = len[j], .csum_flags = csum[j]};
		}
		rx_to_host(nd, f, k);
		done += k;
	}
	return (int32_t)done;
}

void xdrv_rxpool_destroy(xdrv_rxpool_t *pool)
{
	struct ldr_rxpool *rp = pool_get(pool, "xdrv_rxpool_destroy");
	if (!rp)
		return;
	struct ldr_netdev *nd = rp->nd;
	for (struct ldr_rxpool **pp = &nd->pools; *pp; pp = &(*pp)->next) {
		if (*pp == rp) {
			*pp = rp->next;
			nd->npools--;
			break;
		}
	}
	pool_release(rp, NULL);
}

static void pools_release(struct ldr_netdev *nd, struct ldr_unbind_report *rep)
{
	while (nd->pools) {
		struct ldr_rxpool *rp = nd->pools;
		nd->pools = rp->next;
		pool_release(rp, rep);
	}
	nd->npools = 0;
}

/* ---- driver side of the class ---------------------------------------------------------------- */

xdrv_netdev_t *xdrv_net_register(xdrv_device_t *dev, const struct xdrv_net_ops *ops,
				 const uint8_t *mac, void *priv)
{
	struct ldr_obj *d = ldr_resolve(LDR_H_DEVICE, dev, "xdrv_net_register");
	if (!d)
		return NULL;
	struct ldr_driver *drv = d->drv;
	if (!ops || !mac) {
		ldr_rt_log(drv, XDRV_LOG_WARN, "xdrv_net_register: NULL %s", ops ? "mac" : "ops");
		return NULL;
	}
	struct xdrv_net_ops o;
	memset(&o, 0, sizeof o);
	uint32_t sz = ops->struct_size;
	if (sz < offsetof(struct xdrv_net_ops, poll) || sz > 4096) {
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "xdrv_net_register: ops struct_size %u not plausible", sz);
		return NULL;
	}
	memcpy(&o, ops, sz < sizeof o ? sz : sizeof o);
	if (!o.xmit) {
		ldr_rt_log(drv, XDRV_LOG_WARN, "xdrv_net_register: ops without xmit");
		return NULL;
	}
	uint32_t i = 0;
	while (i < LDR_MAX_NETDEVS && drv->net[i] && drv->net[i]->registered)
		i++;
	if (i == LDR_MAX_NETDEVS) {
		ldr_rt_log(drv, XDRV_LOG_WARN,
			   "xdrv_net_register: at most %u interfaces per device", LDR_MAX_NETDEVS);
		return NULL;
	}
	/* a slot's object is reused, never freed before unbind: the host may hold its pointer;
	 * during a live update the slot's interface is the one the removed driver had */
	struct ldr_netdev *nd = drv->net[i];
	bool held = !nd && drv->hold && drv->hold->net[i];
	if (held) {
		nd = drv->hold->net[i];
		drv->hold->net[i] = NULL;
	} else if (!nd) {
		nd = calloc(1, sizeof *nd);
	}
	if (!nd)
		return NULL;
	/* what the host set on this slot (receive callback, fragmenting) survives re-registration
	 */
	void (*rx_cb)(void *, const uint8_t *, size_t, uint32_t) = nd->rx_cb;
	void (*rx_batch_cb)(void *, const struct ldr_net_frame *, size_t) = nd->rx_batch_cb;
	void *rx_ctx = nd->rx_ctx;
	uint32_t tx_frag = nd->tx_frag;
	/* and a held interface keeps its extension chains and class counters */
	struct ldr_net_ext *ext = held ? nd->ext : NULL;
	uint8_t *ext_copy = held ? nd->ext_copy : NULL;
	size_t ext_copy_cap = held ? nd->ext_copy_cap : 0;
	uint64_t cls_sent[XDRV_EXT_CLASSES], cls_dropped[XDRV_EXT_CLASSES];
	memcpy(cls_sent, nd->cls_sent, sizeof cls_sent);
	memcpy(cls_dropped, nd->cls_dropped, sizeof cls_dropped);
	memset(nd, 0, sizeof *nd);
	nd->rx_cb = rx_cb;
	nd->rx_batch_cb = rx_batch_cb;
	nd->rx_ctx = rx_ctx;
	nd->tx_frag = tx_frag;
	if (held) {
		nd->ext = ext;
		nd->ext_copy = ext_copy;
		nd->ext_copy_cap = ext_copy_cap;
		memcpy(nd->cls_sent, cls_sent, sizeof cls_sent);
		memcpy(nd->cls_dropped, cls_dropped, sizeof cls_dropped);
	}
	nd->o.drv = drv;
	nd->index = i;
	nd->ops = o;
	memcpy(nd->mac, mac, XDRV_ETH_ALEN);
	nd->priv = priv;
	drv->net[i] = nd;
	if (ldr_handle_new(LDR_H_NETDEV, &nd->o) != 0)
		return NULL;
	nd->registered = true;
	return ldr_h2p(nd->o.handle);
}

static void backlog_flush(struct ldr_netdev *nd)
{
	for (uint32_t c = 0; c < XDRV_EXT_CLASSES; c++) {
		while (nd->bl[c].head) {
			struct ldr_pkt *p = nd->bl[c].head;
			nd->bl[c].head = p->next;
			pkt_destroy(p);
		}
		nd->bl[c].tail = NULL;
		nd->bl[c].len = 0;
	}
	nd->bl_total = 0;
}

struct pkt_release {
	struct ldr_netdev *nd; /* NULL: every packet of the driver */
	uint32_t count;
	uint32_t tx; /* of which host frames given to the driver's xmit */
};

static void release_pkt(struct ldr_obj *o, void *ctx)
{
	struct pkt_release *r = ctx;
	struct ldr_pkt *p = (struct ldr_pkt *)o;
	if (r->nd && p->nd != r->nd)
		return;
	r->count++;
	r->tx += p->state == PKT_TX;
	pkt_destroy(p);
}

/* Live update: detach a registered interface from its removed (or failed) driver into the
 * driver's hold. What the driver held of it is released and the frames that were still on
 * their way out are counted as dropped; what the host set (receive callback, fragmenting),
 * the extension chains and the class counters stay with the object for the next driver. */
static void nd_hold(struct ldr_netdev *nd, struct ldr_unbind_report *rep)
{
	struct ldr_driver *drv = nd->o.drv;
	struct ldr_hold *h = drv->hold;
	struct pkt_release r = {.nd = nd};
	ldr_handle_foreach(LDR_H_PKT, drv, release_pkt, &r);
	h->frames_dropped += r.tx + nd->bl_total + nd->rxb_n + nd->quiesce_refused;
	backlog_flush(nd);
	rx_drop(nd);
	pools_release(nd, rep);
	ldr_handle_drop(LDR_H_NETDEV, &nd->o);
	h->was_open[nd->index] |= nd->open || nd->quiesced;
	nd->registered = nd->open = nd->napi = nd->tx_stopped = nd->in_poll = false;
	nd->o.drv = NULL;
	nd->ops = (struct xdrv_net_ops){0};
	nd->priv = NULL;
	drv->net[nd->index] = NULL;
	h->net[nd->index] = nd;
}

static void count_tx(struct ldr_obj *o, void *ctx)
{
	*(uint32_t *)ctx += ((struct ldr_pkt *)o)->state == PKT_TX;
}

uint32_t ldr_net_in_flight(struct ldr_driver *drv)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < LDR_MAX_NETDEVS; i++) {
		const struct ldr_netdev *nd = drv->net[i];
		if (nd && nd->registered)
			n += nd->rxb_n;
	}
	ldr_handle_foreach(LDR_H_PKT, drv, count_tx, &n); /* frames in its transmit ring */
	return n;
}

void ldr_net_quiesce(struct ldr_driver *drv)
{
	for (uint32_t i = 0; i < LDR_MAX_NETDEVS; i++) {
		struct ldr_netdev *nd = drv->net[i];
		if (!nd || !nd->registered || !nd->open)
			continue;
		/* no new frame from the host (ldr_net_xmit refuses, and counts); what the driver
		 * has goes on; the backlog waits (dropped and counted at the detach) */
		nd->open = false;
		nd->quiesced = true;
	}
}

void ldr_net_hold_release(struct ldr_hold *hold)
{
	for (uint32_t i = 0; hold && i < LDR_MAX_NETDEVS; i++) {
		struct ldr_netdev *nd = hold->net[i];
		if (!nd)
			continue;
		if (nd->ext)
			ext_hooks->release(nd);
		free(nd->ext_copy);
		free(nd);
		hold->net[i] = NULL;
	}
}

static void nd_shutdown(struct ldr_netdev *nd, struct ldr_unbind_report *rep)
{
	struct pkt_release r = {.nd = nd};
	ldr_handle_foreach(LDR_H_PKT, nd->o.drv, release_pkt, &r);
	if (rep)
		rep->pkts += r.count;
	backlog_flush(nd);
	rx_drop(nd);
	pools_release(nd, rep);
	if (nd->ext)
		ext_hooks->release(nd); /* unregister and unbind detach every extension */
	free(nd->ext_copy);
	nd->ext_copy = NULL;
	nd->ext_copy_cap = 0;
	ldr_handle_drop(LDR_H_NETDEV, &nd->o);
	nd->registered = nd->open = nd->napi = false;
}

void xdrv_net_unregister(xdrv_netdev_t *ndh)
{
	struct ldr_netdev *nd = nd_get(ndh, "xdrv_net_unregister");
	if (nd && nd->o.drv->hold)
		nd_hold(nd, NULL); /* removed for a live update: the host keeps the interface */
	else if (nd)
		nd_shutdown(nd, NULL);
}

void *xdrv_net_priv(xdrv_netdev_t *ndh)
{
	struct ldr_netdev *nd = nd_get(ndh, "xdrv_net_priv");
	return nd ? nd->priv : NULL;
}

void xdrv_net_link_set(xdrv_netdev_t *ndh, uint32_t up, uint32_t speed_mbps, uint32_t full_duplex)
{
	struct ldr_netdev *nd = nd_get(ndh, "xdrv_net_link_set");
	if (!nd)
		return;
	nd->link_up = up != 0;
	nd->speed = speed_mbps;
	nd->duplex = full_duplex != 0;
}

void xdrv_net_napi_schedule(xdrv_netdev_t *ndh)
{
	struct ldr_netdev *nd = nd_get(ndh, "xdrv_net_napi_schedule");
	if (nd)
		nd->napi = true;
}

void xdrv_net_tx_stop(xdrv_netdev_t *ndh)
{
	struct ldr_netdev *nd = nd_get(ndh, "xdrv_net_tx_stop");
	if (nd)
		nd->tx_stopped = true;
}

void xdrv_net_tx_wake(xdrv_netdev_t *ndh)
{
	/* the backlog drains from ldr_driver_dispatch, never from inside this entry point */
	struct ldr_netdev *nd = nd_get(ndh, "xdrv_net_tx_wake");
	if (nd)
		nd->tx_stopped = false;
}

void xdrv_net_tx_complete(xdrv_netdev_t *ndh, xdrv_pkt_t *pkt, int32_t status)
{
	struct ldr_netdev *nd = nd_get(ndh, "xdrv_net_tx_complete");
	struct ldr_pkt *p = nd ? pkt_get(pkt, "xdrv_net_tx_complete") : NULL;
	if (!p)
		return;
	if (p->state != PKT_TX || p->nd != nd) {
		ldr_rt_log(
			nd->o.drv, XDRV_LOG_WARN,
			"xdrv_net_tx_complete: packet 0x%llx was not transmitted on this interface",
			(unsigned long long)p->o.handle);
		return;
	}
	(void)status; /* the driver counts errors in its statistics */
	pkt_destroy(p);
}

void xdrv_net_rx(xdrv_netdev_t *ndh, xdrv_pkt_t *pkt, uint32_t csum_flags)
{
	struct ldr_netdev *nd = nd_get(ndh, "xdrv_net_rx");
	struct ldr_pkt *p = nd ? pkt_get(pkt, "xdrv_net_rx") : NULL;
	if (!p)
		return;
	if (p->state != PKT_RX || p->nd != nd) {
		ldr_rt_log(nd->o.drv, XDRV_LOG_WARN,
			   "xdrv_net_rx: packet 0x%llx was not allocated on this interface",
			   (unsigned long long)p->o.handle);
		return;
	}
	pkt_take(p); /* the host owns it now, even if the callback re-enters the runtime */
	p->rx_csum = csum_flags;
	if (nd->rxb_n == RX_BATCH)
		rx_flush(nd);
	nd->rxb[nd->rxb_n++] = p;
	if (!nd->in_poll) /* from an interrupt handler or open: no poll to wait for */
		rx_flush(nd);
}

/* ---- host side ------------------------------------------------------------------------------ */

struct ldr_netdev *ldr_driver_netdev(struct ldr_driver *drv, uint32_t index)
{
	if (!drv || index >= LDR_MAX_NETDEVS || !drv->net[index] || !drv->net[index]->registered)
		return NULL;
	return drv->net[index];
}

LDR_CALLS_DRIVER
int ldr_net_open(struct ldr_netdev *nd, char **err)
{
	if (!nd || !nd->registered)
		return xdrv_err(err, -ENODEV, "netdev: not registered");
	if (nd->open)
		return 0;
	struct ldr_driver *drv = nd->o.drv;
	if (drv->in_entry)
		return xdrv_err(err, -EDEADLK, "%s/net%u: open from inside the driver", drv->label,
				nd->index);
	int32_t rc = XDRV_OK;
	if (nd->ops.open) {
		LDR_DRIVER_CALL(drv, rc = nd->ops.open(ldr_h2p(nd->o.handle)), rc = XDRV_EFAULT);
	}
	if (rc != XDRV_OK)
		return xdrv_err(err, rc < 0 ? rc : -EIO, "%s/net%u: open failed: %d (%s)",
				drv->label, nd->index, rc, ldr_status_name(rc));
	nd->open = nd->registered; /* open may have unregistered it */
	return 0;
}

LDR_CALLS_DRIVER
int ldr_net_stop(struct ldr_netdev *nd)
{
	if (!nd || !nd->registered)
		return -ENODEV;
	struct ldr_driver *drv = nd->o.drv;
	if (drv->in_entry)
		return -EDEADLK;
	if (!nd->open)
		return 0;
	nd->open = false;
	backlog_flush(nd);
	int32_t rc = XDRV_OK;
	if (nd->ops.stop) {
		LDR_DRIVER_CALL(drv, rc = nd->ops.stop(ldr_h2p(nd->o.handle)), rc = XDRV_EFAULT);
	}
	return rc < 0 ? rc : 0;
}

static void backlog_push(struct ldr_netdev *nd, struct ldr_pkt *p, bool front)
{
	__typeof__(nd->bl[0]) *q = &nd->bl[p->cls];
	if (front) {
		p->next = q->head;
		q->head = p;
		if (!q->tail)
			q->tail = p;
	} else {
		p->next = NULL;
		if (q->tail)
			q->tail->next = p;
		else
			q->head = p;
		q->tail = p;
	}
	q->len++;
	nd->bl_total++;
}

/* The next frame to send: the head of the highest class that has one (strict priority). */
static struct ldr_pkt *backlog_pop(struct ldr_netdev *nd)
{
	for (uint32_t c = 0; c < XDRV_EXT_CLASSES; c++) {
		struct ldr_pkt *p = nd->bl[c].head;
		if (!p)
			continue;
		nd->bl[c].head = p->next;
		if (!p->next)
			nd->bl[c].tail = NULL;
		nd->bl[c].len--;
		nd->bl_total--;
		p->next = NULL;
		return p;
	}
	return NULL;
}

/* Hand one packet to the driver's xmit. 0 when the driver took it (or asked to retry later:
 * then the packet is back at the head of the backlog), a negative status when it refused it. */
LDR_CALLS_DRIVER
static int tx_one(struct ldr_netdev *nd, struct ldr_pkt *p)
{
	struct ldr_driver *drv = nd->o.drv;
	if (pkt_give(p) != 0) {
		pkt_destroy(p);
		return -ENOBUFS;
	}
	uint64_t h = p->o.handle;
	uint32_t cls = p->cls;
	int32_t rc = XDRV_EFAULT;
	LDR_DRIVER_CALL(drv, rc = nd->ops.xmit(ldr_h2p(nd->o.handle), ldr_h2p(h)),
			rc = XDRV_EFAULT);
	if (rc == XDRV_OK) {
		nd->cls_sent[cls]++;
		return 0;
	}
	/* still the driver's? (it may have completed the packet before refusing it) */
	if (ldr_handle_lookup(LDR_H_PKT, h) != &p->o) {
		nd->cls_sent[cls] += rc == XDRV_EBUSY;
		return rc == XDRV_EBUSY ? 0 : rc;
	}
	pkt_take(p);
	if (rc == XDRV_EBUSY && nd->registered) {
		nd->tx_stopped = true;
		backlog_push(nd, p, true);
		return 0;
	}
	pkt_destroy(p);
	return rc < 0 ? rc : -EIO;
}

LDR_CALLS_DRIVER
int ldr_net_xmit(struct ldr_netdev *nd, const void *frame, size_t len, uint32_t csum_flags,
		 uint16_t csum_start, uint16_t csum_offset)
{
	if (!nd || !nd->registered)
		return -ENODEV;
	if (!nd->open) {
		nd->quiesce_refused += nd->quiesced; /* a live update's loss, counted there */
		return -ENETDOWN;
	}
	if (!frame || len == 0 || len > LDR_PKT_SIZE_MAX)
		return -EMSGSIZE;
	struct ldr_pkt *p = pkt_new(nd, (uint32_t)len);
	if (!p)
		return -ENOMEM;
	memcpy(p->buf, frame, len);
	p->state = PKT_TX;
	p->len = (uint32_t)len;
	p->csum.flags = csum_flags;
	p->csum.csum_start = csum_start;
	p->csum.csum_offset = csum_offset;
	uint32_t f = nd->tx_frag ? nd->tx_frag : (uint32_t)len;
	uint32_t off = 0;
	while (off < len) {
		uint32_t n = (uint32_t)len - off;
		if (n > f && p->nfrags + 1 < XDRV_PKT_MAX_FRAGS)
			n = f;
		p->frag[p->nfrags].p = p->buf + off;
		p->frag[p->nfrags].len = n;
		p->nfrags++;
		off += n;
	}
	if (nd->ext) { /* the TX chain, over the packet's copy of the frame */
		uint32_t cls = 0;
		if (ext_hooks->tx(nd, p->buf, p->len, &cls) != XDRV_EXT_PASS) {
			pkt_destroy(p); /* dropped by an extension: counted there, not an error */
			return 0;
		}
		p->cls = (uint8_t)cls;
	}
	return tx_queue(nd, p);
}

/* To the driver, or into its class's backlog: keep order (nothing overtakes the backlog) and
 * never re-enter a busy driver. */
static int tx_queue(struct ldr_netdev *nd, struct ldr_pkt *p)
{
	if (nd->tx_stopped || nd->bl_total || nd->o.drv->in_entry) {
		if (nd->bl[p->cls].len >= BACKLOG_MAX) {
			nd->cls_dropped[p->cls]++;
			pkt_destroy(p);
			return -ENOBUFS;
		}
		backlog_push(nd, p, false);
		return 0;
	}
	return tx_one(nd, p);
}

void ldr_net_set_tx_frag(struct ldr_netdev *nd, uint32_t frag_len)
{
	if (nd)
		nd->tx_frag = frag_len;
}

void ldr_net_set_rx(struct ldr_netdev *nd,
		    void (*cb)(void *ctx, const uint8_t *frame, size_t len, uint32_t csum_flags),
		    void *ctx)
{
	if (!nd)
		return;
	nd->rx_cb = cb;
	nd->rx_batch_cb = NULL;
	nd->rx_ctx = ctx;
}

void ldr_net_set_rx_batch(struct ldr_netdev *nd,
			  void (*cb)(void *ctx, const struct ldr_net_frame *frames, size_t n),
			  void *ctx)
{
	if (!nd)
		return;
	nd->rx_batch_cb = cb;
	nd->rx_cb = NULL;
	nd->rx_ctx = ctx;
}

LDR_CALLS_DRIVER
int ldr_net_stats(struct ldr_netdev *nd, struct xdrv_net_stats *st)
{
	if (!nd || !nd->registered || !st)
		return -ENODEV;
	if (!nd->ops.get_stats)
		return -EOPNOTSUPP;
	struct ldr_driver *drv = nd->o.drv;
	if (drv->in_entry)
		return -EDEADLK;
	struct xdrv_net_stats s;
	memset(&s, 0, sizeof s);
	int32_t rc = XDRV_EFAULT;
	LDR_DRIVER_CALL(drv, rc = nd->ops.get_stats(ldr_h2p(nd->o.handle), &s), rc = XDRV_EFAULT);
	memset(s.reserved, 0, sizeof s.reserved);
	*st = s;
	return rc < 0 ? rc : 0;
}

void ldr_net_link(const struct ldr_netdev *nd, uint32_t *up, uint32_t *speed, uint32_t *duplex)
{
	if (up)
		*up = nd ? nd->link_up : 0;
	if (speed)
		*speed = nd ? nd->speed : 0;
	if (duplex)
		*duplex = nd ? nd->duplex : 0;
}

const uint8_t *ldr_net_mac(const struct ldr_netdev *nd)
{
	return nd ? nd->mac : NULL;
}

/* ---- for the extension chains (runtime_ext.c) ----------------------------------------------- */

struct ldr_net_ext **ldr_netdev_ext(struct ldr_netdev *nd)
{
	return &nd->ext;
}

struct ldr_driver *ldr_netdev_driver(const struct ldr_netdev *nd)
{
	return nd->o.drv;
}

uint32_t ldr_netdev_index(const struct ldr_netdev *nd)
{
	return nd->index;
}

bool ldr_netdev_registered(const struct ldr_netdev *nd)
{
	return nd && nd->registered;
}

void ldr_netdev_class_counts(const struct ldr_netdev *nd, uint64_t *sent, uint64_t *dropped,
			     uint32_t *waiting)
{
	for (uint32_t c = 0; c < XDRV_EXT_CLASSES; c++) {
		sent[c] = nd->cls_sent[c];
		dropped[c] = nd->cls_dropped[c];
		waiting[c] = nd->bl[c].len;
	}
}

/* ---- dispatch and release ---------------------------------------------------------------------
 */

LDR_CALLS_DRIVER
static int net_dispatch(struct ldr_driver *drv)
{
	int n = 0;
	for (uint32_t i = 0; i < LDR_MAX_NETDEVS; i++) {
		struct ldr_netdev *nd = drv->net[i];
		for (uint32_t r = 0; nd && nd->registered && nd->napi && r < NAPI_ROUNDS_MAX; r++) {
			nd->napi = false;
			if (!nd->ops.poll)
				break;
			int32_t done = XDRV_EFAULT;
			nd->in_poll = true;
			LDR_DRIVER_CALL(drv,
					done = nd->ops.poll(ldr_h2p(nd->o.handle), NAPI_BUDGET),
					done = XDRV_EFAULT);
			nd->in_poll = false;
			/* one call to the host for everything the poll received (also after a
			 * fault: those frames were complete) */
			rx_flush(nd);
			n++;
			if (done < 0) {
				ldr_rt_log(drv, XDRV_LOG_WARN, "net%u: poll failed: %d (%s)", i,
					   done, ldr_status_name(done));
			} else if ((uint32_t)done >= NAPI_BUDGET) {
				nd->napi = nd->registered; /* more work: poll again */
			}
		}
		while (nd && nd->registered && nd->open && !nd->tx_stopped && nd->bl_total) {
			tx_one(nd, backlog_pop(nd));
			n++;
		}
	}
	return n;
}

static void net_release_all(struct ldr_driver *drv, struct ldr_unbind_report *rep)
{
	for (uint32_t i = 0; i < LDR_MAX_NETDEVS; i++) {
		struct ldr_netdev *nd = drv->net[i];
		if (!nd)
			continue;
		if (nd->registered && drv->hold) {
			nd_hold(nd, rep); /* a live update: kept for the next driver */
			continue;
		}
		if (nd->registered)
			rep->netdevs++;
		nd_shutdown(nd, rep);
		free(nd);
		drv->net[i] = NULL;
	}
	/* packets of netdevs the driver unregistered are gone already; count any stragglers */
	struct pkt_release r = {.nd = NULL};
	ldr_handle_foreach(LDR_H_PKT, drv, release_pkt, &r);
	rep->pkts += r.count;
	while (drv->pkt_pool) {
		struct ldr_pkt *p = drv->pkt_pool;
		drv->pkt_pool = p->next;
		free(p->buf);
		free(p);
	}
	drv->pkt_pool_n = 0;
}

const struct ldr_class_ops ldr_net_class = {
	.name = "net",
	.dispatch = net_dispatch,
	.release_all = net_release_all,
};
