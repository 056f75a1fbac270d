// SPDX-License-Identifier: MIT
/*
 * The DP83820's DMA engines: the transmitter walks descriptors the driver owns (OWN set),
 * gathers MORE fragments into one frame, inserts IPv4/TCP/UDP checksums when asked, hands the
 * frame to the wire and gives the descriptors back; the receiver filters a frame from the wire
 * (RFCR and the perfect-match address in filter RAM), stores it in the next descriptor the
 * driver gave (OWN clear) and sets OWN with the status. Every descriptor and buffer access is
 * hvb_dma_read/hvb_dma_write, so a bad bus address is a master abort (ISR.RMABT), never a host
 * access; every walk is bounded.
 *
 * Register semantics are dp83820.c; the descriptor layout is documented in xdrv/dp83820.h.
 */
#include "dp83820_priv.h"

#include <errno.h>
#include <string.h>
#include <xdrv/endian.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

struct desc {
	uint64_t addr; /* where it lives */
	uint64_t link, buf;
	uint32_t cmdsts, extsts;
};

static uint32_t desc_size(const struct dp83820 *s)
{
	return dp_m64(s) ? DP83820_DESC64_SIZE : DP83820_DESC32_SIZE;
}

static uint32_t cmdsts_off(const struct dp83820 *s)
{
	return dp_m64(s) ? 16 : 8;
}

/* 0, or -EFAULT: the descriptor is not in mapped memory. */
static int desc_read(struct dp83820 *s, uint64_t addr, struct desc *d)
{
	uint8_t raw[DP83820_DESC64_SIZE];
	if (hvb_dma_read(s->dev, addr, raw, desc_size(s)))
		return -EFAULT;
	d->addr = addr;
	if (dp_m64(s)) {
		d->link = xdrv_get_le64(raw);
		d->buf = xdrv_get_le64(raw + 8);
		d->cmdsts = xdrv_get_le32(raw + 16);
		d->extsts = xdrv_get_le32(raw + 20);
	} else {
		d->link = xdrv_get_le32(raw);
		d->buf = xdrv_get_le32(raw + 4);
		d->cmdsts = xdrv_get_le32(raw + 8);
		d->extsts = xdrv_get_le32(raw + 12);
	}
	return 0;
}

static int cmdsts_write(struct dp83820 *s, uint64_t addr, uint32_t cmdsts)
{
	uint8_t raw[4];
	xdrv_put_le32(raw, cmdsts);
	return hvb_dma_write(s->dev, addr + cmdsts_off(s), raw, 4);
}

static int extsts_write(struct dp83820 *s, uint64_t addr, uint32_t extsts)
{
	uint8_t raw[4];
	xdrv_put_le32(raw, extsts);
	return hvb_dma_write(s->dev, addr + cmdsts_off(s) + 4, raw, 4);
}

/* A master abort: the chip's DMA hit an address nobody answers. */
static void dma_fault(struct dp83820 *s, uint32_t isr, const char *key, const char *msg)
{
	s->isr |= DP83820_ISR_RMABT | isr;
	s->cnt.dma_faults++;
	hvb_guest_error(s->dev, key, msg);
}

/* ---- checksum offload ------------------------------------------------------------------------ */

struct ipv4_view {
	size_t l3;  /* IPv4 header offset */
	size_t ihl; /* header bytes */
	size_t end; /* end of the IP datagram within the frame */
	uint8_t proto;
	bool l4_ok; /* first fragment of an unfragmented datagram: L4 header present */
};

/* Find an IPv4 datagram (optionally behind one 802.1Q tag) that fits the frame. */
static bool ipv4_parse(const uint8_t *f, size_t len, struct ipv4_view *v)
{
	size_t l3 = 14;
	if (len < 14)
		return false;
	uint16_t type = xdrv_get_be16(f + 12);
	if (type == 0x8100 && len >= 18) {
		type = xdrv_get_be16(f + 16);
		l3 = 18;
	}
	if (type != 0x0800 || len < l3 + 20 || (f[l3] >> 4) != 4)
		return false;
	size_t ihl = (size_t)(f[l3] & 0x0f) * 4;
	size_t tot = xdrv_get_be16(f + l3 + 2);
	if (ihl < 20 || tot < ihl || l3 + tot > len)
		return false;
	v->l3 = l3;
	v->ihl = ihl;
	v->end = l3 + tot;
	v->proto = f[l3 + 9];
	v->l4_ok = (xdrv_get_be16(f + l3 + 6) & 0x3fff) == 0; /* MF clear, offset 0 */
	return true;
}

