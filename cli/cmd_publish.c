// SPDX-License-Identifier: MIT
/*
 * `xdrv publish --repo NAME --token-file F PKG`: upload a signed package to a repository's
 * publish endpoint (POST URL/api/v1/publish, "Authorization: Bearer TOKEN"). The server checks
 * the token, the signature chain, the manifest and the vendor's delegation and re-signs its TUF
 * metadata; this command reports its answer. Argument handling and output only.
 */
#include "commands.h"
#include "xdrv/repo_client.h"
#include "xdrv/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUBLISH_MAX (64u << 20) /* above the server's default 32 MiB cap: let it answer 413 */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv publish --repo NAME --token-file FILE [--store DIR] PKG\n"
		"\n"
		"Upload signed package PKG to repository NAME (configured with 'xdrv repo add')\n"
		"as the vendor that FILE's token belongs to. Prints the server's answer: the\n"
		"target path and sha256 (HTTP 201 new, 200 the same bytes were already there),\n"
		"or its error (401 bad token, 403 outside the vendor's delegation, 409 same\n"
		"name and version with other bytes, 413 too large, 400 a bad package).\n"
		"\n"
		"  --repo NAME        repository to publish to\n"
		"  --token-file FILE  the vendor's publish token (first line of FILE)\n"
		"  --store DIR        local store (default $XDRV_STORE, else /var/lib/xdrv)\n");
}

int cmd_publish(int argc, char **argv)
{
	static const struct option longopts[] = {{"repo", required_argument, NULL, 'r'},
						 {"token-file", required_argument, NULL, 't'},
						 {"store", required_argument, NULL, 's'},
						 {NULL, 0, NULL, 0}};
	const char *repo = NULL, *store = NULL, *tokfile = NULL;
	int c;
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 'r')
			repo = optarg;
		else if (c == 't')
			tokfile = optarg;
		else if (c == 's')
			store = optarg;
		else if (c == ':')
			return xdrv_cli_usage_error("publish", "missing value for",
						    argv[optind - 1]);
		else
			return xdrv_cli_option_error("publish", longopts, argv[optind - 1]);
	}
	if (!repo || !tokfile)
		return xdrv_cli_usage_error("publish", "wants --repo NAME and --token-file FILE",
					    NULL);
	if (argc - optind != 1)
		return xdrv_cli_usage_error("publish", "wants exactly one PKG", NULL);
	struct repo_store *s = NULL;
	char *err = NULL, *url = NULL, *body = NULL, u[4096];
	uint8_t *tok = NULL, *pkg = NULL;
	size_t toklen = 0, pkglen = 0;
	long status = 0;
	/* the store only says where the repository is: read-only, nothing created */
	int rc = repo_store_open_readonly(store, &s, &err);
	if (rc == -ENOENT) {
		free(err);
		err = NULL;
		xdrv_err(&err, -ENOENT, "repository %s: not configured (no store at %s)", repo,
			 repo_store_default_dir(store));
	}
	if (rc == 0)
		rc = repo_store_repo_url(s, repo, &url, &err);
	if (rc == 0)
		rc = xdrv_read_file(tokfile, 4096, &tok, &toklen, &err);
	if (rc == 0) {
		tok[strcspn((char *)tok, "\r\n")] = 0;
		if (!tok[0])
			rc = xdrv_err(&err, -EINVAL, "token file %s: empty", tokfile);
	}
	if (rc == 0)
		rc = xdrv_read_file(argv[optind], PUBLISH_MAX, &pkg, &pkglen, &err);
	if (rc == 0 && xdrv_snprintf(u, sizeof u, "%s/api/v1/publish", url) != 0)
		rc = xdrv_err(&err, -ENAMETOOLONG, "repository %s: URL too long", repo);
	if (rc == 0)
		rc = repo_http_post(u, (const char *)tok, pkg, pkglen, &status, &body, &err);
	if (tok)
		memset(tok, 0, toklen);
	free(tok);
	free(pkg);
	free(url);
	repo_store_close(s);
	if (rc == 0 && (status == 200 || status == 201)) {
		printf("%s: published (HTTP %ld) %s\n", argv[optind], status, body ? body : "");
		free(body);
		return 0;
	}
	if (rc == 0)
		fprintf(stderr, "xdrv publish: %s: rejected by %s (HTTP %ld): %s\n", argv[optind],
			repo, status, body ? body : "");
	else
		fprintf(stderr, "xdrv publish: %s\n", err ? err : "failed");
	free(body);
	free(err);
	return 1;
}
