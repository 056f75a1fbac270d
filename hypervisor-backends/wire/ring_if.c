// SPDX-License-Identifier: MIT
/*
 * The ring (xdrv/tap.h, io=ring): instead of a TAP, a veth pair in the interface's namespace. The
 * user's end carries the name, address and MTU a TAP would; the other end, the peer, carries two
 * packet sockets: one with a TPACKET_V3 receive ring (the kernel fills blocks of frames; we see a
 * block once it is full or 1 ms old: no system call per frame) and one for sending (frames are
 * copied into a batch and one sendmmsg(2) hands the batch to the kernel). The receive position is
 * re-learnt from the blocks' sequence numbers when another process takes the ring over
 * (hvb_ring_adopt: xdrv-backd serves a held wire from a forked child per frontend); sending
 * keeps no state shared with the kernel, which is why it is not a TPACKET send ring.
 * Measured here (docs/BENCHMARKS.md, "Wire I/O"): 3.6x the frames per second of a TAP's
 * read/write per frame at 1500 bytes. Everything is made inside the namespace (hvb_in_netns),
 * so the sockets and the netlink socket that deletes the pair at close belong to it.
 */
#define _GNU_SOURCE
#include "wire_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdrv/util.h>

#define RX_BLOCK     (256u * 1024) /* holds the largest frame (64 KiB) */
#define RX_BLOCKS    32u	   /* 8 MiB: ~5000 frames of 1514 bytes, ~15 ms at 4 Gbit/s */
#define RX_TOV_MS    1u		   /* a partly filled block is handed over after this long */
#define TX_BATCH     64u	   /* frames per sendmmsg */
#define ETH_OVERHEAD 18u	   /* header and one VLAN tag */

struct hvb_ring {
	char name[16], peer[16];
	int nl;	     /* netlink socket of the namespace: deletes the pair */
	int peer_ix; /* the peer's ifindex */
	int rfd, tfd;
	uint8_t *rx, *tx;
	size_t rx_len;
	uint32_t tx_slot; /* bytes per frame of the batch */
	size_t max_frame;
	/* receive position: block, frame within it */
	uint32_t blk, left;
	struct tpacket3_hdr *cur;
	uint32_t tx_queued;
	struct mmsghdr msg[TX_BATCH];
	struct iovec iov[TX_BATCH];
	struct hvb_ring_stats st;
	/* frames the kernel dropped because the receive ring was full, summed over readings
	 * (PACKET_STATISTICS resets on read) */
	uint64_t kernel_drops;
};

/* ---- netlink: make and delete the pair ---------------------------------------------------- */

struct nlbuf {
	struct nlmsghdr *n;
	size_t cap;
};

static struct rtattr *nl_put(struct nlbuf *b, uint16_t type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(b->n->nlmsg_len), sz = RTA_LENGTH(len);
	if (at + RTA_ALIGN(sz) > b->cap)
		return NULL;
	struct rtattr *a = (struct rtattr *)((uint8_t *)b->n + at);
	a->rta_type = type;
	a->rta_len = (unsigned short)sz;
	if (len)
		memcpy(RTA_DATA(a), data, len);
	b->n->nlmsg_len = (uint32_t)(at + RTA_ALIGN(sz));
	return a;
}

static void nl_end(struct nlbuf *b, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((uint8_t *)b->n + b->n->nlmsg_len - (uint8_t *)nest);
}

/* Send one request, wait for its acknowledgement: 0 or the kernel's -errno. */
static int nl_talk(int nl, struct nlmsghdr *n)
{
	static uint32_t seq;
	n->nlmsg_seq = ++seq;
	n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (send(nl, n, n->nlmsg_len, 0) < 0)
		return -errno;
	uint8_t buf[4096];
	for (;;) {
		ssize_t got = recv(nl, buf, sizeof buf, 0);
		if (got < 0)
			return errno == EINTR ? -EINTR : -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)got);
		     h = NLMSG_NEXT(h, got)) {
			if (h->nlmsg_seq != n->nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				return h->nlmsg_len < NLMSG_LENGTH(sizeof *e) ? -EPROTO : e->error;
			}
		}
	}
}

