/* SPDX-License-Identifier: MIT */
/*
 * Parsing a frame for the sample extensions: Ethernet, one optional 802.1Q tag, IPv4 (with its
 * header length), and the ports of TCP and UDP. Every offset is checked against the frame's
 * length before it is read: an accessor past the end stops the extension (it is detached), so an
 * extension checks first and decides what a short frame means.
 *
 * ext_parse takes a pointer to the caller's struct: a static helper with a pointer parameter,
 * which `xdrv build --extension` inlines (the extension profile allows no pointer parameter but
 * the packet handle in what remains).
 */
#ifndef XDRV_EXT_PARSE_H
#define XDRV_EXT_PARSE_H

#include <xdrv/ext.h>

#define ETH_P_IPV4  0x0800u
#define ETH_P_8021Q 0x8100u
#define IPPROTO_TCP 6u
#define IPPROTO_UDP 17u

struct flow {
	uint32_t l3;	       /* offset of the IPv4 header */
	uint32_t l4;	       /* offset of the TCP or UDP header */
	uint32_t saddr, daddr; /* IPv4 addresses, as read (network order in the integer) */
	uint32_t proto;	       /* the IPv4 protocol number */
	uint32_t sport, dport; /* TCP/UDP ports; 0 for other protocols and later fragments */
};

/* 0 and *f filled for an IPv4 frame; -1 for anything else (ARP, IPv6, short or bad headers). */
static inline int ext_parse(xdrv_ext_pkt_t *pkt, struct flow *f)
{
	uint32_t len = xdrv_ext_len(pkt);
	uint32_t off = 12; /* the EtherType, after the two MAC addresses */
	if (len < off + 2)
		return -1;
	uint32_t type = xdrv_ext_ld16(pkt, off);
	if (type == ETH_P_8021Q) { /* one VLAN tag: the real type follows it */
		off += 4;
		if (len < off + 2)
			return -1;
		type = xdrv_ext_ld16(pkt, off);
	}
	if (type != ETH_P_IPV4)
		return -1;
	f->l3 = off + 2;
	if (len < f->l3 + 20)
		return -1;
	uint32_t vihl = xdrv_ext_ld8(pkt, f->l3);
	uint32_t ihl = (vihl & 0xfu) * 4u;
	if ((vihl >> 4) != 4 || ihl < 20 || len < f->l3 + ihl)
		return -1;
	f->proto = xdrv_ext_ld8(pkt, f->l3 + 9);
	f->saddr = xdrv_ext_ld32(pkt, f->l3 + 12);
	f->daddr = xdrv_ext_ld32(pkt, f->l3 + 16);
	f->l4 = f->l3 + ihl;
	f->sport = 0;
	f->dport = 0;
	uint32_t frag_off = xdrv_ext_ld16(pkt, f->l3 + 6) & 0x1fffu; /* later fragments: no ports */
	if ((f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP) && frag_off == 0 &&
	    len >= f->l4 + 4) {
		f->sport = xdrv_ext_ld16(pkt, f->l4);
		f->dport = xdrv_ext_ld16(pkt, f->l4 + 2);
	}
	return 0;
}

#endif
