// SPDX-License-Identifier: MIT
/*
 * The host's local store of installed drivers: one folder with an SQLite database that records
 * the configured repositories and which version of each driver is installed, and the package
 * files as content-addressed blobs (blobs/<sha256>.xdrv). Installation is crash-safe in two
 * steps: the blob is made durable first (temporary file, fsync, rename, fsync of the folder),
 * then one transaction switches the installed version; a blob without a row is garbage
 * collected at the next read-write open. Trusted TUF metadata lives in repos/<name>/
 * (client_tuf.c). Verifying what is installed is the caller's job.
 *
 * Read-only commands (list, run NAME, ...) open the store with repo_store_open_readonly, which
 * creates nothing: no folder, no database. That is why the database uses a rollback journal
 * and not WAL: a reader of a WAL database creates (and leaves behind) the -wal and -shm files,
 * and one without write access to the folder, e.g. a user reading root's store, cannot open it
 * at all while they are absent. Writes are rare here (install, remove, repo add), so WAL's
 * readers-during-a-write concurrency is not worth that; the busy timeout covers a reader that
 * meets a commit.
 */
#include "xdrv/repo_client.h"
#include "xdrv/util.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void (*repo_store_crash_hook)(const char *point);

struct repo_store {
	char dir[2048];
	sqlite3 *db;
};

/* journal_mode=DELETE also converts a store created by an earlier version in WAL mode */
static const char schema[] =
	"PRAGMA journal_mode=DELETE;"
	"PRAGMA synchronous=FULL;"
	"CREATE TABLE IF NOT EXISTS repos(name TEXT PRIMARY KEY, url TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS installed(name TEXT PRIMARY KEY, version TEXT NOT NULL,"
	" repo TEXT NOT NULL, digest TEXT NOT NULL, signer TEXT NOT NULL,"
	" security_version INTEGER NOT NULL, size INTEGER NOT NULL, installed_at INTEGER NOT "
	"NULL);";

const char *repo_store_default_dir(const char *dir)
{
	if (dir && *dir)
		return dir;
	const char *e = getenv("XDRV_STORE");
	return e && *e ? e : "/var/lib/xdrv";
}

bool repo_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int db_err(struct repo_store *s, char **err, int code, const char *what)
{
	return xdrv_err(err, code, "%s/store.db: %s: %s", s->dir, what, sqlite3_errmsg(s->db));
}

static void blob_path(const struct repo_store *s, const char *digest, char *buf, size_t size)
{
	snprintf(buf, size, "%s/blobs/%s.xdrv", s->dir, digest);
}

static bool digest_referenced(struct repo_store *s, const char *digest)
{
	sqlite3_stmt *st = NULL;
	bool found = true; /* on a database error keep the blob */
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM installed WHERE digest=?", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
		int r = sqlite3_step(st);
		found = r != SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return found;
}

/* Remove blobs no row refers to: what a crash between the rename and the commit leaves. */
static void gc_blobs(struct repo_store *s)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/blobs", s->dir);
	DIR *d = opendir(p);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n != 64 + 5 || strcmp(e->d_name + 64, ".xdrv") != 0)
			continue;
		char dg[65];
		memcpy(dg, e->d_name, 64);
		dg[64] = 0;
		if (!digest_referenced(s, dg)) {
			blob_path(s, dg, p, sizeof p);
			unlink(p);
		}
	}
	closedir(d);
}

