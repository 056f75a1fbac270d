/* SPDX-License-Identifier: MIT */
/*
 * The DP83820 gigabit NIC device model: its register map, descriptor layout and the host-side
 * calls. Facts from the DP83820 datasheet and the Linux ns83820 driver (the reference a driver
 * author checks this against).
 *
 * Identity: model name "dp83820", PCI 100b:0022 (class 020000, revision 0x03), one interrupt
 * line (line 0, level: asserted while (ISR & IMR) != 0 and IER.IE = 1, held off by IHR).
 *
 * Register window: region 0, MMIO, 4096 bytes, 32-bit little-endian accesses only (the chip's
 * registers are DWORDs; a 1/2/8-byte access is refused by the generic layer: reads all ones,
 * writes dropped, counted in hvb_device_bad_accesses). The real chip decodes the same
 * registers through an I/O BAR 0 and a memory BAR 1; the model has only the memory window,
 * as region 0. Offsets the model does not implement read 0, writes are ignored (traced once).
 *
 * Config string ("key=value,..."), all optional:
 *   mac=02:00:00:00:00:01   station address, loaded into filter RAM at reset as the EEPROM
 *                           load would (default 02:00:00:00:00:01)
 *   link=1|0                link status at power-on (default 1: 1000 Mb/s full duplex)
 *   flow=1|0                wire flow control (default 1): a wire offers a frame only while a
 *                           receive descriptor is free (802.3x pause, as PCR allows), instead of
 *                           the receiver dropping it with RXORN
 *   rate=MBIT               transmit paced to MBIT Mbit/s of line time (preamble, FCS and
 *                           inter-frame gap counted; 1 ms may go back to back), 0..100000,
 *                           default 0 (unpaced): a slow link, so the driver's ring fills and
 *                           the host's transmit backlog is what queues
 *
 * Link status in CFG (read-only bits): LNKSTS is 1 while the link is up; SPDSTS and DUPSTS
 * reflect the PHY pins, which are active low on the reference boards, so 1000 Mb/s full duplex
 * reads SPDSTS = 01b, DUPSTS = 0 (Linux: cfg = readl(CFG) ^ (SPDSTS1|SPDSTS0|DUPSTS)).
 *
 * Descriptors (little-endian, in DMA memory):
 *   CFG.M64ADDR = 0 (default): 16 bytes  { u32 link; u32 bufptr; u32 cmdsts; u32 extsts; }
 *   CFG.M64ADDR = 1:           24 bytes  { u64 link; u64 bufptr; u32 cmdsts; u32 extsts; }
 * (a driver may space them wider; only the link is followed). TXDP/RXDP (+ _HI when
 * M64ADDR) point at the first one. A link of 0 ends the list: the engine goes idle after that
 * descriptor and re-reads its link the next time TXE/RXE is written (so a driver may append).
 * TX: the driver sets OWN on descriptors to send; the chip clears OWN when done (status in the
 * frame's last descriptor: OK, or TXA with ISR.TXERR). RX: the driver hands a buffer with OWN
 * clear and the buffer size in cmdsts[15:0]; the chip fills it and sets OWN, OK, the frame
 * length (no FCS), DEST bits, and extsts checksum status when CFG.EXTSTS_EN.
 * A frame that does not fit its one RX buffer is dropped with LONG set (frames are not split
 * over descriptors), and so is a frame longer than DP83820_MAX_STD_FRAME unless RXCFG.ALP
 * (accept long packets) is set: jumbo frames. The chip's limit is its 16-bit buffer size field;
 * Linux's ns83820 notes 8192-byte receive buffers for jumbo frames; xdrv's TAPs and wires cap
 * the MTU at 9000 (xdrv/tap.h), which the sample driver's `mtu` parameter matches. TX gathers MORE
 * fragments, up to DP83820_TX_MAX_FRAME bytes and DP83820_TX_MAX_FRAGS descriptors per frame.
 *
 * Guest errors (never crash the host; each logged once):
 *   descriptor or buffer at an unmapped bus address  -> ISR.RMABT (+ TXERR / RXERR), engine halts
 *   TX fragment of length 0, frame over the cap,
 *   fragment chain that loops                        -> cmdsts TXA, ISR.TXERR, TX halts
 *   no free RX descriptor (OWN set, or NULL link)    -> ISR.RXIDLE; with flow=0 the frame is
 *                                                       dropped with ISR.RXORN, with flow=1 it
 *                                                       waits on the wire until RXE
 *   more than DP83820_MAX_DESC_PER_KICK TX descriptors in one kick: the engine pauses and
 *   resumes at the next poll (so a ring the driver keeps refilling cannot hang the host)
 *
 * Timing: TX and RX run synchronously in the register write / wire delivery; interrupt holdoff
 * (IHR[7:0] in 100 us units) uses hvb timers run by hvb_device_poll.
 */
