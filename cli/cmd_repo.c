// SPDX-License-Identifier: MIT
/*
 * `xdrv repo add|list|remove|update`: the repositories this host trusts. `add` pins a
 * repository's initial root metadata (checked: parses, is a root, carries a threshold of its own
 * root keys) and then refreshes once through the TUF workflow, so that a wrong URL or root fails
 * at once. Argument handling and output only; the work is in client_tuf.c and store.c.
 */
#include "cmd_json.h"
#include "commands.h"
#include "xdrv/repo_client.h"
#include "xdrv/tuf.h"
#include "xdrv/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv repo add NAME URL --root root.json [--no-update] [--store DIR]\n"
		"       xdrv repo list [--store DIR] [--json]\n"
		"       xdrv repo update [NAME] [--store DIR]\n"
		"       xdrv repo remove NAME [--store DIR]\n"
		"\n"
		"Manage the TUF-signed driver repositories this host installs from.\n"
		"\n"
		"  add      pin ROOT (the repository's root metadata, obtained out of band, e.g.\n"
		"           URL/metadata/1.root.json checked by hand) for repository NAME at URL,\n"
		"           then refresh its metadata once (unless --no-update)\n"
		"  list     the configured repositories\n"
		"  update   refresh trusted metadata (root chain, timestamp, snapshot, targets,\n"
		"           vendor delegations) of one or all repositories\n"
		"  remove   forget a repository and its trusted metadata\n"
		"\n"
		"  --store DIR   local store (default $XDRV_STORE, else /var/lib/xdrv)\n"
		"  --json        list: a JSON array of {\"name\", \"url\"}\n"
		"\n"
		"Metadata expiry is checked against the wall clock (TUF freshness).\n");
}

static int fail(char *err)
{
	fprintf(stderr, "xdrv repo: %s\n", err ? err : "failed");
	free(err);
	return 1;
}

/* A pinned root must at least be a root that its own keys signed. */
static int check_root(const char *path, uint8_t **buf, size_t *len, char **err)
{
	json_t *env = NULL;
	struct tuf_root r = {0};
	int rc = xdrv_read_file(path, (size_t)512 * 1024, buf, len, err);
	if (rc == 0)
		rc = tuf_metadata_load(*buf, *len, 0, path, &env, err);
	if (rc == 0)
		rc = tuf_root_parse(env, &r, err);
	if (rc == 0)
		rc = tuf_verify_role(env, r.keys, r.nkeys, &r.roles[TUF_ROLE_ROOT], err);
	if (rc != 0)
		xdrv_err_prefix(err, "root %s", path);
	tuf_root_free(&r);
	json_decref(env);
	return rc;
}

static int do_update(struct repo_store *s, const char *name, char **err)
{
	struct repo_target *t = NULL;
	size_t n = 0;
	int rc = repo_update(s, name, NULL, &t, &n, err);
	if (rc == 0)
		printf("%s: up to date, %zu target(s)\n", name, n);
	free(t);
	return rc;
}

