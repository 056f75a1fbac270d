/* SPDX-License-Identifier: MIT */
/*
 * Shared scaffolding of the hostile drivers: each file defines hostile_probe(), the rest (match
 * on the null device model, a remove that does nothing, the descriptor named after the file's
 * HOSTILE_NAME) is here. A file that defines HOSTILE_TAG before including this gets a parameter
 * `tag` (u64, default 0): a number the test chooses, which names the files the driver writes or
 * reads (/tmp/xdrv-hostile-TAG.*), so that runs of the test never share a file. HOSTILE_COMPAT
 * chooses another platform device model than the null one.
 */
#ifndef HOSTILE_DRV_H
#define HOSTILE_DRV_H

#include <xdrv/abi.h>

static int32_t hostile_probe(xdrv_device_t *dev);

static void hostile_remove(xdrv_device_t *dev)
{
	(void)dev;
}

#ifndef HOSTILE_COMPAT
#define HOSTILE_COMPAT "xdrv,null"
#endif

static const struct xdrv_match hostile_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = HOSTILE_COMPAT},
	{.bus = 0},
};

#ifdef HOSTILE_TAG
XDRV_PARAM(uint64_t, tag);
static const struct xdrv_param hostile_params[] = {
	XDRV_PARAM_ENTRY(XDRV_PARAM_U64, tag, 0, 0, 0xffffffffffffffffull,
			 "names the test's files: /tmp/xdrv-hostile-TAG.*"),
	XDRV_PARAM_END,
};
#define HOSTILE_PARAMS hostile_params

/* "/tmp/xdrv-hostile-TAG.SUFFIX" into buf (truncated to cap). */
static void hostile_path(char *buf, uint32_t cap, const char *suffix)
{
	static const char pre[] = "/tmp/xdrv-hostile-";
	char num[21];
	uint32_t n = 0, k = 20;
	uint64_t v = xdrv_param_tag;
	num[20] = 0;
	do {
		num[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v && k);
	for (const char *parts[] = {pre, num + k, ".", suffix}, **p = parts; p < parts + 4; p++)
		for (const char *c = *p; *c && n + 1 < cap; c++)
			buf[n++] = *c;
	buf[n] = 0;
}
#else
#define HOSTILE_PARAMS NULL
#endif

XDRV_DRIVER(.name = HOSTILE_NAME, .version = "1.0.0", .match = hostile_match,
	    .params = HOSTILE_PARAMS, .probe = hostile_probe, .remove = hostile_remove);

#endif
