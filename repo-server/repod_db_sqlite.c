// SPDX-License-Identifier: MIT
/*
 * xdrv-repod store on SQLite, the default: DATA/repod.db in WAL mode with synchronous=FULL, one
 * connection per process used by one thread at a time, writers serialised by BEGIN IMMEDIATE
 * (and across processes, `vendor add` beside the server, by SQLite's lock). Blobs are the files
 * in DATA/blobs and vendor keys the files in keys_dir/vendors, so the optional ops are absent.
 * Every SQL statement of this backend is in this file; the interface is repod_db.h.
 */
#include "repod.h"
#include "xdrv/util.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct repod_db {
	struct repod_store *s;
	sqlite3 *h;
};

struct repod_store {
	pthread_mutex_t mu; /* one connection, one thread at a time (between acquire and release) */
	struct repod_db sess;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS vendors("
	" name TEXT PRIMARY KEY, salt BLOB NOT NULL, token_hash BLOB NOT NULL,"
	" keyid TEXT NOT NULL, pubkey TEXT NOT NULL, created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS packages("
	" id INTEGER PRIMARY KEY, vendor TEXT NOT NULL REFERENCES vendors(name),"
	" name TEXT NOT NULL, version TEXT NOT NULL, target TEXT NOT NULL UNIQUE,"
	" sha256 TEXT NOT NULL, sha512 TEXT NOT NULL, size INTEGER NOT NULL,"
	" security_version INTEGER NOT NULL, abi_version INTEGER NOT NULL,"
	" signer TEXT NOT NULL, created INTEGER NOT NULL, issuer TEXT, manifest TEXT,"
	" UNIQUE(name, version));"
	"CREATE TABLE IF NOT EXISTS metadata("
	" role TEXT NOT NULL, version INTEGER NOT NULL, expires INTEGER NOT NULL,"
	" body BLOB NOT NULL, PRIMARY KEY(role, version));"
	/* the vendor list counts each vendor's packages (token checks, pages) */
	"CREATE INDEX IF NOT EXISTS packages_vendor ON packages(vendor);";

static int fail(struct repod_db *db, int code, char **err, const char *what)
{
	return xdrv_err(err, code, "database: %s: %s", what, sqlite3_errmsg(db->h));
}

static int exec(sqlite3 *h, const char *sql, char **err)
{
	char *m = NULL;
	int rc = sqlite3_exec(h, sql, NULL, NULL, &m);
	if (rc != SQLITE_OK) {
		int e = xdrv_err(err, rc == SQLITE_BUSY ? -EBUSY : -EIO, "database: %s: %s",
				 m ? m : sqlite3_errstr(rc), sql);
		sqlite3_free(m);
		return e;
	}
	return 0;
}

static int prepare(struct repod_db *db, const char *sql, sqlite3_stmt **st, char **err)
{
	if (sqlite3_prepare_v2(db->h, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return fail(db, -EIO, err, "prepare");
	}
	return 0;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	return t ? t : "";
}

/* Databases made before the web pages lack packages.issuer and packages.manifest (both may be
 * NULL: the pages leave out what a row does not have). */
static int upgrade(struct repod_db *db, char **err)
{
	static const char *const cols[] = {"issuer", "manifest"};
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		sqlite3_stmt *st;
		int rc = prepare(db,
				 "SELECT 1 FROM pragma_table_info('packages')"
				 " WHERE name = ?",
				 &st, err);
		if (rc)
			return rc;
		sqlite3_bind_text(st, 1, cols[i], -1, SQLITE_STATIC);
		bool have = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		char sql[96];
		snprintf(sql, sizeof(sql), "ALTER TABLE packages ADD COLUMN %s TEXT", cols[i]);
		rc = have ? 0 : exec(db->h, sql, err);
		if (rc)
			return rc;
	}
	return 0;
}

static void sq_close(struct repod_store *s)
{
	if (!s)
		return;
	if (s->sess.h)
		sqlite3_close(s->sess.h);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static int sq_open(struct repo *r, struct repod_store **out, char **err)
{
	char path[4200];
	*out = NULL;
	if (xdrv_snprintf(path, sizeof(path), "%s/repod.db", r->cfg.data_dir) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "%s: path too long", r->cfg.data_dir);
	struct repod_store *s = calloc(1, sizeof(*s));
	if (!s)
		return xdrv_err(err, -ENOMEM, "database: out of memory");
	pthread_mutex_init(&s->mu, NULL);
	s->sess.s = s;
	int rc = sqlite3_open_v2(path, &s->sess.h,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		rc = xdrv_err(err, -EIO, "database %s: %s", path,
			      s->sess.h ? sqlite3_errmsg(s->sess.h) : sqlite3_errstr(rc));
		sq_close(s);
		return rc;
	}
	sqlite3_busy_timeout(s->sess.h, 10000);
	rc = exec(s->sess.h,
		  "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		  " PRAGMA foreign_keys=ON;",
		  err);
	if (rc == 0)
		rc = exec(s->sess.h, schema, err);
	if (rc == 0)
		rc = upgrade(&s->sess, err);
	if (rc) {
		xdrv_err_prefix(err, "database %s", path);
		sq_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

static int sq_acquire(struct repod_store *s, struct repod_db **db, char **err)
{
	pthread_mutex_lock(&s->mu);
	*db = &s->sess;
	return 0;
}

static void sq_release(struct repod_store *s, struct repod_db *db)
{
	if (!sqlite3_get_autocommit(db->h)) /* a transaction left open by mistake ends here */
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->mu);
}

static int sq_begin(struct repod_db *db, enum repod_txn_kind kind, char **err)
{
	/* IMMEDIATE: take the write lock now (waiting up to the busy timeout for another
	 * process), so that what the transaction reads cannot change before it writes */
	return exec(db->h, kind == REPOD_TXN_WRITE ? "BEGIN IMMEDIATE" : "BEGIN", err);
}

static int sq_commit(struct repod_db *db, char **err)
{
	return exec(db->h, "COMMIT", err);
}

static void sq_rollback(struct repod_db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- metadata -------------------------------------------------------------------------------- */
static int sq_meta_latest(struct repod_db *db, const char *role, uint64_t *version,
			  int64_t *expires, char **err)
{
	sqlite3_stmt *st;
	*version = 0;
	if (expires)
		*expires = 0;
	int rc = prepare(db,
			 "SELECT version, expires FROM metadata WHERE role=?"
			 " ORDER BY version DESC LIMIT 1",
			 &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = (uint64_t)sqlite3_column_int64(st, 0);
		if (expires)
			*expires = sqlite3_column_int64(st, 1);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : fail(db, -EIO, err, role);
	}
	sqlite3_finalize(st);
	return rc;
}

static int sq_meta_put(struct repod_db *db, const char *role, uint64_t version, int64_t expires,
		       const uint8_t *body, size_t len, char **err)
{
	sqlite3_stmt *st;
	int rc = prepare(db, "INSERT INTO metadata(role, version, expires, body) VALUES(?,?,?,?)",
			 &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
	sqlite3_bind_int64(st, 3, expires);
	sqlite3_bind_blob(st, 4, body, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? 0
		     : xdrv_err(err, -EIO, "database: store %s v%llu: %s", role,
				(unsigned long long)version, sqlite3_errmsg(db->h));
	sqlite3_finalize(st);
	return rc;
}

static int copy_blob(sqlite3_stmt *st, int col, uint8_t **buf, size_t *len, char **err)
{
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	*buf = malloc(n + 1);
	if (!*buf)
		return xdrv_err(err, -ENOMEM, "database: out of memory");
	if (n)
		memcpy(*buf, sqlite3_column_blob(st, col), n);
	(*buf)[n] = 0;
	*len = n;
	return 0;
}

static int sq_meta_get(struct repod_db *db, const char *role, uint64_t version, uint8_t **buf,
		       size_t *len, char **err)
{
	sqlite3_stmt *st;
	int rc = prepare(db,
			 version ? "SELECT body FROM metadata WHERE role=? AND version=?"
				 : "SELECT body FROM metadata WHERE role=? ORDER BY version DESC"
				   " LIMIT 1",
			 &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	if (version)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = copy_blob(st, 0, buf, len, err);
	else if (rc == SQLITE_DONE)
		rc = xdrv_err(err, -ENOENT, "metadata %s version %llu: not found", role,
			      (unsigned long long)version);
	else
		rc = fail(db, -EIO, err, role);
	sqlite3_finalize(st);
	return rc;
}

static int sq_meta_each(struct repod_db *db, repod_meta_fn fn, void *arg, char **err)
{
	sqlite3_stmt *st;
	int rc = prepare(db,
			 "SELECT role, version, expires, body, version = (SELECT max(version)"
			 " FROM metadata m2 WHERE m2.role = m.role) FROM metadata m"
			 " ORDER BY role, version",
			 &st, err);
	int step = SQLITE_DONE;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
		rc = fn(arg, col_text(st, 0), (uint64_t)sqlite3_column_int64(st, 1),
			sqlite3_column_int64(st, 2), sqlite3_column_int(st, 4) != 0,
			sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3), err);
	if (rc == 0 && step != SQLITE_DONE)
		rc = fail(db, -EIO, err, "metadata");
	sqlite3_finalize(st);
	return rc;
}

/* ---- vendors --------------------------------------------------------------------------------- */
static int sq_vendors(struct repod_db *db, struct repod_vendor **out, size_t *n, char **err)
{
	sqlite3_stmt *st;
	*out = NULL;
	*n = 0;
	int rc = prepare(db,
			 "SELECT v.name, v.salt, v.token_hash, v.keyid, v.pubkey, v.created,"
			 " m.version, m.expires,"
			 " (SELECT count(*) FROM packages p WHERE p.vendor = v.name)"
			 " FROM vendors v LEFT JOIN metadata m ON m.role = v.name AND m.version ="
			 " (SELECT max(version) FROM metadata m2 WHERE m2.role = v.name)"
			 " ORDER BY v.name",
			 &st, err);
	int step = SQLITE_DONE;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct repod_vendor *nv = realloc(*out, (*n + 1) * sizeof(**out));
		if (!nv) {
			rc = xdrv_err(err, -ENOMEM, "database: out of memory");
			break;
		}
		*out = nv;
		struct repod_vendor *v = &nv[*n];
		memset(v, 0, sizeof(*v));
		snprintf(v->name, sizeof(v->name), "%s", col_text(st, 0));
		if (sqlite3_column_bytes(st, 1) == 16)
			memcpy(v->salt, sqlite3_column_blob(st, 1), 16);
		if (sqlite3_column_bytes(st, 2) == 32)
			memcpy(v->token_hash, sqlite3_column_blob(st, 2), 32);
		else /* matches no token (a hash is never all ones by chance) */
			memset(v->token_hash, 0xff, 32);
		snprintf(v->keyid, sizeof(v->keyid), "%s", col_text(st, 3));
		snprintf(v->pubkey, sizeof(v->pubkey), "%s", col_text(st, 4));
		v->created = sqlite3_column_int64(st, 5);
		v->meta_version = (uint64_t)sqlite3_column_int64(st, 6); /* NULL reads 0 */
		v->meta_expires = sqlite3_column_int64(st, 7);
		v->packages = (uint64_t)sqlite3_column_int64(st, 8);
		(*n)++;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = fail(db, -EIO, err, "vendors");
	sqlite3_finalize(st);
	if (rc) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static int sq_vendor_put(struct repod_db *db, const struct repod_vendor *v, char **err)
{
	sqlite3_stmt *st;
	int rc = prepare(db,
			 "INSERT INTO vendors(name, salt, token_hash, keyid, pubkey, created)"
			 " VALUES(?,?,?,?,?,?)",
			 &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, v->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, v->salt, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, v->token_hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, v->keyid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, v->pubkey, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, v->created);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = xdrv_err(err, -EEXIST, "vendor %s: exists", v->name);
	else
		rc = fail(db, -EIO, err, v->name);
	sqlite3_finalize(st);
	return rc;
}

/* ---- packages -------------------------------------------------------------------------------- */
static int sq_packages(struct repod_db *db, const struct repod_pkg_filter *f,
		       struct repod_pkg **out, size_t *n, char **err)
{
	/* only the conditions asked for, so that lookups by target or name use their index */
	const char *val[5] = {f->vendor, f->name, f->version, f->target, f->sha256};
	static const char *const col[5] = {"vendor", "name", "version", "target", "sha256"};
	char sql[640];
	size_t k = (size_t)snprintf(sql, sizeof(sql),
				    "SELECT vendor, name, version, target, sha256, sha512, size,"
				    " security_version, abi_version, signer, created, %s"
				    " FROM packages WHERE 1",
				    f->full ? "issuer, manifest" : "NULL, NULL");
	for (int i = 0; i < 5; i++)
		if (val[i])
			k += (size_t)snprintf(sql + k, sizeof(sql) - k, " AND %s = ?%d", col[i],
					      i + 1);
	snprintf(sql + k, sizeof(sql) - k, " ORDER BY vendor, name, id");
	sqlite3_stmt *st;
	*out = NULL;
	*n = 0;
	int rc = prepare(db, sql, &st, err), step = SQLITE_DONE;
	for (int i = 0; rc == 0 && i < 5; i++)
		if (val[i])
			sqlite3_bind_text(st, i + 1, val[i], -1, SQLITE_STATIC);
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct repod_pkg *np = realloc(*out, (*n + 1) * sizeof(**out));
		if (!np) {
			rc = xdrv_err(err, -ENOMEM, "database: out of memory");
			break;
		}
		*out = np;
		struct repod_pkg *p = &np[(*n)++];
		memset(p, 0, sizeof(*p));
		snprintf(p->vendor, sizeof(p->vendor), "%s", col_text(st, 0));
		snprintf(p->name, sizeof(p->name), "%s", col_text(st, 1));
		snprintf(p->version, sizeof(p->version), "%s", col_text(st, 2));
		snprintf(p->target, sizeof(p->target), "%s", col_text(st, 3));
		snprintf(p->sha256, sizeof(p->sha256), "%s", col_text(st, 4));
		snprintf(p->sha512, sizeof(p->sha512), "%s", col_text(st, 5));
		p->size = (uint64_t)sqlite3_column_int64(st, 6);
		p->security_version = (uint64_t)sqlite3_column_int64(st, 7);
		p->abi_version = (uint32_t)sqlite3_column_int64(st, 8);
		snprintf(p->signer, sizeof(p->signer), "%s", col_text(st, 9));
		p->created = sqlite3_column_int64(st, 10);
		if (sqlite3_column_type(st, 11) != SQLITE_NULL &&
		    !(p->issuer = strdup(col_text(st, 11))))
			rc = xdrv_err(err, -ENOMEM, "database: out of memory");
		if (sqlite3_column_type(st, 12) != SQLITE_NULL &&
		    !(p->manifest = strdup(col_text(st, 12))))
			rc = xdrv_err(err, -ENOMEM, "database: out of memory");
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = fail(db, -EIO, err, "packages");
	sqlite3_finalize(st);
	if (rc) {
		repod_pkgs_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static int sq_package_put(struct repod_db *db, const struct repod_pkg *p, char **err)
{
	sqlite3_stmt *st;
	int rc = prepare(db,
			 "INSERT INTO packages(vendor, name, version, target, sha256, sha512,"
			 " size, security_version, abi_version, signer, created, issuer,"
			 " manifest) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
			 &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, p->vendor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, p->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, p->sha512, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)p->size);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)p->security_version);
	sqlite3_bind_int64(st, 9, p->abi_version);
	sqlite3_bind_text(st, 10, p->signer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, p->created);
	sqlite3_bind_text(st, 12, p->issuer, -1, SQLITE_STATIC); /* NULL binds NULL */
	sqlite3_bind_text(st, 13, p->manifest, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0
					     : xdrv_err(err, -EIO, "database: insert %s: %s",
							p->target, sqlite3_errmsg(db->h));
	sqlite3_finalize(st);
	return rc;
}

const struct repod_db_ops repod_db_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.acquire = sq_acquire,
	.release = sq_release,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.meta_latest = sq_meta_latest,
	.meta_put = sq_meta_put,
	.meta_get = sq_meta_get,
	.meta_each = sq_meta_each,
	.vendors = sq_vendors,
	.vendor_put = sq_vendor_put,
	.packages = sq_packages,
	.package_put = sq_package_put,
};
