/* SPDX-License-Identifier: MIT */
/*
 * xdrv driver ABI — network device class.
 *
 * A NIC driver registers a netdev with its operations. The host calls open/stop, hands it
 * packets to transmit, and calls poll (NAPI style) after the driver scheduled it, typically from
 * its interrupt handler; poll receives up to `budget` packets and returns how many it did.
 * Packets are host buffers with up to XDRV_PKT_MAX_FRAGS fragments. A transmitted packet
 * belongs to the driver until it calls xdrv_net_tx_complete; a received packet is allocated
 * with xdrv_pkt_alloc, filled (usually by DMA) and given to the host with xdrv_net_rx.
 * ABI 1.1 adds receive buffer pools (xdrv_rxpool_*): buffers mapped once, frames handed to the
 * host a whole poll at a time, no packet allocation or mapping per frame.
 */
#ifndef XDRV_NET_H
#define XDRV_NET_H

#include <xdrv/types.h>

#define XDRV_ETH_ALEN	   6u
#define XDRV_PKT_MAX_FRAGS 16u

/* xmit return values besides XDRV_OK: XDRV_EBUSY asks the host to retry after tx_wake. */

/* Checksum offload: request on transmit (flags of xdrv_pkt_csum), result on receive. */
#define XDRV_CSUM_NONE	  0u
#define XDRV_CSUM_PARTIAL 1u  /* tx: insert a 16-bit sum at csum_start+csum_offset */
#define XDRV_CSUM_IP	  2u  /* tx: fill the IPv4 header checksum; rx: verified good */
#define XDRV_CSUM_L4_GOOD 4u  /* rx: TCP/UDP checksum verified good */
#define XDRV_CSUM_L4_BAD  8u  /* rx: TCP/UDP checksum verified bad */
#define XDRV_CSUM_IP_BAD  16u /* rx: IPv4 header checksum bad */

/*
 * Offload request of a packet to transmit.
 *  0      4          6            8      12             16
 *  | flags| start    | offset     | rsvd | reserved2    |
 */
struct xdrv_pkt_csum {
	uint32_t flags;	      /* XDRV_CSUM_* */
	uint16_t csum_start;  /* PARTIAL: offset where summing starts */
	uint16_t csum_offset; /* PARTIAL: where to store the sum, relative to csum_start */
	uint32_t l4_proto;    /* 6 TCP, 17 UDP, 0 unknown */
	uint32_t reserved;
};
XDRV_STATIC_ASSERT(sizeof(struct xdrv_pkt_csum) == 16, "xdrv_pkt_csum layout");

/* Interface statistics, filled by the driver's get_stats. 128 bytes. */
struct xdrv_net_stats {
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_errors, tx_errors, rx_dropped, tx_dropped;
	uint64_t rx_crc_errors, rx_fifo_errors, rx_csum_errors, multicast;
	uint64_t reserved[4];
};
XDRV_STATIC_ASSERT(sizeof(struct xdrv_net_stats) == 128, "xdrv_net_stats layout");

/* Operations a NIC driver implements. Unused slots are NULL. */
struct xdrv_net_ops {
	uint32_t struct_size; /* sizeof(struct xdrv_net_ops) */
	uint32_t reserved0;
	int32_t (*open)(xdrv_netdev_t *nd);
	int32_t (*stop)(xdrv_netdev_t *nd);
	int32_t (*xmit)(xdrv_netdev_t *nd, xdrv_pkt_t *pkt);
	int32_t (*poll)(xdrv_netdev_t *nd, uint32_t budget);
	int32_t (*get_stats)(xdrv_netdev_t *nd, struct xdrv_net_stats *stats);
	int32_t (*set_promisc)(xdrv_netdev_t *nd, uint32_t on);
	void *reserved[5];
};
XDRV_STATIC_ASSERT(sizeof(struct xdrv_net_ops) == 96, "xdrv_net_ops layout");

/* Register an interface for `dev`. ops must stay valid until unregister. NULL on failure. */
xdrv_netdev_t *xdrv_net_register(xdrv_device_t *dev, const struct xdrv_net_ops *ops,
				 const uint8_t *mac, void *priv);
void xdrv_net_unregister(xdrv_netdev_t *nd);
void *xdrv_net_priv(xdrv_netdev_t *nd);
/* Report link state; speed in Mbit/s. */
void xdrv_net_link_set(xdrv_netdev_t *nd, uint32_t up, uint32_t speed_mbps, uint32_t full_duplex);
/* Ask the host to call poll soon (from an interrupt handler: mask the device's RX interrupt
 * first, unmask it when poll returns less than its budget). */