#ifndef XDRV_DP83820_H
#define XDRV_DP83820_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hvb_device;

#define DP83820_VENDOR	   0x100b
#define DP83820_DEVICE	   0x0022
#define DP83820_REGION	   0	/* the MMIO register window */
#define DP83820_REGION_LEN 4096 /* bytes */

/* ---- registers (byte offsets in region 0) ---------------------------------------------------- */
#define DP83820_CR	     0x00
#define DP83820_CFG	     0x04
#define DP83820_MEAR	     0x08
#define DP83820_PTSCR	     0x0c
#define DP83820_ISR	     0x10 /* read clears */
#define DP83820_IMR	     0x14
#define DP83820_IER	     0x18
#define DP83820_IHR	     0x1c
#define DP83820_TXDP	     0x20
#define DP83820_TXDP_HI	     0x24
#define DP83820_TXCFG	     0x28
#define DP83820_GPIOR	     0x2c
#define DP83820_RXDP	     0x30
#define DP83820_RXDP_HI	     0x34
#define DP83820_RXCFG	     0x38
#define DP83820_PQCR	     0x3c
#define DP83820_WCSR	     0x40
#define DP83820_PCR	     0x44
#define DP83820_RFCR	     0x48
#define DP83820_RFDR	     0x4c
#define DP83820_SRR	     0x58 /* silicon revision, reads 0x0103 */
#define DP83820_MIBC	     0x5c
#define DP83820_MIB_RXERRPKT 0x60 /* MIB counters 0x60..0x88, 32-bit, see below */
#define DP83820_VRCR	     0xbc
#define DP83820_VTCR	     0xc0
#define DP83820_VDR	     0xc4
#define DP83820_CCSR	     0xcc
#define DP83820_TBICR	     0xe0
#define DP83820_TBISR	     0xe4
#define DP83820_TANAR	     0xe8
#define DP83820_TANLPAR	     0xec
#define DP83820_TANER	     0xf0
#define DP83820_TESR	     0xf4

/* CR: command. TXD/RXD/TXR/RXR/RST/SWI are strobes and read back 0 (resets complete at once: a
 * driver polling "while (CR & RST)" exits on the first read). TXE/RXE read back 1 while that
 * engine is active, 0 once it went idle (ISR.TXIDLE/RXIDLE) or halted on an error. */
#define DP83820_CR_TXE 0x00000001
#define DP83820_CR_TXD 0x00000002
#define DP83820_CR_RXE 0x00000004
#define DP83820_CR_RXD 0x00000008
#define DP83820_CR_TXR 0x00000010 /* TX reset: ISR.TXRCMP when done */
#define DP83820_CR_RXR 0x00000020 /* RX reset: ISR.RXRCMP when done */
#define DP83820_CR_SWI 0x00000080 /* software interrupt: sets ISR.SWI */
#define DP83820_CR_RST 0x00000100 /* full reset (filter RAM reloads the MAC) */

/* CFG */
#define DP83820_CFG_LNKSTS    0x80000000 /* read-only: 1 = link up */
#define DP83820_CFG_SPDSTS1   0x40000000 /* read-only, active low */
#define DP83820_CFG_SPDSTS0   0x20000000 /* read-only, active low */
#define DP83820_CFG_DUPSTS    0x10000000 /* read-only, active low */
#define DP83820_CFG_TBI_EN    0x01000000
#define DP83820_CFG_MODE_1000 0x00400000
#define DP83820_CFG_PINT_CTL  0x001c0000 /* PHY interrupt on DUPSTS/LNKSTS/SPDSTS change */
#define DP83820_CFG_T64ADDR   0x00004000
#define DP83820_CFG_PCI64_DET 0x00002000 /* read-only: 0, a 32-bit slot */
#define DP83820_CFG_DATA64_EN 0x00001000
#define DP83820_CFG_M64ADDR   0x00000800 /* 64-bit descriptor format */
#define DP83820_CFG_EXTSTS_EN 0x00000100 /* extsts written back on RX */
#define DP83820_CFG_RO_MASK   0xf0002000

