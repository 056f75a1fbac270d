// SPDX-License-Identifier: MIT
/*
 * A driver's lifecycle on one device: check the descriptor (magic, size, ABI version, reserved
 * fields), match it against the device's identity, write parameters for natively compiled
 * drivers, probe; unbind, releasing whatever the driver still holds (the device, then each
 * device class of runtime_classes.c, then memory). Dispatch is runtime_dispatch.c; what happens
 * when the driver's code faults is runtime_fault.c. The descriptor is driver memory (JIT data or a
 * dlopen'd library): it is copied once and only the copy is used.
 */
#include "runtime_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xdrv/util.h>

/* Bounds on what is read from a descriptor: its tables end with a sentinel entry, and a driver
 * whose sentinel is missing must not make the host walk off into unrelated memory. */
#define MATCH_MAX  64u
#define PARAMS_MAX 64u
#define STR_MAX	   256u

static bool name_ok(const char *s, size_t max, const char *extra)
{
	size_t n = s ? strnlen(s, max + 1) : 0;
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		      (extra && strchr(extra, c))))
			return false;
	}
	return true;
}

static void fmt_ver(uint32_t v, char *buf, size_t n)
{
	snprintf(buf, n, "%u.%u.%u", v / 1000000u, v / 1000u % 1000u, v % 1000u);
}

/* Check the descriptor copy; once its name is known good, messages use it (unless the host
 * gave a label). */
static int check_desc(const struct xdrv_driver *d, const char **who, bool labelled, char **err)
{
	char have[32], want[32];
	if (d->magic != XDRV_DRIVER_MAGIC)
		return xdrv_err(err, -EINVAL, "%s: descriptor: bad magic 0x%08x (expected 0x%08x)",
				*who, d->magic, XDRV_DRIVER_MAGIC);
	fmt_ver(d->abi_version, have, sizeof have);
	fmt_ver(XDRV_ABI_VERSION, want, sizeof want);
	if (d->abi_version / 1000000u != XDRV_ABI_VERSION_MAJOR)
		return xdrv_err(err, -ENOTSUP,
				"%s: descriptor: ABI version %s not supported (this host runs ABI "
				"%u.x up to %s)",
				*who, have, XDRV_ABI_VERSION_MAJOR, want);
	if (d->abi_version > XDRV_ABI_VERSION)
		return xdrv_err(err, -ENOTSUP,
				"%s: descriptor: ABI version %s is newer than this host's %s", *who,
				have, want);
	if (d->struct_size != sizeof(struct xdrv_driver))
		return xdrv_err(err, -EINVAL, "%s: descriptor: struct_size %u (expected %zu)", *who,
				d->struct_size, sizeof(struct xdrv_driver));
	if (!name_ok(d->name, 63, "-"))
		return xdrv_err(err, -EINVAL,
				"%s: descriptor: name: missing or not [a-z0-9_-]{1,63}", *who);
	if (!labelled)
		*who = d->name;
	if (d->flags)
		return xdrv_err(err, -EINVAL, "%s: descriptor: flags 0x%x: reserved, must be 0",
				*who, d->flags);
	for (size_t i = 0; i < sizeof d->reserved / sizeof d->reserved[0]; i++)
		if (d->reserved[i])
			return xdrv_err(err, -EINVAL, "%s: descriptor: reserved[%zu]: not NULL",
					*who, i);
	if (!d->probe)
		return xdrv_err(err, -EINVAL, "%s: descriptor: probe: missing", *who);
	if (!d->match)
		return xdrv_err(err, -EINVAL, "%s: descriptor: match: missing", *who);
	return 0;
}

static const char *bus_name(uint32_t bus)
{
	return bus == XDRV_BUS_PCI ? "pci" : bus == XDRV_BUS_PLATFORM ? "platform" : "?";
}

