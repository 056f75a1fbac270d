// SPDX-License-Identifier: MIT
/*
 * The DP83820 register file: reset values, the command register's strobes, ISR clear-on-read,
 * the interrupt line (IMR, IER, IHR holdoff), CFG link status, the receive filter RAM
 * (RFCR/RFDR), BIST/EEPROM-load strobes in PTSCR, and the MIB counters. Facts from the
 * DP83820 datasheet and the Linux ns83820 driver.
 *
 * The interrupt line is dp83820_irq.c; the DMA engines are dp83820_dma.c; PCI identity, config
 * and host calls are dp83820_pci.c.
 * Simplified, as the issue allows: MEAR (EEPROM and MDIO bit-bang pins) stores what is written
 * and reads no EEPROM data and an idle MDIO line; the TBI registers report an up link when the
 * link is up; PHY registers are not modelled.
 */
#include "dp83820_priv.h"

#include <string.h>

#define SRR_REVISION 0x0103u /* ns83820 prints "DP83820 v1.3" */

/* TBI (ten-bit interface) status bits the Linux driver reads */
#define TBISR_MR_LINK_STATUS 0x00000020u
#define TBISR_MR_AN_COMPLETE 0x00000004u
#define TANAR_FULL_DUP	     0x00000020u
#define TANAR_HALF_DUP	     0x00000040u

/* MEAR pins */
#define MEAR_EEDO 0x00000002u
#define MEAR_MDIO 0x00000010u

/* Station address into filter RAM words 0..2, as the EEPROM load does. */
static void load_mac(struct dp83820 *s)
{
	memcpy(s->filter, s->mac, 6);
}

static uint32_t cfg_status(const struct dp83820 *s)
{
	/* active-low speed/duplex pins: 1000 Mb/s = SPDSTS 10b -> reads 01b; full duplex -> 0 */
	uint32_t v = DP83820_CFG_SPDSTS0;
	if (s->link_up)
		v |= DP83820_CFG_LNKSTS;
	return v;
}

static void tx_reset(struct dp83820 *s)
{
	s->tx_on = false;
	s->tx_refetch = false;
	s->txdp = 0;
	s->txdp_hi = 0;
	hvb_timer_cancel(s->dev, DP_TIMER_TX_RESUME);
}

static void rx_reset(struct dp83820 *s)
{
	s->rx_on = false;
	s->rx_refetch = false;
	s->rxdp = 0;
	s->rxdp_hi = 0;
}

void dp_reset(struct dp83820 *s)
{
	s->cfg = 0;
	s->mear = 0;
	s->ptscr = 0;
	s->isr = 0;
	s->imr = 0;
	s->ier = 0;
	s->ihr = 0;
	s->txcfg = 0;
	s->gpior = 0;
	s->rxcfg = 0;
	s->pqcr = 0;
	s->wcsr = 0;
	s->pcr = 0;
	s->rfcr = 0;
	s->mibc = 0;
	s->vrcr = 0;
	s->vtcr = 0;
	s->vdr = 0;
	s->ccsr = 0;
	s->tbicr = 0;
	s->tanar = 0;
	memset(s->filter, 0, sizeof s->filter);
	memset(s->mib, 0, sizeof s->mib);
	load_mac(s);
	tx_reset(s);
	rx_reset(s);
	s->holdoff_elapsed = false;
	hvb_timer_cancel(s->dev, DP_TIMER_HOLDOFF);
	s->line = false;
	hvb_irq_set(s->dev, 0, false);
}

static void write_cr(struct dp83820 *s, uint32_t v)
{
	if (v & DP83820_CR_RST) {
		dp_reset(s); /* the rest of the write is ignored while the chip resets */
		return;
	}
	if (v & DP83820_CR_TXR) {
		tx_reset(s);
		s->isr |= DP83820_ISR_TXRCMP;
	}
	if (v & DP83820_CR_RXR) {
		rx_reset(s);
		s->isr |= DP83820_ISR_RXRCMP;
	}
	if (v & DP83820_CR_SWI)
		s->isr |= DP83820_ISR_SWI;
	/* disable wins over enable in one write */
	if (v & DP83820_CR_RXD)
		s->rx_on = false;
	else if (v & DP83820_CR_RXE)
		s->rx_on = true; /* a refetch, if due, happens when a frame arrives */
	if (v & DP83820_CR_TXD) {
		s->tx_on = false;
		hvb_timer_cancel(s->dev, DP_TIMER_TX_RESUME);
	} else if (v & DP83820_CR_TXE) {
		s->tx_on = true;
		if (!s->in_tx)
			dp_tx_run(s);
	}
	dp_update_irq(s);
}

