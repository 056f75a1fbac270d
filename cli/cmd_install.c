// SPDX-License-Identifier: MIT
/*
 * `xdrv install NAME[@VERSION]`: refresh the repositories' TUF metadata, pick the target,
 * download it (resumable, length-capped, hash-checked), re-verify the package signature against
 * the host's trust root, and switch the local store to it atomically. Argument handling and
 * output only; the work is in client_tuf.c, client_cli.c and store.c.
 */
#include "commands.h"
#include "verify_args.h"
#include "xdrv/repo_client.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv install [--repo NAME] [--trust root.pem] [--store DIR] "
		"NAME[@VERSION]\n"
		"\n"
		"Install a driver from a configured repository: the TUF metadata is refreshed and\n"
		"checked (root chain, timestamp, snapshot, targets, vendor delegation; versions,\n"
		"expiry against the wall clock, lengths), the package is downloaded under its\n"
		"consistent-snapshot name with resume and a length limit, its sha256 is checked,\n"
		"its signature is verified again against the host's package root, its manifest\n"
		"must match the metadata, and the store switches to it in one transaction (the\n"
		"old version stays installed if anything fails). Without @VERSION the highest\n"
		"version is taken. A security_version below the installed one is refused.\n"
		"\n"
		"  --repo NAME    only this repository (default: the first that has the driver)\n"
		"  --trust FILE   package root certificate (PEM); default $XDRV_TRUST, else\n"
		"                 STORE/trust-root.pem (the same order in every verifying\n"
		"                 command; the one taken is named on stderr: 'trust: PATH "
		"(SOURCE)')\n"
		"  --store DIR    local store (default $XDRV_STORE, else /var/lib/xdrv)\n"
		"  --progress     show the package download on one line of stderr, redrawn in\n"
		"                 place: file, size, percentage, rate, then a final 'done' line\n"
		"                 (default on; only when stderr is a terminal, else nothing)\n"
		"  --quiet        no progress line\n");
}

static int install_from(struct repo_store *s, const char *repo, const char *name,
			const char *version, const char *trust, bool progress, char **err)
{
	struct repo_target *t = NULL;
	size_t n = 0;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct repo_http_opts http = {.progress = progress};
	struct repo_update_opts uo = {.http = &http};
	struct repo_installed rec;
	int rc = repo_update(s, repo, &uo, &t, &n, err);
	const struct repo_target *pick = NULL;
	if (rc == 0) {
		pick = repo_cli_pick(t, n, name, version, repo, err);
		if (!pick)
			rc = -ENOENT;
	}
	if (rc == 0)
		rc = repo_fetch_target(s, repo, pick, &http, &buf, &len, err);
	if (rc == 0)
		rc = repo_cli_install_bytes(s, repo, pick, trust, 0, buf, len, &rec, err);
	if (rc == 0)
		printf("installed %s %s from %s (sha256 %.16s..., signer %s)\n", rec.name,
		       rec.version, repo, rec.digest, rec.signer);
	free(buf);
	free(t);
	return rc;
}

int cmd_install(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"repo", required_argument, NULL, 'r'},	 {"trust", required_argument, NULL, 't'},
		{"store", required_argument, NULL, 's'}, {"progress", no_argument, NULL, 'p'},
		{"quiet", no_argument, NULL, 'q'},	 {NULL, 0, NULL, 0}};
	const char *repo = NULL, *store = NULL, *trust_opt = NULL;
	bool progress = true;
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
			trust_opt = optarg;
		else if (c == 's')
			store = optarg;
		else if (c == 'p')
			progress = true;
		else if (c == 'q')
			progress = false;
		else if (c == ':')
			return xdrv_cli_usage_error("install", "missing value for",
						    argv[optind - 1]);
		else
			return xdrv_cli_option_error("install", longopts, argv[optind - 1]);
	}
	if (argc - optind != 1)
		return xdrv_cli_usage_error("install", "wants exactly one NAME[@VERSION]", NULL);
	char spec[256];
	if (snprintf(spec, sizeof spec, "%s", argv[optind]) >= (int)sizeof spec)
		return xdrv_cli_usage_error("install", "NAME[@VERSION] too long:", argv[optind]);
	char *at = strchr(spec, '@');
	const char *version = NULL;
	if (at) {
		*at = 0;
		version = at + 1;
		if (!*version || !*spec)
			return xdrv_cli_usage_error("install", "wants NAME[@VERSION], not",
						    argv[optind]);
	}
	struct repo_trust tr;
	int trc = cli_trust("install", store, trust_opt, false, false, false, &tr);
	if (trc != 0)
		return trc;
	const char *trust = tr.path;
	struct repo_store *s = NULL;
	char *err = NULL, **names = NULL, **urls = NULL;
	size_t nrepo = 0;
	int rc = repo_store_open(store, &s, &err);
	if (rc == 0 && repo) {
		rc = install_from(s, repo, spec, version, trust, progress, &err);
	} else if (rc == 0) {
		rc = repo_store_repo_list(s, &names, &urls, &nrepo, &err);
		if (rc == 0 && nrepo == 0)
			rc = -ENOENT,
			err = strdup("no repository configured (see 'xdrv repo add')");
		/* the first repository that lists the driver; other failures stop the search */
		for (size_t i = 0; rc == 0 && i < nrepo; i++) {
			rc = install_from(s, names[i], spec, version, trust, progress, &err);
			if (rc == -ENOENT && i + 1 < nrepo && strstr(err, ": not in repository")) {
				free(err);
				err = NULL;
				rc = 0;
				continue;
			}
			break;
		}
	}
	repo_strv_free(names, nrepo);
	repo_strv_free(urls, nrepo);
	repo_store_close(s);
	if (rc != 0) {
		fprintf(stderr, "xdrv install: %s\n", err ? err : "failed");
		free(err);
		return 1;
	}
	return 0;
}
