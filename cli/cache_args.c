// SPDX-License-Identifier: MIT
/*
 * The object cache options of `xdrv load` and `xdrv run` (cache_args.h).
 */
#include "cache_args.h"

#include <stdlib.h>
#include <xdrv/cli.h>

int cli_cache_option(const char *cmd, int c, const char *arg, struct cli_cache *cc)
{
	switch (c) {
	case CLI_CACHE_OPT_DIR:
		if (!*arg)
			return xdrv_cli_usage_error(cmd, "--cache wants a folder", NULL);
		cc->dir = arg;
		return 0;
	case CLI_CACHE_OPT_OFF:
		cc->off = 1;
		return 0;
	default: {
		char *end = NULL;
		unsigned long long mib = strtoull(arg, &end, 10);
		if (*arg < '0' || *arg > '9' || *end || mib < 1 || mib > 1024ull * 1024)
			return xdrv_cli_usage_error(cmd, "--cache-max wants MiB (1..1048576), not",
						    arg);
		cc->max_bytes = (uint64_t)mib << 20;
		return 0;
	}
	}
}

const char *cli_cache_dir(const struct cli_cache *cc)
{
	if (cc->off)
		return NULL;
	if (cc->dir)
		return cc->dir;
	const char *env = getenv("XDRV_CACHE");
	return env && *env ? env : NULL;
}
