// SPDX-License-Identifier: MIT
/*
 * Wire sides: wire lifecycle (kinds are found in wire_list.c), attaching a wire to a NIC
 * device, and the two directions: hvb_wire_tx (a model's transmitted frame to the wire) and
 * hvb_wire_pump (frames waiting on the wire into the model's receiver, with flow control: a
 * frame the receiver refuses with -EAGAIN stays on the wire). What a kind does with frames is
 * its own file (gen.c, tap.c).
 */
#include "wire_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/util.h>

static uint32_t wire_count; /* for names; process-wide, single-threaded like the rest */

int hvb_wire_create(const char *kind, const char *options, struct hvb_wire **out, char **err)
{
	*out = NULL;
	const struct hvb_wire_ops *ops = hvb_wire_kind_find(kind);
	if (!ops) {
		char known[128] = "";
		size_t used = 0;
		for (const struct hvb_wire_ops *const *k = hvb_wire_kind_list(); *k; k++) {
			int n = snprintf(known + used, sizeof known - used, "%s%s",
					 used ? ", " : "", (*k)->name);
			if (n < 0 || (size_t)n >= sizeof known - used)
				break;
			used += (size_t)n;
		}
		return xdrv_err(err, -ENOENT, "wire '%s': unknown (known: %s)",
				kind ? kind : "(null)", known);
	}
	struct hvb_wire *w = calloc(1, sizeof *w);
	if (!w)
		return xdrv_err(err, -ENOMEM, "wire %s: out of memory", ops->name);
	w->ops = ops;
	snprintf(w->name, sizeof w->name, "%s.%" PRIu32, ops->name, wire_count);
	w->buf = malloc(HVB_WIRE_MAX_FRAME);
	if (!w->buf) {
		free(w);
		return xdrv_err(err, -ENOMEM, "wire %s: out of memory", ops->name);
	}
	int rc = ops->create(w, options, &w->priv, err);
	if (rc != 0) {
		xdrv_err_prefix(err, "wire %s", w->name);
		free(w->buf);
		free(w);
		return rc < 0 ? rc : -EINVAL;
	}
	wire_count++;
	*out = w;
	return 0;
}

void hvb_wire_destroy(struct hvb_wire *w)
{
	if (!w)
		return;
	hvb_wire_detach(w);
	if (w->ops->destroy)
		w->ops->destroy(w->priv);
	free(w->buf);
	free(w);
}

int hvb_wire_attach(struct hvb_wire *w, struct hvb_device *nic, char **err)
{
	if (!w || !nic)
		return xdrv_err(err, -EINVAL, "wire attach: no wire or device");
	const struct hvb_model_ops *m = hvb_device_model(nic);
	if (!m->nic || !m->nic->receive)
		return xdrv_err(err, -ENOTSUP, "wire %s: device %s (model %s) is not a NIC",
				w->name, hvb_device_name(nic), m->name);
	if (w->nic || nic->wire)
		return xdrv_err(err, -EBUSY, "wire %s: %s already connected", w->name,
				w->nic ? "wire is" : "device is");
	w->nic = nic;
	nic->wire = w;
	return 0;
}

void hvb_wire_detach(struct hvb_wire *w)
{
	if (!w || !w->nic)
		return;
	w->nic->wire = NULL;
	w->nic = NULL;
}

void hvb_wire_device_gone(struct hvb_device *d)
{
	if (d && d->wire)
		hvb_wire_detach(d->wire);
}

static int wire_put(struct hvb_wire *w, const void *frame, size_t len)
{
	int rc = w->ops->tx(w->priv, frame, len);
	if (rc == 0) {
		w->stats.tx_frames++;
		w->stats.tx_bytes += len;
	} else {
		w->stats.tx_errors++;
	}
	return rc;
}

int hvb_wire_tx(struct hvb_device *nic, const void *frame, size_t len)
{
	struct hvb_wire *w = nic ? nic->wire : NULL;
	if (!w)
		return -ENOTCONN;
	return wire_put(w, frame, len);
}

int hvb_wire_put(struct hvb_wire *w, const void *frame, size_t len)
{
	if (!w)
		return -EINVAL;
	if (w->nic)
		return -EBUSY;
	return wire_put(w, frame, len);
}

/* The next frame for the receiver, by reference where the kind can. */
static int wire_peek(struct hvb_wire *w, const uint8_t **frame)
{
	if (w->ops->peek_ref)
		return w->ops->peek_ref(w->priv, frame);
	int len = w->ops->peek(w->priv, w->buf, HVB_WIRE_MAX_FRAME);
	*frame = len > 0 ? w->buf : NULL;
	return len;
}

void hvb_wire_flush(struct hvb_wire *w)
{
	if (w && w->ops->flush)
		w->ops->flush(w->priv);
}

void hvb_wire_adopt(struct hvb_wire *w)
{
	if (w && w->ops->adopt)
		w->ops->adopt(w->priv);
}

int hvb_wire_take(struct hvb_wire *w, const uint8_t **frame)
{
	*frame = NULL;
	if (!w)
		return -EINVAL;
	if (w->nic)
		return -EBUSY;
	return wire_peek(w, frame);
}

void hvb_wire_taken(struct hvb_wire *w, size_t len)
{
	if (!w || w->nic)
		return;
	w->ops->consumed(w->priv);
	w->stats.rx_frames++;
	w->stats.rx_bytes += len;
}

int hvb_wire_fd(const struct hvb_wire *w)
{
	return w && w->ops->fd ? w->ops->fd(w->priv) : -1;
}

int hvb_wire_pump(struct hvb_wire *w, uint32_t budget)
{
	if (!w)
		return -EINVAL;
	if (!w->nic)
		return -ENOTCONN;
	const struct hvb_nic_ops *nic = hvb_device_model(w->nic)->nic;
	int moved = 0;
	/* what the NIC transmitted since the last pump leaves first (the driver ran in between) */
	hvb_wire_flush(w);
	while (budget-- > 0) {
		const uint8_t *frame;
		int len = wire_peek(w, &frame);
		if (len < 0)
			return moved ? moved : len;
		if (len == 0)
			break;
		/* the NIC's receive may not detach or destroy the wire: models only DMA */
		int rc = nic->receive(hvb_device_state(w->nic), frame, (size_t)len);
		if (rc == -EAGAIN) {
			w->stats.rx_deferred++;
			break;
		}
		w->ops->consumed(w->priv);
		if (rc == 0) {
			w->stats.rx_frames++;
			w->stats.rx_bytes += (uint64_t)len;
		}
		moved++;
	}
	return moved;
}

void hvb_wire_get_stats(const struct hvb_wire *w, struct hvb_wire_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!w)
		return;
	*out = w->stats;
	if (w->ops->stats)
		w->ops->stats(w->priv, out);
}

bool hvb_wire_is_source(const struct hvb_wire *w)
{
	return w && w->ops->pending;
}

int hvb_wire_gen_start(struct hvb_wire *w, uint64_t count, uint32_t size)
{
	if (!w || !w->ops->start)
		return -EINVAL;
	return w->ops->start(w->priv, count, size);
}

uint64_t hvb_wire_gen_pending(const struct hvb_wire *w)
{
	return w && w->ops->pending ? w->ops->pending(w->priv) : 0;
}

const char *hvb_wire_name(const struct hvb_wire *w)
{
	return w ? w->name : NULL;
}
