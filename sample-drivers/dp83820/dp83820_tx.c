// SPDX-License-Identifier: MIT
/*
 * dp83820 transmit ring. tx_ring descriptors in coherent DMA memory, linked into a circle. A
 * packet takes one descriptor per fragment (scatter-gather): each fragment is mapped TO_DEVICE,
 * every descriptor but the last carries MORE, and OWN is set on the first one last, so the chip
 * never sees half a packet. Checksum offload asks the chip (VTCR.PPCHK) to insert the IPv4
 * header and TCP/UDP checksums through extsts; a request the chip cannot do (not IPv4, or
 * offload switched off by the csum_offload parameter) is done in software before mapping.
 * The chip clears OWN on the descriptors it sent; reaping unmaps them and completes the packet.
 * A full ring stops the host's queue; reaping a quarter of it wakes the queue again.
 */
#include "dp83820.h"

int32_t dp_tx_ring_alloc(struct dp *d)
{
	d->tx_n = xdrv_param_tx_ring;
	d->tx = xdrv_mem_alloc((uint64_t)d->tx_n * sizeof *d->tx);
	d->txd = xdrv_dma_alloc_coherent(d->dev, (uint64_t)d->tx_n * d->desc_size, &d->txd_bus);
	if (!d->tx || !d->txd) {
		xdrv_log(XDRV_LOG_ERROR, "dp83820: probe: cannot allocate the transmit ring");
		return XDRV_ENOMEM;
	}
	dp_tx_ring_reset(d);
	return XDRV_OK;
}

void dp_tx_ring_reset(struct dp *d)
{
	for (uint32_t i = 0; i < d->tx_n; i++) {
		uint8_t *desc = dp_desc(d->txd, d->desc_size, i);
		dp_desc_set_link(d, desc,
				 d->txd_bus + (uint64_t)((i + 1) % d->tx_n) * d->desc_size);
		dp_desc_set_buf(d, desc, 0);
		dp_desc_set_cmdsts(d, desc, 0);
		dp_desc_set_extsts(d, desc, 0);
	}
	d->tx_head = d->tx_tail = d->tx_used = 0;
}

static void tx_slot_release(struct dp *d, uint32_t i)
{
	struct dp_tx_slot *s = &d->tx[i];
	if (s->mapped)
		xdrv_dma_unmap(d->dev, s->bus, s->len, XDRV_DMA_TO_DEVICE);
	s->mapped = 0;
	s->bus = 0;
	s->len = 0;
}

/* Complete everything still in flight as failed (stop and remove, after the engine stopped). */
void dp_tx_drop_all(struct dp *d)
{
	if (!d->tx)
		return;
	while (d->tx_used) {
		uint32_t i = d->tx_tail;
		tx_slot_release(d, i);
		if (d->tx[i].pkt) {
			xdrv_net_tx_complete(d->nd, d->tx[i].pkt, XDRV_EIO);
			d->tx[i].pkt = NULL;
			d->st.tx_dropped++;
		}
		dp_desc_set_cmdsts(d, dp_desc(d->txd, d->desc_size, i), 0);
		d->tx_tail = (i + 1) % d->tx_n;
		d->tx_used--;
	}
	d->tx_head = d->tx_tail;
}

void dp_tx_ring_free(struct dp *d)
{
	dp_tx_drop_all(d);
	if (d->txd)
		xdrv_dma_free_coherent(d->dev, d->txd, (uint64_t)d->tx_n * d->desc_size,
				       d->txd_bus);
	xdrv_mem_free(d->tx);
	d->tx = NULL;
	d->txd = NULL;
}

/* Reap descriptors the chip is done with; returns the packets completed. */
uint32_t dp_tx_reap(struct dp *d)
{
	uint32_t pkts = 0, failed = 0;
	while (d->tx_used) {
		uint32_t i = d->tx_tail;
		uint8_t *desc = dp_desc(d->txd, d->desc_size, i);
		uint32_t cmdsts = dp_desc_cmdsts(d, desc);
		if (cmdsts & CMDSTS_OWN)
			break;
		if (cmdsts & (CMDSTS_ERR | CMDSTS_TXA | CMDSTS_TFU))
			failed = 1;
		tx_slot_release(d, i);
		xdrv_pkt_t *p = d->tx[i].pkt;
		if (p) { /* last descriptor of a packet */
			if (failed || !(cmdsts & CMDSTS_OK)) {
				d->st.tx_errors++;
				xdrv_net_tx_complete(d->nd, p, XDRV_EIO);
			} else {
				d->st.tx_packets++;
				d->st.tx_bytes += xdrv_pkt_len(p);
				xdrv_net_tx_complete(d->nd, p, XDRV_OK);
			}
			d->tx[i].pkt = NULL;
			failed = 0;
			pkts++;
		}
		d->tx_tail = (i + 1) % d->tx_n;
		d->tx_used--;
	}
	if (d->tx_stopped && d->tx_n - d->tx_used >= d->tx_n / 4) {
		d->tx_stopped = 0;
		xdrv_net_tx_wake(d->nd);
	}
	return pkts;
}

