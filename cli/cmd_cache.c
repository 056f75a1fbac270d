// SPDX-License-Identifier: MIT
/*
 * `xdrv cache list|verify|clear`: the object cache's folder (loader/cache.c): its entries, each
 * authenticated before anything of it is shown, their verification, their removal. Argument
 * handling and output only. Never loads LLVM, and never creates a folder or a key.
 */
#include "cmd_json.h"
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xdrv/loader.h>
#include <xdrv/util.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv cache list [--dir DIR] [--json]\n"
		"       xdrv cache verify [--dir DIR]\n"
		"       xdrv cache clear [--dir DIR]\n"
		"\n"
		"The object cache: the native code eager loads compiled (`xdrv load --cache`,\n"
		"`xdrv run --cache`, `xdrv boot`), one entry per package, host, JIT level and\n"
		"parameters, each authenticated with HMAC-SHA256 under the folder's key\n"
		"(cache.key). An entry that fails is never used: the load compiles again.\n"
		"\n"
		"  list     every entry: driver, version, JIT mode and level, CPU, object size,\n"
		"           last use and key; an entry that fails authentication is listed as\n"
		"           FAILED with the reason, and nothing else of it is shown\n"
		"  verify   authenticate every entry; exit status 1 if one fails\n"
		"  clear    remove every entry (and leftover temporary files); the key stays\n"
		"\n"
		"  --dir DIR   the cache folder (default $XDRV_CACHE; a boot's cache is\n"
		"              STATE_DIR/cache unless its configuration says otherwise)\n"
		"  --json      list: a JSON object {\"dir\", \"bytes\", \"entries\": [{\"file\",\n"
		"              \"ok\", \"size\", \"used\" (Unix seconds), and either \"problem\" "
		"or\n"
		"              \"key\", \"driver\", \"version\", \"mode\", \"opt\", \"cpu\",\n"
		"              \"functions\", \"object_size\", \"object_sha256\",\n"
		"              \"package_sha256\"}]}\n");
}

struct listing {
	bool json, verify;
	json_t *entries;
	size_t n, failed;
};

static void when(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, n, "%lld", (long long)t);
}

static void size_text(uint64_t b, char *buf, size_t n)
{
	if (b < 1024)
		snprintf(buf, n, "%" PRIu64 " B", b);
	else if (b < (1u << 20))
		snprintf(buf, n, "%.1f KiB", (double)b / 1024);
	else
		snprintf(buf, n, "%.1f MiB", (double)b / (1 << 20));
}

static int list_one(void *arg, const struct ldr_cache_entry *e)
{
	struct listing *l = arg;
	l->n++;
	l->failed += !e->ok;
	if (l->json) {
		json_t *o = json_pack("{s:s, s:b, s:I, s:I}", "file", e->file, "ok", e->ok, "size",
				      (json_int_t)e->size, "used", (json_int_t)e->used);
		if (!e->ok) {
			json_object_set_new(o, "problem", json_string(e->problem));
		} else {
			json_object_set_new(o, "key", json_string(e->key));
			json_object_set_new(o, "driver", json_string(e->name));
			json_object_set_new(o, "version", json_string(e->version));
			json_object_set_new(o, "mode", json_string(e->mode));
			json_object_set_new(o, "opt", json_integer(e->opt));
			json_object_set_new(o, "cpu", json_string(e->cpu));
			json_object_set_new(o, "functions", json_integer(e->functions));
			json_object_set_new(o, "object_size",
					    json_integer((json_int_t)e->object_size));
			json_object_set_new(o, "object_sha256", json_string(e->object_sha256));
			json_object_set_new(o, "package_sha256", json_string(e->package_sha256));
		}
		json_array_append_new(l->entries, o);
		return 0;
	}
	if (l->verify && e->ok)
		return 0; /* verify names the failures only */
	char used[64], name[160], ver[96], cpu[192], sz[32];
	when(e->used, used, sizeof used);
	if (!e->ok) {
		char why[1024];
		printf("FAILED  %s: %s\n", e->file, xdrv_escape_text(e->problem, why, sizeof why));
		return 0;
	}
	size_text(e->object_size, sz, sizeof sz);
	/* the strings come from packages (through an authenticated entry): shown escaped */
	printf("%.16s  %s %s, %s O%u for %s, %u functions, object %s, used %s\n", e->key,
	       xdrv_escape_text(e->name, name, sizeof name),
	       xdrv_escape_text(e->version, ver, sizeof ver), e->mode, e->opt,
	       xdrv_escape_text(e->cpu, cpu, sizeof cpu), e->functions, sz, used);
	return 0;
}

