// SPDX-License-Identifier: MIT
/*
 * The generic disk layer: opens "<backend>:<arg>" specs through the backend list in
 * disk_list.c, and checks every I/O (alignment, bounds without overflow, read-only) before a
 * backend sees it, so backends only handle whole, in-range, 512-aligned ranges.
 */
#include "../hvb_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/hvb_disk.h>
#include <xdrv/util.h>

struct hvb_disk {
	const struct hvb_disk_ops *ops;
	void *priv;
	uint64_t size;
	bool read_only;
	char *spec;
	/* asynchronous requests: submitted and not reaped, and those finished by a wait */
	uint32_t aio_pending;
	struct hvb_disk_aio *done_head, *done_tail;
};

int hvb_disk_open(const char *spec, bool read_only, struct hvb_disk **out, char **err)
{
	*out = NULL;
	const char *colon = spec ? strchr(spec, ':') : NULL;
	if (!colon || colon == spec)
		return xdrv_err(err, -EINVAL, "disk '%s': expected <backend>:<argument>",
				spec ? spec : "(null)");
	char name[16];
	size_t n = (size_t)(colon - spec);
	if (n >= sizeof name)
		return xdrv_err(err, -ENOENT, "disk '%s': unknown backend", spec);
	memcpy(name, spec, n);
	name[n] = '\0';
	const struct hvb_disk_ops *ops = hvb_disk_backend_find(name);
	if (!ops)
		return xdrv_err(err, -ENOENT,
				"disk '%s': unknown backend '%s' (ram, file, iscsi, blkfront)",
				spec, name);
	struct hvb_disk *d = calloc(1, sizeof *d);
	char *copy = strdup(spec);
	if (!d || !copy) {
		free(d);
		free(copy);
		return xdrv_err(err, -ENOMEM, "disk '%s': out of memory", spec);
	}
	int rc = ops->open(colon + 1, read_only, &d->priv, &d->size, err);
	if (rc == 0 && (d->size == 0 || d->size % HVB_DISK_BLOCK)) {
		ops->close(d->priv);
		rc = xdrv_err(err, -EINVAL, "size %llu is not a non-zero multiple of %u",
			      (unsigned long long)d->size, HVB_DISK_BLOCK);
	}
	if (rc) {
		xdrv_err_prefix(err, "disk '%s'", spec);
		free(d);
		free(copy);
		return rc;
	}
	d->ops = ops;
	d->read_only = read_only;
	d->spec = copy;
	*out = d;
	return 0;
}

void hvb_disk_close(struct hvb_disk *disk)
{
	if (!disk)
		return;
	/* the kernel may still be writing into a caller's memory: let it finish first */
	while (disk->aio_pending && disk->ops->aio_reap && disk->ops->aio_reap(disk->priv, true))
		;
	disk->ops->close(disk->priv);
	free(disk->spec);
	free(disk);
}

uint64_t hvb_disk_size(const struct hvb_disk *disk)
{
	return disk ? disk->size : 0;
}

bool hvb_disk_read_only(const struct hvb_disk *disk)
{
	return disk && disk->read_only;
}

void *hvb_disk_backend_priv(const struct hvb_disk *disk, const struct hvb_disk_ops *ops)
{
	return disk && disk->ops == ops ? disk->priv : NULL;
}

const char *hvb_disk_spec(const struct hvb_disk *disk)
{
	return disk ? disk->spec : NULL;
}

static int check(const struct hvb_disk *d, uint64_t off, uint64_t len, char **err)
{
	if (off % HVB_DISK_BLOCK || len % HVB_DISK_BLOCK)
		return xdrv_err(err, -EINVAL, "disk '%s': range %llu+%llu not %u-byte aligned",
				d->spec, (unsigned long long)off, (unsigned long long)len,
				HVB_DISK_BLOCK);
	if (off > d->size || len > d->size - off)
		return xdrv_err(err, -ERANGE, "disk '%s': range %llu+%llu beyond its %llu bytes",
				d->spec, (unsigned long long)off, (unsigned long long)len,
				(unsigned long long)d->size);
	return 0;
}

int hvb_disk_read(struct hvb_disk *disk, uint64_t off, void *buf, uint64_t len, char **err)
{
	int rc = check(disk, off, len, err);
	if (rc || len == 0)
		return rc;
	rc = disk->ops->read(disk->priv, off, buf, len, err);
	if (rc)
		xdrv_err_prefix(err, "disk '%s': read %llu+%llu", disk->spec,
				(unsigned long long)off, (unsigned long long)len);
	return rc;
}

int hvb_disk_write(struct hvb_disk *disk, uint64_t off, const void *buf, uint64_t len, char **err)
{
	if (disk->read_only)
		return xdrv_err(err, -EROFS, "disk '%s': write to a read-only disk", disk->spec);
	int rc = check(disk, off, len, err);
	if (rc || len == 0)
		return rc;
	rc = disk->ops->write(disk->priv, off, buf, len, err);
	if (rc)
		xdrv_err_prefix(err, "disk '%s': write %llu+%llu", disk->spec,
				(unsigned long long)off, (unsigned long long)len);
	return rc;
}

