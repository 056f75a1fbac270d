// SPDX-License-Identifier: MIT
/*
 * xdrv-repod publish: authenticate the vendor, verify the package (signature chain, archive,
 * manifest), decide the target path inside the vendor's delegation, store the blob, then in
 * one transaction insert the package and sign new metadata. A kill at any point leaves either
 * nothing visible (an unreferenced blob, removed at the next start) or the complete package.
 */
#include "repod.h"
#include "xdrv/sdk.h"
#include "xdrv/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int repo_status_for(int rc)
{
	switch (rc) {
	case 0:
		return 200;
	case -EACCES:
		return 401;
	case -EPERM:
		return 403;
	case -EEXIST:
		return 409;
	case -EFBIG:
		return 413;
	case -ENOMEM:
	case -EIO:
	case -EBUSY:
		return 500;
	default:
		return 400;
	}
}

struct pkg_info {
	char vendor[65];
	char name[65], version[32];
	uint64_t secver;
	uint32_t abi;
	char signer[256], issuer[256];
	char *manifest; /* the validated manifest, as sdk_manifest_write writes it; malloc'd */
	struct tuf_hashes h;
};

/* An existing row for name+version: 1 with *same set, 0 none, <0 error. Caller holds lock. */
static int existing(struct repo *r, const struct pkg_info *p, char *owner, size_t on, char *target,
		    size_t tn, bool *same, char **err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db,
			       "SELECT sha256, vendor, target FROM packages WHERE name=?"
			       " AND version=?",
			       -1, &st, NULL) != SQLITE_OK)
		return xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
	sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->version, -1, SQLITE_STATIC);
	int rc = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*same = strcmp((const char *)sqlite3_column_text(st, 0), p->h.sha256) == 0;
		snprintf(owner, on, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(target, tn, "%s", (const char *)sqlite3_column_text(st, 2));
		rc = 1;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Owner of a package name (any version), "" if none. Caller holds lock. */
static int name_owner(struct repo *r, const char *name, char *owner, size_t on, char **err)
{
	sqlite3_stmt *st;
	owner[0] = 0;
	if (sqlite3_prepare_v2(r->db, "SELECT vendor FROM packages WHERE name=? LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK)
		return xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(owner, on, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return 0;
}

static int verify_package(struct repo *r, const uint8_t *body, size_t len, struct pkg_info *p,
			  char **err)
{
	struct sig_info si;
	int rc = sig_verify(r->trust, body, len, &si, err);
	if (rc) {
		xdrv_err_prefix(err, "publish: package signature");
		return rc == -ENODATA ? -EBADMSG : rc;
	}
	struct sdk_package pkg;
	rc = sdk_package_read(body, si.payload_len, NULL, NULL, &pkg, err);
	if (rc) {
		xdrv_err_prefix(err, "publish: package");
		return -EINVAL;
	}
	const struct sdk_manifest *m = &pkg.manifest;
	if (strlen(m->name) >= sizeof(p->name) || strlen(m->version) >= sizeof(p->version))
		rc = xdrv_err(err, -EINVAL, "publish: manifest: name or version too long");
	else {
		snprintf(p->name, sizeof(p->name), "%s", m->name);
		snprintf(p->version, sizeof(p->version), "%s", m->version);
		p->secver = m->security_version;
		p->abi = m->abi_version;
		snprintf(p->signer, sizeof(p->signer), "%s", si.signer);
		snprintf(p->issuer, sizeof(p->issuer), "%s", si.issuer);
		/* for the web pages (match table, parameters): re-written from the parsed copy,
		 * so only what the manifest parser accepted is stored */
		rc = sdk_manifest_write(m, &p->manifest, NULL, err);
		if (rc)
			xdrv_err_prefix(err, "publish: manifest");
	}
	sdk_package_free(&pkg);
	return rc;
}

static int insert(struct repo *r, const struct pkg_info *p, const char *target, size_t len,
		  char **err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db,
			       "INSERT INTO packages(vendor, name, version, target, sha256, sha512,"
			       " size, security_version, abi_version, signer, created, issuer,"
			       " manifest) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		return xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
	sqlite3_bind_text(st, 1, p->vendor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, p->h.sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, p->h.sha512, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)len);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)p->secver);
	sqlite3_bind_int64(st, 9, p->abi);
	sqlite3_bind_text(st, 10, p->signer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, repod_now());
	sqlite3_bind_text(st, 12, p->issuer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, p->manifest, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0
						 : xdrv_err(err, -EIO, "database: insert %s: %s",
							    target, sqlite3_errmsg(r->db));
	sqlite3_finalize(st);
	return rc;
}

/* Test hook: XDRV_REPOD_CRASH_AT=blob|insert|meta makes the process die with SIGKILL at that
 * point of a publish, so the crash test can hit each step deterministically. */
static void crash_point(const char *where)
{
	const char *c = getenv("XDRV_REPOD_CRASH_AT");
	if (c && strcmp(c, where) == 0)
		raise(SIGKILL);
}

static int publish(struct repo *r, struct pkg_info *p, const char *token, const uint8_t *body,
		   size_t len, const char *path, struct repo_publish_result *res, char **err)
{
	memset(res, 0, sizeof(*res));
	int rc = 0;
	pthread_mutex_lock(&r->lock);
	rc = token ? repod_vendor_by_token(r, token, strlen(token), p->vendor, sizeof(p->vendor),
					   err)
		   : xdrv_err(err, -EACCES, "publish: missing or wrong token");
	pthread_mutex_unlock(&r->lock);
	if (rc)
		return rc;
	if (len > r->cfg.max_package)
		return xdrv_err(err, -EFBIG, "publish: %zu bytes exceeds the limit %llu", len,
				(unsigned long long)r->cfg.max_package);
	rc = verify_package(r, body, len, p, err);
	if (rc)
		return rc;
	tuf_hashes_compute(body, len, &p->h);
	char target[256], want_tail[128];
	snprintf(want_tail, sizeof(want_tail), "%s-%s.xdrv", p->name, p->version);
	if (!path) {
		snprintf(target, sizeof(target), "%s/%s", p->vendor, want_tail);
	} else {
		const char *slash = strrchr(path, '/');
		if (strlen(path) >= sizeof(target) || !slash || strcmp(slash + 1, want_tail) != 0 ||
		    strstr(path, "..") || path[0] == '/' || strchr(path, '\\')) {
			char ep[128];
			return xdrv_err(err, -EINVAL, "publish: target path \"%s\" must end in /%s",
					repod_esc(path, ep, sizeof(ep)), want_tail);
		}
		for (const char *c = path; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				char ep[128];
				return xdrv_err(
					err, -EINVAL,
					"publish: target path \"%s\" has a control character",
					repod_esc(path, ep, sizeof(ep)));
			}
		snprintf(target, sizeof(target), "%s", path);
	}
	struct tuf_role del = {0};
	char pat[80], *paths[1] = {pat};
	snprintf(pat, sizeof(pat), "%s/*", p->vendor);
	del.paths = paths;
	del.npaths = 1;
	if (!tuf_role_covers(&del, target))
		return xdrv_err(
			err, -EPERM,
			"publish: target path %s is outside the delegation of vendor %s (%s)",
			target, p->vendor, pat);
	/* the blob first: whatever happens next, no row names a missing file */
	rc = repod_blob_put(r, p->h.sha256, body, len, err);
	if (rc)
		return rc;
	crash_point("blob");
	pthread_mutex_lock(&r->lock);
	rc = repod_db_begin(r, err);
	char owner[65], old_target[256];
	bool same = false;
	int ex = rc ? rc
		    : existing(r, p, owner, sizeof(owner), old_target, sizeof(old_target), &same,
			       err);
	if (ex < 0) {
		rc = ex;
	} else if (ex == 1) {
		if (!same)
			rc = xdrv_err(err, -EEXIST,
				      "publish: %s %s exists with different contents (%s)", p->name,
				      p->version, old_target);
		else if (strcmp(owner, p->vendor) != 0)
			rc = xdrv_err(err, -EPERM, "publish: %s belongs to vendor %s", p->name,
				      owner);
		else
			res->status = 200;
		snprintf(target, sizeof(target), "%s", old_target);
	} else {
		rc = name_owner(r, p->name, owner, sizeof(owner), err);
		if (rc == 0 && owner[0] && strcmp(owner, p->vendor) != 0)
			rc = xdrv_err(err, -EPERM,
				      "publish: package name %s belongs to vendor %s, outside the"
				      " delegation of vendor %s",
				      p->name, owner, p->vendor);
		if (rc == 0)
			rc = insert(r, p, target, len, err);
		if (rc == 0)
			crash_point("insert");
		struct repod_meta_req q = {.vendor = p->vendor};
		if (rc == 0)
			rc = repod_meta_update(r, repod_now(), &q, err);
		if (rc == 0)
			crash_point("meta");
		if (rc == 0)
			rc = repod_db_commit(r, err);
		if (rc == 0)
			res->status = 201;
	}
	if (rc || res->status == 200)
		repod_db_rollback(r);
	if (rc == 0)
		repod_meta_latest(r, p->vendor, &res->targets_version, NULL, NULL);
	pthread_mutex_unlock(&r->lock);
	if (rc)
		return rc;
	snprintf(res->target, sizeof(res->target), "%s", target);
	memcpy(res->sha256, p->h.sha256, 65);
	snprintf(res->name, sizeof(res->name), "%s", p->name);
	snprintf(res->version, sizeof(res->version), "%s", p->version);
	return 0;
}

int repo_publish(struct repo *r, const char *token, const uint8_t *body, size_t len,
		 const char *path, struct repo_publish_result *res, char **err)
{
	struct pkg_info p = {0};
	int rc = publish(r, &p, token, body, len, path, res, err);
	free(p.manifest);
	return rc;
}
