// SPDX-License-Identifier: MIT
/*
 * dp83820: a driver for the National Semiconductor DP83820 gigabit Ethernet controller (PCI
 * 100b:0022), written against the xdrv driver ABI only. This file: probe (reset, MAC address
 * from the receive filter RAM, rings, interrupt, netdev), open/stop of the interface (filter,
 * engines, interrupt holdoff, interrupt mask), the interrupt handler and the NAPI poll that
 * does the receive and transmit work with receive/transmit interrupts masked, link state from
 * CFG, statistics, and remove. The rings are in dp83820_rx.c and dp83820_tx.c.
 *
 * Parameters (specialized into constants by the loader; defined in dp83820_params.c): rx_ring,
 * tx_ring (descriptors), holdoff_us (IHR, 100 us units), csum_offload (extsts checksum insertion
 * and checking), desc64 (the 64-bit descriptor format, CFG.M64ADDR), mtu (RX buffer size:
 * jumbo frames up to 9000 bytes of payload, RXCFG.ALP). Every wait on the chip is bounded.
 */
#include "dp83820.h"

#define RESET_WAIT_US	   10u
#define RESET_WAIT_ROUNDS  1000u /* 10 ms */
#define ENGINE_WAIT_ROUNDS 1000u
/* interrupts handed to the NAPI poll (masked while it runs) */
#define IMR_NAPI                                                                                   \
	(ISR_RXOK | ISR_RXDESC | ISR_RXERR | ISR_RXIDLE | ISR_RXORN | ISR_TXOK | ISR_TXDESC |      \
	 ISR_TXERR | ISR_TXIDLE | ISR_TXURN)
#define IMR_ALWAYS (ISR_PHY | ISR_RXSOVR)

/* Write `bits` to CR and wait until the chip clears them (reset bits self-clear, TXD/RXD clear
 * TXE/RXE). 0 or XDRV_ETIMEDOUT. */
static int32_t dp_cr_wait(struct dp *d, uint32_t write, uint32_t wait_clear, uint32_t rounds)
{
	dp_wr(d, DP_CR, write);
	for (uint32_t n = 0; n < rounds; n++) {
		if (!(dp_rd(d, DP_CR) & wait_clear))
			return XDRV_OK;
		xdrv_delay_us(RESET_WAIT_US);
	}
	return XDRV_ETIMEDOUT;
}

/* ---- link ----------------------------------------------------------------------------------- */

static void dp_link_update(struct dp *d)
{
	/* SPDSTS and DUPSTS are wired active low on the reference boards (1000 Mbit/s full
	 * duplex reads SPDSTS 01b, DUPSTS 0); LNKSTS is active high */
	uint32_t cfg = dp_rd(d, DP_CFG) ^ (CFG_SPDSTS1 | CFG_SPDSTS0 | CFG_DUPSTS);
	uint32_t up = (cfg & CFG_LNKSTS) != 0;
	uint32_t speed = (cfg & CFG_SPDSTS1) ? 1000u : (cfg & CFG_SPDSTS0) ? 100u : 10u;
	uint32_t duplex = (cfg & CFG_DUPSTS) != 0;
	if (!up)
		speed = duplex = 0;
	if (up != d->link_up || speed != d->speed || duplex != d->duplex) {
		struct xdrv_msg m;
		xdrv_msg_init(&m);
		xdrv_msg_str(&m, "dp83820: link ");
		if (up) {
			xdrv_msg_str(&m, "up, ");
			xdrv_msg_u64(&m, speed);
			xdrv_msg_str(&m, duplex ? " Mbit/s full duplex" : " Mbit/s half duplex");
		} else {
			xdrv_msg_str(&m, "down");
		}
		xdrv_msg_log(&m, XDRV_LOG_INFO);
	}
	d->link_up = up;
	d->speed = speed;
	d->duplex = duplex;
	xdrv_net_link_set(d->nd, up, speed, duplex);
}

/* ---- interrupt and NAPI --------------------------------------------------------------------- */

static void dp_isr_side_effects(struct dp *d, uint32_t isr)
{
	if (isr & ISR_TXURN)
		d->st.tx_errors++;
	if (isr & (ISR_RXIDLE | ISR_RXORN))
		d->rx_kick = 1;
	if (isr & ISR_PHY)
		dp_link_update(d);
}

static uint32_t dp_irq(void *ctx)
{
	struct dp *d = ctx;
	uint32_t isr = dp_rd(d, DP_ISR); /* clears it */
	if (!isr || isr == 0xffffffffu)
		return XDRV_IRQ_NONE;
	d->irqs++;
	dp_isr_side_effects(d, isr);
	if ((isr & IMR_NAPI) && d->open && !d->polling) {
		d->polling = 1;
		dp_wr(d, DP_IMR, d->imr & ~IMR_NAPI);
		xdrv_net_napi_schedule(d->nd);
	}
	return XDRV_IRQ_HANDLED;
}