static bool match_one(const struct xdrv_match *e, const struct hvb_model_ops *m)
{
	if (e->bus != m->bus)
		return false;
	if (e->bus == XDRV_BUS_PCI)
		return (e->vendor == XDRV_MATCH_ANY || e->vendor == m->vendor) &&
		       (e->device == XDRV_MATCH_ANY || e->device == m->device) &&
		       (m->class_code & e->class_mask) == (e->class_code & e->class_mask);
	if (e->bus == XDRV_BUS_PLATFORM) {
		if (!e->compatible || !m->compatible)
			return false;
		size_t n = strnlen(e->compatible, STR_MAX);
		return n < STR_MAX && strcmp(e->compatible, m->compatible) == 0;
	}
	return false;
}

static int match_device(const struct xdrv_driver *d, const struct hvb_model_ops *m, const char *who,
			char **err)
{
	for (uint32_t i = 0; i < MATCH_MAX; i++) {
		const struct xdrv_match *e = &d->match[i];
		if (e->bus == 0)
			break;
		if (e->reserved)
			return xdrv_err(err, -EINVAL,
					"%s: descriptor: match[%u].reserved: not zero", who, i);
		if (match_one(e, m))
			return 0;
		if (i + 1 == MATCH_MAX)
			return xdrv_err(err, -EINVAL,
					"%s: descriptor: match: no end entry within %u entries",
					who, MATCH_MAX);
	}
	if (m->bus == XDRV_BUS_PCI)
		return xdrv_err(err, -ENODEV,
				"%s: does not match device %s (pci %04x:%04x class %06x)", who,
				m->name, m->vendor, m->device, m->class_code);
	return xdrv_err(err, -ENODEV, "%s: does not match device %s (%s, compatible \"%s\")", who,
			m->name, bus_name(m->bus), m->compatible ? m->compatible : "");
}

/* ---- parameters (natively compiled drivers: the host writes the globals) -------------------- */

static bool is_signed(uint32_t type)
{
	return type == XDRV_PARAM_I32 || type == XDRV_PARAM_I64;
}

static bool in_range(uint32_t type, uint64_t v, uint64_t lo, uint64_t hi)
{
	if (is_signed(type))
		return (int64_t)v >= (int64_t)lo && (int64_t)v <= (int64_t)hi;
	return v >= lo && v <= hi;
}

static void fmt_val(uint32_t type, uint64_t v, char *buf, size_t n)
{
	if (is_signed(type))
		snprintf(buf, n, "%" PRId64, (int64_t)v);
	else
		snprintf(buf, n, "%" PRIu64, v);
}

/* Parse a value for a parameter of `type`: decimal, 0x hex, a leading '-' for signed types,
 * true/false for bool. The result is range-checked by the caller. */
static int parse_val(uint32_t type, const char *s, uint64_t *out)
{
	if (type == XDRV_PARAM_BOOL && (!strcmp(s, "true") || !strcmp(s, "false"))) {
		*out = s[0] == 't';
		return 0;
	}
	bool neg = s[0] == '-';
	if (neg && !is_signed(type))
		return -EINVAL;
	const char *p = neg ? s + 1 : s;
	if (!*p || *p == '-' || *p == '+' || *p == ' ')
		return -EINVAL;
	errno = 0;
	char *end = NULL;
	unsigned long long v = strtoull(p, &end, 0);
	if (errno || *end)
		return -EINVAL;
	if (is_signed(type)) {
		if (neg ? v > (1ull << 63) : v > INT64_MAX)
			return -ERANGE;
		*out = neg ? (uint64_t)0 - v : v;
		if (type == XDRV_PARAM_I32 &&
		    ((int64_t)*out < INT32_MIN || (int64_t)*out > INT32_MAX))
			return -ERANGE;
	} else {
		*out = v;
		if (type != XDRV_PARAM_U64 && v > UINT32_MAX)
			return -ERANGE;
	}
	return 0;
}

