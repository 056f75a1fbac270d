// SPDX-License-Identifier: MIT
/*
 * The `ram` disk backend: a zero-filled buffer of SIZE bytes ("ram:64M"). Not durable: flush
 * succeeds and does nothing. Pages are allocated lazily by the kernel (calloc of a large size is
 * an anonymous mapping), so a large, mostly untouched disk costs little. Scatter/gather requests
 * (a driver's DMA buffers, hvb_disk_readv) copy straight to or from that memory, under a fault
 * guard: memory the driver freed or protected is -EFAULT, not a fault of the process.
 */
#include "../hvb_priv.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/fault_guard.h>
#include <xdrv/hvb_disk.h>
#include <xdrv/util.h>

static int ram_open(const char *arg, bool read_only, void **priv, uint64_t *size, char **err)
{
	(void)read_only;
	uint64_t n = 0;
	if (hvb_disk_parse_size(arg, &n) || n < HVB_DISK_BLOCK || n > HVB_DISK_RAM_MAX ||
	    n % HVB_DISK_BLOCK)
		return xdrv_err(
			err, -EINVAL,
			"ram size '%s': expected a multiple of 512 in 512..16G (K/M/G suffix)",
			arg);
	void *mem = calloc(1, (size_t)n);
	if (!mem)
		return xdrv_err(err, -ENOMEM, "ram: cannot allocate %llu bytes",
				(unsigned long long)n);
	*priv = mem;
	*size = n;
	return 0;
}

static void ram_close(void *priv)
{
	free(priv);
}

static int ram_read(void *priv, uint64_t off, void *buf, uint64_t len, char **err)
{
	(void)err;
	memcpy(buf, (uint8_t *)priv + off, (size_t)len);
	return 0;
}

static int ram_write(void *priv, uint64_t off, const void *buf, uint64_t len, char **err)
{
	(void)err;
	memcpy((uint8_t *)priv + off, buf, (size_t)len);
	return 0;
}

static int ram_xfer_v(void *priv, uint64_t off, const struct iovec *iov, uint32_t n, bool write,
		      char **err)
{
	uint8_t *disk = (uint8_t *)priv + off;
	struct xdrv_guard g;
	volatile uint32_t i = 0;
	int rc = 0;
	xdrv_guard_push(&g);
	if (sigsetjmp(g.jb, 0) == 0) {
		for (; i < n; i++) {
			if (write)
				memcpy(disk, iov[i].iov_base, iov[i].iov_len);
			else
				memcpy(iov[i].iov_base, disk, iov[i].iov_len);
			disk += iov[i].iov_len;
		}
	} else {
		rc = xdrv_err(err, -EFAULT, "ram: iovec %u (%p): %s: the memory is not accessible",
			      (unsigned)i, iov[i].iov_base, xdrv_guard_signame(g.signo));
	}
	xdrv_guard_pop(&g);
	return rc;
}

static int ram_readv(void *priv, uint64_t off, const struct iovec *iov, uint32_t n, uint64_t len,
		     char **err)
{
	(void)len;
	return ram_xfer_v(priv, off, iov, n, false, err);
}

static int ram_writev(void *priv, uint64_t off, const struct iovec *iov, uint32_t n, uint64_t len,
		      char **err)
{
	(void)len;
	return ram_xfer_v(priv, off, iov, n, true, err);
}

static int ram_flush(void *priv, char **err)
{
	(void)priv;
	(void)err;
	return 0;
}

const struct hvb_disk_ops hvb_ram_disk_ops = {
	.name = "ram",
	.description = "zero-filled memory, not durable (ram:SIZE)",
	.open = ram_open,
	.close = ram_close,
	.read = ram_read,
	.write = ram_write,
	.flush = ram_flush,
	.readv = ram_readv,
	.writev = ram_writev,
};