static int32_t dp_poll(xdrv_netdev_t *nd, uint32_t budget)
{
	struct dp *d = xdrv_net_priv(nd);
	if (!d || !d->open)
		return 0;
	d->polls++;
	uint32_t done = dp_rx_process(d, budget);
	dp_tx_reap(d);
	if (done || d->rx_kick) { /* buffers were given back: resume an idle receiver */
		d->rx_kick = 0;
		dp_wr(d, DP_CR, CR_RXE);
	}
	if (done < budget) {
		d->polling = 0;
		dp_wr(d, DP_IMR, d->imr);
		/* a frame that landed after the last look raised its status bit while masked, and
		 * the unmask raises the line; reschedule anyway if one is already waiting */
		if (dp_rx_pending(d)) {
			d->polling = 1;
			dp_wr(d, DP_IMR, d->imr & ~IMR_NAPI);
			xdrv_net_napi_schedule(nd);
		}
	}
	return (int32_t)done;
}

/* ---- open / stop ---------------------------------------------------------------------------- */

static void dp_engines_off(struct dp *d)
{
	dp_wr(d, DP_IER, 0);
	dp_wr(d, DP_IMR, 0);
	if (dp_cr_wait(d, CR_TXD | CR_RXD, CR_TXE | CR_RXE, ENGINE_WAIT_ROUNDS) != XDRV_OK)
		xdrv_log(XDRV_LOG_WARN, "dp83820: engines did not stop within 10 ms");
	(void)dp_rd(d, DP_ISR);
	d->polling = 0;
}

static void dp_write_ring_ptr(struct dp *d, uint32_t lo, uint32_t hi, uint64_t bus)
{
	dp_wr(d, hi, d->desc_size == DESC64_SIZE ? (uint32_t)(bus >> 32) : 0);
	dp_wr(d, lo, (uint32_t)bus);
}

static uint32_t dp_ihr(void)
{
	uint32_t units = (xdrv_param_holdoff_us + 99) / 100; /* 100 us units, 8 bits */
	return units > 0xff ? 0xff : units;
}

static int32_t dp_open(xdrv_netdev_t *nd)
{
	struct dp *d = xdrv_net_priv(nd);
	if (!d)
		return XDRV_EINVAL;
	if (d->open)
		return XDRV_OK;
	dp_rx_ring_reset(d);
	dp_tx_ring_reset(d);
	dp_write_ring_ptr(d, DP_RXDP, DP_RXDP_HI, d->rxd_bus);
	dp_write_ring_ptr(d, DP_TXDP, DP_TXDP_HI, d->txd_bus);
	/* accept our address (perfect match) and broadcast; RFEN off while changing */
	dp_wr(d, DP_RFCR, 0);
	dp_wr(d, DP_RFCR, RFCR_AAB | RFCR_APM);
	dp_wr(d, DP_RFCR, RFCR_RFEN | RFCR_AAB | RFCR_APM);
	dp_wr(d, DP_IHR, dp_ihr());
	d->imr = IMR_NAPI | IMR_ALWAYS;
	d->open = 1;
	d->polling = 0;
	d->tx_stopped = 0;
	(void)dp_rd(d, DP_ISR);
	dp_wr(d, DP_IMR, d->imr);
	dp_wr(d, DP_IER, 1);
	dp_wr(d, DP_CR, CR_RXE);
	dp_link_update(d);
	return XDRV_OK;
}

static int32_t dp_stop(xdrv_netdev_t *nd)
{
	struct dp *d = xdrv_net_priv(nd);
	if (!d || !d->open)
		return XDRV_OK;
	dp_engines_off(d);
	d->open = 0;
	dp_tx_reap(d);
	dp_tx_drop_all(d);
	d->tx_stopped = 0;
	return XDRV_OK;
}

static int32_t dp_set_promisc(xdrv_netdev_t *nd, uint32_t on)
{
	struct dp *d = xdrv_net_priv(nd);
	if (!d)
		return XDRV_EINVAL;
	uint32_t v = RFCR_AAB | RFCR_APM | (on ? RFCR_AAU | RFCR_AAM : 0);
	dp_wr(d, DP_RFCR, v);
	dp_wr(d, DP_RFCR, v | RFCR_RFEN);
	return XDRV_OK;
}

static int32_t dp_get_stats(xdrv_netdev_t *nd, struct xdrv_net_stats *st)
{
	struct dp *d = xdrv_net_priv(nd);
	if (!d || !st)
		return XDRV_EINVAL;
	*st = d->st;
	/* the chip's MIB counters (cleared at probe): frames it could not store or checked bad */
	st->rx_fifo_errors += dp_rd(d, DP_MIB_RXMISS);
	st->rx_crc_errors += dp_rd(d, DP_MIB_RXFCS);
	st->rx_errors += dp_rd(d, DP_MIB_RXERR);
	for (uint32_t i = 0; i < 4; i++)
		st->reserved[i] = 0;
	return XDRV_OK;
}