void xdrv_net_napi_schedule(xdrv_netdev_t *nd);
/* Flow control of the transmit queue. */
void xdrv_net_tx_stop(xdrv_netdev_t *nd);
void xdrv_net_tx_wake(xdrv_netdev_t *nd);
/* Give a transmitted packet back to the host. */
void xdrv_net_tx_complete(xdrv_netdev_t *nd, xdrv_pkt_t *pkt, int32_t status);
/* Deliver a received packet (ownership passes to the host); csum_flags XDRV_CSUM_*. */
void xdrv_net_rx(xdrv_netdev_t *nd, xdrv_pkt_t *pkt, uint32_t csum_flags);

/* Packets. */
xdrv_pkt_t *xdrv_pkt_alloc(xdrv_netdev_t *nd, uint32_t size);
void xdrv_pkt_free(xdrv_pkt_t *pkt);
uint32_t xdrv_pkt_len(xdrv_pkt_t *pkt);
uint32_t xdrv_pkt_frag_count(xdrv_pkt_t *pkt);
/* Fragment `index`: its address, and its length in *len. NULL for a bad index. */
void *xdrv_pkt_frag(xdrv_pkt_t *pkt, uint32_t index, uint32_t *len);
/* Offload request of a transmitted packet. */
int32_t xdrv_pkt_csum(xdrv_pkt_t *pkt, struct xdrv_pkt_csum *csum);
/* Set the length of a single-fragment packet from xdrv_pkt_alloc (<= its size). */
int32_t xdrv_pkt_set_len(xdrv_pkt_t *pkt, uint32_t len);

#if !defined(XDRV_ABI_TARGET) || XDRV_ABI_TARGET >= 1001000u /* XDRV_ABI_HAS(1, 1); all if alone   \
							      */
/*
 * ABI 1.1: receive buffer pools, delivered a batch at a time.
 *
 * A pool is `count` receive buffers of `buf_size` bytes each that the host allocates zeroed and
 * maps for the device (FROM_DEVICE) once, for the pool's lifetime: the driver writes their bus
 * addresses into its receive descriptors at setup and then never allocates, maps or unmaps per
 * frame. The buffers stay the driver's. xdrv_rxpool_deliver lends the host the frames a poll
 * received, all in one call: the host makes them visible to the CPU (as xdrv_dma_sync_for_cpu
 * would), reads or copies them during the call (it never writes them and never keeps a
 * pointer), and when the call returns the driver re-arms its descriptors with the same buffers.
 * So a driver must not give a buffer back to the device before the deliver call that carries
 * its frame has returned. What a buffer can ever hold is zeros or what this driver's device
 * wrote there: nothing of the host or of another driver (ABI.md, "ABI 1.1").
 */

#define XDRV_RXPOOL_MAX_BUFS 4096u  /* count of one pool */
#define XDRV_RXPOOL_MAX_BUF  65536u /* buf_size */

/*
 * One received frame in a pool buffer.
 *  0      4      8            12         16
 *  | buf  | len  | csum_flags | reserved |
 */
struct xdrv_rx_frame {
	uint32_t buf;	     /* buffer index, 0..count-1 */
	uint32_t len;	     /* frame bytes from the start of the buffer, 1..buf_size */
	uint32_t csum_flags; /* XDRV_CSUM_*, as for xdrv_net_rx */
	uint32_t reserved;   /* 0 */
};
XDRV_STATIC_ASSERT(sizeof(struct xdrv_rx_frame) == 16, "xdrv_rx_frame layout");

/* A pool of `count` (1..XDRV_RXPOOL_MAX_BUFS) zeroed buffers of `buf_size`
 * (1..XDRV_RXPOOL_MAX_BUF) bytes for interface nd, mapped for the device. NULL when the
 * arguments are out of range or the driver's DMA limits are reached (logged). */
xdrv_rxpool_t *xdrv_rxpool_create(xdrv_netdev_t *nd, uint32_t count, uint32_t buf_size);
/* Buffer `index` of the pool: its CPU address, and its bus address in *bus_addr. NULL for a bad
 * pool or index. */
void *xdrv_rxpool_buf(xdrv_rxpool_t *pool, uint32_t index, uint64_t *bus_addr);
/* Hand `n` received frames (at most the pool's count) to the host in one call; each buffer is
 * the driver's again when the call returns. Returns how many frames were delivered: a frame
 * with a bad buffer index, a length of 0 or over buf_size, or a non-zero reserved field is
 * refused (logged) and the rest are delivered. XDRV_EINVAL for a bad pool, frames or n. */
int32_t xdrv_rxpool_deliver(xdrv_rxpool_t *pool, const struct xdrv_rx_frame *frames, uint32_t n);
/* Unmap and free the pool (stop the device from writing there first). The host releases the
 * pools an interface still has when it is unregistered or the driver unbound. */
void xdrv_rxpool_destroy(xdrv_rxpool_t *pool);
#endif

#endif
