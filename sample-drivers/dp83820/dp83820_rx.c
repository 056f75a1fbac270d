// SPDX-License-Identifier: MIT
/*
 * dp83820 receive ring. rx_ring descriptors in coherent DMA memory, linked into a circle; each
 * holds a packet buffer from xdrv_pkt_alloc mapped FROM_DEVICE, and a cmdsts with the buffer
 * size and OWN clear, which on receive means "the chip may fill this". The chip fills a buffer,
 * writes length and status with OWN set, and moves on; it goes idle (RXIDLE) at a descriptor it
 * does not own. Processing hands each good frame to the host with its checksum status and puts
 * a fresh buffer in its place, so the ring stays full; when no buffer can be had, the frame is
 * dropped and its buffer reused. Bad frames are counted and their buffers reused.
 *
 * Built against ABI 1.1, the buffers come from a receive buffer pool instead (one per ring
 * slot, mapped once at probe: xdrv_rxpool_create): a poll collects the frames of up to
 * DP_RX_BATCH descriptors, hands them to the host in one xdrv_rxpool_deliver, and only then
 * gives those descriptors back to the chip with the same buffers. No allocation, mapping or
 * host call per frame. If the host has no pool to give, the driver works as with ABI 1.0.
 */
#include "dp83820.h"

/* Attach a fresh mapped buffer to slot i. */
static int32_t rx_buf_new(struct dp *d, uint32_t i)
{
	xdrv_pkt_t *p = xdrv_pkt_alloc(d->nd, DP_RX_BUF);
	if (!p)
		return XDRV_ENOMEM;
	uint32_t len = 0;
	void *buf = xdrv_pkt_frag(p, 0, &len);
	uint64_t bus = 0;
	if (!buf || len < DP_RX_BUF ||
	    xdrv_dma_map(d->dev, buf, DP_RX_BUF, XDRV_DMA_FROM_DEVICE, &bus) != XDRV_OK) {
		xdrv_pkt_free(p);
		return XDRV_ENOMEM;
	}
	d->rx[i].pkt = p;
	d->rx[i].bus = bus;
	return XDRV_OK;
}

static void rx_buf_drop(struct dp *d, uint32_t i)
{
	if (!d->rx[i].pkt)
		return;
	xdrv_dma_unmap(d->dev, d->rx[i].bus, DP_RX_BUF, XDRV_DMA_FROM_DEVICE);
	xdrv_pkt_free(d->rx[i].pkt);
	d->rx[i].pkt = NULL;
	d->rx[i].bus = 0;
}

/* Give descriptor i (with its buffer) to the chip. */
static void rx_desc_arm(struct dp *d, uint32_t i)
{
	uint8_t *desc = dp_desc(d->rxd, d->desc_size, i);
	dp_desc_set_buf(d, desc, d->rx[i].bus);
	dp_desc_set_extsts(d, desc, 0);
	dp_desc_set_cmdsts(d, desc, CMDSTS_INTR | DP_RX_BUF); /* OWN clear: the chip's */
}

void dp_rx_ring_reset(struct dp *d)
{
	for (uint32_t i = 0; i < d->rx_n; i++) {
		uint8_t *desc = dp_desc(d->rxd, d->desc_size, i);
		dp_desc_set_link(d, desc,
				 d->rxd_bus + (uint64_t)((i + 1) % d->rx_n) * d->desc_size);
		rx_desc_arm(d, i);
	}
	d->rx_next = 0;
}

#if DP_RXPOOL
/* One pool buffer per slot, for good. 0 if the host gave no pool (use packets then). */
static int32_t rx_pool_attach(struct dp *d)
{
	d->rxpool = xdrv_rxpool_create(d->nd, d->rx_n, DP_RX_BUF);
	if (!d->rxpool)
		return XDRV_ENOMEM;
	for (uint32_t i = 0; i < d->rx_n; i++) {
		uint64_t bus = 0;
		if (!xdrv_rxpool_buf(d->rxpool, i, &bus)) {
			xdrv_rxpool_destroy(d->rxpool);
			d->rxpool = NULL;
			return XDRV_ENOMEM;
		}
		d->rx[i].pkt = NULL;
		d->rx[i].bus = bus;
	}
	return XDRV_OK;
}
#endif

