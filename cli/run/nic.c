// SPDX-License-Identifier: MIT
/*
 * `xdrv run`'s NIC end: both sides of a NIC driver. The host side is the network interface the
 * driver registered: frames it receives go to a TAP that stands for it (--host-tap, with the
 * virtio-net header so that checksums are left to the chip), or, with no TAP and a wire that
 * generates traffic, are echoed back with the addresses swapped. The cable side is a wire
 * (xdrv/wire.h) attached to the device model. What the TAP is and how a wire moves frames
 * are the backends' (xdrv/tap.h, xdrv/wire.h); this file moves frames and counts them.
 */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xdrv/hvb.h>
#include <xdrv/net.h>
#include <xdrv/runtime.h>
#include <xdrv/tap.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

#define TAP_BATCH 64	/* frames read from the host TAP per round */
#define FRAME_MAX 65536 /* the tun limit */

struct run_nic {
	struct ldr_netdev *nd;
	struct hvb_wire *wire;
	bool echo;	  /* no TAP, a traffic-source wire: send frames back */
	uint64_t expect;  /* frames a generator behind the wire sends (0: unknown) */
	bool echo_wanted; /* --echo */
	int tapfd;	  /* host TAP, or -1 */
	char tapname[32]; /* its interface name */
	bool vnet;	  /* its frames carry a struct hvb_tap_vnet */
	uint64_t rx, rx_bytes, rx_digest; /* frames the driver delivered to the host */
	uint64_t tx, tx_bytes;		  /* frames the host handed to the driver */
	uint64_t tx_refused, tap_write_drops;
	uint64_t csum_offloaded, csum_valid; /* TAP frames with NEEDS_CSUM / marked DATA_VALID */
	uint64_t t_first, t_last;	     /* CLOCK_MONOTONIC ns of the first and last frame */
	bool seen;			     /* frames moved since the round's clock reading */
	uint8_t frame[FRAME_MAX];
};

/* Frames are timed per round of the run loop (tap_pump reads the clock), not per frame. */
static void frame_seen(struct run_nic *n)
{
	n->seen = true;
}

static void stamp_round(struct run_nic *n)
{
	if (!n->seen)
		return;
	n->seen = false;
	n->t_last = xdrv_now_ns();
	if (!n->t_first)
		n->t_first = n->t_last;
}

static void xmit(struct run_nic *n, size_t len, uint32_t csum, uint16_t start, uint16_t off)
{
	frame_seen(n);
	if (ldr_net_xmit(n->nd, n->frame, len, csum, start, off) == 0) {
		n->tx++;
		n->tx_bytes += len;
	} else {
		n->tx_refused++;
	}
}

static void on_rx(void *ctx, const uint8_t *frame, size_t len, uint32_t csum_flags)
{
	struct run_nic *n = ctx;
	frame_seen(n);
	n->rx++;
	n->rx_bytes += len;
	n->rx_digest = hvb_wire_digest(n->rx_digest, frame, len);
	if (n->tapfd >= 0) {
		/* the chip checked TCP/UDP: the kernel need not check again */
		struct hvb_tap_vnet h = {0};
		if (csum_flags & XDRV_CSUM_L4_GOOD) {
			h.flags = HVB_TAP_DATA_VALID;
			n->csum_valid++;
		}
		struct iovec iov[2] = {{&h, sizeof h}, {(void *)frame, len}};
		size_t hl = n->vnet ? sizeof h : 0;
		if (writev(n->tapfd, iov + !n->vnet, 2 - !n->vnet) != (ssize_t)(hl + len))
			n->tap_write_drops++;
		return;
	}
	if (n->echo && len >= 12 && len <= FRAME_MAX) { /* swap the addresses, send back */
		memcpy(n->frame, frame + 6, 6);
		memcpy(n->frame + 6, frame, 6);
		memcpy(n->frame + 12, frame + 12, len - 12);
		xmit(n, len, XDRV_CSUM_NONE, 0, 0);
	}
}

