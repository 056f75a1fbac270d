/* SPDX-License-Identifier: MIT */
/*
 * Private to the DP83820 model: the chip state shared by its register file (dp83820.c), its
 * interrupt line (dp83820_irq.c), its DMA engines (dp83820_dma.c) and its PCI/host glue
 * (dp83820_pci.c). The public contract, with
 * register and descriptor layouts, is xdrv/dp83820.h.
 */
#ifndef XDRV_DP83820_PRIV_H
#define XDRV_DP83820_PRIV_H

#include "../hvb_priv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xdrv/dp83820.h>

/* hvb timer ids */
#define DP_TIMER_HOLDOFF   0 /* IHR: delayed assertion of the interrupt line */
#define DP_TIMER_TX_RESUME 1 /* the TX engine stopped at DP83820_MAX_DESC_PER_KICK */

#define DP_MIB_COUNT	11 /* counters at 0x60..0x88 */
#define DP_MIB_RXMISSED 2  /* 0x68 */
#define DP_MIB_RXLONG	5  /* 0x74 */

#define DP_HOLDOFF_UNIT_NS 100000u /* IHR counts 100 us units (datasheet; ns83820 "ihr") */

struct dp83820 {
	struct hvb_device *dev;
	/* EEPROM contents and board options (config string) */
	uint8_t mac[6];
	bool link_up, flow;
	uint32_t rate_mbit; /* rate=: transmit paced to this many Mbit/s on the wire, 0 unpaced */

	/* registers as stored */
	uint32_t cfg, mear, ptscr, isr, imr, ier, ihr, txcfg, gpior, rxcfg, pqcr, wcsr, pcr;
	uint32_t rfcr, mibc, vrcr, vtcr, vdr, ccsr, tbicr, tanar;
	uint32_t txdp_hi, rxdp_hi;
	uint64_t txdp, rxdp; /* current descriptor addresses */
	uint8_t filter[DP83820_FILTER_RAM];
	uint32_t mib[DP_MIB_COUNT];

	/* engines */
	bool tx_on, rx_on;	     /* enabled and not idle */
	bool tx_refetch, rx_refetch; /* last descriptor had link 0: re-read its link on enable */
	bool in_tx;		     /* TX runs (a wire's tx callback must not restart it) */
	uint8_t *txbuf;		     /* DP83820_TX_MAX_FRAME bytes: the frame being gathered */
	uint8_t *rxbuf;		     /* a copy of the frame being received (the wire's may move) */
	int64_t tx_credit_ns;	     /* rate=: wire time the transmitter may still use */
	uint64_t tx_credit_at;	     /* when tx_credit_ns was last topped up */

	/* interrupt line */
	bool line;
	bool holdoff_elapsed; /* the IHR window has passed since the line last dropped */

	struct dp83820_counters cnt;
};

/* CFG.M64ADDR: descriptor and buffer pointers are 64-bit */
static inline bool dp_m64(const struct dp83820 *s)
{
	return (s->cfg & DP83820_CFG_M64ADDR) != 0;
}

/* dp83820.c */
void dp_reset(struct dp83820 *s);
uint64_t dp_read(void *opaque, uint32_t region, uint64_t off, uint32_t size);
void dp_write(void *opaque, uint32_t region, uint64_t off, uint32_t size, uint64_t value);

/* dp83820_irq.c: re-evaluate the interrupt line after any change of ISR, IMR, IER or IHR. */
void dp_update_irq(struct dp83820 *s);

/* dp83820_dma.c */
void dp_tx_run(struct dp83820 *s);
/* The receive path (see dp83820_receive in xdrv/dp83820.h). */
int dp_rx_frame(struct dp83820 *s, const uint8_t *frame, size_t len);
/* Offload helpers, exposed for the tests through the model only. */
void dp_tx_csum_insert(uint8_t *frame, size_t len, uint32_t want);
uint32_t dp_rx_csum_status(const uint8_t *frame, size_t len);

#endif
