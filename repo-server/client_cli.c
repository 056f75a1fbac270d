// SPDX-License-Identifier: MIT
/*
 * The install step of the repository client, shared by `xdrv install` and its tests: bytes that
 * TUF has already approved (length and sha256 from signed targets metadata) are checked once
 * more as a package, with the host's own trust root (sig_verify), because the repository vouches
 * for "these bytes were published", not for "a trusted vendor signed this driver". Only then is
 * the manifest read and compared with what the metadata said, and the store switched over.
 *
 * Also the two rules every verifying command of the front end shares: where the host's package
 * trust root comes from (repo_trust_find: --trust, $XDRV_TRUST, the store's trust-root.pem, in
 * that order), and when a PKG argument names an installed driver instead of a file
 * (repo_cli_names_installed, repo_cli_resolve_installed: the store read-only).
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
#include <sys/stat.h>
#include <unistd.h>

const char *repo_trust_source_name(enum repo_trust_source src)
{
	switch (src) {
	case REPO_TRUST_OPTION:
		return "--trust";
	case REPO_TRUST_ENV:
		return "$XDRV_TRUST";
	case REPO_TRUST_STORE:
		return "the store's trust root";
	default:
		return "none";
	}
}

int repo_trust_find(const char *store_dir, const char *opt, struct repo_trust *out, char **err)
{
	const char *e = getenv("XDRV_TRUST");
	const char *dir = repo_store_default_dir(store_dir);
	memset(out, 0, sizeof *out);
	if (opt && *opt) {
		out->source = REPO_TRUST_OPTION;
		snprintf(out->path, sizeof out->path, "%s", opt);
	} else if (e && *e) {
		out->source = REPO_TRUST_ENV;
		snprintf(out->path, sizeof out->path, "%s", e);
	} else {
		snprintf(out->path, sizeof out->path, "%s/trust-root.pem", dir);
		if (access(out->path, F_OK) != 0) {
			out->path[0] = 0;
			return xdrv_err(err, -ENOENT,
					"no package trust root: give --trust root.pem, set "
					"XDRV_TRUST, or copy the root certificate to "
					"%s/trust-root.pem",
					dir);
		}
		out->source = REPO_TRUST_STORE;
	}
	/* a source that is given but unreadable is an error: falling back to the next source
	 * would verify against a root the user did not mean */
	if (access(out->path, R_OK) != 0)
		return xdrv_err(err, -errno, "package trust root %s (from %s): %s", out->path,
				repo_trust_source_name(out->source), strerror(errno));
	return 0;
}

/* [a-z0-9_-]{1,63}: a driver name as the SDK's manifest admits it */
static bool driver_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

/* [0-9A-Za-z.+-]{1,32}: what a package version can hold */
static bool version_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '+' || s[i] == '-'))
			return false;
	return true;
}

bool repo_cli_names_installed(const char *arg, const char *dir)
{
	const char *at = strchr(arg, '@');
	size_t n = at ? (size_t)(at - arg) : strlen(arg);
	if (!driver_name_ok(arg, n) || (at && !version_ok(at + 1)))
		return false; /* a '/', a '.' in the name part, ...: a path */
	char p[4096];
	struct stat st;
	if (dir && *dir && xdrv_snprintf(p, sizeof p, "%s/%s", dir, arg) != 0)
		return false;
	/* an existing file stays a file; a folder of that name (the driver's sources, say)
	 * cannot be a package, so it does not hide the installed driver */
	return stat(dir && *dir ? p : arg, &st) != 0 || S_ISDIR(st.st_mode);
}

int repo_cli_resolve_installed(const char *store_dir, const char *spec, struct repo_installed *out,
			       char **err)
{
	char name[64];
	const char *at = strchr(spec, '@');
	size_t n = at ? (size_t)(at - spec) : strlen(spec);
	if (!driver_name_ok(spec, n) || (at && !version_ok(at + 1)))
		return xdrv_err(err, -EINVAL, "'%s': not a driver NAME or NAME@VERSION", spec);
	memcpy(name, spec, n);
	name[n] = 0;
	struct repo_store *s = NULL;
	const char *dir = repo_store_default_dir(store_dir);
	char *e = NULL;
	int rc = repo_store_open_readonly(dir, &s, &e);
	if (rc == -ENOENT)
		rc = xdrv_err(err, -ENOENT, "%s: not installed (no store at %s)", spec, dir);
	else if (rc == 0 && (rc = repo_store_get(s, name, out, &e)) == -ENOENT)
		rc = xdrv_err(err, -ENOENT, "%s: not installed (store %s)", spec, dir);
	else if (rc == 0 && at && strcmp(out->version, at + 1) != 0)
		rc = xdrv_err(err, -ENOENT, "%s: not installed (%s %s is; store %s)", spec, name,
			      out->version, dir);
	else if (rc != 0)
		rc = xdrv_err(err, rc, "%s", e ? e : "store: failed");
	free(e);
	repo_store_close(s);
	return rc;
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
