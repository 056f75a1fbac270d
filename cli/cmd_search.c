// SPDX-License-Identifier: MIT
/*
 * `xdrv search [TEXT]`: refresh the trusted metadata of the configured repositories (the full
 * TUF workflow, client_tuf.c) and list the drivers whose name or vendor contains TEXT. Only
 * what verified metadata lists is shown, as text or JSON. Argument handling and output only.
 */
#include "cmd_json.h"
#include "commands.h"
#include "xdrv/repo_client.h"
#include "xdrv/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv search [--repo NAME] [--store DIR] [--json] [TEXT]\n"
		"\n"
		"Refresh the repositories' TUF metadata and list the drivers (name, version,\n"
		"vendor, size, security_version, repository) whose name or vendor contains TEXT\n"
		"(all of them without TEXT).\n"
		"\n"
		"  --repo NAME   only this repository (default: every configured one)\n"
		"  --store DIR   local store (default $XDRV_STORE, else /var/lib/xdrv)\n"
		"  --json        a JSON array with one object per match: {\"name\", \"version\",\n"
		"                \"vendor\", \"size\", \"security_version\", \"repo\", \"path\",\n"
		"                \"sha256\", \"signer\"} ([] when nothing matches)\n");
}

static json_t *target_json(const struct repo_target *t, const char *repo)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "name", t->name,
			 "version", t->version, "vendor", t->vendor, "size", (json_int_t)t->length,
			 "security_version", (json_int_t)t->security_version, "repo", repo, "path",
			 t->path, "sha256", t->sha256, "signer", t->signer);
}

int cmd_search(int argc, char **argv)
{
	static const struct option longopts[] = {{"repo", required_argument, NULL, 'r'},
						 {"store", required_argument, NULL, 's'},
						 {"json", no_argument, NULL, 'j'},
						 {NULL, 0, NULL, 0}};
	bool json = false;
	const char *repo = NULL, *store = NULL, *text = NULL;
	int c;
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 'r')
			repo = optarg;
		else if (c == 's')
			store = optarg;
		else if (c == 'j')
			json = true;
		else if (c == ':')
			return xdrv_cli_usage_error("search", "missing value for",
						    argv[optind - 1]);
		else
			return xdrv_cli_option_error("search", longopts, argv[optind - 1]);
	}
	if (argc - optind > 1)
		return xdrv_cli_usage_error("search", "wants at most one TEXT", NULL);
	if (optind < argc)
		text = argv[optind];
	struct repo_store *s = NULL;
	char *err = NULL, **names = NULL, **urls = NULL;
	size_t nrepo = 0, shown = 0;
	json_t *arr = json ? json_array() : NULL;
	/* read-only: the database is only read (repo_update writes the trusted metadata files of
	 * configured repositories); no store is created */
	int rc = repo_store_open_readonly(store, &s, &err);
	const char *nostore = NULL; /* no store: no repository, as in an empty one */
	if (rc == -ENOENT) {
		free(err);
		err = NULL;
		nostore = repo_store_default_dir(store);
		rc = 0;
		if (repo)
			rc = xdrv_err(&err, -ENOENT,
				      "repository %s: not configured (no store at %s)", repo,
				      nostore);
	} else if (rc == 0) {
		rc = repo_store_repo_list(s, &names, &urls, &nrepo, &err);
	}
	for (size_t i = 0; rc == 0 && i < nrepo; i++) {
		struct repo_target *t = NULL;
		size_t n = 0;
		if (repo && strcmp(repo, names[i]) != 0)
			continue;
		rc = repo_update(s, names[i], NULL, &t, &n, &err);
		for (size_t j = 0; rc == 0 && j < n; j++) {
			if (text && !strstr(t[j].name, text) && !strstr(t[j].vendor, text))
				continue;
			if (arr) {
				shown++;
				json_array_append_new(arr, target_json(&t[j], names[i]));
				continue;
			}
			if (shown++ == 0)
				printf("%-20s %-10s %-12s %10s %6s  %s\n", "NAME", "VERSION",
				       "VENDOR", "SIZE", "SECVER", "REPO");
			printf("%-20s %-10s %-12s %10" PRIu64 " %6" PRIu64 "  %s\n", t[j].name,
			       t[j].version, t[j].vendor[0] ? t[j].vendor : "-", t[j].length,
			       t[j].security_version, names[i]);
		}
		free(t);
	}
	if (rc == 0 && repo && nrepo == 0)
		rc = -1;
	repo_strv_free(names, nrepo);
	repo_strv_free(urls, nrepo);
	repo_store_close(s);
	if (rc != 0) {
		fprintf(stderr, "xdrv search: %s\n", err ? err : "no repository configured");
		free(err);
		json_decref(arr);
		return 1;
	}
	if (arr)
		return cmd_json_print("search", arr);
	if (shown == 0 && nostore)
		printf("no driver matches%s%s (no repository configured: no store at %s)\n",
		       text ? " " : "", text ? text : "", nostore);
	else if (shown == 0)
		printf("no driver matches%s%s\n", text ? " " : "", text ? text : "");
	return 0;
}
