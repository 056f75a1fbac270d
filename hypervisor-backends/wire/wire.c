// SPDX-License-Identifier: MIT
/*
 * Wire sides: the list of kinds ("gen", "tap"), wire lifecycle, attaching a wire to a NIC
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

static const struct hvb_wire_ops *const kinds[] = {
	&hvb_wire_gen_ops,
	&hvb_wire_tap_ops,
	NULL,
};

static uint32_t wire_count; /* for names; process-wide, single-threaded like the rest */

int hvb_wire_create(const char *kind, const char *options, struct hvb_wire **out, char **err)
{
	*out = NULL;
	const struct hvb_wire_ops *ops = NULL;
	for (size_t i = 0; kind && kinds[i]; i++)
		if (strcmp(kinds[i]->name, kind) == 0)
			ops = kinds[i];
	if (!ops)
		return xdrv_err(err, -ENOENT, "wire '%s': unknown (known: gen, tap)",
				kind ? kind : "(null)");
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

int hvb_wire_tx(struct hvb_device *nic, const void *frame, size_t len)
{
	struct hvb_wire *w = nic ? nic->wire : NULL;
	if (!w)
		return -ENOTCONN;
	int rc = w->ops->tx(w->priv, frame, len);
	if (rc == 0) {
		w->stats.tx_frames++;
		w->stats.tx_bytes += len;
	} else {
		w->stats.tx_errors++;
	}
	return rc;
}

int hvb_wire_pump(struct hvb_wire *w, uint32_t budget)
{
	if (!w)
		return -EINVAL;
	if (!w->nic)
		return -ENOTCONN;
	const struct hvb_nic_ops *nic = hvb_device_model(w->nic)->nic;
	int moved = 0;
	while (budget-- > 0) {
		int len = w->ops->peek(w->priv, w->buf, HVB_WIRE_MAX_FRAME);
		if (len < 0)
			return moved ? moved : len;
		if (len == 0)
			break;
		/* the NIC's receive may not detach or destroy the wire: models only DMA */
		int rc = nic->receive(hvb_device_state(w->nic), w->buf, (size_t)len);
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
	if (w->ops == &hvb_wire_gen_ops)
		hvb_wire_gen_fill_stats(w, out);
}

const char *hvb_wire_name(const struct hvb_wire *w)
{
	return w ? w->name : NULL;
}