static uint32_t pseudo_sum(const uint8_t *f, const struct ipv4_view *v)
{
	uint8_t ph[12];
	memcpy(ph, f + v->l3 + 12, 8);
	ph[8] = 0;
	ph[9] = v->proto;
	xdrv_put_be16(ph + 10, (uint16_t)(v->end - v->l3 - v->ihl));
	return hvb_csum_add(0, ph, sizeof ph);
}

/* Checksum field offset in the L4 header for `proto`, or 0 if not TCP/UDP or too short. */
static size_t l4_csum_off(const struct ipv4_view *v, uint8_t proto)
{
	size_t l4len = v->end - v->l3 - v->ihl;
	if (proto == 6 && l4len >= 20)
		return 16;
	if (proto == 17 && l4len >= 8)
		return 6;
	return 0;
}

void dp_tx_csum_insert(uint8_t *f, size_t len, uint32_t want)
{
	struct ipv4_view v;
	if (!ipv4_parse(f, len, &v))
		return; /* not IPv4: the chip inserts nothing */
	uint8_t *ip = f + v.l3;
	if (want & DP83820_EXTSTS_IPPKT) {
		xdrv_put_be16(ip + 10, 0);
		xdrv_put_be16(ip + 10, hvb_csum_fold(hvb_csum_add(0, ip, v.ihl)));
	}
	uint8_t proto = (want & DP83820_EXTSTS_TCPPKT)	 ? 6
			: (want & DP83820_EXTSTS_UDPPKT) ? 17
							 : 0;
	if (!proto || proto != v.proto || !v.l4_ok)
		return;
	size_t off = l4_csum_off(&v, proto);
	if (!off)
		return;
	uint8_t *l4 = ip + v.ihl;
	xdrv_put_be16(l4 + off, 0);
	uint16_t c = hvb_csum_fold(hvb_csum_add(pseudo_sum(f, &v), l4, v.end - v.l3 - v.ihl));
	if (proto == 17 && c == 0)
		c = 0xffff; /* UDP: 0 means "no checksum" */
	xdrv_put_be16(l4 + off, c);
}

uint32_t dp_rx_csum_status(const uint8_t *f, size_t len)
{
	struct ipv4_view v;
	if (!ipv4_parse(f, len, &v))
		return 0;
	const uint8_t *ip = f + v.l3;
	uint32_t st = DP83820_EXTSTS_IPPKT;
	if (hvb_csum_fold(hvb_csum_add(0, ip, v.ihl)) != 0)
		st |= DP83820_EXTSTS_IPERR;
	size_t off = l4_csum_off(&v, v.proto);
	if (!v.l4_ok || !off)
		return st;
	const uint8_t *l4 = ip + v.ihl;
	bool bad = hvb_csum_fold(hvb_csum_add(pseudo_sum(f, &v), l4, v.end - v.l3 - v.ihl)) != 0;
	if (v.proto == 6)
		st |= DP83820_EXTSTS_TCPPKT | (bad ? DP83820_EXTSTS_TCPERR : 0);
	else
		st |= DP83820_EXTSTS_UDPPKT |
		      (bad && xdrv_get_be16(l4 + 6) != 0 ? DP83820_EXTSTS_UDPERR : 0);
	return st;
}

/* ---- transmit -------------------------------------------------------------------------------- */

static void tx_resume(void *ctx, uint32_t id)
{
	(void)id;
	dp_tx_run(ctx);
}

/*
 * rate=: the transmitter paced to a link slower than the host can move frames, so that the
 * driver's ring fills and what queues in front of it (the runtime's transmit backlog, a packet
 * extension's priority classes) is what a real slow link would queue. Credit is wire time: it
 * grows with the clock up to DP_RATE_BURST_NS and each frame costs its bits, preamble, FCS and
 * inter-frame gap included; with no credit left the engine stops and a timer resumes it.
 */
#define DP_RATE_BURST_NS 1000000 /* 1 ms of line time may be sent back to back */
#define DP_RATE_OVERHEAD 24u	 /* preamble 8 + FCS 4 + inter-frame gap 12 bytes */

