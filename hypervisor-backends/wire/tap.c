// SPDX-License-Identifier: MIT
/*
 * The "tap" wire: a Linux interface in a namespace as the other end of a NIC model's cable, so
 * real kernel traffic reaches the driver. Two ways to move frames (xdrv/tap.h, io=):
 *   ring  a veth pair with a PACKET_MMAP ring on the hidden end (ring_if.c): frames arrive in
 *         blocks without a system call each, and leave in batches, one sendmmsg(2) per flush;
 *   tap   a TAP (tap_if.c), one read(2) or write(2) per frame.
 * io=auto (the default) takes the ring and falls back to the TAP with one line naming why.
 * Frames move non-blocking: none waiting means none; a send that finds no room drops the frame
 * (counted as a wire TX error), as a full link would. Frames from the kernel longer than the
 * interface's MTU allows (or shorter than an Ethernet header) are skipped and counted.
 */
#include "wire_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/util.h>

struct tap {
	struct hvb_ring *ring; /* io=ring, or NULL */
	int fd;		       /* io=tap, or -1 */
	uint8_t *frame;	       /* io=tap: read but not yet taken by the NIC */
	int frame_len;	       /* 0: none held */
	uint64_t rejected;     /* io=tap: frames too short to be Ethernet */
};

static int tap_create(struct hvb_wire *w, const char *options, void **priv, char **err)
{
	struct hvb_tap_cfg cfg;
	int rc = hvb_tap_parse(options, "tap", false, false, &cfg, err);
	if (rc < 0)
		return rc;
	struct tap *t = calloc(1, sizeof *t);
	if (!t)
		return xdrv_err(err, -ENOMEM, "out of memory");
	t->fd = -1;
	if (cfg.io != HVB_TAP_IO_TAP) {
		char *why = NULL;
		rc = hvb_ring_open(&cfg, &t->ring, &why);
		if (rc < 0 && cfg.io == HVB_TAP_IO_RING) {
			free(t);
			if (err)
				*err = why;
			else
				free(why);
			return rc;
		}
		if (rc < 0)
			hvb_log("wire %s: plain TAP I/O, one system call per frame (the ring is "
				"unavailable: %s)",
				w->name, why ? why : "?");
		free(why);
		if (rc == 0) {
			*priv = t;
			return 0;
		}
	}
	if (!(t->frame = malloc(HVB_WIRE_MAX_FRAME))) {
		free(t);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	int fd = hvb_tap_open(&cfg, err);
	if (fd < 0) {
		free(t->frame);
		free(t);
		return fd;
	}
	t->fd = fd;
	*priv = t;
	return 0;
}

static void tap_destroy(void *priv)
{
	struct tap *t = priv;
	if (!t)
		return;
	hvb_ring_close(t->ring); /* deletes the veth pair */
	if (t->fd >= 0)
		close(t->fd); /* deletes the (non-persistent) interface */
	free(t->frame);
	free(t);
}

static int tap_tx(void *priv, const void *frame, size_t len)
{
	struct tap *t = priv;
	if (t->ring)
		return hvb_ring_put(t->ring, frame, len);
	ssize_t n = write(t->fd, frame, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int tap_peek_ref(void *priv, const uint8_t **frame)
{
	struct tap *t = priv;
	*frame = NULL;
	if (t->ring)
		return hvb_ring_peek(t->ring, frame);
	while (!t->frame_len) {
		ssize_t n = read(t->fd, t->frame, HVB_WIRE_MAX_FRAME);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (n >= 14)
			t->frame_len = (int)n;
		else
			t->rejected++; /* nothing Ethernet-shaped: skip */
	}
	*frame = t->frame;
	return t->frame_len;
}

static int tap_peek(void *priv, uint8_t *buf, size_t cap)
{
	const uint8_t *f;
	int len = tap_peek_ref(priv, &f);
	if (len <= 0 || !f)
		return len < 0 ? len : 0;
	if ((size_t)len > cap)
		return -EMSGSIZE;
	memcpy(buf, f, (size_t)len);
	return len;
}

static void tap_consumed(void *priv)
{
	struct tap *t = priv;
	if (t->ring)
		hvb_ring_next(t->ring);
	else
		t->frame_len = 0;
}

static void tap_flush(void *priv)
{
	hvb_ring_flush(((struct tap *)priv)->ring);
}

static void tap_adopt(void *priv)
{
	hvb_ring_adopt(((struct tap *)priv)->ring);
}

static int tap_fd(const void *priv)
{
	const struct tap *t = priv;
	return t->ring ? hvb_ring_fd(t->ring) : t->fd;
}

static void tap_stats(const void *priv, struct hvb_wire_stats *out)
{
	const struct tap *t = priv;
	out->io = t->ring ? "ring" : "tap";
	out->rx_rejected += t->rejected;
	if (t->ring) {
		struct hvb_ring_stats rs;
		hvb_ring_get_stats(t->ring, &rs);
		out->rx_rejected += rs.rx_oversize + rs.rx_runts;
		out->rx_lost += rs.rx_ring_full;
	}
}

const struct hvb_wire_ops hvb_wire_tap_ops = {
	.name = "tap",
	.description =
		"Linux interface in a network namespace (veth with PACKET_MMAP rings, or TAP)",
	.create = tap_create,
	.destroy = tap_destroy,
	.tx = tap_tx,
	.peek = tap_peek,
	.peek_ref = tap_peek_ref,
	.consumed = tap_consumed,
	.flush = tap_flush,
	.adopt = tap_adopt,
	.stats = tap_stats,
	.fd = tap_fd,
};