int32_t dp_rx_ring_alloc(struct dp *d)
{
	d->rx_n = xdrv_param_rx_ring;
	d->rx = xdrv_mem_alloc((uint64_t)d->rx_n * sizeof *d->rx);
	d->rxd = xdrv_dma_alloc_coherent(d->dev, (uint64_t)d->rx_n * d->desc_size, &d->rxd_bus);
	if (!d->rx || !d->rxd) {
		xdrv_log(XDRV_LOG_ERROR, "dp83820: probe: cannot allocate the receive ring");
		return XDRV_ENOMEM;
	}
#if DP_RXPOOL
	if (rx_pool_attach(d) == XDRV_OK) {
		dp_rx_ring_reset(d);
		return XDRV_OK;
	}
	xdrv_log(XDRV_LOG_INFO, "dp83820: no receive buffer pool; one packet per frame");
#endif
	for (uint32_t i = 0; i < d->rx_n; i++) {
		if (rx_buf_new(d, i) != XDRV_OK) {
			dp_log_u(XDRV_LOG_ERROR, "dp83820: probe: cannot fill receive buffer ", i,
				 "");
			return XDRV_ENOMEM;
		}
	}
	dp_rx_ring_reset(d);
	return XDRV_OK;
}

void dp_rx_ring_free(struct dp *d)
{
	if (d->rx)
		for (uint32_t i = 0; i < d->rx_n; i++)
			rx_buf_drop(d, i);
#if DP_RXPOOL
	if (d->rxpool)
		xdrv_rxpool_destroy(d->rxpool);
	d->rxpool = NULL;
#endif
	if (d->rxd)
		xdrv_dma_free_coherent(d->dev, d->rxd, (uint64_t)d->rx_n * d->desc_size,
				       d->rxd_bus);
	xdrv_mem_free(d->rx);
	d->rx = NULL;
	d->rxd = NULL;
}

/* Checksum status of a received frame, from extsts (VRCR.IPEN). */
static uint32_t rx_csum_flags(uint32_t ext)
{
	uint32_t f = XDRV_CSUM_NONE;
	if (ext & EXTSTS_IPPKT)
		f |= (ext & EXTSTS_IPERR) ? XDRV_CSUM_IP_BAD : XDRV_CSUM_IP;
	if (ext & (EXTSTS_TCPPKT | EXTSTS_UDPPKT))
		f |= (ext & (EXTSTS_TCPERR | EXTSTS_UDPERR)) ? XDRV_CSUM_L4_BAD : XDRV_CSUM_L4_GOOD;
	return f;
}

static void rx_count_error(struct dp *d, uint32_t cmdsts)
{
	d->st.rx_errors++;
	if (cmdsts & CMDSTS_CRCE)
		d->st.rx_crc_errors++;
	if (cmdsts & CMDSTS_RXO)
		d->st.rx_fifo_errors++;
}

/* Count a good frame; its checksum flags for the host. */
static uint32_t rx_account(struct dp *d, uint32_t cmdsts, uint32_t len, uint32_t ext)
{
	uint32_t flags = xdrv_param_csum_offload ? rx_csum_flags(ext) : XDRV_CSUM_NONE;
	if (flags & (XDRV_CSUM_IP_BAD | XDRV_CSUM_L4_BAD))
		d->st.rx_csum_errors++;
	if (cmdsts & CMDSTS_DEST_MULTI)
		d->st.multicast++;
	d->st.rx_packets++;
	d->st.rx_bytes += len;
	return flags;
}