static bool tx_paced_out(struct dp83820 *s)
{
	if (!s->rate_mbit)
		return false;
	uint64_t now = xdrv_now_ns();
	int64_t grown = (int64_t)(now - s->tx_credit_at);
	s->tx_credit_at = now;
	if (grown > DP_RATE_BURST_NS || s->tx_credit_ns + grown > DP_RATE_BURST_NS)
		s->tx_credit_ns = DP_RATE_BURST_NS;
	else
		s->tx_credit_ns += grown;
	if (s->tx_credit_ns > 0)
		return false;
	hvb_timer_arm(s->dev, DP_TIMER_TX_RESUME, (uint64_t)-s->tx_credit_ns, tx_resume, s);
	return true;
}

static void tx_pace(struct dp83820 *s, size_t len)
{
	if (s->rate_mbit)
		s->tx_credit_ns -=
			(int64_t)(((uint64_t)len + DP_RATE_OVERHEAD) * 8000u / s->rate_mbit);
}

static void tx_idle(struct dp83820 *s)
{
	s->tx_on = false;
	s->isr |= DP83820_ISR_TXIDLE;
}

/* Give back the descriptors of an aborted frame (OWN clear, TXA in the last one) and halt. */
static void tx_abort(struct dp83820 *s, const uint64_t *addrs, const uint32_t *cmd, uint32_t n,
		     uint64_t next, const char *key, const char *msg)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t v = cmd[i] & ~DP83820_CMDSTS_OWN;
		if (i == n - 1)
			v = (v & ~DP83820_CMDSTS_OK) | DP83820_CMDSTS_TXA;
		if (cmdsts_write(s, addrs[i], v)) {
			dma_fault(s, 0, "tx-writeback-fault",
				  "TX descriptor status write to an unmapped bus address");
			break;
		}
	}
	s->cnt.tx_errors++;
	s->isr |= DP83820_ISR_TXERR;
	hvb_guest_error(s->dev, key, msg);
	if (next) {
		s->txdp = next;
		s->tx_refetch = false;
	} else if (n) {
		s->txdp = addrs[n - 1];
		s->tx_refetch = true;
	}
	tx_idle(s);
}

/*
 * Send one frame starting at the descriptor at s->txdp (already known to be owned). Returns
 * the number of descriptors consumed (> 0), 0 when the frame is not complete yet (a later
 * fragment is not owned: the engine idles and retries from the first one), or -1 after an
 * abort (engine halted).
 */
static int tx_frame(struct dp83820 *s, const struct desc *first)
{
	uint64_t addrs[DP83820_TX_MAX_FRAGS];
	uint32_t cmd[DP83820_TX_MAX_FRAGS];
	uint32_t n = 0, total = 0, intr = 0;
	struct desc d = *first;
	for (;;) {
		for (uint32_t i = 0; i < n; i++) {
			if (addrs[i] == d.addr) {
				tx_abort(s, addrs, cmd, n, 0, "tx-loop",
					 "TX fragment chain loops back to a descriptor of the same "
					 "frame: frame aborted (TXA)");
				return -1;
			}
		}
		if (n == DP83820_TX_MAX_FRAGS) {
			tx_abort(s, addrs, cmd, n, 0, "tx-frags",
				 "TX frame has more than 256 fragments: aborted (TXA)");
			return -1;
		}
		addrs[n] = d.addr;
		cmd[n] = d.cmdsts;
		n++;
		uint32_t flen = d.cmdsts & DP83820_CMDSTS_LEN;
		if (flen == 0) {
			tx_abort(s, addrs, cmd, n, d.link, "tx-zero-length",
				 "TX descriptor with a zero length: frame aborted (TXA)");
			return -1;
		}
		if (flen > DP83820_TX_MAX_FRAME - total) {
			tx_abort(s, addrs, cmd, n, d.link, "tx-too-long",
				 "TX frame longer than 65535 bytes: aborted (TXA)");
			return -1;
		}
		if (hvb_dma_read(s->dev, d.buf, s->txbuf + total, flen)) {
			dma_fault(s, 0, "tx-buffer-fault",
				  "TX buffer at an unmapped bus address: frame aborted (TXA)");
			tx_abort(s, addrs, cmd, n, d.link, "tx-buffer-fault", NULL);
			return -1;
		}
		total += flen;
		intr |= d.cmdsts & DP83820_CMDSTS_INTR;
		if (!(d.cmdsts & DP83820_CMDSTS_MORE))
			break;
		/* the next fragment must be there and owned, else wait for the driver */
		if (!d.link)
			return 0;
		uint64_t next = d.link;
		if (desc_read(s, next, &d)) {
			dma_fault(s, 0, "tx-desc-fault",
				  "TX descriptor at an unmapped bus address: frame aborted");
			tx_abort(s, addrs, cmd, n, 0, "tx-desc-fault", NULL);
			return -1;
		}
		if (!(d.cmdsts & DP83820_CMDSTS_OWN))
			return 0;
	}
	if ((s->vtcr & DP83820_VTCR_GCHK) ||
	    ((s->vtcr & DP83820_VTCR_PPCHK) &&
	     (first->extsts &
	      (DP83820_EXTSTS_IPPKT | DP83820_EXTSTS_TCPPKT | DP83820_EXTSTS_UDPPKT)))) {
		uint32_t want = (s->vtcr & DP83820_VTCR_GCHK)
					? DP83820_EXTSTS_IPPKT | DP83820_EXTSTS_TCPPKT |
						  DP83820_EXTSTS_UDPPKT
					: first->extsts;
		dp_tx_csum_insert(s->txbuf, total, want);
	}
	s->in_tx = true;
	hvb_wire_tx(s->dev, s->txbuf, total); /* no wire: lost, as on an unplugged port */
	s->in_tx = false;
	tx_pace(s, total);
	s->cnt.tx_frames++;
	s->cnt.tx_bytes += total;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t v = cmd[i] & ~DP83820_CMDSTS_OWN;
		if (i == n - 1)
			v |= DP83820_CMDSTS_OK;
		if (cmdsts_write(s, addrs[i], v)) {
			dma_fault(s, DP83820_ISR_TXERR, "tx-writeback-fault",
				  "TX descriptor status write to an unmapped bus address");
			tx_idle(s);
			return -1;
		}
	}
	s->isr |= DP83820_ISR_TXOK | (intr ? DP83820_ISR_TXDESC : 0);
	if (d.link) {
		s->txdp = d.link;
	} else {
		s->txdp = d.addr; /* stay; re-read its link when TXE is written again */
		s->tx_refetch = true;
	}
	return (int)n;
}