static int make_veth(struct hvb_ring *r, uint32_t mtu)
{
	union {
		struct nlmsghdr n;
		uint8_t b[1024];
	} m;
	memset(&m, 0, sizeof m);
	struct nlbuf b = {&m.n, sizeof m};
	m.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	m.n.nlmsg_type = RTM_NEWLINK;
	m.n.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	struct rtattr *info, *data, *peer;
	if (!nl_put(&b, IFLA_IFNAME, r->name, strlen(r->name) + 1) ||
	    !nl_put(&b, IFLA_MTU, &mtu, sizeof mtu) ||
	    !(info = nl_put(&b, IFLA_LINKINFO, NULL, 0)) ||
	    !nl_put(&b, IFLA_INFO_KIND, "veth", 5) || !(data = nl_put(&b, IFLA_INFO_DATA, NULL, 0)))
		return -ENOSPC;
	struct ifinfomsg pi = {.ifi_family = AF_UNSPEC};
	if (!(peer = nl_put(&b, VETH_INFO_PEER, &pi, sizeof pi)))
		return -ENOSPC;
	/* the peer's attributes follow its ifinfomsg inside the nest */
	m.n.nlmsg_len = (uint32_t)((uint8_t *)peer - m.b + RTA_LENGTH(sizeof pi));
	if (!nl_put(&b, IFLA_IFNAME, r->peer, strlen(r->peer) + 1) ||
	    !nl_put(&b, IFLA_MTU, &mtu, sizeof mtu))
		return -ENOSPC;
	nl_end(&b, peer);
	nl_end(&b, data);
	nl_end(&b, info);
	return nl_talk(r->nl, &m.n);
}

static void del_veth(struct hvb_ring *r)
{
	if (r->nl < 0 || r->peer_ix <= 0)
		return;
	struct {
		struct nlmsghdr n;
		struct ifinfomsg i;
	} m;
	memset(&m, 0, sizeof m);
	m.n.nlmsg_len = sizeof m;
	m.n.nlmsg_type = RTM_DELLINK;
	m.i.ifi_family = AF_UNSPEC;
	m.i.ifi_index = r->peer_ix; /* deleting one end deletes both */
	(void)nl_talk(r->nl, &m.n);
}

/* ---- set-up, inside the namespace ------------------------------------------------------------ */

struct open_arg {
	const struct hvb_tap_cfg *cfg;
	struct hvb_ring *r;
};

/* Switch offloads off (ethtool): frames must be whole, with their checksums, in both directions. */
static int no_offloads(int sock, const char *ifname, const char **step)
{
	static const struct {
		uint32_t cmd;
		const char *what;
	} offs[] = {
		{ETHTOOL_STSO, "tso off (ETHTOOL_STSO)"},
		{ETHTOOL_SGSO, "gso off (ETHTOOL_SGSO)"},
		{ETHTOOL_SGRO, "gro off (ETHTOOL_SGRO)"},
		{ETHTOOL_STXCSUM, "tx checksum off (ETHTOOL_STXCSUM)"},
	};
	for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		struct ethtool_value ev = {.cmd = offs[i].cmd, .data = 0};
		struct ifreq ifr;
		memset(&ifr, 0, sizeof ifr);
		snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
		ifr.ifr_data = (void *)&ev;
		if (ioctl(sock, SIOCETHTOOL, &ifr) < 0) {
			*step = offs[i].what;
			return -errno;
		}
	}
	return 0;
}

/* The peer's name exists: a pair a process made for this interface and could not delete (it was
 * killed). Delete it (both ends go): true. The peer's name is derived from the interface's, so
 * an interface of someone else's is never touched. */
static bool stale_pair(struct hvb_ring *r, int sock)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", r->peer);
	if (ioctl(sock, SIOCGIFINDEX, &ifr) < 0)
		return false;
	r->peer_ix = ifr.ifr_ifindex;
	del_veth(r);
	r->peer_ix = 0;
	hvb_log("ring %s: deleted the veth pair a process that ended without closing left",
		r->name);
	return true;
}

