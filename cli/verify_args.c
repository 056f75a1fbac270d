// SPDX-License-Identifier: MIT
/*
 * The trust root and the PKG argument of the verifying commands (see verify_args.h). The rules
 * themselves are the repository client's (repo_trust_find, repo_cli_names_installed,
 * repo_cli_resolve_installed); here only what the user sees: one line saying which trust root
 * (and which installed package) was taken, and the usage errors and failures of commands.h.
 */
#include "verify_args.h"
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <xdrv/util.h>

int cli_trust(const char *cmd, const char *store, const char *opt, bool unsigned_ok, bool optional,
	      bool quiet, struct repo_trust *t)
{
	char *err = NULL;
	int rc = repo_trust_find(store, opt, t, &err);
	if (rc != 0 && t->source == REPO_TRUST_NONE && optional) {
		free(err);
		return 0;
	}
	if (rc != 0 && t->source == REPO_TRUST_NONE) {
		fprintf(stderr, "xdrv %s: %s%s; try 'xdrv %s --help'\n", cmd,
			err ? err : "no trust root",
			unsigned_ok ? " (or --allow-unsigned for development)" : "", cmd);
		free(err);
		return 2;
	}
	if (rc != 0) {
		fprintf(stderr, "xdrv %s: %s\n", cmd, err ? err : "no trust root");
		free(err);
		return 1;
	}
	if (!quiet)
		fprintf(stderr, "trust: %s (%s)\n", t->path, repo_trust_source_name(t->source));
	return 0;
}

int cli_package(const char *cmd, const char *store, const char *arg, bool quiet, char *path,
		size_t size)
{
	if (!repo_cli_names_installed(arg, NULL)) {
		if (xdrv_snprintf(path, size, "%s", arg) != 0) {
			fprintf(stderr, "xdrv %s: %s: path too long\n", cmd, arg);
			return 1;
		}
		return 0;
	}
	struct repo_installed rec;
	char *err = NULL;
	int rc = repo_cli_resolve_installed(store, arg, &rec, &err);
	if (rc == 0 && xdrv_snprintf(path, size, "%s", rec.path) != 0)
		rc = xdrv_err(&err, -ENAMETOOLONG, "%s: path too long", rec.path);
	if (rc != 0) {
		fprintf(stderr, "xdrv %s: %s\n", cmd, err ? err : "failed");
		free(err);
		return 1;
	}
	if (!quiet) {
		/* name and version were checked at install, yet they came from a package */
		char n[160], v[80];
		fprintf(stderr, "package: %s %s installed (%s)\n",
			xdrv_escape_text(rec.name, n, sizeof n),
			xdrv_escape_text(rec.version, v, sizeof v), rec.path);
	}
	return 0;
}
