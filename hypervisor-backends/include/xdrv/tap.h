/* SPDX-License-Identifier: MIT */
/*
 * A Linux TAP interface, optionally created inside a named network namespace: the one
 * implementation behind the "tap" wire kind (xdrv/wire.h), the host end of `xdrv run
 * --host-tap` and the bench's relay (xdrv-taprelay). One parser, one set of limits.
 *
 * Spec forms (what a user types after --host-tap, after "tap:" for a wire, or to the relay):
 *   IFNAME[@NETNS]
 *   name=IFNAME[,netns=NETNS][,addr=A.B.C.D/N][,mtu=N][,offload=0|1][,io=auto|ring|tap]
 * IFNAME: 1..15 bytes of [A-Za-z0-9._-]; NETNS: a name under /run/netns (as `ip netns add`
 * makes), 1..63 bytes of the same set; mtu 68..9000 (the DP83820 takes jumbo frames up to
 * that size; a driver whose interface is smaller refuses larger frames itself).
 */
#ifndef XDRV_TAP_H
#define XDRV_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HVB_TAP_MTU_MIN 68u
#define HVB_TAP_MTU_MAX 9000u

/* How frames are moved (io=): TAP: the interface is a TAP, one read(2)/write(2) per frame;
 * RING: the interface is one end of a veth pair whose other end (made here, in the same
 * namespace, named "xw" and 8 hex digits of a hash of the interface's name) carries a
 * PACKET_MMAP TPACKET_V3 receive ring and sends in sendmmsg(2) batches: one system call per
 * batch (hvb_ring_*); AUTO: RING where it can be set up, else TAP with a one-line message
 * naming why. */
enum hvb_tap_io { HVB_TAP_IO_AUTO, HVB_TAP_IO_RING, HVB_TAP_IO_TAP };

struct hvb_tap_cfg {
	char name[16];	/* interface name */
	char netns[64]; /* namespace name, "" for the current namespace */
	char addr[20];	/* "A.B.C.D/N" to set on the interface, "" for none */
	uint32_t mtu;	/* 0: leave the default */
	bool offload;	/* IFF_VNET_HDR with TUN_F_CSUM: frames carry struct hvb_tap_vnet */
	bool has_mac;	/* set `mac` on the interface (the caller fills it in) */
	uint8_t mac[6];
	enum hvb_tap_io io; /* AUTO unless io= says */
};

/* Parse a spec (forms above) into *cfg. `what` names the option in messages ("--host-tap",
 * "tap"); `offload_default` is the offload setting when the spec does not say; `allow_offload`
 * false refuses offload=1 (a wire hands complete frames to a model). 0, or -EINVAL with *err:
 * "--host-tap SPEC: mtu wants 68..9000, not \"9001\"". */
int hvb_tap_parse(const char *spec, const char *what, bool offload_default, bool allow_offload,
		  struct hvb_tap_cfg *cfg, char **err);

/* With offload, every frame read from or written to the TAP starts with this header (the layout
 * of struct virtio_net_hdr in host byte order): the kernel leaves TCP/UDP checksums of frames it
 * sends to us (NEEDS_CSUM: sum from csum_start, store at csum_start + csum_offset), and skips
 * checking those we mark DATA_VALID. No segmentation offload is enabled. */
struct hvb_tap_vnet {
	uint8_t flags; /* HVB_TAP_NEEDS_CSUM, HVB_TAP_DATA_VALID */
	uint8_t gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};
#define HVB_TAP_NEEDS_CSUM 1u
#define HVB_TAP_DATA_VALID 2u

/* Create the TAP (IFF_TAP | IFF_NO_PI [| IFF_VNET_HDR], non-blocking, close-on-exec) in its
 * namespace, set MAC, MTU and address as configured and bring it up. Returns the fd (>= 0;
 * closing it deletes the interface) or -errno with *err naming the interface and the step that
 * failed ("host TAP t0: network namespace /run/netns/x: No such file or directory"). Needs
 * CAP_NET_ADMIN (CAP_SYS_ADMIN for a namespace). The calling thread is back in its own
 * namespace when this returns. */