static int rings_here(void *arg, char **err)
{
	struct open_arg *a = arg;
	struct hvb_ring *r = a->r;
	const char *step = "netlink socket";
	int rc, sock = -1;
	uint32_t mtu = a->cfg->mtu ? a->cfg->mtu : 1500;
	r->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (r->nl < 0)
		goto out_errno;
	step = "socket";
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		goto out_errno;
	step = "veth (RTM_NEWLINK)";
	rc = make_veth(r, mtu);
	if (rc == -EEXIST && stale_pair(r, sock)) /* a killed process's pair: ours to replace */
		rc = make_veth(r, mtu);
	if (rc < 0) {
		errno = -rc;
		goto out_errno;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", r->peer);
	step = "peer index (SIOCGIFINDEX)";
	if (ioctl(sock, SIOCGIFINDEX, &ifr) < 0)
		goto out_errno;
	r->peer_ix = ifr.ifr_ifindex;
	rc = no_offloads(sock, r->name, &step);
	if (rc == 0)
		rc = no_offloads(sock, r->peer, &step);
	if (rc < 0) {
		errno = -rc;
		goto out_errno;
	}
	struct hvb_tap_cfg peer = {.mtu = mtu};
	snprintf(peer.name, sizeof peer.name, "%s", r->peer);
	rc = hvb_tap_configure(&peer, err); /* up */
	if (rc == 0)
		rc = hvb_tap_configure(a->cfg, err); /* MAC, MTU, address, up */
	if (rc < 0)
		goto out;

	/* receive: TPACKET_V3 blocks; our own sends are not looped back */
	step = "packet socket (CAP_NET_RAW)";
	r->rfd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (r->rfd < 0)
		goto out_errno;
	int v = TPACKET_V3;
	step = "PACKET_VERSION TPACKET_V3";
	if (setsockopt(r->rfd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0)
		goto out_errno;
	struct tpacket_req3 rq = {.tp_block_size = RX_BLOCK,
				  .tp_block_nr = RX_BLOCKS,
				  .tp_frame_size = 2048,
				  .tp_frame_nr = RX_BLOCK / 2048 * RX_BLOCKS,
				  .tp_retire_blk_tov = RX_TOV_MS};
	step = "PACKET_RX_RING";
	if (setsockopt(r->rfd, SOL_PACKET, PACKET_RX_RING, &rq, sizeof rq) < 0)
		goto out_errno;
	v = 1;
	step = "PACKET_IGNORE_OUTGOING";
	if (setsockopt(r->rfd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &v, sizeof v) < 0)
		goto out_errno;
	r->rx_len = (size_t)RX_BLOCK * RX_BLOCKS;
	step = "mmap of the receive ring";
	r->rx = mmap(NULL, r->rx_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->rfd, 0);
	if (r->rx == MAP_FAILED) {
		r->rx = NULL;
		goto out_errno;
	}
	struct sockaddr_ll ll = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_ALL),
				 .sll_ifindex = r->peer_ix};
	step = "bind the receive socket";
	if (bind(r->rfd, (struct sockaddr *)&ll, sizeof ll) < 0)
		goto out_errno;

	/* send: batches through sendmmsg, the qdisc bypassed (a veth has no queue to manage) */
	step = "packet socket (CAP_NET_RAW)";
	r->tfd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (r->tfd < 0)
		goto out_errno;
	v = 1;
	(void)setsockopt(r->tfd, SOL_PACKET, PACKET_QDISC_BYPASS, &v, sizeof v);
	r->tx_slot = (uint32_t)((r->max_frame + 63u) & ~(size_t)63u);
	step = "send batch memory";
	r->tx = malloc((size_t)r->tx_slot * TX_BATCH);
	if (!r->tx) {
		errno = ENOMEM;
		goto out_errno;
	}
	for (uint32_t i = 0; i < TX_BATCH; i++) {
		r->iov[i].iov_base = r->tx + (size_t)i * r->tx_slot;
		r->msg[i].msg_hdr.msg_iov = &r->iov[i];
		r->msg[i].msg_hdr.msg_iovlen = 1;
	}
	ll.sll_protocol = 0;
	step = "bind the send socket";
	if (bind(r->tfd, (struct sockaddr *)&ll, sizeof ll) < 0)
		goto out_errno;
	close(sock);
	return 0;

out_errno:
	rc = xdrv_err(err, errno ? -errno : -EIO, "ring %s: %s: %s", r->name, step,
		      strerror(errno ? errno : EIO));
out:
	if (sock >= 0)
		close(sock);
	return rc;
}

