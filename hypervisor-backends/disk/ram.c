// SPDX-License-Identifier: MIT
/*
 * The `ram` disk backend: a zero-filled buffer of SIZE bytes ("ram:64M"). Not durable: flush
 * succeeds and does nothing. Pages are allocated lazily by the kernel (calloc of a large size is
 * an anonymous mapping), so a large, mostly untouched disk costs little.
 */
#include "../hvb_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
};