/* ---- checksums ------------------------------------------------------------------------------ */

/* Byte `off` of the packet across its fragments (0 past the end). */
static uint8_t pkt_byte(xdrv_pkt_t *p, uint32_t nfrags, uint32_t off)
{
	for (uint32_t f = 0; f < nfrags; f++) {
		uint32_t len = 0;
		uint8_t *b = xdrv_pkt_frag(p, f, &len);
		if (!b)
			return 0;
		if (off < len)
			return b[off];
		off -= len;
	}
	return 0;
}

static void pkt_put_byte(xdrv_pkt_t *p, uint32_t nfrags, uint32_t off, uint8_t v)
{
	for (uint32_t f = 0; f < nfrags; f++) {
		uint32_t len = 0;
		uint8_t *b = xdrv_pkt_frag(p, f, &len);
		if (!b)
			return;
		if (off < len) {
			b[off] = v;
			return;
		}
		off -= len;
	}
}

/* Software fallback for XDRV_CSUM_PARTIAL: the ones' complement sum from csum_start to the end
 * (the field already holds the pseudo-header sum), stored at csum_start + csum_offset. */
static void csum_partial_sw(xdrv_pkt_t *p, uint32_t nfrags, const struct xdrv_pkt_csum *c)
{
	uint32_t total = xdrv_pkt_len(p);
	uint32_t at = (uint32_t)c->csum_start + c->csum_offset;
	if (c->csum_start >= total || at + 2 > total)
		return;
	uint64_t sum = 0;
	uint32_t pos = c->csum_start;
	for (uint32_t f = 0, base = 0; f < nfrags; f++) {
		uint32_t len = 0;
		uint8_t *b = xdrv_pkt_frag(p, f, &len);
		if (!b)
			return;
		for (; pos < base + len; pos++) {
			uint32_t v = b[pos - base];
			sum += ((pos - c->csum_start) & 1) ? v : v << 8;
		}
		base += len;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t r = (uint16_t)~sum;
	if (r == 0 && c->l4_proto == 17)
		r = 0xffff; /* UDP: zero means "no checksum" */
	pkt_put_byte(p, nfrags, at, (uint8_t)(r >> 8));
	pkt_put_byte(p, nfrags, at + 1, (uint8_t)r);
}

/* IPv4 header checksum in software (offload off). */
static void csum_ip_sw(xdrv_pkt_t *p, uint32_t nfrags)
{
	uint32_t ihl = (uint32_t)(pkt_byte(p, nfrags, 14) & 0x0f) * 4;
	if (ihl < 20 || 14 + ihl > xdrv_pkt_len(p))
		return;
	pkt_put_byte(p, nfrags, 24, 0);
	pkt_put_byte(p, nfrags, 25, 0);
	uint32_t sum = 0;
	for (uint32_t o = 0; o < ihl; o += 2)
		sum += (uint32_t)pkt_byte(p, nfrags, 14 + o) << 8 | pkt_byte(p, nfrags, 15 + o);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	pkt_put_byte(p, nfrags, 24, (uint8_t)(~sum >> 8));
	pkt_put_byte(p, nfrags, 25, (uint8_t)~sum);
}

/* extsts for the packet's offload request; what the chip cannot do is done here. */
static uint32_t tx_csum(xdrv_pkt_t *p, uint32_t nfrags)
{
	struct xdrv_pkt_csum c;
	if (xdrv_pkt_csum(p, &c) != XDRV_OK || !(c.flags & (XDRV_CSUM_PARTIAL | XDRV_CSUM_IP)))
		return 0;
	uint32_t ipv4 = xdrv_pkt_len(p) >= 34 && pkt_byte(p, nfrags, 12) == 0x08 &&
			pkt_byte(p, nfrags, 13) == 0x00 && (pkt_byte(p, nfrags, 14) >> 4) == 4;
	uint32_t proto = ipv4 ? pkt_byte(p, nfrags, 23) : c.l4_proto;
	if (c.l4_proto == 0)
		c.l4_proto = proto;
	if (!xdrv_param_csum_offload || !ipv4) {
		if (c.flags & XDRV_CSUM_PARTIAL)
			csum_partial_sw(p, nfrags, &c);
		if ((c.flags & XDRV_CSUM_IP) && ipv4)
			csum_ip_sw(p, nfrags);
		return 0;
	}
	uint32_t ext = 0;
	if (c.flags & XDRV_CSUM_IP)
		ext |= EXTSTS_IPPKT;
	if (c.flags & XDRV_CSUM_PARTIAL) {
		if (proto == 6 && c.csum_offset == 16)
			ext |= EXTSTS_TCPPKT;
		else if (proto == 17 && c.csum_offset == 6)
			ext |= EXTSTS_UDPPKT;
		else
			csum_partial_sw(p, nfrags, &c);
	}
	return ext;
}

/* ---- xmit ----------------------------------------------------------------------------------- */

static void tx_unwind(struct dp *d, uint32_t first, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		tx_slot_release(d, (first + k) % d->tx_n);
}

int32_t dp_xmit(xdrv_netdev_t *nd, xdrv_pkt_t *pkt)
{
	struct dp *d = xdrv_net_priv(nd);
	if (!d || !d->open)
		return XDRV_EINVAL;
	uint32_t nfrags = xdrv_pkt_frag_count(pkt);
	uint32_t total = xdrv_pkt_len(pkt);
	if (nfrags == 0 || nfrags > XDRV_PKT_MAX_FRAGS || total == 0 || total > 0xffff ||
	    nfrags + 1 >= d->tx_n) {
		d->st.tx_dropped++;
		return XDRV_EINVAL;
	}
	if (d->tx_n - d->tx_used < nfrags + 1)
		dp_tx_reap(d);
	if (d->tx_n - d->tx_used < nfrags + 1) { /* one descriptor stays free */
		d->tx_stopped = 1;
		d->tx_busy++;
		xdrv_net_tx_stop(nd);
		return XDRV_EBUSY;
	}
	uint32_t ext = tx_csum(pkt, nfrags);
	uint32_t first = d->tx_head, used = 0;
	for (uint32_t f = 0; f < nfrags; f++) {
		uint32_t len = 0;
		void *buf = xdrv_pkt_frag(pkt, f, &len);
		if (!buf)
			goto out_unwind;
		if (len == 0)
			continue;
		uint32_t i = (first + used) % d->tx_n;
		struct dp_tx_slot *s = &d->tx[i];
		if (xdrv_dma_map(d->dev, buf, len, XDRV_DMA_TO_DEVICE, &s->bus) != XDRV_OK)
			goto out_unwind;
		s->len = len;
		s->mapped = 1;
		s->pkt = NULL;
		used++;
	}
	if (!used)
		goto out_unwind;
	for (uint32_t k = 0; k < used; k++) {
		uint32_t i = (first + k) % d->tx_n;
		uint8_t *desc = dp_desc(d->txd, d->desc_size, i);
		uint32_t cmd = d->tx[i].len;
		cmd |= k + 1 < used ? CMDSTS_MORE : CMDSTS_INTR;
		if (k)
			cmd |= CMDSTS_OWN; /* the first one is handed over last */
		dp_desc_set_buf(d, desc, d->tx[i].bus);
		dp_desc_set_extsts(d, desc, ext);
		dp_desc_set_cmdsts(d, desc, cmd);
	}
	d->tx[(first + used - 1) % d->tx_n].pkt = pkt;
	uint8_t *fd = dp_desc(d->txd, d->desc_size, first);
	dp_desc_set_cmdsts(d, fd, dp_desc_cmdsts(d, fd) | CMDSTS_OWN);
	d->tx_head = (first + used) % d->tx_n;
	d->tx_used += used;
	dp_wr(d, DP_CR, CR_TXE);
	return XDRV_OK;

out_unwind:
	tx_unwind(d, first, used);
	d->st.tx_dropped++;
	return XDRV_ENOMEM;
}