int hvb_ring_open(const struct hvb_tap_cfg *cfg, struct hvb_ring **out, char **err)
{
	*out = NULL;
	const char *off = getenv("XDRV_WIRE_NO_RING");
	if (off && *off && strcmp(off, "0") != 0)
		return xdrv_err(err, -EOPNOTSUPP, "ring %s: switched off by XDRV_WIRE_NO_RING=%s",
				cfg->name, off);
	struct hvb_ring *r = calloc(1, sizeof *r);
	if (!r)
		return xdrv_err(err, -ENOMEM, "ring %s: out of memory", cfg->name);
	r->nl = r->rfd = r->tfd = -1;
	snprintf(r->name, sizeof r->name, "%s", cfg->name);
	/* "xw" and the FNV-1a hash of the interface's name: the same for a process made again */
	uint32_t h = 2166136261u;
	for (const char *c = cfg->name; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	snprintf(r->peer, sizeof r->peer, "xw%08x", h);
	r->max_frame = (cfg->mtu ? cfg->mtu : 1500) + ETH_OVERHEAD;
	struct open_arg a = {cfg, r};
	char what[40];
	snprintf(what, sizeof what, "ring %s", cfg->name);
	int rc = hvb_in_netns(cfg->netns, what, rings_here, &a, err);
	if (rc < 0) {
		hvb_ring_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void hvb_ring_close(struct hvb_ring *r)
{
	if (!r)
		return;
	if (r->rx)
		munmap(r->rx, r->rx_len);
	free(r->tx);
	if (r->rfd >= 0)
		close(r->rfd);
	if (r->tfd >= 0)
		close(r->tfd);
	del_veth(r);
	if (r->nl >= 0)
		close(r->nl);
	free(r);
}

/* ---- frames -------------------------------------------------------------------------------- */

static struct tpacket_block_desc *block(struct hvb_ring *r)
{
	return (struct tpacket_block_desc *)(r->rx + (size_t)r->blk * RX_BLOCK);
}

/* Give the current block back and move to the next one. */
static void block_done(struct hvb_ring *r)
{
	__atomic_store_n(&block(r)->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	r->blk = (r->blk + 1) % RX_BLOCKS;
	r->cur = NULL;
	r->left = 0;
}

int hvb_ring_peek(struct hvb_ring *r, const uint8_t **frame)
{
	*frame = NULL;
	for (;;) {
		if (!r->cur) {
			struct tpacket_block_desc *b = block(r);
			uint32_t st = __atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
			if (!(st & TP_STATUS_USER))
				return 0;
			r->left = b->hdr.bh1.num_pkts;
			uint32_t first = b->hdr.bh1.offset_to_first_pkt;
			if (!r->left || first >= RX_BLOCK) {
				block_done(r);
				continue;
			}
			r->cur = (struct tpacket3_hdr *)((uint8_t *)b + first);
		}
		struct tpacket3_hdr *h = r->cur;
		size_t at = (size_t)((uint8_t *)h - (uint8_t *)block(r));
		/* the kernel wrote these: still, nothing outside the block is read */
		if (at + sizeof *h > RX_BLOCK || h->tp_mac > RX_BLOCK - at ||
		    h->tp_snaplen > RX_BLOCK - at - h->tp_mac) {
			r->st.rx_oversize++;
			block_done(r);
			continue;
		}
		if (h->tp_snaplen < h->tp_len || h->tp_len > r->max_frame) {
			r->st.rx_oversize++;
			hvb_ring_next(r);
			continue;
		}
		if (h->tp_len < 14) {
			r->st.rx_runts++;
			hvb_ring_next(r);
			continue;
		}
		*frame = (const uint8_t *)h + h->tp_mac;
		return (int)h->tp_len;
	}
}

void hvb_ring_next(struct hvb_ring *r)
{
	if (!r->cur)
		return;
	struct tpacket3_hdr *h = r->cur;
	if (h->tp_snaplen == h->tp_len && h->tp_len >= 14 && h->tp_len <= r->max_frame) {
		r->st.rx_frames++;
		r->st.rx_bytes += h->tp_len;
	}
	size_t at = (size_t)((uint8_t *)h - (uint8_t *)block(r));
	if (--r->left == 0 || !h->tp_next_offset || h->tp_next_offset >= RX_BLOCK - at)
		block_done(r);
	else
		r->cur = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
}

void hvb_ring_flush(struct hvb_ring *r)
{
	if (!r || !r->tx_queued)
		return;
	uint32_t done = 0;
	for (int tries = 0; done < r->tx_queued && tries < 2; tries++) {
		int n = sendmmsg(r->tfd, r->msg + done, r->tx_queued - done, MSG_DONTWAIT);
		r->st.kicks++;
		if (n <= 0)
			continue;
		done += (uint32_t)n;
	}
	/* what the kernel would not take is lost, as on a full link */
	r->st.tx_full += r->tx_queued - done;
	r->tx_queued = 0;
}

int hvb_ring_put(struct hvb_ring *r, const void *frame, size_t len)
{
	if (len > r->max_frame || len > r->tx_slot)
		return -EMSGSIZE;
	if (r->tx_queued == TX_BATCH)
		hvb_ring_flush(r);
	uint32_t i = r->tx_queued++;
	memcpy(r->iov[i].iov_base, frame, len);
	r->iov[i].iov_len = len;
	r->st.tx_frames++;
	r->st.tx_bytes += len;
	return 0;
}

void hvb_ring_adopt(struct hvb_ring *r)
{
	if (!r)
		return;
	/* the oldest block handed to us; with none, the newest the kernel opened (it fills that
	 * one next); the batch queued by the process we came from is not ours to send */
	uint32_t best = RX_BLOCKS, newest = 0;
	uint64_t best_seq = UINT64_MAX, newest_seq = 0;
	for (uint32_t b = 0; b < RX_BLOCKS; b++) {
		const struct tpacket_block_desc *d =
			(const struct tpacket_block_desc *)(r->rx + (size_t)b * RX_BLOCK);
		uint32_t st = __atomic_load_n(&d->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
		uint64_t seq = d->hdr.bh1.seq_num;
		if ((st & TP_STATUS_USER) && seq < best_seq) {
			best = b;
			best_seq = seq;
		}
		if (seq >= newest_seq) {
			newest = b;
			newest_seq = seq;
		}
	}
	r->blk = best < RX_BLOCKS ? best : newest;
	r->cur = NULL;
	r->left = 0;
	r->tx_queued = 0;
}

int hvb_ring_fd(const struct hvb_ring *r)
{
	return r ? r->rfd : -1;
}

void hvb_ring_get_stats(struct hvb_ring *r, struct hvb_ring_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!r)
		return;
	*out = r->st;
	/* the kernel's count since the last reading (reading resets it) */
	struct tpacket_stats_v3 ks;
	socklen_t kl = sizeof ks;
	memset(&ks, 0, sizeof ks);
	if (getsockopt(r->rfd, SOL_PACKET, PACKET_STATISTICS, &ks, &kl) == 0)
		r->kernel_drops += ks.tp_drops;
	out->rx_ring_full = r->kernel_drops;
}

size_t hvb_ring_max_frame(const struct hvb_ring *r)
{
	return r ? r->max_frame : 0;
}

const char *hvb_ring_peer(const struct hvb_ring *r)
{
	return r ? r->peer : "";
}
