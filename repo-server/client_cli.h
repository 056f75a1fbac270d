/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the repository client's subcommands (cmd_repo.c, cmd_search.c,
 * cmd_install.c, cmd_list.c, cmd_remove.c, cmd_publish.c): finding targets by name and version,
 * and the install step (signature re-check against the host's root, manifest = target
 * metadata, then the store). Private to repo-server.
 */
#ifndef XDRV_REPO_CLIENT_CLI_H
#define XDRV_REPO_CLIENT_CLI_H

#include "xdrv/repo_client.h"

#include <stdint.h>

/* The host's pinned package root: `opt` if given, else $XDRV_TRUST, else STORE/trust-root.pem.
 * Written into buf; -ENOENT with a message saying how to provide one. */
int repo_cli_trust_path(const struct repo_store *s, const char *opt, char *buf, size_t size,
			char **err);

/* Pick the target for NAME[@VERSION] among `t[0..n)`: the exact version if given, else the
 * highest. NULL with *err "NAME@VERSION: not in repository R" otherwise. */
const struct repo_target *repo_cli_pick(const struct repo_target *t, size_t n, const char *name,
					const char *version, const char *repo, char **err);

/* Verify `buf` (a downloaded target) with sig_verify against trust_pem (time floor 0 = the
 * build's), read its manifest, check that name, version and security_version agree with the
 * target metadata, refuse a security_version below the installed one, and install it. */
int repo_cli_install_bytes(struct repo_store *s, const char *repo, const struct repo_target *t,
			   const char *trust_pem, int64_t time_floor, const uint8_t *buf,
			   size_t len, struct repo_installed *rec, char **err);

#endif