void *hvb_disk_buffer(struct hvb_disk *disk, uint64_t len)
{
	if (!disk || len == 0 || !disk->ops->buffer)
		return NULL;
	return disk->ops->buffer(disk->priv, len);
}

bool hvb_disk_has_iov(const struct hvb_disk *disk, bool write)
{
	return disk && (write ? disk->ops->writev != NULL : disk->ops->readv != NULL);
}

static int iov_total(const struct hvb_disk *d, const struct iovec *iov, uint32_t n, uint64_t *len,
		     char **err)
{
	uint64_t t = 0;
	if (n > HVB_DISK_IOV_MAX || (n && !iov))
		return xdrv_err(err, -EINVAL, "disk '%s': %u iovecs (at most %u)", d->spec, n,
				HVB_DISK_IOV_MAX);
	for (uint32_t i = 0; i < n; i++) {
		if (iov[i].iov_len > d->size || (iov[i].iov_len && !iov[i].iov_base))
			return xdrv_err(err, -EINVAL, "disk '%s': iovec %u: bad length or base",
					d->spec, i);
		t += iov[i].iov_len; /* each <= size: no overflow for n <= 1024 */
	}
	*len = t;
	return 0;
}

static int xfer_v(struct hvb_disk *disk, uint64_t off, const struct iovec *iov, uint32_t n,
		  bool write, char **err)
{
	if (!hvb_disk_has_iov(disk, write))
		return -EOPNOTSUPP;
	if (write && disk->read_only)
		return xdrv_err(err, -EROFS, "disk '%s': write to a read-only disk", disk->spec);
	uint64_t len = 0;
	int rc = iov_total(disk, iov, n, &len, err);
	if (rc == 0)
		rc = check(disk, off, len, err);
	if (rc || len == 0)
		return rc;
	rc = write ? disk->ops->writev(disk->priv, off, iov, n, len, err)
		   : disk->ops->readv(disk->priv, off, iov, n, len, err);
	if (rc)
		xdrv_err_prefix(err, "disk '%s': %s %llu+%llu (%u iovecs)", disk->spec,
				write ? "write" : "read", (unsigned long long)off,
				(unsigned long long)len, n);
	return rc;
}

int hvb_disk_readv(struct hvb_disk *disk, uint64_t off, const struct iovec *iov, uint32_t n,
		   char **err)
{
	return xfer_v(disk, off, iov, n, false, err);
}

int hvb_disk_writev(struct hvb_disk *disk, uint64_t off, const struct iovec *iov, uint32_t n,
		    char **err)
{
	return xfer_v(disk, off, iov, n, true, err);
}

int hvb_disk_flush(struct hvb_disk *disk, char **err)
{
	int rc = disk->ops->flush(disk->priv, err);
	if (rc)
		xdrv_err_prefix(err, "disk '%s': flush", disk->spec);
	return rc;
}

/* ---- asynchronous I/O ---------------------------------------------------------------------- */

int hvb_disk_aio_submit(struct hvb_disk *disk, struct hvb_disk_aio *a, char **err)
{
	if (!disk->ops->aio_submit)
		return -EOPNOTSUPP;
	if (a->write && disk->read_only)
		return xdrv_err(err, -EROFS, "disk '%s': write to a read-only disk", disk->spec);
	uint64_t len = 0;
	int rc = iov_total(disk, a->iov, a->n, &len, err);
	if (rc == 0)
		rc = check(disk, a->off, len, err);
	if (rc)
		return rc;
	if (len == 0)
		return -EOPNOTSUPP; /* nothing to do: the synchronous call returns at once */
	a->len = len;
	a->result = 0;
	a->done = false;
	a->next = NULL;
	rc = disk->ops->aio_submit(disk->priv, a);
	if (rc == 0)
		disk->aio_pending++;
	return rc;
}

void hvb_disk_aio_kick(struct hvb_disk *disk)
{
	if (disk && disk->ops->aio_kick && disk->aio_pending)
		disk->ops->aio_kick(disk->priv);
}

struct hvb_disk_aio *hvb_disk_aio_reap(struct hvb_disk *disk)
{
	struct hvb_disk_aio *a = disk->done_head;
	if (a) {
		disk->done_head = a->next;
		if (!disk->done_head)
			disk->done_tail = NULL;
	} else if (disk->aio_pending && disk->ops->aio_reap) {
		a = disk->ops->aio_reap(disk->priv, false);
	}
	if (a) {
		a->next = NULL;
		disk->aio_pending--;
	}
	return a;
}

void hvb_disk_aio_wait(struct hvb_disk *disk, struct hvb_disk_aio *a)
{
	while (!a->done) {
		struct hvb_disk_aio *x = disk->ops->aio_reap(disk->priv, true);
		if (!x)
			break; /* nothing in flight: cannot happen for a submitted request */
		x->next = NULL;
		if (disk->done_tail)
			disk->done_tail->next = x;
		else
			disk->done_head = x;
		disk->done_tail = x;
	}
}

uint32_t hvb_disk_aio_pending(const struct hvb_disk *disk)
{
	return disk ? disk->aio_pending : 0;
}

int hvb_disk_aio_fd(const struct hvb_disk *disk)
{
	return disk && disk->ops->aio_fd ? disk->ops->aio_fd(disk->priv) : -1;
}
