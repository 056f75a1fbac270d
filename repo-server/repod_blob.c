// SPDX-License-Identifier: MIT
/*
 * xdrv-repod blob store: package bytes under DATA/blobs/sha256/<hex>, written with a temporary
 * file, fsync, rename and a folder fsync before any database row may name them; and the
 * clean-up at start that removes what a crashed publish left behind. When the store keeps the
 * blobs itself (PostgreSQL, shared by several servers), these files are this server's copy:
 * written at publish, and fetched from the database (hash checked) the first time a blob is
 * served here.
 */
#include "repod.h"
#include "xdrv/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int repod_blob_path(const struct repo *r, const char *sha256, char *out, size_t n)
{
	return xdrv_snprintf(out, n, "%s/%s", r->blob_dir, sha256) ? -ENAMETOOLONG : 0;
}

int repod_blob_put(struct repo *r, const char *sha256, const uint8_t *buf, size_t len, char **err)
{
	char p[4200];
	struct stat st;
	if (repod_blob_path(r, sha256, p, sizeof(p)) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "blob %s: path too long", sha256);
	if (stat(p, &st) == 0 && (uint64_t)st.st_size == len)
		return 0; /* content-addressed: same name, same bytes */
	return xdrv_write_file_atomic(p, buf, len, 0644, err);
}

/* Verify that `buf` is the blob named `sha256`: a store's copy is checked before it is served. */
static int check_hash(const char *sha256, const uint8_t *buf, size_t len, char **err)
{
	struct tuf_hashes h;
	tuf_hashes_compute(buf, len, &h);
	if (strcmp(h.sha256, sha256) != 0)
		return xdrv_err(err, -EIO, "blob %s: the database's copy has SHA-256 %s", sha256,
				h.sha256);
	return 0;
}

int repod_blob_read(struct repo *r, struct repod_db *db, const char *sha256, uint8_t **buf,
		    size_t *len, char **err)
{
	char p[4200];
	*buf = NULL;
	if (repod_blob_path(r, sha256, p, sizeof(p)) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "blob %s: path too long", sha256);
	if (!r->db_ops->blob_get || access(p, F_OK) == 0)
		return xdrv_read_file(p, 1ull << 32, buf, len, err);
	int rc = r->db_ops->blob_get(db, sha256, buf, len, err);
	if (rc == 0 && (rc = check_hash(sha256, *buf, *len, err)) != 0) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

int repod_blob_store(struct repo *r, struct repod_db *db, const char *sha256, const uint8_t *buf,
		     size_t len, char **err)
{
	int rc = repod_blob_put(r, sha256, buf, len, err);
	if (rc == 0 && r->db_ops->blob_put)
		rc = r->db_ops->blob_put(db, sha256, buf, len, err);
	return rc;
}

int repod_blob_file(struct repo *r, const char *sha256, uint64_t size, char **path, char **err)
{
	char p[4200];
	struct stat st;
	*path = NULL;
	if (repod_blob_path(r, sha256, p, sizeof(p)) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "blob %s: path too long", sha256);
	/* a file of the right size was written whole (tmp + rename) by us: it is these bytes */
	if (r->db_ops->blob_get && !(stat(p, &st) == 0 && (uint64_t)st.st_size == size)) {
		struct repod_db *db;
		uint8_t *buf = NULL;
		size_t len = 0;
		int rc = repod_db_get(r, &db, err);
		if (rc)
			return rc;
		rc = repod_blob_read(r, db, sha256, &buf, &len, err);
		repod_db_put(r, db);
		if (rc == 0 && len != size)
			rc = xdrv_err(err, -EIO, "blob %s: %zu bytes in the database, %llu listed",
				      sha256, len, (unsigned long long)size);
		if (rc == 0) /* concurrent fills write the same bytes; rename keeps one */
			rc = repod_blob_put(r, sha256, buf, len, err);
		free(buf);
		if (rc)
			return rc;
	}
	if (!(*path = strdup(p)))
		return xdrv_err(err, -ENOMEM, "blob %s: out of memory", sha256);
	return 0;
}

static bool referenced(struct repo *r, struct repod_db *db, const char *sha)
{
	struct repod_pkg *p = NULL;
	size_t n = 0;
	struct repod_pkg_filter f = {.sha256 = sha};
	/* on any doubt keep the file */
	bool yes = r->db_ops->packages(db, &f, &p, &n, NULL) != 0 || n > 0;
	repod_pkgs_free(p, n);
	return yes;
}

int repod_blob_gc(struct repo *r, char **err)
{
	struct repod_db *db;
	int rc = repod_db_get(r, &db, err);
	if (rc)
		return rc;
	DIR *d = opendir(r->blob_dir);
	if (!d) {
		rc = xdrv_err(err, -errno, "blobs %s: %s", r->blob_dir, strerror(errno));
		repod_db_put(r, db);
		return rc;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		bool tmp = strstr(e->d_name, ".tmp.") != NULL;
		if (!tmp && strlen(e->d_name) == 64 && referenced(r, db, e->d_name))
			continue;
		char p[4200];
		if (xdrv_snprintf(p, sizeof(p), "%s/%s", r->blob_dir, e->d_name) == 0)
			unlink(p);
	}
	closedir(d);
	repod_db_put(r, db);
	return 0;
}

int repod_target_file(const char *target, const char *sha256, char *out, size_t n)
{
	const char *slash = strrchr(target, '/');
	if (!slash)
		return xdrv_snprintf(out, n, "%s.%s", sha256, target) ? -ENAMETOOLONG : 0;
	return xdrv_snprintf(out, n, "%.*s/%s.%s", (int)(slash - target), target, sha256, slash + 1)
		       ? -ENAMETOOLONG
		       : 0;
}
