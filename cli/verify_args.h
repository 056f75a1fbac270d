/* SPDX-License-Identifier: MIT */
/*
 * What the verifying commands (install, run, load, verify, inspect) share: which package trust
 * root they use, and what their PKG argument names. Both rules live in the repository client's
 * library (repo_trust_find, repo_cli_names_installed in xdrv/repo_client.h); this is the front
 * end's side: the line that says which root was taken, and the messages and exit statuses.
 */
#ifndef XDRV_CLI_VERIFY_ARGS_H
#define XDRV_CLI_VERIFY_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <xdrv/repo_client.h>

/* The trust root of command `cmd`: --trust `opt`, else $XDRV_TRUST, else the store's
 * STORE/trust-root.pem (`store`: --store, NULL for $XDRV_STORE or /var/lib/xdrv). Unless
 * `quiet`, says which on stderr: "trust: PATH (SOURCE)". Returns 0; 2 after a usage error when
 * no source is given at all (the message names the three ways, and --allow-unsigned when
 * `unsigned_ok`), unless `optional`: then 0 with t->source == REPO_TRUST_NONE and nothing
 * printed; 1 after "xdrv CMD: ..." when a given source cannot be read. */
int cli_trust(const char *cmd, const char *store, const char *opt, bool unsigned_ok, bool optional,
	      bool quiet, struct repo_trust *t);

/* The package a PKG argument names: the file itself, or, for an installed driver's NAME or
 * NAME@VERSION (repo_cli_names_installed; the store as for cli_trust, opened read-only), its
 * installed package file, announced on stderr unless `quiet`: "package: NAME VERSION installed
 * (PATH)". The path goes to `path`. Returns 0, or 1 after "xdrv CMD: message". */
int cli_package(const char *cmd, const char *store, const char *arg, bool quiet, char *path,
		size_t size);

#endif