void dp_tx_run(struct dp83820 *s)
{
	uint32_t done = 0;
	while (s->tx_on) {
		if (done >= DP83820_MAX_DESC_PER_KICK) {
			/* a driver that keeps the ring full gets the rest at the next poll */
			hvb_timer_arm(s->dev, DP_TIMER_TX_RESUME, 0, tx_resume, s);
			break;
		}
		if (tx_paced_out(s))
			break; /* rate=: the timer resumes when the line is free */
		struct desc d;
		if (s->tx_refetch) {
			if (desc_read(s, s->txdp, &d)) {
				dma_fault(s, DP83820_ISR_TXERR, "tx-desc-fault",
					  "TX descriptor at an unmapped bus address");
				tx_idle(s);
				break;
			}
			if (!d.link) {
				tx_idle(s);
				break;
			}
			s->txdp = d.link;
			s->tx_refetch = false;
		}
		if (desc_read(s, s->txdp, &d)) {
			dma_fault(s, DP83820_ISR_TXERR, "tx-desc-fault",
				  "TX descriptor at an unmapped bus address");
			tx_idle(s);
			break;
		}
		if (!(d.cmdsts & DP83820_CMDSTS_OWN)) {
			tx_idle(s);
			break;
		}
		int n = tx_frame(s, &d);
		if (n <= 0) {
			if (n == 0)
				tx_idle(s);
			break;
		}
		done += (uint32_t)n;
		if (s->tx_refetch) {
			tx_idle(s);
			break;
		}
	}
	dp_update_irq(s);
}

/* ---- receive --------------------------------------------------------------------------------- */

/* RFCR decision; *dest gets the cmdsts DEST bits. */
static bool rx_accept(const struct dp83820 *s, const uint8_t *f, uint32_t *dest)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint32_t rfcr = s->rfcr;
	*dest = 0;
	if (!(rfcr & DP83820_RFCR_RFEN))
		return false;
	if (memcmp(f, bcast, 6) == 0) {
		*dest = DP83820_CMDSTS_DEST;
		return (rfcr & DP83820_RFCR_AAB) != 0;
	}
	if (f[0] & 1) {
		*dest = DP83820_CMDSTS_DEST_MULTI;
		return (rfcr & DP83820_RFCR_AAM) != 0;
	}
	if (memcmp(f, s->filter, 6) == 0) {
		*dest = DP83820_CMDSTS_DEST_SELF;
		if (rfcr & (DP83820_RFCR_APM | DP83820_RFCR_AAU))
			return true;
		*dest = 0;
		return false;
	}
	return (rfcr & DP83820_RFCR_AAU) != 0;
}