/* Deliver the frame in slot i (length len, status ext) and replace its buffer. */
static void rx_deliver(struct dp *d, uint32_t i, uint32_t cmdsts, uint32_t len, uint32_t ext)
{
	struct dp_rx_slot old = d->rx[i];
	if (rx_buf_new(d, i) != XDRV_OK) {
		d->rx[i] = old; /* no buffer to replace it: drop the frame, reuse this one */
		d->st.rx_dropped++;
		return;
	}
	xdrv_dma_sync_for_cpu(d->dev, old.bus, DP_RX_BUF, XDRV_DMA_FROM_DEVICE);
	xdrv_dma_unmap(d->dev, old.bus, DP_RX_BUF, XDRV_DMA_FROM_DEVICE);
	if (xdrv_pkt_set_len(old.pkt, len) != XDRV_OK) {
		xdrv_pkt_free(old.pkt);
		d->st.rx_dropped++;
		return;
	}
	xdrv_net_rx(d->nd, old.pkt, rx_account(d, cmdsts, len, ext));
}

#if DP_RXPOOL
/* The pool's way: up to DP_RX_BATCH completed descriptors at a time, their good frames to the
 * host in one call, then the descriptors back to the chip (after the host read the buffers). */
static uint32_t rx_process_pool(struct dp *d, uint32_t budget)
{
	struct xdrv_rx_frame f[DP_RX_BATCH];
	uint32_t chunk = d->rx_n < DP_RX_BATCH ? d->rx_n : DP_RX_BATCH;
	uint32_t done = 0;
	while (done < budget) {
		uint32_t first = d->rx_next, seen = 0, k = 0;
		while (seen < chunk && done + seen < budget) {
			uint32_t i = (first + seen) % d->rx_n;
			const uint8_t *desc = dp_desc(d->rxd, d->desc_size, i);
			uint32_t cmdsts = dp_desc_cmdsts(d, desc);
			if (!(cmdsts & CMDSTS_OWN))
				break;
			uint32_t len = cmdsts & CMDSTS_LEN_MASK;
			if ((cmdsts & CMDSTS_OK) && len >= 14 && len <= DP_RX_BUF) {
				f[k].buf = i;
				f[k].len = len;
				f[k].csum_flags =
					rx_account(d, cmdsts, len, dp_desc_extsts(d, desc));
				f[k].reserved = 0;
				k++;
			} else {
				rx_count_error(d, cmdsts);
			}
			seen++;
		}
		if (!seen)
			break;
		if (k) {
			int32_t n = xdrv_rxpool_deliver(d->rxpool, f, k);
			if (n < (int32_t)k)
				d->st.rx_dropped += k - (n > 0 ? (uint32_t)n : 0);
		}
		for (uint32_t j = 0; j < seen; j++)
			rx_desc_arm(d, (first + j) % d->rx_n);
		d->rx_next = (first + seen) % d->rx_n;
		done += seen;
		if (seen < chunk)
			break; /* the ring is empty */
	}
	return done;
}
#endif

uint32_t dp_rx_pending(const struct dp *d)
{
	const uint8_t *desc = dp_desc(d->rxd, d->desc_size, d->rx_next);
	return (dp_desc_cmdsts(d, desc) & CMDSTS_OWN) != 0;
}

uint32_t dp_rx_process(struct dp *d, uint32_t budget)
{
#if DP_RXPOOL
	if (d->rxpool)
		return rx_process_pool(d, budget);
#endif
	uint32_t done = 0;
	while (done < budget) {
		uint32_t i = d->rx_next;
		uint8_t *desc = dp_desc(d->rxd, d->desc_size, i);
		uint32_t cmdsts = dp_desc_cmdsts(d, desc);
		if (!(cmdsts & CMDSTS_OWN))
			break;
		uint32_t len = cmdsts & CMDSTS_LEN_MASK;
		if ((cmdsts & CMDSTS_OK) && len >= 14 && len <= DP_RX_BUF)
			rx_deliver(d, i, cmdsts, len, dp_desc_extsts(d, desc));
		else
			rx_count_error(d, cmdsts);
		rx_desc_arm(d, i);
		d->rx_next = (i + 1) % d->rx_n;
		done++;
	}
	return done;
}