static int find_param(const struct xdrv_param *ps, uint32_t n, const char *name, size_t len)
{
	for (uint32_t i = 0; i < n; i++)
		if (strlen(ps[i].name) == len && strncmp(ps[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static int write_params(const struct xdrv_driver *d, const struct ldr_bind_opts *o, const char *who,
			char **err)
{
	struct xdrv_param ps[PARAMS_MAX];
	uint32_t n = 0;
	char a[24], b[24], c[24];
	/* copy the table once and validate the copy before anything else reads it */
	while (d->params && n < PARAMS_MAX && d->params[n].name) {
		memcpy(&ps[n], &d->params[n], sizeof ps[n]);
		n++;
	}
	if (d->params && n == PARAMS_MAX && d->params[n - 1].name)
		return xdrv_err(err, -EINVAL,
				"%s: descriptor: params: no end entry within %u entries", who,
				PARAMS_MAX);
	for (uint32_t i = 0; i < n; i++) {
		struct xdrv_param *p = &ps[i];
		if (!name_ok(p->name, 31, NULL))
			return xdrv_err(err, -EINVAL,
					"%s: descriptor: params[%u].name: not [a-z0-9_]{1,31}", who,
					i);
		if (p->type < XDRV_PARAM_U32 || p->type > XDRV_PARAM_BOOL ||
		    (p->flags & ~XDRV_PARAM_F_ALL) ||
		    (p->flags && d->abi_version < XDRV_ABI_MKVER(1, 2, 0)) || !p->var)
			return xdrv_err(err, -EINVAL,
					"%s: descriptor: params[%u] (%s): bad type, flags or var",
					who, i, p->name);
		if (p->type == XDRV_PARAM_BOOL) {
			p->min = p->min ? 1 : 0;
			p->max = p->max > 1 ? 1 : p->max;
		}
		if (!in_range(p->type, p->min, p->min, p->max) ||
		    !in_range(p->type, p->def, p->min, p->max)) {
			fmt_val(p->type, p->def, a, sizeof a);
			fmt_val(p->type, p->min, b, sizeof b);
			fmt_val(p->type, p->max, c, sizeof c);
			return xdrv_err(
				err, -ERANGE,
				"%s: descriptor: params[%u] (%s): default %s outside %s..%s", who,
				i, p->name, a, b, c);
		}
	}
	uint64_t val[PARAMS_MAX];
	for (uint32_t i = 0; i < n; i++)
		val[i] = ps[i].def;
	for (size_t k = 0; k < o->nparams; k++) {
		const char *kv = o->param_kv[k];
		const char *eq = kv ? strchr(kv, '=') : NULL;
		if (!eq || eq == kv)
			return xdrv_err(err, -EINVAL, "%s: parameter \"%s\": expected NAME=VALUE",
					who, kv ? kv : "");
		int i = find_param(ps, n, kv, (size_t)(eq - kv));
		if (i < 0)
			return xdrv_err(err, -ENOENT,
					"%s: parameter %.*s: not declared by the driver", who,
					(int)(eq - kv), kv);
		const struct xdrv_param *p = &ps[i];
		int rc = parse_val(p->type, eq + 1, &val[i]);
		if (rc)
			return xdrv_err(err, rc, "%s: parameter %s: \"%s\" is not a valid %s", who,
					p->name, eq + 1,
					rc == -ERANGE ? "value for its type" : "number");
		if (!in_range(p->type, val[i], p->min, p->max)) {
			fmt_val(p->type, val[i], a, sizeof a);
			fmt_val(p->type, p->min, b, sizeof b);
			fmt_val(p->type, p->max, c, sizeof c);
			return xdrv_err(err, -ERANGE, "%s: parameter %s: %s out of range %s..%s",
					who, p->name, a, b, c);
		}
	}
	/* nothing is written unless every value checked out */
	for (uint32_t i = 0; i < n; i++) {
		if (ps[i].type == XDRV_PARAM_U64 || ps[i].type == XDRV_PARAM_I64) {
			memcpy(ps[i].var, &val[i], 8);
		} else {
			uint32_t v32 = (uint32_t)val[i];
			memcpy(ps[i].var, &v32, 4);
		}
	}
	return 0;
}

/* ---- bind / unbind ------------------------------------------------------------------------- */

/* Every bound driver instance, so that a device is bound to one driver at a time. */
static struct ldr_driver *bound;

static struct ldr_driver *bound_to(const struct hvb_device *dev)
{
	struct ldr_driver *d = bound;
	while (d && d->hdev != dev)
		d = d->next;
	return d;
}

static void unlink_bound(struct ldr_driver *drv)
{
	for (struct ldr_driver **pp = &bound; *pp; pp = &(*pp)->next) {
		if (*pp == drv) {
			*pp = drv->next;
			return;
		}
	}
}

static void release_all(struct ldr_driver *drv, struct ldr_unbind_report *rep)
{
	/* the device first: interrupts masked and every DMA mapping gone before any memory the
	 * device could reach is freed */
	ldr_device_release_all(drv, rep);
	for (const struct ldr_class_ops *const *c = drv->classes; c && *c; c++)
		(*c)->release_all(drv, rep);
	ldr_mem_release_all(drv, rep);
	for (uint32_t i = 0; i < drv->nregions; i++)
		ldr_handle_drop(LDR_H_REGION, &drv->regions[i].o);
	ldr_handle_drop(LDR_H_DEVICE, &drv->dev);
}

static void report_leaks(struct ldr_driver *drv, const struct ldr_unbind_report *r)
{
	if (!r->mem_blocks && !r->coherent && !r->dma_maps && !r->irqs && !r->pkts && !r->netdevs &&
	    !r->blkdevs && !r->scsi_hosts)
		return;
	ldr_rt_log(drv, XDRV_LOG_WARN,
		   "unbind released what the driver still held: %llu bytes in %llu blocks, %u "
		   "coherent buffers and %u DMA mappings (%llu bytes), %u interrupt handlers, %u "
		   "packets, %u class registrations",
		   (unsigned long long)r->mem_bytes, (unsigned long long)r->mem_blocks, r->coherent,
		   r->dma_maps, (unsigned long long)r->dma_bytes, r->irqs, r->pkts,
		   r->netdevs + r->blkdevs + r->scsi_hosts);
}

static void drv_free(struct ldr_driver *drv, struct ldr_unbind_report *rep)
{
	struct ldr_unbind_report local;
	memset(&local, 0, sizeof local);
	release_all(drv, &local);
	report_leaks(drv, &local);
	if (rep)
		*rep = local;
	free(drv);
}

int ldr_driver_bind(const struct xdrv_driver *desc, struct hvb_device *dev,
		    const struct ldr_bind_opts *opts, struct ldr_driver **out, char **err)
{
	return ldr_driver_bind_hold(desc, dev, opts, NULL, out, err);
}

LDR_CALLS_DRIVER
int ldr_driver_bind_hold(const struct xdrv_driver *desc, struct hvb_device *dev,
			 const struct ldr_bind_opts *opts, struct ldr_hold *hold,
			 struct ldr_driver **out, char **err)
{
	static const struct ldr_bind_opts no_opts;
	const struct ldr_bind_opts *o = opts ? opts : &no_opts;
	const char *who = o->label ? o->label : "driver";
	int rc;
	if (out)
		*out = NULL;
	if (!desc || !dev || !out)
		return xdrv_err(err, -EINVAL, "%s: bind: missing descriptor, device or result",
				who);
	if (o->nparams && !o->param_kv)
		return xdrv_err(err, -EINVAL, "%s: bind: nparams without param_kv", who);
	struct xdrv_driver d;
	memcpy(&d, desc, sizeof d); /* copy once: the driver could change its descriptor under us */
	rc = check_desc(&d, &who, o->label != NULL, err);
	if (rc)
		return rc;
	const struct hvb_model_ops *m = hvb_device_model(dev);
	if (!m)
		return xdrv_err(err, -EINVAL, "%s: bind: device has no model", who);
	const struct ldr_driver *other = bound_to(dev);
	if (other)
		return xdrv_err(err, -EBUSY, "%s: device %s is already bound to %s", who,
				hvb_device_name(dev), other->label);
	rc = match_device(&d, m, who, err);
	if (rc)
		return rc;
	if (o->write_params) {
		rc = write_params(&d, o, who, err);
		if (rc)
			return rc;
	} else if (o->nparams) {
		return xdrv_err(err, -EINVAL,
				"%s: bind: parameters of a JIT image are set when it is loaded",
				who);
	}

	struct ldr_driver *drv = calloc(1, sizeof *drv);
	if (!drv)
		return xdrv_err(err, -ENOMEM, "%s: bind: out of memory", who);
	drv->desc = desc;
	snprintf(drv->label, sizeof drv->label, "%s", who);
	drv->hdev = dev;
	drv->model = m;
	drv->classes = ldr_classes;
	drv->hold = hold; /* probe takes the held interfaces; a failed one gives them back */
	/* streaming mappings churn (a put and a delete per transmitted frame, bus addresses
	 * handed out next-fit): a sparse table keeps the probe runs short. A few dozen live
	 * keys in a 64-slot table cost 50-70 ns per delete+put, in 1,024 slots about 20 ns
	 * (17 KiB per driver, allocated at its first mapping) */
	drv->maps.min_cap = 1024;
	drv->io_timeout_ns =
		(uint64_t)(o->io_timeout_ms ? o->io_timeout_ms : LDR_IO_TIMEOUT_MS) * 1000000u;
	drv->nregions = m->num_regions < HVB_MAX_REGIONS ? m->num_regions : HVB_MAX_REGIONS;
	drv->nirqs = m->num_irqs < HVB_MAX_IRQS ? m->num_irqs : HVB_MAX_IRQS;
	drv->dev.drv = drv;
	rc = ldr_handle_new(LDR_H_DEVICE, &drv->dev);
	for (uint32_t i = 0; !rc && i < drv->nregions; i++) {
		struct ldr_region *r = &drv->regions[i];
		r->o.drv = drv;
		r->index = i;
		r->kind = m->regions[i].kind;
		r->size = m->regions[i].size;
		rc = ldr_handle_new(LDR_H_REGION, &r->o);
	}
	if (rc) {
		drv_free(drv, NULL);
		return xdrv_err(err, rc, "%s: bind: out of handles", who);
	}
	/* a previous driver may have left lines unmasked; probe starts with all masked */
	for (uint32_t i = 0; i < drv->nirqs; i++)
		hvb_irq_mask(dev, i);

	int32_t st = XDRV_EFAULT;
	LDR_DRIVER_CALL(drv, st = d.probe(ldr_h2p(drv->dev.handle)), st = XDRV_EFAULT);
	if (st != XDRV_OK) {
		/* a probe that faulted or ran out of its budget says so, not just EFAULT */
		const char *why = "";
		char stop[256] = "";
		if (ldr_driver_stop_reason(drv, &why) != LDR_STOP_NONE && why && *why)
			snprintf(stop, sizeof stop, " (%s)", why);
		drv_free(drv, NULL);
		if (st > 0)
			return xdrv_err(err, -EINVAL, "%s: probe failed: returned %d, not a status",
					who, st);
		return xdrv_err(err, st, "%s: probe failed: %d (%s)%s", who, st,
				ldr_status_name(st), stop);
	}
	drv->probed = true;
	drv->hold = NULL;
	drv->next = bound;
	bound = drv;
	*out = drv;
	return 0;
}

LDR_CALLS_DRIVER
void ldr_driver_unbind_report(struct ldr_driver *drv, struct ldr_unbind_report *rep)
{
	if (rep)
		memset(rep, 0, sizeof *rep);
	if (!drv)
		return;
	unlink_bound(drv);
	struct xdrv_driver d;
	memcpy(&d, drv->desc, sizeof d);
	if (drv->probed && d.remove) {
		LDR_DRIVER_CALL(drv, d.remove(ldr_h2p(drv->dev.handle)), (void)0);
	}
	drv_free(drv, rep);
}

void ldr_driver_unbind(struct ldr_driver *drv)
{
	ldr_driver_unbind_report(drv, NULL);
}

void ldr_driver_unbind_hold(struct ldr_driver *drv, struct ldr_hold *hold,
			    struct ldr_unbind_report *rep)
{
	if (drv)
		drv->hold = hold;
	ldr_driver_unbind_report(drv, rep);
}