static const struct xdrv_net_ops dp_net_ops = {
	.struct_size = sizeof(struct xdrv_net_ops),
	.open = dp_open,
	.stop = dp_stop,
	.xmit = dp_xmit,
	.poll = dp_poll,
	.get_stats = dp_get_stats,
	.set_promisc = dp_set_promisc,
};

/* ---- probe / remove ------------------------------------------------------------------------- */

static void dp_read_mac(struct dp *d)
{
	/* the perfect-match entry of the filter RAM: three 16-bit words, low byte first */
	for (uint64_t i = 0; i < 3; i++) {
		dp_wr(d, DP_RFCR, (uint32_t)(i * 2));
		uint32_t w = dp_rd(d, DP_RFDR);
		d->mac[i * 2] = (uint8_t)w;
		d->mac[i * 2 + 1] = (uint8_t)(w >> 8);
	}
}

static void dp_chip_setup(struct dp *d)
{
	uint32_t cfg = dp_rd(d, DP_CFG) & (CFG_M64ADDR | CFG_T64ADDR);
	cfg |= CFG_EXTSTS_EN | CFG_PINT_DUPSTS | CFG_PINT_LNKSTS | CFG_PINT_SPDSTS;
	if (d->desc_size == DESC64_SIZE)
		cfg |= CFG_M64ADDR | CFG_T64ADDR;
	else
		cfg &= ~(CFG_M64ADDR | CFG_T64ADDR);
	dp_wr(d, DP_CFG, cfg);
	dp_wr(d, DP_TXCFG, TXCFG_ATP | TXCFG_MXDMA512 | TXCFG_FLTH(1600) | TXCFG_DRTH(512));
	dp_wr(d, DP_RXCFG,
	      RXCFG_STRIPCRC | RXCFG_RX_FD | RXCFG_MXDMA512 | RXCFG_DRTH(64) |
		      (xdrv_param_mtu > 1500 ? RXCFG_ALP : 0));
	dp_wr(d, DP_PQCR, 0);
	dp_wr(d, DP_WCSR, 0);
#if XDRV_ABI_HAS(1, 2)
	/* csum_offload is live (XDRV_PARAM_F_LIVE): the chip checks every frame and inserts on
	 * request per packet, and the data path decides with the parameter (rx_csum_flags,
	 * tx_csum), so a re-specialized value takes effect at the next frame */
	dp_wr(d, DP_VRCR, VRCR_IPEN);
	dp_wr(d, DP_VTCR, VTCR_PPCHK);
#else
	dp_wr(d, DP_VRCR, xdrv_param_csum_offload ? VRCR_IPEN : 0);
	dp_wr(d, DP_VTCR, xdrv_param_csum_offload ? VTCR_PPCHK : 0);
#endif
	dp_wr(d, DP_IHR, 0);
	dp_wr(d, DP_MIBC, MIBC_ACLR);
}

static void dp_log_probe(const struct dp *d)
{
	static const char hx[] = "0123456789abcdef";
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "dp83820: MAC ");
	for (uint32_t i = 0; i < XDRV_ETH_ALEN; i++) {
		if (i)
			xdrv_msg_chr(&m, ':');
		xdrv_msg_chr(&m, hx[d->mac[i] >> 4]);
		xdrv_msg_chr(&m, hx[d->mac[i] & 15]);
	}
	xdrv_msg_str(&m, ", rx ring ");
	xdrv_msg_u64(&m, d->rx_n);
	xdrv_msg_str(&m, ", tx ring ");
	xdrv_msg_u64(&m, d->tx_n);
	xdrv_msg_str(&m,
		     d->desc_size == DESC64_SIZE ? ", 64-bit descriptors" : ", 32-bit descriptors");
	xdrv_msg_str(&m, ", holdoff ");
	xdrv_msg_u64(&m, (uint64_t)dp_ihr() * 100u);
	xdrv_msg_str(&m, " us, checksum offload ");
	xdrv_msg_str(&m, xdrv_param_csum_offload ? "on" : "off");
	xdrv_msg_log(&m, XDRV_LOG_INFO);
}

static void dp_teardown(struct dp *d)
{
	if (d->regs)
		dp_engines_off(d);
	d->open = 0;
	dp_tx_ring_free(d);
	dp_rx_ring_free(d);
	if (d->nd)
		xdrv_net_unregister(d->nd);
	d->nd = NULL;
}

