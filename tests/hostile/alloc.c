// SPDX-License-Identifier: MIT
/*
 * alloc: a probe that allocates without bound. First through the ABI (mode bit 1):
 * xdrv_mem_alloc of 16 MiB blocks until the host refuses one (the loader's per-driver cap).
 * Then around the ABI (mode bit 2): libc's malloc (found through libc.h) of 64 MiB blocks, one
 * byte written per page so the memory is real (parameter touch, default on), until malloc
 * returns NULL or the process is stopped. It logs how far it got. In a driver host the
 * address-space limit (RLIMIT_AS) makes malloc fail, or the host is killed; in process nothing
 * stops it but the parameter max_mib (default 8192: the loop never takes more than 8 GiB of a
 * machine, whatever runs it). Never run it in process on a small machine. The e2e test runs the
 * libc part with touch=0: the address-space limit counts what is mapped, touched or not, and an
 * untouched 8 GiB costs a machine nothing where there is no limit (the stub sandbox, a sanitizer
 * build), while writing every page would spend the driver host's CPU heartbeat first.
 */
#define HOSTILE_NAME "alloc"
#include "libc.h"

static int32_t alloc_probe(xdrv_device_t *dev);
static void alloc_remove(xdrv_device_t *dev)
{
	(void)dev;
}

XDRV_PARAM(uint32_t, max_mib);
XDRV_PARAM(uint32_t, mode);
XDRV_PARAM(uint32_t, touch);
static const struct xdrv_param alloc_params[] = {
	XDRV_PARAM_ENTRY(XDRV_PARAM_U32, max_mib, 8192, 64, 8192,
			 "stop after this many MiB from malloc (the in-process safety cap)"),
	XDRV_PARAM_ENTRY(XDRV_PARAM_U32, mode, 3, 1, 3,
			 "1: xdrv_mem_alloc only, 2: libc malloc only, 3: both"),
	XDRV_PARAM_ENTRY(XDRV_PARAM_BOOL, touch, 1, 0, 1,
			 "write a byte to every page malloc returned"),
	XDRV_PARAM_END,
};

static const struct xdrv_match alloc_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,null"},
	{.bus = 0},
};

XDRV_DRIVER(.name = HOSTILE_NAME, .version = "1.0.0", .match = alloc_match, .params = alloc_params,
	    .probe = alloc_probe, .remove = alloc_remove);

#define ABI_BLOCK  (16u << 20)
#define LIBC_BLOCK (64u << 20)

static void report(const char *what, uint64_t mib, const char *end)
{
	char line[200];
	line[0] = 0;
	hx_cat(line, sizeof line, "alloc: ");
	hx_cat(line, sizeof line, what);
	hx_cat(line, sizeof line, " after ");
	hx_cat_u64(line, sizeof line, mib);
	hx_cat(line, sizeof line, " MiB");
	hx_cat(line, sizeof line, end);
	xdrv_log(XDRV_LOG_WARN, line);
}

static int32_t alloc_probe(xdrv_device_t *dev)
{
	(void)dev;
	if (xdrv_param_mode & 1) {
		uint64_t abi = 0;
		for (uint32_t i = 0; i < 1024; i++) { /* at most 16 GiB: the host says no first */
			if (!xdrv_mem_alloc(ABI_BLOCK))
				break;
			abi += ABI_BLOCK >> 20;
		}
		report("xdrv_mem_alloc refused a block", abi, "");
	}
	if (!(xdrv_param_mode & 2))
		return XDRV_OK;
	hx_malloc_fn ma = (hx_malloc_fn)hx_sym("malloc");
	if (!ma)
		return XDRV_ENOTSUP;
	uint64_t got = 0;
	while (got + (LIBC_BLOCK >> 20) <= xdrv_param_max_mib) {
		volatile uint8_t *p = ma(LIBC_BLOCK);
		if (!p) {
			report("libc malloc returned NULL", got, ": the memory limit");
			return XDRV_ENOMEM;
		}
		for (uint64_t off = 0; xdrv_param_touch && off < LIBC_BLOCK; off += HX_PAGE)
			p[off] = 1;
		got += LIBC_BLOCK >> 20;
		if (got % 1024 == 0)
			report("libc malloc still going", got, "");
	}
	report("libc malloc stopped at the driver's own cap (max_mib), nothing stopped it,", got,
	       "");
	return XDRV_OK;
}