/* ISR / IMR bits */
#define DP83820_ISR_TXRCMP  0x00400000
#define DP83820_ISR_RXRCMP  0x00200000
#define DP83820_ISR_DPERR   0x00100000
#define DP83820_ISR_SSERR   0x00080000
#define DP83820_ISR_RMABT   0x00040000 /* DMA to an unmapped address (PCI master abort) */
#define DP83820_ISR_RTABT   0x00020000
#define DP83820_ISR_RXSOVR  0x00010000
#define DP83820_ISR_HIBINT  0x00008000
#define DP83820_ISR_PHY	    0x00004000 /* link change (CFG.PINT_* enabled) */
#define DP83820_ISR_PME	    0x00002000
#define DP83820_ISR_SWI	    0x00001000
#define DP83820_ISR_MIB	    0x00000800
#define DP83820_ISR_TXURN   0x00000400
#define DP83820_ISR_TXIDLE  0x00000200
#define DP83820_ISR_TXERR   0x00000100
#define DP83820_ISR_TXDESC  0x00000080 /* a TX descriptor with cmdsts.INTR completed */
#define DP83820_ISR_TXOK    0x00000040
#define DP83820_ISR_RXORN   0x00000020 /* frame dropped: no RX descriptor */
#define DP83820_ISR_RXIDLE  0x00000010
#define DP83820_ISR_RXEARLY 0x00000008
#define DP83820_ISR_RXERR   0x00000004
#define DP83820_ISR_RXDESC  0x00000002 /* an RX descriptor with cmdsts.INTR completed */
#define DP83820_ISR_RXOK    0x00000001

#define DP83820_IER_IE 0x00000001
#define DP83820_IHR_IH 0x000000ff /* holdoff in 100 us units */

/* TXCFG / RXCFG are stored and read back; the model uses none of their fields (DRTH, FLTH,
 * MXDMA, ...). RXCFG.AEP/ARP/ALP are honoured only as far as frames never have errors. */
#define DP83820_RXCFG_ALP 0x08000000 /* accept long packets (> 1518 bytes) */

/* VRCR / VTCR: checksum offload enables. RX extsts checksum status is written only with
 * CFG.EXTSTS_EN and VRCR.IPEN; TX insertion happens for a frame whose first descriptor asks for
 * it in extsts while VTCR.PPCHK is set, and for every IPv4 frame while VTCR.GCHK is set. */
#define DP83820_VRCR_IPEN  0x00000010
#define DP83820_VTCR_GCHK  0x00000004
#define DP83820_VTCR_PPCHK 0x00000008

/* RFCR: receive filter control; RFADDR (bits 9:0) selects the filter RAM word RFDR reads and
 * writes (16 bits, RFDR[15:0]; bytes at RFADDR, RFADDR+1). Addresses 0, 2, 4 hold the station
 * address (perfect match) in network byte order: RFDR at 0 = mac[0] | mac[1] << 8.
 * Hash tables (0x100..0x1ff) are stored but not matched: MHEN/UHEN accept nothing extra. */
#define DP83820_RFCR_RFEN   0x80000000 /* filter on; 0 = receive nothing */
#define DP83820_RFCR_AAB    0x40000000 /* accept all broadcast */
#define DP83820_RFCR_AAM    0x20000000 /* accept all multicast */
#define DP83820_RFCR_AAU    0x10000000 /* accept all unicast */
#define DP83820_RFCR_APM    0x08000000 /* accept perfect match */
#define DP83820_RFCR_AARP   0x00400000
#define DP83820_RFCR_MHEN   0x00200000
#define DP83820_RFCR_UHEN   0x00100000
#define DP83820_RFCR_RFADDR 0x000003ff
#define DP83820_FILTER_RAM  0x400 /* bytes */

/* PTSCR: BIST strobes complete at once (RBIST_DONE set, no fail bits); EELOAD reloads the MAC */
#define DP83820_PTSCR_EEBIST_EN	 0x00000002
#define DP83820_PTSCR_EELOAD_EN	 0x00000004
#define DP83820_PTSCR_RBIST_DONE 0x00000200
#define DP83820_PTSCR_RBIST_EN	 0x00000400
#define DP83820_PTSCR_RBIST_RST	 0x00002000

/* MIB counters (read-only, 0x60.. in 4-byte steps; MIBC.ACLR clears them):
 * 0x60 RXErroredPkts  0x64 RXFCSErrors  0x68 RXMissedPkts (RXORN drops)  0x6c RXFAErrors
 * 0x70 RXSymbolErrors 0x74 RXFrameTooLong 0x78 RXIRLErrors 0x7c RXBadOpcodes
 * 0x80 RXPauseFrames  0x84 TXPauseFrames  0x88 TXSQEErrors */
