/* SPDX-License-Identifier: MIT */
/*
 * Fixtures for the xdrv-repod suites: a fresh repository (keys, config, data folder, vendors
 * "acme" and "beta") over the build's dev PKI, and packages made from the build's signed and
 * unsigned sample packages (re-signing gives the same name+version with other bytes).
 */
#ifndef XDRV_TEST_REPOD_FIXTURE_H
#define XDRV_TEST_REPOD_FIXTURE_H

#include "xdrv/repo_server.h"

#include <stddef.h>
#include <stdint.h>

#define RFX_ACME_TOKEN "acme-token-0123456789abcdef"
#define RFX_BETA_TOKEN "beta-token-0123456789abcdef"

struct rfx {
	char dir[512];	/* everything lives here */
	char keys[600]; /* keys init --dir */
	struct repo_config cfg;
	struct repo *r;
};
/* keys init, config (max_package 0 = default), repo_open, vendors acme + beta. NULL on failure. */
struct rfx *rfx_create(uint64_t max_package);
/* The same on another store (store NULL: sqlite; conninfo: postgres_conninfo). */
struct rfx *rfx_create_on(uint64_t max_package, const char *store, const char *conninfo);
/* Close and open the repository again and clean up, as a server restart does. 0 or rc. */
int rfx_reopen(struct rfx *f);
void rfx_destroy(struct rfx *f);
/* The build's signed package NAME (pkg/NAME.xdrv), malloc'd. */
uint8_t *rfx_pkg(const char *name, size_t *len);
/* pkg/NAME.unsigned.xdrv signed again with the build's dev PKI: same name+version, other bytes. */
uint8_t *rfx_pkg_resigned(const char *name, size_t *len);
/* A small TUF client over the repository: trust 1.root.json from the keys folder, follow the
 * root chain, timestamp -> snapshot (hash) -> targets -> each delegation, check every target's
 * blob bytes against length and hashes. Returns the number of targets, or a negative errno
 * with the reason printed. */
int rfx_check_chain(struct rfx *f);
/* Every metadata row of r's store, one line "ROLE VERSION EXPIRES SHA256-OF-BYTES" each, in
 * (role, version) order, from one consistent read; malloc'd, NULL on failure (printed). */
char *rfx_meta_digest(struct repo *r);
/* Latest version of a role in the database-backed metadata (0 if none). */
uint64_t rfx_version(struct rfx *f, const char *role);

#endif