static void write_ptscr(struct dp83820 *s, uint32_t v)
{
	/* the self tests finish at once and pass; their enable bits read back 0 */
	uint32_t st = s->ptscr & DP83820_PTSCR_RBIST_DONE;
	if (v & DP83820_PTSCR_RBIST_RST)
		st = 0;
	if (v & DP83820_PTSCR_RBIST_EN)
		st |= DP83820_PTSCR_RBIST_DONE;
	if (v & DP83820_PTSCR_EELOAD_EN)
		load_mac(s);
	s->ptscr = st;
}

static uint32_t read_rfdr(const struct dp83820 *s)
{
	uint32_t a = s->rfcr & DP83820_RFCR_RFADDR & ~1u; /* word address */
	return (uint32_t)s->filter[a] | (uint32_t)s->filter[a + 1] << 8;
}

static void write_rfdr(struct dp83820 *s, uint32_t v)
{
	uint32_t a = s->rfcr & DP83820_RFCR_RFADDR & ~1u;
	/* RFDR[17:16] are byte masks (BMASK): a set bit keeps that byte */
	if (!(v & 0x10000u))
		s->filter[a] = (uint8_t)v;
	if (!(v & 0x20000u))
		s->filter[a + 1] = (uint8_t)(v >> 8);
}

static void unknown(struct dp83820 *s, const char *what)
{
	hvb_guest_error(s->dev, what, what);
}

uint64_t dp_read(void *opaque, uint32_t region, uint64_t off, uint32_t size)
{
	struct dp83820 *s = opaque;
	(void)region;
	(void)size; /* the region allows only 4-byte, aligned accesses */
	bool m64 = dp_m64(s);
	uint32_t v = 0;
	switch (off) {
	case DP83820_CR:
		v = (s->tx_on ? DP83820_CR_TXE : 0) | (s->rx_on ? DP83820_CR_RXE : 0);
		break;
	case DP83820_CFG:
		v = (s->cfg & ~DP83820_CFG_RO_MASK) | cfg_status(s);
		break;
	case DP83820_MEAR:
		v = (s->mear & ~MEAR_EEDO) | MEAR_MDIO; /* no EEPROM data, MDIO pulled up */
		break;
	case DP83820_PTSCR:
		v = s->ptscr;
		break;
	case DP83820_ISR:
		v = s->isr;
		s->isr = 0;
		dp_update_irq(s);
		break;
	case DP83820_IMR:
		v = s->imr;
		break;
	case DP83820_IER:
		v = s->ier;
		break;
	case DP83820_IHR:
		v = s->ihr;
		break;
	case DP83820_TXDP:
		v = (uint32_t)s->txdp;
		break;
	case DP83820_TXDP_HI:
		v = m64 ? (uint32_t)(s->txdp >> 32) : s->txdp_hi;
		break;
	case DP83820_TXCFG:
		v = s->txcfg;
		break;
	case DP83820_GPIOR:
		v = s->gpior;
		break;
	case DP83820_RXDP:
		v = (uint32_t)s->rxdp;
		break;
	case DP83820_RXDP_HI:
		v = m64 ? (uint32_t)(s->rxdp >> 32) : s->rxdp_hi;
		break;
	case DP83820_RXCFG:
		v = s->rxcfg;
		break;
	case DP83820_PQCR:
		v = s->pqcr;
		break;
	case DP83820_WCSR:
		v = s->wcsr;
		break;
	case DP83820_PCR:
		v = s->pcr;
		break;
	case DP83820_RFCR:
		v = s->rfcr;
		break;
	case DP83820_RFDR:
		v = read_rfdr(s);
		break;
	case DP83820_SRR:
		v = SRR_REVISION;
		break;
	case DP83820_MIBC:
		v = s->mibc & ~DP83820_MIBC_ACLR;
		break;
	case DP83820_VRCR:
		v = s->vrcr;
		break;
	case DP83820_VTCR:
		v = s->vtcr;
		break;
	case DP83820_VDR:
		v = s->vdr;
		break;
	case DP83820_CCSR:
		v = s->ccsr;
		break;
	case DP83820_TBICR:
		v = s->tbicr;
		break;
	case DP83820_TBISR:
		v = s->link_up ? TBISR_MR_LINK_STATUS | TBISR_MR_AN_COMPLETE : 0;
		break;
	case DP83820_TANAR:
		v = s->tanar;
		break;
	case DP83820_TANLPAR:
		v = s->link_up ? TANAR_FULL_DUP | TANAR_HALF_DUP : 0;
		break;
	default:
		if (off >= DP83820_MIB_RXERRPKT && off < DP83820_MIB_RXERRPKT + 4 * DP_MIB_COUNT)
			v = s->mib[(off - DP83820_MIB_RXERRPKT) / 4];
		/* other offsets read 0: unimplemented registers and the rest of the window */
		break;
	}
	return v;
}

