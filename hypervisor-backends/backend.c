// SPDX-License-Identifier: MIT
/*
 * The generic device layer's lifecycle between the loader's ABI runtime and a backend: creating
 * backends and model instances by name (registry.c), destroying them, and polling a device
 * (its timers, then frames waiting on its wire).
 *
 * What a model may call on its own device (registers, interrupts, DMA, timers, logging) is
 * device.c; what an access does once it is valid is the backend's (native/native.c); what a
 * register means is the model's (models/).
 */
#include "hvb_priv.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xdrv/device.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

/* Free a device already unlinked from its backend. */
static void device_free(struct hvb_device *d)
{
	/* a model's destroy may not raise interrupts into a host that is tearing down */
	d->irq_cb = NULL;
	hvb_wire_device_gone(d);
	if (d->model->destroy)
		d->model->destroy(d->opaque);
	hvb_iommu_clear(&d->iommu);
	for (uint32_t i = 0; i < d->nlogged; i++)
		free(d->logged[i]);
	free(d);
}

/* ---- backends -------------------------------------------------------------------------------- */

int hvb_backend_create(const char *name, const char *options, struct hvb_backend **out, char **err)
{
	*out = NULL;
	const struct hvb_backend_ops *ops = hvb_backend_find(name);
	if (!ops) {
		char known[128] = "";
		size_t n = 0;
		for (const struct hvb_backend_ops *const *b = hvb_backend_list(); *b; b++) {
			int w = snprintf(known + n, sizeof known - n, "%s%s", n ? ", " : "",
					 (*b)->name);
			if (w < 0 || (size_t)w >= sizeof known - n)
				break;
			n += (size_t)w;
		}
		return xdrv_err(err, -ENOENT, "backend '%s': unknown (known: %s)",
				name ? name : "(null)", known);
	}
	struct hvb_backend *b = calloc(1, sizeof *b);
	if (!b)
		return xdrv_err(err, -ENOMEM, "backend %s: out of memory", ops->name);
	b->ops = ops;
	int rc = ops->create ? ops->create(b, options, err) : 0;
	if (rc != 0) {
		free(b);
		return rc < 0 ? rc : -EINVAL;
	}
	*out = b;
	return 0;
}

int hvb_backend_create_spec(const char *spec, struct hvb_backend **out, char **err)
{
	*out = NULL;
	if (!spec)
		return hvb_backend_create(NULL, NULL, out, err);
	const char *colon = strchr(spec, ':');
	if (!colon)
		return hvb_backend_create(spec, NULL, out, err);
	size_t n = (size_t)(colon - spec);
	char name[HVB_NAME_MAX];
	if (n == 0 || n >= sizeof name)
		return xdrv_err(err, -EINVAL, "backend '%s': expected NAME[:OPTIONS]", spec);
	memcpy(name, spec, n);
	name[n] = '\0';
	return hvb_backend_create(name, colon + 1, out, err);
}

void hvb_backend_destroy(struct hvb_backend *b)
{
	if (!b)
		return;
	while (b->devices) {
		struct hvb_device *d = b->devices;
		b->devices = d->next;
		device_free(d);
	}
	if (b->ops->destroy)
		b->ops->destroy(b);
	free(b);
}

const char *hvb_backend_name(const struct hvb_backend *b)
{
	return b ? b->ops->name : NULL;
}

/* ---- devices --------------------------------------------------------------------------------- */

int hvb_device_create(struct hvb_backend *b, const char *model, const char *config,
		      struct hvb_device **out, char **err)
{
	*out = NULL;
	if (!b)
		return xdrv_err(err, -EINVAL, "device %s: no backend", model ? model : "(null)");
	const struct hvb_model_ops *m = hvb_model_find(model);
	if (!m) {
		char known[160] = "";
		size_t n = 0;
		for (const struct hvb_model_ops *const *p = hvb_model_list(); *p; p++) {
			int w = snprintf(known + n, sizeof known - n, "%s%s", n ? ", " : "",
					 (*p)->name);
			if (w < 0 || (size_t)w >= sizeof known - n)
				break;
			n += (size_t)w;
		}
		return xdrv_err(err, -ENOENT, "device model '%s': unknown (known: %s)",
				model ? model : "(null)", known);
	}
	struct hvb_device *d = calloc(1, sizeof *d);
	if (!d)
		return xdrv_err(err, -ENOMEM, "device %s: out of memory", m->name);
	d->backend = b;
	d->model = m;
	snprintf(d->name, sizeof d->name, "%s.%" PRIu32, m->name, b->next_index);
	for (uint32_t i = 0; i < HVB_MAX_IRQS; i++)
		d->masked[i] = true;
	hvb_iommu_init(&d->iommu);
	int rc = m->create ? m->create(d, config, &d->opaque, err) : 0;
	if (rc != 0) {
		xdrv_err_prefix(err, "device %s", m->name);
		free(d);
		return rc < 0 ? rc : -EINVAL;
	}
	b->next_index++;
	d->next = b->devices;
	b->devices = d;
	if (m->reset)
		m->reset(d->opaque);
	*out = d;
	return 0;
}

void hvb_device_destroy(struct hvb_device *d)
{
	if (!d)
		return;
	for (struct hvb_device **pp = &d->backend->devices; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	device_free(d);
}

/* Frames moved per poll: enough to fill a ring between two dispatch rounds, small enough that
 * interrupts are delivered between batches. */
#define POLL_WIRE_BUDGET 64u

int hvb_device_poll(struct hvb_device *d)
{
	if (!d)
		return 0;
	int n = hvb_timers_fire(d);
	if (d->model->poll)
		n += d->model->poll(d->opaque);
	if (d->wire) {
		int moved = hvb_wire_pump(d->wire, POLL_WIRE_BUDGET);
		if (moved > 0)
			n += moved;
	}
	return n;
}
