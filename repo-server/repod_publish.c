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
	case -EKEYREJECTED: /* a vendor key this server cannot open: its keys_dir differs */
		return 500;
	case -ENOTCONN: /* the database cannot be reached, or writers kept colliding or */
	case -EAGAIN:	/* waiting: try later */
	case -ETIMEDOUT:
		return 503;
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

/* Test hook: XDRV_REPOD_CRASH_AT=blob|insert|meta makes the process die with SIGKILL at that
 * point of a publish, so the crash test can hit each step deterministically. */
static void crash_point(const char *where)
{
	const char *c = getenv("XDRV_REPOD_CRASH_AT");
	if (c && strcmp(c, where) == 0)
		raise(SIGKILL);
}

struct pub {
	struct pkg_info *p;
	const uint8_t *body;
	size_t len;
	char want[256];	  /* the target path asked for */
	char target[256]; /* the one published: `want`, or where these bytes already are */
	struct repo_publish_result *res;
};

/* The transaction of a publish; run again from the start if it lost to a concurrent one. */
static int publish_txn(struct repo *r, struct repod_db *db, void *arg, char **err)
{
	struct pub *u = arg;
	const struct pkg_info *p = u->p;
	const struct repod_db_ops *o = r->db_ops;
	struct repod_pkg *rows = NULL;
	size_t n = 0;
	struct repod_pkg_filter byname = {.name = p->name};
	u->res->status = 0;
	snprintf(u->target, sizeof(u->target), "%s", u->want);
	int rc = o->packages(db, &byname, &rows, &n, err);
	const struct repod_pkg *same = NULL;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (strcmp(rows[i].version, p->version) == 0)
			same = &rows[i];
	if (rc) {
		/* nothing to add */
	} else if (same) {
		if (strcmp(same->sha256, p->h.sha256) != 0)
			rc = xdrv_err(err, -EEXIST,
				      "publish: %s %s exists with different contents (%s)", p->name,
				      p->version, same->target);
		else if (strcmp(same->vendor, p->vendor) != 0)
			rc = xdrv_err(err, -EPERM, "publish: %s belongs to vendor %s", p->name,
				      same->vendor);
		else
			u->res->status = 200;
		snprintf(u->target, sizeof(u->target), "%s", same->target);
	} else if (n && strcmp(rows[0].vendor, p->vendor) != 0) {
		rc = xdrv_err(err, -EPERM,
			      "publish: package name %s belongs to vendor %s, outside the"
			      " delegation of vendor %s",
			      p->name, rows[0].vendor, p->vendor);
	} else {
		struct repod_pkg row = {.size = u->len,
					.security_version = p->secver,
					.abi_version = p->abi,
					.created = repod_now(),
					.issuer = (char *)p->issuer,
					.manifest = p->manifest};
		snprintf(row.vendor, sizeof(row.vendor), "%s", p->vendor);
		snprintf(row.name, sizeof(row.name), "%s", p->name);
		snprintf(row.version, sizeof(row.version), "%s", p->version);
		snprintf(row.target, sizeof(row.target), "%s", u->target);
		snprintf(row.sha256, sizeof(row.sha256), "%s", p->h.sha256);
		snprintf(row.sha512, sizeof(row.sha512), "%s", p->h.sha512);
		snprintf(row.signer, sizeof(row.signer), "%s", p->signer);
		/* the store's own copy of the bytes, when it keeps one (the file is written) */
		if (o->blob_put)
			rc = o->blob_put(db, p->h.sha256, u->body, u->len, err);
		if (rc == 0)
			rc = o->package_put(db, &row, err);
		if (rc == 0)
			crash_point("insert");
		struct repod_meta_req q = {.vendor = p->vendor};
		if (rc == 0)
			rc = repod_meta_update(r, db, repod_now(), &q, err);
		if (rc == 0)
			crash_point("meta");
		if (rc == 0)
			u->res->status = 201;
	}
	repod_pkgs_free(rows, n);
	/* the version this publish made (or found), read where no other writer can interfere */
	if (rc == 0)
		rc = o->meta_latest(db, p->vendor, &u->res->targets_version, NULL, err);
	return rc;
}

static int publish(struct repo *r, struct pkg_info *p, const char *token, const uint8_t *body,
		   size_t len, const char *path, struct repo_publish_result *res, char **err)
{
	memset(res, 0, sizeof(*res));
	int rc = token ? repod_vendor_by_token(r, token, strlen(token), p->vendor,
					       sizeof(p->vendor), err)
		       : xdrv_err(err, -EACCES, "publish: missing or wrong token");
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
	struct pub u = {.p = p, .body = body, .len = len, .res = res};
	snprintf(u.want, sizeof(u.want), "%s", target);
	rc = repod_txn(r, REPOD_TXN_WRITE, publish_txn, &u, err);
	if (rc)
		return rc;
	snprintf(res->target, sizeof(res->target), "%s", u.target);
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