int repo_store_open(const char *dir, struct repo_store **out, char **err)
{
	dir = repo_store_default_dir(dir);
	struct repo_store *s = calloc(1, sizeof *s);
	char p[4096];
	int rc;
	if (!s)
		return xdrv_err(err, -ENOMEM, "store %s: out of memory", dir);
	if (xdrv_snprintf(s->dir, sizeof s->dir, "%s", dir) != 0) {
		rc = xdrv_err(err, -ENAMETOOLONG, "store %s: path too long", dir);
		goto out_free;
	}
	static const char *const sub[] = {"", "/blobs", "/tmp", "/repos"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s%s", s->dir, sub[i]);
		rc = xdrv_mkdirs(p, 0755, err);
		if (rc != 0) {
			xdrv_err_prefix(err, "store");
			goto out_free;
		}
	}
	snprintf(p, sizeof p, "%s/store.db", s->dir);
	if (sqlite3_open_v2(p, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = db_err(s, err, -EIO, "open");
		goto out_free;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_err(s, err, -EIO, "schema");
		goto out_free;
	}
	gc_blobs(s);
	*out = s;
	return 0;
out_free:
	repo_store_close(s);
	return rc;
}

int repo_store_open_readonly(const char *dir, struct repo_store **out, char **err)
{
	dir = repo_store_default_dir(dir);
	struct repo_store *s = calloc(1, sizeof *s);
	char p[4096];
	struct stat st;
	int rc;
	*out = NULL;
	if (!s)
		return xdrv_err(err, -ENOMEM, "store %s: out of memory", dir);
	if (xdrv_snprintf(s->dir, sizeof s->dir, "%s", dir) != 0 ||
	    xdrv_snprintf(p, sizeof p, "%s/store.db", s->dir) != 0) {
		rc = xdrv_err(err, -ENAMETOOLONG, "store %s: path too long", dir);
		goto out_free;
	}
	/* SQLite would not create a missing file here either (no SQLITE_OPEN_CREATE), but its
	 * message ("unable to open database file") would not say what is missing */
	if (stat(p, &st) != 0) {
		rc = xdrv_err(err, errno == ENOENT ? -ENOENT : -errno, "no store at %s (%s)",
			      s->dir, strerror(errno));
		goto out_free;
	}
	if (sqlite3_open_v2(p, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = db_err(s, err, -EIO, "open");
		goto out_free;
	}
	sqlite3_busy_timeout(s->db, 5000);
	*out = s;
	return 0;
out_free:
	repo_store_close(s);
	return rc;
}

void repo_store_close(struct repo_store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s);
}

const char *repo_store_dir(const struct repo_store *s)
{
	return s->dir;
}

int repo_store_meta_dir(const struct repo_store *s, const char *name, char *buf, size_t size)
{
	return xdrv_snprintf(buf, size, "%s/repos/%s", s->dir, name) == 0 ? 0 : -ENAMETOOLONG;
}

int repo_store_repo_add(struct repo_store *s, const char *name, const char *url,
			const uint8_t *root, size_t root_len, char **err)
{
	char dir[4096], p[4096];
	sqlite3_stmt *st = NULL;
	int rc;
	if (!repo_name_valid(name))
		return xdrv_err(err, -EINVAL, "repository name '%s': want [A-Za-z0-9._-]{1,64}",
				name);
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "file://", 7) != 0)
		return xdrv_err(err, -EINVAL,
				"repository %s: URL %s: want http://, https:// or "
				"file://",
				name, url);
	char *old = NULL;
	if (repo_store_repo_url(s, name, &old, NULL) == 0) {
		free(old);
		return xdrv_err(err, -EEXIST, "repository %s: already configured", name);
	}
	repo_store_meta_dir(s, name, dir, sizeof dir);
	rc = xdrv_mkdirs(dir, 0755, err);
	if (rc != 0)
		return rc;
	snprintf(p, sizeof p, "%s/root.json", dir);
	rc = xdrv_write_file_atomic(p, root, root_len, 0644, err);
	if (rc != 0)
		return rc;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO repos(name,url) VALUES(?,?)", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_err(s, err, -EIO, "repos");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, url, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(s, err, -EIO, "insert repository");
	sqlite3_finalize(st);
	return rc;
}

