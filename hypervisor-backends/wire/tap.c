// SPDX-License-Identifier: MIT
/*
 * The "tap" wire: a Linux TAP interface (xdrv/tap.h, tap_if.c) as the other end of a NIC
 * model's cable, so real kernel traffic reaches the driver. Frames move non-blocking: a read
 * that would block means nothing is waiting; a write that would block drops the frame (counted
 * as a wire TX error), as a full link would.
 */
#include "wire_priv.h"

#include "xdrv/tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/util.h>

struct tap {
	int fd;
	uint8_t *frame; /* read but not yet taken by the NIC */
	int frame_len;	/* 0: none held */
};

static int tap_create(struct hvb_wire *w, const char *options, void **priv, char **err)
{
	(void)w;
	struct hvb_tap_cfg cfg;
	int rc = hvb_tap_parse(options, "tap", false, false, &cfg, err);
	if (rc < 0)
		return rc;
	struct tap *t = calloc(1, sizeof *t);
	if (!t || !(t->frame = malloc(HVB_WIRE_MAX_FRAME))) {
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
	close(t->fd); /* deletes the (non-persistent) interface */
	free(t->frame);
	free(t);
}

static int tap_tx(void *priv, const void *frame, size_t len)
{
	struct tap *t = priv;
	ssize_t n = write(t->fd, frame, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int tap_peek(void *priv, uint8_t *buf, size_t cap)
{
	struct tap *t = priv;
	if (!t->frame_len) {
		ssize_t n = read(t->fd, t->frame, HVB_WIRE_MAX_FRAME);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (n < 14)
			return 0; /* nothing Ethernet-shaped: skip */
		t->frame_len = (int)n;
	}
	if ((size_t)t->frame_len > cap)
		return -EMSGSIZE;
	memcpy(buf, t->frame, (size_t)t->frame_len);
	return t->frame_len;
}

static void tap_consumed(void *priv)
{
	((struct tap *)priv)->frame_len = 0;
}

static int tap_fd(const void *priv)
{
	return ((const struct tap *)priv)->fd;
}

const struct hvb_wire_ops hvb_wire_tap_ops = {
	.name = "tap",
	.description = "Linux TAP interface, optionally in a named network namespace",
	.create = tap_create,
	.destroy = tap_destroy,
	.tx = tap_tx,
	.peek = tap_peek,
	.consumed = tap_consumed,
	.fd = tap_fd,
};