void dp_write(void *opaque, uint32_t region, uint64_t off, uint32_t size, uint64_t value)
{
	struct dp83820 *s = opaque;
	uint32_t v = (uint32_t)value;
	(void)region;
	(void)size;
	switch (off) {
	case DP83820_CR:
		write_cr(s, v);
		return;
	case DP83820_CFG:
		s->cfg = v & ~DP83820_CFG_RO_MASK;
		return;
	case DP83820_MEAR:
		s->mear = v;
		return;
	case DP83820_PTSCR:
		write_ptscr(s, v);
		return;
	case DP83820_ISR:
		unknown(s, "write to the read-only ISR ignored");
		return;
	case DP83820_IMR:
		s->imr = v;
		break;
	case DP83820_IER:
		s->ier = v & DP83820_IER_IE;
		break;
	case DP83820_IHR:
		s->ihr = v & 0x1ffu; /* IH and IHCTL */
		if (!(v & DP83820_IHR_IH))
			hvb_timer_cancel(s->dev, DP_TIMER_HOLDOFF);
		break;
	case DP83820_TXDP:
		s->txdp = dp_m64(s) ? (s->txdp & ~0xffffffffull) | v : v;
		s->tx_refetch = false; /* the driver points the engine at a new descriptor */
		return;
	case DP83820_TXDP_HI:
		s->txdp_hi = v;
		if (dp_m64(s))
			s->txdp = (uint64_t)v << 32 | (uint32_t)s->txdp;
		return;
	case DP83820_TXCFG:
		s->txcfg = v;
		return;
	case DP83820_GPIOR:
		s->gpior = v;
		return;
	case DP83820_RXDP:
		s->rxdp = dp_m64(s) ? (s->rxdp & ~0xffffffffull) | v : v;
		s->rx_refetch = false;
		return;
	case DP83820_RXDP_HI:
		s->rxdp_hi = v;
		if (dp_m64(s))
			s->rxdp = (uint64_t)v << 32 | (uint32_t)s->rxdp;
		return;
	case DP83820_RXCFG:
		s->rxcfg = v;
		return;
	case DP83820_PQCR:
		s->pqcr = v;
		return;
	case DP83820_WCSR:
		s->wcsr = v;
		return;
	case DP83820_PCR:
		s->pcr = v;
		return;
	case DP83820_RFCR:
		s->rfcr = v;
		return;
	case DP83820_RFDR:
		write_rfdr(s, v);
		return;
	case DP83820_MIBC:
		s->mibc = v & ~DP83820_MIBC_ACLR;
		if (v & DP83820_MIBC_ACLR)
			memset(s->mib, 0, sizeof s->mib);
		return;
	case DP83820_VRCR:
		s->vrcr = v;
		return;
	case DP83820_VTCR:
		s->vtcr = v;
		return;
	case DP83820_VDR:
		s->vdr = v;
		return;
	case DP83820_CCSR:
		s->ccsr = v;
		return;
	case DP83820_TBICR:
		s->tbicr = v & ~0x200u; /* MR_RESTART_AN self-clears: negotiation is instant */
		return;
	case DP83820_TANAR:
		s->tanar = v;
		return;
	default:
		unknown(s, "write to an unimplemented or read-only register ignored");
		return;
	}
	dp_update_irq(s);
}
