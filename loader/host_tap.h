/* SPDX-License-Identifier: MIT */
/*
 * The host end of a NIC driver for `xdrv run`: a Linux TAP interface (optionally inside a
 * network namespace) that stands for the driver's netdev. Frames the kernel sends on it are
 * what the driver transmits; frames the driver receives are written to it. Private to the
 * loader's front end.
 */
#ifndef LDR_HOST_TAP_H
#define LDR_HOST_TAP_H

#include <stddef.h>
#include <stdint.h>

struct ldr_host_tap_cfg {
	char name[16];	  /* interface name */
	char netns[64];	  /* /run/netns/<netns>, "" for the current namespace */
	uint32_t mtu;	  /* 0: leave the default */
	uint32_t offload; /* 1 (default): IFF_VNET_HDR with TUN_F_CSUM, see below */
};

/* Parse "IFNAME[@NETNS]" or "name=IFNAME[,netns=NETNS][,mtu=N][,offload=0|1]". 0 or -EINVAL
 * with *err. */
int ldr_host_tap_parse(const char *spec, struct ldr_host_tap_cfg *cfg, char **err);
/* With offload, every frame read from or written to the TAP starts with this header (IFF_VNET_HDR,
 * the layout of struct virtio_net_hdr in host byte order): the kernel leaves TCP/UDP checksums of
 * frames it sends to us (NEEDS_CSUM: sum from csum_start, store at csum_start + csum_offset),
 * and skips checking those we mark DATA_VALID. No segmentation offload is enabled. */
struct ldr_host_tap_vnet {
	uint8_t flags; /* LDR_TAP_NEEDS_CSUM, LDR_TAP_DATA_VALID */
	uint8_t gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};
#define LDR_TAP_NEEDS_CSUM 1u
#define LDR_TAP_DATA_VALID 2u

/* Create the TAP (IFF_TAP | IFF_NO_PI [| IFF_VNET_HDR with TUN_F_CSUM], non-blocking) in its
 * namespace, give it `mac` (the NIC's address, so the kernel's frames are addressed to what the
 * NIC accepts) and bring it up.
 * Returns the fd (>= 0; closing it deletes the interface) or -errno with *err naming the
 * interface and the step that failed. Needs CAP_NET_ADMIN (CAP_SYS_ADMIN for a namespace). */
int ldr_host_tap_open(const struct ldr_host_tap_cfg *cfg, const uint8_t mac[6], char **err);

#endif
