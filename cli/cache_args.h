/* SPDX-License-Identifier: MIT */
/*
 * The object cache options `xdrv load` and `xdrv run` share (loader/README.md "Object cache"):
 * --cache DIR, --no-cache, --cache-max MIB, and $XDRV_CACHE. Without --cache or $XDRV_CACHE
 * these commands compile every time; `xdrv boot` has its own setting (the configuration's
 * "cache", on by default), `xdrv cache` lists, verifies and clears a cache folder.
 */
#ifndef XDRV_CLI_CACHE_ARGS_H
#define XDRV_CLI_CACHE_ARGS_H

#include <getopt.h>
#include <stdint.h>

/* getopt_long codes, outside any short option's range (and run/disk.h's) */
#define CLI_CACHE_OPT_DIR 0x1e01
#define CLI_CACHE_OPT_OFF 0x1e02
#define CLI_CACHE_OPT_MAX 0x1e03
#define CLI_CACHE_LONGOPTS                                                                         \
	{"cache", required_argument, NULL, CLI_CACHE_OPT_DIR},                                     \
		{"no-cache", no_argument, NULL, CLI_CACHE_OPT_OFF},                                \
	{                                                                                          \
		"cache-max", required_argument, NULL, CLI_CACHE_OPT_MAX                            \
	}
/* The usage lines of the three options (for a command's --help). */
#define CLI_CACHE_USAGE                                                                            \
	"  --cache DIR         the object cache in DIR (default $XDRV_CACHE; none: compile\n"      \
	"                      every time): an eager load links the object it holds for\n"         \
	"                      this package, host and parameters, or stores what it compiled\n"    \
	"  --no-cache          compile, even if $XDRV_CACHE is set\n"                              \
	"  --cache-max MIB     the cache's size cap (default 256): least recently used\n"          \
	"                      entries go first\n"

struct cli_cache {
	const char *dir; /* --cache */
	int off;	 /* --no-cache */
	uint64_t max_bytes;
};

static inline int cli_cache_is_option(int c)
{
	return c == CLI_CACHE_OPT_DIR || c == CLI_CACHE_OPT_OFF || c == CLI_CACHE_OPT_MAX;
}

/* Take option `c` with `arg`; 0, or 2 after a usage error of command `cmd`. */
int cli_cache_option(const char *cmd, int c, const char *arg, struct cli_cache *cc);
/* The folder to use: --cache, else $XDRV_CACHE (a non-empty value); NULL with --no-cache or
 * neither. */
const char *cli_cache_dir(const struct cli_cache *cc);

#endif
