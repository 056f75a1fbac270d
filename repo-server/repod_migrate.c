// SPDX-License-Identifier: MIT
/*
 * `xdrv-repod migrate`: a whole repository copied from one store to another (SQLite to
 * PostgreSQL, the way a repository grows to several servers; any two stores work), through the
 * store interface only. One write transaction of the target around one consistent read of the
 * source: the target gets everything or nothing, and the source is only read. Every metadata
 * version is copied byte for byte (its signatures stay valid; nothing is re-signed), vendors
 * with their salted token hashes and online keys, packages with their blobs.
 */
#include "repod.h"
#include "xdrv/util.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mig {
	struct repo *src, *dst;
	struct repod_db *ddb; /* the target's transaction */
	struct repo_migrate_stats st;
};

static int empty(struct repo *r, struct repod_db *db, const char *which, bool want_empty,
		 char **err)
{
	uint64_t rv = 0, tv = 0;
	struct repod_vendor *vs = NULL;
	struct repod_pkg *pk = NULL;
	size_t nv = 0, np = 0;
	struct repod_pkg_filter all = {0};
	int rc = r->db_ops->meta_latest(db, "root", &rv, NULL, err);
	if (rc == 0)
		rc = r->db_ops->meta_latest(db, "timestamp", &tv, NULL, err);
	if (rc == 0)
		rc = r->db_ops->vendors(db, &vs, &nv, err);
	if (rc == 0)
		rc = r->db_ops->packages(db, &all, &pk, &np, err);
	free(vs);
	repod_pkgs_free(pk, np);
	bool is_empty = !rv && !tv && !nv && !np;
	if (rc == 0 && want_empty && !is_empty)
		rc = xdrv_err(
			err, -ENOTEMPTY,
			"%s (store %s) is not empty: root v%llu, timestamp v%llu, %zu vendors, "
			"%zu packages; not changed",
			which, r->db_ops->name, (unsigned long long)rv, (unsigned long long)tv, nv,
			np);
	if (rc == 0 && !want_empty && (!rv || !tv))
		rc = xdrv_err(err, -ENOENT,
			      "%s (store %s) has no repository (no root or timestamp metadata): "
			      "is its data_dir or postgres_conninfo right?",
			      which, r->db_ops->name);
	return rc;
}

static int copy_meta(void *arg, const char *role, uint64_t version, int64_t expires, bool latest,
		     const uint8_t *body, size_t len, char **err)
{
	struct mig *m = arg;
	m->st.metadata++;
	return m->dst->db_ops->meta_put(m->ddb, role, version, expires, body, len, err);
}

static int copy_vendors(struct mig *m, struct repod_db *sdb, char **err)
{
	struct repod_vendor *vs = NULL;
	size_t nv = 0;
	int rc = m->src->db_ops->vendors(sdb, &vs, &nv, err);
	for (size_t i = 0; rc == 0 && i < nv; i++) {
		struct tuf_signer *k = NULL;
		rc = m->dst->db_ops->vendor_put(m->ddb, &vs[i], err);
		if (rc == 0)
			rc = repod_vendor_key_load(m->src, sdb, vs[i].name, &k, err);
		/* the key must be the one the delegation names (a wrong keys_dir shows here) */
		if (rc == 0 && strcmp(tuf_signer_key(k)->keyid, vs[i].keyid) != 0)
			rc = xdrv_err(err, -EINVAL,
				      "vendor %s: its online key in the source is %.16s..., the "
				      "delegation names %.16s... (is keys_dir right?)",
				      vs[i].name, tuf_signer_key(k)->keyid, vs[i].keyid);
		if (rc == 0)
			rc = repod_vendor_key_save(m->dst, m->ddb, vs[i].name, k, err);
		tuf_signer_destroy(k);
		if (rc)
			xdrv_err_prefix(err, "vendor %s", vs[i].name);
		else
			m->st.vendors++;
	}
	if (vs)
		OPENSSL_cleanse(vs, nv * sizeof(*vs));
	free(vs);
	return rc;
}

static int copy_packages(struct mig *m, struct repod_db *sdb, char **err)
{
	struct repod_pkg *pk = NULL;
	size_t np = 0;
	struct repod_pkg_filter all = {.full = true};
	/* in listing order, so that the target lists versions in the order they were published */
	int rc = m->src->db_ops->packages(sdb, &all, &pk, &np, err);
	for (size_t i = 0; rc == 0 && i < np; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;
		rc = repod_blob_read(m->src, sdb, pk[i].sha256, &buf, &len, err);
		if (rc == 0 && len != pk[i].size)
			rc = xdrv_err(err, -EIO, "blob %s: %zu bytes, the package row says %llu",
				      pk[i].sha256, len, (unsigned long long)pk[i].size);
		if (rc == 0)
			rc = repod_blob_store(m->dst, m->ddb, pk[i].sha256, buf, len, err);
		if (rc == 0)
			rc = m->dst->db_ops->package_put(m->ddb, &pk[i], err);
		free(buf);
		if (rc) {
			xdrv_err_prefix(err, "package %s", pk[i].target);
		} else {
			m->st.packages++;
			m->st.blobs++; /* (name, version) is unique, and so is its blob */
			m->st.blob_bytes += len;
		}
	}
	repod_pkgs_free(pk, np);
	return rc;
}

/* The source's read transaction, inside the target's write transaction. */
static int read_txn(struct repo *src, struct repod_db *sdb, void *arg, char **err)
{
	struct mig *m = arg;
	memset(&m->st, 0, sizeof(m->st));
	int rc = empty(src, sdb, "the source", false, err);
	if (rc == 0)
		rc = copy_vendors(m, sdb, err);
	if (rc == 0)
		rc = copy_packages(m, sdb, err);
	if (rc == 0)
		rc = src->db_ops->meta_each(sdb, copy_meta, m, err);
	return rc;
}

static int write_txn(struct repo *dst, struct repod_db *ddb, void *arg, char **err)
{
	struct mig *m = arg;
	m->ddb = ddb;
	int rc = empty(dst, ddb, "the target", true, err);
	if (rc == 0)
		rc = repod_txn(m->src, REPOD_TXN_READ, read_txn, m, err);
	/* what a server checks at start: the root chain, and the target's online keys are the
	 * ones the newest root names (the target's keys_dir must be the same keys) */
	if (rc == 0)
		rc = repod_root_import(dst, ddb, err);
	return rc;
}

int repo_migrate(const struct repo_config *from, const struct repo_config *to,
		 struct repo_migrate_stats *st, char **err)
{
	struct mig m = {0};
	memset(st, 0, sizeof(*st));
	int rc = repod_open_store(from, &m.src, err);
	if (rc) {
		xdrv_err_prefix(err, "source");
		return rc;
	}
	rc = repod_open_store(to, &m.dst, err);
	if (rc)
		xdrv_err_prefix(err, "target");
	if (rc == 0)
		rc = repod_txn(m.dst, REPOD_TXN_WRITE, write_txn, &m, err);
	if (rc == 0)
		*st = m.st;
	repo_close(m.dst);
	repo_close(m.src);
	return rc;
}