/* Frames the kernel sent on the host TAP go to the driver. */
static bool tap_pump(void *ctx, bool busy)
{
	(void)busy;
	struct run_nic *n = ctx;
	stamp_round(n); /* the frames of the round that just ended */
	int moved = 0;
	while (n->tapfd >= 0 && moved < TAP_BATCH) {
		struct hvb_tap_vnet h = {0};
		struct iovec iov[2] = {{&h, sizeof h}, {n->frame, sizeof n->frame}};
		size_t hl = n->vnet ? sizeof h : 0;
		ssize_t got = readv(n->tapfd, iov + !n->vnet, 2 - !n->vnet);
		if (got <= (ssize_t)hl)
			break;
		size_t len = (size_t)got - hl;
		moved++;
		/* a checksum the kernel left to the NIC: the driver asks the chip for it */
		uint32_t cf = XDRV_CSUM_NONE;
		if ((h.flags & HVB_TAP_NEEDS_CSUM) && h.csum_start < len) {
			cf = XDRV_CSUM_PARTIAL;
			n->csum_offloaded++;
		}
		xmit(n, len, cf, h.csum_start, h.csum_offset);
	}
	return moved > 0;
}

static bool nic_more(const void *ctx)
{
	const struct run_nic *n = ctx;
	if (hvb_wire_gen_pending(n->wire) > 0)
		return true;
	if (!n->expect)
		return false;
	/* a generator the supervisor's backend runs: more to come until its frames came in */
	struct hvb_wire_stats ws;
	hvb_wire_get_stats(n->wire, &ws);
	return ws.rx_frames < n->expect;
}

void run_nic_expect(struct run_nic *n, uint64_t frames)
{
	if (n)
		n->expect = frames;
}

struct run_end run_nic_end(struct run_nic *n)
{
	return (struct run_end){.pump = tap_pump, .more = nic_more, .fd = n->tapfd, .ctx = n};
}

struct ldr_netdev *run_nic_netdev(const struct run_nic *n)
{
	return n ? n->nd : NULL;
}

bool run_nic_until_signal(const struct run_nic *n)
{
	return n->tapfd >= 0;
}

int run_host_tap_open(const char *spec, struct run_host_tap *t, char **err)
{
	struct hvb_tap_cfg cfg;
	t->fd = -1;
	int rc = hvb_tap_parse(spec, "--host-tap", true, true, &cfg, err);
	if (rc)
		return rc;
	if (cfg.io == HVB_TAP_IO_RING) /* the driver's interface is a TAP (virtio_net_hdr) */
		return xdrv_err(err, -EINVAL, "--host-tap %s: io=ring is for a wire (--wire tap:)",
				spec);
	/* the driver's MAC address is set once it registered one (run_nic_attach) */
	cfg.has_mac = false;
	rc = hvb_tap_open(&cfg, err);
	if (rc < 0)
		return rc;
	t->fd = rc;
	t->vnet = cfg.offload;
	snprintf(t->name, sizeof t->name, "%s", cfg.name);
	printf("host: TAP %s%s%s stands for the driver's interface\n", cfg.name,
	       cfg.netns[0] ? " in namespace " : "", cfg.netns);
	fflush(stdout);
	return 0;
}