static int rx_no_room(struct dp83820 *s)
{
	if (s->flow)
		return -EAGAIN;
	s->cnt.rx_overruns++;
	s->mib[DP_MIB_RXMISSED]++;
	s->isr |= DP83820_ISR_RXORN;
	dp_update_irq(s);
	return 0;
}

static void rx_idle(struct dp83820 *s)
{
	s->rx_on = false;
	s->isr |= DP83820_ISR_RXIDLE;
}

int dp_rx_frame(struct dp83820 *s, const uint8_t *frame, size_t len)
{
	if (!frame || len < 14 || len > DP83820_TX_MAX_FRAME)
		return -EINVAL;
	uint32_t dest;
	if (!rx_accept(s, frame, &dest)) {
		s->cnt.rx_filtered++;
		return 0;
	}
	if (!s->rx_on)
		return rx_no_room(s);
	struct desc d;
	if (s->rx_refetch) {
		if (desc_read(s, s->rxdp, &d)) {
			dma_fault(s, DP83820_ISR_RXERR, "rx-desc-fault",
				  "RX descriptor at an unmapped bus address");
			rx_idle(s);
			return rx_no_room(s);
		}
		if (!d.link) {
			rx_idle(s);
			return rx_no_room(s);
		}
		s->rxdp = d.link;
		s->rx_refetch = false;
	}
	if (desc_read(s, s->rxdp, &d)) {
		dma_fault(s, DP83820_ISR_RXERR, "rx-desc-fault",
			  "RX descriptor at an unmapped bus address");
		rx_idle(s);
		return rx_no_room(s);
	}
	if (d.cmdsts & DP83820_CMDSTS_OWN) {
		/* the driver has not given this one back: out of descriptors */
		rx_idle(s);
		return rx_no_room(s);
	}
	/* the frame is copied once: a wire may hand a buffer it reuses */
	memcpy(s->rxbuf, frame, len);
	uint32_t cap = d.cmdsts & DP83820_CMDSTS_LEN;
	uint32_t st = DP83820_CMDSTS_OWN | dest | (uint32_t)len;
	bool buf_fault = false, wb_fault = false;
	/* a long frame (jumbo) is taken only with RXCFG.ALP, as on the chip, and must fit */
	if (len > cap || (len > DP83820_MAX_STD_FRAME && !(s->rxcfg & DP83820_RXCFG_ALP))) {
		st |= DP83820_CMDSTS_LONG;
		s->cnt.rx_errors++;
		s->mib[DP_MIB_RXLONG]++;
		s->isr |= DP83820_ISR_RXERR;
	} else if (hvb_dma_write(s->dev, d.buf, s->rxbuf, len)) {
		dma_fault(s, DP83820_ISR_RXERR, "rx-buffer-fault",
			  "RX buffer at an unmapped bus address (or not device-writable)");
		st |= DP83820_CMDSTS_RXA;
		s->cnt.rx_errors++;
		buf_fault = true;
	} else {
		st |= DP83820_CMDSTS_OK;
		s->cnt.rx_frames++;
		s->cnt.rx_bytes += len;
		s->isr |= DP83820_ISR_RXOK;
	}
	/* extsts before cmdsts: a driver that sees OWN may read extsts at once */
	if ((s->cfg & DP83820_CFG_EXTSTS_EN) && (st & DP83820_CMDSTS_OK)) {
		uint32_t ext = (s->vrcr & DP83820_VRCR_IPEN) ? dp_rx_csum_status(s->rxbuf, len) : 0;
		wb_fault = extsts_write(s, d.addr, ext) != 0;
	}
	if (!wb_fault)
		wb_fault = cmdsts_write(s, d.addr, st) != 0;
	if (wb_fault)
		dma_fault(s, DP83820_ISR_RXERR, "rx-writeback-fault",
			  "RX descriptor status write to an unmapped bus address");
	if (buf_fault || wb_fault) {
		rx_idle(s); /* a master abort halts the receiver until RXE */
		dp_update_irq(s);
		return 0;
	}
	if (d.cmdsts & DP83820_CMDSTS_INTR)
		s->isr |= DP83820_ISR_RXDESC;
	if (d.link) {
		s->rxdp = d.link;
	} else {
		s->rx_refetch = true;
		rx_idle(s);
	}
	dp_update_irq(s);
	return 0;
}
