/* SPDX-License-Identifier: MIT */
/*
 * DP83820 chip facts the driver needs: register offsets in the memory-mapped window (BAR 0 here),
 * their bits, and the descriptor layouts. Taken from the DP83820 datasheet as the Linux ns83820
 * driver uses it. Every register is 32 bits wide and little-endian.
 */
#ifndef DP83820_REGS_H
#define DP83820_REGS_H

#define DP_CR	      0x00 /* command */
#define DP_CFG	      0x04 /* configuration and media status */
#define DP_MEAR	      0x08 /* EEPROM / MII access */
#define DP_PTSCR      0x0c /* PCI test control (BIST) */
#define DP_ISR	      0x10 /* interrupt status, cleared on read */
#define DP_IMR	      0x14 /* interrupt mask */
#define DP_IER	      0x18 /* interrupt enable (bit 0) */
#define DP_IHR	      0x1c /* interrupt holdoff */
#define DP_TXDP	      0x20 /* transmit descriptor pointer, low 32 bits */
#define DP_TXDP_HI    0x24
#define DP_TXCFG      0x28
#define DP_RXDP	      0x30 /* receive descriptor pointer, low 32 bits */
#define DP_RXDP_HI    0x34
#define DP_RXCFG      0x38
#define DP_PQCR	      0x3c	  /* priority queueing */
#define DP_WCSR	      0x40	  /* wake on LAN */
#define DP_RFCR	      0x48	  /* receive filter control; low bits address the filter RAM */
#define DP_RFDR	      0x4c	  /* receive filter data */
#define DP_SRR	      0x58	  /* silicon revision */
#define DP_MIBC	      0x5c	  /* MIB control */
#define MIBC_ACLR     0x00000004u /* clear all counters */
#define DP_MIB_RXERR  0x60	  /* MIB: received packets with errors (16 bits) */
#define DP_MIB_RXFCS  0x64	  /* MIB: FCS errors */
#define DP_MIB_RXMISS 0x68	  /* MIB: missed (no descriptor / FIFO) */
#define DP_VRCR	      0xbc	  /* VLAN/IP receive control */
#define DP_VTCR	      0xc0	  /* VLAN/IP transmit control */

#define CR_TXE 0x00000001u
#define CR_TXD 0x00000002u
#define CR_RXE 0x00000004u
#define CR_RXD 0x00000008u
#define CR_TXR 0x00000010u
#define CR_RXR 0x00000020u
#define CR_RST 0x00000100u

#define CFG_LNKSTS	0x80000000u
#define CFG_SPDSTS1	0x40000000u
#define CFG_SPDSTS0	0x20000000u
#define CFG_DUPSTS	0x10000000u
#define CFG_PINT_DUPSTS 0x00100000u
#define CFG_PINT_LNKSTS 0x00080000u
#define CFG_PINT_SPDSTS 0x00040000u
#define CFG_T64ADDR	0x00004000u
#define CFG_M64ADDR	0x00000800u
#define CFG_EXTSTS_EN	0x00000100u

#define ISR_RXSOVR 0x00010000u
#define ISR_PHY	   0x00004000u
#define ISR_SWI	   0x00001000u
#define ISR_MIB	   0x00000800u
#define ISR_TXURN  0x00000400u
#define ISR_TXIDLE 0x00000200u
#define ISR_TXERR  0x00000100u
#define ISR_TXDESC 0x00000080u
#define ISR_TXOK   0x00000040u
#define ISR_RXORN  0x00000020u
#define ISR_RXIDLE 0x00000010u
#define ISR_RXERR  0x00000004u
#define ISR_RXDESC 0x00000002u
#define ISR_RXOK   0x00000001u

#define TXCFG_ATP      0x10000000u
#define TXCFG_MXDMA512 0x00700000u
#define TXCFG_FLTH(x)  (((x) / 32u) << 8) /* fill threshold, 32-byte units */
#define TXCFG_DRTH(x)  ((x) / 32u)	  /* drain threshold, 32-byte units */

#define RXCFG_STRIPCRC 0x20000000u
#define RXCFG_RX_FD    0x10000000u
#define RXCFG_ALP      0x08000000u /* accept long packets (> 1518 bytes) */
#define RXCFG_MXDMA512 0x00700000u
#define RXCFG_DRTH(x)  (((x) / 8u) << 1) /* drain threshold, 8-byte units */

#define RFCR_RFEN      0x80000000u /* filter enable */
#define RFCR_AAB       0x40000000u /* accept all broadcast */
#define RFCR_AAM       0x20000000u /* accept all multicast */
#define RFCR_AAU       0x10000000u /* accept all unicast */
#define RFCR_APM       0x08000000u /* accept perfect match (our MAC) */
#define RFCR_ADDR_MASK 0x000003ffu

#define VRCR_IPEN  0x00000010u /* check IP/TCP/UDP checksums of received frames */
#define VTCR_PPCHK 0x00000008u /* per-packet checksum generation from extsts */

/* Descriptor fields. The 32-bit format: link, bufptr, cmdsts, extsts (16 bytes). With CFG.M64ADDR
 * link and bufptr are 64 bits: link 0, bufptr 8, cmdsts 16, extsts 20 (24 bytes). */
#define DESC32_SIZE 16u
#define DESC64_SIZE 24u

#define CMDSTS_OWN	0x80000000u /* TX: the chip owns it; RX: the chip filled it */
#define CMDSTS_MORE	0x40000000u /* more fragments follow */
#define CMDSTS_INTR	0x20000000u /* interrupt when done (TXDESC/RXDESC) */
#define CMDSTS_ERR	0x10000000u /* TX: error summary */
#define CMDSTS_OK	0x08000000u /* packet done without error */
#define CMDSTS_LEN_MASK 0x0000ffffu
/* RX status */
#define CMDSTS_RXA	  0x04000000u /* aborted */
#define CMDSTS_RXO	  0x02000000u /* overrun */
#define CMDSTS_DEST_MULTI 0x01000000u
#define CMDSTS_LONG	  0x00400000u
#define CMDSTS_RUNT	  0x00200000u
#define CMDSTS_CRCE	  0x00080000u
/* TX status */
#define CMDSTS_TXA 0x04000000u /* aborted */
#define CMDSTS_TFU 0x02000000u /* FIFO underrun */

#define EXTSTS_UDPERR 0x00400000u
#define EXTSTS_UDPPKT 0x00200000u
#define EXTSTS_TCPERR 0x00100000u
#define EXTSTS_TCPPKT 0x00080000u
#define EXTSTS_IPERR  0x00040000u
#define EXTSTS_IPPKT  0x00020000u

#endif