void run_host_tap_close(struct run_host_tap *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

int run_nic_prepare(const struct run_host_tap *tap, const char *wire, bool echo,
		    struct run_nic **out, char **err)
{
	*out = NULL;
	struct run_nic *n = calloc(1, sizeof *n);
	if (!n) {
		if (tap->fd >= 0)
			close(tap->fd);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	n->tapfd = tap->fd;
	n->vnet = tap->vnet;
	snprintf(n->tapname, sizeof n->tapname, "%s", tap->name);
	n->rx_digest = HVB_WIRE_DIGEST_INIT;
	n->echo_wanted = echo;
	int rc = 0;
	if (wire)
		rc = run_wire_create(wire, &n->wire, err);
	fflush(stdout);
	if (rc) {
		run_nic_destroy(n);
		return rc;
	}
	*out = n;
	return 0;
}

int run_nic_attach(struct run_nic *n, struct ldr_driver *drv, struct hvb_device *dev,
		   const char *driver_name, char **err)
{
	int rc = 0;
	n->nd = ldr_driver_netdev(drv, 0);
	if (!n->nd)
		rc = xdrv_err(err, -ENODEV,
			      "%s: the driver registered no network interface, so "
			      "--host-tap/--wire have nothing to connect",
			      driver_name);
	if (rc == 0) {
		ldr_net_set_rx(n->nd, on_rx, n);
		rc = ldr_net_open(n->nd, err);
	}
	/* a frame larger than the driver takes is refused by it and counted (tx_refused) */
	if (rc == 0 && n->tapfd >= 0)
		rc = hvb_tap_set_mac(n->tapfd, n->tapname, ldr_net_mac(n->nd), err);
	if (rc == 0 && n->wire)
		rc = hvb_wire_attach(n->wire, dev, err);
	if (rc == 0 && n->wire)
		printf("wire: %s attached to %s\n", hvb_wire_name(n->wire), hvb_device_name(dev));
	fflush(stdout);
	if (rc == 0)
		n->echo = n->tapfd < 0 && (n->echo_wanted || hvb_wire_is_source(n->wire));
	return rc;
}

void run_nic_summary(const struct run_nic *n, double secs)
{
	if (!n || !n->nd)
		return;
	printf("  host        received %" PRIu64 " frames (%" PRIu64 " bytes, digest %016" PRIx64
	       "), sent %" PRIu64 " frames (%" PRIu64 " bytes)",
	       n->rx, n->rx_bytes, n->rx_digest, n->tx, n->tx_bytes);
	if (n->tx_refused || n->tap_write_drops)
		printf("; %" PRIu64 " refused by the driver, %" PRIu64 " not written to the TAP",
		       n->tx_refused, n->tap_write_drops);
	printf("\n");
	if (n->vnet)
		printf("  offload     %" PRIu64
		       " sent frames left their TCP/UDP checksum to the NIC, "
		       "%" PRIu64 " received frames passed the NIC's check\n",
		       n->csum_offloaded, n->csum_valid);
	/* frames of the last round have no clock reading yet */
	uint64_t last = n->seen ? xdrv_now_ns() : n->t_last, first = n->t_first ? n->t_first : last;
	if (last > first && n->rx + n->tx >= 2)
		secs = (double)(last - first) / 1e9;
	if (secs > 0)
		printf("  rate        %.3f Gbit/s received, %.3f Gbit/s sent\n",
		       (double)n->rx_bytes * 8 / secs / 1e9, (double)n->tx_bytes * 8 / secs / 1e9);
	if (n->wire) {
		struct hvb_wire_stats ws;
		hvb_wire_get_stats(n->wire, &ws);
		printf("  wire        %s: to the NIC %" PRIu64 " frames (%" PRIu64
		       " bytes), from the NIC %" PRIu64 " frames (%" PRIu64 " bytes, %" PRIu64
		       " errors",
		       hvb_wire_name(n->wire), ws.rx_frames, ws.rx_bytes, ws.tx_frames, ws.tx_bytes,
		       ws.tx_errors);
		if (ws.sink)
			printf(", %" PRIu64 " bad, digest %016" PRIx64, ws.tx_bad, ws.digest);
		if (ws.io)
			printf(", %s I/O, %" PRIu64 " rejected, %" PRIu64 " lost", ws.io,
			       ws.rx_rejected, ws.rx_lost);
		printf(")\n");
	}
	struct xdrv_net_stats ns;
	if (ldr_net_stats(n->nd, &ns) == 0)
		printf("  driver      rx %" PRIu64 " packets %" PRIu64 " bytes, tx %" PRIu64
		       " packets %" PRIu64 " bytes; errors rx %" PRIu64 " tx %" PRIu64
		       ", dropped rx %" PRIu64 " tx %" PRIu64 ", fifo %" PRIu64 "\n",
		       ns.rx_packets, ns.rx_bytes, ns.tx_packets, ns.tx_bytes, ns.rx_errors,
		       ns.tx_errors, ns.rx_dropped, ns.tx_dropped, ns.rx_fifo_errors);
	uint32_t up = 0, speed = 0, duplex = 0;
	ldr_net_link(n->nd, &up, &speed, &duplex);
	printf("  link        %s", up ? "up" : "down");
	if (up)
		printf(", %u Mbit/s %s duplex", speed, duplex ? "full" : "half");
	printf("\n");
}

void run_nic_destroy(struct run_nic *n)
{
	if (!n)
		return;
	hvb_wire_destroy(n->wire);
	if (n->tapfd >= 0)
		close(n->tapfd);
	free(n);
}
