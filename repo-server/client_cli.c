// SPDX-License-Identifier: MIT
/*
 * The install step of the repository client, shared by `xdrv install` and its tests: bytes that
 * TUF has already approved (length and sha256 from signed targets metadata) are checked once
 * more as a package, with the host's own trust root (sig_verify), because the repository vouches
 * for "these bytes were published", not for "a trusted vendor signed this driver". Only then is
 * the manifest read and compared with what the metadata said, and the store switched over.
 */
#include "xdrv/repo_client.h"
#include "xdrv/sdk.h"
#include "xdrv/signer.h"
#include "xdrv/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int repo_cli_trust_path(const struct repo_store *s, const char *opt, char *buf, size_t size,
			char **err)
{
	const char *e = getenv("XDRV_TRUST");
	if (opt && *opt)
		snprintf(buf, size, "%s", opt);
	else if (e && *e)
		snprintf(buf, size, "%s", e);
	else
		snprintf(buf, size, "%s/trust-root.pem", repo_store_dir(s));
	if (access(buf, R_OK) != 0)
		return xdrv_err(err, -ENOENT,
				"package trust root %s: %s (give --trust root.pem, set XDRV_TRUST, "
				"or copy the root certificate to %s/trust-root.pem)",
				buf, strerror(errno), repo_store_dir(s));
	return 0;
}

const struct repo_target *repo_cli_pick(const struct repo_target *t, size_t n, const char *name,
					const char *version, const char *repo, char **err)
{
	const struct repo_target *best = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(t[i].name, name) != 0)
			continue;
		if (version) {
			if (strcmp(t[i].version, version) == 0)
				return &t[i];
		} else if (!best || repo_version_cmp(t[i].version, best->version) > 0) {
			best = &t[i];
		}
	}
	if (!best)
		xdrv_err(err, -ENOENT, "%s%s%s: not in repository %s", name, version ? "@" : "",
			 version ? version : "", repo);
	return best;
}

int repo_cli_install_bytes(struct repo_store *s, const char *repo, const struct repo_target *t,
			   const char *trust_pem, int64_t time_floor, const uint8_t *buf,
			   size_t len, struct repo_installed *rec, char **err)
{
	struct sig_trust *trust = NULL;
	struct sig_info info;
	struct sdk_package pkg = {0};
	struct repo_installed old;
	int rc = sig_trust_create(trust_pem, time_floor, &trust, err);
	if (rc != 0)
		return rc;
	rc = sig_verify(trust, buf, len, &info, err);
	sig_trust_destroy(trust);
	if (rc != 0) {
		xdrv_err_prefix(err, "target %s: signature", t->path);
		return rc;
	}
	rc = sdk_package_read(buf, info.payload_len, NULL, NULL, &pkg, err);
	if (rc != 0) {
		xdrv_err_prefix(err, "target %s", t->path);
		return rc;
	}
	const struct sdk_manifest *m = &pkg.manifest;
	if (strcmp(m->name, t->name) != 0 || strcmp(m->version, t->version) != 0)
		rc = xdrv_err(err, -EINVAL,
			      "target %s: package is %s %s, repository metadata says %s %s",
			      t->path, m->name, m->version, t->name, t->version);
	else if (t->security_version && m->security_version != t->security_version)
		rc = xdrv_err(err, -EINVAL,
			      "target %s: security_version %" PRIu64 " in the package, %" PRIu64
			      " in the repository metadata",
			      t->path, m->security_version, t->security_version);
	else if (repo_store_get(s, m->name, &old, NULL) == 0 &&
		 m->security_version < old.security_version)
		rc = xdrv_err(err, -EPERM,
			      "%s %s: security_version %" PRIu64
			      " is below the installed %s's %" PRIu64 " (downgrade refused)",
			      m->name, m->version, m->security_version, old.version,
			      old.security_version);
	if (rc == 0) {
		memset(rec, 0, sizeof *rec);
		snprintf(rec->name, sizeof rec->name, "%s", m->name);
		snprintf(rec->version, sizeof rec->version, "%s", m->version);
		snprintf(rec->repo, sizeof rec->repo, "%s", repo);
		snprintf(rec->signer, sizeof rec->signer, "%s", info.signer);
		/* the blob is the whole signed file; its digest is the target's sha256 */
		snprintf(rec->digest, sizeof rec->digest, "%s", t->sha256);
		rec->security_version = m->security_version;
		rec->size = len;
		rc = repo_store_install(s, rec, buf, len, err);
		if (rc == 0)
			rc = repo_store_get(s, m->name, rec, err);
	}
	sdk_package_free(&pkg);
	return rc;
}