int repo_store_repo_url(struct repo_store *s, const char *name, char **url, char **err)
{
	sqlite3_stmt *st = NULL;
	int rc;
	if (sqlite3_prepare_v2(s->db, "SELECT url FROM repos WHERE name=?", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_err(s, err, -EIO, "repos");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*url = strdup((const char *)sqlite3_column_text(st, 0));
		rc = *url ? 0 : xdrv_err(err, -ENOMEM, "out of memory");
	} else {
		rc = xdrv_err(err, -ENOENT, "repository %s: not configured (see 'xdrv repo add')",
			      name);
	}
	sqlite3_finalize(st);
	return rc;
}

void repo_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int repo_store_repo_list(struct repo_store *s, char ***names, char ***urls, size_t *n, char **err)
{
	sqlite3_stmt *st = NULL;
	char **nv = NULL, **uv = NULL;
	size_t cnt = 0;
	int rc = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT name,url FROM repos ORDER BY name", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_err(s, err, -EIO, "repos");
	while (sqlite3_step(st) == SQLITE_ROW) {
		char **a = realloc(nv, (cnt + 1) * sizeof *a);
		if (a)
			nv = a;
		char **b = realloc(uv, (cnt + 1) * sizeof *b);
		if (b)
			uv = b;
		if (!a || !b) {
			rc = xdrv_err(err, -ENOMEM, "out of memory");
			break;
		}
		nv[cnt] = strdup((const char *)sqlite3_column_text(st, 0));
		uv[cnt] = strdup((const char *)sqlite3_column_text(st, 1));
		cnt++;
	}
	sqlite3_finalize(st);
	if (rc != 0) {
		repo_strv_free(nv, cnt);
		repo_strv_free(uv, cnt);
		return rc;
	}
	*names = nv;
	*urls = uv;
	*n = cnt;
	return 0;
}

/* rm -r of a metadata folder (flat: files only). */
static void remove_flat_dir(const char *dir)
{
	DIR *d = opendir(dir);
	char p[4096];
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

int repo_store_repo_remove(struct repo_store *s, const char *name, char **err)
{
	sqlite3_stmt *st = NULL;
	char dir[4096];
	if (!repo_name_valid(name))
		return xdrv_err(err, -EINVAL, "repository name '%s': invalid", name);
	if (sqlite3_prepare_v2(s->db, "DELETE FROM repos WHERE name=?", -1, &st, NULL) != SQLITE_OK)
		return db_err(s, err, -EIO, "repos");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return db_err(s, err, -EIO, "delete repository");
	if (sqlite3_changes(s->db) == 0)
		return xdrv_err(err, -ENOENT, "repository %s: not configured", name);
	repo_store_meta_dir(s, name, dir, sizeof dir);
	remove_flat_dir(dir);
	return 0;
}

static void row_to_rec(const struct repo_store *s, sqlite3_stmt *st, struct repo_installed *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(r->version, sizeof r->version, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(r->repo, sizeof r->repo, "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(r->digest, sizeof r->digest, "%s", (const char *)sqlite3_column_text(st, 3));
	snprintf(r->signer, sizeof r->signer, "%s", (const char *)sqlite3_column_text(st, 4));
	r->security_version = (uint64_t)sqlite3_column_int64(st, 5);
	r->size = (uint64_t)sqlite3_column_int64(st, 6);
	r->installed_at = sqlite3_column_int64(st, 7);
	blob_path(s, r->digest, r->path, sizeof r->path);
}

#define COLS "name,version,repo,digest,signer,security_version,size,installed_at"

int repo_store_get(struct repo_store *s, const char *name, struct repo_installed *out, char **err)
{
	sqlite3_stmt *st = NULL;
	int rc;
	if (sqlite3_prepare_v2(s->db, "SELECT " COLS " FROM installed WHERE name=?", -1, &st,
			       NULL) != SQLITE_OK)
		return db_err(s, err, -EIO, "installed");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		row_to_rec(s, st, out);
		rc = 0;
	} else {
		rc = xdrv_err(err, -ENOENT, "%s: not installed", name);
	}
	sqlite3_finalize(st);
	return rc;
}

int repo_store_list(struct repo_store *s, struct repo_installed **out, size_t *n, char **err)
{
	sqlite3_stmt *st = NULL;
	struct repo_installed *v = NULL;
	size_t cnt = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT " COLS " FROM installed ORDER BY name", -1, &st,
			       NULL) != SQLITE_OK)
		return db_err(s, err, -EIO, "installed");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct repo_installed *nv = realloc(v, (cnt + 1) * sizeof *v);
		if (!nv) {
			free(v);
			sqlite3_finalize(st);
			return xdrv_err(err, -ENOMEM, "out of memory");
		}
		v = nv;
		row_to_rec(s, st, &v[cnt++]);
	}
	sqlite3_finalize(st);
	*out = v;
	*n = cnt;
	return 0;
}

static bool hex64(const char *d)
{
	if (strlen(d) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f')))
			return false;
	return true;
}

int repo_store_install(struct repo_store *s, const struct repo_installed *rec, const uint8_t *buf,
		       size_t len, char **err)
{
	char p[4096];
	sqlite3_stmt *st = NULL;
	struct repo_installed old;
	bool had_old;
	int rc;
	if (!hex64(rec->digest))
		return xdrv_err(err, -EINVAL, "%s: bad digest", rec->name);
	had_old = repo_store_get(s, rec->name, &old, NULL) == 0;
	/* 1. the blob, durable before any row points at it */
	blob_path(s, rec->digest, p, sizeof p);
	rc = xdrv_write_file_atomic(p, buf, len, 0644, err);
	if (rc != 0)
		return rc;
	if (repo_store_crash_hook)
		repo_store_crash_hook("blob-written");
	/* 2. one transaction switches the installed version */
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(s, err, -EIO, "begin");
	if (sqlite3_prepare_v2(s->db,
			       "INSERT OR REPLACE INTO installed(" COLS ") VALUES(?,?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = db_err(s, err, -EIO, "installed");
		goto out_rollback;
	}
	sqlite3_bind_text(st, 1, rec->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rec->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rec->repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, rec->digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, rec->signer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)rec->security_version);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)len);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_err(s, err, -EIO, "install");
		goto out_rollback;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_err(s, err, -EIO, "commit");
		goto out_rollback;
	}
	if (repo_store_crash_hook)
		repo_store_crash_hook("committed");
	/* 3. the old blob, unless another driver still refers to the same bytes */
	if (had_old && strcmp(old.digest, rec->digest) != 0 && !digest_referenced(s, old.digest))
		unlink(old.path);
	return 0;
out_rollback:
	sqlite3_finalize(st);
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (!digest_referenced(s, rec->digest))
		unlink(p);
	return rc;
}

int repo_store_remove(struct repo_store *s, const char *name, char **err)
{
	struct repo_installed old;
	sqlite3_stmt *st = NULL;
	int rc = repo_store_get(s, name, &old, err);
	if (rc != 0)
		return rc;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM installed WHERE name=?", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_err(s, err, -EIO, "installed");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return db_err(s, err, -EIO, "remove");
	if (!digest_referenced(s, old.digest))
		unlink(old.path);
	return 0;
}