int cmd_repo(int argc, char **argv)
{
	static const struct option longopts[] = {{"root", required_argument, NULL, 'r'},
						 {"store", required_argument, NULL, 's'},
						 {"no-update", no_argument, NULL, 'n'},
						 {"json", no_argument, NULL, 'j'},
						 {NULL, 0, NULL, 0}};
	int json = 0;
	const char *root = NULL, *store = NULL;
	int no_update = 0, c;
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 'r')
			root = optarg;
		else if (c == 's')
			store = optarg;
		else if (c == 'n')
			no_update = 1;
		else if (c == 'j')
			json = 1;
		else if (c == ':')
			return xdrv_cli_usage_error("repo", "missing value for", argv[optind - 1]);
		else
			return xdrv_cli_option_error("repo", longopts, argv[optind - 1]);
	}
	if (optind >= argc)
		return xdrv_cli_usage_error(
			"repo", "wants a subcommand: add, list, update or remove", NULL);
	const char *sub = argv[optind];
	int nargs = argc - optind - 1;
	char **args = argv + optind + 1;
	struct repo_store *s = NULL;
	char *err = NULL;
	int rc;
	if (strcmp(sub, "add") == 0) {
		if (nargs != 2)
			return xdrv_cli_usage_error("repo", "add wants NAME URL", NULL);
		if (!root)
			return xdrv_cli_usage_error("repo", "add wants --root root.json", NULL);
	} else if (strcmp(sub, "remove") == 0) {
		if (nargs != 1)
			return xdrv_cli_usage_error("repo", "remove wants NAME", NULL);
	} else if (strcmp(sub, "list") == 0) {
		if (nargs != 0)
			return xdrv_cli_usage_error("repo", "list takes no arguments, not",
						    args[0]);
	} else if (strcmp(sub, "update") == 0) {
		if (nargs > 1)
			return xdrv_cli_usage_error("repo", "update wants at most one NAME", NULL);
	} else {
		static const char *const subs[] = {"add", "list", "update", "remove"};
		const char *best = xdrv_suggest(sub, subs, sizeof subs / sizeof subs[0]);
		if (best) {
			fprintf(stderr,
				"xdrv repo: '%s' is not a repo subcommand; did you mean '%s'?\n",
				sub, best);
			return 2;
		}
		return xdrv_cli_usage_error("repo", "unknown subcommand", sub);
	}
	if (json && strcmp(sub, "list") != 0)
		return xdrv_cli_usage_error("repo", "--json goes with list only", NULL);
	/* list and update only read the database (update writes the trusted metadata files of a
	 * configured repository): they open it read-only and never create a store */
	bool writes = strcmp(sub, "add") == 0 || strcmp(sub, "remove") == 0;
	rc = writes ? repo_store_open(store, &s, &err) : repo_store_open_readonly(store, &s, &err);
	if (rc == -ENOENT && !writes) {
		const char *dir = repo_store_default_dir(store);
		free(err);
		err = NULL;
		if (nargs == 1) { /* update NAME */
			xdrv_err(&err, -ENOENT, "repository %s: not configured (no store at %s)",
				 args[0], dir);
			return fail(err);
		}
		if (json)
			return cmd_json_print("repo", json_array());
		printf("no repository configured (no store at %s)\n", dir);
		return 0;
	}
	if (rc != 0)
		return fail(err);
	if (strcmp(sub, "add") == 0) {
		uint8_t *buf = NULL;
		size_t len = 0;
		char url[2048];
		snprintf(url, sizeof url, "%s", args[1]);
		size_t ul = strlen(url);
		while (ul > 0 && url[ul - 1] == '/')
			url[--ul] = 0;
		rc = check_root(root, &buf, &len, &err);
		if (rc == 0)
			rc = repo_store_repo_add(s, args[0], url, buf, len, &err);
		free(buf);
		if (rc == 0 && !no_update) {
			rc = do_update(s, args[0], &err);
			if (rc != 0) /* a repository that cannot be read is not added */
				repo_store_repo_remove(s, args[0], NULL);
		}
		if (rc == 0)
			printf("added repository %s at %s\n", args[0], url);
	} else if (strcmp(sub, "remove") == 0) {
		rc = repo_store_repo_remove(s, args[0], &err);
	} else if (strcmp(sub, "list") == 0) {
		char **names = NULL, **urls = NULL;
		size_t n = 0;
		rc = repo_store_repo_list(s, &names, &urls, &n, &err);
		json_t *arr = rc == 0 && json ? json_array() : NULL;
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(
				arr, json_pack("{s:s, s:s}", "name", names[i], "url", urls[i]));
		for (size_t i = 0; rc == 0 && !json && i < n; i++)
			printf("%-16s %s\n", names[i], urls[i]);
		if (rc == 0 && json && cmd_json_print("repo", arr) != 0)
			rc = xdrv_err(&err, -EIO, "cannot write the JSON output");
		repo_strv_free(names, n);
		repo_strv_free(urls, n);
	} else {
		if (nargs == 1) {
			rc = do_update(s, args[0], &err);
		} else {
			char **names = NULL, **urls = NULL;
			size_t n = 0;
			rc = repo_store_repo_list(s, &names, &urls, &n, &err);
			for (size_t i = 0; rc == 0 && i < n; i++)
				rc = do_update(s, names[i], &err);
			repo_strv_free(names, n);
			repo_strv_free(urls, n);
		}
	}
	repo_store_close(s);
	return rc == 0 ? 0 : fail(err);
}
