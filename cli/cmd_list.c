// SPDX-License-Identifier: MIT
/*
 * `xdrv list [--path NAME]`: the drivers installed in the local store, or the package file of
 * one of them (for `xdrv run --trust root.pem ... $(xdrv list --path NAME)`), as text or
 * JSON. Output only.
 */
#include "cmd_json.h"
#include "commands.h"
#include "xdrv/repo_client.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xdrv/util.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: xdrv list [--store DIR] [--json] [--path NAME]\n"
		   "\n"
		   "List the installed drivers: name, version, security_version, repository,\n"
		   "signer and the package's sha256. With --path, print only the path of NAME's\n"
		   "installed package file, e.g. for 'xdrv run --trust root.pem --device ...\n"
		   "$(xdrv list --path NAME)'.\n"
		   "\n"
		   "  --store DIR   local store (default $XDRV_STORE, else /var/lib/xdrv)\n"
		   "  --json        a JSON array with one object per installed driver: {\"name\",\n"
		   "                \"version\", \"security_version\", \"repo\", \"sha256\", "
		   "\"signer\", \"size\",\n"
		   "                \"installed_at\" (Unix seconds), \"path\"}; with --path, that "
		   "one object\n");
}

static json_t *installed_json(const struct repo_installed *d)
{
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:s}", "name", d->name,
			 "version", d->version, "security_version", (json_int_t)d->security_version,
			 "repo", d->repo, "sha256", d->digest, "signer", d->signer, "size",
			 (json_int_t)d->size, "installed_at", (json_int_t)d->installed_at, "path",
			 d->path);
}

int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {{"store", required_argument, NULL, 's'},
						 {"path", required_argument, NULL, 'p'},
						 {"json", no_argument, NULL, 'j'},
						 {NULL, 0, NULL, 0}};
	bool json = false;
	const char *store = NULL, *path = NULL;
	int c;
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 's')
			store = optarg;
		else if (c == 'p')
			path = optarg;
		else if (c == 'j')
			json = true;
		else if (c == ':')
			return xdrv_cli_usage_error("list", "missing value for", argv[optind - 1]);
		else
			return xdrv_cli_option_error("list", longopts, argv[optind - 1]);
	}
	if (optind < argc)
		return xdrv_cli_usage_error("list", "takes no arguments, not", argv[optind]);
	struct repo_store *s = NULL;
	struct repo_installed *v = NULL, one;
	size_t n = 0;
	char *err = NULL;
	int ret = 0;
	/* read-only: listing never creates a store (nor anything in one) */
	int rc = repo_store_open_readonly(store, &s, &err);
	bool nostore = rc == -ENOENT;
	if (nostore) {
		/* no store yet: nothing is installed, an answer rather than a failure, except
		 * for --path, which has no path to print */
		const char *dir = repo_store_default_dir(store);
		free(err);
		err = NULL;
		rc = 0;
		if (path)
			rc = xdrv_err(&err, -ENOENT, "%s: not installed (no store at %s)", path,
				      dir);
		else if (json)
			ret = cmd_json_print("list", json_array());
		else
			printf("no drivers installed (no store at %s)\n", dir);
	}
	bool opened = rc == 0 && !nostore;
	if (opened && path) {
		rc = repo_store_get(s, path, &one, &err);
		if (rc == 0 && json)
			ret = cmd_json_print("list", installed_json(&one));
		else if (rc == 0)
			printf("%s\n", one.path);
	} else if (opened && json) {
		rc = repo_store_list(s, &v, &n, &err);
		json_t *arr = rc == 0 ? json_array() : NULL;
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, installed_json(&v[i]));
		if (rc == 0)
			ret = cmd_json_print("list", arr);
	} else if (opened) {
		rc = repo_store_list(s, &v, &n, &err);
		if (rc == 0 && n == 0)
			printf("no drivers installed\n");
		for (size_t i = 0; rc == 0 && i < n; i++) {
			if (i == 0)
				printf("%-20s %-10s %6s %-12s %-16s %s\n", "NAME", "VERSION",
				       "SECVER", "REPO", "SHA256", "SIGNER");
			printf("%-20s %-10s %6" PRIu64 " %-12s %.16s %s\n", v[i].name, v[i].version,
			       v[i].security_version, v[i].repo, v[i].digest, v[i].signer);
		}
	}
	free(v);
	repo_store_close(s);
	if (rc != 0) {
		fprintf(stderr, "xdrv list: %s\n", err ? err : "failed");
		free(err);
		return 1;
	}
	return ret;
}