int hvb_tap_open(const struct hvb_tap_cfg *cfg, char **err);

/* Give the TAP of `fd` (from hvb_tap_open) the MAC address `mac`, through an ioctl on the fd
 * itself (SIOCSIFHWADDR, which the tun driver takes on its own descriptor, up or down): no
 * socket, no namespace change, so a sandboxed driver host can do it after its driver registered
 * its address. 0, or -errno with *err naming `name`. */
int hvb_tap_set_mac(int fd, const char *name, const uint8_t mac[6], char **err);

/* ---- the ring (io=ring): a veth end with PACKET_MMAP rings -----------------------------------
 * Needs CAP_NET_ADMIN (veth, ethtool) and CAP_NET_RAW (packet sockets), a kernel with veth and
 * PACKET_MMAP (CONFIG_VETH, CONFIG_PACKET; TPACKET_V3 and PACKET_IGNORE_OUTGOING: Linux >= 4.20).
 * Offloads are switched off on both ends (TSO, GSO, checksum): frames are whole and at most
 * the MTU (cfg->mtu, default 1500) plus 18 bytes; a larger one is skipped and counted.
 * XDRV_WIRE_NO_RING=1 in the environment refuses the ring (-EOPNOTSUPP): io=auto then takes a TAP.
 */
struct hvb_ring;
struct hvb_ring_stats {
	uint64_t rx_frames, rx_bytes; /* taken by hvb_ring_next */
	uint64_t rx_oversize;	      /* longer than the MTU allows (or truncated): skipped */
	uint64_t rx_runts;	      /* shorter than an Ethernet header: skipped */
	uint64_t rx_ring_full;	      /* dropped by the kernel: the receive ring was full */
	uint64_t tx_frames, tx_bytes; /* queued by hvb_ring_put */
	uint64_t tx_full;	      /* queued, but the kernel refused them (dropped) */
	uint64_t kicks;		      /* sendmmsg(2) calls that handed queued frames over */
};
/* Make the veth pair (cfg->name, configured as hvb_tap_open does, and its hidden peer), the
 * rings on the peer. 0 with *out, or -errno with *err naming the step ("ring xb: veth
 * (RTM_NEWLINK): Operation not supported"). */
int hvb_ring_open(const struct hvb_tap_cfg *cfg, struct hvb_ring **out, char **err);
/* Deletes the veth pair; NULL-safe. */
void hvb_ring_close(struct hvb_ring *r);
/* The next received frame, valid until hvb_ring_next: its length with *frame set, or 0. */
int hvb_ring_peek(struct hvb_ring *r, const uint8_t **frame);
void hvb_ring_next(struct hvb_ring *r);
/* Queue a frame for sending: 0, or -EMSGSIZE (longer than the MTU allows). Queued frames leave at
 * hvb_ring_flush (or when 64 are queued); those the kernel refuses are counted in tx_full. */
int hvb_ring_put(struct hvb_ring *r, const void *frame, size_t len);
void hvb_ring_flush(struct hvb_ring *r);
/* The caller is another process than the one that used the ring last (a fork child taking a
 * held wire over): re-learn the receive position from the blocks' sequence numbers, forget
 * what the other process had queued. */
void hvb_ring_adopt(struct hvb_ring *r);
/* Readable (POLLIN) when a receive block is ready. */
int hvb_ring_fd(const struct hvb_ring *r);
/* Counters; reads the kernel's drop count (PACKET_STATISTICS) into rx_ring_full. */
void hvb_ring_get_stats(struct hvb_ring *r, struct hvb_ring_stats *out);
/* The largest frame the ring carries (MTU + 18). */
size_t hvb_ring_max_frame(const struct hvb_ring *r);
/* The name of the hidden peer (in the interface's namespace), "" for NULL: the end the bench's
 * relay (bench/main_xdrv-taprelay.c, io=xdp) puts an AF_XDP socket on instead of the rings. */
const char *hvb_ring_peer(const struct hvb_ring *r);

#endif