static int32_t dp_probe(xdrv_device_t *dev)
{
	xdrv_region_t *regs = xdrv_dev_region(dev, 0);
	if (!regs || xdrv_region_kind(regs) != XDRV_REGION_MMIO || xdrv_region_size(regs) < 0x100) {
		xdrv_log(XDRV_LOG_ERROR, "dp83820: probe: region 0 is not a 256-byte MMIO window");
		return XDRV_ENODEV;
	}
	struct dp *d = xdrv_mem_alloc(sizeof *d);
	if (!d)
		return XDRV_ENOMEM;
	d->dev = dev;
	d->regs = regs;
	d->desc_size = xdrv_param_desc64 ? DESC64_SIZE : DESC32_SIZE;
	dp_wr(d, DP_IER, 0);
	dp_wr(d, DP_IMR, 0);
	int32_t rc = dp_cr_wait(d, CR_RST, CR_RST, RESET_WAIT_ROUNDS);
	if (rc != XDRV_OK) {
		xdrv_log(XDRV_LOG_ERROR, "dp83820: probe: CR.RST did not clear within 10 ms");
		goto out_free;
	}
	dp_chip_setup(d);
	dp_read_mac(d);
	d->nd = xdrv_net_register(dev, &dp_net_ops, d->mac, d);
	if (!d->nd) {
		xdrv_log(XDRV_LOG_ERROR, "dp83820: probe: cannot register the interface");
		rc = XDRV_ENOMEM;
		goto out_free;
	}
	rc = dp_rx_ring_alloc(d);
	if (rc == XDRV_OK)
		rc = dp_tx_ring_alloc(d);
	if (rc != XDRV_OK)
		goto out_teardown;
	rc = xdrv_irq_request(dev, 0, dp_irq, d);
	if (rc != XDRV_OK) {
		xdrv_log(XDRV_LOG_ERROR, "dp83820: probe: cannot request interrupt 0");
		goto out_teardown;
	}
	xdrv_dev_set_priv(dev, d);
	dp_log_probe(d);
	dp_link_update(d);
	return XDRV_OK;

out_teardown:
	dp_teardown(d);
out_free:
	xdrv_mem_free(d);
	return rc;
}

static void dp_remove(xdrv_device_t *dev)
{
	struct dp *d = xdrv_dev_priv(dev);
	if (!d)
		return;
	dp_engines_off(d);
	xdrv_irq_free(dev, 0);
	d->open = 0;
	dp_tx_reap(d);
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "dp83820: removed; rx ");
	xdrv_msg_u64(&m, d->st.rx_packets);
	xdrv_msg_str(&m, " packets, tx ");
	xdrv_msg_u64(&m, d->st.tx_packets);
	xdrv_msg_str(&m, " packets, ");
	xdrv_msg_u64(&m, d->irqs);
	xdrv_msg_str(&m, " interrupts, ");
	xdrv_msg_u64(&m, d->polls);
	xdrv_msg_str(&m, " polls");
	xdrv_msg_log(&m, XDRV_LOG_INFO);
	if (dp_cr_wait(d, CR_RST, CR_RST, RESET_WAIT_ROUNDS) != XDRV_OK)
		xdrv_log(XDRV_LOG_WARN, "dp83820: remove: CR.RST did not clear within 10 ms");
	dp_teardown(d);
	xdrv_dev_set_priv(dev, NULL);
	xdrv_mem_free(d);
}

static const struct xdrv_match dp_match[] = {
	{.bus = XDRV_BUS_PCI, .vendor = 0x100b, .device = 0x0022},
	{.bus = 0},
};

static const struct xdrv_param dp_params[] = {
	XDRV_PARAM_ENTRY(XDRV_PARAM_U32, rx_ring, 64, 8, 1024, "receive descriptors"),
	XDRV_PARAM_ENTRY(XDRV_PARAM_U32, tx_ring, 128, 32, 1024, "transmit descriptors"),
	XDRV_PARAM_ENTRY(XDRV_PARAM_U32, holdoff_us, 100, 0, 25500,
			 "interrupt holdoff in microseconds (IHR, 100 us steps)"),
	XDRV_PARAM_ENTRY_F(XDRV_PARAM_BOOL, csum_offload, 1, 0, 1, XDRV_PARAM_F_LIVE,
			   "TCP/UDP/IP checksums by the chip on transmit and receive"),
	XDRV_PARAM_ENTRY(XDRV_PARAM_BOOL, desc64, 0, 0, 1,
			 "64-bit descriptor format (CFG.M64ADDR)"),
	XDRV_PARAM_ENTRY(
		XDRV_PARAM_U32, mtu, 1500, 68, 9000,
		"largest frame payload received (RX buffer size; jumbo frames above 1500)"),
	XDRV_PARAM_END,
};

XDRV_DRIVER(.name = "dp83820", .version = "1.0.0", .match = dp_match, .params = dp_params,
	    .probe = dp_probe, .remove = dp_remove);