static int fail(const char *sub, char *err)
{
	fprintf(stderr, "xdrv cache %s: %s\n", sub, err ? err : "failed");
	free(err);
	return 1;
}

int cmd_cache(int argc, char **argv)
{
	static const struct option longopts[] = {{"dir", required_argument, NULL, 'd'},
						 {"json", no_argument, NULL, 'j'},
						 {NULL, 0, NULL, 0}};
	const char *dir = NULL;
	bool json = false;
	int c;
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 'd')
			dir = optarg;
		else if (c == 'j')
			json = true;
		else if (c == ':')
			return xdrv_cli_usage_error("cache", "missing value for", argv[optind - 1]);
		else
			return xdrv_cli_option_error("cache", longopts, argv[optind - 1]);
	}
	if (optind >= argc)
		return xdrv_cli_usage_error("cache", "wants list, verify or clear", NULL);
	const char *sub = argv[optind];
	if (strcmp(sub, "list") != 0 && strcmp(sub, "verify") != 0 && strcmp(sub, "clear") != 0)
		return xdrv_cli_usage_error("cache", "wants list, verify or clear, not", sub);
	if (argc - optind > 1)
		return xdrv_cli_usage_error("cache", "takes no more arguments, not",
					    argv[optind + 1]);
	if (json && strcmp(sub, "list") != 0)
		return xdrv_cli_usage_error("cache", "--json goes with list, not with", sub);
	if (!dir) {
		const char *env = getenv("XDRV_CACHE");
		dir = env && *env ? env : NULL;
	}
	if (!dir)
		return xdrv_cli_usage_error("cache",
					    "which cache? give --dir DIR or set $XDRV_CACHE (a "
					    "boot's cache is STATE_DIR/cache)",
					    NULL);

	struct ldr_cache *cache = NULL;
	char *err = NULL;
	int rc = ldr_cache_open(dir, 0, LDR_CACHE_OPEN_EXISTING, &cache, &err);
	if (rc == -ENOENT) { /* nothing cached yet: not an error, and nothing is made */
		free(err);
		if (json)
			return cmd_json_print("cache", json_pack("{s:s, s:i, s:[]}", "dir", dir,
								 "bytes", 0, "entries"));
		printf("no cache at %s: no entries\n", dir);
		return 0;
	}
	if (rc)
		return fail(sub, err);
	if (strcmp(sub, "clear") == 0) {
		size_t removed = 0;
		rc = ldr_cache_clear(cache, &removed, &err);
		ldr_cache_close(cache);
		if (rc)
			return fail(sub, err);
		printf("removed %zu entr%s from %s\n", removed, removed == 1 ? "y" : "ies", dir);
		return 0;
	}
	bool verify = strcmp(sub, "verify") == 0;
	struct listing l = {.json = json, .verify = verify, .entries = json_array()};
	uint64_t bytes = 0;
	rc = ldr_cache_scan(cache, list_one, &l, &bytes, &err);
	ldr_cache_close(cache);
	if (rc) {
		json_decref(l.entries);
		return fail(sub, err);
	}
	if (l.json)
		return cmd_json_print("cache", json_pack("{s:s, s:I, s:o}", "dir", dir, "bytes",
							 (json_int_t)bytes, "entries", l.entries));
	json_decref(l.entries);
	char sz[32];
	size_text(bytes, sz, sizeof sz);
	if (verify)
		printf("%zu entr%s, %zu failed authentication (%s in %s)\n", l.n,
		       l.n == 1 ? "y" : "ies", l.failed, sz, dir);
	else
		printf("%zu entr%s, %s in %s\n", l.n, l.n == 1 ? "y" : "ies", sz, dir);
	return verify && l.failed ? 1 : 0;
}
