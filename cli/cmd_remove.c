// SPDX-License-Identifier: MIT
/*
 * `xdrv remove NAME`: uninstall a driver from the local store (its row in one transaction, then
 * its blob). Argument handling and output only; the work is in store.c.
 */
#include "commands.h"
#include "xdrv/repo_client.h"
#include "xdrv/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: xdrv remove [--store DIR] NAME\n"
		   "\n"
		   "Uninstall driver NAME from the local store.\n"
		   "\n"
		   "  --store DIR   local store (default $XDRV_STORE, else /var/lib/xdrv)\n");
}

int cmd_remove(int argc, char **argv)
{
	static const struct option longopts[] = {{"store", required_argument, NULL, 's'},
						 {NULL, 0, NULL, 0}};
	const char *store = NULL;
	int c;
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 's')
			store = optarg;
		else if (c == ':')
			return xdrv_cli_usage_error("remove", "missing value for",
						    argv[optind - 1]);
		else
			return xdrv_cli_option_error("remove", longopts, argv[optind - 1]);
	}
	if (argc - optind != 1)
		return xdrv_cli_usage_error("remove", "wants exactly one NAME", NULL);
	struct repo_store *s = NULL;
	char *err = NULL;
	/* an absent store is not created just to say that nothing is installed */
	int rc = repo_store_open_readonly(store, &s, &err);
	if (rc == -ENOENT) {
		free(err);
		err = NULL;
		xdrv_err(&err, -ENOENT, "%s: not installed (no store at %s)", argv[optind],
			 repo_store_default_dir(store));
	}
	repo_store_close(s);
	s = NULL;
	if (rc == 0)
		rc = repo_store_open(store, &s, &err);
	if (rc == 0)
		rc = repo_store_remove(s, argv[optind], &err);
	repo_store_close(s);
	if (rc != 0) {
		fprintf(stderr, "xdrv remove: %s\n", err ? err : "failed");
		free(err);
		return 1;
	}
	printf("removed %s\n", argv[optind]);
	return 0;
}