#define DP83820_MIBC_ACLR 0x00000004

/* ---- descriptors ----------------------------------------------------------------------------- */
#define DP83820_DESC32_SIZE 16
#define DP83820_DESC64_SIZE 24

#define DP83820_CMDSTS_OWN  0x80000000
#define DP83820_CMDSTS_MORE 0x40000000
#define DP83820_CMDSTS_INTR 0x20000000
#define DP83820_CMDSTS_ERR  0x10000000 /* TX: driver's "no CRC" hint, ignored */
#define DP83820_CMDSTS_OK   0x08000000
#define DP83820_CMDSTS_LEN  0x0000ffff
/* TX status */
#define DP83820_CMDSTS_TXA 0x04000000 /* transmit abort (bad fragment, frame, or DMA) */
#define DP83820_CMDSTS_TFU 0x02000000
/* RX status */
#define DP83820_CMDSTS_RXA	  0x04000000 /* receive abort (buffer DMA fault) */
#define DP83820_CMDSTS_RXO	  0x02000000
#define DP83820_CMDSTS_DEST	  0x01800000 /* 01 unicast to us, 10 multicast, 11 broadcast */
#define DP83820_CMDSTS_DEST_SELF  0x00800000
#define DP83820_CMDSTS_DEST_MULTI 0x01000000
#define DP83820_CMDSTS_LONG	  0x00400000
#define DP83820_CMDSTS_RUNT	  0x00200000

/* extsts: TX requests (driver sets in the first descriptor of a frame), RX status (chip sets) */
#define DP83820_EXTSTS_UDPERR 0x00400000 /* RX: UDP checksum bad */
#define DP83820_EXTSTS_UDPPKT 0x00200000 /* TX: insert UDP checksum / RX: UDP packet */
#define DP83820_EXTSTS_TCPERR 0x00100000
#define DP83820_EXTSTS_TCPPKT 0x00080000
#define DP83820_EXTSTS_IPERR  0x00040000
#define DP83820_EXTSTS_IPPKT  0x00020000 /* TX: insert IPv4 header checksum / RX: IPv4 */
#define DP83820_EXTSTS_VPKT   0x00010000

/* Engine bounds (why: a guest must not make the host loop or allocate without limit) */
#define DP83820_TX_MAX_FRAME	  65535 /* bytes gathered per frame (16-bit length field) */
#define DP83820_MAX_STD_FRAME	  1518	/* longest frame (no FCS, one VLAN tag) without ALP */
#define DP83820_TX_MAX_FRAGS	  256	/* descriptors per frame */
#define DP83820_MAX_DESC_PER_KICK 1024	/* descriptors per engine run */

/* ---- host side ------------------------------------------------------------------------------- */
/* All calls do nothing (and return 0 / false) when `d` is not a dp83820 device. Single-threaded
 * with the rest of the device (see hvb.h). */

/* Deliver one Ethernet frame (destination MAC first, no FCS) from the wire to the receiver, as
 * the chip would: filtered by RFCR, DMA'd into the next free RX descriptor, or dropped (filter,
 * RX disabled, no descriptor: RXORN). Returns 0 when the frame was consumed (stored or dropped
 * as the chip would; counted), -EAGAIN when flow control is on and no descriptor is free (the
 * caller keeps the frame and retries after hvb_device_poll), -EINVAL for len < 14 or over
 * 65535. Wires call this through the model's hvb_nic_ops; tests may call it directly. */
int dp83820_receive(struct hvb_device *d, const void *frame, size_t len);
/* Link up/down as the PHY would report it: CFG.LNKSTS follows, ISR.PHY on a change. */
void dp83820_set_link(struct hvb_device *d, bool up);

struct dp83820_counters {
	uint64_t tx_frames, tx_bytes, tx_errors; /* frames handed to the wire / aborted */
	uint64_t rx_frames, rx_bytes;		 /* frames stored in RX buffers */
	uint64_t rx_filtered;			 /* rejected by RFCR */
	uint64_t rx_overruns;			 /* dropped: no descriptor / RX off (RXORN) */
	uint64_t rx_errors;			 /* too long for the buffer, DMA fault */
	uint64_t dma_faults;			 /* accesses to unmapped bus addresses */
};
/* Host-side counters since create (not reset by the chip's reset). */
void dp83820_get_counters(const struct hvb_device *d, struct dp83820_counters *out);

#endif
