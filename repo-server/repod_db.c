// SPDX-License-Identifier: MIT
/*
 * xdrv-repod database: SQLite in WAL mode with synchronous=FULL, the schema, transactions and the
 * metadata table (every signed metadata file ever produced, by role and version). What goes
 * into the rows is decided by repod_meta.c and repod_publish.c.
 */
#include "repod.h"
#include "xdrv/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	" body BLOB NOT NULL, PRIMARY KEY(role, version));";

int64_t repod_now(void)
{
	return (int64_t)time(NULL);
}

int repod_db_exec(struct repo *r, const char *sql, char **err)
{
	char *m = NULL;
	int rc = sqlite3_exec(r->db, sql, NULL, NULL, &m);
	if (rc != SQLITE_OK) {
		int e = xdrv_err(err, rc == SQLITE_BUSY ? -EBUSY : -EIO, "database: %s: %s",
				 m ? m : sqlite3_errstr(rc), sql);
		sqlite3_free(m);
		return e;
	}
	return 0;
}

/* Databases made before the web pages lack packages.issuer and packages.manifest (both may be
 * NULL: the pages leave out what a row does not have). */
static int migrate(struct repo *r, char **err)
{
	static const char *const cols[] = {"issuer", "manifest"};
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		sqlite3_stmt *st;
		bool have = false;
		if (sqlite3_prepare_v2(r->db,
				       "SELECT 1 FROM pragma_table_info('packages')"
				       " WHERE name = ?",
				       -1, &st, NULL) != SQLITE_OK)
			return xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
		sqlite3_bind_text(st, 1, cols[i], -1, SQLITE_STATIC);
		have = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		char sql[96];
		snprintf(sql, sizeof(sql), "ALTER TABLE packages ADD COLUMN %s TEXT", cols[i]);
		int rc = have ? 0 : repod_db_exec(r, sql, err);
		if (rc)
			return rc;
	}
	return 0;
}

int repod_db_open(struct repo *r, char **err)
{
	char path[4200];
	if (xdrv_snprintf(path, sizeof(path), "%s/repod.db", r->cfg.data_dir) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "%s: path too long", r->cfg.data_dir);
	int rc = sqlite3_open_v2(path, &r->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
				 NULL);
	if (rc != SQLITE_OK)
		return xdrv_err(err, -EIO, "database %s: %s", path,
				r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
	sqlite3_busy_timeout(r->db, 10000);
	rc = repod_db_exec(r,
			   "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			   " PRAGMA foreign_keys=ON;",
			   err);
	if (rc == 0)
		rc = repod_db_exec(r, schema, err);
	if (rc == 0)
		rc = migrate(r, err);
	if (rc)
		xdrv_err_prefix(err, "database %s", path);
	return rc;
}

int repod_db_begin(struct repo *r, char **err)
{
	return repod_db_exec(r, "BEGIN IMMEDIATE", err);
}

int repod_db_commit(struct repo *r, char **err)
{
	return repod_db_exec(r, "COMMIT", err);
}

void repod_db_rollback(struct repo *r)
{
	if (!sqlite3_get_autocommit(r->db))
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
}

int repod_meta_latest(struct repo *r, const char *role, uint64_t *version, int64_t *expires,
		      char **err)
{
	sqlite3_stmt *st;
	*version = 0;
	if (expires)
		*expires = 0;
	if (sqlite3_prepare_v2(r->db,
			       "SELECT version, expires FROM metadata WHERE role=?"
			       " ORDER BY version DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
	sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = (uint64_t)sqlite3_column_int64(st, 0);
		if (expires)
			*expires = sqlite3_column_int64(st, 1);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = xdrv_err(err, -EIO, "database: metadata %s: %s", role, sqlite3_errmsg(r->db));
	}
	sqlite3_finalize(st);
	return rc;
}

int repod_meta_store(struct repo *r, const char *role, uint64_t version, int64_t expires,
		     const char *body, size_t len, char **err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db,
			       "INSERT INTO metadata(role, version, expires, body) VALUES(?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		return xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
	sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
	sqlite3_bind_int64(st, 3, expires);
	sqlite3_bind_blob(st, 4, body, (int)len, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_DONE
			 ? 0
			 : xdrv_err(err, -EIO, "database: store %s v%llu: %s", role,
				    (unsigned long long)version, sqlite3_errmsg(r->db));
	sqlite3_finalize(st);
	return rc;
}

int repod_meta_body(struct repo *r, const char *role, uint64_t version, uint8_t **buf, size_t *len,
		    char **err)
{
	sqlite3_stmt *st;
	const char *sql = version ? "SELECT body FROM metadata WHERE role=? AND version=?"
				  : "SELECT body FROM metadata WHERE role=? ORDER BY version DESC"
				    " LIMIT 1";
	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
		return xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
	sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	if (version)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		*buf = malloc(n + 1);
		if (*buf) {
			memcpy(*buf, sqlite3_column_blob(st, 0), n);
			(*buf)[n] = 0;
			*len = n;
			rc = 0;
		} else {
			rc = xdrv_err(err, -ENOMEM, "metadata %s: out of memory", role);
		}
	} else if (rc == SQLITE_DONE) {
		rc = xdrv_err(err, -ENOENT, "metadata %s version %llu: not found", role,
			      (unsigned long long)version);
	} else {
		rc = xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
	}
	sqlite3_finalize(st);
	return rc;
}
