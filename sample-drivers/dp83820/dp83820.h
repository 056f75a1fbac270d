/* SPDX-License-Identifier: MIT */
/*
 * dp83820 driver state, shared by its files: dp83820.c (probe, remove, open/stop, interrupt,
 * NAPI poll, link, statistics), dp83820_rx.c (receive ring), dp83820_tx.c (transmit ring) and
 * dp83820_params.c (parameters).
 * Driver-private: nothing here crosses the ABI.
 */
#ifndef DP83820_H
#define DP83820_H

#include <xdrv/abi.h>

#include "dp83820_regs.h"

/* parameters (dp83820_params.c; dp83820.c declares the table) */
extern XDRV_PARAM(uint32_t, rx_ring);
extern XDRV_PARAM(uint32_t, tx_ring);
extern XDRV_PARAM(uint32_t, holdoff_us);
extern XDRV_PARAM(uint32_t, csum_offload);
extern XDRV_PARAM(uint32_t, desc64);
extern XDRV_PARAM(uint32_t, mtu);

/* One receive buffer: a frame of the MTU (CRC stripped) with its header and a VLAN tag, in
 * 64-byte steps; 1536 at the default 1500. Jumbo frames (mtu > 1500) need RXCFG.ALP. */
#define DP_RX_BUF ((xdrv_param_mtu + 18u + 63u) & ~63u)
/* Built against ABI 1.1 or later (the default; -DXDRV_ABI_WANT=1000000 builds a 1.0 driver): the
 * receive buffers come from an xdrv_rxpool, mapped once, and each poll hands its frames to the
 * host in one call. DP_RX_BATCH frames at most per call. */
#define DP_RXPOOL   XDRV_ABI_HAS(1, 1)
#define DP_RX_BATCH 64u

/* One transmit descriptor's bookkeeping: the mapping of its fragment, and on the last descriptor
 * of a packet the packet itself. */
struct dp_tx_slot {
	xdrv_pkt_t *pkt;
	uint64_t bus;
	uint32_t len;
	uint32_t mapped;
};

struct dp_rx_slot {
	xdrv_pkt_t *pkt;
	uint64_t bus;
};

struct dp {
	xdrv_device_t *dev;
	xdrv_region_t *regs;
	xdrv_netdev_t *nd;
	uint8_t mac[XDRV_ETH_ALEN];
	uint32_t desc_size; /* 16 or 24 (param desc64) */
	uint32_t open;

	uint8_t *rxd; /* receive ring: rx_n descriptors, a circle of links */
	uint64_t rxd_bus;
	uint32_t rx_n, rx_next;
	struct dp_rx_slot *rx;
#if DP_RXPOOL
	xdrv_rxpool_t *rxpool; /* NULL: packets per frame, as with ABI 1.0 */
#endif

	uint8_t *txd; /* transmit ring */
	uint64_t txd_bus;
	uint32_t tx_n, tx_head, tx_tail, tx_used; /* head: next free; tail: oldest in flight */
	uint32_t tx_stopped;
	struct dp_tx_slot *tx;

	uint32_t imr;	  /* interrupts enabled while not polling */
	uint32_t polling; /* NAPI scheduled: RX/TX interrupts masked */
	uint32_t rx_kick; /* the receiver went idle (RXIDLE/RXORN): write RXE after refilling */
	uint32_t link_up, speed, duplex;

	struct xdrv_net_stats st;
	uint64_t irqs, polls, tx_busy;
};

/* small helpers: registers, logging, descriptor fields (both formats); inline because every
 * file of the driver uses them */
static inline uint32_t dp_rd(const struct dp *d, uint32_t reg)
{
	return xdrv_io_read32(d->regs, reg);
}

static inline void dp_wr(const struct dp *d, uint32_t reg, uint32_t v)
{
	xdrv_io_write32(d->regs, reg, v);
}

static inline void dp_log_u(uint32_t level, const char *what, uint64_t v, const char *rest)
{
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, what);
	xdrv_msg_u64(&m, v);
	xdrv_msg_str(&m, rest);
	xdrv_msg_log(&m, level);
}

static inline uint8_t *dp_desc(uint8_t *ring, uint32_t desc_size, uint32_t i)
{
	return ring + (uint64_t)i * desc_size;
}

/* field offsets: 32-bit format link 0, buf 4, cmdsts 8, extsts 12; 64-bit 0, 8, 16, 20 */
static inline void dp_desc_set_link(const struct dp *d, uint8_t *desc, uint64_t bus)
{
	if (d->desc_size == DESC64_SIZE)
		xdrv_put_le64(desc, bus);
	else
		xdrv_put_le32(desc, (uint32_t)bus);
}

static inline void dp_desc_set_buf(const struct dp *d, uint8_t *desc, uint64_t bus)
{
	if (d->desc_size == DESC64_SIZE)
		xdrv_put_le64(desc + 8, bus);
	else
		xdrv_put_le32(desc + 4, (uint32_t)bus);
}

static inline uint32_t dp_desc_cmdsts(const struct dp *d, const uint8_t *desc)
{
	return xdrv_get_le32(desc + (d->desc_size == DESC64_SIZE ? 16 : 8));
}

static inline void dp_desc_set_cmdsts(const struct dp *d, uint8_t *desc, uint32_t v)
{
	xdrv_put_le32(desc + (d->desc_size == DESC64_SIZE ? 16 : 8), v);
}

static inline uint32_t dp_desc_extsts(const struct dp *d, const uint8_t *desc)
{
	return xdrv_get_le32(desc + (d->desc_size == DESC64_SIZE ? 20 : 12));
}

static inline void dp_desc_set_extsts(const struct dp *d, uint8_t *desc, uint32_t v)
{
	xdrv_put_le32(desc + (d->desc_size == DESC64_SIZE ? 20 : 12), v);
}

/* receive (dp83820_rx.c) */
int32_t dp_rx_ring_alloc(struct dp *d);
void dp_rx_ring_free(struct dp *d);
void dp_rx_ring_reset(struct dp *d);
uint32_t dp_rx_process(struct dp *d, uint32_t budget);
uint32_t dp_rx_pending(const struct dp *d);

/* transmit (dp83820_tx.c) */
int32_t dp_tx_ring_alloc(struct dp *d);
void dp_tx_ring_free(struct dp *d);
void dp_tx_ring_reset(struct dp *d);
int32_t dp_xmit(xdrv_netdev_t *nd, xdrv_pkt_t *pkt);
uint32_t dp_tx_reap(struct dp *d);
void dp_tx_drop_all(struct dp *d);

#endif
